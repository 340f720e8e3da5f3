"""Weapon-target assignment (src/airdefense/engagement/wta.py) against brute force.

Static WTA: the exact method equals the best of all T^W assignments; the heuristic is a valid
assignment never better than it; with kill probabilities that depend only on the target, the
maximum-marginal-return greedy is optimal (den Broeder et al. 1959). Per-cycle WTA: the exact
method equals the best of every integer allocation within the bounds; both methods respect
every constraint; the exact one fires no round worth less than its price and prefers the
cheaper of two equal shooters. No published small instance with its optimum was found to
quote (the instances of Andersen, Pavlikov & Toffolo 2022 start at 50 x 100), so none is here.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.engagement import wta
from airdefense.engagement.wta import (
    PK_MAX,
    AssignmentProblem,
    allocation_value,
    assign,
    expected_survival,
    solve,
)

REL = 1e-7  # the exact method's optimum is proven to ~1e-8 relative (module docstring)


def brute_static(values: np.ndarray, pk: np.ndarray) -> float:
    """Smallest expected surviving value over all T^W assignments."""
    n_w, n_t = pk.shape
    every = np.array(list(itertools.product(range(n_t), repeat=n_w)), dtype=np.int64)
    log_q = np.log1p(-np.minimum(pk, PK_MAX))
    z = np.zeros((every.shape[0], n_t))
    for i in range(n_w):
        np.add.at(z, (np.arange(every.shape[0]), every[:, i]), log_q[i, every[:, i]])
    return float((np.exp(z) @ values).min())


def brute_cycle(problem: AssignmentProblem) -> float:
    """Best objective over every integer allocation within the bounds that is feasible."""
    n_s, n_t = problem.pk.shape
    caps = np.where(
        problem.pk > 0, np.minimum(problem.shots[:, None], problem.max_salvo[None, :]), 0
    )
    grids = [range(int(c) + 1) for c in caps.ravel()]
    x = np.array(list(itertools.product(*grids)), dtype=np.int64).reshape(-1, n_s, n_t)
    return float(max(allocation_value(problem, xi) for xi in x[feasible_mask(problem, x)]))


def feasible_mask(problem: AssignmentProblem, x: np.ndarray) -> np.ndarray:
    """Which allocations (N, S, T) respect every constraint of the problem."""
    ok = (x >= 0).all(axis=(1, 2))
    ok &= (x.sum(axis=2) <= problem.shots).all(axis=1)
    ok &= (x.sum(axis=1) <= problem.max_salvo).all(axis=1)
    ok &= ~((x > 0) & (problem.pk == 0)).any(axis=(1, 2))
    n_g = problem.channels.shape[0]
    per_group = np.zeros((x.shape[0], n_g, x.shape[2]), dtype=np.int64)
    np.add.at(per_group, (slice(None), problem.group), x)
    ok &= ((per_group > 0).sum(axis=2) <= problem.channels).all(axis=1)
    return ok


def assert_feasible(problem: AssignmentProblem, shots: np.ndarray) -> None:
    assert shots.shape == problem.pk.shape
    assert shots.dtype.kind == "i"
    assert feasible_mask(problem, shots[None])[0]


# --------------------------------------------------------------------------- static

probabilities = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0))


@st.composite
def static_instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n_w = draw(st.integers(1, 5))
    n_t = draw(st.integers(1, 4))
    values = np.array(draw(st.lists(st.floats(0.0, 100.0), min_size=n_t, max_size=n_t)))
    pk = np.array(draw(st.lists(probabilities, min_size=n_w * n_t, max_size=n_w * n_t)))
    return values, pk.reshape(n_w, n_t)


@settings(max_examples=40, deadline=None)
@given(static_instances())
def test_static_exact_equals_brute_force_and_heuristic_never_beats_it(
    instance: tuple[np.ndarray, np.ndarray],
) -> None:
    values, pk = instance
    best = brute_static(values, pk)
    exact = solve(values, pk, method="exact")
    heuristic = solve(values, pk, method="heuristic")
    # the gap is judged relative to the optimum, or 1e-3 of the total value if it is smaller
    scale = max(best, 1e-3 * values.sum(), 1e-300)
    assert exact.optimal
    assert exact.expected_survival == pytest.approx(best, rel=0, abs=REL * scale)
    assert exact.lower_bound is not None
    assert exact.lower_bound <= best + REL * scale
    for result in (exact, heuristic):
        assert result.assignment.shape == (pk.shape[0],)
        assert ((result.assignment >= 0) & (result.assignment < pk.shape[1])).all()
        recomputed = expected_survival(values, pk, result.assignment)
        assert result.expected_survival == pytest.approx(recomputed, rel=1e-12, abs=1e-12)
    assert heuristic.expected_survival >= exact.expected_survival - REL * scale
    assert heuristic.lower_bound is None and not heuristic.optimal


def test_greedy_is_optimal_when_pk_depends_only_on_the_target() -> None:
    # den Broeder et al. 1959: identical weapons make maximum marginal return optimal
    rng = np.random.default_rng(5)
    values = rng.uniform(25, 100, 8)
    pk = np.tile(rng.uniform(0.6, 0.9, 8), (12, 1))
    exact = solve(values, pk)
    heuristic = solve(values, pk, method="heuristic")
    assert heuristic.expected_survival == pytest.approx(exact.expected_survival, rel=1e-9)


def test_static_benchmark_size_heuristic_close_to_exact() -> None:
    rng = np.random.default_rng(0)
    values, pk = rng.uniform(25, 100, 10), rng.uniform(0.6, 0.9, (10, 10))
    exact = solve(values, pk)
    heuristic = solve(values, pk, method="heuristic")
    assert exact.optimal
    assert exact.expected_survival <= heuristic.expected_survival <= 1.01 * exact.lower_bound


def test_static_time_limit_gives_a_valid_assignment_and_bound() -> None:
    rng = np.random.default_rng(1)
    values, pk = rng.uniform(25, 100, 30), rng.uniform(0.6, 0.9, (60, 30))
    result = solve(values, pk, time_limit_s=0.05)
    assert result.assignment.shape == (60,)
    if not result.optimal and result.lower_bound is not None:
        assert result.lower_bound <= result.expected_survival


def test_certain_kill_is_clipped_not_infinite() -> None:
    result = solve([10.0, 5.0], [[1.0, 0.5], [1.0, 0.5]])
    assert result.optimal
    assert sorted(result.assignment.tolist()) == [0, 1]  # one at each: 10 (1 - PK_MAX) + 2.5
    assert result.expected_survival == pytest.approx(2.5 + 10.0 * (1.0 - PK_MAX), rel=1e-12)


def test_no_weapons() -> None:
    result = solve([3.0, 4.0], np.zeros((0, 2)))
    assert result.assignment.shape == (0,)
    assert result.expected_survival == 7.0 and result.optimal


@pytest.mark.parametrize(
    ("values", "pk", "kwargs", "message"),
    [
        ([1.0, 2.0], [[0.5, 0.5, 0.5]], {}, r"pk: must have shape \(W, T\) = \(1, 2\)"),
        ([1.0, 2.0], [[0.5, 1.5]], {}, r"pk: must be in \[0, 1\] \(got 1.5 at \[0, 1\]\)"),
        ([1.0, 2.0], [[0.5, -0.1]], {}, r"pk: must be in \[0, 1\]"),
        ([1.0, np.nan], [[0.5, 0.5]], {}, r"values: must be finite \(got nan at \[1\]\)"),
        ([-1.0, 2.0], [[0.5, 0.5]], {}, r"values: must be >= 0 \(got -1 at \[0\]\)"),
        ([1.0, 2.0], [0.5, 0.5], {}, r"pk: must be 2-dimensional \(got shape \(2,\)\)"),
        ([], [[]], {}, r"values: must hold at least one target"),
        ([1.0], [[0.5]], {"method": "best"}, r"method: must be 'exact' or 'heuristic'"),
        ([1.0], [[0.5]], {"time_limit_s": 0}, r"time_limit_s: must be a number > 0 or None"),
        ([1.0], [["a"]], {}, r"pk: must be an array of numbers"),
    ],
)
def test_static_input_errors(values: list, pk: list, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        solve(values, pk, **kwargs)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- per cycle


@st.composite
def cycle_problems(draw: st.DrawFn, max_s: int = 3, max_t: int = 3) -> AssignmentProblem:
    n_s = draw(st.integers(1, max_s))
    n_t = draw(st.integers(1, max_t))
    n_g = draw(st.integers(1, min(2, n_s)))

    def floats(n: int, lo: float, hi: float) -> np.ndarray:
        return np.array(draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n)))

    def ints(n: int, lo: int, hi: int) -> np.ndarray:
        return np.array(draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)))

    pk = np.array(draw(st.lists(probabilities, min_size=n_s * n_t, max_size=n_s * n_t)))
    return AssignmentProblem(
        values=floats(n_t, 0.0, 100.0),
        survival0=floats(n_t, 0.0, 1.0),
        pk=pk.reshape(n_s, n_t),
        cost=floats(n_s, 0.0, 40.0),
        shots=ints(n_s, 0, 2),
        group=np.concatenate([np.arange(n_g), ints(n_s - n_g, 0, n_g - 1)]),
        channels=ints(n_g, 0, 2),
        max_salvo=ints(n_t, 0, 2),
    )


def marginal_values(problem: AssignmentProblem, shots: np.ndarray) -> np.ndarray:
    """Expected value each fired (shooter, threat) pair's last round adds, (S, T)."""
    log_q = np.log1p(-np.minimum(problem.pk, PK_MAX))
    z = (shots * log_q).sum(axis=0)
    w = problem.values * problem.survival0
    return w * np.exp(z - log_q) * -np.expm1(log_q)


