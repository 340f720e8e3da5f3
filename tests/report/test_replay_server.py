"""The replay server (`airdefense replay`): it serves the run's replay page and nothing else of
the run directory (no listing, no database, no symbolic link out of it), only to requests
whose Host names this machine with the server's port, GET and HEAD only; it answers 200
concurrent requests from a bounded pool of threads and closes idle connections."""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from airdefense.report.replay import REPLAY_NAME, WORKERS, serve

PAGE = b"<!DOCTYPE html><html><body>the replay</body></html>\n"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A directory holding a replay page, a database, a subdirectory and a secret outside."""
    d = tmp_path / "run"
    d.mkdir()
    (d / REPLAY_NAME).write_bytes(PAGE)
    (d / "run.duckdb").write_bytes(b"DUCK" * 100)
    (d / "export").mkdir()
    (d / "export" / "tracks.csv").write_text("t,x\n")
    (tmp_path / "secret.txt").write_text("root:x:0:0\n")
    return d


@pytest.fixture
def server(run_dir: Path) -> Iterator[tuple[str, int]]:
    srv = serve(run_dir, idle_timeout_s=0.5)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def request(
    addr: tuple[str, int],
    path: str,
    method: str = "GET",
    host: str | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request with the given Host (default ``127.0.0.1:PORT``); status, headers, body."""
    conn = http.client.HTTPConnection(*addr, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{addr[1]}")
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_the_page_is_served_to_this_machine_by_its_names(server: tuple[str, int]) -> None:
    port = server[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        status, headers, body = request(server, "/replay.html", host=host)
        assert (status, body) == (200, PAGE), host
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Content-Length"] == str(len(PAGE))
        assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, body = request(server, "/replay.html?t=5#x")
    assert (status, body) == (200, PAGE)
    status, headers, body = request(server, "/replay.html", method="HEAD")
    assert status == 200 and body == b"" and headers["Content-Length"] == str(len(PAGE))
    status, headers, _ = request(server, "/")
    assert status == 302 and headers["Location"] == "/replay.html"


@pytest.mark.parametrize(
    "path",
    [
        "/run.duckdb",
        "/export/",
        "/export",
        "/export/tracks.csv",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "//etc/passwd",
        "/passwd",
        "/inside",
        "/replay.html/",
        "/./replay.html",
        "/%72eplay.html%00",
        "replay.html",
        "http://127.0.0.1/run.duckdb",
    ],
)
def test_nothing_else_of_the_directory_is_served(
    server: tuple[str, int], run_dir: Path, path: str
) -> None:
    os.symlink("/etc/passwd", run_dir / "passwd")
    os.symlink(run_dir / REPLAY_NAME, run_dir / "inside")
    status, _, body = request(server, path)
    assert status == 404, (path, status)
    assert b"DUCK" not in body and b"root:" not in body and b"tracks.csv" not in body


def test_a_replay_page_that_is_a_link_is_not_followed(run_dir: Path, tmp_path: Path) -> None:
    """Not to a file outside (nor inside) the directory, nor a FIFO or a directory by that
    name: only a regular file of the directory itself is served."""
    outside = tmp_path / "secret.txt"
    for make in (
        lambda p: os.symlink(outside, p),
        lambda p: os.symlink("/etc/passwd", p),
        lambda p: os.symlink(run_dir / "run.duckdb", p),
        lambda p: os.mkfifo(p),
        lambda p: p.mkdir(),
    ):
        page = run_dir / REPLAY_NAME
        if page.is_dir() and not page.is_symlink():
            page.rmdir()
        else:
            page.unlink()
        make(page)
        srv = serve(run_dir, idle_timeout_s=0.5)
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        try:
            status, _, body = request(("127.0.0.1", srv.server_address[1]), "/replay.html")
        finally:
            srv.shutdown()
            srv.server_close()
            thread.join(5)
        assert status == 404 and b"root:" not in body and b"DUCK" not in body


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "127.0.0.1.nip.io:{port}",
        "localhost.evil.example:{port}",
        "127.0.0.1",
        "localhost",
        "127.0.0.1:{other}",
        "[::1]:{other}",
        "0.0.0.0:{port}",
        "127.0.0.2:{port}",
        "",
        "127.0.0.1:{port}@evil.example",
    ],
)
def test_a_foreign_host_is_refused(server: tuple[str, int], host: str) -> None:
    """DNS rebinding: a page of another site that resolves its own name to 127.0.0.1 sends
    its own name as the Host; it gets 403 and not the page."""
    port = server[1]
    status, _, body = request(
        server, "/replay.html", host=host.format(port=port, other=port + 1 if port < 65535 else 1)
    )
    assert status == 403 and PAGE not in body


