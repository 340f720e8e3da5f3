"""A short simulated run with engagements, shared by the interop tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run directory of the bundled ``airliner-crossing`` cut to 240 s (interceptors fly,
    some kill, some miss); written without a report."""
    from airdefense.record.rundir import write_run
    from airdefense.scenario import library, load_scenario, resolve
    from airdefense.sim.loop import simulate

    sc = load_scenario(library.resolve("airliner-crossing"))
    sc = sc.model_copy(update={"duration_s": 240.0})
    return write_run(simulate(resolve(sc)), tmp_path_factory.mktemp("interop") / "run")
