"""Assemble the self-contained HTML run report and write it atomically.

The page has no external resource: CSS is inline, figures are base64 PNG ``data:`` URIs and
the only script is a few inline lines that sort tables on a header click. Nothing in the page
depends on the wall clock or on where the run directory lives, so the same ``run.duckdb``
always gives a byte-identical ``report.html``.

This module holds the data and the logic (what to show); the page itself, its markup and its
prose, is the Jinja2 template ``templates/report.html``, and its style and script are
``report.css`` and ``report.js``, all package data beside this module (read with
:mod:`importlib.resources`, as :mod:`airdefense.report.replay` reads its own). Text is escaped
by the template as :func:`html.escape` does (``'`` as ``&#x27;``), so the page is the same,
byte for byte, as when Python wrote it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from jinja2.ext import Extension
from markupsafe import Markup
from numpy.typing import NDArray

from airdefense.files import write_atomic
from airdefense.record.schema import SUMMARY_COLUMNS
from airdefense.report import basemap, figures
from airdefense.report.rundata import RunData, load_run

REPORT_NAME = "report.html"


def _asset_text(name: str) -> str:
    return resources.files("airdefense.report").joinpath(name).read_text(encoding="utf-8")


#: The report's style (``report.css``), a line break first as the page has always had it; the
#: Monte Carlo report's page extends it.
CSS = "\n" + _asset_text("report.css")
#: Sorts a table on a header click (``report.js``, one line: the page holds it as it is).
_SORT_JS = _asset_text("report.js").rstrip("\n")

_MISSING = "–"
_SORT_LAST = "1e300"


def _num(v: Any) -> float | None:
    """A finite float, or None for NULL/NaN/non-numbers."""
    if v is None or isinstance(v, bool | np.bool_):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt(v: Any, digits: int = 0, scale: float = 1.0) -> str:
    """Format a number with fixed digits (scaled), or a dash when missing."""
    f = _num(v)
    if f is None:
        return _MISSING
    return f"{f * scale:,.{digits}f}"


def _usd(v: Any) -> str:
    """A cost in US dollars, in millions above one million."""
    f = _num(v)
    if f is None:
        return _MISSING
    return f"US$ {f / 1e6:,.1f} M" if abs(f) >= 1e6 else f"US$ {f:,.0f}"


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return _MISSING
    return str(v)


class _Cell:
    """A table cell: shown text, optional numeric sort key and CSS class."""

    __slots__ = ("cls", "sort", "text")

    def __init__(self, text: str, sort: float | None = None, cls: str = "") -> None:
        self.text, self.sort, self.cls = text, sort, cls


def _ncell(v: Any, digits: int = 0, scale: float = 1.0) -> _Cell:
    f = _num(v)
    return _Cell(fmt(v, digits, scale), f * scale if f is not None else None, "n")


# --- tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A table as the page draws it: header cells (text, numeric), rows (row class, cells
    as text, CSS class and numeric sort key, None where the cell has none), whether a header
    click sorts it and whether it scrolls in a box of its own."""

    head: list[tuple[str, bool]]
    rows: list[tuple[str, list[tuple[str, str, str | None]]]]
    sortable: bool
    scroll: bool


def _table(
    head: Sequence[str],
    rows: Sequence[tuple[str, Sequence[_Cell]]],
    numeric: Sequence[bool],
    sortable: bool = True,
    scroll: bool = False,
) -> _Table:
    """A table; rows are (row class, cells). In a sortable table numeric cells carry their
    sort key (missing values sort last)."""

    def key(c: _Cell) -> str | None:
        if not (sortable and c.cls.startswith("n")):
            return None
        return _SORT_LAST if c.sort is None else repr(float(c.sort))

    body = [(row_cls, [(c.text, c.cls, key(c)) for c in cells]) for row_cls, cells in rows]
    return _Table(list(zip(head, numeric, strict=True)), body, sortable, scroll)


# --- sections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    description: str
    facts: list[tuple[str, str]]
    cards: list[tuple[str, str, bool]]


