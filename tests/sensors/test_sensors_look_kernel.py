"""The compiled look kernel against a plain-numpy reference of the same look."""

import numpy as np
import pytest
from sensors_helpers import FRAME, line_truth, preset, radar

from airdefense.geo import EARTH_MEAN_RADIUS_M, line_of_sight
from airdefense.sensors.radar import TWO_PI


def interp_position(truth, times, obj):
    """Reference position (M, 3) and height (M,) of objects at times: the cubic Hermite of
    ``Truth.state_at`` (position only) in the evaluation order the look kernel uses.

    p(s) = p0 + s (a + s (3 dp - 2 a - b + s (a + b - 2 dp))), a = dt v0, b = dt v1,
    dp = p1 - p0; height linear. Times are clamped to the grid as in ``Truth.state_at``.
    """
    dt = truth.dt
    n_obj = truth.pos.shape[1]
    last = truth.t.shape[0] - 1
    u = (times - float(truth.t[0])) * (1.0 / dt)
    np.clip(u, 0.0, float(last), out=u)
    k = u.astype(np.int64)
    np.minimum(k, max(last - 1, 0), out=k)
    sv = u - k
    k1 = np.minimum(k + 1, last)
    i0 = k * n_obj + obj
    i1 = k1 * n_obj + obj
    pos = truth.pos.reshape(-1, 3)
    vel = truth.vel.reshape(-1, 3)
    p0 = pos.take(i0, axis=0)
    dp = pos.take(i1, axis=0)
    dp -= p0
    a = vel.take(i0, axis=0)
    a *= dt
    b = vel.take(i1, axis=0)
    b *= dt
    s = sv[:, None]
    c3 = a + b
    c3 -= 2.0 * dp
    c2 = 3.0 * dp
    c2 -= 2.0 * a
    c2 -= b
    c3 *= s
    c3 += c2
    c3 *= s
    c3 += a
    c3 *= s
    c3 += p0
    h = truth.height.reshape(-1)
    h0 = h.take(i0)
    height = h.take(i1)
    height -= h0
    height *= sv
    height += h0
    return c3, height


def ground_range(rad, r, h_t):
    """Great-circle ground range (m, mean-radius sphere) from slant range and heights."""
    ra = EARTH_MEAN_RADIUS_M + rad.antenna_height_m
    rb = EARTH_MEAN_RADIUS_M + h_t
    dh = rb - ra
    s2 = np.maximum(r * r - dh * dh, 0.0) / (4.0 * ra * rb)
    return (2.0 * EARTH_MEAN_RADIUS_M) * np.arcsin(np.sqrt(np.minimum(s2, 1.0)))


def reference_looks(rad, t0, t1, truth):
    """Plain-numpy look (the pre-kernel implementation): visible looks in look order."""
    ids = np.flatnonzero(truth.alive_between(t0, t1))
    period, f0, w = rad.period_s, rad.f0, rad.sector_width_rad
    start, end = truth.start_s[ids], truth.end_s[ids]
    n_first = int(np.floor(t0 / period + f0))
    n_last = int(np.ceil(t1 / period + f0)) - 1
    lo = np.maximum(np.floor(start / period + f0).astype(np.int64), n_first)
    hi = np.minimum(np.floor(end / period + f0).astype(np.int64), n_last)
    tg0, dt, last = float(truth.t[0]), truth.dt, truth.t.shape[0] - 1
    k_lo = np.clip(np.ceil((start - tg0) / dt - 1e-9), 0, last).astype(np.int64)
    k_hi = np.maximum(np.clip(np.floor((end - tg0) / dt + 1e-9), 0, last).astype(np.int64), k_lo)
    snr0 = rad.snr_constant_db + 10.0 * np.log10(truth.rcs_m2[ids])
    n = np.repeat(np.arange(n_first, n_last + 1), ids.size)
    j = np.tile(np.arange(ids.size), n_last + 1 - n_first)
    ok = (lo[j] <= n) & (n <= hi[j])
    n, j = n[ok], j[ok]
    obj = ids[j]
    t_ref = (n - f0) * period
    kref = np.clip(np.rint((t_ref - tg0) / dt).astype(np.int64), k_lo[j], k_hi[j])
    p = truth.pos[kref, obj] - rad.position_enu
    v = truth.vel[kref, obj]
    e, nn = p @ rad.rotation[0], p @ rad.rotation[1]
    ve, vn = v @ rad.rotation[0], v @ rad.rotation[1]
    adot = (nn * ve - e * vn) / np.maximum(e * e + nn * nn, 1.0)
    frac = ((np.arctan2(e, nn) - rad.sweep_start_rad) % TWO_PI) / w
    frac /= np.maximum(1.0 - adot * (period / w), 0.1)
    if rad.rotating:
        frac = np.minimum(frac, 1.0 - 1e-12)
    t_look = t_ref + frac * period
    keep = (t_look >= t0) & (t_look < t1) & (frac < 1.0) & (t_look >= start[j])
    keep &= t_look <= end[j]
    n_looks = int(keep.sum())
    n, j, obj, t_look = n[keep], j[keep], obj[keep], t_look[keep]
    pos, h_t = interp_position(truth, t_look, obj)
    loc = (pos - rad.position_enu) @ rad.rotation.T
    e, nn, u = loc[:, 0], loc[:, 1], loc[:, 2]
    r2 = e * e + nn * nn + u * u
    r = np.sqrt(r2)
    sin_el = u / np.maximum(r, 1e-9)
    vis = (r >= rad.min_range_m) & (r <= rad.max_range_m)
    vis &= (sin_el >= np.sin(rad.min_elevation_rad)) & (sin_el <= np.sin(rad.max_elevation_rad))
    vis &= line_of_sight(rad.antenna_height_m, h_t, ground_range(rad, r, h_t))
    if not rad.rotating:
        off = (np.arctan2(e, nn) - rad.boresight_rad + np.pi) % TWO_PI - np.pi
        vis &= np.abs(off) <= 0.5 * w
    snr_db = snr0[j] - 20.0 * np.log10(r2)
    sw = truth.swerling[obj]
    pd = np.zeros_like(snr_db)
    for val in np.unique(sw):
        mk = sw == val
        pd[mk] = rad.pd_table(int(val))(snr_db[mk])
    cols = np.stack([t_look, e, nn, u, r, snr_db, pd])[:, vis]
    return n_looks, cols, np.stack([n, obj])[:, vis]


