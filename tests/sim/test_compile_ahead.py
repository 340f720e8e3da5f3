"""Compiling ahead (``sim/ahead.py``, ``sim/warmup.py``): when a helper starts, what the
warm-ups compile, that a helper that fails, hangs or is interrupted changes no result and
leaves no process behind.

No wall-clock assertion: whether it makes a cold run faster is measured by
``bench/first_run.py`` (BENCHMARKS.md, "First run: cold and warm").
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from airdefense.scenario import library, load_theatre
from airdefense.sim import ahead
from airdefense.sim.loop import RunResult, simulate

#: A python that runs the helper's side of the tests: same interpreter, same package.
PY = [sys.executable, "-c"]


@pytest.fixture(scope="module")
def theatre():
    return load_theatre(library.resolve("airliner-crossing"))


@pytest.fixture(scope="module")
def plain(theatre) -> RunResult:
    return simulate(theatre)


def _same(a: RunResult, b: RunResult) -> None:
    """Every number of two runs equal (plots, tracks, interceptors, events, summary)."""
    for name in ("t", "range_m", "azimuth_rad", "truth_id"):
        np.testing.assert_array_equal(getattr(a.plots, name), getattr(b.plots, name))
    for name in ("t", "track_id", "x", "vx", "sx", "status", "truth_id"):
        np.testing.assert_array_equal(getattr(a.tracks, name), getattr(b.tracks, name))
    n = a.interceptors.n
    assert n == b.interceptors.n
    for name in ("end_t", "end_code", "miss_m", "intercept_t"):
        np.testing.assert_array_equal(
            getattr(a.interceptors, name)[:n], getattr(b.interceptors, name)[:n]
        )
    assert a.events.table().to_pandas().equals(b.events.table().to_pandas())  # NaN = NaN
    assert a.summary == b.summary


def _helper(monkeypatch: pytest.MonkeyPatch, command: list[str] | None = None):
    """A helper as ``airdefense run`` starts it on a cold cache (the cache made to look
    cold), with its command line replaced if given."""
    monkeypatch.setattr(ahead, "cached", lambda dispatcher: False)
    return ahead.CompileAhead.start(command)


# --- cold detection -----------------------------------------------------------------------


def test_cached_reads_numbas_cache_index(tmp_path: Path) -> None:
    """Cold before the first call, cached after it, in this process and in the next one."""
    mod = tmp_path / "kernels_under_test.py"
    mod.write_text(
        "from numba import njit\n\n@njit(cache=True)\ndef twice(x):\n    return 2.0 * x\n"
    )
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        from airdefense.sim.ahead import cached
        from kernels_under_test import twice
        before = cached(twice)
        twice(1.0)
        print(before, cached(twice))
        """
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    first = subprocess.run([*PY, script, str(tmp_path)], env=env, capture_output=True, text=True)
    again = subprocess.run([*PY, script, str(tmp_path)], env=env, capture_output=True, text=True)
    assert first.stdout.split() == ["False", "True"], first.stderr
    assert again.stdout.split() == ["True", "True"], again.stderr


def test_cached_is_none_for_what_has_no_disk_cache() -> None:
    from numba import njit

    assert ahead.cached(njit(lambda x: x)) is None
    assert ahead.cached(len) is None


def test_start_only_when_the_tracker_is_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    spawned = []
    monkeypatch.setattr(ahead.subprocess, "Popen", lambda *a, **k: spawned.append(a))
    for state in (True, None):  # cached, or cannot tell: nothing started
        monkeypatch.setattr(ahead, "cached", lambda d, s=state: s)
        assert ahead.CompileAhead.start() is None
    assert spawned == []
    monkeypatch.setattr(ahead, "cached", lambda d: False)
    assert ahead.CompileAhead.start() is not None
    assert spawned == [(ahead.HELPER,)]


def test_a_theatre_without_radars_needs_no_helper(monkeypatch: pytest.MonkeyPatch, theatre):
    helper = _helper(monkeypatch, [*PY, "import time; time.sleep(600)"])
    no_radars = type(theatre)(**{**theatre.__dict__, "radars": ()})
    simulate(no_radars, analysis=False, compile_ahead=helper)
    assert helper.proc.returncode == -signal.SIGKILL  # ended at once, reaped


