"""The loop on bundled scenarios: physics seen end to end, and the event log's bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest

from airdefense.geo import Frame, horizon_range_m
from airdefense.scenario import library, load_scenario, load_theatre, resolve
from airdefense.sim.loop import RunResult, simulate
from airdefense.types.events import EventKind
from airdefense.world.truth import Truth


@pytest.fixture(scope="module")
def siting() -> RunResult:
    return simulate(load_theatre(library.resolve("horizon-siting")))


def _first_range_by_sensor(run: RunResult, sensor_id: int, ids: np.ndarray) -> np.ndarray:
    """Ground-truth slant range at each object's first plot by one sensor (NaN if none)."""
    p = run.plots
    out = np.full(ids.shape[0], np.nan)
    for j, i in enumerate(ids):
        mine = np.flatnonzero((p.truth_id == i) & (p.sensor_id == sensor_id))
        if mine.size:
            k = mine[np.argmin(p.t[mine])]
            out[j] = p.range_m[k]
    return out


def test_a_radar_on_a_hill_sees_sea_skimmers_further(siting: RunResult) -> None:
    truth = siting.truth
    skimmers = np.flatnonzero(truth.preset == "cruise-tomahawk-class")
    shore = _first_range_by_sensor(siting, 0, skimmers)
    hill = _first_range_by_sensor(siting, 1, skimmers)
    assert np.all(np.isfinite(shore)) and np.all(np.isfinite(hill))
    # 4/3-Earth horizon: 10 m mast vs 30 m skimmer ~35 km; 340 m vs 30 m ~98 km
    shore_h = horizon_range_m(10.0, 30.0)
    hill_h = horizon_range_m(340.0, 30.0)
    assert np.all(shore <= shore_h * 1.02)
    assert np.median(hill) > 2.0 * np.median(shore)
    assert np.all(hill <= hill_h * 1.02)
    assert np.median(hill) > 0.8 * hill_h


def test_plots_only_while_objects_exist(siting: RunResult) -> None:
    p, truth = siting.plots, siting.truth
    real = p.truth_id >= 0
    ids = p.truth_id[real]
    assert np.all(p.t[real] >= truth.start_s[ids] - 1e-9)
    assert np.all(p.t[real] <= truth.end_s[ids] + 1e-9)
    for sid in np.unique(p.sensor_id):  # each radar's plots come in time order
        assert np.all(np.diff(p.t[p.sensor_id == sid]) >= 0)
    assert np.all(siting.first.t[ids] <= p.t[real] + 1e-9)


def test_event_log_bookkeeping(siting: RunResult) -> None:
    ev = siting.events.table().to_pydict()
    kinds = np.array(ev["kind"])
    obj = np.array(ev["object_id"])
    truth = siting.truth
    launches = obj[kinds == EventKind.OBJECT_START]
    assert sorted(launches) == list(range(truth.n))
    arrived = truth.hostile & np.isin(truth.end_reason, ["impact", "reached_aim"])
    assert sorted(obj[kinds == EventKind.LEAK]) == list(np.flatnonzero(arrived))
    assert set(obj[kinds == EventKind.ASSET_HIT]) <= set(obj[kinds == EventKind.LEAK])
    firsts = obj[kinds == EventKind.FIRST_DETECTION]
    assert sorted(firsts) == list(np.flatnonzero(siting.first.detected))
    assert siting.summary["leakers"] == int(arrived.sum())
    assert list(ev["t"]) == sorted(ev["t"])


def test_same_seed_same_plots_other_trial_differs() -> None:
    sc = load_scenario(library.resolve("horizon-siting")).model_copy(update={"duration_s": 120.0})
    th = resolve(sc)
    a, b, c = simulate(th), simulate(th), simulate(th, trial=1)
    for field in ("t", "range_m", "azimuth_rad", "truth_id"):
        np.testing.assert_array_equal(getattr(a.plots, field), getattr(b.plots, field))
    assert not np.array_equal(a.truth.start_s, c.truth.start_s)


