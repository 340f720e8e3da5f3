"""Compiled (numba) kernels of the radar's detect stage.

Why loops and not numpy: one look is a chain of ~40 elementwise operations (reference
state gather, crossing time, cubic Hermite state, local geometry, range / elevation /
horizon culls, SNR, Pd lookup) on a handful of values. Vectorised, each step is a float64
array temporary of the whole chunk: the stage is memory bound on those ~40 temporaries and
on the scattered gathers, not on arithmetic. Fused per look the values stay in registers,
the cheap culls skip the costly parts, and only visible looks are written out. The
arithmetic follows :mod:`airdefense.sensors.radar`'s plain-numpy formulas operation for
operation (``fastmath=False``: no reassociation, no FMA contraction), so results agree with
them to rounding; ``tests/sensors`` keeps a plain-numpy reference of the look and checks it.
One exception, decision-preserving: the line of sight is decided from a series (no
asin / sin / cos) except within a thin band around the horizon, where the exact test of
``geo.line_of_sight`` decides (see ``LOS_BAND``).

No random numbers are drawn here: the caller draws them with the numpy Generator, in a
fixed order, and passes them in, so a seed gives bit-for-bit the same plots.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from airdefense._jit import interp1

TWO_PI = 2.0 * math.pi

# geometry parameter vector of the look kernel (indices)
G_PERIOD, G_F0, G_W, G_SWEEP_START, G_TG0, G_DT = 0, 1, 2, 3, 4, 5
G_MIN_R, G_MAX_R, G_SIN_MIN_EL, G_SIN_MAX_EL = 6, 7, 8, 9
G_H_ANT, G_EARTH_R, G_K_EARTH, G_BORESIGHT, G_TAB_H0, G_TAB_INV_STEP = 10, 11, 12, 13, 14, 15
N_GEOM = 16

# per-object constants of the look kernel (columns)
O_SNR0, O_D_CULL, O_DH_CULL = 0, 1, 2
N_OBJ = 3

# plot parameter vector of the merge, false-alarm and plot kernels (indices)
P_SWEEP_START, P_AZ_BW, P_EL_BW, P_MIN_EL, P_RANGE_RES = 0, 1, 2, 3, 4
P_PULSES, P_RANGE_FLOOR, P_ANGLE_FLOOR, P_MONOPULSE = 5, 6, 7, 8
P_PERIOD, P_F0, P_W, P_MIN_R, P_MAX_R, P_MAX_EL = 9, 10, 11, 12, 13, 14
N_PLOT = 15

# rows of the float plot block the plot kernel writes (plots.FLOAT_ROWS, same order)
C_T, C_RANGE, C_AZ, C_EL, C_SIGMA_R, C_SIGMA_AZ, C_SIGMA_EL, C_SNR, C_X, C_Y, C_Z = range(11)
N_COLS = 11
# rows of the int plot block (plots.INT_ROWS, same order)
I_SENSOR, I_SCAN, I_TRUTH = 0, 1, 2
N_ICOLS = 3


@intrinsic
def _prefetch_row(typingctx, arr, i, j):
    """Prefetch hint (llvm.prefetch, read, keep in all levels) for arr[i, j, 0] of a 3-D array."""
    sig = types.void(arr, i, j)

    def codegen(context, builder, signature, args):
        aty = signature.args[0]
        ary = context.make_array(aty)(context, builder, args[0])
        idx = [args[1], args[2], context.get_constant(types.intp, 0)]
        ptr = cgutils.get_item_pointer(context, builder, aty, ary, idx, wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        one, three, zero = ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 0)
        builder.call(fn, [builder.bitcast(ptr, i8p), zero, three, one])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, fastmath=False, nogil=True)
def _mod_2pi(x):
    """x % 2 pi with numpy's float semantics (fmod, then + 2 pi if negative), fast path."""
    if -TWO_PI < x < TWO_PI:
        if x < 0.0:
            return x + TWO_PI
        return x + 0.0
    return x % TWO_PI


@njit(cache=True, fastmath=False, nogil=True)
def _los_exact(r, h_t, earth_r, re, ra_g, ra_e, re2):
    """geo.line_of_sight over the 4/3 Earth, great-circle ground range from slant range."""
    rb_g = earth_r + h_t
    dh = rb_g - ra_g
    q = max(r * r - dh * dh, 0.0) / (4.0 * ra_g * rb_g)
    g = (2.0 * earth_r) * math.asin(math.sqrt(min(q, 1.0)))
    rb_e = re + h_t
    theta = g / re
    cx = rb_e * math.sin(theta)
    dy = rb_e * math.cos(theta) - ra_e
    dd = cx * cx + dy * dy
    f = -(ra_e * dy) / (dd if dd > 0.0 else 1.0)
    f = min(max(f, 0.0), 1.0)
    cx = f * cx
    cy = ra_e + f * dy
    return cx * cx + cy * cy >= re2 and ra_e >= re and rb_e >= re


