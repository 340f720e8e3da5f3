"""How our tracker scales: seconds per scan up to 30,000 targets, and memory over long runs.

    .venv/bin/python bench/tracking_scale.py [--targets 1000,3000,10000,30000] [--scans N]
        [--memory-scans 360,3600] [--memory-targets 100] [--sink parquet|discard]

Timing: one scene per size (``bench/_tracking_data.py``: 10 s scans, Pd 0.9, 50 m noise,
0.2 clutter plots per target per scan, one target per 900 km^2), ``Tracker.process`` timed
per scan (GNN, constant velocity); median and 95th percentile over the scans after the
warm-up, and the median divided by N log2 N. One core (BLAS threads set to 1 here).

Peak RSS is the kernel's VmHWM, reset before each measured part (Linux >= 4.0; without the
reset it includes what came before). The first scans, where tentative tracks with their
wide velocity prior meet the second scan's plots, are timed apart ("initiation").

Memory: each run length in its own subprocess (its own peak RSS after a warm-up): a
streamed scene of ``--memory-targets`` targets alive on average, born and dying (mean
life 600 s) so tracks come and go, a scan every 10 s (360 scans = 1 hour), the updates
written to Parquet with ``TrackWriter`` (or discarded); RSS sampled through the run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from _tracking_data import iter_scans, make_scenario  # noqa: E402
from tracking_vs_stonesoup import cpu_model, nproc, our_config  # noqa: E402

DT_S = 10.0
SIGMA_M = 50.0
PD = 0.9
MEAN_LIFE_S = 600.0
RSS_SAMPLES = 10


def _rss_mb() -> float:
    """Current resident set size (MB) from /proc/self/statm (NaN elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def _peak_rss_mb() -> float:
    """Peak RSS (MB) of this process image since exec or the last :func:`_reset_peak`
    (VmHWM); elsewhere ``ru_maxrss``, which on Linux also counts the parent before exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM, Linux >= 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def time_scans(n: int, scans: int, clutter_per_target: float, seed: int) -> dict[str, float]:
    """Seconds of each ``process`` call on an n-target scene, plus a sanity count."""
    from airdefense.tracking.measurements import Measurements
    from airdefense.tracking.tracker import Tracker

    scn = make_scenario(n, scans, DT_S, clutter_per_target * n, seed + n, pd=PD, sigma_m=SIGMA_M)
    batches = [
        Measurements.cartesian(scn.times[i], scn.det_xyz[i], np.full(3, SIGMA_M))
        for i in range(scans)
    ]
    tracker = Tracker(our_config())
    seconds = []
    for batch in batches:
        start = time.perf_counter()
        tracker.process(batch)
        seconds.append(time.perf_counter() - start)
    return {
        "targets": n,
        "detections": float(np.mean([len(b) for b in batches])),
        "seconds": seconds,
        "confirmed": tracker.n_confirmed,
    }


def scale(
    targets: list[int], scans: int, warmup: int, clutter_per_target: float, seed: int
) -> list[dict[str, float]]:
    """One timing row per size: median and p95 s/scan after warm-up, and per N log2 N."""
    time_scans(10, warmup + 2, clutter_per_target, seed)  # warm any JIT kernels first
    rows = []
    for n in targets:
        _reset_peak()
        r = time_scans(n, scans, clutter_per_target, seed)
        r["peak_mb"] = _peak_rss_mb()
        r["initiation_max_s"] = float(max(r["seconds"][:warmup] or [np.nan]))
        s = np.array(r.pop("seconds")[warmup:] or [np.nan])
        med = float(np.median(s))
        r.update(
            scans=scans,
            timed=s.size,
            median_s=med,
            p95_s=float(np.percentile(s, 95)),
            ns_per_nlogn=med / (n * np.log2(max(n, 2))) * 1e9,
        )
        rows.append(r)
    return rows


def memory_child(scans: int, targets: int, sink: str, seed: int) -> dict[str, object]:
    """A streamed run in this process: peak RSS and RSS samples (MB) through the run."""
    from airdefense.tracking.measurements import Measurements
    from airdefense.tracking.tracker import Tracker
    from airdefense.tracking.writer import TrackWriter

    # warm-up (imports, any JIT compile, first Parquet write) so that the run's own peak
    # is not the start-up's
    warm = Tracker(our_config())
    with tempfile.TemporaryDirectory() as tmp, TrackWriter(Path(tmp) / "w.parquet") as w:
        for scan in iter_scans(10, 8, DT_S, 2.0, seed + 1):
            w.write(warm.process(Measurements.cartesian(scan.t, scan.det_xyz, SIGMA_M)))
    del warm
    tracker = Tracker(our_config())
    baseline = _rss_mb()
    startup_peak = _peak_rss_mb()
    _reset_peak()
    samples: list[tuple[int, float]] = []
    every = max(scans // RSS_SAMPLES, 1)
    rows = 0
    events = 0
    alive = 0
    last_id = 0  # track ids are handed out in sequence: the largest seen = tracks started
    with tempfile.TemporaryDirectory() as tmp:
        writer = TrackWriter(Path(tmp) / "tracks.parquet") if sink == "parquet" else None
        gen = iter_scans(
            targets,
            scans,
            DT_S,
            0.2 * targets,
            seed,
            pd=PD,
            sigma_m=SIGMA_M,
            mean_life_s=MEAN_LIFE_S,
        )
        for i, scan in enumerate(gen):
            updates = tracker.process(
                Measurements.cartesian(scan.t, scan.det_xyz, np.full(3, SIGMA_M))
            )
            rows += len(updates)
            events += len(tracker.pop_events())  # a long run reads its events as it goes
            if len(updates):
                last_id = max(last_id, int(updates.track_id.max()))
            alive += scan.truth_id.shape[0]
            if writer is not None:
                writer.write(updates)
            if (i + 1) % every == 0 or i + 1 == scans:
                samples.append((i + 1, _rss_mb()))
        if writer is not None:
            writer.close()
    return {
        "scans": scans,
        "targets_mean": alive / max(scans, 1),
        "rows": rows,
        "tracks_started": last_id,
        "live_tracks_end": tracker.n_tracks,
        "events": events,
        "events_held": len(tracker.events),
        "baseline_mb": baseline,
        "startup_peak_mb": startup_peak,
        "run_peak_mb": _peak_rss_mb(),
        "samples": samples,
    }


def memory(scan_counts: list[int], targets: int, sink: str, seed: int) -> list[dict[str, object]]:
    """Each run length in a fresh subprocess, so each peak RSS is that run's own."""
    out = []
    for scans in scan_counts:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(scans)]
        cmd += ["--memory-targets", str(targets), "--sink", sink, "--seed", str(seed)]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def _hours(scans: int) -> str:
    h = scans * DT_S / 3600
    return f"{h:.3g} h"


