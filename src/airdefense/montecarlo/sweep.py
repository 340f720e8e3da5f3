"""Parameter sweeps: ``--sweep raids.cruise.count=10,20,40`` as scenarios, checked before any run.

A sweep names a field of the scenario by a dotted path (list items by name, or by position
when they have none: ``raids.cruise.count``, ``doctrine.salvo.cruise``,
``batteries.1st battalion.loads.48n6-class``; :mod:`airdefense.scenario.changes`) and lists
the values to try. Several sweeps make a grid (every combination). Each point's
scenario is validated exactly as a scenario file is, so a bad path or value is one line
naming the field and what is allowed, before a single trial runs.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from airdefense.errors import AirdefenseError
from airdefense.scenario import yamlfile
from airdefense.scenario.changes import ChangeError, set_field, show
from airdefense.scenario.load import ScenarioError, scenario_from_mapping
from airdefense.scenario.models import Scenario

#: Most points a sweep grid may have (a typo like 1..10000 should not start a week's run).
MAX_POINTS = 1000


class SweepError(AirdefenseError):
    """A sweep that cannot run; ``str()`` is the one-line message for the user."""


@dataclass(frozen=True)
class SweepAxis:
    """One ``--sweep``: a dotted path and the values it takes."""

    path: str
    values: tuple[Any, ...]

    @property
    def text(self) -> str:
        """The axis as it is written on the command line."""
        return f"{self.path}={','.join(show(v) for v in self.values)}"


@dataclass(frozen=True)
class SweepPoint:
    """One point of the grid: its index, its values by path and its scenario (as JSON)."""

    index: int
    values: tuple[tuple[str, Any], ...]
    scenario_json: str

    @property
    def label(self) -> str:
        """``path=value, ...``, or ``base`` when nothing is swept."""
        return ", ".join(f"{p}={show(v)}" for p, v in self.values) or "base"

    def scenario(self) -> Scenario:
        """The point's scenario, validated."""
        return Scenario.model_validate_json(self.scenario_json)


def canonical_json(scenario: Scenario) -> str:
    """A scenario's dict form as canonical JSON: the same scenario, the same text."""
    return json.dumps(
        scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of a scenario's canonical JSON: identifies what a Monte Carlo directory ran."""
    return hashlib.sha256(canonical_json(scenario).encode("utf-8")).hexdigest()


def _split_values(text: str) -> list[str]:
    """Split on commas outside brackets and braces (``[0,60],[0,120]`` is two values)."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _scalar(raw: str) -> Any:
    """A value as typed: a whole number, a number (1e6 too, which YAML 1.1 reads as text),
    or any YAML value (true, gnn, [0, 60])."""
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return yamlfile.load(raw)


def parse_axis(text: str) -> SweepAxis:
    """``PATH=V1,V2,...`` as an axis; values are read as YAML scalars (10, 1.5, true, gnn)."""
    where = f"--sweep {text}"
    path, sep, values_text = text.partition("=")
    path = path.strip()
    if not sep:
        raise SweepError(f"{where}: expected PATH=V1,V2,... (e.g. raids.cruise.count=10,20,40)")
    if not path or any(not part for part in path.split(".")):
        raise SweepError(f"{where}: empty field path (e.g. raids.cruise.count)")
    if not values_text.strip():
        raise SweepError(f"{where}: no values after '=' (e.g. {path}=10,20,40)")
    values = []
    for raw in _split_values(values_text):
        if not raw:
            raise SweepError(f"{where}: empty value in the list")
        try:
            value = _scalar(raw)
        except yamlfile.YamlProblem as exc:
            raise SweepError(f"{where}: cannot read value {raw[:40]!r} ({exc.message})") from None
        _check_value(where, value, repr(raw))
        values.append(value)
    return _axis(where, path, values)


def sweep_axis(path: str, values: Sequence[Any]) -> SweepAxis:
    """An axis from a path and a list of values (the Python API's ``sweep={path: values}``),
    checked as a ``--sweep`` is."""
    where = f"sweep {path}"
    if not path or any(not part for part in path.split(".")):
        raise SweepError(f"{where}: empty field path (e.g. raids.cruise.count)")
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise SweepError(f"{where}: give a list of values (e.g. [12, 24, 48])")
    if not values:
        raise SweepError(f"{where}: no values (e.g. [12, 24, 48])")
    for v in values:
        _check_value(where, v, show(v))
    return _axis(where, path, list(values))


def _check_value(where: str, value: Any, shown: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise SweepError(f"{where}: value {shown} is not a finite number")
    if value is None:
        raise SweepError(f"{where}: value {shown} is nothing (give a number, text or list)")


def _axis(where: str, path: str, values: list[Any]) -> SweepAxis:
    seen: list[Any] = []
    for v in values:
        if v in seen:
            raise SweepError(f"{where}: value {show(v)} is listed twice")
        seen.append(v)
    return SweepAxis(path, tuple(values))


def parse_sweeps(texts: list[str]) -> list[SweepAxis]:
    """All ``--sweep`` options; a path may be swept once."""
    axes = [parse_axis(t) for t in texts]
    paths = [a.path for a in axes]
    for p in paths:
        if paths.count(p) > 1:
            raise SweepError(f"--sweep {p}: swept twice (give all its values in one --sweep)")
    return axes


def sweep_points(
    base: Scenario, axes: list[SweepAxis], source: str = "<scenario>"
) -> list[SweepPoint]:
    """Every point of the grid of ``axes`` over ``base``, each validated as a scenario.

    With no axes, one point: the base scenario. Raises SweepError naming the sweep, the
    scenario and the field (with what is allowed) for the first point that is not valid.
    """
    n_points = 1
    for a in axes:
        n_points *= len(a.values)
    if n_points > MAX_POINTS:
        raise SweepError(
            f"--sweep: {n_points:,} points in the grid (at most {MAX_POINTS:,}); sweep fewer values"
        )
    base_data = base.model_dump(mode="json")
    points = []
    for index, combo in enumerate(itertools.product(*(a.values for a in axes))):
        data = copy.deepcopy(base_data)
        values = tuple((a.path, v) for a, v in zip(axes, combo, strict=True))
        for path, v in values:
            try:
                set_field(data, path, v)
            except ChangeError as exc:
                raise SweepError(f"--sweep {path}: {exc.message}") from None
        try:
            scenario = scenario_from_mapping(data, source)
        except ScenarioError as exc:
            which = " ".join(f"{p}={show(v)}" for p, v in values)
            raise SweepError(f"--sweep {which}: {exc}") from None
        points.append(SweepPoint(index, values, canonical_json(scenario)))
    return points