#: Trig-free line of sight: series in q = sin^2(half the central angle) up to this q
#: (central angle 0.1 rad, ~640 km ground range; farther looks take the exact test).
LOS_Q_MAX = 0.0025
#: Terms of the series (the first omitted term is below q^N ~ 1e-18 relative).
LOS_TERMS = 8
#: Band (relative to (k R)^2) around the horizon where the exact test decides: |C|^2 - (kR)^2
#: from the series differs from the exact test's by ~0.1 m^2 (~1e-15 relative), the band is
#: 1e-9 relative (the ray's closest approach within ~4 mm of the effective surface).
LOS_BAND = 1e-9


@njit(cache=True, fastmath=False, nogil=True)
def _los_series(kappa):
    """Coefficients of cos(kappa asin x) = sum a_n x^2n and sin(kappa asin x) =
    kappa x sum b_n x^2n (hypergeometric series, exact for |x| < 1)."""
    a = np.empty(LOS_TERMS)
    b = np.empty(LOS_TERMS)
    a[0] = 1.0
    b[0] = 1.0
    k2 = kappa * kappa
    for n in range(1, LOS_TERMS):
        a[n] = a[n - 1] * (-(k2 - (2.0 * (n - 1)) ** 2) / ((2.0 * n - 1.0) * (2.0 * n)))
        b[n] = b[n - 1] * (((2.0 * n - 1.0) ** 2 - k2) / ((2.0 * n) * (2.0 * n + 1.0)))
    return a, b


@njit(cache=True, fastmath=False, nogil=True)
def alive_objects(start_s, end_s, t0, t1):
    """Indices of the objects that exist at some time in [t0, t1) (``Truth.alive_between``)."""
    n = start_s.shape[0]
    ids = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        ids[m] = i
        m += np.int64(start_s[i] < t1 and end_s[i] >= t0)
    return ids[:m]


@njit(cache=True, fastmath=False, nogil=True)
def window_looks(
    om, start_s, end_s, per_obj, table_of, snr_grid, pd_grid, rot, site, geom, rotating,
    rmax_tab, t0, t1, out_f, out_i,
):  # fmt: skip
    """:func:`look_kernel` on every object alive in [t0, t1): the whole look stage of one
    window in one call (the simulation loop asks for ~1,000 short windows per radar, so
    the cost per call matters as much as the cost per look)."""
    ids = alive_objects(start_s, end_s, t0, t1)
    return look_kernel(
        om, ids, start_s, end_s, per_obj, table_of, snr_grid, pd_grid, rot, site, geom,
        rotating, rmax_tab, t0, t1, out_f, out_i,
    )  # fmt: skip


