"""The CZML export: a document Cesium loads, with every object's trajectory where truth says."""

from __future__ import annotations

import json
import math
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from czml3 import Document

from airdefense.interop.czml import DEFAULT_EPOCH, build_document, write_czml
from airdefense.record.reader import RunReader

# WGS-84, written out here so that the check does not lean on airdefense.geo
_A = 6_378_137.0
_F = 1.0 / 298.257223563
_E2 = _F * (2.0 - _F)


def _ecef(lat_deg: np.ndarray, lon_deg: np.ndarray, h: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    n = _A / np.sqrt(1.0 - _E2 * np.sin(lat) ** 2)
    return np.column_stack(
        [
            (n + h) * np.cos(lat) * np.cos(lon),
            (n + h) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - _E2) + h) * np.sin(lat),
        ]
    )


def _iso(t: str) -> datetime:
    return datetime.fromisoformat(t.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def czml(sim_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("czml")
    with RunReader(sim_run) as run:
        (path,) = write_czml(run, out)
    assert path == out / "run.czml"
    return path, json.loads(path.read_text(encoding="utf-8"))


def _packets(doc: list[dict], kind: str) -> dict[str, dict[str, Any]]:
    return {p["id"].split("/", 1)[1]: p for p in doc if p["id"].startswith(kind + "/")}


def _samples(packet: dict) -> tuple[np.ndarray, np.ndarray]:
    flat = np.asarray(packet["position"]["cartesian"], dtype=np.float64).reshape(-1, 4)
    return flat[:, 0], flat[:, 1:]


def test_document_packet_first_with_the_scenario_clock(
    czml: tuple[Path, list[dict]], sim_run: Path
) -> None:
    _, doc = czml
    head = doc[0]
    assert head["id"] == "document" and head["version"] == "1.0"
    assert head["name"] == "airliner-crossing"
    start, stop = (_iso(s) for s in head["clock"]["interval"].split("/"))
    assert start == DEFAULT_EPOCH == datetime(2000, 1, 1, 12, tzinfo=UTC)
    assert stop - start == timedelta(seconds=240)
    assert _iso(head["clock"]["currentTime"]) == start
    assert "fixed epoch" in head["description"]
    assert sum(p["id"] == "document" for p in doc) == 1


def test_czml3_validates_the_document(czml: tuple[Path, list[dict]]) -> None:
    path, doc = czml
    parsed = Document.model_validate_json(path.read_text(encoding="utf-8"))
    assert len(parsed.packets) == len(doc)
    assert len({p["id"] for p in doc}) == len(doc)  # ids are unique


def test_one_packet_per_object_with_every_truth_sample_where_truth_is(
    czml: tuple[Path, list[dict]], sim_run: Path
) -> None:
    _, doc = czml
    truth = _packets(doc, "truth")
    with duckdb.connect(str(sim_run / "run.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT object_id, t, lat_deg, lon_deg, alt_m FROM truth ORDER BY object_id, t"
        ).fetchnumpy()
        names = dict(con.execute("SELECT object_id, name FROM objects").fetchall())
    ids = rows["object_id"].astype(np.int64)
    assert set(truth) == {str(i) for i in np.unique(ids)}
    expected = _ecef(rows["lat_deg"], rows["lon_deg"], rows["alt_m"])
    for oid, packet in truth.items():
        sel = ids == int(oid)
        t, xyz = _samples(packet)
        assert t.size == int(sel.sum())
        np.testing.assert_allclose(t, rows["t"][sel], atol=1e-3)
        err = np.linalg.norm(xyz - expected[sel], axis=1)
        assert err.max() < 1.0, (oid, err.max())
        assert packet["name"] == names[int(oid)]
        start, stop = (_iso(s) for s in packet["availability"].split("/"))
        assert (start - DEFAULT_EPOCH).total_seconds() == pytest.approx(t[0], abs=1e-3)
        assert (stop - DEFAULT_EPOCH).total_seconds() == pytest.approx(t[-1], abs=1e-3)
        assert packet["parent"] == "truth"


def test_tracks_by_number_from_confirmation(czml: tuple[Path, list[dict]], sim_run: Path) -> None:
    _, doc = czml
    tracks = _packets(doc, "track")
    with duckdb.connect(str(sim_run / "run.duckdb"), read_only=True) as con:
        counts = dict(
            con.execute(
                "SELECT track_id, count(DISTINCT t) FROM tracks WHERE status <> 'tentative' "
                "GROUP BY track_id"
            ).fetchall()
        )
    assert counts and set(tracks) == {str(k) for k in counts}
    for tid, packet in tracks.items():
        t, _ = _samples(packet)
        assert t.size == counts[int(tid)]
        assert packet["label"]["text"] == tid


def _origin(con: duckdb.DuckDBPyConnection) -> tuple[float, float, float]:
    lat0, lon0, h0 = (
        float(con.execute(f"SELECT value FROM meta WHERE key = '{k}'").fetchall()[0][0])
        for k in ("origin_lat_deg", "origin_lon_deg", "origin_alt_m")
    )
    return lat0, lon0, h0


def test_interceptors_fly_their_recorded_paths(
    czml: tuple[Path, list[dict]], sim_run: Path
) -> None:
    """One packet per interceptor, its samples those of ``interceptor_paths`` (same times,
    same places): from its launcher to where it ended, a kill where the kill event is."""
    _, doc = czml
    shots = _packets(doc, "interceptor")
    with duckdb.connect(str(sim_run / "run.duckdb"), read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT interceptor_id FROM interceptors").fetchall()]
        paths = con.execute(
            "SELECT interceptor_id, t, x, y, z FROM interceptor_paths ORDER BY interceptor_id, t"
        ).fetchnumpy()
        ends = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT interceptor_id, launch_t, launch_x, launch_y, launch_z, end_t, end_x, "
                "end_y, end_z FROM interceptors"
            ).fetchall()
        }
        kills = con.execute("SELECT interceptor_id, t, x, y, z FROM events_kill").fetchall()
        frame = _enu_to_ecef_fn(*_origin(con))
    assert kills, "the fixture run should have kills"
    assert set(shots) == {str(i) for i in ids}
    for iid, packet in shots.items():
        sel = paths["interceptor_id"] == int(iid)
        t, xyz = _samples(packet)
        assert t.size == int(sel.sum()) >= 1
        np.testing.assert_allclose(t, paths["t"][sel], atol=1e-3)
        enu = np.column_stack([paths[c][sel] for c in "xyz"])
        expected = np.array([frame(p) for p in enu])
        assert np.linalg.norm(xyz - expected, axis=1).max() < 0.05
        t_l, lx, ly, lz, t_e, ex, ey, ez = ends[int(iid)]
        assert t[0] == pytest.approx(t_l, abs=1e-3)
        assert np.linalg.norm(xyz[0] - frame(np.array([lx, ly, lz]))) < 0.05
        if t_e is not None:  # ended within the run: where and when the record says
            assert t[-1] == pytest.approx(t_e, abs=1e-3)
            assert np.linalg.norm(xyz[-1] - frame(np.array([ex, ey, ez]))) < 0.05
    for iid, tk, kx, ky, kz in kills:
        t, xyz = _samples(shots[str(iid)])
        assert t[-1] == pytest.approx(tk, abs=1e-3)
        assert np.linalg.norm(xyz[-1] - frame(np.array([kx, ky, kz]))) < 0.05


def test_tracks_take_the_colour_of_their_latest_identity(
    czml: tuple[Path, list[dict]], sim_run: Path
) -> None:
    _, doc = czml
    with duckdb.connect(str(sim_run / "run.duckdb"), read_only=True) as con:
        latest = dict(
            con.execute(
                "SELECT track_id, arg_max(identity, t) FROM events_identified GROUP BY 1"
            ).fetchall()
        )
    tracks = _packets(doc, "track")
    assert any(str(t) in tracks for t in latest)
    for tid, packet in tracks.items():
        identity = latest.get(int(tid), "unknown")
        assert f"<th>identity (latest)</th><td>{identity}</td>" in packet["description"]


def _enu_to_ecef_fn(lat0: float, lon0: float, h0: float):
    """ENU -> ECEF at an origin, from the textbook rotation (independent of airdefense.geo)."""
    o = _ecef(np.array([lat0]), np.array([lon0]), np.array([h0]))[0]
    la, lo = math.radians(lat0), math.radians(lon0)
    east = np.array([-math.sin(lo), math.cos(lo), 0.0])
    north = np.array([-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)])
    up = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    return lambda enu: o + enu[0] * east + enu[1] * north + enu[2] * up


def test_assets_sensors_and_batteries_are_labelled_points(
    czml: tuple[Path, list[dict]], sim_run: Path
) -> None:
    _, doc = czml
    with duckdb.connect(str(sim_run / "run.duckdb"), read_only=True) as con:
        assets = con.execute(
            "SELECT asset_id, name, lat_deg, lon_deg, alt_m FROM assets"
        ).fetchall()
        sensors = con.execute("SELECT sensor_id, name FROM sensors").fetchall()
        batteries = {
            r[0] for r in con.execute("SELECT DISTINCT battery FROM engagements").fetchall()
        }
    got = _packets(doc, "asset")
    assert set(got) == {str(a[0]) for a in assets}
    for aid, name, lat, lon, alt in assets:
        p = got[str(aid)]
        assert p["label"]["text"] == name
        lon_c, lat_c, h_c = p["position"]["cartographicDegrees"]
        here = _ecef(np.array([lat_c]), np.array([lon_c]), np.array([h_c]))
        there = _ecef(np.array([lat]), np.array([lon]), np.array([alt]))
        assert np.linalg.norm(here - there) < 1.0
    assert {p["label"]["text"] for p in _packets(doc, "sensor").values()} == {s[1] for s in sensors}
    assert set(_packets(doc, "battery")) == batteries


def test_start_time_from_the_run_when_it_has_one(sim_run: Path, tmp_path: Path) -> None:
    db = tmp_path / "run.duckdb"
    shutil.copy(sim_run / "run.duckdb", db)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO meta VALUES ('start_utc', '2026-03-01T06:30:00Z')")
    doc = json.loads(build_document(tmp_path).dumps())
    start, stop = (_iso(s) for s in doc[0]["clock"]["interval"].split("/"))
    assert start == datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert stop - start == timedelta(seconds=240)
    assert (
        doc[1:]
        and _iso(next(p for p in doc if p["id"].startswith("truth/"))["position"]["epoch"]) == start
    )


def test_same_run_same_document(sim_run: Path) -> None:
    assert build_document(sim_run).dumps() == build_document(sim_run).dumps()
