"""Interceptor flyout: motor, drag and lateral limit against closed forms and published
numbers; PN against Zarchan's step-manoeuvre result; closest approach between steps; misses
against straight-flying targets; kills, target_gone, retargeting, timeouts; flyout tables and
predicted intercept points; determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.engagement import _flyout_kernels as K
from airdefense.engagement.flyout import (
    OUTCOMES,
    Flyout,
    _Consts,
    closest_approach,
    flyout_table,
    flyout_time_table,
    intercept_point,
    lateral_limit_mps2,
    parameter_table,
)
from airdefense.geo import Frame
from airdefense.systems import catalog
from airdefense.world.truth import Truth

FRAME = Frame.from_degrees(47.0, 8.0, 0.0)
G0 = 9.80665
S400 = ["40n6-class", "48n6-class", "9m96e2-class", "9m96e-class"]


def _sure(name: str):
    """A preset that kills on every pass within its lethal radius."""
    return catalog.MISSILES[name].model_copy(update={"reliability": 1.0, "warhead_pk": {}})


def _targets(p0, v, t_end=600.0) -> Truth:
    return Truth.straight_lines(FRAME, np.arange(0.0, t_end + 1.0, 1.0), p0, v)


def _fly(fly: Flyout, truth: Truth, rng, t0=0.0, t1=400.0, window=1.0, command=True):
    """The loop's use: every window, command each interceptor with its target's true state
    (a perfect track), advance, and apply the kills to the world; returns all events
    concatenated."""
    out = []
    t = t0
    while t < t1 and fly.active_ids.size:
        ids = fly.active_ids
        if command:
            tgt = fly.target_ids[ids]
            alive = (tgt >= 0) & truth.alive(t, np.maximum(tgt, 0))  # -1: a false track
            if alive.any():
                p, v, _ = truth.state_at(np.full(alive.sum(), t), tgt[alive])
                fly.command(ids[alive], t, p, v)
        ev = fly.advance(t, t + window, truth, rng)
        if len(ev):
            out.append(ev)
            kill = ev.outcome == "kill"
            truth.kill(ev.target_id[kill], ev.t[kill])
        t += window
    if not out:
        return None
    return {f: np.concatenate([getattr(e, f) for e in out]) for f in out[0].__dataclass_fields__}


# ---------------------------------------------------------------------------------------------
# Motor, drag, lateral limit
# ---------------------------------------------------------------------------------------------


def _far_consts(rho: float = 1.0):
    """Gravity and height switched off (the Earth's centre 1e15 m away) and a density table
    of one constant value: isolates thrust and drag."""
    c = np.array([0.0, 0.0, -1e15])
    tab_h = np.array([-1e20, 1e20])
    tab_log_rho = np.full(2, math.log(rho))
    return c, np.array([0.0, 0.0, 1.0]), tab_h, tab_log_rho


def _integrate(par, k, v0, t_total, h, rho=1.0):
    c, z, tab_h, tab_log_rho = _far_consts(rho)
    px, py, pz, vx, vy, vz = 0.0, 0.0, 0.0, v0, 0.0, 0.0
    tau = 0.0
    for _ in range(round(t_total / h)):
        # aim far ahead on the velocity: PN commands nothing
        px, py, pz, vx, vy, vz, _h0 = K.step(
            px, py, pz, vx, vy, vz, tau, h, px + 1e9, py, pz, vx, 0.0, 0.0, False, par, k, c,
            z, tab_h, tab_log_rho,
        )  # fmt: skip
        tau += h
    return vx


@pytest.mark.parametrize("name", sorted(catalog.MISSILES))
def test_speed_gain_is_tsiolkovsky_without_drag_and_gravity(name: str) -> None:
    # Sutton and Biblarz (2017), ch. 4: delta v = Isp g0 ln(m0 / m1) in free space.
    p = catalog.MISSILES[name]
    par = parameter_table([p])
    par[0, K.S_CD] = 0.0
    burn = p.boost_time_s + p.sustain_time_s
    v = _integrate(par, 0, 1.0, burn + 1.0, 0.01)
    m1 = p.launch_mass_kg - p.boost_propellant_kg - p.sustain_propellant_kg
    ideal = p.specific_impulse_s * G0 * math.log(p.launch_mass_kg / m1)
    assert v - 1.0 == pytest.approx(ideal, rel=2e-3)  # phase switches fall inside steps


def test_coast_drag_matches_the_closed_form() -> None:
    # dv/dt = -k v^2 with k = rho S C_D / (2 m): v(t) = v0 / (1 + k v0 t).
    p = catalog.MISSILES["48n6-class"]
    par = parameter_table([p])
    t_burn = p.boost_time_s + p.sustain_time_s
    m = p.launch_mass_kg - p.boost_propellant_kg - p.sustain_propellant_kg
    # start after burnout: shift the clock by starting tau there
    c, z, tab_h, tab_log_rho = _far_consts(0.4135)  # US-1976 at 10 km: 0.41351 kg/m^3
    v0, h = 2000.0, 0.05
    px = py = pz = vy = vz = 0.0
    vx, tau = v0, t_burn
    for _ in range(round(30.0 / h)):
        px, py, pz, vx, vy, vz, _ = K.step(
            px, py, pz, vx, vy, vz, tau, h, px + 1e9, 0.0, 0.0, vx, 0.0, 0.0, False, par, 0,
            c, z, tab_h, tab_log_rho,
        )  # fmt: skip
        tau += h
    k = 0.4135 * p.reference_area_m2 * p.drag_coefficient / (2.0 * m)
    assert vx == pytest.approx(v0 / (1.0 + k * v0 * 30.0), rel=1e-5)


def test_lateral_limit_falls_with_altitude() -> None:
    p = catalog.MISSILES["48n6-class"]
    heights = np.array([0.0, 10e3, 20e3, 28e3, 30e3, 35e3])
    a = lateral_limit_mps2(p, heights, 1500.0)
    assert a[0] == pytest.approx(p.max_lateral_g * G0)  # structural cap at sea level
    assert np.all(np.diff(a) <= 0.0) and np.all(np.diff(a[2:]) < 0.0)  # aerodynamic above
    # at 30 km, q S C_N / m with the US-1976 density 1.8410e-2 kg/m^3 (NOAA-S/T 76-1562)
    m = p.launch_mass_kg - p.boost_propellant_kg - p.sustain_propellant_kg
    q = 0.5 * 1.8410e-2 * 1500.0**2
    assert a[4] == pytest.approx(
        q * p.reference_area_m2 * p.max_normal_force_coefficient / m, rel=1e-3
    )
    # and falls with the density above: US-1976 rho(35 km) / rho(30 km) = 8.4634e-3 / 1.8410e-2
    assert a[5] / a[4] == pytest.approx(8.4634e-3 / 1.8410e-2, rel=1e-3)
    # the compiled limit is the same function
    par = parameter_table([p])
    from airdefense.world.atmosphere import density_lookup_kg_m3

    for h, ai in zip(heights, a, strict=True):
        rho = float(density_lookup_kg_m3(h))
        assert K.lateral_limit(rho, 1500.0, m, False, par, 0) == pytest.approx(ai, rel=1e-12)


def test_reaction_jets_keep_agility_in_thin_air() -> None:
    p = catalog.MISSILES["9m96e2-class"]
    aero = lateral_limit_mps2(p, 30e3, 900.0)
    terminal = lateral_limit_mps2(p, 30e3, 900.0, terminal=True)
    assert aero < 5.0 * G0
    assert terminal == pytest.approx(p.reaction_control_g * G0)


# ---------------------------------------------------------------------------------------------
# Proportional navigation (Zarchan)
# ---------------------------------------------------------------------------------------------


def _pn_step_manoeuvre(nav: float, tf: float = 10.0, dt: float = 1e-3):
    """Zarchan's engagement (Tactical and Strategic Missile Guidance, ch. 2): missile 3000
    ft/s, target 1000 ft/s head-on, a 3 g target step manoeuvre normal to the initial line
    of sight from t = 0, flight time tf; the missile's acceleration is the kernel's PN
    command. Returns times and the command over the target's acceleration."""
    vm, vt, nt = 914.4, 304.8, 3.0 * G0
    pm, vmv = np.array([0.0, 0.0, 0.0]), np.array([vm, 0.0, 0.0])
    pt, vtv = np.array([(vm + vt) * tf, 0.0, 0.0]), np.array([-vt, 0.0, 0.0])
    at = np.array([0.0, 0.0, nt])
    ts, ratio = [], []
    t = 0.0
    while t < tf - 5 * dt:
        r, w = pt - pm, vtv - vmv
        a = np.array(K.pn_command(*r, *w, nav))
        ts.append(t)
        ratio.append(a[2] / nt)
        pm, vmv = pm + vmv * dt + 0.5 * a * dt * dt, vmv + a * dt
        pt, vtv = pt + vtv * dt + 0.5 * at * dt * dt, vtv + at * dt
        t += dt
    return np.array(ts), np.array(ratio)


@pytest.mark.parametrize(("nav", "limit"), [(3.0, 3.0), (4.0, 2.0), (5.0, 5.0 / 3.0)])
def test_pn_step_manoeuvre_needs_n_over_n_minus_2(nav: float, limit: float) -> None:
    # Zarchan (2012), ch. 2-3: n_c / n_T = N'/(N'-2) (1 - (1 - t/tf)^(N'-2)) for zero-lag PN,
    # tending to N'/(N'-2): 3x for N' = 3, 2x for 4, 1.67x for 5.
    tf = 10.0
    t, ratio = _pn_step_manoeuvre(nav, tf)
    closed = limit * (1.0 - (1.0 - t / tf) ** (nav - 2.0))
    for frac in (0.3, 0.6, 0.9):
        i = np.searchsorted(t, frac * tf)
        assert ratio[i] == pytest.approx(closed[i], abs=0.06 * limit)
    assert ratio[-1] == pytest.approx(limit, rel=0.05)


# ---------------------------------------------------------------------------------------------
# Closest approach between steps
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", [0.0, 0.13, 0.5, 0.77])
def test_closest_approach_of_a_straight_fly_by(phase: float) -> None:
    # A point flies by at speed V with offset b: the closest approach is b at t = x0 / V,
    # wherever the step boundaries fall.
    speed, b, h = 1700.0, 3.7, 0.05
    x0 = 2000.0 + phase * speed * h
    t_star = x0 / speed
    k = int(t_star // h)  # the step that holds the minimum
    rel = np.array([-x0 + speed * k * h, b, 0.0])
    w = np.array([speed, 0.0, 0.0])
    t_ca, miss = K.closest_approach(*rel, *w, h)
    assert 0.0 <= t_ca < h
    assert k * h + t_ca == pytest.approx(t_star, abs=1e-12)
    assert miss == pytest.approx(b, abs=1e-9)
    # the step before sees no minimum inside it
    assert K.closest_approach(*(rel - w * h), *w, h)[0] == -1.0
    t_np, miss_np = closest_approach(rel, w, h)
    assert t_np == pytest.approx(t_ca) and miss_np == pytest.approx(miss)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-5e3, 5e3), min_size=3, max_size=3),
    st.lists(st.floats(-4e3, 4e3), min_size=3, max_size=3),
    st.floats(0.01, 0.5),
)
def test_closest_approach_is_the_minimum_over_the_step(r, w, h) -> None:
    r, w = np.array(r), np.array(w)
    t_ca, miss = closest_approach(r, w, h)
    assert 0.0 <= t_ca <= h
    assert miss == pytest.approx(np.linalg.norm(r + w * t_ca), abs=1e-9)
    s = np.linspace(0.0, h, 2001)
    brute = np.linalg.norm(r[None] + w[None] * s[:, None], axis=1)
    assert miss <= brute.min() + 1e-6
    assert (
        miss >= brute.min() - (np.linalg.norm(w) * h / 2000.0) ** 2 / max(brute.min(), 1e-9) - 1e-6
    )


