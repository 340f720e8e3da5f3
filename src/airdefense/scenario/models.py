"""Pydantic v2 models of a scenario file.

A scenario is everything a run needs: where (origin, area), when (duration, time step),
what is defended (assets), who looks (sensors), who attacks (raids), who else flies
(recorded civil traffic) and who shoots (batteries). Field names carry their units.
Unknown keys are errors everywhere (``extra="forbid"``): a typo must not be ignored.

Cross-field checks that need the preset catalogue (preset names, overrides, ranges) live
in :mod:`airdefense.scenario.load`, which reports them with the same field paths.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from airdefense.strict import StrictModel
from airdefense.types.settings import Doctrine, Origin, RulesOfEngagement, TrackerSettings


class _Model(StrictModel):
    """Unknown keys refused, frozen, finite numbers, no true/false for a number."""


class Position(_Model):
    """A place: either WGS-84 latitude/longitude, or east/north km along the Earth from the
    origin (azimuthal equidistant map coordinates). ``alt_m`` is height above the ellipsoid."""

    lat_deg: float | None = Field(None, ge=-90.0, le=90.0, description="WGS-84 latitude.")
    lon_deg: float | None = Field(None, ge=-180.0, le=180.0, description="WGS-84 longitude.")
    east_km: float | None = Field(
        None, ge=-5000.0, le=5000.0, description="Map east of the origin, along the Earth."
    )
    north_km: float | None = Field(
        None, ge=-5000.0, le=5000.0, description="Map north of the origin, along the Earth."
    )
    alt_m: float = Field(0.0, ge=-500.0, le=100_000.0, description="Height above the ellipsoid.")

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

    name: str = Field(min_length=1, description="Its name (raids aim at it by name).")
    position: Position = Field(description="Its centre.")
    radius_km: float = Field(gt=0.0, le=100.0, description="A hit inside this radius hits it.")
    value: float = Field(gt=0.0, le=1e6, description="Relative value (for threat evaluation).")


class Sensor(_Model):
    """A radar: a preset, a site and any preset parameter overridden."""

    name: str = Field(min_length=1, description="Its name (unique among the sensors).")
    preset: str = Field(description="A radar preset (`airdefense presets`).")
    position: Position = Field(description="Its site (the antenna stands on its mast above).")
    boresight_deg: float = Field(0.0, ge=-360.0, le=360.0, description="Sector centre azimuth.")
    phase_deg: float = Field(0.0, ge=-360.0, le=360.0, description="Beam azimuth at t = 0.")
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="Any RadarPreset parameter, e.g. antenna_height_m."
    )


class LaunchArea(_Model):
    """Where a raid's members start: a point, or uniformly inside a circle around a centre."""

    centre: Position = Field(description="The launch area's centre.")
    radius_km: float = Field(
        0.0, ge=0.0, le=500.0, description="Launch points uniform in a disc this wide."
    )


class Aim(_Model):
    """What a raid's members fly to: a defended asset by name, or a point; scattered
    uniformly within ``spread_km`` of it."""

    asset: str | None = Field(None, description="A defended asset's name.")
    point: Position | None = Field(None, description="Or a point.")
    spread_km: float = Field(
        0.0, ge=0.0, le=100.0, description="Aim points uniform in a disc this wide around it."
    )

    @model_validator(mode="after")
    def _one_target(self) -> Aim:
        if (self.asset is None) == (self.point is None):
            raise ValueError("give either asset or point")
        return self


