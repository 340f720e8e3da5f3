"""US Standard Atmosphere 1976: temperature, pressure, density and speed of sound.

Source: NOAA/NASA/USAF, *U.S. Standard Atmosphere, 1976*, NOAA-S/T 76-1562 (Washington,
1976), part 1: constants (Table 2), the seven geopotential layers below 84.852 km' (Table 4),
the molecular-weight ratio M/M0 between 80 and 86 km (Table 8), and the equations cited
on each function. Valid for geometric heights 0-86 km; above 86 km an isothermal
exponential tail continues the 86 km values (an approximation, not the standard's
upper-atmosphere model; density there is < 7e-6 kg/m^3 and matters little for drag).
Below 0 m the lowest layer's formulas are extrapolated (heights are clipped at -5 km).

Everything is vectorised: the functions take arrays of heights (m above sea level, taken
as height above the ellipsoid) of any shape.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Standard sea-level gravity g0 (m/s^2), NOAA-S/T 76-1562 Table 2.
G0 = 9.80665
#: Effective Earth radius r0 for the geopotential conversion (m), Table 2.
R0 = 6_356_766.0
#: Universal gas constant R* (J/(kmol K)), Table 2 (the 1976 value).
R_STAR = 8_314.32
#: Sea-level mean molecular weight M0 (kg/kmol), Table 2.
M0 = 28.9644
#: Ratio of specific heats of air, Table 2.
GAMMA = 1.40
#: Specific gas constant of air R*/M0 (J/(kg K)).
R_AIR = R_STAR / M0

# Table 4: layer bases (geopotential m') and molecular-scale temperature gradients (K/m').
_HB = np.array([0.0, 11_000.0, 20_000.0, 32_000.0, 47_000.0, 51_000.0, 71_000.0, 84_852.0])
_LB = np.array([-0.0065, 0.0, 0.001, 0.0028, 0.0, -0.0028, -0.002, 0.0])
_GMR = G0 * M0 / R_STAR  # g0 M0 / R* (K/m'), the hydrostatic constant of eq. (33)


def _layer_bases() -> tuple[FloatArray, FloatArray]:
    """Base temperatures T_Mb (eq. 23) and pressures P_b (eq. 33a/33b) of each layer."""
    tb = np.empty(_HB.size)
    pb = np.empty(_HB.size)
    tb[0], pb[0] = 288.15, 101_325.0
    for i in range(1, _HB.size):
        dh = _HB[i] - _HB[i - 1]
        tb[i] = tb[i - 1] + _LB[i - 1] * dh
        if _LB[i - 1] == 0.0:
            pb[i] = pb[i - 1] * np.exp(-_GMR * dh / tb[i - 1])
        else:
            pb[i] = pb[i - 1] * (tb[i - 1] / tb[i]) ** (_GMR / _LB[i - 1])
    return tb, pb


_TB, _PB = _layer_bases()

# Table 8: M/M0 at geometric heights 80.0-86.0 km in 0.5 km steps.
_Z_MRATIO = np.arange(80_000.0, 86_001.0, 500.0)
_MRATIO = np.array(
    [
        1.000000,
        0.999996,
        0.999989,
        0.999971,
        0.999941,
        0.999909,
        0.999870,
        0.999829,
        0.999786,
        0.999741,
        0.999694,
        0.999641,
        0.999579,
    ]
)

#: Geometric top of the standard's lower atmosphere (m); above it the exponential tail.
Z_TOP_M = 86_000.0


def geopotential_height_m(z_m: ArrayLike) -> FloatArray:
    """Geopotential height H (m') of a geometric height Z (m): H = r0 Z / (r0 + Z).

    NOAA-S/T 76-1562, eq. (18).
    """
    z = np.asarray(z_m, dtype=np.float64)
    return R0 * z / (R0 + z)


def _molecular_state(z_m: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Molecular-scale temperature T_M (K), pressure P (Pa) and geometric height (m), all
    for heights clipped to [-5 km, 86 km] (the tail is applied by the callers)."""
    z = np.clip(np.asarray(z_m, dtype=np.float64), -5_000.0, Z_TOP_M)
    h = geopotential_height_m(z)
    i = np.clip(np.searchsorted(_HB, h, side="right") - 1, 0, _HB.size - 2)
    lb, tb, pb, hb = _LB[i], _TB[i], _PB[i], _HB[i]
    tm = tb + lb * (h - hb)  # eq. (23)
    iso = lb == 0.0
    safe_lb = np.where(iso, 1.0, lb)
    p_grad = pb * (tb / tm) ** (_GMR / safe_lb)  # eq. (33a)
    p_iso = pb * np.exp(-_GMR * (h - hb) / tb)  # eq. (33b)
    return tm, np.where(iso, p_iso, p_grad), z


def _tail(z_m: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Above 86 km: factor exp(-(Z - 86 km) / Hs), isothermal scale height Hs = R T_M / g at
    86 km (g = g0 (r0 / (r0 + Z))^2, eq. 17); returns (factor, mask above 86 km)."""
    z = np.asarray(z_m, dtype=np.float64)
    g86 = G0 * (R0 / (R0 + Z_TOP_M)) ** 2
    hs = R_AIR * _TB[-1] / g86
    above = z > Z_TOP_M
    return np.where(above, np.exp(-(np.maximum(z, Z_TOP_M) - Z_TOP_M) / hs), 1.0), above


def temperature_k(z_m: ArrayLike) -> FloatArray:
    """Kinetic temperature T (K) at geometric height Z (m): T = T_M (M / M0).

    NOAA-S/T 76-1562 eq. (23) for T_M and Table 8 for M/M0 (80-86 km); constant above 86 km.
    """
    tm, _, z = _molecular_state(z_m)
    return tm * np.interp(z, _Z_MRATIO, _MRATIO, left=1.0, right=_MRATIO[-1])


def pressure_pa(z_m: ArrayLike) -> FloatArray:
    """Pressure P (Pa) at geometric height Z (m). NOAA-S/T 76-1562 eq. (33a), (33b)."""
    _, p, _ = _molecular_state(z_m)
    factor, _ = _tail(z_m)
    return p * factor


def density_kg_m3(h_m: ArrayLike) -> FloatArray:
    """Mass density rho (kg/m^3) at geometric height h (m): rho = P M0 / (R* T_M).

    NOAA-S/T 76-1562 eq. (42); exponential tail above 86 km (module docstring).
    """
    tm, p, _ = _molecular_state(h_m)
    factor, _ = _tail(h_m)
    return p * M0 / (R_STAR * tm) * factor


def speed_of_sound_mps(z_m: ArrayLike) -> FloatArray:
    """Speed of sound C_s (m/s) at geometric height Z (m): C_s = sqrt(gamma R* T_M / M0).

    NOAA-S/T 76-1562 eq. (50); constant above 86 km.
    """
    tm, _, _ = _molecular_state(z_m)
    return np.sqrt(GAMMA * R_STAR * tm / M0)


#: Heights (m) of the density lookup table: -5 km to 150 km every 10 m.
_LOOKUP_H = np.arange(-5_000.0, 150_001.0, 10.0)
_LOOKUP_LOG_RHO = np.log(density_kg_m3(_LOOKUP_H))


def density_lookup_kg_m3(h_m: ArrayLike) -> FloatArray:
    """Density from a 10 m table of log(rho) of :func:`density_kg_m3`, for integrators that
    call it at every step: linear in log(rho) (exact for the isothermal layers' exponential
    profile), within 5e-5 relative (at the layer kinks; 1e-6 elsewhere) of the standard's formulas. Clamped beyond the table."""
    return np.exp(np.interp(np.asarray(h_m, dtype=np.float64), _LOOKUP_H, _LOOKUP_LOG_RHO))
