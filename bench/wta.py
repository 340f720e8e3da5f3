"""Benchmark of weapon-target assignment: heuristic speed and its gap to the exact optimum.

    .venv/bin/python bench/wta.py [--sizes 20x20,50x100,100x200] [--instances 3]
                                  [--repeat 5] [--time-limit 60] [--cycles 10]

Static WTA on random instances as in Ahuja, Kumar, Jha & Orlin (Operations Research 55, 2007):
target values uniform in 25-100, kill probabilities uniform in 0.6-0.9, seeds 0, 1, ... per
size. Sizes are written targets x weapons (20x20 = 20 targets, 20 weapons; 100x200 = 100
targets, 200 weapons); note that Andersen, Pavlikov & Toffolo (2022) write weapons x targets.
Per size: the heuristic's median time over ``--repeat`` runs of every instance; its gap to the
exact method's proven optimum, or, where that is not proven within ``--time-limit`` seconds,
to the exact method's proven lower bound (an upper bound on the true gap; the table says
which); the exact method's median time. Then the per-cycle problem on random batteries
(``--cycles`` instances of two sizes), with the ``"auto"`` method (branch and bound, or the
heuristic where it cannot finish) the engage stage uses. Prints markdown tables for BENCHMARKS.md with the command and nproc.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from airdefense.engagement.wta import AssignmentProblem, assign, solve  # noqa: E402


def static_instance(n_targets: int, n_weapons: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Values uniform 25-100 (T,) and kill probabilities uniform 0.6-0.9 (W, T)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(25.0, 100.0, n_targets), rng.uniform(0.6, 0.9, (n_weapons, n_targets))


def cycle_instance(seed: int, small: bool = False) -> AssignmentProblem:
    """8 shooters in 4 batteries (1-5 free channels, 0-7 rounds each) against 30 threats, 30%
    out of reach; ``small``: a decision cycle of the default scenario's size, 4 shooters in 2
    batteries (1-4 free channels, 0-2 rounds each) against 20 threats, half out of reach."""
    rng = np.random.default_rng(seed)
    n_s, n_t, n_g = (4, 20, 2) if small else (8, 30, 4)
    reach = rng.random((n_s, n_t)) < (0.5 if small else 0.7)
    return AssignmentProblem(
        values=rng.uniform(1.0, 100.0, n_t),
        survival0=rng.uniform(0.3, 1.0, n_t),
        pk=np.where(reach, rng.uniform(0.3, 0.95, (n_s, n_t)), 0.0),
        cost=rng.uniform(0.0, 20.0, n_s),
        shots=rng.integers(0, 3 if small else 8, n_s),
        group=np.arange(n_s) % n_g,
        channels=rng.integers(1, 5 if small else 6, n_g),
        max_salvo=rng.integers(1, 3, n_t),
    )


def bench_static(size: str, instances: int, repeat: int, time_limit_s: float) -> dict:
    n_targets, n_weapons = (int(v) for v in size.split("x"))
    times, gaps, exact_s, proven = [], [], [], 0
    for seed in range(instances):
        values, pk = static_instance(n_targets, n_weapons, seed)
        for _ in range(repeat):
            heuristic = solve(values, pk, method="heuristic")
            times.append(heuristic.seconds)
        exact = solve(values, pk, method="exact", time_limit_s=time_limit_s)
        exact_s.append(exact.seconds)
        proven += exact.optimal
        reference = exact.expected_survival if exact.optimal else exact.lower_bound
        if reference is None or reference <= 0:
            gaps.append(float("nan"))
        else:
            gaps.append(heuristic.expected_survival / reference - 1.0)
    return {
        "size": size,
        "heuristic_ms": 1e3 * statistics.median(times),
        "gap_mean": statistics.fmean(gaps),
        "gap_max": max(gaps),
        "against": "optimum" if proven == instances else f"bound ({instances - proven} unproven)",
        "proven": f"{proven}/{instances}",
        "exact_s": statistics.median(exact_s),
    }


def bench_cycle(instances: int, time_limit_s: float, small: bool = False) -> dict:
    times, gaps, exact_s, proven = [], [], [], 0
    auto_s, auto_gaps, auto_proven = [], [], 0
    for seed in range(instances):
        problem = cycle_instance(seed, small)
        heuristic = assign(problem, method="heuristic")
        exact = assign(problem, method="exact", time_limit_s=time_limit_s)
        auto = assign(problem, method="auto")
        times.append(heuristic.seconds)
        exact_s.append(exact.seconds)
        auto_s.append(auto.seconds)
        proven += exact.optimal
        auto_proven += auto.optimal
        reference = exact.objective if exact.optimal else exact.bound
        gaps.append(1.0 - heuristic.objective / reference if reference else 0.0)
        auto_gaps.append(1.0 - auto.objective / reference if reference else 0.0)
    return {
        "size": "4 shooters x 20 threats, 2 batteries"
        if small
        else "8 shooters x 30 threats, 4 batteries",
        "heuristic_ms": 1e3 * statistics.median(times),
        "gap_mean": statistics.fmean(gaps),
        "gap_max": max(gaps),
        "against": "optimum" if proven == instances else f"bound ({instances - proven} unproven)",
        "proven": f"{proven}/{instances}",
        "exact_s": statistics.median(exact_s),
        "auto_ms": 1e3 * statistics.median(auto_s),
        "auto_gap_max": max(auto_gaps),
        "auto_proven": f"{auto_proven}/{instances}",
    }


def table(rows: list[dict], what: str) -> str:
    lines = [
        f"| {what} | heuristic (median) | gap mean | gap max | gap against | exact proven | exact (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['heuristic_ms']:.1f} ms | {100 * r['gap_mean']:.3f}% "
            f"| {100 * r['gap_max']:.3f}% | {r['against']} | {r['proven']} | {r['exact_s']:.2f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20x20,50x100,100x200", help="targets x weapons")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--cycles", type=int, default=10, help="per-cycle instances (0: none)")
    args = parser.parse_args(argv)
    rows = [
        bench_static(size, args.instances, args.repeat, args.time_limit)
        for size in args.sizes.split(",")
    ]
    command = " ".join(["python bench/wta.py", *(argv if argv is not None else sys.argv[1:])])
    print(
        f"`{command}` on nproc = {len(os.sched_getaffinity(0))}, exact time limit {args.time_limit:g} s"
    )
    print()
    print(table(rows, "static WTA, targets x weapons"))
    if args.cycles:
        cycles = [bench_cycle(args.cycles, args.time_limit, small) for small in (True, False)]
        print()
        print(table(cycles, "per-cycle WTA"))
        print()
        print("| per-cycle WTA | auto (median) | auto proven optimal | auto gap max |")
        print("|---|---|---|---|")
        for c in cycles:
            print(
                f"| {c['size']} | {c['auto_ms']:.2f} ms | {c['auto_proven']} "
                f"| {100 * c['auto_gap_max']:.3f}% |"
            )
        rows.extend(cycles)
    return rows


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - start:.0f} s in all)")
