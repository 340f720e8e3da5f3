"""Compiled kernels of gating geometry and association on the small graphs of one radar
batch: predicted positions and gate radii, candidate track-plot pairs, their clusters, the
easy GNN clusters, and the nearest-track search of the duplicate test.

A batch pairs ~100 tracks with ~40 plots: a KD-tree, ``scipy.sparse.csgraph`` and a dozen
numpy set operations cost far more in call overhead than the work. These loops do the same
jobs in one call each; :mod:`~airdefense.tracking.association` keeps the KD-tree for large
pictures (tests hold the two equal).

No kernel here calls one in another file: numba's cache (``cache=True``) would not notice
when that file changed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from airdefense.tracking.measurements import CONFIRMED

# --- gating geometry -----------------------------------------------------------------------


@njit(cache=True)
def _nanmax(a: float, b: float) -> float:
    """max propagating NaN, as numpy's."""
    if a != a or b != b:
        return np.nan
    return a if a >= b else b


@njit(cache=True)
def predicted_position(
    x: np.ndarray, mu: np.ndarray, t: np.ndarray, t_to: float, idx: np.ndarray
) -> np.ndarray:
    """:func:`filters.predict_position` of tracks idx (last updated at t) at time t_to."""
    k_n = idx.size
    m_n, d = x.shape[1], x.shape[2]
    pos = np.empty((k_n, 3))
    for k in range(k_n):
        n = idx[k]
        dt = t_to - t[n]
        for a in range(3):
            acc = 0.0
            for m in range(m_n):
                v = x[n, m, a] + x[n, m, 3 + a] * dt
                if d == 9:
                    v = v + 0.5 * x[n, m, 6 + a] * (dt * dt)
                acc += mu[n, m] * v
            pos[k, a] = acc
    return pos


@njit(cache=True)
def _spread(
    p: np.ndarray, n: int, t: float, ad3: float, d4: float, ad5: float, q_max: float, q0: float
) -> float:
    """Upper bound of track n's predicted position variance trace (m^2) over t, the largest
    over models, given |t|^3, t^4 and |t|^5."""
    m_n, d = p.shape[1], p.shape[2]
    best = 0.0
    for m in range(m_n):
        tp = p[n, m, 0, 0] + p[n, m, 1, 1] + p[n, m, 2, 2]
        tpv = p[n, m, 0, 3] + p[n, m, 1, 4] + p[n, m, 2, 5]
        tv = p[n, m, 3, 3] + p[n, m, 4, 4] + p[n, m, 5, 5]
        var = tp + 2 * t * tpv + t * t * tv
        if d == 9:
            ta = p[n, m, 6, 6] + p[n, m, 7, 7] + p[n, m, 8, 8]
            tva = tv * ta
            var = var + 0.25 * d4 * ta + ad3 * np.sqrt(0.0 if tva < 0.0 else tva)
            var = var + q_max * ad5 / 20 * 3 + q0 * ad3
        else:
            var = var + q0 * ad3
        best = var if m == 0 else _nanmax(best, var)
    return best


@njit(cache=True)
def position_spread(
    p: np.ndarray, t: np.ndarray, t_to: float, n: int, q_max: float, q0: float
) -> np.ndarray:
    """Upper bound of the predicted position variance trace (m^2) of the first n tracks
    (last updated at t) at t_to, the largest over models. (It feeds decisions only, track
    deletion and the duplicate test: compiled powers.)"""
    out = np.empty(n)
    for k in range(n):
        dt = t_to - t[k]
        ad = abs(dt)
        out[k] = _spread(p, k, dt, ad**3.0, dt**4.0, ad**5.0, q_max, q0)
    return out


