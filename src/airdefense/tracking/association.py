"""Gating, clustering and data association over whole batches of tracks and plots.

Pairs are kept as flat arrays ``(ti, pj)`` of track and plot indices with a value per pair,
never as a dense tracks x plots matrix: a picture of 10,000 tracks has ~10^4 gated pairs, not
10^8 cells. Independent groups (connected components of the gated-pair graph) are solved
separately; the trivial ones (one track or one plot) in one vectorised step, the rest with
``scipy.optimize.linear_sum_assignment`` (GNN) or joint-event enumeration (JPDA).

Sources: S. Blackman, R. Popoli, *Design and Analysis of Modern Tracking Systems*, Artech
House 1999, chapters 6 (gating, GNN) and 6.6 (JPDA); Y. Bar-Shalom, F. Daum, J. Huang,
"The probabilistic data association filter", IEEE Control Systems 29(6), 2009; R. J.
Fitzgerald, "Development of practical PDA logic for multitarget tracking by microprocessor",
in *Multitarget-Multisensor Tracking: Advanced Applications*, Artech House 1990 ("cheap JPDA").
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Largest GNN cluster (tracks x (plots + tracks) cells) solved as a dense matrix; larger ones
#: (a crowd of new tracks meeting the next scan) go to the sparse solver.
DENSE_MAX_CELLS = 250_000

#: Largest cluster (tracks) whose JPDA weights are found by enumerating every joint event;
#: larger ones use Fitzgerald's cheap JPDA.
JPDA_EXACT_MAX_TRACKS = 6
#: ... and largest number of gated pairs in such a cluster.
JPDA_EXACT_MAX_PAIRS = 24


def candidate_pairs(
    track_pos: FloatArray, radius: FloatArray, plot_pos: FloatArray
) -> tuple[IntArray, IntArray]:
    """Track-plot pairs closer than each track's radius, found with a KD-tree of the plots.

    track_pos (N, 3), radius (N,), plot_pos (K, 3) -> (ti, pj) index arrays, sorted by track.
    The radius bounds the Mahalanobis gate from outside, so no pair inside the gate is lost.
    """
    n, k = track_pos.shape[0], plot_pos.shape[0]
    if n == 0 or k == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    hits = cKDTree(plot_pos).query_ball_point(track_pos, radius, return_sorted=False)
    counts = np.fromiter(map(len, hits), dtype=np.int64, count=n)
    pj = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=int(counts.sum()))
    ti = np.repeat(np.arange(n, dtype=np.int64), counts)
    return ti, pj


def clusters(ti: IntArray, pj: IntArray, n_tracks: int, n_plots: int) -> IntArray:
    """Cluster label of each pair: connected components of the bipartite gated-pair graph."""
    if ti.size == 0:
        return np.zeros(0, dtype=np.int64)
    g = coo_matrix(
        (np.ones(ti.size, dtype=np.int8), (ti, n_tracks + pj)),
        shape=(n_tracks + n_plots, n_tracks + n_plots),
    )
    _, labels = connected_components(g, directed=False)
    return labels[ti].astype(np.int64)


def _group_sizes(ti: IntArray, pj: IntArray, label: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct tracks and distinct plots in each pair's cluster."""
    # a track (plot) lies in exactly one cluster: count each once, by its first pair
    n_lab = int(label.max()) + 1
    first_t = np.unique(ti, return_index=True)[1]
    first_p = np.unique(pj, return_index=True)[1]
    nt = np.bincount(label[first_t], minlength=n_lab)
    npl = np.bincount(label[first_p], minlength=n_lab)
    return nt[label], npl[label]


