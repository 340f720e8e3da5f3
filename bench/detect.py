"""Benchmark of the detect stage: object-scan looks evaluated per second on one core.

10,000 objects at random positions 10-400 km from one rotating surveillance radar,
heights 30 m - 15 km, straight-line velocities; one 300 s window (30 scans) evaluated
at once. Run:  OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/detect.py
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402

from airdefense.geo import Frame  # noqa: E402
from airdefense.sensors import Radar  # noqa: E402
from airdefense.systems.models import RadarPreset  # noqa: E402
from airdefense.world.truth import Truth  # noqa: E402

N_OBJECTS = 10_000
WINDOW_S = 300.0
DT_S = 1.0
REPEATS = 5


def make_truth(
    frame: Frame, n: int, duration_s: float, dt: float, rng: np.random.Generator
) -> Truth:
    """Straight-line trajectories 10-400 km around the radar, 30 m - 15 km up, 50-700 m/s."""
    t = np.arange(0.0, duration_s + dt, dt)
    rho = rng.uniform(10e3, 400e3, n)
    bearing = rng.uniform(0.0, 2.0 * np.pi, n)
    h = np.exp(rng.uniform(np.log(30.0), np.log(15e3), n))
    speed = rng.uniform(50.0, 700.0, n)
    heading = rng.uniform(0.0, 2.0 * np.pi, n)
    # start at true heights h above the ellipsoid, fly straight (ENU) lines level there
    p0 = frame.map_to_enu(rho * np.sin(bearing), rho * np.cos(bearing), h)
    up = frame.map_to_enu(rho * np.sin(bearing), rho * np.cos(bearing), h + 1.0) - p0
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east, axis=-1, keepdims=True)
    north = np.cross(up, east)
    v = speed[:, None] * (np.sin(heading)[:, None] * east + np.cos(heading)[:, None] * north)
    return Truth.straight_lines(frame, t, p0, v, rcs_m2=rng.uniform(0.1, 10.0, n))


PRESET = RadarPreset(
    name="bench-surveillance",
    frequency_hz=3.0e9,
    peak_power_w=1.0e6,
    antenna_gain_db=38.0,
    pulse_width_s=100e-6,
    range_resolution_m=150.0,
    system_noise_temperature_k=500.0,
    losses_db=8.0,
    pulses_integrated=10,
    scan_period_s=10.0,
    azimuth_beamwidth_deg=1.5,
    elevation_beamwidth_deg=5.0,
    max_range_km=450.0,
    max_elevation_deg=60.0,
    antenna_height_m=20.0,
)


def main() -> None:
    rng = np.random.default_rng(12345)
    frame = Frame.from_degrees(50.0, 30.0, 0.0)
    truth = make_truth(frame, N_OBJECTS, WINDOW_S + 10.0, DT_S, rng)
    radar = Radar(PRESET, 0, "bench", np.array([0.0, 0.0, 20.0]), 0.0, 0.0, frame)
    t_start = time.perf_counter()
    radar.scan_window(0.0, 10.0, truth, np.random.default_rng(0))  # warm-up (tables, jit)
    first = time.perf_counter() - t_start
    # the object-major truth copy is built by the first call on a Truth and cached on it
    # (the simulation loop pays it once per run): a full window on a fresh Truth, and the
    # copy on its own
    fresh = make_truth(frame, N_OBJECTS, WINDOW_S + 10.0, DT_S, np.random.default_rng(1))
    t_start = time.perf_counter()
    radar.scan_window(0.0, WINDOW_S, fresh, np.random.default_rng(0))
    cold = time.perf_counter() - t_start
    fresh = make_truth(frame, N_OBJECTS, WINDOW_S + 10.0, DT_S, np.random.default_rng(1))
    t_start = time.perf_counter()
    _ = fresh.object_major
    copy = time.perf_counter() - t_start
    del fresh
    times = []
    for i in range(REPEATS):
        r = np.random.default_rng(i)
        t_start = time.perf_counter()
        plots, looks = radar.scan_window(0.0, WINDOW_S, truth, r, return_looks=True)
        times.append(time.perf_counter() - t_start)
    best = min(times)
    median = float(np.median(times))
    # the evaluation alone: every look's geometry, horizon, SNR, Pd and its detection draw,
    # without building plots (cell merging, measurement noise, columns, false alarms)
    ids = np.arange(truth.n)
    evals = []
    for i in range(REPEATS):
        r = np.random.default_rng(i)
        t_start = time.perf_counter()
        _, n_vis, vis_f, _ = radar._looks(0.0, WINDOW_S, truth, ids)
        detected = int(np.count_nonzero(r.random(n_vis) < vis_f[6, :n_vis]))
        evals.append(time.perf_counter() - t_start)
    n_fa = int(np.sum(plots.truth_id < 0))
    print(
        f"detect: {N_OBJECTS} objects, {WINDOW_S:.0f} s window ({WINDOW_S / PRESET.scan_period_s:.0f} scans), "
        f"{looks} looks, {len(plots)} plots ({n_fa} false alarms)"
    )
    print(
        f"best of {REPEATS}: {best:.3f} s -> {looks / best / 1e6:.2f} million looks/s on one core; "
        f"median {median:.3f} s -> {looks / median / 1e6:.2f} million looks/s"
    )
    print(
        f"evaluation alone (geometry, horizon, SNR, Pd, detection draw; {detected} detected), "
        f"best of {REPEATS}: {min(evals):.3f} s -> {looks / min(evals) / 1e6:.2f} million looks/s"
    )
    print(f"first call (Pd tables, numba compile or cache load, truth copy): {first:.2f} s")
    print(
        f"window on a fresh Truth (object-major copy included): {cold:.3f} s "
        f"-> {looks / cold / 1e6:.2f} million looks/s; the copy alone {copy:.3f} s"
    )


if __name__ == "__main__":
    main()
