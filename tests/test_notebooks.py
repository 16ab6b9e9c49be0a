"""The notebooks: committed with outputs stripped, and run top to bottom without errors.

Each notebook in ``notebooks/`` is executed with nbclient in a fresh ``python3``
kernel, from the notebooks folder, as part of the normal test run. Notebooks
assert their key numbers (e.g. Southend's p = 0.081), so a change in the data
or the methods that alters the story fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.name for p in PATHS]


def test_notebooks_exist():
    names = {p.name for p in PATHS}
    assert {"01_southend_period_comparison.ipynb", "02_norfolk_naloxone_kits.ipynb"} <= names


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_outputs_stripped(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
        assert "attachments" not in cell or not cell.attachments


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs(path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel draws inline PNGs
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors
    # every figure cell drew something
    images = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert len(images) >= 2, f"{path.name} shows {len(images)} figure(s)"
