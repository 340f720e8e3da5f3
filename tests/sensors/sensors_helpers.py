"""Helpers for the sensor tests: small Truth objects and a test radar preset."""

from __future__ import annotations

import numpy as np

from airdefense.geo import Frame
from airdefense.sensors import Radar
from airdefense.systems.models import RadarPreset
from airdefense.world.truth import Truth

FRAME = Frame.from_degrees(50.0, 30.0, 0.0)
MAST_M = 20.0


def preset(**kw) -> RadarPreset:
    """An S-band surveillance radar (test parameters, not a real system)."""
    base = dict(
        name="test",
        frequency_hz=3.0e9,
        peak_power_w=1.0e6,
        antenna_gain_db=38.0,
        pulse_width_s=100e-6,
        range_resolution_m=150.0,
        system_noise_temperature_k=500.0,
        losses_db=8.0,
        pulses_integrated=1,
        pfa=1e-6,
        scan_period_s=1.0,
        azimuth_beamwidth_deg=1.5,
        elevation_beamwidth_deg=5.0,
        max_range_km=450.0,
        max_elevation_deg=60.0,
        antenna_height_m=MAST_M,
    )
    base.update(kw)
    return RadarPreset(**base)


def radar(
    p: RadarPreset | None = None, phase_rad: float = 0.0, boresight_rad: float = 0.0
) -> Radar:
    """A radar at the frame origin, antenna MAST_M above the ellipsoid."""
    p = p or preset()
    return Radar(
        p, 3, "r", np.array([0.0, 0.0, p.antenna_height_m]), 0.0, boresight_rad, FRAME, phase_rad
    )


def line_truth(
    p0: np.ndarray,
    v: np.ndarray,
    duration_s: float,
    dt: float = 1.0,
    rcs_m2: float | np.ndarray = 1.0,
    swerling: int | np.ndarray = 1,
) -> Truth:
    """Straight-line trajectories: p0 (N, 3) ENU at t = 0, constant velocity v (N, 3)."""
    t = np.arange(0.0, duration_s + dt, dt)
    return Truth.straight_lines(FRAME, t, p0, v, rcs_m2, swerling)


def at_map(east_m: float, north_m: float, h_m: float) -> np.ndarray:
    """ENU position of a point given in map coordinates and height above the ellipsoid."""
    return FRAME.map_to_enu(east_m, north_m, h_m)
