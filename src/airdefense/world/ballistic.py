"""Ballistic missiles: boosted point masses in central gravity and standard-atmosphere drag,
with the launch solved so the impact lands on the aim point.

Model (batched over N missiles)
-------------------------------
- Non-rotating Earth: the scenario's ENU frame is treated as inertial (no Coriolis or
  centrifugal terms, no Earth-rotation launch velocity).
- Gravity of a point-mass Earth, g = -mu r / |r|^3 toward the Earth's centre, with
  mu = 3.986004418e14 m^3/s^2 (NIMA TR8350.2, Table 3.1, WGS-84 GM); no J2.
- Drag a = -rho |v| v / (2 beta), beta = m / (C_D A) the ballistic coefficient (kg/m^2),
  rho from the US Standard Atmosphere 1976 (:mod:`airdefense.world.atmosphere`); the
  standard form of Zarchan, *Tactical and Strategic Missile Guidance*, 6th ed. (2012),
  ch. 19 (ballistic target model). beta = inf gives a vacuum flight.
- Boost: a constant thrust acceleration a_T (net of mass change: the simplest model) for
  boost_time_s along a FIXED direction whose elevation above the launch site's local
  horizontal equals the loft angle, in the vertical plane toward the aim point. Gravity
  bends the path during the boost, so the flight-path angle at burnout is somewhat below
  the loft angle. The plane is taken through the Earth's centre, the launch and the aim
  point (the thrust direction is the local geodetic up projected into that plane, tilted
  by the loft angle toward the aim); gravity and drag lie in it, so the flight never
  leaves it and the only miss is down range.
- Free flight until the height above the ellipsoid falls to the aim's height (impact,
  end_s). During integration the height is |r| minus the ellipsoid's radius at the
  geocentric latitude, within 0.6 m of the geodetic height below 100 km (the normal and the
  radius differ by < 0.2 deg); output heights are exact (``Frame.height_m``).
- The launch is solved: a vectorised Illinois (modified regula falsi) iteration over all N
  missiles at once finds a_T such that the down-range miss is < 5 m (Dahlquist and Bjorck,
  *Numerical Methods* (1974), sec. 6.2.3). Range grows monotonically with a_T for a fixed
  loft, so the bracket is kept throughout.
- Integration: classical RK4 (Hairer, Norsett, Wanner, *Solving ODEs I*, Table 1.2) with a
  fixed step (0.5 s default; the boost uses boost_time / ceil(boost_time / step) so burnout
  is a step boundary). The impact is located on the step's cubic Hermite curve. Results are
  resampled on the grid t by cubic Hermite interpolation of position and velocity.
  Stability needs step << the drag time constant 2 beta / (rho v): beta >~ 500 kg/m^2.
- The integration (accelerations, RK4, impact test and crossing solve) runs compiled, in
  :mod:`airdefense.world._ballistic_kernels` (numba, missile by missile): time stepping is
  a sequential loop that cannot be vectorised over time, and over the few missiles of a
  raid each numpy call on (M, 3) arrays costs mostly its call overhead. The kernel follows
  the numpy formulas operation for operation (agreement to rounding, ~1e-9 m); the launch
  solve, the geometry and the resampling stay in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airdefense.geo import Frame
from airdefense.world import _ballistic_kernels as _kernels
from airdefense.world.atmosphere import _LOOKUP_H, _LOOKUP_LOG_RHO

FloatArray = NDArray[np.float64]

#: WGS-84 Earth gravitational constant GM (m^3/s^2), NIMA TR8350.2 Table 3.1.
MU_EARTH = _kernels.MU_EARTH
_MAX_FLIGHT_S = 3_600.0  # free-flight cap; a missile not down by then counts as overshooting
_TOL_M = 5.0  # down-range tolerance of the launch solve (m)
_MAX_ITER = 40


@dataclass(frozen=True)
class _Launch:
    """Per-missile constants of a launch (all (M, ...) arrays in the scenario ENU frame)."""

    p0: FloatArray  # (M, 3) launch position
    thrust_dir: FloatArray  # (M, 3) unit thrust direction
    boost_s: FloatArray  # (M,)
    inv_2beta: FloatArray  # (M,) 1 / (2 beta), 0 for vacuum
    aim_h: FloatArray  # (M,) impact height above the ellipsoid
    r_launch: FloatArray  # (M, 3) launch position from the Earth's centre
    plane_x: FloatArray  # (M, 3) unit down-range axis at the launch (in the flight plane)
    theta_aim: FloatArray  # (M,) central angle launch -> aim (rad)


class _Dynamics:
    """Constants of the compiled integration: the Earth's centre c in the scenario frame,
    the ECEF z axis of ENU vectors (for the geocentric latitude) and the density table."""

    def __init__(self, frame: Frame) -> None:
        self.c = np.ascontiguousarray(frame.gravity_centre_enu(), dtype=np.float64)
        # ECEF z of ENU vectors: z = v . rot[:, 2]
        self.z_axis = np.ascontiguousarray(frame.rot[:, 2], dtype=np.float64)
        self.tab_h = np.ascontiguousarray(_LOOKUP_H, dtype=np.float64)
        self.tab_log_rho = np.ascontiguousarray(_LOOKUP_LOG_RHO, dtype=np.float64)


def _hermite(
    p0: FloatArray, v0: FloatArray, p1: FloatArray, v1: FloatArray, h: FloatArray, s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Cubic Hermite position and velocity at fraction s (...,) of a step of length h."""
    s = s[..., None]
    h = h[..., None]
    s2, s3 = s * s, s * s * s
    pos = (
        (2 * s3 - 3 * s2 + 1) * p0
        + (s3 - 2 * s2 + s) * h * v0
        + (-2 * s3 + 3 * s2) * p1
        + (s3 - s2) * h * v1
    )
    vel = (
        (6 * s2 - 6 * s) / h * p0
        + (3 * s2 - 4 * s + 1) * v0
        + (-6 * s2 + 6 * s) / h * p1
        + (3 * s2 - 2 * s) * v1
    )
    return pos, vel