# ---------------------------------------------------------------------------------------------
# Flights against straight-flying targets
# ---------------------------------------------------------------------------------------------


def test_truth_state_in_the_kernel_is_truth_state_at() -> None:
    rng = np.random.default_rng(3)
    n = 5
    truth = Truth.straight_lines(
        FRAME, np.arange(0.0, 50.0, 1.0), rng.normal(0, 1e4, (n, 3)), rng.normal(0, 300, (n, 3))
    )
    # bend the paths so that the Hermite terms matter
    truth.pos[:, :, 2] += 50.0 * np.sin(truth.t)[:, None]
    truth.vel[:, :, 2] += 50.0 * np.cos(truth.t)[:, None]
    times = rng.uniform(-1.0, 51.0, 40)
    idx = rng.integers(0, n, 40)
    p, v, _ = truth.state_at(times, idx)
    for i in range(40):
        got = K.truth_state(truth.pos, truth.vel, 0.0, 1.0, idx[i], times[i])
        assert np.allclose(got[:3], p[i], rtol=0, atol=1e-6)
        assert np.allclose(got[3:], v[i], rtol=0, atol=1e-9)


def _geometry():
    """Targets at various ranges, heights and headings (ENU m, m/s)."""
    p0 = np.array(
        [
            [0.0, 60e3, 8000.0],  # inbound fighter-like
            [40e3, 40e3, 300.0],  # low cruise missile, inbound
            [-50e3, 20e3, 12000.0],  # crossing
            [10e3, 90e3, 25e3],  # high, descending fast (ballistic-like)
        ]
    )
    v = np.array(
        [
            [0.0, -270.0, 0.0],
            [-173.0, -173.0, 0.0],
            [0.0, 250.0, 0.0],
            [-200.0, -1500.0, -800.0],
        ]
    )
    return p0, v