def _random_truth(seed: int, n: int = 400):
    rng = np.random.default_rng(seed)
    rho = rng.uniform(1e3, 500e3, n)
    ang = rng.uniform(0.0, 2.0 * np.pi, n)
    p0 = np.stack([rho * np.sin(ang), rho * np.cos(ang), rng.uniform(-100.0, 30e3, n)], -1)
    v = rng.uniform(-900.0, 900.0, (n, 3))
    truth = line_truth(
        p0, v, 60.0, dt=0.5, rcs_m2=rng.uniform(0.01, 100.0, n), swerling=rng.integers(0, 5, n)
    )
    truth.start_s[:] = rng.uniform(-5.0, 30.0, n)
    truth.end_s[:] = truth.start_s + rng.uniform(0.0, 40.0, n)
    return truth


@pytest.mark.parametrize(
    ("seed", "kw", "boresight"),
    [
        (0, {}, 0.0),
        (1, {"scan_period_s": 4.0, "min_range_km": 30.0, "min_elevation_deg": 0.5}, 0.0),
        (2, {"scan": "sector", "sector_width_deg": 100.0, "scan_period_s": 3.0}, 4.0),
    ],
)
def test_look_kernel_matches_numpy_reference(seed, kw, boresight) -> None:
    rad = radar(preset(**kw), phase_rad=0.7, boresight_rad=boresight)
    truth = _random_truth(seed)
    for t0, t1 in [(0.0, 60.0), (3.3, 17.9)]:
        ids = np.flatnonzero(truth.alive_between(t0, t1))
        n_looks, n_vis, vis_f, vis_i = rad._looks(t0, t1, truth, ids)
        ref_looks, ref_f, ref_i = reference_looks(rad, t0, t1, truth)
        assert n_looks == ref_looks > 0
        assert n_vis == ref_f.shape[1] > 0
        assert np.array_equal(vis_i[:, :n_vis], ref_i)
        got = vis_f[:, :n_vis]
        scale = np.maximum(np.abs(ref_f), 1.0)
        assert np.all(np.abs(got - ref_f) <= 1e-9 * scale)


def _horizon_truth(seed: int, n: int = 600):
    """Low and fast objects straddling the radar horizon, some accelerating hard and
    climbing or diving: the cases where culling a look early on its reference state could
    go wrong if its bound were not conservative."""
    rng = np.random.default_rng(seed)
    rho = rng.uniform(20e3, 120e3, n)
    ang = rng.uniform(0.0, 2.0 * np.pi, n)
    h = rng.uniform(-50.0, 800.0, n)
    p0 = np.stack([rho * np.sin(ang), rho * np.cos(ang), h], -1)
    v = rng.uniform(-1500.0, 1500.0, (n, 3))
    v[:, 2] = rng.uniform(-150.0, 150.0, n)
    truth = line_truth(p0, v, 60.0, dt=0.5, swerling=rng.integers(0, 5, n))
    acc = rng.uniform(-80.0, 80.0, (n, 3)) * (rng.random(n) < 0.5)[:, None]
    t = truth.t[:, None, None]
    truth.pos[:] += 0.5 * acc[None] * t * t
    truth.vel[:] += acc[None] * t
    truth.height[:] = FRAME.height_m(truth.pos)
    return truth


@pytest.mark.parametrize("seed", [10, 11, 12])
@pytest.mark.parametrize("kw", [{}, {"scan_period_s": 6.0}, {"antenna_height_m": 200.0}])
def test_early_cull_drops_no_visible_look(seed, kw) -> None:
    rad = radar(preset(**kw), phase_rad=0.3)
    truth = _horizon_truth(seed)
    for t0, t1 in [(0.0, 60.0), (7.1, 23.4)]:
        ids = np.flatnonzero(truth.alive_between(t0, t1))
        n_looks, n_vis, _, vis_i = rad._looks(t0, t1, truth, ids)
        ref_looks, _, ref_i = reference_looks(rad, t0, t1, truth)
        assert n_looks == ref_looks > 0
        # some looks are hidden by the horizon, some are seen: both sides are exercised
        assert 0 < n_vis < n_looks
        assert np.array_equal(vis_i[:, :n_vis], ref_i)


def test_reference_interpolation_matches_truth_state_at() -> None:
    truth = _random_truth(3)
    rng = np.random.default_rng(0)
    times = rng.uniform(0.0, 60.0, 500)
    obj = rng.integers(0, truth.n, 500)
    p, _, h = truth.state_at(times, obj)
    p2, h2 = interp_position(truth, times.copy(), obj)
    assert np.allclose(p, p2, rtol=0, atol=1e-6) and np.allclose(h, h2, atol=1e-9)
