"""The engage stage: identify, evaluate, assign, launch, fly, assess; one decision cycle at a time.

Each decision cycle (``doctrine.decision_cycle_s``), for all batteries together (one fused air
picture, one assignment: the layered defence):

1. **Identify** the confirmed tracks from their updates since the last cycle
   (:mod:`~airdefense.engagement.identify`); log identity changes.
2. **Evaluate** the tracks the rules of engagement allow to be engaged
   (:mod:`~airdefense.engagement.threat`): asset threatened, time to go, class, value.
3. **Feasibility and Pk** of every (shooter, threat): the predicted intercept point inside the
   missile's envelope, reached before the threat reaches its asset (:mod:`flyout`).
4. **Assign** (:mod:`~airdefense.engagement.wta`): expected value saved less the price of the
   interceptors, within rounds (less the reserve), launch rates, channels and salvo sizes;
   shoot-look-shoot holds fire at a threat whose interceptors are still flying when there
   would be time for a second look.
5. **Launch**: interceptors join the batched flyout, which integrates them every step, guides
   them on track updates and decides kills at their closest approach; a kill ends the
   threat's trajectory (:meth:`Truth.kill`), so the radars stop seeing it and its track
   drops; interceptors whose threat died self-destruct.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from airdefense.engagement import identify as idn
from airdefense.engagement import threat as thr
from airdefense.engagement.batteries import Batteries, build_batteries
from airdefense.geo import Frame
from airdefense.record.events import EventLog
from airdefense.record.schema import EventKind
from airdefense.scenario.load import position_to_map
from airdefense.scenario.models import Scenario
from airdefense.systems import catalog
from airdefense.tracking.measurements import COASTING, CONFIRMED, TrackUpdates
from airdefense.world.truth import Truth

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CLASS_INDEX = {name: i for i, name in enumerate(thr.CLASS_NAMES)}


@dataclass
class EngagementRecord:
    """One row per interceptor: what was fired at what, and how it ended."""

    t: list[float] = field(default_factory=list)
    battery: list[str] = field(default_factory=list)
    missile: list[str] = field(default_factory=list)
    track_id: list[int] = field(default_factory=list)
    object_id: list[int] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)


def flight_plans(truth: Truth) -> idn.FlightPlans | None:
    """Civil flights' trajectories as their filed flight plans (NaN when not airborne)."""
    civil = np.flatnonzero(truth.category == "civil")
    if civil.size == 0:
        return None
    t = truth.t
    alive = (truth.start_s[civil][None, :] <= t[:, None]) & (t[:, None] <= truth.end_s[civil])
    pos = truth.pos[:, civil].copy()
    pos[~alive] = np.nan
    return idn.FlightPlans(t=t, pos=pos)


def transponder_fit(truth: Truth) -> IntArray:
    """What each object answers an interrogation with, from its preset."""
    fitted = np.array(
        [
            bool(getattr(catalog.THREATS.get(p), "transponder", False)) or c == "civil"
            for p, c in zip(truth.preset, truth.category, strict=True)
        ]
    )
    return idn.replies_of(truth.category, fitted)


class Engagement:
    """The engage stage's state over a run: identities, batteries, interceptors, records."""

    def __init__(
        self,
        scenario: Scenario,
        frame: Frame,
        truth: Truth,
        rng: np.random.Generator,
        identification_rng: np.random.Generator,
    ) -> None:
        self.scenario = scenario
        self.frame = frame
        self.truth = truth
        self.rng = rng
        roe = scenario.rules_of_engagement
        rules = idn.IdentificationRules(
            reply_probability=roe.reply_probability,
            silent_interrogations=roe.silent_interrogations,
            plan_distance_m=roe.flight_plan_distance_km * 1000.0,
        )
        self.identifier = idn.Identifier(
            rules, transponder_fit(truth), flight_plans(truth), identification_rng
        )
        self.batteries: Batteries = build_batteries(scenario, frame)
        assets = scenario.assets
        self.asset_pos = np.array(
            [frame.map_to_enu(*position_to_map(frame, a.position)) for a in assets]
        ).reshape(len(assets), 3)
        self.asset_radius = np.array([a.radius_km * 1000.0 for a in assets])
        self.asset_value = np.array([a.value for a in assets])
        doc = scenario.doctrine
        self.damage_share = np.array([doc.damage_share[c] for c in thr.CLASS_NAMES])
        self.salvo = np.array([doc.salvo[c] for c in thr.CLASS_NAMES], dtype=np.int64)
        self.hostile_since: dict[int, float] = {}
        self.last_status = np.full(1024, CONFIRMED, dtype=np.int64)
        self.records = EngagementRecord()
        self.next_cycle_s = 0.0

    @property
    def enabled(self) -> bool:
        return self.batteries.n_shooters > 0

    def identify(self, t: float, rows: TrackUpdates, events: EventLog) -> None:
        """Feed confirmed-track rows to identification; log identity changes."""
        order = np.lexsort((rows.t, rows.track_id))
        rows = rows.take(order)
        tid, status = rows.track_id, rows.status
        # each row's previous status on its track: in this batch, or left from the last one
        prev = np.empty(tid.size, dtype=np.int64)
        prev[1:] = status[:-1]
        first = np.ones(tid.size, dtype=bool)
        first[1:] = tid[1:] != tid[:-1]
        self._grow_status(int(tid.max()) + 1 if tid.size else 0)
        prev[first] = self.last_status[tid[first]]
        last = np.ones(tid.size, dtype=bool)
        last[:-1] = tid[:-1] != tid[1:]
        self.last_status[tid[last]] = status[last]
        sel = np.flatnonzero(status == CONFIRMED)
        if sel.size == 0:
            return
        r = rows.take(sel)
        steady = prev[sel] != COASTING
        xyz = np.column_stack([r.x, r.y, r.z])
        vel = np.column_stack([r.vx, r.vy, r.vz])
        ids, new, when = self.identifier.update(
            r.t, r.track_id, xyz, vel, self.frame.height_m(xyz), r.truth_id, steady
        )
        if ids.size:
            last = {int(k): int(v) for k, v in zip(r.track_id, r.truth_id, strict=True)}
            obj = np.array([last.get(int(i), -1) for i in ids])
            events.add(
                EventKind.IDENTIFIED,
                when,
                object_id=obj,
                track_id=ids,
                value=new,
                detail=np.array([idn.IDENTITY_NAMES[c] for c in new], dtype=object),
            )
            for i, c in zip(ids.tolist(), new.tolist(), strict=True):
                if c == idn.HOSTILE:
                    self.hostile_since.setdefault(i, t)

    def _grow_status(self, need: int) -> None:
        if need > self.last_status.size:
            grown = np.full(max(need, 2 * self.last_status.size), CONFIRMED, dtype=np.int64)
            grown[: self.last_status.size] = self.last_status
            self.last_status = grown

    def engageable(
        self, track_ids: IntArray, threatened: NDArray[np.bool_], dist_m: FloatArray
    ) -> NDArray[np.bool_]:
        """Tracks the rules of engagement allow to be engaged."""
        roe = self.scenario.rules_of_engagement
        ident = self.identifier.identity_of(track_ids)
        ok = np.zeros(track_ids.shape, dtype=bool)
        if "hostile" in roe.engage_identities:
            ok |= ident == idn.HOSTILE
        if "unknown" in roe.engage_identities:
            near = threatened
            if roe.unknown_inside_km is not None:
                near = near & (dist_m <= roe.unknown_inside_km * 1000.0)
            ok |= (ident == idn.UNKNOWN) & near
        return ok
