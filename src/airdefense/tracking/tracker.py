"""The multi-target tracker: batches of plots in, track updates out, every step over arrays.

One :class:`Tracker` holds the live tracks as a structure of arrays (states ``(N, M, d)``,
covariances ``(N, M, d, d)``, model probabilities, hit counts, per-sensor last-update
times) and processes batches of measurements in time order:

1. confirmed tracks are gated against the batch (a distance bound around the predicted
   positions, by brute force for a radar's batch and with a KD-tree for large pictures,
   then the Mahalanobis test) and associated (GNN or JPDA) first, so tentative tracks
   cannot steal their plots; then tentative tracks get the plots left; the plots still left
   start new tentative tracks;
2. associated tracks are updated (Kalman or IMM), at each plot's own time;
3. track management at the batch time: M-of-N confirmation, coasting on missed revisits,
   deletion after ``max_misses`` missed revisits of every sensor that saw the track, or
   when the position uncertainty grows too large.

Tracks are kept at their last update time and predicted only where needed (gating, output),
so an unobserved track costs nothing per batch. Dropped tracks leave memory: the tracker's
memory follows the live picture, not the run's length.

A radar batch is small (tens of plots against ~100 tracks), so the per-batch work runs in
compiled kernels (:mod:`~airdefense.tracking._kernels` for the filter arithmetic,
:mod:`~airdefense.tracking._pairing` for gating and assignment,
:mod:`~airdefense.tracking._management` for the bookkeeping) rather than as hundreds of
numpy calls on tiny arrays. They repeat the numpy arithmetic they replaced in its order, so
the track outputs are unchanged to the bit; numpy still evaluates the exponentials, powers
and matrix products that enter the states (its vectorised versions round differently).

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

from airdefense.tracking import _kernels, _management, _pairing, association, filters
from airdefense.tracking.config import TrackerConfig
from airdefense.tracking.measurements import (
    CONFIRMED,
    TENTATIVE,
    Measurements,
    TrackUpdates,
)
from airdefense.types.events import EventLog, TrackConfirmed, TrackDropped

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Consecutive updates two tracks must look like one target before the younger is dropped.
DUPLICATE_CHECKS = 3

#: Weight of the newest revisit in the quality score (an exponentially weighted hit ratio
#: over about the last 1 / w revisits).
QUALITY_WEIGHT = 0.2


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
        self._kinds = np.array([_kernels.MODEL_CODES[m.kind] for m in self.models], dtype=np.int64)
        self._qs = np.array([m.q for m in self.models])
        self._taus = np.array([m.tau if m.tau > 0 else 1.0 for m in self.models])
        self._model = (self._kinds, self._qs, self._taus)  # the models, as kernels take them
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
        self._q_max = max(m.q for m in self.models)  # the spread bound's noise densities
        self._q0 = self.models[0].q
        self._speed_var = (0.5 * c.max_speed_mps) ** 2  # velocity prior of a new track
        self._decay = (1 - QUALITY_WEIGHT) ** np.arange(_DECAY_TABLE)
        #: confirmations and drops since the last :meth:`pop_events`
        self.events = EventLog()
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
        """Drop the tracks not kept, moving the rest to the front (in order)."""
        self._n = _management.compact(keep, *(getattr(self, name) for name in self._FIELDS))

    @property
    def n_tracks(self) -> int:
        """Live tracks (tentative and confirmed)."""
        return self._n

    @property
    def n_confirmed(self) -> int:
        return int(np.count_nonzero(self._status[: self._n] == CONFIRMED))

    # --- measurements -------------------------------------------------------------------

    def _convert(self, b: Measurements) -> tuple[FloatArray, FloatArray, IntArray, list[int]]:
        """Cartesian measurement z (K, 3), covariance R (K, 3, 3), sensor column (K,) and
        the distinct columns (sorted)."""
        k = len(b)
        sid = b.sensor_id
        s0 = int(sid[0])
        if b.polar.all() and (sid == s0).all():  # one radar's sweep: the usual batch
            z, r = self._polar_to_enu(s0, b, slice(None))
            c0 = self._column(s0)
            return z, r, np.full(k, c0, dtype=np.int64), [c0]
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
            for s in np.unique(sid[b.polar]):
                sel = b.polar & (sid == s)
                z[sel], r[sel] = self._polar_to_enu(int(s), b, sel)
        for s in np.unique(sid):
            col[sid == s] = self._column(int(s)) if s >= 0 else 0
        return z, r, col, np.unique(col).tolist()

    def _polar_to_enu(
        self, sensor_id: int, b: Measurements, sel: slice | NDArray[np.bool_]
    ) -> tuple[FloatArray, FloatArray]:
        """Rows sel of sensor sensor_id, polar: :func:`filters.converted_measurement` in the
        sensor's axes (numpy's sines, cosines and exponentials, a kernel's algebra: the
        same numbers in 6 calls instead of ~45), then rotated and shifted into the frame."""
        site = self._sites.get(sensor_id)
        if site is None:
            raise KeyError(f"measurements from sensor {sensor_id}, whose position is unknown")
        ang, ex = _kernels.polar_arguments(
            b.azimuth_rad[sel],
            b.elevation_rad[sel],
            b.sigma_azimuth_rad[sel],
            b.sigma_elevation_rad[sel],
        )
        lam = np.exp(ex)
        zl, rl = _kernels.polar_converted(
            b.range_m[sel], b.sigma_range_m[sel], np.sin(ang), np.cos(ang), lam, lam**4
        )
        rot = site.rotation
        return site.position + zl @ rot, np.swapaxes(rot, 0, 1)[None] @ rl @ rot[None]

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
        z, r, col, cols = self._convert(batch)
        self._learn_revisit(cols, t_b)
        free = np.ones(len(batch), dtype=bool)
        n0 = self._n
        updated = np.zeros(n0, dtype=bool)
        for stage in (CONFIRMED, TENTATIVE):
            tidx = (self._status[:n0] == stage).nonzero()[0]
            pidx = free.nonzero()[0]
            if tidx.size == 0 or pidx.size == 0:
                continue
            used, upd = self._associate(tidx, pidx, z, r, col, batch, t_b, stage == CONFIRMED)
            free[used] = False
            updated[upd] = True
        self._initiate(free.nonzero()[0], z, r, col, batch)
        rows = self._rows(np.concatenate([updated.nonzero()[0], np.arange(n0, self._n)]))
        updated = np.concatenate([updated, np.ones(self._n - n0, dtype=bool)])
        coasting = self._manage(t_b, updated)
        self._t_last = max(self._t_last, float(batch.t.max()))
        return _updates(*_management.merge_rows(*rows, *coasting))

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

    def _learn_revisit(self, cols: list[int], t_b: float) -> None:
        """Scan-synchronous sensors with no configured revisit: learn it from batch spacing."""
        for c in cols:
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

    def _candidates(
        self,
        tidx: IntArray,
        pidx: IntArray,
        z: FloatArray,
        r: FloatArray,
        batch: Measurements,
        t_b: float,
    ) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
        """Candidate pairs of tracks tidx and plots pidx, close enough for their gates: track
        and plot indices (ti, pj) sorted by track, the distinct tracks, each pair's index
        among them, and each pair's time from the track's last update to the plot."""
        geometry = (self._x, self._p, self._mu, self._t, t_b, tidx, batch.t)
        bound = (self.gate, self._q_max, self._q0)
        if tidx.size * pidx.size <= association.BRUTE_FORCE_MAX_PAIRS:
            return _pairing.candidates(*geometry, z, r, pidx, *bound)
        pos, radius = _pairing.gate_geometry(*geometry, r, pidx, *bound)
        ti_l, pj_l = association.candidate_pairs(pos, radius, z[pidx])
        ti, pj = tidx[ti_l], pidx[pj_l]
        ut, row = _pairing.runs(ti)
        return ti, pj, ut, row, batch.t[pj] - self._t[ti]

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
        x_, p_, mu_ = self._x, self._p, self._mu
        none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        ti, pj, ut, row, dt = self._candidates(tidx, pidx, z, r, batch, t_b)
        if ti.size == 0:
            return none
        # mixing once per track, then per-pair prediction to the plot's own time
        if self.n_models == 1:
            x0, p0, row, cp = x_, p_, ti, mu_[ti]
        else:
            cbar = mu_[ut] @ self.pi
            x0, p0 = _kernels.mix(x_, p_, mu_, ut, cbar, self.pi)
            cp = cbar[row]
        model = self._model
        # gate: inside the ellipsoid of at least one model (a manoeuvre's first plot lies in
        # the manoeuvring model's gate while that model is still improbable); a tentative
        # IMM track gates with its mixture (its manoeuvre gate would sweep up clutter)
        mixture = self.n_models > 1 and not confirmed
        n_all = self._n
        if c.association == "gnn":
            loglik, d2 = _kernels.gate_pairs(x0, p0, row, dt, z, r, pj, cp, *model, mixture)
            ok = np.flatnonzero(d2 <= self.gate)
            cost, miss = _kernels.gnn_costs(loglik, cp, d2, ok, confirmed, self.gate)
            chosen, order, bounds = _pairing.gnn_easy(ti[ok], pj[ok], cost, n_all, len(batch))
            if bounds.size > 1:  # clusters of two tracks and two plots or more
                association.solve_clusters(ti[ok], pj[ok], cost, miss, chosen, order, bounds)
            pick = ok[chosen]
            ti, pj = ti[pick], pj[pick]
            xu, pu = _kernels.predict_update_pairs(x0, p0, row[pick], dt[pick], z, r, pj, *model)
            # model probabilities (filters.model_posterior, numpy's log and exp)
            a = _kernels.posterior_exponents(loglik, pick, np.log(np.maximum(cp[pick], 1e-300)))
            _management.store_updates(
                ti, pj, xu, pu, np.exp(a), batch.t, self._x, self._p, self._mu, self._t
            )
            self._register_hits(ti, pj, col, batch)
            return pj, ti
        # JPDA: per-pair weights from the model-averaged likelihood; every gated pair updated
        loglik, d2 = _kernels.gate_pairs(x0, p0, row, dt, z, r, pj, cp, *model, mixture)
        ok = (d2 <= self.gate).nonzero()[0]
        if ok.size == 0:
            return none
        ti, pj = ti[ok], pj[ok]
        loglik, cp = loglik[ok], cp[ok]
        xp, pp, _, _ = _kernels.predict_pairs_at(
            x0, p0, row[ok], dt[ok], z, r, pj, *model, self.dim
        )
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

    def _register_hits(
        self, ti: IntArray, pj: IntArray, col: IntArray, batch: Measurements
    ) -> None:
        """Bookkeeping of a detection: hits, quality, per-sensor time, truth, confirmation."""
        confirm = _management.register_hits(
            ti,
            pj,
            batch.t,
            col,
            batch.truth_id,
            self._revisit,
            self._decay,
            QUALITY_WEIGHT,
            self.config.confirm_m,
            self._hits,
            self._q,
            self._seen,
            self._reported,
            self._truth,
            self._status,
        )
        if confirm.size:
            self._log(confirm, self._t[confirm])

    def _initiate(
        self, pidx: IntArray, z: FloatArray, r: FloatArray, col: IntArray, batch: Measurements
    ) -> None:
        """Start a tentative track on each plot left over."""
        k = pidx.size
        if k == 0:
            return
        n0 = self._n
        self._grow(n0 + k)
        self._id[n0 : n0 + k] = np.arange(self._next_id, self._next_id + k)
        self._next_id += k
        _management.start_tracks(
            n0,
            pidx,
            z,
            r,
            batch.t,
            col,
            self.mu0,
            self._speed_var,
            self._revisit,
            self._x,
            self._p,
            self._mu,
            self._t,
            self._t0,
            self._status,
            self._hits,
            self._q,
            self._seen,
            self._reported,
            self._dup,
            self._rev0,
        )
        self._n = n0 + k
        self._register_hits(np.arange(n0, n0 + k), pidx, col, batch)

    def _rows(self, idx: IntArray) -> _Rows:
        """Output rows of tracks idx at their last update."""
        return _management.updated_rows(
            idx, self._x, self._p, self._mu, self._t, self._status, self._id, self._q, self._truth
        )

    def _predicted_rows(self, idx: IntArray, t: float, coasting: bool) -> _Rows:
        """Output rows of tracks idx predicted to t: confirmed tracks marked coasting if
        ``coasting`` (a missed revisit; the truth id -1, no plot updated them), else with
        their status and the truth id of their last plot (the picture)."""
        x, p = filters.predict(self.models, self._x[idx], self._p[idx], t - self._t[idx])
        return _management.predicted_rows(
            idx,
            x,
            p,
            t,
            self._mu,
            self._status,
            self._id,
            self._q,
            self._truth,
            coasting,
            not coasting,
        )

    def _manage(self, t_b: float, updated: NDArray[np.bool_]) -> _Rows:
        """Coasting rows for newly missed revisits, then deletions."""
        c = self.config
        n = self._n
        misses, newly = _management.missed_revisits(
            t_b, n, updated, self._seen, self._revisit, self._decay, self._reported, self._q
        )
        out = self._predicted_rows(newly, t_b, coasting=True) if newly.size else _NO_ROWS
        var = _pairing.position_spread(self._p, self._t, t_b, n, self._q_max, self._q0)
        drop = _management.lost_tracks(
            t_b,
            misses,
            self._status,
            self._hits,
            self._t0,
            self._rev0,
            var,
            c.tentative_max_misses,
            c.max_misses,
            c.confirm_n - c.confirm_m,
            c.max_position_sigma_m,
        )
        lost = drop
        drop = lost | self._duplicates(t_b, updated[:n], var)
        if drop.any():
            gone = (drop & (self._status[:n] == CONFIRMED)).nonzero()[0]
            missed = misses[gone] >= c.max_misses
            why = np.where(lost[gone], np.where(missed, "missed", "diverged"), "duplicate")
            self._log(gone, np.full(gone.size, t_b), why)
            self._keep(~drop)
        return out

    def _duplicates(
        self, t_b: float, updated: NDArray[np.bool_], var: FloatArray
    ) -> NDArray[np.bool_]:
        """Confirmed tracks that duplicate an older confirmed track (to be dropped), among
        those updated in the batch (mask ``updated``); ``var`` their position spreads.

        Two tracks on one target share its plots between them and both survive; a track
        whose position and velocity stay statistically equal to an older track's
        (chi-square test on the 6-D difference at 99 % with the two covariances summed, the
        track-to-track test of Y. Bar-Shalom, "On the track-to-track correlation problem",
        IEEE Trans. AC 26(2), 1981, neglecting the cross-covariance)
        for ``DUPLICATE_CHECKS`` consecutive updates is dropped; the older number stays.
        """
        n = self._n
        tested = updated & (self._status[:n] == CONFIRMED)
        # a duplicate is the nearest other confirmed track
        if n * n <= association.BRUTE_FORCE_MAX_PAIRS:
            a, b, any_ = _pairing.near_tracks(
                self._x, self._mu, self._t, t_b, self._status, updated, var
            )
            if not any_:
                return np.zeros(n, dtype=bool)
        else:  # one k=2 KD-tree query per updated track (the nearest is itself)
            conf = (self._status[:n] == CONFIRMED).nonzero()[0]
            upd = tested.nonzero()[0]
            if upd.size == 0 or conf.size < 2:
                return np.zeros(n, dtype=bool)
            pos = _pairing.predicted_position(self._x, self._mu, self._t, t_b, conf)
            rows = np.searchsorted(conf, upd)
            dist, nn = cKDTree(pos).query(pos[rows], k=2)
            self_first = nn[:, 0] == rows
            b = conf[np.where(self_first, nn[:, 1], nn[:, 0])]
            gap = np.where(self_first, dist[:, 1], dist[:, 0])
            near = gap**2 <= 9.0 * (var[upd] + var[b])
            a, b = upd[near], b[near]
        same = _kernels.duplicate_test(
            a, b, self._x, self._p, self._mu, self._t, t_b, *self._model, self._dup_gate
        )
        return _management.duplicate_marks(
            a, b, same, tested, self._id, DUPLICATE_CHECKS, self._dup
        )

    def pop_events(self) -> EventLog:
        """The confirmations and drops since the last call, removed from :attr:`events` (a
        long run reads them as it goes, so the log stays short)."""
        out, self.events = self.events, EventLog()
        return out

    def finish(self, t: float | None = None) -> None:
        """Drop every live track (end of data), logging a drop for each confirmed one."""
        n = self._n
        tt = self._t_last if t is None else t
        live = np.flatnonzero(self._status[:n] == CONFIRMED)
        self._log(live, np.full(live.size, float(tt)), np.full(live.size, "end_of_data"))
        self._n = 0

    def _log(self, idx: IntArray, t: FloatArray, reason: NDArray[np.str_] | None = None) -> None:
        """Log confirmations (``reason`` None) or drops of the tracks in rows ``idx``, with
        the truth id of each track's last plot (scoring only) and its estimated position."""
        if idx.size == 0:
            return
        pos = np.einsum("km,kmi->ki", self._mu[idx], self._x[idx, :, 0:3])
        cols = {
            "t": np.asarray(t, dtype=np.float64),
            "track_id": self._id[idx],
            "object_id": self._truth[idx],
            "x": pos[:, 0],
            "y": pos[:, 1],
            "z": pos[:, 2],
        }
        if reason is None:
            self.events.add(TrackConfirmed(**cols))
        else:
            self.events.add(TrackDropped(reason=np.asarray(reason, dtype=object), **cols))

    def tracks_at(self, t: float, confirmed_only: bool = True) -> TrackUpdates:
        """The live picture predicted to time t (for threat evaluation and displays)."""
        n = self._n
        sel = np.arange(n)
        if confirmed_only:
            sel = sel[self._status[:n] == CONFIRMED]
        if sel.size == 0:
            return TrackUpdates.empty()
        # the picture carries the truth id of each track's last plot (scoring, kill assessment)
        return _updates(*self._predicted_rows(sel, t, coasting=False))


#: A block of output rows: floats (11, K) t, x, y, z, vx, vy, vz, sx, sy, sz, quality and
#: integers (3, K) track_id, status, truth_id, one column per row.
_Rows = tuple[FloatArray, IntArray]
_NO_ROWS: _Rows = (np.zeros((11, 0)), np.zeros((3, 0), dtype=np.int64))

#: Entries of the quality decay table (1 - QUALITY_WEIGHT)^e; beyond, the power underflows.
_DECAY_TABLE = 4096


def _updates(f: FloatArray, i: IntArray) -> TrackUpdates:
    return TrackUpdates(
        t=f[0],
        track_id=i[0],
        x=f[1],
        y=f[2],
        z=f[3],
        vx=f[4],
        vy=f[5],
        vz=f[6],
        status=i[1],
        sx=f[7],
        sy=f[8],
        sz=f[9],
        quality=f[10],
        truth_id=i[2],
    )
