"""Pydantic v2 models of a scenario file.

A scenario is everything a run needs: where (origin, area), when (duration, time step),
what is defended (assets), who looks (sensors), who attacks (raids), who else flies
(recorded civil traffic) and who shoots (batteries). Field names carry their units.
Unknown keys are errors everywhere (``extra="forbid"``): a typo must not be ignored.

Cross-field checks that need the preset catalogue (preset names, overrides, ranges) live
in :mod:`airdefense.scenario.load`, which reports them with the same field paths.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Origin(_Model):
    """The scenario's origin on WGS-84: the anchor of its ENU frame."""

    lat_deg: float = Field(ge=-89.0, le=89.0)
    lon_deg: float = Field(ge=-180.0, le=180.0)
    alt_m: float = Field(0.0, ge=-500.0, le=9000.0, description="Height above the ellipsoid.")


class Position(_Model):
    """A place: either WGS-84 latitude/longitude, or east/north km along the Earth from the
    origin (azimuthal equidistant map coordinates). ``alt_m`` is height above the ellipsoid."""

    lat_deg: float | None = Field(None, ge=-90.0, le=90.0)
    lon_deg: float | None = Field(None, ge=-180.0, le=180.0)
    east_km: float | None = Field(None, ge=-5000.0, le=5000.0)
    north_km: float | None = Field(None, ge=-5000.0, le=5000.0)
    alt_m: float = Field(0.0, ge=-500.0, le=100_000.0)

    @model_validator(mode="after")
    def _one_form(self) -> Position:
        geo = (self.lat_deg is not None, self.lon_deg is not None)
        grid = (self.east_km is not None, self.north_km is not None)
        if all(geo) and not any(grid):
            return self
        if all(grid) and not any(geo):
            return self
        raise ValueError("give either lat_deg and lon_deg, or east_km and north_km")


class Asset(_Model):
    """A defended asset: what the raids aim at and the batteries protect."""

    name: str = Field(min_length=1)
    position: Position
    radius_km: float = Field(gt=0.0, le=100.0, description="A hit inside this radius hits it.")
    value: float = Field(gt=0.0, le=1e6, description="Relative value (for threat evaluation).")


class Sensor(_Model):
    """A radar: a preset, a site and any preset parameter overridden."""

    name: str = Field(min_length=1)
    preset: str
    position: Position
    boresight_deg: float = Field(0.0, ge=-360.0, le=360.0, description="Sector centre azimuth.")
    phase_deg: float = Field(0.0, ge=-360.0, le=360.0, description="Beam azimuth at t = 0.")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="Any RadarPreset parameter, e.g. antenna_height_m."
    )


class LaunchArea(_Model):
    """Where a raid's members start: a point, or uniformly inside a circle around a centre."""

    centre: Position
    radius_km: float = Field(0.0, ge=0.0, le=500.0)


class Aim(_Model):
    """What a raid's members fly to: a defended asset by name, or a point; scattered
    uniformly within ``spread_km`` of it."""

    asset: str | None = None
    point: Position | None = None
    spread_km: float = Field(0.0, ge=0.0, le=100.0)

    @model_validator(mode="after")
    def _one_target(self) -> Aim:
        if (self.asset is None) == (self.point is None):
            raise ValueError("give either asset or point")
        return self


class Raid(_Model):
    """A group of threats of one preset launched together."""

    name: str = ""
    preset: str
    count: int = Field(ge=1, le=10_000)
    launch: LaunchArea
    aim: Aim
    launch_window_s: tuple[float, float] = Field(
        (0.0, 0.0), description="First and last launch time; launches spread uniformly at random."
    )
    route: list[Position] = Field(
        default_factory=list,
        description="Waypoints between launch and aim (not for ballistic threats).",
    )
    speed_mps: float | None = Field(None, gt=0.0, le=8000.0, description="Overrides the preset.")
    cruise_altitude_m: float | None = Field(None, ge=0.0, le=40_000.0)
    rcs_m2: float | None = Field(None, gt=0.0, le=1e4)
    overrides: dict[str, Any] = Field(default_factory=dict, description="Any ThreatPreset field.")

    @field_validator("launch_window_s")
    @classmethod
    def _window(cls, value: tuple[float, float]) -> tuple[float, float]:
        t0, t1 = value
        if t0 < 0.0 or t1 < t0:
            raise ValueError(
                f"must be [first, last] with 0 <= first <= last (got [{t0:g}, {t1:g}])"
            )
        return value


