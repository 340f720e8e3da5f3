"""Ballistic flight: vacuum closed form, solved impacts, plausible SRBM figures, energy; the
compiled integration against a plain-numpy reference."""

import numpy as np
import pytest

from airdefense.geo import WGS84_A, WGS84_B, Frame
from airdefense.world._ballistic_kernels import fly_kernel
from airdefense.world.atmosphere import density_lookup_kg_m3
from airdefense.world.ballistic import MU_EARTH, _Dynamics, _hermite, fly_ballistic

FRAME = Frame.from_degrees(47.0, 8.0, 0.0)


def _shoot(ranges_m, loft_deg, beta, boost_s=60.0, t=None, aim_h=100.0):
    ranges_m = np.asarray(ranges_m, dtype=float)
    n = ranges_m.size
    az = np.linspace(0.3, 5.0, n)
    launch = np.zeros((n, 3))
    aim = np.stack([ranges_m * np.sin(az), ranges_m * np.cos(az), np.full(n, aim_h)], -1)
    t = np.arange(0.0, 900.0, 1.0) if t is None else t
    out = fly_ballistic(
        FRAME,
        t,
        launch,
        aim,
        np.full(n, 5.0),
        np.radians(np.broadcast_to(loft_deg, (n,))),
        np.full(n, boost_s),
        np.full(n, beta),
    )
    return t, aim, out


def test_vacuum_short_range_matches_flat_earth_closed_form() -> None:
    _t, _, (_, _, _, _, vb) = _shoot([20e3], 45.0, np.inf, boost_s=0.2)
    g = MU_EARTH / np.linalg.norm(FRAME.origin_ecef) ** 2
    r_closed = vb[0] ** 2 * np.sin(2 * np.radians(45.0)) / g
    assert r_closed == pytest.approx(20e3, rel=0.01)


@pytest.mark.parametrize("loft_deg", [30.0, 45.0])
def test_impact_on_aim_with_drag(loft_deg: float) -> None:
    ranges = np.array([50e3, 120e3, 250e3, 380e3, 500e3])
    t, aim, (pos, vel, _h, end, _) = _shoot(ranges, loft_deg, 5000.0)
    assert np.all(np.isfinite(pos)) and np.all(np.isfinite(vel))
    assert np.all(end < t[-1])
    e, n, hh = FRAME.enu_to_map(pos[-1])
    miss = np.hypot(e - aim[:, 0], n - aim[:, 1])
    assert np.all(miss < 100.0)
    assert np.allclose(hh, 100.0, atol=2.0)
    # clamped: at rest on the pad before launch, impact state after the end
    assert np.allclose(vel[0], 0.0)
    assert np.allclose(pos[-1], pos[-2])


def test_srbm_300km_burnout_and_apogee() -> None:
    # Iskander/Scud-class: ~1.6-2.1 km/s burnout for 300 km; apogee 60-100 km.
    _, _, (_, _, h, _, vb) = _shoot([300e3], 40.0, 5000.0)
    assert 1500.0 < vb[0] < 2500.0
    assert 55e3 < h.max() < 100e3


def test_energy_conserved_in_vacuum_free_flight() -> None:
    t = np.arange(0.0, 600.0, 0.5)
    _, _, (pos, vel, _, end, _) = _shoot([300e3], 45.0, np.inf, t=t)
    free = (t > 5.0 + 60.0 + 1.0) & (t < end[0] - 1.0)
    r = pos[free, 0] - FRAME.gravity_centre_enu()
    energy = 0.5 * np.sum(vel[free, 0] ** 2, -1) - MU_EARTH / np.linalg.norm(r, axis=-1)
    kinetic = 0.5 * np.sum(vel[free, 0] ** 2, -1)
    assert np.ptp(energy) < 1e-3 * kinetic.min()


# --- compiled integration vs a plain-numpy reference of the same equations ---------------


