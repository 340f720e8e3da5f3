"""RunReader, the one reader of a run directory: it refuses what is not a run of this run
format with one line saying why (naming the version that wrote it), opens read-only, and
serves absent tables as empty ones with their declared columns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from airdefense.errors import AirdefenseError
from airdefense.record.reader import RunReader, RunReadError, database_of, reading
from airdefense.record.schema import RUN_FORMAT, TABLES, VIEWS


def _run(path: Path, meta: dict[str, str] | None = None, summary: bool = True) -> Path:
    """A run directory whose database holds a meta table (format RUN_FORMAT unless told
    otherwise), a one-row summary and nothing else."""
    path.mkdir(parents=True, exist_ok=True)
    meta = (
        {"scenario": "tiny", "airdefense_version": "9.9.9", "run_format": str(RUN_FORMAT)}
        if meta is None
        else meta
    )
    with duckdb.connect(str(path / "run.duckdb")) as con:
        con.execute("CREATE TABLE meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)")
        for key, value in meta.items():
            con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])
        if summary:
            con.execute("CREATE TABLE summary (scenario VARCHAR, kills INTEGER, leakers INTEGER)")
            con.execute("INSERT INTO summary VALUES ('tiny', 3, NULL)")
    return path


def _line(exc: pytest.ExceptionInfo[RunReadError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and isinstance(exc.value, AirdefenseError)
    return text


def test_a_run_of_this_format_opens_with_its_meta_and_summary(tmp_path: Path) -> None:
    with RunReader(_run(tmp_path / "run")) as run:
        assert run.run_format == RUN_FORMAT and run.version == "9.9.9"
        assert run.meta["scenario"] == "tiny"
        assert run.summary == {"scenario": "tiny", "kills": 3}  # NULL figures left out
        assert run.names() == ["meta", "summary"]
        assert run.has("meta") and not run.has("interceptors")
        assert run.rows("SELECT count(*) FROM meta") == [(3,)]
        assert run.columns("SELECT value FROM meta ORDER BY key")["value"].tolist() == [
            "9.9.9",
            str(RUN_FORMAT),
            "tiny",
        ]
        assert run.scenario_text() == ""  # no scenario.yaml beside it


@pytest.mark.parametrize(
    ("meta", "written"),
    [
        ({"airdefense_version": "0.0.9"}, "written by airdefense 0.0.9 in run format 1"),
        (
            {"airdefense_version": "0.3.0", "run_format": "3"},
            "written by airdefense 0.3.0 in run format 3",
        ),
        ({}, "written by airdefense an unknown version in run format 1"),
    ],
)
def test_another_run_format_is_one_line_naming_who_wrote_it(
    tmp_path: Path, meta: dict[str, str], written: str
) -> None:
    run = _run(tmp_path / "old", meta)
    with pytest.raises(RunReadError) as exc:
        RunReader(run)
    assert _line(exc) == (
        f"{run / 'run.duckdb'}: {written}; this version reads format {RUN_FORMAT}: "
        "run the scenario again with this version"
    )


def test_what_is_not_a_run_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    cases = {
        tmp_path / "missing": "no such run directory",
        tmp_path / "file.txt": "not a directory (expected a run directory)",
        tmp_path / "empty": "not a run directory (no run.duckdb)",
    }
    for path, message in cases.items():
        with pytest.raises(RunReadError) as exc:
            RunReader(path)
        assert _line(exc) == f"{path}: {message}"
        with pytest.raises(RunReadError):
            database_of(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file.txt"]


def test_a_damaged_or_foreign_database_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "run.duckdb").write_bytes(b"this is not a database" * 100)
    with pytest.raises(RunReadError) as exc:
        RunReader(bad)
    assert _line(exc).startswith(f"{bad / 'run.duckdb'}: not a readable run database (")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with duckdb.connect(str(foreign / "run.duckdb")) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(RunReadError) as exc:
        RunReader(foreign)
    assert _line(exc) == f"{foreign / 'run.duckdb'}: not a run database (no meta table)"


def test_absent_tables_and_their_views_read_empty_with_their_columns(tmp_path: Path) -> None:
    with RunReader(_run(tmp_path / "run", summary=False)) as run:
        assert run.summary == {}
        for name in (*TABLES, *VIEWS):
            if name == "meta":
                continue
            table = run.table(name)
            assert table.num_rows == 0, name
        assert run.table("interceptors").column_names[:3] == [
            "interceptor_id",
            "battery_id",
            "battery",
        ]
        assert run.table("engagements").column_names[-1] == "cost_usd"
        assert run.table("events_kill").column_names == [
            "t", "interceptor_id", "track_id", "object_id", "miss_m", "x", "y", "z",
        ]  # fmt: skip
        assert run.columns("SELECT * FROM interceptor_paths")["t"].shape == (0,)


def test_reading_errors_are_one_line(tmp_path: Path) -> None:
    with RunReader(_run(tmp_path / "run")) as run:
        with pytest.raises(RunReadError) as exc:
            run.table("nope")
        assert "no table 'nope'" in _line(exc)
        with pytest.raises(RunReadError) as exc:
            run.query("SELECT no_such_column FROM meta")
        assert _line(exc).startswith(f"{run.db_path}: cannot read (")
        with pytest.raises(RunReadError):
            run.rows("SELECT * FROM no_such_table")


def test_the_database_is_opened_read_only(tmp_path: Path) -> None:
    with RunReader(_run(tmp_path / "run")) as run:
        with pytest.raises(RunReadError):
            run.query("CREATE TABLE x (a INTEGER)")
        with pytest.raises(RunReadError):
            run.query("DELETE FROM meta")
        assert run.rows("SELECT count(*) FROM meta") == [(3,)]


def test_copy_to_writes_a_table_and_fails_to_write_as_os_error(tmp_path: Path) -> None:
    with RunReader(_run(tmp_path / "run")) as run:
        run.copy_to("meta", tmp_path / "meta.csv", "FORMAT csv, HEADER true")
        assert (tmp_path / "meta.csv").read_text().splitlines()[0] == "key,value"
        with pytest.raises(OSError):
            run.copy_to("meta", tmp_path / "no" / "such" / "dir.csv", "FORMAT csv")


def test_reading_takes_a_reader_or_a_run_directory(tmp_path: Path) -> None:
    path = _run(tmp_path / "run")
    with RunReader(path) as run:
        with reading(run) as same:
            assert same is run
        assert run.rows("SELECT 1") == [(1,)]  # left open for its owner
    with reading(path) as opened:
        assert opened.meta["scenario"] == "tiny"
    with pytest.raises(RunReadError):
        opened.rows("SELECT 1")  # closed with the block
