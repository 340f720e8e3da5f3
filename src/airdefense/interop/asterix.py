"""EUROCONTROL ASTERIX: a run's radar plots as CAT048 and its tracks as CAT062, and a CAT048 reader.

Standards and editions (each the edition CroatiaControl's ``asterix-decoder`` 0.7 describes in
its XML category definitions, so that a decoder we did not write checks every field):

- **CAT048 edition 1.21**, EUROCONTROL-SPEC-0149 part 4, "Transmission of Monoradar Target
  Reports": one record per radar plot.
- **CAT062 edition 1.18**, EUROCONTROL-SPEC-0149 part 9, "SDPS Track Messages": one record per
  track update.

A data block is the category octet, a two-octet length (the whole block, header included) and
records; each record is an FSPEC (one bit per field reference number of the category's user
application profile, UAP, seven per octet, the eighth bit an extension flag) followed by the
items it announces, in FRN order. Encoding is vectorised (no per-record Python): every item's
octets are built as one (records, octets) array, records that carry the same items (one FSPEC)
are stacked side by side from those columns, and the records are packed into blocks.

**CAT048 plot records** (UAP FRN in brackets):

- I048/010 [1] SAC/SIC: the fixed SAC :data:`DEFAULT_SAC` (0) and the radar's ``sensor_id``
  as SIC (0-255), so ``SAC * 256 + SIC`` is the run's sensor id;
- I048/140 [2] time of day, LSB 1/128 s: scenario time 0 is 12:00:00 UTC (the epoch the CZML
  export uses, 2000-01-01T12:00:00Z; a scenario has no calendar date), wrapping at midnight;
- I048/020 [3] target report descriptor: TYP 1 (single PSR detection: the simulated radars are
  primary radars), SIM 1 (simulated target report: no receiver may take these plots for live
  surveillance data; CAT062 tracks carry the same flag);
- I048/040 [4] measured position, slant range RHO (LSB 1/256 NM) and azimuth THETA (LSB
  360/2^16 deg, clockwise from north). The edition cannot express 256 NM (474.1 km) or more:
  plots that far are left out (:attr:`Encoded.omitted` counts them);
- I048/090 [6] flight level, LSB 1/4 FL (25 ft), from the height of the plot's measured position
  above the WGS-84 ellipsoid. A simulation has no barometric altitude: pressure altitude is
  taken as geometric height. Written where it is within the Mode C range (-1,000 to
  126,750 ft);
- I048/130 [7] radar plot characteristics: subfield PAM (amplitude of the primary plot, LSB
  1 dB) carries the plot's SNR in dB (the amplitude above the noise floor: the simulated radar
  has no absolute power calibration), clipped to -128..127;
- I048/110 [19] height measured by a 3D radar, LSB 25 ft, the same measured height, where it
  fits the item (within +-204,775 ft = 62.4 km);
- SP [27] special purpose field (optional, on by default): what the edition has no item for,
  so that a file written here is tracked exactly like the run's own plots: the measured
  elevation (rad), the range, azimuth and elevation standard deviations (m, rad, rad) as
  big-endian IEEE float32 and the truth id (int32, -1 for a false alarm; for scoring only),
  behind a length octet (24), the marker ``b"AD"`` and a layout version (1).

**CAT062 system track records**, one per track update (row of the ``tracks`` table):

- I062/010 [1] SAC/SIC: SAC 0 and SIC :data:`DEFAULT_SYSTEM_SIC` (200, the tracker);
- I062/015 [3] service identification 1;
- I062/070 [4] time of track information, LSB 1/128 s, the same clock as CAT048;
- I062/105 [5] WGS-84 latitude and longitude, LSB 180/2^25 deg;
- I062/100 [6] Cartesian position X, Y, LSB 0.5 m: east and north in the scenario's ENU frame,
  whose origin (``meta``) is the system reference point; the tangent plane, not the
  stereographic plane an operational SDPS uses (I062/105 is the exact position);
- I062/185 [7] Cartesian velocity Vx, Vy, LSB 0.25 m/s, east and north at the target's own
  position (the edition's note: the y axis points to geographical north at the target);
- I062/040 [12] track number (the track id modulo 2^16);
- I062/080 [13] track status, four octets: MON (one radar in the run), MRH 1 and SRC 2
  (geometric height from a 3D radar), CNF (tentative), SIM 1, TSB on a track's first message
  and TSE on its last, CST and PSR (coasting);
- I062/130 [18] geometric altitude above the ellipsoid, LSB 6.25 ft, where within the
  edition's -1,500 to 150,000 ft;
- I062/220 [20] rate of climb/descent, LSB 6.25 ft/min, where it fits the item;
- I062/500 [27] estimated accuracies: APC (position standard deviations along X and Y, LSB
  0.5 m, saturating at 32,767.5 m) and AGA (geometric altitude, LSB 6.25 ft, saturating at
  1,593.75 ft).

Values are rounded to the nearest LSB, so each is within half an LSB of what was meant.

Blocks hold one radar's plots (CAT048) or the track updates (CAT062) of one
:data:`DEFAULT_BLOCK_S` second window, split so no block exceeds ``max_bytes`` (65,535 for
files, :data:`DATAGRAM_BYTES` for UDP datagrams, one block per datagram).

**Reading CAT048** (:func:`decode_cat048`, :class:`Cat048Decoder`): blocks are walked by a
compiled (numba) kernel that finds every record's items through the edition's full UAP (fixed,
extended, repetitive, explicit and compound items), then every field is decoded for all records
at once with numpy. A block that is not CAT048, has an impossible length, is truncated, or
whose records do not parse exactly to its end is reported and skipped as a whole; after an
impossible header the reader resynchronises on the next CAT048 block that parses cleanly.
Nothing in the input can raise: every problem is counted in a :class:`DecodeSummary`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from airdefense.geo import Frame, ecef_to_geodetic, enu_rotation

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ByteArray = NDArray[np.uint8]

#: Category numbers.
CAT048 = 48
CAT062 = 62
#: Editions written and read (``asterix-decoder``'s definitions of the same editions).
CAT048_EDITION = "1.21"
CAT062_EDITION = "1.18"
#: SAC of every record written: with it ``SAC * 256 + SIC`` is the run's sensor id.
DEFAULT_SAC = 0
#: SIC of the CAT062 tracks (the tracker as a system).
DEFAULT_SYSTEM_SIC = 200
#: I062/015 service identification.
DEFAULT_SERVICE_ID = 1
#: Time of day of scenario time 0: 12:00:00 UTC (the CZML export's epoch 2000-01-01T12:00:00Z).
TOD_EPOCH_S = 43_200.0
#: Largest data block (the length field is two octets).
MAX_BLOCK_BYTES = 65_535
#: Largest datagram for UDP streaming (under a 1,500-byte Ethernet MTU less IP and UDP headers).
DATAGRAM_BYTES = 1_400
#: Records of one radar (or the tracks) within this many seconds share a block.
DEFAULT_BLOCK_S = 1.0

#: Tracking a CAT048 file without the SP field: the plot accuracies assumed (typical of a
#: surveillance radar; a stated assumption, CAT048 carries none).
DEFAULT_SIGMA_RANGE_M = 70.0
DEFAULT_SIGMA_AZIMUTH_RAD = math.radians(0.08)
#: ... the accuracy of a height from I048/110 or I048/090 (turned into an elevation sigma).
DEFAULT_SIGMA_HEIGHT_M = 300.0
#: ... and of a 2-D plot without height: elevation 0 with this (wide) standard deviation.
DEFAULT_SIGMA_ELEVATION_2D_RAD = 0.1

NM = 1852.0
FT = 0.3048
_DAY_S = 86_400.0
_TOD_LSB = 1.0 / 128.0
_RHO_LSB_M = NM / 256.0
_THETA_LSB_DEG = 360.0 / 65_536.0
_LATLON_LSB_DEG = 180.0 / 2**25
_SP_MAGIC = b"AD"
_SP_VERSION = 1
_SP_LEN = 24

_STATUS_CODES = {"tentative": 0, "confirmed": 1, "coasting": 2}


# ====================================================================================
# Encoding
# ====================================================================================


@dataclass(frozen=True)
class Encoded:
    """Data blocks of one category, back to back in :attr:`data`.

    Block ``i`` is ``data[start[i]:start[i] + length[i]]``; ``t`` is the scenario time of its
    latest record (when a stream may send it) and ``records`` the records it holds.
    ``omitted`` counts inputs left out (not expressible in the edition, or not finite).
    """

    category: int
    data: ByteArray
    start: IntArray
    length: IntArray
    t: FloatArray
    records: IntArray
    omitted: int = 0

    @property
    def n_records(self) -> int:
        return int(self.records.sum())

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def blocks(self) -> Iterator[bytes]:
        """Each data block as bytes, in order."""
        buf = self.data
        for s, n in zip(self.start.tolist(), self.length.tolist(), strict=True):
            yield buf[s : s + n].tobytes()

    def to_bytes(self) -> bytes:
        """All blocks, back to back (a raw ASTERIX file)."""
        return self.data.tobytes()


@dataclass(frozen=True)
class _Item:
    frn: int
    data: ByteArray  # (N, L) octets of every record (rows where absent are ignored)
    present: NDArray[np.bool_] | None  # None: in every record


def _be(values: ArrayLike, n: int) -> ByteArray:
    """Integers as ``n`` big-endian octets each (two's complement for negatives): (N, n)."""
    v = np.asarray(values, dtype=np.int64).astype(">i8")
    return v.view(np.uint8).reshape(-1, 8)[:, 8 - n :]


def _pack(fields: list[IntArray], bits: int) -> IntArray:
    """Integers side by side, ``bits`` each (two's complement), the first the most significant."""
    out = np.zeros(fields[0].shape[0], dtype=np.int64)
    mask = (1 << bits) - 1
    for f in fields:
        out = (out << bits) | (f & mask)
    return out


def _f4(values: ArrayLike) -> ByteArray:
    """Big-endian IEEE float32 octets, (N, 4)."""
    return np.ascontiguousarray(np.asarray(values, dtype=">f4")).view(np.uint8).reshape(-1, 4)


def _i4(values: ArrayLike) -> ByteArray:
    return np.ascontiguousarray(np.asarray(values, dtype=">i4")).view(np.uint8).reshape(-1, 4)


def _const(octets: bytes | list[int], n: int) -> ByteArray:
    row = np.frombuffer(bytes(octets), dtype=np.uint8)
    return np.broadcast_to(row, (n, row.shape[0]))


def _round(x: FloatArray) -> IntArray:
    """Nearest integer (half away from zero), NaN/inf as 0 (callers mask them out)."""
    y = np.where(np.isfinite(x), x, 0.0)
    return np.trunc(y + np.copysign(0.5, y)).astype(np.int64)


def _block_starts(rec_len: IntArray, group: IntArray, capacity: int) -> IntArray:
    """First record of each block: a new block at every change of ``group`` and wherever the
    records would exceed ``capacity`` octets (greedy, in order, within a group)."""
    n = rec_len.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if int(rec_len.max()) > capacity:
        raise ValueError(f"a record of {int(rec_len.max())} octets exceeds the block capacity")
    first = np.concatenate([[0], np.flatnonzero(np.diff(group)) + 1]).astype(np.int64)
    size = np.add.reduceat(rec_len, first)
    if (size <= capacity).all():
        return first
    cum = np.concatenate([[0], np.cumsum(rec_len)])
    ends = np.concatenate([first[1:], [n]])
    starts: list[int] = []
    for a, b, big in zip(first.tolist(), ends.tolist(), (size > capacity).tolist(), strict=True):
        s = a
        while s < b:
            starts.append(s)
            if not big:
                break
            s = min(int(np.searchsorted(cum, cum[s] + capacity, side="right")) - 1, b)
    return np.asarray(starts, dtype=np.int64)


def _fspec(frns: list[int]) -> bytes:
    """The FSPEC announcing items ``frns``: seven FRNs an octet, FX set on all but the last."""
    n = max((f - 1) // 7 for f in frns) + 1
    octets = bytearray(n)
    for f in frns:
        octets[(f - 1) // 7] |= 0x80 >> ((f - 1) % 7)
    for j in range(n - 1):
        octets[j] |= 0x01
    return bytes(octets)


def _assemble(
    category: int,
    items: list[_Item],
    group: IntArray,
    rec_t: FloatArray,
    max_bytes: int,
    omitted: int,
) -> Encoded:
    """Records from their items (FSPEC in front), cut into blocks; all vectorised.

    Records that carry the same items share one layout (FSPEC and item offsets): each layout's
    records are built as one (rows, octets) matrix by stacking the items' octet columns, the
    matrices are packed into the record stream, and block headers are placed in front of each
    block's records."""
    if not 3 < max_bytes <= MAX_BLOCK_BYTES:
        raise ValueError(f"max_bytes must be 4..{MAX_BLOCK_BYTES} (got {max_bytes})")
    n = group.shape[0]
    items = sorted(items, key=lambda it: it.frn)
    code = np.zeros(n, dtype=np.int64)
    for k, it in enumerate(items):
        if it.present is None:
            code |= 1 << k
        else:
            code |= it.present.astype(np.int64) << k
    if n and code.min() == code.max():
        layouts, which = code[:1], np.zeros(n, dtype=np.int64)
    else:
        layouts, which = np.unique(code, return_inverse=True)
        which = which.reshape(-1)
    widths = [it.data.shape[1] for it in items]
    parts = []
    lengths = np.zeros(len(layouts), dtype=np.int64)
    for j, lay in enumerate(layouts.tolist()):
        chosen = [k for k in range(len(items)) if lay >> k & 1]
        head = _fspec([items[k].frn for k in chosen])
        lengths[j] = len(head) + sum(widths[k] for k in chosen)
        parts.append((head, chosen))
    rec_len = lengths[which]
    width = int(lengths.max()) if n else 0
    matrix = np.zeros((n, width), dtype=np.uint8) if len(layouts) > 1 else None
    for j, (head, chosen) in enumerate(parts):
        rows = None if matrix is None else np.flatnonzero(which == j)
        m = n if rows is None else rows.shape[0]
        cols = [np.broadcast_to(np.frombuffer(head, dtype=np.uint8), (m, len(head)))]
        cols += [items[k].data if rows is None else items[k].data[rows] for k in chosen]
        stacked = np.hstack(cols)
        if matrix is None:
            matrix = stacked  # one layout: every record is a full row
        else:
            matrix[rows, : stacked.shape[1]] = stacked
    if matrix is None:
        stream = np.zeros(0, dtype=np.uint8)
    elif len(layouts) == 1:
        stream = matrix.reshape(-1)
    else:  # records back to back, in order
        stream = matrix[np.arange(width) < rec_len[:, None]]
    starts = _block_starts(rec_len, group, max_bytes - 3)
    nb = starts.shape[0]
    counts = np.diff(np.concatenate([starts, [n]]))
    block_len = np.add.reduceat(rec_len, starts) + 3 if nb else np.zeros(0, np.int64)
    block_start = (np.cumsum(block_len) - block_len).astype(np.int64)
    total = int(block_len.sum())
    out = np.empty(total, dtype=np.uint8)
    header = np.zeros(total, dtype=bool)
    for k in range(3):
        header[block_start + k] = True
    out[~header] = stream
    out[block_start] = category
    out[block_start + 1] = block_len >> 8
    out[block_start + 2] = block_len & 0xFF
    block_t = np.maximum.reduceat(rec_t, starts) if nb else np.zeros(0)
    return Encoded(category, out, block_start, block_len, block_t, counts, omitted)


def _time_of_day_raw(t: FloatArray) -> IntArray:
    return _round((TOD_EPOCH_S + t) / _TOD_LSB) % int(_DAY_S / _TOD_LSB)


def _groups(t: FloatArray, source: IntArray, block_s: float) -> tuple[IntArray, IntArray]:
    """Record order (window, source, time) and a group number per record in that order."""
    if not block_s > 0:
        raise ValueError(f"block_s must be > 0 (got {block_s})")
    window = np.floor(t / block_s).astype(np.int64)
    if t.shape[0] and (source == source[0]).all():
        in_order = bool((t[1:] >= t[:-1]).all())
        order = np.arange(t.shape[0]) if in_order else np.argsort(t, kind="stable")
    else:
        order = np.lexsort((t, source, window))
    w, s = window[order], source[order]
    change = np.concatenate([[True], (np.diff(w) != 0) | (np.diff(s) != 0)])[: t.shape[0]]
    return order, np.cumsum(change) - 1


def _opt(values: ArrayLike | None, n: int, name: str) -> FloatArray | None:
    if values is None:
        return None
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    if a.shape[0] != n:
        raise ValueError(f"{name}: {a.shape[0]} values for {n} plots")
    return a


def encode_plots(
    t: ArrayLike,
    sensor_id: ArrayLike,
    range_m: ArrayLike,
    azimuth_rad: ArrayLike,
    *,
    height_m: ArrayLike | None = None,
    snr_db: ArrayLike | None = None,
    elevation_rad: ArrayLike | None = None,
    sigma_range_m: ArrayLike | None = None,
    sigma_azimuth_rad: ArrayLike | None = None,
    sigma_elevation_rad: ArrayLike | None = None,
    truth_id: ArrayLike | None = None,
    sac: int = DEFAULT_SAC,
    max_bytes: int = MAX_BLOCK_BYTES,
    block_s: float = DEFAULT_BLOCK_S,
) -> Encoded:
    """Radar plots as CAT048 (edition 1.21) monoradar target reports; see the module text.

    ``t`` scenario seconds, ``sensor_id`` 0-255 (the SIC), slant ``range_m``, ``azimuth_rad``
    clockwise from north; optional ``height_m`` above the ellipsoid (I048/090 and I048/110),
    ``snr_db`` (I048/130 PAM). Given ``elevation_rad`` and the three sigmas, every record also
    carries the SP field (with ``truth_id``, default -1). Records are ordered by
    :data:`DEFAULT_BLOCK_S` window, radar and time; each block holds one radar's window.
    """
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    n = t.shape[0]
    sid = np.asarray(sensor_id, dtype=np.int64).reshape(-1)
    rng = _opt(range_m, n, "range_m")
    az = _opt(azimuth_rad, n, "azimuth_rad")
    assert rng is not None and az is not None
    if sid.shape[0] != n:
        raise ValueError(f"sensor_id: {sid.shape[0]} values for {n} plots")
    if n and (sid.min() < 0 or sid.max() > 255):
        raise ValueError("sensor_id: must be 0..255 (it is written as the SIC)")
    if not 0 <= sac <= 255:
        raise ValueError(f"sac: must be 0..255 (got {sac})")
    height = _opt(height_m, n, "height_m")
    snr = _opt(snr_db, n, "snr_db")
    extras = [elevation_rad, sigma_range_m, sigma_azimuth_rad, sigma_elevation_rad]
    if any(e is not None for e in extras) and any(e is None for e in extras):
        raise ValueError("the SP field needs elevation_rad and all three sigmas")
    rho = _round(rng / _RHO_LSB_M)
    keep = np.isfinite(t) & np.isfinite(rng) & np.isfinite(az) & (rng >= 0) & (rho <= 0xFFFF)
    omitted = int(n - keep.sum())
    idx = np.flatnonzero(keep)
    order, group = _groups(t[idx], sid[idx], block_s)
    sel = idx[order]
    m = sel.shape[0]
    tt = t[sel]
    theta = _round(np.degrees(az[sel]) / _THETA_LSB_DEG) % 65_536
    items = [
        _Item(1, _const([sac, 0], m).copy(), None),
        _Item(2, _be(_time_of_day_raw(tt), 3), None),
        _Item(3, _const([0x30], m), None),  # TYP 1 single PSR, SIM 1
        _Item(4, _be((rho[sel] << 16) | theta, 4), None),
    ]
    items[0].data[:, 1] = sid[sel]
    if height is not None:
        h = height[sel]
        ft = h / FT
        fl_raw = _round(ft / 25.0)
        fl_ok = np.isfinite(h) & (ft >= -1000.0) & (ft <= 126_750.0)
        items.append(_Item(6, _be(fl_raw & 0x3FFF, 2), fl_ok))
        h3_ok = np.isfinite(h) & (fl_raw >= -8192) & (fl_raw <= 8191)
        items.append(_Item(19, _be(fl_raw & 0x3FFF, 2), h3_ok))
    if snr is not None:
        s = snr[sel]
        pam = np.clip(_round(s), -128, 127) & 0xFF
        data = np.empty((m, 2), dtype=np.uint8)
        data[:, 0] = 0x08  # primary subfield: PAM present
        data[:, 1] = pam
        items.append(_Item(7, data, np.isfinite(s)))
    if elevation_rad is not None:
        parts = [_opt(e, n, "extras") for e in extras]
        truth = (
            np.full(n, -1, dtype=np.int64)
            if truth_id is None
            else np.asarray(truth_id, dtype=np.int64).reshape(-1)
        )
        sp = np.empty((m, _SP_LEN), dtype=np.uint8)
        sp[:, 0] = _SP_LEN
        sp[:, 1:3] = np.frombuffer(_SP_MAGIC, dtype=np.uint8)
        sp[:, 3] = _SP_VERSION
        for k, p in enumerate(parts):
            assert p is not None
            sp[:, 4 + 4 * k : 8 + 4 * k] = _f4(p[sel])
        sp[:, 20:24] = _i4(np.clip(truth[sel], -(2**31), 2**31 - 1))
        items.append(_Item(27, sp, None))
    return _assemble(CAT048, items, group, tt, max_bytes, omitted)


def _local_velocity(frame: Frame, vel: FloatArray, lat: FloatArray, lon: FloatArray) -> FloatArray:
    """ENU velocities of the frame to east/north/up at each target's own position."""
    v = frame.vector_to_ecef(vel)
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    east = -so * v[:, 0] + co * v[:, 1]
    north = -sl * co * v[:, 0] - sl * so * v[:, 1] + cl * v[:, 2]
    up = cl * co * v[:, 0] + cl * so * v[:, 1] + sl * v[:, 2]
    return np.column_stack([east, north, up])


def encode_tracks(
    t: ArrayLike,
    track_id: ArrayLike,
    position_enu: ArrayLike,
    velocity_enu: ArrayLike,
    status: ArrayLike,
    sigma_enu: ArrayLike,
    frame: Frame,
    *,
    monosensor: bool = False,
    sac: int = DEFAULT_SAC,
    sic: int = DEFAULT_SYSTEM_SIC,
    service_id: int = DEFAULT_SERVICE_ID,
    max_bytes: int = MAX_BLOCK_BYTES,
    block_s: float = DEFAULT_BLOCK_S,
) -> Encoded:
    """Track updates as CAT062 (edition 1.18) system track records; see the module text.

    ``position_enu``, ``velocity_enu`` and ``sigma_enu`` (position standard deviations) are
    (N, 3) in ``frame``; ``status`` holds codes 0 tentative, 1 confirmed, 2 coasting. A track's
    first update (in time) gets TSB, its last TSE. Records are in time order, a block per
    :data:`DEFAULT_BLOCK_S` window.
    """
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    n = t.shape[0]
    tid = np.asarray(track_id, dtype=np.int64).reshape(-1)
    pos = np.asarray(position_enu, dtype=np.float64).reshape(n, 3)
    vel = np.asarray(velocity_enu, dtype=np.float64).reshape(n, 3)
    sig = np.asarray(sigma_enu, dtype=np.float64).reshape(n, 3)
    st = np.asarray(status, dtype=np.int64).reshape(-1)
    for name, v in (("sac", sac), ("sic", sic), ("service_id", service_id)):
        if not 0 <= v <= 255:
            raise ValueError(f"{name}: must be 0..255 (got {v})")
    keep = np.isfinite(t) & np.isfinite(pos).all(axis=1) & np.isfinite(vel).all(axis=1)
    omitted = int(n - keep.sum())
    idx = np.flatnonzero(keep)
    order, group = _groups(t[idx], np.zeros(idx.shape[0], dtype=np.int64), block_s)
    sel = idx[order]
    m = sel.shape[0]
    tt, tid, pos, vel, sig, st = t[sel], tid[sel], pos[sel], vel[sel], sig[sel], st[sel]
    first = np.zeros(m, dtype=bool)
    last = np.zeros(m, dtype=bool)
    if m:  # each track's first and last update, in time order
        by_track = np.argsort(tid, kind="stable")
        change = np.flatnonzero(np.diff(tid[by_track])) + 1
        first[by_track[np.concatenate([[0], change])]] = True
        last[by_track[np.concatenate([change - 1, [m - 1]])]] = True
    lat, lon, h = frame.enu_to_geodetic(pos)
    lat_deg, lon_deg = np.degrees(lat), (np.degrees(lon) + 180.0) % 360.0 - 180.0
    local = _local_velocity(frame, vel, lat, lon)

    items = [
        _Item(1, _const([sac, sic], m), None),
        _Item(3, _const([service_id], m), None),
        _Item(4, _be(_time_of_day_raw(tt), 3), None),
        _Item(
            5, _be(_pack([_round(d / _LATLON_LSB_DEG) for d in (lat_deg, lon_deg)], 32), 8), None
        ),
        _Item(12, _be(tid & 0xFFFF, 2), None),
    ]
    xy = _round(pos[:, :2] / 0.5)
    xy_ok = (np.abs(xy) <= 0x7FFFFF).all(axis=1)
    items.append(_Item(6, _be(_pack([xy[:, 0], xy[:, 1]], 24), 6), xy_ok))
    v = _round(local[:, :2] / 0.25)
    v_ok = ((v >= -32768) & (v <= 32767)).all(axis=1)
    items.append(_Item(7, _be(_pack([v[:, 0], v[:, 1]], 16), 4), v_ok))
    ts = np.empty((m, 4), dtype=np.uint8)
    # MON, MRH geometric, SRC 3D radar, CNF, FX | SIM, TSE, TSB, FX | FX | CST, PSR
    ts[:, 0] = (0x80 if monosensor else 0) | 0x20 | (2 << 2) | np.where(st == 0, 0x02, 0) | 0x01
    ts[:, 1] = 0x80 | np.where(last, 0x40, 0) | np.where(first, 0x20, 0) | 0x01
    ts[:, 2] = 0x01
    ts[:, 3] = np.where(st == 2, 0xC0, 0)
    items.append(_Item(13, ts, None))
    ft = h / FT
    alt_ok = np.isfinite(ft) & (ft >= -1500.0) & (ft <= 150_000.0)
    items.append(_Item(18, _be(_round(ft / 6.25), 2), alt_ok))
    roc = _round(local[:, 2] / FT * 60.0 / 6.25)
    items.append(_Item(20, _be(roc, 2), (roc >= -32768) & (roc <= 32767)))
    acc = np.empty((m, 6), dtype=np.uint8)
    acc[:, 0] = 0x90  # APC and AGA present
    acc[:, 1:3] = _be(np.clip(_round(sig[:, 0] / 0.5), 0, 0xFFFF), 2)
    acc[:, 3:5] = _be(np.clip(_round(sig[:, 1] / 0.5), 0, 0xFFFF), 2)
    acc[:, 5] = np.clip(_round(sig[:, 2] / FT / 6.25), 0, 0xFF)
    items.append(_Item(27, acc, np.isfinite(sig).all(axis=1) & (sig >= 0).all(axis=1)))
    return _assemble(CAT062, items, group, tt, max_bytes, omitted)


# ====================================================================================
# A run's plots and tracks
# ====================================================================================

#: File names written by :func:`write_asterix`.
PLOTS_NAME = "plots.cat048.ast"
TRACKS_NAME = "tracks.cat062.ast"
SITES_NAME = "tracker-sites.yaml"


@dataclass(frozen=True)
class RunAsterix:
    """A run encoded: its plots (CAT048), its tracks (CAT062), and what a tracker needs to
    read the plots back (the frame origin and each radar's antenna site, ENU m, and scan
    period)."""

    plots: Encoded
    tracks: Encoded
    origin: tuple[float, float, float]
    sites: dict[int, tuple[float, float, float, float]]


def _fetch(con: Any, sql: str) -> dict[str, NDArray[Any]]:
    table = con.sql(sql).to_arrow_table()
    return {n: table[n].to_numpy(zero_copy_only=False) for n in table.column_names}


def _meta_origin(con: Any) -> tuple[float, float, float]:
    meta = {str(k): str(v) for k, v in con.sql("SELECT key, value FROM meta").fetchall()}
    out = []
    for key, default in (("origin_lat_deg", None), ("origin_lon_deg", None), ("origin_alt_m", 0.0)):
        try:
            value = float(meta[key])
        except (KeyError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            if default is None:
                from airdefense.record.export import ExportError

                raise ExportError(f"run database: meta has no usable {key} (the frame origin)")
            value = default
        out.append(value)
    return out[0], out[1], out[2]


def encode_run(
    db: str | Path,
    *,
    sac: int = DEFAULT_SAC,
    max_bytes: int = MAX_BLOCK_BYTES,
    block_s: float = DEFAULT_BLOCK_S,
    special: bool = True,
) -> RunAsterix:
    """Read a run database (read-only) and encode every plot (``detections``) as CAT048 and
    every track update (``tracks``) as CAT062. ``special``: write the CAT048 SP field."""
    import duckdb

    from airdefense.record.export import ExportError

    with duckdb.connect(str(db), read_only=True) as con:
        present = {
            str(r[0])
            for r in con.sql(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
            ).fetchall()
        }
        missing = [n for n in ("meta", "sensors", "detections", "tracks") if n not in present]
        if missing:
            raise ExportError(f"{db}: not a complete run database (no {', '.join(missing)} table)")
        origin = _meta_origin(con)
        frame = Frame.from_degrees(*origin)
        sensors = _fetch(con, "SELECT sensor_id, x, y, z, scan_period_s FROM sensors")
        bad = [int(s) for s in sensors["sensor_id"] if not 0 <= int(s) <= 255]
        if bad:
            raise ExportError(
                f"{db}: sensor ids {bad} do not fit the 8-bit SIC of ASTERIX (0..255)"
            )
        det = _fetch(
            con,
            "SELECT t, sensor_id, range_m, azimuth_rad, elevation_rad, sigma_range_m, "
            "sigma_azimuth_rad, sigma_elevation_rad, snr_db, x, y, z, truth_id "
            "FROM detections ORDER BY t, sensor_id",
        )
        trk = _fetch(
            con,
            "SELECT t, track_id, x, y, z, vx, vy, vz, status, sx, sy, sz "
            "FROM tracks ORDER BY t, track_id",
        )
    f64 = {k: np.asarray(v, dtype=np.float64) for k, v in det.items() if k != "sensor_id"}
    height = (
        frame.height_m(np.column_stack([f64["x"], f64["y"], f64["z"]]))
        if f64["t"].shape[0]
        else np.zeros(0)
    )
    extra: dict[str, Any] = {}
    if special:
        extra = {
            "elevation_rad": f64["elevation_rad"],
            "sigma_range_m": f64["sigma_range_m"],
            "sigma_azimuth_rad": f64["sigma_azimuth_rad"],
            "sigma_elevation_rad": f64["sigma_elevation_rad"],
            "truth_id": np.asarray(det["truth_id"], dtype=np.int64),
        }
    plots = encode_plots(
        f64["t"],
        np.asarray(det["sensor_id"], dtype=np.int64),
        f64["range_m"],
        f64["azimuth_rad"],
        height_m=height,
        snr_db=f64["snr_db"],
        sac=sac,
        max_bytes=max_bytes,
        block_s=block_s,
        **extra,
    )
    status = np.array([_STATUS_CODES.get(str(s), 1) for s in trk["status"]], dtype=np.int64)
    col = {k: np.asarray(trk[k], dtype=np.float64) for k in trk if k != "status"}
    tracks = encode_tracks(
        col["t"],
        col["track_id"].astype(np.int64),
        np.column_stack([col["x"], col["y"], col["z"]]),
        np.column_stack([col["vx"], col["vy"], col["vz"]]),
        status,
        np.column_stack([col["sx"], col["sy"], col["sz"]]),
        frame,
        monosensor=len(sensors["sensor_id"]) == 1,
        sac=sac,
        max_bytes=max_bytes,
        block_s=block_s,
    )
    sites = {
        int(s): (float(x), float(y), float(z), float(p))
        for s, x, y, z, p in zip(
            sensors["sensor_id"],
            sensors["x"],
            sensors["y"],
            sensors["z"],
            sensors["scan_period_s"],
            strict=True,
        )
    }
    return RunAsterix(plots, tracks, origin, sites)


def sites_yaml(run: RunAsterix, sac: int = DEFAULT_SAC) -> str:
    """A tracker config (``airdefense track --config``) placing each radar of the run under
    the sensor id its CAT048 records carry (``SAC * 256 + SIC``)."""
    lat, lon, alt = run.origin
    lines = [
        "# Tracker config for the run's CAT048 plots (airdefense track PLOTS.ast --config THIS):",
        "# the frame origin and each radar's antenna in it (ENU m), keyed by SAC * 256 + SIC.",
        f"origin: {{lat_deg: {lat!r}, lon_deg: {lon!r}, alt_m: {alt!r}}}",
        "sensors:",
    ]
    for sid, (x, y, z, period) in sorted(run.sites.items()):
        rev = f", revisit_s: {period!r}" if math.isfinite(period) and period > 0 else ""
        lines.append(f"  {sac * 256 + sid}: {{east_m: {x!r}, north_m: {y!r}, up_m: {z!r}{rev}}}")
    if not run.sites:
        lines[-1] = "sensors: {}"
    return "\n".join(lines) + "\n"


def write_asterix(db: Path, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Export writer (``airdefense export RUN_DIR --format asterix``): ``plots.cat048.ast``
    (every plot, CAT048 data blocks back to back), ``tracks.cat062.ast`` (every track update,
    CAT062) and ``tracker-sites.yaml`` (a tracker config to track the plots file with)."""
    from airdefense.record.export import OutputFiles

    files = OutputFiles(out_dir, [PLOTS_NAME, TRACKS_NAME, SITES_NAME], force=force)
    run = encode_run(db)
    with files:
        files.tmp(PLOTS_NAME).write_bytes(run.plots.to_bytes())
        files.tmp(TRACKS_NAME).write_bytes(run.tracks.to_bytes())
        files.tmp(SITES_NAME).write_text(sites_yaml(run), encoding="utf-8")
    return files.paths


def asterix_datagrams(
    run_dir: str | Path,
    *,
    max_bytes: int = DATAGRAM_BYTES,
    sac: int = DEFAULT_SAC,
) -> Iterator[tuple[float, bytes]]:
    """A run's plots (CAT048) and tracks (CAT062) as UDP payloads in time order: ``(t, data)``
    with ``t`` the scenario time (s) of the latest record in the datagram (when to send it)
    and ``data`` one data block of at most ``max_bytes`` octets. Plots come before tracks of
    the same time. The run is read and encoded when this is called (it raises
    :class:`airdefense.record.export.ExportError` at once for a directory that is not a run);
    the datagrams are then handed out one by one."""
    from airdefense.record.export import run_database

    run = encode_run(run_database(Path(run_dir)), sac=sac, max_bytes=max_bytes)
    enc = [run.plots, run.tracks]
    t = np.concatenate([e.t for e in enc])
    kind = np.concatenate([np.full(len(e), k) for k, e in enumerate(enc)])
    index = np.concatenate([np.arange(len(e)) for e in enc])
    order = np.lexsort((index, kind, t))

    def datagrams() -> Iterator[tuple[float, bytes]]:
        for i in order.tolist():
            e = enc[int(kind[i])]
            s, n = int(e.start[index[i]]), int(e.length[index[i]])
            yield float(t[i]), e.data[s : s + n].tobytes()

    return datagrams()


# ====================================================================================
# Decoding CAT048
# ====================================================================================

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


@njit(cache=True, nogil=True)
def _walk048(buf, final, resync, garbage_start, base, kinds, lens, subs, nsubs):  # pragma: no cover
    """Walk data blocks in ``buf`` (its first octet at file offset ``base``).

    Returns (consumed, item offsets per record (-1 absent), events (offset, code, value),
    CAT048 blocks decoded, resync, garbage_start). Stops before a block that runs past the
    buffer unless ``final``; ``resync``: look for the next CAT048 block that parses cleanly.
    """
    n = buf.shape[0]
    cap = 1024
    offs = np.full((cap, 28), -1, dtype=np.int32)
    nrec = 0
    ev = np.zeros((64, 3), dtype=np.int64)
    nev = 0
    blocks = 0
    p = 0
    while True:
        if nev + 2 >= ev.shape[0]:
            ev2 = np.zeros((ev.shape[0] * 2, 3), dtype=np.int64)
            ev2[:nev] = ev[:nev]
            ev = ev2
        if resync:
            stop = False
            while p + 3 <= n:
                if buf[p] == 48:
                    length = int(buf[p + 1]) * 256 + int(buf[p + 2])
                    if length >= 3:
                        if p + length > n:
                            if not final:
                                stop = True
                                break
                        elif (
                            _parse_block(buf, p, length, offs, 0, False, kinds, lens, subs, nsubs)
                            >= 0
                        ):
                            break
                p += 1
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
    return p, offs[:nrec], ev[:nev], blocks, resync, garbage_start


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
        consumed, offs, events, blocks, resync, garbage = _walk048(
            buf, final, *state, _KINDS, _LENS, _SUBS, _NSUBS
        )
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


def elevation_from_height(
    range_m: ArrayLike,
    azimuth_rad: ArrayLike,
    height_m: ArrayLike,
    site_enu: ArrayLike,
    frame: Frame | None,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Elevation angles (rad, in the radar's local level frame) at which targets seen at
    slant ``range_m`` and ``azimuth_rad`` from the radar at ``site_enu`` are ``height_m``
    above the WGS-84 ellipsoid; exact (Newton's method on the ellipsoidal height, from the
    spherical-Earth solution). Without a ``frame`` the ENU frame is flat and the height is
    its up coordinate. Also returns where a solution exists."""
    r = np.asarray(range_m, dtype=np.float64)
    az = np.asarray(azimuth_rad, dtype=np.float64)
    h = np.asarray(height_m, dtype=np.float64)
    s = np.asarray(site_enu, dtype=np.float64).reshape(3)
    with np.errstate(invalid="ignore", divide="ignore"):
        if frame is None:
            sin_el = (h - s[2]) / r
            ok = np.isfinite(sin_el) & (np.abs(sin_el) <= 1.0)
            return np.arcsin(np.clip(np.nan_to_num(sin_el), -1.0, 1.0)), ok
        site_ecef = frame.enu_to_ecef(s)
        lat, lon, hs = ecef_to_geodetic(site_ecef)
        rot = enu_rotation(lat, lon)
        earth = 6_371_000.0
        sin0 = ((earth + h) ** 2 - (earth + hs) ** 2 - r**2) / (2.0 * r * (earth + hs))
        el = np.arcsin(np.clip(np.nan_to_num(sin0), -1.0, 1.0))

        def height(e: FloatArray) -> FloatArray:
            ce = np.cos(e)
            local = np.stack([ce * np.sin(az), ce * np.cos(az), np.sin(e)], axis=-1)
            return ecef_to_geodetic(site_ecef + (r[..., None] * local) @ rot)[2]

        step = 1e-6
        for _ in range(6):
            f = height(el) - h
            d = (height(el + step) - (f + h)) / step
            el = np.clip(el - np.where(d != 0, f / d, 0.0), -np.pi / 2, np.pi / 2)
        ok = np.isfinite(r) & np.isfinite(h) & (r > 0) & (np.abs(height(el) - h) < 0.5)
    return el, ok


__all__ = [
    "CAT048",
    "CAT062",
    "Cat048Decoder",
    "Cat048Reports",
    "DecodeSummary",
    "Encoded",
    "RunAsterix",
    "asterix_datagrams",
    "decode_cat048",
    "elevation_from_height",
    "encode_plots",
    "encode_run",
    "encode_tracks",
    "write_asterix",
]
