"""Load what the report needs from a run's ``run.duckdb``, and nothing else.

The report reads the run database only (ARCHITECTURE.md: reports read the log, never the
simulator's internals). Tables are declared in :mod:`airdefense.record.schema`; a table that
is absent from an older or partial run is treated as empty, and summary columns that are
absent or NULL are simply left out of the page. Every query has a total ORDER BY so the same
database always yields the same arrays, and hence a byte-identical report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from airdefense.record.schema import SUMMARY_COLUMNS, TABLES

Columns = dict[str, NDArray[Any]]

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

    path: Path
    meta: dict[str, str]
    summary: dict[str, Any]  # non-null summary values only, in SUMMARY_COLUMNS order
    assets: Columns
    sensors: Columns
    objects: Columns  # ordered by object_id
    truth: Columns  # ordered by object_id, t; possibly subsampled for drawing
    truth_rows: int  # rows in the truth table before subsampling
    detections: Columns  # ordered; possibly subsampled for drawing
    detection_rows: int
    first_detections: Columns
    coverage: list[SensorCoverage]
    threat_rows: Columns  # per-threat table (hostile objects)
    sensor_rows: Columns  # per-sensor statistics
    reach_rows: Columns  # per sensor and object category: first-plot ranges and warning
    civil: dict[str, float]
    engagement_outcomes: list[tuple[str, int]]
    event_counts: list[tuple[str, int]]
    track_rows: int
    tracks: Columns  # confirmed/coasting track rows, ordered by track_id, t; maybe subsampled
    track_metrics: Columns  # GOSPA and counts over time
    engagements: Columns  # one row per interceptor, ordered by t
    battery_rows: Columns  # per battery and missile type: loaded, fired, left, kills, cost, ...
    engage_events: Columns  # interceptor launches, plans, kills, misses, leaks, asset hits
    intercepts: Columns  # planned intercepts: launch site (sx, sy) and predicted point (x, y)
    flyout: Columns  # flyout time against ground range and height, per missile type
    battery_sites: Columns  # battery, missile, site (x, y), the ring's reach_m and its source
    batteries: Columns  # the batteries table (empty in runs written before it existed)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> Columns:
    """Run a query and return its columns as numpy arrays (NULL -> NaN / None)."""
    table = con.sql(sql).to_arrow_table()
    return {name: table[name].to_numpy(zero_copy_only=False) for name in table.column_names}


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.sql(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
        "UNION SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal"
    ).fetchall()
    return {str(r[0]) for r in rows}


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


def _take(cols: Columns, mask: NDArray[np.bool_]) -> Columns:
    return {k: v[mask] for k, v in cols.items()}


def _summary(con: duckdb.DuckDBPyConnection, present: set[str]) -> dict[str, Any]:
    if "summary" not in present:
        return {}
    rel = con.sql("SELECT * FROM summary LIMIT 1")
    names = list(rel.columns)
    rows = rel.fetchall()
    if not rows:
        return {}
    row = rows[0]
    values = dict(zip(names, row, strict=True))
    order = [*SUMMARY_COLUMNS, *(n for n in names if n not in SUMMARY_COLUMNS)]
    out: dict[str, Any] = {}
    for name in order:
        v = values.get(name)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        out[name] = v
    return out


def _coverage(con: duckdb.DuckDBPyConnection) -> list[SensorCoverage]:
    """Pivot the coverage table into one grid per sensor, for one reference RCS each.

    Where a sensor's diagram was computed for several RCS values, the one closest to 1 m²
    (in dB) is drawn: it is the usual reference target of a published coverage diagram.
    """
    cov = _fetch(
        con,
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


def load_run(db_path: Path, max_points: int = MAX_DRAW_POINTS) -> RunData:
    """Read a run database (read-only) into the arrays and tables the report shows.

    Raises FileNotFoundError naming the path when the database does not exist.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"run database not found: {db_path}")
    with duckdb.connect(str(db_path), read_only=True) as con:
        con.sql("SET threads TO 1")  # deterministic and cheap at report sizes
        present = _existing_tables(con)
        for name, ddl in TABLES.items():
            if name not in present:  # an absent table reads as empty
                con.sql(f"CREATE TEMP TABLE {name} ({ddl})")
        return _load(con, db_path, present, max_points)


