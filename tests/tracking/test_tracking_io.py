"""Tracking files: detections read streamed and validated, tracks written atomically."""

from __future__ import annotations

import itertools
import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from airdefense.tracking.measurements import CONFIRMED, STATUS_NAMES, Measurements, TrackUpdates
from airdefense.tracking.readers import (
    DetectionsError,
    DetectionsReader,
    read_detections,
    read_tracks,
    read_truth,
)
from airdefense.tracking.writer import TRACK_SCHEMA, TrackWriter, check_output


def cartesian_table(n: int = 40, seed: int = 0) -> pa.Table:
    """n rows, four rows per time, with truth and sensor ids."""
    rng = np.random.default_rng(seed)
    t = np.repeat(np.arange((n + 3) // 4, dtype=float), 4)[:n]
    return pa.table(
        {
            "t": t,
            "x": rng.normal(0, 1e4, n),
            "y": rng.normal(0, 1e4, n),
            "z": rng.uniform(0, 1e4, n),
            "sx": np.full(n, 50.0),
            "sy": np.full(n, 60.0),
            "sz": np.full(n, 70.0),
            "truth_id": np.arange(n, dtype=np.int64) % 4,
        }
    )


def polar_table(n: int = 12) -> pa.Table:
    t = np.arange(n, dtype=float)
    return pa.table(
        {
            "t": t,
            "sensor_id": np.where(np.arange(n) % 2 == 0, 1, 2).astype(np.int64),
            "range": np.linspace(1e4, 2e4, n),
            "azimuth": np.linspace(-3.0, 6.0, n),
            "elevation": np.linspace(0.0, 0.5, n),
            "sigma_range": np.full(n, 30.0),
            "sigma_azimuth": np.full(n, 1e-3),
            "sigma_elevation": np.full(n, 2e-3),
        }
    )


def write(table: pa.Table, path: Path, row_group_size: int | None = None) -> Path:
    if path.name.endswith(".csv") or path.name.endswith(".csv.gz"):
        if path.name.endswith(".gz"):
            with pa.CompressedOutputStream(str(path), "gzip") as out:
                pacsv.write_csv(table, out)
        else:
            pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path, row_group_size=row_group_size)
    return path


def assert_same(a: Measurements, b: Measurements) -> None:
    assert len(a) == len(b)
    for f in fields(Measurements):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


def with_column(table: pa.Table, name: str, values: object) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values))


def updates(n: int, t0: float = 0.0, seed: int = 0) -> TrackUpdates:
    rng = np.random.default_rng(seed)
    return TrackUpdates(
        t=t0 + np.arange(n) * 0.5,
        track_id=np.arange(n) % 5 + 1,
        x=rng.normal(size=n),
        y=rng.normal(size=n),
        z=rng.normal(size=n),
        vx=rng.normal(size=n),
        vy=rng.normal(size=n),
        vz=rng.normal(size=n),
        status=np.arange(n) % 3,
        sx=np.full(n, 10.0),
        sy=np.full(n, 11.0),
        sz=np.full(n, 12.0),
        quality=rng.uniform(size=n),
        truth_id=np.arange(n) % 4 - 1,
    )


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["det.parquet", "det.pq", "det.csv", "det.csv.gz"])
def test_cartesian_round_trip(tmp_path: Path, name: str) -> None:
    table = cartesian_table()
    m = read_detections(write(table, tmp_path / name))
    assert len(m) == table.num_rows
    assert not m.polar.any()
    for col in ("t", "x", "y", "z", "sx", "sy", "sz"):
        np.testing.assert_array_equal(getattr(m, col), table[col].to_numpy(), err_msg=col)
    np.testing.assert_array_equal(m.truth_id, table["truth_id"].to_numpy())
    assert (m.sensor_id == -1).all()
    assert np.isnan(m.range_m).all()


def test_csv_and_parquet_read_the_same(tmp_path: Path) -> None:
    table = cartesian_table(200)
    a = read_detections(write(table, tmp_path / "d.parquet"))
    b = read_detections(write(table, tmp_path / "d.csv"))
    assert_same(a, b)


