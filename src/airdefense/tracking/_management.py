"""Compiled kernels of the tracker's per-batch bookkeeping: hits, quality and
confirmation, missed revisits, deletion marks, duplicate counts, new tracks, dropping
tracks, and the output rows.

Each is one loop over the live tracks doing what a dozen numpy calls did on arrays of ~100
rows, where the calls cost more than the work. They write into the tracker's own arrays
(passed in) and keep its arithmetic, so outputs are unchanged bit for bit;
``tests/tracking/test_management.py`` holds them to the numpy code they replaced.

No kernel here calls one in another file: numba's cache (``cache=True``) would not notice
when that file changed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from airdefense.tracking.measurements import COASTING, CONFIRMED, TENTATIVE


@njit(cache=True)
def _missed(seen: np.ndarray, revisit: np.ndarray, n: int, t: float) -> int:
    """Consecutive missed revisits of track n at time t: the fewest over the sensors that
    have seen it (a revisit counts as missed half a period after it was due), 0 if none."""
    best = np.inf
    for s in range(seen.shape[1]):
        m = np.floor((t - seen[n, s]) / revisit[s] - 0.5)
        if np.isfinite(m) and m < best:
            best = m
    if not np.isfinite(best) or best < 0:
        return 0
    return int(best)


@njit(cache=True)
def register_hits(
    ti: np.ndarray,
    pj: np.ndarray,
    t_plot: np.ndarray,
    col: np.ndarray,
    truth_plot: np.ndarray,
    revisit: np.ndarray,
    decay: np.ndarray,
    weight: float,
    confirm_m: int,
    hits: np.ndarray,
    quality: np.ndarray,
    seen: np.ndarray,
    reported: np.ndarray,
    truth: np.ndarray,
    status: np.ndarray,
) -> np.ndarray:
    """Bookkeeping of tracks ti (distinct) detected by plots pj: one more hit, the quality
    score decayed over the revisits missed since the last report and raised by the hit,
    the sensor's last-seen time, the plot's truth id; tentative tracks with ``confirm_m``
    hits become confirmed. ``decay[e]`` is (1 - weight)^e (numpy's power, beyond the table
    zero). Returns the tracks confirmed now."""
    confirmed = np.empty(ti.size, dtype=np.int64)
    nc = 0
    for k in range(ti.size):
        n, j = ti[k], pj[k]
        hits[n] += 1
        e = _missed(seen, revisit, n, t_plot[j]) - reported[n]
        e = max(e, 0)
        f = decay[e] if e < decay.size else 0.0
        quality[n] = quality[n] * f * (1 - weight) + weight
        seen[n, col[j]] = t_plot[j]
        truth[n] = truth_plot[j]
        reported[n] = 0
        if status[n] == TENTATIVE and hits[n] >= confirm_m:
            status[n] = CONFIRMED
            confirmed[nc] = n
            nc += 1
    return confirmed[:nc]


@njit(cache=True)
def missed_revisits(
    t_b: float,
    n: int,
    updated: np.ndarray,
    seen: np.ndarray,
    revisit: np.ndarray,
    decay: np.ndarray,
    reported: np.ndarray,
    quality: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Missed revisits of the first n tracks at the batch time t_b (0 for tracks updated in
    the batch), and the tracks that missed one more than already reported: their quality
    decays by ``decay[new misses]`` and the count is reported. Returns (misses, newly)."""
    out = np.empty(n, dtype=np.int64)
    newly = np.empty(n, dtype=np.int64)
    nn = 0
    for i in range(n):
        m = 0 if updated[i] else _missed(seen, revisit, i, t_b)
        out[i] = m
        if m > reported[i] and not updated[i]:
            e = m - reported[i]
            quality[i] *= decay[e] if e < decay.size else 0.0
            reported[i] = m
            newly[nn] = i
            nn += 1
    return out, newly[:nn]


