"""Compiled (numba) kernels of the interceptor flyout (:mod:`airdefense.engagement.flyout`).

Why a loop and not numpy: one sub-step of one interceptor is a chain of ~150 floating-point
operations (the target's Hermite state, the closest-approach test, the guidance law, the
lateral limit, two evaluations of thrust, drag and gravity, the ground test) that must run
in time order, and the simulation loop advances a few dozen interceptors 20 sub-steps per
second of flight. In numpy each link would be a call on (K,)-arrays with K ~ 30, where the
~1 us call overhead is the whole cost (~100 calls per sub-step: ~2 ms per simulated second,
1.8 s for a 900 s scenario). Compiled, a sub-step of one interceptor costs ~0.3 us (~6 us
per interceptor-second of flight at the default 0.05 s step), plus ~25 us per call. The
kill decisions are resolved in time order within each sub-step across all interceptors, so
that a kill by one interceptor ends the flights of the others on the same target
(``target_gone``) exactly as the simulation loop would.

Equations (every function names its source):

- thrust ``T = Isp g0 mdot`` with a constant mass flow per motor phase (Sutton and Biblarz,
  *Rocket Propulsion Elements*, 9th ed. (2017), ch. 2-3: ``F = mdot v2``, ``Is = v2 / g0``);
  it lies along the velocity (point mass, no angle of attack);
- drag ``D = 1/2 rho V^2 S C_D`` (Zarchan, *Tactical and Strategic Missile Guidance*, 6th ed.
  (2012), ch. 19 form for a point mass; rho from the US Standard Atmosphere 1976);
- point-mass gravity ``-mu r / |r|^3`` (WGS-84 GM, NIMA TR8350.2 Table 3.1);
- true proportional navigation ``a_c = N' V_c dlambda/dt`` normal to the line of sight
  (Zarchan, ch. 2), in vector form ``a_c = N' V_c (v_r - u (u . v_r)) / |r|`` (the
  line-of-sight rate ``Omega = r x v_r / |r|^2`` gives ``Omega x u = v_perp / |r|``);
- the lateral limit ``a_max = q S C_N,max / m`` (normal-force limited manoeuvre, Fleeman,
  *Tactical Missile Design*, 2nd ed. (2006), ch. 2: ``n = C_N q S_ref / W``),
  capped by the structural ``max_lateral_g``; reaction jets add a density-free floor in the
  terminal phase;
- the closest approach between sub-steps: relative motion straight over a sub-step,
  ``min_t |r + v t|`` at ``t* = -r.v / |v|^2`` (the closest point of approach of two
  straight paths: the minimum of a quadratic in t).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from airdefense._jit import interp1
from airdefense.geo import WGS84_A, WGS84_B
from airdefense.world._ballistic_kernels import MU_EARTH

#: Standard gravity g0 (m/s^2): the unit of Isp (s) and of the g limits (NOAA-S/T 76-1562).
G0 = 9.80665

_AB = WGS84_A * WGS84_B
_A2 = WGS84_A**2
_B2 = WGS84_B**2

# Column layout of the per-type parameter table ``par`` (n_types, N_PAR).
M0 = 0  # launch mass, kg
MDOT_B = 1  # boost mass flow, kg/s
T_B = 2  # boost time, s
MDOT_S = 3  # sustain mass flow, kg/s
T_S = 4  # sustain time, s
THRUST_B = 5  # boost thrust, N
THRUST_S = 6  # sustain thrust, N
S_CD = 7  # reference area x drag coefficient, m^2
S_CN = 8  # reference area x max normal-force coefficient, m^2
A_MAX = 9  # structural lateral limit, m/s^2
A_RCS = 10  # reaction-jet lateral acceleration (terminal phase), m/s^2
NAV = 11  # PN navigation constant N'
SEEK = 12  # seeker acquisition range, m
T_MAX = 13  # maximum flight time, s
LETHAL = 14  # lethal radius, m
M_B = 15  # mass at the end of the boost, kg
V_AVG = 16  # average speed over the maximum range (max range / max flight time), m/s
N_PAR = 17

# Outcome codes (index into flyout.OUTCOMES).
FLYING = 0
KILL = 1
MISS = 2
TIMEOUT = 3
GROUND = 4
TARGET_GONE = 5


@njit(cache=True, fastmath=False, nogil=True)
def mass_thrust(tau, par, k):
    """Mass (kg) and thrust (N) of type k at tau s after launch: constant mass flow in each
    motor phase (boost, then sustain), thrust = Isp g0 mdot (precomputed per phase)."""
    tb = par[k, T_B]
    if tau < tb:
        return par[k, M0] - par[k, MDOT_B] * tau, par[k, THRUST_B]
    ts = par[k, T_S]
    if tau < tb + ts:
        return par[k, M_B] - par[k, MDOT_S] * (tau - tb), par[k, THRUST_S]
    return par[k, M_B] - par[k, MDOT_S] * ts, 0.0


@njit(cache=True, fastmath=False, nogil=True)
def density(h, tab_h, tab_log_rho):
    """US-1976 density (kg/m^3) from the 10 m log-density table (as the ballistic kernel)."""
    return math.exp(interp1(h, tab_h, tab_log_rho))


@njit(cache=True, fastmath=False, nogil=True)
def lateral_limit(rho, speed, mass, terminal, par, k):
    """Largest lateral acceleration (m/s^2): q S C_N,max / m (Fleeman 2006, n = C_N q S / W),
    at least the reaction-jet acceleration in the terminal phase, at most the structural
    max_lateral_g."""
    a = 0.5 * rho * speed * speed * par[k, S_CN] / mass
    if terminal and par[k, A_RCS] > a:
        a = par[k, A_RCS]
    if a > par[k, A_MAX]:
        a = par[k, A_MAX]
    return a


@njit(cache=True, fastmath=False, nogil=True)
def pn_command(rx, ry, rz, wx, wy, wz, nav):
    """True proportional navigation (Zarchan 2012, ch. 2: n_c = N' V_c dlambda/dt, normal
    to the line of sight) for r = target - missile and w = v_target - v_missile:
    a = N' V_c (w - u (u . w)) / |r|, with V_c = -u . w clipped at 0 (no command while the
    range opens)."""
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    if rn <= 0.0:
        return 0.0, 0.0, 0.0
    ux = rx / rn
    uy = ry / rn
    uz = rz / rn
    uw = ux * wx + uy * wy + uz * wz
    vc = -uw
    if vc < 0.0:
        vc = 0.0
    f = nav * vc / rn
    return f * (wx - ux * uw), f * (wy - uy * uw), f * (wz - uz * uw)


@njit(cache=True, fastmath=False, nogil=True)
def closest_approach(rx, ry, rz, wx, wy, wz, h):
    """Closest point of approach within a step of length h for relative position r and
    relative velocity w held over the step: t* = -r.w / |w|^2; returns (t*, miss) with
    t* = -1 when the minimum is not inside [0, h) (opening, or closing beyond the step)."""
    rw = rx * wx + ry * wy + rz * wz
    ww = wx * wx + wy * wy + wz * wz
    if rw >= 0.0 or ww <= 0.0:
        return -1.0, math.sqrt(rx * rx + ry * ry + rz * rz)
    ts = -rw / ww
    if ts >= h:
        return -1.0, math.sqrt(rx * rx + ry * ry + rz * rz)
    mx = rx + wx * ts
    my = ry + wy * ts
    mz = rz + wz * ts
    return ts, math.sqrt(mx * mx + my * my + mz * mz)


@njit(cache=True, fastmath=False, nogil=True)
def loft_aim(px, py, pz, tx, ty, tz, tvx, tvy, tvz, loft, seek, v_avg, c):
    """Midcourse aim: the target raised along the local vertical by ``loft`` x the horizontal
    distance the interceptor has still to fly, faded out between two seeker ranges and one
    (trajectory shaping by an altitude-biased aim point, an assumption of this model).

    The distance to fly is the horizontal range to the target scaled by
    ``v_avg / (v_avg + closing speed of the target)`` (``v_avg``: the type's average speed
    over its maximum range): the horizontal range to the collision point, so that a shot at
    an approaching target lofts as a shot at its intercept point would (the flyout tables
    are flown at fixed points, where the factor is 1). The raise is re-evaluated every step
    but given no velocity: PN steers at the raised point as if it stayed put, so the
    interceptor climbs first and is drawn down as the range closes (with the raise's rate,
    PN would lead it straight onto the collision course and not loft at all)."""
    ex = px - c[0]
    ey = py - c[1]
    ez = pz - c[2]
    en = math.sqrt(ex * ex + ey * ey + ez * ez)
    ex /= en
    ey /= en
    ez /= en
    dx = tx - px
    dy = ty - py
    dz = tz - pz
    slant = math.sqrt(dx * dx + dy * dy + dz * dz)
    fade = (slant - seek) / seek
    if loft <= 0.0 or fade <= 0.0:
        return tx, ty, tz
    if fade > 1.0:
        fade = 1.0
    du = dx * ex + dy * ey + dz * ez
    hx = dx - du * ex
    hy = dy - du * ey
    hz = dz - du * ez
    rh = math.sqrt(hx * hx + hy * hy + hz * hz)
    scale = 1.0
    if rh > 0.0:
        closing = -(hx * tvx + hy * tvy + hz * tvz) / rh  # target's speed toward the missile
        den = v_avg + closing
        if den < 0.5 * v_avg:
            den = 0.5 * v_avg
        scale = v_avg / den
    b = loft * fade * rh * scale
    return tx + b * ex, ty + b * ey, tz + b * ez


@njit(cache=True, fastmath=False, nogil=True)
def environment(px, py, pz, c, z_axis, tab_h, tab_log_rho):
    """Gravity (-mu r / |r|^3), height above the ellipsoid (geocentric-latitude radius, as
    :func:`airdefense.world._ballistic_kernels.height`) and air density at p."""
    rx = px - c[0]
    ry = py - c[1]
    rz = pz - c[2]
    rn = math.sqrt(rx * rx + ry * ry + rz * rz)
    f = -MU_EARTH / (rn * rn * rn)
    sphi = (rx * z_axis[0] + ry * z_axis[1] + rz * z_axis[2]) / rn
    re = _AB / math.sqrt(_B2 * (1.0 - sphi * sphi) + _A2 * sphi * sphi)
    h = rn - re
    return f * rx, f * ry, f * rz, h, density(h, tab_h, tab_log_rho)


@njit(cache=True, fastmath=False, nogil=True)
def command(vx, vy, vz, speed, lx, ly, lz, gx, gy, gz, amax):
    """The guidance law's acceleration l with the normal component of gravity cancelled
    (gravity compensation, an assumption of the model), made normal to the velocity and
    limited to amax."""
    if speed <= 0.0:
        return 0.0, 0.0, 0.0
    lx -= gx
    ly -= gy
    lz -= gz
    ex = vx / speed
    ey = vy / speed
    ez = vz / speed
    along = lx * ex + ly * ey + lz * ez
    lx -= along * ex
    ly -= along * ey
    lz -= along * ez
    mag = math.sqrt(lx * lx + ly * ly + lz * lz)
    if mag > amax:
        s = amax / mag
        lx *= s
        ly *= s
        lz *= s
    return lx, ly, lz


@njit(cache=True, fastmath=False, nogil=True)
def step(
    px,
    py,
    pz,
    vx,
    vy,
    vz,
    tau,
    h,
    ax,
    ay,
    az,
    avx,
    avy,
    avz,
    terminal,
    par,
    k,
    c,
    z_axis,
    tab_h,
    tab_log_rho,
):
    """Guide and fly one step of length h toward the aim (a, av): the PN command (plus
    gravity compensation, limited by :func:`lateral_limit`) is computed at the step's start
    and held over it (a zero-order hold, as a guidance computer updating at the step rate);
    thrust, drag and gravity are integrated by the explicit midpoint rule (RK2; Hairer,
    Norsett, Wanner, *Solving ODEs I*, Table 1.1). Returns the new (p, v) and the height
    at the step's start."""
    gx, gy, gz, h0, rho = environment(px, py, pz, c, z_axis, tab_h, tab_log_rho)
    m, thrust = mass_thrust(tau, par, k)
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    nx, ny, nz = pn_command(ax - px, ay - py, az - pz, avx - vx, avy - vy, avz - vz, par[k, NAV])
    amax = lateral_limit(rho, speed, m, terminal, par, k)
    lx, ly, lz = command(vx, vy, vz, speed, nx, ny, nz, gx, gy, gz, amax)
    f = 0.0
    if speed > 0.0:
        f = (thrust - 0.5 * rho * speed * speed * par[k, S_CD]) / (m * speed)
    hh = 0.5 * h
    qx = px + hh * vx
    qy = py + hh * vy
    qz = pz + hh * vz
    wx = vx + hh * (gx + f * vx + lx)
    wy = vy + hh * (gy + f * vy + ly)
    wz = vz + hh * (gz + f * vz + lz)
    gx, gy, gz, _, rho = environment(qx, qy, qz, c, z_axis, tab_h, tab_log_rho)
    m, thrust = mass_thrust(tau + hh, par, k)
    speed = math.sqrt(wx * wx + wy * wy + wz * wz)
    f = 0.0
    if speed > 0.0:
        f = (thrust - 0.5 * rho * speed * speed * par[k, S_CD]) / (m * speed)
    return (
        px + h * wx,
        py + h * wy,
        pz + h * wz,
        vx + h * (gx + f * wx + lx),
        vy + h * (gy + f * wy + ly),
        vz + h * (gz + f * wz + lz),
        h0,
    )