@pytest.mark.parametrize("name", ["pol.parquet", "pol.csv"])
def test_polar_round_trip(tmp_path: Path, name: str) -> None:
    table = polar_table()
    m = read_detections(write(table, tmp_path / name), sensors=[1, 2])
    assert m.polar.all()
    np.testing.assert_array_equal(m.sensor_id, table["sensor_id"].to_numpy())
    np.testing.assert_array_equal(m.range_m, table["range"].to_numpy())
    np.testing.assert_array_equal(m.azimuth_rad, table["azimuth"].to_numpy())
    np.testing.assert_array_equal(m.elevation_rad, table["elevation"].to_numpy())
    np.testing.assert_array_equal(m.sigma_range_m, table["sigma_range"].to_numpy())
    np.testing.assert_array_equal(m.sigma_azimuth_rad, table["sigma_azimuth"].to_numpy())
    np.testing.assert_array_equal(m.sigma_elevation_rad, table["sigma_elevation"].to_numpy())
    assert (m.truth_id == -1).all()
    assert np.isnan(m.x).all()


def test_optional_ids_empty_means_unknown(tmp_path: Path) -> None:
    """Empty truth_id / sensor_id cells (CSV) and nulls (Parquet) read as -1."""
    table = cartesian_table(8)
    table = with_column(table, "truth_id", [0, None, 2, None, 4, 5, 6, 7])
    table = table.append_column("sensor_id", pa.array([3, 3, None, 3, 3, 3, 3, 3]))
    for name in ("d.csv", "d.parquet"):
        m = read_detections(write(table, tmp_path / name))
        assert m.truth_id.tolist() == [0, -1, 2, -1, 4, 5, 6, 7]
        assert m.sensor_id.tolist() == [3, 3, -1, 3, 3, 3, 3, 3]


def test_float_ids_with_whole_values_are_accepted(tmp_path: Path) -> None:
    """A pandas-style float truth_id column (NaN for unknown) reads as integers."""
    table = with_column(cartesian_table(4), "truth_id", [1.0, float("nan"), 3.0, 2.0])
    m = read_detections(write(table, tmp_path / "d.parquet"))
    assert m.truth_id.tolist() == [1, -1, 3, 2]


@pytest.mark.parametrize("name", ["d.parquet", "d.csv"])
@pytest.mark.parametrize("chunk_rows", [1, 3, 4, 7, 64, 1000])
def test_chunked_reading_equals_whole_file(tmp_path: Path, name: str, chunk_rows: int) -> None:
    rng = np.random.default_rng(5)
    n = 500
    table = cartesian_table(n)
    # times with runs of equal values of random lengths
    t = np.cumsum(rng.integers(0, 2, n) * rng.uniform(0.1, 2.0, n))
    table = with_column(table, "t", t)
    path = write(table, tmp_path / name, row_group_size=37)
    whole = read_detections(path)
    with DetectionsReader(path, chunk_rows=chunk_rows) as reader:
        chunks = list(reader)
        assert reader.rows_read == n
        assert reader.fraction == pytest.approx(1.0)
    assert_same(Measurements.concat(chunks), whole)
    for a, b in itertools.pairwise(chunks):
        assert a.t[-1] < b.t[0]  # a time is never split across chunks
    for c in chunks[:-1]:
        assert len(c) >= 1
    if name.endswith(".parquet") and chunk_rows < 37:
        assert len(chunks) > 1


def test_one_time_is_never_split_even_if_longer_than_a_chunk(tmp_path: Path) -> None:
    table = with_column(cartesian_table(30), "t", [0.0] * 5 + [1.0] * 20 + [2.0] * 5)
    path = write(table, tmp_path / "d.parquet", row_group_size=4)
    with DetectionsReader(path, chunk_rows=4) as reader:
        sizes = [(float(c.t[0]), len(c)) for c in reader]
    assert sizes == [(0.0, 5), (1.0, 20), (2.0, 5)]


