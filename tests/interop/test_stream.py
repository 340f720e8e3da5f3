"""`airdefense stream`: a run's ASTERIX data blocks and DIS PDUs as UDP datagrams in replayed
time, to loopback by default. Datagrams arrive complete and in time order, the pace follows
the scenario clock, Ctrl-C stops cleanly, bad input is one line and exit code 2; and, read by
Wireshark's dissectors (tshark), a capture of the stream on the loopback interface decodes as
ASTERIX and DIS with no malformed packet."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from airdefense.cli import app
from airdefense.interop import stream as st
from airdefense.interop.dis import dis_datagrams

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None, reason="tshark not installed (Debian package tshark; .ci/run installs it)"
)
EPOCH = datetime(2000, 1, 1, 12, tzinfo=UTC)


def _asterix_missing() -> str | None:
    try:
        from airdefense.interop.asterix import asterix_datagrams  # noqa: F401
    except ImportError as exc:
        return f"ASTERIX encoder not importable ({exc})"
    return None


class Receiver:
    """A UDP socket on 127.0.0.1 collecting datagrams on a thread until closed."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.got: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.got.append(self.sock.recv(65535))
            except TimeoutError:
                continue
            except OSError:
                return

    def wait_for(self, n: int, timeout_s: float = 10.0) -> list[bytes]:
        end = time.monotonic() + timeout_s
        while len(self.got) < n and time.monotonic() < end:
            time.sleep(0.02)
        time.sleep(0.1)  # anything beyond n would show up now
        return list(self.got)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made = [Receiver(), Receiver()]
    yield made
    for r in made:
        r.close()


@pytest.fixture(scope="module")
def dis_pdus(sim_run: Path) -> list[tuple[float, bytes]]:
    return list(dis_datagrams(sim_run))


def _fake(items: list[tuple[float, bytes]]) -> st.Source:
    return lambda run_dir: iter(items)


def _ep(port: int) -> st.Endpoint:
    return st.parse_endpoint(f"127.0.0.1:{port}", 1)


# --- endpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "address", "port", "loopback"),
    [
        ("", "127.0.0.1", "127.0.0.1", 3000, True),
        ("127.0.0.1:8600", "127.0.0.1", "127.0.0.1", 8600, True),
        (":4000", "127.0.0.1", "127.0.0.1", 4000, True),
        ("localhost", "localhost", "127.0.0.1", 3000, True),
        ("127.0.0.5:9", "127.0.0.5", "127.0.0.5", 9, True),
        ("[::1]:5000", "::1", "::1", 5000, True),
        ("192.0.2.7", "192.0.2.7", "192.0.2.7", 3000, False),
        ("239.1.2.3:3000", "239.1.2.3", "239.1.2.3", 3000, False),
    ],
)
def test_endpoints(text: str, host: str, address: str, port: int, loopback: bool) -> None:
    ep = st.parse_endpoint(text, 3000, "--dis")
    assert (ep.host, ep.address, ep.port, ep.loopback) == (host, address, port, loopback)


def test_defaults_are_loopback_on_the_usual_ports() -> None:
    assert (st.DEFAULT_HOST, st.ASTERIX_PORT, st.DIS_PORT) == ("127.0.0.1", 8600, 3000)
    assert str(st.parse_endpoint("", st.ASTERIX_PORT)) == "127.0.0.1:8600"
    assert str(st.parse_endpoint("localhost:1", 2)) == "localhost:1 (127.0.0.1)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("127.0.0.1:0", "port must be 1-65535"),
        (":70000", "port must be 1-65535"),
        ("host:http", "port must be 1-65535"),
        ("127.0.0.1:\u00b2", "port must be 1-65535"),  # a superscript two is a digit to str
        ("[::1", "missing ']'"),
        ("[::1]x", "expected [IPv6]:PORT"),
        ("nonexistent.invalid:3000", "cannot resolve host 'nonexistent.invalid'"),
    ],
)
def test_bad_endpoints(text: str, message: str) -> None:
    with pytest.raises(st.StreamError, match=r"^--dis: ") as err:
        st.parse_endpoint(text, 3000, "--dis")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("text", "broadcast"),
    [("127.0.0.1", False), ("10.1.2.3", False), ("10.1.2.255", True), ("255.255.255.255", True)],
)
def test_only_a_broadcast_address_is_sent_to_as_broadcast(text: str, broadcast: bool) -> None:
    assert st.parse_endpoint(text, 3000).broadcast is broadcast


