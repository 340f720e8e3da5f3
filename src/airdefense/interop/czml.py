"""A run as a CZML document that a Cesium viewer loads and plays (czml3 models).

Read from ``run.duckdb`` only. Positions in the database are ENU metres in the scenario's
frame (origin in the ``meta`` table); they are converted exactly to Earth-fixed (ECEF)
Cartesian metres with :class:`airdefense.geo.Frame` and written as time-tagged samples
(seconds since the document's epoch) in the ``FIXED`` reference frame.

Time: a scenario has no calendar date, only seconds since its start. The clock starts at the
run's ``start_utc`` meta value when there is one, and otherwise at the fixed epoch
:data:`DEFAULT_EPOCH`, 2000-01-01T12:00:00Z (noon UTC, so Europe and Africa are in daylight
in a viewer that lights the globe); the document packet's description says which.

Packets, after the document packet (clock: scenario start to start + duration):

- ``truth/<object_id>``: every object's true trajectory, one sample per truth row, with
  availability from its first to its last sample, a point and a trailing path coloured by
  category;
- ``track/<track_id>``: every track from its confirmation on (confirmed and coasting rows),
  labelled with its track number and coloured by its latest identity;
- ``interceptor/<n>``: every interceptor from launch to where it ended (its kill or miss
  event; else its planned intercept point). The flight itself is not recorded: it is drawn
  as a straight line from the launcher, timed along the way by the run's ``flyout`` table
  for its missile type (its speed along the way as the table has it);
- ``asset/<id>``, ``sensor/<id>``, ``battery/<name>``: fixed points with labels (assets with
  their radius).

Group packets (``truth``, ``tracks``, ...) are the parents of each kind, so a viewer's
entity list shows them as folders.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from czml3 import (
    CZML_VERSION,
    Clock,
    Color,
    Document,
    Ellipse,
    Label,
    Material,
    Packet,
    Point,
    PolylineMaterial,
    Position,
    SolidColorMaterial,
    TimeInterval,
)
from czml3 import (
    Path as CzmlPath,
)
from czml3.enums import ClockRanges, ClockSteps, HorizontalOrigins, LabelStyles, VerticalOrigins
from czml3.types import Cartesian2Value
from numpy.typing import NDArray

from airdefense.geo import Frame
from airdefense.record.export import OutputFiles

FloatArray = NDArray[np.float64]

#: The clock's start when the run records no calendar start (``meta.start_utc``).
DEFAULT_EPOCH = datetime(2000, 1, 1, 12, 0, 0, tzinfo=UTC)
#: The document's file name in the output directory.
CZML_NAME = "run.czml"
#: Samples along each interceptor's drawn flight.
INTERCEPTOR_SAMPLES = 16
#: Rounding of written coordinates (m) and times (s): centimetres and milliseconds.
_POS_DECIMALS = 2
_TIME_DECIMALS = 3

#: RGBA colours (0-255) of object categories, identities and fixed sites.
CATEGORY_RGBA: dict[str, list[int]] = {
    "ballistic": [192, 57, 43, 255],
    "cruise": [230, 126, 34, 255],
    "drone": [142, 68, 173, 255],
    "aircraft": [36, 113, 163, 255],
    "civil": [190, 190, 190, 255],
}
OTHER_RGBA = [125, 90, 60, 255]
IDENTITY_RGBA: dict[str, list[int]] = {
    "hostile": [255, 60, 60, 255],
    "civil": [90, 200, 255, 255],
    "friend": [90, 255, 120, 255],
}
TRACK_RGBA = [255, 255, 255, 255]
INTERCEPTOR_RGBA = [90, 170, 255, 255]
ASSET_RGBA = [245, 176, 65, 255]
SENSOR_RGBA = [39, 174, 96, 255]
BATTERY_RGBA = [26, 82, 118, 255]


@dataclass(frozen=True)
class _Run:
    """What the document is built from: the frame, the clock and a read-only connection."""

    con: duckdb.DuckDBPyConnection
    meta: dict[str, str]
    frame: Frame
    epoch: datetime
    epoch_documented: str  # how the epoch was chosen, for the document's description
    duration_s: float


def _meta_float(meta: dict[str, str], key: str, default: float) -> float:
    try:
        value = float(meta[key])
    except (KeyError, ValueError):
        return default
    return value if math.isfinite(value) else default


def _epoch(meta: dict[str, str]) -> tuple[datetime, str]:
    text = meta.get("start_utc", "").strip()
    if text:
        try:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            start = None
        if start is not None:
            start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
            return start, f"the run's start_utc ({text})"
    return DEFAULT_EPOCH, (
        "a fixed epoch chosen by airdefense: the scenario has no calendar date, so its time 0 "
        "is placed there"
    )


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, NDArray[Any]]:
    table = con.sql(sql).to_arrow_table()
    return {n: table[n].to_numpy(zero_copy_only=False) for n in table.column_names}


def _present(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.sql("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    return {str(r[0]) for r in rows}


def _blocks(keys: NDArray[Any]) -> Iterator[tuple[Any, slice]]:
    """(key, slice) of each run of equal keys in an array sorted by key."""
    n = keys.shape[0]
    if n == 0:
        return
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, n]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        yield keys[s], slice(s, e)


def _samples(t: FloatArray, ecef: FloatArray) -> tuple[list[float], float, float] | None:
    """Flat ``[t, X, Y, Z, ...]`` with strictly increasing (rounded) times; the first and
    last time; None when no finite sample is left."""
    ok = np.isfinite(t) & np.isfinite(ecef).all(axis=1)
    t = np.round(t[ok], _TIME_DECIMALS)
    ecef = np.round(ecef[ok], _POS_DECIMALS)
    if t.size == 0:
        return None
    keep = np.r_[t[1:] > t[:-1], True]  # of equal times keep the last (latest row)
    if not np.all(np.diff(t[keep]) > 0):  # not sorted: sort, then dedupe
        order = np.argsort(t, kind="stable")
        t, ecef = t[order], ecef[order]
        keep = np.r_[t[1:] > t[:-1], True]
    t, ecef = t[keep], ecef[keep]
    flat = np.column_stack([t, ecef]).ravel().tolist()
    return flat, float(t[0]), float(t[-1])


def _interval(run: _Run, t0: float, t1: float) -> TimeInterval:
    return TimeInterval(
        start=run.epoch + timedelta(seconds=t0), end=run.epoch + timedelta(seconds=t1)
    )


def _sampled_position(run: _Run, flat: list[float]) -> Position:
    return Position(epoch=run.epoch, cartesian=flat, referenceFrame="FIXED")


def _fixed_position(run: _Run, enu: FloatArray) -> Position:
    lat, lon, h = run.frame.enu_to_geodetic(enu)
    return Position(
        cartographicDegrees=[
            round(float(np.degrees(lon)), 9),
            round(float(np.degrees(lat)), 9),
            round(float(h), _POS_DECIMALS),
        ]
    )


def _color(rgba: list[int]) -> Color:
    return Color(rgba=list(rgba))


def _path_material(rgba: list[int]) -> PolylineMaterial:
    return PolylineMaterial(solidColor=SolidColorMaterial(color=_color(rgba)))


def _label(text: str, rgba: list[int], scale: float = 0.5) -> Label:
    return Label(
        text=text,
        font="24px sans-serif",
        scale=scale,
        fillColor=_color(rgba),
        outlineColor=_color([0, 0, 0, 255]),
        outlineWidth=2,
        style=LabelStyles.FILL_AND_OUTLINE,
        horizontalOrigin=HorizontalOrigins.LEFT,
        verticalOrigin=VerticalOrigins.CENTER,
        pixelOffset=Cartesian2Value(values=[8, 0]),
    )


def _describe(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows if v is not None
    )
    return f"<table>{cells}</table>"


def _num(v: Any, digits: int = 1) -> str | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f"{f:.{digits}f}" if math.isfinite(f) else None


# --- packets ---------------------------------------------------------------------------------


def _document_packet(run: _Run) -> Packet:
    name = run.meta.get("scenario", "airdefense run")
    desc = _describe(
        [
            ("scenario", name),
            ("description", run.meta.get("description")),
            ("seed", run.meta.get("seed")),
            ("trial", run.meta.get("trial")),
            ("duration (s)", _num(run.duration_s, 0)),
            (
                "frame origin",
                f"{run.meta.get('origin_lat_deg')}°, {run.meta.get('origin_lon_deg')}°, "
                f"{run.meta.get('origin_alt_m')} m (WGS-84)",
            ),
            ("scenario time 0", f"{run.epoch:%Y-%m-%dT%H:%M:%SZ}: {run.epoch_documented}"),
        ]
    )
    return Packet(
        id="document",
        name=name,
        version=CZML_VERSION,
        description=desc,
        clock=Clock(
            interval=_interval(run, 0.0, run.duration_s),
            currentTime=run.epoch,
            multiplier=10,
            range=ClockRanges.LOOP_STOP,
            step=ClockSteps.SYSTEM_CLOCK_MULTIPLIER,
        ),
    )


def _groups() -> list[Packet]:
    return [
        Packet(id="truth", name="Truth (objects' true trajectories)"),
        Packet(id="tracks", name="Tracks (confirmed and coasting)"),
        Packet(id="interceptors", name="Interceptors"),
        Packet(id="assets", name="Defended assets"),
        Packet(id="sensors", name="Radars"),
        Packet(id="batteries", name="Batteries"),
    ]


def _truth_packets(run: _Run) -> list[Packet]:
    objects = {
        int(r[0]): r
        for r in run.con.sql(
            "SELECT object_id, name, category, preset, hostile, start_s, end_s, end_reason "
            "FROM objects ORDER BY object_id"
        ).fetchall()
    }
    tr = _fetch(run.con, "SELECT object_id, t, x, y, z FROM truth ORDER BY object_id, t")
    enu = np.column_stack([tr["x"], tr["y"], tr["z"]]).astype(np.float64)
    ecef = run.frame.enu_to_ecef(enu) if enu.size else np.zeros((0, 3))
    t_all = tr["t"].astype(np.float64)
    packets = []
    for oid, sl in _blocks(tr["object_id"].astype(np.int64)):
        got = _samples(t_all[sl], ecef[sl])
        if got is None:
            continue
        flat, t0, t1 = got
        row = objects.get(int(oid))
        name, cat = (str(row[1]), str(row[2])) if row else (f"object {oid}", "?")
        rgba = CATEGORY_RGBA.get(cat, OTHER_RGBA)
        desc = _describe(
            [
                ("object", int(oid)),
                ("category", cat),
                ("preset", row[3] if row else None),
                ("hostile", row[4] if row else None),
                ("start (s)", _num(row[5]) if row else None),
                ("end (s)", _num(row[6]) if row else None),
                ("end", row[7] if row else None),
            ]
        )
        packets.append(
            Packet(
                id=f"truth/{int(oid)}",
                name=name,
                parent="truth",
                description=desc,
                availability=_interval(run, t0, t1),
                position=_sampled_position(run, flat),
                point=Point(pixelSize=6 if cat != "civil" else 4, color=_color(rgba)),
                path=CzmlPath(
                    width=1.5 if cat != "civil" else 1.0,
                    leadTime=0,
                    trailTime=600 if cat != "civil" else 300,
                    material=_path_material(rgba),
                ),
            )
        )
    return packets


def _track_packets(run: _Run) -> list[Packet]:
    tr = _fetch(
        run.con,
        "SELECT track_id, t, x, y, z FROM tracks WHERE status <> 'tentative' ORDER BY track_id, t",
    )
    identity = {
        int(tid): str(detail)
        for tid, detail in run.con.sql(
            "SELECT track_id, arg_max(detail, t) FROM events "
            "WHERE kind = 'identified' AND track_id >= 0 GROUP BY track_id"
        ).fetchall()
    }
    truth_of = {
        int(tid): int(oid)
        for tid, oid in run.con.sql(
            "SELECT track_id, mode(truth_id) FROM tracks "
            "WHERE status <> 'tentative' AND truth_id >= 0 GROUP BY track_id"
        ).fetchall()
    }
    enu = np.column_stack([tr["x"], tr["y"], tr["z"]]).astype(np.float64)
    ecef = run.frame.enu_to_ecef(enu) if enu.size else np.zeros((0, 3))
    t_all = tr["t"].astype(np.float64)
    packets = []
    for tid, sl in _blocks(tr["track_id"].astype(np.int64)):
        got = _samples(t_all[sl], ecef[sl])
        if got is None:
            continue
        flat, t0, t1 = got
        ident = identity.get(int(tid), "unknown")
        rgba = IDENTITY_RGBA.get(ident, TRACK_RGBA)
        packets.append(
            Packet(
                id=f"track/{int(tid)}",
                name=f"track {int(tid)}",
                parent="tracks",
                description=_describe(
                    [
                        ("track number", int(tid)),
                        ("identity (latest)", ident),
                        ("mostly updated by object", truth_of.get(int(tid))),
                        ("confirmed (s)", _num(t0)),
                        ("last update (s)", _num(t1)),
                    ]
                ),
                availability=_interval(run, t0, t1),
                position=_sampled_position(run, flat),
                point=Point(
                    pixelSize=5,
                    color=_color(rgba),
                    outlineColor=_color([0, 0, 0, 255]),
                    outlineWidth=1,
                ),
                label=_label(str(int(tid)), rgba),
            )
        )
    return packets


def _flyout_times(run: _Run) -> dict[str, tuple[FloatArray, FloatArray, FloatArray]]:
    """Per missile type: ground ranges (R,), heights (H,), flyout time (R, H), NaN where
    unreachable."""
    fo = _fetch(
        run.con,
        "SELECT missile, ground_range_m, height_m, time_s FROM flyout "
        "ORDER BY missile, ground_range_m, height_m",
    )
    out: dict[str, tuple[FloatArray, FloatArray, FloatArray]] = {}
    missiles = fo["missile"].astype(str)
    for m in sorted(set(missiles.tolist())):
        sel = missiles == m
        r = fo["ground_range_m"][sel].astype(np.float64)
        h = fo["height_m"][sel].astype(np.float64)
        t = fo["time_s"][sel].astype(np.float64)
        rs, hs = np.unique(r), np.unique(h)
        grid = np.full((rs.size, hs.size), np.nan)
        grid[np.searchsorted(rs, r), np.searchsorted(hs, h)] = t
        out[m] = (rs, hs, grid)
    return out


def flyout_fractions(
    table: tuple[FloatArray, FloatArray, FloatArray] | None,
    ground_m: FloatArray,
    height_m: FloatArray,
) -> FloatArray:
    """Share of the flight time spent reaching each point of a path (0 at the launcher,
    1 at its end), from the flyout table's time to (ground range, height), bilinear. Linear
    in the path's index where the table has no finite, increasing answer."""
    n = ground_m.shape[0]
    linear = np.linspace(0.0, 1.0, n)
    if table is None or n < 2:
        return linear
    from scipy.interpolate import RegularGridInterpolator

    rs, hs, grid = table
    if rs.size < 2 or hs.size < 2:
        return linear
    interp = RegularGridInterpolator((rs, hs), grid, bounds_error=False, fill_value=np.nan)
    pts = np.column_stack([np.clip(ground_m, rs[0], rs[-1]), np.clip(height_m, hs[0], hs[-1])])
    tau = interp(pts)
    tau[0] = 0.0  # at the launcher (the table's first cell is often unreachable: NaN)
    ok = np.isfinite(tau)
    if not ok[-1] or tau[-1] <= 0:
        return linear
    idx = np.arange(n)
    tau = np.interp(idx, idx[ok], tau[ok])  # bridge cells the table leaves NaN
    tau = np.maximum.accumulate(tau)
    if not np.all(np.diff(tau) > 0):
        return linear
    return tau / tau[-1]