@pytest.mark.parametrize("name", ["48n6-class", "9m96e2-class", "pac-3-mse-class"])
def test_pn_against_non_manoeuvring_targets_misses_by_metres(name: str) -> None:
    p = _sure(name)
    p0, v = _geometry()
    truth = _targets(p0, v)
    fly = Flyout([p], FRAME)
    site = np.zeros((4, 3))
    sol = intercept_point(fly.tables, np.zeros(4, np.int64), site, p0, v, FRAME, 0.0)
    ok = sol.feasible
    assert ok.sum() >= 2
    ids = fly.launch(0.0, np.zeros(ok.sum(), np.int64), site[ok], np.flatnonzero(ok), sol.pip[ok])
    ev = _fly(fly, truth, np.random.default_rng(0))
    assert ev is not None and set(ev["interceptor_id"]) == set(ids)
    assert np.all(ev["outcome"] == "kill")
    assert np.all(ev["miss_m"] < min(3.0, p.lethal_radius_m))
    # it arrives when the table said it would, give or take the moving target's geometry
    assert np.allclose(np.sort(ev["t"]), np.sort(sol.t_s[ok]), atol=5.0)


def test_events_carry_what_the_loop_records() -> None:
    p0, v = _geometry()
    truth = _targets(p0[:1], v[:1])
    fly = Flyout([_sure("48n6-class")], FRAME)
    fly.launch(2.5, [0], [0.0, 0.0, 0.0], [0], p0[0] + 20.0 * v[0])
    assert fly.active_ids.tolist() == [0] and fly.positions.shape == (1, 3)
    assert fly.launch_times.tolist() == [2.5] and fly.missile_types.tolist() == [0]
    ev = _fly(fly, truth, np.random.default_rng(0), t0=2.0)
    assert ev["outcome"].tolist() == ["kill"] and ev["target_id"].tolist() == [0]
    p_t, _, _ = truth.state_at(ev["t"], np.array([0]))
    assert np.linalg.norm(ev["position"][0] - p_t[0]) < 5.0
    assert ev["speed_mps"][0] > 500.0 and ev["missile_type"].tolist() == [0]
    assert fly.active_ids.size == 0 and fly.n_launched == 1


