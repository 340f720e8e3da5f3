"""Interceptor flyout: batched 3-DoF point-mass flight, guidance, closest approach and kill.

Model (every interceptor in flight, integrated together)
--------------------------------------------------------
- **Point mass** in the scenario's ENU frame, treated as inertial (no Earth rotation), with
  WGS-84 point-mass gravity, drag ``1/2 rho V^2 S C_D`` in the US Standard Atmosphere 1976,
  and thrust ``Isp g0 mdot`` along the velocity while the boost and the sustain phase burn
  their propellant at constant rates (Sutton and Biblarz, *Rocket Propulsion Elements*, 9th
  ed. (2017), ch. 2-3; with no drag and gravity the speed gain is Tsiolkovsky's
  ``Isp g0 ln(m0/m1)``, ch. 4, which a test checks). No angle of attack: no induced drag.
- **Launch**: the interceptor leaves the launcher at :data:`LAUNCH_SPEED_MPS` toward its
  first aim point (see loft), at least :data:`MIN_LAUNCH_ELEVATION_DEG` above the horizontal:
  the turnover of a vertical launch (a second or so, by gas vanes or jets) is not modelled.
- **Midcourse**: command guidance from the latest track estimate (:meth:`Flyout.command`),
  extrapolated at constant velocity, by true proportional navigation (PN, below) on an aim
  point raised above the target by ``loft x`` the horizontal distance still to fly (the
  range to the target shortened by its closing speed against the type's average speed,
  ``max_range / max_flight_time``), the raise faded out between two seeker ranges and one.
  The loft gain of each launch is the one that reaches the
  launch's predicted intercept point soonest (:func:`flyout_table` tries
  :data:`LOFT_GAINS`): long shots climb into thin air, as long-range SAM trajectories do.
  The altitude-biased aim is this model's assumption, not a published law.
- **Terminal**: inside the seeker's acquisition range the interceptor homes on the *true*
  target (:meth:`Truth.state_at`'s interpolation) by PN with the preset's N'.
- **PN**: ``a_c = N' V_c dlambda/dt`` normal to the line of sight (Zarchan, *Tactical and
  Strategic Missile Guidance*, 6th ed. (2012), ch. 2), plus the normal component of
  gravity cancelled (gravity compensation, an assumption), made normal to the velocity and
  limited to ``min(max_lateral_g g0, max(q S C_N,max / m, reaction jets in terminal))``:
  the aerodynamic part falls with air density (normal-force-limited manoeuvre, Fleeman,
  *Tactical Missile Design*, 2nd ed. (2006), ``n = C_N q S_ref / W``). Against a step target
  manoeuvre the required acceleration tends to ``N'/(N'-2)`` times the target's (Zarchan,
  ch. 2-3), which a test checks.
- **End of flight**: with the relative position ``r`` and velocity ``w`` to the true target at
  the start of a sub-step, the closest approach ``min |r + w t|`` over the sub-step
  (``t* = -r.w/|w|^2``); a pass within the lethal radius kills with probability
  ``reliability x warhead_pk[target category]`` (the cookie-cutter damage function; Driels,
  *Weaponeering: Conventional Weapon System Effectiveness*, 2nd ed. (2013)), drawn from the
  stage's Generator; any other pass is a ``miss`` (also a range that starts to open in
  midcourse: the interceptor has been outflown). Also: ``ground`` (below the ellipsoid:
  terrain is not modelled), ``timeout`` (``max_flight_time_s``: self-destruct) and
  ``target_gone``: the target's trajectory had ended when the window began (the loop, which
  reads each window's kills, did not :meth:`Flyout.retarget` the interceptor), or the pass
  came after another interceptor's kill in the same sub-step. An interceptor whose target
  dies inside a window flies on, on its last command, to the end of the window.
- **Integration**: explicit midpoint steps of ``dt_s`` with the guidance command held over
  each step, compiled (:mod:`airdefense.engagement._flyout_kernels` says why).

Feasibility
-----------
:func:`flyout_table` flies the missile, batched, at fixed points on a grid of ground range
and height (one flight per point and loft gain) and keeps the time of the fastest flight that
passes within the lethal radius at more than :data:`MIN_ARRIVAL_SPEED_MPS`, inside the
preset's envelope (NaN elsewhere). :func:`intercept_point` solves, for many (threat, missile)
pairs at once, the earliest time at which the missile's flyout time to the threat's predicted
position fits in the time left.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airdefense.engagement import _flyout_kernels as _k
from airdefense.engagement import _intercept_kernels as _ik
from airdefense.files import cache_dir
from airdefense.geo import EARTH_MEAN_RADIUS_M, WGS84_A, WGS84_B, Frame
from airdefense.systems.models import MissilePreset
from airdefense.world.atmosphere import _LOOKUP_H, _LOOKUP_LOG_RHO, density_lookup_kg_m3
from airdefense.world.truth import Truth

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = [
    "CATEGORIES",
    "LOFT_GAINS",
    "OUTCOMES",
    "PATH_STEP_S",
    "REASONS",
    "Flyout",
    "FlyoutEvents",
    "FlyoutTable",
    "InterceptSolution",
    "PackedTables",
    "closest_approach",
    "flyout_table",
    "flyout_time_table",
    "intercept_point",
    "lateral_limit_mps2",
    "parameter_table",
]

#: Outcome names, indexed by the kernel's codes (0 = still flying).
OUTCOMES = ("flying", "kill", "miss", "timeout", "ground", "target_gone")
#: Why an intercept is infeasible (0 = feasible), see :func:`intercept_point`.
REASONS = ("ok", "out_of_altitude", "out_of_range", "too_late")
#: Threat categories of :class:`~airdefense.systems.models.ThreatPreset`; others use Pk 1.
CATEGORIES = ("ballistic", "cruise", "drone", "aircraft", "civil")
#: Speed at which an interceptor leaves the launcher (m/s). Assumption: a gas catapult or a
#: canister exit of a few tens of m/s (the motor ignites just after).
LAUNCH_SPEED_MPS = 30.0
#: Lowest launch elevation (deg). Assumption: a vertical launch turned over toward a low aim
#: leaves climbing; below ~20 deg the uncontrolled first second would sag into the ground.
MIN_LAUNCH_ELEVATION_DEG = 20.0
#: Slowest arrival (m/s) counted as reaching a point. Assumption: below ~Mach 0.75 a spent
#: interceptor has too little dynamic pressure left to manoeuvre onto a target.
MIN_ARRIVAL_SPEED_MPS = 250.0
#: An interceptor is on the ground this far (m) below its launcher's height or the ellipsoid,
#: whichever is lower (the margin covers the kernels' ~0.6 m height approximation).
GROUND_MARGIN_M = 2.0
#: Loft gains tried per grid point (raise of the midcourse aim per metre of range to go).
LOFT_GAINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.45, 0.6)
#: Integration step of the tables (s): coarser than the flyout's; flights at the tables'
#: points agree with them to ~1 % (a test checks).
TABLE_STEP_S = 0.1
#: Step (s of flight) at which an interceptor's flown path is recorded.
PATH_STEP_S = 0.5
#: Grid of the tables a :class:`Flyout` uses (points over range x height).
TABLE_RANGES = 31
TABLE_HEIGHTS = 13

_G0 = _k.G0
# Source text of the model: part of the table cache key, so a change recomputes the tables.
_MODEL_HASH = hashlib.sha256(
    Path(__file__).read_bytes() + Path(_k.__file__).read_bytes()
).hexdigest()[:16]
#: The default-grid tables of every catalog missile, computed once and shipped with the
#: package (``make flyout-tables`` writes it); used while their model hash is this one's.
SHIPPED_TABLES = Path(__file__).with_name("flyout_tables.npz")
#: The arrays of a :class:`FlyoutTable` that are computed (the rest come from the preset).
_TABLE_ARRAYS = ("time_s", "loft", "speed_mps", "apex_m", "peak_speed_mps")


# ---------------------------------------------------------------------------------------------
# Parameters and small pure functions
# ---------------------------------------------------------------------------------------------


def parameter_table(presets: Sequence[MissilePreset]) -> FloatArray:
    """The kernels' per-type parameters (n_types, N_PAR) in SI units (columns in
    :mod:`airdefense.engagement._flyout_kernels`)."""
    par = np.zeros((len(presets), _k.N_PAR))
    for i, p in enumerate(presets):
        mdot_b = p.boost_propellant_kg / p.boost_time_s
        mdot_s = p.sustain_propellant_kg / p.sustain_time_s if p.sustain_time_s > 0 else 0.0
        par[i, _k.M0] = p.launch_mass_kg
        par[i, _k.MDOT_B] = mdot_b
        par[i, _k.T_B] = p.boost_time_s
        par[i, _k.MDOT_S] = mdot_s
        par[i, _k.T_S] = p.sustain_time_s
        par[i, _k.THRUST_B] = p.specific_impulse_s * _G0 * mdot_b
        par[i, _k.THRUST_S] = p.specific_impulse_s * _G0 * mdot_s
        par[i, _k.S_CD] = p.reference_area_m2 * p.drag_coefficient
        par[i, _k.S_CN] = p.reference_area_m2 * p.max_normal_force_coefficient
        par[i, _k.A_MAX] = p.max_lateral_g * _G0
        par[i, _k.A_RCS] = p.reaction_control_g * _G0
        par[i, _k.NAV] = p.navigation_constant
        par[i, _k.SEEK] = p.seeker_acquisition_range_km * 1000.0
        par[i, _k.T_MAX] = p.max_flight_time_s
        par[i, _k.LETHAL] = p.lethal_radius_m
        par[i, _k.M_B] = p.launch_mass_kg - p.boost_propellant_kg
        par[i, _k.V_AVG] = p.max_range_km * 1000.0 / p.max_flight_time_s
    return par


def lateral_limit_mps2(
    preset: MissilePreset,
    height_m: ArrayLike,
    speed_mps: ArrayLike,
    mass_kg: ArrayLike | None = None,
    terminal: bool = False,
) -> FloatArray:
    """Largest lateral acceleration (m/s^2) of a preset at heights and speeds (broadcast):
    ``min(max_lateral_g g0, max(q S C_N,max / m, reaction jets if terminal))`` with
    ``q = rho V^2 / 2`` in the US-1976 atmosphere (Fleeman 2006, ``n = C_N q S_ref / W``);
    the mass defaults to the burnout mass."""
    rho = density_lookup_kg_m3(height_m)
    v = np.asarray(speed_mps, dtype=np.float64)
    m = preset.launch_mass_kg - preset.boost_propellant_kg - preset.sustain_propellant_kg
    mass = np.asarray(m if mass_kg is None else mass_kg, dtype=np.float64)
    aero = 0.5 * rho * v * v * preset.reference_area_m2 * preset.max_normal_force_coefficient
    a = aero / mass
    if terminal:
        a = np.maximum(a, preset.reaction_control_g * _G0)
    return np.minimum(a, preset.max_lateral_g * _G0)


def closest_approach(
    rel_pos: ArrayLike, rel_vel: ArrayLike, step_s: float | ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Closest approach of straight relative motion within a step, vectorised: for relative
    position r (..., 3) and velocity w (..., 3), ``t* = clip(-r.w / |w|^2, 0, step)`` and the
    miss ``|r + w t*|`` (the closest point of approach of two straight paths)."""
    r = np.asarray(rel_pos, dtype=np.float64)
    w = np.asarray(rel_vel, dtype=np.float64)
    ww = np.sum(w * w, axis=-1)
    rw = np.sum(r * w, axis=-1)
    t = np.clip(-rw / np.where(ww > 0.0, ww, 1.0), 0.0, step_s)
    t = np.where(ww > 0.0, t, 0.0)
    return t, np.linalg.norm(r + w * t[..., None], axis=-1)