# --- sending -----------------------------------------------------------------------------


def test_every_datagram_arrives_complete(
    sim_run: Path, receivers: list[Receiver], dis_pdus: list[tuple[float, bytes]]
) -> None:
    blocks = [(0.5, b"\x30\x00\x04\x00"), (100.0, b"\x3e\x00\x05\x00\x00")]
    a, d = receivers
    status = st.stream_run(
        sim_run,
        {"asterix": _ep(a.port), "dis": _ep(d.port)},
        speed=0,
        sources={"asterix": _fake(blocks), "dis": st.dis_source},
    )
    assert not status.interrupted
    assert status.sent == {"asterix": 2, "dis": len(dis_pdus)}
    assert status.octets["dis"] == sum(len(p) for _, p in dis_pdus)
    assert status.t_first == 0.0 and status.t == dis_pdus[-1][0]
    assert a.wait_for(2) == [p for _, p in blocks]
    assert d.wait_for(len(dis_pdus)) == [p for _, p in dis_pdus]


def test_the_streams_are_merged_in_time_order(sim_run: Path, receivers: list[Receiver]) -> None:
    one = [(t, f"A{t:05.1f}".encode()) for t in (0.0, 2.0, 2.0, 7.5)]
    two = [(t, f"D{t:05.1f}".encode()) for t in (1.0, 2.0, 3.0)]
    r = receivers[0]
    st.stream_run(
        sim_run,
        {"asterix": _ep(r.port), "dis": _ep(r.port)},
        speed=0,
        sources={"asterix": _fake(one), "dis": _fake(two)},
    )
    got = [g.decode() for g in r.wait_for(7)]
    assert got == ["A000.0", "D001.0", "A002.0", "A002.0", "D002.0", "D003.0", "A007.5"]


def test_the_pace_follows_the_scenario_clock(sim_run: Path, receivers: list[Receiver]) -> None:
    now = [100.0]
    naps: list[float] = []

    def sleep(s: float) -> None:
        assert s > 0
        naps.append(s)
        now[0] += s

    items = [(t, b"x") for t in (10.0, 11.0, 13.0, 13.0, 20.0)]
    reports: list[float] = []
    status = st.stream_run(
        sim_run,
        {"dis": _ep(receivers[0].port)},
        speed=2.0,
        sources={"dis": _fake(items)},
        clock=lambda: now[0],
        sleep=sleep,
        progress=lambda s: reports.append(s.t),
    )
    assert status.wall_s == pytest.approx(5.0)  # (20 - 10) s of scenario at 2x
    assert sum(naps) == pytest.approx(5.0) and max(naps) <= 0.1 + 1e-12  # Ctrl-C stays prompt
    assert reports[-1] == 20.0 and reports == sorted(reports)
    now[0], naps[:] = 0.0, []
    status = st.stream_run(
        sim_run,
        {"dis": _ep(receivers[0].port)},
        speed=0,
        sources={"dis": _fake(items)},
        clock=lambda: now[0],
        sleep=sleep,
    )
    assert naps == [] and status.sent == {"dis": 5}


def test_ctrl_c_stops_cleanly(sim_run: Path, receivers: list[Receiver]) -> None:
    def source(run_dir: Path) -> Iterator[tuple[float, bytes]]:
        yield from [(0.0, b"a"), (1.0, b"b"), (2.0, b"c")]
        raise KeyboardInterrupt

    status = st.stream_run(
        sim_run, {"dis": _ep(receivers[0].port)}, speed=0, sources={"dis": source}
    )
    assert status.interrupted and status.sent == {"dis": 3} and status.t == 2.0
    assert receivers[0].wait_for(3) == [b"a", b"b", b"c"]


