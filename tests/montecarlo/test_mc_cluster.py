"""Trials on a real Dask ``LocalCluster`` of 2 worker processes: the same figures as in the
driver's own process, errors recorded, lost tasks and lost workers survived."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import duckdb
import pytest

from airdefense.montecarlo.report import load_results, write_report
from airdefense.montecarlo.runner import Plan, cluster, execute, make_plan
from airdefense.montecarlo.store import DB_NAME, Store
from airdefense.montecarlo.trial import FIGURES, TrialResult, run_trial
from airdefense.scenario.load import load_scenario

HERE = Path(__file__).parent
# the test's own trial functions travel to the workers by value (the workers cannot import
# a test module)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with cluster(2) as c:
        yield c


@pytest.fixture(scope="module")
def plan() -> Plan:
    sc = load_scenario(HERE / "mc-test.yaml")
    return make_plan(sc, 2, ["raids.0.count=8,16"], source="mc-test.yaml")


def _rows(db: Path) -> list[tuple[Any, ...]]:
    """Every per-trial figure as exact text (floats by their bits), keyed and ordered."""
    cols = ", ".join(["point", "trial", "seed", *FIGURES, "error"])
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(f"SELECT {cols} FROM trials ORDER BY point, trial").fetchall()
        used = con.execute(
            "SELECT point, trial, missile, used FROM trial_interceptors ORDER BY ALL"
        ).fetchall()
    exact = [tuple(v.hex() if isinstance(v, float) else v for v in r) for r in rows]
    return [*exact, *used]


def test_workers_are_processes_with_one_thread(client: Any) -> None:
    info = client.scheduler_info()["workers"]
    assert len(info) == 2 and all(w["nthreads"] == 1 for w in info.values())
    pids = client.run(os.getpid)
    assert os.getpid() not in pids.values()
    assert set(client.run(lambda: os.environ.get("NUMBA_NUM_THREADS")).values()) == {"1"}


def _sigint_handler() -> str:
    import signal

    return str(signal.getsignal(signal.SIGINT))


def test_workers_ignore_ctrl_c_and_the_driver_does_not(client: Any) -> None:
    """A terminal's Ctrl-C reaches every process of the group: the workers ignore it (they
    were spawned ignoring it), the driver keeps its own handler."""
    import signal

    assert set(client.run(_sigint_handler).values()) == {str(signal.SIG_IGN)}
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_cluster_equals_in_process(tmp_path: Path, client: Any, plan: Plan) -> None:
    store = Store.open(tmp_path / "dask", plan.identity, plan.points, plan.trials)
    seen = []
    outcome = execute(plan, store, client, progress=seen.append)
    store.close()
    assert (outcome.ran, outcome.skipped, outcome.errors, outcome.lost) == (4, 0, 0, 0)
    assert seen[-1].done == seen[-1].total == 4
    assert seen[-1].estimate.startswith("P(no leak) at raids.0.count=")
    # the same trials in this process, into a second directory
    local = Store.open(tmp_path / "local", plan.identity, plan.points, plan.trials)
    local.write(
        run_trial(p.scenario_json, p.index, t) for t in range(plan.trials) for p in plan.points
    )
    local.close()
    dask_rows = _rows(tmp_path / "dask" / DB_NAME)
    assert len(dask_rows) > 4
    assert dask_rows == _rows(tmp_path / "local" / DB_NAME)

    # a rerun with more trials runs only the new ones
    more = make_plan(load_scenario(HERE / "mc-test.yaml"), 3, ["raids.0.count=8,16"])
    store = Store.open(tmp_path / "dask", more.identity, more.points, more.trials)
    outcome = execute(more, store, client)
    store.close()
    assert (outcome.ran, outcome.skipped) == (2, 4)
    assert set(dask_rows) < set(_rows(tmp_path / "dask" / DB_NAME))
    results = load_results(tmp_path / "dask")
    assert [s.trials for s in results.stats] == [3, 3]
    assert write_report(tmp_path / "dask", results).stat().st_size > 10_000


def trial_with_failures(scenario_json: str, point: int, trial: int) -> TrialResult:
    """Trial 1 of each point gets a broken scenario (the trial raises inside run_trial and
    is recorded); point 1's trial 2 fails outright (its task fails: nothing to record)."""
    if point == 1 and trial == 2:
        raise RuntimeError("the task itself failed")
    return run_trial("{not json" if trial == 1 else scenario_json, point, trial)


def test_a_trial_that_raises_is_recorded_and_the_rest_finish(tmp_path: Path, client: Any) -> None:
    out = tmp_path / "mc"
    plan = make_plan(load_scenario(HERE / "mc-test.yaml"), 3, ["raids.0.count=8,16"])
    store = Store.open(out, plan.identity, plan.points, plan.trials)
    outcome = execute(plan, store, client, trial_fn=trial_with_failures)
    assert (outcome.ran, outcome.errors, outcome.lost) == (5, 2, 1)
    assert outcome.lost_reason is not None and "the task itself failed" in outcome.lost_reason
    assert store.done() == {(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)}
    table = store.read()
    errors = {
        (int(p), int(t)): e for p, t, e in zip(table.point, table.trial, table.error, strict=True)
    }
    assert errors[(0, 0)] is None and errors[(1, 0)] is None and errors[(0, 2)] is None
    assert errors[(0, 1)].startswith("ValidationError: ")
    assert errors[(1, 1)].startswith("ValidationError: ")
    # the task that failed outright is run by the next run of the same command
    outcome = execute(plan, store, client)
    assert (outcome.ran, outcome.skipped, outcome.lost) == (1, 5, 0)
    assert (1, 2) in store.done()
    store.close()
    results = load_results(out)
    assert [(s.trials, s.errors) for s in results.stats] == [(2, 1), (2, 1)]
    html = write_report(out, results).read_text()
    assert "Trials that raised" in html and "ValidationError" in html


def trial_that_kills_its_worker(
    scenario_json: str, point: int, trial: int, *, marker: Path
) -> TrialResult:
    """The first attempt at trial 0 of point 0 kills the worker process running it."""
    if (point, trial) == (0, 0) and not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)
    return run_trial(scenario_json, point, trial)


def test_a_lost_worker_loses_no_trial(tmp_path: Path, client: Any, plan: Plan) -> None:
    marker = tmp_path / "killed"
    store = Store.open(tmp_path / "mc", plan.identity, plan.points, plan.trials)
    killer = functools.partial(trial_that_kills_its_worker, marker=marker)
    outcome = execute(plan, store, client, trial_fn=killer)
    assert marker.exists()  # a worker did die
    assert (outcome.ran, outcome.lost) == (4, 0)
    assert len(store.done()) == 4
    store.close()
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it
