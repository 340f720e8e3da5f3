"""One trial: compact, reproducible by ``airdefense run --trial N``, and errors recorded."""

from __future__ import annotations

import pickle
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.montecarlo.sweep import canonical_json
from airdefense.montecarlo.trial import FIGURES, run_trial
from airdefense.record.rundir import interceptors_table
from airdefense.scenario import load_scenario, resolve
from airdefense.sim.loop import simulate

HERE = Path(__file__).parent
SCENARIO = HERE / "mc-test.yaml"


def test_trial_is_compact_and_matches_a_full_run(tmp_path: Path) -> None:
    sc = load_scenario(SCENARIO)
    r = run_trial(canonical_json(sc), point=0, trial=3)
    assert r.error is None and r.seed == sc.seed and (r.point, r.trial) == (0, 3)
    assert len(pickle.dumps(r)) < 1500  # what a worker sends back per trial
    assert r.wall_s > 0 and r.sensors_s > 0
    # the same trial with the full analysis (what `airdefense run --trial 3` simulates)
    full = simulate(resolve(sc), trial=3)
    for key in FIGURES:
        if key != "threat_cost_killed_usd":
            assert getattr(r, key) == full.summary[key], key
    assert sum(n for _, n in r.interceptors_by_type) == r.interceptors_used
    fired = interceptors_table(full).column("missile").to_pylist()
    assert dict(r.interceptors_by_type) == {m: fired.count(m) for m in set(fired)}
    killed = full.truth.end_reason == "killed"
    assert r.threat_cost_killed_usd == float(full.truth.cost_usd[killed].sum())
    ratio = full.summary["cost_exchange_ratio"]
    if ratio is not None:
        assert r.interceptor_cost_usd / r.threat_cost_killed_usd == pytest.approx(ratio)
    # and the command line reproduces it, with its run directory
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app, ["run", str(SCENARIO), "--trial", "3", "--no-report", "--quiet", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    with duckdb.connect(str(out / "run.duckdb"), read_only=True) as con:
        row = con.execute("SELECT leakers, interceptors_used, kills FROM summary").fetchone()
    assert row == (r.leakers, r.interceptors_used, r.kills)


def test_a_trial_that_raises_is_returned_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = load_scenario(SCENARIO)

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("no\nluck")

    monkeypatch.setattr("airdefense.sim.loop.simulate", broken)
    r = run_trial(canonical_json(sc), point=2, trial=5)
    assert (r.point, r.trial, r.seed) == (2, 5, sc.seed)
    assert r.leakers is None and r.interceptors_used is None
    assert r.error is not None and r.error.startswith("ZeroDivisionError: no luck (at ")
    assert "in broken)" in r.error
    assert r.traceback is not None and "ZeroDivisionError" in r.traceback
