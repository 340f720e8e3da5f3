"""Tracking files read: detections in, truth and tracks for scoring; streamed with pyarrow.

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

A detections file may also be raw ASTERIX (:data:`ASTERIX_SUFFIXES`, ``.ast``,
``.asterix``): the tracking stage does not decode ASTERIX; such a file is read by
:class:`airdefense.interop.asterix.plots.AsterixPlotsReader`, a :class:`DetectionsSource`
like :class:`DetectionsReader`, which ``airdefense track`` picks by the extension.

Optional columns: ``truth_id`` (integer, -1 or empty when unknown) and, in Cartesian files,
``sensor_id``. Rows must be in time order, each column given once, and every value within
the bounds of :mod:`airdefense.tracking.measurements` (``MAX_ABS_TIME_S``,
``MAX_ABS_POSITION_M``, ``SIGMA_M_BOUNDS``, ``SIGMA_RAD_BOUNDS``, ``MAX_ABS_ID``): a file with
one row outside them is refused, not partly tracked. Any problem raises
:class:`DetectionsError` whose text is one line, ``FILE: column: what is wrong (what is
allowed)``; rows are counted from 1, the header not included.

Truth files (:func:`read_truth`, :class:`TruthSamples`) and tracks files (:func:`read_tracks`,
as :mod:`airdefense.tracking.writer` writes them) are read whole, for scoring.
"""

from __future__ import annotations

import contextlib
import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from airdefense.errors import AirdefenseError
from airdefense.tracking.measurements import (
    MAX_ABS_ID,
    MAX_ABS_POSITION_M,
    MAX_ABS_SPEED_MPS,
    MAX_ABS_TIME_S,
    SIGMA_M_BOUNDS,
    SIGMA_RAD_BOUNDS,
    STATUS_NAMES,
    FloatArray,
    IntArray,
    Measurements,
    TrackUpdates,
)

if TYPE_CHECKING:
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
#: Raw ASTERIX CAT048 detections files (read by airdefense.interop.asterix.plots).
ASTERIX_SUFFIXES = (".ast", ".asterix")
#: Every detections file ``airdefense track`` reads.
DETECTION_SUFFIXES = (*INPUT_SUFFIXES, *ASTERIX_SUFFIXES)
_INT_COLUMNS = ("sensor_id", "truth_id", "track_id")
_CSV_BLOCK_BYTES = 1 << 20
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
    raise _unknown_type(path, INPUT_SUFFIXES)