def test_reader_reports_kind_and_total(tmp_path: Path) -> None:
    with DetectionsReader(write(polar_table(), tmp_path / "p.parquet")) as reader:
        assert reader.kind == "polar"
        assert reader.total_rows == 12
        assert reader.fraction == 0.0
    with DetectionsReader(write(cartesian_table(), tmp_path / "c.csv")) as reader:
        assert reader.kind == "cartesian"
        assert reader.total_rows is None


# --- validation ---------------------------------------------------------------------------


def _cart(**changes: object) -> pa.Table:
    table = cartesian_table(8)
    for k, v in changes.items():
        table = with_column(table, k, v)
    return table


def _polar(**changes: object) -> pa.Table:
    table = polar_table(6)
    for k, v in changes.items():
        table = with_column(table, k, v)
    return table


nan, inf = float("nan"), float("inf")
BAD: dict[str, tuple[pa.Table, list[str]]] = {
    "missing cartesian column": (
        cartesian_table(4).drop_columns(["sz"]),
        ["sz: missing column", "Cartesian detections need t, x, y, z, sx, sy, sz", "polar"],
    ),
    "missing polar columns": (
        polar_table(4).drop_columns(["sigma_elevation", "elevation"]),
        ["elevation, sigma_elevation: missing columns for polar detections"],
    ),
    "no known columns": (
        pa.table({"time": [1.0], "east": [2.0]}),
        ["missing columns", "Cartesian detections need", "polar detections need"],
    ),
    "both forms": (
        pa.Table.from_pydict(
            {
                **cartesian_table(4).to_pydict(),
                **{k: v for k, v in polar_table(4).to_pydict().items() if k != "t"},
            }
        ),
        ["columns: has both Cartesian", "give one form"],
    ),
    "nan": (_cart(x=[0, 1, nan, 3, 4, 5, 6, 7]), ["x: NaN or empty at row 3"]),
    "null": (_cart(y=[0, 1, 2, None, 4, 5, 6, 7]), ["y: NaN or empty at row 4"]),
    "infinite": (_cart(z=[0, 1, 2, 3, 4, 5, 6, -inf]), ["z: infinite (-inf) at row 8"]),
    "nan time": (_cart(t=[0, 1, 2, 3, 4, 5, nan, 7]), ["t: NaN or empty at row 7"]),
    "zero sigma": (_cart(sy=[1, 1, 0.0, 1, 1, 1, 1, 1]), ["sy: must be > 0 (got 0 at row 3)"]),
    "negative sigma": (
        _cart(sx=[1, 1, 1, 1, -2.0, 1, 1, 1]),
        ["sx: must be > 0 (got -2 at row 5)"],
    ),
    "time backwards": (
        _cart(t=[0, 1, 2, 3, 2.5, 5, 6, 7]),
        ["t: goes backwards at row 5 (2.5 after 3", "time order"],
    ),
    "fractional truth id": (
        _cart(truth_id=[1, 2, 3, 1.5, 1, 1, 1, 1]),
        ["truth_id: not a whole number (1.5) at row 4"],
    ),
    "polar zero sigma": (
        _polar(sigma_azimuth=[1e-3, 1e-3, 0.0, 1e-3, 1e-3, 1e-3]),
        ["sigma_azimuth: must be > 0 (got 0 at row 3)"],
    ),
    "polar negative range": (
        _polar(range=[1e4, -1.0, 1e4, 1e4, 1e4, 1e4]),
        ["range: must be > 0 (got -1 at row 2)"],
    ),
    "elevation in degrees": (
        _polar(elevation=[0.1, 0.2, 45.0, 0.1, 0.1, 0.1]),
        ["elevation: 45 at row 3 is outside -pi/2..pi/2", "radians, not degrees"],
    ),
    "azimuth in degrees": (
        _polar(azimuth=[0.1, 270.0, 0.1, 0.1, 0.1, 0.1]),
        ["azimuth: 270 at row 2 is outside -2 pi..2 pi", "radians"],
    ),
    "unknown sensor": (
        _polar(sensor_id=[1, 2, 7, 1, 2, 1]),
        ["sensor_id: unknown sensor 7 at row 3 (the config's sensors: 1, 2)"],
    ),
    "missing sensor id": (
        _polar(sensor_id=[1, None, 1, 1, 2, 1]),
        ["sensor_id: NaN or empty at row 2"],
    ),
    # extreme but finite: past the bounds of tracking.measurements
    "angle sigma of 40 rad": (
        _polar(sigma_azimuth=[1e-3, 40.0, 1e-3, 1e-3, 1e-3, 1e-3]),
        ["sigma_azimuth: 40 at row 2 is outside 1e-06..1 (a standard deviation in radians"],
    ),
    "tiny angle sigma": (
        _polar(sigma_elevation=[1e-3, 1e-3, 1e-3, 1e-9, 1e-3, 1e-3]),
        ["sigma_elevation: 1e-09 at row 4 is outside 1e-06..1"],
    ),
    "huge range sigma": (
        _polar(sigma_range=[30, 30, 30, 30, 30, 1e7]),
        ["sigma_range: 1e+07 at row 6 is outside 0.001..1e+06 (a standard deviation in metres"],
    ),
    "range of 1e308": (
        _polar(range=[1e4, 1e4, 1e308, 1e4, 1e4, 1e4]),
        ["range: 1e+308 at row 3 is outside 0..1e+08 (metres)"],
    ),
    "coordinates of 1e308": (
        _cart(y=[0, 1, 2, 3, 1e308, 5, 6, 7]),
        ["y: 1e+308 at row 5 is outside -1e+08..1e+08 (ENU metres)"],
    ),
    "sigma of 1e300": (
        _cart(sz=[1, 1, 1, 1e300, 1, 1, 1, 1]),
        ["sz: 1e+300 at row 4 is outside 0.001..1e+06"],
    ),
    "time of 1e300": (
        _cart(t=[0, 1, 2, 3, 4, 5, 6, 1e300]),
        ["t: 1e+300 at row 8 is outside -1e+10..1e+10 (seconds)"],
    ),
    "truth id of 1e300": (
        _cart(truth_id=[1, 2, 3, 1e300, 1, 1, 1, 1]),
        ["truth_id: 1e+300 at row 4 is out of range (ids are whole numbers from -2^53 to 2^53)"],
    ),
    "truth id past 2^53": (
        _cart(truth_id=[1, 2, 3, 1, 1, 2.0**60, 1, 1]),
        ["truth_id: 1.15292e+18 at row 6 is out of range"],
    ),
}


