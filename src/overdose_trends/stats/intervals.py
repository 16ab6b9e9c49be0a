"""Confidence-interval primitives used in UK public-health statistics.

Each function works element-wise on numpy arrays (or anything array-like,
including pandas Series and scalars) and returns a pair ``(lower, upper)`` of
float arrays. Missing inputs (NaN) give NaN limits. They know nothing about
tables or files: :mod:`overdose_trends.stats.rates` and
:mod:`overdose_trends.stats.compare` build on them.

Conventions follow the Public Health England / OHID "Technical Guide:
Confidence Intervals" (2018) and the R package PHEindicatormethods, whose
published test values the test-suite reproduces.

References
----------
Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research, vol. II:
The design and analysis of cohort studies*. IARC Scientific Publications 82
(Byar's approximation, p. 69).

Dobson AJ, Kuulasmaa K, Eberle E, Scherer J (1991). Confidence intervals for
weighted sums of Poisson parameters. *Statistics in Medicine* 10(3):457-462.

Wilson EB (1927). Probable inference, the law of succession, and statistical
inference. *Journal of the American Statistical Association* 22:209-212.

Public Health England (2018). *Technical Guide: Confidence Intervals*.
Fingertips methodology documentation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from overdose_trends.constants import BYAR_MIN_COUNT
from overdose_trends.stats._distributions import half_chi2_ppf, norm_ppf

__all__ = [
    "byar_limits",
    "dobson_limits",
    "exact_poisson_limits",
    "normal_limits",
    "poisson_limits",
    "wilson_limits",
    "z_value",
]

Limits = tuple[NDArray[np.float64], NDArray[np.float64]]
#: Limits on a count by one formula: Byar's approximation or exact (Garwood).
PoissonMethod = Literal["byar", "exact"]
#: Any :data:`PoissonMethod`, or ``"phe"``: exact below
#: :data:`~overdose_trends.constants.BYAR_MIN_COUNT` events, Byar's from there up.
PoissonRule = Literal["byar", "exact", "phe"]


def z_value(conf: float) -> float:
    """Two-sided standard normal quantile for a confidence level.

    Parameters
    ----------
    conf : float
        Confidence level as a proportion, strictly between 0 and 1
        (0.95 gives 1.959964, 0.998 gives 3.090232).

    Returns
    -------
    float
        ``z`` with ``P(-z < Z < z) = conf`` for a standard normal ``Z``, i.e. the
        ``0.5 + conf / 2`` quantile.

    Raises
    ------
    ValueError
        If ``conf`` is not strictly between 0 and 1. A percentage such as 95
        is rejected with a hint rather than silently rescaled.

    References
    ----------
    PHE (2018) Technical Guide: Confidence Intervals (``z`` of 1.96 for 95% and
    3.09 for 99.8% limits).
    """
    conf = float(conf)
    if not 0.0 < conf < 1.0:
        hint = f" (did you mean {conf / 100:g}?)" if 1.0 < conf < 100.0 else ""
        raise ValueError(f"conf must be a proportion between 0 and 1, got {conf:g}{hint}")
    return float(norm_ppf(0.5 + conf / 2.0))


def _as_float(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def byar_limits(count: ArrayLike, conf: float = 0.95) -> Limits:
    """Byar's approximation to exact Poisson limits for an observed count.

    Parameters
    ----------
    count : array-like of float
        Observed events (deaths); non-negative.
    conf : float, default 0.95
        Confidence level.

    Returns
    -------
    (lower, upper) : tuple of ndarray
        Limits on the expected count (events, not a rate). The lower limit is
        0 for a count of 0. Where Byar's formula breaks down (its cubed term
        is negative: for a count of 1 when ``z > 8/3``, i.e. confidence above
        about 99.2%, so at 99.8%; for a count of 2 only above about 99.994% -
        at 99.8% it gives 0.020) the lower limit is NaN, as in
        PHEindicatormethods; use :func:`exact_poisson_limits` for small
        counts, or :func:`poisson_limits` with ``method="phe"``.

    Notes
    -----
    With ``z`` the two-sided normal quantile,
    ``lower = O (1 - 1/(9 O) - z / (3 sqrt(O)))^3`` and
    ``upper = (O + 1) (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))^3``.

    References
    ----------
    Breslow NE, Day NE (1987), p. 69; PHE (2018) Technical Guide: Confidence Intervals.
    """
    o = _as_float(count)
    z = z_value(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = 1.0 - 1.0 / (9.0 * o) - z / (3.0 * np.sqrt(o))
        lower = np.where(o == 0, 0.0, np.where(base < 0, np.nan, o * base**3))
        o1 = o + 1.0
        upper = o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * np.sqrt(o1))) ** 3
    return lower, upper


def exact_poisson_limits(count: ArrayLike, conf: float = 0.95) -> Limits:
    """Exact (Garwood) Poisson limits for an observed count, from the chi-square distribution.

    Parameters
    ----------
    count : array-like of float
        Observed events; non-negative integers.
    conf : float, default 0.95
        Confidence level.

    Returns
    -------
    (lower, upper) : tuple of ndarray
        ``lower = chi2(alpha/2; 2 O) / 2`` (0 when O = 0) and
        ``upper = chi2(1 - alpha/2; 2 O + 2) / 2``, limits on the expected count.

    References
    ----------
    Garwood F (1936). Fiducial limits for the Poisson distribution.
    *Biometrika* 28:437-442. ONS uses these limits for counts below 100.
    """
    o = _as_float(count)
    alpha = 1.0 - conf
    z_value(conf)  # validates conf
    lower = np.where(o == 0, 0.0, half_chi2_ppf(alpha / 2.0, o))
    upper = half_chi2_ppf(1.0 - alpha / 2.0, o + 1.0)
    return lower, upper


def poisson_limits(count: ArrayLike, conf: float = 0.95, method: PoissonRule = "byar") -> Limits:
    """Poisson confidence limits on an observed count by the named method.

    Parameters
    ----------
    count : array-like of float
        Observed events (deaths); non-negative. NaN gives NaN limits.
    conf : float, default 0.95
        Confidence level as a proportion.
    method : {"byar", "exact", "phe"}, default "byar"
        ``"byar"``: Byar's approximation (:func:`byar_limits`) for every count.
        ``"exact"``: exact Poisson limits (:func:`exact_poisson_limits`) for
        every count. ``"phe"``: the PHE rule - exact limits for counts below
        :data:`~overdose_trends.constants.BYAR_MIN_COUNT` (10), Byar's
        approximation for 10 or more (so no lower limit is ever NaN).

    Returns
    -------
    (lower, upper) : tuple of ndarray
        Limits on the expected count (events, not a rate), the shape of
        ``count``.

    Raises
    ------
    ValueError
        For an unknown ``method`` or a bad ``conf``.

    References
    ----------
    PHE (2018) Technical Guide: Confidence Intervals ("exact method for counts
    < 10, Byar's method otherwise"), as PHEindicatormethods ``phe_rate`` and
    ``assign_funnel_significance``; Breslow & Day (1987), p. 69; Garwood (1936).
    """
    if method == "byar":
        return byar_limits(count, conf)
    if method == "exact":
        return exact_poisson_limits(count, conf)
    if method == "phe":
        o = _as_float(count)
        z_value(conf)  # validates conf even when no count needs limits
        lower = np.full(o.shape, np.nan)
        upper = np.full(o.shape, np.nan)
        small = o < BYAR_MIN_COUNT  # NaN counts are neither small nor large
        if small.any():
            lower[small], upper[small] = exact_poisson_limits(o[small], conf)
        large = o >= BYAR_MIN_COUNT
        if large.any():
            lower[large], upper[large] = byar_limits(o[large], conf)
        return lower, upper
    raise ValueError(f"unknown Poisson interval method {method!r}; use 'byar', 'exact' or 'phe'")


def wilson_limits(successes: ArrayLike, trials: ArrayLike, conf: float = 0.95) -> Limits:
    """Wilson score interval for a proportion.

    Parameters
    ----------
    successes, trials : array-like of float
        Numerator and denominator (e.g. kits returned used, kits issued).
    conf : float, default 0.95
        Confidence level.

    Returns
    -------
    (lower, upper) : tuple of ndarray
        Limits on the proportion (0 to 1).

    References
    ----------
    Wilson EB (1927); Newcombe RG (1998). Two-sided confidence intervals for
    the single proportion. *Statistics in Medicine* 17:857-872.
    """
    x = _as_float(successes)
    n = _as_float(trials)
    z = z_value(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = 2.0 * x + z**2
        spread = z * np.sqrt(z**2 + 4.0 * x * (1.0 - p))
        denom = 2.0 * (n + z**2)
        lower = (centre - spread) / denom
        upper = (centre + spread) / denom
    return lower, upper


def dobson_limits(
    total_count: ArrayLike,
    variance: ArrayLike,
    estimate: ArrayLike,
    conf: float = 0.95,
    count_method: PoissonMethod = "byar",
) -> Limits:
    """Dobson limits for a weighted sum of Poisson counts (e.g. a directly standardised rate).

    Parameters
    ----------
    total_count : array-like of float
        O, the total observed events over all age bands.
    variance : array-like of float
        Variance of the estimate, ``sum(w_i**2 * O_i / n_i**2)`` on the scale
        of ``estimate`` (``w_i`` standard-population weights normalised to sum
        to 1 and multiplied by the rate multiplier).
    estimate : array-like of float
        The weighted sum (the DSR).
    conf : float, default 0.95
        Confidence level.
    count_method : {"byar", "exact"}, default "byar"
        Limits for the total count O: Byar's approximation as in
        PHEindicatormethods, or exact Poisson as ONS uses.

    Returns
    -------
    (lower, upper) : tuple of ndarray
        ``estimate + sqrt(variance / O) * (O_L - O)`` and the same with O_U.

    References
    ----------
    Dobson et al. (1991), *Statistics in Medicine* 10:457-462.
    """
    o = _as_float(total_count)
    v = _as_float(variance)
    est = _as_float(estimate)
    o_lower, o_upper = poisson_limits(o, conf, count_method)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(v / o)
    return est + scale * (o_lower - o), est + scale * (o_upper - o)


def normal_limits(estimate: ArrayLike, se: ArrayLike, conf: float = 0.95) -> Limits:
    """Symmetric normal-approximation limits ``estimate -/+ z * se``.

    Parameters
    ----------
    estimate : array-like of float
        The estimate (e.g. an age-standardised rate per 100,000).
    se : array-like of float
        Its standard error, on the same scale.
    conf : float, default 0.95
        Confidence level; ``z`` is :func:`z_value` of it.

    Returns
    -------
    (lower, upper) : tuple of ndarray
        ``estimate - z * se`` and ``estimate + z * se``, in the units of
        ``estimate``.

    Notes
    -----
    ONS uses these for age-standardised mortality rates based on 100 or more
    deaths (:data:`~overdose_trends.constants.ONS_NORMAL_MIN_DEATHS`), and
    Dobson limits with exact Poisson limits on the count below that.

    References
    ----------
    Office for National Statistics, *Deaths related to drug poisoning in England
    and Wales*, "Measuring the data" / reference-table notes on confidence
    intervals for age-standardised mortality rates (normal approximation for
    100 or more deaths).
    """
    est = _as_float(estimate)
    s = _as_float(se)
    z = z_value(conf)
    return est - z * s, est + z * s
