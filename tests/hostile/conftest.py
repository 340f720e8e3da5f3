"""Fixtures of the hostile-input corpus (helpers in ``hostile_helpers``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory to run commands in (and to check that nothing was written)."""
    d = tmp_path / "work"
    d.mkdir()
    return d