def _header(run: RunData) -> _Header:
    """The run's description, its facts (seed, duration, origin, ...) and summary cards."""
    m, s = run.meta, run.summary
    duration = _num(m.get("duration_s")) or _num(s.get("duration_s"))
    items: list[tuple[str, str]] = [
        ("seed", m.get("seed") or _text(s.get("seed"))),
    ]
    if "trial" in m or "trial" in s:
        items.append(("trial", m.get("trial") or _text(s.get("trial"))))
    items.append(("duration", f"{fmt(duration, 0)} s ({fmt(duration, 1, 1 / 60)} min)"))
    if "dt_s" in m:
        items.append(("time step", f"{fmt(m['dt_s'], 3).rstrip('0').rstrip('.')} s"))
    lat, lon, alt = (_num(m.get(k)) for k in ("origin_lat_deg", "origin_lon_deg", "origin_alt_m"))
    if lat is not None and lon is not None:
        ns = "N" if lat >= 0 else "S"
        ew = "E" if lon >= 0 else "W"
        items.append(
            (
                "origin",
                f"{abs(lat):.5f}° {ns}, {abs(lon):.5f}° {ew}, {fmt(alt, 0)} m (WGS-84)",
            )
        )
    shown = {"scenario", "description", "seed", "trial", "duration_s", "dt_s"}
    shown |= {"origin_lat_deg", "origin_lon_deg", "origin_alt_m"}
    for k in sorted(m):
        if k not in shown:
            items.append((k, m[k]))
    return _Header(m.get("description", ""), items, _cards(run))


def _cards(run: RunData) -> list[tuple[str, str, bool]]:
    """The summary as cards: (value, label, whether it is bad news)."""
    s = run.summary
    cards: list[tuple[str, str, bool]] = []

    def add(key: str, label: str, value: str | None = None, bad: bool = False) -> None:
        if key in s:
            cards.append((value if value is not None else fmt(s[key]), label, bad))

    add("objects", "objects")
    add("threats", "threats")
    add("civil", "civil flights")
    add("sensors", "sensors")
    add("detections", "plots of real objects")
    add("false_alarms", "false alarms")
    if "threats_detected" in s:
        t = _num(s.get("threats"))
        td = _num(s["threats_detected"])
        frac = f" ({100 * td / t:.0f} %)" if t and td is not None else ""
        cards.append(
            (
                f"{fmt(td)} / {fmt(t)}{frac}",
                "threats detected",
                bool(t and td is not None and td < t),
            )
        )
    if "civil_detected" in s:
        c = _num(s.get("civil"))
        cd = _num(s["civil_detected"])
        frac = f" ({100 * cd / c:.0f} %)" if c and cd is not None else ""
        cards.append((f"{fmt(cd)} / {fmt(c)}{frac}", "civil detected", False))
    add("mean_warning_s", "mean warning time", f"{fmt(s.get('mean_warning_s'), 0)} s")
    add("leakers", "leakers", bad=bool(_num(s.get("leakers"))))
    add("assets_hit", "assets hit", bad=bool(_num(s.get("assets_hit"))))
    add("civil_engaged", "civil engaged", bad=bool(_num(s.get("civil_engaged"))))
    add("interceptors_used", "interceptors used")
    for missile, fired in _fired_by_type(run):
        cards.append((fmt(fired), f"interceptors used: {missile}", False))
    add("kills", "threats killed")
    add("interceptor_cost_usd", "interceptor cost", _usd(s.get("interceptor_cost_usd")))
    add("cost_exchange_ratio", "cost-exchange ratio", fmt(s.get("cost_exchange_ratio"), 2))
    known = set(SUMMARY_COLUMNS)
    skip = known | {"scenario", "seed", "trial", "duration_s"}
    for k, v in s.items():
        if k not in skip and _num(v) is not None:
            cards.append((fmt(v, 0 if float(v).is_integer() else 2), k.replace("_", " "), False))
    return cards


def _fired_by_type(run: RunData) -> list[tuple[str, int]]:
    """Interceptors launched per missile type, over all batteries, by type name (types that
    were carried but never fired are left out)."""
    b = run.battery_rows
    total: dict[str, int] = {}
    for missile, fired in zip(b["missile"], b["fired"], strict=True):
        total[str(missile)] = total.get(str(missile), 0) + int(fired)
    return sorted((m, n) for m, n in total.items() if n > 0)


@dataclass(frozen=True)
class _Rings:
    """What the plan view's battery rings are: whether there are batteries, whether they are
    the carried ones (else only those that fired), and which sources give a ring's radius."""

    batteries: bool
    carried: bool
    flyout: bool
    max_range: bool


