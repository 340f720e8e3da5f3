"""One Monte Carlo trial: the scenario run once with its trial's own random streams, reduced
to the few figures the statistics need.

A trial runs on a Dask worker and sends back a :class:`TrialResult` of a few hundred bytes,
never the run's arrays: at thousands of trials the result size is what the scheduler and the
driver pay for. A trial that raises comes back as a result with its error, so one bad trial
does not stop the others.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from airdefense.scenario.models import Scenario

#: Scenarios a worker keeps validated (one per sweep point in use; oldest dropped first).
_CACHE_SIZE = 32
_SCENARIOS: dict[str, Scenario] = {}
#: Longest traceback kept for a trial that raised (characters).
_MAX_TRACEBACK = 20_000

#: The per-trial figures, in the order of the ``trials`` table's columns after the key.
FIGURES = (
    "threats",
    "leakers",
    "assets_hit",
    "civil_engaged",
    "kills",
    "interceptors_used",
    "interceptor_cost_usd",
    "threat_cost_killed_usd",
)
#: Stage timings kept per trial (seconds), then the trial's wall time.
TIMINGS = ("world_s", "sensors_s", "tracking_s", "engagement_s", "wall_s")


@dataclass(frozen=True, slots=True)
class TrialResult:
    """What one trial sends back: its key, its outcome, its timings, or its error."""

    point: int
    trial: int
    seed: int | None  # None only when the trial failed before reading its scenario
    threats: int | None = None
    leakers: int | None = None
    assets_hit: int | None = None
    civil_engaged: int | None = None
    kills: int | None = None
    interceptors_used: int | None = None
    interceptor_cost_usd: float | None = None
    #: what the threats the interceptors killed cost (the cost-exchange ratio's denominator)
    threat_cost_killed_usd: float | None = None
    #: (missile type, rounds fired), sorted by type
    interceptors_by_type: tuple[tuple[str, int], ...] = ()
    world_s: float = 0.0
    sensors_s: float = 0.0
    tracking_s: float = 0.0
    engagement_s: float = 0.0
    wall_s: float = 0.0
    error: str | None = None
    traceback: str | None = None

    def figures(self) -> tuple[object, ...]:
        """The outcome figures (not the timings): equal trials give equal tuples."""
        return (
            self.point,
            self.trial,
            self.seed,
            *(getattr(self, f) for f in FIGURES),
            self.interceptors_by_type,
            self.error,
        )


def scenario_of(scenario_json: str) -> Scenario:
    """The validated scenario of a sweep point's JSON, validated once per process."""
    key = hashlib.sha256(scenario_json.encode("utf-8")).hexdigest()
    found = _SCENARIOS.get(key)
    if found is None:
        found = Scenario.model_validate_json(scenario_json)
        if len(_SCENARIOS) >= _CACHE_SIZE:
            _SCENARIOS.pop(next(iter(_SCENARIOS)))
        _SCENARIOS[key] = found
    return found


def error_text(exc: BaseException) -> str:
    """``Type: message (at file.py:line in function)``, on one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return (text if len(text) <= 1000 else text[:997] + "...") + where


def run_trial(scenario_json: str, point: int, trial: int) -> TrialResult:
    """Run trial ``trial`` of sweep point ``point`` (its scenario as canonical JSON).

    The trial's random streams come from the scenario's seed and the trial number alone
    (``airdefense.sim.seeds``), so ``airdefense run SCENARIO --trial N`` reproduces it.
    Any exception from the simulation is caught and returned as the result's ``error``.
    """
    from airdefense.scenario import resolve
    from airdefense.sim.loop import simulate

    clock = time.perf_counter()
    seed: int | None = None
    try:
        scenario = scenario_of(scenario_json)
        seed = scenario.seed
        result = simulate(resolve(scenario), trial, analysis=False)
        s = result.summary
        truth = result.truth
        killed = truth.end_reason == "killed"
        log = result.interceptors
        types = result.batteries.missile_types if result.batteries is not None else []
        by_type = Counter(types[m].name for m in log.missile_type[: log.n])
        t = result.timings_s
        return TrialResult(
            point=point,
            trial=trial,
            seed=seed,
            threats=int(s["threats"]),  # type: ignore[call-overload]
            leakers=int(s["leakers"]),  # type: ignore[call-overload]
            assets_hit=int(s["assets_hit"]),  # type: ignore[call-overload]
            civil_engaged=int(s["civil_engaged"]),  # type: ignore[call-overload]
            kills=int(s["kills"]),  # type: ignore[call-overload]
            interceptors_used=int(s["interceptors_used"]),  # type: ignore[call-overload]
            interceptor_cost_usd=float(s["interceptor_cost_usd"]),  # type: ignore[arg-type]
            threat_cost_killed_usd=float(np.sum(truth.cost_usd[killed])),
            interceptors_by_type=tuple(sorted(by_type.items())),
            world_s=float(t.get("world", 0.0)),
            sensors_s=float(t.get("sensors", 0.0)),
            tracking_s=float(t.get("tracking", 0.0)),
            engagement_s=float(t.get("engagement", 0.0)),
            wall_s=time.perf_counter() - clock,
        )
    except Exception as exc:
        tb = "".join(traceback.format_exception(exc))
        return TrialResult(
            point=point,
            trial=trial,
            seed=seed,
            wall_s=time.perf_counter() - clock,
            error=error_text(exc),
            traceback=tb[-_MAX_TRACEBACK:],
        )