class CivilTraffic(_Model):
    """Recorded ADS-B flights from a sample collection, relocated to the scenario."""

    collection: Literal["quickstart", "switzerland"]
    time_offset_s: float = Field(
        0.0, ge=0.0, le=86_400.0, description="Seconds into the recording at which the run starts."
    )
    max_flights: int | None = Field(None, ge=1, le=100_000)
    centre: Position | None = Field(
        None, description="Where the collection's centre is placed (default: the origin)."
    )
    preset: str = Field("airliner-class", description="Signature of the flights (RCS, Swerling).")


class Battery(_Model):
    """A fire unit (filled in by the engage stage): preset, site, loads."""

    name: str = Field(min_length=1)
    preset: str
    position: Position
    boresight_deg: float = Field(0.0, ge=-360.0, le=360.0)
    launchers: int | None = Field(None, ge=1, le=64)
    loads: dict[str, int] = Field(
        default_factory=dict, description="Missile preset -> rounds in the battery."
    )
    overrides: dict[str, Any] = Field(default_factory=dict)


ThreatClass = Literal["aircraft", "cruise", "drone", "ballistic"]


class RulesOfEngagement(_Model):
    """Which track identities may be engaged, and the evidence identification works from."""

    engage_identities: list[Literal["hostile", "unknown"]] = Field(
        default_factory=lambda: ["hostile"],
        description="Identities that may be engaged. Civil and friend never may.",
    )
    unknown_inside_km: float | None = Field(
        default=None,
        gt=0.0,
        description="With 'unknown' listed: only unknowns predicted to reach an asset within "
        "this distance (self-defence); None: any threatening unknown.",
    )
    reply_probability: float = Field(
        0.95, gt=0.0, le=1.0, description="A transponder answers an interrogation."
    )
    silent_interrogations: int = Field(
        3, ge=1, le=100, description="Unanswered interrogations running that make hostile."
    )
    flight_plan_distance_km: float = Field(
        5.0, gt=0.0, le=100.0, description="A track this close to a filed civil flight plan."
    )


def _default_salvo() -> dict[str, int]:
    return {"aircraft": 2, "cruise": 1, "drone": 1, "ballistic": 2}


def _default_damage() -> dict[str, float]:
    return {"aircraft": 0.1, "cruise": 0.2, "drone": 0.02, "ballistic": 0.3}


class Doctrine(_Model):
    """How the batteries fight: decision cycle, salvo sizes, reserve, what things are worth."""

    decision_cycle_s: float = Field(2.0, gt=0.0, le=60.0)
    salvo: dict[ThreatClass, int] = Field(
        default_factory=_default_salvo,
        description="Most interceptors fired at one threat of a class in one cycle.",
    )
    shoot_look_shoot: bool = Field(
        True,
        description="While a threat's interceptors fly, fire no more at it if a second "
        "salvo after their outcome would still be in time.",
    )
    reserve_fraction: float = Field(
        0.1, ge=0.0, lt=1.0, description="Share of each battery's rounds kept for later waves."
    )
    damage_share: dict[ThreatClass, float] = Field(
        default_factory=_default_damage,
        description="Share of an asset's value one threat of a class destroys.",
    )
    value_per_million_usd: float = Field(
        1.0,
        ge=0.0,
        description="What an interceptor's cost weighs against asset value: value units per "
        "US$1M (0: fire whatever is most likely to kill).",
    )
    flyout_fraction: float = Field(
        0.7,
        gt=0.0,
        le=1.0,
        description="Fire only at an intercept reached within this share of the missile's "
        "maximum flight time (inside its no-escape zone: a target turning away from a missile "
        "fired at the edge of its envelope outruns it).",
    )
    solver: Literal["auto", "exact", "heuristic"] = Field(
        "auto",
        description="Assignment solver per decision cycle: auto (a proven optimum by branch "
        "and bound where it finishes quickly, else the heuristic), exact (a proven optimum, "
        "by MILP where branch and bound cannot finish) or heuristic.",
    )


