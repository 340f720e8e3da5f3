"""A doctrine that names only some classes in ``salvo`` or ``damage_share`` (issue 13, case 2):
the rest come from the defaults, and the run that used to fail with ``KeyError`` runs, with
the named class changed and the others as before."""

from __future__ import annotations

import airdefense as ad
from airdefense.types.settings import Doctrine

DEFAULT = Doctrine()


def test_a_partial_salvo_keeps_the_other_classes_defaults() -> None:
    d = Doctrine.model_validate({"salvo": {"cruise": 3}, "damage_share": {"drone": 0.5}})
    assert d.salvo == {**DEFAULT.salvo, "cruise": 3}
    assert d.damage_share == {**DEFAULT.damage_share, "drone": 0.5}


def _interceptors_by_class(changes: dict) -> dict[str, int]:
    sc = ad.scenario("vessa-shield")
    if changes:
        sc = sc.with_changes(changes)
    run = ad.simulate(sc, seed=3)
    launches = run.sql(
        "select o.category as cls, count(*) as n from interceptors i "
        "join objects o on o.object_id = i.object_id group by 1"
    )
    return dict(zip(launches["cls"], launches["n"], strict=True))


def test_a_partial_salvo_runs_and_changes_only_its_class() -> None:
    before = _interceptors_by_class({})
    after = _interceptors_by_class({"doctrine.salvo": {"cruise": 2}})
    assert after["cruise"] > before["cruise"]
    assert after.get("ballistic") == before.get("ballistic")