def _rings(run: RunData) -> _Rings:
    """The plan view's battery squares and brown rings, and where each ring's radius comes
    from (the flyout table or the missile's max range)."""
    b = run.battery_sites
    if not b["battery"].shape[0]:
        return _Rings(False, False, False, False)
    carried = bool(np.all(b["carried"].astype(bool)))
    sources = {r[5] for r in figures.missile_rings(run)}
    return _Rings(True, carried, "flyout" in sources, "max range" in sources)


@dataclass(frozen=True)
class _Plan:
    basemap: str | None  # the basemap's attribution, None where none is drawn
    whole: str
    zoom: str | None
    rcs_m2: str | None  # the coverage reference target's RCS, formatted
    low: str
    high: str
    rings: _Rings
    sampled: tuple[str, str, str, str] | None  # truth drawn, truth rows, plots drawn, plots


def _plan(run: RunData) -> _Plan:
    whole, zoom = figures.plan_extents(run)
    sampled = None
    if (
        run.truth["t"].shape[0] < run.truth_rows
        or run.detections["t"].shape[0] < run.detection_rows
    ):
        sampled = (
            f"{run.truth['t'].shape[0]:,}",
            f"{run.truth_rows:,}",
            f"{run.detections['t'].shape[0]:,}",
            f"{run.detection_rows:,}",
        )
    low, high = (figures.height_text(h) for h in figures.COVERAGE_HEIGHTS_M)
    bm = figures.plan_basemap(run, whole)
    return _Plan(
        basemap=basemap.ATTRIBUTION if bm is not None and not bm.empty else None,
        whole=figures.plan_view(run, whole, "Whole picture"),
        zoom=(
            figures.plan_view(run, zoom, "Defended area (assets and radar sites)")
            if zoom is not None
            else None
        ),
        rcs_m2=f"{run.coverage[0].rcs_m2:g}" if run.coverage else None,
        low=low,
        high=high,
        rings=_rings(run),
        sampled=sampled,
    )


@dataclass(frozen=True)
class _Tracking:
    uri: str
    confirmed: str
    completeness: str
    gospa: str


def _tracking(run: RunData) -> _Tracking | None:
    extent, _ = figures.plan_extents(run)
    uri = figures.tracking_figure(run, extent)
    if uri is None:
        return None
    s = run.summary
    return _Tracking(
        uri,
        fmt(s.get("tracks_confirmed")),
        fmt(s.get("track_completeness"), 3),
        fmt(s.get("gospa_mean_m")),
    )


@dataclass(frozen=True)
class _Threats:
    count: int
    detected: int
    undetected: int
    table: _Table | None


def _threats(run: RunData) -> _Threats:
    """One row per hostile object: when it was first plotted, tracked, identified, engaged,
    and what became of it."""
    r = run.threat_rows
    n = r["object_id"].shape[0]
    undetected = int(np.sum(~np.isfinite(r["first_t"].astype(np.float64)))) if n else 0
    head = [
        "name",
        "category",
        "preset",
        "raid",
        "launch (s)",
        "first plot (s)",
        "first sensor",
        "range (km)",
        "height (km)",
        "warning (s)",
        "track (s)",
        "hostile (s)",
        "engaged (s)",
        "fired at it",
        "interceptors",
        "outcome",
        "end (s)",
        "end reason",
        "plots",
        "sensors",
        "status",
    ]
    numeric = [
        False,
        False,
        False,
        True,
        True,
        True,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        True,
        False,
    ]
    rows: list[tuple[str, list[_Cell]]] = []
    for i in range(n):
        seen = _num(r["first_t"][i]) is not None
        rows.append(
            (
                "" if seen else "missed",
                [
                    _Cell(_text(r["name"][i])),
                    _Cell(_text(r["category"][i])),
                    _Cell(_text(r["preset"][i])),
                    _ncell(r["raid"][i]),
                    _ncell(r["start_s"][i], 1),
                    _ncell(r["first_t"][i], 1),
                    _Cell(_text(r["first_sensor"][i]) if seen else _MISSING),
                    _ncell(r["range_m"][i], 1, 1e-3),
                    _ncell(r["height_m"][i], 2, 1e-3),
                    _ncell(r["warning_s"][i], 1),
                    _ncell(r["confirmed_t"][i], 1),
                    _ncell(r["identified_t"][i], 1),
                    _ncell(r["engaged_t"][i], 1),
                    _Cell(_text(r["fired_by"][i])),
                    _ncell(r["interceptors"][i]),
                    _outcome_cell(r, i),
                    _ncell(r["end_s"][i], 1),
                    _Cell(_text(r["end_reason"][i])),
                    _ncell(r["plots"][i]),
                    _ncell(r["by_sensors"][i]),
                    _Cell("detected" if seen else "undetected", cls="flag"),
                ],
            )
        )
    table = _table(head, rows, numeric, scroll=n > 25) if n else None
    return _Threats(n, n - undetected, undetected, table)


