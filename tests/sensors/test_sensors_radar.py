"""The scanning radar: detection statistics, horizon, false alarms, cells, windows, noise."""

import numpy as np
import pytest
from sensors_helpers import FRAME, at_map, line_truth, preset, radar

from airdefense.sensors import Plots, angle_sigma_rad, range_sigma_m


def test_pd_half_range_detected_half_the_time() -> None:
    rad = radar()
    r50 = rad.detection_range_m(1.0, pd=0.5, swerling=1)
    el = np.radians(5.0)
    p0 = rad.position_enu + r50 * np.array([0.0, np.cos(el), np.sin(el)])
    truth = line_truth(p0, np.zeros(3), 2000.0, dt=10.0, rcs_m2=1.0, swerling=1)
    rng = np.random.default_rng(11)
    plots, looks = rad.scan_window(0.0, 2000.0, truth, rng, return_looks=True)
    assert looks == 2000
    hits = int(np.sum(plots.truth_id == 0))
    assert abs(hits - 1000) < 4.5 * np.sqrt(2000 * 0.25)


def test_horizon_low_flyer() -> None:
    rad = radar(preset(pfa=1e-9))
    # 50 m above the ellipsoid; horizon of a 20 m mast and a 50 m target ~ 47.6 km
    p = np.stack([at_map(0.0, 100e3, 50.0), at_map(0.0, 30e3, 50.0)])
    truth = line_truth(p, np.zeros((2, 3)), 100.0, rcs_m2=100.0)
    plots = rad.scan_window(0.0, 100.0, truth, np.random.default_rng(1))
    assert not np.any(plots.truth_id == 0)
    assert np.sum(plots.truth_id == 1) > 90
    _, pd, vis = rad.coverage(np.array([30e3, 100e3]), 50.0, 100.0)
    assert vis.tolist() == [True, False] and pd[1] == 0.0


def test_false_alarm_rate_and_field_of_view() -> None:
    p = preset(pfa=1e-5, scan="sector", sector_width_deg=90.0, max_range_km=100.0)
    rad = radar(p, boresight_rad=np.radians(45.0))
    truth = line_truth(np.array([1e6, 0.0, 0.0]), np.zeros(3), 10.0)
    truth.end_s[:] = -1.0  # no live objects
    rng = np.random.default_rng(5)
    scans = 200
    plots = rad.scan_window(0.0, scans * p.scan_period_s, truth, rng)
    expected = p.pfa * rad.cells_per_scan * scans
    assert np.all(plots.truth_id == -1)
    assert abs(len(plots) - expected) < 5.0 * np.sqrt(expected)
    assert np.all((plots.range_m >= p.min_range_km * 1e3) & (plots.range_m <= 100e3))
    off = (plots.azimuth_rad - np.radians(45.0) + np.pi) % (2 * np.pi) - np.pi
    assert np.all(np.abs(off) <= np.radians(45.0) + rad.az_beamwidth_rad)


def test_two_objects_in_one_cell_give_one_plot() -> None:
    rad = radar(preset(pfa=1e-9))
    p0 = at_map(0.0, 40e3, 3000.0)
    p1 = p0 + np.array([0.0, 20.0, 0.0])  # same range bin (150 m), beam and scan
    far = at_map(0.0, -40e3, 3000.0)
    truth = line_truth(
        np.stack([p0, p1, far]), np.zeros((3, 3)), 20.0, rcs_m2=np.array([5.0, 50.0, 5.0])
    )
    plots = rad.scan_window(0.0, 10.0, truth, np.random.default_rng(2))
    assert np.sum(plots.truth_id == 1) == 10  # the stronger one, every scan
    assert np.sum(plots.truth_id == 0) == 0
    assert np.sum(plots.truth_id == 2) == 10


def _moving_truth(n: int = 50):
    rng = np.random.default_rng(3)
    ang = rng.uniform(0, 2 * np.pi, n)
    rho = rng.uniform(15e3, 60e3, n)
    p0 = np.stack([rho * np.sin(ang), rho * np.cos(ang), rng.uniform(2e3, 8e3, n)], axis=-1)
    v = np.stack([rng.uniform(-400, 400, n), rng.uniform(-400, 400, n), np.zeros(n)], axis=-1)
    return line_truth(p0, v, 40.0, rcs_m2=100.0)


@pytest.mark.parametrize("scan", ["rotating", "sector"])
def test_consecutive_windows_give_the_same_looks(scan: str) -> None:
    kw = {"scan": scan, "sector_width_deg": 120.0} if scan == "sector" else {}
    rad = radar(preset(pfa=1e-12, scan_period_s=2.5, **kw), phase_rad=1.0)
    truth = _moving_truth()
    whole = rad.scan_window(0.0, 10.0, truth, np.random.default_rng(0))
    n_whole = rad.last_looks
    parts = []
    n_parts = 0
    for a in np.arange(0.0, 10.0, 0.7):
        parts.append(rad.scan_window(a, min(a + 0.7, 10.0), truth, np.random.default_rng(1)))
        n_parts += rad.last_looks
    split = Plots.concat(parts)
    assert n_whole == n_parts
    assert len(whole) == len(split) > 0
    assert np.array_equal(whole.t, split.t)
    assert np.array_equal(whole.truth_id, split.truth_id)
    assert np.array_equal(whole.scan, split.scan)