def _load(
    con: duckdb.DuckDBPyConnection, db_path: Path, present: set[str], max_points: int
) -> RunData:
    meta_rows = con.sql("SELECT key, value FROM meta ORDER BY key, value").fetchall()
    meta: dict[str, str] = {}
    for k, v in meta_rows:
        meta.setdefault(str(k), str(v))
    summary = _summary(con, present)
    assets = _fetch(con, "SELECT * FROM assets ORDER BY asset_id, name")
    sensors = _fetch(con, "SELECT * FROM sensors ORDER BY sensor_id, name")
    objects = _fetch(
        con,
        "SELECT object_id, name, category, preset, raid, COALESCE(hostile, false) AS hostile, "
        "start_s, end_s, end_reason FROM objects ORDER BY object_id",
    )
    truth = _fetch(
        con,
        "SELECT t, object_id, x, y, z, alt_m FROM truth ORDER BY object_id, t",
    )
    truth_rows = int(truth["t"].shape[0])
    truth = _take(truth, _stride_keep(truth["object_id"].astype(np.int64), max_points))
    det = _fetch(
        con,
        "SELECT t, sensor_id, truth_id, x, y, z FROM detections "
        "ORDER BY t, sensor_id, truth_id, scan, range_m, azimuth_rad, elevation_rad, x, y, z",
    )
    detection_rows = int(det["t"].shape[0])
    det = _take(det, _stride_keep(np.zeros(detection_rows, dtype=np.int64), max_points))
    first = _fetch(
        con,
        "SELECT f.object_id, f.t, f.sensor_id, f.range_m, f.height_m FROM first_detections f "
        "ORDER BY f.object_id, f.t, f.sensor_id",
    )
    threat_rows = _fetch(
        con,
        """
        WITH fd AS (
            SELECT object_id, t, sensor_id, range_m, height_m FROM first_detections
            QUALIFY row_number() OVER (PARTITION BY object_id ORDER BY t, sensor_id) = 1
        ), plots AS (
            SELECT truth_id AS object_id, count(*) AS plots, count(DISTINCT sensor_id) AS by_sensors
            FROM detections WHERE truth_id >= 0 GROUP BY truth_id
        ), conf AS (
            SELECT object_id, min(t) AS confirmed_t FROM events
            WHERE kind = 'track_confirmed' AND object_id >= 0 GROUP BY object_id
        ), ident AS (
            SELECT object_id, min(t) AS identified_t FROM events
            WHERE kind = 'identified' AND detail = 'hostile' AND object_id >= 0
            GROUP BY object_id
        ), eng AS (
            SELECT object_id, min(t) AS engaged_t, count(*) AS interceptors
            FROM engagements WHERE object_id >= 0 GROUP BY object_id
        ), by_type AS (
            SELECT object_id,
                   string_agg(n || 'x ' || missile, ', ' ORDER BY missile) AS fired_by
            FROM (SELECT object_id, COALESCE(missile, '?') AS missile, count(*) AS n
                  FROM engagements WHERE object_id >= 0 GROUP BY ALL)
            GROUP BY object_id
        ), killed AS (
            SELECT object_id, t AS killed_t, detail AS kill_missile FROM events
            WHERE kind = 'kill' AND object_id >= 0
            QUALIFY row_number() OVER (PARTITION BY object_id ORDER BY t, detail) = 1
        ), leaked AS (
            SELECT object_id, min(t) AS leak_t FROM events
            WHERE kind = 'leak' AND object_id >= 0 GROUP BY object_id
        ), hit AS (
            SELECT object_id, t AS hit_t, detail AS hit_asset FROM events
            WHERE kind = 'asset_hit' AND object_id >= 0
            QUALIFY row_number() OVER (PARTITION BY object_id ORDER BY t, detail) = 1
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
        """,
    )
    sensor_rows = _fetch(
        con,
        """
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
        """,
    )
    reach_rows = _fetch(
        con,
        """
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
        """,
    )
    civ_rows = con.sql(
        """
        SELECT count(*) AS flights,
               count(*) FILTER (WHERE o.object_id IN
                   (SELECT truth_id FROM detections WHERE truth_id >= 0)) AS detected,
               count(*) FILTER (WHERE o.object_id IN
                   (SELECT object_id FROM engagements WHERE object_id IS NOT NULL)) AS engaged
        FROM objects o WHERE NOT COALESCE(o.hostile, false)
        """
    ).fetchall()
    civ = civ_rows[0]  # an aggregate always returns one row
    civil = {"flights": float(civ[0]), "detected": float(civ[1]), "engaged": float(civ[2])}
    outcomes = con.sql(
        "SELECT COALESCE(outcome, '(none)') AS o, count(*) FROM engagements GROUP BY o ORDER BY o"
    ).fetchall()
    events = con.sql("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind").fetchall()
    tracks = con.sql("SELECT count(DISTINCT track_id) FROM tracks").fetchall()[0]
    track_pts = _fetch(
        con,
        "SELECT t, track_id, x, y, z FROM tracks WHERE status <> 'tentative' ORDER BY track_id, t",
    )
    track_pts = _take(track_pts, _stride_keep(track_pts["track_id"].astype(np.int64), max_points))
    metrics = _fetch(
        con, "SELECT t, gospa_m, missed_m2, false_m2, truths, tracks FROM track_metrics ORDER BY t"
    )
    engage = _engage_tables(con)
    return RunData(
        path=db_path,
        meta=meta,
        summary=summary,
        assets=assets,
        sensors=sensors,
        objects=objects,
        truth=truth,
        truth_rows=truth_rows,
        detections=det,
        detection_rows=detection_rows,
        first_detections=first,
        coverage=_coverage(con),
        threat_rows=threat_rows,
        sensor_rows=sensor_rows,
        reach_rows=reach_rows,
        civil=civil,
        engagement_outcomes=[(str(a), int(b)) for a, b in outcomes],
        event_counts=[(str(a), int(b)) for a, b in events],
        track_rows=int(tracks[0]) if tracks else 0,
        tracks=track_pts,
        track_metrics=metrics,
        **engage,
    )


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


