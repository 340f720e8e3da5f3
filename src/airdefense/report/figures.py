"""The report's figures, drawn with matplotlib and returned as PNG data URIs.

Figures are built on :class:`matplotlib.figure.Figure` with an explicit Agg canvas, never
through pyplot, so drawing a report leaves no global state behind; style is applied inside
``rc_context``. PNGs are written without the ``Software`` metadata so that the same data
always gives the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Arc, Circle, PathPatch, Wedge
from matplotlib.path import Path as MplPath
from numpy.typing import NDArray

from airdefense.geo import Frame
from airdefense.report import basemap
from airdefense.report.basemap import PlanBasemap
from airdefense.report.rundata import RunData, SensorCoverage

#: Colours of object categories; civil traffic is grey so that threats stand out.
CATEGORY_COLORS: dict[str, str] = {
    "ballistic": "#c0392b",
    "cruise": "#e67e22",
    "drone": "#8e44ad",
    "aircraft": "#2471a3",
    "civil": "#a6a6a6",
}
OTHER_COLOR = "#7d5a3c"
SENSOR_COLORS = ("#1e8449", "#117a8b", "#6c3483", "#2e4053", "#b7950b", "#a04000")
PLOT_COLOR = "#222222"
FALSE_ALARM_COLOR = "#e8a1c4"
KILL_COLOR = "#145a32"
LEAK_COLOR = "#b03a2e"
LAUNCH_COLOR = "#1a5276"
DPI = 100

_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.edgecolor": "#888888",
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.framealpha": 0.9,
    "svg.hashsalt": "airdefense-report",
    "svg.fonttype": "path",
    "path.simplify": True,
}

FloatArray = NDArray[np.float64]


def category_color(category: str) -> str:
    """Colour of an object category (unknown categories get one shared colour)."""
    return CATEGORY_COLORS.get(category, OTHER_COLOR)


@contextmanager
def style() -> Iterator[None]:
    """The house style of every figure (the run report's and the Monte Carlo report's)."""
    with matplotlib.rc_context(_RC):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on an explicit Agg canvas (no pyplot state), laid out constrained."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # explicit Agg canvas; no pyplot, no backend switching
    return fig


def to_png_uri(fig: Figure) -> str:
    """Render a figure to a deterministic PNG and return it as a ``data:`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --- helpers over the run's arrays ---------------------------------------------------------


def _object_lookup(run: RunData) -> dict[int, tuple[str, bool, str]]:
    o = run.objects
    return {
        int(oid): (str(cat), bool(h), str(name))
        for oid, cat, h, name in zip(
            o["object_id"], o["category"], o["hostile"], o["name"], strict=True
        )
    }


def _segments(run: RunData) -> list[tuple[int, slice]]:
    """(object_id, row slice) of each object's block in the truth arrays."""
    oid = run.truth["object_id"].astype(np.int64)
    if oid.size == 0:
        return []
    cuts = np.flatnonzero(oid[1:] != oid[:-1]) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, oid.size]
    return [(int(oid[s]), slice(int(s), int(e))) for s, e in zip(starts, ends, strict=True)]


def _truth_height(run: RunData) -> FloatArray:
    alt = run.truth["alt_m"].astype(np.float64)
    z = run.truth["z"].astype(np.float64)
    return np.where(np.isfinite(alt), alt, z)


def _num_or(value: str | None, default: float) -> float:
    try:
        f = float(value) if value is not None else default
    except ValueError:
        return default
    return f if np.isfinite(f) else default


def _frame(run: RunData) -> Frame | None:
    try:
        return Frame.from_degrees(
            float(run.meta["origin_lat_deg"]),
            float(run.meta["origin_lon_deg"]),
            float(run.meta.get("origin_alt_m", 0.0)),
        )
    except (KeyError, ValueError):
        return None


def detection_heights(run: RunData) -> FloatArray:
    """Height above the ellipsoid of each measured plot (exact ENU -> geodetic when the
    frame origin is known, else the ENU up coordinate)."""
    d = run.detections
    xyz = np.stack([d["x"], d["y"], d["z"]], axis=-1).astype(np.float64)
    frame = _frame(run)
    if frame is None or xyz.shape[0] == 0:
        return xyz[:, 2] if xyz.shape[0] else np.zeros(0)
    return np.asarray(frame.height_m(xyz), dtype=np.float64)


def first_detection_points(run: RunData) -> dict[int, tuple[float, float, float]]:
    """ENU position (x, y, height) of each object at its first detection, from truth."""
    first: dict[int, float] = {}
    fd = run.first_detections
    for oid, t in zip(fd["object_id"], fd["t"], strict=True):
        key = int(oid)
        first[key] = min(first.get(key, float("inf")), float(t))
    h = _truth_height(run)
    tt = run.truth["t"].astype(np.float64)
    out: dict[int, tuple[float, float, float]] = {}
    for oid, sl in _segments(run):
        if oid not in first:
            continue
        t0 = first[oid]
        ts = tt[sl]
        out[oid] = (
            float(np.interp(t0, ts, run.truth["x"][sl].astype(np.float64))),
            float(np.interp(t0, ts, run.truth["y"][sl].astype(np.float64))),
            float(np.interp(t0, ts, h[sl])),
        )
    return out


def _horizon_by_sensor(run: RunData) -> dict[int, SensorCoverage]:
    return {c.sensor_id: c for c in run.coverage}


# --- plan view -------------------------------------------------------------------------------


#: Margin (km) around assets and sites in the defended-area view.
DEFENDED_MARGIN_KM = 15.0


def _bounds(points: list[tuple[float, float, float]]) -> tuple[float, float, float, float]:
    """Square bounds (km) of (x, y, radius) items with a 6 % margin."""
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    x0 = float(np.min(arr[:, 0] - arr[:, 2]))
    x1 = float(np.max(arr[:, 0] + arr[:, 2]))
    y0 = float(np.min(arr[:, 1] - arr[:, 2]))
    y1 = float(np.max(arr[:, 1] + arr[:, 2]))
    half = 0.53 * max(x1 - x0, y1 - y0, 1.0)  # square, with a 6 % margin
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - half, cx + half, cy - half, cy + half


def plan_extents(run: RunData) -> tuple[tuple[float, ...], tuple[float, ...] | None]:
    """The whole picture's extent (trajectories, assets, sites) and, when it is much larger,
    the defended area's (assets and sites with a margin), in km. Range rings are clipped to
    these extents: a 600 km ring must not shrink the picture to a dot."""
    defended: list[tuple[float, float, float]] = []
    a, s = run.assets, run.sensors
    for x, y, r in zip(a["x"], a["y"], a["radius_m"], strict=True):
        defended.append((x / 1e3, y / 1e3, np.nan_to_num(r) / 1e3 + DEFENDED_MARGIN_KM))
    for x, y in zip(s["x"], s["y"], strict=True):
        defended.append((x / 1e3, y / 1e3, DEFENDED_MARGIN_KM))
    for _, x, y in battery_places(run):
        defended.append((x / 1e3, y / 1e3, DEFENDED_MARGIN_KM))
    everything = list(defended)
    tx = run.truth["x"].astype(np.float64) / 1e3
    ty = run.truth["y"].astype(np.float64) / 1e3
    ok = np.isfinite(tx) & np.isfinite(ty)
    if ok.any():
        everything += [
            (float(tx[ok].min()), float(ty[ok].min()), 0.0),
            (float(tx[ok].max()), float(ty[ok].max()), 0.0),
        ]
    if not everything:
        everything = [(0.0, 0.0, 10.0)]
    whole = _bounds(everything)
    if not defended:
        return whole, None
    zoom = _bounds(defended)
    span_whole = max(whole[1] - whole[0], whole[3] - whole[2])
    span_zoom = max(zoom[1] - zoom[0], zoom[3] - zoom[2])
    return whole, (zoom if span_whole > 1.6 * span_zoom else None)


def _add_trajectories(ax: Any, by_cat: dict[str, list[Any]], civil_alpha: float) -> list[str]:
    """Draw trajectories as one line collection per category (civil thin, grey, beneath);
    return the categories in drawing order."""
    order = sorted(by_cat, key=lambda c: (c != "civil", c))
    for cat in order:
        civil = cat == "civil"
        ax.add_collection(
            LineCollection(
                by_cat[cat],
                colors=category_color(cat),
                linewidths=0.6 if civil else 1.0,
                alpha=civil_alpha if civil else 0.9,
                zorder=2 if civil else 3,
            )
        )
    return order


def plan_view(run: RunData, extent: tuple[float, ...], title: str) -> str:
    """Plan view (east/north km) over the basemap: assets, sensors with their coverage at
    low and high altitude, missile range rings, trajectories, plots and intercepts; a PNG URI."""
    with style():
        fig = new_figure(11.0, 8.6)
        ax = fig.add_subplot()
        draw_basemap(ax, run, extent)
        _draw_plan(ax, run)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("east (km)")
        ax.set_ylabel("north (km)")
        ax.set_title(title)
        return to_png_uri(fig)


def _draw_plan(ax: Any, run: RunData) -> None:
    lookup = _object_lookup(run)
    # assets
    a = run.assets
    for name, x, y, r in zip(a["name"], a["x"], a["y"], a["radius_m"], strict=True):
        rr = max(float(np.nan_to_num(r)), 0.0) / 1e3
        ax.add_patch(
            Circle((x / 1e3, y / 1e3), rr, facecolor="#f5cba7", edgecolor="#ca6f1e", alpha=0.55)
        )
        ax.annotate(
            str(name),
            (x / 1e3, y / 1e3 + rr),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            color="#873600",
        )
    # sensors: max range and sector, coverage at low and high altitude
    cov = _horizon_by_sensor(run)
    s = run.sensors
    for i, sid in enumerate(s["sensor_id"]):
        col = SENSOR_COLORS[i % len(SENSOR_COLORS)]
        x, y = float(s["x"][i]) / 1e3, float(s["y"][i]) / 1e3
        rmax = float(np.nan_to_num(s["max_range_m"][i])) / 1e3
        width = float(np.nan_to_num(s["sector_width_rad"][i], nan=2 * np.pi))
        # boresight is a bearing: clockwise from north; matplotlib angles are anticlockwise
        # from east
        sector = None
        if 0 < width < 2 * np.pi - 1e-6:
            bore = float(np.nan_to_num(s["boresight_rad"][i]))
            sector = (90.0 - np.degrees(bore + width / 2), 90.0 - np.degrees(bore - width / 2))
        if rmax > 0:
            ax.add_patch(Circle((x, y), rmax, fill=False, ec=col, lw=1.0, ls="--", alpha=0.8))
            if sector is not None:
                ax.add_patch(Wedge((x, y), rmax, *sector, fc=col, ec=col, alpha=0.06))
        c = cov.get(int(sid))
        if c is None:
            continue
        for height, ls_ in zip(COVERAGE_HEIGHTS_M, COVERAGE_STYLES, strict=True):
            reach, _ = c.detection_range_m(height)
            if np.isfinite(reach) and reach > 0:
                ax.add_patch(_ring((x, y), reach / 1e3, sector, ec=col, lw=1.3, ls=ls_))
    # trajectories, civil first (underneath)
    by_cat: dict[str, list[FloatArray]] = {}
    tx = run.truth["x"].astype(np.float64) / 1e3
    ty = run.truth["y"].astype(np.float64) / 1e3
    for oid, sl in _segments(run):
        cat = lookup.get(oid, ("?", False, ""))[0]
        by_cat.setdefault(cat, []).append(np.column_stack([tx[sl], ty[sl]]))
    order = _add_trajectories(ax, by_cat, civil_alpha=0.7)
    handles: list[Any] = [
        Line2D([], [], color=category_color(cat), lw=1.5, label=cat) for cat in order
    ]
    # plots
    d = run.detections
    fa = d["truth_id"].astype(np.int64) < 0
    dx = d["x"].astype(np.float64) / 1e3
    dy = d["y"].astype(np.float64) / 1e3
    if fa.any():
        ax.scatter(dx[fa], dy[fa], s=1.0, c=FALSE_ALARM_COLOR, lw=0, alpha=0.5, zorder=1)
    if (~fa).any():
        ax.scatter(dx[~fa], dy[~fa], s=1.2, c=PLOT_COLOR, lw=0, alpha=0.25, zorder=4)
    handles.append(Line2D([], [], ls="", marker=".", color=PLOT_COLOR, label="plot"))
    handles.append(Line2D([], [], ls="", marker=".", color=FALSE_ALARM_COLOR, label="false alarm"))
    # first detections and undetected threats
    firsts = first_detection_points(run)
    fx = [p[0] / 1e3 for oid, p in firsts.items() if lookup.get(oid, ("", False, ""))[1]]
    fy = [p[1] / 1e3 for oid, p in firsts.items() if lookup.get(oid, ("", False, ""))[1]]
    cx = [p[0] / 1e3 for oid, p in firsts.items() if not lookup.get(oid, ("", False, ""))[1]]
    cy = [p[1] / 1e3 for oid, p in firsts.items() if not lookup.get(oid, ("", False, ""))[1]]
    ax.scatter(cx, cy, s=14, marker="o", fc="none", ec="#707070", lw=0.7, zorder=5)
    ax.scatter(fx, fy, s=40, marker="o", fc="none", ec="black", lw=1.1, zorder=6)
    handles.append(
        Line2D([], [], ls="", marker="o", mfc="none", mec="black", label="first detection")
    )
    missed_x, missed_y = [], []
    for oid, sl in _segments(run):
        cat, hostile, _ = lookup.get(oid, ("?", False, ""))
        if hostile and oid not in firsts:
            missed_x.append(tx[sl][-1])
            missed_y.append(ty[sl][-1])
    if missed_x:
        ax.scatter(missed_x, missed_y, s=50, marker="x", c="#b03a2e", lw=1.6, zorder=7)
        handles.append(
            Line2D([], [], ls="", marker="x", color="#b03a2e", label="undetected threat (end)")
        )
    handles += _draw_intercepts(ax, run)
    for i, name in enumerate(s["name"]):
        col = SENSOR_COLORS[i % len(SENSOR_COLORS)]
        x, y = float(s["x"][i]) / 1e3, float(s["y"][i]) / 1e3
        ax.scatter([x], [y], s=70, marker="^", c=col, ec="white", lw=0.8, zorder=8)
        ax.annotate(
            str(name),
            (x, y),
            xytext=(5, -10),
            textcoords="offset points",
            fontsize=8,
            color=col,
            weight="bold",
            zorder=9,
        )
    if len(s["name"]):
        handles.append(Line2D([], [], ls="", marker="^", color="#444444", label="sensor"))
        handles.append(Line2D([], [], color="#444444", ls="--", lw=1, label="max range"))
        if run.coverage:
            rcs = run.coverage[0].rcs_m2
            for height, ls_ in zip(COVERAGE_HEIGHTS_M, COVERAGE_STYLES, strict=True):
                label = f"Pd ≥ 0.5 at {height_text(height)} ({rcs:g} m²)"
                handles.append(Line2D([], [], color="#444444", ls=ls_, lw=1.3, label=label))
    handles += _draw_missile_rings(ax, run)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


#: Heights (m) at which the plan view rings each radar's coverage (low flyer, high flyer).
COVERAGE_HEIGHTS_M = (100.0, 10_000.0)
COVERAGE_STYLES = (":", "-.")
#: Range rings of missile types: one brown family, told apart by the label on each ring.
MISSILE_COLORS = ("#6e2c00", "#935116", "#4d3319", "#a0522d", "#5d4037", "#8d6e63")


def height_text(height_m: float) -> str:
    """A height for a legend: metres below 1 km, else km."""
    return f"{height_m / 1e3:g} km" if height_m >= 1000 else f"{height_m:g} m"


def _ring(
    centre: tuple[float, float], radius: float, sector: tuple[float, float] | None, **kw: Any
) -> Any:
    """A circle, or only its arc over a sector (degrees anticlockwise from east)."""
    if sector is None:
        return Circle(centre, radius, fill=False, **kw)
    return Arc(centre, 2 * radius, 2 * radius, theta1=sector[0], theta2=sector[1], **kw)


def missile_colors(run: RunData) -> dict[str, str]:
    """A colour per missile type with a ring (plan-view range rings)."""
    names = sorted(set(run.battery_sites["missile"].astype(str).tolist()))
    return {m: MISSILE_COLORS[i % len(MISSILE_COLORS)] for i, m in enumerate(names)}


#: Line style of a ring by where its radius comes from: the run's flyout table, else the
#: missile's max_range_m in the batteries table.
RING_STYLES = {"flyout": "-", "max range": (0, (5, 3))}


def battery_places(run: RunData) -> list[tuple[str, float, float]]:
    """Each battery's name and site (ENU m), in the batteries table's order."""
    b = run.battery_sites
    seen: dict[str, tuple[float, float]] = {}
    for name, x, y in zip(b["battery"], b["x"], b["y"], strict=True):
        seen.setdefault(str(name), (float(x), float(y)))
    return [(n, x, y) for n, (x, y) in seen.items()]


def missile_rings(run: RunData) -> list[tuple[str, str, float, float, float, str]]:
    """The plan view's missile rings: (battery, missile, x, y, radius m, source) for each
    battery and missile type it carries (or, in runs without a batteries table, fired), where
    source is ``flyout`` (farthest ground range in the flyout table) or ``max range``."""
    b = run.battery_sites
    out = []
    for battery, missile, x, y, reach, src in zip(
        b["battery"], b["missile"], b["x"], b["y"], b["reach_m"], b["reach_from"], strict=True
    ):
        r = float(reach) if reach is not None else float("nan")
        if np.isfinite(r) and r > 0 and src in RING_STYLES:
            out.append((str(battery), str(missile), float(x), float(y), r, str(src)))
    return out


def _draw_missile_rings(ax: Any, run: RunData) -> list[Any]:
    """Each battery at its site, and its reach with each missile type it carries: a ring of
    the farthest ground range in the run's flyout table (solid), or of the missile's
    max range where the flyout table lacks it (dashed)."""
    colors = missile_colors(run)
    drawn: dict[tuple[str, str], float] = {}
    for _, missile, x, y, r, src in missile_rings(run):
        col = colors[missile]
        ax.add_patch(
            Circle((x / 1e3, y / 1e3), r / 1e3, fill=False, ec=col, lw=1.1, alpha=0.85,
                   ls=RING_STYLES[src])
        )  # fmt: skip
        ax.annotate(
            f"{missile} {r / 1e3:.0f} km",
            (x / 1e3, (y + r) / 1e3),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            color=col,
            annotation_clip=True,
        )
        drawn[(missile, src)] = r
    places = battery_places(run)
    handles: list[Any] = []
    if places:
        xs = np.array([p[1] for p in places]) / 1e3
        ys = np.array([p[2] for p in places]) / 1e3
        ax.scatter(xs, ys, s=60, marker="s", c=LAUNCH_COLOR, ec="white", lw=0.8, zorder=8)
        for (name, _, _), x, y in zip(places, xs, ys, strict=True):
            ax.annotate(
                name, (x, y), xytext=(-6, 4), textcoords="offset points", ha="right",
                fontsize=8, color=LAUNCH_COLOR, weight="bold", zorder=9, annotation_clip=True,
            )  # fmt: skip
        handles.append(Line2D([], [], ls="", marker="s", color=LAUNCH_COLOR, label="battery"))
    for (m, src), r in sorted(drawn.items()):
        handles.append(
            Line2D([], [], color=colors[m], lw=1.1, ls=RING_STYLES[src],
                   label=f"{m} {r / 1e3:.0f} km ({src})")
        )  # fmt: skip
    return handles


# --- basemap -----------------------------------------------------------------------------------

SEA_COLOR = "#eaf2f8"
LAND_COLOR = "#f4f1e8"
COAST_COLOR = "#6e7b85"
BORDER_COLOR = "#9a8c98"


def plan_basemap(run: RunData, extent: tuple[float, ...]) -> PlanBasemap | None:
    """The Natural Earth basemap cut to a plan view, or None without a frame origin."""
    frame = _frame(run)
    if frame is None:
        return None
    return _cut_basemap(frame, tuple(float(v) for v in extent[:4]))


@lru_cache(maxsize=8)
def _cut_basemap(frame: Frame, extent: tuple[float, ...]) -> PlanBasemap:
    """Cut once per frame and extent: the page draws the same view more than once."""
    return basemap.plan_basemap(frame, extent)


def draw_basemap(ax: Any, run: RunData, extent: tuple[float, ...]) -> bool:
    """Land, coastlines and country borders under a plan view; True when any lies in view.
    Otherwise (open sea, or a run without a frame origin) the plain grid is left alone."""
    bm = plan_basemap(run, extent)
    if bm is None or bm.empty:
        ax.text(
            0.01, 0.01, "no coastline or border in this area: plain grid",
            transform=ax.transAxes, fontsize=7, color="#777777", ha="left", va="bottom",
        )  # fmt: skip
        return False
    ax.set_facecolor(SEA_COLOR)
    ax.set_axisbelow(True)
    for rings in bm.land:
        verts = np.concatenate([np.vstack([r, r[:1]]) for r in rings])
        codes = np.concatenate(
            [
                np.r_[MplPath.MOVETO, np.full(r.shape[0] - 1, MplPath.LINETO), MplPath.CLOSEPOLY]
                for r in rings
            ]
        ).astype(np.uint8)
        ax.add_patch(PathPatch(MplPath(verts, codes), fc=LAND_COLOR, ec="none", zorder=0.1))
    if bm.borders:
        ax.add_collection(
            LineCollection(bm.borders, colors=BORDER_COLOR, linewidths=0.8, linestyles=(0, (4, 2)),
                           zorder=0.3)
        )  # fmt: skip
    if bm.coastlines:
        ax.add_collection(
            LineCollection(bm.coastlines, colors=COAST_COLOR, linewidths=0.7, zorder=0.3)
        )
    ax.text(
        0.995, 0.005, basemap.ATTRIBUTION, transform=ax.transAxes, fontsize=6.5,
        color="#6b6b6b", ha="right", va="bottom", zorder=10,
    )  # fmt: skip
    return True


def _draw_intercepts(ax: Any, run: RunData) -> list[Any]:
    """Lines from each launch site to its predicted intercept point, and kill positions;
    return the legend handles of what was drawn."""
    handles: list[Any] = []
    ic = run.intercepts
    if ic["t"].shape[0]:
        seg = np.stack(
            [
                np.column_stack([ic["sx"], ic["sy"]]).astype(np.float64) / 1e3,
                np.column_stack([ic["x"], ic["y"]]).astype(np.float64) / 1e3,
            ],
            axis=1,
        )
        ax.add_collection(
            LineCollection(seg, colors=LAUNCH_COLOR, linewidths=0.7, alpha=0.55, zorder=6)
        )
        ax.scatter(seg[:, 1, 0], seg[:, 1, 1], s=8, c=LAUNCH_COLOR, lw=0, zorder=6)
        handles.append(
            Line2D([], [], color=LAUNCH_COLOR, marker=".", lw=0.8, label="interceptor to PIP")
        )
        if not run.battery_sites["battery"].shape[0]:  # else drawn with their rings
            sites = np.unique(seg[:, 0, :], axis=0)
            ax.scatter(sites[:, 0], sites[:, 1], s=60, marker="s", c=LAUNCH_COLOR, ec="white",
                       lw=0.8, zorder=8)  # fmt: skip
            handles.append(Line2D([], [], ls="", marker="s", color=LAUNCH_COLOR, label="battery"))
    ev = run.engage_events
    kill = (ev["kind"] == "kill") & np.isfinite(ev["x"].astype(np.float64))
    if kill.any():
        ax.scatter(
            ev["x"][kill].astype(np.float64) / 1e3,
            ev["y"][kill].astype(np.float64) / 1e3,
            s=55,
            marker="X",
            c=KILL_COLOR,
            ec="white",
            lw=0.6,
            zorder=7,
        )
        handles.append(Line2D([], [], ls="", marker="X", color=KILL_COLOR, label="kill"))
    return handles


# --- coverage ----------------------------------------------------------------------------------


def coverage_figure(run: RunData) -> str | None:
    """Pd against ground range and height, two panels per sensor (0-2 km and all heights)."""
    if not run.coverage:
        return None
    names = {
        int(i): str(n) for i, n in zip(run.sensors["sensor_id"], run.sensors["name"], strict=True)
    }
    presets = {
        int(i): str(p) for i, p in zip(run.sensors["sensor_id"], run.sensors["preset"], strict=True)
    }
    firsts = _first_detections_by_sensor(run)
    n = len(run.coverage)
    with style():
        fig = new_figure(10.0, 3.2 * n + 0.6)
        axes = fig.subplots(n, 2, squeeze=False, width_ratios=[1, 1])
        mesh = None
        for row, cov in enumerate(run.coverage):
            label = f"{names.get(cov.sensor_id, cov.sensor_id)} ({presets.get(cov.sensor_id, '?')})"
            for col, top in enumerate((2.0, None)):
                ax = axes[row, col]
                mesh = _draw_coverage(ax, cov, top, firsts.get(cov.sensor_id))
                part = "low altitude, 0–2 km" if top is not None else "all heights"
                ax.set_title(f"{label}\n{part}", loc="left", fontsize="medium")
                ax.set_xlabel("ground range (km)")
                ax.set_ylabel("height (km)")
            axes[row, 0].text(
                0.99,
                0.97,
                f"reference RCS {cov.rcs_m2:g} m²\n"
                + (
                    f"horizon at {cov.lowest_height_m:g} m: {cov.horizon_m / 1e3:.0f} km"
                    if np.isfinite(cov.horizon_m)
                    else f"nothing visible at {cov.lowest_height_m:g} m"
                ),
                transform=axes[row, 0].transAxes,
                ha="right",
                va="top",
                fontsize=8,
                bbox={"fc": "white", "ec": "#bbbbbb", "alpha": 0.9, "boxstyle": "round"},
            )
        if mesh is not None:
            fig.colorbar(mesh, ax=axes, shrink=0.6, label="single-scan Pd", pad=0.01)
        handles = [
            Line2D([], [], color="white", lw=1.6, label="line-of-sight boundary"),
            Line2D([], [], ls="", marker="o", mfc="none", mec="#ff5050", label="first detection"),
        ]
        leg = axes[0, 1].legend(handles=handles, loc="upper right", facecolor="#555555")
        for text in leg.get_texts():
            text.set_color("white")
        return to_png_uri(fig)


def _first_detections_by_sensor(run: RunData) -> dict[int, tuple[FloatArray, FloatArray]]:
    """(ground range km, height km) of first detections, grouped by the detecting sensor."""
    pos = {
        int(i): (float(x), float(y))
        for i, x, y in zip(
            run.sensors["sensor_id"], run.sensors["x"], run.sensors["y"], strict=True
        )
    }
    pts = first_detection_points(run)
    fd = run.first_detections
    acc: dict[int, list[tuple[float, float]]] = {}
    for oid, sid, h in zip(fd["object_id"], fd["sensor_id"], fd["height_m"], strict=True):
        p = pts.get(int(oid))
        spos = pos.get(int(sid))
        if p is None or spos is None:
            continue
        ground = float(np.hypot(p[0] - spos[0], p[1] - spos[1]))
        height = float(h) if np.isfinite(h) else p[2]
        acc.setdefault(int(sid), []).append((ground / 1e3, height / 1e3))
    return {k: (np.array([a for a, _ in v]), np.array([b for _, b in v])) for k, v in acc.items()}


def _draw_coverage(
    ax: Any,
    cov: SensorCoverage,
    top_km: float | None,
    firsts: tuple[FloatArray, FloatArray] | None,
) -> Any:
    r = cov.ranges_m / 1e3
    h = cov.heights_m / 1e3
    if top_km is not None:
        # one row above the top so that the nearest-cell mesh reaches the panel's edge
        above = np.flatnonzero(h > top_km * 1.0001)
        limit = h[above[0]] if above.size else top_km
        keep = h <= limit * 1.0001
        if keep.sum() < 2:
            keep = np.arange(h.size) < 2
    else:
        keep = np.ones(h.size, dtype=bool)
    hh, pd, vis = h[keep], cov.pd[keep], cov.visible[keep]
    mesh = ax.pcolormesh(
        r,
        hh,
        np.ma.masked_invalid(pd),
        shading="nearest",
        cmap="viridis",
        vmin=0.0,
        vmax=1.0,
        rasterized=True,
    )
    if r.size >= 2 and hh.size >= 2:
        v = np.nan_to_num(vis, nan=0.0)
        if v.min() < 0.5 < v.max():
            ax.contour(r, hh, v, levels=[0.5], colors="white", linewidths=1.4)
    if firsts is not None:
        gx, gy = firsts
        sel = gy <= (top_km if top_km is not None else np.inf)
        ax.scatter(gx[sel], gy[sel], s=16, marker="o", fc="none", ec="#ff5050", lw=0.9)
    ax.set_xlim(float(r.min()) if r.size else 0.0, float(r.max()) if r.size else 1.0)
    ax.set_ylim(float(hh.min()) if hh.size else 0.0, top_km if top_km else float(hh.max()))
    ax.grid(False)
    return mesh


# --- altitude profile -----------------------------------------------------------------------


def altitude_figure(run: RunData) -> str | None:
    """Height against time for every object, with its plots; all heights and 0-2 km."""
    if run.truth["t"].shape[0] == 0:
        return None
    lookup = _object_lookup(run)
    tt = run.truth["t"].astype(np.float64)
    hh = _truth_height(run) / 1e3
    by_cat: dict[str, list[FloatArray]] = {}
    for oid, sl in _segments(run):
        cat = lookup.get(oid, ("?", False, ""))[0]
        by_cat.setdefault(cat, []).append(np.column_stack([tt[sl], hh[sl]]))
    d = run.detections
    tid = d["truth_id"].astype(np.int64)
    dh = detection_heights(run) / 1e3
    dt = d["t"].astype(np.float64)
    hostile_ids = np.array(sorted(oid for oid, v in lookup.items() if v[1]), dtype=np.int64)
    is_threat = np.isin(tid, hostile_ids)
    is_civil = (tid >= 0) & ~is_threat
    with style():
        fig = new_figure(10.0, 7.0)
        ax_all, ax_low = fig.subplots(2, 1, sharex=True, height_ratios=[1.2, 1])
        handles: list[Any] = []
        for ax in (ax_all, ax_low):
            _add_trajectories(ax, by_cat, civil_alpha=0.6)
            ax.scatter(dt[is_civil], dh[is_civil], s=1.5, c="#8a8a8a", lw=0, alpha=0.4, zorder=4)
            ax.scatter(dt[is_threat], dh[is_threat], s=3.0, c=PLOT_COLOR, lw=0, alpha=0.6, zorder=5)
            ax.set_ylabel("height (km)")
        for cat in sorted(by_cat, key=lambda c: (c != "civil", c)):
            handles.append(Line2D([], [], color=category_color(cat), lw=1.5, label=cat))
        handles.append(
            Line2D([], [], ls="", marker=".", color=PLOT_COLOR, label="plot of a threat")
        )
        handles.append(Line2D([], [], ls="", marker=".", color="#8a8a8a", label="plot of civil"))
        finite = hh[np.isfinite(hh)]
        top = float(finite.max()) if finite.size else 1.0
        ax_all.set_ylim(min(0.0, float(finite.min()) if finite.size else 0.0), top * 1.05 + 0.1)
        ax_low.set_ylim(0.0, 2.0)
        duration = _num_or(run.meta.get("duration_s"), float(np.nanmax(tt)))
        ax_low.set_xlim(min(0.0, float(np.nanmin(tt))), max(duration, float(np.nanmax(tt))) + 1e-9)
        ax_low.set_xlabel("time since scenario start (s)")
        ax_all.set_title("all heights", loc="left")
        ax_low.set_title("low altitude, 0–2 km", loc="left")
        ax_all.legend(handles=handles, loc="upper right", ncols=3)
        return to_png_uri(fig)


def tracking_figure(run: RunData, extent: tuple[float, ...]) -> str | None:
    """Confirmed tracks over truth in plan, and GOSPA with truth and track counts over time."""
    tr = run.tracks
    m = run.track_metrics
    if tr["t"].shape[0] == 0 and m["t"].shape[0] == 0:
        return None
    with style():
        fig = new_figure(12.0, 5.6)
        ax_plan, ax_g = fig.subplots(1, 2, width_ratios=[1.0, 1.25])
        tx = run.truth["x"].astype(np.float64) / 1e3
        ty = run.truth["y"].astype(np.float64) / 1e3
        draw_basemap(ax_plan, run, extent)
        for _, sl in _segments(run):
            ax_plan.plot(tx[sl], ty[sl], color="#c8c8c8", lw=2.2, zorder=1)
        ids = tr["track_id"].astype(np.int64)
        x, y = tr["x"].astype(np.float64) / 1e3, tr["y"].astype(np.float64) / 1e3
        cuts = np.flatnonzero(np.diff(ids)) + 1
        cmap = matplotlib.colormaps["tab20"]
        for k, sl in enumerate(np.split(np.arange(ids.size), cuts)):
            if sl.size:
                ax_plan.plot(x[sl], y[sl], lw=0.9, color=cmap(k % 20), zorder=2)
        ax_plan.set_xlim(extent[0], extent[1])
        ax_plan.set_ylim(extent[2], extent[3])
        ax_plan.set_aspect("equal")
        ax_plan.set_xlabel("east (km)")
        ax_plan.set_ylabel("north (km)")
        ax_plan.set_title("confirmed tracks (colours) over truth (grey)", loc="left")
        t = m["t"].astype(np.float64)
        ax_g.plot(t, m["gospa_m"].astype(np.float64) / 1e3, color="#1f4e79", lw=1.4, label="GOSPA")
        ax_g.set_xlabel("time since scenario start (s)")
        ax_g.set_ylabel("GOSPA (km; c = 2 km, p = 2)")
        ax_n = ax_g.twinx()
        ax_n.plot(t, m["truths"].astype(np.float64), color="#8a8a8a", lw=1.0, label="objects seen")
        ax_n.plot(
            t, m["tracks"].astype(np.float64), color="#c0392b", lw=1.0, ls="--", label="tracks"
        )
        ax_n.set_ylabel("count")
        handles = ax_g.get_legend_handles_labels()[0] + ax_n.get_legend_handles_labels()[0]
        ax_g.legend(handles=handles, loc="upper left")
        ax_g.set_title("track picture quality over time", loc="left")
        return to_png_uri(fig)


# --- engagements -------------------------------------------------------------------------------

#: Most threats drawn in the engagement timeline (first in launch order).
TIMELINE_MAX_ROWS = 150


def timeline_rows(run: RunData) -> list[int]:
    """Row indices into ``run.threat_rows`` of the threats the timeline draws: those
    engaged, killed, leaked or that hit an asset, in launch order."""
    r = run.threat_rows
    out = []
    for i in range(r["object_id"].shape[0]):
        engaged = int(r["interceptors"][i]) > 0
        ended = any(np.isfinite(float(r[k][i])) for k in ("killed_t", "leak_t", "hit_t"))
        if engaged or ended:
            out.append(i)
    return out[:TIMELINE_MAX_ROWS]


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def engagement_timeline(run: RunData) -> str | None:
    """One row per engaged or leaked threat: its life from first plot to end, with track,
    identification, interceptor launches, misses, kill or leak; a PNG URI (None if empty)."""
    rows = timeline_rows(run)
    if not rows:
        return None
    r = run.threat_rows
    en = run.engagements
    ev = run.engage_events
    launches: dict[int, list[float]] = {}
    for t, oid in zip(en["t"], en["object_id"], strict=True):
        if oid is not None and np.isfinite(float(oid)):
            launches.setdefault(int(oid), []).append(float(t))
    misses: dict[int, list[float]] = {}
    for t, kind, oid in zip(ev["t"], ev["kind"], ev["object_id"], strict=True):
        if kind == "miss":
            misses.setdefault(int(oid), []).append(float(t))
    n = len(rows)
    marks: dict[str, tuple[list[float], list[float]]] = {
        k: ([], []) for k in ("confirmed", "identified", "launch", "miss", "kill", "leak", "hit")
    }
    with style():
        fig = new_figure(11.0, max(2.8, 1.6 + 0.2 * n))
        ax = fig.add_subplot()
        segs_by_cat: dict[str, list[FloatArray]] = {}
        unseen: list[FloatArray] = []
        for k, i in enumerate(rows):
            y = float(n - 1 - k)  # first launched at the top
            oid = int(r["object_id"][i])
            start = _finite(r["start_s"][i]) or 0.0
            first = _finite(r["first_t"][i])
            end = _finite(r["end_s"][i]) or start
            cat = str(r["category"][i])
            unseen.append(np.array([[start, y], [first if first is not None else end, y]]))
            if first is not None:
                segs_by_cat.setdefault(cat, []).append(np.array([[first, y], [end, y]]))
            for key, col in (("confirmed", "confirmed_t"), ("identified", "identified_t")):
                t = _finite(r[col][i])
                if t is not None:
                    marks[key][0].append(t)
                    marks[key][1].append(y)
            for t in launches.get(oid, []):
                marks["launch"][0].append(t)
                marks["launch"][1].append(y)
            for t in misses.get(oid, []):
                marks["miss"][0].append(t)
                marks["miss"][1].append(y)
            for key, col in (("kill", "killed_t"), ("leak", "leak_t"), ("hit", "hit_t")):
                t = _finite(r[col][i])
                if t is not None:
                    marks[key][0].append(t)
                    marks[key][1].append(y)
        ax.add_collection(LineCollection(unseen, colors="#c8c8c8", linewidths=1.0, zorder=1))
        handles: list[Any] = [Line2D([], [], color="#c8c8c8", lw=1.0, label="flying, unseen")]
        for cat in sorted(segs_by_cat):
            ax.add_collection(
                LineCollection(segs_by_cat[cat], colors=category_color(cat), linewidths=2.2)
            )
            handles.append(Line2D([], [], color=category_color(cat), lw=2.2, label=cat))
        marker_style: dict[str, dict[str, Any]] = {
            "confirmed": {"marker": "|", "s": 60, "c": "#555555", "label": "track confirmed"},
            "identified": {
                "marker": "D", "s": 22, "facecolors": "none", "edgecolors": "#111111",
                "label": "identified hostile",
            },
            "launch": {"marker": ">", "s": 26, "c": LAUNCH_COLOR, "label": "interceptor launch"},
            "miss": {
                "marker": "o", "s": 26, "facecolors": "none", "edgecolors": LAUNCH_COLOR,
                "label": "interceptor miss",
            },
            "kill": {"marker": "X", "s": 70, "c": KILL_COLOR, "label": "kill"},
            "leak": {"marker": "v", "s": 60, "c": LEAK_COLOR, "label": "leaked"},
            "hit": {"marker": "*", "s": 110, "c": LEAK_COLOR, "label": "asset hit"},
        }  # fmt: skip
        for key, (xs, ys) in marks.items():
            if xs:
                ax.scatter(xs, ys, zorder=5, linewidths=1.0, **marker_style[key])
                st = marker_style[key]
                handles.append(
                    Line2D(
                        [], [], ls="", marker=st["marker"],
                        color=st.get("c", st.get("edgecolors")),
                        mfc="none" if "facecolors" in st else st.get("c"),
                        label=st["label"],
                    )
                )  # fmt: skip
        ax.set_yticks(np.arange(n), [str(r["name"][i]) for i in reversed(rows)])
        ax.tick_params(axis="y", labelsize=7 if n > 30 else 8)
        ax.set_ylim(-0.8, n - 0.2)
        t_end = _num_or(run.meta.get("duration_s"), 0.0)
        ends = [float(r["end_s"][i]) for i in rows if _finite(r["end_s"][i]) is not None]
        ax.set_xlim(0.0, max([t_end, *ends, 1.0]) * 1.01)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("time since scenario start (s)")
        ax.set_title("engagement timeline (first launched at the top)", loc="left")
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        return to_png_uri(fig)


#: Heights (m) at which the flyout figure draws each missile's curve, besides its lowest.
FLYOUT_HEIGHTS_M = (5_000.0, 15_000.0)
_FLYOUT_STYLES = ("-", "--", ":")


def flyout_curves(run: RunData) -> list[tuple[str, int, float, FloatArray, FloatArray]]:
    """(missile, slot, height m, ground range m, flyout time s) of the curves drawn: per
    missile, its lowest tabulated height (slot 0) and the ones nearest 5 and 15 km (slots 1
    and 2, when tabulated within 15 %)."""
    f = run.flyout
    out: list[tuple[str, int, float, FloatArray, FloatArray]] = []
    missiles = f["missile"].astype(str)
    h_all = f["height_m"].astype(np.float64)
    for m in sorted(set(missiles.tolist())):
        sel = missiles == m
        heights = np.unique(h_all[sel])
        picks = [(0, float(heights[0]))]
        for slot, target in enumerate(FLYOUT_HEIGHTS_M, start=1):
            near = float(heights[np.argmin(np.abs(heights - target))])
            if abs(near - target) <= 0.15 * target and near not in [h for _, h in picks]:
                picks.append((slot, near))
        for slot, h in picks:
            row = sel & (h_all == h)
            rng = f["ground_range_m"][row].astype(np.float64)
            t = f["time_s"][row].astype(np.float64)
            ok = np.isfinite(t)
            if ok.any():
                out.append((m, slot, h, rng[ok], t[ok]))
    return out


def flyout_figure(run: RunData) -> str | None:
    """Flyout time against ground range per missile type at a few heights; a PNG URI."""
    curves = flyout_curves(run)
    if not curves:
        return None
    missiles = sorted({c[0] for c in curves})
    colors = {m: SENSOR_COLORS[i % len(SENSOR_COLORS)] for i, m in enumerate(missiles)}
    f = run.flyout
    reach: dict[str, float] = {}
    for m in missiles:
        sel = (f["missile"].astype(str) == m) & np.isfinite(f["time_s"].astype(np.float64))
        reach[m] = float(f["ground_range_m"][sel].astype(np.float64).max())
    shortest, longest = min(reach.values()), max(reach.values())
    zoom = shortest < 0.3 * longest
    with style():
        fig = new_figure(11.0, 4.6)
        axes = fig.subplots(1, 2 if zoom else 1, squeeze=False)[0]
        for ax in axes:
            for m, slot, _, rng, t in curves:
                ax.plot(rng / 1e3, t, color=colors[m], ls=_FLYOUT_STYLES[slot], lw=1.3)
            for m in missiles:
                ax.axvline(reach[m] / 1e3, color=colors[m], lw=0.8, ls="-.", alpha=0.6)
            ax.set_xlabel("ground range to the intercept point (km)")
            ax.set_ylabel("flyout time (s)")
            ax.set_xlim(left=0.0)
            ax.set_ylim(bottom=0.0)
        axes[0].set_title("all missile types", loc="left")
        if zoom:
            lim = 1.1 * shortest / 1e3
            axes[1].set_xlim(0.0, lim)
            inside = [t[rng / 1e3 <= lim] for _, _, _, rng, t in curves]
            top = max((float(v.max()) for v in inside if v.size), default=1.0)
            axes[1].set_ylim(0.0, 1.08 * top)
            axes[1].set_title(f"zoom on 0–{lim:.0f} km", loc="left")
        handles: list[Any] = [
            Line2D([], [], color=colors[m], lw=1.6, label=f"{m} (max {reach[m] / 1e3:.0f} km)")
            for m in missiles
        ]
        handles.append(Line2D([], [], color="#555555", ls="-.", lw=0.8, label="max range"))
        lowest = sorted({h for _, slot, h, _, _ in curves if slot == 0})
        low_name = f"lowest ({lowest[0]:g} m)" if len(lowest) == 1 else "lowest height"
        slots = sorted({slot for _, slot, _, _, _ in curves})
        names = (low_name, "≈ 5 km", "≈ 15 km")
        for k in slots:
            name = names[k]
            handles.append(
                Line2D([], [], color="#555555", ls=_FLYOUT_STYLES[k], lw=1.2, label=name)
            )
        axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        return to_png_uri(fig)
