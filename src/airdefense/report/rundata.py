"""Load what the report needs from a run, and nothing else.

The report reads the run's record only (ARCHITECTURE.md: reports read the log, never the
simulator's internals), through :class:`~airdefense.record.reader.RunReader`: tables are
declared in :mod:`airdefense.record.schema`, a table absent from a partial run reads as
empty, and summary columns that are absent or NULL are simply left out of the page. What
happened to each interceptor is read from the ``interceptors`` table and the typed events,
never matched after the fact. Every query has a total ORDER BY so the same database always
yields the same arrays, and hence a byte-identical report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from airdefense.record.reader import ColumnDict, RunReader, reading

#: Above this many truth rows (or plots) the figures draw a deterministic stride subsample.
MAX_DRAW_POINTS = 200_000


@dataclass(frozen=True)
class SensorCoverage:
    """One sensor's coverage diagram: Pd and visibility on a (height, ground range) grid."""

    sensor_id: int
    rcs_m2: float
    ranges_m: NDArray[np.float64]  # (R,) ascending
    heights_m: NDArray[np.float64]  # (H,) ascending
    pd: NDArray[np.float64]  # (H, R), NaN where the grid has no cell
    visible: NDArray[np.float64]  # (H, R) 1.0 / 0.0, NaN where the grid has no cell
    horizon_m: float  # largest ground range visible at the lowest height (NaN if none)
    lowest_height_m: float

    def detection_range_m(self, height_m: float, pd_min: float = 0.5) -> tuple[float, float]:
        """(Farthest ground range at which the reference target is detected with single-scan
        Pd >= ``pd_min``, the diagram's height used): at the tabulated height nearest
        ``height_m``. The range is NaN when no cell reaches ``pd_min`` at that height."""
        if self.heights_m.size == 0:
            return float("nan"), float("nan")
        row = int(np.argmin(np.abs(self.heights_m - height_m)))
        seen = np.nan_to_num(self.pd[row], nan=0.0) >= pd_min
        reach = float(self.ranges_m[seen].max()) if seen.any() else float("nan")
        return reach, float(self.heights_m[row])


@dataclass(frozen=True)
class RunData:
    """Everything the report draws or tabulates, as column dicts of numpy arrays."""

    path: Path  # the run directory
    meta: dict[str, str]
    summary: dict[str, Any]  # non-null summary values only, in SUMMARY_COLUMNS order
    assets: ColumnDict
    sensors: ColumnDict
    objects: ColumnDict  # ordered by object_id
    truth: ColumnDict  # ordered by object_id, t; possibly subsampled for drawing
    truth_rows: int  # rows in the truth table before subsampling
    detections: ColumnDict  # ordered; possibly subsampled for drawing
    detection_rows: int
    first_detections: ColumnDict
    coverage: list[SensorCoverage]
    threat_rows: ColumnDict  # per-threat table (hostile objects)
    sensor_rows: ColumnDict  # per-sensor statistics
    reach_rows: ColumnDict  # per sensor and object category: first-plot ranges and warning
    civil: dict[str, float]
    engagement_outcomes: list[tuple[str, int]]
    event_counts: list[tuple[str, int]]
    track_rows: int
    tracks: ColumnDict  # confirmed/coasting track rows, ordered by track_id, t; maybe subsampled
    track_metrics: ColumnDict  # GOSPA and counts over time
    engagements: ColumnDict  # one row per interceptor, ordered by t
    battery_rows: ColumnDict  # per battery and missile type: loaded, fired, left, kills, cost, ...
    engage_events: ColumnDict  # interceptor launches, plans, kills, misses, leaks, asset hits
    intercepts: ColumnDict  # planned intercepts: launch site (sx, sy) and predicted point (x, y)
    flyout: ColumnDict  # flyout time against ground range and height, per missile type
    battery_sites: ColumnDict  # battery, missile, site (x, y), the ring's reach_m and its source
    batteries: ColumnDict  # the batteries table (empty in runs written before it existed)


