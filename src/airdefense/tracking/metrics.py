"""Tracking metrics: GOSPA per time step and SIAP measures of a track picture against truth.

GOSPA: A. S. Rahmathullah, Á. F. García-Fernández, L. Svensson, "Generalized optimal
sub-pattern assignment metric", FUSION 2017 (arXiv:1601.05585), Eq. (1) and Proposition 1
(the alpha = 2 split into localisation, missed and false). The components are reported exactly
as Stone Soup's ``GOSPAMetric.compute_gospa_metric`` reports them: ``localisation`` is the sum
of d^p over assigned pairs, ``missed`` and ``false`` are c^p/alpha times the number of missed
truths and false estimates, none of them raised to 1/p, and
``distance = (localisation + missed + false)^(1/p)``.

SIAP: D. Votruba, R. Nettleton et al., "Single Integrated Air Picture (SIAP) metrics
implementation", SIAP SE Task Force technical report 2001-003, 2001; the ratios of sums over
evaluation times follow Stone Soup's ``SIAPMetrics`` (``metricgenerator/tracktotruthmetrics.py``).

Everything is arrays: per evaluation time there is one assignment or KD-tree query, never a
loop over truths or tracks.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from airdefense.tracking.measurements import COASTING, CONFIRMED

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Above this many truth-estimate pairs a time step finds the pairs closer than c with a
#: KD-tree instead of a dense distance matrix (alpha = 2 only).
_DENSE_MAX = 250_000


# --- GOSPA ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GospaResult:
    """GOSPA at one time step, split as Stone Soup's ``GOSPAMetric`` splits it.

    ``distance = (localisation + missed + false) ** (1/p)``; ``localisation`` is the sum of
    d^p over assigned pairs (m^p), ``missed``/``false`` are c^p/alpha per missed truth/false
    estimate (m^p). ``assignment[i]`` is the estimate assigned to truth i, -1 if missed.
    """

    distance: float
    localisation: float
    missed: float
    false: float
    assignment: IntArray


@dataclass(frozen=True)
class GospaSeries:
    """GOSPA at many time steps: one entry per time, components as in :class:`GospaResult`."""

    times: FloatArray
    distance: FloatArray
    localisation: FloatArray
    missed: FloatArray
    false: FloatArray
    n_truth: IntArray
    n_estimates: IntArray


def _check_gospa_params(c: float, p: float, alpha: float) -> None:
    if not c > 0:
        raise ValueError(f"c must be > 0, got {c}")
    if not 1 <= p < np.inf:
        raise ValueError(f"p must be in [1, inf), got {p}")
    if not 0 < alpha <= 2:
        raise ValueError(f"alpha must be in (0, 2], got {alpha}")


def _as_points(a: ArrayLike, name: str) -> FloatArray:
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, 3))
    if a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"{name} must have shape (n, 3), got {a.shape}")
    return a


def _gospa_step(
    truth: FloatArray, est: FloatArray, c: float, p: float, alpha: float
) -> tuple[float, float, float, IntArray]:
    """(localisation, missed, false, assignment) of one time step (Rahmathullah et al. Eq. 1).

    For alpha = 2 only pairs closer than c can lower the cost (a pair at the cut-off costs
    c^p = c^p/2 + c^p/2, the same as one miss plus one false), so truths and estimates with no
    partner within c are left out of the assignment problem; pairs are found densely or, for
    big sets, with a KD-tree. For alpha < 2 the dense min(d, c)^p matrix is assigned and
    cut-off pairs count as localisation (the split of Proposition 1 holds for alpha = 2 only).
    """
    n, m = truth.shape[0], est.shape[0]
    cp = float(c) ** p
    assignment = np.full(n, -1, dtype=np.int64)
    if n == 0 or m == 0:
        return 0.0, cp / alpha * n, cp / alpha * m, assignment
    if alpha == 2:
        if n * m <= _DENSE_MAX:
            d = cdist(truth, est)
            rows, cols = np.nonzero(d < c)
            dist = d[rows, cols]
        else:
            pairs = cKDTree(truth).sparse_distance_matrix(cKDTree(est), c, output_type="ndarray")
            near = pairs["v"] < c
            rows, cols, dist = pairs["i"][near], pairs["j"][near], pairs["v"][near]
        if rows.size == 0:
            return 0.0, cp / 2 * n, cp / 2 * m, assignment
        ur, ri = np.unique(rows, return_inverse=True)
        uc, ci = np.unique(cols, return_inverse=True)
        cost = np.full((ur.size, uc.size), cp)
        cost[ri, ci] = dist**p
        is_near = np.zeros(cost.shape, dtype=bool)
        is_near[ri, ci] = True
        ar, ac = linear_sum_assignment(cost)
        keep = is_near[ar, ac]
        ar, ac = ar[keep], ac[keep]
        assignment[ur[ar]] = uc[ac]
        k = ar.size
        return float(cost[ar, ac].sum()), cp / 2 * (n - k), cp / 2 * (m - k), assignment
    cost = np.minimum(cdist(truth, est), c) ** p
    ar, ac = linear_sum_assignment(cost)
    assignment[ar] = ac
    k = ar.size
    return float(cost[ar, ac].sum()), cp / alpha * (n - k), cp / alpha * (m - k), assignment


def gospa(
    truth_xyz: ArrayLike, est_xyz: ArrayLike, c: float, p: float = 2.0, alpha: float = 2.0
) -> GospaResult:
    """GOSPA distance between truth (n, 3) and estimates (m, 3) at one time step.

    Rahmathullah, García-Fernández, Svensson, FUSION 2017, Eq. (1): the optimal assignment
    (``scipy.optimize.linear_sum_assignment``) of min(d, c)^p plus c^p/alpha per unassigned
    point, to the power 1/p. With alpha = 2 (the default, and Stone Soup's) the value and the
    localisation/missed/false split equal ``stonesoup.metricgenerator.ospametric.GOSPAMetric``.
    """
    _check_gospa_params(c, p, alpha)
    t = _as_points(truth_xyz, "truth_xyz")
    e = _as_points(est_xyz, "est_xyz")
    loc, missed, false, assignment = _gospa_step(t, e, c, p, alpha)
    distance = (loc + missed + false) ** (1.0 / p)
    return GospaResult(float(distance), loc, float(missed), float(false), assignment)


def _slices(sorted_t: FloatArray, times: FloatArray) -> tuple[IntArray, IntArray]:
    return np.searchsorted(sorted_t, times, "left"), np.searchsorted(sorted_t, times, "right")


def gospa_series(
    times: ArrayLike,
    truth_t: ArrayLike,
    truth_xyz: ArrayLike,
    est_t: ArrayLike,
    est_xyz: ArrayLike,
    c: float,
    p: float = 2.0,
    alpha: float = 2.0,
) -> GospaSeries:
    """GOSPA (as :func:`gospa`) at each of ``times`` between the rows whose t equals that time.

    Rows are sorted by time once and sliced with ``searchsorted``; each step is one assignment
    on arrays (Rahmathullah et al., FUSION 2017, Eq. 1).
    """
    _check_gospa_params(c, p, alpha)
    times = np.asarray(times, dtype=np.float64).ravel()
    tt = np.asarray(truth_t, dtype=np.float64).ravel()
    et = np.asarray(est_t, dtype=np.float64).ravel()
    txyz = _as_points(truth_xyz, "truth_xyz")
    exyz = _as_points(est_xyz, "est_xyz")
    if txyz.shape[0] != tt.size or exyz.shape[0] != et.size:
        raise ValueError("truth_t/truth_xyz and est_t/est_xyz must have matching lengths")
    to = np.argsort(tt, kind="stable")
    eo = np.argsort(et, kind="stable")
    tt, txyz, et, exyz = tt[to], txyz[to], et[eo], exyz[eo]
    t_lo, t_hi = _slices(tt, times)
    e_lo, e_hi = _slices(et, times)
    out = np.zeros((3, times.size))
    for k in range(times.size):
        loc, missed, false, _ = _gospa_step(
            txyz[t_lo[k] : t_hi[k]], exyz[e_lo[k] : e_hi[k]], c, p, alpha
        )
        out[:, k] = loc, missed, false
    return GospaSeries(
        times=times,
        distance=out.sum(axis=0) ** (1.0 / p),
        localisation=out[0],
        missed=out[1],
        false=out[2],
        n_truth=(t_hi - t_lo).astype(np.int64),
        n_estimates=(e_hi - e_lo).astype(np.int64),
    )


# --- evaluation of a track picture ------------------------------------------------------------


@dataclass(frozen=True)
class TrackingScore:
    """GOSPA per evaluation time and SIAP measures of a whole run.

    Per time: ``gospa``, ``localisation``, ``missed``, ``false`` (as :class:`GospaResult`, m
    and m^p), ``truth_count`` J(t), ``track_count`` N(t), ``associated_track_count`` NA(t),
    ``tracked_truth_count`` JT(t). SIAP (Votruba et al. 2001, ratios of sums over times as in
    Stone Soup ``SIAPMetrics``): completeness ΣJT/ΣJ, ambiguity ΣNA/ΣJT, spuriousness
    Σ(N-NA)/ΣN, position accuracy (m) and velocity accuracy (m/s, NaN without truth
    velocities) as mean errors of associated tracks, rate of track-number changes per second
    of tracked time, longest track segment ΣTL/ΣT. A 0/0 ratio is NaN.
    """

    times: FloatArray
    gospa: FloatArray
    localisation: FloatArray
    missed: FloatArray
    false: FloatArray
    truth_count: IntArray
    track_count: IntArray
    associated_track_count: IntArray
    tracked_truth_count: IntArray
    gospa_mean: float
    localisation_mean: float
    missed_mean: float
    false_mean: float
    completeness: float
    ambiguity: float
    spuriousness: float
    position_accuracy_m: float
    velocity_accuracy_mps: float
    track_number_change_rate_per_s: float
    longest_track_segment: float
    n_times: int
    n_truths: int
    n_tracks: int
    n_track_number_changes: int
    c_m: float
    p: float
    association_distance_m: float

    def as_dict(self) -> dict[str, float]:
        """The scalar fields as plain floats (for printing and tables)."""
        return {
            f.name: float(getattr(self, f.name))
            for f in fields(self)
            if not isinstance(getattr(self, f.name), np.ndarray)
        }


def _field(obj: Any, name: str, what: str, *, required: bool = True) -> NDArray[Any] | None:
    """Column ``name`` of a mapping, a dataframe or an object with attributes, as 1-D array."""
    try:
        value = obj[name]
    except (KeyError, TypeError, IndexError, ValueError):
        value = getattr(obj, name, None)
    if value is None:
        if required:
            raise ValueError(f"{what} has no field {name!r}")
        return None
    return np.asarray(value).ravel()


def _read(obj: Any, what: str, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    cols = {n: _field(obj, n, what) for n in names}
    opt = {n: _field(obj, n, what, required=False) for n in optional}
    if all(v is not None for v in opt.values()):
        cols.update(opt)
    n = len(cols["t"])
    for k, v in cols.items():
        if len(v) != n:
            raise ValueError(f"{what}.{k} has length {len(v)}, expected {n}")
    return cols


def _by_id_then_t(ids: NDArray[Any], t: FloatArray) -> tuple[IntArray, IntArray, IntArray]:
    """Order sorting rows by (id, t), dense id per sorted row, start of each id's rows."""
    _, dense = np.unique(ids, return_inverse=True)
    order = np.lexsort((t, dense))
    dense = dense[order].astype(np.int64)
    starts = np.flatnonzero(_first_of_group(dense))
    return order, dense, starts


def _ends(starts: IntArray, n: int) -> IntArray:
    """Last row of each group given the first rows ``starts`` of groups covering n rows."""
    return np.r_[starts[1:], n].astype(np.int64) - 1 if starts.size else starts


def _first_of_group(*keys: NDArray[Any]) -> NDArray[np.bool_]:
    """True at each row whose keys differ from the previous row's (rows grouped by keys)."""
    n = keys[0].size
    out = np.zeros(n, dtype=bool)
    if n:
        out[0] = True
        for a in keys:
            out[1:] |= a[1:] != a[:-1]
    return out


def _alive_pairs(
    first: FloatArray, last: FloatArray, times: FloatArray
) -> tuple[IntArray, IntArray]:
    """(object, time index) for every time in [first, last] of each object, without a loop."""
    lo = np.searchsorted(times, first, "left")
    hi = np.searchsorted(times, last, "right")
    counts = np.maximum(hi - lo, 0)
    obj = np.repeat(np.arange(first.size, dtype=np.int64), counts)
    offsets = np.cumsum(counts) - counts
    k = np.repeat(lo, counts) + np.arange(obj.size) - np.repeat(offsets, counts)
    return obj, k.astype(np.int64)


def _latest_row(row_obj: IntArray, row_t: FloatArray, q_obj: IntArray, q_t: FloatArray) -> IntArray:
    """Index of each query's latest row of the same object with row t <= query t, else -1.

    Rows must be sorted by (object, t). Times are replaced by their ranks so (object, rank)
    packs exactly into one int64 key and one ``searchsorted`` answers every query.
    """
    if row_obj.size == 0 or q_obj.size == 0:
        return np.full(q_obj.size, -1, dtype=np.int64)
    uniq, rank = np.unique(np.concatenate([row_t, q_t]), return_inverse=True)
    r = np.int64(uniq.size)
    keys = row_obj * r + rank[: row_t.size]
    q = q_obj * r + rank[row_t.size :]
    idx = np.searchsorted(keys, q, "right") - 1
    ok = idx >= 0
    ok[ok] = row_obj[idx[ok]] == q_obj[ok]
    return np.where(ok, idx, -1).astype(np.int64)


def _truth_samples(
    cols: dict, times: FloatArray, interpolate: bool
) -> tuple[IntArray, IntArray, FloatArray, FloatArray | None]:
    """Truth (time index, dense truth id, position, velocity) at the evaluation times."""
    t = cols["t"].astype(np.float64)
    xyz = np.column_stack([cols["x"], cols["y"], cols["z"]]).astype(np.float64)
    vel = (
        np.column_stack([cols["vx"], cols["vy"], cols["vz"]]).astype(np.float64)
        if "vx" in cols
        else None
    )
    order, dense, starts = _by_id_then_t(cols["truth_id"], t)
    t, xyz = t[order], xyz[order]
    vel = vel[order] if vel is not None else None
    if not interpolate:
        rows = np.flatnonzero(np.isin(t, times))
        k = np.searchsorted(times, t[rows])
        return k, dense[rows], xyz[rows], (vel[rows] if vel is not None else None)
    obj, k = _alive_pairs(t[starts], t[_ends(starts, t.size)], times)
    tq = times[k]
    i0 = _latest_row(dense, t, obj, tq)
    i1 = np.where(t[i0] < tq, i0 + 1, i0)  # alive => a later row of the same id exists
    span = t[i1] - t[i0]
    w = np.divide(tq - t[i0], span, out=np.zeros_like(span), where=span > 0)[:, None]
    pos = xyz[i0] + w * (xyz[i1] - xyz[i0])
    v = vel[i0] + w * (vel[i1] - vel[i0]) if vel is not None else None
    return k, obj, pos, v


def _track_estimates(
    cols: dict, times: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Track (time index, dense track id, position, velocity) at the evaluation times.

    A track has an estimate at t when its lifetime [first row t, last row t] contains t and it
    has a confirmed or coasting row at or before t; the latest such row is extrapolated at
    constant velocity to t. Tentative rows never count.
    """
    t = cols["t"].astype(np.float64)
    order, dense, starts = _by_id_then_t(cols["track_id"], t)
    t = t[order]
    xyz = np.column_stack([cols["x"], cols["y"], cols["z"]]).astype(np.float64)[order]
    vel = np.column_stack([cols["vx"], cols["vy"], cols["vz"]]).astype(np.float64)[order]
    status = cols["status"].astype(np.int64)[order]
    obj, k = _alive_pairs(t[starts], t[_ends(starts, t.size)], times)
    good = np.flatnonzero((status == CONFIRMED) | (status == COASTING))
    j = _latest_row(dense[good], t[good], obj, times[k])
    has = j >= 0
    rows = good[j[has]]
    obj, k = obj[has], k[has]
    pos = xyz[rows] + vel[rows] * (times[k] - t[rows])[:, None]
    return k, obj, pos, vel[rows]


def _bounds(k: IntArray, n_t: int) -> IntArray:
    """Row range ``[b[i], b[i+1])`` of each time index i in rows sorted by time index ``k``."""
    return np.searchsorted(k, np.arange(n_t + 1)).astype(np.int64)


def _associate(
    tpos: FloatArray, t_b: IntArray, epos: FloatArray, e_b: IntArray, max_d: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """SIAP association: each estimate to its nearest truth of the same time within max_d.

    Returns (estimate row, truth row, distance) per associated estimate; one KD-tree query
    per time step. The bound is inclusive (scipy's ``distance_upper_bound`` is strict).
    """
    bound = np.nextafter(float(max_d), np.inf)
    est, tru, dist = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    for k in range(t_b.size - 1):
        t0, t1, e0, e1 = t_b[k], t_b[k + 1], e_b[k], e_b[k + 1]
        if t1 == t0 or e1 == e0:
            continue
        d, j = cKDTree(tpos[t0:t1]).query(epos[e0:e1], k=1, distance_upper_bound=bound)
        ok = np.isfinite(d)
        est.append(e0 + np.flatnonzero(ok))
        tru.append(t0 + j[ok].astype(np.int64))
        dist.append(d[ok])
    return np.concatenate(est), np.concatenate(tru), np.concatenate(dist)


def _continuity(
    times: FloatArray,
    tk: IntArray,
    tu: IntArray,
    n_truth_ids: int,
    a_tru: IntArray,
    a_k: IntArray,
    a_track: IntArray,
    a_truth: IntArray,
) -> tuple[float, float, float, int]:
    """SIAP continuity sums: (ΣTL, ΣT, ΣTT, Σ(NU - 1)) over truths (Votruba et al. 2001).

    Truth samples (time index ``tk``, truth ``tu``) are put in (truth, time) order, so
    consecutive indices of one truth are consecutive evaluation times at which it exists. A
    run is an unbroken sequence of such samples associated with one track (associations: truth
    sample ``a_tru``, time ``a_k``, track ``a_track``, truth ``a_truth``). NU is the greedy
    cover of Stone Soup's ``min_num_tracks_needed_to_track``, stepped over time with arrays.
    """
    uk = np.lexsort((tk, tu))
    pos_uk = np.empty_like(uk)
    pos_uk[uk] = np.arange(uk.size)
    t_uk, u_uk = times[tk[uk]], tu[uk]
    s = pos_uk[a_tru]
    o = np.lexsort((s, a_track))
    s_o, tr_o, tu_o = s[o], a_track[o], a_truth[o]
    brk = _first_of_group(tr_o, tu_o, s_o - np.arange(s_o.size))
    run_start, run_end = s_o[brk], s_o[_ends(np.flatnonzero(brk), brk.size)]
    longest = np.zeros(n_truth_ids)
    np.maximum.at(longest, tu_o[brk], t_uk[run_end] - t_uk[run_start])
    first = np.flatnonzero(_first_of_group(u_uk))
    life = float((t_uk[_ends(first, u_uk.size)] - t_uk[first]).sum())
    tracked = np.zeros(u_uk.size, dtype=bool)
    tracked[s] = True
    both = tracked[1:] & tracked[:-1] & (u_uk[1:] == u_uk[:-1])
    time_tracked = float(np.diff(t_uk)[both].sum())

    # Greedy cover: keep the current track while it stays associated; otherwise take the
    # associated track whose run lasts longest (first of its truth in this order).
    a_run_end = np.empty(o.size, dtype=np.int64)
    a_run_end[o] = run_end[np.cumsum(brk) - 1]
    g = np.lexsort((-a_run_end, a_truth, a_k))
    g_track, g_truth = a_track[g], a_truth[g]
    b = _bounds(a_k[g], times.size)
    current = np.full(n_truth_ids, -1, dtype=np.int64)
    nu = np.zeros(n_truth_ids, dtype=np.int64)
    for k in range(times.size):
        trk, tru = g_track[b[k] : b[k + 1]], g_truth[b[k] : b[k + 1]]
        if trk.size == 0:
            continue
        held = tru[trk == current[tru]]
        new = _first_of_group(tru) & ~np.isin(tru, held)
        current[tru[new]] = trk[new]
        nu[tru[new]] += 1
    return float(longest.sum()), life, time_tracked, int(np.maximum(nu - 1, 0).sum())


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def _by_time(k: IntArray, *arrays: NDArray[Any] | None) -> list[NDArray[Any] | None]:
    o = np.argsort(k, kind="stable")
    return [k[o]] + [a[o] if a is not None else None for a in arrays]


def evaluate(
    truth: Any,
    tracks: Any,
    *,
    c_m: float,
    p: float = 2.0,
    association_distance_m: float,
    times: ArrayLike | None = None,
) -> TrackingScore:
    """Score a track picture against truth: GOSPA per evaluation time and SIAP measures.

    ``truth`` has columns t, truth_id, x, y, z (optionally vx, vy, vz); ``tracks`` has t,
    track_id, x, y, z, vx, vy, vz, status (a :class:`TrackUpdates`, a dict of arrays, a
    dataframe). Evaluation times are ``times`` or the truth's sample times within
    [first, last track row t] (all truth times when there are no tracks). Truth at a time is
    its rows at that t; with explicit ``times`` it is interpolated linearly per truth between
    samples. Tracks are extrapolated from their latest confirmed/coasting row (see
    ``_track_estimates``). GOSPA uses alpha = 2 (Rahmathullah et al. 2017, as Stone Soup).

    SIAP association (Votruba et al. 2001): at each time each track goes to its nearest truth
    within ``association_distance_m`` (a track to at most one truth; a truth may get several,
    which is ambiguity). Track-number changes per truth are NU - 1, with NU the fewest tracks
    that cover its tracked times, chosen greedily as in Stone Soup's
    ``min_num_tracks_needed_to_track`` (keep the current track while it stays associated,
    then take the associated track whose association lasts longest); the rate divides by the
    time tracked (intervals between consecutive truth samples tracked at both ends).
    Longest segment TL is the longest unbroken association of one track with the truth, T the
    truth's lifetime over the evaluation times.

    ``c_m`` and ``association_distance_m`` have no defaults on purpose: both must exceed the
    tracker's expected position error and stay below the spacing of targets that should count
    as distinct, which depends on the sensors and the scenario (1 km suits a long-range
    surveillance radar's cross-range error at 200-300 km, 100 m a fire-control radar), and a
    hidden default would silently change every number.
    """
    if not association_distance_m > 0:
        raise ValueError(f"association_distance_m must be > 0, got {association_distance_m}")
    _check_gospa_params(c_m, p, 2.0)
    tcols = _read(truth, "truth", ("t", "truth_id", "x", "y", "z"), ("vx", "vy", "vz"))
    kcols = _read(tracks, "tracks", ("t", "track_id", "x", "y", "z", "vx", "vy", "vz", "status"))
    track_t = kcols["t"].astype(np.float64)

    if times is not None:
        ev_times = np.unique(np.asarray(times, dtype=np.float64).ravel())
    else:
        ev_times = np.unique(tcols["t"].astype(np.float64))
        if track_t.size:
            ev_times = ev_times[(ev_times >= track_t.min()) & (ev_times <= track_t.max())]
    n_t = ev_times.size

    tk, tu, tpos, tvel = _by_time(*_truth_samples(tcols, ev_times, times is not None))
    ek, eu, epos, evel = _by_time(*_track_estimates(kcols, ev_times))
    n_truth_ids = int(tu.max()) + 1 if tu.size else 0

    g = gospa_series(ev_times, ev_times[tk], tpos, ev_times[ek], epos, c_m, p, 2.0)

    t_b, e_b = _bounds(tk, n_t), _bounds(ek, n_t)
    a_est, a_tru, a_d = _associate(tpos, t_b, epos, e_b, association_distance_m)
    a_k, a_track, a_truth = ek[a_est], eu[a_est], tu[a_tru]

    J = np.bincount(tk, minlength=n_t)
    N = np.bincount(ek, minlength=n_t)
    NA = np.bincount(a_k, minlength=n_t)
    u = max(n_truth_ids, 1)
    JT = np.bincount(np.unique(a_k * u + a_truth) // u, minlength=n_t)
    if tvel is not None:
        va = _ratio(np.linalg.norm(evel[a_est] - tvel[a_tru], axis=1).sum(), NA.sum())
    else:
        va = float("nan")
    longest, life, time_tracked, changes = _continuity(
        ev_times, tk, tu, n_truth_ids, a_tru, a_k, a_track, a_truth
    )

    def mean(a: FloatArray) -> float:
        return float(a.mean()) if a.size else float("nan")

    return TrackingScore(
        times=ev_times,
        gospa=g.distance,
        localisation=g.localisation,
        missed=g.missed,
        false=g.false,
        truth_count=J,
        track_count=N,
        associated_track_count=NA,
        tracked_truth_count=JT,
        gospa_mean=mean(g.distance),
        localisation_mean=mean(g.localisation),
        missed_mean=mean(g.missed),
        false_mean=mean(g.false),
        completeness=_ratio(JT.sum(), J.sum()),
        ambiguity=_ratio(NA.sum(), JT.sum()),
        spuriousness=_ratio(N.sum() - NA.sum(), N.sum()),
        position_accuracy_m=_ratio(a_d.sum(), NA.sum()),
        velocity_accuracy_mps=va,
        track_number_change_rate_per_s=_ratio(changes, time_tracked),
        longest_track_segment=_ratio(longest, life),
        n_times=int(n_t),
        n_truths=int(np.unique(tu).size),
        n_tracks=int(np.unique(eu).size),
        n_track_number_changes=changes,
        c_m=float(c_m),
        p=float(p),
        association_distance_m=float(association_distance_m),
    )


__all__ = [
    "GospaResult",
    "GospaSeries",
    "TrackingScore",
    "evaluate",
    "gospa",
    "gospa_series",
]
