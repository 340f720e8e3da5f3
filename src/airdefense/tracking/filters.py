"""Batched Kalman filtering: motion models, converted measurements, KF and IMM steps.

Every function works on stacks: states ``x (K, M, d)``, covariances ``P (K, M, d, d)`` and
model probabilities ``mu (K, M)`` for K tracks (or track-plot pairs) and M motion models.
A plain Kalman filter is the case M = 1; an IMM has M > 1 models sharing one state layout.
The position is always ``x[..., 0:3]`` and the velocity ``x[..., 3:6]`` (ENU metres, m/s).

Source: Y. Bar-Shalom, X. R. Li, T. Kirubarajan, *Estimation with Applications to Tracking
and Navigation*, Wiley 2001 (BLK below): KF (5.2.4), motion models (6.2), IMM (11.6.6).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airdefense.tracking import _kernels

FloatArray = NDArray[np.float64]

_I3 = np.eye(3)


# --- motion models --------------------------------------------------------------------------


@dataclass(frozen=True)
class MotionModel:
    """A linear motion model in a ``dim``-dimensional state (6: pos, vel; 9: pos, vel, acc).

    ``kind`` is "cv" (continuous white-noise acceleration, BLK 6.2.2), "ca" (Wiener-process
    acceleration, BLK 6.2.3) or "singer" (the acceleration a first-order Markov process with
    time constant ``tau``: constant acceleration that fades, Singer 1970); ``q`` is the noise
    power spectral density (m^2/s^3 for cv, m^2/s^5 for ca and singer, where
    q = 2 sigma_m^2 / tau for a manoeuvre acceleration sigma_m). A cv model in a 9-state
    layout holds the acceleration at zero.
    """

    kind: str
    q: float
    dim: int = 6
    tau: float = 0.0  # singer: manoeuvre time constant (s)

    def transition(self, dt: FloatArray) -> FloatArray:
        """Transition matrices F (K, dim, dim) for time steps dt (K,)."""
        dt = np.asarray(dt, dtype=np.float64)
        n = self.dim // 3
        if self.kind == "singer":
            a = 1.0 / self.tau
            e = np.exp(-a * dt)
            one, zero = np.ones_like(dt), np.zeros_like(dt)
            blocks = np.array(
                [
                    [one, dt, (a * dt - 1.0 + e) / a**2],
                    [zero, one, (1.0 - e) / a],
                    [zero, zero, e],
                ]
            )
        elif self.kind == "ca":
            blocks = np.array([[1.0 + 0 * dt, dt, 0.5 * dt**2], [0 * dt, 1.0 + 0 * dt, dt]])
            blocks = np.concatenate([blocks, [[0 * dt, 0 * dt, 1.0 + 0 * dt]]])
        else:
            one, zero = np.ones_like(dt), np.zeros_like(dt)
            blocks = np.array([[one, dt, zero], [zero, one, zero], [zero, zero, zero]])[:n, :n]
        return _kron_i3(blocks)

    def noise(self, dt: FloatArray) -> FloatArray:
        """Process noise covariances Q (K, dim, dim) for time steps dt (K,).

        cv: q [[dt^3/3, dt^2/2], [dt^2/2, dt]] per axis (BLK eq. 6.2.2-12).
        ca: q [[dt^5/20, dt^4/8, dt^3/6], [dt^4/8, dt^3/3, dt^2/2], [dt^3/6, dt^2/2, dt]]
        per axis (BLK eq. 6.2.3-8).
        """
        dt = np.abs(np.asarray(dt, dtype=np.float64))
        n = self.dim // 3
        z = np.zeros_like(dt)
        if self.kind == "singer":
            return _kron_i3(_singer_noise(dt, 1.0 / self.tau) * self.q)
        if self.kind == "cv":
            blocks = np.array([[dt**3 / 3, dt**2 / 2, z], [dt**2 / 2, dt, z], [z, z, z]])[:n, :n]
        else:
            blocks = np.array(
                [
                    [dt**5 / 20, dt**4 / 8, dt**3 / 6],
                    [dt**4 / 8, dt**3 / 3, dt**2 / 2],
                    [dt**3 / 6, dt**2 / 2, dt],
                ]
            )
        return _kron_i3(blocks * self.q)


def _singer_noise(dt: FloatArray, a: float) -> FloatArray:
    """Per-axis discrete noise blocks (3, 3, K) of the Singer model for unit spectral density
    (R. A. Singer, "Estimating optimal tracking filter performance for manned maneuvering
    targets", IEEE Trans. AES 6(4), 1970; closed form as in X. R. Li, V. P. Jilkov, "Survey
    of maneuvering target tracking, Part I", IEEE Trans. AES 39(4), 2003, eq. 20).
    Small a*dt falls back to the Wiener-acceleration blocks, its limit, to avoid cancellation.
    """
    t = dt
    x = a * t
    e1, e2 = np.exp(-x), np.exp(-2 * x)
    q11 = (1 - e2 + 2 * x + 2 * x**3 / 3 - 2 * x**2 - 4 * x * e1) / (2 * a**5)
    q12 = (e2 + 1 - 2 * e1 + 2 * x * e1 - 2 * x + x**2) / (2 * a**4)
    q13 = (1 - e2 - 2 * x * e1) / (2 * a**3)
    q22 = (4 * e1 - 3 - e2 + 2 * x) / (2 * a**3)
    q23 = (e2 + 1 - 2 * e1) / (2 * a**2)
    q33 = (1 - e2) / (2 * a)
    small = x < 3e-3  # where cancellation (eps / x^5) would exceed the O(x) limit error
    if np.any(small):
        ts = t[small]
        q11[small], q12[small], q13[small] = ts**5 / 20, ts**4 / 8, ts**3 / 6
        q22[small], q23[small], q33[small] = ts**3 / 3, ts**2 / 2, ts
    return np.array([[q11, q12, q13], [q12, q22, q23], [q13, q23, q33]])


def _kron_i3(blocks: FloatArray) -> FloatArray:
    """(n, n, K) per-axis blocks -> (K, 3n, 3n) state matrices, state ordered (pos, vel, acc)
    by axis triplets: M[3a + i, 3b + j] = blocks[a, b] * delta_ij."""
    n, _, k = blocks.shape
    out = np.zeros((k, n, 3, n, 3))
    idx = np.arange(3)
    out[:, :, idx, :, idx] = np.moveaxis(blocks, -1, 0)[None]
    return out.reshape(k, 3 * n, 3 * n)


def models_for(
    kind: str, q_cv: float, sigma_m: float = 30.0, tau_s: float = 20.0, manoeuvre: str = "singer"
) -> tuple[MotionModel, ...]:
    """The motion models of a filter kind: "cv" (one model, 6 states) or "imm" (cv and a
    constant-acceleration manoeuvre model, 9 states: Singer's of manoeuvre acceleration
    sigma_m (m/s^2) and time constant tau_s, or the Wiener-process one, manoeuvre="ca",
    with the same spectral density q = 2 sigma_m^2 / tau_s)."""
    if kind == "cv":
        return (MotionModel("cv", q_cv, 6),)
    if kind == "imm":
        q = 2.0 * sigma_m**2 / tau_s
        if manoeuvre == "ca":
            return (MotionModel("cv", q_cv, 9), MotionModel("ca", q, 9))
        return (MotionModel("cv", q_cv, 9), MotionModel("singer", q, 9, tau_s))
    raise ValueError(f"unknown filter {kind!r} (allowed: cv, imm)")


def predict(
    models: tuple[MotionModel, ...], x: FloatArray, p: FloatArray, dt: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Kalman prediction of every model of every row over its own dt (BLK eq. 5.2.3-5/-10).

    x (K, M, d), p (K, M, d, d), dt (K,) -> predicted (x, p) of the same shapes.
    """
    f, q = transition_noise(models, dt)
    xo = np.einsum("kmij,kmj->kmi", f, x)
    po = f @ p @ np.swapaxes(f, -1, -2) + q
    return xo, po


def transition_noise(
    models: tuple[MotionModel, ...], dt: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Transition and noise matrices (K, M, d, d) of every model over time steps dt (K,).

    Equal, bit for bit, to stacking :meth:`MotionModel.transition` and
    :meth:`MotionModel.noise` (a test holds them so), in a handful of array calls instead
    of ~40 per model: numpy evaluates the exponentials and powers, a compiled kernel lays
    out the blocks.
    """
    dt = np.ascontiguousarray(dt, dtype=np.float64).reshape(-1)
    k, m, d = dt.shape[0], len(models), models[0].dim
    pw = np.empty((5, k))
    ad = np.abs(dt, out=pw[0])
    np.power(ad, 3, out=pw[1])
    if any(mm.kind != "cv" for mm in models):
        np.power(ad, 4, out=pw[2])
        np.power(ad, 5, out=pw[3])
    f = np.empty((k, m, d, d))
    q = np.empty((k, m, d, d))
    ex = _NO_EXPONENTIALS
    for i, model in enumerate(models):
        c = _NO_CONSTANTS
        if model.kind == "singer":
            c = _singer_constants(model.tau)
            x, ex = _kernels.singer_arguments(dt, ad, c[0])
            np.exp(ex, out=ex)
            np.power(x, 3, out=pw[4])
        _kernels.motion_matrices(_kernels.MODEL_CODES[model.kind], model.q, i, dt, pw, ex, c, f, q)
    return f, q


_NO_CONSTANTS = np.zeros(7)
_NO_EXPONENTIALS = np.zeros((3, 0))


@functools.lru_cache(maxsize=16)
def _singer_constants(tau: float) -> FloatArray:
    """a, a^2, 2a^5, 2a^4, 2a^3, 2a^2, 2a for a = 1 / tau (Python's powers, as
    :func:`_singer_noise` evaluates them)."""
    a = 1.0 / tau
    return np.array([a, a**2, 2 * a**5, 2 * a**4, 2 * a**3, 2 * a**2, 2 * a])


def predict_position(x: FloatArray, mu: FloatArray, dt: FloatArray) -> FloatArray:
    """Combined predicted position (K, 3) of the mixture: the mean only, for gating."""
    pos = x[:, :, 0:3] + x[:, :, 3:6] * dt[:, None, None]
    if x.shape[-1] == 9:
        pos = pos + 0.5 * x[:, :, 6:9] * (dt[:, None, None] ** 2)
    return np.einsum("km,kmi->ki", mu, pos)


def update(
    x: FloatArray, p: FloatArray, z: FloatArray, r: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Kalman update of every model with a position measurement z (K, 3), covariance r (K, 3, 3).

    H picks the position. Returns the updated (x, p), the innovation nu (K, M, 3), its
    covariance S (K, M, 3, 3) and the log-likelihood of the measurement under each model
    (K, M). Covariance in Joseph form for symmetry and positivity (BLK eq. 5.2.3-18).
    """
    k, m, d = x.shape
    nu = z[:, None, :] - x[:, :, 0:3]
    s = p[:, :, 0:3, 0:3] + r[:, None]
    s = 0.5 * (s + np.swapaxes(s, -1, -2))
    chol = np.linalg.cholesky(s)
    s_inv = np.linalg.inv(s)
    pht = p[:, :, :, 0:3]  # P H^T (K, M, d, 3)
    gain = pht @ s_inv  # (K, M, d, 3)
    xu = x + np.einsum("kmij,kmj->kmi", gain, nu)
    ikh = np.broadcast_to(np.eye(d), (k, m, d, d)).copy()
    ikh[:, :, :, 0:3] -= gain
    pu = ikh @ p @ np.swapaxes(ikh, -1, -2) + gain @ r[:, None] @ np.swapaxes(gain, -1, -2)
    pu = 0.5 * (pu + np.swapaxes(pu, -1, -2))
    d2 = np.einsum("kmi,kmij,kmj->km", nu, s_inv, nu)
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(-1)
    loglik = -0.5 * (d2 + logdet + 3.0 * np.log(2.0 * np.pi))
    return xu, pu, nu, s, loglik


def combine(x: FloatArray, p: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Moment-matched mean (K, d) and covariance (K, d, d) of a Gaussian mixture
    (BLK eq. 11.6.6-20/-21)."""
    xc = np.einsum("km,kmi->ki", mu, x)
    dx = x - xc[:, None, :]
    pc = np.einsum("km,kmij->kij", mu, p + dx[..., :, None] * dx[..., None, :])
    return xc, pc


def mix(
    x: FloatArray, p: FloatArray, mu: FloatArray, pi: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """IMM interaction (mixing) step, BLK 11.6.6 steps 1-2.

    pi (M, M) Markov switching matrix, pi[i, j] = P(model j next | model i now).
    Returns the mixed initial conditions x0 (K, M, d), p0 (K, M, d, d) and the predicted
    model probabilities c (K, M).
    """
    if x.shape[1] == 1:
        return x, p, mu
    c = mu @ pi  # (K, M): c_j = sum_i pi_ij mu_i
    w = mu[:, :, None] * pi[None, :, :] / np.maximum(c[:, None, :], 1e-300)  # mu_{i|j}
    x0 = np.einsum("kij,kid->kjd", w, x)
    dx = x[:, :, None, :] - x0[:, None, :, :]  # (K, i, j, d)
    wdx = w[..., None] * dx
    p0 = np.einsum("kij,kiab->kjab", w, p) + np.einsum("kija,kijb->kjab", wdx, dx)
    return x0, p0, c


def model_posterior(c: FloatArray, loglik: FloatArray) -> FloatArray:
    """Model probabilities after an update: mu_j ∝ Lambda_j c_j (BLK eq. 11.6.6-15)."""
    a = loglik + np.log(np.maximum(c, 1e-300))
    a = a - a.max(axis=1, keepdims=True)
    w = np.exp(a)
    return w / w.sum(axis=1, keepdims=True)


# --- measurements ---------------------------------------------------------------------------


def converted_measurement(
    rng: FloatArray,
    az: FloatArray,
    el: FloatArray,
    sigma_r: FloatArray,
    sigma_az: FloatArray,
    sigma_el: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Unbiased converted measurement of (range, azimuth, elevation) in the sensor's local ENU
    axes, and its measurement-conditioned covariance.

    Azimuth is clockwise from north: e = r cos(el) sin(az), n = r cos(el) cos(az),
    u = r sin(el). The plain conversion is biased by the factors
    lambda = exp(-sigma^2 / 2) of each angle; dividing them out removes the bias, and the
    covariance is the conditional mean-square error given the measured values:
    L. Mo, X. Song, Y. Zhou, Z. Sun, Y. Bar-Shalom, "Unbiased converted measurements for
    tracking", IEEE Trans. AES 34(3), 1998; 3-D form and the conditional covariance from
    Z. Duan, C. Han, X. R. Li, "Comments on 'Unbiased converted measurements for
    tracking'", IEEE Trans. AES 40(4), 2004.

    Returns z (K, 3) and R (K, 3, 3).
    """
    rng, az, el = (np.asarray(a, dtype=np.float64) for a in (rng, az, el))
    la = np.exp(-0.5 * np.asarray(sigma_az) ** 2)
    le = np.exp(-0.5 * np.asarray(sigma_el) ** 2)
    sa, ca, se, ce = np.sin(az), np.cos(az), np.sin(el), np.cos(el)
    z = np.stack([rng * ce * sa / (la * le), rng * ce * ca / (la * le), rng * se / le], axis=-1)
    # conditional moments of the true position given the measured values
    r2 = rng**2 + np.asarray(sigma_r) ** 2
    la4, le4 = la**4, le**4
    c2a, s2a, c2e, s2e = np.cos(2 * az), np.sin(2 * az), np.cos(2 * el), np.sin(2 * el)
    e_sin2a, e_cos2a, e_sca = 0.5 * (1 - la4 * c2a), 0.5 * (1 + la4 * c2a), 0.5 * la4 * s2a
    e_sin2e, e_cos2e, e_sce = 0.5 * (1 - le4 * c2e), 0.5 * (1 + le4 * c2e), 0.5 * le4 * s2e
    mean = np.stack([rng * le * ce * la * sa, rng * le * ce * la * ca, rng * le * se], axis=-1)
    m2 = np.empty((*rng.shape, 3, 3))
    m2[..., 0, 0] = r2 * e_cos2e * e_sin2a
    m2[..., 1, 1] = r2 * e_cos2e * e_cos2a
    m2[..., 2, 2] = r2 * e_sin2e
    m2[..., 0, 1] = m2[..., 1, 0] = r2 * e_cos2e * e_sca
    m2[..., 0, 2] = m2[..., 2, 0] = r2 * e_sce * la * sa
    m2[..., 1, 2] = m2[..., 2, 1] = r2 * e_sce * la * ca
    bias = z - mean
    cov = m2 - mean[..., :, None] * mean[..., None, :] + bias[..., :, None] * bias[..., None, :]
    return z, cov


def chi2_gate(probability: float, dof: int = 3) -> float:
    """Mahalanobis-squared gate holding the true measurement with this probability
    (chi-square quantile; Blackman and Popoli 1999, section 6.3.2). The expression of
    ``scipy.stats.chi2.ppf`` (equal to the last bit, a test checks) without importing
    ``scipy.stats``, ~0.4 s of every run's start."""
    from scipy.special import gammaincinv

    return float(2.0 * gammaincinv(dof / 2.0, probability))
