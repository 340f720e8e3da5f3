"""Build the world's truth from the theatre: every raid member and every recorded flight.

Raids draw their launch times, launch points and aim points from the world's random stream;
each flight model (waypoint, cruise, ballistic, recorded) is computed batched over the
objects that use it, and the results are stacked into one :class:`Truth`.
"""

from __future__ import annotations

import functools

import numpy as np

from airdefense.errors import AirdefenseError
from airdefense.geo import Frame
from airdefense.types.theatre import CivilTrafficPlan, RaidPlan, Theatre
from airdefense.world.adsb import load_collection, place_flights
from airdefense.world.ballistic import fly_ballistic
from airdefense.world.truth import Truth
from airdefense.world.waypoint import fly_waypoints

#: Distance before the aim point where cruise missiles and drones start their terminal dive.
TERMINAL_DIVE_M = 3000.0


class CivilTrafficError(AirdefenseError):
    """A civil-traffic entry that places no flight in the run; ``path`` names the field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message, field=path)

    @property
    def path(self) -> str:
        """The field's dotted path in the scenario."""
        return self.field


def time_grid(theatre: Theatre) -> np.ndarray:
    """The run's time grid: 0, dt, 2 dt, ... up to and including the duration."""
    steps = int(np.floor(theatre.duration_s / theatre.time_step_s + 1e-9))
    return np.arange(steps + 1, dtype=np.float64) * theatre.time_step_s


def build_truth(theatre: Theatre, rng: np.random.Generator) -> Truth:
    """Trajectories of every object of the theatre on its time grid."""
    frame = theatre.frame
    t = time_grid(theatre)
    blocks = [_raid_block(frame, t, r, rng) for r in theatre.raids]
    for c in theatre.civil_traffic:
        block = _civil_block(frame, t, c, rng)
        if block.start_s.shape[0] == 0:
            flights = load_collection(c.collection)
            raise CivilTrafficError(
                f"civil_traffic[{c.index}].time_offset_s",
                f"no flight of the {c.collection} recording flies in [{c.time_offset_s:g}, "
                f"{c.time_offset_s + t[-1]:g}] s (the recording lasts "
                f"{float(flights.time_s.max()):,.0f} s)",
            )
        blocks.append(block)
    blocks = [b for b in blocks if b.start_s.shape[0] > 0]
    if not blocks:
        raise ValueError("the scenario has no objects inside its time grid")

    truth = Truth.concat(blocks)
    over = truth.end_s > t[-1]
    truth.end_reason[over] = "duration"
    truth.end_s[over] = t[-1]
    return truth


def _disc(rng: np.random.Generator, n: int, radius_m: float) -> np.ndarray:
    """n points uniform in a disc of the given radius (east, north offsets)."""
    r = radius_m * np.sqrt(rng.random(n))
    a = rng.random(n) * 2.0 * np.pi
    return np.stack([r * np.sin(a), r * np.cos(a)], axis=-1)


