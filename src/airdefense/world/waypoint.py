"""Waypoint flight: constant ground speed along legs joined by fly-by circular turns.

The route is laid out in the scenario's map coordinates (azimuthal equidistant east/north
metres along the Earth, :class:`airdefense.geo.Frame`) with heights above the WGS-84
ellipsoid, and only then converted to ENU. A constant height is therefore a true
constant-altitude flight that follows the Earth's curvature (a cruise missile at 40 m stays
at 40 m 300 km out, where the origin's tangent plane is 7 km up).

Model
-----
- Legs are straight lines in the map plane. At each interior waypoint the object flies a
  fly-by turn: a circular arc of radius r = 1.02 V / omega_max tangent to both legs,
  starting a distance d = r tan(delta / 2) before the waypoint (delta = heading change),
  which cuts the corner (fly-by turn geometry as in ICAO Doc 8168 *PANS-OPS* Vol. II;
  uniform circular motion, omega = V / r). The 2 % margin absorbs the map's anisotropy:
  the map lives on the mean-radius sphere while ENU is on the ellipsoid, so a map circle is
  a true ellipse whose curvature varies by up to +-0.6 % (meridian vs prime-vertical radii
  at the equator, NIMA TR8350.2 eq. 4-18, 4-19).
- If the legs are too short for d (a leg shared by two turns gives each half of it; the
  first and last legs give their whole length to their single turn), d is cut to fit and
  the radius shrinks to d / tan(delta / 2): that turn then exceeds omega_max. This is the
  graceful reduction (no NaN); the bound holds whenever the legs are long enough.
  Coincident waypoints give a zero-length leg and an instantaneous heading change.
- The speed V is the true horizontal speed at the object's height, constant: map metres
  differ from true metres (scale c / sin c across radials, Snyder 1987 eq. 25-8, and the
  sphere-vs-ellipsoid radii, up to ~0.6 %), so the path is re-timed by its true length:
  dt = scale(s) ds / V, integrated by the trapezoid rule on a <= 250 m sampling of the path
  and inverted by linear interpolation. end_s = start_s + true path length / V.
- Height varies linearly with path length between the waypoints' heights, each waypoint's
  height being reached at the middle of its turn arc (the climb rate is V times the
  route's slope; there is no separate climb-rate limit, so give gentle slopes).
- The object starts at its first waypoint at start_s and ends exactly on its last at
  end_s. Outside [start_s, end_s] the state is clamped (first / last state).

Velocities are analytic, not finite differences of the trajectory: the unit map tangent
and dh/ds, pushed through the Jacobian of the exact map -> ENU conversion, times
ds/dt = V / scale. The Jacobian-vector products are central differences of
``Frame.map_to_enu`` over +-0.01 s of motion (a few metres) and +-1 m of height, whose
truncation error is ~(step / Earth radius)^2 ~ 1e-12.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airdefense.geo import Frame

FloatArray = NDArray[np.float64]
#: Height changes over a path stretch shorter than this (m) happen at once.
MIN_CLIMB_SPAN_M = 1e-3

_TAU_S = 0.01  # time step of the Jacobian-vector product (s)
_RADIUS_MARGIN = 1.02  # turn radius margin over V / omega for the map's anisotropy
_SAMPLE_M = 250.0  # path sampling for the re-timing integral (m)


def _per_object(x: ArrayLike, n: int, name: str) -> FloatArray:
    a = np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)).copy()
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


def fly_waypoints(
    frame: Frame,
    t: ArrayLike,
    waypoints: ArrayLike,
    speed_mps: ArrayLike,
    start_s: ArrayLike,
    max_turn_rate_rad_s: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Fly N objects along their waypoint routes on the time grid t.

    Parameters
    ----------
    frame: the scenario frame (map coordinates and ENU).
    t: (T,) time grid, s.
    waypoints: (N, K, 3) map east (m), map north (m), height above the ellipsoid (m); rows
        after an object's last waypoint are NaN (at least 2 valid rows per object).
    speed_mps: (N,) or scalar ground speed, > 0.
    start_s: (N,) or scalar time at the first waypoint, s.
    max_turn_rate_rad_s: (N,) or scalar turn-rate bound, > 0 (sets the turn radius V/omega).

    Returns
    -------
    pos (T, N, 3) ENU m, vel (T, N, 3) ENU m/s, height (T, N) m above the ellipsoid,
    end_s (N,) time at the last waypoint.
    """
    t = np.asarray(t, dtype=np.float64)
    wp = np.asarray(waypoints, dtype=np.float64)
    if wp.ndim != 3 or wp.shape[2] != 3 or wp.shape[1] < 2:
        raise ValueError(f"waypoints must have shape (N, K>=2, 3), got {wp.shape}")
    n_obj, k_max, _ = wp.shape
    valid = np.all(np.isfinite(wp), axis=2)  # (N, K)
    n_valid = valid.sum(axis=1)
    if np.any(n_valid < 2) or np.any(valid != (np.arange(k_max) < n_valid[:, None])):
        raise ValueError("each object needs >= 2 leading valid waypoints, then only NaN rows")
    speed = _per_object(speed_mps, n_obj, "speed_mps")
    start = _per_object(start_s, n_obj, "start_s")
    omega = _per_object(max_turn_rate_rad_s, n_obj, "max_turn_rate_rad_s")
    if np.any(speed <= 0.0) or np.any(omega <= 0.0):
        raise ValueError("speed_mps and max_turn_rate_rad_s must be > 0")

    # Pad the tail with the last valid waypoint: padded legs have zero length.
    last = n_valid - 1
    idx = np.minimum(np.arange(k_max)[None, :], last[:, None])
    wp = np.take_along_axis(wp, idx[:, :, None], axis=1)
    xy, hgt = wp[:, :, :2], wp[:, :, 2]

    # Legs (N, K-1): unit directions and lengths in the map plane.
    dxy = np.diff(xy, axis=1)
    leg_len = np.hypot(dxy[..., 0], dxy[..., 1])
    u = np.where(
        leg_len[..., None] > 0.0, dxy / np.where(leg_len > 0.0, leg_len, 1.0)[..., None], 0.0
    )

    # Turns at interior waypoints 1..K-2 (N, K-2).
    u_in, u_out = u[:, :-1], u[:, 1:]
    cross = u_in[..., 0] * u_out[..., 1] - u_in[..., 1] * u_out[..., 0]
    dot = np.sum(u_in * u_out, axis=-1)
    delta = np.arctan2(np.abs(cross), dot)  # heading change in [0, pi]
    sign = np.where(cross >= 0.0, 1.0, -1.0)  # +1 = left (counter-clockwise) turn
    tan_half = np.tan(0.5 * delta)
    radius = (_RADIUS_MARGIN * speed / omega)[:, None]
    # Room on each leg: a leg between two turns gives each half, an end leg gives all.
    k_leg = np.arange(k_max - 1)
    end_leg = (k_leg[None, :] == 0) | (k_leg[None, :] == last[:, None] - 1)
    room = np.where(end_leg, leg_len, 0.5 * leg_len)
    d_turn = np.minimum(radius * tan_half, np.minimum(room[:, :-1], room[:, 1:]))
    has_turn = (delta > 1e-12) & (d_turn > 0.0)
    d_turn = np.where(has_turn, d_turn, 0.0)
    r_turn = np.where(has_turn, d_turn / np.where(has_turn, tan_half, 1.0), 0.0)
    arc_len = r_turn * delta

    # Segment table: line_0, arc_1, line_1, ..., arc_{K-2}, line_{K-2}  (S = 2K - 3).
    zeros = np.zeros((n_obj, 1))
    d_before = np.concatenate([zeros, d_turn], axis=1)  # turn distance at a leg's start
    d_after = np.concatenate([d_turn, zeros], axis=1)  # ... and at its end
    line_len = np.maximum(leg_len - d_before - d_after, 0.0)
    line_a = xy[:, :-1] + d_before[..., None] * u  # (N, K-1, 2) line start points
    arc_a = xy[:, 1:-1] - d_turn[..., None] * u_in  # (N, K-2, 2) arc start points
    n_seg = 2 * k_max - 3
    seg_len = np.zeros((n_obj, n_seg))
    seg_len[:, 0::2] = line_len
    seg_len[:, 1::2] = arc_len
    seg_a = np.zeros((n_obj, n_seg, 2))
    seg_a[:, 0::2] = line_a
    seg_a[:, 1::2] = arc_a
    seg_u = np.zeros((n_obj, n_seg, 2))  # direction at the segment's start
    seg_u[:, 0::2] = u
    seg_u[:, 1::2] = u_in
    seg_r = np.zeros((n_obj, n_seg))
    seg_r[:, 1::2] = r_turn
    seg_sign = np.zeros((n_obj, n_seg))
    seg_sign[:, 1::2] = sign
    seg_arc = np.zeros((n_obj, n_seg), dtype=bool)
    seg_arc[:, 1::2] = has_turn
    seg_s0 = np.concatenate([zeros, np.cumsum(seg_len, axis=1)[:, :-1]], axis=1)
    total = seg_s0[:, -1] + seg_len[:, -1]

    # Heights: waypoint k's height at the middle of its turn (ends at path ends).
    s_wp = np.concatenate([zeros, seg_s0[:, 1::2] + 0.5 * arc_len, total[:, None]], axis=1)

    path = _Path(seg_s0, seg_len, seg_a, seg_u, seg_r, seg_sign, seg_arc, s_wp, hgt, total)

    # Re-time by true distance: map metres differ from true metres by the map's scale and
    # by the sphere-vs-ellipsoid radii (up to ~0.6 %). Sample the path, integrate
    # dt = scale(s) ds / V (trapezoid), invert t -> s by one flattened np.interp.
    m = int(min(4097, max(65, np.ceil(total.max() / _SAMPLE_M) + 1)))
    s_smp = np.linspace(0.0, 1.0, m)[:, None] * total[None, :]  # (M, N)
    scale_smp = _scale(frame, path.eval(s_smp), speed)
    tau = (
        np.concatenate(
            [
                np.zeros((1, n_obj)),
                np.cumsum(0.5 * (scale_smp[1:] + scale_smp[:-1]) * np.diff(s_smp, axis=0), axis=0),
            ]
        )
        / speed[None, :]
    )
    end_s = start + tau[-1]
    big = float(tau[-1].max()) + 1.0  # column offset keeping the flattened keys sorted
    off = np.arange(n_obj)[None, :] * big
    q = np.clip(t[:, None] - start[None, :], 0.0, tau[-1][None, :])  # (T, N), clamped
    s = np.interp((q + off).ravel(), (tau + off).T.ravel(), s_smp.T.ravel()).reshape(q.shape)

    east, north, dir_e, dir_n, h, dhds = path.eval(s)
    pos = frame.map_to_enu(east, north, h)
    # Velocity: ds/dt = V / scale, then the Jacobian of map -> ENU applied to (dir, dh/ds).
    w_h, w_v = _jacobian(frame, (east, north, dir_e, dir_n, h), speed)
    w_norm = np.linalg.norm(w_h, axis=-1)  # 0 only on a route of zero length
    rate = np.where(w_norm > 0.0, speed[None, :] / np.where(w_norm > 0.0, w_norm, 1.0), 0.0)
    vel = rate[..., None] * (w_h + dhds[..., None] * w_v)
    return pos, vel, h, end_s


