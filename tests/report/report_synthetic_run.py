"""Build a synthetic ``run.duckdb`` for report tests, in the current run format: every table
and view of the schema, straight-line truth, plots sampled against a crude range/horizon
model, a coverage grid, typed events, interceptors with their flown paths, summary and meta.

Sizes are parameters so the same builder makes a tiny test run or a default-sized one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from airdefense.geo import Frame
from airdefense.record.schema import RUN_FORMAT, SUMMARY_COLUMNS, TABLES, VIEWS
from airdefense.types.events import EVENT_COLUMNS

K_R = 4.0 / 3.0 * 6_371_000.0
ENGAGE_COLUMNS = ("leakers", "assets_hit", "civil_engaged", "interceptors_used")
THREAT_CATEGORIES = ("ballistic", "cruise", "drone", "aircraft")
UNSEEN = "CM-UNSEEN"
#: Battery sites (ENU m) and the synthetic engage story (with ``optional_rows``, 4+ threats):
#: object 0 is killed by one SAM from B1; object 2 is missed by B1's SAM, outlives B2's SAM-L
#: and hits Capital; object 3 leaks without a confirmed track. B3 never fires, and B2 never
#: fires its SAM rounds.
BATTERY_SITES = {
    "B1": (10_000.0, 0.0),
    "B2": (-30_000.0, -10_000.0),
    "B3": (25_000.0, 35_000.0),
}
FLYOUT_MAX_RANGE_M = {"SAM": 120_000.0, "SAM-L": 250_000.0}
#: The batteries table: (battery, preset, missile, rounds loaded, max_range_m, round cost).
#: The catalogue ranges of SAM and SAM-L differ from their flyout reach (the plan view must
#: ring the flyout's); SHORAD has no flyout rows (ringed at its max_range_m).
BATTERIES = (
    ("B1", "sam-battery", "SAM", 8, 150_000.0, 1.0e6),
    ("B2", "long-battery", "SAM", 4, 150_000.0, 1.0e6),
    ("B2", "long-battery", "SAM-L", 4, 300_000.0, 1.5e6),
    ("B3", "shorad-battery", "SHORAD", 12, 15_000.0, 0.1e6),
)
#: Rounds each (battery, missile) fires in the engage story.
STORY_FIRED = {("B1", "SAM"): 2, ("B2", "SAM-L"): 1}
#: Spacing of the recorded interceptor path samples (as the simulator records them), and how
#: far each synthetic path bows sideways from the straight line between its ends.
PATH_STEP_S = 0.5
PATH_BOW_M = 3_000.0


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view of the run schema (and the summary table) from its DDL."""
    for name, ddl in TABLES.items():
        con.execute(f"CREATE TABLE {name} ({ddl})")
    for name, sql in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    cols = ", ".join(f"{c} {t}" for c, (t, _) in SUMMARY_COLUMNS.items())
    con.execute(f"CREATE TABLE summary ({cols})")


