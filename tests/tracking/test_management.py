"""The track bookkeeping kernels against the numpy code they replaced (kept here as the
reference): missed revisits, hits and quality, deletion marks, compaction, output rows,
the duplicate test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from airdefense.tracking import _kernels, _management, _pairing, filters
from airdefense.tracking.measurements import COASTING, CONFIRMED, TENTATIVE

W = 0.2  # the tracker's QUALITY_WEIGHT
DECAY = (1 - W) ** np.arange(4096)


def _misses_ref(seen, revisit, idx, t):
    """Tracker._misses as it was in numpy."""
    s = seen[idx]
    rev = revisit[None, : s.shape[1]]
    t = np.asarray(t, dtype=np.float64).reshape(-1, 1) if np.ndim(t) else t
    with np.errstate(invalid="ignore"):
        m = np.floor((t - s) / rev - 0.5)
    m = np.where(np.isfinite(m), m, np.inf)
    best = m.min(axis=1)
    return np.where(np.isfinite(best), best, 0).clip(0).astype(np.int64)


def _book(n: int = 40, seed: int = 0):
    """Random bookkeeping arrays of n tracks seen by 3 sensor columns (one without revisit)."""
    rng = np.random.default_rng(seed)
    seen = rng.uniform(0, 100, (n, 3))
    seen[rng.random((n, 3)) < 0.3] = np.nan
    return {
        "seen": seen,
        "revisit": np.array([10.0, 4.0, np.nan]),
        "hits": rng.integers(0, 6, n),
        "quality": rng.uniform(0, 1, n),
        "reported": rng.integers(0, 3, n),
        "truth": rng.integers(-1, 50, n),
        "status": rng.integers(0, 2, n),
    }


def test_register_hits_equals_the_numpy_bookkeeping() -> None:
    b = _book()
    rng = np.random.default_rng(1)
    ti = rng.permutation(40)[:25]
    pj = rng.integers(0, 30, 25)
    t_plot = rng.uniform(100, 140, 30)
    col = rng.integers(0, 3, 30)
    truth_plot = rng.integers(-1, 9, 30)
    ref = {k: v.copy() for k, v in b.items()}
    # the numpy version
    ref["hits"][ti] += 1
    missed = np.maximum(_misses_ref(ref["seen"], ref["revisit"], ti, t_plot[pj]), 0)
    q = ref["quality"]
    q[ti] = q[ti] * (1 - W) ** (missed - ref["reported"][ti]).clip(0) * (1 - W) + W
    ref["seen"][ti, col[pj]] = t_plot[pj]
    ref["truth"][ti] = truth_plot[pj]
    ref["reported"][ti] = 0
    confirm = ti[(ref["status"][ti] == TENTATIVE) & (ref["hits"][ti] >= 3)]
    ref["status"][confirm] = CONFIRMED
    got = _management.register_hits(
        ti, pj, t_plot, col, truth_plot, b["revisit"], DECAY, W, 3,
        b["hits"], b["quality"], b["seen"], b["reported"], b["truth"], b["status"],
    )  # fmt: skip
    np.testing.assert_array_equal(got, confirm)
    for k in b:
        np.testing.assert_array_equal(b[k], ref[k], err_msg=k)


def test_missed_revisits_and_lost_tracks_equal_the_numpy_management() -> None:
    b = _book(seed=2)
    n, t_b = 40, 130.0
    rng = np.random.default_rng(3)
    updated = rng.random(n) < 0.3
    ref_q, ref_rep = b["quality"].copy(), b["reported"].copy()
    misses = _misses_ref(b["seen"], b["revisit"], np.arange(n), t_b)
    misses[updated] = 0
    newly = np.flatnonzero((misses > ref_rep) & ~updated)
    ref_q[newly] *= (1 - W) ** (misses[newly] - ref_rep[newly])
    ref_rep[newly] = misses[newly]
    got, got_newly = _management.missed_revisits(
        t_b, n, updated, b["seen"], b["revisit"], DECAY, b["reported"], b["quality"]
    )
    np.testing.assert_array_equal(got, misses)
    np.testing.assert_array_equal(got_newly, newly)
    np.testing.assert_array_equal(b["quality"], ref_q)
    np.testing.assert_array_equal(b["reported"], ref_rep)
    # deletions: M of N out of reach, too many misses, too wide
    t0 = rng.uniform(60, 130, n)
    rev0 = np.where(rng.random(n) < 0.2, np.nan, 10.0)
    spread = rng.uniform(0, 3 * 25e3**2, n)
    status, hits = b["status"], b["hits"]
    tent, conf = status == TENTATIVE, status == CONFIRMED
    chances = 1 + np.floor((t_b - t0) / np.where(np.isfinite(rev0), rev0, np.inf) + 0.5)
    want = (tent & (misses >= 2)) | (tent & (chances - hits > 2))
    want |= conf & ((misses >= 3) | (np.sqrt(spread / 3.0) > 20e3))
    drop = _management.lost_tracks(t_b, misses, status, hits, t0, rev0, spread, 2, 3, 2, 20e3)
    np.testing.assert_array_equal(drop, want)


def test_compact_keeps_the_rows_in_order() -> None:
    rng = np.random.default_rng(4)
    n = 30
    arrays = [
        rng.integers(0, 99, n),
        rng.normal(size=(n, 2, 9)),
        rng.normal(size=(n, 2, 9, 9)),
        rng.normal(size=(n, 2)),
        *(rng.normal(size=n) for _ in range(2)),
        rng.integers(0, 2, n),
        rng.integers(0, 5, n),
        rng.normal(size=n),
        rng.normal(size=(n, 3)),
        rng.normal(size=n),
        *(rng.integers(0, 9, n) for _ in range(3)),
    ]
    keep = rng.random(n) < 0.6
    want = [a[keep] for a in arrays]
    assert _management.compact(keep, *arrays) == keep.sum()
    for a, w in zip(arrays, want, strict=True):
        np.testing.assert_array_equal(a[: keep.sum()], w)


def _imm(n: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    models = filters.models_for("imm", 5.0, 30.0, 20.0, "singer")
    a = rng.normal(size=(n, 2, 9, 9))
    p = a @ np.swapaxes(a, -1, -2) * 30 + np.eye(9) * 10
    x = rng.normal(0, 3000, (n, 2, 9))
    mu = rng.dirichlet([1, 1], size=n)
    return models, x, p, mu, rng


def test_rows_are_the_combined_states() -> None:
    models, x, p, mu, rng = _imm(12)
    t = rng.uniform(0, 50, 12)
    status = rng.integers(0, 2, 12)
    ids, q, truth = np.arange(100, 112), rng.uniform(0, 1, 12), rng.integers(-1, 5, 12)
    sel = np.array([0, 4, 5, 11])
    f, i = _management.updated_rows(sel, x, p, mu, t, status, ids, q, truth)
    xc, pc = filters.combine(x[sel], p[sel], mu[sel])
    np.testing.assert_allclose(f[1:7].T, xc[:, 0:6], rtol=1e-13)
    np.testing.assert_allclose(f[7:10].T ** 2, np.diagonal(pc[:, 0:3, 0:3], 0, 1, 2), rtol=1e-12)
    np.testing.assert_array_equal(f[0], t[sel])
    np.testing.assert_array_equal(i, np.stack([ids[sel], status[sel], truth[sel]]))
    xp, pp = filters.predict(models, x[sel], p[sel], 60.0 - t[sel])
    f, i = _management.predicted_rows(sel, xp, pp, 60.0, mu, status, ids, q, truth, True, False)
    np.testing.assert_allclose(f[1:7].T, filters.combine(xp, pp, mu[sel])[0][:, 0:6], rtol=1e-13)
    np.testing.assert_array_equal(i[1], np.where(status[sel] == CONFIRMED, COASTING, TENTATIVE))
    np.testing.assert_array_equal(i[2], -1)


def test_merge_rows_sorts_like_lexsort() -> None:
    rng = np.random.default_rng(6)
    f1, f2 = rng.normal(size=(11, 7)), rng.normal(size=(11, 5))
    f1[0] = rng.integers(0, 3, 7)  # times shared by several rows
    f2[0] = rng.integers(0, 3, 5)
    i1 = np.stack([rng.permutation(7), rng.integers(0, 3, 7), rng.integers(-1, 4, 7)])
    i2 = np.stack([rng.permutation(5) + 7, rng.integers(0, 3, 5), rng.integers(-1, 4, 5)])
    f, i = _management.merge_rows(f1, i1, f2, i2)
    fa, ia = np.concatenate([f1, f2], axis=1), np.concatenate([i1, i2], axis=1)
    order = np.lexsort((ia[0], fa[0]))
    np.testing.assert_array_equal(f, fa[:, order])
    np.testing.assert_array_equal(i, ia[:, order])


def test_near_tracks_equal_the_kd_tree_search() -> None:
    _, x, _, mu, rng = _imm(60)
    x[:, :, 0:3] = rng.uniform(0, 20e3, (60, 1, 3))  # both models near one position
    t = rng.uniform(0, 10, 60)
    status = np.where(rng.random(60) < 0.7, CONFIRMED, TENTATIVE)
    updated = rng.random(60) < 0.5
    spread = rng.uniform(1e4, 4e6, 60)
    a, b, any_ = _pairing.near_tracks(x, mu, t, 12.0, status, updated, spread)
    assert any_
    conf = np.flatnonzero(status == CONFIRMED)
    upd = np.flatnonzero(updated & (status == CONFIRMED))
    pos = filters.predict_position(x, mu, 12.0 - t)
    dist, nn = cKDTree(pos[conf]).query(pos[upd], k=2)
    other = conf[nn[:, 1]]  # nn[:, 0] is the track itself
    near = dist[:, 1] ** 2 <= 9.0 * (spread[upd] + spread[other])
    np.testing.assert_array_equal(a, upd[near])
    np.testing.assert_array_equal(b, other[near])


@pytest.mark.parametrize("n", [2, 6])
def test_duplicate_test_statistic_equals_numpy(n: int) -> None:
    models, x, p, mu, rng = _imm(n)
    t = rng.uniform(0, 10, n)
    kinds = np.array([_kernels.CV, _kernels.SINGER])
    qs, taus = np.array([m.q for m in models]), np.array([1.0, 20.0])
    xc, pc = np.empty(6), np.empty((6, 6))
    xs, ps = filters.predict(models, x, p, 12.0 - t)
    xr, pr = filters.combine(xs, ps, mu)
    for k in range(n):
        _kernels._combined_motion(x, p, mu, k, 12.0 - t[k], kinds, qs, taus, xc, pc)
        np.testing.assert_allclose(xc, xr[k, 0:6], rtol=1e-12)
        np.testing.assert_allclose(pc, pr[k, 0:6, 0:6], rtol=1e-9, atol=1e-6)
    s = pr[0, 0:6, 0:6] + pr[1, 0:6, 0:6]
    d = xr[0, 0:6] - xr[1, 0:6]
    want = d @ np.linalg.solve(s, d)
    assert _kernels._quadratic_solve(s.copy(), d) == pytest.approx(want, rel=1e-10)
    same = _kernels.duplicate_test(
        np.array([0]), np.array([1]), x, p, mu, t, 12.0, kinds, qs, taus, 16.81
    )
    assert same[0] == (want < 16.81)


def test_duplicate_marks_count_consecutive_checks() -> None:
    ids = np.array([5, 2, 9, 7])
    dup = np.array([2, 0, 1, 4])
    tested = np.array([True, True, False, True])
    # pairs (0, 1) same: 0 is the younger (id 5 > 2); (2, 3) not the same
    out = _management.duplicate_marks(
        np.array([0, 2]), np.array([1, 3]), np.array([True, False]), tested, ids, 3, dup
    )
    np.testing.assert_array_equal(dup, [3, 0, 1, 0])
    np.testing.assert_array_equal(out, [True, False, False, False])