@dataclass(frozen=True)
class Shot:
    """One interceptor: launched when and where, at what, and where and when it ended."""

    shot: int
    t_launch: float
    object_id: int
    track_id: int
    missile: str
    battery: str | None
    outcome: str | None
    start: FloatArray  # ENU
    t_end: float
    stop: FloatArray  # ENU
    ended: str | None  # "kill" | "miss" where it detonates, else None


def interceptor_shots(con: duckdb.DuckDBPyConnection) -> list[Shot]:
    """Every interceptor with where and when it ended: its kill or miss event (the earliest
    unused one of the same kind, target and missile after its launch), else the intercept
    point planned at its launch."""
    rows = con.sql(
        """
        SELECT CAST(l.value AS BIGINT) AS shot, l.t, l.object_id, l.track_id, l.x, l.y, l.z,
               substr(l.detail, 13) AS missile, e.battery, e.outcome
        FROM events l
        LEFT JOIN (SELECT rowid AS shot, battery, missile, outcome FROM engagements) e
          ON e.shot = CAST(l.value AS BIGINT) AND l.detail = 'interceptor ' || e.missile
        WHERE l.kind = 'launch' AND l.detail LIKE 'interceptor %'
          AND l.x IS NOT NULL AND l.y IS NOT NULL AND l.z IS NOT NULL AND l.value IS NOT NULL
        ORDER BY l.t, shot
        """
    ).fetchall()
    ends: dict[tuple[str, int, str], list[tuple[float, tuple[float, float, float]]]] = {}
    for t, kind, oid, missile, x, y, z in con.sql(
        "SELECT t, kind, object_id, detail, x, y, z FROM events WHERE kind IN ('kill', 'miss') "
        "AND x IS NOT NULL AND y IS NOT NULL AND z IS NOT NULL ORDER BY t, x, y, z"
    ).fetchall():
        ends.setdefault((str(kind), int(oid), str(missile)), []).append((float(t), (x, y, z)))
    planned: dict[tuple[int, int], list[tuple[float, float, tuple[float, float, float]]]] = {}
    for t, oid, tid, x, y, z, t_int in con.sql(
        "SELECT t, object_id, track_id, x, y, z, value FROM events "
        "WHERE kind = 'engagement_planned' AND x IS NOT NULL AND y IS NOT NULL "
        "AND z IS NOT NULL AND value IS NOT NULL ORDER BY t, x, y, z"
    ).fetchall():
        planned.setdefault((int(oid), int(tid)), []).append((float(t), float(t_int), (x, y, z)))
    out = []
    for shot, t_l, oid, tid, sx, sy, sz, missile, battery, outcome in rows:
        t_l = float(t_l)
        end: tuple[float, tuple[float, float, float]] | None = None
        ended = None
        if outcome in ("kill", "miss"):
            queue = ends.get((str(outcome), int(oid), str(missile)), [])
            for k, (t_e, _) in enumerate(queue):
                if t_e > t_l:
                    end = queue.pop(k)
                    ended = str(outcome)
                    break
        if end is None:
            for t_p, t_int, xyz in planned.get((int(oid), int(tid)), []):
                if t_p > t_l + 1e-6:
                    break
                if t_int > t_l:
                    end = (t_int, xyz)
        if end is None:
            continue
        out.append(
            Shot(
                shot=int(shot),
                t_launch=t_l,
                object_id=int(oid),
                track_id=int(tid),
                missile=str(missile),
                battery=None if battery is None else str(battery),
                outcome=None if outcome is None else str(outcome),
                start=np.array([sx, sy, sz], dtype=np.float64),
                t_end=float(end[0]),
                stop=np.array(end[1], dtype=np.float64),
                ended=ended,
            )
        )
    return out


