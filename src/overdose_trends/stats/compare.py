"""Did the death rate change between two periods? Before/after comparisons with tests.

:func:`compare_periods`
    One row per area (or other group) comparing a "before" and an "after"
    registration period, e.g. 2013-15 with 2016-18: both rates with limits, the
    absolute and percentage change, the rate ratio (after / before) with its
    confidence interval and p-value, the ONS overlapping-intervals verdict and a
    plain-English verdict from the proper test.
:func:`exact_rate_ratio`
    Rate ratio of two Poisson counts with population denominators: exact
    conditional (binomial) test and confidence interval, vectorised.
:func:`log_rate_ratio`
    Rate ratio of two published or directly standardised rates: z-test on the
    log ratio with standard errors recovered from the confidence limits.

Two verdicts are given because they answer slightly different questions.
ONS (and Fingertips) call a difference significant when the two 95%
confidence intervals do not overlap. That rule is conservative: two intervals
can overlap while the difference between the estimates is significant at 5%
(roughly when the gap between the estimates exceeds ``sqrt(2)`` times a
half-width but is less than twice it). The test of the ratio is the direct
answer to "has the rate changed?", and is what ``verdict`` reports.

Comparisons of areas with a benchmark at one time (funnel limits, ranking) are
in :mod:`overdose_trends.stats.funnel`.

References
----------
Office for National Statistics. *Deaths related to drug poisoning by local
authority, England and Wales*, reference-table notes: "if the confidence
interval around one figure overlaps with the interval around another, we
cannot say with certainty that there is more than a chance difference between
the two figures"; and ONS, *Uncertainty and how we measure it for our
surveys* (statistical significance and overlapping confidence intervals).

Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research, vol. II:
The design and analysis of cohort studies*. IARC Scientific Publications 82,
section 2.4 (comparison of two rates conditional on the total number of events).

Altman DG, Bland JM (2003). Interaction revisited: the difference between two
estimates. *BMJ* 326:219.

Schenker N, Gentleman JF (2001). On judging the significance of differences by
examining the overlap between confidence intervals. *The American Statistician*
55(3):182-186.

Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits
illustrated in the case of the binomial. *Biometrika* 26:404-413.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from overdose_trends._frames import Groups, as_list, frame, others, positive, show, tidy_number
from overdose_trends.constants import (
    MIN_DEATHS_FOR_RATE,
    MIN_DEATHS_RELIABLE,
    ONS_LIMITS_CONF,
    PER_100K,
)
from overdose_trends.stats._distributions import (
    beta_ppf,
    binom_cdf,
    binom_logpmf,
    binom_sf,
    norm_sf,
)
from overdose_trends.stats._periods import (
    NOT_GROUPING,
    Kind,
    Side,
    Table,
    Window,
    detect_kind,
    period_label,
    read_counts,
    read_rates,
    scale_limits,
    times,
    window,
)
from overdose_trends.stats.intervals import z_value

__all__ = [
    "COMPARISON_COLUMNS",
    "ONS_VERDICTS",
    "TESTS",
    "RatioTest",
    "compare_periods",
    "exact_rate_ratio",
    "log_rate_ratio",
]

#: Value columns of :func:`compare_periods` output, after the ``by`` keys (and ``area_name``).
COMPARISON_COLUMNS = (
    "deaths_before",
    "deaths_after",
    "population_before",
    "population_after",
    "rate_before",
    "lcl_before",
    "ucl_before",
    "rate_after",
    "lcl_after",
    "ucl_after",
    "status_before",
    "status_after",
    "change",
    "percent_change",
    "rate_ratio",
    "ratio_lcl",
    "ratio_ucl",
    "p_value",
    "test",
    "ons_verdict",
    "verdict",
    "rate_per",
)

#: Values of ``ons_verdict``.
ONS_VERDICTS = (
    "significant increase",
    "significant decrease",
    "no significant change",
    "not assessed",
)

#: Values of ``test``: the exact conditional binomial test (counts and populations), or the
#: z-test on the log rate ratio with standard errors from the confidence limits or, where a
#: rate has no usable limits, from its death count.
TESTS = ("exact_conditional_binomial", "log_ratio_z_limits", "log_ratio_z_deaths")

#: Relative tolerance when collecting binomial outcomes "as likely as" the observed one for the
#: two-sided p-value. Source: R ``binom.test`` and ``scipy.stats.binomtest`` (``1 + 1e-7``).
_RELATIVE_ERROR = 1e-7

#: A period as the user gives it: ``"2013-15"``, ``"2013-2015"``, ``"2013 to 2015"``,
#: ``(2013, 2015)`` or a single year ``2016`` (see :func:`overdose_trends.schema.as_period`).
PeriodLike = str | int | tuple[int, int]

_STATUS_REASON = {
    "not_calculated": f"not calculated (fewer than {MIN_DEATHS_FOR_RATE} deaths)",
    "suppressed": "suppressed",
}


class RatioTest(NamedTuple):
    """Rate ratio (after / before) with confidence limits and a two-sided p-value (arrays)."""

    ratio: NDArray[np.float64]
    lcl: NDArray[np.float64]
    ucl: NDArray[np.float64]
    p_value: NDArray[np.float64]


# --- the two tests on arrays --------------------------------------------------------------------


def _binom_two_sided_p(
    x: NDArray[np.float64], n: NDArray[np.float64], p0: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Two-sided exact binomial p-value, vectorised, as ``scipy.stats.binomtest`` and R.

    The p-value is the probability of every outcome no more likely than the observed one
    ("minimum likelihood" method). Outcomes on the far side of the mean are found by bisection,
    using that the binomial pmf rises up to ``floor(n p)`` and falls from ``ceil(n p)``.
    Elements with ``n < 1`` or NaN give NaN.
    """
    x, n, p0 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (x, n, p0)))
    out = np.full(x.shape, np.nan)
    ok = (n >= 1) & np.isfinite(x) & np.isfinite(p0) & (p0 > 0) & (p0 < 1)
    if not ok.any():
        return out
    x, n, p0 = x[ok], n[ok], p0[ok]
    mean = n * p0
    threshold = binom_logpmf(x, n, p0) + np.log1p(_RELATIVE_ERROR)

    def search(
        lo: NDArray[np.float64], hi: NDArray[np.float64], rising: bool
    ) -> NDArray[np.float64]:
        # smallest k in [lo, hi) with logpmf(k) <= threshold (falling side) or > threshold
        # (rising side); hi if there is none.
        lo, hi = lo.copy(), hi.copy()
        while np.any(lo < hi):
            mid = np.floor((lo + hi) / 2.0)
            lp = binom_logpmf(mid, n, p0)
            hit = (lp > threshold) if rising else (lp <= threshold)
            active = lo < hi
            hi = np.where(active & hit, mid, hi)
            lo = np.where(active & ~hit, mid + 1.0, lo)
        return lo

    below = x < mean
    above = x > mean
    p = np.ones(x.shape)
    if below.any():
        # observed in the lower tail: add the upper-tail outcomes no more likely than it
        first = search(np.ceil(mean), n + 1.0, rising=False)
        p_below = binom_cdf(x, n, p0) + binom_sf(first - 1.0, n, p0)
        p = np.where(below, p_below, p)
    if above.any():
        # observed in the upper tail: add lower-tail outcomes 0 .. (first more likely) - 1
        first = search(np.zeros(x.shape), np.floor(mean) + 1.0, rising=True)
        p_above = binom_cdf(first - 1.0, n, p0) + binom_sf(x - 1.0, n, p0)
        p = np.where(above, p_above, p)
    out[ok] = np.minimum(1.0, p)
    return out


