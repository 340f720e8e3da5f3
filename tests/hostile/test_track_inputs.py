"""Hostile detections for ``airdefense track``: extreme but finite numbers (an angle sigma of
40 rad, coordinates of 1e308, a truth id of 1e300), infinite sigmas, a column given twice and
an ASTERIX file of garbage. A table (CSV, Parquet) with one row outside the accepted bounds is
refused in one line naming the file, the column, the row and what is allowed, exit 2, nothing
written; an ASTERIX file's unusable plots are skipped and counted instead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hostile_helpers import airdefense, assert_refused, listing

from airdefense.interop import asterix as ax

CONFIG = "sensors:\n  1: {east_m: 0, north_m: 0, up_m: 0}\n"
CART = "t,x,y,z,sx,sy,sz"
POLAR = "t,sensor_id,range,azimuth,elevation,sigma_range,sigma_azimuth,sigma_elevation"
GOOD_CART = "0,0,0,1000,50,50,50"
GOOD_POLAR = "0,1,10000,0.1,0.05,50,0.001,0.001"

# name: (header, second row (after a good one), what the line must say)
CASES: dict[str, tuple[str, str, str]] = {
    "sigma-azimuth-40-rad": (POLAR, "1,1,10000,0.1,0.05,50,40,0.001",
                             "sigma_azimuth: 40 at row 2, line 3 is outside 1e-06..1"),
    "sigma-elevation-4-rad": (POLAR, "1,1,10000,0.1,0.05,50,0.001,4",
                              "sigma_elevation: 4 at row 2, line 3 is outside 1e-06..1"),
    "sigma-range-1e300": (POLAR, "1,1,10000,0.1,0.05,1e300,0.001,0.001",
                          "sigma_range: 1e+300 at row 2, line 3 is outside 0.001..1e+06"),
    "sigma-range-infinite": (POLAR, "1,1,10000,0.1,0.05,inf,0.001,0.001",
                             "sigma_range: infinite (inf) at row 2, line 3"),
    "range-1e308": (POLAR, "1,1,1e308,0.1,0.05,50,0.001,0.001",
                    "range: 1e+308 at row 2, line 3 is outside 0..1e+08"),
    "x-1e308": (CART, "1,1e308,0,1000,50,50,50", "x: 1e+308 at row 2, line 3 is outside"),
    "z-minus-1e308": (CART, "1,0,0,-1e308,50,50,50", "z: -1e+308 at row 2, line 3 is outside"),
    "sx-infinite": (CART, "1,0,0,1000,-inf,50,50", "sx: infinite (-inf) at row 2, line 3"),
    "sy-nan": (CART, "1,0,0,1000,50,nan,50", "sy: NaN or empty at row 2, line 3"),
    "sz-1e-300": (CART, "1,0,0,1000,50,50,1e-300", "sz: 1e-300 at row 2, line 3 is outside"),
    "sx-1e300": (CART, "1,0,0,1000,1e300,50,50", "sx: 1e+300 at row 2, line 3 is outside"),
    "t-1e300": (CART, "1e300,0,0,1000,50,50,50", "t: 1e+300 at row 2, line 3 is outside"),
    "truth-id-1e300": (CART + ",truth_id", "1,0,0,1000,50,50,50,1e300",
                       "truth_id: 1e+300 at row 2, line 3 is out of range"),
    "truth-id-2e18": (CART + ",truth_id", "1,0,0,1000,50,50,50,2e18",
                      "truth_id: 2e+18 at row 2, line 3 is out of range"),
    "truth-id-half": (CART + ",truth_id", "1,0,0,1000,50,50,50,2.5",
                      "truth_id: not a whole number (2.5) at row 2, line 3"),
    "sensor-id-1e300": (CART + ",sensor_id", "1,0,0,1000,50,50,50,1e300",
                        "sensor_id: 1e+300 at row 2, line 3 is out of range"),
    "column-twice": (CART + ",x", "1,0,0,1000,50,50,50,5", "x: column given twice"),
}  # fmt: skip


def _table(workdir: Path, name: str) -> Path:
    header, row, _ = CASES[name]
    first = GOOD_POLAR if header == POLAR else GOOD_CART + ",0" * (header.count(",") - 6)
    path = workdir / f"{name}.csv"
    path.write_text(f"{header}\n{first}\n{row}\n")
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_an_extreme_value_is_one_line(workdir: Path, name: str) -> None:
    det = _table(workdir, name)
    (workdir / "tracker.yaml").write_text(CONFIG)
    before = listing(workdir)
    outcome = airdefense(
        "track", det.name, "--out", "tracks.parquet", "--config", "tracker.yaml", cwd=workdir
    )
    line = assert_refused(outcome, starts=f"error: {det.name}: ", contains=CASES[name][2])
    assert "(" in line  # says what is allowed
    assert listing(workdir) == before


def test_parquet_ids_past_2_53_and_int64_extremes_are_refused(workdir: Path) -> None:
    """A Parquet int64 truth id is exact, but ids are bounded alike in every format."""
    n = 3
    cols = {c: [0.0, 1.0, 2.0] if c == "t" else [50.0] * n for c in CART.split(",")}
    cols["truth_id"] = pa.array([1, -(2**63), 3], pa.int64())
    pq.write_table(pa.table(cols), workdir / "d.parquet")
    before = listing(workdir)
    outcome = airdefense("track", "d.parquet", "--out", "tracks.parquet", cwd=workdir)
    assert_refused(outcome, starts="error: d.parquet: truth_id: ", contains="at row 2 is out")
    assert listing(workdir) == before


def test_parquet_with_a_column_twice_is_refused(workdir: Path) -> None:
    arrays = [pa.array([0.0, 1.0])] * 8
    names = [*CART.split(","), "x"]
    pq.write_table(pa.Table.from_arrays(arrays, names=names), workdir / "twice.parquet")
    before = listing(workdir)
    outcome = airdefense("track", "twice.parquet", "--out", "tracks.parquet", cwd=workdir)
    assert_refused(outcome, starts="error: twice.parquet: x: ", contains="column given twice")
    assert listing(workdir) == before


def test_values_at_the_bounds_are_tracked_to_finite_numbers(workdir: Path) -> None:
    """The bounds are not only a refusal: everything inside them tracks without overflow."""
    rows = [f"{t},1e8,-1e8,1e8,0.001,1e6,0.001" for t in (-1e10, -1e10 + 1, 0, 1, 2, 1e10)]
    (workdir / "edge.csv").write_text(CART + "\n" + "\n".join(rows) + "\n")
    polar = [f"{t},1,1e8,{0.3 * t},0.1,1e6,1.0,1.0" for t in range(6)]
    (workdir / "edge-polar.csv").write_text(POLAR + "\n" + "\n".join(polar) + "\n")
    (workdir / "tracker.yaml").write_text(CONFIG)
    for name in ("edge.csv", "edge-polar.csv"):
        out = f"{name}.parquet"
        done = airdefense("track", name, "-o", out, "-c", "tracker.yaml", "-q", cwd=workdir)
        assert done.code == 0, done.err[-2000:]
        tab = pq.read_table(workdir / out)
        assert tab.num_rows == 6
        for col in ("t", "x", "y", "z", "vx", "vy", "vz", "sx", "sy", "sz", "quality"):
            assert pc.all(pc.is_finite(tab[col])).as_py(), (name, col)


def test_an_asterix_file_of_garbage_after_a_bad_header_is_one_line(workdir: Path) -> None:
    """4 MB of octets 0x30 after an impossible header: once 240 s of resynchronising (every
    octet began a candidate block of 12,336 octets that was walked in full); now linear, one
    line well within the time cap, nothing written."""
    (workdir / "garbage.ast").write_bytes(b"\x30\x00\x00" + b"\x30" * (4 << 20))
    (workdir / "tracker.yaml").write_text(CONFIG)
    before = listing(workdir)
    outcome = airdefense(
        "track", "garbage.ast", "-o", "tracks.parquet", "-c", "tracker.yaml", cwd=workdir,
        timeout=60,
    )  # fmt: skip
    assert_refused(outcome, starts="error: garbage.ast: ", contains="no CAT048 plots")
    assert listing(workdir) == before


def test_an_asterix_plot_with_a_sigma_of_40_rad_is_skipped_and_counted(workdir: Path) -> None:
    """The polar conversion of a plot whose SP field says sigma_azimuth = 40 rad divided by
    zero (a ZeroDivisionError, 28 of 2,000 mutated files): an ASTERIX file is a recording, so
    that plot is skipped and counted in one warning line and the rest is tracked."""
    n = 40
    t = np.arange(n, dtype=float)
    sigma_az = np.full(n, 5e-4)
    sigma_az[17] = 40.0
    enc = ax.encode_plots(
        t, np.ones(n, dtype=int), 20_000.0 + 100.0 * t, np.full(n, 0.5), height_m=np.full(n, 3e3),
        elevation_rad=np.full(n, 0.15), sigma_range_m=np.full(n, 20.0),
        sigma_azimuth_rad=sigma_az, sigma_elevation_rad=np.full(n, 5e-4),
    )  # fmt: skip
    (workdir / "plots.ast").write_bytes(enc.to_bytes())
    (workdir / "tracker.yaml").write_text(CONFIG)
    done = airdefense(
        "track", "plots.ast", "-o", "tracks.parquet", "-c", "tracker.yaml", "-q", cwd=workdir
    )
    assert done.code == 0, done.err[-2000:]
    assert "Traceback" not in done.err
    assert done.lines == [
        "warning: plots.ast: skipped 1 CAT048 records whose accuracies (SP field) are outside "
        "the bounds tracked (sigma of range 0.001..1e+06 m, of angles 1e-06..1 rad)"
    ]
    tab = pq.read_table(workdir / "tracks.parquet")
    assert tab.num_rows == n - 1
    assert pc.all(pc.is_finite(tab["sx"])).as_py()


# --- score: truth and tracks files ------------------------------------------------------------

TRUTH = "t,truth_id,x,y,z,vx,vy,vz"
TRACKS = "t,track_id,x,y,z,vx,vy,vz,status"
GOOD_TRUTH = ["0,1,0,0,1000,100,0,0", "1,1,100,0,1000,100,0,0"]
GOOD_TRACKS = ["0,7,0,0,1000,100,0,0,confirmed", "1,7,100,0,1000,100,0,0,confirmed"]

# name: (which file is bad, its bad row, what the line must say)
SCORE_CASES: dict[str, tuple[str, str, str]] = {
    "truth-x-1e308": ("truth", "2,1,1e308,0,1000,100,0,0", "x: 1e+308 at row 3, line 4 is outside"),
    "truth-t-1e300": ("truth", "1e300,1,0,0,1000,100,0,0", "t: 1e+300 at row 3, line 4 is outside"),
    "truth-vx-1e300": ("truth", "2,1,0,0,1000,1e300,0,0", "vx: 1e+300 at row 3, line 4 is outside"),
    "tracks-z-minus-1e308": ("tracks", "2,7,0,0,-1e308,100,0,0,confirmed",
                             "z: -1e+308 at row 3, line 4 is outside"),
    "tracks-vy-infinite": ("tracks", "2,7,0,0,1000,100,inf,0,confirmed",
                           "vy: infinite (inf) at row 3, line 4"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(SCORE_CASES))
def test_score_refuses_an_extreme_truth_or_track_in_one_line(workdir: Path, name: str) -> None:
    """``score`` reads a truth file and a tracks file: the same bounds as ``track``'s input,
    so no distance it computes overflows."""
    bad, row, says = SCORE_CASES[name]
    truth_rows = [*GOOD_TRUTH, row] if bad == "truth" else GOOD_TRUTH
    track_rows = [*GOOD_TRACKS, row] if bad == "tracks" else GOOD_TRACKS
    (workdir / "truth.csv").write_text("\n".join([TRUTH, *truth_rows]) + "\n")
    (workdir / "tracks.csv").write_text("\n".join([TRACKS, *track_rows]) + "\n")
    before = listing(workdir)
    outcome = airdefense("score", "tracks.csv", "--truth", "truth.csv", "--json", cwd=workdir)
    assert_refused(outcome, contains=f"{bad}.csv: {says}")
    assert listing(workdir) == before
