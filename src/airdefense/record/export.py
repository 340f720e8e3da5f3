"""Export a finished run: its tables as Parquet or CSV files, and a registry of export formats.

``airdefense export RUN_DIR --format NAME`` looks the format up in :data:`FORMATS`. Each
entry names its writer as ``"module:function"`` and is imported only when used, so this
module (``record/``, early in the chain) never imports the stages that read a run
(``interop/`` writes CZML, ASTERIX and DIS).

Every writer follows one contract (:class:`Writer`): it is handed the run opened by
:class:`~airdefense.record.reader.RunReader` (it never opens ``run.duckdb`` itself),
declares the file names it will write before writing anything (an existing one is refused
unless ``force``), writes each file under a temporary name in the output directory and
renames all of them into place only when all are complete (:class:`OutputFiles`).
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import duckdb

from airdefense.errors import AirdefenseError
from airdefense.record.reader import RunReader, RunReadError
from airdefense.record.rundir import (
    FileLock,
    RunDirError,
    check_output_dir,
    io_errno,
    output_error,
)
from airdefense.record.schema import TABLES

#: Where exports go when no ``--out`` is given, inside the run directory.
DEFAULT_SUBDIR = "export"
#: The lock an export holds in its directory while it writes (removed when done).
LOCK_NAME = ".airdefense-export.lock"
#: What the table formats write besides the tables: the summary, and the ``engagements``
#: view (one row per interceptor, under the name analysts know it by).
EXTRA_TABLES = ("summary", "engagements")


class ExportError(AirdefenseError):
    """A user error (missing or foreign run directory, unknown format, existing output):
    the CLI prints it as one line and exits 2, and nothing has been written."""


class Writer(Protocol):
    """An export format's writer: read the open ``run``, write into ``out_dir``, return the
    paths written. Raises :class:`ExportError` before writing anything on bad input."""

    def __call__(self, run: RunReader, out_dir: Path, *, force: bool) -> list[Path]: ...


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name, what it writes, and where its writer lives."""

    name: str
    description: str
    writer_path: str  # "package.module:function", imported on use

    def load(self) -> Writer:
        """Import and return the writer function."""
        module, _, func = self.writer_path.partition(":")
        writer: Writer = getattr(importlib.import_module(module), func)
        return writer


#: Export formats by name.
FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "parquet",
            "one Parquet file per table (<table>.parquet)",
            "airdefense.record.export:write_parquet",
        ),
        ExportFormat(
            "csv",
            "one CSV file per table with a header row (<table>.csv)",
            "airdefense.record.export:write_csv",
        ),
        ExportFormat(
            "czml",
            "a CZML document for Cesium: trajectories, tracks, interceptors, sites (run.czml)",
            "airdefense.interop.czml:write_czml",
        ),
        ExportFormat(
            "asterix",
            "raw ASTERIX data blocks: plots as CAT048 1.21 (plots.cat048.ast), track updates as "
            "CAT062 1.18 (tracks.cat062.ast), and a tracker config placing the radars "
            "(tracker-sites.yaml)",
            "airdefense.interop.asterix:write_asterix",
        ),
        ExportFormat(
            "dis",
            "DIS (IEEE 1278.1-2012, version 7) PDUs in time order (run.dis) and as UDP "
            "datagrams in a pcap for Wireshark (run-dis.pcap)",
            "airdefense.interop.dis:write_dis",
        ),
    )
}


def open_run(run_dir: Path) -> RunReader:
    """The run in ``run_dir`` opened for reading; its problems as :class:`ExportError` (one
    line, the reader's: missing, not a run directory, damaged, another run format)."""
    try:
        return RunReader(run_dir)
    except RunReadError as exc:
        raise _export_error(exc) from None


def table_names(run: RunReader) -> list[str]:
    """What the table formats write: the run's tables present, in schema order, then
    :data:`EXTRA_TABLES` (``summary``, the ``engagements`` view) where present."""
    return [name for name in (*TABLES, *EXTRA_TABLES) if run.has(name)]


def export_run(
    run_dir: Path, fmt: str, out_dir: Path | None = None, *, force: bool = False
) -> list[Path]:
    """Export the run in ``run_dir`` in format ``fmt`` into ``out_dir`` (default
    ``run_dir/export``); return the files written. Raises ExportError on bad input."""
    spec = FORMATS.get(fmt)
    if spec is None:
        known = ", ".join(FORMATS)
        raise ExportError(f"--format: unknown format {fmt!r} (known: {known})")
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / DEFAULT_SUBDIR
    try:
        with open_run(run_dir) as run:
            # a destination that cannot be written is one line before anything is read
            check_output_dir(out)
            return spec.load()(run, out, force=force)
    except (OSError, duckdb.Error) as exc:
        # a full disk, a file-size limit, a read-only file system: one line, and the
        # temporary files are gone (OutputFiles)
        if io_errno(exc) is None:
            raise
        line = output_error(exc, out)
        raise ExportError(line.message, source=line.source) from None
    except RunDirError as exc:
        raise ExportError(exc.message, source=exc.source, field=exc.field) from None
    except RunReadError as exc:
        raise _export_error(exc) from None


