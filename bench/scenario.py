"""Time the detect stage of a bundled scenario, split by stage.

    .venv/bin/python bench/scenario.py [SCENARIO] [--repeat N]

Prints wall-clock seconds for building the world (truth), the loop with the radars, the
coverage diagrams, writing run.duckdb and the report. Runs on one core (BLAS threads off).
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
from airdefense.scenario import library
from airdefense.scenario.load import load_scenario
from airdefense.sim.loop import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=library.DEFAULT_SCENARIO)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load_scenario(library.resolve(args.scenario))
    rows = []
    for _ in range(args.repeat):
        start = time.perf_counter()
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
    print(
        f"scenario {scenario.name}: {result.truth.n} objects, {result.truth.t.shape[0]} steps, "
        f"{result.plots.t.shape[0]} plots; median of {args.repeat} runs, seconds:"
    )
    for key in rows[0]:
        print(f"  {key:<10} {statistics.median(r[key] for r in rows):8.3f}")


if __name__ == "__main__":
    main()
