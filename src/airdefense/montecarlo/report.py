"""The Monte Carlo answers: per sweep point statistics, and ``DIR/report.html``.

The report reads only ``DIR/montecarlo.duckdb``. It is one self-contained page in the house
style of the run report (inline CSS, matplotlib figures as PNG ``data:`` URIs, no external
resource) and is written through a temporary file and a rename. Its bootstrap intervals are
seeded from the run's seed and the point number, so the same trials give the same figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from airdefense.files import write_atomic
from airdefense.montecarlo.stats import (
    CONFIDENCE,
    PointStats,
    point_stats,
    running_proportion,
)
from airdefense.montecarlo.store import (
    DB_NAME,
    REPORT_NAME,
    SCENARIOS_DIR,
    TrialTable,
)
from airdefense.montecarlo.store import read_trials as _read_trials
from airdefense.report import figures
from airdefense.report import html as html_report

#: Points drawn as separate lines in the convergence and distribution figures (evenly chosen).
MAX_LINES = 8
_COLORS = ("#2471a3", "#c0392b", "#1e8449", "#8e44ad", "#e67e22", "#117a8b", "#7d5a3c", "#2e4053")
_LEAK = "#b03a2e"
_USED = "#2471a3"


@dataclass(frozen=True)
class PointInfo:
    """A sweep point as the database records it."""

    index: int
    label: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Results:
    """A Monte Carlo directory's trials and their answers."""

    meta: dict[str, str]
    points: list[PointInfo]
    trials: int  # trials asked per point
    table: TrialTable
    stats: list[PointStats]

    @property
    def sweep(self) -> list[str]:
        """The sweep as given on the command line (empty: none)."""
        return list(json.loads(self.meta.get("sweep", "[]")))


def point_rng(seed: int, point: int) -> np.random.Generator:
    """The bootstrap's generator for one point: from the run's seed and the point number."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(point), 0x6D6321]))


def answers(
    table: TrialTable, points: Sequence[int], seed: int, confidence: float = CONFIDENCE
) -> list[PointStats]:
    """Each point's statistics over its trials in ``table``."""
    out = []
    ok = table.ok
    cols = table.columns
    for p in points:
        sel = (table.point == p) & ok
        errors = int(np.count_nonzero((table.point == p) & ~ok))
        out.append(
            point_stats(
                leakers=cols["leakers"][sel],
                interceptors=cols["interceptors_used"][sel],
                cost_usd=cols["interceptor_cost_usd"][sel],
                threat_cost_killed_usd=cols["threat_cost_killed_usd"][sel],
                assets_hit=cols["assets_hit"][sel],
                civil_engaged=cols["civil_engaged"][sel],
                by_type={m: v[sel] for m, v in table.by_type.items()},
                errors=errors,
                rng=point_rng(seed, p),
                confidence=confidence,
            )
        )
    return out