@njit(cache=True, fastmath=False, nogil=True)
def truth_state(tr_pos, tr_vel, tr_t0, tr_dt, j, t):
    """Position and velocity of truth object j at time t: the cubic Hermite interpolation of
    :meth:`airdefense.world.truth.Truth.state_at`, formula for formula (clamped to the grid)."""
    last = tr_pos.shape[0] - 1
    u = (t - tr_t0) / tr_dt
    if u < 0.0:
        u = 0.0
    if u > last:
        u = float(last)
    kk = int(u)  # u >= 0: truncation is the floor
    kmax = last - 1 if last > 0 else 0
    if kk > kmax:
        kk = kmax
    s = u - kk
    k1 = kk + 1 if kk + 1 < last else last
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = (s3 - 2 * s2 + s) * tr_dt
    h01 = -2 * s3 + 3 * s2
    h11 = (s3 - s2) * tr_dt
    d00 = (6 * s2 - 6 * s) / tr_dt
    d10 = 3 * s2 - 4 * s + 1
    d01 = (-6 * s2 + 6 * s) / tr_dt
    d11 = 3 * s2 - 2 * s
    a0, a1 = tr_pos[kk, j], tr_pos[k1, j]
    b0, b1 = tr_vel[kk, j], tr_vel[k1, j]
    return (
        h00 * a0[0] + h10 * b0[0] + h01 * a1[0] + h11 * b1[0],
        h00 * a0[1] + h10 * b0[1] + h01 * a1[1] + h11 * b1[1],
        h00 * a0[2] + h10 * b0[2] + h01 * a1[2] + h11 * b1[2],
        d00 * a0[0] + d10 * b0[0] + d01 * a1[0] + d11 * b1[0],
        d00 * a0[1] + d10 * b0[1] + d01 * a1[1] + d11 * b1[1],
        d00 * a0[2] + d10 * b0[2] + d01 * a1[2] + d11 * b1[2],
    )