def test_only_the_run_command_starts_one(monkeypatch: pytest.MonkeyPatch, theatre) -> None:
    """simulate() alone (a Monte Carlo trial, a test, a script) never starts a helper, even
    on a cold cache."""
    monkeypatch.setattr(ahead, "cached", lambda dispatcher: False)
    spawned = []
    monkeypatch.setattr(ahead.subprocess, "Popen", lambda *a, **k: spawned.append(a))
    simulate(theatre, analysis=False)
    assert spawned == []


# --- the partition: what each side compiles -------------------------------------------------

_PARTITION = textwrap.dedent(
    """
    import json, sys
    from numba.core.dispatcher import Dispatcher
    from airdefense.scenario import library, load_theatre
    from airdefense.sim import loop, warmup

    def compiled():
        out = {}
        for name, mod in list(sys.modules.items()):
            if name.startswith("airdefense") and mod is not None:
                for k, v in vars(mod).items():
                    if isinstance(v, Dispatcher) and v.py_func.__module__ == name and v.overloads:
                        out[name + "." + k] = sorted(str(s) for s in v.overloads)
        return out

    theatre = load_theatre(library.resolve(sys.argv[1]))
    steps = {}
    warmup.warm_tracker(theatre)
    steps["tracker"] = compiled()
    warmup.warm_engagement(theatre)
    steps["engagement"] = compiled()
    loop.simulate(theatre)
    steps["run"] = compiled()
    print(json.dumps(steps))
    """
)


def test_the_warm_ups_compile_what_the_run_calls_and_the_helper_only_the_tracker() -> None:
    """In a fresh process on the default scenario: the tracker's warm-up compiles tracker
    kernels only (the helper and the run never compile the same function at once); after
    both warm-ups, the run compiles no tracker or engage-stage signature they did not."""
    proc = subprocess.run(
        [*PY, _PARTITION, library.DEFAULT_SCENARIO], capture_output=True, text=True, check=True
    )
    steps = json.loads(proc.stdout)
    tracker, engagement, run = steps["tracker"], steps["engagement"], steps["run"]
    assert tracker and all(k.startswith("airdefense.tracking.") for k in tracker)
    assert any(k.endswith("gate_pairs") for k in tracker)
    added = {k for k in engagement if engagement[k] != tracker.get(k)}
    assert all(k.startswith(("airdefense.engagement.", "airdefense._jit.")) for k in added)
    for kernel in (
        "threat._threat_kernel",
        "_intercept_kernels.intercept_kernel",
        "_wta_kernels.branch_and_bound",
        "_flyout_kernels.advance_kernel",
    ):  # the synthetic raid was evaluated, planned for, fired at and flown against
        assert "airdefense.engagement." + kernel in added
    late = {
        k
        for k in run
        if k.startswith(("airdefense.tracking.", "airdefense.engagement."))
        and run[k] != engagement.get(k)
    }
    assert late == set()


def test_the_run_waits_for_the_helper_before_its_first_tracker_call(
    monkeypatch: pytest.MonkeyPatch, theatre, plain: RunResult
) -> None:
    """The loop calls wait() once, with the engage stage's warm-up to do meanwhile, before
    it first calls the tracker, and closes the helper at the end; same results."""
    from airdefense.tracking.tracker import Tracker

    calls: list[str] = []

    class Fake:
        def send(self, theatre):
            calls.append("send")

        def wait(self, meanwhile=None):
            assert meanwhile is not None
            calls.append("wait")

        def close(self):
            calls.append("close")

    for method in ("process", "tracks_at"):
        real = getattr(Tracker, method)

        def traced(self, *a, _real=real, **k):
            calls.append("tracker")
            return _real(self, *a, **k)

        monkeypatch.setattr(Tracker, method, traced)
    result = simulate(theatre, compile_ahead=Fake())
    assert calls[:2] == ["send", "wait"] and calls[-1] == "close"
    assert calls.count("wait") == 1 and calls.count("close") == 1 and "tracker" in calls
    _same(result, plain)


