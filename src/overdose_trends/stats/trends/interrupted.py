"""Interrupted time series: level and slope change of death counts at a known intervention.

:func:`fit_interrupted` fits, to each series, the segmented log-linear regression

    log E[y_t] = log(pop_t) + b0 + b1 (t - t0) + b2 post_t + b3 (t - t0) post_t [+ season]

with ``post_t = 1`` for ``t >= t0`` (``t0`` the intervention), by Poisson or
negative binomial (NB2) maximum likelihood, and reports the step (``exp(b2)``)
and slope change (``exp(b3)`` per year) as rate ratios, the annual percent
change before and after, the counterfactual (the pre-intervention trend
projected: ``b2 = b3 = 0``) with confidence limits, and the deaths averted
(counterfactual minus observed over the post-intervention period) with a
simulation interval.

References
----------
Bernal JL, Cummins S, Gasparrini A (2017). Interrupted time series regression
for the evaluation of public health interventions: a tutorial. *International
Journal of Epidemiology* 46(1):348-355 (segmented Poisson regression with
offset, level and slope change, Fourier terms for seasonality, overdispersion).

Wagner AK, Soumerai SB, Zhang F, Ross-Degnan D (2002). Segmented regression
analysis of interrupted time series studies in medication use research.
*Journal of Clinical Pharmacy and Therapeutics* 27:299-309.

Zhang F, Wagner AK, Ross-Degnan D (2011). Simulation-based power calculation
for designing interrupted time series analyses of health policy interventions.
*Journal of Clinical Epidemiology* 64:1252-1261 (absolute effects as
counterfactual minus observed, with intervals by simulation).

Cameron AC, Trivedi PK (2013). *Regression Analysis of Count Data*, 2nd ed.
Cambridge University Press (NB2, overdispersion).
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import frame, positive, show, tidy_number
from overdose_trends.constants import PER_100K
from overdose_trends.stats.intervals import z_value
from overdose_trends.stats.trends._apc import apc_from_slope
from overdose_trends.stats.trends._args import check_choice, check_whole
from overdose_trends.stats.trends._count_model import (
    CountFit,
    Family,
    check_family,
    fit_counts,
    fitted_table,
    link_limits,
    one_sided,
    wald,
)
from overdose_trends.stats.trends._display import FitDisplay, rounded
from overdose_trends.stats.trends._series import (
    SeriesSet,
    exclusion_hint,
    fail_series,
    prepare,
    series_key,
    series_labels,
    series_seeds,
)

__all__ = ["InterruptedFit", "SEASONALITY", "fit_interrupted"]

#: Accepted values of ``seasonality`` (besides None).
SEASONALITY = ("fourier", "month")
_MIN_PRE = 3
_MIN_POST = 2
#: Columns of :meth:`InterruptedFit.summary` from ``effects`` and their decimals.
_EFFECT_DIGITS: dict[str, int | str] = {
    "level_ratio": 3,
    "level_lcl": 3,
    "level_ucl": 3,
    "level_p": "p",
    "slope_change_ratio": 3,
    "slope_change_lcl": 3,
    "slope_change_ucl": 3,
    "slope_change_p": "p",
}
#: Columns of :meth:`InterruptedFit.summary` from ``averted`` and their decimals.
_AVERTED_DIGITS: dict[str, int | str] = {
    "counterfactual": 1,
    "averted": 1,
    "averted_lcl": 1,
    "averted_ucl": 1,
}

Intervention = float | int | str | dt.date | pd.Timestamp | pd.Period


@dataclass(frozen=True, repr=False)
class InterruptedFit(FitDisplay):
    """Result of :func:`fit_interrupted`.

    Attributes
    ----------
    effects : pandas.DataFrame
        One row per series: the ``by`` keys, then ``family`` (``"poisson"`` or
        ``"negbin"``), ``intervention`` (as given), ``n_pre``, ``n_post``
        (time points before / from the intervention);
        ``level_ratio``, ``level_lcl``, ``level_ucl``, ``level_p``: the step at
        the intervention, ``exp(b2)``, as a rate ratio (post-intervention model
        over the projected pre-intervention trend, at ``t0``) with Wald limits
        and p-value;
        ``pre_apc``, ``pre_apc_lcl``, ``pre_apc_ucl`` and ``post_apc`` (+
        ``_lcl``, ``_ucl``): annual percent change before and after (% per
        year; ``100 (exp(u b1) - 1)`` and ``100 (exp(u (b1 + b3)) - 1)``);
        ``slope_change_ratio`` (+ ``_lcl``, ``_ucl``, ``_p``): ``exp(u b3)``,
        the ratio of the post to the pre annual rate ratio; ``u`` is 1 for
        annual and 12 for monthly data;
        ``dispersion``, ``dispersion_p`` (Pearson ``X^2 / df`` of the Poisson
        fit and its chi-square p-value), ``alpha`` (NB2; NaN for Poisson),
        ``advice`` (text, ``""`` when none).
    fitted : pandas.DataFrame
        One row per series and time: keys, ``time`` (as in the input),
        ``post`` (bool), ``observed`` (count), ``population`` (NaN without),
        ``expected`` (+ ``_lcl``, ``_ucl``): fitted count with limits for the
        mean; ``counterfactual`` (+ ``_lcl``, ``_ucl``): the same model with
        ``b2 = b3 = 0`` (equal to ``expected`` before the intervention);
        ``observed_rate``, ``rate`` (+ ``_lcl``, ``_ucl``) and
        ``counterfactual_rate`` (+ ``_lcl``, ``_ucl``): per ``per`` population
        per time unit (NaN without a population).
    averted : pandas.DataFrame
        One row per series: keys, ``start`` and ``end`` (first and last
        post-intervention time), ``observed`` (deaths then),
        ``counterfactual`` (expected deaths then had the pre-intervention trend
        continued), ``counterfactual_lcl``, ``counterfactual_ucl``,
        ``averted`` (``counterfactual - observed``; negative means excess
        deaths), ``averted_lcl``, ``averted_ucl`` and ``method`` (text).
    results : dict
        By-values tuple (``()`` without ``by``) -> statsmodels results, design
        columns ``const``, ``time`` (``t - t0`` in years or months), ``post``,
        ``time_after`` (``(t - t0) post``) and any seasonal terms
        (``sin1``, ``cos1``, ... or ``month_02`` ... ``month_12``).
    conf : float
        Confidence level.
    per : float
        Rate multiplier.
    notes : tuple of str
        What was done to the input: rows sorted, time taken from
        ``period_start`` (empty when nothing was).

    Notes
    -----
    :meth:`summary` gives the level and slope change and the deaths averted
    of each series, rounded; :meth:`plot` draws
    :func:`~overdose_trends.plots.trends.plot_interrupted`. In a notebook the
    fit shows itself as its summary table with a heading and the notes.
    """

    effects: pd.DataFrame
    fitted: pd.DataFrame
    averted: pd.DataFrame
    results: dict[tuple[Hashable, ...], Any]
    conf: float
    per: float
    notes: tuple[str, ...] = ()
    _figure = "InterruptedFit"

    def summary(self) -> pd.DataFrame:
        """The effect of the intervention on each series, and the deaths averted.

        Returns
        -------
        pandas.DataFrame
            One row per series: the ``by`` keys, ``intervention``, ``family``;
            ``level_ratio``, ``level_lcl``, ``level_ucl`` (the step at the
            intervention as a rate ratio with its limits at level ``conf``, 3
            decimals) and ``level_p``; ``slope_change_ratio``,
            ``slope_change_lcl``, ``slope_change_ucl`` (ratio of the annual
            rate ratio after to before, 3 decimals) and ``slope_change_p``
            (p-values to 2 significant figures); ``observed`` (deaths from the
            intervention on), ``counterfactual`` (expected had the earlier
            trend continued), ``averted`` (``counterfactual - observed``;
            negative means excess deaths), ``averted_lcl``, ``averted_ucl``
            (simulation interval), deaths to 1 decimal. The full tables are
            ``effects`` and ``averted``.
        """
        columns = list(self.effects.columns)
        keys = columns[: columns.index("family")]
        effects = self.effects[[*keys, "intervention", "family", *_EFFECT_DIGITS]]
        averted = self.averted[["observed", *_AVERTED_DIGITS]]
        table = pd.concat([effects, averted.set_axis(effects.index)], axis=1)
        return rounded(table, _EFFECT_DIGITS | _AVERTED_DIGITS)

    def _heading(self) -> str:
        families = " / ".join(sorted(set(self.effects["family"]), reverse=True))
        when = ", ".join(sorted({show(v) for v in self.effects["intervention"]}))
        return (
            f"InterruptedFit: segmented log-linear regression ({families}), intervention "
            f"{when}, {len(self.effects)} series, {self.conf:.0%} intervals"
        )


def _intervention_time(intervention: Intervention, unit: str, func: str) -> float:
    """The intervention on the series' time scale (years, or months since January 1970)."""
    if isinstance(intervention, bool):
        raise ValueError(f"{func}: intervention must be a time, not {intervention!r}")
    if isinstance(intervention, numbers.Real):
        value = float(intervention)
        if not np.isfinite(value):
            raise ValueError(f"{func}: intervention must be finite, got {value:g}")
        return value if unit == "year" else (value - 1970.0) * 12.0
    try:
        if isinstance(intervention, pd.Period):
            stamp = intervention.to_timestamp(how="start")
        else:
            stamp = pd.Timestamp(intervention)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{func}: intervention {intervention!r} is neither a number (year) nor a date"
        ) from exc
    if pd.isna(stamp):
        raise ValueError(f"{func}: intervention is missing")
    if unit == "year":
        days = 366.0 if stamp.is_leap_year else 365.0
        return stamp.year + (stamp.day_of_year - 1) / days
    return (stamp.year - 1970) * 12.0 + stamp.month - 1 + (stamp.day - 1) / stamp.days_in_month


