"""Comparative interrupted time series (difference-in-differences) of counts, population offsets.

Private to :mod:`overdose_trends.stats.trends.controlled`. One log-linear
count model of the whole panel (treated area and comparison areas, one row per
area and year):

    log E[y_at] = log(pop_at) + a_area + b1 (t - t0) + b2 post_t + b3 (t - t0) post_t
                  + c1 treated_a (t - t0) + c2 treated_a post_t + c3 treated_a (t - t0) post_t

``a_area`` are area levels (one per area; or an intercept and a treated-area
level with ``area_effects=False``), ``b`` the comparison areas' common trend and
its change at the programme start ``t0`` (secular change that the treated area
shares), ``c`` the treated area's departures from it: ``exp(c2)`` is the
difference in level change (the "step", a ratio of rate ratios), ``exp(c3)`` the
difference in slope change per year, ``exp(c1)`` the difference in pre-period
trends (the parallel-trends check). The counterfactual of the treated area sets
``c2 = c3 = 0``: its own level and pre-period trend, plus the change the
comparison areas saw at ``t0``.

It is R's ``glm(deaths ~ offset(log(pop)) + area + time * treated * post,
family = quasipoisson)`` with ``time = year - t0`` (``treated`` is then aliased
with the area levels; without them, the formula as written).

References
----------
Lopez Bernal J, Cummins S, Gasparrini A (2018). The use of controls in
interrupted time series studies of public health interventions. *International
Journal of Epidemiology* 47(6):2082-2093.

Wing C, Simon K, Bello-Gomez RA (2018). Designing difference in difference
studies: best practices for public health policy research. *Annual Review of
Public Health* 39:453-469.

McCullagh P, Nelder JA (1989). *Generalized Linear Models*, 2nd ed. Chapman &
Hall (quasi-likelihood, dispersion from Pearson X^2, section 9.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends.stats.trends._controlled_panel import Panel
from overdose_trends.stats.trends._count_model import fit_counts, link_limits, wald

__all__ = ["CITS_FAMILIES", "CitsResult", "fit_cits"]

#: Accepted values of ``family`` for the CITS: quasi-Poisson (R's ``quasipoisson``:
#: Poisson estimates, covariance times the Pearson dispersion), Poisson, NB2, or
#: Poisson refitted as NB2 when overdispersed (the rule of the other trend models).
CITS_FAMILIES = ("quasipoisson", "poisson", "negbin", "auto")
#: The treated area's departures from the comparison trend; set to 0 for the counterfactual.
_EFFECT_TERMS = ("treated_post", "treated_time_after")
#: Rows of ``effects``: name, design term, units, meaning.
EFFECT_ROWS = (
    ("step", "treated_post", "ratio of rate ratios",
     "level change of the treated area at the start relative to the comparison areas' change"),
    ("slope_change", "treated_time_after", "ratio of annual rate ratios",
     "change of the treated area's trend at the start relative to the comparison areas'"),
    ("pre_trend_difference", "treated_time", "ratio of annual rate ratios",
     "pre-period trend of the treated area relative to the comparison areas (parallel-trends "
     "check: 1 when parallel)"),
    ("comparison_step", "post", "rate ratio",
     "level change of the comparison areas at the start (secular change)"),
    ("comparison_slope_change", "time_after", "ratio of annual rate ratios",
     "change of the comparison areas' trend at the start"),
)  # fmt: skip


@dataclass(frozen=True)
class CitsResult:
    """The fitted panel model, its effects and the treated area's counterfactual."""

    family: str
    params: pd.Series
    cov: pd.DataFrame
    dispersion: float
    alpha: float
    advice: str
    effects: pd.DataFrame  # effect, estimate, lcl, ucl, p_value, units, meaning
    counts: dict[str, NDArray[np.float64]]  # treated: expected, counterfactual (+ _lcl, _ucl)
    comparison_fitted: NDArray[np.float64]  # fitted crude rate of the comparison areas (per person)
    cf_total: tuple[float, float, float]  # counterfactual deaths in the post period, limits
    result: Any


