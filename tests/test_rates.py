"""Tests for overdose_trends.stats.rates against published reference values.

Sources, transcribed as literals so the tests run without ../shared:

* PHEindicatormethods 2.1.0 test data (UKHSA/OHID), ``testdata_Rate.xlsx`` sheets
  ``testdata_Rate`` and ``testdata_Rate_g`` (crude rates, Byar/exact) and
  ``testdata_DSR_ISR.xlsx`` sheets ``testdata_multiarea``, ``testdata_1976``,
  ``testresults_DSR`` and ``testdata_err1`` .. ``testdata_err4`` (DSRs, Dobson).
* ONS "Deaths related to drug poisoning by local authority, England and Wales,
  1993 to 2019" (2019 edition), Table 1 (single years) and Table 3 (3-year ASMRs per
  100,000, 2013 ESP, with 95% limits), drug poisoning, persons.
* ONS mid-year population estimates (Southend-on-Sea), as quoted in ../shared/README.md.

``DSR_testdata.csv`` from the same peer folder holds only outputs (value and limits
by Period and Quintile) and none of its inputs are in the peer folder, so it is not
used here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from overdose_trends import datasets
from overdose_trends.constants import (
    ESP2013_BANDS,
    ESP2013_BANDS_20,
    ESP2013_WEIGHTS,
    ESP2013_WEIGHTS_20,
)
from overdose_trends.stats.rates import (
    CRUDE_COLUMNS,
    DSR_COLUMNS,
    approximate_limits,
    crude_rate,
    dsr,
    pool_periods,
)

REL = 1e-6
NAN = float("nan")


def close(actual, expected, rel: float = REL) -> None:
    """Element-wise approx equality with NaN == NaN."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape
    assert np.array_equal(np.isnan(a), np.isnan(e)), (a, e)
    ok = ~np.isnan(e)
    assert a[ok] == pytest.approx(e[ok], rel=rel)


# --- crude rates: PHEindicatormethods testdata_Rate.xlsx, sheet testdata_Rate -----------------
# Area, Numerator, Denominator, multiplier, value, lower95, upper95, lower99.8, upper99.8, method
PHE_RATE = [
    ("Area1", 1, 100, 100, 1.0, 0.025317807984289897, 5.571643390938898,
     0.0010005003335835344, 9.233413476451585, "Exact"),
    ("Area2", 5, 100, 100, 5.0, 1.62348639011842, 11.668332079322669,
     0.739371731917839, 16.454745203680105, "Exact"),
    ("Area3", 20, 100, 100, 20.0, 12.211428834875937, 30.889880369197066,
     8.922802365144193, 38.08503562504191, "Byars"),
    ("Area4", 65, 100, 100, 65.0, 50.163187710459454, 82.84913854593984,
     42.8802614714802, 94.00029084431802, "Byars"),
    ("Area5", 9856, 12345, 100, 79.83799108950991, 78.26949058976757, 81.4300165427214,
     77.37590543271052, 82.3544727709543, "Byars"),
    ("Area6", 7776456, 7564336677, 100, 0.10280420256339154, 0.10273196005302074,
     0.10287648334092832, 0.102690317308454, 0.10291817639509068, "Byars"),
    ("Area7", 222, 3215, 100, 6.905132192846033, 6.026574877652675, 7.87572937087185,
     5.560737695259854, 8.46104668173341, "Byars"),
    ("Area8", 999, 3456, 100, 28.90625, 27.14130493609052, 30.755833237378415,
     26.162147596445767, 31.845604819822654, "Byars"),
    ("Area1", 1, 100, 100000, 1000.0, 25.317807984289896, 5571.643390938898,
     1.0005003335835343, 9233.413476451586, "Exact"),
    ("Area2", 5, 100, 100000, 5000.0, 1623.4863901184199, 11668.332079322669,
     739.3717319178389, 16454.745203680104, "Exact"),
    ("Area3", 20, 100, 100000, 20000.0, 12211.428834875936, 30889.880369197064,
     8922.802365144193, 38085.03562504191, "Byars"),
    ("Area4", 65, 100, 100000, 65000.0, 50163.18771045945, 82849.13854593984,
     42880.261471480204, 94000.290844318, "Byars"),
    ("Area5", 9856, 12345, 100000, 79837.99108950992, 78269.49058976758, 81430.01654272141,
     77375.90543271053, 82354.47277095431, "Byars"),
    ("Area6", 7776456, 7564336677, 100000, 102.80420256339154, 102.73196005302074,
     102.87648334092832, 102.690317308454, 102.91817639509068, "Byars"),
    ("Area7", 222, 3215, 100000, 6905.132192846034, 6026.574877652674, 7875.729370871851,
     5560.737695259853, 8461.04668173341, "Byars"),
    ("Area8", 999, 3456, 100000, 28906.25, 27141.30493609052, 30755.833237378414,
     26162.147596445768, 31845.604819822653, "Byars"),
    ("Area09", NAN, 100, 100000, NAN, NAN, NAN, NAN, NAN, None),
    ("Area10", 10, NAN, 100000, NAN, NAN, NAN, NAN, NAN, "Byars"),
    ("Area11", NAN, NAN, 100000, NAN, NAN, NAN, NAN, NAN, None),
    # 250 events in a population of 220: allowed by PHE for crude rates, not for deaths.
    ("Area12", 250, 220, 100000, 113636.36363636365, 99984.94738532876, 128631.14487455782,
     92710.00554438953, 137651.23772147458, "Byars"),
]  # fmt: skip

