"""The Python API as an analyst uses it in a notebook: scenario, changes by name, simulate,
tables as DataFrames, save, open, Monte Carlo with a sweep."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import airdefense as ad

HERE = Path(__file__).parent
SMALL = HERE / "montecarlo" / "mc-test.yaml"


@pytest.fixture(scope="module")
def run() -> ad.Run:
    sc = ad.scenario("airliner-crossing").with_changes({"duration_s": 240})
    return ad.simulate(sc, seed=3)


def test_the_names_are_the_api_functions_whatever_is_imported() -> None:
    import airdefense.montecarlo.runner  # noqa: F401  (a package of the same name, loaded)
    from airdefense.scenario.load import load_scenario

    assert callable(ad.scenario) and callable(ad.montecarlo)
    assert ad.scenario.__module__ == "airdefense.api"
    assert ad.montecarlo.__module__ == "airdefense.api"
    assert load_scenario(SMALL).name == "mc-test"
    assert set(ad.__all__) <= set(dir(ad))


def test_changes_address_list_items_by_name() -> None:
    sc = ad.scenario("vessa-shield")
    changed = sc.with_changes({"raids.cruise.count": 24, "raids.drones.launch_window_s": [0, 60]})
    cruise = next(r for r in changed.raids if r.name == "cruise")
    drones = next(r for r in changed.raids if r.name == "drones")
    assert cruise.count == 24 and drones.launch_window_s == (0.0, 60.0)
    assert sc.raids == ad.scenario("vessa-shield").raids  # the original is unchanged


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"raids.cruse.count": 5}, "raids.cruse.count: raids has no item named 'cruse'"),
        ({"raids.cruise.count": -5}, "vessa-shield: raids[1].count: must be >= 1 (got -5)"),
        ({"doctrine.salvoo": 1}, "vessa-shield: doctrine.salvoo: unknown field (allowed:"),
    ],
)
def test_a_bad_change_raises_the_line_the_command_line_prints(
    changes: dict[str, object], line: str
) -> None:
    with pytest.raises(ad.AirdefenseError) as exc:
        ad.scenario("vessa-shield").with_changes(changes)
    assert str(exc.value).startswith(line) and "\n" not in str(exc.value)


def test_an_unknown_scenario_is_one_line() -> None:
    with pytest.raises(ad.ScenarioError, match=r"^nope: no such file or bundled scenario"):
        ad.scenario("nope")


def test_a_run_in_memory_gives_its_tables_as_dataframes(run: ad.Run) -> None:
    s = run.summary
    assert s["seed"] == 3 and s["interceptors_used"] > 0
    eng = run.table("engagements")
    assert isinstance(eng, pd.DataFrame)
    assert len(eng) == s["interceptors_used"]
    assert eng["interceptor_id"].tolist() == list(range(len(eng)))
    kills = run.table("events_kill")
    assert set(kills["interceptor_id"]) <= set(eng["interceptor_id"])
    assert run.arrow("interceptor_paths").num_rows > len(eng)
    n = run.sql("SELECT count(*) AS n FROM interceptors WHERE end_reason = 'kill'")["n"][0]
    assert n == s["kills"]
    assert "interceptors" in run.tables()


def test_saved_and_reopened_runs_hold_the_same_tables(run: ad.Run, tmp_path: Path) -> None:
    where = run.save(tmp_path / "run", report=False)
    assert (where / "run.duckdb").is_file() and (where / "scenario.yaml").is_file()
    again = ad.open_run(where)
    assert again.summary == run.summary
    for name in ("interceptors", "events", "engagements", "detections"):
        pd.testing.assert_frame_equal(again.table(name), run.table(name))
    again.close()


def test_same_seed_same_run_another_seed_another() -> None:
    sc = ad.scenario(SMALL).with_changes({"duration_s": 120})
    a, b = ad.simulate(sc, seed=5, analysis=False), ad.simulate(sc, seed=5, analysis=False)
    c = ad.simulate(sc, seed=6, analysis=False)
    pd.testing.assert_frame_equal(a.table("detections"), b.table("detections"))
    assert not a.table("objects")["start_s"].equals(c.table("objects")["start_s"])


def test_montecarlo_with_a_sweep_by_name(tmp_path: Path) -> None:
    sc = ad.scenario(SMALL)
    mc = ad.montecarlo(
        sc, trials=2, sweep={"raids.cruise.count": [2, 4]}, workers=1, out=tmp_path / "mc"
    )
    points = mc.points
    assert points["raids.cruise.count"].tolist() == [2, 4]
    assert (points["trials"] == 2).all()
    assert ((points["p_no_leak_low"] <= points["p_no_leak"]) & (points["p_no_leak"] <= 1)).all()
    assert len(mc.trials) == 4 and mc.report is not None and mc.report.is_file()
    # trial k of a point is ad.simulate(..., trial=k) of that point's scenario
    one = ad.simulate(sc.with_changes({"raids.cruise.count": 4}), trial=1, analysis=False)
    row = mc.trials[(mc.trials["point"] == 1) & (mc.trials["trial"] == 1)].iloc[0]
    assert row["interceptors_used"] == one.summary["interceptors_used"]
    assert row["leakers"] == one.summary["leakers"]


def test_a_bad_sweep_is_one_line() -> None:
    with pytest.raises(ad.AirdefenseError, match=r"^sweep raids.cruise.count: value .* twice"):
        ad.montecarlo(SMALL, trials=1, sweep={"raids.cruise.count": [2, 2]})
