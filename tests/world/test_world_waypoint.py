"""Waypoint flight: constant speed, bounded turn rate, true constant altitude, end time."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from airdefense.geo import Frame
from airdefense.world.waypoint import fly_waypoints

FRAME = Frame.from_degrees(47.0, 8.0, 400.0)
OMEGA = np.radians(3.0)


def _route() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    wp = np.array(
        [
            [[0, 0, 1000], [50e3, 0, 1500], [50e3, 50e3, 1500], [0, 60e3, 1000], [-40e3, 0, 800]],
            [[0, 0, 40], [300e3, 0, 40]] + [[np.nan] * 3] * 3,
        ]
    )
    t = np.arange(0.0, 2000.0, 1.0)
    return wp, t, np.array([10.0, 0.0])


def test_speed_constant_and_turn_rate_bounded() -> None:
    wp, t, start = _route()
    pos, vel, h, end = fly_waypoints(FRAME, t, wp, [200.0, 250.0], start, OMEGA)
    assert pos.shape == vel.shape == (t.size, 2, 3) and h.shape == (t.size, 2)
    speed = np.linalg.norm(vel, axis=-1)
    for n, v in enumerate([200.0, 250.0]):
        live = (t >= start[n]) & (t <= end[n])
        assert np.all(np.abs(speed[live, n] / v - 1.0) < 0.005)
    # Turn rate from the heading change of the velocity per step (local horizontal).
    live = (t >= start[0]) & (t <= end[0])
    heading = np.unwrap(np.arctan2(vel[live, 0, 0], vel[live, 0, 1]))
    rate = np.abs(np.diff(heading)) / np.diff(t[live])
    assert rate.max() <= OMEGA * 1.001
    assert rate.max() > 0.9 * OMEGA  # the turns are flown at the bound
    # Velocity is the derivative of position (central differences, off the height kinks).
    fd = np.gradient(pos[live, 0], t[live], axis=0)
    err = np.linalg.norm(fd - vel[live, 0], axis=-1) / 200.0
    assert np.median(err) < 1e-3


def test_cruise_at_40m_keeps_true_height() -> None:
    wp, t, start = _route()
    pos, _, h, _ = fly_waypoints(FRAME, t, wp, [200.0, 250.0], start, OMEGA)
    assert np.max(np.abs(FRAME.height_m(pos[:, 1]) - 40.0)) < 1.0
    assert np.max(np.abs(h[:, 1] - 40.0)) < 1e-9
    # 300 km out the origin's tangent plane is kilometres above the missile.
    assert pos[-1, 1, 2] < -6000.0


def test_end_time_is_path_length_over_speed() -> None:
    wp, _, start = _route()
    t = np.arange(0.0, 2000.0, 0.25)
    pos, _, _, end = fly_waypoints(FRAME, t, wp, [200.0, 250.0], start, OMEGA)
    for n, v in enumerate([200.0, 250.0]):
        live = (t >= start[n]) & (t <= end[n] + 0.25)
        length = np.sum(np.linalg.norm(np.diff(pos[live, n], axis=0), axis=-1))
        assert abs((end[n] - start[n]) * v / length - 1.0) < 0.005
    # Straight 300 km leg: true length / speed (map scale near 1 along a radial).
    assert abs(end[1] - 300e3 / 250.0) / (300e3 / 250.0) < 0.005


def test_clamped_outside_life_and_reaches_last_waypoint() -> None:
    wp, t, start = _route()
    pos, vel, _, end = fly_waypoints(FRAME, t, wp, [200.0, 250.0], start, OMEGA)
    first = FRAME.map_to_enu(wp[0, 0, 0], wp[0, 0, 1], wp[0, 0, 2])
    last = FRAME.map_to_enu(wp[0, -1, 0], wp[0, -1, 1], wp[0, -1, 2])
    assert np.allclose(pos[t < start[0], 0], first, atol=1e-6)
    assert np.allclose(pos[t > end[0], 0], last, atol=1e-6)
    assert np.all(np.linalg.norm(vel[t > end[0], 0], axis=-1) > 190.0)


coord = st.floats(-150e3, 150e3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    pts=st.lists(st.tuples(coord, coord, st.floats(0.0, 12e3)), min_size=2, max_size=6),
    speed=st.floats(30.0, 700.0),
    omega_deg=st.floats(0.5, 20.0),
)
# found by hypothesis: two waypoints 1e-308 m apart with a climb between them
@example(pts=[(0.0, 0.0, 0.0), (0.0, 1.1125369292536007e-308, 1.0)], speed=30.0, omega_deg=1.0)
def test_property_finite_and_reaches_end(
    pts: list[tuple[float, float, float]], speed: float, omega_deg: float
) -> None:
    wp = np.full((2, 6, 3), np.nan)
    wp[0, : len(pts)] = pts
    wp[1, :2] = [[0.0, 0.0, 100.0], [1000.0, 0.0, 100.0]]
    t = np.linspace(-10.0, 6000.0, 301)
    pos, vel, h, end = fly_waypoints(FRAME, t, wp, speed, 0.0, np.radians(omega_deg))
    assert np.all(np.isfinite(pos)) and np.all(np.isfinite(vel)) and np.all(np.isfinite(h))
    assert np.all(end >= 0.0)
    goal = FRAME.map_to_enu(*pts[-1])
    if end[0] <= t[-1]:
        assert np.linalg.norm(pos[-1, 0] - goal) < 5.0
