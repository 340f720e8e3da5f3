"""The browser replay: one self-contained ``replay.html`` per run, and a local server for it.

``write_replay(run_dir)`` reads the run's record only (ARCHITECTURE.md: replay reads the log,
never the simulator's internals), through :class:`~airdefense.record.reader.RunReader`: the
scene, truth, plots and events through :func:`airdefense.report.rundata.load_run`, plus what
the report does not need: every track row with its status and velocity, the identity calls
(``events_identified``), the tracks' lifecycle events, and every interceptor as recorded
(``interceptors``) on the path it flew (``interceptor_paths``). It writes one HTML page with
an animated plan view and altitude profile drawn on canvases by inline vanilla JavaScript
(``replay.js``, ``replay.css`` beside this module): no network request at all. The data are
embedded as JSON of quantised integer columns, delta-coded where rows follow one another in
time, which keeps the default scenario's page well under 5 MB.

``serve(run_dir, port)`` makes an HTTP server bound to 127.0.0.1 only, for ``airdefense
replay``: it serves that run's ``replay.html`` and nothing else of the directory (no listing,
no database, no symbolic link), only to requests that name this machine in their Host header
(a page of another site cannot read it through DNS rebinding), GET and HEAD only, from a
fixed pool of threads, closing connections idle for 10 s.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import selectors
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from html import escape
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
from numpy.typing import NDArray

from airdefense.errors import AirdefenseError
from airdefense.files import write_atomic
from airdefense.geo import Frame
from airdefense.record.reader import (
    ColumnDict,
    RunReader,
    RunReadError,
    reading,
)
from airdefense.report.rundata import RunData, _stride_keep, _take, load_run

REPLAY_NAME = "replay.html"

#: Above this many rows of truth, plots or tracks, a deterministic stride subsample is embedded
#: (each line keeps its ends). The default scenario has ~35,000 truth rows: nothing is dropped.
MAX_POINTS = 200_000

#: Quantisation of the embedded numbers (tracks, truth, plots and interceptor paths): time in
#: 0.1 s, plan positions in 10 m, heights in 1 m, velocities in 1 m/s. Finer than anything
#: the page can show.
Q_T_S = 0.1
Q_XY_M = 10.0
Q_H_M = 1.0
Q_V_MPS = 1.0

#: Identity codes shared with replay.js (the identified events' ``identity``).
IDENTITIES = ("unknown", "civil", "friend", "hostile")
#: Track status codes shared with replay.js (the tracks table's ``status``).
STATUSES = ("tentative", "confirmed", "coasting")
#: Event kinds drawn as markers.
EVENT_KINDS = ("kill", "miss", "leak", "asset_hit")

#: Mean Earth radius, for heights when the run has no frame origin (z + r^2 / 2R).
_EARTH_R_M = 6_371_000.0


class ReplayError(AirdefenseError):
    """The run directory cannot be replayed (missing, not a run, not writable)."""


def _asset_text(name: str) -> str:
    return resources.files("airdefense.report").joinpath(name).read_text(encoding="utf-8")


def _ints(values: NDArray[Any], quantum: float) -> NDArray[np.int64]:
    """Values rounded to integer multiples of ``quantum`` (NULL/NaN -> 0)."""
    v = np.asarray(values, dtype=np.float64) / quantum
    return np.rint(np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)).astype(np.int64)


def _delta(values: NDArray[Any], quantum: float) -> list[int]:
    """Quantised values as a delta-coded list (the page sums them back)."""
    q = _ints(values, quantum)
    return np.diff(q, prepend=np.int64(0)).tolist() if q.size else []


def _plain(values: NDArray[Any], quantum: float) -> list[int]:
    return _ints(values, quantum).tolist()


def _round(v: Any, digits: int = 1) -> float | None:
    """A finite float rounded for JSON, or None."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, digits) if math.isfinite(f) else None


def _frame(meta: dict[str, str]) -> Frame | None:
    try:
        return Frame.from_degrees(
            float(meta["origin_lat_deg"]),
            float(meta["origin_lon_deg"]),
            float(meta.get("origin_alt_m", 0.0)),
        )
    except (KeyError, ValueError):
        return None


def _heights(frame: Frame | None, x: NDArray[Any], y: NDArray[Any], z: NDArray[Any]) -> Any:
    """Height above the ellipsoid of ENU positions (exact with a frame; else z + r^2 / 2R)."""
    x, y, z = (np.asarray(a, dtype=np.float64) for a in (x, y, z))
    if x.size == 0:
        return np.zeros(0)
    if frame is None:
        return z + (x * x + y * y) / (2.0 * _EARTH_R_M)
    return frame.height_m(np.column_stack([x, y, z]))


