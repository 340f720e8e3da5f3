"""CAT048 plots as tracker measurements: what ``airdefense track`` needs to track a raw
ASTERIX file whose plots carry no elevation or accuracy (a file without the SP field).

CAT048 carries no plot accuracies: the ones assumed here (``DEFAULT_SIGMA_*``) are typical of
a surveillance radar, a stated assumption. A plot with a height (I048/110, else the flight
level I048/090 as geometric height) gets the elevation at which a target at its slant range
and azimuth is at that height (:func:`elevation_from_height`, exact on the WGS-84 ellipsoid);
a plot without height gets elevation 0 with a wide standard deviation.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airdefense.geo import Frame, ecef_to_geodetic, enu_rotation
from airdefense.interop.asterix._edition import FloatArray

#: Tracking a CAT048 file without the SP field: the plot accuracies assumed (typical of a
#: surveillance radar; a stated assumption, CAT048 carries none).
DEFAULT_SIGMA_RANGE_M = 70.0
DEFAULT_SIGMA_AZIMUTH_RAD = math.radians(0.08)
#: ... the accuracy of a height from I048/110 or I048/090 (turned into an elevation sigma).
DEFAULT_SIGMA_HEIGHT_M = 300.0
#: ... and of a 2-D plot without height: elevation 0 with this (wide) standard deviation.
DEFAULT_SIGMA_ELEVATION_2D_RAD = 0.1


def elevation_from_height(
    range_m: ArrayLike,
    azimuth_rad: ArrayLike,
    height_m: ArrayLike,
    site_enu: ArrayLike,
    frame: Frame | None,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Elevation angles (rad, in the radar's local level frame) at which targets seen at
    slant ``range_m`` and ``azimuth_rad`` from the radar at ``site_enu`` are ``height_m``
    above the WGS-84 ellipsoid; exact (Newton's method on the ellipsoidal height, from the
    spherical-Earth solution). Without a ``frame`` the ENU frame is flat and the height is
    its up coordinate. Also returns where a solution exists."""
    r = np.asarray(range_m, dtype=np.float64)
    az = np.asarray(azimuth_rad, dtype=np.float64)
    h = np.asarray(height_m, dtype=np.float64)
    s = np.asarray(site_enu, dtype=np.float64).reshape(3)
    with np.errstate(invalid="ignore", divide="ignore"):
        if frame is None:
            sin_el = (h - s[2]) / r
            ok = np.isfinite(sin_el) & (np.abs(sin_el) <= 1.0)
            return np.arcsin(np.clip(np.nan_to_num(sin_el), -1.0, 1.0)), ok
        site_ecef = frame.enu_to_ecef(s)
        lat, lon, hs = ecef_to_geodetic(site_ecef)
        rot = enu_rotation(lat, lon)
        earth = 6_371_000.0
        sin0 = ((earth + h) ** 2 - (earth + hs) ** 2 - r**2) / (2.0 * r * (earth + hs))
        el = np.arcsin(np.clip(np.nan_to_num(sin0), -1.0, 1.0))

        def height(e: FloatArray) -> FloatArray:
            ce = np.cos(e)
            local = np.stack([ce * np.sin(az), ce * np.cos(az), np.sin(e)], axis=-1)
            return ecef_to_geodetic(site_ecef + (r[..., None] * local) @ rot)[2]

        step = 1e-6
        for _ in range(6):
            f = height(el) - h
            d = (height(el + step) - (f + h)) / step
            el = np.clip(el - np.where(d != 0, f / d, 0.0), -np.pi / 2, np.pi / 2)
        ok = np.isfinite(r) & np.isfinite(h) & (r > 0) & (np.abs(height(el) - h) < 0.5)
    return el, ok
