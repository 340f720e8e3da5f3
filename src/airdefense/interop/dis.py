"""A run as DIS PDUs: IEEE 1278.1-2012 (DIS protocol version 7), encoded from the standard's
layouts with numpy structured arrays (big-endian, no padding), one array row per PDU.

Read through :class:`~airdefense.record.reader.RunReader` only. What is sent (clause 7 of the standard, "PDUs"):

- **Entity State PDU** (7.2.2, PDU type 1, protocol family 1, 144 octets with no variable
  parameter records) for every object of the run (threats and civil aircraft), every
  interceptor, every radar and every battery's launchers; ECEF location (float64), ECEF
  linear velocity (float32), orientation as the standard's Euler angles (psi, theta, phi:
  rotations about the ECEF z, then y', then x'' axes that take the world axes to the body
  axes x forward, y right, z down), SISO-REF-010 entity type, force, ASCII marking (11
  characters), appearance, dead-reckoning algorithm and parameters.
- **Fire PDU** (7.3.2, type 2, family 2, 96 octets) at every interceptor launch: firing
  entity (the battery's launchers), target, munition entity, event id, launch location,
  munition descriptor (entity type, warhead, fuse, quantity, rate), initial velocity and the
  range to the planned intercept point; target: the object behind the track fired at.
- **Detonation PDU** (7.3.3, type 3, family 2, 104 octets) at every interceptor's end (one
  per interceptor that ended, none for one still flying when the run ended): the same event
  id as its Fire PDU, the object it flew at when it ended as target, the interceptor's
  velocity and location (``interceptors.end_x/y/z``), the descriptor, the location in the
  target's body coordinates (zero when the target was gone by then) and the detonation
  result of its end reason (:data:`DETONATION_RESULTS`: kill 2, miss 32, arrived_destroyed 5,
  target_gone 0, timeout 31, ground 3, destroyed 25).

Every header field is set (PDU Header record): protocol version 7, exercise id, PDU type,
protocol family, timestamp, length, PDU status (LVC = constructive; TEI, CEI, FTI, DTI = 0).

**Timestamp** (Timestamp record, 6.2.88): the 31 high bits count time past the hour with one
hour = 2^31 - 1 units (1.676 us); the low bit is 1 for absolute time (UTC; used when the run
records its calendar start, ``meta.start_utc``) and 0 for relative time (the sender's clock:
scenario seconds, modulo one hour).

**Entity ids** (Entity Identifier record): site :data:`SITE` (1) and one application number
per kind, so an id maps back to the database: application 1 = world objects (entity =
``object_id + 1``), 2 = interceptors (entity = ``interceptor_id + 1``), 3 = radars
(``sensor_id + 1``), 4 = launchers (``battery_id + 1``). Event ids (Fire and Detonation) are
site 1, application 4, event number = ``interceptor_id + 1``.

**Entity types** (SISO-REF-010 Entity Type record: kind.domain.country.category.subcategory
.specific.extra) are in :data:`ENTITY_TYPES`. Every force in the bundled scenarios is
fictional, so every country code is 0, "Other" (SISO-REF-010 country 0): no real nation's
code is claimed for them. Force ids: hostile = 2 (Opposing), civil = 3 (Neutral), the
defence (radars, launchers, interceptors) = 1 (Friendly). (Wireshark 4.0 labels every domain
with the platform domains' names, so it shows the munition domain 1, Anti-Air, as "Land" and
11, Tactical, as unknown; the values are SISO-REF-010's munition domains.)

**Dead reckoning** (the standard's Annex E): moving entities use DRM(F, P, W) (algorithm 2:
constant velocity, fixed orientation, world coordinates); radars and launchers use Static
(algorithm 1). An entity's ESPDU is issued (a) when it appears, (b) when a receiver that
dead-reckons from the last ESPDU would be off by more than :data:`POSITION_THRESHOLD_M`
(1 m) in position or :data:`ORIENTATION_THRESHOLD_DEG` (3 degrees) in orientation, (c) at
least every :data:`HEARTBEAT_S` (5 s) — the standard's default DIS parameter values — and
(d) when it leaves the exercise before the run ends (appearance state "deactivated";
damage "destroyed" for a killed object and for an interceptor that ended). The thresholds
are checked at the run's truth samples (every ``dt_s``, 1 s by default) and at every sample
of an interceptor's recorded path (every 0.5 s of flight); recorded civil traffic, whose
velocities jitter from second to second, and manoeuvring interceptors therefore send most
of their samples.

Orientation comes from the velocity: the body x axis along the velocity, wings level in the
local level (geodetic) frame at the entity's position (no bank is modelled), converted to the
DIS Euler angles. Radars face their boresight (north when they have none), launchers north.

**Interceptors** fly the paths the run recorded (``interceptor_paths``: the launcher, every
0.5 s of flight, where each ended), as in the CZML export: an ESPDU's location is a recorded
sample (ENU to ECEF with the run's frame), its velocity the slope of the recorded segment
that starts there (:func:`path_velocities`), so a receiver that dead-reckons reaches the next
sample exactly. An interceptor still flying when the run ended sends no last state.

**Files** (``airdefense export RUN_DIR --format dis``): ``run.dis``, the PDUs concatenated in
time order with no other framing (each PDU's length is in octets 8-9 of its header), and
``run-dis.pcap``, the same PDUs one per UDP datagram (IPv4, 127.0.0.1 port 3000 to port
3000) in a classic pcap file that Wireshark opens directly, time-stamped at the scenario
epoch (``meta.start_utc``, else 2000-01-01T12:00:00Z) plus the PDU's time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airdefense.errors import AirdefenseError
from airdefense.geo import Frame, ecef_to_geodetic, enu_rotation
from airdefense.interop import czml
from airdefense.interop.pcap import write_pcap
from airdefense.record.export import ExportError, OutputFiles
from airdefense.record.reader import RunReader, reading

FloatArray = NDArray[np.float64]

# --- the standard's constants ------------------------------------------------------------

#: DIS protocol version of IEEE 1278.1-2012 (SISO-REF-010 "DIS Protocol Version" 7).
PROTOCOL_VERSION = 7
#: PDU types (SISO-REF-010 "DIS PDU Type").
PDU_ENTITY_STATE = 1
PDU_FIRE = 2
PDU_DETONATION = 3
#: Protocol families (SISO-REF-010 "DIS Protocol Family").
FAMILY_ENTITY_INFORMATION = 1
FAMILY_WARFARE = 2
#: PDU Status record: LVC indicator (bits 1-2) = 3, constructive; every other bit 0.
PDU_STATUS_CONSTRUCTIVE = 3 << 1
#: Dead-reckoning algorithms (SISO-REF-010 "Dead Reckoning Algorithm").
DRM_STATIC = 1
DRM_FPW = 2
#: Entity Marking character set 1 = ASCII; 11 characters.
MARKING_ASCII = 1
MARKING_CHARS = 11
#: Force ids (SISO-REF-010 "Force ID").
FORCE_FRIENDLY = 1
FORCE_OPPOSING = 2
FORCE_NEUTRAL = 3
#: Appearance bits common to platforms and munitions (SISO-REF-010 appearance records):
#: damage (bits 3-4) = 3 destroyed; entity/object state (bit 23) = 1 deactivated.
APPEARANCE_DESTROYED = 3 << 3
APPEARANCE_DEACTIVATED = 1 << 23
#: Munition descriptor: warhead 1620 "HE, Blast Fragmentation", fuse 3000 "Proximity"
#: (SISO-REF-010 "Munition Descriptor-Warhead" and "-Fuse"), one round, rate 0.
WARHEAD_HE_BLAST_FRAGMENTATION = 1620
FUSE_PROXIMITY = 3000
#: Detonation results (SISO-REF-010 "Detonation Result"), one per interceptor end reason
#: (:data:`DETONATION_RESULTS`).
DETONATION_OTHER = 0
DETONATION_ENTITY_PROXIMATE = 2
DETONATION_GROUND_IMPACT = 3
DETONATION_DETONATION = 5
DETONATION_AIR_BURST = 25
DETONATION_MISS_FLY_OUT = 31
DETONATION_MISS_END_GAME = 32
#: The Detonation PDU's result for each way an interceptor ends (the ``interceptors`` table's
#: ``end_reason``), one code per reason so a receiver can tell them apart:
#:
#: - ``kill``: 2 "Entity Proximate Detonation", the proximity-fuzed pass that killed;
#: - ``miss``: 32 "Miss due to End-Game Failure", a pass at the live target that did not kill;
#: - ``arrived_destroyed``: 5 "Detonation", its pass came at a target another interceptor had
#:   already destroyed: it detonates, but no effect on an entity is claimed (never a second
#:   kill);
#: - ``target_gone``: 0 "Other", its target's trajectory ended (impact, end of data) before
#:   any pass: no SISO-REF-010 result names an end for want of a target;
#: - ``timeout``: 31 "Miss due to Fly-Out Failure", its flight time ran out before it reached
#:   its target (self-destruct);
#: - ``ground``: 3 "Ground Impact";
#: - ``destroyed``: 25 "Air Burst", self-destruct ordered in flight (its target was reported
#:   killed and no other was near).
#:
#: A reason not listed (none today) is sent as 0, "Other"; ``flying`` has no detonation.
DETONATION_RESULTS: dict[str, int] = {
    "kill": DETONATION_ENTITY_PROXIMATE,
    "miss": DETONATION_MISS_END_GAME,
    "arrived_destroyed": DETONATION_DETONATION,
    "target_gone": DETONATION_OTHER,
    "timeout": DETONATION_MISS_FLY_OUT,
    "ground": DETONATION_GROUND_IMPACT,
    "destroyed": DETONATION_AIR_BURST,
}
#: The end reason of an interceptor still in flight when the run ended (no detonation).
STILL_FLYING = "flying"

#: Default DIS parameter values (the standard's table of DIS parameters): ESPDU heartbeat,
#: dead-reckoning position and orientation thresholds.
HEARTBEAT_S = 5.0
POSITION_THRESHOLD_M = 1.0
ORIENTATION_THRESHOLD_DEG = 3.0

#: Exercise and site of every PDU, and the application number of each kind of entity.
EXERCISE_ID = 1
SITE = 1
APP_OBJECTS = 1
APP_INTERCEPTORS = 2
APP_RADARS = 3
APP_LAUNCHERS = 4
#: Largest entity number (65535 is ALL_ENTITIES, 0 NO_ENTITY).
MAX_ENTITY = 65534

#: UDP port of DIS by convention (and Wireshark's default for its DIS dissector).
DIS_PORT = 3000
#: Output files of ``airdefense export --format dis``.
DIS_NAME = "run.dis"
PCAP_NAME = "run-dis.pcap"


@dataclass(frozen=True)
class EntityType:
    """SISO-REF-010 Entity Type record (kind, domain, country, category, subcategory,
    specific, extra)."""

    kind: int
    domain: int
    country: int
    category: int
    subcategory: int = 0
    specific: int = 0
    extra: int = 0

    def as_tuple(self) -> tuple[int, int, int, int, int, int, int]:
        """The seven fields in record order."""
        return (
            self.kind,
            self.domain,
            self.country,
            self.category,
            self.subcategory,
            self.specific,
            self.extra,
        )


#: Country code of every entity: 0, "Other" (the forces are fictional).
COUNTRY_OTHER = 0

#: Entity types by what they are (SISO-REF-010): munitions are kind 2 with the munition
#: domain (1 Anti-Air, 11 Tactical) and category (1 Guided, 2 Ballistic); air platforms kind
#: 1, domain 2 (Air) with the air categories (1 Fighter/Air Defense, 50 Unmanned,
#: 57 Non-Combatant Commercial Aircraft); ground equipment kind 1, domain 1 (Land), category
#: 28 (Air Defense / Missile Defense Unit Equipment).
ENTITY_TYPES: dict[str, EntityType] = {
    "ballistic": EntityType(2, 11, COUNTRY_OTHER, 2),  # munition, tactical, ballistic
    "cruise": EntityType(2, 11, COUNTRY_OTHER, 1),  # munition, tactical, guided
    "drone": EntityType(1, 2, COUNTRY_OTHER, 50),  # platform, air, unmanned
    "aircraft": EntityType(1, 2, COUNTRY_OTHER, 1),  # platform, air, fighter/air defence
    "civil": EntityType(1, 2, COUNTRY_OTHER, 57),  # platform, air, non-combatant commercial
    "interceptor": EntityType(2, 1, COUNTRY_OTHER, 1),  # munition, anti-air, guided
    "radar": EntityType(1, 1, COUNTRY_OTHER, 28),  # platform, land, air/missile defence equip.
    "launcher": EntityType(1, 1, COUNTRY_OTHER, 28),
}
#: Entity type of an object whose category is none of the above: platform, air, other.
OTHER_AIR = EntityType(1, 2, COUNTRY_OTHER, 0)


class DisError(AirdefenseError):
    """A run that cannot be written as DIS (e.g. more entities than an application holds)."""


# --- the layouts (big-endian, packed) ----------------------------------------------------

_HEADER = [
    ("protocol_version", "u1"),
    ("exercise_id", "u1"),
    ("pdu_type", "u1"),
    ("protocol_family", "u1"),
    ("timestamp", ">u4"),
    ("length", ">u2"),
    ("pdu_status", "u1"),
    ("padding", "u1"),
]
_ENTITY_ID = np.dtype([("site", ">u2"), ("application", ">u2"), ("entity", ">u2")])
_ENTITY_TYPE = np.dtype(
    [
        ("kind", "u1"),
        ("domain", "u1"),
        ("country", ">u2"),
        ("category", "u1"),
        ("subcategory", "u1"),
        ("specific", "u1"),
        ("extra", "u1"),
    ]
)
_DESCRIPTOR = np.dtype(
    [
        ("entity_type", _ENTITY_TYPE),
        ("warhead", ">u2"),
        ("fuse", ">u2"),
        ("quantity", ">u2"),
        ("rate", ">u2"),
    ]
)

#: Entity State PDU (7.2.2) with no variable parameter records: 144 octets.
ESPDU_DTYPE = np.dtype(
    [
        *_HEADER,
        ("entity_id", _ENTITY_ID),
        ("force_id", "u1"),
        ("variable_parameters", "u1"),
        ("entity_type", _ENTITY_TYPE),
        ("alternative_entity_type", _ENTITY_TYPE),
        ("velocity", ">f4", (3,)),
        ("location", ">f8", (3,)),
        ("orientation", ">f4", (3,)),
        ("appearance", ">u4"),
        ("dr_algorithm", "u1"),
        ("dr_other", "V15"),
        ("dr_acceleration", ">f4", (3,)),
        ("dr_angular_velocity", ">f4", (3,)),
        ("marking_charset", "u1"),
        ("marking", "S11"),
        ("capabilities", ">u4"),
    ]
)
#: Fire PDU (7.3.2): 96 octets.
FIRE_DTYPE = np.dtype(
    [
        *_HEADER,
        ("firing_entity", _ENTITY_ID),
        ("target_entity", _ENTITY_ID),
        ("munition_entity", _ENTITY_ID),
        ("event_id", _ENTITY_ID),  # site, application, event number
        ("fire_mission_index", ">u4"),
        ("location", ">f8", (3,)),
        ("descriptor", _DESCRIPTOR),
        ("velocity", ">f4", (3,)),
        ("range", ">f4"),
    ]
)
#: Detonation PDU (7.3.3) with no variable parameter records: 104 octets.
DETONATION_DTYPE = np.dtype(
    [
        *_HEADER,
        ("firing_entity", _ENTITY_ID),
        ("target_entity", _ENTITY_ID),
        ("munition_entity", _ENTITY_ID),
        ("event_id", _ENTITY_ID),
        ("velocity", ">f4", (3,)),
        ("location", ">f8", (3,)),
        ("descriptor", _DESCRIPTOR),
        ("entity_location", ">f4", (3,)),
        ("result", "u1"),
        ("variable_parameters", "u1"),
        ("padding2", ">u2"),
    ]
)
assert ESPDU_DTYPE.itemsize == 144
assert FIRE_DTYPE.itemsize == 96
assert DETONATION_DTYPE.itemsize == 104


# --- records -----------------------------------------------------------------------------


def dis_timestamp(seconds: ArrayLike, *, absolute: bool = False) -> NDArray[np.uint32]:
    """Timestamp record (IEEE 1278.1-2012, 6.2.88) of times in seconds: time past the hour
    in units of 3600 / (2^31 - 1) s in the 31 high bits (truncated, so an instant never
    rounds into the next hour), and the low bit 1 for absolute (UTC) and 0 for relative
    time. ``seconds`` are UTC seconds for absolute time, the sender's clock for relative."""
    s = np.mod(np.asarray(seconds, dtype=np.float64), 3600.0)
    units = np.floor(s * ((2**31 - 1) / 3600.0))
    units = np.clip(units, 0, 2**31 - 1).astype(np.uint64)
    return ((units << np.uint64(1)) | np.uint64(1 if absolute else 0)).astype(np.uint32)


