"""Association against brute force: GNN optimal, JPDA probabilities exact."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.tracking import _pairing, association


def _random_pairs(seed: int, n_tracks: int, n_plots: int, density: float):
    rng = np.random.default_rng(seed)
    mask = rng.random((n_tracks, n_plots)) < density
    ti, pj = np.nonzero(mask)
    return ti.astype(np.int64), pj.astype(np.int64), rng.uniform(0, 10, ti.size)


def _events(ti, pj, n_tracks):
    """Every joint event: a tuple of pair indices (or -1) per track, plots used once."""
    options = [[-1, *np.flatnonzero(ti == t).tolist()] for t in range(n_tracks)]
    for combo in itertools.product(*options):
        plots = [pj[c] for c in combo if c >= 0]
        if len(plots) == len(set(plots)):
            yield combo


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_tracks=st.integers(1, 5),
    n_plots=st.integers(1, 5),
    density=st.floats(0.2, 0.9),
)
def test_gnn_finds_the_brute_force_optimum(seed, n_tracks, n_plots, density) -> None:
    ti, pj, cost = _random_pairs(seed, n_tracks, n_plots, density)
    miss = 11.0
    chosen = association.gnn(ti, pj, cost, n_tracks, n_plots, miss_cost=miss)
    # each track and plot at most once
    assert len(set(ti[chosen])) == chosen.sum() and len(set(pj[chosen])) == chosen.sum()
    got = cost[chosen].sum() + miss * (n_tracks - chosen.sum())
    best = min(
        sum(cost[c] if c >= 0 else miss for c in combo) for combo in _events(ti, pj, n_tracks)
    )
    assert got == np.float64(best) or abs(got - best) < 1e-9


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_tracks=st.integers(1, 4),
    n_plots=st.integers(1, 4),
    density=st.floats(0.2, 0.9),
)
def test_jpda_probabilities_equal_brute_force(seed, n_tracks, n_plots, density) -> None:
    ti, pj, g = _random_pairs(seed, n_tracks, n_plots, density)
    miss = np.random.default_rng(seed).uniform(0.05, 0.5, n_tracks)
    beta, beta0 = association.jpda(ti, pj, g, miss, n_tracks, n_plots)
    w_pair = np.zeros(ti.size)
    w_miss = np.zeros(n_tracks)
    total = 0.0
    for combo in _events(ti, pj, n_tracks):
        w = np.prod([g[c] if c >= 0 else miss[t] for t, c in enumerate(combo)])
        total += w
        for t, c in enumerate(combo):
            if c >= 0:
                w_pair[c] += w
            else:
                w_miss[t] += w
    np.testing.assert_allclose(beta, w_pair / total, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(beta0, w_miss / total, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(beta0 + np.bincount(ti, beta, minlength=n_tracks), 1.0)


def test_cheap_jpda_of_one_track_is_pda() -> None:
    g = np.array([2.0, 0.5, 1.5])
    ti = np.zeros(3, dtype=np.int64)
    pj = np.arange(3, dtype=np.int64)
    beta, beta0 = association._jpda_cheap(ti, pj, g, np.array([0.3]), np.array([0]))
    np.testing.assert_allclose(beta, g / (0.3 + g.sum()))
    np.testing.assert_allclose(beta0, 0.3 / (0.3 + g.sum()))


def test_large_clusters_fall_back_to_cheap_jpda_and_stay_normalised() -> None:
    n = association.JPDA_EXACT_MAX_TRACKS + 3
    ti, pj, g = _random_pairs(1, n, n, 0.9)
    beta, beta0 = association.jpda(ti, pj, g, np.full(n, 0.2), n, n)
    total = beta0 + np.bincount(ti, beta, minlength=n)
    np.testing.assert_allclose(total, 1.0)
    assert np.all(beta >= 0) and np.all(beta0 >= 0)


def test_candidate_pairs_equal_brute_force_distances() -> None:
    rng = np.random.default_rng(2)
    tracks = rng.uniform(0, 1000, (50, 3))
    plots = rng.uniform(0, 1000, (80, 3))
    radius = rng.uniform(50, 200, 50)
    ti, pj = association.candidate_pairs(tracks, radius, plots)
    d = np.linalg.norm(tracks[:, None] - plots[None], axis=2)
    want = set(zip(*np.nonzero(d <= radius[:, None]), strict=True))
    assert set(zip(ti.tolist(), pj.tolist(), strict=True)) == {(int(a), int(b)) for a, b in want}


def test_clusters_split_independent_groups() -> None:
    ti = np.array([0, 0, 1, 2, 3])
    pj = np.array([0, 1, 1, 2, 2])
    lab = association.clusters(ti, pj, 4, 3)
    assert lab[0] == lab[1] == lab[2]
    assert lab[3] == lab[4] != lab[0]


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_tracks=st.integers(1, 40),
    n_plots=st.integers(1, 40),
    density=st.floats(0.05, 0.5),
)
def test_sparse_solver_finds_the_dense_optimum(seed, n_tracks, n_plots, density) -> None:
    """Large clusters go to the sparse solver; it must reach the dense solver's total cost."""
    ti, pj, cost = _random_pairs(seed, n_tracks, n_plots, density)
    if ti.size == 0:
        return
    miss = 11.0
    dense = association.gnn(ti, pj, cost, n_tracks, n_plots, miss_cost=miss)
    sparse = association._sparse_assignment(ti, pj, cost, n_tracks, n_plots, miss)

    def total(ch):
        return cost[ch].sum() + miss * (n_tracks - ch.sum())

    assert len(set(ti[sparse])) == sparse.sum() and len(set(pj[sparse])) == sparse.sum()
    assert abs(total(sparse) - total(dense)) < 1e-9


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_tracks=st.integers(1, 30),
    n_plots=st.integers(1, 30),
    density=st.floats(0.02, 0.3),
)
def test_union_find_clusters_are_scipys_connected_components(
    seed, n_tracks, n_plots, density
) -> None:
    """Same components, numbered the same way (by each component's lowest vertex)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ti, pj, _ = _random_pairs(seed, n_tracks, n_plots, density)
    if ti.size == 0:
        return
    nv = n_tracks + n_plots
    g = coo_matrix((np.ones(ti.size), (ti, n_tracks + pj)), shape=(nv, nv))
    labels = connected_components(g, directed=False)[1]
    np.testing.assert_array_equal(association.clusters(ti, pj, n_tracks, n_plots), labels[ti])


def test_kd_tree_and_brute_force_candidates_agree(monkeypatch) -> None:
    rng = np.random.default_rng(3)
    tracks = rng.uniform(0, 1000, (60, 3))
    plots = rng.uniform(0, 1000, (70, 3))
    radius = rng.uniform(20, 150, 60)
    brute = association.candidate_pairs(tracks, radius, plots)
    monkeypatch.setattr(association, "BRUTE_FORCE_MAX_PAIRS", 0)
    tree = association.candidate_pairs(tracks, radius, plots)
    assert set(zip(*brute, strict=True)) == set(zip(*tree, strict=True))
    assert np.all(np.diff(brute[0]) >= 0) and np.all(np.diff(tree[0]) >= 0)


def test_runs_is_unique_with_inverse_of_a_sorted_array() -> None:
    a = np.sort(np.random.default_rng(4).integers(0, 30, 80))
    values, inverse = _pairing.runs(a)
    want_values, want_inverse = np.unique(a, return_inverse=True)
    np.testing.assert_array_equal(values, want_values)
    np.testing.assert_array_equal(inverse, want_inverse)
