"""The event log: typed events appended in batches, kept as columns.

The loop appends arrays of events of one kind at a time (all launches of a step, all first
detections of a step); :meth:`EventLog.table` returns them as one Arrow table sorted by
time, kind and object, the ``events`` table of ``run.duckdb``. Reports, replay and interop
read this log, never the simulator's internals.
"""

from __future__ import annotations

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


class EventLog:
    """Columnar, append-only log of events."""

    def __init__(self) -> None:
        self._chunks: list[pa.Table] = []

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
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        n = t.shape[0]
        if n == 0:
            return

        def col(v: ArrayLike, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,))

        if xyz is None:
            x = y = z = pa.nulls(n, pa.float64())
        else:
            p = np.broadcast_to(np.asarray(xyz, dtype=np.float64), (n, 3))
            x, y, z = (pa.array(p[:, i]) for i in range(3))
        self._chunks.append(
            pa.table(
                {
                    "t": pa.array(t),
                    "kind": pa.array([str(kind)] * n, pa.string()),
                    "object_id": pa.array(col(object_id, np.int32)),
                    "sensor_id": pa.array(col(sensor_id, np.int32)),
                    "track_id": pa.array(col(track_id, np.int32)),
                    "x": x,
                    "y": y,
                    "z": z,
                    "value": pa.nulls(n, pa.float64())
                    if value is None
                    else pa.array(col(value, np.float64)),
                    "detail": pa.nulls(n, pa.string())
                    if detail is None
                    else pa.array([str(d) for d in col(detail, object)], pa.string()),
                },
                schema=EVENT_SCHEMA,
            )
        )

    def __len__(self) -> int:
        return sum(c.num_rows for c in self._chunks)

    def table(self) -> pa.Table:
        """All events as one table, sorted by time, then kind, then object."""
        if not self._chunks:
            return EVENT_SCHEMA.empty_table()
        table = pa.concat_tables(self._chunks)
        return table.sort_by(
            [("t", "ascending"), ("kind", "ascending"), ("object_id", "ascending")]
        )

    def count(self, kind: EventKind) -> int:
        """Number of events of one kind."""
        return sum(
            int(np.count_nonzero(c.column("kind").to_numpy(zero_copy_only=False) == str(kind)))
            for c in self._chunks
        )
