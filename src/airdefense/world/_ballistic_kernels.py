"""Compiled (numba) kernel of the ballistic flight integration (:mod:`airdefense.world.ballistic`).

Why a loop and not numpy: the fixed-step RK4 is sequential in time (step k + 1 needs step
k), so only the few missiles of a raid can be vectorised; one step is ~40 numpy calls on
(M, 3) arrays with M ~ 4, and at that size the per-call overhead (~1 us each) is the
whole cost: a launch solve integrates each flight ~10 times, ~1.5e5 numpy calls for four
~300 s flights. Compiled, each missile is integrated from launch to impact in registers
(missile by missile: the flights are independent), and a step costs ~0.1 us.

The arithmetic follows the plain-numpy formulas of the model (module docstring of
:mod:`airdefense.world.ballistic`), operation for operation and in the same order (``fastmath=False``: no
reassociation, no FMA contraction): point-mass gravity, drag with the density of
:func:`airdefense.world.atmosphere.density_lookup_kg_m3` (``np.interp`` on its 10 m
log-density table, then ``exp``), the geocentric-latitude height, classical RK4, the
impact test and the secant solve on the step's cubic Hermite curve. Results agree with
numpy to rounding, not bit for bit: numpy evaluates ``exp`` and ``x**3`` with its own
SIMD routines and ``r @ z`` with fused multiply-adds, each within an ulp of libm's
correctly rounded results used here (``tests/world/test_world_ballistic.py`` keeps a
plain-numpy reference of the equations and checks the kernel against it).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from airdefense._jit import interp1
from airdefense.geo import WGS84_A, WGS84_B

#: WGS-84 Earth gravitational constant GM (m^3/s^2), NIMA TR8350.2 Table 3.1 (re-exported
#: as :data:`airdefense.world.ballistic.MU_EARTH`).
MU_EARTH = 3.986004418e14
# Ellipsoid constants of the geocentric-latitude radius, computed as numpy did.
_AB = WGS84_A * WGS84_B
_A2 = WGS84_A**2
_B2 = WGS84_B**2


@njit(cache=True, fastmath=False, nogil=True)
def _height_r(rx, ry, rz, rn, zx, zy, zz):
    """|r| - ellipsoid radius at the geocentric latitude, r from the Earth's centre."""
    sphi = (rx * zx + ry * zy + rz * zz) / rn
    c2 = 1.0 - sphi * sphi
    re = _AB / math.sqrt(_B2 * c2 + _A2 * sphi * sphi)
    return rn - re


@njit(cache=True, fastmath=False, nogil=True)
def height(px, py, pz, c, z_axis):
    """Height (geocentric-latitude approximation) of the scenario-frame position p."""
    rx = px - c[0]
    ry = py - c[1]
    rz = pz - c[2]
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    return _height_r(rx, ry, rz, rn, z_axis[0], z_axis[1], z_axis[2])


@njit(cache=True, fastmath=False, nogil=True)
def accel(px, py, pz, vx, vy, vz, tx, ty, tz, inv_2beta, c, z_axis, tab_h, tab_log_rho):
    """Thrust + point-mass gravity (-mu r/|r|^3) + drag (-rho |v| v / (2 beta))."""
    rx = px - c[0]
    ry = py - c[1]
    rz = pz - c[2]
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    rn3 = rn**3.0
    gx = -MU_EARTH * rx / rn3
    gy = -MU_EARTH * ry / rn3
    gz = -MU_EARTH * rz / rn3
    h = _height_r(rx, ry, rz, rn, z_axis[0], z_axis[1], z_axis[2])
    rho = math.exp(interp1(h, tab_h, tab_log_rho))
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    k = -(rho * inv_2beta) * speed
    return tx + gx + k * vx, ty + gy + k * vy, tz + gz + k * vz


