"""The tutorial notebook runs as a reader would run it: every cell, in order, without an
error, and it draws its figure. It is stored without outputs and writes nothing where it
runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "tutorial.ipynb"


def test_tutorial_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert not cell.outputs and cell.execution_count is None, "strip the notebook's outputs"


def test_tutorial_runs_and_draws_its_figure(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,  # per cell; the whole notebook takes about a minute on 2 cores
        kernel_name="python3",  # this interpreter (jupyter_client runs the kernel with it)
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on an error
    images = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert images, "the tutorial drew no figure"
    assert not list(tmp_path.iterdir()), "the tutorial wrote files where it ran"
