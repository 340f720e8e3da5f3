"""Weapon-target assignment (WTA): the static problem and the per-cycle problem of the engage stage.

**Static WTA** (Manne 1958): W weapons, T targets of value ``V_j``, kill probabilities ``p_ij``.
Every weapon is assigned to exactly one target (``x_ij`` binary, ``sum_j x_ij = 1``) so as to
minimise the expected surviving value ``sum_j V_j prod_i (1 - p_ij)^x_ij``.

**Per-cycle WTA** (this simulator's generalisation, :class:`AssignmentProblem`): "shooters"
(a battery x missile type) fire integer numbers of rounds ``x_st`` at threats, within their
rounds this cycle, the threats' salvo limits and the batteries' free target channels; each
round has a price. Maximise the expected value saved minus the price of the rounds,
``sum_t V_t S0_t (1 - prod_s (1 - p_st)^x_st) - sum_st c_s x_st``.

Both are solved two ways behind one interface:

- ``"exact"``: outer approximation (Duran & Grossmann, Math. Programming 36, 1986). Writing a
  target's survival as ``exp(z_t)`` with ``z_t = sum_s x_st ln(1 - p_st)`` (linear in x) makes
  the objective a sum of convex functions of linear forms. A MILP (HiGHS through
  :func:`scipy.optimize.milp`) minimises ``sum_t V_t s_t`` under tangent cuts
  ``s_t >= e^{z*}(1 + z_t - z*)``; its optimum is a lower bound, every MILP solution is a
  feasible point and an upper bound, and the tangents at that point are added until the bounds
  meet (relative gap 1e-9, or the MILP's optimum lies at a point already cut, which makes it
  exact there), or time runs out. Cuts are seeded at the heuristic solution, at ``z = 0`` and
  at the ``z`` of the k best and k worst shots per target, so few iterations are needed. This
  is the linearisation approach used for WTA by Andersen, Pavlikov & Toffolo (Annals of OR,
  2022), whose branch-and-adjust refines it further.
- ``"heuristic"``: maximum marginal return greedy (den Broeder, Ellison & Emerling, Operations
  Research 7, 1959; optimal when a target's kill probability does not depend on the weapon)
  followed by local search to a local optimum (Ahuja, Kumar, Jha & Orlin, Operations Research
  55, 2007, use the same neighbourhoods): static WTA moves one weapon to another target or
  swaps two weapons' targets; per-cycle WTA adds, drops or moves one round (to another threat,
  another shooter, or both). All marginal gains are evaluated at once as arrays.

A kill probability of exactly 1 has ``ln(1 - p) = -inf``; it is clipped to ``1 - 1e-12``
(``ln = -27.6``) for both methods and for the reported objectives, which changes an objective
by at most ``1e-12`` of a target's value.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Kill probabilities are clipped to at most this (see the module docstring).
PK_MAX = 1.0 - 1e-12
#: Relative gap between the bounds at which the exact method stops, proven optimal.
REL_GAP = 1e-9
_METHODS = ("exact", "heuristic")
# The MILPs' objective is scaled so the first incumbent is about this: HiGHS's absolute gap
# tolerance (1e-6) is then 1e-10 of the objective, below REL_GAP.
_OBJECTIVE_SCALE = 1e4


@dataclass(frozen=True)
class WTAResult:
    """A static WTA solution.

    ``assignment[i]`` is the target of weapon i; ``expected_survival`` its expected surviving
    value; ``lower_bound`` a proven lower bound on the optimum (None from the heuristic);
    ``optimal`` whether the solution is proven optimal (relative gap <= 1e-9).
    """

    assignment: IntArray
    expected_survival: float
    lower_bound: float | None
    optimal: bool
    seconds: float


@dataclass(frozen=True)
class AssignmentProblem:
    """One decision cycle's assignment problem: S shooters, T threats, G batteries.

    - ``values`` (T,): value at stake per threat (>= 0, same units as ``cost``).
    - ``survival0`` (T,): probability each threat survives the interceptors already flying at
      it (1 if none).
    - ``pk`` (S, T): single-shot kill probability of shooter s (a battery x missile type) at
      threat t; 0 where infeasible (outside the envelope, too late): never assigned.
    - ``cost`` (S,): price of one round of shooter s.
    - ``shots`` (S,): rounds shooter s can launch this cycle.
    - ``group`` (S,): battery of each shooter, in ``0..G-1``.
    - ``channels`` (G,): new target channels free in each battery this cycle; a threat engaged
      by battery g uses one of them, however many rounds g fires at it.
    - ``max_salvo`` (T,): most rounds at a threat this cycle (1 for shoot-look-shoot).

    Inputs are validated and copied into read-only arrays; a wrong one raises ValueError.
    """

    values: FloatArray
    survival0: FloatArray
    pk: FloatArray
    cost: FloatArray
    shots: IntArray
    group: IntArray
    channels: IntArray
    max_salvo: IntArray

    def __post_init__(self) -> None:
        values = _floats("values", self.values, 1)
        n_t = values.shape[0]
        pk = _floats("pk", self.pk, 2)
        n_s = pk.shape[0]
        _shape("pk", pk, (n_s, n_t), "(S, T)")
        survival0 = _floats("survival0", self.survival0, 1)
        _shape("survival0", survival0, (n_t,), "(T,)")
        cost = _floats("cost", self.cost, 1)
        _shape("cost", cost, (n_s,), "(S,)")
        _range("values", values, 0.0, math.inf)
        _range("survival0", survival0, 0.0, 1.0)
        _range("pk", pk, 0.0, 1.0)
        _range("cost", cost, 0.0, math.inf)
        shots = _counts("shots", self.shots, (n_s,), "(S,)")
        group = _counts("group", self.group, (n_s,), "(S,)")
        channels = _counts("channels", self.channels, None, "(G,)")
        max_salvo = _counts("max_salvo", self.max_salvo, (n_t,), "(T,)")
        if group.size and group.max() >= channels.shape[0]:
            raise ValueError(
                f"AssignmentProblem.group: must index channels, 0..{channels.shape[0] - 1} "
                f"(got {group.max()})"
            )
        for name, arr in (
            ("values", values),
            ("survival0", survival0),
            ("pk", pk),
            ("cost", cost),
            ("shots", shots),
            ("group", group),
            ("channels", channels),
            ("max_salvo", max_salvo),
        ):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)


@dataclass(frozen=True)
class Allocation:
    """A per-cycle allocation: ``shots[s, t]`` rounds of shooter s at threat t.

    ``objective`` is the expected value saved minus the price of the rounds; ``bound`` a
    proven upper bound on the best objective (None from the heuristic); ``optimal`` whether
    ``shots`` is proven optimal (relative gap <= 1e-9).
    """

    shots: IntArray
    objective: float
    bound: float | None
    optimal: bool
    seconds: float


# --------------------------------------------------------------------------- validation


def _fail(name: str, what: str) -> None:
    raise ValueError(f"{name}: {what}")


def _floats(name: str, value: ArrayLike, ndim: int) -> FloatArray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(name, f"must be an array of numbers (got {type(value).__name__})")
    if arr.ndim != ndim:
        _fail(name, f"must be {ndim}-dimensional (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        _fail(name, f"must be finite (got {arr[idx]} at {list(idx)})")
    return arr


def _shape(name: str, arr: np.ndarray, shape: tuple[int, ...], symbol: str) -> None:
    if arr.shape != shape:
        _fail(name, f"must have shape {symbol} = {shape} (got {arr.shape})")


def _range(name: str, arr: FloatArray, lo: float, hi: float) -> None:
    bad = (arr < lo) | (arr > hi)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        span = f">= {lo:g}" if math.isinf(hi) else f"in [{lo:g}, {hi:g}]"
        _fail(name, f"must be {span} (got {arr[idx]:g} at {list(idx)})")


def _counts(name: str, value: ArrayLike, shape: tuple[int, ...] | None, symbol: str) -> IntArray:
    arr = _floats(name, value, 1)
    if shape is not None:
        _shape(name, arr, shape, symbol)
    bad = (arr < 0) | (arr != np.round(arr))
    if np.any(bad):
        i = int(np.argmax(bad))
        _fail(name, f"must be whole numbers >= 0 (got {arr[i]:g} at [{i}])")
    return arr.astype(np.int64)


def _check_method(method: str, time_limit_s: float | None) -> float:
    if method not in _METHODS:
        _fail("method", f"must be 'exact' or 'heuristic' (got {method!r})")
    if time_limit_s is None:
        return math.inf
    if not (isinstance(time_limit_s, int | float) and time_limit_s > 0):
        _fail("time_limit_s", f"must be a number > 0 or None (got {time_limit_s!r})")
    return float(time_limit_s)


def _log_survival(pk: FloatArray) -> FloatArray:
    """``ln(1 - p)`` with p clipped to :data:`PK_MAX`."""
    return np.log1p(-np.minimum(pk, PK_MAX))


# --------------------------------------------------------------------------- static WTA


def expected_survival(values: ArrayLike, pk: ArrayLike, assignment: ArrayLike) -> float:
    """Expected surviving value ``sum_j V_j prod_{i: a_i = j} (1 - p_ij)`` (Manne 1958)."""
    v = np.asarray(values, dtype=np.float64)
    log_q = _log_survival(np.asarray(pk, dtype=np.float64))
    a = np.asarray(assignment, dtype=np.int64)
    z = np.bincount(a, weights=log_q[np.arange(a.shape[0]), a], minlength=v.shape[0])
    return float(v @ np.exp(z))


def solve(
    values: ArrayLike,
    pk: ArrayLike,
    method: str = "exact",
    time_limit_s: float | None = None,
) -> WTAResult:
    """Solve the static WTA problem (Manne 1958): assign every weapon to one target.

    ``values`` (T,) target values >= 0; ``pk`` (W, T) kill probabilities in [0, 1] (1 is
    clipped to 1 - 1e-12). ``method="exact"`` is the outer approximation of the module
    docstring (``time_limit_s`` caps it: then ``optimal`` is False and ``lower_bound`` the best
    MILP bound); ``"heuristic"`` the maximum-marginal-return greedy with local search.
    """
    start = time.perf_counter()
    limit = _check_method(method, time_limit_s)
    v = _floats("values", values, 1)
    p = _floats("pk", pk, 2)
    n_w, n_t = p.shape[0], v.shape[0]
    _shape("pk", p, (n_w, n_t), "(W, T)")
    _range("values", v, 0.0, math.inf)
    _range("pk", p, 0.0, 1.0)
    if n_w and not n_t:
        _fail("values", "must hold at least one target when there are weapons")
    log_q = _log_survival(p)
    assignment = _static_heuristic(v, log_q)
    if method == "heuristic" or n_w == 0:
        value = expected_survival(v, p, assignment)
        exact = n_w == 0
        return WTAResult(
            assignment,
            value,
            value if exact else None,
            exact,
            time.perf_counter() - start,
        )
    # x[i * T + j] = 1 if weapon i fires at target j; every weapon fires once
    n = n_w * n_t
    rows = np.repeat(np.arange(n_w), n_t)
    a_eq = sparse.csr_array((np.ones(n), (rows, np.arange(n))), shape=(n_w, n))
    start_x = np.zeros(n)
    start_x[np.arange(n_w) * n_t + assignment] = 1.0
    oa = _outer_approximation(
        _OAModel(
            log_q=_log_matrix(log_q, n),
            weight=v,
            cost=np.zeros(n),
            integrality=np.ones(n),
            upper=np.ones(n),
            a=a_eq,
            a_lo=np.ones(n_w),
            a_hi=np.ones(n_w),
            max_count=np.full(n_t, n_w),
        ),
        start_x,
        start + limit,
    )
    best = np.argmax(oa.x.reshape(n_w, n_t), axis=1)
    return WTAResult(
        best, expected_survival(v, p, best), oa.lower, oa.optimal, time.perf_counter() - start
    )


def _static_heuristic(v: FloatArray, log_q: FloatArray) -> IntArray:
    """Maximum marginal return greedy, then move/swap local search (module docstring)."""
    n_w, n_t = log_q.shape
    if n_w == 0:
        return np.zeros(0, dtype=np.int64)
    p = -np.expm1(log_q)
    surv = v.copy()  # V_j prod (1 - p) over the weapons given so far
    gain = surv[None, :] * p
    assignment = np.zeros(n_w, dtype=np.int64)
    rows = np.arange(n_w)
    for _ in range(n_w):
        i, j = divmod(int(np.argmax(gain)), n_t)
        assignment[i] = j
        surv[j] *= 1.0 - p[i, j]
        gain[:, j] = surv[j] * p[:, j]
        gain[i, :] = -1.0  # below every real gain (>= 0): weapon i is spent
    # local search: best improving move or swap until none improves
    z = np.bincount(assignment, weights=log_q[rows, assignment], minlength=n_t)
    tol = 1e-12 * max(float(v.sum()), 1e-300)
    for _ in range(100 * n_w + 100):
        surv = v * np.exp(z)
        own = log_q[rows, assignment]
        here = surv[assignment]
        # move weapon i from its target j to k: j loses its factor, k gains one
        loss = v[assignment] * np.exp(z[assignment] - own) - here
        move = surv[None, :] * p - loss[:, None]
        move[rows, assignment] = -np.inf
        # swap weapons i1 and i2 between their targets j1 and j2: up[i1, i2] is the rise in
        # j1's surviving value when i2 replaces i1 there
        up = v[assignment][:, None] * np.exp(
            (z[assignment] - own)[:, None] + log_q[:, assignment].T
        )
        up -= here[:, None]
        swap = -(up + up.T)
        swap[assignment[:, None] == assignment[None, :]] = -np.inf
        best_move, best_swap = int(np.argmax(move)), int(np.argmax(swap))
        gain_move, gain_swap = move.flat[best_move], swap.flat[best_swap]
        if max(gain_move, gain_swap) <= tol:
            break
        if gain_move >= gain_swap:
            i, k = divmod(best_move, n_t)
            changes = [(i, k)]
        else:
            i1, i2 = divmod(best_swap, n_w)
            changes = [(i1, assignment[i2]), (i2, assignment[i1])]
        for i, k in changes:
            j = assignment[i]
            z[j] -= log_q[i, j]
            z[k] += log_q[i, k]
            assignment[i] = k
        # keep z exact: recompute now and then against drift
        z = np.bincount(assignment, weights=log_q[rows, assignment], minlength=n_t)
    return assignment


# --------------------------------------------------------------------------- per-cycle WTA


def allocation_value(problem: AssignmentProblem, shots: ArrayLike) -> float:
    """Expected value saved minus price: ``sum_t V_t S0_t (1 - prod_s (1-p_st)^x_st) - c.x``."""
    x = np.asarray(shots, dtype=np.float64)
    w = problem.values * problem.survival0
    z = (x * _log_survival(problem.pk)).sum(axis=0)
    return float(w @ -np.expm1(z) - problem.cost @ x.sum(axis=1))


def assign(
    problem: AssignmentProblem, method: str = "exact", time_limit_s: float | None = None
) -> Allocation:
    """Allocate this cycle's rounds to threats (:class:`AssignmentProblem`); maximise value saved.

    Respects every constraint exactly: rounds per shooter, rounds per threat, free channels
    per battery, and never a pair with ``pk == 0``. A round is fired only where it adds more
    expected value than it costs. ``"exact"``: the MILP outer approximation with channel
    indicators ``y_gt`` (``sum_{s in g} x_st <= max_salvo_t y_gt``, ``sum_t y_gt <= channels_g``);
    ``"heuristic"``: greedy by marginal return net of price, then add/drop/move local search.
    """
    start = time.perf_counter()
    limit = _check_method(method, time_limit_s)
    if not isinstance(problem, AssignmentProblem):
        _fail("problem", f"must be an AssignmentProblem (got {type(problem).__name__})")
    n_s, n_t = problem.pk.shape
    n_g = problem.channels.shape[0]
    w = problem.values * problem.survival0
    log_q = _log_survival(problem.pk)
    p = -np.expm1(log_q)
    # a pair is worth a round only if its first round is worth its price (marginal returns
    # only fall as rounds are added); infeasible pairs have p = 0 and fall out here too
    allowed = (problem.pk > 0) & (w[None, :] * p > problem.cost[:, None])
    x0 = _dynamic_heuristic(problem, w, log_q, allowed)
    if method == "heuristic" or not allowed.any():
        value = allocation_value(problem, x0)
        exact = not allowed.any()
        return Allocation(x0, value, value if exact else None, exact, time.perf_counter() - start)
    # variables: x[s * T + t] (integer rounds), then y[g * T + t] (battery g engages t)
    nx, ny = n_s * n_t, n_g * n_t
    n = nx + ny
    ub_x = np.where(allowed, np.minimum(problem.shots[:, None], problem.max_salvo[None, :]), 0)
    in_group = np.zeros((n_g, n_s))
    in_group[problem.group, np.arange(n_s)] = 1.0
    group_max = np.minimum(in_group @ ub_x, problem.max_salvo[None, :])  # (G, T)
    ub_y = (group_max > 0) & (problem.channels[:, None] > 0)
    x_id = np.arange(nx).reshape(n_s, n_t)
    y_id = nx + np.arange(ny).reshape(n_g, n_t)
    blocks: list[tuple[IntArray, IntArray, FloatArray]] = []
    r0 = 0
    # rounds per shooter, then per threat
    blocks.append((np.repeat(np.arange(n_s), n_t), x_id.ravel(), np.ones(nx)))
    r0 += n_s
    blocks.append((r0 + np.tile(np.arange(n_t), n_s), x_id.ravel(), np.ones(nx)))
    r0 += n_t
    # channel link: sum_{s in g} x_st - M_gt y_gt <= 0
    link_rows = r0 + problem.group[:, None] * n_t + np.arange(n_t)[None, :]
    blocks.append((link_rows.ravel(), x_id.ravel(), np.ones(nx)))
    blocks.append((r0 + np.arange(ny), y_id.ravel(), -np.maximum(group_max, 1).ravel()))
    r0 += ny
    # channels per battery
    blocks.append((r0 + np.repeat(np.arange(n_g), n_t), y_id.ravel(), np.ones(ny)))
    r0 += n_g
    rows, cols, vals = (np.concatenate(b) for b in zip(*blocks, strict=True))
    a = sparse.csr_array((vals, (rows, cols)), shape=(r0, n))
    a_hi = np.concatenate(
        [problem.shots, problem.max_salvo, np.zeros(ny), problem.channels]
    ).astype(np.float64)
    start_x = np.concatenate([x0.ravel(), (_group_counts(problem, x0) > 0).ravel()])
    oa = _outer_approximation(
        _OAModel(
            log_q=_log_matrix(log_q, n),
            weight=w,
            cost=np.concatenate([np.repeat(problem.cost, n_t), np.zeros(ny)]),
            integrality=np.ones(n),
            upper=np.concatenate([ub_x.ravel(), ub_y.ravel()]).astype(np.float64),
            a=a,
            a_lo=np.full(r0, -np.inf),
            a_hi=a_hi,
            max_count=np.minimum(problem.max_salvo, ub_x.sum(axis=0)),
        ),
        start_x.astype(np.float64),
        start + limit,
    )
    x = np.rint(oa.x[:nx]).astype(np.int64).reshape(n_s, n_t)
    total = float(w.sum())
    return Allocation(
        x,
        allocation_value(problem, x),
        None if oa.lower is None else total - oa.lower,
        oa.optimal,
        time.perf_counter() - start,
    )


def _group_counts(problem: AssignmentProblem, x: IntArray) -> IntArray:
    """Rounds of each battery at each threat, (G, T)."""
    counts = np.zeros((problem.channels.shape[0], x.shape[1]), dtype=np.int64)
    np.add.at(counts, problem.group, x)
    return counts


def _dynamic_heuristic(
    problem: AssignmentProblem, w: FloatArray, log_q: FloatArray, allowed: NDArray[np.bool_]
) -> IntArray:
    """Greedy by marginal return net of price, then add/drop/move local search, all feasible."""
    n_s, n_t = log_q.shape
    n_g = problem.channels.shape[0]
    x = np.zeros((n_s, n_t), dtype=np.int64)
    if not allowed.any():
        return x
    p = -np.expm1(log_q)
    cost, group = problem.cost, problem.group
    z = np.zeros(n_t)
    left = problem.shots.copy()  # rounds per shooter
    room = problem.max_salvo.copy()  # rounds per threat
    count = np.zeros((n_g, n_t), dtype=np.int64)  # rounds per battery and threat
    free = problem.channels.copy()  # channels per battery
    tol = 1e-12 * max(float(w.sum()), 1e-300)
    s_ids, t_ids, g_ids = np.arange(n_s), np.arange(n_t), np.arange(n_g)

    def add(s: int, t: int, k: int) -> None:
        g = group[s]
        if count[g, t] == 0 and k > 0:
            free[g] -= 1
        count[g, t] += k
        if count[g, t] == 0:
            free[g] += 1
        x[s, t] += k
        left[s] -= k
        room[t] -= k
        z[t] += k * log_q[s, t]

    def add_gain() -> FloatArray:
        engaged = count[group] > 0
        ok = allowed & (left > 0)[:, None] & (room > 0)[None, :]
        ok &= engaged | (free[group] > 0)[:, None]
        return np.where(ok, w * np.exp(z) * p - cost[:, None], -np.inf)

    while True:  # greedy
        gain = add_gain()
        k = int(np.argmax(gain))
        if gain.flat[k] <= tol:
            break
        add(*divmod(k, n_t), 1)

    for _ in range(100 * int(problem.shots.sum()) + 100):  # local search
        base = add_gain()
        ks, kt = np.nonzero(x)
        kg = group[ks]
        n_k = ks.shape[0]
        kz = z[kt] - log_q[ks, kt]  # threat kt's log-survival without one round of ks
        drop = cost[ks] - w[kt] * np.exp(kz) * p[ks, kt]
        # a drop followed by an add anywhere it is then feasible
        last = count[kg, kt] == 1
        left_after = left[None, :] + (s_ids[None, :] == ks[:, None])
        room_after = room[None, :] + (t_ids[None, :] == kt[:, None])
        free_after = free[None, :] + ((g_ids[None, :] == kg[:, None]) & last[:, None])
        released = (
            (g_ids[None, :, None] == kg[:, None, None])
            & (t_ids[None, None, :] == kt[:, None, None])
            & last[:, None, None]
        )
        engaged_after = ((count > 0)[None] & ~released)[:, group, :]
        ok = allowed[None] & (left_after > 0)[:, :, None] & (room_after > 0)[:, None, :]
        ok &= engaged_after | (free_after[:, group] > 0)[:, :, None]
        ok[np.arange(n_k), ks, kt] = False
        re_add = np.broadcast_to(w * np.exp(z) * p - cost[:, None], (n_k, n_s, n_t)).copy()
        re_add[np.arange(n_k), :, kt] = (w[kt] * np.exp(kz))[:, None] * p[:, kt].T - cost[None, :]
        move = np.where(ok, re_add, -np.inf) + drop[:, None, None]
        options = [
            (base.max(initial=-np.inf), "add"),
            (drop.max(initial=-np.inf), "drop"),
            (move.max(initial=-np.inf), "move"),
        ]
        gain, kind = max(options, key=lambda o: o[0])
        if gain <= tol:
            break
        if kind == "add":
            add(*divmod(int(np.argmax(base)), n_t), 1)
        elif kind == "drop":
            k = int(np.argmax(drop))
            add(int(ks[k]), int(kt[k]), -1)
        else:
            k, rest = divmod(int(np.argmax(move)), n_s * n_t)
            add(int(ks[k]), int(kt[k]), -1)
            add(*divmod(rest, n_t), 1)
        z = (x * log_q).sum(axis=0)  # against drift
    return x


# --------------------------------------------------------------------------- outer approximation


@dataclass(frozen=True)
class _OAModel:
    """``min sum_t weight_t exp((log_q @ v)_t) + cost @ v`` over integer v in [0, upper] with
    ``a_lo <= a @ v <= a_hi``; ``max_count[t]`` caps the rounds a target can get (for seeds)."""

    log_q: sparse.csr_array  # (T, n)
    weight: FloatArray
    cost: FloatArray
    integrality: FloatArray
    upper: FloatArray
    a: sparse.csr_array
    a_lo: FloatArray
    a_hi: FloatArray
    max_count: IntArray

    def value(self, v: FloatArray) -> float:
        return float(self.weight @ np.exp(self.log_q @ v) + self.cost @ v)


@dataclass(frozen=True)
class _OAResult:
    x: FloatArray
    upper: float
    lower: float | None
    optimal: bool


def _log_matrix(log_q: FloatArray, n: int) -> sparse.csr_array:
    """(T, n) matrix mapping the variables (x[s * T + t] first) to each target's ``z_t``."""
    n_s, n_t = log_q.shape
    cols = np.arange(n_s * n_t)
    return sparse.csr_array((log_q.ravel(), (cols % n_t, cols)), shape=(n_t, n))


