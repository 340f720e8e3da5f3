"""Filters against textbook values and Stone Soup's independent implementation."""

from __future__ import annotations

import numpy as np
import pytest
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel,
    ConstantAcceleration,
    ConstantVelocity,
)
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.types.detection import Detection
from stonesoup.types.hypothesis import SingleHypothesis
from stonesoup.types.state import GaussianState
from stonesoup.updater.kalman import KalmanUpdater

from airdefense.tracking import filters

# Stone Soup orders a 3-D constant-velocity state (x, vx, y, vy, z, vz); ours (x, y, z, vx, vy, vz).
CV_PERM = np.array([0, 2, 4, 1, 3, 5])
CA_PERM = np.array([0, 3, 6, 1, 4, 7, 2, 5, 8])


def test_cv_transition_and_noise_equal_stone_soup() -> None:
    q, dt = 2.5, 3.0
    ss = CombinedLinearGaussianTransitionModel([ConstantVelocity(q)] * 3)
    model = filters.MotionModel("cv", q, 6)
    f = model.transition(np.array([dt]))[0]
    qq = model.noise(np.array([dt]))[0]
    np.testing.assert_allclose(f, ss.matrix(time_interval=_td(dt))[np.ix_(CV_PERM, CV_PERM)])
    np.testing.assert_allclose(qq, ss.covar(time_interval=_td(dt))[np.ix_(CV_PERM, CV_PERM)])


def test_singer_model_equals_stone_soup() -> None:
    from stonesoup.models.transition.linear import Singer

    tau, sigma = 20.0, 30.0
    q = 2 * sigma**2 / tau
    ss = CombinedLinearGaussianTransitionModel(
        [Singer(damping_coeff=1 / tau, noise_diff_coeff=q)] * 3
    )
    model = filters.MotionModel("singer", q, 9, tau)
    for dt in (0.5, 2.0, 10.0, 60.0):
        f = ss.matrix(time_interval=_td(dt))[np.ix_(CA_PERM, CA_PERM)]
        qq = ss.covar(time_interval=_td(dt))[np.ix_(CA_PERM, CA_PERM)]
        np.testing.assert_allclose(model.transition(np.array([dt]))[0], f, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(model.noise(np.array([dt]))[0], qq, rtol=1e-8, atol=1e-9)


def test_singer_acceleration_variance_is_bounded_by_sigma_m() -> None:
    """Singer 1970: the steady-state acceleration variance is sigma_m^2, however long the gap
    (the Wiener-acceleration model's grows without bound)."""
    tau, sigma = 10.0, 40.0
    model = filters.MotionModel("singer", 2 * sigma**2 / tau, 9, tau)
    q = model.noise(np.array([1e4]))[0]
    assert q[6, 6] == pytest.approx(sigma**2, rel=1e-9)


def test_ca_noise_equals_stone_soup_wiener_acceleration() -> None:
    q, dt = 40.0, 1.5
    ss = CombinedLinearGaussianTransitionModel([ConstantAcceleration(q)] * 3)
    model = filters.MotionModel("ca", q, 9)
    np.testing.assert_allclose(
        model.transition(np.array([dt]))[0],
        ss.matrix(time_interval=_td(dt))[np.ix_(CA_PERM, CA_PERM)],
    )
    np.testing.assert_allclose(
        model.noise(np.array([dt]))[0], ss.covar(time_interval=_td(dt))[np.ix_(CA_PERM, CA_PERM)]
    )


def _td(dt: float):
    import datetime

    return datetime.timedelta(seconds=dt)


def test_kalman_predict_update_equal_stone_soup() -> None:
    import datetime

    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 6))
    p = a @ a.T * 100 + np.eye(6) * 50
    x = rng.normal(0, 1000, 6)
    r = np.diag([30.0, 40.0, 50.0]) ** 2
    z = x[:3] + rng.normal(0, 100, 3)
    dt, q = 2.0, 3.0
    # ours
    xp, pp = filters.predict(
        (filters.MotionModel("cv", q, 6),), x[None, None], p[None, None], np.array([dt])
    )
    xu, pu, _, _s, _ = filters.update(xp, pp, z[None], r[None])
    # Stone Soup
    t0 = datetime.datetime(2026, 1, 1)
    trans = CombinedLinearGaussianTransitionModel([ConstantVelocity(q)] * 3)
    meas = LinearGaussian(ndim_state=6, mapping=(0, 2, 4), noise_covar=r)
    to_ss = np.argsort(CV_PERM)
    prior = GaussianState(x[to_ss], p[np.ix_(to_ss, to_ss)], timestamp=t0)
    pred = KalmanPredictor(trans).predict(prior, timestamp=t0 + _td(dt))
    det = Detection(z, timestamp=t0 + _td(dt), measurement_model=meas)
    post = KalmanUpdater(meas).update(SingleHypothesis(pred, det))
    back = CV_PERM
    np.testing.assert_allclose(xp[0, 0], np.asarray(pred.state_vector).ravel()[back], rtol=1e-12)
    np.testing.assert_allclose(xu[0, 0], np.asarray(post.state_vector).ravel()[back], rtol=1e-9)
    np.testing.assert_allclose(pu[0, 0], np.asarray(post.covar)[np.ix_(back, back)], rtol=1e-7)


def test_chi_square_gate_matches_the_published_table() -> None:
    # chi-square quantiles, 3 degrees of freedom (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.4)
    assert filters.chi2_gate(0.99, 3) == pytest.approx(11.345, abs=1e-3)
    assert filters.chi2_gate(0.95, 3) == pytest.approx(7.815, abs=1e-3)
    assert filters.chi2_gate(0.999, 3) == pytest.approx(16.266, abs=1e-3)


