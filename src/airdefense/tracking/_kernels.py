"""Compiled kernel of the tracker's innermost step: predict every (track, plot) pair to the
plot's time and update it, for every motion model, in one pass.

The same arithmetic as :func:`~airdefense.tracking.filters.predict` followed by
:func:`~airdefense.tracking.filters.update` (a test holds them equal). Those are array code
too, but a radar batch holds tens of pairs, and ~40 numpy calls on (K, M, 9, 9) stacks cost
more in call overhead than in arithmetic; fused, one batch costs microseconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Motion model codes of the kernel.
CV, CA, SINGER = 0, 1, 2


@njit(cache=True)
def _blocks(kind: int, q: float, tau: float, dt: float, f: np.ndarray, qq: np.ndarray) -> None:
    """Per-axis transition f (3, 3) and noise qq (3, 3) blocks of one model over dt."""
    f[:] = 0.0
    qq[:] = 0.0
    adt = abs(dt)
    if kind == CV:
        f[0, 0] = 1.0
        f[0, 1] = dt
        f[1, 1] = 1.0
        qq[0, 0] = q * adt**3 / 3.0
        qq[0, 1] = qq[1, 0] = q * adt**2 / 2.0
        qq[1, 1] = q * adt
    elif kind == CA:
        f[0, 0] = f[1, 1] = f[2, 2] = 1.0
        f[0, 1] = f[1, 2] = dt
        f[0, 2] = 0.5 * dt * dt
        t = adt
        qq[0, 0] = t**5 / 20
        qq[0, 1] = qq[1, 0] = t**4 / 8
        qq[0, 2] = qq[2, 0] = t**3 / 6
        qq[1, 1] = t**3 / 3
        qq[1, 2] = qq[2, 1] = t**2 / 2
        qq[2, 2] = t
        qq *= q
    else:
        a = 1.0 / tau
        e = np.exp(-a * dt)
        f[0, 0] = f[1, 1] = 1.0
        f[0, 1] = dt
        f[0, 2] = (a * dt - 1.0 + e) / (a * a)
        f[1, 2] = (1.0 - e) / a
        f[2, 2] = e
        t = adt
        x = a * t
        if x < 3e-3:
            qq[0, 0] = t**5 / 20
            qq[0, 1] = t**4 / 8
            qq[0, 2] = t**3 / 6
            qq[1, 1] = t**3 / 3
            qq[1, 2] = t**2 / 2
            qq[2, 2] = t
        else:
            e1 = np.exp(-x)
            e2 = np.exp(-2 * x)
            qq[0, 0] = (1 - e2 + 2 * x + 2 * x**3 / 3 - 2 * x**2 - 4 * x * e1) / (2 * a**5)
            qq[0, 1] = (e2 + 1 - 2 * e1 + 2 * x * e1 - 2 * x + x**2) / (2 * a**4)
            qq[0, 2] = (1 - e2 - 2 * x * e1) / (2 * a**3)
            qq[1, 1] = (4 * e1 - 3 - e2 + 2 * x) / (2 * a**3)
            qq[1, 2] = (e2 + 1 - 2 * e1) / (2 * a**2)
            qq[2, 2] = (1 - e2) / (2 * a)
        qq[1, 0] = qq[0, 1]
        qq[2, 0] = qq[0, 2]
        qq[2, 1] = qq[1, 2]
        qq *= q


@njit(cache=True)
def predict_pairs(
    x0: np.ndarray,
    p0: np.ndarray,
    dt: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    kinds: np.ndarray,
    qs: np.ndarray,
    taus: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x0 (K, M, d), p0 (K, M, d, d), dt (K,), z (K, 3), r (K, 3, 3) -> predicted xp, pp
    at each plot's time, Mahalanobis d2 (K, M) and log-likelihood (K, M) of the plot."""
    k_n, m_n, d = x0.shape
    n = d // 3
    xp = np.empty_like(x0)
    pp = np.empty_like(p0)
    d2 = np.empty((k_n, m_n))
    ll = np.empty((k_n, m_n))
    fb = np.empty((3, 3))
    qb = np.empty((3, 3))
    fm = np.zeros((d, d))
    fp = np.empty((d, d))
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    log2pi = np.log(2.0 * np.pi)
    for k in range(k_n):
        for m in range(m_n):
            _blocks(kinds[m], qs[m], taus[m], dt[k], fb, qb)
            # full F: F[3a+i, 3b+i] = fb[a, b]
            fm[:] = 0.0
            for a in range(n):
                for b in range(n):
                    for i in range(3):
                        fm[3 * a + i, 3 * b + i] = fb[a, b]
            for i in range(d):
                acc = 0.0
                for j in range(d):
                    acc += fm[i, j] * x0[k, m, j]
                xp[k, m, i] = acc
            # F P
            for i in range(d):
                for j in range(d):
                    acc = 0.0
                    for l in range(d):  # noqa: E741
                        acc += fm[i, l] * p0[k, m, l, j]
                    fp[i, j] = acc
            # F P F^T + Q
            for i in range(d):
                for j in range(d):
                    acc = 0.0
                    for l in range(d):  # noqa: E741
                        acc += fp[i, l] * fm[j, l]
                    pp[k, m, i, j] = acc
            for a in range(n):
                for b in range(n):
                    for i in range(3):
                        pp[k, m, 3 * a + i, 3 * b + i] += qb[a, b]
            # innovation covariance and its inverse (3 x 3, by cofactors)
            for i in range(3):
                for j in range(3):
                    s[i, j] = 0.5 * (pp[k, m, i, j] + pp[k, m, j, i]) + r[k, i, j]
            det = _inv3(s, si)
            nu0 = z[k, 0] - xp[k, m, 0]
            nu1 = z[k, 1] - xp[k, m, 1]
            nu2 = z[k, 2] - xp[k, m, 2]
            q2 = 0.0
            for i in range(3):
                vi = nu0 * si[i, 0] + nu1 * si[i, 1] + nu2 * si[i, 2]
                q2 += (nu0, nu1, nu2)[i] * vi
            d2[k, m] = q2
            ll[k, m] = -0.5 * (q2 + np.log(det) + 3.0 * log2pi)
    return xp, pp, d2, ll