def _geocentric_up(frame: Frame, p: FloatArray) -> FloatArray:
    r = p - frame.gravity_centre_enu()
    return r / np.linalg.norm(r, axis=-1, keepdims=True)


def _height_fast(frame: Frame, p: FloatArray) -> FloatArray:
    """Height above the ellipsoid by the geocentric-latitude radius (as the kernels; within
    ~0.6 m of the geodetic height below 100 km)."""
    r = p - frame.gravity_centre_enu()
    rn = np.linalg.norm(r, axis=-1)
    sphi = (r @ frame.rot[:, 2]) / rn
    re = WGS84_A * WGS84_B / np.sqrt(WGS84_B**2 * (1.0 - sphi**2) + WGS84_A**2 * sphi**2)
    return rn - re


def _ground_range(frame: Frame, a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle distance (m, mean-radius sphere) below a and b, from the geocentric
    directions (fast form of :meth:`Frame.ground_range_m`)."""
    c = frame.gravity_centre_enu()
    ua, ub = a - c, b - c
    cross = np.linalg.norm(np.cross(ua, ub), axis=-1)
    return EARTH_MEAN_RADIUS_M * np.arctan2(cross, np.sum(ua * ub, axis=-1))


def _launch_velocity(
    frame: Frame, site: FloatArray, aim: FloatArray, loft: FloatArray, seek_m: FloatArray
) -> FloatArray:
    """Initial velocity (K, 3): :data:`LAUNCH_SPEED_MPS` toward the loft-raised aim point
    (the kernels' midcourse aim at launch), at least :data:`MIN_LAUNCH_ELEVATION_DEG` up."""
    up = _geocentric_up(frame, site)
    d = aim - site
    slant = np.linalg.norm(d, axis=-1)
    du = np.sum(d * up, axis=-1)
    horiz = d - du[:, None] * up
    rgo = np.linalg.norm(horiz, axis=-1)
    fade = np.clip((slant - seek_m) / seek_m, 0.0, 1.0)
    d = d + (loft * fade * rgo)[:, None] * up
    du = np.sum(d * up, axis=-1)
    el = np.maximum(np.arctan2(du, rgo), np.radians(MIN_LAUNCH_ELEVATION_DEG))
    # an aim straight overhead has no horizontal direction: take the frame's east, levelled
    east = np.array([1.0, 0.0, 0.0]) - up[:, 0:1] * up
    horiz = np.where((rgo > 1e-6 * np.maximum(slant, 1.0))[:, None], horiz, east)
    hdir = horiz / np.linalg.norm(horiz, axis=-1, keepdims=True)
    direction = np.cos(el)[:, None] * hdir + np.sin(el)[:, None] * up
    return LAUNCH_SPEED_MPS * direction


class _Consts:
    """Frame constants of the kernels: the Earth's centre, the ECEF z axis, the density table."""

    def __init__(self, frame: Frame) -> None:
        self.c = np.ascontiguousarray(frame.gravity_centre_enu(), dtype=np.float64)
        self.z_axis = np.ascontiguousarray(frame.rot[:, 2], dtype=np.float64)
        self.tab_h = np.ascontiguousarray(_LOOKUP_H, dtype=np.float64)
        self.tab_log_rho = np.ascontiguousarray(_LOOKUP_LOG_RHO, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Flyout tables
# ---------------------------------------------------------------------------------------------

#: The reference frame of the tables: a launcher on the ellipsoid at 45 deg N (gravity and the
#: Earth's radius vary by < 0.3 % with latitude).
_TABLE_FRAME = Frame.from_degrees(45.0, 0.0, 0.0)


@dataclass(frozen=True)
class FlyoutTable:
    """Flyout time of one missile type to fixed points, by ground range and height.

    ``time_s`` (R, H) is NaN where the point is unreachable or outside the preset's envelope
    (ground range <= max_range, slant range >= min_range, min_altitude <= height <=
    max_altitude). ``loft`` is the loft gain of the fastest flight (the one :class:`Flyout`
    launches with; beyond reach, the nearest reachable point's at that height),
    ``speed_mps`` the speed on arrival, ``apex_m`` the highest point and ``peak_speed_mps``
    the top speed of the fastest flight (NaN where unreachable).
    """

    preset: str
    ground_range_m: FloatArray  # (R,) increasing
    height_m: FloatArray  # (H,) increasing
    time_s: FloatArray  # (R, H)
    loft: FloatArray  # (R, H)
    speed_mps: FloatArray  # (R, H)
    apex_m: FloatArray  # (R, H)
    peak_speed_mps: FloatArray  # (R, H)
    min_range_m: float
    max_range_m: float
    min_height_m: float
    max_height_m: float

    def time_at(self, ground_range_m: ArrayLike, height_m: ArrayLike) -> FloatArray:
        """Flyout time (s) at points (broadcast) by bilinear interpolation; NaN outside the
        grid, outside the envelope or where a corner of the cell is unreachable."""
        r = np.asarray(ground_range_m, dtype=np.float64)
        h = np.asarray(height_m, dtype=np.float64)
        gr, gh = self.ground_range_m, self.height_m
        i = np.clip(np.searchsorted(gr, r, side="right") - 1, 0, gr.size - 2)
        j = np.clip(np.searchsorted(gh, h, side="right") - 1, 0, gh.size - 2)
        fr = (r - gr[i]) / (gr[i + 1] - gr[i])
        fh = (h - gh[j]) / (gh[j + 1] - gh[j])
        t = self.time_s
        out = (
            (1 - fr) * (1 - fh) * t[i, j]
            + fr * (1 - fh) * t[i + 1, j]
            + (1 - fr) * fh * t[i, j + 1]
            + fr * fh * t[i + 1, j + 1]
        )
        inside = (r >= gr[0]) & (r <= gr[-1]) & (h >= gh[0]) & (h <= gh[-1])
        inside &= (r <= self.max_range_m) & (h >= self.min_height_m) & (h <= self.max_height_m)
        inside &= np.hypot(r, h) >= self.min_range_m
        return np.where(inside, out, np.nan)

    def loft_at(self, ground_range_m: ArrayLike, height_m: ArrayLike) -> FloatArray:
        """Loft gain at the nearest grid point (``loft`` is filled beyond reach)."""
        r = np.asarray(ground_range_m, dtype=np.float64)
        h = np.asarray(height_m, dtype=np.float64)
        i = np.rint(np.interp(r, self.ground_range_m, np.arange(self.ground_range_m.size)))
        j = np.rint(np.interp(h, self.height_m, np.arange(self.height_m.size)))
        return self.loft[i.astype(np.int64), j.astype(np.int64)]


def _fill_along_range(values: FloatArray, fallback: float) -> FloatArray:
    """NaN cells take the value of the nearest finite cell along range at the same height."""
    out = values.copy()
    idx_all = np.arange(values.shape[0])
    for j in range(values.shape[1]):  # a handful of heights
        ok = np.flatnonzero(np.isfinite(values[:, j]))
        if ok.size == 0:
            out[:, j] = fallback
            continue
        nearest = ok[np.argmin(np.abs(idx_all[:, None] - ok[None, :]), axis=1)]
        out[:, j] = values[nearest, j]
    return out


def _fly_points(
    preset: MissilePreset, points_map: FloatArray, step_s: float
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Fly preset at P fixed points, given as map (east, north, height) of the table frame,
    with every gain of :data:`LOFT_GAINS`; (P, L) results of ``table_kernel``."""
    frame = _TABLE_FRAME
    consts = _Consts(frame)
    aim = frame.map_to_enu(points_map[:, 0], points_map[:, 1], points_map[:, 2])
    n_p, gains = aim.shape[0], np.asarray(LOFT_GAINS, dtype=np.float64)
    site = np.zeros_like(aim)
    seek = np.full(n_p, preset.seeker_acquisition_range_km * 1000.0)
    v0 = np.stack([_launch_velocity(frame, site, aim, np.full(n_p, g), seek) for g in gains], 1)
    return _k.table_kernel(
        np.ascontiguousarray(site),
        np.ascontiguousarray(v0),
        np.ascontiguousarray(aim),
        gains,
        0,
        parameter_table([preset]),
        float(step_s),
        MIN_ARRIVAL_SPEED_MPS,
        -GROUND_MARGIN_M,
        consts.c,
        consts.z_axis,
        consts.tab_h,
        consts.tab_log_rho,
    )


def _default_grid(preset: MissilePreset) -> tuple[FloatArray, FloatArray]:
    ranges = np.linspace(0.0, preset.max_range_km * 1000.0, TABLE_RANGES)
    heights = np.linspace(preset.min_altitude_m, preset.max_altitude_km * 1000.0, TABLE_HEIGHTS)
    return ranges, heights


def _compute_table(
    preset: MissilePreset, ranges: FloatArray, heights: FloatArray, step_s: float
) -> FlyoutTable:
    gains = np.asarray(LOFT_GAINS)
    rr, hh = np.meshgrid(ranges, heights, indexing="ij")
    pts = np.stack([np.zeros(rr.size), rr.ravel(), hh.ravel()], axis=-1)
    code, t, miss, speed, apex, vmax = _fly_points(preset, pts, step_s)
    shape = (*rr.shape, gains.size)
    ok = (code == _k.MISS) & (miss <= preset.lethal_radius_m) & (speed >= MIN_ARRIVAL_SPEED_MPS)
    t = np.where(ok, t, np.inf).reshape(shape)
    best = np.argmin(t, axis=-1)
    pick = (*np.indices(best.shape), best)
    time = t[pick]
    reach = np.isfinite(time)
    inside = (rr <= preset.max_range_km * 1000.0) & (
        np.hypot(rr, hh) >= preset.min_range_km * 1000.0
    )
    inside &= (hh >= preset.min_altitude_m) & (hh <= preset.max_altitude_km * 1000.0)
    keep = reach & inside
    return FlyoutTable(
        preset=preset.name,
        ground_range_m=np.asarray(ranges, dtype=np.float64),
        height_m=np.asarray(heights, dtype=np.float64),
        time_s=np.where(keep, time, np.nan),
        loft=_fill_along_range(np.where(reach, gains[best], np.nan), max(LOFT_GAINS)),
        speed_mps=np.where(reach, speed.reshape(shape)[pick], np.nan),
        apex_m=np.where(reach, apex.reshape(shape)[pick], np.nan),
        peak_speed_mps=np.where(reach, vmax.reshape(shape)[pick], np.nan),
        min_range_m=preset.min_range_km * 1000.0,
        max_range_m=preset.max_range_km * 1000.0,
        min_height_m=preset.min_altitude_m,
        max_height_m=preset.max_altitude_km * 1000.0,
    )


_TABLES: dict[str, FlyoutTable] = {}


@functools.cache
def _shipped() -> dict[str, FloatArray]:
    """The arrays of the shipped tables by ``"<key>_<array>"``; empty when the file is missing
    or holds another model's tables (then tables are computed as if it did not exist)."""
    try:
        with np.load(SHIPPED_TABLES) as z:
            if str(z["model_hash"]) != _MODEL_HASH:
                return {}
            return {name: z[name] for name in z.files if name != "model_hash"}
    except (OSError, KeyError, ValueError):
        return {}


def _table_key(
    preset: MissilePreset, ranges: FloatArray, heights: FloatArray, step_s: float
) -> str:
    """Cache key of a table: the preset's parameters, the grid, the step and the model."""
    h = hashlib.sha256()
    h.update(preset.model_dump_json(exclude={"description", "sources"}).encode())
    for part in (ranges.tobytes(), heights.tobytes(), repr(step_s).encode(), _MODEL_HASH.encode()):
        h.update(part)
    return h.hexdigest()[:24]


def _table_from(
    preset: MissilePreset, ranges: FloatArray, heights: FloatArray, arrays: dict[str, FloatArray]
) -> FlyoutTable:
    """A :class:`FlyoutTable` from its computed arrays (:data:`_TABLE_ARRAYS`)."""
    return FlyoutTable(
        preset=preset.name,
        ground_range_m=ranges,
        height_m=heights,
        **{name: arrays[name] for name in _TABLE_ARRAYS},
        min_range_m=preset.min_range_km * 1000.0,
        max_range_m=preset.max_range_km * 1000.0,
        min_height_m=preset.min_altitude_m,
        max_height_m=preset.max_altitude_km * 1000.0,
    )


def flyout_table(
    preset: MissilePreset,
    ground_ranges_m: ArrayLike | None = None,
    heights_m: ArrayLike | None = None,
    step_s: float = TABLE_STEP_S,
) -> FlyoutTable:
    """The :class:`FlyoutTable` of a preset on a grid (default: :data:`TABLE_RANGES` ranges
    from 0 to max range x :data:`TABLE_HEIGHTS` heights over the altitude band).

    Every (point, loft gain) is flown once, batched in one compiled call (points in
    parallel; ~0.2-1.3 s per preset on the default grid, plus ~4 s to compile the kernel).
    The catalog's missiles on the default grid come precomputed with the package
    (:data:`SHIPPED_TABLES`, same model hash); other tables are cached in memory and on disk
    beside numba's cache (keyed by the preset's parameters, the grid and the model's
    source), so later runs load them in about a millisecond instead of flying them again.
    """
    if ground_ranges_m is None or heights_m is None:
        dr, dh = _default_grid(preset)
        ground_ranges_m = dr if ground_ranges_m is None else ground_ranges_m
        heights_m = dh if heights_m is None else heights_m
    ranges = np.ascontiguousarray(ground_ranges_m, dtype=np.float64)
    heights = np.ascontiguousarray(heights_m, dtype=np.float64)
    if ranges.ndim != 1 or heights.ndim != 1 or ranges.size < 2 or heights.size < 2:
        raise ValueError("ground_ranges_m and heights_m must be 1-D with >= 2 points")
    if np.any(np.diff(ranges) <= 0) or np.any(np.diff(heights) <= 0):
        raise ValueError("ground_ranges_m and heights_m must be increasing")
    key = _table_key(preset, ranges, heights, step_s)
    if key in _TABLES:
        return _TABLES[key]
    shipped = _shipped()
    if all(f"{key}_{name}" in shipped for name in _TABLE_ARRAYS):
        table = _table_from(
            preset, ranges, heights, {name: shipped[f"{key}_{name}"] for name in _TABLE_ARRAYS}
        )
        _TABLES[key] = table
        return table
    cache = cache_dir(__file__, "flyout")
    path = cache / f"flyout-{_MODEL_HASH}-{key}.npz"
    table = None
    try:
        with np.load(path) as z:
            table = _table_from(preset, ranges, heights, {name: z[name] for name in _TABLE_ARRAYS})
    except (OSError, KeyError, ValueError):
        table = None
    if table is None:
        table = _compute_table(preset, ranges, heights, step_s)
        try:
            cache.mkdir(parents=True, exist_ok=True)
            for stale in cache.glob("flyout-*.npz"):  # tables of an older model
                if not stale.name.startswith(f"flyout-{_MODEL_HASH}-"):
                    stale.unlink(missing_ok=True)
            tmp = cache / f"flyout-{_MODEL_HASH}-{key}.{os.getpid()}.tmp.npz"
            np.savez(tmp, **{name: getattr(table, name) for name in _TABLE_ARRAYS})
            tmp.replace(path)
        except OSError:
            pass
    _TABLES[key] = table
    return table


def write_shipped_tables(path: Path = SHIPPED_TABLES) -> Path:
    """Compute the default-grid table of every catalog missile and write them as the shipped
    tables (run after a change to the flyout model: ``make flyout-tables``)."""
    from airdefense.systems.catalog import MISSILES

    arrays: dict[str, np.ndarray] = {"model_hash": np.array(_MODEL_HASH)}
    for preset in MISSILES.values():
        ranges, heights = _default_grid(preset)
        table = _compute_table(preset, ranges, heights, TABLE_STEP_S)
        key = _table_key(preset, ranges, heights, TABLE_STEP_S)
        for name in _TABLE_ARRAYS:
            arrays[f"{key}_{name}"] = getattr(table, name)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    _shipped.cache_clear()
    return path


def flyout_time_table(
    preset: MissilePreset, ground_ranges_m: ArrayLike, altitudes_m: ArrayLike
) -> FloatArray:
    """Flyout time (s) of ``preset`` to fixed points, (R, H) over ground range x height above
    the ellipsoid; NaN where unreachable or outside the envelope (see :func:`flyout_table`)."""
    return flyout_table(preset, ground_ranges_m, altitudes_m).time_s


# ---------------------------------------------------------------------------------------------
# Predicted intercept point
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterceptSolution:
    """Earliest intercept of P (threat, missile) pairs.

    ``t_s`` absolute time of the intercept, ``pip`` (P, 3) where, ``flyout_s`` the flight
    time, ``launch_s`` when to launch (``t_s - flyout_s``), ``feasible`` (P,), ``reason``
    (P,) codes into :data:`REASONS` (0 = feasible; then the fields are NaN when infeasible).
    """

    pip: FloatArray
    t_s: FloatArray
    flyout_s: FloatArray
    launch_s: FloatArray
    feasible: BoolArray
    reason: NDArray[np.int8]

    @property
    def reason_name(self) -> NDArray[np.str_]:
        """Reason names (P,)."""
        return np.asarray(REASONS)[self.reason]


@dataclass(frozen=True)
class PackedTables:
    """The flyout times of several tables in flat arrays, as the compiled lookup reads them:
    grids ``ground_range_m`` and ``height_m`` and times ``time_s`` (row-major per table)
    concatenated, each table's offsets and sizes, and its limits (M, 8): grid bounds, then
    max range, min and max height, min slant range."""

    ground_range_m: FloatArray
    height_m: FloatArray
    time_s: FloatArray
    r_off: IntArray
    n_r: IntArray
    h_off: IntArray
    n_h: IntArray
    t_off: IntArray
    limits: FloatArray
    longest_s: FloatArray  # (M,) each table's longest flight

    @classmethod
    def of(cls, tables: Sequence[FlyoutTable]) -> PackedTables:
        """Pack the tables (indexed by missile type)."""
        nr = np.array([t.ground_range_m.size for t in tables], dtype=np.int64)
        nh = np.array([t.height_m.size for t in tables], dtype=np.int64)

        def offsets(sizes: IntArray) -> IntArray:
            return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

        lim = np.array(
            [
                [
                    t.ground_range_m[0],
                    t.ground_range_m[-1],
                    t.height_m[0],
                    t.height_m[-1],
                    t.max_range_m,
                    t.min_height_m,
                    t.max_height_m,
                    t.min_range_m,
                ]
                for t in tables
            ],
            dtype=np.float64,
        ).reshape(len(tables), 8)
        return cls(
            ground_range_m=np.concatenate([t.ground_range_m for t in tables]).astype(np.float64),
            height_m=np.concatenate([t.height_m for t in tables]).astype(np.float64),
            time_s=np.concatenate([t.time_s.ravel() for t in tables]).astype(np.float64),
            r_off=offsets(nr),
            n_r=nr,
            h_off=offsets(nh),
            n_h=nh,
            t_off=offsets(nr * nh),
            limits=lim,
            longest_s=np.array([np.nanmax(t.time_s, initial=0.0) for t in tables]),
        )

    def kernel_args(self) -> tuple:
        """The arrays in the order the compiled kernels take them."""
        return (
            self.ground_range_m,
            self.height_m,
            self.time_s,
            self.r_off,
            self.n_r,
            self.h_off,
            self.n_h,
            self.t_off,
            self.limits,
        )


def _packed(tables: Sequence[FlyoutTable] | PackedTables) -> PackedTables:
    return tables if isinstance(tables, PackedTables) else PackedTables.of(tables)


def times_at(
    tables: Sequence[FlyoutTable] | PackedTables,
    missile_type: ArrayLike,
    ground_range_m: ArrayLike,
    height_m: ArrayLike,
) -> FloatArray:
    """:meth:`FlyoutTable.time_at` of many tables at once: each point (the arguments
    broadcast together) is looked up in its own missile type's table, in one compiled pass.
    Pass :class:`PackedTables` to skip packing the tables on every call."""
    packed = _packed(tables)
    mt, r, h = np.broadcast_arrays(
        np.asarray(missile_type, dtype=np.int64),
        np.asarray(ground_range_m, dtype=np.float64),
        np.asarray(height_m, dtype=np.float64),
    )
    out = _ik.lookup_many(
        np.ascontiguousarray(mt).ravel(),
        np.ascontiguousarray(r).ravel(),
        np.ascontiguousarray(h).ravel(),
        *packed.kernel_args(),
    )
    return out.reshape(mt.shape)


def intercept_point(
    tables: Sequence[FlyoutTable] | PackedTables,
    missile_type: ArrayLike,
    site_enu: ArrayLike,
    target_pos: ArrayLike,
    target_vel: ArrayLike,
    frame: Frame,
    t_now: float,
    *,
    ballistic: ArrayLike = False,
    launch_delay_s: ArrayLike = 0.0,
    horizon_s: ArrayLike | None = None,
    step_s: float = 1.0,
    tolerance_s: float | None = None,
) -> InterceptSolution:
    """Earliest predicted intercept point for P (threat, missile type) pairs at once.

    The threat flies on from ``target_pos``/``target_vel`` (P, 3) at ``t_now`` in a straight
    line, or (``ballistic`` True) in a parabola under the gravity at its position (no drag:
    adequate over an intercept's minute or two), until ``horizon_s`` after t_now (default:
    the longest flyout time of the tables plus the delay) or until it reaches the ground.
    The intercept is at the earliest time ``tau`` after t_now with
    ``flyout_time(PIP(tau)) <= tau - launch_delay`` (a missile launched after the delay
    arrives in time): sampled every ``step_s`` and refined by bisection to ``tolerance_s``
    (default step/256). Compiled (:mod:`._intercept_kernels`): each pair stops at its
    first feasible sample.

    Reasons for no solution: ``out_of_altitude`` (never inside the missile's height band),
    ``out_of_range`` (inside it, but never at a point the missile reaches), ``too_late``
    (reachable points exist, but the missile cannot get to any in time).
    """
    packed = _packed(tables)
    mt = np.atleast_1d(np.asarray(missile_type, dtype=np.int64))
    n = mt.shape[0]

    def rows(a: ArrayLike, shape: tuple[int, ...], dtype: type = np.float64) -> NDArray:
        return np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=dtype), shape))

    site = rows(site_enu, (n, 3))
    p0 = rows(target_pos, (n, 3))
    v0 = rows(target_vel, (n, 3))
    delay = rows(launch_delay_s, (n,))
    bal = rows(ballistic, (n,), bool)
    c = frame.gravity_centre_enu()
    acc = np.zeros((n, 3))
    if bal.any():
        rc = p0[bal] - c
        acc[bal] = -_k.MU_EARTH * rc / np.linalg.norm(rc, axis=-1, keepdims=True) ** 3
    if horizon_s is None:
        horizon = packed.longest_s[mt] + delay + step_s
    else:
        horizon = rows(horizon_s, (n,))
    tol = step_s / 256.0 if tolerance_s is None else float(tolerance_s)
    n_iter = max(1, int(np.ceil(np.log2(step_s / tol))))
    tau, pip, fly_s, reason = _ik.intercept_kernel(
        mt,
        site,
        p0,
        v0,
        acc,
        delay,
        horizon,
        float(step_s),
        n_iter,
        np.ascontiguousarray(c, dtype=np.float64),
        np.ascontiguousarray(frame.rot[:, 2], dtype=np.float64),
        *packed.kernel_args(),
    )
    t_int = t_now + tau
    return InterceptSolution(
        pip=pip,
        t_s=t_int,
        flyout_s=fly_s,
        launch_s=t_int - fly_s,
        feasible=reason == 0,
        reason=reason,
    )


# ---------------------------------------------------------------------------------------------
# The batched flyout
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlyoutEvents:
    """Interceptors whose flight ended in a window, in time order (E,)."""

    interceptor_id: IntArray
    t: FloatArray
    outcome: NDArray[np.str_]  # one of OUTCOMES[1:]
    miss_m: FloatArray  # closest approach (NaN for timeout, ground, target_gone before a pass)
    target_id: IntArray
    missile_type: IntArray
    position: FloatArray  # (E, 3) ENU
    speed_mps: FloatArray

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @classmethod
    def empty(cls) -> FlyoutEvents:
        """No events."""
        z = np.zeros(0)
        zi = np.zeros(0, dtype=np.int64)
        return cls(zi, z, np.zeros(0, dtype="<U11"), z, zi, zi, np.zeros((0, 3)), z)


class Flyout:
    """All interceptors in flight, as arrays indexed by interceptor id (ids count up from 0
    and are never reused).

    The simulation loop calls :meth:`launch` when it fires, :meth:`command` with each new track
    estimate of an interceptor's target, :meth:`advance` once per time window (which returns
    the flights that ended), and :meth:`retarget` or :meth:`destroy` for interceptors whose
    target died.
    """

    def __init__(
        self,
        presets: Sequence[MissilePreset],
        frame: Frame,
        dt_s: float = 0.05,
        tables: Sequence[FlyoutTable] | None = None,
        path_step_s: float = PATH_STEP_S,
    ) -> None:
        if not presets:
            raise ValueError("presets must not be empty")
        if not dt_s > 0.0:
            raise ValueError("dt_s must be > 0")
        if not path_step_s > 0.0:
            raise ValueError("path_step_s must be > 0")
        self.path_step_s = float(path_step_s)
        # the flown paths: chunks of (interceptor id, t, ENU position) samples
        self._path_chunks: list[tuple[IntArray, FloatArray, FloatArray]] = []
        self.presets = tuple(presets)
        self.frame = frame
        self.dt_s = float(dt_s)
        self._consts = _Consts(frame)
        self._par = parameter_table(self.presets)
        self._tables: list[FlyoutTable | None] = (
            list(tables) if tables is not None else [None] * len(self.presets)
        )
        if len(self._tables) != len(self.presets):
            raise ValueError("one table per preset")
        self._packed: PackedTables | None = None
        # kill probability given a pass within the lethal radius: type x (CATEGORIES + other)
        self._pk = np.ones((len(self.presets), len(CATEGORIES) + 1))
        for i, p in enumerate(self.presets):
            for j, cat in enumerate(CATEGORIES):
                self._pk[i, j] = p.reliability * p.warhead_pk.get(cat, 1.0)  # type: ignore[call-overload]
            self._pk[i, -1] = p.reliability
        self._n = 0
        self._alloc(64)
        self._codes_of: Truth | None = None
        self._codes = np.zeros(0, dtype=np.int64)

    # --- storage ------------------------------------------------------------------------
    def _alloc(self, cap: int) -> None:
        old = getattr(self, "_pos", None)
        n = self._n

        def grow(name: str, shape: tuple[int, ...], dtype: type, fill: object) -> None:
            arr = np.full(shape, fill, dtype=dtype)
            if old is not None:
                arr[:n] = getattr(self, name)[:n]
            setattr(self, name, arr)

        grow("_pos", (cap, 3), np.float64, np.nan)
        grow("_vel", (cap, 3), np.float64, np.nan)
        grow("_t_cur", (cap,), np.float64, np.nan)
        grow("_t_launch", (cap,), np.float64, np.nan)
        grow("_type", (cap,), np.int64, -1)
        grow("_target", (cap,), np.int64, -1)
        grow("_terminal", (cap,), np.bool_, False)
        grow("_closing", (cap,), np.bool_, False)
        grow("_cmd_t", (cap,), np.float64, np.nan)
        grow("_cmd_pos", (cap, 3), np.float64, np.nan)
        grow("_cmd_vel", (cap, 3), np.float64, np.nan)
        grow("_loft", (cap,), np.float64, 0.0)
        grow("_floor", (cap,), np.float64, -GROUND_MARGIN_M)
        grow("_active", (cap,), np.bool_, False)

    def table(self, missile_type: int) -> FlyoutTable:
        """The flyout table of one missile type (computed, or loaded, on first use)."""
        t = self._tables[missile_type]
        if t is None:
            t = flyout_table(self.presets[missile_type])
            self._tables[missile_type] = t
        return t

    @property
    def tables(self) -> list[FlyoutTable]:
        """The flyout tables of every missile type (for :func:`intercept_point`)."""
        return [self.table(k) for k in range(len(self.presets))]

    @property
    def packed_tables(self) -> PackedTables:
        """:attr:`tables` packed for the compiled lookups (built once)."""
        if self._packed is None:
            self._packed = PackedTables.of(self.tables)
        return self._packed

    # --- what is flying -----------------------------------------------------------------
    @property
    def n_launched(self) -> int:
        """Interceptors launched so far (ids 0 .. n_launched - 1)."""
        return self._n

    @property
    def active_ids(self) -> IntArray:
        """Ids of the interceptors in flight, increasing."""
        return np.flatnonzero(self._active[: self._n])

    @property
    def positions(self) -> FloatArray:
        """ENU positions (A, 3) of the interceptors in flight (order of :attr:`active_ids`), at
        the end of the latest :meth:`advance`."""
        return self._pos[self.active_ids].copy()

    @property
    def velocities(self) -> FloatArray:
        """ENU velocities (A, 3) of the interceptors in flight."""
        return self._vel[self.active_ids].copy()

    @property
    def launch_times(self) -> FloatArray:
        """Launch time of every interceptor launched, by id (n_launched,)."""
        return self._t_launch[: self._n].copy()

    @property
    def missile_types(self) -> IntArray:
        """Missile type (index into ``presets``) of every interceptor launched, by id."""
        return self._type[: self._n].copy()

    @property
    def target_ids(self) -> IntArray:
        """Current target (truth object id) of every interceptor launched, by id."""
        return self._target[: self._n].copy()

    @property
    def terminal(self) -> BoolArray:
        """True where an interceptor (by id) homes on its target with its seeker."""
        return self._terminal[: self._n].copy()

    # --- the loop's calls ---------------------------------------------------------------
    def launch(
        self,
        t: float,
        missile_type: ArrayLike,
        site_enu: ArrayLike,
        target_id: ArrayLike,
        aim_enu: ArrayLike,
    ) -> IntArray:
        """Launch K interceptors at time t from sites (K, 3) at truth objects target_id (K,),
        first guided at the predicted intercept points aim_enu (K, 3) until :meth:`command`
        gives them a track; returns their ids (K,). A target_id of -1 is a false track (no
        object behind it): that interceptor flies on its commands and ends in a timeout."""
        mt = np.atleast_1d(np.asarray(missile_type, dtype=np.int64))
        k = mt.shape[0]
        site = np.broadcast_to(np.asarray(site_enu, dtype=np.float64), (k, 3))
        aim = np.broadcast_to(np.asarray(aim_enu, dtype=np.float64), (k, 3))
        tid = np.broadcast_to(np.asarray(target_id, dtype=np.int64), (k,))
        if np.any((mt < 0) | (mt >= len(self.presets))):
            raise ValueError(f"missile_type must be in [0, {len(self.presets)})")
        if not (np.all(np.isfinite(site)) and np.all(np.isfinite(aim))):
            raise ValueError("site_enu and aim_enu must be finite")
        if self._n + k > self._pos.shape[0]:
            self._alloc(max(2 * self._pos.shape[0], self._n + k))
        ids = np.arange(self._n, self._n + k)
        self._n += k
        loft = np.zeros(k)
        rng_m = _ground_range(self.frame, site, aim)
        h_m = _height_fast(self.frame, aim)
        for m in np.unique(mt):  # one pass per missile type
            rows = mt == m
            loft[rows] = self.table(int(m)).loft_at(rng_m[rows], h_m[rows])
        seek = self._par[mt, _k.SEEK]
        self._pos[ids] = site
        self._vel[ids] = _launch_velocity(self.frame, site, aim, loft, seek)
        self._t_cur[ids] = t
        self._t_launch[ids] = t
        self._type[ids] = mt
        self._target[ids] = tid
        self._terminal[ids] = False
        self._closing[ids] = False
        self._cmd_t[ids] = t
        self._cmd_pos[ids] = aim
        self._cmd_vel[ids] = 0.0
        self._loft[ids] = loft
        self._floor[ids] = np.minimum(_height_fast(self.frame, site), 0.0) - GROUND_MARGIN_M
        self._active[ids] = True
        self._path_chunks.append((ids, np.full(k, float(t)), site.copy()))
        return ids

    def _live(self, ids: ArrayLike) -> IntArray:
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        if np.any((ids < 0) | (ids >= self._n)):
            raise ValueError("unknown interceptor id")
        return ids

    def command(
        self, ids: ArrayLike, t: float | ArrayLike, target_pos: ArrayLike, target_vel: ArrayLike
    ) -> None:
        """Midcourse command guidance: the latest track estimate (position (K, 3) and
        velocity (K, 3) at time t) of each interceptor's target; the interceptor extrapolates
        it at constant velocity until the next. Ended interceptors are ignored."""
        ids = self._live(ids)
        k = ids.shape[0]
        t_arr = np.broadcast_to(np.asarray(t, dtype=np.float64), (k,))
        p = np.broadcast_to(np.asarray(target_pos, dtype=np.float64), (k, 3))
        v = np.broadcast_to(np.asarray(target_vel, dtype=np.float64), (k, 3))
        live = self._active[ids]
        ids = ids[live]
        self._cmd_t[ids] = t_arr[live]
        self._cmd_pos[ids] = p[live]
        self._cmd_vel[ids] = v[live]

    def retarget(
        self,
        ids: ArrayLike,
        target_id: ArrayLike,
        t: float | ArrayLike,
        target_pos: ArrayLike,
        target_vel: ArrayLike,
    ) -> None:
        """Give interceptors a new target (truth id) with its track estimate at time t; they
        return to midcourse guidance (the seeker reacquires inside its range)."""
        ids = self._live(ids)
        tid = np.broadcast_to(np.asarray(target_id, dtype=np.int64), ids.shape)
        live = self._active[ids]
        self._target[ids[live]] = tid[live]
        self._terminal[ids[live]] = False
        self._closing[ids[live]] = False
        self.command(ids, t, target_pos, target_vel)

    def destroy(self, ids: ArrayLike) -> None:
        """End interceptors now without an event (self-destruct ordered by the loop); their
        paths end where the latest :meth:`advance` left them."""
        ids = self._live(ids)
        ids = ids[self._active[ids]]
        self._active[ids] = False
        self._path_chunks.append((ids, self._t_cur[ids].copy(), self._pos[ids].copy()))

    def paths(self) -> tuple[IntArray, FloatArray, FloatArray]:
        """Every interceptor's flown path so far: ids (P,), times (P,) and ENU positions
        (P, 3), sorted by id then time. A path starts at the launch site, is sampled every
        :attr:`path_step_s` seconds of flight and ends where the flight ended (or, while it
        flies, where the latest :meth:`advance` left it)."""
        live = self.active_ids
        chunks = [*self._path_chunks, (live, self._t_cur[live], self._pos[live])]
        ids = np.concatenate([c[0] for c in chunks])
        t = np.concatenate([c[1] for c in chunks])
        pos = np.concatenate([c[2].reshape(-1, 3) for c in chunks])
        order = np.lexsort((t, ids))
        ids, t, pos = ids[order], t[order], pos[order]
        keep = np.ones(ids.shape[0], dtype=bool)
        keep[1:] = (ids[1:] != ids[:-1]) | (t[1:] != t[:-1])  # an end on a sample time
        return ids[keep], t[keep], pos[keep]

    def _category_codes(self, truth: Truth) -> IntArray:
        """Index into CATEGORIES (len(CATEGORIES) for any other) of every truth object,
        computed once per truth."""
        if self._codes_of is not truth or self._codes.shape[0] != truth.n:
            cat = np.asarray(truth.category, dtype=object)
            codes = np.full(truth.n, len(CATEGORIES), dtype=np.int64)
            for j, name in enumerate(CATEGORIES):
                codes[cat == name] = j
            self._codes_of, self._codes = truth, codes
        return self._codes

    def advance(self, t0: float, t1: float, truth: Truth, rng: np.random.Generator) -> FlyoutEvents:
        """Fly every interceptor in flight from t0 (or its launch) to t1 in sub-steps of at
        most ``dt_s``; returns the flights that ended in the window (kill, miss, timeout,
        ground, target_gone) in time order. ``truth`` is the world's
        :class:`~airdefense.world.truth.Truth`; one uniform draw per interceptor in flight
        comes from ``rng`` (kills are decided by them)."""
        if not t1 > t0:
            raise ValueError("t1 must be > t0")
        rows = np.flatnonzero(self._active[: self._n])
        n = rows.size
        if n == 0:
            return FlyoutEvents.empty()
        draws = rng.random(n)
        tr = truth
        tgt = self._target[rows]
        if tgt.min() < -1 or tgt.max() >= tr.n:
            raise ValueError("an interceptor's target_id is not an object of this truth (or -1)")
        # an interceptor behind t0 (a window skipped) is flown from where it is
        t0 = min(float(t0), float(self._t_cur[rows].min()))
        # (-1: a false track's interceptor, which meets nothing and never kills)
        pk = self._pk[self._type[rows], self._category_codes(tr)[np.maximum(tgt, 0)]]
        n_sub = max(1, int(np.ceil((t1 - t0) / self.dt_s - 1e-9)))
        out_code = np.zeros(n, dtype=np.int64)
        out_t = np.empty(n)
        out_miss = np.empty(n)
        out_pos = np.empty((n, 3))
        out_speed = np.empty(n)
        per = int(np.ceil((t1 - t0) / self.path_step_s)) + 1
        path_id = np.empty(n * per, dtype=np.int64)
        path_t = np.empty(n * per)
        path_pos = np.empty((n * per, 3))
        path_n = np.zeros(1, dtype=np.int64)
        dead_t = np.full(tr.n, np.inf)
        cst = self._consts
        _k.advance_kernel(
            rows,
            self._pos,
            self._vel,
            self._t_cur,
            self._t_launch,
            self._type,
            self._target,
            self._terminal,
            self._closing,
            self._cmd_t,
            self._cmd_pos,
            self._cmd_vel,
            self._loft,
            self._floor,
            self._par,
            pk,
            draws,
            float(tr.t[0]),
            float(tr.dt),
            np.asarray(tr.pos, dtype=np.float64),  # no copy: numba reads any layout
            np.asarray(tr.vel, dtype=np.float64),
            np.ascontiguousarray(tr.start_s, dtype=np.float64),
            np.ascontiguousarray(tr.end_s, dtype=np.float64),
            dead_t,
            float(t0),
            float(t1),
            n_sub,
            cst.c,
            cst.z_axis,
            cst.tab_h,
            cst.tab_log_rho,
            out_code,
            out_t,
            out_miss,
            out_pos,
            out_speed,
            self.path_step_s,
            path_id,
            path_t,
            path_pos,
            path_n,
        )
        m = int(path_n[0])
        if m:
            self._path_chunks.append((path_id[:m].copy(), path_t[:m].copy(), path_pos[:m].copy()))
        ended = np.flatnonzero(out_code != _k.FLYING)
        if ended.size == 0:
            return FlyoutEvents.empty()
        ended = ended[np.argsort(out_t[ended], kind="stable")]
        ids = rows[ended]
        self._active[ids] = False
        self._path_chunks.append((ids, out_t[ended].copy(), out_pos[ended].copy()))
        return FlyoutEvents(
            interceptor_id=ids,
            t=out_t[ended],
            outcome=np.asarray(OUTCOMES)[out_code[ended]],
            miss_m=out_miss[ended],
            target_id=self._target[ids].copy(),
            missile_type=self._type[ids].copy(),
            position=out_pos[ended],
            speed_mps=out_speed[ended],
        )