# --- a helper that fails changes nothing ------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        None,  # the real helper (on this cache it finds the tracker compiled, or compiles it)
        [*PY, "import sys; sys.exit(3)"],  # fails at once
        [*PY, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"],  # dies
        ["/nonexistent/python"],  # cannot start
    ],
    ids=["real", "fails", "killed", "missing"],
)
def test_results_are_the_same_with_any_helper(
    monkeypatch: pytest.MonkeyPatch, theatre, plain: RunResult, command
) -> None:
    helper = _helper(monkeypatch, command)
    if command == ["/nonexistent/python"]:
        assert helper is None  # cannot start: the run goes on without
    else:
        assert helper is not None
    _same(simulate(theatre, compile_ahead=helper), plain)
    if helper is not None:
        assert helper.proc.returncode is not None  # reaped


def test_a_hung_helper_is_killed_after_the_wait_limit(
    monkeypatch: pytest.MonkeyPatch, theatre, plain: RunResult
) -> None:
    helper = _helper(monkeypatch, [*PY, "import time; time.sleep(600)"])
    monkeypatch.setattr(ahead, "WAIT_LIMIT_S", 0.5)
    _same(simulate(theatre, compile_ahead=helper), plain)
    assert helper.proc.returncode == -signal.SIGKILL


def test_a_failing_warm_up_meanwhile_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, theatre, plain: RunResult
) -> None:
    helper = _helper(monkeypatch, [*PY, "import time; time.sleep(1)"])

    def broken(theatre):
        raise RuntimeError("warm-up bug")

    import airdefense.sim.loop as loop

    monkeypatch.setattr(loop, "warm_engagement", broken)
    _same(simulate(theatre, compile_ahead=helper), plain)


# --- no process left behind ---------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _gone(pid: int) -> bool:
    """The process has ended (no entry left, or a zombie its new parent will reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_ctrl_c_during_a_cold_run_leaves_no_helper(tmp_path: Path) -> None:
    """``airdefense run`` on an empty kernel cache, interrupted while its helper compiles:
    the run exits 130 and its helper is gone (killed and reaped, not orphaned)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    cli = [sys.executable, "-c", "from airdefense.cli import main; main()"]
    proc = subprocess.Popen(
        [*cli, "run", "airliner-crossing", "--out", str(tmp_path / "run"), "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        helpers: list[int] = []
        for _ in range(1200):  # until the helper has started (or the run ended)
            helpers = _children(proc.pid)
            if helpers or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert helpers, "no helper started"
        time.sleep(1.0)  # the run is importing, resolving or compiling: any of them
        # Ctrl-C until it stops (one landing in a callback from LLVM is swallowed: numba's)
        for _ in range(240):
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    for pid in helpers:
        for _ in range(100):
            if _gone(pid):
                break
            time.sleep(0.05)
        assert _gone(pid), f"helper {pid} still running"
    assert not (tmp_path / "run").exists()


def test_the_helper_exits_when_its_run_goes_away(tmp_path: Path, theatre) -> None:
    """The helper watches its stdin: once the run closes it (or dies), it exits at once
    rather than compiling on for nobody."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    helper = subprocess.Popen(
        ahead.HELPER,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert helper.stdin is not None
    helper.stdin.write(pickle.dumps(theatre))
    helper.stdin.close()  # the run is gone
    assert helper.wait(timeout=120) == 3


def test_the_helper_writes_only_numbas_cache(tmp_path: Path, theatre) -> None:
    """The real helper on an empty cache, run to its end: exit 0, nothing printed, nothing
    written in its working folder, only numba's index and data files in the cache."""
    cwd, cache = tmp_path / "cwd", tmp_path / "cache"
    cwd.mkdir()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    with (tmp_path / "out").open("wb") as out, (tmp_path / "err").open("wb") as err:
        proc = subprocess.Popen(
            ahead.HELPER,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
        )
        with ahead.CompileAhead(proc) as helper:
            helper.send(theatre)
            code = proc.wait(timeout=600)
    assert code == 0, (tmp_path / "err").read_text()
    assert (tmp_path / "out").read_bytes() == b"" and (tmp_path / "err").read_bytes() == b""
    assert list(cwd.iterdir()) == []
    assert {p.suffix for p in cache.rglob("*") if p.is_file()} == {".nbi", ".nbc"}