# Sheet testdata_Rate_g: the 20 rows above grouped by Area (summed), per 100,000, 95%.
# Area, Numerator, Denominator, value, lowercl, uppercl, method
PHE_RATE_GROUPED = [
    ("Area1", 2, 200, 1000.0, 121.10463927198258, 3612.3438338619794, "Exact"),
    ("Area2", 10, 200, 5000.0, 2393.7249569837822, 9195.729302878237, "Byars"),
    ("Area3", 40, 200, 20000.0, 14286.649933218456, 27235.04966001213, "Byars"),
    ("Area4", 130, 200, 65000.0, 54306.52101925725, 77182.74430661963, "Byars"),
    ("Area5", 19712, 24690, 79837.99108950992, 78727.30027133638, 80960.43271813256, "Byars"),
    ("Area6", 15552912, 15128673354, 102.80420256339154, 102.7531168009107, 102.85530745877516,
     "Byars"),
    ("Area7", 444, 6430, 6905.132192846034, 6277.68811414578, 7578.304458634362, "Byars"),
    ("Area8", 1998, 6912, 28906.25, 27652.52008830221, 30202.169187218453, "Byars"),
    ("Area09", NAN, 100, NAN, NAN, NAN, None),
    ("Area10", 10, NAN, NAN, NAN, NAN, "Byars"),
    ("Area11", NAN, NAN, NAN, NAN, NAN, None),
    ("Area12", 250, 220, 113636.36363636365, 99984.94738532876, 128631.14487455782, "Byars"),
]  # fmt: skip

PHE_METHOD = {"Exact": "exact", "Byars": "byar", None: None}


def _phe_rate_input() -> pd.DataFrame:
    return pd.DataFrame(
        [r[:4] for r in PHE_RATE], columns=["area", "deaths", "population", "per"]
    ).astype({"deaths": "float64", "population": "float64"})


def _methods(col: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v for v in col]


@pytest.mark.parametrize(("conf", "lo", "hi"), [(0.95, 5, 6), (0.998, 7, 8)])
@pytest.mark.parametrize("per", [100, 100000])
def test_crude_rate_matches_phe_testdata_rate(conf: float, lo: int, hi: int, per: int) -> None:
    rows = [r for r in PHE_RATE if r[3] == per]
    data = _phe_rate_input().query("per == @per")
    out = crude_rate(data, per=per, conf=conf, allow_count_above_population=True)
    assert list(out.columns) == list(CRUDE_COLUMNS)
    assert out.index.equals(data.index)  # one row per input row, index kept
    close(out["rate"], [r[4] for r in rows])
    close(out["lcl"], [r[lo] for r in rows])
    close(out["ucl"], [r[hi] for r in rows])
    assert _methods(out["method"]) == [PHE_METHOD[r[9]] for r in rows]
    assert (out["conf"] == conf).all()


def test_crude_rate_grouped_matches_phe_testdata_rate_g() -> None:
    data = _phe_rate_input()
    out = crude_rate(data, by="area", allow_count_above_population=True)
    assert list(out.columns) == ["area", *CRUDE_COLUMNS]
    assert out["area"].tolist() == [r[0] for r in PHE_RATE_GROUPED]
    close(out["count"].astype("float64"), [r[1] for r in PHE_RATE_GROUPED])
    close(out["population"].astype("float64"), [r[2] for r in PHE_RATE_GROUPED])
    close(out["rate"], [r[3] for r in PHE_RATE_GROUPED])
    close(out["lcl"], [r[4] for r in PHE_RATE_GROUPED])
    close(out["ucl"], [r[5] for r in PHE_RATE_GROUPED])
    assert _methods(out["method"]) == [PHE_METHOD[r[6]] for r in PHE_RATE_GROUPED]


def test_crude_rate_rejects_more_deaths_than_population() -> None:
    # PHE Area12 (250 events, population 220) is an error for deaths unless allowed.
    data = pd.DataFrame({"area": ["Area12"], "deaths": [250], "population": [220]})
    with pytest.raises(ValueError, match=r"row index 0: count 250 is greater than population 220"):
        crude_rate(data)
    with pytest.raises(ValueError, match=r"group area='Area12'"):
        crude_rate(data, by="area")


def test_crude_rate_zero_deaths() -> None:
    # Exact upper limit for 0 events at 95%: chi2(0.975, 2) / 2 = -ln(0.025) = 3.688879454.
    out = crude_rate(pd.DataFrame({"deaths": [0], "population": [1000]}), per=1000)
    assert out["rate"].iloc[0] == 0.0
    assert out["lcl"].iloc[0] == 0.0
    assert out["ucl"].iloc[0] == pytest.approx(-np.log(0.025), rel=REL)
    assert out["method"].iloc[0] == "exact"