@settings(max_examples=40, deadline=None)
@given(cycle_problems())
def test_cycle_exact_equals_brute_force(problem: AssignmentProblem) -> None:
    best = brute_cycle(problem)
    exact = assign(problem)
    heuristic = assign(problem, method="heuristic")
    scale = max(float((problem.values * problem.survival0).sum()), 1e-9)
    assert exact.optimal
    assert exact.objective == pytest.approx(best, abs=REL * scale)
    assert exact.bound is not None and exact.bound >= best - REL * scale
    for result in (exact, heuristic):
        assert_feasible(problem, result.shots)
        assert result.objective == pytest.approx(allocation_value(problem, result.shots))
    assert heuristic.objective <= exact.objective + REL * scale
    assert heuristic.bound is None or heuristic.optimal  # optimal when nothing can fire
    # no round is worth less than its price
    fired = exact.shots > 0
    worth = marginal_values(problem, exact.shots)
    price = np.broadcast_to(problem.cost[:, None], fired.shape)
    assert (worth[fired] >= price[fired] - REL * scale).all()


@settings(max_examples=40, deadline=None)
@given(cycle_problems())
def test_cycle_milp_path_equals_brute_force(problem: AssignmentProblem) -> None:
    # the branch and bound given no nodes cannot prove anything: "exact" goes on with the MILP
    best = brute_cycle(problem)
    scale = max(float((problem.values * problem.survival0).sum()), 1e-9)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wta, "BNB_NODE_LIMIT", 1)
        exact = assign(problem)
        auto = assign(problem, method="auto")
    assert exact.optimal
    assert exact.objective == pytest.approx(best, abs=REL * scale)
    assert_feasible(problem, exact.shots)
    assert_feasible(problem, auto.shots)
    assert auto.objective <= best + REL * scale


