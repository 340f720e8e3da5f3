"""The run directory: ``scenario.yaml``, ``run.duckdb`` and ``report.html``, written whole.

Everything is written into a hidden temporary directory beside the destination and renamed
into place when complete, so a crash or a Ctrl-C never leaves a directory that looks like a
finished run. Tables are built as Arrow tables with deterministic row order, so the same
scenario, seed and trial give identical tables.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from airdefense._version import __version__
from airdefense.errors import AirdefenseError
from airdefense.record.schema import RUN_FORMAT, SUMMARY_COLUMNS, TABLES, VIEWS
from airdefense.tracking.measurements import STATUS_NAMES

if TYPE_CHECKING:
    from airdefense.sim.loop import RunResult


class RunDirError(AirdefenseError):
    """The run directory cannot be written (exists, not writable)."""


def default_run_dir(scenario_name: str, root: Path = Path("runs")) -> Path:
    """``runs/<scenario>-<UTC timestamp>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = root / f"{scenario_name}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = root / f"{scenario_name}-{stamp}-{n}"
    return path


def check_destination(out: Path) -> None:
    """Refuse a destination that exists and is not an empty directory."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunDirError(
            f"{out}: already exists and is not empty (choose another --out or remove it)"
        )


def write_run(
    result: RunResult, out: Path, finishers: Sequence[Callable[[Path], object]] = ()
) -> Path:
    """Write the run directory at ``out`` atomically and return its path.

    ``finishers`` run on the complete temporary directory before it is renamed into place
    (e.g. ``airdefense.report.write_report``), so what they write is part of the atomic
    run directory; record itself knows nothing of the stages that read it.
    """
    check_destination(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a run dir is not
        write_scenario_yaml(result, tmp / "scenario.yaml")
        write_database(result, tmp / "run.duckdb")
        for finish in finishers:
            finish(tmp)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_scenario_yaml(result: RunResult, path: Path) -> None:
    """The scenario as run (defaults filled in, seed and trial recorded)."""
    header = f"# airdefense {__version__}: scenario as run (trial {result.trial})\n"
    path.write_text(header + result.theatre.document, encoding="utf-8")


def write_database(result: RunResult, path: Path) -> None:
    """Create every table of the schema in a database file and fill it with the run."""
    con = duckdb.connect(str(path))
    try:
        fill_database(con, build_tables(result))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with contextlib.suppress(FileNotFoundError):
        Path(str(path) + ".wal").unlink()


def memory_database(result: RunResult) -> duckdb.DuckDBPyConnection:
    """The run's database in memory, as :func:`write_database` would write it (the Python
    API reads an unsaved run through it)."""
    con = duckdb.connect(":memory:")
    fill_database(con, build_tables(result))
    return con


def fill_database(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """Create every table and view of the schema on ``con`` and insert ``tables``."""
    for name, ddl in TABLES.items():
        con.execute(f"CREATE TABLE {name} ({ddl})")
    for name, sql in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    con.execute(
        "CREATE TABLE summary ("
        + ", ".join(f"{col} {typ}" for col, (typ, _) in SUMMARY_COLUMNS.items())
        + ")"
    )
    for name, table in tables.items():
        con.register("_src", table)
        cols = ", ".join(table.column_names)
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _src")
        con.unregister("_src")


def build_tables(result: RunResult) -> dict[str, pa.Table]:
    """The run's tables as Arrow tables, in a deterministic row order."""
    th = result.theatre
    frame = result.frame
    truth = result.truth
    out: dict[str, pa.Table] = {}
    meta = {
        "scenario": th.name,
        "description": th.description,
        "seed": str(th.seed),
        "trial": str(result.trial),
        "duration_s": repr(float(th.duration_s)),
        "dt_s": repr(float(th.time_step_s)),
        "origin_lat_deg": repr(th.origin[0]),
        "origin_lon_deg": repr(th.origin[1]),
        "origin_alt_m": repr(th.origin[2]),
        "area_radius_km": repr(th.area_radius_m / 1000.0),
        "airdefense_version": __version__,
        "run_format": str(RUN_FORMAT),
    }
    out["meta"] = pa.table({"key": list(meta), "value": list(meta.values())})

    rows = []
    for a in th.assets:
        pl = a.place
        x, y, z = pl.enu
        rows.append(
            (a.asset_id, a.name, x, y, z, pl.lat_deg, pl.lon_deg, pl.height_m, a.radius_m, a.value)
        )
    out["assets"] = _rows(
        rows,
        ["asset_id", "name", "x", "y", "z", "lat_deg", "lon_deg", "alt_m", "radius_m", "value"],
    )

    rows = []
    for site in th.radars:
        p = site.preset
        x, y, z = site.antenna_enu
        rows.append(
            (
                site.sensor_id,
                site.name,
                p.name,
                p.role,
                p.scan,
                x,
                y,
                z,
                site.ground.lat_deg,
                site.ground.lon_deg,
                site.ground.height_m + p.antenna_height_m,
                p.antenna_height_m,
                site.boresight_rad,
                np.radians(p.sector_width_deg),
                p.scan_period_s,
                p.max_range_km * 1000.0,
                np.radians(p.min_elevation_deg),
                np.radians(p.max_elevation_deg),
            )
        )
    out["sensors"] = _rows(
        rows,
        [
            "sensor_id", "name", "preset", "role", "scan", "x", "y", "z", "lat_deg", "lon_deg", "alt_m",
            "antenna_height_m", "boresight_rad", "sector_width_rad", "scan_period_s", "max_range_m",
            "min_elevation_rad", "max_elevation_rad",
        ],
    )  # fmt: skip

    cov = []
    for sid, (rcs, rr, hh, snr, pd, vis) in sorted(result.coverage.items()):
        cov.append(
            pa.table(
                {
                    "sensor_id": pa.array(np.full(rr.shape[0], sid, np.int32)),
                    "rcs_m2": pa.array(np.full(rr.shape[0], rcs)),
                    "ground_range_m": pa.array(rr),
                    "height_m": pa.array(hh),
                    "snr_db": pa.array(np.where(np.isfinite(snr), snr, np.nan)),
                    "pd": pa.array(pd),
                    "visible": pa.array(vis.astype(bool)),
                }
            )
        )
    if cov:
        out["coverage"] = pa.concat_tables(cov)

    out["objects"] = pa.table(
        {
            "object_id": pa.array(np.arange(truth.n, dtype=np.int32)),
            "name": pa.array(truth.name.astype(str)),
            "category": pa.array(truth.category.astype(str)),
            "preset": pa.array(truth.preset.astype(str)),
            "raid": pa.array(truth.raid.astype(np.int32)),
            "side": pa.array(truth.side.astype(str)),
            "hostile": pa.array(truth.hostile),
            "rcs_m2": pa.array(truth.rcs_m2),
            "swerling": pa.array(truth.swerling.astype(np.int32)),
            "start_s": pa.array(truth.start_s),
            "end_s": pa.array(truth.end_s),
            "end_reason": pa.array(truth.end_reason.astype(str)),
            "aim_asset": pa.array(truth.aim_asset.astype(np.int32)),
            "aim_x": pa.array(truth.aim_enu[:, 0]),
            "aim_y": pa.array(truth.aim_enu[:, 1]),
            "aim_z": pa.array(truth.aim_enu[:, 2]),
            "cost_usd": pa.array(truth.cost_usd),
        }
    )
    out["truth"] = truth_table(result)

    p = result.plots
    out["detections"] = pa.table(
        {
            "t": pa.array(p.t),
            "sensor_id": pa.array(p.sensor_id.astype(np.int32)),
            "scan": pa.array(p.scan.astype(np.int32)),
            "range_m": pa.array(p.range_m),
            "azimuth_rad": pa.array(p.azimuth_rad),
            "elevation_rad": pa.array(p.elevation_rad),
            "sigma_range_m": pa.array(p.sigma_range_m),
            "sigma_azimuth_rad": pa.array(p.sigma_azimuth_rad),
            "sigma_elevation_rad": pa.array(p.sigma_elevation_rad),
            "snr_db": pa.array(p.snr_db),
            "x": pa.array(p.x),
            "y": pa.array(p.y),
            "z": pa.array(p.z),
            "truth_id": pa.array(p.truth_id.astype(np.int32)),
        }
    )
    tr = result.tracks
    out["tracks"] = pa.table(
        {
            "t": pa.array(tr.t),
            "track_id": pa.array(tr.track_id.astype(np.int32)),
            "x": pa.array(tr.x),
            "y": pa.array(tr.y),
            "z": pa.array(tr.z),
            "vx": pa.array(tr.vx),
            "vy": pa.array(tr.vy),
            "vz": pa.array(tr.vz),
            "status": pa.array(np.asarray(STATUS_NAMES, dtype=object)[tr.status]),
            "sx": pa.array(tr.sx),
            "sy": pa.array(tr.sy),
            "sz": pa.array(tr.sz),
            "quality": pa.array(tr.quality),
            "truth_id": pa.array(tr.truth_id.astype(np.int32)),
        }
    )
    sc = result.track_score
    # a run simulated without its analysis (a Monte Carlo trial) has no track score
    if sc is not None:
        out["track_metrics"] = pa.table(
            {
                "t": pa.array(sc.times),
                "gospa_m": pa.array(sc.gospa),
                "localisation_m2": pa.array(sc.localisation),
                "missed_m2": pa.array(sc.missed),
                "false_m2": pa.array(sc.false),
                "truths": pa.array(np.asarray(sc.truth_count, dtype=np.int32)),
                "tracks": pa.array(np.asarray(sc.track_count, dtype=np.int32)),
            }
        )
    bats = result.batteries
    if bats is not None:
        shooter = np.arange(bats.n_shooters)
        b = bats.shooter_battery
        m = [bats.missile_types[k] for k in bats.shooter_missile]
        site = bats.site[b]
        lat, lon, alt = frame.enu_to_geodetic(site)
        out["batteries"] = pa.table(
            {
                "battery_id": pa.array(b.astype(np.int32)),
                "battery": pa.array([bats.names[k] for k in b], pa.string()),
                "preset": pa.array([bats.presets[k].name for k in b], pa.string()),
                "missile": pa.array([x.name for x in m], pa.string()),
                "x": pa.array(site[:, 0]),
                "y": pa.array(site[:, 1]),
                "z": pa.array(site[:, 2]),
                "lat_deg": pa.array(np.degrees(np.atleast_1d(lat))),
                "lon_deg": pa.array(np.degrees(np.atleast_1d(lon))),
                "alt_m": pa.array(np.atleast_1d(alt)),
                "rounds_loaded": pa.array(bats.rounds0[shooter].astype(np.int32)),
                "rounds_left": pa.array(bats.rounds[shooter].astype(np.int32)),
                "min_range_m": pa.array([x.min_range_km * 1000.0 for x in m], pa.float64()),
                "max_range_m": pa.array([x.max_range_km * 1000.0 for x in m], pa.float64()),
                "min_altitude_m": pa.array([x.min_altitude_m for x in m], pa.float64()),
                "max_altitude_m": pa.array([x.max_altitude_km * 1000.0 for x in m], pa.float64()),
                "cost_usd": pa.array([x.cost_usd for x in m], pa.float64()),
                "first_launcher": pa.array(bats.first_launcher.astype(np.int32)),
                "launchers": pa.array(bats.launchers[b].astype(np.int32)),
                "target_channels": pa.array(bats.target_channels[b].astype(np.int32)),
                "missile_channels": pa.array(bats.missile_channels[b].astype(np.int32)),
                "launch_interval_s": pa.array(bats.launch_interval_s[b].astype(np.float64)),
                "reaction_time_s": pa.array(bats.reaction_time_s[b].astype(np.float64)),
            }
        )
    out["interceptors"] = interceptors_table(result)
    ids, t, pos = result.interceptor_paths
    out["interceptor_paths"] = pa.table(
        {
            "interceptor_id": pa.array(ids.astype(np.int32)),
            "t": pa.array(t),
            "x": pa.array(pos[:, 0]),
            "y": pa.array(pos[:, 1]),
            "z": pa.array(pos[:, 2]),
        }
    )
    fly: dict[str, list] = {
        k: [] for k in ("missile", "ground_range_m", "height_m", "time_s", "speed_mps")
    }
    for tab in result.flyout_tables:
        rr, hh = np.meshgrid(tab.ground_range_m, tab.height_m, indexing="ij")
        fly["missile"].extend([tab.preset] * rr.size)
        fly["ground_range_m"].extend(rr.ravel().tolist())
        fly["height_m"].extend(hh.ravel().tolist())
        fly["time_s"].extend(tab.time_s.ravel().tolist())
        fly["speed_mps"].extend(tab.speed_mps.ravel().tolist())
    out["flyout"] = pa.table(
        {
            "missile": pa.array(fly["missile"], type=pa.string()),
            "ground_range_m": pa.array(fly["ground_range_m"], type=pa.float64()),
            "height_m": pa.array(fly["height_m"], type=pa.float64()),
            "time_s": pa.array(fly["time_s"], type=pa.float64()),
            "speed_mps": pa.array(fly["speed_mps"], type=pa.float64()),
        }
    )
    out["events"] = result.events.table()
    f = result.first
    ids = np.flatnonzero(f.detected)
    out["first_detections"] = pa.table(
        {
            "object_id": pa.array(ids.astype(np.int32)),
            "t": pa.array(f.t[ids]),
            "sensor_id": pa.array(f.sensor_id[ids].astype(np.int32)),
            "range_m": pa.array(f.range_m[ids]),
            "height_m": pa.array(f.height_m[ids]),
        }
    )
    out["summary"] = pa.table({k: [result.summary.get(k)] for k in SUMMARY_COLUMNS})
    return {name: _nan_to_null(table) for name, table in out.items()}


