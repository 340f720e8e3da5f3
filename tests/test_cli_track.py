"""End-to-end: `airdefense track` and `airdefense score` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from airdefense.cli import app

TRACK_COLUMNS = [
    "t", "track_id", "x", "y", "z", "vx", "vy", "vz", "status",
    "sx", "sy", "sz", "quality", "truth_id",
]  # fmt: skip

# three straight-line targets, well apart: start (m) and velocity (m/s) in ENU
STARTS = np.array([[0.0, 0.0, 3000.0], [20_000.0, 0.0, 5000.0], [0.0, 20_000.0, 8000.0]])
VELOCITIES = np.array([[200.0, 0.0, 0.0], [0.0, -150.0, 0.0], [100.0, 100.0, 0.0]])
SENSORS = {1: (0.0, -10_000.0, 0.0), 2: (30_000.0, 30_000.0, 100.0)}


def truth(times: np.ndarray) -> dict[str, np.ndarray]:
    t = np.repeat(times, 3)
    k = np.tile(np.arange(3), len(times))
    pos = STARTS[k] + VELOCITIES[k] * t[:, None]
    vel = VELOCITIES[k]
    return {
        "t": t,
        "truth_id": k,
        **{c: pos[:, i] for i, c in enumerate("xyz")},
        **{c: vel[:, i] for i, c in enumerate(("vx", "vy", "vz"))},
    }


def cartesian_detections(n_scans: int = 60, sigma: float = 20.0, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    tr = truth(np.arange(n_scans, dtype=float))
    n = len(tr["t"])
    return pa.table(
        {
            "t": tr["t"],
            **{c: tr[c] + rng.normal(0.0, sigma, n) for c in "xyz"},
            **{c: np.full(n, sigma) for c in ("sx", "sy", "sz")},
            "truth_id": tr["truth_id"],
        }
    )


def polar_detections(n_scans: int = 60, seed: int = 2) -> pa.Table:
    """Sensor 1 looks on even seconds, sensor 2 on odd ones; azimuth clockwise from north."""
    rng = np.random.default_rng(seed)
    tr = truth(np.arange(n_scans, dtype=float))
    n = len(tr["t"])
    sensor = np.where(tr["t"] % 2 == 0, 1, 2)
    site = np.array([SENSORS[int(s)] for s in sensor])
    d = np.stack([tr["x"], tr["y"], tr["z"]], axis=1) - site
    rng_m = np.linalg.norm(d, axis=1)
    az = np.arctan2(d[:, 0], d[:, 1])
    el = np.arcsin(d[:, 2] / rng_m)
    sr, sa, se = 20.0, 5e-4, 5e-4
    return pa.table(
        {
            "t": tr["t"],
            "sensor_id": sensor,
            "range": rng_m + rng.normal(0, sr, n),
            "azimuth": az + rng.normal(0, sa, n),
            "elevation": el + rng.normal(0, se, n),
            "sigma_range": np.full(n, sr),
            "sigma_azimuth": np.full(n, sa),
            "sigma_elevation": np.full(n, se),
            "truth_id": tr["truth_id"],
        }
    )


def write(table: pa.Table, path: Path) -> Path:
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def sensors_config(tmp_path: Path) -> Path:
    cfg = {
        "sensors": {
            sid: {"east_m": e, "north_m": n, "up_m": u} for sid, (e, n, u) in SENSORS.items()
        }
    }
    path = tmp_path / "tracker.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def invoke(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, env={"COLUMNS": "200"})


def confirmed_tracks(path: Path) -> dict[int, int]:
    """Confirmed track id -> the truth id most of its rows came from."""
    table = pq.read_table(path).to_pydict()
    out: dict[int, list[int]] = {}
    for tid, status, truth_id in zip(
        table["track_id"], table["status"], table["truth_id"], strict=True
    ):
        if status == "confirmed":
            out.setdefault(tid, []).append(truth_id)
    return {tid: int(np.bincount(np.array(ids) + 1).argmax()) - 1 for tid, ids in out.items()}


# --- track --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["det.parquet", "det.csv"])
def test_track_three_straight_line_targets(tmp_path: Path, name: str) -> None:
    det = write(cartesian_detections(), tmp_path / name)
    out = tmp_path / "tracks.parquet"
    result = invoke(["track", str(det), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(out)
    assert table.schema.names == TRACK_COLUMNS
    assert set(table["status"].to_pylist()) <= {"tentative", "confirmed", "coasting"}
    t = table["t"].to_numpy()
    assert (np.diff(t) >= 0).all()
    tracks = confirmed_tracks(out)
    assert len(tracks) == 3
    assert sorted(tracks.values()) == [0, 1, 2]  # one track per target
    assert "tracks confirmed" in result.stdout
    assert "detections read (cartesian)" in result.stdout
    assert "180" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "tracks.parquet"])


def test_track_polar_with_sensor_config(tmp_path: Path) -> None:
    det = write(polar_detections(), tmp_path / "polar.parquet")
    out = tmp_path / "tracks.parquet"
    result = invoke(["track", str(det), "-o", str(out), "--config", str(sensors_config(tmp_path))])
    assert result.exit_code == 0, result.stderr
    assert "detections read (polar)" in result.stdout
    tracks = confirmed_tracks(out)
    assert len(tracks) == 3
    assert sorted(tracks.values()) == [0, 1, 2]
    table = pq.read_table(out).to_pydict()
    # the tracks sit on the truth: last confirmed estimate within 200 m of the target
    for tid, truth_id in tracks.items():
        rows = [i for i, k in enumerate(table["track_id"]) if k == tid]
        i = rows[-1]
        expected = STARTS[truth_id] + VELOCITIES[truth_id] * table["t"][i]
        got = np.array([table["x"][i], table["y"][i], table["z"][i]])
        assert np.linalg.norm(got - expected) < 200.0


def test_track_quiet_prints_only_the_path(tmp_path: Path) -> None:
    det = write(cartesian_detections(20), tmp_path / "d.parquet")
    out = tmp_path / "t.parquet"
    result = invoke(["track", str(det), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out)


def test_track_overwrites_only_with_force(tmp_path: Path) -> None:
    det = write(cartesian_detections(20), tmp_path / "d.parquet")
    out = tmp_path / "t.parquet"
    out.write_bytes(b"precious")
    result = invoke(["track", str(det), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {out}: already exists (use --force to overwrite it)"
    assert out.read_bytes() == b"precious"
    result = invoke(["track", str(det), "--out", str(out), "--force", "-q"])
    assert result.exit_code == 0, result.stderr
    assert pq.read_table(out).num_rows > 0


def _bad_cases(tmp_path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """case -> (arguments after `track`, parts the error line must contain)."""
    good = cartesian_detections(10)
    nan_x = good["x"].to_numpy().copy()
    nan_x[4] = np.nan
    back_t = good["t"].to_numpy().copy()
    back_t[20] = 0.5
    out = str(tmp_path / "out.parquet")
    cases: dict[str, tuple[list[str], list[str]]] = {}

    def add(case: str, table_or_path: pa.Table | Path, name: str, parts: list[str]) -> None:
        path = (
            table_or_path
            if isinstance(table_or_path, Path)
            else write(table_or_path, tmp_path / name)
        )
        cases[case] = ([str(path), "--out", out], [str(path), *parts])

    add("missing column", good.drop_columns(["sy"]), "m.csv", ["sy: missing column"])
    add("nan", good.set_column(1, "x", pa.array(nan_x)), "n.parquet", ["x: NaN", "row 5"])
    add(
        "time backwards",
        good.set_column(0, "t", pa.array(back_t)),
        "b.csv",
        ["t: goes backwards at row 21"],
    )
    sig = good["sz"].to_numpy().copy()
    sig[3] = 0.0
    add("zero sigma", good.set_column(6, "sz", pa.array(sig)), "s.parquet", ["sz: must be > 0"])
    (tmp_path / "d.txt").write_text("t,x\n")
    add("not parquet or csv", tmp_path / "d.txt", "", ["unknown file type"])
    (tmp_path / "c.parquet").write_bytes(b"PAR1 but not really")
    add("corrupt parquet", tmp_path / "c.parquet", "", ["not a readable Parquet file"])
    (tmp_path / "e.csv").write_bytes(b"")
    add("empty file", tmp_path / "e.csv", "", ["empty file"])
    (tmp_path / "h.csv").write_text("t,x,y,z,sx,sy,sz\n")
    add("no rows", tmp_path / "h.csv", "", ["no rows"])
    polar = write(polar_detections(10), tmp_path / "p.parquet")
    cases["polar without sensors"] = (
        [str(polar), "--out", out],
        [str(polar), "sensor_id: unknown sensor"],
    )
    cfg = tmp_path / "one.yaml"
    cfg.write_text(yaml.safe_dump({"sensors": {1: {"east_m": 0, "north_m": 0, "up_m": 0}}}))
    cases["unknown sensor"] = (
        [str(polar), "--out", out, "--config", str(cfg)],
        [str(polar), "sensor_id: unknown sensor 2 at row 4 (the config's sensors: 1)"],
    )
    det = write(good, tmp_path / "ok.parquet")
    bad_cfg = tmp_path / "bad.yaml"
    bad_cfg.write_text("confirm_m: 9\nconfirm_n: 3\nfilter: cv\n")
    cases["bad config"] = ([str(det), "--out", out, "--config", str(bad_cfg)], [str(bad_cfg)])
    cases["out not parquet"] = (
        [str(det), "--out", str(tmp_path / "t.csv")],
        ["t.csv: tracks are written as Parquet"],
    )
    cases["out is the input"] = ([str(det), "--out", str(det), "--force"], ["is the detections"])
    return cases


CASES = [
    "missing column",
    "nan",
    "time backwards",
    "zero sigma",
    "not parquet or csv",
    "corrupt parquet",
    "empty file",
    "no rows",
    "polar without sensors",
    "unknown sensor",
    "bad config",
    "out not parquet",
    "out is the input",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path: Path, case: str) -> None:
    args, parts = _bad_cases(tmp_path)[case]
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    result = invoke(["track", *args])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for part in parts:
        assert part in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    after = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert after == before  # nothing written, nothing touched


def test_bad_file_found_after_tracks_were_written_leaves_nothing(tmp_path: Path) -> None:
    """An error deep in a long file, after row groups were written, still writes nothing."""
    table = cartesian_detections(400)
    t = table["t"].to_numpy().copy()
    t[-2] = 0.0  # time goes backwards near the end
    det = tmp_path / "long.parquet"
    pq.write_table(table.set_column(0, "t", pa.array(t)), det, row_group_size=50)
    out = tmp_path / "tracks.parquet"
    result = invoke(["track", str(det), "--out", str(out)])
    assert result.exit_code == 2
    assert "t: goes backwards at row 1199" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.parquet"]


def test_track_as_a_user_runs_it(tmp_path: Path) -> None:
    """The console script, in a subprocess: a good file, then a bad one."""
    exe = Path(sys.executable).with_name("airdefense")
    env = {**os.environ, "COLUMNS": "200"}
    det = write(cartesian_detections(), tmp_path / "det.csv")
    proc = subprocess.run(
        [str(exe), "track", "det.csv", "--out", "tracks.parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(confirmed_tracks(tmp_path / "tracks.parquet")) == 3
    assert "\x1b[" not in proc.stdout  # no progress bar or colours off a terminal
    det.write_text("t,x,y,z,sx,sy\n0,1,2,3,4,5\n")
    proc = subprocess.run(
        [str(exe), "track", "det.csv", "--out", "again.parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: det.csv: sz: missing column for Cartesian detections")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "again.parquet").exists()


# --- score --------------------------------------------------------------------------------


def _truth_file(tmp_path: Path, n_scans: int = 30) -> Path:
    return write(pa.table(truth(np.arange(n_scans, dtype=float))), tmp_path / "truth.parquet")


def _tracks_from_truth(tmp_path: Path, keep: tuple[int, ...], name: str) -> Path:
    tr = truth(np.arange(30, dtype=float))
    sel = np.isin(tr["truth_id"], keep)
    table = pa.table(
        {
            "t": tr["t"][sel],
            "track_id": tr["truth_id"][sel] + 10,
            **{c: tr[c][sel] for c in ("x", "y", "z", "vx", "vy", "vz")},
            "status": ["confirmed"] * int(sel.sum()),
        }
    )
    return write(table, tmp_path / name)


def test_score_perfect_and_missing_tracks(tmp_path: Path) -> None:
    truth_file = _truth_file(tmp_path)
    perfect = _tracks_from_truth(tmp_path, (0, 1, 2), "perfect.parquet")
    result = invoke(["score", str(perfect), "--truth", str(truth_file), "--json"])
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["gospa_mean"] == pytest.approx(0.0, abs=1e-6)
    assert figures["missed_mean"] == pytest.approx(0.0, abs=1e-6)
    assert figures["completeness"] == pytest.approx(1.0)
    assert figures["c_m"] == 1000.0
    assert figures["association_distance_m"] == 1000.0
    two = _tracks_from_truth(tmp_path, (0, 1), "two.csv")
    options = ["--json", "--c-m", "500", "--association-m", "100"]
    result = invoke(["score", str(two), "--truth", str(truth_file), *options])
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["missed_mean"] > 0
    assert figures["completeness"] == pytest.approx(2 / 3)
    assert figures["association_distance_m"] == 100.0


def test_score_prints_gospa_and_siap_table(tmp_path: Path) -> None:
    det = write(cartesian_detections(), tmp_path / "det.parquet")
    out = tmp_path / "tracks.parquet"
    assert invoke(["track", str(det), "--out", str(out), "-q"]).exit_code == 0
    truth_file = write(pa.table(truth(np.arange(60, dtype=float))), tmp_path / "truth.csv")
    result = invoke(["score", str(out), "--truth", str(truth_file)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "GOSPA and SIAP" in text
    for key in ("gospa_mean", "localisation_mean", "missed_mean", "false_mean"):
        assert key in text
    for key in ("completeness", "ambiguity", "spuriousness", "position_accuracy_m"):
        assert key in text
    figures = json.loads(invoke(["score", str(out), "--truth", str(truth_file), "--json"]).stdout)
    assert figures["completeness"] > 0.9
    assert figures["gospa_mean"] < 1000.0


@pytest.mark.parametrize(
    "case",
    ["truth missing column", "tracks bad status", "bad c", "truth nan", "tracks not a table"],
)
def test_score_bad_input(tmp_path: Path, case: str) -> None:
    truth_file = _truth_file(tmp_path)
    tracks = _tracks_from_truth(tmp_path, (0, 1, 2), "tracks.parquet")
    args = ["score", str(tracks), "--truth", str(truth_file)]
    if case == "truth missing column":
        bad = write(pa.table(truth(np.arange(3.0))).drop_columns(["truth_id"]), tmp_path / "x.csv")
        args, part = ["score", str(tracks), "--truth", str(bad)], f"{bad}: truth_id: missing"
    elif case == "truth nan":
        table = pa.table(truth(np.arange(3.0)))
        z = table["z"].to_numpy().copy()
        z[2] = np.nan
        bad = write(table.set_column(4, "z", pa.array(z)), tmp_path / "x.parquet")
        args, part = ["score", str(tracks), "--truth", str(bad)], f"{bad}: z: NaN or empty at row 3"
    elif case == "tracks bad status":
        table = pq.read_table(tracks)
        status = ["confirmed"] * (table.num_rows - 1) + ["gone"]
        bad = write(table.set_column(8, "status", pa.array(status)), tmp_path / "b.parquet")
        args, part = ["score", str(bad), "--truth", str(truth_file)], f"{bad}: status: unknown"
    elif case == "bad c":
        args, part = [*args, "--c-m", "0"], "--c-m: must be a finite number > 0"
    else:
        bad = tmp_path / "t.json"
        bad.write_text("[]")
        args, part = ["score", str(bad), "--truth", str(truth_file)], "unknown file type"
    result = invoke(args)
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert part in lines[0], lines[0]