@njit(cache=True, fastmath=False, nogil=True)
def look_kernel(
    om,
    ids,
    start_s,
    end_s,
    per_obj,
    table_of,
    snr_grid,
    pd_grid,
    rot,
    site,
    geom,
    rotating,
    rmax_tab,
    t0,
    t1,
    out_f,
    out_i,
):
    """Evaluate every (sweep, object) look of a window; write out the visible ones.

    A look whose reference state already proves it invisible is counted and dropped before
    its state is interpolated: ``d_cull`` (per object) bounds how far the object can be
    from its reference state at the look (speed bound x (scan period + 4 grid steps): grid
    chords from the reference grid point to the look's interval plus the cubic Hermite
    excursion inside it), and ``dh_cull`` how much higher it can be (climb bound x (scan
    period + 3 grid steps): heights are interpolated linearly), so slant range >=
    r_ref - d and height <= h_ref + dh; the look cannot be seen when that
    range exceeds the instrumented range, or the largest slant range at which a target at
    that height clears the 4/3 Earth (``rmax_tab``, non-decreasing in height on a grid
    from ``tab_h0`` with step 1 / ``tab_inv_step``, inflated by a margin; heights below the
    grid are under the surface). The bound is conservative, so no visible look is dropped.

    ``om`` is the object-major truth (``Truth.object_major``, (N, T, 8)): the looks are
    evaluated object by object, all sweeps of one object in a row, so the truth is read
    in memory order. The visible looks are returned in look order, sweep-major and objects
    in ``ids`` order within a sweep: each sweep gets a slot range as large as its possible
    looks, filled in object order, and the ranges are compacted at the end. ``out_f``
    (7, M): t, e, n, u (local ENU), slant range, single-pulse SNR (dB), Pd; ``out_i``
    (2, M): sweep number, object index. M must be at least the number P of (sweep, object)
    pairs of the window (sweeps overlapping both the window and the object's life).
    Returns (looks evaluated, visible looks, P), or (-1, 0, P) without evaluating anything
    if the outputs are narrower than P (the caller grows them and calls again).

    Per object, indexed by object id: ``start_s``, ``end_s`` its life; ``per_obj`` (N, 3)
    its SNR constant + 10 log10 RCS (dB), ``d_cull`` and ``dh_cull`` (columns ``O_*``);
    ``table_of`` its row of ``pd_grid``. ``geom``: the radar's scan and limits (``G_*``),
    ``tab_h0`` and ``tab_inv_step`` included.
    """
    n_t = om.shape[1]
    last = n_t - 1
    k_top = last - 1 if last - 1 > 0 else 0
    period = geom[G_PERIOD]
    f0 = geom[G_F0]
    w = geom[G_W]
    sweep_start = geom[G_SWEEP_START]
    tg0 = geom[G_TG0]
    dt = geom[G_DT]
    inv_dt = 1.0 / dt
    min_r = geom[G_MIN_R]
    max_r = geom[G_MAX_R]
    sin_min_el = geom[G_SIN_MIN_EL]
    sin_max_el = geom[G_SIN_MAX_EL]
    h_ant = geom[G_H_ANT]
    earth_r = geom[G_EARTH_R]
    re = geom[G_K_EARTH] * earth_r
    boresight = geom[G_BORESIGHT]
    tab_h0 = geom[G_TAB_H0]
    tab_inv_step = geom[G_TAB_INV_STEP]
    ra_g = earth_r + h_ant
    ra_e = re + h_ant
    re2 = re * re
    band = LOS_BAND * re2
    four_ra_g = 4.0 * ra_g
    kappa = (2.0 * earth_r) / re
    ca, sb = _los_series(kappa)
    half_w = 0.5 * w
    p_over_w = period / w
    s0, s1, s2 = site[0], site[1], site[2]
    r00, r01, r02 = rot[0, 0], rot[0, 1], rot[0, 2]
    r10, r11, r12 = rot[1, 0], rot[1, 1], rot[1, 2]
    r20, r21, r22 = rot[2, 0], rot[2, 1], rot[2, 2]
    n_obj = ids.shape[0]
    # sweeps overlapping the window and each object's life (lo..hi), and the grid index
    # range of its life (k_lo..k_hi) for the reference state
    n_first = math.floor(t0 / period + f0)
    n_last = math.ceil(t1 / period + f0) - 1
    n_sw = max(n_last - n_first + 1, 0)
    lo = np.empty(n_obj, dtype=np.int64)
    hi = np.empty(n_obj, dtype=np.int64)
    bound = 0
    for j in range(n_obj):
        obj = ids[j]
        lo[j] = max(math.floor(start_s[obj] / period + f0), n_first)
        hi[j] = min(math.floor(end_s[obj] / period + f0), n_last)
        bound += max(hi[j] - lo[j] + 1, 0)
    if bound == 0 or bound > out_f.shape[1] or bound > out_i.shape[1]:
        return (-1 if bound else 0), 0, bound
    k_lo = np.empty(n_obj, dtype=np.int64)
    k_hi = np.empty(n_obj, dtype=np.int64)
    for j in range(n_obj):
        obj = ids[j]
        k_lo[j] = int(min(max(math.ceil((start_s[obj] - tg0) / dt - 1e-9), 0), last))
        kh = int(min(max(math.floor((end_s[obj] - tg0) / dt + 1e-9), 0), last))
        k_hi[j] = max(kh, k_lo[j])
    # per sweep: reference grid index, start of its slot range, slots filled
    k_ref = np.empty(n_sw, dtype=np.int64)
    base = np.zeros(n_sw + 1, dtype=np.int64)
    for j in range(n_obj):
        if lo[j] <= hi[j]:
            base[lo[j] - n_first + 1] += 1
            if hi[j] - n_first + 1 < n_sw:
                base[hi[j] - n_first + 1] -= 1
    live = 0
    for i in range(n_sw):
        live += base[i + 1]
        base[i + 1] = base[i] + live
        k_ref[i] = int(np.rint(((n_first + i - f0) * period - tg0) / dt))
    fill = base[:n_sw].copy()
    # per object: its looks in the window (phase 1), their geometry and visibility computed
    # without data-dependent branches so successive looks overlap in the pipeline (phase
    # 2), then SNR and Pd of the visible ones written to their sweeps' slots (phase 3)
    c_t_look = np.empty(n_sw)
    c_sweep = np.empty(n_sw, dtype=np.int64)
    v_f = np.empty((n_sw, 6))
    v_sweep = np.empty(n_sw, dtype=np.int64)
    n_looks = 0
    n_tab = rmax_tab.shape[0]
    for j in range(n_obj):
        obj = ids[j]
        tr = om[obj]
        m = 0
        d_j = per_obj[obj, O_D_CULL]
        dh_j = per_obj[obj, O_DH_CULL]
        for n in range(lo[j], hi[j] + 1):
            t_ref = (n - f0) * period
            # reference state: grid point nearest the sweep start (window independent)
            k = k_ref[n - n_first]
            if k < k_lo[j]:
                k = k_lo[j]
            if k > k_hi[j]:
                k = k_hi[j]
            px = tr[k, 0] - s0
            py = tr[k, 1] - s1
            pz = tr[k, 2] - s2
            vx = tr[k, 3]
            vy = tr[k, 4]
            vz = tr[k, 5]
            e = px * r00 + py * r01 + pz * r02
            nn = px * r10 + py * r11 + pz * r12
            ve = vx * r00 + vy * r01 + vz * r02
            vn = vx * r10 + vy * r11 + vz * r12
            a_ref = math.atan2(e, nn)
            adot = (nn * ve - e * vn) / max(e * e + nn * nn, 1.0)
            frac = _mod_2pi(a_ref - sweep_start) / w
            frac /= max(1.0 - adot * p_over_w, 0.1)
            if rotating:
                frac = min(frac, 1.0 - 1e-12)
            t_look = t_ref + frac * period
            if not (t_look >= t0 and t_look < t1 and frac < 1.0):
                continue
            if not (t_look >= start_s[obj] and t_look <= end_s[obj]):
                continue
            # provably invisible from the reference state: counted, not evaluated further
            u_ref = px * r20 + py * r21 + pz * r22
            r_low = math.sqrt(e * e + nn * nn + u_ref * u_ref) - d_j
            if r_low > max_r:
                n_looks += 1
                continue
            i_h = math.ceil((tr[k, 6] + dh_j - tab_h0) * tab_inv_step)
            if i_h < 0 or (i_h < n_tab and r_low > rmax_tab[i_h]):
                n_looks += 1
                continue
            # the look's two grid points are read in phase 2: ask for them now
            k_p = int(min(max((t_look - tg0) * inv_dt, 0.0), float(k_top)))
            _prefetch_row(om, obj, k_p)
            _prefetch_row(om, obj, k_p + 1)
            c_t_look[m] = t_look
            c_sweep[m] = n
            m += 1
        n_looks += m
        n_v = 0
        for c in range(m):
            t_look = c_t_look[c]
            # grid interval of the look (Truth.state_at: times clamped to the grid)
            sv = (t_look - tg0) * inv_dt
            sv = min(max(sv, 0.0), float(last))
            k0 = int(sv)
            if k0 > k_top:
                k0 = k_top
            sv -= k0
            k1 = min(k0 + 1, last)
            # state at the look: cubic Hermite (Truth.state_at), height linear
            p0x = tr[k0, 0]
            p0y = tr[k0, 1]
            p0z = tr[k0, 2]
            dpx = tr[k1, 0] - p0x
            dpy = tr[k1, 1] - p0y
            dpz = tr[k1, 2] - p0z
            ax = tr[k0, 3] * dt
            ay = tr[k0, 4] * dt
            az = tr[k0, 5] * dt
            bx = tr[k1, 3] * dt
            by = tr[k1, 4] * dt
            bz = tr[k1, 5] * dt
            qx = ((((ax + bx) - 2.0 * dpx) * sv + ((3.0 * dpx - 2.0 * ax) - bx)) * sv + ax) * sv
            qy = ((((ay + by) - 2.0 * dpy) * sv + ((3.0 * dpy - 2.0 * ay) - by)) * sv + ay) * sv
            qz = ((((az + bz) - 2.0 * dpz) * sv + ((3.0 * dpz - 2.0 * az) - bz)) * sv + az) * sv
            qx = (qx + p0x) - s0
            qy = (qy + p0y) - s1
            qz = (qz + p0z) - s2
            h0 = tr[k0, 6]
            h_t = (tr[k1, 6] - h0) * sv + h0
            # local geometry; instrumented range, elevation limits (on sin el)
            e = qx * r00 + qy * r01 + qz * r02
            nn = qx * r10 + qy * r11 + qz * r12
            up = qx * r20 + qy * r21 + qz * r22
            r2 = e * e + nn * nn + up * up
            r = math.sqrt(r2)
            sin_el = up / max(r, 1e-9)
            ok = (r >= min_r) & (r <= max_r) & (sin_el >= sin_min_el) & (sin_el <= sin_max_el)
            # line of sight over the 4/3 Earth (geo.line_of_sight): the exact test's
            # geometry with cos / sin of the effective central angle from a series in q
            # (no asin / sin / cos); near the horizon (within the band), the exact test
            rb_g = earth_r + h_t
            dh = rb_g - ra_g
            q = max(r * r - dh * dh, 0.0) / (four_ra_g * rb_g)
            rb_e = re + h_t
            ok = ok & (ra_e >= re) & (rb_e >= re)
            q_s = min(q, LOS_Q_MAX)
            c_t = ca[LOS_TERMS - 1]
            s_t = sb[LOS_TERMS - 1]
            for i in range(LOS_TERMS - 2, -1, -1):
                c_t = c_t * q_s + ca[i]
                s_t = s_t * q_s + sb[i]
            s_t *= kappa * math.sqrt(q_s)
            cx = rb_e * s_t
            dy = rb_e * c_t - ra_e
            dd = cx * cx + dy * dy
            f = -(ra_e * dy) / (dd if dd > 0.0 else 1.0)
            f = min(max(f, 0.0), 1.0)
            cx = f * cx
            cy = ra_e + f * dy
            m_los = (cx * cx + cy * cy) - re2
            near = not ((q <= LOS_Q_MAX) & (abs(m_los) > band))  # (NaN: near)
            if ok & near:  # rare
                ok = _los_exact(r, h_t, earth_r, re, ra_g, ra_e, re2)
            else:
                ok = ok & (m_los > band)
            if not rotating:
                off = _mod_2pi(math.atan2(e, nn) - boresight + math.pi) - math.pi
                ok = ok & (abs(off) <= half_w)
            v_f[n_v, 0] = t_look
            v_f[n_v, 1] = e
            v_f[n_v, 2] = nn
            v_f[n_v, 3] = up
            v_f[n_v, 4] = r
            v_f[n_v, 5] = r2
            v_sweep[n_v] = c_sweep[c]
            n_v += np.int64(ok)
        snr_j = per_obj[obj, O_SNR0]
        pd_j = pd_grid[table_of[obj]]
        for c in range(n_v):
            snr_db = snr_j - 20.0 * math.log10(v_f[c, 5])
            i = v_sweep[c] - n_first
            slot = fill[i]
            fill[i] = slot + 1
            out_f[0, slot] = v_f[c, 0]
            out_f[1, slot] = v_f[c, 1]
            out_f[2, slot] = v_f[c, 2]
            out_f[3, slot] = v_f[c, 3]
            out_f[4, slot] = v_f[c, 4]
            out_f[5, slot] = snr_db
            out_f[6, slot] = interp1(snr_db, snr_grid, pd_j)
            out_i[0, slot] = v_sweep[c]
            out_i[1, slot] = obj
    # compact the sweeps' slot ranges (moves to lower indices only: in place)
    n_vis = 0
    for i in range(n_sw):
        for slot in range(base[i], fill[i]):
            if slot != n_vis:
                for c in range(7):
                    out_f[c, n_vis] = out_f[c, slot]
                out_i[0, n_vis] = out_i[0, slot]
                out_i[1, n_vis] = out_i[1, slot]
            n_vis += 1
    return n_looks, n_vis, bound


