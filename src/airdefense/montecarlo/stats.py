"""The statistics of a Monte Carlo run: proportions with Wilson intervals, means with
bootstrap intervals, and the reduction of one sweep point's trials to its answers.

Everything is deterministic: the bootstrap draws from a ``Generator`` the caller seeds, so the
same trials always give the same intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Confidence of every interval the command reports.
CONFIDENCE = 0.95
#: Bootstrap resamples per interval: the percentile interval's end points then move by well
#: under a tenth of their standard error from one seed to another.
RESAMPLES = 4000
#: Resampled values drawn at once (bounds the bootstrap's memory for any number of trials).
_CHUNK_CELLS = 2_000_000


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1) (got {confidence})")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_bounds(
    successes: ArrayLike, n: ArrayLike, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray]:
    """Wilson's score interval for binomial proportions, element-wise over arrays.

    Wilson, E. B. (1927) JASA 22:209-212; Newcombe, R. G. (1998) Stat. Med. 17:857-872,
    method 3 (no continuity correction). Unlike the Wald interval it stays inside [0, 1] and
    keeps its coverage near 0 and 1, where the P(no leak) of a good defence lives. n = 0
    gives NaN.
    """
    k = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(k > m):
        raise ValueError("successes must lie in [0, n]")
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m))
    lo = np.clip(centre - half, 0.0, 1.0)
    hi = np.clip(centre + half, 0.0, 1.0)
    # exact end points at the boundary (no successes: lower 0; all: upper 1)
    lo = np.where((k == 0) & (m > 0), 0.0, lo)
    hi = np.where((k == m) & (m > 0), 1.0, hi)
    return np.atleast_1d(lo).astype(np.float64), np.atleast_1d(hi).astype(np.float64)


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval of ``successes`` out of ``n`` (see :func:`wilson_bounds`)."""
    lo, hi = wilson_bounds(successes, n, confidence)
    return float(lo[0]), float(hi[0])


def bootstrap_means(x: ArrayLike, resamples: int, rng: np.random.Generator) -> FloatArray:
    """Means of ``resamples`` bootstrap resamples of ``x`` (Efron & Tibshirani 1993, ch. 6).

    A resample of n draws with replacement holds each distinct value a multinomial number of
    times, so the resampled means are drawn as multinomial counts over the distinct values:
    the same distribution as resampling the trials, at a cost set by the number of distinct
    values (a few, for counts of leakers) rather than the number of trials.
    """
    data = np.asarray(x, dtype=np.float64).ravel()
    n = data.size
    if n == 0:
        raise ValueError("bootstrap of an empty sample")
    values, counts = np.unique(data, return_counts=True)
    probs = counts / n
    out = np.empty(resamples)
    step = max(1, _CHUNK_CELLS // values.size)
    for start in range(0, resamples, step):
        stop = min(start + step, resamples)
        draws = rng.multinomial(n, probs, size=stop - start)
        out[start:stop] = draws @ values / n
    return out


def bootstrap_mean_interval(
    x: ArrayLike,
    rng: np.random.Generator,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``x`` (Efron & Tibshirani 1993, ch. 13).

    No distribution is assumed: leakers per trial are small counts, mostly zero for a good
    defence, far from normal. An empty sample gives NaN; a constant one its value twice.
    """
    data = np.asarray(x, dtype=np.float64).ravel()
    if data.size == 0:
        return math.nan, math.nan
    alpha = (1.0 - confidence) / 2.0
    means = bootstrap_means(data, resamples, rng)
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


@dataclass(frozen=True)
class PointStats:
    """The answers at one sweep point over its successful trials."""

    trials: int  # trials with a result (raised ones excluded)
    errors: int  # trials that raised
    no_leak: int  # trials with no leaker
    p_no_leak: float
    p_no_leak_ci: tuple[float, float]
    mean_leakers: float
    leakers_ci: tuple[float, float]
    mean_interceptors: float
    interceptors_ci: tuple[float, float]
    mean_cost_usd: float
    #: total interceptor cost over total cost of the threats killed (None if none killed)
    cost_exchange_ratio: float | None
    mean_assets_hit: float
    mean_civil_engaged: float
    #: missile type -> mean rounds fired per trial
    interceptors_by_type: dict[str, float] = field(default_factory=dict)


def point_stats(
    leakers: ArrayLike,
    interceptors: ArrayLike,
    cost_usd: ArrayLike,
    threat_cost_killed_usd: ArrayLike,
    assets_hit: ArrayLike,
    civil_engaged: ArrayLike,
    by_type: dict[str, ArrayLike] | None,
    errors: int,
    rng: np.random.Generator,
    confidence: float = CONFIDENCE,
) -> PointStats:
    """Reduce one sweep point's per-trial figures (arrays over its successful trials).

    The cost-exchange ratio is a ratio of totals (the interceptors' cost over the cost of
    the threats they killed, summed over the trials), not a mean of per-trial ratios, which
    is undefined in a trial with no kill and dominated by trials with few.
    """
    leak = np.asarray(leakers, dtype=np.float64)
    used = np.asarray(interceptors, dtype=np.float64)
    n = int(leak.size)
    no_leak = int(np.count_nonzero(leak == 0))
    spent = float(np.sum(np.asarray(cost_usd, dtype=np.float64)))
    killed = float(np.sum(np.asarray(threat_cost_killed_usd, dtype=np.float64)))
    nan = math.nan
    return PointStats(
        trials=n,
        errors=int(errors),
        no_leak=no_leak,
        p_no_leak=no_leak / n if n else nan,
        p_no_leak_ci=wilson_interval(no_leak, n, confidence),
        mean_leakers=float(leak.mean()) if n else nan,
        leakers_ci=bootstrap_mean_interval(leak, rng, confidence),
        mean_interceptors=float(used.mean()) if n else nan,
        interceptors_ci=bootstrap_mean_interval(used, rng, confidence),
        mean_cost_usd=spent / n if n else nan,
        cost_exchange_ratio=spent / killed if killed > 0 else None,
        mean_assets_hit=float(np.mean(assets_hit)) if n else nan,
        mean_civil_engaged=float(np.mean(civil_engaged)) if n else nan,
        interceptors_by_type={
            k: float(np.mean(v)) if n else nan for k, v in sorted((by_type or {}).items())
        },
    )


def running_proportion(
    success: ArrayLike, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Estimate and Wilson interval after 1, 2, ..., n trials (in the order given): the
    convergence of P(no leak) as trials accumulate."""
    s = np.asarray(success, dtype=bool)
    k = np.cumsum(s, dtype=np.float64)
    n = np.arange(1, s.size + 1, dtype=np.float64)
    lo, hi = wilson_bounds(k, n, confidence)
    return k / n, lo, hi
