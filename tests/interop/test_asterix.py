"""ASTERIX: our CAT048 and CAT062 records as CroatiaControl's asterix-decoder reads them, our
CAT048 reader against that decoder on a real radar's recording, and the round trip."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.geo import Frame
from airdefense.interop import asterix as ax

asterix = pytest.importorskip("asterix", reason="asterix-decoder (test extra) not installed")

NM, FT = 1852.0, 0.3048
TOD_LSB = 1 / 128
RHO_LSB = 1 / 256  # NM
THETA_LSB = 360 / 2**16  # deg
LATLON_LSB = 180 / 2**25  # deg


def _parse(data: bytes) -> list[dict[str, Any]]:
    records = asterix.parse(data, verbose=False)
    assert all("error" not in str(r.keys()).lower() for r in records)
    return records


def _val(record: dict[str, Any], item: str, field: str) -> Any:
    return record[item][field]["val"]


def _angle_diff_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


def _fetch(db: Path, sql: str) -> dict[str, np.ndarray]:
    with duckdb.connect(str(db), read_only=True) as con:
        table = con.sql(sql).to_arrow_table()
    return {n: table[n].to_numpy(zero_copy_only=False) for n in table.column_names}


def _frame(db: Path) -> Frame:
    with duckdb.connect(str(db), read_only=True) as con:
        meta = dict(con.sql("SELECT key, value FROM meta").fetchall())
    return Frame.from_degrees(
        float(meta["origin_lat_deg"]), float(meta["origin_lon_deg"]), float(meta["origin_alt_m"])
    )


@pytest.fixture(scope="module")
def encoded(sim_run: Path) -> ax.RunAsterix:
    return ax.encode_run(sim_run)


@pytest.fixture(scope="module")
def plots(sim_run: Path) -> dict[str, np.ndarray]:
    """The run's plots in the order CAT048 records are written (1 s window, radar, time)."""
    db = sim_run / "run.duckdb"
    det = _fetch(db, "SELECT * FROM detections ORDER BY t, sensor_id")
    keep = np.round(det["range_m"] / (NM / 256)) <= 0xFFFF
    det = {k: v[keep] for k, v in det.items()}
    order = np.lexsort((det["t"], det["sensor_id"], np.floor(det["t"])))
    det = {k: v[order] for k, v in det.items()}
    det["height_m"] = _frame(db).height_m(np.column_stack([det["x"], det["y"], det["z"]]))
    return det


# --- CAT048 written by us, read by asterix-decoder ----------------------------------------


def test_cat048_every_plot_decodes_within_an_lsb(
    encoded: ax.RunAsterix, plots: dict[str, np.ndarray], sim_run: Path
) -> None:
    records = _parse(encoded.plots.to_bytes())
    n = len(plots["t"])
    assert n > 500 and len(records) == n == encoded.plots.n_records
    assert {r["category"] for r in records} == {48}

    sac = np.array([_val(r, "I010", "SAC") for r in records])
    sic = np.array([_val(r, "I010", "SIC") for r in records])
    assert (sac == 0).all() and (sic == plots["sensor_id"]).all()
    tod = np.array([_val(r, "I140", "ToD") for r in records])
    assert np.abs(tod - (43_200.0 + plots["t"])).max() <= TOD_LSB / 2 + 1e-9
    assert all(_val(r, "I020", "TYP") == 1 and _val(r, "I020", "SIM") == 1 for r in records)
    rho = np.array([_val(r, "I040", "RHO") for r in records])
    theta = np.array([_val(r, "I040", "THETA") for r in records])
    assert np.abs(rho - plots["range_m"] / NM).max() <= RHO_LSB / 2 + 1e-9
    assert _angle_diff_deg(theta, np.degrees(plots["azimuth_rad"])).max() <= THETA_LSB / 2 + 1e-9

    feet = plots["height_m"] / FT
    fl_expected = (feet >= -1000) & (feet <= 126_750)
    has_fl = np.array(["I090" in r for r in records])
    assert (has_fl == fl_expected).all()
    fl = np.array([_val(r, "I090", "FL") for r in records if "I090" in r])
    assert np.abs(fl * 100 - feet[has_fl]).max() <= 25 / 2 + 1e-6
    assert all(
        _val(r, "I090", "V") == 0 and _val(r, "I090", "G") == 0 for r in records if "I090" in r
    )
    has_3d = np.array(["I110" in r for r in records])
    assert (has_3d == (np.abs(feet) < 8191.5 * 25)).all()
    h3 = np.array([_val(r, "I110", "3D_Height") for r in records if "I110" in r])
    assert np.abs(h3 - feet[has_3d]).max() <= 25 / 2 + 1e-6

    pam = np.array([r["I130"]["PAMP"]["PAM"]["val"] for r in records])
    assert np.abs(pam - np.clip(plots["snr_db"], -128, 127)).max() <= 0.5 + 1e-9
    assert all(set(r["I130"]) == {"PAMP"} for r in records)

    # the SP field: length, marker, version, then float32 elevation and sigmas, int32 truth id
    for r, i in zip(records[:200], range(200), strict=False):
        octets = bytes([24, *(d["SP"]["val"] for d in r["ISP"])])
        assert octets[:4] == b"\x18AD\x01"
        el, s_r, s_a, s_e, truth = struct.unpack(">ffffi", octets[4:])
        for got, name in ((el, "elevation_rad"), (s_r, "sigma_range_m"),
                          (s_a, "sigma_azimuth_rad"), (s_e, "sigma_elevation_rad")):  # fmt: skip
            assert got == pytest.approx(plots[name][i], rel=1e-6)
        assert truth == plots["truth_id"][i]


