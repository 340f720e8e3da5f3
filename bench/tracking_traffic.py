"""Real civil traffic through the tracker: the ADS-B samples, one surveillance radar, scored.

    .venv/bin/python bench/tracking_traffic.py [--collection quickstart,switzerland]
        [--max-flights N] [--duration-s S] [--chunk-s 3600] [--warmup-s 120]
        [--preset 91n6e-class] [--tracking KEY=VALUE ...] [--worst N]

Scenario (built in code, checked like a file): the collection's recorded flights at their
real place (the scenario origin is the collection's mean position, which ``place_flights``
puts on the origin, so the map is the identity), one surveillance radar at the origin
(sea-level site, the preset's mast), no raids, the default ``tracking:`` settings unless
overridden. The 91n6e-class is the default: an airliner at 10 km clears the 4/3-Earth
horizon of a 10 m mast out to ~425 km, inside its 600 km instrumented range (the
96l6e-class stops at 300 km), and a 30 m^2 airliner is far above its Pd 0.5 range there.

The recording (3 h of quickstart, 17 h of switzerland) is cut into chunks of ``--chunk-s``
recording seconds, one run each; a run starts ``--warmup-s`` earlier so the tracker holds
the picture when its chunk begins, and only the chunk is scored: each recorded second of
each flight is scored once, and every flight goes through the tracker (the loader splits
switzerland into 1,243 flights, quickstart into 220). ``--duration-s`` scores only the first
S recording seconds; ``--max-flights`` caps the flights of each run (a random choice).

In coverage: a truth sample (a flight at a grid second of the scored chunk) counts when the
radar plotted that flight at least twice in the run and at least once within the last two
revisits (t - 2 P <= plot time <= t, P the scan period). Scored with
``metrics.evaluate`` (association distance 1 km, GOSPA c = 2 km, p = 2) on the in-coverage
samples of all runs together (each run on its own time axis, its own truth and track ids),
so completeness is the share of in-coverage samples with a confirmed track within 1 km.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from scipy.ndimage import maximum_filter1d  # noqa: E402

from airdefense.scenario import resolve  # noqa: E402
from airdefense.scenario.load import check_scenario  # noqa: E402
from airdefense.scenario.models import Scenario  # noqa: E402
from airdefense.sim.loop import RunResult, simulate  # noqa: E402
from airdefense.tracking import metrics  # noqa: E402
from airdefense.tracking.measurements import CONFIRMED, TENTATIVE  # noqa: E402
from airdefense.world.adsb import RecordedFlights, load_collection  # noqa: E402

ASSOCIATION_M = 1000.0
GOSPA_C_M = 2000.0
RADAR_PRESET = "91n6e-class"
#: Disjoint time axes of the runs in the pooled scoring (far longer than any run).
RUN_TIME_SPAN_S = 1.0e6
#: Truth and track ids of run k start at k times this.
RUN_ID_SPAN = 10_000_000


@dataclass
class Samples:
    """In-coverage truth samples of the scored part of one run, and what describes them."""

    run: int
    t: NDArray[np.float64]
    obj: NDArray[np.int64]  # truth index within the run
    flight: NDArray[np.int64]  # flight index in the collection
    xyz: NDArray[np.float64]
    vel: NDArray[np.float64]
    height_m: NDArray[np.float64]
    ground_range_m: NDArray[np.float64]
    accel_mps2: NDArray[np.float64]  # largest recorded acceleration in the last 30 s


@dataclass
class CollectionResult:
    """Everything one collection produced: runs, samples, tracks, timings."""

    name: str
    flights: RecordedFlights
    results: list[RunResult] = field(default_factory=list)
    samples: list[Samples] = field(default_factory=list)
    flight_of: list[NDArray[np.int64]] = field(default_factory=list)
    wall_s: float = 0.0


def nproc() -> int:
    """Cores this process may run on (what ``nproc`` prints)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def collection_centre(flights: RecordedFlights) -> tuple[float, float]:
    """Mean position (lat, lon degrees) of a collection, as ``place_flights`` computes it."""
    x = np.mean(np.cos(flights.lat_rad) * np.cos(flights.lon_rad))
    y = np.mean(np.cos(flights.lat_rad) * np.sin(flights.lon_rad))
    z = np.mean(np.sin(flights.lat_rad))
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def flight_times(flights: RecordedFlights) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """First and last recording time (s) of each flight."""
    first = np.full(flights.n_flights, np.inf)
    last = np.full(flights.n_flights, -np.inf)
    np.minimum.at(first, flights.flight, flights.time_s)
    np.maximum.at(last, flights.flight, flights.time_s)
    return first, last


