"""airdefense: a fast, honest simulator of a layered ground-based air-defence system.

The kill chain is the package layout: scenario -> world (truth) -> sensors (plots) ->
tracking -> engagement -> record -> report (``docs/architecture.md``). The Python API
(:mod:`airdefense.api`) is re-exported here::

    import airdefense as ad
    run = ad.simulate(ad.scenario("vessa-shield"), seed=7)
    run.table("engagements")

``ad.scenario`` and ``ad.montecarlo`` are the API's functions; the packages of the same
names are imported as ``from airdefense.scenario import ...`` and
``from airdefense.montecarlo import ...``.
"""

from __future__ import annotations

# the packages that share a name with an API function are loaded first, so that the names
# below are the functions (a submodule import sets its parent's attribute only the first time)
import airdefense.montecarlo as _montecarlo_package  # noqa: F401
import airdefense.scenario as _scenario_package  # noqa: F401
from airdefense._version import __version__
from airdefense.api import (
    MonteCarlo,
    Run,
    montecarlo,
    open_run,
    scenario,
    scenarios,
    simulate,
)
from airdefense.errors import AirdefenseError
from airdefense.scenario import Scenario, ScenarioError

__all__ = [
    "AirdefenseError",
    "MonteCarlo",
    "Run",
    "Scenario",
    "ScenarioError",
    "__version__",
    "montecarlo",
    "open_run",
    "scenario",
    "scenarios",
    "simulate",
]