@njit(cache=True)
def lost_tracks(
    t_b: float,
    misses: np.ndarray,
    status: np.ndarray,
    hits: np.ndarray,
    t0: np.ndarray,
    rev0: np.ndarray,
    spread: np.ndarray,
    tentative_max_misses: int,
    max_misses: int,
    slack: int,
    max_sigma: float,
) -> np.ndarray:
    """Tracks to delete (mask over ``misses``' tracks): tentative ones that missed
    ``tentative_max_misses`` revisits or can no longer reach M of N (more than ``slack`` =
    N - M of their revisit opportunities missed), confirmed ones that missed
    ``max_misses`` or whose predicted position sigma exceeds ``max_sigma``."""
    n = misses.size
    drop = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if status[i] == TENTATIVE:
            r0 = rev0[i] if np.isfinite(rev0[i]) else np.inf
            chances = 1 + np.floor((t_b - t0[i]) / r0 + 0.5)
            drop[i] = misses[i] >= tentative_max_misses or chances - hits[i] > slack
        elif status[i] == CONFIRMED:
            drop[i] = misses[i] >= max_misses or np.sqrt(spread[i] / 3.0) > max_sigma
    return drop


@njit(cache=True)
def start_tracks(
    n0: int,
    pidx: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    t_plot: np.ndarray,
    col: np.ndarray,
    mu0: np.ndarray,
    speed_var: float,
    revisit: np.ndarray,
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    t: np.ndarray,
    t0: np.ndarray,
    status: np.ndarray,
    hits: np.ndarray,
    quality: np.ndarray,
    seen: np.ndarray,
    reported: np.ndarray,
    dup: np.ndarray,
    rev0: np.ndarray,
) -> None:
    """New tentative tracks in rows n0.. on plots pidx: the position and its covariance
    from the plot, zero velocity with variance ``speed_var`` per axis, and in a 9-state
    IMM's manoeuvre model zero acceleration with a 1 g sigma prior."""
    m_n, d = x.shape[1], x.shape[2]
    for k in range(pidx.size):
        n, j = n0 + k, pidx[k]
        x[n] = 0.0
        p[n] = 0.0
        for m in range(m_n):
            for a in range(3):
                x[n, m, a] = z[j, a]
                for b in range(3):
                    p[n, m, a, b] = r[j, a, b]
                p[n, m, 3 + a, 3 + a] = speed_var
            mu[n, m] = mu0[m]
        if d == 9:
            for a in range(3):
                p[n, 1, 6 + a, 6 + a] = 10.0**2
        t[n] = t_plot[j]
        t0[n] = t_plot[j]
        status[n] = TENTATIVE
        hits[n] = 0
        quality[n] = 0.0
        seen[n] = np.nan
        reported[n] = 0
        dup[n] = 0
        rev0[n] = revisit[col[j]]


def compact(keep: np.ndarray, *arrays: np.ndarray) -> int:
    """Move the kept tracks (mask over the first ``keep.size`` rows) to the front of every
    track array, in order; returns how many (the arrays in ``Tracker._FIELDS`` order). Plain
    numpy: a run compacts a few hundred times, ~40 us each, and compiling this cost ~0.7 s
    of the first run."""
    n = keep.size
    k = int(np.count_nonzero(keep))
    for a in arrays:
        a[:k] = a[:n][keep]
    return k


@njit(cache=True)
def store_updates(
    ti: np.ndarray,
    pj: np.ndarray,
    xu: np.ndarray,
    pu: np.ndarray,
    w: np.ndarray,
    t_plot: np.ndarray,
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    t: np.ndarray,
) -> None:
    """Write updated states xu, pu of tracks ti, their model probabilities (the weights w
    (K, M) normalised) and their time, that of plots pj."""
    m_n = w.shape[1]
    d = x.shape[2]
    for k in range(ti.size):
        n = ti[k]
        for m in range(m_n):  # element by element: see compact
            for a in range(d):
                x[n, m, a] = xu[k, m, a]
                for b in range(d):
                    p[n, m, a, b] = pu[k, m, a, b]
        tot = 0.0
        for m in range(m_n):
            tot += w[k, m]
        for m in range(m_n):
            mu[n, m] = w[k, m] / tot
        t[n] = t_plot[pj[k]]


# --- output rows ------------------------------------------------------------------------
# A block of rows is a float array (11, K): t, x, y, z, vx, vy, vz, sx, sy, sz, quality, and
# an int array (3, K): track_id, status, truth_id; one column per row.