def build_scenario(
    collection: str,
    centre: tuple[float, float],
    time_offset_s: float,
    duration_s: float,
    max_flights: int | None = None,
    preset: str = RADAR_PRESET,
    tracking: dict[str, Any] | None = None,
) -> Scenario:
    """One radar in the middle of the collection's real traffic, no raids."""
    lat, lon = centre
    data = {
        "name": f"traffic-{collection}-{int(time_offset_s)}",
        "description": f"recorded {collection} flights at their real place, one radar",
        "seed": 1,
        "duration_s": duration_s,
        "time_step_s": 1.0,
        "origin": {"lat_deg": lat, "lon_deg": lon, "alt_m": 0.0},
        "area_radius_km": 600.0,
        "sensors": [
            {"name": "surveillance", "preset": preset, "position": {"east_km": 0, "north_km": 0}}
        ],
        "civil_traffic": [
            {"collection": collection, "time_offset_s": time_offset_s, "max_flights": max_flights}
        ],
        "tracking": tracking or {},
    }
    scenario = Scenario.model_validate(data)
    check_scenario(scenario, "<bench>")
    return scenario


def windows(span_s: float, chunk_s: float, warmup_s: float) -> list[tuple[float, float, float]]:
    """Runs covering [0, span_s] of the recording: (offset, duration, scored-from) each,
    scored-from in scenario seconds (the warm-up before it is not scored)."""
    out = []
    start = 0.0
    while start < span_s:
        end = min(start + chunk_s, span_s)
        offset = max(start - warmup_s, 0.0)
        out.append((offset, end - offset, start - offset))
        start = end
    return out


def match_flights(
    result: RunResult, flights: RecordedFlights, offset_s: float
) -> NDArray[np.int64]:
    """Collection flight index of each truth object (by callsign and clamped start and end)."""
    first, last = flight_times(flights)
    t_end = float(result.truth.t[-1])
    start = np.maximum(first - offset_s, 0.0)
    end = np.minimum(last - offset_s, t_end)
    keys = {}
    for i in np.flatnonzero((first - offset_s <= t_end) & (last - offset_s >= 0.0)):
        keys[(flights.callsign[i], round(start[i], 3), round(end[i], 3))] = i
    truth = result.truth
    return np.array(
        [
            keys.get((truth.name[j], round(truth.start_s[j], 3), round(truth.end_s[j], 3)), -1)
            for j in range(truth.n)
        ],
        dtype=np.int64,
    )