@dataclass
class _Flight:
    """Integrated flights of M missiles: states at the step boundaries and the impact."""

    n_boost: int
    boost_h: FloatArray  # (M,) boost step
    coast_h: float
    pos: FloatArray  # (S, M, 3) states at step boundaries (from launch)
    vel: FloatArray  # (S, M, 3)
    impact_step: NDArray[np.int64]  # (M,) index of the step in which the impact happens
    impact_frac: FloatArray  # (M,)
    impact_pos: FloatArray  # (M, 3)
    impact_vel: FloatArray  # (M, 3)
    flight_s: FloatArray  # (M,) time from launch to impact
    landed: NDArray[np.bool_]  # (M,) False if still flying at the cap
    burnout_speed: FloatArray  # (M,)


def _fly(dyn: _Dynamics, lc: _Launch, a_t: FloatArray, step_s: float, keep: bool) -> _Flight:
    """Integrate M missiles with thrust accelerations a_t (M,) from launch to impact
    (compiled: :func:`airdefense.world._ballistic_kernels.fly_kernel`, which also finds
    the impact on the step's Hermite curve)."""
    n_boost = max(1, int(np.ceil(np.max(lc.boost_s) / step_s)))
    hb = lc.boost_s / n_boost
    thrust = a_t[:, None] * lc.thrust_dir
    n_coast = int(np.ceil(_MAX_FLIGHT_S / step_s))
    pos, vel, imp_step, imp_frac, imp_p, imp_v, landed, burnout_speed, k = _kernels.fly_kernel(
        np.ascontiguousarray(lc.p0, dtype=np.float64),
        np.ascontiguousarray(thrust, dtype=np.float64),
        np.ascontiguousarray(hb, dtype=np.float64),
        n_boost,
        np.ascontiguousarray(lc.inv_2beta, dtype=np.float64),
        np.ascontiguousarray(lc.aim_h, dtype=np.float64),
        float(step_s),
        n_coast,
        dyn.c,
        dyn.z_axis,
        dyn.tab_h,
        dyn.tab_log_rho,
        keep,
    )
    flight = lc.boost_s + (imp_step - n_boost + imp_frac) * step_s
    flight = np.where(landed, flight, lc.boost_s + (k + 1) * step_s)
    return _Flight(
        n_boost,
        hb,
        step_s,
        pos,
        vel,
        imp_step,
        imp_frac,
        imp_p,
        imp_v,
        flight,
        landed,
        burnout_speed,
    )


def _downrange_error(dyn: _Dynamics, lc: _Launch, fl: _Flight) -> FloatArray:
    """Signed down-range miss (m, + = long) of the impact, measured as a central angle
    along the flight plane times the mean Earth radius; overshoot if not down."""
    r = fl.impact_pos - dyn.c
    x = np.sum(r * lc.plane_x, axis=-1)
    rl = lc.r_launch / np.linalg.norm(lc.r_launch, axis=-1, keepdims=True)
    z = np.sum(r * rl, axis=-1)
    theta = np.arctan2(x, z)
    err = (theta - lc.theta_aim) * 6_371_000.0
    return np.where(fl.landed, err, 1e9)


