"""The Monte Carlo database: batches, resuming, and refusing another run's directory."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import duckdb
import pytest

from airdefense.montecarlo.runner import make_plan
from airdefense.montecarlo.store import DB_NAME, Store, StoreError
from airdefense.montecarlo.trial import TrialResult
from airdefense.scenario.load import load_scenario

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def plan():
    sc = load_scenario(HERE / "mc-test.yaml")
    return make_plan(sc, 3, ["raids.0.count=4,8"], source="mc-test.yaml")


def fake(point: int, trial: int, error: str | None = None) -> TrialResult:
    if error:
        return TrialResult(point, trial, 7, error=error, traceback="Traceback...", wall_s=0.1)
    return TrialResult(
        point,
        trial,
        7,
        threats=10,
        leakers=trial % 2,
        assets_hit=trial % 2,
        civil_engaged=0,
        kills=9,
        interceptors_used=12 + trial,
        interceptor_cost_usd=1e6 * (12 + trial),
        threat_cost_killed_usd=9e6,
        interceptors_by_type=(("a-class", 10), ("b-class", 2 + trial)),
        world_s=0.01,
        sensors_s=0.02,
        tracking_s=0.03,
        engagement_s=0.04,
        wall_s=0.11,
    )


def test_write_read_and_resume(tmp_path: Path, plan) -> None:
    out = tmp_path / "mc"
    store = Store.open(out, plan.identity, plan.points, plan.trials)
    assert store.done() == set()
    assert store.write([fake(0, 0), fake(1, 0), fake(0, 1, error="ValueError: boom")]) == 3
    # a trial already present is kept as it was
    store.write([dataclasses.replace(fake(0, 0), leakers=99)])
    store.close()
    assert (out / "scenarios" / "point-1.yaml").exists()

    again = Store.open(out, plan.identity, plan.points, plan.trials + 2)
    assert again.done() == {(0, 0), (1, 0), (0, 1)}
    table = again.read()
    again.close()
    assert table.point.tolist() == [0, 0, 1] and table.trial.tolist() == [0, 1, 0]
    assert table.ok.tolist() == [True, False, True]
    assert table.error[1] == "ValueError: boom"
    assert math.isnan(table.columns["leakers"][1])
    assert table.columns["interceptors_used"][[0, 2]].tolist() == [12, 12]
    assert table.columns["leakers"][0] == 0
    assert table.by_type == {
        "a-class": pytest.approx([10, 0, 10]),
        "b-class": pytest.approx([2, 0, 2]),
    }
    with duckdb.connect(str(out / DB_NAME), read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        assert meta["trials"] == "5" and meta["seed"] == "7" and meta["points"] == "2"
        assert meta["sweep"] == '["raids.0.count=4,8"]'
        assert con.execute("SELECT count(*) FROM trial_interceptors").fetchone() == (4,)
        assert con.execute("SELECT label FROM points ORDER BY point").fetchall() == [
            ("raids.0.count=4",),
            ("raids.0.count=8",),
        ]


def test_another_run_is_refused_unless_forced(tmp_path: Path, plan) -> None:
    out = tmp_path / "mc"
    store = Store.open(out, plan.identity, plan.points, plan.trials)
    store.write([fake(0, 0)])
    store.close()
    sc = load_scenario(HERE / "mc-test.yaml")
    other_seed = make_plan(sc, 3, ["raids.0.count=4,8"], seed=8)
    other_sweep = make_plan(sc, 3, ["raids.0.count=4,9"])
    other_scenario = make_plan(
        sc.model_copy(update={"duration_s": 140.0}), 3, ["raids.0.count=4,8"]
    )
    for other, what in [
        (other_seed, "seed 7 (not 8)"),
        (other_sweep, "sweep raids.0.count=4,8 (not raids.0.count=4,9)"),
        (other_scenario, "scenario 'mc-test' as it was then"),
    ]:
        with pytest.raises(StoreError) as exc:
            Store.open(out, other.identity, other.points, other.trials)
        text = str(exc.value)
        assert text.startswith(f"{out}: holds another Monte Carlo run (")
        assert what in text and "1 trials" in text and "--force" in text
    forced = Store.open(out, other_seed.identity, other_seed.points, 3, force=True)
    assert forced.done() == set()
    forced.close()


def test_directories_that_are_not_monte_carlo_runs(tmp_path: Path, plan) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match=r"not empty and holds no montecarlo\.duckdb"):
        Store.open(busy, plan.identity, plan.points, 3, force=True)
    assert (busy / "notes.txt").read_text() == "mine"
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(StoreError, match="exists and is not a directory"):
        Store.open(afile, plan.identity, plan.points, 3)
    empty = tmp_path / "empty"
    empty.mkdir()
    Store.open(empty, plan.identity, plan.points, 3).close()
    assert (empty / DB_NAME).exists()