def _interceptor_packets(run: _Run) -> tuple[list[Packet], list[Packet]]:
    """Interceptor packets and battery packets (launch sites)."""
    shots = interceptor_shots(run.con)
    if not shots:
        return [], []
    flyout = _flyout_times(run)
    packets: list[Packet] = []
    sites: dict[str, tuple[float, float, float]] = {}
    for s in shots:
        shot, t_l, oid, tid = s.shot, s.t_launch, s.object_id, s.track_id
        missile, battery, outcome = s.missile, s.battery, s.outcome
        start, t_end, stop = s.start, s.t_end, s.stop
        sx, sy, sz = start
        f = np.linspace(0.0, 1.0, INTERCEPTOR_SAMPLES)
        path = start + f[:, None] * (stop - start)[None, :]
        ground = np.asarray(run.frame.ground_range_m(start, path), dtype=np.float64)
        height = np.asarray(run.frame.height_m(path), dtype=np.float64)
        frac = flyout_fractions(flyout.get(str(missile)), ground, height)
        times = float(t_l) + frac * (t_end - float(t_l))
        got = _samples(times, run.frame.enu_to_ecef(path))
        if got is None:
            continue
        flat, t0, t1 = got
        name = f"{missile} #{int(shot)}" + (f" ({battery})" if battery else "")
        if battery:
            sites.setdefault(str(battery), (float(sx), float(sy), float(sz)))
        packets.append(
            Packet(
                id=f"interceptor/{int(shot)}",
                name=name,
                parent="interceptors",
                description=_describe(
                    [
                        ("missile", missile),
                        ("battery", battery),
                        ("launched (s)", _num(t_l)),
                        ("target object", int(oid)),
                        ("target track", int(tid)),
                        ("outcome", outcome),
                        ("ends (s)", _num(t_end)),
                    ]
                ),
                availability=_interval(run, t0, t1),
                position=_sampled_position(run, flat),
                point=Point(pixelSize=4, color=_color(INTERCEPTOR_RGBA)),
                path=CzmlPath(
                    width=1.0,
                    leadTime=0,
                    trailTime=120,
                    material=_path_material(INTERCEPTOR_RGBA),
                ),
            )
        )
    batteries = [
        Packet(
            id=f"battery/{name}",
            name=name,
            parent="batteries",
            position=_fixed_position(run, np.array(site)),
            point=Point(
                pixelSize=9,
                color=_color(BATTERY_RGBA),
                outlineColor=_color([255] * 4),
                outlineWidth=1,
            ),
            label=_label(name, [200, 225, 255, 255]),
        )
        for name, site in sorted(sites.items())
    ]
    return packets, batteries