def test_cat048_plots_beyond_256_nm_are_left_out_and_counted() -> None:
    enc = ax.encode_plots(
        [0.0, 1.0, 2.0], [3, 3, 3], [1000.0, 256 * NM + 10, 255.99 * NM], [0, 1, 2]
    )
    assert enc.n_records == 2 and enc.omitted == 1
    rho = [_val(r, "I040", "RHO") for r in _parse(enc.to_bytes())]
    assert rho[0] == pytest.approx(1000.0 / NM, abs=RHO_LSB / 2) and rho[1] < 256


def test_cat048_without_height_snr_or_sp_has_only_the_basic_items() -> None:
    enc = ax.encode_plots([5.0], [7], [20_000.0], [np.radians(359.999)], sac=25)
    (r,) = _parse(enc.to_bytes())
    assert {k for k in r if k.startswith("I")} == {"I010", "I140", "I020", "I040"}
    assert _val(r, "I010", "SAC") == 25 and _val(r, "I010", "SIC") == 7
    assert _val(r, "I040", "THETA") in (0.0, 360 - THETA_LSB)  # 359.999 deg rounds to 0


def test_time_of_day_wraps_at_midnight() -> None:
    t = np.array([43_199.5, 43_200.0, 43_300.0])  # 23:59:59.5, 00:00:00, 00:01:40
    enc = ax.encode_plots(t, [1, 1, 1], [1e4, 1e4, 1e4], [0, 0, 0])
    tod = [_val(r, "I140", "ToD") for r in _parse(enc.to_bytes())]
    assert tod == [86_399.5, 0.0, 100.0]
    reports, summary = ax.decode_cat048(enc.to_bytes())
    np.testing.assert_allclose(reports.t, t)  # continued across midnight
    assert summary.records == 3 and not summary.skipped


# --- CAT062 written by us, read by asterix-decoder ----------------------------------------


