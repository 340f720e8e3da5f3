"""Changing a scenario by field paths: ``raids.cruise.count`` = 24.

A path is dotted, into the scenario's fields as a file writes them. An item of a list is
named by its ``name`` (``raids.cruise``, ``batteries.1st battalion``, ``sensors.Vessa
low-altitude detector``) or, for an item without a name (``civil_traffic``), by its position
from 0 (``civil_traffic.0``). Mappings are entered by key (``doctrine.salvo.cruise``,
``batteries.1st battalion.loads.48n6-class``). The Python API's
:meth:`Scenario.with_changes <airdefense.scenario.models.Scenario.with_changes>` and the
command line's ``--sweep`` take these paths; the scenario that results is validated exactly
as a file is, so a bad value gets the same one line, naming the field and what is allowed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from airdefense.errors import AirdefenseError
from airdefense.scenario.load import ScenarioError, scenario_from_mapping
from airdefense.scenario.models import Scenario


class ChangeError(AirdefenseError):
    """A field path that leads nowhere in the scenario (``field`` is the path)."""


def show(value: Any) -> str:
    """A value as it is written in a path assignment (text as is, the rest as JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _item(node: list[Any], part: str, parent: str, path: str) -> int:
    """The position of the list item ``part`` names (by name, else by position)."""
    names = [x.get("name") if isinstance(x, dict) else None for x in node]
    if part in names:
        return names.index(part)
    if part.isdigit() and int(part) < len(node):
        return int(part)
    known = [n for n in names if n]
    if not node:
        raise ChangeError(f"{parent} is an empty list", field=path)
    if known:
        raise ChangeError(
            f"{parent} has no item named '{part}' (names: {', '.join(known)}"
            + (f"; or a position 0 to {len(node) - 1})" if len(known) < len(node) else ")"),
            field=path,
        )
    raise ChangeError(
        f"{parent} has no item '{part}' (its items have no names: give a position 0 to "
        f"{len(node) - 1})",
        field=path,
    )


def set_field(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the field at ``path`` in a scenario's dict form, in place; ChangeError if the path
    leads nowhere. A new key at the end is left to the scenario's validation, which names
    the allowed fields."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ChangeError("empty field path (e.g. raids.cruise.count)", field=path)
    node: Any = data
    walked: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        parent = ".".join(walked) or "the scenario"
        if isinstance(node, list):
            key: Any = _item(node, part, parent, path)
        elif isinstance(node, dict):
            key = part
            if not last and part not in node:
                allowed = ", ".join(sorted(node)) or "none"
                here = ".".join([*walked, part])
                raise ChangeError(f"{here}: unknown field (allowed: {allowed})", field=path)
            if not last and node[part] is None:
                raise ChangeError(
                    f"{'.'.join([*walked, part])}: is not set in this scenario, so it has no "
                    "fields to change (change the whole value, or set it in the scenario)",
                    field=path,
                )
        else:
            raise ChangeError(
                f"{parent}: is a single value ({show(node)}), it has no field '{part}'",
                field=path,
            )
        if last:
            node[key] = value
        else:
            node = node[key]
        walked.append(part)


def with_changes(
    scenario: Scenario, changes: Mapping[str, Any], source: str = "<changes>"
) -> Scenario:
    """The scenario with each path set to its value, validated as a file is (ChangeError for
    a path that leads nowhere, ScenarioError for a value the scenario does not allow)."""
    data = copy.deepcopy(scenario.model_dump(mode="json"))
    for path, value in changes.items():
        set_field(data, str(path), value)
    try:
        return scenario_from_mapping(data, source)
    except ScenarioError as exc:
        which = ", ".join(f"{p}={show(v)}" for p, v in changes.items())
        raise ScenarioError(exc.source, exc.field, f"{exc.message} (with {which})") from None
