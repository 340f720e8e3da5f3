"""The Monte Carlo statistics against published values and known distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from airdefense.montecarlo.stats import (
    bootstrap_mean_interval,
    bootstrap_means,
    point_stats,
    running_proportion,
    wilson_bounds,
    wilson_interval,
)

# Newcombe, R. G. (1998) "Two-sided confidence intervals for the single proportion:
# comparison of seven methods", Stat. Med. 17:857-872, Table II, method 3 (Wilson score
# interval without continuity correction), 95%.
NEWCOMBE_1998 = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("k", "n", "lo", "hi"), NEWCOMBE_1998)
def test_wilson_matches_newcombe_1998(k: int, n: int, lo: float, hi: float) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)


def test_wilson_agrees_with_agresti_coull_centre() -> None:
    # Agresti & Coull (1998), Am. Stat. 52:119-126: the Wilson interval's midpoint is the
    # "add z^2/2 successes and failures" estimate (k + z^2/2) / (n + z^2).
    z = sps.norm.ppf(0.975)
    for k, n in [(3, 10), (0, 5), (17, 40)]:
        lo, hi = wilson_interval(k, n)
        if k:
            assert (lo + hi) / 2 == pytest.approx((k + z * z / 2) / (n + z * z), rel=1e-12)


def test_wilson_arrays_match_scalars_and_edges() -> None:
    k = np.array([0, 1, 5, 10, 0])
    n = np.array([10, 10, 10, 10, 0])
    lo, hi = wilson_bounds(k, n)
    for i in range(4):
        assert (lo[i], hi[i]) == wilson_interval(int(k[i]), int(n[i]))
        assert 0.0 <= lo[i] <= k[i] / n[i] <= hi[i] <= 1.0
    assert lo[0] == 0.0 and hi[3] == 1.0
    assert math.isnan(lo[4]) and math.isnan(hi[4])
    # symmetric: k successes is n - k failures
    a, b = wilson_interval(3, 17)
    c, d = wilson_interval(14, 17)
    assert (a, b) == pytest.approx((1 - d, 1 - c), abs=1e-12)
    # higher confidence, wider interval
    assert wilson_interval(3, 17, 0.99)[1] > b
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_running_proportion_ends_at_the_full_estimate() -> None:
    x = np.array([True, False, True, True, False, True])
    p, lo, hi = running_proportion(x)
    assert p.tolist() == pytest.approx([1, 1 / 2, 2 / 3, 3 / 4, 3 / 5, 4 / 6])
    assert (lo[-1], hi[-1]) == wilson_interval(4, 6)


def test_bootstrap_se_of_the_mouse_data() -> None:
    # Efron & Tibshirani (1993), An Introduction to the Bootstrap, Table 2.1: the treatment
    # group's survival times, mean 86.86 and standard error 25.24. The ideal bootstrap
    # estimate of the standard error (B -> infinity) is the plug-in sqrt((n-1)/n) * 25.24.
    x = np.array([94, 197, 16, 38, 99, 141, 23], dtype=float)
    assert x.mean() == pytest.approx(86.86, abs=0.005)
    assert x.std(ddof=1) / math.sqrt(x.size) == pytest.approx(25.24, abs=0.005)
    ideal = 25.24 * math.sqrt(6 / 7)
    means = bootstrap_means(x, 40_000, np.random.default_rng(1993))
    assert means.std() == pytest.approx(ideal, rel=0.02)
    assert means.mean() == pytest.approx(x.mean(), rel=0.01)


def test_bootstrap_multinomial_matches_direct_resampling() -> None:
    # resampling the values and drawing multinomial counts over the distinct values give the
    # same distribution of resampled means
    rng = np.random.default_rng(5)
    x = rng.poisson(1.3, size=50).astype(float)
    ours = bootstrap_means(x, 20_000, np.random.default_rng(6))
    direct = x[np.random.default_rng(7).integers(0, x.size, (20_000, x.size))].mean(axis=1)
    assert ours.std() == pytest.approx(direct.std(), rel=0.03)
    assert np.quantile(ours, [0.025, 0.975]) == pytest.approx(
        np.quantile(direct, [0.025, 0.975]), abs=0.03
    )


def test_bootstrap_interval_agrees_with_scipy_percentile() -> None:
    x = np.random.default_rng(11).exponential(2.0, size=80)
    ours = bootstrap_mean_interval(x, np.random.default_rng(12), resamples=20_000)
    ref = sps.bootstrap(
        (x,),
        np.mean,
        method="percentile",
        n_resamples=20_000,
        rng=np.random.default_rng(13),
    ).confidence_interval
    assert ours == pytest.approx((ref.low, ref.high), rel=0.02)


def test_bootstrap_interval_covers_a_known_mean() -> None:
    # leaker-like counts: Poisson(0.5), samples of 60 trials; the 95% percentile interval
    # should cover the true mean about 95% of the time (seeded, so the count is fixed)
    rng = np.random.default_rng(2024)
    covered = 0
    reps = 400
    for _ in range(reps):
        x = rng.poisson(0.5, size=60)
        lo, hi = bootstrap_mean_interval(x, rng, resamples=2000)
        covered += lo <= 0.5 <= hi
    assert 0.91 <= covered / reps <= 0.98


def test_bootstrap_is_seeded_and_degenerate_cases() -> None:
    x = [0, 0, 1, 0, 2, 0]
    a = bootstrap_mean_interval(x, np.random.default_rng(3))
    b = bootstrap_mean_interval(x, np.random.default_rng(3))
    assert a == b
    assert bootstrap_mean_interval([2, 2, 2], np.random.default_rng(0)) == (2.0, 2.0)
    assert all(math.isnan(v) for v in bootstrap_mean_interval([], np.random.default_rng(0)))


def test_point_stats_reduces_a_point() -> None:
    s = point_stats(
        leakers=[0, 1, 0, 0, 2],
        interceptors=[10, 12, 9, 11, 13],
        cost_usd=[1e6, 2e6, 1e6, 1e6, 3e6],
        threat_cost_killed_usd=[4e6, 4e6, 4e6, 2e6, 2e6],
        assets_hit=[0, 1, 0, 0, 1],
        civil_engaged=[0, 0, 0, 0, 0],
        by_type={"a": [10, 10, 9, 11, 13], "b": [0, 2, 0, 0, 0]},
        errors=1,
        rng=np.random.default_rng(0),
    )
    assert (s.trials, s.errors, s.no_leak) == (5, 1, 3)
    assert s.p_no_leak == 0.6
    assert s.p_no_leak_ci == wilson_interval(3, 5)
    assert s.mean_leakers == 0.6 and s.mean_interceptors == 11.0
    assert s.leakers_ci[0] <= 0.6 <= s.leakers_ci[1]
    # a ratio of totals: 8 M spent against 16 M of threats killed
    assert s.cost_exchange_ratio == pytest.approx(0.5)
    assert s.interceptors_by_type == {"a": 10.6, "b": 0.4}
    none_killed = point_stats([1], [0], [0.0], [0.0], [1], [0], {}, 0, np.random.default_rng(0))
    assert none_killed.cost_exchange_ratio is None
