"""Interrupted time series (``overdose_trends.stats.trends.interrupted``) against outside
references.

References used:

* Closed form: without seasonal terms the Poisson segmented model
  ``b0 + b1 (t - t0) + b2 post + b3 (t - t0) post`` has score equations that split into
  two separate log-linear fits, one to the pre- and one to the post-intervention
  points (the design is block-diagonal in the two segments). Each segment is solved
  here from ``sum(y) = sum(mu)``, ``sum(t y) = sum(t mu)`` with ``scipy.optimize.brentq``
  and its covariance is the inverse of the 2x2 information matrix written out.
* Simulations with known level change, slope change, seasonality and counterfactual.
* ONS "Deaths related to drug poisoning by local authority, England and Wales, 1993
  to 2019", Table 1 (drug poisoning, persons), Southend-on-Sea (E06000033): 2015-2019
  single-year deaths 13, 6, 13, 13, 16 (total 61).

The closed form and the Southend data are in ``tests/trends_helpers.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdose_trends.stats.trends.interrupted import fit_interrupted
from tests.trends_helpers import Z95, follow_hint, poisson_line, southend, southend_norwich

# --- closed form ----------------------------------------------------------------------------


def test_poisson_segments_match_separate_closed_form_fits():
    df = southend()
    fit = fit_interrupted(df, population="population", intervention=2015, family="poisson")
    t = df["year"].to_numpy() - 2015.0
    y, pop = df["deaths"].to_numpy(float), df["population"].to_numpy(float)
    pre, post = t < 0, t >= 0
    (a0, b0), v0, _ = poisson_line(y[pre], pop[pre], t[pre])
    (a1, b1), v1, mu1 = poisson_line(y[post], pop[post], t[post])
    e = fit.effects.iloc[0]
    se_level = np.sqrt(v0[0, 0] + v1[0, 0])
    assert e["level_ratio"] == pytest.approx(np.exp(a1 - a0), rel=1e-8)
    assert e["level_lcl"] == pytest.approx(np.exp(a1 - a0 - Z95 * se_level), rel=1e-7)
    assert e["pre_apc"] == pytest.approx(100 * (np.exp(b0) - 1), rel=1e-7)
    assert e["pre_apc_ucl"] == pytest.approx(100 * (np.exp(b0 + Z95 * np.sqrt(v0[1, 1])) - 1))
    assert e["post_apc"] == pytest.approx(100 * (np.exp(b1) - 1), rel=1e-7)
    assert e["post_apc_lcl"] == pytest.approx(100 * (np.exp(b1 - Z95 * np.sqrt(v1[1, 1])) - 1))
    se_change = np.sqrt(v0[1, 1] + v1[1, 1])
    assert e["slope_change_ratio"] == pytest.approx(np.exp(b1 - b0), rel=1e-8)
    assert e["slope_change_ucl"] == pytest.approx(np.exp(b1 - b0 + Z95 * se_change), rel=1e-7)
    # counterfactual: the pre-intervention line projected, limits from its covariance
    f = fit.fitted
    design = np.column_stack([np.ones(5), t[post]])
    cf = pop[post] * np.exp(design @ [a0, b0])
    se_cf = np.sqrt(np.einsum("ij,jk,ik->i", design, v0, design))
    assert f.loc[post, "counterfactual"].to_numpy() == pytest.approx(cf, rel=1e-7)
    assert f.loc[post, "counterfactual_ucl"].to_numpy() == pytest.approx(
        cf * np.exp(Z95 * se_cf), rel=1e-7
    )
    assert f.loc[post, "expected"].to_numpy() == pytest.approx(mu1, rel=1e-7)
    assert f.loc[pre, "counterfactual"].to_numpy() == pytest.approx(
        f.loc[pre, "expected"].to_numpy(), rel=1e-12
    )
    assert f["counterfactual_rate"].to_numpy() == pytest.approx(
        f["counterfactual"].to_numpy() / pop * 1e5, rel=1e-12
    )
    a = fit.averted.iloc[0]
    assert a["counterfactual"] == pytest.approx(cf.sum(), rel=1e-7)
    assert a["averted"] == pytest.approx(cf.sum() - 61, rel=1e-7)


def test_deaths_averted_interval_matches_an_independent_simulation():
    # The interval of the counterfactual total 2015-2019 is the 2.5% and 97.5% quantiles
    # of sum_post pop_t exp(a0 + b0 t) over (a0, b0) ~ N(closed-form estimate, inverse
    # information of the pre-2015 fit). Simulated here with our own generator: 400,000
    # draws, Monte Carlo error of the quantiles well under 0.5%.
    df = southend()
    t = df["year"].to_numpy() - 2015.0
    y, pop = df["deaths"].to_numpy(float), df["population"].to_numpy(float)
    pre, post = t < 0, t >= 0
    theta, v0, _ = poisson_line(y[pre], pop[pre], t[pre])
    draws = np.random.default_rng(20150101).multivariate_normal(theta, v0, size=400_000)
    totals = (pop[post] * np.exp(draws[:, :1] + draws[:, 1:] * t[post])).sum(axis=1)
    lo, hi = np.quantile(totals, [0.025, 0.975])
    fit = fit_interrupted(
        df, intervention=2015, population="population", family="poisson", n_sim=100_000, seed=3
    )
    a = fit.averted.iloc[0]
    assert a["counterfactual_lcl"] == pytest.approx(lo, rel=0.01)
    assert a["counterfactual_ucl"] == pytest.approx(hi, rel=0.01)
    assert a["averted_lcl"] == pytest.approx(lo - 61, abs=0.01 * lo)
    assert a["averted_ucl"] == pytest.approx(hi - 61, abs=0.01 * hi)
    # 90% interval: the 5% and 95% quantiles
    lo90, hi90 = np.quantile(totals, [0.05, 0.95])
    a90 = fit_interrupted(
        df, intervention=2015, population="population", family="poisson", conf=0.9, n_sim=100_000
    )
    assert a90.averted.loc[0, "counterfactual_lcl"] == pytest.approx(lo90, rel=0.01)
    assert a90.averted.loc[0, "counterfactual_ucl"] == pytest.approx(hi90, rel=0.01)


# --- real data ------------------------------------------------------------------------------


def test_southend_2015_facts():
    fit = fit_interrupted(
        southend(), population="population", intervention=2015, by="area_code", family="poisson"
    )
    a = fit.averted.iloc[0]
    # ONS Table 1: Southend 2015-2019 deaths 13 + 6 + 13 + 13 + 16 = 61
    assert (a["area_code"], a["start"], a["end"], a["observed"]) == ("E06000033", 2015, 2019, 61)
    f = fit.fitted
    assert f.loc[f["post"], "observed"].tolist() == [13, 6, 13, 13, 16]
    # Poisson score equation for the 'post' column: fitted post deaths add up to 61
    assert f.loc[f["post"], "expected"].sum() == pytest.approx(61, rel=1e-8)
    e = fit.effects.iloc[0]
    assert (e["n_pre"], e["n_post"], e["intervention"]) == (18, 5, 2015)
    assert a["counterfactual_lcl"] < a["counterfactual"] < a["counterfactual_ucl"]
    assert a["averted_lcl"] == pytest.approx(a["counterfactual_lcl"] - 61)
    auto = fit_interrupted(southend(), intervention=2015, population="population", by="area_code")
    assert auto.effects.loc[0, "family"] in ("poisson", "negbin")
    again = fit_interrupted(southend(), intervention=2015, population="population", by="area_code")
    assert again.averted.equals(auto.averted)  # seeded


# --- simulation -----------------------------------------------------------------------------

LEVEL, CHANGE, PRE_APC = 0.8, 0.95, 3.0


def _simulate_annual(n, seed, alpha=0.0):
    rng = np.random.default_rng(seed)
    year = np.arange(1997, 2020)
    t = year - 2015.0
    post = t >= 0
    pop = 200_000 * 1.004 ** (year - 1997)
    cf = pop * 20e-5 * (1 + PRE_APC / 100) ** t  # about 40-60 deaths a year
    mu = np.tile(cf * np.where(post, LEVEL * CHANGE**t, 1.0), n)
    y = rng.poisson(mu) if alpha == 0 else rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    df = pd.DataFrame(
        {
            "sim": np.repeat(np.arange(n), year.size),
            "year": np.tile(year, n),
            "deaths": y,
            "population": np.tile(pop, n),
        }
    )
    return df, cf[post].sum()


def _covered(lo, hi, truth):
    return ((lo <= truth) & (hi >= truth)).to_numpy().mean()


def test_annual_effects_and_averted_recovered():
    df, true_cf = _simulate_annual(400, seed=20150101)
    fit = fit_interrupted(
        df, intervention=2015, population="population", by="sim", family="poisson", n_sim=4000
    )
    e, a = fit.effects, fit.averted
    # 400 series: binomial sd of a 95% coverage is 0.011; 0.92-0.98 is about +-2.7 sd
    assert 0.92 <= _covered(e["level_lcl"], e["level_ucl"], LEVEL) <= 0.98
    assert 0.92 <= _covered(e["slope_change_lcl"], e["slope_change_ucl"], CHANGE) <= 0.98
    assert 0.92 <= _covered(e["pre_apc_lcl"], e["pre_apc_ucl"], PRE_APC) <= 0.98
    post_apc = 100 * ((1 + PRE_APC / 100) * CHANGE - 1)
    assert 0.92 <= _covered(e["post_apc_lcl"], e["post_apc_ucl"], post_apc) <= 0.98
    # the deaths averted in each realised series: true counterfactual mean - observed
    true_averted = true_cf - a["observed"].to_numpy(dtype=float)
    assert 0.92 <= _covered(a["averted_lcl"], a["averted_ucl"], true_averted) <= 0.98
    # estimates centred on the truth (sd of log level ratio is about 0.1 here)
    assert abs(np.log(e["level_ratio"]).mean() - np.log(LEVEL)) < 0.02
    assert abs(np.log(e["slope_change_ratio"]).mean() - np.log(CHANGE)) < 0.01


def test_overdispersed_its_switches_to_negbin():
    df, true_cf = _simulate_annual(200, seed=20150102, alpha=0.05)  # dispersion about 3
    fit = fit_interrupted(df, intervention=2015, population="population", by="sim", n_sim=2000)
    assert (fit.effects["family"] == "negbin").mean() > 0.8
    pois = fit_interrupted(
        df, intervention=2015, population="population", by="sim", family="poisson", n_sim=2000
    )
    level_nb = _covered(fit.effects["level_lcl"], fit.effects["level_ucl"], LEVEL)
    level_pois = _covered(pois.effects["level_lcl"], pois.effects["level_ucl"], LEVEL)
    assert level_pois < 0.85 < level_nb


def _simulate_monthly(n, seed):
    rng = np.random.default_rng(seed)
    month = pd.date_range("2012-01-01", "2019-12-01", freq="MS")
    t = np.arange(month.size) - 51.0  # months from April 2016
    post = t >= 0
    moy = month.month.to_numpy() - 1
    season = 0.25 * np.sin(2 * np.pi * moy / 12) - 0.15 * np.cos(2 * np.pi * moy / 12)
    cf = 30 * np.exp(np.log(1.02) / 12 * t + season)  # +2 %/year before
    mu = cf * np.where(post, 0.85 * 0.9 ** (t / 12), 1.0)  # step 0.85, slope x0.9/year
    df = pd.DataFrame(
        {
            "sim": np.repeat(np.arange(n), month.size),
            "month": np.tile(month, n),
            "deaths": rng.poisson(np.tile(mu, n)),
        }
    )
    return df, cf[post].sum()


def test_monthly_seasonality_recovered():
    df, true_cf = _simulate_monthly(400, seed=20160401)
    fit = fit_interrupted(
        df,
        time="month",
        intervention="2016-04",
        by="sim",
        family="poisson",
        seasonality="fourier",
        harmonics=1,
        n_sim=2000,
    )
    e, a = fit.effects, fit.averted
    assert (e["n_pre"].iloc[0], e["n_post"].iloc[0]) == (51, 45)
    assert a["start"].iloc[0] == pd.Timestamp("2016-04-01")
    params = pd.DataFrame([r.params for r in fit.results.values()])
    bse = pd.DataFrame([r.bse for r in fit.results.values()])
    for name, truth in (("sin1", 0.25), ("cos1", -0.15)):
        assert abs(params[name].mean() - truth) < 3 * bse[name].mean() / np.sqrt(400)
        assert (
            0.92
            <= _covered(params[name] - Z95 * bse[name], params[name] + Z95 * bse[name], truth)
            <= 0.98
        )
    assert 0.92 <= _covered(e["level_lcl"], e["level_ucl"], 0.85) <= 0.98
    assert 0.92 <= _covered(e["slope_change_lcl"], e["slope_change_ucl"], 0.9) <= 0.98
    true_averted = true_cf - a["observed"].to_numpy(dtype=float)
    assert 0.92 <= _covered(a["averted_lcl"], a["averted_ucl"], true_averted) <= 0.98


def test_six_harmonics_span_the_month_indicators():
    df, _ = _simulate_monthly(3, seed=7)
    args = dict(time="month", intervention="2016-04", by="sim", family="poisson", n_sim=200)
    months = fit_interrupted(df, seasonality="month", **args)
    fourier = fit_interrupted(df, seasonality="fourier", harmonics=6, **args)
    assert list(months.results[(0,)].params.index[4:]) == [f"month_{m:02d}" for m in range(2, 13)]
    for key in months.results:
        assert months.results[key].llf == pytest.approx(fourier.results[key].llf, rel=1e-10)
    assert months.fitted["expected"].to_numpy() == pytest.approx(
        fourier.fitted["expected"].to_numpy(), rel=1e-8
    )


# --- conventions ----------------------------------------------------------------------------


def _annual(n_years=10):
    years = np.arange(2010, 2010 + n_years)
    return pd.DataFrame({"year": years, "deaths": 20 + (years % 3)})


@pytest.mark.parametrize(
    ("intervention", "first_post"),
    [(2015, 2015), (2015.0, 2015), (2015.5, 2016), (pd.Timestamp("2015-07-01"), 2016)],
)
def test_annual_intervention_convention(intervention, first_post):
    fit = fit_interrupted(_annual(), intervention=intervention, family="poisson", n_sim=200)
    f = fit.fitted
    assert f.loc[f["post"], "time"].iloc[0] == first_post
    assert fit.averted.loc[0, "start"] == first_post


@pytest.mark.parametrize(
    ("intervention", "first_post"),
    [
        ("2016-04", "2016-04-01"),
        (pd.Period("2016-04", "M"), "2016-04-01"),
        (2016.25, "2016-04-01"),
        (pd.Timestamp("2016-04-15"), "2016-05-01"),
    ],
)
def test_monthly_intervention_convention(intervention, first_post):
    month = pd.date_range("2015-01-01", "2017-12-01", freq="MS")
    df = pd.DataFrame({"month": month, "deaths": 10 + np.arange(month.size) % 4})
    fit = fit_interrupted(df, time="month", intervention=intervention, family="poisson", n_sim=200)
    assert fit.averted.loc[0, "start"] == pd.Timestamp(first_post)


# --- bad input ------------------------------------------------------------------------------


def test_too_few_points_around_the_intervention():
    df = southend_norwich()
    with pytest.raises(
        ValueError,
        match=r"E06000033' \(Southend-on-Sea\): has 2 time point\(s\) before the intervention "
        r"\(2014\); at least 3 are needed \(and 1 other series\)",
    ):
        fit_interrupted(df, by="area_code", intervention=2014)
    with pytest.raises(
        ValueError, match=r"has 1 time point\(s\) from the intervention \(2019\) on"
    ):
        fit_interrupted(df, by="area_code", intervention=2019)
    month = pd.date_range("2015-01-01", periods=14, freq="MS")
    monthly = pd.DataFrame({"month": month, "deaths": 10 + np.arange(14) % 3})
    with pytest.raises(ValueError, match=r"14 time points cannot fit 15 parameters"):
        fit_interrupted(monthly, time="month", intervention="2015-07", seasonality="month")


def test_bad_arguments():
    df = southend_norwich()
    with pytest.raises(ValueError, match="seasonality='fourier' needs monthly data"):
        fit_interrupted(df, intervention=2015, by="area_code", seasonality="fourier")
    with pytest.raises(ValueError, match="unknown seasonality 'weekly'"):
        fit_interrupted(df, intervention=2015, by="area_code", seasonality="weekly")
    with pytest.raises(ValueError, match="harmonics must be a whole number from 1 to 6"):
        fit_interrupted(df, intervention=2015, by="area_code", seasonality="fourier", harmonics=7)
    with pytest.raises(ValueError, match="unknown family"):
        fit_interrupted(df, intervention=2015, by="area_code", family="gaussian")
    with pytest.raises(ValueError, match="n_sim must be"):
        fit_interrupted(df, intervention=2015, by="area_code", n_sim=10)
    with pytest.raises(ValueError, match="neither a number"):
        fit_interrupted(df, by="area_code", intervention="soon")


def test_isles_of_scilly_is_named_with_how_to_leave_it_out():
    # ONS 2019 edition, Table 1, drug poisoning, persons, 2008-2019: the Isles of Scilly
    # (E06000053) had one death (2010) and none 2015-2019; Southend-on-Sea (E06000033)
    data = pd.DataFrame(
        {
            "area_code": ["E06000033"] * 12 + ["E06000053"] * 12,
            "area_name": ["Southend-on-Sea"] * 12 + ["Isles of Scilly"] * 12,
            "year": list(range(2008, 2020)) * 2,
            "deaths": [*southend()["deaths"].iloc[11:], 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }
    )
    kept = follow_hint(
        fit_interrupted,
        data,
        "fit_interrupted: series area_code='E06000053' (Isles of Scilly): no deaths from the "
        "intervention (2015) on, so the level or slope change has no finite estimate. To fit "
        "the other series, leave it out, e.g. data[~data['area_code'].isin(['E06000053'])]",
        by="area_code",
        n_sim=200,
        intervention=2015,
    )
    fit = fit_interrupted(kept, intervention=2015, by="area_code", n_sim=200)
    assert fit.effects["area_code"].tolist() == ["E06000033"]


def test_series_in_a_batch_get_the_results_they_get_alone():
    # different lengths, rows interleaved: each series' results (the simulated interval
    # too) are those of fitting it alone
    south = southend()[["area_code", "year", "deaths", "population"]]
    norwich = pd.DataFrame(
        {
            "area_code": "E07000148",
            "year": range(2012, 2020),
            # ONS 2019 edition, Table 1: Norwich 2012-2019
            "deaths": [13, 12, 15, 15, 24, 25, 16, 21],
            "population": [137_000 + 1_000 * i for i in range(8)],
        }
    )
    batch = pd.concat([south, norwich]).sample(frac=1.0, random_state=1)
    batch = batch.sort_values("year", kind="stable")  # interleaved series, time ordered
    fit = fit_interrupted(
        batch, intervention=2015, population="population", by="area_code", n_sim=2000
    )
    assert fit.effects["area_code"].tolist() == ["E06000033", "E07000148"]
    for code, alone in (("E06000033", south), ("E07000148", norwich)):
        one = fit_interrupted(
            alone, intervention=2015, population="population", by="area_code", n_sim=2000
        )
        for name in ("effects", "averted", "fitted"):
            got = getattr(fit, name)
            got = got[got["area_code"] == code].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, getattr(one, name), check_exact=False, rtol=1e-9)
        assert fit.results[(code,)].params.equals(one.results[(code,)].params)


def test_segments_without_a_finite_estimate():
    df = southend_norwich()
    # ONS Table 1, Isles of Scilly (E06000053): no drug-poisoning deaths 2015-2019
    zero_post = df.assign(deaths=df["deaths"].where(~df["year"].between(2015, 2019), 0))
    with pytest.raises(
        ValueError,
        match=r"E06000033' \(Southend-on-Sea\): no deaths from the intervention \(2015\) on, so "
        r"the level or slope change has no finite estimate \(and 1 other series\)",
    ):
        fit_interrupted(zero_post, intervention=2015, by="area_code")
    only_first = df.assign(
        deaths=df["deaths"].where(df["year"] != 2012, 0).where(df["year"] > 2011)
    )
    only_first.loc[only_first["year"].between(2013, 2014), "deaths"] = 0
    with pytest.raises(ValueError, match=r"no deaths before the intervention"):
        fit_interrupted(only_first, intervention=2015, by="area_code")
    last_only = df.copy()
    last_only.loc[last_only["year"].between(2012, 2013), "deaths"] = 0
    with pytest.raises(ValueError, match=r"deaths only at year=2014 before the intervention"):
        fit_interrupted(last_only, intervention=2015, by="area_code")
    month = pd.date_range("2015-01-01", "2018-12-01", freq="MS")
    y = 3 + np.arange(month.size) % 4
    y[month.month == 2] = 0  # no deaths in any February
    monthly = pd.DataFrame({"month": month, "deaths": y})
    with pytest.raises(ValueError, match=r"too sparse for this model: month_02 has no finite"):
        fit_interrupted(monthly, time="month", intervention="2017-01", seasonality="month")
