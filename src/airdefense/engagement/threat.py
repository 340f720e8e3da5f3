"""Threat evaluation: for every hostile track, what it threatens, when, and how much it is worth.

Batched over tracks and assets: each track's path is predicted from its state (straight and
level for air-breathing threats; a gravity arc for a ballistic one, whose impact point is
what it threatens), the closest approach to every defended asset found in closed form, and
the threatened asset is the one whose protected radius (plus a margin) the path enters
first. The value at stake is the asset's value times the share of it a threat of that
class destroys (doctrine in the scenario).

Sources: closest point of approach of two straight paths and the time-to-go of a ballistic
arc under constant gravity are textbook kinematics (e.g. Zarchan, *Tactical and Strategic
Missile Guidance*, 6th ed., 2012, ch. 1-2); the evaluation scheme (asset, time to go,
class, value) follows the threat-evaluation literature surveyed by F. Johansson and
G. Falkman, "A survey on threat evaluation and weapon allocation", Information Fusion 2008.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Threat classes from kinematics, in the order of :data:`CLASS_NAMES`.
AIRCRAFT, CRUISE, DRONE, BALLISTIC = 0, 1, 2, 3
CLASS_NAMES = ("aircraft", "cruise", "drone", "ballistic")
G0 = 9.80665


@dataclass(frozen=True)
class ThreatAssessment:
    """Per track: asset index threatened (-1 none), time to reach it (s, inf none), class,
    value at stake, and the predicted arrival point (ENU m)."""

    asset: IntArray
    time_to_go_s: FloatArray
    threat_class: IntArray
    value: FloatArray
    arrival: FloatArray


def classify(vel: FloatArray, height_m: FloatArray, ballistic: NDArray[np.bool_]) -> IntArray:
    """Class of each track from its kinematics: ballistic if identification saw an arc;
    drone below 80 m/s; cruise missile below 1,500 m and faster; aircraft otherwise."""
    speed = np.linalg.norm(vel, axis=-1)
    out = np.full(speed.shape, AIRCRAFT, dtype=np.int64)
    out[(np.asarray(height_m) < 1_500.0) & (speed >= 80.0)] = CRUISE
    out[speed < 80.0] = DRONE
    out[np.asarray(ballistic, dtype=bool)] = BALLISTIC
    return out


def evaluate_threats(
    pos: FloatArray,
    vel: FloatArray,
    threat_class: IntArray,
    asset_pos: FloatArray,
    asset_radius_m: FloatArray,
    asset_value: FloatArray,
    damage_share: FloatArray,
    margin_m: float = 5_000.0,
    horizon_s: float = 3_600.0,
) -> ThreatAssessment:
    """Assess tracks (K,) against assets (A,).

    pos, vel (K, 3) ENU; asset_pos (A, 3); damage_share (4,) the share of an asset's value a
    threat of each class destroys. Air-breathing threats: the horizontal closest approach of
    the straight path, t* = -(r . v) / |v|^2 (clipped to [0, horizon]), inside radius +
    margin. Ballistic threats: the impact point of the gravity arc, z(t) = z + vz t - g t^2 / 2
    = 0, inside radius + margin.
    """
    pos = np.asarray(pos, dtype=np.float64).reshape(-1, 3)
    vel = np.asarray(vel, dtype=np.float64).reshape(-1, 3)
    k, a = pos.shape[0], asset_pos.shape[0]
    cls = np.asarray(threat_class, dtype=np.int64)
    asset = np.full(k, -1, dtype=np.int64)
    ttg = np.full(k, np.inf)
    arrival = np.full((k, 3), np.nan)
    if k == 0 or a == 0:
        return ThreatAssessment(asset, ttg, cls, np.zeros(k), arrival)
    # air-breathing: horizontal closest approach to each asset
    r = asset_pos[None, :, :2] - pos[:, None, :2]  # (K, A, 2) from threat to asset
    v = vel[:, None, :2]
    v2 = np.maximum(np.sum(v * v, axis=-1), 1e-9)
    t_star = np.clip(np.sum(r * v, axis=-1) / v2, 0.0, horizon_s)  # (K, A)
    miss = np.linalg.norm(r - v * t_star[..., None], axis=-1)
    # ballistic: impact point of the arc (descending or not yet), then its distance
    vz, z = vel[:, 2], pos[:, 2]
    t_imp = (vz + np.sqrt(np.maximum(vz * vz + 2 * G0 * np.maximum(z, 0.0), 0.0))) / G0
    impact = pos[:, :2] + vel[:, :2] * t_imp[:, None]
    bal = cls == BALLISTIC
    miss_b = np.linalg.norm(asset_pos[None, :, :2] - impact[:, None, :], axis=-1)
    miss = np.where(bal[:, None], miss_b, miss)
    t_star = np.where(bal[:, None], t_imp[:, None], t_star)
    inside = miss <= (asset_radius_m[None, :] + margin_m)
    t_hit = np.where(inside, t_star, np.inf)
    best = np.argmin(t_hit, axis=1)
    hit = np.isfinite(t_hit[np.arange(k), best])
    asset[hit] = best[hit]
    ttg[hit] = t_hit[np.arange(k), best][hit]
    arr = pos + vel * np.where(hit, ttg, 0.0)[:, None]
    arr[bal] = np.column_stack([impact[bal], np.zeros(int(bal.sum()))])
    arrival[hit] = arr[hit]
    value = np.where(hit, asset_value[np.maximum(asset, 0)] * damage_share[cls], 0.0)
    return ThreatAssessment(asset, ttg, cls, value, arrival)
