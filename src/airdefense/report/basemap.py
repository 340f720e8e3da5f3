"""Coastlines, country borders and land under the plan view, from Natural Earth.

The map is Natural Earth's 1:50m countries (public domain) as TopoJSON, vendored from the
npm package ``world-atlas`` 2.0.2 (ISC) in ``report/data/`` (see the README there), so the
report needs no network. TopoJSON stores each line once as an *arc* shared by the shapes
on either side; that is what tells a border from a coast here:

- coastlines are the arcs of the ``land`` object (the dissolved outline of all countries);
- borders are the arcs that two different countries use.

Decoding follows the TopoJSON specification 1.0 (sections 2.1.2 and 2.2): a quantized
arc's first position is absolute and each next one a delta from the previous; a position
(x, y) becomes (x * scale_x + translate_x, y * scale_y + translate_y), longitude and
latitude in degrees. An arc index i < 0 in a ring means arc ~i reversed.

For the plan view everything is cut to a longitude/latitude box around the drawn area
first (longitudes taken relative to the frame's origin and unwrapped, so nothing jumps at
the antimeridian) and only then projected to the run's ENU frame with
:class:`airdefense.geo.Frame`, exactly as the trajectories are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from numpy.typing import NDArray

from airdefense.geo import Frame

FloatArray = NDArray[np.float64]

#: The vendored TopoJSON (inside the package ``airdefense.report``).
BASEMAP_FILE = "data/countries-50m.json"
#: Said under every figure that draws the map.
ATTRIBUTION = "Coastlines and borders: Natural Earth 1:50m (public domain), via world-atlas"


@dataclass(frozen=True)
class Basemap:
    """The world's coastlines, borders and land, longitude/latitude degrees (n, 2)."""

    coastlines: list[FloatArray]
    borders: list[FloatArray]
    land: list[list[FloatArray]]  # polygons: exterior ring first, then holes (closed rings)


@dataclass(frozen=True)
class PlanBasemap:
    """The basemap cut to one plan view and projected to ENU east/north kilometres."""

    coastlines: list[FloatArray]
    borders: list[FloatArray]
    land: list[list[FloatArray]]

    @property
    def empty(self) -> bool:
        """True when no coast, border or land lies in the view (open sea, or no map)."""
        return not (self.coastlines or self.borders or self.land)


def decode_arcs(topology: dict[str, Any]) -> list[FloatArray]:
    """Every arc of a TopoJSON topology as (n, 2) longitude/latitude degrees: delta-decoded
    and de-quantized when the topology has a ``transform`` (TopoJSON 1.0, 2.1.2 and 2.2)."""
    transform = topology.get("transform")
    out: list[FloatArray] = []
    if transform is None:
        for arc in topology["arcs"]:
            out.append(np.asarray(arc, dtype=np.float64).reshape(-1, 2))
        return out
    scale = np.asarray(transform["scale"], dtype=np.float64)
    translate = np.asarray(transform["translate"], dtype=np.float64)
    for arc in topology["arcs"]:
        q = np.asarray(arc, dtype=np.float64).reshape(-1, 2)
        out.append(np.cumsum(q, axis=0) * scale + translate)
    return out


def arc_line(arcs: Sequence[FloatArray], indices: Sequence[int]) -> FloatArray:
    """The line through arcs ``indices`` in order (``~i`` for arc i reversed), each arc's
    first point dropped after the first since it repeats the previous arc's last."""
    parts = []
    for k, i in enumerate(indices):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts) if parts else np.zeros((0, 2))


def _polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def _geometries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj["geometries"]) if obj.get("type") == "GeometryCollection" else [obj]


def basemap_from_topology(topology: dict[str, Any]) -> Basemap:
    """Coastlines (arcs of ``land``), borders (arcs two countries share) and land polygons
    of a world-atlas ``countries`` topology."""
    arcs = decode_arcs(topology)
    objects = topology["objects"]
    users = np.zeros(len(arcs), dtype=np.int64)
    for geom in _geometries(objects["countries"]):
        used = {i if i >= 0 else ~i for poly in _polygons(geom) for ring in poly for i in ring}
        users[list(used)] += 1
    land: list[list[FloatArray]] = []
    coast_ids: set[int] = set()
    for geom in _geometries(objects["land"]):
        for poly in _polygons(geom):
            land.append([arc_line(arcs, ring) for ring in poly])
            coast_ids |= {i if i >= 0 else ~i for ring in poly for i in ring}
    borders = [arcs[i] for i in np.flatnonzero(users >= 2).tolist() if i not in coast_ids]
    coastlines = [arcs[i] for i in sorted(coast_ids)]
    return Basemap(coastlines=coastlines, borders=borders, land=land)


@lru_cache(maxsize=1)
def load_basemap() -> Basemap:
    """The vendored Natural Earth map, decoded once per process."""
    text = resources.files("airdefense.report").joinpath(BASEMAP_FILE).read_text("utf-8")
    return basemap_from_topology(json.loads(text))


