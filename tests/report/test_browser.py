"""The report and the replay in a real browser: Debian's headless Chromium driven by Playwright.

Each page loads with no console error, no page error and no request for anything but itself;
the replay plays and its clock advances, its layers switch, a click on a track or a battery
opens its details, and a screenshot shows a picture, not a blank canvas. Skipped, with the
reason, where Playwright or ``/usr/bin/chromium`` is missing (CI installs both).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from replay_synthetic_run import make_replay_run

from airdefense.report import write_report
from airdefense.report.replay import serve, write_replay

CHROMIUM = Path("/usr/bin/chromium")

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic run with its engage story and a track per object, both pages."""
    d = tmp_path_factory.mktemp("browser")
    make_replay_run(d)
    write_report(d)
    write_replay(d)
    return d


@pytest.fixture(scope="module")
def served(run_dir: Path) -> Iterator[str]:
    """The run directory served as `airdefense replay` serves it; yields the base URL."""
    server = serve(run_dir)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Watched:
    """A page with its console errors, page errors and requests recorded."""

    def __init__(self, browser: Any, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 820})
        self.url = url
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url, wait_until="load")

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


@pytest.fixture
def replay(browser: Any, served: str) -> Iterator[Watched]:
    w = Watched(browser, f"{served}/replay.html")
    w.page.wait_for_function("window.replay !== undefined && window.replay.stats.frames > 0")
    try:
        yield w
    finally:
        w.page.close()


def _pixels(png: bytes) -> np.ndarray:
    from matplotlib import image

    return image.imread(io.BytesIO(png), format="png")[..., :3]


def _not_blank(png: bytes) -> None:
    px = _pixels(png)
    colours = np.unique((px * 255).astype(np.uint8).reshape(-1, 3), axis=0).shape[0]
    assert px.std() > 0.02 and colours > 20, (px.std(), colours)


def test_report_loads_clean_and_offline(browser: Any, run_dir: Path) -> None:
    w = Watched(browser, (run_dir / "report.html").as_uri())
    try:
        assert w.errors == []
        assert w.foreign_requests() == []
        assert "airdefense" in w.page.title()
        assert w.page.locator("img").count() > 0  # the figures, embedded
        _not_blank(w.page.screenshot(full_page=False))
    finally:
        w.page.close()


def test_replay_loads_clean_from_file_too(browser: Any, run_dir: Path) -> None:
    w = Watched(browser, (run_dir / "replay.html").as_uri())
    try:
        w.page.wait_for_function("window.replay !== undefined && window.replay.stats.frames > 0")
        assert w.errors == [] and w.foreign_requests() == []
    finally:
        w.page.close()


def test_replay_loads_clean_plays_and_pauses(replay: Watched) -> None:
    page = replay.page
    assert replay.errors == [] and replay.foreign_requests() == []
    assert page.evaluate("window.replay.playing") is False
    before = page.text_content("#clock")
    assert before is not None and before.startswith("T+00:00.0")
    page.click("#play")
    page.wait_for_function("window.replay.time > 2", timeout=10_000)
    assert page.evaluate("window.replay.playing") is True
    page.wait_for_function(f"document.querySelector('#clock').textContent !== {before!r}")
    page.click("#play")
    assert page.evaluate("window.replay.playing") is False
    paused_at = page.evaluate("window.replay.time")
    page.wait_for_timeout(300)
    assert page.evaluate("window.replay.time") == paused_at
    assert float(page.input_value("#scrubber")) == pytest.approx(paused_at, abs=0.2)
    assert replay.errors == []