def tables(timing: list[dict[str, float]], mem: list[dict[str, object]], sink: str) -> str:
    """Markdown tables of the timing and memory rows."""
    lines = []
    if timing:
        lines += [
            "| targets | detections/scan | scans timed | median s/scan | p95 s/scan "
            "| median / (N log2 N) (ns) | slowest initiation scan (s) | peak RSS (MB) "
            "| confirmed tracks at end |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in timing:
            lines.append(
                f"| {r['targets']:,.0f} | {r['detections']:,.0f} | {r['timed']:.0f} "
                f"| {r['median_s']:.4g} | {r['p95_s']:.4g} | {r['ns_per_nlogn']:.3g} "
                f"| {r['initiation_max_s']:.3g} | {r['peak_mb']:,.0f} "
                f"| {r['confirmed']:,.0f} |"
            )
    if mem:
        if lines:
            lines.append("")
        lines += [
            f"| run | scans | targets alive (mean) | tracks started | rows ({sink}) "
            "| track events (read as they come) | RSS after start-up (MB) | RSS through the run (MB) | peak RSS during the run (MB) "
            "| peak RSS of start-up (MB) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for m in mem:
            trace = ", ".join(f"{mb:.0f}" for _, mb in m["samples"])  # type: ignore[union-attr]
            lines.append(
                f"| {_hours(int(m['scans']))} | {m['scans']:,} | {m['targets_mean']:.0f} "
                f"| {m['tracks_started']:,} | {m['rows']:,} | {m['events']:,} | {m['baseline_mb']:.0f} "
                f"| {trace} | {m['run_peak_mb']:.0f} | {m['startup_peak_mb']:.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, list[dict[str, object]]]:
    """Parse options, run, print the tables; returns the timing and memory rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="1000,3000,10000,30000", help="'' for none")
    parser.add_argument("--scans", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5, help="scans left out of the stats")
    parser.add_argument("--clutter-per-target", type=float, default=0.2)
    parser.add_argument("--memory-scans", default="360,3600", help="'' for none")
    parser.add_argument("--memory-targets", type=int, default=100)
    parser.add_argument("--sink", choices=("parquet", "discard"), default="parquet")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--memory-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        print(
            json.dumps(memory_child(args.memory_child, args.memory_targets, args.sink, args.seed))
        )
        return {}
    targets = [int(s) for s in args.targets.split(",") if s]
    scan_counts = [int(s) for s in args.memory_scans.split(",") if s]
    timing = scale(targets, args.scans, args.warmup, args.clutter_per_target, args.seed)
    mem = memory(scan_counts, args.memory_targets, args.sink, args.seed)
    print(
        f"tracking scale: GNN, constant velocity, {DT_S:.0f} s scans, Pd {PD}, "
        f"{args.clutter_per_target} clutter plots per target per scan; timing over scans "
        f"{args.warmup + 1}-{args.scans}; memory: {args.memory_targets} targets alive on "
        f"average (mean life {MEAN_LIFE_S:.0f} s), {0.2 * args.memory_targets:.0f} clutter "
        f"plots per scan, updates {'written to Parquet' if args.sink == 'parquet' else 'discarded'}, "
        f"RSS sampled every {RSS_SAMPLES}th of the run"
    )
    print(
        f"nproc {nproc()} (machine: {os.cpu_count()} cores), CPU {cpu_model()}, "
        "one core (BLAS threads 1)"
    )
    print()
    print(tables(timing, mem, args.sink))
    return {"timing": timing, "memory": mem}


if __name__ == "__main__":
    main()
