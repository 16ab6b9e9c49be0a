"""Log-linear trend of death counts: annual percent change (APC) by Poisson or negative binomial.

:func:`fit_trend` fits, to each series, the generalised linear model

    log E[deaths_t] = log(population_t) + b0 + b1 (t - mean(t))

(without the offset when no population is given) by maximum likelihood,
with Poisson or negative binomial (NB2) errors, and reports the annual percent
change ``APC = 100 (exp(b1) - 1)`` with its Wald confidence interval, the
dispersion diagnostics that decide between the two families, and the fitted
counts and rates with confidence intervals for plotting.

The private helpers :func:`fit_counts` and :func:`link_limits` (one count
model for any design matrix, with the same overdispersion rule) are shared
with :mod:`overdose_trends.stats.trends.interrupted`.

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

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy import special, stats

from overdose_trends._frames import frame, positive, show, tidy_number
from overdose_trends.constants import OVERDISPERSION_LEVEL, PER_100K
from overdose_trends.stats.intervals import z_value
from overdose_trends.stats.trends._apc import apc_from_slope
from overdose_trends.stats.trends._args import check_choice
from overdose_trends.stats.trends._series import (
    SeriesSet,
    exclusion_hint,
    fail_series,
    prepare,
    series_key,
    series_labels,
)

__all__ = ["FAMILIES", "TrendFit", "fit_trend"]

Family = Literal["auto", "poisson", "negbin"]
#: Accepted values of ``family``.
FAMILIES = ("auto", "poisson", "negbin")
#: NB2 ``alpha`` below which the negative binomial fit is taken to be at the
#: Poisson boundary (``alpha = 0``).
_ALPHA_BOUNDARY = 1e-8
#: Gain in log-likelihood of NB2 over Poisson below which the fit is taken to be at
#: the boundary.
_LLF_GAIN = 1e-6
#: Standard error (log scale) above which a coefficient is taken to have no finite
#: maximum-likelihood estimate (separation: IRLS drifts towards infinity).
_MAX_SE = 50.0


# --- one count model ----------------------------------------------------------------------


@dataclass(frozen=True)
class CountFit:
    """A fitted log-linear count model (private to :mod:`overdose_trends.stats.trends`).

    Attributes
    ----------
    family : str
        ``"poisson"`` or ``"negbin"`` (NB2).
    params : ndarray
        Regression coefficients (log scale), in the order of the design columns.
    cov : ndarray
        Their covariance matrix: the inverse Fisher information
        ``(X' W X)^-1`` with ``W = mu`` (Poisson) or ``mu / (1 + alpha mu)``
        (NB2 at the estimated ``alpha``, as R's ``MASS::glm.nb``).
    alpha : float
        NB2 dispersion ``alpha`` (``Var = mu + alpha mu^2``); NaN for Poisson.
    mu : ndarray
        Fitted means (counts).
    dispersion, dispersion_p : float
        Pearson ``X^2 / df_resid`` of the **Poisson** fit and the upper-tail
        chi-square p-value of ``X^2`` on ``df_resid`` degrees of freedom
        (NaN when ``df_resid`` is 0).
    deviance : float
        Residual deviance of the reported model (NB2 deviance at the estimated
        ``alpha`` for the negative binomial).
    df_resid : int
        Points minus regression coefficients (``alpha`` not counted, as R's
        ``glm.nb``).
    aic : float
        ``-2 loglik + 2 (number of parameters)``, ``alpha`` counted for NB2.
    advice : str
        Text about overdispersion and the family used; ``""`` when none.
    result : object
        The statsmodels results (GLM Poisson, or discrete ``NegativeBinomial``).
    """

    family: str
    params: NDArray[np.float64]
    cov: NDArray[np.float64]
    alpha: float
    mu: NDArray[np.float64]
    dispersion: float
    dispersion_p: float
    deviance: float
    df_resid: int
    aic: float
    advice: str
    result: Any


def check_family(family: str, func: str) -> None:
    """Raise ValueError unless ``family`` is one of :data:`FAMILIES`."""
    check_choice(func, "family", family, FAMILIES)


def _nb2_deviance(y: NDArray[np.float64], mu: NDArray[np.float64], alpha: float) -> float:
    """NB2 deviance ``2 sum[y log(y/mu) - (y + 1/alpha) log((1 + alpha y)/(1 + alpha mu))]``."""
    ylogy = special.xlogy(y, y) - special.xlogy(y, mu)
    return float(
        2.0 * np.sum(ylogy - (y + 1.0 / alpha) * np.log1p(alpha * (y - mu) / (1 + alpha * mu)))
    )


def _negbin(
    y: NDArray[np.float64], X: pd.DataFrame, offset: NDArray[np.float64], start: NDArray[np.float64]
) -> Any:
    """Maximum-likelihood NB2 fit (statsmodels), or None if it fails.

    BFGS on ``log(alpha)`` (robust near the Poisson boundary), then Newton steps
    from there for full precision when ``alpha`` is away from 0.
    """
    model = sm.NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = model.fit(start_params=start, method="bfgs", maxiter=1000, disp=0)
        except (np.linalg.LinAlgError, ValueError):
            return None
        if np.all(np.isfinite(res.params)):
            best = res
            if res.params.iloc[-1] > 1e-6:
                try:
                    polished = model.fit(
                        start_params=res.params.to_numpy(), method="newton", maxiter=50, disp=0
                    )
                except (np.linalg.LinAlgError, ValueError):
                    polished = None
                if (
                    polished is not None
                    and polished.mle_retvals.get("converged", False)
                    and np.all(np.isfinite(polished.params))
                    and polished.llf >= res.llf - 1e-9
                ):
                    best = polished
    return best


def fit_counts(
    y: NDArray[np.float64],
    X: pd.DataFrame,
    offset: NDArray[np.float64],
    family: str,
    label: str,
    func: str,
    hint: str = "",
) -> CountFit:
    """Fit one log-linear count model, choosing the family by the overdispersion rule.

    Parameters
    ----------
    y : ndarray
        Counts.
    X : pandas.DataFrame
        Design matrix (named columns become the parameter names).
    offset : ndarray
        ``log(population)``, or zeros.
    family : {"auto", "poisson", "negbin"}
        See :func:`fit_trend`.
    label, func : str
        Series label and calling function, for messages.
    hint : str
        Appended to error messages (how to leave the series out of a batch;
        see :func:`~overdose_trends.stats.trends._series.exclusion_hint`).

    Returns
    -------
    CountFit

    Raises
    ------
    ValueError
        When a coefficient has no finite estimate (standard error above
        ``_MAX_SE`` on the log scale: separation, e.g. a season with no
        deaths) or the negative binomial fit does not converge.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(tol=1e-12, maxiter=100)
    k = X.shape[1]
    se_p = np.sqrt(np.diag(np.asarray(pois.cov_params(), dtype=np.float64)))
    if not np.all(np.isfinite(pois.params)) or np.any(se_p > _MAX_SE):
        sparse = [str(c) for c, s in zip(X.columns, se_p, strict=True) if not s <= _MAX_SE]
        raise ValueError(
            f"{func}: {label}: the counts are too sparse for this model: {', '.join(sparse)} "
            "has no finite maximum-likelihood estimate (e.g. a month of the year or a "
            f"segment with no deaths); use fewer seasonal terms or pool the data{hint}"
        )
    df_resid = len(y) - k
    mu_p = np.asarray(pois.fittedvalues, dtype=np.float64)
    x2 = float(np.sum((y - mu_p) ** 2 / mu_p))
    if df_resid > 0:
        dispersion = x2 / df_resid
        dispersion_p = float(stats.chi2.sf(x2, df_resid))
    else:
        dispersion = dispersion_p = np.nan
    over = bool(dispersion_p < OVERDISPERSION_LEVEL)
    why = (
        f"overdispersed (Pearson chi2/df = {dispersion:.2f}, p = {dispersion_p:.2g})"
        if over
        else ""
    )
    if family == "poisson" or (family == "auto" and not over):
        advice = (
            f"{why}: Poisson confidence intervals are too narrow; use family='negbin' or 'auto'"
            if over
            else ""
        )
        return CountFit(
            "poisson",
            np.asarray(pois.params, dtype=np.float64),
            np.asarray(pois.cov_params(), dtype=np.float64),
            np.nan,
            mu_p,
            dispersion,
            dispersion_p,
            float(pois.deviance),
            df_resid,
            float(pois.aic),
            advice,
            pois,
        )
    # negative binomial (NB2). The score for alpha at alpha = 0 is
    # sum((y - mu)^2 - y) / 2 (Cameron & Trivedi 1990): when it is not positive the
    # likelihood is maximised at the Poisson boundary and no NB2 fit is needed.
    excess = float(np.sum((y - mu_p) ** 2 - y))
    lead = f"{why}: " if over else ""
    nb = None
    if excess > 0:
        alpha0 = max(excess / float(np.sum(mu_p**2)), 0.01)  # moment start
        nb = _negbin(y, X, offset, np.r_[np.asarray(pois.params), alpha0])
        if nb is None:
            raise ValueError(
                f"{func}: {label}: the negative binomial fit did not converge; try "
                f"family='poisson'{hint}"
            )
    # at the boundary (alpha -> 0, no gain in log-likelihood) the NB2 model is Poisson's
    alpha = float(nb.params.iloc[-1]) if nb is not None else 0.0
    if nb is None or alpha < _ALPHA_BOUNDARY or nb.llf - pois.llf < _LLF_GAIN:
        note = "negative binomial alpha estimated as 0 (no overdispersion): the fit is Poisson's"
        return CountFit(
            "negbin",
            np.asarray(pois.params, dtype=np.float64),
            np.asarray(pois.cov_params(), dtype=np.float64),
            0.0,
            mu_p,
            dispersion,
            dispersion_p,
            float(pois.deviance),
            df_resid,
            float(pois.aic) + 2.0,
            lead + note,
            pois,
        )
    params = np.asarray(nb.params, dtype=np.float64)[:k]
    mu = np.exp(offset + X.to_numpy() @ params)
    # covariance of the regression coefficients from the expected information at the
    # estimated alpha, X' diag(mu / (1 + alpha mu)) X, as R's MASS::glm.nb reports it
    # (beta and alpha are orthogonal in NB2: Cameron & Trivedi 2013, section 3.3)
    weights = mu / (1.0 + alpha * mu)
    cov = np.linalg.inv(X.to_numpy().T @ (weights[:, None] * X.to_numpy()))
    if family == "auto":
        advice = f"{lead}refitted as negative binomial (NB2, alpha = {alpha:.3g})"
    else:
        advice = f"{lead}negative binomial (NB2, alpha = {alpha:.3g})" if over else ""
    return CountFit(
        "negbin",
        params,
        cov,
        alpha,
        mu,
        dispersion,
        dispersion_p,
        _nb2_deviance(y, mu, alpha),
        df_resid,
        float(nb.aic),
        advice,
        nb,
    )


def link_limits(
    X: NDArray[np.float64],
    offset: NDArray[np.float64],
    params: NDArray[np.float64],
    cov: NDArray[np.float64],
    z: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Fitted mean with Wald limits computed on the log scale and transformed back.

    ``eta = offset + X b``, ``se = sqrt(diag(X V X'))``; returns
    ``exp(eta), exp(eta - z se), exp(eta + z se)``.
    """
    eta = offset + X @ params
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
    return np.exp(eta), np.exp(eta - z * se), np.exp(eta + z * se)


def wald(estimate: NDArray[np.float64], se: NDArray[np.float64]) -> NDArray[np.float64]:
    """Two-sided normal p-value of ``estimate / se``."""
    return 2.0 * stats.norm.sf(np.abs(estimate / se))


def one_sided(y: NDArray[np.float64], starts: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Segments (rows ``starts[i]:starts[i+1]``) without a finite log-linear slope.

    A Poisson (or NB2) line ``log mu = a + b t`` has a finite maximum-likelihood
    estimate only if the count-weighted mean time lies strictly inside the
    segment's time range: not when every count is 0, nor when all deaths fall
    at its first or its last point (Haberman 1974, *The Analysis of Frequency
    Data*, on existence of log-linear MLEs).
    """
    first, last = starts[:-1], starts[1:] - 1
    positive = (y > 0).astype(np.int64)
    n_positive = np.add.reduceat(positive, first)
    at_end = (positive[first] == 1) | (positive[last] == 1)
    return (n_positive == 0) | ((n_positive == 1) & at_end)


def fitted_table(
    sset: SeriesSet,
    times: NDArray[Any],
    per: float,
    counts: dict[str, NDArray[np.float64]],
    after_time: dict[str, NDArray[Any]] | None = None,
) -> pd.DataFrame:
    """The ``fitted`` table of a count model: one row per series and time point.

    Columns: the ``by`` keys, ``time``, the ``after_time`` columns,
    ``observed`` (counts), ``population`` (NaN without one), the expected
    ``counts`` columns, then ``observed_rate`` and each count column as a rate,
    times ``per / population`` (NaN without a population): ``expected`` gives
    ``rate``, ``expected_lcl`` gives ``rate_lcl``, ``counterfactual_ucl``
    gives ``counterfactual_rate_ucl``.
    """
    y = sset.count
    assert y is not None
    pop = sset.population if sset.population is not None else np.full(y.size, np.nan)
    scale = per / pop
    columns: dict[str, object] = {"time": times, **(after_time or {})}
    columns |= {"observed": tidy_number(y), "population": pop, **counts}
    columns["observed_rate"] = y * scale
    for name, values in counts.items():
        base, _, limit = name.partition("_")
        rate = ("rate" if base == "expected" else f"{base}_rate") + (f"_{limit}" if limit else "")
        columns[rate] = values * scale
    keys = sset.groups.key_rows.iloc[sset.groups.gid].reset_index(drop=True)
    return frame(keys, columns)


# --- fit_trend ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendFit:
    """Result of :func:`fit_trend`.

    Attributes
    ----------
    summary : pandas.DataFrame
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
    """

    summary: pd.DataFrame
    fitted: pd.DataFrame
    results: dict[tuple[Hashable, ...], Any]
    conf: float
    per: float


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
        One row per series and time point, times increasing without gaps.
    count : hashable, default "deaths"
        Column of event counts (non-negative whole numbers).
    population : hashable, optional
        Column of the population at risk; ``log(population)`` is the offset, so
        the model describes rates. Without it, the counts themselves.
    time : hashable, default "year"
        Column of times: numeric years, or monthly datetimes (first of the
        month) / monthly periods.
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
        ``summary`` (one row per series), ``fitted`` (one row per series and
        time) and the statsmodels ``results``; columns in :class:`TrendFit`.

    Raises
    ------
    ValueError
        Naming the series, for fewer than 3 time points, times not strictly
        increasing, missing time points, all-zero or invalid counts,
        non-positive populations (see :func:`~overdose_trends.stats.trends._series.prepare`),
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
    :data:`OVERDISPERSION_LEVEL` (0.05, one-sided). For 20-30 annual points
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
    """
    func = "fit_trend"
    check_family(family, func)
    z = z_value(conf)
    per = positive("per", per, "100000")
    sset = prepare(
        data, time=time, count=count, population=population, by=by, min_points=3, func=func
    )
    labels = series_labels(sset.groups)
    unit = 12.0 if sset.time_unit == "month" else 1.0
    y_all = sset.count
    assert y_all is not None
    offset_all = np.log(sset.population) if sset.population is not None else np.zeros(len(y_all))
    times = sset.groups.data[time].to_numpy()
    degenerate = one_sided(y_all, sset.starts)
    if degenerate.any():

        def one_end(g: int) -> str:
            at = times[sset.starts[g] + int(np.argmax(y_all[sset.rows(g)] > 0))]
            return (
                f"all deaths are at one end of the series ({time}={show(at)}), so the trend "
                "has no finite estimate"
            )

        fail_series(sset.groups, degenerate, one_end, func)

    n = sset.n_series
    cols: dict[str, list[Any]] = {
        c: []
        for c in (
            "family",
            "slope",
            "se",
            "dispersion",
            "dispersion_p",
            "alpha",
            "deviance",
            "df_resid",
            "aic",
            "advice",
        )
    }
    expected = np.empty(len(y_all))
    lo = np.empty(len(y_all))
    hi = np.empty(len(y_all))
    results: dict[tuple[Hashable, ...], Any] = {}
    for g in range(n):
        rows = sset.rows(g)
        y = y_all[rows]
        tc = sset.time[rows] - sset.time[rows].mean()
        X = np.column_stack([np.ones_like(tc), tc])
        one = np.arange(n) == g
        fit = fit_counts(
            y,
            pd.DataFrame(X, columns=["const", "time"]),
            offset_all[rows],
            family,
            labels[g],
            func,
            exclusion_hint(sset.groups, one),
        )
        expected[rows], lo[rows], hi[rows] = link_limits(
            X, offset_all[rows], fit.params, fit.cov, z
        )
        results[series_key(sset.groups, g)] = fit.result
        for name, value in (
            ("family", fit.family),
            ("slope", fit.params[1]),
            ("se", np.sqrt(fit.cov[1, 1])),
            ("dispersion", fit.dispersion),
            ("dispersion_p", fit.dispersion_p),
            ("alpha", fit.alpha),
            ("deviance", fit.deviance),
            ("df_resid", fit.df_resid),
            ("aic", fit.aic),
            ("advice", fit.advice),
        ):
            cols[name].append(value)

    slope = np.asarray(cols["slope"]) * unit
    se = np.asarray(cols["se"]) * unit
    apc, apc_lcl, apc_ucl = apc_from_slope(slope, se, z)
    starts = sset.starts
    summary = frame(
        sset.groups.key_rows,
        {
            "family": pd.array(cols["family"], dtype="str"),
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
            "dispersion": np.asarray(cols["dispersion"], dtype=np.float64),
            "dispersion_p": np.asarray(cols["dispersion_p"], dtype=np.float64),
            "alpha": np.asarray(cols["alpha"], dtype=np.float64),
            "deviance": np.asarray(cols["deviance"], dtype=np.float64),
            "df_resid": np.asarray(cols["df_resid"], dtype=np.int64),
            "aic": np.asarray(cols["aic"], dtype=np.float64),
            "advice": pd.array(cols["advice"], dtype="str"),
        },
    )
    counts = {"expected": expected, "expected_lcl": lo, "expected_ucl": hi}
    fitted = fitted_table(sset, times, per, counts)
    return TrendFit(summary, fitted, results, float(conf), per)
