"""Damaged run directories: every command and API function that reads a run refuses one in
one line naming the table (and column) that is wrong, exit 2, and writes (or sends) nothing.

One real run of a small bundled scenario is made once; each case copies it and damages the
copy with DuckDB (an empty or dropped table, text in a number column, a dropped column, a
negative duration, NaN in a position) or damages the file (truncated, garbage, missing).
Each command runs as a user runs it, in a subprocess under the harness's time and memory
caps."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from hostile_helpers import airdefense, assert_refused, listing

import airdefense as ad
from airdefense.errors import AirdefenseError

SCENARIO = "airliner-crossing"  # a 7-minute scenario: its run takes a few seconds


def _retype_tracks_x(con: duckdb.DuckDBPyConnection) -> None:
    """tracks recreated with text in its x column."""
    cols = [d[0] for d in con.sql("SELECT * FROM tracks LIMIT 0").description]
    select = ", ".join("'north' AS x" if c == "x" else c for c in cols)
    con.execute(f"CREATE TABLE damaged AS SELECT {select} FROM tracks")
    con.execute("DROP TABLE tracks")
    con.execute("ALTER TABLE damaged RENAME TO tracks")


def _truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])


SQL_DAMAGES: dict[str, Callable[[duckdb.DuckDBPyConnection], object]] = {
    "empty-objects": lambda con: con.execute("DELETE FROM objects"),
    "text-in-tracks-x": _retype_tracks_x,
    "negative-duration": lambda con: con.execute(
        "UPDATE meta SET value = '-5' WHERE key = 'duration_s'"
    ),
    "dropped-table": lambda con: con.execute("DROP TABLE objects"),
    "dropped-column": lambda con: con.execute("ALTER TABLE tracks DROP COLUMN x"),
    "nan-in-truth-x": lambda con: con.execute(
        "UPDATE truth SET x = 'nan'::DOUBLE WHERE object_id = 0"
    ),
}
FILE_DAMAGES: dict[str, Callable[[Path], object]] = {
    "truncated-database": _truncate,
    "garbage-database": lambda db: db.write_bytes(b"\0" * 4096 + b"not a database" * 500),
    "missing-database": lambda db: db.unlink(),
}
#: What the one line says for each damage (after ``error: run``).
SAYS = {
    "empty-objects": "/run.duckdb: objects: empty, but truth.object_id names objects",
    "text-in-tracks-x": "/run.duckdb: tracks.x: holds VARCHAR, not DOUBLE",
    "negative-duration": "/run.duckdb: meta: duration_s is '-5', not a number in 0..1e+06",
    "dropped-table": "/run.duckdb: objects: missing, but truth.object_id names objects",
    "dropped-column": "/run.duckdb: tracks.x: column missing",
    "nan-in-truth-x": "/run.duckdb: truth.x: holds nan, not a finite number",
    "truncated-database": "/run.duckdb: not a readable run database (",
    "garbage-database": "/run.duckdb: not a readable run database (",
    "missing-database": ": not a run directory (no run.duckdb)",
}
DAMAGES = [*SQL_DAMAGES, *FILE_DAMAGES]

#: Every command that reads a run directory, as a user types it (``run`` is the damaged copy).
COMMANDS: dict[str, list[str]] = {
    "replay": ["replay", "run"],
    "replay-page-missing": ["replay", "run"],  # the page is to be written first
    "export-parquet": ["export", "run", "--format", "parquet"],
    "export-csv": ["export", "run", "--format", "csv", "--out", "out"],
    "export-czml": ["export", "run", "--format", "czml", "--out", "out"],
    "export-asterix": ["export", "run", "--format", "asterix", "--out", "out"],
    "export-dis": ["export", "run", "--format", "dis", "--out", "out"],
    "stream": ["stream", "run", "--speed", "0", "--dis", "off", "--asterix", "127.0.0.1:{port}"],
}


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real run with its replay page, as `airdefense run` writes it (made once)."""
    root = tmp_path_factory.mktemp("damaged-base")
    outcome = airdefense("run", SCENARIO, "--out", "run", "--no-report", "-q", cwd=root)
    assert outcome.code == 0, outcome.err[-2000:]
    from airdefense.report.replay import write_replay

    write_replay(root / "run")
    assert (root / "run" / "replay.html").is_file()
    return root / "run"


def _damaged(base: Path, workdir: Path, damage: str) -> Path:
    run = workdir / "run"
    shutil.copytree(base, run)
    db = run / "run.duckdb"
    if damage in FILE_DAMAGES:
        FILE_DAMAGES[damage](db)
    else:
        with duckdb.connect(str(db)) as con:
            SQL_DAMAGES[damage](con)
    return run


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its content (to see that nothing was written)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_the_base_run_is_read_by_every_command(base_run: Path, workdir: Path) -> None:
    """The undamaged copy passes the checks: the refusals below are the damage's."""
    shutil.copytree(base_run, workdir / "run")
    outcome = airdefense("export", "run", "--format", "csv", "--out", "out", cwd=workdir)
    assert outcome.code == 0, outcome.err[-2000:]
    assert (workdir / "out" / "tracks.csv").is_file()
    run = ad.open_run(workdir / "run")
    try:
        assert run.summary["scenario"] == SCENARIO
    finally:
        run.close()


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_run_is_one_line_and_nothing_is_written(
    base_run: Path, workdir: Path, damage: str, command: str
) -> None:
    run = _damaged(base_run, workdir, damage)
    if command == "replay-page-missing":
        (run / "replay.html").unlink()
    before = _snapshot(workdir)
    names = listing(workdir)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(0.2)
        port = str(listener.getsockname()[1])
        args = [a.replace("{port}", port) for a in COMMANDS[command]]
        line = assert_refused(airdefense(*args, cwd=workdir, timeout=60))
        with pytest.raises(TimeoutError):
            listener.recv(65536)  # nothing was sent
    assert line.startswith("error: run"), line
    assert SAYS[damage] in line, line
    assert listing(workdir) == names
    assert _snapshot(workdir) == before


def _api_readers() -> dict[str, Callable[[Path], object]]:
    from airdefense.interop import czml, dis
    from airdefense.interop.asterix import export as asterix
    from airdefense.interop.stream import run_duration
    from airdefense.record.export import export_run
    from airdefense.report import write_report
    from airdefense.report.replay import write_replay

    return {
        "open_run": lambda run: ad.open_run(run).summary,
        "write_report": write_report,
        "write_replay": write_replay,
        "export_run": lambda run: export_run(run, "parquet"),
        "czml": czml.build_document,
        "dis": dis.build_pdus,
        "asterix": asterix.encode_run,
        "stream_duration": run_duration,
    }


@pytest.mark.parametrize("damage", DAMAGES)
def test_the_python_api_raises_one_line_and_writes_nothing(
    base_run: Path, workdir: Path, damage: str
) -> None:
    run = _damaged(base_run, workdir, damage)
    (run / "replay.html").unlink()
    before = _snapshot(workdir)
    for name, read in _api_readers().items():
        with pytest.raises(AirdefenseError) as exc:
            read(run)
        text = str(exc.value)
        assert "\n" not in text and SAYS[damage] in text, (name, text)
        assert text.startswith(str(run)), (name, text)
    assert _snapshot(workdir) == before