def test_scrubber_and_speed_move_the_clock(replay: Watched) -> None:
    page = replay.page
    page.select_option("#speed", "50")
    assert page.evaluate("window.replay.speed") == 50
    page.eval_on_selector(
        "#scrubber", "el => { el.value = 125; el.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_function("document.querySelector('#clock').textContent.startsWith('T+02:05.0')")
    assert page.evaluate("window.replay.time") == pytest.approx(125.0)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.replay.time") == pytest.approx(130.0)
    page.keyboard.press("Space")
    assert page.evaluate("window.replay.playing") is True
    page.keyboard.press("Space")
    assert page.evaluate("window.replay.playing") is False
    page.evaluate("window.replay.seek(130)")
    assert page.evaluate("window.replay.time") == pytest.approx(130.0)


def _seek_to_tracks(page: Any) -> list[dict[str, Any]]:
    t = page.evaluate("window.replay.firstTrackTime()")
    assert t is not None
    page.evaluate(f"window.replay.seek({t + 30}); window.replay.redraw()")
    tracks = page.evaluate("window.replay.visibleTracks()")
    assert tracks, "no track drawn"
    return tracks


def test_layers_switch_off_and_on(replay: Watched) -> None:
    page = replay.page
    shown = len(_seek_to_tracks(page))
    page.uncheck("#layer-tracks")
    page.evaluate("window.replay.redraw()")
    assert page.evaluate("window.replay.visibleTracks().length") == 0
    page.check("#layer-tentative")
    page.evaluate("window.replay.redraw()")
    tentative = page.evaluate("window.replay.visibleTracks().length")
    page.uncheck("#layer-tentative")
    page.check("#layer-tracks")
    page.evaluate("window.replay.redraw()")
    assert page.evaluate("window.replay.visibleTracks().length") == shown
    assert tentative < shown  # only the young tracks are tentative


def test_click_on_a_track_opens_its_details(replay: Watched) -> None:
    page = replay.page
    assert page.is_hidden("#details")
    tracks = _seek_to_tracks(page)
    box = page.locator("#plan").bounding_box()
    assert box is not None
    inside = [
        tr
        for tr in tracks
        if 20 < tr["x"] < box["width"] - 20 and 20 < tr["y"] < box["height"] - 20
    ]
    target = inside[0]
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    page.wait_for_selector("#details", state="visible")
    assert page.evaluate("window.replay.selected") == target["id"]
    text = page.text_content("#details")
    assert text is not None and f"Track {target['id']}" in text
    assert page.locator("#details-positions tbody tr").count() > 1
    page.click("#details-close")
    assert page.is_hidden("#details")
    assert replay.errors == []


def test_details_show_what_was_fired_at_a_track(replay: Watched) -> None:
    """Track 1 of the synthetic story: one SAM from B1, a kill at 3 m; track 2: B1's SAM
    that missed by 35 m and B2's SAM-L that timed out, listed above the miss."""
    page = replay.page
    page.evaluate("window.replay.select(1)")
    page.wait_for_selector("#details", state="visible")
    rows = page.locator("#details-engagements tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_text_contents()
    assert cells[0] == "0" and cells[2:6] == ["B1", "SAM", "kill", "3.0"]
    assert "hostile" in (page.text_content("#details h2") or "")
    page.evaluate("window.replay.select(2)")
    rows = page.locator("#details-engagements tbody tr")
    assert [r.locator("td").all_text_contents()[2:6] for r in rows.all()] == [
        ["B1", "SAM", "miss", "35.0"],
        ["B2", "SAM-L", "timeout", "–"],
    ]
    text = page.text_content("#details") or ""
    assert "None fired" not in text and "miss at" in text
    assert replay.errors == []


def test_interceptors_are_drawn_on_their_recorded_paths(replay: Watched, run_dir: Path) -> None:
    """Half-way through its flight, each interceptor's head is where its recorded (curved)
    path says, not on the straight line from its launcher to its end."""
    import duckdb

    with duckdb.connect(str(run_dir / "run.duckdb"), read_only=True) as con:
        flights = con.sql("SELECT interceptor_id, launch_t, end_t FROM interceptors").fetchall()
        paths = con.sql(
            "SELECT interceptor_id, t, x, y FROM interceptor_paths ORDER BY interceptor_id, t"
        ).fetchnumpy()
    page = replay.page
    for iid, t0, t1 in flights:
        mid = round((t0 + t1) / 2, 1)
        page.evaluate(f"window.replay.seek({mid}); window.replay.redraw()")
        heads = {h["id"]: h for h in page.evaluate("window.replay.visibleInterceptors()")}
        sel = paths["interceptor_id"] == iid
        t, x, y = paths["t"][sel], paths["x"][sel], paths["y"][sel]
        want = np.array([np.interp(mid, t, x), np.interp(mid, t, y)])
        got = np.array([heads[iid]["east"], heads[iid]["north"]])
        assert np.linalg.norm(got - want) < 20.0, (iid, got, want)
        chord = np.array([x[0] + x[-1], y[0] + y[-1]]) / 2  # the straight line's middle
        assert np.linalg.norm(got - chord) > 1_000.0
    assert replay.errors == []


def test_click_on_a_battery_that_never_fired_opens_its_details(replay: Watched) -> None:
    """B3 of the synthetic run carries 12 SHORAD rounds and never fires: it is drawn at its
    site, and a click on it shows its rounds and reach; a click elsewhere closes them."""
    page = replay.page
    page.uncheck("#layer-tracks")  # nothing to click but the battery
    page.evaluate("window.replay.seek(0); window.replay.redraw()")
    sites = {b["name"]: b for b in page.evaluate("window.replay.batterySites()")}
    assert set(sites) == {"B1", "B2", "B3"}
    box = page.locator("#plan").bounding_box()
    assert box is not None
    b3 = sites["B3"]
    assert 0 < b3["x"] < box["width"] and 0 < b3["y"] < box["height"]
    page.mouse.click(box["x"] + b3["x"], box["y"] + b3["y"])
    page.wait_for_selector("#details", state="visible")
    assert page.evaluate("window.replay.selectedBattery") == "B3"
    assert "Battery B3" in (page.text_content("#details h2") or "")
    rows = page.locator("#details-missiles tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_text_contents()
    assert cells[:5] == ["SHORAD", "12", "0", "12", "3–15"]
    assert cells[5] == "15 (max range)"
    page.evaluate("window.replay.redraw()")  # its ring drawn
    _not_blank(page.locator("#plan").screenshot())
    page.mouse.click(box["x"] + 5, box["y"] + box["height"] - 5)
    assert page.is_hidden("#details")
    assert page.evaluate("window.replay.selectedBattery") is None
    # a track's details replace a battery's
    page.evaluate("window.replay.selectBattery('B2')")
    assert "Battery B2" in (page.text_content("#details h2") or "")
    page.check("#layer-tracks")
    page.evaluate("window.replay.select(1)")
    assert page.evaluate("window.replay.selectedBattery") is None
    assert "Track 1" in (page.text_content("#details h2") or "")
    page.click("#details-close")
    assert page.is_hidden("#details")
    assert replay.errors == []


def test_screenshot_of_the_replay_is_a_picture(replay: Watched) -> None:
    page = replay.page
    _seek_to_tracks(page)
    page.evaluate("window.replay.redraw()")
    _not_blank(page.locator("#plan").screenshot())
    _not_blank(page.locator("#profile").screenshot())
    blank = np.zeros((10, 10, 3))
    with pytest.raises(AssertionError):  # the check itself can fail
        _not_blank(_png(blank))


def _png(rgb: np.ndarray) -> bytes:
    from matplotlib import image

    buf = io.BytesIO()
    image.imsave(buf, rgb, format="png")
    return buf.getvalue()


def test_a_thousand_tracks_are_all_drawn(browser: Any, tmp_path: Path) -> None:
    """1,000 objects tracked at once: every track is drawn and the page keeps playing.
    (How long a frame takes is measured by hand, not asserted: tests never time.)"""
    make_replay_run(tmp_path, threats=8, civil=1000, duration_s=200.0, dt_s=4.0, every=2)
    write_replay(tmp_path)
    w = Watched(browser, (tmp_path / "replay.html").as_uri())
    try:
        page = w.page
        page.wait_for_function("window.replay !== undefined && window.replay.stats.frames > 0")
        alive = page.evaluate(
            "(() => { let best = 0, at = 0; for (let t = 0; t <= 200; t += 10) {"
            " window.replay.seek(t); window.replay.redraw();"
            " const n = window.replay.visibleTracks().length; if (n > best) { best = n; at = t; } }"
            " window.replay.seek(at); window.replay.redraw(); return best; })()"
        )
        assert alive >= 900
        frames = page.evaluate("window.replay.stats.frames")
        page.evaluate("window.replay.play()")
        page.wait_for_function(f"window.replay.stats.frames > {frames + 10}", timeout=20_000)
        assert w.errors == []
    finally:
        w.page.close()
