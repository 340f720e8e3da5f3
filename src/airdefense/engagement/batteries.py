"""Batteries as arrays: shooters (battery x missile type), rounds, launch rates, channels.

A *shooter* is one missile type of one battery: the unit the weapon-target assignment
allocates shots from. Battery-wide limits (target channels, missile channels, the launch
interval, the reaction time from a track's hostile identification to the first launch) live
per battery; rounds per shooter.

Launchers: a battery's launchers are given to its missile types in the order of its loads,
``ceil(rounds / per_launcher)`` each, numbered from 0; a type's rounds are fired from its
launchers in turn, each emptied before the next (:meth:`Batteries.take_rounds`), so every
interceptor names the launcher that carried it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airdefense.systems.models import BatteryPreset, MissilePreset
from airdefense.types.theatre import BatterySite

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class Batteries:
    """Every battery of a theatre and its shooters, as arrays."""

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
    first_launcher: IntArray  # (S,) number of the shooter's first launcher in its battery

    @property
    def n_shooters(self) -> int:
        return int(self.shooter_battery.shape[0])

    def shooter_site(self) -> FloatArray:
        return self.site[self.shooter_battery]

    def shooter_cost_usd(self) -> FloatArray:
        return np.array([self.missile_types[m].cost_usd for m in self.shooter_missile])

    def take_rounds(self, shooter: IntArray) -> IntArray:
        """Take one round from each listed shooter (repeats take several, in order) and
        return the launcher each came from."""
        shooter = np.asarray(shooter, dtype=np.int64)
        per = np.array([self.missile_types[m].per_launcher for m in self.shooter_missile])
        # the k-th repeat of a shooter in this call is its (fired so far + k)-th round
        order = np.argsort(shooter, kind="stable")
        new_run = np.ones(shooter.size, dtype=bool)
        new_run[1:] = shooter[order][1:] != shooter[order][:-1]
        run_start = np.maximum.accumulate(np.where(new_run, np.arange(shooter.size), 0))
        rank = np.empty(shooter.size, dtype=np.int64)
        rank[order] = np.arange(shooter.size) - run_start
        fired = self.rounds0[shooter] - self.rounds[shooter] + rank
        np.add.at(self.rounds, shooter, -1)
        return self.first_launcher[shooter] + fired // per[shooter]


def build_batteries(sites: tuple[BatterySite, ...]) -> Batteries:
    """The theatre's batteries at their sites with their loads (types with no rounds are
    left out)."""
    missile_types: list[MissilePreset] = []
    sb, sm, rounds, first = [], [], [], []
    for b, bat in enumerate(sites):
        launcher = 0
        for missile, count in bat.loads:
            if count <= 0:
                continue
            if missile not in missile_types:
                missile_types.append(missile)
            sb.append(b)
            sm.append(missile_types.index(missile))
            rounds.append(int(count))
            first.append(launcher)
            launcher += -(-int(count) // missile.per_launcher)
    presets = [bat.preset for bat in sites]
    nb = len(sites)
    return Batteries(
        names=[bat.name for bat in sites],
        presets=presets,
        site=np.array([bat.launcher_enu for bat in sites], dtype=np.float64).reshape(nb, 3),
        target_channels=np.array([p.target_channels for p in presets], dtype=np.int64),
        missile_channels=np.array([p.missile_channels for p in presets], dtype=np.int64),
        launch_interval_s=np.array([p.launch_interval_s for p in presets], dtype=np.float64),
        launchers=np.array([bat.launchers for bat in sites], dtype=np.int64),
        reaction_time_s=np.array([p.reaction_time_s for p in presets], dtype=np.float64),
        next_launch_s=np.zeros(nb),
        missile_types=missile_types,
        shooter_battery=np.array(sb, dtype=np.int64),
        shooter_missile=np.array(sm, dtype=np.int64),
        rounds=np.array(rounds, dtype=np.int64),
        rounds0=np.array(rounds, dtype=np.int64),
        first_launcher=np.array(first, dtype=np.int64),
    )