def _index(values: list[str], table: dict[str, int], v: Any) -> int:
    """Index of a string in a growing lookup list (for compact categorical columns)."""
    key = "" if v is None else str(v)
    if key not in table:
        table[key] = len(values)
        values.append(key)
    return table[key]


def _group_counts(ids: NDArray[Any], keys: NDArray[Any]) -> list[int]:
    """Rows per key for rows sorted by id (keys sorted; ids absent from keys are dropped)."""
    if keys.size == 0:
        return []
    left = np.searchsorted(ids, keys, side="left")
    right = np.searchsorted(ids, keys, side="right")
    return (right - left).tolist()


def replay_data(run: RunReader | str | Path, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """Read a run (its directory, or a reader already open) into the JSON-able dict the page
    draws (deterministic). Raises RunReadError when it is not a readable run."""
    with reading(run) as reader:
        return _assemble(
            load_run(reader, max_points=max_points), _replay_tables(reader, max_points)
        )


def _replay_tables(run: RunReader, max_points: int) -> dict[str, ColumnDict]:
    """What the replay needs beyond the report's data: tracks, identities, interceptors."""
    tracks = run.columns(
        "SELECT t, track_id, x, y, z, vx, vy, vz, status FROM tracks "
        "ORDER BY track_id, t, status, x, y, z"
    )
    tracks = _take(tracks, _stride_keep(tracks["track_id"].astype(np.int64), max_points))
    return {
        "tracks": tracks,
        "identified": run.columns(
            "SELECT t, track_id, identity FROM events_identified WHERE track_id >= 0 "
            "ORDER BY track_id, t, identity"
        ),
        "lifecycle": run.columns(
            "SELECT track_id, min(t) FILTER (WHERE kind = 'track_confirmed') AS confirmed_t, "
            "max(t) FILTER (WHERE kind = 'track_dropped') AS dropped_t FROM events "
            "WHERE kind IN ('track_confirmed', 'track_dropped') AND track_id >= 0 "
            "GROUP BY track_id ORDER BY track_id"
        ),
        "track_truth": run.columns(
            """
            WITH c AS (SELECT track_id, truth_id, count(*) AS n FROM tracks
                       WHERE truth_id >= 0 GROUP BY track_id, truth_id)
            SELECT track_id, truth_id FROM c
            QUALIFY row_number() OVER (PARTITION BY track_id ORDER BY n DESC, truth_id) = 1
            ORDER BY track_id
            """
        ),
        # one row per interceptor, in launch order, and the path each flew
        "shots": run.columns(
            "SELECT interceptor_id, launch_t, battery, missile, track_id, object_id, "
            "end_track_id, end_object_id, end_t, end_reason, miss_m "
            "FROM interceptors ORDER BY interceptor_id"
        ),
        "paths": run.columns(
            "SELECT interceptor_id, t, x, y, z FROM interceptor_paths ORDER BY interceptor_id, t"
        ),
    }


def _assemble(run: RunData, extra: dict[str, ColumnDict]) -> dict[str, Any]:
    frame = _frame(run.meta)
    objects = run.objects
    oid = objects["object_id"].astype(np.int64)
    categories: list[str] = []
    cat_idx: dict[str, int] = {}
    duration = _round(run.meta.get("duration_s"), 3)
    if duration is None:  # a run without its meta: as long as its rows
        ends = [float(np.nanmax(a)) for a in (run.truth["t"], extra["tracks"]["t"]) if a.size]
        duration = round(max(ends, default=0.0), 3)

    # truth is grouped by object; rows of an object the objects table lacks cannot be drawn
    truth = _take(run.truth, np.isin(run.truth["object_id"].astype(np.int64), oid))
    tr_h = truth["alt_m"].astype(np.float64)
    missing = ~np.isfinite(tr_h)
    if missing.any():
        tr_h = tr_h.copy()
        tr_h[missing] = _heights(
            frame, truth["x"][missing], truth["y"][missing], truth["z"][missing]
        )
    det = run.detections
    sensors = run.sensors
    sensor_ids = sensors["sensor_id"].astype(np.int64)
    tracks = extra["tracks"]
    track_ids = np.unique(tracks["track_id"].astype(np.int64))
    obj_index = _object_index(oid)
    ext = _extent(run, tracks)

    data: dict[str, Any] = {
        "version": 2,  # 2: interceptors on their recorded paths
        "scenario": run.meta.get("scenario", "run"),
        "description": run.meta.get("description", ""),
        "seed": run.meta.get("seed", ""),
        "trial": run.meta.get("trial", ""),
        "duration": duration,
        "q": {"t": Q_T_S, "xy": Q_XY_M, "h": Q_H_M, "v": Q_V_MPS},
        "identities": list(IDENTITIES),
        "statuses": list(STATUSES),
        "extent": ext,
        "assets": [
            {
                "name": str(n),
                "x": _round(x, 0),
                "y": _round(y, 0),
                "r": _round(r, 0),
            }
            for n, x, y, r in zip(
                run.assets["name"],
                run.assets["x"],
                run.assets["y"],
                run.assets["radius_m"],
                strict=True,
            )
        ],
        "sensors": [
            {
                "id": int(i),
                "name": str(n),
                "role": "" if role is None else str(role),
                "preset": str(p),
                "x": _round(x, 0),
                "y": _round(y, 0),
                "range": _round(rng, 0),
                "boresight": _round(b, 4),
                "width": _round(w, 4),
                "scan": "" if scan is None else str(scan),
                "period": _round(per, 2),
            }
            for i, n, role, p, x, y, rng, b, w, scan, per in zip(
                sensors["sensor_id"],
                sensors["name"],
                sensors["role"],
                sensors["preset"],
                sensors["x"],
                sensors["y"],
                sensors["max_range_m"],
                sensors["boresight_rad"],
                sensors["sector_width_rad"],
                sensors["scan"],
                sensors["scan_period_s"],
                strict=True,
            )
        ],
        "batteries": _batteries(run),
        "objects": {
            "id": oid.tolist(),
            "name": [str(v) for v in objects["name"]],
            "cat": [_index(categories, cat_idx, v) for v in objects["category"]],
            "hostile": [int(bool(v)) for v in objects["hostile"]],
            "start": [_round(v, 1) for v in objects["start_s"]],
            "end": [_round(v, 1) for v in objects["end_s"]],
            "reason": ["" if v is None else str(v) for v in objects["end_reason"]],
        },
        "categories": categories,
        "truth": {
            "n": _group_counts(truth["object_id"].astype(np.int64), oid),
            "t": _delta(truth["t"], Q_T_S),
            "x": _delta(truth["x"], Q_XY_M),
            "y": _delta(truth["y"], Q_XY_M),
            "h": _delta(tr_h, Q_H_M),
        },
        "plots": {
            "t": _delta(det["t"], Q_T_S),
            "x": _plain(det["x"], Q_XY_M),
            "y": _plain(det["y"], Q_XY_M),
            "h": _plain(_heights(frame, det["x"], det["y"], det["z"]), Q_H_M),
            "s": np.searchsorted(sensor_ids, det["sensor_id"].astype(np.int64)).tolist()
            if sensor_ids.size
            else [],
            "fa": (det["truth_id"].astype(np.int64) < 0).astype(np.int64).tolist(),
            "total": run.detection_rows,
        },
        "plotPersist": _plot_persistence(sensors),
        "tracks": _tracks(tracks, track_ids, extra, frame, oid),
        "shots": _shots(extra["shots"], extra["paths"], frame, obj_index),
        "events": _events(run, frame, obj_index),
    }
    return data


def _plot_persistence(sensors: ColumnDict) -> float:
    """How long a plot stays on the screen: the longest scan period (at least 2 s, at most 12)."""
    per = sensors["scan_period_s"].astype(np.float64)
    per = per[np.isfinite(per) & (per > 0)]
    return float(np.clip(per.max(), 2.0, 12.0)) if per.size else 10.0


def _tracks(
    tracks: ColumnDict,
    track_ids: NDArray[np.int64],
    extra: dict[str, ColumnDict],
    frame: Frame | None,
    oid: NDArray[np.int64],
) -> dict[str, Any]:
    """Track rows grouped by track, with each row's status and identity at that time."""
    tid = tracks["track_id"].astype(np.int64)
    t = tracks["t"].astype(np.float64)
    status_code = {s: i for i, s in enumerate(STATUSES)}
    st = np.array([status_code.get(str(s), 1) for s in tracks["status"]], dtype=np.int64)
    # identity at each row: the latest identified event of that track at or before the row
    ident = np.zeros(t.size, dtype=np.int64)
    ev = extra["identified"]
    ev_tid = ev["track_id"].astype(np.int64)
    ev_t = ev["t"].astype(np.float64)
    code = {s: i for i, s in enumerate(IDENTITIES)}
    ev_code = np.array([code.get(str(d), 0) for d in ev["identity"]], dtype=np.int64)
    starts = np.searchsorted(tid, track_ids, side="left")
    ends = np.searchsorted(tid, track_ids, side="right")
    history: list[list[Any]] = []
    for k, tr in enumerate(track_ids.tolist()):
        lo, hi = np.searchsorted(ev_tid, [tr, tr + 1])
        if hi <= lo:
            history.append([])
            continue
        et, ec = ev_t[lo:hi], ev_code[lo:hi]
        a, b = starts[k], ends[k]
        j = np.searchsorted(et, t[a:b] + 1e-6, side="right") - 1
        ident[a:b] = np.where(j >= 0, ec[np.maximum(j, 0)], 0)
        history.append([[_round(x, 1), int(c)] for x, c in zip(et, ec, strict=True)])
    life = extra["lifecycle"]
    life_tid = life["track_id"].astype(np.int64)
    confirmed = np.full(track_ids.size, np.nan)
    dropped = np.full(track_ids.size, np.nan)
    if life_tid.size:
        p = np.minimum(np.searchsorted(life_tid, track_ids), life_tid.size - 1)
        hit = life_tid[p] == track_ids
        confirmed[hit] = life["confirmed_t"][p[hit]].astype(np.float64)
        dropped[hit] = life["dropped_t"][p[hit]].astype(np.float64)
    tt = extra["track_truth"]
    tt_tid = tt["track_id"].astype(np.int64)
    truth_obj = np.full(track_ids.size, -1, dtype=np.int64)
    if tt_tid.size and oid.size:  # a track on no listed object is on none
        p = np.minimum(np.searchsorted(tt_tid, track_ids), tt_tid.size - 1)
        hit = tt_tid[p] == track_ids
        obj = tt["truth_id"].astype(np.int64)[p]
        k = np.searchsorted(oid, obj)
        ok = hit & (k < oid.size) & (oid[np.minimum(k, oid.size - 1)] == obj)
        truth_obj[ok] = k[ok]
    h = _heights(frame, tracks["x"], tracks["y"], tracks["z"])
    return {
        "id": track_ids.tolist(),
        "n": (ends - starts).tolist(),
        "confirmed": [_round(v, 1) for v in confirmed],
        "dropped": [_round(v, 1) for v in dropped],
        "truth": truth_obj.tolist(),
        "identity": history,
        "t": _delta(t, Q_T_S),
        "x": _delta(tracks["x"], Q_XY_M),
        "y": _delta(tracks["y"], Q_XY_M),
        "h": _delta(h, Q_H_M),
        "vx": _plain(tracks["vx"], Q_V_MPS),
        "vy": _plain(tracks["vy"], Q_V_MPS),
        "vh": _plain(tracks["vz"], Q_V_MPS),
        "st": st.tolist(),
        "idn": ident.tolist(),
    }


#: Object ids -> their rows in the embedded objects table (-1: not in it).
ObjectIndex = Callable[[NDArray[np.int64]], list[int]]


def _object_index(oid: NDArray[np.int64]) -> ObjectIndex:
    """A function from object ids to their rows in the objects table (-1: not in it)."""

    def index(o: NDArray[np.int64]) -> list[int]:
        if oid.size == 0:
            return [-1] * o.size
        p = np.minimum(np.searchsorted(oid, o), oid.size - 1)
        return np.where(oid[p] == o, p, -1).tolist()

    return index


def _shots(
    shots: ColumnDict, paths: ColumnDict, frame: Frame | None, obj_index: ObjectIndex
) -> dict[str, Any]:
    """Every interceptor as recorded: launched when, by which battery, at which track (and
    the track it was guided on at its end), how and when it ended and its miss distance,
    and the path it flew (``interceptor_paths``, quantised and delta-coded like the truth).
    ``t1`` is its last path sample: the page draws it from ``t0`` to then."""
    ids = shots["interceptor_id"].astype(np.int64)
    path_id = paths["interceptor_id"].astype(np.int64)
    keep = np.isin(path_id, ids)  # a path row without its interceptor cannot be drawn
    path_id = path_id[keep]
    path = {k: v[keep] for k, v in paths.items()}
    n = _group_counts(path_id, ids)
    counts = np.asarray(n, dtype=np.int64)
    path_t = path["t"].astype(np.float64)
    t1 = np.full(ids.size, np.nan)
    flown = counts > 0
    t1[flown] = path_t[np.cumsum(counts)[flown] - 1]
    names: dict[str, list[str]] = {"missiles": [], "batteryNames": [], "outcomes": []}
    lookup: dict[str, dict[str, int]] = {k: {} for k in names}

    def codes(key: str, values: NDArray[Any]) -> list[int]:
        return [_index(names[key], lookup[key], v) for v in values]

    return {
        "id": ids.tolist(),
        "t0": [_round(v, 1) for v in shots["launch_t"]],
        "t1": [_round(v, 1) for v in t1],
        "end": [_round(v, 1) for v in shots["end_t"]],
        "track": _int_col(shots["track_id"]).tolist(),
        "endTrack": _int_col(shots["end_track_id"]).tolist(),
        "obj": obj_index(_int_col(shots["object_id"])),
        "endObj": obj_index(_int_col(shots["end_object_id"])),
        "missile": codes("missiles", shots["missile"]),
        "battery": codes("batteryNames", shots["battery"]),
        "outcome": codes("outcomes", shots["end_reason"]),
        "miss": [_round(v, 1) for v in shots["miss_m"]],
        **names,
        "path": {
            "n": n,
            "t": _delta(path_t, Q_T_S),
            "x": _delta(path["x"], Q_XY_M),
            "y": _delta(path["y"], Q_XY_M),
            "h": _delta(_heights(frame, path["x"], path["y"], path["z"]), Q_H_M),
        },
    }


def _events(run: RunData, frame: Frame | None, obj_index: ObjectIndex) -> dict[str, Any]:
    """The kill, miss, leak and asset-hit markers (where they happened), each with its
    interceptor (kill, miss) and a short note: the missile and miss distance, the leak's
    reason, the asset's name."""
    ev = run.engage_events
    kind = np.asarray([str(k) for k in ev["kind"]], dtype=object)
    x, y, z = (ev[c].astype(np.float64) for c in ("x", "y", "z"))
    marks = np.flatnonzero(np.isin(kind, EVENT_KINDS) & np.isfinite(x) & np.isfinite(y))
    h = _heights(frame, x[marks], y[marks], np.nan_to_num(z[marks]))
    assets = {
        int(a): str(name)
        for a, name in zip(run.assets["asset_id"], run.assets["name"], strict=True)
    }

    def note(j: int) -> str:
        if kind[j] in ("kill", "miss"):
            miss = _round(ev["miss_m"][j], 1)
            return f"{ev['missile'][j]} #{int(ev['interceptor_id'][j])}" + (
                f", miss {miss:g} m" if miss is not None else ""
            )
        if kind[j] == "asset_hit":
            return assets.get(int(ev["asset_id"][j]), f"asset {ev['asset_id'][j]}")
        return "" if ev["reason"][j] is None else str(ev["reason"][j])

    return {
        "kinds": list(EVENT_KINDS),
        "t": [_round(v, 1) for v in ev["t"][marks]],
        "k": [EVENT_KINDS.index(str(kind[j])) for j in marks],
        "x": _plain(x[marks], Q_XY_M),
        "y": _plain(y[marks], Q_XY_M),
        "h": _plain(h, Q_H_M),
        "obj": obj_index(_int_col(ev["object_id"][marks])),
        "track": _int_col(ev["track_id"][marks]).tolist(),
        "shot": _int_col(ev["interceptor_id"][marks]).tolist(),
        "note": [note(j) for j in marks.tolist()],
    }


def _batteries(run: RunData) -> list[dict[str, Any]]:
    """Every battery at its site, with what it carries and fired: the batteries table's
    (every battery, whether it fired or not), else (a run written without that table)
    each battery that fired, at its first launch site.

    Each battery has its name, site and, from the batteries table, its preset, launchers,
    channels and timings; each missile type its rounds loaded, fired and left, ranges,
    altitudes, price and the reach the report rings (flyout table, else max range)."""
    out: dict[str, dict[str, Any]] = {}
    b = run.battery_sites
    for i in range(b["battery"].shape[0]):
        name = str(b["battery"][i])
        entry = out.setdefault(
            name,
            {
                "name": name,
                "x": _round(b["x"][i], 0),
                "y": _round(b["y"][i], 0),
                "carried": bool(b["carried"][i]),
                "missiles": [],
            },
        )
        entry["missiles"].append(
            {
                "name": str(b["missile"][i]),
                "reach": _round(b["reach_m"][i], 0),
                "reachFrom": "" if b["reach_from"][i] is None else str(b["reach_from"][i]),
            }
        )
    fired: dict[tuple[str, str], int] = {}
    for key in zip(run.engagements["battery"], run.engagements["missile"], strict=True):
        fired[(str(key[0]), str(key[1]))] = fired.get((str(key[0]), str(key[1])), 0) + 1
    raw = run.batteries
    rows: dict[tuple[str, str], int] = {}
    for i in range(raw["battery"].shape[0]):
        rows.setdefault((str(raw["battery"][i]), str(raw["missile"][i])), i)
        entry = out.get(str(raw["battery"][i]))
        if entry is None or "preset" in entry:
            continue
        entry.update(
            preset=str(raw["preset"][i]),
            lat=_round(raw["lat_deg"][i], 5),
            lon=_round(raw["lon_deg"][i], 5),
            alt=_round(raw["alt_m"][i], 0),
            launchers=_count(raw["launchers"][i]),
            targetChannels=_count(raw["target_channels"][i]),
            missileChannels=_count(raw["missile_channels"][i]),
            interval=_round(raw["launch_interval_s"][i], 2),
            reaction=_round(raw["reaction_time_s"][i], 2),
        )
    for name, entry in out.items():
        known = {m["name"] for m in entry["missiles"]}
        for bat, missile in sorted(fired):  # fired types the table lacks
            if bat == name and missile not in known:
                entry["missiles"].append({"name": missile, "reach": None, "reachFrom": ""})
        for m in entry["missiles"]:
            m["fired"] = fired.get((name, m["name"]), 0)
            i = rows.get((name, m["name"]))
            if i is None:
                continue
            m.update(
                loaded=_count(raw["rounds_loaded"][i]),
                left=_count(raw["rounds_left"][i]),
                minRange=_round(raw["min_range_m"][i], 0),
                maxRange=_round(raw["max_range_m"][i], 0),
                minAlt=_round(raw["min_altitude_m"][i], 0),
                maxAlt=_round(raw["max_altitude_m"][i], 0),
                cost=_round(raw["cost_usd"][i], 0),
            )
    return list(out.values())


def _count(v: Any) -> int | None:
    """An integer for JSON, or None."""
    f = _round(v, 0)
    return None if f is None else int(f)


def _int_col(values: NDArray[Any]) -> NDArray[np.int64]:
    """An integer column with NULL as -1."""
    v = np.array([-1 if x is None else x for x in values], dtype=np.float64)
    return np.nan_to_num(v, nan=-1.0).astype(np.int64)


def _extent(run: RunData, tracks: ColumnDict) -> dict[str, float]:
    """The plan view's initial box (ENU m) and the profile's axes: where the battle is.

    The box holds every site (assets, radars, batteries), every threat's whole path, and the central 90 % of the civil
    traffic's and tracks' positions (airliners crossing the whole area would otherwise
    shrink the battle to a dot); the profile's ground range reaches the farthest of those,
    its height the highest object.
    """
    truth = run.truth
    oid = run.objects["object_id"].astype(np.int64)
    hostile_ids = oid[run.objects["hostile"].astype(bool)]
    t_obj = truth["object_id"].astype(np.int64)
    threat = np.isin(t_obj, hostile_ids)
    sites = run.battery_sites
    parts_x = [run.assets["x"], run.sensors["x"], sites["x"], truth["x"][threat]]
    parts_y = [run.assets["y"], run.sensors["y"], sites["y"], truth["y"][threat]]
    for cx, cy in ((truth["x"][~threat], truth["y"][~threat]), (tracks["x"], tracks["y"])):
        cx, cy = np.asarray(cx, dtype=np.float64), np.asarray(cy, dtype=np.float64)
        ok = np.isfinite(cx) & np.isfinite(cy)
        if ok.any():
            parts_x.append(np.percentile(cx[ok], [5.0, 95.0]))
            parts_y.append(np.percentile(cy[ok], [5.0, 95.0]))
    x = np.concatenate([np.asarray(a, dtype=np.float64) for a in parts_x])
    y = np.concatenate([np.asarray(a, dtype=np.float64) for a in parts_y])
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size == 0:
        x = y = np.array([-50_000.0, 50_000.0])
    r = np.hypot(x, y)
    h = np.asarray(truth["alt_m"], dtype=np.float64)
    h = h[np.isfinite(h)]
    return {
        "xmin": round(float(x.min()), -2),
        "xmax": round(float(x.max()), -2),
        "ymin": round(float(y.min()), -2),
        "ymax": round(float(y.max()), -2),
        "rmax": round(float(r.max()) * 1.02 + 1_000.0, -2),
        "hmax": round(max(float(h.max()) if h.size else 0.0, 1_000.0) * 1.1, -1),
    }


def render_replay(data: dict[str, Any]) -> str:
    """The replay page: HTML with the style, the script and the data inline."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # nothing in the JSON may close the script element or open a comment
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    name = escape(str(data.get("scenario", "run")))
    layers = "".join(
        f'<label title="{escape(tip)}"><input type="checkbox" id="layer-{key}"'
        f"{' checked' if on else ''}> {escape(label)}</label>"
        for key, label, on, tip in _LAYERS
    )
    speeds = "".join(
        f'<option value="{s}"{" selected" if s == 10 else ""}>{s}×</option>'
        for s in (1, 2, 5, 10, 20, 50, 100)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{name}: airdefense replay</title>"
        f"<style>{_asset_text('replay.css')}</style></head><body>"
        '<header><div class="head">'
        f'<h1>{name}</h1><span class="sub" id="subtitle"></span></div>'
        '<div class="controls">'
        '<button id="play" type="button" title="Play / pause (space)">▶ Play</button>'
        f'<label class="speed">speed <select id="speed">{speeds}</select></label>'
        f'<input id="scrubber" type="range" min="0" max="{data.get("duration", 0)}" '
        'step="0.1" value="0" aria-label="time">'
        '<output id="clock">T+00:00.0</output></div>'
        f'<div class="layers">{layers}</div></header>'
        '<main><div id="views">'
        '<div id="plan-wrap"><canvas id="plan" aria-label="plan view"></canvas>'
        '<div id="legend"></div></div>'
        '<div id="profile-wrap"><canvas id="profile" aria-label="altitude profile"></canvas>'
        "</div></div>"
        '<aside id="details" hidden><button id="details-close" type="button" '
        'title="Close">×</button><div id="details-body"></div></aside></main>'
        '<footer><span id="status"></span><span class="hint">drag to pan · wheel to zoom · '
        "double-click to reset · click a track or battery for details · space plays/pauses · "
        "← → step 5 s</span></footer>"
        f'<script type="application/json" id="replay-data">{payload}</script>'
        f"<script>{_asset_text('replay.js')}</script>"
        "</body></html>\n"
    )


#: Layer switches: (key, label, on by default, tooltip). ``#layer-<key>`` in the page.
_LAYERS = (
    ("truth", "truth", True, "where every object really is, with its last minute of path"),
    ("plots", "plots", True, "radar plots of the last scan period, false alarms included"),
    ("tracks", "tracks", True, "confirmed and coasting tracks: symbol by identity, 60 s leader"),
    ("tentative", "tentative", False, "tentative tracks (not yet confirmed)"),
    ("labels", "labels", True, "track numbers"),
    ("trails", "trails", True, "the last minute of each track's path"),
    ("interceptors", "interceptors", True, "interceptors in flight, from their launch site"),
    ("events", "events", True, "kills, misses, leaks and asset hits"),
    ("sites", "sites", True, "defended assets, radars with their range, batteries"),
)


def write_replay(run_dir: Path) -> Path:
    """Read the run in ``run_dir`` and write ``run_dir/replay.html``; return its path.

    Written to a temporary file beside the target and renamed over it, so a crash never
    leaves a half-written page. Raises RunReadError (one line) when ``run_dir`` is not a
    readable run.
    """
    run_dir = Path(run_dir)
    page = render_replay(replay_data(run_dir)).encode("utf-8")
    target = run_dir / REPLAY_NAME
    write_atomic(target, page)
    return target


def ensure_replay(run_dir: Path) -> Path:
    """``run_dir/replay.html``, written first if it is missing (runs from older versions);
    ReplayError (one line) when ``run_dir`` is not a run directory, or its run cannot be
    read (the reader checks it even when the page is there: a damaged run is not served)."""
    run_dir = Path(run_dir)
    target = run_dir / REPLAY_NAME
    try:
        with RunReader(run_dir) as run:
            if not target.is_file():
                page = render_replay(replay_data(run)).encode("utf-8")
                write_atomic(target, page)
    except RunReadError as exc:
        raise ReplayError(exc.message, source=exc.source, field=exc.field) from None
    except OSError as exc:
        raise ReplayError(f"{target}: cannot write ({exc.strerror or exc})") from None
    return target


#: The files the server serves from the run directory: the replay page, which embeds its data.
SERVED = (REPLAY_NAME,)
#: Host headers the server answers (with its own port): anything else may be another site
#: reaching it through DNS rebinding.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
#: Seconds a connection may stay silent (or stall a reply) before it is closed.
IDLE_TIMEOUT_S = 10.0
#: Worker threads answering requests; connections beyond them wait in a queue of at most
#: QUEUE_LIMIT (more are closed at once) behind a listen backlog of LISTEN_BACKLOG.
WORKERS = 16
QUEUE_LIMIT = 1024
LISTEN_BACKLOG = 512
_CHUNK = 64 * 1024


class _ReplayHandler(BaseHTTPRequestHandler):
    """Answers GET and HEAD for the files in :data:`SERVED` of one run directory, to a
    request naming this machine in its Host header; everything else is refused.

    No directory listing, no other file of the directory (``run.duckdb`` included), no
    symbolic link (the file is opened with ``O_NOFOLLOW`` and must be a regular file),
    405 for any other method, and nothing logged."""

    server: _Server
    server_version = "airdefense-replay"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout_s  # applied to the socket by setup()
        super().setup()

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _refuse_method(self) -> None:
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse_method

    def _answer(self, body: bool) -> None:
        if not self._host_ok():
            self.send_error(403, "Host not allowed: use 127.0.0.1 or localhost")
            return
        path = urlsplit(self.path).path
        if path == "/":
            self.send_response(302)
            self.send_header("Location", "/" + REPLAY_NAME)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        name = unquote(path[1:]) if path.startswith("/") else ""
        fd = self.server.open_served(name)
        if fd is None:
            self.send_error(404)
            return
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            if body:
                while chunk := fh.read(_CHUNK):
                    self.wfile.write(chunk)

    def _host_ok(self) -> bool:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1:
            return False
        port = self.server.server_address[1]
        return hosts[0].strip().lower() in {f"{h}:{port}" for h in LOCAL_HOSTS}


class _Server(HTTPServer):
    """An HTTP server on 127.0.0.1 that starts no thread per connection: one waiter thread
    holds the accepted connections until they send something (closing those silent for the
    idle timeout), and a fixed pool of daemon threads answers them (queued when all are busy,
    up to :data:`QUEUE_LIMIT` connections in all; more are closed at once). So neither many
    requests nor idle connections grow it, and an idle connection holds no worker. It stays
    silent when a browser drops a connection mid-reply (a cancelled load is no error)."""

    request_queue_size = LISTEN_BACKLOG
    allow_reuse_address = False

    def __init__(self, root: Path, port: int, idle_timeout_s: float, workers: int) -> None:
        self.root = root
        self.idle_timeout_s = idle_timeout_s
        self._ready: queue.Queue[tuple[Any, Any] | None] = queue.Queue()
        self._arrived: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()
        self._held = 0  # connections accepted and not yet closed
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)  # a full pipe already wakes the waiter
        self._threads: list[threading.Thread] = []
        super().__init__(("127.0.0.1", port), _ReplayHandler)  # closes itself if bind fails
        self._threads = [
            threading.Thread(
                target=self._wait,
                name=f"airdefense-replay-{self.server_address[1]}-waiter",
                daemon=True,
            ),
            *(
                threading.Thread(
                    target=self._work,
                    name=f"airdefense-replay-{self.server_address[1]}-{i}",
                    daemon=True,
                )
                for i in range(workers)
            ),
        ]
        for thread in self._threads:
            thread.start()

    def open_served(self, name: str) -> int | None:
        """A read-only descriptor of ``root/name`` if ``name`` is a served file that is a
        regular file in the run directory itself (not a link, a directory or a FIFO)."""
        if name not in SERVED:
            return None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.root / name, flags)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            real = Path(os.path.realpath(self.root / name))
            if stat.S_ISREG(st.st_mode) and real.parent == self.root:
                os.set_blocking(fd, True)
                return fd
        except OSError:
            pass
        os.close(fd)
        return None

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            full = self._held >= QUEUE_LIMIT
            if not full:
                self._held += 1
        if full:
            super().shutdown_request(request)
            return
        self._arrived.put((request, client_address))
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self._lock:
            self._held -= 1

    def _wait(self) -> None:
        """Hold connections until they are readable (then queue them for a worker) or have
        been silent for the idle timeout (then close them)."""
        deadlines: dict[Any, tuple[Any, float]] = {}
        with selectors.DefaultSelector() as sel:
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._closed.is_set():
                now = time.monotonic()
                soonest = min((d for _, d in deadlines.values()), default=now + 1.0)
                for key, _ in sel.select(max(min(soonest - now, 1.0), 0.0)):
                    if key.fileobj is self._wake_r:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(4096)
                        continue
                    sel.unregister(key.fileobj)
                    addr, _ = deadlines.pop(key.fileobj)
                    self._ready.put((key.fileobj, addr))
                while True:
                    try:
                        request, addr = self._arrived.get_nowait()
                    except queue.Empty:
                        break
                    sel.register(request, selectors.EVENT_READ)
                    deadlines[request] = (addr, time.monotonic() + self.idle_timeout_s)
                now = time.monotonic()
                for request in [r for r, (_, d) in deadlines.items() if d <= now]:
                    sel.unregister(request)
                    del deadlines[request]
                    self.shutdown_request(request)
        for request in deadlines:
            self.shutdown_request(request)

    def _work(self) -> None:
        while (item := self._ready.get()) is not None:
            request, client_address = item
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        """Stop listening, close the connections still waiting, and stop the threads."""
        super().server_close()
        self._closed.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        if self._threads:
            self._threads[0].join(5)
        self._wake_r.close()
        self._wake_w.close()
        while True:  # what was queued for a worker and not taken
            try:
                item = self._ready.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.shutdown_request(item[0])
        for _ in self._threads[1:]:
            self._ready.put(None)


def serve(
    run_dir: Path,
    port: int | None = None,
    *,
    idle_timeout_s: float = IDLE_TIMEOUT_S,
    workers: int = WORKERS,
) -> HTTPServer:
    """An HTTP server for the replay of ``run_dir``, bound to 127.0.0.1 only (port 0/None: a
    free one): it answers GET and HEAD for ``replay.html`` (``/`` redirects to it) to a
    request whose Host is ``localhost``, ``127.0.0.1`` or ``[::1]`` with its port, and
    nothing else; a connection silent for ``idle_timeout_s`` is closed.

    The caller runs ``serve_forever()`` and closes it; raises OSError when the port is taken.
    """
    root = Path(os.path.realpath(run_dir))
    return _Server(root, port or 0, idle_timeout_s, workers)
