"""One line instead of noise: Ctrl-C in a Monte Carlo study (no worker's traceback), a
scheduler that is none or does not answer, more workers than the machine holds, typer's
usage errors, numbers past their bounds, warnings under --quiet, and control characters in
file names (an ANSI escape sequence never reaches the terminal)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hostile_helpers import TIME_CAP_S, airdefense, assert_refused, listing, start
from typer.testing import CliRunner

from airdefense.cli import app, shown
from airdefense.montecarlo.runner import max_workers
from process_groups import group_gone, stop

SCENARIO = "airliner-crossing"
MC_SCENARIO = Path(__file__).parents[1] / "montecarlo" / "mc-test.yaml"


def _start_group(*args: str | Path, cwd: Path, prelude: str = "") -> subprocess.Popen[str]:
    return start(*args, cwd=cwd, prelude=prelude, new_session=True)


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


# --- Ctrl-C ---------------------------------------------------------------------------------


def _workers_spawned(pid: int) -> int:
    import psutil

    count = 0
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.Error):
            count += "--multiprocessing-fork" in child.cmdline()
    return count


@pytest.mark.parametrize("when", ["trials", "start"])
def test_ctrl_c_in_a_study_is_one_line(workdir: Path, when: str) -> None:
    """SIGINT to the whole group (driver and two workers), as a terminal sends it, once the
    first trials are committed, or while the workers start (importing): the driver's one
    line, exit 130, not a worker's traceback; no process left."""
    db = workdir / "mc" / "montecarlo.duckdb"
    wal = db.with_name(db.name + ".wal")
    args = ["montecarlo", MC_SCENARIO, "-n", "40", "--workers", "2", "--out", "mc"]
    proc = _start_group(*args, cwd=workdir)

    def ready() -> bool:
        if when == "trials":
            return wal.exists() and wal.stat().st_size > 0
        return _workers_spawned(proc.pid) >= 2

    try:
        end = time.monotonic() + TIME_CAP_S
        while not ready():
            assert proc.poll() is None and time.monotonic() < end, proc.communicate()
            time.sleep(0.02)
        if when == "start":
            time.sleep(0.3)  # spawned, not yet up: they are importing
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert _lines(err) == [
            "interrupted: every finished trial is saved in mc; rerun the same command to run "
            "the rest"
        ]
        assert group_gone(proc.pid, 30), "workers outlived the interrupted driver"
    finally:
        stop(proc)


def test_ctrl_c_in_a_run_is_one_line_and_leaves_nothing(workdir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "simulating"
    slow = (
        "import time, airdefense.sim.loop as _loop\n"
        "def _slow(*args, **kwargs):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    time.sleep(60)\n"
        "_loop.simulate = _slow\n"
    )
    before = listing(workdir)
    proc = _start_group("run", SCENARIO, "--out", "run", cwd=workdir, prelude=slow)
    try:
        end = time.monotonic() + TIME_CAP_S
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < end, proc.communicate()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        stop(proc)
    assert proc.returncode == 130, err
    assert _lines(err) == ["interrupted: nothing was written"]
    assert listing(workdir) == before  # no run directory, temporary directory or lock


# --- a cluster that cannot be had -------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheduler", "says"),
    [
        ("notaurl", "not a scheduler address (give tcp://HOST:PORT"),
        ("tcp://127.0.0.1:99999", "not a scheduler address"),
        ("ucx://10.0.0.1:8786", "protocol 'ucx' is not supported"),
        ("tcp://127.0.0.1:1", "cannot connect (nothing listens on that port"),
        ("tcp://no-such-host.invalid:8786", "cannot connect (unknown host no-such-host.invalid"),
    ],
)
def test_a_scheduler_that_is_none_is_one_line_at_once(
    workdir: Path, scheduler: str, says: str
) -> None:
    before = listing(workdir)
    start = time.monotonic()
    res = airdefense(
        "montecarlo", MC_SCENARIO, "-n", "2", "--out", "mc", "--scheduler", scheduler,
        cwd=workdir,
    )  # fmt: skip
    took = time.monotonic() - start
    assert_refused(res, contains=f"--scheduler {scheduler}: {says}")
    assert took < 8, f"{took:.1f} s to refuse"
    assert listing(workdir) == before


def test_more_workers_than_the_machine_holds_is_one_line(workdir: Path) -> None:
    before = listing(workdir)
    cap = max_workers()
    for n in sorted({cap + 1, *([64] if 64 > cap else [])}):
        res = airdefense("montecarlo", MC_SCENARIO, "-n", "2", "--out", "mc", "--workers", str(n),
                         cwd=workdir)  # fmt: skip
        line = assert_refused(res, contains=f"--workers {n}: must be 1 to {cap} on this machine")
        assert "--scheduler" in line
    assert listing(workdir) == before


