"""The HTML run report: self-contained, complete, deterministic, tolerant of partial runs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from report_synthetic_run import UNSEEN, make_run

from airdefense.record.reader import RunReadError
from airdefense.report import load_run, write_report


class _Collector(HTMLParser):
    """Collect resource attributes, table cells and tags while parsing."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "srcset", "poster", "data", "action"}:
                self.refs.append((tag, name, value or ""))
        if tag == "tr":
            self._row = []
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(path: Path) -> tuple[str, _Collector]:
    text = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return text, parser


def _threat_names(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.sql("SELECT name FROM objects WHERE hostile").fetchall()]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    run_dir = tmp_path_factory.mktemp("full")
    make_run(run_dir)
    return run_dir, write_report(run_dir)


def test_writes_report_and_leaves_no_temp_file(full_run: tuple[Path, Path]) -> None:
    run_dir, out = full_run
    assert out == run_dir / "report.html"
    assert out.is_file()
    assert sorted(p.name for p in run_dir.iterdir()) == ["report.html", "run.duckdb"]


def test_report_is_self_contained(full_run: tuple[Path, Path]) -> None:
    _, out = full_run
    text, parsed = _parse(out)
    assert parsed.refs, "expected embedded figures and anchors"
    for tag, attr, value in parsed.refs:
        assert value.startswith(("data:", "#")), (tag, attr, value[:80])
    assert "<img" in text and "data:image/png;base64," in text
    assert not re.search(r"https?://", text)
    assert "@import" not in text and "url(" not in text
    assert "<script src" not in text


def test_report_content(full_run: tuple[Path, Path]) -> None:
    run_dir, out = full_run
    text, parsed = _parse(out)
    assert "synthetic-test" in text
    assert "Synthetic straight-line raid" in text
    threats = _threat_names(run_dir / "run.duckdb")
    table_rows = {row[0]: row for row in parsed.rows if row}
    for name in threats:
        assert name in table_rows, name
    unseen = table_rows[UNSEEN]
    assert unseen[-1] == "undetected"
    detected = [n for n in threats if n != UNSEEN]
    assert all(table_rows[n][-1] == "detected" for n in detected)
    assert 'class="missed"' in text
    for sensor in ("EW-North", "FC-Centre", "Gap-Filler"):
        assert sensor in table_rows
    for heading in (
        "Air picture",
        "Coverage against altitude",
        "Altitude profile",
        "Tracking",
        "Civil traffic",
    ):
        assert heading in text
    assert 'alt="tracks and GOSPA"' in text
    assert text.count("How to read this.") >= 5
    assert "leakers" in text and "interceptors used" in text


def test_report_is_deterministic(full_run: tuple[Path, Path]) -> None:
    run_dir, out = full_run
    first = out.read_bytes()
    again = write_report(run_dir).read_bytes()
    assert first == again


def test_report_same_in_another_directory(full_run: tuple[Path, Path], tmp_path: Path) -> None:
    run_dir, out = full_run
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    (copy / "run.duckdb").write_bytes((run_dir / "run.duckdb").read_bytes())
    assert write_report(copy).read_bytes() == out.read_bytes()


def test_partial_run_without_engage_stage(tmp_path: Path) -> None:
    make_run(tmp_path, engage_columns=False, optional_rows=False, scenario="partial-run")
    out = write_report(tmp_path)
    text, parsed = _parse(out)
    assert "partial-run" in text
    assert "leakers" not in text
    assert "interceptors used" not in text
    assert "Engagements by outcome" not in text
    assert any(row and row[-1] == "undetected" for row in parsed.rows)


def test_optional_tables_absent(tmp_path: Path) -> None:
    db = make_run(tmp_path, optional_rows=False)
    with duckdb.connect(str(db)) as con:
        for table in ("tracks", "interceptors", "interceptor_paths", "events", "coverage"):
            con.execute(f"DROP TABLE {table}")
    text, _ = _parse(write_report(tmp_path))
    assert "No coverage diagram" in text


def test_empty_run(tmp_path: Path) -> None:
    db = make_run(tmp_path)
    with duckdb.connect(str(db)) as con:
        for table in ("truth", "detections", "first_detections", "objects", "summary"):
            con.execute(f"DELETE FROM {table}")
    text, _ = _parse(write_report(tmp_path))
    assert "synthetic-test" in text
    assert "No truth in this run" in text


def test_missing_database(tmp_path: Path) -> None:
    message = f"{tmp_path}: not a run directory (no run.duckdb)"
    with pytest.raises(RunReadError, match=re.escape(message)):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_subsampling_is_deterministic_and_keeps_ends(tmp_path: Path) -> None:
    make_run(tmp_path)
    full = load_run(tmp_path)
    small = load_run(tmp_path, max_points=50)
    again = load_run(tmp_path, max_points=50)
    assert small.truth_rows == full.truth_rows
    assert small.truth["t"].shape[0] < full.truth["t"].shape[0]
    assert small.detections["t"].shape[0] < full.detections["t"].shape[0]
    for k in small.truth:
        assert (small.truth[k] == again.truth[k]).all()
    # every object keeps its last truth point
    assert set(small.truth["object_id"].tolist()) == set(full.truth["object_id"].tolist())


def test_horizon_ring_from_coverage(tmp_path: Path) -> None:
    db = make_run(tmp_path)
    run = load_run(tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        expected = con.sql(
            "SELECT sensor_id, max(ground_range_m) FROM coverage "
            "WHERE visible AND height_m = (SELECT min(height_m) FROM coverage) "
            "GROUP BY sensor_id ORDER BY sensor_id"
        ).fetchall()
    assert [(c.sensor_id, c.horizon_m) for c in run.coverage] == expected


def test_report_compares_sensors_first_plot_ranges(tmp_path: Path) -> None:
    """The siting question, end to end: the radar on the hill plots the sea-skimmers
    much farther out than the one on the shore, and the report's table says so."""
    import re

    from airdefense.record.rundir import write_run
    from airdefense.report import write_report as write
    from airdefense.scenario import library, load_scenario, resolve
    from airdefense.sim.loop import simulate

    sc = load_scenario(library.resolve("horizon-siting"))
    out = write_run(simulate(resolve(sc)), tmp_path / "run", (write,))
    page = (out / "report.html").read_text()
    section = page[page.index('id="reach"') :]
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("</table>")[0], flags=re.S)
    median = {}
    for row in rows:
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        if cells and cells[1] == "cruise":
            median[cells[0].split(" (")[0]] = float(cells[3])
    assert median["Corran Hill radar"] > 2.0 * median["Shore radar"]
