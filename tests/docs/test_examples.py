"""The documentation's examples are true: the scenario example validates, the tracker config
example loads, and every command has its page in the site (documentation that runs)."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
import yaml

from airdefense.cli import app
from airdefense.scenario.load import load_model, parse_scenario
from airdefense.tracking.config import TrackerConfig

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_scenario_examples_validate() -> None:
    """Every scenario example (a YAML block starting with ``name:``) in the README and the
    docs validates; the scenario page has one."""
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    checked = set()
    for page in pages:
        for text in _yaml_blocks(page):
            if text.lstrip().startswith("name:"):
                scenario = parse_scenario(text, str(page.relative_to(ROOT)))
                assert scenario.raids and scenario.sensors
                checked.add(page)
    assert DOCS / "scenarios" / "index.md" in checked, "the scenario page has no example"


def test_tracker_config_example_loads(tmp_path: Path) -> None:
    blocks = [b for b in _yaml_blocks(DOCS / "commands" / "track.md") if "tracker.yaml" in b]
    assert blocks, "the track page has no tracker config example"
    config = tmp_path / "tracker.yaml"
    config.write_text(blocks[0], encoding="utf-8")
    cfg = load_model(config, TrackerConfig, "tracker settings")
    assert cfg.filter == "imm" and set(cfg.sensors) == {0, 1}


def test_every_command_has_a_page_in_the_site() -> None:
    commands = set(typer.main.get_command(app).commands)
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    listed = next(item["Commands"] for item in nav if "Commands" in item)
    pages = {
        Path(p).stem
        for entry in listed
        for p in (entry.values() if isinstance(entry, dict) else [entry])
    }
    for name in commands:
        page = DOCS / "commands" / f"{name}.md"
        assert page.is_file(), f"no page for `airdefense {name}`"
        assert f"<!-- generated: cli {name} -->" in page.read_text(encoding="utf-8")
        assert name in pages, f"commands/{name}.md is not in the site's navigation"
