"""The monostatic radar range equation for a point target, in SNR form.

Source: M. A. Richards, *Fundamentals of Radar Signal Processing*, 2nd ed. (2014),
sec. 2.3 (the radar range equation in SNR form, with the noise power k T_s B and
B = 1/tau for a matched filter); equivalently B. R. Mahafza, *Radar Systems Analysis and
Design Using MATLAB*, 3rd ed. (2013), eq. (1.56) with B = 1/tau and F folded into T_s.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Speed of light in vacuum (m/s), exact (SI 2019).
SPEED_OF_LIGHT_MPS = 299_792_458.0
#: Boltzmann constant (J/K), exact (SI 2019).
BOLTZMANN_J_PER_K = 1.380649e-23


def snr_constant_db(
    peak_power_w: ArrayLike,
    antenna_gain_db: ArrayLike,
    frequency_hz: ArrayLike,
    system_noise_temperature_k: ArrayLike,
    pulse_width_s: ArrayLike,
    losses_db: ArrayLike = 0.0,
) -> FloatArray:
    """10 log10 of Pt G^2 lambda^2 tau / ((4 pi)^3 k Ts L): SNR (dB) of 1 m^2 at 1 m.

    The radar-dependent part of :func:`radar_equation_snr_db`; the SNR of a target is this
    plus 10 log10(sigma) - 40 log10(R).
    """
    lam = SPEED_OF_LIGHT_MPS / np.asarray(frequency_hz, dtype=np.float64)
    num = (
        np.asarray(peak_power_w, dtype=np.float64)
        * lam
        * lam
        * np.asarray(pulse_width_s, dtype=np.float64)
    )
    den = (
        (4.0 * np.pi) ** 3
        * BOLTZMANN_J_PER_K
        * np.asarray(system_noise_temperature_k, dtype=np.float64)
    )
    return (
        10.0 * np.log10(num / den)
        + 2.0 * np.asarray(antenna_gain_db, dtype=np.float64)
        - np.asarray(losses_db, dtype=np.float64)
    )


def radar_equation_snr_db(
    peak_power_w: ArrayLike,
    antenna_gain_db: ArrayLike,
    frequency_hz: ArrayLike,
    rcs_m2: ArrayLike,
    range_m: ArrayLike,
    system_noise_temperature_k: ArrayLike,
    pulse_width_s: ArrayLike,
    losses_db: ArrayLike = 0.0,
    n_pulses: ArrayLike = 1,
) -> FloatArray:
    """Single-pulse SNR (dB) of a point target: Pt G^2 lambda^2 sigma tau / ((4pi)^3 k Ts R^4 L).

    Richards (2014) sec. 2.3 / Mahafza (2013) eq. (1.56) with noise bandwidth B = 1/tau.
    ``n_pulses`` is accepted for symmetry with :func:`~airdefense.sensors.detection_probability`
    but does **not** change the result: this is always the single-pulse SNR, and the
    non-coherent integration of ``n_pulses`` is accounted for in the Pd / required-SNR
    formulas, which take the single-pulse SNR. Arrays broadcast.
    """
    if np.any(np.asarray(n_pulses) < 1):
        raise ValueError("n_pulses must be >= 1")
    c = snr_constant_db(
        peak_power_w,
        antenna_gain_db,
        frequency_hz,
        system_noise_temperature_k,
        pulse_width_s,
        losses_db,
    )
    return (
        c
        + 10.0 * np.log10(np.asarray(rcs_m2, dtype=np.float64))
        - 40.0 * np.log10(np.asarray(range_m, dtype=np.float64))
    )