def _unknown_type(path: Path, allowed: tuple[str, ...]) -> DetectionsError:
    shown = "".join(path.suffixes[-2:]) or "no extension"
    return DetectionsError(
        str(path), "", f"unknown file type '{shown}' (allowed: {', '.join(allowed)})"
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
        seen: set[str] = set()
        for name in self.names:
            if name in seen:
                raise self.error(name, "column given twice (give each column once)")
            seen.add(name)

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
            a = np.asarray(col.to_numpy(zero_copy_only=False))
            self._id_range(name, a, offset)  # before the cast: a uint64 may not fit int64
            return a.astype(np.int64)
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
        self._id_range(name, a, offset)
        return a.astype(np.int64)

    def _id_range(self, name: str, a: np.ndarray, offset: int) -> None:
        bad = a > MAX_ABS_ID
        if a.dtype.kind != "u":
            bad |= a < -MAX_ABS_ID
        if bad.any():
            i = int(np.argmax(bad))
            raise self.error(
                name,
                f"{a[i]:g} at {self.where(offset + i)} is out of range (ids are whole numbers "
                "from -2^53 to 2^53)",
            )

    def bounded(
        self, name: str, a: FloatArray, offset: int, bounds: tuple[float, float], what: str
    ) -> None:
        """Refuse the first value of ``a`` outside ``bounds`` (inclusive), saying ``what``
        the column holds."""
        lo, hi = bounds
        bad = (a < lo) | (a > hi)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.error(
                name,
                f"{a[i]:g} at {self.where(offset + i)} is outside {lo:g}..{hi:g} ({what})",
            )

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


class DetectionsSource(ABC):
    """What ``airdefense track`` reads detections from: a file handed out as time-ordered
    :class:`Measurements` chunks by iterating, with progress (:attr:`fraction`), the rows
    handed out so far (:attr:`rows_read`) and, after iterating, what was skipped
    (:attr:`notes`, one line each). :class:`DetectionsReader` reads tables;
    :class:`airdefense.interop.asterix.plots.AsterixPlotsReader` raw ASTERIX. ``sensors``:
    the sensor ids the tracker knows (default: those ``config`` places; ``None``: not
    checked). Use as a context manager, or call :meth:`close`.
    """

    #: The form of the detections: Cartesian positions or polar (sensor) measurements.
    kind: Literal["cartesian", "polar"]
    #: The columns read.
    columns: list[str]

    def __init__(
        self,
        path: str | Path,
        *,
        sensors: Collection[int] | None = None,
        config: TrackerConfig | None = None,
    ) -> None:
        self.path = Path(path)
        if sensors is None and config is not None:
            sensors = config.sensors.keys()
        self.sensors = None if sensors is None else sorted(int(s) for s in sensors)
        #: What was skipped while reading (ASTERIX input), one line each, after iterating.
        self.notes: list[str] = []
        self.rows_read = 0

    @property
    def total_rows(self) -> int | None:
        """Rows in the file if known without reading it, else None."""
        return None

    @property
    @abstractmethod
    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1."""

    @abstractmethod
    def __iter__(self) -> Iterator[Measurements]: ...

    @abstractmethod
    def close(self) -> None:
        """Release the file."""

    def read_all(self) -> Measurements:
        """Every remaining chunk as one :class:`Measurements`."""
        parts = list(self)
        return parts[0] if len(parts) == 1 else Measurements.concat(parts)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class DetectionsReader(DetectionsSource):
    """Streams a detections table (Parquet or CSV) as time-ordered :class:`Measurements` chunks.

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
        super().__init__(path, sensors=sensors, config=config)
        self.chunk_rows = int(chunk_rows)
        name = self.path.name.lower()
        if name.endswith(ASTERIX_SUFFIXES):
            raise DetectionsError(
                str(path),
                "",
                "raw ASTERIX: read it with airdefense.interop.asterix.plots.AsterixPlotsReader "
                "(as airdefense track does)",
            )
        if not name.endswith(DETECTION_SUFFIXES):
            raise _unknown_type(self.path, DETECTION_SUFFIXES)
        self._table = _Table(self.path)
        try:
            self.kind = _kind(self._table)
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

    @property
    def total_rows(self) -> int | None:
        """Rows in the file if known without reading it (Parquet), else None."""
        return self._table.total_rows

    @property
    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1."""
        return self._table.fraction

    def __iter__(self) -> Iterator[Measurements]:
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
        tab.bounded("t", t, offset, (-MAX_ABS_TIME_S, MAX_ABS_TIME_S), "seconds")
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
            position = (-MAX_ABS_POSITION_M, MAX_ABS_POSITION_M)
            for c in ("x", "y", "z"):
                tab.bounded(c, v[c], offset, position, "ENU metres")
            for c in ("sx", "sy", "sz"):
                tab.positive(c, v[c], offset)
                tab.bounded(c, v[c], offset, SIGMA_M_BOUNDS, "a standard deviation in metres")
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
        tab.bounded("range", v["range"], offset, (0.0, MAX_ABS_POSITION_M), "metres")
        for c, bounds, unit in (
            ("sigma_range", SIGMA_M_BOUNDS, "metres"),
            ("sigma_azimuth", SIGMA_RAD_BOUNDS, "radians, well below pi"),
            ("sigma_elevation", SIGMA_RAD_BOUNDS, "radians, well below pi"),
        ):
            tab.positive(c, v[c], offset)
            tab.bounded(c, v[c], offset, bounds, f"a standard deviation in {unit}")
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
        self._table.close()


def read_detections(
    path: str | Path,
    *,
    sensors: Collection[int] | None = None,
    config: TrackerConfig | None = None,
) -> Measurements:
    """A whole detections file as one :class:`Measurements` (see :class:`DetectionsReader`)."""
    with DetectionsReader(path, sensors=sensors, config=config) as reader:
        return reader.read_all()


@dataclass(frozen=True)
class TruthSamples:
    """Truth samples read from a file for scoring (not the world's trajectories,
    :class:`airdefense.world.truth.Truth`), sorted by time: ``t`` (s), ``truth_id``, ``x, y, z`` (ENU m)
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


#: The bounds of a truth or track file's time, position and velocity columns (``score``):
#: the tracker's own input bounds, so that every distance it computes stays finite.
_KINEMATIC_BOUNDS: dict[str, tuple[tuple[float, float], str]] = {
    "t": ((-MAX_ABS_TIME_S, MAX_ABS_TIME_S), "seconds"),
    **{c: ((-MAX_ABS_POSITION_M, MAX_ABS_POSITION_M), "ENU metres") for c in ("x", "y", "z")},
    **{c: ((-MAX_ABS_SPEED_MPS, MAX_ABS_SPEED_MPS), "m/s") for c in ("vx", "vy", "vz")},
}


def _kinematic(table: _Table, batch: pa.RecordBatch, name: str, offset: int) -> FloatArray:
    """A time, position or velocity column: finite and inside its bound, else one line."""
    a = table.floats(batch, name, offset)
    bounds, what = _KINEMATIC_BOUNDS[name]
    table.bounded(name, a, offset, bounds, what)
    return a


def read_truth(path: str | Path) -> TruthSamples:
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
            parts[c].append(_kinematic(table, b, c, offset))
        offset += b.num_rows
    cols = {c: np.concatenate(v) for c, v in parts.items()}
    order = np.argsort(cols["t"], kind="stable")
    return TruthSamples(**{c: v[order] for c, v in cols.items()})


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
            cols[c] = _kinematic(table, b, c, offset)
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
