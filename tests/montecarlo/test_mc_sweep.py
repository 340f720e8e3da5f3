"""Sweep parsing: a bad path or value is one line naming the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from airdefense.montecarlo.sweep import (
    MAX_POINTS,
    SweepError,
    parse_axis,
    parse_sweeps,
    scenario_hash,
    sweep_points,
)
from airdefense.scenario.load import load_scenario
from airdefense.scenario.models import Scenario

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(HERE / "mc-test.yaml")


def points(base: Scenario, *texts: str):
    return sweep_points(base, parse_sweeps(list(texts)), "mc-test.yaml")


def test_values_are_read_as_typed() -> None:
    assert parse_axis("raids.0.count=10,20,40").values == (10, 20, 40)
    assert parse_axis("sensors.0.overrides.peak_power_w=1e6,2.5e6").values == (1e6, 2.5e6)
    assert parse_axis("doctrine.solver=exact,heuristic").values == ("exact", "heuristic")
    assert parse_axis("doctrine.shoot_look_shoot=true,false").values == (True, False)
    assert parse_axis("raids.0.launch_window_s=[0,10],[0,20]").values == ([0, 10], [0, 20])
    assert parse_axis(" raids.0.count = 1 , 2 ").text == "raids.0.count=1,2"


def test_grid_of_points(base: Scenario) -> None:
    pts = points(base, "raids.cruise.count=4,8", "doctrine.solver=exact,heuristic")
    assert [p.label for p in pts] == [
        "raids.cruise.count=4, doctrine.solver=exact",
        "raids.cruise.count=4, doctrine.solver=heuristic",
        "raids.cruise.count=8, doctrine.solver=exact",
        "raids.cruise.count=8, doctrine.solver=heuristic",
    ]
    sc = pts[3].scenario()
    assert sc.raids[0].count == 8 and sc.doctrine.solver == "heuristic"
    assert sc.raids[1] == base.raids[1]
    # no sweep: one point, the base scenario itself
    (only,) = points(base)
    assert only.label == "base" and only.scenario() == base


def test_scenario_hash_is_stable(base: Scenario) -> None:
    again = load_scenario(HERE / "mc-test.yaml")
    assert scenario_hash(base) == scenario_hash(again)
    assert scenario_hash(base) != scenario_hash(base.model_copy(update={"duration_s": 140.0}))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("raids.0.count", "--sweep raids.0.count: expected PATH=V1,V2,..."),
        ("=1,2", "--sweep =1,2: empty field path"),
        ("raids..count=1", "--sweep raids..count=1: empty field path"),
        ("raids.0.count=", "--sweep raids.0.count=: no values after '='"),
        ("raids.0.count=1,,2", "--sweep raids.0.count=1,,2: empty value in the list"),
        ("raids.0.count=1,1", "--sweep raids.0.count=1,1: value 1 is listed twice"),
        ("raids.0.count=nan", "--sweep raids.0.count=nan: value 'nan' is not a finite number"),
    ],
)
def test_malformed_sweeps(text: str, message: str) -> None:
    with pytest.raises(SweepError) as exc:
        parse_sweeps([text])
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # the field does not exist: the allowed ones are named
        (
            "raids.0.cuont=1",
            "--sweep raids.0.cuont=1: mc-test.yaml: raids[0].cuont: unknown field (allowed: "
            "name, preset, count,",
        ),
        ("nope.x=1", "--sweep nope.x: nope: unknown field (allowed: area_radius_km, assets,"),
        (
            "raids.7.count=1",
            "--sweep raids.7.count: raids has no item named '7' (names: cruise, drones, airliner)",
        ),
        (
            "raids.x.count=1",
            "--sweep raids.x.count: raids has no item named 'x' (names: cruise, drones, airliner)",
        ),
        (
            "civil_traffic.3.max_flights=1",
            "--sweep civil_traffic.3.max_flights: civil_traffic is an empty list",
        ),
        ("raids.0.count.x=1", "--sweep raids.0.count.x: raids.0.count: is a single value (16)"),
        # the value is wrong: what is allowed, and what was given
        (
            "raids.0.count=0",
            "--sweep raids.0.count=0: mc-test.yaml: raids[0].count: must be >= 1 (got 0)",
        ),
        (
            "raids.0.count=many",
            "--sweep raids.0.count=many: mc-test.yaml: raids[0].count: must be a whole number (got 'many')",
        ),
        (
            "doctrine.solver=fast",
            "--sweep doctrine.solver=fast: mc-test.yaml: doctrine.solver: must be one of 'auto', 'exact' or 'heuristic' (got 'fast')",
        ),
        # a value valid alone but not with the rest of the scenario
        (
            "duration_s=20",
            "--sweep duration_s=20: mc-test.yaml: raids[1].launch_window_s: last launch 30 s is after the end of the run",
        ),
        (
            "raids.0.preset=sam-x",
            "--sweep raids.0.preset=sam-x: mc-test.yaml: raids[0].preset: unknown threat preset 'sam-x' (known:",
        ),
    ],
)
def test_bad_paths_and_values(base: Scenario, text: str, message: str) -> None:
    with pytest.raises(SweepError) as exc:
        points(base, text)
    assert str(exc.value).startswith(message), str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_path_swept_twice_and_too_many_points(base: Scenario) -> None:
    with pytest.raises(SweepError, match=r"^--sweep raids\.0\.count: swept twice"):
        parse_sweeps(["raids.0.count=1", "raids.0.count=2"])
    many = ",".join(str(i) for i in range(1, 40))
    with pytest.raises(SweepError, match=rf"points in the grid \(at most {MAX_POINTS:,}\)"):
        points(base, f"raids.0.count={many}", f"raids.1.count={many}")


def test_list_items_by_name_or_by_position(base: Scenario) -> None:
    """An item is named by its name; the same item by its position gives the same point."""
    (by_name,) = points(base, "raids.drones.count=5")
    (by_index,) = points(base, "raids.1.count=5")
    assert by_name.scenario() == by_index.scenario()
    assert by_name.scenario().raids[1].count == 5
