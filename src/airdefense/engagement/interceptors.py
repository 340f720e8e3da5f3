"""The interceptor record: one row per interceptor, from its plan to its end.

Ids count up from 0 in launch order, the same ids the :class:`~.flyout.Flyout` flies them
by. Each row keeps what fired it (battery, launcher, missile type), at what (the track and
the object behind it at launch), the plan it flew (decision time, predicted intercept point
and time, planned Pk), its retargets, and how it ended (time, one of
:data:`~airdefense.types.events.INTERCEPTOR_ENDS`, miss distance at the closest approach,
where). The run record's ``interceptors`` table is this record, written as it stands.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from airdefense.types.events import INTERCEPTOR_ENDS

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: End codes, indexes into INTERCEPTOR_ENDS.
END_CODE = {name: i for i, name in enumerate(INTERCEPTOR_ENDS)}
FLYING = END_CODE["flying"]

_INT = ("battery_id", "launcher", "missile_type", "track0", "object0", "track", "object")
_INT += ("retargets", "end_code")
_FLOAT = ("plan_t", "launch_t", "intercept_t", "pk", "end_t", "miss_m")
_VEC = ("site", "pip", "end_pos")


class InterceptorLog:
    """Every interceptor of a run, as arrays indexed by interceptor id."""

    battery_id: IntArray
    launcher: IntArray
    missile_type: IntArray  # index into the batteries' missile types
    track0: IntArray  # track fired at
    object0: IntArray  # object behind that track at launch (-1: a false track)
    track: IntArray  # track it is guided on now (changes when retargeted)
    object: IntArray  # object it flies at now
    retargets: IntArray
    end_code: IntArray  # index into INTERCEPTOR_ENDS (FLYING while in flight)
    plan_t: FloatArray  # decision cycle that planned it
    launch_t: FloatArray
    intercept_t: FloatArray  # predicted intercept time
    pk: FloatArray  # planned kill probability
    end_t: FloatArray  # NaN while flying
    miss_m: FloatArray  # miss distance at its closest approach (NaN: no pass)
    site: FloatArray  # (n, 3) ENU launch point
    pip: FloatArray  # (n, 3) ENU predicted intercept point
    end_pos: FloatArray  # (n, 3) ENU where it ended

    def __init__(self) -> None:
        self.n = 0
        self._cap = 0
        self._grow(64)

    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, 2 * self._cap)
        for name in _INT + _FLOAT + _VEC:
            shape = (cap, 3) if name in _VEC else (cap,)
            dtype = np.int64 if name in _INT else np.float64
            fill = FLYING if name == "end_code" else 0 if name in _INT else np.nan
            a = np.full(shape, fill, dtype=dtype)
            if self._cap:
                a[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, a)
        self._cap = cap

    def add(
        self,
        ids: IntArray,
        *,
        battery_id: IntArray,
        launcher: IntArray,
        missile_type: IntArray,
        track: IntArray,
        obj: IntArray,
        plan_t: float,
        launch_t: FloatArray,
        site: FloatArray,
        pip: FloatArray,
        intercept_t: FloatArray,
        pk: FloatArray,
    ) -> None:
        """Record interceptors just launched; ``ids`` must be the next ids, in order."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return
        if not np.array_equal(ids, np.arange(self.n, self.n + ids.size)):
            raise ValueError("interceptor ids must follow on from the last one recorded")
        self._grow(self.n + ids.size)
        self.battery_id[ids] = battery_id
        self.launcher[ids] = launcher
        self.missile_type[ids] = missile_type
        self.track0[ids] = track
        self.track[ids] = track
        self.object0[ids] = obj
        self.object[ids] = obj
        self.retargets[ids] = 0
        self.plan_t[ids] = plan_t
        self.launch_t[ids] = launch_t
        self.site[ids] = site
        self.pip[ids] = pip
        self.intercept_t[ids] = intercept_t
        self.pk[ids] = pk
        self.n += ids.size

    def retarget(self, ids: IntArray, track: IntArray, obj: IntArray) -> None:
        """Interceptors given another track (and the object behind it)."""
        self.track[ids] = track
        self.object[ids] = obj
        np.add.at(self.retargets, ids, 1)

    def end(
        self, ids: IntArray, t: FloatArray, code: IntArray, miss_m: FloatArray, pos: FloatArray
    ) -> None:
        """Interceptors whose flight ended: when, how (END_CODE), miss, where."""
        self.end_t[ids] = t
        self.end_code[ids] = code
        self.miss_m[ids] = miss_m
        self.end_pos[ids] = pos

    def end_reason(self) -> NDArray[np.object_]:
        """How each interceptor ended (INTERCEPTOR_ENDS names), by id."""
        return np.asarray(INTERCEPTOR_ENDS, dtype=object)[self.end_code[: self.n]]