def _nan_to_null(table: pa.Table) -> pa.Table:
    """NaN (no aim point, no SNR at the radar's own position) stored as SQL NULL: unknown is
    NULL in SQL, and NaN != NaN would make identical runs compare unequal."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            col = table.column(i)
            if pc.any(pc.is_nan(col)).as_py():
                table = table.set_column(i, field, pc.if_else(pc.is_nan(col), None, col))
    return table


def interceptors_table(result: RunResult) -> pa.Table:
    """One row per interceptor (the ``interceptors`` table), by id."""
    log = result.interceptors
    n = log.n
    bats = result.batteries
    names = bats.names if bats is not None else []
    types = bats.missile_types if bats is not None else []
    b = log.battery_id[:n]
    m = log.missile_type[:n]
    cols = {
        "interceptor_id": np.arange(n, dtype=np.int32),
        "battery_id": b.astype(np.int32),
        "battery": pa.array([names[k] for k in b], pa.string()),
        "launcher": log.launcher[:n].astype(np.int32),
        "missile": pa.array([types[k].name for k in m], pa.string()),
        "plan_t": log.plan_t[:n],
        "launch_t": log.launch_t[:n],
        "launch_x": log.site[:n, 0],
        "launch_y": log.site[:n, 1],
        "launch_z": log.site[:n, 2],
        "track_id": log.track0[:n].astype(np.int32),
        "object_id": log.object0[:n].astype(np.int32),
        "pip_t": log.intercept_t[:n],
        "pip_x": log.pip[:n, 0],
        "pip_y": log.pip[:n, 1],
        "pip_z": log.pip[:n, 2],
        "pk_planned": log.pk[:n],
        "retargets": log.retargets[:n].astype(np.int32),
        "end_track_id": log.track[:n].astype(np.int32),
        "end_object_id": log.object[:n].astype(np.int32),
        "end_t": log.end_t[:n],
        "end_reason": pa.array(log.end_reason().astype(str), pa.string()),
        "miss_m": log.miss_m[:n],
        "end_x": log.end_pos[:n, 0],
        "end_y": log.end_pos[:n, 1],
        "end_z": log.end_pos[:n, 2],
        "cost_usd": pa.array([types[k].cost_usd for k in m], pa.float64()),
    }
    return pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in cols.items()})


def truth_table(result: RunResult) -> pa.Table:
    """Truth on the time grid, one row per living object per step, time-major."""
    truth = result.truth
    t = truth.t
    alive = (truth.start_s[None, :] <= t[:, None] + 1e-9) & (
        t[:, None] <= truth.end_s[None, :] + 1e-9
    )
    k, i = np.nonzero(alive)
    pos = truth.pos[k, i]
    vel = truth.vel[k, i]
    lat, lon, h = result.frame.enu_to_geodetic(pos)
    return pa.table(
        {
            "t": pa.array(t[k]),
            "object_id": pa.array(i.astype(np.int32)),
            "x": pa.array(pos[:, 0]),
            "y": pa.array(pos[:, 1]),
            "z": pa.array(pos[:, 2]),
            "vx": pa.array(vel[:, 0]),
            "vy": pa.array(vel[:, 1]),
            "vz": pa.array(vel[:, 2]),
            "lat_deg": pa.array(np.degrees(lat)),
            "lon_deg": pa.array(np.degrees(lon)),
            "alt_m": pa.array(h),
        }
    )


def _rows(rows: list[tuple], names: list[str]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.table({n: pa.array([_py(v) for v in c]) for n, c in zip(names, cols, strict=True)})


def _py(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else float(v) if isinstance(v, np.ndarray) else v