def test_cat062_every_track_update_decodes_within_an_lsb(
    encoded: ax.RunAsterix, sim_run: Path
) -> None:
    db = sim_run / "run.duckdb"
    frame = _frame(db)
    trk = _fetch(db, "SELECT * FROM tracks ORDER BY t, track_id")
    order = np.lexsort((trk["t"], np.floor(trk["t"])))  # already in time order
    trk = {k: v[order] for k, v in trk.items()}
    records = _parse(encoded.tracks.to_bytes())
    n = len(trk["t"])
    assert n > 500 and len(records) == n
    assert {r["category"] for r in records} == {62}
    got = {
        name: np.array([_val(r, item, f) if item in r else np.nan for r in records], dtype=float)
        for name, item, f in (
            ("tot", "I070", "ToT"), ("trkn", "I040", "TrkN"), ("lat", "I105", "Lat"),
            ("lon", "I105", "Lon"), ("x", "I100", "X"), ("y", "I100", "Y"),
            ("vx", "I185", "Vx"), ("vy", "I185", "Vy"), ("alt", "I130", "Alt"),
            ("roc", "I220", "RoC"), ("sid", "I015", "SID"),
        )
    }  # fmt: skip
    assert all(_val(r, "I010", "SAC") == 0 and _val(r, "I010", "SIC") == 200 for r in records)
    assert (got["sid"] == 1).all()
    assert np.abs(got["tot"] - (43_200.0 + trk["t"])).max() <= TOD_LSB / 2 + 1e-9
    assert (got["trkn"] == trk["track_id"] % 65536).all()

    pos = np.column_stack([trk["x"], trk["y"], trk["z"]])
    lat, lon, h = frame.enu_to_geodetic(pos)
    assert np.abs(got["lat"] - np.degrees(lat)).max() <= LATLON_LSB / 2 + 1e-12
    assert _angle_diff_deg(got["lon"], np.degrees(lon)).max() <= LATLON_LSB / 2 + 1e-12
    assert np.abs(got["x"] - trk["x"]).max() <= 0.25 + 1e-9
    assert np.abs(got["y"] - trk["y"]).max() <= 0.25 + 1e-9

    # velocity east/north at the target: ENU velocity -> ECEF -> the target's own ENU
    v_ecef = frame.vector_to_ecef(np.column_stack([trk["vx"], trk["vy"], trk["vz"]]))
    east = -np.sin(lon) * v_ecef[:, 0] + np.cos(lon) * v_ecef[:, 1]
    north = (
        -np.sin(lat) * np.cos(lon) * v_ecef[:, 0]
        - np.sin(lat) * np.sin(lon) * v_ecef[:, 1]
        + np.cos(lat) * v_ecef[:, 2]
    )
    up = (
        np.cos(lat) * np.cos(lon) * v_ecef[:, 0]
        + np.cos(lat) * np.sin(lon) * v_ecef[:, 1]
        + np.sin(lat) * v_ecef[:, 2]
    )
    assert np.abs(got["vx"] - east).max() <= 0.125 + 1e-9
    assert np.abs(got["vy"] - north).max() <= 0.125 + 1e-9
    feet = h / FT
    in_range = (feet >= -1500) & (feet <= 150_000)
    assert (np.isfinite(got["alt"]) == in_range).all()
    assert np.abs(got["alt"][in_range] - feet[in_range]).max() <= 6.25 / 2 + 1e-6
    assert np.nanmax(np.abs(got["roc"] - up / FT * 60)) <= 6.25 / 2 + 1e-6

    status = trk["status"]
    first = np.zeros(n, bool)
    first[np.unique(trk["track_id"], return_index=True)[1]] = True
    last = np.zeros(n, bool)
    last[n - 1 - np.unique(trk["track_id"][::-1], return_index=True)[1]] = True
    for i, r in enumerate(records):
        s = r["I080"]
        assert s["SIM"]["val"] == 1 and s["MON"]["val"] == 0
        assert s["SRC"]["val"] == 2 and s["MRH"]["val"] == 1
        assert s["CNF"]["val"] == int(status[i] == "tentative")
        assert s["CST"]["val"] == s["PSR"]["val"] == int(status[i] == "coasting")
        assert s["TSB"]["val"] == int(first[i]) and s["TSE"]["val"] == int(last[i])
        apc, aga = r["I500"]["APC"], r["I500"]["AGA"]["AGA_Acc"]["val"]
        for axis, sigma in (("APC_X", trk["sx"][i]), ("APC_Y", trk["sy"][i])):
            assert apc[axis]["val"] == pytest.approx(min(sigma, 32_767.5), abs=0.25 + 1e-9)
        assert aga == pytest.approx(min(trk["sz"][i] / FT, 255 * 6.25), abs=6.25 / 2 + 1e-6)


def test_cat062_monosensor_flag_and_track_number_wrap() -> None:
    frame = Frame.from_degrees(47.0, 8.0, 0.0)
    enc = ax.encode_tracks(
        [0.0, 1.0], [70_000, 70_000], [[1e4, 2e4, 3e3]] * 2, [[100.0, 0, 0]] * 2,
        [0, 2], [[50.0, 60.0, 70.0]] * 2, frame, monosensor=True,
    )  # fmt: skip
    a, b = _parse(enc.to_bytes())
    assert _val(a, "I040", "TrkN") == 70_000 - 65_536
    assert a["I080"]["MON"]["val"] == 1 and a["I080"]["TSB"]["val"] == 1
    assert a["I080"]["TSE"]["val"] == 0 and b["I080"]["TSE"]["val"] == 1
    assert a["I080"]["CNF"]["val"] == 1 and b["I080"]["CST"]["val"] == 1


# --- blocks and datagrams -------------------------------------------------------------------


