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
from numba import njit
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


def classify(
    vel: FloatArray,
    height_m: FloatArray,
    ballistic: NDArray[np.bool_],
    drone_max_speed_mps: float = 80.0,
    cruise_max_height_m: float = 1_500.0,
) -> IntArray:
    """Class of each track from its kinematics: ballistic if identification saw an arc;
    drone below ``drone_max_speed_mps``; cruise missile below ``cruise_max_height_m`` and
    faster; aircraft otherwise (the defaults are the doctrine's)."""
    speed = np.linalg.norm(vel, axis=-1)
    out = np.full(speed.shape, AIRCRAFT, dtype=np.int64)
    out[(np.asarray(height_m) < cruise_max_height_m) & (speed >= drone_max_speed_mps)] = CRUISE
    out[speed < drone_max_speed_mps] = DRONE
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
    = 0, inside radius + margin. Compiled: the engage stage asks every decision cycle, and
    numpy's call overhead on (K, A) arrays of a few dozen tracks was the whole cost.
    """
    pos = np.ascontiguousarray(pos, dtype=np.float64).reshape(-1, 3)
    vel = np.ascontiguousarray(vel, dtype=np.float64).reshape(-1, 3)
    cls = np.ascontiguousarray(threat_class, dtype=np.int64)
    asset, ttg, arrival = _threat_kernel(
        pos,
        vel,
        cls == BALLISTIC,
        np.ascontiguousarray(asset_pos, dtype=np.float64).reshape(-1, 3),
        np.ascontiguousarray(asset_radius_m, dtype=np.float64) + margin_m,
        float(horizon_s),
    )
    hit = asset >= 0
    value = (
        np.where(
            hit,
            np.asarray(asset_value, dtype=np.float64)[np.maximum(asset, 0)]
            * np.asarray(damage_share)[cls],
            0.0,
        )
        if asset_pos.shape[0]
        else np.zeros(pos.shape[0])
    )
    return ThreatAssessment(asset, ttg, cls, value, arrival)


@njit(cache=True, nogil=True)
def _threat_kernel(pos, vel, ballistic, asset_pos, reach, horizon_s):
    """The asset each track reaches first (-1 none), when, and where it arrives (see
    :func:`evaluate_threats`); one pass over tracks x assets."""
    k, a = pos.shape[0], asset_pos.shape[0]
    asset = np.full(k, -1, dtype=np.int64)
    ttg = np.full(k, np.inf)
    arrival = np.full((k, 3), np.nan)
    for i in range(k):
        vx, vy, vz, z = vel[i, 0], vel[i, 1], vel[i, 2], pos[i, 2]
        if ballistic[i]:
            # the impact point of the arc z + vz t - g t^2 / 2 = 0 (descending or not yet)
            t_imp = (vz + np.sqrt(max(vz * vz + 2 * G0 * max(z, 0.0), 0.0))) / G0
            ix, iy = pos[i, 0] + vx * t_imp, pos[i, 1] + vy * t_imp
        v2 = max(vx * vx + vy * vy, 1e-9)
        best = np.inf
        for j in range(a):
            rx, ry = asset_pos[j, 0] - pos[i, 0], asset_pos[j, 1] - pos[i, 1]
            if ballistic[i]:
                t_star = t_imp
                miss = np.sqrt((asset_pos[j, 0] - ix) ** 2 + (asset_pos[j, 1] - iy) ** 2)
            else:
                # horizontal closest approach of the straight path, t* = r.v / |v|^2
                t_star = min(max((rx * vx + ry * vy) / v2, 0.0), horizon_s)
                mx, my = rx - vx * t_star, ry - vy * t_star
                miss = np.sqrt(mx * mx + my * my)
            if miss <= reach[j] and t_star < best:
                best = t_star
                asset[i] = j
        if asset[i] >= 0:
            ttg[i] = best
            if ballistic[i]:
                arrival[i, 0], arrival[i, 1], arrival[i, 2] = ix, iy, 0.0
            else:
                arrival[i, 0] = pos[i, 0] + vx * best
                arrival[i, 1] = pos[i, 1] + vy * best
                arrival[i, 2] = pos[i, 2] + vz * best
    return asset, ttg, arrival