def test_a_kill_makes_the_other_interceptors_target_gone_and_retarget_works() -> None:
    p0 = np.array([[0.0, 50e3, 6000.0], [5e3, 75e3, 6000.0]])
    v = np.array([[0.0, -250.0, 0.0], [0.0, -250.0, 0.0]])
    truth = _targets(p0, v)
    fly = Flyout([_sure("48n6-class")], FRAME)
    sol = intercept_point(fly.tables, [0, 0], np.zeros((2, 3)), p0, v, FRAME, 0.0)
    # two at target 0, the second a little later; one at target 1 held back
    first = fly.launch(0.0, [0], [0.0, 0.0, 0.0], [0], sol.pip[0])
    second = fly.launch(2.0, [0], [0.0, 0.0, 0.0], [0], sol.pip[0])
    rng = np.random.default_rng(1)
    ev = _fly(fly, truth, rng, t1=1000.0)
    by_id = dict(zip(ev["interceptor_id"].tolist(), ev["outcome"].tolist(), strict=True))
    assert by_id == {int(first[0]): "kill", int(second[0]): "target_gone"}

    # retarget instead: the loop reacts to the kill before the next window
    truth = _targets(p0, v)
    fly = Flyout([_sure("48n6-class")], FRAME)
    a = fly.launch(0.0, [0], [0.0, 0.0, 0.0], [0], sol.pip[0])
    b = fly.launch(2.0, [0], [0.0, 0.0, 0.0], [0], sol.pip[0])
    t, events = 0.0, []
    while fly.active_ids.size and t < 400.0:
        ev = fly.advance(t, t + 1.0, truth, rng)
        t += 1.0
        for i, out, tgt, tk in zip(ev.interceptor_id, ev.outcome, ev.target_id, ev.t, strict=True):
            events.append((int(i), str(out), int(tgt)))
            if out == "kill":
                truth.kill(np.array([tgt]), tk)
                pp, vv, _ = truth.state_at(np.array([t]), np.array([1]))
                fly.retarget(b, [1], t, pp, vv)
    assert (int(a[0]), "kill", 0) in events
    assert (int(b[0]), "kill", 1) in events


