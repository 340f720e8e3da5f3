"""The DIS export (IEEE 1278.1-2012, DIS version 7), read back by a decoder we did not write:
Wireshark's DIS dissector through ``tshark``. Every PDU decodes with every header field set
and no malformed-packet or expert warning; entity states, Fire and Detonation PDUs carry what
the run database says (positions converted to ECEF here with the WGS-84 formulas written out,
not with airdefense.geo). Interceptors fly their recorded paths (``interceptor_paths``) and
each one that ended detonates once, with the result of its end reason. Also: the standard's
layouts read back with ``struct``, the Timestamp record, the Euler-angle convention, and dead
reckoning (heartbeat and thresholds)."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.interop import dis
from airdefense.record.export import FORMATS, export_run
from airdefense.record.reader import RunReader
from airdefense.types.events import INTERCEPTOR_ENDS

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None, reason="tshark not installed (Debian package tshark; .ci/run installs it)"
)
EPOCH_UNIX = 946_728_000.0  # 2000-01-01T12:00:00Z, the export's epoch for runs without a date

# WGS-84 (NIMA TR8350.2 Table 3.1), written out so the checks do not lean on airdefense.geo
_A = 6_378_137.0
_F = 1.0 / 298.257223563
_E2 = _F * (2.0 - _F)


def _ecef(lat_deg: Any, lon_deg: Any, h: Any) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    n = _A / np.sqrt(1.0 - _E2 * np.sin(lat) ** 2)
    return np.stack(
        [
            (n + h) * np.cos(lat) * np.cos(lon),
            (n + h) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - _E2) + h) * np.sin(lat),
        ],
        axis=-1,
    )


def _enu_rows(lat_deg: float, lon_deg: float) -> np.ndarray:
    """Rows: east, north, up unit vectors in ECEF."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    return np.array(
        [
            [-math.sin(lon), math.cos(lon), 0.0],
            [-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)],
            [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)],
        ]
    )


FIELDS = [
    "frame.time_epoch",
    "frame.protocols",
    "udp.dstport",
    "dis.proto_ver",
    "dis.exer_id",
    "dis.pdu_type",
    "dis.proto_fam",
    "dis.timestamp",
    "dis.pdu_length",
    "dis.pdu_status",
    "dis.pdustatus.lvc",
    "dis.entity_id_site",
    "dis.entity_id_application",
    "dis.entity_id_entity",
    "dis.force_id",
    "dis.entityKind",
    "dis.entityDomain",
    "dis.country",
    "dis.category.air",
    "dis.category.land",
    "dis.category",
    "dis.subcategory",
    "dis.entity_linear_velocity.x",
    "dis.entity_linear_velocity.y",
    "dis.entity_linear_velocity.z",
    "dis.entity_location.x",
    "dis.entity_location.y",
    "dis.entity_location.z",
    "dis.entity_orientation.psi",
    "dis.entity_orientation.theta",
    "dis.entity_orientation.phi",
    "dis.appearance",
    "dis.entity_marking_character_set",  # Wireshark 4.0 names both the DR algorithm and the charset so
    "dis.entity_marking",
    "dis.capabilities",
    "dis.site",
    "dis.application",
    "dis.event_number",
    "dis.fire.mission_index",
    "dis.fire.location.x",
    "dis.fire.location.y",
    "dis.fire.location.z",
    "dis.detonation.location.x",
    "dis.detonation.location.y",
    "dis.detonation.location.z",
    "dis.linear_velocity.x",
    "dis.range",
    "dis.warhead",
    "dis.fuse",
    "dis.quality",  # Wireshark 4.0's name for the descriptor's quantity
    "dis.rate",
    "dis.detonation.result",
    "_ws.malformed",
    "_ws.expert",
]


def tshark_fields(pcap: Path, fields: list[str], *extra: str) -> list[dict[str, list[str]]]:
    """Every frame of ``pcap`` as {field: [values]} (every occurrence), decoded by tshark."""
    cmd = [str(TSHARK), "-r", str(pcap), "-n", "-T", "fields", "-E", "separator=\t"]
    cmd += ["-E", "occurrence=a", "-E", "aggregator=|", "-E", "quote=n", *extra]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300).stdout
    rows = []
    for line in out.splitlines():
        cells = line.split("\t")
        assert len(cells) == len(fields), line
        rows.append({f: (c.split("|") if c else []) for f, c in zip(fields, cells, strict=True)})
    return rows


