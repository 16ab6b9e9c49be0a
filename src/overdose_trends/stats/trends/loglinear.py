"""Log-linear trend of death counts: annual percent change (APC) by Poisson or negative binomial.

:func:`fit_trend` fits, to each series, the generalised linear model

    log E[deaths_t] = log(population_t) + b0 + b1 (t - mean(t))

(without the offset when no population is given) by maximum likelihood,
with Poisson or negative binomial (NB2) errors, and reports the annual percent
change ``APC = 100 (exp(b1) - 1)`` with its Wald confidence interval, the
dispersion diagnostics that decide between the two families, and the fitted
counts and rates with confidence intervals for plotting.

The count model itself (one series, any design matrix, the overdispersion
rule) is in the private ``overdose_trends.stats.trends._count_model``,
shared with :mod:`overdose_trends.stats.trends.interrupted`.

References
----------
McCullagh P, Nelder JA (1989). *Generalized Linear Models*, 2nd ed. Chapman &
Hall (Poisson log-linear models with offsets, Pearson X^2 and the dispersion
parameter, sections 4.4-4.5 and 6.2).

Cameron AC, Trivedi PK (1990). Regression-based tests for overdispersion in
the Poisson model. *Journal of Econometrics* 46:347-364.

Cameron AC, Trivedi PK (2013). *Regression Analysis of Count Data*, 2nd ed.
Cambridge University Press (NB2 model, overdispersion tests, chapter 3).

National Cancer Institute. *Joinpoint Trend Analysis Software*, help topic
"Annual Percent Change (APC)".
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import frame, positive, show
from overdose_trends.constants import PER_100K
from overdose_trends.stats.intervals import z_value
from overdose_trends.stats.trends._apc import apc_from_slope
from overdose_trends.stats.trends._count_model import (
    FAMILIES,
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
)

__all__ = ["FAMILIES", "TrendFit", "fit_trend"]

#: Columns of :meth:`TrendFit.summary` (after the ``by`` keys) and their decimals.
_SUMMARY_DIGITS: dict[str, int | str] = {"apc": 1, "apc_lcl": 1, "apc_ucl": 1, "p_value": "p"}


@dataclass(frozen=True, repr=False)
class TrendFit(FitDisplay):
    """Result of :func:`fit_trend`.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per series: the ``by`` keys, then

        - ``family`` (``"poisson"`` or ``"negbin"``, the model reported),
          ``n_points``, ``first``, ``last`` (first and last time);
        - ``apc``, ``apc_lcl``, ``apc_ucl``: annual percent change and its
          Wald limits, % per year (for monthly data computed from the monthly
          slope as ``100 (exp(12 b) - 1)``);
        - ``rate_ratio``, ``rr_lcl``, ``rr_ucl``: ``exp(b)`` per year, i.e.
          ``1 + apc / 100``;
        - ``p_value``: Wald test of zero slope;
        - ``dispersion``: Pearson ``X^2 / df_resid`` of the **Poisson** fit
          (reported for either family: it is the overdispersion diagnostic);
          ``dispersion_p``: upper-tail chi-square p-value of ``X^2`` on
          ``df_resid`` df;
        - ``alpha``: NB2 dispersion (``Var = mu + alpha mu^2``), NaN for Poisson;
        - ``deviance``, ``df_resid`` (points - 2), ``aic``: of the reported model;
        - ``advice``: text, ``""`` when none.
    fitted : pandas.DataFrame
        One row per series and time: keys, ``time`` (as in the input),
        ``observed`` (count), ``population`` (NaN without one), ``expected``,
        ``expected_lcl``, ``expected_ucl`` (fitted count with confidence limits
        for the mean), ``observed_rate``, ``rate``, ``rate_lcl``, ``rate_ucl``
        (per ``per`` population, per time unit of the data; NaN without a
        population).
    results : dict
        By-values tuple (``()`` without ``by``) -> statsmodels results of the
        reported model (design columns ``const`` and ``time``, time centred on
        the series' mean, in years or months).
    conf : float
        Confidence level.
    per : float
        Rate multiplier.
    notes : tuple of str
        What was done to the input: rows sorted, time taken from
        ``period_start`` (empty when nothing was).

    Notes
    -----
    :meth:`summary` gives the APC of each series with its interval and
    p-value, rounded; :meth:`plot` draws
    :func:`~overdose_trends.plots.trends.plot_trend`. In a notebook the fit
    shows itself as its summary table with a heading and the notes.
    """

    estimates: pd.DataFrame
    fitted: pd.DataFrame
    results: dict[tuple[Hashable, ...], Any]
    conf: float
    per: float
    notes: tuple[str, ...] = ()
    _figure = "TrendFit"

    def summary(self) -> pd.DataFrame:
        """The trend of each series: APC with its confidence interval and p-value.

        Returns
        -------
        pandas.DataFrame
            One row per series: the ``by`` keys, ``first`` and ``last`` (times),
            ``n_points``, ``family`` (``"poisson"`` or ``"negbin"``), ``apc``,
            ``apc_lcl``, ``apc_ucl`` (annual percent change and its limits at
            level ``conf``, % per year, 1 decimal) and ``p_value`` (Wald test of
            no trend, 2 significant figures). The full table is
            ``estimates``.
        """
        keys = list(self.estimates.columns[: list(self.estimates.columns).index("family")])
        columns = [*keys, "first", "last", "n_points", "family", *_SUMMARY_DIGITS]
        return rounded(self.estimates[columns], _SUMMARY_DIGITS)

    def _heading(self) -> str:
        families = " / ".join(sorted(set(self.estimates["family"]), reverse=True))
        n = len(self.estimates)
        return (
            f"TrendFit: log-linear trend ({families}), {n} series, APC in % per year with "
            f"{self.conf:.0%} intervals"
        )


def fit_trend(
    data: pd.DataFrame,
    *,
    count: Hashable = "deaths",
    population: Hashable | None = None,
    time: Hashable = "year",
    by: Hashable | Sequence[Hashable] | None = None,
    family: Family = "auto",
    conf: float = 0.95,
    per: float = PER_100K,
) -> TrendFit:
    """Log-linear trend of counts: APC with confidence interval, dispersion and fitted values.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per series and time point, without gaps, in any order (rows
        are sorted by series and time, and ``notes`` says so). The readers'
        output works as it is (see ``time``).
    count : hashable, default "deaths"
        Column of event counts (non-negative whole numbers).
    population : hashable, optional
        Column of the population at risk; ``log(population)`` is the offset, so
        the model describes rates. Without it, the counts themselves.
    time : hashable, default "year"
        Column of times: numeric years, or monthly datetimes (first of the
        month) / monthly periods. Without a ``year`` column, a ``period_start``
        column of single registration years (``period_end`` equal to it, as
        :func:`~overdose_trends.io.datasets.national_deaths` gives) is used;
        multi-year periods are refused.
    by : hashable or sequence, optional
        Columns naming the series (e.g. ``"area_code"``); one fit per series.
    family : {"auto", "poisson", "negbin"}, default "auto"
        ``"poisson"``: Poisson maximum likelihood; when the Pearson test finds
        overdispersion the ``advice`` column says so and recommends
        ``"negbin"``. ``"negbin"``: negative binomial NB2 with ``alpha``
        estimated by maximum likelihood. ``"auto"``: Poisson, refitted as NB2
        when overdispersed (rule in Notes), which ``advice`` then records.
    conf : float, default 0.95
        Confidence level of all intervals.
    per : float, default 100,000
        Rate multiplier for the ``rate`` columns.

    Returns
    -------
    TrendFit
        ``estimates`` (one row per series: APC in % per year with its
        interval, p-value, dispersion, family), ``fitted`` (one row per series
        and time), the statsmodels ``results`` and ``notes``; columns in
        :class:`TrendFit`. ``.summary()`` gives the key numbers, ``.plot()``
        the figure.

    Raises
    ------
    ValueError
        Naming the series, for fewer than 3 time points, a repeated time,
        missing time points, all-zero or invalid counts, non-positive
        populations, counts above their population (more deaths than people at
        risk, naming the time; see ``overdose_trends.stats.trends._series.prepare``),
        all deaths at the first or the last time point (the slope's
        maximum-likelihood estimate is then infinite), and a negative binomial
        fit that fails to converge; also for an unknown ``family`` or a bad
        ``conf`` / ``per``. One bad series stops the whole batch: with ``by``
        the message names every bad series and ends with pandas code to leave
        them out of ``data`` (e.g. ``data[~data['area_code'].isin([...])]``).

    Notes
    -----
    Method: ``log E[y_t] = log(pop_t) + b0 + b1 (t - tbar)``, fitted by
    iteratively reweighted least squares (statsmodels ``GLM``) for Poisson and
    by maximum likelihood (statsmodels ``NegativeBinomial``, NB2, BFGS then
    Newton) for the negative binomial. Centring time changes only ``b0``.
    The slope ``b1`` is per year for annual data and per month for monthly
    data; APC is always per year: ``100 (exp(u b1) - 1)`` with limits
    ``100 (exp(u (b1 -+ z se)) - 1)``, ``u = 1`` (annual) or 12 (monthly),
    ``z`` the normal quantile. Fitted values ``exp(eta)`` with limits
    ``exp(eta -+ z se(eta))`` from the coefficient covariance (limits for the
    expected value, not prediction intervals for a new count).

    Overdispersion rule (``family="auto"``): the Poisson model is refitted as
    NB2 when the Pearson statistic ``X^2 = sum (y - mu)^2 / mu`` exceeds its
    chi-square distribution on ``n - 2`` degrees of freedom at level
    :data:`~overdose_trends.constants.OVERDISPERSION_LEVEL` (0.05, one-sided). For 20-30
    annual points
    this needs ``X^2 / df`` above about 1.5-1.6, the informal threshold often
    quoted; for long monthly series smaller excess dispersion is detected
    (NB2 then stays close to Poisson, as ``alpha`` is small). Under
    overdispersion Poisson intervals are too narrow by about
    ``sqrt(X^2 / df)``. When the NB2 likelihood is maximised at ``alpha = 0``
    (no overdispersion) ``family="negbin"`` reports the Poisson estimates with
    ``alpha = 0``.

    References
    ----------
    McCullagh & Nelder (1989) *Generalized Linear Models*, 2nd ed., sections
    4.4-4.5 (Pearson X^2, dispersion) and 6.2 (log-linear models, offsets);
    Cameron & Trivedi (1990) J Econometrics 46:347-364 and (2013) *Regression
    Analysis of Count Data*, 2nd ed., chapter 3 (NB2, overdispersion tests);
    NCI Joinpoint Trend Analysis Software help, "Annual Percent Change (APC)".

    Examples
    --------
    Drug-poisoning deaths registered in England and Wales, 2012-2021, straight
    from the shipped ONS extract (the years are in ``period_start``):

    >>> nat = ot.datasets.national_deaths()
    >>> ew = nat[(nat["table"] == "asmr") & (nat["measure"] == "poisoning")
    ...          & (nat["sex"] == "persons") & (nat["substance"] == "all")
    ...          & (nat["period_start"] >= 2012)]
    >>> fit = ot.fit_trend(ew)
    >>> fit.summary()[["first", "last", "family", "apc", "apc_lcl", "apc_ucl"]]
       first  last  family  apc  apc_lcl  apc_ucl
    0   2012  2021  negbin  6.6      5.5      7.6
    >>> fit.notes
    ("time taken from period_start: the data have no 'year' column and each row is one ...",)

    Deaths rose by about 6.6% a year; the counts are overdispersed, so the
    negative binomial model was used (``fit.estimates["advice"]`` says why).
    """
    func = "fit_trend"
    check_family(family, func)
    z = z_value(conf)
    per = positive("per", per, "100000")
    sset = prepare(
        data, time=time, count=count, population=population, by=by, min_points=3, func=func
    )
    _check_both_ends(sset, func)
    fits, limits = _fit_series(sset, family, z, func)
    estimates = _estimates_table(sset, fits, z)
    counts = {"expected": limits[0], "expected_lcl": limits[1], "expected_ucl": limits[2]}
    fitted = fitted_table(sset, per, counts)
    results = {series_key(sset.groups, g): fit.result for g, fit in enumerate(fits)}
    return TrendFit(estimates, fitted, results, float(conf), per, sset.notes)


def _check_both_ends(sset: SeriesSet, func: str) -> None:
    """Raise for a series whose deaths all fall at its first or last time (no finite slope)."""
    y_all = sset.count
    assert y_all is not None
    degenerate = one_sided(y_all, sset.starts)
    if degenerate.any():
        times = sset.times

        def one_end(g: int) -> str:
            at = times[sset.starts[g] + int(np.argmax(y_all[sset.rows(g)] > 0))]
            return (
                f"all deaths are at one end of the series ({sset.time_column}={show(at)}), so "
                "the trend has no finite estimate"
            )

        fail_series(sset.groups, degenerate, one_end, func)


def _fit_series(
    sset: SeriesSet, family: str, z: float, func: str
) -> tuple[list[CountFit], tuple[NDArray[np.float64], ...]]:
    """The count model of each series, and the expected counts with their limits."""
    y_all = sset.count
    assert y_all is not None
    offset_all = np.log(sset.population) if sset.population is not None else np.zeros(len(y_all))
    labels = series_labels(sset.groups)
    limits = tuple(np.empty(len(y_all)) for _ in range(3))
    fits = []
    for g in range(sset.n_series):
        rows = sset.rows(g)
        tc = sset.time[rows] - sset.time[rows].mean()
        X = np.column_stack([np.ones_like(tc), tc])
        fit = fit_counts(
            y_all[rows],
            pd.DataFrame(X, columns=["const", "time"]),
            offset_all[rows],
            family,
            labels[g],
            func,
            exclusion_hint(sset.groups, np.arange(sset.n_series) == g),
        )
        for out, values in zip(
            limits, link_limits(X, offset_all[rows], fit.params, fit.cov, z), strict=True
        ):
            out[rows] = values
        fits.append(fit)
    return fits, limits


def _estimates_table(sset: SeriesSet, fits: list[CountFit], z: float) -> pd.DataFrame:
    """One row per series: APC, rate ratio, p-value and the model diagnostics."""
    unit = 12.0 if sset.time_unit == "month" else 1.0
    slope = np.array([fit.params[1] for fit in fits]) * unit
    se = np.array([np.sqrt(fit.cov[1, 1]) for fit in fits]) * unit
    apc, apc_lcl, apc_ucl = apc_from_slope(slope, se, z)
    times, starts = sset.times, sset.starts

    def column(name: str, dtype: str = "float64") -> NDArray[Any]:
        return np.asarray([getattr(fit, name) for fit in fits], dtype=dtype)

    return frame(
        sset.groups.key_rows,
        {
            "family": pd.array([fit.family for fit in fits], dtype="str"),
            "n_points": sset.lengths(),
            "first": times[starts[:-1]],
            "last": times[starts[1:] - 1],
            "apc": apc,
            "apc_lcl": apc_lcl,
            "apc_ucl": apc_ucl,
            "rate_ratio": 1 + apc / 100,
            "rr_lcl": 1 + apc_lcl / 100,
            "rr_ucl": 1 + apc_ucl / 100,
            "p_value": wald(slope, se),
            "dispersion": column("dispersion"),
            "dispersion_p": column("dispersion_p"),
            "alpha": column("alpha"),
            "deviance": column("deviance"),
            "df_resid": column("df_resid", "int64"),
            "aic": column("aic"),
            "advice": pd.array([fit.advice for fit in fits], dtype="str"),
        },
    )