def _seed_points(model: _OAModel, start: FloatArray) -> tuple[IntArray, FloatArray]:
    """Tangent points (target, z*) to start from: z = 0, the start's z, and per target the z
    of its k best and k worst rounds (k up to its round cap), and their midpoints."""
    targets, points = (
        [np.arange(model.weight.shape[0])] * 2,
        [
            np.zeros(model.weight.shape[0]),
            model.log_q @ start,
        ],
    )
    lq = model.log_q.tocsr()
    for t in np.flatnonzero(model.weight > 0):
        row = lq.data[lq.indptr[t] : lq.indptr[t + 1]]
        cap = model.upper[lq.indices[lq.indptr[t] : lq.indptr[t + 1]]]
        usable = np.repeat(row, np.minimum(cap, model.max_count[t]).astype(np.int64))
        usable = np.sort(usable[usable < 0])
        k = min(int(model.max_count[t]), usable.shape[0])
        if k == 0:
            continue
        best = np.cumsum(usable[:k])
        worst = np.cumsum(usable[::-1][:k])
        z = np.concatenate([best, worst, 0.5 * (best + worst)])
        targets.append(np.full(z.shape[0], t))
        points.append(z)
    return np.concatenate(targets), np.concatenate(points)


def _outer_approximation(model: _OAModel, start: FloatArray, deadline: float) -> _OAResult:
    """Outer approximation (Duran & Grossmann 1986) of :class:`_OAModel`, from a feasible start.

    The MILP has the model's variables and one ``s_t`` per target (its expected surviving
    value, scaled), minimises ``sum_t s_t + cost @ v`` and carries the tangent cuts
    ``s_t >= w_t e^{z*} (1 + z_t - z*)``. Cuts whose whole contribution is below 1e-12 of the
    objective are left out: a cut left out only weakens the bound, which stays valid.
    """
    n = start.shape[0]
    n_t = model.weight.shape[0]
    best, upper = start, model.value(start)
    lower: float | None = None
    scale = _OBJECTIVE_SCALE / max(upper, 1e-300)
    c = np.concatenate([model.cost * scale, np.ones(n_t)])
    integrality = np.concatenate([model.integrality, np.zeros(n_t)])
    bounds = Bounds(np.zeros(n + n_t), np.concatenate([model.upper, np.full(n_t, np.inf)]))
    base = LinearConstraint(
        sparse.hstack([model.a, sparse.csr_array((model.a.shape[0], n_t))], format="csr"),
        model.a_lo,
        model.a_hi,
    )
    lq = model.log_q.tocsr()
    cut_blocks: list[sparse.csr_array] = []
    cut_lo: list[FloatArray] = []
    seen: set[tuple[int, float]] = set()
    floor = 1e-12 * _OBJECTIVE_SCALE

    def add_cuts(t_idx: IntArray, z_star: FloatArray) -> int:
        keep = []
        for t, z in zip(t_idx.tolist(), z_star.tolist(), strict=True):
            key = (t, round(z, 12))
            if key in seen or model.weight[t] * scale * math.exp(z) * (1.0 - z) < floor:
                continue
            seen.add(key)
            keep.append((t, z))
        if not keep:
            return 0
        ts = np.array([k[0] for k in keep])
        zs = np.array([k[1] for k in keep])
        slope = model.weight[ts] * scale * np.exp(zs)  # d s_t / d z_t at z*
        rows = lq[ts]  # the z_t of each cut's target, as a row over the variables
        x_part = sparse.csr_array(rows.multiply(-slope[:, None]))
        s_part = sparse.csr_array(
            (np.ones(len(keep)), (np.arange(len(keep)), ts)), shape=(len(keep), n_t)
        )
        cut_blocks.append(sparse.hstack([x_part, s_part], format="csr"))
        cut_lo.append(slope * (1.0 - zs))
        return len(keep)

    add_cuts(*_seed_points(model, start))
    optimal = False
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        cuts = LinearConstraint(
            sparse.vstack(cut_blocks, format="csr"), np.concatenate(cut_lo), np.inf
        )
        options: dict[str, float] = {"mip_rel_gap": REL_GAP / 10}
        if math.isfinite(remaining):
            options["time_limit"] = remaining
        res = milp(
            c, integrality=integrality, bounds=bounds, constraints=[base, cuts], options=options
        )
        bound = res.get("mip_dual_bound")
        if bound is None and res.status == 0:
            bound = res.fun
        if bound is not None and math.isfinite(bound):
            lower = max(lower if lower is not None else -math.inf, bound / scale)
        new = 0
        if res.x is not None:
            v = np.rint(res.x[:n])
            value = model.value(v)
            if value < upper:
                best, upper = v, value
            new = add_cuts(np.arange(n_t), lq @ v)
        if lower is not None and upper - lower <= REL_GAP * max(abs(upper), 1e-300):
            optimal = True
            break
        if res.status != 0:
            break  # time limit, or HiGHS gave up: the bounds so far stand
        if new == 0:
            # the MILP's optimum sits where its cuts are exact: its value there is the true
            # objective, so the bounds have met within HiGHS's own tolerances
            optimal = True
            break
    if lower is not None:
        lower = min(lower, upper)
    return _OAResult(best, upper, lower, optimal)
