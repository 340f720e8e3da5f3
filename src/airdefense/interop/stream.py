"""A run's ASTERIX data blocks and DIS PDUs sent as UDP datagrams in replayed time, and
written as a pcap capture.

``airdefense stream RUN_DIR`` opens the run once (:class:`~airdefense.record.reader.RunReader`)
and merges two time-ordered sources read from it, ASTERIX
(:func:`airdefense.interop.asterix.asterix_datagrams`: CAT048 plots and CAT062 tracks, one
data block per datagram) and DIS (:func:`airdefense.interop.dis.dis_datagrams`: one PDU per
datagram), and sends each datagram when its scenario time comes: at wall time
``start + (t - t_first) / speed``, or as fast as possible with ``speed`` 0.

Destinations default to the loopback address, 127.0.0.1, with ASTERIX on UDP port
:data:`ASTERIX_PORT` (8600) and DIS on :data:`DIS_PORT` (3000, the port DIS uses by
convention). Any other address must be given explicitly; the caller is told whether each
destination is a loopback address (:attr:`Endpoint.loopback`) so that it can say so.

:func:`write_stream_pcap` writes what would be sent as a pcap capture instead, through
:func:`airdefense.interop.pcap.write_pcap` (the DIS export's writer too). The dependency goes
one way: this module imports :mod:`airdefense.interop.dis` (lazily, as a source) and
:mod:`airdefense.interop.pcap`; neither imports it.
"""

from __future__ import annotations

import heapq
import ipaddress
import math
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from airdefense.errors import AirdefenseError
from airdefense.interop.pcap import LOOPBACK, write_pcap
from airdefense.record.reader import RunReader, reading

#: Default destination host: loopback.
DEFAULT_HOST = LOOPBACK
#: Default UDP ports: ASTERIX (a common choice for ASTERIX over UDP), DIS (by convention).
ASTERIX_PORT = 8600
DIS_PORT = 3000
#: What disables a stream on the command line (``--asterix off``).
OFF = "off"
#: Longest sleep between checks, so progress updates and Ctrl-C stay prompt (s).
_TICK_S = 0.1

Datagram = tuple[float, bytes]
#: A stream's datagrams in time order, read from the open run.
Source = Callable[[RunReader], Iterable[Datagram]]


class StreamError(AirdefenseError):
    """A user error (bad run directory, address or speed; a send that fails): printed as one
    line, exit code 2."""


# --- sources -----------------------------------------------------------------------------


def asterix_source(run: RunReader) -> Iterable[Datagram]:
    """The run's ASTERIX data blocks in time order, from
    :func:`airdefense.interop.asterix.asterix_datagrams`."""
    try:
        from airdefense.interop.asterix import asterix_datagrams
    except ImportError as exc:
        raise StreamError(
            f"ASTERIX encoder not available ({exc}); stream DIS only with --asterix off"
        ) from None
    return asterix_datagrams(run)


def dis_source(run: RunReader) -> Iterable[Datagram]:
    """The run's DIS PDUs in time order (:func:`airdefense.interop.dis.dis_datagrams`)."""
    from airdefense.interop.dis import dis_datagrams

    return dis_datagrams(run)


#: The sources by stream name; tests and callers may switch one for another.
SOURCES: dict[str, Source] = {"asterix": asterix_source, "dis": dis_source}
#: Names shown for each stream's datagrams.
UNITS = {"asterix": "ASTERIX data blocks", "dis": "DIS PDUs"}