def test_no_host_or_two_hosts_is_refused(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as s:
        s.sendall(b"GET /replay.html HTTP/1.0\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.0 403")
    with socket.create_connection(server, timeout=5) as s:
        host = f"Host: 127.0.0.1:{server[1]}\r\n".encode()
        s.sendall(b"GET /replay.html HTTP/1.1\r\n" + host + b"Host: evil.example\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.0 403")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"])
def test_only_get_and_head(server: tuple[str, int], run_dir: Path, method: str) -> None:
    before = sorted(p.name for p in run_dir.iterdir())
    status, headers, body = request(server, "/replay.html", method=method, body=b"x=1")
    assert status in (405, 501), status
    assert PAGE not in body
    if status == 405:
        assert headers["Allow"] == "GET, HEAD"
    assert sorted(p.name for p in run_dir.iterdir()) == before
    assert (run_dir / REPLAY_NAME).read_bytes() == PAGE


def _server_threads(port: int) -> int:
    """Threads of the server on ``port`` (its workers and its one waiter)."""
    return sum(t.name.startswith(f"airdefense-replay-{port}-") for t in threading.enumerate())


def test_200_concurrent_requests_are_all_served_by_a_bounded_pool(
    server: tuple[str, int],
) -> None:
    start = threading.Barrier(200)

    def get(_: int) -> tuple[int, bytes]:
        start.wait(timeout=30)
        status, _, body = request(server, "/replay.html")
        return status, body

    with ThreadPoolExecutor(200) as pool:
        results = list(pool.map(get, range(200)))
        assert _server_threads(server[1]) == WORKERS + 1
    assert results == [(200, PAGE)] * 200


def test_idle_connections_are_closed_and_hold_no_thread_each(server: tuple[str, int]) -> None:
    """300 connections that send nothing: the server starts no thread for them, closes each
    after the idle timeout (0.5 s here), and still answers a request meanwhile or after."""
    idle = [socket.create_connection(server, timeout=10) for _ in range(300)]
    try:
        time.sleep(0.2)
        assert _server_threads(server[1]) == WORKERS + 1
        status, _, body = request(server, "/replay.html")
        assert (status, body) == (200, PAGE)
        deadline = time.monotonic() + 30
        for s in idle:
            s.settimeout(max(deadline - time.monotonic(), 0.1))
            assert s.recv(1) == b""  # closed by the server, nothing sent
    finally:
        for s in idle:
            s.close()
    assert request(server, "/replay.html")[0] == 200


def test_a_stalled_request_line_is_closed(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=10) as s:
        s.sendall(b"GET /replay.html HTTP/1.1\r\nHost: 127.0.0.1")  # and then nothing
        t0 = time.monotonic()
        assert s.recv(100) == b""
        assert time.monotonic() - t0 < 8  # the 0.5 s idle timeout, with room


def test_the_default_idle_timeout_is_set_and_closing_stops_every_thread(run_dir: Path) -> None:
    srv = serve(run_dir)
    port = srv.server_address[1]
    try:
        assert 1 <= srv.idle_timeout_s <= 60  # type: ignore[attr-defined]
        assert srv.server_address[0] == "127.0.0.1"
        assert _server_threads(port) == WORKERS + 1
    finally:
        srv.server_close()
    deadline = time.monotonic() + 10
    while _server_threads(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _server_threads(port) == 0
