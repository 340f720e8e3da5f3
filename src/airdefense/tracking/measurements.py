"""Measurements a tracker consumes and the track updates it emits, as structures of arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from airdefense.types.columns import Columns

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: What a detection may hold, so that every number the tracker derives from it stays finite
#: (a bias factor exp(-sigma^2 / 2) of an angle sigma of 40 rad is 0, a divisor; a position
#: of 1e308 overflows when squared). ``airdefense track`` refuses a table (CSV, Parquet) with
#: a row outside them, naming the row, and skips and counts an ASTERIX plot outside them.
#: Times: |t| at most 1e10 s (Unix times fit).
MAX_ABS_TIME_S = 1e10
#: Positions |x|, |y|, |z| and ranges: at most 1e8 m (100,000 km, far beyond any sensor).
MAX_ABS_POSITION_M = 1e8
#: Velocity components of a truth or track file (``score``): at most 1e5 m/s (100 km/s, beyond
#: anything that flies; a square of 1e308 would overflow).
MAX_ABS_SPEED_MPS = 1e5
#: Standard deviations of positions and ranges (sx, sy, sz, sigma_range): 1 mm to 1,000 km.
SIGMA_M_BOUNDS = (1e-3, 1e6)
#: Standard deviations of angles (sigma_azimuth, sigma_elevation): 1 microradian to 1 rad
#: (57 degrees; well below pi, where a measured angle would say nothing).
SIGMA_RAD_BOUNDS = (1e-6, 1.0)
#: Ids (truth_id, sensor_id): whole numbers of magnitude at most 2^53, the largest a number in
#: a CSV file (read as a float) holds exactly.
MAX_ABS_ID = 2**53

#: Track status codes, in the order of :data:`STATUS_NAMES`.
TENTATIVE, CONFIRMED, COASTING = 0, 1, 2
STATUS_NAMES = ("tentative", "confirmed", "coasting")


@dataclass(frozen=True)
class Measurements(Columns):
    """A time-sorted batch of position measurements in the tracker's ENU frame.

    Every row is either Cartesian (``x, y, z`` with per-axis standard deviations
    ``sx, sy, sz``; ``sensor_id`` may be -1) or polar (``range_m, azimuth_rad,
    elevation_rad`` with their sigmas, measured by sensor ``sensor_id`` whose position
    the tracker knows). ``polar`` says which. Unused fields hold NaN. ``truth_id`` is
    passed through to the track updates (-1 when unknown or a false alarm).
    """

    t: FloatArray
    sensor_id: IntArray
    polar: NDArray[np.bool_]
    x: FloatArray
    y: FloatArray
    z: FloatArray
    sx: FloatArray
    sy: FloatArray
    sz: FloatArray
    range_m: FloatArray
    azimuth_rad: FloatArray
    elevation_rad: FloatArray
    sigma_range_m: FloatArray
    sigma_azimuth_rad: FloatArray
    sigma_elevation_rad: FloatArray
    truth_id: IntArray

    INT_FIELDS: ClassVar[tuple[str, ...]] = ("sensor_id", "truth_id")

    def __post_init__(self) -> None:
        polar = np.ascontiguousarray(self.polar, dtype=bool)
        object.__setattr__(self, "polar", polar.astype(np.float64))
        super().__post_init__()
        object.__setattr__(self, "polar", self.polar.astype(bool))

    @classmethod
    def cartesian(
        cls,
        t: FloatArray,
        xyz: FloatArray,
        sigma: FloatArray,
        sensor_id: IntArray | None = None,
        truth_id: IntArray | None = None,
    ) -> Measurements:
        """Cartesian measurements: positions (K, 3) in metres and per-axis sigmas (K, 3) or (3,)."""
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        k = xyz.shape[0]
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), (k,))
        sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (k, 3))
        nan = np.full(k, np.nan)
        return cls(
            t=t,
            sensor_id=np.full(k, -1) if sensor_id is None else sensor_id,
            polar=np.zeros(k, dtype=bool),
            x=xyz[:, 0],
            y=xyz[:, 1],
            z=xyz[:, 2],
            sx=sigma[:, 0],
            sy=sigma[:, 1],
            sz=sigma[:, 2],
            range_m=nan,
            azimuth_rad=nan,
            elevation_rad=nan,
            sigma_range_m=nan,
            sigma_azimuth_rad=nan,
            sigma_elevation_rad=nan,
            truth_id=np.full(k, -1) if truth_id is None else truth_id,
        )

    @classmethod
    def from_polar(
        cls,
        t: FloatArray,
        sensor_id: IntArray,
        range_m: FloatArray,
        azimuth_rad: FloatArray,
        elevation_rad: FloatArray,
        sigma_range_m: FloatArray,
        sigma_azimuth_rad: FloatArray,
        sigma_elevation_rad: FloatArray,
        truth_id: IntArray | None = None,
    ) -> Measurements:
        """Polar measurements of sensors the tracker knows (azimuth clockwise from north)."""
        t = np.asarray(t, dtype=np.float64)
        k = t.shape[0]
        nan = np.full(k, np.nan)
        return cls(
            t=t,
            sensor_id=sensor_id,
            polar=np.ones(k, dtype=bool),
            x=nan,
            y=nan,
            z=nan,
            sx=nan,
            sy=nan,
            sz=nan,
            range_m=np.broadcast_to(range_m, (k,)),
            azimuth_rad=np.broadcast_to(azimuth_rad, (k,)),
            elevation_rad=np.broadcast_to(elevation_rad, (k,)),
            sigma_range_m=np.broadcast_to(sigma_range_m, (k,)),
            sigma_azimuth_rad=np.broadcast_to(sigma_azimuth_rad, (k,)),
            sigma_elevation_rad=np.broadcast_to(sigma_elevation_rad, (k,)),
            truth_id=np.full(k, -1) if truth_id is None else truth_id,
        )

    @classmethod
    def concat(cls, parts: Sequence[Measurements]) -> Measurements:
        """Rows of several batches, in the given order."""
        return cls.join(parts)


@dataclass(frozen=True)
class TrackUpdates(Columns):
    """Track states emitted by the tracker: one row per track per update or missed revisit.

    ``status`` holds :data:`TENTATIVE`, :data:`CONFIRMED` or :data:`COASTING`;
    ``sx, sy, sz`` are the position standard deviations (m) from the covariance;
    ``quality`` is in [0, 1]; ``truth_id`` is the truth id of the measurement that updated
    the track (-1 on a coasting row, a false alarm or unknown truth).
    """

    t: FloatArray
    track_id: IntArray
    x: FloatArray
    y: FloatArray
    z: FloatArray
    vx: FloatArray
    vy: FloatArray
    vz: FloatArray
    status: IntArray
    sx: FloatArray
    sy: FloatArray
    sz: FloatArray
    quality: FloatArray
    truth_id: IntArray

    INT_FIELDS: ClassVar[tuple[str, ...]] = ("track_id", "status", "truth_id")

    @classmethod
    def concat(cls, parts: Sequence[TrackUpdates]) -> TrackUpdates:
        """Rows of several updates, in the given order."""
        return cls.join(parts)