def test_ids_within_2_53_are_exact_and_int64_min_is_refused(tmp_path: Path) -> None:
    """A truth id of 1e300 became INT64_MIN (-9223372036854775808) on the cast to int64;
    ids of magnitude up to 2^53 come through exactly, in CSV and Parquet alike."""
    ids = [2**53, -(2**53), 0, -1, 7, 2**40, 3, 4]
    for name in ("ok.csv", "ok.parquet"):
        path = write(with_column(cartesian_table(8), "truth_id", ids), tmp_path / name)
        assert read_detections(path).truth_id.tolist() == ids
    table = with_column(cartesian_table(8), "truth_id", pa.array([1, 2, -(2**63)] + [0] * 5))
    path = write(table, tmp_path / "min.parquet")
    with pytest.raises(DetectionsError, match=r"truth_id: -9.22337e\+18 at row 3 is out of"):
        read_detections(path)
    table = with_column(cartesian_table(8), "truth_id", pa.array([2**64 - 1] * 8, pa.uint64()))
    with pytest.raises(DetectionsError, match=r"truth_id: 1.84467e\+19 at row 1 is out of range"):
        read_detections(write(table, tmp_path / "u64.parquet"))


@pytest.mark.parametrize("name", ["twice.csv", "twice.parquet", "twice-truth.csv"])
def test_a_column_given_twice_is_refused(tmp_path: Path, name: str) -> None:
    """Which of two x columns is the position? Neither: the file is refused, whatever reads
    it (detections, truth)."""
    table = cartesian_table(4)
    table = pa.Table.from_arrays([*table.columns, table["x"]], names=[*table.schema.names, "x"])
    path = write(table, tmp_path / name)
    read = read_truth if "truth" in name else read_detections
    with pytest.raises(DetectionsError, match=r": x: column given twice \(give each column once"):
        read(path)


