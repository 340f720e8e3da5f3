"""Smoke test of bench/tracking_traffic.py at a tiny size (10 quickstart flights, 5 minutes).

No timing and no completeness target is asserted; only that the run goes through, the
coverage rule and the per-sample flags agree with ``metrics.evaluate`` and the table prints.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

needs_traffic = pytest.mark.skipif(
    importlib.util.find_spec("traffic") is None,
    reason="the ADS-B samples come with traffic: pip install --no-deps traffic==2.13",
)

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import tracking_traffic  # noqa: E402


def test_windows_cover_the_recording_once() -> None:
    w = tracking_traffic.windows(7300.0, 3600.0, 120.0)
    assert w == [(0.0, 3600.0, 0.0), (3480.0, 3720.0, 120.0), (7080.0, 220.0, 120.0)]
    scored = [(off + frm, off + dur) for off, dur, frm in w]
    assert scored == [(0.0, 3600.0), (3600.0, 7200.0), (7200.0, 7300.0)]


def test_recorded_acceleration_sees_a_jump() -> None:
    t = np.arange(200.0)
    pos = np.zeros((200, 1, 3))
    pos[:, 0, 0] = 200.0 * t
    pos[100:, 0, 1] = 500.0  # a 500 m jump in the record at t = 100 s
    a = tracking_traffic.recorded_acceleration(pos)[:, 0]
    assert a[:85].max() == 0.0 and a[85:].max() == pytest.approx(5.0)
    assert a[141:190].max() == 0.0


@needs_traffic
def test_bench_runs(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--collection", "quickstart", "--max-flights", "10", "--duration-s", "300"]
    rows = tracking_traffic.main([*argv, "--worst", "3"])
    out = capsys.readouterr().out
    (row,) = rows
    assert row["runs"] == 1
    assert 0 < row["in_coverage"] <= row["flights"] <= 10
    assert row["plots"] > 0 and row["confirmed_tracks"] > 0
    for key in ("completeness", "spuriousness", "position_m", "gospa_m", "tracking_s"):
        assert math.isfinite(row[key]), key
    assert 0.0 < row["completeness"] <= 1.0
    assert "initiation: flight not yet under a confirmed track" in out
    table = [ln for ln in out.splitlines() if ln.startswith("| ")]
    assert table[0].startswith("| collection | runs | flights | in coverage |")
    assert table[1].startswith("| quickstart | 1 |")


@needs_traffic
def test_flags_match_evaluate() -> None:
    cr = tracking_traffic.run_collection(
        "quickstart", 240.0, 3600.0, 120.0, 8, tracking_traffic.RADAR_PRESET, {}
    )
    assert (cr.flight_of[0] >= 0).all()  # every truth object found in the collection
    s = cr.samples[0]
    assert s.t.min() >= 0.0 and np.all(np.diff(s.t[s.obj == s.obj[0]]) > 0)
    row, sc, tracked = tracking_traffic.score(cr)
    evaluated = np.isin(s.t, sc.times)
    assert tracked[evaluated].mean() == pytest.approx(sc.completeness)
    assert row["completeness"] == sc.completeness
