"""Plots and the Columns base: construction checks, the fast paths (trusted construction,
plot blocks, the compiled sort) against the plain ones, and the false alarms against the
plain-numpy formulas."""

import copy
import pickle
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import pytest
from scipy import special
from sensors_helpers import line_truth, preset, radar

from airdefense.sensors import Plots, angle_sigma_rad, range_sigma_m
from airdefense.sensors import _kernels as _k
from airdefense.sensors.radar import TWO_PI
from airdefense.types.columns import Columns


@dataclass(frozen=True)
class _Table(Columns):
    a: np.ndarray
    b: np.ndarray
    flag: np.ndarray

    INT_FIELDS: ClassVar[tuple[str, ...]] = ("b",)
    BOOL_FIELDS: ClassVar[tuple[str, ...]] = ("flag",)


@dataclass(frozen=True)
class _Checked(Columns):
    """A table with a check of its own (run on every construction, trusted or not)."""

    a: np.ndarray

    def __post_init__(self) -> None:
        super().__post_init__()
        if np.any(self.a < 0):
            raise ValueError("negative")


def _random_plots(rng: np.random.Generator, n: int, sensors: int = 3) -> Plots:
    cols = {f.name: rng.normal(size=n) for f in fields(Plots)}
    cols["t"] = np.round(rng.uniform(0.0, 5.0, n), 1)  # many equal times
    cols["sensor_id"] = rng.integers(0, sensors, n)
    cols["truth_id"] = rng.integers(-1, 4, n)
    cols["scan"] = rng.integers(0, 9, n)
    cols["range_m"] = np.round(rng.uniform(0.0, 3.0, n))  # equal keys too
    return Plots(**cols)


