"""World truth: every object's precomputed trajectory on the time grid, as arrays.

Truth is a structure of arrays batched over objects: positions and velocities (T, N, 3) in
the scenario's ENU frame, heights above the ellipsoid (T, N), and per-object metadata (N,).
An object exists from ``start_s`` to ``end_s``; a kill moves ``end_s`` earlier (the only
thing the loop ever changes). Between grid points states are interpolated by cubic Hermite
polynomials on position and velocity, exact for constant-acceleration motion.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from airdefense.geo import Frame

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Truth:
    """Trajectories of N objects on a uniform grid of T times (t[k] = k * dt)."""

    t: FloatArray  # (T,)
    pos: FloatArray  # (T, N, 3) ENU m
    vel: FloatArray  # (T, N, 3) ENU m/s
    height: FloatArray  # (T, N) m above the WGS-84 ellipsoid
    start_s: FloatArray  # (N,)
    end_s: FloatArray  # (N,) mutable: a kill lowers it
    end_reason: NDArray[np.object_]  # (N,) str: impact | landed | record_end | duration | killed
    name: NDArray[np.object_]  # (N,) str
    category: NDArray[np.object_]  # (N,) str: ballistic | cruise | drone | aircraft | civil
    preset: NDArray[np.object_]  # (N,) str
    raid: IntArray  # (N,) raid index, -1 for civil traffic
    side: NDArray[np.object_]  # (N,) str: hostile | friend | neutral
    rcs_m2: FloatArray  # (N,)
    swerling: IntArray  # (N,)
    aim_asset: IntArray  # (N,) asset index, -1 for none
    aim_enu: FloatArray  # (N, 3) aim point (NaN for none)
    cost_usd: FloatArray  # (N,)

    @cached_property
    def object_major(self) -> FloatArray:
        """Object-major copy of the states, (N, T, 8): x, y, z, vx, vy, vz, height, 0.

        Derived from ``pos``, ``vel`` and ``height`` on first use and cached (they never
        change; a kill only moves ``end_s``). One grid point of one object is one 64-byte
        row, aligned to 64 bytes, so a sensor reading an object's states at successive
        times reads whole cache lines in order. Costs as much memory again as the states.
        """
        n_t, n_obj = self.pos.shape[0], self.pos.shape[1]
        size = n_obj * n_t * 8
        buf = np.empty(size + 8, dtype=np.float64)
        off = (-buf.ctypes.data % 64) // 8
        om = buf[off : off + size].reshape(n_obj, n_t, 8)
        for a in range(0, n_obj, 256):  # blocks of objects: the transposes stay in cache
            b = min(a + 256, n_obj)
            blk = om[a:b]
            blk[:, :, 0:3] = self.pos[:, a:b].transpose(1, 0, 2)
            blk[:, :, 3:6] = self.vel[:, a:b].transpose(1, 0, 2)
            blk[:, :, 6] = self.height[:, a:b].T
            blk[:, :, 7] = 0.0
        return om

    @cached_property
    def hostile(self) -> NDArray[np.bool_]:
        """True for the objects of the hostile side (N,)."""
        return np.asarray(self.side == "hostile", dtype=bool)

    @cached_property
    def max_speed_mps(self) -> FloatArray:
        """Per object, an upper bound on its speed over the grid (N,): the largest of its
        grid velocities and of its chord speeds |p(k+1) - p(k)| / dt. Sensors use it to
        bound how far an object can move in a scan."""
        speed = np.linalg.norm(self.vel, axis=-1).max(axis=0)
        if self.t.shape[0] > 1:
            chord = np.linalg.norm(np.diff(self.pos, axis=0), axis=-1).max(axis=0) / self.dt
            speed = np.maximum(speed, chord)
        return speed

    @cached_property
    def max_climb_mps(self) -> FloatArray:
        """Per object, the largest change of its grid height per second (N,): bounds how much
        its (linearly interpolated) height can change in a scan."""
        if self.t.shape[0] < 2:
            return np.zeros(self.n)
        return np.abs(np.diff(self.height, axis=0)).max(axis=0) / self.dt

    @classmethod
    def concat(cls, parts: list[Truth]) -> Truth:
        """Stack the objects of several truths on one time grid (the first part's)."""
        per_time = {"pos", "vel", "height"}  # (T, N, ...) arrays: objects on axis 1
        data = {
            f.name: np.concatenate(
                [getattr(p, f.name) for p in parts], axis=1 if f.name in per_time else 0
            )
            for f in fields(cls)
            if f.name != "t"
        }
        return cls(t=parts[0].t, **data)

    @classmethod
    def straight_lines(
        cls,
        frame: Frame,
        t: FloatArray,
        p0: FloatArray,
        v: FloatArray,
        rcs_m2: float | FloatArray = 1.0,
        swerling: int | IntArray = 1,
    ) -> Truth:
        """Synthetic truth for tests and benchmarks: objects flying straight lines in the ENU
        frame, p0 (N, 3) at t[0] and constant velocity v (N, 3), alive over the whole grid,
        heights above the ellipsoid computed exactly (a straight ENU line climbs away from
        the curved Earth)."""
        t = np.asarray(t, dtype=np.float64)
        p0 = np.atleast_2d(np.asarray(p0, dtype=np.float64))
        v = np.atleast_2d(np.asarray(v, dtype=np.float64))
        n = p0.shape[0]
        pos = p0[None] + (t - t[0])[:, None, None] * v[None]
        label = np.full(n, "synthetic", dtype=object)
        return cls(
            t=t,
            pos=pos,
            vel=np.broadcast_to(v, pos.shape).copy(),
            height=frame.height_m(pos),
            start_s=np.full(n, t[0]),
            end_s=np.full(n, t[-1]),
            end_reason=np.full(n, "duration", dtype=object),
            name=np.array([f"obj-{i}" for i in range(n)], dtype=object),
            category=label.copy(),
            preset=label.copy(),
            raid=np.full(n, -1, dtype=np.int64),
            side=np.full(n, "hostile", dtype=object),
            rcs_m2=np.broadcast_to(np.asarray(rcs_m2, dtype=np.float64), (n,)).copy(),
            swerling=np.broadcast_to(np.asarray(swerling, dtype=np.int64), (n,)).copy(),
            aim_asset=np.full(n, -1, dtype=np.int64),
            aim_enu=np.full((n, 3), np.nan),
            cost_usd=np.zeros(n),
        )

    @property
    def n(self) -> int:
        """Number of objects."""
        return int(self.start_s.shape[0])

    @property
    def dt(self) -> float:
        """Grid step (s)."""
        return float(self.t[1] - self.t[0]) if self.t.shape[0] > 1 else 1.0

    def alive(self, t: float | FloatArray, idx: IntArray | None = None) -> NDArray[np.bool_]:
        """True where the object exists at time t (start <= t <= end)."""
        s = self.start_s if idx is None else self.start_s[idx]
        e = self.end_s if idx is None else self.end_s[idx]
        return (s <= t) & (t <= e)

    def alive_between(self, t0: float, t1: float) -> NDArray[np.bool_]:
        """True for objects that exist at some time in [t0, t1)."""
        return (self.start_s < t1) & (self.end_s >= t0)

    def state_at(
        self, times: FloatArray, idx: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Position (M, 3), velocity (M, 3) and height (M,) of objects idx (M,) at times (M,).

        Cubic Hermite interpolation between grid points (position and velocity both known),
        linear for the height; times are clamped to the grid.
        """
        times = np.asarray(times, dtype=np.float64)
        idx = np.asarray(idx, dtype=np.int64)
        dt = self.dt
        last = self.t.shape[0] - 1
        u = np.clip((times - self.t[0]) / dt, 0.0, float(last))
        k = np.minimum(np.floor(u).astype(np.int64), max(last - 1, 0))
        s = (u - k)[:, None]
        k1 = np.minimum(k + 1, last)
        p0, p1 = self.pos[k, idx], self.pos[k1, idx]
        v0, v1 = self.vel[k, idx], self.vel[k1, idx]
        s2, s3 = s * s, s * s * s
        h00 = 2 * s3 - 3 * s2 + 1
        h10 = s3 - 2 * s2 + s
        h01 = -2 * s3 + 3 * s2
        h11 = s3 - s2
        pos = h00 * p0 + h10 * dt * v0 + h01 * p1 + h11 * dt * v1
        dh00 = (6 * s2 - 6 * s) / dt
        dh10 = 3 * s2 - 4 * s + 1
        dh01 = (-6 * s2 + 6 * s) / dt
        dh11 = 3 * s2 - 2 * s
        vel = dh00 * p0 + dh10 * v0 + dh01 * p1 + dh11 * v1
        sv = s[:, 0]
        height = (1.0 - sv) * self.height[k, idx] + sv * self.height[k1, idx]
        return pos, vel, height

    def kill(self, idx: IntArray, t: float | FloatArray) -> None:
        """End the trajectories of objects idx at time t (a kill); earlier ends stand."""
        idx = np.asarray(idx, dtype=np.int64)
        t_arr = np.broadcast_to(np.asarray(t, dtype=np.float64), idx.shape)
        sooner = t_arr < self.end_s[idx]
        self.end_s[idx[sooner]] = t_arr[sooner]
        self.end_reason[idx[sooner]] = "killed"
