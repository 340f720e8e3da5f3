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

    Raises, each a one-line :class:`~airdefense.errors.AirdefenseError`, before a file is
    written or a trial run: ClusterError (more ``workers`` than this machine holds, both
    ``workers`` and ``scheduler``, a scheduler address that is none), RunDirError (a
    destination that cannot be written: under /proc, a file, read-only, a full disk); then
    StoreError (a directory holding another run, a database in use, a write that fails: a
    full disk, a file-size limit; the trials committed before are kept) and ClusterError (a
    cluster that cannot start or be reached); and Interrupted (Ctrl-C; what finished is
    saved, and the report is not rewritten).
    """
    from airdefense.montecarlo.runner import Interrupted, check_cluster_options, ctrl_c_noticed
    from airdefense.record.rundir import check_output_dir

    # everything that can be known wrong is refused before a file is written or a trial run
    check_cluster_options(workers, scheduler)
    out_dir = Path(out_dir)
    check_output_dir(out_dir)
    with ctrl_c_noticed() as ctrl_c:
        try:
            return _run(plan, out_dir, workers, scheduler, force, progress, ctrl_c)
        except Exception as exc:
            # a Ctrl-C a library turned into its own error (DuckDB does)
            if ctrl_c() and not isinstance(exc, Interrupted):
                raise KeyboardInterrupt from None
            raise


def _run(
    plan: Plan,
    out_dir: Path,
    workers: int | None,
    scheduler: str | None,
    force: bool,
    progress: Callable[[Progress], None] | None,
    ctrl_c: Callable[[], bool],
) -> tuple[Outcome, Results, Path]:
    import contextlib

    import duckdb

    from airdefense.montecarlo.report import load_results, write_report
    from airdefense.montecarlo.runner import ClusterError, Outcome, cluster, execute
    from airdefense.montecarlo.store import DB_NAME, REPORT_NAME, Store, StoreError, discard
    from airdefense.record.rundir import io_errno, output_error

    existed = out_dir.exists()
    fresh = not (out_dir / DB_NAME).exists()
    store = Store.open(out_dir, plan.identity, plan.points, plan.trials, force=force)
    try:
        todo = plan.total - len({k for k in store.done() if k[1] < plan.trials})
        if todo:
            with cluster(workers, scheduler) as client:
                outcome = execute(plan, store, client, progress, interrupted=ctrl_c)
        else:
            outcome = Outcome(0, plan.total, 0, 0, None, 0.0, 0)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            store.close()
        # no cluster, or not a trial saved: leave the directory as it was found
        if fresh and isinstance(exc, ClusterError | StoreError) and not _saved(out_dir):
            discard(out_dir, remove_dir=not existed)
        raise
    store.close()
    try:
        results = load_results(out_dir, plan.trials)
        page = write_report(out_dir, results)
    except (OSError, duckdb.Error) as exc:
        if io_errno(exc) is None:
            raise
        line = output_error(exc, out_dir / REPORT_NAME)
        raise StoreError(
            f"{line.message}; every trial is saved: rerun the same command to write the report",
            source=line.source,
        ) from None
    return outcome, results, page


def _saved(out_dir: Path) -> bool:
    """Whether ``out_dir``'s database holds a trial (False when it cannot be read)."""
    import duckdb

    from airdefense.montecarlo.store import DB_NAME

    try:
        with duckdb.connect(str(out_dir / DB_NAME), read_only=True) as con:
            row = con.execute("SELECT count(*) FROM trials").fetchone()
    except Exception:
        return False
    return bool(row and row[0])