@pytest.mark.parametrize("dof", [1, 2, 3, 6])
def test_chi_square_gate_is_scipy_stats_to_the_last_bit(dof: int) -> None:
    from scipy.stats import chi2

    for p in (0.5001, 0.9, 0.95, 0.99, 0.9997, 0.999999):
        assert filters.chi2_gate(p, dof) == float(chi2.ppf(p, dof))


def test_converted_measurement_is_unbiased_and_its_covariance_consistent() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    r0, az0, el0 = 300e3, np.radians(40.0), np.radians(20.0)
    sr, sa, se = 50.0, np.radians(2.0), np.radians(2.0)
    truth = np.array(
        [r0 * np.cos(el0) * np.sin(az0), r0 * np.cos(el0) * np.cos(az0), r0 * np.sin(el0)]
    )
    rm = r0 + rng.normal(0, sr, n)
    am = az0 + rng.normal(0, sa, n)
    em = el0 + rng.normal(0, se, n)
    z, cov = filters.converted_measurement(rm, am, em, sr, sa, se)
    err = z - truth
    sem = err.std(axis=0) / np.sqrt(n)
    # unbiased to within Monte Carlo error ...
    assert np.all(np.abs(err.mean(axis=0)) < 4 * sem)
    # ... while the plain conversion is biased by r (1 - lambda^2) ~ 0.12% of range
    naive = np.stack(
        [rm * np.cos(em) * np.sin(am), rm * np.cos(em) * np.cos(am), rm * np.sin(em)], 1
    )
    assert np.abs((naive - truth).mean(axis=0)).max() > 10 * sem.max()
    # consistent: the normalised error squared averages the measurement dimension (3)
    nees = np.einsum("ki,kij,kj->k", err, np.linalg.inv(cov), err)
    assert nees.mean() == pytest.approx(3.0, rel=0.05)


def test_combine_is_the_moment_matched_mixture() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2, 6))
    a = rng.normal(size=(4, 2, 6, 6))
    p = a @ np.swapaxes(a, -1, -2)
    mu = rng.dirichlet([1, 1], size=4)
    xc, pc = filters.combine(x, p, mu)
    for k in range(4):
        mean = mu[k] @ x[k]
        cov = sum(mu[k, m] * (p[k, m] + np.outer(x[k, m] - mean, x[k, m] - mean)) for m in range(2))
        np.testing.assert_allclose(xc[k], mean)
        np.testing.assert_allclose(pc[k], cov)


def _fighter(g: float, dt: float = 0.1, duration: float = 120.0, v: float = 250.0):
    """A fighter at 250 m/s flying straight, then turns of 180, 180 and 90 degrees at g."""
    n = int(duration / dt) + 1
    t = np.arange(n) * dt
    w = g * 9.80665 / v
    rate = np.zeros(n)
    for start, turn, sign in ((20.0, np.pi, 1), (60.0, np.pi, -1), (95.0, 0.5 * np.pi, 1)):
        rate[(t >= start) & (t < start + turn / w)] = sign * w
    heading = np.cumsum(rate) * dt
    vel = np.stack([v * np.sin(heading), v * np.cos(heading), np.zeros(n)], axis=1)
    return t, np.cumsum(vel, axis=0) * dt + np.array([50e3, 50e3, 5e3])


def _filter_rmse(kind: str, q_cv: float, g: float, seed: int, revisit: float = 2.0) -> float:
    """Position RMSE of a filter fed every plot of one fighter (perfect association)."""
    rng = np.random.default_rng(seed)
    _t, pos = _fighter(g)
    step = round(revisit / 0.1)
    truth = pos[::step]
    sigma = 30.0
    zs = truth + rng.normal(0, sigma, truth.shape)
    models = filters.models_for(kind, q_cv)
    m, d = len(models), models[0].dim
    pi = np.array([[0.95, 0.05], [0.05, 0.95]]) if m == 2 else np.ones((1, 1))
    x = np.zeros((1, m, d))
    x[:, :, 0:3] = zs[0]
    p = np.zeros((1, m, d, d))
    p[:, :, 0:3, 0:3] = np.eye(3) * sigma**2
    p[:, :, 3:6, 3:6] = np.eye(3) * 300.0**2
    mu = np.array([[0.8, 0.2]]) if m == 2 else np.ones((1, 1))
    r = np.eye(3)[None] * sigma**2
    err = []
    for k in range(1, truth.shape[0]):
        x0, p0, c = filters.mix(x, p, mu, pi)
        xp, pp = filters.predict(models, x0, p0, np.array([revisit]))
        x, p, _, _, ll = filters.update(xp, pp, zs[k][None], r)
        mu = filters.model_posterior(c, ll)
        xc, _ = filters.combine(x, p, mu)
        if k >= 5:
            err.append(np.linalg.norm(xc[0, :3] - truth[k]))
    return float(np.sqrt(np.mean(np.square(err))))


@pytest.mark.parametrize("g", [5.0, 7.0, 9.0])
def test_imm_beats_the_best_tuned_constant_velocity_filter_on_hard_turns(g: float) -> None:
    """Bar-Shalom, Li, Kirubarajan 2001, section 11.7: the IMM is accurate both on straight
    legs and in turns, which no single constant-velocity filter is, whatever its noise."""
    imm = np.mean([_filter_rmse("imm", 1.0, g, s) for s in range(4)])
    for q in (1.0, 10.0, 100.0, 1000.0, 3000.0):
        cv = np.mean([_filter_rmse("cv", q, g, s) for s in range(4)])
        assert imm < cv, (g, q, imm, cv)