# --- cutting and projecting to a plan view ---------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """A longitude/latitude box (longitude relative to the frame's origin, degrees)."""

    lon0_deg: float
    dlon: tuple[float, float]
    lat: tuple[float, float]

    def relative(self, lonlat: FloatArray) -> FloatArray:
        """Longitudes relative to the origin, wrapped to [-180, 180) then unwrapped along
        the line so that it stays continuous."""
        rel = (lonlat[:, 0] - self.lon0_deg + 180.0) % 360.0 - 180.0
        if rel.size > 1:
            rel = np.unwrap(rel, period=360.0)
        return np.column_stack([rel, lonlat[:, 1]])

    def inside(self, rel: FloatArray) -> NDArray[np.bool_]:
        return (
            (rel[:, 0] >= self.dlon[0])
            & (rel[:, 0] <= self.dlon[1])
            & (rel[:, 1] >= self.lat[0])
            & (rel[:, 1] <= self.lat[1])
        )

    def overlaps(self, rel: FloatArray) -> bool:
        lo, hi = rel.min(axis=0), rel.max(axis=0)
        return bool(
            lo[0] <= self.dlon[1]
            and hi[0] >= self.dlon[0]
            and lo[1] <= self.lat[1]
            and hi[1] >= self.lat[0]
        )


def _window(frame: Frame, extent_km: Sequence[float], margin: float = 0.15) -> _Window:
    """The longitude/latitude box around an ENU extent (x0, x1, y0, y1 km), with a margin."""
    x0, x1, y0, y1 = (float(v) * 1e3 for v in extent_km[:4])
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    xs = np.linspace(x0 - dx, x1 + dx, 17)
    ys = np.linspace(y0 - dy, y1 + dy, 17)
    gx, gy = np.meshgrid(xs, ys)
    enu = np.column_stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)])
    lat, lon, _ = frame.enu_to_geodetic(enu)
    lon0 = float(np.degrees(frame.lon0))
    rel = (np.degrees(lon) - lon0 + 180.0) % 360.0 - 180.0
    lat_d = np.degrees(lat)
    return _Window(
        lon0_deg=lon0,
        dlon=(float(rel.min()), float(rel.max())),
        lat=(float(max(lat_d.min(), -89.9)), float(min(lat_d.max(), 89.9))),
    )


def _to_km(frame: Frame, window: _Window, rel: FloatArray) -> FloatArray:
    lon = np.radians(rel[:, 0] + window.lon0_deg)
    lat = np.radians(rel[:, 1])
    enu = frame.geodetic_to_enu(lat, lon, np.zeros(lat.shape))
    return np.asarray(enu[:, :2], dtype=np.float64) / 1e3


def _cut_lines(frame: Frame, window: _Window, lines: Sequence[FloatArray]) -> list[FloatArray]:
    """The runs of each line inside the window (with one point beyond each end, so lines
    reach the edge of the view), in ENU km."""
    out = []
    for line in lines:
        if line.shape[0] < 2:
            continue
        rel = window.relative(line)
        if not window.overlaps(rel):
            continue
        inside = window.inside(rel)
        if not inside.any():
            continue
        grown = inside.copy()
        grown[:-1] |= inside[1:]
        grown[1:] |= inside[:-1]
        edges = np.diff(np.r_[0, grown.astype(np.int8), 0])
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if e - s >= 2:
                out.append(_to_km(frame, window, rel[s:e]))
    return out


def _cut_polygons(
    frame: Frame, window: _Window, polygons: Sequence[list[FloatArray]]
) -> list[list[FloatArray]]:
    """Each polygon's rings clipped to the window (Sutherland-Hodgman, matplotlib's
    ``Path.clip_to_bbox``), in ENU km; a polygon whose exterior misses the window is left out."""
    box = Bbox.from_extents(window.dlon[0], window.lat[0], window.dlon[1], window.lat[1])
    out = []
    for poly in polygons:
        rings = []
        for k, ring in enumerate(poly):
            if ring.shape[0] < 4:
                continue
            rel = window.relative(ring)
            if not window.overlaps(rel):
                if k == 0:
                    break
                continue
            clipped = MplPath(rel, closed=True).clip_to_bbox(box, inside=True)
            verts = clipped.vertices
            if clipped.codes is not None:
                verts = verts[clipped.codes != MplPath.CLOSEPOLY]
            verts = verts[np.isfinite(verts).all(axis=1)]
            if verts.shape[0] >= 3:
                rings.append(_to_km(frame, window, verts))
            elif k == 0:
                break
        if rings:
            out.append(rings)
    return out


def plan_basemap(
    frame: Frame, extent_km: Sequence[float], basemap: Basemap | None = None
) -> PlanBasemap:
    """The basemap inside a plan view's extent (x0, x1, y0, y1 km, ENU of ``frame``)."""
    bm = load_basemap() if basemap is None else basemap
    window = _window(frame, extent_km)
    return PlanBasemap(
        coastlines=_cut_lines(frame, window, bm.coastlines),
        borders=_cut_lines(frame, window, bm.borders),
        land=_cut_polygons(frame, window, bm.land),
    )