def _outcome_cell(r: dict[str, Any], i: int) -> _Cell:
    """What became of a threat: killed, leaked, hit an asset or survived; and for one that
    got through, the first link of the kill chain that failed."""
    killed = _num(r["killed_t"][i])
    if killed is not None:
        missile = r["kill_missile"][i]
        by = f" ({missile})" if missile else ""
        return _Cell(f"killed at {killed:.0f} s{by}", cls="good")
    reason = _text(r["end_reason"][i])
    if r["hit_asset"][i] is not None:
        text = f"hit {r['hit_asset'][i]}"
    elif _num(r["leak_t"][i]) is not None or reason in ("impact", "reached_aim"):
        text = "leaked"
    elif reason == "killed":
        return _Cell("killed", cls="good")
    elif reason in ("duration", "record_end"):
        return _Cell("survived")
    else:
        return _Cell(reason)
    if _num(r["first_t"][i]) is None:
        why = "never plotted"
    elif _num(r["confirmed_t"][i]) is None:
        why = "no confirmed track"
    elif _num(r["identified_t"][i]) is None:
        why = "not identified hostile"
    elif not _num(r["interceptors"][i]):
        why = "not engaged"
    else:
        why = "engaged, not killed"
    return _Cell(f"{text}: {why}", cls="bad")


@dataclass(frozen=True)
class _Batteries:
    table: _Table
    carried: bool  # the batteries table lists what each carried (else only what fired)
    cost: str | None  # all interceptors' cost


@dataclass(frozen=True)
class _Engagement:
    launched: int
    targets: int
    shooters: int
    kills: int
    cost: str | None
    exchange: str | None
    batteries: _Batteries | None
    timeline: str | None
    timeline_cut: int | None  # the rows drawn, where the timeline has more threats
    flyout: str | None


def _engagement(run: RunData) -> _Engagement:
    """What was fired at what, by which battery, and the flyout curves of each missile."""
    b = run.battery_rows
    s = run.summary
    n_int = int(run.engagements["t"].shape[0])
    targets = len({int(o) for o in run.engagements["object_id"] if o is not None and o >= 0})
    shooters = {str(n) for n, f in zip(b["battery"], b["fired"], strict=True) if f}
    uri = figures.engagement_timeline(run)
    cut = None
    if uri is not None:
        shown = len(figures.timeline_rows(run))
        cut = shown if shown == figures.TIMELINE_MAX_ROWS else None
    return _Engagement(
        launched=n_int,
        targets=targets if n_int else 0,
        shooters=len(shooters),
        kills=int(np.sum(b["kills"])) if n_int else 0,
        cost=_usd(s["interceptor_cost_usd"]) if "interceptor_cost_usd" in s else None,
        exchange=fmt(s["cost_exchange_ratio"], 2) if "cost_exchange_ratio" in s else None,
        batteries=_batteries(run) if b["battery"].shape[0] else None,
        timeline=uri,
        timeline_cut=cut,
        flyout=figures.flyout_figure(run),
    )


