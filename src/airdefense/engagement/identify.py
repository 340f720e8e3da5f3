"""Identification: an identity for every track (unknown, civil, friend, hostile) from evidence.

Three kinds of evidence, accumulated per track number over its updates, as arrays indexed by
track number:

- **Transponder replies.** Every confirmed-track update is an interrogation by the secondary
  radar co-located with the surveillance radar. The aircraft behind the track (the object
  whose plot updated it) replies with probability ``reply_probability`` if it carries a
  transponder: civil flights answer with a civil code (Mode 3/A, S, ADS-B), friends with a
  secure friend code (Mode 5); threats never answer. A false plot never answers.
- **Kinematics.** A ballistic arc (speed above ``ballistic_speed_mps`` or a vertical speed
  above ``ballistic_climb_mps``, on ``ballistic_updates`` updates) is what no aircraft flies; a fast object below
  ``low_level_m`` is what airliners do not fly (they are slow there, on approach).
- **Flight plans.** Civil flights file their routes with times; a track within
  ``plan_distance_m`` of a filed flight's planned position at the same time correlates with
  that plan (procedural identification, as air-traffic and air-defence centres exchange).

The decision follows the usual air-defence identification doctrine (e.g. NATO STANAG 1241
identities; the criteria here are this simulator's, documented on
:class:`IdentificationRules`): a friend reply makes a friend; a civil reply or a correlated
flight plan makes civil; a ballistic arc makes hostile whatever else is seen; silence to
``silent_interrogations`` interrogations running, with no flight plan, makes hostile;
otherwise the track stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from airdefense.types.events import IDENTIFICATION_RULES, IDENTITIES
from airdefense.types.settings import RulesOfEngagement

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Identity codes, in the order of :data:`IDENTITY_NAMES`.
UNKNOWN, CIVIL, FRIEND, HOSTILE = 0, 1, 2, 3
IDENTITY_NAMES = IDENTITIES
#: Rule codes, in the order of :data:`~airdefense.types.events.IDENTIFICATION_RULES`.
NO_EVIDENCE, BY_FRIEND_REPLY, BY_CIVIL_REPLY, BY_FLIGHT_PLAN, BY_BALLISTIC_ARC, BY_SILENCE = range(
    6
)
RULE_NAMES = IDENTIFICATION_RULES
#: What an object answers to an interrogation.
NO_REPLY, CIVIL_REPLY, FRIEND_REPLY = 0, 1, 2


@dataclass(frozen=True)
class IdentificationRules:
    """Thresholds of the identification criteria (see the module docstring), in SI units;
    :meth:`of` takes them from the scenario's rules of engagement."""

    reply_probability: float
    silent_interrogations: int
    ballistic_speed_mps: float
    ballistic_climb_mps: float
    ballistic_updates: int  # one wild velocity (a track jumping to another plot) is not an arc
    low_level_m: float
    low_level_speed_mps: float
    plan_distance_m: float
    plan_time_scale_mps: float
    plan_updates: int

    @classmethod
    def of(cls, rules: RulesOfEngagement) -> IdentificationRules:
        """The criteria of a scenario's rules of engagement."""
        return cls(
            reply_probability=rules.reply_probability,
            silent_interrogations=rules.silent_interrogations,
            ballistic_speed_mps=rules.ballistic_speed_mps,
            ballistic_climb_mps=rules.ballistic_climb_mps,
            ballistic_updates=rules.ballistic_updates,
            low_level_m=rules.low_level_m,
            low_level_speed_mps=rules.low_level_speed_mps,
            plan_distance_m=rules.flight_plan_distance_km * 1000.0,
            plan_time_scale_mps=rules.flight_plan_time_scale_mps,
            plan_updates=rules.flight_plan_updates,
        )


@dataclass(frozen=True)
class IdentityChanges:
    """The tracks whose identity changed in an update (K,): new and previous identity codes,
    the rule that decided (:data:`RULE_NAMES` codes) and the time."""

    track_id: IntArray
    identity: IntArray
    previous: IntArray
    rule: IntArray
    t: FloatArray

    def __len__(self) -> int:
        return int(self.track_id.shape[0])


