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
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from airdefense.geo import EARTH_MEAN_RADIUS_M, Frame, line_of_sight
from airdefense.sensors.detection import pd_table
from airdefense.sensors.noise import angle_sigma_rad, range_sigma_m
from airdefense.sensors.plots import Plots
from airdefense.sensors.radar_equation import SPEED_OF_LIGHT_MPS, snr_constant_db
from airdefense.systems.models import RadarPreset
from airdefense.world.truth import Truth

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TWO_PI = 2.0 * np.pi
#: Looks evaluated per chunk: temporaries stay in cache, memory stays bounded.
CHUNK_LOOKS = 1 << 15


def interp_position(
    truth: Truth, times: FloatArray, obj: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Position (M, 3) and height (M,) of objects at times: the cubic Hermite interpolation of
    ``Truth.state_at`` (same formula, position only), via flat ``take`` for speed.

    p(s) = p0 + s (a + s (3 dp - 2 a - b + s (a + b - 2 dp))), a = dt v0, b = dt v1,
    dp = p1 - p0; height linear. Times are clamped to the grid as in ``Truth.state_at``.
    """
    dt = truth.dt
    n_obj = truth.pos.shape[1]
    last = truth.t.shape[0] - 1
    u = (times - float(truth.t[0])) * (1.0 / dt)
    np.clip(u, 0.0, float(last), out=u)
    k = u.astype(np.int64)
    np.minimum(k, max(last - 1, 0), out=k)
    sv = u - k
    k1 = np.minimum(k + 1, last)
    i0 = k * n_obj + obj
    i1 = k1 * n_obj + obj
    pos = truth.pos.reshape(-1, 3)
    vel = truth.vel.reshape(-1, 3)
    p0 = pos.take(i0, axis=0)
    dp = pos.take(i1, axis=0)
    dp -= p0
    a = vel.take(i0, axis=0)
    a *= dt
    b = vel.take(i1, axis=0)
    b *= dt
    s = sv[:, None]
    c3 = a + b
    c3 -= 2.0 * dp
    c2 = 3.0 * dp
    c2 -= 2.0 * a
    c2 -= b
    c3 *= s
    c3 += c2
    c3 *= s
    c3 += a
    c3 *= s
    c3 += p0
    h = truth.height.reshape(-1)
    h0 = h.take(i0)
    height = h.take(i1)
    height -= h0
    height *= sv
    height += h0
    return c3, height


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

    # --- helpers ---------------------------------------------------------------------------
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

    def _ground_range(self, r: FloatArray, h_t: FloatArray) -> FloatArray:
        """Great-circle ground range (m, mean-radius sphere) from slant range and heights."""
        ra = EARTH_MEAN_RADIUS_M + self.antenna_height_m
        rb = EARTH_MEAN_RADIUS_M + h_t
        dh = rb - ra
        s2 = np.maximum(r * r - dh * dh, 0.0) / (4.0 * ra * rb)
        return (2.0 * EARTH_MEAN_RADIUS_M) * np.arcsin(np.sqrt(np.minimum(s2, 1.0)))

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

        Every (sweep, object) crossing in the window is evaluated, in chunks of looks;
        consecutive windows give the same looks as one window spanning both. All draws come
        from ``rng``. The number of looks evaluated is kept in ``last_looks`` (and returned
        as a second value with ``return_looks=True``).
        """
        t0 = float(t0)
        t1 = float(t1)
        parts: list[dict[str, FloatArray | IntArray]] = []
        n_looks = 0
        if t1 > t0:
            ids = np.flatnonzero(truth.alive_between(t0, t1))
            if ids.size:
                n_looks = self._targets(t0, t1, truth, rng, ids, parts)
        cols = [self._make_target_plots(parts, rng), self._false_alarms(t0, t1, rng)]
        cols = [c for c in cols if c is not None]
        self.last_looks = n_looks
        if cols:
            joined = {k: np.concatenate([c[k] for c in cols]) for k in cols[0]}
            order = np.lexsort((joined["truth_id"], joined["t"]))
            joined = {k: v[order] for k, v in joined.items()}
            plots = Plots(sensor_id=np.full(order.size, self.sensor_id, dtype=np.int64), **joined)
        else:
            plots = Plots.empty()
        if return_looks:
            return plots, n_looks
        return plots

    def _targets(
        self,
        t0: float,
        t1: float,
        truth: Truth,
        rng: np.random.Generator,
        ids: IntArray,
        parts: list[dict[str, FloatArray | IntArray]],
    ) -> int:
        """Evaluate all looks at objects ``ids`` in [t0, t1); append detections to parts."""
        period, f0 = self.period_s, self.f0
        start = truth.start_s[ids]
        end = truth.end_s[ids]
        # sweeps overlapping the window and each object's life
        n_first = int(np.floor(t0 / period + f0))
        n_last = int(np.ceil(t1 / period + f0)) - 1
        lo = np.maximum(np.floor(start / period + f0).astype(np.int64), n_first)
        hi = np.minimum(np.floor(end / period + f0).astype(np.int64), n_last)
        if not np.any(hi >= lo):
            return 0
        # grid index range of each object's life, for the reference state
        tg0, dt = float(truth.t[0]), truth.dt
        last = truth.t.shape[0] - 1
        k_lo = np.clip(np.ceil((start - tg0) / dt - 1e-9), 0, last).astype(np.int64)
        k_hi = np.maximum(
            np.clip(np.floor((end - tg0) / dt + 1e-9), 0, last).astype(np.int64), k_lo
        )
        # per-object SNR constant and Swerling case
        snr0 = self.snr_constant_db + 10.0 * np.log10(truth.rcs_m2[ids])
        sw = truth.swerling[ids].astype(np.int64)
        sw_values = np.unique(sw)

        # candidate looks, sweep-major (objects of one sweep adjacent: the truth gathers
        # then read memory nearly in order), several sweeps per chunk when few objects
        n_obj = ids.size
        per_chunk = max(1, CHUNK_LOOKS // n_obj)
        all_j = np.arange(n_obj)
        n_looks = 0
        for n_a in range(n_first, n_last + 1, per_chunk):
            n_b = min(n_a + per_chunk, n_last + 1)
            n = np.repeat(np.arange(n_a, n_b, dtype=np.int64), n_obj)
            j = np.tile(all_j, n_b - n_a)
            ok = (lo[j] <= n) & (n <= hi[j])
            if not ok.all():
                n, j = n[ok], j[ok]
            if n.size:
                n_looks += self._chunk(
                    t0, t1, truth, rng, ids, j, n, start, end, k_lo, k_hi, snr0, sw,
                    sw_values, parts,
                )  # fmt: skip
        return n_looks

    def _chunk(self, t0, t1, truth, rng, ids, j, n, start, end, k_lo, k_hi, snr0, sw,
               sw_values, parts) -> int:  # fmt: skip
        period, f0, w = self.period_s, self.f0, self.sector_width_rad
        rot = self.rotation
        s = self.position_enu
        obj = ids[j]
        # reference state: truth grid point nearest the sweep start (window independent)
        t_ref = (n - f0) * period
        kref = np.rint((t_ref - float(truth.t[0])) / truth.dt).astype(np.int64)
        np.clip(kref, k_lo[j], k_hi[j], out=kref)
        flat = kref * truth.pos.shape[1] + obj
        p = truth.pos.reshape(-1, 3).take(flat, axis=0)
        v = truth.vel.reshape(-1, 3).take(flat, axis=0)
        p -= s
        e = p @ rot[0]
        nn = p @ rot[1]
        ve = v @ rot[0]
        vn = v @ rot[1]
        a_ref = np.arctan2(e, nn)
        adot = (nn * ve - e * vn) / np.maximum(e * e + nn * nn, 1.0)
        frac = ((a_ref - self.sweep_start_rad) % TWO_PI) / w
        denom = np.maximum(1.0 - adot * (period / w), 0.1)
        frac /= denom
        if self.rotating:
            np.minimum(frac, 1.0 - 1e-12, out=frac)
        t_look = t_ref + frac * period
        keep = (t_look >= t0) & (t_look < t1) & (frac < 1.0)
        keep &= t_look >= start[j]
        keep &= t_look <= end[j]
        sel = np.flatnonzero(keep)
        m = sel.size
        if m == 0:
            return 0
        j = j[sel]
        n = n[sel]
        obj = ids[j]
        t_look = t_look[sel]

        # state at the look
        pos, h_t = interp_position(truth, t_look, obj)
        pos -= s
        loc = pos @ self._rot_t
        e = loc[:, 0]
        nn = loc[:, 1]
        u = loc[:, 2]
        r2 = e * e
        r2 += nn * nn
        r2 += u * u
        r = np.sqrt(r2)
        # visibility: range and elevation limits (on sin el), line of sight
        vis = (r >= self.min_range_m) & (r <= self.max_range_m)
        sin_el = u / np.maximum(r, 1e-9)
        vis &= sin_el >= np.sin(self.min_elevation_rad)
        vis &= sin_el <= np.sin(self.max_elevation_rad)
        idx_v = np.flatnonzero(vis)
        if idx_v.size:
            ok = line_of_sight(
                self.antenna_height_m, h_t[idx_v], self._ground_range(r[idx_v], h_t[idx_v])
            )
            idx_v = idx_v[ok]
        if not self.rotating and idx_v.size:
            az_v = np.arctan2(e[idx_v], nn[idx_v])
            off = (az_v - self.boresight_rad + np.pi) % TWO_PI - np.pi
            idx_v = idx_v[np.abs(off) <= 0.5 * w]
        if idx_v.size == 0:
            return m
        # SNR and Pd
        jv = j[idx_v]
        snr_db = snr0[jv] - 20.0 * np.log10(r2[idx_v])
        if sw_values.size == 1:
            pd = self.pd_table(int(sw_values[0]))(snr_db)
        else:
            pd = np.empty_like(snr_db)
            swv = sw[jv]
            for val in sw_values:
                mk = swv == val
                pd[mk] = self.pd_table(int(val))(snr_db[mk])
        det = rng.random(idx_v.size) < pd
        d = idx_v[det]
        if d.size:
            parts.append(
                {
                    "t": t_look[d],
                    "scan": n[d],
                    "truth_id": obj[d].astype(np.int64),
                    "e": e[d],
                    "n": nn[d],
                    "u": u[d],
                    "r": r[d],
                    "snr_db": snr_db[det],
                }
            )
        return m

    def _make_target_plots(
        self, parts: list[dict[str, FloatArray | IntArray]], rng: np.random.Generator
    ) -> dict[str, FloatArray | IntArray] | None:
        """Merge detections sharing a resolution cell and add measurement noise (columns)."""
        if not parts:
            return None
        cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        r = cat["r"]
        az = np.arctan2(cat["e"], cat["n"])
        az %= TWO_PI
        sin_el = cat["u"] / np.maximum(r, 1e-9)
        snr_db = cat["snr_db"]
        scan = cat["scan"]
        # resolution cells: one plot per (scan, range bin, azimuth beam, elevation beam)
        rbin = (r * (1.0 / self.preset.range_resolution_m)).astype(np.int64)
        abin = (((az - self.sweep_start_rad) % TWO_PI) * (1.0 / self.az_beamwidth_rad)).astype(
            np.int64
        )
        el = np.arcsin(np.clip(sin_el, -1.0, 1.0))
        ebin = ((el - self.min_elevation_rad) * (1.0 / self.el_beamwidth_rad)).astype(np.int64)
        key = scan - scan.min()
        key *= self.n_range_cells + 2
        key += rbin
        key *= self.n_azimuth_cells + 1
        key += abin
        key *= self.n_elevation_cells + 2
        key += ebin + 1
        order = np.argsort(key, kind="stable")
        sk = key[order]
        dup = sk[1:] == sk[:-1]
        if dup.any():
            # cells holding several detections: keep the strongest (ties: lowest truth id)
            in_dup = np.zeros(order.size, dtype=bool)
            in_dup[1:] |= dup
            in_dup[:-1] |= dup
            cand = order[in_dup]
            o2 = np.lexsort((cat["truth_id"][cand], -snr_db[cand], key[cand]))
            c_sorted = cand[o2]
            kc = key[c_sorted]
            first = np.ones(kc.size, dtype=bool)
            first[1:] = kc[1:] != kc[:-1]
            drop = np.zeros(order.size, dtype=bool)
            drop[c_sorted[~first]] = True
            keep = np.flatnonzero(~drop)
        else:
            keep = None
        if keep is not None:
            r, az, el, snr_db, scan = r[keep], az[keep], el[keep], snr_db[keep], scan[keep]
            t, tid = cat["t"][keep], cat["truth_id"][keep]
        else:
            t, tid = cat["t"], cat["truth_id"]
        # measurement noise from the integrated SNR of the look
        snr_int = np.power(10.0, snr_db * 0.1)
        snr_int *= self.preset.pulses_integrated
        sr = range_sigma_m(snr_int, self.preset.range_resolution_m, self.preset.range_sigma_floor_m)
        sa = angle_sigma_rad(snr_int, self.az_beamwidth_rad, self.angle_floor_rad)
        se = angle_sigma_rad(snr_int, self.el_beamwidth_rad, self.angle_floor_rad)
        z = rng.standard_normal((3, t.size))
        z[0] *= sr
        z[0] += r
        rm = np.abs(z[0])
        z[1] *= sa
        z[1] += az
        am = z[1] % TWO_PI
        z[2] *= se
        z[2] += el
        em = np.clip(z[2], -0.5 * np.pi, 0.5 * np.pi)
        return self._columns(t, scan, rm, am, em, sr, sa, se, snr_db, tid)

    def _columns(self, t, scan, r, az, el, sr, sa, se, snr_db, truth_id):  # fmt: skip
        """Plot columns, with the measured point converted back to the scenario frame."""
        ce = np.cos(el)
        loc = np.empty((t.shape[0], 3))
        loc[:, 0] = np.sin(az)
        loc[:, 1] = np.cos(az)
        loc[:, :2] *= (r * ce)[:, None]
        loc[:, 2] = r * np.sin(el)
        # local = R d  =>  d = R^T local, i.e. row vectors: d = local @ R
        xyz = loc @ self.rotation
        xyz += self.position_enu
        return {
            "t": t,
            "scan": scan,
            "range_m": r,
            "azimuth_rad": az,
            "elevation_rad": el,
            "sigma_range_m": sr,
            "sigma_azimuth_rad": sa,
            "sigma_elevation_rad": se,
            "snr_db": snr_db,
            "x": xyz[:, 0],
            "y": xyz[:, 1],
            "z": xyz[:, 2],
            "truth_id": truth_id,
        }

    def _false_alarms(
        self, t0: float, t1: float, rng: np.random.Generator
    ) -> dict[str, FloatArray | IntArray] | None:
        """Noise crossings: Poisson(pfa x cells x swept fraction), uniform over swept cells.

        A false alarm at time t lies in the azimuth beam the sweep is at, at a range and
        elevation uniform over the instrumented cells. Its apparent SNR is that of noise
        conditioned on crossing the threshold: Q(N, x) = Pfa U, U uniform (exact inverse
        of the conditional distribution), SNR = x / N - 1.
        """
        if t1 <= t0:
            return None
        p = self.preset
        mean = p.pfa * self.cells_per_scan * (t1 - t0) / self.period_s
        k = int(rng.poisson(mean))
        if k == 0:
            return None
        u = rng.random((4, k))
        t = t0 + (t1 - t0) * u[0]
        half_beam = 0.5 * self.az_beamwidth_rad
        az = (self.beam_azimuth_rad(t) + half_beam * (2.0 * u[1] - 1.0)) % TWO_PI
        r = self.min_range_m + (self.max_range_m - self.min_range_m) * u[2]
        el = self.min_elevation_rad + (self.max_elevation_rad - self.min_elevation_rad) * u[3]
        n_p = p.pulses_integrated
        x = special.gammainccinv(n_p, p.pfa * rng.random(k))
        snr_lin = np.maximum(x / n_p - 1.0, 1e-3)
        snr_db = 10.0 * np.log10(snr_lin)
        snr_int = n_p * snr_lin
        sr = range_sigma_m(snr_int, p.range_resolution_m, p.range_sigma_floor_m)
        sa = angle_sigma_rad(snr_int, self.az_beamwidth_rad, self.angle_floor_rad)
        se = angle_sigma_rad(snr_int, self.el_beamwidth_rad, self.angle_floor_rad)
        return self._columns(
            t, self.scan_number(t), r, az, el, sr, sa, se, snr_db, np.full(k, -1, dtype=np.int64)
        )

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