class TrackerSettings(_Model):
    """How the tracker runs: filter, association, gates and track management.

    Defaults follow Blackman and Popoli, *Design and Analysis of Modern Tracking Systems*
    (1999): a 3-of-5 confirmation, deletion after a few missed revisits, a chi-square gate
    at probability 0.9997 on three degrees of freedom. ``airdefense track --config`` reads
    the same settings (plus the sensors' positions) from a YAML file.
    """

    filter: Literal["cv", "imm"] = Field(
        default="imm",
        description="imm: IMM of constant velocity and constant acceleration, for an air "
        "picture where fighters turn and missiles boost and re-enter; cv: one Kalman filter, "
        "constant velocity (faster, for benign traffic).",
    )
    association: Literal["gnn", "jpda"] = "gnn"
    process_noise_m2ps3: float = Field(
        default=5.0,
        gt=0,
        description="Power spectral density q of the continuous white-noise acceleration of "
        "the constant-velocity model (m^2/s^3; Stone Soup's noise_diff_coeff); the IMM's "
        "quiet model uses it too.",
    )
    manoeuvre_model: Literal["singer", "ca"] = Field(
        default="singer",
        description="IMM manoeuvring model: singer (constant acceleration fading with "
        "manoeuvre_time_s; bounded, suits long revisits) or ca (Wiener-process constant "
        "acceleration, q = 2 sigma^2 / tau; suits revisits of a second or two).",
    )
    manoeuvre_acceleration_mps2: float = Field(
        default=30.0,
        gt=0,
        description="IMM manoeuvring model (Singer): standard deviation of the target's "
        "manoeuvre acceleration (m/s^2; 30 is about 3 g).",
    )
    manoeuvre_time_s: float = Field(
        default=20.0,
        gt=0,
        description="IMM manoeuvring model (Singer): how long a manoeuvre's acceleration "
        "persists (time constant, s).",
    )
    imm_switch_probability: float = Field(default=0.05, gt=0, lt=1)
    gate_probability: float = Field(default=0.9997, gt=0.5, lt=1)
    detection_probability: float = Field(default=0.9, gt=0, le=1)
    clutter_density_per_m3: float = Field(
        default=1e-13, gt=0, description="JPDA: false plots per cubic metre per scan."
    )
    confirm_m: int = Field(default=3, ge=1, description="M of the M-of-N confirmation.")
    confirm_n: int = Field(default=5, ge=1, description="N of the M-of-N confirmation.")
    max_misses: int = Field(
        default=3, ge=1, description="Confirmed track dropped after this many missed revisits."
    )
    tentative_max_misses: int = Field(default=2, ge=1)
    max_position_sigma_m: float = Field(
        default=20_000.0, gt=0, description="Dropped when the position sigma grows past this."
    )
    max_speed_mps: float = Field(
        default=1_500.0,
        gt=0,
        description="A new track's velocity prior: zero mean, this as its 1-sigma per axis / 2.",
    )
    revisit_s: float | None = Field(
        default=None,
        gt=0,
        description="Revisit time of Cartesian measurements; default: measured from the data.",
    )
    batch_window_s: float = Field(
        default=1.0,
        ge=0,
        description="Plots of one sensor within this time of each other form one batch.",
    )

    @model_validator(mode="after")
    def _m_of_n(self) -> TrackerSettings:
        if self.confirm_m > self.confirm_n:
            raise ValueError(
                f"confirm_m ({self.confirm_m}) must be <= confirm_n ({self.confirm_n})"
            )
        return self


class Scenario(_Model):
    """A whole scenario file."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1)
    duration_s: float = Field(gt=0.0, le=86_400.0)
    time_step_s: float = Field(1.0, gt=0.0, le=60.0)
    origin: Origin
    area_radius_km: float = Field(
        600.0,
        gt=0.0,
        le=3000.0,
        description="Everything placed must lie within this of the origin.",
    )
    assets: list[Asset] = Field(default_factory=list)
    sensors: list[Sensor] = Field(min_length=1)
    raids: list[Raid] = Field(default_factory=list)
    civil_traffic: list[CivilTraffic] = Field(default_factory=list)
    batteries: list[Battery] = Field(default_factory=list)
    tracking: TrackerSettings = Field(default_factory=lambda: TrackerSettings())
    rules_of_engagement: RulesOfEngagement = Field(default_factory=lambda: RulesOfEngagement())
    doctrine: Doctrine = Field(default_factory=lambda: Doctrine())