@njit(cache=True, fastmath=False, nogil=True)
def rk4(px, py, pz, vx, vy, vz, h, tx, ty, tz, inv_2beta, c, z_axis, tab_h, tab_log_rho):
    """One classical RK4 step of (p, v) of length h; returns the new (p, v)."""
    hh = 0.5 * h
    a1x, a1y, a1z = accel(
        px, py, pz, vx, vy, vz, tx, ty, tz, inv_2beta, c, z_axis, tab_h, tab_log_rho
    )
    p2x, p2y, p2z = px + hh * vx, py + hh * vy, pz + hh * vz
    v2x, v2y, v2z = vx + hh * a1x, vy + hh * a1y, vz + hh * a1z
    a2x, a2y, a2z = accel(
        p2x, p2y, p2z, v2x, v2y, v2z, tx, ty, tz, inv_2beta, c, z_axis, tab_h, tab_log_rho
    )
    p3x, p3y, p3z = px + hh * v2x, py + hh * v2y, pz + hh * v2z
    v3x, v3y, v3z = vx + hh * a2x, vy + hh * a2y, vz + hh * a2z
    a3x, a3y, a3z = accel(
        p3x, p3y, p3z, v3x, v3y, v3z, tx, ty, tz, inv_2beta, c, z_axis, tab_h, tab_log_rho
    )
    p4x, p4y, p4z = px + h * v3x, py + h * v3y, pz + h * v3z
    v4x, v4y, v4z = vx + h * a3x, vy + h * a3y, vz + h * a3z
    a4x, a4y, a4z = accel(
        p4x, p4y, p4z, v4x, v4y, v4z, tx, ty, tz, inv_2beta, c, z_axis, tab_h, tab_log_rho
    )
    h6 = h / 6.0
    return (
        px + h6 * (vx + 2.0 * v2x + 2.0 * v3x + v4x),
        py + h6 * (vy + 2.0 * v2y + 2.0 * v3y + v4y),
        pz + h6 * (vz + 2.0 * v2z + 2.0 * v3z + v4z),
        vx + h6 * (a1x + 2.0 * a2x + 2.0 * a3x + a4x),
        vy + h6 * (a1y + 2.0 * a2y + 2.0 * a3y + a4y),
        vz + h6 * (a1z + 2.0 * a2z + 2.0 * a3z + a4z),
    )


@njit(cache=True, fastmath=False, nogil=True)
def _hermite_pos(p0, v0, p1, v1, h, s):
    """Cubic Hermite position (one coordinate) at fraction s of a step of length h."""
    s2 = s * s
    s3 = s * s * s
    return (
        (2.0 * s3 - 3.0 * s2 + 1.0) * p0
        + (s3 - 2.0 * s2 + s) * h * v0
        + (-2.0 * s3 + 3.0 * s2) * p1
        + (s3 - s2) * h * v1
    )


@njit(cache=True, fastmath=False, nogil=True)
def _hermite_vel(p0, v0, p1, v1, h, s):
    """Cubic Hermite velocity (one coordinate) at fraction s of a step of length h."""
    s2 = s * s
    return (
        (6.0 * s2 - 6.0 * s) / h * p0
        + (3.0 * s2 - 4.0 * s + 1.0) * v0
        + (-6.0 * s2 + 6.0 * s) / h * p1
        + (3.0 * s2 - 2.0 * s) * v1
    )


@njit(cache=True, fastmath=False, nogil=True)
def _crossing(p0, v0, p1, v1, h, aim_h, c, z_axis):
    """Fraction of a step at which the Hermite curve's height equals aim_h (secant with a
    kept bracket, 8 iterations: metre-level on steps of ~1 km)."""
    lo = 0.0
    hi = 1.0
    f_lo = height(p0[0], p0[1], p0[2], c, z_axis) - aim_h
    f_hi = height(p1[0], p1[1], p1[2], c, z_axis) - aim_h
    s = 0.5
    for _ in range(8):
        denom = f_lo - f_hi
        if abs(denom) > 0.0:
            s = lo + f_lo * (hi - lo) / denom
        else:
            s = 0.5 * (lo + hi)
        s = min(max(s, lo), hi)
        qx = _hermite_pos(p0[0], v0[0], p1[0], v1[0], h, s)
        qy = _hermite_pos(p0[1], v0[1], p1[1], v1[1], h, s)
        qz = _hermite_pos(p0[2], v0[2], p1[2], v1[2], h, s)
        f = height(qx, qy, qz, c, z_axis) - aim_h
        if f > 0.0:
            lo = s
            f_lo = f
        else:
            hi = s
            f_hi = f
    return s


