"""Tracks written: :class:`TrackWriter` streams track updates into a Parquet file of
:data:`TRACK_SCHEMA` (``airdefense track --out``), a row group at a time.

Every number written is finite (:meth:`TrackWriter.write` refuses NaN and infinity). Tracks
are written to a temporary file beside the destination that is renamed into place on
:meth:`TrackWriter.close`; an aborted writer leaves nothing behind. :func:`check_output`
refuses a destination before any work is done; :func:`updates_table` is one batch of updates
as an Arrow table of the same schema. :func:`airdefense.tracking.readers.read_tracks` reads
the file back.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from airdefense.tracking.measurements import CONFIRMED, STATUS_NAMES, TrackUpdates
from airdefense.tracking.readers import DetectionsError, _short

OUTPUT_SUFFIXES = (".parquet", ".pq")

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


_FINITE_COLUMNS = ("t", "x", "y", "z", "vx", "vy", "vz", "sx", "sy", "sz", "quality")


def _check_finite(path: Path, updates: TrackUpdates) -> None:
    """Refuse updates holding NaN or infinity: a tracks file holds finite numbers only. The
    readers' bounds keep the tracker's numbers finite; this is the last guard, so that a
    state that still overflowed stops the run (nothing written) instead of being written."""
    for name in _FINITE_COLUMNS:
        a = getattr(updates, name)
        bad = ~np.isfinite(a)
        if bad.any():
            i = int(np.argmax(bad))
            raise DetectionsError(
                str(path),
                name,
                f"the tracker computed {a[i]} for track {int(updates.track_id[i])} at "
                f"t = {float(updates.t[i]):g} s (not written: a tracks file holds finite "
                "numbers; the detections around it are beyond what the tracker can represent)",
            )


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
        _check_finite(self.path, updates)
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