def _stride_keep(group: NDArray[np.int64], limit: int) -> NDArray[np.bool_]:
    """Deterministic subsample mask of rows sorted by group: every k-th row of each group,
    plus each group's last row, so that lines keep their ends."""
    n = group.shape[0]
    if n <= limit:
        return np.ones(n, dtype=bool)
    k = math.ceil(n / limit)
    starts = np.r_[True, group[1:] != group[:-1]]
    start_idx = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.arange(n) - start_idx
    last = np.r_[group[1:] != group[:-1], True]
    return (rank % k == 0) | last


def _take(cols: ColumnDict, mask: NDArray[np.bool_]) -> ColumnDict:
    return {k: v[mask] for k, v in cols.items()}


def _coverage(run: RunReader) -> list[SensorCoverage]:
    """Pivot the coverage table into one grid per sensor, for one reference RCS each.

    Where a sensor's diagram was computed for several RCS values, the one closest to 1 m²
    (in dB) is drawn: it is the usual reference target of a published coverage diagram.
    """
    cov = run.columns(
        "SELECT sensor_id, rcs_m2, ground_range_m, height_m, pd, "
        "CAST(visible AS DOUBLE) AS visible FROM coverage "
        "ORDER BY sensor_id, rcs_m2, height_m, ground_range_m",
    )
    out: list[SensorCoverage] = []
    sid_all = cov["sensor_id"].astype(np.int64)
    for sid in np.unique(sid_all):
        m = sid_all == sid
        rcs_all = cov["rcs_m2"][m].astype(np.float64)
        choices = np.unique(rcs_all)
        pos = choices[choices > 0]
        pick = pos[np.argmin(np.abs(np.log10(pos)))] if pos.size else choices[0]
        mm = m.copy()
        mm[m] = rcs_all == pick
        rng = cov["ground_range_m"][mm].astype(np.float64)
        hgt = cov["height_m"][mm].astype(np.float64)
        pd = cov["pd"][mm].astype(np.float64)
        vis = cov["visible"][mm].astype(np.float64)
        ranges = np.unique(rng)
        heights = np.unique(hgt)
        ri = np.searchsorted(ranges, rng)
        hi = np.searchsorted(heights, hgt)
        pd_grid = np.full((heights.size, ranges.size), np.nan)
        vis_grid = np.full((heights.size, ranges.size), np.nan)
        pd_grid[hi, ri] = pd
        vis_grid[hi, ri] = vis
        low = vis_grid[0]
        seen = np.nan_to_num(low, nan=0.0) > 0.5
        horizon = float(ranges[seen].max()) if seen.any() else float("nan")
        out.append(
            SensorCoverage(
                sensor_id=int(sid),
                rcs_m2=float(pick),
                ranges_m=ranges,
                heights_m=heights,
                pd=pd_grid,
                visible=vis_grid,
                horizon_m=horizon,
                lowest_height_m=float(heights[0]),
            )
        )
    return out


def load_run(run: RunReader | str | Path, max_points: int = MAX_DRAW_POINTS) -> RunData:
    """Read a run (its directory, or a :class:`RunReader` already open) into the arrays and
    tables the report shows. Raises :class:`~airdefense.record.reader.RunReadError` (one
    line) when the directory is not a readable run of this run format."""
    with reading(run) as reader:
        return _load(reader, max_points)


