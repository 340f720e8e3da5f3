"""RunReader, the one reader of a run directory: it refuses what is not a run of this run
format with one line saying why (naming the version that wrote it), opens read-only, and
serves absent tables as empty ones with their declared columns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from airdefense.errors import AirdefenseError
from airdefense.record.reader import (
    DamagedRunError,
    RunReader,
    RunReadError,
    database_of,
    declared_columns,
    reading,
)
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


# --- a damaged run: one line naming the table and column -------------------------------------


def _full_run(path: Path) -> Path:
    """A run directory with every table of the schema, a few consistent rows in the ones the
    checks look at, and the meta values a run writes."""
    path.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path / "run.duckdb")) as con:
        for name, ddl in TABLES.items():
            con.execute(f"CREATE TABLE {name} ({ddl})")
        con.execute("CREATE TABLE summary (scenario VARCHAR, leakers INTEGER, duration_s DOUBLE)")
        con.execute("INSERT INTO summary VALUES ('tiny', 0, 60)")
        meta = {
            "scenario": "tiny",
            "duration_s": "60.0",
            "dt_s": "1.0",
            "origin_lat_deg": "47.0",
            "origin_lon_deg": "8.0",
            "origin_alt_m": "0.0",
            "run_format": str(RUN_FORMAT),
        }
        con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        con.execute(
            "INSERT INTO objects (object_id, name, category, preset, side) "
            "VALUES (0, 'c1', 'cruise', 'cm', 'hostile')"
        )
        con.execute(
            "INSERT INTO truth (t, object_id, x, y, z) VALUES (0, 0, 1e5, 0, 50), (1, 0, 99e3, 0, 50)"
        )
        con.execute(
            "INSERT INTO tracks (t, track_id, x, y, z, vx, vy, vz, status, truth_id) "
            "VALUES (1, 7, 99e3, 0, 50, -1e3, 0, 0, 'tentative', 0)"
        )
        con.execute(
            "INSERT INTO interceptors (interceptor_id, battery_id, battery, launcher, missile, "
            "plan_t, launch_t, track_id, object_id, retargets, end_reason, cost_usd) "
            "VALUES (0, 0, 'B', 0, 'SAM', 1, 2, 7, 0, 0, 'flying', 1e6)"
        )
    return path


def _retype(con: duckdb.DuckDBPyConnection, table: str, column: str, expr: str) -> None:
    """Recreate ``table`` with ``column`` replaced by ``expr`` (of whatever type it has)."""
    cols = [d[0] for d in con.sql(f"SELECT * FROM {table} LIMIT 0").description]
    select = ", ".join(f"{expr} AS {c}" if c == column else c for c in cols)
    con.execute(f"CREATE TABLE damaged AS SELECT {select} FROM {table}")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE damaged RENAME TO {table}")


DAMAGES: dict[str, tuple[str, str]] = {
    # name: (damage, the line after "<db>: ")
    "empty objects": ("DELETE FROM objects", "objects: empty, but truth.object_id names objects"),
    "no objects": ("DROP TABLE objects", "objects: missing, but truth.object_id names objects"),
    "text in tracks.x": ("retype tracks x 'north'", "tracks.x: holds VARCHAR, not DOUBLE"),
    "numbers as text": ("retype truth t CAST(t AS VARCHAR)", "truth.t: holds VARCHAR, not DOUBLE"),
    "a column dropped": ("ALTER TABLE tracks DROP COLUMN vx", "tracks.vx: column missing"),
    "meta.value a number": ("retype meta value 1", "meta.value: holds INTEGER, not VARCHAR"),
    "summary text": ("retype summary leakers 'many'", "summary.leakers: holds VARCHAR, not INTEGER"),
    "negative duration": (
        "UPDATE meta SET value = '-5' WHERE key = 'duration_s'",
        "meta: duration_s is '-5', not a number in 0..1e+06",
    ),
    "infinite duration": (
        "UPDATE meta SET value = 'inf' WHERE key = 'duration_s'",
        "meta: duration_s is 'inf', not a number in 0..1e+06",
    ),
    "latitude 91": (
        "UPDATE meta SET value = '91' WHERE key = 'origin_lat_deg'",
        "meta: origin_lat_deg is '91', not a number in -90..90",
    ),
    "a key twice": (
        "INSERT INTO meta VALUES ('duration_s', '7')",
        "meta: key 'duration_s' given twice",
    ),
    "NaN position": (
        "UPDATE truth SET x = 'nan'::DOUBLE WHERE t = 1",
        "truth.x: holds nan, not a finite number in -1e+08..1e+08",
    ),
    "huge time": ("UPDATE tracks SET t = 1e300", "tracks.t: holds 1e+300, not a finite number in 0..1e+06"),
    "negative launch": (
        "UPDATE interceptors SET launch_t = -1",
        "interceptors.launch_t: holds -1.0, not a finite number in 0..1e+06",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(DAMAGES))
def test_a_damaged_run_is_one_line_naming_table_and_column(tmp_path: Path, name: str) -> None:
    run = _full_run(tmp_path / "run")
    damage, says = DAMAGES[name]
    with duckdb.connect(str(run / "run.duckdb")) as con:
        if damage.startswith("retype "):
            _, table, column, expr = damage.split(" ", 3)
            _retype(con, table, column, expr)
        else:
            con.execute(damage)
    with pytest.raises(DamagedRunError) as exc:
        RunReader(run)
    assert _line(exc) == (
        f"{run / 'run.duckdb'}: {says} (the run is damaged: run the scenario again)"
    )
    assert isinstance(exc.value, RunReadError)


def test_an_undamaged_run_and_what_a_run_may_lack_pass_the_checks(tmp_path: Path) -> None:
    """Absent optional tables, NULL positions, an empty run and no duration are no damage."""
    run = _full_run(tmp_path / "run")
    with RunReader(run) as reader:
        assert reader.rows("SELECT count(*) FROM truth") == [(2,)]
    with duckdb.connect(str(run / "run.duckdb")) as con:
        con.execute("DROP TABLE interceptors")
        con.execute("UPDATE truth SET x = NULL")
        con.execute("DELETE FROM meta WHERE key IN ('duration_s', 'origin_lat_deg')")
        con.execute("ALTER TABLE tracks ADD COLUMN extra VARCHAR")
    with RunReader(run) as reader:
        assert not reader.has("interceptors") and "duration_s" not in reader.meta
    with duckdb.connect(str(run / "run.duckdb")) as con:
        con.execute("DELETE FROM truth")
        con.execute("DELETE FROM objects")
    with RunReader(run) as reader:
        assert reader.rows("SELECT count(*) FROM objects") == [(0,)]


def test_the_declared_columns_are_those_of_the_schema() -> None:
    assert declared_columns("tracks")["x"] == "DOUBLE"
    assert declared_columns("tracks")["status"] == "VARCHAR"
    assert list(declared_columns("meta")) == ["key", "value"]
    for name, ddl in TABLES.items():
        with duckdb.connect() as con:
            con.execute(f"CREATE TABLE {name} ({ddl})")
            cols = [(d[0], str(d[1])) for d in con.sql(f"SELECT * FROM {name}").description]
        assert [c for c, _ in cols] == list(declared_columns(name)), name
