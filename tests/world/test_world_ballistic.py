"""Ballistic flight: vacuum closed form, solved impacts, plausible SRBM figures, energy."""

import numpy as np
import pytest

from airdefense.geo import Frame
from airdefense.world.ballistic import MU_EARTH, fly_ballistic

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