def test_crude_rate_exact_method_for_all_counts() -> None:
    # testdata_Byars_Wilson / exact Poisson: for 20 events, exact limits differ from Byar's
    # (PHE Area3, 12.2114...); exact 95% limits for 20 are 12.21652, 30.88838 (Garwood).
    out = crude_rate(pd.DataFrame({"deaths": [20], "population": [100]}), per=100, method="exact")
    assert out["method"].iloc[0] == "exact"
    assert out["lcl"].iloc[0] == pytest.approx(12.21652, abs=5e-5)
    assert out["ucl"].iloc[0] == pytest.approx(30.88838, abs=5e-5)


def test_crude_rate_errors() -> None:
    ok = pd.DataFrame({"deaths": [5], "population": [100]})
    with pytest.raises(ValueError, match="population is 0"):
        crude_rate(pd.DataFrame({"deaths": [0], "population": [0]}))
    with pytest.raises(ValueError, match="negative count"):
        crude_rate(pd.DataFrame({"deaths": [-1], "population": [100]}))
    with pytest.raises(ValueError, match="negative population"):
        crude_rate(pd.DataFrame({"deaths": [1], "population": [-100]}))
    with pytest.raises(ValueError, match=r"did you mean 0.95"):
        crude_rate(ok, conf=95)
    with pytest.raises(ValueError, match="method"):
        crude_rate(ok, method="wilson")
    with pytest.raises(ValueError, match="lacks column"):
        crude_rate(ok, count="count")
    with pytest.raises(ValueError, match="must be numeric"):
        crude_rate(pd.DataFrame({"deaths": ["5"], "population": [100]}))
    with pytest.raises(ValueError, match="per must be"):
        crude_rate(ok, per=0)


def test_crude_rate_very_large_counts() -> None:
    # 10^12 events in 10^15 person-years: Byar's limits ~ O -/+ z sqrt(O) (relative 2e-6),
    # computed without overflow.
    o, n = 1e12, 1e15
    out = crude_rate(pd.DataFrame({"deaths": [o], "population": [n]}), per=1e5)
    z = 1.959963984540054
    assert out["rate"].iloc[0] == pytest.approx(100.0, rel=1e-12)
    assert out["lcl"].iloc[0] == pytest.approx((o - z * np.sqrt(o)) / n * 1e5, rel=1e-10)
    assert out["ucl"].iloc[0] == pytest.approx((o + z * np.sqrt(o)) / n * 1e5, rel=1e-10)


# --- DSRs: PHEindicatormethods testdata_DSR_ISR.xlsx ----------------------------------------
# Sheet testdata_multiarea: the same population in each area, ESP 2013 bands in order.
# The sheet labels the 12th band "55-69"; it is 55-59 (phe_dsr matches bands by position).
PHE_POP = [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153,
           123, 207]  # fmt: skip
PHE_COUNTS = {
    "testdata_big": [127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82, 91],
    "testdata_small": [12, 4, 3, 2, 3, 4, 8, 2, 2, 3, 4, 5, 6, 8, 5, 6, 5, 5, 4],
    # 10-14 is blank (NA) in the sheet: phe_dsr counts it as 0, total 9 -> no rate.
    "testdata_tiny": [0, 0, NAN, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 2, 3],
}

# Sheet testresults_DSR: area, total_count, total_pop, value, lower95, upper95, lower99.8,
# upper99.8 (Dobson with Byar's limits on the total, ESP 2013).
PHE_DSR = {
    10000: [
        ("testdata_big", 895, 8970, 1043.0247991469423, 971.770906798568, 1117.894091547925,
         932.3287880219904, 1162.0595999522059),
        ("testdata_small", 91, 8970, 110.3212025300104, 87.7455767536709, 136.70882227251795,
         76.36420357939879, 153.00328948244763),
        ("testdata_tiny", 9, 8970, NAN, NAN, NAN, NAN, NAN),
    ],
    100000: [
        ("testdata_big", 895, 8970, 10430.247991469423, 9717.709067985681, 11178.94091547925,
         9323.287880219903, 11620.595999522058),
        ("testdata_small", 91, 8970, 1103.212025300104, 877.455767536709, 1367.0882227251795,
         763.6420357939879, 1530.0328948244762),
        ("testdata_tiny", 9, 8970, NAN, NAN, NAN, NAN, NAN),
    ],
}  # fmt: skip

# Sheet testdata_1976: the first 18 bands of testdata_big with an 85+ band (82 deaths,
# population 123) and the 1976 European Standard Population as a custom standard.
ESP1976 = [8000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 6000, 5000, 4000,
           3000, 2000, 1000, 1000]  # fmt: skip