def test_one_look_per_object_per_scan_rotating() -> None:
    rad = radar(preset(pfa=1e-12, scan_period_s=2.0))
    truth = _moving_truth()
    plots = rad.scan_window(0.0, 30.0, truth, np.random.default_rng(0))
    assert rad.last_looks == truth.n * 15
    key = plots.scan * 1000 + plots.truth_id
    assert np.unique(key).size == key.size
    # the look is where the beam is: beam azimuth at t within a beamwidth of the target
    pos, _, _ = truth.state_at(plots.t, plots.truth_id)
    _, az, _ = FRAME.aer(rad.position_enu, pos)
    off = (rad.beam_azimuth_rad(plots.t) - az + np.pi) % (2 * np.pi) - np.pi
    assert np.max(np.abs(off)) < np.radians(1.0)


def test_sector_radar_sees_only_its_sector() -> None:
    p = preset(pfa=1e-12, scan="sector", sector_width_deg=60.0)
    rad = radar(p, boresight_rad=0.0)
    pos = np.stack([at_map(0.0, 30e3, 3e3), at_map(30e3, 0.0, 3e3)])  # north in, east out
    truth = line_truth(pos, np.zeros((2, 3)), 20.0, rcs_m2=100.0)
    plots = rad.scan_window(0.0, 20.0, truth, np.random.default_rng(0))
    assert set(plots.truth_id.tolist()) == {0}


def test_noise_sigma_decreases_with_snr_and_has_floor() -> None:
    snr = np.logspace(0, 6, 20)
    sr = range_sigma_m(snr, 150.0, 5.0)
    sa = angle_sigma_rad(snr, 0.02, 1e-4)
    assert np.all(np.diff(sr) < 0) and np.all(np.diff(sa) < 0)
    assert sr[-1] == pytest.approx(5.0, rel=0.01) and sa[-1] == pytest.approx(1e-4, rel=0.05)
    assert range_sigma_m(10.0, 150.0, 0.0) == pytest.approx(150.0 / np.sqrt(20.0))


def test_measurements_scatter_with_stated_sigmas() -> None:
    rad = radar(preset(pfa=1e-12, range_sigma_floor_m=0.0, angle_sigma_floor_deg=0.0))
    p0 = at_map(20e3, 150e3, 8e3)
    truth = line_truth(p0, np.zeros(3), 3000.0, dt=10.0, rcs_m2=3.0)
    plots = rad.scan_window(0.0, 3000.0, truth, np.random.default_rng(4))
    assert len(plots) > 1000
    r, az, el = FRAME.aer(rad.position_enu, truth.pos[0, 0])
    zr = (plots.range_m - r) / plots.sigma_range_m
    za = ((plots.azimuth_rad - az + np.pi) % (2 * np.pi) - np.pi) / plots.sigma_azimuth_rad
    ze = (plots.elevation_rad - el) / plots.sigma_elevation_rad
    for z in (zr, za, ze):
        assert abs(np.mean(z)) < 0.15 and 0.9 < np.std(z) < 1.1
    # the ENU point is the measured (range, azimuth, elevation) converted back
    back = FRAME.aer_to_enu(rad.position_enu, plots.range_m, plots.azimuth_rad, plots.elevation_rad)
    assert np.allclose(np.stack([plots.x, plots.y, plots.z], -1), back, atol=1e-3)


def test_determinism() -> None:
    rad = radar(preset(pfa=1e-5))
    truth = _moving_truth()
    a = rad.scan_window(0.0, 20.0, truth, np.random.default_rng(9))
    b = rad.scan_window(0.0, 20.0, truth, np.random.default_rng(9))
    for name in a.__dataclass_fields__:
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_coverage_and_detection_range_agree() -> None:
    rad = radar()
    r50 = rad.detection_range_m(0.02, pd=0.5, swerling=1)
    assert 50e3 < r50 < 250e3
    snr, pd, vis = rad.coverage(np.array([r50 * 0.5, r50, r50 * 1.5]), 15e3, 0.02)
    assert vis.all()
    assert np.all(np.diff(snr) < 0) and np.all(np.diff(pd) < 0)
    assert pd[1] == pytest.approx(0.5, abs=0.05)  # 15 km up: slant ~ ground range
    assert rad.detection_range_m(0.2, 0.5, 1) == pytest.approx(r50 * 10**0.25, rel=1e-6)


def test_plots_empty_and_concat() -> None:
    e = Plots.empty()
    assert len(e) == 0 and len(Plots.concat([e, e])) == 0