def _seasonal_terms(
    months: NDArray[np.float64], seasonality: str | None, harmonics: int
) -> dict[str, NDArray[np.float64]]:
    """Seasonal design columns from the month index (months since January 1970)."""
    if seasonality is None:
        return {}
    moy = np.mod(np.round(months), 12.0)  # 0 = January
    if seasonality == "month":
        return {f"month_{m + 1:02d}": (moy == m).astype(np.float64) for m in range(1, 12)}
    terms: dict[str, NDArray[np.float64]] = {}
    for k in range(1, harmonics + 1):
        angle = 2.0 * np.pi * k * moy / 12.0
        if k < 6:  # sin(pi m) is 0 at every month
            terms[f"sin{k}"] = np.sin(angle)
        terms[f"cos{k}"] = np.cos(angle)
    return terms


def fit_interrupted(
    data: pd.DataFrame,
    *,
    intervention: Intervention,
    count: Hashable = "deaths",
    population: Hashable | None = None,
    time: Hashable = "year",
    by: Hashable | Sequence[Hashable] | None = None,
    family: Family = "auto",
    seasonality: Literal["fourier", "month"] | None = None,
    harmonics: int = 2,
    conf: float = 0.95,
    per: float = PER_100K,
    n_sim: int = 10_000,
    seed: int | np.random.SeedSequence | None = 0,
) -> InterruptedFit:
    """Segmented (interrupted time series) regression with a counterfactual and deaths averted.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per series and time point, without gaps, in any order (rows
        are sorted by series and time, and ``notes`` says so).
    count : hashable, default "deaths"
        Column of event counts.
    population : hashable, optional
        Column of the population at risk (``log`` offset); without it the model
        describes counts.
    time : hashable, default "year"
        Column of times: numeric years, or monthly datetimes (first of the
        month) / monthly periods. Without a ``year`` column, a ``period_start``
        column of single registration years (``period_end`` equal to it, as
        the readers give) is used; multi-year periods are refused.
    intervention : number, date or period
        Start of the post-intervention period: times ``t >= intervention``
        are "post". For annual data a year: ``2015`` makes 2015 the first post
        year; a fraction such as ``2015.5`` (or a date, converted to a
        fractional year) places the change within a year (2016 is then the first
        post year). For monthly data a date or monthly period such as
        ``"2015-10"`` (October 2015 is the first post month; a date after the
        1st makes the next month the first post month), or a number read as a
        fractional year with ``2015.75`` = start of October 2015.
    by : hashable or sequence, optional
        Columns naming the series.
    family : {"auto", "poisson", "negbin"}, default "auto"
        As :func:`overdose_trends.stats.trends.loglinear.fit_trend`: Poisson, NB2,
        or Poisson refitted as NB2 when the Pearson chi-square test finds
        overdispersion at the 5% level.
    seasonality : {None, "fourier", "month"}, default None
        Seasonal terms for monthly data: ``"fourier"`` adds ``harmonics`` pairs
        ``sin(2 pi k m / 12)``, ``cos(2 pi k m / 12)`` (``m`` = month of year,
        0 = January; the 6th harmonic has only its cosine); ``"month"`` adds
        11 month-of-year indicators (January the reference).
    harmonics : int, default 2
        Number of Fourier harmonics, 1-6 (6 is equivalent to ``"month"``).
    conf : float, default 0.95
        Confidence level of all intervals.
    per : float, default 100,000
        Rate multiplier.
    n_sim : int, default 10,000
        Draws of the coefficients for the deaths-averted interval.
    seed : int, SeedSequence or None, default 0
        Seed of the simulation. Each series draws from its own stream, derived
        from the seed and the series' ``by`` values, so its interval is the
        same whether it is fitted alone or with any other series (e.g. after
        leaving a bad series out). None for fresh randomness.

    Returns
    -------
    InterruptedFit
        ``effects`` (one row per series: level change ``level_ratio`` and slope
        change ``slope_change_ratio`` as rate ratios, APC before and after in
        % per year) and ``averted`` (deaths averted with a simulation
        interval), ``fitted`` (one row per series and time), statsmodels
        ``results`` and ``notes``; columns in :class:`InterruptedFit`.
        ``.summary()`` gives the key numbers, ``.plot()`` the figure.

    Raises
    ------
    ValueError
        Naming the series: for the input problems of
        ``overdose_trends.stats.trends._series.prepare`` (too short, a
        repeated time, gaps, all-zero or invalid counts, bad populations), fewer
        than 3 time points before or 2 from the intervention, a segment
        (before / from the intervention) with no deaths or with deaths only at
        its first or last point, more parameters than time points allow (no
        residual degrees of freedom), coefficients without a finite estimate
        (e.g. a month of the year with no deaths under ``"month"``
        seasonality), a negative binomial fit that fails. Also for
        ``seasonality`` with annual data or an unknown value, bad
        ``harmonics``, ``family``, ``conf``, ``per`` or ``n_sim``, and an
        intervention that is not a time. One bad series stops the whole
        batch: with ``by`` the message names every bad series and ends with
        pandas code to leave them out of ``data`` (e.g.
        ``data[~data['area_code'].isin(['E06000053'])]`` for the Isles of
        Scilly, with no drug-poisoning deaths 2015-2019).

    Notes
    -----
    Model (Bernal et al. 2017): ``log E[y_t] = log(pop_t) + b0 + b1 (t - t0)
    + b2 post_t + b3 (t - t0) post_t + s(month_t)``, time ``t`` in years for
    annual data and months for monthly data (``t0`` the intervention on that
    scale). Measuring time from ``t0`` makes ``exp(b2)`` the step at ``t0``.
    Slopes are reported per year (``u = 12`` times the monthly slope).
    Intervals for ``expected`` and ``counterfactual`` are Wald limits on the
    log scale (delta method, ``x' V x`` with ``V`` the coefficient covariance)
    transformed back.

    Deaths averted: ``sum over post times of (counterfactual_t - observed_t)``
    where ``counterfactual_t = exp(offset_t + b0 + b1 (t - t0) + s_t)``. The
    observed deaths are treated as fixed data, so the interval reflects only
    the uncertainty of the counterfactual (the projected pre-intervention
    trend): ``n_sim`` coefficient vectors are drawn from their estimated
    multivariate normal distribution, the counterfactual total is computed for
    each, and its ``(1 - conf)/2`` and ``(1 + conf)/2`` quantiles give
    ``counterfactual_lcl`` / ``_ucl``; ``averted_lcl = counterfactual_lcl -
    observed`` and ``averted_ucl = counterfactual_ucl - observed``. Poisson
    noise of the observed counts is not added: the interval is for the deaths
    averted in the period that happened, not for the long-run expected effect.

    Residual autocorrelation is not modelled; inspect
    ``results[key].resid_pearson`` (Bernal et al. 2017 discuss adjustments).

    References
    ----------
    Bernal, Cummins & Gasparrini (2017) Int J Epidemiol 46:348-355; Wagner et
    al. (2002) J Clin Pharm Ther 27:299-309; Zhang, Wagner & Ross-Degnan
    (2011) J Clin Epidemiol 64:1252-1261; Cameron & Trivedi (2013).

    Examples
    --------
    Drug-poisoning deaths in Southend-on-Sea, 2001-2019, with the all-ages
    population summed from the age bands; take-home naloxone was supplied more
    widely from 2015:

    >>> la = ot.datasets.la_deaths()
    >>> deaths = la[(la["area_code"] == "E06000033") & (la["measure"] == "poisoning")
    ...             & (la["sex"] == "persons") & (la["period_start"] == la["period_end"])
    ...             & la["period_start"].between(2001, 2019)]
    >>> bands = ot.datasets.population_bands()
    >>> bands = bands[(bands["area_code"] == "E06000033") & bands["year"].between(2001, 2019)]
    >>> population = bands.groupby("year", as_index=False)["population"].sum()
    >>> series = deaths.assign(year=deaths["period_start"]).merge(population, on="year")
    >>> its = ot.fit_interrupted(series, population="population", intervention=2015)
    >>> its.summary()[["level_ratio", "level_lcl", "level_ucl", "level_p"]]
       level_ratio  level_lcl  level_ucl  level_p
    0        0.721      0.384      1.353     0.31
    >>> its.summary()[["observed", "counterfactual", "averted", "averted_lcl", "averted_ucl"]]
       observed  counterfactual  averted  averted_lcl  averted_ucl
    0        61            66.6      5.6        -16.8         40.1

    No evidence of an effect: the step is not significant, and the interval
    for the deaths averted in 2015-2019 includes zero.
    """
    func = "fit_interrupted"
    z, per, n_sim, harmonics = _check_options(family, conf, per, n_sim, seasonality, harmonics)
    sset = prepare(
        data,
        time=time,
        count=count,
        population=population,
        by=by,
        min_points=_MIN_PRE + _MIN_POST,
        func=func,
    )
    if seasonality is not None and sset.time_unit != "month":
        raise ValueError(
            f"{func}: seasonality={seasonality!r} needs monthly data, but time column "
            f"{sset.time_column!r} holds years"
        )
    t0 = _intervention_time(intervention, sset.time_unit, func)
    design = _design(sset, t0, seasonality, harmonics)
    _check_segments(sset, design, intervention, func)
    fits = _fit_series(sset, design, family, z, conf, n_sim, seed)
    effects = _effects_table(sset, design, fits, intervention, z)
    fitted = fitted_table(sset, per, fits.counts, after_time={"post": design.post})
    averted = _averted_table(sset, design, fits, conf, n_sim)
    results = {series_key(sset.groups, g): fit.result for g, fit in enumerate(fits.fits)}
    return InterruptedFit(effects, fitted, averted, results, float(conf), per, sset.notes)


