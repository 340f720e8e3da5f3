"""The Monte Carlo directory's database, ``DIR/montecarlo.duckdb``.

Tables:

- ``meta`` (key, value): what the directory holds: the scenario's name and SHA-256, the seed,
  the sweep, the points and the trials last asked for, the airdefense version.
- ``points``: one row per sweep point: its number, label, swept values (JSON) and scenario
  (canonical JSON).
- ``trials``: one row per finished trial, keyed by (point, trial): the seed, the outcome
  (threats, leakers, assets_hit, civil_engaged, kills, interceptors_used, interceptor_cost_usd,
  threat_cost_killed_usd), the stage timings and wall time (seconds), and for a trial that
  raised its ``error`` (one line) and ``traceback`` (the figures then NULL).
- ``trial_interceptors``: one row per (point, trial, missile type) fired: ``used`` rounds.

Trials are written in batches, one transaction each, as they finish: a killed driver loses
at most the batch in hand, never a committed trial, and a rerun asks :meth:`Store.done` what
is already there. A directory holds one Monte Carlo run (one scenario, seed and sweep); it
refuses another unless told to discard what it holds.
"""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import yaml

from airdefense._version import __version__
from airdefense.errors import AirdefenseError
from airdefense.files import write_atomic
from airdefense.montecarlo.sweep import SweepPoint
from airdefense.montecarlo.trial import FIGURES, TIMINGS, TrialResult
from airdefense.record.rundir import io_errno, output_error

DB_NAME = "montecarlo.duckdb"
REPORT_NAME = "report.html"
SCENARIOS_DIR = "scenarios"

_INT_FIGURES = ("threats", "leakers", "assets_hit", "civil_engaged", "kills", "interceptors_used")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS points (
    point INTEGER PRIMARY KEY, label VARCHAR, sweep_values VARCHAR, scenario_json VARCHAR);
CREATE TABLE IF NOT EXISTS trials (
    point INTEGER NOT NULL, trial INTEGER NOT NULL, seed UBIGINT,
    {", ".join(f"{f} {'INTEGER' if f in _INT_FIGURES else 'DOUBLE'}" for f in FIGURES)},
    {", ".join(f"{t} DOUBLE" for t in TIMINGS)},
    error VARCHAR, traceback VARCHAR,
    PRIMARY KEY (point, trial));
CREATE TABLE IF NOT EXISTS trial_interceptors (
    point INTEGER NOT NULL, trial INTEGER NOT NULL, missile VARCHAR NOT NULL, used INTEGER,
    PRIMARY KEY (point, trial, missile));
