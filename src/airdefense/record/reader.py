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
import functools
import math
import re
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


class DamagedRunError(RunReadError):
    """A run database of this format whose content cannot be what a run wrote: a table or
    column missing or of another type, a meta value out of its range, objects missing behind
    the truth and tracks, a time or position that is not a finite number in range. Its one
    line names the database, the table and column, and what is wrong."""


#: Bounds of the meta values the readers use, when present: (lowest, highest).
META_BOUNDS: dict[str, tuple[float, float]] = {
    "duration_s": (0.0, 1e6),
    "dt_s": (1e-6, 1e6),
    "origin_lat_deg": (-90.0, 90.0),
    "origin_lon_deg": (-180.0, 180.0),
    "origin_alt_m": (-12_000.0, 100_000.0),
}
#: Bounds of the times (s), positions (m) and velocities (m/s) the readers draw and encode,
#: by table and column: each value must be a finite number (or NULL) within them.
_TIME = (0.0, 1e6)
_POSITION = (-1e8, 1e8)
_SPEED = (-1e6, 1e6)
_XYZ = dict.fromkeys(("x", "y", "z"), _POSITION)
_VXYZ = dict.fromkeys(("vx", "vy", "vz"), _SPEED)
VALUE_BOUNDS: dict[str, dict[str, tuple[float, float]]] = {
    "truth": {"t": _TIME, **_XYZ, **_VXYZ},
    "detections": {"t": _TIME, **_XYZ},
    "tracks": {"t": _TIME, **_XYZ, **_VXYZ},
    "events": {"t": _TIME, **_XYZ},
    "interceptors": {"plan_t": _TIME, "launch_t": _TIME, "end_t": _TIME},
    "interceptor_paths": {"t": _TIME, **_XYZ},
    "track_metrics": {"t": _TIME},
    "first_detections": {"t": _TIME},
}
#: Tables with rows for each object (the column naming it): when one has rows, ``objects``
#: may not be empty (the replay and the exports look every object up in it).
OBJECT_REFERENCES: dict[str, str] = {
    "truth": "object_id",
    "first_detections": "object_id",
}
_DAMAGED = "the run is damaged: run the scenario again"


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
        self._attach(con, str(self.db_path), check=True)

    @classmethod
    def of_connection(cls, con: duckdb.DuckDBPyConnection, label: str = "<run>") -> RunReader:
        """A reader over a run database already open (e.g. an unsaved run's, in memory);
        it takes ``con`` over and closes it."""
        reader = cls.__new__(cls)
        reader.path = reader.db_path = None
        reader._attach(con, label)
        return reader

    def _attach(self, con: duckdb.DuckDBPyConnection, label: str, check: bool = False) -> None:
        """Check the database's format (and, with ``check``, that its content is what a run
        of this format holds: :func:`check_run`) and give absent tables an empty stand-in."""
        self._con = con
        self._label = label
        try:
            con.execute("SET threads TO 1")  # deterministic, and cheap at run sizes
            present = self._present()
            if "meta" not in present:
                raise RunReadError("not a run database (no meta table)", source=label)
            try:
                types = _column_types(con) if check else {}
            except duckdb.Error as exc:
                raise RunReadError(f"cannot read ({_first_line(exc)})", source=label) from None
            if check:
                _check_columns(types, "meta", label)
            self.meta: dict[str, str] = {}
            rows = con.sql("SELECT key, value FROM meta ORDER BY key, value").fetchall()
            for key, value in rows:
                if check and str(key) in self.meta and self.meta[str(key)] != str(value):
                    raise DamagedRunError(
                        f"key {key!r} given twice ({_DAMAGED})", source=label, field="meta"
                    )
                self.meta.setdefault(str(key), str(value))
            self.run_format = _check_format(self.meta, label)
            if check:
                try:
                    check_run(con, self.meta, types, label)
                except duckdb.Error as exc:
                    raise RunReadError(f"cannot read ({_first_line(exc)})", source=label) from None
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


# --- checking a run's content -------------------------------------------------------------


def check_run(
    con: duckdb.DuckDBPyConnection,
    meta: dict[str, str],
    types: dict[str, dict[str, str]],
    label: str,
) -> None:
    """Check what the readers rely on, cheaply (metadata, and one aggregate query per table
    with bounded values): every table of the schema present has its declared columns with
    their types (the summary: its columns present), the meta values in :data:`META_BOUNDS`
    are numbers in range, ``objects`` is not empty when other tables name objects, and the
    values in :data:`VALUE_BOUNDS` are finite and in range. Raises :class:`DamagedRunError`
    naming the table, column and what is wrong."""
    for name in TABLES:
        if name in types:
            _check_columns(types, name, label)
    for column, found in types.get("summary", {}).items():
        want = SUMMARY_COLUMNS.get(column, (None,))[0]
        if want is not None and not _type_fits(found, want):
            raise DamagedRunError(
                f"holds {found}, not {want} ({_DAMAGED})", source=label, field=f"summary.{column}"
            )
    for key, (low, high) in META_BOUNDS.items():
        if key in meta:
            _check_meta_number(meta[key], key, low, high, label)
    _check_objects(con, types, label)
    for name, bounds in VALUE_BOUNDS.items():
        if name in types:
            _check_values(con, name, bounds, label)