def _engage_tables(con: duckdb.DuckDBPyConnection) -> dict[str, Columns]:
    """The engage stage's tables: interceptors, per-battery tallies, events, flyout."""
    engagements = _fetch(
        con,
        "SELECT t, battery, missile, track_id, object_id, outcome FROM engagements "
        "ORDER BY t, battery, missile, object_id, track_id, outcome",
    )
    # Per battery and missile type: what it carried (the batteries table, empty in runs
    # written before it existed) joined to what it fired (the engagements table). A type fired
    # but not in the batteries table still gets its row, with its loaded rounds unknown.
    battery_rows = _fetch(
        con,
        f"""
        WITH carried AS ({_CARRIED}),
        shots AS (
            SELECT COALESCE(battery, '?') AS battery, COALESCE(missile, '?') AS missile,
                   count(*) AS fired,
                   count(*) FILTER (WHERE outcome = 'kill') AS kills,
                   count(*) FILTER (WHERE outcome = 'miss') AS misses,
                   count(*) FILTER (WHERE outcome IS NULL
                                    OR outcome NOT IN ('kill', 'miss', 'flying')) AS lost,
                   count(*) FILTER (WHERE outcome = 'flying') AS flying,
                   count(DISTINCT object_id) AS targets,
                   min(t) AS first_t, max(t) AS last_t,
                   sum(cost_usd) AS cost_usd
            FROM engagements GROUP BY ALL
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
        """,
    )
    events = _fetch(
        con,
        """
        SELECT t, kind, object_id, track_id, x, y, z, value, detail FROM events
        WHERE kind IN ('engagement_planned', 'kill', 'miss', 'leak', 'asset_hit')
           OR (kind = 'launch' AND detail LIKE 'interceptor %')
        ORDER BY t, kind, object_id, track_id, value, detail, x, y, z
        """,
    )
    intercepts = _fetch(
        con,
        """
        WITH site AS (
            SELECT t, track_id, object_id, x, y FROM events
            WHERE kind = 'launch' AND detail LIKE 'interceptor %'
            QUALIFY row_number() OVER (PARTITION BY t, track_id, object_id ORDER BY x, y) = 1
        )
        SELECT p.t, p.object_id, s.x AS sx, s.y AS sy, p.x, p.y, p.detail AS battery
        FROM events p JOIN site s
          ON s.t = p.t AND s.track_id = p.track_id AND s.object_id = p.object_id
        WHERE p.kind = 'engagement_planned' AND p.x IS NOT NULL AND p.y IS NOT NULL
        ORDER BY p.t, p.object_id, p.track_id, p.x, p.y
        """,
    )
    flyout = _fetch(
        con,
        "SELECT missile, ground_range_m, height_m, time_s FROM flyout "
        "ORDER BY missile, height_m, ground_range_m, time_s",
    )
    # Each launch event's value is its interceptor's number, which is its row in the
    # engagements table (rowid, insertion order); the missile named by both must agree.
    # Batteries in the batteries table are placed at their site, with a ring per missile type
    # they carry; a battery that fired but is not in it (a run written before that table
    # existed) is placed at its first launch, with a ring per type it fired. The ring is the
    # farthest ground range of the missile in the flyout table, else its max_range_m.
    battery_sites = _fetch(
        con,
        f"""
        WITH carried AS ({_CARRIED}),
        shot AS (SELECT rowid AS shot, battery, missile FROM engagements),
        launched AS (
            SELECT s.battery, s.missile, arg_min(l.x, l.t) AS x, arg_min(l.y, l.t) AS y,
                   count(*) AS launches
            FROM events l JOIN shot s
              ON s.shot = CAST(l.value AS BIGINT) AND l.detail = 'interceptor ' || s.missile
            WHERE l.kind = 'launch' AND l.x IS NOT NULL AND l.y IS NOT NULL
              AND s.battery IS NOT NULL
            GROUP BY s.battery, s.missile
        ), fired AS (
            SELECT battery, missile, count(*) AS fired FROM engagements
            WHERE battery IS NOT NULL AND missile IS NOT NULL GROUP BY ALL
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
        ORDER BY min(s.battery_id) OVER (PARTITION BY s.battery) NULLS LAST, s.battery,
                 s.missile
        """,
    )
    return {
        "engagements": engagements,
        "battery_rows": battery_rows,
        "engage_events": events,
        "intercepts": intercepts,
        "flyout": flyout,
        "battery_sites": battery_sites,
        "batteries": _fetch(con, "SELECT * FROM batteries ORDER BY battery_id, missile, battery"),
    }
