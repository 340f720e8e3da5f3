"""Properties of one decision cycle on random pictures: the rules, the rounds, the channels
and the envelopes hold whatever the picture."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.engagement import identify as idn
from airdefense.engagement.engage import Engagement
from airdefense.scenario import library, load_theatre
from airdefense.sim.seeds import stage_seeds
from airdefense.tracking.measurements import CONFIRMED, TrackUpdates
from airdefense.types.events import EventKind, EventLog
from airdefense.world.build import build_truth

THEATRE = load_theatre(library.resolve("airliner-crossing"))
FRAME = THEATRE.frame
TRUTH = build_truth(THEATRE, np.random.default_rng(stage_seeds(THEATRE.seed)["world"]))


def _picture(rng: np.random.Generator, n: int) -> TrackUpdates:
    """n confirmed tracks heading for the city from 20-150 km, 50-4,000 m up."""
    bearing = rng.uniform(0, 2 * np.pi, n)
    dist = rng.uniform(20e3, 150e3, n)
    pos = np.column_stack(
        [dist * np.sin(bearing), dist * np.cos(bearing), rng.uniform(50, 4000, n)]
    )
    speed = rng.uniform(40, 300, n)
    vel = -pos / np.linalg.norm(pos, axis=1, keepdims=True) * speed[:, None]
    vel[:, 2] = 0.0
    z = np.zeros(n)
    return TrackUpdates(
        t=np.full(n, 100.0),
        track_id=np.arange(1, n + 1),
        x=pos[:, 0],
        y=pos[:, 1],
        z=pos[:, 2],
        vx=vel[:, 0],
        vy=vel[:, 1],
        vz=vel[:, 2],
        status=np.full(n, CONFIRMED),
        sx=z + 50,
        sy=z + 50,
        sz=z + 80,
        quality=z + 1,
        truth_id=np.arange(n) % TRUTH.n,
    )


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 25),
    channels=st.integers(1, 6),
    missiles=st.integers(1, 8),
    rounds=st.integers(0, 6),
)
def test_a_cycle_respects_rules_rounds_channels_and_envelopes(
    seed: int, n: int, channels: int, missiles: int, rounds: int
) -> None:
    rng = np.random.default_rng(seed)
    eng = Engagement(THEATRE, TRUTH, rng, np.random.default_rng(seed + 1))
    bats = eng.batteries
    bats.target_channels[:] = channels
    bats.missile_channels[:] = missiles
    bats.rounds[:] = np.minimum(bats.rounds, rounds)
    start = bats.rounds.copy()
    pic = _picture(rng, n)
    # random identities; the hostile ones long enough ago for the reaction time
    ident = rng.integers(0, 4, n)
    eng.identifier._grow(n + 2)
    eng.identifier.identity[pic.track_id] = ident
    for tid, c in zip(pic.track_id.tolist(), ident.tolist(), strict=True):
        if c == idn.HOSTILE:
            eng.hostile_since[tid] = 0.0
    events = EventLog()
    for t in (100.0, 102.0, 104.0):
        eng.cycle(t, pic, pic.truth_id, events)
    tab = events.table().to_pydict()
    planned = [i for i, k in enumerate(tab["kind"]) if k == EventKind.ENGAGEMENT_PLANNED]
    # rules of engagement: only tracks identified hostile
    hostile = set(pic.track_id[ident == idn.HOSTILE].tolist())
    assert {tab["track_id"][i] for i in planned} <= hostile
    # rounds never below zero, and never more fired than there were
    assert np.all(bats.rounds >= 0)
    assert int((start - bats.rounds).sum()) == len(planned)
    # channels: interceptors in flight and distinct targets per battery
    flying = eng.flyout.active_ids if eng.flyout is not None else np.zeros(0, dtype=int)
    if flying.size:
        sb = eng.interceptors.battery_id[flying]
        st_ = eng.interceptors.track[flying]
        for b in np.unique(sb):
            assert (sb == b).sum() <= missiles
            assert np.unique(st_[sb == b]).size <= channels
    # envelopes: every planned intercept point inside some carried missile's range and heights
    site = bats.site[0]
    for i in planned:
        p = np.array([tab["x"][i], tab["y"][i], tab["z"][i]])
        ground = float(FRAME.ground_range_m(site, p))
        h = float(FRAME.height_m(p))
        assert any(
            ground <= m.max_range_km * 1e3 + 1.0
            and m.min_altitude_m - 1.0 <= h <= m.max_altitude_km * 1e3 + 1.0
            for m in bats.missile_types
        )
