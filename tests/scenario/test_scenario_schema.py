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
