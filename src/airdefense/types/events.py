"""The event vocabulary of a run: one record type per kind of event, each with its own named
fields, and the log that collects them.

Every stage reports what happened as a batch of one kind (a structure of arrays, one row per
event: all launches of a step, all confirmations of a scan); :class:`EventLog` keeps the
batches and turns them into the ``events`` table of ``run.duckdb``, one typed column per
field, NULL where a kind has no such field, and a view ``events_<kind>`` per kind with only
its own columns. No free-text field carries data: names come from fixed vocabularies
(:data:`TRACK_DROP_REASONS`, :data:`INTERCEPTOR_ENDS`, ...) and ids join the other tables
(``object_id`` -> ``objects``, ``interceptor_id`` -> ``interceptors``, ``battery_id`` ->
``batteries``, ``sensor_id`` -> ``sensors``, ``asset_id`` -> ``assets``).

``object_id`` on a decision-layer event (a track's confirmation or drop, an identification,
a plan, a launch) is the truth object behind the track then, -1 for a false track: it is
recorded for scoring and never read by the decision layers themselves.

Positions ``x, y, z`` are ENU metres in the scenario frame; times are seconds since the
start of the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import ClassVar

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airdefense.types.columns import Columns

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
StrArray = NDArray[np.object_]


class EventKind(StrEnum):
    """The kinds of events, in the order the log sorts simultaneous events."""

    OBJECT_START = "object_start"  # a threat launched, a flight entered the recording
    FIRST_DETECTION = "first_detection"  # the first plot of an object by any radar
    TRACK_CONFIRMED = "track_confirmed"
    TRACK_DROPPED = "track_dropped"
    IDENTIFIED = "identified"  # a track's identity changed
    ENGAGEMENT_PLANNED = "engagement_planned"  # an interceptor assigned to a track
    INTERCEPTOR_LAUNCH = "interceptor_launch"
    INTERCEPTOR_RETARGET = "interceptor_retarget"  # its target died: another track given
    KILL = "kill"  # a pass within the lethal radius that killed
    MISS = "miss"  # a pass that did not kill
    INTERCEPTOR_END = "interceptor_end"  # an end with no pass at a live target
    LEAK = "leak"  # a threat reached its aim point alive
    ASSET_HIT = "asset_hit"  # ... and impacted inside a defended asset's radius
    OBJECT_END = "object_end"  # a trajectory ended otherwise (killed, landed, end of data)


#: Why a confirmed track was dropped (tentative tracks come and go unrecorded).
TRACK_DROP_REASONS = (
    "missed",  # it missed ``max_misses`` revisits in a row
    "diverged",  # its position uncertainty grew past ``max_position_sigma_m``
    "duplicate",  # it followed an older track's target (the older number stays)
    "end_of_data",  # the plots ran out
)
#: How an interceptor's flight ended (the ``interceptors`` table's ``end_reason``): a pass at
#: its live target (``kill``, ``miss``), or no such pass.
INTERCEPTOR_ENDS = (
    "kill",
    "miss",
    "arrived_destroyed",  # its pass came when another interceptor had destroyed the target
    "target_gone",  # the target's trajectory ended (impact, end of data) before its pass
    "timeout",  # maximum flight time reached: self-destruct
    "ground",  # it fell below the ground
    "destroyed",  # self-destruct ordered: its target was reported killed and none was near
    "flying",  # still in flight when the run ended
)
#: Identities a track can have, and the rules that decide them.
IDENTITIES = ("unknown", "civil", "friend", "hostile")
IDENTIFICATION_RULES = (
    "no_evidence",  # nothing decides: unknown
    "friend_reply",  # a secure friend reply (mode 5)
    "civil_reply",  # a civil transponder reply
    "flight_plan",  # correlated with a filed civil flight plan
    "ballistic_arc",  # flies what no aircraft flies
    "silent",  # interrogations unanswered, no flight plan
)
#: How a threat's trajectory ended when it leaked.
LEAK_REASONS = ("impact", "reached_aim")
#: How any other trajectory ended.
OBJECT_END_REASONS = ("killed", "landed", "record_end", "duration", "impact", "reached_aim")


#: Every column of the ``events`` table: name -> (SQL type, meaning). Each kind uses a subset.
EVENT_COLUMNS: dict[str, tuple[str, str]] = {
    "t": ("DOUBLE NOT NULL", "time of the event (s); for a pass, its closest approach"),
    "kind": ("VARCHAR NOT NULL", "an EventKind"),
    "object_id": ("INTEGER", "the object (objects.object_id); -1: a false track"),
    "track_id": ("INTEGER", "the track (track number)"),
    "sensor_id": ("INTEGER", "the radar (sensors.sensor_id)"),
    "interceptor_id": ("INTEGER", "the interceptor (interceptors.interceptor_id)"),
    "battery_id": ("INTEGER", "the battery (batteries.battery_id)"),
    "launcher": ("INTEGER", "the battery's launcher that fired, from 0"),
    "missile": ("VARCHAR", "the interceptor's missile preset"),
    "asset_id": ("INTEGER", "the defended asset (assets.asset_id)"),
    "previous_track_id": ("INTEGER", "a retargeted interceptor's track before"),
    "identity": ("VARCHAR", "the track's new identity (IDENTITIES)"),
    "previous_identity": ("VARCHAR", "its identity before"),
    "rule": ("VARCHAR", "the identification rule that decided (IDENTIFICATION_RULES)"),
    "civil_replies": ("INTEGER", "evidence: civil transponder replies to the track so far"),
    "friend_replies": ("INTEGER", "evidence: secure friend replies so far"),
    "silent_run": ("INTEGER", "evidence: interrogations unanswered in a row"),
    "plan_hits": ("INTEGER", "evidence: updates correlated with a filed flight plan"),
    "arc_updates": ("INTEGER", "evidence: updates on a ballistic arc"),
    "reason": ("VARCHAR", "why: a track drop, an interceptor's end, a trajectory's end"),
    "range_m": ("DOUBLE", "slant range from the radar (m)"),
    "miss_m": ("DOUBLE", "miss distance at the closest approach (m)"),
    "intercept_t": ("DOUBLE", "predicted intercept time of a plan (s)"),
    "pk": ("DOUBLE", "planned kill probability of the shot"),
    "x": ("DOUBLE", "east (m, ENU) where it happened"),
    "y": ("DOUBLE", "north (m, ENU)"),
    "z": ("DOUBLE", "up (m, ENU)"),
}

_ARROW = {
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "VARCHAR": pa.string(),
}
EVENT_SCHEMA = pa.schema(
    [(name, _ARROW[sql.split()[0]]) for name, (sql, _) in EVENT_COLUMNS.items()]
)


class Event(Columns):
    """Base of the event batches: a frozen dataclass of equal-length columns, ``t`` first,
    whose class names its :class:`EventKind`."""

    KIND: ClassVar[EventKind]


@dataclass(frozen=True)
class ObjectStart(Event):
    """An object's trajectory begins: a threat launched, a recorded flight entered."""

    KIND = EventKind.OBJECT_START
    INT_FIELDS = ("object_id",)
    t: FloatArray
    object_id: IntArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class FirstDetection(Event):
    """The first plot of an object by any radar, and the slant range it was seen at."""

    KIND = EventKind.FIRST_DETECTION
    INT_FIELDS = ("object_id", "sensor_id")
    t: FloatArray
    object_id: IntArray
    sensor_id: IntArray
    range_m: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class TrackConfirmed(Event):
    """A track confirmed (M of N), at its estimated position."""

    KIND = EventKind.TRACK_CONFIRMED
    INT_FIELDS = ("track_id", "object_id")
    t: FloatArray
    track_id: IntArray
    object_id: IntArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class TrackDropped(Event):
    """A confirmed track dropped, why (:data:`TRACK_DROP_REASONS`), and where it was."""

    KIND = EventKind.TRACK_DROPPED
    INT_FIELDS = ("track_id", "object_id")
    STR_FIELDS = ("reason",)
    t: FloatArray
    track_id: IntArray
    object_id: IntArray
    reason: StrArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class Identified(Event):
    """A track's identity changed: the new and the old identity, the rule that decided it
    and the evidence the track had gathered then."""

    KIND = EventKind.IDENTIFIED
    INT_FIELDS = (
        "track_id",
        "object_id",
        "civil_replies",
        "friend_replies",
        "silent_run",
        "plan_hits",
        "arc_updates",
    )
    STR_FIELDS = ("identity", "previous_identity", "rule")
    t: FloatArray
    track_id: IntArray
    object_id: IntArray
    identity: StrArray
    previous_identity: StrArray
    rule: StrArray
    civil_replies: IntArray
    friend_replies: IntArray
    silent_run: IntArray
    plan_hits: IntArray
    arc_updates: IntArray


