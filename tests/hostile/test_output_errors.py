"""Hostile destinations: an --out that cannot be written (read-only, under /proc, an existing
file, a full disk, a file-size limit) and two commands writing the same --out at once.

Each command refuses in one line, ``error: ...`` with exit code 2, names the destination and
what to free or change, and leaves nothing behind: a destination that can be known bad is
refused before the simulation (a patched ``simulate`` or Dask cluster that must not be
called proves it), and a write that fails midway (a file-size limit, a full disk) leaves
neither a partial run directory nor its temporary files. Of two runs into one --out, one
writes a complete directory and the other refuses in one line."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from hostile_helpers import MEMORY_CAP_BYTES, TIME_CAP_S, Outcome, assert_refused, listing, start
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.record import rundir

SCENARIO = "airliner-crossing"  # bundled: a run of ~2 s and ~7 MB
MC_SCENARIO = Path(__file__).parents[1] / "montecarlo" / "mc-test.yaml"
#: Python run before the command: ``simulate`` and the Dask cluster fail loudly if called
#: (a traceback, exit code 1), so a refusal proves that nothing was simulated.
NO_SIMULATION = """
import airdefense.sim.loop as _loop
from airdefense.montecarlo import runner as _runner
def _never(*args, **kwargs):
    raise RuntimeError("the destination was not checked before the simulation")
_loop.simulate = _never
_runner.cluster = _never
"""


def airdefense(
    *args: str | Path,
    cwd: Path,
    prelude: str = "",
    wrap: list[str] | None = None,
    file_size: int | None = None,
    timeout: float = TIME_CAP_S,
) -> Outcome:
    """``airdefense ARGS`` in ``cwd`` under the corpus's caps, after ``prelude`` (Python),
    inside ``wrap`` (a command that runs the rest), with at most ``file_size`` bytes a file
    (RLIMIT_FSIZE; SIGXFSZ ignored, as Python does, so a write past it fails with EFBIG)."""

    def caps() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    code = prelude + "\nfrom airdefense.cli import main\nmain()\n"
    proc = subprocess.run(
        [*(wrap or []), sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=caps,
        env={**os.environ, "PYTHONWARNINGS": "default", "COLUMNS": "200"},
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


# --- a file system of its own: read-only, or nearly full ----------------------------------


def _namespace(mount: str, where: Path, after: str = "") -> list[str]:
    """A command that mounts ``mount`` options of a tmpfs on ``where`` in a mount namespace
    of its own (nothing outside sees it; it goes with the command), runs the rest there,
    then ``after`` (shell), and exits with the rest's status."""
    script = f'mount -t tmpfs -o {mount} tmpfs "{where}" && "$@"; rc=$?; {after} exit $rc'
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh"]


def _need_namespaces(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.mkdir()
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1): cannot mount a file system of the test's own")
    ok = subprocess.run([*_namespace("size=64k", probe), "true"], capture_output=True)
    probe.rmdir()
    if ok.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {ok.stderr!r}")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run to export."""
    where = tmp_path_factory.mktemp("run")
    res = airdefense("run", SCENARIO, "--out", "run", "-q", "--no-report", cwd=where)
    assert res.code == 0, res.err
    return where / "run"


def _commands(out: str, run_dir: Path) -> dict[str, list[str]]:
    return {
        "run": ["run", SCENARIO, "--out", out, "--no-report"],
        "montecarlo": ["montecarlo", str(MC_SCENARIO), "-n", "2", "--out", out],
        "export": ["export", str(run_dir), "--out", out],
    }


