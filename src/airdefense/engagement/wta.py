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
  meet within a relative 1e-9 (of the optimum, or of 1e-3 of the total value at stake when
  the optimum is smaller: below that, clipping pk dominates), or the MILP's optimum lies where its cuts are already exact
  (then the bounds agree up to HiGHS's own tolerances, integrality 1e-6: a relative 1e-8 or
  so, which ``lower_bound``/``bound`` report as computed), or time runs out. Cuts are seeded
  at the heuristic solution, at ``z = 0`` and at the ``z`` of each target's one and two best
  and worst shots, so two or three MILPs usually suffice. Andersen, Pavlikov & Toffolo
  (Annals of OR, 2022) bound the same exponential inside one MILP by piecewise-linear
  approximations of chosen accuracy ("branch-and-adjust"); here tangents are added only
  where the MILP's solutions land.
- ``"heuristic"``: maximum marginal return greedy (den Broeder, Ellison & Emerling,
  Operations Research 7, 1959; optimal when a target's kill probability does not depend on
  the weapon), then local search. Static WTA: move one weapon to another target or swap two
  weapons' targets; then exchange rounds in which every target offers one weapon and the
  offered weapons are re-placed by a linear assignment, which searches all cyclic exchanges
  among them at once (the very-large-scale neighbourhood idea of Ahuja, Kumar, Jha & Orlin,
  Operations Research 55, 2007, in its simplest form). Per-cycle WTA: add, drop or move one
  round (to another threat, shooter or both), move a battery's whole engagement to another
  threat, exchange rounds as above, and ruin and recreate (Schrimpf et al., J. Comput. Phys.
  159, 2000). All candidate gains are evaluated at once as arrays.

A kill probability of exactly 1 has ``ln(1 - p) = -inf``; it is clipped to ``1 - 1e-9``
(``ln = -20.7``) for both methods and for the reported objectives, which changes an objective
by at most ``1e-9`` of a target's value (at ``1 - 1e-12`` HiGHS failed on the cuts' range of
coefficients, found by hypothesis).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

from airdefense.engagement import _wta_kernels as _wk

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Kill probabilities are clipped to at most this (see the module docstring).
PK_MAX = 1.0 - 1e-9
#: Relative gap between the bounds at which the exact method stops, proven optimal.
REL_GAP = 1e-9
_METHODS = ("exact", "heuristic")
#: Nodes after which the per-cycle branch and bound gives up proving its allocation optimal
#: (then ``"exact"`` goes on with the MILP, ``"auto"`` with the heuristic).
BNB_NODE_LIMIT = 50_000
# The MILPs' objective is scaled so the first incumbent is about this: HiGHS's absolute gap
# tolerance (1e-6) is then 1e-10 of the objective, below REL_GAP.
_OBJECTIVE_SCALE = 1e4
# Exchange rounds in a row without improvement after which the static heuristic stops.
_EXCHANGE_PATIENCE = 8
# Exchange/ruin rounds in a row without improvement after which the per-cycle heuristic stops.
_RUIN_PATIENCE = 8
# Seed tangents per target at the z of its k best and k worst shots, k = 1.._SEED_K (2 was
# fastest on the 50x100 benchmark instances: 0 needs more MILPs, 4 makes each one slower).
_SEED_K = 2


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


def _fail(name: str, what: str) -> NoReturn:
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
    clipped to 1 - 1e-9). ``method="exact"`` is the outer approximation of the module
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
    for _ in range(n_w):
        i, j = divmod(int(np.argmax(gain)), n_t)
        assignment[i] = j
        surv[j] *= 1.0 - p[i, j]
        gain[:, j] = surv[j] * p[:, j]
        gain[i, :] = -1.0  # below every real gain (>= 0): weapon i is spent
    # local search (moves and swaps), then exchange rounds until several bring nothing
    _move_swap_search(v, log_q, assignment)
    rng = np.random.default_rng(0)  # which weapon each target offers: fixed, reproducible
    tol = 1e-12 * max(float(v.sum()), 1e-300)
    idle = 0
    while idle < _EXCHANGE_PATIENCE:
        if _exchange_round(v, log_q, assignment, rng) > tol:
            _move_swap_search(v, log_q, assignment)
            idle = 0
        else:
            idle += 1
    return assignment


