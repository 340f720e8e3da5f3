"""Compiled (numba) kernels of the flyout-table lookup and the predicted intercept point
(:func:`airdefense.engagement.flyout.times_at`, :func:`~airdefense.engagement.flyout.intercept_point`).

Why a loop and not numpy: the intercept of one (threat, missile type) pair is the *first*
sample of the threat's predicted path the missile reaches in time, refined by bisection. In
numpy every pair is sampled over the whole horizon (~100 samples of ~30 operations each) and
each bisection step is a dozen calls on small arrays; the engagement stage asks for a few
hundred pairs in each of ~450 decision cycles, so numpy's call overhead and the samples
after the first feasible one were most of the work. Compiled, each pair stops at its first
feasible sample.

Geometry (as the flyout kernels): the height above the WGS-84 ellipsoid by the
geocentric-latitude radius ``h = |r| - ab / sqrt(b^2 cos^2(phi) + a^2 sin^2(phi))`` (within
~0.6 m of the geodetic height below 100 km), the ground range as the great-circle distance
on the mean-radius sphere ``R atan2(|u_a x u_b|, u_a . u_b)`` (IUGG mean radius, Moritz 2000).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from airdefense.geo import EARTH_MEAN_RADIUS_M, WGS84_A, WGS84_B

_AB = WGS84_A * WGS84_B
_A2 = WGS84_A**2
_B2 = WGS84_B**2

# columns of the per-table limits array
LIM_R0, LIM_R1, LIM_H0, LIM_H1, LIM_MAX_R, LIM_MIN_H, LIM_MAX_H, LIM_MIN_R = range(8)


@njit(cache=True, nogil=True)
def _cell(grid, a, n, v):
    """``np.searchsorted(grid[a : a + n], v, side="right") - 1`` clamped to a cell of the
    grid (0 to n - 2), for a finite v on an increasing grid: a bisection, without numba's
    generic searchsorted to compile."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if grid[a + mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return min(max(lo - 1, 0), n - 2)


@njit(cache=True, nogil=True)
def lookup(m, r, h, gr, gh, tt, r_off, nr, h_off, nh, t_off, lim):
    """Flyout time of missile type ``m`` to ground range ``r`` and height ``h`` by bilinear
    interpolation in its table (NaN outside the grid or the envelope)."""
    if not (
        r >= lim[m, LIM_R0]
        and r <= lim[m, LIM_R1]
        and h >= lim[m, LIM_H0]
        and h <= lim[m, LIM_H1]
        and r <= lim[m, LIM_MAX_R]
        and h >= lim[m, LIM_MIN_H]
        and h <= lim[m, LIM_MAX_H]
        and math.hypot(r, h) >= lim[m, LIM_MIN_R]
    ):
        return np.nan
    a, n_r = r_off[m], nr[m]
    i = _cell(gr, a, n_r, r)
    b, n_h = h_off[m], nh[m]
    j = _cell(gh, b, n_h, h)
    r0, r1 = gr[a + i], gr[a + i + 1]
    h0, h1 = gh[b + j], gh[b + j + 1]
    fr = (r - r0) / (r1 - r0)
    fh = (h - h0) / (h1 - h0)
    base = t_off[m] + i * n_h + j
    c00 = tt[base]
    c01 = tt[base + 1]
    c10 = tt[base + n_h]
    c11 = tt[base + n_h + 1]
    return (1 - fr) * (1 - fh) * c00 + fr * (1 - fh) * c10 + (1 - fr) * fh * c01 + fr * fh * c11


@njit(cache=True, nogil=True)
def lookup_many(mt, r, h, gr, gh, tt, r_off, nr, h_off, nh, t_off, lim):
    """:func:`lookup` of many points (flat arrays)."""
    out = np.empty(mt.size)
    for p in range(mt.size):
        out[p] = lookup(mt[p], r[p], h[p], gr, gh, tt, r_off, nr, h_off, nh, t_off, lim)
    return out


