"""ASTERIX decoding: CAT048 data blocks read back into arrays, one element per record.

**Reading CAT048** (:func:`decode_cat048`, :class:`Cat048Decoder`): blocks are walked by a
compiled (numba) kernel that finds every record's items through the edition's full UAP (fixed,
extended, repetitive, explicit and compound items), then every field is decoded for all records
at once with numpy. A block that is not CAT048, has an impossible length, is truncated, or
whose records do not parse exactly to its end is reported and skipped as a whole; after an
impossible header the reader resynchronises on the next CAT048 block that parses cleanly, in
time linear in the octets it skips (:func:`_resync_tables`; a block is never re-walked).
Nothing in the input can raise: every problem is counted in a :class:`DecodeSummary`.

Sources: EUROCONTROL-SPEC-0149 part 4, CAT048 edition 1.21, its user application profile
(UAP) in full (:data:`_UAP048`), so that any CAT048 record of that edition is walked, not
only the ones :mod:`airdefense.interop.asterix.encode` writes; the SP field is decoded where
it is ours (its length, marker ``b"AD"`` and layout version).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from airdefense.interop.asterix._edition import (
    _DAY_S,
    _RHO_LSB_M,
    _SP_LEN,
    _SP_MAGIC,
    _SP_VERSION,
    _THETA_LSB_DEG,
    _TOD_LSB,
    FT,
    NM,
    TOD_EPOCH_S,
    ByteArray,
    FloatArray,
    IntArray,
)

_FIXED, _VARIABLE, _REPETITIVE, _EXPLICIT, _COMPOUND = 0, 1, 2, 3, 4
#: CAT048 edition 1.21 UAP: FRN -> (item, kind, octets; for repetitive items the octets of
#: one repetition). Compound items' subfields are in :data:`_SUB048`.
_UAP048: dict[int, tuple[str, int, int]] = {
    1: ("010", _FIXED, 2),
    2: ("140", _FIXED, 3),
    3: ("020", _VARIABLE, 0),
    4: ("040", _FIXED, 4),
    5: ("070", _FIXED, 2),
    6: ("090", _FIXED, 2),
    7: ("130", _COMPOUND, 0),
    8: ("220", _FIXED, 3),
    9: ("240", _FIXED, 6),
    10: ("250", _REPETITIVE, 8),
    11: ("161", _FIXED, 2),
    12: ("042", _FIXED, 4),
    13: ("200", _FIXED, 4),
    14: ("170", _VARIABLE, 0),
    15: ("210", _FIXED, 4),
    16: ("030", _VARIABLE, 0),
    17: ("080", _FIXED, 2),
    18: ("100", _FIXED, 4),
    19: ("110", _FIXED, 2),
    20: ("120", _COMPOUND, 0),
    21: ("230", _FIXED, 2),
    22: ("260", _FIXED, 7),
    23: ("055", _FIXED, 1),
    24: ("050", _FIXED, 2),
    25: ("065", _FIXED, 1),
    26: ("060", _FIXED, 2),
    27: ("SP", _EXPLICIT, 0),
    28: ("RE", _EXPLICIT, 0),
}
#: Compound subfields: octets of each (negative: repetitive, octets of one repetition).
_SUB048 = {7: [1, 1, 1, 1, 1, 1, 1], 20: [2, -6]}
_N_FRN = 28
_FRN = {item: frn for frn, (item, _, _) in _UAP048.items()}


def _uap_tables() -> tuple[IntArray, IntArray, IntArray, IntArray]:
    kinds = np.full(_N_FRN + 1, -1, dtype=np.int64)
    lens = np.zeros(_N_FRN + 1, dtype=np.int64)
    sub = np.zeros((_N_FRN + 1, 14), dtype=np.int64)
    nsub = np.zeros(_N_FRN + 1, dtype=np.int64)
    for frn, (_, kind, n) in _UAP048.items():
        kinds[frn], lens[frn] = kind, n
    for frn, subs in _SUB048.items():
        sub[frn, : len(subs)] = subs
        nsub[frn] = len(subs)
    return kinds, lens, sub, nsub


_KINDS, _LENS, _SUBS, _NSUBS = _uap_tables()

#: Why a block was skipped (event codes of the walker).
EV_OTHER_CATEGORY, EV_BAD_LENGTH, EV_TRUNCATED, EV_MALFORMED, EV_GARBAGE = 1, 2, 3, 4, 5
#: Why a CAT048 block's records did not parse (the value of an EV_MALFORMED event).
_RECORD_ERRORS = {
    1: "an FSPEC longer than the UAP",
    2: "an item running past the end of the block",
    3: "a record with no items",
    4: "an explicit-length item of length 0",
    5: "a compound item with an undefined subfield",
}


@njit(cache=True, nogil=True)
def _item_length(buf, pos, end, kind, n, sub, nsub):  # pragma: no cover - compiled
    """Octets of the item at ``pos`` (which must end by ``end``), or -code on error."""
    if kind == 0:
        return n if pos + n <= end else -2
    if kind == 1:
        i = pos
        while i < end:
            if buf[i] & 1 == 0:
                return i - pos + 1
            i += 1
        return -2
    if kind == 2:
        if pos >= end:
            return -2
        length = 1 + int(buf[pos]) * n
        return length if pos + length <= end else -2
    if kind == 3:
        if pos >= end:
            return -2
        length = int(buf[pos])
        if length < 1:
            return -4
        return length if pos + length <= end else -2
    # compound: primary subfield (7 presence bits an octet, FX), then the subfields
    present = np.zeros(14, dtype=np.bool_)
    i = pos
    k = 0
    while True:
        if i >= end or k >= 14:
            return -2 if i >= end else -5
        b = buf[i]
        for j in range(7):
            if b & (0x80 >> j):
                if k + j >= nsub:
                    return -5
                present[k + j] = True
        k += 7
        i += 1
        if b & 1 == 0:
            break
    for j in range(nsub):
        if present[j]:
            s = sub[j]
            if s > 0:
                i += s
            else:
                if i >= end:
                    return -2
                i += 1 + int(buf[i]) * (-s)
            if i > end:
                return -2
    return i - pos


@njit(cache=True, nogil=True)
def _parse_block(buf, p, length, offs, nrec, store, kinds, lens, subs, nsubs):  # pragma: no cover
    """Walk the records of the CAT048 block at ``p``; store item offsets from row ``nrec``
    (if ``store``). Returns the new record count, or -code if the block does not parse."""
    end = p + length
    pos = p + 3
    while pos < end:
        # FSPEC
        fs = pos
        while True:
            if pos >= end:
                return -2
            if pos - fs >= 4:
                return -1
            b = buf[pos]
            pos += 1
            if b & 1 == 0:
                break
        nitems = 0
        for octet in range(pos - fs):
            b = buf[fs + octet]
            for j in range(7):
                if b & (0x80 >> j):
                    frn = octet * 7 + j + 1
                    n = _item_length(buf, pos, end, kinds[frn], lens[frn], subs[frn], nsubs[frn])
                    if n < 0:
                        return n
                    if store:
                        offs[nrec, frn - 1] = pos
                    pos += n
                    nitems += 1
        if nitems == 0:
            return -3
        nrec += 1
    return nrec


#: Resynchronisation decides on candidate blocks a window of this many start positions at a
#: time (the window's tables reach one longest block further).
_RESYNC_WINDOW = 1 << 20
_MAX_BLOCK = 65_535


@njit(cache=True, nogil=True)
def _record_next(buf, s, end, next_even, ws, kinds, lens, subs, nsubs):  # pragma: no cover
    """Where the record at ``s`` ends if it parses with items ending by ``end`` (as
    :func:`_parse_block` walks it), else -1. Variable items use ``next_even`` (the first octet
    at or after each window position without the FX bit), so a record costs O(1)."""
    pos = s
    while True:
        if pos >= end or pos - s >= 4:
            return -1
        b = buf[pos]
        pos += 1
        if b & 1 == 0:
            break
    nitems = 0
    for octet in range(pos - s):
        b = buf[s + octet]
        for j in range(7):
            if b & (0x80 >> j):
                frn = octet * 7 + j + 1
                if kinds[frn] == 1:
                    k = next_even[pos - ws] + ws
                    n = k - pos + 1 if k < end else -2
                else:
                    n = _item_length(buf, pos, end, kinds[frn], lens[frn], subs[frn], nsubs[frn])
                if n < 0:
                    return -1
                pos += n
                nitems += 1
    return pos if nitems > 0 else -1


@njit(cache=True, nogil=True)
def _resync_tables(buf, ws, we, kinds, lens, subs, nsubs):  # pragma: no cover - compiled
    """The records of every start position in ``[ws, we]`` as a forest (a record's parent is
    where the next one starts; parent > child), numbered in preorder: ``tin`` and subtree
    ``size`` per position (root ``we - ws + 1``: no record there). A CAT048 block at ``p`` of
    length ``L`` (``p + L <= we``) parses cleanly exactly when ``p + L`` is ``p + 3`` or one of
    its ancestors, an O(1) test: ``tin[T] <= tin[S] < tin[T] + size[T]``. Built in O(we - ws).
    """
    m = we - ws
    next_even = np.empty(m + 1, dtype=np.int32)
    next_even[m] = m
    for i in range(m - 1, -1, -1):
        next_even[i] = i if buf[ws + i] & 1 == 0 else next_even[i + 1]
    parent = np.empty(m + 2, dtype=np.int32)
    parent[m] = m + 1
    parent[m + 1] = m + 1
    for i in range(m):
        nxt = _record_next(buf, ws + i, we, next_even, ws, kinds, lens, subs, nsubs)
        parent[i] = nxt - ws if nxt >= 0 else m + 1
    size = np.ones(m + 2, dtype=np.int32)
    for i in range(m + 1):
        size[parent[i]] += size[i]
    tin = np.empty(m + 2, dtype=np.int32)
    slot = np.empty(m + 2, dtype=np.int32)
    tin[m + 1] = 0
    slot[m + 1] = 1
    for i in range(m, -1, -1):
        par = parent[i]
        tin[i] = slot[par]
        slot[par] += size[i]
        slot[i] = tin[i] + 1
    return tin, size


@njit(cache=True, nogil=True)
def _walk048(buf, final, resync, garbage_start, base, kinds, lens, subs, nsubs):  # pragma: no cover
    """Walk data blocks in ``buf`` (its first octet at file offset ``base``).

    Returns (consumed, item offsets per record (-1 absent), events (offset, code, value),
    CAT048 blocks decoded, resync, garbage_start, octets examined while resynchronising).
    Stops before a block that runs past the buffer unless ``final``; ``resync``: look for the
    next CAT048 block that parses cleanly. Resynchronising is linear in the octets skipped:
    candidates are decided with :func:`_resync_tables` (each octet's tables built once per
    window), never by walking a candidate block's records, which made it O(octets x block).
    """
    n = buf.shape[0]
    cap = 1024
    offs = np.full((cap, 28), -1, dtype=np.int32)
    nrec = 0
    ev = np.zeros((64, 3), dtype=np.int64)
    nev = 0
    blocks = 0
    work = 0
    ws, we, wlim = -1, -1, -1  # the window whose tables are built: candidates ws <= p < wlim
    tin = np.zeros(1, dtype=np.int32)
    size = np.zeros(1, dtype=np.int32)
    p = 0
    while True:
        if nev + 2 >= ev.shape[0]:
            ev2 = np.zeros((ev.shape[0] * 2, 3), dtype=np.int64)
            ev2[:nev] = ev[:nev]
            ev = ev2
        if resync:
            stop = False
            start = p
            while p + 3 <= n:
                if buf[p] == 48:
                    length = int(buf[p + 1]) * 256 + int(buf[p + 2])
                    if length >= 3:
                        if p + length > n:
                            if not final:
                                stop = True
                                break
                        else:
                            if p < ws or p >= wlim:
                                ws = p
                                we = min(n, p + _RESYNC_WINDOW + _MAX_BLOCK + 1)
                                wlim = ws + _RESYNC_WINDOW if we < n else n
                                tin, size = _resync_tables(buf, ws, we, kinds, lens, subs, nsubs)
                                work += we - ws + 1
                            s, t = p + 3 - ws, p + length - ws
                            if tin[t] <= tin[s] < tin[t] + size[t]:
                                break
                p += 1
            work += p - start
            if stop or (p + 3 > n and not final):
                break  # need more data to decide
            if p + 3 > n:
                p = n
            ev[nev, 0] = garbage_start
            ev[nev, 1] = 5
            ev[nev, 2] = base + p - garbage_start
            nev += 1
            resync = False
            garbage_start = -1
            if p >= n:
                break
        if p + 3 > n:
            if final and p < n:
                ev[nev, 0] = base + p
                ev[nev, 1] = 3
                ev[nev, 2] = n - p
                nev += 1
                p = n
            break
        cat = int(buf[p])
        length = int(buf[p + 1]) * 256 + int(buf[p + 2])
        if length < 3:
            ev[nev, 0] = base + p
            ev[nev, 1] = 2
            ev[nev, 2] = length
            nev += 1
            resync = True
            garbage_start = base + p
            p += 1
            continue
        if p + length > n:
            if not final:
                break
            ev[nev, 0] = base + p
            ev[nev, 1] = 3
            ev[nev, 2] = length
            nev += 1
            resync = True
            garbage_start = base + p
            p += 1
            continue
        if cat != 48:
            ev[nev, 0] = base + p
            ev[nev, 1] = 1
            ev[nev, 2] = cat
            nev += 1
            p += length
            continue
        need = nrec + (length - 3) // 2 + 1
        if need > cap:
            while cap < need:
                cap *= 2
            offs2 = np.full((cap, 28), -1, dtype=np.int32)
            offs2[:nrec] = offs[:nrec]
            offs = offs2
        r = _parse_block(buf, p, length, offs, nrec, True, kinds, lens, subs, nsubs)
        if r < 0:
            offs[nrec:need] = -1
            ev[nev, 0] = base + p
            ev[nev, 1] = 4
            ev[nev, 2] = -r
            nev += 1
        else:
            nrec = r
            blocks += 1
        p += length
    return p, offs[:nrec], ev[:nev], blocks, resync, garbage_start, work


@dataclass(frozen=True)
class Cat048Reports:
    """Decoded CAT048 records as arrays, one element per record; absent items are NaN (floats),
    -1 (integers) or "" (text). Units: SI and radians, except where the edition's own unit is
    the natural one (flight level in FL, plot characteristics in the edition's units).

    ``t`` is seconds since 12:00:00 UTC of the first record's day (scenario time for files
    written by :func:`encode_plots`), continued across midnight; ``sensor_id`` is
    ``SAC * 256 + SIC``.
    """

    sac: IntArray
    sic: IntArray
    time_of_day_s: FloatArray  # I048/140
    t: FloatArray
    typ: IntArray  # I048/020 TYP
    sim: IntArray  # I048/020 SIM
    tst: IntArray  # I048/020 TST (first extension), -1 without it
    range_m: FloatArray  # I048/040 RHO
    azimuth_rad: FloatArray  # I048/040 THETA, 0..2 pi clockwise from north
    mode3a: IntArray  # I048/070 code (print as f"{code:04o}")
    flight_level: FloatArray  # I048/090 FL
    flight_level_v: IntArray
    flight_level_g: IntArray
    plot_characteristics: dict[str, FloatArray]  # I048/130 SRL, SRR, SAM, PRL, PAM, RPD, APD
    aircraft_address: IntArray  # I048/220
    callsign: NDArray[np.str_]  # I048/240
    track_number: IntArray  # I048/161
    x_m: FloatArray  # I048/042
    y_m: FloatArray
    ground_speed_mps: FloatArray  # I048/200
    heading_rad: FloatArray
    height_3d_m: FloatArray  # I048/110
    elevation_rad: FloatArray  # SP (files written here)
    sigma_range_m: FloatArray
    sigma_azimuth_rad: FloatArray
    sigma_elevation_rad: FloatArray
    truth_id: IntArray

    def __len__(self) -> int:
        return int(self.sac.shape[0])

    @property
    def sensor_id(self) -> IntArray:
        return np.where(self.sac >= 0, self.sac * 256 + self.sic, -1)

    def take(self, index: ArrayLike) -> Cat048Reports:
        """The records at ``index`` (an index array, mask or slice)."""
        kw: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            kw[name] = {k: a[index] for k, a in v.items()} if isinstance(v, dict) else v[index]
        return Cat048Reports(**kw)

    @staticmethod
    def concat(parts: list[Cat048Reports]) -> Cat048Reports:
        kw: dict[str, Any] = {}
        for name in Cat048Reports.__dataclass_fields__:
            vals = [getattr(p, name) for p in parts]
            if isinstance(vals[0], dict):
                kw[name] = {k: np.concatenate([v[k] for v in vals]) for k in vals[0]}
            else:
                kw[name] = np.concatenate(vals)
        return Cat048Reports(**kw)


_CHARS = np.array(
    list(" ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "?" * 5 + " " + "?" * 15 + "0123456789" + "?" * 6)
)
_PLOT_CHARACTERISTICS = (  # I048/130 subfields: name, signed, scale
    ("SRL", False, 360.0 / 2**13),
    ("SRR", False, 1.0),
    ("SAM", True, 1.0),
    ("PRL", False, 360.0 / 2**13),
    ("PAM", True, 1.0),
    ("RPD", True, 1.0 / 256.0),
    ("APD", True, 360.0 / 2**14),
)


def _gather(buf: ByteArray, off: NDArray[np.int32], n: int) -> tuple[NDArray[np.bool_], IntArray]:
    """Presence of an item and its first ``n`` octets as one unsigned big-endian integer."""
    present = off >= 0
    o = off[present].astype(np.int64)
    v = np.zeros(o.shape[0], dtype=np.int64)
    for k in range(n):
        v = (v << 8) | buf[o + k]
    return present, v


def _signed(v: IntArray, bits: int) -> IntArray:
    v = v & ((1 << bits) - 1)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v)


def _fields(buf: ByteArray, offs: NDArray[np.int32]) -> dict[str, Any]:
    """Every decoded field of the records whose item offsets are ``offs`` (N, 28)."""
    n = offs.shape[0]

    def col(frn: int) -> NDArray[np.int32]:
        return offs[:, frn - 1]

    def filled(dtype: Any, value: Any) -> NDArray[Any]:
        return np.full(n, value, dtype=dtype)

    out: dict[str, Any] = {}
    p, v = _gather(buf, col(1), 2)
    out["sac"], out["sic"] = filled(np.int64, -1), filled(np.int64, -1)
    out["sac"][p], out["sic"][p] = v >> 8, v & 0xFF
    p, v = _gather(buf, col(2), 3)
    out["time_of_day_s"] = filled(np.float64, np.nan)
    out["time_of_day_s"][p] = v * _TOD_LSB
    p, v = _gather(buf, col(3), 1)
    out["typ"], out["sim"], out["tst"] = (filled(np.int64, -1) for _ in range(3))
    out["typ"][p], out["sim"][p] = v >> 5, (v >> 4) & 1
    ext = np.zeros(n, dtype=bool)
    ext[p] = (v & 1) == 1
    q, w = _gather(buf, np.where(ext, col(3) + 1, -1).astype(np.int32), 1)
    out["tst"][q] = w >> 7
    p, v = _gather(buf, col(4), 4)
    out["range_m"], out["azimuth_rad"] = filled(np.float64, np.nan), filled(np.float64, np.nan)
    out["range_m"][p] = (v >> 16) * _RHO_LSB_M
    out["azimuth_rad"][p] = np.radians((v & 0xFFFF) * _THETA_LSB_DEG)
    p, v = _gather(buf, col(5), 2)
    out["mode3a"] = filled(np.int64, -1)
    out["mode3a"][p] = v & 0x0FFF
    p, v = _gather(buf, col(6), 2)
    out["flight_level"] = filled(np.float64, np.nan)
    out["flight_level_v"], out["flight_level_g"] = filled(np.int64, -1), filled(np.int64, -1)
    out["flight_level"][p] = _signed(v, 14) * 0.25
    out["flight_level_v"][p], out["flight_level_g"][p] = v >> 15, (v >> 14) & 1
    # I048/130: one primary octet (7 subfields), each present subfield one octet
    o130 = col(7)
    p, prim = _gather(buf, o130, 1)
    chars: dict[str, FloatArray] = {}
    pos = np.where(p, o130 + 1, -1).astype(np.int64)
    for k, (name, signed, scale) in enumerate(_PLOT_CHARACTERISTICS):
        a = filled(np.float64, np.nan)
        has = np.zeros(n, dtype=bool)
        has[p] = (prim >> (7 - k)) & 1 == 1
        q, w = _gather(buf, np.where(has, pos, -1).astype(np.int32), 1)
        a[q] = (_signed(w, 8) if signed else w) * scale
        chars[name] = a
        pos = np.where(has, pos + 1, pos)
    out["plot_characteristics"] = chars
    p, v = _gather(buf, col(8), 3)
    out["aircraft_address"] = filled(np.int64, -1)
    out["aircraft_address"][p] = v
    p, v = _gather(buf, col(9), 6)
    out["callsign"] = filled("U8", "")
    if p.any():
        shifts = np.arange(42, -1, -6, dtype=np.int64)
        codes = (v[:, None] >> shifts) & 0x3F
        out["callsign"][p] = ["".join(r) for r in _CHARS[codes]]
    p, v = _gather(buf, col(11), 2)
    out["track_number"] = filled(np.int64, -1)
    out["track_number"][p] = v & 0x0FFF
    p, v = _gather(buf, col(12), 4)
    out["x_m"], out["y_m"] = filled(np.float64, np.nan), filled(np.float64, np.nan)
    out["x_m"][p] = _signed(v >> 16, 16) * NM / 128.0
    out["y_m"][p] = _signed(v, 16) * NM / 128.0
    p, v = _gather(buf, col(13), 4)
    out["ground_speed_mps"] = filled(np.float64, np.nan)
    out["heading_rad"] = filled(np.float64, np.nan)
    out["ground_speed_mps"][p] = (v >> 16) * NM / 2**14
    out["heading_rad"][p] = np.radians((v & 0xFFFF) * _THETA_LSB_DEG)
    p, v = _gather(buf, col(19), 2)
    out["height_3d_m"] = filled(np.float64, np.nan)
    out["height_3d_m"][p] = _signed(v, 14) * 25.0 * FT
    # SP: ours when it has our length, marker and version
    osp = col(27)
    p, head = _gather(buf, osp, 4)
    ours = np.zeros(n, dtype=bool)
    ours[p] = head == (_SP_LEN << 24 | _SP_MAGIC[0] << 16 | _SP_MAGIC[1] << 8 | _SP_VERSION)
    names = ("elevation_rad", "sigma_range_m", "sigma_azimuth_rad", "sigma_elevation_rad")
    for name in names:
        out[name] = filled(np.float64, np.nan)
    out["truth_id"] = filled(np.int64, -1)
    if ours.any():
        o = osp[ours].astype(np.int64)
        raw = buf[o[:, None] + np.arange(4, _SP_LEN)]
        with np.errstate(invalid="ignore"):  # a damaged field may hold signalling NaNs
            floats = np.ascontiguousarray(raw[:, :16]).view(">f4").astype(np.float64)
        for k, name in enumerate(names):
            out[name][ours] = floats[:, k]
        out["truth_id"][ours] = np.ascontiguousarray(raw[:, 16:20]).view(">i4")[:, 0]
    return out


@dataclass
class DecodeSummary:
    """What a decode met: CAT048 blocks and records decoded, and each skipped block."""

    blocks: int = 0
    records: int = 0
    bytes_read: int = 0
    #: Octets examined while resynchronising after a bad block header (table entries built
    #: and octets scanned): at most a few per octet read, however the garbage is made.
    resync_work: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    max_problems: int = 20

    @property
    def blocks_skipped(self) -> int:
        return sum(self.skipped.values())

    def add(self, offset: int, code: int, value: int) -> None:
        if code == EV_OTHER_CATEGORY:
            key, text = f"CAT{value:03d} blocks (not CAT048)", f"a CAT{value:03d} block"
        elif code == EV_BAD_LENGTH:
            key, text = "impossible block lengths", f"block length {value} (< 3)"
        elif code == EV_TRUNCATED:
            key, text = "truncated blocks", f"a block truncated at the end ({value} octets)"
        elif code == EV_MALFORMED:
            why = _RECORD_ERRORS.get(value, "records that do not parse")
            key, text = "malformed CAT048 blocks", f"a CAT048 block with {why}"
        else:
            key, text = "runs of unreadable bytes", f"{value} unreadable bytes"
        self.skipped[key] += 1
        if code != EV_OTHER_CATEGORY and len(self.problems) < self.max_problems:
            self.problems.append(f"byte {offset}: {text}, skipped")

    def lines(self) -> list[str]:
        """One line per problem (the first :attr:`max_problems`), then the counts."""
        out = list(self.problems)
        hidden = sum(n for k, n in self.skipped.items() if not k.startswith("CAT")) - len(
            self.problems
        )
        if hidden > 0:
            out.append(f"... and {hidden} more")
        if self.skipped:
            parts = ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items()))
            total = self.blocks + self.blocks_skipped
            out.append(f"skipped {self.blocks_skipped} of {total} blocks: {parts}")
        return out


class Cat048Decoder:
    """Decodes a stream of ASTERIX octets (a file read in pieces, or datagrams) into
    :class:`Cat048Reports`, never raising on bad input: see the module text.

    ``feed(data)`` returns the records of every block complete so far; ``finish()`` the rest
    (a block still incomplete at the end is truncated). ``summary`` counts blocks and
    records, and describes every skipped block.
    """

    def __init__(self) -> None:
        self.summary = DecodeSummary()
        self._pending = np.zeros(0, dtype=np.uint8)
        self._base = 0
        self._resync = False
        self._garbage = -1
        self._last_tod: float | None = None
        self._last_t = 0.0

    def feed(self, data: bytes | bytearray | memoryview | ByteArray) -> Cat048Reports:
        chunk = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
        self.summary.bytes_read += int(chunk.shape[0])
        buf = np.concatenate([self._pending, chunk]) if self._pending.shape[0] else chunk
        return self._walk(buf, final=False)

    def finish(self) -> Cat048Reports:
        return self._walk(self._pending, final=True)

    def datagram(self, data: bytes | bytearray | memoryview | ByteArray) -> Cat048Reports:
        """The records of one datagram: its blocks end with it (a block running past its end
        is truncated), and whatever a :meth:`feed` left incomplete is dropped first."""
        self._pending = np.zeros(0, dtype=np.uint8)
        self._resync, self._garbage = False, -1
        chunk = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
        self.summary.bytes_read += int(chunk.shape[0])
        return self._walk(chunk, final=True)

    def _walk(self, buf: ByteArray, *, final: bool) -> Cat048Reports:
        buf = np.ascontiguousarray(buf, dtype=np.uint8)
        state = (self._resync, self._garbage, self._base)
        consumed, offs, events, blocks, resync, garbage, work = _walk048(
            buf, final, *state, _KINDS, _LENS, _SUBS, _NSUBS
        )
        self.summary.resync_work += int(work)
        self._resync, self._garbage = bool(resync), int(garbage)
        for off, code, value in events.tolist():
            self.summary.add(int(off), int(code), int(value))
        self.summary.blocks += int(blocks)
        out = _fields(buf, offs)
        self._pending = buf[consumed:].copy()
        self._base += int(consumed)
        out["t"] = self._unwrap(out["time_of_day_s"])
        self.summary.records += int(offs.shape[0])
        return Cat048Reports(**out)

    def _unwrap(self, tod: FloatArray) -> FloatArray:
        """Seconds since 12:00 of the first record's day, each record within +-12 h of the
        one before it (continuing across midnight)."""
        t = np.full(tod.shape[0], np.nan)
        ok = np.isfinite(tod)
        if not ok.any():
            return t
        v = tod[ok]
        if self._last_tod is None:
            self._last_tod, self._last_t = float(v[0]), float(v[0]) - TOD_EPOCH_S
        prev = np.concatenate([[self._last_tod], v[:-1]])
        step = (v - prev + _DAY_S / 2) % _DAY_S - _DAY_S / 2
        t[ok] = self._last_t + np.cumsum(step)
        self._last_tod, self._last_t = float(v[-1]), float(t[ok][-1])
        return t


def decode_cat048(
    data: bytes | bytearray | memoryview | ByteArray,
) -> tuple[Cat048Reports, DecodeSummary]:
    """Every CAT048 record in ``data`` (data blocks back to back), and what was skipped."""
    dec = Cat048Decoder()
    parts = [dec.feed(data), dec.finish()]
    return Cat048Reports.concat(parts), dec.summary
