"""Quantiles and the slope index of inequality (overdose_trends.stats.inequality)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overdose_trends.stats.inequality import quantiles, sii

FIXTURES = Path(__file__).parent / "fixtures"
VALUE_TYPES = {0: "normal", 1: "rate", 2: "proportion"}


# --- quantiles -------------------------------------------------------------------------


def _quantile_data() -> pd.DataFrame:
    # PHEindicatormethods testdata_Quantiles.xlsx (see the fixture's header)
    return pd.read_csv(FIXTURES / "phe_quantiles_testdata.csv", comment="#")


@pytest.mark.parametrize(
    ("rows", "n", "by", "invert"),
    [
        (
            "Test == 'Gooddata' and GroupSet == 'IndSexReg'",
            10,
            ["IndSexRef", "ParentCode"],
            "invert",
        ),
        ("Test == 'Gooddata' and GroupSet == 'IndSex'", 7, ["IndSexRef"], "invert"),
        ("GroupSet.isna()", 4, None, True),  # PHE df4: ungrouped quartiles, default invert
        (
            "Test == 'GooddataDups' and GroupSet == 'IndSexReg'",
            10,
            ["IndSexRef", "ParentCode"],
            "invert",
        ),
    ],
)
def test_quantiles_reproduce_phe_test_data(rows, n, by, invert):
    d = _quantile_data().query(rows, engine="python")
    out = quantiles(d, "Value", n, by=by, invert=invert)
    got = out["quantile"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_array_equal(got, d["QuantileInGrp"].to_numpy(dtype=float))


def test_quantiles_direction_and_too_few_areas():
    d = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 3, "score": [5, 4, 3, 2, 1, 9, 8, 7]})
    hi = quantiles(d, "score", 5, by="g")
    assert hi["quantile"].iloc[:5].tolist() == [1, 2, 3, 4, 5]  # highest score = quantile 1
    assert hi["quantile"].iloc[5:].isna().all()  # 3 areas cannot make 5 quantiles
    lo = quantiles(d, "score", 5, by="g", invert=False)
    assert lo["quantile"].iloc[:5].tolist() == [5, 4, 3, 2, 1]
    assert str(hi["quantile"].dtype) == "Int64"


def test_quantiles_bad_input():
    d = pd.DataFrame({"g": ["a", "a"], "v": [1.0, 2.0], "inv": [True, False]})
    with pytest.raises(ValueError, match="varies within group g='a'"):
        quantiles(d, "v", 2, by="g", invert="inv")
    with pytest.raises(ValueError, match="at least 2"):
        quantiles(d, "v", 1)
    with pytest.raises(ValueError, match="lacks column"):
        quantiles(d, "x", 2)


# --- SII against PHEindicatormethods' test data -----------------------------------------


def _sii_cases() -> list[tuple[str, pd.DataFrame]]:
    # PHEindicatormethods testdata_SII.xlsx (see the fixture's header)
    d = pd.read_csv(FIXTURES / "phe_sii_testdata.csv", comment="#")
    return list(d.groupby("TestDescription", sort=False))


def _options(desc: str, first: pd.Series) -> dict:
    """The arguments of each PHE test, read from its description (as testSII.R passes them)."""
    if "multiple CIs" in desc:
        conf = [0.95, 0.99]
    elif "95 and 98" in desc or "95% and 98%" in desc:
        conf = [0.95, 0.98]
    elif "98%" in desc:
        conf = [0.98]
    else:
        conf = [float(first["Confidence"]) / 100]
    if "x -100" in desc:
        multiplier = -100
    elif "x 100" in desc:
        multiplier = 100
    elif "negative multiplier" in desc:
        multiplier = -1
    else:
        multiplier = 1
    return dict(conf=conf, multiplier=multiplier, transform="transform" in desc,
                value_type=VALUE_TYPES[int(first["ValueType"])],
                repetitions=int(first["Repetitions"]))  # fmt: skip


CASES = _sii_cases()


@pytest.mark.parametrize(("desc", "rows"), CASES, ids=[c[0] for c in CASES])
def test_sii_reproduces_phe_test_data(desc, rows):
    opts = _options(desc, rows.iloc[0])
    out = sii(rows, quantile="Quantile", population="Population", value="Value", lcl="LowerCL",
              ucl="UpperCL", by="Area", seed=20241204, **opts)  # fmt: skip
    expected = rows[rows["sii"].notna()].set_index("Area")
    for j, conf in enumerate(opts["conf"]):
        got = out[out["conf"] == conf].set_index("Area").loc[expected.index]
        # point estimates are deterministic: equal to PHE's to their published precision
        np.testing.assert_allclose(got["sii"], expected["sii"], rtol=1e-6, atol=1e-9)
        if expected["rii"].notna().all():
            np.testing.assert_allclose(got["rii"], expected["rii"], rtol=1e-6)
        if expected["Intercept"].notna().all():
            np.testing.assert_allclose(got["intercept"], expected["Intercept"], rtol=1e-6)
        # simulated limits: within simulation error of PHE's (R's generator differs)
        suffix = "1" if j == 0 else "2"
        for stat in ("sii", "rii"):
            lo, hi = expected[f"{stat}_lowercl_{suffix}"], expected[f"{stat}_uppercl_{suffix}"]
            if lo.isna().all():
                continue
            width = (hi - lo).abs().to_numpy()
            # 3% of the interval width: 10,000 repetitions give about 1% s.d. at the 2.5% tail
            tol = 0.03 * width
            assert np.all(np.abs(got[f"{stat}_lcl"].to_numpy() - lo.to_numpy()) < tol), stat
            assert np.all(np.abs(got[f"{stat}_ucl"].to_numpy() - hi.to_numpy()) < tol), stat


def test_sii_standard_error_input_equals_limits():
    # PHE docs: supplying the standard error instead of the 95% limits gives the same SII
    rows = dict(CASES)["default (e.g. life expectancy) - default parameters"]
    a = sii(
        rows,
        quantile="Quantile",
        population="Population",
        value="Value",
        lcl="LowerCL",
        ucl="UpperCL",
        value_type="normal",
        by="Area",
        repetitions=1000,
        seed=1,
    )
    b = sii(rows, quantile="Quantile", population="Population", value="Value", lcl=None,
            ucl=None, se="StandardError", value_type="normal", by="Area", repetitions=1000,
            seed=1)  # fmt: skip
    np.testing.assert_allclose(a["sii"], b["sii"])
    np.testing.assert_allclose(a["sii_lcl"], b["sii_lcl"], rtol=0.02)


# --- SII: the national IMD table ----------------------------------------------------------


def _imd() -> pd.DataFrame:
    # ONS 2021 registrations, Table 8 (typed; see the fixture's header)
    return pd.read_csv(FIXTURES / "ons_2021_imd_quintiles.csv", comment="#").assign(population=1.0)


def test_sii_national_imd_2021():
    out = sii(
        _imd(),
        quantile="quintile",
        by="sex",
        transform=True,
        multiplier=-1,
        repetitions=20_000,
        seed=5,
    )
    males = out.set_index("sex").loc["males"]
    # log-linear fit: the most deprived end has about ten times the rate of the least deprived
    assert males["sii"] == pytest.approx(265.519, abs=1e-3)
    assert males["rii"] == pytest.approx(10.387, abs=1e-3)
    assert males["sii_lcl"] < males["sii"] < males["sii_ucl"]
    assert males["rii_lcl"] < males["rii"] < males["rii_ucl"]
    assert (out["n_quantiles"] == 5).all()
    # deterministic point estimate, checked by hand: slope of a least-squares line through the
    # five points at relative ranks 0.1..0.9 (equal shares); SII = slope (linear, no transform)
    lin = sii(_imd().query("sex == 'males'"), quantile="quintile", repetitions=1000, seed=1)
    x = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    y = np.array([252.9, 135.0, 84.8, 59.1, 36.8])
    assert lin["sii"].iloc[0] == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-12)


def test_sii_seed_reproducible_and_reliability():
    d = _imd().query("sex == 'females'")
    d = d.rename(columns={"quintile": "quantile"})
    a = sii(d, repetitions=2000, seed=7, reliability=True)
    b = sii(d, repetitions=2000, seed=7, reliability=True)
    pd.testing.assert_frame_equal(a, b)
    assert {"sii_mad", "rii_mad"} <= set(a.columns)
    assert 0 < a["sii_mad"].iloc[0] < (a["sii_ucl"] - a["sii_lcl"]).iloc[0] / 5
    c = sii(d, repetitions=2000, seed=8)
    assert c["sii_lcl"].iloc[0] != a["sii_lcl"].iloc[0]
    assert "rii" not in sii(d, repetitions=1000, rii=False, seed=1).columns


def test_sii_unequal_numbers_of_quantiles_are_padded():
    d = _imd()
    four = d[~((d.sex == "females") & (d.quintile == 5))]
    out = sii(four, quantile="quintile", by="sex", repetitions=1000, seed=1).set_index("sex")
    alone = sii(four[four.sex == "females"], quantile="quintile", repetitions=1000, seed=1)
    assert out.loc["females", "n_quantiles"] == 4
    assert out.loc["females", "sii"] == pytest.approx(alone["sii"].iloc[0], rel=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.iloc[:1], "1 quantile\\(s\\) with data"),
        (lambda d: d.assign(population=[1.0, 0, 1, 1, 1]), "no positive population"),
        (lambda d: d.assign(rate=[1.0, np.nan, 1, 1, 1]), "has no value"),
        (lambda d: d.assign(rate=[1.0, -2, 1, 1, 1]), "not positive"),
        (lambda d: d.assign(lcl=[1.0, np.nan, 1, 1, 1]), "missing confidence limit"),
        (lambda d: d.assign(quintile=[1, 1, 3, 4, 5]), "appears twice"),
    ],
)
def test_sii_bad_input_names_the_group(change, message):
    d = change(_imd().query("sex == 'males'"))
    with pytest.raises(ValueError, match=message) as err:
        sii(d, quantile="quintile", by="sex", repetitions=1000)
    assert "sex='males'" in str(err.value)


def test_sii_bad_arguments():
    d = _imd().query("sex == 'males'")
    with pytest.raises(ValueError, match="repetitions"):
        sii(d, quantile="quintile", repetitions=10)
    with pytest.raises(ValueError, match="value_type"):
        sii(d, quantile="quintile", value_type="ratio")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="did you mean"):
        sii(d, quantile="quintile", conf=95)
    with pytest.raises(ValueError, match="proportion"):
        sii(d, quantile="quintile", value_type="proportion", repetitions=1000)
