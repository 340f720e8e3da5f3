"""Our GNN tracker against Stone Soup's standard GNN tracker on the same detections.

    .venv/bin/python bench/tracking_vs_stonesoup.py [--targets 10,100,300,1000] [--scans N]
        [--stonesoup-max-targets N] [--stonesoup-short-above N] [--stonesoup-short-scans N]

One scene per size (``bench/_tracking_data.py``: 10 s scans, Pd 0.9, 50 m noise per axis,
clutter 0.2 plots per target per scan, one target per 900 km^2) is fed to Stone Soup
(KalmanPredictor on a constant-velocity model per axis, KalmanUpdater, DistanceHypothesiser
with Mahalanobis distance, GNNWith2DAssignment, MultiMeasurementInitiator, and
UpdateTimeStepsDeleter) and to ours (``TrackerConfig(filter='cv', association='gnn')``)
with the same process noise, gate, Pd and track logic. Seconds per scan time the trackers
alone (detections are converted to each tracker's input type beforehand); both run on one
core (BLAS threads set to 1 here, before numpy is imported). GOSPA (c = 1000 m, p = 2,
alpha = 2, ``airdefense.tracking.metrics.gospa``) compares each scan's live truth with the
confirmed tracks of each tracker (ours: ``Tracker.tracks_at(t)``, confirmed tracks whether
updated or coasting; Stone Soup: the tracker's tracks, i.e. released by its initiator and
not yet deleted), read after each timed call.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

from _tracking_data import Scenario, make_scenario  # noqa: E402

GOSPA_C_M = 1000.0
DT_S = 10.0
SIGMA_M = 50.0
PD = 0.9
PROCESS_NOISE_M2PS3 = 1.0
GATE_PROBABILITY = 0.9997
CONFIRM_M, CONFIRM_N = 3, 5
MAX_MISSES = 3
TENTATIVE_MAX_MISSES = 2
MAX_SPEED_MPS = 1500.0  # our default; a new track's velocity sigma per axis is half of it
_EPOCH = datetime.datetime(2026, 1, 1)


def nproc() -> int:
    """Cores this process may run on (what ``nproc`` prints)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass
class Run:
    """One tracker on one scene: seconds and confirmed positions (k, 3) per scan."""

    seconds: list[float] = field(default_factory=list)
    estimates: list[np.ndarray] = field(default_factory=list)


def our_config() -> object:
    """The TrackerConfig mirroring the Stone Soup set-up."""
    from airdefense.tracking.config import TrackerConfig

    return TrackerConfig(
        filter="cv",
        association="gnn",
        process_noise_m2ps3=PROCESS_NOISE_M2PS3,
        gate_probability=GATE_PROBABILITY,
        detection_probability=PD,
        confirm_m=CONFIRM_M,
        confirm_n=CONFIRM_N,
        max_misses=MAX_MISSES,
        tentative_max_misses=TENTATIVE_MAX_MISSES,
        max_speed_mps=MAX_SPEED_MPS,
        revisit_s=DT_S,
    )


def confirmed_positions(tracker: object, t: float) -> np.ndarray:
    """Positions (k, 3) of our confirmed tracks at scan time t (coasting ones predicted)."""
    picture = tracker.tracks_at(t, confirmed_only=True)
    return np.column_stack([picture.x, picture.y, picture.z]).reshape(-1, 3)


def run_ours(scn: Scenario, n_scans: int) -> Run:
    """Our tracker on the first ``n_scans`` scans; times ``process`` calls only."""
    from airdefense.tracking.measurements import Measurements
    from airdefense.tracking.tracker import Tracker

    batches = [
        Measurements.cartesian(
            scn.times[i], scn.det_xyz[i], np.full(3, scn.sigma_m), truth_id=scn.det_truth_id[i]
        )
        for i in range(n_scans)
    ]
    tracker = Tracker(our_config())
    run = Run()
    for batch, t in zip(batches, scn.times, strict=False):
        start = time.perf_counter()
        tracker.process(batch)
        run.seconds.append(time.perf_counter() - start)
        run.estimates.append(confirmed_positions(tracker, float(t)))
    return run


