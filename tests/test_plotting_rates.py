"""Rate trend and period comparison figures (overdose_trends.plots.rates).

The figures are checked by inspecting their artists (the plotted values are the
input rates; intervals span lcl to ucl; small-number markers) and, for one
example of each, by image comparison with tests/baseline (see
tests/plotting_helpers.py for how to regenerate the baselines).
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from overdose_trends import datasets, plot_period_comparison, plot_rate_trend
from overdose_trends.plots import style
from overdose_trends.stats.compare import compare_periods
from tests.plotting_helpers import band_values_at, by_gid, check_image, figure_texts, flat, one

NAN = np.nan
PERIODS = [(y, y + 2) for y in range(2010, 2017)]  # 2010-12 ... 2016-18


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _trend_data() -> pd.DataFrame:
    """Two invented areas, ONS-style three-year rows (per 100,000, 95% limits)."""
    alpha = {
        "deaths": [40, 35, 15, 8, 25, 30, 45],
        "rate": [8.0, 7.1, 3.0, NAN, 5.1, 6.0, 9.0],
        "lcl": [5.7, 4.9, 1.7, NAN, 3.3, 4.0, 6.6],
        "ucl": [10.9, 9.9, 5.0, NAN, 7.5, 8.6, 12.1],
        "rate_status": ["ok", "ok", "unreliable", "not_calculated", "ok", "ok", "ok"],
    }
    # Beta has no row for 2013-15 (a gap) and isolated rates around a not-calculated period
    beta = {
        "deaths": [12, 9, 11, 30, 33, 28],
        "rate": [2.5, NAN, 2.3, 6.1, 6.8, 5.9],
        "lcl": [1.3, NAN, 1.1, 4.1, 4.7, 3.9],
        "ucl": [4.4, NAN, 4.1, 8.7, 9.5, 8.5],
        "rate_status": ["unreliable", "not_calculated", "unreliable", "ok", "ok", "ok"],
    }
    beta_periods = [p for p in PERIODS if p != (2013, 2015)]
    rows = []
    for code, name, values, spans in (
        ("E06000001", "Alpha", alpha, PERIODS),
        ("E06000002", "BETA", beta, beta_periods),
    ):
        for i, (start, end) in enumerate(spans):
            rows.append(
                {
                    "area_code": code,
                    "area_name": name,
                    "measure": "poisoning",
                    "sex": "persons",
                    "period_start": start,
                    "period_end": end,
                    **{k: v[i] for k, v in values.items()},
                    "rate_per": 100_000,
                }
            )
    df = pd.DataFrame(rows)
    df["deaths"] = df["deaths"].astype("Int64")
    return df


def _comparison() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "area_code": ["E06000001", "E06000002", "E06000003"],
            "area_name": ["Alpha", "Beta", "GAMMA"],
            "deaths_before": [47, 15, 8],
            "deaths_after": [32, 30, 25],
            "rate_before": [8.8, 3.1, NAN],
            "lcl_before": [6.5, 1.7, NAN],
            "ucl_before": [11.7, 5.1, NAN],
            "rate_after": [5.8, 6.0, 4.9],
            "lcl_after": [4.0, 4.0, 3.2],
            "ucl_after": [8.3, 8.6, 7.2],
            "status_before": ["ok", "unreliable", "not_calculated"],
            "status_after": ["ok", "ok", "ok"],
            "verdict": [
                "no significant change (p = 0.081)",
                "significant increase (p = 0.021); rate before unreliable (fewer than 20 deaths)",
                "not assessed: rate before not calculated (fewer than 10 deaths)",
            ],
            "rate_per": 100_000,
        }
    )
    df.attrs["comparison"] = {"before": (2013, 2015), "after": (2016, 2018), "conf": 0.95}
    return df


# --- rate_trend: content ------------------------------------------------------------------


def test_rate_trend_plots_the_input_rates_and_limits():
    data = _trend_data()
    ax = plot_rate_trend(data)
    line = one(ax, "rate-E06000001")
    assert line.get_xdata().tolist() == [2011, 2012, 2013, 2014, 2015, 2016, 2017]
    np.testing.assert_array_equal(line.get_ydata(), [8.0, 7.1, 3.0, NAN, 5.1, 6.0, 9.0])
    band = one(ax, "ci-E06000001")
    assert len(band.get_paths()) == 2  # split around the period not calculated
    for x, lo, hi in ((2011, 5.7, 10.9), (2013, 1.7, 5.0), (2017, 6.6, 12.1)):
        assert band_values_at(band, x).tolist() == [lo, hi]
    ok = one(ax, "ok-E06000001")
    assert ok.get_xydata()[:, 1].tolist() == [8.0, 7.1, 5.1, 6.0, 9.0]
    weak = one(ax, "unreliable-E06000001")
    assert weak.get_xydata().tolist() == [[2013.0, 3.0]]
    assert weak.get_markerfacecolor() == "white"


def test_rate_trend_small_numbers_and_gaps():
    ax = plot_rate_trend(_trend_data())
    # Alpha 2013-15 (8 deaths): an "x" on the axis floor, never a rate (dodged left of 2014)
    nc = one(ax, "not_calculated-E06000001")
    assert nc.get_xydata().tolist() == [[2014 - 0.06, 0.0]]
    assert nc.get_transform() == ax.get_xaxis_transform()
    beta = one(ax, "rate-E06000002")
    # 2011-13 not calculated, 2013-15 has no row: both gaps in the line
    np.testing.assert_array_equal(beta.get_ydata(), [2.5, NAN, 2.3, NAN, 6.1, 6.8, 5.9])
    # isolated rates get interval bars instead of a band
    bars = one(ax, "ci-bars-E06000002")
    segments = [seg.tolist() for seg in bars.get_segments()]
    assert segments == [[[2011.0, 1.3], [2011.0, 4.4]], [[2013.0, 1.1], [2013.0, 4.1]]]
    footer = flat(figure_texts(ax.figure)["footer"])
    assert style.NOTE_UNRELIABLE in footer and style.NOTE_NOT_CALCULATED in footer
    assert "Gaps: no rate published for the period." in footer


def test_rate_trend_never_draws_a_rate_from_fewer_than_10_deaths():
    data = _trend_data().query("area_code == 'E06000001'").copy()
    # an inconsistent input: a rate and status "ok" from 8 deaths
    data.loc[data["deaths"] == 8, ["rate", "lcl", "ucl", "rate_status"]] = [4.0, 2.0, 6.0, "ok"]
    ax = plot_rate_trend(data)
    assert np.isnan(one(ax, "rate-E06000001").get_ydata()[3])
    assert one(ax, "not_calculated-E06000001").get_xydata().tolist() == [[2014.0, 0.0]]


def test_rate_trend_axes_labels_and_annotation():
    ax = plot_rate_trend(_trend_data())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["2010-12", "2011-13", "2012-14", "2013-15", "2014-16", "2015-17", "2016-18"]
    assert ax.get_ylim()[0] == 0
    assert ax.get_ylabel() == "Deaths per 100,000"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Alpha", "Beta"]
    texts = figure_texts(ax.figure)
    assert texts["title"] == "Deaths related to drug poisoning: Alpha, Beta"
    assert texts["units"] == style.UNITS_ASR_100K
    footer = flat(texts["footer"])
    assert footer.startswith("Source: ONS, Deaths related to drug poisoning by local authority")
    assert "Shaded bands: 95% confidence intervals." in footer


def test_rate_trend_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    ax = plot_rate_trend(_trend_data(), "E06000002", ax=axes[1], title="Beta", from_zero=False)
    assert ax is axes[1]
    assert ax.get_title() == "Beta"
    assert figure_texts(fig) == {}  # the caller's figure is not annotated
    assert by_gid(ax, "rate-E06000001") == []
    assert ax.get_ylabel() == "Deaths per 100,000,\nage-standardised (2013 ESP)"
    ax2 = plot_rate_trend(_trend_data(), ["Alpha"], ax=axes[0], annotate=True)
    assert figure_texts(fig)["title"] == "Deaths related to drug poisoning: Alpha"
    assert len(by_gid(ax2, "rate-E06000001")) == 1


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda d: d.drop(columns="ucl"), r"lacks column\(s\) \['ucl'\]"),
        (lambda d: d.iloc[:0], "no rows"),
        (lambda d: pd.concat([d, d.assign(sex="males")]), r"differ in \['sex'\]"),
        (
            lambda d: pd.concat([d, d.iloc[:1].assign(period_start=2011, period_end=2011)]),
            "mix periods of 1, 3 years",
        ),
        (lambda d: d.drop(columns=["deaths", "rate_status"]), "deaths or a rate_status"),
    ],
)
def test_rate_trend_errors(change, match):
    with pytest.raises(ValueError, match=match):
        plot_rate_trend(change(_trend_data()))


def test_rate_trend_area_errors():
    with pytest.raises(ValueError, match=r"area\(s\) \['E09999999'\] not in the data"):
        plot_rate_trend(_trend_data(), ["E06000001", "E09999999"])
    many = pd.concat(
        [_trend_data().assign(area_code=f"E0600010{i}") for i in range(8)], ignore_index=True
    )
    with pytest.raises(ValueError, match="more than the 7 series colours"):
        plot_rate_trend(many)
    with pytest.raises(ValueError, match="areas is empty"):
        plot_rate_trend(_trend_data(), [])


def test_rate_trend_real_southend_and_england():
    la = datasets.la_deaths().query(
        "measure == 'poisoning' and sex == 'persons' and period_end - period_start == 2"
    )
    ax = plot_rate_trend(la, ["E06000033", "E92000001"])
    line = one(ax, "rate-E06000033")
    x = line.get_xdata()
    y = dict(zip(x, line.get_ydata(), strict=True))
    # ONS 2019 edition, Table 3: Southend-on-Sea 2013-15 8.8 (6.5-11.7), 2016-18 5.8 (4.0-8.3)
    assert y[2014] == 8.8 and y[2017] == 5.8
    band = one(ax, "ci-E06000033")
    assert band_values_at(band, 2014).tolist() == [6.5, 11.7]
    assert band_values_at(band, 2017).tolist() == [4.0, 8.3]
    # England 2016-18: 6.7 (6.6-6.9)
    england = one(ax, "rate-E92000001")
    assert dict(zip(england.get_xdata(), england.get_ydata(), strict=True))[2017] == 6.7
    assert "Southend-on-Sea, England" in figure_texts(ax.figure)["title"]


# --- period_comparison: content ------------------------------------------------------------


def test_period_comparison_plots_rates_intervals_and_verdicts():
    ax = plot_period_comparison(_comparison())
    before = one(ax, "ci-before")
    segments = [seg.tolist() for seg in before.get_segments()]
    assert segments == [[[6.5, -0.14], [11.7, -0.14]], [[1.7, 0.86], [5.1, 0.86]]]
    after = one(ax, "ci-after")
    assert [seg[:, 0].tolist() for seg in after.get_segments()] == [
        [4.0, 8.3],
        [4.0, 8.6],
        [3.2, 7.2],
    ]
    assert one(ax, "ok-before").get_xydata().tolist() == [[8.8, -0.14]]
    weak = one(ax, "unreliable-before")
    assert weak.get_xydata().tolist() == [[3.1, 0.86]] and weak.get_markerfacecolor() == "white"
    nc = one(ax, "not_calculated-before")
    np.testing.assert_allclose(nc.get_xydata(), [[0.0, 1.86]])
    assert nc.get_transform() == ax.get_yaxis_transform()
    assert one(ax, "ok-after").get_xydata()[:, 0].tolist() == [5.8, 6.0, 4.9]
    verdicts = by_gid(ax, "verdict")
    assert [flat(t.get_text()) for t in verdicts] == _comparison()["verdict"].tolist()
    assert verdicts[1].get_color() == style.PALETTE["vermillion"]  # significant increase
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha", "Beta", "Gamma"]
    assert ax.get_xlim()[0] == 0


def test_period_comparison_labels_and_notes():
    ax = plot_period_comparison(_comparison())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["2013-15", "2016-18"]
    texts = figure_texts(ax.figure)
    assert texts["title"] == "Death rates in 2013-15 and 2016-18"
    footer = flat(texts["footer"])
    assert "Bars: 95% confidence intervals." in footer
    assert "significant when p < 0.05." in footer
    assert style.NOTE_UNRELIABLE in footer and style.NOTE_NOT_CALCULATED in footer
    plain = _comparison()
    plain.attrs = {}
    ax = plot_period_comparison(plain.iloc[:1], labels=("Then", "Now"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Then", "Now"]
    assert figure_texts(ax.figure)["title"] == "Death rates in Then and Now: Alpha"
    ax = plot_period_comparison(plain.iloc[:1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Before", "After"]


def test_period_comparison_errors():
    with pytest.raises(ValueError, match=r"\['ons_verdict'\]"):
        plot_period_comparison(_comparison(), verdict="ons_verdict")
    with pytest.raises(ValueError, match="no rows"):
        plot_period_comparison(_comparison().iloc[:0])
    with pytest.raises(ValueError, match="two texts"):
        plot_period_comparison(_comparison(), labels=("a",))


def test_period_comparison_real_southend_norwich():
    la = datasets.la_deaths().query(
        "measure == 'poisoning' and sex == 'persons' and area_code in ['E06000033', 'E07000148']"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = compare_periods(la, before="2013-15", after="2016-18")
    ax = plot_period_comparison(comparison)
    # ONS 2019 edition, Table 3: Southend 2013-15 8.8 (6.5-11.7); Norwich 2016-18 21.0 (16.6-26.3)
    assert one(ax, "ci-before").get_segments()[0][:, 0].tolist() == [6.5, 11.7]
    assert one(ax, "ci-after").get_segments()[1][:, 0].tolist() == [16.6, 26.3]
    texts = [flat(t.get_text()) for t in by_gid(ax, "verdict")]
    assert texts == comparison["verdict"].tolist()
    assert texts[0].startswith("no significant change")


# --- images ------------------------------------------------------------------------------------


def test_rate_trend_image(tmp_path):
    ax = plot_rate_trend(_trend_data())
    check_image(ax.figure, "rate_trend", tmp_path)


def test_period_comparison_image(tmp_path):
    ax = plot_period_comparison(_comparison())
    check_image(ax.figure, "period_comparison", tmp_path)