def _check_options(
    family: str, conf: float, per: float, n_sim: int, seasonality: str | None, harmonics: int
) -> tuple[float, float, int, int]:
    """Checked options: the normal quantile of ``conf``, ``per``, ``n_sim``, ``harmonics``."""
    func = "fit_interrupted"
    check_family(family, func)
    z = z_value(conf)
    per = positive("per", per, "100000")
    n_sim = check_whole(func, "n_sim", n_sim, 100)
    check_choice(func, "seasonality", seasonality, (None, *SEASONALITY))
    if seasonality == "fourier":
        harmonics = check_whole(func, "harmonics", harmonics, 1, 6)
    return z, per, n_sim, harmonics


@dataclass(frozen=True)
class _Design:
    """The segmented design of every row; rows of a series are a contiguous slice."""

    X: NDArray[np.float64]  # const, time, post, time_after, seasonal terms
    X_cf: NDArray[np.float64]  # the same with post and time_after set to 0
    names: list[str]
    post: NDArray[np.bool_]
    offset: NDArray[np.float64]
    n_pre: NDArray[np.int64]
    n_post: NDArray[np.int64]


def _design(sset: SeriesSet, t0: float, seasonality: str | None, harmonics: int) -> _Design:
    """Design matrices of the model and of its counterfactual, for all rows at once."""
    n_rows = len(sset.time)
    rel = sset.time - t0
    post = sset.time >= t0 - 1e-9
    columns = {
        "const": np.ones(n_rows),
        "time": rel,
        "post": post.astype(np.float64),
        "time_after": rel * post,
        **_seasonal_terms(sset.time, seasonality, harmonics),
    }
    X = np.column_stack(list(columns.values()))
    X_cf = X.copy()
    X_cf[:, 2:4] = 0.0
    offset = np.log(sset.population) if sset.population is not None else np.zeros(n_rows)
    n_post = np.add.reduceat(post.astype(np.int64), sset.starts[:-1])
    n_pre = sset.lengths() - n_post
    return _Design(X, X_cf, list(columns), post, offset, n_pre, n_post)


