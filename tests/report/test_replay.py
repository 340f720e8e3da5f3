"""The replay page: what it embeds, that it is self-contained and deterministic, that the
default scenario's pages stay small, and the ``airdefense replay`` command."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from replay_synthetic_run import make_replay_run, track_number
from report_synthetic_run import BATTERY_SITES, add_interceptor, make_run
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.geo import Frame
from airdefense.record.reader import RunReadError
from airdefense.report.replay import (
    MAX_POINTS,
    Q_H_M,
    Q_T_S,
    Q_XY_M,
    REPLAY_NAME,
    ReplayError,
    ensure_replay,
    replay_data,
    serve,
    write_replay,
)

FIVE_MB = 5 * 1024 * 1024


class _Page(HTMLParser):
    """Collects every resource reference, element ids and script bodies of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href", "srcset", "poster", "data", "action", "formaction"):
            if name in a:
                self.refs.append((tag, name, a[name] or ""))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "script":
            self._script, self._text = a, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)


def parse_page(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    return text, page


def assert_self_contained(path: Path) -> None:
    """No resource from anywhere but the page itself: only ``data:`` URIs and fragments,
    no CSS ``url()`` or ``@import`` of a file, no script that fetches."""
    text, page = parse_page(path)
    external = [r for r in page.refs if not (r[2].startswith(("data:", "#")) or r[2] == "")]
    assert external == [], f"{path.name}: external references {external[:5]}"
    for attrs, _ in page.scripts:
        assert "src" not in attrs, f"{path.name}: script with src"
    for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", text):
        assert url.startswith(("data:", "#")), f"{path.name}: CSS url({url})"
    assert "@import" not in text
    for api in ("fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon"):
        assert api not in text, f"{path.name}: {api}"


def embedded(path: Path) -> dict[str, Any]:
    """The replay page's data, as the page parses it."""
    _, page = parse_page(path)
    data = [body for attrs, body in page.scripts if attrs.get("id") == "replay-data"]
    assert len(data) == 1
    return json.loads(data[0])


def undelta(values: list[int], quantum: float) -> np.ndarray:
    return np.cumsum(np.asarray(values, dtype=np.int64)) * quantum


def decoded_paths(data: dict[str, Any]) -> dict[int, np.ndarray]:
    """Each interceptor's embedded path as the page decodes it: rows of (t, x, y, h)."""
    sh, q = data["shots"], data["q"]
    path = sh["path"]
    cols = np.column_stack(
        [undelta(path[k], q[u]) for k, u in (("t", "t"), ("x", "xy"), ("y", "xy"), ("h", "h"))]
    )
    ends = np.cumsum(path["n"])
    return {
        iid: cols[e - n : e] for iid, n, e in zip(sh["id"], path["n"], ends.tolist(), strict=True)
    }


def assert_paths_are_recorded(data: dict[str, Any], run_dir: Path) -> None:
    """The embedded interceptor paths are ``interceptor_paths``, sample for sample, to the
    page's quantisation (times 0.1 s, plan 10 m, heights 1 m)."""
    with duckdb.connect(str(run_dir / "run.duckdb"), read_only=True) as con:
        rows = con.sql(
            "SELECT interceptor_id, t, x, y, z FROM interceptor_paths ORDER BY interceptor_id, t"
        ).fetchnumpy()
        origin = [
            float(con.sql(f"SELECT value FROM meta WHERE key = '{k}'").fetchall()[0][0])
            for k in ("origin_lat_deg", "origin_lon_deg", "origin_alt_m")
        ]
        ids = [r[0] for r in con.sql("SELECT interceptor_id FROM interceptors").fetchall()]
    paths = decoded_paths(data)
    assert sorted(paths) == sorted(ids) and ids
    frame = Frame.from_degrees(*origin)
    for iid, got in paths.items():
        sel = rows["interceptor_id"] == iid
        enu = np.column_stack([rows[c][sel] for c in "xyz"])
        assert got.shape[0] == int(sel.sum()) >= 1, iid
        assert np.abs(got[:, 0] - rows["t"][sel]).max() <= Q_T_S / 2 + 1e-9
        assert np.abs(got[:, 1:3] - enu[:, :2]).max() <= Q_XY_M / 2 + 1e-6
        assert np.abs(got[:, 3] - frame.height_m(enu)).max() <= Q_H_M / 2 + 1e-6


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    run_dir = tmp_path_factory.mktemp("story")
    make_replay_run(run_dir)
    return run_dir, write_replay(run_dir)


# --- the page ---------------------------------------------------------------------------


def test_writes_replay_and_no_temp_file(story: tuple[Path, Path]) -> None:
    run_dir, page = story
    assert page == run_dir / REPLAY_NAME
    assert sorted(p.name for p in run_dir.iterdir()) == ["replay.html", "run.duckdb"]


def test_replay_is_self_contained_with_stable_ids(story: tuple[Path, Path]) -> None:
    _, page = story
    assert_self_contained(page)
    _, parsed = parse_page(page)
    for eid in ("play", "speed", "scrubber", "clock", "plan", "profile", "details", "status"):
        assert eid in parsed.ids
    for layer in ("truth", "plots", "tracks", "interceptors", "events", "sites", "labels"):
        assert f"layer-{layer}" in parsed.ids
    assert "window.replay" in page.read_text(encoding="utf-8")


def test_same_database_same_page(story: tuple[Path, Path], tmp_path: Path) -> None:
    run_dir, page = story
    first = page.read_bytes()
    assert write_replay(run_dir).read_bytes() == first


def test_truth_and_plots_decode_to_the_database(story: tuple[Path, Path]) -> None:
    run_dir, page = story
    data = embedded(page)
    con = duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)
    truth = con.sql("SELECT object_id, t, x, y, alt_m FROM truth ORDER BY object_id, t").fetchall()
    plots = con.sql("SELECT count(*) FROM detections").fetchall()[0][0]
    objects = con.sql("SELECT name FROM objects ORDER BY object_id").fetchall()
    con.close()
    tr = data["truth"]
    assert sum(tr["n"]) == len(truth)
    assert data["objects"]["name"] == [r[0] for r in objects]
    x = undelta(tr["x"], data["q"]["xy"])
    h = undelta(tr["h"], data["q"]["h"])
    t = undelta(tr["t"], data["q"]["t"])
    ref = np.array([r[1:] for r in truth], dtype=np.float64)
    assert np.abs(t - ref[:, 0]).max() <= 0.05 + 1e-9
    assert np.abs(x - ref[:, 1]).max() <= Q_XY_M / 2 + 1e-6
    assert np.abs(h - ref[:, 3]).max() <= 0.5 + 1e-6
    assert len(data["plots"]["t"]) == plots == data["plots"]["total"]
    assert sum(data["plots"]["fa"]) > 0  # false alarms are plots too