@njit(cache=True, fastmath=False, nogil=True)
def fly_kernel(
    p0,
    thrust,
    boost_h,
    n_boost,
    inv_2beta,
    aim_h,
    coast_h,
    n_coast,
    c,
    z_axis,
    tab_h,
    tab_log_rho,
    keep,
):
    """Integrate M missiles from launch (at rest at p0 (M, 3)) to impact.

    Boost: n_boost RK4 steps of boost_h (M,) with thrust acceleration thrust (M, 3); then
    at most n_coast coast steps of coast_h until the height falls to aim_h (M,) while
    descending; the impact is on the step's cubic Hermite curve. All missiles share the
    step grid: the states stored (``keep``) at step boundaries run to the step in which
    the last missile comes down; a missile down earlier repeats its post-impact step state
    (as the lockstep numpy integration did). Without ``keep`` only the final (pre-impact
    step) state is returned.

    Returns pos, vel (S, M, 3), impact step (M,), impact fraction (M,), impact position and
    velocity (M, 3), landed (M,), burnout speed (M,) and the last coast step index k.
    """
    m = p0.shape[0]
    s_max = 1 + n_boost + n_coast if keep else 1
    pos = np.empty((s_max, m, 3))
    vel = np.empty((s_max, m, 3))
    imp_step = np.full(m, -1, dtype=np.int64)
    imp_frac = np.ones(m)
    imp_p = np.empty((m, 3))
    imp_v = np.empty((m, 3))
    landed = np.zeros(m, dtype=np.bool_)
    burnout = np.empty(m)
    last_k = np.full(m, n_coast - 1, dtype=np.int64)
    a = np.empty(3)
    b = np.empty(3)
    e = np.empty(3)
    f = np.empty(3)
    for i in range(m):
        px, py, pz = p0[i, 0], p0[i, 1], p0[i, 2]
        vx, vy, vz = 0.0, 0.0, 0.0
        tx, ty, tz = thrust[i, 0], thrust[i, 1], thrust[i, 2]
        ib = inv_2beta[i]
        hb = boost_h[i]
        if keep:
            pos[0, i, 0], pos[0, i, 1], pos[0, i, 2] = px, py, pz
            vel[0, i, 0], vel[0, i, 1], vel[0, i, 2] = vx, vy, vz
        for j in range(n_boost):
            px, py, pz, vx, vy, vz = rk4(
                px, py, pz, vx, vy, vz, hb, tx, ty, tz, ib, c, z_axis, tab_h, tab_log_rho
            )
            if keep:
                pos[j + 1, i, 0], pos[j + 1, i, 1], pos[j + 1, i, 2] = px, py, pz
                vel[j + 1, i, 0], vel[j + 1, i, 1], vel[j + 1, i, 2] = vx, vy, vz
        burnout[i] = math.sqrt(vx * vx + vy * vy + vz * vz)
        h_prev = height(px, py, pz, c, z_axis)
        for k in range(n_coast):
            qx, qy, qz, wx, wy, wz = rk4(
                px, py, pz, vx, vy, vz, coast_h, 0.0, 0.0, 0.0, ib, c, z_axis, tab_h, tab_log_rho
            )
            h1 = height(qx, qy, qz, c, z_axis)
            if keep:
                row = 1 + n_boost + k
                pos[row, i, 0], pos[row, i, 1], pos[row, i, 2] = qx, qy, qz
                vel[row, i, 0], vel[row, i, 1], vel[row, i, 2] = wx, wy, wz
            if h1 <= aim_h[i] and h1 < h_prev:
                a[0], a[1], a[2] = px, py, pz
                b[0], b[1], b[2] = vx, vy, vz
                e[0], e[1], e[2] = qx, qy, qz
                f[0], f[1], f[2] = wx, wy, wz
                s = _crossing(a, b, e, f, coast_h, aim_h[i], c, z_axis)
                for d in range(3):
                    imp_p[i, d] = _hermite_pos(a[d], b[d], e[d], f[d], coast_h, s)
                    imp_v[i, d] = _hermite_vel(a[d], b[d], e[d], f[d], coast_h, s)
                imp_step[i] = n_boost + k
                imp_frac[i] = s
                landed[i] = True
                last_k[i] = k
                break
            px, py, pz, vx, vy, vz = qx, qy, qz, wx, wy, wz
            h_prev = h1
        if not landed[i]:
            imp_p[i, 0], imp_p[i, 1], imp_p[i, 2] = px, py, pz
            imp_v[i, 0], imp_v[i, 1], imp_v[i, 2] = vx, vy, vz
        if not keep:
            pos[0, i, 0], pos[0, i, 1], pos[0, i, 2] = px, py, pz
            vel[0, i, 0], vel[0, i, 1], vel[0, i, 2] = vx, vy, vz
    k_end = n_coast - 1
    if m > 0:  # last_k.max(), as a loop: numba's array max compiles for ~0.6 s
        k_end = last_k[0]
        for i in range(1, m):
            k_end = max(k_end, last_k[i])
    for i in range(m):
        if not landed[i]:
            imp_step[i] = n_boost + k_end
    if not keep:
        return pos, vel, imp_step, imp_frac, imp_p, imp_v, landed, burnout, k_end
    # a missile down before the last repeats its post-impact state to the end
    s_out = 2 + n_boost + k_end
    for i in range(m):
        row_imp = 1 + n_boost + last_k[i]
        for row in range(row_imp + 1, s_out):
            for d in range(3):
                pos[row, i, d] = pos[row_imp, i, d]
                vel[row, i, d] = vel[row_imp, i, d]
    return (
        pos[:s_out].copy(),
        vel[:s_out].copy(),
        imp_step,
        imp_frac,
        imp_p,
        imp_v,
        landed,
        burnout,
        k_end,
    )
