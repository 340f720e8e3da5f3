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
#: A threat whose interceptors in flight leave it less than this chance of surviving is not
#: planned for again until their outcome is known.
COVERED_SURVIVAL = 0.05
#: Longest look-ahead for an intercept (s).
HORIZON_S = 600.0
#: An interceptor whose target is killed takes a live hostile track this close, or
#: self-destructs.
RETARGET_RANGE_M = 15_000.0


@dataclass
class EngagementRecord:
    """One row per interceptor: what was fired at what, and how it ended."""

    t: list[float] = field(default_factory=list)
    battery: list[str] = field(default_factory=list)
    missile: list[str] = field(default_factory=list)
    track_id: list[int] = field(default_factory=list)
    object_id: list[int] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)
    end_t: list[float] = field(default_factory=list)  # NaN while flying


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
        types = self.batteries.missile_types
        # per missile type: reach, longest flight, planning Pk per threat class
        self._type_reach_m = np.array([m.max_range_km * 1000.0 for m in types])
        self._type_flight_s = np.array([m.max_flight_time_s for m in types])
        self._type_pk = np.array(
            [[m.reliability * m.warhead_pk.get(c, 1.0) for c in thr.CLASS_NAMES] for m in types]
        ).reshape(len(types), len(thr.CLASS_NAMES))
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
        self.flyout = None
        self._killed = np.zeros(1024, dtype=bool)  # by track number: reported killed
        self._picture: tuple | None = None
        self.next_cycle_s = 0.0

    @property
    def enabled(self) -> bool:
        return self.batteries.n_shooters > 0

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
        ids, new, when = self.identifier.update(
            rows.t[pick], r_tid, xyz, vel, self.frame.height_m(xyz), r_truth, steady
        )
        if ids.size:
            # the object behind each track: its latest row's (rows are sorted by track, time)
            obj = r_truth[np.searchsorted(r_tid, ids, side="right") - 1]
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
        roe = self.scenario.rules_of_engagement
        near = threatened
        if roe.unknown_inside_km is not None:
            near = near & (dist_m <= roe.unknown_inside_km * 1000.0)
        return self._identity_allows(track_ids, near)

    def _identity_allows(
        self, track_ids: IntArray, unknown_ok: NDArray[np.bool_] | bool
    ) -> NDArray[np.bool_]:
        """Tracks whose identity the rules allow to engage: hostile ones if the rules name
        hostile, unknown ones where ``unknown_ok`` if they name unknown."""
        roe = self.scenario.rules_of_engagement
        ident = self.identifier.identity_of(track_ids)
        ok = np.zeros(track_ids.shape, dtype=bool)
        if "hostile" in roe.engage_identities:
            ok |= ident == idn.HOSTILE
        if "unknown" in roe.engage_identities:
            ok |= (ident == idn.UNKNOWN) & unknown_ok
        return ok

    # --- the decision cycle ---------------------------------------------------------------

    def _ensure_flyout(self) -> None:
        if self.flyout is None and self.enabled:
            from airdefense.engagement.flyout import Flyout

            self.flyout = Flyout(self.batteries.missile_types, self.frame)
            # per interceptor id: its battery, track number, planning Pk and due time
            self.shot_battery = np.zeros(0, dtype=np.int64)
            self.shot_track = np.zeros(0, dtype=np.int64)
            self.shot_pk = np.zeros(0)
            self.shot_eta = np.zeros(0)

    def cycle(self, t: float, picture: TrackUpdates, truth_of: IntArray, events: EventLog) -> None:
        """One decision cycle at time t on the confirmed picture (tracks predicted to t, with
        the truth id of each track's last plot): guide, evaluate, assign, launch."""
        from airdefense.engagement import flyout as fly
        from airdefense.engagement import wta

        if not self.enabled or len(picture) == 0:
            return
        self._ensure_flyout()
        fo = self.flyout
        bats = self.batteries
        pos = np.column_stack([picture.x, picture.y, picture.z])
        vel = np.column_stack([picture.vx, picture.vy, picture.vz])
        ids = picture.track_id
        truth_of = np.asarray(truth_of, dtype=np.int64)
        self._guide(t, ids, pos, vel)
        self._picture = (t, ids, pos, vel, truth_of)
        # only tracks the rules may engage (by identity) and not yet reported killed are
        # evaluated; the civil and friendly majority of a picture stops here
        maybe = self._identity_allows(ids, True) & ~self.killed(ids)
        if not maybe.any() or not np.any(bats.rounds > 0):
            return
        pos, vel, ids, truth_of = pos[maybe], vel[maybe], ids[maybe], truth_of[maybe]
        height = self.frame.height_m(pos)
        cap = self.identifier.ballistic.shape[0]
        bal = np.zeros(ids.size, dtype=bool)
        inside = ids < cap
        bal[inside] = self.identifier.ballistic[ids[inside]]
        cls = thr.classify(vel, height, bal)
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
            return
        # per track number, what is flying at it: its chance to survive those interceptors,
        # how many there are and when the last of them is due
        flying = fo.active_ids
        st = self.shot_track
        n_id = int(max(ids.max(), st.max() if st.size else 0)) + 1
        surv_of = np.ones(n_id)
        due_of = np.zeros(n_id)  # read only where something flies (its times are > 0)
        n_of = np.zeros(n_id, dtype=np.int64)
        if flying.size:
            np.multiply.at(surv_of, st[flying], 1.0 - self.shot_pk[flying])
            np.maximum.at(due_of, st[flying], self.shot_eta[flying])
            np.add.at(n_of, st[flying], 1)
            # threats already well covered by interceptors in flight need no new plan
            cand = cand[surv_of[ids[cand]] >= COVERED_SURVIVAL]
            if cand.size == 0:
                return
        n_s, n_j = bats.n_shooters, cand.size
        s_idx = np.repeat(np.arange(n_s), n_j)
        j_idx = np.tile(cand, n_s)
        # only intercepts before the threat reaches its asset matter; a pair whose threat
        # cannot come within the missile's reach in that time is not solved for
        horizon = np.minimum(assess.time_to_go_s[j_idx], HORIZON_S) + 1.0
        reach = self._type_reach_m
        gap = np.linalg.norm(pos[j_idx, :2] - bats.shooter_site()[s_idx, :2], axis=1)
        speed = np.linalg.norm(vel[j_idx], axis=1)
        maybe = gap - speed * horizon <= reach[bats.shooter_missile[s_idx]]
        in_time = np.zeros(s_idx.size, dtype=bool)
        pip = np.full((s_idx.size, 3), np.nan)
        t_int = np.full(s_idx.size, np.nan)
        fly_s = np.full(s_idx.size, np.inf)
        m = np.flatnonzero(maybe)
        if m.size:
            sol = fly.intercept_point(
                fo.packed_tables,
                bats.shooter_missile[s_idx[m]],
                bats.shooter_site()[s_idx[m]],
                pos[j_idx[m]],
                vel[j_idx[m]],
                self.frame,
                t,
                ballistic=cls[j_idx[m]] == thr.BALLISTIC,
                horizon_s=horizon[m],
                step_s=2.0,
                tolerance_s=0.1,
            )
            inside = (
                sol.flyout_s
                <= self.scenario.doctrine.flyout_fraction
                * self._type_flight_s[bats.shooter_missile[s_idx[m]]]
            )
            in_time[m] = sol.feasible & inside & (sol.t_s - t <= assess.time_to_go_s[j_idx[m]])
            pip[m] = sol.pip
            t_int[m] = sol.t_s
            fly_s[m] = np.where(sol.feasible, sol.flyout_s, np.inf)
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
            return
        # shoot-look-shoot: hold fire while a second salvo after the outcome is still in time
        sb = self.shot_battery
        survival0 = surv_of[ids[cand]]
        flyout_min = np.where(in_time, fly_s, np.inf).reshape(n_s, n_j).min(axis=0)
        second = due_of[ids[cand]] + self.scenario.doctrine.decision_cycle_s + flyout_min
        wait = (
            self.scenario.doctrine.shoot_look_shoot
            & (n_of[ids[cand]] > 0)
            & (second < t + assess.time_to_go_s[cand])
        )
        max_salvo = np.where(wait, 0, self.salvo[cls[cand]])
        if not np.any(max_salvo > 0):
            return
        # rounds (less the reserve), launch rate and channels per battery
        reserve = np.floor(bats.rounds0 * self.scenario.doctrine.reserve_fraction).astype(np.int64)
        n_b = bats.site.shape[0]
        busy_m = np.bincount(sb[flying], minlength=n_b) if flying.size else np.zeros(n_b, np.int64)
        # target channels in use: distinct threats each battery has interceptors flying at
        pairs = np.unique(sb[flying] * n_id + st[flying])
        engaged = np.bincount(pairs // n_id, minlength=n_b)
        # launch rate: each launcher fires once per launch interval, in parallel
        window = self.scenario.doctrine.decision_cycle_s
        start = np.maximum(bats.next_launch_s, t)
        per_cycle = np.maximum(1, np.floor(bats.launchers * window / bats.launch_interval_s))
        rate = np.where(start < t + window, per_cycle, 0).astype(np.int64)
        cap_b = np.minimum(rate, np.maximum(bats.missile_channels - busy_m, 0))
        shots = np.minimum(
            np.maximum(bats.rounds - reserve, 0), cap_b[bats.shooter_battery]
        ).astype(np.int64)
        channels = np.maximum(bats.target_channels - engaged, 0)
        cost = bats.shooter_cost_usd() / 1e6 * self.scenario.doctrine.value_per_million_usd
        # nothing to solve when no pair can fire or no single round is worth its price
        worth = assess.value[cand][None, :] * survival0[None, :] * pk > cost[:, None]
        fireable = worth & (shots[:, None] > 0) & (max_salvo[None, :] > 0)
        fireable &= channels[bats.shooter_battery][:, None] > 0
        if not fireable.any():
            return
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
        alloc = wta.assign(problem, method=self.scenario.doctrine.solver, time_limit_s=0.5)
        x = np.asarray(alloc.shots, dtype=np.int64)
        # a battery's launchers share one launch rate: keep its most valuable rounds
        for b in range(n_b):
            rows = np.flatnonzero(bats.shooter_battery == b)
            extra = int(x[rows].sum()) - int(cap_b[b])
            while extra > 0:
                sub = x[rows]
                s_loc, j_loc = np.unravel_index(
                    np.argmin(np.where(sub > 0, pk[rows] * problem.values, np.inf)), sub.shape
                )
                x[rows[s_loc], j_loc] -= 1
                extra -= 1
        s_fire, j_fire = np.nonzero(x)
        if s_fire.size == 0:
            return
        counts = x[s_fire, j_fire]
        s_all = np.repeat(s_fire, counts)
        j_all = np.repeat(j_fire, counts)
        pair = s_all * n_j + j_all
        track = ids[cand[j_all]]
        obj = truth_of[cand[j_all]]
        # launches go out when the battery's launchers are ready (the cycle's time at the
        # earliest); one launch call per battery, in battery order, so ids follow that order
        b_all = bats.shooter_battery[s_all]
        order = np.argsort(b_all, kind="stable")
        s_all, j_all, pair, track, obj, b_all = (
            a[order] for a in (s_all, j_all, pair, track, obj, b_all)
        )
        t_fire = start[b_all]
        new = np.concatenate(
            [
                fo.launch(
                    float(start[b]),
                    bats.shooter_missile[s_all[b_all == b]],
                    bats.shooter_site()[s_all[b_all == b]],
                    np.maximum(obj[b_all == b], -1),
                    pip[pair[b_all == b]],
                )
                for b in np.unique(b_all)
            ]
        )
        np.add.at(bats.rounds, s_all, -1)
        fired_b = np.bincount(bats.shooter_battery[s_all], minlength=n_b)
        # the launchers used are busy for a launch interval (all of them when all fired)
        busy = np.ceil(fired_b / np.maximum(bats.launchers, 1)) * bats.launch_interval_s
        full = fired_b >= rate
        bats.next_launch_s = np.where(full & (fired_b > 0), start + busy, bats.next_launch_s)
        self.shot_battery = np.concatenate([self.shot_battery, bats.shooter_battery[s_all]])
        self.shot_track = np.concatenate([self.shot_track, track])
        self.shot_pk = np.concatenate([self.shot_pk, pk[s_all, j_all]])
        self.shot_eta = np.concatenate([self.shot_eta, t_int[pair]])
        names = np.array([bats.names[b] for b in bats.shooter_battery[s_all]], dtype=object)
        missiles = np.array(
            [bats.missile_types[m].name for m in bats.shooter_missile[s_all]], dtype=object
        )
        events.add(
            EventKind.ENGAGEMENT_PLANNED,
            np.full(new.size, t),
            object_id=obj,
            track_id=track,
            xyz=pip[pair],
            value=t_int[pair],
            detail=names,
        )
        events.add(
            EventKind.LAUNCH,
            t_fire,
            object_id=obj,
            track_id=track,
            xyz=bats.shooter_site()[s_all],
            value=new,
            detail=np.array([f"interceptor {m}" for m in missiles], dtype=object),
        )
        r = self.records
        r.t.extend(t_fire.tolist())
        r.battery.extend(names.tolist())
        r.missile.extend(missiles.tolist())
        r.track_id.extend(track.tolist())
        r.object_id.extend(obj.tolist())
        r.outcome.extend(["flying"] * new.size)
        r.end_t.extend([float("nan")] * new.size)

    def _guide(self, t: float, ids: IntArray, pos: FloatArray, vel: FloatArray) -> None:
        """Command guidance: every interceptor in flight gets its track's latest estimate."""
        fo = self.flyout
        flying = fo.active_ids
        if flying.size == 0:
            return
        st = self.shot_track[flying]
        order = np.argsort(ids)
        k = np.searchsorted(ids[order], st)
        k = np.minimum(k, ids.size - 1)
        found = ids[order][k] == st
        if found.any():
            rows = order[k[found]]
            fo.command(flying[found], t, pos[rows], vel[rows])

    def _retarget(self, t: float, dead: IntArray) -> None:
        """Interceptors still flying at a target just killed: each takes the nearest live
        hostile track of the last picture within :data:`RETARGET_RANGE_M`, or self-destructs."""
        fo = self.flyout
        flying = fo.active_ids
        orphans = flying[np.isin(fo.target_ids[flying], dead)]
        if orphans.size == 0:
            return
        pic = self._picture
        keep = np.zeros(0, dtype=np.int64)
        if pic is not None:
            t_pic, ids, pos, vel, obj = pic
            alive = (obj >= 0) & ~self.killed(ids)
            alive &= self.identifier.identity_of(ids) == idn.HOSTILE
            alive &= ~np.isin(obj, dead)
            keep = np.flatnonzero(alive)
        if keep.size:
            now = pos[keep] + vel[keep] * (t - t_pic)
            where = fo.positions[np.searchsorted(flying, orphans)]  # positions follow active_ids
            d = np.linalg.norm(where[:, None, :] - now[None, :, :], axis=2)
            best = np.argmin(d, axis=1)
            ok = d[np.arange(orphans.size), best] <= RETARGET_RANGE_M
            if ok.any():
                new = keep[best[ok]]
                fo.retarget(orphans[ok], obj[new], t, now[best[ok]], vel[new])
                self.shot_track[orphans[ok]] = ids[new]
            orphans = orphans[~ok]
        if orphans.size:
            fo.destroy(orphans)
            for i in orphans.tolist():
                self.records.outcome[i] = "destroyed"
                self.records.end_t[i] = t

    def advance(self, t0: float, t1: float, events: EventLog) -> None:
        """Fly every interceptor over [t0, t1); apply kills to the world; log the outcomes."""
        if self.flyout is None:
            return
        ev = self.flyout.advance(t0, t1, self.truth, self.rng)
        if len(ev) == 0:
            return
        kill = ev.outcome == "kill"
        tracks = self.shot_track[ev.interceptor_id]
        if kill.any():
            self.truth.kill(ev.target_id[kill], ev.t[kill])
            dead = tracks[kill]
            if dead.max() >= self._killed.size:
                grown = np.zeros(max(int(dead.max()) + 1, 2 * self._killed.size), dtype=bool)
                grown[: self._killed.size] = self._killed
                self._killed = grown
            self._killed[dead] = True
            self._retarget(t1, np.unique(ev.target_id[kill]))
        for name, kind in (
            ("kill", EventKind.KILL),
            ("miss", EventKind.MISS),
        ):
            sel = ev.outcome == name
            if sel.any():
                events.add(
                    kind,
                    ev.t[sel],
                    object_id=ev.target_id[sel],
                    track_id=tracks[sel],
                    xyz=ev.position[sel],
                    value=ev.miss_m[sel],
                    detail=np.array(
                        [self.batteries.missile_types[m].name for m in ev.missile_type[sel]],
                        dtype=object,
                    ),
                )
        for i, o, te in zip(
            ev.interceptor_id.tolist(), ev.outcome.tolist(), ev.t.tolist(), strict=True
        ):
            self.records.outcome[i] = str(o)
            self.records.end_t[i] = float(te)

    def flyout_tables(self) -> list[object]:
        """Flyout time against range and height of every missile type the batteries carry
        (what the report plots); empty without batteries."""
        self._ensure_flyout()
        return [] if self.flyout is None else list(self.flyout.tables)

    def summary(self) -> dict[str, object]:
        """Engagement figures of the run for the summary table."""
        r = self.records
        obj = np.asarray(r.object_id, dtype=np.int64)
        valid = obj[obj >= 0]
        civil = int(np.unique(valid[~self.truth.hostile[valid]]).size) if valid.size else 0
        cost = float(sum(catalog.MISSILES[m].cost_usd for m in r.missile) if r.missile else 0.0)
        killed = np.flatnonzero(self.truth.end_reason == "killed")
        threat_cost = float(self.truth.cost_usd[killed].sum()) if killed.size else 0.0
        return {
            "civil_engaged": civil,
            "interceptors_used": len(r.t),
            "kills": int(killed.size),
            "interceptor_cost_usd": cost,
            "cost_exchange_ratio": cost / threat_cost if threat_cost > 0 else None,
        }
