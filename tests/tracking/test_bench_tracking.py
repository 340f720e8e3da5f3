"""Smoke test of the tracking benchmarks (bench/): they run at tiny sizes, so they cannot rot.

No timing is asserted; only that the tables have their rows and the GOSPA values are finite.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _tracking_data  # noqa: E402
import tracking_scale  # noqa: E402
import tracking_vs_stonesoup  # noqa: E402


def test_scene_is_reproducible_and_consistent() -> None:
    a = _tracking_data.make_scenario(5, 4, 10.0, 2.0, seed=3)
    b = _tracking_data.make_scenario(5, 4, 10.0, 2.0, seed=3)
    assert a.n_scans == 4
    for i in range(4):
        np.testing.assert_array_equal(a.det_xyz[i], b.det_xyz[i])
        assert a.det_xyz[i].shape == (a.det_truth_id[i].shape[0], 3)
        assert a.truth_xyz[i].shape == (5, 3)
        assert set(a.det_truth_id[i].tolist()) <= {-1, 0, 1, 2, 3, 4}
    births = list(_tracking_data.iter_scans(20, 30, 10.0, 1.0, seed=1, mean_life_s=60.0))
    ids = np.concatenate([s.truth_id for s in births])
    assert ids.max() >= 20  # targets were born
    assert births[-1].truth_id.min() > 0  # and the first ones died


def test_vs_stonesoup_runs(capsys: pytest.CaptureFixture[str]) -> None:
    short = ["--stonesoup-short-above", "6", "--stonesoup-short-scans", "5"]
    rows = tracking_vs_stonesoup.main(["--targets", "5,8", "--scans", "6", "--warmup", "3", *short])
    out = capsys.readouterr().out
    assert [r["targets"] for r in rows] == [5, 8]
    assert [r["ss_scans"] for r in rows] == [6, 5]
    for r in rows:
        for key in ("ss_distance", "ours_distance", "ss_s", "ours_s"):
            assert math.isfinite(r[key]), key
    table = [ln for ln in out.splitlines() if ln.startswith("| ")]
    assert table[0].startswith("| targets | scans | clutter/scan | Stone Soup s/scan")
    assert any(ln.startswith("| 5 | 6 |") for ln in table)
    assert any(ln.startswith("| 8 | 6 (Stone Soup: 5) |") for ln in table)


def test_scale_runs(capsys: pytest.CaptureFixture[str]) -> None:
    res = tracking_scale.main(
        ["--targets", "5,10", "--scans", "6", "--warmup", "3", "--memory-scans", "6,12"]
    )
    out = capsys.readouterr().out
    assert [r["targets"] for r in res["timing"]] == [5, 10]
    assert all(math.isfinite(r["median_s"]) for r in res["timing"])
    assert [m["scans"] for m in res["memory"]] == [6, 12]
    assert all(m["run_peak_mb"] > 0 and m["rows"] > 0 for m in res["memory"])
    table = [ln for ln in out.splitlines() if ln.startswith("| ")]
    assert sum(ln.startswith(("| 5 |", "| 10 |")) for ln in table) == 2
    assert sum(" | 6 | " in ln or " | 12 | " in ln for ln in table) == 2
