"""Compiled kernels of the tracker's filter arithmetic: predict every (track, plot) pair to
the plot's time and update it, for every motion model, in one pass; and the motion
matrices, IMM mixing, converted measurements, gate statistics, assignment costs and the
duplicate test around it.

The arithmetic of the numpy functions of :mod:`~airdefense.tracking.filters` (tests hold
them equal). Those are array code too, but a radar batch holds tens of pairs, and ~40
numpy calls on (K, M, 9, 9) stacks cost more in call overhead than in arithmetic; fused, one
batch costs microseconds.

Kernels whose results enter the track states repeat numpy's operations in numpy's order,
so they give numpy's numbers bit for bit (the tracker's outputs did not change when they
replaced the numpy code); where numpy calls out (exp, log and powers, whose vectorised
versions round differently from the C library's; BLAS products, which fuse multiply-adds)
the tracker still calls numpy and passes the results in. Kernels that only feed decisions
(gate statistics, assignment costs, the duplicate test) use the compiled functions and
solvers, which may differ from numpy's in the last bit: a decision could change only for
a value within ~1e-15 of its threshold.

No kernel here calls one in another file: numba's cache (``cache=True``) would not notice
when that file changed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Motion model codes of the kernel.
CV, CA, SINGER = 0, 1, 2
MODEL_CODES = {"cv": CV, "ca": CA, "singer": SINGER}


@njit(cache=True)
def motion_blocks(
    kind: int, q: float, tau: float, dt: float, f: np.ndarray, qq: np.ndarray
) -> None:
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
def predict_model(
    x0: np.ndarray,
    p0: np.ndarray,
    fb: np.ndarray,
    qb: np.ndarray,
    nrow: int,
    xo: np.ndarray,
    po: np.ndarray,
    fp: np.ndarray,
) -> None:
    """x = F x0, P = F P0 F^T + Q of one model, F and Q given by their per-axis blocks fb,
    qb (F[3a+i, 3b+i] = fb[a, b], zero elsewhere); only the first ``nrow`` components of x
    and rows and columns of P (3: the position, for gating; d: all). The products run over
    F's nonzero entries only, in the order of the dense sums (the zero terms add nothing),
    so every entry is the dense F P F^T's."""
    d = x0.shape[0]
    n = d // 3
    na = nrow // 3
    # every sum runs term by term in the dense order; the loops keep independent sums
    # innermost (one dependent chain per element would stall on the adder)
    for i in range(nrow):
        xo[i] = 0.0
    for a in range(na):
        for b in range(n):
            f_ab = fb[a, b]
            for i3 in range(3):
                xo[3 * a + i3] += f_ab * x0[3 * b + i3]
    # F P (its first nrow rows)
    for i in range(nrow):
        for j in range(d):
            fp[i, j] = 0.0
    for a in range(na):
        for b in range(n):
            f_ab = fb[a, b]
            for i3 in range(3):
                for j in range(d):
                    fp[3 * a + i3, j] += f_ab * p0[3 * b + i3, j]
    # F P F^T + Q
    for i in range(nrow):
        for j in range(nrow):
            po[i, j] = 0.0
        for a in range(na):
            for b in range(n):
                f_ab = fb[a, b]
                for j3 in range(3):
                    po[i, 3 * a + j3] += fp[i, 3 * b + j3] * f_ab
    for a in range(na):
        for b in range(na):
            for i in range(3):
                po[3 * a + i, 3 * b + i] += qb[a, b]


@njit(cache=True)
def plot_fit(
    xp: np.ndarray, pp: np.ndarray, z: np.ndarray, r: np.ndarray, s: np.ndarray, si: np.ndarray
) -> tuple[float, float]:
    """Mahalanobis distance squared and log-likelihood of plot z (covariance r) under the
    predicted position xp[0:3], pp[0:3, 0:3] (innovation covariance inverted by cofactors)."""
    for i in range(3):
        for j in range(3):
            s[i, j] = 0.5 * (pp[i, j] + pp[j, i]) + r[i, j]
    det = _inv3(s, si)
    nu0 = z[0] - xp[0]
    nu1 = z[1] - xp[1]
    nu2 = z[2] - xp[2]
    q2 = 0.0
    for i in range(3):
        vi = nu0 * si[i, 0] + nu1 * si[i, 1] + nu2 * si[i, 2]
        q2 += (nu0, nu1, nu2)[i] * vi
    return q2, -0.5 * (q2 + np.log(det) + 3.0 * np.log(2.0 * np.pi))