class FlightPlans:
    """Filed civil flight plans: planned positions (ENU m) of each flight on a time grid.

    One KD-tree over (x, y, z, c t) of every planned sample, built once: a track matches a plan
    when within ``distance`` of a planned position at about the same time, with c =
    ``time_scale_mps`` turning a time difference into a distance (the grid's half-step then
    costs at most ~c * dt / 2 of it).
    """

    def __init__(self, t: FloatArray, pos: FloatArray, time_scale_mps: float = 100.0) -> None:
        self.t = np.asarray(t, dtype=np.float64)  # (T,)
        self.pos = np.asarray(pos, dtype=np.float64)  # (T, F, 3), NaN when not airborne
        self.time_scale_mps = float(time_scale_mps)
        k, f = np.nonzero(np.isfinite(self.pos[:, :, 0]))
        pts = np.column_stack([self.pos[k, f], self.time_scale_mps * self.t[k]])
        self._tree = cKDTree(pts) if pts.shape[0] else None

    def near(self, t: FloatArray, xyz: FloatArray, distance_m: float) -> NDArray[np.bool_]:
        """Whether each point (K, 3) at time t (K,) lies near a planned position then."""
        t = np.asarray(t, dtype=np.float64)
        if self._tree is None or t.size == 0:
            return np.zeros(t.shape[0], dtype=bool)
        q = np.column_stack([np.asarray(xyz, dtype=np.float64), self.time_scale_mps * t])
        d, _ = self._tree.query(q, k=1, distance_upper_bound=distance_m)
        return np.isfinite(d)