def _same(a: Columns, b: Columns) -> bool:
    """Same class, dtypes and values, bit for bit (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
            return False
    return True


def _well_formed(t: Columns) -> bool:
    """Every column a contiguous 1-D array of its dtype, all of one length."""
    n = len(t)
    for name, dtype in t._spec():
        a = getattr(t, name)
        if not (type(a) is np.ndarray and a.dtype == dtype and a.ndim == 1):
            return False
        if not (a.flags.c_contiguous and a.shape[0] == n):
            return False
    return True


def test_construction_coerces_and_checks() -> None:
    t = _Table(a=[1, 2, 3], b=np.array([1.0, 2.0, 3.0]), flag=[0, 1, 0])
    assert t.a.dtype == np.float64 and t.b.dtype == np.int64 and t.flag.dtype == np.bool_
    assert len(t) == 3 and _well_formed(t)
    strided = np.arange(6.0)[::2]
    t = _Table(a=strided, b=np.arange(3), flag=np.zeros(3, bool))
    assert t.a.flags.c_contiguous and np.array_equal(t.a, [0.0, 2.0, 4.0])
    kept = np.arange(3.0)
    assert _Table(a=kept, b=np.arange(3), flag=np.zeros(3, bool)).a is kept  # no copy
    with pytest.raises(ValueError, match=r"^_Table\.a must be 1-D$"):
        _Table(a=np.zeros((2, 2)), b=np.arange(2), flag=np.zeros(2, bool))
    with pytest.raises(ValueError, match=r"^_Table\.b has length 2, expected 3$"):
        _Table(a=np.zeros(3), b=np.arange(2), flag=np.zeros(3, bool))
    with pytest.raises(ValueError, match=r"^Plots\.sensor_id has length 1, expected 2$"):
        Plots(**{f.name: np.zeros(1 if f.name == "sensor_id" else 2) for f in fields(Plots)})


def test_take_join_empty_keep_the_invariants() -> None:
    rng = np.random.default_rng(0)
    t = _Table(a=rng.normal(size=7), b=rng.integers(0, 9, 7), flag=rng.random(7) < 0.5)
    for index in (np.array([3, 0, 3]), t.flag, slice(1, 6, 2), slice(None), np.array([], int)):
        s = t.take(index)
        assert _well_formed(s) and np.array_equal(s.a, t.a[index])
    e = _Table.empty()
    assert len(e) == 0 and _well_formed(e) and e.flag.dtype == np.bool_
    j = _Table.join([t, e, t.take(slice(0, 7, 3))])
    assert _well_formed(j) and np.array_equal(j.b, np.concatenate([t.b, t.b[::3]]))
    assert len(_Table.join([])) == 0


def test_trusted_construction() -> None:
    cols = {"a": np.arange(3.0), "b": np.arange(3), "flag": np.ones(3, bool)}
    t = _Table.trusted(cols)
    assert _same(t, _Table(**cols)) and t.a is cols["a"]
    with pytest.raises(ValueError, match="negative"):  # a class's own check still runs
        _Checked.trusted({"a": np.array([-1.0])})
    with pytest.raises(ValueError, match="negative"):
        _Checked(a=np.array([1.0, 2.0])).take(np.array([0])).join([_Checked(a=[-3.0])])


def test_plot_blocks_join_and_take_match_the_columns() -> None:
    rad = radar(preset(pfa=1e-4))
    truth = line_truth(np.array([[0.0, 30e3, 3e3], [5e3, 40e3, 1e3]]), np.zeros((2, 3)), 12.0)
    rng = np.random.default_rng(3)
    parts = [rad.scan_window(a, a + 1.0, truth, rng) for a in range(10)]
    parts = [p for p in parts if len(p)]
    assert len(parts) > 3 and all(p._own_blocks() is not None for p in parts)
    plain = [Plots(**{f.name: getattr(p, f.name) for f in fields(p)}) for p in parts]
    assert all(p._own_blocks() is None for p in plain)
    joined = Plots.join(parts)
    assert joined._own_blocks() is not None and _well_formed(joined)
    assert _same(joined, Plots.join(plain))
    mixed = Plots.join([parts[0], plain[1]])  # not all blocks: the column path
    assert mixed._own_blocks() is None and _same(mixed, Plots.join(plain[:2]))
    order = np.random.default_rng(1).permutation(len(joined))
    for index in (order, joined.truth_id >= 0, slice(None, None, 2)):
        got = joined.take(index)
        assert _well_formed(got) and _same(got, Plots.join(plain).take(index))
    # a copy, a pickle or a replaced field detaches the columns from the blocks
    for other in (copy.deepcopy(parts[0]), pickle.loads(pickle.dumps(parts[0]))):
        assert _same(other, parts[0]) and other._own_blocks() is None
    forged = copy.copy(parts[1])
    object.__setattr__(forged, "x", forged.x + 1.0)
    assert forged._own_blocks() is None
    assert np.array_equal(Plots.join([forged]).x, parts[1].x + 1.0)


@pytest.mark.parametrize("n", [0, 1, 2, 50, 3000])
def test_sorted_is_the_stable_lexsort(n: int) -> None:
    rng = np.random.default_rng(n)
    p = _random_plots(rng, n)
    ref = np.lexsort((p.range_m, p.truth_id, p.sensor_id, p.t))
    assert _same(p.sorted(), p.take(ref))
    s = p.take(ref)
    assert _k.in_plot_order(s.t, s.sensor_id, s.truth_id, s.range_m)
    assert s.sorted() is s
    if n > 1 and not np.array_equal(ref, np.arange(n)):
        assert not _k.in_plot_order(p.t, p.sensor_id, p.truth_id, p.range_m)


def test_sorted_with_nan() -> None:
    p = _random_plots(np.random.default_rng(7), 40)
    t = p.t.copy()
    t[[3, 17]] = np.nan
    q = Plots(**{**{f.name: getattr(p, f.name) for f in fields(p)}, "t": t})
    assert not _k.in_plot_order(q.t, q.sensor_id, q.truth_id, q.range_m)
    ref = np.lexsort((q.range_m, q.truth_id, q.sensor_id, q.t))
    assert _same(q.sorted(), q.take(ref))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 100, 2000])
@pytest.mark.parametrize("keys", ["distinct", "ties", "sorted", "nan"])
def test_stable_argsort_is_numpys(n: int, keys: str) -> None:
    """The kernels' merge sort gives numpy's stable order (ties in input order, NaN last)."""
    rng = np.random.default_rng(n)
    a = rng.random(n)
    if keys == "ties":
        a = np.round(a * 7)
    elif keys == "sorted":
        a = np.sort(a)
    elif keys == "nan" and n:
        a = np.round(a * 5)
        a[rng.integers(0, n, max(n // 5, 1))] = np.nan
    assert np.array_equal(_k.stable_argsort(a), np.argsort(a, kind="stable"))


def _numpy_false_alarms(rad, t0, t1, rng):
    """The plain-numpy false alarms (the implementation before the compiled one): the same
    draws in the same order, columns sorted by time."""
    p = rad.preset
    k = int(rng.poisson(p.pfa * rad.cells_per_scan * (t1 - t0) / rad.period_s))
    u = rng.random((4, k))
    t = t0 + (t1 - t0) * u[0]
    half_beam = 0.5 * rad.az_beamwidth_rad
    az = (rad.beam_azimuth_rad(t) + half_beam * (2.0 * u[1] - 1.0)) % TWO_PI
    r = rad.min_range_m + (rad.max_range_m - rad.min_range_m) * u[2]
    el = rad.min_elevation_rad + (rad.max_elevation_rad - rad.min_elevation_rad) * u[3]
    n_p = p.pulses_integrated
    x = special.gammainccinv(n_p, p.pfa * rng.random(k))
    snr_lin = np.maximum(x / n_p - 1.0, 1e-3)
    snr_int = n_p * snr_lin
    ce = np.cos(el)
    loc = np.empty((k, 3))
    loc[:, 0] = np.sin(az)
    loc[:, 1] = np.cos(az)
    loc[:, :2] *= (r * ce)[:, None]
    loc[:, 2] = r * np.sin(el)
    xyz = loc @ rad.rotation
    xyz += rad.position_enu
    cols = {
        "t": t,
        "sensor_id": np.full(k, rad.sensor_id),
        "scan": rad.scan_number(t),
        "range_m": r,
        "azimuth_rad": az,
        "elevation_rad": el,
        "sigma_range_m": range_sigma_m(snr_int, p.range_resolution_m, p.range_sigma_floor_m),
        "sigma_azimuth_rad": angle_sigma_rad(snr_int, rad.az_beamwidth_rad, rad.angle_floor_rad),
        "sigma_elevation_rad": angle_sigma_rad(snr_int, rad.el_beamwidth_rad, rad.angle_floor_rad),
        "snr_db": 10.0 * np.log10(snr_lin),
        "x": xyz[:, 0],
        "y": xyz[:, 1],
        "z": xyz[:, 2],
        "truth_id": np.full(k, -1),
    }
    return Plots(**cols).take(np.argsort(t, kind="stable"))


@pytest.mark.parametrize(
    "kw",
    [
        {"pfa": 1e-4},
        {"pfa": 1e-5, "pulses_integrated": 10, "scan_period_s": 4.0, "min_range_km": 20.0},
        {"pfa": 1e-4, "scan": "sector", "sector_width_deg": 90.0, "min_elevation_deg": 1.0},
    ],
)
def test_false_alarms_match_the_numpy_formulas_bit_for_bit(kw) -> None:
    rad = radar(preset(**kw), phase_rad=0.4, boresight_rad=1.2)
    truth = line_truth(np.array([1e6, 0.0, 0.0]), np.zeros(3), 10.0)
    truth.end_s[:] = -1.0  # no live objects: every plot is a false alarm
    rng, ref_rng = np.random.default_rng(5), np.random.default_rng(5)
    n = 0
    for t0, t1 in [(0.0, 0.3), (0.3, 1.0), (1.0, 7.5), (7.5, 7.5), (-3.0, 2.0)]:
        got = rad.scan_window(t0, t1, truth, rng)
        ref = _numpy_false_alarms(rad, t0, t1, ref_rng) if t1 > t0 else Plots.empty()
        assert _well_formed(got) and _same(got, ref)
        n += len(got)
    assert n > 20
    assert rng.random() == ref_rng.random()  # the same draws, in the same order
