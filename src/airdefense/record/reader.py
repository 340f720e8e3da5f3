"""The one reader of a run directory: every consumer of a finished run reads it through here.

The report, the replay, the exports (Parquet, CSV, CZML, ASTERIX, DIS), the live stream and
the Python API open a run with :class:`RunReader`; no other module opens ``run.duckdb``. The
reader checks that the directory is a run directory and that its database was written in
the layout this version reads (:data:`~airdefense.record.schema.RUN_FORMAT`): a run written
by another version fails with one line naming the version that wrote it. It opens the
database read-only, keeps one connection, and answers with Arrow tables (or numpy columns)
in a deterministic row order where the caller gives one.

A table of the schema that a run does not hold (a run directory written by hand, or a stage
that did not run) reads as empty, with its declared columns.
"""

from __future__ import annotations

import errno
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airdefense.errors import AirdefenseError, one_line
from airdefense.record.schema import RUN_FORMAT, SUMMARY_COLUMNS, TABLES, VIEWS

#: The run database inside a run directory, and the scenario as run beside it.
DB_NAME = "run.duckdb"
SCENARIO_NAME = "scenario.yaml"

#: Columns of a query as numpy arrays (NULL as NaN in float columns, None in others).
ColumnDict = dict[str, NDArray[Any]]


class RunReadError(AirdefenseError):
    """A run directory that cannot be read: missing, not a run, damaged, or written in
    another layout."""


class RunReader:
    """A run directory opened for reading (read-only; close it, or use it as a context
    manager).

    >>> with RunReader("runs/vessa-shield-20261207T120000Z") as run:  # doctest: +SKIP
    ...     run.summary["leakers"]
    ...     run.table("interceptors").to_pandas()
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.path: Path | None = Path(run_dir)
        self.db_path: Path | None = database_of(self.path)
        try:
            con = duckdb.connect(str(self.db_path), read_only=True)
        except duckdb.Error as exc:
            raise RunReadError(
                f"not a readable run database ({_first_line(exc)})", source=str(self.db_path)
            ) from None
        self._attach(con, str(self.db_path))

    @classmethod
    def of_connection(cls, con: duckdb.DuckDBPyConnection, label: str = "<run>") -> RunReader:
        """A reader over a run database already open (e.g. an unsaved run's, in memory);
        it takes ``con`` over and closes it."""
        reader = cls.__new__(cls)
        reader.path = reader.db_path = None
        reader._attach(con, label)
        return reader

    def _attach(self, con: duckdb.DuckDBPyConnection, label: str) -> None:
        """Check the database's format and give absent tables an empty stand-in."""
        self._con = con
        self._label = label
        try:
            con.execute("SET threads TO 1")  # deterministic, and cheap at run sizes
            present = self._present()
            if "meta" not in present:
                raise RunReadError("not a run database (no meta table)", source=label)
            self.meta: dict[str, str] = {}
            for key, value in con.sql("SELECT key, value FROM meta ORDER BY key, value").fetchall():
                self.meta.setdefault(str(key), str(value))
            self.run_format = _check_format(self.meta, label)
            for name, ddl in TABLES.items():  # an absent table reads as empty
                if name not in present:
                    con.execute(f"CREATE TEMP TABLE {name} ({ddl})")
            for name, sql in VIEWS.items():
                if name not in present:
                    con.execute(f"CREATE TEMP VIEW {name} AS {sql}")
            self._present_names = present
        except BaseException:
            con.close()
            raise

    # --- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database."""
        self._con.close()

    def __enter__(self) -> RunReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- what the run holds ----------------------------------------------------------------

    @property
    def version(self) -> str:
        """The airdefense version that wrote the run."""
        return self.meta.get("airdefense_version", "unknown")

    def names(self) -> list[str]:
        """The tables the run holds (in schema order, then ``summary``), not the views."""
        return [n for n in (*TABLES, "summary") if n in self._present_names]

    def has(self, name: str) -> bool:
        """Whether the run itself holds this table or view (not an empty stand-in)."""
        return name in self._present_names

    @property
    def summary(self) -> dict[str, Any]:
        """The run's summary figures, in :data:`SUMMARY_COLUMNS` order (then any others);
        NULL and NaN figures left out."""
        if "summary" not in self._present_names:
            return {}
        rel = self._con.sql("SELECT * FROM summary LIMIT 1")
        names = list(rel.columns)
        rows = rel.fetchall()
        if not rows:
            return {}
        values = dict(zip(names, rows[0], strict=True))
        order = [*SUMMARY_COLUMNS, *(n for n in names if n not in SUMMARY_COLUMNS)]
        return {
            n: values[n]
            for n in order
            if n in values
            and values[n] is not None
            and not (isinstance(values[n], float) and math.isnan(values[n]))
        }

    def scenario_text(self) -> str:
        """The scenario as run (``scenario.yaml``), or an empty string if absent."""
        if self.path is None:
            return ""
        path = self.path / SCENARIO_NAME
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise RunReadError(f"cannot read ({one_line(exc)})", source=str(path)) from None

    # --- reading -----------------------------------------------------------------------------

    def table(self, name: str, order_by: str | None = None) -> pa.Table:
        """A whole table or view as Arrow, in ``order_by`` order (SQL, e.g. ``"t, track_id"``)
        or the database's."""
        if name not in TABLES and name not in VIEWS and name != "summary":
            known = ", ".join([*TABLES, "summary", *VIEWS])
            raise RunReadError(f"no table {name!r} (tables: {known})", source=self._label)
        sql = f"SELECT * FROM {name}" + (f" ORDER BY {order_by}" if order_by else "")
        return self.query(sql)

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """The result of a read-only SQL query over the run's tables and views, as Arrow."""
        with self._read_errors():
            return self._con.sql(sql, params=params).to_arrow_table()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """The result of a read-only SQL query as Python tuples (for a few rows)."""
        with self._read_errors():
            return self._con.sql(sql, params=params).fetchall()

    def columns(self, sql: str, params: list[Any] | None = None) -> ColumnDict:
        """A query's columns as numpy arrays (NULL as NaN in float columns, None otherwise)."""
        return numpy_columns(self.query(sql, params))

    def copy_to(self, name: str, path: Path, options: str) -> None:
        """Write a table or view with DuckDB's own writer: ``COPY (SELECT * FROM name) TO
        path (options)``, e.g. ``options="FORMAT parquet"``. A file that cannot be written
        raises OSError (as any other writer's would), naming DuckDB's reason."""
        target = "'" + str(path).replace("'", "''") + "'"
        with self._read_errors():
            try:
                self._con.execute(f"COPY (SELECT * FROM {name}) TO {target} ({options})")
            except duckdb.IOException as exc:
                raise OSError(errno.EIO, _first_line(exc)) from None

    @contextmanager
    def _read_errors(self) -> Iterator[None]:
        """DuckDB's errors in the block as one-line RunReadErrors naming the database."""
        try:
            yield
        except duckdb.Error as exc:
            raise RunReadError(f"cannot read ({_first_line(exc)})", source=self._label) from None

    def _present(self) -> set[str]:
        rows = self._con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
            "UNION SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal"
        ).fetchall()
        return {str(r[0]) for r in rows}


