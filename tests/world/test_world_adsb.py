"""Recorded ADS-B collections: flight counts, relocation, resampling, missing package."""

import importlib.util

import numpy as np
import pytest

from airdefense.geo import Frame
from airdefense.world import adsb

HAVE_TRAFFIC = importlib.util.find_spec("traffic") is not None
needs_traffic = pytest.mark.skipif(
    not HAVE_TRAFFIC, reason="traffic not installed: pip install --no-deps traffic==2.13"
)
FRAME = Frame.from_degrees(34.0, 36.0, 0.0)


@pytest.fixture(scope="module")
def swiss() -> adsb.RecordedFlights:
    if not HAVE_TRAFFIC:
        pytest.skip("traffic not installed: pip install --no-deps traffic==2.13")
    return adsb.load_collection("switzerland")


@needs_traffic
def test_collections_and_counts(swiss: adsb.RecordedFlights) -> None:
    assert {"quickstart", "switzerland"} <= set(adsb.available_collections())
    quick = adsb.load_collection("quickstart")
    assert 180 <= quick.n_flights <= 300  # 238 with 2.13
    assert 1000 <= swiss.n_flights <= 1400  # 1244 with 2.13
    for fl in (quick, swiss):
        assert np.all(np.bincount(fl.flight) >= 10)
        key = fl.flight * 1e6 + fl.time_s
        assert np.all(np.diff(key) > 0.0)


@needs_traffic
def test_relocation_keeps_distances(swiss: adsb.RecordedFlights) -> None:
    t = np.arange(0.0, 1800.0, 10.0)
    pos, _, _, start, end, _ = adsb.place_flights(FRAME, swiss, t, time_offset_s=3 * 3600.0)
    k = t.size // 2
    live = np.flatnonzero((start <= t[k]) & (end >= t[k]))
    assert live.size >= 10
    # Recorded positions at the same instant, in a local frame at their own centre.
    rec = Frame(float(np.mean(swiss.lat_rad)), float(np.mean(swiss.lon_rad)))
    q = t[k] + 3 * 3600.0
    pts = []
    for f in live[:30]:  # test-only loop over a few flights
        m = np.flatnonzero(swiss.flight == np.flatnonzero(_chosen(swiss, t, start, end))[f])
        lat = np.interp(q, swiss.time_s[m], swiss.lat_rad[m])
        lon = np.interp(q, swiss.time_s[m], swiss.lon_rad[m])
        alt = np.interp(q, swiss.time_s[m], swiss.alt_m[m])
        pts.append(rec.geodetic_to_enu(lat, lon, alt))
    pts = np.array(pts)
    placed = pos[k, live[:30]]
    d_rec = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    d_new = np.linalg.norm(placed[:, None] - placed[None], axis=-1)
    far = d_rec > 5_000.0
    assert np.all(np.abs(d_new[far] / d_rec[far] - 1.0) < 0.005)


