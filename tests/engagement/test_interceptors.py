"""The interceptor record: every interceptor's plan, launcher, flown path and end, and no
object credited two kills."""

from __future__ import annotations

import numpy as np
import pytest

from airdefense.engagement.batteries import build_batteries
from airdefense.engagement.engage import Engagement
from airdefense.engagement.flyout import PATH_STEP_S
from airdefense.engagement.interceptors import InterceptorLog
from airdefense.record.rundir import build_tables
from airdefense.scenario import library, load_theatre
from airdefense.sim.loop import RunResult, simulate
from airdefense.sim.seeds import stage_seeds
from airdefense.types.events import INTERCEPTOR_ENDS, EventKind
from airdefense.world.build import build_truth


@pytest.fixture(scope="module")
def run() -> RunResult:
    return simulate(load_theatre(library.resolve("airliner-crossing")))


@pytest.fixture(scope="module")
def tables(run: RunResult) -> dict:
    return {k: v.to_pandas() for k, v in build_tables(run).items()}


def test_every_interceptor_has_a_plan_a_launch_and_an_end(tables: dict) -> None:
    shots = tables["interceptors"]
    assert len(shots) > 0
    assert shots["interceptor_id"].tolist() == list(range(len(shots)))
    assert set(shots["end_reason"]) <= set(INTERCEPTOR_ENDS)
    assert (shots["plan_t"] <= shots["launch_t"]).all()
    ended = shots["end_reason"] != "flying"
    assert shots.loc[ended, "end_t"].notna().all()
    assert (shots.loc[ended, "end_t"] >= shots.loc[ended, "launch_t"]).all()
    passes = shots["end_reason"].isin(["kill", "miss", "arrived_destroyed"])
    assert shots.loc[passes, "miss_m"].notna().all()
    ev = tables["events"]
    for kind in ("engagement_planned", "interceptor_launch"):
        ids = ev.loc[ev["kind"] == kind, "interceptor_id"]
        assert sorted(ids) == shots["interceptor_id"].tolist(), kind


def test_kills_and_misses_name_their_interceptor_and_its_end(tables: dict) -> None:
    shots = tables["interceptors"].set_index("interceptor_id")
    ev = tables["events"]
    for kind in ("kill", "miss", "interceptor_end"):
        rows = ev[ev["kind"] == kind]
        assert rows["interceptor_id"].notna().all()
        reasons = shots.loc[rows["interceptor_id"].astype(int), "end_reason"]
        if kind == "interceptor_end":
            assert (reasons.to_numpy() == rows["reason"].to_numpy()).all()
        else:
            assert (reasons == kind).all()
        np.testing.assert_array_equal(
            shots.loc[rows["interceptor_id"].astype(int), "end_t"].to_numpy(), rows["t"]
        )


def test_no_object_is_credited_two_kills(run: RunResult, tables: dict) -> None:
    shots = tables["interceptors"]
    kills = shots[shots["end_reason"] == "kill"]
    assert kills["end_object_id"].is_unique
    assert len(kills) == run.summary["kills"] == int((run.truth.end_reason == "killed").sum())


def test_paths_run_from_the_launcher_to_the_end_every_half_second(tables: dict) -> None:
    shots = tables["interceptors"].set_index("interceptor_id")
    paths = tables["interceptor_paths"]
    assert set(paths["interceptor_id"]) == set(shots.index)
    for iid, p in paths.groupby("interceptor_id"):
        s = shots.loc[iid]
        t = p["t"].to_numpy()
        assert t[0] == s["launch_t"]
        np.testing.assert_allclose(
            p[["x", "y", "z"]].to_numpy()[0],
            s[["launch_x", "launch_y", "launch_z"]].to_numpy(float),
        )
        if s["end_reason"] != "flying":
            assert t[-1] == pytest.approx(s["end_t"])
            np.testing.assert_allclose(
                p[["x", "y", "z"]].to_numpy()[-1], s[["end_x", "end_y", "end_z"]].to_numpy(float)
            )
        step = np.diff(t[:-1])  # the last sample is the end, anywhere in its half second
        np.testing.assert_allclose(step, PATH_STEP_S, atol=1e-9)
        # a path is flown, not drawn: no jump faster than the interceptor can fly
        v = np.linalg.norm(np.diff(p[["x", "y", "z"]].to_numpy(), axis=0), axis=1) / np.diff(t)
        assert np.all(v < 5000.0)


