"""What the plan view rings and the headline cards say: radar coverage at low and high
altitude, each battery's reach per missile type, interceptors used by type."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pytest
from report_synthetic_run import FLYOUT_MAX_RANGE_M, make_run

from airdefense.report import figures, load_run, write_report


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("plan")
    make_run(run_dir)
    return run_dir


def test_coverage_rings_are_the_diagram_pd_half_range(synthetic: Path) -> None:
    run = load_run(synthetic / "run.duckdb")
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
    cov = load_run(synthetic / "run.duckdb").coverage[0]
    reach, _ = cov.detection_range_m(100.0, pd_min=1.01)
    assert np.isnan(reach)


def test_battery_reach_per_missile_type_from_launches_and_flyout(synthetic: Path) -> None:
    sites = load_run(synthetic / "run.duckdb").battery_sites
    rows = sorted(
        zip(
            sites["battery"].tolist(),
            sites["missile"].tolist(),
            sites["x"].tolist(),
            sites["y"].tolist(),
            sites["reach_m"].tolist(),
            strict=True,
        )
    )
    assert rows == [
        ("B1", "SAM", 10_000.0, 0.0, FLYOUT_MAX_RANGE_M["SAM"]),
        ("B2", "SAM-L", -30_000.0, -10_000.0, FLYOUT_MAX_RANGE_M["SAM-L"]),
    ]


def test_plan_view_legend_and_caption_name_the_rings(synthetic: Path) -> None:
    page = write_report(synthetic).read_text(encoding="utf-8")
    plan = page[page.index('id="plan"') : page.index('id="coverage"')]
    assert "reference target flying at 100 m" in plan and "10 km" in plan
    assert "reach with each missile type it fired" in plan
    assert "Natural Earth" in plan


def test_headline_cards_count_interceptors_by_type(synthetic: Path) -> None:
    page = write_report(synthetic).read_text(encoding="utf-8")
    cards = dict(
        (k, v)
        for v, k in re.findall(r'<div class="v">([^<]*)</div><div class="k">([^<]*)</div>', page)
    )
    assert cards["interceptors used: SAM"] == "2"
    assert cards["interceptors used: SAM-L"] == "1"
    assert cards["interceptors used"] == "3"


def test_no_launches_no_reach_rings_or_type_cards(tmp_path: Path) -> None:
    make_run(tmp_path, engage_columns=False, optional_rows=False)
    run = load_run(tmp_path / "run.duckdb")
    assert run.battery_sites["battery"].shape[0] == 0
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "interceptors used:" not in page