def _load(run: RunReader, max_points: int) -> RunData:
    truth = run.columns("SELECT t, object_id, x, y, z, alt_m FROM truth ORDER BY object_id, t")
    truth_rows = int(truth["t"].shape[0])
    det = run.columns(
        "SELECT t, sensor_id, truth_id, x, y, z FROM detections "
        "ORDER BY t, sensor_id, truth_id, scan, range_m, azimuth_rad, elevation_rad, x, y, z"
    )
    detection_rows = int(det["t"].shape[0])
    track_pts = run.columns(
        "SELECT t, track_id, x, y, z FROM tracks WHERE status <> 'tentative' ORDER BY track_id, t"
    )
    return RunData(
        path=run.path,
        meta=run.meta,
        summary=run.summary,
        assets=run.columns("SELECT * FROM assets ORDER BY asset_id, name"),
        sensors=run.columns("SELECT * FROM sensors ORDER BY sensor_id, name"),
        objects=run.columns(
            "SELECT object_id, name, category, preset, raid, COALESCE(hostile, false) AS hostile, "
            "start_s, end_s, end_reason FROM objects ORDER BY object_id"
        ),
        truth=_take(truth, _stride_keep(truth["object_id"].astype(np.int64), max_points)),
        truth_rows=truth_rows,
        detections=_take(det, _stride_keep(np.zeros(detection_rows, np.int64), max_points)),
        detection_rows=detection_rows,
        first_detections=run.columns(
            "SELECT object_id, t, sensor_id, range_m, height_m FROM first_detections "
            "ORDER BY object_id, t, sensor_id"
        ),
        coverage=_coverage(run),
        threat_rows=run.columns(_THREAT_ROWS),
        sensor_rows=run.columns(_SENSOR_ROWS),
        reach_rows=run.columns(_REACH_ROWS),
        civil=_civil(run),
        engagement_outcomes=_counts(
            run, "SELECT end_reason, count(*) FROM interceptors GROUP BY 1 ORDER BY 1"
        ),
        event_counts=_counts(run, "SELECT kind, count(*) FROM events GROUP BY 1 ORDER BY 1"),
        track_rows=int(run.columns("SELECT count(DISTINCT track_id) AS n FROM tracks")["n"][0]),
        tracks=_take(track_pts, _stride_keep(track_pts["track_id"].astype(np.int64), max_points)),
        track_metrics=run.columns(
            "SELECT t, gospa_m, missed_m2, false_m2, truths, tracks FROM track_metrics ORDER BY t"
        ),
        **_engage_tables(run),
    )


#: One row per hostile object: its first plot, track, hostile call, the interceptors fired
#: at it (by the object behind their track at launch) and its end: killed (by the missile
#: of the interceptor that killed it), leaked, hit an asset (by name).
_THREAT_ROWS = """
    WITH fd AS (
        SELECT object_id, t, sensor_id, range_m, height_m FROM first_detections
        QUALIFY row_number() OVER (PARTITION BY object_id ORDER BY t, sensor_id) = 1
    ), plots AS (
        SELECT truth_id AS object_id, count(*) AS plots, count(DISTINCT sensor_id) AS by_sensors
        FROM detections WHERE truth_id >= 0 GROUP BY truth_id
    ), conf AS (
        SELECT object_id, min(t) AS confirmed_t FROM events_track_confirmed
        WHERE object_id >= 0 GROUP BY object_id
    ), ident AS (
        SELECT object_id, min(t) AS identified_t FROM events_identified
        WHERE identity = 'hostile' AND object_id >= 0 GROUP BY object_id
    ), eng AS (
        SELECT object_id, min(launch_t) AS engaged_t, count(*) AS interceptors
        FROM interceptors WHERE object_id >= 0 GROUP BY object_id
    ), by_type AS (
        SELECT object_id, string_agg(n || 'x ' || missile, ', ' ORDER BY missile) AS fired_by
        FROM (SELECT object_id, missile, count(*) AS n
              FROM interceptors WHERE object_id >= 0 GROUP BY ALL)
        GROUP BY object_id
    ), killed AS (
        SELECT end_object_id AS object_id, end_t AS killed_t, missile AS kill_missile
        FROM interceptors WHERE end_reason = 'kill' AND end_object_id >= 0
        QUALIFY row_number() OVER (PARTITION BY end_object_id ORDER BY end_t, interceptor_id) = 1
    ), leaked AS (
        SELECT object_id, min(t) AS leak_t FROM events_leak
        WHERE object_id >= 0 GROUP BY object_id
    ), hit AS (
        SELECT h.object_id, h.t AS hit_t, COALESCE(a.name, 'asset ' || h.asset_id) AS hit_asset
        FROM events_asset_hit h
        LEFT JOIN (SELECT DISTINCT ON (asset_id) asset_id, name FROM assets
                   ORDER BY asset_id, name) a ON a.asset_id = h.asset_id
        WHERE h.object_id >= 0
        QUALIFY row_number() OVER (PARTITION BY h.object_id ORDER BY h.t, h.asset_id) = 1
    )
    SELECT o.object_id, o.name, o.category, o.preset, o.raid, o.start_s, o.end_s,
           o.end_reason, fd.t AS first_t, s.name AS first_sensor, fd.range_m, fd.height_m,
           o.end_s - fd.t AS warning_s, COALESCE(p.plots, 0) AS plots,
           COALESCE(p.by_sensors, 0) AS by_sensors,
           c.confirmed_t, i.identified_t,
           e.engaged_t, COALESCE(e.interceptors, 0) AS interceptors, b.fired_by,
           k.killed_t, k.kill_missile, l.leak_t, h.hit_t, h.hit_asset
    FROM objects o
    LEFT JOIN fd ON fd.object_id = o.object_id
    LEFT JOIN plots p ON p.object_id = o.object_id
    LEFT JOIN conf c ON c.object_id = o.object_id
    LEFT JOIN ident i ON i.object_id = o.object_id
    LEFT JOIN eng e ON e.object_id = o.object_id
    LEFT JOIN by_type b ON b.object_id = o.object_id
    LEFT JOIN killed k ON k.object_id = o.object_id
    LEFT JOIN leaked l ON l.object_id = o.object_id
    LEFT JOIN hit h ON h.object_id = o.object_id
    LEFT JOIN (SELECT DISTINCT ON (sensor_id) sensor_id, name FROM sensors
               ORDER BY sensor_id, name) s ON s.sensor_id = fd.sensor_id
    WHERE COALESCE(o.hostile, false)
    ORDER BY o.start_s, o.name, o.object_id
"""

