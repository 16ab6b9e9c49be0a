"""Fingertips-style recent trend of a series of annual values.

:func:`recent_trend`
    The Fingertips "recent trend" marker: a chi-squared test for trend over the
    most recent five annual points, labelled "Increasing and getting worse",
    "No significant change", "Cannot be calculated" and so on.

Fingertips' comparison of an area with a benchmark (by confidence interval,
by the 95% and 99.8% funnel limits, or by quintile where no direction is set)
is :func:`overdose_trends.stats.funnel.vs_benchmark` with ``polarity=``.

Method (OHID Fingertips *Trend markers*)
----------------------------------------
The most recent run of five consecutive annual points that all have a value and
confidence limits (for proportions, a count and denominator) is used, numbered
``t = 1..5`` from the oldest. For values with limits, each point has weight
``w = 1 / SE^2`` with ``SE = (ucl - lcl) / 3.92`` (95% limits); the weighted
least-squares slope is

``b = (S_w S_wty - S_wt S_wy) / (S_w S_wt2 - S_wt^2)``

with ``S_w = sum w``, ``S_wt = sum w t``, ``S_wy = sum w y``, ``S_wty = sum w t
y`` and ``S_wt2 = sum w t^2``, its standard error ``sqrt(S_w / (S_w S_wt2 -
S_wt^2))`` and ``chi2 = (b / SE_b)^2``. For proportions (``count`` and
``denominator`` given) the chi-squared test for trend in proportions
(Cochran-Armitage) is used: with ``N = sum n`` and ``O = sum x``,
``chi2 = N (N sum x t - O sum n t)^2 / (O (N - O) (N sum n t^2 - (sum n t)^2))``.

The trend is significant when ``chi2`` exceeds the chi-squared (1 d.f.)
quantile at ``conf`` (Fingertips: 99.8%, 9.5495) *and* no single point drives
it: the slope keeps its sign when each of the five points is left out in turn
(for proportions, the least-squares slope of the logit of the proportion). The
label then says the direction, and with a polarity whether that is better or
worse.

References
----------
OHID. *Fingertips trend markers*, Fingertips public health technical guidance,
https://fingertips.phe.org.uk/static-reports/public-health-technical-guidance/Presentation/Trend_markers.html

Armitage P, Berry G, Matthews JNS (2002). *Statistical Methods in Medical
Research*, 4th ed., section 15.2 (test for trend in proportions).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from overdose_trends._frames import Groups, as_list, numeric, require_columns
from overdose_trends.stats._fingertips import (
    TREND_LABELS,
    Polarity,
    check_polarity,
    trend_label,
)
from overdose_trends.stats.intervals import z_value

__all__ = ["recent_trend"]

#: Points used by the Fingertips recent-trend test.
RECENT_POINTS = 5
#: Confidence level of the Fingertips recent-trend test (chi-squared 9.5495 on 1 d.f.).
RECENT_TREND_CONF = 0.998
#: Fingertips' divisor from 95% limits to a standard error (2 x 1.96).
_SE_DIVISOR = 3.92


def recent_trend(
    data: pd.DataFrame,
    *,
    time: Hashable = "period_end",
    value: Hashable = "rate",
    lcl: Hashable = "lcl",
    ucl: Hashable = "ucl",
    count: Hashable | None = None,
    denominator: Hashable | None = None,
    by: Hashable | Sequence[Hashable] | None = None,
    polarity: Polarity = "low_is_good",
    conf: float = RECENT_TREND_CONF,
) -> pd.DataFrame:
    """Fingertips' recent-trend marker over the last five annual points of each series.

    Parameters
    ----------
    data : DataFrame
        One row per year (per ``by`` group), e.g. an area's single-year rates
        with 95% limits.
    time : column name, default "period_end"
        Year of each point (whole numbers; the five points must be consecutive
        years, as Fingertips tests only unbroken annual series).
    value, lcl, ucl : column names
        Value and its 95% confidence limits (rates, ratios, SIIs, means).
    count, denominator : column names, optional
        Numerator and denominator of a proportion: give both to use the
        chi-squared test for trend in proportions instead of the limits.
    by : column name or list, optional
        Columns defining separate series (e.g. ``["area_code", "sex"]``).
    polarity : {"low_is_good", "high_is_good", "no_judgement"}, default "low_is_good"
        Whether a fall is an improvement (drug-death rates), a rise is, or
        neither (labels "Increasing"/"Decreasing" only).
    conf : float, default 0.998
        Confidence level of the chi-squared test (Fingertips' 99.8%).

    Returns
    -------
    pandas.DataFrame
        One row per series: the ``by`` columns, ``start`` and ``end`` (years of
        the points used; <NA> when the trend cannot be calculated), ``n_points``
        (int), ``slope`` (change in value per year from the weighted fit; for
        proportions the change in the proportion per year), ``chi2``,
        ``significant`` (bool), ``trend`` (categorical: "Increasing" or
        "Decreasing", with "and getting better" or "and getting worse" when the
        indicator has a polarity, "No significant change" or "Cannot be
        calculated") and ``reason`` (why it cannot be calculated, else empty).

    Raises
    ------
    ValueError
        For missing or non-numeric columns, a year repeated within a series, a
        bad ``polarity`` or ``conf``, or only one of ``count``/``denominator``.

    Notes
    -----
    A series whose latest five points are not all present (a missing or
    suppressed value, missing limits, zero-width limits, a proportion of 0 or
    1) or not consecutive years gets "Cannot be calculated", as in Fingertips.
    The marker is a screening aid: it says nothing about the shape of the
    series before the last five points. The method is set out in
    :mod:`overdose_trends.stats.benchmarking`.

    References
    ----------
    OHID *Fingertips trend markers* (technical guidance).

    Examples
    --------
    Drug-poisoning deaths in England and Wales, age-standardised rate per
    million (ONS 2021 edition, persons; the last five years are 2017-2021):

    >>> asmr = ot.datasets.national_deaths().query(
    ...     "table == 'asmr' and sex == 'persons' and substance == 'all' "
    ...     "and measure == 'poisoning'")
    >>> out = ot.recent_trend(asmr)
    >>> out[["start", "end", "n_points", "significant", "trend"]]
       start   end  n_points  significant                         trend
    0   2017  2021         5         True  Increasing and getting worse
    >>> round(float(out.chi2[0]), 1), round(float(out.slope[0]), 2)
    (120.9, 4.04)
    """
    keys = as_list(by)
    check_polarity(polarity, "recent_trend")
    z_value(conf)  # rejects a percentage or a level outside (0, 1)
    threshold = float(stats.chi2.ppf(conf, 1))
    proportion = count is not None or denominator is not None
    if proportion and (count is None or denominator is None):
        raise ValueError("recent_trend: give both count= and denominator= for a proportion")
    cols = [count, denominator] if proportion else [value, lcl, ucl]
    require_columns(data, [*keys, time, *cols], "recent_trend")
    groups = Groups(data, keys)
    years = numeric(data, time)
    dup = pd.DataFrame({"g": groups.gid, "t": years}).duplicated().to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        raise ValueError(
            f"recent_trend: year {years[i]:g} appears twice in {groups.name(int(groups.gid[i]))}; "
            f"give one row per year (or pass by= to separate the series)"
        )
    if proportion:
        x, n = numeric(data, count), numeric(data, denominator)
        valid = (x > 0) & (n > x)
        first, second = x, n
    else:
        y, lo, hi = numeric(data, value), numeric(data, lcl), numeric(data, ucl)
        valid = ~np.isnan(y) & (hi - lo > 0)
        first, second = y, (hi - lo) / _SE_DIVISOR
    t_arr, a, b, n_pts, reason = _latest_points(groups, years, valid, first, second)
    if proportion:
        slope, chi2, steady = _proportion_test(a, b)
    else:
        slope, chi2, steady = _weighted_test(a, b)
    ok = reason == ""
    significant = ok & steady & (chi2 > threshold)
    direction = np.where(~ok, 9, np.where(significant, np.sign(slope), 0)).astype(np.int64)
    out = groups.key_rows.copy()
    out["start"] = pd.array(np.where(ok, t_arr[:, 0], 0).astype(np.int64), dtype="Int64")
    out["end"] = pd.array(np.where(ok, t_arr[:, -1], 0).astype(np.int64), dtype="Int64")
    out.loc[~ok, ["start", "end"]] = pd.NA
    out["n_points"] = n_pts
    out["slope"] = np.where(ok, slope, np.nan)
    out["chi2"] = np.where(ok, chi2, np.nan)
    out["significant"] = significant
    out["trend"] = pd.Categorical(trend_label(direction, polarity), categories=TREND_LABELS)
    out["reason"] = reason
    return out


def _latest_points(
    groups: Groups,
    years: NDArray[np.float64],
    valid: NDArray[np.bool_],
    first: NDArray[np.float64],
    second: NDArray[np.float64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.object_],
]:
    """The latest five points of each series as (groups, 5) arrays, oldest first.

    Returns years, the two value arrays, the number of points found (5, or fewer
    when the latest five are not all usable) and the reason when fewer.
    """
    gid = groups.gid
    order = np.lexsort((-years, gid))  # newest first within each group
    g_sorted = gid[order]
    start = np.searchsorted(g_sorted, np.arange(groups.n))
    pos = np.arange(len(order)) - start[g_sorted]  # 0 = newest
    take = pos < RECENT_POINTS
    shape = (groups.n, RECENT_POINTS)
    t_arr = np.full(shape, np.nan)
    a = np.full(shape, np.nan)
    b = np.full(shape, np.nan)
    ok_arr = np.zeros(shape, dtype=bool)
    rows = order[take]
    slot = RECENT_POINTS - 1 - pos[take]  # oldest first
    t_arr[g_sorted[take], slot] = years[rows]
    a[g_sorted[take], slot] = first[rows]
    b[g_sorted[take], slot] = second[rows]
    ok_arr[g_sorted[take], slot] = valid[rows]
    count = np.bincount(g_sorted[take], minlength=groups.n)
    consecutive = np.all(np.diff(t_arr, axis=1) == 1, axis=1)
    usable = ok_arr.all(axis=1)
    reason = np.full(groups.n, "", dtype=object)
    reason[~consecutive] = "the latest five points are not consecutive years"
    reason[~usable] = "a value, its limits or its count is missing or unusable in the last five"
    reason[count < RECENT_POINTS] = "fewer than five points"
    n_pts = ok_arr.sum(axis=1)
    return t_arr, a, b, n_pts.astype(np.int64), reason


def _leave_one_out() -> NDArray[np.float64]:
    """Masks (6, 5): all points, then each point left out in turn."""
    masks = np.ones((RECENT_POINTS + 1, RECENT_POINTS))
    masks[np.arange(1, RECENT_POINTS + 1), np.arange(RECENT_POINTS)] = 0.0
    return masks


def _weighted_test(
    y: NDArray[np.float64], se: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Weighted slope, chi-squared and the leave-one-out sign check, per group."""
    t = np.arange(1, RECENT_POINTS + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = 1.0 / se**2  # (G, 5)
        wm = w[:, None, :] * _leave_one_out()[None, :, :]  # (G, 6, 5)
        s1 = wm.sum(axis=2)
        s2 = (wm * t * y[:, None, :]).sum(axis=2)
        s3 = (wm * t).sum(axis=2)
        s4 = (wm * y[:, None, :]).sum(axis=2)
        s5 = (wm * t**2).sum(axis=2)
        denom = s1 * s5 - s3**2
        slopes = (s1 * s2 - s3 * s4) / denom
        se_slope = np.sqrt(s1[:, 0] / denom[:, 0])
        chi2 = (slopes[:, 0] / se_slope) ** 2
    steady = np.abs(np.where(slopes < 0, -1, 1).sum(axis=1)) == RECENT_POINTS + 1
    return slopes[:, 0], chi2, steady


def _proportion_test(
    x: NDArray[np.float64], n: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Chi-squared test for trend in proportions, slope of the proportion and the sign check."""
    t = np.arange(1, RECENT_POINTS + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        big_n, big_o = n.sum(axis=1), x.sum(axis=1)
        sxt, snt, snt2 = (x * t).sum(axis=1), (n * t).sum(axis=1), (n * t**2).sum(axis=1)
        num = big_n * (big_n * sxt - big_o * snt) ** 2
        den = big_o * (big_n - big_o) * (big_n * snt2 - snt**2)
        chi2 = num / den
        slope = (big_n * sxt - big_o * snt) / (big_n * snt2 - snt**2)  # change in p per year
        logit = np.log(x / (n - x))
        m = _leave_one_out()[None, :, :]  # (1, 6, 5)
        k = m.sum(axis=2)
        st, st2 = (m * t).sum(axis=2), (m * t**2).sum(axis=2)
        sy = (m * logit[:, None, :]).sum(axis=2)
        sty = (m * t * logit[:, None, :]).sum(axis=2)
        slopes = (k * sty - sy * st) / (k * st2 - st**2)
    steady = np.abs(np.where(slopes < 0, -1, 1).sum(axis=1)) == RECENT_POINTS + 1
    steady &= np.isfinite(slopes).all(axis=1)
    return slope, chi2, steady