def test_values_at_the_bounds_are_read(tmp_path: Path) -> None:
    pol = polar_table(6).to_pydict()
    pol.update(range=[1e8, 1e-3, 1, 2, 3, 4], sigma_range=[1e-3, 1e6, 1, 1, 1, 1])
    pol.update(sigma_azimuth=[1e-6, 1.0] + [1e-3] * 4, sigma_elevation=[1.0, 1e-6] + [1e-3] * 4)
    m = read_detections(write(pa.table(pol), tmp_path / "p.csv"), sensors=[1, 2])
    assert m.range_m[0] == 1e8 and m.sigma_azimuth_rad[1] == 1.0
    cart = _cart(t=[-1e10, 0, 1, 2, 3, 4, 5, 1e10], x=[1e8, -1e8, 0, 0, 0, 0, 0, 0])
    cart = with_column(cart, "sx", [1e-3, 1e6, 1, 1, 1, 1, 1, 1])
    m = read_detections(write(cart, tmp_path / "c.parquet"))
    assert m.t[-1] == 1e10 and m.x[1] == -1e8 and m.sx[1] == 1e6


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_detections_name_file_and_column(tmp_path: Path, case: str, suffix: str) -> None:
    table, expected = BAD[case]
    path = write(table, tmp_path / f"bad-{case.replace(' ', '_')}{suffix}")
    with pytest.raises(DetectionsError) as err:
        read_detections(path, sensors=[1, 2])
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    for part in expected:
        if suffix == ".csv":  # CSV rows also say the line, the header counted
            part = re.sub(r"at row (\d+)", lambda m: f"{m[0]}, line {int(m[1]) + 1}", part)
        assert part in text, text


def test_time_backwards_across_batches_names_the_row(tmp_path: Path) -> None:
    t = np.arange(100, dtype=float)
    t[70] = 10.0
    path = write(with_column(cartesian_table(100), "t", t), tmp_path / "d.parquet", 16)
    with pytest.raises(DetectionsError, match=r"t: goes backwards at row 71 \(10 after 69"):
        read_detections(path)


def test_polar_without_config_says_how_to_place_sensors(tmp_path: Path) -> None:
    path = write(polar_table(), tmp_path / "p.csv")
    with pytest.raises(DetectionsError) as err:
        read_detections(path, sensors=[])
    assert "sensor_id: unknown sensor 1 at row 1" in str(err.value)
    assert "config places no sensors" in str(err.value)