BANDS_1976 = [*ESP2013_BANDS[:17], "85+"]
# testresults_DSR rows "testdata_1976": total 804, population 8763, then value, lower95, upper95
# and the sheet's 99.8% columns, for multipliers 10,000 and 100,000.
PHE_DSR_1976 = {
    10000: (859.2097585022366, 799.1160931442103, 922.5253880318318,
            7659.282106568956, 9599.211798571698),
    100000: (8592.097585022366, 7991.160931442103, 9225.253880318318,
             76592.82106568955, 95992.11798571698),
}  # fmt: skip


def _multiarea(areas: tuple[str, ...] = tuple(PHE_COUNTS)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": np.repeat(areas, 19),
            "age_band": list(ESP2013_BANDS) * len(areas),
            "deaths": np.concatenate([PHE_COUNTS[a] for a in areas]),
            "population": PHE_POP * len(areas),
        }
    )


def _data_1976() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age_band": BANDS_1976,
            "deaths": PHE_COUNTS["testdata_big"][:18],
            "population": [*PHE_POP[:17], 123],
        }
    )


@pytest.mark.parametrize(("conf", "lo", "hi"), [(0.95, 4, 5), (0.998, 6, 7)])
@pytest.mark.parametrize("per", [10000, 100000])
def test_dsr_matches_phe_testresults(conf: float, lo: int, hi: int, per: int) -> None:
    expected = PHE_DSR[per]
    out = dsr(_multiarea(), by="area", per=per, conf=conf, missing_count="zero")
    assert list(out.columns) == ["area", *DSR_COLUMNS]
    assert out["area"].tolist() == [r[0] for r in expected]
    assert out["count"].tolist() == [r[1] for r in expected]
    assert out["population"].tolist() == [r[2] for r in expected]
    close(out["rate"], [r[3] for r in expected])
    close(out["lcl"], [r[lo] for r in expected])
    close(out["ucl"], [r[hi] for r in expected])
    assert out["rate_status"].tolist() == ["ok", "ok", "not_calculated"]
    assert out["method"].tolist() == ["dobson"] * 3
    assert (out["conf"] == conf).all()


def test_dsr_missing_count_is_an_error_by_default() -> None:
    with pytest.raises(ValueError, match=r"group area='testdata_tiny', band '10-14': deaths are"):
        dsr(_multiarea(), by="area")


@pytest.mark.parametrize("per", [10000, 100000])
def test_dsr_custom_standard_esp1976(per: int) -> None:
    value, lower95, upper95, lower998, upper998 = PHE_DSR_1976[per]
    std = dict(zip(BANDS_1976, ESP1976, strict=True))
    out = dsr(_data_1976(), standard=std, per=per)
    assert out["count"].tolist() == [804]
    assert out["population"].tolist() == [8763]
    close(out["rate"], [value])
    close(out["lcl"], [lower95])
    close(out["ucl"], [upper95])
    # The sheet's 99.8% columns for testdata_1976 are 10 times too large for the row's
    # multiplier (7659 beside a rate of 859 per 10,000; 76593 beside 8592 per 100,000):
    # they are the per-100,000 and per-1,000,000 limits. PHEindicatormethods' own test
    # compares only columns 2:6 (count, population, value and the 95% limits) for this
    # row, so the error never surfaced. The limits per `per` are the sheet's values / 10.
    out998 = dsr(_data_1976(), standard=pd.Series(std), per=per, conf=0.998)
    close(out998["rate"], [value])
    close(out998["lcl"], [lower998 / 10])
    close(out998["ucl"], [upper998 / 10])


# Sheets testdata_err1 .. err4: testdata_big with one bad value each.
def test_dsr_err1_negative_count() -> None:
    data = _multiarea(("testdata_big",))
    data.loc[5, "deaths"] = -26  # testdata_err1: 25-29 count -26
    with pytest.raises(
        ValueError, match=r"group area='testdata_big', band '25-29': negative deaths"
    ):
        dsr(data, by="area")


def test_dsr_err2_zero_population_with_deaths() -> None:
    # testdata_err2: Area1 (testdata_big counts) has population 0 in the second band
    # (5-9) with 25 deaths; Area2 (testdata_small counts) is valid.
    data = pd.concat(
        [
            _multiarea(("testdata_big",)).assign(area="Area1"),
            _multiarea(("testdata_small",)).assign(area="Area2"),
        ],
        ignore_index=True,
    )
    data.loc[1, "population"] = 0
    with pytest.raises(ValueError, match=r"group area='Area1', band '5-9': 25 deaths but a pop"):
        dsr(data, by="area")


def test_dsr_err3_negative_population() -> None:
    data = _multiarea(("testdata_big",))
    data.loc[1, "population"] = -558  # testdata_err3: 5-9 population -558
    with pytest.raises(ValueError, match=r"band '5-9': negative population -558"):
        dsr(data, by="area")


def test_dsr_err4_negative_standard_weight() -> None:
    # testdata_err4: the standard population for 25-29 is -6000.
    weights = list(ESP2013_WEIGHTS)
    weights[5] = -6000
    with pytest.raises(ValueError, match=r"band '25-29' is -6000"):
        dsr(_multiarea(("testdata_big",)), standard=dict(zip(ESP2013_BANDS, weights, strict=True)))