def _walk_blocks(data: bytes) -> list[tuple[int, int]]:
    """(category, length) of each block, following the length fields."""
    out, p = [], 0
    while p < len(data):
        cat, length = data[p], int.from_bytes(data[p + 1 : p + 3], "big")
        assert length >= 3
        out.append((cat, length))
        p += length
    assert p == len(data)
    return out


def test_blocks_hold_one_radar_second_and_stay_under_the_limit(encoded: ax.RunAsterix) -> None:
    blocks = _walk_blocks(encoded.plots.to_bytes())
    assert len(blocks) == len(encoded.plots)
    assert all(cat == 48 and length <= 65_535 for cat, length in blocks)
    for s, n in zip(encoded.plots.start[:50], encoded.plots.length[:50], strict=True):
        r, _ = ax.decode_cat048(encoded.plots.data[s : s + n].tobytes())
        assert len(np.unique(r.sensor_id)) == 1 and len(np.unique(np.floor(r.t))) == 1


def test_many_records_split_into_blocks_under_max_bytes() -> None:
    n = 5000
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 0.9, n))  # one second, one radar: size alone splits
    enc = ax.encode_plots(t, np.zeros(n, int), rng.uniform(1e3, 4e5, n), rng.uniform(0, 6, n),
                          height_m=rng.uniform(0, 1e4, n), max_bytes=1_000)  # fmt: skip
    lengths = [length for _, length in _walk_blocks(enc.to_bytes())]
    assert max(lengths) <= 1_000 and len(lengths) == len(enc) > 20
    assert sum(enc.records) == n == len(_parse(enc.to_bytes()))
    # greedy: each block but the last is too full for one more record (17 octets here)
    assert all(length + 17 > 1_000 for length in lengths[:-1])


def test_datagrams_in_time_order_one_block_each(sim_run: Path, encoded: ax.RunAsterix) -> None:
    grams = list(ax.asterix_datagrams(sim_run))
    times = np.array([t for t, _ in grams])
    assert (np.diff(times) >= 0).all()
    assert all(len(d) <= ax.DATAGRAM_BYTES for _, d in grams)
    assert all(int.from_bytes(d[1:3], "big") == len(d) for _, d in grams)
    cats = [d[0] for _, d in grams]
    assert set(cats) == {48, 62}
    n48 = sum(len(_parse(d)) for _, d in grams if d[0] == 48)
    n62 = sum(len(_parse(d)) for _, d in grams if d[0] == 62)
    assert n48 == encoded.plots.n_records and n62 == encoded.tracks.n_records
    # a datagram is sent once its latest record is due
    for t, d in grams[:300]:
        if d[0] == 48:
            r, _ = ax.decode_cat048(d)
            assert r.t.max() == pytest.approx(t, abs=TOD_LSB)


def test_datagrams_refuse_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    from airdefense.record.reader import RunReadError

    with pytest.raises(RunReadError, match="not a run directory"):
        ax.asterix_datagrams(tmp_path)


def test_an_open_reader_or_the_directory_encode_the_same(sim_run: Path) -> None:
    from airdefense.record.reader import RunReader

    with RunReader(sim_run) as run:
        grams = list(ax.asterix_datagrams(run))
        encoded = ax.encode_run(run)
    assert grams == list(ax.asterix_datagrams(sim_run))
    assert encoded.plots.to_bytes() == ax.encode_run(sim_run).plots.to_bytes()


# --- our CAT048 reader on a real radar's recording ------------------------------------------


def _pcap_payloads(path: str) -> list[bytes]:
    """UDP payloads of a classic pcap of Ethernet/IPv4/UDP frames."""
    data = Path(path).read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1"  # little-endian, microseconds
    out, p = [], 24
    while p < len(data):
        incl = struct.unpack("<I", data[p + 8 : p + 12])[0]
        frame = data[p + 16 : p + 16 + incl]
        p += 16 + incl
        assert frame[12:14] == b"\x08\x00" and frame[23] == 17  # IPv4, UDP
        ip = (frame[14] & 0x0F) * 4
        udp_len = struct.unpack(">H", frame[14 + ip + 4 : 14 + ip + 6])[0]
        out.append(frame[14 + ip + 8 : 14 + ip + udp_len])
    return out


def real_recording() -> list[bytes]:
    return _pcap_payloads(asterix.get_sample_file("cat_034_048.pcap"))