def _check_segments(
    sset: SeriesSet, design: _Design, intervention: Intervention, func: str
) -> None:
    """Enough points on each side, deaths away from each segment's ends, residual df."""
    when = {
        "before": f"before the intervention ({intervention!r})",
        "from": f"from the intervention ({intervention!r}) on",
    }
    for have, side, need in (
        (design.n_pre, "before", _MIN_PRE),
        (design.n_post, "from", _MIN_POST),
    ):
        if (have < need).any():

            def too_few_points(
                g: int, have: NDArray[np.int64] = have, side: str = side, need: int = need
            ) -> str:
                return f"has {have[g]} time point(s) {when[side]}; at least {need} are needed"

            fail_series(sset.groups, have < need, too_few_points, func)
    # each segment needs deaths away from its ends, or its level/slope is infinite
    y_all = sset.count
    assert y_all is not None
    times = sset.times
    seg_starts = np.sort(np.r_[sset.starts, sset.starts[:-1] + design.n_pre])
    one = one_sided(y_all, seg_starts).reshape(-1, 2)
    for j, side in ((0, "before"), (1, "from")):
        if one[:, j].any():

            def no_deaths(g: int, j: int = j, side: str = side) -> str:
                rows = np.arange(seg_starts[2 * g + j], seg_starts[2 * g + j + 1])
                deaths = y_all[rows]
                first = times[rows[np.argmax(deaths > 0)]]
                what = (
                    "no deaths"
                    if deaths.sum() == 0
                    else f"deaths only at {sset.time_column}={show(first)}"
                )
                return f"{what} {when[side]}, so the level or slope change has no finite estimate"

            fail_series(sset.groups, one[:, j], no_deaths, func)
    lengths = sset.lengths()
    k = len(design.names)
    too_few = lengths <= k
    if too_few.any():
        fail_series(
            sset.groups,
            too_few,
            lambda g: (
                f"{lengths[g]} time points cannot fit {k} parameters "
                f"({', '.join(design.names)}) with any residual degrees of freedom"
            ),
            func,
        )