# --- endpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A UDP destination: the host as given, the numeric address it resolved to, the port."""

    host: str
    address: str
    port: int
    family: int

    @property
    def loopback(self) -> bool:
        """True for a loopback address (127.0.0.0/8, ::1): nothing leaves this machine."""
        return ipaddress.ip_address(self.address).is_loopback

    @property
    def broadcast(self) -> bool:
        """True for an IPv4 broadcast address: the limited one (255.255.255.255) or one
        ending in .255 (a /24's, the common subnet broadcast). Only a socket sending to one
        is allowed to broadcast (``SO_BROADCAST``)."""
        ip = ipaddress.ip_address(self.address)
        return ip.version == 4 and (int(ip) == 0xFFFFFFFF or int(ip) & 0xFF == 0xFF)

    def __str__(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        extra = "" if self.address == self.host else f" ({self.address})"
        return f"{shown}:{self.port}{extra}"


def parse_endpoint(text: str, default_port: int, option: str = "address") -> Endpoint:
    """``HOST:PORT``, ``HOST``, ``:PORT`` or ``[IPv6]:PORT`` to an :class:`Endpoint`
    (host default 127.0.0.1, port default ``default_port``), resolved once. Raises
    :class:`StreamError` naming ``option`` on a bad port or an unknown host."""
    raw = text.strip()
    host, port_text = raw, ""
    if raw.startswith("["):
        close = raw.find("]")
        if close < 0:
            raise StreamError(f"{option}: {text!r}: missing ']' (expected [IPv6]:PORT)")
        host, rest = raw[1:close], raw[close + 1 :]
        if rest and not rest.startswith(":"):
            raise StreamError(f"{option}: {text!r}: expected [IPv6]:PORT")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    host = host or DEFAULT_HOST
    if port_text:
        digits = port_text.isascii() and port_text.isdigit()
        if not digits or not 1 <= int(port_text) <= 65535:
            raise StreamError(f"{option}: {text!r}: port must be 1-65535 (got {port_text!r})")
        port = int(port_text)
    else:
        port = default_port
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise StreamError(f"{option}: {text!r}: cannot resolve host {host!r} ({reason})") from None
    infos.sort(key=lambda i: i[0] != socket.AF_INET)  # IPv4 first
    family, _, _, _, sockaddr = infos[0]
    return Endpoint(host=host, address=str(sockaddr[0]), port=port, family=int(family))


# --- streaming ---------------------------------------------------------------------------


@dataclass
class StreamStatus:
    """Where a stream is: scenario time reached, datagrams and octets sent per stream."""

    t: float = 0.0
    t_first: float | None = None
    t_end: float = 0.0
    sent: dict[str, int] = field(default_factory=dict)
    octets: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    interrupted: bool = False

    @property
    def total(self) -> int:
        """Datagrams sent over all streams."""
        return sum(self.sent.values())


def _merged(
    run: RunReader, names: Iterable[str], sources: Mapping[str, Source]
) -> Iterator[tuple[float, int, str, bytes]]:
    """The sources' datagrams merged by time (ties: ASTERIX first, then each source's
    order); ``run`` must stay open while they are read."""

    def tagged(name: str) -> Iterator[tuple[float, int, str, bytes]]:
        for seq, (t, payload) in enumerate(sources[name](run)):
            yield float(t), seq, name, bytes(payload)

    return heapq.merge(*(tagged(n) for n in names), key=lambda r: (r[0], r[2], r[1]))


def stream_run(
    run: RunReader | str | Path,
    targets: Mapping[str, Endpoint],
    speed: float = 1.0,
    *,
    duration_s: float | None = None,
    progress: Callable[[StreamStatus], None] | None = None,
    sources: Mapping[str, Source] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> StreamStatus:
    """Send the datagrams of a run (its directory, or a reader already open) to ``targets``
    (stream name -> endpoint: ``"asterix"``, ``"dis"``) in replayed time at ``speed`` times
    real time (0: as fast as possible).

    ``progress`` is called about every 0.1 s of wall time and at the end. Ctrl-C
    (KeyboardInterrupt) stops the stream cleanly: the returned status says so. Raises
    :class:`StreamError` on a bad speed or a failed send; a bad run directory raises the
    reader's :class:`~airdefense.record.reader.RunReadError`."""
    if not (math.isfinite(speed) and speed >= 0):
        raise StreamError(f"--speed: must be a number >= 0 (got {speed})")
    srcs = dict(SOURCES if sources is None else sources)
    names = [n for n in ("asterix", "dis") if n in targets]
    status = StreamStatus(
        t_end=float(duration_s or 0.0),
        sent=dict.fromkeys(names, 0),
        octets=dict.fromkeys(names, 0),
    )
    socks: dict[str, socket.socket] = {}
    start = clock()
    last_report = -math.inf
    with reading(run) as reader:
        try:
            for n in names:
                ep = targets[n]
                s = socket.socket(ep.family, socket.SOCK_DGRAM)
                if ep.broadcast:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                socks[n] = s
            for t, _, name, payload in _merged(reader, names, srcs):
                if status.t_first is None:
                    status.t_first = t
                    start = clock()
                if speed > 0:
                    due = start + (t - status.t_first) / speed
                    while True:
                        now = clock()
                        if now >= due:
                            break
                        if progress is not None and now - last_report >= _TICK_S:
                            status.wall_s = now - start
                            progress(status)
                            last_report = now
                        sleep(min(due - now, _TICK_S))
                ep = targets[name]
                try:
                    socks[name].sendto(payload, (ep.address, ep.port))
                except OSError as exc:
                    raise StreamError(
                        f"{UNITS[name]} to {ep}: cannot send ({exc.strerror or exc})"
                    ) from None
                status.t = t
                status.sent[name] += 1
                status.octets[name] += len(payload)
                now = clock()
                if progress is not None and now - last_report >= _TICK_S:
                    status.wall_s = now - start
                    progress(status)
                    last_report = now
        except KeyboardInterrupt:
            status.interrupted = True
        finally:
            for s in socks.values():
                s.close()
    status.wall_s = clock() - start
    if progress is not None:
        progress(status)
    return status


# --- pcap --------------------------------------------------------------------------------


def write_stream_pcap(
    path: Path,
    run: RunReader | str | Path,
    ports: Mapping[str, int],
    epoch: datetime,
    sources: Mapping[str, Source] | None = None,
) -> int:
    """Write the merged datagrams of the streams in ``ports`` (name -> UDP port) of a run (its
    directory, or a reader already open) to a pcap at ``path`` (what :func:`stream_run` would
    send, without sending it); return the number of datagrams."""
    srcs = dict(SOURCES if sources is None else sources)
    names = [n for n in ("asterix", "dis") if n in ports]
    with reading(run) as reader, Path(path).open("wb") as fh:
        return write_pcap(
            fh, ((t, ports[name], p) for t, _, name, p in _merged(reader, names, srcs)), epoch
        )


def run_duration(run: RunReader | str | Path) -> float:
    """A run's simulated duration (s): ``meta.duration_s``, else the last truth time, else 0.
    Raises :class:`~airdefense.record.reader.RunReadError` if ``run`` is not a run
    directory."""
    with reading(run) as reader:
        try:
            d = float(reader.meta.get("duration_s", "nan"))
        except ValueError:
            d = math.nan
        if math.isfinite(d) and d >= 0:
            return d
        ((t_max,),) = reader.rows("SELECT max(t) FROM truth")
    return float(t_max) if t_max is not None else 0.0
