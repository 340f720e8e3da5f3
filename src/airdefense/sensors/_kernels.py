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

No random numbers are drawn here: the caller draws them with the numpy Generator, in a
fixed order, and passes them in, so a seed gives bit-for-bit the same plots.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TWO_PI = 2.0 * math.pi

# geometry parameter vector of the look kernel (indices)
G_PERIOD, G_F0, G_W, G_SWEEP_START, G_TG0, G_DT = 0, 1, 2, 3, 4, 5
G_MIN_R, G_MAX_R, G_SIN_MIN_EL, G_SIN_MAX_EL = 6, 7, 8, 9
G_H_ANT, G_EARTH_R, G_K_EARTH, G_BORESIGHT, G_T0, G_T1 = 10, 11, 12, 13, 14, 15
N_GEOM = 16

# plot parameter vector of the plot kernels (indices)
P_SWEEP_START, P_AZ_BW, P_EL_BW, P_MIN_EL, P_RANGE_RES = 0, 1, 2, 3, 4
P_PULSES, P_RANGE_FLOOR, P_ANGLE_FLOOR, P_MONOPULSE = 5, 6, 7, 8
N_PLOT = 9

#: Looks per block of the look kernel (gathered together, then computed).
LOOK_BLOCK = 256


@njit(cache=True, fastmath=False, nogil=True)
def _mod_2pi(x):
    """x % 2 pi with numpy's float semantics (fmod, then + 2 pi if negative), fast path."""
    if -TWO_PI < x < TWO_PI:
        if x < 0.0:
            return x + TWO_PI
        return x + 0.0
    return x % TWO_PI


@njit(cache=True, fastmath=False, nogil=True)
def _interp_table(x, xp, fp):
    """np.interp(x, xp, fp) for one x (same bracketing and formula as numpy's)."""
    n = xp.shape[0]
    if x != x:
        return x
    if x < xp[0]:
        return fp[0]
    if x > xp[n - 1]:
        return fp[n - 1]
    if x == xp[n - 1]:
        return fp[n - 1]
    # uniform grid guess, then exact bracketing xp[j] <= x < xp[j + 1]
    j = int((x - xp[0]) / (xp[1] - xp[0]))
    if j < 0:
        j = 0
    if j > n - 2:
        j = n - 2
    while j > 0 and xp[j] > x:
        j -= 1
    while j < n - 2 and xp[j + 1] <= x:
        j += 1
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    res = slope * (x - xp[j]) + fp[j]
    if res != res:
        res = slope * (x - xp[j + 1]) + fp[j + 1]
        if res != res and fp[j] == fp[j + 1]:
            res = fp[j]
    return res


