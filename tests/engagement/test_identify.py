"""Identification from transponder replies, kinematics and flight plans."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.engagement.identify import (
    CIVIL,
    CIVIL_REPLY,
    FRIEND,
    FRIEND_REPLY,
    HOSTILE,
    NO_REPLY,
    UNKNOWN,
    FlightPlans,
    IdentificationRules,
    Identifier,
    replies_of,
)
from airdefense.types.settings import RulesOfEngagement


def _rows(n, track, obj, speed=240.0, vz=0.0, height=10_000.0, t0=0.0, dt=10.0):
    t = t0 + dt * np.arange(n)
    xyz = np.column_stack([speed * t, np.zeros(n), np.full(n, height)])
    vel = np.tile([speed, 0.0, vz], (n, 1))
    return t, np.full(n, track), xyz, vel, np.full(n, height), np.full(n, obj)


def _ident(replies, plans=None, **rules):
    return Identifier(
        IdentificationRules.of(RulesOfEngagement(**rules)),
        np.array(replies),
        plans,
        np.random.default_rng(0),
    )


def test_a_civil_reply_makes_civil_and_silence_makes_hostile() -> None:
    ident = _ident([CIVIL_REPLY, NO_REPLY], reply_probability=1.0)
    changes = ident.update(*_rows(1, 1, 0))
    assert list(changes.track_id) == [1] and list(changes.identity) == [CIVIL]
    for k in range(2):
        ident.update(*_rows(1, 2, 1, t0=10.0 * k))
        assert ident.identity_of(np.array([2]))[0] == UNKNOWN
    ident.update(*_rows(1, 2, 1, t0=30.0))
    assert ident.identity_of(np.array([2]))[0] == HOSTILE


def test_a_ballistic_arc_is_hostile_at_once_and_a_friend_reply_is_friend() -> None:
    ident = _ident([NO_REPLY, FRIEND_REPLY], reply_probability=1.0)
    ident.update(*_rows(2, 5, 0, speed=1800.0, vz=-900.0, height=40_000.0))
    ident.update(*_rows(3, 6, 1))
    assert list(ident.identity_of(np.array([5, 6]))) == [HOSTILE, FRIEND]


def test_a_silent_airliner_on_its_flight_plan_stays_civil() -> None:
    """A civil flight whose transponder has failed still follows its filed plan."""
    t, tid, xyz, vel, h, obj = _rows(6, 3, 0)
    plans = FlightPlans(t=t, pos=xyz[:, None, :] + np.array([800.0, -500.0, 0.0]))
    ident = _ident([NO_REPLY], plans)
    ident.update(t, tid, xyz, vel, h, obj)
    assert ident.identity_of(np.array([3]))[0] == CIVIL
    # the same track off any plan, silent: hostile
    ident2 = _ident([NO_REPLY])
    ident2.update(t, tid, xyz, vel, h, obj)
    assert ident2.identity_of(np.array([3]))[0] == HOSTILE


def test_replies_of_the_world() -> None:
    cat = np.array(["civil", "civil", "cruise", "friend"], dtype=object)
    got = replies_of(cat, np.array([True, False, False, True]))
    assert list(got) == [CIVIL_REPLY, NO_REPLY, NO_REPLY, FRIEND_REPLY]


@settings(max_examples=50, deadline=None)
@given(
    answers=st.lists(st.lists(st.booleans(), min_size=1, max_size=6), min_size=1, max_size=4),
)
def test_silence_counts_equal_a_sequential_count(answers) -> None:
    """The vectorised count of unanswered interrogations equals a row-by-row recurrence."""
    n_obj = len(answers)
    ident = _ident([CIVIL_REPLY] * n_obj, reply_probability=1.0)
    rows = [(k * 10.0, tr, a) for tr, seq in enumerate(answers) for k, a in enumerate(seq)]
    rng = np.random.default_rng(1)
    rng.shuffle(rows)
    t = np.array([r[0] for r in rows])
    tid = np.array([r[1] + 1 for r in rows])
    obj = np.array([r[1] if r[2] else -1 for r in rows])  # -1: a false plot, never answers
    z = np.zeros((len(rows), 3))
    ident.update(t, tid, z, z, np.full(len(rows), 1e4), obj)
    for tr, seq in enumerate(answers):
        silent = 0
        for a in seq:
            silent = 0 if a else silent + 1
        assert ident.silent[tr + 1] == silent


def test_a_replying_object_is_never_called_hostile_unless_ballistic() -> None:
    rng = np.random.default_rng(4)
    ident = Identifier(
        IdentificationRules.of(RulesOfEngagement(reply_probability=0.6)),
        np.array([CIVIL_REPLY]),
        None,
        rng,
    )
    for k in range(30):
        ident.update(*_rows(1, 9, 0, t0=10.0 * k))
    assert ident.identity_of(np.array([9]))[0] == CIVIL
