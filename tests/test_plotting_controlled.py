"""The controlled-evaluation figure (``overdose_trends.plots.controlled``): artists and texts.

Drawn from small literal panels written here (not the shipped data).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from overdose_trends.plots.controlled import plot_controlled
from overdose_trends.plots.trends import plot_interrupted
from overdose_trends.stats.trends.controlled import fit_controlled
from overdose_trends.stats.trends.interrupted import fit_interrupted
from tests.plotting_helpers import check_image, one

YEARS = list(range(2008, 2020))
PANEL = pd.DataFrame(
    {
        "area_code": ["T"] * 12 + ["A"] * 12 + ["B"] * 12,
        "area_name": ["Treated town"] * 12 + ["Town A"] * 12 + ["Town B"] * 12,
        "year": YEARS * 3,
        "deaths": [
            *[20, 22, 21, 23, 24, 25, 26, 18, 17, 18, 17, 16],
            *[30, 31, 33, 32, 35, 36, 37, 38, 40, 41, 42, 44],
            *[25, 26, 26, 27, 29, 30, 30, 32, 33, 33, 35, 36],
        ],
        "population": [200_000] * 12 + [300_000] * 12 + [250_000] * 12,
    }
)


def _gids(ax):
    return {a.get_gid() for a in [*ax.lines, *ax.collections, *ax.texts] if a.get_gid()}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_cits_figure_artists_and_neutral_wording():
    fit = fit_controlled(PANEL, treated="T", controls=["A", "B"], intervention=2015)
    ax = fit.plot()
    gids = _gids(ax)
    for gid in ("observed", "comparison", "comparison-fitted", "fitted-pre", "fitted-post",
                "counterfactual", "counterfactual-ci", "intervention", "effects"):  # fmt: skip
        assert gid in gids, gid
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[-1] == "Programme from 2015"  # the date, not a cause
    assert ax.figure.texts[0].get_text() == "Comparative interrupted time series: Treated town"
    box = next(t for t in ax.texts if t.get_gid() == "effects").get_text()
    assert "fewer deaths than the comparison predicts in 2015-2019" in box
    assert "averted" not in box and "\u2212" not in box
    notes = " ".join(t.get_text().replace("\n", " ") for t in ax.figure.texts)
    assert "Town A, Town B" in notes


def test_synthetic_figure_and_an_excess_in_words():
    more = PANEL.copy()
    treated_post = (more["area_code"] == "T") & (more["year"] >= 2015)
    more.loc[treated_post, "deaths"] = more.loc[treated_post, "deaths"] * 3
    fit = fit_controlled(more, treated="T", controls=["A", "B"], intervention=2015,
                         method="synthetic")  # fmt: skip
    ax = plot_controlled(fit, intervention_label="Kits supplied from 2015")
    gids = _gids(ax)
    assert {"observed", "synthetic", "intervention", "effects"} <= gids
    assert "counterfactual-ci" not in gids
    assert ax.get_legend().get_texts()[-1].get_text() == "Kits supplied from 2015"
    box = next(t for t in ax.texts if t.get_gid() == "effects").get_text()
    assert "more deaths than the comparison predicts" in box
    assert "placebo p = " in box and "\u221e" in box  # 2 donors: unbounded 95% interval
    assert ax.figure.texts[0].get_text() == "Synthetic control: Treated town"


def test_drawing_into_a_given_axes_and_plot_rejects_series():
    fit = fit_controlled(PANEL, treated="T", controls=["A", "B"], intervention=2015)
    fig, given = plt.subplots()
    ax = plot_controlled(fit, ax=given, title="Panel A")
    assert ax is given and ax.get_title() == "Panel A"
    with pytest.raises(ValueError, match="one treated area"):
        fit.plot("T")


def _look(ax) -> dict:
    """How the counterfactual, its band, the start line and the effects box are drawn."""
    look = {}
    for gid in ("counterfactual", "fitted-pre", "fitted-post", "intervention"):
        line = one(ax, gid)
        look[gid] = (line.get_color(), line.get_linestyle(), line.get_linewidth(), line.zorder)
    band = one(ax, "counterfactual-ci")
    look["band"] = (tuple(band.get_facecolor()[0]), band.get_linewidth()[0], band.zorder)
    box = one(ax, "effects")
    frame = box.get_bbox_patch()
    look["box"] = (
        box.get_position(), box.get_ha(), box.get_va(), box.get_fontsize(), box.get_color(),
        box.zorder, tuple(frame.get_facecolor()), tuple(frame.get_edgecolor()),
        frame.get_linewidth(),
    )  # fmt: skip
    return look


def test_interrupted_and_controlled_figures_draw_the_shared_parts_alike():
    """One drawing helper: the same treated area's figures agree on every shared artist."""
    controlled = plot_controlled(
        fit_controlled(PANEL, treated="T", controls=["A", "B"], intervention=2015)
    )
    treated = PANEL.loc[PANEL["area_code"] == "T"]
    interrupted = plot_interrupted(
        fit_interrupted(treated, population="population", intervention=2015, family="poisson"),
        scale="rate",
    )
    a, b = _look(controlled), _look(interrupted)
    for part in ("counterfactual", "fitted-pre", "fitted-post", "intervention", "band", "box"):
        assert a[part] == b[part], part
    for ax in (controlled, interrupted):
        # the start line halfway between 2014 and 2015; the dashed line from 2014 on
        assert list(one(ax, "intervention").get_xdata()) == [2014.5, 2014.5]
        assert one(ax, "counterfactual").get_xdata()[0] == 2014


@pytest.mark.parametrize("method", ["cits", "synthetic"])
def test_image_controlled(method, tmp_path):
    fit = fit_controlled(PANEL, treated="T", controls=["A", "B"], intervention=2015,
                         method=method)  # fmt: skip
    ax = plot_controlled(
        fit, intervention_label="Kits supplied from 2015", source="invented data (tests)"
    )
    check_image(ax.figure, f"controlled_{method}", tmp_path)
