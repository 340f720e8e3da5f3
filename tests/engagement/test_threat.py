"""Threat evaluation: which asset, when, what class, what value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.engagement.threat import (
    AIRCRAFT,
    BALLISTIC,
    CRUISE,
    DRONE,
    classify,
    evaluate_threats,
)

ASSETS = np.array([[0.0, 0.0, 0.0], [50e3, 0.0, 0.0]])
RADIUS = np.array([10e3, 5e3])
VALUE = np.array([100.0, 40.0])
SHARE = np.array([0.2, 0.2, 0.02, 0.3])


def test_a_cruise_missile_heading_for_the_city_threatens_it_with_the_right_time() -> None:
    pos = np.array([[0.0, 200e3, 50.0]])
    vel = np.array([[0.0, -250.0, 0.0]])
    a = evaluate_threats(pos, vel, np.array([CRUISE]), ASSETS, RADIUS, VALUE, SHARE)
    assert a.asset[0] == 0
    assert a.time_to_go_s[0] == pytest.approx(800.0)
    assert a.value[0] == pytest.approx(20.0)


def test_a_path_that_misses_every_asset_threatens_nothing() -> None:
    pos = np.array([[100e3, 200e3, 5000.0]])
    vel = np.array([[0.0, -250.0, 0.0]])
    a = evaluate_threats(pos, vel, np.array([AIRCRAFT]), ASSETS, RADIUS, VALUE, SHARE)
    assert a.asset[0] == -1 and np.isinf(a.time_to_go_s[0]) and a.value[0] == 0.0


def test_the_first_asset_on_the_path_is_the_one_threatened() -> None:
    pos = np.array([[150e3, 0.0, 100.0]])
    vel = np.array([[-200.0, 0.0, 0.0]])
    a = evaluate_threats(pos, vel, np.array([DRONE]), ASSETS, RADIUS, VALUE, SHARE)
    assert a.asset[0] == 1 and a.time_to_go_s[0] == pytest.approx(500.0)
    assert a.value[0] == pytest.approx(40.0 * 0.02)


def test_a_ballistic_arc_threatens_where_it_falls() -> None:
    # 30 km up, falling at 1 km/s, moving 500 m/s east from 45 km west of asset 1's east edge
    z, vz, vx = 30e3, -1000.0, 500.0
    t_imp = (vz + np.sqrt(vz * vz + 2 * 9.80665 * z)) / 9.80665
    pos = np.array([[50e3 - vx * t_imp, 0.0, z]])
    vel = np.array([[vx, 0.0, vz]])
    a = evaluate_threats(pos, vel, np.array([BALLISTIC]), ASSETS, RADIUS, VALUE, SHARE)
    assert a.asset[0] == 1
    assert a.time_to_go_s[0] == pytest.approx(t_imp)
    np.testing.assert_allclose(a.arrival[0], [50e3, 0.0, 0.0], atol=1e-6)


def test_classification_by_kinematics() -> None:
    vel = np.array([[240.0, 0, 0], [250.0, 0, 0], [50.0, 0, 0], [1500.0, 0, -800.0]])
    h = np.array([11e3, 50.0, 200.0, 40e3])
    got = classify(vel, h, np.array([False, False, False, True]))
    assert list(got) == [AIRCRAFT, CRUISE, DRONE, BALLISTIC]


def _reference(pos, vel, cls, asset_pos, radius, value, share, margin=5_000.0, horizon=3_600.0):
    """The evaluation in plain numpy over (tracks x assets) arrays (as before the compiled
    kernel): the kernel must agree with it."""
    k = pos.shape[0]
    r = asset_pos[None, :, :2] - pos[:, None, :2]
    v = vel[:, None, :2]
    v2 = np.maximum(np.sum(v * v, axis=-1), 1e-9)
    t_star = np.clip(np.sum(r * v, axis=-1) / v2, 0.0, horizon)
    miss = np.linalg.norm(r - v * t_star[..., None], axis=-1)
    vz, z = vel[:, 2], pos[:, 2]
    t_imp = (vz + np.sqrt(np.maximum(vz * vz + 2 * 9.80665 * np.maximum(z, 0.0), 0.0))) / 9.80665
    impact = pos[:, :2] + vel[:, :2] * t_imp[:, None]
    bal = cls == BALLISTIC
    miss = np.where(
        bal[:, None], np.linalg.norm(asset_pos[None, :, :2] - impact[:, None], axis=-1), miss
    )
    t_star = np.where(bal[:, None], t_imp[:, None], t_star)
    t_hit = np.where(miss <= radius[None, :] + margin, t_star, np.inf)
    best = np.argmin(t_hit, axis=1)
    hit = np.isfinite(t_hit[np.arange(k), best])
    asset = np.where(hit, best, -1)
    ttg = np.where(hit, t_hit[np.arange(k), best], np.inf)
    return asset, ttg, np.where(hit, value[np.maximum(asset, 0)] * share[cls], 0.0)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(-300e3, 300e3), min_size=3 * k, max_size=3 * k),
            st.lists(st.floats(-2_000.0, 2_000.0), min_size=3 * k, max_size=3 * k),
            st.lists(st.integers(0, 3), min_size=k, max_size=k),
        )
    )
)
def test_compiled_evaluation_equals_the_numpy_reference(case: tuple) -> None:
    p, v, c = case
    pos = np.array(p).reshape(-1, 3)
    pos[:, 2] = np.abs(pos[:, 2]) / 10.0  # heights 0-30 km
    vel, cls = np.array(v).reshape(-1, 3), np.array(c)
    got = evaluate_threats(pos, vel, cls, ASSETS, RADIUS, VALUE, SHARE)
    asset, ttg, value = _reference(pos, vel, cls, ASSETS, RADIUS, VALUE, SHARE)
    np.testing.assert_array_equal(got.asset, asset)
    np.testing.assert_allclose(got.time_to_go_s, ttg, rtol=1e-12)
    np.testing.assert_allclose(got.value, value, rtol=1e-12)
