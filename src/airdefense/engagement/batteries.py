"""Batteries as arrays: shooters (battery x missile type), rounds, launch rates, channels.

A *shooter* is one missile type of one battery: the unit the weapon-target assignment
allocates shots from. Battery-wide limits (target channels, missile channels, the launch
interval, the reaction time from a track's hostile identification to the first launch) live
per battery; rounds per shooter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airdefense.geo import Frame
from airdefense.scenario.load import position_to_map
from airdefense.scenario.models import Scenario
from airdefense.systems import catalog
from airdefense.systems.models import BatteryPreset, MissilePreset

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class Batteries:
    """Every battery of a scenario and its shooters, as arrays."""

    names: list[str]
    presets: list[BatteryPreset]
    site: FloatArray  # (B, 3) ENU of the launchers
    target_channels: IntArray  # (B,)
    missile_channels: IntArray  # (B,)
    launch_interval_s: FloatArray  # (B,) between two launches from one launcher
    launchers: IntArray  # (B,)
    reaction_time_s: FloatArray  # (B,)
    next_launch_s: FloatArray  # (B,) earliest time of the next launch
    missile_types: list[MissilePreset]  # every missile type used, indexed by shooter.missile
    shooter_battery: IntArray  # (S,)
    shooter_missile: IntArray  # (S,) index into missile_types
    rounds: IntArray  # (S,) left
    rounds0: IntArray  # (S,) at the start

    @property
    def n_shooters(self) -> int:
        return int(self.shooter_battery.shape[0])

    def shooter_site(self) -> FloatArray:
        return self.site[self.shooter_battery]

    def shooter_cost_usd(self) -> FloatArray:
        return np.array([self.missile_types[m].cost_usd for m in self.shooter_missile])


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


def build_batteries(scenario: Scenario, frame: Frame) -> Batteries:
    """The scenario's batteries at their sites with their loads."""
    names, presets, sites = [], [], []
    missile_names: list[str] = []
    sb, sm, rounds = [], [], []
    launchers: list[int] = []
    for b, bat in enumerate(scenario.batteries):
        preset = catalog.BATTERIES[bat.preset]
        if bat.overrides:
            preset = preset.model_copy(update=bat.overrides)
        e, n, h = position_to_map(frame, bat.position)
        names.append(bat.name)
        presets.append(preset)
        sites.append(frame.map_to_enu(e, n, h + 5.0))  # launch tubes ~5 m above the ground
        launchers.append(bat.launchers or preset.launchers)
        loads = bat.loads or default_loads(preset, launchers[-1])
        for name, count in loads.items():
            if count <= 0:
                continue
            if name not in missile_names:
                missile_names.append(name)
            sb.append(b)
            sm.append(missile_names.index(name))
            rounds.append(int(count))
    nb = len(names)
    return Batteries(
        names=names,
        presets=presets,
        site=np.array(sites, dtype=np.float64).reshape(nb, 3),
        target_channels=np.array([p.target_channels for p in presets], dtype=np.int64),
        missile_channels=np.array([p.missile_channels for p in presets], dtype=np.int64),
        launch_interval_s=np.array([p.launch_interval_s for p in presets], dtype=np.float64),
        launchers=np.array(launchers, dtype=np.int64),
        reaction_time_s=np.array([p.reaction_time_s for p in presets], dtype=np.float64),
        next_launch_s=np.zeros(nb),
        missile_types=[catalog.MISSILES[m] for m in missile_names],
        shooter_battery=np.array(sb, dtype=np.int64),
        shooter_missile=np.array(sm, dtype=np.int64),
        rounds=np.array(rounds, dtype=np.int64),
        rounds0=np.array(rounds, dtype=np.int64),
    )
