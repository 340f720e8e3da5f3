"""``airdefense montecarlo`` as a user runs it: one-line errors, an interrupted run (Ctrl-C,
then SIGKILL of the driving process) resumed to the same trials as an uninterrupted run,
and the report written whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.montecarlo import runner
from airdefense.montecarlo.runner import make_plan
from airdefense.montecarlo.store import DB_NAME
from airdefense.montecarlo.trial import FIGURES, run_trial
from airdefense.scenario.load import load_scenario
from process_groups import group_gone, stop

HERE = Path(__file__).parent
SCENARIO = HERE / "mc-test.yaml"
EXE = Path(sys.executable).with_name("airdefense")
SWEEP = ["--sweep", "raids.0.count=8,16"]
TRIALS = 6


def invoke(*args: str):
    return CliRunner().invoke(app, ["montecarlo", *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [str(SCENARIO), "-n", "3", "--sweep", "raids.0.cuont=1,2"],
            f"error: --sweep raids.0.cuont=1: {SCENARIO}: raids[0].cuont: unknown field (allowed: name,",
        ),
        (
            [str(SCENARIO), "-n", "3", "--sweep", "raids.3.count=1"],
            "error: --sweep raids.3.count: raids has no item named '3' (names: cruise, drones, airliner)",
        ),
        (
            [str(SCENARIO), "-n", "3", "--sweep", "raids.0.count=0,4"],
            f"error: --sweep raids.0.count=0: {SCENARIO}: raids[0].count: must be >= 1 (got 0)",
        ),
        (
            [str(SCENARIO), "-n", "3", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "error: --workers and --scheduler: give one",
        ),
        (["no-such-scenario", "-n", "3"], "error: no-such-scenario: no such file or bundled"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "mc"
    res = invoke(*args, "--out", str(out))
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), res.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("tcp://10.0.0.5:8786", ("tcp", "10.0.0.5", 8786)),
        ("scheduler.lab:8786", ("tcp", "scheduler.lab", 8786)),
        ("TLS://[::1]:8786", ("tls", "::1", 8786)),
        ("notaurl", None),
        ("tcp://host", None),
        ("tcp://host:0", None),
        ("tcp://host:65536", None),
        ("tcp://host:8786/path", None),
        ("tcp://host:\uff18\uff17", None),  # fullwidth digits are no port
        ("tcp://-host:8786", None),
        ("ucx://host:8786", None),
        ("inproc://x", None),
    ],
)
def test_scheduler_addresses(text: str, parts: tuple[str, str, int] | None) -> None:
    if parts is None:
        with pytest.raises(runner.ClusterError, match=r"^--scheduler .*: (not a|protocol)"):
            runner.scheduler_address(text)
    else:
        assert runner.scheduler_address(text) == parts


def test_bounds_of_a_plan() -> None:
    from airdefense.errors import AirdefenseError

    sc = load_scenario(SCENARIO)
    for trials in (0, -1, runner.MAX_TRIALS + 1, 2**40, True):
        with pytest.raises(AirdefenseError, match=r"^--trials: must be 1 to 1,000,000"):
            make_plan(sc, trials)
    for seed in (-1, 2**63, 2**70):
        with pytest.raises(AirdefenseError, match=r"^--seed: must be 0 to 2\*\*63-1"):
            make_plan(sc, 2, seed=seed)
    with pytest.raises(AirdefenseError, match=r"500,001 trials at each of 2 sweep points"):
        make_plan(sc, 500_001, ["raids.0.count=1,2"])
    assert make_plan(sc, runner.MAX_TRIALS, seed=2**63 - 1).total == runner.MAX_TRIALS


def test_workers_past_the_machine_are_refused() -> None:
    cap = runner.max_workers()
    assert 1 <= cap <= runner.MAX_WORKERS
    runner.check_cluster_options(cap, None)
    for n in (0, cap + 1, 10**6):
        with pytest.raises(runner.ClusterError, match=rf"^--workers {n}: must be 1 to {cap}"):
            runner.check_cluster_options(n, None)


def test_an_unreachable_scheduler_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 1)
    out = tmp_path / "mc"
    res = invoke(str(SCENARIO), "-n", "2", "--scheduler", "tcp://127.0.0.1:9", "--out", str(out))
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: --scheduler tcp://127.0.0.1:9: cannot connect (")
    assert not out.exists()


# --- an interrupted run, resumed ----------------------------------------------------------


def _start(out: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [str(EXE), "montecarlo", str(SCENARIO), "--trials", str(TRIALS), *SWEEP]
    return subprocess.Popen(
        [*cmd, "--workers", "1", "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the driver and its workers
    )


def _wait_for_a_commit(proc: subprocess.Popen[str], db: Path, timeout_s: float = 120) -> None:
    """Until the driver has committed trials. The set-up is checkpointed into the file at
    once (its write-ahead log lives for milliseconds); a log that stays is trials committed."""
    wal = db.with_name(db.name + ".wal")
    end = time.monotonic() + timeout_s
    seen = 0
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it was interrupted: {proc.communicate()}")
        seen = seen + 1 if wal.exists() and wal.stat().st_size > 0 else 0
        if seen >= 3:
            return
        time.sleep(0.1)
    pytest.fail("no trial was committed in time")


def _count(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM trials").fetchone()
    return int(row[0]) if row else 0


def _figures(db: Path) -> list[tuple[object, ...]]:
    cols = ", ".join(["point", "trial", "seed", *FIGURES, "error"])
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(f"SELECT {cols} FROM trials ORDER BY point, trial").fetchall()
        used = con.execute(
            "SELECT point, trial, missile, used FROM trial_interceptors ORDER BY ALL"
        ).fetchall()
    exact = [tuple(v.hex() if isinstance(v, float) else v for v in r) for r in rows]
    return [*exact, *used]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [v or "" for k, v in attrs if k in ("src", "href")]


def test_interrupted_and_killed_runs_resume_to_the_uninterrupted_trials(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    db = out / DB_NAME
    total = 2 * TRIALS

    # 1. Ctrl-C (SIGINT to the whole group, as a terminal sends it)
    proc = _start(out, "--quiet")
    try:
        _wait_for_a_commit(proc, db)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "interrupted: every finished trial is saved" in err
        assert group_gone(proc.pid, 30), "workers outlived the interrupted driver"
    finally:
        stop(proc)
    after_int = _count(db)
    assert 0 < after_int < total

    # 2. SIGKILL of the driving process alone: its workers must go by themselves
    proc = _start(out, "--quiet")
    try:
        _wait_for_a_commit(proc, db)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert group_gone(proc.pid, 60), "workers outlived the killed driver"
    finally:
        stop(proc)
    after_kill = _count(db)
    assert after_int < after_kill <= total

    # 3. the same command again runs only what is missing
    done = subprocess.run(
        [str(EXE), "montecarlo", str(SCENARIO), "--trials", str(TRIALS), *SWEEP, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    assert f"{total - after_kill:,} run now" in done.stdout
    assert f"{after_kill:,} already done" in done.stdout
    assert "P(no leak)" in done.stdout and "report:" in done.stdout

    # every trial exactly once, equal to the same trials run without interruption
    with duckdb.connect(str(db), read_only=True) as con:
        keys = con.execute("SELECT point, trial FROM trials ORDER BY point, trial").fetchall()
    assert keys == [(p, t) for p in range(2) for t in range(TRIALS)]
    plan = make_plan(load_scenario(SCENARIO), TRIALS, SWEEP[1:])
    ref = tmp_path / "ref"
    from airdefense.montecarlo.store import Store

    store = Store.open(ref, plan.identity, plan.points, plan.trials)
    store.write(run_trial(p.scenario_json, p.index, t) for p in plan.points for t in range(TRIALS))
    store.close()
    assert _figures(db) == _figures(ref / DB_NAME)

    # the report: complete, self-contained, no temporary file left behind
    names = sorted(p.name for p in out.iterdir())
    assert names == [DB_NAME, "report.html", "scenarios"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>") and "Saturation curve" in html
    links = _Links()
    links.feed(html)
    assert links.refs and all(r.startswith(("data:", "#")) for r in links.refs)

    # 4. nothing left to run: quiet prints the directory only; another seed is refused
    again = invoke(str(SCENARIO), "--trials", str(TRIALS), *SWEEP, "--out", str(out), "--quiet")
    assert again.exit_code == 0 and again.output.strip() == str(out)
    other = invoke(str(SCENARIO), "-n", str(TRIALS), *SWEEP, "--out", str(out), "--seed", "9")
    assert other.exit_code == 2
    assert other.output.strip().splitlines() == [
        f"error: {out}: holds another Monte Carlo run (seed 7 (not 9), {total} trials): use "
        "another --out, or --force to discard it"
    ]
