"""Tracking files: detections in, tracks out, truth and tracks for scoring; streamed with pyarrow.

Files are Parquet (``.parquet``, ``.pq``) or CSV (``.csv``, ``.csv.gz``), told apart by their
extension. A detections file is read in record batches (Parquet row groups, CSV blocks) and
handed out as time-ordered :class:`Measurements` chunks that never split rows of one time,
so memory stays flat however long the file. Detections come in one of two forms:

- **Cartesian**: ``t, x, y, z, sx, sy, sz``: time (s), position in the tracker's ENU frame
  (m) and the measurement noise standard deviation per axis (m).
- **Polar**: ``t, sensor_id, range, azimuth, elevation, sigma_range, sigma_azimuth,
  sigma_elevation``: range in metres, angles in radians (azimuth clockwise from north,
  elevation up from the horizontal), measured by a sensor whose site the tracker config
  places (``TrackerConfig.sensors``, keyed by ``sensor_id``).

A detections file may also be raw ASTERIX (``.ast``, ``.asterix``): CAT048 data blocks back to
back, read with :mod:`airdefense.interop.asterix` (edition 1.21). Each plot's ``sensor_id`` is
``SAC * 256 + SIC`` and its site must be in the tracker config, as for polar files; its time is
seconds since 12:00:00 UTC (I048/140); range and azimuth come from I048/040, the elevation and
the measurement sigmas from the SP field of files airdefense wrote, otherwise from the height
(I048/110, else the flight level I048/090, as geometric height) with the assumed accuracies of
:mod:`airdefense.interop.asterix` (a plot without height: elevation 0 with a wide sigma).
Records are put in time order within a :data:`ASTERIX_REORDER_S` window; blocks that cannot be
read are skipped and described in :attr:`DetectionsReader.notes`.

Optional columns: ``truth_id`` (integer, -1 or empty when unknown) and, in Cartesian files,
``sensor_id``. Rows must be in time order. Any problem raises :class:`DetectionsError`
whose text is one line, ``FILE: column: what is wrong (what is allowed)``; rows are counted
from 1, the header not included.

Tracks are written by :class:`TrackWriter` to a temporary file beside the destination that is
renamed into place on :meth:`TrackWriter.close`; an aborted writer leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from airdefense.errors import AirdefenseError
from airdefense.tracking.measurements import (
    CONFIRMED,
    STATUS_NAMES,
    FloatArray,
    IntArray,
    Measurements,
    TrackUpdates,
)

if TYPE_CHECKING:
    from airdefense.interop.asterix import Cat048Reports
    from airdefense.tracking.config import TrackerConfig

CARTESIAN_COLUMNS = ("t", "x", "y", "z", "sx", "sy", "sz")
POLAR_COLUMNS = (
    "t",
    "sensor_id",
    "range",
    "azimuth",
    "elevation",
    "sigma_range",
    "sigma_azimuth",
    "sigma_elevation",
)
TRUTH_COLUMNS = ("t", "truth_id", "x", "y", "z")
TRACK_REQUIRED_COLUMNS = ("t", "track_id", "x", "y", "z", "vx", "vy", "vz", "status")
INPUT_SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz")
#: Raw ASTERIX CAT048 detections files.
ASTERIX_SUFFIXES = (".ast", ".asterix")
DETECTION_SUFFIXES = (*INPUT_SUFFIXES, *ASTERIX_SUFFIXES)
#: ASTERIX records are sorted by time within this window (s); later ones are skipped as late.
ASTERIX_REORDER_S = 60.0
_ASTERIX_READ_BYTES = 4 << 20
OUTPUT_SUFFIXES = (".parquet", ".pq")
_INT_COLUMNS = ("sensor_id", "truth_id", "track_id")
_SIGMAS = ("sx", "sy", "sz", "sigma_range", "sigma_azimuth", "sigma_elevation")
_CSV_BLOCK_BYTES = 1 << 20

#: Columns of a tracks file, as :class:`TrackWriter` writes them.
TRACK_SCHEMA = pa.schema(
    [
        ("t", pa.float64()),
        ("track_id", pa.int64()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("z", pa.float64()),
        ("vx", pa.float64()),
        ("vy", pa.float64()),
        ("vz", pa.float64()),
        ("status", pa.dictionary(pa.int8(), pa.string())),
        ("sx", pa.float64()),
        ("sy", pa.float64()),
        ("sz", pa.float64()),
        ("quality", pa.float64()),
        ("truth_id", pa.int64()),
    ]
)
_STATUS_DICTIONARY = pa.array(STATUS_NAMES, type=pa.string())
_STATUS_VALUES = pa.array([*STATUS_NAMES, *map(str, range(len(STATUS_NAMES)))], pa.string())


class DetectionsError(AirdefenseError):
    """A tracking file that cannot be used (detections, truth, tracks, or the output): the
    file, the column and what is wrong."""

    def __init__(self, source: str, column: str, message: str) -> None:
        super().__init__(message, source=source, field=column)

    @property
    def column(self) -> str:
        """The column at fault, empty for the whole file."""
        return self.field


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _file_format(path: Path) -> Literal["parquet", "csv"]:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    shown = "".join(path.suffixes[-2:]) or "no extension"
    raise DetectionsError(
        str(path), "", f"unknown file type '{shown}' (allowed: {', '.join(INPUT_SUFFIXES)})"
    )


class _Table:
    """One input file: its column names and a stream of record batches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        self.format = _file_format(path)
        if not path.exists():
            raise DetectionsError(self.source, "", "no such file")
        if path.is_dir():
            raise DetectionsError(self.source, "", "is a directory, not a file")
        try:
            self.size = path.stat().st_size
        except OSError as exc:
            raise DetectionsError(self.source, "", f"cannot read ({exc.strerror})") from None
        if self.size == 0:
            raise DetectionsError(self.source, "", "empty file (needs a header and rows)")
        self.total_rows: int | None = None
        self._parquet: pq.ParquetFile | None = None
        self._raw: pa.NativeFile | None = None
        self._rows_read = 0
        if self.format == "parquet":
            try:
                self._parquet = pq.ParquetFile(path)
            except (pa.ArrowException, OSError) as exc:
                raise self.unreadable(exc) from None
            self.schema = self._parquet.schema_arrow
            self.total_rows = self._parquet.metadata.num_rows
        else:
            reader = self._open_csv(None, {}, block=64 * 1024)
            try:
                self.schema = reader.schema
            finally:
                self._close_raw()
        self.names: list[str] = list(self.schema.names)

    def error(self, column: str, message: str) -> DetectionsError:
        return DetectionsError(self.source, column, message)

    def unreadable(self, exc: BaseException) -> DetectionsError:
        kind = "Parquet" if self.format == "parquet" else "CSV"
        return self.error("", f"not a readable {kind} file ({_short(exc)})")

    def where(self, row: int) -> str:
        """Row ``row`` (0-based) as the user counts it."""
        return f"row {row + 1}" + (f", line {row + 2}" if self.format == "csv" else "")

    def _open_csv(
        self, columns: list[str] | None, types: dict[str, pa.DataType], block: int
    ) -> pacsv.CSVStreamingReader:
        try:
            self._raw = pa.OSFile(str(self.path), "rb")
            stream: pa.NativeFile = self._raw
            if self.path.name.lower().endswith(".gz"):
                stream = pa.CompressedInputStream(self._raw, "gzip")
            return pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=block),
                convert_options=pacsv.ConvertOptions(
                    column_types=types, include_columns=columns or []
                ),
            )
        except (pa.ArrowException, OSError) as exc:
            self._close_raw()
            raise self._csv_error(exc) from None

    def _csv_error(self, exc: BaseException) -> DetectionsError:
        m = re.search(
            r"CSV column #(\d+): (?:Row #\d+: )?CSV conversion error to (\w+): invalid value '(.*)'",
            str(exc),
        )
        names = getattr(self, "names", [])
        if m and int(m.group(1)) < len(names):
            want = "a whole number" if m.group(2).startswith(("int", "uint")) else "a number"
            return self.error(names[int(m.group(1))], f"not {want}: '{m.group(3)}'")
        if isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException):
            return self.error("", f"cannot read ({exc.strerror or _short(exc)})")
        return self.unreadable(exc)

    def _close_raw(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
            self._raw = None

    def check_types(
        self, floats: Collection[str], ints: Collection[str], strings: Collection[str] = ()
    ) -> None:
        """Refuse columns whose stored type cannot hold what they should (Parquet; CSV values
        are converted, and checked, as they are read)."""
        if self.format != "parquet":
            return
        for name in (*floats, *ints, *strings):
            if name not in self.names:
                continue
            typ = self.schema.field(name).type
            if pa.types.is_dictionary(typ):
                typ = typ.value_type
            if name in strings:
                ok = pa.types.is_string(typ) or pa.types.is_large_string(typ)
                ok = ok or pa.types.is_integer(typ)
                what = "status names or codes"
            else:
                ok = pa.types.is_integer(typ) or pa.types.is_floating(typ)
                ok = ok or pa.types.is_decimal(typ) or pa.types.is_null(typ)
                what = "whole numbers" if name in ints else "numbers"
            if not ok:
                raise self.error(name, f"must hold {what} (the file has {typ})")

    def batches(
        self, columns: list[str], types: dict[str, pa.DataType], rows: int
    ) -> Iterator[pa.RecordBatch]:
        """Record batches of ``columns``, with ``types`` for CSV."""
        self._rows_read = 0
        if self._parquet is not None:
            it = self._parquet.iter_batches(batch_size=rows, columns=columns)
            while True:
                try:
                    batch = next(it)
                except StopIteration:
                    return
                except (pa.ArrowException, OSError) as exc:
                    raise self.unreadable(exc) from None
                self._rows_read += batch.num_rows
                yield batch
        reader = self._open_csv(columns, types, _CSV_BLOCK_BYTES)
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowException, OSError) as exc:
                    raise self._csv_error(exc) from None
                self._rows_read += batch.num_rows
                yield batch
        finally:
            self._close_raw()

    @property
    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1 (CSV: by bytes, approximately)."""
        if self.total_rows is not None:
            return min(1.0, self._rows_read / self.total_rows) if self.total_rows else 1.0
        if self._raw is None:
            return 1.0 if self._rows_read else 0.0
        try:
            return min(1.0, self._raw.tell() / self.size)
        except (pa.ArrowException, OSError, ValueError):
            return 0.0

    def close(self) -> None:
        self._close_raw()
        if self._parquet is not None:
            with contextlib.suppress(Exception):
                self._parquet.close()
            self._parquet = None

    # --- columns of a batch, validated ----------------------------------------------
    def floats(self, batch: pa.RecordBatch, name: str, offset: int) -> FloatArray:
        """A column as finite float64 values."""
        try:
            a = pc.cast(batch.column(name), pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowException as exc:
            raise self.error(name, f"must hold numbers ({_short(exc)})") from None
        a = np.asarray(a, dtype=np.float64)
        bad = ~np.isfinite(a)
        if bad.any():
            i = int(np.argmax(bad))
            what = "NaN or empty" if np.isnan(a[i]) else f"infinite ({a[i]:g})"
            raise self.error(name, f"{what} at {self.where(offset + i)} (must be a finite number)")
        return a

    def ints(
        self, batch: pa.RecordBatch, name: str, offset: int, missing: int | None = None
    ) -> IntArray:
        """A column as int64; empty/NaN values become ``missing`` if given, else are errors."""
        col = batch.column(name)
        if pa.types.is_integer(col.type) and col.null_count == 0:
            return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.int64)
        try:
            if missing is not None:
                col = pc.fill_null(col, missing)
            a = np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False))
        except pa.ArrowException as exc:
            raise self.error(name, f"must hold whole numbers ({_short(exc)})") from None
        if missing is not None:
            a = np.where(np.isnan(a), float(missing), a)
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            i = int(np.argmax(bad))
            what = "NaN or empty" if np.isnan(a[i]) else f"not a whole number ({a[i]:g})"
            raise self.error(name, f"{what} at {self.where(offset + i)} (must be an integer)")
        return a.astype(np.int64)

    def positive(self, name: str, a: FloatArray, offset: int) -> None:
        bad = a <= 0
        if bad.any():
            i = int(np.argmax(bad))
            raise self.error(name, f"must be > 0 (got {a[i]:g} at {self.where(offset + i)})")


def _kind(table: _Table) -> Literal["cartesian", "polar"]:
    names = set(table.names)
    cart = [c for c in CARTESIAN_COLUMNS if c not in names]
    polar = [c for c in POLAR_COLUMNS if c not in names]
    if not cart and not polar:
        raise table.error(
            "columns",
            "has both Cartesian (x, y, z, sx, sy, sz) and polar (range, azimuth, elevation, ...) "
            "columns (give one form)",
        )
    if not cart:
        return "cartesian"
    if not polar:
        return "polar"
    missing = cart if len(cart) <= len(polar) else polar
    form = "Cartesian" if missing is cart else "polar"
    raise table.error(
        ", ".join(missing),
        f"missing column{'s' if len(missing) > 1 else ''} for {form} detections "
        f"(Cartesian detections need {', '.join(CARTESIAN_COLUMNS)}; polar detections need "
        f"{', '.join(POLAR_COLUMNS)}; optional: truth_id)",
    )


class DetectionsReader:
    """Streams a detections file as time-ordered :class:`Measurements` chunks.

    Opening checks the file and its columns; iterating validates every row (finite values,
    positive sigmas, angles in radians, time order, known sensors) and yields chunks of at
    least ``chunk_rows`` rows (the last may be shorter) that never split rows with the same
    ``t``. ``sensors``: the sensor ids the tracker knows; polar rows of any other sensor are
    an error (``None``: not checked). Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        sensors: Collection[int] | None = None,
        chunk_rows: int = 65_536,
        config: TrackerConfig | None = None,
    ) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be >= 1")
        self.path = Path(path)
        self.chunk_rows = int(chunk_rows)
        if sensors is None and config is not None:
            sensors = config.sensors.keys()
        self.sensors = None if sensors is None else sorted(int(s) for s in sensors)
        #: What was skipped while reading (ASTERIX input), one line each, after iterating.
        self.notes: list[str] = []
        self._asterix: _AsterixPlots | None = None
        name = self.path.name.lower()
        if name.endswith(ASTERIX_SUFFIXES):
            self._asterix = _AsterixPlots(self, config)
            self.kind = "polar"
            self.columns = [*POLAR_COLUMNS, "truth_id"]
            self.rows_read = 0
            return
        if not name.endswith(DETECTION_SUFFIXES):
            shown = "".join(self.path.suffixes[-2:]) or "no extension"
            raise DetectionsError(
                str(path),
                "",
                f"unknown file type '{shown}' (allowed: {', '.join(DETECTION_SUFFIXES)})",
            )
        self._table = _Table(self.path)
        try:
            self.kind: Literal["cartesian", "polar"] = _kind(self._table)
            names = set(self._table.names)
            base = CARTESIAN_COLUMNS if self.kind == "cartesian" else POLAR_COLUMNS
            extra = ["truth_id"] + (["sensor_id"] if self.kind == "cartesian" else [])
            self.columns = list(base) + [c for c in extra if c in names]
            self._table.check_types(
                [c for c in self.columns if c not in _INT_COLUMNS],
                [c for c in self.columns if c in _INT_COLUMNS],
            )
        except BaseException:
            self._table.close()
            raise
        self.rows_read = 0

    @property
    def total_rows(self) -> int | None:
        """Rows in the file if known without reading it (Parquet), else None."""
        return None if self._asterix is not None else self._table.total_rows

    @property
    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1."""
        return self._asterix.fraction if self._asterix is not None else self._table.fraction

    def __iter__(self) -> Iterator[Measurements]:
        if self._asterix is not None:
            yield from self._asterix.measurements()
            return
        types = dict.fromkeys(self.columns, pa.float64())  # ids checked whole by ints()
        self.rows_read = 0
        last_t = -np.inf
        pending: list[Measurements] = []
        n_pending = 0
        for batch in self._table.batches(self.columns, types, self.chunk_rows):
            if batch.num_rows == 0:
                continue
            m = self._convert(batch, self.rows_read, last_t)
            self.rows_read += len(m)
            last_t = float(m.t[-1])
            pending.append(m)
            n_pending += len(m)
            if n_pending >= self.chunk_rows:
                whole = pending[0] if len(pending) == 1 else Measurements.concat(pending)
                cut = int(np.searchsorted(whole.t, whole.t[-1], side="left"))
                if cut == 0:
                    pending = [whole]
                    continue
                yield whole.take(slice(0, cut))
                rest = whole.take(slice(cut, None))
                pending, n_pending = [rest], len(rest)
        if self.rows_read == 0:
            raise self._table.error("", "no rows (needs at least one detection)")
        if n_pending:
            yield pending[0] if len(pending) == 1 else Measurements.concat(pending)

    def _convert(self, batch: pa.RecordBatch, offset: int, last_t: float) -> Measurements:
        tab = self._table
        t = tab.floats(batch, "t", offset)
        prev = np.concatenate(([last_t], t[:-1]))
        back = t < prev
        if back.any():
            i = int(np.argmax(back))
            raise tab.error(
                "t",
                f"goes backwards at {tab.where(offset + i)} ({t[i]:g} after {prev[i]:g}; "
                "rows must be in time order)",
            )
        truth_id = (
            tab.ints(batch, "truth_id", offset, missing=-1)
            if "truth_id" in self.columns
            else np.full(len(t), -1, dtype=np.int64)
        )
        if self.kind == "cartesian":
            v = {c: tab.floats(batch, c, offset) for c in CARTESIAN_COLUMNS[1:]}
            for c in ("sx", "sy", "sz"):
                tab.positive(c, v[c], offset)
            sensor_id = (
                tab.ints(batch, "sensor_id", offset, missing=-1)
                if "sensor_id" in self.columns
                else np.full(len(t), -1, dtype=np.int64)
            )
            nan = np.full(len(t), np.nan)
            return Measurements(
                t=t,
                sensor_id=sensor_id,
                polar=np.zeros(len(t), dtype=bool),
                x=v["x"],
                y=v["y"],
                z=v["z"],
                sx=v["sx"],
                sy=v["sy"],
                sz=v["sz"],
                range_m=nan,
                azimuth_rad=nan,
                elevation_rad=nan,
                sigma_range_m=nan,
                sigma_azimuth_rad=nan,
                sigma_elevation_rad=nan,
                truth_id=truth_id,
            )
        sensor_id = tab.ints(batch, "sensor_id", offset)
        if self.sensors is not None:
            unknown = ~np.isin(sensor_id, self.sensors)
            if unknown.any():
                i = int(np.argmax(unknown))
                known = (
                    f"the config's sensors: {', '.join(map(str, self.sensors))}"
                    if self.sensors
                    else "the config places no sensors; polar detections need --config with "
                    "sensors: {id: {east_m, north_m, up_m}}"
                )
                raise tab.error(
                    "sensor_id",
                    f"unknown sensor {int(sensor_id[i])} at {tab.where(offset + i)} ({known})",
                )
        v = {c: tab.floats(batch, c, offset) for c in POLAR_COLUMNS[2:]}
        tab.positive("range", v["range"], offset)
        for c in ("sigma_range", "sigma_azimuth", "sigma_elevation"):
            tab.positive(c, v[c], offset)
        for c, limit, shown in (("azimuth", 2 * np.pi, "2 pi"), ("elevation", np.pi / 2, "pi/2")):
            bad = np.abs(v[c]) > limit
            if bad.any():
                i = int(np.argmax(bad))
                raise tab.error(
                    c,
                    f"{v[c][i]:g} at {tab.where(offset + i)} is outside -{shown}..{shown} "
                    "(angles are radians, not degrees; azimuth clockwise from north)",
                )
        nan = np.full(len(t), np.nan)
        return Measurements(
            t=t,
            sensor_id=sensor_id,
            polar=np.ones(len(t), dtype=bool),
            x=nan,
            y=nan,
            z=nan,
            sx=nan,
            sy=nan,
            sz=nan,
            range_m=v["range"],
            azimuth_rad=v["azimuth"],
            elevation_rad=v["elevation"],
            sigma_range_m=v["sigma_range"],
            sigma_azimuth_rad=v["sigma_azimuth"],
            sigma_elevation_rad=v["sigma_elevation"],
            truth_id=truth_id,
        )

    def close(self) -> None:
        """Release the file."""
        if self._asterix is not None:
            self._asterix.close()
        else:
            self._table.close()

    def __enter__(self) -> DetectionsReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_detections(
    path: str | Path,
    *,
    sensors: Collection[int] | None = None,
    config: TrackerConfig | None = None,
) -> Measurements:
    """A whole detections file as one :class:`Measurements` (see :class:`DetectionsReader`)."""
    with DetectionsReader(path, sensors=sensors, config=config) as reader:
        parts = list(reader)
    return parts[0] if len(parts) == 1 else Measurements.concat(parts)


class _AsterixPlots:
    """A raw ASTERIX file's CAT048 plots as polar :class:`Measurements`, read in pieces and
    put in time order within :data:`ASTERIX_REORDER_S` (see the module text)."""

    def __init__(self, reader: DetectionsReader, config: TrackerConfig | None) -> None:
        self.reader = reader
        self.path = reader.path
        self.source = str(reader.path)
        if not self.path.exists():
            raise DetectionsError(self.source, "", "no such file")
        if self.path.is_dir():
            raise DetectionsError(self.source, "", "is a directory, not a file")
        try:
            self.size = self.path.stat().st_size
            self._file = self.path.open("rb")
        except OSError as exc:
            raise DetectionsError(self.source, "", f"cannot read ({exc.strerror})") from None
        if self.size == 0:
            self._file.close()
            raise DetectionsError(self.source, "", "empty file (needs ASTERIX CAT048 data blocks)")
        self.frame = None
        self.sites: dict[int, np.ndarray] = {}
        if config is not None:
            if config.origin is not None:
                from airdefense.geo import Frame

                o = config.origin
                self.frame = Frame.from_degrees(o.lat_deg, o.lon_deg, o.alt_m)
            for sid, site in config.sensors.items():
                if site.lat_deg is not None and self.frame is not None:
                    self.sites[int(sid)] = self.frame.geodetic_to_enu(
                        np.radians(site.lat_deg), np.radians(site.lon_deg), site.alt_m
                    )
                else:
                    self.sites[int(sid)] = np.array([site.east_m, site.north_m, site.up_m], float)
        self._read = 0
        self.unusable = 0
        self.late = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self._read / self.size) if self.size else 1.0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._file.close()

    def measurements(self) -> Iterator[Measurements]:
        from airdefense.interop.asterix import Cat048Decoder

        decoder = Cat048Decoder()
        pending: list[Measurements] = []
        newest = -np.inf
        emitted = -np.inf
        self.reader.rows_read = 0
        self.reader.notes = []
        done = False
        while not done:
            try:
                data = self._file.read(_ASTERIX_READ_BYTES)
            except OSError as exc:
                raise DetectionsError(self.source, "", f"cannot read ({exc.strerror})") from None
            self._read += len(data)
            if data:
                reports = decoder.feed(data)
            else:
                reports, done = decoder.finish(), True
            m = self._convert(reports)
            if len(m):
                late = m.t <= emitted
                if late.any():
                    self.late += int(late.sum())
                    m = m.take(~late)
                newest = max(newest, float(m.t.max())) if len(m) else newest
                pending.append(m)
            if not pending:
                continue
            whole = pending[0] if len(pending) == 1 else Measurements.concat(pending)
            whole = whole.take(np.argsort(whole.t, kind="stable"))
            cut = (
                len(whole)
                if done
                else int(np.searchsorted(whole.t, newest - ASTERIX_REORDER_S, side="left"))
            )
            pending = [whole.take(slice(cut, None))] if cut < len(whole) else []
            if cut:
                out = whole.take(slice(0, cut))
                emitted = float(out.t[-1])
                self.reader.rows_read += len(out)
                yield out
        notes = decoder.summary.lines()
        if self.unusable:
            notes.append(
                f"skipped {self.unusable} CAT048 records without a source (I048/010), time "
                "(I048/140) or position (I048/040)"
            )
        if self.late:
            notes.append(
                f"skipped {self.late} plots more than {ASTERIX_REORDER_S:g} s out of time order"
            )
        self.reader.notes = notes
        if self.reader.rows_read == 0:
            detail = f" ({notes[-1]})" if notes else ""
            raise DetectionsError(
                self.source,
                "",
                f"no CAT048 plots in the file (needs ASTERIX CAT048 data blocks){detail}",
            )

    def _convert(self, r: Cat048Reports) -> Measurements:
        from airdefense.interop import asterix as ax

        sid = r.sensor_id
        usable = (sid >= 0) & np.isfinite(r.t) & np.isfinite(r.range_m) & (r.range_m > 0)
        usable &= np.isfinite(r.azimuth_rad)
        self.unusable += int((~usable).sum())
        r = r.take(usable)
        sid = sid[usable]
        n = len(r)
        if n and self.reader.sensors is not None:
            unknown = ~np.isin(sid, self.reader.sensors)
            if unknown.any():
                i = int(np.argmax(unknown))
                s = int(sid[i])
                known = (
                    f"the config's sensors: {', '.join(map(str, self.reader.sensors))}"
                    if self.reader.sensors
                    else "the config places no sensors"
                )
                raise DetectionsError(
                    self.source,
                    "sensor_id",
                    f"unknown sensor {s} (SAC {s >> 8}, SIC {s & 0xFF}; sensor_id = SAC * 256 "
                    f"+ SIC) at t = {r.t[i]:g} s ({known}; give its site in --config sensors: "
                    f"{{{s}: {{lat_deg, lon_deg, alt_m}}}} with an origin)",
                )
        el = r.elevation_rad.copy()
        s_el = r.sigma_elevation_rad.copy()
        have_el = np.isfinite(el) & (np.abs(el) <= np.pi / 2)
        el[~have_el] = np.nan
        height = np.where(np.isfinite(r.height_3d_m), r.height_3d_m, r.flight_level * 100 * ax.FT)
        from_height = ~have_el & np.isfinite(height)
        for s in np.unique(sid[from_height]).tolist():
            rows = np.flatnonzero(from_height & (sid == s))
            site = self.sites.get(int(s))
            if site is None:
                raise DetectionsError(
                    self.source,
                    "sensor_id",
                    f"sensor {s}: its plots give heights, not elevations; give its site in "
                    f"--config sensors: {{{s}: {{lat_deg, lon_deg, alt_m}}}} with an origin",
                )
            e, ok = ax.elevation_from_height(
                r.range_m[rows], r.azimuth_rad[rows], height[rows], site, self.frame
            )
            el[rows[ok]] = e[ok]
            s_el[rows[ok]] = ax.DEFAULT_SIGMA_HEIGHT_M / r.range_m[rows[ok]]
            from_height[rows[~ok]] = False
        flat = ~have_el & ~from_height
        el[flat] = 0.0
        s_el[flat] = ax.DEFAULT_SIGMA_ELEVATION_2D_RAD
        bad_sigma = ~(np.isfinite(s_el) & (s_el > 0))
        s_el[bad_sigma] = ax.DEFAULT_SIGMA_ELEVATION_2D_RAD
        s_el = np.minimum(s_el, 0.5)

        def sigma(values: np.ndarray, default: float) -> np.ndarray:
            return np.where(np.isfinite(values) & (values > 0), values, default)

        nan = np.full(n, np.nan)
        return Measurements(
            t=r.t,
            sensor_id=sid,
            polar=np.ones(n, dtype=bool),
            x=nan,
            y=nan,
            z=nan,
            sx=nan,
            sy=nan,
            sz=nan,
            range_m=r.range_m,
            azimuth_rad=r.azimuth_rad,
            elevation_rad=el,
            sigma_range_m=sigma(r.sigma_range_m, ax.DEFAULT_SIGMA_RANGE_M),
            sigma_azimuth_rad=sigma(r.sigma_azimuth_rad, ax.DEFAULT_SIGMA_AZIMUTH_RAD),
            sigma_elevation_rad=s_el,
            truth_id=r.truth_id,
        )


@dataclass(frozen=True)
class Truth:
    """True positions for scoring, sorted by time: ``t`` (s), ``truth_id``, ``x, y, z`` (ENU m)
    and, when the file has them, velocities ``vx, vy, vz`` (m/s; else None)."""

    t: FloatArray
    truth_id: IntArray
    x: FloatArray
    y: FloatArray
    z: FloatArray
    vx: FloatArray | None = None
    vy: FloatArray | None = None
    vz: FloatArray | None = None

    def __len__(self) -> int:
        return int(self.t.shape[0])


def _read_whole(
    path: str | Path, required: tuple[str, ...], optional: tuple[str, ...], what: str
) -> tuple[_Table, list[pa.RecordBatch]]:
    table = _Table(Path(path))
    try:
        missing = [c for c in required if c not in table.names]
        if missing:
            raise table.error(
                ", ".join(missing),
                f"missing column{'s' if len(missing) > 1 else ''} ({what} need "
                f"{', '.join(required)}"
                + (f"; optional: {', '.join(optional)}" if optional else "")
                + ")",
            )
        columns = list(required) + [c for c in optional if c in table.names]
        strings = [c for c in columns if c == "status"]
        ints = [c for c in columns if c in _INT_COLUMNS]
        floats = [c for c in columns if c not in ints and c not in strings]
        table.check_types(floats, ints, strings)
        types = dict.fromkeys(floats + ints, pa.float64()) | dict.fromkeys(strings, pa.string())
        batches = [b for b in table.batches(columns, types, 1 << 20) if b.num_rows]
    finally:
        table.close()
    if not batches:
        raise table.error("", f"no rows (needs at least one row of {what})")
    return table, batches


def read_truth(path: str | Path) -> Truth:
    """A truth file (columns ``t, truth_id, x, y, z``, ENU metres; optional ``vx, vy, vz``),
    sorted by time."""
    velocity = ("vx", "vy", "vz")
    table, batches = _read_whole(path, TRUTH_COLUMNS, velocity, "truth positions")
    have = [c for c in velocity if c in table.names]
    if have and len(have) < 3:
        missing = [c for c in velocity if c not in have]
        raise table.error(", ".join(missing), "missing column (give all of vx, vy, vz or none)")
    names = ("t", "x", "y", "z", *have)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("truth_id", *names)}
    offset = 0
    for b in batches:
        parts["truth_id"].append(table.ints(b, "truth_id", offset))
        for c in names:
            parts[c].append(table.floats(b, c, offset))
        offset += b.num_rows
    cols = {c: np.concatenate(v) for c, v in parts.items()}
    order = np.argsort(cols["t"], kind="stable")
    return Truth(**{c: v[order] for c, v in cols.items()})


def _status_codes(table: _Table, batch: pa.RecordBatch, offset: int) -> IntArray:
    col = batch.column("status")
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_integer(col.type):
        codes = table.ints(batch, "status", offset)
        bad = (codes < 0) | (codes >= len(STATUS_NAMES))
    else:
        idx = pc.index_in(pc.cast(col, pa.string()), value_set=_STATUS_VALUES)
        codes = np.asarray(pc.fill_null(idx, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        bad = codes < 0
        codes = codes % len(STATUS_NAMES)  # a code written as text ("1") is its name's index
    if bad.any():
        i = int(np.argmax(bad))
        raise table.error(
            "status",
            f"unknown status {col[i].as_py()!r} at {table.where(offset + i)} "
            f"(allowed: {', '.join(STATUS_NAMES)})",
        )
    return codes


def read_tracks(path: str | Path) -> TrackUpdates:
    """A tracks file as :class:`TrackWriter` writes it (status names, or codes 0-2), sorted by
    time. Missing ``sx, sy, sz, quality`` read as NaN, a missing ``truth_id`` as -1."""
    optional = ("sx", "sy", "sz", "quality", "truth_id")
    table, batches = _read_whole(path, TRACK_REQUIRED_COLUMNS, optional, "tracks")
    parts: dict[str, list[np.ndarray]] = {}
    offset = 0
    for b in batches:
        n = b.num_rows
        cols: dict[str, np.ndarray] = {"status": _status_codes(table, b, offset)}
        cols["track_id"] = table.ints(b, "track_id", offset)
        for c in ("t", "x", "y", "z", "vx", "vy", "vz"):
            cols[c] = table.floats(b, c, offset)
        for c in ("sx", "sy", "sz", "quality"):
            cols[c] = (
                np.asarray(
                    pc.cast(b.column(c), pa.float64()).to_numpy(zero_copy_only=False),
                    dtype=np.float64,
                )
                if c in b.schema.names
                else np.full(n, np.nan)
            )
        cols["truth_id"] = (
            table.ints(b, "truth_id", offset, missing=-1)
            if "truth_id" in b.schema.names
            else np.full(n, -1, dtype=np.int64)
        )
        for c, v in cols.items():
            parts.setdefault(c, []).append(v)
        offset += n
    whole = {c: np.concatenate(v) for c, v in parts.items()}
    order = np.argsort(whole["t"], kind="stable")
    return TrackUpdates(**{c: v[order] for c, v in whole.items()})


def check_output(path: str | Path, *, force: bool = False) -> None:
    """Refuse an output path that is a directory, not ``.parquet``, in a missing directory,
    or an existing file (unless ``force``)."""
    p = Path(path)
    source = str(path)
    if not p.name.lower().endswith(OUTPUT_SUFFIXES):
        raise DetectionsError(
            source, "", f"tracks are written as Parquet (name the file *{OUTPUT_SUFFIXES[0]})"
        )
    if p.is_dir():
        raise DetectionsError(source, "", "is a directory (give a file name ending in .parquet)")
    if not p.parent.is_dir():
        raise DetectionsError(source, "", f"directory {p.parent} does not exist")
    if p.exists() and not force:
        raise DetectionsError(source, "", "already exists (use --force to overwrite it)")


def updates_table(updates: TrackUpdates) -> pa.Table:
    """Track updates as an Arrow table of :data:`TRACK_SCHEMA` (status as names)."""
    status = pa.DictionaryArray.from_arrays(
        pa.array(updates.status.astype(np.int8), type=pa.int8()), _STATUS_DICTIONARY
    )
    arrays = [
        status if f.name == "status" else pa.array(getattr(updates, f.name), type=f.type)
        for f in TRACK_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=TRACK_SCHEMA)


class TrackWriter:
    """Streams :class:`TrackUpdates` batches into a Parquet file of :data:`TRACK_SCHEMA`.

    Rows are buffered and written a row group of ``row_group_rows`` at a time into a hidden
    temporary file beside ``path``; :meth:`close` writes the rest and renames it to ``path``,
    :meth:`abort` deletes it. As a context manager it closes on success and aborts on any
    exception, so a failed or interrupted run leaves nothing at ``path``.
    """

    def __init__(
        self, path: str | Path, *, force: bool = False, row_group_rows: int = 65_536
    ) -> None:
        if row_group_rows < 1:
            raise ValueError("row_group_rows must be >= 1")
        self.path = Path(path)
        check_output(self.path, force=force)
        self.row_group_rows = int(row_group_rows)
        self.rows = 0
        self._confirmed: set[int] = set()
        self._tracks: set[int] = set()
        self._buffer: list[TrackUpdates] = []
        self._buffered = 0
        self._done = False
        self.tmp_path = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        try:
            self._writer = pq.ParquetWriter(str(self.tmp_path), TRACK_SCHEMA, compression="zstd")
        except (pa.ArrowException, OSError) as exc:
            self.tmp_path.unlink(missing_ok=True)
            raise DetectionsError(str(self.path), "", f"cannot write ({_short(exc)})") from None

    @property
    def tracks(self) -> int:
        """Distinct track ids written so far."""
        return len(self._tracks)

    @property
    def confirmed_tracks(self) -> int:
        """Distinct track ids written with status confirmed at least once."""
        return len(self._confirmed)

    def write(self, updates: TrackUpdates) -> None:
        """Append a batch; full row groups go to disk."""
        if self._done:
            raise ValueError("TrackWriter is closed")
        n = len(updates)
        if n == 0:
            return
        self.rows += n
        self._tracks.update(np.unique(updates.track_id).tolist())
        self._confirmed.update(np.unique(updates.track_id[updates.status == CONFIRMED]).tolist())
        self._buffer.append(updates)
        self._buffered += n
        if self._buffered >= self.row_group_rows:
            self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        if not self._buffered:
            return
        whole = self._buffer[0] if len(self._buffer) == 1 else TrackUpdates.concat(self._buffer)
        r = self.row_group_rows
        keep = 0 if final else self._buffered % r
        upto = self._buffered - keep
        try:
            self._writer.write_table(updates_table(whole.take(slice(0, upto))), row_group_size=r)
        except (pa.ArrowException, OSError) as exc:
            raise DetectionsError(str(self.path), "", f"cannot write ({_short(exc)})") from None
        self._buffer = [whole.take(slice(upto, None))] if keep else []
        self._buffered = keep

    def close(self) -> Path:
        """Write what is buffered, close the file and rename it to :attr:`path`."""
        if self._done:
            return self.path
        try:
            self._flush(final=True)
            self._writer.close()
            os.replace(self.tmp_path, self.path)
        except OSError as exc:
            self.abort()
            raise DetectionsError(str(self.path), "", f"cannot write ({_short(exc)})") from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.path

    def abort(self) -> None:
        """Discard everything: close and delete the temporary file."""
        self._done = True
        with contextlib.suppress(Exception):
            self._writer.close()
        self.tmp_path.unlink(missing_ok=True)

    def __enter__(self) -> TrackWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