def test_launchers_hold_their_type_and_empty_in_turn(tables: dict) -> None:
    from airdefense.systems import catalog

    bats = tables["batteries"]
    shots = tables["interceptors"]
    for _, row in bats.iterrows():
        mine = shots[
            (shots["battery_id"] == row["battery_id"]) & (shots["missile"] == row["missile"])
        ]
        per = catalog.MISSILES[row["missile"]].per_launcher
        first = row["first_launcher"]
        assert mine["launcher"].between(first, first + -(-row["rounds_loaded"] // per) - 1).all()
        # rounds leave one launcher before the next: launcher numbers never go back
        assert mine["launcher"].is_monotonic_increasing
        assert (mine["launcher"].value_counts() <= per).all()


def test_take_rounds_numbers_launchers_per_type() -> None:
    theatre = load_theatre(library.resolve("airliner-crossing"))
    bats = build_batteries(theatre.batteries)
    per = [bats.missile_types[m].per_launcher for m in bats.shooter_missile]
    s = int(np.argmax(per))  # a type with several rounds per launcher
    shots = np.full(per[s] + 1, s)
    launchers = bats.take_rounds(shots)
    first = bats.first_launcher[s]
    assert launchers.tolist() == [first] * per[s] + [first + 1]
    assert bats.rounds[s] == bats.rounds0[s] - shots.size


def test_a_second_pass_at_a_killed_target_arrives_at_a_destroyed_one() -> None:
    """Two interceptors whose passes kill one object in one window: the first is its kill,
    the second arrived at a destroyed target; an end for want of that target after its kill
    is the same, unless the interceptor was launched after it."""
    theatre = load_theatre(library.resolve("airliner-crossing"))
    truth = build_truth(theatre, np.random.default_rng(stage_seeds(theatre.seed)["world"]))
    eng = Engagement(theatre, truth, np.random.default_rng(1), np.random.default_rng(2))
    truth.kill(np.array([3]), 100.0)
    outcome = np.array(["kill", "kill", "miss", "target_gone", "target_gone", "target_gone"])
    target = np.array([3, 3, 4, 3, 5, 3])
    t = np.array([100.0, 100.0, 101.0, 101.0, 102.0, 104.0])
    launched = np.array([40.0, 40.0, 50.0, 60.0, 60.0, 104.0])
    reasons = eng._end_reasons(outcome, target, t, launched)
    assert reasons.tolist() == [
        "kill",
        "arrived_destroyed",
        "miss",
        "arrived_destroyed",
        "target_gone",  # its target's trajectory ended otherwise
        "target_gone",  # fired at a track that outlived its target
    ]


def test_the_log_refuses_ids_out_of_order() -> None:
    log = InterceptorLog()
    z = np.zeros(1)
    args = dict(
        battery_id=z, launcher=z, missile_type=z, track=z, obj=z, plan_t=0.0, launch_t=z,
        site=np.zeros((1, 3)), pip=np.zeros((1, 3)), intercept_t=z, pk=z,
    )  # fmt: skip
    log.add(np.array([0]), **args)
    with pytest.raises(ValueError, match="follow on"):
        log.add(np.array([5]), **args)


def test_identifications_carry_their_rule_and_evidence(run: RunResult) -> None:
    ident = run.events.of(EventKind.IDENTIFIED)
    assert len(ident)
    hostile = ident.identity == "hostile"
    assert set(ident.rule[hostile]) <= {"ballistic_arc", "silent"}
    silent = ident.rule == "silent"
    assert (ident.silent_run[silent] >= run.theatre.rules.silent_interrogations).all()
    civil = ident.rule == "civil_reply"
    assert (ident.civil_replies[civil] > 0).all()
    assert (ident.identity != ident.previous_identity).all()
