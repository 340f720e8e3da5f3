"""Raw ASTERIX CAT048 plots as the tracker's polar measurements: how ``airdefense track``
reads a detections file that is raw ASTERIX (``.ast``, ``.asterix``; the tracking stage does
not decode ASTERIX, this adapter on the interop side does, and the command picks it by the
file's extension).

:class:`AsterixPlotsReader` reads CAT048 data blocks back to back with
:class:`~airdefense.interop.asterix.decode.Cat048Decoder` (edition 1.21) and hands the plots
out as :class:`~airdefense.tracking.measurements.Measurements`, like the tracking stage's
:class:`~airdefense.tracking.readers.DetectionsReader` (both are
:class:`~airdefense.tracking.readers.DetectionsSource`). Each plot's ``sensor_id`` is
``SAC * 256 + SIC`` and its site must be in the tracker config, as for polar files; its time
is seconds since 12:00:00 UTC (I048/140); range and azimuth come from I048/040, the
elevation and the measurement sigmas from the SP field of files airdefense wrote, otherwise
from the height (I048/110, else the flight level I048/090, as geometric height) with the
assumed accuracies below (a plot without height: elevation 0 with a wide sigma). Records are
put in time order within a :data:`ASTERIX_REORDER_S` window; blocks that cannot be read, and
records whose SP accuracies are outside the bounds of
:mod:`airdefense.tracking.measurements` (``SIGMA_M_BOUNDS``, ``SIGMA_RAD_BOUNDS``; a sigma that
is NaN counts as absent), are skipped and counted in :attr:`AsterixPlotsReader.notes`.

CAT048 carries no plot accuracies: the ones assumed here (``DEFAULT_SIGMA_*``) are typical of
a surveillance radar, a stated assumption. The elevation of a plot with a height is the one
at which a target at its slant range and azimuth is at that height
(:func:`elevation_from_height`, exact on the WGS-84 ellipsoid).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airdefense.geo import Frame, ecef_to_geodetic, enu_rotation
from airdefense.interop.asterix._edition import FT, FloatArray
from airdefense.interop.asterix.decode import Cat048Decoder, Cat048Reports
from airdefense.tracking.measurements import SIGMA_M_BOUNDS, SIGMA_RAD_BOUNDS, Measurements
from airdefense.tracking.readers import POLAR_COLUMNS, DetectionsError, DetectionsSource

if TYPE_CHECKING:
    from airdefense.tracking.config import TrackerConfig

#: ASTERIX records are sorted by time within this window (s); later ones are skipped as late.
ASTERIX_REORDER_S = 60.0
_ASTERIX_READ_BYTES = 4 << 20

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


class AsterixPlotsReader(DetectionsSource):
    """Streams a raw ASTERIX file's CAT048 plots as polar :class:`Measurements`, read in pieces
    and put in time order within :data:`ASTERIX_REORDER_S` (see the module text). Each plot's
    sensor (``SAC * 256 + SIC``) must be placed by ``config`` where its elevation comes from a
    height; ``sensors``, as for :class:`~airdefense.tracking.readers.DetectionsReader`."""

    def __init__(
        self,
        path: str | Path,
        *,
        sensors: Collection[int] | None = None,
        config: TrackerConfig | None = None,
    ) -> None:
        super().__init__(path, sensors=sensors, config=config)
        self.kind = "polar"
        self.columns = [*POLAR_COLUMNS, "truth_id"]
        self.source = str(self.path)
        if not self.path.exists():
            raise DetectionsError(self.source, "", "no such file")
        if self.path.is_dir():
            raise DetectionsError(self.source, "", "is a directory, not a file")
        try:
            self.size = self.path.stat().st_size
            self._file = self.path.open("rb")
        except OSError as exc:
            raise DetectionsError(self.source, "", f"cannot read ({exc.strerror})") from None
        if self.size == 0:
            self._file.close()
            raise DetectionsError(self.source, "", "empty file (needs ASTERIX CAT048 data blocks)")
        self.frame = None
        self.sites: dict[int, np.ndarray] = {}
        if config is not None:
            if config.origin is not None:
                o = config.origin
                self.frame = Frame.from_degrees(o.lat_deg, o.lon_deg, o.alt_m)
            for sid, site in config.sensors.items():
                if site.lat_deg is not None and self.frame is not None:
                    self.sites[int(sid)] = self.frame.geodetic_to_enu(
                        np.radians(site.lat_deg), np.radians(site.lon_deg), site.alt_m
                    )
                else:
                    self.sites[int(sid)] = np.array([site.east_m, site.north_m, site.up_m], float)
        self._read = 0
        self.unusable = 0
        self.out_of_bounds = 0
        self.late = 0

    @property
    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1."""
        return min(1.0, self._read / self.size) if self.size else 1.0

    def close(self) -> None:
        """Release the file."""
        with contextlib.suppress(Exception):
            self._file.close()

    def __iter__(self) -> Iterator[Measurements]:
        decoder = Cat048Decoder()
        pending: list[Measurements] = []
        newest = -np.inf
        emitted = -np.inf
        self.rows_read = 0
        self.notes = []
        done = False
        while not done:
            try:
                data = self._file.read(_ASTERIX_READ_BYTES)
            except OSError as exc:
                raise DetectionsError(self.source, "", f"cannot read ({exc.strerror})") from None
            self._read += len(data)
            if data:
                reports = decoder.feed(data)
            else:
                reports, done = decoder.finish(), True
            m = self._convert(reports)
            if len(m):
                late = m.t <= emitted
                if late.any():
                    self.late += int(late.sum())
                    m = m.take(~late)
                newest = max(newest, float(m.t.max())) if len(m) else newest
                pending.append(m)
            if not pending:
                continue
            whole = pending[0] if len(pending) == 1 else Measurements.concat(pending)
            whole = whole.take(np.argsort(whole.t, kind="stable"))
            cut = (
                len(whole)
                if done
                else int(np.searchsorted(whole.t, newest - ASTERIX_REORDER_S, side="left"))
            )
            pending = [whole.take(slice(cut, None))] if cut < len(whole) else []
            if cut:
                out = whole.take(slice(0, cut))
                emitted = float(out.t[-1])
                self.rows_read += len(out)
                yield out
        notes = decoder.summary.lines()
        if self.unusable:
            notes.append(
                f"skipped {self.unusable} CAT048 records without a source (I048/010), time "
                "(I048/140) or position (I048/040)"
            )
        if self.out_of_bounds:
            (m_lo, m_hi), (a_lo, a_hi) = SIGMA_M_BOUNDS, SIGMA_RAD_BOUNDS
            notes.append(
                f"skipped {self.out_of_bounds} CAT048 records whose accuracies (SP field) are "
                f"outside the bounds tracked (sigma of range {m_lo:g}..{m_hi:g} m, of angles "
                f"{a_lo:g}..{a_hi:g} rad)"
            )
        if self.late:
            notes.append(
                f"skipped {self.late} plots more than {ASTERIX_REORDER_S:g} s out of time order"
            )
        self.notes = notes
        if self.rows_read == 0:
            detail = f" ({notes[-1]})" if notes else ""
            raise DetectionsError(
                self.source,
                "",
                f"no CAT048 plots in the file (needs ASTERIX CAT048 data blocks){detail}",
            )

    def _convert(self, r: Cat048Reports) -> Measurements:
        sid = r.sensor_id
        usable = (sid >= 0) & np.isfinite(r.t) & np.isfinite(r.range_m) & (r.range_m > 0)
        usable &= np.isfinite(r.azimuth_rad)
        self.unusable += int((~usable).sum())
        # an accuracy given (SP, not NaN) must be one the tracker can use: a sigma of 40 rad
        # makes the conversion's bias factor exp(-sigma^2 / 2) zero, a divisor
        fits = np.ones(len(r), dtype=bool)
        for values, (lo, hi) in (
            (r.sigma_range_m, SIGMA_M_BOUNDS),
            (r.sigma_azimuth_rad, SIGMA_RAD_BOUNDS),
            (r.sigma_elevation_rad, SIGMA_RAD_BOUNDS),
        ):
            fits &= np.isnan(values) | ((values >= lo) & (values <= hi))
        self.out_of_bounds += int((usable & ~fits).sum())
        usable &= fits
        r = r.take(usable)
        sid = sid[usable]
        n = len(r)
        if n and self.sensors is not None:
            unknown = ~np.isin(sid, self.sensors)
            if unknown.any():
                i = int(np.argmax(unknown))
                s = int(sid[i])
                known = (
                    f"the config's sensors: {', '.join(map(str, self.sensors))}"
                    if self.sensors
                    else "the config places no sensors"
                )
                raise DetectionsError(
                    self.source,
                    "sensor_id",
                    f"unknown sensor {s} (SAC {s >> 8}, SIC {s & 0xFF}; sensor_id = SAC * 256 "
                    f"+ SIC) at t = {r.t[i]:g} s ({known}; give its site in --config sensors: "
                    f"{{{s}: {{lat_deg, lon_deg, alt_m}}}} with an origin)",
                )
        el = r.elevation_rad.copy()
        s_el = r.sigma_elevation_rad.copy()
        have_el = np.isfinite(el) & (np.abs(el) <= np.pi / 2)
        el[~have_el] = np.nan
        height = np.where(np.isfinite(r.height_3d_m), r.height_3d_m, r.flight_level * 100 * FT)
        from_height = ~have_el & np.isfinite(height)
        for s in np.unique(sid[from_height]).tolist():
            rows = np.flatnonzero(from_height & (sid == s))
            site = self.sites.get(int(s))
            if site is None:
                raise DetectionsError(
                    self.source,
                    "sensor_id",
                    f"sensor {s}: its plots give heights, not elevations; give its site in "
                    f"--config sensors: {{{s}: {{lat_deg, lon_deg, alt_m}}}} with an origin",
                )
            e, ok = elevation_from_height(
                r.range_m[rows], r.azimuth_rad[rows], height[rows], site, self.frame
            )
            el[rows[ok]] = e[ok]
            s_el[rows[ok]] = DEFAULT_SIGMA_HEIGHT_M / r.range_m[rows[ok]]
            from_height[rows[~ok]] = False
        flat = ~have_el & ~from_height
        el[flat] = 0.0
        s_el[flat] = DEFAULT_SIGMA_ELEVATION_2D_RAD
        bad_sigma = ~(np.isfinite(s_el) & (s_el > 0))
        s_el[bad_sigma] = DEFAULT_SIGMA_ELEVATION_2D_RAD
        s_el = np.minimum(s_el, 0.5)

        def sigma(values: np.ndarray, default: float) -> np.ndarray:
            return np.where(np.isfinite(values) & (values > 0), values, default)

        nan = np.full(n, np.nan)
        return Measurements(
            t=r.t,
            sensor_id=sid,
            polar=np.ones(n, dtype=bool),
            x=nan,
            y=nan,
            z=nan,
            sx=nan,
            sy=nan,
            sz=nan,
            range_m=r.range_m,
            azimuth_rad=r.azimuth_rad,
            elevation_rad=el,
            sigma_range_m=sigma(r.sigma_range_m, DEFAULT_SIGMA_RANGE_M),
            sigma_azimuth_rad=sigma(r.sigma_azimuth_rad, DEFAULT_SIGMA_AZIMUTH_RAD),
            sigma_elevation_rad=s_el,
            truth_id=r.truth_id,
        )