@njit(cache=True, fastmath=False, nogil=True)
def look_kernel(
    pos,
    vel,
    height,
    ids,
    lo,
    hi,
    k_lo,
    k_hi,
    start,
    end,
    snr0,
    table_of,
    snr_grid,
    pd_grid,
    rot,
    site,
    geom,
    rotating,
    n_first,
    n_last,
    out_f,
    out_i,
):
    """Evaluate every (sweep, object) look of a window; write out the visible ones.

    Looks are taken sweep-major, objects in ``ids`` order within a sweep (so the truth
    gathers read memory nearly in order). Returns (looks evaluated, visible looks).
    ``out_f`` (7, M): t, e, n, u (local ENU), slant range, single-pulse SNR (dB), Pd;
    ``out_i`` (2, M): sweep number, object index. M must bound the number of looks.
    """
    n_t = pos.shape[0]
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
    t0 = geom[G_T0]
    t1 = geom[G_T1]
    ra_g = earth_r + h_ant
    ra_e = re + h_ant
    re2 = re * re
    half_w = 0.5 * w
    p_over_w = period / w
    s0, s1, s2 = site[0], site[1], site[2]
    r00, r01, r02 = rot[0, 0], rot[0, 1], rot[0, 2]
    r10, r11, r12 = rot[1, 0], rot[1, 1], rot[1, 2]
    r20, r21, r22 = rot[2, 0], rot[2, 1], rot[2, 2]
    n_obj = ids.shape[0]
    n_looks = 0
    n_vis = 0
    # looks are handled in blocks: crossing times first, then one tight loop gathering the
    # truth samples of the whole block (many cache misses in flight at once), then the
    # arithmetic on the gathered block
    blk_j = np.empty(LOOK_BLOCK, dtype=np.int64)
    blk_t = np.empty(LOOK_BLOCK)
    blk_s = np.empty(LOOK_BLOCK)
    blk_k = np.empty(LOOK_BLOCK, dtype=np.int64)
    blk_g = np.empty((LOOK_BLOCK, 14))
    for n in range(n_first, n_last + 1):
        t_ref = (n - f0) * period
        kr = int(np.rint((t_ref - tg0) / dt))
        j_next = 0
        while j_next < n_obj:
            m = 0
            while j_next < n_obj and m < LOOK_BLOCK:
                j = j_next
                j_next += 1
                if lo[j] > n or n > hi[j]:
                    continue
                obj = ids[j]
                # reference state: grid point nearest the sweep start (window independent)
                k = kr
                if k < k_lo[j]:
                    k = k_lo[j]
                if k > k_hi[j]:
                    k = k_hi[j]
                px = pos[k, obj, 0] - s0
                py = pos[k, obj, 1] - s1
                pz = pos[k, obj, 2] - s2
                vx = vel[k, obj, 0]
                vy = vel[k, obj, 1]
                vz = vel[k, obj, 2]
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
                if not (t_look >= start[j] and t_look <= end[j]):
                    continue
                # grid interval of the look (Truth.state_at: times clamped to the grid)
                u = (t_look - tg0) * inv_dt
                u = min(max(u, 0.0), float(last))
                k0 = int(u)
                if k0 > k_top:
                    k0 = k_top
                blk_j[m] = j
                blk_t[m] = t_look
                blk_s[m] = u - k0
                blk_k[m] = k0
                m += 1
            n_looks += m
            for c in range(m):
                obj = ids[blk_j[c]]
                k0 = blk_k[c]
                k1 = min(k0 + 1, last)
                g = blk_g[c]
                g[0] = pos[k0, obj, 0]
                g[1] = pos[k0, obj, 1]
                g[2] = pos[k0, obj, 2]
                g[3] = pos[k1, obj, 0]
                g[4] = pos[k1, obj, 1]
                g[5] = pos[k1, obj, 2]
                g[6] = vel[k0, obj, 0]
                g[7] = vel[k0, obj, 1]
                g[8] = vel[k0, obj, 2]
                g[9] = vel[k1, obj, 0]
                g[10] = vel[k1, obj, 1]
                g[11] = vel[k1, obj, 2]
                g[12] = height[k0, obj]
                g[13] = height[k1, obj]
            for c in range(m):
                j = blk_j[c]
                g = blk_g[c]
                sv = blk_s[c]
                t_look = blk_t[c]
                # state at the look: cubic Hermite (Truth.state_at), height linear
                p0x = g[0]
                p0y = g[1]
                p0z = g[2]
                dpx = g[3] - p0x
                dpy = g[4] - p0y
                dpz = g[5] - p0z
                ax = g[6] * dt
                ay = g[7] * dt
                az = g[8] * dt
                bx = g[9] * dt
                by = g[10] * dt
                bz = g[11] * dt
                qx = ((((ax + bx) - 2.0 * dpx) * sv + ((3.0 * dpx - 2.0 * ax) - bx)) * sv + ax) * sv
                qy = ((((ay + by) - 2.0 * dpy) * sv + ((3.0 * dpy - 2.0 * ay) - by)) * sv + ay) * sv
                qz = ((((az + bz) - 2.0 * dpz) * sv + ((3.0 * dpz - 2.0 * az) - bz)) * sv + az) * sv
                qx = (qx + p0x) - s0
                qy = (qy + p0y) - s1
                qz = (qz + p0z) - s2
                h0 = g[12]
                h_t = (g[13] - h0) * sv + h0
                # local geometry
                e = qx * r00 + qy * r01 + qz * r02
                nn = qx * r10 + qy * r11 + qz * r12
                up = qx * r20 + qy * r21 + qz * r22
                r2 = e * e + nn * nn + up * up
                r = math.sqrt(r2)
                # cheap culls first: instrumented range, elevation limits (on sin el)
                if not (r >= min_r and r <= max_r):
                    continue
                sin_el = up / max(r, 1e-9)
                if not (sin_el >= sin_min_el and sin_el <= sin_max_el):
                    continue
                # line of sight over the 4/3 Earth (geo.line_of_sight), great-circle ground range
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
                if not (cx * cx + cy * cy >= re2 and ra_e >= re and rb_e >= re):
                    continue
                if not rotating:
                    off = _mod_2pi(math.atan2(e, nn) - boresight + math.pi) - math.pi
                    if not (abs(off) <= half_w):
                        continue
                snr_db = snr0[j] - 20.0 * math.log10(r2)
                out_f[0, n_vis] = t_look
                out_f[1, n_vis] = e
                out_f[2, n_vis] = nn
                out_f[3, n_vis] = up
                out_f[4, n_vis] = r
                out_f[5, n_vis] = snr_db
                out_f[6, n_vis] = _interp_table(snr_db, snr_grid, pd_grid[table_of[j]])
                out_i[0, n_vis] = n
                out_i[1, n_vis] = ids[j]
                n_vis += 1
    return n_looks, n_vis


