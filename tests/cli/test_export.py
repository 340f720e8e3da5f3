"""`airdefense export`: the tables as Parquet or CSV equal the database's, CZML is written,
existing output is refused without --force, bad input (a run of another run format too)
writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.record.export import FORMATS, ExportError, OutputFiles
from airdefense.record.schema import TABLES

#: What the table formats write: every table, the summary and the engagements view.
ALL_TABLES = [*TABLES, "summary", "engagements"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short simulated run with engagements (no report)."""
    from airdefense.record.rundir import write_run
    from airdefense.scenario import library, load_scenario, resolve
    from airdefense.sim.loop import simulate

    sc = load_scenario(library.resolve("airliner-crossing"))
    sc = sc.model_copy(update={"duration_s": 180.0})
    return write_run(simulate(resolve(sc)), tmp_path_factory.mktemp("export") / "run")


def _run(args: list[str]) -> Any:
    return CliRunner().invoke(app, args)


def _db_tables(run_dir: Path) -> dict[str, pa.Table]:
    with duckdb.connect(str(run_dir / "run.duckdb"), read_only=True) as con:
        return {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in ALL_TABLES}


def _same(a: pa.Table, b: pa.Table) -> bool:
    """Same column names, types and values (nullability aside: Parquet keeps NOT NULL)."""
    return (
        a.column_names == b.column_names
        and [f.type for f in a.schema] == [f.type for f in b.schema]
        and a.cast(b.schema).equals(b)
    )


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_parquet_round_trip_equals_the_database(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    result = _run(["export", str(run_dir), "--format", "parquet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in ALL_TABLES)
    assert result.stdout.split() == [str(out / f"{t}.parquet") for t in ALL_TABLES]
    db = _db_tables(run_dir)
    assert db["truth"].num_rows and db["engagements"].num_rows and db["summary"].num_rows == 1
    for name, table in db.items():
        assert _same(pq.read_table(out / f"{name}.parquet"), table), name


def test_csv_round_trip_equals_the_database(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = _run(["export", str(run_dir), "-f", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    for name, table in _db_tables(run_dir).items():
        path = out / f"{name}.csv"
        assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(table.column_names)
        back = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=table.schema,
                strings_can_be_null=True,  # NULL is an empty field, "" a quoted one
                quoted_strings_can_be_null=False,
            ),
        )
        assert _same(back, table), name


def test_czml_into_the_default_directory(run_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.duckdb").write_bytes((run_dir / "run.duckdb").read_bytes())
    result = _run(["export", str(run), "--format", "czml"])
    assert result.exit_code == 0, result.output
    path = run / "export" / "run.czml"
    assert result.stdout.strip() == str(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc[0]["id"] == "document" and "clock" in doc[0]
    with duckdb.connect(str(run_dir / "run.duckdb"), read_only=True) as con:
        objects = con.execute("SELECT count(DISTINCT object_id) FROM truth").fetchall()[0][0]
    assert sum(p["id"].startswith("truth/") for p in doc) == objects
    assert _tree(run) == ["export", "export/run.czml", "run.duckdb"]  # no temporary file left


def test_existing_output_refused_without_force(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(["export", str(run_dir), "-f", "czml", "-o", str(out)]).exit_code == 0
    target = out / "run.czml"
    target.write_text("mine")
    result = _run(["export", str(run_dir), "-f", "czml", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {target}: already exists (use --force to overwrite)"
    assert target.read_text() == "mine"
    # one existing table refuses the whole set: nothing else is written either
    (out / "truth.parquet").write_text("mine too")
    result = _run(["export", str(run_dir), "-f", "parquet", "-o", str(out)])
    assert result.exit_code == 2
    assert _tree(out) == ["run.czml", "truth.parquet"]
    # --force overwrites
    result = _run(["export", str(run_dir), "-f", "czml", "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())[0]["id"] == "document"


def _corrupt_run(tmp_path: Path) -> Path:
    bad = tmp_path / "corrupt"
    bad.mkdir()
    (bad / "run.duckdb").write_bytes(b"this is not a database" * 100)
    return bad


def _format_1_run(tmp_path: Path) -> Path:
    """A run directory as the first run format left it (meta without run_format)."""
    old = tmp_path / "format-1"
    old.mkdir()
    with duckdb.connect(str(old / "run.duckdb")) as con:
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO meta VALUES ('airdefense_version', '0.0.9')")
        con.execute("CREATE TABLE engagements (t DOUBLE, battery VARCHAR)")
    return old


def _foreign_db(tmp_path: Path) -> Path:
    other = tmp_path / "foreign"
    other.mkdir()
    with duckdb.connect(str(other / "run.duckdb")) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    return other


@pytest.mark.parametrize(
    ("make", "fmt", "message"),
    [
        (lambda p: p / "missing", "parquet", "{arg}: no such run directory"),
        (lambda p: p / "empty", "csv", "{arg}: not a run directory (no run.duckdb)"),
        (lambda p: p / "file.txt", "czml", "{arg}: not a directory (expected a run directory)"),
        (_corrupt_run, "parquet", "{arg}/run.duckdb: not a readable run database"),
        (_foreign_db, "parquet", "{arg}/run.duckdb: not a run database (no meta table)"),
        (
            _format_1_run,
            "czml",
            "{arg}/run.duckdb: written by airdefense 0.0.9 in run format 1; this version reads "
            "format 2: run the scenario again with this version",
        ),
        (
            _format_1_run,
            "dis",
            "{arg}/run.duckdb: written by airdefense 0.0.9 in run format 1",
        ),
        (None, "xml", "--format: unknown format 'xml' (known: parquet, csv, czml"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    make: Any, fmt: str, message: str, run_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    arg = run_dir if make is None else make(tmp_path)
    before_run = _tree(run_dir)
    before = _tree(tmp_path)
    out = tmp_path / "out"
    result = _run(["export", str(arg), "--format", fmt, "--out", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert lines[0].startswith("error: " + message.format(arg=arg)), lines[0]
    assert "Traceback" not in result.output
    assert _tree(tmp_path) == before and _tree(run_dir) == before_run


def test_output_files_rename_only_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    with pytest.raises(RuntimeError, match="boom"):
        with OutputFiles(out, ["a.txt", "b.txt"], force=False) as files:
            files.tmp("a.txt").write_text("a")
            raise RuntimeError("boom")
    assert _tree(tmp_path) == []  # temporary file and the directories it made are gone
    with OutputFiles(out, ["a.txt", "b.txt"], force=False) as files:
        files.tmp("a.txt").write_text("a")
        assert not (out / "a.txt").exists()  # not before the block completes
        files.tmp("b.txt").write_text("b")
    assert _tree(out) == ["a.txt", "b.txt"]
    with pytest.raises(ExportError, match="already exists"):
        OutputFiles(out, ["b.txt"], force=False)


def test_formats_registry_names_loadable_writers() -> None:
    assert list(FORMATS)[:3] == ["parquet", "csv", "czml"]
    assert "asterix" in FORMATS  # issue 7 (ASTERIX; DIS is added beside it)
    for spec in FORMATS.values():
        assert callable(spec.load()), spec.name


def test_export_as_a_subprocess(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "airdefense.cli",
            "export",
            str(run_dir),
            "-f",
            "csv",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "truth.csv").is_file() and proc.stderr == ""
