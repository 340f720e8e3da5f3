"""The record of a real simulated run keeps every fact, so no reader matches anything after
the fact: each kill and miss names its interceptor, each event kind fills its own fields,
the engagements view has one row per interceptor, and no object is killed twice.

One run of the bundled default scenario (about 10 s warm): it launches, kills, misses,
retargets, self-destructs and leaks, so every event kind and most interceptor ends occur.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from airdefense.record.reader import RunReader
from airdefense.types.events import EVENT_COLUMNS, EventKind, kind_columns

#: Fields a kind has but may leave empty: an interceptor_end has a miss distance only when
#: it passed a target another interceptor had destroyed.
OPTIONAL_FIELDS = {EventKind.INTERCEPTOR_END: {"miss_m"}}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunReader]:
    from airdefense.record.rundir import write_run
    from airdefense.scenario import library, load_scenario, resolve
    from airdefense.sim.loop import simulate

    sc = load_scenario(library.resolve(library.DEFAULT_SCENARIO))
    out = write_run(simulate(resolve(sc)), tmp_path_factory.mktemp("record") / "run")
    with RunReader(out) as reader:
        yield reader


@pytest.mark.parametrize("kind", list(EventKind), ids=str)
def test_each_event_kind_fills_its_own_fields_and_only_those(
    run: RunReader, kind: EventKind
) -> None:
    own = kind_columns(kind)
    events = run.query("SELECT * FROM events WHERE kind = ?", [kind.value])
    assert events.num_rows > 0, f"the default scenario has no {kind} event"
    for name in set(EVENT_COLUMNS) - {"kind"}:
        column = events[name].to_numpy(zero_copy_only=False)
        empty = np.array(
            [v is None or (isinstance(v, float) and np.isnan(v)) for v in column.tolist()]
        )
        if name not in own:
            assert empty.all(), f"{kind}.{name} should be NULL"
        elif name not in OPTIONAL_FIELDS.get(kind, set()):
            assert not empty.any(), f"{kind}.{name} has {int(empty.sum())} empty values"


def test_every_kill_and_miss_names_its_interceptor_with_that_end(run: RunReader) -> None:
    passes = run.rows(
        """
        SELECT e.kind, e.interceptor_id, i.interceptor_id, i.end_reason, e.t = i.end_t,
               e.track_id = i.end_track_id, e.object_id = i.end_object_id,
               e.miss_m = i.miss_m
        FROM events e LEFT JOIN interceptors i USING (interceptor_id)
        WHERE e.kind IN ('kill', 'miss')
        """
    )
    assert {p[0] for p in passes} == {"kill", "miss"}
    for kind, iid, found, reason, same_t, same_track, same_object, same_miss in passes:
        assert found is not None, f"{kind} names interceptor {iid}, not in interceptors"
        assert reason == kind, (iid, reason, kind)
        assert same_t and same_track and same_object and same_miss, iid


def test_every_ended_interceptor_has_one_end_event_with_its_reason(run: RunReader) -> None:
    rows = run.rows(
        """
        SELECT i.interceptor_id, i.end_reason,
               list(CASE WHEN e.kind = 'interceptor_end' THEN e.reason ELSE e.kind END)
                   FILTER (WHERE e.kind IS NOT NULL)
        FROM interceptors i
        LEFT JOIN events e ON e.interceptor_id = i.interceptor_id
         AND e.kind IN ('kill', 'miss', 'interceptor_end')
        GROUP BY ALL ORDER BY 1
        """
    )
    assert rows
    for iid, reason, ends in rows:
        assert ends == ([] if reason == "flying" else [reason]), iid


def test_the_engagements_view_has_one_row_per_interceptor(run: RunReader) -> None:
    interceptors = run.table("interceptors", order_by="interceptor_id")
    view = run.table("engagements", order_by="interceptor_id")
    assert view.num_rows == interceptors.num_rows == run.summary["interceptors_used"] > 0
    assert view["interceptor_id"].to_pylist() == interceptors["interceptor_id"].to_pylist()
    assert len(set(view["interceptor_id"].to_pylist())) == view.num_rows
    assert view["outcome"].to_pylist() == interceptors["end_reason"].to_pylist()


def test_no_object_is_credited_two_kills(run: RunReader) -> None:
    twice = run.rows(
        "SELECT end_object_id, count(*) FROM interceptors WHERE end_reason = 'kill' "
        "GROUP BY 1 HAVING count(*) > 1"
    )
    assert twice == []
    killed = run.rows("SELECT count(DISTINCT object_id), count(*) FROM events_kill")[0]
    assert killed[0] == killed[1] == run.summary["kills"] > 0


def test_each_path_runs_from_the_launcher_to_where_the_interceptor_ended(
    run: RunReader,
) -> None:
    """What the replay and CZML draw: samples in time order, the first at the launcher at
    launch, the last where and when the interceptor ended."""
    ends = run.rows(
        """
        WITH p AS (
            SELECT interceptor_id, count(*) AS n, min(t) AS t0, max(t) AS t1,
                   arg_min(x, t) AS x0, arg_min(y, t) AS y0, arg_max(x, t) AS x1,
                   arg_max(y, t) AS y1, bool_and(dt > 0) AS ordered
            FROM (SELECT *, t - lag(t) OVER (PARTITION BY interceptor_id ORDER BY t) AS dt
                  FROM interceptor_paths)
            GROUP BY interceptor_id
        )
        SELECT i.interceptor_id, p.n, p.t0 = i.launch_t, p.x0 = i.launch_x, p.y0 = i.launch_y,
               i.end_t IS NULL OR (p.t1 = i.end_t AND p.x1 = i.end_x AND p.y1 = i.end_y),
               COALESCE(p.ordered, true)
        FROM interceptors i LEFT JOIN p USING (interceptor_id) ORDER BY 1
        """
    )
    assert ends
    for iid, n, at_launch_t, at_x, at_y, at_end, ordered in ends:
        assert n and at_launch_t and at_x and at_y and at_end and ordered, iid


def test_the_run_is_written_in_the_format_its_reader_reads(run: RunReader) -> None:
    assert Path(run.path, "run.duckdb") == run.db_path
    assert run.meta["run_format"] == str(run.run_format)
    assert run.has("interceptors") and run.has("interceptor_paths") and run.has("engagements")