def insert_events(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    """Append events given as ``{column: value}`` (columns of EVENT_COLUMNS; others NULL)."""
    for row in rows:
        unknown = set(row) - set(EVENT_COLUMNS)
        assert not unknown, unknown
        names = ", ".join(row)
        values = [float(v) if isinstance(v, np.floating) else v for v in row.values()]
        con.execute(f"INSERT INTO events ({names}) VALUES ({', '.join('?' * len(row))})", values)


def add_interceptor(
    con: duckdb.DuckDBPyConnection,
    *,
    interceptor_id: int,
    battery: str,
    missile: str,
    launch_t: float,
    track_id: int,
    object_id: int,
    pip: tuple[float, float, float],
    pip_t: float,
    end_t: float,
    end: tuple[float, float, float],
    end_reason: str,
    miss_m: float | None = None,
    cost_usd: float = 1.0e6,
) -> None:
    """One interceptor as the simulator records it: its row in ``interceptors``, its path
    (from its battery's site to ``end``, bowed PATH_BOW_M sideways half-way, sampled every
    PATH_STEP_S and at its end) and its plan, launch and end events (a kill, a miss, or an
    interceptor_end)."""
    battery_id = list(dict.fromkeys(b[0] for b in BATTERIES)).index(battery)
    site = (*BATTERY_SITES[battery], 5.0)
    con.execute(
        "INSERT INTO interceptors (interceptor_id, battery_id, battery, launcher, missile, "
        "plan_t, launch_t, launch_x, launch_y, launch_z, track_id, object_id, pip_t, pip_x, "
        "pip_y, pip_z, pk_planned, retargets, end_track_id, end_object_id, end_t, end_reason, "
        "miss_m, end_x, end_y, end_z, cost_usd) "
        "VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0.8, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            interceptor_id, battery_id, battery, missile, launch_t, launch_t, *site, track_id,
            object_id, pip_t, *pip, track_id, object_id, end_t, end_reason, miss_m, *end,
            cost_usd,
        ],
    )  # fmt: skip
    t = np.r_[np.arange(launch_t, end_t, PATH_STEP_S), end_t]
    f = (t - launch_t) / (end_t - launch_t)
    xyz = np.asarray(site) + f[:, None] * (np.asarray(end) - np.asarray(site))
    chord = np.asarray(end[:2]) - np.asarray(site[:2])
    side = np.array([-chord[1], chord[0]]) / max(float(np.hypot(*chord)), 1.0)
    xyz[:, :2] += PATH_BOW_M * np.sin(np.pi * f)[:, None] * side  # a curve, not a line
    _insert(
        con,
        "interceptor_paths",
        {
            "interceptor_id": pa.array(np.full(t.size, interceptor_id), pa.int32()),
            "t": t,
            "x": xyz[:, 0],
            "y": xyz[:, 1],
            "z": xyz[:, 2],
        },
    )
    ids = {"interceptor_id": interceptor_id, "track_id": track_id, "object_id": object_id}
    place = dict(zip("xyz", end, strict=True))
    ending: dict[str, object] = (
        {"kind": end_reason, "miss_m": miss_m}
        if end_reason in ("kill", "miss")
        else {"kind": "interceptor_end", "reason": end_reason, "miss_m": miss_m}
    )
    insert_events(
        con,
        [
            {"t": launch_t, "kind": "engagement_planned", **ids, "battery_id": battery_id,
             "missile": missile, "intercept_t": pip_t, "pk": 0.8,
             **dict(zip("xyz", pip, strict=True))},
            {"t": launch_t, "kind": "interceptor_launch", **ids, "battery_id": battery_id,
             "launcher": 0, "missile": missile, **dict(zip("xyz", site, strict=True))},
            {"t": end_t, **ending, **ids, **place},
        ],
    )  # fmt: skip


def _insert(con: duckdb.DuckDBPyConnection, table: str, cols: dict[str, object]) -> None:
    arrow = pa.table(cols)  # noqa: F841 (scanned by name below)
    names = ", ".join(cols)
    con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM arrow")