#: Per sensor: plots, false alarms, objects and threats seen, first detections.
_SENSOR_ROWS = """
    WITH d AS (
        SELECT d.sensor_id, d.truth_id, COALESCE(o.hostile, false) AS hostile
        FROM detections d LEFT JOIN objects o ON o.object_id = d.truth_id
    ), firsts AS (
        SELECT sensor_id, count(*) AS firsts FROM (
            SELECT object_id, sensor_id FROM first_detections
            QUALIFY row_number() OVER (PARTITION BY object_id ORDER BY t, sensor_id) = 1)
        GROUP BY sensor_id
    )
    SELECT s.sensor_id, s.name, s.preset, s.role, s.max_range_m,
           count(*) FILTER (WHERE d.truth_id >= 0) AS plots,
           count(*) FILTER (WHERE d.truth_id < 0) AS false_alarms,
           count(DISTINCT d.truth_id) FILTER (WHERE d.truth_id >= 0) AS objects_detected,
           count(DISTINCT d.truth_id) FILTER (WHERE d.truth_id >= 0 AND d.hostile)
               AS threats_detected,
           count(DISTINCT d.truth_id) FILTER (WHERE d.truth_id >= 0 AND NOT d.hostile)
               AS civil_detected,
           COALESCE(any_value(f.firsts), 0) AS first_detections
    FROM sensors s
    LEFT JOIN d ON d.sensor_id = s.sensor_id
    LEFT JOIN firsts f ON f.sensor_id = s.sensor_id
    GROUP BY s.sensor_id, s.name, s.preset, s.role, s.max_range_m
    ORDER BY s.sensor_id, s.name
"""

#: Per sensor and object category: how far out it first plotted them, and the warning.
_REACH_ROWS = """
    WITH firsts AS (
        SELECT sensor_id, truth_id AS object_id, min(t) AS t, arg_min(range_m, t) AS r
        FROM detections WHERE truth_id >= 0 GROUP BY sensor_id, truth_id
    )
    SELECT s.sensor_id, s.name, o.category,
           count(*) AS objects,
           count(f.object_id) AS detected,
           median(f.r) AS median_range_m,
           max(f.r) AS max_range_m,
           median(o.end_s - f.t) FILTER (WHERE COALESCE(o.hostile, false))
               AS median_warning_s
    FROM sensors s CROSS JOIN objects o
    LEFT JOIN firsts f ON f.sensor_id = s.sensor_id AND f.object_id = o.object_id
    GROUP BY s.sensor_id, s.name, o.category
    ORDER BY s.sensor_id, o.category
"""


