"""Assemble the self-contained HTML run report and write it atomically.

The page has no external resource: CSS is inline, figures are base64 PNG ``data:`` URIs and
the only script is a few inline lines that sort tables on a header click. Nothing in the page
depends on the wall clock or on where the run directory lives, so the same ``run.duckdb``
always gives a byte-identical ``report.html``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from airdefense.files import write_atomic
from airdefense.record.schema import SUMMARY_COLUMNS
from airdefense.report import basemap, figures
from airdefense.report.rundata import RunData, load_run

REPORT_NAME = "report.html"

CSS = """
:root { --fg:#1f2933; --muted:#5f6b7a; --line:#d9dee4; --zebra:#f5f7f9; --accent:#2471a3;
        --miss:#fdecea; --missfg:#a93226; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; color: var(--fg); background: #fcfcfd;
       font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       "Noto Sans", "Liberation Sans", sans-serif; max-width: 1180px; margin: auto; }
h1 { font-size: 24px; margin: 0 0 4px; font-weight: 600; }
h2 { font-size: 18px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line);
     font-weight: 600; }
h3 { font-size: 15px; margin: 20px 0 6px; font-weight: 600; }
p.desc { color: var(--muted); margin: 0 0 12px; }
nav { margin: 12px 0 8px; font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 14px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0;
          font-size: 13px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 4px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px;
        min-width: 120px; }
