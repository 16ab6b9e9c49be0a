"""The chosen joinpoint model of one series: statsmodels fit, segment slopes, AAPC.

Private to :mod:`overdose_trends.stats.trends.joinpoint`. Given the joinpoints the
grid search chose, :func:`final_fit` refits the continuous segmented
log-linear model ``log(y) = b0 + b1 t + sum_i d_i (t - tau_i)+`` by weighted
least squares (:class:`statsmodels.regression.linear_model.WLS`) and works out
each segment's slope ``b1 + d_1 + ... + d_(s-1)`` with a covariance matrix for
confidence intervals, by one of two methods:

* ``"lerman"`` (NCI Joinpoint's parametric method): standard errors from the
  unconstrained segmented model - a separate intercept and slope per segment,
  common residual variance - fitted to the data without the points that lie
  on joinpoints, conditional on the joinpoints (Lerman 1980; Feder 1975).
  Degrees of freedom ``d = n* - 2 (k + 1)``, ``n* = n - (points on
  joinpoints)``; a segment with fewer than two remaining points has no
  standard error (NaN). The slope estimates themselves are those of the
  continuous model; slopes of different segments are uncorrelated.
* ``"continuous"``: the covariance of the continuous model's slopes given the
  joinpoints, with residual variance ``SSE / (n - p)`` and ``d = n - p``
  degrees of freedom, where ``p = 2k + 2`` counts the ``k`` estimated
  joinpoint locations as parameters (NCI's notation).

:func:`aapc` combines the segment slopes into the average annual percent
change over ``[start, end]`` (Clegg et al. 2009).

References
----------
Lerman PM (1980). Fitting segmented regression models by grid search.
*Journal of the Royal Statistical Society C* 29(1):77-84.

Feder PI (1975). On asymptotic distribution theory in segmented regression
problems - identified case. *Annals of Statistics* 3(1):49-83.

Clegg LX, Hankey BF, Tiwari R, Feuer EJ, Edwards BK (2009). Estimating average
annual per cent change in trend analysis. *Statistics in Medicine*
28(29):3670-3682.

National Cancer Institute. Joinpoint Trend Analysis Software help:
"Estimated Regression Coefficients (Beta)"; "Notation" (``p = 2k + 2``);
"Average Annual Percent Change (AAPC) and Confidence Interval".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy import stats

__all__ = ["FinalFit", "aapc", "bootstrap_p", "continuous_design", "final_fit", "slope_matrix"]


@dataclass(frozen=True)
class FinalFit:
    """The chosen model of one series.

    Attributes
    ----------
    results : statsmodels RegressionResults
        WLS fit of the continuous model; columns ``const``, ``time`` (time
        since the first point), ``hinge_1..k``.
    bounds : ndarray of float64
        ``k + 2`` segment boundaries in numeric time: first time, the
        joinpoints, last time.
    slopes : ndarray of float64
        Slope of ``log(y)`` per time unit in each of the ``k + 1`` segments.
    cov : ndarray of float64
        ``(k + 1, k + 1)`` covariance of ``slopes`` for the intervals (NaN
        where not estimable).
    df : float
        Degrees of freedom of the t intervals (NaN when not positive).
    log_fitted : ndarray of float64
        Fitted ``log(y)`` at each time point.
    draw_slopes, draw_bounds : ndarray of float64 or None
        With empirical intervals: the segment slopes ``(B, k + 1)`` and segment
        boundaries ``(B, k + 2)`` of the model refitted to ``B`` resampled data
        sets (see :mod:`~overdose_trends.stats.trends._joinpoint_empirical`).
    """

    results: Any
    bounds: NDArray[np.float64]
    slopes: NDArray[np.float64]
    cov: NDArray[np.float64]
    df: float
    log_fitted: NDArray[np.float64]
    draw_slopes: NDArray[np.float64] | None = None
    draw_bounds: NDArray[np.float64] | None = None


def continuous_design(t: NDArray[np.float64], taus: NDArray[np.float64]) -> NDArray[np.float64]:
    cols = [np.ones_like(t), t - t[0]] + [np.maximum(t - tau, 0.0) for tau in taus]
    return np.column_stack(cols)


def slope_matrix(k: int) -> NDArray[np.float64]:
    """``L`` with ``slopes = L @ params`` for params ``(b0, b1, d_1..d_k)``."""
    lmat = np.zeros((k + 1, k + 2))
    lmat[:, 1] = 1.0
    for s in range(k + 1):
        lmat[s, 2 : 2 + s] = 1.0
    return lmat


def _lerman_cov(
    t: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    positions: tuple[int, ...],
    taus: NDArray[np.float64],
) -> tuple[NDArray[np.float64], float]:
    k = len(positions)
    keep = np.ones(t.size, dtype=bool)
    keep[list(positions)] = False
    segment = np.searchsorted(taus, t, side="left")  # joinpoints strictly before t
    sizes = np.bincount(segment[keep], minlength=k + 1)
    usable = sizes >= 2
    keep &= usable[segment]
    cov = np.full((k + 1, k + 1), np.nan)
    seg_kept = segment[keep]
    columns = []
    for s in np.flatnonzero(usable):
        inside = (seg_kept == s).astype(float)
        columns += [inside, inside * (t[keep] - t[0])]
    df = float(keep.sum() - len(columns))
    if df <= 0:
        return cov, np.nan
    design = np.column_stack(columns)
    fit = sm.WLS(y[keep], design, weights=w[keep]).fit()
    slope_cov = np.asarray(fit.cov_params())[1::2, 1::2]
    idx = np.flatnonzero(usable)
    cov[np.ix_(idx, idx)] = slope_cov
    return cov, df


def final_fit(
    t: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    positions: tuple[int, ...],
    ci_method: str,
    draws: Any = None,
) -> FinalFit:
    """Refit the chosen joinpoint model of one series with statsmodels.

    Parameters
    ----------
    t : ndarray of float64
        Numeric times (years, or months for monthly series).
    y : ndarray of float64
        ``log`` of the rates or counts.
    w : ndarray of float64
        WLS weights (inverse variance of ``y``).
    positions : tuple of int
        Row numbers of the joinpoints within the series.
    ci_method : {"lerman", "continuous", "empirical"}
        How the slope covariance is estimated (see the module notes;
        ``"empirical"`` keeps Lerman's covariance for ``slope_se`` and uses
        ``draws`` for the intervals).
    draws : Draws, optional
        Refits to resampled data (``ci_method="empirical"``).

    Returns
    -------
    FinalFit
    """
    taus = t[list(positions)] if positions else np.zeros(0)
    k = len(positions)
    design = continuous_design(t, taus)
    names = ["const", "time", *[f"hinge_{i + 1}" for i in range(k)]]
    results = sm.WLS(y, pd.DataFrame(design, columns=names), weights=w).fit()
    lmat = slope_matrix(k)
    slopes = lmat @ np.asarray(results.params)
    if ci_method == "continuous":
        df = float(t.size - (2 * k + 2))
        if df > 0:
            cov_params = np.asarray(results.cov_params(scale=results.ssr / df))
            cov = lmat @ cov_params @ lmat.T
        else:
            cov, df = np.full((k + 1, k + 1), np.nan), np.nan
    else:
        cov, df = _lerman_cov(t, y, w, positions, taus)
    bounds = np.concatenate([[t[0]], taus, [t[-1]]])
    draw_slopes = draw_bounds = None
    if draws is not None:
        b = draws.slopes.shape[0]
        draw_slopes = draws.slopes
        draw_bounds = np.column_stack(
            [np.full(b, t[0]), t[draws.positions].reshape(b, k), np.full(b, t[-1])]
        )
    return FinalFit(
        results, bounds, slopes, cov, df, np.asarray(results.fittedvalues), draw_slopes,
        draw_bounds,
    )  # fmt: skip


def bootstrap_p(values: NDArray[np.float64]) -> float:
    """Two-sided p-value of a zero value from resampled estimates.

    ``2 min(P*(b <= 0), P*(b >= 0))``, each proportion counted as ``(m + 1) /
    (B + 1)`` over the ``B`` finite values (never 0); at most 1.
    """
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan
    b = values.size
    below = (np.count_nonzero(values <= 0) + 1) / (b + 1)
    above = (np.count_nonzero(values >= 0) + 1) / (b + 1)
    return float(min(1.0, 2.0 * min(below, above)))


def _average(
    bounds: NDArray[np.float64], slopes: NDArray[np.float64], start: float, end: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Length-weights of each segment within ``[start, end]`` and the average slope.

    ``bounds`` ``(..., k + 2)`` and ``slopes`` ``(..., k + 1)``; the weights sum to 1.
    """
    lo = np.maximum(bounds[..., :-1], start)
    hi = np.minimum(bounds[..., 1:], end)
    weight = np.maximum(hi - lo, 0.0)
    weight = weight / weight.sum(axis=-1, keepdims=True)
    return weight, (weight * slopes).sum(axis=-1)


