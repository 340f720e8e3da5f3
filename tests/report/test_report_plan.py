"""What the plan view rings and the headline cards say: radar coverage at low and high
altitude, each battery's reach per missile type it carries, interceptors used by type."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pytest
from report_synthetic_run import BATTERY_SITES, FLYOUT_MAX_RANGE_M, make_run

from airdefense.report import figures, load_run, write_report


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("plan")
    make_run(run_dir)
    return run_dir


def test_coverage_rings_are_the_diagram_pd_half_range(synthetic: Path) -> None:
    run = load_run(synthetic)
    with duckdb.connect(str(synthetic / "run.duckdb"), read_only=True) as con:
        for height in figures.COVERAGE_HEIGHTS_M:
            expected = dict(
                con.execute(
                    "WITH h AS (SELECT height_m FROM coverage "
                    "ORDER BY abs(height_m - ?), height_m LIMIT 1) "
                    "SELECT sensor_id, max(ground_range_m) FILTER (WHERE pd >= 0.5) "
                    "FROM coverage WHERE height_m = (SELECT height_m FROM h) GROUP BY sensor_id",
                    [height],
                ).fetchall()
            )
            for cov in run.coverage:
                reach, used = cov.detection_range_m(height)
                assert reach == expected[cov.sensor_id]
                assert abs(used - height) <= 0.3 * height
    # low flyers are seen much closer than high ones: the horizon
    for cov in run.coverage:
        low, _ = cov.detection_range_m(figures.COVERAGE_HEIGHTS_M[0])
        high, _ = cov.detection_range_m(figures.COVERAGE_HEIGHTS_M[1])
        assert low < high


def test_nothing_detected_at_a_height_gives_no_ring(synthetic: Path) -> None:
    cov = load_run(synthetic).coverage[0]
    reach, _ = cov.detection_range_m(100.0, pd_min=1.01)
    assert np.isnan(reach)


def test_every_battery_is_ringed_per_missile_type_it_carries(synthetic: Path) -> None:
    """From the batteries table: B2's SAM and B3 never fired and are ringed all the same; the
    radius is the flyout table's reach where it has the type, else the type's max range."""
    run = load_run(synthetic)
    assert figures.missile_rings(run) == [
        ("B1", "SAM", *BATTERY_SITES["B1"], FLYOUT_MAX_RANGE_M["SAM"], "flyout"),
        ("B2", "SAM", *BATTERY_SITES["B2"], FLYOUT_MAX_RANGE_M["SAM"], "flyout"),
        ("B2", "SAM-L", *BATTERY_SITES["B2"], FLYOUT_MAX_RANGE_M["SAM-L"], "flyout"),
        ("B3", "SHORAD", *BATTERY_SITES["B3"], 15_000.0, "max range"),
    ]
    assert figures.battery_places(run) == [(b, *BATTERY_SITES[b]) for b in ("B1", "B2", "B3")]
    assert run.battery_sites["fired"].tolist() == [2, 0, 1, 0]


def test_zoomed_plan_view_holds_every_battery(synthetic: Path) -> None:
    run = load_run(synthetic)
    _, zoom = figures.plan_extents(run)
    assert zoom is not None
    for x, y in BATTERY_SITES.values():
        assert zoom[0] < x / 1e3 < zoom[1] and zoom[2] < y / 1e3 < zoom[3]


def test_plan_view_legend_and_caption_name_the_rings(synthetic: Path) -> None:
    page = write_report(synthetic).read_text(encoding="utf-8")
    plan = page[page.index('id="plan"') : page.index('id="coverage"')]
    assert "reference target flying at 100 m" in plan and "10 km" in plan
    assert "every battery whether it fired or not" in plan
    assert "reach with each missile type it carries" in plan
    assert "solid, the farthest ground range of that missile in the run's flyout table" in plan
    assert "dashed, the missile's maximum range from the batteries table" in plan
    assert "Natural Earth" in plan


def test_run_without_batteries_table_rings_what_fired_at_launch_sites(tmp_path: Path) -> None:
    """A run written before the batteries table existed: batteries that fired, at their
    first launch site, ringed per type fired at its flyout reach."""
    db = make_run(tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE batteries")
    run = load_run(tmp_path)
    assert figures.missile_rings(run) == [
        ("B1", "SAM", *BATTERY_SITES["B1"], FLYOUT_MAX_RANGE_M["SAM"], "flyout"),
        ("B2", "SAM-L", *BATTERY_SITES["B2"], FLYOUT_MAX_RANGE_M["SAM-L"], "flyout"),
    ]
    assert run.batteries["battery"].shape[0] == 0
    page = write_report(tmp_path).read_text(encoding="utf-8")
    plan = page[page.index('id="plan"') : page.index('id="coverage"')]
    assert "reach with each missile type it fired" in plan
    assert "only batteries that fired are shown" in plan
    assert "dashed, the missile's maximum range" not in plan


def test_headline_cards_count_interceptors_by_type(synthetic: Path) -> None:
    page = write_report(synthetic).read_text(encoding="utf-8")
    cards = dict(
        (k, v)
        for v, k in re.findall(r'<div class="v">([^<]*)</div><div class="k">([^<]*)</div>', page)
    )
    assert cards["interceptors used: SAM"] == "2"
    assert cards["interceptors used: SAM-L"] == "1"
    assert cards["interceptors used"] == "3"


def test_no_launches_no_type_cards_but_rings_at_max_range(tmp_path: Path) -> None:
    """No launch and no flyout table: every battery is still ringed, at max range."""
    make_run(tmp_path, engage_columns=False, optional_rows=False)
    run = load_run(tmp_path)
    rings = figures.missile_rings(run)
    assert [(b, m, r, src) for b, m, _, _, r, src in rings] == [
        ("B1", "SAM", 150_000.0, "max range"),
        ("B2", "SAM", 150_000.0, "max range"),
        ("B2", "SAM-L", 300_000.0, "max range"),
        ("B3", "SHORAD", 15_000.0, "max range"),
    ]
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "interceptors used:" not in page
    assert "solid, the farthest" not in page


def test_no_batteries_no_rings(tmp_path: Path) -> None:
    db = make_run(tmp_path, engage_columns=False, optional_rows=False)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE batteries")
    run = load_run(tmp_path)
    assert run.battery_sites["battery"].shape[0] == 0 and figures.missile_rings(run) == []
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No battery in this run." in page
