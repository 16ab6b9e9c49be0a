"""The few distribution functions the rate statistics need, from :mod:`scipy.special`.

``scipy.stats`` costs several times the import time of ``scipy.special`` and the
intervals, comparisons and rates need only these quantiles and tail areas. Each
function is the same formula ``scipy.stats`` uses (SciPy 1.17), so the numbers
agree with ``scipy.stats`` to rounding (tests/test_intervals.py checks 1e-12):

* normal: ``ndtri`` (quantile) and ``ndtr`` (tail area);
* chi-squared quantile ``chi2.ppf(q, 2a) / 2 = gammaincinv(a, q)``;
* beta quantile ``betaincinv`` (Boost ``ibeta_inv``);
* binomial: ``P(X <= k) = I_{1-p}(n - k, k + 1)`` and ``P(X > k) = I_p(k + 1, n - k)``
  (regularised incomplete beta, Boost ``ibeta``) and the log pmf from log-gamma.

References
----------
Abramowitz M, Stegun IA (1964). *Handbook of Mathematical Functions*, 26.5.24
(binomial tail as an incomplete beta function) and 26.4.19 (chi-squared and the
incomplete gamma function).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "beta_ppf",
    "binom_cdf",
    "binom_logpmf",
    "binom_sf",
    "half_chi2_ppf",
    "norm_ppf",
    "norm_sf",
]


def _f(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def norm_ppf(q: ArrayLike) -> NDArray[np.float64]:
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    return np.asarray(special.ndtri(_f(q)), dtype=np.float64)


def norm_sf(x: ArrayLike) -> NDArray[np.float64]:
    """Standard normal upper tail area ``1 - Phi(x)`` (``scipy.stats.norm.sf``)."""
    return np.asarray(special.ndtr(-_f(x)), dtype=np.float64)


def half_chi2_ppf(q: ArrayLike, a: ArrayLike) -> NDArray[np.float64]:
    """``chi2.ppf(q, 2 a) / 2``: the ``q`` quantile of Gamma(a, 1); NaN for ``a <= 0``."""
    a = _f(a)
    with np.errstate(invalid="ignore"):
        out = special.gammaincinv(np.where(a > 0, a, np.nan), _f(q))
    return np.asarray(out, dtype=np.float64)


def beta_ppf(q: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Beta(a, b) quantile (``scipy.stats.beta.ppf``); NaN unless ``a, b > 0``."""
    a, b = _f(a), _f(b)
    ok = (a > 0) & (b > 0)
    with np.errstate(invalid="ignore"):
        out = special.betaincinv(np.where(ok, a, np.nan), np.where(ok, b, np.nan), _f(q))
    return np.asarray(out, dtype=np.float64)


def binom_cdf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    """``P(X <= k)`` for ``X ~ Binomial(n, p)`` (``scipy.stats.binom.cdf``)."""
    k, n, p = np.broadcast_arrays(np.floor(_f(k)), _f(n), _f(p))
    inside = (k >= 0) & (k < n)
    with np.errstate(invalid="ignore"):
        v = special.betainc(np.where(inside, n - k, 1.0), np.where(inside, k + 1.0, 1.0), 1.0 - p)
    return np.where(k < 0, 0.0, np.where(k >= n, 1.0, v)).astype(np.float64)


def binom_sf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    """``P(X > k)`` for ``X ~ Binomial(n, p)`` (``scipy.stats.binom.sf``)."""
    k, n, p = np.broadcast_arrays(np.floor(_f(k)), _f(n), _f(p))
    inside = (k >= 0) & (k < n)
    with np.errstate(invalid="ignore"):
        v = special.betainc(np.where(inside, k + 1.0, 1.0), np.where(inside, n - k, 1.0), p)
    return np.where(k < 0, 1.0, np.where(k >= n, 0.0, v)).astype(np.float64)


def binom_logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    """``log P(X = k)`` for whole ``0 <= k <= n`` (``scipy.stats.binom.logpmf`` there)."""
    k, n, p = np.floor(_f(k)), _f(n), _f(p)
    comb = special.gammaln(n + 1) - (special.gammaln(k + 1) + special.gammaln(n - k + 1))
    out = comb + special.xlogy(k, p) + special.xlog1py(n - k, -p)
    return np.asarray(out, dtype=np.float64)