def make_run(
    run_dir: Path,
    *,
    threats: int = 4,
    civil: int = 3,
    duration_s: float = 300.0,
    dt_s: float = 2.0,
    engage_columns: bool = True,
    optional_rows: bool = True,
    scenario: str = "synthetic-test",
    seed: int = 7,
) -> Path:
    """Write ``run_dir/run.duckdb`` and return its path.

    One cruise missile named ``CM-UNSEEN`` flies far outside every sensor and has no plots.
    ``engage_columns=False`` leaves the engage-stage summary columns NULL;
    ``optional_rows=False`` leaves tracks, engagements and events empty.
    """
    rng = np.random.default_rng(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    db = run_dir / "run.duckdb"
    con = duckdb.connect(str(db))
    create_tables(con)
    meta = {
        "scenario": scenario,
        "description": "Synthetic straight-line raid against two assets, for report tests.",
        "seed": str(seed),
        "trial": "0",
        "duration_s": str(duration_s),
        "dt_s": str(dt_s),
        "origin_lat_deg": "52.0",
        "origin_lon_deg": "21.0",
        "origin_alt_m": "100.0",
        "airdefense_version": "0.1.0",
        "run_format": str(RUN_FORMAT),
    }
    _insert(con, "meta", {"key": list(meta), "value": list(meta.values())})
    _insert(
        con,
        "assets",
        {
            "asset_id": [0, 1],
            "name": ["Capital", "Airbase"],
            "x": [0.0, 40_000.0],
            "y": [0.0, -25_000.0],
            "z": [0.0, 0.0],
            "radius_m": [8_000.0, 3_000.0],
            "value": [10.0, 5.0],
        },
    )
    sensors = {
        "sensor_id": [0, 1, 2],
        "name": ["EW-North", "FC-Centre", "Gap-Filler"],
        "preset": ["ew_vhf", "mfr_s400", "short_range"],
        "role": ["surveillance", "fire_control", "gap_filler"],
        "scan": ["rotating", "sector", "rotating"],
        "x": [0.0, 10_000.0, -30_000.0],
        "y": [60_000.0, 0.0, -10_000.0],
        "z": [20.0, 15.0, 10.0],
        "antenna_height_m": [20.0, 15.0, 10.0],
        "boresight_rad": [0.0, np.pi / 2, 0.0],
        "sector_width_rad": [2 * np.pi, np.radians(120.0), 2 * np.pi],
        "scan_period_s": [10.0, 2.0, 4.0],
        "max_range_m": [400_000.0, 250_000.0, 80_000.0],
        "min_elevation_rad": [0.0, 0.0, 0.0],
        "max_elevation_rad": [np.radians(60.0)] * 3,
    }
    _insert(con, "sensors", sensors)
    # coverage grid
    heights = np.r_[0.0, np.geomspace(10.0, 30_000.0, 40)]
    cov: dict[str, list[float]] = {
        k: [] for k in ("sensor_id", "rcs_m2", "ground_range_m", "height_m", "snr_db", "pd")
    }
    vis_all: list[bool] = []
    for sid, (ha, rmax) in enumerate(
        zip(sensors["antenna_height_m"], sensors["max_range_m"], strict=True)
    ):
        ranges = np.linspace(0.0, rmax, 120)
        rr, hh = np.meshgrid(ranges, heights)
        horizon = np.sqrt(2 * K_R * ha) + np.sqrt(2 * K_R * np.maximum(hh, 0.0))
        vis = (rr <= horizon) & (rr <= rmax)
        snr = 13.0 + 40.0 * np.log10(0.8 * rmax / np.maximum(rr, 1.0))
        pd = np.where(vis, 1.0 / (1.0 + np.exp(-(snr - 13.0) / 2.0)), 0.0)
        cov["sensor_id"] += [sid] * rr.size
        cov["rcs_m2"] += [1.0] * rr.size
        cov["ground_range_m"] += rr.ravel().tolist()
        cov["height_m"] += hh.ravel().tolist()
        cov["snr_db"] += snr.ravel().tolist()
        cov["pd"] += pd.ravel().tolist()
        vis_all += vis.ravel().tolist()
    _insert(con, "coverage", {**cov, "visible": vis_all})
    # objects
    n = threats + civil
    story = optional_rows and threats >= 4
    names, cats, presets, raids, hostile = [], [], [], [], []
    for i in range(threats):
        cat = THREAT_CATEGORIES[i % len(THREAT_CATEGORIES)]
        names.append(UNSEEN if i == 1 else f"{cat[:3].upper()}-{i:03d}")
        cats.append("cruise" if i == 1 else cat)
        presets.append(f"{cats[-1]}_preset")
        raids.append(i % 3)
        hostile.append(True)
    for j in range(civil):
        names.append(f"CIV{j:03d}")
        cats.append("civil")
        presets.append("adsb")
        raids.append(-1)
        hostile.append(False)
    start = np.where(
        np.array(hostile), rng.uniform(0, duration_s * 0.4, n), rng.uniform(0, duration_s * 0.2, n)
    )
    start = np.round(start / dt_s) * dt_s
    life = (
        np.where(np.array(hostile), rng.uniform(0.25, 0.5, n), rng.uniform(0.6, 0.8, n))
        * duration_s
    )
    end = np.minimum(np.round((start + life) / dt_s) * dt_s, duration_s)
    az = rng.uniform(0, 2 * np.pi, n)
    dist = np.where(np.array(hostile), rng.uniform(150e3, 350e3, n), rng.uniform(200e3, 300e3, n))
    p0 = np.column_stack([dist * np.sin(az), dist * np.cos(az)])
    aim = np.where(np.array(hostile)[:, None], rng.normal(0, 10e3, (n, 2)), -p0)
    h_cat = {"ballistic": 80e3, "cruise": 50.0, "drone": 300.0, "aircraft": 8e3, "civil": 10e3}
    h0 = np.array([h_cat[c] for c in cats])
    if threats > 1:  # the unseen one flies far away
        p0[1] = [1_500e3, 1_500e3]
        aim[1] = [1_400e3, 1_400e3]
    _insert(
        con,
        "objects",
        {
            "object_id": list(range(n)),
            "name": names,
            "category": cats,
            "preset": presets,
            "raid": raids,
            "side": ["hostile" if h else "neutral" for h in hostile],
            "hostile": hostile,
            "rcs_m2": [0.1 if h else 20.0 for h in hostile],
            "swerling": [1] * n,
            "start_s": start.tolist(),
            "end_s": end.tolist(),
            "end_reason": [
                ("killed" if story and i == 0 else "impact") if h else "duration"
                for i, h in enumerate(hostile)
            ],
            "aim_asset": [0 if h else -1 for h in hostile],
            "aim_x": aim[:, 0].tolist(),
            "aim_y": aim[:, 1].tolist(),
            "aim_z": [0.0] * n,
            "cost_usd": [1e6 if h else 0.0 for h in hostile],
        },
    )
    # truth: straight lines; ballistic heights follow a parabola
    t_parts, o_parts, pos_parts, h_parts = [], [], [], []
    for i in range(n):
        t = np.arange(start[i], end[i] + dt_s / 2, dt_s)
        u = (t - start[i]) / max(end[i] - start[i], dt_s)
        xy = p0[i] + u[:, None] * (aim[i] - p0[i])
        h = 4 * h0[i] * u * (1 - u) + 100.0 if cats[i] == "ballistic" else np.full(t.size, h0[i])
        t_parts.append(t)
        o_parts.append(np.full(t.size, i))
        pos_parts.append(xy)
        h_parts.append(h)
    t_all = np.concatenate(t_parts)
    oid = np.concatenate(o_parts)
    xy = np.concatenate(pos_parts)
    h = np.concatenate(h_parts)
    z = h - (xy**2).sum(axis=1) / (2 * 6_371_000.0)
    _insert(
        con,
        "truth",
        {
            "t": t_all,
            "object_id": oid.astype(np.int32),
            "x": xy[:, 0],
            "y": xy[:, 1],
            "z": z,
            "vx": np.zeros(t_all.size),
            "vy": np.zeros(t_all.size),
            "vz": np.zeros(t_all.size),
            "alt_m": h,
        },
    )
    # plots: each sensor looks every scan period
    det: dict[str, list[np.ndarray]] = {
        k: [] for k in ("t", "sensor_id", "scan", "x", "y", "z", "truth_id", "range_m")
    }
    for sid in range(3):
        period = sensors["scan_period_s"][sid]
        sx, sy, sh = sensors["x"][sid], sensors["y"][sid], sensors["antenna_height_m"][sid]
        on_scan = np.isclose(np.mod(t_all, period), 0.0) | np.isclose(np.mod(t_all, period), period)
        ground = np.hypot(xy[:, 0] - sx, xy[:, 1] - sy)
        horizon = np.sqrt(2 * K_R * sh) + np.sqrt(2 * K_R * np.maximum(h, 0.0))
        ok = on_scan & (ground <= np.minimum(horizon, sensors["max_range_m"][sid]))
        ok &= rng.random(t_all.size) < 0.8
        ok &= oid != 1
        k = int(ok.sum())
        noise = rng.normal(0, 150.0, (k, 3))
        det["t"].append(t_all[ok])
        det["sensor_id"].append(np.full(k, sid))
        det["scan"].append((t_all[ok] // period).astype(np.int64))
        det["x"].append(xy[ok, 0] + noise[:, 0])
        det["y"].append(xy[ok, 1] + noise[:, 1])
        det["z"].append(z[ok] + noise[:, 2])
        det["truth_id"].append(oid[ok])
        det["range_m"].append(np.hypot(ground[ok], h[ok]))
        nfa = max(1, int(duration_s / period) // 5)
        fa_r = rng.uniform(5e3, sensors["max_range_m"][sid], nfa)
        fa_a = rng.uniform(0, 2 * np.pi, nfa)
        det["t"].append(np.round(rng.uniform(0, duration_s, nfa) / period) * period)
        det["sensor_id"].append(np.full(nfa, sid))
        det["scan"].append(np.zeros(nfa, dtype=np.int64))
        det["x"].append(sx + fa_r * np.sin(fa_a))
        det["y"].append(sy + fa_r * np.cos(fa_a))
        det["z"].append(rng.uniform(0, 10e3, nfa))
        det["truth_id"].append(np.full(nfa, -1))
        det["range_m"].append(fa_r)
    d = {k: np.concatenate(v) for k, v in det.items()}
    m = d["t"].size
    _insert(
        con,
        "detections",
        {
            "t": d["t"].astype(np.float64),
            "sensor_id": d["sensor_id"].astype(np.int32),
            "scan": d["scan"].astype(np.int32),
            "range_m": d["range_m"],
            "azimuth_rad": np.zeros(m),
            "elevation_rad": np.zeros(m),
            "snr_db": np.full(m, 15.0),
            "x": d["x"],
            "y": d["y"],
            "z": d["z"],
            "truth_id": d["truth_id"].astype(np.int32),
        },
    )
    con.execute(
        """
        INSERT INTO first_detections
        SELECT d.truth_id, d.t, d.sensor_id, d.range_m, tr.alt_m FROM detections d
        JOIN truth tr ON tr.object_id = d.truth_id AND tr.t = d.t
        WHERE d.truth_id >= 0
        QUALIFY row_number() OVER (PARTITION BY d.truth_id ORDER BY d.t, d.sensor_id) = 1
        """
    )
    if optional_rows:
        con.execute(
            "INSERT INTO events (t, kind, object_id, sensor_id, range_m, x, y, z) "
            "SELECT f.t, 'first_detection', f.object_id, f.sensor_id, f.range_m, tr.x, tr.y, "
            "tr.z FROM first_detections f JOIN truth tr ON tr.object_id = f.object_id "
            "AND tr.t = f.t ORDER BY f.t, f.object_id"
        )
        con.execute(
            "INSERT INTO tracks VALUES (10.0, 1, 0, 0, 0, 0, 0, 0, 'confirmed', 50, 50, 80, 0.8, 0),"
            " (20.0, 1, 1000, 500, 0, 100, 50, 0, 'coasting', 60, 60, 90, 0.6, -1)"
        )
        con.execute(
            "INSERT INTO track_metrics VALUES (10.0, 1500.0, 250000.0, 2000000.0, 0.0, 2, 1),"
            " (20.0, 100.0, 10000.0, 0.0, 0.0, 1, 1)"
        )
        _insert_flyout(con)
    _insert_batteries(con, meta, story)
    if story:
        _insert_engage_story(con, start, end, aim, h0)
    summary = con.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE hostile), count(*) FILTER (WHERE NOT hostile),
               (SELECT count(*) FROM detections WHERE truth_id >= 0),
               (SELECT count(*) FROM detections WHERE truth_id < 0),
               count(*) FILTER (WHERE hostile AND object_id IN (SELECT object_id FROM first_detections)),
               count(*) FILTER (WHERE NOT hostile AND object_id IN (SELECT object_id FROM first_detections)),
               (SELECT avg(o.end_s - f.t) FROM objects o JOIN first_detections f USING (object_id)
                WHERE o.hostile)
        FROM objects
        """
    ).fetchone()
    assert summary is not None
    values = {
        "scenario": scenario,
        "seed": seed,
        "trial": 0,
        "duration_s": duration_s,
        "objects": summary[0],
        "threats": summary[1],
        "civil": summary[2],
        "sensors": 3,
        "detections": summary[3],
        "false_alarms": summary[4],
        "threats_detected": summary[5],
        "civil_detected": summary[6],
        "mean_warning_s": summary[7],
    }
    if engage_columns:
        values.update(leakers=1, assets_hit=0, civil_engaged=0, interceptors_used=2)
        if story:
            values.update(
                leakers=2,
                assets_hit=1,
                interceptors_used=3,
                kills=1,
                interceptor_cost_usd=3.5e6,
                cost_exchange_ratio=3.5,
            )
    cols = ", ".join(values)
    con.execute(
        f"INSERT INTO summary ({cols}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )
    con.close()
    return db


def _insert_batteries(con: duckdb.DuckDBPyConnection, meta: dict[str, str], story: bool) -> None:
    """The batteries table (see BATTERIES): rounds left are those loaded less those fired in
    the engage story, if it is told."""
    frame = Frame.from_degrees(
        float(meta["origin_lat_deg"]), float(meta["origin_lon_deg"]), float(meta["origin_alt_m"])
    )
    names = list(dict.fromkeys(b[0] for b in BATTERIES))
    site = np.array([[*BATTERY_SITES[b[0]], 5.0] for b in BATTERIES])
    lat, lon, alt = frame.enu_to_geodetic(site)
    fired = [STORY_FIRED.get((b[0], b[2]), 0) if story else 0 for b in BATTERIES]
    n = len(BATTERIES)
    _insert(
        con,
        "batteries",
        {
            "battery_id": pa.array([names.index(b[0]) for b in BATTERIES], pa.int32()),
            "battery": [b[0] for b in BATTERIES],
            "preset": [b[1] for b in BATTERIES],
            "missile": [b[2] for b in BATTERIES],
            "x": site[:, 0],
            "y": site[:, 1],
            "z": site[:, 2],
            "lat_deg": np.degrees(lat),
            "lon_deg": np.degrees(lon),
            "alt_m": alt,
            "rounds_loaded": pa.array([b[3] for b in BATTERIES], pa.int32()),
            "rounds_left": pa.array(
                [b[3] - f for b, f in zip(BATTERIES, fired, strict=True)], pa.int32()
            ),
            "min_range_m": [3_000.0] * n,
            "max_range_m": [b[4] for b in BATTERIES],
            "min_altitude_m": [10.0] * n,
            "max_altitude_m": [25_000.0] * n,
            "cost_usd": [b[5] for b in BATTERIES],
            "launchers": pa.array([4] * n, pa.int32()),
            "target_channels": pa.array([6] * n, pa.int32()),
            "missile_channels": pa.array([12] * n, pa.int32()),
            "launch_interval_s": [3.0] * n,
            "reaction_time_s": [10.0] * n,
        },
    )


def _insert_flyout(con: duckdb.DuckDBPyConnection) -> None:
    """Flyout rows of two missile types at three heights (the farthest point unreachable)."""
    rows: dict[str, list[object]] = {
        k: [] for k in ("missile", "ground_range_m", "height_m", "time_s", "speed_mps")
    }
    for missile, reach in FLYOUT_MAX_RANGE_M.items():
        for h in (5.0, 5_000.0, 15_000.0):
            for r in np.linspace(0.0, reach * 1.1, 23):
                ok = r <= reach
                rows["missile"].append(missile)
                rows["ground_range_m"].append(float(r))
                rows["height_m"].append(h)
                rows["time_s"].append(float(5.0 + (r + h) / 1_000.0) if ok else None)
                rows["speed_mps"].append(1_000.0 if ok else None)
    _insert(con, "flyout", rows)


def _insert_engage_story(
    con: duckdb.DuckDBPyConnection,
    start: np.ndarray,
    end: np.ndarray,
    aim: np.ndarray,
    h0: np.ndarray,
) -> None:
    """Interceptors, their plans and ends, tracks identified, leaks and an asset hit (see
    BATTERY_SITES). Every interceptor is planned to meet its target 20 s after its launch
    at the target's aim point; the kill comes at object 0's end, the miss 40 s before
    object 2's, and B2's SAM-L times out at its planned point."""
    shots = [  # (launch t, battery, missile, track, object, end reason, end t, miss)
        (end[0] - 30.0, "B1", "SAM", 1, 0, "kill", end[0], 3.0),
        (end[2] - 60.0, "B1", "SAM", 2, 2, "miss", end[2] - 40.0, 35.0),
        (end[2] - 30.0, "B2", "SAM-L", 2, 2, "timeout", end[2] - 10.0, None),
    ]
    for k, (t, battery, missile, track, oid, reason, t_end, miss) in enumerate(shots):
        pip = (float(aim[oid][0]), float(aim[oid][1]), float(h0[oid]))
        add_interceptor(
            con, interceptor_id=k, battery=battery, missile=missile, launch_t=float(t),
            track_id=track, object_id=oid, pip=pip, pip_t=float(t) + 20.0,
            end_t=float(t_end), end=pip, end_reason=reason, miss_m=miss,
            cost_usd=1.5e6 if missile == "SAM-L" else 1.0e6,
        )  # fmt: skip
    for oid, track in ((0, 1), (2, 2)):
        where = {"x": float(aim[oid][0]), "y": float(aim[oid][1]), "z": float(h0[oid])}
        ids = {"track_id": track, "object_id": oid}
        insert_events(
            con,
            [
                {"t": start[oid] + 4.0, "kind": "track_confirmed", **ids, **where},
                {"t": start[oid] + 8.0, "kind": "identified", **ids, "identity": "hostile",
                 "previous_identity": "unknown", "rule": "silent", "civil_replies": 0,
                 "friend_replies": 0, "silent_run": 3, "plan_hits": 0, "arc_updates": 0},
            ],
        )  # fmt: skip
    leaks = [
        {"t": end[oid], "kind": "leak", "object_id": oid, "reason": "impact",
         "x": aim[oid][0], "y": aim[oid][1], "z": 0.0}
        for oid in (2, 3)
    ]  # fmt: skip
    hit = {"t": end[2], "kind": "asset_hit", "object_id": 2, "asset_id": 0,
           "x": aim[2][0], "y": aim[2][1], "z": 0.0}  # fmt: skip
    insert_events(con, [*leaks, hit])
