"""The time loop: moves time step by step and calls each stage in order.

One step is the window [t_k, t_k+1) of the scenario's time grid. In each window the loop
logs launches, asks every radar for the plots of the looks that fall inside the window,
logs first detections, and logs the ends of trajectories (a threat that reaches its aim
point is a leak; one that impacts inside a defended asset's radius also hits it). Later
stages (tracking, engagement) slot in after the sensors, and a kill is applied to the
world through :meth:`Truth.kill`, the only way downstream reaches back upstream.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from airdefense.engagement.batteries import Batteries
from airdefense.engagement.engage import Engagement
from airdefense.engagement.interceptors import InterceptorLog
from airdefense.geo import Frame
from airdefense.sensors import Plots, Radar
from airdefense.sim.ahead import CompileAhead
from airdefense.sim.budget import check_budget
from airdefense.sim.seeds import child_rngs, stage_seeds
from airdefense.sim.stages import make_tracker, place_radars, track_plots
from airdefense.sim.warmup import warm_engagement
from airdefense.tracking.measurements import TrackUpdates
from airdefense.tracking.metrics import TrackingScore, evaluate
from airdefense.types.events import (
    AssetHit,
    EventKind,
    EventLog,
    FirstDetection,
    Leak,
    ObjectEnd,
    ObjectStart,
)
from airdefense.types.theatre import Theatre
from airdefense.world.build import build_truth
from airdefense.world.truth import Truth

#: Reference target of the coverage diagrams (m^2, Swerling 1): a small fighter.
COVERAGE_RCS_M2 = 1.0
#: Heights of the coverage diagram (m above the ellipsoid): fine near the ground, where the
#: horizon bites, coarse above.
COVERAGE_HEIGHTS_M = np.concatenate(
    [np.arange(0.0, 2000.0, 25.0), np.arange(2000.0, 30001.0, 200.0)]
)
COVERAGE_RANGES = 300
#: GOSPA cut-off and SIAP association distance of a run's track score (m): above the
#: cross-range error of a surveillance radar at 300 km (~1 km), below the spacing of
#: distinct targets in a raid.
TRACK_SCORE_DISTANCE_M = 2000.0


@dataclass
class FirstDetections:
    """Per object: time, sensor, slant range and height of its first plot (inf/-1 if none)."""

    t: np.ndarray
    sensor_id: np.ndarray
    range_m: np.ndarray
    height_m: np.ndarray

    @classmethod
    def none(cls, n: int) -> FirstDetections:
        return cls(
            np.full(n, np.inf), np.full(n, -1, np.int64), np.full(n, np.nan), np.full(n, np.nan)
        )

    @property
    def detected(self) -> np.ndarray:
        return np.isfinite(self.t)


@dataclass
class RunResult:
    """Everything one run produced, in memory; :mod:`airdefense.record` writes it."""

    theatre: Theatre
    trial: int
    truth: Truth
    radars: list[Radar]  # one per theatre radar, by sensor_id
    plots: Plots
    tracks: TrackUpdates
    track_score: TrackingScore | None  # None when simulated without analysis
    interceptors: InterceptorLog
    #: every interceptor's flown path: ids (P,), times (P,), ENU positions (P, 3)
    interceptor_paths: tuple[np.ndarray, np.ndarray, np.ndarray]
    events: EventLog
    first: FirstDetections
    #: sensor_id -> (reference RCS m^2, ground range, height, SNR dB, Pd, visible) on a grid
    coverage: dict[int, tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    summary: dict[str, object]
    timings_s: dict[str, float] = field(default_factory=dict)
    #: flyout time tables of the missile types the batteries carry (FlyoutTable)
    flyout_tables: list = field(default_factory=list)
    #: the batteries, their loads and what is left of them (None: no batteries)
    batteries: Batteries | None = None

    @property
    def frame(self) -> Frame:
        """The theatre's ENU frame."""
        return self.theatre.frame


