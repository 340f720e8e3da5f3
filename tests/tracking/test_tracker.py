"""The tracker end to end on synthetic scenes: confirmation, stable numbers, coasting,
deletion, polar and multi-sensor input, JPDA, bounded memory, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from airdefense.geo import Frame
from airdefense.tracking.config import TrackerConfig
from airdefense.tracking.measurements import (
    COASTING,
    CONFIRMED,
    TENTATIVE,
    Measurements,
    TrackUpdates,
)
from airdefense.tracking.tracker import Tracker
from airdefense.types.events import EventKind


def _scene(n=20, scans=30, dt=5.0, pd=1.0, clutter=0, seed=0, sigma=50.0):
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(-200e3, 200e3, (n, 3))
    p0[:, 2] = rng.uniform(1e3, 10e3, n)
    v = rng.normal(0, 200, (n, 3))
    v[:, 2] = 0
    batches = []
    for k in range(scans):
        t = k * dt
        det = rng.random(n) < pd
        pos = p0 + v * t + rng.normal(0, sigma, (n, 3))
        cl = rng.uniform(-200e3, 200e3, (clutter, 3))
        xyz = np.vstack([pos[det], cl])
        tid = np.concatenate([np.flatnonzero(det), -np.ones(clutter, dtype=np.int64)])
        batches.append(Measurements.cartesian(np.full(len(xyz), t), xyz, sigma, truth_id=tid))
    return p0, v, batches


def _track(batches, **cfg):
    tr = Tracker(TrackerConfig(**cfg))
    out = TrackUpdates.concat([tr.process(b) for b in batches])
    return tr, out


def test_targets_are_confirmed_after_m_hits_and_keep_one_number() -> None:
    p0, v, batches = _scene(n=20, scans=20)
    tr, out = _track(batches, confirm_m=3, confirm_n=5)
    assert tr.n_confirmed == 20
    conf = out.take(out.status == CONFIRMED)
    # the first confirmed row of every track is its third update (M = 3), at t = 2 dt
    assert np.all(np.unique(conf.t)[0] == 10.0)
    for truth in range(20):
        ids = np.unique(conf.track_id[conf.truth_id == truth])
        assert ids.size == 1, (truth, ids)
    last = conf.take(conf.t == conf.t.max())
    err = np.stack([last.x, last.y, last.z], 1) - (p0 + v * last.t[:, None])[last.truth_id]
    assert np.sqrt(np.mean(np.sum(err**2, 1))) < 75.0  # one plot: 50 * sqrt(3) = 87 m
    assert tr.events.count(EventKind.TRACK_CONFIRMED) == 20


def test_a_lost_target_coasts_then_is_dropped_with_an_event() -> None:
    _, _, batches = _scene(n=1, scans=12)
    # the target vanishes after scan 6; empty scans keep arriving as clutter far away
    far = [
        Measurements.cartesian(b.t[:1], np.array([[9e5, 9e5, 0.0]]) + k, 50.0)
        for k, b in enumerate(batches[6:])
    ]
    tr, out = _track(batches[:6] + far, confirm_m=3, max_misses=3, revisit_s=5.0)
    rows = out.take(out.track_id == out.track_id[0])
    coast = rows.take(rows.status == COASTING)
    assert len(coast) >= 2
    assert np.all(np.diff(coast.t) > 0)
    dropped = tr.events.of(EventKind.TRACK_DROPPED)
    assert len(dropped) == 1 and dropped.track_id[0] == rows.track_id[0]
    assert dropped.reason[0] == "missed"
    # dropped at the third missed revisit: last plot at 25 s, revisit 5 s -> 3 misses by 42.5 s
    assert 40.0 <= dropped.t[0] <= 45.0


def test_clutter_does_not_make_confirmed_tracks() -> None:
    _, _, batches = _scene(n=10, scans=20, clutter=30, pd=0.9, seed=3)
    _tr, out = _track(batches)
    conf = out.take(out.status == CONFIRMED)
    assert np.mean(conf.truth_id >= 0) > 0.97
    assert np.unique(conf.track_id).size <= 12


def test_time_going_backwards_is_refused() -> None:
    _, _, batches = _scene(n=2, scans=3)
    tr = Tracker()
    tr.process(batches[2])
    with pytest.raises(ValueError, match="time goes backwards"):
        tr.process(batches[0])
    with pytest.raises(ValueError, match="row 2"):
        list(Tracker().run(Measurements.cartesian([0.0, 5.0, 1.0], np.zeros((3, 3)), 10.0)))


def test_polar_measurements_from_a_sensor_are_tracked_in_the_frame() -> None:
    frame = Frame.from_degrees(47.0, 8.0, 0.0)
    sensor = np.array([10e3, -5e3, 300.0])
    rng = np.random.default_rng(4)
    tr = Tracker(TrackerConfig(), frame=frame)
    tr.add_sensor(7, sensor, frame.sensor_rotation(sensor), revisit_s=10.0)
    p0, v = np.array([150e3, 120e3, 8e3]), np.array([-200.0, -100.0, 0.0])
    outs = []
    for k in range(15):
        t = 10.0 * k
        rr, az, el = frame.aer(sensor, p0 + v * t)
        sr, sa, se = 50.0, np.radians(0.2), np.radians(0.3)
        outs.append(
            tr.process(
                Measurements.from_polar(
                    [t],
                    [7],
                    [rr + rng.normal(0, sr)],
                    [az + rng.normal(0, sa)],
                    [el + rng.normal(0, se)],
                    sr,
                    sa,
                    se,
                    truth_id=[0],
                )
            )
        )
    out = TrackUpdates.concat(outs)
    last = out.take(np.array([len(out) - 1]))
    assert last.status[0] == CONFIRMED
    est = np.array([last.x[0], last.y[0], last.z[0]])
    assert np.linalg.norm(est - (p0 + v * last.t[0])) < 600.0  # 0.2 deg at 190 km is 660 m
    assert np.hypot(last.vx[0] + 200.0, last.vy[0] + 100.0) < 30.0


def test_two_sensors_with_different_revisits_feed_one_track() -> None:
    """A fast radar loses the target after 60 s; the slow one keeps it alive."""
    rng = np.random.default_rng(5)
    tr = Tracker(TrackerConfig(max_misses=3))
    tr.add_sensor(1, np.zeros(3), revisit_s=2.0)
    tr.add_sensor(2, np.array([50e3, 0, 0]), revisit_s=10.0)
    p0, v = np.array([100e3, 80e3, 6e3]), np.array([-150.0, 0.0, 0.0])
    sr, sa, se = 30.0, 1e-3, 1e-3
    rows = []
    for t in np.arange(0.0, 200.0, 2.0):
        for sid, pos, period in ((1, np.zeros(3), 2.0), (2, np.array([50e3, 0, 0]), 10.0)):
            if (sid == 1 and t > 60) or (t % period):
                continue
            d = p0 + v * t - pos
            rr = np.linalg.norm(d)
            az, el = np.arctan2(d[0], d[1]) % (2 * np.pi), np.arcsin(d[2] / rr)
            m = Measurements.from_polar(
                [t],
                [sid],
                [rr + rng.normal(0, sr)],
                [az + rng.normal(0, sa)],
                [el + rng.normal(0, se)],
                sr,
                sa,
                se,
                truth_id=[0],
            )
            rows.append(tr.process(m))
    out = TrackUpdates.concat(rows)
    conf = out.take(out.status != TENTATIVE)
    assert np.unique(conf.track_id).size == 1
    assert conf.t.max() >= 190.0
    assert tr.events.count(EventKind.TRACK_DROPPED) == 0


@pytest.mark.parametrize("manoeuvre", ["singer", "ca"])
def test_both_imm_manoeuvre_models_track_a_fighter_through_its_turns(manoeuvre: str) -> None:
    from test_filters import _fighter

    t, pos = _fighter(7.0)
    rng = np.random.default_rng(2)
    cfg = TrackerConfig(
        filter="imm",
        manoeuvre_model=manoeuvre,
        manoeuvre_acceleration_mps2=60.0,
        manoeuvre_time_s=10.0,
        revisit_s=2.0,
    )
    tr = Tracker(cfg)
    out = TrackUpdates.concat(
        [
            tr.process(Measurements.cartesian([t[k]], pos[k][None] + rng.normal(0, 30, 3), 30.0))
            for k in range(0, t.size, 20)
        ]
    )
    conf = out.take(out.status == CONFIRMED)
    assert np.unique(conf.track_id).size == 1
    idx = np.searchsorted(t, conf.t)
    err = np.linalg.norm(np.stack([conf.x, conf.y, conf.z], 1) - pos[idx], axis=1)
    assert np.sqrt(np.mean(err**2)) < 60.0


@pytest.mark.parametrize("g", [5.0, 9.0])
def test_imm_tracker_holds_one_track_through_hard_turns_where_cv_breaks(g: float) -> None:
    from test_filters import _fighter

    t, pos = _fighter(g)
    step = 20  # a plot every 2 s
    ts, ps = t[::step], pos[::step]

    def numbers(kind: str) -> int:
        rng = np.random.default_rng(1)
        # a fighter-tuned manoeuvre model: 6 g sigma, manoeuvres lasting ~10 s
        cfg = TrackerConfig(
            filter=kind, revisit_s=2.0, manoeuvre_acceleration_mps2=60.0, manoeuvre_time_s=10.0
        )
        tr = Tracker(cfg)
        out = TrackUpdates.concat(
            [
                tr.process(
                    Measurements.cartesian([ts[k]], ps[k][None] + rng.normal(0, 30, 3), 30.0)
                )
                for k in range(ts.size)
            ]
        )
        return np.unique(out.track_id[out.status == CONFIRMED]).size

    assert numbers("imm") == 1
    assert numbers("cv") > 1


def test_jpda_tracks_crossing_targets_in_clutter() -> None:
    _, _, batches = _scene(n=30, scans=20, clutter=50, pd=0.9, seed=8)
    _tr, out = _track(batches, association="jpda")
    conf = out.take(out.status == CONFIRMED)
    assert np.unique(conf.truth_id[conf.truth_id >= 0]).size == 30
    assert np.mean(conf.truth_id >= 0) > 0.9


def test_memory_follows_the_live_picture_not_the_run_length() -> None:
    """Targets come and go for 400 scans; dropped tracks leave the tracker's arrays."""
    rng = np.random.default_rng(6)
    tr = Tracker(TrackerConfig(revisit_s=10.0))
    caps = []
    for k in range(400):
        t = 10.0 * k
        # 20 targets alive at any time, each living 40 scans, staggered
        ids = np.arange(k // 2, k // 2 + 20)
        pos = np.stack([ids * 10e3, (t - ids * 20.0) * 200.0, np.full(ids.size, 5e3)], 1)
        m = Measurements.cartesian(np.full(ids.size, t), pos + rng.normal(0, 50, pos.shape), 50.0)
        tr.process(m)
        caps.append(tr._id.shape[0])
    assert tr.n_tracks < 60
    assert caps[-1] == caps[len(caps) // 4]  # capacity stopped growing early


def test_same_input_gives_identical_output() -> None:
    _, _, batches = _scene(n=15, scans=10, clutter=10, pd=0.9, seed=9)
    _, a = _track(batches)
    _, b = _track(batches)
    for name in ("t", "track_id", "x", "vy", "status", "quality"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_duplicate_tracks_on_one_target_are_merged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two unregistered reports of one target in every batch keep two tracks alive on it;
    the younger is dropped after a few updates, the older number stays."""
    from airdefense.tracking import tracker as tracker_module

    def run(checks: int) -> Tracker:
        monkeypatch.setattr(tracker_module, "DUPLICATE_CHECKS", checks)
        rng = np.random.default_rng(12)
        tr = Tracker(TrackerConfig(filter="cv", revisit_s=2.0))
        p0, v = np.array([30e3, 40e3, 5e3]), np.array([150.0, -80.0, 0.0])
        for k in range(40):
            t = 1.0 * k
            xyz = p0 + v * t + rng.normal(0, 30, (2, 3))
            tr.process(Measurements.cartesian(np.full(2, t), xyz, 30.0))
        return tr

    merged = run(3)
    drops = merged.events.of(EventKind.TRACK_DROPPED)
    assert len(drops) and 1 not in drops.track_id  # younger numbers go, the first stays
    assert set(drops.reason) == {"duplicate"}
    assert 1 in merged._id[: merged.n_tracks]
    unmerged = run(10_000)
    assert unmerged.n_confirmed == 2
    assert unmerged.events.count(EventKind.TRACK_DROPPED) == 0


@pytest.mark.parametrize("filt", ["cv", "imm"])
def test_kd_tree_paths_for_large_pictures_give_the_same_tracks(
    filt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Radar batches are gated and searched for duplicates by brute force, large pictures
    with KD-trees: the two find the same pairs, so the same tracks."""
    from airdefense.tracking import association

    _, _, batches = _scene(n=25, scans=12, clutter=30, pd=0.9, seed=10)
    _, brute = _track(batches, filter=filt)
    monkeypatch.setattr(association, "BRUTE_FORCE_MAX_PAIRS", 0)
    _, tree = _track(batches, filter=filt)
    for name in ("t", "track_id", "x", "vy", "sz", "status", "quality", "truth_id"):
        np.testing.assert_array_equal(getattr(brute, name), getattr(tree, name))