def _move_swap_search(v: FloatArray, log_q: FloatArray, assignment: IntArray) -> None:
    """Best-improvement local search in place: move one weapon to another target, or swap
    two weapons' targets, until neither improves (all candidates evaluated as arrays)."""
    n_w, n_t = log_q.shape
    rows = np.arange(n_w)
    p = -np.expm1(log_q)
    tol = 1e-12 * max(float(v.sum()), 1e-300)
    for _ in range(100 * n_w + 100):
        z = np.bincount(assignment, weights=log_q[rows, assignment], minlength=n_t)
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
            return
        if gain_move >= gain_swap:
            i, k = divmod(best_move, n_t)
            assignment[i] = k
        else:
            i1, i2 = divmod(best_swap, n_w)
            assignment[i1], assignment[i2] = assignment[i2], assignment[i1]


def _exchange_round(
    v: FloatArray, log_q: FloatArray, assignment: IntArray, rng: np.random.Generator
) -> float:
    """One very-large-neighbourhood step in place; returns the decrease of the objective.

    Every target with weapons offers one of them (at random); the offered weapons are then
    re-placed, at most one per target, by a linear assignment (``linear_sum_assignment``).
    With at most one weapon leaving and one arriving per target, each target's change depends
    on its own pair only, so the assignment's cost is the exact change: this searches every
    cyclic and path exchange among the offered weapons at once (the idea of the
    very-large-scale neighbourhood search of Ahuja et al. 2007, here in its simplest form).
    """
    n_w, n_t = log_q.shape
    order = rng.permutation(n_w)
    targets, first = np.unique(assignment[order], return_index=True)
    offered = order[first]  # one weapon per target with weapons
    z = np.bincount(assignment, weights=log_q[np.arange(n_w), assignment], minlength=n_t)
    z_left = z.copy()
    z_left[targets] -= log_q[offered, targets]
    base = v * np.exp(z_left)  # each target's surviving value without its offered weapon
    cost = base[None, :] * np.expm1(log_q[offered])  # base_j (q_ij - 1) <= 0
    rows, cols = linear_sum_assignment(cost)
    before = float(cost[np.arange(offered.shape[0]), targets].sum())
    after = float(cost[rows, cols].sum())
    if after < before:
        assignment[offered[rows]] = cols
    return before - after


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
    expected value than it costs. Methods:

    - ``"exact"``: a proven optimum. First a compiled depth-first branch and bound
      (:mod:`._wta_kernels`; a decision cycle's problem of a few shooters and a few dozen
      threats takes microseconds); if it cannot finish within :data:`BNB_NODE_LIMIT` nodes,
      the MILP outer approximation with channel indicators ``y_gt``
      (``sum_{s in g} x_st <= max_salvo_t y_gt``, ``sum_t y_gt <= channels_g``), started
      from the better of its incumbent and the heuristic's allocation.
    - ``"heuristic"``: greedy by marginal return net of price, then local search, exchange
      rounds and ruin and recreate (module docstring; :class:`_Cycle`).
    - ``"auto"`` (the engage stage's default): the branch and bound, and where it cannot
      finish, the better of its incumbent and the heuristic (no MILP: bounded time).
    """
    start = time.perf_counter()
    if method not in (*_METHODS, "auto"):
        _fail("method", f"must be 'exact', 'heuristic' or 'auto' (got {method!r})")
    limit = _check_method("exact", time_limit_s)
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
    if not allowed.any():
        x0 = np.zeros((n_s, n_t), dtype=np.int64)
        value = allocation_value(problem, x0)
        return Allocation(x0, value, value, True, time.perf_counter() - start)
    searched = None
    if method in ("exact", "auto"):
        searched, proven = _branch_and_bound(problem, w, log_q, allowed)
        if proven:
            value = allocation_value(problem, searched)
            return Allocation(searched, value, value, True, time.perf_counter() - start)
    x0 = _dynamic_heuristic(problem, w, log_q, allowed)
    if searched is not None and allocation_value(problem, searched) > allocation_value(problem, x0):
        x0 = searched
    if method in ("heuristic", "auto"):
        value = allocation_value(problem, x0)
        return Allocation(x0, value, None, False, time.perf_counter() - start)
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


def _branch_and_bound(
    problem: AssignmentProblem, w: FloatArray, log_q: FloatArray, allowed: NDArray[np.bool_]
) -> tuple[IntArray, bool]:
    """The compiled depth-first branch and bound (:mod:`._wta_kernels`) over the allowed
    pairs: the best allocation it found and whether it proved it optimal within
    :data:`BNB_NODE_LIMIT` nodes."""
    s_idx, t_idx = np.nonzero(allowed)
    lq = log_q[s_idx, t_idx]
    # most valuable threats first, and within a threat the best net first round first
    first = w[t_idx] * -np.expm1(lq) - problem.cost[s_idx]
    worth = np.zeros(w.shape[0])
    np.maximum.at(worth, t_idx, w[t_idx] * -np.expm1(lq))
    order = np.lexsort((-first, t_idx, -worth[t_idx]))
    s_idx, t_idx, lq = s_idx[order], t_idx[order], lq[order]
    rounds, _, finished = _wk.branch_and_bound(
        s_idx.astype(np.int64),
        t_idx.astype(np.int64),
        np.ascontiguousarray(w, dtype=np.float64),
        np.ascontiguousarray(lq, dtype=np.float64),
        np.ascontiguousarray(problem.cost, dtype=np.float64),
        problem.shots.astype(np.int64),
        problem.group.astype(np.int64),
        problem.channels.astype(np.int64),
        problem.max_salvo.astype(np.int64),
        BNB_NODE_LIMIT,
        1e-12 * max(float(w.sum()), 1e-300),
    )
    x = np.zeros(allowed.shape, dtype=np.int64)
    x[s_idx, t_idx] = rounds
    return x, bool(finished)


def _group_counts(problem: AssignmentProblem, x: IntArray) -> IntArray:
    """Rounds of each battery at each threat, (G, T)."""
    counts = np.zeros((problem.channels.shape[0], x.shape[1]), dtype=np.int64)
    np.add.at(counts, problem.group, x)
    return counts


def _dynamic_heuristic(
    problem: AssignmentProblem, w: FloatArray, log_q: FloatArray, allowed: NDArray[np.bool_]
) -> IntArray:
    """Greedy by marginal return net of price, local search, then exchange rounds (all
    feasible throughout); see :class:`_Cycle`."""
    cycle = _Cycle(problem, w, log_q, allowed)
    if not allowed.any():
        return cycle.x
    cycle.greedy()
    cycle.local_search()
    rng = np.random.default_rng(0)  # which rounds are offered and ruined: fixed, reproducible
    best, best_value = cycle.x.copy(), cycle.cost_value()
    idle = 0
    while idle < _RUIN_PATIENCE:
        idle += 1
        for step in ("exchange", "ruin"):
            if step == "exchange":
                if not cycle.exchange(rng):
                    continue
            else:
                cycle.greedy(tabu=cycle.ruin(rng))
            cycle.local_search()
            value = cycle.cost_value()
            if value < best_value - cycle.tol:
                best, best_value, idle = cycle.x.copy(), value, 0
                break
            cycle.x[:] = best
            cycle.refresh()
    return cycle.x


class _Cycle:
    """Heuristic search state of one :class:`AssignmentProblem`, kept feasible throughout.

    Marginal gains of every (shooter, threat) at once: adding a round of s at t gains
    ``w_t e^{z_t} p_st - c_s`` (``w = V S0``, ``z_t`` the log-survival so far). The local
    search takes the best of: add one round; drop one; move one (drop it and add one anywhere
    it is then feasible: another threat, a cheaper shooter, or both); or move all of a
    battery's rounds at one threat to another (the channel it frees pays for the one it
    opens). An exchange round offers one fired round per threat and one spare round per
    shooter with rounds left and re-places them by a linear assignment, as
    :func:`_exchange_round` does for static WTA; placements that would open more channels
    than a battery has free are left unfired. A ruin clears the rounds at a random third of
    the engaged threats and refills greedily without the cleared pairs.
    """

    def __init__(
        self,
        problem: AssignmentProblem,
        w: FloatArray,
        log_q: FloatArray,
        allowed: NDArray[np.bool_],
    ) -> None:
        self.problem, self.w, self.log_q, self.allowed = problem, w, log_q, allowed
        self.p = -np.expm1(log_q)
        n_s, n_t = log_q.shape
        self.n_s, self.n_t, self.n_g = n_s, n_t, problem.channels.shape[0]
        self.x = np.zeros((n_s, n_t), dtype=np.int64)
        self.in_group = np.zeros((self.n_g, n_s))
        self.in_group[problem.group, np.arange(n_s)] = 1.0
        self.off_diagonal = ~np.eye(n_t, dtype=bool)
        self.tol = 1e-12 * max(float(w.sum()), 1e-300)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the derived state from ``x``."""
        pr, x = self.problem, self.x
        self.z = (x * self.log_q).sum(axis=0)
        self.left = pr.shots - x.sum(axis=1)  # rounds per shooter
        self.room = pr.max_salvo - x.sum(axis=0)  # rounds per threat
        self.count = np.zeros((self.n_g, self.n_t), dtype=np.int64)  # per battery and threat
        np.add.at(self.count, pr.group, x)
        self.free = pr.channels - (self.count > 0).sum(axis=1)  # channels per battery

    def cost_value(self) -> float:
        """Minimisation form: expected surviving value plus price of the rounds."""
        return float(self.w @ np.exp(self.z) + self.problem.cost @ self.x.sum(axis=1))

    def add(self, s: int, t: int, k: int) -> None:
        self.x[s, t] += k
        self.refresh()

    def add_gain(self) -> FloatArray:
        group = self.problem.group
        ok = self.allowed & (self.left > 0)[:, None] & (self.room > 0)[None, :]
        ok &= (self.count[group] > 0) | (self.free[group] > 0)[:, None]
        gain = self.w * np.exp(self.z) * self.p - self.problem.cost[:, None]
        return np.where(ok, gain, -np.inf)

    def greedy(self, tabu: NDArray[np.bool_] | None = None) -> None:
        while True:
            gain = self.add_gain()
            if tabu is not None:
                gain[tabu] = -np.inf
            k = int(np.argmax(gain))
            if gain.flat[k] <= self.tol:
                return
            self.add(*divmod(k, self.n_t), 1)

    def local_search(self) -> None:
        pr, w, p, log_q = self.problem, self.w, self.p, self.log_q
        cost, group = pr.cost, pr.group
        n_s, n_t, n_g = self.n_s, self.n_t, self.n_g
        s_ids, t_ids, g_ids = np.arange(n_s), np.arange(n_t), np.arange(n_g)
        for _ in range(100 * int(pr.shots.sum()) + 100):
            base = self.add_gain()
            ks, kt = np.nonzero(self.x)
            kg = group[ks]
            n_k = ks.shape[0]
            kz = self.z[kt] - log_q[ks, kt]  # threat kt's log-survival less one round of ks
            drop = cost[ks] - w[kt] * np.exp(kz) * p[ks, kt]
            # a drop followed by an add anywhere it is then feasible
            last = self.count[kg, kt] == 1
            left_after = self.left[None, :] + (s_ids[None, :] == ks[:, None])
            room_after = self.room[None, :] + (t_ids[None, :] == kt[:, None])
            free_after = self.free[None, :] + ((g_ids[None, :] == kg[:, None]) & last[:, None])
            released = (
                (g_ids[None, :, None] == kg[:, None, None])
                & (t_ids[None, None, :] == kt[:, None, None])
                & last[:, None, None]
            )
            engaged_after = ((self.count > 0)[None] & ~released)[:, group, :]
            ok = self.allowed[None] & (left_after > 0)[:, :, None] & (room_after > 0)[:, None, :]
            ok &= engaged_after | (free_after[:, group] > 0)[:, :, None]
            ok[np.arange(n_k), ks, kt] = False
            re_add = w * np.exp(self.z) * p - cost[:, None]
            re_add = np.broadcast_to(re_add, (n_k, n_s, n_t)).copy()
            re_add[np.arange(n_k), :, kt] = (w[kt] * np.exp(kz))[:, None] * p[:, kt].T - cost
            move = np.where(ok, re_add, -np.inf) + drop[:, None, None]
            # a battery moves all its rounds at one threat to another (same shooters): the
            # channel it frees pays for the one it opens
            shift = w * np.exp(self.z)
            spread = (self.x[:, :, None] * log_q[:, None, :]).reshape(n_s, n_t * n_t)
            moved = (self.in_group @ spread).reshape(n_g, n_t, n_t)  # z g gives t1, at t2
            own = np.diagonal(moved, axis1=1, axis2=2)  # (G, T1): z the battery gives t1
            gain_away = shift[None, :] * (1.0 - np.exp(-own))  # value lost at t1 (<= 0)
            gain_to = shift[None, None, :] * -np.expm1(moved)  # value gained at t2
            block = gain_away[:, :, None] + gain_to
            unfit = ((self.x > 0)[:, :, None] & ~self.allowed[:, None, :]).reshape(n_s, -1)
            bad = (self.in_group @ unfit).reshape(n_g, n_t, n_t)
            feasible = (self.count > 0)[:, :, None] & (bad == 0)
            feasible &= self.room[None, None, :] >= self.count[:, :, None]
            feasible &= self.off_diagonal[None]
            block = np.where(feasible, block, -np.inf)
            options = [
                (base.max(initial=-np.inf), "add"),
                (drop.max(initial=-np.inf), "drop"),
                (move.max(initial=-np.inf), "move"),
                (block.max(initial=-np.inf), "block"),
            ]
            gain, kind = max(options, key=lambda o: o[0])
            if gain <= self.tol:
                return
            if kind == "add":
                self.add(*divmod(int(np.argmax(base)), n_t), 1)
            elif kind == "drop":
                k = int(np.argmax(drop))
                self.add(int(ks[k]), int(kt[k]), -1)
            elif kind == "move":
                k, rest = divmod(int(np.argmax(move)), n_s * n_t)
                self.x[ks[k], kt[k]] -= 1
                self.add(*divmod(rest, n_t), 1)
            else:
                g, t1, t2 = np.unravel_index(int(np.argmax(block)), block.shape)
                members = group == g
                self.x[members, t2] += self.x[members, t1]
                self.x[members, t1] = 0
                self.refresh()

    def ruin(self, rng: np.random.Generator) -> NDArray[np.bool_]:
        """Clear the rounds at a random third of the engaged threats (ruin and recreate,
        Schrimpf et al., J. Comput. Phys. 159, 2000); returns the cleared (shooter, threat)
        pairs, which the greedy refill then leaves alone so that it does not rebuild them."""
        engaged = np.flatnonzero(self.x.sum(axis=0))
        cleared = np.zeros_like(self.allowed)
        if engaged.shape[0]:
            k = max(1, engaged.shape[0] // 3)
            chosen = rng.choice(engaged, size=k, replace=False)
            cleared[:, chosen] = self.x[:, chosen] > 0
            self.x[:, chosen] = 0
            self.refresh()
        return cleared

    def exchange(self, rng: np.random.Generator) -> bool:
        """One exchange round (class docstring), applied; True if it changed ``x``.

        A threat takes as many offered rounds as its salvo room allows; the cost of two at one
        threat is then the sum of their single-round changes, an optimistic estimate (the
        true change is larger by ``base (1 - q1)(1 - q2)``), so the caller judges the result
        by its true objective after local search.
        """
        pr, x = self.problem, self.x
        group = pr.group
        # offer one fired round per threat (a random one, weighted by rounds) ...
        ks, kt = np.nonzero(x)
        units = np.repeat(np.arange(ks.shape[0]), x[ks, kt])
        units = units[rng.permutation(units.shape[0])]
        _, first = np.unique(kt[units], return_index=True)
        fired = units[first]
        # ... and one spare round of every shooter with rounds left
        spare = np.flatnonzero(self.left > 0)
        rows_s = np.concatenate([ks[fired], spare])
        n_r = rows_s.shape[0]
        if n_r == 0:
            return False
        after = x.copy()
        after[ks[fired], kt[fired]] -= 1
        z_left = (after * self.log_q).sum(axis=0)
        room_left = pr.max_salvo - after.sum(axis=0)
        count_left = np.zeros_like(self.count)
        np.add.at(count_left, group, after)
        engaged_left = count_left > 0
        budget = pr.channels - engaged_left.sum(axis=1)  # openings each battery may make
        base = self.w * np.exp(z_left)
        delta = base[None, :] * np.expm1(self.log_q[rows_s]) + pr.cost[rows_s, None]
        g_r = group[rows_s]
        ok = self.allowed[rows_s] & (engaged_left[g_r] | (budget[g_r] > 0)[:, None])
        big = 1e6 * (float(np.abs(delta[ok]).max(initial=0.0)) + 1.0)
        # columns: each threat once per round of salvo room, then "leave unfired" per row
        slot_t = np.repeat(np.arange(self.n_t), np.minimum(room_left, n_r))
        n_c = slot_t.shape[0]
        matrix = np.full((n_r, n_c + n_r), big)
        matrix[:, :n_c] = np.where(ok[:, slot_t], delta[:, slot_t], big)
        matrix[np.arange(n_r), n_c + np.arange(n_r)] = 0.0
        rows, cols = linear_sum_assignment(matrix)
        placed = cols < n_c
        rs, ts = rows_s[rows[placed]], slot_t[cols[placed]]
        gain = delta[rows[placed], ts]
        keep = gain < 0  # a placement that does not pay is left unfired
        # channels: a battery opens at most `budget` new threats, the most valuable first
        # (two rounds of one battery at one new threat count twice: conservative)
        opens = ~engaged_left[group[rs], ts] & keep
        g_open = group[rs][opens]
        order = np.lexsort((gain[opens], g_open))
        g_sorted = g_open[order]
        rank = np.arange(g_sorted.shape[0]) - np.searchsorted(g_sorted, g_sorted)
        keep[np.flatnonzero(opens)[order[rank >= budget[g_sorted]]]] = False
        np.add.at(after, (rs[keep], ts[keep]), 1)
        if np.array_equal(after, x):
            return False
        self.x[:] = after
        self.refresh()
        return True


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
    of its k best and k worst rounds (k = 1.._SEED_K), and their midpoints."""
    n_t = model.weight.shape[0]
    coo = model.log_q.tocoo()
    cap = np.minimum(model.upper[coo.col], model.max_count[coo.row])
    keep = (coo.data < 0) & (model.weight[coo.row] > 0) & (cap > 0)
    # every variable offers up to _SEED_K rounds, sorted by target, then from the best
    reps = np.minimum(cap[keep], _SEED_K).astype(np.int64)
    t = np.repeat(coo.row[keep], reps)
    lq = np.repeat(coo.data[keep], reps)
    order = np.lexsort((lq, t))
    t, lq = t[order], lq[order]
    first = np.searchsorted(t, t, side="left")
    last = np.searchsorted(t, t, side="right") - 1
    rank_best = np.arange(t.shape[0]) - first
    rank_worst = last - np.arange(t.shape[0])
    limit = np.minimum(model.max_count[t], _SEED_K)
    targets = [np.arange(n_t), np.arange(n_t)]
    points = [np.zeros(n_t), model.log_q @ start]
    for rank in (rank_best, rank_worst):
        for k in range(1, _SEED_K + 1):
            # the sum of a target's k best (or worst) rounds, where it has k
            mine = (rank < k) & (k <= limit)
            total = np.bincount(t[mine], weights=lq[mine], minlength=n_t)
            has = np.bincount(t[mine], minlength=n_t) == k
            targets.append(np.flatnonzero(has))
            points.append(total[has])
    # midpoints of the k best and the k worst
    for k in range(_SEED_K):
        best_t, best_z = targets[2 + k], points[2 + k]
        worst_t, worst_z = targets[2 + _SEED_K + k], points[2 + _SEED_K + k]
        both = np.intersect1d(best_t, worst_t)
        mid = 0.5 * (
            best_z[np.searchsorted(best_t, both)] + worst_z[np.searchsorted(worst_t, both)]
        )
        targets.append(both)
        points.append(mid)
    return np.concatenate(targets), np.concatenate(points)


def _outer_approximation(model: _OAModel, start: FloatArray, deadline: float) -> _OAResult:
    """Outer approximation (Duran & Grossmann 1986) of :class:`_OAModel`, from a feasible start.

    The MILP has the model's variables and one ``s_t`` per target (its expected surviving
    value, scaled), minimises ``sum_t s_t + cost @ v`` and carries the tangent cuts
    ``s_t >= w_t e^{z*} (1 + z_t - z*)``. Cuts whose whole contribution is below 1e-12 of the
    objective are left out: a cut left out only weakens the bound, which stays valid.
    """
    # work in units of the largest value or price (the objective is homogeneous in them)
    norm = max(float(model.weight.max(initial=0.0)), float(model.cost.max(initial=0.0)))
    if norm <= 0.0:  # nothing at stake and nothing to pay: every point is optimal
        return _OAResult(start, 0.0, 0.0, True)
    if norm != 1.0:
        model = replace(model, weight=model.weight / norm, cost=model.cost / norm)
        oa = _outer_approximation(model, start, deadline)
        lower = None if oa.lower is None else oa.lower * norm
        return _OAResult(oa.x, oa.upper * norm, lower, oa.optimal)
    n = start.shape[0]
    n_t = model.weight.shape[0]
    best, upper = start, model.value(start)
    if upper <= 0.0:  # nothing survives at no price: the objective cannot go below 0
        return _OAResult(best, upper, 0.0, True)
    lower: float | None = None
    # an optimum below 1e-3 of the value at stake is judged on that floor: a gap of 1e-12 of
    # the value at stake is already below the effect of clipping pk (module docstring). The
    # model is in units of its largest value or price, so below 1e-12 of that nothing
    # matters either (and a value at stake of 1e-308 would make the scale overflow)
    unit = max(upper, 1e-3 * float(model.weight.sum()), 1e-12)
    scale = _OBJECTIVE_SCALE / unit
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
    seen = np.zeros(0, dtype=np.dtype((np.void, 16)))
    floor = 1e-12 * _OBJECTIVE_SCALE

    def add_cuts(t_idx: IntArray, z_star: FloatArray) -> int:
        nonlocal seen
        # a cut is new unless one at the same (target, z*) to 1e-12 exists; a cut worth
        # below 1e-12 of the objective anywhere it can bind is left out
        keys = np.ascontiguousarray(
            np.column_stack([t_idx.astype(np.float64), np.round(z_star, 12)])
        ).view(np.dtype((np.void, 16)))[:, 0]
        keys, first = np.unique(keys, return_index=True)
        ts, zs = t_idx[first], z_star[first]
        slope = model.weight[ts] * scale * np.exp(zs)  # d s_t / d z_t at z*
        fresh = ~np.isin(keys, seen) & (slope * (1.0 - zs) >= floor)
        if not fresh.any():
            return 0
        seen = np.concatenate([seen, keys[fresh]])
        ts, zs, slope = ts[fresh], zs[fresh], slope[fresh]
        rows = lq[ts]  # the z_t of each cut's target, as a row over the variables
        x_part = sparse.csr_array(rows.multiply(-slope[:, None]))
        s_part = sparse.csr_array(
            (np.ones(ts.shape[0]), (np.arange(ts.shape[0]), ts)), shape=(ts.shape[0], n_t)
        )
        cut_blocks.append(sparse.hstack([x_part, s_part], format="csr"))
        cut_lo.append(slope * (1.0 - zs))
        return int(ts.shape[0])

    add_cuts(*_seed_points(model, start))
    optimal = False
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        constraints = [base]
        if cut_blocks:  # none when every tangent is worth below 1e-12 of the objective
            constraints.append(
                LinearConstraint(
                    sparse.vstack(cut_blocks, format="csr"), np.concatenate(cut_lo), np.inf
                )
            )
        options: dict[str, float] = {"mip_rel_gap": REL_GAP / 10}
        if math.isfinite(remaining):
            options["time_limit"] = remaining
        res = milp(
            c, integrality=integrality, bounds=bounds, constraints=constraints, options=options
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
        if lower is not None and upper - lower <= REL_GAP * unit:
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