def test_tracks_carry_status_identity_and_lifecycle(story: tuple[Path, Path]) -> None:
    run_dir, page = story
    tk = embedded(page)["tracks"]
    con = duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)
    ids = [r[0] for r in con.sql("SELECT DISTINCT track_id FROM tracks ORDER BY 1").fetchall()]
    rows = con.sql("SELECT count(*) FROM tracks").fetchall()[0][0]
    civil = con.sql("SELECT object_id FROM objects WHERE NOT hostile ORDER BY 1").fetchall()
    con.close()
    assert tk["id"] == ids and sum(tk["n"]) == rows
    offsets = np.r_[0, np.cumsum(tk["n"])]
    t = undelta(tk["t"], 0.1)
    st = np.asarray(tk["st"])
    idn = np.asarray(tk["idn"])
    # track 1 follows object 0: identified hostile (code 3) at its start + 8 s
    k = tk["id"].index(1)
    (when, code), *_ = tk["identity"][k]
    assert code == 3
    rows_k = slice(offsets[k], offsets[k + 1])
    assert (idn[rows_k][t[rows_k] >= when + 0.05] == 3).all()
    assert (idn[rows_k][t[rows_k] < when - 0.05] == 0).all()
    assert st[offsets[k]] == 0 and st[offsets[k + 1] - 1] == 2  # tentative first, coasting last
    assert tk["truth"][k] == 0
    c = tk["id"].index(track_number(civil[0][0]))
    assert tk["identity"][c][0][1] == 1  # civil
    assert tk["dropped"][c] is not None and tk["confirmed"][c] is not None