@pytest.mark.parametrize("speed", [-1.0, float("nan"), float("inf")])
def test_bad_speed(sim_run: Path, speed: float) -> None:
    with pytest.raises(st.StreamError, match="--speed"):
        st.stream_run(sim_run, {"dis": _ep(9)}, speed=speed, sources={"dis": _fake([])})


def test_a_datagram_too_large_is_a_clear_error(sim_run: Path, receivers: list[Receiver]) -> None:
    with pytest.raises(st.StreamError, match=r"DIS PDUs to 127\.0\.0\.1:\d+: cannot send"):
        st.stream_run(
            sim_run,
            {"dis": _ep(receivers[0].port)},
            speed=0,
            sources={"dis": _fake([(0.0, bytes(70_000))])},
        )


# --- the command -------------------------------------------------------------------------


def _cli(args: list[str]) -> Any:
    return CliRunner().invoke(app, ["stream", *args])


def test_command_streams_to_loopback(
    sim_run: Path, receivers: list[Receiver], dis_pdus: list[tuple[float, bytes]]
) -> None:
    d = receivers[0]
    result = _cli([str(sim_run), "--asterix", "off", "--dis", f":{d.port}", "--speed", "0"])
    assert result.exit_code == 0, result.output
    assert d.wait_for(len(dis_pdus)) == [p for _, p in dis_pdus]
    assert f"DIS PDUs to 127.0.0.1:{d.port}, as fast as possible" in result.stdout
    assert f"sent {len(dis_pdus)} DIS PDUs: scenario time 0-240 s" in result.stdout
    assert "loopback" not in result.output  # nothing to warn about
    quiet = _cli([str(sim_run), "--asterix", "off", "--dis", f":{d.port}", "--speed", "0", "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_command_says_when_a_destination_is_not_loopback(
    sim_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(st, "SOURCES", {"asterix": _fake([]), "dis": _fake([])})  # send nothing
    result = _cli([str(sim_run), "--asterix", "192.0.2.7:8600", "--dis", "off", "--speed", "0"])
    assert result.exit_code == 0, result.output
    assert (
        "note: ASTERIX data blocks go to 192.0.2.7:8600, NOT a loopback address: they leave "
        "this machine" in result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "error: {missing}: no such run directory"),
        (["{run}", "--dis", "127.0.0.1:70000"], "error: --dis: '127.0.0.1:70000': port must be"),
        (["{run}", "--asterix", "nonexistent.invalid"], "error: --asterix: 'nonexistent.invalid'"),
        (["{run}", "--asterix", "off", "--dis", "OFF"], "error: --asterix and --dis are both off"),
        (["{run}", "--speed", "-2"], "error: --speed: must be a number >= 0 (got -2.0)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    sim_run: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    fill = {"missing": tmp_path / "missing", "run": sim_run}
    result = _cli([a.format(**fill) for a in args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(**fill)), lines
    assert "Traceback" not in result.output


def test_asterix_missing_is_a_clear_error(sim_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_asterix(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "airdefense.interop.asterix":
            raise ImportError("not here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_asterix)
    with pytest.raises(st.StreamError, match=r"ASTERIX encoder not available.*--asterix off"):
        st.asterix_source(sim_run)


# --- Wireshark ---------------------------------------------------------------------------

ASTERIX_FIELDS = {
    48: [
        "asterix.048_010_SAC",
        "asterix.048_010_SIC",
        "asterix.048_140_VALUE",
        "asterix.048_020_SIM",
        "asterix.048_040_RHO",
        "asterix.048_040_THETA",
    ],
    62: [
        "asterix.062_010_SAC",
        "asterix.062_010_SIC",
        "asterix.062_015_VALUE",
        "asterix.062_070_VALUE",
        "asterix.062_105_LAT",
        "asterix.062_105_LON",
        "asterix.062_100_X",
        "asterix.062_185_VX",
        "asterix.062_040_VALUE",
        "asterix.062_080_SIM",
    ],
}
DIS_FIELDS = [
    "dis.proto_ver",
    "dis.pdu_type",
    "dis.entity_id_application",
    "dis.entity_id_entity",
    "dis.entity_location.x",
]


def _decode(pcap: Path, asterix_port: int, dis_port: int) -> list[dict[str, list[str]]]:
    fields = [
        "udp.dstport",
        "frame.protocols",
        "_ws.malformed",
        "_ws.expert",
        "asterix.category",
        *ASTERIX_FIELDS[48],
        *ASTERIX_FIELDS[62],
        *DIS_FIELDS,
    ]
    cmd = [str(TSHARK), "-r", str(pcap), "-n", "-T", "fields", "-E", "separator=\t"]
    cmd += ["-E", "occurrence=a", "-E", "aggregator=|", "-E", "quote=n"]
    cmd += ["-d", f"udp.port=={asterix_port},asterix", "-d", f"udp.port=={dis_port},dis"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300).stdout
    rows = []
    for line in out.splitlines():
        cells = line.split("\t")
        rows.append({f: (c.split("|") if c else []) for f, c in zip(fields, cells, strict=True)})
    return rows


def _check_decoded(
    rows: list[dict[str, list[str]]],
    asterix_port: int,
    dis_port: int,
    n_asterix: int,
    dis_pdus: list[tuple[float, bytes]],
) -> None:
    """Every frame decoded by its dissector with no malformed-packet or expert warning, every
    ASTERIX record with the items we send, every DIS PDU of the run."""
    ast = [r for r in rows if r["udp.dstport"] == [str(asterix_port)]]
    dis_rows = [r for r in rows if r["udp.dstport"] == [str(dis_port)]]
    assert (
        len(ast) == n_asterix
        and len(dis_rows) == len(dis_pdus)
        and len(rows) == len(ast) + len(dis_rows)
    )
    for r in rows:
        assert r["_ws.malformed"] == [] and r["_ws.expert"] == [], r
    cats: set[int] = set()
    for r in ast:
        assert r["frame.protocols"][0].endswith(":udp:asterix")
        (cat,) = {int(c) for c in r["asterix.category"]}  # one data block per datagram
        cats.add(cat)
        records = len(r[ASTERIX_FIELDS[cat][0]])
        assert records >= 1
        for f in ASTERIX_FIELDS[cat]:
            assert len(r[f]) == records, (f, r)
        sim = "asterix.048_020_SIM" if cat == 48 else "asterix.062_080_SIM"
        assert set(r[sim]) == {"1"}  # simulated data, flagged so
    assert cats == {48, 62}
    for r, (_, pdu) in zip(dis_rows, dis_pdus, strict=True):
        assert r["frame.protocols"][0].endswith(":udp:dis")
        assert r["dis.proto_ver"] == ["7"] and r["dis.pdu_type"] == [str(pdu[2])]
        if pdu[2] == 1:
            assert r["dis.entity_id_application"][0] == str(int.from_bytes(pdu[14:16], "big"))
            assert r["dis.entity_id_entity"][0] == str(int.from_bytes(pdu[16:18], "big"))


@needs_tshark
def test_a_pcap_of_both_streams_decodes_in_wireshark(
    sim_run: Path, tmp_path: Path, dis_pdus: list[tuple[float, bytes]]
) -> None:
    if reason := _asterix_missing():
        pytest.skip(reason)
    pcap = tmp_path / "both.pcap"
    n = st.write_stream_pcap(pcap, sim_run, {"asterix": 8600, "dis": 3000}, EPOCH)
    n_asterix = sum(1 for _ in st.asterix_source(sim_run))
    assert n == n_asterix + len(dis_pdus)
    _check_decoded(_decode(pcap, 8600, 3000), 8600, 3000, n_asterix, dis_pdus)


def test_the_run_is_opened_once_for_both_streams(
    sim_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both sources read the one reader the stream opened (or was handed), to the same
    bytes."""
    if reason := _asterix_missing():
        pytest.skip(reason)
    from airdefense.record.reader import RunReader

    opened: list[Path] = []
    real_init = RunReader.__init__

    def counting(self: RunReader, run_dir: Any) -> None:
        opened.append(Path(run_dir))
        real_init(self, run_dir)

    monkeypatch.setattr(RunReader, "__init__", counting)
    ports = {"asterix": 8600, "dis": 3000}
    n = st.write_stream_pcap(tmp_path / "a.pcap", sim_run, ports, EPOCH)
    assert opened == [sim_run] and n > 0
    with RunReader(sim_run) as run:
        assert st.write_stream_pcap(tmp_path / "b.pcap", run, ports, EPOCH) == n
        assert st.run_duration(run) == 240.0
    assert len(opened) == 2
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@needs_tshark
def test_a_live_capture_on_loopback_decodes_as_asterix_and_dis(
    sim_run: Path, tmp_path: Path, dis_pdus: list[tuple[float, bytes]]
) -> None:
    """Stream the run to loopback (both streams, 100x) while ``tshark -i lo`` captures it."""
    if reason := _asterix_missing():
        pytest.skip(reason)
    n_asterix = sum(1 for _ in st.asterix_source(sim_run))
    total = n_asterix + len(dis_pdus)
    sinks = [Receiver(), Receiver()]  # listening, so loopback sends no port-unreachable
    a_port, d_port = sinks[0].port, sinks[1].port
    pcap = tmp_path / "live.pcap"
    cmd = [
        str(TSHARK),
        "-i",
        "lo",
        "-n",
        "-q",
        "-B",
        "16",
        "-f",
        f"udp and (port {a_port} or port {d_port})",
    ]
    cmd += ["-c", str(total), "-a", "duration:120", "-w", str(pcap)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        started = _wait_capturing(proc)
        if started is not None:
            pytest.skip(f"cannot capture on the loopback interface here: {started}")
        status = st.stream_run(sim_run, {"asterix": _ep(a_port), "dis": _ep(d_port)}, speed=100.0)
        assert status.sent == {"asterix": n_asterix, "dis": len(dis_pdus)}
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for s in sinks:
            s.close()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    _check_decoded(_decode(pcap, a_port, d_port), a_port, d_port, n_asterix, dis_pdus)


def _wait_capturing(proc: subprocess.Popen[str], timeout_s: float = 30.0) -> str | None:
    """None once tshark says it is capturing; else why it is not (it exited, or timed out)."""
    assert proc.stderr is not None
    os.set_blocking(proc.stderr.fileno(), False)
    seen = ""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with contextlib.suppress(TypeError, BlockingIOError):
            seen += proc.stderr.read() or ""
        if "Capturing on" in seen:
            time.sleep(0.5)  # the capture filter is attached just after the message
            return None
        if proc.poll() is not None:
            lines = [x for x in seen.splitlines() if x.strip() and "Running as user" not in x]
            return lines[-1] if lines else f"tshark exited with {proc.returncode}"
        time.sleep(0.05)
    return "tshark did not start capturing within 30 s"


def test_ctrl_c_on_the_command_line_stops_with_a_summary(sim_run: Path) -> None:
    """A real SIGINT to a real process: one line saying how far it got, exit code 130."""
    sink = Receiver()
    cmd = [sys.executable, "-m", "airdefense.cli", "stream", str(sim_run)]
    cmd += ["--asterix", "off", "--dis", f":{sink.port}"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal would
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # printed just before the stream starts
        assert first.startswith(f"streaming {sim_run}: DIS PDUs to 127.0.0.1:{sink.port}, at 1x")
        deadline = time.monotonic() + 30
        while not sink.got and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sink.close()
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted at scenario time "), lines
    assert "DIS PDUs" in lines[0] and "Traceback" not in err