@settings(max_examples=30, deadline=None)
@given(cycle_problems(max_s=5, max_t=6))
def test_cycle_branch_and_bound_equals_the_milp(problem: AssignmentProblem) -> None:
    searched = assign(problem, method="auto")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wta, "BNB_NODE_LIMIT", 1)
        milp = assign(problem)
    scale = max(float((problem.values * problem.survival0).sum()), 1e-9)
    assert searched.optimal and milp.optimal
    assert searched.objective == pytest.approx(milp.objective, abs=1e-8 * scale)
    assert_feasible(problem, searched.shots)


@settings(max_examples=30, deadline=None)
@given(cycle_problems(max_s=6, max_t=8))
def test_cycle_both_methods_respect_every_constraint(problem: AssignmentProblem) -> None:
    for method in ("exact", "heuristic", "auto"):
        result = assign(problem, method=method)
        assert_feasible(problem, result.shots)
        assert result.objective >= -1e-9  # firing nothing is feasible and worth 0


def test_cheaper_shooter_preferred_and_dear_round_not_spent_on_a_drone() -> None:
    # a drone worth 1 (in the units of the prices): a 0.2 short-range round or a 3.0
    # long-range one of the same pk; one channel each, one round at it
    problem = AssignmentProblem(
        values=[1.0],
        survival0=[1.0],
        pk=[[0.8], [0.8]],
        cost=[3.0, 0.2],
        shots=[4, 4],
        group=[0, 1],
        channels=[1, 1],
        max_salvo=[1],
    )
    for method in ("exact", "heuristic"):
        result = assign(problem, method=method)
        assert result.shots.tolist() == [[0], [1]]
        assert result.objective == pytest.approx(0.8 - 0.2)
    # with only the long-range round, the drone is not worth it
    dear = AssignmentProblem(
        values=[1.0],
        survival0=[1.0],
        pk=[[0.8]],
        cost=[3.0],
        shots=[4],
        group=[0],
        channels=[1],
        max_salvo=[1],
    )
    assert assign(dear).shots.tolist() == [[0]]


def test_channels_bind_per_battery_not_per_round() -> None:
    # one battery, one channel, two threats: both rounds go to the more valuable threat
    problem = AssignmentProblem(
        values=[10.0, 9.0],
        survival0=[1.0, 1.0],
        pk=[[0.7, 0.7], [0.7, 0.7]],
        cost=[0.0, 0.0],
        shots=[1, 1],
        group=[0, 0],
        channels=[1],
        max_salvo=[2, 2],
    )
    for method in ("exact", "heuristic"):
        result = assign(problem, method=method)
        assert result.shots[:, 1].sum() == 0 and result.shots[:, 0].sum() == 2