@dataclass(frozen=True)
class _Fits:
    """The model of every series: fits, coefficients and fitted counts with limits."""

    fits: list[CountFit]
    params: NDArray[np.float64]  # (series, k)
    cov: NDArray[np.float64]  # (series, k, k)
    counts: dict[str, NDArray[np.float64]]  # expected and counterfactual (+ _lcl, _ucl)
    sim: NDArray[np.float64]  # (series, 2): simulated limits of the counterfactual total


def _fit_series(
    sset: SeriesSet,
    design: _Design,
    family: str,
    z: float,
    conf: float,
    n_sim: int,
    seed: int | np.random.SeedSequence | None,
) -> _Fits:
    """Fit each series; the counterfactual total's interval from ``n_sim`` coefficient draws."""
    y_all = sset.count
    assert y_all is not None
    n_rows, k = design.X.shape
    labels = series_labels(sset.groups)
    seeds = series_seeds(seed, sset.groups)
    q = [(1.0 - conf) / 2.0, (1.0 + conf) / 2.0]
    names = ["expected", "expected_lcl", "expected_ucl"]
    names += ["counterfactual", "counterfactual_lcl", "counterfactual_ucl"]
    counts = {name: np.empty(n_rows) for name in names}
    params = np.empty((sset.n_series, k))
    cov = np.empty((sset.n_series, k, k))
    sim = np.empty((sset.n_series, 2))
    fits = []
    for g in range(sset.n_series):
        rows = sset.rows(g)
        X, X_cf, off = design.X[rows], design.X_cf[rows], design.offset[rows]
        hint = exclusion_hint(sset.groups, np.arange(sset.n_series) == g)
        fit = fit_counts(
            y_all[rows], pd.DataFrame(X, columns=design.names), off, family, labels[g],
            "fit_interrupted", hint,
        )  # fmt: skip
        fits.append(fit)
        params[g], cov[g] = fit.params, fit.cov
        limits = (
            *link_limits(X, off, fit.params, fit.cov, z),
            *link_limits(X_cf, off, fit.params, fit.cov, z),
        )
        for name, values in zip(names, limits, strict=True):
            counts[name][rows] = values
        after = design.post[rows]
        draws = np.random.default_rng(seeds[g]).multivariate_normal(
            fit.params, fit.cov, size=n_sim, method="eigh"
        )
        totals = np.exp(off[after][:, None] + X_cf[after] @ draws.T).sum(axis=0)
        sim[g] = np.quantile(totals, q)
    return _Fits(fits, params, cov, counts, sim)


