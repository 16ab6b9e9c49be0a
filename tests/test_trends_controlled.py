"""Controlled evaluation (``overdose_trends.stats.trends.controlled``) against outside references.

References used:

* The CITS is R's ``glm(deaths ~ offset(log(pop)) + time*treated*post, family=quasipoisson)``
  (with ``area_effects=False``; with area levels ``deaths ~ offset(log(pop)) + area +
  time*treated*post``, ``treated`` aliased), ``time = year - t0``. Here the same model is
  fitted directly with statsmodels' formula GLM (``scale="X2"``: the quasi-Poisson
  dispersion, Pearson X^2 / df, as R's ``summary.glm``), independently of our design code.
* Simulated panels with a known step: bias and coverage over 120 seeds.
* Synthetic control: a treated area that is exactly a convex combination of donors
  recovers its weights; weights are non-negative and sum to one; the placebo p-value
  is uniform under exchangeable areas (Abadie et al. 2010: an exact permutation test).
* ONS "Deaths related to drug poisoning by local authority, England and Wales, 1993 to
  2019", Table 1: Southend-on-Sea 2015-2019 single-year deaths 13, 6, 13, 13, 16 (61).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from overdose_trends.stats.trends._controlled_synth import ratio_interval, simplex_weights
from overdose_trends.stats.trends.controlled import ControlledFit, fit_controlled
from tests.trends_helpers import Z95

YEARS = np.arange(2005, 2020)


def _panel(rng, step=1.0, n_controls=8, base=2e-4, pop=300_000, slope=0.03, od=0.0):
    """Treated area T and controls C0.. with a common trend; T's rate times ``step`` from 2015."""
    rows = []
    for a in range(n_controls + 1):
        code = "T" if a == 0 else f"C{a - 1}"
        level = base * np.exp(rng.normal(0, 0.2))
        size = pop * rng.uniform(0.6, 1.6)
        mu = size * level * np.exp(slope * (YEARS - 2015))
        if a == 0:
            mu = mu * np.where(YEARS >= 2015, step, 1.0)
        if od:
            mu = mu * rng.gamma(1 / od, od, size=mu.size)
        for y, m in zip(YEARS, mu, strict=True):
            rows.append((code, int(y), int(rng.poisson(m)), float(size)))
    return pd.DataFrame(rows, columns=["area_code", "year", "deaths", "population"])


def _controls(n=8):
    return [f"C{i}" for i in range(n)]


# --- CITS against a directly fitted GLM -----------------------------------------------------


@pytest.mark.parametrize("area_effects", [False, True])
def test_cits_matches_statsmodels_formula_glm(area_effects):
    df = _panel(np.random.default_rng(3), step=0.8)
    fit = fit_controlled(
        df, treated="T", controls=_controls(), intervention=2015, area_effects=area_effects
    )
    d = df.assign(
        time=df["year"] - 2015.0,
        treated=(df["area_code"] == "T").astype(float),
        post=(df["year"] >= 2015).astype(float),
    )
    # R: glm(deaths ~ offset(log(pop)) + time*treated*post, family=quasipoisson)
    formula = "deaths ~ time*treated*post"
    if area_effects:  # R: + area (treated is then aliased with the area levels)
        formula = "deaths ~ C(area_code) + time + post + time:post + time:treated + "
        formula += "treated:post + time:treated:post"
    ref = smf.glm(formula, d, family=sm.families.Poisson(), offset=np.log(d["population"])).fit(
        scale="X2", tol=1e-12
    )
    e = fit.effects.set_index("effect")
    for effect, term in [
        ("step", "treated:post"),
        ("slope_change", "time:treated:post"),
        ("pre_trend_difference", "time:treated"),
        ("comparison_step", "post"),
        ("comparison_slope_change", "time:post"),
    ]:
        b, se = ref.params[term], ref.bse[term]
        assert e.loc[effect, "estimate"] == pytest.approx(np.exp(b), rel=1e-7)
        assert e.loc[effect, "lcl"] == pytest.approx(np.exp(b - Z95 * se), rel=1e-6)
        assert e.loc[effect, "ucl"] == pytest.approx(np.exp(b + Z95 * se), rel=1e-6)
        assert e.loc[effect, "p_value"] == pytest.approx(ref.pvalues[term], rel=1e-5, abs=1e-12)
    # the counterfactual: the same model with treated:post and time:treated:post set to 0
    params = ref.params.copy()
    params[["treated:post", "time:treated:post"]] = 0.0
    t = d[d["area_code"] == "T"]
    exog = pd.DataFrame(ref.model.exog, columns=ref.model.exog_names).iloc[: len(YEARS)]
    cf = np.exp(np.log(t["population"].to_numpy()) + exog.to_numpy() @ params.to_numpy())
    got = fit.fitted["counterfactual"].to_numpy()
    assert got == pytest.approx(cf, rel=1e-6)
    post = t["year"].to_numpy() >= 2015
    a = fit.averted.iloc[0]
    assert a["counterfactual"] == pytest.approx(cf[post].sum(), rel=1e-6)
    assert a["observed"] == t["deaths"].to_numpy()[post].sum()
    assert a["difference"] == pytest.approx(a["observed"] - a["counterfactual"])
    assert a["difference_lcl"] < a["difference"] < a["difference_ucl"]


