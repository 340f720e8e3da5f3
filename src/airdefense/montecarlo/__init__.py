"""Monte Carlo at scale: many trials of a scenario, over parameter sweeps, on Dask.

``run_montecarlo`` is what ``airdefense montecarlo`` does: plan the sweep points (validated
like scenario files), open the directory's database (resuming a run it already holds), run
the missing trials on a local cluster or an existing one, and write the report.

- :mod:`.trial`: one trial, reduced to a compact picklable :class:`TrialResult`;
- :mod:`.sweep`: ``--sweep PATH=V1,V2`` parsing and the grid of scenarios;
- :mod:`.runner`: the Dask execution (LocalCluster or ``--scheduler``), with backpressure;
- :mod:`.store`: ``DIR/montecarlo.duckdb``, written as trials finish;
- :mod:`.stats`: Wilson and bootstrap intervals, the per-point answers;
- :mod:`.report`: ``DIR/report.html`` and the printed table.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airdefense.montecarlo.report import Results
    from airdefense.montecarlo.runner import Outcome, Plan, Progress

__all__ = [
    "ClusterError",
    "Interrupted",
    "Outcome",
    "Plan",
    "Progress",
    "Results",
    "StoreError",
    "SweepError",
    "TrialResult",
    "make_plan",
    "run_montecarlo",
    "run_trial",
]

#: Where each name lives: loaded on first use, so that importing the package does not
#: import Dask (the Python API's ``airdefense.montecarlo`` function sits beside it).
_HOMES = {
    "ClusterError": "runner",
    "Interrupted": "runner",
    "Outcome": "runner",
    "Plan": "runner",
    "Progress": "runner",
    "make_plan": "runner",
    "Results": "report",
    "StoreError": "store",
    "SweepError": "sweep",
    "TrialResult": "trial",
    "run_trial": "trial",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'airdefense.montecarlo' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"airdefense.montecarlo.{home}"), name)


def run_montecarlo(
    plan: Plan,
    out_dir: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> tuple[Outcome, Results, Path]:
    """Run ``plan`` into ``out_dir`` and write its report; return what ran, the answers and
    the report's path.

    Raises StoreError (a directory holding another run, a database in use), ClusterError
    (a cluster that cannot start or be reached) and Interrupted (Ctrl-C; what finished is
    saved, and the report is not rewritten).
    """
    from airdefense.montecarlo.report import load_results, write_report
    from airdefense.montecarlo.runner import ClusterError, Outcome, cluster, execute
    from airdefense.montecarlo.store import DB_NAME, Store, discard

    if workers is not None and scheduler is not None:
        raise ClusterError("--workers and --scheduler: give one or the other")
    out_dir = Path(out_dir)
    existed = out_dir.exists()
    fresh = not (out_dir / DB_NAME).exists()
    store = Store.open(out_dir, plan.identity, plan.points, plan.trials, force=force)
    try:
        todo = plan.total - len({k for k in store.done() if k[1] < plan.trials})
        if todo:
            with cluster(workers, scheduler) as client:
                outcome = execute(plan, store, client, progress)
        else:
            outcome = Outcome(0, plan.total, 0, 0, None, 0.0, 0)
    except ClusterError:
        # no cluster, no trial: leave the directory as it was found
        store.close()
        if fresh:
            discard(out_dir, remove_dir=not existed)
        raise
    finally:
        store.close()
    results = load_results(out_dir, plan.trials)
    return outcome, results, write_report(out_dir, results)