def simulate(
    theatre: Theatre,
    trial: int = 0,
    progress: Callable[[float], None] | None = None,
    *,
    analysis: bool = True,
    compile_ahead: CompileAhead | None = None,
) -> RunResult:
    """Run the theatre once (trial ``trial``) and return what happened.

    ``analysis=False`` skips what only a run directory's report reads (the radars' coverage
    diagrams and the tracks' GOSPA/SIAP score: ``track_score`` is None and the summary's
    track-quality figures NaN): a Monte Carlo trial needs the outcome, not the diagnosis.

    ``compile_ahead``: the helper process ``airdefense run`` starts when numba's cache lacks
    the tracker's kernels (the first run, :meth:`CompileAhead.start`): given the theatre, it
    compiles them on another core while this process compiles and runs the rest, and is
    reaped before this returns (:mod:`airdefense.sim.ahead`). Same results."""
    ahead = compile_ahead
    if ahead is not None and not theatre.radars:  # no tracker to compile
        ahead.close()
        ahead = None
    if ahead is not None:
        ahead.send(theatre)
    try:
        return _simulate(theatre, trial, progress, analysis, ahead)
    finally:
        if ahead is not None:
            ahead.close()


def _simulate(
    theatre: Theatre,
    trial: int,
    progress: Callable[[float], None] | None,
    analysis: bool,
    ahead: CompileAhead | None,
) -> RunResult:
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    seeds = stage_seeds(theatre.seed, trial)
    truth = build_truth(theatre, np.random.default_rng(seeds["world"]))
    timings["world"] = time.perf_counter() - clock

    clock = time.perf_counter()
    loop = _Loop(theatre, truth, seeds, ahead)
    loop.run(progress)
    plots, tracks = loop.finish()
    timings["sensors"] = (
        time.perf_counter() - clock - loop.track_clock - loop.engage_clock - loop.ahead_clock
    )
    timings["tracking"] = loop.track_clock
    timings["engagement"] = loop.engage_clock
    if ahead is not None:
        timings["compile_ahead"] = loop.ahead_clock  # the warm-up and the wait

    clock = time.perf_counter()
    coverage = coverage_diagrams(loop.radars) if analysis else {}
    timings["coverage"] = time.perf_counter() - clock
    clock = time.perf_counter()
    track_score = score_tracks(truth, loop.first, tracks) if analysis else None
    timings["track_metrics"] = time.perf_counter() - clock
    engagement, events = loop.engagement, loop.events
    summary = _summary(theatre, trial, truth, loop.radars, plots, loop.first, events)
    summary["tracks_confirmed"] = events.count(EventKind.TRACK_CONFIRMED)
    summary["gospa_mean_m"] = track_score.gospa_mean if track_score else float("nan")
    summary["track_completeness"] = track_score.completeness if track_score else float("nan")
    summary.update(identification_summary(events, truth))
    summary.update(engagement.summary())
    return RunResult(
        theatre,
        trial,
        truth,
        loop.radars,
        plots,
        tracks,
        track_score,
        engagement.interceptors,
        engagement.interceptor_paths(),
        events,
        loop.first,
        coverage,
        summary,
        timings,
        engagement.flyout_tables(),
        engagement.batteries if engagement.enabled else None,
    )