@njit(cache=True)
def update_model(
    xp: np.ndarray,
    pp: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    xu: np.ndarray,
    pu: np.ndarray,
    s: np.ndarray,
    si: np.ndarray,
    g: np.ndarray,
    ikh: np.ndarray,
    tmp: np.ndarray,
    gr: np.ndarray,
) -> None:
    """Kalman update (Joseph form) of one model's xp (d,), pp (d, d) with plot z, r (the
    last five arguments are scratch space)."""
    d = xp.shape[0]
    for i in range(3):
        for j in range(3):
            s[i, j] = 0.5 * (pp[i, j] + pp[j, i]) + r[i, j]
    _inv3(s, si)
    nu0 = z[0] - xp[0]
    nu1 = z[1] - xp[1]
    nu2 = z[2] - xp[2]
    # gain G = P H^T S^-1 (d x 3)
    for i in range(d):
        for j in range(3):
            g[i, j] = pp[i, 0] * si[0, j] + pp[i, 1] * si[1, j] + pp[i, 2] * si[2, j]
    for i in range(d):
        xu[i] = xp[i] + g[i, 0] * nu0 + g[i, 1] * nu1 + g[i, 2] * nu2
    # Joseph form: (I - G H) P (I - G H)^T + G R G^T, where I - G H is the identity but for
    # its first 3 columns; the products skip its zero entries, in the order of the dense
    # sums (the zero terms add nothing)
    for i in range(d):
        for j in range(3):
            ikh[i, j] = (1.0 if i == j else 0.0) - g[i, j]
    for i in range(d):
        for j in range(d):
            tmp[i, j] = 0.0
        for l in range(3):  # noqa: E741
            c = ikh[i, l]
            for j in range(d):
                tmp[i, j] += c * pp[l, j]
        if i >= 3:
            for j in range(d):
                tmp[i, j] += pp[i, j]
    for i in range(d):
        for a in range(3):  # G R, row i
            gr[a] = g[i, 0] * r[0, a] + g[i, 1] * r[1, a] + g[i, 2] * r[2, a]
        for j in range(i + 1):
            acc = 0.0
            for l in range(3):  # noqa: E741
                acc += tmp[i, l] * ikh[j, l]
            if j >= 3:
                acc += tmp[i, j]
            for a in range(3):
                acc += gr[a] * g[j, a]
            pu[i, j] = acc
            pu[j, i] = acc


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
    rows = np.arange(dt.size)
    return predict_pairs_at(x0, p0, rows, dt, z, r, rows, kinds, qs, taus, x0.shape[2])