def test_dsr_zero_population_and_zero_deaths_contribute_zero() -> None:
    # testdata_big with the 90+ band emptied (population 0, deaths 0): by hand, the rate
    # per 10,000 loses w_90+ * 91 / 207 * 10,000 = 0.01 * 91 / 207 * 10,000 = 43.961352657.
    data = _multiarea(("testdata_big",))
    data.loc[18, ["deaths", "population"]] = 0
    out = dsr(data, per=10000)
    assert out["rate"].iloc[0] == pytest.approx(1043.0247991469423 - 43.961352657004831, rel=REL)
    assert out["count"].iloc[0] == 895 - 91


def test_dsr_structure_errors_name_group_and_bands() -> None:
    data = _multiarea(("testdata_big", "testdata_small"))
    with pytest.raises(
        ValueError, match=r"group area='testdata_small': no row for band\(s\) '90\+'"
    ):
        dsr(data.drop(index=37), by="area")
    dup = pd.concat([data, data.iloc[[3]]], ignore_index=True)
    with pytest.raises(
        ValueError, match=r"area='testdata_big': more than one row for band\(s\) '15"
    ):
        dsr(dup, by="area")
    bad = data.copy()
    bad.loc[30, "age_band"] = "55-69"  # the PHE sheet's typo
    with pytest.raises(ValueError, match=r"area='testdata_small': age band\(s\) '55-69' are not"):
        dsr(bad, by="area")
    # 19-band data against the 20-band standard: '0-4' is not one of its bands.
    with pytest.raises(ValueError, match=r"'0-4' are not bands of the esp2013_20 standard"):
        dsr(data, by="area", standard="esp2013_20")


def test_dsr_value_errors() -> None:
    data = _multiarea(("testdata_big",))
    more = data.copy()
    more.loc[0, "deaths"] = 700
    with pytest.raises(ValueError, match=r"band '0-4': 700 deaths is more than the population 636"):
        dsr(more)
    missing_pop = data.astype({"population": "Int64"})
    missing_pop.loc[17, "population"] = pd.NA
    with pytest.raises(ValueError, match=r"band '85-89': population is missing"):
        dsr(missing_pop)
    with pytest.raises(ValueError, match="did you mean 0.95"):
        dsr(data, conf=95)
    with pytest.raises(ValueError, match="unknown standard"):
        dsr(data, standard="esp1976")
    with pytest.raises(ValueError, match="unknown DSR interval method"):
        dsr(data, method="byar")
    with pytest.raises(ValueError, match="unknown count_method"):
        dsr(data, count_method="wilson")


def test_dsr_accepts_categorical_bands_as_from_to_esp_bands() -> None:
    data = _multiarea(("testdata_big",))
    # Categories in a different order from the standard, plus an unused one.
    data["age_band"] = pd.Categorical(
        data["age_band"], categories=[*reversed(ESP2013_BANDS), "unused"]
    )
    out = dsr(data.iloc[::-1], per=10000)  # row order does not matter
    close(out["rate"], [1043.0247991469423])
    close(out["lcl"], [971.770906798568])


def test_dsr_20_band_standard_by_hand() -> None:
    # 20 bands, 1,000 people and 1 death in each: every age-specific rate is 0.001, so the
    # DSR is 100 per 100,000 whatever the weights. Var = 1e10 * sum(w_i^2 * 1 / 1000^2) with
    # w the ESP 2013 20-band weights / 100,000; Dobson with Byar's limits on O = 20, which
    # are 12.211428834875937 and 30.889880369197066 (PHE testdata_Rate, Area3).
    data = pd.DataFrame({"age_band": ESP2013_BANDS_20, "deaths": 1, "population": 1000})
    out = dsr(data, standard="esp2013_20")
    w = np.asarray(ESP2013_WEIGHTS_20) / 100_000
    var = 1e10 * np.sum(w**2 / 1000**2)
    scale = np.sqrt(var / 20)
    assert out["rate"].iloc[0] == pytest.approx(100.0, rel=1e-12)
    assert out["lcl"].iloc[0] == pytest.approx(100 + scale * (12.211428834875937 - 20), rel=REL)
    assert out["ucl"].iloc[0] == pytest.approx(100 + scale * (30.889880369197066 - 20), rel=REL)
    assert out["rate_status"].iloc[0] == "ok"


def _phe_big_variance(per: float) -> float:
    """var = per^2 * sum(w_i^2 d_i / n_i^2), written out for testdata_big."""
    d = np.asarray(PHE_COUNTS["testdata_big"], dtype=float)
    n = np.asarray(PHE_POP, dtype=float)
    w = np.asarray(ESP2013_WEIGHTS) / 100_000
    return per**2 * float(np.sum(w**2 * d / n**2))