@njit(cache=True, fastmath=False, nogil=True)
def merge_kernel(vis_f, vis_i, n_vis, draws, prm, out_f, out_i):
    """Detections (draw < Pd) merged by resolution cell; returns the number of plots.

    Detections sharing (sweep, range bin, azimuth beam, elevation beam) give one plot: the
    strongest (ties: lowest truth id); the others are masked. The cell is compared component
    by component (no packed key, so no two cells can alias). Plots are written in look
    order: ``out_f`` (5, K) t, range, azimuth, elevation, SNR (dB); ``out_i`` (2, K) sweep,
    truth id.
    """
    sweep_start = prm[P_SWEEP_START]
    inv_az = 1.0 / prm[P_AZ_BW]
    inv_el = 1.0 / prm[P_EL_BW]
    min_el = prm[P_MIN_EL]
    inv_res = 1.0 / prm[P_RANGE_RES]
    det = np.empty(n_vis, dtype=np.int64)
    n_det = 0
    for i in range(n_vis):
        det[n_det] = i
        n_det += np.int64(draws[i] < vis_f[6, i])
    # cell of each detection (sweep, range bin, azimuth bin, elevation bin) and its hash
    cell = np.empty((n_det, 4), dtype=np.int64)
    hsh = np.empty(n_det, dtype=np.uint64)
    az = np.empty(n_det)
    el = np.empty(n_det)
    for d in range(n_det):
        i = det[d]
        r = vis_f[4, i]
        a = _mod_2pi(math.atan2(vis_f[1, i], vis_f[2, i]))
        s_el = vis_f[3, i] / max(r, 1e-9)
        e = math.asin(min(max(s_el, -1.0), 1.0))
        az[d] = a
        el[d] = e
        c0 = vis_i[0, i]
        c1 = int(r * inv_res)
        c2 = int(_mod_2pi(a - sweep_start) * inv_az)
        c3 = int((e - min_el) * inv_el)
        cell[d, 0] = c0
        cell[d, 1] = c1
        cell[d, 2] = c2
        cell[d, 3] = c3
        h = np.uint64(c0) * np.uint64(0x9E3779B97F4A7C15)
        h = (h ^ np.uint64(c1)) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ np.uint64(c2)) * np.uint64(0x94D049BB133111EB)
        h = (h ^ np.uint64(c3)) * np.uint64(0x9E3779B97F4A7C15)
        hsh[d] = h >> np.uint64(32)
    # open-addressing hash of the cells: one pass, the best detection of each cell
    size = 16
    while size < 2 * n_det:
        size *= 2
    mask = size - 1
    slot_det = np.full(size, -1, dtype=np.int64)
    keep = np.ones(n_det, dtype=np.bool_)
    for d in range(n_det):
        s = np.int64(hsh[d]) & mask
        while True:
            b = slot_det[s]
            if b < 0:
                slot_det[s] = d
                break
            if (
                cell[b, 0] == cell[d, 0]
                and cell[b, 1] == cell[d, 1]
                and cell[b, 2] == cell[d, 2]
                and cell[b, 3] == cell[d, 3]
            ):
                sd = vis_f[5, det[d]]
                sb = vis_f[5, det[b]]
                if sd > sb or (sd == sb and vis_i[1, det[d]] < vis_i[1, det[b]]):
                    keep[b] = False
                    slot_det[s] = d
                else:
                    keep[d] = False
                break
            s = (s + 1) & mask
    k = 0
    for d in range(n_det):
        if keep[d]:
            i = det[d]
            out_f[0, k] = vis_f[0, i]
            out_f[1, k] = vis_f[4, i]
            out_f[2, k] = az[d]
            out_f[3, k] = el[d]
            out_f[4, k] = vis_f[5, i]
            out_i[0, k] = vis_i[0, i]
            out_i[1, k] = vis_i[1, i]
            k += 1
    return k