class Identifier:
    """Identity of every track, updated from track rows as they come.

    ``replies`` (N objects,) says what each truth object answers (:data:`NO_REPLY`,
    :data:`CIVIL_REPLY`, :data:`FRIEND_REPLY`); it is the simulated world's transponder fit,
    read only when that object's plot updates a track.
    """

    def __init__(
        self,
        rules: IdentificationRules,
        replies: IntArray,
        plans: FlightPlans | None,
        rng: np.random.Generator,
    ) -> None:
        self.rules = rules
        self.replies = np.asarray(replies, dtype=np.int64)
        self.plans = plans
        self.rng = rng
        self._cap = 0
        self._grow(1024)

    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, 2 * self._cap)

        def ext(a: NDArray | None, fill: float | int, dtype: type) -> NDArray:
            b = np.full(cap, fill, dtype=dtype)
            if a is not None:
                b[: a.shape[0]] = a
            return b

        self.identity = ext(getattr(self, "identity", None), UNKNOWN, np.int64)
        self.silent = ext(getattr(self, "silent", None), 0, np.int64)
        self.civil_replies = ext(getattr(self, "civil_replies", None), 0, np.int64)
        self.friend_replies = ext(getattr(self, "friend_replies", None), 0, np.int64)
        self.plan_hits = ext(getattr(self, "plan_hits", None), 0, np.int64)
        self.ballistic = ext(getattr(self, "ballistic", None), False, bool)
        self.arc_updates = ext(getattr(self, "arc_updates", None), 0, np.int64)
        self.low_fast = ext(getattr(self, "low_fast", None), False, bool)
        self.since = ext(getattr(self, "since", None), np.nan, np.float64)
        self._cap = cap

    def update(
        self,
        t: FloatArray,
        track_id: IntArray,
        xyz: FloatArray,
        vel: FloatArray,
        height_m: FloatArray,
        truth_id: IntArray,
        steady: NDArray[np.bool_] | None = None,
    ) -> IdentityChanges:
        """Take confirmed-track updates (one row each: time, track number, ENU position and
        velocity, height above the ellipsoid, truth id of the updating plot or -1) and return
        the tracks whose identity changed.

        ``steady`` marks the rows whose track was not coasting just before: only those count
        as kinematic evidence (a track that coasted and then took a far plot shows a wild
        velocity that is no arc)."""
        r = self.rules
        tid = np.asarray(track_id, dtype=np.int64)
        if tid.size == 0:
            e = np.zeros(0, dtype=np.int64)
            return IdentityChanges(e, e, e, e, np.zeros(0))
        self._grow(int(tid.max()) + 1)
        # transponder: the object behind the plot answers, if it can, with probability p
        obj = np.asarray(truth_id, dtype=np.int64)
        kind = np.where(obj >= 0, self.replies[np.maximum(obj, 0)], NO_REPLY)
        answered = (kind != NO_REPLY) & (self.rng.random(tid.size) < r.reply_probability)
        civil = answered & (kind == CIVIL_REPLY)
        friend = answered & (kind == FRIEND_REPLY)
        np.add.at(self.civil_replies, tid, civil.astype(np.int64))
        np.add.at(self.friend_replies, tid, friend.astype(np.int64))
        # silence: interrogations running without an answer, in time order per track
        order = np.lexsort((np.asarray(t), tid))
        ts, an = tid[order], answered[order]
        pos = np.arange(ts.size)
        last_answer = np.full(self._cap, -1, dtype=np.int64)
        np.maximum.at(last_answer, ts[an], pos[an])
        # ts is sorted: each track's rows are one run
        starts = np.flatnonzero(np.concatenate([[True], ts[1:] != ts[:-1]]))
        ids = ts[starts]
        end = np.append(starts[1:], ts.size)  # one past each track's last row
        counts = end - starts
        la = last_answer[ids]
        self.silent[ids] = np.where(la >= 0, end - 1 - la, self.silent[ids] + counts)
        speed = np.linalg.norm(vel, axis=1)
        arc = (speed > r.ballistic_speed_mps) | (np.abs(vel[:, 2]) > r.ballistic_climb_mps)
        if steady is not None:
            arc &= np.asarray(steady, dtype=bool)
        np.add.at(self.arc_updates, tid, arc.astype(np.int64))
        self.ballistic[self.arc_updates >= r.ballistic_updates] = True
        low = (np.asarray(height_m) < r.low_level_m) & (speed > r.low_level_speed_mps)
        if steady is not None:
            low &= np.asarray(steady, dtype=bool)
        self.low_fast[tid[low]] = True
        if self.plans is not None:
            # a track already matched to a plan often enough needs no more evidence of it
            ask = np.flatnonzero(self.plan_hits[tid] < r.plan_updates)
            if ask.size:
                t_a = np.asarray(t)[ask]
                on_plan = self.plans.near(t_a, np.asarray(xyz)[ask], r.plan_distance_m)
                np.add.at(self.plan_hits, tid[ask], on_plan.astype(np.int64))
        return self._decide(ids, float(np.max(t)))

    def _decide(self, ids: IntArray, t: float) -> IdentityChanges:
        r = self.rules
        new = np.full(ids.size, UNKNOWN, dtype=np.int64)
        rule = np.full(ids.size, NO_EVIDENCE, dtype=np.int64)
        civil_reply = self.civil_replies[ids] > 0
        civil = civil_reply | (self.plan_hits[ids] >= r.plan_updates)
        silent = (self.silent[ids] >= r.silent_interrogations) & (
            self.plan_hits[ids] < r.plan_updates
        )
        new[civil] = CIVIL
        rule[civil] = np.where(civil_reply[civil], BY_CIVIL_REPLY, BY_FLIGHT_PLAN)
        friend = self.friend_replies[ids] > 0
        new[friend] = FRIEND
        rule[friend] = BY_FRIEND_REPLY
        ballistic = self.ballistic[ids]
        hostile = ballistic | (silent & (self.civil_replies[ids] == 0))
        hostile &= ~friend
        new[hostile] = HOSTILE
        rule[hostile] = np.where(ballistic[hostile], BY_BALLISTIC_ARC, BY_SILENCE)
        changed = new != self.identity[ids]
        ch = ids[changed]
        previous = self.identity[ch].copy()
        self.identity[ch] = new[changed]
        self.since[ch] = t
        return IdentityChanges(ch, new[changed], previous, rule[changed], np.full(ch.size, t))

    def evidence(self, track_id: IntArray) -> dict[str, IntArray]:
        """What each track has gathered so far: civil and friend replies, interrogations
        unanswered in a row, updates correlated with a flight plan, updates on an arc."""
        tid = np.asarray(track_id, dtype=np.int64)
        return {
            "civil_replies": self.civil_replies[tid].copy(),
            "friend_replies": self.friend_replies[tid].copy(),
            "silent_run": self.silent[tid].copy(),
            "plan_hits": self.plan_hits[tid].copy(),
            "arc_updates": self.arc_updates[tid].copy(),
        }

    def identity_of(self, track_id: IntArray) -> IntArray:
        """Current identity codes of tracks (unknown for numbers never seen)."""
        tid = np.asarray(track_id, dtype=np.int64)
        out = np.full(tid.shape, UNKNOWN, dtype=np.int64)
        ok = tid < self._cap
        out[ok] = self.identity[tid[ok]]
        return out


def replies_of(category: NDArray[np.object_], transponder: NDArray[np.bool_]) -> IntArray:
    """What each truth object answers: civil objects with a transponder a civil code, other
    non-hostile objects with one a friend code, everything else nothing."""
    cat = np.asarray(category, dtype=object)
    tr = np.asarray(transponder, dtype=bool)
    out = np.full(cat.shape[0], NO_REPLY, dtype=np.int64)
    out[tr & (cat == "civil")] = CIVIL_REPLY
    out[tr & (cat == "friend")] = FRIEND_REPLY
    return out