def test_dsr_normal_and_ons_methods() -> None:
    data = _multiarea(("testdata_big", "testdata_small"))
    z = 1.959963984540054
    rate_big = 10430.247991469423  # PHE per 100,000
    se_big = np.sqrt(_phe_big_variance(1e5))
    normal = dsr(data, by="area", method="normal")
    assert normal["lcl"].iloc[0] == pytest.approx(rate_big - z * se_big, rel=REL)
    assert normal["ucl"].iloc[0] == pytest.approx(rate_big + z * se_big, rel=REL)
    assert normal["method"].tolist() == ["normal", "normal"]
    # ONS: 895 deaths (>= 100) -> normal; 91 deaths (< 100) -> Dobson with exact limits.
    ons = dsr(data, by="area", method="ons")
    exact = dsr(data, by="area", count_method="exact")
    assert ons["method"].tolist() == ["normal", "dobson"]
    close(ons[["lcl", "ucl"]].iloc[0], normal[["lcl", "ucl"]].iloc[0])
    close(ons[["lcl", "ucl"]].iloc[1], exact[["lcl", "ucl"]].iloc[1])
    # Exact Poisson 95% limits for 91 (Garwood: chi2.ppf(0.025, 182) / 2 = 73.267523,
    # chi2.ppf(0.975, 184) / 2 = 111.727835) scale the same Dobson factor as the PHE result.
    rate_small = 1103.212025300104
    scale = (1367.0882227251795 - rate_small) / (
        PHE_BYAR_UPPER_91 - 91
    )  # sqrt(var / O) implied by PHE's published upper limit
    assert exact["lcl"].iloc[1] == pytest.approx(rate_small + scale * (73.267523 - 91), rel=1e-5)
    assert exact["ucl"].iloc[1] == pytest.approx(rate_small + scale * (111.727835 - 91), rel=1e-5)


# Byar's 95% upper limit for 91: (92) (1 - 1/(9*92) + 1.959964/(3 sqrt(92)))^3, written out.
PHE_BYAR_UPPER_91 = 92 * (1 - 1 / (9 * 92) + 1.959963984540054 / (3 * np.sqrt(92))) ** 3


def test_dsr_small_numbers_status() -> None:
    # ONS: no rate below 10 deaths, "unreliable" for 10-19, "ok" from 20.
    bands = list(ESP2013_BANDS)
    rows = []
    for area, total in (("a", 0), ("b", 9), ("c", 10), ("d", 19), ("e", 20)):
        deaths = [0] * 19
        deaths[8] = total
        rows.append(pd.DataFrame({"area": area, "age_band": bands, "deaths": deaths,
                                  "population": 10_000}))  # fmt: skip
    out = dsr(pd.concat(rows), by="area")
    assert out["rate_status"].tolist() == [
        "not_calculated", "not_calculated", "unreliable", "unreliable", "ok"
    ]  # fmt: skip
    assert out["rate"].isna().tolist() == [True, True, False, False, False]
    assert out["lcl"].isna().tolist() == [True, True, False, False, False]
    # one band only: DSR = w_40-44 * total / 10,000 * 100,000 = 0.07 * 10 * 10 = 7.0
    assert out["rate"].iloc[2] == pytest.approx(7.0, rel=1e-12)


def test_dsr_very_large_counts() -> None:
    # National-scale numbers: 10^6 deaths and 10^9 people in every band (rate 100,000 per
    # 100,000 * 0.001 = 100): finite limits close to the rate.
    data = pd.DataFrame({"age_band": ESP2013_BANDS, "deaths": 10**6, "population": 10**9})
    for method in ("dobson", "normal", "ons"):
        out = dsr(data, method=method)
        assert out["rate"].iloc[0] == pytest.approx(100.0, rel=1e-12)
        assert 99.9 < out["lcl"].iloc[0] < 100 < out["ucl"].iloc[0] < 100.1


# --- ONS checks: approximate_limits and Southend-on-Sea --------------------------------------
# ONS LA 2019 edition, Table 3 (drug poisoning, persons, per 100,000, 95% limits):
# (area, period, deaths, rate, lcl, ucl)
ONS_TABLE3 = [
    ("Southend-on-Sea", "2013-15", 47, 8.8, 6.5, 11.7),
    ("Norfolk", "2013-15", 181, 7.5, 6.4, 8.6),
    ("Norfolk", "2016-18", 235, 9.4, 8.2, 10.6),
]


@pytest.mark.parametrize(("area", "period", "deaths", "rate", "lcl", "ucl"), ONS_TABLE3)
def test_approximate_limits_reproduce_ons(
    area: str, period: str, deaths: int, rate: float, lcl: float, ucl: float
) -> None:
    out = approximate_limits(rate, deaths)
    assert round(out["lcl"].iloc[0], 1) == lcl
    assert round(out["ucl"].iloc[0], 1) == ucl


def test_approximate_limits_norwich_is_only_approximate() -> None:
    # Norwich 2016-18: 80 deaths, 21.0 (16.6-26.3) published. Scaling the exact Poisson
    # limits of 80 (63.4, 99.6) gives 16.65-26.14: the age mix of Norwich's deaths makes
    # the Dobson interval wider than the scaled one, which only the unpublished age-specific
    # deaths could reproduce. The approximation is within 0.2 and narrower.
    out = approximate_limits(pd.Series([21.0], index=["E07000148"]), pd.Series([80]))
    assert out.index.tolist() == ["E07000148"]
    lcl, ucl = out["lcl"].iloc[0], out["ucl"].iloc[0]
    assert abs(lcl - 16.6) < 0.2 and abs(ucl - 26.3) < 0.2
    assert 16.6 <= lcl and ucl < 26.3


