"""UDP datagrams as a classic pcap capture, for Wireshark and tshark.

The writer (:func:`write_pcap`) frames datagrams as Ethernet II / IPv4 / UDP in the classic
libpcap format (magic 0xa1b2c3d4, version 2.4, link type 1, microsecond timestamps), with
valid IPv4 header and UDP checksums (RFC 791, RFC 768), so Wireshark and tshark open it and
pick their dissector by UDP port.

Used by the DIS export (:mod:`airdefense.interop.dis`, ``run-dis.pcap``) and by the stream's
capture (:func:`airdefense.interop.stream.write_stream_pcap`); it imports neither.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import BinaryIO

#: The loopback address: the default source and destination of the packets.
LOOPBACK = "127.0.0.1"

_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # link type Ethernet
_ETHERNET = bytes(6) + bytes(6) + b"\x08\x00"  # zero MAC addresses, EtherType IPv4


def _checksum(data: bytes) -> int:
    """Internet checksum (RFC 1071): one's complement of the one's-complement sum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_packet(
    payload: bytes, src: str, dst: str, src_port: int, dst_port: int, ident: int = 0
) -> bytes:
    """An IPv4 (RFC 791) packet holding one UDP (RFC 768) datagram, checksums set."""
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    udp_len = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, socket.IPPROTO_UDP, udp_len)
    udp = struct.pack("!HHHH", src_port, dst_port, udp_len, 0) + payload
    csum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident & 0xFFFF, 0x4000, 64,
        socket.IPPROTO_UDP, 0, s, d,
    )  # fmt: skip
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return ip + udp


def write_pcap(
    fh: BinaryIO,
    datagrams: Iterable[tuple[float, int, bytes]],
    epoch: datetime,
    *,
    src: str = LOOPBACK,
    dst: str = LOOPBACK,
) -> int:
    """Write (scenario time, destination UDP port, payload) datagrams as a classic pcap
    (Ethernet / IPv4 / UDP from ``src`` to ``dst``, source port = destination port),
    time-stamped ``epoch`` + scenario time; return the number of packets. A payload too
    large for one IPv4 datagram raises ValueError."""
    fh.write(_PCAP_HEADER)
    base = (
        epoch.astimezone(UTC).timestamp() if epoch.tzinfo else epoch.replace(tzinfo=UTC).timestamp()
    )
    n = 0
    for t, port, payload in datagrams:
        if len(payload) > 65507:
            raise ValueError(f"datagram of {len(payload)} octets is too large for UDP/IPv4")
        frame = _ETHERNET + udp_packet(payload, src, dst, port, port, ident=n)
        us = round((base + float(t)) * 1e6)
        fh.write(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(frame), len(frame)))
        fh.write(frame)
        n += 1
    return n
