"""The notebooks and the prose docs: stripped, runnable, and naming only real paths.

Each notebook in ``notebooks/`` is executed with nbclient in a fresh ``python3``
kernel, from the notebooks folder, as part of the normal test run. Notebooks
assert their key numbers (e.g. Southend's p = 0.081), so a change in the data
or the methods that alters the story fails here.

The README, the data README, ``report.toml``, the documentation pages and the
notebooks may name package paths (``overdose_trends.io.ons_local``) and front-door
names (``ot.compare_periods``): every one must exist, so that a rename cannot
leave an old path behind (CHANGELOG.md is the one place that keeps them). The
README lists the whole front door.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import overdose_trends as ot

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "overdose_trends" / "data"
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.name for p in PATHS]
#: Files whose prose or code names package paths (CHANGELOG.md names old ones on purpose).
PROSE = sorted(
    {
        ROOT / "README.md",
        DATA / "README.md",
        ROOT / "report.toml",
        *(ROOT / "docs").glob("**/*.md"),
        *(ROOT / "docs").glob("**/*.rst"),
        *PATHS,
    }
    - {ROOT / "docs" / "changelog.md"}
)
#: ``overdose_trends.a.b`` or ``ot.a.b``, as written in prose or code.
DOTTED = re.compile(r"\b(?:overdose_trends|ot)(?:\.[A-Za-z_]\w*)+")
#: Endings that make a match a file name (``overdose_trends.mplstyle``), not a path.
FILE_ENDINGS = (".mplstyle", ".py", ".toml", ".csv", ".md")


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


def _resolve(name: str) -> object:
    """The object that ``name`` (``"overdose_trends.io.ons_local"``, ``"ot.dsr"``) names."""
    parts = name.split(".")[1:]
    obj: object = ot
    for i, part in enumerate(parts):
        try:
            obj = getattr(obj, part)
        except AttributeError:  # a submodule its package does not import (io.ons_local)
            obj = importlib.import_module(".".join(["overdose_trends", *parts[: i + 1]]))
    return obj


def _named_paths(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return {
        m.group()
        for m in DOTTED.finditer(text)
        if not m.group().endswith(FILE_ENDINGS)
        and text[m.end() : m.end() + 1] != "*"  # ot.plot_* stands for a family
    }


@pytest.mark.parametrize("path", PROSE, ids=[str(p.relative_to(ROOT)) for p in PROSE])
def test_prose_names_only_real_paths(path):
    broken = {}
    for name in sorted(_named_paths(path)):
        try:
            _resolve(name)
        except (AttributeError, ImportError) as exc:
            broken[name] = f"{type(exc).__name__}: {exc}"
    assert not broken, f"{path.relative_to(ROOT)} names paths that do not resolve: {broken}"


def test_readme_lists_the_front_door():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    absent = [name for name in ot._EXPORTS if f"`{name}`" not in readme]
    assert not absent, f"README.md's front-door table lacks {absent}"