def _column_types(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """table -> column -> DuckDB type, of the database's own (not temporary) tables."""
    types: dict[str, dict[str, str]] = {}
    rows = con.sql(
        "SELECT c.table_name, c.column_name, c.data_type FROM duckdb_columns() c "
        "JOIN duckdb_tables() t ON c.table_oid = t.table_oid "
        "WHERE NOT t.temporary ORDER BY c.table_name, c.column_index"
    ).fetchall()
    for table, column, data_type in rows:
        types.setdefault(str(table), {})[str(column)] = str(data_type)
    return types


def _check_columns(types: dict[str, dict[str, str]], name: str, label: str) -> None:
    """Each declared column of ``name`` is present with a type its readers can use."""
    have = types.get(name, {})
    for column, want in declared_columns(name).items():
        if column not in have:
            raise DamagedRunError(
                f"column missing ({_DAMAGED})", source=label, field=f"{name}.{column}"
            )
        if not _type_fits(have[column], want):
            raise DamagedRunError(
                f"holds {have[column]}, not {want} ({_DAMAGED})",
                source=label,
                field=f"{name}.{column}",
            )


@functools.cache
def declared_columns(name: str) -> dict[str, str]:
    """The columns of table ``name`` as :data:`~airdefense.record.schema.TABLES` declares
    them: column -> SQL type."""
    text = re.sub(r"--[^\n]*", "", TABLES[name])
    columns = {}
    for part in text.split(","):
        words = part.split()
        if len(words) >= 2:
            columns[words[0]] = words[1].upper()
    return columns


_INTEGERS = frozenset(
    "TINYINT SMALLINT INTEGER BIGINT HUGEINT UTINYINT USMALLINT UINTEGER UBIGINT".split()
)


def _type_fits(found: str, want: str) -> bool:
    """Whether a column of DuckDB type ``found`` reads as the declared type ``want``."""
    found = found.upper()
    if want in _INTEGERS:
        return found in _INTEGERS
    if want in ("DOUBLE", "FLOAT", "REAL"):
        return found in ("DOUBLE", "FLOAT") or found in _INTEGERS or found.startswith("DECIMAL")
    return found == want


def _check_meta_number(text: str, key: str, low: float, high: float, label: str) -> None:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise DamagedRunError(
            f"{key} is {text!r}, not a number in {low:g}..{high:g} ({_DAMAGED})",
            source=label,
            field="meta",
        )


def _check_objects(
    con: duckdb.DuckDBPyConnection, types: dict[str, dict[str, str]], label: str
) -> None:
    """``objects`` holds rows when another table names an object (the readers look every
    named object up in it)."""
    if "objects" in types and con.sql("SELECT 1 FROM objects LIMIT 1").fetchall():
        return
    for name, column in OBJECT_REFERENCES.items():
        if name not in types:
            continue
        named = con.sql(f"SELECT 1 FROM {name} WHERE {column} >= 0 LIMIT 1").fetchall()
        if named:
            what = "empty" if "objects" in types else "missing"
            raise DamagedRunError(
                f"{what}, but {name}.{column} names objects ({_DAMAGED})",
                source=label,
                field="objects",
            )


def _check_values(
    con: duckdb.DuckDBPyConnection,
    name: str,
    bounds: dict[str, tuple[float, float]],
    label: str,
) -> None:
    """The bounded columns of ``name`` hold finite numbers (or NULL) within their bounds:
    one aggregate query over the table (a NaN is the largest value to DuckDB's max)."""
    columns = list(bounds)
    sql = ", ".join(f"min({c}), max({c})" for c in columns)
    ((*found,),) = con.sql(f"SELECT {sql} FROM {name}").fetchall()
    for i, column in enumerate(columns):
        floor, limit = bounds[column]
        for value in found[2 * i : 2 * i + 2]:
            if value is not None and not (math.isfinite(value) and floor <= value <= limit):
                raise DamagedRunError(
                    f"holds {value!r}, not a finite number in {floor:g}..{limit:g} ({_DAMAGED})",
                    source=label,
                    field=f"{name}.{column}",
                )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def numpy_columns(table: pa.Table) -> ColumnDict:
    """An Arrow table's columns as numpy arrays (NULL as NaN in float columns)."""
    return {
        name: np.asarray(table[name].to_numpy(zero_copy_only=False)) for name in table.column_names
    }