def _site_packets(run: _Run) -> list[Packet]:
    out = []
    for aid, name, x, y, z, radius in run.con.sql(
        "SELECT asset_id, name, x, y, z, radius_m FROM assets ORDER BY asset_id, name"
    ).fetchall():
        if None in (x, y, z):
            continue
        r = float(radius) if radius is not None and float(radius) > 0 else None
        out.append(
            Packet(
                id=f"asset/{int(aid)}",
                name=str(name),
                parent="assets",
                description=_describe([("asset", int(aid)), ("radius (m)", _num(radius, 0))]),
                position=_fixed_position(run, np.array([x, y, z], dtype=np.float64)),
                point=Point(pixelSize=10, color=_color(ASSET_RGBA)),
                label=_label(str(name), ASSET_RGBA, 0.6),
                ellipse=(
                    Ellipse(
                        semiMajorAxis=r,
                        semiMinorAxis=r,
                        material=Material(
                            solidColor=SolidColorMaterial(color=_color([245, 176, 65, 70]))
                        ),
                        outline=True,
                        outlineColor=_color(ASSET_RGBA),
                    )
                    if r
                    else None
                ),
            )
        )
    for sid, name, preset, x, y, z, rmax in run.con.sql(
        "SELECT sensor_id, name, preset, x, y, z, max_range_m FROM sensors ORDER BY sensor_id, name"
    ).fetchall():
        if None in (x, y, z):
            continue
        out.append(
            Packet(
                id=f"sensor/{int(sid)}",
                name=str(name),
                parent="sensors",
                description=_describe(
                    [("sensor", int(sid)), ("preset", preset), ("max range (m)", _num(rmax, 0))]
                ),
                position=_fixed_position(run, np.array([x, y, z], dtype=np.float64)),
                point=Point(pixelSize=9, color=_color(SENSOR_RGBA)),
                label=_label(str(name), SENSOR_RGBA),
            )
        )
    return out


