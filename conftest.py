"""Root pytest configuration: the docstring examples in ``src/`` run as doctests.

``make test`` collects ``src/overdose_trends`` with ``--doctest-modules``; every
front-door function's ``Examples`` section runs here on the shipped data.
Figures are drawn off-screen and closed after each example.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace: dict) -> None:
    """``ot`` (the front door) and ``pd`` are available in every example."""
    import pandas as pd

    import overdose_trends as ot

    doctest_namespace["ot"] = ot
    doctest_namespace["pd"] = pd


@pytest.fixture(autouse=True)
def _close_figures():
    """Close any figure an example or test left open."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
