"""A run as a CZML document that a Cesium viewer loads and plays (czml3 models).

Read through :class:`~airdefense.record.reader.RunReader` only. Positions in the run are ENU
metres in the scenario's frame (origin in the ``meta`` table); they are converted exactly to
Earth-fixed (ECEF) Cartesian metres with :class:`airdefense.geo.Frame` and written as
time-tagged samples (seconds since the document's epoch) in the ``FIXED`` reference frame.

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
- ``interceptor/<n>``: every interceptor (``interceptors``) on the path it flew, one sample
  per row of ``interceptor_paths`` (its launcher, every 0.5 s of flight, where it ended),
  described by what the record says of it: battery, launcher, target, end and miss;
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
from airdefense.record.reader import RunReader, reading

FloatArray = NDArray[np.float64]

#: The clock's start when the run records no calendar start (``meta.start_utc``).
DEFAULT_EPOCH = datetime(2000, 1, 1, 12, 0, 0, tzinfo=UTC)
#: The document's file name in the output directory.
CZML_NAME = "run.czml"
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
    """What the document is built from: the run, its frame and the clock."""

    reader: RunReader
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


def _paths(run: _Run, sql: str, key: str) -> Iterator[tuple[int, list[float], float, float]]:
    """(key, flat ``[t, X, Y, Z, ...]``, first t, last t) of each ``key``'s positions in a
    query of ``key, t, x, y, z`` ordered by ``key, t``, converted to ECEF."""
    rows = run.reader.columns(sql)
    enu = np.column_stack([rows["x"], rows["y"], rows["z"]]).astype(np.float64)
    ecef = run.frame.enu_to_ecef(enu) if enu.size else np.zeros((0, 3))
    t_all = rows["t"].astype(np.float64)
    for k, sl in _blocks(rows[key].astype(np.int64)):
        got = _samples(t_all[sl], ecef[sl])
        if got is not None:
            yield int(k), *got


def _truth_packets(run: _Run) -> list[Packet]:
    objects = {
        int(r[0]): r
        for r in run.reader.rows(
            "SELECT object_id, name, category, preset, hostile, start_s, end_s, end_reason "
            "FROM objects ORDER BY object_id"
        )
    }
    packets = []
    for oid, flat, t0, t1 in _paths(
        run, "SELECT object_id, t, x, y, z FROM truth ORDER BY object_id, t", "object_id"
    ):
        row = objects.get(oid)
        name, cat = (str(row[1]), str(row[2])) if row else (f"object {oid}", "?")
        rgba = CATEGORY_RGBA.get(cat, OTHER_RGBA)
        desc = _describe(
            [
                ("object", oid),
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
                id=f"truth/{oid}",
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
    identity = {
        int(tid): str(ident)
        for tid, ident in run.reader.rows(
            "SELECT track_id, arg_max(identity, t) FROM events_identified "
            "WHERE track_id >= 0 GROUP BY track_id"
        )
    }
    truth_of = {
        int(tid): int(oid)
        for tid, oid in run.reader.rows(
            "SELECT track_id, mode(truth_id) FROM tracks "
            "WHERE status <> 'tentative' AND truth_id >= 0 GROUP BY track_id"
        )
    }
    packets = []
    for tid, flat, t0, t1 in _paths(
        run,
        "SELECT track_id, t, x, y, z FROM tracks WHERE status <> 'tentative' ORDER BY track_id, t",
        "track_id",
    ):
        ident = identity.get(tid, "unknown")
        rgba = IDENTITY_RGBA.get(ident, TRACK_RGBA)
        packets.append(
            Packet(
                id=f"track/{tid}",
                name=f"track {tid}",
                parent="tracks",
                description=_describe(
                    [
                        ("track number", tid),
                        ("identity (latest)", ident),
                        ("mostly updated by object", truth_of.get(tid)),
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
                label=_label(str(tid), rgba),
            )
        )
    return packets


#: Every interceptor as the record has it, in launch order.
_INTERCEPTORS = """
    SELECT interceptor_id, battery, launcher, missile, launch_t, launch_x, launch_y, launch_z,
           track_id, object_id, retargets, end_track_id, end_object_id, end_t, end_reason,
           miss_m
    FROM interceptors ORDER BY interceptor_id