@njit(cache=True, fastmath=False, nogil=True)
def _sample_path(i, t_launch, ts, tb, px, py, pz, qx, qy, qz, step, ids, t_out, p_out, n_out):
    """Append the samples of interceptor i's path at t_launch + m step in (ts, tb], its
    position going linearly from p (at ts) to q (at tb)."""
    m = math.floor((ts - t_launch) / step) + 1.0
    h = tb - ts
    while True:
        ti = t_launch + m * step
        if ti > tb:
            return
        f = (ti - ts) / h
        k = n_out[0]
        ids[k] = i
        t_out[k] = ti
        p_out[k, 0] = px + f * (qx - px)
        p_out[k, 1] = py + f * (qy - py)
        p_out[k, 2] = pz + f * (qz - pz)
        n_out[0] = k + 1
        m += 1.0


@njit(cache=True, fastmath=False, nogil=True)
def advance_kernel(
    rows,
    pos,
    vel,
    t_cur,
    t_launch,
    mtype,
    target,
    terminal,
    closing,
    cmd_t,
    cmd_pos,
    cmd_vel,
    loft,
    floor,
    par,
    pk,
    draws,
    tr_t0,
    tr_dt,
    tr_pos,
    tr_vel,
    tr_start,
    tr_end,
    dead_t,
    t0,
    t1,
    n_sub,
    c,
    z_axis,
    tab_h,
    tab_log_rho,
    out_code,
    out_t,
    out_miss,
    out_pos,
    out_speed,
    path_step,
    path_id,
    path_t,
    path_pos,
    path_n,
):
    """Advance the interceptors ``rows`` (K,) from t0 to t1 in n_sub equal sub-steps.

    Per sub-step, for every interceptor still flying and launched before the sub-step ends
    (an interceptor launched inside it starts at its launch time): (1) its target's true
    state; a target gone before the window (its trajectory ended and the loop did not
    retarget the interceptor) ends the flight (``target_gone``), one gone inside the window
    (ended, or killed by another interceptor: ``dead_t``) leaves it flying on its last
    command, so that the loop can retarget it after reading the window's kills; (2) the
    closest approach to the true target inside the sub-step, or
    just passed (the range rate turned from closing to opening), is a candidate end; (3) the
    candidates of the sub-step are resolved in time order: a pass within the lethal radius
    kills if the interceptor's draw is below its Pk (and the target's death then ends later
    candidates on it as ``target_gone``), any other pass is a miss; (4) the others are guided
    (terminal PN on the true target inside the seeker range, else PN on the commanded
    estimate with the loft bias) and integrated; below the ellipsoid is ``ground``, past the
    maximum flight time ``timeout``.

    State arrays are indexed by interceptor id and updated in place; outputs (K,) by
    position in ``rows``: code (0 = still flying), time, miss distance, position, speed.

    The flown path is sampled every ``path_step`` seconds of flight (> 0): each sample time
    ``t_launch + m path_step`` inside a sub-step gets the position interpolated linearly
    between the sub-step's ends, appended to ``path_id``, ``path_t`` and ``path_pos`` at
    ``path_n[0]`` (the buffers hold ceil((t1 - t0) / path_step) + 1 samples an interceptor).
    """
    n = rows.shape[0]
    h_grid = (t1 - t0) / n_sub
    c_t = np.empty(n)
    c_miss = np.empty(n)
    c_q = np.empty(n, dtype=np.int64)
    c_p = np.empty((n, 3))
    tgt = np.empty((n, 6))
    alive = np.zeros(n, dtype=np.bool_)
    for s in range(n_sub):
        ta = t0 + s * h_grid
        tb = t1 if s == n_sub - 1 else t0 + (s + 1) * h_grid
        nc = 0
        # (1)-(2): target state, target gone, closest-approach candidates
        for q in range(n):
            if out_code[q] != FLYING:
                continue
            i = rows[q]
            if t_cur[i] >= tb:
                continue
            ts = ta if ta > t_cur[i] else t_cur[i]
            h = tb - ts
            j = target[i]
            px, py, pz = pos[i, 0], pos[i, 1], pos[i, 2]
            vx, vy, vz = vel[i, 0], vel[i, 1], vel[i, 2]
            if j < 0:
                # fired at a false track: nothing to meet, it flies on its commands until
                # its motor and flight time run out (timeout) or it falls (ground)
                alive[q] = False
                continue
            alive[q] = tr_start[j] <= ts and ts <= tr_end[j] and ts < dead_t[j]
            if not alive[q]:
                t_first = t0 if t0 > t_launch[i] else t_launch[i]
                if not (tr_start[j] <= t_first and t_first <= tr_end[j]):
                    # gone before this window (or before the launch): the loop did not
                    # retarget it, so it self-destructs
                    out_code[q] = TARGET_GONE
                    out_t[q] = ts
                    out_miss[q] = np.nan
                    out_pos[q, 0], out_pos[q, 1], out_pos[q, 2] = px, py, pz
                    out_speed[q] = math.sqrt(vx * vx + vy * vy + vz * vz)
                # gone inside this window: it flies on, on its last command, until the
                # loop retargets or destroys it (or the next window ends it)
                continue
            tx, ty, tz, tvx, tvy, tvz = truth_state(tr_pos, tr_vel, tr_t0, tr_dt, j, ts)
            tgt[q, 0], tgt[q, 1], tgt[q, 2] = tx, ty, tz
            tgt[q, 3], tgt[q, 4], tgt[q, 5] = tvx, tvy, tvz
            rx, ry, rz = px - tx, py - ty, pz - tz
            wx, wy, wz = vx - tvx, vy - tvy, vz - tvz
            now_closing = rx * wx + ry * wy + rz * wz < 0.0
            t_ca, miss = closest_approach(rx, ry, rz, wx, wy, wz, h)
            if t_ca >= 0.0 or (closing[i] and not now_closing):
                if t_ca < 0.0:
                    t_ca = 0.0
                c_t[nc] = ts + t_ca
                c_miss[nc] = miss
                c_q[nc] = q
                c_p[nc, 0] = px + vx * t_ca
                c_p[nc, 1] = py + vy * t_ca
                c_p[nc, 2] = pz + vz * t_ca
                nc += 1
            closing[i] = now_closing
        # (3): resolve the sub-step's passes in time order (insertion sort: few at a time)
        for a in range(1, nc):
            b = a
            while b > 0 and c_t[b - 1] > c_t[b]:
                c_t[b - 1], c_t[b] = c_t[b], c_t[b - 1]
                c_miss[b - 1], c_miss[b] = c_miss[b], c_miss[b - 1]
                c_q[b - 1], c_q[b] = c_q[b], c_q[b - 1]
                for d in range(3):
                    c_p[b - 1, d], c_p[b, d] = c_p[b, d], c_p[b - 1, d]
                b -= 1
        for a in range(nc):
            q = c_q[a]
            i = rows[q]
            j = target[i]
            death = tr_end[j] if tr_end[j] < dead_t[j] else dead_t[j]
            if c_t[a] > death:
                out_code[q] = TARGET_GONE
            elif c_miss[a] <= par[mtype[i], LETHAL] and draws[q] < pk[q]:
                out_code[q] = KILL
                dead_t[j] = c_t[a]
            else:
                out_code[q] = MISS
            out_t[q] = c_t[a]
            out_miss[q] = c_miss[a]
            out_pos[q, 0], out_pos[q, 1], out_pos[q, 2] = c_p[a, 0], c_p[a, 1], c_p[a, 2]
            out_speed[q] = math.sqrt(vel[i, 0] ** 2 + vel[i, 1] ** 2 + vel[i, 2] ** 2)
        # (4): guide and integrate the others
        for q in range(n):
            if out_code[q] != FLYING:
                continue
            i = rows[q]
            if t_cur[i] >= tb:
                continue
            ts = ta if ta > t_cur[i] else t_cur[i]
            h = tb - ts
            k = mtype[i]
            tau = ts - t_launch[i]
            px, py, pz = pos[i, 0], pos[i, 1], pos[i, 2]
            vx, vy, vz = vel[i, 0], vel[i, 1], vel[i, 2]
            if not alive[q]:
                terminal[i] = False  # the seeker has nothing left to track
            elif not terminal[i]:
                dx = tgt[q, 0] - px
                dy = tgt[q, 1] - py
                dz = tgt[q, 2] - pz
                if dx * dx + dy * dy + dz * dz <= par[k, SEEK] * par[k, SEEK]:
                    terminal[i] = True
            if terminal[i]:
                ax, ay, az = tgt[q, 0], tgt[q, 1], tgt[q, 2]
                avx, avy, avz = tgt[q, 3], tgt[q, 4], tgt[q, 5]
            else:
                dt_c = ts - cmd_t[i]
                ax, ay, az = loft_aim(
                    px, py, pz,
                    cmd_pos[i, 0] + cmd_vel[i, 0] * dt_c,
                    cmd_pos[i, 1] + cmd_vel[i, 1] * dt_c,
                    cmd_pos[i, 2] + cmd_vel[i, 2] * dt_c,
                    cmd_vel[i, 0], cmd_vel[i, 1], cmd_vel[i, 2],
                    loft[i], par[k, SEEK], par[k, V_AVG], c,
                )  # fmt: skip
                avx, avy, avz = cmd_vel[i, 0], cmd_vel[i, 1], cmd_vel[i, 2]
            qx, qy, qz, wx, wy, wz, h0 = step(
                px,
                py,
                pz,
                vx,
                vy,
                vz,
                tau,
                h,
                ax,
                ay,
                az,
                avx,
                avy,
                avz,
                terminal[i],
                par,
                k,
                c,
                z_axis,
                tab_h,
                tab_log_rho,
            )
            code = FLYING
            if h0 < floor[i]:
                code = GROUND
                t_end = ts
            else:
                _sample_path(
                    i, t_launch[i], ts, tb, px, py, pz, qx, qy, qz,
                    path_step, path_id, path_t, path_pos, path_n,
                )  # fmt: skip
                px, py, pz, vx, vy, vz = qx, qy, qz, wx, wy, wz
                pos[i, 0], pos[i, 1], pos[i, 2] = px, py, pz
                vel[i, 0], vel[i, 1], vel[i, 2] = vx, vy, vz
                t_cur[i] = tb
                t_end = tb
                if tb - t_launch[i] >= par[k, T_MAX]:
                    code = TIMEOUT
            if code != FLYING:
                out_code[q] = code
                out_t[q] = t_end
                out_miss[q] = np.nan
                out_pos[q, 0], out_pos[q, 1], out_pos[q, 2] = px, py, pz
                out_speed[q] = math.sqrt(vx * vx + vy * vy + vz * vz)