def _batteries(run: RunData) -> _Batteries:
    """Per battery and missile type: rounds loaded, fired and left, what became of those
    fired, and their cost."""
    b = run.battery_rows
    head = [
        "battery",
        "missile",
        "loaded",
        "fired",
        "left",
        "targets",
        "kills",
        "misses",
        "lost",
        "in flight at end",
        "first launch (s)",
        "last launch (s)",
        "round (US$M)",
        "cost fired (US$M)",
    ]
    numeric = [False, False, *[True] * 12]
    rows: list[tuple[str, list[_Cell]]] = []
    batteries = b["battery"].astype(str)

    def agg(col: str, idx: NDArray[np.int64], how: Any = np.sum) -> float | None:
        """``how`` over the known values of a column, None when none is known."""
        v = _floats(b[col][idx])
        v = v[np.isfinite(v)]
        return float(how(v)) if v.size else None

    for name in dict.fromkeys(batteries.tolist()):
        idx = np.flatnonzero(batteries == name)
        for i in idx:
            rows.append(
                (
                    "",
                    [
                        _Cell(name),
                        _Cell(_text(b["missile"][i])),
                        _ncell(b["loaded"][i]),
                        _ncell(b["fired"][i]),
                        _ncell(b["rounds_left"][i]),
                        _ncell(b["targets"][i]),
                        _ncell(b["kills"][i]),
                        _ncell(b["misses"][i]),
                        _ncell(b["lost"][i]),
                        _ncell(b["flying"][i]),
                        _ncell(b["first_t"][i], 1),
                        _ncell(b["last_t"][i], 1),
                        _ncell(b["round_cost_usd"][i], 2, 1e-6),
                        _ncell(b["cost_usd"][i], 1, 1e-6),
                    ],
                )
            )
        if idx.size > 1:
            rows.append(
                (
                    "total",
                    [
                        _Cell(name),
                        _Cell("all types"),
                        _ncell(agg("loaded", idx)),
                        _ncell(np.sum(b["fired"][idx])),
                        _ncell(agg("rounds_left", idx)),
                        _Cell(""),
                        _ncell(np.sum(b["kills"][idx])),
                        _ncell(np.sum(b["misses"][idx])),
                        _ncell(np.sum(b["lost"][idx])),
                        _ncell(np.sum(b["flying"][idx])),
                        _ncell(agg("first_t", idx, np.min), 1),
                        _ncell(agg("last_t", idx, np.max), 1),
                        _Cell(""),
                        _ncell(agg("cost_usd", idx), 1, 1e-6),
                    ],
                )
            )
    cost = None
    if "interceptor_cost_usd" in run.summary:
        cost = _usd(run.summary["interceptor_cost_usd"])
    carried = bool(np.isfinite(_floats(b["loaded"])).any())
    return _Batteries(_table(head, rows, numeric, sortable=False), carried, cost)