def _effects_table(
    sset: SeriesSet, design: _Design, fits: _Fits, intervention: Intervention, z: float
) -> pd.DataFrame:
    """One row per series: level and slope change, APC before and after, diagnostics."""
    unit = 12.0 if sset.time_unit == "month" else 1.0
    b, cov = fits.params, fits.cov
    se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    level, level_lo, level_hi = (1 + v / 100 for v in apc_from_slope(b[:, 2], se[:, 2], z))
    pre = apc_from_slope(unit * b[:, 1], unit * se[:, 1], z)
    post_se = np.sqrt(cov[:, 1, 1] + cov[:, 3, 3] + 2 * cov[:, 1, 3])
    post = apc_from_slope(unit * (b[:, 1] + b[:, 3]), unit * post_se, z)
    change = [1 + v / 100 for v in apc_from_slope(unit * b[:, 3], unit * se[:, 3], z)]

    def column(name: str) -> NDArray[np.float64]:
        return np.asarray([getattr(fit, name) for fit in fits.fits], dtype=np.float64)

    return frame(
        sset.groups.key_rows,
        {
            "family": pd.array([fit.family for fit in fits.fits], dtype="str"),
            "intervention": [intervention] * sset.n_series,
            "n_pre": design.n_pre,
            "n_post": design.n_post,
            "level_ratio": level,
            "level_lcl": level_lo,
            "level_ucl": level_hi,
            "level_p": wald(b[:, 2], se[:, 2]),
            "pre_apc": pre[0],
            "pre_apc_lcl": pre[1],
            "pre_apc_ucl": pre[2],
            "post_apc": post[0],
            "post_apc_lcl": post[1],
            "post_apc_ucl": post[2],
            "slope_change_ratio": change[0],
            "slope_change_lcl": change[1],
            "slope_change_ucl": change[2],
            "slope_change_p": wald(b[:, 3], se[:, 3]),
            "dispersion": column("dispersion"),
            "dispersion_p": column("dispersion_p"),
            "alpha": column("alpha"),
            "advice": pd.array([fit.advice for fit in fits.fits], dtype="str"),
        },
    )


