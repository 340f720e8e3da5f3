"""From a validated scenario to the theatre the stages use: resolved once, here.

:func:`resolve` places every site, asset, launch area, aim point and route in the scenario's
ENU frame (metres), applies every preset's overrides (validated by the preset's own model),
fills default loads, and gives each raid and traffic collection its side. This module and
:mod:`airdefense.scenario.load` are the only ones that read the YAML models; everything
downstream takes the :class:`~airdefense.types.theatre.Theatre`.
"""

from __future__ import annotations

import numpy as np
import yaml

from airdefense.geo import Frame
from airdefense.scenario.load import (
    _merge,
    _preset_name,
    position_to_map,
    raid_preset,
    sensor_preset,
)
from airdefense.scenario.models import Battery, CivilTraffic, Position, Raid, Scenario, Sensor
from airdefense.systems import catalog
from airdefense.systems.models import BatteryPreset, MissilePreset, ThreatPreset
from airdefense.types.theatre import (
    AssetSite,
    BatterySite,
    CivilTrafficPlan,
    Place,
    RadarSite,
    RaidPlan,
    Theatre,
)


def resolve(scenario: Scenario, source: str = "<scenario>") -> Theatre:
    """The theatre of a validated scenario (``source`` names it in errors, which can only
    come from a scenario that skipped :func:`~airdefense.scenario.load.check_scenario`)."""
    s = scenario
    frame = Frame.from_degrees(s.origin.lat_deg, s.origin.lon_deg, s.origin.alt_m)
    assets = tuple(
        AssetSite(i, a.name, _place(frame, a.position), a.radius_km * 1000.0, a.value)
        for i, a in enumerate(s.assets)
    )
    return Theatre(
        name=s.name,
        description=s.description,
        seed=s.seed,
        duration_s=float(s.duration_s),
        time_step_s=float(s.time_step_s),
        frame=frame,
        origin=(s.origin.lat_deg, s.origin.lon_deg, s.origin.alt_m),
        area_radius_m=s.area_radius_km * 1000.0,
        assets=assets,
        radars=tuple(_radar(frame, i, x, source) for i, x in enumerate(s.sensors)),
        raids=tuple(_raid(frame, s, i, r, source) for i, r in enumerate(s.raids)),
        civil_traffic=tuple(_civil(frame, i, c, source) for i, c in enumerate(s.civil_traffic)),
        batteries=tuple(_battery(frame, i, b, source) for i, b in enumerate(s.batteries)),
        tracking=s.tracking,
        rules=s.rules_of_engagement,
        doctrine=s.doctrine,
        document=document(s),
        source=source,
    )


def document(scenario: Scenario) -> str:
    """The scenario as YAML text, defaults filled in (what a run directory records)."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _place(frame: Frame, pos: Position) -> Place:
    return Place.on_map(frame, *position_to_map(frame, pos))


def _radar(frame: Frame, i: int, sensor: Sensor, source: str) -> RadarSite:
    preset = sensor_preset(sensor, source, f"sensors[{i}]")
    ground = _place(frame, sensor.position)
    antenna = frame.map_to_enu(
        ground.east_m, ground.north_m, ground.height_m + preset.antenna_height_m
    )
    return RadarSite(
        sensor_id=i,
        name=sensor.name,
        preset=preset,
        ground=ground,
        antenna_enu=(float(antenna[0]), float(antenna[1]), float(antenna[2])),
        boresight_rad=float(np.radians(sensor.boresight_deg)),
        phase_rad=float(np.radians(sensor.phase_deg)),
    )


def _raid(frame: Frame, s: Scenario, i: int, raid: Raid, source: str) -> RaidPlan:
    preset = raid_preset(raid, source, f"raids[{i}]")
    if raid.aim.asset is not None:
        aim_asset = [a.name for a in s.assets].index(raid.aim.asset)
        aim = _place(frame, s.assets[aim_asset].position)
    else:
        assert raid.aim.point is not None  # checked by the model
        aim_asset = -1
        aim = _place(frame, raid.aim.point)
    return RaidPlan(
        raid_id=i,
        name=raid.name or f"raid{i}",
        preset=preset,
        side="neutral" if preset.category == "civil" else "hostile",
        count=raid.count,
        launch=_place(frame, raid.launch.centre),
        launch_radius_m=raid.launch.radius_km * 1000.0,
        aim_asset=aim_asset,
        aim=aim,
        aim_spread_m=raid.aim.spread_km * 1000.0,
        launch_window_s=(float(raid.launch_window_s[0]), float(raid.launch_window_s[1])),
        route=tuple(_place(frame, w) for w in raid.route),
    )


def _civil(frame: Frame, i: int, c: CivilTraffic, source: str) -> CivilTrafficPlan:
    preset = _preset_name(source, f"civil_traffic[{i}].preset", "threat", c.preset)
    assert isinstance(preset, ThreatPreset)
    return CivilTrafficPlan(
        index=i,
        collection=c.collection,
        time_offset_s=float(c.time_offset_s),
        max_flights=c.max_flights,
        centre=None if c.centre is None else _place(frame, c.centre),
        preset=preset,
    )


def default_loads(preset: BatteryPreset, launchers: int) -> dict[str, int]:
    """Rounds per missile type when the scenario gives none: the launchers shared evenly
    among the preset's missile types (the first types get the odd ones), each carrying its
    type's ``per_launcher`` rounds."""
    types = preset.missiles
    share = [
        launchers // len(types) + (1 if i < launchers % len(types) else 0)
        for i in range(len(types))
    ]
    return {
        name: n * catalog.MISSILES[name].per_launcher for name, n in zip(types, share, strict=True)
    }


def _battery(frame: Frame, i: int, bat: Battery, source: str) -> BatterySite:
    where = f"batteries[{i}]"
    base = _preset_name(source, f"{where}.preset", "battery", bat.preset)
    preset = _merge(source, f"{where}.overrides", base, bat.overrides)
    assert isinstance(preset, BatteryPreset)
    place = _place(frame, bat.position)
    tubes = frame.map_to_enu(place.east_m, place.north_m, place.height_m + preset.launcher_height_m)
    launchers = bat.launchers or preset.launchers
    loads = bat.loads or default_loads(preset, launchers)
    missiles: list[tuple[MissilePreset, int]] = [
        (catalog.MISSILES[name], int(count)) for name, count in loads.items()
    ]
    return BatterySite(
        battery_id=i,
        name=bat.name,
        preset=preset,
        place=place,
        launcher_enu=(float(tubes[0]), float(tubes[1]), float(tubes[2])),
        boresight_rad=float(np.radians(bat.boresight_deg)),
        launchers=launchers,
        loads=tuple(missiles),
    )
