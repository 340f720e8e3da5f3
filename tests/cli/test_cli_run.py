"""End-to-end: the CLI as a user runs it, the run directory, determinism, failures that
write nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.record.schema import TABLES
from airdefense.scenario import library

SMALL: dict[str, Any] = {
    "name": "small",
    "seed": 3,
    "duration_s": 120,
    "time_step_s": 1.0,
    "origin": {"lat_deg": 50.0, "lon_deg": 10.0},
    "area_radius_km": 300,
    "assets": [
        {"name": "Town", "position": {"east_km": 0, "north_km": 0}, "radius_km": 5, "value": 10}
    ],
    "sensors": [
        {"name": "R1", "preset": "96l6e-class", "position": {"east_km": 1, "north_km": 1}},
        {
            "name": "R2",
            "preset": "92n6e-class",
            "position": {"east_km": 0, "north_km": 2},
            "boresight_deg": 90,
        },
    ],
    "raids": [
        {
            "name": "drones",
            "preset": "loitering-shahed-class",
            "count": 5,
            "launch": {"centre": {"east_km": 5, "north_km": 0}, "radius_km": 1},
            "aim": {"asset": "Town"},
        },
        {
            "name": "cruise",
            "preset": "cruise-tomahawk-class",
            "count": 3,
            "launch": {"centre": {"east_km": 30, "north_km": 0}},
            "aim": {"asset": "Town"},
            "launch_window_s": [0, 10],
        },
        {
            "name": "srbm",
            "preset": "srbm-iskander-class",
            "count": 2,
            "launch": {"centre": {"east_km": 120, "north_km": 0}},
            "aim": {"asset": "Town"},
        },
    ],
}


def _scenario(tmp_path: Path, data: dict[str, Any] = SMALL) -> Path:
    f = tmp_path / "small.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    return f


def _run(args: list[str]) -> Any:
    return CliRunner().invoke(app, args)


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for name in [*TABLES, "summary"]:
            cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
            order = ", ".join(cols)
            out[name] = con.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
        return out
    finally:
        con.close()


def test_run_writes_a_complete_run_directory(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = _run(["run", str(_scenario(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "replay.html",
        "report.html",
        "run.duckdb",
        "scenario.yaml",
    ]
    assert str(out / "replay.html") in result.stdout.replace("\n", "")
    assert str(out / "report.html") in result.stdout.replace("\n", "")
    tables = _tables(out / "run.duckdb")
    assert len(tables["objects"]) == 10
    assert len(tables["summary"]) == 1
    assert tables["truth"] and tables["detections"] and tables["events"] and tables["coverage"]
    # no temporary directory left beside the run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "small.yaml"]
    # the scenario as run reloads to the same scenario
    rerun = yaml.safe_load((out / "scenario.yaml").read_text())
    assert rerun["seed"] == 3 and rerun["name"] == "small"


def test_same_seed_same_tables_other_trial_differs(tmp_path: Path) -> None:
    f = _scenario(tmp_path)
    for name, extra in (("a", []), ("b", []), ("c", ["--trial", "1"])):
        assert (
            _run(
                ["run", str(f), "--out", str(tmp_path / name), "--quiet", "--no-report", *extra]
            ).exit_code
            == 0
        )
    a, b, c = (_tables(tmp_path / n / "run.duckdb") for n in "abc")
    assert a == b
    assert a["detections"] != c["detections"]


def test_seed_option_overrides_the_scenario(tmp_path: Path) -> None:
    f = _scenario(tmp_path)
    assert (
        _run(
            ["run", str(f), "--out", str(tmp_path / "s9"), "--seed", "9", "-q", "--no-report"]
        ).exit_code
        == 0
    )
    con = duckdb.connect(str(tmp_path / "s9" / "run.duckdb"), read_only=True)
    assert con.execute("select seed from summary").fetchone() == (9,)


def test_occupied_out_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = _run(["run", str(_scenario(tmp_path)), "--out", str(out)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"error: {out}: already exists and is not empty (choose another --out or remove it)"
    )
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_interrupted_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import airdefense.report as report

    def boom(run_dir: Path) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_report", boom)
    result = _run(["run", str(_scenario(tmp_path)), "--out", str(tmp_path / "run")])
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted: nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_missing_traffic_package_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "traffic" else real(name, *a)
    )
    data = {**SMALL, "civil_traffic": [{"collection": "quickstart"}]}
    f = _scenario(tmp_path, data)
    result = _run(["run", str(f), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {f}: civil_traffic: ")
    assert "pip install --no-deps traffic==2.13" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]
    # a scenario without recorded traffic still runs
    assert (
        _run(["run", str(_scenario(tmp_path)), "--out", str(tmp_path / "ok"), "-q"]).exit_code == 0
    )


def test_scenarios_lists_every_bundled_one() -> None:
    result = _run(["scenarios"])
    assert result.exit_code == 0
    for name in library.bundled():
        assert name in result.stdout
    assert "(default)" in result.stdout


@pytest.mark.parametrize("name", sorted(library.bundled()))
def test_bundled_scenarios_validate(name: str) -> None:
    result = _run(["validate", name])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_unknown_scenario_name() -> None:
    result = _run(["run", "no-such-scenario"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: no-such-scenario: no such file or bundled scenario (bundled: "
    )


def test_default_scenario_as_a_user_runs_it(tmp_path: Path) -> None:
    """`airdefense run` in a fresh directory, as the console script, no arguments."""
    exe = Path(sys.executable).with_name("airdefense")
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [str(exe), "run"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("vessa-shield-")
    assert (runs[0] / "report.html").stat().st_size > 10_000
    assert "report.html" in proc.stdout and "threats_detected" in proc.stdout
    con = duckdb.connect(str(runs[0] / "run.duckdb"), read_only=True)
    threats, detected, civil = con.execute(
        "select threats, threats_detected, civil from summary"
    ).fetchone()
    assert threats == 44 and civil >= 40
    assert 0 < detected <= threats


def test_no_nan_in_the_database(tmp_path: Path) -> None:
    """Unknown values are SQL NULL, never NaN (NaN != NaN breaks comparisons of runs)."""
    data = {**SMALL, "civil_traffic": [{"collection": "quickstart", "max_flights": 5}]}
    out = tmp_path / "run"
    assert (
        _run(
            ["run", str(_scenario(tmp_path, data)), "--out", str(out), "-q", "--no-report"]
        ).exit_code
        == 0
    )
    con = duckdb.connect(str(out / "run.duckdb"), read_only=True)
    for name in [*TABLES, "summary"]:
        for col, typ, *_ in con.execute(f"DESCRIBE {name}").fetchall():
            if typ == "DOUBLE":
                assert con.execute(
                    f"SELECT count(*) FROM {name} WHERE isnan({col})"
                ).fetchone() == (0,), (name, col)
    assert con.execute("SELECT count(*) FROM objects WHERE aim_x IS NULL").fetchone() == (5,)


def test_civil_traffic_outside_the_recording_is_one_line(tmp_path: Path) -> None:
    data = {**SMALL, "civil_traffic": [{"collection": "quickstart", "time_offset_s": 50_000}]}
    f = _scenario(tmp_path, data)
    result = _run(["run", str(f), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {f}: civil_traffic[0].time_offset_s: no flight of the quickstart recording "
        "flies in [50000, 50120] s (the recording lasts 10,798 s)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_presets_lists_and_shows_sources() -> None:
    from airdefense.systems import catalog

    listing = _run(["presets"])
    assert listing.exit_code == 0
    for presets_of_kind in catalog.KINDS.values():
        for name in presets_of_kind:
            assert name in listing.stdout
    shown = CliRunner().invoke(app, ["presets", "91n6e-class"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0
    assert "Sputnik Arabic, 2019" in shown.stdout  # the 600 km figure's source
    assert "peak_power_w" in shown.stdout and "assumption:" in shown.stdout
    bad = _run(["presets", "s-500"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: s-500: unknown preset (known: 40n6-class, ")