def test_cycle_medium_instance_heuristic_close_to_exact() -> None:
    rng = np.random.default_rng(3)
    n_s, n_t, n_g = 8, 20, 4
    problem = AssignmentProblem(
        values=rng.uniform(1, 100, n_t),
        survival0=rng.uniform(0.3, 1.0, n_t),
        pk=np.where(rng.random((n_s, n_t)) < 0.7, rng.uniform(0.3, 0.95, (n_s, n_t)), 0.0),
        cost=rng.uniform(0, 20, n_s),
        shots=rng.integers(0, 8, n_s),
        group=np.arange(n_s) % n_g,
        channels=rng.integers(1, 6, n_g),
        max_salvo=rng.integers(1, 3, n_t),
    )
    exact = assign(problem)
    heuristic = assign(problem, method="heuristic")
    assert exact.optimal
    assert_feasible(problem, exact.shots)
    assert_feasible(problem, heuristic.shots)
    assert heuristic.objective <= exact.objective + 1e-7 * exact.objective


def _problem(**changes: object) -> AssignmentProblem:
    fields: dict[str, object] = {
        "values": [1.0, 2.0],
        "survival0": [1.0, 1.0],
        "pk": [[0.5, 0.5]],
        "cost": [0.1],
        "shots": [2],
        "group": [0],
        "channels": [1],
        "max_salvo": [1, 1],
    }
    fields.update(changes)
    return AssignmentProblem(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pk": [[0.5, 0.5, 0.5]]}, r"pk: must have shape \(S, T\) = \(1, 2\)"),
        ({"pk": [[0.5, 2.0]]}, r"pk: must be in \[0, 1\] \(got 2 at \[0, 1\]\)"),
        ({"survival0": [1.0, 1.5]}, r"survival0: must be in \[0, 1\]"),
        ({"survival0": [1.0]}, r"survival0: must have shape \(T,\) = \(2,\)"),
        ({"cost": [-1.0]}, r"cost: must be >= 0"),
        ({"cost": [np.inf]}, r"cost: must be finite"),
        ({"shots": [1.5]}, r"shots: must be whole numbers >= 0 \(got 1.5 at \[0\]\)"),
        ({"shots": [-1]}, r"shots: must be whole numbers >= 0"),
        ({"group": [1]}, r"AssignmentProblem.group: must index channels, 0..0 \(got 1\)"),
        ({"max_salvo": [1]}, r"max_salvo: must have shape \(T,\) = \(2,\)"),
        ({"values": [[1.0, 2.0]]}, r"values: must be 1-dimensional"),
    ],
)
def test_cycle_input_errors(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        _problem(**changes)
    assert "\n" not in str(err.value)


def test_assign_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match=r"method: must be 'exact', 'heuristic' or 'auto'"):
        assign(_problem(), method="fast")
    with pytest.raises(ValueError, match=r"problem: must be an AssignmentProblem"):
        assign("not a problem")  # type: ignore[arg-type]


def test_problem_arrays_are_read_only() -> None:
    problem = _problem()
    with pytest.raises(ValueError, match="read-only"):
        problem.pk[0, 0] = 1.0


def test_bench_runs_at_tiny_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    # bench/wta.py at toy sizes, so it cannot rot; no timing is asserted
    path = Path(__file__).resolve().parents[2] / "bench" / "wta.py"
    spec = importlib.util.spec_from_file_location("bench_wta", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--sizes", "4x4,5x8", "--instances", "2", "--repeat", "1", "--cycles", "1"])
    assert [r["size"] for r in rows[:2]] == ["4x4", "5x8"]
    assert all(r["proven"] == "2/2" and 0.0 <= r["gap_max"] < 0.05 for r in rows[:2])
    out = capsys.readouterr().out
    assert "| static WTA, targets x weapons |" in out and "| per-cycle WTA |" in out


@pytest.mark.parametrize("rounds", [0, 1])
def test_a_vanishing_value_at_stake_does_not_overflow_the_milp(rounds: int) -> None:
    # found by hypothesis: a survival of 1e-308 made the MILP's objective scale infinite,
    # and then left it with no tangent cut worth adding
    problem = AssignmentProblem(
        values=[1.0],
        survival0=[1.11253693e-308],
        pk=[[0.5], [1.0], [0.5]],
        cost=[0.0, 0.0, 1.0],
        shots=[rounds] * 3,
        group=[0, 0, 0],
        channels=[rounds],
        max_salvo=[2 * rounds],
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wta, "BNB_NODE_LIMIT", 1)
        result = assign(problem)
    assert_feasible(problem, result.shots)
    assert result.optimal
    assert result.objective == pytest.approx(allocation_value(problem, result.shots))