def test_interceptors_fly_their_recorded_paths(story: tuple[Path, Path]) -> None:
    """Each interceptor as the record has it: from its battery's site along its recorded
    (curved) path to where it ended, when it ended, with its end reason and miss."""
    run_dir, page = story
    data = embedded(page)
    sh = data["shots"]
    con = duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)
    end0, end2 = (
        r[0] for r in con.sql("SELECT end_s FROM objects WHERE object_id IN (0, 2) ORDER BY 1")
        .fetchall()
    )  # fmt: skip
    con.close()
    assert [sh["outcomes"][o] for o in sh["outcome"]] == ["kill", "miss", "timeout"]
    assert sh["miss"] == [3.0, 35.0, None]
    paths = decoded_paths(data)
    for k, iid in enumerate(sh["id"]):
        battery = sh["batteryNames"][sh["battery"][k]]
        assert tuple(paths[iid][0, 1:3]) == BATTERY_SITES[battery]
        assert sh["t1"][k] == pytest.approx(paths[iid][-1, 0], abs=0.05) == sh["end"][k]
    # the kill ends when the kill event is; the miss at the miss; the timeout when it timed
    # out (launch + 20 s in the synthetic story)
    assert sh["end"][0] == pytest.approx(end0, abs=0.05)
    assert sh["end"][1] == pytest.approx(end2 - 40.0, abs=0.05)
    assert sh["end"][2] == pytest.approx(sh["t0"][2] + 20.0, abs=0.05)
    assert sh["track"] == sh["endTrack"] == [1, 2, 2]
    assert_paths_are_recorded(data, run_dir)
    assert [b["name"] for b in data["batteries"]] == ["B1", "B2", "B3"]
    ev = data["events"]
    kinds = [ev["kinds"][k] for k in ev["k"]]
    assert sorted(kinds) == ["asset_hit", "kill", "leak", "leak", "miss"]
    notes = dict(zip(kinds, ev["note"], strict=True))
    assert notes["kill"] == "SAM #0, miss 3 m" and notes["asset_hit"] == "Capital"


def test_kills_and_misses_are_listed_with_their_interceptor(story: tuple[Path, Path]) -> None:
    """The details of a track list every interceptor fired at it or guided on it at its end;
    a kill or miss under that track names one of them (its interceptor, not a guess)."""
    data = embedded(story[1])
    sh, ev = data["shots"], data["events"]
    for j, k in enumerate(ev["k"]):
        if ev["kinds"][k] not in ("kill", "miss"):
            assert ev["shot"][j] == -1
            continue
        s = sh["id"].index(ev["shot"][j])
        assert ev["track"][j] in (sh["track"][s], sh["endTrack"][s])
        assert sh["outcomes"][sh["outcome"][s]] == ev["kinds"][k]


def test_every_battery_is_drawn_at_its_site_with_its_rounds(story: tuple[Path, Path]) -> None:
    """From the batteries table: B3 never fired and B2 never fired its SAM rounds; both are
    embedded at their sites with what they carry, fired and have left, and the reach the
    report rings (flyout table, else max range)."""
    _, page = story
    data = embedded(page)
    bats = {b["name"]: b for b in data["batteries"]}
    for name, (x, y) in BATTERY_SITES.items():
        assert (bats[name]["x"], bats[name]["y"]) == (x, y)
        assert bats[name]["carried"] is True
    b3 = bats["B3"]
    assert b3["preset"] == "shorad-battery" and b3["launchers"] == 4
    assert b3["missiles"] == [
        {
            "name": "SHORAD",
            "reach": 15_000.0,
            "reachFrom": "max range",
            "fired": 0,
            "loaded": 12,
            "left": 12,
            "minRange": 3_000.0,
            "maxRange": 15_000.0,
            "minAlt": 10.0,
            "maxAlt": 25_000.0,
            "cost": 100_000.0,
        }
    ]
    b2 = {m["name"]: m for m in bats["B2"]["missiles"]}
    assert (b2["SAM"]["loaded"], b2["SAM"]["fired"], b2["SAM"]["left"]) == (4, 0, 4)
    assert (b2["SAM-L"]["loaded"], b2["SAM-L"]["fired"], b2["SAM-L"]["left"]) == (4, 1, 3)
    assert (b2["SAM-L"]["reach"], b2["SAM-L"]["reachFrom"]) == (250_000.0, "flyout")
    # the initial view holds every battery
    ext = data["extent"]
    for x, y in BATTERY_SITES.values():
        assert ext["xmin"] <= x <= ext["xmax"] and ext["ymin"] <= y <= ext["ymax"]


