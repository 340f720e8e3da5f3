"""The Python API: scenarios, runs and Monte Carlo studies from a notebook or a script.

Everything the command line does, as values you can hold::

    import airdefense as ad

    sc = ad.scenario("vessa-shield")                    # a bundled name, or a file
    sc = sc.with_changes({"raids.cruise.count": 24})    # list items by name
    run = ad.simulate(sc, seed=7)                       # in memory
    run.summary["leakers"]
    run.table("engagements")                            # a pandas DataFrame
    run.save("runs/x")                                  # the run directory the CLI writes
    mc = ad.montecarlo(sc, trials=200, sweep={"raids.cruise.count": [12, 24, 48]})
    mc.points                                           # P(no leak) with intervals

A bad scenario, change or sweep raises :class:`~airdefense.errors.AirdefenseError` with the
one line the command line prints. The functions are thin fronts: the simulation is
:func:`airdefense.sim.loop.simulate`, the record :mod:`airdefense.record`, the statistics
:mod:`airdefense.montecarlo`.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airdefense.scenario import Scenario, library, load_scenario, resolve

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from airdefense.montecarlo.report import Results
    from airdefense.record.reader import RunReader
    from airdefense.sim.loop import RunResult

__all__ = ["MonteCarlo", "Run", "montecarlo", "open_run", "scenario", "scenarios", "simulate"]


def scenarios() -> dict[str, str]:
    """The bundled scenarios: name -> the first line of its description."""
    return {name: library.describe(path) for name, path in library.bundled().items()}


def scenario(name_or_path: str | Path | None = None) -> Scenario:
    """A scenario: a bundled one by name (the default one if None) or a YAML file, checked
    as ``airdefense validate`` checks it."""
    return _load(name_or_path)


def _load(name_or_path: str | Path | None) -> Scenario:
    try:
        path = library.resolve(None if name_or_path is None else str(name_or_path))
    except FileNotFoundError as exc:
        from airdefense.scenario.load import ScenarioError

        raise ScenarioError(str(name_or_path), "", str(exc).split(": ", 1)[-1]) from None
    return load_scenario(path)


def simulate(
    scenario: Scenario | str | Path,
    *,
    seed: int | None = None,
    trial: int = 0,
    analysis: bool = True,
    progress: Callable[[float], None] | None = None,
) -> Run:
    """Run a scenario once, in memory.

    Parameters
    ----------
    scenario : Scenario, or a bundled scenario's name or a file
    seed : int, optional
        Replaces the scenario's seed.
    trial : int
        The trial's own random streams (``airdefense run --trial``; a Monte Carlo trial).
    analysis : bool
        Also compute what only the report reads (radar coverage diagrams, the tracks' GOSPA
        and SIAP); off, a run is a Monte Carlo trial's work.
    progress : callable, optional
        Called with the fraction of simulated time done.
    """
    from airdefense.sim.loop import simulate as _simulate

    sc = _as_scenario(scenario)
    if seed is not None:
        sc = sc.with_changes({"seed": int(seed)})
    result = _simulate(resolve(sc, sc.name), trial, progress, analysis=analysis)
    return Run(result=result, scenario=sc)


def _as_scenario(value: Scenario | str | Path) -> Scenario:
    return value if isinstance(value, Scenario) else _load(value)


def open_run(path: str | Path) -> Run:
    """A run directory written by ``airdefense run`` or :meth:`Run.save`."""
    from airdefense.record.reader import RunReader

    return Run(reader=RunReader(path))


class Run:
    """One run: simulated in memory (:func:`simulate`) or read from a run directory
    (:func:`open_run`). Its tables are those of ``run.duckdb`` (``docs/architecture.md``
    lists every table and column with its unit and frame).

    Attributes
    ----------
    summary : dict
        The summary's figures (leakers, kills, interceptors, cost, ...); figures a run
        does not have are left out.
    scenario : Scenario or None
        What was run (None for a run read from a directory: see its ``scenario.yaml``).
    result : RunResult or None
        The simulator's own arrays of an in-memory run (truth, plots, tracks, events).
    path : Path or None
        Where the run is saved, if it is.
    """

    def __init__(
        self,
        *,
        result: RunResult | None = None,
        scenario: Scenario | None = None,
        reader: RunReader | None = None,
    ) -> None:
        self.result = result
        self.scenario = scenario
        self._reader = reader
        self.path: Path | None = reader.path if reader is not None else None

    def __repr__(self) -> str:
        s = self.summary
        where = f" at {self.path}" if self.path else " (in memory)"
        return (
            f"<Run {s.get('scenario')} seed {s.get('seed')} trial {s.get('trial')}{where}: "
            f"{s.get('threats')} threats, {s.get('leakers')} leakers, "
            f"{s.get('interceptors_used')} interceptors>"
        )

    @property
    def summary(self) -> dict[str, Any]:
        from airdefense.record.schema import SUMMARY_COLUMNS

        if self.result is None:
            return self._database().summary
        s = self.result.summary
        return {
            k: s[k]
            for k in SUMMARY_COLUMNS
            if s.get(k) is not None and not (isinstance(s[k], float) and math.isnan(s[k]))
        }

    def _database(self) -> RunReader:
        if self._reader is None:
            from airdefense.record.reader import RunReader
            from airdefense.record.rundir import memory_database

            assert self.result is not None
            self._reader = RunReader.of_connection(memory_database(self.result), "<run>")
        return self._reader

    def tables(self) -> list[str]:
        """The names of the run's tables."""
        return self._database().names()

    def arrow(self, name: str) -> pa.Table:
        """A table (or view: ``engagements``, ``events_<kind>``) as an Arrow table."""
        return self._database().table(name)

    def table(self, name: str) -> pd.DataFrame:
        """A table (or view: ``engagements``, ``events_<kind>``) as a pandas DataFrame."""
        return self.arrow(name).to_pandas()

    def sql(self, query: str) -> pd.DataFrame:
        """A read-only SQL query over the run's tables and views, as a DataFrame."""
        return self._database().query(query).to_pandas()

    def save(self, path: str | Path, *, report: bool = True) -> Path:
        """Write the run directory (``scenario.yaml``, ``run.duckdb`` and, with ``report``,
        ``report.html`` and ``replay.html``) at ``path``, which must not exist or be empty;
        return it."""
        from airdefense.record.rundir import write_run
        from airdefense.report import write_report
        from airdefense.report.replay import write_replay

        if self.result is None:
            raise ValueError("this run was read from a directory: it is saved already")
        finishers = (write_report, write_replay) if report else ()
        self.path = write_run(self.result, Path(path), finishers)
        return self.path

    def close(self) -> None:
        """Release the run's database (an in-memory run keeps its arrays)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def montecarlo(
    scenario: Scenario | str | Path,
    trials: int = 100,
    *,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: Callable[[Any], None] | None = None,
) -> MonteCarlo:
    """Run ``trials`` trials of a scenario at every point of a sweep, on Dask.

    Parameters
    ----------
    scenario : Scenario, or a bundled scenario's name or a file
    trials : int
        Trials per sweep point; trial k has its own random streams and is reproduced by
        ``ad.simulate(sc, trial=k)``.
    sweep : mapping of field path -> list of values, optional
        The grid to run, e.g. ``{"raids.cruise.count": [12, 24, 48]}`` (paths as
        :meth:`Scenario.with_changes` takes them; several paths make a grid).
    seed : int, optional
        Replaces the scenario's seed.
    workers : int, optional
        Worker processes of a local cluster (default: one per core).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) instead.
    out : path, optional
        Directory for ``montecarlo.duckdb`` and ``report.html`` (resumes the same study,
        as the command line does); by default a temporary one, removed afterwards.
    progress : callable, optional
        Called with the runner's progress records.
    """
    from airdefense.montecarlo import make_plan, run_montecarlo
    from airdefense.montecarlo.sweep import sweep_axis

    sc = _as_scenario(scenario)
    axes = [sweep_axis(path, list(values)) for path, values in (sweep or {}).items()]
    plan = make_plan(sc, trials, seed=seed, source=sc.name, axes=axes)
    if out is not None:
        _, results, page = run_montecarlo(
            plan, Path(out), workers=workers, scheduler=scheduler, progress=progress
        )
        return MonteCarlo(results, Path(out), page)
    with tempfile.TemporaryDirectory(prefix="airdefense-mc-") as tmp:
        _, results, _ = run_montecarlo(
            plan, Path(tmp) / "mc", workers=workers, scheduler=scheduler, progress=progress
        )
    return MonteCarlo(results, None, None)


class MonteCarlo:
    """A Monte Carlo study's answers.

    Attributes
    ----------
    points : DataFrame
        One row per sweep point: its swept values, trials run (and raised), P(no leak) with
        its Wilson interval, mean leakers, interceptors and cost with bootstrap intervals,
        the cost-exchange ratio, assets hit and civil flights engaged.
    trials : DataFrame
        One row per trial: point, trial, seed and its figures.
    directory, report : Path or None
        Where the study's database and report are, when ``out`` was given.
    """

    def __init__(self, results: Results, directory: Path | None, report: Path | None) -> None:
        self.results = results
        self.directory = directory
        self.report = report

    def __repr__(self) -> str:
        where = f" in {self.directory}" if self.directory else ""
        n = len(self.results.points)
        return f"<MonteCarlo {self.results.trials} trials x {n} points{where}>"

    @property
    def points(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for info, st in zip(self.results.points, self.results.stats, strict=True):
            row: dict[str, Any] = {"point": info.index, "label": info.label, **info.values}
            row.update(
                trials=st.trials,
                errors=st.errors,
                p_no_leak=st.p_no_leak,
                p_no_leak_low=st.p_no_leak_ci[0],
                p_no_leak_high=st.p_no_leak_ci[1],
                mean_leakers=st.mean_leakers,
                leakers_low=st.leakers_ci[0],
                leakers_high=st.leakers_ci[1],
                mean_interceptors=st.mean_interceptors,
                interceptors_low=st.interceptors_ci[0],
                interceptors_high=st.interceptors_ci[1],
                mean_cost_usd=st.mean_cost_usd,
                cost_exchange_ratio=st.cost_exchange_ratio,
                mean_assets_hit=st.mean_assets_hit,
                mean_civil_engaged=st.mean_civil_engaged,
            )
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def trials(self) -> pd.DataFrame:
        import pandas as pd

        table = self.results.table
        frame = pd.DataFrame({k: v for k, v in table.columns.items()})
        frame["error"] = table.error
        return frame
