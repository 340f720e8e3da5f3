"""The scanning radar: scan schedule, visibility, SNR, Pd, detection draws, cell merging,
measurement noise and false alarms, batched over every (scan, object) look of a window.

Model (what a look is)
----------------------
The beam sweeps the sector once per ``scan_period_s``: 360 deg clockwise for a rotating
radar, a sawtooth from ``boresight - W/2`` to ``boresight + W/2`` for a sector radar. Sweep
``n`` covers [(n - f0) P, (n + 1 - f0) P), f0 the sweep fraction at t = 0 set by
``phase_rad``. An object is looked at once per sweep, when the beam crosses it. The
crossing time of (object, sweep) depends on that pair only, never on the window asked
for, so consecutive windows [t0, t1), [t1, t2) neither lose nor double a look: the
object's azimuth and azimuth rate are read at the truth grid point nearest the sweep's
start, and the crossing of the beam with that linearly moving azimuth is solved exactly.
The state at the crossing time is then interpolated by ``Truth.state_at``.

Per look: slant range, azimuth, elevation in the radar's local ENU frame (one fixed
rotation, no geodetic conversion per look); visibility = line of sight over the
4/3-Earth (``geo.line_of_sight``; the ground range is the great-circle distance on a
sphere of mean radius between the radar and the target, from the slant range and the two
heights above the ellipsoid, a spherical approximation) and inside the instrumented range,
the elevation limits and the sector; single-pulse SNR from the radar equation; Pd from the
cached table of the target's Swerling case (fluctuation averaged in Pd, one uniform draw
per look).

Targets detected in the same resolution cell of one sweep (range bin of
``range_resolution_m``, azimuth beam, elevation beam) give one plot: the stronger target's
truth id and its measured position (the weaker is masked, no centroiding).

Implementation: the per-look chain, the cell merging, the false alarms' arithmetic and the
plot columns run in compiled (numba) loops, :mod:`airdefense.sensors._kernels` (see there
why they are loops). Random numbers are drawn here with the numpy Generator, in a fixed
order: one uniform per visible look, the measurement noise of the merged plots, then the
false alarms. The simulation loop asks each radar for ~1,000 one-step windows a run, so a
window costs three compiled calls (looks, merging, plot columns) and the draws, and the
plots it returns are two blocks (:meth:`Plots.from_blocks`) that join cheaply.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from airdefense.geo import EARTH_MEAN_RADIUS_M, K_STANDARD, Frame, line_of_sight
from airdefense.sensors import _kernels as _k
from airdefense.sensors.detection import pd_table
from airdefense.sensors.noise import MONOPULSE_SLOPE_KM
from airdefense.sensors.plots import Plots
from airdefense.sensors.radar_equation import SPEED_OF_LIGHT_MPS, snr_constant_db
from airdefense.systems.models import RadarPreset
from airdefense.world.truth import Truth

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TWO_PI = 2.0 * np.pi
#: Height grid of the horizon table used to cull invisible looks early (m above the
#: ellipsoid): -1 km to 199 km in 10 m steps; above it nothing is culled on the horizon.
HORIZON_TABLE_H0_M = -1000.0
HORIZON_TABLE_STEP_M = 10.0
HORIZON_TABLE_SIZE = 20_001
#: Added to each object's displacement bound when culling (m).
CULL_MARGIN_M = 10.0
#: Inputs of the plot kernel when a window has no target plot or no false alarm.
_NO_LOOKS_F = np.empty((5, 0))
_NO_LOOKS_I = np.empty((2, 0), dtype=np.int64)
_NO_NOISE = np.empty((3, 0))
_NO_FALSE_ALARMS = (
    np.empty((_k.N_COLS, 0)),
    np.empty((_k.N_ICOLS, 0), dtype=np.int64),
    np.empty((0, 3)),
)


@dataclass(frozen=True)
class _TruthConstants:
    """Per-truth inputs of the look kernel (see Radar._per_truth)."""

    truth: Truth
    om: FloatArray  # (N, T, 8) object-major states (Truth.object_major)
    per_obj: FloatArray  # (N, 3) SNR constant + 10 log10 RCS (dB), cull bounds (_k.O_*)
    table_of: IntArray  # (N,) row of pd_grid for the object's Swerling case
    pd_grid: FloatArray  # (S, L) Pd tables of the Swerling cases present
    snr_grid: FloatArray  # (L,) their SNR grid (dB)
    geom: FloatArray  # the radar's scan and limits on this truth's grid (_k.G_*)


class Radar:
    """A scanning pulsed radar at a fixed site, producing plots from truth."""

    def __init__(
        self,
        preset: RadarPreset,
        sensor_id: int,
        name: str,
        position_enu: ArrayLike,
        ground_height_m: float,
        boresight_rad: float,
        frame: Frame,
        phase_rad: float = 0.0,
    ) -> None:
        self.preset = preset
        self.sensor_id = int(sensor_id)
        self.name = str(name)
        self.frame = frame
        self.position_enu = np.asarray(position_enu, dtype=np.float64).reshape(3).copy()
        self.ground_height_m = float(ground_height_m)
        self.antenna_height_m = float(ground_height_m) + preset.antenna_height_m
        self.boresight_rad = float(boresight_rad) % TWO_PI
        self.phase_rad = float(phase_rad) % TWO_PI
        #: rotation (3, 3): scenario ENU vector -> radar local ENU vector.
        self.rotation = np.ascontiguousarray(frame.sensor_rotation(self.position_enu))
        self._rot_t = np.ascontiguousarray(self.rotation.T)

        p = preset
        self.wavelength_m = SPEED_OF_LIGHT_MPS / p.frequency_hz
        self.snr_constant_db = float(
            snr_constant_db(
                p.peak_power_w,
                p.antenna_gain_db,
                p.frequency_hz,
                p.system_noise_temperature_k,
                p.pulse_width_s,
                p.losses_db,
            )
        )
        self.period_s = float(p.scan_period_s)
        self.rotating = p.scan == "rotating"
        if self.rotating:
            self.sector_width_rad = TWO_PI
            self.sweep_start_rad = self.phase_rad
            self.f0 = 0.0
        else:
            self.sector_width_rad = float(np.radians(p.sector_width_deg))
            self.sweep_start_rad = (self.boresight_rad - 0.5 * self.sector_width_rad) % TWO_PI
            f0 = ((self.phase_rad - self.sweep_start_rad) % TWO_PI) / self.sector_width_rad
            self.f0 = f0 if f0 < 1.0 else 0.0
        self.min_range_m = p.min_range_km * 1e3
        self.max_range_m = p.max_range_km * 1e3
        self.min_elevation_rad = float(np.radians(p.min_elevation_deg))
        self.max_elevation_rad = float(np.radians(p.max_elevation_deg))
        self.az_beamwidth_rad = float(np.radians(p.azimuth_beamwidth_deg))
        self.el_beamwidth_rad = float(np.radians(p.elevation_beamwidth_deg))
        self.angle_floor_rad = float(np.radians(p.angle_sigma_floor_deg))
        self.n_range_cells = int(
            np.ceil((self.max_range_m - self.min_range_m) / p.range_resolution_m)
        )
        self.n_azimuth_cells = int(np.ceil(self.sector_width_rad / self.az_beamwidth_rad - 1e-9))
        self.n_elevation_cells = int(
            np.ceil(
                (self.max_elevation_rad - self.min_elevation_rad) / self.el_beamwidth_rad - 1e-9
            )
        )
        #: resolution cells swept in one scan (range x azimuth x elevation).
        self.cells_per_scan = self.n_range_cells * self.n_azimuth_cells * self.n_elevation_cells
        #: Pd tables of the five Swerling cases for this detector (built lazily, cached).
        self._tables = {}
        #: looks evaluated by the last call of :meth:`scan_window`.
        self.last_looks = 0
        self._truth_constants: _TruthConstants | None = None
        #: per-thread work buffers of scan_window, reused from call to call: fresh large
        #: arrays cost a page fault per 4 kB at every call
        self._work = threading.local()
        #: mean false alarms per full scan
        #: expected false alarms in one scan (Pfa x cells)
        self.false_alarms_per_scan = p.pfa * self.cells_per_scan
        #: parameter vector of the merge, false-alarm and plot kernels (_k.P_*)
        self._prm = self._plot_params()
        #: what a window without plots returns (zero rows: nothing to share or mutate)
        self._no_plots = Plots.empty()

    # --- helpers ---------------------------------------------------------------------------
    def _buffer(self, name: str, rows: int, cols: int, dtype: type) -> NDArray:
        """A (rows, cols) work array of this thread, reused across calls (contents undefined;
        row stride may exceed cols)."""
        buf = getattr(self._work, name, None)
        if buf is None or buf.shape[0] != rows or buf.shape[1] < cols:
            buf = np.empty((rows, max(cols, 1024, int(1.25 * cols))), dtype=dtype)
            setattr(self._work, name, buf)
        return buf

    def pd_table(self, swerling: int):
        """The cached Pd table of this radar's detector for one Swerling case."""
        tab = self._tables.get(swerling)
        if tab is None:
            tab = pd_table(self.preset.pfa, self.preset.pulses_integrated, int(swerling))
            self._tables[swerling] = tab
        return tab

    def beam_azimuth_rad(self, t: ArrayLike) -> FloatArray:
        """Azimuth of the beam centre (rad, clockwise from north) at times t."""
        frac = (np.asarray(t, dtype=np.float64) / self.period_s + self.f0) % 1.0
        return (self.sweep_start_rad + self.sector_width_rad * frac) % TWO_PI

    def scan_number(self, t: ArrayLike) -> IntArray:
        """Sweep number containing time t."""
        return np.floor(np.asarray(t, dtype=np.float64) / self.period_s + self.f0).astype(np.int64)

    # --- the scan kernel ---------------------------------------------------------------------
    def scan_window(
        self,
        t0: float,
        t1: float,
        truth: Truth,
        rng: np.random.Generator,
        return_looks: bool = False,
    ) -> Plots | tuple[Plots, int]:
        """Plots of every look whose time lies in [t0, t1), plus false alarms swept in it.

        Every (sweep, object) crossing in the window is evaluated (object by object);
        consecutive windows give the same looks as one window spanning both. All draws come
        from ``rng``. The number of looks evaluated is kept in ``last_looks`` (and returned
        as a second value with ``return_looks=True``).
        """
        t0 = float(t0)
        t1 = float(t1)
        n_looks = n_vis = k = 0
        if t1 > t0:
            n_looks, n_vis, vis_f, vis_i = self._looks(t0, t1, truth)
        # random draws, in a fixed order: one uniform per visible look (detection), the
        # noise of the merged target plots, then the false alarms
        prm = self._prm
        pl_f, pl_i = _NO_LOOKS_F, _NO_LOOKS_I
        if n_vis:
            pl_f = self._buffer("pl_f", 5, n_vis, np.float64)
            pl_i = self._buffer("pl_i", 2, n_vis, np.int64)
            k = int(_k.merge_kernel(vis_f, vis_i, n_vis, rng.random(n_vis), prm, pl_f, pl_i))
        z = rng.standard_normal((3, k)) if k else _NO_NOISE
        fa_f, fa_i, fa_offset = self._false_alarms(t0, t1, rng)
        self.last_looks = n_looks
        total = k + fa_f.shape[1]
        if total == 0:
            plots = self._no_plots
        else:
            out_f = np.empty((_k.N_COLS, total))
            out_i = np.empty((_k.N_ICOLS, total), dtype=np.int64)
            _k.plot_kernel(
                pl_f, pl_i, k, z, prm, self.rotation, self.position_enu, self.sensor_id,
                fa_f, fa_i, fa_offset, out_f, out_i,
            )  # fmt: skip
            plots = Plots.from_blocks(out_f, out_i)
        if return_looks:
            return plots, n_looks
        return plots

    def _looks(
        self, t0: float, t1: float, truth: Truth, ids: IntArray | None = None
    ) -> tuple[int, int, FloatArray, IntArray]:
        """Evaluate all looks in [t0, t1) at objects ``ids`` (default: every object alive in
        the window), in one compiled call.

        Returns (looks evaluated, visible looks M, their float columns (7, >= M): t, e, n,
        u, range, SNR dB, Pd, their int columns (2, >= M): sweep, truth id), in look order:
        sweep-major, objects in id order within a sweep. The columns are this thread's work
        buffers, valid until its next call.
        """
        pt = self._per_truth(truth)
        if ids is not None:
            ids = np.ascontiguousarray(ids, dtype=np.int64)
        t0, t1 = float(t0), float(t1)
        vis_f = self._buffer("vis_f", 7, 0, np.float64)
        vis_i = self._buffer("vis_i", 2, 0, np.int64)
        while True:
            if ids is None:
                n_looks, n_vis, bound = _k.window_looks(
                    pt.om, truth.start_s, truth.end_s, pt.per_obj, pt.table_of, pt.snr_grid,
                    pt.pd_grid, self.rotation, self.position_enu, pt.geom, self.rotating,
                    self._horizon_table, t0, t1, vis_f, vis_i,
                )  # fmt: skip
            else:
                n_looks, n_vis, bound = _k.look_kernel(
                    pt.om, ids, truth.start_s, truth.end_s, pt.per_obj, pt.table_of,
                    pt.snr_grid, pt.pd_grid, self.rotation, self.position_enu, pt.geom,
                    self.rotating, self._horizon_table, t0, t1, vis_f, vis_i,
                )  # fmt: skip
            if n_looks >= 0:
                return n_looks, n_vis, vis_f, vis_i
            # more (sweep, object) pairs than the buffers hold: grow them, evaluate again
            vis_f = self._buffer("vis_f", 7, bound, np.float64)
            vis_i = self._buffer("vis_i", 2, bound, np.int64)

    def _per_truth(self, truth: Truth) -> _TruthConstants:
        """What the look kernel needs of a truth that does not change from window to window
        (per-object SNR constants, Pd tables, cull bounds, the geometry block), computed on
        the first window with that truth and kept: the loop calls scan_window ~1,000 times
        with the same truth. (``end_s`` is not kept: a kill changes it.)"""
        pt = self._truth_constants
        if pt is not None and pt.truth is truth:
            return pt
        period, dt = self.period_s, truth.dt
        sw_values, table_of = np.unique(truth.swerling.astype(np.int64), return_inverse=True)
        tables = [self.pd_table(int(v)) for v in sw_values]
        geom = np.empty(_k.N_GEOM)
        geom[_k.G_PERIOD] = period
        geom[_k.G_F0] = self.f0
        geom[_k.G_W] = self.sector_width_rad
        geom[_k.G_SWEEP_START] = self.sweep_start_rad
        geom[_k.G_TG0] = float(truth.t[0])
        geom[_k.G_DT] = dt
        geom[_k.G_MIN_R] = self.min_range_m
        geom[_k.G_MAX_R] = self.max_range_m
        geom[_k.G_SIN_MIN_EL] = np.sin(self.min_elevation_rad)
        geom[_k.G_SIN_MAX_EL] = np.sin(self.max_elevation_rad)
        geom[_k.G_H_ANT] = self.antenna_height_m
        geom[_k.G_EARTH_R] = EARTH_MEAN_RADIUS_M
        geom[_k.G_K_EARTH] = K_STANDARD
        geom[_k.G_BORESIGHT] = self.boresight_rad
        geom[_k.G_TAB_H0] = HORIZON_TABLE_H0_M
        geom[_k.G_TAB_INV_STEP] = 1.0 / HORIZON_TABLE_STEP_M
        per_obj = np.empty((truth.n, _k.N_OBJ))
        per_obj[:, _k.O_SNR0] = self.snr_constant_db + 10.0 * np.log10(
            truth.rcs_m2.astype(np.float64)
        )
        per_obj[:, _k.O_D_CULL] = truth.max_speed_mps * (period + 4.0 * dt) + CULL_MARGIN_M
        per_obj[:, _k.O_DH_CULL] = truth.max_climb_mps * (period + 3.0 * dt) + CULL_MARGIN_M
        self._truth_constants = _TruthConstants(
            truth=truth,
            om=truth.object_major,
            per_obj=per_obj,
            table_of=np.ascontiguousarray(table_of.reshape(-1), dtype=np.int64),
            pd_grid=np.ascontiguousarray(np.stack([tb.pd for tb in tables])),
            snr_grid=np.ascontiguousarray(tables[0].snr_db, dtype=np.float64),
            geom=geom,
        )
        return self._truth_constants

    @cached_property
    def _horizon_table(self) -> FloatArray:
        """Largest slant range (m) at which a target at each height of the table grid clears
        the 4/3 Earth from this antenna, in the look kernel's own model (the central angle
        from slant range and heights on the mean sphere, scaled onto the effective sphere):
        theta_e,max = acos(kR / (kR + h_a)) + acos(kR / (kR + h)), r^2 = dh^2 +
        4 (R + h_a)(R + h) sin^2(theta / 2) with theta = theta_e,max k R / R. Made
        non-decreasing and inflated (1e-6 relative + 1 m) so that culling on it is safe;
        0 below the surface."""
        h = HORIZON_TABLE_H0_M + HORIZON_TABLE_STEP_M * np.arange(HORIZON_TABLE_SIZE)
        earth_r = EARTH_MEAN_RADIUS_M
        re = K_STANDARD * earth_r
        h_a = self.antenna_height_m
        with np.errstate(invalid="ignore"):
            theta_e = np.arccos(re / (re + h_a)) + np.arccos(re / (re + h))
        theta = theta_e * re / earth_r
        ra_g, rb_g = earth_r + h_a, earth_r + h
        r = np.sqrt(
            (rb_g - ra_g) ** 2 + 4.0 * ra_g * rb_g * np.sin(np.minimum(theta, np.pi) / 2) ** 2
        )
        r = np.where(h < 0.0, 0.0, r)
        return np.ascontiguousarray(np.maximum.accumulate(r) * (1.0 + 1e-6) + 1.0)

    def _plot_params(self) -> FloatArray:
        """Parameter vector of the merge, false-alarm and plot kernels (``_k.P_*``)."""
        prm = np.empty(_k.N_PLOT)
        prm[_k.P_SWEEP_START] = self.sweep_start_rad
        prm[_k.P_AZ_BW] = self.az_beamwidth_rad
        prm[_k.P_EL_BW] = self.el_beamwidth_rad
        prm[_k.P_MIN_EL] = self.min_elevation_rad
        prm[_k.P_RANGE_RES] = self.preset.range_resolution_m
        prm[_k.P_PULSES] = self.preset.pulses_integrated
        prm[_k.P_RANGE_FLOOR] = self.preset.range_sigma_floor_m
        prm[_k.P_ANGLE_FLOOR] = self.angle_floor_rad
        prm[_k.P_MONOPULSE] = MONOPULSE_SLOPE_KM
        prm[_k.P_PERIOD] = self.period_s
        prm[_k.P_F0] = self.f0
        prm[_k.P_W] = self.sector_width_rad
        prm[_k.P_MIN_R] = self.min_range_m
        prm[_k.P_MAX_R] = self.max_range_m
        prm[_k.P_MAX_EL] = self.max_elevation_rad
        return prm

    def _false_alarms(
        self, t0: float, t1: float, rng: np.random.Generator
    ) -> tuple[FloatArray, IntArray, FloatArray]:
        """Noise crossings: Poisson(pfa x cells x swept fraction), uniform over swept cells.

        A false alarm at time t lies in the azimuth beam the sweep is at, at a range and
        elevation uniform over the instrumented cells. Its apparent SNR is that of noise
        conditioned on crossing the threshold: Q(N, x) = Pfa U, U uniform (exact inverse
        of the conditional distribution), SNR = x / N - 1.

        Returns the plot kernel's false-alarm inputs, in draw order: float columns (11, F)
        (rows ``_k.C_T`` .. ``_k.C_SNR``), int columns (3, F) (sweep, truth id -1) and the
        measured point less the site in scenario axes (F, 3). The arithmetic is compiled;
        the transcendental functions and the rotation stay numpy calls, so the columns are
        bit for bit those of the plain-numpy formulas.
        """
        if t1 <= t0:
            return _NO_FALSE_ALARMS
        count = int(rng.poisson(self.false_alarms_per_scan * (t1 - t0) / self.period_s))
        if count == 0:
            return _NO_FALSE_ALARMS
        p = self.preset
        u = rng.random((4, count))
        x = special.gammainccinv(p.pulses_integrated, p.pfa * rng.random(count))
        fa_f = np.empty((_k.N_COLS, count))
        fa_i = np.empty((_k.N_ICOLS, count), dtype=np.int64)
        _k.false_alarm_cells(u, x, t0, t1, self._prm, fa_f, fa_i)
        funcs = np.empty((_k.N_FUNCS, count))
        np.log10(fa_f[_k.C_SNR], out=funcs[_k.F_LOG10_SNR])
        np.sin(fa_f[_k.C_AZ], out=funcs[_k.F_SIN_AZ])
        np.cos(fa_f[_k.C_AZ], out=funcs[_k.F_COS_AZ])
        np.cos(fa_f[_k.C_EL], out=funcs[_k.F_COS_EL])
        np.sin(fa_f[_k.C_EL], out=funcs[_k.F_SIN_EL])
        loc = np.empty((count, 3))
        _k.false_alarm_local(fa_f, funcs, loc)
        # local = R d  =>  d = R^T local, i.e. row vectors: d = local @ R
        return fa_f, fa_i, loc @ self.rotation

    # --- coverage ----------------------------------------------------------------------------
    def coverage(
        self,
        ground_range_m: ArrayLike,
        height_m: ArrayLike,
        rcs_m2: float,
        swerling: int = 1,
    ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
        """Single-pulse SNR (dB), Pd and visibility on a (ground range, height) grid.

        For the coverage-against-altitude diagram: the target at ground range (great-circle,
        mean-radius sphere) and height above the ellipsoid, the radar at its antenna height;
        slant range and elevation on the true sphere, line of sight over the 4/3-Earth. Pd
        is 0 where the target is not visible (horizon, range or elevation limits).
        """
        g = np.asarray(ground_range_m, dtype=np.float64)
        h = np.asarray(height_m, dtype=np.float64)
        g, h = np.broadcast_arrays(g, h)
        ra = EARTH_MEAN_RADIUS_M + self.antenna_height_m
        rb = EARTH_MEAN_RADIUS_M + h
        theta = g / EARTH_MEAN_RADIUS_M
        r = np.sqrt((rb - ra) ** 2 + 4.0 * ra * rb * np.sin(0.5 * theta) ** 2)
        sin_el = (rb * np.cos(theta) - ra) / np.maximum(r, 1e-9)
        el = np.arcsin(np.clip(sin_el, -1.0, 1.0))
        visible = line_of_sight(self.antenna_height_m, h, g)
        visible &= (r >= self.min_range_m) & (r <= self.max_range_m)
        visible &= (el >= self.min_elevation_rad) & (el <= self.max_elevation_rad)
        with np.errstate(divide="ignore"):
            snr_db = self.snr_constant_db + 10.0 * np.log10(rcs_m2) - 40.0 * np.log10(r)
        pd = np.where(visible, self.pd_table(int(swerling))(snr_db), 0.0)
        return snr_db, pd, visible

    def detection_range_m(self, rcs_m2: float, pd: float = 0.5, swerling: int = 1) -> float:
        """Free-space range (m) at which Pd is reached (no horizon, no range limits).

        Inverts the Pd table used by the simulator, then the radar equation:
        R = (C sigma / SNR)^(1/4).
        """
        snr_db = self.pd_table(int(swerling)).snr_for_pd(pd)
        return float(10.0 ** ((self.snr_constant_db + 10.0 * np.log10(rcs_m2) - snr_db) / 40.0))
