"""ASTERIX encoding: radar plots as CAT048 records and track updates as CAT062 records, in
data blocks (the package text, :mod:`airdefense.interop.asterix`, has the standards).

Encoding is vectorised (no per-record Python): every item's octets are built as one
(records, octets) array, records that carry the same items (one FSPEC) are stacked side by
side from those columns, and the records are packed into blocks.

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
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airdefense.geo import Frame
from airdefense.interop.asterix._edition import (
    _DAY_S,
    _RHO_LSB_M,
    _SP_LEN,
    _SP_MAGIC,
    _SP_VERSION,
    _THETA_LSB_DEG,
    _TOD_LSB,
    CAT048,
    CAT062,
    DEFAULT_SAC,
    FT,
    TOD_EPOCH_S,
    ByteArray,
    FloatArray,
    IntArray,
)

#: SIC of the CAT062 tracks (the tracker as a system).
DEFAULT_SYSTEM_SIC = 200
#: I062/015 service identification.
DEFAULT_SERVICE_ID = 1
#: Largest data block (the length field is two octets).
MAX_BLOCK_BYTES = 65_535
#: Largest datagram for UDP streaming (under a 1,500-byte Ethernet MTU less IP and UDP headers).
DATAGRAM_BYTES = 1_400
#: Records of one radar (or the tracks) within this many seconds share a block.
DEFAULT_BLOCK_S = 1.0

_LATLON_LSB_DEG = 180.0 / 2**25


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
