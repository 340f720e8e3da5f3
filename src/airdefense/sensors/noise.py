"""Measurement accuracy of a radar plot as a function of SNR.

Thermal-noise-limited accuracy of a range and an angle measurement:

- range:  sigma_R = dR / sqrt(2 SNR), dR the range resolution c / (2 B);
- angle:  sigma_theta = theta_3dB / (k_m sqrt(2 SNR)), k_m ~ 1.6 the monopulse slope;

both floored by a bias-free residual (the preset's ``range_sigma_floor_m`` and
``angle_sigma_floor_deg``) combined in quadrature.

Sources: M. I. Skolnik, *Introduction to Radar Systems*, 3rd ed. (2001), sec. 6.3
("Theoretical accuracy of radar measurements", delta_T_R = 1/(beta sqrt(2E/N0)) and the
angle analogue); M. A. Richards, J. A. Scheer, W. A. Holm (eds.), *Principles of Modern
Radar: Basic Principles* (2010), ch. 18 (precision of range and angle measurements,
sigma_theta = theta_3 / (k_m sqrt(2 SNR))). SNR here is the integrated SNR of the look.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Monopulse (or sequential-lobing) angle slope, normalised to the 3 dB beamwidth.
MONOPULSE_SLOPE_KM = 1.6


def range_sigma_m(snr_linear: ArrayLike, range_resolution_m: float, floor_m: float) -> FloatArray:
    """sigma_R = sqrt((dR / sqrt(2 SNR))^2 + floor^2) (Skolnik 2001, sec. 6.3)."""
    s = np.maximum(np.asarray(snr_linear, dtype=np.float64), 1e-12)
    return np.sqrt(range_resolution_m * range_resolution_m / (2.0 * s) + floor_m * floor_m)


def angle_sigma_rad(
    snr_linear: ArrayLike,
    beamwidth_rad: float,
    floor_rad: float,
    k_m: float = MONOPULSE_SLOPE_KM,
) -> FloatArray:
    """sigma_theta = sqrt((theta3 / (k_m sqrt(2 SNR)))^2 + floor^2) (Richards et al. 2010, ch. 18)."""
    s = np.maximum(np.asarray(snr_linear, dtype=np.float64), 1e-12)
    b = beamwidth_rad / k_m
    return np.sqrt(b * b / (2.0 * s) + floor_rad * floor_rad)
