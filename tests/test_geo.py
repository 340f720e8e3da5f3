"""Geodesy: published values and round trips (ARCHITECTURE: conversions are exact)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.geo import (
    WGS84_A,
    WGS84_B,
    Frame,
    ecef_to_geodetic,
    geodetic_to_ecef,
    horizon_range_m,
    line_of_sight,
)

lats = st.floats(-89.9, 89.9)
lons = st.floats(-180.0, 180.0)
heights = st.floats(-500.0, 1_000_000.0)


def test_wgs84_reference_points() -> None:
    # The equator at the prime meridian and the pole (NIMA TR8350.2 Table 3.1).
    np.testing.assert_allclose(geodetic_to_ecef(0.0, 0.0, 0.0), [WGS84_A, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(
        geodetic_to_ecef(np.pi / 2, 0.0, 0.0), [0.0, 0.0, WGS84_B], atol=1e-6
    )
    assert WGS84_B == pytest.approx(6_356_752.314245, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(lats, lons, heights)
def test_geodetic_round_trip_within_1_mm(lat_deg: float, lon_deg: float, h: float) -> None:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    lat2, lon2, h2 = ecef_to_geodetic(geodetic_to_ecef(lat, lon, h))
    back = geodetic_to_ecef(lat2, lon2, h2)
    np.testing.assert_allclose(back, geodetic_to_ecef(lat, lon, h), atol=1e-3, rtol=0)
    assert abs(h2 - h) < 1e-3


@settings(max_examples=200, deadline=None)
@given(lats, lons, st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(-2e4, 1e5))
def test_enu_round_trip_within_1_mm(lat0: float, lon0: float, e: float, n: float, u: float) -> None:
    frame = Frame.from_degrees(lat0, lon0, 100.0)
    p = np.array([e, n, u])
    lat, lon, h = frame.enu_to_geodetic(p)
    np.testing.assert_allclose(frame.geodetic_to_enu(lat, lon, h), p, atol=1e-3, rtol=0)


@settings(max_examples=200, deadline=None)
@given(lats, lons, st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_map_round_trip_within_1_mm(lat0: float, lon0: float, e: float, n: float) -> None:
    frame = Frame.from_degrees(lat0, lon0)
    lat, lon = frame.map_to_geodetic(e, n)
    e2, n2 = frame.geodetic_to_map(lat, lon)
    assert abs(e2 - e) < 1e-3 and abs(n2 - n) < 1e-3


@settings(max_examples=200, deadline=None)
@given(st.floats(-5e5, 5e5), st.floats(-5e5, 5e5), st.floats(0, 3e4))
def test_aer_round_trip_within_1_mm(e: float, n: float, u: float) -> None:
    frame = Frame.from_degrees(47.0, 8.0)
    sensor = np.array([10_000.0, -5_000.0, 30.0])
    target = np.array([e, n, u])
    r, az, el = frame.aer(sensor, target)
    np.testing.assert_allclose(frame.aer_to_enu(sensor, r, az, el), target, atol=1e-3, rtol=0)


def test_map_distance_is_surface_distance() -> None:
    # One degree of latitude along a meridian on the mean sphere: 2 pi R / 360 = 111.195 km.
    frame = Frame.from_degrees(10.0, 20.0)
    lat, lon = frame.map_to_geodetic(0.0, 111_195.08)
    assert np.degrees(lat) == pytest.approx(11.0, abs=1e-6)
    assert np.degrees(lon) == pytest.approx(20.0, abs=1e-9)


def test_earth_drops_below_tangent_plane() -> None:
    # ARCHITECTURE: at 400 km the surface lies ~12.5 km below the origin's tangent plane
    # (R (1 - cos(d / R)) = 12.55 km for R = 6371 km).
    frame = Frame.from_degrees(45.0, 0.0)
    p = frame.map_to_enu(400_000.0, 0.0, 0.0)
    assert p[2] == pytest.approx(-12_550.0, abs=60.0)


def test_horizon_30_m_mast() -> None:
    # Skolnik (2001) eq. 8.3 with k = 4/3: a 30 m mast sees the horizon at 22.55-22.6 km.
    assert horizon_range_m(30.0) / 1000.0 == pytest.approx(22.57, abs=0.05)


def test_horizon_25_m_mast_sees_30_m_cruise_missile_at_43_km() -> None:
    assert horizon_range_m(25.0, 30.0) / 1000.0 == pytest.approx(43.2, abs=0.3)


def test_skolnik_rule_of_thumb() -> None:
    # Skolnik (2001) eq. 8.4: d(km) = 4.12 (sqrt(h_r) + sqrt(h_t)), heights in metres.
    for hr, ht in [(10.0, 0.0), (30.0, 100.0), (50.0, 10_000.0)]:
        rule = 4.12 * (np.sqrt(hr) + np.sqrt(ht))
        assert horizon_range_m(hr, ht) / 1000.0 == pytest.approx(rule, rel=0.005)


@settings(max_examples=200, deadline=None)
@given(st.floats(1.0, 200.0), st.floats(1.0, 20_000.0))
def test_line_of_sight_agrees_with_horizon(hr: float, ht: float) -> None:
    d = float(horizon_range_m(hr, ht))
    assert line_of_sight(hr, ht, 0.99 * d)
    assert not line_of_sight(hr, ht, 1.01 * d)


def test_line_of_sight_close_targets_always_visible() -> None:
    assert np.all(line_of_sight(10.0, np.array([0.0, 10.0, 1000.0]), 1000.0))