def exact_rate_ratio(
    deaths_before: ArrayLike,
    population_before: ArrayLike,
    deaths_after: ArrayLike,
    population_after: ArrayLike,
    conf: float = 0.95,
) -> RatioTest:
    """Exact conditional test and confidence interval for the ratio of two Poisson rates.

    Parameters
    ----------
    deaths_before, deaths_after : array-like of float
        Observed deaths O1 and O2 (whole numbers, non-negative). NaN gives NaN results.
    population_before, population_after : array-like of float
        Populations at risk N1 and N2 (persons or person-years, positive). NaN gives
        NaN results.
    conf : float, default 0.95
        Confidence level of the interval for the ratio.

    Returns
    -------
    RatioTest
        ``ratio`` = (O2 / N2) / (O1 / N1) (0 when O2 = 0, ``inf`` when O1 = 0 < O2,
        NaN when both are 0), its exact confidence limits ``lcl`` and ``ucl``
        (``ucl`` is ``inf`` when O1 = 0) and the two-sided ``p_value`` for the
        hypothesis of equal rates (NaN when O1 + O2 = 0: there is nothing to test).

    Raises
    ------
    ValueError
        For negative or non-whole counts, or populations that are not positive.

    Notes
    -----
    Method: conditional on the total ``n = O1 + O2``, the deaths after follow
    ``O2 ~ Binomial(n, pi)`` with ``pi = R N2 / (R N2 + N1)``, where R is the rate
    ratio (Breslow & Day 1987, section 2.4). Under the null hypothesis R = 1,
    ``pi0 = N2 / (N1 + N2)``. The p-value is the exact two-sided binomial p-value
    (sum of the probabilities of outcomes no more likely than O2), identical to
    ``scipy.stats.binomtest(O2, n, pi0).pvalue`` and to R's
    ``poisson.test(c(O2, O1), c(N2, N1))``. The limits are the Clopper-Pearson
    limits ``(pi_L, pi_U)`` for ``pi`` transformed by ``R = pi / (1 - pi) * N1 / N2``.

    Because the p-value and the Clopper-Pearson interval are not inversions of the
    same test, in rare borderline cases ``p < 1 - conf`` while the interval just
    includes 1 (R's ``poisson.test`` behaves the same way).

    A count of zero in one period is handled exactly: O2 = 0 gives R = 0 with lower
    limit 0; O1 = 0 gives R = inf with upper limit inf; the p-value remains valid.

    References
    ----------
    Breslow NE, Day NE (1987), *Statistical Methods in Cancer Research* vol. II,
    IARC Sci. Publ. 82, section 2.4; Clopper & Pearson (1934), *Biometrika* 26:404-413;
    R Core Team, ``stats::poisson.test``.
    """
    alpha = 1.0 - conf
    z_value(conf)  # validates conf
    o1, n1, o2, n2 = np.broadcast_arrays(
        *(
            np.asarray(a, dtype=np.float64)
            for a in (deaths_before, population_before, deaths_after, population_after)
        )
    )
    for values, label in ((o1, "deaths_before"), (o2, "deaths_after")):
        bad = (values < 0) | (np.isfinite(values) & (values != np.round(values)))
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(
                f"{label} must be whole numbers >= 0; element {i} is {values.flat[i]:g}"
            )
    for values, label in ((n1, "population_before"), (n2, "population_after")):
        bad = values <= 0
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(f"{label} must be positive; element {i} is {values.flat[i]:g}")
    n = o1 + o2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (o2 / n2) / (o1 / n1)
        pi0 = n2 / (n1 + n2)
        p = _binom_two_sided_p(o2, n, pi0)
        tested = np.isfinite(n) & (n >= 1) & np.isfinite(n1) & np.isfinite(n2)
        pi_lo = np.where(o2 > 0, beta_ppf(alpha / 2.0, o2, n - o2 + 1.0), 0.0)
        pi_hi = np.where(o2 < n, beta_ppf(1.0 - alpha / 2.0, o2 + 1.0, n - o2), 1.0)
        scale = n1 / n2
        lower = pi_lo / (1.0 - pi_lo) * scale
        upper = np.where(pi_hi >= 1.0, np.inf, pi_hi / (1.0 - pi_hi) * scale)
    nan = np.full(ratio.shape, np.nan)
    return RatioTest(
        np.where(tested, ratio, nan),
        np.where(tested, lower, nan),
        np.where(tested, upper, nan),
        np.where(tested, p, nan),
    )