@pytest.mark.parametrize("command", ["run", "montecarlo", "export"])
def test_a_read_only_out_is_one_line_before_the_simulation(
    workdir: Path, tmp_path: Path, run_dir: Path, command: str
) -> None:
    ro = workdir / "ro"
    ro.mkdir()
    args = _commands("ro/out", run_dir)[command]
    if os.geteuid() != 0:  # a directory we may not write to
        ro.chmod(0o555)
        wrap, says = None, "Permission denied"
    else:  # root writes anywhere: a read-only file system then
        _need_namespaces(tmp_path)
        wrap, says = _namespace("ro,size=1m", ro), "Read-only file system"
    before = listing(workdir)
    try:
        line = assert_refused(
            airdefense(*args, cwd=workdir, prelude=NO_SIMULATION, wrap=wrap), contains=says
        )
    finally:
        ro.chmod(0o755)
    assert line.startswith("error: ro: cannot write (") and "choose another --out" in line
    assert listing(workdir) == before


@pytest.mark.parametrize("command", ["run", "montecarlo", "export", "schema", "track"])
@pytest.mark.parametrize("where", ["/proc/airdefense-out", "/proc/self/fd", "/sys/kernel/x"])
def test_an_out_under_proc_or_sys_is_one_line(
    workdir: Path, run_dir: Path, command: str, where: str
) -> None:
    det = workdir / "plots.csv"
    det.write_text("t,x,y,z,sx,sy,sz\n0,0,0,1000,50,50,50\n")
    args = {
        **_commands(where, run_dir),
        "schema": ["schema", "--out", where],
        "track": ["track", det.name, "--out", where],
    }[command]
    before = listing(workdir)
    line = assert_refused(airdefense(*args, cwd=workdir, prelude=NO_SIMULATION))
    kernel = "/" + where.split("/")[1]
    assert f"is under {kernel}, a file system of the kernel's (choose another --out)" in line
    assert listing(workdir) == before


@pytest.mark.parametrize("command", ["run", "montecarlo", "export"])
def test_an_out_that_is_a_file_is_one_line(workdir: Path, run_dir: Path, command: str) -> None:
    (workdir / "taken").write_text("precious")
    before = listing(workdir)
    args = _commands("taken", run_dir)[command]
    line = assert_refused(airdefense(*args, cwd=workdir, prelude=NO_SIMULATION))
    assert line == "error: taken: exists and is not a directory (choose another --out)"
    assert (workdir / "taken").read_text() == "precious"
    # and one that passes through a file
    args = _commands("taken/run", run_dir)[command]
    line = assert_refused(airdefense(*args, cwd=workdir, prelude=NO_SIMULATION))
    assert line.startswith("error: taken/run: ") and "is a file, not a directory" in line
    assert listing(workdir) == before


@pytest.mark.parametrize("command", ["run", "montecarlo", "export"])
def test_a_full_disk_is_one_line_before_the_simulation(
    workdir: Path, tmp_path: Path, run_dir: Path, command: str
) -> None:
    _need_namespaces(tmp_path)
    disk = workdir / "disk"
    disk.mkdir()
    seen = tmp_path / "on-the-disk.txt"  # what the command left on it, listed before unmount
    wrap = _namespace("size=256k", disk, after=f'find "{disk}" -mindepth 1 > "{seen}";')
    args = _commands("disk/out", run_dir)[command]
    before = listing(workdir)
    line = assert_refused(airdefense(*args, cwd=workdir, prelude=NO_SIMULATION, wrap=wrap))
    assert line.startswith("error: disk/out: cannot write: only 0.")
    assert "MB free on that disk" in line and "free some space or choose another --out" in line
    assert seen.read_text() == ""
    assert listing(workdir) == before


@pytest.mark.parametrize("command", ["run", "montecarlo", "export"])
def test_a_write_past_the_file_size_limit_is_one_line_and_leaves_nothing(
    workdir: Path, run_dir: Path, command: str
) -> None:
    # 1 MB a file: the checks pass, the first large file (run.duckdb, a Parquet table, the
    # Monte Carlo database's checkpoint) fails midway with EFBIG, as on a disk that fills up
    before = listing(workdir)
    before_run = listing(run_dir)
    args = _commands("out", run_dir)[command]
    line = assert_refused(airdefense(*args, cwd=workdir, file_size=1_000_000))
    assert line.startswith("error: out") and "cannot write (File too large)" in line
    assert "file-size limit (ulimit -f)" in line
    assert listing(workdir) == before  # no run directory, no temporary one, no lock
    assert listing(run_dir) == before_run


