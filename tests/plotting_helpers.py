"""Helpers shared by the plotting tests: Agg backend, artist look-ups, image comparison.

Image comparison
----------------
:func:`check_image` saves a figure as PNG at 100 dpi with
:func:`overdose_trends.plots.style.save_figure` and compares it with
``tests/baseline/<name>.png`` using ``matplotlib.testing.compare.compare_images``
(root-mean-square difference of pixel values, tolerance ``tol`` on the 0-255 scale).
The baselines are drawn from small literal data frames written in the tests, never
from the shipped data, so a data update does not change them.

To regenerate the baselines after an intended change to the figures::

    OVERDOSE_TRENDS_UPDATE_BASELINES=1 .venv/bin/pytest tests/test_plotting_*.py

then look at every new PNG in ``tests/baseline/`` before committing it. With the
variable set, image tests write their baseline and are reported as skipped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.testing.compare import compare_images  # noqa: E402

from overdose_trends.plots.style import save_figure  # noqa: E402

BASELINE = Path(__file__).resolve().parent / "baseline"
UPDATE_VARIABLE = "OVERDOSE_TRENDS_UPDATE_BASELINES"
#: Resolution of the test images (small files; 300 dpi is checked separately).
IMAGE_DPI = 100


def check_image(fig: plt.Figure, name: str, tmp_path: Path, tol: float = 3.0) -> None:
    """Compare ``fig`` with ``tests/baseline/<name>.png`` (or write it when updating)."""
    (actual,) = save_figure(fig, tmp_path / name, formats=("png",), dpi=IMAGE_DPI)
    expected = BASELINE / f"{name}.png"
    if os.environ.get(UPDATE_VARIABLE) == "1":
        BASELINE.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(actual, expected)
        pytest.skip(f"baseline {expected.name} written ({UPDATE_VARIABLE}=1)")
    if not expected.exists():
        pytest.fail(
            f"no baseline {expected}; generate it with {UPDATE_VARIABLE}=1 "
            ".venv/bin/pytest tests/test_plotting_*.py and check the image"
        )
    result = compare_images(str(expected), str(actual), tol=tol, in_decorator=True)
    if result is not None:
        pytest.fail(
            f"{name}: the figure differs from its baseline (RMS {result['rms']:.2f} > tol {tol}); "
            f"see {result['diff']}. If the change is intended, regenerate the baselines "
            f"({UPDATE_VARIABLE}=1)."
        )


def by_gid(ax: plt.Axes, gid: str) -> list:
    """Artists of ``ax`` (lines, collections, texts, patches such as bars) with this gid."""
    return [a for a in ax.get_children() if a.get_gid() == gid]


def one(ax: plt.Axes, gid: str):
    """The single artist with ``gid``."""
    found = by_gid(ax, gid)
    assert len(found) == 1, f"expected one artist with gid {gid!r}, found {len(found)}"
    return found[0]


def figure_texts(fig: plt.Figure) -> dict[str, str]:
    """Title, units and footer texts added by ``annotate``, by short name."""
    names = {
        "overdose_trends-title": "title",
        "overdose_trends-units": "units",
        "overdose_trends-footer": "footer",
    }
    return {names[t.get_gid()]: t.get_text() for t in fig.texts if t.get_gid() in names}


def flat(text: str) -> str:
    """Text with line breaks from wrapping turned into spaces."""
    return " ".join(text.split())


def band_values_at(collection, x: float) -> np.ndarray:
    """Sorted distinct y values of a fill_between band's vertices at ``x``."""
    ys = [v[1] for path in collection.get_paths() for v in path.vertices if np.isclose(v[0], x)]
    return np.unique(np.round(ys, 9))
