"""Plots: the detections one radar reports, as a frozen structure of equal-length arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from airdefense.columns import Columns

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Plots(Columns):
    """Radar plots (detections), one row each, sorted by time then (sensor, truth id, range).

    Measured quantities carry measurement noise; ``x, y, z`` is the measured point in the
    scenario ENU frame. ``truth_id`` is the index of the object in Truth, -1 for a false
    alarm. ``snr_db`` is the single-pulse mean SNR of the target (for a false alarm, the
    apparent single-pulse SNR of the noise crossing); ``scan`` the sweep number of the radar.
    """

    t: FloatArray
    sensor_id: IntArray
    scan: IntArray
    range_m: FloatArray
    azimuth_rad: FloatArray
    elevation_rad: FloatArray
    sigma_range_m: FloatArray
    sigma_azimuth_rad: FloatArray
    sigma_elevation_rad: FloatArray
    snr_db: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray
    truth_id: IntArray

    INT_FIELDS: ClassVar[tuple[str, ...]] = ("sensor_id", "scan", "truth_id")

    @classmethod
    def concat(cls, parts: Sequence[Plots]) -> Plots:
        """Join several Plots and sort the result by time, sensor, truth id and range."""
        return cls.join([p for p in parts if len(p)]).sorted()

    def sorted(self) -> Plots:
        """The same plots in the canonical order: t, sensor_id, truth_id, range."""
        order = np.lexsort((self.range_m, self.truth_id, self.sensor_id, self.t))
        return self.take(order)