@dataclass(frozen=True)
class EngagementPlanned(Event):
    """An interceptor assigned to a track in a decision cycle (``t``): by which battery, of
    which type, with what planned Pk, and the predicted intercept point (x, y, z) and time."""

    KIND = EventKind.ENGAGEMENT_PLANNED
    INT_FIELDS = ("interceptor_id", "track_id", "object_id", "battery_id")
    STR_FIELDS = ("missile",)
    t: FloatArray
    interceptor_id: IntArray
    track_id: IntArray
    object_id: IntArray
    battery_id: IntArray
    missile: StrArray
    intercept_t: FloatArray
    pk: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class InterceptorLaunch(Event):
    """An interceptor leaves its launcher (x, y, z) at a track (and the object behind it)."""

    KIND = EventKind.INTERCEPTOR_LAUNCH
    INT_FIELDS = ("interceptor_id", "battery_id", "launcher", "track_id", "object_id")
    STR_FIELDS = ("missile",)
    t: FloatArray
    interceptor_id: IntArray
    battery_id: IntArray
    launcher: IntArray
    missile: StrArray
    track_id: IntArray
    object_id: IntArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class InterceptorRetarget(Event):
    """An interceptor whose target was reported killed takes another track."""

    KIND = EventKind.INTERCEPTOR_RETARGET
    INT_FIELDS = ("interceptor_id", "track_id", "object_id", "previous_track_id")
    t: FloatArray
    interceptor_id: IntArray
    track_id: IntArray
    object_id: IntArray
    previous_track_id: IntArray