@njit(cache=True)
def _state_columns(
    x: np.ndarray, p: np.ndarray, mu: np.ndarray, s: int, u: int, f: np.ndarray, k: int
) -> None:
    """Combined position and velocity and the position sigmas of state s (of x, p) with
    model probabilities mu[u] into f[1:10, k] (filters.combine's arithmetic)."""
    m_n = x.shape[1]
    for a in range(6):
        acc = 0.0
        for m in range(m_n):
            acc += mu[u, m] * x[s, m, a]
        f[1 + a, k] = acc
    for a in range(3):
        acc = 0.0
        for m in range(m_n):
            dxa = x[s, m, a] - f[1 + a, k]
            acc += mu[u, m] * (p[s, m, a, a] + dxa * dxa)
        f[7 + a, k] = np.sqrt(0.0 if acc < 0.0 else acc)


@njit(cache=True)
def updated_rows(
    sel: np.ndarray,
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    t: np.ndarray,
    status: np.ndarray,
    ids: np.ndarray,
    quality: np.ndarray,
    truth: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of tracks sel at their last update (the truth id of its plot)."""
    k_n = sel.size
    f = np.empty((11, k_n))
    i = np.empty((3, k_n), dtype=np.int64)
    for k in range(k_n):
        n = sel[k]
        f[0, k] = t[n]
        _state_columns(x, p, mu, n, n, f, k)
        f[10, k] = quality[n]
        i[0, k] = ids[n]
        i[1, k] = status[n]
        i[2, k] = truth[n]
    return f, i


@njit(cache=True)
def predicted_rows(
    sel: np.ndarray,
    xp: np.ndarray,
    pp: np.ndarray,
    t_to: float,
    mu: np.ndarray,
    status: np.ndarray,
    ids: np.ndarray,
    quality: np.ndarray,
    truth: np.ndarray,
    coasting: bool,
    keep_truth: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of tracks sel predicted to t_to (states xp[k], pp[k] for sel[k]): confirmed
    tracks marked coasting if ``coasting``; truth id -1 unless ``keep_truth``."""
    k_n = sel.size
    f = np.empty((11, k_n))
    i = np.empty((3, k_n), dtype=np.int64)
    for k in range(k_n):
        n = sel[k]
        f[0, k] = t_to
        _state_columns(xp, pp, mu, k, n, f, k)
        f[10, k] = quality[n]
        i[0, k] = ids[n]
        st = status[n]
        if coasting:
            st = COASTING if st == CONFIRMED else TENTATIVE
        i[1, k] = st
        i[2, k] = truth[n] if keep_truth else -1
    return f, i


def merge_rows(
    f1: np.ndarray, i1: np.ndarray, f2: np.ndarray, i2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two blocks of rows joined and sorted by time, then track number (stable). Plain numpy:
    four calls per batch cost microseconds, while compiling them (numba's merge sort and
    array-copy checks) cost ~5 s of the first run."""
    f = np.concatenate([f1, f2], axis=1)
    i = np.concatenate([i1, i2], axis=1)
    order = np.lexsort((i[0], f[0]))
    return f[:, order], i[:, order]


@njit(cache=True)
def duplicate_marks(
    a: np.ndarray,
    b: np.ndarray,
    same: np.ndarray,
    tested: np.ndarray,
    ids: np.ndarray,
    checks: int,
    dup: np.ndarray,
) -> np.ndarray:
    """Consecutive duplicate checks: the younger track of each pair (a, b) found the ``same``
    target gets one more; the other ``tested`` tracks (the updated confirmed ones, mask over
    the first n) start again from zero. Returns the tracks with ``checks`` in a row."""
    n = tested.size
    younger = np.zeros(n, dtype=np.bool_)
    for k in range(a.size):
        if same[k]:
            u, v = a[k], b[k]
            younger[u if ids[u] > ids[v] else v] = True
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if younger[i]:
            dup[i] += 1
            out[i] = dup[i] >= checks
        elif tested[i]:
            dup[i] = 0
    return out