def gnn(
    ti: IntArray, pj: IntArray, cost: FloatArray, n_tracks: int, n_plots: int, miss_cost: float
) -> NDArray[np.bool_]:
    """Global nearest neighbour: the chosen pairs (mask) minimising the summed cost, each track
    and each plot used at most once, a track left unassigned at ``miss_cost``.

    Pair costs are gated (cost < miss_cost), so the solution assigns as many pairs as it can.
    Clusters with one track or one plot are solved by one argmin each, vectorised; the
    others by ``linear_sum_assignment`` on the cluster's cost matrix augmented with a
    dummy column per track (Blackman and Popoli 1999, section 6.5).
    """
    chosen = np.zeros(ti.size, dtype=bool)
    if ti.size == 0:
        return chosen
    deg_t = np.bincount(ti, minlength=n_tracks)[ti]
    deg_p = np.bincount(pj, minlength=n_plots)[pj]
    isolated = (deg_t == 1) & (deg_p == 1)  # the common case: a cluster of one pair
    chosen[isolated] = True
    if isolated.all():
        return chosen
    rest = np.flatnonzero(~isolated)
    chosen[rest] = _gnn_clusters(ti[rest], pj[rest], cost[rest], n_tracks, n_plots, miss_cost)
    return chosen


def _gnn_clusters(
    ti: IntArray, pj: IntArray, cost: FloatArray, n_tracks: int, n_plots: int, miss_cost: float
) -> NDArray[np.bool_]:
    chosen = np.zeros(ti.size, dtype=bool)
    label = clusters(ti, pj, n_tracks, n_plots)
    nt, npl = _group_sizes(ti, pj, label)
    simple = (nt == 1) | (npl == 1)
    s_idx = np.flatnonzero(simple)
    if s_idx.size:
        order = s_idx[np.lexsort((cost[s_idx], label[s_idx]))]
        first = np.ones(order.size, dtype=bool)
        first[1:] = label[order][1:] != label[order][:-1]
        chosen[order[first]] = True
    c_idx = np.flatnonzero(~simple)
    if c_idx.size:
        order = c_idx[np.argsort(label[c_idx], kind="stable")]
        bounds = np.flatnonzero(np.diff(label[order])) + 1
        for grp in np.split(order, bounds):
            tracks, tl = np.unique(ti[grp], return_inverse=True)
            plots, pl = np.unique(pj[grp], return_inverse=True)
            nt_, np_ = tracks.size, plots.size
            if nt_ * (np_ + nt_) > DENSE_MAX_CELLS:
                chosen[grp] = _sparse_assignment(tl, pl, cost[grp], nt_, np_, miss_cost)
                continue
            big = miss_cost * 1e6 + 1e6
            m = np.full((nt_, np_ + nt_), big)
            m[tl, pl] = cost[grp]
            m[np.arange(nt_), np_ + np.arange(nt_)] = miss_cost
            rows, cols = linear_sum_assignment(m)
            real = cols < np_
            lookup = np.full((nt_, np_), -1, dtype=np.int64)
            lookup[tl, pl] = grp
            sel = lookup[rows[real], cols[real]]
            chosen[sel[sel >= 0]] = True
    return chosen


def _sparse_assignment(
    tl: IntArray, pl: IntArray, cost: FloatArray, nt: int, npl: int, miss_cost: float
) -> NDArray[np.bool_]:
    """The same optimum as the dense augmented matrix, on a sparse graph: each track's gated
    plots plus its own dummy plot at ``miss_cost`` (scipy's LAPJVsp,
    ``min_weight_full_bipartite_matching``). Costs are shifted by a constant to stay
    positive (a sparse matrix has no explicit zeros); every track is matched exactly once,
    so the shift moves all solutions equally."""
    shift = 1.0 - min(float(cost.min()), miss_cost)
    rows = np.concatenate([tl, np.arange(nt)])
    cols = np.concatenate([pl, npl + np.arange(nt)])
    w = np.concatenate([cost + shift, np.full(nt, miss_cost + shift)])
    graph = csr_matrix((w, (rows, cols)), shape=(nt, npl + nt))
    _, col_of_row = min_weight_full_bipartite_matching(graph)
    return col_of_row[tl] == pl