def test_kill_ends_a_trajectory() -> None:
    frame = Frame.from_degrees(50.0, 10.0)
    t = np.arange(0.0, 11.0)
    truth = Truth.straight_lines(frame, t, np.zeros((2, 3)), np.array([[100.0, 0.0, 0.0]] * 2))
    truth.kill(np.array([1]), 4.5)
    truth.kill(np.array([1]), 8.0)  # a later kill does not revive it
    assert truth.end_s[1] == 4.5 and truth.end_reason[1] == "killed"
    assert truth.end_s[0] == 10.0
    assert truth.alive(5.0).tolist() == [True, False]
    pos_at, vel_at, _ = truth.state_at(np.array([4.5, 4.5]), np.array([0, 1]))
    np.testing.assert_allclose(pos_at[:, 0], [450.0, 450.0])
    np.testing.assert_allclose(vel_at[:, 0], [100.0, 100.0])


def test_the_tracker_follows_the_radars(siting: RunResult) -> None:
    """Every threat the radars plotted often enough gets a confirmed track that stays on it;
    confirmations and drops are in the event log with their track numbers."""
    tr = siting.tracks
    events = siting.events.table().to_pydict()
    confirmed = {
        tid
        for k, tid in zip(events["kind"], events["track_id"], strict=True)
        if k == EventKind.TRACK_CONFIRMED
    }
    assert confirmed and confirmed <= set(tr.track_id.tolist())
    plotted = np.bincount(siting.plots.truth_id[siting.plots.truth_id >= 0])
    well_seen = np.flatnonzero(plotted >= 5)
    held = set(tr.truth_id[(tr.status == 1) & (tr.truth_id >= 0)].tolist())
    assert set(well_seen.tolist()) <= held
    score = siting.track_score
    assert score.completeness > 0.9
    assert score.position_accuracy_m < 500.0
    assert siting.summary["tracks_confirmed"] == len(confirmed)


def test_same_seed_same_tracks() -> None:
    sc = load_scenario(library.resolve("horizon-siting")).model_copy(update={"duration_s": 200.0})
    a, b = simulate(resolve(sc)).tracks, simulate(resolve(sc)).tracks
    for name in ("t", "track_id", "x", "vz", "status", "quality", "truth_id"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_identification_calls_threats_hostile_and_civil_flights_civil(siting: RunResult) -> None:
    s = siting.summary
    assert s["threats_identified"] >= 0.9 * s["threats_detected"]
    assert s["civil_identified_hostile"] == 0


def test_without_analysis_the_outcome_is_the_same(siting: RunResult) -> None:
    # a Monte Carlo trial skips coverage diagrams and track scoring, nothing else
    lean = simulate(load_theatre(library.resolve("horizon-siting")), analysis=False)
    assert lean.track_score is None and lean.coverage == {}
    assert np.isnan(lean.summary["gospa_mean_m"])
    same = {
        k: v for k, v in siting.summary.items() if k not in ("gospa_mean_m", "track_completeness")
    }
    assert {k: lean.summary[k] for k in same} == same
    np.testing.assert_array_equal(lean.tracks.x, siting.tracks.x)


def test_batteries_table_accounts_for_every_round_fired() -> None:
    from collections import Counter

    from airdefense.record.rundir import build_tables

    run = simulate(load_theatre(library.resolve("airliner-crossing")))
    tables = build_tables(run)
    bats = tables["batteries"].to_pylist()
    assert len(bats) == run.batteries.n_shooters
    shots = tables["interceptors"].to_pydict()
    fired = Counter(zip(shots["battery"], shots["missile"], strict=True))
    assert sum(fired.values()) > 0
    for row in bats:
        assert row["rounds_loaded"] - row["rounds_left"] == fired[(row["battery"], row["missile"])]
        assert row["max_range_m"] > row["min_range_m"] >= 0