def design(panel: Panel, t0: float, area_effects: bool) -> pd.DataFrame:
    """Design matrix of the panel, rows area by area (treated first), year within area."""
    n_areas, n_years = panel.deaths.shape
    rel = np.tile(panel.years - t0, n_areas)
    post = np.tile(panel.post.astype(np.float64), n_areas)
    treated = np.repeat(np.r_[1.0, np.zeros(n_areas - 1)], n_years)
    columns: dict[str, NDArray[np.float64]] = {}
    if area_effects:
        area = np.repeat(np.arange(n_areas), n_years)
        for a, code in enumerate(panel.codes):
            columns[f"area[{code}]"] = (area == a).astype(np.float64)
    else:
        columns["const"] = np.ones(rel.size)
        columns["treated"] = treated
    columns |= {
        "time": rel,
        "post": post,
        "time_after": rel * post,
        "treated_time": treated * rel,
        "treated_post": treated * post,
        "treated_time_after": treated * rel * post,
    }
    return pd.DataFrame(columns)


def _effects(params: pd.Series, cov: pd.DataFrame, z: float) -> pd.DataFrame:
    rows = []
    names = list(params.index)
    for name, term, units, meaning in EFFECT_ROWS:
        i = names.index(term)
        b, se = float(params.iloc[i]), float(np.sqrt(cov.to_numpy()[i, i]))
        p = float(wald(np.array([b]), np.array([se]))[0])
        rows.append((name, np.exp(b), np.exp(b - z * se), np.exp(b + z * se), p, units, meaning))
    return pd.DataFrame(
        rows, columns=["effect", "estimate", "lcl", "ucl", "p_value", "units", "meaning"]
    ).astype({"effect": "str", "units": "str", "meaning": "str"})


def fit_cits(
    panel: Panel,
    t0: float,
    *,
    family: str,
    area_effects: bool,
    z: float,
    conf: float,
    n_sim: int,
    rng: np.random.Generator,
    func: str,
) -> CitsResult:
    """Fit the panel model; effects, the treated area's counterfactual and its total's interval."""
    X = design(panel, t0, area_effects)
    y = panel.deaths.ravel()
    offset = np.log(panel.population.ravel())
    label = "the panel (treated and comparison areas)"
    fit = fit_counts(y, X, offset, "poisson" if family == "quasipoisson" else family, label, func)
    if fit.df_resid <= 0:
        raise ValueError(
            f"{func}: {y.size} area-years cannot fit {X.shape[1]} parameters with residual "
            "degrees of freedom; add years or comparison areas"
        )
    cov = fit.cov
    advice = fit.advice
    if family == "quasipoisson":
        cov = cov * fit.dispersion
        advice = (
            f"quasi-Poisson: Poisson estimates with standard errors scaled by "
            f"sqrt(Pearson chi2/df) = sqrt({fit.dispersion:.2f})"
        )
    names = list(X.columns)
    params = pd.Series(fit.params, index=names)
    cov_df = pd.DataFrame(cov, index=names, columns=names)
    n_years = panel.years.size
    Xt = X.to_numpy()[:n_years]
    Xcf = Xt.copy()
    for term in _EFFECT_TERMS:
        Xcf[:, names.index(term)] = 0.0
    off_t = offset[:n_years]
    counts = dict(
        zip(
            ["expected", "expected_lcl", "expected_ucl"],
            link_limits(Xt, off_t, fit.params, cov, z),
            strict=True,
        )
    )
    counts |= dict(
        zip(
            ["counterfactual", "counterfactual_lcl", "counterfactual_ucl"],
            link_limits(Xcf, off_t, fit.params, cov, z),
            strict=True,
        )
    )
    post = panel.post
    draws = rng.multivariate_normal(fit.params, cov, size=n_sim, method="eigh")
    totals = np.exp(off_t[post][:, None] + Xcf[post] @ draws.T).sum(axis=0)
    lo, hi = np.quantile(totals, [(1.0 - conf) / 2.0, (1.0 + conf) / 2.0])
    mu = np.exp(offset + X.to_numpy() @ fit.params).reshape(panel.deaths.shape)
    comparison = mu[1:].sum(axis=0) / panel.population[1:].sum(axis=0)
    return CitsResult(
        family=family if family == "quasipoisson" else fit.family,
        params=params,
        cov=cov_df,
        dispersion=float(fit.dispersion),
        alpha=float(fit.alpha),
        advice=advice,
        effects=_effects(params, cov_df, z),
        counts=counts,
        comparison_fitted=comparison,
        cf_total=(float(counts["counterfactual"][post].sum()), float(lo), float(hi)),
        result=fit.result,
    )
