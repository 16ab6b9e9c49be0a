"""Tests for overdose_trends.stats.compare against published and hand-computed values.

Sources, transcribed as literals so the tests run without ../shared:

* ONS "Deaths related to drug poisoning by local authority, England and Wales, 1993 to
  2019" (2019 edition, file 2019localauthorities1.xls), Table 3 (drug poisoning, persons,
  3-year age-standardised rates per 100,000, 2013 ESP, 95% limits) and Table 1 (single
  years, drug poisoning, persons).
* ONS mid-year population estimates, Southend-on-Sea (E06000033), persons, all ages, as in
  the shipped extract data/ons_population_esp_bands.csv.gz (sum of the 19 bands); mid-2016/17/18
  also quoted in ../shared/README.md.
* R ``stats::poisson.test`` (two-sample form, an exact conditional binomial test), published
  outputs: the example in its documentation, ``poisson.test(c(11, 6+8+7),
  c(800, 1083+1050+878))`` (eba1977 data from the ISwR package): rate ratio 1.971488, 95% CI
  0.8584264 to 4.2772659, p-value 0.07967; and the output shown in the Cross Validated question
  "Simple comparison of two Poisson means in R?" (stats.stackexchange.com/questions/547389):
  ``poisson.test(c(2, 13), c(5, 5))``: rate ratio 0.1538462, 95% CI 0.01685531 to 0.67955077,
  p-value 0.007385.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from overdose_trends import datasets
from overdose_trends.stats import compare
from overdose_trends.stats.compare import (
    COMPARISON_COLUMNS,
    TESTS,
    compare_periods,
    exact_rate_ratio,
    log_rate_ratio,
)

Z95 = 1.959963984540054  # standard normal 97.5% quantile
Z998 = 3.090232306167813  # standard normal 99.9% quantile


def log_ratio_p(r1, l1, u1, r2, l2, u2, z=Z95):
    """Hand version of the Altman & Bland test: SE of each log rate from its 95% CI."""
    se1 = (math.log(u1) - math.log(l1)) / (2 * z)
    se2 = (math.log(u2) - math.log(l2)) / (2 * z)
    zstat = (math.log(r2) - math.log(r1)) / math.hypot(se1, se2)
    return math.erfc(abs(zstat) / math.sqrt(2)), math.hypot(se1, se2)


# --- ONS Table 3 rows (2019 edition, drug poisoning, persons, per 100,000) ------------------------
# area_code, area_name, period_start, period_end, deaths, rate, lcl, ucl, rate_status
ONS_ROWS = [
    ("E06000033", "Southend-on-Sea", 2013, 2015, 47, 8.8, 6.5, 11.7, "ok"),  # Table 3 row 206
    ("E06000033", "Southend-on-Sea", 2016, 2018, 32, 5.8, 4.0, 8.3, "ok"),
    ("E07000148", "Norwich", 2013, 2015, 40, 10.0, 7.1, 13.7, "ok"),  # row 248
    ("E07000148", "Norwich", 2016, 2018, 80, 21.0, 16.6, 26.3, "ok"),
    ("E10000020", "Norfolk", 2013, 2015, 181, 7.5, 6.4, 8.6, "ok"),  # row 242
    ("E10000020", "Norfolk", 2016, 2018, 235, 9.4, 8.2, 10.6, "ok"),
    ("E06000005", "Darlington", 2013, 2015, 19, 5.9, 3.6, 9.3, "unreliable"),  # row 12 ("U")
    ("E06000005", "Darlington", 2016, 2018, 26, 8.5, 5.5, 12.5, "ok"),
    ("E07000163", "Craven", 2013, 2015, 4, None, None, None, "not_calculated"),  # row 85 (":")
    ("E07000163", "Craven", 2016, 2018, 6, None, None, None, "not_calculated"),
]


def ons_frame(rows=ONS_ROWS) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=[
            "area_code",
            "area_name",
            "period_start",
            "period_end",
            "deaths",
            "rate",
            "lcl",
            "ucl",
            "rate_status",
        ],
    )
    df["deaths"] = df["deaths"].astype("Int64")
    df[["rate", "lcl", "ucl"]] = df[["rate", "lcl", "ucl"]].astype(float)
    df["measure"] = "poisoning"
    df["sex"] = "persons"
    df["rate_per"] = 100_000
    return df


@pytest.fixture
def ons_result() -> pd.DataFrame:
    out = compare_periods(ons_frame(), before=(2013, 2015), after=(2016, 2018))
    return out.set_index("area_code")


def test_output_columns(ons_result):
    assert list(ons_result.reset_index().columns) == ["area_code", "area_name", *COMPARISON_COLUMNS]
    assert list(ons_result.index) == [
        "E06000033",
        "E07000148",
        "E10000020",
        "E06000005",
        "E07000163",
    ]


def test_ons_overlap_verdicts(ons_result):
    # Southend: 8.8 (6.5-11.7) vs 5.8 (4.0-8.3): 6.5 <= 8.3, the intervals overlap.
    # Norwich: 10.0 (7.1-13.7) vs 21.0 (16.6-26.3): 16.6 > 13.7, no overlap, an increase.
    # Norfolk: 7.5 (6.4-8.6) vs 9.4 (8.2-10.6): 8.2 <= 8.6, the intervals overlap.
    assert ons_result.loc["E06000033", "ons_verdict"] == "no significant change"
    assert ons_result.loc["E07000148", "ons_verdict"] == "significant increase"
    assert ons_result.loc["E10000020", "ons_verdict"] == "no significant change"
    assert ons_result.loc["E07000163", "ons_verdict"] == "not assessed"


def test_published_values_carried(ons_result):
    row = ons_result.loc["E06000033"]
    assert row["area_name"] == "Southend-on-Sea"
    assert (row["deaths_before"], row["deaths_after"]) == (47, 32)
    assert (row["rate_before"], row["lcl_before"], row["ucl_before"]) == (8.8, 6.5, 11.7)
    assert (row["rate_after"], row["lcl_after"], row["ucl_after"]) == (5.8, 4.0, 8.3)
    assert row["change"] == pytest.approx(-3.0)
    assert row["percent_change"] == pytest.approx(-300 / 8.8)  # -34.09%
    assert row["rate_ratio"] == pytest.approx(5.8 / 8.8)
    assert row["rate_per"] == 100_000
    assert pd.isna(row["population_before"])


def test_log_ratio_test_against_hand_values(ons_result):
    # Hand calculation (Altman & Bland 2003) written out with the published numbers:
    # Southend: SE1 = (ln 11.7 - ln 6.5)/3.92 = 0.1499, SE2 = (ln 8.3 - ln 4.0)/3.92 = 0.1862,
    #   ln(5.8/8.8) = -0.4169, z = -1.744, p = 0.081 -> no significant change (agrees with ONS).
    # Norwich: SE1 = 0.1677, SE2 = 0.1174, ln(2.1) = 0.7419, z = 3.62, p = 0.00029 -> increase.
    # Norfolk: SE1 = (ln 8.6 - ln 6.4)/3.92 = 0.0754, SE2 = (ln 10.6 - ln 8.2)/3.92 = 0.0655,
    #   ln(9.4/7.5) = 0.2258, z = 2.26, p = 0.024 -> a significant increase by the test although
    #   the ONS rule (overlapping intervals) says "no significant change". The overlap rule is
    #   conservative: intervals of similar width can overlap by up to ~29% of their length
    #   while the difference is still significant at 5% (Schenker & Gentleman 2001).
    expected = {"E06000033": 0.081, "E07000148": 0.00029, "E10000020": 0.024}
    for code, p_approx in expected.items():
        r = [v for v in ONS_ROWS if v[0] == code]
        (_, _, _, _, _, r1, l1, u1, _), (_, _, _, _, _, r2, l2, u2, _) = r
        p_hand, se = log_ratio_p(r1, l1, u1, r2, l2, u2)
        row = ons_result.loc[code]
        assert row["p_value"] == pytest.approx(p_hand, rel=1e-9)
        assert row["p_value"] == pytest.approx(p_approx, rel=0.03)
        assert row["ratio_lcl"] == pytest.approx(r2 / r1 * math.exp(-Z95 * se), rel=1e-9)
        assert row["ratio_ucl"] == pytest.approx(r2 / r1 * math.exp(Z95 * se), rel=1e-9)
        assert row["test"] == "log_ratio_z_limits"
    assert ons_result.loc["E06000033", "verdict"] == "no significant change (p = 0.081)"
    assert ons_result.loc["E07000148", "verdict"] == "significant increase (p = 0.00029)"
    assert ons_result.loc["E10000020", "verdict"] == "significant increase (p = 0.024)"
    assert ons_result.loc["E10000020", "ratio_lcl"] > 1  # the ratio's interval excludes 1


def test_unreliable_and_not_calculated(ons_result):
    darlington = ons_result.loc["E06000005"]
    assert darlington["status_before"] == "unreliable"
    assert darlington["ons_verdict"] == "no significant change"  # 3.6-9.3 overlaps 5.5-12.5
    assert darlington["verdict"].startswith("no significant change (p = ")
    assert darlington["verdict"].endswith("; rate before unreliable (fewer than 20 deaths)")
    craven = ons_result.loc["E07000163"]  # 4 and 6 deaths, ONS ":" in both periods
    assert craven["ons_verdict"] == "not assessed"
    assert craven["verdict"] == (
        "not assessed: rate before not calculated (fewer than 10 deaths); "
        "rate after not calculated (fewer than 10 deaths)"
    )
    assert np.isnan(craven["p_value"]) and np.isnan(craven["rate_ratio"])
    assert pd.isna(craven["test"])
    assert (craven["deaths_before"], craven["deaths_after"]) == (4, 6)


def test_conf_998_rescales_limits_and_changes_verdict():
    out = compare_periods(
        ons_frame(ONS_ROWS[:6]), before=(2013, 2015), after=(2016, 2018), conf=0.998
    ).set_index("area_code")
    k = Z998 / Z95
    nor = out.loc["E10000020"]
    # published 95% limits widened on the log scale, each side separately
    assert nor["lcl_before"] == pytest.approx(7.5 * (6.4 / 7.5) ** k, rel=1e-12)
    assert nor["ucl_after"] == pytest.approx(9.4 * (10.6 / 9.4) ** k, rel=1e-12)
    # the test's p-value does not depend on conf; p = 0.024 > 0.002
    assert nor["p_value"] == pytest.approx(log_ratio_p(7.5, 6.4, 8.6, 9.4, 8.2, 10.6)[0])
    assert nor["verdict"] == "no significant change (p = 0.024)"
    _, se = log_ratio_p(7.5, 6.4, 8.6, 9.4, 8.2, 10.6)
    assert nor["ratio_lcl"] == pytest.approx(9.4 / 7.5 * math.exp(-Z998 * se))
    # Norwich: p = 0.00029 < 0.002 still significant; rescaled 99.8% intervals 5.83-16.43 and
    # 14.50-29.94 now overlap, so the ONS rule at 99.8% says no significant change
    nwi = out.loc["E07000148"]
    assert nwi["verdict"] == "significant increase (p = 0.00029)"
    assert nwi["ucl_before"] == pytest.approx(10.0 * 1.37**k)
    assert nwi["lcl_after"] == pytest.approx(21.0 * (16.6 / 21.0) ** k)
    assert nwi["ons_verdict"] == "no significant change"  # 99.8% intervals now overlap


def test_shipped_extract_all_areas():
    la = datasets.la_deaths().query("measure == 'poisoning' and sex == 'persons'")
    with pytest.warns(UserWarning, match="K04000001"):  # England and Wales: Table 1 only
        out = compare_periods(la, before=(2013, 2015), after=(2016, 2018))
    assert out["area_code"].is_unique
    assert len(out) == la["area_code"].nunique()
    out = out.set_index("area_code")
    expected = {
        # code: (deaths before, rate before, lcl, ucl, deaths after, rate, lcl, ucl, ONS verdict)
        "E06000033": (47, 8.8, 6.5, 11.7, 32, 5.8, 4.0, 8.3, "no significant change"),
        "E07000148": (40, 10.0, 7.1, 13.7, 80, 21.0, 16.6, 26.3, "significant increase"),
        "E10000020": (181, 7.5, 6.4, 8.6, 235, 9.4, 8.2, 10.6, "no significant change"),
    }
    cols = [
        "deaths_before",
        "rate_before",
        "lcl_before",
        "ucl_before",
        "deaths_after",
        "rate_after",
        "lcl_after",
        "ucl_after",
        "ons_verdict",
    ]
    for code, values in expected.items():
        assert tuple(out.loc[code, cols]) == values
    assert out.loc["E10000020", "p_value"] == pytest.approx(0.0237, abs=5e-4)
    assert (
        out.loc["K04000001", "verdict"]
        == "not assessed: no row for 2013-2015; no row for 2016-2018"
    )
    assert set(out["ons_verdict"]) <= set(compare.ONS_VERDICTS)
    # every area with both rates published is tested
    both = out["rate_before"].notna() & out["rate_after"].notna()
    assert out.loc[both, "p_value"].notna().all()
    assert (out.loc[~both, "ons_verdict"] == "not assessed").all()


def _lack_a_row_advice(record) -> str:
    """The code a "lack a row" warning advises, e.g. ``data[~data['area_code'].isin([...])]``."""
    messages = [str(w.message) for w in record if "lack a row" in str(w.message)]
    assert len(messages) == 1, messages
    return re.search(r"to leave them out, compare (.+)$", messages[0]).group(1)


def test_lack_a_row_warning_advice_works_when_followed():
    la = datasets.la_deaths().query(
        "measure == 'poisoning' and sex == 'persons' and area_level in ['country', 'unitary']"
    )
    with pytest.warns(UserWarning, match="lack a row") as record:
        out = compare_periods(la, before="2013-15", after="2016-18")
    advice = _lack_a_row_advice(record)
    assert advice == "data[~data['area_code'].isin(['K04000001'])]"
    followed = eval(advice, {"data": la})  # the advice is code to run
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # following the advice silences the warning
        fixed = compare_periods(followed, before="2013-15", after="2016-18")
    kept = out[out["area_code"] != "K04000001"].reset_index(drop=True)
    pd.testing.assert_frame_equal(fixed, kept)


def test_lack_a_row_warning_advice_with_several_keys_works_when_followed():
    la = datasets.la_deaths().query("area_level == 'country' or area_code == 'E06000033'")
    keys = ["area_code", "measure", "sex"]
    with pytest.warns(UserWarning, match="lack a row") as record:
        out = compare_periods(la, before=(2013, 2015), after=(2016, 2018), by=keys)
    advice = _lack_a_row_advice(record)
    assert advice.startswith("data.groupby(['area_code', 'measure', 'sex'], dropna=False)")
    followed = eval(advice, {"data": la})  # the advice is code to run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = compare_periods(followed, before=(2013, 2015), after=(2016, 2018), by=keys)
    assert len(fixed) == 3 * 2 * 3 and "K04000001" not in set(fixed["area_code"])
    kept = out[out["p_value"].notna() | ~out["verdict"].str.contains("no row")]
    pd.testing.assert_frame_equal(fixed, kept.reset_index(drop=True))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("2013-15", "2016-18"),
        ("2013-2015", "2016-2018"),
        ("2013 to 2015", "2016 to 2018"),
        ("(2013, 2015)", "[2016, 2018]"),
        ([2013, 2015], (np.int64(2016), np.int64(2018))),
    ],
)
def test_every_period_notation_gives_identical_results(before, after):
    expected = compare_periods(ons_frame(), before=(2013, 2015), after=(2016, 2018))
    out = compare_periods(ons_frame(), before=before, after=after)
    pd.testing.assert_frame_equal(out, expected)
    assert out.attrs == expected.attrs
    assert out.attrs["comparison"]["before"] == (2013, 2015)


def test_single_year_notations_give_identical_results():
    df = pd.DataFrame({"year": [2015, 2018], "deaths": [100, 144], "rate": [10.0, 12.0]})
    expected = compare_periods(df, before=2015, after=2018, by=None)
    for before, after in [("2015", "2018"), ((2015, 2015), (2018, 2018)), ("2015-15", "2018")]:
        out = compare_periods(df, before=before, after=after, by=None)
        pd.testing.assert_frame_equal(out, expected)


def test_periods_are_required_keywords():
    with pytest.raises(TypeError, match="before"):
        compare_periods(ons_frame())  # no story defaults
    with pytest.raises(TypeError):
        compare_periods(ons_frame(), (2013, 2015), (2016, 2018))  # keyword-only
    with pytest.raises(ValueError, match=r"after: expected a period such as '2013-15'"):
        compare_periods(ons_frame(), before="2013-15", after="2016/18")


def test_mixed_measures_rejected_or_split():
    la = datasets.la_deaths()
    la = la[la["area_code"].isin(["E06000033", "E07000148"])]
    with pytest.raises(
        ValueError, match=r"E06000033.*6 rows for period 2013-2015.*'measure'.*'sex'"
    ):
        compare_periods(la, before=(2013, 2015), after=(2016, 2018))
    out = compare_periods(
        la, before=(2013, 2015), after=(2016, 2018), by=["area_code", "measure", "sex"]
    )
    assert len(out) == 2 * 2 * 3
    row = out.query("area_code == 'E07000148' and measure == 'misuse' and sex == 'persons'")
    # Table 6 (misuse, persons) Norwich: 2013-15 29, 7.2 (4.8-10.3); 2016-18 52, 13.6 (10.1-17.9)
    assert tuple(row[["rate_before", "rate_after"]].iloc[0]) == (7.2, 13.6)
    assert row["ons_verdict"].iloc[0] == "no significant change"  # 10.1 <= 10.3: overlap


# --- exact conditional test (counts and populations) ------------------------------------------


def test_exact_matches_r_poisson_test_documentation_example():
    # R: poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)) -> the ratio of the first rate to the
    # second. Here "after" is the first sample (11 in 800) and "before" the second (21 in 3011).
    res = exact_rate_ratio(21, 1083 + 1050 + 878, 11, 800)
    assert float(res.ratio) == pytest.approx(1.971488, rel=1e-6)
    assert float(res.lcl) == pytest.approx(0.8584264, rel=1e-6)
    assert float(res.ucl) == pytest.approx(4.2772659, rel=1e-6)
    assert float(res.p_value) == pytest.approx(0.07967, abs=5e-6)


def test_exact_matches_r_output_cross_validated():
    # R: poisson.test(c(2, 13), c(5, 5)) (stats.stackexchange.com/questions/547389)
    res = exact_rate_ratio(13, 5, 2, 5)
    assert float(res.ratio) == pytest.approx(0.1538462, rel=1e-6)
    assert float(res.lcl) == pytest.approx(0.01685531, rel=1e-6)
    assert float(res.ucl) == pytest.approx(0.67955077, rel=1e-6)
    assert float(res.p_value) == pytest.approx(0.007385, abs=5e-7)


def test_exact_equal_counts_and_populations():
    # O1 = O2 and N1 = N2: ratio 1, p = 1 (the observed outcome is the most likely one).
    # Limits by hand from Clopper-Pearson: pi_L = Beta^-1(0.025; 5, 6), R_L = pi_L / (1 - pi_L).
    res = exact_rate_ratio(5, 1000, 5, 1000)
    assert float(res.ratio) == 1.0
    assert float(res.p_value) == 1.0
    pi_lo = stats.beta.ppf(0.025, 5, 6)
    pi_hi = stats.beta.ppf(0.975, 6, 5)
    assert float(res.lcl) == pytest.approx(pi_lo / (1 - pi_lo), rel=1e-12)
    assert float(res.ucl) == pytest.approx(pi_hi / (1 - pi_hi), rel=1e-12)
    assert float(res.lcl) == pytest.approx(1 / float(res.ucl), rel=1e-12)  # symmetric case


def test_exact_zero_deaths():
    # 0 deaths before, 7 after, equal populations: pi0 = 1/2 and the outcome 7 of 7 has
    # probability 0.5**7; the only outcome as unlikely is 0 of 7, so p = 2 * 0.5**7 = 0.015625.
    # Lower limit: Beta^-1(0.025; 7, 1) = 0.025**(1/7), R_L = pi_L / (1 - pi_L); upper: inf.
    res = exact_rate_ratio([0, 7, 0], [100, 100, 100], [7, 0, 0], [100, 100, 100])
    assert res.ratio[0] == np.inf and res.ratio[1] == 0.0
    assert res.p_value[:2] == pytest.approx([0.015625, 0.015625], rel=1e-12)
    pi_lo = 0.025 ** (1 / 7)
    assert res.lcl[0] == pytest.approx(pi_lo / (1 - pi_lo), rel=1e-12)
    assert res.ucl[0] == np.inf
    assert res.lcl[1] == 0.0 and res.ucl[1] == pytest.approx((1 - pi_lo) / pi_lo, rel=1e-12)
    assert np.isnan(res.p_value[2]) and np.isnan(res.ratio[2])  # no deaths: nothing to test


def test_exact_vectorised_equals_scipy_binomtest():
    o1 = np.array([0, 1, 3, 17, 40, 47, 181, 250, 1200, 5])
    o2 = np.array([1, 0, 12, 9, 80, 32, 235, 250, 1100, 5])
    n1 = np.array([1e3, 5e4, 2.2e5, 3e5, 4e5, 533_837, 2.7e6, 1e6, 5e7, 10])
    n2 = np.array([1.1e3, 5e4, 2e5, 3.1e5, 4.2e5, 544_877, 2.75e6, 1.5e6, 5.1e7, 30])
    res = exact_rate_ratio(o1, n1, o2, n2, conf=0.95)
    for i in range(o1.size):
        ref = stats.binomtest(int(o2[i]), int(o1[i] + o2[i]), n2[i] / (n1[i] + n2[i]))
        assert res.p_value[i] == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-300)
        ci = ref.proportion_ci(confidence_level=0.95, method="exact")
        odds_to_ratio = n1[i] / n2[i]
        assert res.lcl[i] == pytest.approx(ci.low / (1 - ci.low) * odds_to_ratio, rel=1e-9)
        if ci.high < 1:
            assert res.ucl[i] == pytest.approx(ci.high / (1 - ci.high) * odds_to_ratio, rel=1e-9)


def test_exact_rejects_bad_counts():
    with pytest.raises(ValueError, match="whole numbers"):
        exact_rate_ratio(2.5, 10, 3, 10)
    with pytest.raises(ValueError, match="positive"):
        exact_rate_ratio(2, 0, 3, 10)
    with pytest.raises(ValueError, match="did you mean 0.95"):
        exact_rate_ratio(2, 10, 3, 10, conf=95)


# Southend-on-Sea, drug poisoning, persons: ONS Table 1 single-year deaths and mid-year
# population estimates (persons, all ages).
SOUTHEND_YEARS = {
    # year: (deaths, population)
    2013: (16, 176_236),
    2014: (18, 178_367),
    2015: (13, 179_234),
    2016: (6, 180_606),
    2017: (13, 181_808),
    2018: (13, 182_463),
}


def southend_counts() -> pd.DataFrame:
    return pd.DataFrame(
        [("E06000033", "Southend-on-Sea", y, d, p) for y, (d, p) in SOUTHEND_YEARS.items()],
        columns=["area_code", "area_name", "year", "deaths", "population"],
    )


def test_counts_single_years_pooled_and_tested_exactly():
    out = compare_periods(southend_counts(), before=(2013, 2015), after=(2016, 2018)).iloc[0]
    # Table 1 single years add up to Table 3's 3-year totals: 16+18+13 = 47, 6+13+13 = 32.
    assert (out["deaths_before"], out["deaths_after"]) == (47, 32)
    n1, n2 = 176_236 + 178_367 + 179_234, 180_606 + 181_808 + 182_463  # 533,837 and 544,877
    assert (out["population_before"], out["population_after"]) == (n1, n2)
    assert out["rate_before"] == pytest.approx(47 / n1 * 1e5)  # crude 8.80 per 100,000
    lo, hi = stats.chi2.ppf([0.025, 0.975], [94, 96]) / 2  # Garwood: df 2*47 and 2*47+2
    assert (out["lcl_before"], out["ucl_before"]) == pytest.approx((lo / n1 * 1e5, hi / n1 * 1e5))
    assert out["rate_ratio"] == pytest.approx((32 / n2) / (47 / n1))
    assert out["p_value"] == pytest.approx(stats.binomtest(32, 79, n2 / (n1 + n2)).pvalue)
    assert out["test"] == TESTS[0] == "exact_conditional_binomial"
    assert out["verdict"].startswith("no significant change (p = 0.0")
    assert out["ons_verdict"] == "no significant change"
    assert out["status_before"] == "ok"


def test_counts_zero_deaths_exact_test_and_not_assessed_by_ons():
    df = pd.DataFrame(
        {
            "area_code": ["A", "A", "B", "B", "C", "C"],
            "period_start": [2013, 2016] * 3,
            "period_end": [2015, 2018] * 3,
            "deaths": [0, 7, 12, 12, 0, 0],
            "population": [50_000, 50_000, 90_000, 90_000, 10_000, 10_000],
        }
    )
    out = compare_periods(df, before=(2013, 2015), after=(2016, 2018)).set_index("area_code")
    a = out.loc["A"]
    assert a["rate_ratio"] == np.inf and a["ratio_ucl"] == np.inf
    assert a["p_value"] == pytest.approx(0.015625)  # 2 * 0.5**7, see test_exact_zero_deaths
    assert a["verdict"] == (
        "significant increase (p = 0.016); rate before unreliable (fewer than 10 deaths); "
        "rate after unreliable (fewer than 10 deaths)"
    )
    assert a["ons_verdict"] == "not assessed"  # ONS would not calculate rates from < 10 deaths
    assert (a["status_before"], a["status_after"]) == ("not_calculated", "not_calculated")
    assert np.isnan(a["percent_change"])  # change from a rate of 0
    b = out.loc["B"]
    assert b["p_value"] == 1.0 and b["rate_ratio"] == 1.0
    assert b["verdict"] == (
        "no significant change (p = 1); rate before unreliable (fewer than 20 deaths); "
        "rate after unreliable (fewer than 20 deaths)"
    )
    assert out.loc["C", "verdict"] == "not assessed: no deaths in either period"
    assert pd.isna(out.loc["C", "test"])


def test_counts_conf_998():
    out = compare_periods(
        southend_counts(), before=(2013, 2015), after=(2016, 2018), conf=0.998
    ).iloc[0]
    n1, n2 = 533_837, 544_877
    pi_lo = stats.beta.ppf(0.001, 32, 48)  # Clopper-Pearson 99.8% for 32 of 79
    pi_hi = stats.beta.ppf(0.999, 33, 47)
    assert out["ratio_lcl"] == pytest.approx(pi_lo / (1 - pi_lo) * n1 / n2, rel=1e-10)
    assert out["ratio_ucl"] == pytest.approx(pi_hi / (1 - pi_hi) * n1 / n2, rel=1e-10)
    lo = stats.chi2.ppf(0.001, 64) / 2  # 99.8% Garwood lower limit for 32 deaths
    assert out["lcl_after"] == pytest.approx(lo / n2 * 1e5)


def test_counts_missing_year_names_group_and_years():
    df = southend_counts()
    df = df[df["year"] != 2017]
    with pytest.raises(
        ValueError, match=r"E06000033.*Southend-on-Sea.*year\(s\) \[2017\].*2016-2018"
    ):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018))


def test_counts_period_row_used_when_present():
    # Area B gives the 3-year totals directly; area A single years. Same answer as pooled.
    single = southend_counts()
    period_rows = pd.DataFrame(
        {
            "area_code": ["B", "B"],
            "area_name": ["Southend as periods", "Southend as periods"],
            "period_start": [2013, 2016],
            "period_end": [2015, 2018],
            "deaths": [47, 32],
            "population": [533_837, 544_877],
        }
    )
    single = single.assign(period_start=single["year"], period_end=single["year"]).drop(
        columns="year"
    )
    out = compare_periods(
        pd.concat([single, period_rows], ignore_index=True), before=(2013, 2015), after=(2016, 2018)
    )
    assert out["p_value"].iloc[0] == pytest.approx(out["p_value"].iloc[1], rel=1e-14)
    assert list(out["deaths_before"]) == [47, 47]


def test_counts_duplicate_year_rejected():
    df = southend_counts()
    df = pd.concat([df, df.iloc[[1]].assign(sex="males")], ignore_index=True)
    with pytest.raises(ValueError, match=r"2 rows for year 2014.*'sex'"):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018))


def test_kind_override_uses_counts_when_rates_present():
    df = southend_counts()
    df["rate"] = df["deaths"] / df["population"] * 1e5
    with pytest.raises(ValueError, match="no row of the data is for the before period"):
        compare_periods(
            df, before=(2013, 2015), after=(2016, 2018)
        )  # auto -> rates, and rates cannot be pooled over years
    out = compare_periods(df, before=(2013, 2015), after=(2016, 2018), kind="counts")
    assert out["test"].iloc[0] == "exact_conditional_binomial"


# --- rates from overdose_trends.stats.rates.dsr (kind "rates" with a conf column) -------


def test_dsr_output_uses_its_conf_column():
    # A table shaped like rates.dsr(..., by=["area_code", "period_start", "period_end"],
    # conf=0.998): limits at 99.8%, so the SE of each log rate uses z = 3.090.
    df = pd.DataFrame(
        {
            "area_code": ["X", "X"],
            "period_start": [2013, 2016],
            "period_end": [2015, 2018],
            "count": [120, 170],
            "population": [1_500_000, 1_520_000],
            "rate": [8.0, 11.0],
            "lcl": [6.0, 8.6],
            "ucl": [10.5, 13.9],
            "method": ["dobson", "dobson"],
            "conf": [0.998, 0.998],
            "rate_status": ["ok", "ok"],
        }
    )
    out = compare_periods(df, before=(2013, 2015), after=(2016, 2018)).iloc[
        0
    ]  # conf 0.95 requested
    p, se = log_ratio_p(8.0, 6.0, 10.5, 11.0, 8.6, 13.9, z=Z998)
    assert out["p_value"] == pytest.approx(p, rel=1e-12)
    assert out["ratio_ucl"] == pytest.approx(11 / 8 * math.exp(Z95 * se), rel=1e-12)
    k = Z95 / Z998  # output limits narrowed to 95%
    assert out["lcl_before"] == pytest.approx(8.0 * (6.0 / 8.0) ** k)
    assert (out["deaths_before"], out["population_after"]) == (120, 1_520_000)
    same = compare_periods(df, before=(2013, 2015), after=(2016, 2018), conf=0.998).iloc[0]
    assert (same["lcl_before"], same["ucl_after"]) == (6.0, 13.9)  # given limits unchanged


def test_rates_without_limits_use_deaths():
    # SE of a log rate from its deaths: 1/sqrt(O). Hand: sqrt(1/100 + 1/144) = 0.13017,
    # ln(12/10) = 0.18232, z = 1.4006, p = 0.1613.
    df = pd.DataFrame(
        {
            "year": [2015, 2018],
            "deaths": [100, 144],
            "rate": [10.0, 12.0],
        }
    )
    out = compare_periods(df, before=2015, after=2018, by=None).iloc[0]
    assert out["test"] == "log_ratio_z_deaths"
    se = math.sqrt(1 / 100 + 1 / 144)
    assert out["p_value"] == pytest.approx(math.erfc(math.log(1.2) / se / math.sqrt(2)))
    assert out["p_value"] == pytest.approx(0.1613, abs=1e-4)
    assert out["ons_verdict"] == "not assessed"  # no intervals to compare
    direct = log_rate_ratio(
        10, np.nan, np.nan, 12, np.nan, np.nan, deaths_before=100, deaths_after=144
    )
    assert float(direct.p_value) == pytest.approx(out["p_value"])


# --- argument checks ---------------------------------------------------------------------------


def test_bad_arguments():
    df = ons_frame()
    with pytest.raises(ValueError, match="overlap"):
        compare_periods(df, before=(2013, 2015), after=(2015, 2017))
    with pytest.raises(ValueError, match="before: period 2015-2013 ends before it starts"):
        compare_periods(df, before=(2015, 2013), after=(2016, 2018))
    with pytest.raises(ValueError, match="unknown kind"):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018), kind="dsr")
    with pytest.raises(ValueError, match="did you mean 0.95"):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018), conf=95)
    with pytest.raises(ValueError, match=r"by column\(s\) \['region'\]"):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018), by="region")
    with pytest.raises(ValueError, match="cannot tell what the data hold"):
        compare_periods(df.drop(columns=["rate"]), before=(2013, 2015), after=(2016, 2018))
    with pytest.raises(ValueError, match="no row of the data is for the after period 2017-2019"):
        compare_periods(df, before=(2013, 2015), after=(2017, 2019))
    mixed = df.copy()
    mixed.loc[mixed["period_start"] == 2016, "rate_per"] = 1_000_000
    with pytest.raises(ValueError, match="per 100000 before and per 1e\\+06 after"):
        compare_periods(mixed, before=(2013, 2015), after=(2016, 2018))
    fractional = df.astype({"period_start": float})
    fractional.loc[fractional.index[0], "period_start"] = 2013.5
    with pytest.raises(ValueError, match=r"column 'period_start': 2013.5 \(row index 0\) is not"):
        compare_periods(fractional, before=(2013, 2015), after=(2016, 2018))


def test_counts_missing_values_not_assessed_never_partial():
    # A missing count in one year makes the period's total missing (no partial sums).
    df = southend_counts()
    df["deaths"] = df["deaths"].astype("Int64")
    df.loc[df["year"] == 2014, "deaths"] = pd.NA
    out = compare_periods(df, before=(2013, 2015), after=(2016, 2018)).iloc[0]
    assert pd.isna(out["deaths_before"]) and out["deaths_after"] == 32
    assert out["verdict"] == "not assessed: deaths before missing"
    assert out["ons_verdict"] == "not assessed"
    res = exact_rate_ratio([np.nan, 3], [10, 10], [1, 4], [10, 10])
    assert np.isnan(res.p_value[0]) and np.isfinite(res.p_value[1])


def test_exact_p_and_interval_can_disagree_at_the_boundary():
    # R: poisson.test(c(10, 2), c(20000, 17887)) gives p = 0.0421 with a 95% CI of
    # 0.953 to 41.97 that includes 1: the two-sided p-value (minimum-likelihood method of
    # binom.test) and the Clopper-Pearson interval are not inversions of one test. The verdict
    # follows the p-value, as documented. Hand check of the p-value with scipy's binomtest.
    res = exact_rate_ratio(2, 17887, 10, 20000)
    ref = stats.binomtest(10, 12, 20000 / (20000 + 17887)).pvalue
    assert float(res.p_value) == pytest.approx(ref, rel=1e-12)
    assert float(res.p_value) == pytest.approx(0.0421, abs=5e-5)
    assert float(res.p_value) < 0.05 and float(res.lcl) < 1 < float(res.ucl)


# --- impossible inputs (issue #15 items 6 and 7): ValueError naming the group -------------------


def _ons_with(area: str, period_start: int, **values) -> pd.DataFrame:
    df = ons_frame()
    row = (df["area_code"] == area) & (df["period_start"] == period_start)
    for col, value in values.items():
        df.loc[row, col] = value
    return df


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rate": -5.8}, "Southend-on-Sea.*negative rate in 2016-2018"),
        ({"lcl": -1.0}, "Southend-on-Sea.*negative lcl"),
        ({"deaths": -32}, "Southend-on-Sea.*negative deaths"),
        ({"lcl": 8.3, "ucl": 4.0}, "Southend-on-Sea.*lcl.*above the rate.*swapped"),
        ({"lcl": 6.0}, "Southend-on-Sea.*lower limit \\(lcl\\) above the rate"),
        ({"ucl": 5.0}, "Southend-on-Sea.*upper limit \\(ucl\\) below the rate"),
    ],
)
def test_impossible_rates_raise_naming_the_group(values, message):
    # a negative rate gave a rate ratio of -1.16 and swapped limits flipped the ONS verdict
    df = _ons_with("E06000033", 2016, **values)
    with pytest.raises(ValueError, match=message):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018))


def test_infinite_rate_raises():
    df = _ons_with("E07000148", 2013, ucl=np.inf)
    with pytest.raises(ValueError, match="infinite"):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018))


def test_negative_single_year_counts_are_not_summed():
    # 16 + 18 + 13 = 47 deaths; -13 in 2015 with 2014 raised to 44 also sums to 47
    df = southend_counts()
    df.loc[df["year"] == 2015, "deaths"] = -13
    df.loc[df["year"] == 2014, "deaths"] = 44
    with pytest.raises(ValueError, match="Southend-on-Sea.*negative deaths in a row for 2013-2015"):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018))


@pytest.mark.parametrize("column", ["deaths", "population"])
@pytest.mark.parametrize("value", [1e308, 99999999999999999999])
def test_huge_counts_raise_cleanly(column, value):
    df = southend_counts().astype({column: object})
    df.loc[df["year"] == 2016, column] = value
    with pytest.raises(ValueError, match="too large for a count"):
        compare_periods(df, before=(2013, 2015), after=(2016, 2018))