def test_cits_poisson_and_negbin_families_run():
    df = _panel(np.random.default_rng(5), od=0.1)
    pois = fit_controlled(df, treated="T", controls=_controls(), intervention=2015,
                          family="poisson")  # fmt: skip
    quasi = fit_controlled(df, treated="T", controls=_controls(), intervention=2015)
    nb = fit_controlled(df, treated="T", controls=_controls(), intervention=2015,
                        family="negbin")  # fmt: skip
    p, q = pois.effects.set_index("effect"), quasi.effects.set_index("effect")
    assert p.loc["step", "estimate"] == pytest.approx(q.loc["step", "estimate"])
    # overdispersed: quasi-Poisson intervals are wider than Poisson's
    assert q.loc["step", "ucl"] > p.loc["step", "ucl"]
    assert np.isfinite(nb.effects["estimate"]).all() and nb.family == "negbin"
    auto = fit_controlled(df, treated="T", controls=_controls(), intervention=2015, family="auto")
    assert auto.family in ("poisson", "negbin")  # the family chosen, not "auto"
    assert quasi.family == "quasipoisson" and "quasi-Poisson" in repr(quasi)


# --- simulations: bias and coverage ------------------------------------------------------


def test_cits_recovers_a_known_step_with_near_nominal_coverage():
    true = 0.75
    logs, covered = [], []
    for seed in range(120):
        df = _panel(np.random.default_rng(seed), step=true, n_controls=3)
        fit = fit_controlled(df, treated="T", controls=_controls(3), intervention=2015,
                             n_sim=100)  # fmt: skip
        row = fit.effects.set_index("effect").loc["step"]
        logs.append(np.log(row["estimate"]))
        covered.append(row["lcl"] <= true <= row["ucl"])
    bias = np.mean(logs) - np.log(true)
    assert abs(bias) < 0.03  # mean log step near the truth (SE of the mean about 0.01)
    assert 0.88 <= np.mean(covered) <= 0.99  # 95% nominal; binomial SD over 120 seeds ~2%


def test_synthetic_control_is_unbiased_and_its_placebo_test_has_its_size():
    # exchangeable areas: under no effect the placebo p-value is uniform on {1/10, ..., 1}
    rng = np.random.default_rng(11)
    p_null, ratios = [], []
    for _ in range(40):
        df = _panel(rng, step=1.0, n_controls=9, base=3e-4, pop=600_000)
        fit = fit_controlled(df, treated="T", controls=_controls(9), intervention=2015,
                             method="synthetic")  # fmt: skip
        p_null.append(fit.effects.set_index("effect").loc["step", "p_value"])
        ratios.append(fit.effects.set_index("effect").loc["step", "estimate"])
        w = fit.weights["weight"].to_numpy()
        assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    p_null = np.array(p_null)
    assert set(np.round(p_null * 10)) <= set(range(1, 11))
    assert np.mean(p_null <= 0.1) <= 0.3  # nominal 0.10 (binomial SD over 40 runs ~0.05)
    assert np.mean(p_null <= 0.5) >= 0.25  # and not piled up at small values
    assert abs(np.mean(np.log(ratios))) < 0.05
    # a large effect is found: the treated statistic ranks first
    big = _panel(np.random.default_rng(2), step=0.4, n_controls=9, base=3e-4, pop=600_000)
    fit = fit_controlled(big, treated="T", controls=_controls(9), intervention=2015,
                         method="synthetic")  # fmt: skip
    row = fit.effects.set_index("effect").loc["step"]
    assert row["p_value"] == pytest.approx(0.1) and row["estimate"] < 0.6


