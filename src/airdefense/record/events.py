"""The event log: typed events appended in batches, kept as columns.

The loop appends arrays of events of one kind at a time (all launches of a step, all first
detections of a step); :meth:`EventLog.table` returns them as one Arrow table sorted by
time, kind and object, the ``events`` table of ``run.duckdb``. Reports, replay and interop
read this log, never the simulator's internals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike

from airdefense.record.schema import EventKind

EVENT_SCHEMA = pa.schema(
    [
        ("t", pa.float64()),
        ("kind", pa.string()),
        ("object_id", pa.int32()),
        ("sensor_id", pa.int32()),
        ("track_id", pa.int32()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("z", pa.float64()),
        ("value", pa.float64()),
        ("detail", pa.string()),
    ]
)


@dataclass(frozen=True)
class _Chunk:
    """Events of one kind appended together, as numpy columns (None: all null)."""

    kind: str
    t: np.ndarray
    object_id: np.ndarray
    sensor_id: np.ndarray
    track_id: np.ndarray
    xyz: np.ndarray | None
    value: np.ndarray | None
    detail: list[str] | None


class EventLog:
    """Columnar, append-only log of events.

    Appends keep numpy columns (the loop adds small batches hundreds of times a run); the
    Arrow table is built once, when :meth:`table` is asked for."""

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []

    def add(
        self,
        kind: EventKind,
        t: ArrayLike,
        object_id: ArrayLike = -1,
        sensor_id: ArrayLike = -1,
        track_id: ArrayLike = -1,
        xyz: ArrayLike | None = None,
        value: ArrayLike | None = None,
        detail: ArrayLike | None = None,
    ) -> None:
        """Append events of one kind; scalars broadcast against the time array."""
        t = np.array(np.atleast_1d(np.asarray(t, dtype=np.float64)))
        n = t.shape[0]
        if n == 0:
            return

        def col(v: ArrayLike, dtype: type) -> np.ndarray:
            return np.array(np.broadcast_to(np.asarray(v, dtype=dtype), (n,)))

        self._chunks.append(
            _Chunk(
                kind=str(kind),
                t=t,
                object_id=col(object_id, np.int32),
                sensor_id=col(sensor_id, np.int32),
                track_id=col(track_id, np.int32),
                xyz=None
                if xyz is None
                else np.array(np.broadcast_to(np.asarray(xyz, dtype=np.float64), (n, 3))),
                value=None if value is None else col(value, np.float64),
                detail=None if detail is None else [str(d) for d in col(detail, object)],
            )
        )

    def __len__(self) -> int:
        return sum(c.t.shape[0] for c in self._chunks)

    def table(self) -> pa.Table:
        """All events as one table, sorted by time, then kind, then object."""
        if not self._chunks:
            return EVENT_SCHEMA.empty_table()
        chunks = self._chunks

        def floats(parts: list[np.ndarray | None], width: int | None) -> list[pa.Array]:
            """Columns that may be null chunk by chunk (width: columns of a 2-D field)."""
            shape = [(c.t.shape[0],) if width is None else (c.t.shape[0], width) for c in chunks]
            values = np.concatenate(
                [np.zeros(k) if v is None else v for v, k in zip(parts, shape, strict=True)]
            )
            missing = np.concatenate(
                [np.full(k[0], v is None) for v, k in zip(parts, shape, strict=True)]
            )
            mask = missing if missing.any() else None
            if width is None:
                return [pa.array(values, mask=mask)]
            return [pa.array(np.ascontiguousarray(values[:, i]), mask=mask) for i in range(width)]

        x, y, z = floats([c.xyz for c in chunks], 3)
        detail: list[str | None] = []
        for c in chunks:
            detail.extend([None] * c.t.shape[0] if c.detail is None else c.detail)
        table = pa.table(
            {
                "t": pa.array(np.concatenate([c.t for c in chunks])),
                "kind": pa.array(
                    [c.kind for c in chunks for _ in range(c.t.shape[0])], pa.string()
                ),
                "object_id": pa.array(np.concatenate([c.object_id for c in chunks])),
                "sensor_id": pa.array(np.concatenate([c.sensor_id for c in chunks])),
                "track_id": pa.array(np.concatenate([c.track_id for c in chunks])),
                "x": x,
                "y": y,
                "z": z,
                "value": floats([c.value for c in chunks], None)[0],
                "detail": pa.array(detail, pa.string()),
            },
            schema=EVENT_SCHEMA,
        )
        return table.sort_by(
            [("t", "ascending"), ("kind", "ascending"), ("object_id", "ascending")]
        )

    def count(self, kind: EventKind) -> int:
        """Number of events of one kind."""
        return sum(c.t.shape[0] for c in self._chunks if c.kind == str(kind))