def _floats(values: NDArray[Any]) -> NDArray[np.float64]:
    """A column as floats, NULL as NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


@dataclass(frozen=True)
class _Sensors:
    table: _Table | None
    reach: _Table | None


def _sensors(run: RunData) -> _Sensors:
    """Per sensor: what it plotted; per sensor and object category: how far out it first
    plotted them."""
    r = run.sensor_rows
    horizon = {c.sensor_id: c for c in run.coverage}
    head = [
        "sensor",
        "preset",
        "role",
        "max range (km)",
        "horizon, low (km)",
        "plots",
        "false alarms",
        "objects",
        "threats",
        "civil",
        "first plots",
    ]
    numeric = [False, False, False, True, True, True, True, True, True, True, True]
    rows: list[tuple[str, list[_Cell]]] = []
    for i in range(r["sensor_id"].shape[0]):
        c = horizon.get(int(r["sensor_id"][i]))
        rows.append(
            (
                "",
                [
                    _Cell(_text(r["name"][i])),
                    _Cell(_text(r["preset"][i])),
                    _Cell(_text(r["role"][i])),
                    _ncell(r["max_range_m"][i], 0, 1e-3),
                    _ncell(c.horizon_m if c else None, 0, 1e-3),
                    _ncell(r["plots"][i]),
                    _ncell(r["false_alarms"][i]),
                    _ncell(r["objects_detected"][i]),
                    _ncell(r["threats_detected"][i]),
                    _ncell(r["civil_detected"][i]),
                    _ncell(r["first_detections"][i]),
                ],
            )
        )
    return _Sensors(_table(head, rows, numeric) if rows else None, _reach_table(run))


def _reach_table(run: RunData) -> _Table | None:
    """Per sensor and object category: how many it saw, and how far out it first saw them."""
    r = run.reach_rows
    if r["sensor_id"].shape[0] == 0:
        return None
    head = [
        "sensor",
        "category",
        "seen / objects",
        "median first-plot range (km)",
        "max first-plot range (km)",
        "median warning (s)",
    ]
    numeric = [False, False, True, True, True, True]
    rows = []
    for i in range(r["sensor_id"].shape[0]):
        seen, total = int(r["detected"][i]), int(r["objects"][i])
        rows.append(
            (
                "missed" if seen == 0 and r["category"][i] != "civil" else "",
                [
                    _Cell(_text(r["name"][i])),
                    _Cell(_text(r["category"][i])),
                    _Cell(f"{seen} / {total}", seen / total if total else None, "n"),
                    _ncell(r["median_range_m"][i], 0, 1e-3),
                    _ncell(r["max_range_m"][i], 0, 1e-3),
                    _ncell(r["median_warning_s"][i], 0),
                ],
            )
        )
    return _table(head, rows, numeric)


def _civil(run: RunData) -> _Table:
    c = run.civil
    flights, detected, engaged = c["flights"], c["detected"], c["engaged"]
    frac = f"{100 * detected / flights:.1f} %" if flights else _MISSING
    rows = [
        ("", [_Cell("flights"), _ncell(flights)]),
        ("", [_Cell("detected (at least one plot)"), _ncell(detected)]),
        ("", [_Cell("detected fraction"), _Cell(frac, cls="n")]),
    ]
    civil_engaged = _num(run.summary.get("civil_engaged"))
    if civil_engaged is None and engaged:
        civil_engaged = engaged
    if civil_engaged is not None:
        rows.append(
            (
                "missed" if civil_engaged else "",
                [_Cell("engaged (must be 0)"), _ncell(civil_engaged)],
            )
        )
    return _table(["", "count"], rows, [False, True], sortable=False)


@dataclass(frozen=True)
class _Log:
    outcomes: _Table | None
    events: _Table | None
    tracks: str | None  # tracks formed


def _log(run: RunData) -> _Log | None:
    """Engagements by outcome, events by kind and tracks formed; None when the run has none."""
    outcomes = events = None
    if run.engagement_outcomes:
        rows = [("", [_Cell(k), _ncell(v)]) for k, v in run.engagement_outcomes]
        outcomes = _table(["outcome", "engagements"], rows, [False, True], sortable=False)
    if run.event_counts:
        rows = [("", [_Cell(k), _ncell(v)]) for k, v in run.event_counts]
        events = _table(["kind", "events"], rows, [False, True], sortable=False)
    tracks = f"{run.track_rows:,}" if run.track_rows else None
    if outcomes is None and events is None and tracks is None:
        return None
    return _Log(outcomes, events, tracks)


# --- the page --------------------------------------------------------------------------------


class _FoldLines(Extension):
    """Template source written a sentence or an element a line, rendered as one line: a line
    break and the indentation around it are dropped where they touch a tag or a statement or
    comment tag, and become one space elsewhere (``templates/report.html`` says so too)."""

    _BREAK = re.compile(r"[ \t]*\n\s*")

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        def join(m: re.Match[str]) -> str:
            before, after = source[: m.start()], source[m.end() :]
            glued = not before or not after
            glued = glued or before.endswith((">", "%}", "#}"))
            glued = glued or after.startswith(("<", "{%", "{#"))
            return "" if glued else " "

        return self._BREAK.sub(join, source)


def _escape(value: Any) -> Markup:
    """Every value the template shows, escaped as :func:`html.escape` does (markup as it is)."""
    if hasattr(value, "__html__"):
        return Markup(value)
    return Markup(escape(str(value)))


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("airdefense.report", "templates"),
    autoescape=True,
    finalize=_escape,
    undefined=jinja2.StrictUndefined,
    extensions=[_FoldLines],
)


def render_html(run: RunData) -> str:
    """The complete report page for a loaded run, as a string."""
    return _TEMPLATES.get_template("report.html").render(
        name=run.meta.get("scenario") or _text(run.summary.get("scenario")),
        css=Markup(CSS),
        script=Markup(_SORT_JS),
        header=_header(run),
        plan=_plan(run),
        coverage=figures.coverage_figure(run),
        altitude=figures.altitude_figure(run),
        tracking=_tracking(run),
        threats=_threats(run),
        engage=_engagement(run),
        sensors=_sensors(run),
        civil=_civil(run),
        log=_log(run),
    )


def write_report(run_dir: Path) -> Path:
    """Read ``run_dir/run.duckdb`` and write ``run_dir/report.html``; return its path.

    The page is written to a temporary file in the same directory and renamed over the
    target, so a crash never leaves a half-written report that looks finished.
    Raises :class:`~airdefense.record.reader.RunReadError` (one line) when ``run_dir`` is
    not a readable run.
    """
    run_dir = Path(run_dir)
    run = load_run(run_dir)
    return write_atomic(run_dir / REPORT_NAME, render_html(run).encode("utf-8"))
