"""The JSON Schema shipped beside the bundled scenarios is the one the models generate, and
an editor's YAML language server using it accepts the bundled scenarios and flags typos."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.scenario import library
from airdefense.scenario.schema import MODELINE, SCHEMA_PATH, schema_text


def test_shipped_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), "run: airdefense schema --out " + str(
        SCHEMA_PATH
    )


def test_schema_command_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "scenario.schema.json"
    result = CliRunner().invoke(app, ["schema", "--out", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text()) == json.loads(schema_text())
    assert [p.name for p in tmp_path.iterdir()] == ["scenario.schema.json"]
    stdout = CliRunner().invoke(app, ["schema"])
    assert json.loads(stdout.stdout)["title"] == "airdefense scenario"


@pytest.mark.parametrize("name", sorted(library.bundled()))
def test_bundled_scenarios_carry_modeline_and_validate(name: str) -> None:
    path = library.bundled()[name]
    text = path.read_text()
    assert text.splitlines()[0] == MODELINE
    # the modeline's relative path resolves to the shipped schema
    target = (path.parent / MODELINE.split("$schema=")[1]).resolve()
    assert target == SCHEMA_PATH.resolve()
    jsonschema.validate(yaml.safe_load(text), json.loads(SCHEMA_PATH.read_text()))


def test_schema_flags_a_typo_like_an_editor_would() -> None:
    data = yaml.safe_load(library.bundled()[library.DEFAULT_SCENARIO].read_text())
    data["raids"][0]["speed_mph"] = 300
    with pytest.raises(jsonschema.ValidationError, match="speed_mph"):
        jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))


def test_every_field_of_the_format_says_what_it_is() -> None:
    """The docs' field reference and the editor's hovers come from these descriptions."""
    import typing

    from pydantic import BaseModel

    from airdefense.scenario.models import Scenario

    missing: list[str] = []
    seen: set[type] = set()

    def walk(model: type[BaseModel], path: str) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            if not field.description:
                missing.append(path + name)
            for arg in (field.annotation, *typing.get_args(field.annotation)):
                for inner in (arg, *typing.get_args(arg)):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        walk(inner, f"{path}{name}.")

    walk(Scenario, "")
    assert not missing


def test_every_number_of_the_format_has_bounds() -> None:
    """A number a user writes is bounded both ways (a scan period of 1e-6 s, a salvo of 1e30
    or a hundred-million-metre sigma would hang or break a run), inside lists and mappings
    too; the bounds are in the JSON Schema and the docs' field reference."""
    import typing

    import annotated_types as at
    from pydantic import BaseModel

    from airdefense.scenario.models import Scenario
    from airdefense.systems.models import BatteryPreset, MissilePreset, RadarPreset, ThreatPreset
    from airdefense.tracking.config import TrackerConfig

    unbounded: list[str] = []
    seen: set[type] = set()

    def bounded(metadata: list[object]) -> bool:
        low = any(isinstance(m, at.Ge | at.Gt) for m in metadata)
        high = any(isinstance(m, at.Le | at.Lt) for m in metadata)
        return low and high

    def check(annotation: object, metadata: list[object], where: str) -> None:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            inner = [m for a in args[1:] for m in getattr(a, "metadata", [a])]
            check(args[0], metadata + inner, where)
        elif annotation in (int, float):
            if not bounded(metadata):
                unbounded.append(where)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            walk(annotation, where + ".")
        else:
            for i, arg in enumerate(a for a in args if a is not type(None)):
                check(arg, metadata if origin not in (dict, list, tuple) else [], f"{where}[{i}]")

    def walk(model: type[BaseModel], path: str) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            check(field.annotation, list(field.metadata), path + name)

    for model in (Scenario, RadarPreset, ThreatPreset, MissilePreset, BatteryPreset, TrackerConfig):
        walk(model, model.__name__ + ".")
    assert not unbounded