@njit(cache=True)
def gate_geometry(
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    t: np.ndarray,
    t_b: float,
    tidx: np.ndarray,
    t_plot: np.ndarray,
    r: np.ndarray,
    pidx: np.ndarray,
    gate: float,
    q_max: float,
    q0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted positions (K, 3) of tracks tidx at the batch time t_b, and a radius (m)
    around each holding its whole gate for plots pidx: the position spread plus the
    largest measurement variance, plus the motion over the farthest plot's time offset at
    the track's speed and velocity uncertainty, plus 1 m. (A bound, not a test: powers are
    the compiled ones here.)"""
    span = 0.0
    rmax = -np.inf
    for j in pidx:
        span = max(span, abs(t_plot[j] - t_b))
        rmax = max(rmax, r[j, 0, 0] + r[j, 1, 1] + r[j, 2, 2])
    pos = predicted_position(x, mu, t, t_b, tidx)
    m_n = x.shape[1]
    radius = np.empty(tidx.size)
    for k in range(tidx.size):
        n = tidx[k]
        dt = t_b - t[n]
        ad = abs(dt)
        var = _spread(p, n, dt, ad**3.0, dt**4.0, ad**5.0, q_max, q0)
        v2 = 0.0
        for a in range(3):
            acc = 0.0
            for m in range(m_n):
                acc += mu[n, m] * x[n, m, 3 + a]
            v2 += acc * acc
        tv = 0.0
        for m in range(m_n):
            tm = p[n, m, 3, 3] + p[n, m, 4, 4] + p[n, m, 5, 5]
            tv = tm if m == 0 else _nanmax(tv, tm)
        radius[k] = np.sqrt(gate * (var + rmax)) + span * (np.sqrt(v2) + np.sqrt(gate * tv)) + 1.0
    return pos, radius


# --- candidate pairs and clusters ----------------------------------------------------------


@njit(cache=True)
def pairs_within(
    track_pos: np.ndarray, radius: np.ndarray, plot_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Track-plot pairs closer than each track's radius, by brute force: (ti, pj) sorted by
    track, then plot (the set :func:`association.candidate_pairs` finds with a KD-tree)."""
    n, k = track_pos.shape[0], plot_pos.shape[0]
    ti = np.empty(n * k, dtype=np.int64)
    pj = np.empty(n * k, dtype=np.int64)
    c = 0
    for i in range(n):
        r2 = radius[i] * radius[i]
        for j in range(k):
            dx = track_pos[i, 0] - plot_pos[j, 0]
            dy = track_pos[i, 1] - plot_pos[j, 1]
            dz = track_pos[i, 2] - plot_pos[j, 2]
            if (dx * dx + dy * dy) + dz * dz <= r2:
                ti[c] = i
                pj[c] = j
                c += 1
    return ti[:c], pj[:c]


@njit(cache=True)
def _root(parent: np.ndarray, v: int) -> int:
    while parent[v] != v:
        parent[v] = parent[parent[v]]
        v = parent[v]
    return v


@njit(cache=True)
def components(ti: np.ndarray, pj: np.ndarray, n_tracks: int, n_plots: int) -> np.ndarray:
    """Cluster label of each pair: connected components of the bipartite track-plot graph
    (union-find), numbered as ``scipy.sparse.csgraph.connected_components`` numbers them
    (in the order of each component's lowest vertex, tracks before plots)."""
    nv = n_tracks + n_plots
    parent = np.arange(nv)
    for e in range(ti.size):
        a = _root(parent, ti[e])
        b = _root(parent, n_tracks + pj[e])
        if a != b:
            if a < b:
                parent[b] = a
            else:
                parent[a] = b
    lab = np.full(nv, -1, dtype=np.int64)
    nxt = 0
    for v in range(nv):
        r = _root(parent, v)
        if lab[r] < 0:
            lab[r] = nxt
            nxt += 1
    out = np.empty(ti.size, dtype=np.int64)
    for e in range(ti.size):
        out[e] = lab[_root(parent, ti[e])]
    return out


