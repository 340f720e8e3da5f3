"""The report's engagement story: per-threat outcomes, per-battery tallies, the timeline,
flyout curves and headline cards, on the synthetic run and on a short simulated run."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from report_synthetic_run import make_run

from airdefense.report import load_run, write_report

_ALTS = ('alt="engagement timeline"', 'alt="flyout time against range"')


def _table_after(page: str, anchor: str) -> list[list[str]]:
    """Cell texts of the first table after ``anchor`` (header row included)."""
    section = page[page.index(anchor) :]
    table = section[section.index("<table") : section.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in rows
    ]


def _by_name(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    head = rows[0]
    return {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:]}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    run_dir = tmp_path_factory.mktemp("engage")
    make_run(run_dir)
    return run_dir, write_report(run_dir).read_text(encoding="utf-8")


def test_threat_table_tells_what_was_fired_and_what_became_of_it(
    synthetic: tuple[Path, str],
) -> None:
    _, page = synthetic
    threats = _by_name(_table_after(page, 'id="threats"'))
    killed = threats["BAL-000"]
    assert killed["outcome"].startswith("killed at ") and "(SAM)" in killed["outcome"]
    assert killed["fired at it"] == "1x SAM" and killed["interceptors"] == "1"
    assert killed["engaged (s)"] != "–"
    hit = threats["DRO-002"]
    assert hit["fired at it"] == "1x SAM, 1x SAM-L" and hit["interceptors"] == "2"
    assert hit["outcome"] == "hit Capital: engaged, not killed"
    assert threats["AIR-003"]["outcome"] == "leaked: no confirmed track"
    assert threats["AIR-003"]["fired at it"] == "–"
    assert threats["CM-UNSEEN"]["outcome"] == "leaked: never plotted"
    assert threats["CM-UNSEEN"]["status"] == "undetected"


def test_battery_table_and_cards(synthetic: tuple[Path, str]) -> None:
    _, page = synthetic
    rows = _table_after(page, 'id="batteries"')
    assert rows[0][:9] == [
        "battery", "missile", "loaded", "fired", "left", "targets", "kills", "misses", "lost",
    ]  # fmt: skip
    assert rows[0][-2:] == ["round (US$M)", "cost fired (US$M)"]
    # every battery and type it carries, those that never fired too (B2's SAM, all of B3)
    assert [r[:9] + r[-2:] for r in rows[1:]] == [
        ["B1", "SAM", "8", "2", "6", "2", "1", "1", "0", "1.00", "2.0"],
        ["B2", "SAM", "4", "0", "4", "0", "0", "0", "0", "1.00", "0.0"],
        ["B2", "SAM-L", "4", "1", "3", "1", "0", "0", "1", "1.50", "1.5"],
        ["B2", "all types", "8", "1", "7", "", "0", "0", "1", "", "1.5"],
        ["B3", "SHORAD", "12", "0", "12", "0", "0", "0", "0", "0.10", "0.0"],
    ]
    assert "3 interceptors launched at 2 threats by 2 batteries" in page
    assert "every battery whether it fired or not" in page
    assert "US$ 3.5 M" in page and "cost-exchange ratio" in page
    assert "threats killed" in page


def test_figures_present_and_report_deterministic(synthetic: tuple[Path, str]) -> None:
    run_dir, page = synthetic
    for alt in _ALTS:
        assert alt in page
    assert page.count("How to read this.") >= 8
    assert write_report(run_dir).read_text(encoding="utf-8") == page


def test_plan_lines_pair_launch_sites_with_intercept_points(tmp_path: Path) -> None:
    make_run(tmp_path)
    run = load_run(tmp_path)
    ic = run.intercepts
    assert ic["t"].shape[0] == 3
    assert sorted(zip(ic["sx"].tolist(), ic["sy"].tolist(), strict=True)) == [
        (-30_000.0, -10_000.0),
        (10_000.0, 0.0),
        (10_000.0, 0.0),
    ]


def test_run_without_engagements(tmp_path: Path) -> None:
    make_run(tmp_path, engage_columns=False, optional_rows=False)
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No interceptors were launched" in page
    # the batteries are still listed, with all their rounds left
    rows = _table_after(page, 'id="batteries"')
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows[1:] if r[1] != "all types"] == [
        ("B1", "SAM", "8", "0", "8"),
        ("B2", "SAM", "4", "0", "4"),
        ("B2", "SAM-L", "4", "0", "4"),
        ("B3", "SHORAD", "12", "0", "12"),
    ]
    for alt in _ALTS:
        assert alt not in page


def test_run_without_batteries_table_lists_only_what_fired(tmp_path: Path) -> None:
    """A run written before the batteries table existed: the table lists the batteries that
    fired, by what they fired, with rounds loaded and left unknown."""
    db = make_run(tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE batteries")
    page = write_report(tmp_path).read_text(encoding="utf-8")
    rows = _table_after(page, 'id="batteries"')
    assert [r[:9] for r in rows[1:]] == [
        ["B1", "SAM", "–", "2", "–", "2", "1", "1", "0"],
        ["B2", "SAM-L", "–", "1", "–", "1", "0", "0", "1"],
    ]
    assert "this run has no batteries table" in page
    assert "3 interceptors launched at 2 threats by 2 batteries" in page


def test_run_without_engagements_or_batteries(tmp_path: Path) -> None:
    db = make_run(tmp_path, engage_columns=False, optional_rows=False)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM batteries")
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No interceptors were launched" in page
    assert 'id="batteries"' not in page


def test_simulated_run_report_tells_the_engagement_story(tmp_path: Path) -> None:
    from airdefense.record.rundir import write_run
    from airdefense.scenario import library, load_scenario, resolve
    from airdefense.sim.loop import simulate

    sc = load_scenario(library.resolve("airliner-crossing"))
    sc = sc.model_copy(update={"duration_s": 300.0})
    out = write_run(simulate(resolve(sc)), tmp_path / "run", (write_report,))
    page = (out / "report.html").read_text(encoding="utf-8")
    for alt in _ALTS:
        assert alt in page
    batteries = _table_after(page, 'id="batteries"')
    assert batteries[1][0] == "Battalion"
    head = batteries[0]
    per_type = [dict(zip(head, r, strict=True)) for r in batteries[1:] if r[1] != "all types"]
    fired = sum(int(r["fired"]) for r in per_type)
    run = load_run(out)
    assert fired == run.summary["interceptors_used"] > 0
    # rounds loaded, fired and left agree, from the batteries table
    assert all(int(r["loaded"]) - int(r["fired"]) == int(r["left"]) for r in per_type)
    threats = _by_name(_table_after(page, 'id="threats"'))
    killed = [t for t in threats.values() if t["outcome"].startswith("killed at")]
    assert len(killed) == run.summary["kills"] > 0
    assert all(re.fullmatch(r"(\d+x [\w.-]+)(, \d+x [\w.-]+)*", t["fired at it"]) for t in killed)
    assert "airliner-001" not in threats