def marking(text: str) -> bytes:
    """Entity Marking characters: ASCII (anything else becomes ``?``), at most 11 octets,
    padded with NUL by the record."""
    return text.encode("ascii", errors="replace")[:MARKING_CHARS]


def _local_axes(ecef: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """East, north and (geodetic) up unit vectors in ECEF at ECEF positions (n, 3)."""
    lat, lon, _ = ecef_to_geodetic(ecef)
    rot = enu_rotation(lat, lon)  # (n, 3, 3): rows east, north, up in ECEF
    return rot[:, 0, :], rot[:, 1, :], rot[:, 2, :]


def body_axes(ecef: ArrayLike, forward: ArrayLike) -> FloatArray:
    """Body axes (n, 3, 3) in ECEF, rows x (forward), y (right), z (down): x along
    ``forward`` (an ECEF vector, e.g. the velocity), y horizontal in the local level frame at
    ``ecef`` (wings level), z = x cross y. Where ``forward`` is zero the body faces north,
    where it is vertical its y axis points east."""
    p = np.atleast_2d(np.asarray(ecef, dtype=np.float64))
    f = np.atleast_2d(np.asarray(forward, dtype=np.float64))
    east, north, up = _local_axes(p)
    speed = np.linalg.norm(f, axis=1)
    x = np.where((speed > 1e-9)[:, None], f / np.maximum(speed, 1e-300)[:, None], north)
    y = np.cross(x, up)
    ny = np.linalg.norm(y, axis=1)
    y = np.where((ny > 1e-9)[:, None], y / np.maximum(ny, 1e-300)[:, None], east)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=1)