def _export_error(exc: RunReadError) -> ExportError:
    """The reader's one line as the export's error (what the CLI catches)."""
    return ExportError(exc.message, source=exc.source, field=exc.field)


class OutputFiles:
    """A set of files written under temporary names in one directory and renamed into place
    together when the block completes; on any error the temporary files (and a directory
    this created) are removed, so nothing half-written ever looks finished.

    Construction checks, before anything is written, that ``out_dir`` is not a file and that
    no target exists unless ``force``. The block holds a lock in ``out_dir``
    (``.airdefense-export.lock``, removed at the end): a second export into the same directory
    meanwhile is refused at once, so two never mix their files.
    """

    def __init__(self, out_dir: Path, names: Iterable[str], *, force: bool) -> None:
        self.out_dir = Path(out_dir)
        self.names = list(names)
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise ExportError(
                f"{self.out_dir}: exists and is not a directory (choose another --out)"
            )
        if not force:
            for name in self.names:
                target = self.out_dir / name
                if target.exists():
                    raise ExportError(f"{target}: already exists (use --force to overwrite)")
        self.force = force
        self._created: list[Path] = []
        self._tmp: dict[str, Path] = {}
        self._lock: FileLock | None = None

    def __enter__(self) -> OutputFiles:
        missing = []
        d = self.out_dir
        while not d.exists():
            missing.append(d)
            d = d.parent
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._created = missing  # innermost first
        # one export at a time into a directory: two never mix their files
        self._lock = FileLock(
            self.out_dir / LOCK_NAME,
            f"{self.out_dir}: another airdefense export is writing into it now (wait for it "
            "to end, or choose another --out)",
        )
        try:
            self._lock.acquire()
            if not self.force:  # again, now that no other export can change it
                for name in self.names:
                    if (self.out_dir / name).exists():
                        raise ExportError(
                            f"{self.out_dir / name}: already exists (use --force to overwrite)"
                        )
        except BaseException as exc:
            self._cleanup()
            if isinstance(exc, RunDirError):
                raise ExportError(exc.message) from None
            raise
        return self

    def tmp(self, name: str) -> Path:
        """The temporary path to write ``name`` to."""
        if name not in self.names:
            raise ValueError(f"{name}: not declared")
        path = self.out_dir / f".{name}.{os.getpid()}.tmp"
        self._tmp[name] = path
        return path

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and set(self._tmp) == set(self.names):
            try:
                for name in self.names:
                    os.chmod(self._tmp[name], 0o644)
                    os.replace(self._tmp[name], self.out_dir / name)
                self._unlock()
                return
            except BaseException:
                self._cleanup()
                raise
        self._cleanup()
        if exc_type is None:
            raise RuntimeError("OutputFiles: not every declared file was written")

    def _cleanup(self) -> None:
        for path in self._tmp.values():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._unlock()
        for d in self._created:
            with contextlib.suppress(OSError):
                d.rmdir()  # only if still empty

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def paths(self) -> list[Path]:
        """The final paths, in declaration order."""
        return [self.out_dir / name for name in self.names]


def _copy_tables(run: RunReader, out_dir: Path, force: bool, ext: str, options: str) -> list[Path]:
    """COPY every table of the run to ``<table>.<ext>`` with DuckDB's own writer."""
    names = table_names(run)
    files = OutputFiles(out_dir, [f"{n}.{ext}" for n in names], force=force)
    with files:
        for name in names:
            run.copy_to(name, files.tmp(f"{name}.{ext}"), options)
    return files.paths


def write_parquet(run: RunReader, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Every table of the run as ``<table>.parquet`` (zstd), columns and types as in the
    database, rows in the database's order."""
    return _copy_tables(run, out_dir, force, "parquet", "FORMAT parquet, COMPRESSION zstd")


def write_csv(run: RunReader, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Every table of the run as ``<table>.csv``: a header row, comma-separated, NULL as an
    empty field, rows in the database's order."""
    return _copy_tables(run, out_dir, force, "csv", "FORMAT csv, HEADER true")


def format_names() -> Sequence[str]:
    """The registered format names, for messages and help."""
    return tuple(FORMATS)
