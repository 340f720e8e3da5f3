"""The compile-ahead warm-ups (:mod:`airdefense.sim.ahead`): a stage's real code run on a small
synthetic input with the run's own settings, so that numba compiles, and caches, exactly the
kernels and signatures the run will call; and the helper process that warms the tracker
(``python -m airdefense.sim.warmup``).

Each warm-up builds its stage as the loop does, from the theatre (the tracker by
:func:`~airdefense.sim.stages.make_tracker`, the engage stage by its constructor), feeds it
what the loop feeds it, and throws it away: it draws from its own random generators and
changes nothing the run reads.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import threading

import numpy as np

from airdefense.sensors import Plots, Radar
from airdefense.sensors.plots import FLOAT_ROWS, INT_ROWS
from airdefense.sim.stages import make_tracker, place_radars, track_plots
from airdefense.tracking.measurements import CONFIRMED, TrackUpdates
from airdefense.types.events import EventLog
from airdefense.types.theatre import Theatre
from airdefense.world.truth import Truth


def synthetic_sweeps(radar: Radar, sweeps: int) -> list[Plots]:
    """One radar's plots of ``sweeps`` sweeps (one Plots each) of a small synthetic picture
    in its local axes: a lone target, two targets in close formation (their gates overlap
    and they look alike: the assignment of a cluster and the duplicate test), a target seen
    for five sweeps and then lost (coasting, a drop), and two false alarms a sweep."""
    rng = np.random.default_rng(0)
    period = radar.preset.scan_period_s
    # local east, north, up (m) at sweep 0 and velocity (m/s)
    p0 = np.array(
        [
            [30e3, 60e3, 5e3],
            [-40e3, 70e3, 6e3],
            [-39.85e3, 70e3, 6e3],
            [5e3, 90e3, 8e3],
        ]
    )
    v = np.array([[-200.0, 0, 0], [150.0, -100.0, 0], [150.0, -100.0, 0], [0, -250.0, 0]])
    last = np.array([sweeps, sweeps, sweeps, 5])
    sig_r, sig_a = 30.0, np.radians(0.15)
    out = []
    for k in range(sweeps):
        seen = np.flatnonzero(last > k)
        local = p0[seen] + k * period * v[seen]
        clutter = np.column_stack(
            [rng.uniform(-80e3, 80e3, 2), rng.uniform(20e3, 100e3, 2), rng.uniform(1e3, 9e3, 2)]
        )
        local = np.vstack([local, clutter])
        truth = np.concatenate([seen, [-1, -1]])
        rng_m = np.linalg.norm(local, axis=1)
        az = np.arctan2(local[:, 0], local[:, 1]) % (2 * np.pi)
        el = np.arcsin(local[:, 2] / rng_m)
        n = rng_m.size
        rng_m = rng_m + sig_r * rng.standard_normal(n)
        az = az + sig_a * rng.standard_normal(n)
        el = el + sig_a * rng.standard_normal(n)
        t = (k + az / (2 * np.pi)) * period
        enu = radar.position_enu + local @ radar.rotation
        cols = {
            "t": t,
            "range_m": rng_m,
            "azimuth_rad": az,
            "elevation_rad": el,
            "sigma_range_m": np.full(n, sig_r),
            "sigma_azimuth_rad": np.full(n, sig_a),
            "sigma_elevation_rad": np.full(n, sig_a),
            "snr_db": np.full(n, 20.0),
            "x": enu[:, 0],
            "y": enu[:, 1],
            "z": enu[:, 2],
            "sensor_id": np.full(n, radar.sensor_id),
            "scan": np.full(n, k),
            "truth_id": truth,
        }
        order = np.lexsort((rng_m, truth, t))
        floats = np.ascontiguousarray(np.stack([cols[c] for c in FLOAT_ROWS])[:, order])
        ints = np.ascontiguousarray(
            np.stack([cols[c] for c in INT_ROWS]).astype(np.int64)[:, order]
        )
        out.append(Plots.from_blocks(floats, ints))
    return out


def warm_tracker(theatre: Theatre) -> None:
    """Run the theatre's tracker (every radar registered, as the loop builds it) over a few
    synthetic sweeps of its first radar, as the loop feeds it, and read its picture after
    each: what it compiles is what the run will call."""
    radars = place_radars(theatre)
    if not radars:
        return
    tracker = make_tracker(theatre, radars)
    c = tracker.config
    sweeps = min(max(c.confirm_n + c.max_misses + 4, 10), 40)
    period = radars[0].preset.scan_period_s
    for k, plots in enumerate(synthetic_sweeps(radars[0], sweeps)):
        track_plots(tracker, plots)
        tracker.pop_events()
        tracker.tracks_at((k + 1) * period)


def warm_engagement(theatre: Theatre) -> None:
    """Run the engage stage of the theatre (its batteries, assets, rules and doctrine) on a
    synthetic raid of three targets flying over its first battery at its first asset, seen
    as perfect confirmed tracks, until the interceptors it fires have ended (or 600 s): the
    decision cycle (threat evaluation, intercept points, assignment) and the flyout."""
    if not theatre.batteries or not theatre.assets:
        return
    from airdefense.engagement.engage import Engagement  # not among the helper's imports

    frame = theatre.frame
    asset = theatre.asset_xyz[0]
    bat = theatre.batteries[0]
    site = np.array(bat.launcher_enu)
    reach = min((m.max_range_km for m, _ in bat.loads), default=50.0) * 1000.0
    away = site[:2] - asset[:2]
    gap = float(np.hypot(*away))
    u = away / gap if gap > 1.0 else np.array([0.0, 1.0])
    start = site[:2] + 0.5 * reach * u
    p0 = np.array([[*start, 4000.0], [*(start + 2000.0 * u[::-1]), 4500.0], [*start, 9000.0]])
    heading = asset[:2] - start
    heading = heading / max(float(np.hypot(*heading)), 1.0)
    v = np.array([[*(250.0 * heading), 0.0], [*(250.0 * heading), 0.0], [*(600 * heading), 0.0]])
    t = np.arange(0.0, 600.0 + 0.5 * theatre.time_step_s, theatre.time_step_s)
    truth = Truth.straight_lines(frame, t, p0, v)
    eng = Engagement(theatre, truth, np.random.default_rng(0), np.random.default_rng(1))
    if not eng.enabled:
        return
    events = EventLog()
    cycle = theatre.doctrine.decision_cycle_s
    next_cycle = t[0] + cycle
    for k in range(t.size - 1):
        t1 = float(t[k + 1])
        eng.advance(float(t[k]), t1, events)
        if t1 >= next_cycle - 1e-9:
            next_cycle += cycle
            rows = _perfect_tracks(truth, t1)
            eng.identify(t1, rows, events)
            eng.cycle(t1, rows, rows.truth_id, events)
        if eng.interceptors.n and eng.flyout is not None and eng.flyout.active_ids.size == 0:
            break
    eng.interceptor_paths()
    eng.summary()


def _perfect_tracks(truth: Truth, t: float) -> TrackUpdates:
    """Confirmed tracks (numbered from 1) on the live objects at time t, exactly where they
    are."""
    idx = np.flatnonzero(truth.alive(t))
    pos, vel, _ = truth.state_at(np.full(idx.size, t), idx)
    n = idx.size
    return TrackUpdates(
        t=np.full(n, t),
        track_id=idx + 1,
        x=pos[:, 0],
        y=pos[:, 1],
        z=pos[:, 2],
        vx=vel[:, 0],
        vy=vel[:, 1],
        vz=vel[:, 2],
        status=np.full(n, CONFIRMED),
        sx=np.full(n, 50.0),
        sy=np.full(n, 50.0),
        sz=np.full(n, 50.0),
        quality=np.ones(n),
        truth_id=idx,
    )


# --- the helper process ------------------------------------------------------------------


def _exit_when_orphaned() -> None:
    """Exit as soon as stdin reaches its end: the run that started this helper has closed
    it or is gone. (Reads the file descriptor, not ``sys.stdin``: a daemon thread blocked
    inside a buffered reader would abort the interpreter's exit.)"""
    with contextlib.suppress(OSError):
        while os.read(0, 65536):
            pass
    os._exit(3)


def main() -> int:
    """The helper: read the theatre (a pickle on stdin), compile the tracker's kernels by
    running it (:func:`warm_tracker`), exit."""
    theatre = pickle.load(sys.stdin.buffer)
    threading.Thread(target=_exit_when_orphaned, daemon=True).start()
    warm_tracker(theatre)
    return 0


if __name__ == "__main__":
    sys.exit(main())