def euler_from_axes(axes: ArrayLike) -> FloatArray:
    """DIS Euler angles (psi, theta, phi) (n, 3) of body axes (n, 3, 3) given as rows in
    ECEF. The Euler Angles record (IEEE 1278.1-2012; the world coordinate system of its
    clause 1.3 / the orientation of Annex E): the body frame is reached from the ECEF axes by
    a rotation psi about z, then theta about the new y, then phi about the new x; so the
    direction cosine matrix (world to body) has first row (cos th cos ps, cos th sin ps,
    -sin th) and third column (-sin th, sin ph cos th, cos ph cos th)."""
    r = np.asarray(axes, dtype=np.float64).reshape(-1, 3, 3)
    psi = np.arctan2(r[:, 0, 1], r[:, 0, 0])
    theta = -np.arcsin(np.clip(r[:, 0, 2], -1.0, 1.0))
    phi = np.arctan2(r[:, 1, 2], r[:, 2, 2])
    return np.column_stack([psi, theta, phi])


def axes_from_euler(euler: ArrayLike) -> FloatArray:
    """Body axes (n, 3, 3) (rows in ECEF) of DIS Euler angles (n, 3): the inverse of
    :func:`euler_from_axes`, R = R_x(phi) R_y(theta) R_z(psi)."""
    e = np.atleast_2d(np.asarray(euler, dtype=np.float64))
    cps, sps = np.cos(e[:, 0]), np.sin(e[:, 0])
    cth, sth = np.cos(e[:, 1]), np.sin(e[:, 1])
    cph, sph = np.cos(e[:, 2]), np.sin(e[:, 2])
    r = np.empty((e.shape[0], 3, 3))
    r[:, 0, 0] = cth * cps
    r[:, 0, 1] = cth * sps
    r[:, 0, 2] = -sth
    r[:, 1, 0] = sph * sth * cps - cph * sps
    r[:, 1, 1] = sph * sth * sps + cph * cps
    r[:, 1, 2] = sph * cth
    r[:, 2, 0] = cph * sth * cps + sph * sps
    r[:, 2, 1] = cph * sth * sps - sph * cps
    r[:, 2, 2] = cph * cth
    return r