def _ref_height(pos, c, z_axis):
    r = pos - c
    rn = np.linalg.norm(r, axis=-1)
    sphi = (r @ z_axis) / rn
    re = WGS84_A * WGS84_B / np.sqrt(WGS84_B**2 * (1.0 - sphi**2) + WGS84_A**2 * sphi**2)
    return rn - re


def _ref_accel(pos, vel, thrust, inv_2beta, c, z_axis):
    r = pos - c
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    rho = density_lookup_kg_m3(_ref_height(pos, c, z_axis))
    speed = np.linalg.norm(vel, axis=-1, keepdims=True)
    return thrust - MU_EARTH * r / rn**3 - (rho * inv_2beta)[:, None] * speed * vel


def _ref_rk4(p, v, h, thrust, inv_2beta, c, z_axis):
    h = np.asarray(h)[..., None]
    a1 = _ref_accel(p, v, thrust, inv_2beta, c, z_axis)
    v2 = v + 0.5 * h * a1
    a2 = _ref_accel(p + 0.5 * h * v, v2, thrust, inv_2beta, c, z_axis)
    v3 = v + 0.5 * h * a2
    a3 = _ref_accel(p + 0.5 * h * v2, v3, thrust, inv_2beta, c, z_axis)
    v4 = v + h * a3
    a4 = _ref_accel(p + h * v3, v4, thrust, inv_2beta, c, z_axis)
    return p + h / 6.0 * (v + 2 * v2 + 2 * v3 + v4), v + h / 6.0 * (a1 + 2 * a2 + 2 * a3 + a4)


def test_compiled_integration_matches_numpy_reference() -> None:
    dyn = _Dynamics(FRAME)
    p0 = FRAME.map_to_enu(np.array([0.0, 10e3, -30e3]), np.array([0.0, 5e3, 20e3]), 100.0)
    up = (p0 - dyn.c) / np.linalg.norm(p0 - dyn.c, axis=-1, keepdims=True)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east, axis=-1, keepdims=True)
    loft = np.radians([45.0, 35.0, 60.0])[:, None]
    thrust = np.array([[40.0], [60.0], [30.0]]) * (np.cos(loft) * east + np.sin(loft) * up)
    inv_2beta = np.array([0.0, 0.5 / 3000.0, 0.5 / 8000.0])
    aim_h = np.array([100.0, 0.0, 500.0])
    boost_h = np.array([0.5, 0.45, 0.4])
    n_boost, step = 80, 0.5
    pos, vel, imp_step, imp_frac, imp_p, imp_v, landed, _, _ = fly_kernel(
        p0, thrust, boost_h, n_boost, inv_2beta, aim_h, step, 7200, dyn.c, dyn.z_axis,
        dyn.tab_h, dyn.tab_log_rho, True,
    )  # fmt: skip
    assert landed.all()
    # boost, then 40 coast steps (through the drag of the lower atmosphere)
    p, v = p0.copy(), np.zeros_like(p0)
    for k in range(n_boost + 40):
        boosting = k < n_boost
        h = boost_h if boosting else np.full(3, step)
        p, v = _ref_rk4(p, v, h, thrust * boosting, inv_2beta, dyn.c, dyn.z_axis)
        np.testing.assert_allclose(pos[k + 1], p, rtol=1e-13, atol=1e-8)
        np.testing.assert_allclose(vel[k + 1], v, rtol=1e-12, atol=1e-9)
    # the impact lies on the step's Hermite curve, at the aim height
    cols = np.arange(3)
    hp, hv = _hermite(
        pos[imp_step, cols], vel[imp_step, cols], pos[imp_step + 1, cols],
        vel[imp_step + 1, cols], np.full(3, step), imp_frac,
    )  # fmt: skip
    np.testing.assert_allclose(imp_p, hp, rtol=1e-13, atol=1e-8)
    np.testing.assert_allclose(imp_v, hv, rtol=1e-12, atol=1e-9)
    assert np.all(_ref_height(pos[imp_step, cols], dyn.c, dyn.z_axis) > aim_h)
    assert np.allclose(_ref_height(imp_p, dyn.c, dyn.z_axis), aim_h, atol=0.01)
