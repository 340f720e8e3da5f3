"""The JSON Schema of the scenario format, from the pydantic models.

An editor with a YAML language server (e.g. VS Code's YAML extension) completes and checks a
scenario file as it is typed when the file starts with the modeline
``# yaml-language-server: $schema=<path or URL of scenario.schema.json>``.
"""

from __future__ import annotations

import json
from pathlib import Path

from airdefense.scenario.models import Scenario

#: The schema as shipped beside the bundled scenarios (their modelines point at it).
SCHEMA_PATH = Path(__file__).parent / "scenario.schema.json"
MODELINE = "# yaml-language-server: $schema=../scenario.schema.json"


def scenario_json_schema() -> dict:
    """The scenario format as a JSON Schema (draft 2020-12) document."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "airdefense scenario"
    return schema


def schema_text() -> str:
    """The schema as stable, pretty-printed JSON text (ends with a newline)."""
    return json.dumps(scenario_json_schema(), indent=2, sort_keys=True) + "\n"
