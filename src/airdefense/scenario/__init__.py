"""The YAML edge: scenario files read, validated and resolved into a theatre.

:func:`load_scenario` reads and checks a file (one clear line per error, a
:class:`ScenarioError`); :func:`resolve` turns the validated :class:`Scenario` into the
:class:`~airdefense.types.theatre.Theatre` the stages take; :func:`load_theatre` does both.
Nothing downstream of this package reads the YAML models.
"""

from __future__ import annotations

from pathlib import Path

from airdefense.scenario.load import ScenarioError, load_scenario, parse_scenario
from airdefense.scenario.models import Scenario
from airdefense.scenario.theatre import resolve
from airdefense.types.theatre import Theatre

__all__ = [
    "Scenario",
    "ScenarioError",
    "Theatre",
    "load_scenario",
    "load_theatre",
    "parse_scenario",
    "resolve",
]


def load_theatre(path: str | Path) -> Theatre:
    """Read, check and resolve a scenario file."""
    return resolve(load_scenario(path), str(path))
