"""Plots: the detections one radar reports, as a frozen structure of equal-length arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from airdefense.sensors._kernels import in_plot_order
from airdefense.types.columns import Columns

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Float columns, in the row order of a plot block (the radar's plot kernel writes them so).
FLOAT_ROWS = (
    "t",
    "range_m",
    "azimuth_rad",
    "elevation_rad",
    "sigma_range_m",
    "sigma_azimuth_rad",
    "sigma_elevation_rad",
    "snr_db",
    "x",
    "y",
    "z",
)
#: Int columns, in the row order of a plot block.
INT_ROWS = ("sensor_id", "scan", "truth_id")


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
    def from_blocks(cls, floats: FloatArray, ints: IntArray) -> Plots:
        """Plots whose columns are the rows of two blocks that own their data: ``floats``
        (11, n) float64 in :data:`FLOAT_ROWS` order and ``ints`` (3, n) int64 in
        :data:`INT_ROWS` order, both C-contiguous (not checked).

        The blocks are kept with the plots: joining or selecting rows then copies two
        blocks instead of fourteen columns (a run joins a few thousand radar windows)."""
        cols = dict(zip(FLOAT_ROWS, floats, strict=True))
        cols.update(zip(INT_ROWS, ints, strict=True))
        cols["_blocks"] = (floats, ints)
        return cls.trusted(cols)

    def _own_blocks(self) -> tuple[FloatArray, IntArray] | None:
        """The blocks of :meth:`from_blocks` if every column still is a row of them (not so
        after a copy, a pickle or a field replaced), else None."""
        d = self.__dict__
        blocks = d.get("_blocks")
        if blocks is None:
            return None
        floats, ints = blocks
        for name in FLOAT_ROWS:
            if d[name].base is not floats:
                return None
        for name in INT_ROWS:
            if d[name].base is not ints:
                return None
        return blocks

    @classmethod
    def join(cls, parts: Sequence[Plots]) -> Plots:
        """The rows of several Plots, in the given order."""
        blocks = [p._own_blocks() for p in parts]
        if not parts or any(b is None for b in blocks) or any(type(p) is not cls for p in parts):
            return super().join(parts)
        return cls.from_blocks(
            np.concatenate([b[0] for b in blocks], axis=1),  # type: ignore[index]
            np.concatenate([b[1] for b in blocks], axis=1),  # type: ignore[index]
        )

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_] | slice) -> Plots:
        """Rows selected by an index, a boolean mask or a slice."""
        blocks = self._own_blocks()
        if blocks is None or type(index) is not np.ndarray or index.ndim != 1:
            return super().take(index)
        if index.dtype == np.bool_:
            if index.shape[0] != len(self):
                return super().take(index)  # numpy's IndexError
            index = np.flatnonzero(index)
        # np.take along the rows gives C-contiguous blocks (block[:, index] does not)
        return type(self).from_blocks(
            np.take(blocks[0], index, axis=1), np.take(blocks[1], index, axis=1)
        )

    @classmethod
    def concat(cls, parts: Sequence[Plots]) -> Plots:
        """Join several Plots and sort the result by time, sensor, truth id and range."""
        return cls.join([p for p in parts if len(p)]).sorted()

    def sorted(self) -> Plots:
        """The same plots in the canonical order: t, sensor_id, truth_id, range (stable).

        Plots already in that order (one radar's windows joined in time order, the common
        case) are returned as they are, without the sort and the copy; a run sorts once, at
        its end (numpy's lexsort, ~3 ms for a run's plots)."""
        if in_plot_order(self.t, self.sensor_id, self.truth_id, self.range_m):
            return self
        return self.take(np.lexsort((self.range_m, self.truth_id, self.sensor_id, self.t)))
