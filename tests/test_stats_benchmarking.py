"""Fingertips recent trend (stats.benchmarking) and comparison categories (stats.funnel)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdose_trends import datasets
from overdose_trends.stats.benchmarking import recent_trend
from overdose_trends.stats.funnel import vs_benchmark


def _set1() -> pd.DataFrame:
    """Fingertips' own trend-marker test data, set 1 (fingertips-open,
    PholioVisualisation.AnalysisTest/TrendMarkerCalculatorTest.cs, GetTrendData_Set1):
    published chi-squared 46.77 (values with limits) and 47.9 (proportions)."""
    return pd.DataFrame({
        "period_end": [2018, 2017, 2016, 2015, 2014],
        "count": [1367, 1332, 1199, 1023, 994],
        "denominator": [44701, 44064, 42811, 41527, 40299],
        "rate": [30.6, 30.2, 28, 24.6, 24.67],
        "lcl": [28.98, 28.63, 26.44, 23.15, 23.16],
        "ucl": [32.25, 31.9, 29.64, 26.19, 26.25],
    })  # fmt: skip


def _set2() -> pd.DataFrame:
    """Set 2 of the same file (GetTrendData_Set2): not significant."""
    return pd.DataFrame({
        "period_end": [2014, 2015, 2016, 2017, 2018],
        "rate": [20.5506, 19.5952, 19.0349, 21.3966, 18.4372],
        "lcl": [18.1803, 17.3444, 16.8421, 19.0918, 16.2925],
        "ucl": [23.1427, 22.0602, 21.4394, 23.8975, 20.7941],
    })  # fmt: skip


def test_recent_trend_matches_fingertips_values_with_limits():
    out = recent_trend(_set1(), polarity="no_judgement")
    assert round(float(out["chi2"].iloc[0]), 2) == 46.77
    assert bool(out["significant"].iloc[0])
    assert out["trend"].iloc[0] == "Increasing"
    assert (out["start"].iloc[0], out["end"].iloc[0], out["n_points"].iloc[0]) == (2014, 2018, 5)


def test_recent_trend_matches_fingertips_values_for_proportions():
    out = recent_trend(_set1(), count="count", denominator="denominator", polarity="high_is_good")
    assert round(float(out["chi2"].iloc[0]), 2) == 47.90
    assert out["trend"].iloc[0] == "Increasing and getting better"


def test_recent_trend_not_significant():
    out = recent_trend(_set2())
    assert not out["significant"].iloc[0]
    assert out["trend"].iloc[0] == "No significant change"


def test_recent_trend_cannot_be_calculated():
    # Fingertips GetTrendDataForProportion_Set2: a proportion of 1 (5 of 5) cannot be tested
    props = pd.DataFrame(
        {"period_end": [2012, 2013, 2014, 2015, 2016], "x": [5, 3, 1, 1, 2], "n": [5, 5, 5, 4, 4]}
    )
    out = recent_trend(props, count="x", denominator="n")
    assert out["trend"].iloc[0] == "Cannot be calculated" and not out["significant"].iloc[0]
    assert pd.isna(out["start"].iloc[0]) and np.isnan(out["chi2"].iloc[0])
    short = recent_trend(_set2().iloc[:4])
    assert short["trend"].iloc[0] == "Cannot be calculated"
    assert short["reason"].iloc[0] == "fewer than five points"
    gap = _set2().assign(period_end=[2013, 2015, 2016, 2017, 2018])
    assert "consecutive" in recent_trend(gap)["reason"].iloc[0]
    missing = _set2().assign(rate=[20.5, np.nan, 19.0, 21.4, 18.4])
    assert recent_trend(missing)["trend"].iloc[0] == "Cannot be calculated"


@pytest.mark.parametrize(
    ("polarity", "up", "down"),
    [
        ("low_is_good", "Increasing and getting worse", "Decreasing and getting better"),
        ("high_is_good", "Increasing and getting better", "Decreasing and getting worse"),
        ("no_judgement", "Increasing", "Decreasing"),
    ],
)
def test_recent_trend_labels_by_polarity(polarity, up, down):
    rising = _set1()
    falling = rising.assign(period_end=rising["period_end"][::-1].to_numpy())
    both = pd.concat([rising.assign(s="up"), falling.assign(s="down")])
    out = recent_trend(both, by="s", polarity=polarity).set_index("s")
    assert out.loc["up", "trend"] == up and out.loc["down", "trend"] == down


def test_recent_trend_outlier_check_blocks_a_single_point():
    # a flat series with one extreme year: significant chi-squared, but the slope's sign
    # flips when that year is left out, so Fingertips reports no significant change
    d = pd.DataFrame({"period_end": range(2015, 2020),
                      "rate": [10.0, 10.2, 9.8, 10.0, 30.0]})  # fmt: skip
    d["lcl"], d["ucl"] = d["rate"] - 0.5, d["rate"] + 0.5
    flat = d.assign(rate=[10.0, 10.6, 9.4, 10.0, 30.0])
    out = recent_trend(flat)
    assert out["chi2"].iloc[0] > 9.55
    assert out["trend"].iloc[0] == "No significant change"


def test_recent_trend_uses_the_latest_five_points_of_each_series():
    asmr = datasets.national_deaths().query(
        "table == 'asmr' and substance == 'all' and measure == 'poisoning'"
    )
    out = recent_trend(asmr, by="sex").set_index("sex")
    assert (out["start"] == 2017).all() and (out["end"] == 2021).all()
    assert out.loc["persons", "trend"] == "Increasing and getting worse"


def test_recent_trend_bad_input():
    with pytest.raises(ValueError, match="year 2018 appears twice"):
        recent_trend(pd.concat([_set2(), _set2().iloc[-1:]]))
    with pytest.raises(ValueError, match="polarity"):
        recent_trend(_set2(), polarity="up")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="both count= and denominator="):
        recent_trend(_set1(), count="count")
    with pytest.raises(ValueError, match="did you mean"):
        recent_trend(_set2(), conf=99.8)


# --- Fingertips categories of vs_benchmark ------------------------------------------------


def _norfolk() -> pd.DataFrame:
    # ONS 2019 edition: drug-poisoning deaths 2016-18, England and the Norfolk districts
    return datasets.la_deaths().query(
        "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
        "and period_end == 2018 "
        "and (area_code == 'E92000001' or area_code.str.match('E0700014[3-9]'))"
    )


def test_vs_benchmark_fingertips_categories():
    out = vs_benchmark(_norfolk(), "E92000001", polarity="low_is_good").set_index("area_name")
    # Norwich 21.0 (16.6-26.3), Great Yarmouth 12.2 (8.3-17.2) against England 6.7
    assert out.loc["Norwich", "category"] == "Worse"
    assert out.loc["Norwich", "category_funnel"] == "Worse 99.8%"
    assert out.loc["Great Yarmouth", "category_funnel"] == "Worse 95%"
    assert out.loc["South Norfolk", "category"] == "Similar"
    assert out.loc["Norwich", "category_quintile"] == "Worst"
    assert pd.isna(out.loc["ENGLAND", "category_quintile"])  # the benchmark is not ranked
    assert list(out["category"].cat.categories) == ["Better", "Similar", "Worse", "Not compared"]


def test_vs_benchmark_categories_without_direction_and_reversed():
    none = vs_benchmark(_norfolk(), "E92000001", polarity="no_judgement").set_index("area_name")
    assert none.loc["Norwich", "category"] == "Higher"
    assert none.loc["Norwich", "category_funnel"] == "Higher 99.8%"
    assert none.loc["Norwich", "category_quintile"] == "Highest"
    high = vs_benchmark(_norfolk(), "E92000001", polarity="high_is_good").set_index("area_name")
    assert high.loc["Norwich", "category"] == "Better"
    assert high.loc["Broadland", "category_quintile"] == "Worst"
    plain = vs_benchmark(_norfolk(), "E92000001")
    assert "category" not in plain.columns  # no polarity: the output is unchanged


def test_vs_benchmark_not_compared_and_bad_polarity():
    d = _norfolk().copy()
    d.loc[d.area_name == "Norwich", ["rate", "lcl", "ucl"]] = np.nan
    d.loc[d.area_name == "Norwich", "deaths"] = 8
    out = vs_benchmark(d, "E92000001", polarity="low_is_good").set_index("area_name")
    assert out.loc["Norwich", "category"] == "Not compared"
    assert out.loc["Norwich", "category_funnel"] == "Not compared"
    with pytest.raises(ValueError, match="polarity"):
        vs_benchmark(d, "E92000001", polarity="lower")  # type: ignore[arg-type]