def load_results(out_dir: Path, trials: int | None = None) -> Results:
    """Read ``out_dir``'s database: trials ``< trials`` (default: the number last asked)."""
    db = Path(out_dir) / DB_NAME
    if not db.exists():
        raise FileNotFoundError(f"{db}: no such file")
    with duckdb.connect(str(db), read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        rows = con.execute(
            "SELECT point, label, sweep_values FROM points ORDER BY point"
        ).fetchall()
        n = int(meta.get("trials", "0")) if trials is None else int(trials)
        table = _read_trials(con, n)
    points = [PointInfo(int(i), str(lbl), json.loads(v)) for i, lbl, v in rows]
    stats = answers(table, [p.index for p in points], int(meta.get("seed", "0")))
    return Results(meta, points, n, table, stats)


# --- formatting -----------------------------------------------------------------------------


def _f(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    f = float(v)
    return "–" if not math.isfinite(f) else f"{f:,.{digits}f}"


def _ci(ci: tuple[float, float], digits: int = 2) -> str:
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "–"
    return f"[{lo:,.{digits}f}, {hi:,.{digits}f}]"


def _usd(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return f"US$ {v / 1e6:,.1f} M" if abs(v) >= 1e6 else f"US$ {v:,.0f}"


def summary_rows(results: Results) -> list[dict[str, str]]:
    """One row of text per point, each estimate with its 95% interval in one cell: what the
    command prints and the report tabulates."""
    rows = []
    sweep = results.sweep
    # one swept field: its name heads the column and each row shows its value
    head = sweep[0].partition("=")[0] if len(sweep) == 1 else "point"
    for info, s in zip(results.points, results.stats, strict=True):
        name = info.label
        if len(sweep) == 1:
            v = info.values.get(head)
            name = v if isinstance(v, str) else json.dumps(v)
        rows.append(
            {
                head: name,
                "trials": f"{s.trials:,}" + (f" (+{s.errors} raised)" if s.errors else ""),
                "P(no leak)": f"{_f(s.p_no_leak, 3)} {_ci(s.p_no_leak_ci, 2)}",
                "leakers": f"{_f(s.mean_leakers, 2)} {_ci(s.leakers_ci, 2)}",
                "interceptors": f"{_f(s.mean_interceptors, 1)} {_ci(s.interceptors_ci, 1)}",
                "cost/trial": _usd(s.mean_cost_usd),
                "cost-exchange": _f(s.cost_exchange_ratio, 2),
            }
        )
    return rows


# --- figures --------------------------------------------------------------------------------


def _x_axis(results: Results) -> tuple[np.ndarray, str, list[str] | None]:
    """The swept value as x when one numeric field is swept; else the point number with
    the points' labels as ticks."""
    sweep = results.sweep
    if len(sweep) == 1:
        path = sweep[0].partition("=")[0]
        vals = [p.values.get(path) for p in results.points]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            return np.asarray(vals, dtype=np.float64), path, None
    labels = [p.label for p in results.points]
    return np.arange(len(labels), dtype=np.float64), "sweep point", labels


def _shown(n: int) -> list[int]:
    if n <= MAX_LINES:
        return list(range(n))
    return sorted({round(i * (n - 1) / (MAX_LINES - 1)) for i in range(MAX_LINES)})


def saturation_figure(results: Results) -> str | None:
    """P(leak), mean leakers and mean interceptors against the swept value (two or more
    points)."""
    if len(results.points) < 2:
        return None
    x, name, ticks = _x_axis(results)
    st = results.stats
    p_leak = np.array([1.0 - s.p_no_leak for s in st])
    p_lo = np.array([1.0 - s.p_no_leak_ci[1] for s in st])
    p_hi = np.array([1.0 - s.p_no_leak_ci[0] for s in st])
    panels = (
        ("P(at least one leaker)", p_leak, p_lo, p_hi, _LEAK),
        (
            "leakers per trial (mean)",
            np.array([s.mean_leakers for s in st]),
            np.array([s.leakers_ci[0] for s in st]),
            np.array([s.leakers_ci[1] for s in st]),
            _LEAK,
        ),
        (
            "interceptors used per trial (mean)",
            np.array([s.mean_interceptors for s in st]),
            np.array([s.interceptors_ci[0] for s in st]),
            np.array([s.interceptors_ci[1] for s in st]),
            _USED,
        ),
    )
    with figures.style():
        fig = figures.new_figure(11.0, 3.6)
        axes = fig.subplots(1, 3)
        for ax, (title, y, lo, hi, color) in zip(axes, panels, strict=True):
            err = np.vstack([np.maximum(y - lo, 0.0), np.maximum(hi - y, 0.0)])
            ax.errorbar(x, y, yerr=err, color=color, marker="o", ms=4, lw=1.4, capsize=3)
            ax.set_title(title)
            ax.set_xlabel(name)
            ax.set_ylim(bottom=0.0)
            if ticks is not None:
                ax.set_xticks(x, ticks, rotation=30, ha="right", fontsize=7)
        axes[0].set_ylim(0.0, 1.02)
        return figures.to_png_uri(fig)


def convergence_figure(results: Results) -> str | None:
    """The running estimate of P(no leak) (with its Wilson band) and of the mean leakers
    against the number of trials, in trial order."""
    t = results.table
    if not len(t):
        return None
    with figures.style():
        fig = figures.new_figure(11.0, 3.6)
        ax1, ax2 = fig.subplots(1, 2)
        ok = t.ok
        for j, i in enumerate(_shown(len(results.points))):
            info = results.points[i]
            sel = (t.point == info.index) & ok
            leak = t.columns["leakers"][sel]
            if leak.size == 0:
                continue
            color = _COLORS[j % len(_COLORS)]
            n = np.arange(1, leak.size + 1)
            p, lo, hi = running_proportion(leak == 0)
            label = info.label if len(results.points) > 1 else "P(no leak)"
            ax1.plot(n, p, color=color, lw=1.3, label=label)
            ax1.fill_between(n, lo, hi, color=color, alpha=0.15, lw=0)
            ax2.plot(n, np.cumsum(leak) / n, color=color, lw=1.3, label=label)
        ax1.set_ylim(0.0, 1.02)
        ax1.set_title(f"P(no leak) as trials accumulate ({CONFIDENCE:.0%} Wilson band)")
        ax1.set_xlabel("trials")
        ax2.set_title("mean leakers per trial as trials accumulate")
        ax2.set_xlabel("trials")
        ax2.set_ylim(bottom=0.0)
        if len(results.points) > 1:
            ax1.legend(loc="lower right")
        return figures.to_png_uri(fig)


def distribution_figure(results: Results) -> str | None:
    """The share of trials with 0, 1, 2, ... leakers at each (shown) point."""
    t = results.table
    ok = t.ok
    if not np.any(ok):
        return None
    leak_all = t.columns["leakers"][ok]
    top = int(np.nanmax(leak_all)) if leak_all.size else 0
    shown = _shown(len(results.points))
    width = 0.8 / len(shown)
    with figures.style():
        fig = figures.new_figure(11.0, 3.2)
        ax = fig.subplots()
        ks = np.arange(top + 1)
        for j, i in enumerate(shown):
            info = results.points[i]
            leak = t.columns["leakers"][(t.point == info.index) & ok].astype(np.int64)
            if leak.size == 0:
                continue
            share = np.bincount(leak, minlength=top + 1)[: top + 1] / leak.size
            ax.bar(
                ks + (j - (len(shown) - 1) / 2) * width,
                share,
                width=width,
                color=_COLORS[j % len(_COLORS)],
                label=info.label,
            )
        ax.set_xlabel("leakers in a trial")
        ax.set_ylabel("share of trials")
        ax.set_xticks(ks)
        ax.set_ylim(0.0, 1.02)
        if len(shown) > 1:
            ax.legend()
        return figures.to_png_uri(fig)


# --- page -----------------------------------------------------------------------------------

# the run report's style, and what only this page has
_CSS = (
    html_report.CSS
    + """
dl.meta dd { overflow-wrap: anywhere; }
td.err { white-space: normal; font-family: ui-monospace, monospace; font-size: 12px; }
code { font-size: 12px; }
.scroll { overflow-x: auto; max-width: 100%; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
"""
)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], first_text: bool = True) -> str:
    out = ["<table><thead><tr>"]
    for j, h in enumerate(head):
        cls = "" if first_text and j == 0 else ' class="n"'
        out.append(f"<th{cls}>{escape(h)}</th>")
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for j, c in enumerate(row):
            cls = "" if first_text and j == 0 else ' class="n"'
            out.append(f"<td{cls}>{escape(c)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _fig(uri: str | None, alt: str, how: str) -> str:
    if uri is None:
        return ""
    return (
        f'<figure><img src="{uri}" alt="{escape(alt)}"></figure>'
        f'<p class="how"><b>How to read this.</b> {how}</p>'
    )


def _header(results: Results) -> str:
    m = results.meta
    t = results.table
    sweep = results.sweep
    items = [
        ("scenario", m.get("scenario", "?")),
        ("seed", m.get("seed", "?")),
        ("sweep", " ".join(sweep) if sweep else "none"),
        ("points", f"{len(results.points):,}"),
        ("trials per point", f"{results.trials:,}"),
        ("trials in this report", f"{len(t):,} ({int(np.count_nonzero(~t.ok)):,} raised)"),
        ("scenario SHA-256", m.get("scenario_sha256", "?")),
        ("airdefense", m.get("airdefense_version", "?")),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    cards = ""
    if len(results.stats) == 1:
        s = results.stats[0]
        c = [
            ("P(no leak)", _f(s.p_no_leak, 3), s.p_no_leak < 1.0),
            ("95% CI", _ci(s.p_no_leak_ci, 3), False),
            ("mean leakers", _f(s.mean_leakers, 2), s.mean_leakers > 0),
            ("mean interceptors", _f(s.mean_interceptors, 1), False),
            ("cost-exchange ratio", _f(s.cost_exchange_ratio, 2), False),
            ("trials", f"{s.trials:,}", False),
        ]
        cards = (
            '<div class="cards">'
            + "".join(
                f'<div class="card{" bad" if bad else ""}"><div class="v">{escape(v)}</div>'
                f'<div class="k">{escape(k)}</div></div>'
                for k, v, bad in c
            )
            + "</div>"
        )
    return (
        f"<header><h1>Monte Carlo report: {escape(m.get('scenario', '?'))}</h1>"
        f'<dl class="meta">{dl}</dl>{cards}</header>'
    )


def _answers_section(results: Results) -> str:
    rows = summary_rows(results)
    head = list(rows[0]) if rows else []
    extra = []
    for s in results.stats:
        extra.append((_f(s.mean_assets_hit, 2), _f(s.mean_civil_engaged, 3)))
    table = _table(
        [*head, "assets hit", "civil engaged"],
        [[*r.values(), *e] for r, e in zip(rows, extra, strict=True)],
    )
    return (
        '<section id="answers"><h2>The answers</h2>'
        f'<div class="scroll">{table}</div>'
        '<p class="how"><b>How to read this.</b> One row per sweep point. P(no leak) is the share '
        "of trials in which no threat reached its target, with Wilson's 95% score interval in "
        "brackets; leakers, interceptors (fired), assets hit and civil flights engaged are means "
        "per trial, the first two with 95% percentile-bootstrap intervals (4,000 resamples, "
        "seeded); cost is the interceptors' per trial. The cost-exchange ratio is the interceptors' total cost over the "
        "total cost of the threats they killed, summed over the trials (below 1: the defence "
        "spends less than the attacker loses). Trials that raised are counted apart and left "
        "out of every figure.</p></section>"
    )


def _by_type_section(results: Results) -> str:
    types = sorted({m for s in results.stats for m in s.interceptors_by_type})
    if not types:
        return ""
    rows = [
        [info.label, *(_f(s.interceptors_by_type.get(m, 0.0), 2) for m in types)]
        for info, s in zip(results.points, results.stats, strict=True)
    ]
    return (
        '<section id="types"><h2>Interceptors used by type</h2>'
        + _table(["point", *types], rows)
        + '<p class="how"><b>How to read this.</b> Mean rounds of each missile type fired per '
        "trial (every round launched counts, whatever its end).</p></section>"
    )


def _timing_section(results: Results) -> str:
    t = results.table
    if not len(t):
        return ""
    names = ("world_s", "sensors_s", "tracking_s", "engagement_s", "wall_s")
    means = [float(np.nanmean(t.columns[n])) for n in names]
    rows = [[n.removesuffix("_s"), _f(v, 3)] for n, v in zip(names, means, strict=True)]
    return (
        '<section id="timing"><h2>Where a trial\'s time goes</h2>'
        + _table(["stage", "mean seconds per trial"], rows)
        + '<p class="how"><b>How to read this.</b> Mean wall-clock seconds per trial on the '
        "workers, by stage; <i>wall</i> is the whole trial. A worker runs about 1/wall trials "
        "per second.</p></section>"
    )


def _errors_section(results: Results) -> str:
    t = results.table
    bad = np.flatnonzero(~t.ok)
    if bad.size == 0:
        return ""
    rows = [[f"{int(t.point[i])}", f"{int(t.trial[i])}", str(t.error[i])] for i in bad[:50]]
    table = ["<table><thead><tr><th>point</th><th>trial</th><th>error</th></tr></thead><tbody>"]
    for r in rows:
        table.append(
            f'<tr><td>{escape(r[0])}</td><td>{escape(r[1])}</td><td class="err">{escape(r[2])}</td></tr>'
        )
    table.append("</tbody></table>")
    more = f" (the first 50 of {bad.size:,})" if bad.size > 50 else ""
    return (
        f'<section id="errors"><h2>Trials that raised{more}</h2>'
        + "".join(table)
        + '<p class="how"><b>How to read this.</b> Each was recorded with its error (full '
        "traceback in the <code>trials</code> table's <code>traceback</code> column) and the "
        "other trials ran on. Rerun one alone with <code>airdefense run</code> as shown below."
        "</p></section>"
    )


def _reproduce_section(results: Results) -> str:
    seed = results.meta.get("seed", "?")
    name = results.meta.get("scenario", "SCENARIO")
    if results.sweep:
        cmd = f"airdefense run DIR/{SCENARIOS_DIR}/point-P.yaml --trial N"
        where = (
            f"Each sweep point's scenario (seed {seed} included) is in "
            f"<code>DIR/{SCENARIOS_DIR}/point-P.yaml</code>."
        )
    else:
        cmd = f"airdefense run {name} --seed {seed} --trial N"
        where = "Use the scenario file the command was given if it is not a bundled one."
    return (
        '<section id="reproduce"><h2>Reproducing one trial</h2>'
        f'<p class="how">Trial N draws its random numbers from the seed and N alone, so '
        f"<code>{escape(cmd)}</code> reruns it with its full run directory and run report. "
        f"{where} The per-trial rows are in <code>{DB_NAME}</code> (tables "
        "<code>trials</code>, <code>trial_interceptors</code>, <code>points</code>, "
        "<code>meta</code>).</p></section>"
    )


def render_html(results: Results) -> str:
    """The complete report page, as a string."""
    name = results.meta.get("scenario", "?")
    sat = _fig(
        saturation_figure(results),
        "saturation curve",
        "Left, the probability that at least one threat leaks through, with its 95% Wilson "
        "interval; middle, the mean leakers per trial; right, the mean interceptors fired per "
        "trial, both with 95% bootstrap intervals; each against the swept value. Where the "
        "left curve leaves zero the defence is saturated.",
    )
    conv = _fig(
        convergence_figure(results),
        "convergence",
        "The estimates after 1, 2, ... trials, in trial order. When the line has settled and "
        "the band is as narrow as the question needs, more trials will not change the answer; "
        "a band still wide says run more (the interval narrows as one over the square root of "
        "the trials).",
    )
    dist = _fig(
        distribution_figure(results),
        "leakers per trial",
        "The share of trials with 0, 1, 2, ... leakers: the whole distribution behind the mean.",
    )
    body = "".join(
        [
            _header(results),
            _answers_section(results),
            '<section id="saturation"><h2>Saturation curve</h2>' + sat + "</section>"
            if sat
            else "",
            '<section id="convergence"><h2>Convergence</h2>' + conv + "</section>" if conv else "",
            '<section id="distribution"><h2>Leakers per trial</h2>' + dist + "</section>"
            if dist
            else "",
            _by_type_section(results),
            _timing_section(results),
            _errors_section(results),
            _reproduce_section(results),
            f"<footer>Generated by airdefense from {DB_NAME}; every figure and table is "
            "computed from that file alone.</footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(name)}: airdefense Monte Carlo report</title>"
        f"<style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def write_report(out_dir: Path, results: Results | None = None) -> Path:
    """Write ``out_dir/report.html`` (through a temporary file and a rename); return it."""
    out_dir = Path(out_dir)
    if results is None:
        results = load_results(out_dir)
    target = out_dir / REPORT_NAME
    write_atomic(target, render_html(results).encode("utf-8"))
    return target
