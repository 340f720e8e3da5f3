"""The engage stage inside a run: a raid, a battery, and an airliner crossing the raid's path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from airdefense.record.rundir import interceptors_table
from airdefense.scenario import library, load_theatre
from airdefense.sim.loop import RunResult, simulate
from airdefense.systems import catalog
from airdefense.types.events import EventKind


@pytest.fixture(scope="module")
def crossing() -> RunResult:
    return simulate(load_theatre(library.resolve("airliner-crossing")))


def test_the_battery_engages_the_raid_and_spares_the_airliner(crossing: RunResult) -> None:
    s = crossing.summary
    truth = crossing.truth
    airliner = np.flatnonzero(truth.category == "civil")
    assert airliner.size == 1
    assert s["civil_engaged"] == 0
    assert truth.end_reason[airliner[0]] != "killed"
    assert s["interceptors_used"] > 0 and s["kills"] > 0
    assert s["leakers"] + s["kills"] <= s["threats"]


def test_only_tracks_identified_hostile_are_engaged(crossing: RunResult) -> None:
    ev = crossing.events.table().to_pydict()
    hostile_tracks = {
        tr
        for k, tr, d in zip(ev["kind"], ev["track_id"], ev["identity"], strict=True)
        if k == EventKind.IDENTIFIED and d == "hostile"
    }
    engaged = {
        tr
        for k, tr in zip(ev["kind"], ev["track_id"], strict=True)
        if k == EventKind.ENGAGEMENT_PLANNED
    }
    assert engaged and engaged <= hostile_tracks


def test_inventory_and_envelopes_are_respected(crossing: RunResult) -> None:
    en = interceptors_table(crossing).to_pydict()
    preset = catalog.BATTERIES["s-400-class"]
    # never more rounds of a type than the default load holds
    from airdefense.scenario.theatre import default_loads

    loads = default_loads(preset, preset.launchers)
    fired = {m: en["missile"].count(m) for m in set(en["missile"])}
    assert all(fired[m] <= loads[m] for m in fired)
    # every planned intercept point lies inside its missile's range and altitude envelope
    ev = crossing.events.table().to_pydict()
    pips = [
        (x, y, z)
        for k, x, y, z in zip(ev["kind"], ev["x"], ev["y"], ev["z"], strict=True)
        if k == EventKind.ENGAGEMENT_PLANNED
    ]
    site = np.array([4e3, 1e3])
    longest = max(catalog.MISSILES[m].max_range_km for m in loads) * 1e3
    for x, y, z in pips:
        assert np.hypot(x - site[0], y - site[1]) <= longest
        assert z <= max(catalog.MISSILES[m].max_altitude_km for m in loads) * 1e3


def test_outcomes_are_recorded_for_every_interceptor(crossing: RunResult) -> None:
    en = interceptors_table(crossing).to_pydict()
    assert len(en["launch_t"]) == crossing.summary["interceptors_used"]
    allowed = {
        "flying", "kill", "miss", "arrived_destroyed", "timeout", "ground", "target_gone",
        "destroyed",
    }  # fmt: skip
    assert set(en["end_reason"]) <= allowed
    kills = sum(1 for o in en["end_reason"] if o == "kill")
    assert kills == crossing.summary["kills"]


def test_channels_and_launch_rate_hold_when_they_bind(tmp_path: Path) -> None:
    """A battery with 2 target channels, 3 missile channels and two launchers firing every
    5 s never has more in flight, at more threats, or launches faster."""
    text = (
        library.resolve("airliner-crossing")
        .read_text()
        .replace(
            "  - {name: Battalion, preset: s-400-class, position: {east_km: 4, north_km: 1}}",
            "  - name: Battalion\n    preset: s-400-class\n    position: {east_km: 4, north_km: 1}\n"
            "    launchers: 2\n"
            "    overrides: {target_channels: 2, missile_channels: 3, launch_interval_s: 5.0}",
        )
    )
    path = tmp_path / "tight.yaml"
    path.write_text(text)
    run = simulate(load_theatre(path))
    en = interceptors_table(run).to_pydict()
    assert len(en["launch_t"]) > 3
    launch = np.asarray(en["launch_t"], dtype=float)
    end_t = np.asarray([np.nan if e is None else e for e in en["end_t"]], dtype=float)
    end = np.where(np.isnan(end_t), np.inf, end_t)
    track = np.asarray(en["end_track_id"])
    for t in np.unique(launch):
        flying = (launch <= t) & (end > t)
        assert flying.sum() <= 3
        assert np.unique(track[flying]).size <= 2
    # two launchers, each firing once per 5 s: never more than two launches in any 5 s
    ts = np.sort(launch)
    assert np.all(ts[2:] - ts[:-2] >= 5.0 - 1e-9)
