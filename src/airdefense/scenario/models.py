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

from airdefense.types.settings import Doctrine, Origin, RulesOfEngagement, TrackerSettings


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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

    def with_changes(self, changes: dict[str, Any]) -> Scenario:
        """This scenario with fields changed by path, validated as a file is::

            sc.with_changes({"raids.cruise.count": 24, "doctrine.salvo.cruise": 2})

        List items are named by their ``name`` (or position, for items without one); see
        :mod:`airdefense.scenario.changes`. A path that leads nowhere or a value the
        scenario does not allow raises the one-line error the command line prints."""
        from airdefense.scenario.changes import with_changes

        return with_changes(self, changes, source=self.name)
