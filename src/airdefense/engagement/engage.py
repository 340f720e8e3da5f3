"""The engage stage: identify, evaluate, plan, fire, fly, assess; one decision cycle at a time.

Each decision cycle (``doctrine.decision_cycle_s``), for all batteries together (one fused air
picture, one assignment: the layered defence), :meth:`Engagement.cycle` runs named steps:

1. **Picture** (:func:`read_picture`): the confirmed tracks predicted to the cycle's time;
   every interceptor in flight is commanded on its track's latest estimate.
2. **Identify** (:meth:`Engagement.identify`, fed by the loop with the tracks' updates since
   the last cycle; :mod:`~airdefense.engagement.identify`): identity changes are events.
3. **Evaluate** (:meth:`Engagement.evaluate`): the tracks the rules of engagement allow to be
   engaged, not reported killed and not already well covered by interceptors in flight, with
   the asset each threatens, its time to go, class and value at stake
   (:mod:`~airdefense.engagement.threat`).
4. **Plan** (:meth:`Engagement.plan`): the predicted intercept point of every (shooter,
   threat) inside the missile's envelope and in time (:mod:`flyout`), the reaction time,
   shoot-look-shoot, then the assignment (:mod:`~airdefense.engagement.wta`): expected value
   saved less the price of the interceptors, within rounds (less the reserve), launch rates,
   channels and salvo sizes.
5. **Fire** (:meth:`Engagement.fire`): interceptors join the batched flyout; each is
   recorded (:class:`~airdefense.engagement.interceptors.InterceptorLog`) with its plan and
   launcher, and logged as a plan and a launch.
6. **Assess** (:meth:`Engagement.advance`, every time step): the flyout integrates the
   interceptors and decides kills at their closest approach; a kill ends the threat's
   trajectory (:meth:`Truth.kill`), so the radars stop seeing it and its track drops; its
   track is reported killed; interceptors flying at a target just killed are retargeted to a
   near hostile track or self-destruct.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airdefense.engagement import identify as idn
from airdefense.engagement import threat as thr
from airdefense.engagement.batteries import Batteries, build_batteries
from airdefense.engagement.interceptors import END_CODE, InterceptorLog
from airdefense.systems import catalog
from airdefense.tracking.measurements import COASTING, CONFIRMED, TrackUpdates
from airdefense.types.events import (
    EngagementPlanned,
    EventLog,
    Identified,
    InterceptorEnd,
    InterceptorLaunch,
    InterceptorRetarget,
    Kill,
    Miss,
)
from airdefense.types.theatre import Theatre
from airdefense.world.truth import Truth

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CLASS_INDEX = {name: i for i, name in enumerate(thr.CLASS_NAMES)}


def flight_plans(truth: Truth, time_scale_mps: float) -> idn.FlightPlans | None:
    """Civil flights' trajectories as their filed flight plans (NaN when not airborne)."""
    civil = np.flatnonzero(truth.category == "civil")
    if civil.size == 0:
        return None
    t = truth.t
    alive = (truth.start_s[civil][None, :] <= t[:, None]) & (t[:, None] <= truth.end_s[civil])
    pos = truth.pos[:, civil].copy()
    pos[~alive] = np.nan
    return idn.FlightPlans(t=t, pos=pos, time_scale_mps=time_scale_mps)


def transponder_fit(truth: Truth) -> IntArray:
    """What each object answers an interrogation with, from its preset."""
    fitted = np.array(
        [
            bool(getattr(catalog.THREATS.get(p), "transponder", False)) or c == "civil"
            for p, c in zip(truth.preset, truth.category, strict=True)
        ]
    )
    return idn.replies_of(truth.category, fitted)


@dataclass(frozen=True)
class Picture:
    """The confirmed tracks at a cycle's time: numbers, ENU positions and velocities, and
    the object behind each (its last plot's truth id, -1 a false track): recorded for scoring
    and given to the flyout, whose physics flies at the real object."""

    t: float
    track_id: IntArray
    pos: FloatArray  # (K, 3)
    vel: FloatArray  # (K, 3)
    object_id: IntArray

    def take(self, rows: NDArray[np.bool_] | IntArray) -> Picture:
        """The tracks selected by a mask or an index."""
        return Picture(
            self.t, self.track_id[rows], self.pos[rows], self.vel[rows], self.object_id[rows]
        )


