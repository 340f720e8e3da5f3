"""The first run: wall time of ``airdefense run`` with a cold kernel cache, then a warm one.

    .venv/bin/python bench/first_run.py [--repeat 3] [--scenario vessa-shield] [--no-report]
                                        [--split]

Each repeat makes an empty temporary folder and points every cache a run fills at it:
``NUMBA_CACHE_DIR`` (numba's compiled kernels; airdefense's own on-disk caches, such as
flyout tables of a non-default grid, follow it) and ``MPLCONFIGDIR`` (matplotlib's font
list, built on a fresh machine's first import). It then runs the command a user types,
``airdefense run SCENARIO --out DIR`` (the console script beside this interpreter, or its
``main()`` with the same interpreter), in a subprocess: the cold run; then the same command
again with the caches it left: the warm run. Wall time is from starting the process to its
exit; the CPU time (user + system) of the child is printed too, since the machine may be
shared. The package imported is the one on ``PYTHONPATH``, else the installed one.

``--split`` adds one instrumented cold and warm pair that says where the time goes: the
interpreter and imports up to the command, numba compiling in the run's process (first
calls of kernels not in the cache), loading compiled kernels from the cache, waiting for the
helper that compiles the tracker's kernels on a cold run (``airdefense.sim.ahead``), the
simulation without those, and writing the run directory (database, report, replay). The
CPU time of a run includes its helper's.

Prints ``nproc``, the machine's load and a markdown block for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The child of ``--split``: ``airdefense run`` with timers around its stages. Prints one
#: JSON line to the file named by its first argument.
_SPLIT_CHILD = r"""
import json, sys, time
t_start = time.perf_counter()
from numba.core import event
import numba.core.caching as caching
acc = {"compile_s": 0.0, "cache_load_s": 0.0, "simulate_s": 0.0, "write_s": 0.0}
depth = [0]
t_open = [0.0]
class Compiles(event.Listener):
    def on_start(self, ev):
        if depth[0] == 0:
            t_open[0] = time.perf_counter()
        depth[0] += 1
    def on_end(self, ev):
        depth[0] -= 1
        if depth[0] == 0:
            acc["compile_s"] += time.perf_counter() - t_open[0]
event.register("numba:compile", Compiles())
_load = caching.Cache.load_overload
def load_overload(self, *a, **k):
    t = time.perf_counter()
    try:
        return _load(self, *a, **k)
    finally:
        if depth[0] == 0:
            acc["cache_load_s"] += time.perf_counter() - t
caching.Cache.load_overload = load_overload
import airdefense.record.rundir as rundir
import airdefense.sim.loop as loop
acc["helper_wait_s"] = 0.0
try:  # versions before the compile-ahead helper have none
    import airdefense.sim.ahead as ahead
except ImportError:
    ahead = None
if ahead is not None:
    _wait = ahead.CompileAhead.wait
    def wait(self, *a, **k):
        t, c = time.perf_counter(), acc["compile_s"] + acc["cache_load_s"]
        try:
            return _wait(self, *a, **k)
        finally:
            busy = acc["compile_s"] + acc["cache_load_s"] - c
            acc["helper_wait_s"] += time.perf_counter() - t - busy
    ahead.CompileAhead.wait = wait