def _log_se(
    rate: NDArray[np.float64],
    lcl: NDArray[np.float64],
    ucl: NDArray[np.float64],
    deaths: NDArray[np.float64],
    z: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """SE of log(rate) from the limits (where usable) else 1/sqrt(deaths); and which was used.

    ``z`` is the two-sided normal quantile of the limits' confidence level.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        from_limits = (lcl > 0) & (ucl > lcl) & np.isfinite(ucl) & np.isfinite(z)
        se_limits = (np.log(ucl) - np.log(lcl)) / (2.0 * z)
        se_deaths = np.where(deaths > 0, 1.0 / np.sqrt(deaths), np.nan)
    return np.where(from_limits, se_limits, se_deaths), from_limits & (rate > 0)


def _log_ratio(
    rate_b: NDArray[np.float64],
    lcl_b: NDArray[np.float64],
    ucl_b: NDArray[np.float64],
    rate_a: NDArray[np.float64],
    lcl_a: NDArray[np.float64],
    ucl_a: NDArray[np.float64],
    deaths_b: NDArray[np.float64],
    deaths_a: NDArray[np.float64],
    limits_z_b: NDArray[np.float64],
    limits_z_a: NDArray[np.float64],
    conf: float,
) -> tuple[RatioTest, NDArray[np.bool_]]:
    se_b, lim_b = _log_se(rate_b, lcl_b, ucl_b, deaths_b, limits_z_b)
    se_a, lim_a = _log_se(rate_a, lcl_a, ucl_a, deaths_a, limits_z_a)
    z = z_value(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rate_a / rate_b
        log_ratio = np.log(rate_a) - np.log(rate_b)
        se = np.hypot(se_a, se_b)
        valid = (rate_a > 0) & (rate_b > 0) & np.isfinite(se) & (se > 0)
        lower = np.where(valid, np.exp(log_ratio - z * se), np.nan)
        upper = np.where(valid, np.exp(log_ratio + z * se), np.nan)
        p = np.where(valid, 2.0 * norm_sf(np.abs(log_ratio) / se), np.nan)
    return RatioTest(ratio, lower, upper, p), lim_a & lim_b


def log_rate_ratio(
    rate_before: ArrayLike,
    lcl_before: ArrayLike,
    ucl_before: ArrayLike,
    rate_after: ArrayLike,
    lcl_after: ArrayLike,
    ucl_after: ArrayLike,
    conf: float = 0.95,
    *,
    limits_conf: float = ONS_LIMITS_CONF,
    deaths_before: ArrayLike | None = None,
    deaths_after: ArrayLike | None = None,
) -> RatioTest:
    """Ratio of two rates with known confidence limits: z-test on the log rate ratio.

    For published age-standardised rates (ONS) or directly standardised rates, whose
    variance is not otherwise available.

    Parameters
    ----------
    rate_before, lcl_before, ucl_before, rate_after, lcl_after, ucl_after : array-like
        The two rates and their confidence limits (any rate unit, the same for both).
    conf : float, default 0.95
        Confidence level of the interval returned for the ratio.
    limits_conf : float, default 0.95
        Confidence level of the given limits (ONS publishes 95% limits).
    deaths_before, deaths_after : array-like, optional
        Death counts, used for the standard error of a rate whose limits are missing or
        unusable (lower limit 0, upper not above lower).

    Returns
    -------
    RatioTest
        ``ratio`` = rate_after / rate_before, its limits and the two-sided p-value; NaN
        limits and p-value where either rate is missing or not positive, or a standard
        error cannot be found.

    Notes
    -----
    Method (Altman & Bland 2003): the standard error of each log rate is recovered from
    its confidence limits as ``SE = (ln ucl - ln lcl) / (2 z)`` with ``z`` the normal
    quantile of ``limits_conf``, which assumes that the limits are approximately
    symmetric on the log scale (log-normal). ONS limits are Dobson/exact-Poisson limits
    (fewer than 100 deaths, skewed roughly as on the log scale) or normal limits
    (100 or more deaths, symmetric): for those the averaged log half-width is a close
    approximation because the intervals are narrow. Where limits are unusable the SE is
    ``1 / sqrt(deaths)``, the Poisson SE of a log crude rate, which ignores the extra
    variance from age-standardisation. Then ``z = (ln R) / sqrt(SE1^2 + SE2^2)``, the
    two-sided p-value is ``2 (1 - Phi(|z|))`` and the limits are
    ``exp(ln R -/+ z_conf sqrt(SE1^2 + SE2^2))``. Published rates are rounded (to 0.1
    per 100,000), so the ratio carries that rounding error.

    References
    ----------
    Altman DG, Bland JM (2003). Interaction revisited: the difference between two
    estimates. *BMJ* 326:219. Altman DG, Bland JM (2011). How to obtain the confidence
    interval from a P value. *BMJ* 343:d2090.
    """
    limits_z = z_value(limits_conf)
    rb, lb, ub, ra, la, ua, db, da = np.broadcast_arrays(
        *(
            np.asarray(a, dtype=np.float64)
            for a in (
                rate_before,
                lcl_before,
                ucl_before,
                rate_after,
                lcl_after,
                ucl_after,
                np.nan if deaths_before is None else deaths_before,
                np.nan if deaths_after is None else deaths_after,
            )
        )
    )
    z = np.full(rb.shape, limits_z)
    result, _ = _log_ratio(rb, lb, ub, ra, la, ua, db, da, z, z, conf)
    return result


# --- verdict text -----------------------------------------------------------------------


def _format_p(p: NDArray[np.float64]) -> NDArray[np.object_]:
    """``p = 0.024`` (two significant figures), or ``p < 0.0001``."""
    text = np.char.mod("p = %.2g", np.where(np.isfinite(p), p, 0.0)).astype(object)
    return np.where(p < 1e-4, "p < 0.0001", text).astype(object)


def _join(a: NDArray[np.object_], b: NDArray[np.object_], sep: str = "; ") -> NDArray[np.object_]:
    """``a; b`` element-wise, leaving out empty parts."""
    both = (a != "") & (b != "")
    return np.where(both, a + sep + b, a + b).astype(object)


def _reasons(side: Side, which: str, kind: str, period: Window) -> NDArray[np.object_]:
    """Why a period's value cannot be tested ('' if it can)."""
    empty = np.full(side.rate.shape, "", dtype=object)
    if kind == "counts":
        return np.select(
            [np.isnan(side.deaths), np.isnan(side.population)],
            [f"deaths {which} missing", f"population {which} missing"],
            empty,
        ).astype(object)
    status_text = np.select(
        [side.status == "not_calculated", side.status == "suppressed"],
        [_STATUS_REASON["not_calculated"], _STATUS_REASON["suppressed"]],
        "not available",
    ).astype(object)
    return np.select(
        [~side.present, np.isnan(side.rate), side.rate <= 0],
        [
            f"no row for {period_label(period)}",
            f"rate {which} " + status_text,
            f"rate {which} is 0 (use counts for the exact test)",
        ],
        empty,
    ).astype(object)


def _notes(side: Side, which: str) -> NDArray[np.object_]:
    """Notes on unreliable rates for the verdict ('' for reliable ones)."""
    return np.select(
        [side.status == "not_calculated", side.status == "unreliable"],
        [
            f"rate {which} unreliable (fewer than {MIN_DEATHS_FOR_RATE} deaths)",
            f"rate {which} unreliable (fewer than {MIN_DEATHS_RELIABLE} deaths)",
        ],
        "",
    ).astype(object)


# --- compare_periods(): check, read, test, assemble ----------------------------------------


def _check_arguments(
    data: pd.DataFrame,
    before: PeriodLike,
    after: PeriodLike,
    by: Hashable | Sequence[Hashable] | None,
    count: Hashable | None,
) -> tuple[Window, Window, list[Hashable], Hashable | None]:
    """The two periods, the ``by`` keys and the deaths column, checked against the data."""
    w_before = window(before, "before")
    w_after = window(after, "after")
    if w_before[0] <= w_after[1] and w_after[0] <= w_before[1]:
        raise ValueError(
            f"the periods {period_label(w_before)} and {period_label(w_after)} overlap; the "
            "test needs deaths in separate periods"
        )
    if len(data) == 0:
        raise ValueError("data has no rows")
    keys = as_list(by)
    missing_keys = [k for k in keys if k not in data.columns]
    if missing_keys:
        raise ValueError(
            f"by column(s) {missing_keys} not in the data; it has {list(data.columns)}"
        )
    clash = [k for k in keys if k in NOT_GROUPING]
    if clash:
        raise ValueError(f"by must not include the period or value columns {clash}")
    if count is None:
        count = next((c for c in ("deaths", "count") if c in data.columns), None)
    elif count not in data.columns:
        raise ValueError(f"count column {count!r} not in the data; it has {list(data.columns)}")
    return w_before, w_after, keys, count


def _without_absent(t: Table, absent: NDArray[np.int64], before: Window, after: Window) -> str:
    """Code that leaves out the groups lacking a row for a period (advice in the warning)."""
    keys = t.groups.keys
    if len(keys) == 1 and absent.size <= 10:
        values = t.groups.key_rows[keys[0]].iloc[absent]
        listed = ", ".join(show(v) for v in values)
        return f"data[~data[{keys[0]!r}].isin([{listed}])]"
    cols = ("period_start", "period_end")
    if not set(cols) <= set(t.data.columns):
        cols = ("year", "year")

    def has(period: Window) -> str:
        if cols[0] == cols[1]:
            return f"(g[{cols[0]!r}] == {period[0]}).any()"
        return f"((g[{cols[0]!r}] == {period[0]}) & (g[{cols[1]!r}] == {period[1]})).any()"

    keep = f"lambda g: {has(before)} and {has(after)}"
    return f"data.groupby({keys!r}, dropna=False).filter({keep})"


def _read_sides(
    t: Table,
    kind: str,
    before: Window,
    after: Window,
    conf: float,
    limits_conf: float | None,
) -> tuple[Side, Side]:
    """Each group's values in the two periods; warns of groups lacking a row (rates)."""
    groups = t.groups
    if kind == "rates":
        b = read_rates(t, before, "before", limits_conf)
        a = read_rates(t, after, "after", limits_conf)
        absent = np.flatnonzero(~(b.present & a.present))
        if absent.size:
            warnings.warn(
                f"{absent.size} group(s) lack a row for {period_label(before)} or "
                f"{period_label(after)} and are reported as not assessed, e.g. "
                f"{groups.name(int(absent[0]))}; "
                f"to leave them out, compare {_without_absent(t, absent, before, after)}",
                UserWarning,
                stacklevel=3,
            )
    else:
        b = read_counts(t, before, "before", conf)
        a = read_counts(t, after, "after", conf)
    differ = ~np.isclose(b.rate_per, a.rate_per) & ~np.isnan(b.rate_per) & ~np.isnan(a.rate_per)
    if differ.any():
        g = int(np.argmax(differ))
        raise ValueError(
            f"{groups.name(g)}: rates are per {b.rate_per[g]:g} before and per "
            f"{a.rate_per[g]:g} after; compare rates on the same scale{others(int(differ.sum()))}"
        )
    return b, a


class _Tested(NamedTuple):
    """The test of each group's change, and the limits of both rates at ``conf``."""

    result: RatioTest
    test: NDArray[np.object_]  # one of TESTS, None when not assessed
    lcl_b: NDArray[np.float64]
    ucl_b: NDArray[np.float64]
    lcl_a: NDArray[np.float64]
    ucl_a: NDArray[np.float64]


def _test_change(b: Side, a: Side, kind: str, conf: float) -> _Tested:
    """Rate ratio after / before with its test: exact (counts) or on the log ratio (rates)."""
    if kind == "rates":
        result, from_limits = _log_ratio(
            b.rate, b.lcl, b.ucl, a.rate, a.lcl, a.ucl,
            b.deaths, a.deaths, b.limits_z, a.limits_z, conf,
        )  # fmt: skip
        test = np.where(from_limits, TESTS[1], TESTS[2]).astype(object)
        lcl_b, ucl_b = scale_limits(b, conf)
        lcl_a, ucl_a = scale_limits(a, conf)
    else:
        result = exact_rate_ratio(b.deaths, b.population, a.deaths, a.population, conf)
        test = np.full(b.rate.shape, TESTS[0], dtype=object)
        lcl_b, ucl_b, lcl_a, ucl_a = b.lcl, b.ucl, a.lcl, a.ucl
    assessed = np.isfinite(result.p_value)
    test = np.where(assessed, test, np.full(test.shape, None, dtype=object))
    return _Tested(result, test, lcl_b, ucl_b, lcl_a, ucl_a)


def _ons_verdict(b: Side, a: Side, t: _Tested) -> NDArray[np.object_]:
    """The ONS rule: non-overlapping intervals at ``conf``; not assessed for unpublished rates."""
    unpublished = ("not_calculated", "suppressed", "not_available")
    ons_missing = (
        np.isin(b.status, unpublished)
        | np.isin(a.status, unpublished)
        | np.isnan(b.rate + t.lcl_b + t.ucl_b + a.rate + t.lcl_a + t.ucl_a)
    )
    return np.select(
        [ons_missing, t.lcl_a > t.ucl_b, t.ucl_a < t.lcl_b],
        ["not assessed", "significant increase", "significant decrease"],
        "no significant change",
    ).astype(object)


def _verdict(
    b: Side, a: Side, result: RatioTest, kind: str, conf: float, before: Window, after: Window
) -> NDArray[np.object_]:
    """Plain English from the test, with notes on unreliable rates, or why it was not done."""
    with np.errstate(invalid="ignore"):
        significant = result.p_value < 1.0 - conf
        direction = np.where(result.ratio > 1, "significant increase", "significant decrease")
    verdict = np.where(significant, direction, "no significant change").astype(object) + " ("
    verdict = verdict + _format_p(result.p_value) + ")"
    notes = _join(_notes(b, "before"), _notes(a, "after"))
    verdict = np.where(notes != "", verdict + "; " + notes, verdict).astype(object)
    reasons = _join(_reasons(b, "before", kind, before), _reasons(a, "after", kind, after))
    if kind == "counts":
        none = (b.deaths == 0) & (a.deaths == 0)
        reasons = np.where(none & (reasons == ""), "no deaths in either period", reasons)
    else:
        reasons = np.where(
            reasons == "", "no confidence limits or deaths for the standard error", reasons
        )
    assessed = np.isfinite(result.p_value)
    return np.where(assessed, verdict, "not assessed: " + reasons.astype(object)).astype(object)


def _assemble(
    t: Table,
    b: Side,
    a: Side,
    tested: _Tested,
    ons: NDArray[np.object_],
    verdict: NDArray[np.object_],
) -> pd.DataFrame:
    """The output table: keys, ``area_name``, then :data:`COMPARISON_COLUMNS`."""
    data, groups, result = t.data, t.groups, tested.result
    with np.errstate(divide="ignore", invalid="ignore"):
        change = a.rate - b.rate
        percent = np.where(b.rate > 0, 100.0 * change / b.rate, np.nan)
    key_rows = groups.key_rows.copy()
    if "area_name" in data.columns and "area_name" not in groups.keys:
        key_rows["area_name"] = data["area_name"].iloc[groups.first].to_numpy()
    columns: dict[str, Any] = {
        "deaths_before": tidy_number(b.deaths),
        "deaths_after": tidy_number(a.deaths),
        "population_before": tidy_number(b.population),
        "population_after": tidy_number(a.population),
        "rate_before": b.rate,
        "lcl_before": tested.lcl_b,
        "ucl_before": tested.ucl_b,
        "rate_after": a.rate,
        "lcl_after": tested.lcl_a,
        "ucl_after": tested.ucl_a,
        "status_before": pd.array(b.status, dtype="str"),
        "status_after": pd.array(a.status, dtype="str"),
        "change": change,
        "percent_change": percent,
        "rate_ratio": result.ratio,
        "ratio_lcl": result.lcl,
        "ratio_ucl": result.ucl,
        "p_value": result.p_value,
        "test": pd.array(tested.test, dtype="str"),
        "ons_verdict": pd.array(ons, dtype="str"),
        "verdict": pd.array(verdict, dtype="str"),
        "rate_per": tidy_number(np.where(np.isnan(b.rate_per), a.rate_per, b.rate_per)),
    }
    return frame(key_rows, columns)


def compare_periods(
    data: pd.DataFrame,
    *,
    before: PeriodLike,
    after: PeriodLike,
    by: Hashable | Sequence[Hashable] | None = "area_code",
    conf: float = 0.95,
    kind: Kind = "auto",
    count: Hashable | None = None,
    population: Hashable = "population",
    per: float | None = None,
    limits_conf: float | None = None,
) -> pd.DataFrame:
    """Compare each group's death rate in a "before" and an "after" period.

    Parameters
    ----------
    data : pandas.DataFrame
        One of (detected from the columns, or set by ``kind``):

        * **published rates** - the tidy ONS table of :mod:`overdose_trends.io.ons_local` /
          :func:`overdose_trends.io.datasets.la_deaths` (``period_start``, ``period_end``,
          ``deaths``, ``rate``, ``lcl``, ``ucl``, ``rate_per``, ``rate_status`` ...), or
        * **standardised rates** - output of :func:`overdose_trends.stats.rates.dsr` (or
          :func:`~overdose_trends.stats.rates.crude_rate`) computed with the period columns in
          its ``by`` (``count``, ``rate``, ``lcl``, ``ucl``, ``conf``, ``rate_status``).
          These two are ``kind="rates"``: one row per group and period is needed, with
          ``period_start``/``period_end`` equal to ``before`` and ``after`` (single-year
          rates may use a ``year`` column). Rows for other periods are ignored.
        * **counts and populations** (``kind="counts"``) - a deaths (or ``count``) column
          and a ``population`` column, one row per group and single year (``year``, or
          ``period_start == period_end``) and/or rows whose ``period_start``/``period_end``
          are exactly ``before`` or ``after``. Single years are summed over each period
          (deaths, and population as person-years); a group's own period row is used
          instead where present. Every year of a period must be present.

        ONS tables hold several measures and sexes per area: filter to one (e.g.
        ``la.query("measure == 'poisoning' and sex == 'persons'")``) or include
        ``measure``/``sex`` in ``by``; otherwise a ``ValueError`` reports the duplicates.
    before, after : str, int or (int, int)
        Required. First and last registration year of each period, in any of the
        package's notations (:func:`overdose_trends.schema.as_period`): ``"2013-15"``,
        ``"2013-2015"``, ``"2013 to 2015"``, ``(2013, 2015)``, or a single year such as
        ``2016``. The periods must not overlap.
    by : column label or list of labels, default "area_code"
        Columns identifying a group; one output row per group, in order of first
        appearance. None: the whole table is one group.
    conf : float, default 0.95
        Confidence level of the limits in the output and of the test: the change is
        significant when ``p_value < 1 - conf``. 0.998 gives "99.8%" comparisons.
    kind : {"auto", "rates", "counts"}, default "auto"
        ``"auto"``: ``"rates"`` if there is a ``rate`` column, else ``"counts"`` if there
        are a deaths/count column and a population column. Use ``kind="counts"`` to test
        crude rates exactly when the data also have a ``rate`` column.
    count : column label, optional
        Deaths column; default ``"deaths"`` if present, else ``"count"``.
    population : column label, default "population"
        Population column (counts; carried through for rates when present).
    per : float, optional
        Rate multiplier for counts (default 100,000). For rates it only labels
        ``rate_per`` when the data have no ``rate_per`` column.
    limits_conf : float, optional
        Confidence level of the ``lcl``/``ucl`` in rates data. Default: the ``conf``
        column if there is one (output of :mod:`overdose_trends.stats.rates`), else 0.95 (ONS).

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``area_name`` (when the data have it and
        it is not a key; from the group's first row), then
        (:data:`COMPARISON_COLUMNS`)

        ``deaths_before``, ``deaths_after``
            Deaths in each period (Int64; ``<NA>`` when not given).
        ``population_before``, ``population_after``
            Population (person-years) in each period; ``<NA>`` for ONS tables.
        ``rate_before``, ``lcl_before``, ``ucl_before``; ``rate_after``, ``lcl_after``, ...
            Rates per ``rate_per`` (per 100,000 for ONS tables and by default) with
            limits at ``conf``. For rates data these are the given limits when ``conf``
            equals ``limits_conf``; otherwise they are rescaled on the log scale,
            ``rate * (limit / rate) ** (z_conf / z_limits)`` (each side separately,
            keeping the skew). For counts: crude rates with exact (Garwood) Poisson limits.
        ``status_before``, ``status_after``
            ``rate_status`` of each period (ONS rules for counts,
            :func:`overdose_trends.schema.rate_status`: ``"not_calculated"`` below 10
            deaths, ``"unreliable"`` below 20, else ``"ok"``).
        ``change``, ``percent_change``
            ``rate_after - rate_before`` (per ``rate_per``) and
            ``100 * change / rate_before`` (per cent; NaN when the rate before is 0).
        ``rate_ratio``, ``ratio_lcl``, ``ratio_ucl``, ``p_value``
            Rate ratio after / before (no unit), its limits at ``conf`` and the
            two-sided p-value for "no change", from :func:`exact_rate_ratio` (counts)
            or :func:`log_rate_ratio` (rates).
        ``test``
            The test used, one of :data:`TESTS`; ``<NA>`` when not assessed.
        ``ons_verdict``
            The ONS rule at ``conf``: ``"significant increase"`` /
            ``"significant decrease"`` when the intervals do not overlap (touching
            intervals overlap), ``"no significant change"`` when they do, and
            ``"not assessed"`` when either rate is not calculated (fewer than 10 deaths,
            suppressed or not available) or lacks limits.
        ``verdict``
            Plain English from the test, e.g. ``"significant increase (p = 0.0003)"``,
            ``"no significant change (p = 0.081)"``, with notes for unreliable rates
            (``"; rate before unreliable (fewer than 20 deaths)"``), or
            ``"not assessed: ..."`` with the reason.
        ``rate_per``
            Population multiplier of the rates (e.g. 100000).

        ``attrs["comparison"]`` holds the periods as ``(first, last)`` years, ``conf``
        and the ``kind`` used.

    Raises
    ------
    ValueError
        Naming the group: a period with missing years (counts - the message lists
        them); more than one row for a group and period (the message names the columns
        in which the rows differ, e.g. ``measure``, ``sex``); negative or non-whole
        deaths, zero populations, deaths above the population; different ``rate_per``
        before and after. Also when no group at all has a row for a period (rates),
        for overlapping or malformed periods, a bad ``conf`` or ``kind``, missing
        columns.

    Warns
    -----
    UserWarning
        Rates only: when some groups have no row for one of the periods (e.g. England
        and Wales, which the ONS local-authority workbook gives only as single-year
        counts). Those groups are kept in the output as ``"not assessed: no row for
        2013-2015"``, never dropped; the warning gives the code that leaves them out.

    Notes
    -----
    *Counts and populations*: the exact conditional binomial test (Breslow & Day 1987):
    given the total deaths ``O1 + O2``, ``O2 ~ Binomial(O1 + O2, R N2 / (R N2 + N1))``;
    see :func:`exact_rate_ratio`. It is valid for any counts, including 0 deaths in one
    period (ratio 0 or ``inf``). Rates from fewer than 10 deaths are computed and tested,
    flagged ``"not_calculated"`` as ONS would not publish them, so the ONS verdict is
    ``"not assessed"`` for them while ``verdict`` still gives the exact test.

    *Published or standardised rates*: a z-test on the difference of the log rates, with
    each log rate's standard error derived from its confidence interval,
    ``(ln ucl - ln lcl) / (2 z)`` (Altman & Bland 2003). This assumes that the limits are
    approximately symmetric on the log scale; for a rate without usable limits the SE is
    ``1 / sqrt(deaths)``. The test cannot be done for a rate that is not published.

    The ONS verdict (overlap of the intervals) is more conservative than the test: when
    the intervals overlap only a little the change can still be significant by the
    test (e.g. Norfolk, drug poisoning, 2013-15 7.5 (6.4-8.6) and 2016-18 9.4
    (8.2-10.6) per 100,000: overlapping intervals but p = 0.024). Neither allows for
    comparing many areas at once.

    References
    ----------
    ONS drug-poisoning reference tables, notes on confidence intervals (overlap rule);
    Breslow & Day (1987), IARC Sci. Publ. 82, section 2.4; Altman & Bland (2003), *BMJ*
    326:219; Schenker & Gentleman (2001), *Am. Stat.* 55:182-186; Clopper & Pearson
    (1934). See the module docstring for full references.

    Examples
    --------
    Drug-poisoning deaths, persons, from the ONS 2019 edition shipped with the package:
    Southend-on-Sea 2013-15 8.8 (6.5-11.7) and 2016-18 5.8 (4.0-8.3) per 100,000;
    Norwich 10.0 (7.1-13.7) and 21.0 (16.6-26.3):

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' "
    ...     "and area_code in ['E06000033', 'E07000148']"
    ... )
    >>> out = ot.compare_periods(la, before="2013-15", after="2016-18")
    >>> out[["area_name", "rate_before", "rate_after", "ons_verdict"]]
             area_name  rate_before  rate_after            ons_verdict
    0  Southend-on-Sea          8.8         5.8  no significant change
    1          Norwich         10.0        21.0   significant increase
    >>> out["verdict"].tolist()
    ['no significant change (p = 0.081)', 'significant increase (p = 0.00029)']
    """
    conf = float(conf)
    z_value(conf)  # validates conf before anything else
    w_before, w_after, keys, count = _check_arguments(data, before, after, by, count)
    resolved = detect_kind(data, kind, count, population)
    per_value = float(PER_100K) if per is None else positive("per", per, "100000")
    start, end = times(data)
    table = Table(data, Groups(data, keys), start, end, count, population, per_value)

    b, a = _read_sides(table, resolved, w_before, w_after, conf, limits_conf)
    tested = _test_change(b, a, resolved, conf)
    ons = _ons_verdict(b, a, tested)
    verdict = _verdict(b, a, tested.result, resolved, conf, w_before, w_after)

    out = _assemble(table, b, a, tested, ons, verdict)
    out.attrs["comparison"] = {"before": w_before, "after": w_after, "conf": conf, "kind": resolved}
    return out