def _jacobian(
    frame: Frame, pt: tuple[FloatArray, ...], speed: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """ENU derivatives of a map point per map metre along the heading (w_h) and per metre
    of height (w_v, the local up), by central differences of the exact conversion."""
    east, north, dir_e, dir_n, h = pt[:5]
    d = _TAU_S * speed
    de, dn = d * dir_e, d * dir_n
    w_h = frame.map_to_enu(east + de, north + dn, h) - frame.map_to_enu(east - de, north - dn, h)
    w_h /= 2.0 * d[..., None]
    w_v = (frame.map_to_enu(east, north, h + 1.0) - frame.map_to_enu(east, north, h - 1.0)) / 2.0
    return w_h, w_v


def _scale(frame: Frame, pt: tuple[FloatArray, ...], speed: FloatArray) -> FloatArray:
    """True horizontal metres per map metre along the path at the object's height."""
    east, north, dir_e, dir_n, h, _ = pt
    d = _TAU_S * speed
    de, dn = d * dir_e, d * dir_n
    diff = frame.map_to_enu(east + de, north + dn, h) - frame.map_to_enu(east - de, north - dn, h)
    return np.linalg.norm(diff, axis=-1) / (2.0 * d)


@dataclass(frozen=True)
class _Path:
    """Segment table of N routes (lines and arcs in the map plane) and their heights."""

    s0: FloatArray  # (N, S) path length at each segment's start
    length: FloatArray  # (N, S)
    a: FloatArray  # (N, S, 2) start point
    u: FloatArray  # (N, S, 2) direction at the start
    r: FloatArray  # (N, S) arc radius (0 for lines)
    sign: FloatArray  # (N, S) +1 left turn, -1 right turn
    arc: NDArray[np.bool_]  # (N, S)
    s_wp: FloatArray  # (N, K) path length at which each waypoint's height is reached
    hgt: FloatArray  # (N, K) waypoint heights
    total: FloatArray  # (N,)

    def eval(self, s: FloatArray) -> tuple[FloatArray, ...]:
        """Map east, north, unit tangent (east, north), height and dh/ds at path lengths
        s (..., N): lines p = a + ds u; arcs by uniform circular motion."""
        n_obj, n_seg = self.length.shape
        seg = np.zeros(s.shape, dtype=np.int64)
        for j in range(1, n_seg):  # loop over segments (K small), not objects
            seg = np.where((s >= self.s0[:, j]) & (self.length[:, j] > 0.0), j, seg)
        cols = np.arange(n_obj)
        a, u0 = self.a[cols, seg], self.u[cols, seg]
        r, sg, is_arc = self.r[cols, seg], self.sign[cols, seg], self.arc[cols, seg]
        ds = s - self.s0[cols, seg]
        # Arc about c = a + sign r n(u0), n = u rotated +90 deg; heading turns by
        # phi = sign ds / r, and p = a + sign r (n(u0) - n(u)).
        phi = np.where(is_arc, sg * ds / np.where(is_arc, r, 1.0), 0.0)
        cphi, sphi = np.cos(phi), np.sin(phi)
        ue = cphi * u0[..., 0] - sphi * u0[..., 1]
        un = sphi * u0[..., 0] + cphi * u0[..., 1]
        east = np.where(is_arc, a[..., 0] + sg * r * (un - u0[..., 1]), a[..., 0] + ds * u0[..., 0])
        north = np.where(
            is_arc, a[..., 1] + sg * r * (u0[..., 0] - ue), a[..., 1] + ds * u0[..., 1]
        )
        dir_e = np.where(is_arc, ue, u0[..., 0])
        dir_n = np.where(is_arc, un, u0[..., 1])

        # Height linear in path length between waypoint stations (loop over waypoints).
        h = np.broadcast_to(self.hgt[:, 0], s.shape).copy()
        dhds = np.zeros(s.shape)
        for k in range(self.hgt.shape[1] - 1):
            span = self.s_wp[:, k + 1] - self.s_wp[:, k]
            dh = self.hgt[:, k + 1] - self.hgt[:, k]
            # a leg shorter than MIN_CLIMB_SPAN_M changes height at once (no infinite slope)
            long_enough = span > MIN_CLIMB_SPAN_M
            slope = np.where(long_enough, dh / np.where(long_enough, span, 1.0), 0.0)
            inside = s >= self.s_wp[:, k]
            h = np.where(inside, self.hgt[:, k] + slope * (s - self.s_wp[:, k]), h)
            h = np.where(inside & ~long_enough, self.hgt[:, k + 1], h)
            dhds = np.where(inside & long_enough, slope, dhds)
        # At and past the end: exactly the last waypoint's height, last span's climb rate.
        h = np.where(s >= self.total, self.hgt[:, -1], h)
        return east, north, dir_e, dir_n, h, dhds
