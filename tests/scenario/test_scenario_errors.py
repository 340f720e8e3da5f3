"""The malformed-scenario corpus: each bad file gets one clear line, exit code 2, and
nothing is written (no run directory, no temporary files)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from airdefense.cli import app

BASE: dict[str, Any] = {
    "name": "corpus-base",
    "description": "a small valid scenario the corpus breaks one field at a time",
    "seed": 1,
    "duration_s": 60,
    "time_step_s": 1.0,
    "origin": {"lat_deg": 50.0, "lon_deg": 10.0, "alt_m": 0},
    "area_radius_km": 300,
    "assets": [
        {"name": "Town", "position": {"east_km": 0, "north_km": 0}, "radius_km": 5, "value": 10}
    ],
    "sensors": [{"name": "R1", "preset": "96l6e-class", "position": {"east_km": 1, "north_km": 1}}],
    "raids": [
        {
            "name": "a",
            "preset": "loitering-shahed-class",
            "count": 2,
            "launch": {"centre": {"east_km": 20, "north_km": 0}},
            "aim": {"asset": "Town"},
        },
        {
            "name": "b",
            "preset": "cruise-tomahawk-class",
            "count": 2,
            "launch": {"centre": {"east_km": 30, "north_km": 0}},
            "aim": {"asset": "Town"},
        },
        {
            "name": "c",
            "preset": "fighter-class",
            "count": 1,
            "launch": {"centre": {"east_km": 40, "north_km": 10}},
            "aim": {"point": {"east_km": 5, "north_km": 5}},
        },
    ],
}


def mutate(path: str, value: Any) -> dict[str, Any]:
    """BASE with the field at a dotted path (list indices as numbers) set, or deleted."""
    data = copy.deepcopy(BASE)
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = data
    for p in parts[:-1]:
        node = node[p]
    if value is DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return data


DELETE = object()

# (case id, file text or data, the exact message after "error: FILE: ")
CORPUS: list[tuple[str, str | dict[str, Any], str]] = [
    (
        "bad-yaml-indent",
        "name: x\n  seed: 1\n",
        "line 2, column 7: invalid YAML (mapping values are not allowed here)",
    ),
    (
        "bad-yaml-unclosed",
        "name: [x, y\nseed: 1\n",
        "line 2, column 5: invalid YAML (expected ',' or ']', but got ':')",
    ),
    ("empty-file", "", "file is empty (a YAML mapping of scenario fields)"),
    ("top-level-list", "- a\n- b\n", "must be a YAML mapping of scenario fields (got list)"),
    (
        "unknown-top-key",
        mutate("duraton_s", 5),
        "duraton_s: unknown field (allowed: name, description, seed, duration_s",
    ),
    (
        "unknown-nested-key",
        mutate("raids.0.speed_mph", 50),
        "raids[0].speed_mph: unknown field (allowed: name, preset, count",
    ),
    ("missing-duration", mutate("duration_s", DELETE), "duration_s: required field is missing"),
    ("missing-sensors", mutate("sensors", DELETE), "sensors: required field is missing"),
    ("empty-sensors", mutate("sensors", []), "sensors: must not be empty"),
    ("negative-speed", mutate("raids.2.speed_mps", -5), "raids[2].speed_mps: must be > 0 (got -5)"),
    (
        "speed-as-text",
        mutate("raids.0.speed_mps", "fast"),
        "raids[0].speed_mps: must be a number (got 'fast')",
    ),
    (
        "count-fraction",
        mutate("raids.0.count", 2.5),
        "raids[0].count: must be a whole number, not a fraction (got 2.5)",
    ),
    ("empty-raid", mutate("raids.1.count", 0), "raids[1].count: must be >= 1 (got 0)"),
    (
        "no-objects",
        mutate("raids", []),
        "raids: no raids and no civil traffic: nothing flies in this scenario",
    ),
    ("raids-not-list", mutate("raids", {"a": 1}), "raids: must be a list (got a mapping)"),
    (
        "unknown-threat-preset",
        mutate("raids.0.preset", "shahed"),
        "raids[0].preset: unknown threat preset 'shahed' (known: ",
    ),
    (
        "unknown-radar-preset",
        mutate("sensors.0.preset", "s400"),
        "sensors[0].preset: unknown radar preset 's400' (known: ",
    ),
    (
        "unknown-override",
        mutate("sensors.0.overrides", {"power_w": 5}),
        "sensors[0].overrides.power_w: unknown parameter (allowed: ",
    ),
    (
        "bad-override-value",
        mutate("sensors.0.overrides", {"peak_power_w": -1}),
        "sensors[0].overrides.peak_power_w: must be > 0 (got -1)",
    ),
    (
        "unknown-aim-asset",
        mutate("raids.0.aim", {"asset": "Capital"}),
        "raids[0].aim.asset: unknown asset 'Capital' (known: Town)",
    ),
    (
        "aim-both",
        mutate("raids.0.aim", {"asset": "Town", "point": {"east_km": 1, "north_km": 1}}),
        "raids[0].aim: give either asset or point",
    ),
    (
        "position-half",
        mutate("assets.0.position", {"east_km": 1}),
        "assets[0].position: give either lat_deg and lon_deg, or east_km and north_km",
    ),
    (
        "asset-outside-area",
        mutate("assets.0.position", {"east_km": 400, "north_km": 0}),
        "assets[0].position: 400 km from the origin, outside area_radius_km 300",
    ),
    ("latitude-absurd", mutate("origin.lat_deg", 123), "origin.lat_deg: must be <= 89 (got 123)"),
    ("negative-step", mutate("time_step_s", -1), "time_step_s: must be > 0 (got -1)"),
    ("zero-duration", mutate("duration_s", 0), "duration_s: must be > 0 (got 0)"),
    (
        "ten-gb-grid",
        {**mutate("duration_s", 86_400), "time_step_s": 0.001},
        "time_step_s: time grid of 86,400,001 steps x 5 objects needs 24.2 GB of truth (limit 2.1 GB)",
    ),
    (
        "window-backwards",
        mutate("raids.0.launch_window_s", [50, 10]),
        "raids[0].launch_window_s: must be [first, last] with 0 <= first <= last (got [50, 10])",
    ),
    (
        "window-after-end",
        mutate("raids.0.launch_window_s", [0, 500]),
        "raids[0].launch_window_s: last launch 500 s is after the end of the run (duration_s 60)",
    ),
    (
        "duplicate-sensor",
        mutate("sensors", BASE["sensors"] * 2),
        "sensors[1].name: duplicate name 'R1' (names must be unique)",
    ),
    (
        "bad-name",
        mutate("name", "my scenario!"),
        "name: must be letters, digits, '.', '_' or '-' starting with a letter or digit (got 'my scenario!')",
    ),
    ("seed-negative", mutate("seed", -3), "seed: must be >= 0 (got -3)"),
    (
        "rcs-absurd",
        mutate("raids.0.rcs_m2", 1e9),
        "raids[0].rcs_m2: must be <= 10000 (got 1000000000.0)",
    ),
    (
        "ballistic-too-far",
        mutate(
            "raids.0",
            {
                "preset": "srbm-iskander-class",
                "count": 1,
                "launch": {"centre": {"east_km": 299, "north_km": 0}},
                "aim": {"point": {"east_km": -299, "north_km": 0}},
            },
        ),
        "raids[0]: launch-to-aim distance up to 598 km exceeds srbm-iskander-class max_range_km 500",
    ),
    (
        "ballistic-route",
        mutate(
            "raids.0",
            {
                "preset": "srbm-iskander-class",
                "count": 1,
                "launch": {"centre": {"east_km": 200, "north_km": 0}},
                "aim": {"asset": "Town"},
                "route": [{"east_km": 100, "north_km": 0}],
            },
        ),
        "raids[0].route: a ballistic threat flies no route (remove it)",
    ),
    (
        "unknown-collection",
        mutate("civil_traffic", [{"collection": "paris"}]),
        "civil_traffic[0].collection: must be one of 'quickstart' or 'switzerland' (got 'paris')",
    ),
    (
        "unknown-battery-preset",
        mutate(
            "batteries",
            [{"name": "B", "preset": "s-500", "position": {"east_km": 0, "north_km": 0}}],
        ),
        "batteries[0].preset: unknown battery preset 's-500' (known: ",
    ),
]


def _write(tmp_path: Path, content: str | dict[str, Any]) -> Path:
    f = tmp_path / "bad.yaml"
    f.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return f


def test_base_is_valid(tmp_path: Path) -> None:
    f = _write(tmp_path, BASE)
    result = CliRunner().invoke(app, ["validate", str(f)])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 25
    assert len({c[0] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("case", "content", "message"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_scenario_one_line_exit_2_nothing_written(
    tmp_path: Path, case: str, content: str | dict[str, Any], message: str
) -> None:
    f = _write(tmp_path, content)
    out = tmp_path / "out"
    for args in (["validate", str(f)], ["run", str(f), "--out", str(out)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (case, result.output, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"error: {f}: {message}"), lines[0]
        assert "Traceback" not in result.output + result.stderr
        assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]