def test_no_space_midway_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC itself, injected where a run's database is written (after the simulation)."""

    def full(result: object, path: Path) -> None:
        path.write_bytes(b"half a database")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(rundir, "write_database", full)
    res = CliRunner().invoke(app, ["run", SCENARIO, "--out", str(tmp_path / "run"), "-q"])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'run'}: cannot write (No space left on device): free some space "
        "on that disk or choose another --out"
    ]
    assert listing(tmp_path) == set()


def test_no_space_in_a_monte_carlo_study_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's ENOSPC when the first batch of trials is committed: one line, and a new
    study with no trial saved leaves no directory."""
    from airdefense.montecarlo import store

    class FullDisk:
        """The study's connection, on a disk that fills up when trials are committed."""

        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self._con = con

        def __getattr__(self, name: str) -> object:
            return getattr(self._con, name)

        def execute(self, sql: str, *args: object) -> object:
            if sql.startswith("INSERT OR IGNORE INTO trials"):
                raise duckdb.IOException(
                    'IO Error: Could not write file "montecarlo.duckdb.wal": No space left on '
                    "device"
                )
            return self._con.execute(sql, *args)

    connect = store._connect
    monkeypatch.setattr(store, "_connect", lambda db: FullDisk(connect(db)))
    out = tmp_path / "mc"
    res = CliRunner().invoke(
        app, ["montecarlo", str(MC_SCENARIO), "-n", "1", "--workers", "1", "--out", str(out)]
    )
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"error: {out / 'montecarlo.duckdb'}: cannot write (No space")
    assert "free some space on that disk" in lines[0]
    assert not out.exists()


# --- two runs into one --out -------------------------------------------------------------


SLOW_SIMULATION = """
import time, airdefense.sim.loop as _loop
_real = _loop.simulate
def _slow(*args, **kwargs):
    time.sleep(3)
    return _real(*args, **kwargs)
_loop.simulate = _slow
"""