@contextmanager
def reading(run: RunReader | str | Path) -> Iterator[RunReader]:
    """``run`` itself when it is a reader already (left open for its owner), else the run
    directory ``run`` opened for the block: so a consumer takes either, and a caller that
    reads a run several ways opens it once."""
    if isinstance(run, RunReader):
        yield run
        return
    with RunReader(run) as opened:
        yield opened


def database_of(run_dir: str | Path) -> Path:
    """The run directory's database, after checking it is there (without opening it: for a
    caller that only serves the directory's files); else one-line RunReadError."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise RunReadError("no such run directory", source=str(run_dir))
    if not run_dir.is_dir():
        raise RunReadError("not a directory (expected a run directory)", source=str(run_dir))
    db = run_dir / DB_NAME
    if not db.is_file():
        raise RunReadError(f"not a run directory (no {DB_NAME})", source=str(run_dir))
    return db


def _check_format(meta: dict[str, str], db: str) -> int:
    """The run's layout version, if this version reads it; else one line saying who wrote it."""
    raw = meta.get("run_format", "1")
    version = meta.get("airdefense_version", "an unknown version")
    try:
        found = int(raw)
    except ValueError:
        found = -1
    if found != RUN_FORMAT:
        raise RunReadError(
            f"written by airdefense {version} in run format {raw}; this version reads format "
            f"{RUN_FORMAT}: run the scenario again with this version",
            source=db,
        )
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def numpy_columns(table: pa.Table) -> ColumnDict:
    """An Arrow table's columns as numpy arrays (NULL as NaN in float columns)."""
    return {
        name: np.asarray(table[name].to_numpy(zero_copy_only=False)) for name in table.column_names
    }
