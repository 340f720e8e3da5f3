"""Random streams: one per stage, derived from the scenario seed and the trial number.

``SeedSequence(seed, spawn_key=(trial, stage_index))`` feeds each stage in :data:`STAGES`
its own ``Generator`` (the same keys ``SeedSequence.spawn`` would give, computed directly
so that no call order matters). Adding a draw in one stage
never changes another stage's numbers, and trial 137 can be rerun alone (NumPy's
SeedSequence design: O'Neill, "PCG", 2014, and the NumPy ``SeedSequence`` documentation).
"""

from __future__ import annotations

import numpy as np

#: Stages that draw random numbers, in a fixed order (append new stages at the end).
STAGES = ("world", "sensors", "tracking", "engagement", "identification")


def stage_seeds(seed: int, trial: int = 0) -> dict[str, np.random.SeedSequence]:
    """One SeedSequence per stage for (seed, trial)."""
    return {
        name: np.random.SeedSequence(entropy=seed, spawn_key=(trial, i))
        for i, name in enumerate(STAGES)
    }


def child_rngs(seq: np.random.SeedSequence, n: int) -> list[np.random.Generator]:
    """n independent Generators under one stage (e.g. one per sensor): adding a sensor
    leaves the earlier sensors' streams unchanged."""
    return [
        np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, i)))
        for i in range(n)
    ]