"""

_TRIAL_COLUMNS = ("point", "trial", "seed", *FIGURES, *TIMINGS, "error", "traceback")


class StoreError(AirdefenseError):
    """A directory or database that cannot be used; ``str()`` is the one-line message."""


def _write_error(exc: BaseException, where: Path, kept: str = "") -> StoreError:
    """A write that failed (a full disk, a file-size limit) as one line: the system's reason,
    what to free or change, and ``kept`` (what of the study is safe)."""
    line = output_error(exc, where)
    return StoreError(line.message + (f"; {kept}" if kept else ""), source=line.source)


#: What a write that failed mid-study leaves (the trials are committed batch by batch).
KEPT = "every trial saved before is kept: rerun the same command to run the rest"


@dataclass(frozen=True)
class RunIdentity:
    """What makes two Monte Carlo runs the same run: the scenario, the seed, the sweep."""

    scenario: str
    scenario_sha256: str
    seed: int
    sweep: tuple[str, ...]

    def as_meta(self) -> dict[str, str]:
        """The identity as ``meta`` rows."""
        return {
            "scenario": self.scenario,
            "scenario_sha256": self.scenario_sha256,
            "seed": str(self.seed),
            "sweep": json.dumps(list(self.sweep)),
        }


@dataclass(frozen=True)
class TrialTable:
    """The finished trials as columns (rows ordered by point, then trial)."""

    point: np.ndarray
    trial: np.ndarray
    columns: dict[str, np.ndarray]  # every trials column by name (NULL figures as NaN)
    error: list[str | None]
    #: missile type -> rounds per row (0 where not fired)
    by_type: dict[str, np.ndarray]

    def __len__(self) -> int:
        return int(self.point.size)

    @property
    def ok(self) -> np.ndarray:
        """Rows of trials that did not raise."""
        return np.array([e is None for e in self.error], dtype=bool)


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(db))
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreError(
                f"{db}: in use by another process (another airdefense montecarlo on this "
                "directory?); wait for it or stop it"
            ) from None
        if io_errno(exc) not in (None, errno.EIO):
            raise _write_error(exc, db) from None
        raise StoreError(f"{db}: cannot open ({text.splitlines()[0]})") from None
    except duckdb.Error as exc:
        raise StoreError(f"{db}: not a readable Monte Carlo database ({exc})") from None


def _read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "meta" not in tables:
        return {}
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def _count(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = con.execute("SELECT count(*) FROM trials").fetchone()
    except duckdb.Error:
        return 0
    return int(row[0]) if row else 0


def _differences(meta: dict[str, str], ident: RunIdentity) -> list[str]:
    want = ident.as_meta()
    out = []
    if meta.get("scenario_sha256") != want["scenario_sha256"]:
        old = meta.get("scenario", "?")
        same_name = old == ident.scenario
        out.append(
            f"scenario '{old}' as it was then (its file has changed since)"
            if same_name
            else f"scenario '{old}' (not '{ident.scenario}')"
        )
    if meta.get("seed") != want["seed"]:
        out.append(f"seed {meta.get('seed')} (not {ident.seed})")
    if meta.get("sweep") != want["sweep"]:
        old = json.loads(meta.get("sweep", "[]")) or ["none"]
        new = list(ident.sweep) or ["none"]
        out.append(f"sweep {' '.join(old)} (not {' '.join(new)})")
    return out


def discard(out_dir: Path, remove_dir: bool = False) -> None:
    """Remove what a Monte Carlo run writes in ``out_dir`` (and the directory itself, if
    asked and then empty); nothing else is touched."""
    for name in (DB_NAME, DB_NAME + ".wal", REPORT_NAME):
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / SCENARIOS_DIR, ignore_errors=True)
    if remove_dir:
        with contextlib.suppress(OSError):
            out_dir.rmdir()


class Store:
    """The open database of a Monte Carlo directory (the driver's only writer)."""

    def __init__(self, out_dir: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.out_dir = out_dir
        self.path = out_dir / DB_NAME
        self._con = con

    @classmethod
    def open(
        cls,
        out_dir: Path,
        identity: RunIdentity,
        points: Sequence[SweepPoint],
        trials: int,
        force: bool = False,
    ) -> Store:
        """Open (or create) ``out_dir``'s database for this run.

        A new or empty directory gets a new database. One that holds this same run
        (scenario, seed, sweep) is reopened to go on where it stopped. One that holds another
        run is refused with StoreError, unless ``force``, which discards it. A directory that
        is not empty and holds no Monte Carlo database is always refused.
        """
        out_dir = Path(out_dir)
        db = out_dir / DB_NAME
        if out_dir.exists() and not out_dir.is_dir():
            raise StoreError(f"{out_dir}: exists and is not a directory")
        if out_dir.is_dir() and not db.exists():
            others = [p.name for p in out_dir.iterdir() if not p.name.startswith(".")]
            if others:
                raise StoreError(
                    f"{out_dir}: not empty and holds no {DB_NAME} (choose a new or empty "
                    "directory for --out)"
                )
        created = not out_dir.exists()
        new_db = not db.exists()
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(exc, out_dir) from None
        try:
            con = _connect(db)
        except StoreError:
            if created:
                with contextlib.suppress(OSError):
                    out_dir.rmdir()
            raise
        try:
            meta = _read_meta(con)
            if meta:
                diff = _differences(meta, identity)
                if diff and not force:
                    done = _count(con)
                    con.close()
                    raise StoreError(
                        f"{out_dir}: holds another Monte Carlo run ({'; '.join(diff)}, "
                        f"{done:,} trials): use another --out, or --force to discard it"
                    )
                if diff:
                    con.close()
                    discard(out_dir)
                    new_db = True
                    con = _connect(db)
                    meta = {}
            store = cls(out_dir, con)
            store._init(meta, identity, points, trials)
        except (OSError, duckdb.Error) as exc:
            if io_errno(exc) is None:
                con.close()
                raise
            # a new database that could not be set up is no study: nothing of it is left
            with contextlib.suppress(Exception):
                con.close()
            if new_db:
                discard(out_dir, remove_dir=created)
            raise _write_error(exc, db if io_errno(exc) != errno.ENOTDIR else out_dir) from None
        return store

    def _init(
        self,
        meta: dict[str, str],
        identity: RunIdentity,
        points: Sequence[SweepPoint],
        trials: int,
    ) -> None:
        rows = identity.as_meta()
        rows["points"] = str(len(points))
        rows["trials"] = str(trials)
        rows["airdefense_version"] = __version__
        if rows != meta:  # a resumed run with nothing new to record writes nothing here
            con = self._con
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(_SCHEMA)
                if not meta:
                    con.execute("DELETE FROM points")
                    con.executemany(
                        "INSERT INTO points VALUES (?, ?, ?, ?)",
                        [
                            (p.index, p.label, json.dumps(dict(p.values)), p.scenario_json)
                            for p in points
                        ],
                    )
                con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(rows.items()))
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
            # fold the set-up into the file: from here on the write-ahead log holds trials only
            con.execute("CHECKPOINT")
        if identity.sweep:
            folder = self.out_dir / SCENARIOS_DIR
            folder.mkdir(exist_ok=True)
            for p in points:
                target = folder / f"point-{p.index}.yaml"
                if not target.exists():
                    text = f"# sweep point {p.index}: {p.label}\n" + yaml.safe_dump(
                        json.loads(p.scenario_json), sort_keys=False
                    )
                    write_atomic(target, text.encode("utf-8"))

    def done(self) -> set[tuple[int, int]]:
        """(point, trial) of every trial already in the database."""
        return {
            (int(p), int(t))
            for p, t in self._con.execute("SELECT point, trial FROM trials").fetchall()
        }

    def write(self, results: Iterable[TrialResult]) -> int:
        """Insert finished trials in one transaction; a trial already present is kept as it
        is. Returns the number of results given."""
        batch = list(results)
        if not batch:
            return 0
        cols: dict[str, list[object]] = {c: [getattr(r, c) for r in batch] for c in _TRIAL_COLUMNS}
        types = {c: pa.int64() for c in ("point", "trial", "seed", *_INT_FIGURES)}
        table = pa.table(
            {
                c: pa.array(
                    v,
                    type=types.get(c, pa.string() if c in ("error", "traceback") else pa.float64()),
                )
                for c, v in cols.items()
            }
        )
        used = [(r.point, r.trial, m, n) for r in batch for m, n in r.interceptors_by_type]
        used_table = pa.table(
            {
                "point": pa.array([u[0] for u in used], pa.int64()),
                "trial": pa.array([u[1] for u in used], pa.int64()),
                "missile": pa.array([u[2] for u in used], pa.string()),
                "used": pa.array([u[3] for u in used], pa.int64()),
            }
        )
        con = self._con
        names = ", ".join(_TRIAL_COLUMNS)
        con.register("_batch", table)
        con.register("_used", used_table)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f"INSERT OR IGNORE INTO trials ({names}) SELECT {names} FROM _batch")
                con.execute("INSERT OR IGNORE INTO trial_interceptors SELECT * FROM _used")
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
        except (OSError, duckdb.Error) as exc:
            if io_errno(exc) is None:
                raise
            raise _write_error(exc, self.path, KEPT) from None
        finally:
            with contextlib.suppress(duckdb.Error):
                con.unregister("_batch")
                con.unregister("_used")
        return len(batch)

    def read(self, max_trial: int | None = None) -> TrialTable:
        """The finished trials with ``trial < max_trial`` (all when None)."""
        return read_trials(self._con, max_trial)

    def close(self) -> None:
        """Close the database (everything written is committed; StoreError, one line, when
        the last write into the file fails)."""
        try:
            self._con.close()
        except (OSError, duckdb.Error) as exc:
            if io_errno(exc) is None:
                raise
            raise _write_error(exc, self.path, KEPT) from None