def recorded_acceleration(truth_pos: np.ndarray, step: int = 10) -> np.ndarray:
    """(T, N) acceleration magnitude of the recorded flights seen at the radar's revisit:
    second differences of the positions over ``step`` grid steps (1 s each), then the
    largest value over the last three steps. Real airliners stay under ~3 m/s^2 (a 30 deg
    bank turn, 0.58 g, is 5.7 m/s^2); larger values are jumps in the recorded positions."""
    p = truth_pos
    a = np.zeros(p.shape[:2])
    if p.shape[0] > 2 * step:
        d2 = p[2 * step :] - 2.0 * p[step:-step] + p[: -2 * step]
        a[step:-step] = np.linalg.norm(d2, axis=2) / step**2
    return maximum_filter1d(a, size=3 * step + 1, axis=0, origin=3 * step // 2)


def coverage_samples(
    result: RunResult, run: int, flight_of: NDArray[np.int64], scored_from_s: float
) -> Samples:
    """Truth samples in coverage (module docstring) at the scored grid times of one run."""
    truth, plots = result.truth, result.plots
    revisit = result.radars[0].preset.scan_period_s
    det = plots.truth_id >= 0
    tid, tp = plots.truth_id[det], plots.t[det]
    order = np.lexsort((tp, tid))
    tid, tp = tid[order], tp[order]
    counts = np.bincount(tid, minlength=truth.n)
    grid = truth.t[truth.t >= scored_from_s - 1e-9]
    k0 = truth.t.size - grid.size
    obj = np.repeat(np.arange(truth.n), grid.size)
    tt = np.tile(grid, truth.n)
    alive = (tt >= truth.start_s[obj]) & (tt <= truth.end_s[obj]) & (counts[obj] >= 2)
    obj, tt = obj[alive], tt[alive]
    # latest plot of the same object at or before t (plots sorted by object, time)
    key_p = tid * RUN_TIME_SPAN_S + tp
    idx = np.searchsorted(key_p, obj * RUN_TIME_SPAN_S + tt, side="right") - 1
    ok = idx >= 0
    ok[ok] = (tid[idx[ok]] == obj[ok]) & (tt[ok] - tp[idx[ok]] <= 2.0 * revisit + 1e-9)
    obj, tt = obj[ok], tt[ok]
    k = np.rint(tt / truth.dt).astype(np.int64)
    assert k.min(initial=k0) >= k0
    xyz = truth.pos[k, obj]
    radar = result.radars[0].position_enu
    accel = recorded_acceleration(truth.pos)[k, obj]
    return Samples(
        run=run,
        t=tt,
        obj=obj,
        flight=flight_of[obj],
        xyz=xyz,
        vel=truth.vel[k, obj],
        height_m=truth.height[k, obj],
        ground_range_m=np.hypot(xyz[:, 0] - radar[0], xyz[:, 1] - radar[1]),
        accel_mps2=accel,
    )


def pooled_tables(cr: CollectionResult) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Truth and track columns of all runs on disjoint time axes with disjoint ids."""
    truth: dict[str, list[np.ndarray]] = {k: [] for k in ("t", "truth_id", "x", "y", "z")}
    truth.update({"vx": [], "vy": [], "vz": []})
    names = ("t", "track_id", "x", "y", "z", "vx", "vy", "vz", "status")
    tracks: dict[str, list[np.ndarray]] = {k: [] for k in names}
    for s, res in zip(cr.samples, cr.results, strict=True):
        base = s.run * RUN_TIME_SPAN_S
        truth["t"].append(base + s.t)
        truth["truth_id"].append(s.run * RUN_ID_SPAN + s.obj)
        for i, a in enumerate("xyz"):
            truth[a].append(s.xyz[:, i])
            truth["v" + a].append(s.vel[:, i])
        tr = res.tracks
        tracks["t"].append(base + tr.t)
        tracks["track_id"].append(s.run * RUN_ID_SPAN + tr.track_id)
        for a in ("x", "y", "z", "vx", "vy", "vz", "status"):
            tracks[a].append(getattr(tr, a))
    return (
        {k: np.concatenate(v) for k, v in truth.items()},
        {k: np.concatenate(v) for k, v in tracks.items()},
    )


def tracked_flags(truth: dict[str, np.ndarray], tracks: dict[str, np.ndarray]) -> np.ndarray:
    """Per truth row: associated with a confirmed or coasting track (SIAP association as in
    ``metrics.evaluate``, whose helpers are reused so the flags add up to its completeness)."""
    times = np.unique(truth["t"])
    if tracks["t"].size:
        times = times[(times >= tracks["t"].min()) & (times <= tracks["t"].max())]
    tcols = {k: truth[k] for k in ("t", "truth_id", "x", "y", "z")}
    # rows in the (id, t) order that _truth_samples uses, then by time index as evaluate does
    order, _, _ = metrics._by_id_then_t(tcols["truth_id"], tcols["t"].astype(np.float64))
    rows = order[np.isin(tcols["t"][order], times)]
    tk, _, tpos, _ = metrics._truth_samples(tcols, times, False)
    by_t = np.argsort(tk, kind="stable")
    tk, tpos, rows = tk[by_t], tpos[by_t], rows[by_t]
    ek, _, epos, _ = metrics._by_time(*metrics._track_estimates(tracks, times))
    n_t = times.size
    _, a_tru, _ = metrics._associate(
        tpos, metrics._bounds(tk, n_t), epos, metrics._bounds(ek, n_t), ASSOCIATION_M
    )
    out = np.zeros(truth["t"].size, dtype=bool)
    out[rows[a_tru]] = True
    return out


def run_collection(
    name: str,
    span_s: float | None,
    chunk_s: float,
    warmup_s: float,
    max_flights: int | None,
    preset: str,
    tracking: dict[str, Any],
) -> CollectionResult:
    """Simulate, track and collect the in-coverage samples of every chunk of a collection."""
    flights = load_collection(name)
    centre = collection_centre(flights)
    total = float(flights.time_s.max()) if span_s is None else span_s
    cr = CollectionResult(name, flights)
    clock = time.perf_counter()
    for run, (offset, duration, scored_from) in enumerate(windows(total, chunk_s, warmup_s)):
        scenario = build_scenario(name, centre, offset, duration, max_flights, preset, tracking)
        res = simulate(resolve(scenario))
        flight_of = match_flights(res, flights, offset)
        cr.results.append(res)
        cr.flight_of.append(flight_of)
        cr.samples.append(coverage_samples(res, run, flight_of, scored_from))
    cr.wall_s = time.perf_counter() - clock
    return cr


def score(cr: CollectionResult) -> tuple[dict[str, Any], metrics.TrackingScore, np.ndarray]:
    """Pooled SIAP and GOSPA of a collection, the row of the table and per-sample flags."""
    truth, tracks = pooled_tables(cr)
    sc = metrics.evaluate(truth, tracks, c_m=GOSPA_C_M, association_distance_m=ASSOCIATION_M)
    tracked = tracked_flags(truth, tracks)
    in_cov = np.unique(np.concatenate([s.flight for s in cr.samples]))
    seen = np.unique(np.concatenate([f[f >= 0] for f in cr.flight_of]))
    row = {
        "collection": cr.name,
        "runs": len(cr.results),
        "flights": int(seen.size),
        "in_coverage": int(in_cov.size),
        "plots": sum(int(r.plots.t.size) for r in cr.results),
        "confirmed_tracks": sum(int(r.summary["tracks_confirmed"]) for r in cr.results),
        "completeness": sc.completeness,
        "ambiguity": sc.ambiguity,
        "spuriousness": sc.spuriousness,
        "position_m": sc.position_accuracy_m,
        "changes_per_h": sc.track_number_change_rate_per_s * 3600.0,
        "gospa_m": sc.gospa_mean,
        "tracking_s": sum(r.timings_s["tracking"] for r in cr.results),
        "wall_s": cr.wall_s,
    }
    return row, sc, tracked


#: Why an in-coverage sample has no track within the association distance (classify()).
CAUSES = (
    "initiation: flight not yet under a confirmed track",
    "re-initiation: its plots feed only a tentative track",
    "track > 1 km off, < 60 s after confirmation",
    "track > 1 km off later (manoeuvre, swap)",
    "track near it but associated to a closer flight",
    "its plots feed no track",
)


def classify(res: RunResult, s: Samples, tracked: np.ndarray) -> np.ndarray:
    """Cause index (CAUSES) of each untracked sample of one run, -1 for tracked ones.

    Uses the track rows updated by the flight's own plots (``truth_id``): before its first
    confirmed row, initiation; afterwards the latest such row within two revisits decides.
    """
    tr = res.tracks
    revisit = res.radars[0].preset.scan_period_s
    out = np.full(s.t.size, -1, dtype=np.int64)
    upd = np.flatnonzero(tr.truth_id >= 0)
    upd = upd[np.lexsort((tr.t[upd], tr.truth_id[upd]))]
    first_conf = np.full(res.truth.n, np.inf)
    conf = upd[tr.status[upd] == CONFIRMED]
    np.minimum.at(first_conf, tr.truth_id[conf], tr.t[conf])
    miss = np.flatnonzero(~tracked)
    j, t = s.obj[miss], s.t[miss]
    key = tr.truth_id[upd] * RUN_TIME_SPAN_S + tr.t[upd]
    a = np.searchsorted(key, j * RUN_TIME_SPAN_S + t, side="right") - 1
    has = a >= 0
    has[has] = tr.truth_id[upd[a[has]]] == j[has]
    row = upd[np.maximum(a, 0)]
    has &= t - tr.t[row] <= 2.0 * revisit + 1e-9
    est = np.column_stack([tr.x[row], tr.y[row], tr.z[row]])
    est += np.column_stack([tr.vx[row], tr.vy[row], tr.vz[row]]) * (t - tr.t[row])[:, None]
    err = np.linalg.norm(est - s.xyz[miss], axis=1)
    early = t - first_conf[j] < 60.0
    cause = np.select(
        [
            t < first_conf[j],
            ~has,
            tr.status[row] == TENTATIVE,
            (err > ASSOCIATION_M) & early,
            err > ASSOCIATION_M,
        ],
        [0, 5, 1, 2, 3],
        default=4,
    )
    out[miss] = cause
    return out


def breakdown(cr: CollectionResult, tracked: np.ndarray, worst: int) -> None:
    """Why in-coverage samples are untracked: by cause, height and range; worst flights."""
    parts, off = [], 0
    for s, res in zip(cr.samples, cr.results, strict=True):
        parts.append(classify(res, s, tracked[off : off + s.t.size]))
        off += s.t.size
    cause = np.concatenate(parts)
    flight = np.concatenate([s.flight for s in cr.samples])
    height = np.concatenate([s.height_m for s in cr.samples])
    rng = np.concatenate([s.ground_range_m for s in cr.samples])
    accel = np.concatenate([s.accel_mps2 for s in cr.samples])
    n_miss = int((~tracked).sum())
    print(f"\n{cr.name}: {tracked.size} in-coverage samples, {n_miss} untracked")
    for i, label in enumerate(CAUSES):
        v = int((cause == i).sum())
        print(f"  {label:<54} {v:7d} ({v / max(n_miss, 1):6.1%})")
    after = cause != 0
    print(f"  completeness once a flight has been confirmed: {tracked[after].mean():.2%}")
    for name, values, edges in (
        ("height km", height / 1000.0, [-1, 0.5, 1, 2, 4, 7, 20]),
        ("ground range km", rng / 1000.0, [0, 10, 25, 50, 100, 150, 200, 300, 600]),
        ("recorded acceleration m/s^2 (last 30 s)", accel, [0, 1, 3, 6, 10, 20, 1e9]),
    ):
        print(f"  completeness by {name}:")
        bins = np.digitize(values, edges[1:-1])
        for i in range(len(edges) - 1):
            m = bins == i
            if m.any():
                init = (cause[m] == 0).sum() / max(int((~tracked[m]).sum()), 1)
                print(
                    f"    {edges[i]:>4g}-{edges[i + 1]:<4g} {int(m.sum()):8d} samples "
                    f"{tracked[m].mean():7.2%} (initiation: {init:4.0%} of the untracked)"
                )
    ok = flight >= 0
    miss_by_flight = np.bincount(flight[ok], weights=(~tracked)[ok])
    n_by_flight = np.bincount(flight[ok])
    print(f"  worst {worst} flights (untracked / in-coverage samples; by cause as above):")
    for f in np.argsort(-miss_by_flight, kind="stable")[:worst]:
        if miss_by_flight[f] == 0:
            break
        m = flight == f
        causes = np.bincount(cause[m & (cause >= 0)], minlength=len(CAUSES))
        print(
            f"    {cr.flights.callsign[f] or '?':<8} {cr.flights.icao24[f]} "
            f"{int(miss_by_flight[f]):4d}/{int(n_by_flight[f]):5d}  "
            f"h {height[m].min() / 1e3:4.1f}-{height[m].max() / 1e3:4.1f} km  "
            f"r {rng[m].min() / 1e3:5.1f}-{rng[m].max() / 1e3:5.1f} km  {causes.tolist()}"
        )


def commit() -> str:
    """Short hash of the checked-out commit (``?`` outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return out.stdout.strip()


def print_table(rows: list[dict[str, Any]], argv_line: str) -> None:
    """The markdown table for BENCHMARKS.md, with the command, commit and nproc."""
    print(f"\nCommand: `{argv_line}`; commit {commit()}; nproc {nproc()}\n")
    print(
        "| collection | runs | flights | in coverage | plots | confirmed tracks | completeness "
        "| ambiguity | spuriousness | position accuracy m | track-number changes / h "
        "| mean GOSPA m (c 2 km) | tracking s | total s |"
    )
    print("|---|" + "---|" * 13)
    for r in rows:
        print(
            f"| {r['collection']} | {r['runs']} | {r['flights']} | {r['in_coverage']} "
            f"| {r['plots']:,} | {r['confirmed_tracks']} | {r['completeness']:.2%} "
            f"| {r['ambiguity']:.3f} | {r['spuriousness']:.3f} | {r['position_m']:.0f} "
            f"| {r['changes_per_h']:.2f} | {r['gospa_m']:.0f} | {r['tracking_s']:.1f} "
            f"| {r['wall_s']:.1f} |"
        )


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the benchmark; returns the table's rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", default="quickstart,switzerland")
    parser.add_argument("--max-flights", type=int, default=None, help="per run (chunk)")
    parser.add_argument(
        "--duration-s", type=float, default=None, help="recording seconds (default: all)"
    )
    parser.add_argument("--chunk-s", type=float, default=3600.0)
    parser.add_argument("--warmup-s", type=float, default=120.0)
    parser.add_argument("--preset", default=RADAR_PRESET)
    parser.add_argument(
        "--tracking",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tracking: setting of the scenario, e.g. filter=cv (repeatable)",
    )
    parser.add_argument("--worst", type=int, default=10, help="flights in the breakdown")
    args = parser.parse_args(argv)
    tracking = {k: yaml.safe_load(v) for k, v in (a.split("=", 1) for a in args.tracking)}
    rows = []
    for name in args.collection.split(","):
        cr = run_collection(
            name,
            args.duration_s,
            args.chunk_s,
            args.warmup_s,
            args.max_flights,
            args.preset,
            tracking,
        )
        row, _, tracked = score(cr)
        rows.append(row)
        if args.worst:
            breakdown(cr, tracked, args.worst)
    extra = " ".join(sys.argv[1:] if argv is None else argv)
    print_table(rows, f".venv/bin/python bench/tracking_traffic.py {extra}".strip())
    return rows


if __name__ == "__main__":
    main()