def _raid_block(frame: Frame, t: np.ndarray, raid: RaidPlan, rng: np.random.Generator) -> Truth:
    p = raid.preset
    n = raid.count
    t0, t1 = raid.launch_window_s
    launch_s = np.sort(t0 + (t1 - t0) * rng.random(n))
    launch = raid.launch.map_xyh
    launch_xy = launch[:2] + _disc(rng, n, raid.launch_radius_m)
    aim = raid.aim.map_xyh
    aim_xy = aim[:2] + _disc(rng, n, raid.aim_spread_m)
    aim_h = np.full(n, aim[2])
    if p.motion == "ballistic":
        launch_map = np.column_stack([launch_xy, np.full(n, launch[2])])
        aim_map = np.column_stack([aim_xy, aim_h])
        pos, vel, height, end_s, _ = fly_ballistic(
            frame,
            t,
            launch_map,
            aim_map,
            launch_s,
            np.full(n, np.radians(p.loft_angle_deg)),
            np.full(n, p.boost_time_s),
            np.full(n, p.ballistic_coefficient_kg_m2),
        )
        reason = "impact"
    else:
        h = p.cruise_altitude_m
        route = [(w.east_m, w.north_m) for w in raid.route]
        k = 2 + len(route) + (1 if p.category in ("cruise", "drone") else 0)
        wps = np.empty((n, k, 3))
        wps[:, 0, :2] = launch_xy
        for j, (e, nn) in enumerate(route, start=1):
            wps[:, j, :2] = (e, nn)
        last = wps[:, len(route), :2]
        if p.category in ("cruise", "drone"):
            # level flight to a point short of the aim, then a dive onto it
            leg = aim_xy - last
            dist = np.linalg.norm(leg, axis=-1, keepdims=True)
            frac = np.clip(1.0 - TERMINAL_DIVE_M / np.maximum(dist, 1.0), 0.0, 1.0)
            wps[:, k - 2, :2] = last + frac * leg
        wps[:, :, 2] = h
        wps[:, k - 1, :2] = aim_xy
        wps[:, k - 1, 2] = aim_h if p.category in ("cruise", "drone") else h
        pos, vel, height, end_s = fly_waypoints(
            frame,
            t,
            wps,
            np.full(n, p.speed_mps),
            launch_s,
            np.full(n, np.radians(p.max_turn_rate_deg_s)),
        )
        reason = "impact" if p.category in ("cruise", "drone") else "reached_aim"
    aim_enu = frame.map_to_enu(aim_xy[:, 0], aim_xy[:, 1], aim_h)
    label = raid.name
    return Truth(
        t=t,
        pos=pos,
        vel=vel,
        height=height,
        start_s=launch_s,
        end_s=end_s,
        end_reason=np.array([reason] * n, dtype=object),
        name=np.array([f"{label}-{j + 1:03d}" for j in range(n)], dtype=object),
        category=np.array([p.category] * n, dtype=object),
        preset=np.array([p.name] * n, dtype=object),
        raid=np.full(n, raid.raid_id),
        side=np.full(n, raid.side, dtype=object),
        rcs_m2=np.full(n, p.rcs_m2),
        swerling=np.full(n, p.swerling),
        aim_asset=np.full(n, raid.aim_asset),
        aim_enu=aim_enu,
        cost_usd=np.full(n, p.cost_usd),
    )


@functools.lru_cache(maxsize=4)
def _placed_once(
    origin: tuple[float, float, float],
    collection: str,
    grid: bytes,
    time_offset_s: float,
    centre: tuple[float, float] | None,
) -> tuple[np.ndarray, ...]:
    """:func:`place_flights` of a whole collection, remembered per process (a Monte Carlo
    worker places the same recorded traffic in every trial); callers copy the arrays."""
    t = np.frombuffer(grid, dtype=np.float64)  # the time grid, as bytes to be hashable
    return place_flights(
        Frame(*origin), load_collection(collection), t, time_offset_s=time_offset_s, centre=centre
    )


def _civil_block(
    frame: Frame, t: np.ndarray, c: CivilTrafficPlan, rng: np.random.Generator
) -> Truth:
    flights = load_collection(c.collection)
    centre = None
    if c.centre is not None:
        lat, lon = frame.map_to_geodetic(c.centre.east_m, c.centre.north_m)
        centre = (float(lat), float(lon))
    if c.max_flights is None:
        # no random choice of flights: the same placement every trial, computed once a process
        placed = _placed_once(
            (frame.lat0, frame.lon0, frame.h0),
            c.collection,
            np.ascontiguousarray(t, dtype=np.float64).tobytes(),
            float(c.time_offset_s),
            centre,
        )
        pos, vel, height, start_s, end_s, callsign = (np.array(a) for a in placed)
    else:
        pos, vel, height, start_s, end_s, callsign = place_flights(
            frame,
            flights,
            t,
            time_offset_s=c.time_offset_s,
            max_flights=c.max_flights,
            centre=centre,
            rng=rng,
        )
    p = c.preset
    n = start_s.shape[0]
    reason = np.where(end_s < t[-1], "record_end", "duration").astype(object)
    return Truth(
        t=t,
        pos=pos,
        vel=vel,
        height=height,
        start_s=start_s,
        end_s=end_s,
        end_reason=reason,
        name=np.asarray(callsign, dtype=object),
        category=np.array(["civil"] * n, dtype=object),
        preset=np.array([p.name] * n, dtype=object),
        raid=np.full(n, -1),
        side=np.full(n, c.side, dtype=object),
        rcs_m2=np.full(n, p.rcs_m2),
        swerling=np.full(n, p.swerling),
        aim_asset=np.full(n, -1),
        aim_enu=np.full((n, 3), np.nan),
        cost_usd=np.zeros(n),
    )