class Raid(_Model):
    """A group of threats of one preset launched together."""

    name: str = Field(
        "", description="Its name: objects are named <name>-001...; changes address it by name."
    )
    preset: str = Field(description="A threat preset (`airdefense presets`).")
    count: int = Field(ge=1, le=10_000, description="Objects in the raid.")
    launch: LaunchArea = Field(description="Where they start.")
    aim: Aim = Field(description="What they fly to.")
    launch_window_s: tuple[
        Annotated[float, Field(ge=0.0, le=86_400.0)], Annotated[float, Field(ge=0.0, le=86_400.0)]
    ] = Field(
        (0.0, 0.0), description="First and last launch time; launches spread uniformly at random."
    )
    route: list[Position] = Field(
        default_factory=list,
        description="Waypoints between launch and aim (not for ballistic threats).",
    )
    speed_mps: float | None = Field(None, gt=0.0, le=8000.0, description="Overrides the preset.")
    cruise_altitude_m: float | None = Field(
        None, ge=0.0, le=40_000.0, description="Overrides the preset (above the ellipsoid)."
    )
    rcs_m2: float | None = Field(
        None, gt=0.0, le=1e4, description="Radar cross section; overrides the preset."
    )
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

    collection: Literal["quickstart", "switzerland"] = Field(
        description="A sample collection of the `traffic` package."
    )
    time_offset_s: float = Field(
        0.0, ge=0.0, le=86_400.0, description="Seconds into the recording at which the run starts."
    )
    max_flights: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="At most this many flights, drawn at random each trial (None: every one).",
    )
    centre: Position | None = Field(
        None, description="Where the collection's centre is placed (default: the origin)."
    )
    preset: str = Field("airliner-class", description="Signature of the flights (RCS, Swerling).")


class Battery(_Model):
    """A fire unit (filled in by the engage stage): preset, site, loads."""

    name: str = Field(min_length=1, description="Its name (unique among the batteries).")
    preset: str = Field(description="A battery preset (`airdefense presets`).")
    position: Position = Field(description="Where its launchers stand.")
    boresight_deg: float = Field(
        0.0, ge=-360.0, le=360.0, description="Where its engagement radar faces."
    )
    launchers: int | None = Field(None, ge=1, le=64, description="Launchers (None: the preset's).")
    loads: dict[str, Annotated[int, Field(ge=0, le=10_000)]] = Field(
        default_factory=dict, description="Missile preset -> rounds in the battery."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="Any BatteryPreset parameter, e.g. target_channels."
    )


class Scenario(_Model):
    """A whole scenario file."""

    name: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Its name (run directories are named after it).",
    )
    description: str = Field("", description="What it is for, in a few sentences.")
    seed: int = Field(
        0, ge=0, le=2**63 - 1, description="Seed of every random stream (with the trial number)."
    )
    duration_s: float = Field(gt=0.0, le=86_400.0, description="Simulated time.")
    time_step_s: float = Field(
        1.0, gt=0.0, le=60.0, description="Step of the time grid truth is computed on."
    )
    origin: Origin = Field(description="Anchor of the scenario's ENU frame and map.")
    area_radius_km: float = Field(
        600.0,
        gt=0.0,
        le=3000.0,
        description="Everything placed must lie within this of the origin.",
    )
    assets: list[Asset] = Field(default_factory=list, description="What is defended.")
    sensors: list[Sensor] = Field(min_length=1, description="The radars.")
    raids: list[Raid] = Field(default_factory=list, description="Who attacks.")
    civil_traffic: list[CivilTraffic] = Field(
        default_factory=list, description="Recorded civil flights in the picture."
    )
    batteries: list[Battery] = Field(default_factory=list, description="Who shoots.")
    tracking: TrackerSettings = Field(
        default_factory=lambda: TrackerSettings(), description="How the tracker runs."
    )
    rules_of_engagement: RulesOfEngagement = Field(
        default_factory=lambda: RulesOfEngagement(),
        description="What may be engaged, and the evidence identification works from.",
    )
    doctrine: Doctrine = Field(
        default_factory=lambda: Doctrine(), description="How the batteries fight."
    )

    def with_changes(self, changes: dict[str, Any]) -> Scenario:
        """This scenario with fields changed by path, validated as a file is::

            sc.with_changes({"raids.cruise.count": 24, "doctrine.salvo.cruise": 2})

        List items are named by their ``name`` (or position, for items without one); see
        :mod:`airdefense.scenario.changes`. A path that leads nowhere or a value the
        scenario does not allow raises the one-line error the command line prints."""
        from airdefense.scenario.changes import with_changes

        return with_changes(self, changes, source=self.name)
