"""The CAT048 reader on malformed input: never an exception, bad blocks skipped one by one and
counted, good blocks around them decoded as if nothing had happened; resynchronising after a
bad header linear in the octets skipped; mutants of a valid file tracked by ``airdefense
track``'s reader and tracker without a crash (plots whose accuracies the tracker cannot use
skipped and counted); and the round trip of arbitrary plots within one LSB of each item."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airdefense.errors import AirdefenseError
from airdefense.interop import asterix as ax
from airdefense.interop.asterix import decode as dec
from airdefense.interop.asterix._edition import _SP_LEN, _SP_MAGIC, _SP_VERSION
from airdefense.interop.asterix.plots import AsterixPlotsReader
from airdefense.tracking.config import TrackerConfig
from airdefense.tracking.tracker import Tracker

NM, FT = 1852.0, 0.3048
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_file(n: int = 60, seed: int = 0, special: bool = True) -> ax.Encoded:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 20, n))
    extra = {}
    if special:
        extra = {
            "elevation_rad": rng.uniform(0, 0.3, n),
            "sigma_range_m": rng.uniform(10, 100, n),
            "sigma_azimuth_rad": rng.uniform(1e-4, 1e-2, n),
            "sigma_elevation_rad": rng.uniform(1e-4, 1e-2, n),
            "truth_id": rng.integers(-1, 50, n),
        }
    return ax.encode_plots(
        t, rng.integers(0, 3, n), rng.uniform(1e3, 4e5, n), rng.uniform(0, 2 * np.pi, n),
        height_m=rng.uniform(-100, 2e4, n), snr_db=rng.uniform(0, 40, n), **extra,
    )  # fmt: skip


VALID = _valid_file()
VALID_BYTES = VALID.to_bytes()
REFERENCE, _ = ax.decode_cat048(VALID_BYTES)


def _check_summary(reports: ax.Cat048Reports, summary: ax.DecodeSummary) -> None:
    assert summary.records == len(reports)
    assert summary.blocks_skipped == sum(summary.skipped.values())
    assert all("\n" not in line for line in summary.lines())


def _same_records(a: ax.Cat048Reports, b: ax.Cat048Reports) -> None:
    assert len(a) == len(b)
    for name in ("sac", "sic", "typ", "sim", "truth_id", "mode3a"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in ("time_of_day_s", "range_m", "azimuth_rad", "flight_level", "height_3d_m",
                 "elevation_rad", "sigma_range_m"):  # fmt: skip
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@FUZZ
@given(st.binary(max_size=2_000))
def test_garbage_never_raises(data: bytes) -> None:
    reports, summary = ax.decode_cat048(data)
    _check_summary(reports, summary)


@FUZZ
@given(st.binary(min_size=1, max_size=400).map(lambda b: b"\x30" + b[:1] + b[1:]))
def test_garbage_that_starts_like_cat048_never_raises(data: bytes) -> None:
    reports, summary = ax.decode_cat048(data)
    _check_summary(reports, summary)


@FUZZ
@given(st.integers(0, len(VALID_BYTES)))
def test_a_truncated_file_keeps_every_whole_block(cut: int) -> None:
    reports, summary = ax.decode_cat048(VALID_BYTES[:cut])
    _check_summary(reports, summary)
    ends = VALID.start + VALID.length
    whole = int((ends <= cut).sum())
    expected = int(VALID.records[:whole].sum())
    _same_records(reports, REFERENCE.take(slice(0, expected)))
    partial = cut not in set(ends.tolist()) | {0}
    assert summary.blocks == whole
    assert (summary.blocks_skipped > 0) == partial
    if partial:
        assert summary.skipped["truncated blocks"] == 1


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID_BYTES) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    )
)
def test_corrupted_octets_lose_at_most_the_blocks_they_hit(edits: list[tuple[int, int]]) -> None:
    data = bytearray(VALID_BYTES)
    for pos, value in edits:
        data[pos] = value
    reports, summary = ax.decode_cat048(bytes(data))
    _check_summary(reports, summary)
    # every block before the first damaged one decodes exactly as before
    first = min(pos for pos, _ in edits)
    intact = int((VALID.start + VALID.length <= first).sum())
    n = int(VALID.records[:intact].sum())
    assert len(reports) >= n
    _same_records(reports.take(slice(0, n)), REFERENCE.take(slice(0, n)))


@FUZZ
@given(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=40))
def test_garbage_between_blocks_is_skipped_and_the_rest_read(block: int, junk: bytes) -> None:
    at = int(VALID.start[block])
    data = VALID_BYTES[:at] + junk + VALID_BYTES[at:]
    reports, summary = ax.decode_cat048(data)
    _check_summary(reports, summary)
    before = int(VALID.records[:block].sum())
    _same_records(reports.take(slice(0, before)), REFERENCE.take(slice(0, before)))
    # resynchronised: at most the few blocks the junk's header swallowed are lost
    assert summary.blocks >= block
    if junk[0] not in (48,) and len(junk) >= 3:
        assert summary.blocks_skipped >= 1


@FUZZ
@given(st.lists(st.integers(0, len(VALID_BYTES)), max_size=6), st.binary(max_size=300))
def test_feeding_in_pieces_equals_feeding_at_once(cuts: list[int], tail: bytes) -> None:
    data = VALID_BYTES + tail
    whole, whole_summary = ax.decode_cat048(data)
    dec = ax.Cat048Decoder()
    parts = []
    bounds = [0, *sorted(c for c in cuts if c <= len(data)), len(data)]
    for a, b in itertools.pairwise(bounds):
        parts.append(dec.feed(data[a:b]))
    parts.append(dec.finish())
    pieces = ax.Cat048Reports.concat(parts)
    _same_records(pieces, whole)
    np.testing.assert_array_equal(pieces.t, whole.t)
    assert dec.summary.skipped == whole_summary.skipped
    assert dec.summary.blocks == whole_summary.blocks


def test_each_kind_of_problem_is_named_and_counted() -> None:
    blocks = list(VALID.blocks())
    other = bytes([34, 0, 6, 1, 2, 3])  # a CAT034 block
    bad_len = bytes([48, 0, 1])  # length 1: impossible
    overrun = bytearray(blocks[1])
    overrun[2] -= 1  # one octet short: the last record runs past the block's end
    data = (
        blocks[0]
        + other
        + bad_len
        + b"\x00\x07garbage"
        + blocks[2]
        + bytes(overrun)
        + blocks[3][:-5]
    )
    reports, summary = ax.decode_cat048(data)
    assert summary.skipped["CAT034 blocks (not CAT048)"] == 1
    assert summary.skipped["impossible block lengths"] == 1
    assert summary.skipped["runs of unreadable bytes"] >= 1
    assert summary.skipped["malformed CAT048 blocks"] >= 1
    assert summary.skipped["truncated blocks"] == 1
    assert summary.blocks == 2  # blocks 0 and 2
    assert len(reports) == VALID.records[0] + VALID.records[2]
    lines = summary.lines()
    assert lines[-1].startswith("skipped ") and "1 truncated blocks" in lines[-1]
    assert any("block length 1" in line for line in lines)


def test_an_undefined_compound_subfield_or_long_fspec_is_malformed() -> None:
    # FSPEC of five octets (the UAP has four)
    rec = bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0, 0])
    block = bytes([48, 0, 3 + len(rec)]) + rec
    _, summary = ax.decode_cat048(block)
    assert summary.skipped["malformed CAT048 blocks"] == 1
    assert "FSPEC longer" in summary.lines()[0]
    # I048/130 whose primary subfield extends into a second octet (no subfields defined there)
    rec = bytes([0x02, 0x01, 0x80, 0x00])
    _, summary = ax.decode_cat048(bytes([48, 0, 3 + len(rec)]) + rec)
    assert "undefined subfield" in summary.lines()[0]


# --- resynchronising: the same decisions as walking each candidate, in linear time ---------


def _clean(buf: np.ndarray, p: int, length: int) -> bool:
    """Does the CAT048 block at ``p`` of ``length`` octets parse cleanly (walked in full)?"""
    offs = np.zeros((0, 28), dtype=np.int32)
    args = (dec._KINDS, dec._LENS, dec._SUBS, dec._NSUBS)
    return dec._parse_block(buf, p, length, offs, 0, False, *args) >= 0


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.sampled_from(list(VALID.blocks())),
            st.binary(max_size=30),
            st.binary(max_size=8).map(lambda b: b"\x30" + b),
        ),
        max_size=8,
    ),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
)
def test_resync_tables_decide_every_candidate_as_walking_it_would(
    pieces: list[bytes], edits: list[tuple[int, int]]
) -> None:
    data = bytearray(b"".join(pieces))
    for pos, value in edits:
        if data:
            data[pos % len(data)] = value
    buf = np.frombuffer(bytes(data) + b"\x00", dtype=np.uint8)[:-1].copy()
    n = buf.shape[0]
    for ws in sorted({0, n // 3}):
        tin, size = dec._resync_tables(buf, ws, n, dec._KINDS, dec._LENS, dec._SUBS, dec._NSUBS)
        for p in range(ws, n - 2):
            length = int(buf[p + 1]) * 256 + int(buf[p + 2])
            if length < 3 or p + length > n:
                continue
            s, t = p + 3 - ws, p + length - ws
            fast = bool(tin[t] <= tin[s] < tin[t] + size[t])
            assert fast == _clean(buf, p, length), (p, length)


def _garbage(kind: str, n: int) -> bytes:
    """``n`` octets after an impossible header, each kind hard on a resynchronising reader."""
    head = b"\x30\x00\x00"
    if kind == "octets-0x30":  # every octet starts a 12,336-octet block failing at its end
        return head + b"\x30" * n
    if kind == "long-headers":  # every third octet starts a 65,535-octet block
        return head + b"\x30\xff\xff" * (n // 3)
    if kind == "odd-octets":  # variable items whose extension never ends
        return head + (b"\x30\x30\x30" + b"\x21" * 29) * (n // 32)
    if kind == "random":
        return head + np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    # a valid file whose every block header is broken
    blocks = [bytearray(b) for b in VALID.blocks()]
    for b in blocks:
        b[1:3] = b"\x00\x01"
    body = b"".join(map(bytes, blocks))
    return body * (n // len(body) + 1)


KINDS = ["octets-0x30", "long-headers", "odd-octets", "random", "broken-headers"]


@pytest.mark.parametrize("kind", KINDS)
def test_resync_work_is_linear_in_the_garbage(kind: str) -> None:
    """Counting work: the octets examined while resynchronising (tables built, octets
    scanned) are at most a few per octet, at every size, however the garbage is made (it was
    up to 12,000 per octet: each candidate block walked in full)."""
    for n in (20_000, 200_000, 2_000_000):
        data = _garbage(kind, n)
        _, summary = ax.decode_cat048(data)
        assert summary.blocks_skipped >= 1
        assert summary.resync_work <= 3 * len(data) + 2 * (1 << 20), (n, summary.resync_work)


# --- mutants of a valid file, tracked --------------------------------------------------------

SITES = {1: (0.0, -10_000.0, 0.0), 2: (30_000.0, 30_000.0, 100.0)}
CONFIG = TrackerConfig.model_validate(
    {"sensors": {s: {"east_m": e, "north_m": n, "up_m": u} for s, (e, n, u) in SITES.items()}}
)


def _tracked_file() -> bytes:
    """Two radars watching three straight-line targets for 30 s, with the SP field."""
    t = np.repeat(np.arange(30.0), 3)
    k = np.tile(np.arange(3), 30)
    starts = np.array([[0.0, 0.0, 3000.0], [20_000.0, 0.0, 5000.0], [0.0, 20_000.0, 8000.0]])
    vel = np.array([[200.0, 0.0, 0.0], [0.0, -150.0, 0.0], [100.0, 100.0, 0.0]])
    pos = starts[k] + vel[k] * t[:, None]
    sensor = np.where(t % 2 == 0, 1, 2)
    d = pos - np.array([SITES[int(s)] for s in sensor])
    r = np.linalg.norm(d, axis=1)
    n = len(t)
    return ax.encode_plots(
        t, sensor, r, np.arctan2(d[:, 0], d[:, 1]), height_m=pos[:, 2],
        elevation_rad=np.arcsin(d[:, 2] / r), sigma_range_m=np.full(n, 20.0),
        sigma_azimuth_rad=np.full(n, 5e-4), sigma_elevation_rad=np.full(n, 5e-4), truth_id=k,
    ).to_bytes()  # fmt: skip


TRACKED = _tracked_file()
_SP_HEAD = bytes([_SP_LEN, *_SP_MAGIC, _SP_VERSION])
#: Where each record's SP field starts, and the offsets in it of the three sigmas (float32).
SP_AT = [i for i in range(len(TRACKED)) if TRACKED.startswith(_SP_HEAD, i)]
SIGMA_OFFSETS = (8, 12, 16)  # after the head and the elevation: range, azimuth, elevation


@pytest.fixture(scope="module")
def ast_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutants")


def _track(path: Path, data: bytes) -> AsterixPlotsReader | None:
    """Read and track ``data`` as ``airdefense track`` does: every number of every update
    finite; None when the file is refused (an :class:`AirdefenseError`, one line)."""
    path.write_bytes(data)
    try:
        with AsterixPlotsReader(path, config=CONFIG) as reader:
            tracker = Tracker(CONFIG, None)
            for chunk in reader:
                for u in tracker.run(chunk):
                    cols = (u.t, u.x, u.y, u.z, u.vx, u.vy, u.vz, u.sx, u.sy, u.sz, u.quality)
                    assert all(np.isfinite(c).all() for c in cols)
    except AirdefenseError as exc:
        assert "\n" not in str(exc)
        return None
    return reader


def test_the_file_is_tracked_and_has_an_sp_field_per_plot(ast_dir: Path) -> None:
    reader = _track(ast_dir / "clean.ast", TRACKED)
    assert reader is not None and reader.rows_read == 90 and reader.notes == []
    assert len(SP_AT) == 90


UNUSABLE = [1e30, np.inf, -np.inf, -1.0, 0.0, 1e-40, 3.0e38]


@pytest.mark.parametrize(
    ("which", "value"),
    [(w, v) for w in range(3) for v in UNUSABLE] + [(1, 40.0), (2, 40.0), (0, 2e6)],
    ids=lambda v: str(v),
)
def test_an_unusable_sigma_skips_its_plot_and_is_counted(
    ast_dir: Path, which: int, value: float
) -> None:
    """A sigma_azimuth of 40 rad made the converted measurement divide by zero
    (ZeroDivisionError in the polar conversion): now that plot is skipped and counted."""
    data = bytearray(TRACKED)
    hit = SP_AT[10:40:3]
    for at in hit:
        o = at + SIGMA_OFFSETS[which]
        data[o : o + 4] = struct.pack(">f", value)
    reader = _track(ast_dir / "sigma.ast", bytes(data))
    assert reader is not None
    assert reader.out_of_bounds == len(hit)
    assert reader.rows_read == 90 - len(hit)
    assert any(f"skipped {len(hit)} CAT048 records whose accuracies" in n for n in reader.notes)


def test_a_nan_sigma_is_absent_and_gets_the_assumed_accuracy(ast_dir: Path) -> None:
    data = bytearray(TRACKED)
    o = SP_AT[5] + SIGMA_OFFSETS[1]
    data[o : o + 4] = struct.pack(">f", np.nan)
    reader = _track(ast_dir / "nan.ast", bytes(data))
    assert reader is not None and reader.rows_read == 90 and reader.out_of_bounds == 0


MUTANTS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@MUTANTS
@given(
    st.lists(
        st.tuples(st.integers(0, len(TRACKED) - 1), st.integers(0, 255)), min_size=1, max_size=6
    )
)
def test_a_mutant_is_tracked_or_refused_in_one_line_never_a_crash(
    ast_dir: Path, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(TRACKED)
    for pos, value in edits:
        data[pos] = value
    _track(ast_dir / "mutant.ast", bytes(data))


@MUTANTS
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(SP_AT) - 1),
            st.sampled_from(SIGMA_OFFSETS),
            st.floats(width=32, allow_nan=True, allow_infinity=True),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_a_mutant_sigma_is_tracked_or_skipped_never_a_crash(
    ast_dir: Path, edits: list[tuple[int, int, float]]
) -> None:
    """Mutations aimed at the polar conversion: any float32 for any sigma of any plot."""
    data = bytearray(TRACKED)
    for record, offset, value in edits:
        o = SP_AT[record] + offset
        data[o : o + 4] = struct.pack(">f", value)
    reader = _track(ast_dir / "mutant-sigma.ast", bytes(data))
    assert reader is not None
    assert reader.rows_read + reader.out_of_bounds == 90


# --- round trip of arbitrary plots -----------------------------------------------------------


@st.composite
def plot_sets(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(1, 40))
    floats = st.floats
    return {
        # across midnight (t = 43,200 s), all within 12 h of each other (the reader's rule)
        "t": np.array(draw(st.lists(floats(20_000, 60_000), min_size=n, max_size=n))),
        "sensor_id": np.array(draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))),
        "range_m": np.array(draw(st.lists(floats(0, 255.99 * NM), min_size=n, max_size=n))),
        "azimuth_rad": np.array(draw(st.lists(floats(-7, 7), min_size=n, max_size=n))),
        "height_m": np.array(draw(st.lists(floats(-500, 70_000), min_size=n, max_size=n))),
        "snr_db": np.array(draw(st.lists(floats(-200, 200), min_size=n, max_size=n))),
        "elevation_rad": np.array(draw(st.lists(floats(-1.5, 1.5), min_size=n, max_size=n))),
        "sigma": np.array(draw(st.lists(floats(1e-5, 1e4), min_size=n, max_size=n))),
        "truth_id": np.array(draw(st.lists(st.integers(-1, 2**31 - 1), min_size=n, max_size=n))),
    }


@FUZZ
@given(plot_sets())
def test_round_trip_within_one_lsb(p: dict[str, np.ndarray]) -> None:
    t = np.sort(p["t"])
    enc = ax.encode_plots(
        t, p["sensor_id"], p["range_m"], p["azimuth_rad"], height_m=p["height_m"],
        snr_db=p["snr_db"], elevation_rad=p["elevation_rad"], sigma_range_m=p["sigma"],
        sigma_azimuth_rad=p["sigma"], sigma_elevation_rad=p["sigma"], truth_id=p["truth_id"],
        sac=9,
    )  # fmt: skip
    assert enc.omitted == 0
    rep, summary = ax.decode_cat048(enc.to_bytes())
    assert summary.records == len(t) and not summary.skipped
    # records come back in (second, radar, time) order: match them by that order
    order = np.lexsort((t, p["sensor_id"], np.floor(t)))
    q = {k: (t if k == "t" else v)[order] for k, v in p.items()}
    assert (rep.sac == 9).all() and (rep.sic == q["sensor_id"]).all()
    # time: half an LSB, in the day of the first record (a file has no date)
    day = round((rep.t[0] - q["t"][0]) / 86_400) * 86_400
    assert day == 0 or q["t"][0] >= 43_200 - 1 / 256
    assert np.abs(rep.t - q["t"] - day).max() <= 1 / 256 + 1e-9
    assert np.abs(rep.range_m - q["range_m"]).max() <= NM / 512 + 1e-6
    d = (np.degrees(rep.azimuth_rad - q["azimuth_rad"]) + 180) % 360 - 180
    assert np.abs(d).max() <= 360 / 2**17 + 1e-9
    feet = q["height_m"] / FT
    fl_ok = (feet >= -1000) & (feet <= 126_750)
    assert (np.isfinite(rep.flight_level) == fl_ok).all()
    assert np.abs(rep.flight_level * 100 - feet)[fl_ok].max(initial=0) <= 12.5 + 1e-6
    h3_ok = np.abs(feet) < 8191.5 * 25
    assert (np.isfinite(rep.height_3d_m) == h3_ok).all()
    assert np.abs(rep.height_3d_m - q["height_m"])[h3_ok].max(initial=0) <= 12.5 * FT + 1e-6
    pam = rep.plot_characteristics["PAM"]
    assert np.abs(pam - np.clip(q["snr_db"], -128, 127)).max() <= 0.5
    np.testing.assert_array_equal(rep.elevation_rad, q["elevation_rad"].astype(np.float32))
    np.testing.assert_array_equal(rep.sigma_range_m, q["sigma"].astype(np.float32))
    np.testing.assert_array_equal(rep.truth_id, q["truth_id"])