def rotation_angle(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Angle (rad) of the rotation between two orientations given as body axes (n, 3, 3):
    arccos((trace(A B^T) - 1) / 2)."""
    ra = np.asarray(a, dtype=np.float64).reshape(-1, 3, 3)
    rb = np.asarray(b, dtype=np.float64).reshape(-1, 3, 3)
    tr = np.einsum("nij,nij->n", ra, rb)
    return np.arccos(np.clip((tr - 1.0) / 2.0, -1.0, 1.0))


# --- dead reckoning ----------------------------------------------------------------------


def dead_reckoning_mask(
    t: ArrayLike,
    entity: ArrayLike,
    position: ArrayLike,
    velocity: ArrayLike,
    axes: ArrayLike,
    *,
    force: ArrayLike | None = None,
    heartbeat_s: float = HEARTBEAT_S,
    position_threshold_m: float = POSITION_THRESHOLD_M,
    orientation_threshold_deg: float = ORIENTATION_THRESHOLD_DEG,
) -> NDArray[np.bool_]:
    """Which samples of entities' states are sent as ESPDUs (the standard's Annex E, dead
    reckoning, with DRM(F, P, W): a receiver extrapolates the last ESPDU's location with its
    velocity and keeps its orientation).

    A sample (``t``, ``entity``, ``position`` (n, 3) and ``velocity`` (n, 3) in ECEF, body
    ``axes`` (n, 3, 3)) is sent when it is the entity's first, when ``force`` is set, when
    ``heartbeat_s`` or more have passed since the entity's last ESPDU, when the receiver's
    extrapolated position is more than ``position_threshold_m`` from it, or when the
    orientation has turned more than ``orientation_threshold_deg`` from the last ESPDU's.
    Static entities are the case of zero velocity. Each (entity, t) appears at most once.
    Vectorised over the entities at each distinct time.
    """
    t = np.asarray(t, dtype=np.float64)
    ent = np.asarray(entity, dtype=np.int64)
    pos = np.asarray(position, dtype=np.float64).reshape(-1, 3)
    vel = np.asarray(velocity, dtype=np.float64).reshape(-1, 3)
    ax = np.asarray(axes, dtype=np.float64).reshape(-1, 3, 3)
    n = t.shape[0]
    forced = np.zeros(n, dtype=bool) if force is None else np.asarray(force, dtype=bool)
    send = np.zeros(n, dtype=bool)
    if n == 0:
        return send
    _, ent_ix = np.unique(ent, return_inverse=True)
    n_ent = int(ent_ix.max()) + 1
    last_t = np.full(n_ent, np.nan)
    last_p = np.zeros((n_ent, 3))
    last_v = np.zeros((n_ent, 3))
    last_r = np.zeros((n_ent, 3, 3))
    cos_limit = math.cos(math.radians(orientation_threshold_deg))
    hb = heartbeat_s - 1e-9
    order = np.lexsort((ent_ix, t))
    ts = t[order]
    cuts = np.flatnonzero(ts[1:] != ts[:-1]) + 1
    for rows in np.split(order, cuts):
        e = ent_ix[rows]
        lt = last_t[e]
        dt = t[rows] - lt
        pred = last_p[e] + last_v[e] * np.nan_to_num(dt)[:, None]
        off = np.einsum("ni,ni->n", pos[rows] - pred, pos[rows] - pred)
        tr = np.einsum("nij,nij->n", last_r[e], ax[rows])
        go = (
            np.isnan(lt)
            | forced[rows]
            | (dt >= hb)
            | (off > position_threshold_m**2)
            | ((tr - 1.0) / 2.0 < cos_limit)
        )
        if go.any():
            r, eg = rows[go], e[go]
            send[r] = True
            last_t[eg] = t[r]
            last_p[eg] = pos[r]
            last_v[eg] = vel[r]
            last_r[eg] = ax[r]
    return send


# --- encoders ----------------------------------------------------------------------------


def _header(
    out: NDArray[Any], pdu_type: int, family: int, stamps: NDArray[np.uint32], exercise_id: int
) -> None:
    out["protocol_version"] = PROTOCOL_VERSION
    out["exercise_id"] = exercise_id
    out["pdu_type"] = pdu_type
    out["protocol_family"] = family
    out["timestamp"] = stamps
    out["length"] = out.dtype.itemsize
    out["pdu_status"] = PDU_STATUS_CONSTRUCTIVE
    out["padding"] = 0


def _set_type(field: NDArray[Any], types: ArrayLike) -> None:
    """Fill an Entity Type field from an (n, 7) array of the seven values."""
    ty = np.asarray(types, dtype=np.int64).reshape(-1, 7)
    for k, name in enumerate(_ENTITY_TYPE.names or ()):
        field[name] = ty[:, k]


def _set_id(
    field: NDArray[Any], site: ArrayLike, application: ArrayLike, number: ArrayLike
) -> None:
    field["site"] = site
    field["application"] = application
    field["entity"] = number


def entity_state_pdus(
    timestamp: ArrayLike,
    application: ArrayLike,
    entity: ArrayLike,
    force_id: ArrayLike,
    entity_type: ArrayLike,
    location: ArrayLike,
    velocity: ArrayLike,
    orientation: ArrayLike,
    marking: ArrayLike,
    *,
    appearance: ArrayLike = 0,
    dr_algorithm: ArrayLike = DRM_FPW,
    site: int = SITE,
    exercise_id: int = EXERCISE_ID,
) -> NDArray[Any]:
    """Entity State PDUs (IEEE 1278.1-2012, 7.2.2), one row of :data:`ESPDU_DTYPE` per
    entity state; ``.tobytes()`` is the PDUs back to back.

    ``timestamp``: Timestamp records (:func:`dis_timestamp`); ``entity_type``: (n, 7)
    SISO-REF-010 values; ``location``: ECEF metres (n, 3), sent as float64; ``velocity``:
    ECEF m/s (n, 3), float32; ``orientation``: DIS Euler angles psi, theta, phi (n, 3) in
    radians; ``marking``: ASCII bytes (at most 11). The alternative entity type repeats the
    entity type; dead-reckoning acceleration and angular velocity are 0 (DRM(F, P, W) and
    Static use neither), its other parameters 0 (none); capabilities 0.
    """
    stamps = np.asarray(timestamp, dtype=np.uint32).reshape(-1)
    n = stamps.shape[0]
    out = np.zeros(n, dtype=ESPDU_DTYPE)
    _header(out, PDU_ENTITY_STATE, FAMILY_ENTITY_INFORMATION, stamps, exercise_id)
    _set_id(out["entity_id"], site, application, entity)
    out["force_id"] = force_id
    _set_type(out["entity_type"], entity_type)
    out["alternative_entity_type"] = out["entity_type"]
    out["velocity"] = np.asarray(velocity, dtype=np.float64).reshape(-1, 3)
    out["location"] = np.asarray(location, dtype=np.float64).reshape(-1, 3)
    out["orientation"] = np.asarray(orientation, dtype=np.float64).reshape(-1, 3)
    out["appearance"] = appearance
    out["dr_algorithm"] = dr_algorithm
    out["marking_charset"] = MARKING_ASCII
    out["marking"] = marking
    return out


def fire_pdus(
    timestamp: ArrayLike,
    firing: ArrayLike,
    target: ArrayLike,
    munition: ArrayLike,
    event: ArrayLike,
    location: ArrayLike,
    munition_type: ArrayLike,
    velocity: ArrayLike,
    range_m: ArrayLike,
    *,
    warhead: int = WARHEAD_HE_BLAST_FRAGMENTATION,
    fuse: int = FUSE_PROXIMITY,
    exercise_id: int = EXERCISE_ID,
) -> NDArray[Any]:
    """Fire PDUs (IEEE 1278.1-2012, 7.3.2), rows of :data:`FIRE_DTYPE`. ``firing``,
    ``target``, ``munition`` and ``event`` are (n, 3) (site, application, number);
    ``location`` ECEF metres, ``velocity`` ECEF m/s, ``range_m`` the fire-control range.
    Fire mission index 0 (none); descriptor: ``munition_type`` (n, 7), warhead, fuse,
    quantity 1, rate 0."""
    stamps = np.asarray(timestamp, dtype=np.uint32).reshape(-1)
    out = np.zeros(stamps.shape[0], dtype=FIRE_DTYPE)
    _header(out, PDU_FIRE, FAMILY_WARFARE, stamps, exercise_id)
    for name, ids in (
        ("firing_entity", firing),
        ("target_entity", target),
        ("munition_entity", munition),
        ("event_id", event),
    ):
        a = np.asarray(ids, dtype=np.int64).reshape(-1, 3)
        _set_id(out[name], a[:, 0], a[:, 1], a[:, 2])
    out["fire_mission_index"] = 0
    out["location"] = np.asarray(location, dtype=np.float64).reshape(-1, 3)
    _set_type(out["descriptor"]["entity_type"], munition_type)
    out["descriptor"]["warhead"] = warhead
    out["descriptor"]["fuse"] = fuse
    out["descriptor"]["quantity"] = 1
    out["descriptor"]["rate"] = 0
    out["velocity"] = np.asarray(velocity, dtype=np.float64).reshape(-1, 3)
    out["range"] = range_m
    return out


def detonation_pdus(
    timestamp: ArrayLike,
    firing: ArrayLike,
    target: ArrayLike,
    munition: ArrayLike,
    event: ArrayLike,
    velocity: ArrayLike,
    location: ArrayLike,
    munition_type: ArrayLike,
    entity_location: ArrayLike,
    result: ArrayLike,
    *,
    warhead: int = WARHEAD_HE_BLAST_FRAGMENTATION,
    fuse: int = FUSE_PROXIMITY,
    exercise_id: int = EXERCISE_ID,
) -> NDArray[Any]:
    """Detonation PDUs (IEEE 1278.1-2012, 7.3.3), rows of :data:`DETONATION_DTYPE`: ids as
    for :func:`fire_pdus`; the munition's ECEF ``velocity`` and ``location``; the location
    relative to the target in its body coordinates (``entity_location``, metres); the
    SISO-REF-010 detonation ``result``; no variable parameter records."""
    stamps = np.asarray(timestamp, dtype=np.uint32).reshape(-1)
    out = np.zeros(stamps.shape[0], dtype=DETONATION_DTYPE)
    _header(out, PDU_DETONATION, FAMILY_WARFARE, stamps, exercise_id)
    for name, ids in (
        ("firing_entity", firing),
        ("target_entity", target),
        ("munition_entity", munition),
        ("event_id", event),
    ):
        a = np.asarray(ids, dtype=np.int64).reshape(-1, 3)
        _set_id(out[name], a[:, 0], a[:, 1], a[:, 2])
    out["velocity"] = np.asarray(velocity, dtype=np.float64).reshape(-1, 3)
    out["location"] = np.asarray(location, dtype=np.float64).reshape(-1, 3)
    _set_type(out["descriptor"]["entity_type"], munition_type)
    out["descriptor"]["warhead"] = warhead
    out["descriptor"]["fuse"] = fuse
    out["descriptor"]["quantity"] = 1
    out["descriptor"]["rate"] = 0
    out["entity_location"] = np.asarray(entity_location, dtype=np.float64).reshape(-1, 3)
    out["result"] = result
    return out


def split_pdus(data: bytes) -> Iterator[bytes]:
    """The PDUs of a buffer of PDUs back to back (the ``run.dis`` framing), by the length
    in each header (octets 8-9). Raises ValueError on a truncated or zero-length PDU."""
    view = memoryview(data)
    i = 0
    while i < len(view):
        if len(view) - i < 12:
            raise ValueError(f"truncated PDU header at octet {i}")
        length = int.from_bytes(view[i + 8 : i + 10], "big")
        if length < 12 or i + length > len(view):
            raise ValueError(f"bad PDU length {length} at octet {i}")
        yield bytes(view[i : i + length])
        i += length


# --- a run as PDUs -----------------------------------------------------------------------


@dataclass(frozen=True)
class DisPdus:
    """A run's PDUs in time order: ``t`` (scenario seconds, non-decreasing), ``pdu_type``,
    and ``data``, the PDUs back to back, PDU ``i`` at ``data[offsets[i]:offsets[i + 1]]``.
    ``epoch`` is the UTC instant of scenario time 0."""

    t: FloatArray
    pdu_type: NDArray[np.uint8]
    data: bytes
    offsets: NDArray[np.int64]
    epoch: datetime

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def __iter__(self) -> Iterator[tuple[float, bytes]]:
        offs = self.offsets.tolist()
        for i, t in enumerate(self.t.tolist()):
            yield t, self.data[offs[i] : offs[i + 1]]


@dataclass
class _Samples:
    """Entity states to filter and encode (one row per entity and time)."""

    t: list[FloatArray]
    key: list[NDArray[np.int64]]  # application * 65536 + entity
    pos: list[FloatArray]
    vel: list[FloatArray]
    axes: list[FloatArray]
    appearance: list[NDArray[np.int64]]
    final: list[NDArray[np.bool_]]

    def add(
        self,
        t: FloatArray,
        key: NDArray[np.int64],
        pos: FloatArray,
        vel: FloatArray,
        axes: FloatArray | None = None,
        appearance: NDArray[np.int64] | None = None,
        final: NDArray[np.bool_] | None = None,
    ) -> None:
        n = t.shape[0]
        self.t.append(np.asarray(t, dtype=np.float64))
        self.key.append(np.asarray(key, dtype=np.int64))
        self.pos.append(pos.reshape(n, 3))
        self.vel.append(vel.reshape(n, 3))
        self.axes.append(body_axes(pos, vel) if axes is None else axes.reshape(n, 3, 3))
        self.appearance.append(
            np.zeros(n, dtype=np.int64) if appearance is None else appearance.astype(np.int64)
        )
        self.final.append(np.zeros(n, dtype=bool) if final is None else final.astype(bool))


@dataclass(frozen=True)
class _Entity:
    key: int
    force_id: int
    entity_type: EntityType
    marking: bytes
    dr_algorithm: int


def _key(app: int, number: ArrayLike) -> NDArray[np.int64]:
    num = np.asarray(number, dtype=np.int64)
    if num.size and (num.min() < 1 or num.max() > MAX_ENTITY):
        raise DisError(
            f"entity numbers of application {app} out of range 1-{MAX_ENTITY} "
            f"(got {int(num.min())}-{int(num.max())}): too many entities for one DIS application"
        )
    return app * 65536 + num


def _missile_marking(missile: str, shot: int) -> bytes:
    short = missile.upper().removesuffix("-CLASS")
    tag = f"#{shot}"
    return marking(short[: MARKING_CHARS - len(tag)] + tag)


def _state_at(
    t: FloatArray, pos: FloatArray, vel: FloatArray, at: float
) -> tuple[FloatArray, FloatArray]:
    """State at ``at`` from the last sample at or before it (extrapolated with its velocity),
    else from the first sample. ``t`` is sorted and not empty."""
    k = max(int(np.searchsorted(t, at, side="right")) - 1, 0)
    return pos[k] + vel[k] * (at - t[k]), vel[k]


def build_pdus(
    run: RunReader | str | Path, *, exercise_id: int = EXERCISE_ID, site: int = SITE
) -> DisPdus:
    """Every PDU of a run (its directory, or a reader already open), in time order (see the
    module docstring). Raises :class:`DisError` on a run that DIS cannot carry."""
    with reading(run) as reader:
        meta = reader.meta
        frame = Frame.from_degrees(
            czml._meta_float(meta, "origin_lat_deg", 0.0),
            czml._meta_float(meta, "origin_lon_deg", 0.0),
            czml._meta_float(meta, "origin_alt_m", 0.0),
        )
        epoch, _ = czml._epoch(meta)
        absolute = epoch is not czml.DEFAULT_EPOCH  # the run's own start_utc was read
        t_max = reader.rows("SELECT max(t) FROM truth")[0][0]
        duration = czml._meta_float(meta, "duration_s", float(t_max) if t_max is not None else 0.0)
        dt_s = czml._meta_float(meta, "dt_s", 1.0)
        samples = _Samples([], [], [], [], [], [], [])
        entities: dict[int, _Entity] = {}
        truth_of = _object_states(reader, frame, samples, entities)
        fires, dets = _interceptor_states(
            reader, frame, dt_s if dt_s > 0 else 1.0, truth_of, samples, entities, site
        )
        _site_states(reader, frame, duration, samples, entities)
    return _assemble(samples, entities, fires, dets, epoch, absolute, exercise_id, site)


_Truth = dict[int, tuple[FloatArray, FloatArray, FloatArray]]


def _object_states(
    run: RunReader,
    frame: Frame,
    samples: _Samples,
    entities: dict[int, _Entity],
) -> _Truth:
    """World objects: every truth row, then a last state where an object leaves before the
    run ends (deactivated; destroyed when killed). Returns each object's (t, ECEF position,
    ECEF velocity)."""
    objects = run.rows(
        "SELECT object_id, name, category, hostile, end_s, end_reason FROM objects "
        "ORDER BY object_id"
    )
    obj_info = {int(r[0]): r for r in objects}
    tr = run.columns(
        "SELECT object_id, t, x, y, z, vx, vy, vz FROM truth "
        "WHERE x IS NOT NULL AND y IS NOT NULL AND z IS NOT NULL "
        "AND vx IS NOT NULL AND vy IS NOT NULL AND vz IS NOT NULL "
        "ORDER BY object_id, t",
    )
    oid = tr["object_id"].astype(np.int64)
    t_tr = tr["t"].astype(np.float64)
    pos = frame.enu_to_ecef(np.column_stack([tr["x"], tr["y"], tr["z"]]).astype(np.float64))
    vel = frame.vector_to_ecef(np.column_stack([tr["vx"], tr["vy"], tr["vz"]]).astype(np.float64))
    samples.add(t_tr, _key(APP_OBJECTS, oid + 1), pos, vel)
    truth_of: _Truth = {}
    if oid.size:
        cuts = np.flatnonzero(oid[1:] != oid[:-1]) + 1
        for s, e in zip(np.r_[0, cuts].tolist(), np.r_[cuts, oid.size].tolist(), strict=True):
            truth_of[int(oid[s])] = (t_tr[s:e], pos[s:e], vel[s:e])
    for o in sorted(set(obj_info) | set(truth_of)):
        row = obj_info.get(o)
        name, category, hostile = (
            (str(row[1]), str(row[2]), row[3]) if row else (f"object {o}", "?", None)
        )
        if category == "civil":
            force = FORCE_NEUTRAL
        else:  # a threat unless the run says it is not hostile
            force = FORCE_FRIENDLY if hostile is False else FORCE_OPPOSING
        key = int(_key(APP_OBJECTS, [o + 1])[0])
        entities[key] = _Entity(
            key, force, ENTITY_TYPES.get(category, OTHER_AIR), marking(name), DRM_FPW
        )
        got = truth_of.get(o)
        if row is None or got is None or row[4] is None:
            continue
        end_s, reason = float(row[4]), str(row[5] or "")
        if reason == "duration" or not math.isfinite(end_s) or end_s < got[0][0]:
            continue
        p_end, v_end = _state_at(*got, end_s)
        appear = APPEARANCE_DEACTIVATED | (APPEARANCE_DESTROYED if reason == "killed" else 0)
        samples.add(
            np.array([end_s]),
            np.array([key]),
            p_end,
            v_end,
            appearance=np.array([appear]),
            final=np.array([True]),
        )
    return truth_of


#: Every interceptor as the record has it, in launch order (the Fire PDUs' order).
_INTERCEPTORS = """
    SELECT interceptor_id, battery_id, missile, launch_t, launch_x, launch_y, launch_z,
           object_id, pip_x, pip_y, pip_z, COALESCE(end_object_id, object_id) AS end_object_id,
           end_t, end_reason, end_x, end_y, end_z
    FROM interceptors ORDER BY launch_t, interceptor_id
