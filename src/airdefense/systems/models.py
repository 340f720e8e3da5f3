"""Pydantic models of system presets: radars, threats, interceptor missiles, batteries.

A preset is a named set of parameters with the public source of each figure in ``sources``
(field name -> where it was reported, or "assumption: ..." where nothing public exists).
A scenario names a preset and may override any of its parameters; the merged values are
validated by the same model, so an override obeys the same bounds as the preset.
Field names carry their units; values are SI apart from the unit named in the field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from airdefense.strict import StrictModel


class _Preset(StrictModel):
    name: str = Field(description="Preset name, as a scenario refers to it.")
    description: str = Field("", description="One line on what the preset stands for.")
    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Field name -> public source of its figure, or 'assumption: ...'.",
    )


class RadarPreset(_Preset):
    """A pulsed radar, surveillance (rotating, 360 deg) or sector-scanning (phased array)."""

    role: Literal["surveillance", "engagement"] = "surveillance"
    scan: Literal["rotating", "sector"] = Field(
        "rotating", description="rotating: the beam sweeps 360 deg; sector: it sweeps a sector."
    )
    sector_width_deg: float = Field(360.0, gt=0.0, le=360.0, description="Azimuth sector swept.")
    frequency_hz: float = Field(gt=1e6, le=1e11, description="Carrier frequency.")
    peak_power_w: float = Field(gt=0.0, le=1e8)
    antenna_gain_db: float = Field(
        gt=0.0, le=60.0, description="One-way gain (transmit = receive)."
    )
    pulse_width_s: float = Field(gt=0.0, le=1e-2, description="Uncompressed pulse width.")
    range_resolution_m: float = Field(
        ge=1.0, le=10_000.0, description="After pulse compression (at least 1 m)."
    )
    system_noise_temperature_k: float = Field(gt=0.0, le=1e5)
    losses_db: float = Field(ge=0.0, le=40.0, description="Total system losses.")
    pulses_integrated: int = Field(
        1, ge=1, le=8096, description="Non-coherently integrated pulses."
    )
    pfa: float = Field(1e-6, gt=0.0, lt=1e-2, description="False-alarm probability per cell.")
    scan_period_s: float = Field(
        ge=0.1, le=120.0, description="Time to sweep the scan once (at least 0.1 s)."
    )
    azimuth_beamwidth_deg: float = Field(ge=0.1, le=30.0, description="One-way 3 dB width.")
    elevation_beamwidth_deg: float = Field(ge=0.1, le=90.0, description="One-way 3 dB width.")
    min_range_km: float = Field(0.5, ge=0.0, le=1_000.0, description="Blind range.")
    max_range_km: float = Field(gt=0.0, le=5000.0, description="Instrumented range.")
    min_elevation_deg: float = Field(-2.0, ge=-10.0, le=90.0)
    max_elevation_deg: float = Field(60.0, gt=-10.0, le=90.0)
    antenna_height_m: float = Field(
        10.0, ge=0.0, le=1000.0, description="Phase centre above ground."
    )
    angle_sigma_floor_deg: float = Field(
        0.05, ge=0.0, le=5.0, description="Bias-free angle noise floor."
    )
    range_sigma_floor_m: float = Field(5.0, ge=0.0, le=1000.0, description="Range noise floor.")

    @model_validator(mode="after")
    def _check_limits(self) -> RadarPreset:
        if self.max_elevation_deg <= self.min_elevation_deg:
            raise ValueError("max_elevation_deg must be > min_elevation_deg")
        if self.max_range_km <= self.min_range_km:
            raise ValueError("max_range_km must be > min_range_km")
        if self.scan == "rotating" and self.sector_width_deg != 360.0:
            raise ValueError("a rotating radar sweeps sector_width_deg = 360")
        return self


ThreatCategory = Literal["ballistic", "cruise", "drone", "aircraft", "civil"]


class ThreatPreset(_Preset):
    """An air object: its flight model, speed, signature and cost."""

    category: ThreatCategory
    motion: Literal["ballistic", "cruise", "waypoint"] = Field(
        description="ballistic: powered boost then free flight; cruise: holds a height above "
        "the ellipsoid; waypoint: constant speed between waypoints with bounded turn rate."
    )
    speed_mps: float = Field(
        gt=0.0, le=8000.0, description="Cruise speed (burnout speed is solved)."
    )
    cruise_altitude_m: float = Field(ge=0.0, le=40_000.0, description="Height above the ellipsoid.")
    max_turn_rate_deg_s: float = Field(3.0, gt=0.0, le=90.0)
    rcs_m2: float = Field(gt=0.0, le=1e4, description="Mean radar cross section (X band nominal).")
    swerling: Literal[0, 1, 2, 3, 4] = 1
    max_range_km: float = Field(gt=0.0, le=20_000.0, description="Longest flight.")
    min_range_km: float = Field(0.0, ge=0.0, le=20_000.0, description="Shortest flight.")
    cost_usd: float = Field(0.0, ge=0.0, le=1e10, description="Price of one (US$).")
    # ballistic only
    loft_angle_deg: float = Field(
        40.0, gt=0.0, lt=90.0, description="Flight-path angle at burnout (ballistic)."
    )
    boost_time_s: float = Field(0.0, ge=0.0, le=600.0, description="Motor burn time (ballistic).")
    ballistic_coefficient_kg_m2: float = Field(
        5000.0, gt=0.0, le=1e6, description="m / (Cd A) of the re-entering body (ballistic)."
    )
    transponder: bool = Field(False, description="Replies to secondary-radar interrogation.")

    @model_validator(mode="after")
    def _check_ranges(self) -> ThreatPreset:
        if self.max_range_km <= self.min_range_km:
            raise ValueError("max_range_km must be > min_range_km")
        return self


class MissilePreset(_Preset):
    """A surface-to-air interceptor type: envelope, motor, airframe, guidance and lethality.

    The flyout (:mod:`airdefense.engagement.flyout`) flies it as a point mass: thrust
    ``specific_impulse_s * g0 * mdot`` while each motor phase burns its propellant at a
    constant rate (boost, then an optional sustain phase), drag
    ``0.5 rho V^2 reference_area_m2 drag_coefficient``, lateral acceleration up to
    ``q reference_area_m2 max_normal_force_coefficient / m`` capped at ``max_lateral_g``.
    """

    min_range_km: float = Field(ge=0.0, le=1000.0, description="Shortest intercept range.")
    max_range_km: float = Field(gt=0.0, le=1000.0, description="Longest intercept range.")
    min_altitude_m: float = Field(ge=0.0, le=100_000.0, description="Lowest intercept.")
    max_altitude_km: float = Field(gt=0.0, le=200.0)
    max_speed_mps: float = Field(gt=0.0, le=5000.0)
    boost_time_s: float = Field(gt=0.0, le=120.0)
    max_flight_time_s: float = Field(gt=0.0, le=1000.0)
    max_lateral_g: float = Field(gt=0.0, le=100.0, description="At sea level; falls with density.")
    navigation_constant: float = Field(4.0, ge=2.0, le=6.0, description="PN N'.")
    lethal_radius_m: float = Field(gt=0.0, le=200.0)
    cost_usd: float = Field(ge=0.0, le=1e9, description="Price of one round (US$).")
    per_launcher: int = Field(ge=1, le=64, description="Missiles carried by one launcher.")
    # motor and airframe (flyout kinematics)
    launch_mass_kg: float = Field(gt=0.0, le=20_000.0, description="Mass at launch.")
    boost_propellant_kg: float = Field(
        gt=0.0, le=20_000.0, description="Propellant burnt at a constant rate over boost_time_s."
    )
    sustain_time_s: float = Field(
        0.0, ge=0.0, le=300.0, description="Sustain (or second-pulse) burn after the boost."
    )
    sustain_propellant_kg: float = Field(
        0.0,
        ge=0.0,
        le=20_000.0,
        description="Propellant burnt at a constant rate over sustain_time_s.",
    )
    specific_impulse_s: float = Field(gt=0.0, le=400.0, description="Delivered Isp of the motor.")
    reference_area_m2: float = Field(
        gt=0.0, le=2.0, description="Body cross-section the coefficients refer to."
    )
    drag_coefficient: float = Field(
        gt=0.0, le=2.0, description="Zero-lift drag coefficient on reference_area_m2."
    )
    max_normal_force_coefficient: float = Field(
        gt=0.0, le=60.0, description="Largest trimmed normal-force coefficient (aerodynamic g)."
    )
    reaction_control_g: float = Field(
        0.0,
        ge=0.0,
        le=100.0,
        description="Lateral g from reaction jets in the terminal phase, at any air density.",
    )
    # guidance and lethality
    seeker_acquisition_range_km: float = Field(
        gt=0.0, le=500.0, description="Terminal homing on the target begins inside this range."
    )
    reliability: float = Field(
        gt=0.0, le=1.0, description="Single-shot reliability: motor, guidance and fuze work."
    )
    warhead_pk: dict[ThreatCategory, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=dict,
        description="Target category -> kill probability of a pass within lethal_radius_m "
        "given a working missile (1 for a category not listed).",
    )

    @model_validator(mode="after")
    def _check_ranges(self) -> MissilePreset:
        if self.max_range_km <= self.min_range_km:
            raise ValueError("max_range_km must be > min_range_km")
        burnt = self.boost_propellant_kg + self.sustain_propellant_kg
        if burnt >= self.launch_mass_kg:
            raise ValueError("boost + sustain propellant must be < launch_mass_kg")
        if (self.sustain_time_s > 0.0) != (self.sustain_propellant_kg > 0.0):
            raise ValueError("sustain_time_s and sustain_propellant_kg are both 0 or both > 0")
        if not all(0.0 <= p <= 1.0 for p in self.warhead_pk.values()):
            raise ValueError("warhead_pk values must lie in [0, 1]")
        return self


class BatteryPreset(_Preset):
    """A fire unit: command post, radars, launchers and the limits doctrine works within."""

    surveillance_radar: str = Field(description="RadarPreset name.")
    engagement_radar: str = Field(description="RadarPreset name.")
    missiles: list[str] = Field(
        min_length=1, description="MissilePreset names the launchers carry."
    )
    launchers: int = Field(ge=1, le=64)
    target_channels: int = Field(ge=1, le=1000, description="Targets engaged at once.")
    missile_channels: int = Field(ge=1, le=2000, description="Missiles guided at once.")
    launch_interval_s: float = Field(gt=0.0, le=60.0)
    reload_time_s: float = Field(gt=0.0, le=36_000.0)
    reaction_time_s: float = Field(ge=0.0, le=600.0, description="From track to first launch.")
    readiness_time_s: float = Field(ge=0.0, le=36_000.0, description="March to combat readiness.")
    launcher_height_m: float = Field(
        5.0,
        ge=0.0,
        le=100.0,
        description="Launch tubes above the ground (assumption: a transporter-erector-launcher "
        "raises its canisters a few metres).",
    )