@njit(cache=True, fastmath=False, nogil=True)
def fly_to_point(
    px,
    py,
    pz,
    vx,
    vy,
    vz,
    tx,
    ty,
    tz,
    loft,
    k,
    par,
    h,
    t_stop,
    floor,
    c,
    z_axis,
    tab_h,
    tab_log_rho,
):
    """Fly one interceptor of type k from p with velocity v at the fixed point t, guided as
    :func:`advance_kernel` guides (loft bias ``loft``), in steps of h, to its first closest
    approach, the ground (below ``floor``), the maximum flight time or ``t_stop`` (given up:
    TIMEOUT).

    Returns code (MISS for a closest approach), time of flight, miss distance, speed at the
    end, apex height and peak speed."""
    tmax = par[k, T_MAX]
    if t_stop < tmax:
        tmax = t_stop
    seek2 = par[k, SEEK] * par[k, SEEK]
    tau = 0.0
    term = False
    was_closing = False
    top = -np.inf
    fast = vx * vx + vy * vy + vz * vz
    while True:
        rx, ry, rz = px - tx, py - ty, pz - tz
        now_closing = rx * vx + ry * vy + rz * vz < 0.0
        t_ca, miss = closest_approach(rx, ry, rz, vx, vy, vz, h)
        if t_ca >= 0.0 or (was_closing and not now_closing):
            sp = math.sqrt(vx * vx + vy * vy + vz * vz)
            return MISS, tau + max(t_ca, 0.0), miss, sp, top, math.sqrt(fast)
        was_closing = now_closing
        if not term and rx * rx + ry * ry + rz * rz <= seek2:
            term = True
        if term:
            ax, ay, az = tx, ty, tz
        else:
            ax, ay, az = loft_aim(
                px, py, pz, tx, ty, tz, 0.0, 0.0, 0.0, loft, par[k, SEEK], par[k, V_AVG], c
            )
        qx, qy, qz, wx, wy, wz, h0 = step(
            px,
            py,
            pz,
            vx,
            vy,
            vz,
            tau,
            h,
            ax,
            ay,
            az,
            0.0,
            0.0,
            0.0,
            term,
            par,
            k,
            c,
            z_axis,
            tab_h,
            tab_log_rho,
        )
        if h0 > top:
            top = h0
        if h0 < floor:
            return GROUND, tau, np.nan, math.sqrt(vx * vx + vy * vy + vz * vz), top, math.sqrt(fast)
        px, py, pz, vx, vy, vz = qx, qy, qz, wx, wy, wz
        tau += h
        sp2 = vx * vx + vy * vy + vz * vz
        if sp2 > fast:
            fast = sp2
        if tau >= tmax:
            return TIMEOUT, tau, np.nan, math.sqrt(sp2), top, math.sqrt(fast)