def test_a_target_that_ends_sends_its_interceptors_away() -> None:
    p0, v = _geometry()
    truth = _targets(p0[:1], v[:1])
    truth.end_s[0] = 30.0  # e.g. it landed
    fly = Flyout([_sure("48n6-class")], FRAME)
    fly.launch(0.0, [0], [0.0, 0.0, 0.0], [0], p0[0] + 60.0 * v[0])
    ev = _fly(fly, truth, np.random.default_rng(0))
    assert ev["outcome"].tolist() == ["target_gone"]
    assert ev["t"][0] == 31.0  # flies on to the end of the window it died in
    assert np.isnan(ev["miss_m"][0])


def test_out_of_reach_ends_in_timeout_or_ground() -> None:
    p = catalog.MISSILES["9m96e-class"]
    truth = _targets(np.array([[0.0, 150e3, 10e3]]), np.array([[0.0, 0.0, 0.0]]))
    fly = Flyout([p], FRAME)
    fly.launch(0.0, [0], [0.0, 0.0, 0.0], [0], [0.0, 150e3, 10e3])
    ev = _fly(fly, truth, np.random.default_rng(0))
    assert ev["outcome"][0] in ("timeout", "ground")
    assert ev["t"][0] <= p.max_flight_time_s + 1e-9
    if ev["outcome"][0] == "timeout":
        assert ev["t"][0] == pytest.approx(p.max_flight_time_s, abs=fly.dt_s)


