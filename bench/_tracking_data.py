"""Synthetic 3-D tracking scenes for the tracking benchmarks (plain numpy, metres, seconds).

Targets fly near-constant-velocity paths (continuous white-noise acceleration of power
spectral density ``q_truth_m2ps3`` per axis, BLK eq. 6.2.2-12) at 100-600 m/s on random
headings, level at flight levels 1-12 km (every 300 m, so targets at one level cross one
another). The surveillance box is ``L x L x 15 km`` centred on the origin with
``L = sqrt(n_targets * area_per_target_km2)``, so the density of targets is the same at
every size. Each live target is detected with probability ``pd`` with Gaussian position
noise ``sigma_m`` per axis; Poisson clutter (mean ``clutter_per_scan``) is uniform over
the box. Detections of a scan are shuffled and all carry the scan time.

Two kinds of scene: a fixed set of targets alive for the whole run (``mean_life_s=None``;
positions uniform over the box at mid-run), or births and deaths (targets born uniformly
in the box at a Poisson rate ``n_targets / mean_life_s`` with exponential lifetimes of
mean ``mean_life_s``, so ``n_targets`` are alive on average). :func:`iter_scans` yields
scan by scan (memory independent of the run length); :func:`make_scenario` collects them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

BOX_HEIGHT_M = 15_000.0


@dataclass(frozen=True)
class Scan:
    """One scan: detections (K, 3) with their truth ids (-1: clutter), live truth (n, 3)."""

    t: float
    det_xyz: FloatArray
    det_truth_id: IntArray
    truth_xyz: FloatArray
    truth_id: IntArray


@dataclass(frozen=True)
class Scenario:
    """A whole run, per-scan lists of arrays (see :class:`Scan`), plus its settings."""

    times: FloatArray
    det_xyz: list[FloatArray]
    det_truth_id: list[IntArray]
    truth_xyz: list[FloatArray]
    truth_id: list[IntArray]
    sigma_m: float
    pd: float
    box_side_m: float
    clutter_per_scan: float

    @property
    def n_scans(self) -> int:
        return int(self.times.shape[0])

    @property
    def volume_m3(self) -> float:
        return self.box_side_m**2 * BOX_HEIGHT_M


def box_side_m(n_targets: int, area_per_target_km2: float = 900.0) -> float:
    """Side of the square surveillance area holding ``n_targets`` at the bench density."""
    return float(np.sqrt(max(n_targets, 1) * area_per_target_km2) * 1e3)


def _new_targets(rng: np.random.Generator, k: int, side: float) -> tuple[FloatArray, FloatArray]:
    """Positions uniform in the box at flight levels, velocities 100-600 m/s level."""
    xy = rng.uniform(-side / 2, side / 2, (k, 2))
    z = 1_000.0 + 300.0 * rng.integers(0, 37, k)
    speed = rng.uniform(100.0, 600.0, k)
    heading = rng.uniform(0.0, 2.0 * np.pi, k)
    pos = np.column_stack([xy, z])
    vel = np.column_stack([speed * np.sin(heading), speed * np.cos(heading), np.zeros(k)])
    return pos, vel


def _propagate(
    rng: np.random.Generator, pos: FloatArray, vel: FloatArray, dt: float, q: float
) -> None:
    """Exact discrete constant-velocity step with white-noise acceleration, in place."""
    if dt <= 0.0 or pos.shape[0] == 0:
        return
    cov = q * np.array([[dt**3 / 3, dt**2 / 2], [dt**2 / 2, dt]])
    chol = np.linalg.cholesky(cov)
    w = rng.standard_normal((pos.shape[0], 3, 2)) @ chol.T  # (n, axis, [pos, vel])
    pos += vel * dt + w[:, :, 0]
    vel += w[:, :, 1]


def iter_scans(
    n_targets: int,
    n_scans: int,
    dt_s: float,
    clutter_per_scan: float,
    seed: int,
    pd: float = 0.9,
    sigma_m: float = 50.0,
    q_truth_m2ps3: float = 0.1,
    mean_life_s: float | None = None,
    area_per_target_km2: float = 900.0,
) -> Iterator[Scan]:
    """Yield the scans of a reproducible scene one at a time (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side = box_side_m(n_targets, area_per_target_km2)
    pos, vel = _new_targets(rng, n_targets, side)
    if mean_life_s is None:
        pos -= vel * (0.5 * (n_scans - 1) * dt_s)  # uniform over the box at mid-run
        death = np.full(n_targets, np.inf)
    else:
        death = rng.exponential(mean_life_s, n_targets)
    ids = np.arange(n_targets, dtype=np.int64)
    next_id = n_targets
    low = np.array([-side / 2, -side / 2, 0.0])
    high = np.array([side / 2, side / 2, BOX_HEIGHT_M])
    for i in range(n_scans):
        t = i * dt_s
        if i > 0:
            _propagate(rng, pos, vel, dt_s, q_truth_m2ps3)
            if mean_life_s is not None:
                alive = death > t
                pos, vel, ids, death = pos[alive], vel[alive], ids[alive], death[alive]
                k = int(rng.poisson(n_targets * dt_s / mean_life_s))
                p_new, v_new = _new_targets(rng, k, side)
                pos = np.concatenate([pos, p_new])
                vel = np.concatenate([vel, v_new])
                ids = np.concatenate([ids, np.arange(next_id, next_id + k, dtype=np.int64)])
                death = np.concatenate([death, t + rng.exponential(mean_life_s, k)])
                next_id += k
        seen = rng.random(ids.shape[0]) < pd
        det = pos[seen] + rng.normal(0.0, sigma_m, (int(seen.sum()), 3))
        n_clutter = int(rng.poisson(clutter_per_scan))
        clutter = rng.uniform(low, high, (n_clutter, 3))
        det_xyz = np.concatenate([det, clutter])
        det_id = np.concatenate([ids[seen], np.full(n_clutter, -1, dtype=np.int64)])
        order = rng.permutation(det_id.shape[0])
        yield Scan(t, det_xyz[order], det_id[order], pos.copy(), ids.copy())


def make_scenario(
    n_targets: int,
    n_scans: int,
    dt_s: float,
    clutter_per_scan: float,
    seed: int,
    pd: float = 0.9,
    sigma_m: float = 50.0,
    q_truth_m2ps3: float = 0.1,
    mean_life_s: float | None = None,
    area_per_target_km2: float = 900.0,
) -> Scenario:
    """A reproducible scene held in memory: per-scan detections and truth (see the module)."""
    scans = list(
        iter_scans(
            n_targets,
            n_scans,
            dt_s,
            clutter_per_scan,
            seed,
            pd=pd,
            sigma_m=sigma_m,
            q_truth_m2ps3=q_truth_m2ps3,
            mean_life_s=mean_life_s,
            area_per_target_km2=area_per_target_km2,
        )
    )
    return Scenario(
        times=np.array([s.t for s in scans], dtype=np.float64),
        det_xyz=[s.det_xyz for s in scans],
        det_truth_id=[s.det_truth_id for s in scans],
        truth_xyz=[s.truth_xyz for s in scans],
        truth_id=[s.truth_id for s in scans],
        sigma_m=sigma_m,
        pd=pd,
        box_side_m=box_side_m(n_targets, area_per_target_km2),
        clutter_per_scan=clutter_per_scan,
    )