@njit(cache=True, nogil=True)
def _range_height(sx, sy, sz, px, py, pz, c, zax):
    """Ground range from site s to point p and the point's height (see the module doc)."""
    ax, ay, az = sx - c[0], sy - c[1], sz - c[2]
    bx, by, bz = px - c[0], py - c[1], pz - c[2]
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    rng = EARTH_MEAN_RADIUS_M * math.atan2(
        math.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz
    )
    rn = math.sqrt(bx * bx + by * by + bz * bz)
    s = (bx * zax[0] + by * zax[1] + bz * zax[2]) / rn
    h = rn - _AB / math.sqrt(_B2 * (1.0 - s * s) + _A2 * s * s)
    return rng, h


@njit(cache=True, nogil=True)
def intercept_kernel(
    mt, site, p0, v0, acc, delay, horizon, step, n_iter, c, zax,
    gr, gh, tt, r_off, nr, h_off, nh, t_off, lim,
):  # fmt: skip
    """Earliest intercept of each pair: ``tau`` after now (NaN if none), the PIP (P, 3), the
    flyout time and the reason code (0 feasible, 1 out of altitude, 2 out of range, 3 too
    late). The path ``p0 + v0 tau + acc tau^2 / 2`` is sampled every ``step`` up to the
    pair's horizon or its first point below the ground; the first sample with
    ``flyout(PIP) <= tau - delay`` is refined by ``n_iter`` bisections of the step before."""
    n = mt.size
    tau_out = np.full(n, np.nan)
    pip = np.full((n, 3), np.nan)
    fly_out = np.full(n, np.nan)
    reason = np.zeros(n, dtype=np.int8)
    for p in range(n):
        m = mt[p]
        sx, sy, sz = site[p, 0], site[p, 1], site[p, 2]
        in_band = False
        reach = False
        first = -1
        k = 0
        while True:
            tau = k * step
            if tau > horizon[p]:
                break
            q = 0.5 * tau * tau
            px = p0[p, 0] + v0[p, 0] * tau + acc[p, 0] * q
            py = p0[p, 1] + v0[p, 1] * tau + acc[p, 1] * q
            pz = p0[p, 2] + v0[p, 2] * tau + acc[p, 2] * q
            rng, h = _range_height(sx, sy, sz, px, py, pz, c, zax)
            if h < 0.0:  # on the ground: the path ends
                break
            if h >= lim[m, LIM_MIN_H] and h <= lim[m, LIM_MAX_H]:
                in_band = True
            f = lookup(m, rng, h, gr, gh, tt, r_off, nr, h_off, nh, t_off, lim)
            if not math.isnan(f):
                reach = True
                if f <= tau - delay[p]:
                    first = k
                    break
            k += 1
        if first < 0:
            reason[p] = 1 if not in_band else (2 if not reach else 3)
            continue
        hi = first * step
        lo = hi - step if first > 0 else hi
        for _ in range(n_iter):
            mid = 0.5 * (lo + hi)
            q = 0.5 * mid * mid
            px = p0[p, 0] + v0[p, 0] * mid + acc[p, 0] * q
            py = p0[p, 1] + v0[p, 1] * mid + acc[p, 1] * q
            pz = p0[p, 2] + v0[p, 2] * mid + acc[p, 2] * q
            rng, h = _range_height(sx, sy, sz, px, py, pz, c, zax)
            f = lookup(m, rng, h, gr, gh, tt, r_off, nr, h_off, nh, t_off, lim)
            if f <= mid - delay[p] and h >= 0.0:  # False for NaN
                hi = mid
            else:
                lo = mid
        q = 0.5 * hi * hi
        px = p0[p, 0] + v0[p, 0] * hi + acc[p, 0] * q
        py = p0[p, 1] + v0[p, 1] * hi + acc[p, 1] * q
        pz = p0[p, 2] + v0[p, 2] * hi + acc[p, 2] * q
        rng, h = _range_height(sx, sy, sz, px, py, pz, c, zax)
        tau_out[p] = hi
        pip[p, 0], pip[p, 1], pip[p, 2] = px, py, pz
        fly_out[p] = lookup(m, rng, h, gr, gh, tt, r_off, nr, h_off, nh, t_off, lim)
    return tau_out, pip, fly_out, reason