def test_approximate_limits_methods_and_errors() -> None:
    # 47 deaths: exact Poisson 95% limits (Garwood: chi2.ppf(0.025, 94) / 2 = 34.533832,
    # chi2.ppf(0.975, 96) / 2 = 62.500036); a rate of 47 per 47 deaths scales by 1.
    out = approximate_limits([47.0, 0.0], [47, 0], count_method="exact")
    assert out["lcl"].iloc[0] == pytest.approx(34.533832, rel=REL)
    assert out["ucl"].iloc[0] == pytest.approx(62.500036, rel=REL)
    assert out.iloc[1].isna().all()  # zero deaths: no scale
    byar = approximate_limits(47.0, 47, count_method="byar")
    assert byar["lcl"].iloc[0] == pytest.approx(34.53, abs=0.01)
    with pytest.raises(ValueError, match="negative count"):
        approximate_limits(1.0, -1)
    with pytest.raises(ValueError, match="values"):
        approximate_limits([1.0, 2.0], [1, 2, 3])
    with pytest.raises(ValueError, match="did you mean"):
        approximate_limits(1.0, 10, conf=95)


def test_dsr_with_real_southend_population_single_band_identity() -> None:
    # Deaths by age are not published, so the Southend ASMR itself cannot be recomputed.
    # What can be checked with the real populations (ONS mid-year estimates 2013-15 in ESP
    # bands, shipped in data/): if all 47 deaths fell in one band, the Dobson interval is
    # exactly the scaled exact Poisson interval, i.e. approximate_limits of the result.
    pop = datasets.population_bands()
    south = pop[(pop["area_code"] == "E06000033") & pop["year"].between(2013, 2015)]
    pooled = pool_periods(south, time="year", count=None, by=["area_code", "age_band"])
    assert len(pooled) == 19
    assert int(pooled["population"].sum()) == 176236 + 178367 + 179234
    pooled["deaths"] = np.where(pooled["age_band"] == "35-39", 47, 0)
    out = dsr(pooled, by=["area_code", "period_start"], method="ons")
    n = int(pooled.loc[pooled["age_band"] == "35-39", "population"].iloc[0])
    assert out["rate"].iloc[0] == pytest.approx(0.07 * 47 / n * 1e5, rel=1e-12)
    approx = approximate_limits(out["rate"], out["count"])
    close(out[["lcl", "ucl"]].iloc[0], approx.iloc[0], rel=1e-9)
    assert out["rate_status"].iloc[0] == "ok"


# --- pool_periods ----------------------------------------------------------------------------
def test_pool_periods_southend() -> None:
    # ONS LA 2019 Table 1: Southend-on-Sea deaths 2013-2018 = 16, 18, 13, 6, 13, 13; Table 3
    # publishes 47 for 2013-15 and 32 for 2016-18. Populations mid-2016/17/18 (ONS MYE):
    # 180,606 / 181,808 / 182,463.
    data = pd.DataFrame(
        {
            "area_code": "E06000033",
            "year": [2013, 2014, 2015, 2016, 2017, 2018],
            "deaths": [16, 18, 13, 6, 13, 13],
            "population": [176236, 178367, 179234, 180606, 181808, 182463],
        }
    )
    rolling = pool_periods(data)
    assert list(rolling.columns) == ["area_code", "period_start", "period_end", "deaths",
                                     "population"]  # fmt: skip
    assert rolling["period_start"].tolist() == [2013, 2014, 2015, 2016]
    assert rolling["period_end"].tolist() == [2015, 2016, 2017, 2018]
    assert rolling["deaths"].tolist() == [47, 37, 32, 32]
    assert rolling["population"].iloc[3] == 180606 + 181808 + 182463
    blocks = pool_periods(data, step=3)
    assert blocks["period_start"].tolist() == [2013, 2016]
    assert blocks["deaths"].tolist() == [47, 32]


def test_pool_periods_matches_ons_three_year_totals() -> None:
    # Every published 3-year total for Southend-on-Sea (Table 3) equals the pooled
    # single years of Table 1 (both from the shipped ONS 2019 extract).
    la = datasets.la_deaths()
    south = la[(la["area_code"] == "E06000033") & (la["measure"] == "poisoning")
               & (la["sex"] == "persons")]  # fmt: skip
    single = south[south["period_start"] == south["period_end"]]
    pooled = pool_periods(single, time="period_start", population=None, by="area_code")
    published = south[south["period_end"] - south["period_start"] == 2]
    merged = pooled.merge(published, on=["area_code", "period_start", "period_end"])
    assert len(merged) == 17  # 2001-03 .. 2017-19
    assert (merged["deaths_x"] == merged["deaths_y"]).all()