# --- the document ----------------------------------------------------------------------------


def build_document(db: Path) -> Document:
    """The CZML document of the run in ``db`` (read-only), as czml3 models: the document
    packet first, then group packets, truth, tracks, interceptors, assets, sensors and
    batteries."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.sql("SET threads TO 1")
        present = _present(con)
        from airdefense.record.schema import TABLES

        for name, ddl in TABLES.items():
            if name not in present:  # an absent table reads as empty
                con.sql(f"CREATE TEMP TABLE {name} ({ddl})")
        meta: dict[str, str] = {}
        for k, v in con.sql("SELECT key, value FROM meta ORDER BY key, value").fetchall():
            meta.setdefault(str(k), str(v))
        frame = Frame.from_degrees(
            _meta_float(meta, "origin_lat_deg", 0.0),
            _meta_float(meta, "origin_lon_deg", 0.0),
            _meta_float(meta, "origin_alt_m", 0.0),
        )
        epoch, documented = _epoch(meta)
        t_max = con.sql("SELECT max(t) FROM truth").fetchall()[0][0]
        duration = _meta_float(meta, "duration_s", float(t_max) if t_max is not None else 0.0)
        run = _Run(con, meta, frame, epoch, documented, max(duration, 1.0))
        interceptors, batteries = _interceptor_packets(run)
        packets = [
            _document_packet(run),
            *_groups(),
            *_truth_packets(run),
            *_track_packets(run),
            *interceptors,
            *_site_packets(run),
            *batteries,
        ]
    return Document(packets=packets)


def write_czml(db: Path, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write ``out_dir/run.czml`` (see the module docstring); return its path."""
    files = OutputFiles(out_dir, [CZML_NAME], force=force)
    document = build_document(db)
    with files:
        files.tmp(CZML_NAME).write_text(document.dumps(), encoding="utf-8")
    return files.paths
