"""docs/architecture.md stays true of the run record: every table, column, view, event kind,
end reason and summary figure the schema declares is documented there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airdefense.record.schema import SUMMARY_COLUMNS, TABLES, VIEWS
from airdefense.types.events import (
    EVENT_COLUMNS,
    IDENTIFICATION_RULES,
    IDENTITIES,
    INTERCEPTOR_ENDS,
    TRACK_DROP_REASONS,
    EventKind,
)

DOC = Path(__file__).parents[2] / "docs" / "architecture.md"
TEXT = DOC.read_text(encoding="utf-8")


def _columns(ddl: str) -> list[str]:
    """Column names of a table's DDL (comments dropped)."""
    code = " ".join(line.split("--")[0] for line in ddl.splitlines())
    return [part.split()[0] for part in code.split(",") if part.strip()]


def _section(table: str) -> str:
    """The text of the table's own section (from its heading to the next)."""
    match = re.search(rf"^#### `{table}`.*?(?=^#### |^### |\Z)", TEXT, re.M | re.S)
    assert match, f"no section for table {table}"
    return match.group(0)


@pytest.mark.parametrize("table", [t for t in TABLES if t != "events"])
def test_every_column_of_every_table_is_documented(table: str) -> None:
    section = _section(table)
    missing = [c for c in _columns(TABLES[table]) if f"`{c}`" not in section]
    assert not missing, f"{table}: undocumented columns {missing}"


def test_the_events_table_views_and_vocabularies_are_documented() -> None:
    events = _section("events")
    assert not [c for c in EVENT_COLUMNS if c not in ("t", "kind") and f"`{c}`" not in events]
    for name in (
        *VIEWS,
        *(k.value for k in EventKind),
        *INTERCEPTOR_ENDS,
        *TRACK_DROP_REASONS,
        *IDENTITIES,
        *IDENTIFICATION_RULES,
    ):
        if name.startswith("events_"):
            continue  # documented as events_<kind>
        assert f"`{name}`" in TEXT, name
    assert "`events_<kind>`" in TEXT


def test_every_summary_figure_is_named() -> None:
    summary = _section("summary")
    assert not [c for c in SUMMARY_COLUMNS if f"`{c}`" not in summary]