@dataclass(frozen=True)
class _Pass(Event):
    """An interceptor's closest approach to its live target: when, and the miss."""

    INT_FIELDS = ("interceptor_id", "track_id", "object_id")
    t: FloatArray
    interceptor_id: IntArray
    track_id: IntArray
    object_id: IntArray
    miss_m: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class Kill(_Pass):
    """An interceptor's pass that killed its target: closest-approach time and miss."""

    KIND = EventKind.KILL


@dataclass(frozen=True)
class Miss(_Pass):
    """An interceptor's pass that did not kill: closest-approach time and miss."""

    KIND = EventKind.MISS


@dataclass(frozen=True)
class InterceptorEnd(Event):
    """An interceptor's flight ended with no pass at a live target (``reason`` from
    :data:`INTERCEPTOR_ENDS`; ``miss_m`` where it passed a destroyed target, else NaN)."""

    KIND = EventKind.INTERCEPTOR_END
    INT_FIELDS = ("interceptor_id", "track_id", "object_id")
    STR_FIELDS = ("reason",)
    t: FloatArray
    interceptor_id: IntArray
    track_id: IntArray
    object_id: IntArray
    reason: StrArray
    miss_m: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class _TrajectoryEnd(Event):
    """An object's trajectory ended: why, and where."""

    INT_FIELDS = ("object_id",)
    STR_FIELDS = ("reason",)
    t: FloatArray
    object_id: IntArray
    reason: StrArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class Leak(_TrajectoryEnd):
    """A threat reached its aim point alive (``reason``: impact or reached_aim)."""

    KIND = EventKind.LEAK


