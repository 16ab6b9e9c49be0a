"""Controlled evaluation of a programme start: the treated area against comparison areas.

An interrupted time series of one area (:mod:`~overdose_trends.stats.trends.interrupted`)
cannot tell a local effect from national change. :func:`fit_controlled` compares
the treated area with comparison areas that did not start the programme then:

* ``method="cits"`` -- a comparative interrupted time series (a
  difference-in-differences with trends) of the death counts of all areas, with
  population offsets, by quasi-Poisson (or Poisson / negative binomial)
  regression: the treated area's change in level (``step``) and in slope at the
  programme start relative to the comparison areas' changes, with a check of
  parallel pre-period trends;
* ``method="synthetic"`` -- a synthetic control: a weighted average of the
  comparison areas' rates (weights non-negative, summing to one) that tracks the
  treated area before the start; the post-period rate ratio with a
  placebo-in-space permutation p-value.

Either way the deaths averted are the difference between the deaths observed
from the start and the deaths the controlled counterfactual predicts; an excess
is reported as "N more deaths than the comparison predicts", never as a
negative number averted.

References
----------
Lopez Bernal J, Cummins S, Gasparrini A (2018). The use of controls in
interrupted time series studies of public health interventions. *International
Journal of Epidemiology* 47(6):2082-2093.

Abadie A, Diamond A, Hainmueller J (2010). Synthetic control methods for
comparative case studies. *Journal of the American Statistical Association*
105(490):493-505.

Abadie A (2021). Using synthetic controls: feasibility, data requirements, and
methodological aspects. *Journal of Economic Literature* 59(2):391-425.

Firpo S, Possebom V (2018). Synthetic control method: inference, sensitivity
analysis and confidence sets. *Journal of Causal Inference* 6(2):20160026.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from overdose_trends._display import figure_function
from overdose_trends._frames import positive
from overdose_trends.constants import PER_100K
from overdose_trends.stats.intervals import z_value
from overdose_trends.stats.trends._args import check_choice, check_whole
from overdose_trends.stats.trends._controlled_cits import CITS_FAMILIES, fit_cits
from overdose_trends.stats.trends._controlled_panel import Panel, panel
from overdose_trends.stats.trends._controlled_synth import fit_synthetic
from overdose_trends.stats.trends._count_model import fitted_table
from overdose_trends.stats.trends._display import FitDisplay, rounded

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["METHODS", "ControlledFit", "fit_controlled"]

#: Accepted values of ``method``.
METHODS = ("cits", "synthetic")
#: Dotted name of the figure function (resolved when ``.plot()`` is called).
_FIGURE = "overdose_trends.plots.controlled.plot_controlled"
_METHOD_NAMES = {"cits": "comparative interrupted time series", "synthetic": "synthetic control"}
_FAMILY_NAMES = {
    "quasipoisson": "quasi-Poisson",
    "poisson": "Poisson",
    "negbin": "negative binomial",
    "auto": "Poisson or negative binomial",
}
_EFFECT_COLUMNS = ["effect", "estimate", "lcl", "ucl", "p_value", "units", "meaning"]
_WEIGHT_COLUMNS = ["area_code", "area_name", "weight"]
_PLACEBO_COLUMNS = ["area_code", "area_name", "pre_rmspe", "post_rmspe", "ratio"]


def _deaths(value: float) -> str:
    """Deaths for a reading: one decimal below 100."""
    if not np.isfinite(value):
        return "unbounded"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def _side(value: float) -> str:
    """``"12.3 fewer"`` / ``"4.0 more"`` for an observed-minus-predicted difference."""
    if np.isnan(value):
        return "not available"
    if not np.isfinite(value):
        return "unbounded"
    return f"{_deaths(abs(value))} {'more' if value > 0 else 'fewer'}"


def reading(difference: float, lcl: float, ucl: float, conf: float, span: str) -> str:
    """The deaths difference in words, never a negative number "averted".

    ``difference`` is observed minus predicted deaths: ``"12.3 fewer deaths
    than the comparison predicts in 2015-2019 (95% interval: 2.0 more to 30.1
    fewer)"``, or ``"N more deaths than the comparison predicts ..."`` for an
    excess. An infinite limit (a placebo interval with too few comparison
    areas) is written "unbounded", with the reason.
    """
    head = f"{_side(difference)} deaths than the comparison predicts in {span}"
    why = "" if np.isfinite([lcl, ucl]).all() else "; too few comparison areas to bound it"
    return f"{head} ({conf:.0%} interval: {_side(lcl)} to {_side(ucl)}{why})"


@dataclass(frozen=True, repr=False)
class ControlledFit(FitDisplay):
    """Result of :func:`fit_controlled`.

    Attributes
    ----------
    method : str
        ``"cits"`` or ``"synthetic"``.
    family : str
        Count model of a CITS: ``"quasipoisson"``, ``"poisson"`` or
        ``"negbin"`` (for ``family="auto"`` the one chosen); ``""`` for a
        synthetic control.
    treated, treated_name : str
        Code and name of the treated area.
    controls, control_names : tuple
        Codes and names of the comparison areas, as given.
    intervention : float
        First year of the programme (``year >= intervention`` is "post").
    effects : pandas.DataFrame
        One row per effect: ``effect``, ``estimate``, ``lcl``, ``ucl``
        (limits at level ``conf``), ``p_value``, ``units``, ``meaning``.
        CITS rows: ``step`` (the treated area's level change at the start
        divided by the comparison areas', a ratio of rate ratios),
        ``slope_change`` (the same for the trend, per year),
        ``pre_trend_difference`` (treated over comparison pre-period annual
        rate ratio: the parallel-trends check, 1 when parallel),
        ``comparison_step`` and ``comparison_slope_change`` (the comparison
        areas' own changes: secular change). Synthetic-control rows: ``step``
        (deaths observed from the start over the synthetic control's
        prediction, a rate ratio; placebo p-value, interval by test
        inversion) and ``pre_period_fit`` (root mean squared difference of
        the pre-period rates, per ``per``).
    averted : pandas.DataFrame
        One row: ``area_code``, ``area_name``, ``start``, ``end`` (first and
        last year from the start), ``observed`` (deaths then),
        ``counterfactual`` (deaths predicted by the controlled counterfactual)
        with ``counterfactual_lcl``, ``counterfactual_ucl``, ``difference``
        (observed minus predicted: negative = deaths averted, positive = more
        deaths than predicted) with ``difference_lcl``, ``difference_ucl``,
        ``reading`` (the difference in words) and ``method`` (how the interval
        was made).
    fitted : pandas.DataFrame
        The treated area by year: ``area_code``, ``time``, ``post``,
        ``observed``, ``population``, (CITS) ``expected`` (+ ``_lcl``,
        ``_ucl``), ``counterfactual`` (+ ``_lcl``, ``_ucl`` for a CITS),
        ``observed_rate``, (CITS) ``rate`` (+ limits), ``counterfactual_rate``
        (+ limits), ``comparison_rate`` (the comparison areas' pooled crude
        rate, or the synthetic control's rate) and ``comparison_fitted_rate``
        (CITS: the model's rate for the comparison areas; NaN for a synthetic
        control). Rates per ``per``.
    weights : pandas.DataFrame
        Synthetic control: ``area_code``, ``area_name``, ``weight`` (>= 0,
        summing to 1), largest first. Empty for a CITS.
    placebos : pandas.DataFrame
        Synthetic control: each donor treated as a placebo: ``area_code``,
        ``area_name``, ``pre_rmspe``, ``post_rmspe`` (per ``per``) and
        ``ratio`` (post over pre, the test statistic). Empty for a CITS.
    results : object
        CITS: the statsmodels results of the panel model (design columns
        ``area[<code>]`` or ``const``/``treated``, then ``time`` (years from
        the start), ``post``, ``time_after``, ``treated_time``,
        ``treated_post``, ``treated_time_after``). None for a synthetic control.
    conf, per : float
        Confidence level; rate multiplier.
    notes : tuple of str
        What was done to the input and the model's advice.
    """

    method: str
    family: str
    treated: Hashable
    treated_name: str
    controls: tuple[Hashable, ...]
    control_names: tuple[str, ...]
    intervention: float
    effects: pd.DataFrame
    averted: pd.DataFrame
    fitted: pd.DataFrame
    weights: pd.DataFrame
    placebos: pd.DataFrame
    results: Any
    conf: float
    per: float
    notes: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """The effects and the deaths difference, rounded.

        Returns
        -------
        pandas.DataFrame
            ``effect``, ``estimate``, ``lcl``, ``ucl`` (3 decimals; deaths 1),
            ``p_value`` (2 significant figures) and ``units``: the rows of
            ``effects``, then one row for the deaths from the start:
            ``deaths_averted`` when fewer deaths were observed than the
            controlled counterfactual predicts, ``excess_deaths`` when more
            (the estimate is then the excess, never a negative number
            averted).
        """
        table = self.effects[_EFFECT_COLUMNS[:-1]].copy()
        table[["estimate", "lcl", "ucl"]] = table[["estimate", "lcl", "ucl"]].round(3)
        a = self.averted.iloc[0]
        span = f"deaths {a['start']:g}-{a['end']:g}"
        if a["difference"] <= 0:
            row = ("deaths_averted", -a["difference"], -a["difference_ucl"], -a["difference_lcl"])
        else:
            row = ("excess_deaths", a["difference"], a["difference_lcl"], a["difference_ucl"])
        deaths = pd.DataFrame(
            [[*row, np.nan, span]], columns=["effect", "estimate", "lcl", "ucl", "p_value", "units"]
        )
        deaths[["estimate", "lcl", "ucl"]] = deaths[["estimate", "lcl", "ucl"]].round(1)
        out = pd.concat([table, deaths], ignore_index=True)
        return rounded(out, {"p_value": "p"})

    def _heading(self) -> str:
        what = _METHOD_NAMES[self.method]
        if self.method == "cits":
            what += f" ({_FAMILY_NAMES[self.family]})"
        return (
            f"ControlledFit: {what} of {self.treated_name} against {len(self.controls)} "
            f"comparison areas, programme from {self.intervention:g}, {self.conf:.0%} "
            f"intervals\n{self.averted['reading'].iloc[0]}"
        )

    def plot(self, series: Any = None, **kwargs: Any) -> Axes:
        """Draw :func:`~overdose_trends.plots.controlled.plot_controlled` of this fit.

        Parameters
        ----------
        series : None
            Not used (a controlled fit has one treated area); kept for the
            common signature of the fit results.
        **kwargs
            Passed to the figure function (``intervention_label=``, ``ax=``, ...).

        Returns
        -------
        matplotlib.axes.Axes
        """
        if series is not None:
            raise ValueError(f"a ControlledFit has one treated area; got series={series!r}")
        draw = figure_function(_FIGURE)
        axes: Axes = draw(self, **kwargs)
        return axes


def fit_controlled(
    data: pd.DataFrame,
    *,
    treated: Hashable,
    controls: Sequence[Hashable],
    intervention: float,
    method: Literal["cits", "synthetic"] = "cits",
    count: Hashable = "deaths",
    population: Hashable = "population",
    time: Hashable = "year",
    area: Hashable = "area_code",
    family: Literal["quasipoisson", "poisson", "negbin", "auto"] = "quasipoisson",
    area_effects: bool = True,
    conf: float = 0.95,
    per: float = PER_100K,
    n_sim: int = 10_000,
    seed: int | None = 0,
) -> ControlledFit:
    """Controlled evaluation of a programme start: CITS or synthetic control.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area and year (any order, other areas ignored), with
        columns ``area``, ``time``, ``count`` and ``population``; e.g.
        ``pd.concat([ot.datasets.series(code) for code in codes])``.
    treated : str
        Code of the area that started the programme.
    controls : sequence of str
        Codes of the comparison areas (e.g. the treated area's statistical
        neighbours), not including ``treated``. Each must have every year of
        the treated area.
    intervention : float
        First year of the programme: years ``>= intervention`` are "post"
        (``2015``: 2015 is the first post year; ``2015.5``: 2016 is).
    method : {"cits", "synthetic"}, default "cits"
        Comparative interrupted time series (panel count model) or synthetic
        control (weighted donors, placebo inference). See Notes.
    count, population, time, area : hashable
        Columns of deaths (whole numbers), population at risk, year and area code.
    family : {"quasipoisson", "poisson", "negbin", "auto"}, default "quasipoisson"
        CITS count model: quasi-Poisson (Poisson estimates, covariance scaled
        by the Pearson dispersion, as R's ``quasipoisson``), Poisson, negative
        binomial (NB2) or Poisson refitted as NB2 when overdispersed (as
        :func:`~overdose_trends.stats.trends.loglinear.fit_trend`). Not used by
        the synthetic control.
    area_effects : bool, default True
        CITS: one level per area (comparison areas of different sizes and
        rates); False pools the comparison areas under one level, R's
        ``time * treated * post`` as written.
    conf : float, default 0.95
        Confidence level.
    per : float, default 100,000
        Rate multiplier of the rate columns.
    n_sim : int, default 10,000
        CITS: draws of the coefficients for the interval of the deaths
        difference.
    seed : int or None, default 0
        Seed of those draws.

    Returns
    -------
    ControlledFit
        ``effects`` (one row per effect: ``effect``, ``estimate``, ``lcl``,
        ``ucl``, ``p_value``; the level change as a rate ratio in the row
        ``effect == "step"``), ``averted`` (deaths observed and predicted from
        the start, their difference with its interval and a ``reading`` in
        words), ``fitted``, ``weights`` and ``placebos`` (synthetic control),
        ``results``; ``.summary()``, ``.plot()``.

    Raises
    ------
    ValueError
        Naming the area and what to do: no rows for the treated area or a
        comparison area (unknown code), the treated area among its own
        controls, a control given twice, too few controls (1 for a CITS, 2 for
        a synthetic control), a comparison area without some of the treated
        area's years (donors with missing years), too few years before the
        start (3 for a CITS, 5 for a synthetic control) or from it (2 / 1),
        monthly data; and for any series problem of the other trend models
        (gaps, repeated years, invalid or all-zero counts, non-positive
        populations, deaths above the population), an unknown ``method`` or
        ``family``, a bad ``conf``, ``per`` or ``n_sim``.

    Notes
    -----
    CITS: ``log E[y_at] = log(pop_at) + a_area + b1 (t - t0) + b2 post_t + b3
    (t - t0) post_t + c1 T_a (t - t0) + c2 T_a post_t + c3 T_a (t - t0)
    post_t`` with ``T_a = 1`` for the treated area, i.e. R's ``glm(deaths ~
    offset(log(pop)) + area + time * treated * post, family = quasipoisson)``
    with ``time = year - t0``. ``step = exp(c2)``, ``slope_change =
    exp(c3)``, ``pre_trend_difference = exp(c1)``, Wald limits and p-values
    (normal). The counterfactual of the treated area sets ``c2 = c3 = 0``: its
    own level and pre-period trend plus the comparison areas' change at
    ``t0``. The interval of the predicted deaths comes from ``n_sim`` draws of
    the coefficients (multivariate normal); observed deaths are treated as
    fixed. A ``pre_trend_difference`` far from 1 means the treated area was
    already diverging: the CITS models that divergence, but a plain
    difference-in-differences reading of ``step`` would be biased.

    Synthetic control: donor weights ``w >= 0``, ``sum(w) = 1`` minimise the
    squared difference between the treated area's crude rates and ``sum w_j
    rate_j`` over the pre-period years (SLSQP); ``step`` = observed deaths
    from the start / (synthetic rate x the treated area's population). The
    p-value ranks the treated area's post/pre RMSPE ratio among the placebos'
    (each donor treated in turn, the others its pool): ``(1 + #placebos at
    least as extreme) / (1 + #donors)``, so it is never below ``1 / (J + 1)``
    with ``J`` donors. The interval of ``step`` inverts this test for a
    constant multiplicative effect (Firpo & Possebom 2018); with fewer than
    19 donors a 95% interval is unbounded (reported as 0 to infinity).

    References
    ----------
    Lopez Bernal, Cummins & Gasparrini (2018) Int J Epidemiol 47:2082-2093;
    Abadie, Diamond & Hainmueller (2010) JASA 105:493-505; Abadie (2021) J
    Econ Lit 59:391-425; Firpo & Possebom (2018) J Causal Inference 6(2).

    Examples
    --------
    Southend-on-Sea, which supplied take-home naloxone kits more widely from
    2015, against twelve other unitary authorities (coastal towns and
    cities of similar size), drug-poisoning deaths 2001-2019:

    >>> controls = ["E06000009", "E06000027", "E06000034", "E06000035", "E06000044",
    ...             "E06000026", "E06000030", "E06000031", "E06000032", "E06000043",
    ...             "E06000045", "E06000046"]
    >>> codes = ["E06000033", *controls]
    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' and period_start == period_end "
    ...     "and 2001 <= period_start <= 2019 and area_code in @codes")
    >>> pop = (ot.datasets.population_bands().query("area_code in @codes")
    ...        .groupby(["area_code", "year"], as_index=False)["population"].sum())
    >>> df = la.rename(columns={"period_start": "year"}).merge(pop, on=["area_code", "year"])
    >>> fit = ot.fit_controlled(df, treated="E06000033", controls=controls, intervention=2015)
    >>> fit.summary()[["effect", "estimate", "lcl", "ucl", "p_value"]]
                        effect  estimate    lcl     ucl  p_value
    0                     step     0.541  0.248   1.180   0.1200
    1             slope_change     1.094  0.848   1.413   0.4900
    2     pre_trend_difference     0.997  0.949   1.047   0.9000
    3          comparison_step     1.328  1.111   1.587   0.0018
    4  comparison_slope_change     1.027  0.970   1.087   0.3600
    5           deaths_averted    32.100 -5.400  96.600      NaN
    >>> for part in fit.averted["reading"].iloc[0].split(" (", 1):
    ...     print(part)
    32.1 fewer deaths than the comparison predicts in 2015-2019
    95% interval: 96.6 fewer to 5.4 more)

    The comparison areas' rates rose from 2015 (``comparison_step`` 1.33);
    Southend's did not, so its step relative to them is 0.54, but the
    interval includes 1 (no change) and the deaths interval includes zero.
    The pre-period trends were parallel (``pre_trend_difference`` 1.00).
    """
    func = "fit_controlled"
    check_choice(func, "method", method, METHODS)
    check_choice(func, "family", family, CITS_FAMILIES)
    z = z_value(conf)
    per = positive("per", per, "100000")
    n_sim = check_whole(func, "n_sim", n_sim, 100)
    if population is None:
        raise ValueError(
            f"{func}: population is needed: areas of different sizes are compared by their rates"
        )
    pan, t0 = panel(
        data, treated=treated, controls=controls, intervention=intervention, count=count,
        population=population, time=time, area=area, method=method, func=func,
    )  # fmt: skip
    if method == "cits":
        return _cits(pan, t0, family, area_effects, z, float(conf), per, n_sim, seed, func)
    return _synthetic(pan, t0, float(conf), per)


def _averted(
    pan: Panel, observed: float, cf: tuple[float, float, float], conf: float, how: str
) -> pd.DataFrame:
    """The one-row ``averted`` table: observed and predicted deaths from the start."""
    years = pan.years[pan.post]
    with np.errstate(invalid="ignore"):
        diff = (observed - cf[0], observed - cf[2], observed - cf[1])
    span = f"{years[0]:g}-{years[-1]:g}"
    return pd.DataFrame(
        {
            "area_code": [pan.codes[0]],
            "area_name": [pan.names[0]],
            "start": [years[0]],
            "end": [years[-1]],
            "observed": [observed],
            "counterfactual": [cf[0]],
            "counterfactual_lcl": [cf[1]],
            "counterfactual_ucl": [cf[2]],
            "difference": [diff[0]],
            "difference_lcl": [diff[1]],
            "difference_ucl": [diff[2]],
            "reading": pd.array([reading(*diff, conf, span)], dtype="str"),
            "method": pd.array([how], dtype="str"),
        }
    )


def _fitted(pan: Panel, per: float, counts: dict[str, Any], comparison: Any, fitted_cmp: Any):
    table = fitted_table(pan.treated_set, per, counts, after_time={"post": pan.post})
    table["comparison_rate"] = comparison * per
    table["comparison_fitted_rate"] = fitted_cmp * per
    return table


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


def _cits(
    pan: Panel,
    t0: float,
    family: str,
    area_effects: bool,
    z: float,
    conf: float,
    per: float,
    n_sim: int,
    seed: int | None,
    func: str,
) -> ControlledFit:
    rng = np.random.default_rng(seed)
    res = fit_cits(
        pan, t0, family=family, area_effects=area_effects, z=z, conf=conf, n_sim=n_sim,
        rng=rng, func=func,
    )  # fmt: skip
    observed = float(pan.deaths[0, pan.post].sum())
    how = (
        f"counterfactual = the treated area's level and pre-period trend plus the comparison "
        f"areas' change at the start; {conf:.0%} interval from {n_sim} draws of the "
        "coefficients (multivariate normal); observed deaths treated as fixed"
    )
    averted = _averted(pan, observed, res.cf_total, conf, how)
    pooled = pan.deaths[1:].sum(axis=0) / pan.population[1:].sum(axis=0)
    fitted = _fitted(pan, per, res.counts, pooled, res.comparison_fitted)
    notes = (*pan.notes, *([f"model: {res.advice}"] if res.advice else []))
    return ControlledFit(
        "cits", res.family, pan.codes[0], pan.names[0], tuple(pan.codes[1:]), tuple(pan.names[1:]),
        t0, res.effects,
        averted, fitted, _empty(_WEIGHT_COLUMNS), _empty(_PLACEBO_COLUMNS), res.result, conf,
        per, notes,
    )  # fmt: skip


def _synthetic(pan: Panel, t0: float, conf: float, per: float) -> ControlledFit:
    res = fit_synthetic(pan, conf)
    post = pan.post
    pop = pan.population[0]
    cf_deaths = res.synthetic_rate * pop
    observed = float(pan.deaths[0, post].sum())
    predicted = float(cf_deaths[post].sum())
    lo, hi = (np.float64(v) for v in res.ratio_limits)
    with np.errstate(divide="ignore", invalid="ignore"):
        cf = (predicted, observed / hi, observed / lo)
        step = observed / predicted
    effects = pd.DataFrame(
        [
            ("step", step, lo, hi, res.p_value, "rate ratio",
             "deaths observed from the start over the synthetic control's prediction; "
             "placebo-in-space p-value, interval by inverting the placebo test"),
            ("pre_period_fit", res.pre_rmspe * per, np.nan, np.nan, np.nan,
             f"per {per:,.0f}",
             "root mean squared difference between the treated area's and the synthetic "
             "control's pre-period rates (small: a good match)"),
        ],
        columns=_EFFECT_COLUMNS,
    ).astype({"effect": "str", "units": "str", "meaning": "str"})  # fmt: skip
    n_donors = len(pan.codes) - 1
    how = (
        f"synthetic control; {conf:.0%} interval by inverting the placebo test for a constant "
        f"rate ratio over {n_donors} placebos"
        + (" (unbounded: fewer than 1/(1 - conf) - 1 donors)" if np.isinf(hi) else "")
    )
    averted = _averted(pan, observed, cf, conf, how)
    counts = {"counterfactual": cf_deaths}
    fitted = _fitted(pan, per, counts, res.synthetic_rate, np.full(pan.years.size, np.nan))
    codes, names = pan.codes[1:], pan.names[1:]
    weights = pd.DataFrame({"area_code": codes, "area_name": names, "weight": res.weights})
    weights = weights.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = res.placebo_post / res.placebo_pre
    placebos = pd.DataFrame(
        {
            "area_code": codes,
            "area_name": names,
            "pre_rmspe": res.placebo_pre * per,
            "post_rmspe": res.placebo_post * per,
            "ratio": ratio,
        }
    )
    notes = (
        *pan.notes,
        f"weights fitted to the {pan.n_pre} pre-period rates; {n_donors} placebos",
    )
    return ControlledFit(
        "synthetic", "", pan.codes[0], pan.names[0], tuple(codes), tuple(names), t0, effects,
        averted,
        fitted, weights, placebos, None, conf, per, notes,
    )  # fmt: skip