def read_trials(con: duckdb.DuckDBPyConnection, max_trial: int | None = None) -> TrialTable:
    """The ``trials`` (and ``trial_interceptors``) of an open database as columns."""
    where = "" if max_trial is None else f"WHERE trial < {int(max_trial)}"
    names = [c for c in _TRIAL_COLUMNS if c != "traceback"]
    rows = con.sql(
        f"SELECT {', '.join(names)} FROM trials {where} ORDER BY point, trial"
    ).to_arrow_table()
    columns: dict[str, np.ndarray] = {}
    for c in names:
        if c == "error":
            continue
        col = rows.column(c)
        columns[c] = (
            np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
            if col.null_count
            else col.to_numpy()
        )
    error = rows.column("error").to_pylist()
    point = np.asarray(columns["point"], dtype=np.int64)
    trial = np.asarray(columns["trial"], dtype=np.int64)
    by_type: dict[str, np.ndarray] = {}
    used = con.execute(
        f"SELECT point, trial, missile, used FROM trial_interceptors {where}"
    ).fetchall()
    if used:
        index = {(int(p), int(t)): i for i, (p, t) in enumerate(zip(point, trial, strict=True))}
        for p, t, m, n in used:
            i = index.get((int(p), int(t)))
            if i is None:
                continue
            by_type.setdefault(m, np.zeros(point.size, dtype=np.int64))[i] = n
    return TrialTable(point, trial, columns, error, dict(sorted(by_type.items())))