"""


def path_velocities(ids: NDArray[np.int64], t: FloatArray, pos: FloatArray) -> FloatArray:
    """Velocity (n, 3) at each sample of recorded paths (rows sorted by ``ids`` then ``t``,
    strictly increasing times within an id): the slope of the segment that starts at the
    sample, what a receiver dead-reckons on to the next sample; at a path's last sample the
    slope of the segment that ends there; zero for a path of one sample."""
    n = t.shape[0]
    vel = np.zeros((n, 3))
    if n < 2:
        return vel
    joined = ids[1:] == ids[:-1]  # sample k and k + 1 are on one path
    seg = np.flatnonzero(joined)
    vel[seg] = (pos[seg + 1] - pos[seg]) / (t[seg + 1] - t[seg])[:, None]
    last = np.flatnonzero(~np.r_[joined, False] & np.r_[False, joined])  # ends, not alone
    vel[last] = vel[last - 1]
    return vel


def _interceptor_states(
    run: RunReader,
    frame: Frame,
    dt_s: float,
    truth_of: _Truth,
    samples: _Samples,
    entities: dict[int, _Entity],
    site: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Interceptors: a state at every sample of their recorded paths (``interceptor_paths``:
    the launcher, every 0.5 s of flight, where each ended), the last one deactivated and
    destroyed for an interceptor that ended; a Fire PDU at each launch and a Detonation PDU at
    each end (``interceptors``). Returns the Fire and Detonation PDUs' fields."""
    c = run.columns(_INTERCEPTORS)
    shots = c["interceptor_id"].astype(np.int64)
    xyz = {
        k: np.column_stack([c[f"{k}_x"], c[f"{k}_y"], c[f"{k}_z"]]).astype(np.float64)
        for k in ("launch", "pip", "end")
    }
    t_end = c["end_t"].astype(np.float64)
    reasons = c["end_reason"].astype(str)
    ended = (reasons != STILL_FLYING) & np.isfinite(t_end)
    pc = run.columns(
        "SELECT interceptor_id, t, x, y, z FROM interceptor_paths "
        "WHERE x IS NOT NULL AND y IS NOT NULL AND z IS NOT NULL ORDER BY interceptor_id, t"
    )
    ids = pc["interceptor_id"].astype(np.int64)
    t = pc["t"].astype(np.float64)
    enu = np.column_stack([pc["x"], pc["y"], pc["z"]]).astype(np.float64)
    keep = np.isin(ids, shots)
    keep[:-1] &= (ids[1:] != ids[:-1]) | (t[1:] != t[:-1])  # of one instant, its last row
    ids, t, enu = ids[keep], t[keep], enu[keep]
    pos = frame.enu_to_ecef(enu)
    vel = frame.vector_to_ecef(path_velocities(ids, t, enu))
    span = {int(i): rows for i, rows in czml._blocks(ids)}  # each path's rows
    final = np.zeros(ids.size, dtype=bool)  # an ended interceptor's last sample
    final[[span[i].stop - 1 for i in shots[ended].tolist() if i in span]] = True
    appear = np.where(final, APPEARANCE_DEACTIVATED | APPEARANCE_DESTROYED, 0).astype(np.int64)
    samples.add(t, _key(APP_INTERCEPTORS, ids + 1), pos, vel, appearance=appear, final=final)

    fires: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for k, shot in enumerate(shots.tolist()):
        launch, pip, end = xyz["launch"][k], xyz["pip"][k], xyz["end"][k]
        key = int(_key(APP_INTERCEPTORS, [shot + 1])[0])
        entities[key] = _Entity(
            key,
            FORCE_FRIENDLY,
            ENTITY_TYPES["interceptor"],
            _missile_marking(str(c["missile"][k]), shot),
            DRM_FPW,
        )
        ids_of = {
            "firing": (site, APP_LAUNCHERS, int(c["battery_id"][k]) + 1),
            "munition": (site, APP_INTERCEPTORS, shot + 1),
            "event": (site, APP_LAUNCHERS, shot + 1),
        }
        rows = span.get(shot)
        if np.isfinite(launch).all():
            fires.append(
                {
                    "t": float(c["launch_t"][k]),
                    **ids_of,
                    "target": (site, APP_OBJECTS, int(c["object_id"][k]) + 1),
                    "location": frame.enu_to_ecef(launch),
                    "velocity": vel[rows.start] if rows is not None else np.zeros(3),
                    # the fire-control solution's range: to the planned intercept point
                    "range": float(np.linalg.norm(pip - launch)) if np.isfinite(pip).all() else 0.0,
                }
            )
        if not (ended[k] and np.isfinite(end).all()):
            continue
        target_id = int(c["end_object_id"][k])
        p_end = frame.enu_to_ecef(end)
        rel = np.zeros(3)  # where it detonated, in the target's body axes (if still there)
        target = truth_of.get(target_id)
        if target is not None and target[0][0] <= t_end[k] <= target[0][-1] + dt_s:
            p_t, v_t = _state_at(*target, t_end[k])
            rel = body_axes(p_t, v_t)[0] @ (p_end - p_t)
        dets.append(
            {
                "t": float(t_end[k]),
                **ids_of,
                "target": (site, APP_OBJECTS, target_id + 1),
                "location": p_end,
                "velocity": vel[rows.stop - 1] if rows is not None else np.zeros(3),
                "entity_location": rel,
                "result": DETONATION_RESULTS.get(reasons[k], DETONATION_OTHER),
            }
        )
    return fires, dets