@njit(cache=True, fastmath=False, nogil=True, parallel=True)
def table_kernel(p0, v0, aim, loft, k, par, h, min_speed, floor, c, z_axis, tab_h, tab_log_rho):
    """Fly interceptors of type k at fixed points: P points x L loft gains, from p0 with
    velocities v0 (P, L, 3) at aim (P, 3) with gains loft (L,); points in parallel, the
    gains of a point one after the other, each given up once slower than the fastest
    arrival so far (within the lethal radius, at >= min_speed).

    Returns (P, L) arrays: code, time of flight, miss, speed at the end, apex, peak speed."""
    n_p = aim.shape[0]
    n_l = loft.shape[0]
    code = np.zeros((n_p, n_l), dtype=np.int64)
    t_out = np.full((n_p, n_l), np.inf)
    miss = np.full((n_p, n_l), np.nan)
    speed = np.full((n_p, n_l), np.nan)
    apex = np.full((n_p, n_l), np.nan)
    vmax = np.full((n_p, n_l), np.nan)
    lethal = par[k, LETHAL]
    for i in prange(n_p):
        best = np.inf
        for m in range(n_l):
            cd, t, ms, sp, top, fast = fly_to_point(
                p0[i, 0], p0[i, 1], p0[i, 2], v0[i, m, 0], v0[i, m, 1], v0[i, m, 2],
                aim[i, 0], aim[i, 1], aim[i, 2], loft[m], k, par, h, best, floor, c, z_axis,
                tab_h, tab_log_rho,
            )  # fmt: skip
            code[i, m] = cd
            t_out[i, m] = t
            miss[i, m] = ms
            speed[i, m] = sp
            apex[i, m] = top
            vmax[i, m] = fast
            if cd == MISS and ms <= lethal and sp >= min_speed and t < best:
                best = t
    return code, t_out, miss, speed, apex, vmax