def test_csv_text_in_a_number_column(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("t,x,y,z,sx,sy,sz\n0,1,2,3,1,1,1\n1,1,abc,3,1,1,1\n")
    with pytest.raises(DetectionsError, match=r"d\.csv: y: not a number: 'abc'"):
        read_detections(path)


def test_parquet_text_column(tmp_path: Path) -> None:
    table = with_column(cartesian_table(4), "sz", ["1", "2", "3", "4"])
    path = write(table, tmp_path / "d.parquet")
    with pytest.raises(DetectionsError, match=r"d\.parquet: sz: must hold numbers \(the file"):
        read_detections(path)


def test_ragged_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("t,x,y,z,sx,sy,sz\n0,1,2,3,1,1,1\n1,1,3,1\n")
    with pytest.raises(DetectionsError, match=r"d\.csv: not a readable CSV file \(CSV parse"):
        read_detections(path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(DetectionsError, match=rf"{name}: empty file"):
        read_detections(path)


def test_header_only_csv_and_rowless_parquet(tmp_path: Path) -> None:
    csv = tmp_path / "h.csv"
    csv.write_text("t,x,y,z,sx,sy,sz\n")
    with pytest.raises(DetectionsError, match=r"h\.csv: no rows"):
        read_detections(csv)
    par = write(cartesian_table(4).slice(0, 0), tmp_path / "h.parquet")
    with pytest.raises(DetectionsError, match=r"h\.parquet: no rows"):
        read_detections(par)


def test_corrupt_and_truncated_parquet(tmp_path: Path) -> None:
    junk = tmp_path / "junk.parquet"
    junk.write_text("t,x,y,z\n1,2,3,4\n")
    with pytest.raises(DetectionsError, match=r"junk\.parquet: not a readable Parquet file"):
        read_detections(junk)
    good = write(cartesian_table(400), tmp_path / "good.parquet")
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DetectionsError, match=r"cut\.parquet: not a readable Parquet file"):
        read_detections(cut)


def test_neither_parquet_nor_csv(tmp_path: Path) -> None:
    path = tmp_path / "det.json"
    path.write_text("{}")
    with pytest.raises(DetectionsError) as err:
        read_detections(path)
    assert str(err.value) == (
        f"{path}: unknown file type '.json' (allowed: .parquet, .pq, .csv, .csv.gz, .ast, .asterix)"
    )


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DetectionsError, match=r"nope\.csv: no such file"):
        read_detections(tmp_path / "nope.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DetectionsError, match=r"dir\.csv: is a directory"):
        read_detections(tmp_path / "dir.csv")


# --- truth and tracks ---------------------------------------------------------------------


def test_truth_round_trip_sorted_by_time(tmp_path: Path) -> None:
    table = pa.table(
        {
            "truth_id": [1, 1, 2, 2],
            "t": [0.0, 1.0, 0.0, 1.0],
            "x": [1.0, 2.0, 3.0, 4.0],
            "y": [0.0] * 4,
            "z": [5.0] * 4,
        }
    )
    for name in ("truth.csv", "truth.parquet"):
        truth = read_truth(write(table, tmp_path / name))
        assert truth.t.tolist() == [0.0, 0.0, 1.0, 1.0]
        assert truth.truth_id.tolist() == [1, 2, 1, 2]
        assert truth.x.tolist() == [1.0, 3.0, 2.0, 4.0]
        assert truth.vx is None


def test_truth_errors(tmp_path: Path) -> None:
    base = {"t": [0.0, 1.0], "truth_id": [1, 1], "x": [0.0, 1.0], "y": [0.0, 0.0], "z": [1, 1]}
    path = write(pa.table({k: v for k, v in base.items() if k != "y"}), tmp_path / "tr.csv")
    with pytest.raises(DetectionsError, match=r"tr\.csv: y: missing column \(truth positions"):
        read_truth(path)
    path = write(pa.table({**base, "z": [1.0, nan]}), tmp_path / "tr.parquet")
    with pytest.raises(DetectionsError, match=r"tr\.parquet: z: NaN or empty at row 2"):
        read_truth(path)
    path = write(pa.table({**base, "vx": [1.0, 1.0]}), tmp_path / "v.parquet")
    with pytest.raises(DetectionsError, match=r"v\.parquet: vy, vz: missing column"):
        read_truth(path)


def test_track_writer_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "tracks.parquet"
    parts = [updates(7, 0.0, 1), TrackUpdates.empty(), updates(30, 10.0, 2)]
    with TrackWriter(out, row_group_rows=8) as writer:
        for p in parts:
            writer.write(p)
        assert not out.exists()
    assert out.exists()
    assert writer.rows == 37
    assert writer.tracks == 5
    table = pq.read_table(out)
    assert table.schema.names == [
        "t", "track_id", "x", "y", "z", "vx", "vy", "vz", "status",
        "sx", "sy", "sz", "quality", "truth_id",
    ]  # fmt: skip
    assert set(table["status"].to_pylist()) == set(STATUS_NAMES)
    back = read_tracks(out)
    whole = TrackUpdates.concat(parts)
    for f in fields(TrackUpdates):
        np.testing.assert_array_equal(getattr(back, f.name), getattr(whole, f.name), f.name)
    meta = pq.ParquetFile(out).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [8, 8, 8, 8, 5]
    assert [x for x in tmp_path.iterdir()] == [out]


def test_track_writer_counts_confirmed_tracks(tmp_path: Path) -> None:
    u = updates(12)
    u = TrackUpdates(**{**{f.name: getattr(u, f.name) for f in fields(u)}, "status": [0] * 12})
    u.status[[2, 7]] = CONFIRMED  # tracks 3 and 3 (ids cycle 1..5)
    u.status[[4]] = CONFIRMED  # track 5
    with TrackWriter(tmp_path / "t.parquet") as writer:
        writer.write(u)
    assert writer.confirmed_tracks == 2


def test_track_writer_empty_output_has_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "none.parquet"
    with TrackWriter(out):
        pass
    table = pq.read_table(out)
    assert table.num_rows == 0
    assert table.schema.names == TRACK_SCHEMA.names


def test_track_writer_is_atomic_on_error(tmp_path: Path) -> None:
    out = tmp_path / "tracks.parquet"
    with pytest.raises(RuntimeError, match="boom"), TrackWriter(out, row_group_rows=4) as writer:
        writer.write(updates(50))  # several row groups already on disk
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("column", ["x", "vz", "sy", "quality", "t"])
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_track_writer_refuses_non_finite_numbers(tmp_path: Path, column: str, value: float) -> None:
    """Infinite or NaN sigmas were written out; now the run stops, nothing written."""
    u = updates(20)
    bad = getattr(u, column).copy()
    bad[13] = value
    u = TrackUpdates(**{**{f.name: getattr(u, f.name) for f in fields(u)}, column: bad})
    out = tmp_path / "tracks.parquet"
    with pytest.raises(DetectionsError) as err, TrackWriter(out, row_group_rows=4) as writer:
        writer.write(updates(9))
        writer.write(u)
    text = str(err.value)
    assert text.startswith(f"{out}: {column}: the tracker computed {value} for track ")
    assert "\n" not in text and "finite" in text
    assert list(tmp_path.iterdir()) == []


def test_track_writer_abort_keeps_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "tracks.parquet"
    out.write_bytes(b"old")
    writer = TrackWriter(out, force=True)
    writer.write(updates(10))
    writer.abort()
    assert out.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [out]
    with TrackWriter(out, force=True) as w2:
        w2.write(updates(3))
    assert pq.read_table(out).num_rows == 3


def test_output_checks(tmp_path: Path) -> None:
    existing = tmp_path / "x.parquet"
    existing.write_bytes(b"keep")
    with pytest.raises(DetectionsError, match=r"x\.parquet: already exists \(use --force"):
        TrackWriter(existing)
    assert existing.read_bytes() == b"keep"
    check_output(existing, force=True)
    with pytest.raises(DetectionsError, match=r"t\.csv: tracks are written as Parquet"):
        check_output(tmp_path / "t.csv")
    with pytest.raises(DetectionsError, match=r"does not exist"):
        check_output(tmp_path / "no" / "t.parquet")
    (tmp_path / "d.parquet").mkdir()
    with pytest.raises(DetectionsError, match=r"d\.parquet: is a directory"):
        check_output(tmp_path / "d.parquet", force=True)


def test_read_tracks_status_codes_and_errors(tmp_path: Path) -> None:
    base = {
        "t": [0.0, 1.0, 2.0],
        "track_id": [1, 1, 1],
        **{c: [0.0, 1.0, 2.0] for c in ("x", "y", "z", "vx", "vy", "vz")},
    }
    codes = read_tracks(write(pa.table({**base, "status": [0, 1, 2]}), tmp_path / "c.csv"))
    assert codes.status.tolist() == [0, 1, 2]
    assert codes.truth_id.tolist() == [-1, -1, -1]
    assert np.isnan(codes.quality).all()
    names = pa.table({**base, "status": ["tentative", "confirmed", "coasting"]})
    assert read_tracks(write(names, tmp_path / "n.csv")).status.tolist() == [0, 1, 2]
    bad = pa.table({**base, "status": ["tentative", "lost", "coasting"]})
    with pytest.raises(DetectionsError) as err:
        read_tracks(write(bad, tmp_path / "b.parquet"))
    assert str(err.value) == (
        f"{tmp_path / 'b.parquet'}: status: unknown status 'lost' at row 2 "
        "(allowed: tentative, confirmed, coasting)"
    )
    with pytest.raises(DetectionsError, match=r"m\.csv: status: missing column \(tracks need"):
        read_tracks(write(pa.table(base), tmp_path / "m.csv"))