def _site_states(
    run: RunReader,
    frame: Frame,
    duration: float,
    samples: _Samples,
    entities: dict[int, _Entity],
) -> None:
    """Radars and launchers: static, a heartbeat from time 0 to the end of the run."""
    beats = np.arange(0.0, duration + 1e-9, HEARTBEAT_S)
    for sid, name, x, y, z, boresight in run.rows(
        "SELECT sensor_id, name, x, y, z, boresight_rad FROM sensors ORDER BY sensor_id"
    ):
        if None in (x, y, z):
            continue
        key = int(_key(APP_RADARS, [int(sid) + 1])[0])
        entities[key] = _Entity(
            key, FORCE_FRIENDLY, ENTITY_TYPES["radar"], marking(str(name)), DRM_STATIC
        )
        heading = float(boresight) if boresight is not None and math.isfinite(boresight) else 0
        _static(samples, frame, key, (x, y, z), heading, beats)
    for bid, name, x, y, z in run.rows(
        "SELECT battery_id, any_value(battery), any_value(x), any_value(y), any_value(z) "
        "FROM batteries GROUP BY battery_id ORDER BY battery_id"
    ):
        if None in (x, y, z):
            continue
        key = int(_key(APP_LAUNCHERS, [int(bid) + 1])[0])
        entities[key] = _Entity(
            key, FORCE_FRIENDLY, ENTITY_TYPES["launcher"], marking(str(name)), DRM_STATIC
        )
        _static(samples, frame, key, (x, y, z), 0.0, beats)