# --- typer's usage errors and bounded numbers ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--bogus"], "error: No such option: --bogus"),
        (["montecarlo"], "error: Missing argument 'scenario'"),
        (["montecarlo", SCENARIO], "error: Missing option '--trials'"),
        (["run", SCENARIO, "--seed", "abc"], "error: Invalid value for '--seed'"),
        (["run", SCENARIO, "--seed", str(2**70)], "error: Invalid value for '--seed'"),
        (["run", SCENARIO, "--seed", str(2**63)], "error: Invalid value for '--seed'"),
        (["run", SCENARIO, "--trial", "-1"], "error: Invalid value for '--trial'"),
        (["montecarlo", SCENARIO, "-n", str(2**40), "-o", "mc"], "error: Invalid value for '--trials'"),
        (["montecarlo", SCENARIO, "-n", "0", "-o", "mc"], "error: Invalid value for '--trials'"),
        (["montecarlo", SCENARIO, "-n", "2", "-o", "mc", "--seed", str(2**70)], "error: Invalid value for '--seed'"),
        (["montecarlo", SCENARIO, "-n", "2", "-o", "mc", "--workers", "0"], "error: Invalid value for '--workers'"),
        (["montecarlo", MC_SCENARIO, "-n", "600000", "-o", "mc", "--sweep", "raids.0.count=1,2"],
         "error: --trials: 600,000 trials at each of 2 sweep points are 1,200,000 trials: at most 1,000,000"),
        (["replay", "run", "--port", "70000"], "error: Invalid value for '--port'"),
        (["nosuchcommand"], "error: No such command 'nosuchcommand'"),
        (["score", "t.parquet", "--truth", "x.parquet", "--c-m", "1e200"],
         "error: --c-m: must be a finite number > 0 and at most 10,000,000 m (got 1e+200)"),
        (["score", "t.parquet", "--truth", "x.parquet", "--association-m", "1e300"],
         "error: --association-m: must be a finite number > 0 and at most"),
        (["score", "t.parquet", "--truth", "x.parquet", "--c-m", "nan"], "error: --c-m: must be a finite"),
    ],
)  # fmt: skip
def test_usage_errors_and_numbers_past_their_bounds_are_one_line(
    workdir: Path, args: list[str], says: str
) -> None:
    before = listing(workdir)
    line = assert_refused(airdefense(*args, cwd=workdir))
    assert line.startswith(says), line
    assert "╭" not in line and "│" not in line  # not typer's framed box
    assert listing(workdir) == before


def test_usage_errors_are_one_line_in_process_too() -> None:
    res = CliRunner().invoke(app, ["run", "--seed", "-3"])
    assert res.exit_code == 2
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: Invalid value for '--seed': ")
    assert line.endswith("(see 'airdefense run --help')")


# --- warnings under --quiet ---------------------------------------------------------------

NOISY = """
import warnings, numpy as np, airdefense.sim.loop as _loop
_real = _loop.simulate
def _noisy(*args, **kwargs):
    warnings.warn("a library's warning", UserWarning)
    np.float64(1e308) * np.float64(10.0)  # numpy: overflow encountered
    return _real(*args, **kwargs)
_loop.simulate = _noisy
"""


def test_quiet_prints_the_run_directory_and_no_warning(workdir: Path) -> None:
    args = ["run", SCENARIO, "--no-report"]
    proc = _start_group(*args, "--out", "q", "--quiet", cwd=workdir, prelude=NOISY)
    out, err = proc.communicate(timeout=TIME_CAP_S)
    assert proc.returncode == 0, err
    assert err == ""
    assert out == "q\n"
    proc = _start_group(*args, "--out", "l", cwd=workdir, prelude=NOISY)
    _, err = proc.communicate(timeout=TIME_CAP_S)
    assert proc.returncode == 0, err
    assert "UserWarning: a library's warning" in err  # the warnings are real
    assert "RuntimeWarning: overflow" in err


def test_quiet_reaches_the_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib
    import warnings

    mc = importlib.import_module("airdefense.montecarlo")  # the module, not ad.montecarlo

    seen: dict[str, object] = {}

    def spy(*args: object, **kwargs: object) -> None:
        seen["env"] = os.environ.get("PYTHONWARNINGS")
        seen["filter"] = warnings.filters[0][0]
        raise mc.Interrupted(0, 0, 1)

    monkeypatch.setattr(mc, "run_montecarlo", spy)
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    res = CliRunner().invoke(
        app, ["montecarlo", str(MC_SCENARIO), "-n", "1", "-o", str(tmp_path / "mc"), "-q"]
    )
    assert res.exit_code == 130
    assert seen == {"env": "ignore", "filter": "ignore"}
    assert "PYTHONWARNINGS" not in os.environ  # as it was, once the command is done


# --- control characters in file names ------------------------------------------------------


def test_control_characters_in_names_never_reach_the_terminal(workdir: Path) -> None:
    esc = "\x1b[31mred\x1b[0m"
    res = airdefense("validate", f"{esc}.yaml", cwd=workdir)
    line = assert_refused(res)
    assert "\x1b" not in res.err
    assert line.startswith("error: \\x1b[31mred\\x1b[0m.yaml: no such file")
    # an OSC sequence (sets the terminal's title), a bell, a right-to-left override
    name = "\x1b]0;pwned\x07-\u202ecod.yaml"
    res = airdefense("run", SCENARIO, "--out", name, "-q", "--no-report", cwd=workdir)
    assert res.code == 0, res.err
    assert res.out == "\\x1b]0;pwned\\x07-\\u202ecod.yaml\n"
    assert (workdir / name / "run.duckdb").is_file()
    # refused into the same place: the error line escapes it too
    res = airdefense("run", SCENARIO, "--out", name, cwd=workdir)
    line = assert_refused(res, contains="already exists and is not empty")
    assert "\x1b" not in res.err and "\x07" not in res.err and "\u202e" not in res.err


def test_rich_markup_in_names_is_printed_as_it_is(workdir: Path) -> None:
    res = airdefense("run", SCENARIO, "--out", "a[/bold]b[red]", "--no-report", cwd=workdir)
    assert res.code == 0, res.err
    assert "run directory: a[/bold]b[red]" in res.out


def test_shown_escapes_every_control_character() -> None:
    assert shown("plain/path ü é 日本") == "plain/path ü é 日本"
    assert shown("a\nb\tc\x00d\x7fe\x9bf") == "a\\x0ab\\x09c\\x00d\\x7fe\\x9bf"
    assert shown("x\u202ey\u2066z") == "x\\u202ey\\u2066z"
