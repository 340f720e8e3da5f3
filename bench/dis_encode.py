"""Benchmark of the DIS encoder: Entity State PDUs encoded per second.

    .venv/bin/python bench/dis_encode.py [--pdus 100000] [--repeat 7] [--scenario vessa-shield]
                                       [--run RUN_DIR]

Two figures:

- **encode**: :func:`airdefense.interop.dis.entity_state_pdus` on ``--pdus`` random entity
  states (ECEF location, velocity, Euler angles, type, marking), through ``.tobytes()``: the
  144-octet IEEE 1278.1-2012 ESPDUs back to back. Median of ``--repeat`` runs.
- **run**: :func:`airdefense.interop.dis.build_pdus` on a whole run (the bundled
  ``--scenario`` simulated once, or an existing ``--run``): opening it with ``RunReader``
  and reading it, ECEF
  conversion, orientation, dead-reckoning filtering of every truth sample against the 1 m /
  3 degree thresholds and the 5 s heartbeat, interceptor flights, Fire and Detonation PDUs,
  and the merge into time order. Reported as entity-state samples considered per second and
  PDUs written per second. Median of ``--repeat`` runs.

Single-threaded (numpy, DuckDB with one thread). Prints markdown for BENCHMARKS.md with the
command and nproc. (Not ``bench/dis.py``: a ``dis.py`` in ``bench/`` would shadow the standard
library's ``dis`` module for every script run from this directory.)
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from airdefense.interop import dis  # noqa: E402
from airdefense.record.reader import RunReader  # noqa: E402


def random_states(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` entity states around the Earth (arguments of ``entity_state_pdus``)."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-1.2, 1.2, n)
    lon = rng.uniform(-np.pi, np.pi, n)
    r = 6.371e6 + rng.uniform(0.0, 20_000.0, n)
    loc = np.column_stack(
        [r * np.cos(lat) * np.cos(lon), r * np.cos(lat) * np.sin(lon), r * np.sin(lat)]
    )
    types = np.array([t.as_tuple() for t in dis.ENTITY_TYPES.values()])
    return {
        "timestamp": dis.dis_timestamp(rng.uniform(0.0, 3600.0, n)),
        "application": rng.integers(1, 5, n),
        "entity": rng.integers(1, 65535, n),
        "force_id": rng.integers(1, 4, n),
        "entity_type": types[rng.integers(0, len(types), n)],
        "location": loc,
        "velocity": rng.normal(0.0, 300.0, (n, 3)),
        "orientation": rng.uniform(-np.pi, np.pi, (n, 3)),
        "marking": np.array([f"track-{i % 100000:05d}".encode() for i in range(n)], dtype="S11"),
    }


def bench_encode(n: int, repeat: int) -> float:
    """Median seconds to encode ``n`` ESPDUs to bytes."""
    args = random_states(n)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = dis.entity_state_pdus(**args).tobytes()
        times.append(time.perf_counter() - t0)
        assert len(data) == 144 * n
    return statistics.median(times)


def make_run(scenario: str, where: Path) -> Path:
    """Simulate a bundled scenario once into ``where``/run (no report)."""
    from airdefense.record.rundir import write_run
    from airdefense.scenario import library, load_theatre
    from airdefense.sim.loop import simulate

    return write_run(simulate(load_theatre(library.resolve(scenario))), where / "run")


def bench_run(run_dir: Path, repeat: int) -> dict[str, float]:
    with RunReader(run_dir) as run:
        ((samples, duration),) = run.rows("SELECT count(*), max(t) FROM truth")
        ((objects,),) = run.rows("SELECT count(*) FROM objects")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        pdus = dis.build_pdus(run_dir)  # opens the run each time, as the export does
        times.append(time.perf_counter() - t0)
    kinds = np.bincount(pdus.pdu_type, minlength=4)
    s = statistics.median(times)
    return {
        "seconds": s,
        "samples": float(samples),
        "objects": float(objects),
        "duration": float(duration or 0.0),
        "pdus": float(len(pdus)),
        "espdu": float(kinds[1]),
        "fire": float(kinds[2]),
        "detonation": float(kinds[3]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pdus", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--scenario", default="vessa-shield")
    p.add_argument("--run", type=Path, default=None, help="an existing run directory")
    a = p.parse_args()
    command = "python bench/dis_encode.py " + " ".join(sys.argv[1:])
    enc = bench_encode(a.pdus, a.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = a.run if a.run is not None else make_run(a.scenario, Path(tmp))
        r = bench_run(run_dir, a.repeat)
    name = str(a.run) if a.run is not None else f"`{a.scenario}`"
    print(f"`{command.strip()}` (nproc = {os.cpu_count()}, one thread)\n")
    print("| what | count | time | rate |")
    print("|---|---:|---:|---:|")
    print(
        f"| Entity State PDUs encoded (`entity_state_pdus` + `tobytes`) | {a.pdus:,} | "
        f"{enc * 1e3:.1f} ms | {a.pdus / enc / 1e6:.2f} M PDUs/s |"
    )
    print(
        f"| whole run {name} ({r['objects']:.0f} objects, {r['duration']:.0f} s): truth samples "
        f"dead-reckoned | {r['samples']:,.0f} | {r['seconds'] * 1e3:.0f} ms | "
        f"{r['samples'] / r['seconds'] / 1e3:.0f} k samples/s |"
    )
    print(
        f"| ... PDUs written ({r['espdu']:,.0f} ESPDU, {r['fire']:.0f} Fire, "
        f"{r['detonation']:.0f} Detonation) | {r['pdus']:,.0f} | {r['seconds'] * 1e3:.0f} ms | "
        f"{r['pdus'] / r['seconds'] / 1e3:.0f} k PDUs/s |"
    )


if __name__ == "__main__":
    main()