def test_our_reader_decodes_a_real_radar_recording_like_asterix_decoder() -> None:
    decoder = ax.Cat048Decoder()
    ours: list[ax.Cat048Reports] = []
    ref: list[dict[str, Any]] = []
    for payload in real_recording():
        ours.append(decoder.datagram(payload))
        ref += [r for r in asterix.parse(payload, verbose=False) if r["category"] == 48]
    rep = ax.Cat048Reports.concat(ours)
    assert len(rep) == len(ref) == 128
    assert decoder.summary.records == 128 and set(decoder.summary.skipped) == {
        "CAT034 blocks (not CAT048)"
    }
    checked = 0
    for i, r in enumerate(ref):
        assert (rep.sac[i], rep.sic[i]) == (_val(r, "I010", "SAC"), _val(r, "I010", "SIC"))
        assert rep.time_of_day_s[i] == _val(r, "I140", "ToD")
        assert (rep.typ[i], rep.sim[i]) == (_val(r, "I020", "TYP"), _val(r, "I020", "SIM"))
        if "I040" in r:
            assert rep.range_m[i] / NM == pytest.approx(_val(r, "I040", "RHO"), abs=1e-12)
            assert np.degrees(rep.azimuth_rad[i]) == pytest.approx(
                _val(r, "I040", "THETA"), abs=1e-9
            )
        else:
            assert np.isnan(rep.range_m[i])
        if "I070" in r:
            assert f"{rep.mode3a[i]:04o}" == _val(r, "I070", "Mode3A")
        if "I090" in r:
            assert rep.flight_level[i] == _val(r, "I090", "FL")
            assert rep.flight_level_v[i] == _val(r, "I090", "V")
            assert rep.flight_level_g[i] == _val(r, "I090", "G")
        else:
            assert np.isnan(rep.flight_level[i])
        if "I110" in r:
            assert rep.height_3d_m[i] / FT == pytest.approx(_val(r, "I110", "3D_Height"))
        present = set()
        for sub in r.get("I130", {}).values():
            for name, v in sub.items():
                assert rep.plot_characteristics[name][i] == pytest.approx(v["val"], abs=1e-12)
                present.add(name)
        for name, values in rep.plot_characteristics.items():
            assert np.isnan(values[i]) == (name not in present)
        if "I220" in r:
            assert f"{rep.aircraft_address[i]:06X}" == _val(r, "I220", "ACAddr")
        if "I240" in r:
            assert rep.callsign[i] == _val(r, "I240", "TId")
        assert rep.track_number[i] == _val(r, "I161", "Tn")
        if "I042" in r:
            assert rep.x_m[i] / NM == pytest.approx(_val(r, "I042", "X"), abs=1e-12)
            assert rep.y_m[i] / NM == pytest.approx(_val(r, "I042", "Y"), abs=1e-12)
        if "I200" in r:
            knots = rep.ground_speed_mps[i] / NM * 3600
            assert knots == pytest.approx(_val(r, "I200", "CGS"), abs=1e-9)
            assert np.degrees(rep.heading_rad[i]) == pytest.approx(
                _val(r, "I200", "CHdg"), abs=1e-9
            )
        checked += 1
    assert checked == 128
    # every item of the edition's UAP that the recording uses was walked, not just ours
    assert sum("I250" in r for r in ref) > 0 and sum("I170" in r for r in ref) > 0


def test_the_raw_sample_record_too() -> None:
    data = Path(asterix.get_sample_file("cat048.raw")).read_bytes()
    (ref,) = asterix.parse(data, verbose=False)
    rep, summary = ax.decode_cat048(data)
    assert len(rep) == 1 and not summary.skipped
    assert rep.callsign[0] == _val(ref, "I240", "TId")
    assert rep.range_m[0] / NM == _val(ref, "I040", "RHO")


# --- round trip -------------------------------------------------------------------------------


def test_round_trip_of_a_run_within_an_lsb(
    encoded: ax.RunAsterix, plots: dict[str, np.ndarray]
) -> None:
    rep, summary = ax.decode_cat048(encoded.plots.to_bytes())
    assert summary.records == len(rep) == len(plots["t"]) and not summary.skipped
    assert (rep.sensor_id == plots["sensor_id"]).all()
    assert np.abs(rep.t - plots["t"]).max() <= TOD_LSB / 2 + 1e-9
    assert np.abs(rep.range_m - plots["range_m"]).max() <= NM / 256 / 2 + 1e-6
    assert _angle_diff_deg(np.degrees(rep.azimuth_rad), np.degrees(plots["azimuth_rad"])).max() <= (
        THETA_LSB / 2 + 1e-9
    )
    fits = np.abs(plots["height_m"] / FT) < 8191.5 * 25  # I048/110 holds +-62.4 km
    assert (np.isfinite(rep.height_3d_m) == fits).all() and (~fits).any()
    assert np.abs(rep.height_3d_m - plots["height_m"])[fits].max() <= 12.5 * FT + 1e-6
    assert np.abs(rep.plot_characteristics["PAM"] - plots["snr_db"]).max() <= 0.5
    for name in ("elevation_rad", "sigma_range_m", "sigma_azimuth_rad", "sigma_elevation_rad"):
        np.testing.assert_allclose(getattr(rep, name), plots[name], rtol=1e-7)
    assert (rep.truth_id == plots["truth_id"]).all()
    assert (rep.sim == 1).all() and (rep.typ == 1).all()


