"""`airdefense track` on raw ASTERIX CAT048 files: ours (with and without the SP field), a real
radar's recording, and files that are partly or wholly unreadable."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.geo import Frame
from airdefense.interop import asterix as ax
from airdefense.interop.asterix import plots as ax_plots
from airdefense.interop.asterix.plots import AsterixPlotsReader
from airdefense.tracking.config import TrackerConfig
from airdefense.tracking.readers import DetectionsError, DetectionsReader

STARTS = np.array([[0.0, 0.0, 3000.0], [20_000.0, 0.0, 5000.0], [0.0, 20_000.0, 8000.0]])
VELOCITIES = np.array([[200.0, 0.0, 0.0], [0.0, -150.0, 0.0], [100.0, 100.0, 0.0]])
SENSORS = {1: (0.0, -10_000.0, 0.0), 2: (30_000.0, 30_000.0, 100.0)}


def invoke(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, env={"COLUMNS": "200"})


def flat_plots(n_scans: int = 60, seed: int = 2) -> dict[str, np.ndarray]:
    """Three straight-line targets; sensor 1 looks on even seconds, sensor 2 on odd ones (a flat
    frame, as a config without an origin has)."""
    rng = np.random.default_rng(seed)
    t = np.repeat(np.arange(n_scans, dtype=float), 3)
    k = np.tile(np.arange(3), n_scans)
    pos = STARTS[k] + VELOCITIES[k] * t[:, None]
    sensor = np.where(t % 2 == 0, 1, 2)
    d = pos - np.array([SENSORS[int(s)] for s in sensor])
    r = np.linalg.norm(d, axis=1)
    return {
        "t": t,
        "sensor_id": sensor,
        "range_m": r + rng.normal(0, 20.0, len(t)),
        "azimuth_rad": np.arctan2(d[:, 0], d[:, 1]) + rng.normal(0, 5e-4, len(t)),
        "elevation_rad": np.arcsin(d[:, 2] / r) + rng.normal(0, 5e-4, len(t)),
        "height_m": pos[:, 2],
        "truth_id": k,
    }


def flat_config(tmp_path: Path) -> Path:
    cfg = {
        "sensors": {s: {"east_m": e, "north_m": n, "up_m": u} for s, (e, n, u) in SENSORS.items()}
    }
    path = tmp_path / "tracker.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def write_ast(p: dict[str, np.ndarray], path: Path, *, special: bool) -> Path:
    extra = {}
    if special:
        n = len(p["t"])
        extra = {
            "elevation_rad": p["elevation_rad"],
            "sigma_range_m": np.full(n, 20.0),
            "sigma_azimuth_rad": np.full(n, 5e-4),
            "sigma_elevation_rad": np.full(n, 5e-4),
            "truth_id": p["truth_id"],
        }
    enc = ax.encode_plots(
        p["t"], p["sensor_id"], p["range_m"], p["azimuth_rad"], height_m=p["height_m"], **extra
    )
    path.write_bytes(enc.to_bytes())
    return path


def tracks_near_truth(out: Path, tolerance_m: float) -> list[int]:
    """For each target, whether a confirmed track ends within ``tolerance_m`` of it."""
    tab = pq.read_table(out).to_pydict()
    last: dict[int, int] = {}
    for i, (tid, status) in enumerate(zip(tab["track_id"], tab["status"], strict=True)):
        if status == "confirmed":
            last[tid] = i
    found = []
    for k in range(3):
        for i in last.values():
            truth = STARTS[k] + VELOCITIES[k] * tab["t"][i]
            got = np.array([tab["x"][i], tab["y"][i], tab["z"][i]])
            if np.linalg.norm(got - truth) < tolerance_m:
                found.append(k)
                break
    return found


@pytest.mark.parametrize("name", ["plots.ast", "plots.asterix"])
def test_track_our_cat048_with_the_sp_field(tmp_path: Path, name: str) -> None:
    det = write_ast(flat_plots(), tmp_path / name, special=True)
    out = tmp_path / "tracks.parquet"
    result = invoke(["track", str(det), "-o", str(out), "--config", str(flat_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "detections read (polar)" in result.stdout and "180" in result.stdout
    assert result.stderr == ""  # nothing skipped, nothing to warn about
    tab = pq.read_table(out).to_pydict()
    held = {k for k, s in zip(tab["truth_id"], tab["status"], strict=True) if s == "confirmed"}
    assert held == {0, 1, 2}  # the truth ids came through the SP field
    assert tracks_near_truth(out, 200.0) == [0, 1, 2]


def test_track_cat048_with_heights_only(tmp_path: Path) -> None:
    """Without the SP field: elevation from the 3D height, the assumed plot accuracies."""
    det = write_ast(flat_plots(), tmp_path / "plots.ast", special=False)
    cfg = TrackerConfig.model_validate(yaml.safe_load(flat_config(tmp_path).read_text()))
    with AsterixPlotsReader(det, config=cfg) as reader:
        m = reader.read_all()
    p = flat_plots()
    order = np.lexsort((p["t"], p["sensor_id"], np.floor(p["t"])))
    up = np.array([SENSORS[int(s)][2] for s in p["sensor_id"]])
    exact = np.arcsin((p["height_m"] - up) / p["range_m"])
    np.testing.assert_allclose(np.sort(m.elevation_rad), np.sort(exact[order]), atol=8 / 10_000)
    assert (m.truth_id == -1).all()
    assert np.allclose(m.sigma_range_m, ax.DEFAULT_SIGMA_RANGE_M)
    out = tmp_path / "tracks.parquet"
    result = invoke(["track", str(det), "-o", str(out), "--config", str(flat_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert tracks_near_truth(out, 300.0) == [0, 1, 2]


def test_elevation_from_height_is_exact_on_the_ellipsoid() -> None:
    frame = Frame.from_degrees(47.0, 8.0, 400.0)
    site = np.array([12_000.0, -7_000.0, 35.0])
    rng = np.random.default_rng(5)
    targets = site + np.column_stack(
        [rng.uniform(-3e5, 3e5, 200), rng.uniform(-3e5, 3e5, 200), rng.uniform(-1e4, 6e4, 200)]
    )
    local = frame._sensor_local(site, targets - site)
    r = np.linalg.norm(local, axis=1)
    az = np.arctan2(local[:, 0], local[:, 1])
    el = np.arcsin(local[:, 2] / r)
    el_got, ok = ax.elevation_from_height(r, az, frame.height_m(targets), site, frame)
    assert ok.all()
    np.testing.assert_allclose(el_got, el, atol=1e-9)
    _, ok = ax.elevation_from_height([1000.0], [0.0], [50_000.0], site, frame)  # out of reach
    assert not ok.any()


# --- a real radar's recording -------------------------------------------------------------------


def real_recording_file(tmp_path: Path) -> Path:
    asterix = pytest.importorskip("asterix", reason="asterix-decoder (test extra) not installed")
    data = Path(asterix.get_sample_file("cat_034_048.pcap")).read_bytes()
    payloads, p = [], 24
    while p < len(data):
        incl = struct.unpack("<I", data[p + 8 : p + 12])[0]
        frame = data[p + 16 : p + 16 + incl]
        p += 16 + incl
        ip = (frame[14] & 0x0F) * 4
        udp_len = struct.unpack(">H", frame[14 + ip + 4 : 14 + ip + 6])[0]
        payloads.append(frame[14 + ip + 8 : 14 + ip + udp_len])
    path = tmp_path / "recording.ast"
    path.write_bytes(b"".join(payloads))  # CAT034 and CAT048 blocks back to back
    return path


def test_track_a_real_radar_recording(tmp_path: Path) -> None:
    det = real_recording_file(tmp_path)
    cfg = tmp_path / "site.yaml"
    site = {"lat_deg": 45.8, "lon_deg": 16.0, "alt_m": 300.0}  # where is not recorded
    cfg.write_text(
        yaml.safe_dump(
            {
                "origin": {"lat_deg": 45.8, "lon_deg": 16.0, "alt_m": 0.0},
                # seven radars of SAC 25 (sensor_id = SAC * 256 + SIC)
                "sensors": {25 * 256 + sic: site for sic in (11, 12, 13, 14, 201, 204, 205)},
            }
        )
    )
    out = tmp_path / "tracks.parquet"
    result = invoke(["track", str(det), "-o", str(out), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert re.search(r"detections read \(polar\)\s*│\s*126\s*│", result.stdout)
    warnings = result.stderr.strip().splitlines()
    assert all(w.startswith(f"warning: {det}: ") for w in warnings)
    assert any("34 CAT034 blocks (not CAT048)" in w for w in warnings)
    assert any("2 CAT048 records without" in w for w in warnings)
    assert pq.read_table(out).num_rows > 0


def test_the_sensor_of_an_asterix_plot_must_be_placed(tmp_path: Path) -> None:
    det = real_recording_file(tmp_path)
    result = invoke(
        [
            "track",
            str(det),
            "-o",
            str(tmp_path / "t.parquet"),
            "--config",
            str(flat_config(tmp_path)),
        ]
    )
    assert result.exit_code == 2
    assert re.search(r"unknown sensor \d+ \(SAC 25, SIC \d+; sensor_id = SAC \* 256", result.stderr)
    assert result.stderr.count("\n") == 1 and not (tmp_path / "t.parquet").exists()


# --- unreadable input ---------------------------------------------------------------------------


def test_a_file_with_no_cat048_is_one_error(tmp_path: Path) -> None:
    det = tmp_path / "junk.ast"
    det.write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "t.parquet"
    result = invoke(["track", str(det), "-o", str(out), "--config", str(flat_config(tmp_path))])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {det}: no CAT048 plots in the file")
    assert result.stderr.count("\n") == 1 and not out.exists()
    empty = tmp_path / "empty.ast"
    empty.write_bytes(b"")
    result = invoke(["track", str(empty), "-o", str(out)])
    assert result.exit_code == 2 and "empty file" in result.stderr


def test_damaged_blocks_are_skipped_with_a_warning_and_a_count(tmp_path: Path) -> None:
    good = write_ast(flat_plots(), tmp_path / "good.ast", special=True).read_bytes()
    blocks = ax.decode_cat048(good)[1].blocks
    det = tmp_path / "damaged.ast"
    cut = len(good) // 2
    det.write_bytes(good[:cut] + b"\x30\x00\x01 junk \xff" + good[cut:-7])
    out = tmp_path / "t.parquet"
    result = invoke(
        ["track", str(det), "-o", str(out), "--config", str(flat_config(tmp_path)), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    warnings = result.stderr.strip().splitlines()
    assert warnings and all(w.startswith(f"warning: {det}: ") for w in warnings)
    assert "block length 1 (< 3)" in warnings[0]
    assert "truncated blocks" in warnings[-1] and "skipped " in warnings[-1]
    assert blocks > 10
    assert tracks_near_truth(out, 200.0) == [0, 1, 2]


def test_plots_out_of_time_order_are_sorted_within_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ax_plots, "_ASTERIX_READ_BYTES", 20)  # one 20-octet block a read
    t = np.array([100.0, 50.0, 120.0, 0.0, 200.0, 130.0])  # 0.0 arrives 120 s late
    enc_parts = [ax.encode_plots([x], [1], [1e4], [0.1], height_m=[500.0]) for x in t]
    det = tmp_path / "shuffled.ast"
    det.write_bytes(b"".join(e.to_bytes() for e in enc_parts))
    cfg = TrackerConfig.model_validate(yaml.safe_load(flat_config(tmp_path).read_text()))
    with AsterixPlotsReader(det, config=cfg) as reader:
        chunks = list(reader)
        notes = reader.notes
    got = np.concatenate([c.t for c in chunks])
    assert list(got) == [50.0, 100.0, 120.0, 130.0, 200.0]
    assert notes == ["skipped 1 plots more than 60 s out of time order"]


def test_unknown_extension_names_the_asterix_ones(tmp_path: Path) -> None:
    det = tmp_path / "plots.bin"
    det.write_bytes(b"\x30\x00\x03")
    with pytest.raises(DetectionsError, match=r"allowed: .*\.ast, \.asterix"):
        DetectionsReader(det)