def timed(mod, name, key):
    f = getattr(mod, name)
    def g(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            acc[key] += time.perf_counter() - t
    setattr(mod, name, g)
timed(loop, "simulate", "simulate_s")
timed(rundir, "write_run", "write_s")  # the API's path
timed(rundir.RunDirSlot, "write", "write_s")  # the command's path
out = sys.argv[1]
sys.argv = ["airdefense", *sys.argv[2:]]
t_main = time.perf_counter()
from airdefense.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
acc["before_command_s"] = t_main - t_start
acc["total_in_process_s"] = time.perf_counter() - t_start
with open(out, "w") as f:
    json.dump(acc, f)
sys.exit(code)
"""


def command(scenario: str, out: Path, no_report: bool) -> list[str]:
    """``airdefense run`` as a user types it: the console script beside the interpreter if it
    exists, else the same ``main()`` through the interpreter."""
    script = Path(sys.executable).with_name("airdefense")
    head = (
        [str(script)]
        if script.is_file()
        else [sys.executable, "-c", "from airdefense.cli import main; main()"]
    )
    return [*head, "run", scenario, "--out", str(out), *(["--no-report"] if no_report else [])]


def cache_env(cache: Path) -> dict[str, str]:
    """The environment of a run whose caches all live in ``cache``."""
    return {
        **os.environ,
        "NUMBA_CACHE_DIR": str(cache / "numba"),
        "MPLCONFIGDIR": str(cache / "matplotlib"),
    }


def timed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, child CPU s) of one command, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n{proc.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cold_and_warm(
    args: argparse.Namespace, root: Path, split: bool = False
) -> dict[str, dict[str, float]]:
    """One cold run into an empty cache folder, then one warm run with what it left: each
    run's wall and CPU seconds, and with ``split`` its instrumented stage times."""
    cache = root / "cache"
    cache.mkdir()
    env = cache_env(cache)
    res = {}
    for kind in ("cold", "warm"):
        cmd = command(args.scenario, root / kind, args.no_report)
        out = root / f"{kind}.json"
        if split:  # the same arguments after the instrumented child's own
            cmd = [sys.executable, "-c", _SPLIT_CHILD, str(out), *cmd[cmd.index("run") :]]
        wall, cpu = timed_run(cmd, env)
        res[kind] = {"wall_s": wall, "cpu_s": cpu}
        if split:
            res[kind].update(json.loads(out.read_text()))
    return res


def summary(xs: list[float]) -> str:
    """Median and spread of a few timings."""
    if not xs:
        return "-"
    if len(xs) == 1:
        return f"{xs[0]:.1f} s"
    return (
        f"median {statistics.median(xs):.1f} s (min {min(xs):.1f}, max {max(xs):.1f}, n={len(xs)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="cold + warm pairs (default 3)")
    ap.add_argument("--scenario", default="vessa-shield")
    ap.add_argument("--no-report", action="store_true", help="pass --no-report to the run")
    ap.add_argument("--split", action="store_true", help="add an instrumented cold+warm pair")
    args = ap.parse_args()

    nproc = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else nproc
    load0 = os.getloadavg()
    walls: dict[str, list[float]] = {"cold": [], "warm": []}
    cpus: dict[str, list[float]] = {"cold": [], "warm": []}
    split = None
    with tempfile.TemporaryDirectory(prefix="airdefense-first-run-") as tmp:
        for i in range(args.repeat):
            root = Path(tmp) / f"r{i}"
            root.mkdir()
            res = cold_and_warm(args, root)
            for kind, r in res.items():
                walls[kind].append(r["wall_s"])
                cpus[kind].append(r["cpu_s"])
            print(
                f"repeat {i + 1}/{args.repeat}: cold {res['cold']['wall_s']:.1f} s "
                f"(CPU {res['cold']['cpu_s']:.1f} s), warm {res['warm']['wall_s']:.1f} s "
                f"(CPU {res['warm']['cpu_s']:.1f} s), load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            shutil.rmtree(root)
        if args.split:
            root = Path(tmp) / "split"
            root.mkdir()
            split = cold_and_warm(args, root, split=True)
    load1 = os.getloadavg()

    import numba

    cmd = shlex.join(command(args.scenario, Path("DIR"), args.no_report))
    print()
    print(f"command: {cmd}  (NUMBA_CACHE_DIR, MPLCONFIGDIR: an empty folder, then the same)")
    print(
        f"nproc {nproc} (usable {usable}); load average {load0[0]:.2f} before, "
        f"{load1[0]:.2f} after; Python {platform.python_version()}, numba {numba.__version__}; "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')}"
    )
    print(f"cold: wall {summary(walls['cold'])}; CPU {summary(cpus['cold'])}")
    print(f"warm: wall {summary(walls['warm'])}; CPU {summary(cpus['warm'])}")
    if split is not None:
        print()
        print(
            "| run | wall | start-up | compile | cache loads | helper wait | simulate (rest) "
            "| write | other |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for kind, a in split.items():
            sim_rest = a["simulate_s"] - a["compile_s"] - a["cache_load_s"] - a["helper_wait_s"]
            other = a["wall_s"] - a["before_command_s"] - a["simulate_s"] - a["write_s"]
            print(
                f"| {kind} | {a['wall_s']:.1f} s | {a['before_command_s']:.1f} s | "
                f"{a['compile_s']:.1f} s | {a['cache_load_s']:.1f} s | "
                f"{a['helper_wait_s']:.1f} s | {sim_rest:.1f} s | "
                f"{a['write_s']:.1f} s | {other:.1f} s |"
            )
        print(
            "(start-up: interpreter, numba and the simulation's imports; compile (this "
            "process's), cache loads and waiting for the compile-ahead helper happen inside "
            "the simulation, the rest of it is simulating; write: database, report, replay; "
            "other: the command's remaining imports, loading the scenario, the summary and the "
            "interpreter's exit)"
        )


if __name__ == "__main__":
    main()