@njit(cache=True)
def update_pairs(
    xp: np.ndarray, pp: np.ndarray, z: np.ndarray, r: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kalman update (Joseph form) of predicted pairs xp (K, M, d), pp (K, M, d, d) with plots
    z (K, 3), r (K, 3, 3): the associated pairs only, after the assignment."""
    k_n, m_n, d = xp.shape
    xu = np.empty_like(xp)
    pu = np.empty_like(pp)
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    g = np.empty((d, 3))
    ikh = np.empty((d, d))
    tmp = np.empty((d, d))
    for k in range(k_n):
        for m in range(m_n):
            for i in range(3):
                for j in range(3):
                    s[i, j] = 0.5 * (pp[k, m, i, j] + pp[k, m, j, i]) + r[k, i, j]
            _inv3(s, si)
            nu0 = z[k, 0] - xp[k, m, 0]
            nu1 = z[k, 1] - xp[k, m, 1]
            nu2 = z[k, 2] - xp[k, m, 2]
            # gain G = P H^T S^-1 (d x 3)
            for i in range(d):
                for j in range(3):
                    g[i, j] = (
                        pp[k, m, i, 0] * si[0, j]
                        + pp[k, m, i, 1] * si[1, j]
                        + pp[k, m, i, 2] * si[2, j]
                    )
            for i in range(d):
                xu[k, m, i] = xp[k, m, i] + g[i, 0] * nu0 + g[i, 1] * nu1 + g[i, 2] * nu2
            # Joseph form: (I - G H) P (I - G H)^T + G R G^T
            for i in range(d):
                for j in range(d):
                    ikh[i, j] = 1.0 if i == j else 0.0
                for j in range(3):
                    ikh[i, j] -= g[i, j]
            for i in range(d):
                for j in range(d):
                    acc = 0.0
                    for l in range(d):  # noqa: E741
                        acc += ikh[i, l] * pp[k, m, l, j]
                    tmp[i, j] = acc
            for i in range(d):
                for j in range(i + 1):
                    acc = 0.0
                    for l in range(d):  # noqa: E741
                        acc += tmp[i, l] * ikh[j, l]
                    for a in range(3):
                        gr = g[i, 0] * r[k, 0, a] + g[i, 1] * r[k, 1, a] + g[i, 2] * r[k, 2, a]
                        acc += gr * g[j, a]
                    pu[k, m, i, j] = acc
                    pu[k, m, j, i] = acc
    return xu, pu


@njit(cache=True)
def _inv3(s: np.ndarray, si: np.ndarray) -> float:
    """Inverse of a 3 x 3 matrix by cofactors into si; returns the determinant."""
    det = (
        s[0, 0] * (s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1])
        - s[0, 1] * (s[1, 0] * s[2, 2] - s[1, 2] * s[2, 0])
        + s[0, 2] * (s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0])
    )
    si[0, 0] = (s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1]) / det
    si[0, 1] = (s[0, 2] * s[2, 1] - s[0, 1] * s[2, 2]) / det
    si[0, 2] = (s[0, 1] * s[1, 2] - s[0, 2] * s[1, 1]) / det
    si[1, 0] = (s[1, 2] * s[2, 0] - s[1, 0] * s[2, 2]) / det
    si[1, 1] = (s[0, 0] * s[2, 2] - s[0, 2] * s[2, 0]) / det
    si[1, 2] = (s[0, 2] * s[1, 0] - s[0, 0] * s[1, 2]) / det
    si[2, 0] = (s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]) / det
    si[2, 1] = (s[0, 1] * s[2, 0] - s[0, 0] * s[2, 1]) / det
    si[2, 2] = (s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]) / det
    return det
