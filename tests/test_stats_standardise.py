"""Indirect standardisation (overdose_trends.stats.standardise) against PHEindicatormethods."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overdose_trends.stats.standardise import isr

FIXTURES = Path(__file__).parent / "fixtures"


def _inputs() -> pd.DataFrame:
    # PHEindicatormethods testdata_DSR_ISR.xlsx, sheet testdata_multiarea_isr
    return pd.read_csv(FIXTURES / "phe_isr_testdata.csv", comment="#")


def _results() -> pd.DataFrame:
    # PHEindicatormethods testdata_DSR_ISR.xlsx, sheet testresults_ISR
    return pd.read_csv(FIXTURES / "phe_isr_results.csv", comment="#")


def _reference(d: pd.DataFrame) -> pd.DataFrame:
    return d[d.area == "testdata_big"][["ageband", "refcount", "refpop"]]


ARGS = dict(count="count", population="pop", age="ageband", ref_count="refcount",
            ref_population="refpop", by="area")  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "per", "statistic"),
    [
        ("rate", 100_000, "indirectly standardised rate per 100000"),
        ("rate", 1000, "indirectly standardised rate per 1000"),
        ("ratio", 1, "indirectly standardised ratio x 1"),
        ("ratio", 100, "indirectly standardised ratio x 100"),
    ],
)
@pytest.mark.parametrize("conf", [0.95, 0.998])
@pytest.mark.parametrize("as_table", [False, True])
def test_isr_reproduces_phe_test_data(kind, per, statistic, conf, as_table):
    d = _inputs()
    ref = _reference(d) if as_table else None
    out = isr(d, reference=ref, type=kind, per=per, conf=conf, **ARGS).set_index("area")
    expected = _results().query("statistic == @statistic").iloc[:3].set_index("area")
    lo, hi = ("lower95_0cl", "upper95_0cl") if conf == 0.95 else ("lower99_8cl", "upper99_8cl")
    # PHE publish to ~1e-8 relative; 1e-6 absolute on every value (rates per 100,000 ~1e4)
    tol = 1e-6 * max(1.0, float(expected["value"].abs().max()) / 1e3)
    np.testing.assert_allclose(out["expected"], expected["expected"], atol=1e-6)
    np.testing.assert_allclose(out["value"], expected["value"], atol=tol)
    np.testing.assert_allclose(out["lcl"], expected[lo], atol=tol)
    np.testing.assert_allclose(out["ucl"], expected[hi], atol=tol)
    assert out["observed"].tolist() == expected["observed"].tolist()
    assert out["method"].tolist() == ["byar", "byar", "exact"]  # PHE: Byars, Byars, Exact
    if kind == "rate":
        np.testing.assert_allclose(out["ref_rate"], expected["ref_rate"], atol=1e-6)


def test_isr_zero_population_band_as_phe():
    # testdata_err2 (Area1 has population 0 in band 5-9): testresults_ISR rows 13-16
    d = pd.read_csv(FIXTURES / "phe_isr_err2.csv", comment="#")
    ref = _reference(_inputs())
    d["ageband"] = np.tile(ref["ageband"].to_numpy(), 2)
    args = {**ARGS, "ref_count": "refcount", "ref_population": "refpop"}
    rate = isr(d, reference=ref, type="rate", per=100_000, **args)
    ratio = isr(d, reference=ref, type="ratio", per=100, **args)
    np.testing.assert_allclose(rate["expected"], [808.321740, 835.883561], atol=1e-6)
    np.testing.assert_allclose(rate["value"], [10352.493262, 1017.892205], atol=1e-5)
    np.testing.assert_allclose(rate["lcl"], [9685.271142, 819.521003], atol=1e-5)
    np.testing.assert_allclose(rate["ucl"], [11053.570021, 1249.759260], atol=1e-5)
    np.testing.assert_allclose(ratio["value"], [110.723237, 10.886684], atol=1e-6)
    np.testing.assert_allclose(ratio["lcl"], [103.587083, 8.765040], atol=1e-6)
    np.testing.assert_allclose(ratio["ucl"], [118.221478, 13.366576], atol=1e-6)


def test_isr_observed_totals_give_the_same_result():
    d = _inputs()
    totals = d.groupby("area", as_index=False)["count"].sum()
    a = isr(d, reference=_reference(d), **ARGS)
    b = isr(d.drop(columns="count"), reference=_reference(d), observed_totals=totals, **ARGS)
    pd.testing.assert_frame_equal(a, b)


def test_isr_categorical_bands_and_defaults():
    d = _inputs()
    d["ageband"] = pd.Categorical(d["ageband"], categories=list(_reference(d)["ageband"]))
    out = isr(d, reference=_reference(d), **ARGS)
    assert out["per"].eq(1.0).all() and out["type"].eq("ratio").all()
    np.testing.assert_allclose(out["value"], [1.070723, 0.108867, 0.010767], atol=1e-6)
    assert list(out.columns) == ["area", "observed", "expected", "value", "lcl", "ucl", "conf",
                                 "method", "type", "per"]  # fmt: skip
    rate = isr(d, reference=_reference(d), type="rate", **ARGS)
    assert rate["per"].eq(100_000).all() and "ref_rate" in rate


def _small() -> tuple[pd.DataFrame, pd.DataFrame]:
    area = pd.DataFrame(
        {
            "area": ["A", "A", "B", "B"],
            "age_band": ["0-44", "45+"] * 2,
            "deaths": [3, 5, 0, 0],
            "population": [1000, 800, 0, 0],
        }
    )
    ref = pd.DataFrame(
        {"age_band": ["0-44", "45+"], "ref_deaths": [100, 300], "ref_population": [1e5, 5e4]}
    )
    return area, ref


def test_isr_no_expected_deaths_names_the_group():
    area, ref = _small()
    with pytest.raises(ValueError, match=r"area='B'.*no expected deaths"):
        isr(area, reference=ref, by="area")


def test_isr_reference_missing_a_band():
    area, ref = _small()
    with pytest.raises(
        ValueError, match=r"age band '45\+' of group area='A' is not in the reference"
    ):
        isr(area, reference=ref.iloc[:1], by="area")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, r: (a.assign(deaths=[-1, 5, 0, 0]), r), "negative deaths"),
        (lambda a, r: (a.assign(population=[-5, 800, 1, 1]), r), "negative population"),
        (lambda a, r: (a, pd.concat([r, r.iloc[:1]])), "appears more than once"),
        (lambda a, r: (a, r.assign(ref_population=[0, 5e4])), "positive population"),
    ],
)
def test_isr_bad_input(change, message):
    area, ref = change(*_small())
    with pytest.raises(ValueError, match=message):
        isr(area.iloc[:2], reference=ref, by="area")


def test_isr_bad_arguments():
    area, ref = _small()
    with pytest.raises(ValueError, match="type must be"):
        isr(area, reference=ref, type="smr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="did you mean 0.95"):
        isr(area, reference=ref, conf=95)
    with pytest.raises(ValueError, match="lacks column"):
        isr(area, reference=ref.drop(columns="ref_deaths"))
    with pytest.raises(ValueError, match="has no row in observed_totals"):
        isr(area.iloc[:2], reference=ref, by="area",
            observed_totals=pd.DataFrame({"area": ["Z"], "deaths": [3]}))  # fmt: skip


def test_isr_reference_columns_in_data():
    area, ref = _small()
    merged = area.iloc[:2].merge(ref, on="age_band")
    a = isr(merged, by="area")
    b = isr(area.iloc[:2], reference=ref, by="area")
    pd.testing.assert_frame_equal(a, b)
    # expected = 1000 * 100/1e5 + 800 * 300/5e4 = 1 + 4.8
    assert a["expected"].iloc[0] == pytest.approx(5.8)
    assert a["method"].iloc[0] == "exact"  # 8 deaths: exact Poisson limits


def test_isr_many_groups_vectorised():
    rng = np.random.default_rng(3)
    n_areas, bands = 50, [f"b{i}" for i in range(19)]
    d = pd.DataFrame({"area": np.repeat(np.arange(n_areas), 19), "age_band": bands * n_areas,
                      "deaths": rng.poisson(3, n_areas * 19),
                      "population": rng.integers(1000, 5000, n_areas * 19)})  # fmt: skip
    ref = pd.DataFrame({"age_band": bands, "ref_deaths": rng.integers(50, 500, 19),
                        "ref_population": rng.integers(10**5, 10**6, 19)})  # fmt: skip
    out = isr(d, reference=ref, by="area")
    one = isr(d[d.area == 7], reference=ref)
    np.testing.assert_allclose(
        out.loc[7, ["expected", "value", "lcl", "ucl"]].astype(float),
        one.loc[0, ["expected", "value", "lcl", "ucl"]].astype(float),
    )


def test_isr_categorical_band_missing_from_reference_or_empty():
    area, ref = _small()
    area["age_band"] = pd.Categorical(area["age_band"], categories=["0-44", "45+", "85+"])
    ok = isr(area.iloc[:2], reference=ref, by="area")
    assert ok["expected"].iloc[0] == pytest.approx(5.8)
    with pytest.raises(ValueError, match=r"age band nan of group area='A' is not in the reference"):
        isr(area.iloc[:2].assign(age_band=area["age_band"].iloc[:2].where([True, False])),
            reference=ref, by="area")  # fmt: skip
    with pytest.raises(ValueError, match=r"age band '85\+' of group area='A'"):
        bands = pd.Categorical(["0-44", "85+"], area["age_band"].cat.categories)
        isr(area.iloc[:2].assign(age_band=bands), reference=ref, by="area")


def test_isr_missing_counts_are_zero():
    # PHEindicatormethods counts a missing count or population in a band as zero
    area, ref = _small()
    a = area.iloc[:2].assign(deaths=[3.0, np.nan])
    b = area.iloc[:2].assign(deaths=[3.0, 0.0])
    pd.testing.assert_frame_equal(
        isr(a, reference=ref, by="area"), isr(b, reference=ref, by="area")
    )
