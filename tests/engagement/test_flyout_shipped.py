"""The flyout tables shipped with the package: of this model, equal to freshly computed ones
for every catalog missile, and ignored (computed and cached instead) when they do not fit."""

from __future__ import annotations

import numpy as np
import pytest

from airdefense.engagement import flyout as F
from airdefense.systems import catalog


def test_shipped_tables_are_of_this_model() -> None:
    with np.load(F.SHIPPED_TABLES) as z:
        shipped = str(z["model_hash"])
    assert shipped == F._MODEL_HASH, (
        "the flyout model changed since the shipped tables were computed: "
        "run `make flyout-tables` and commit src/airdefense/engagement/flyout_tables.npz"
    )


@pytest.mark.parametrize("name", sorted(catalog.MISSILES))
def test_shipped_table_equals_a_fresh_one(name: str) -> None:
    preset = catalog.MISSILES[name]
    ranges, heights = F._default_grid(preset)
    key = F._table_key(preset, ranges, heights, F.TABLE_STEP_S)
    shipped = F._shipped()
    assert all(f"{key}_{a}" in shipped for a in F._TABLE_ARRAYS)
    fresh = F._compute_table(preset, ranges, heights, F.TABLE_STEP_S)
    table = F.flyout_table(preset)
    for a in F._TABLE_ARRAYS:
        assert np.array_equal(getattr(table, a), getattr(fresh, a), equal_nan=True), a
        assert np.array_equal(shipped[f"{key}_{a}"], getattr(fresh, a), equal_nan=True), a


def test_a_changed_preset_is_computed_and_cached_beside_numbas_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    preset = catalog.MISSILES["9m96e-class"].model_copy(update={"lethal_radius_m": 7.5})
    ranges, heights = F._default_grid(preset)
    key = F._table_key(preset, ranges, heights, F.TABLE_STEP_S)
    assert f"{key}_time_s" not in F._shipped()
    table = F.flyout_table(preset)
    cached = list((tmp_path / "airdefense-flyout").glob(f"flyout-*-{key}.npz"))
    assert len(cached) == 1
    with np.load(cached[0]) as z:
        assert np.array_equal(z["time_s"], table.time_s, equal_nan=True)


def test_tables_of_another_model_are_not_used(tmp_path, monkeypatch) -> None:
    with np.load(F.SHIPPED_TABLES) as z:
        arrays = {name: z[name] for name in z.files}
    other = tmp_path / "flyout_tables.npz"
    np.savez(other, **{**arrays, "model_hash": np.array("0" * 16)})
    monkeypatch.setattr(F, "SHIPPED_TABLES", other)
    F._shipped.cache_clear()
    try:
        assert F._shipped() == {}
    finally:
        F._shipped.cache_clear()
    # and the model's source is part of every key (shipped or cached on disk)
    preset = catalog.MISSILES["48n6-class"]
    grid = F._default_grid(preset)
    key = F._table_key(preset, *grid, F.TABLE_STEP_S)
    monkeypatch.setattr(F, "_MODEL_HASH", "1" * 16)
    assert F._table_key(preset, *grid, F.TABLE_STEP_S) != key