def aapc(fit: FinalFit, start: float, end: float, conf: float) -> tuple[float, float, float, float]:
    """Average slope over ``[start, end]``, its confidence limits and p-value.

    The average is ``sum(w_s b_s) / sum(w_s)``, ``w_s`` the length of
    ``[start, end]`` inside segment ``s``; its variance ``w' C w / sum(w)^2``
    with ``C`` the slope covariance. Within a single segment it is that
    segment's slope with its t quantile (``fit.df`` degrees of freedom);
    across segments the normal quantile is used (Clegg et al. 2009). With
    resampled refits (empirical intervals) the limits are the quantiles of the
    refits' averages over the same range, each with its own joinpoints, and
    the p-value is the resampling one.

    Returns
    -------
    (slope, lower, upper, p_value) : tuple of float
        Average slope per time unit, its limits at level ``conf`` and the
        p-value for a zero slope; NaN where not estimable.
    """
    weight, average = _average(fit.bounds, fit.slopes, start, end)
    slope = float(average)
    if fit.draw_slopes is not None and fit.draw_bounds is not None:
        _, values = _average(fit.draw_bounds, fit.draw_slopes, start, end)
        lo, hi = np.quantile(values, [(1.0 - conf) / 2.0, (1.0 + conf) / 2.0])
        return slope, float(lo), float(hi), bootstrap_p(values)
    used = weight > 0
    var = float(weight[used] @ fit.cov[np.ix_(used, used)] @ weight[used])
    se = float(np.sqrt(var)) if var >= 0 else np.nan
    if used.sum() == 1:
        if not np.isfinite(fit.df):
            return slope, np.nan, np.nan, np.nan
        dist = stats.t(fit.df)
    else:
        dist = stats.norm()
    q = float(dist.ppf(0.5 + conf / 2.0))
    p = float(2.0 * dist.sf(abs(slope) / se)) if np.isfinite(se) and se > 0 else np.nan
    return slope, slope - q * se, slope + q * se, p