.card .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .k { font-size: 12px; color: var(--muted); }
.card.bad .v { color: var(--missfg); }
figure { margin: 12px 0 4px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px;
             background: #fff; }
p.how { font-size: 13px; color: var(--muted); margin: 4px 0 16px; max-width: 980px; }
p.how b { color: var(--fg); font-weight: 600; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 10px; background: #fff;
        font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
         white-space: nowrap; }
th { background: #eef1f4; font-weight: 600; position: sticky; top: 0; }
table.sortable th { cursor: pointer; }
td.n, th.n { text-align: right; }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody tr.missed { background: var(--miss); }
tbody tr.missed td.flag, span.flag, td.bad { color: var(--missfg); font-weight: 600; }
td.good { color: #145a32; font-weight: 600; }
tbody tr.total { background: #eef1f4; font-weight: 600; }
.scroll { max-height: 640px; overflow: auto; border: 1px solid var(--line); border-radius: 6px;
          display: inline-block; max-width: 100%; }
.scroll table { margin: 0; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
"""

_SORT_JS = (
    "document.querySelectorAll('table.sortable th').forEach(function(th){"
    "th.addEventListener('click',function(){var t=th.closest('table'),b=t.tBodies[0],"
    "i=Array.prototype.indexOf.call(th.parentNode.children,th),"
    "d=th.dataset.dir==='a'?-1:1;th.dataset.dir=d>0?'a':'d';"
    "Array.from(b.rows).sort(function(x,y){var p=x.cells[i].dataset.v,q=y.cells[i].dataset.v;"
    "if(p===undefined||q===undefined){return d*x.cells[i].textContent.localeCompare("
    "y.cells[i].textContent);}return d*(parseFloat(p)-parseFloat(q));})"
    ".forEach(function(r){b.appendChild(r);});});});"
)

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


def _table(
    head: Sequence[str],
    rows: Sequence[tuple[str, Sequence[_Cell]]],
    numeric: Sequence[bool],
    sortable: bool = True,
    scroll: bool = False,
) -> str:
    """An HTML table; rows are (row class, cells)."""
    cls = ' class="sortable"' if sortable else ""
    out = [f"<table{cls}><thead><tr>"]
    for h, n in zip(head, numeric, strict=True):
        out.append(f'<th class="n">{escape(h)}</th>' if n else f"<th>{escape(h)}</th>")
    out.append("</tr></thead><tbody>")
    for row_cls, cells in rows:
        out.append(f'<tr class="{row_cls}">' if row_cls else "<tr>")
        for c in cells:
            attrs = f' class="{c.cls}"' if c.cls else ""
            if sortable and c.cls.startswith("n"):
                key = _SORT_LAST if c.sort is None else repr(float(c.sort))
                attrs += f' data-v="{key}"'
            out.append(f"<td{attrs}>{escape(c.text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    html = "".join(out)
    return f'<div class="scroll">{html}</div>' if scroll else html


def _figure(uri: str, alt: str, how: str) -> str:
    return (
        f'<figure><img src="{uri}" alt="{escape(alt)}"></figure>'
        f'<p class="how"><b>How to read this.</b> {how}</p>'
    )


# --- sections ------------------------------------------------------------------------------


def _header(run: RunData) -> str:
    m, s = run.meta, run.summary
    name = m.get("scenario") or _text(s.get("scenario"))
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
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    desc = m.get("description", "")
    return (
        f"<header><h1>Run report: {escape(name)}</h1>"
        + (f'<p class="desc">{escape(desc)}</p>' if desc else "")
        + f'<dl class="meta">{dl}</dl>'
        + _cards(run)
        + "</header>"
    )


def _cards(run: RunData) -> str:
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
    if not cards:
        return '<p class="desc">No summary row in this run.</p>'
    body = "".join(
        f'<div class="card{" bad" if bad else ""}"><div class="v">{escape(v)}</div>'
        f'<div class="k">{escape(k)}</div></div>'
        for v, k, bad in cards
    )
    return f'<div class="cards">{body}</div>'


def _fired_by_type(run: RunData) -> list[tuple[str, int]]:
    """Interceptors launched per missile type, over all batteries, by type name (types that
    were carried but never fired are left out)."""
    b = run.battery_rows
    total: dict[str, int] = {}
    for missile, fired in zip(b["missile"], b["fired"], strict=True):
        total[str(missile)] = total.get(str(missile), 0) + int(fired)
    return sorted((m, n) for m, n in total.items() if n > 0)


def _rings_text(run: RunData) -> str:
    """What the plan view's battery squares and brown rings are, and where each ring's radius
    comes from (the flyout table or the missile's max range)."""
    b = run.battery_sites
    if not b["battery"].shape[0]:
        return "No battery in this run."
    carried = bool(np.all(b["carried"].astype(bool)))
    sources = {r[5] for r in figures.missile_rings(run)}
    text = (
        "Blue squares are the batteries at their sites, every battery whether it fired or not; "
        "brown rings are each battery's reach with each missile type it carries: "
        if carried
        else "Blue squares are the batteries at their first launch site (this run has no "
        "batteries table, so only batteries that fired are shown); brown rings are each "
        "battery's reach with each missile type it fired: "
    )
    parts = []
    if "flyout" in sources:
        parts.append("solid, the farthest ground range of that missile in the run's flyout table")
    if "max range" in sources:
        parts.append(
            "dashed, the missile's maximum range from the batteries table, where the flyout "
            "table has no row for it"
        )
    if not parts:
        return text + "none has a known reach, so no ring is drawn."
    return text + "; ".join(parts) + " (the legend names the source of each ring)."


def _plan_section(run: RunData) -> str:
    whole, zoom = figures.plan_extents(run)
    sampled = ""
    if (
        run.truth["t"].shape[0] < run.truth_rows
        or run.detections["t"].shape[0] < run.detection_rows
    ):
        sampled = (
            f" For drawing, {run.truth['t'].shape[0]:,} of {run.truth_rows:,} truth points and "
            f"{run.detections['t'].shape[0]:,} of {run.detection_rows:,} plots are shown "
            "(every k-th, deterministically); tables use all rows."
        )
    low, high = (figures.height_text(h) for h in figures.COVERAGE_HEIGHTS_M)
    rcs = f"{run.coverage[0].rcs_m2:g} m² " if run.coverage else ""
    how = (
        "East and north in km from the scenario origin (ENU frame). Coloured lines are true "
        "trajectories by category (civil in grey); small dark dots are plots of real objects, "
        "faint pink dots false alarms. Black rings mark where each threat was first plotted "
        "(grey rings: civil); a red × marks the end of a threat that no radar ever plotted. "
        "Orange discs are defended assets at their radius. Each sensor (triangle) has a dashed "
        "instrumented-range ring and its coverage from its diagram: the dotted ring is the "
        f"farthest ground range at which it detects the {rcs}reference target flying at {low} "
        "(single-scan Pd ≥ 0.5), the dash-dotted ring the same at "
        f"{high}. The low ring is short because the 4/3-Earth horizon hides a low flyer "
        "beyond it, whatever the radar's power. Sectored radars show their sector shaded and "
        "their coverage rings only across it (boresight taken clockwise from north). "
        + _rings_text(run)
        + " Blue lines join launch sites to predicted intercept points; green × are kills. "
        "Under it all, where the scenario sits on land or near a coast, is the real map: land "
        "(pale), sea (blue), coastlines (solid) and country borders (dashed) from Natural "
        "Earth's 1:50m countries (public domain, vendored from the world-atlas package); in "
        "open sea only the grid is drawn." + sampled
    )
    bm = figures.plan_basemap(run, whole)
    if bm is not None and not bm.empty:
        map_note = f"Basemap: {basemap.ATTRIBUTION}."
    else:
        map_note = "No coastline or border in this area: plain grid, no basemap."
    out = ['<h2 id="plan">Air picture (plan view)</h2>']
    out.append(f'<p class="desc" id="basemap">{escape(map_note)}</p>')
    out.append(_figure(figures.plan_view(run, whole, "Whole picture"), "plan view", how))
    if zoom is not None:
        out.append("<h3>Defended area</h3>")
        out.append(
            _figure(
                figures.plan_view(run, zoom, "Defended area (assets and radar sites)"),
                "plan view, defended area",
                "The same picture zoomed to the sensors' instrumented ranges and the assets.",
            )
        )
    return "".join(out)


def _coverage_section(run: RunData) -> str:
    out = ['<h2 id="coverage">Coverage against altitude</h2>']
    uri = figures.coverage_figure(run)
    if uri is None:
        out.append('<p class="desc">No coverage diagram in this run.</p>')
        return "".join(out)
    how = (
        "For each sensor, single-scan probability of detection of the reference target (its RCS "
        "is in the box) against ground range (x) and height above the ellipsoid (y). The left "
        "panel zooms on 0–2 km, where the Earth's curvature hides low flyers; the right panel "
        "shows all heights. The white line is the line-of-sight boundary over the 4/3 Earth "
        "(below and right of it nothing is seen). Red rings are threats this sensor plotted "
        "first, at their ground range and height then; real targets differ in RCS from the "
        "reference, so a ring may sit where the reference Pd is low."
    )
    out.append(_figure(uri, "coverage diagrams", how))
    return "".join(out)


def _altitude_section(run: RunData) -> str:
    out = ['<h2 id="altitude">Altitude profile</h2>']
    uri = figures.altitude_figure(run)
    if uri is None:
        out.append('<p class="desc">No truth in this run.</p>')
        return "".join(out)
    how = (
        "True height above the ellipsoid against time for every object, coloured by category "
        "(civil in grey), with the plots of each object overlaid as dots (dark: threats, grey: "
        "civil; height from the measured position, so it carries the radar's noise). The lower "
        "panel zooms on 0–2 km. A stretch of a line without dots is time the object was flown "
        "unseen; false alarms are left out."
    )
    out.append(_figure(uri, "altitude profile", how))
    return "".join(out)


def _tracking_section(run: RunData) -> str:
    out = ['<h2 id="tracking">Tracking</h2>']
    extent, _ = figures.plan_extents(run)
    uri = figures.tracking_figure(run, extent)
    if uri is None:
        out.append('<p class="desc">No tracks in this run.</p>')
        return "".join(out)
    s = run.summary
    out.append(
        '<p class="desc">'
        f"{fmt(s.get('tracks_confirmed'))} tracks confirmed; SIAP completeness "
        f"{fmt(s.get('track_completeness'), 3)} (share of the time each object already seen "
        f"by a radar was held by a confirmed track); mean GOSPA {fmt(s.get('gospa_mean_m'))} m."
        "</p>"
    )
    how = (
        "Left: every confirmed track's estimated path (one colour per track number; a change "
        "of colour along a path is a track-number change) over the true paths in grey. "
        "Right: GOSPA (Rahmathullah et al. 2017; c = 2 km, p = 2, alpha = 2) of the confirmed "
        "tracks against every object alive and already plotted by some radar, with the "
        "number of such objects and of tracks. GOSPA is 0 for a perfect picture; each missed "
        "object or false track adds c^2/2 to its square."
    )
    out.append(_figure(uri, "tracks and GOSPA", how))
    return "".join(out)


def _threat_section(run: RunData) -> str:
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
    out = ['<h2 id="threats">Threats</h2>']
    out.append(
        f'<p class="desc">{n} threats, {n - undetected} detected, '
        f'<span class="flag">{undetected} undetected</span>.</p>'
    )
    if n:
        out.append(_table(head, rows, numeric, scroll=n > 25))
    out.append(
        '<p class="how"><b>How to read this.</b> One row per hostile object, in launch order '
        "(click a header to sort). First plot: time, sensor, slant range and height of the first "
        "plot by any radar. Warning is the object's end time minus its first plot: the time "
        "the defence had. Track: when a track on it was first confirmed; hostile: when a track "
        "on it was first identified hostile. Engaged: first interceptor launch at it; fired at "
        "it: interceptors by missile type; outcome: killed (time, missile), leaked (reached its "
        "aim point), hit an asset, or survived (still flying at the end), and for a threat "
        "that got through, the first link of the kill chain that failed. Rows shaded red were "
        "never plotted.</p>"
    )
    return "".join(out)


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


def _engagement_section(run: RunData) -> str:
    """What was fired at what, by which battery, and the flyout curves of each missile."""
    out = ['<h2 id="engage">Engagements</h2>']
    b = run.battery_rows
    s = run.summary
    n_int = int(run.engagements["t"].shape[0])
    if n_int:
        targets = len({int(o) for o in run.engagements["object_id"] if o is not None and o >= 0})
        kills = int(np.sum(b["kills"]))
        shooters = {str(n) for n, f in zip(b["battery"], b["fired"], strict=True) if f}
        text = (
            f"{n_int} interceptors launched at {targets} threats by "
            f"{len(shooters)} batteries; {kills} of them killed their target"
        )
        if "interceptor_cost_usd" in s:
            text += f"; cost {_usd(s['interceptor_cost_usd'])}"
        if "cost_exchange_ratio" in s:
            text += f"; cost-exchange ratio {fmt(s['cost_exchange_ratio'], 2)}"
        out.append(f'<p class="desc">{escape(text)}.</p>')
    else:
        out.append('<p class="desc">No interceptors were launched in this run.</p>')
    if b["battery"].shape[0]:
        out.append(_battery_table(run))
    uri = figures.engagement_timeline(run)
    if uri is not None:
        shown = len(figures.timeline_rows(run))
        more = (
            f" Only the first {shown} such threats in launch order are drawn."
            if shown == figures.TIMELINE_MAX_ROWS
            else ""
        )
        how = (
            "One row per threat that was engaged, killed, leaked or hit an asset, first launched "
            "at the top. The grey line is its flight before any radar plotted it, the coloured "
            "line (by category) its flight from first plot to its end. Grey ticks mark the "
            "first confirmed track on it, hollow diamonds its identification as hostile, blue "
            "right-pointing triangles each interceptor launched at it, hollow blue circles an "
            "interceptor's miss; a green × is the kill, a red triangle a leak (it reached its "
            "aim point) and a red star a hit inside a defended asset. The gap between a "
            "launch and the kill is the interceptor's flyout time." + more
        )
        out.append(_figure(uri, "engagement timeline", how))
    uri = figures.flyout_figure(run)
    if uri is not None:
        how = (
            "Time for each missile type to fly out to an intercept point at a given ground "
            "range from the launcher (x), at the lowest tabulated height (solid) and near 5 km "
            "(dashed) and 15 km (dotted) when tabulated, from the run's flyout table. The "
            "dash-dotted vertical line is the farthest ground range the missile reaches in that "
            "table. A threat must still be inside the envelope when the interceptor arrives: "
            "the longer the flyout, the earlier the launch."
        )
        out.append(_figure(uri, "flyout time against range", how))
    return "".join(out)


def _battery_table(run: RunData) -> str:
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
    cost = ""
    if "interceptor_cost_usd" in run.summary:
        cost = f" All interceptors together cost {_usd(run.summary['interceptor_cost_usd'])}."
    if np.isfinite(_floats(b["loaded"])).any():
        scope = (
            "One row per battery and missile type it carries, every battery whether it fired "
            "or not (with a total row for a battery that carries several types). Loaded: "
            "rounds at the start of the run; fired: interceptors launched; left: rounds at its "
            "end (– where a type was fired but is not in the run's batteries table). "
        )
    else:
        scope = (
            "One row per battery and missile type it fired (with a total row for a battery "
            "that fired several types); this run has no batteries table, so rounds loaded and "
            "left are unknown (–) and batteries that never fired are not listed. "
        )
    return (
        '<h3 id="batteries">Batteries: rounds loaded, fired and left</h3>'
        + _table(head, rows, numeric, sortable=False)
        + '<p class="how"><b>How to read this.</b> '
        + scope
        + "Targets: distinct threats fired at; kills and misses are interceptor outcomes at the "
        "endgame; lost: interceptors that timed out, hit the ground or whose target was gone; "
        "in flight: still flying when the run ended. Round: the price of one round of that "
        "type; cost fired: the price of the rounds fired." + cost + "</p>"
    )


def _floats(values: NDArray[Any]) -> NDArray[np.float64]:
    """A column as floats, NULL as NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _sensor_section(run: RunData) -> str:
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
    out = ['<h2 id="sensors">Sensors</h2>']
    out.append(_table(head, rows, numeric) if rows else '<p class="desc">No sensors.</p>')
    out.append(
        '<p class="how"><b>How to read this.</b> Plots of real objects and false alarms per '
        "sensor; objects, threats and civil count distinct objects the sensor plotted at least "
        "once; first plots counts objects this sensor saw before any other. The low horizon is "
        "the largest ground range at which a target at the lowest height of the coverage "
        "diagram is in line of sight.</p>"
    )
    out.append(_reach_table(run))
    return "".join(out)


def _reach_table(run: RunData) -> str:
    """Per sensor and object category: how many it saw, and how far out it first saw them."""
    r = run.reach_rows
    if r["sensor_id"].shape[0] == 0:
        return ""
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
    return (
        '<h3 id="reach">Detection by sensor and object category</h3>'
        + _table(head, rows, numeric)
        + '<p class="how"><b>How to read this.</b> For each radar and class of object: how many '
        "of them it plotted at least once, and the slant range of its first plot of each (median "
        "and largest). Where to put a radar shows here: a radar on a higher mast or a hill "
        "plots low flyers farther out. Warning is the time from this radar's first plot of a "
        "threat to the end of the threat's flight.</p>"
    )


def _civil_section(run: RunData) -> str:
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
    return '<h2 id="civil">Civil traffic</h2>' + _table(
        ["", "count"], rows, [False, True], sortable=False
    )


def _engage_section(run: RunData) -> str:
    parts: list[str] = []
    if run.engagement_outcomes:
        rows = [("", [_Cell(k), _ncell(v)]) for k, v in run.engagement_outcomes]
        parts.append("<h3>Engagements by outcome</h3>")
        parts.append(_table(["outcome", "engagements"], rows, [False, True], sortable=False))
    if run.event_counts:
        rows = [("", [_Cell(k), _ncell(v)]) for k, v in run.event_counts]
        parts.append("<h3>Events by kind</h3>")
        parts.append(_table(["kind", "events"], rows, [False, True], sortable=False))
    if run.track_rows:
        parts.append(f'<p class="desc">{run.track_rows:,} tracks were formed.</p>')
    if not parts:
        return ""
    return '<h2 id="log">Event log</h2>' + "".join(parts)


def render_html(run: RunData) -> str:
    """The complete report page for a loaded run, as a string."""
    name = run.meta.get("scenario") or _text(run.summary.get("scenario"))
    engage = _engage_section(run)
    nav = [
        ("plan", "Air picture"),
        ("coverage", "Coverage"),
        ("altitude", "Altitude"),
        ("tracking", "Tracking"),
        ("threats", "Threats"),
        ("engage", "Engagements"),
        ("sensors", "Sensors"),
        ("civil", "Civil traffic"),
    ]
    if engage:
        nav.append(("log", "Event log"))
    nav_html = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in nav)
    body = "".join(
        [
            _header(run),
            f"<nav>{nav_html}</nav>",
            _plan_section(run),
            _coverage_section(run),
            _altitude_section(run),
            _tracking_section(run),
            _threat_section(run),
            _engagement_section(run),
            _sensor_section(run),
            _civil_section(run),
            engage,
            "<footer>Generated by airdefense from run.duckdb; all figures and tables are "
            "computed from that file alone.</footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(name)}: airdefense run report</title>"
        f"<style>{CSS}</style></head><body>{body}"
        f"<script>{_SORT_JS}</script></body></html>\n"
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
