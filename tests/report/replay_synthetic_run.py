"""Give a synthetic run (``report_synthetic_run.make_run``) a track picture for replay tests:
one track per object that has truth, following it with a little noise, tentative for its first
two updates and coasting on its last, identified hostile or civil, confirmed and dropped.

Track numbers follow the synthetic engage story (object 0 is track 1, object 2 is track 2, as
its engagements and events say); every other object ``o`` is track ``100 + o``. The batteries
are those of ``make_run`` (``BATTERIES``): B1 and B2 fire, B3 never does.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from report_synthetic_run import insert_events, make_run


def track_number(object_id: int) -> int:
    """The track that follows an object in these runs."""
    return {0: 1, 2: 2}.get(object_id, 100 + object_id)


def add_tracks(db: Path, *, every: int = 1, seed: int = 3) -> int:
    """Replace the run's tracks by one track per object (every ``every``-th truth row);
    add their identified / confirmed / dropped events. Returns the number of tracks."""
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(db))
    try:
        truth = con.sql(
            "SELECT t, object_id, x, y, z FROM truth ORDER BY object_id, t"
        ).to_arrow_table()
        hostile = dict(con.sql("SELECT object_id, hostile FROM objects").fetchall())
        story = {
            int(r[0])
            for r in con.sql(
                "SELECT DISTINCT object_id FROM events WHERE kind = 'identified'"
            ).fetchall()
        }
        t = truth["t"].to_numpy()
        oid = truth["object_id"].to_numpy().astype(np.int64)
        xyz = np.column_stack([truth[c].to_numpy() for c in ("x", "y", "z")])
        first = np.r_[True, oid[1:] != oid[:-1]]
        rank = np.arange(t.size) - np.maximum.accumulate(np.where(first, np.arange(t.size), 0))
        keep = rank % every == 0
        t, oid, xyz, first = t[keep], oid[keep], xyz[keep], first[keep]
        last = np.r_[oid[1:] != oid[:-1], True]
        xyz = xyz + rng.normal(0.0, 80.0, xyz.shape)
        vel = np.zeros_like(xyz)
        dt = np.diff(t)
        same = oid[1:] == oid[:-1]
        vel[1:][same] = np.diff(xyz, axis=0)[same] / dt[same, None]
        pos_in_track = np.arange(t.size) - np.maximum.accumulate(
            np.where(first, np.arange(t.size), 0)
        )
        status = np.where(pos_in_track < 2, "tentative", "confirmed").astype(object)
        status[last & (pos_in_track >= 2)] = "coasting"
        tid = np.array([track_number(int(o)) for o in oid], dtype=np.int32)
        rows = pa.table(  # noqa: F841 (scanned by name below)
            {
                "t": t,
                "track_id": tid,
                "x": xyz[:, 0],
                "y": xyz[:, 1],
                "z": xyz[:, 2],
                "vx": vel[:, 0],
                "vy": vel[:, 1],
                "vz": vel[:, 2],
                "status": status.astype(str),
                "sx": np.full(t.size, 80.0),
                "sy": np.full(t.size, 80.0),
                "sz": np.full(t.size, 120.0),
                "quality": np.full(t.size, 0.9),
                "truth_id": oid.astype(np.int32),
            }
        )
        con.execute("DELETE FROM tracks")
        con.execute("INSERT INTO tracks SELECT * FROM rows")
        events: list[dict[str, object]] = []
        starts = np.flatnonzero(first)
        ends = np.flatnonzero(last)
        for s, e in zip(starts, ends, strict=True):
            o, k = int(oid[s]), int(tid[s])
            if e - s < 2:
                continue
            t_conf = float(t[s + 2])
            ids = {"track_id": k, "object_id": o}
            if o not in story:
                where = dict(zip("xyz", xyz[s + 2].tolist(), strict=True))
                events.append({"t": t_conf, "kind": "track_confirmed", **ids, **where})
                events.append(
                    {"t": t_conf, "kind": "identified", **ids,
                     "identity": "hostile" if hostile[o] else "civil",
                     "previous_identity": "unknown",
                     "rule": "silent" if hostile[o] else "civil_reply",
                     "civil_replies": 0 if hostile[o] else 2, "friend_replies": 0,
                     "silent_run": 3 if hostile[o] else 0, "plan_hits": 0, "arc_updates": 0}
                )  # fmt: skip
            if not hostile[o]:
                where = dict(zip("xyz", xyz[e].tolist(), strict=True))
                events.append(
                    {"t": float(t[e]), "kind": "track_dropped", **ids, "reason": "missed", **where}
                )
        insert_events(con, events)
        return len(starts)
    finally:
        con.close()


def make_replay_run(run_dir: Path, **kwargs: object) -> Path:
    """A synthetic run with its engage story and a track per object; returns the database."""
    every = int(kwargs.pop("every", 1))  # type: ignore[call-overload]
    db = make_run(run_dir, **kwargs)  # type: ignore[arg-type]
    add_tracks(db, every=every)
    return db