@njit(cache=True, fastmath=False, nogil=True)
def stable_argsort(a):
    """``np.argsort(a, kind="stable")`` of a float64 array: a bottom-up merge sort of the
    indices (equal keys keep their order, NaN last). Any stable sort gives that one order;
    this one compiles in a fraction of the time numba's own merge sort takes."""
    n = a.shape[0]
    idx = np.arange(n)
    tmp = np.empty(n, dtype=np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i = lo
            j = mid
            for k in range(lo, hi):
                if i < mid and j < hi:
                    x = a[idx[i]]
                    y = a[idx[j]]
                    right = y < x or (x != x and y == y)  # strictly before: stable
                else:
                    right = i >= mid
                if right:
                    tmp[k] = idx[j]
                    j += 1
                else:
                    tmp[k] = idx[i]
                    i += 1
        idx, tmp = tmp, idx
        width *= 2
    return idx


@njit(cache=True, fastmath=False, nogil=True)
def _sort_time_id(t, tid):
    """Stable order of (t, tid) ascending: bucket sort on t, insertion sort in buckets."""
    m = t.shape[0]
    order = np.empty(m, dtype=np.int64)
    if m == 0:
        return order
    t_min = t[0]
    t_max = t[0]
    for i in range(m):
        t_min = min(t_min, t[i])
        t_max = max(t_max, t[i])
    scale = (m - 1) / (t_max - t_min) if t_max > t_min else 0.0
    bucket = np.empty(m, dtype=np.int64)
    first = np.zeros(m + 1, dtype=np.int64)
    for i in range(m):
        b = min(int((t[i] - t_min) * scale), m - 1)
        bucket[i] = b
        first[b + 1] += 1
    for b in range(m):
        first[b + 1] += first[b]
    fill = first[:m].copy()
    for i in range(m):
        b = bucket[i]
        order[fill[b]] = i
        fill[b] += 1
    for b in range(m):
        a0 = first[b]
        a1 = first[b + 1]
        if a1 - a0 > 32:
            # crowded bucket: stable merge sort on t first (ties keep input order)
            seg = order[a0:a1].copy()
            o = stable_argsort(t[seg])
            for q in range(a1 - a0):
                order[a0 + q] = seg[o[q]]
        # insertion sort on (t, tid): ties in t ordered by tid, equal pairs stay in order
        for q in range(a0 + 1, a1):
            x = order[q]
            p = q - 1
            while p >= a0 and (
                t[order[p]] > t[x] or (t[order[p]] == t[x] and tid[order[p]] > tid[x])
            ):
                order[p + 1] = order[p]
                p -= 1
            order[p + 1] = x
    return order


@njit(cache=True, fastmath=False, nogil=True)
def _maximum(a, b):
    """np.maximum for two floats (NaN propagates)."""
    return a if a >= b or a != a else b


@njit(cache=True, fastmath=False, nogil=True)
def false_alarm_cells(u, x, t0, t1, prm, fa_f, fa_i):
    """Time, cell, sweep and measurement sigmas of F false alarms from their draws.

    ``u`` (4, F) uniforms: time in [t0, t1), azimuth within the beam the sweep is at, range
    and elevation uniform over the instrumented cells; ``x`` (F,) the threshold crossing
    Q(N, x) = Pfa U of each. Writes ``fa_f`` rows C_T .. C_SIGMA_EL and, in row C_SNR, the
    linear single-pulse SNR x / N - 1 (floored at 1e-3); ``fa_i`` rows I_SENSOR (left),
    I_SCAN, I_TRUTH (-1). Each value is the same float operations, in the same order, as
    the numpy formulas (``Radar.beam_azimuth_rad``, ``noise``): bit for bit equal.
    """
    period = prm[P_PERIOD]
    f0 = prm[P_F0]
    w = prm[P_W]
    sweep_start = prm[P_SWEEP_START]
    half_beam = 0.5 * prm[P_AZ_BW]
    min_r = prm[P_MIN_R]
    span_r = prm[P_MAX_R] - min_r
    min_el = prm[P_MIN_EL]
    span_el = prm[P_MAX_EL] - min_el
    n_p = prm[P_PULSES]
    res2 = prm[P_RANGE_RES] * prm[P_RANGE_RES]
    floor_r2 = prm[P_RANGE_FLOOR] * prm[P_RANGE_FLOOR]
    floor_a2 = prm[P_ANGLE_FLOOR] * prm[P_ANGLE_FLOOR]
    b_az = prm[P_AZ_BW] / prm[P_MONOPULSE]
    b_el = prm[P_EL_BW] / prm[P_MONOPULSE]
    span_t = t1 - t0
    for f in range(x.shape[0]):
        t = t0 + span_t * u[0, f]
        beam = (sweep_start + w * ((t / period + f0) % 1.0)) % TWO_PI
        snr_lin = _maximum(x[f] / n_p - 1.0, 1e-3)
        s = _maximum(n_p * snr_lin, 1e-12)
        fa_f[C_T, f] = t
        fa_f[C_RANGE, f] = min_r + span_r * u[2, f]
        fa_f[C_AZ, f] = (beam + half_beam * (2.0 * u[1, f] - 1.0)) % TWO_PI
        fa_f[C_EL, f] = min_el + span_el * u[3, f]
        fa_f[C_SIGMA_R, f] = math.sqrt(res2 / (2.0 * s) + floor_r2)
        fa_f[C_SIGMA_AZ, f] = math.sqrt(b_az * b_az / (2.0 * s) + floor_a2)
        fa_f[C_SIGMA_EL, f] = math.sqrt(b_el * b_el / (2.0 * s) + floor_a2)
        fa_f[C_SNR, f] = snr_lin
        fa_i[I_SCAN, f] = math.floor(t / period + f0)
        fa_i[I_TRUTH, f] = -1


# rows of the false alarms' numpy-evaluated functions (see false_alarm_local)
F_LOG10_SNR, F_SIN_AZ, F_COS_AZ, F_COS_EL, F_SIN_EL = range(5)
N_FUNCS = 5


@njit(cache=True, fastmath=False, nogil=True)
def false_alarm_local(fa_f, funcs, loc):
    """Measured point of each false alarm in the radar's local ENU frame, ``loc`` (F, 3),
    and its SNR in dB (row C_SNR, in place), from ``funcs`` (5, F): log10 of the linear
    SNR, sin / cos of azimuth, cos / sin of elevation, evaluated by numpy (its vectorised
    transcendental functions may round differently from the scalar ones here).
    """
    for f in range(fa_f.shape[1]):
        r = fa_f[C_RANGE, f]
        rce = r * funcs[F_COS_EL, f]
        loc[f, 0] = funcs[F_SIN_AZ, f] * rce
        loc[f, 1] = funcs[F_COS_AZ, f] * rce
        loc[f, 2] = r * funcs[F_SIN_EL, f]
        fa_f[C_SNR, f] = 10.0 * funcs[F_LOG10_SNR, f]


@njit(cache=True, fastmath=False, nogil=True)
def plot_kernel(pl_f, pl_i, k, z, prm, rot, site, sensor_id, fa_f, fa_i, fa_offset, out_f, out_i):
    """Measurement noise and plot columns of the merged target plots, false alarms merged in.

    ``pl_f`` (5, >= K) t, range, azimuth, elevation, SNR; ``pl_i`` (2, >= K) sweep, truth id
    (the first K = ``k`` columns); ``z`` (3, K) standard normals (range, azimuth, elevation)
    in plot order. False alarms, in draw order: ``fa_f`` (11, F) rows C_T .. C_SNR,
    ``fa_i`` (3, F) rows I_SCAN, I_TRUTH, ``fa_offset`` (F, 3) their measured point less
    the site, in scenario axes (``local @ rot``, by numpy). Output plot columns
    ``out_f`` (11, K + F), rows C_*, and ``out_i`` (3, K + F) sensor, sweep, truth id,
    sorted by (t, truth id); false alarms in time order (stable), before targets of the
    same time.
    """
    n_fa = fa_f.shape[1]
    n_pulses = prm[P_PULSES]
    res = prm[P_RANGE_RES]
    floor_r = prm[P_RANGE_FLOOR]
    floor_a = prm[P_ANGLE_FLOOR]
    b_az = prm[P_AZ_BW] / prm[P_MONOPULSE]
    b_el = prm[P_EL_BW] / prm[P_MONOPULSE]
    tid = pl_i[1, :k]
    order = _sort_time_id(pl_f[0, :k], tid)
    fa_order = stable_argsort(fa_f[C_T])
    # final row of each target plot: its rank plus the false alarms at or before its time
    dest = np.empty(k, dtype=np.int64)
    f = 0
    for q in range(k):
        i = order[q]
        while f < n_fa and fa_f[C_T, fa_order[f]] <= pl_f[0, i]:
            f += 1
        dest[i] = q + f
    # false alarms: rank plus the targets strictly before them
    q = 0
    for f in range(n_fa):
        a = fa_order[f]
        while q < k and pl_f[0, order[q]] < fa_f[C_T, a]:
            q += 1
        row = q + f
        for c in range(C_X):
            out_f[c, row] = fa_f[c, a]
        out_f[C_X, row] = fa_offset[a, 0] + site[0]
        out_f[C_Y, row] = fa_offset[a, 1] + site[1]
        out_f[C_Z, row] = fa_offset[a, 2] + site[2]
        out_i[I_SENSOR, row] = sensor_id
        out_i[I_SCAN, row] = fa_i[I_SCAN, a]
        out_i[I_TRUTH, row] = fa_i[I_TRUTH, a]
    for i in range(k):
        row = dest[i]
        snr_db = pl_f[4, i]
        snr_int = max(math.pow(10.0, snr_db * 0.1) * n_pulses, 1e-12)
        sr = math.sqrt(res * res / (2.0 * snr_int) + floor_r * floor_r)
        sa = math.sqrt(b_az * b_az / (2.0 * snr_int) + floor_a * floor_a)
        se = math.sqrt(b_el * b_el / (2.0 * snr_int) + floor_a * floor_a)
        rm = abs(z[0, i] * sr + pl_f[1, i])
        am = _mod_2pi(z[1, i] * sa + pl_f[2, i])
        em = min(max(z[2, i] * se + pl_f[3, i], -0.5 * math.pi), 0.5 * math.pi)
        rce = rm * math.cos(em)
        l0 = math.sin(am) * rce
        l1 = math.cos(am) * rce
        l2 = rm * math.sin(em)
        out_f[C_T, row] = pl_f[0, i]
        out_f[C_RANGE, row] = rm
        out_f[C_AZ, row] = am
        out_f[C_EL, row] = em
        out_f[C_SIGMA_R, row] = sr
        out_f[C_SIGMA_AZ, row] = sa
        out_f[C_SIGMA_EL, row] = se
        out_f[C_SNR, row] = snr_db
        out_f[C_X, row] = (l0 * rot[0, 0] + l1 * rot[1, 0] + l2 * rot[2, 0]) + site[0]
        out_f[C_Y, row] = (l0 * rot[0, 1] + l1 * rot[1, 1] + l2 * rot[2, 1]) + site[1]
        out_f[C_Z, row] = (l0 * rot[0, 2] + l1 * rot[1, 2] + l2 * rot[2, 2]) + site[2]
        out_i[I_SENSOR, row] = sensor_id
        out_i[I_SCAN, row] = pl_i[0, i]
        out_i[I_TRUTH, row] = tid[i]


@njit(cache=True, fastmath=False, nogil=True)
def in_plot_order(t, sensor_id, truth_id, range_m):
    """True if the rows already are in Plots' canonical order (t, sensor, truth id, range
    ascending; equal rows in any order): what a stable lexsort would leave in place. Any
    NaN time or range answers False (the caller sorts)."""
    for i in range(1, t.shape[0]):
        a = t[i - 1]
        b = t[i]
        if not a <= b:
            return False
        if a < b:
            continue
        if sensor_id[i - 1] != sensor_id[i]:
            if sensor_id[i - 1] > sensor_id[i]:
                return False
            continue
        if truth_id[i - 1] != truth_id[i]:
            if truth_id[i - 1] > truth_id[i]:
                return False
            continue
        if not range_m[i - 1] <= range_m[i]:
            return False
    return True