@pytest.fixture(scope="module")
def exported(sim_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dis")
    paths = export_run(sim_run, "dis", out)
    assert paths == [out / "run.dis", out / "run-dis.pcap"]
    return paths[0], paths[1]


@pytest.fixture(scope="module")
def frames(exported: tuple[Path, Path]) -> list[dict[str, list[str]]]:
    if TSHARK is None:
        pytest.skip("tshark not installed (Debian package tshark; .ci/run installs it)")
    return tshark_fields(exported[1], FIELDS)


@pytest.fixture(scope="module")
def run_db(sim_run: Path) -> dict[str, Any]:
    """What the run recorded: its tables, each interceptor's launch and end (``interceptors``)
    and its flown path (``interceptor_paths``)."""
    with RunReader(sim_run) as run:
        q = {
            "objects": "SELECT object_id, name, category, hostile, end_s, end_reason FROM objects",
            "truth": "SELECT t, object_id, lat_deg, lon_deg, alt_m, vx, vy, vz FROM truth",
            "sensors": "SELECT sensor_id, name, lat_deg, lon_deg, alt_m FROM sensors",
            "batteries": "SELECT DISTINCT battery_id, battery, lat_deg, lon_deg, alt_m FROM batteries",
            "launches": "SELECT launch_t, interceptor_id, object_id, launch_x, launch_y, launch_z "
            "FROM interceptors ORDER BY launch_t, interceptor_id",
            "ends": "SELECT end_t, end_reason, interceptor_id, end_object_id, end_x, end_y, end_z "
            "FROM interceptors WHERE end_reason <> 'flying' ORDER BY end_t, interceptor_id",
            "engagements": "SELECT interceptor_id, battery, outcome FROM engagements",
            "paths": "SELECT interceptor_id, t, x, y, z FROM interceptor_paths "
            "ORDER BY interceptor_id, t",
        }
        out: dict[str, Any] = {k: run.rows(v) for k, v in q.items()}
        out["meta"] = dict(run.meta)
    return out


#: SISO-REF-010 Detonation Result of each interceptor end reason (as dis.py documents it).
RESULT_OF_END = {
    "kill": 2,  # Entity Proximate Detonation
    "miss": 32,  # Miss due to End-Game Failure
    "arrived_destroyed": 5,  # Detonation
    "target_gone": 0,  # Other
    "timeout": 31,  # Miss due to Fly-Out Failure
    "ground": 3,  # Ground Impact
    "destroyed": 25,  # Air Burst
}


def _t(frame: dict[str, list[str]]) -> float:
    return round(float(frame["frame.time_epoch"][0]) - EPOCH_UNIX, 6)


def _espdus(frames: list[dict[str, list[str]]]) -> list[dict[str, list[str]]]:
    return [f for f in frames if f["dis.pdu_type"] == ["1"]]


def _id(f: dict[str, list[str]], k: int = 0) -> tuple[int, int, int]:
    return (
        int(f["dis.entity_id_site"][k]),
        int(f["dis.entity_id_application"][k]),
        int(f["dis.entity_id_entity"][k]),
    )


def _xyz(f: dict[str, list[str]], name: str) -> np.ndarray:
    return np.array([float(f[f"{name}.{c}"][0]) for c in "xyz"])


# --- the export as Wireshark reads it ----------------------------------------------------


def test_registered_as_an_export_format() -> None:
    assert FORMATS["dis"].load() is dis.write_dis


def test_the_file_is_the_pcap_payloads_back_to_back(exported: tuple[Path, Path]) -> None:
    raw, pcap = exported
    pdus = list(dis.split_pdus(raw.read_bytes()))
    assert len(pdus) > 100
    if TSHARK is None:
        pytest.skip("tshark not installed")
    payloads = tshark_fields(pcap, ["udp.payload"], "-d", "udp.port==3000,data")
    assert [bytes.fromhex(p["udp.payload"][0]) for p in payloads] == pdus


@needs_tshark
def test_wireshark_decodes_every_pdu_with_every_header_field(
    frames: list[dict[str, list[str]]], exported: tuple[Path, Path]
) -> None:
    n = len(list(dis.split_pdus(exported[0].read_bytes())))
    assert len(frames) == n
    length = {"1": 144, "2": 96, "3": 104}
    family = {"1": "1", "2": "2", "3": "2"}
    kinds: dict[str, int] = defaultdict(int)
    times = [_t(f) for f in frames]
    assert times == sorted(times)
    for f in frames:
        assert f["frame.protocols"][0].endswith(":udp:dis")
        assert f["_ws.malformed"] == [] and f["_ws.expert"] == []
        assert f["udp.dstport"] == ["3000"]
        kind = f["dis.pdu_type"][0]
        kinds[kind] += 1
        assert f["dis.proto_ver"] == ["7"] and f["dis.exer_id"] == ["1"]
        assert f["dis.proto_fam"] == [family[kind]]
        assert f["dis.pdu_length"] == [str(length[kind])]
        assert f["dis.pdu_status"] == ["0x06"] and f["dis.pdustatus.lvc"] == ["0x03"]
        # relative timestamp: scenario seconds past the hour, one unit = 3600/(2^31-1) s
        assert float(f["dis.timestamp"][0]) == pytest.approx(_t(f) % 3600, abs=4e-6)
    assert set(kinds) == {"1", "2", "3"}


@needs_tshark
def test_every_entity_of_the_run_is_there(
    frames: list[dict[str, list[str]]], run_db: dict[str, Any]
) -> None:
    ids = {_id(f) for f in _espdus(frames)}
    expected = {(1, 1, oid + 1) for oid, *_ in run_db["objects"]}
    expected |= {(1, 2, shot + 1) for _, shot, *_ in run_db["launches"]}
    expected |= {(1, 3, sid + 1) for sid, *_ in run_db["sensors"]}
    expected |= {(1, 4, bid + 1) for bid, *_ in run_db["batteries"]}
    assert ids == expected
    assert len(run_db["launches"]) == len(run_db["engagements"]) > 0


@needs_tshark
def test_objects_carry_the_truth_in_ecef(
    frames: list[dict[str, list[str]]], run_db: dict[str, Any]
) -> None:
    objects = {r[0]: r for r in run_db["objects"]}
    truth = {(round(r[0], 6), r[1]): r for r in run_db["truth"]}
    lat0 = float(run_db["meta"]["origin_lat_deg"])
    lon0 = float(run_db["meta"]["origin_lon_deg"])
    enu0 = _enu_rows(lat0, lon0)
    expect_type = {
        "cruise": ("2", "11", "1"),
        "ballistic": ("2", "11", "2"),
        "drone": ("1", "2", "50"),
        "aircraft": ("1", "2", "1"),
        "civil": ("1", "2", "57"),
    }
    checked = 0
    for f in _espdus(frames):
        _, app, ent = _id(f)
        if app != 1:
            continue
        oid = ent - 1
        _, name, category, hostile, *_ = objects[oid]
        kind, domain, cat = expect_type[category]
        assert f["dis.entityKind"] == [kind, kind] and f["dis.entityDomain"] == [domain, domain]
        assert f["dis.country"] == ["0", "0"]
        got_cat = f["dis.category.air"] if kind == "1" else f["dis.category"]
        assert got_cat == [cat, cat]
        assert f["dis.force_id"] == ["3" if category == "civil" else "2" if hostile else "1"]
        assert f["dis.entity_marking"] == [name[:11]]
        dr_alg, charset = f["dis.entity_marking_character_set"]
        assert (dr_alg, charset) == ("2", "1")  # DRM(F, P, W); ASCII
        row = truth.get((_t(f), oid))
        if row is None:  # the state where the object leaves (checked elsewhere)
            continue
        _, _, lat, lon, alt, vx, vy, vz = row
        loc = _xyz(f, "dis.entity_location")
        assert np.linalg.norm(loc - _ecef(lat, lon, alt)) < 1e-3
        v_ecef = np.array([vx, vy, vz]) @ enu0
        vel = _xyz(f, "dis.entity_linear_velocity")
        np.testing.assert_allclose(vel, v_ecef, rtol=2e-5, atol=1e-3)
        # orientation: body x along the velocity, body y level (wings level) and to the right
        psi, theta, phi = (
            float(f[f"dis.entity_orientation.{a}"][0]) for a in ("psi", "theta", "phi")
        )
        x_body = np.array(
            [math.cos(theta) * math.cos(psi), math.cos(theta) * math.sin(psi), -math.sin(theta)]
        )
        y_body = np.array(
            [
                math.sin(phi) * math.sin(theta) * math.cos(psi) - math.cos(phi) * math.sin(psi),
                math.sin(phi) * math.sin(theta) * math.sin(psi) + math.cos(phi) * math.cos(psi),
                math.sin(phi) * math.cos(theta),
            ]
        )
        up = _enu_rows(lat, lon)[2]
        assert np.linalg.norm(x_body - v_ecef / np.linalg.norm(v_ecef)) < 1e-4
        assert abs(y_body @ up) < 1e-4
        assert y_body @ np.cross(v_ecef, up) > 0
        checked += 1
    assert checked > 300


@needs_tshark
def test_radars_and_launchers_stand_at_their_sites(
    frames: list[dict[str, list[str]]], run_db: dict[str, Any]
) -> None:
    sites = {(3, sid + 1): (name, lat, lon, alt) for sid, name, lat, lon, alt in run_db["sensors"]}
    sites |= {
        (4, bid + 1): (name, lat, lon, alt) for bid, name, lat, lon, alt in run_db["batteries"]
    }
    seen = set()
    for f in _espdus(frames):
        _, app, ent = _id(f)
        if app not in (3, 4):
            continue
        name, lat, lon, alt = sites[(app, ent)]
        assert f["dis.entity_marking"] == [name[:11]]
        assert f["dis.entityKind"][0] == "1" and f["dis.entityDomain"][0] == "1"
        assert f["dis.category.land"] == ["28", "28"]
        assert f["dis.force_id"] == ["1"]
        assert f["dis.entity_marking_character_set"] == ["1", "1"]  # Static; ASCII
        assert np.linalg.norm(_xyz(f, "dis.entity_location") - _ecef(lat, lon, alt)) < 1e-3
        assert np.all(_xyz(f, "dis.entity_linear_velocity") == 0)
        seen.add((app, ent))
    assert seen == set(sites)


@needs_tshark
def test_heartbeat_at_least_every_5_s_and_leaving_entities_deactivated(
    frames: list[dict[str, list[str]]], run_db: dict[str, Any]
) -> None:
    times: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    last: dict[tuple[int, int, int], dict[str, list[str]]] = {}
    for f in _espdus(frames):
        times[_id(f)].append(_t(f))
        last[_id(f)] = f
    for key, ts in times.items():
        gaps = np.diff(ts)
        assert np.all(gaps > 0), key
        assert gaps.max(initial=0) <= 5.0 + 1e-6, key
    for oid, _, _, _, end_s, reason in run_db["objects"]:
        f = last[(1, 1, oid + 1)]
        appearance = int(f["dis.appearance"][0], 16)
        if reason == "duration":
            assert appearance == 0
            continue
        assert _t(f) == pytest.approx(end_s, abs=1e-6)
        assert appearance & (1 << 23)  # state: deactivated
        assert (appearance >> 3) & 3 == (3 if reason == "killed" else 0)  # damage: destroyed


@needs_tshark
def test_fire_and_detonation_pdus(
    frames: list[dict[str, list[str]]], run_db: dict[str, Any]
) -> None:
    lat0 = float(run_db["meta"]["origin_lat_deg"])
    lon0 = float(run_db["meta"]["origin_lon_deg"])
    alt0 = float(run_db["meta"]["origin_alt_m"])
    rot, origin = _enu_rows(lat0, lon0), _ecef(lat0, lon0, alt0)
    battery = {
        name: (bid, _ecef(lat, lon, alt)) for bid, name, lat, lon, alt in run_db["batteries"]
    }
    shots = {rowid: (bat, outcome) for rowid, bat, outcome in run_db["engagements"]}
    fires = [f for f in frames if f["dis.pdu_type"] == ["2"]]
    dets = [f for f in frames if f["dis.pdu_type"] == ["3"]]
    assert len(fires) == len(run_db["launches"])
    fired: dict[int, tuple[tuple[int, int, int], ...]] = {}
    for f, (t, shot, oid, *_xyz_enu) in zip(fires, run_db["launches"], strict=True):
        bid, site = battery[shots[shot][0]]
        assert _t(f) == pytest.approx(t, abs=1e-6)
        ids = tuple(_id(f, k) for k in range(3))
        assert ids == ((1, 4, bid + 1), (1, 1, oid + 1), (1, 2, shot + 1))
        assert (f["dis.site"], f["dis.application"]) == (["1"], ["4"])
        assert f["dis.event_number"] == [str(shot + 1)]
        assert f["dis.fire.mission_index"] == ["0"]
        assert np.linalg.norm(_xyz(f, "dis.fire.location") - site) < 1e-3
        assert (f["dis.entityKind"], f["dis.entityDomain"], f["dis.category"]) == (
            ["2"],
            ["1"],
            ["1"],
        )
        assert (f["dis.warhead"], f["dis.fuse"], f["dis.quality"], f["dis.rate"]) == (
            ["1620"],
            ["3000"],
            ["1"],
            ["0"],
        )
        assert float(f["dis.range"][0]) > 0 and float(f["dis.linear_velocity.x"][0]) != 0
        fired[shot + 1] = ids
    ended = [r for r in run_db["engagements"] if r[2] != "flying"]
    assert len(dets) == len(ended) == len(run_db["ends"]) > 0
    ends = {iid: (t, reason, oid, np.array(xyz)) for t, reason, iid, oid, *xyz in run_db["ends"]}
    for f in dets:
        event = int(f["dis.event_number"][0])
        t, reason, oid, enu = ends[event - 1]
        ids = tuple(_id(f, k) for k in range(3))
        # the same event, shooter and munition as its Fire PDU; the target it flew at at its end
        assert (ids[0], ids[2]) == (fired[event][0], fired[event][2])
        assert ids[1] == (1, 1, oid + 1)
        assert _t(f) == pytest.approx(t, abs=1e-6)
        assert shots[event - 1][1] == reason
        assert f["dis.detonation.result"] == [str(RESULT_OF_END[reason])]
        assert np.linalg.norm(_xyz(f, "dis.detonation.location") - (enu @ rot + origin)) < 1e-3


def test_export_from_the_command_line(sim_run: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", str(sim_run), "--format", "dis", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(tmp_path / "run.dis"), str(tmp_path / "run-dis.pcap")]


# --- the layouts -------------------------------------------------------------------------

#: IEEE 1278.1-2012 7.2.2 Entity State PDU, read with struct (not numpy): header (12),
#: entity id (6), force, #variable parameters, entity type (8), alternative type (8),
#: velocity 3 x float32, location 3 x float64, orientation 3 x float32, appearance (4),
#: dead reckoning (1 + 15 + 12 + 12), marking (1 + 11), capabilities (4).
ESPDU_STRUCT = struct.Struct(">BBBBIHBB HHH BB BBHBBBB BBHBBBB 3f 3d 3f I B15s3f3f B11s I")
#: 7.3.3 Detonation PDU: header (12), firing, target and munition entity ids and event id
#: (4 x 6), velocity 3 x float32, location 3 x float64, descriptor (8 + 8), location in
#: entity coordinates 3 x float32, result, #variable parameters, padding.
DETONATION_STRUCT = struct.Struct(">BBBBIHBB 3H3H3H3H 3f 3d BBHBBBB4H 3f BBH")


def test_entity_state_layout_read_back_with_struct() -> None:
    pdu = dis.entity_state_pdus(
        dis.dis_timestamp([1234.5]),
        [2],
        [77],
        [dis.FORCE_OPPOSING],
        [dis.ENTITY_TYPES["cruise"].as_tuple()],
        [[4.3e6, 6.1e5, 4.6e6]],
        [[-10.5, 200.25, 3.0]],
        [[0.5, -0.25, 3.0]],
        [dis.marking("cruise-0123456")],
        appearance=[dis.APPEARANCE_DEACTIVATED],
        site=9,
        exercise_id=3,
    ).tobytes()
    assert len(pdu) == ESPDU_STRUCT.size == 144
    v = ESPDU_STRUCT.unpack(pdu)
    assert v[:8] == (7, 3, 1, 1, int(dis.dis_timestamp([1234.5])[0]), 144, 6, 0)
    assert v[8:13] == (9, 2, 77, 2, 0)
    assert v[13:20] == v[20:27] == (2, 11, 0, 1, 0, 0, 0)
    assert v[27:30] == (-10.5, 200.25, 3.0)
    assert v[30:33] == (4.3e6, 6.1e5, 4.6e6)
    assert v[33:36] == (0.5, -0.25, 3.0)
    assert v[36] == 1 << 23
    assert v[37:39] == (2, bytes(15))
    assert v[39:45] == (0.0,) * 6
    assert v[45:] == (1, b"cruise-0123", 0)


def test_fire_and_detonation_layouts_read_back_with_struct() -> None:
    ids = np.array([[1, 4, 2], [1, 1, 8], [1, 2, 5], [1, 4, 5]])
    fire = dis.fire_pdus(
        dis.dis_timestamp([10.0]), *ids[:, None, :], [[1.0, 2.0, 3.0]],
        [dis.ENTITY_TYPES["interceptor"].as_tuple()], [[4.0, 5.0, 6.0]], [1500.0],
    ).tobytes()  # fmt: skip
    f = struct.unpack(">BBBBIHBB 3H3H3H3H I 3d BBHBBBB4H 3f f", fire)
    assert len(fire) == 96
    assert f[:8] == (7, 1, 2, 2, int(dis.dis_timestamp([10.0])[0]), 96, 6, 0)
    assert f[8:20] == tuple(ids.ravel()) and f[20] == 0
    assert f[21:24] == (1.0, 2.0, 3.0)
    assert f[24:35] == (2, 1, 0, 1, 0, 0, 0, 1620, 3000, 1, 0)
    assert f[35:] == (4.0, 5.0, 6.0, 1500.0)
    det = dis.detonation_pdus(
        dis.dis_timestamp([20.0]), *ids[:, None, :], [[4.0, 5.0, 6.0]], [[1.0, 2.0, 3.0]],
        [dis.ENTITY_TYPES["interceptor"].as_tuple()], [[0.5, 0.25, -1.0]], [2],
    ).tobytes()  # fmt: skip
    d = DETONATION_STRUCT.unpack(det)
    assert len(det) == 104
    assert d[:8] == (7, 1, 3, 2, int(dis.dis_timestamp([20.0])[0]), 104, 6, 0)
    assert d[8:20] == tuple(ids.ravel())
    assert d[20:26] == (4.0, 5.0, 6.0, 1.0, 2.0, 3.0)
    assert d[26:37] == (2, 1, 0, 1, 0, 0, 0, 1620, 3000, 1, 0)
    assert d[37:] == (0.5, 0.25, -1.0, 2, 0, 0)


def test_timestamp_record() -> None:
    unit = 3600.0 / (2**31 - 1)
    ts = dis.dis_timestamp([0.0, unit, 1800.0, 3599.9999999, 3600.0, 3601.0])
    assert ts[0] == 0 and ts[1] >> 1 == 1
    assert ts[2] >> 1 == (2**31 - 1) // 2
    assert ts[3] >> 1 == 2**31 - 2  # truncated: the hour's last units, never wrapped to 0
    assert ts[4] == 0 and ts[5] >> 1 == int(1.0 / unit)
    assert np.all(ts & 1 == 0)
    assert np.all(dis.dis_timestamp([5.0], absolute=True) & 1 == 1)


def test_marking_is_ascii_and_11_characters() -> None:
    assert dis.marking("airliner-001") == b"airliner-00"
    assert dis.marking("Zürich") == b"Z?rich"


def test_split_refuses_truncated_data() -> None:
    one = dis.entity_state_pdus([0], [1], [1], [1], [dis.OTHER_AIR.as_tuple()], [[1, 2, 3]], [[0, 0, 0]], [[0, 0, 0]], [b"x"]).tobytes()  # fmt: skip
    assert list(dis.split_pdus(one + one)) == [one, one]
    for bad in (one[:-1], one + one[:5], bytes(12)):
        with pytest.raises(ValueError):
            list(dis.split_pdus(bad))


# --- orientation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "east", "north", "up", "expect_deg"),
    [
        # at latitude 0, longitude 0 ECEF x is up, y east, z north
        (0.0, 0.0, 0.0, 1.0, 0.0, (0.0, -90.0, 0.0)),  # north, level
        (0.0, 0.0, 1.0, 0.0, 0.0, (90.0, 0.0, -90.0)),  # east, level
        (0.0, 0.0, 0.0, 0.0, 1.0, (0.0, 0.0, 0.0)),  # straight up: body x = ECEF x
        (47.0, 8.0, 0.0, 1.0, 0.0, (8.0 - 180.0, -(90.0 - 47.0), 180.0)),  # north, level
    ],
)
def test_euler_angles_of_known_headings(
    lat: float, lon: float, east: float, north: float, up: float, expect_deg: tuple
) -> None:
    pos = _ecef(lat, lon, 0.0)
    forward = np.array([east, north, up]) @ _enu_rows(lat, lon)
    euler = np.degrees(dis.euler_from_axes(dis.body_axes(pos, forward))[0])
    diff = (euler - np.array(expect_deg) + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(diff) < 1e-9)


def test_euler_angles_round_trip() -> None:
    rng = np.random.default_rng(3)
    e = rng.uniform([-math.pi, -1.5, -math.pi], [math.pi, 1.5, math.pi], (200, 3))
    axes = dis.axes_from_euler(e)
    np.testing.assert_allclose(
        np.einsum("nij,nkj->nik", axes, axes), np.broadcast_to(np.eye(3), axes.shape), atol=1e-12
    )
    np.testing.assert_allclose(dis.euler_from_axes(axes), e, atol=1e-9)
    assert dis.rotation_angle(axes, axes).max() < 1e-6


# --- dead reckoning ----------------------------------------------------------------------


def _line(n: int, dt: float = 1.0, v=(100.0, 0.0, 0.0), a=(0.0, 0.0, 0.0)):
    t = np.arange(n) * dt
    p0 = np.array([4.0e6, 1.0e6, 4.8e6])
    pos = p0 + np.outer(t, v) + 0.5 * np.outer(t**2, a)
    vel = np.asarray(v) + np.outer(t, a)
    axes = np.broadcast_to(np.eye(3), (n, 3, 3))
    return t, np.zeros(n, dtype=int), pos, vel, axes


def test_constant_velocity_sends_only_the_heartbeat() -> None:
    t, e, p, v, ax = _line(31)
    sent = dis.dead_reckoning_mask(t, e, p, v, ax)
    assert t[sent].tolist() == [0, 5, 10, 15, 20, 25, 30]
    assert dis.HEARTBEAT_S == 5.0


def test_position_threshold_is_1_m() -> None:
    # 1 m/s^2: the receiver is 0.5 m off after 1 s (kept), 2 m off after 2 s (sent)
    t, e, p, v, ax = _line(11, a=(0.0, 1.0, 0.0))
    sent = dis.dead_reckoning_mask(t, e, p, v, ax)
    assert t[sent].tolist() == [0, 2, 4, 6, 8, 10]
    # 0.4 m/s^2: 0.8 m off after 2 s (kept), 1.8 m after 3 s (sent)
    t, e, p, v, ax = _line(10, a=(0.4, 0.0, 0.0))
    assert t[dis.dead_reckoning_mask(t, e, p, v, ax)].tolist() == [0, 3, 6, 9]
    assert dis.POSITION_THRESHOLD_M == 1.0


def test_orientation_threshold_is_3_degrees() -> None:
    t, e, p, v, _ = _line(13, v=(0.0, 0.0, 0.0))
    yaw = np.radians(0.8) * t  # 0.8 deg/s: 2.4 deg after 3 s (kept), 3.2 deg after 4 s (sent)
    ax = dis.axes_from_euler(np.column_stack([yaw, np.zeros_like(t), np.zeros_like(t)]))
    assert t[dis.dead_reckoning_mask(t, e, p, v, ax)].tolist() == [0, 4, 8, 12]
    assert dis.ORIENTATION_THRESHOLD_DEG == 3.0


def test_forced_states_and_independent_entities() -> None:
    t1, _, p1, v1, ax1 = _line(11)
    t2, _, p2, v2, ax2 = _line(11, a=(0.0, 1.0, 0.0))
    t = np.r_[t1, t2 + 0.5]
    ent = np.r_[np.full(11, 7), np.full(11, 3)]
    force = np.zeros(22, dtype=bool)
    force[3] = True
    sent = dis.dead_reckoning_mask(
        t, ent, np.r_[p1, p2], np.r_[v1, v2], np.r_[ax1, ax2], force=force
    )
    assert t[sent & (ent == 7)].tolist() == [0, 3, 8]  # forced at 3; heartbeat counts from it
    assert t[sent & (ent == 3)].tolist() == [0.5, 2.5, 4.5, 6.5, 8.5, 10.5]


@settings(max_examples=60, deadline=None)
@given(
    acc=st.lists(st.floats(-20, 20), min_size=3, max_size=3),
    turn_deg_s=st.floats(-5, 5),
    speed=st.floats(0, 900),
    n=st.integers(2, 60),
)
def test_a_receiver_that_dead_reckons_stays_within_the_thresholds(
    acc: list[float], turn_deg_s: float, speed: float, n: int
) -> None:
    """Whatever the motion, a receiver extrapolating the last ESPDU (DRM(F, P, W)) is within
    1 m and 3 degrees of the truth at every sample, and hears from the entity every 5 s."""
    t = np.arange(n) * 1.0
    heading = np.radians(turn_deg_s) * t
    v = speed * np.column_stack([np.cos(heading), np.sin(heading), np.zeros(n)]) + np.outer(t, acc)
    steps = np.r_[[np.zeros(3)], 0.5 * (v[1:] + v[:-1])]
    p = np.cumsum(steps, axis=0) + np.array([4.0e6, 1.0e6, 4.8e6])
    ax = dis.axes_from_euler(np.column_stack([heading, np.zeros(n), np.zeros(n)]))
    sent = dis.dead_reckoning_mask(t, np.zeros(n, dtype=int), p, v, ax)
    assert sent[0]
    k = np.maximum.accumulate(np.where(sent, np.arange(n), 0))  # last ESPDU at each sample
    dt = t - t[k]
    off = np.linalg.norm(p - (p[k] + v[k] * dt[:, None]), axis=1)
    assert off.max() <= 1.0 + 1e-9
    assert np.degrees(dis.rotation_angle(ax[k], ax)).max() <= 3.0 + 1e-9
    assert dt.max() < 5.0


# --- edge cases of a run -----------------------------------------------------------------


@needs_tshark
def test_interceptors_leave_where_their_flight_ends(
    frames: list[dict[str, list[str]]], run_db: dict[str, Any]
) -> None:
    last: dict[int, dict[str, list[str]]] = {}
    for f in _espdus(frames):
        _, app, ent = _id(f)
        if app == 2:
            last[ent - 1] = f
    duration = float(run_db["meta"]["duration_s"])
    outcomes = {rowid: outcome for rowid, _, outcome in run_db["engagements"]}
    end_t = {iid: t for t, _, iid, *_ in run_db["ends"]}
    assert set(last) == set(outcomes)
    for shot, f in last.items():
        appearance = int(f["dis.appearance"][0], 16)
        if outcomes[shot] == "flying":  # still flying when the run ends: no last word
            assert appearance == 0 and _t(f) <= duration
        else:  # it ended: its last state is where and when, deactivated and destroyed
            assert appearance == (1 << 23) | (3 << 3)
            assert _t(f) == pytest.approx(end_t[shot], abs=1e-6)
    assert "flying" in outcomes.values() and "kill" in outcomes.values()


# --- interceptors as the run recorded them -------------------------------------------------


def _sent(data: bytes, app: int) -> dict[int, list[tuple[float, np.ndarray, np.ndarray]]]:
    """Per entity number of ``app``: (time, ECEF location, ECEF velocity) of each of its
    ESPDUs in ``run.dis``, read with struct; time from the relative timestamp (the run is
    shorter than an hour)."""
    out: dict[int, list[tuple[float, np.ndarray, np.ndarray]]] = defaultdict(list)
    for pdu in dis.split_pdus(data):
        if pdu[2] != 1:
            continue
        v = ESPDU_STRUCT.unpack(pdu)
        if v[9] == app:
            t = (v[4] >> 1) * (3600.0 / (2**31 - 1))
            out[v[10]].append((t, np.array(v[30:33]), np.array(v[27:30])))
    return out


def test_interceptors_fly_their_recorded_paths(
    exported: tuple[Path, Path], run_db: dict[str, Any]
) -> None:
    """Every interceptor ESPDU is a sample of ``interceptor_paths`` (converted back from ECEF
    with the run's frame, here with the WGS-84 formulas written out), its velocity the slope
    of the recorded segment from there; launch and end are sent; and a receiver that
    dead-reckons from the last ESPDU is within 1 m of every recorded sample."""
    meta = run_db["meta"]
    lat0, lon0 = float(meta["origin_lat_deg"]), float(meta["origin_lon_deg"])
    rot, origin = _enu_rows(lat0, lon0), _ecef(lat0, lon0, float(meta["origin_alt_m"]))
    paths: dict[int, list[tuple[float, ...]]] = defaultdict(list)
    for iid, *sample in run_db["paths"]:
        paths[iid].append(tuple(sample))
    ended = {iid for _, _, iid, *_ in run_db["ends"]}
    sent = _sent(exported[0].read_bytes(), app=2)
    assert set(sent) == {iid + 1 for iid in paths} and len(paths) == len(run_db["launches"])
    checked = 0
    for ent, states in sent.items():
        rec = np.array(paths[ent - 1])
        t_rec, enu_rec = rec[:, 0], rec[:, 1:]
        slope = np.diff(enu_rec, axis=0) / np.diff(t_rec)[:, None]
        at = []
        for t, loc, vel in states:
            k = int(np.argmin(np.abs(t_rec - t)))
            assert 0 <= t_rec[k] - t < 2e-6  # the timestamp truncates to 1.68 us
            np.testing.assert_allclose((loc - origin) @ rot.T, enu_rec[k], rtol=0, atol=1e-6)
            np.testing.assert_allclose(
                vel @ rot.T, slope[min(k, len(slope) - 1)], rtol=1e-6, atol=1e-3
            )
            at.append(k)
            checked += 1
        assert at[0] == 0 and at == sorted(set(at))
        if ent - 1 in ended:
            assert at[-1] == len(t_rec) - 1
        # a receiver's dead reckoning (DRM(F, P, W)) along the recorded path
        last = np.maximum.accumulate(np.isin(np.arange(len(t_rec)), at) * np.arange(len(t_rec)))
        v_sent = np.array([slope[min(k, len(slope) - 1)] for k in last])
        guess = enu_rec[last] + v_sent * (t_rec - t_rec[last])[:, None]
        assert np.linalg.norm(guess - enu_rec, axis=1).max() <= 1.0 + 1e-3
    assert checked > 200


def test_one_detonation_per_interceptor_that_ended(
    exported: tuple[Path, Path], run_db: dict[str, Any]
) -> None:
    """The Detonation PDUs by result are the ``interceptors`` table's ends by reason, one per
    interceptor that ended (none for one still flying)."""
    dets = [
        DETONATION_STRUCT.unpack(p) for p in dis.split_pdus(exported[0].read_bytes()) if p[2] == 3
    ]
    assert Counter(d[-3] for d in dets) == Counter(
        RESULT_OF_END[reason] for _, reason, *_ in run_db["ends"]
    )
    assert sorted(d[19] for d in dets) == sorted(iid + 1 for _, _, iid, *_ in run_db["ends"])


def test_every_end_reason_has_its_detonation_result(sim_run: Path, tmp_path: Path) -> None:
    """Each end reason of the record (the fixture's run has kills and misses only: the others
    are written over its ended interceptors here) detonates with its SISO-REF-010 result."""
    assert dis.DETONATION_RESULTS == RESULT_OF_END
    assert set(RESULT_OF_END) == set(INTERCEPTOR_ENDS) - {"flying"}
    shutil.copy(sim_run / "run.duckdb", tmp_path / "run.duckdb")
    reasons = list(RESULT_OF_END)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        ended = [
            r[0]
            for r in con.sql(
                "SELECT interceptor_id FROM interceptors WHERE end_t IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        assert len(ended) >= len(reasons)
        for iid, reason in zip(ended, reasons, strict=False):
            con.execute(
                "UPDATE interceptors SET end_reason = ? WHERE interceptor_id = ?", [reason, iid]
            )
        recorded = Counter(
            r[0]
            for r in con.sql(
                "SELECT end_reason FROM interceptors WHERE end_reason <> 'flying'"
            ).fetchall()
        )
    pdus = dis.build_pdus(tmp_path)
    results = Counter(DETONATION_STRUCT.unpack(p)[-3] for _, p in pdus if p[2] == 3)
    assert set(recorded) == set(reasons)
    assert results == Counter({RESULT_OF_END[r]: n for r, n in recorded.items()})


def test_absolute_timestamps_when_the_run_has_a_calendar_start(
    sim_run: Path, tmp_path: Path
) -> None:
    shutil.copy(sim_run / "run.duckdb", tmp_path / "run.duckdb")
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("INSERT INTO meta VALUES ('start_utc', '2026-11-25T12:34:56.5Z')")
    pdus = dis.build_pdus(tmp_path)
    assert pdus.epoch.isoformat() == "2026-11-25T12:34:56.500000+00:00"
    stamps = np.array([struct.unpack(">I", p[4:8])[0] for _, p in pdus])
    assert np.all(stamps & 1 == 1)  # absolute
    past_hour = (stamps >> 1) * (3600.0 / (2**31 - 1))
    expect = (34 * 60 + 56.5 + pdus.t) % 3600.0
    assert np.abs(past_hour - expect).max() < 2e-6


def test_a_run_with_nothing_in_it(tmp_path: Path) -> None:
    from airdefense.record.schema import RUN_FORMAT, TABLES

    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute(f"CREATE TABLE meta ({TABLES['meta']})")
        con.execute(f"INSERT INTO meta VALUES ('duration_s', '60'), ('run_format', '{RUN_FORMAT}')")
    with RunReader(tmp_path) as run:
        written = dis.write_dis(run, tmp_path / "out")
    assert written == [
        tmp_path / "out" / "run.dis",
        tmp_path / "out" / "run-dis.pcap",
    ]
    assert (tmp_path / "out" / "run.dis").read_bytes() == b""
    assert len((tmp_path / "out" / "run-dis.pcap").read_bytes()) == 24  # the pcap header only


def test_too_many_entities_for_one_application_is_an_error(tmp_path: Path) -> None:
    from airdefense.record.schema import RUN_FORMAT, TABLES

    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        for name in ("meta", "sensors"):
            con.execute(f"CREATE TABLE {name} ({TABLES[name]})")
        con.execute(f"INSERT INTO meta VALUES ('run_format', '{RUN_FORMAT}')")
        con.execute(
            "INSERT INTO sensors (sensor_id, name, preset, x, y, z) VALUES (70000, 'r', 'p', 0, 0, 0)"
        )
    with pytest.raises(dis.DisError, match="application 3 out of range 1-65534"):
        dis.build_pdus(tmp_path)


def test_same_run_same_bytes_from_a_reader_or_the_directory(
    sim_run: Path, exported: tuple[Path, Path]
) -> None:
    with RunReader(sim_run) as run:
        assert dis.build_pdus(run).data == exported[0].read_bytes()
        assert run.rows("SELECT 1") == [(1,)]  # a reader handed in stays open for its owner