def _civil(run: RunReader) -> dict[str, float]:
    """Civil flights: how many, how many plotted, how many an interceptor was fired at."""
    civ = run.columns(
        """
        SELECT count(*) AS flights,
               count(*) FILTER (WHERE o.object_id IN
                   (SELECT truth_id FROM detections WHERE truth_id >= 0)) AS detected,
               count(*) FILTER (WHERE o.object_id IN
                   (SELECT object_id FROM interceptors)) AS engaged
        FROM objects o WHERE NOT COALESCE(o.hostile, false)
        """
    )  # an aggregate always returns one row
    return {k: float(civ[k][0]) for k in ("flights", "detected", "engaged")}


def _counts(run: RunReader, sql: str) -> list[tuple[str, int]]:
    """(name, count) rows of a two-column query."""
    table = run.query(sql)
    names, counts = table.column(0).to_pylist(), table.column(1).to_pylist()
    return [(str(a), int(b)) for a, b in zip(names, counts, strict=True)]


#: The batteries table per battery name and missile type (a name repeated by several
#: batteries sums their rounds and keeps the first one's site).
_CARRIED = """
    SELECT battery, missile, min(battery_id) AS battery_id, arg_min(preset, battery_id) AS preset,
           arg_min(x, battery_id) AS x, arg_min(y, battery_id) AS y,
           CAST(sum(rounds_loaded) AS BIGINT) AS loaded,
           CAST(sum(rounds_left) AS BIGINT) AS rounds_left,
           max(max_range_m) AS max_range_m, max(cost_usd) AS round_cost_usd
    FROM batteries WHERE battery IS NOT NULL AND missile IS NOT NULL
    GROUP BY battery, missile
"""

#: Per battery and missile type: what it carried (the batteries table, empty in a run
#: written without it) joined to what it fired (the interceptors table). A type fired but
#: not in the batteries table still gets its row, with its loaded rounds unknown.
_BATTERY_ROWS = f"""
    WITH carried AS ({_CARRIED}),
    shots AS (
        SELECT battery, missile,
               count(*) AS fired,
               count(*) FILTER (WHERE end_reason = 'kill') AS kills,
               count(*) FILTER (WHERE end_reason = 'miss') AS misses,
               count(*) FILTER (WHERE end_reason NOT IN ('kill', 'miss', 'flying')) AS lost,
               count(*) FILTER (WHERE end_reason = 'flying') AS flying,
               count(DISTINCT object_id) AS targets,
               min(launch_t) AS first_t, max(launch_t) AS last_t,
               sum(cost_usd) AS cost_usd
        FROM interceptors GROUP BY ALL
    ), rows AS (
        SELECT COALESCE(c.battery, s.battery) AS battery,
               COALESCE(c.missile, s.missile) AS missile,
               c.battery_id, c.preset, c.loaded, c.rounds_left,
               COALESCE(s.fired, 0) AS fired, COALESCE(s.targets, 0) AS targets,
               COALESCE(s.kills, 0) AS kills, COALESCE(s.misses, 0) AS misses,
               COALESCE(s.lost, 0) AS lost, COALESCE(s.flying, 0) AS flying,
               s.first_t, s.last_t, c.round_cost_usd,
               COALESCE(s.cost_usd, CASE WHEN c.battery IS NOT NULL THEN 0.0 END)
                   AS cost_usd
        FROM carried c FULL OUTER JOIN shots s
          ON s.battery = c.battery AND s.missile = c.missile
    )
    SELECT battery, missile, preset, loaded, fired, rounds_left, targets, kills, misses,
           lost, flying, first_t, last_t, round_cost_usd, cost_usd
    FROM rows
    ORDER BY min(battery_id) OVER (PARTITION BY battery) NULLS LAST, battery, missile
"""