"""


def _interceptor_packets(run: _Run) -> tuple[list[Packet], list[Packet]]:
    """Interceptor packets, each on its recorded path, and battery packets (the site each
    battery first launched from)."""
    shots = {int(r[0]): r for r in run.reader.rows(_INTERCEPTORS)}
    packets: list[Packet] = []
    sites: dict[str, tuple[float, float, float]] = {}
    for iid, flat, t0, t1 in _paths(
        run,
        "SELECT interceptor_id, t, x, y, z FROM interceptor_paths ORDER BY interceptor_id, t",
        "interceptor_id",
    ):
        row = shots.get(iid)
        if row is None:
            continue
        (_, battery, launcher, missile, t_l, lx, ly, lz, tid, oid, retargets) = row[:11]
        end_tid, end_oid, t_end, reason, miss = row[11:]
        if None not in (lx, ly, lz):
            sites.setdefault(str(battery), (float(lx), float(ly), float(lz)))
        packets.append(
            Packet(
                id=f"interceptor/{iid}",
                name=f"{missile} #{iid} ({battery})",
                parent="interceptors",
                description=_describe(
                    [
                        ("missile", missile),
                        ("battery", battery),
                        ("launcher", launcher),
                        ("launched (s)", _num(t_l)),
                        ("target object", oid),
                        ("target track", tid),
                        ("retargeted", retargets or None),
                        ("last target track", end_tid if retargets else None),
                        ("last target object", end_oid if retargets else None),
                        ("end", reason),
                        ("miss distance (m)", _num(miss)),
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
    for aid, name, x, y, z, radius in run.reader.rows(
        "SELECT asset_id, name, x, y, z, radius_m FROM assets ORDER BY asset_id, name"
    ):
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
    for sid, name, preset, x, y, z, rmax in run.reader.rows(
        "SELECT sensor_id, name, preset, x, y, z, max_range_m FROM sensors ORDER BY sensor_id, name"
    ):
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


def build_document(run: RunReader | str | Path) -> Document:
    """The CZML document of a run (its directory, or a reader already open), as czml3
    models: the document packet first, then group packets, truth, tracks, interceptors,
    assets, sensors and batteries."""
    with reading(run) as reader:
        scene = _scene(reader)
        interceptors, batteries = _interceptor_packets(scene)
        packets = [
            _document_packet(scene),
            *_groups(),
            *_truth_packets(scene),
            *_track_packets(scene),
            *interceptors,
            *_site_packets(scene),
            *batteries,
        ]
    return Document(packets=packets)


def _scene(reader: RunReader) -> _Run:
    """The run with its frame (the meta's origin) and clock (its epoch and duration)."""
    meta = reader.meta
    frame = Frame.from_degrees(
        _meta_float(meta, "origin_lat_deg", 0.0),
        _meta_float(meta, "origin_lon_deg", 0.0),
        _meta_float(meta, "origin_alt_m", 0.0),
    )
    epoch, documented = _epoch(meta)
    t_max = reader.rows("SELECT max(t) FROM truth")[0][0]
    duration = _meta_float(meta, "duration_s", float(t_max) if t_max is not None else 0.0)
    return _Run(reader, meta, frame, epoch, documented, max(duration, 1.0))


def write_czml(run: RunReader, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write ``out_dir/run.czml`` (see the module docstring); return its path."""
    files = OutputFiles(out_dir, [CZML_NAME], force=force)
    document = build_document(run)
    with files:
        files.tmp(CZML_NAME).write_text(document.dumps(), encoding="utf-8")
    return files.paths
