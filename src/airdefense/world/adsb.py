"""Recorded civil traffic: ADS-B sample collections of the ``traffic`` package.

The collections (``quickstart``: north of France, 2021-10-07; ``switzerland``: 2018-08-01)
ship inside the ``traffic`` wheel as gzip JSON arrays of records (altitude ft, callsign,
groundspeed kt, icao24, latitude, longitude, [onground], timestamp ms, track,
vertical_rate). They are read straight from the files with DuckDB; the package's code is
never imported (its dependencies weigh ~1 GB). Install the data with
``pip install --no-deps traffic==2.13``.

Conventions
-----------
- A flight is a run of records of one (icao24, callsign) without a gap > 10 min; runs with
  fewer than 10 airborne points are dropped, as are on-ground records and isolated glitches
  (a point reached and left faster than 400 m/s horizontally or 100 m/s vertically).
- Altitude is barometric (ft, converted with 0.3048 m/ft, exact by definition) and is taken
  as the height above the WGS-84 ellipsoid: the pressure-altitude and geoid offsets (tens
  to hundreds of metres) are ignored; the traffic only has to look like real traffic.
- Placing a collection at the scenario keeps its geometry: each point's map coordinates
  about the collection's centre (the mean position, or a given one) become map
  coordinates about the scenario origin (azimuthal equidistant, Snyder 1987 ch. 25;
  distances along radials from the centre are kept exactly, others to ~(d / R)^2 / 6).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from airdefense.errors import AirdefenseError
from airdefense.files import cache_dir, write_atomic
from airdefense.geo import Frame

FloatArray = NDArray[np.float64]

FT_TO_M = 0.3048
_GAP_S = 600.0
_MIN_POINTS = 10
_MAX_SPEED = 400.0  # m/s, despiking threshold
_MAX_CLIMB = 100.0  # m/s, despiking threshold
INSTALL_HINT = "pip install --no-deps traffic==2.13"


class TrafficDataMissing(AirdefenseError):
    """The ``traffic`` package (which carries the sample collections) is not installed."""


@dataclass(frozen=True)
class RecordedFlights:
    """Airborne points of F flights of a collection, sorted by (flight, time).

    flight (P,) flight index; time_s (P,) seconds since the collection's first record;
    lat_rad, lon_rad (P,); alt_m (P,) barometric altitude in metres; callsign (F,) str;
    icao24 (F,) str; epoch_s: Unix time of the collection's first record.
    """

    name: str
    flight: NDArray[np.int64]
    time_s: FloatArray
    lat_rad: FloatArray
    lon_rad: FloatArray
    alt_m: FloatArray
    callsign: NDArray[np.object_]
    icao24: NDArray[np.object_]
    epoch_s: float

    @property
    def n_flights(self) -> int:
        """Number of flights F."""
        return int(self.callsign.shape[0])


def _collections_dir() -> Path:
    spec = importlib.util.find_spec("traffic")
    if spec is None or not spec.submodule_search_locations:
        raise TrafficDataMissing(
            "the ADS-B sample collections come with the 'traffic' package, which is not "
            f"installed; install it with: {INSTALL_HINT}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data/samples/collections"
    if not path.is_dir():
        raise TrafficDataMissing(f"no sample collections in {path}; reinstall: {INSTALL_HINT}")
    return path


def available_collections() -> list[str]:
    """Names of the sample collections shipped with the installed ``traffic`` package."""
    return sorted(p.name.removesuffix(".json.gz") for p in _collections_dir().glob("*.json.gz"))


def load_collection(name: str) -> RecordedFlights:
    """Read a sample collection and split it into flights (module docstring).

    Parsed once per process and file (Monte Carlo trials reuse it); the arrays are shared,
    so callers must not modify them.
    """
    path = _collections_dir() / f"{name}.json.gz"
    if not path.is_file():
        raise ValueError(f"no collection {name!r}; available: {available_collections()}")
    return _read_collection(path)


#: Source text of this module: part of the parsed-collection cache key, so a change to the
#: parsing reparses.
_SOURCE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
_FLIGHT_ARRAYS = ("flight", "time_s", "lat_rad", "lon_rad", "alt_m")


@functools.lru_cache(maxsize=4)
def _read_collection(path: Path) -> RecordedFlights:
    """The collection's flights, from the on-disk cache of an earlier parse when there is one
    (parsing the gzip JSON takes ~1 s of every run; the cache file ~10 ms)."""
    import duckdb

    st = path.stat()
    key = hashlib.sha256(
        f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{duckdb.__version__}".encode()
    ).hexdigest()[:16]
    stem = path.name.removesuffix(".json.gz")
    cache = cache_dir(__file__, "traffic")
    cached = cache / f"traffic-{stem}-{_SOURCE_HASH}-{key}.npz"
    try:
        with np.load(cached) as z:
            return RecordedFlights(
                name=stem,
                **{a: z[a] for a in _FLIGHT_ARRAYS},
                callsign=z["callsign"].astype(object),
                icao24=z["icao24"].astype(object),
                epoch_s=float(z["epoch_s"]),
            )
    except (OSError, KeyError, ValueError):
        pass
    flights = _parse_collection(path)
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True)
        for stale in cache.glob(f"traffic-{stem}-*.npz"):
            stale.unlink(missing_ok=True)
        buf = io.BytesIO()
        np.savez(
            buf,
            **{a: getattr(flights, a) for a in _FLIGHT_ARRAYS},
            callsign=flights.callsign.astype(str),
            icao24=flights.icao24.astype(str),
            epoch_s=np.float64(flights.epoch_s),
        )
        write_atomic(cached, buf.getvalue())
    return flights


def _parse_collection(path: Path) -> RecordedFlights:
    """Read a collection file with DuckDB and split it into flights (module docstring)."""
    import duckdb

    con = duckdb.connect()
    try:
        cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_json('{path}')").fetchall()}
        ground = "AND NOT coalesce(onground, false)" if "onground" in cols else ""
        rows = con.execute(
            f"""
            SELECT icao24, coalesce(callsign, '') AS callsign, timestamp, latitude, longitude,
                   altitude
            FROM read_json('{path}')
            WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND altitude IS NOT NULL
                  AND timestamp IS NOT NULL {ground}
            ORDER BY icao24, callsign, timestamp
            """
        ).fetchnumpy()
    finally:
        con.close()
    icao = np.asarray(rows["icao24"], dtype=object)
    call = np.asarray(rows["callsign"], dtype=object)
    ts = np.asarray(rows["timestamp"], dtype=np.float64) / 1000.0
    lat = np.radians(np.asarray(rows["latitude"], dtype=np.float64))
    lon = np.radians(np.asarray(rows["longitude"], dtype=np.float64))
    alt = np.asarray(rows["altitude"], dtype=np.float64) * FT_TO_M

    new = np.ones(ts.size, dtype=bool)
    new[1:] = (icao[1:] != icao[:-1]) | (call[1:] != call[:-1]) | (np.diff(ts) > _GAP_S)
    run = np.cumsum(new) - 1
    counts = np.bincount(run)
    keep_run = counts >= _MIN_POINTS
    keep = keep_run[run]
    # Duplicate timestamps within a flight would break interpolation: keep the first.
    dup = np.zeros(ts.size, dtype=bool)
    dup[1:] = ~new[1:] & (np.diff(ts) <= 0.0)
    keep &= ~dup
    for _ in range(2):  # isolated glitches of raw ADS-B (position or altitude jumps)
        keep &= ~_spikes(run, ts, lat, lon, alt, keep)
    # A flight whose altitude still jumps after despiking (a plateau of wrong Mode C
    # reports, e.g. 6 km -> 18 km -> 6 km) is corrupt as a whole: drop it rather than invent
    # a repair. Horizontal jitter of 1 s reports is common and left to the despiker.
    corrupt = np.zeros(keep_run.shape, dtype=bool)
    corrupt[run[_jumps(run, ts, lat, lon, alt, keep, horizontal=False)]] = True
    keep_run &= ~corrupt
    keep &= keep_run[run]
    flight = (np.cumsum(keep_run) - 1)[run[keep]]
    starts = np.flatnonzero(new)[keep_run]
    epoch = float(ts.min())
    return RecordedFlights(
        name=path.name.removesuffix(".json.gz"),
        flight=flight.astype(np.int64),
        time_s=ts[keep] - epoch,
        lat_rad=lat[keep],
        lon_rad=lon[keep],
        alt_m=alt[keep],
        callsign=call[starts],
        icao24=icao[starts],
        epoch_s=epoch,
    )


def _jumps(
    run: NDArray[np.int64],
    ts: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    alt: FloatArray,
    keep: NDArray[np.bool_],
    horizontal: bool = True,
) -> NDArray[np.int64]:
    """Indices of kept points reached from the previous kept point of their flight at an
    implausible rate (> 400 m/s horizontally, unless ``horizontal`` is False, or > 100 m/s
    vertically: far beyond airliner performance)."""
    idx = np.flatnonzero(keep)
    if idx.size < 2:
        return np.zeros(0, dtype=np.int64)
    r, t = run[idx], ts[idx]
    dt = np.maximum(np.diff(t), 1e-3)
    # Equirectangular step length: ample for a few kilometres between records.
    dn = np.diff(lat[idx]) * 6_371_000.0
    de = np.diff(lon[idx]) * np.cos(lat[idx][1:]) * 6_371_000.0
    jump = np.abs(np.diff(alt[idx])) / dt > _MAX_CLIMB
    if horizontal:
        jump |= np.hypot(de, dn) / dt > _MAX_SPEED
    jump &= r[1:] == r[:-1]
    return idx[1:][jump]


def _spikes(
    run: NDArray[np.int64],
    ts: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    alt: FloatArray,
    keep: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Mask of kept points both reached and left by an implausible jump (see _jumps): an
    isolated glitch of raw ADS-B."""
    bad = np.zeros(keep.shape, dtype=bool)
    arrived = np.zeros(keep.shape, dtype=bool)
    arrived[_jumps(run, ts, lat, lon, alt, keep)] = True
    idx = np.flatnonzero(keep)
    # a point is a spike when the jump arrives at it and the next kept point's jump leaves it
    bad[idx[:-1]] = arrived[idx[:-1]] & arrived[idx[1:]]
    return bad