@njit(cache=True)
def gnn_easy(
    ti: np.ndarray, pj: np.ndarray, cost: np.ndarray, n_tracks: int, n_plots: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The GNN clusters with one track or one plot, solved: the cheapest pair of each (the
    first on ties). Returns the chosen mask and the pairs of the other clusters (two tracks
    and two plots or more), left to an assignment solver: their indices grouped by
    cluster, and where each cluster's group starts (and the last ends)."""
    label = components(ti, pj, n_tracks, n_plots)
    n_lab = 0
    for e in range(label.size):
        n_lab = max(n_lab, label[e] + 1)
    nt = np.zeros(n_lab, dtype=np.int64)
    npl = np.zeros(n_lab, dtype=np.int64)
    seen_t = np.zeros(n_tracks, dtype=np.bool_)
    seen_p = np.zeros(n_plots, dtype=np.bool_)
    for e in range(ti.size):
        if not seen_t[ti[e]]:
            seen_t[ti[e]] = True
            nt[label[e]] += 1
        if not seen_p[pj[e]]:
            seen_p[pj[e]] = True
            npl[label[e]] += 1
    best = np.full(n_lab, -1, dtype=np.int64)
    size = np.zeros(n_lab, dtype=np.int64)  # pairs of each hard cluster
    for e in range(ti.size):
        g = label[e]
        if nt[g] == 1 or npl[g] == 1:
            if best[g] < 0 or cost[e] < cost[best[g]]:
                best[g] = e
        else:
            size[g] += 1
    chosen = np.zeros(ti.size, dtype=np.bool_)
    for g in range(n_lab):
        if best[g] >= 0:
            chosen[best[g]] = True
    # hard pairs grouped by cluster label, in pair order within each (a counting sort)
    start = np.zeros(n_lab + 1, dtype=np.int64)
    for g in range(n_lab):
        start[g + 1] = start[g] + size[g]
    fill = start[:-1].copy()
    order = np.empty(start[n_lab], dtype=np.int64)
    for e in range(ti.size):
        g = label[e]
        if size[g]:
            order[fill[g]] = e
            fill[g] += 1
    n_hard = 0
    for g in range(n_lab):
        n_hard += size[g] > 0
    bounds = np.empty(n_hard + 1, dtype=np.int64)
    bounds[0] = 0
    h = 0
    for g in range(n_lab):
        if size[g]:
            h += 1
            bounds[h] = start[g + 1]
    return chosen, order, bounds


def cluster_index(ti: np.ndarray, pj: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """One cluster's pairs renumbered: each pair's row (its track among the cluster's,
    sorted) and column (its plot), and the numbers of tracks and plots. Plain numpy: the
    calls cost microseconds, while compiling numba's unique and sort cost ~1.5 s of the
    first run."""
    tracks = np.unique(ti)
    plots = np.unique(pj)
    return np.searchsorted(tracks, ti), np.searchsorted(plots, pj), tracks.size, plots.size


def assignment_matrix(
    tl: np.ndarray, pl: np.ndarray, cost: np.ndarray, nt: int, npl: int, miss_cost: float
) -> np.ndarray:
    """One cluster's GNN cost matrix: nt tracks x (npl plots + one dummy plot per track),
    the pair costs, ``miss_cost`` on each track's own dummy and a prohibitive cost
    elsewhere. (Plain numpy, as :func:`cluster_index`: beside the assignment solver its
    calls cost nothing, and compiling it cost the first run ~0.3 s.)"""
    m = np.full((nt, npl + nt), miss_cost * 1e6 + 1e6)
    m[tl, pl] = cost
    own = np.arange(nt)
    m[own, npl + own] = miss_cost
    return m


def assigned_pairs(
    tl: np.ndarray, pl: np.ndarray, rows: np.ndarray, cols: np.ndarray, nt: int, npl: int
) -> np.ndarray:
    """Mask of the pairs (tl, pl) that an assignment (rows[k] -> cols[k]) of nt tracks made,
    dummy columns (>= npl) left out. (Plain numpy.)"""
    col_of = np.full(nt, -1, dtype=np.int64)
    real = cols < npl
    col_of[rows[real]] = cols[real]
    return col_of[tl] == pl


@njit(cache=True)
def runs(sorted_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(a, return_inverse=True)`` of a sorted array: the distinct values and
    each element's index among them."""
    n = sorted_ids.size
    inverse = np.empty(n, dtype=np.int64)
    values = np.empty(n, dtype=sorted_ids.dtype)
    u = -1
    for k in range(n):
        if k == 0 or sorted_ids[k] != sorted_ids[k - 1]:
            u += 1
            values[u] = sorted_ids[k]
        inverse[k] = u
    return values[: u + 1], inverse


# --- one stage's candidates, fused ----------------------------------------------------------


@njit(cache=True)
def candidates(
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    t: np.ndarray,
    t_b: float,
    tidx: np.ndarray,
    t_plot: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    pidx: np.ndarray,
    gate: float,
    q_max: float,
    q0: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs of tracks tidx and plots pidx (the radius test of
    :func:`gate_geometry` by brute force): track and plot indices (ti, pj) sorted
    by track, then plot; the distinct tracks ut and each pair's index among them; each
    pair's time step from the track's last update to the plot."""
    pos, radius = gate_geometry(x, p, mu, t, t_b, tidx, t_plot, r, pidx, gate, q_max, q0)
    zp = np.empty((pidx.size, 3))
    for k in range(pidx.size):
        for a in range(3):  # element by element: no array assignment's shape check
            zp[k, a] = z[pidx[k], a]
    ti_l, pj_l = pairs_within(pos, radius, zp)
    ti = tidx[ti_l]
    pj = pidx[pj_l]
    ut, row = runs(ti)
    dt = np.empty(ti.size)
    for k in range(ti.size):
        dt[k] = t_plot[pj[k]] - t[ti[k]]
    return ti, pj, ut, row, dt


# --- the duplicate test's candidates ---------------------------------------------------------


@njit(cache=True)
def nearest_other(pos: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``pos[rows]``, the nearest other point of pos (N, 3), by brute force:
    its index and distance (as a KD-tree's k=2 query, summing squares in the same order)."""
    k_n = rows.size
    best = np.empty(k_n, dtype=np.int64)
    dist = np.empty(k_n)
    for k in range(k_n):
        u = rows[k]
        b, d2b = -1, np.inf
        for j in range(pos.shape[0]):
            if j == u:
                continue
            dx = pos[j, 0] - pos[u, 0]
            dy = pos[j, 1] - pos[u, 1]
            dz = pos[j, 2] - pos[u, 2]
            d2 = (dx * dx + dy * dy) + dz * dz
            if d2 < d2b:
                b, d2b = j, d2
        best[k] = b
        dist[k] = np.sqrt(d2b)
    return best, dist


@njit(cache=True)
def near_tracks(
    x: np.ndarray,
    mu: np.ndarray,
    t: np.ndarray,
    t_b: float,
    status: np.ndarray,
    updated: np.ndarray,
    spread: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The duplicate test's candidates, by brute force: each confirmed track updated in the
    batch (mask ``updated`` over the first n tracks) and its nearest other confirmed track
    at t_b, kept when their distance is within 3 sigma of the two position spreads summed.
    Returns (a, b) and whether there was anything to test (an update, two confirmed)."""
    n = updated.size
    conf = np.empty(n, dtype=np.int64)
    rows = np.empty(n, dtype=np.int64)
    nc = nu = 0
    for i in range(n):
        if status[i] == CONFIRMED:
            if updated[i]:
                rows[nu] = nc
                nu += 1
            conf[nc] = i
            nc += 1
    a = np.empty(nu, dtype=np.int64)
    b = np.empty(nu, dtype=np.int64)
    if nu == 0 or nc < 2:
        return a[:0], b[:0], False
    conf = conf[:nc]
    pos = predicted_position(x, mu, t, t_b, conf)
    nearest, gap = nearest_other(pos, rows[:nu])
    c = 0
    for k in range(nu):
        u, v = conf[rows[k]], conf[nearest[k]]
        if gap[k] * gap[k] <= 9.0 * (spread[u] + spread[v]):
            a[c] = u
            b[c] = v
            c += 1
    return a[:c], b[:c], True
