"""Detect-stage kernels: cell merging without key aliasing, the trig-free line of sight
near the horizon, and the object-major truth copy."""

import numpy as np
from sensors_helpers import FRAME, line_truth, preset, radar
from test_sensors_look_kernel import reference_looks

from airdefense.geo import EARTH_MEAN_RADIUS_M, K_STANDARD
from airdefense.sensors import _kernels as _k


def _merge(rad, sweep, r, az, el, snr, tid):
    """merge_kernel on hand-made visible looks (all detected: Pd 1)."""
    m = len(sweep)
    r = np.asarray(r, dtype=np.float64)
    vis_f = np.zeros((7, m))
    vis_f[0] = np.arange(m, dtype=np.float64)
    vis_f[1] = r * np.cos(el) * np.sin(az)
    vis_f[2] = r * np.cos(el) * np.cos(az)
    vis_f[3] = r * np.sin(el)
    vis_f[4] = r
    vis_f[5] = snr
    vis_f[6] = 1.0
    vis_i = np.stack([np.asarray(sweep), np.asarray(tid)]).astype(np.int64)
    out_f = np.empty((5, m))
    out_i = np.empty((2, m), dtype=np.int64)
    k = _k.merge_kernel(vis_f, vis_i, m, np.zeros(m), rad._plot_params(), out_f, out_i)
    return out_i[:, :k]


def test_same_cell_merged_only_within_one_scan() -> None:
    rad = radar(preset(min_range_km=60.0, max_range_km=450.0))
    res = rad.preset.range_resolution_m
    az, el = np.full(2, 0.3), np.full(2, 0.02)
    # same range bin, beam and scan: one plot, the stronger target
    got = _merge(rad, [4, 4], [100e3 + 10.0, 100e3 + 20.0], az, el, [20.0, 30.0], [7, 8])
    assert got.tolist() == [[4], [8]]
    # same range bin and beam, consecutive scans: two plots
    got = _merge(rad, [4, 5], [100e3 + 10.0, 100e3 + 20.0], az, el, [20.0, 30.0], [7, 8])
    assert got.tolist() == [[4, 5], [7, 8]]
    # a far bin of one scan and a near bin of the next that a packed key counting range bins
    # from 0 m with (range cells + 2) per scan would have put in the same cell
    stride = rad.n_range_cells + 2
    r = [(stride + 5) * res + 1.0, 5 * res + 1.0]
    got = _merge(rad, [0, 1], r, az, el, [20.0, 30.0], [7, 8])
    assert got.tolist() == [[0, 1], [7, 8]]


def test_line_of_sight_near_the_horizon_matches_reference() -> None:
    # targets within metres (and millimetres) of the 4/3-Earth horizon: the series test
    # decides far from it, the exact test in the band; both must agree with geo.line_of_sight
    rad = radar(preset(min_elevation_deg=-5.0))
    rng = np.random.default_rng(5)
    n = 3000
    d = rng.uniform(20e3, 440e3, n)
    re = K_STANDARD * EARTH_MEAN_RADIUS_M
    d_a = np.sqrt(2.0 * re * rad.antenna_height_m)
    h = np.where(d > d_a, (d - d_a) ** 2 / (2.0 * re), 0.0)
    off = np.where(rng.random(n) < 0.5, rng.uniform(-2.0, 2.0, n), rng.uniform(-2e-3, 2e-3, n))
    ang = rng.uniform(0.0, 2.0 * np.pi, n)
    p0 = np.stack(
        [
            FRAME.map_to_enu(float(np.sin(a) * g), float(np.cos(a) * g), float(hh + o))
            for a, g, hh, o in zip(ang, d, h, off, strict=True)
        ]
    )
    truth = line_truth(p0, np.zeros((n, 3)), 6.0, rcs_m2=10.0)
    ids = np.flatnonzero(truth.alive_between(0.0, 5.0))
    n_looks, n_vis, _, vis_i = rad._looks(0.0, 5.0, truth, ids)
    ref_looks, _, ref_i = reference_looks(rad, 0.0, 5.0, truth)
    assert n_looks == ref_looks
    assert 0 < n_vis < n_looks
    assert np.array_equal(vis_i[:, :n_vis], ref_i)


def test_object_major_copy() -> None:
    rng = np.random.default_rng(1)
    truth = line_truth(rng.uniform(-1e5, 1e5, (7, 3)), rng.uniform(-300, 300, (7, 3)), 9.0)
    om = truth.object_major
    assert om.shape == (7, truth.t.shape[0], 8)
    assert om.ctypes.data % 64 == 0
    assert np.array_equal(om[:, :, 0:3], truth.pos.transpose(1, 0, 2))
    assert np.array_equal(om[:, :, 3:6], truth.vel.transpose(1, 0, 2))
    assert np.array_equal(om[:, :, 6], truth.height.T)
    assert truth.object_major is om  # built once per Truth
