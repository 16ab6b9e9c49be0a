"""Tests of overdose_trends.stats.trends.comparability (Kim et al. 2004 comparability tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from overdose_trends.stats.trends.comparability import JoinpointComparison, compare_joinpoint
from overdose_trends.stats.trends.joinpoint import fit_joinpoint

YEARS = np.arange(2001, 2021)  # 20 years


def two_series(
    seed: int, *, ratio: float = 2.0, apcs_b=(6.0, -3.0), population: int = 2_000_000
) -> pd.DataFrame:
    """Poisson deaths of two areas; area A: 6% a year then -3% from 2010; B: ``apcs_b``."""
    rng = np.random.default_rng(seed)
    frames = []
    for area, scale, apcs in (("A", 1.0, (6.0, -3.0)), ("B", ratio, apcs_b)):
        b1, b2 = np.log1p(np.asarray(apcs) / 100)
        log_rate = (
            np.log(10.0 * scale) + b1 * (YEARS - 2001) + (b2 - b1) * np.maximum(YEARS - 2010, 0)
        )
        deaths = rng.poisson(np.exp(log_rate) * population / 100_000)
        frames.append(
            pd.DataFrame({"area": area, "year": YEARS, "deaths": deaths, "population": population})
        )
    return pd.concat(frames, ignore_index=True)


def fit_two(table: pd.DataFrame, **kwargs):
    return fit_joinpoint(table, count="deaths", population="population", by="area",
                         method="bic", max_joinpoints=1, **kwargs)  # fmt: skip


def test_statistic_is_the_ratio_of_best_sses_by_hand() -> None:
    table = two_series(1, apcs_b=(6.0, 0.0))
    fit = fit_two(table, min_joinpoints=1)
    t = YEARS.astype(float)
    y = {a: np.log(g["deaths"] / g["population"]).to_numpy() for a, g in table.groupby("area")}
    w = {a: g["deaths"].to_numpy(float) for a, g in table.groupby("area")}
    taus = range(2003, 2019)  # two points to either end

    def sse(yv, wv, design):
        return sm.WLS(yv, design, weights=wv).fit().ssr

    def hinge(tt, tau):
        return np.column_stack([np.ones_like(tt), tt, np.maximum(tt - tau, 0)])

    separate = sum(min(sse(y[a], w[a], hinge(t, tau)) for tau in taus) for a in "AB")
    t2 = np.concatenate([t, t])
    y2, w2 = np.concatenate([y["A"], y["B"]]), np.concatenate([w["A"], w["B"]])
    group = np.repeat([0.0, 1.0], len(t))
    coincident = min(sse(y2, w2, hinge(t2, tau)) for tau in taus)
    parallel = min(sse(y2, w2, np.column_stack([hinge(t2, tau), group])) for tau in taus)
    for test, common in (("coincident", coincident), ("parallel", parallel)):
        res = compare_joinpoint(fit, test=test, n_permutations=99, seed=1)
        row = res.table.iloc[0]
        assert row["k"] == 1
        assert row["statistic"] == pytest.approx(common / separate, rel=1e-9)


def test_parallel_series_with_a_constant_ratio() -> None:
    rejected_parallel = 0
    for seed in range(12):
        fit = fit_two(two_series(100 + seed))
        par = compare_joinpoint(fit, test="parallel", n_permutations=199, seed=seed)
        rejected_parallel += bool(par.table["reject"].iloc[0])
        assert par.table["rate_ratio"].iloc[0] == pytest.approx(2.0, rel=0.05)
        coin = compare_joinpoint(fit, test="coincident", n_permutations=199, seed=seed)
        assert coin.table["reject"].iloc[0]  # rates twice as high: not the same line
        assert np.isnan(coin.table["rate_ratio"].iloc[0])
    assert rejected_parallel <= 2  # level 0.05 (about 0.6 expected of 12)


def test_diverging_series_are_not_parallel() -> None:
    for seed in range(4):
        fit = fit_two(two_series(200 + seed, apcs_b=(6.0, 4.0)))
        res = compare_joinpoint(fit, test="parallel", n_permutations=199, seed=seed)
        assert res.table["reject"].iloc[0]
        assert res.table["p_value"].iloc[0] == pytest.approx(1 / 200)
        assert res.table["conclusion"].iloc[0] == "not parallel (p < 0.05)"


def test_result_layout_and_display() -> None:
    fit = fit_two(two_series(5))
    res = compare_joinpoint(fit, n_permutations=199, seed=2)
    assert isinstance(res, JoinpointComparison)
    assert list(res.table.columns) == [
        "test", "series_a", "series_b", "k", "joinpoints", "rate_ratio", "statistic",
        "p_value", "p_se", "n_permutations", "alpha", "reject", "near_level", "conclusion",
    ]  # fmt: skip
    row = res.table.iloc[0]
    assert (row["series_a"], row["series_b"]) == ("area='A'", "area='B'")
    p = row["p_value"]
    assert row["p_se"] == pytest.approx(np.sqrt(p * (1 - p) / row["n_permutations"]))
    assert len(row["joinpoints"]) == row["k"]
    assert list(res.summary().columns)[:4] == ["test", "series_a", "series_b", "k"]
    text = repr(res)
    assert text.startswith("JoinpointComparison: test of parallel joinpoint models")
    assert "Notes:" in text and "<table" in res._repr_html_()
    # the same seed gives the same answer; two single-series fits give the same test
    again = compare_joinpoint(fit, n_permutations=199, seed=2)
    pd.testing.assert_frame_equal(res.table, again.table)
    table = two_series(5)
    one = [fit_joinpoint(table[table["area"] == a], count="deaths", population="population",
                         method="bic", max_joinpoints=1) for a in "AB"]  # fmt: skip
    pair = compare_joinpoint(one[0], one[1], n_permutations=199, seed=2)
    assert pair.table["statistic"].iloc[0] == pytest.approx(row["statistic"], rel=1e-12)
    assert pair.table["series_a"].iloc[0] == "first fit"


def test_choosing_two_of_several_series() -> None:
    table = pd.concat([two_series(7), two_series(8).assign(area=lambda d: d["area"] + "2")])
    fit = fit_two(table)
    with pytest.raises(ValueError, match="the fit has 4 series; pass series="):
        compare_joinpoint(fit)
    res = compare_joinpoint(fit, series=("A", "B2"), n_permutations=99, seed=1)
    assert tuple(res.table[["series_a", "series_b"]].iloc[0]) == ("area='A'", "area='B2'")
    with pytest.raises(ValueError, match="no series 'C' in the fit"):
        compare_joinpoint(fit, series=("A", "C"))


def test_series_of_unequal_length_are_refused_with_the_fix() -> None:
    table = two_series(9)
    table = table[~((table["area"] == "B") & (table["year"] < 2004))]
    fit = fit_two(table)
    with pytest.raises(
        ValueError,
        match=r"area='A' has 20 time points \(2001 to 2020\) and area='B' has 17 \(2004 to "
        r"2020\); the comparability tests need both series on the same time points: fit both "
        r"on their common times \(2004 to 2020\)",
    ):
        compare_joinpoint(fit)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"test": "identical"}, "test"),
        ({"n_permutations": 10}, "too few to reject"),
        ({"alpha": 0}, "alpha must be between 0 and 1"),
        ({"max_permutations": 5}, "max_permutations must be a whole number"),
    ],
)
def test_bad_arguments(kwargs, match) -> None:
    fit = fit_two(two_series(3))
    with pytest.raises(ValueError, match=match):
        compare_joinpoint(fit, **kwargs)