def read_picture(t: float, tracks: TrackUpdates, object_id: IntArray) -> Picture:
    """Step 1: the tracker's confirmed picture at time t as a :class:`Picture`."""
    return Picture(
        t,
        tracks.track_id,
        np.column_stack([tracks.x, tracks.y, tracks.z]),
        np.column_stack([tracks.vx, tracks.vy, tracks.vz]),
        np.asarray(object_id, dtype=np.int64),
    )


@dataclass(frozen=True)
class InFlight:
    """Per track number (arrays of length ``n_id``), what is flying at it: the chance the
    track's target survives those interceptors, when the last is due and how many fly; and
    per battery, interceptors guided and targets engaged."""

    n_id: int
    survival: FloatArray
    due_s: FloatArray
    count: IntArray
    missiles_guided: IntArray  # (B,)
    targets_engaged: IntArray  # (B,)


@dataclass(frozen=True)
class Threats:
    """Step 3's result: the tracks that may be engaged (``picture``), their class and
    assessment, the ones to plan for (``cand``, rows of ``picture``) and what flies."""

    picture: Picture
    threat_class: IntArray
    assess: thr.ThreatAssessment
    cand: IntArray
    in_flight: InFlight


@dataclass(frozen=True)
class FirePlan:
    """Step 4's result: rounds each shooter fires at each candidate (S, J), and per (shooter,
    candidate) pair (flattened s * J + j) the predicted intercept point and time and the
    planned Pk; per battery, when its launchers are ready and its launch rate this cycle."""

    threats: Threats
    rounds: IntArray  # (S, J)
    pip: FloatArray  # (S * J, 3)
    intercept_t: FloatArray  # (S * J,)
    pk: FloatArray  # (S, J)
    start_s: FloatArray  # (B,)
    rate: IntArray  # (B,)