# --- synthetic-control weights -----------------------------------------------------------


def test_simplex_weights_recover_a_convex_combination():
    rng = np.random.default_rng(0)
    X = rng.gamma(5.0, 2.0, size=(12, 4))
    truth = np.array([0.3, 0.0, 0.7, 0.0])
    w = simplex_weights(X, X @ truth)
    assert w == pytest.approx(truth, abs=1e-8)
    # outside the hull: still non-negative, summing to one, no worse than any single donor
    y = X.max(axis=1) * 1.2
    w = simplex_weights(X, y)
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    loss = np.sum((X @ w - y) ** 2)
    assert all(loss <= np.sum((X[:, j] - y) ** 2) + 1e-9 for j in range(4))


def test_ratio_interval_by_test_inversion():
    # 9 placebos, conf 0.8: reject when the treated statistic ranks first (p = 0.1 <= 0.2)
    # or second (0.2): accept r while s(r) <= the 2nd largest placebo statistic
    placebos = np.array([1.0, 2.0, 3.0, 1.5, 0.5, 2.5, 1.2, 0.8, 4.0])
    t, s = np.array([8.0, 8.0]), np.array([10.0, 10.0])
    lo, hi = ratio_interval(t, s, pre_rmspe=1.0, placebo_stats=placebos, conf=0.8)
    # |8/r - 10| <= 3  ->  8/13 <= r <= 8/7
    assert (lo, hi) == pytest.approx((8 / 13, 8 / 7))
    # too few placebos for a 95% interval
    assert ratio_interval(t, s, 1.0, placebos, 0.95) == (0.0, np.inf)


# --- Southend -------------------------------------------------------------------------------


SOUTHEND_NEIGHBOURS = ["E06000009", "E06000027", "E06000034", "E06000035", "E06000044"]


@pytest.fixture(scope="module")
def southend_panel():
    from overdose_trends.io import datasets

    codes = ["E06000033", *SOUTHEND_NEIGHBOURS]
    la = datasets.la_deaths()
    la = la[(la["measure"] == "poisoning") & (la["sex"] == "persons")
            & (la["period_start"] == la["period_end"]) & la["period_start"].between(2001, 2019)
            & la["area_code"].isin(codes)]  # fmt: skip
    pop = datasets.population_bands()
    pop = (
        pop[pop["area_code"].isin(codes)]
        .groupby(["area_code", "year"], as_index=False)["population"]
        .sum()
    )
    return la.rename(columns={"period_start": "year"}).merge(pop, on=["area_code", "year"])


def test_southend_result_shape_and_wording(southend_panel):
    fit = fit_controlled(southend_panel, treated="E06000033", controls=SOUTHEND_NEIGHBOURS,
                         intervention=2015)  # fmt: skip
    assert isinstance(fit, ControlledFit)
    assert list(fit.effects.columns[:5]) == ["effect", "estimate", "lcl", "ucl", "p_value"]
    assert fit.effects["effect"].iloc[0] == "step"
    a = fit.averted.iloc[0]
    assert a["observed"] == 61  # ONS 2015-2019: 13 + 6 + 13 + 13 + 16
    assert fit.treated_name == "Southend-on-Sea"
    assert "comparison predicts in 2015-2019" in a["reading"]
    text = repr(fit)
    assert "Southend-on-Sea" in text and "deaths" in text
    assert "<table" in fit._repr_html_()
    summary = fit.summary()
    last = summary.iloc[-1]
    assert last["effect"] in ("deaths_averted", "excess_deaths") and last["estimate"] >= 0