def test_a_run_without_batteries_table_places_batteries_by_their_launches(
    tmp_path: Path,
) -> None:
    """A run written before the batteries table existed still gives a page: the batteries
    that fired, at their launch sites, with the types they fired."""
    db = make_replay_run(tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE batteries")
    data = embedded(write_replay(tmp_path))
    bats = data["batteries"]
    assert [(b["name"], b["x"], b["y"], b["carried"]) for b in bats] == [
        ("B1", *BATTERY_SITES["B1"], False),
        ("B2", *BATTERY_SITES["B2"], False),
    ]
    assert [(m["name"], m["fired"], m.get("loaded")) for m in bats[0]["missiles"]] == [
        ("SAM", 2, None)
    ]
    assert len(data["shots"]["t0"]) == 3


def test_an_interceptor_destroyed_when_its_target_dies_stops_where_it_was(
    tmp_path: Path,
) -> None:
    """A second interceptor at object 0, planned to meet it 100 s after launch, self-destructs
    when the first one kills it: it is drawn along its recorded path up to where and when it
    ended, not to its planned point."""
    db = make_replay_run(tmp_path)
    con = duckdb.connect(str(db))
    (kill_t,) = con.sql("SELECT t FROM events WHERE kind = 'kill'").fetchall()[0]
    launch = kill_t - 20.0
    add_interceptor(
        con, interceptor_id=3, battery="B2", missile="SAM-L", launch_t=launch, track_id=1,
        object_id=0, pip=(0.0, 50_000.0, 10_000.0), pip_t=launch + 100.0, end_t=kill_t,
        end=(-24_000.0, 2_000.0, 3_000.0), end_reason="destroyed",
    )  # fmt: skip
    con.close()
    data = replay_data(tmp_path)
    sh = data["shots"]
    k = [sh["outcomes"][o] for o in sh["outcome"]].index("destroyed")
    assert sh["id"][k] == 3 and sh["miss"][k] is None
    assert sh["t0"][k] == pytest.approx(launch, abs=0.05)
    assert sh["t1"][k] == pytest.approx(kill_t, abs=0.05) == sh["end"][k]
    last = decoded_paths(data)[3][-1]
    assert tuple(last[1:3]) == (-24_000.0, 2_000.0)
    assert_paths_are_recorded(data, tmp_path)


def test_a_partial_run_still_gives_a_page(tmp_path: Path) -> None:
    make_run(tmp_path, optional_rows=False)
    page = write_replay(tmp_path)
    data = embedded(page)
    assert data["tracks"]["id"] == [] and data["shots"]["t0"] == [] and data["events"]["t"] == []
    assert sum(data["truth"]["n"]) > 0


def test_missing_database_is_named(tmp_path: Path) -> None:
    with pytest.raises(RunReadError, match=r"not a run directory \(no run\.duckdb\)"):
        write_replay(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_large_runs_are_subsampled_keeping_each_line_s_ends(tmp_path: Path) -> None:
    db = make_replay_run(tmp_path, threats=4, civil=20)
    data = replay_data(tmp_path, max_points=500)
    tr, tk = data["truth"], data["tracks"]
    assert 0 < sum(tr["n"]) <= 500 + len(tr["n"])
    assert 0 < sum(tk["n"]) <= 500 + len(tk["n"])
    con = duckdb.connect(str(db), read_only=True)
    last = dict(con.sql("SELECT object_id, max(t) FROM truth GROUP BY 1").fetchall())
    con.close()
    t = undelta(tr["t"], 0.1)
    ends = np.cumsum(tr["n"])
    for o, n_o in enumerate(tr["n"]):
        if n_o:
            assert t[ends[o] - 1] == pytest.approx(last[o], abs=0.05)
    assert MAX_POINTS >= 100_000


def test_names_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    db = make_replay_run(tmp_path)
    nasty = "</script><script>alert(1)</script><!--"
    con = duckdb.connect(str(db))
    con.execute("UPDATE objects SET name = ? WHERE object_id = 0", [nasty])
    con.close()
    page = write_replay(tmp_path)
    _, parsed = parse_page(page)
    assert len(parsed.scripts) == 2  # the data and the program, nothing injected
    assert embedded(page)["objects"]["name"][0] == nasty


# --- the default scenario ---------------------------------------------------------------


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled default scenario, run as `airdefense run --out DIR -q` (about 10 s)."""
    out = tmp_path_factory.mktemp("default") / "run"
    result = CliRunner().invoke(app, ["run", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_default_scenario_pages_are_small_and_self_contained(default_run: Path) -> None:
    for name in ("report.html", "replay.html"):
        page = default_run / name
        size = page.stat().st_size
        assert 50_000 < size < FIVE_MB, (name, size)
        assert_self_contained(page)


def test_default_scenario_interceptors_fly_their_recorded_paths(default_run: Path) -> None:
    data = embedded(default_run / "replay.html")
    sh = data["shots"]
    con = duckdb.connect(str(default_run / "run.duckdb"), read_only=True)
    fired, kills = con.sql(
        "SELECT count(*), count(*) FILTER (WHERE end_reason = 'kill') FROM interceptors"
    ).fetchall()[0]
    con.close()
    assert len(sh["t0"]) == fired > 0
    # every interceptor is drawn from its launch along its whole recorded path
    assert_paths_are_recorded(data, default_run)
    assert all(t1 >= t0 for t0, t1 in zip(sh["t0"], sh["t1"], strict=True))
    # every battery is drawn, whether it fired or not, with its rounds from the batteries table
    with duckdb.connect(str(default_run / "run.duckdb"), read_only=True) as con:
        table = con.sql(
            "SELECT battery, missile, rounds_loaded, rounds_left FROM batteries ORDER BY ALL"
        ).fetchall()
    assert table
    assert {b["name"] for b in data["batteries"]} == {r[0] for r in table}
    assert set(sh["batteryNames"]) <= {b["name"] for b in data["batteries"]}
    drawn = sorted(
        (b["name"], m["name"], m["loaded"], m["left"])
        for b in data["batteries"]
        for m in b["missiles"]
    )
    assert drawn == table
    kill_code = sh["outcomes"].index("kill")
    assert sum(o == kill_code for o in sh["outcome"]) == kills
    assert len(data["tracks"]["id"]) > 100


def test_default_scenario_kills_and_misses_name_a_listed_interceptor(default_run: Path) -> None:
    """No track's details can say "None fired at this track" above a kill or a miss: every
    kill and miss marker of a track is an interceptor listed under that track."""
    data = embedded(default_run / "replay.html")
    sh, ev = data["shots"], data["events"]
    passes = [j for j, k in enumerate(ev["k"]) if ev["kinds"][k] in ("kill", "miss")]
    assert passes
    for j in passes:
        s = sh["id"].index(ev["shot"][j])
        assert ev["track"][j] in (sh["track"][s], sh["endTrack"][s])


# --- airdefense replay ------------------------------------------------------------------


def _run(args: list[str]) -> Any:
    return CliRunner().invoke(app, args)


def test_replay_of_a_missing_or_wrong_directory_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = _run(["replay", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {missing}: no such run directory"
    result = _run(["replay", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path}: not a run directory (no run.duckdb)"
    assert list(tmp_path.iterdir()) == []


def test_replay_on_a_taken_port_is_one_line(tmp_path: Path) -> None:
    make_run(tmp_path, optional_rows=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run(["replay", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: port {port}: cannot listen")


def test_replay_opens_a_browser_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser
    from http.server import HTTPServer

    make_run(tmp_path, optional_rows=False)
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url))

    def stop_at_once(self: HTTPServer, *a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(HTTPServer, "serve_forever", stop_at_once)
    result = _run(["replay", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert opened == []
    assert (tmp_path / "replay.html").is_file()  # written because it was missing
    result = _run(["replay", str(tmp_path), "--open"])
    assert result.exit_code == 0
    assert len(opened) == 1 and re.fullmatch(r"http://127\.0\.0\.1:\d+/replay\.html", opened[0])
    assert opened[0] in result.stdout


def test_server_listens_on_loopback_only(story: tuple[Path, Path]) -> None:
    run_dir, _ = story
    server = serve(run_dir)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1" and port > 0
    finally:
        server.server_close()


def test_ensure_replay_refuses_what_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReplayError, match="not a directory"):
        ensure_replay(tmp_path / "file")


def test_replay_command_serves_until_ctrl_c(tmp_path: Path) -> None:
    """As a user runs it: prints the address, serves the page, stops cleanly on SIGINT."""
    make_replay_run(tmp_path)
    exe = Path(sys.executable).with_name("airdefense")
    proc = subprocess.Popen(
        [str(exe), "replay", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/replay\.html", line)
        assert match, line
        with urllib.request.urlopen(match.group(0), timeout=10) as resp:
            body = resp.read().decode("utf-8")
        assert resp.status == 200 and 'id="replay-data"' in body
        assert body == (tmp_path / "replay.html").read_text(encoding="utf-8")
        # a download dropped half-way is no error; nothing but the page is served
        with urllib.request.urlopen(match.group(0), timeout=10) as resp:
            assert resp.status == 200 and len(resp.read(100)) == 100
        db = match.group(0).replace("replay.html", "run.duckdb")
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(db, timeout=10)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and err.strip() == ""
    assert "stopped" in out