class Engagement:
    """The engage stage's state over a run: identities, batteries, interceptors, records."""

    def __init__(
        self,
        theatre: Theatre,
        truth: Truth,
        rng: np.random.Generator,
        identification_rng: np.random.Generator,
    ) -> None:
        self.theatre = theatre
        self.frame = theatre.frame
        self.doctrine = theatre.doctrine
        self.roe = theatre.rules
        self.truth = truth
        self.rng = rng
        self.identifier = idn.Identifier(
            idn.IdentificationRules.of(theatre.rules),
            transponder_fit(truth),
            flight_plans(truth, theatre.rules.flight_plan_time_scale_mps),
            identification_rng,
        )
        self.batteries: Batteries = build_batteries(theatre.batteries)
        types = self.batteries.missile_types
        # per missile type: reach, longest flight, planning Pk per threat class
        self._type_reach_m = np.array([m.max_range_km * 1000.0 for m in types])
        self._type_flight_s = np.array([m.max_flight_time_s for m in types])
        self._type_pk = np.array(
            [[m.reliability * m.warhead_pk.get(c, 1.0) for c in thr.CLASS_NAMES] for m in types]
        ).reshape(len(types), len(thr.CLASS_NAMES))
        self.asset_pos = theatre.asset_xyz
        self.asset_radius = theatre.asset_radius_m
        self.asset_value = theatre.asset_value
        doc = self.doctrine
        self.damage_share = np.array([doc.damage_share[c] for c in thr.CLASS_NAMES])
        self.salvo = np.array([doc.salvo[c] for c in thr.CLASS_NAMES], dtype=np.int64)
        self.hostile_since: dict[int, float] = {}
        self.last_status = np.full(1024, CONFIRMED, dtype=np.int64)
        self.interceptors = InterceptorLog()
        self.flyout = None
        self._killed = np.zeros(1024, dtype=bool)  # by track number: reported killed
        self._picture: Picture | None = None

    @property
    def enabled(self) -> bool:
        return self.batteries.n_shooters > 0

    # --- step 2: identify -------------------------------------------------------------------

    def identify(self, t: float, rows: TrackUpdates, events: EventLog) -> None:
        """Feed confirmed-track rows to identification; log identity changes."""
        order = np.lexsort((rows.t, rows.track_id))
        tid, status = rows.track_id[order], rows.status[order]
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
        steady = prev[sel] != COASTING
        pick = order[sel]  # confirmed rows, by track then time
        r_tid, r_truth = rows.track_id[pick], rows.truth_id[pick]
        xyz = np.column_stack([rows.x[pick], rows.y[pick], rows.z[pick]])
        vel = np.column_stack([rows.vx[pick], rows.vy[pick], rows.vz[pick]])
        changes = self.identifier.update(
            rows.t[pick], r_tid, xyz, vel, self.frame.height_m(xyz), r_truth, steady
        )
        if len(changes) == 0:
            return
        ids = changes.track_id
        # the object behind each track: its latest row's (rows are sorted by track, time)
        obj = r_truth[np.searchsorted(r_tid, ids, side="right") - 1]
        names = np.asarray(idn.IDENTITY_NAMES, dtype=object)
        events.add(
            Identified(
                t=changes.t,
                track_id=ids,
                object_id=obj,
                identity=names[changes.identity],
                previous_identity=names[changes.previous],
                rule=np.asarray(idn.RULE_NAMES, dtype=object)[changes.rule],
                **self.identifier.evidence(ids),
            )
        )
        for i, c in zip(ids.tolist(), changes.identity.tolist(), strict=True):
            if c == idn.HOSTILE:
                self.hostile_since.setdefault(i, t)

    def killed(self, track_ids: IntArray) -> NDArray[np.bool_]:
        """Whether an interceptor reported each track killed (kill assessment)."""
        ids = np.asarray(track_ids, dtype=np.int64)
        out = np.zeros(ids.shape, dtype=bool)
        inside = ids < self._killed.size
        out[inside] = self._killed[ids[inside]]
        return out

    def _grow_status(self, need: int) -> None:
        if need > self.last_status.size:
            grown = np.full(max(need, 2 * self.last_status.size), CONFIRMED, dtype=np.int64)
            grown[: self.last_status.size] = self.last_status
            self.last_status = grown

    def engageable(
        self, track_ids: IntArray, threatened: NDArray[np.bool_], dist_m: FloatArray
    ) -> NDArray[np.bool_]:
        """Tracks the rules of engagement allow to be engaged."""
        near = threatened
        if self.roe.unknown_inside_km is not None:
            near = near & (dist_m <= self.roe.unknown_inside_km * 1000.0)
        return self._identity_allows(track_ids, near)

    def _identity_allows(
        self, track_ids: IntArray, unknown_ok: NDArray[np.bool_] | bool
    ) -> NDArray[np.bool_]:
        """Tracks whose identity the rules allow to engage: hostile ones if the rules name
        hostile, unknown ones where ``unknown_ok`` if they name unknown."""
        ident = self.identifier.identity_of(track_ids)
        ok = np.zeros(track_ids.shape, dtype=bool)
        if "hostile" in self.roe.engage_identities:
            ok |= ident == idn.HOSTILE
        if "unknown" in self.roe.engage_identities:
            ok |= (ident == idn.UNKNOWN) & unknown_ok
        return ok

    # --- the decision cycle ---------------------------------------------------------------

    def _ensure_flyout(self) -> None:
        if self.flyout is None and self.enabled:
            from airdefense.engagement.flyout import Flyout

            self.flyout = Flyout(self.batteries.missile_types, self.frame)

    def cycle(self, t: float, tracks: TrackUpdates, truth_of: IntArray, events: EventLog) -> None:
        """One decision cycle at time t on the confirmed picture (tracks predicted to t, with
        the truth id of each track's last plot): picture, evaluate, plan, fire."""
        if not self.enabled or len(tracks) == 0:
            return
        self._ensure_flyout()
        picture = read_picture(t, tracks, truth_of)
        self._guide(picture)
        self._picture = picture
        threats = self.evaluate(picture)
        if threats is None:
            return
        plan = self.plan(threats)
        if plan is not None:
            self.fire(plan, events)

    def _guide(self, picture: Picture) -> None:
        """Command guidance: every interceptor in flight gets its track's latest estimate."""
        fo = self.flyout
        flying = fo.active_ids
        if flying.size == 0:
            return
        ids = picture.track_id
        st = self.interceptors.track[flying]
        order = np.argsort(ids)
        k = np.searchsorted(ids[order], st)
        k = np.minimum(k, ids.size - 1)
        found = ids[order][k] == st
        if found.any():
            rows = order[k[found]]
            fo.command(flying[found], picture.t, picture.pos[rows], picture.vel[rows])

    # --- step 3: evaluate -----------------------------------------------------------------

    def evaluate(self, picture: Picture) -> Threats | None:
        """The threats worth planning for: tracks the rules may engage (by identity, and
        within the distance the rules set for unknowns), not reported killed, threatening an
        asset with value at stake, and not already well covered by interceptors in flight
        (their targets' survival at least ``doctrine.covered_survival``). None if none."""
        bats = self.batteries
        # the civil and friendly majority of a picture stops here
        maybe = self._identity_allows(picture.track_id, True) & ~self.killed(picture.track_id)
        if not maybe.any() or not np.any(bats.rounds > 0):
            return None
        pic = picture.take(maybe)
        ids, pos, vel = pic.track_id, pic.pos, pic.vel
        height = self.frame.height_m(pos)
        cap = self.identifier.ballistic.shape[0]
        bal = np.zeros(ids.size, dtype=bool)
        inside = ids < cap
        bal[inside] = self.identifier.ballistic[ids[inside]]
        doc = self.doctrine
        cls = thr.classify(vel, height, bal, doc.drone_max_speed_mps, doc.cruise_max_height_m)
        assess = thr.evaluate_threats(
            pos, vel, cls, self.asset_pos, self.asset_radius, self.asset_value, self.damage_share
        )
        threatened = assess.asset >= 0
        gap = np.full(ids.size, np.inf)
        if threatened.any():
            a = assess.asset[threatened]
            gap[threatened] = np.linalg.norm(
                assess.arrival[threatened, :2] - self.asset_pos[a, :2], axis=1
            )
        ok = self.engageable(ids, threatened, gap) & threatened & (assess.value > 0)
        cand = np.flatnonzero(ok)
        if cand.size == 0:
            return None
        in_flight = self._in_flight(ids)
        if self.flyout.active_ids.size:
            cand = cand[in_flight.survival[ids[cand]] >= doc.covered_survival]
            if cand.size == 0:
                return None
        return Threats(pic, cls, assess, cand, in_flight)

    def _in_flight(self, ids: IntArray) -> InFlight:
        """What flies at each track number (up to the largest of ``ids`` and of the tracks
        interceptors fly at) and per battery."""
        log = self.interceptors
        flying = self.flyout.active_ids
        st, sb = log.track[: log.n], log.battery_id[: log.n]
        n_id = int(max(ids.max(), st.max() if st.size else 0)) + 1
        survival = np.ones(n_id)
        due = np.zeros(n_id)  # read only where something flies (its times are > 0)
        count = np.zeros(n_id, dtype=np.int64)
        n_b = self.batteries.site.shape[0]
        guided = np.zeros(n_b, np.int64)
        engaged = np.zeros(n_b, np.int64)
        if flying.size:
            np.multiply.at(survival, st[flying], 1.0 - log.pk[flying])
            np.maximum.at(due, st[flying], log.intercept_t[flying])
            np.add.at(count, st[flying], 1)
            guided = np.bincount(sb[flying], minlength=n_b)
            # target channels in use: distinct threats each battery has interceptors flying at
            pairs = np.unique(sb[flying] * n_id + st[flying])
            engaged = np.bincount(pairs // n_id, minlength=n_b)
        return InFlight(n_id, survival, due, count, guided, engaged)

    # --- step 4: plan ---------------------------------------------------------------------

    def plan(self, threats: Threats) -> FirePlan | None:
        """Who fires how many at which threat this cycle (None: nobody): intercepts in time,
        the battery's reaction time after the hostile call, shoot-look-shoot, then the
        assignment within rounds, launch rate, channels and salvo sizes."""
        from airdefense.engagement import wta

        bats = self.batteries
        doc = self.doctrine
        t = threats.picture.t
        ids = threats.picture.track_id
        cand, cls, assess = threats.cand, threats.threat_class, threats.assess
        n_s, n_j = bats.n_shooters, cand.size
        s_idx = np.repeat(np.arange(n_s), n_j)
        j_idx = np.tile(cand, n_s)
        in_time, pip, t_int, fly_s = self._intercepts(threats, s_idx, j_idx)
        # reaction time: a battery fires at a track only that long after it was called hostile
        since = np.array([self.hostile_since.get(int(i), t) for i in ids[cand]])
        ready = (
            t
            >= since[np.tile(np.arange(n_j), n_s)]
            + bats.reaction_time_s[bats.shooter_battery[s_idx]]
        )
        pk_plan = self._type_pk[bats.shooter_missile[s_idx], cls[j_idx]]
        pk = np.where(in_time & ready, pk_plan, 0.0).reshape(n_s, n_j)
        if not pk.any():
            return None
        max_salvo = self._salvo_sizes(threats, in_time, fly_s)
        if not np.any(max_salvo > 0):
            return None
        shots, channels, cap_b, start, rate = self._fire_limits(threats)
        survival0 = threats.in_flight.survival[ids[cand]]
        cost = bats.shooter_cost_usd() / 1e6 * doc.value_per_million_usd
        # nothing to solve when no pair can fire or no single round is worth its price
        worth = assess.value[cand][None, :] * survival0[None, :] * pk > cost[:, None]
        fireable = worth & (shots[:, None] > 0) & (max_salvo[None, :] > 0)
        fireable &= channels[bats.shooter_battery][:, None] > 0
        if not fireable.any():
            return None
        problem = wta.AssignmentProblem(
            values=assess.value[cand],
            survival0=survival0,
            pk=pk,
            cost=cost,
            shots=shots,
            group=bats.shooter_battery,
            channels=channels,
            max_salvo=max_salvo,
        )
        alloc = wta.assign(problem, method=doc.solver, time_limit_s=doc.solver_time_limit_s)
        x = np.asarray(alloc.shots, dtype=np.int64)
        _keep_within_launch_rate(x, pk * problem.values, bats.shooter_battery, cap_b)
        if not x.any():
            return None
        return FirePlan(threats, x, pip, t_int, pk, start, rate)

    def _intercepts(
        self, threats: Threats, s_idx: IntArray, j_idx: IntArray
    ) -> tuple[NDArray[np.bool_], FloatArray, FloatArray, FloatArray]:
        """Per (shooter, threat) pair: an intercept in time (inside the missile's envelope,
        within ``doctrine.flyout_fraction`` of its flight time, before the threat reaches its
        asset), the predicted intercept point and time, and the flyout time."""
        from airdefense.engagement import flyout as fly

        bats = self.batteries
        doc = self.doctrine
        pic, assess = threats.picture, threats.assess
        t, pos, vel = pic.t, pic.pos, pic.vel
        # only intercepts before the threat reaches its asset matter; a pair whose threat
        # cannot come within the missile's reach in that time is not solved for
        horizon = np.minimum(assess.time_to_go_s[j_idx], doc.planning_horizon_s) + 1.0
        gap = np.linalg.norm(pos[j_idx, :2] - bats.shooter_site()[s_idx, :2], axis=1)
        speed = np.linalg.norm(vel[j_idx], axis=1)
        maybe = gap - speed * horizon <= self._type_reach_m[bats.shooter_missile[s_idx]]
        in_time = np.zeros(s_idx.size, dtype=bool)
        pip = np.full((s_idx.size, 3), np.nan)
        t_int = np.full(s_idx.size, np.nan)
        fly_s = np.full(s_idx.size, np.inf)
        m = np.flatnonzero(maybe)
        if m.size:
            missile = bats.shooter_missile[s_idx[m]]
            sol = fly.intercept_point(
                self.flyout.packed_tables,
                missile,
                bats.shooter_site()[s_idx[m]],
                pos[j_idx[m]],
                vel[j_idx[m]],
                self.frame,
                t,
                ballistic=threats.threat_class[j_idx[m]] == thr.BALLISTIC,
                horizon_s=horizon[m],
                step_s=doc.intercept_search_step_s,
                tolerance_s=doc.intercept_tolerance_s,
            )
            inside = sol.flyout_s <= doc.flyout_fraction * self._type_flight_s[missile]
            in_time[m] = sol.feasible & inside & (sol.t_s - t <= assess.time_to_go_s[j_idx[m]])
            pip[m] = sol.pip
            t_int[m] = sol.t_s
            fly_s[m] = np.where(sol.feasible, sol.flyout_s, np.inf)
        return in_time, pip, t_int, fly_s

    def _salvo_sizes(
        self, threats: Threats, in_time: NDArray[np.bool_], fly_s: FloatArray
    ) -> IntArray:
        """Most rounds each candidate may get this cycle: its class's salvo, or none while
        shoot-look-shoot holds fire (interceptors fly at it and a second salvo after their
        outcome would still be in time)."""
        doc = self.doctrine
        ids = threats.picture.track_id[threats.cand]
        fl = threats.in_flight
        n_s, n_j = self.batteries.n_shooters, threats.cand.size
        flyout_min = np.where(in_time, fly_s, np.inf).reshape(n_s, n_j).min(axis=0)
        second = fl.due_s[ids] + doc.decision_cycle_s + flyout_min
        wait = (
            doc.shoot_look_shoot
            & (fl.count[ids] > 0)
            & (second < threats.picture.t + threats.assess.time_to_go_s[threats.cand])
        )
        return np.where(wait, 0, self.salvo[threats.threat_class[threats.cand]])

    def _fire_limits(
        self, threats: Threats
    ) -> tuple[IntArray, IntArray, IntArray, FloatArray, IntArray]:
        """This cycle's limits: rounds each shooter may fire (rounds less the reserve, within
        its battery's launch rate and free missile channels), free target channels per
        battery, each battery's cap on rounds, when its launchers are ready and its rate."""
        bats = self.batteries
        doc = self.doctrine
        t = threats.picture.t
        fl = threats.in_flight
        reserve = np.floor(bats.rounds0 * doc.reserve_fraction).astype(np.int64)
        # launch rate: each launcher fires once per launch interval, in parallel
        window = doc.decision_cycle_s
        start = np.maximum(bats.next_launch_s, t)
        per_cycle = np.maximum(1, np.floor(bats.launchers * window / bats.launch_interval_s))
        rate = np.where(start < t + window, per_cycle, 0).astype(np.int64)
        cap_b = np.minimum(rate, np.maximum(bats.missile_channels - fl.missiles_guided, 0))
        shots = np.minimum(
            np.maximum(bats.rounds - reserve, 0), cap_b[bats.shooter_battery]
        ).astype(np.int64)
        channels = np.maximum(bats.target_channels - fl.targets_engaged, 0)
        return shots, channels, cap_b, start, rate

    # --- step 5: fire ---------------------------------------------------------------------

    def fire(self, plan: FirePlan, events: EventLog) -> None:
        """Launch the planned rounds (each battery when its launchers are ready, the
        cycle's time at the earliest), record every interceptor and log plan and launch."""
        bats = self.batteries
        fo = self.flyout
        threats = plan.threats
        pic, cand = threats.picture, threats.cand
        t = pic.t
        n_j = cand.size
        x = plan.rounds
        s_fire, j_fire = np.nonzero(x)
        counts = x[s_fire, j_fire]
        s_all = np.repeat(s_fire, counts)
        j_all = np.repeat(j_fire, counts)
        # one launch call per battery, in battery order, so ids follow that order
        order = np.argsort(bats.shooter_battery[s_all], kind="stable")
        s_all, j_all = s_all[order], j_all[order]
        pair = s_all * n_j + j_all
        track = pic.track_id[cand[j_all]]
        obj = pic.object_id[cand[j_all]]
        b_all = bats.shooter_battery[s_all]
        t_fire = plan.start_s[b_all]
        site = bats.shooter_site()[s_all]
        missile = bats.shooter_missile[s_all]
        new = np.concatenate(
            [
                fo.launch(
                    float(plan.start_s[b]),
                    missile[b_all == b],
                    site[b_all == b],
                    np.maximum(obj[b_all == b], -1),
                    plan.pip[pair[b_all == b]],
                )
                for b in np.unique(b_all)
            ]
        )
        launcher = bats.take_rounds(s_all)
        n_b = bats.site.shape[0]
        fired_b = np.bincount(b_all, minlength=n_b)
        # the launchers used are busy for a launch interval (all of them when all fired)
        busy = np.ceil(fired_b / np.maximum(bats.launchers, 1)) * bats.launch_interval_s
        full = fired_b >= plan.rate
        bats.next_launch_s = np.where(full & (fired_b > 0), plan.start_s + busy, bats.next_launch_s)
        pk = plan.pk[s_all, j_all]
        self.interceptors.add(
            new,
            battery_id=b_all,
            launcher=launcher,
            missile_type=missile,
            track=track,
            obj=obj,
            plan_t=t,
            launch_t=t_fire,
            site=site,
            pip=plan.pip[pair],
            intercept_t=plan.intercept_t[pair],
            pk=pk,
        )
        names = np.array([bats.missile_types[m].name for m in missile], dtype=object)
        pip = plan.pip[pair]
        events.add(
            EngagementPlanned(
                t=np.full(new.size, t),
                interceptor_id=new,
                track_id=track,
                object_id=obj,
                battery_id=b_all,
                missile=names,
                intercept_t=plan.intercept_t[pair],
                pk=pk,
                x=pip[:, 0],
                y=pip[:, 1],
                z=pip[:, 2],
            )
        )
        events.add(
            InterceptorLaunch(
                t=t_fire,
                interceptor_id=new,
                battery_id=b_all,
                launcher=launcher,
                missile=names,
                track_id=track,
                object_id=obj,
                x=site[:, 0],
                y=site[:, 1],
                z=site[:, 2],
            )
        )

    # --- step 6: fly and assess -----------------------------------------------------------

    def advance(self, t0: float, t1: float, events: EventLog) -> None:
        """Fly every interceptor over [t0, t1); apply kills to the world; assess the tracks
        of the targets killed; retarget or destroy the interceptors they leave; log the ends."""
        if self.flyout is None:
            return
        ev = self.flyout.advance(t0, t1, self.truth, self.rng)
        if len(ev) == 0:
            return
        kill = ev.outcome == "kill"
        if kill.any():
            self.truth.kill(ev.target_id[kill], ev.t[kill])
            self._report_killed(self.interceptors.track[ev.interceptor_id[kill]])
        launched = self.interceptors.launch_t[ev.interceptor_id]
        reason = self._end_reasons(ev.outcome, ev.target_id, ev.t, launched)
        self._end(events, ev.interceptor_id, ev.t, reason, ev.miss_m, ev.position)
        if kill.any():
            self._retarget(t1, np.unique(ev.target_id[kill]), events)

    def _end(
        self,
        events: EventLog,
        ids: IntArray,
        t: FloatArray,
        reason: NDArray[np.str_],
        miss_m: FloatArray,
        pos: FloatArray,
    ) -> None:
        """Record interceptors' ends (times, end reasons, misses, where) and log them: a kill
        or a miss as such, any other end as an ``interceptor_end`` with its reason."""
        log = self.interceptors
        log.end(ids, t, np.array([END_CODE[r] for r in reason], dtype=np.int64), miss_m, pos)

        def rows(sel: NDArray[np.bool_]) -> dict[str, NDArray]:
            return {
                "t": t[sel],
                "interceptor_id": ids[sel],
                "track_id": log.track[ids[sel]],
                "object_id": log.object[ids[sel]],
                "miss_m": miss_m[sel],
                "x": pos[sel, 0],
                "y": pos[sel, 1],
                "z": pos[sel, 2],
            }

        for kind, name in ((Kill, "kill"), (Miss, "miss")):
            events.add(kind(**rows(reason == name)))
        other = (reason != "kill") & (reason != "miss")
        events.add(InterceptorEnd(reason=reason[other].astype(object), **rows(other)))

    def _end_reasons(
        self, outcome: NDArray[np.str_], target: IntArray, t: FloatArray, launch_t: FloatArray
    ) -> NDArray[np.str_]:
        """The flyout's outcomes as the record names them: of the passes at one target that
        killed, the first is its kill; any later pass, or an end for want of a target that
        another interceptor destroyed while this one flew at it, arrived at a destroyed
        target. (One launched after its target's death stays ``target_gone``: it was fired at
        a track that outlived its target.)"""
        reason = np.asarray(outcome).astype("<U17")
        kills = np.flatnonzero(reason == "kill")
        if kills.size:
            _, first = np.unique(target[kills], return_index=True)
            later = np.ones(kills.size, dtype=bool)
            later[first] = False
            reason[kills[later]] = "arrived_destroyed"
        gone = np.flatnonzero(reason == "target_gone")
        if gone.size:
            tg = target[gone]
            valid = tg >= 0
            dead = np.zeros(gone.size, dtype=bool)
            killed_at = self.truth.end_s[tg[valid]]
            dead[valid] = (
                (self.truth.end_reason[tg[valid]] == "killed")
                & (killed_at <= t[gone[valid]])
                & (launch_t[gone[valid]] < killed_at)
            )
            reason[gone[dead]] = "arrived_destroyed"
        return reason

    def _report_killed(self, tracks: IntArray) -> None:
        """Kill assessment: the tracks of the targets killed are reported killed."""
        if tracks.max() >= self._killed.size:
            grown = np.zeros(max(int(tracks.max()) + 1, 2 * self._killed.size), dtype=bool)
            grown[: self._killed.size] = self._killed
            self._killed = grown
        self._killed[tracks] = True

    def _retarget(self, t: float, dead: IntArray, events: EventLog) -> None:
        """Interceptors still flying at a target just killed: each takes the nearest live
        hostile track of the last picture within ``doctrine.retarget_range_km``, or
        self-destructs."""
        fo = self.flyout
        log = self.interceptors
        flying = fo.active_ids
        orphans = flying[np.isin(fo.target_ids[flying], dead)]
        if orphans.size == 0:
            return
        where = fo.positions[np.searchsorted(flying, orphans)]  # positions follow active_ids
        pic = self._picture
        keep = np.zeros(0, dtype=np.int64)
        if pic is not None:
            alive = (pic.object_id >= 0) & ~self.killed(pic.track_id)
            alive &= self.identifier.identity_of(pic.track_id) == idn.HOSTILE
            alive &= ~np.isin(pic.object_id, dead)
            keep = np.flatnonzero(alive)
        if keep.size:
            now = pic.pos[keep] + pic.vel[keep] * (t - pic.t)
            d = np.linalg.norm(where[:, None, :] - now[None, :, :], axis=2)
            best = np.argmin(d, axis=1)
            ok = d[np.arange(orphans.size), best] <= self.doctrine.retarget_range_km * 1000.0
            if ok.any():
                new = keep[best[ok]]
                moved = orphans[ok]
                fo.retarget(moved, pic.object_id[new], t, now[best[ok]], pic.vel[new])
                events.add(
                    InterceptorRetarget(
                        t=np.full(moved.size, t),
                        interceptor_id=moved,
                        track_id=pic.track_id[new],
                        object_id=pic.object_id[new],
                        previous_track_id=log.track[moved],
                    )
                )
                log.retarget(moved, pic.track_id[new], pic.object_id[new])
            orphans, where = orphans[~ok], where[~ok]
        if orphans.size:
            fo.destroy(orphans)
            n = orphans.size
            reason = np.full(n, "destroyed")
            self._end(events, orphans, np.full(n, t), reason, np.full(n, np.nan), where)

    def flyout_tables(self) -> list[object]:
        """Flyout time against range and height of every missile type the batteries carry
        (what the report plots); empty without batteries."""
        self._ensure_flyout()
        return [] if self.flyout is None else list(self.flyout.tables)

    def interceptor_paths(self) -> tuple[IntArray, FloatArray, FloatArray]:
        """Every interceptor's flown path (ids, times, ENU positions), sorted by id and time."""
        if self.flyout is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros((0, 3))
        return self.flyout.paths()

    def summary(self) -> dict[str, object]:
        """Engagement figures of the run for the summary table."""
        log = self.interceptors
        obj = log.object0[: log.n]
        valid = obj[obj >= 0]
        civil = int(np.unique(valid[~self.truth.hostile[valid]]).size) if valid.size else 0
        costs = [self.batteries.missile_types[m].cost_usd for m in log.missile_type[: log.n]]
        cost = float(sum(costs)) if costs else 0.0
        killed = np.flatnonzero(self.truth.end_reason == "killed")
        threat_cost = float(self.truth.cost_usd[killed].sum()) if killed.size else 0.0
        return {
            "civil_engaged": civil,
            "interceptors_used": int(log.n),
            "kills": int(killed.size),
            "interceptor_cost_usd": cost,
            "cost_exchange_ratio": cost / threat_cost if threat_cost > 0 else None,
        }


def _keep_within_launch_rate(
    x: IntArray, worth: FloatArray, battery_of: IntArray, cap_b: IntArray
) -> None:
    """A battery's launchers share one launch rate: where the assignment gives a battery
    more rounds than its cap, drop its least worth (Pk x value) rounds, one at a time (in
    place on ``x``, shooters x threats)."""
    for b in range(cap_b.shape[0]):
        rows = np.flatnonzero(battery_of == b)
        extra = int(x[rows].sum()) - int(cap_b[b])
        while extra > 0:
            sub = x[rows]
            s_loc, j_loc = np.unravel_index(
                np.argmin(np.where(sub > 0, worth[rows], np.inf)), sub.shape
            )
            x[rows[s_loc], j_loc] -= 1
            extra -= 1