def _static(
    samples: _Samples,
    frame: Frame,
    key: int,
    xyz: tuple[float, float, float],
    heading_rad: float,
    beats: FloatArray,
) -> None:
    """Heartbeat states of a fixed site facing ``heading_rad`` (clockwise from north)."""
    p = frame.enu_to_ecef(np.array(xyz, dtype=np.float64))[None, :]
    east, north, _ = _local_axes(p)
    facing = north * math.cos(heading_rad) + east * math.sin(heading_rad)
    axes = body_axes(p, facing)
    n = beats.size
    samples.add(
        beats,
        np.full(n, key),
        np.repeat(p, n, axis=0),
        np.zeros((n, 3)),
        axes=np.repeat(axes, n, axis=0),
    )


def _assemble(
    samples: _Samples,
    entities: dict[int, _Entity],
    fires: list[dict[str, Any]],
    dets: list[dict[str, Any]],
    epoch: datetime,
    absolute: bool,
    exercise_id: int,
    site: int,
) -> DisPdus:
    """Filter the states by dead reckoning, encode every PDU, and put them in time order
    (at one instant: Fire, Entity State, Detonation, then the last ESPDU of leaving
    entities)."""
    cat = np.concatenate
    if samples.t:
        t = cat(samples.t)
        key = cat(samples.key)
        pos = cat(samples.pos)
        vel = cat(samples.vel)
        axes = cat(samples.axes)
        appear = cat(samples.appearance)
        final = cat(samples.final)
    else:
        t = np.zeros(0)
        key = np.zeros(0, dtype=np.int64)
        pos = vel = np.zeros((0, 3))
        axes = np.zeros((0, 3, 3))
        appear = np.zeros(0, dtype=np.int64)
        final = np.zeros(0, dtype=bool)
    # one state per (entity, time): a leaving entity's last state replaces a truth row then
    order = np.lexsort((final, t, key))
    t, key, pos, vel, axes, appear, final = (
        a[order] for a in (t, key, pos, vel, axes, appear, final)
    )
    keep = np.ones(t.size, dtype=bool)
    keep[:-1] = (key[1:] != key[:-1]) | (t[1:] != t[:-1])
    t, key, pos, vel, axes, appear, final = (
        a[keep] for a in (t, key, pos, vel, axes, appear, final)
    )
    send = dead_reckoning_mask(t, key, pos, vel, axes, force=final)
    t, key, pos, vel, axes, appear, final = (
        a[send] for a in (t, key, pos, vel, axes, appear, final)
    )
    # static entities are sent with zero velocity (their DR algorithm ignores it anyway)
    info = [entities[int(k)] for k in np.unique(key).tolist()]
    lookup = {e.key: i for i, e in enumerate(info)}
    idx = np.array([lookup[int(k)] for k in key.tolist()], dtype=np.int64)
    force_ids = np.array([e.force_id for e in info], dtype=np.uint8)[idx] if info else []
    types = np.array([e.entity_type.as_tuple() for e in info]).reshape(-1, 7)[idx]
    marks = np.array([e.marking for e in info], dtype="S11")[idx] if info else []
    algs = np.array([e.dr_algorithm for e in info], dtype=np.uint8)[idx] if info else []
    clock = _clock(epoch, absolute)
    es = entity_state_pdus(
        dis_timestamp(clock(t), absolute=absolute),
        key // 65536,
        key % 65536,
        force_ids,
        types,
        pos,
        vel,
        euler_from_axes(axes),
        marks,
        appearance=appear,
        dr_algorithm=algs,
        site=site,
        exercise_id=exercise_id,
    )
    munition_type = ENTITY_TYPES["interceptor"].as_tuple()

    def stack(rows: list[dict[str, Any]], field: str, width: int) -> NDArray[Any]:
        return np.array([r[field] for r in rows], dtype=np.float64).reshape(-1, width)

    t_f = np.array([r["t"] for r in fires], dtype=np.float64)
    fi = fire_pdus(
        dis_timestamp(clock(t_f), absolute=absolute),
        stack(fires, "firing", 3),
        stack(fires, "target", 3),
        stack(fires, "munition", 3),
        stack(fires, "event", 3),
        stack(fires, "location", 3),
        np.tile(munition_type, (len(fires), 1)),
        stack(fires, "velocity", 3),
        np.array([r["range"] for r in fires], dtype=np.float64),
        exercise_id=exercise_id,
    )
    t_d = np.array([r["t"] for r in dets], dtype=np.float64)
    de = detonation_pdus(
        dis_timestamp(clock(t_d), absolute=absolute),
        stack(dets, "firing", 3),
        stack(dets, "target", 3),
        stack(dets, "munition", 3),
        stack(dets, "event", 3),
        stack(dets, "velocity", 3),
        stack(dets, "location", 3),
        np.tile(munition_type, (len(dets), 1)),
        stack(dets, "entity_location", 3),
        np.array([r["result"] for r in dets], dtype=np.uint8),
        exercise_id=exercise_id,
    )
    # merge in time order: (t, rank, position in its own array)
    parts = [fi, es, de]
    t_all = cat([t_f, t, t_d])
    rank = cat([np.zeros(t_f.size), np.where(final, 3.0, 1.0), np.full(t_d.size, 2.0)])
    src = cat([np.full(a.shape[0], k, dtype=np.int64) for k, a in enumerate(parts)])
    pos_in = cat([np.arange(a.shape[0]) for a in parts])
    order = np.lexsort((pos_in, rank, t_all))
    sizes = np.array([a.dtype.itemsize for a in parts], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(sizes[src[order]])].astype(np.int64)
    buf = np.empty(int(offsets[-1]), dtype=np.uint8)
    where = np.empty(order.size, dtype=np.int64)
    where[order] = offsets[:-1]  # start of each PDU, by its row in (src, pos_in)
    for k, a in enumerate(parts):
        if a.shape[0] == 0:
            continue
        octets = a.view(np.uint8).reshape(a.shape[0], a.dtype.itemsize)
        starts = where[src == k][pos_in[src == k]]
        buf[starts[:, None] + np.arange(a.dtype.itemsize)[None, :]] = octets
    types_out = np.array([PDU_FIRE, PDU_ENTITY_STATE, PDU_DETONATION], dtype=np.uint8)[src[order]]
    return DisPdus(t_all[order], types_out, buf.tobytes(), offsets, epoch)