def fly_ballistic(
    frame: Frame,
    t: ArrayLike,
    launch_map: ArrayLike,
    aim_map: ArrayLike,
    launch_s: ArrayLike,
    loft_angle_rad: ArrayLike,
    boost_time_s: ArrayLike,
    ballistic_coefficient_kg_m2: ArrayLike,
    step_s: float = 0.5,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Fly N ballistic missiles from launch to aim point, the launch solved to hit the aim.

    Parameters
    ----------
    frame: the scenario frame.
    t: (T,) time grid, s.
    launch_map, aim_map: (N, 3) map east, north (m) and height above the ellipsoid (m).
    launch_s: (N,) launch times, s.
    loft_angle_rad: (N,) elevation of the thrust direction, rad (0 < loft < pi/2).
    boost_time_s: (N,) boost duration, s (> 0).
    ballistic_coefficient_kg_m2: (N,) beta = m / (C_D A), kg/m^2 (np.inf = no drag).
    step_s: RK4 step of the free flight, s.

    Returns
    -------
    pos (T, N, 3) ENU m, vel (T, N, 3) ENU m/s, height (T, N) m above the ellipsoid,
    end_s (N,) impact times, burnout_speed_mps (N,). Before launch the state is the launch
    state (at rest on the pad), after impact the impact state.
    """
    t = np.asarray(t, dtype=np.float64)
    launch = np.atleast_2d(np.asarray(launch_map, dtype=np.float64))
    aim = np.atleast_2d(np.asarray(aim_map, dtype=np.float64))
    n = launch.shape[0]
    if launch.shape != (n, 3) or aim.shape != (n, 3):
        raise ValueError("launch_map and aim_map must both have shape (N, 3)")
    t_launch = np.broadcast_to(np.asarray(launch_s, dtype=np.float64), (n,))
    loft = np.broadcast_to(np.asarray(loft_angle_rad, dtype=np.float64), (n,))
    boost = np.broadcast_to(np.asarray(boost_time_s, dtype=np.float64), (n,))
    beta = np.broadcast_to(np.asarray(ballistic_coefficient_kg_m2, dtype=np.float64), (n,))
    if np.any(~np.isfinite(launch)) or np.any(~np.isfinite(aim)):
        raise ValueError("launch_map and aim_map must be finite")
    if np.any((loft <= 0.0) | (loft >= 0.5 * np.pi)) or np.any(boost <= 0.0):
        raise ValueError("loft_angle_rad must be in (0, pi/2) and boost_time_s > 0")
    if np.any(~(beta > 0.0)):
        raise ValueError("ballistic_coefficient_kg_m2 must be > 0 (inf for vacuum)")

    dyn = _Dynamics(frame)
    p0 = frame.map_to_enu(launch[:, 0], launch[:, 1], launch[:, 2])
    pa = frame.map_to_enu(aim[:, 0], aim[:, 1], aim[:, 2])
    lat, lon = frame.map_to_geodetic(launch[:, 0], launch[:, 1])
    up_ecef = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)
    up = frame.vector_to_enu(up_ecef)
    r_l, r_a = p0 - dyn.c, pa - dyn.c
    normal = np.cross(r_l, r_a)
    nn = np.linalg.norm(normal, axis=-1, keepdims=True)
    # Degenerate (aim straight above/below the launch): any vertical plane will do.
    fallback = np.cross(up, np.array([0.0, 0.0, 1.0]) + 1e-3)
    normal = np.where(nn > 1e-6, normal / np.where(nn > 0, nn, 1.0), fallback)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    up_p = up - np.sum(up * normal, -1, keepdims=True) * normal
    up_p /= np.linalg.norm(up_p, axis=-1, keepdims=True)
    fwd = np.cross(normal, up_p)  # in-plane horizontal, toward the aim (r_l x r_a orientation)
    thrust_dir = np.cos(loft)[:, None] * fwd + np.sin(loft)[:, None] * up_p
    rl_u = r_l / np.linalg.norm(r_l, axis=-1, keepdims=True)
    plane_x = np.cross(normal, rl_u)
    theta_aim = np.arctan2(np.sum(r_a * plane_x, -1), np.sum(r_a * rl_u, -1))
    inv_2beta = np.where(np.isinf(beta), 0.0, 0.5 / np.where(np.isinf(beta), 1.0, beta))
    lc = _Launch(p0, thrust_dir, boost.copy(), inv_2beta, aim[:, 2].copy(), r_l, plane_x, theta_aim)

    a_t = _solve_thrust(dyn, lc, loft, step_s)
    fl = _fly(dyn, lc, a_t, step_s, keep=True)
    pos, vel = _resample(fl, lc, t[:, None] - t_launch[None, :])
    height = frame.height_m(pos)
    return pos, vel, height, t_launch + fl.flight_s, fl.burnout_speed


def _subset(lc: _Launch, idx: NDArray[np.int64]) -> _Launch:
    return _Launch(*(getattr(lc, f)[idx] for f in lc.__dataclass_fields__))


def _solve_thrust(dyn: _Dynamics, lc: _Launch, loft: FloatArray, step_s: float) -> FloatArray:
    """Thrust acceleration a_T (N,) putting each impact on its aim (Illinois iteration)."""
    g = MU_EARTH / np.sum(lc.r_launch**2, axis=-1)
    rng = np.abs(lc.theta_aim) * 6_371_000.0
    v_guess = np.sqrt(g * np.maximum(rng, 1.0) / np.sin(2.0 * loft))  # flat vacuum estimate
    a0 = v_guess / lc.boost_s + g * np.sin(loft)
    lo, hi = 0.7 * a0, 1.6 * a0
    all_idx = np.arange(a0.size)

    def err(a: FloatArray, idx: NDArray[np.int64]) -> FloatArray:
        sub = _subset(lc, idx)
        return _downrange_error(dyn, sub, _fly(dyn, sub, a, step_s, keep=False))

    f_lo, f_hi = err(lo, all_idx), err(hi, all_idx)
    for _ in range(20):  # widen the bracket where needed
        bad_lo, bad_hi = f_lo > 0.0, f_hi < 0.0
        if not (bad_lo.any() or bad_hi.any()):
            break
        if bad_lo.any():
            i = all_idx[bad_lo]
            lo[i] *= 0.6
            f_lo[i] = err(lo[i], i)
        if bad_hi.any():
            i = all_idx[bad_hi]
            lo[i] = np.where(f_hi[i] < 0.0, hi[i], lo[i])
            f_lo[i] = np.where(f_hi[i] < 0.0, f_hi[i], f_lo[i])
            hi[i] *= 1.5
            f_hi[i] = err(hi[i], i)
    a = np.where(np.abs(f_lo) < np.abs(f_hi), lo, hi)
    f_best = np.minimum(np.abs(f_lo), np.abs(f_hi))
    side = np.zeros(a.size, dtype=np.int64)  # Illinois: which end was kept last
    for _ in range(_MAX_ITER):
        active = all_idx[f_best > _TOL_M]
        if active.size == 0:
            break
        fl_, fh_ = f_lo[active], f_hi[active]
        x = (lo[active] * fh_ - hi[active] * fl_) / (fh_ - fl_)
        fx = err(x, active)
        a[active], f_best[active] = x, np.abs(fx)
        neg = fx < 0.0
        i_n, i_p = active[neg], active[~neg]
        lo[i_n], f_lo[i_n] = x[neg], fx[neg]
        f_hi[i_n] = np.where(side[i_n] == -1, 0.5 * f_hi[i_n], f_hi[i_n])
        side[i_n] = -1
        hi[i_p], f_hi[i_p] = x[~neg], fx[~neg]
        f_lo[i_p] = np.where(side[i_p] == 1, 0.5 * f_lo[i_p], f_lo[i_p])
        side[i_p] = 1
    return a


def _resample(fl: _Flight, lc: _Launch, tau: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cubic Hermite resampling of the stored steps at times tau (T, N) after launch."""
    m = lc.p0.shape[0]
    s_total = fl.pos.shape[0] - 1
    q = np.clip(tau, 0.0, fl.flight_s[None, :])
    in_boost = q < lc.boost_s[None, :]
    kb = np.minimum(np.floor(q / fl.boost_h[None, :]), fl.n_boost - 1)
    kc = fl.n_boost + np.floor((q - lc.boost_s[None, :]) / fl.coast_h)
    k = np.where(in_boost, kb, kc).astype(np.int64)
    k = np.clip(k, 0, np.minimum(fl.impact_step, s_total - 1)[None, :])
    t_k = np.where(
        k < fl.n_boost, k * fl.boost_h[None, :], lc.boost_s[None, :] + (k - fl.n_boost) * fl.coast_h
    )
    h = np.where(k < fl.n_boost, fl.boost_h[None, :], fl.coast_h)
    s = np.clip((q - t_k) / h, 0.0, 1.0)
    cols = np.arange(m)[None, :]
    pos, vel = _hermite(
        fl.pos[k, cols], fl.vel[k, cols], fl.pos[k + 1, cols], fl.vel[k + 1, cols], h, s
    )
    after = tau >= fl.flight_s[None, :]
    pos = np.where(after[..., None], fl.impact_pos[None], pos)
    vel = np.where(after[..., None], fl.impact_vel[None], vel)
    return pos, vel