@njit(cache=True, fastmath=False, nogil=True)
def merge_kernel(vis_f, vis_i, n_vis, draws, prm, cells, out_f, out_i):
    """Detections (draw < Pd) merged by resolution cell; returns the number of plots.

    Detections sharing (sweep, range bin, azimuth beam, elevation beam) give one plot: the
    strongest (ties: lowest truth id); the others are masked. Plots are written in look
    order: ``out_f`` (5, K) t, range, azimuth, elevation, SNR (dB); ``out_i`` (2, K) sweep,
    truth id. ``cells`` = (range cells, azimuth cells, elevation cells) for the cell key.
    """
    sweep_start = prm[P_SWEEP_START]
    inv_az = 1.0 / prm[P_AZ_BW]
    inv_el = 1.0 / prm[P_EL_BW]
    min_el = prm[P_MIN_EL]
    inv_res = 1.0 / prm[P_RANGE_RES]
    det = np.empty(n_vis, dtype=np.int64)
    n_det = 0
    scan_min = 0
    for i in range(n_vis):
        if draws[i] < vis_f[6, i]:
            if n_det == 0 or vis_i[0, i] < scan_min:
                scan_min = vis_i[0, i]
            det[n_det] = i
            n_det += 1
    key = np.empty(n_det, dtype=np.int64)
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
        kk = vis_i[0, i] - scan_min
        kk *= cells[0] + 2
        kk += int(r * inv_res)
        kk *= cells[1] + 1
        kk += int(_mod_2pi(a - sweep_start) * inv_az)
        kk *= cells[2] + 2
        kk += int((e - min_el) * inv_el) + 1
        key[d] = kk
    # open-addressing hash of the cell keys: one pass, the best detection of each cell
    size = 16
    while size < 2 * n_det:
        size *= 2
    mask = size - 1
    slot_key = np.empty(size, dtype=np.int64)
    slot_det = np.full(size, -1, dtype=np.int64)
    keep = np.ones(n_det, dtype=np.bool_)
    for d in range(n_det):
        kk = key[d]
        h = (np.uint64(kk) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
        s = np.int64(h) & mask
        while True:
            b = slot_det[s]
            if b < 0:
                slot_key[s] = kk
                slot_det[s] = d
                break
            if slot_key[s] == kk:
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
            o = np.argsort(t[seg], kind="mergesort")
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
def plot_kernel(pl_f, pl_i, z, prm, rot, site, fa_f, fa_i, out_f, out_i):
    """Measurement noise and plot columns of the merged target plots, false alarms merged in.

    ``pl_f`` (5, K) t, range, azimuth, elevation, SNR; ``pl_i`` (2, K) sweep, truth id;
    ``z`` (3, K) standard normals (range, azimuth, elevation) in plot order. ``fa_f``
    (11, F) / ``fa_i`` (2, F): the false-alarm columns, already sorted by time. Output
    columns (11, K + F) t, range, azimuth, elevation, sigma range / azimuth / elevation,
    SNR, x, y, z and (2, K + F) sweep, truth id, sorted by (t, truth id).
    """
    k = pl_f.shape[1]
    n_fa = fa_f.shape[1]
    n_pulses = prm[P_PULSES]
    res = prm[P_RANGE_RES]
    floor_r = prm[P_RANGE_FLOOR]
    floor_a = prm[P_ANGLE_FLOOR]
    b_az = prm[P_AZ_BW] / prm[P_MONOPULSE]
    b_el = prm[P_EL_BW] / prm[P_MONOPULSE]
    tid = pl_i[1]
    order = _sort_time_id(pl_f[0], tid)
    # final row of each target plot: its rank plus the false alarms at or before its time
    dest = np.empty(k, dtype=np.int64)
    f = 0
    for q in range(k):
        i = order[q]
        while f < n_fa and fa_f[0, f] <= pl_f[0, i]:
            f += 1
        dest[i] = q + f
    # false alarms: rank plus the targets strictly before them
    q = 0
    for f in range(n_fa):
        while q < k and pl_f[0, order[q]] < fa_f[0, f]:
            q += 1
        row = q + f
        for c in range(11):
            out_f[c, row] = fa_f[c, f]
        out_i[0, row] = fa_i[0, f]
        out_i[1, row] = fa_i[1, f]
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
        out_f[0, row] = pl_f[0, i]
        out_f[1, row] = rm
        out_f[2, row] = am
        out_f[3, row] = em
        out_f[4, row] = sr
        out_f[5, row] = sa
        out_f[6, row] = se
        out_f[7, row] = snr_db
        out_f[8, row] = (l0 * rot[0, 0] + l1 * rot[1, 0] + l2 * rot[2, 0]) + site[0]
        out_f[9, row] = (l0 * rot[0, 1] + l1 * rot[1, 1] + l2 * rot[2, 1]) + site[1]
        out_f[10, row] = (l0 * rot[0, 2] + l1 * rot[1, 2] + l2 * rot[2, 2]) + site[2]
        out_i[0, row] = pl_i[0, i]
        out_i[1, row] = tid[i]
