"""How the trend-model results show themselves (``overdose_trends.stats.trends._display``).

``summary()`` tables (columns, rounding, numbers equal to the full tables),
``__repr__`` and ``_repr_html_`` (heading, table, notes), and ``.plot()``, which
reaches the figure functions of ``overdose_trends.plots.trends`` by name.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from overdose_trends import fit_interrupted, fit_joinpoint, fit_trend
from overdose_trends.stats.trends._display import FIGURES, figure_function, rounded
from tests.trends_helpers import southend, southend_norwich


@pytest.fixture(scope="module")
def trend():
    return fit_trend(southend(), population="population")


@pytest.fixture(scope="module")
def joinpoint():
    # ONS 2021 edition, Table 4: England and Wales, drug poisoning, persons, ASMR
    return fit_joinpoint(_national_asmr(), rate="rate", lcl="lcl", ucl="ucl", method="bic")


@pytest.fixture(scope="module")
def interrupted():
    south = southend()
    return fit_interrupted(
        south[south["year"] >= 2001], intervention=2015, population="population", n_sim=2000
    )


def _national_asmr() -> pd.DataFrame:
    from overdose_trends import datasets

    nat = datasets.national_deaths()
    return nat[
        (nat["table"] == "asmr")
        & (nat["measure"] == "poisoning")
        & (nat["sex"] == "persons")
        & (nat["substance"] == "all")
    ]


def test_trend_summary_is_the_rounded_apc(trend):
    table = trend.summary()
    assert list(table.columns) == [
        "first", "last", "n_points", "family", "apc", "apc_lcl", "apc_ucl", "p_value",
    ]  # fmt: skip
    full = trend.estimates.iloc[0]
    row = table.iloc[0]
    assert (row["first"], row["last"], row["n_points"]) == (1997, 2019, 23)
    for col in ("apc", "apc_lcl", "apc_ucl"):
        assert row[col] == round(full[col], 1)
    assert row["p_value"] == pytest.approx(full["p_value"], rel=0.05)


def test_summary_keeps_the_series_keys():
    fit = fit_trend(southend_norwich(), by="area_code")
    table = fit.summary()
    assert list(table.columns[:2]) == ["area_code", "first"]
    assert table["area_code"].tolist() == ["E06000033", "E07000148"]


def test_joinpoint_summary_lists_segments_then_the_aapc(joinpoint):
    table = joinpoint.summary()
    assert list(table.columns) == [
        "measure", "segment", "start", "end", "apc", "apc_lcl", "apc_ucl", "p_value",
    ]  # fmt: skip
    n_segments = len(joinpoint.segments)
    assert table["measure"].tolist() == ["APC"] * n_segments + ["AAPC"]
    assert table["segment"].iloc[:-1].tolist() == list(range(1, n_segments + 1))
    assert table["segment"].isna().tolist() == [False] * n_segments + [True]
    # the joinpoints are where one segment ends and the next starts
    assert tuple(table["end"].iloc[: n_segments - 1]) == joinpoint.models["joinpoints"].iloc[0]
    np.testing.assert_allclose(
        table["apc"].iloc[:-1], joinpoint.segments["apc"].round(1), atol=1e-12
    )
    whole = joinpoint.aapc().iloc[0]
    assert (table["start"].iloc[-1], table["end"].iloc[-1]) == (1993, 2021)
    assert table["apc"].iloc[-1] == round(whole["aapc"], 1)
    assert table["apc_lcl"].iloc[-1] == round(whole["aapc_lcl"], 1)


def test_joinpoint_summary_of_several_series_interleaves_the_aapc_rows():
    fit = fit_joinpoint(southend_norwich(2012), count="deaths", by="area_code", method="bic")
    table = fit.summary()
    for _, rows in table.groupby("area_code", sort=False):
        assert rows["measure"].iloc[-1] == "AAPC"
        assert (rows["measure"].iloc[:-1] == "APC").all()
    assert table["area_code"].iloc[0] == "E06000033"


def test_interrupted_summary_has_effects_and_deaths_averted(interrupted):
    table = interrupted.summary()
    assert list(table.columns) == [
        "intervention", "family",
        "level_ratio", "level_lcl", "level_ucl", "level_p",
        "slope_change_ratio", "slope_change_lcl", "slope_change_ucl", "slope_change_p",
        "observed", "counterfactual", "averted", "averted_lcl", "averted_ucl",
    ]  # fmt: skip
    effects, averted = interrupted.effects.iloc[0], interrupted.averted.iloc[0]
    row = table.iloc[0]
    assert row["level_ratio"] == round(effects["level_ratio"], 3)
    assert row["slope_change_ucl"] == round(effects["slope_change_ucl"], 3)
    assert row["observed"] == averted["observed"]
    for col in ("counterfactual", "averted", "averted_lcl", "averted_ucl"):
        assert row[col] == round(averted[col], 1)


def test_p_values_keep_two_significant_figures():
    table = pd.DataFrame({"p": [3.6123e-35, 0.04567, 0.5, np.nan], "x": [1.26, 2.0, 3.0, 4.0]})
    out = rounded(table, {"p": "p", "x": 1})
    assert out["p"].iloc[:3].tolist() == [3.6e-35, 0.046, 0.5]
    assert np.isnan(out["p"].iloc[3])
    assert out["x"].tolist() == [1.3, 2.0, 3.0, 4.0]


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("trend", "TrendFit: log-linear trend (negbin), 1 series, APC in % per year"),
        ("joinpoint", "JoinpointFit: joinpoint regression (loglinear, se weights; joinpoints "
         "chosen by the BIC; parametric (Lerman) intervals; intervals as NCI Joinpoint 4)"),
        ("interrupted", "InterruptedFit: segmented log-linear regression (negbin), "
         "intervention 2015"),
    ],
)  # fmt: skip
def test_repr_and_html_show_heading_table_and_notes(request, name, heading):
    fit = request.getfixturevalue(name)
    text = repr(fit)
    assert text.startswith(heading)
    assert fit.summary().to_string(index=False) in text
    page = fit._repr_html_()
    assert page.startswith(f"<p><strong>{heading}")
    assert "<table" in page and "</table>" in page
    for note in fit.notes:
        assert f"- {note}" in text
        assert f"<li>{note}</li>" in page.replace("&#x27;", "'")
    assert ("Notes:" in text) == bool(fit.notes)


def test_joinpoint_from_the_reader_notes_the_time_column(joinpoint):
    assert joinpoint.notes == (
        "time taken from period_start: the data have no 'year' column and each row is one "
        "registration year",
    )
    assert "<li>time taken from period_start" in joinpoint._repr_html_()


def test_long_summaries_are_shortened_in_repr():
    years = list(range(2000, 2012))
    table = pd.DataFrame(
        {
            "area": np.repeat([f"A{i:02d}" for i in range(25)], len(years)),
            "year": years * 25,
            "deaths": np.tile([5, 7, 6, 9, 8, 10, 12, 11, 13, 15, 14, 16], 25),
        }
    )
    fit = fit_trend(table, by="area", family="poisson")
    assert len(fit.summary()) == 25
    assert "..." in repr(fit)
    assert "A24" in repr(fit) and "A12" not in repr(fit)


def test_figures_are_found_by_name_at_call_time():
    # the stats room never imports the plots room: the figure module is imported by name
    assert figure_function("os.path.join") is __import__("os").path.join
    for dotted in FIGURES.values():
        module, _, name = dotted.rpartition(".")
        assert module.startswith("overdose_trends.plots.") and name.startswith("plot_")


@pytest.mark.parametrize("name", ["trend", "joinpoint", "interrupted"])
def test_plot_draws_the_matching_figure(request, name):
    from matplotlib.axes import Axes

    fit = request.getfixturevalue(name)
    ax = fit.plot(title="A title")
    assert isinstance(ax, Axes)
    assert "overdose_trends.plots.trends" in sys.modules
    expected = figure_function(FIGURES[type(fit).__name__])
    assert expected.__name__ == {
        "trend": "plot_trend", "joinpoint": "plot_joinpoint", "interrupted": "plot_interrupted",
    }[name]  # fmt: skip


def test_plot_takes_the_series_and_an_axes():
    import matplotlib.pyplot as plt

    fit = fit_interrupted(
        southend_norwich(2012).assign(population=150_000),
        intervention=2015,
        population="population",
        by="area_code",
        n_sim=500,
    )
    _, ax = plt.subplots()
    assert fit.plot("E07000148", ax=ax) is ax
