"""The scenario example in the README is a valid scenario (documentation that runs)."""

from __future__ import annotations

import re
from pathlib import Path

from airdefense.scenario.load import parse_scenario

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_scenario_example_validates() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    examples = [b for b in blocks if b.lstrip().startswith("name:")]
    assert examples, "README has no scenario example"
    for text in examples:
        scenario = parse_scenario(text, "README.md")
        assert scenario.raids and scenario.sensors