def stonesoup_tracker() -> object:
    """Stone Soup's standard GNN multi-target tracker with the bench's settings."""
    from scipy.stats import chi2
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import KalmanUpdater

    transition = CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(PROCESS_NOISE_M2PS3) for _ in range(3)]
    )
    measurement = LinearGaussian(
        ndim_state=6, mapping=(0, 2, 4), noise_covar=np.eye(3) * SIGMA_M**2
    )
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(measurement)
    # Mahalanobis() is the distance, not its square: gate at the chi-square quantile's root
    gate = float(np.sqrt(chi2.ppf(GATE_PROBABILITY, 3)))
    hypothesiser = DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=gate)
    velocity_var = (MAX_SPEED_MPS / 2.0) ** 2
    prior = GaussianState(np.zeros((6, 1)), np.diag([0.0, velocity_var] * 3))
    initiator = MultiMeasurementInitiator(
        prior_state=prior,
        measurement_model=measurement,
        deleter=UpdateTimeStepsDeleter(TENTATIVE_MAX_MISSES),
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
        min_points=CONFIRM_M,
    )
    return MultiTargetTracker(
        initiator=initiator,
        deleter=UpdateTimeStepsDeleter(MAX_MISSES),
        detector=None,
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
    )


def run_stonesoup(scn: Scenario, n_scans: int) -> Run:
    """Stone Soup on the first ``n_scans`` scans; times ``update_tracker`` calls only."""
    from stonesoup.types.detection import Detection

    scans = []
    for i in range(n_scans):
        stamp = _EPOCH + datetime.timedelta(seconds=float(scn.times[i]))
        dets = {
            Detection(xyz.reshape(3, 1), timestamp=stamp, metadata={"truth_id": int(tid)})
            for xyz, tid in zip(scn.det_xyz[i], scn.det_truth_id[i], strict=True)
        }
        scans.append((stamp, dets))
    tracker = stonesoup_tracker()
    run = Run()
    for stamp, dets in scans:
        start = time.perf_counter()
        _, tracks = tracker.update_tracker(stamp, dets)
        run.seconds.append(time.perf_counter() - start)
        states = [np.asarray(tr.state_vector, dtype=np.float64)[[0, 2, 4], 0] for tr in tracks]
        run.estimates.append(np.array(states).reshape(-1, 3))
    return run


def mean_gospa(scn: Scenario, run: Run, first: int) -> dict[str, float]:
    """Mean GOSPA distance and components over scans ``first`` .. the run's end."""
    from airdefense.tracking.metrics import gospa

    rows = []
    for i in range(first, len(run.estimates)):
        g = gospa(scn.truth_xyz[i], run.estimates[i], GOSPA_C_M, p=2.0, alpha=2.0)
        rows.append((g.distance, g.localisation, g.missed, g.false, run.estimates[i].shape[0]))
    a = np.array(rows, dtype=np.float64).reshape(-1, 5)
    keys = ("distance", "localisation", "missed", "false", "tracks")
    return {k: float(np.mean(a[:, j])) if a.shape[0] else float("nan") for j, k in enumerate(keys)}


def _fmt_s(x: float) -> str:
    return "-" if not np.isfinite(x) else (f"{x:.3g}" if x < 1 else f"{x:.1f}")


def compare(
    targets: list[int],
    scans: int,
    warmup: int,
    clutter_per_target: float,
    stonesoup_max_targets: int,
    short_above: int,
    short_scans: int,
    seed: int,
    include_ours: bool = True,
) -> list[dict[str, float]]:
    """Run both trackers at each size; one result row per size (see :func:`table`)."""
    if include_ours:  # compile/warm any JIT kernels on a tiny scene before timing
        tiny = make_scenario(5, CONFIRM_N + 2, DT_S, 1.0, seed, pd=PD, sigma_m=SIGMA_M)
        run_ours(tiny, tiny.n_scans)
    rows = []
    for n in targets:
        clutter = clutter_per_target * n
        scn = make_scenario(n, scans, DT_S, clutter, seed + n, pd=PD, sigma_m=SIGMA_M)
        row: dict[str, float] = {
            "targets": n,
            "scans": scans,
            "clutter": clutter,
            "ss_scans": 0,
            "detections": float(np.mean([d.shape[0] for d in scn.det_xyz])),
        }
        ss_scans = 0
        if n <= stonesoup_max_targets:
            ss_scans = min(scans, short_scans) if n > short_above else scans
            ss = run_stonesoup(scn, ss_scans)
            row["ss_s"] = float(np.mean(ss.seconds[warmup:] or ss.seconds))
            ss_g = mean_gospa(scn, ss, warmup)
            row.update({f"ss_{k}": v for k, v in ss_g.items()})
        row["ss_scans"] = ss_scans
        if include_ours:
            ours = run_ours(scn, scans)
            row["ours_s"] = float(np.mean(ours.seconds[warmup:] or ours.seconds))
            # GOSPA over the scans Stone Soup ran too, when it ran (same window for both)
            cut = Run(ours.seconds, ours.estimates[: ss_scans or scans])
            row.update({f"ours_{k}": v for k, v in mean_gospa(scn, cut, warmup).items()})
            row.update({f"ours_full_{k}": v for k, v in mean_gospa(scn, ours, warmup).items()})
        rows.append(row)
    return rows