def test_an_excess_is_never_a_negative_number_averted():
    df = _panel(np.random.default_rng(8), step=1.6)
    fit = fit_controlled(df, treated="T", controls=_controls(), intervention=2015)
    a = fit.averted.iloc[0]
    assert a["difference"] > 0
    assert a["reading"].startswith(f"{a['difference']:.0f} more deaths than the comparison")
    last = fit.summary().iloc[-1]
    assert last["effect"] == "excess_deaths" and last["estimate"] > 0
    assert "averted" not in fit.averted["reading"].iloc[0]


# --- bad input ------------------------------------------------------------------------------


def test_bad_input_names_the_area_and_the_fix():
    df = _panel(np.random.default_rng(1))
    kw = {"treated": "T", "intervention": 2015}
    with pytest.raises(ValueError, match=r"no rows for the comparison area\(s\) 'X9'.*check"):
        fit_controlled(df, controls=["C0", "X9"], **kw)
    with pytest.raises(ValueError, match=r"no rows for the treated area 'Z'"):
        fit_controlled(df, treated="Z", controls=["C0"], intervention=2015)
    with pytest.raises(ValueError, match=r"treated area area_code='T' is among its own controls"):
        fit_controlled(df, controls=["C0", "T"], **kw)
    with pytest.raises(ValueError, match="given more than once"):
        fit_controlled(df, controls=["C0", "C0"], **kw)
    with pytest.raises(ValueError, match="controls is empty"):
        fit_controlled(df, controls=[], **kw)
    with pytest.raises(ValueError, match="must be a list of area codes"):
        fit_controlled(df, controls="C0", **kw)
    with pytest.raises(ValueError, match=r"needs at least 2 comparison areas"):
        fit_controlled(df, controls=["C0"], method="synthetic", **kw)
    # too few pre-period points
    with pytest.raises(
        ValueError, match=r"2 year\(s\) before the intervention \(2007\).*at least 3"
    ):
        fit_controlled(df, controls=["C0"], treated="T", intervention=2007)
    with pytest.raises(ValueError, match=r"needs at least 5.*add earlier years"):
        fit_controlled(df, controls=["C0", "C1"], treated="T", intervention=2009,
                       method="synthetic")  # fmt: skip
    with pytest.raises(ValueError, match=r"1 year\(s\) from the intervention"):
        fit_controlled(df, controls=["C0"], treated="T", intervention=2019)
    # a donor with missing years
    gap = df[~((df["area_code"] == "C1") & (df["year"] < 2008))]
    with pytest.raises(
        ValueError,
        match=r"comparison area area_code='C1' has no rows for year=2005, 2006, 2007.*leave the "
        r"area out of controls",
    ):
        fit_controlled(gap, controls=["C0", "C1"], **kw)
    # extra years of a donor are left out, with a note
    extra = pd.concat([df, pd.DataFrame({"area_code": ["C0"], "year": [2004], "deaths": [5],
                                         "population": [300_000.0]})])  # fmt: skip
    fit = fit_controlled(extra, controls=["C0", "C1"], **kw)
    assert any("left out for C0" in n for n in fit.notes)
    # deaths above the population, other options
    bad = df.assign(population=np.where(df["area_code"] == "C0", 1.0, df["population"]))
    with pytest.raises(ValueError, match=r"series area_code='C0'.*exceeds column 'population'"):
        fit_controlled(bad, controls=["C0"], **kw)
    with pytest.raises(ValueError, match="unknown method 'did'"):
        fit_controlled(df, controls=["C0"], method="did", **kw)
    with pytest.raises(ValueError, match="unknown family"):
        fit_controlled(df, controls=["C0"], family="gaussian", **kw)
    with pytest.raises(ValueError, match="intervention must be the first year"):
        fit_controlled(df, controls=["C0"], treated="T", intervention="2015")
    with pytest.raises(ValueError, match="population is needed"):
        fit_controlled(df, controls=["C0"], population=None, **kw)