class _Loop:
    """One run's time loop and what it gathers: the radars and their random streams, the
    tracker and the plots waiting for it, the engage stage, the event log; wall time spent
    tracking and engaging; the helper compiling the tracker's kernels, if any, until the
    tracker is first needed (and the wall time spent waiting for it)."""

    def __init__(
        self,
        theatre: Theatre,
        truth: Truth,
        seeds: dict[str, np.random.SeedSequence],
        ahead: CompileAhead | None = None,
    ) -> None:
        self.theatre = theatre
        self.truth = truth
        self.radars = place_radars(theatre)
        check_budget(theatre, self.radars, truth.n)
        self.sensor_rngs = child_rngs(seeds["sensors"], len(self.radars))
        self.events = EventLog()
        self.first = FirstDetections.none(truth.n)
        self.plots: list[Plots] = []
        self.tracker = make_tracker(theatre, self.radars)
        self.pending: dict[int, list[Plots]] = {r.sensor_id: [] for r in self.radars}
        self.since = {r.sensor_id: float(truth.t[0]) for r in self.radars}
        self.flush_s = {r.sensor_id: r.preset.scan_period_s for r in self.radars}
        self.track_rows: list[TrackUpdates] = []
        self.read = 0  # track rows already given to identification
        self.engagement = Engagement(
            theatre,
            truth,
            np.random.default_rng(seeds["engagement"]),
            np.random.default_rng(seeds["identification"]),
        )
        self.next_cycle = float(truth.t[0]) + theatre.doctrine.decision_cycle_s
        self.track_clock = 0.0
        self.engage_clock = 0.0
        self.ahead = ahead
        self.ahead_clock = 0.0

    def run(self, progress: Callable[[float], None] | None) -> None:
        """Every window [t_k, t_k+1) of the time grid, in order."""
        t = self.truth.t
        steps = t.shape[0] - 1
        report_every = max(steps // 100, 1)
        for k in range(steps):
            last = k == steps - 1
            self._step(float(t[k]), float(t[k + 1]), last)
            if progress is not None and (k % report_every == 0 or last):
                progress((k + 1) / steps)

    def _step(self, t0: float, t1: float, last: bool) -> None:
        """One window: launches, the interceptors' flight (a kill in the window ends its
        target before the radars look), the radars' looks and the tracker, the decision
        cycle when one is due, the trajectories that ended."""
        _log_launches(self.events, self.truth, t0, t1)
        tic = time.perf_counter()
        self.engagement.advance(t0, t1, self.events)
        self.engage_clock += time.perf_counter() - tic
        for radar, rng in zip(self.radars, self.sensor_rngs, strict=True):
            self._look(radar, rng, t0, t1, last)
        self.events.extend(self.tracker.pop_events())
        if t1 >= self.next_cycle - 1e-9 or last:
            self._decide(t1)
        _log_ends(self.events, self.truth, self.theatre, t0, np.inf if last else t1)

    def _look(
        self, radar: Radar, rng: np.random.Generator, t0: float, t1: float, last: bool
    ) -> None:
        """A radar's plots of the window; its plots go to the tracker once per revisit (or
        each step if longer): the picture stays current and the tracker's per-batch cost is
        paid less often."""
        sid = radar.sensor_id
        p = radar.scan_window(t0, t1, self.truth, rng)
        if p.t.shape[0]:
            self.plots.append(p)
            _first_detections(self.first, p, self.truth)
            self.pending[sid].append(p)
        if t1 - self.since[sid] >= self.flush_s[sid] - 1e-9 or last:
            self.since[sid] = t1
            if self.pending[sid]:
                self._tracker_ready()
                tic = time.perf_counter()
                self.track_rows.extend(track_plots(self.tracker, Plots.concat(self.pending[sid])))
                self.track_clock += time.perf_counter() - tic
                self.pending[sid] = []

    def _decide(self, t1: float) -> None:
        """A decision cycle: identification takes the track updates since the last one, then
        the engage stage runs on the confirmed picture."""
        self._tracker_ready()
        tic = time.perf_counter()
        self.next_cycle += self.theatre.doctrine.decision_cycle_s
        engagement = self.engagement
        if self.read < len(self.track_rows):
            engagement.identify(t1, TrackUpdates.concat(self.track_rows[self.read :]), self.events)
            self.read = len(self.track_rows)
        if engagement.enabled:
            picture = self.tracker.tracks_at(t1)
            engagement.cycle(t1, picture, picture.truth_id, self.events)
        self.engage_clock += time.perf_counter() - tic

    def _tracker_ready(self) -> None:
        """Before the tracker's first call, if a helper is compiling its kernels: compile the
        engage stage's meanwhile (a synthetic raid), then wait for the helper; the tracker
        then loads its kernels from numba's cache."""
        if self.ahead is None:
            return
        tic = time.perf_counter()
        ahead, self.ahead = self.ahead, None
        ahead.wait(meanwhile=lambda: warm_engagement(self.theatre))
        self.ahead_clock += time.perf_counter() - tic

    def finish(self) -> tuple[Plots, TrackUpdates]:
        """Every plot and track row of the run; the first detections logged."""
        plots = Plots.concat(self.plots) if self.plots else Plots.empty()
        _log_first_detections(self.events, self.first, self.truth)
        return plots, TrackUpdates.concat(self.track_rows)


def coverage_diagrams(
    radars: list[Radar],
) -> dict[int, tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Each radar's coverage diagram for the reference target: SNR, Pd and visibility on a
    grid of ground range (to its instrumented range) and height."""
    coverage = {}
    for radar in radars:
        max_r = radar.preset.max_range_km * 1000.0
        ground_r = np.linspace(0.0, max_r, COVERAGE_RANGES)
        rr, hh = np.meshgrid(ground_r, COVERAGE_HEIGHTS_M)
        snr, pd, visible = radar.coverage(rr.ravel(), hh.ravel(), COVERAGE_RCS_M2, 1)
        coverage[radar.sensor_id] = (
            COVERAGE_RCS_M2,
            rr.ravel(),
            hh.ravel(),
            np.asarray(snr),
            np.asarray(pd),
            np.asarray(visible),
        )
    return coverage


def score_tracks(truth: Truth, first: FirstDetections, tracks: TrackUpdates) -> TrackingScore:
    """GOSPA over time and SIAP of the run's confirmed tracks.

    The truth scored at a grid time is every object alive then that some radar has already
    plotted: a tracker cannot hold what was never seen, and should keep what it has seen.
    """
    t = truth.t
    alive = (truth.start_s[None, :] <= t[:, None] + 1e-9) & (t[:, None] <= truth.end_s[None, :])
    seen = first.t[None, :] <= t[:, None]
    k, i = np.nonzero(alive & seen)
    pos = truth.pos[k, i]
    vel = truth.vel[k, i]
    rows = {
        "t": t[k],
        "truth_id": i,
        "x": pos[:, 0],
        "y": pos[:, 1],
        "z": pos[:, 2],
        "vx": vel[:, 0],
        "vy": vel[:, 1],
        "vz": vel[:, 2],
    }
    # scored up to the last track output: the final grid point sits after the last scan
    times = t[t <= tracks.t.max() + 1e-9] if len(tracks) else t
    return evaluate(
        rows,
        tracks,
        c_m=TRACK_SCORE_DISTANCE_M,
        association_distance_m=TRACK_SCORE_DISTANCE_M,
        times=times,
    )


def identification_summary(events: EventLog, truth: Truth) -> dict[str, int]:
    """Threats whose track was identified hostile, and civil flights whose track was (the
    error identification exists to prevent)."""
    ident = events.of(EventKind.IDENTIFIED)
    obj = ident.object_id[(ident.identity == "hostile") & (ident.object_id >= 0)]
    ids = np.unique(obj)
    is_threat = truth.hostile[ids] if ids.size else np.zeros(0, dtype=bool)
    return {
        "threats_identified": int(is_threat.sum()),
        "civil_identified_hostile": int((~is_threat).sum()),
    }


def _log_launches(events: EventLog, truth: Truth, t0: float, t1: float) -> None:
    new = np.flatnonzero((truth.start_s >= t0) & (truth.start_s < t1))
    if new.size:
        pos, _, _ = truth.state_at(truth.start_s[new], new)
        events.add(
            ObjectStart(t=truth.start_s[new], object_id=new, x=pos[:, 0], y=pos[:, 1], z=pos[:, 2])
        )


def _first_detections(first: FirstDetections, p: Plots, truth: Truth) -> None:
    """Record plots earlier than each object's first so far (another radar may have
    plotted it later in the same window); one radar's plots come in time order."""
    tid = p.truth_id
    new = np.flatnonzero((tid >= 0) & (p.t < first.t[np.maximum(tid, 0)]))
    if new.size == 0:
        return
    ids, pick = np.unique(tid[new], return_index=True)  # first occurrence = earliest plot
    rows = new[pick]
    _, _, height = truth.state_at(p.t[rows], ids)
    first.t[ids] = p.t[rows]
    first.sensor_id[ids] = p.sensor_id[rows]
    first.range_m[ids] = p.range_m[rows]
    first.height_m[ids] = height


def _log_first_detections(events: EventLog, first: FirstDetections, truth: Truth) -> None:
    ids = np.flatnonzero(first.detected)
    if ids.size:
        pos, _, _ = truth.state_at(first.t[ids], ids)
        events.add(
            FirstDetection(
                t=first.t[ids],
                object_id=ids,
                sensor_id=first.sensor_id[ids],
                range_m=first.range_m[ids],
                x=pos[:, 0],
                y=pos[:, 1],
                z=pos[:, 2],
            )
        )


def _asset_hit(theatre: Theatre, where: np.ndarray) -> np.ndarray:
    """Index of the defended asset each impact point (M, 3) lies inside (-1 for none)."""
    hit = np.full(where.shape[0], -1, np.int64)
    if not theatre.assets:
        return hit
    centres = theatre.asset_xyz
    radii = theatre.asset_radius_m
    d = np.linalg.norm(where[:, None, :2] - centres[None, :, :2], axis=-1)
    inside = d <= radii[None, :]
    any_in = inside.any(axis=1)
    hit[any_in] = np.argmax(inside[any_in], axis=1)
    return hit


def _log_ends(events: EventLog, truth: Truth, theatre: Theatre, t0: float, t1: float) -> None:
    ending = np.flatnonzero((truth.end_s >= t0) & (truth.end_s < t1))
    if ending.size == 0:
        return
    reason = truth.end_reason[ending]
    pos, _, _ = truth.state_at(truth.end_s[ending], ending)
    arrived = truth.hostile[ending] & np.isin(reason, ["impact", "reached_aim"])
    if np.any(arrived):
        ids = ending[arrived]
        where = pos[arrived]
        events.add(
            Leak(
                t=truth.end_s[ids],
                object_id=ids,
                reason=reason[arrived],
                x=where[:, 0],
                y=where[:, 1],
                z=where[:, 2],
            )
        )
        impact = reason[arrived] == "impact"
        hit = _asset_hit(theatre, where)
        struck = impact & (hit >= 0)
        if np.any(struck):
            events.add(
                AssetHit(
                    t=truth.end_s[ids[struck]],
                    object_id=ids[struck],
                    asset_id=hit[struck],
                    x=where[struck, 0],
                    y=where[struck, 1],
                    z=where[struck, 2],
                )
            )
    other = ~arrived
    if np.any(other):
        ids = ending[other]
        events.add(
            ObjectEnd(
                t=truth.end_s[ids],
                object_id=ids,
                reason=reason[other],
                x=pos[other, 0],
                y=pos[other, 1],
                z=pos[other, 2],
            )
        )


def _summary(
    theatre: Theatre,
    trial: int,
    truth: Truth,
    radars: list[Radar],
    plots: Plots,
    first: FirstDetections,
    events: EventLog,
) -> dict[str, object]:
    hostile = truth.hostile
    detected = first.detected
    warning = (truth.end_s - first.t)[hostile & detected]
    return {
        "scenario": theatre.name,
        "seed": theatre.seed,
        "trial": trial,
        "duration_s": float(theatre.duration_s),
        "objects": truth.n,
        "threats": int(hostile.sum()),
        "civil": int((~hostile).sum()),
        "sensors": len(radars),
        "detections": int(np.count_nonzero(plots.truth_id >= 0)),
        "false_alarms": int(np.count_nonzero(plots.truth_id < 0)),
        "threats_detected": int((hostile & detected).sum()),
        "civil_detected": int((~hostile & detected).sum()),
        "mean_warning_s": float(warning.mean()) if warning.size else None,
        "leakers": events.count(EventKind.LEAK),
        "assets_hit": events.count(EventKind.ASSET_HIT),
        "civil_engaged": 0,
        "interceptors_used": 0,
    }