#: Batteries in the batteries table are placed at their site, with a ring per missile type
#: they carry; a battery that fired but is not in it (a run written without that table) is
#: placed where it first launched, with a ring per type it fired. The ring is the farthest
#: ground range of the missile in the flyout table, else its max_range_m.
_BATTERY_SITES = f"""
    WITH carried AS ({_CARRIED}),
    launched AS (
        SELECT battery, missile, arg_min(launch_x, interceptor_id) AS x,
               arg_min(launch_y, interceptor_id) AS y
        FROM interceptors WHERE isfinite(launch_x) AND isfinite(launch_y)
        GROUP BY battery, missile
    ), fired AS (
        SELECT battery, missile, count(*) AS fired FROM interceptors GROUP BY ALL
    ), reach AS (
        SELECT missile, max(ground_range_m) FILTER (WHERE time_s IS NOT NULL) AS reach_m
        FROM flyout GROUP BY missile
    ), sites AS (
        SELECT battery, missile, battery_id, x, y, max_range_m, true AS carried
        FROM carried WHERE x IS NOT NULL AND y IS NOT NULL
        UNION ALL
        SELECT l.battery, l.missile, NULL, l.x, l.y, NULL, false FROM launched l
        WHERE NOT EXISTS (SELECT 1 FROM carried c WHERE c.battery = l.battery
                          AND c.missile = l.missile AND c.x IS NOT NULL)
    )
    SELECT s.battery, s.missile, s.x, s.y,
           CASE WHEN r.reach_m > 0 THEN r.reach_m ELSE s.max_range_m END AS reach_m,
           CASE WHEN r.reach_m > 0 THEN 'flyout'
                WHEN s.max_range_m > 0 THEN 'max range' END AS reach_from,
           s.max_range_m, s.carried, COALESCE(f.fired, 0) AS fired
    FROM sites s LEFT JOIN reach r USING (missile)
    LEFT JOIN fired f USING (battery, missile)
    ORDER BY min(s.battery_id) OVER (PARTITION BY s.battery) NULLS LAST, s.battery, s.missile
"""


def _engage_tables(run: RunReader) -> dict[str, ColumnDict]:
    """The engage stage's tables: interceptors, per-battery tallies, events, flyout."""
    return {
        # one row per interceptor, in launch order; ``t`` its launch, ``outcome`` its end
        "engagements": run.columns(
            "SELECT interceptor_id, launch_t AS t, battery, missile, track_id, object_id, "
            "end_reason AS outcome, end_t, end_track_id, end_object_id, miss_m "
            "FROM interceptors ORDER BY interceptor_id"
        ),
        "battery_rows": run.columns(_BATTERY_ROWS),
        # the missile of a kill or miss is its interceptor's (an id, not a match)
        "engage_events": run.columns(
            """
            SELECT e.t, e.kind, e.object_id, e.track_id, e.interceptor_id,
                   COALESCE(e.missile, i.missile) AS missile, e.asset_id, e.reason,
                   e.miss_m, e.x, e.y, e.z
            FROM events e LEFT JOIN interceptors i USING (interceptor_id)
            WHERE e.kind IN ('engagement_planned', 'interceptor_launch', 'kill', 'miss',
                             'leak', 'asset_hit')
            ORDER BY e.t, e.kind, e.object_id, e.track_id, e.interceptor_id, e.x, e.y, e.z
            """
        ),
        # each interceptor from its launcher to the intercept point planned for it
        "intercepts": run.columns(
            "SELECT launch_t AS t, object_id, launch_x AS sx, launch_y AS sy, pip_x AS x, "
            "pip_y AS y, battery FROM interceptors "
            "WHERE isfinite(launch_x) AND isfinite(launch_y) AND isfinite(pip_x) "
            "AND isfinite(pip_y) ORDER BY interceptor_id"
        ),
        "flyout": run.columns(
            "SELECT missile, ground_range_m, height_m, time_s FROM flyout "
            "ORDER BY missile, height_m, ground_range_m, time_s"
        ),
        "battery_sites": run.columns(_BATTERY_SITES),
        "batteries": run.columns("SELECT * FROM batteries ORDER BY battery_id, missile, battery"),
    }