@dataclass(frozen=True)
class AssetHit(Event):
    """A leaker impacted inside a defended asset's radius."""

    KIND = EventKind.ASSET_HIT
    INT_FIELDS = ("object_id", "asset_id")
    t: FloatArray
    object_id: IntArray
    asset_id: IntArray
    x: FloatArray
    y: FloatArray
    z: FloatArray


@dataclass(frozen=True)
class ObjectEnd(_TrajectoryEnd):
    """Any other end of a trajectory (``reason`` from :data:`OBJECT_END_REASONS`)."""

    KIND = EventKind.OBJECT_END


#: The record type of each kind.
EVENT_TYPES: dict[EventKind, type[Event]] = {
    cls.KIND: cls
    for cls in (
        ObjectStart,
        FirstDetection,
        TrackConfirmed,
        TrackDropped,
        Identified,
        EngagementPlanned,
        InterceptorLaunch,
        InterceptorRetarget,
        Kill,
        Miss,
        InterceptorEnd,
        Leak,
        AssetHit,
        ObjectEnd,
    )
}


def kind_columns(kind: EventKind) -> tuple[str, ...]:
    """The columns of one kind's view, in the order of its record's fields."""
    return tuple(f.name for f in fields(EVENT_TYPES[kind]))


class EventLog:
    """Append-only log of event batches, kept per kind until :meth:`table` is asked for (the
    loop adds small batches hundreds of times a run; Arrow is built once)."""

    def __init__(self) -> None:
        self._batches: dict[EventKind, list[Event]] = {k: [] for k in EventKind}

    def add(self, batch: Event) -> None:
        """Append a batch (empty batches are ignored)."""
        if len(batch):
            self._batches[batch.KIND].append(batch)

    def extend(self, other: EventLog) -> None:
        """Append every batch of another log (in its order)."""
        for kind, parts in other._batches.items():
            self._batches[kind].extend(parts)

    def __len__(self) -> int:
        return sum(len(b) for parts in self._batches.values() for b in parts)

    def count(self, kind: EventKind) -> int:
        """Number of events of one kind."""
        return sum(len(b) for b in self._batches[kind])

    def of(self, kind: EventKind) -> Event:
        """Every event of one kind as one batch, in the order they were added."""
        return EVENT_TYPES[kind].join(self._batches[kind])

    def table(self) -> pa.Table:
        """All events as the ``events`` table (:data:`EVENT_SCHEMA`), sorted by time, then
        kind (in :class:`EventKind` order), object, track and interceptor."""
        parts = [_kind_table(kind, self.of(kind)) for kind in EventKind if self.count(kind)]
        if not parts:
            return EVENT_SCHEMA.empty_table()
        table = pa.concat_tables(parts)
        rank = {k.value: i for i, k in enumerate(EventKind)}
        order = np.lexsort(
            (
                _sort_key(table["interceptor_id"]),
                _sort_key(table["track_id"]),
                _sort_key(table["object_id"]),
                np.array([rank[k] for k in table["kind"].to_pylist()]),
                table["t"].to_numpy(),
            )
        )
        return table.take(pa.array(order))


def _sort_key(column: pa.ChunkedArray) -> IntArray:
    """An int column as a sort key, NULL first."""
    return column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def _kind_table(kind: EventKind, batch: Event) -> pa.Table:
    """One kind's batch as rows of the events table (its fields filled, the rest NULL)."""
    n = len(batch)
    own = {f.name for f in fields(batch)}
    cols = {}
    for name, field in zip(EVENT_SCHEMA.names, EVENT_SCHEMA, strict=True):
        if name == "kind":
            cols[name] = pa.array([kind.value] * n, pa.string())
        elif name in own:
            cols[name] = pa.array(getattr(batch, name), field.type)
        else:
            cols[name] = pa.nulls(n, field.type)
    return pa.table(cols, schema=EVENT_SCHEMA)