def place_flights(
    frame: Frame,
    flights: RecordedFlights,
    t: NDArray[np.float64],
    time_offset_s: float = 0.0,
    max_flights: int | None = None,
    centre: tuple[float, float] | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, NDArray[np.object_]]:
    """Relocate a recorded collection to the scenario and resample it on the grid t.

    time_offset_s is the recording time (s after the collection's first record) at which
    the scenario starts: scenario time tau shows the recording at tau + time_offset_s.
    centre (lat, lon in radians) is the point of the recording placed on the scenario
    origin (default: the mean position of all points). Flights with no data inside the
    grid are dropped; if more than max_flights remain, the busiest are kept (or a random
    choice when rng is given).

    Positions are resampled by linear interpolation in map coordinates and height
    (one np.interp over a flattened (flight, time) key), velocities by central differences
    of the resampled ENU positions on the grid (one-sided at the ends of a flight).

    Returns pos (T, F, 3) ENU m, vel (T, F, 3) ENU m/s, height (T, F) m, start_s (F,),
    end_s (F,) scenario times, callsign (F,); outside [start_s, end_s] the state is clamped.
    """
    t = np.asarray(t, dtype=np.float64)
    if centre is None:
        # Mean position as the mean unit vector (robust across the antimeridian).
        x = np.mean(np.cos(flights.lat_rad) * np.cos(flights.lon_rad))
        y = np.mean(np.cos(flights.lat_rad) * np.sin(flights.lon_rad))
        z = np.mean(np.sin(flights.lat_rad))
        centre = (float(np.arctan2(z, np.hypot(x, y))), float(np.arctan2(y, x)))
    east, north = Frame(centre[0], centre[1]).geodetic_to_map(flights.lat_rad, flights.lon_rad)
    ts = flights.time_s - time_offset_s  # scenario time of each record
    f_idx = flights.flight
    n_all = flights.n_flights
    t_first = np.full(n_all, np.inf)
    t_last = np.full(n_all, -np.inf)
    np.minimum.at(t_first, f_idx, ts)
    np.maximum.at(t_last, f_idx, ts)
    start = np.maximum(t_first, t[0])
    end = np.minimum(t_last, t[-1])
    # Keep flights whose record overlaps the grid and holds at least one grid time.
    has_grid = np.searchsorted(t, end, side="right") > np.searchsorted(t, start, side="left")
    chosen = np.flatnonzero((t_first <= t[-1]) & (t_last >= t[0]) & has_grid)
    if max_flights is not None and chosen.size > max_flights:
        if rng is None:
            overlap = end[chosen] - start[chosen]
            chosen = np.sort(chosen[np.argsort(-overlap, kind="stable")[:max_flights]])
        else:
            chosen = np.sort(rng.choice(chosen, size=max_flights, replace=False))
    n = chosen.size
    if n == 0:
        empty = np.zeros((t.size, 0))
        return (
            np.zeros((t.size, 0, 3)),
            np.zeros((t.size, 0, 3)),
            empty,
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, dtype=object),
        )
    new_index = np.full(n_all, -1)
    new_index[chosen] = np.arange(n)
    sel = new_index[f_idx] >= 0
    fi = new_index[f_idx[sel]]

    # One interpolation for all flights: key = flight * span + time (sorted by flight, time).
    span = float(max(ts.max(), t[-1]) - min(ts.min(), t[0])) + 1.0
    base = min(float(ts.min()), float(t[0]))
    key = fi * span + (ts[sel] - base)
    q_t = np.clip(t[:, None], t_first[chosen][None, :], t_last[chosen][None, :])
    q = np.arange(n)[None, :] * span + (q_t - base)
    e = np.interp(q, key, east[sel])
    nn = np.interp(q, key, north[sel])
    h = np.interp(q, key, flights.alt_m[sel])
    pos = frame.map_to_enu(e, nn, h)

    # Times are clamped to each flight's record, so outside [start, end] the boundary
    # state is held. Velocity: central differences over +-dt, clamped likewise.
    tb = np.clip(t[:, None], start[chosen][None, :], end[chosen][None, :])
    dt = t[1] - t[0] if t.size > 1 else 1.0
    t_prev = np.clip(tb - dt, t_first[chosen], t_last[chosen])
    t_next = np.clip(tb + dt, t_first[chosen], t_last[chosen])
    cols = np.arange(n)[None, :] * span - base
    p_prev = frame.map_to_enu(
        np.interp(t_prev + cols, key, east[sel]),
        np.interp(t_prev + cols, key, north[sel]),
        np.interp(t_prev + cols, key, flights.alt_m[sel]),
    )
    p_next = frame.map_to_enu(
        np.interp(t_next + cols, key, east[sel]),
        np.interp(t_next + cols, key, north[sel]),
        np.interp(t_next + cols, key, flights.alt_m[sel]),
    )
    width = np.where(t_next > t_prev, t_next - t_prev, 1.0)
    vel = (p_next - p_prev) / width[..., None]
    return pos, vel, h, start[chosen], end[chosen], flights.callsign[chosen]