def _clock(epoch: datetime, absolute: bool) -> Any:
    """Scenario seconds to the seconds the timestamp encodes: UTC seconds of the day for
    absolute time (only the time past the hour matters), scenario seconds for relative."""
    if not absolute:
        return lambda t: np.asarray(t, dtype=np.float64)
    midnight = epoch.replace(hour=0, minute=0, second=0, microsecond=0)
    base = (epoch - midnight).total_seconds()
    return lambda t: base + np.asarray(t, dtype=np.float64)


# --- outputs -----------------------------------------------------------------------------


def dis_datagrams(run: RunReader | str | Path) -> Iterator[tuple[float, bytes]]:
    """(scenario time, PDU) of every PDU of a run (its directory, or a reader already open),
    in time order: one DIS PDU per UDP datagram. The PDUs are built when this is called: it
    raises :class:`~airdefense.record.reader.RunReadError` at once for a directory that is not
    a run, :class:`DisError` for a run DIS cannot carry."""
    return iter(build_pdus(run))


def write_dis(run: RunReader, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Export writer (``airdefense export RUN_DIR --format dis``): ``out_dir/run.dis`` (the
    PDUs back to back in time order) and ``out_dir/run-dis.pcap`` (one PDU per UDP datagram
    to port 3000, for Wireshark); return their paths."""
    files = OutputFiles(out_dir, [DIS_NAME, PCAP_NAME], force=force)
    try:
        pdus = build_pdus(run)
    except DisError as exc:
        raise ExportError(exc.message, source=str(run.db_path or "")) from None
    with files:
        files.tmp(DIS_NAME).write_bytes(pdus.data)
        with files.tmp(PCAP_NAME).open("wb") as fh:
            write_pcap(fh, ((t, DIS_PORT, p) for t, p in pdus), pdus.epoch)
    return files.paths
