"""The compiled kernels equal the numpy code they stand for: the fused pair kernel (predict,
then update), the motion matrices, IMM mixing, converted measurements and gate statistics."""

from __future__ import annotations

import numpy as np
import pytest

from airdefense.tracking import _kernels, _pairing, filters


@pytest.mark.parametrize("kind", ["cv", "imm"])
def test_fused_predict_update_equals_numpy_reference(kind: str) -> None:
    rng = np.random.default_rng(11)
    models = filters.models_for(kind, 3.0, 40.0, 15.0)
    m, d = len(models), models[0].dim
    k = 25
    a = rng.normal(size=(k, m, d, d))
    p = a @ np.swapaxes(a, -1, -2) * 100 + np.eye(d) * 10
    x = rng.normal(0, 1000, (k, m, d))
    dt = rng.uniform(-1.0, 12.0, k)
    z = x[:, 0, 0:3] + rng.normal(0, 300, (k, 3))
    b = rng.normal(size=(k, 3, 3))
    r = b @ np.swapaxes(b, -1, -2) * 400 + np.eye(3) * 100
    codes = {"cv": _kernels.CV, "ca": _kernels.CA, "singer": _kernels.SINGER}
    kinds = np.array([codes[mm.kind] for mm in models])
    xp, pp, d2, ll = _kernels.predict_pairs(
        x,
        p,
        dt,
        z,
        r,
        kinds,
        np.array([mm.q for mm in models]),
        np.array([mm.tau or 1.0 for mm in models]),
    )
    xu, pu = _kernels.update_pairs(xp, pp, z, r)
    xp_ref, pp_ref = filters.predict(models, x, p, dt)
    xu_ref, pu_ref, nu, s, ll_ref = filters.update(xp_ref, pp_ref, z, r)
    d2_ref = np.einsum("kmi,kmij,kmj->km", nu, np.linalg.inv(s), nu)
    np.testing.assert_allclose(xp, xp_ref, rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(pp, pp_ref, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(xu, xu_ref, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(pu, pu_ref, rtol=1e-7, atol=1e-5)
    np.testing.assert_allclose(d2, d2_ref, rtol=1e-8)
    np.testing.assert_allclose(ll, ll_ref, rtol=1e-9, atol=1e-9)


# --- the kernels that replaced numpy steps of the tracker ----------------------------------
# Kernels that repeat numpy's elementwise arithmetic are held equal bit for bit; those that
# stand in for numpy reductions, einsum or BLAS products (whose summation order is numpy's
# and the BLAS library's business) to a relative 1e-12. Tracker outputs on the default
# scenario were bit-identical before and after the kernels replaced the numpy code.

PI = np.array([[0.95, 0.05], [0.05, 0.95]])
CODES = {"cv": _kernels.CV, "ca": _kernels.CA, "singer": _kernels.SINGER}


def _tracks(kind: str, k: int, seed: int = 3):
    """Random but plausible track states: models, x (K, M, d), p (K, M, d, d), mu (K, M)."""
    rng = np.random.default_rng(seed)
    models = filters.models_for(kind, 5.0, 30.0, 20.0, "singer")
    m, d = len(models), models[0].dim
    a = rng.normal(size=(k, m, d, d))
    p = a @ np.swapaxes(a, -1, -2) * 50 + np.eye(d) * 20
    x = rng.normal(0, 1000, (k, m, d))
    mu = rng.dirichlet(np.ones(m), size=k)
    return models, x, p, mu


def _model_arrays(models):
    return (
        np.array([CODES[m.kind] for m in models]),
        np.array([m.q for m in models]),
        np.array([m.tau or 1.0 for m in models]),
    )


@pytest.mark.parametrize(
    ("kind", "manoeuvre"), [("cv", "singer"), ("imm", "singer"), ("imm", "ca")]
)
def test_transition_noise_equals_the_models_matrices_bit_for_bit(kind: str, manoeuvre: str) -> None:
    rng = np.random.default_rng(0)
    dt = np.concatenate([rng.uniform(-3, 30, 200), [0.0, 1e-5, -1e-4, 0.05, 0.059, 0.07]])
    models = filters.models_for(kind, 5.0, 30.0, 20.0, manoeuvre)
    f, q = filters.transition_noise(models, dt)
    np.testing.assert_array_equal(f, np.stack([m.transition(dt) for m in models], 1))
    np.testing.assert_array_equal(q, np.stack([m.noise(dt) for m in models], 1))


def test_predict_equals_the_per_model_products() -> None:
    models, x, p, _ = _tracks("imm", 30)
    dt = np.random.default_rng(1).uniform(0, 12, 30)
    xp, pp = filters.predict(models, x, p, dt)
    for m, model in enumerate(models):
        f = model.transition(dt)
        np.testing.assert_allclose(xp[:, m], np.einsum("kij,kj->ki", f, x[:, m]), rtol=1e-12)
        want = f @ p[:, m] @ np.swapaxes(f, -1, -2) + model.noise(dt)
        np.testing.assert_allclose(pp[:, m], want, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("kind", ["cv", "imm"])
def test_gating_prediction_is_the_full_predictions_position_block(kind: str) -> None:
    models, x, p, _ = _tracks(kind, 20)
    rng = np.random.default_rng(2)
    dt = rng.uniform(-1, 12, 40)
    row = rng.integers(0, 20, 40)
    z = x[row, 0, 0:3] + rng.normal(0, 300, (40, 3))
    r = np.broadcast_to(np.eye(3) * 400.0, (40, 3, 3)).copy()
    plot = rng.permutation(40)
    arrays = _model_arrays(models)
    d = models[0].dim
    xf, pf, d2f, llf = _kernels.predict_pairs_at(x, p, row, dt, z, r, plot, *arrays, d)
    x3, p3, d23, ll3 = _kernels.predict_pairs_at(x, p, row, dt, z, r, plot, *arrays, 3)
    np.testing.assert_array_equal(x3, xf[..., 0:3])
    np.testing.assert_array_equal(p3, pf[..., 0:3, 0:3])
    np.testing.assert_array_equal(d23, d2f)
    np.testing.assert_array_equal(ll3, llf)
    # the fused predict-and-update is the update of the full prediction
    xu, pu = _kernels.predict_update_pairs(x, p, row, dt, z, r, plot, *arrays)
    xu_ref, pu_ref = _kernels.update_pairs(xf, pf, z[plot], r[plot])
    np.testing.assert_array_equal(xu, xu_ref)
    np.testing.assert_array_equal(pu, pu_ref)
    # and the gate statistics are the prediction's
    ll, d2 = _kernels.gate_pairs(x, p, row, dt, z, r, plot, np.ones((40, 1)), *arrays, False)
    np.testing.assert_array_equal(ll, llf)
    np.testing.assert_array_equal(d2, d2f.min(axis=1))


def test_mixture_gate_equals_the_combined_innovation() -> None:
    models, x, p, mu = _tracks("imm", 15)
    rng = np.random.default_rng(4)
    dt = rng.uniform(0, 10, 15)
    row = np.arange(15)
    z = x[:, 0, 0:3] + rng.normal(0, 500, (15, 3))
    b = rng.normal(size=(15, 3, 3))
    r = b @ np.swapaxes(b, -1, -2) * 100 + np.eye(3) * 50
    arrays = _model_arrays(models)
    xp, pp, _, _ = _kernels.predict_pairs_at(x, p, row, dt, z, r, row, *arrays, 3)
    _, d2 = _kernels.gate_pairs(x, p, row, dt, z, r, row, mu, *arrays, True)
    xc, pc = filters.combine(xp, pp, mu)
    nu = z - xc
    want = np.einsum("ki,kij,kj->k", nu, np.linalg.inv(pc + r), nu)
    np.testing.assert_allclose(d2, want, rtol=1e-10)


def test_gnn_costs_are_the_generalised_and_mahalanobis_distances() -> None:
    rng = np.random.default_rng(5)
    ll = rng.normal(-20, 3, (12, 2))
    c = rng.dirichlet([1, 1], size=12)
    d2 = rng.uniform(0, 16, 12)
    ok = np.array([0, 3, 4, 9, 11])
    cost, miss = _kernels.gnn_costs(ll, c, d2, ok, True, 16.0)
    want = -2.0 * np.log(np.einsum("km,km->k", np.exp(ll[ok]), c[ok])) - 3 * np.log(2 * np.pi)
    np.testing.assert_allclose(cost, want, rtol=1e-13)
    assert miss == pytest.approx(want.max() + 17.0, rel=1e-13)
    cost, miss = _kernels.gnn_costs(ll, c, d2, ok, False, 16.0)
    np.testing.assert_array_equal(cost, np.sqrt(d2[ok]))
    assert miss == 4.0


def test_mixing_and_posterior_kernels_equal_the_imm_steps() -> None:
    _, x, p, mu = _tracks("imm", 25)
    idx = np.array([3, 4, 7, 20, 24])
    c = mu[idx] @ PI
    x0, p0 = _kernels.mix(x, p, mu, idx, c, PI)
    x0_ref, p0_ref, c_ref = filters.mix(x[idx], p[idx], mu[idx], PI)
    np.testing.assert_array_equal(c, c_ref)
    np.testing.assert_allclose(x0, x0_ref, rtol=1e-13)
    np.testing.assert_allclose(p0, p0_ref, rtol=1e-12, atol=1e-9)
    ll = np.random.default_rng(6).normal(-15, 4, (9, 2))
    pick = np.array([1, 2, 8])
    a = _kernels.posterior_exponents(ll, pick, np.log(np.maximum(c[:3], 1e-300)))
    w = np.exp(a)
    np.testing.assert_allclose(
        w / w.sum(axis=1, keepdims=True), filters.model_posterior(c[:3], ll[pick]), rtol=1e-13
    )


def test_polar_conversion_kernel_equals_converted_measurement_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    k = 50
    rng_m = rng.uniform(1e3, 300e3, k)
    az = rng.uniform(-np.pi, 2 * np.pi, k)
    el = rng.uniform(-0.05, 1.4, k)
    s_r, s_a, s_e = rng.uniform(5, 100, k), rng.uniform(1e-3, 2e-2, k), rng.uniform(1e-3, 3e-2, k)
    ang, ex = _kernels.polar_arguments(az, el, s_a, s_e)
    lam = np.exp(ex)
    z, r = _kernels.polar_converted(rng_m, s_r, np.sin(ang), np.cos(ang), lam, lam**4)
    z_ref, r_ref = filters.converted_measurement(rng_m, az, el, s_r, s_a, s_e)
    np.testing.assert_array_equal(z, z_ref)
    np.testing.assert_array_equal(r, r_ref)


def test_predicted_position_and_spread_kernels() -> None:
    models, x, p, mu = _tracks("imm", 20)
    t = np.random.default_rng(8).uniform(0, 30, 20)
    idx = np.arange(20)
    pos = _pairing.predicted_position(x, mu, t, 40.0, idx)
    np.testing.assert_allclose(pos, filters.predict_position(x, mu, 40.0 - t), rtol=1e-13)
    # the spread bounds the trace of every model's predicted position covariance
    q_max = max(m.q for m in models)
    var = _pairing.position_spread(p, t, 40.0, 20, q_max, models[0].q)
    _, pp = filters.predict(models, x, p, 40.0 - t)
    trace = np.trace(pp[:, :, 0:3, 0:3], axis1=-2, axis2=-1).max(axis=1)
    assert np.all(var >= trace)