def _averted_table(
    sset: SeriesSet, design: _Design, fits: _Fits, conf: float, n_sim: int
) -> pd.DataFrame:
    """One row per series: observed and counterfactual deaths from the intervention on."""
    y_all = sset.count
    assert y_all is not None
    gid, n, post = sset.groups.gid, sset.n_series, design.post
    observed = np.bincount(gid, weights=np.where(post, y_all, 0.0), minlength=n).astype(np.float64)
    cf = fits.counts["counterfactual"]
    cf_post = np.bincount(gid, weights=np.where(post, cf, 0.0), minlength=n)
    times = sset.times
    first_post = sset.starts[:-1] + design.n_pre
    method = (
        f"counterfactual = pre-intervention trend projected (level and slope change set to 0); "
        f"{conf:.0%} interval from {int(n_sim)} draws of the coefficients (multivariate "
        "normal); observed deaths treated as fixed (no Poisson noise added)"
    )
    sim = fits.sim
    return frame(
        sset.groups.key_rows,
        {
            "start": times[first_post],
            "end": times[sset.starts[1:] - 1],
            "observed": tidy_number(observed),
            "counterfactual": cf_post,
            "counterfactual_lcl": sim[:, 0],
            "counterfactual_ucl": sim[:, 1],
            "averted": cf_post - observed,
            "averted_lcl": sim[:, 0] - observed,
            "averted_ucl": sim[:, 1] - observed,
            "method": pd.array([method] * n, dtype="str"),
        },
    )
