"""Monte Carlo throughput: trials per second on 1 and 2 workers, N trials end to end, memory
per worker over the run, and what the driver and scheduler cost per trial.

    .venv/bin/python bench/montecarlo.py [SCENARIO] [--trials 1000] [--scaling-trials 40]
                                         [--workers 2] [--overhead 2000]

1. Scaling: for 1, 2, ... ``--workers`` local worker processes (one thread each), the
   workers are warmed (compiled kernels loaded, recorded traffic read: one trial each, not
   counted), then ``--scaling-trials`` trials run through the same path as
   ``airdefense montecarlo`` (bounded submission, results into a DuckDB database). Trials/s
   and the ratio to one worker.
2. ``--trials`` trials on ``--workers`` workers, timed from the command's start (cluster
   start-up and warm-up included) to the last trial saved, with each worker's resident
   memory sampled every 2 s (psutil through ``client.run``): the median over the first and
   the last quarter of the run, the largest sample, and the change between the two.
3. Overhead: ``--overhead`` trials that do nothing (return a fixed result) through the same
   path: the most trials per second the driver, the scheduler and the database sustain, and
   the size of one trial's result.

Prints a markdown block for BENCHMARKS.md with the command and the machine.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from airdefense.montecarlo.runner import Plan, cluster, execute, make_plan
from airdefense.montecarlo.store import Store
from airdefense.montecarlo.trial import TrialResult, run_trial
from airdefense.scenario import library
from airdefense.scenario.load import load_scenario

#: Trial numbers used to warm the workers (far from those measured).
WARM_TRIAL = 10_000_000


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _noop_trial(scenario_json: str, point: int, trial: int) -> TrialResult:
    return TrialResult(
        point,
        trial,
        1,
        threats=44,
        leakers=trial % 3,
        assets_hit=0,
        civil_engaged=0,
        kills=40,
        interceptors_used=60,
        interceptor_cost_usd=5e7,
        threat_cost_killed_usd=2e8,
        interceptors_by_type=(("40n6-class", 4), ("48n6-class", 20), ("9m96e-class", 36)),
    )


def _warm(client: Any, plan: Plan) -> None:
    """One (uncounted) trial on every worker: kernels loaded from the cache, traffic read."""
    point = plan.points[0]
    futures = [
        client.submit(run_trial, point.scenario_json, 0, WARM_TRIAL + i, workers=[w], pure=False)
        for i, w in enumerate(client.scheduler_info()["workers"])
    ]
    client.gather(futures)


def _run(plan: Plan, client: Any, trial_fn: Any = run_trial, sample_s: float | None = None):
    """Run ``plan`` into a fresh temporary database; return seconds, outcome and memory
    samples (trials done, {worker: rss bytes})."""
    samples: list[tuple[int, dict[str, int]]] = []
    last = [0.0]

    def progress(p: Any) -> None:
        if sample_s is not None and time.monotonic() - last[0] >= sample_s:
            last[0] = time.monotonic()
            samples.append((p.done, client.run(_rss)))

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "mc", plan.identity, plan.points, plan.trials)
        if sample_s is not None:
            samples.append((0, client.run(_rss)))
        start = time.perf_counter()
        outcome = execute(plan, store, client, progress=progress, trial_fn=trial_fn)
        seconds = time.perf_counter() - start
        if sample_s is not None:
            samples.append((plan.total, client.run(_rss)))
        failed = list(zip(*_errors(store), strict=True))
        store.close()
    if outcome.lost:
        raise SystemExit(f"trials not run: {outcome}")
    for trial, error in failed:
        print(f"trial {trial} raised: {error}", file=sys.stderr)
    return seconds, outcome, samples


def _errors(store: Store) -> tuple[list[int], list[str]]:
    table = store.read()
    bad = [i for i, e in enumerate(table.error) if e is not None]
    return [int(table.trial[i]) for i in bad], [str(table.error[i]) for i in bad]


def _memory_rows(samples: list[tuple[int, dict[str, int]]]) -> list[str]:
    """Per worker: median RSS over the first and the last quarter of the run's samples (a
    trial's own peak comes and goes, so single samples are noisy), the largest, the change."""
    workers = sorted({w for _, s in samples for w in s})
    rows = []
    for i, w in enumerate(workers):
        mb = np.array([s[w] / 2**20 for _, s in samples if w in s])
        q = max(1, mb.size // 4)
        first, last = float(np.median(mb[:q])), float(np.median(mb[-q:]))
        rows.append(
            f"| worker {i} | {first:.0f} | {last:.0f} | {mb.max():.0f} | {last - first:+.0f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=library.DEFAULT_SCENARIO)
    parser.add_argument("--trials", type=int, default=1000, help="trials of the end-to-end run")
    parser.add_argument("--scaling-trials", type=int, default=40, help="trials per scaling run")
    parser.add_argument("--workers", type=int, default=2, help="most workers (scaling 1..K)")
    parser.add_argument("--overhead", type=int, default=2000, help="no-op trials (0: skip)")
    args = parser.parse_args()
    path = library.resolve(args.scenario)
    scenario = load_scenario(path)
    nproc = len(os.sched_getaffinity(0))
    lines: list[str] = []

    # 1. scaling
    rates: dict[int, float] = {}
    for k in range(1, args.workers + 1):
        plan = make_plan(scenario, args.scaling_trials, source=str(path))
        with cluster(k) as client:
            _warm(client, plan)
            seconds, outcome, _ = _run(plan, client)
        rates[k] = outcome.ran / seconds
        print(f"scaling: {k} workers: {outcome.ran} trials in {seconds:.1f} s", file=sys.stderr)

    # 2. N trials end to end, memory sampled
    plan = make_plan(scenario, args.trials, source=str(path))
    start = time.perf_counter()
    with cluster(args.workers) as client:
        _warm(client, plan)
        _, outcome, samples = _run(plan, client, sample_s=2.0)
        raised = outcome.errors
        total_s = time.perf_counter() - start
        driver_mb = _rss() / 2**20

        # 3. overhead of the path itself
        overhead = None
        if args.overhead:
            noop = make_plan(scenario, args.overhead, source=str(path))
            seconds, o, _ = _run(noop, client, trial_fn=_noop_trial)
            overhead = o.ran / seconds
    result_bytes = len(pickle.dumps(_noop_trial("", 0, 0)))
    print(f"end to end: {args.trials} trials in {total_s:.1f} s", file=sys.stderr)

    cmd = "bench/montecarlo.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    lines.append(f"Command: `.venv/bin/python {cmd.strip()}`")
    lines.append("")
    lines.append(
        f"Machine: nproc {nproc}, {cpu}; {datetime.now(UTC):%Y-%m-%d}; scenario "
        f"`{scenario.name}` (seed {scenario.seed}); workers are local processes, one thread each."
    )
    lines.append("")
    lines.append("| workers | trials | trials/s | ratio to 1 worker |")
    lines.append("|---|---|---|---|")
    for k, r in rates.items():
        lines.append(f"| {k} | {args.scaling_trials} | {r:.3f} | {r / rates[1]:.2f} |")
    lines.append("")
    lines.append(
        f"{args.trials:,} trials on {args.workers} workers: **{total_s:.0f} s** "
        f"({total_s / 60:.1f} min) from start (cluster start-up and warm-up included), "
        f"{args.trials / total_s:.2f} trials/s"
        + (f" ({raised} of them raised: see the trials' errors)." if raised else ".")
    )
    lines.append("")
    lines.append(
        "| memory (RSS, MB) | first quarter (median) | last quarter (median) | largest | change |"
    )
    lines.append("|---|---|---|---|---|")
    lines.extend(_memory_rows(samples))
    lines.append(f"| driver (at the end) | | {driver_mb:.0f} | | |")
    if overhead is not None:
        lines.append("")
        lines.append(
            f"Overhead of the path (no-op trials, {args.overhead:,} on {args.workers} workers): "
            f"{overhead:,.0f} trials/s through driver, scheduler and database; one trial's "
            f"result is {result_bytes} bytes pickled."
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