def test_pool_periods_missing_years() -> None:
    data = pd.DataFrame(
        {
            "area": ["a"] * 5 + ["b"] * 3,
            "year": [2010, 2011, 2012, 2013, 2014, 2012, 2013, 2014],
            "deaths": [1, 2, 3, 4, 5, 10, 20, 30],
        }
    ).drop(index=2)  # area a lacks 2012
    # Windows 2010-12, 2011-13, 2012-14. a lacks 2012, so all three are incomplete; b starts
    # in 2012, so 2010-12 and 2011-13 are incomplete for it: 5 periods left out.
    with pytest.warns(UserWarning, match=r"5 period\(s\) left out.*area='a', 2010-2012 has no row"):
        out = pool_periods(data, population=None)
    assert out[["area", "period_start", "deaths"]].values.tolist() == [["b", 2012, 60]]
    with pytest.raises(ValueError, match="left out"):
        pool_periods(data, population=None, strict=True)
    # A complete table gives no warning, and neither does a period for which a group has
    # none of the years (b before 2012 with non-overlapping periods): no data are left out.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pool_periods(data[data["area"] == "b"], population=None)
        full = pd.DataFrame({"area": ["a"] * 6 + ["b"] * 3,
                             "year": [*range(2009, 2015), 2012, 2013, 2014],
                             "deaths": 1})  # fmt: skip
        blocks = pool_periods(full, population=None, step=3)
    assert blocks[["area", "period_start"]].values.tolist() == [["a", 2009], ["a", 2012],
                                                                ["b", 2012]]  # fmt: skip


def test_pool_periods_missing_values_and_errors() -> None:
    data = pd.DataFrame(
        {"year": [2010, 2011, 2012, 2013], "deaths": [1.0, NAN, 3.0, 4.0],
         "population": [10, 10, 10, 10]}
    )  # fmt: skip
    out = pool_periods(data)
    assert out["deaths"].isna().tolist() == [True, True]  # never a partial sum
    assert out["population"].tolist() == [30, 30]
    with pytest.raises(ValueError, match="year 2011 appears 2 times"):
        pool_periods(pd.concat([data, data.iloc[[1]]]))
    with pytest.raises(ValueError, match="fewer than width=5"):
        pool_periods(data, width=5)
    with pytest.raises(ValueError, match="not a whole year"):
        pool_periods(data.assign(year=[2010, 2011.5, 2012, 2013]))
    with pytest.raises(ValueError, match="at least one"):
        pool_periods(data, count=None, population=None)
    with pytest.raises(ValueError, match="no rows to pool"):
        pool_periods(data.iloc[:0])


def test_pool_periods_keeps_age_band_key_for_dsr() -> None:
    # Pooled single years by age band feed dsr directly; the categorical band survives.
    bands = list(ESP2013_BANDS)
    data = pd.DataFrame(
        {
            "area": "a",
            "year": np.repeat([2016, 2017, 2018], 19),
            "age_band": pd.Categorical(bands * 3, categories=bands, ordered=True),
            "deaths": 1,
            "population": 1000,
        }
    )
    pooled = pool_periods(data)  # by=None: area and age_band are the keys
    assert isinstance(pooled["age_band"].dtype, pd.CategoricalDtype)
    assert len(pooled) == 19 and (pooled["deaths"] == 3).all()
    out = dsr(pooled, by=["area", "period_start", "period_end"])
    # constant age-specific rate 3 / 3000: DSR = 100 per 100,000
    assert out["rate"].iloc[0] == pytest.approx(100.0, rel=1e-12)
    assert out["count"].iloc[0] == 57


# --- impossible magnitudes (issue #15 item 6): a clean ValueError, no wrap, no TypeError --------


@pytest.mark.parametrize("column", ["deaths", "population"])
@pytest.mark.parametrize("value", [99999999999999999999, 1e308, 1e20])
def test_crude_rate_refuses_counts_beyond_2_to_53(column, value):
    from overdose_trends.stats.rates import crude_rate

    df = pd.DataFrame({"area": ["A", "B"], "deaths": [5, 7], "population": [1000, 1000]})
    df = df.astype({column: object})
    df.loc[0, column] = value
    with pytest.raises(ValueError, match="row index 0: .*too large for a count"):
        crude_rate(df, by="area")


def test_crude_rate_refuses_a_group_total_beyond_2_to_53():
    from overdose_trends.stats.rates import crude_rate

    big = 2.0**52
    df = pd.DataFrame({"area": ["A", "A", "A"], "deaths": [1, 1, 1], "population": [big] * 3})
    with pytest.raises(ValueError, match="area='A'.*total population .*too large"):
        crude_rate(df, by="area")


@pytest.mark.parametrize("value", [99999999999999999999, 1e308])
def test_dsr_refuses_huge_counts(value):
    from overdose_trends.constants import ESP2013_BANDS
    from overdose_trends.stats.rates import dsr

    df = pd.DataFrame({"age_band": ESP2013_BANDS, "deaths": 1, "population": 1000}).astype(
        {"population": object}
    )
    df.loc[3, "population"] = value
    with pytest.raises(ValueError, match="row index 3: .*too large for a count"):
        dsr(df)