def test_destroy_and_command_of_ended_interceptors() -> None:
    fly = Flyout([catalog.MISSILES["9m96e-class"]], FRAME)
    ids = fly.launch(0.0, [0, 0], np.zeros((2, 3)), [0, 0], [[0.0, 20e3, 3e3]] * 2)
    fly.destroy(ids[:1])
    assert fly.active_ids.tolist() == [int(ids[1])]
    fly.command(ids, 0.0, [[0.0, 20e3, 3e3]] * 2, [[0.0, 0.0, 0.0]] * 2)  # ended: ignored
    with pytest.raises(ValueError, match="unknown interceptor"):
        fly.command([7], 0.0, [[0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="missile_type"):
        fly.launch(0.0, [3], [0.0, 0.0, 0.0], [0], [0.0, 1e3, 1e3])


def test_same_rng_same_events() -> None:
    p0, v = _geometry()
    presets = [catalog.MISSILES[n] for n in S400]

    def run(seed: int):
        truth = _targets(p0, v)
        fly = Flyout(presets, FRAME)
        mt = np.array([1, 2, 1, 0])
        sol = intercept_point(fly.tables, mt, np.zeros((4, 3)), p0, v, FRAME, 0.0)
        ok = sol.feasible
        fly.launch(0.0, mt[ok], np.zeros((ok.sum(), 3)), np.flatnonzero(ok), sol.pip[ok])
        return _fly(fly, truth, np.random.default_rng(seed))

    a, b = run(5), run(5)
    for f in a:
        if a[f].dtype.kind == "f":
            np.testing.assert_array_equal(a[f], b[f])
        else:
            assert a[f].tolist() == b[f].tolist()
    assert set(a["outcome"]) <= set(OUTCOMES[1:])


# ---------------------------------------------------------------------------------------------
# Flyout tables and intercept points
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(catalog.MISSILES))
def test_flyout_time_is_monotone_and_max_range_is_reachable(name: str) -> None:
    p = catalog.MISSILES[name]
    table = flyout_table(p)
    t = table.time_s
    for j in range(t.shape[1]):
        col = t[:, j][np.isfinite(t[:, j])]
        assert np.all(np.diff(col) > 0.0), f"height {table.height_m[j]:.0f} m"
    at_max = t[-1]
    assert table.ground_range_m[-1] == pytest.approx(p.max_range_km * 1000.0)
    assert np.isfinite(at_max).any(), "max range not reachable at any height"
    assert np.nanmin(at_max) <= p.max_flight_time_s
    # the motor's calibration: top speed near the preset's max speed
    assert np.nanmax(table.peak_speed_mps) == pytest.approx(p.max_speed_mps, rel=0.15)


@pytest.mark.parametrize("name", ["40n6-class", "9m96e2-class", "pac-3-mse-class"])
def test_flights_at_table_points_take_the_table_time(name: str) -> None:
    frame = Frame.from_degrees(45.0, 0.0, 0.0)  # the tables' reference launcher
    table = flyout_table(catalog.MISSILES[name])
    cells = [(i, j) for i in (8, 18, 28) for j in (3, 9) if np.isfinite(table.time_s[i, j])]
    pts = np.array(
        [frame.map_to_enu(0.0, table.ground_range_m[i], table.height_m[j]) for i, j in cells]
    )
    truth = Truth.straight_lines(frame, np.arange(0.0, 400.0, 1.0), pts, np.zeros_like(pts))
    fly = Flyout([_sure(name)], frame)
    n = len(cells)
    fly.launch(0.0, np.zeros(n, np.int64), np.zeros((n, 3)), np.arange(n), pts)
    ev = _fly(fly, truth, np.random.default_rng(0), command=False)
    assert np.all(ev["outcome"] == "kill")
    expected = np.array([table.time_s[cells[k]] for k in ev["interceptor_id"]])
    assert np.allclose(ev["t"], expected, rtol=0.01, atol=0.2)


def test_flyout_time_table_outside_the_envelope_is_nan() -> None:
    p = catalog.MISSILES["9m96e-class"]
    ranges = np.array([0.0, 500.0, 10e3, 30e3, 39e3, 60e3])
    heights = np.array([2.0, 300.0, 10e3, 25e3])
    t = flyout_time_table(p, ranges, heights)
    assert t.shape == (6, 4)
    # beyond max range, below min altitude, above max altitude, inside the minimum range
    assert np.all(np.isnan(t[-1])) and np.all(np.isnan(t[:, 0])) and np.all(np.isnan(t[:, -1]))
    assert np.all(np.isnan(t[:2, 1]))
    assert np.all(np.isfinite(t[2:5, 1:3]))
    assert flyout_time_table(p, ranges, heights) is t  # cached


def test_intercept_point_of_a_stationary_point_is_the_table_time() -> None:
    p = catalog.MISSILES["48n6-class"]
    table = flyout_table(p)
    i, j = 15, 6
    r, h = table.ground_range_m[i], table.height_m[j]
    target = FRAME.map_to_enu(0.0, r, h)
    sol = intercept_point([table], [0], [0.0, 0.0, 0.0], target, [0.0, 0.0, 0.0], FRAME, 10.0)
    assert sol.feasible[0] and sol.reason_name[0] == "ok"
    # the table's own geometry is measured from a launcher at 45 deg N; here 47 deg N
    assert sol.flyout_s[0] == pytest.approx(table.time_s[i, j], rel=0.01)
    assert sol.t_s[0] == pytest.approx(10.0 + table.time_s[i, j], abs=1.0)
    assert sol.launch_s[0] == pytest.approx(10.0, abs=1.0)


def test_intercept_point_of_moving_threats_and_reasons() -> None:
    fly = Flyout([catalog.MISSILES[n] for n in S400], FRAME)
    p0 = np.array(
        [
            [0.0, 120e3, 8000.0],  # fighter inbound: feasible
            [0.0, 120e3, 45e3],  # above every ceiling: out_of_altitude
            FRAME.map_to_enu(0.0, 450e3, 8000.0),  # far and leaving: out_of_range
            [0.0, 30e3, 3000.0],  # ballistic, about to land: too late
        ]
    )
    v = np.array(
        [[0.0, -270.0, 0.0], [0.0, -270.0, 0.0], [0.0, 300.0, 0.0], [0.0, -500.0, -2000.0]]
    )
    mt = np.array([1, 1, 1, 3])
    sol = intercept_point(
        fly.tables, mt, np.zeros((4, 3)), p0, v, FRAME, 5.0, ballistic=[False, False, False, True]
    )
    assert sol.reason_name.tolist() == ["ok", "out_of_altitude", "out_of_range", "too_late"]
    assert np.isnan(sol.pip[1:]).all() and np.isnan(sol.t_s[1:]).all()
    # the PIP is on the threat's path at the intercept time, and the missile gets there then
    tau = sol.t_s[0] - 5.0
    assert np.allclose(sol.pip[0], p0[0] + v[0] * tau, atol=1e-6)
    r = FRAME.ground_range_m(np.zeros(3), sol.pip[0])
    assert sol.flyout_s[0] == pytest.approx(
        float(fly.table(1).time_at(r, FRAME.height_m(sol.pip[0]))), abs=0.5
    )
    assert sol.flyout_s[0] <= tau + 1e-6
    # a launch delay moves the intercept later and closer
    later = intercept_point(
        fly.tables, [1], [0.0, 0.0, 0.0], p0[0], v[0], FRAME, 5.0, launch_delay_s=20.0
    )
    assert later.t_s[0] > sol.t_s[0]
    assert later.launch_s[0] >= 25.0 - 1e-6


def test_intercept_point_is_vectorised_over_many_pairs() -> None:
    fly = Flyout([catalog.MISSILES[n] for n in S400], FRAME)
    rng = np.random.default_rng(2)
    n = 400
    az = rng.uniform(0.0, 2.0 * np.pi, n)
    rr = rng.uniform(20e3, 300e3, n)
    p0 = np.stack([rr * np.sin(az), rr * np.cos(az), rng.uniform(50.0, 20e3, n)], -1)
    v = -250.0 * p0 / np.linalg.norm(p0, axis=1, keepdims=True)
    v[:, 2] = 0.0
    mt = rng.integers(0, 4, n)
    sol = intercept_point(fly.tables, mt, np.zeros((n, 3)), p0, v, FRAME, 0.0)
    assert sol.pip.shape == (n, 3) and sol.feasible.shape == (n,)
    one = [
        intercept_point(fly.tables, mt[i : i + 1], np.zeros((1, 3)), p0[i], v[i], FRAME, 0.0)
        for i in range(0, n, 50)
    ]
    for k, s in zip(range(0, n, 50), one, strict=True):
        assert s.feasible[0] == sol.feasible[k]
        assert s.reason[0] == sol.reason[k]
        if s.feasible[0]:
            assert s.t_s[0] == pytest.approx(sol.t_s[k])


def test_flyout_uses_the_tables_given() -> None:
    p = catalog.MISSILES["9m96e-class"]
    table = flyout_table(p)
    fly = Flyout([p], FRAME, tables=[table])
    assert fly.table(0) is table
    cst = _Consts(FRAME)
    assert cst.c.shape == (3,)


def test_times_at_equals_each_table_looked_up_alone() -> None:
    """The one-pass lookup over several tables gives what each table gives on its own."""
    from airdefense.engagement.flyout import flyout_table, times_at
    from airdefense.systems import catalog

    names = ["40n6-class", "48n6-class", "9m96e2-class", "9m96e-class"]
    tabs = [flyout_table(catalog.MISSILES[m]) for m in names]
    rng = np.random.default_rng(3)
    mt = rng.integers(0, len(tabs), (400, 3))
    r = rng.uniform(-1e3, 420e3, mt.shape)
    h = rng.uniform(-100.0, 32e3, mt.shape)
    got = times_at(tabs, mt, r, h)
    want = np.full(r.shape, np.nan)
    for k, tab in enumerate(tabs):
        sel = mt == k
        want[sel] = tab.time_at(r[sel], h[sel])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-12)


def test_an_interceptor_at_a_false_track_meets_nothing_and_times_out() -> None:
    # a track with no object behind it (target -1) can be engaged; its interceptor flies to
    # the commanded point, never kills, and ends when its flight time runs out
    p = catalog.MISSILES["9m96e-class"]
    truth = _targets(np.array([[0.0, 20e3, 3e3]]), np.array([[0.0, 0.0, 0.0]]))
    fly = Flyout([p], FRAME)
    fly.launch(0.0, [0, 0], np.zeros((2, 3)), [-1, 0], [[0.0, 20e3, 3e3]] * 2)
    ev = _fly(fly, truth, np.random.default_rng(0))
    false, real = (np.flatnonzero(ev["interceptor_id"] == k)[0] for k in (0, 1))
    assert ev["outcome"][false] in ("timeout", "ground")
    assert ev["outcome"][real] in ("kill", "miss")