@njit(cache=True)
def predict_pairs_at(
    x0: np.ndarray,
    p0: np.ndarray,
    row: np.ndarray,
    dt: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    plot: np.ndarray,
    kinds: np.ndarray,
    qs: np.ndarray,
    taus: np.ndarray,
    nrow: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`predict_pairs` of pair k = (state ``row[k]`` of x0, p0; plot ``plot[k]`` of
    z, r), without gathering the pairs' copies first; ``nrow`` = 3 predicts only the
    position and its covariance (xp (K, M, 3), pp (K, M, 3, 3): all gating needs)."""
    k_n = dt.size
    _, m_n, d = x0.shape
    xp = np.empty((k_n, m_n, nrow))
    pp = np.empty((k_n, m_n, nrow, nrow))
    d2 = np.empty((k_n, m_n))
    ll = np.empty((k_n, m_n))
    fb = np.empty((3, 3))
    qb = np.empty((3, 3))
    fp = np.empty((d, d))
    xo = np.empty(d)
    po = np.empty((d, d))
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    for k in range(k_n):
        src, j = row[k], plot[k]
        for m in range(m_n):
            motion_blocks(kinds[m], qs[m], taus[m], dt[k], fb, qb)
            predict_model(x0[src, m], p0[src, m], fb, qb, nrow, xo, po, fp)
            xp[k, m] = xo[:nrow]
            pp[k, m] = po[:nrow, :nrow]
            d2[k, m], ll[k, m] = plot_fit(xo, po, z[j], r[j], s, si)
    return xp, pp, d2, ll


@njit(cache=True)
def predict_update_pairs(
    x0: np.ndarray,
    p0: np.ndarray,
    row: np.ndarray,
    dt: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    plot: np.ndarray,
    kinds: np.ndarray,
    qs: np.ndarray,
    taus: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`predict_pairs_at` then :func:`update_pairs` of the associated pairs: the
    updated xu (K, M, d), pu (K, M, d, d)."""
    k_n = dt.size
    _, m_n, d = x0.shape
    xu = np.empty((k_n, m_n, d))
    pu = np.empty((k_n, m_n, d, d))
    fb = np.empty((3, 3))
    qb = np.empty((3, 3))
    fp = np.empty((d, d))
    xo = np.empty(d)
    po = np.empty((d, d))
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    g = np.empty((d, 3))
    ikh = np.empty((d, 3))
    tmp = np.empty((d, d))
    gr = np.empty(3)
    for k in range(k_n):
        src, j = row[k], plot[k]
        for m in range(m_n):
            motion_blocks(kinds[m], qs[m], taus[m], dt[k], fb, qb)
            predict_model(x0[src, m], p0[src, m], fb, qb, d, xo, po, fp)
            update_model(xo, po, z[j], r[j], xu[k, m], pu[k, m], s, si, g, ikh, tmp, gr)
    return xu, pu


@njit(cache=True)
def update_pairs(
    xp: np.ndarray, pp: np.ndarray, z: np.ndarray, r: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kalman update (Joseph form) of predicted pairs xp (K, M, d), pp (K, M, d, d) with plots
    z (K, 3), r (K, 3, 3): the associated pairs only, after the assignment."""
    k_n, m_n, d = xp.shape
    xu = np.empty((k_n, m_n, d))
    pu = np.empty((k_n, m_n, d, d))
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    g = np.empty((d, 3))
    ikh = np.empty((d, 3))
    tmp = np.empty((d, d))
    gr = np.empty(3)
    for k in range(k_n):
        for m in range(m_n):
            update_model(xp[k, m], pp[k, m], z[k], r[k], xu[k, m], pu[k, m], s, si, g, ikh, tmp, gr)
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


@njit(cache=True)
def motion_matrices(
    kind: int,
    q: float,
    m: int,
    dt: np.ndarray,
    pw: np.ndarray,
    ex: np.ndarray,
    c: np.ndarray,
    f: np.ndarray,
    qq: np.ndarray,
) -> None:
    """Transition F and noise Q of model ``m`` for every row, into f[:, m] and qq[:, m]
    (K, M, d, d): the arithmetic of :meth:`MotionModel.transition` and
    :meth:`MotionModel.noise` term by term, so the results are bit-identical.

    The transcendental terms come in computed by numpy (whose exp and pow may round
    differently from the compiled ones): ``pw`` (5, K) holds |dt|, |dt|^3, |dt|^4, |dt|^5
    and x^3 (x = |dt| / tau), ``ex`` (3, K) exp(-dt/tau), exp(-x), exp(-2x); ``c`` the
    Singer constants a, a^2, 2a^5, 2a^4, 2a^3, 2a^2, 2a (a = 1/tau).
    """
    k_n, _, d, _ = f.shape
    n = d // 3
    fb = np.zeros((3, 3))
    qb = np.zeros((3, 3))
    for k in range(k_n):
        fb[:] = 0.0
        qb[:] = 0.0
        t = dt[k]
        ad = pw[0, k]
        if kind == CV:
            fb[0, 0] = 1.0
            fb[0, 1] = t
            fb[1, 1] = 1.0
            qb[0, 0] = pw[1, k] / 3 * q
            qb[0, 1] = qb[1, 0] = ad * ad / 2 * q
            qb[1, 1] = ad * q
        elif kind == CA:
            z = 0.0 * t
            fb[0, 0] = fb[1, 1] = fb[2, 2] = 1.0 + z
            fb[0, 1] = fb[1, 2] = t
            fb[0, 2] = 0.5 * (t * t)
            fb[1, 0] = fb[2, 0] = fb[2, 1] = z
            qb[0, 0] = pw[3, k] / 20 * q
            qb[0, 1] = qb[1, 0] = pw[2, k] / 8 * q
            qb[0, 2] = qb[2, 0] = pw[1, k] / 6 * q
            qb[1, 1] = pw[1, k] / 3 * q
            qb[1, 2] = qb[2, 1] = ad * ad / 2 * q
            qb[2, 2] = ad * q
        else:
            a, a2 = c[0], c[1]
            e = ex[0, k]
            fb[0, 0] = fb[1, 1] = 1.0
            fb[0, 1] = t
            fb[0, 2] = (a * t - 1.0 + e) / a2
            fb[1, 2] = (1.0 - e) / a
            fb[2, 2] = e
            x = a * ad
            if x < 3e-3:  # the Wiener-acceleration limit, as in filters._singer_noise
                q11, q12, q13 = pw[3, k] / 20, pw[2, k] / 8, pw[1, k] / 6
                q22, q23, q33 = pw[1, k] / 3, ad * ad / 2, ad
            else:
                e1, e2, x3 = ex[1, k], ex[2, k], pw[4, k]
                q11 = (1 - e2 + 2 * x + 2 * x3 / 3 - 2 * (x * x) - 4 * x * e1) / c[2]
                q12 = (e2 + 1 - 2 * e1 + 2 * x * e1 - 2 * x + x * x) / c[3]
                q13 = (1 - e2 - 2 * x * e1) / c[4]
                q22 = (4 * e1 - 3 - e2 + 2 * x) / c[4]
                q23 = (e2 + 1 - 2 * e1) / c[5]
                q33 = (1 - e2) / c[6]
            qb[0, 0], qb[1, 1], qb[2, 2] = q11 * q, q22 * q, q33 * q
            qb[0, 1] = qb[1, 0] = q12 * q
            qb[0, 2] = qb[2, 0] = q13 * q
            qb[1, 2] = qb[2, 1] = q23 * q
        f[k, m] = 0.0
        qq[k, m] = 0.0
        for a_ in range(n):
            for b_ in range(n):
                for i in range(3):
                    f[k, m, 3 * a_ + i, 3 * b_ + i] = fb[a_, b_]
                    qq[k, m, 3 * a_ + i, 3 * b_ + i] = qb[a_, b_]


@njit(cache=True)
def singer_arguments(dt: np.ndarray, ad: np.ndarray, a: float) -> tuple[np.ndarray, np.ndarray]:
    """x = a |dt| (K,) and the exponents (3, K) -a dt, -x, -2x of the Singer model's
    transition and noise (numpy takes their exponentials)."""
    k_n = dt.size
    x = np.empty(k_n)
    ex = np.empty((3, k_n))
    for k in range(k_n):
        x[k] = a * ad[k]
        ex[0, k] = -a * dt[k]
        ex[1, k] = -x[k]
        ex[2, k] = -2 * x[k]
    return x, ex


# --- IMM arithmetic -------------------------------------------------------------------------
# The operations of filters.mix and filters.model_posterior in their order (the sums over
# models start at zero, as numpy's einsum's do), numpy's BLAS product, log and exp passed in.


@njit(cache=True)
def mix(
    x: np.ndarray, p: np.ndarray, mu: np.ndarray, idx: np.ndarray, c: np.ndarray, pi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """IMM mixing of tracks idx (rows of x (N, M, d), p, mu): :func:`filters.mix` with the
    predicted model probabilities c = mu[idx] @ pi (K, M) given (numpy's BLAS product, to
    stay bit-identical). Returns x0 (K, M, d), p0 (K, M, d, d)."""
    k_n = idx.size
    _, m_n, d = x.shape
    x0 = np.empty((k_n, m_n, d))
    p0 = np.empty((k_n, m_n, d, d))
    w = np.empty((m_n, m_n))
    dx = np.empty((m_n, d))
    spread = np.empty((d, d))
    outer = np.empty((d, d))
    for k in range(k_n):
        n = idx[k]
        for i in range(m_n):
            for j in range(m_n):
                w[i, j] = mu[n, i] * pi[i, j] / max(c[k, j], 1e-300)
        for j in range(m_n):
            for a in range(d):
                acc = 0.0
                for i in range(m_n):
                    acc += w[i, j] * x[n, i, a]
                x0[k, j, a] = acc
        for j in range(m_n):
            for i in range(m_n):
                for a in range(d):
                    dx[i, a] = x[n, i, a] - x0[k, j, a]
            # sum_i w_ij P_i + sum_i w_ij dx_ij dx_ij^T, each sum over i in order
            spread[:] = 0.0
            outer[:] = 0.0
            for i in range(m_n):
                wij = w[i, j]
                for a in range(d):
                    wa = wij * dx[i, a]
                    for b in range(d):
                        spread[a, b] += wij * p[n, i, a, b]
                        outer[a, b] += wa * dx[i, b]
            for a in range(d):
                for b in range(d):
                    p0[k, j, a, b] = spread[a, b] + outer[a, b]
    return x0, p0


@njit(cache=True)
def _nanmax(a: float, b: float) -> float:
    """max propagating NaN, as numpy's."""
    if a != a or b != b:
        return np.nan
    return a if a >= b else b


@njit(cache=True)
def posterior_exponents(loglik: np.ndarray, idx: np.ndarray, log_c: np.ndarray) -> np.ndarray:
    """The exponents of :func:`filters.model_posterior` for pairs idx: ln Lambda_j + ln c_j
    less its largest over models (K, M); numpy takes log c and the exponentials."""
    k_n, m_n = log_c.shape
    a = np.empty((k_n, m_n))
    for k in range(k_n):
        top = 0.0
        for m in range(m_n):
            a[k, m] = loglik[idx[k], m] + log_c[k, m]
            top = a[k, m] if m == 0 else _nanmax(top, a[k, m])
        for m in range(m_n):
            a[k, m] = a[k, m] - top
    return a


# --- converted measurements ---------------------------------------------------------------


@njit(cache=True)
def polar_arguments(
    az: np.ndarray, el: np.ndarray, sigma_az: np.ndarray, sigma_el: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The arguments of the transcendental calls of :func:`filters.converted_measurement`:
    angles (4, K) az, el, 2 az, 2 el, and exponents (2, K) -sigma_az^2 / 2, -sigma_el^2 / 2."""
    k_n = az.size
    ang = np.empty((4, k_n))
    ex = np.empty((2, k_n))
    for k in range(k_n):
        ang[0, k] = az[k]
        ang[1, k] = el[k]
        ang[2, k] = 2 * az[k]
        ang[3, k] = 2 * el[k]
        ex[0, k] = -0.5 * (sigma_az[k] * sigma_az[k])
        ex[1, k] = -0.5 * (sigma_el[k] * sigma_el[k])
    return ang, ex


@njit(cache=True)
def polar_converted(
    rng: np.ndarray,
    sigma_r: np.ndarray,
    sin4: np.ndarray,
    cos4: np.ndarray,
    lam: np.ndarray,
    lam4: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The algebra of :func:`filters.converted_measurement` (bit-identical), given numpy's
    sines and cosines of (az, el, 2 az, 2 el) (4, K), the bias factors lambda_az,
    lambda_el (2, K) and their fourth powers: z (K, 3) and R (K, 3, 3) in local axes."""
    k_n = rng.size
    z = np.empty((k_n, 3))
    cov = np.empty((k_n, 3, 3))
    mean = np.empty(3)
    m2 = np.empty((3, 3))
    for k in range(k_n):
        r = rng[k]
        sa, se, s2a, s2e = sin4[0, k], sin4[1, k], sin4[2, k], sin4[3, k]
        ca, ce, c2a, c2e = cos4[0, k], cos4[1, k], cos4[2, k], cos4[3, k]
        la, le, la4, le4 = lam[0, k], lam[1, k], lam4[0, k], lam4[1, k]
        z[k, 0] = r * ce * sa / (la * le)
        z[k, 1] = r * ce * ca / (la * le)
        z[k, 2] = r * se / le
        r2 = r * r + sigma_r[k] * sigma_r[k]
        e_sin2a, e_cos2a, e_sca = 0.5 * (1 - la4 * c2a), 0.5 * (1 + la4 * c2a), 0.5 * la4 * s2a
        e_sin2e, e_cos2e, e_sce = 0.5 * (1 - le4 * c2e), 0.5 * (1 + le4 * c2e), 0.5 * le4 * s2e
        mean[0] = r * le * ce * la * sa
        mean[1] = r * le * ce * la * ca
        mean[2] = r * le * se
        m2[0, 0] = r2 * e_cos2e * e_sin2a
        m2[1, 1] = r2 * e_cos2e * e_cos2a
        m2[2, 2] = r2 * e_sin2e
        m2[0, 1] = m2[1, 0] = r2 * e_cos2e * e_sca
        m2[0, 2] = m2[2, 0] = r2 * e_sce * la * sa
        m2[1, 2] = m2[2, 1] = r2 * e_sce * la * ca
        for i in range(3):
            for j in range(3):
                bi = z[k, i] - mean[i]
                bj = z[k, j] - mean[j]
                cov[k, i, j] = m2[i, j] - mean[i] * mean[j] + bi * bj
    return z, cov


# --- gating and assignment costs (decisions: compiled exp, log and 3 x 3 inverse) -----------


@njit(cache=True)
def gate_pairs(
    x0: np.ndarray,
    p0: np.ndarray,
    row: np.ndarray,
    dt: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    plot: np.ndarray,
    c: np.ndarray,
    kinds: np.ndarray,
    qs: np.ndarray,
    taus: np.ndarray,
    mixture: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Gate statistics of pairs (state ``row[k]`` of x0, p0 predicted over dt[k]; plot
    ``plot[k]``): the plot's log-likelihood under each model (K, M) and its Mahalanobis
    distance squared (K,), the smallest over models, or if ``mixture`` that from the
    moment-matched mixture of the models (weights c (K, M)), one ellipsoid per track."""
    k_n = dt.size
    _, m_n, d = x0.shape
    ll = np.empty((k_n, m_n))
    d2 = np.empty(k_n)
    fb = np.empty((3, 3))
    qb = np.empty((3, 3))
    fp = np.empty((d, d))
    xo = np.empty(d)
    po = np.empty((d, d))
    xm = np.empty((m_n, 3))
    pm = np.empty((m_n, 3, 3))
    s = np.empty((3, 3))
    si = np.empty((3, 3))
    npos = xm.shape[1]  # 3, as a run-time integer: one predict_model for every caller
    for k in range(k_n):
        src, j = row[k], plot[k]
        best = np.inf
        for m in range(m_n):
            motion_blocks(kinds[m], qs[m], taus[m], dt[k], fb, qb)
            predict_model(x0[src, m], p0[src, m], fb, qb, npos, xo, po, fp)
            q2, ll[k, m] = plot_fit(xo, po, z[j], r[j], s, si)
            best = min(best, q2)
            for a in range(3):  # element by element: no array assignment's shape check
                xm[m, a] = xo[a]
                for b in range(3):
                    pm[m, a, b] = po[a, b]
        if mixture and m_n > 1:
            for a in range(3):
                acc = 0.0
                for m in range(m_n):
                    acc += c[k, m] * xm[m, a]
                xo[a] = acc
            for a in range(3):
                for b in range(3):
                    acc = 0.0
                    for m in range(m_n):
                        acc += c[k, m] * (pm[m, a, b] + (xm[m, a] - xo[a]) * (xm[m, b] - xo[b]))
                    s[a, b] = acc + r[j, a, b]
            _inv3(s, si)
            q2 = 0.0
            for a in range(3):
                for b in range(3):
                    q2 += (z[j, a] - xo[a]) * si[a, b] * (z[j, b] - xo[b])
            best = q2
        d2[k] = best
    return ll, d2


@njit(cache=True)
def gnn_costs(
    ll: np.ndarray, c: np.ndarray, d2: np.ndarray, ok: np.ndarray, confirmed: bool, gate: float
) -> tuple[np.ndarray, float]:
    """Assignment costs of the gated pairs ok, and the cost of leaving a track unassigned.

    Confirmed tracks: the generalised distance d^2 + ln|S| (Blackman and Popoli 1999,
    eq. 6.18) of the model mixture, -2 ln(sum_m c_m L_m) - 3 ln(2 pi), against one miss
    cost above them all, so a coasting track with a wide gate does not take a plot from a
    tight track it shares it with. Tentative tracks: the Mahalanobis distance against the
    gate's, as Stone Soup's DistanceHypothesiser (with its square, crowds of new tracks
    confirmed fewer targets in the Stone Soup bench).
    """
    cost = np.empty(ok.size)
    m_n = ll.shape[1]
    if not confirmed:
        for e in range(ok.size):
            cost[e] = np.sqrt(d2[ok[e]])
        return cost, np.sqrt(gate)
    top = -np.inf
    for e in range(ok.size):
        k = ok[e]
        lik = 0.0
        for m in range(m_n):
            lik += np.exp(ll[k, m]) * c[k, m]
        cost[e] = -2.0 * np.log(max(lik, 1e-300)) - 3.0 * np.log(2.0 * np.pi)
        top = max(top, cost[e])
    return cost, top + gate + 1.0


# --- the duplicate test (a decision: compiled exp, own solver) ------------------------------


@njit(cache=True)
def _quadratic_solve(s: np.ndarray, v: np.ndarray) -> float:
    """v^T s^-1 v by Gaussian elimination with partial pivoting (s is overwritten)."""
    n = v.size
    y = v.copy()
    for col in range(n):
        piv = col
        for i in range(col + 1, n):
            if abs(s[i, col]) > abs(s[piv, col]):
                piv = i
        if piv != col:
            for j in range(n):
                s[col, j], s[piv, j] = s[piv, j], s[col, j]
            y[col], y[piv] = y[piv], y[col]
        for i in range(col + 1, n):
            f = s[i, col] / s[col, col]
            for j in range(col, n):
                s[i, j] -= f * s[col, j]
            y[i] -= f * y[col]
    sol = np.empty(n)
    for i in range(n - 1, -1, -1):
        acc = y[i]
        for j in range(i + 1, n):
            acc -= s[i, j] * sol[j]
        sol[i] = acc / s[i, i]
    out = 0.0
    for i in range(n):
        out += v[i] * sol[i]
    return out


@njit(cache=True)
def _combined_motion(
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    n: int,
    dt: float,
    kinds: np.ndarray,
    qs: np.ndarray,
    taus: np.ndarray,
    xc: np.ndarray,
    pc: np.ndarray,
) -> None:
    """Track n's model mixture predicted over dt, moment-matched, position and velocity:
    mean xc (6,) and covariance pc (6, 6)."""
    m_n, d = x.shape[1], x.shape[2]
    fb = np.empty((3, 3))
    qb = np.empty((3, 3))
    fp = np.empty((d, d))
    xm = np.empty((m_n, d))
    pm = np.empty((m_n, d, d))
    npv = xc.shape[0]  # 6, as a run-time integer: one predict_model for every caller
    for m in range(m_n):
        motion_blocks(kinds[m], qs[m], taus[m], dt, fb, qb)
        predict_model(x[n, m], p[n, m], fb, qb, npv, xm[m], pm[m], fp)
    for a in range(6):
        acc = 0.0
        for m in range(m_n):
            acc += mu[n, m] * xm[m, a]
        xc[a] = acc
    for a in range(6):
        for b in range(6):
            acc = 0.0
            for m in range(m_n):
                acc += mu[n, m] * (pm[m, a, b] + (xm[m, a] - xc[a]) * (xm[m, b] - xc[b]))
            pc[a, b] = acc


@njit(cache=True)
def duplicate_test(
    a: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    t: np.ndarray,
    t_b: float,
    kinds: np.ndarray,
    qs: np.ndarray,
    taus: np.ndarray,
    gate: float,
) -> np.ndarray:
    """The track-to-track test of pairs (a, b) at t_b: whether the 6-D difference of their
    predicted position and velocity, against the two covariances summed, is within the
    chi-square ``gate`` (Bar-Shalom 1981, neglecting the cross-covariance)."""
    same = np.zeros(a.size, dtype=np.bool_)
    xa = np.empty(6)
    xb = np.empty(6)
    pa = np.empty((6, 6))
    pb = np.empty((6, 6))
    for k in range(a.size):
        u, v = a[k], b[k]
        _combined_motion(x, p, mu, u, t_b - t[u], kinds, qs, taus, xa, pa)
        _combined_motion(x, p, mu, v, t_b - t[v], kinds, qs, taus, xb, pb)
        for i in range(6):  # pa += pb, xa -= xb: loops, not array expressions to compile
            xa[i] -= xb[i]
            for j in range(6):
                pa[i, j] += pb[i, j]
        same[k] = _quadratic_solve(pa, xa) < gate
    return same
