"""The multi-target tracker: batches of plots in, track updates out, every step over arrays.

One :class:`Tracker` holds the live tracks as a structure of arrays (states ``(N, M, d)``,
covariances ``(N, M, d, d)``, model probabilities, hit counts, per-sensor last-update
times) and processes batches of measurements in time order:

1. confirmed tracks are gated against the batch (KD-tree on predicted positions, then the
   Mahalanobis test) and associated (GNN or JPDA) first, so tentative tracks cannot steal
   their plots; then tentative tracks get the plots left; the plots still left start new
   tentative tracks;
2. associated tracks are updated (Kalman or IMM), at each plot's own time;
3. track management at the batch time: M-of-N confirmation, coasting on missed revisits,
   deletion after ``max_misses`` missed revisits of every sensor that saw the track, or
   when the position uncertainty grows too large.

Tracks are kept at their last update time and predicted only where needed (gating, output),
so an unobserved track costs nothing per batch. Dropped tracks leave memory: the tracker's
memory follows the live picture, not the run's length.

Measurements in range, azimuth and elevation are converted to Cartesian with debiasing
(unbiased converted measurements, :func:`~airdefense.tracking.filters.converted_measurement`)
rather than run through an EKF: the update stays linear and shared with Cartesian input,
the gate is an ellipsoid in ENU that a KD-tree can bound, and the debiased covariance stays
consistent at long range where the EKF's linearisation over the cross-range arc is not
(Mo et al. 1998; Bar-Shalom, Li, Kirubarajan 2001, section 10.3 discuss the trade).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from airdefense.tracking import _kernels, association, filters
from airdefense.tracking.config import TrackerConfig
from airdefense.tracking.measurements import (
    COASTING,
    CONFIRMED,
    TENTATIVE,
    Measurements,
    TrackUpdates,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Consecutive updates two tracks must look like one target before the younger is dropped.
DUPLICATE_CHECKS = 3

#: Weight of the newest revisit in the quality score (an exponentially weighted hit ratio
#: over about the last 1 / w revisits).
QUALITY_WEIGHT = 0.2


@dataclass(frozen=True)
class TrackEvent:
    """A track management event: ``kind`` is "track_confirmed" or "track_dropped".

    ``truth_id`` is the truth id of the track's last plot (-1 unknown); ``position`` its
    estimated position then (ENU m).
    """

    t: float
    kind: str
    track_id: int
    truth_id: int
    position: tuple[float, float, float]


@dataclass
class _Site:
    position: FloatArray  # (3,) ENU m
    rotation: FloatArray  # (3, 3) frame ENU axes -> sensor local axes
    revisit_s: float  # NaN until known


class Tracker:
    """Batched multi-target tracker (see the module docstring for the cycle).

    >>> tr = Tracker(TrackerConfig())
    >>> for updates in tr.run(measurements):  # doctest: +SKIP
    ...     writer.write(updates)
    """

    def __init__(self, config: TrackerConfig | None = None, frame: object | None = None) -> None:
        self.config = config if config is not None else TrackerConfig()
        c = self.config
        self.models = filters.models_for(
            c.filter,
            c.process_noise_m2ps3,
            c.manoeuvre_acceleration_mps2,
            c.manoeuvre_time_s,
            c.manoeuvre_model,
        )
        self.n_models = len(self.models)
        codes = {"cv": _kernels.CV, "ca": _kernels.CA, "singer": _kernels.SINGER}
        self._kinds = np.array([codes[m.kind] for m in self.models], dtype=np.int64)
        self._qs = np.array([m.q for m in self.models])
        self._taus = np.array([m.tau if m.tau > 0 else 1.0 for m in self.models])
        self.dim = self.models[0].dim
        p = c.imm_switch_probability
        m = self.n_models
        self.pi = np.full((m, m), p / max(m - 1, 1)) + np.eye(m) * (1.0 - p - p / max(m - 1, 1))
        if m == 1:
            self.pi = np.ones((1, 1))
        # new tracks start in the quiet model: a manoeuvre gate on a one-plot track sweeps clutter
        self.mu0 = np.array([1.0]) if m == 1 else np.array([0.99, 0.01])
        self.gate = filters.chi2_gate(c.gate_probability)
        self._dup_gate = filters.chi2_gate(0.99, 6)
        self.events: list[TrackEvent] = []
        self._t_last = -np.inf
        self._next_id = 1
        # sensor columns: column 0 is Cartesian input without a sensor
        self._col_of: dict[int, int] = {-1: 0}
        self._sites: dict[int, _Site] = {}
        self._revisit = np.array([c.revisit_s if c.revisit_s is not None else np.nan])
        self._last_batch_t = np.array([np.nan])
        self._frame = frame
        for sid, site in c.sensors.items():
            if site.lat_deg is not None:
                if frame is None:
                    from airdefense.geo import Frame

                    o = c.origin
                    assert o is not None  # checked by TrackerConfig
                    frame = self._frame = Frame.from_degrees(o.lat_deg, o.lon_deg, o.alt_m)
                pos = frame.geodetic_to_enu(  # type: ignore[attr-defined]
                    np.radians(site.lat_deg), np.radians(site.lon_deg), site.alt_m
                )
            else:
                pos = np.array([site.east_m, site.north_m, site.up_m], dtype=np.float64)
            rot = None if frame is None else frame.sensor_rotation(pos)  # type: ignore[attr-defined]
            self.add_sensor(sid, pos, rot, site.revisit_s)
        self._alloc(64)
        self._n = 0

    # --- sensors ------------------------------------------------------------------------

    def add_sensor(
        self,
        sensor_id: int,
        position_enu: FloatArray,
        rotation: FloatArray | None = None,
        revisit_s: float | None = None,
    ) -> None:
        """Register a polar sensor: its ENU position, the rotation from the frame's axes to its
        local east-north-up axes (identity if None) and its revisit time (scan period)."""
        rot = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
        self._sites[int(sensor_id)] = _Site(
            np.asarray(position_enu, dtype=np.float64).reshape(3),
            rot,
            float(revisit_s) if revisit_s is not None else np.nan,
        )
        self._column(int(sensor_id))
        if revisit_s is not None:
            self._revisit[self._col_of[int(sensor_id)]] = float(revisit_s)

    def _column(self, sensor_id: int) -> int:
        col = self._col_of.get(sensor_id)
        if col is None:
            col = len(self._col_of)
            self._col_of[sensor_id] = col
            self._revisit = np.append(self._revisit, np.nan)
            self._last_batch_t = np.append(self._last_batch_t, np.nan)
            if hasattr(self, "_seen"):
                self._seen = np.concatenate(
                    [self._seen, np.full((self._seen.shape[0], 1), np.nan)], axis=1
                )
        return col

    # --- storage --------------------------------------------------------------------------

    def _alloc(self, cap: int) -> None:
        m, d, s = self.n_models, self.dim, len(self._col_of)
        self._id = np.zeros(cap, dtype=np.int64)
        self._x = np.zeros((cap, m, d))
        self._p = np.zeros((cap, m, d, d))
        self._mu = np.zeros((cap, m))
        self._t = np.zeros(cap)
        self._t0 = np.zeros(cap)
        self._status = np.zeros(cap, dtype=np.int64)
        self._hits = np.zeros(cap, dtype=np.int64)
        self._q = np.zeros(cap)
        self._seen = np.full((cap, s), np.nan)
        self._rev0 = np.zeros(cap)
        self._reported = np.zeros(cap, dtype=np.int64)
        self._truth = np.zeros(cap, dtype=np.int64)
        self._dup = np.zeros(cap, dtype=np.int64)

    _FIELDS = (
        "_id",
        "_x",
        "_p",
        "_mu",
        "_t",
        "_t0",
        "_status",
        "_hits",
        "_q",
        "_seen",
        "_rev0",
        "_reported",
        "_truth",
        "_dup",
    )

    def _grow(self, need: int) -> None:
        cap = self._id.shape[0]
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in self._FIELDS:
            a = getattr(self, name)
            b = np.zeros((new, *a.shape[1:]), dtype=a.dtype)
            if name == "_seen":
                b[:] = np.nan
            b[: self._n] = a[: self._n]
            setattr(self, name, b)

    def _keep(self, keep: NDArray[np.bool_]) -> None:
        n = self._n
        idx = np.flatnonzero(keep)
        for name in self._FIELDS:
            a = getattr(self, name)
            a[: idx.size] = a[idx]
        self._n = idx.size
        del n

    @property
    def n_tracks(self) -> int:
        """Live tracks (tentative and confirmed)."""
        return self._n

    @property
    def n_confirmed(self) -> int:
        return int(np.count_nonzero(self._status[: self._n] == CONFIRMED))

    # --- measurements -------------------------------------------------------------------

    def _convert(self, b: Measurements) -> tuple[FloatArray, FloatArray, IntArray]:
        """Cartesian measurement z (K, 3), covariance R (K, 3, 3) and sensor column (K,)."""
        k = len(b)
        z = np.empty((k, 3))
        r = np.zeros((k, 3, 3))
        col = np.zeros(k, dtype=np.int64)
        cart = ~b.polar
        if cart.any():
            z[cart] = np.stack([b.x[cart], b.y[cart], b.z[cart]], axis=1)
            ii = np.arange(3)
            sig = np.stack([b.sx[cart], b.sy[cart], b.sz[cart]], axis=1)
            rc = np.zeros((sig.shape[0], 3, 3))
            rc[:, ii, ii] = sig**2
            r[cart] = rc
        if b.polar.any():
            for sid in np.unique(b.sensor_id[b.polar]):
                site = self._sites.get(int(sid))
                if site is None:
                    raise KeyError(
                        f"measurements from sensor {int(sid)}, whose position is unknown"
                    )
                sel = b.polar & (b.sensor_id == sid)
                zl, rl = filters.converted_measurement(
                    b.range_m[sel],
                    b.azimuth_rad[sel],
                    b.elevation_rad[sel],
                    b.sigma_range_m[sel],
                    b.sigma_azimuth_rad[sel],
                    b.sigma_elevation_rad[sel],
                )
                rot = site.rotation
                z[sel] = site.position + zl @ rot
                r[sel] = np.swapaxes(rot, 0, 1)[None] @ rl @ rot[None]
        for sid in np.unique(b.sensor_id):
            col[b.sensor_id == sid] = self._column(int(sid)) if sid >= 0 else 0
        return z, r, col

    # --- the cycle ------------------------------------------------------------------------

    def process(self, batch: Measurements) -> TrackUpdates:
        """Process one batch of measurements (times within one scan window, not earlier than
        the previous batch) and return the track rows it produced."""
        if len(batch) == 0:
            return TrackUpdates.empty()
        t_min = float(batch.t.min())
        # batches of different sensors within one window may overlap in time
        if t_min < self._t_last - self.config.batch_window_s - 1e-6:
            raise ValueError(
                f"time goes backwards: a batch at t={t_min:.6g} s after t={self._t_last:.6g} s"
            )
        t_b = float(batch.t.mean())
        z, r, col = self._convert(batch)
        self._learn_revisit(col, t_b)
        free = np.ones(len(batch), dtype=bool)
        rows: list[TrackUpdates] = []
        updated = np.zeros(self._n, dtype=bool)
        for stage in (CONFIRMED, TENTATIVE):
            tidx = np.flatnonzero(self._status[: self._n] == stage)
            pidx = np.flatnonzero(free)
            if tidx.size == 0 or pidx.size == 0:
                continue
            used, upd = self._associate(tidx, pidx, z, r, col, batch, t_b, stage == CONFIRMED)
            free[used] = False
            updated[upd] = True
        new_rows = self._initiate(np.flatnonzero(free), z, r, col, batch)
        updated = np.concatenate([updated, np.ones(self._n - updated.size, dtype=bool)])
        rows.append(self._rows(np.flatnonzero(updated)))
        rows.append(new_rows)
        rows.append(self._manage(t_b, updated))
        self._t_last = max(self._t_last, float(batch.t.max()))
        out = TrackUpdates.concat([r_ for r_ in rows if len(r_)])
        order = np.lexsort((out.track_id, out.t))
        return out.take(order)

    def run(self, meas: Measurements) -> Iterator[TrackUpdates]:
        """Split time-sorted measurements into batches (per sensor, rows within
        ``batch_window_s``, at most half a revisit) and yield each batch's track rows."""
        if len(meas) == 0:
            return
        back = np.flatnonzero(np.diff(meas.t) < 0)
        if back.size:
            i = int(back[0]) + 1
            raise ValueError(
                f"time goes backwards at row {i}: t={meas.t[i]:.6g} s after {meas.t[i - 1]:.6g} s"
            )
        self._estimate_revisits(meas)
        w = self.config.batch_window_s
        sids, inv = np.unique(meas.sensor_id, return_inverse=True)
        cols = np.array([self._column(int(s)) if s >= 0 else 0 for s in sids])[inv]
        rev = self._revisit[cols]
        win = np.where(np.isfinite(rev), np.minimum(w, 0.5 * rev), w)
        if w <= 0:
            key = meas.t
        else:
            key = np.floor((meas.t - meas.t[0]) / np.where(win > 0, win, 1.0))
            key = np.where(win > 0, key, meas.t)
        order = np.lexsort((meas.sensor_id, key))
        # same-time rows always share a batch; a new batch when the window or sensor changes
        k_s, s_s = key[order], meas.sensor_id[order]
        cut = np.flatnonzero((np.diff(k_s) != 0) | (np.diff(s_s) != 0)) + 1
        for grp in np.split(order, cut):
            yield self.process(meas.take(grp))

    def _learn_revisit(self, col: IntArray, t_b: float) -> None:
        """Scan-synchronous sensors with no configured revisit: learn it from batch spacing."""
        for c in np.unique(col):
            last = self._last_batch_t[c]
            if np.isnan(self._revisit[c]) and np.isfinite(last) and t_b - last > 1e-9:
                self._revisit[c] = t_b - last
            self._last_batch_t[c] = t_b

    def _estimate_revisits(self, meas: Measurements) -> None:
        """Revisit of sensors with none configured: the spacing of distinct scan times when
        each scan shares one time, else the azimuth rotation period of a scanning radar."""
        for sid in np.unique(meas.sensor_id):
            c = self._column(int(sid)) if sid >= 0 else 0
            if np.isfinite(self._revisit[c]):
                continue
            sel = meas.sensor_id == sid
            t = meas.t[sel]
            ut = np.unique(t)
            if ut.size < 2:
                continue
            if ut.size < 0.5 * t.size:  # scan-synchronous
                self._revisit[c] = float(np.median(np.diff(ut)))
            elif meas.polar[sel].all():
                az = np.unwrap(meas.azimuth_rad[sel])
                dt = np.diff(t)
                ok = dt > 0
                rate = np.median(np.diff(az)[ok] / dt[ok]) if ok.any() else 0.0
                if abs(rate) > 1e-6:
                    self._revisit[c] = float(2 * np.pi / abs(rate))

    def _predicted_spread(self, idx: IntArray, dt: FloatArray) -> FloatArray:
        """Upper bound of the predicted position variance trace (m^2) of tracks over dt."""
        p = self._p[idx]
        tp = np.trace(p[:, :, 0:3, 0:3], axis1=-2, axis2=-1)
        tpv = np.trace(p[:, :, 0:3, 3:6], axis1=-2, axis2=-1)
        tv = np.trace(p[:, :, 3:6, 3:6], axis1=-2, axis2=-1)
        d = dt[:, None]
        var = tp + 2 * d * tpv + d * d * tv
        if self.dim == 9:
            ta = np.trace(p[:, :, 6:9, 6:9], axis1=-2, axis2=-1)
            var = var + 0.25 * d**4 * ta + np.abs(d) ** 3 * np.sqrt(np.maximum(tv * ta, 0))
            q = max(m.q for m in self.models)
            var = var + q * np.abs(d) ** 5 / 20 * 3 + self.models[0].q * np.abs(d) ** 3
        else:
            var = var + self.models[0].q * np.abs(d) ** 3
        return var.max(axis=1)

    def _associate(
        self,
        tidx: IntArray,
        pidx: IntArray,
        z: FloatArray,
        r: FloatArray,
        col: IntArray,
        batch: Measurements,
        t_b: float,
        confirmed: bool,
    ) -> tuple[IntArray, IntArray]:
        """Gate, associate and update tracks tidx with plots pidx; return (plots used,
        tracks updated)."""
        c = self.config
        dt_b = t_b - self._t[tidx]
        pos = filters.predict_position(self._x[tidx], self._mu[tidx], dt_b)
        span = float(np.max(np.abs(batch.t[pidx] - t_b))) if pidx.size else 0.0
        var = self._predicted_spread(tidx, dt_b)
        rmax = float(np.max(np.trace(r[pidx], axis1=-2, axis2=-1)))
        speed = np.linalg.norm(
            np.einsum("km,kmi->ki", self._mu[tidx], self._x[tidx, :, 3:6]), axis=1
        )
        # a plot up to `span` from the batch time moves the prediction by up to span * (v + dv)
        tv = np.trace(self._p[tidx, :, 3:6, 3:6], axis1=-2, axis2=-1).max(axis=1)
        radius = np.sqrt(self.gate * (var + rmax)) + span * (speed + np.sqrt(self.gate * tv)) + 1.0
        ti_l, pj_l = association.candidate_pairs(pos, radius, z[pidx])
        none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if ti_l.size == 0:
            return none
        ti = tidx[ti_l]
        pj = pidx[pj_l]
        # mixing once per track, then per-pair prediction to the plot's own time
        ut, inv = np.unique(ti, return_inverse=True)
        x0, p0, cbar = filters.mix(self._x[ut], self._p[ut], self._mu[ut], self.pi)
        dt = batch.t[pj] - self._t[ti]
        xp, pp, d2m, loglik = _kernels.predict_pairs(
            np.ascontiguousarray(x0[inv]),
            np.ascontiguousarray(p0[inv]),
            np.ascontiguousarray(dt),
            np.ascontiguousarray(z[pj]),
            np.ascontiguousarray(r[pj]),
            self._kinds,
            self._qs,
            self._taus,
        )
        cp = cbar[inv]
        # gate: inside the ellipsoid of at least one model (a manoeuvre's first plot lies in
        # the manoeuvring model's gate while that model is still improbable)
        # (confirmed tracks only: a tentative track's manoeuvre gate would sweep up clutter)
        if self.n_models == 1 or confirmed:
            d2 = d2m.min(axis=1)
        else:
            xc, pc = filters.combine(xp[:, :, 0:3], pp[:, :, 0:3, 0:3], cp)
            nuc = z[pj] - xc
            d2 = np.einsum("ki,kij,kj->k", nuc, np.linalg.inv(pc + r[pj]), nuc)
        ok = d2 <= self.gate
        if not ok.any():
            return none
        ti, pj, inv = ti[ok], pj[ok], inv[ok]
        xp, pp, loglik, cp, d2 = xp[ok], pp[ok], loglik[ok], cp[ok], d2[ok]
        n_all = self._n
        if c.association == "gnn":
            if confirmed:
                # confirmed tracks: the generalised distance d^2 + ln|S| (Blackman and Popoli
                # 1999, eq. 6.18) against one constant miss cost, so a coasting track with a
                # wide gate does not take a plot from a tight track it shares it with
                gen = -2.0 * np.log(np.maximum(np.einsum("km,km->k", np.exp(loglik), cp), 1e-300))
                cost = gen - 3.0 * np.log(2.0 * np.pi)
                miss = float(cost.max() + self.gate + 1.0)
            else:
                # tentative tracks: the Mahalanobis distance, as Stone Soup's
                # DistanceHypothesiser; with its square, crowds of new tracks confirmed fewer
                # targets in the Stone Soup bench
                cost = np.sqrt(d2)
                miss = float(np.sqrt(self.gate))
            pick = association.gnn(ti, pj, cost, n_all, len(batch), miss_cost=miss)
            ti, pj = ti[pick], pj[pick]
            xu, pu = _kernels.update_pairs(xp[pick], pp[pick], z[pj], r[pj])
            mu = filters.model_posterior(cp[pick], loglik[pick])
            self._apply(ti, pj, xu, pu, mu, col, batch)
            return pj, ti
        # JPDA: per-pair weights from the model-averaged likelihood; every gated pair updated
        xu, pu = _kernels.update_pairs(
            xp, pp, np.ascontiguousarray(z[pj]), np.ascontiguousarray(r[pj])
        )
        lik = np.exp(loglik)  # (K, M)
        lam = c.clutter_density_per_m3
        pd = c.detection_probability
        g = pd * np.einsum("km,km->k", lik, cp) / lam
        miss = np.full(n_all, 1.0 - pd * c.gate_probability)
        beta, beta0 = association.jpda(ti, pj, g, miss, n_all, len(batch))
        tracks = np.unique(ti)
        # mixture per track and model: beta0 * prediction + sum_j beta_j * update_j
        first = np.unique(ti, return_index=True)[1]
        k_of = np.searchsorted(tracks, ti)
        m, d = self.n_models, self.dim
        w0 = beta0[tracks]
        xs = w0[:, None, None] * xp[first]
        np.add.at(xs, k_of, beta[:, None, None] * xu)
        dx0 = xp[first] - xs
        ps = w0[:, None, None, None] * (pp[first] + dx0[..., :, None] * dx0[..., None, :])
        dxj = xu - xs[k_of]
        np.add.at(
            ps, k_of, beta[:, None, None, None] * (pu + dxj[..., :, None] * dxj[..., None, :])
        )
        # IMM-PDA model likelihoods: Lambda_m = miss + sum_j P_D L_jm / lambda
        lam_m = np.broadcast_to(miss[tracks][:, None], (tracks.size, m)).copy()
        np.add.at(lam_m, k_of, pd * lik / lam)
        mu = filters.model_posterior(cp[first], np.log(np.maximum(lam_m, 1e-300)))
        hit = (1.0 - w0) >= 0.5
        best = np.zeros(tracks.size, dtype=np.int64)
        order = np.lexsort((-beta, k_of))
        firsts = np.ones(order.size, dtype=bool)
        firsts[1:] = k_of[order][1:] != k_of[order][:-1]
        best[k_of[order[firsts]]] = order[firsts]
        t_new = batch.t[pj[best]]
        del d
        self._x[tracks], self._p[tracks], self._mu[tracks] = xs, ps, mu
        self._t[tracks] = t_new
        h = tracks[hit]
        self._register_hits(h, pj[best][hit], col, batch)
        used = np.unique(pj[beta > 0.1])
        return used, tracks

    def _apply(
        self,
        ti: IntArray,
        pj: IntArray,
        x: FloatArray,
        p: FloatArray,
        mu: FloatArray,
        col: IntArray,
        batch: Measurements,
    ) -> None:
        self._x[ti], self._p[ti], self._mu[ti] = x, p, mu
        self._t[ti] = batch.t[pj]
        self._register_hits(ti, pj, col, batch)

    def _register_hits(
        self, ti: IntArray, pj: IntArray, col: IntArray, batch: Measurements
    ) -> None:
        """Bookkeeping of a detection: hits, quality, per-sensor time, truth, confirmation."""
        c = self.config
        self._hits[ti] += 1
        missed = np.maximum(self._misses(ti, batch.t[pj]), 0)
        w = QUALITY_WEIGHT
        self._q[ti] = self._q[ti] * (1 - w) ** (missed - self._reported[ti]).clip(0) * (1 - w) + w
        self._seen[ti, col[pj]] = batch.t[pj]
        self._truth[ti] = batch.truth_id[pj]
        self._reported[ti] = 0
        confirm = ti[(self._status[ti] == TENTATIVE) & (self._hits[ti] >= c.confirm_m)]
        if confirm.size:
            self._status[confirm] = CONFIRMED
            self._log("track_confirmed", confirm, self._t[confirm])

    def _misses(self, idx: IntArray, t: FloatArray | float) -> IntArray:
        """Consecutive missed revisits of each track at time t: the fewest over the sensors
        that have seen it (a revisit counts as missed half a period after it was due)."""
        seen = self._seen[idx]
        rev = self._revisit[None, : seen.shape[1]]
        t = np.asarray(t, dtype=np.float64).reshape(-1, 1) if np.ndim(t) else t
        with np.errstate(invalid="ignore"):
            m = np.floor((t - seen) / rev - 0.5)
        m = np.where(np.isfinite(m), m, np.inf)
        best = m.min(axis=1)
        return np.where(np.isfinite(best), best, 0).clip(0).astype(np.int64)

    def _initiate(
        self, pidx: IntArray, z: FloatArray, r: FloatArray, col: IntArray, batch: Measurements
    ) -> TrackUpdates:
        """Start a tentative track on each plot left over."""
        k = pidx.size
        if k == 0:
            return TrackUpdates.empty()
        c = self.config
        n0 = self._n
        self._grow(n0 + k)
        sl = slice(n0, n0 + k)
        m, d = self.n_models, self.dim
        x = np.zeros((k, m, d))
        x[:, :, 0:3] = z[pidx][:, None, :]
        p = np.zeros((k, m, d, d))
        p[:, :, 0:3, 0:3] = r[pidx][:, None]
        sv2 = (0.5 * c.max_speed_mps) ** 2
        ii = np.arange(3)
        p[:, :, ii + 3, ii + 3] = sv2
        if d == 9:
            p[:, 1, ii + 6, ii + 6] = 10.0**2  # manoeuvre model: 1 g sigma acceleration prior
        self._id[sl] = np.arange(self._next_id, self._next_id + k)
        self._next_id += k
        self._x[sl], self._p[sl] = x, p
        self._mu[sl] = self.mu0
        self._t[sl] = batch.t[pidx]
        self._t0[sl] = batch.t[pidx]
        self._status[sl] = TENTATIVE
        self._hits[sl] = 0
        self._q[sl] = 0.0
        self._seen[sl] = np.nan
        self._reported[sl] = 0
        self._dup[sl] = 0
        rev = self._revisit[col[pidx]]
        self._rev0[sl] = rev
        self._n = n0 + k
        self._register_hits(np.arange(n0, n0 + k), pidx, col, batch)
        return TrackUpdates.empty()

    def _rows(
        self,
        idx: IntArray,
        t: float | None = None,
        status: IntArray | None = None,
        last_truth: bool = False,
    ) -> TrackUpdates:
        """Output rows of tracks idx, at their update time or predicted to t. A predicted
        row's truth id is -1 (no plot updated it) unless ``last_truth`` asks for the truth
        id of the track's last plot."""
        if idx.size == 0:
            return TrackUpdates.empty()
        x, p, mu = self._x[idx], self._p[idx], self._mu[idx]
        tt = self._t[idx]
        if t is not None:
            dt = t - tt
            x, p = filters.predict(self.models, x, p, dt)
            tt = np.full(idx.size, t)
        xc, pc = filters.combine(x, p, mu)
        sig = np.sqrt(np.maximum(np.diagonal(pc[:, 0:3, 0:3], axis1=1, axis2=2), 0.0))
        st = self._status[idx] if status is None else status
        return TrackUpdates(
            t=tt,
            track_id=self._id[idx],
            x=xc[:, 0],
            y=xc[:, 1],
            z=xc[:, 2],
            vx=xc[:, 3],
            vy=xc[:, 4],
            vz=xc[:, 5],
            status=st,
            sx=sig[:, 0],
            sy=sig[:, 1],
            sz=sig[:, 2],
            quality=self._q[idx],
            truth_id=self._truth[idx] if t is None or last_truth else np.full(idx.size, -1),
        )

    def _manage(self, t_b: float, updated: NDArray[np.bool_]) -> TrackUpdates:
        """Coasting rows for newly missed revisits, then deletions."""
        c = self.config
        n = self._n
        if n == 0:
            return TrackUpdates.empty()
        idx = np.arange(n)
        misses = self._misses(idx, t_b)
        misses[updated[:n]] = 0
        newly = np.flatnonzero((misses > self._reported[:n]) & ~updated[:n])
        out = TrackUpdates.empty()
        if newly.size:
            w = QUALITY_WEIGHT
            self._q[newly] *= (1 - w) ** (misses[newly] - self._reported[newly])
            self._reported[newly] = misses[newly]
            st = np.where(self._status[newly] == CONFIRMED, COASTING, TENTATIVE)
            out = self._rows(newly, t_b, st)
        status = self._status[:n]
        tent = status == TENTATIVE
        rev0 = np.where(np.isfinite(self._rev0[:n]), self._rev0[:n], np.inf)
        opportunities = 1 + np.floor((t_b - self._t0[:n]) / rev0 + 0.5)
        hopeless = tent & (opportunities - self._hits[:n] > c.confirm_n - c.confirm_m)
        drop = (tent & (misses >= c.tentative_max_misses)) | hopeless
        drop |= (status == CONFIRMED) & (misses >= c.max_misses)
        var = self._predicted_spread(idx, t_b - self._t[:n])
        drop |= (status == CONFIRMED) & (np.sqrt(var / 3.0) > c.max_position_sigma_m)
        drop |= self._duplicates(t_b, updated[:n] & (status == CONFIRMED), var)
        if drop.any():
            gone = np.flatnonzero(drop & (status == CONFIRMED))
            self._log("track_dropped", gone, np.full(gone.size, t_b))
            self._keep(~drop)
        return out

    def _duplicates(
        self, t_b: float, updated: NDArray[np.bool_], var: FloatArray
    ) -> NDArray[np.bool_]:
        """Confirmed tracks that duplicate an older confirmed track (to be dropped).

        Two tracks on one target share its plots between them and both survive; a track
        whose position and velocity stay statistically equal to an older track's
        (chi-square test on the 6-D difference at 99 % with the two covariances summed, the
        track-to-track test of Y. Bar-Shalom, "On the track-to-track correlation problem",
        IEEE Trans. AC 26(2), 1981, neglecting the cross-covariance)
        for ``DUPLICATE_CHECKS`` consecutive updates is dropped; the older number stays.
        """
        n = self._n
        out = np.zeros(n, dtype=bool)
        conf = np.flatnonzero(self._status[:n] == CONFIRMED)
        upd = np.flatnonzero(updated)
        if upd.size == 0 or conf.size < 2:
            return out
        dt = t_b - self._t[:n]
        pos = filters.predict_position(self._x[:n], self._mu[:n], dt)
        # a duplicate is the nearest other confirmed track: one k=2 query per updated track
        dist, nn = cKDTree(pos[conf]).query(pos[upd], k=2)
        other = conf[nn[:, 1]]
        self_first = conf[nn[:, 0]] == upd
        b = np.where(self_first, other, conf[nn[:, 0]])
        gap = np.where(self_first, dist[:, 1], dist[:, 0])
        near = gap**2 <= 9.0 * (var[upd] + var[b])
        a, b = upd[near], b[near]
        if a.size == 0:
            self._dup[upd] = 0
            return out
        both = np.unique(np.concatenate([a, b]))
        xp, pp = filters.predict(self.models, self._x[both], self._p[both], dt[both])
        xc, pc = filters.combine(xp, pp, self._mu[both])
        ia, ib = np.searchsorted(both, a), np.searchsorted(both, b)
        d = xc[ia, 0:6] - xc[ib, 0:6]
        s_ = pc[ia, 0:6, 0:6] + pc[ib, 0:6, 0:6]
        d2 = np.einsum("ki,ki->k", d, np.linalg.solve(s_, d[..., None])[..., 0])
        same = d2 < self._dup_gate
        younger = np.unique(np.where(self._id[a] > self._id[b], a, b)[same])
        flagged = np.zeros(n, dtype=bool)
        flagged[younger] = True
        self._dup[upd[~flagged[upd]]] = 0
        self._dup[younger] += 1
        out[younger[self._dup[younger] >= DUPLICATE_CHECKS]] = True
        return out

    def pop_events(self) -> list[TrackEvent]:
        """The confirmations and drops since the last call, removed from :attr:`events` (a
        long run reads them as it goes, so the list stays short)."""
        out, self.events = self.events, []
        return out

    def finish(self, t: float | None = None) -> None:
        """Drop every live track (end of data), logging a drop for each confirmed one."""
        n = self._n
        tt = self._t_last if t is None else t
        live = np.flatnonzero(self._status[:n] == CONFIRMED)
        self._log("track_dropped", live, np.full(live.size, float(tt)))
        self._n = 0

    def _log(self, kind: str, idx: IntArray, t: FloatArray) -> None:
        if idx.size == 0:
            return
        pos = np.einsum("km,kmi->ki", self._mu[idx], self._x[idx, :, 0:3])
        for k, i in enumerate(idx.tolist()):
            self.events.append(
                TrackEvent(
                    float(t[k]),
                    kind,
                    int(self._id[i]),
                    int(self._truth[i]),
                    (float(pos[k, 0]), float(pos[k, 1]), float(pos[k, 2])),
                )
            )

    def tracks_at(self, t: float, confirmed_only: bool = True) -> TrackUpdates:
        """The live picture predicted to time t (for threat evaluation and displays)."""
        n = self._n
        sel = np.arange(n)
        if confirmed_only:
            sel = sel[self._status[:n] == CONFIRMED]
        # the picture carries the truth id of each track's last plot (scoring, kill assessment)
        return self._rows(sel, t, last_truth=True)