def _chosen(fl: adsb.RecordedFlights, t: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Mask of the collection's flights that place_flights kept (same rule, recomputed)."""
    ts = fl.time_s - 3 * 3600.0
    first = np.full(fl.n_flights, np.inf)
    last = np.full(fl.n_flights, -np.inf)
    np.minimum.at(first, fl.flight, ts)
    np.maximum.at(last, fl.flight, ts)
    s, e = np.maximum(first, t[0]), np.minimum(last, t[-1])
    grid = np.searchsorted(t, e, side="right") > np.searchsorted(t, s, side="left")
    mask = (first <= t[-1]) & (last >= t[0]) & grid
    assert mask.sum() == start.size
    return mask


@needs_traffic
def test_resampled_flight_passes_through_records(swiss: adsb.RecordedFlights) -> None:
    m = np.flatnonzero(swiss.flight == 0)
    t = swiss.time_s[m] - swiss.time_s[m[0]]  # recorded times (10 s steps) as the grid
    centre = (float(np.mean(swiss.lat_rad)), float(np.mean(swiss.lon_rad)))
    here = Frame(*centre)
    pos, vel, h, _start, _end, call = adsb.place_flights(
        here, swiss, t, time_offset_s=float(swiss.time_s[m[0]]), centre=centre
    )
    f = int(np.flatnonzero(call == swiss.callsign[0])[0])
    rec = here.geodetic_to_enu(swiss.lat_rad[m], swiss.lon_rad[m], swiss.alt_m[m])
    assert np.max(np.linalg.norm(pos[:, f] - rec, axis=-1)) < 5.0
    assert np.allclose(h[:, f], swiss.alt_m[m])
    speed = np.linalg.norm(vel[:, f], axis=-1)
    assert 50.0 < np.median(speed) < 320.0


@needs_traffic
def test_max_flights_and_finite(swiss: adsb.RecordedFlights) -> None:
    t = np.arange(0.0, 3600.0, 5.0)
    pos, vel, h, start, end, call = adsb.place_flights(
        FRAME, swiss, t, time_offset_s=7200.0, max_flights=25, rng=np.random.default_rng(1)
    )
    assert pos.shape == (t.size, 25, 3) and call.shape == (25,)
    assert np.all(np.isfinite(pos)) and np.all(np.isfinite(vel)) and np.all(np.isfinite(h))
    assert np.all((start >= t[0]) & (end <= t[-1]) & (start <= end))


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adsb.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(adsb.TrafficDataMissing, match=r"pip install --no-deps traffic==2\.13"):
        adsb.load_collection("quickstart")
    with pytest.raises(adsb.TrafficDataMissing):
        adsb.available_collections()


@pytest.mark.parametrize("name", ["quickstart", "switzerland"])
def test_no_flight_keeps_an_impossible_altitude_jump(name: str) -> None:
    """Raw Mode C altitude has plateaus of wrong reports (seen in quickstart: 6 km to
    18.5 km and back); an airliner climbs at under 25 m/s, so > 100 m/s is corrupt."""
    fl = adsb.load_collection(name)
    same = fl.flight[1:] == fl.flight[:-1]
    rate = np.abs(np.diff(fl.alt_m)) / np.maximum(np.diff(fl.time_s), 1e-3)
    assert not np.any(same & (rate > 100.0))
    assert fl.n_flights > 0.9 * len(np.unique(fl.icao24)) or fl.n_flights > 200


@needs_traffic
def test_trials_reuse_the_placement_but_never_share_its_arrays() -> None:
    from airdefense.scenario import library, load_theatre
    from airdefense.world.build import build_truth

    theatre = load_theatre(library.resolve("vessa-shield"))
    a = build_truth(theatre, np.random.default_rng(1))
    civil = np.flatnonzero(a.category == "civil")
    assert civil.size > 10
    before = a.pos[:, civil].copy()
    a.pos[:, civil] = 0.0  # a trial that scribbles on its truth
    a.end_s[civil] = -1.0
    b = build_truth(theatre, np.random.default_rng(2))
    np.testing.assert_array_equal(b.pos[:, civil], before)
    assert (b.end_s[civil] > 0).all()


@needs_traffic
def test_a_cached_parse_equals_a_fresh_one(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    path = adsb._collections_dir() / "switzerland.json.gz"
    fresh = adsb._parse_collection(path)
    adsb._read_collection.cache_clear()
    try:
        adsb._read_collection(path)  # parses and writes the cache
        assert len(list((tmp_path / "airdefense-traffic").glob("traffic-switzerland-*.npz"))) == 1
        adsb._read_collection.cache_clear()

        def no_parse(_path):
            raise AssertionError("parsed again instead of reading the cache")

        monkeypatch.setattr(adsb, "_parse_collection", no_parse)
        cached = adsb._read_collection(path)
    finally:
        adsb._read_collection.cache_clear()
    for name in ("flight", "time_s", "lat_rad", "lon_rad", "alt_m"):
        a, b = getattr(fresh, name), getattr(cached, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    for name in ("callsign", "icao24"):
        a, b = getattr(fresh, name), getattr(cached, name)
        assert b.dtype == object and list(a) == list(b) and {type(x) for x in b} == {str}, name
    assert (cached.name, cached.epoch_s) == (fresh.name, fresh.epoch_s)