def _complete_run(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == ["run.duckdb", "scenario.yaml"]
    with duckdb.connect(str(out / "run.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM summary").fetchone() == (1,)


def test_a_second_run_into_a_busy_out_is_refused_at_once(workdir: Path) -> None:
    first = start("run", SCENARIO, "--out", "same", "-q", "--no-report", cwd=workdir,
                   prelude=SLOW_SIMULATION)  # fmt: skip
    try:
        end = time.monotonic() + 60
        while not (workdir / ".same.lock").exists():  # the first holds the destination
            assert first.poll() is None and time.monotonic() < end, first.communicate()
            time.sleep(0.05)
        second = airdefense(
            "run", SCENARIO, "--out", "same", "-q", "--no-report", cwd=workdir,
            prelude=NO_SIMULATION,
        )  # fmt: skip
        assert_refused(
            second,
            contains="same: another airdefense run is writing it now (wait for it to end, or "
            "choose another --out)",
        )
        out, err = first.communicate(timeout=TIME_CAP_S)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, err
    assert out.strip() == "same"
    _complete_run(workdir / "same")
    assert listing(workdir) == {"same", "same/run.duckdb", "same/scenario.yaml"}


def test_two_runs_into_one_out_at_once_one_wins(workdir: Path) -> None:
    runs = [
        start("run", SCENARIO, "--out", "same", "-q", "--no-report", cwd=workdir) for _ in range(2)
    ]
    results = [(p.wait(timeout=TIME_CAP_S), *p.communicate()) for p in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    (loser,) = [err for code, _, err in results if code == 2]
    lines = [x for x in loser.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: same: "), loser
    assert "another airdefense run is writing it now" in lines[0] or (
        "already exists and is not empty" in lines[0]
    )
    _complete_run(workdir / "same")
    assert listing(workdir) == {"same", "same/run.duckdb", "same/scenario.yaml"}


def test_a_second_study_into_a_busy_out_is_refused(workdir: Path) -> None:
    args = ["montecarlo", str(MC_SCENARIO), "-n", "8", "--workers", "1", "--out", "mc", "-q"]
    first = start(*args, cwd=workdir)
    try:
        end = time.monotonic() + 120
        while not (workdir / "mc" / "montecarlo.duckdb").exists():
            assert first.poll() is None and time.monotonic() < end, first.communicate()
            time.sleep(0.05)
        second = airdefense(*args, cwd=workdir, prelude=NO_SIMULATION)
        assert_refused(second, contains="in use by another process")
        _out, err = first.communicate(timeout=TIME_CAP_S)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, err
    with duckdb.connect(str(workdir / "mc" / "montecarlo.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trials").fetchone() == (8,)


def test_a_second_export_into_a_busy_directory_is_refused(workdir: Path, run_dir: Path) -> None:
    from airdefense.record.export import LOCK_NAME

    out = workdir / "export"
    out.mkdir()
    held = rundir.FileLock(out / LOCK_NAME, "busy")
    held.acquire()  # an export writing there now
    try:
        before = listing(workdir)
        res = airdefense("export", run_dir, "--out", out, "-f", "csv", cwd=workdir)
        assert_refused(
            res, contains=f"{out}: another airdefense export is writing into it now (wait for it"
        )
        assert listing(workdir) == before
    finally:
        held.release()
    res = airdefense("export", run_dir, "--out", out, "-f", "csv", cwd=workdir)
    assert res.code == 0, res.err
    assert LOCK_NAME not in {p.name for p in out.iterdir()}
    assert (out / "truth.csv").is_file()


def test_what_a_killed_run_left_is_cleared_by_the_next(workdir: Path) -> None:
    # a run killed with SIGKILL leaves its lock file and its hidden temporary directory
    (workdir / ".same.lock").write_text("")
    stale = workdir / ".same.x1y2z3_w.tmp"
    stale.mkdir()
    (stale / "run.duckdb").write_bytes(b"half")
    # another run's, whose name starts alike: not this run's to clear
    other = workdir / ".same.b.k9k9k9k9.tmp"
    other.mkdir()
    res = airdefense("run", SCENARIO, "--out", "same", "-q", "--no-report", cwd=workdir)
    assert res.code == 0, res.err
    _complete_run(workdir / "same")
    assert listing(workdir) == {other.name, "same", "same/run.duckdb", "same/scenario.yaml"}


# --- the checks themselves -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (errno.ENOSPC, "cannot write (No space left on device): free some space on that disk"),
        (errno.EDQUOT, "cannot write (Disk quota exceeded): free some of your disk quota"),
        (errno.EFBIG, "cannot write (File too large): a file would pass this shell's file-size"),
        (errno.EROFS, "cannot write (Read-only file system): choose another --out (that file"),
        (errno.EACCES, "cannot write (Permission denied): you may not write there: choose another"),
    ],
)
def test_a_write_error_says_what_to_free_or_change(code: int, says: str) -> None:
    err = rundir.output_error(OSError(code, os.strerror(code), "/x/.tmp/run.duckdb"), "out")
    assert str(err).startswith(f"out: {says}") and "--out" in str(err)
    assert "\n" not in str(err) and ".tmp" not in str(err)
    # DuckDB's error text names the same errno
    db = duckdb.IOException(f'Could not write file "x": {os.strerror(code)}')
    assert str(rundir.output_error(db, "out")).startswith(f"out: {says}")
    wrapped = OSError(errno.EIO, f'Could not write "x": {{"errno":"{code}"}}')
    assert str(rundir.output_error(wrapped, "out")).startswith(f"out: {says}")
