"""Geodesy: WGS-84 <-> ECEF <-> local ENU, the 4/3-Earth radar horizon, map coordinates.

Everything is vectorised: functions take arrays of any shape (the last axis of a
position is its three components) and return arrays. Angles are radians, lengths metres.

The scenario's frame is one local ENU frame anchored at the scenario origin. ENU is a
rotated, shifted ECEF, so conversions are exact; the Earth's curvature is kept (at 400 km
the surface lies ~12.5 km below the origin's tangent plane).

Sources
-------
- WGS-84 constants: NIMA TR8350.2, *Department of Defense World Geodetic System 1984*, 3rd
  ed., Table 3.1 (a = 6378137 m, 1/f = 298.257223563).
- ECEF -> geodetic: J. Heikkinen, "Geschlossene Formeln zur Berechnung raeumlicher
  geodaetischer Koordinaten aus rechtwinkligen Koordinaten", Z. Vermess. 107 (1982), the
  closed form as given by J. Zhu, IEEE Trans. AES 30(3), 1994, eq. (1)-(13). No iteration.
- ENU rotation: Bar-Shalom, Li, Kirubarajan, *Estimation with Applications to Tracking and
  Navigation* (2001); any geodesy text (e.g. Hofmann-Wellenhof, *GNSS*, 2008, eq. 10.13).
- Radar horizon, effective-Earth model k = 4/3: Skolnik, *Introduction to Radar Systems*,
  3rd ed. (2001), sec. 8.2, eq. (8.3): d = sqrt(2 k R h) per end.
- Azimuthal equidistant projection: J. P. Snyder, *Map Projections: A Working Manual*, USGS
  Professional Paper 1395 (1987), eq. (25-2)-(25-5) (spherical form), (5-5), (5-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

# WGS-84 (NIMA TR8350.2 Table 3.1)
WGS84_A = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B = WGS84_A * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_EP2 = (WGS84_A**2 - WGS84_B**2) / WGS84_B**2
#: IUGG mean Earth radius R1 = (2a + b)/3, used for the horizon and map distances.
EARTH_MEAN_RADIUS_M = (2.0 * WGS84_A + WGS84_B) / 3.0
#: Effective-Earth factor of a standard atmosphere (Skolnik 2001, sec. 8.2).
K_STANDARD = 4.0 / 3.0

FloatArray = NDArray[np.float64]


def geodetic_to_ecef(lat: ArrayLike, lon: ArrayLike, h: ArrayLike) -> FloatArray:
    """WGS-84 geodetic latitude, longitude (rad) and height (m) to ECEF (..., 3) metres.

    N = a / sqrt(1 - e^2 sin^2 lat); x = (N + h) cos lat cos lon, y = (N + h) cos lat sin lon,
    z = (N (1 - e^2) + h) sin lat  (NIMA TR8350.2 eq. 4-14).
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    slat, clat = np.sin(lat), np.cos(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * slat * slat)
    x = (n + h) * clat * np.cos(lon)
    y = (n + h) * clat * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * slat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_geodetic(ecef: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ECEF (..., 3) metres to WGS-84 latitude, longitude (rad) and height (m).

    Heikkinen's closed form (Zhu 1994, eq. 1-13): exact, no iteration, valid everywhere but
    within ~43 km of the Earth's centre.
    """
    ecef = np.asarray(ecef, dtype=np.float64)
    x, y, z = ecef[..., 0], ecef[..., 1], ecef[..., 2]
    a, b, e2 = WGS84_A, WGS84_B, WGS84_E2
    p2 = x * x + y * y
    p = np.sqrt(p2)
    z2 = z * z
    big_f = 54.0 * b * b * z2
    g = p2 + (1.0 - e2) * z2 - e2 * (a * a - b * b)
    c = e2 * e2 * big_f * p2 / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    big_p = big_f / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * e2 * e2 * big_p)
    r0 = -big_p * e2 * p / (1.0 + q) + np.sqrt(
        np.maximum(
            0.5 * a * a * (1.0 + 1.0 / q)
            - big_p * (1.0 - e2) * z2 / (q * (1.0 + q))
            - 0.5 * big_p * p2,
            0.0,
        )
    )
    u = np.sqrt((p - e2 * r0) ** 2 + z2)
    v = np.sqrt((p - e2 * r0) ** 2 + (1.0 - e2) * z2)
    z0 = b * b * z / (a * v)
    h = u * (1.0 - b * b / (a * v))
    lat = np.arctan2(z + WGS84_EP2 * z0, p)
    lon = np.arctan2(y, x)
    return lat, lon, h


def enu_rotation(lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Rotation matrix (..., 3, 3) taking ECEF vectors to the local ENU frame at (lat, lon).

    Rows are the unit vectors east, north, up expressed in ECEF.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    slat, clat = np.sin(lat), np.cos(lat)
    slon, clon = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(slat * slon)
    east = np.stack(np.broadcast_arrays(-slon, clon, zero), axis=-1)
    north = np.stack(np.broadcast_arrays(-slat * clon, -slat * slon, clat), axis=-1)
    up = np.stack(np.broadcast_arrays(clat * clon, clat * slon, slat), axis=-1)
    return np.stack([east, north, up], axis=-2)


def horizon_range_m(
    h_radar_m: ArrayLike, h_target_m: ArrayLike = 0.0, k: float = K_STANDARD
) -> FloatArray:
    """Radar-to-target horizon range (m) over a smooth effective Earth of radius k R.

    d = sqrt(2 k R h_r) + sqrt(2 k R h_t)  (Skolnik 2001, eq. 8.3, applied to each end).
    A 30 m mast sees the 4/3-Earth horizon at 22.6 km; a 25 m mast sees a 30 m cruise
    missile at about 43 km.
    """
    re = k * EARTH_MEAN_RADIUS_M
    hr = np.maximum(np.asarray(h_radar_m, dtype=np.float64), 0.0)
    ht = np.maximum(np.asarray(h_target_m, dtype=np.float64), 0.0)
    return np.sqrt(2.0 * re * hr) + np.sqrt(2.0 * re * ht)


def line_of_sight(
    h_radar_m: ArrayLike,
    h_target_m: ArrayLike,
    ground_range_m: ArrayLike,
    k: float = K_STANDARD,
) -> NDArray[np.bool_]:
    """True where the straight ray between radar and target clears a smooth Earth of radius kR.

    Exact in the effective-Earth model (Skolnik 2001, sec. 8.2): the radar sits at radius
    kR + h_r, the target at kR + h_t, separated by the central angle ground_range / (kR)
    (ground distances are laid on the effective sphere). The ray is blocked when its
    closest approach to the centre lies between the two ends and below the surface.
    Equivalent to horizon_range_m for ranges short against the Earth's radius.
    """
    re = k * EARTH_MEAN_RADIUS_M
    ra = re + np.asarray(h_radar_m, dtype=np.float64)
    rb = re + np.asarray(h_target_m, dtype=np.float64)
    theta = np.asarray(ground_range_m, dtype=np.float64) / re
    # A = (0, ra), B = (rb sin t, rb cos t); closest point of segment AB to the origin.
    bx, by = rb * np.sin(theta), rb * np.cos(theta)
    dx, dy = bx, by - ra
    dd = dx * dx + dy * dy
    u = np.clip(-(ra * dy) / np.where(dd > 0.0, dd, 1.0), 0.0, 1.0)
    cx, cy = u * dx, ra + u * dy
    return (cx * cx + cy * cy >= re * re) & (ra >= re) & (rb >= re)


@dataclass(frozen=True)
class Frame:
    """The scenario's local ENU frame, anchored at a WGS-84 origin (angles in radians).

    Also carries the scenario's map coordinates: an azimuthal equidistant projection on the
    mean-radius sphere about the origin (Snyder 1987, ch. 25), in which routes are laid out
    east/north in metres along the Earth's surface, with heights above the ellipsoid.
    """

    lat0: float
    lon0: float
    h0: float = 0.0
    origin_ecef: FloatArray = field(init=False, repr=False, compare=False)
    rot: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin_ecef", geodetic_to_ecef(self.lat0, self.lon0, self.h0))
        object.__setattr__(self, "rot", enu_rotation(self.lat0, self.lon0))

    @classmethod
    def from_degrees(cls, lat_deg: float, lon_deg: float, alt_m: float = 0.0) -> Frame:
        """Frame at an origin given in degrees and metres."""
        return cls(float(np.radians(lat_deg)), float(np.radians(lon_deg)), float(alt_m))

    # --- ECEF <-> ENU -------------------------------------------------------------------
    def ecef_to_enu(self, ecef: ArrayLike) -> FloatArray:
        """ECEF positions (..., 3) to ENU positions in this frame."""
        d = np.asarray(ecef, dtype=np.float64) - self.origin_ecef
        return d @ self.rot.T

    def enu_to_ecef(self, enu: ArrayLike) -> FloatArray:
        """ENU positions (..., 3) in this frame to ECEF."""
        return np.asarray(enu, dtype=np.float64) @ self.rot + self.origin_ecef

    def vector_to_ecef(self, v_enu: ArrayLike) -> FloatArray:
        """Rotate ENU vectors (velocities) to ECEF; no shift."""
        return np.asarray(v_enu, dtype=np.float64) @ self.rot

    def vector_to_enu(self, v_ecef: ArrayLike) -> FloatArray:
        """Rotate ECEF vectors (velocities) to this ENU frame; no shift."""
        return np.asarray(v_ecef, dtype=np.float64) @ self.rot.T

    # --- geodetic <-> ENU ---------------------------------------------------------------
    def geodetic_to_enu(self, lat: ArrayLike, lon: ArrayLike, h: ArrayLike) -> FloatArray:
        """WGS-84 latitude, longitude (rad), height (m) to ENU (..., 3)."""
        return self.ecef_to_enu(geodetic_to_ecef(lat, lon, h))

    def enu_to_geodetic(self, enu: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """ENU (..., 3) to WGS-84 latitude, longitude (rad) and height above the ellipsoid (m)."""
        return ecef_to_geodetic(self.enu_to_ecef(enu))

    def height_m(self, enu: ArrayLike) -> FloatArray:
        """Height above the WGS-84 ellipsoid of ENU positions (..., 3)."""
        return self.enu_to_geodetic(enu)[2]

    def gravity_centre_enu(self) -> FloatArray:
        """The Earth's centre expressed in this ENU frame (for central gravity)."""
        return self.ecef_to_enu(np.zeros(3))

    # --- map coordinates (azimuthal equidistant) ----------------------------------------
    def map_to_geodetic(
        self, east_m: ArrayLike, north_m: ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """Map east/north (m along the surface from the origin) to latitude, longitude (rad).

        Inverse spherical azimuthal equidistant projection (Snyder 1987, eq. 20-14, 20-15,
        25-15): c = rho / R; lat = asin(cos c sin lat0 + sin c cos az cos lat0).
        """
        e = np.asarray(east_m, dtype=np.float64)
        n = np.asarray(north_m, dtype=np.float64)
        c = np.hypot(e, n) / EARTH_MEAN_RADIUS_M
        az = np.arctan2(e, n)
        s0, c0 = np.sin(self.lat0), np.cos(self.lat0)
        sc, cc = np.sin(c), np.cos(c)
        lat = np.arcsin(np.clip(cc * s0 + sc * np.cos(az) * c0, -1.0, 1.0))
        lon = self.lon0 + np.arctan2(np.sin(az) * sc * c0, cc - s0 * np.sin(lat))
        lon = (lon + np.pi) % (2.0 * np.pi) - np.pi
        return lat, lon

    def geodetic_to_map(self, lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Latitude, longitude (rad) to map east/north (m); inverse of map_to_geodetic.

        Central angle by the haversine formula, initial bearing by Snyder (1987) eq. (5-4b).
        """
        lat = np.asarray(lat, dtype=np.float64)
        dlon = np.asarray(lon, dtype=np.float64) - self.lon0
        s0, c0 = np.sin(self.lat0), np.cos(self.lat0)
        hav = np.sin((lat - self.lat0) / 2.0) ** 2 + c0 * np.cos(lat) * np.sin(dlon / 2.0) ** 2
        c = 2.0 * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
        az = np.arctan2(
            np.sin(dlon) * np.cos(lat), c0 * np.sin(lat) - s0 * np.cos(lat) * np.cos(dlon)
        )
        rho = EARTH_MEAN_RADIUS_M * c
        return rho * np.sin(az), rho * np.cos(az)

    def map_to_enu(self, east_m: ArrayLike, north_m: ArrayLike, h_m: ArrayLike) -> FloatArray:
        """Map east/north (m) and height above the ellipsoid (m) to ENU (..., 3)."""
        lat, lon = self.map_to_geodetic(east_m, north_m)
        return self.geodetic_to_enu(lat, lon, h_m)

    def enu_to_map(self, enu: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """ENU (..., 3) to map east, north (m) and height above the ellipsoid (m)."""
        lat, lon, h = self.enu_to_geodetic(enu)
        e, n = self.geodetic_to_map(lat, lon)
        return e, n, h

    # --- sensor geometry ----------------------------------------------------------------
    def aer(
        self, sensor_enu: ArrayLike, target_enu: ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Slant range (m), azimuth (rad, clockwise from north in [0, 2pi)) and elevation (rad)
        of targets seen from a sensor, measured in the sensor's own local ENU frame.

        sensor_enu (3,) or broadcastable to target_enu (..., 3).
        """
        s = np.asarray(sensor_enu, dtype=np.float64)
        local = self._sensor_local(s, np.asarray(target_enu, dtype=np.float64) - s)
        e, n, u = local[..., 0], local[..., 1], local[..., 2]
        rng = np.sqrt(e * e + n * n + u * u)
        az = np.arctan2(e, n) % (2.0 * np.pi)
        az = np.where(az >= 2.0 * np.pi, 0.0, az)
        el = np.arcsin(np.clip(u / np.where(rng > 0.0, rng, 1.0), -1.0, 1.0))
        return rng, az, el

    def aer_to_enu(
        self, sensor_enu: ArrayLike, rng: ArrayLike, az: ArrayLike, el: ArrayLike
    ) -> FloatArray:
        """Inverse of :meth:`aer`: positions in this frame of (range, azimuth, elevation) seen
        from a sensor at sensor_enu (3,)."""
        s = np.asarray(sensor_enu, dtype=np.float64)
        rng = np.asarray(rng, dtype=np.float64)
        az = np.asarray(az, dtype=np.float64)
        el = np.asarray(el, dtype=np.float64)
        ce = np.cos(el)
        local = np.stack([rng * ce * np.sin(az), rng * ce * np.cos(az), rng * np.sin(el)], axis=-1)
        r_s = self._sensor_rotation(s)
        # local = R_s R0^T d  =>  d = R0 R_s^T local
        d = local @ r_s @ self.rot.T
        return s + d

    def sensor_rotation(self, sensor_enu: ArrayLike) -> FloatArray:
        """Rotation (3, 3) from this frame's ENU axes to the local ENU axes at a sensor."""
        s = np.asarray(sensor_enu, dtype=np.float64)
        return self._sensor_rotation(s) @ self.rot.T

    def _sensor_rotation(self, s: FloatArray) -> FloatArray:
        lat, lon, _ = self.enu_to_geodetic(s)
        return enu_rotation(lat, lon)

    def _sensor_local(self, s: FloatArray, d_enu: FloatArray) -> FloatArray:
        r_s = self._sensor_rotation(s)
        # ENU(frame) -> ECEF vector -> ENU(sensor)
        return (d_enu @ self.rot) @ np.swapaxes(r_s, -1, -2)

    def ground_range_m(self, a_enu: ArrayLike, b_enu: ArrayLike) -> FloatArray:
        """Great-circle distance (m, mean-radius sphere) between the ground points below a and b."""
        ua = self.enu_to_ecef(a_enu)
        ub = self.enu_to_ecef(b_enu)
        ua = ua / np.linalg.norm(ua, axis=-1, keepdims=True)
        ub = ub / np.linalg.norm(ub, axis=-1, keepdims=True)
        cross = np.linalg.norm(np.cross(ua, ub), axis=-1)
        dot = np.sum(ua * ub, axis=-1)
        return EARTH_MEAN_RADIUS_M * np.arctan2(cross, dot)
