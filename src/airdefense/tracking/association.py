"""Gating, clustering and data association over whole batches of tracks and plots.

Pairs are kept as flat arrays ``(ti, pj)`` of track and plot indices with a value per pair,
never as a dense tracks x plots matrix: a picture of 10,000 tracks has ~10^4 gated pairs, not
10^8 cells. Independent groups (connected components of the gated-pair graph) are solved
separately; the trivial ones (one track or one plot) in one compiled pass, the rest with
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
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from airdefense.tracking import _pairing

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Largest GNN cluster (tracks x (plots + tracks) cells) solved as a dense matrix; larger ones
#: (a crowd of new tracks meeting the next scan) go to the sparse solver.
DENSE_MAX_CELLS = 250_000

#: Most track-plot combinations gated by brute force (a radar batch against the picture);
#: beyond, a KD-tree of the plots finds the candidates in N log K.
BRUTE_FORCE_MAX_PAIRS = 40_000

#: Largest cluster (tracks) whose JPDA weights are found by enumerating every joint event;
#: larger ones use Fitzgerald's cheap JPDA.
JPDA_EXACT_MAX_TRACKS = 6
#: ... and largest number of gated pairs in such a cluster.
JPDA_EXACT_MAX_PAIRS = 24


def candidate_pairs(
    track_pos: FloatArray, radius: FloatArray, plot_pos: FloatArray
) -> tuple[IntArray, IntArray]:
    """Track-plot pairs closer than each track's radius: by brute force for a radar batch
    (up to :data:`BRUTE_FORCE_MAX_PAIRS` track-plot combinations), else with a KD-tree of
    the plots.

    track_pos (N, 3), radius (N,), plot_pos (K, 3) -> (ti, pj) index arrays, sorted by track.
    The radius bounds the Mahalanobis gate from outside, so no pair inside the gate is lost.
    """
    n, k = track_pos.shape[0], plot_pos.shape[0]
    if n == 0 or k == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    if n * k <= BRUTE_FORCE_MAX_PAIRS:
        return _pairing.pairs_within(
            np.ascontiguousarray(track_pos, dtype=np.float64),
            np.ascontiguousarray(radius, dtype=np.float64),
            np.ascontiguousarray(plot_pos, dtype=np.float64),
        )
    hits = cKDTree(plot_pos).query_ball_point(track_pos, radius, return_sorted=False)
    counts = np.fromiter(map(len, hits), dtype=np.int64, count=n)
    pj = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=int(counts.sum()))
    ti = np.repeat(np.arange(n, dtype=np.int64), counts)
    return ti, pj


def clusters(ti: IntArray, pj: IntArray, n_tracks: int, n_plots: int) -> IntArray:
    """Cluster label of each pair: connected components of the bipartite gated-pair graph
    (numbered as ``scipy.sparse.csgraph.connected_components`` numbers them)."""
    if ti.size == 0:
        return np.zeros(0, dtype=np.int64)
    return _pairing.components(_int64(ti), _int64(pj), int(n_tracks), int(n_plots))


def _int64(a: NDArray[np.integer]) -> IntArray:
    return np.ascontiguousarray(a, dtype=np.int64)


def gnn(
    ti: IntArray, pj: IntArray, cost: FloatArray, n_tracks: int, n_plots: int, miss_cost: float
) -> NDArray[np.bool_]:
    """Global nearest neighbour: the chosen pairs (mask) minimising the summed cost, each track
    and each plot used at most once, a track left unassigned at ``miss_cost``.

    Pair costs are gated (cost < miss_cost), so the solution assigns as many pairs as it can.
    Clusters with one track or one plot (most of them) are solved by one argmin each, in
    one compiled pass; the others by ``linear_sum_assignment`` on the cluster's cost matrix
    augmented with a dummy column per track (Blackman and Popoli 1999, section 6.5).
    """
    if ti.size == 0:
        return np.zeros(0, dtype=bool)
    ti, pj = _int64(ti), _int64(pj)
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    chosen, order, bounds = _pairing.gnn_easy(ti, pj, cost, int(n_tracks), int(n_plots))
    solve_clusters(ti, pj, cost, miss_cost, chosen, order, bounds)
    return chosen


def solve_clusters(
    ti: IntArray,
    pj: IntArray,
    cost: FloatArray,
    miss_cost: float,
    chosen: NDArray[np.bool_],
    order: IntArray,
    bounds: IntArray,
) -> None:
    """The GNN clusters left by :func:`_pairing.gnn_easy` (pairs ``order[bounds[i]:
    bounds[i + 1]]``), each solved by an assignment solver into the mask ``chosen``."""
    for a, b in itertools.pairwise(bounds.tolist()):
        grp = order[a:b]
        chosen[grp] = _assign_cluster(ti[grp], pj[grp], cost[grp], miss_cost)


def _assign_cluster(
    ti: IntArray, pj: IntArray, cost: FloatArray, miss_cost: float
) -> NDArray[np.bool_]:
    """The optimal assignment within one cluster (dense, or sparse when large)."""
    tl, pl, nt, npl = _pairing.cluster_index(ti, pj)
    if nt * (npl + nt) > DENSE_MAX_CELLS:
        return _sparse_assignment(tl, pl, cost, nt, npl, miss_cost)
    rows, cols = linear_sum_assignment(_pairing.assignment_matrix(tl, pl, cost, nt, npl, miss_cost))
    return _pairing.assigned_pairs(tl, pl, rows, cols, nt, npl)


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
