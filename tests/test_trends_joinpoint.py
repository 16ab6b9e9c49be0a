"""Tests of overdose_trends.stats.trends.joinpoint against published and hand-computed values."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from overdose_trends.stats.trends._args import check_jobs
from overdose_trends.stats.trends._joinpoint_grid import (
    Basis,
    candidate_grid,
    max_feasible_joinpoints,
)
from overdose_trends.stats.trends.joinpoint import JoinpointFit, fit_joinpoint

# ---------------------------------------------------------------------------
# Published NCI Joinpoint output.
# Source: GitHub UK-Generations-Study/UK-cancer-trends. Input: "Data/Cleaned Data/
# Cancer_Mortality_Data_Rolling.csv", column ASR_rolling (3-year rolling
# age-standardised cancer mortality rates, England, 2002-2018, as stored in the CSV).
# Output: "Data/Cleaned Data/Joinpoint Output/Cancer_Mortality_Data_Rolling_Joinpoint.txt"
# (NCI Joinpoint run 12/08/2024; README: constant variance, log-linear, joinpoints on
# the data points): joinpoint years ("Flag"), segment APCs ("APC", 4 decimals) and the
# fitted values ("Model", 2 decimals) of the final selected model.
# ---------------------------------------------------------------------------
NCI_YEARS = list(range(2002, 2019))
NCI_INPUT = {
    "all_men": [
        388.6, 383.466666666667, 376.466666666667, 370.833333333333, 365.566666666667,
        361.866666666667, 357.2, 353.066666666667, 348.633333333333, 345.866666666667,
        342.266666666667, 338.066666666667, 333.133333333333, 328.633333333333,
        324.033333333333, 318.566666666667, 313.066666666667,
    ],
    "all_women": [
        254.366666666667, 251.633333333333, 248.6, 246.066666666667, 245.166666666667,
        244.033333333333, 241.9, 239.233333333333, 237.033333333333, 236.166666666667,
        234.3, 231.533333333333, 228.666666666667, 227.233333333333, 224.833333333333,
        222.133333333333, 218.466666666667,
    ],
    "breast_women": [
        44.7333333333333, 43.7, 42.7333333333333, 42.0333333333333, 41.2333333333333, 40.5,
        39.4, 38.4666666666667, 37.5, 36.9, 36.2333333333333, 35.4, 34.7, 34.3, 33.9,
        33.4666666666667, 32.8333333333333,
    ],
    "colorectal_women": [
        24.9333333333333, 24.7666666666667, 24.3666666666667, 24.1333333333333,
        23.8666666666667, 23.6, 23.1, 22.5666666666667, 22.1333333333333, 22.1, 21.9,
        21.6666666666667, 21.3333333333333, 21.3, 21.1333333333333, 21, 20.8333333333333,
    ],
    "lung_men": [
        93.3333333333333, 90.6333333333333, 88.3, 86.6, 85.4333333333333, 84.6333333333333,
        83.3, 81.6, 79.4666666666667, 77.3, 75.8, 74.2333333333333, 72.5, 70.6333333333333,
        68.2666666666667, 66.1, 63.6333333333333,
    ],
    "lung_women": [
        45.4, 45.5, 45.8333333333333, 46.4666666666667, 47.6666666666667, 48.6666666666667,
        48.9, 48.9333333333333, 48.6666666666667, 48.7333333333333, 48.6333333333333,
        48.5333333333333, 48.3, 47.8666666666667, 47.1, 45.9, 44.6666666666667,
    ],
    "oesophageal_women": [
        8.66666666666667, 8.66666666666667, 8.5, 8.36666666666667, 8.26666666666667,
        8.13333333333333, 7.96666666666667, 7.83333333333333, 7.66666666666667,
        7.53333333333333, 7.43333333333333, 7.4, 7.33333333333333, 7.26666666666667,
        7.03333333333333, 6.9, 6.86666666666667,
    ],
    "pancreatic_men": [
        15.8666666666667, 15.8666666666667, 15.8666666666667, 16, 16.1666666666667,
        16.3666666666667, 16.4333333333333, 16.3333333333333, 16.5333333333333,
        16.7333333333333, 16.9, 16.8666666666667, 16.7333333333333, 17.1, 17.1666666666667,
        17.4, 17.1333333333333,
    ],
}  # fmt: skip
NCI_OUTPUT = {  # joinpoints, APCs (%)
    "all_men": ((2006, 2013), (-1.5527, -1.0906, -1.4960)),
    "all_women": ((2013,), (-0.8012, -1.1203)),
    "breast_women": ((2007, 2010, 2014), (-1.9573, -2.4128, -1.9059, -1.3555)),
    "colorectal_women": ((2007, 2010), (-1.1386, -2.0377, -0.7896)),
    "lung_men": ((2004, 2008, 2015), (-2.8662, -1.3800, -2.3120, -3.4150)),
    "lung_women": ((2004, 2007, 2015), (0.2669, 2.3303, -0.1701, -2.4981)),
    "oesophageal_women": ((), (-1.5177,)),
    "pancreatic_men": ((), (0.5834,)),
}
NCI_FITTED = {  # "Model" column
    "all_men": [
        388.85, 382.81, 376.87, 371.01, 365.25, 361.27, 357.33, 353.43, 349.58, 345.76,
        341.99, 338.26, 333.20, 328.22, 323.31, 318.47, 313.71,
    ],
    "breast_women": [
        44.61, 43.74, 42.88, 42.04, 41.22, 40.41, 39.44, 38.49, 37.56, 36.84, 36.14, 35.45,
        34.77, 34.30, 33.84, 33.38, 32.93,
    ],
    "lung_men": [
        93.32, 90.65, 88.05, 86.84, 85.64, 84.46, 83.29, 81.37, 79.48, 77.65, 75.85, 74.10,
        72.38, 70.71, 68.30, 65.96, 63.71,
    ],
    "oesophageal_women": [
        8.74, 8.61, 8.48, 8.35, 8.22, 8.10, 7.97, 7.85, 7.73, 7.62, 7.50, 7.39, 7.27, 7.16,
        7.05, 6.95, 6.84,
    ],
}  # fmt: skip


def nci_table(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site": np.repeat(names, len(NCI_YEARS)),
            "year": np.tile(NCI_YEARS, len(names)),
            "rate": np.concatenate([NCI_INPUT[s] for s in names]),
        }
    )


@pytest.mark.parametrize("site", sorted(NCI_OUTPUT))
def test_matches_published_nci_joinpoint_output(site: str) -> None:
    joinpoints, apcs = NCI_OUTPUT[site]
    k = len(joinpoints)
    fit = fit_joinpoint(
        nci_table([site]),
        rate="rate",
        variance="constant",
        min_joinpoints=k,
        max_joinpoints=k,
    )
    assert fit.models["joinpoints"].iloc[0] == joinpoints
    np.testing.assert_allclose(fit.segments["apc"].round(4), apcs, atol=1e-9)
    if site in NCI_FITTED:
        np.testing.assert_allclose(fit.fitted["fitted"].round(2), NCI_FITTED[site], atol=1e-9)


def test_nci_series_together_by_site() -> None:
    names = sorted(NCI_OUTPUT)
    table = nci_table(names)
    fits = [
        fit_joinpoint(
            table[table["site"].isin([s for s in names if len(NCI_OUTPUT[s][0]) == k])],
            rate="rate",
            by="site",
            variance="constant",
            min_joinpoints=k,
            max_joinpoints=k,
        )
        for k in range(4)
    ]
    models = pd.concat([f.models for f in fits]).set_index("site")
    for site in names:
        assert models.loc[site, "joinpoints"] == NCI_OUTPUT[site][0]
    segments = pd.concat([f.segments for f in fits])
    for site, group in segments.groupby("site"):
        np.testing.assert_allclose(group["apc"].round(4), NCI_OUTPUT[site][1], atol=1e-9)
        assert list(group["start"]) == [2002, *NCI_OUTPUT[site][0]]
        assert list(group["end"]) == [*NCI_OUTPUT[site][0], 2018]


# ---------------------------------------------------------------------------
# Grid search: candidate sets and the fast SSEs.
# ---------------------------------------------------------------------------


def test_candidate_grid_respects_nci_spacing() -> None:
    grid = candidate_grid(17, 3, 2, 2)
    # positions 2..14 (two points before / after), >= 2 points between joinpoints
    assert grid.tuples[0][:, 0].tolist() == list(range(2, 15))
    for k in (2, 3):
        sets = grid.tuples[k - 1]
        assert (np.diff(sets, axis=1) >= 3).all()
        assert sets.min() >= 2 and sets.max() <= 14
    # count of 3-sets: choose 3 of 13 positions with gaps >= 3 -> C(13 - 4, 3)
    assert grid.tuples[2].shape[0] == math.comb(9, 3)
    # NCI: minimum observations = 2 * end + (k - 1) * between + k
    assert max_feasible_joinpoints(17, 2, 2) == 5
    assert max_feasible_joinpoints(10, 2, 2) == 2
    assert max_feasible_joinpoints(7, 2, 2) == 1
    assert max_feasible_joinpoints(4, 2, 2) == 0


def test_fast_sse_equals_statsmodels_wls() -> None:
    rng = np.random.default_rng(11)
    n = 22
    t = np.arange(2000, 2000 + n, dtype=float)
    w = rng.uniform(30, 900, n)
    y = np.log(50 * np.exp(0.04 * (t - 2000) - 0.1 * np.maximum(t - 2010, 0))) + rng.normal(
        0, 1 / np.sqrt(w)
    )
    grid = candidate_grid(n, 3, 2, 2)
    every = Basis(grid, w).all_sse(np.sqrt(w) * y, 3)
    ols = sm.WLS(y, np.column_stack([np.ones(n), t]), weights=w).fit()
    assert every[0][0] == pytest.approx(ols.ssr, rel=1e-10)
    for k, row in [(1, 0), (1, 7), (2, 15), (2, 100), (3, 0), (3, 123), (3, -1)]:
        taus = t[grid.tuples[k - 1][row]]
        design = np.column_stack([np.ones(n), t, *[np.maximum(t - tau, 0) for tau in taus]])
        ssr = sm.WLS(y, design, weights=w).fit().ssr
        assert every[k][row] == pytest.approx(ssr, rel=1e-9)


def test_fast_sse_uses_the_times_when_unequally_spaced() -> None:
    # half-year steps at the start (allowed: no gap is longer than a year)
    t = np.array([2000, 2000.5, 2001, 2001.5, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009.0])
    n = t.size
    rng = np.random.default_rng(5)
    w = rng.uniform(30, 900, n)
    y = 0.03 * t + rng.normal(0, 0.05, n)
    grid = candidate_grid(n, 2, 2, 2)
    every = Basis(grid, w, t).all_sse(np.sqrt(w) * y, 2)
    for k, row in [(1, 0), (1, 3), (2, 0), (2, 5)]:
        taus = t[grid.tuples[k - 1][row]]
        design = np.column_stack([np.ones(n), t, *[np.maximum(t - tau, 0) for tau in taus]])
        assert every[k][row] == pytest.approx(sm.WLS(y, design, weights=w).fit().ssr, rel=1e-9)


def test_unequally_spaced_series_recovers_its_joinpoint() -> None:
    # log rate exactly piecewise linear in time: +5 %/year to 2004, -4 %/year after
    t = np.array([2000, 2000.5, 2001, 2001.5, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009.0])
    log_rate = (
        np.log(20) + np.log(1.05) * (t - 2000) + np.log(0.96 / 1.05) * np.maximum(t - 2004, 0)
    )
    table = pd.DataFrame({"year": t, "rate": np.exp(log_rate)})
    fit = fit_joinpoint(table, rate="rate", variance="constant", min_joinpoints=1, max_joinpoints=1)
    assert fit.models["joinpoints"].iloc[0] == (2004.0,)
    np.testing.assert_allclose(fit.segments["apc"], [5.0, -4.0], rtol=1e-9)
    np.testing.assert_allclose(fit.fitted["fitted"], table["rate"], rtol=1e-9)
    # with noise: the grid search's SSE of the chosen set is that of the refitted model
    noisy = table.assign(rate=table["rate"] * np.exp(np.random.default_rng(1).normal(0, 0.02, 12)))
    fit = fit_joinpoint(noisy, rate="rate", variance="constant", max_joinpoints=2, method="bic")
    for k in (0, 1, 2):
        best = fit_joinpoint(noisy, rate="rate", variance="constant", min_joinpoints=k,
                         max_joinpoints=k, method="bic")  # fmt: skip
        assert best.models["sse"].iloc[0] == pytest.approx(best.results[()].ssr, rel=1e-9)
        cand = fit.selection[fit.selection["k"] == k].iloc[0]
        assert cand["sse"] == pytest.approx(best.results[()].ssr, rel=1e-9)


# ---------------------------------------------------------------------------
# Single segment: the weighted least-squares closed form.
# ---------------------------------------------------------------------------


def closed_form(t, y, w):
    """WLS slope and its standard error (SEER*Stat "Calculating APC with Weighting")."""
    tbar = np.sum(w * t) / np.sum(w)
    ybar = np.sum(w * y) / np.sum(w)
    b = np.sum(w * (t - tbar) * (y - ybar)) / np.sum(w * (t - tbar) ** 2)
    a = ybar - b * tbar
    s2 = np.sum(w * (y - a - b * t) ** 2) / (t.size - 2)
    se = math.sqrt(s2 / np.sum(w * (t - tbar) ** 2))
    return b, se


@pytest.mark.parametrize("ci_method", ["lerman", "continuous"])
def test_single_segment_apc_is_weighted_least_squares(ci_method: str) -> None:
    deaths = np.array([120, 131, 128, 150, 149, 163, 170, 168, 185, 201, 197, 215])
    pop = np.array([9.1, 9.2, 9.2, 9.3, 9.4, 9.4, 9.5, 9.6, 9.6, 9.7, 9.8, 9.9]) * 1e5
    years = np.arange(2008, 2020)
    table = pd.DataFrame({"year": years, "deaths": deaths, "population": pop})
    fit = fit_joinpoint(table, count="deaths", population="population", max_joinpoints=0,
                    ci_method=ci_method)  # fmt: skip
    y = np.log(deaths / pop * 100_000)
    b, se = closed_form(years.astype(float), y, deaths.astype(float))
    tq = stats.t.ppf(0.975, years.size - 2)
    seg = fit.segments.iloc[0]
    assert seg["slope"] == pytest.approx(b, rel=1e-10)
    assert seg["slope_se"] == pytest.approx(se, rel=1e-8)
    assert seg["apc"] == pytest.approx(100 * (math.exp(b) - 1), rel=1e-10)
    assert seg["apc_lcl"] == pytest.approx(100 * (math.exp(b - tq * se) - 1), rel=1e-8)
    assert seg["apc_ucl"] == pytest.approx(100 * (math.exp(b + tq * se) - 1), rel=1e-8)
    assert seg["p_value"] == pytest.approx(2 * stats.t.sf(abs(b / se), years.size - 2), rel=1e-6)
    assert fit.models["df"].iloc[0] == years.size - 2
    assert fit.scale == "rate" and fit.per == 100_000
    # AAPC of a single segment is its APC, with the same interval
    aapc = fit.aapc()
    for col, ref in [("aapc", "apc"), ("aapc_lcl", "apc_lcl"), ("aapc_ucl", "apc_ucl")]:
        assert aapc[col].iloc[0] == pytest.approx(seg[ref], rel=1e-12)
    assert aapc["p_value"].iloc[0] == pytest.approx(seg["p_value"], rel=1e-9)
    assert (aapc["start"].iloc[0], aapc["end"].iloc[0]) == (2008, 2019)


def test_rate_with_limits_weights_are_inverse_log_variance() -> None:
    # rates with 95% limits: se(log rate) = (log ucl - log lcl) / (2 * 1.959964)
    years = np.arange(2001, 2011)
    rate = np.array([40.1, 41.0, 43.5, 44.0, 45.9, 47.2, 47.0, 49.8, 51.5, 52.0])
    lcl = rate * np.array([0.90, 0.92, 0.91, 0.93, 0.90, 0.94, 0.92, 0.95, 0.93, 0.91])
    ucl = rate * np.array([1.11, 1.08, 1.10, 1.07, 1.09, 1.06, 1.08, 1.05, 1.07, 1.10])
    table = pd.DataFrame({"year": years, "rate": rate, "lcl": lcl, "ucl": ucl})
    fit = fit_joinpoint(table, rate="rate", lcl="lcl", ucl="ucl", max_joinpoints=0)
    se_log = (np.log(ucl) - np.log(lcl)) / (2 * stats.norm.ppf(0.975))
    b, se = closed_form(years.astype(float), np.log(rate), 1 / se_log**2)
    assert fit.segments["slope"].iloc[0] == pytest.approx(b, rel=1e-10)
    assert fit.segments["slope_se"].iloc[0] == pytest.approx(se, rel=1e-8)
    assert fit.models["variance"].iloc[0] == "se"
    np.testing.assert_allclose(fit.fitted["observed"], rate)


def test_monthly_series_reports_apc_per_year() -> None:
    months = pd.date_range("2019-01-01", periods=24, freq="MS")
    rng = np.random.default_rng(3)
    counts = rng.poisson(200 * np.exp(0.01 * np.arange(24)))
    table = pd.DataFrame({"month": months, "kits": counts})
    fit = fit_joinpoint(table, time="month", count="kits", max_joinpoints=0)
    b, se = closed_form(np.arange(24.0), np.log(counts), counts.astype(float))
    assert fit.time_unit == "month" and fit.scale == "count"
    assert fit.segments["apc"].iloc[0] == pytest.approx(100 * (math.exp(12 * b) - 1), rel=1e-9)
    tq = stats.t.ppf(0.975, 22)
    assert fit.segments["apc_lcl"].iloc[0] == pytest.approx(
        100 * (math.exp(12 * (b - tq * se)) - 1), rel=1e-8
    )
    half = fit.aapc(start="2019-01-01", end="2019-07-01")  # within the one segment
    assert half["aapc"].iloc[0] == pytest.approx(fit.segments["apc"].iloc[0], rel=1e-12)


# ---------------------------------------------------------------------------
# AAPC by hand (Clegg et al. 2009) on a two-segment fit.
# ---------------------------------------------------------------------------


def two_segment_table() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    years = np.arange(1995, 2020)
    log_rate = (
        np.log(20.0)
        + np.log(1.05) * (years - 1995)
        + (np.log(0.96) - np.log(1.05)) * np.maximum(years - 2006, 0)
    )
    pop = 5_000_000
    deaths = rng.poisson(np.exp(log_rate) * pop / 100_000)
    return pd.DataFrame({"year": years, "deaths": deaths, "population": pop})


def test_aapc_by_hand_continuous_covariance() -> None:
    table = two_segment_table()
    fit = fit_joinpoint(table, count="deaths", population="population", min_joinpoints=1,
                    max_joinpoints=1, ci_method="continuous")  # fmt: skip
    assert fit.models["joinpoints"].iloc[0] == (2006,)
    res = fit.results[()]
    n = len(table)
    cov = np.asarray(res.cov_params()) * (res.ssr / (n - 4)) / res.scale  # sigma^2 = SSE/(n-p)
    lmat = np.array([[0, 1, 0], [0, 1, 1]])  # slopes b1 and b1 + d1
    b = lmat @ np.asarray(res.params)
    c = lmat @ cov @ lmat.T
    # AAPC 2000-2015: 6 years in segment 1 (2000-2006), 9 in segment 2 (2006-2015)
    w = np.array([6.0, 9.0]) / 15.0
    slope = w @ b
    se = math.sqrt(w @ c @ w)
    z = stats.norm.ppf(0.975)
    out = fit.aapc(2000, 2015).iloc[0]
    assert out["aapc"] == pytest.approx(100 * math.expm1(slope), rel=1e-10)
    assert out["aapc_lcl"] == pytest.approx(100 * math.expm1(slope - z * se), rel=1e-8)
    assert out["aapc_ucl"] == pytest.approx(100 * math.expm1(slope + z * se), rel=1e-8)
    assert out["p_value"] == pytest.approx(2 * stats.norm.sf(abs(slope / se)), rel=1e-6)
    # the slopes' correlation matters here: ignoring it would change the interval
    assert abs(c[0, 1]) > 0.05 * math.sqrt(c[0, 0] * c[1, 1])
    # segment APC intervals use t with n - p = n - 4 degrees of freedom
    seg = fit.segments
    np.testing.assert_allclose(seg["slope_se"], np.sqrt(np.diag(c)), rtol=1e-8)
    tq = stats.t.ppf(0.975, n - 4)
    np.testing.assert_allclose(seg["apc_ucl"], 100 * np.expm1(b + tq * np.sqrt(np.diag(c))))


def test_aapc_by_hand_lerman_segments() -> None:
    table = two_segment_table()
    fit = fit_joinpoint(table, count="deaths", population="population", min_joinpoints=1,
                    max_joinpoints=1)  # fmt: skip
    seg = fit.segments
    # Lerman/NCI: each segment's slope SE from an unconstrained fit without the
    # joinpoint (2006), common residual variance, df = n - k - 2(k + 1) = 25 - 1 - 4.
    y = np.log(table["deaths"] / table["population"] * 1e5).to_numpy()
    t = table["year"].to_numpy(float)
    w = table["deaths"].to_numpy(float)
    keep = t != 2006
    first = (t < 2006)[keep].astype(float)
    design = np.column_stack([first, first * t[keep], 1 - first, (1 - first) * t[keep]])
    gp = sm.WLS(y[keep], design, weights=w[keep]).fit()
    np.testing.assert_allclose(seg["slope_se"], gp.bse[[1, 3]], rtol=1e-8)
    assert fit.models["df"].iloc[0] == 20
    # AAPC 2000-2015, independent slopes: var = (6/15)^2 v1 + (9/15)^2 v2
    slope = (6 * seg["slope"].iloc[0] + 9 * seg["slope"].iloc[1]) / 15
    se = math.sqrt(((6 / 15) * gp.bse[1]) ** 2 + ((9 / 15) * gp.bse[3]) ** 2)
    out = fit.aapc(2000, 2015).iloc[0]
    z = stats.norm.ppf(0.975)
    assert out["aapc"] == pytest.approx(100 * math.expm1(slope), rel=1e-10)
    assert out["aapc_lcl"] == pytest.approx(100 * math.expm1(slope - z * se), rel=1e-8)
    # within segment 2 the AAPC is its APC with its t interval
    within = fit.aapc(2010, 2019).iloc[0]
    for col, ref in [("aapc", "apc"), ("aapc_lcl", "apc_lcl"), ("aapc_ucl", "apc_ucl")]:
        assert within[col] == pytest.approx(seg[ref].iloc[1], rel=1e-12)


def test_aapc_range_outside_data_names_series() -> None:
    fit = fit_joinpoint(two_segment_table().assign(area="E1"), count="deaths",
                    population="population", by="area", max_joinpoints=0)  # fmt: skip
    with pytest.raises(ValueError, match="area='E1'"):
        fit.aapc(1990, 2000)


# ---------------------------------------------------------------------------
# Simulations: known joinpoint and APCs.
# ---------------------------------------------------------------------------


def simulate(
    n_seeds: int, apcs=(5.0, -4.0), joinpoint_year=2006, seed0=0, population=10_000_000
) -> pd.DataFrame:
    """Poisson deaths, 1995-2019, rate 20 per 100,000 in 1995 changing at ``joinpoint_year``."""
    years = np.arange(1995, 2020)  # 25 years, change at the 12th
    b1, b2 = np.log1p(np.asarray(apcs) / 100)
    after = np.maximum(years - joinpoint_year, 0)
    log_rate = np.log(20.0) + b1 * (years - 1995) + (b2 - b1) * after
    expected = np.exp(log_rate) * population / 100_000  # ~2000 deaths a year by default
    frames = []
    for s in range(seed0, seed0 + n_seeds):
        deaths = np.random.default_rng(s).poisson(expected)
        frames.append(
            pd.DataFrame({"seed": s, "year": years, "deaths": deaths, "population": population})
        )
    return pd.concat(frames, ignore_index=True)


def coverage(fit: JoinpointFit) -> list[float]:
    """Share of seeds whose APC interval covers the true APC, segment 1 and 2."""
    seg = fit.segments
    truth = np.where(seg["segment"] == 1, 5.0, -4.0)
    covered = (seg["apc_lcl"] <= truth) & (truth <= seg["apc_ucl"])
    return [float(covered[seg["segment"] == s].mean()) for s in (1, 2)]


def test_simulated_joinpoint_location_recovered_by_permutation_test() -> None:
    fit = fit_joinpoint(simulate(50), count="deaths", population="population", by="seed", seed=1)
    found = fit.models["joinpoints"]
    assert (found == (2006,)).mean() >= 0.8
    assert (fit.models["selection"] == "permutation").all()
    assert (fit.models["max_joinpoints"] == 3).all()
    # the first test, 0 vs 3 joinpoints, is at level 0.05 / 3 and rejects every time
    first = fit.selection[fit.selection["test"] == "0 vs 3"]
    assert len(first) == 50 and first["reject"].all()
    np.testing.assert_allclose(first["alpha_level"], 0.05 / 3)


def test_simulated_joinpoint_location_recovered_by_bic() -> None:
    fit = fit_joinpoint(simulate(50), count="deaths", population="population", by="seed",
                    method="bic")  # fmt: skip
    assert (fit.models["joinpoints"] == (2006,)).mean() >= 0.8
    assert fit.selection["test"].eq("").all()  # no tests with BIC


def test_apc_interval_coverage_near_nominal_when_location_is_clear() -> None:
    # ~2000 deaths a year: the joinpoint is found exactly, and the interval given the
    # joinpoint (ci_method="continuous") covers the true APCs at about 95%.
    table = simulate(400, seed0=1000)
    fit = fit_joinpoint(table, count="deaths", population="population", by="seed",
                    min_joinpoints=1, max_joinpoints=1, ci_method="continuous")  # fmt: skip
    assert (fit.models["joinpoints"] == (2006,)).mean() >= 0.95
    for rate in coverage(fit):
        assert 0.92 <= rate <= 0.98, rate
    # NCI's Lerman intervals are wider (segment SEs from unconstrained fits): conservative
    lerman = fit_joinpoint(table, count="deaths", population="population", by="seed",
                       min_joinpoints=1, max_joinpoints=1)  # fmt: skip
    for rate in coverage(lerman):
        assert 0.95 <= rate <= 1.0, rate


def test_lerman_coverage_holds_when_location_is_uncertain() -> None:
    # ~40 deaths a year (a local authority): the joinpoint moves between seeds; the
    # interval given the joinpoint under-covers, NCI's Lerman interval stays near 95%.
    table = simulate(400, seed0=3000, population=200_000)
    common = dict(count="deaths", population="population", by="seed", min_joinpoints=1,
                  max_joinpoints=1)  # fmt: skip
    lerman = coverage(fit_joinpoint(table, **common))
    given = coverage(fit_joinpoint(table, ci_method="continuous", **common))
    for rate_lerman, rate_given in zip(lerman, given, strict=True):
        assert 0.88 <= rate_lerman <= 0.98, lerman
        assert rate_given < rate_lerman


def test_no_joinpoint_series_selects_zero_in_most_seeds() -> None:
    fit = fit_joinpoint(simulate(100, apcs=(3.0, 3.0), seed0=500), count="deaths",
                    population="population", by="seed", seed=7)  # fmt: skip
    share_zero = (fit.models["n_joinpoints"] == 0).mean()
    assert share_zero >= 0.90  # overall over-fitting probability is bounded by alpha = 0.05


def test_early_stop_gives_the_full_tests_decisions() -> None:
    # 18 series with slope changes from none to moderate (APC 3% then 2%, 2.8% or 3.6%)
    table = pd.concat(
        [simulate(6, apcs=(3.0, 2.0 + d), seed0=40 + 10 * i) for i, d in enumerate((1.0, 0.2, 0.6))]
    )
    # max_permutations=999: fixed-N tests (no refinement near the level), as NCI's
    common = dict(count="deaths", population="population", by="seed", n_permutations=999,
                  max_permutations=999, seed=3)  # fmt: skip
    full = fit_joinpoint(table, early_stop=False, **common)
    fast = fit_joinpoint(table, early_stop=True, **common)
    pd.testing.assert_series_equal(full.models["joinpoints"], fast.models["joinpoints"])
    tests_full = full.selection[full.selection["test"] != ""].reset_index(drop=True)
    tests_fast = fast.selection[fast.selection["test"] != ""].reset_index(drop=True)
    pd.testing.assert_series_equal(tests_full["reject"], tests_fast["reject"])
    assert (tests_full["n_permutations"] == 999).all()
    # full p-values are (g + 1) / (N + 1)
    g = tests_full["p_value"] * 1000 - 1
    np.testing.assert_allclose(g, np.round(g), atol=1e-9)
    stopped = tests_fast[tests_fast["n_permutations"] < 999]
    assert len(stopped) > 0
    assert (stopped["p_value"] >= stopped["alpha_level"]).all()
    assert not stopped["reject"].any()
    # Besag & Clifford (1991): stopped at the h-th exceedance after l draws, p = h / l,
    # h = ceil(level (N + 1)) for N = 999
    h = np.ceil(stopped["alpha_level"] * 1000 - 1e-9)
    np.testing.assert_allclose(stopped["p_value"] * stopped["n_permutations"], h, rtol=1e-12)


def test_selection_table_statistic_and_sequence() -> None:
    fit = fit_joinpoint(simulate(3), count="deaths", population="population", by="seed", seed=5)
    sel = fit.selection
    for _, group in sel.groupby("seed"):
        cand = group[group["test"] == ""].set_index("k")
        assert list(cand.index) == [0, 1, 2, 3]
        assert cand["chosen"].sum() == 1
        tests = group[group["test"] != ""]
        assert tests["test"].iloc[0] == "0 vs 3"
        for _, row in tests.iterrows():
            expected = cand.loc[row["k_null"], "sse"] / cand.loc[row["k"], "sse"]
            assert row["statistic"] == pytest.approx(expected, rel=1e-12)
            assert row["alpha_level"] == pytest.approx(0.05 / (3 - row["k_null"]))
        # NCI / Kim, Yu & Feuer (2009): BIC(k) = ln(SSE(k) / n) + 2 (k + 1) ln(n) / n, n = 25
        k = cand.index.to_numpy()
        bic = np.log(cand["sse"] / 25) + 2 * (k + 1) * np.log(25) / 25
        np.testing.assert_allclose(cand["bic"], bic, rtol=1e-12)
    by_bic = fit_joinpoint(simulate(3), count="deaths", population="population", by="seed",
                       method="bic")  # fmt: skip
    cand = by_bic.selection
    best = cand.loc[cand.groupby("seed")["bic"].idxmin(), "k"].to_numpy()
    np.testing.assert_array_equal(by_bic.models["n_joinpoints"], best)


def test_seeded_results_repeat_and_do_not_depend_on_n_jobs() -> None:
    table = simulate(4, apcs=(3.0, 2.0))
    a = fit_joinpoint(table, count="deaths", population="population", by="seed", seed=99)
    b = fit_joinpoint(table, count="deaths", population="population", by="seed", seed=99, n_jobs=2)
    pd.testing.assert_frame_equal(a.selection, b.selection)
    pd.testing.assert_frame_equal(a.segments, b.segments)


def test_series_in_a_batch_get_the_results_they_get_alone() -> None:
    # series of different lengths (25, 18 and 12 years), rows interleaved by year: each
    # series' permutation tests draw the same numbers, so every table row is the same
    table = simulate(3, apcs=(3.0, 1.5), seed0=60)
    table = table[~((table["seed"] == 61) & (table["year"] < 2002))]
    table = table[~((table["seed"] == 62) & (table["year"] > 2006))]
    batch = table.sort_values(["year", "seed"]).reset_index(drop=True)
    common = dict(count="deaths", population="population", by="seed", seed=4)
    fit = fit_joinpoint(batch, **common)
    # series in order of first appearance
    assert fit.models["seed"].tolist() == [60, 62, 61]
    assert fit.models["n_points"].tolist() == [25, 12, 18]
    for s in (60, 61, 62):
        one = fit_joinpoint(table[table["seed"] == s], **common)
        for name in ("models", "segments", "fitted", "selection"):
            got = getattr(fit, name)
            got = got[got["seed"] == s].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, getattr(one, name), check_exact=False, rtol=1e-9)
        aapc = fit.aapc()
        pd.testing.assert_frame_equal(aapc[aapc["seed"] == s].reset_index(drop=True), one.aapc())


# ---------------------------------------------------------------------------
# Result tables.
# ---------------------------------------------------------------------------


def test_result_tables_layout() -> None:
    table = simulate(2)
    fit = fit_joinpoint(table, count="deaths", population="population", by="seed", method="bic")
    assert isinstance(fit, JoinpointFit)
    assert list(fit.models.columns[:4]) == ["seed", "model", "variance", "n_points"]
    for col in ("max_joinpoints", "n_joinpoints", "joinpoints", "selection", "bic"):
        assert col in fit.models.columns
    assert list(fit.segments.columns[:8]) == [
        "seed", "segment", "start", "end", "apc", "apc_lcl", "apc_ucl", "p_value",
    ]  # fmt: skip
    assert list(fit.fitted.columns) == ["seed", "time", "observed", "fitted", "segment"]
    for col in ("k", "joinpoints", "sse", "bic", "test", "p_value", "alpha_level", "chosen"):
        assert col in fit.selection.columns
    assert list(fit.aapc().columns) == [
        "seed", "start", "end", "aapc", "aapc_lcl", "aapc_ucl", "p_value",
    ]  # fmt: skip
    # observed rates per 100,000; fitted values are the statsmodels fit
    obs = table["deaths"] / table["population"] * 100_000
    np.testing.assert_allclose(fit.fitted["observed"], obs)
    res = fit.results[(0,)]
    first = fit.fitted[fit.fitted["seed"] == 0]
    np.testing.assert_allclose(first["fitted"], np.exp(res.fittedvalues), rtol=1e-12)
    # segments chain: end of one is the start of the next
    for _, group in fit.segments.groupby("seed"):
        assert list(group["start"].iloc[1:]) == list(group["end"].iloc[:-1])


def test_short_series_shrink_the_maximum() -> None:
    rng = np.random.default_rng(0)
    frames = []
    for n in (7, 10, 25):
        years = np.arange(2000, 2000 + n)
        frames.append(pd.DataFrame({"n": n, "year": years, "deaths": rng.poisson(300, n)}))
    fit = fit_joinpoint(pd.concat(frames), count="deaths", by="n", method="bic")
    assert fit.models.set_index("n")["max_joinpoints"].to_dict() == {7: 1, 10: 2, 25: 3}


def test_min_segment_sets_both_spacing_limits() -> None:
    # 10 years: 2 joinpoints need 2*2 + 1*2 + 2 = 8 points with NCI's spacing of 2, but
    # 2*3 + 1*3 + 2 = 11 with a minimum segment of 3 points, so only 1 joinpoint fits.
    years = np.arange(2000, 2010)
    table = pd.DataFrame(
        {"year": years, "deaths": [300, 320, 310, 340, 360, 330, 300, 290, 280, 260]}
    )
    short = fit_joinpoint(table, count="deaths", method="bic", min_segment=3)
    both = fit_joinpoint(table, count="deaths", method="bic", min_obs_end=3, min_obs_between=3)
    assert short.models["max_joinpoints"].tolist() == [1]
    default = fit_joinpoint(table, count="deaths", method="bic")
    assert default.models["max_joinpoints"].tolist() == [2]
    pd.testing.assert_frame_equal(short.segments, both.segments)
    with pytest.raises(ValueError, match="min_segment or min_obs_end/min_obs_between"):
        fit_joinpoint(table, count="deaths", min_segment=3, min_obs_end=4)


# ---------------------------------------------------------------------------
# Bad input: the error names the series.
# ---------------------------------------------------------------------------


def two_areas() -> pd.DataFrame:
    years = np.arange(2001, 2013)
    good = pd.DataFrame({"area_code": "E1", "year": years, "deaths": 50 + np.arange(12)})
    bad = pd.DataFrame({"area_code": "E2", "year": years, "deaths": 30 + np.arange(12)})
    return pd.concat([good, bad], ignore_index=True)


def test_zero_counts_can_be_replaced_by_half() -> None:
    data = two_areas()
    data.loc[(data.area_code == "E2") & (data.year == 2007), "deaths"] = 0
    with pytest.raises(
        ValueError,
        match=r"^fit_joinpoint: series area_code='E2': column 'deaths' is 0 at year=2007 \(row "
        r"index 18\); a log-linear model cannot take log\(0\): pass zero_counts='add_half'.*"
        r"To fit the other series, leave it out, e.g. data\[~data\['area_code'\]\.isin\(\['E2'\]",
    ):
        fit_joinpoint(data, count="deaths", by="area_code", method="bic")
    fit = fit_joinpoint(data, count="deaths", by="area_code", method="bic", zero_counts="add_half")
    e2 = fit.fitted[fit.fitted["area_code"] == "E2"]
    assert e2.loc[e2["time"] == 2007, "observed"].iloc[0] == 0  # the data, not the 0.5
    assert fit.notes == (
        "1 zero count(s) replaced by 0.5 in the fit (zero_counts='add_half'); observed values "
        "keep the 0",
    )


def test_min_joinpoints_needs_enough_points() -> None:
    with pytest.raises(ValueError, match="area_code='E1'"):
        fit_joinpoint(two_areas()[lambda d: d.year < 2005], count="deaths", by="area_code",
                  min_joinpoints=1)  # fmt: skip


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "aic"},
        {"max_joinpoints": -1},
        {"min_joinpoints": 4},
        {"n_permutations": 10},
        {"alpha": 1.5},
        {"ci_method": "bootstrap"},
        {"model": "poisson"},
    ],
)
def test_bad_arguments(kwargs) -> None:
    with pytest.raises(ValueError):
        fit_joinpoint(two_areas(), count="deaths", by="area_code", **kwargs)


def test_rate_needs_se_unless_constant_variance() -> None:
    table = pd.DataFrame({"year": NCI_YEARS, "rate": NCI_INPUT["breast_women"]})
    with pytest.raises(ValueError, match="se= or both lcl= and ucl="):
        fit_joinpoint(table, rate="rate")
    fit = fit_joinpoint(table, rate="rate", variance="constant", method="bic")
    assert fit.models["variance"].iloc[0] == "constant"


def test_n_jobs_counts_back_from_all_cores_as_joblib(monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert check_jobs("fit_joinpoint", -1) == 8  # all cores
    assert check_jobs("fit_joinpoint", -2) == 7  # all but one
    assert check_jobs("fit_joinpoint", -20) == 1  # never fewer than one
    assert check_jobs("fit_joinpoint", 3) == 3
    assert check_jobs("fit_joinpoint", np.int64(2)) == 2
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one core
    assert check_jobs("fit_joinpoint", -1) == 1
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"n_jobs must be a positive whole number, or "):
            fit_joinpoint(two_areas(), count="deaths", by="area_code", n_jobs=bad)


def test_all_cores_give_the_results_of_one() -> None:
    common = dict(count="deaths", by="area_code", method="bic")
    one = fit_joinpoint(two_areas(), n_jobs=1, **common)
    every = fit_joinpoint(two_areas(), n_jobs=-1, **common)
    pd.testing.assert_frame_equal(one.segments, every.segments)
    pd.testing.assert_frame_equal(one.selection, every.selection)
