"""Time one run of a bundled scenario, split by stage.

    .venv/bin/python bench/scenario.py [SCENARIO] [--repeat N] [--trial-only]

Prints median wall-clock seconds of the world (truth), sensors, tracking, engagement,
coverage diagrams and track scoring, writing run.duckdb and the report. ``--trial-only``
times what a Monte Carlo trial runs (``simulate(analysis=False)``: no coverage diagrams, no
track scoring, no files) over trials 0..N-1. Runs on one core (BLAS threads off); the first
run, which loads the compiled kernels and the recorded traffic, is not counted.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from airdefense.record.rundir import write_database
from airdefense.report import write_report
from airdefense.scenario import library, load_theatre
from airdefense.sim.loop import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=library.DEFAULT_SCENARIO)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--trial-only", action="store_true", help="time Monte Carlo trials (no analysis, no files)"
    )
    args = parser.parse_args()
    scenario = load_theatre(library.resolve(args.scenario))
    simulate(scenario, analysis=False)  # warm: compiled kernels, recorded traffic, tables
    rows = []
    for k in range(args.repeat):
        start = time.perf_counter()
        if args.trial_only:
            result = simulate(scenario, trial=k, analysis=False)
            rows.append({**result.timings_s, "simulate": time.perf_counter() - start})
            continue
        result = simulate(scenario)
        sim_s = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            clock = time.perf_counter()
            write_database(result, Path(tmp) / "run.duckdb")
            db_s = time.perf_counter() - clock
            clock = time.perf_counter()
            write_report(Path(tmp))
            report_s = time.perf_counter() - clock
        rows.append({**result.timings_s, "simulate": sim_s, "database": db_s, "report": report_s})
    what = f"trials 0-{args.repeat - 1}" if args.trial_only else f"{args.repeat} runs"
    print(
        f"scenario {scenario.name}: {result.truth.n} objects, {result.truth.t.shape[0]} steps, "
        f"{result.plots.t.shape[0]} plots; median of {what}, seconds (nproc "
        f"{len(os.sched_getaffinity(0))}):"
    )
    for key in rows[0]:
        print(f"  {key:<10} {statistics.median(r[key] for r in rows):8.3f}")


if __name__ == "__main__":
    main()
