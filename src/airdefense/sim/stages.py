"""How the loop builds and feeds the stages of one run: the theatre's radars at their sites,
its tracker fed by every radar, a radar's plots fed to the tracker sweep by sweep. The loop
(:mod:`airdefense.sim.loop`) and the compile-ahead warm-up (:mod:`airdefense.sim.ahead`) both
use them, so the warm-up builds the tracker exactly as the run does.
"""

from __future__ import annotations

import itertools

import numpy as np

from airdefense.sensors import Plots, Radar
from airdefense.tracking.config import TrackerConfig
from airdefense.tracking.measurements import Measurements, TrackUpdates
from airdefense.tracking.tracker import Tracker
from airdefense.types.theatre import Theatre


def place_radars(theatre: Theatre) -> list[Radar]:
    """Every radar of the theatre at its site (antenna on its mast)."""
    return [
        Radar(
            site.preset,
            sensor_id=site.sensor_id,
            name=site.name,
            position_enu=site.antenna_xyz,
            ground_height_m=site.ground.height_m,
            boresight_rad=site.boresight_rad,
            frame=theatre.frame,
            phase_rad=site.phase_rad,
        )
        for site in theatre.radars
    ]


def make_tracker(theatre: Theatre, radars: list[Radar]) -> Tracker:
    """The theatre's tracker, fed by every radar (its site, local axes and scan period).

    Each radar's plots arrive once per revisit, split by sweep, so batches of different radars
    interleave in time: the tracker accepts batches that far out of order.
    """
    settings = theatre.tracking.model_dump()
    longest = max((r.preset.scan_period_s for r in radars), default=0.0)
    settings["batch_window_s"] = max(settings["batch_window_s"], theatre.time_step_s + longest)
    frame = theatre.frame
    tracker = Tracker(TrackerConfig(**settings), frame=frame)
    for radar in radars:
        tracker.add_sensor(
            radar.sensor_id,
            radar.position_enu,
            frame.sensor_rotation(radar.position_enu),
            revisit_s=radar.preset.scan_period_s,
        )
    return tracker


def track_plots(tracker: Tracker, p: Plots) -> list[TrackUpdates]:
    """Feed one radar's pending plots to the tracker, one batch per sweep (a target is
    plotted at most once per sweep, and a fast sector scan sweeps more than once a step)."""
    cut = np.flatnonzero(np.diff(p.scan)) + 1
    bounds = np.concatenate([[0], cut, [len(p)]])
    out = []
    for a, b in itertools.pairwise(bounds):
        sl = slice(int(a), int(b))
        m = Measurements.from_polar(
            p.t[sl],
            p.sensor_id[sl],
            p.range_m[sl],
            p.azimuth_rad[sl],
            p.elevation_rad[sl],
            p.sigma_range_m[sl],
            p.sigma_azimuth_rad[sl],
            p.sigma_elevation_rad[sl],
            truth_id=p.truth_id[sl],
        )
        u = tracker.process(m)
        if len(u):
            out.append(u)
    return out
