"""The fused pair kernel equals the numpy reference (predict, then update)."""

from __future__ import annotations

import numpy as np
import pytest

from airdefense.tracking import _kernels, filters


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
