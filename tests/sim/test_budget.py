"""A run whose radars would make more plots or looks than a run may is refused before its
loop starts, with one line naming the radar and what to change."""

from __future__ import annotations

import pytest

import airdefense as ad
from airdefense.scenario import library, load_theatre, resolve
from airdefense.sim.budget import MAX_PLOTS, RunTooBig, check_budget
from airdefense.sim.stages import place_radars

RADAR = "sensors.Vessa long-range surveillance.overrides"


def test_every_bundled_scenario_is_within_the_budget() -> None:
    for name, path in library.bundled().items():
        theatre = load_theatre(path)
        check_budget(theatre, place_radars(theatre), n_objects=2_000)  # more than any flies
        assert name


def test_a_radar_of_a_trillion_cells_is_refused_in_one_line() -> None:
    sc = ad.scenario("vessa-shield").with_changes(
        {RADAR: {"range_resolution_m": 1.0, "azimuth_beamwidth_deg": 0.1, "pfa": 0.009}}
    )
    theatre = resolve(sc, "big.yaml")
    with pytest.raises(RunTooBig) as exc:
        check_budget(theatre, place_radars(theatre), n_objects=100)
    line = str(exc.value)
    assert line.startswith("big.yaml: sensors[0]: 91n6e-class would draw about")
    assert f"at most {MAX_PLOTS:,}" in line and "\n" not in line
    with pytest.raises(RunTooBig):  # and a run of it stops before its loop, not in an hour
        ad.simulate(sc, analysis=False)


def test_too_many_looks_are_refused() -> None:
    sc = ad.scenario("vessa-shield").with_changes({"raids.drones.count": 10_000})
    theatre = resolve(sc, "swarm.yaml")
    with pytest.raises(RunTooBig, match=r"^swarm.yaml: sensors: the radars would evaluate"):
        check_budget(theatre, place_radars(theatre), n_objects=10_000_000)
    fine = resolve(ad.scenario("airliner-crossing"), "ok.yaml")
    check_budget(fine, place_radars(fine), n_objects=13)
