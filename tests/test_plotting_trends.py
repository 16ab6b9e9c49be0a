"""Trend figures (overdose_trends.plots.trends): joinpoint, interrupted time series, trend.

The figures are checked by inspecting their artists against the fit objects they
draw (fitted values, segment APCs, counterfactual limits, intervention position)
and against hand-known truths of the small invented series (the APCs and joinpoints
the data were built with, deaths summed by hand), and one example of each main
figure by image comparison with tests/baseline/trends_*.png (see
tests/plotting_helpers.py for how to regenerate the baselines).
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from overdose_trends import fit_interrupted, fit_joinpoint, fit_trend
from overdose_trends.plots import style
from overdose_trends.plots._fits import apc_label, percent
from overdose_trends.plots.trends import plot_interrupted, plot_joinpoint, plot_trend
from tests.plotting_helpers import band_values_at, by_gid, check_image, figure_texts, flat, one

MINUS = "\u2212"
YEARS = list(range(2000, 2015))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _rates() -> pd.DataFrame:
    """Two invented areas' rates per 100,000 with 95% limits (se of log rate 0.04).

    Built as (then multiplied by fixed +-2% wiggles and rounded to 0.1):
    E06000001: 20 x 1.10^t to 2006, then x 0.95 a year (APC +10% then -5%; joinpoint 2006);
    E06000002: flat 30 to 2004, x 1.15 a year to 2009, then x 0.90 a year
    (APC 0%, +15%, -10%; joinpoints 2004 and 2009).
    """
    a = [20.4, 21.6, 24.4, 26.2, 29.9, 31.9, 35.4, 34.2, 31.3, 31.0, 28.4, 27.7, 25.8, 25.2, 23.0]
    b = [30.6, 29.4, 30.3, 29.6, 30.6, 34.2, 39.7, 46.3, 51.4, 61.5, 53.5, 49.4, 43.5, 40.4, 34.9]
    a_lcl = [
        18.9,
        20.0,
        22.6,
        24.2,
        27.6,
        29.5,
        32.7,
        31.6,
        28.9,
        28.7,
        26.3,
        25.6,
        23.9,
        23.3,
        21.3,
    ]
    a_ucl = [
        22.1,
        23.4,
        26.4,
        28.3,
        32.3,
        34.5,
        38.3,
        37.0,
        33.9,
        33.5,
        30.7,
        30.0,
        27.9,
        27.3,
        24.9,
    ]
    frames = []
    for code, name, rate in (("E06000001", "Alpha", a), ("E06000002", "Beta", b)):
        r = np.asarray(rate)
        lcl = a_lcl if code == "E06000001" else np.round(r * np.exp(-1.96 * 0.04), 1)
        ucl = a_ucl if code == "E06000001" else np.round(r * np.exp(1.96 * 0.04), 1)
        frames.append(
            pd.DataFrame(
                {
                    "area_code": code,
                    "area_name": name,
                    "year": YEARS,
                    "rate": r,
                    "lcl": lcl,
                    "ucl": ucl,
                    "rate_per": 100_000,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _alpha() -> pd.DataFrame:
    return _rates().query("area_code == 'E06000001'").reset_index(drop=True)


def _jp_alpha():
    return fit_joinpoint(
        _alpha(), rate="rate", lcl="lcl", ucl="ucl", method="bic", max_joinpoints=2
    )


def _jp_both():
    return fit_joinpoint(
        _rates(), rate="rate", lcl="lcl", ucl="ucl", by="area_code", method="bic", max_joinpoints=2
    )


def _its_data() -> pd.DataFrame:
    """Invented annual deaths rising to 2014 and falling from 2015 (intervention 2015)."""
    return pd.DataFrame(
        {
            "year": list(range(2005, 2020)),
            "deaths": [50, 53, 55, 52, 58, 61, 60, 64, 66, 69, 58, 57, 55, 52, 51],
            "population": [400_000 + 2_000 * i for i in range(15)],
        }
    )


def _its(**kw):
    return fit_interrupted(
        _its_data(), population="population", intervention=2015, family="poisson", **kw
    )


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --- formatting ---------------------------------------------------------------------------


def test_percent_and_apc_label_formatting():
    assert percent(5.234) == "+5.2"
    assert percent(-1.26) == f"{MINUS}1.3"
    assert percent(-0.04) == "0.0"  # no signed zero
    assert percent(3.0, sign=False) == "3.0"
    assert percent(np.nan) == "NA"
    assert apc_label(5.2, 3.1, 7.4, 0.001, 0.95) == "APC +5.2% (3.1 to 7.4)*"
    assert apc_label(-0.7, -2.1, 0.7, 0.3, 0.95) == f"APC {MINUS}0.7% ({MINUS}2.1 to 0.7)"
    # the star is for p below 1 - conf
    assert apc_label(1.0, 0.1, 2.0, 0.04, 0.95).endswith("*")
    assert not apc_label(1.0, 0.1, 2.0, 0.04, 0.99).endswith("*")


# --- plot_joinpoint: content ---------------------------------------------------------------


def test_joinpoint_segments_follow_the_fitted_values():
    fit = _jp_both()
    for code, n_joinpoints in (("E06000001", 1), ("E06000002", 2)):
        ax = plot_joinpoint(fit, code)
        segments = fit.segments.query("area_code == @code")
        fitted = fit.fitted.query("area_code == @code")
        lines = [a for a in ax.get_lines() if str(a.get_gid()).startswith("segment-")]
        assert len(lines) == n_joinpoints + 1 == len(segments)
        for seg in segments.itertuples():
            line = one(ax, f"segment-{seg.segment}")
            inside = fitted[(fitted["time"] >= seg.start) & (fitted["time"] <= seg.end)]
            np.testing.assert_array_equal(line.get_xdata(), inside["time"].to_numpy(float))
            np.testing.assert_allclose(line.get_ydata(), inside["fitted"], rtol=1e-12)
        observed = one(ax, "observed")
        np.testing.assert_array_equal(observed.get_ydata(), fitted["observed"])
        plt.close(ax.figure)


def test_joinpoint_lines_at_the_joinpoints_built_into_the_data():
    fit = _jp_both()
    # the invented series change slope at 2006 (Alpha) and 2004, 2009 (Beta)
    assert [
        line.get_xdata()[0] for line in by_gid(plot_joinpoint(fit, "E06000001"), "joinpoint")
    ] == [2006]
    ax = plot_joinpoint(fit, {"area_code": "E06000002"})
    assert sorted(line.get_xdata()[0] for line in by_gid(ax, "joinpoint")) == [2004, 2009]
    for line in by_gid(ax, "joinpoint"):
        assert line.get_linestyle() == ":"


def test_joinpoint_apc_texts_match_the_segments_and_the_known_slopes():
    fit = _jp_both()
    ax = plot_joinpoint(fit, "E06000002")
    texts = _legend_texts(ax)
    segs = fit.segments.query("area_code == 'E06000002'")
    for seg in segs.itertuples():
        expected = f"{seg.start}\u2013{seg.end}: APC {percent(seg.apc)}% ("
        expected += f"{percent(seg.apc_lcl, sign=False)} to {percent(seg.apc_ucl, sign=False)})"
        expected += "*" if seg.p_value < 0.05 else ""
        assert expected in texts
        assert one(ax, f"segment-{seg.segment}").get_label() == expected
    # the data were built with APCs 0%, +15% and -10%: the labels say so (within 1 point),
    # the flat segment without a star and the others with one
    shown = [t for t in texts if "APC" in t]
    values = [float(re.search(r"APC ([+\u2212]?[\d.]+)%", t)[1].replace(MINUS, "-")) for t in shown]
    np.testing.assert_allclose(values, [0.0, 15.0, -10.0], atol=1.0)
    assert [t.endswith("*") for t in shown] == [False, True, True]
    assert shown[2].startswith(f"2009\u20132014: APC {MINUS}10.")


def test_joinpoint_aapc_in_the_legend_title():
    fit = _jp_alpha()
    ax = plot_joinpoint(fit, aapc_ranges=[(2006, 2014)])
    title = ax.get_legend().get_title().get_text().split("\n")
    whole = fit.aapc().iloc[0]
    assert title[0] == (
        f"AAPC 2000\u20132014: {percent(whole['aapc'])}% ({percent(whole['aapc_lcl'], sign=False)}"
        f" to {percent(whole['aapc_ucl'], sign=False)})*"
    )
    # hand calculation: 6 years at +10% and 8 at -5% average to
    # 100 (exp((6 ln 1.10 + 8 ln 0.95) / 14) - 1) = +1.16% a year
    assert abs(whole["aapc"] - 1.16) < 0.1 and title[0].startswith("AAPC 2000\u20132014: +1.")
    # within one segment the AAPC is that segment's APC (-5%)
    seg = fit.segments.iloc[1]
    assert title[1] == (
        f"AAPC 2006\u20132014: {percent(seg['apc'])}% ({percent(seg['apc_lcl'], sign=False)} to "
        f"{percent(seg['apc_ucl'], sign=False)})*"
    )
    assert title[1].startswith(f"AAPC 2006\u20132014: {MINUS}5.")


def test_joinpoint_bars_are_the_input_limits():
    data = _alpha()
    ax = plot_joinpoint(_jp_alpha(), data=data)
    bars = one(ax, "observed-ci")
    segments = [seg.tolist() for seg in bars.get_segments()]
    assert segments[0] == [[2000.0, 18.9], [2000.0, 22.1]]
    assert segments[-1] == [[2014.0, 21.3], [2014.0, 24.9]]
    assert len(segments) == 15
    texts = figure_texts(ax.figure)
    assert texts["title"] == "Joinpoint regression: Alpha"
    assert texts["units"] == style.UNITS_ASR_100K  # from rate_per, ONS convention
    footer = flat(texts["footer"])
    assert style.SOURCE_ONS_LA.split(" (")[0] in footer
    assert "Bars on the points: 95% confidence intervals." in footer
    assert "1 joinpoint (2006) chosen from 0 to 2 by the Bayesian information criterion" in footer
    assert "Observed rate (95% CI)" in _legend_texts(ax)


def test_joinpoint_without_data_has_plain_points_and_scale_defaults():
    ax = plot_joinpoint(_jp_alpha())
    assert by_gid(ax, "observed-ci") == []
    assert "Observed rate" in _legend_texts(ax)
    texts = figure_texts(ax.figure)
    assert texts["units"] == "Rate (in the units of the input series)"
    assert style.SOURCE_ONS_NATIONAL in flat(texts["footer"])  # rate input: ONS national
    # counts without a population: deaths per year
    counts = pd.DataFrame({"year": YEARS, "deaths": [int(r * 10) for r in _alpha()["rate"]]})
    fit = fit_joinpoint(counts, count="deaths", method="bic", max_joinpoints=1)
    ax = plot_joinpoint(fit)
    assert fit.scale == "count"
    assert figure_texts(ax.figure)["units"] == "Deaths per year"
    assert "Observed count" in _legend_texts(ax)
    # counts with a population: crude rate per 100,000; without data= the deaths behind
    # each rate are unknown to the figure, which says so
    counts["population"] = 1_000_000
    fit = fit_joinpoint(counts, count="deaths", population="population", method="bic")
    with pytest.warns(UserWarning, match="without the small-number rules; pass data="):
        ax = plot_joinpoint(fit)
    assert figure_texts(ax.figure)["units"] == "Deaths per 100,000, crude rate"
    np.testing.assert_allclose(one(ax, "observed").get_ydata(), np.asarray(counts["deaths"]) / 10)


def test_joinpoint_crude_rates_follow_the_small_number_rules():
    # 4 to 30 deaths a year in 100,000 people: crude rates from fewer than 10 deaths are not
    # drawn as values (ONS rule), those from 10-19 deaths are hollow
    deaths = [4, 6, 8, 9, 11, 12, 14, 15, 17, 19, 21, 24, 26, 28, 30]
    counts = pd.DataFrame({"year": YEARS, "deaths": deaths, "population": 100_000})
    counts["lcl"], counts["ucl"] = counts["deaths"] * 0.5, counts["deaths"] * 1.5
    fit = fit_joinpoint(counts, count="deaths", population="population", method="bic")
    ax = plot_joinpoint(fit, data=counts)
    observed = one(ax, "observed").get_ydata()
    assert np.isnan(observed[:4]).all()  # 4, 6, 8 and 9 deaths
    np.testing.assert_allclose(observed[4:], deaths[4:])  # per 100,000 of 100,000 people
    assert one(ax, "not_calculated-observed").get_xdata().tolist() == YEARS[:4]
    assert one(ax, "unreliable-observed").get_xdata().tolist() == YEARS[4:10]  # 11-19 deaths
    assert one(ax, "observed-ci").get_segments()[0][0][0] == YEARS[4]  # no bar without a rate
    footer = flat(figure_texts(ax.figure)["footer"])
    assert style.NOTE_NOT_CALCULATED in footer and style.NOTE_UNRELIABLE in footer


def test_joinpoint_no_joinpoint_one_segment():
    fit = fit_joinpoint(_alpha().iloc[:7], rate="rate", lcl="lcl", ucl="ucl", max_joinpoints=0)
    ax = plot_joinpoint(fit)
    assert [a.get_gid() for a in ax.get_lines() if str(a.get_gid()).startswith("segment")] == [
        "segment-1"
    ]
    assert by_gid(ax, "joinpoint") == []
    assert "no joinpoint" in flat(figure_texts(ax.figure)["footer"])


def test_joinpoint_series_errors():
    fit = _jp_both()
    with pytest.raises(ValueError, match="holds 2 series.*E06000001.*E06000002"):
        plot_joinpoint(fit)
    with pytest.raises(ValueError, match="no series 'E09999999' in the fit"):
        plot_joinpoint(fit, "E09999999")
    with pytest.raises(ValueError, match="unknown column"):
        plot_joinpoint(fit, {"area": "E06000001"})
    with pytest.raises(ValueError, match="2 value"):
        plot_joinpoint(fit, ("E06000001", "persons"))
    with pytest.raises(ValueError, match="without keys"):
        plot_joinpoint(_jp_alpha(), "E06000001")
    # data that is not the table the fit came from
    with pytest.raises(ValueError, match="no row for series E06000001 at year=2014"):
        plot_joinpoint(fit, "E06000001", data=_rates().query("year < 2014"))
    with pytest.raises(ValueError, match="several rows"):
        plot_joinpoint(_jp_alpha(), data=pd.concat([_alpha(), _alpha()]))
    with pytest.raises(ValueError, match="lacks column"):
        plot_joinpoint(_jp_alpha(), data=_alpha().drop(columns="ucl"))


def test_joinpoint_into_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    fit = _jp_both()
    out = plot_joinpoint(fit, "E06000001", ax=left)
    plot_joinpoint(fit, "E06000002", ax=right, title="Beta", log_scale=True)
    assert out is left
    titles = [{ax.get_title(loc=loc) for loc in ("left", "center")} for ax in (left, right)]
    assert titles == [{"", "Joinpoint regression: E06000001"}, {"", "Beta"}]
    assert right.get_yscale() == "log"
    assert figure_texts(fig) == {}  # the caller annotates the figure


def test_joinpoint_monthly_labels():
    # invented monthly deaths: 50 rising 1% a month for two years, then falling 2% a month
    months = pd.date_range("2015-01-01", periods=36, freq="MS")
    t = np.arange(36)
    deaths = np.round(50 * np.exp(np.where(t < 24, 0.01 * t, 0.24 - 0.02 * (t - 24))))
    deaths += np.tile([1, -1, 0, 2, -2, 0], 6)
    fit = fit_joinpoint(
        pd.DataFrame({"month": months, "deaths": deaths.astype(int)}),
        time="month",
        count="deaths",
        min_joinpoints=1,
        max_joinpoints=1,
    )
    ax = plot_joinpoint(fit, aapc_ranges=[("2016-01-01", "2017-12-01")])
    labels = [a.get_label() for a in ax.get_lines() if str(a.get_gid()).startswith("segment")]
    jp = pd.Timestamp(fit.models["joinpoints"].iloc[0][0]).strftime("%b %Y")
    assert labels[0].startswith(f"Jan 2015\u2013{jp}: APC +")
    assert labels[1].startswith(f"{jp}\u2013Dec 2017: APC {MINUS}")
    title = ax.get_legend().get_title().get_text().split("\n")
    assert title[1].startswith("AAPC Jan 2016\u2013Dec 2017: ")
    assert figure_texts(ax.figure)["units"] == "Deaths per month"


# --- plot_interrupted: content ---------------------------------------------------------------


def test_interrupted_lines_follow_the_fit():
    fit = _its()
    ax = plot_interrupted(fit)
    f = fit.fitted
    pre, post = f[~f["post"]], f[f["post"]]
    np.testing.assert_array_equal(one(ax, "observed").get_ydata(), _its_data()["deaths"])
    line = one(ax, "fitted-pre")
    np.testing.assert_array_equal(line.get_xdata(), np.arange(2005, 2015))
    np.testing.assert_allclose(line.get_ydata(), pre["expected"], rtol=1e-12)
    line = one(ax, "fitted-post")
    np.testing.assert_array_equal(line.get_xdata(), np.arange(2015, 2020))
    np.testing.assert_allclose(line.get_ydata(), post["expected"], rtol=1e-12)
    # dashed counterfactual from the last pre-intervention year on
    cf = one(ax, "counterfactual")
    assert cf.get_linestyle() == "--"
    np.testing.assert_array_equal(cf.get_xdata(), np.arange(2014, 2020))
    np.testing.assert_allclose(cf.get_ydata(), f["counterfactual"].iloc[9:], rtol=1e-12)
    # before the intervention the counterfactual is the fitted trend itself
    np.testing.assert_allclose(f["counterfactual"].iloc[9], pre["expected"].iloc[-1])


def test_interrupted_counterfactual_band_is_the_fit_limits():
    fit = _its()
    ax = plot_interrupted(fit)
    band = one(ax, "counterfactual-ci")
    post = fit.fitted[fit.fitted["post"]]
    for row in post.itertuples():
        got = band_values_at(band, row.time)
        np.testing.assert_allclose(got, [row.counterfactual_lcl, row.counterfactual_ucl])
    xs = np.unique(np.concatenate([p.vertices[:, 0] for p in band.get_paths()]))
    assert xs.min() == 2015 and xs.max() == 2019  # the post-intervention period only


def test_interrupted_intervention_line_and_label():
    ax = plot_interrupted(_its(), intervention_label="Naloxone kits issued from 2015")
    line = one(ax, "intervention")
    # between the last year before (2014) and the first year from the intervention (2015)
    assert line.get_xdata().tolist() == [2014.5, 2014.5]
    assert line.get_transform() == ax.get_xaxis_transform()
    assert "Naloxone kits issued from 2015" in _legend_texts(ax)
    assert "Intervention from 2015" in _legend_texts(plot_interrupted(_its()))
    # the programme named neutrally with its date; a label that could not fit is cut short
    assert "Kits supplied from 2015" in _legend_texts(
        plot_interrupted(_its(), programme="Kits supplied")
    )
    long = plot_interrupted(_its(), intervention_label="x" * 1_000_000)
    label = _legend_texts(long)[-1]
    assert len(label.replace("\n", "")) == 80 and label.endswith("\u2026")
    assert max(len(line) for line in label.splitlines()) <= 40  # wrapped, two lines


def test_interrupted_effects_box():
    fit = _its()
    ax = plot_interrupted(fit)
    text = one(ax, "effects").get_text()
    e = fit.effects.iloc[0]
    a = fit.averted.iloc[0]
    assert (
        f"Step at 2015: rate ratio {e['level_ratio']:.2f} ({e['level_lcl']:.2f} to "
        f"{e['level_ucl']:.2f}), p = {e['level_p']:.2f}" in text
    )
    assert (
        f"Slope change: \u00d7{e['slope_change_ratio']:.2f} per year "
        f"({e['slope_change_lcl']:.2f} to {e['slope_change_ucl']:.2f})" in text
    )
    assert a["averted"] > 0 and a["averted_lcl"] > 0
    assert (
        f"2015\u20132019: {a['averted']:.0f} fewer deaths than the earlier trend predicts\n"
        f"(95% CI {a['averted_lcl']:.0f} to {a['averted_ucl']:.0f} fewer)" in text
    )
    assert "averted" not in text.lower()
    # observed deaths 2015-2019 by hand: 58 + 57 + 55 + 52 + 51 = 273
    assert "(observed 273, expected from the earlier trend" in text
    legend = _legend_texts(ax)
    assert legend[1] == (
        f"Fitted before 2015: APC {percent(e['pre_apc'])}% ("
        f"{percent(e['pre_apc_lcl'], sign=False)} to {percent(e['pre_apc_ucl'], sign=False)})"
    )


def test_interrupted_excess_deaths_shown_with_minus_signs():
    data = _its_data()
    data.loc[data["year"] >= 2015, "deaths"] = [80, 84, 88, 92, 97]
    fit = fit_interrupted(data, population="population", intervention=2015, family="poisson")
    text = one(plot_interrupted(fit), "effects").get_text()
    a = fit.averted.iloc[0]
    assert a["averted"] < 0
    # an excess is "N more deaths than the earlier trend predicts", never a negative "averted"
    more = f"{-a['averted']:.0f} more deaths than the earlier trend predicts"
    assert f"2015\u20132019: {more}" in text
    assert MINUS not in text.split("Slope")[1] and "averted" not in text.lower()
    assert a["averted_ucl"] > 0  # the interval spans zero: "33 fewer to 136 more"
    assert f"(95% CI {a['averted_ucl']:.0f} fewer to {-a['averted_lcl']:.0f} more)" in text


def test_interrupted_interval_spanning_zero_reads_more_to_fewer():
    from overdose_trends.plots.trends import _difference_text

    row = pd.Series({"averted": -5.0, "averted_lcl": -20.0, "averted_ucl": 10.0,
                     "start": 2015, "end": 2019})  # fmt: skip
    assert _difference_text(row, 1, 0.95) == (
        "2015\u20132019: 5.0 more deaths than the earlier trend predicts\n"
        "(95% CI 10.0 fewer to 20.0 more)"
    )
    row["averted"] = 8.0
    assert _difference_text(row, 0, 0.9).endswith("(90% CI 20 more to 10 fewer)")


@pytest.mark.parametrize(
    ("selection", "text"),
    [
        ("permutation", "sequential permutation tests (Kim et al. 2000)"),
        ("bic", "the Bayesian information criterion (Kim et al. 2009)"),
        ("wbic", "the weighted BIC (Kim et al. 2023; NCI Joinpoint 5's default)"),
    ],
)
def test_joinpoint_notes_name_the_selection_method(selection, text):
    from overdose_trends.plots.trends import _SELECTION_TEXT

    assert _SELECTION_TEXT[selection] == text


def test_interrupted_rate_scale():
    fit = _its()
    ax = plot_interrupted(fit, scale="rate")
    data = _its_data()
    # 50 deaths in 400,000 people = 12.5 per 100,000
    assert one(ax, "observed").get_ydata()[0] == pytest.approx(12.5)
    np.testing.assert_allclose(
        one(ax, "observed").get_ydata(), data["deaths"] / data["population"] * 1e5
    )
    band = one(ax, "counterfactual-ci")
    last = fit.fitted.iloc[-1]
    np.testing.assert_allclose(
        band_values_at(band, 2019),
        [last["counterfactual_rate_lcl"], last["counterfactual_rate_ucl"]],
    )
    assert figure_texts(ax.figure)["units"] == "Deaths per 100,000, crude rate"


def test_interrupted_rate_scale_small_numbers():
    # a small area: 5-25 deaths a year in 50,000 people
    data = pd.DataFrame(
        {
            "year": list(range(2005, 2020)),
            "deaths": [8, 12, 9, 14, 16, 15, 18, 20, 19, 22, 25, 21, 5, 17, 23],
            "population": 50_000,
        }
    )
    fit = fit_interrupted(data, population="population", intervention=2015, family="poisson")
    ax = plot_interrupted(fit, scale="rate")
    observed = one(ax, "observed").get_ydata()
    # 8, 9 and 5 deaths: no crude rate drawn (fewer than 10 deaths); 20 deaths = 40 per 100,000
    assert np.isnan(observed[[0, 2, 12]]).all()
    assert observed[7] == pytest.approx(40.0)
    assert one(ax, "not_calculated-observed").get_xdata().tolist() == [2005, 2007, 2017]
    assert one(ax, "unreliable-observed").get_xdata().tolist() == [
        2006, 2008, 2009, 2010, 2011, 2013, 2018,
    ]  # fmt: skip
    footer = flat(figure_texts(ax.figure)["footer"])
    assert style.NOTE_NOT_CALCULATED in footer and style.NOTE_UNRELIABLE in footer
    # counts are counts: every year drawn, no small-number markers
    ax = plot_interrupted(fit)
    np.testing.assert_array_equal(one(ax, "observed").get_ydata(), data["deaths"])
    assert by_gid(ax, "not_calculated-observed") == []
    assert style.NOTE_NOT_CALCULATED not in flat(figure_texts(ax.figure)["footer"])


def test_interrupted_errors():
    no_population = fit_interrupted(_its_data(), intervention=2015, family="poisson")
    with pytest.raises(ValueError, match="scale='rate' needs a population"):
        plot_interrupted(no_population, scale="rate")
    with pytest.raises(ValueError, match="scale must be"):
        plot_interrupted(_its(), scale="per")
    with pytest.raises(ValueError, match="box_loc"):
        plot_interrupted(_its(), box_loc="middle")
    two = pd.concat([_its_data().assign(area="A"), _its_data().assign(area="B")])
    fit = fit_interrupted(
        two, intervention=2015, population="population", by="area", family="poisson"
    )
    with pytest.raises(ValueError, match="holds 2 series"):
        plot_interrupted(fit)
    with pytest.raises(ValueError, match="no series 'C'"):
        plot_interrupted(fit, "C")
    ax = plot_interrupted(fit, "B")
    assert figure_texts(ax.figure)["title"] == "Interrupted time series: B"


def test_interrupted_monthly():
    months = pd.date_range("2013-01-01", periods=36, freq="MS")
    deaths = [5, 6, 4, 7, 5, 6, 8, 5, 6, 7, 6, 5, 6, 7, 5, 8, 6, 7, 8, 6, 7, 8, 7, 6]
    deaths += [4, 5, 3, 4, 5, 4, 3, 4, 5, 3, 4, 4]
    fit = fit_interrupted(
        pd.DataFrame({"month": months, "deaths": deaths}),
        time="month",
        intervention="2015-01",
        family="poisson",
    )
    ax = plot_interrupted(fit)
    x = one(ax, "intervention").get_xdata()[0]
    # halfway between 1 December 2014 and 1 January 2015 (31 days): 16 December, 12:00
    assert pd.Timestamp(x) == pd.Timestamp("2014-12-16 12:00")
    assert figure_texts(ax.figure)["units"] == "Deaths per month"
    assert one(ax, "effects").get_text().startswith("Step at Jan 2015: rate ratio")


# --- plot_trend --------------------------------------------------------------------------------


def test_trend_fit_line_band_and_apc():
    data = _its_data().iloc[:10]
    fit = fit_trend(data, population="population", family="poisson")
    ax = plot_trend(fit, scale="rate")
    s = fit.estimates.iloc[0]
    np.testing.assert_allclose(one(ax, "fitted").get_ydata(), fit.fitted["rate"], rtol=1e-12)
    band = one(ax, "fitted-ci")
    np.testing.assert_allclose(
        band_values_at(band, 2005), fit.fitted[["rate_lcl", "rate_ucl"]].iloc[0]
    )
    assert _legend_texts(ax)[1] == "Fitted trend: " + apc_label(
        s["apc"], s["apc_lcl"], s["apc_ucl"], s["p_value"], fit.conf
    )
    ax = plot_trend(fit)
    np.testing.assert_array_equal(one(ax, "observed").get_ydata(), data["deaths"])


# --- images -------------------------------------------------------------------------------


def test_image_joinpoint(tmp_path):
    data = _rates()
    fit = _jp_both()
    ax = plot_joinpoint(
        fit, "E06000002", data=data, aapc_ranges=[(2009, 2014)], source="invented data (tests)"
    )
    check_image(ax.figure, "trends_joinpoint", tmp_path)


def test_image_interrupted(tmp_path):
    ax = plot_interrupted(
        _its(),
        intervention_label="Naloxone kits issued from 2015",
        title="Invented area",
        source="invented data (tests)",
    )
    check_image(ax.figure, "trends_interrupted", tmp_path)