def jpda(
    ti: IntArray, pj: IntArray, g: FloatArray, miss: FloatArray, n_tracks: int, n_plots: int
) -> tuple[FloatArray, FloatArray]:
    """JPDA association probabilities.

    g (pairs,): the weight of "plot j is track i's" relative to clutter, P_D L_ij / lambda;
    miss (n_tracks,): the weight of "track i not detected", 1 - P_D P_G.
    Returns beta (pairs,) and beta0 (n_tracks,) with beta0 + sum_j beta_ij = 1 per track
    (tracks without pairs get beta0 = 1).

    A joint event assigns each track at most one plot and each plot at most one track; its
    weight is the product of g over assigned pairs and of miss over undetected tracks
    (Blackman and Popoli 1999, eq. 6.62). Clusters of one track reduce to the PDA closed
    form (Bar-Shalom et al. 2009, eq. 37), computed vectorised; clusters up to
    :data:`JPDA_EXACT_MAX_TRACKS` tracks are enumerated exactly; larger ones use
    Fitzgerald's cheap JPDA, beta_ij = G_ij / (T_i + S_j - G_ij + 1) with G = g / miss.
    """
    beta = np.zeros(ti.size)
    beta0 = np.ones(n_tracks)
    if ti.size == 0:
        return beta, beta0
    # a track whose plots are all its own alone forms a one-track cluster (PDA)
    deg_p = np.bincount(pj, minlength=n_plots)[pj]
    shared = np.zeros(n_tracks, dtype=bool)
    shared[ti[deg_p > 1]] = True
    single = ~shared[ti]
    label = np.zeros(ti.size, dtype=np.int64)
    if not single.all():
        label = clusters(ti, pj, n_tracks, n_plots)
    # PDA for isolated tracks
    s = np.flatnonzero(single)
    if s.size:
        tot = miss.copy()
        np.add.at(tot, ti[s], g[s])
        beta[s] = g[s] / tot[ti[s]]
        touched = np.unique(ti[s])
        beta0[touched] = miss[touched] / tot[touched]
    multi = np.flatnonzero(~single)
    if multi.size:
        order = multi[np.argsort(label[multi], kind="stable")]
        bounds = np.flatnonzero(np.diff(label[order])) + 1
        for grp in np.split(order, bounds):
            tracks = np.unique(ti[grp])
            if tracks.size <= JPDA_EXACT_MAX_TRACKS and grp.size <= JPDA_EXACT_MAX_PAIRS:
                b, b0 = _jpda_exact(ti[grp], pj[grp], g[grp], miss, tracks)
            else:
                b, b0 = _jpda_cheap(ti[grp], pj[grp], g[grp], miss, tracks)
            beta[grp] = b
            beta0[tracks] = b0
    return beta, beta0


def _jpda_exact(
    ti: IntArray, pj: IntArray, g: FloatArray, miss: FloatArray, tracks: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Enumerate the joint events of one small cluster."""
    options = [np.flatnonzero(ti == t) for t in tracks]
    beta = np.zeros(ti.size)
    beta0 = np.zeros(tracks.size)
    total = 0.0

    def walk(k: int, used: frozenset[int], weight: float, picks: list[int]) -> None:
        nonlocal total
        if k == len(options):
            total += weight
            for i, pair in enumerate(picks):
                if pair < 0:
                    beta0[i] += weight
                else:
                    beta[pair] += weight
            return
        walk(k + 1, used, weight * miss[tracks[k]], [*picks, -1])
        for pair in options[k]:
            if pj[pair] not in used:
                walk(k + 1, used | {int(pj[pair])}, weight * g[pair], [*picks, int(pair)])

    walk(0, frozenset(), 1.0, [])
    return beta / total, beta0 / total


def _jpda_cheap(
    ti: IntArray, pj: IntArray, g: FloatArray, miss: FloatArray, tracks: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Fitzgerald's cheap JPDA for one large cluster."""
    gg = g / miss[ti]
    _, tl = np.unique(ti, return_inverse=True)
    _, pl = np.unique(pj, return_inverse=True)
    t_sum = np.bincount(tl, weights=gg)
    s_sum = np.bincount(pl, weights=gg)
    beta = gg / (t_sum[tl] + s_sum[pl] - gg + 1.0)
    tot = np.bincount(tl, weights=beta, minlength=tracks.size)
    scale = np.where(tot > 1.0, 1.0 / np.maximum(tot, 1e-300), 1.0)
    beta = beta * scale[tl]
    beta0 = 1.0 - np.bincount(tl, weights=beta, minlength=tracks.size)
    return beta, np.clip(beta0, 0.0, 1.0)