# --- export ---------------------------------------------------------------------------------


def test_export_writes_the_blocks_and_a_tracker_config(sim_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "ast"
    result = CliRunner().invoke(
        app, ["export", str(sim_run), "--format", "asterix", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = [ax.PLOTS_NAME, ax.TRACKS_NAME, ax.SITES_NAME]
    assert result.stdout.split() == [str(out / n) for n in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    plots = (out / ax.PLOTS_NAME).read_bytes()
    tracks = (out / ax.TRACKS_NAME).read_bytes()
    assert {c for c, _ in _walk_blocks(plots)} == {48}
    assert {c for c, _ in _walk_blocks(tracks)} == {62}
    assert plots == ax.encode_run(sim_run).plots.to_bytes()  # deterministic
    again = CliRunner().invoke(app, ["export", str(sim_run), "-f", "asterix", "-o", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
    forced = CliRunner().invoke(
        app, ["export", str(sim_run), "-f", "asterix", "-o", str(out), "--force"]
    )
    assert forced.exit_code == 0


def test_exported_plots_track_like_the_runs_own_plots(sim_run: Path, tmp_path: Path) -> None:
    """`airdefense track` on the exported CAT048 file and on the same plots as Parquet (the
    README's DuckDB recipe) finds the same objects."""
    import pyarrow.parquet as pq

    out = tmp_path / "ast"
    assert (
        CliRunner().invoke(app, ["export", str(sim_run), "-f", "asterix", "-o", str(out)]).exit_code
        == 0
    )
    cfg = out / ax.SITES_NAME
    result = CliRunner().invoke(
        app,
        [
            "track",
            str(out / ax.PLOTS_NAME),
            "--config",
            str(cfg),
            "--out",
            str(tmp_path / "a.parquet"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output

    plots_pq = tmp_path / "plots.parquet"
    with duckdb.connect(str(sim_run / "run.duckdb"), read_only=True) as con:
        con.execute(
            "COPY (SELECT t, sensor_id, range_m AS range, azimuth_rad AS azimuth, elevation_rad AS "
            "elevation, sigma_range_m AS sigma_range, sigma_azimuth_rad AS sigma_azimuth, "
            "sigma_elevation_rad AS sigma_elevation, truth_id FROM detections "
            f"WHERE range_m < 256 * 1852 ORDER BY t) TO '{plots_pq}'"
        )
    result = CliRunner().invoke(
        app, ["track", str(plots_pq), "--config", str(cfg), "--out", str(tmp_path / "b.parquet")]
    )
    assert result.exit_code == 0, result.output

    def held(path: Path) -> set[int]:
        tab = pq.read_table(path).to_pydict()
        return {
            tid for tid, st in zip(tab["truth_id"], tab["status"], strict=True)
            if st == "confirmed" and tid >= 0
        }  # fmt: skip

    a, b = held(tmp_path / "a.parquet"), held(tmp_path / "b.parquet")
    assert len(a) > 5 and a == b


def test_export_refuses_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", str(tmp_path), "-f", "asterix"])
    assert result.exit_code == 2
    assert "not a run directory" in result.output and not (tmp_path / "export").exists()


def test_nothing_to_encode_is_an_empty_file() -> None:
    frame = Frame.from_degrees(47.0, 8.0, 0.0)
    plots = ax.encode_plots([], [], [], [], height_m=[], snr_db=[])
    tracks = ax.encode_tracks(
        np.zeros(0), np.zeros(0, int), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, int),
        np.zeros((0, 3)), frame,
    )  # fmt: skip
    assert plots.to_bytes() == tracks.to_bytes() == b"" and len(plots) == len(tracks) == 0
    reports, summary = ax.decode_cat048(b"")
    assert len(reports) == 0 and summary.lines() == []