def table(rows: list[dict[str, float]]) -> str:
    """The markdown table for BENCHMARKS.md (and a second one with the GOSPA components)."""
    nan = float("nan")
    lines = [
        "| targets | scans | clutter/scan | Stone Soup s/scan | ours s/scan | speed-up "
        "| Stone Soup mean GOSPA (m) | ours mean GOSPA (m) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ss_s, our_s = r.get("ss_s", nan), r.get("ours_s", nan)
        scans = f"{r['scans']:.0f}"
        if r["ss_scans"] and r["ss_scans"] < r["scans"]:
            scans += f" (Stone Soup: {r['ss_scans']:.0f})"
        speedup = f"{ss_s / our_s:.0f}x" if np.isfinite(ss_s / our_s) else "-"
        lines.append(
            f"| {r['targets']:,.0f} | {scans} | {r['clutter']:.0f} | {_fmt_s(ss_s)} "
            f"| {_fmt_s(our_s)} | {speedup} | {r.get('ss_distance', nan):,.0f} "
            f"| {r.get('ours_distance', nan):,.0f} |"
        )
    lines += [
        "",
        "| targets | tracker | mean confirmed tracks | GOSPA | localisation | missed | false |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for key, name in (("ss", "Stone Soup"), ("ours", "ours"), ("ours_full", "ours, all scans")):
            if f"{key}_distance" in r and (key != "ours_full" or r["ss_scans"] < r["scans"]):
                lines.append(
                    f"| {r['targets']:,.0f} | {name} | {r[f'{key}_tracks']:.1f} "
                    f"| {r[f'{key}_distance']:,.1f} | {r[f'{key}_localisation']:,.1f} "
                    f"| {r[f'{key}_missed']:,.1f} | {r[f'{key}_false']:,.1f} |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    """Parse options, run, print the tables; returns the result rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="10,100,300,1000")
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=CONFIRM_N, help="scans left out of means")
    parser.add_argument("--clutter-per-target", type=float, default=0.2)
    parser.add_argument(
        "--stonesoup-max-targets", type=int, default=1000, help="no Stone Soup above this"
    )
    parser.add_argument(
        "--stonesoup-short-above",
        type=int,
        default=300,
        help="Stone Soup runs only --stonesoup-short-scans scans above this many targets",
    )
    parser.add_argument("--stonesoup-short-scans", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-ours", action="store_true", help="Stone Soup only")
    args = parser.parse_args(argv)
    targets = [int(s) for s in args.targets.split(",") if s]
    rows = compare(
        targets,
        args.scans,
        args.warmup,
        args.clutter_per_target,
        args.stonesoup_max_targets,
        args.stonesoup_short_above,
        args.stonesoup_short_scans,
        args.seed,
        include_ours=not args.no_ours,
    )
    print(
        f"tracking vs Stone Soup: {DT_S:.0f} s scans, Pd {PD}, sigma {SIGMA_M:.0f} m per axis, "
        f"q {PROCESS_NOISE_M2PS3} m^2/s^3, gate {GATE_PROBABILITY}, confirm {CONFIRM_M} hits "
        f"(ours {CONFIRM_M}/{CONFIRM_N}), drop after {MAX_MISSES} misses; "
        f"means over scans after the first {args.warmup}; "
        f"GOSPA c = {GOSPA_C_M:.0f} m, p = 2, alpha = 2"
    )
    short = [r for r in rows if 0 < r["ss_scans"] < r["scans"]]
    if short:
        print(
            "Stone Soup ran fewer scans at "
            + ", ".join(f"{r['targets']:,.0f} targets ({r['ss_scans']:.0f})" for r in short)
            + "; both trackers' GOSPA on those rows is over the scans Stone Soup ran"
        )
    print(
        f"nproc {nproc()} (machine: {os.cpu_count()} cores), CPU {cpu_model()}, "
        "one core each (BLAS threads 1)"
    )
    print()
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
