"""Benchmark of the ASTERIX encoders and the CAT048 reader: plots and track updates a second.

    .venv/bin/python bench/asterix_codec.py [--plots 1000000] [--tracks 1000000] [--repeat 3]
                                      [--run RUN_DIR]

Synthetic inputs, seeded: ``--plots`` radar plots of 8 radars over an hour (range 1-470 km,
heights 0-20 km, SNR, elevation and sigmas), encoded as CAT048 edition 1.21 with and without
the SP field (65,535-octet blocks, one per radar and second) and as 1,400-octet datagrams, then
decoded by our reader; ``--tracks`` track updates of 2,000 tracks over an hour encoded as
CAT062 edition 1.18 (including the ENU -> WGS-84 conversion and each velocity's rotation to
north at the target). Each figure is the best of ``--repeat`` runs on one core (single-threaded
numpy; the reader's walker is compiled with numba, warmed up first). With ``--run``, also the
whole export of a run directory (opened with ``RunReader``, read, both categories encoded).
Prints a markdown table for BENCHMARKS.md with the command and nproc.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from airdefense.geo import Frame  # noqa: E402
from airdefense.interop import asterix as ax  # noqa: E402


def synthetic_plots(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "t": np.sort(rng.uniform(0.0, 3600.0, n)),
        "sensor_id": rng.integers(0, 8, n),
        "range_m": rng.uniform(1e3, 4.7e5, n),
        "azimuth_rad": rng.uniform(0.0, 2 * np.pi, n),
        "height_m": rng.uniform(0.0, 2e4, n),
        "snr_db": rng.uniform(10.0, 40.0, n),
        "elevation_rad": rng.uniform(0.0, 0.3, n),
        "sigma_range_m": rng.uniform(10.0, 200.0, n),
        "sigma_azimuth_rad": rng.uniform(1e-4, 5e-3, n),
        "sigma_elevation_rad": rng.uniform(1e-4, 5e-3, n),
        "truth_id": rng.integers(-1, 2000, n),
    }


def synthetic_tracks(n: int, seed: int = 2) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "t": np.sort(rng.uniform(0.0, 3600.0, n)),
        "track_id": rng.integers(1, 2001, n),
        "position_enu": np.column_stack(
            [rng.uniform(-4e5, 4e5, n), rng.uniform(-4e5, 4e5, n), rng.uniform(0, 2e4, n)]
        ),
        "velocity_enu": rng.uniform(-300.0, 300.0, (n, 3)),
        "status": rng.integers(0, 3, n),
        "sigma_enu": rng.uniform(10.0, 2000.0, (n, 3)),
        "frame": Frame.from_degrees(47.0, 8.0, 0.0),
    }


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plots", type=int, default=1_000_000)
    ap.add_argument("--tracks", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--run", type=Path, default=None, help="a run directory to export too")
    args = ap.parse_args(argv)

    p = synthetic_plots(args.plots)
    basic = {k: p[k] for k in ("t", "sensor_id", "range_m", "azimuth_rad")}
    sp = {k: p[k] for k in ("elevation_rad", "sigma_range_m", "sigma_azimuth_rad",
                            "sigma_elevation_rad", "truth_id")}  # fmt: skip
    tr = synthetic_tracks(args.tracks)
    ax.decode_cat048(ax.encode_plots([0.0], [0], [1e3], [0.0]).to_bytes())  # compile the walker

    rows: list[tuple[str, int, float, int]] = []

    def row(label: str, n: int, fn: Callable[[], Any]) -> Any:
        seconds, out = best_of(args.repeat, fn)
        size = int(out.data.shape[0]) if isinstance(out, ax.Encoded) else 0
        rows.append((label, n, seconds, size))
        print(f"  {label}: {n / seconds:,.0f}/s", file=sys.stderr)
        return out

    row("CAT048 plots, basic items + FL, 3D height, SNR", args.plots,
        lambda: ax.encode_plots(**basic, height_m=p["height_m"], snr_db=p["snr_db"]))  # fmt: skip
    enc = row("CAT048 plots, all items + SP (what the export writes)", args.plots,
              lambda: ax.encode_plots(**basic, height_m=p["height_m"], snr_db=p["snr_db"], **sp))  # fmt: skip
    row("CAT048 plots as 1,400-octet datagrams", args.plots,
        lambda: ax.encode_plots(**basic, height_m=p["height_m"], snr_db=p["snr_db"], **sp,
                                max_bytes=ax.DATAGRAM_BYTES))  # fmt: skip
    row("CAT062 track updates (all items)", args.tracks, lambda: ax.encode_tracks(**tr))
    data = enc.to_bytes()
    row("CAT048 decoded by our reader (all fields)", args.plots, lambda: ax.decode_cat048(data))
    if args.run is not None:
        seconds, run = best_of(args.repeat, lambda: ax.encode_run(args.run))
        n = run.plots.n_records + run.tracks.n_records
        rows.append((f"whole export of {args.run.name} (read + both categories)", n, seconds, 0))

    print(f"`{' '.join(['.venv/bin/python', 'bench/asterix_codec.py', *(argv or sys.argv[1:])])}`, "
          f"nproc {os.cpu_count()}, one core\n")  # fmt: skip
    print("| what | records | seconds | records/s | octets/record |")
    print("|---|---:|---:|---:|---:|")
    for label, n, seconds, size in rows:
        per = f"{size / n:.1f}" if size else ""
        print(f"| {label} | {n:,} | {seconds:.3f} | {n / seconds:,.0f} | {per} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
