"""The theatre: a scenario resolved once into what the stages use, immutable.

:func:`airdefense.scenario.resolve` builds a :class:`Theatre` from a validated scenario file:
every site, asset, launch area and aim point placed in the scenario's ENU frame in metres,
every preset resolved with its overrides (validated by the preset's own model), SI units,
each object's side. The stages (world, sensors, tracking, engagement), the loop and the
record take the theatre or a part of it, never the YAML models: positions are converted
once, here, and nowhere else.

Frames and units: ``enu`` is (east, north, up) metres in the scenario's local frame
(:class:`~airdefense.geo.Frame`, anchored at the origin); ``east_m``/``north_m`` are map
coordinates (the azimuthal equidistant projection about the origin in which scenarios lay
out routes); ``height_m`` is height above the WGS-84 ellipsoid; angles are radians apart
from ``lat_deg``/``lon_deg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from airdefense.geo import Frame
from airdefense.systems.models import BatteryPreset, MissilePreset, RadarPreset, ThreatPreset
from airdefense.types.settings import Doctrine, RulesOfEngagement, TrackerSettings

#: Which side an object flies for. Raids are hostile, recorded civil traffic neutral; own
#: aircraft (friends) are the identification issue's.
Side = Literal["hostile", "friend", "neutral"]
SIDES: tuple[Side, ...] = ("hostile", "friend", "neutral")


@dataclass(frozen=True)
class Place:
    """A point of the theatre: map east/north and height, its ENU position and its latitude
    and longitude (of the point on the ellipsoid below it)."""

    east_m: float
    north_m: float
    height_m: float  # above the WGS-84 ellipsoid
    enu: tuple[float, float, float]
    lat_deg: float
    lon_deg: float

    @classmethod
    def on_map(cls, frame: Frame, east_m: float, north_m: float, height_m: float) -> Place:
        """The point at map coordinates (east, north) and a height above the ellipsoid."""
        x, y, z = frame.map_to_enu(east_m, north_m, height_m)
        lat, lon = frame.map_to_geodetic(east_m, north_m)
        return cls(
            float(east_m),
            float(north_m),
            float(height_m),
            (float(x), float(y), float(z)),
            float(np.degrees(lat)),
            float(np.degrees(lon)),
        )

    @property
    def xyz(self) -> NDArray[np.float64]:
        """ENU position (3,) as a new array."""
        return np.array(self.enu, dtype=np.float64)

    @property
    def map_xyh(self) -> NDArray[np.float64]:
        """(east, north, height) (3,) as a new array."""
        return np.array((self.east_m, self.north_m, self.height_m), dtype=np.float64)


@dataclass(frozen=True)
class AssetSite:
    """A defended asset: what the raids aim at and the batteries protect."""

    asset_id: int
    name: str
    place: Place
    radius_m: float  # a hit inside this radius hits it
    value: float  # relative value (threat evaluation)


@dataclass(frozen=True)
class RadarSite:
    """A radar at its site: its preset with the scenario's overrides applied, where its
    antenna's phase centre is (``antenna_enu``, on its mast above ``ground``), where it looks
    (``boresight_rad``, clockwise from north) and its beam azimuth at t = 0."""

    sensor_id: int
    name: str
    preset: RadarPreset
    ground: Place
    antenna_enu: tuple[float, float, float]
    boresight_rad: float
    phase_rad: float

    @property
    def antenna_xyz(self) -> NDArray[np.float64]:
        """The antenna's ENU position (3,) as a new array."""
        return np.array(self.antenna_enu, dtype=np.float64)


@dataclass(frozen=True)
class RaidPlan:
    """A raid as ordered: ``count`` objects of one preset launched from a disc around
    ``launch`` over ``launch_window_s``, flying ``route`` to a point scattered within
    ``aim_spread_m`` of ``aim`` (a defended asset's centre when ``aim_asset`` >= 0)."""

    raid_id: int
    name: str  # what its objects are named after (``<name>-001`` ...)
    preset: ThreatPreset
    side: Side
    count: int
    launch: Place
    launch_radius_m: float
    aim_asset: int  # asset_id aimed at, -1 for a point
    aim: Place
    aim_spread_m: float
    launch_window_s: tuple[float, float]
    route: tuple[Place, ...]


@dataclass(frozen=True)
class CivilTrafficPlan:
    """Recorded ADS-B flights of a sample collection, relocated to the theatre."""

    index: int
    collection: str
    time_offset_s: float  # seconds into the recording at which the run starts
    max_flights: int | None  # None: every flight of the window, the same every trial
    centre: Place | None  # where the collection's centre is placed (None: the origin)
    preset: ThreatPreset  # the flights' signature (RCS, Swerling)
    side: Side = "neutral"


@dataclass(frozen=True)
class BatterySite:
    """A fire unit: its preset with overrides, where its launchers stand, how many, and the
    rounds it carries per missile type (in the scenario's order; the preset's even share of
    launchers when the scenario gives none)."""

    battery_id: int
    name: str
    preset: BatteryPreset
    place: Place  # the ground under the launchers
    launcher_enu: tuple[float, float, float]  # launch tubes, preset.launcher_height_m up
    boresight_rad: float
    launchers: int
    loads: tuple[tuple[MissilePreset, int], ...]  # (missile preset, rounds)


@dataclass(frozen=True)
class Theatre:
    """A scenario resolved: what the stages read. Immutable."""

    name: str
    description: str
    seed: int
    duration_s: float
    time_step_s: float
    frame: Frame
    origin: tuple[float, float, float]  # the frame's origin as given: lat_deg, lon_deg, alt_m
    area_radius_m: float
    assets: tuple[AssetSite, ...]
    radars: tuple[RadarSite, ...]
    raids: tuple[RaidPlan, ...]
    civil_traffic: tuple[CivilTrafficPlan, ...]
    batteries: tuple[BatterySite, ...]
    tracking: TrackerSettings
    rules: RulesOfEngagement
    doctrine: Doctrine
    #: the scenario as run, defaults filled in, as YAML text (a run directory's
    #: ``scenario.yaml``)
    document: str = ""
    #: where the scenario came from (its file), for the line of an error found later
    source: str = "<scenario>"

    @property
    def asset_xyz(self) -> NDArray[np.float64]:
        """ENU centres (A, 3) of the defended assets."""
        return np.array([a.place.enu for a in self.assets], dtype=np.float64).reshape(-1, 3)

    @property
    def asset_radius_m(self) -> NDArray[np.float64]:
        """Radii (A,) of the defended assets."""
        return np.array([a.radius_m for a in self.assets], dtype=np.float64)

    @property
    def asset_value(self) -> NDArray[np.float64]:
        """Values (A,) of the defended assets."""
        return np.array([a.value for a in self.assets], dtype=np.float64)
