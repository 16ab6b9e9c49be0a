"""Annual percent change (APC) from a log-linear slope.

Private to :mod:`overdose_trends.stats.trends`; :mod:`~overdose_trends.stats.trends.loglinear`,
:mod:`~overdose_trends.stats.trends.joinpoint` and :mod:`~overdose_trends.stats.trends.interrupted`
all report slopes this way.

References
----------
National Cancer Institute, Joinpoint Trend Analysis Software help: "Annual
Percent Change (APC)": for ``log(rate) = b0 + b1 * year``, APC =
``100 (exp(b1) - 1)`` with confidence limits ``100 (exp(b1 -+ z se(b1)) - 1)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["apc_from_slope"]


def apc_from_slope(
    b: ArrayLike, se: ArrayLike, z: float | ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """APC and its confidence limits from a slope on the log scale.

    Parameters
    ----------
    b : array-like of float
        Slope of ``log(rate)`` (or ``log(expected count)``) per unit of time;
        per year for an annual APC. For a slope per month pass ``12 * b`` and
        ``12 * se`` to get an APC per year.
    se : array-like of float
        Standard error of ``b``, same shape (or broadcastable).
    z : float or array-like
        Normal quantile for the limits (1.959964 for 95%; see
        :func:`overdose_trends.stats.intervals.z_value`).

    Returns
    -------
    (apc, lcl, ucl) : tuple of ndarray of float64
        ``100 (exp(b) - 1)``, ``100 (exp(b - z se) - 1)``,
        ``100 (exp(b + z se) - 1)``, in percent per time unit of ``b``.
        NaN inputs give NaN.

    References
    ----------
    NCI Joinpoint Trend Analysis Software help, "Annual Percent Change (APC)".
    """
    b = np.asarray(b, dtype=np.float64)
    half = np.asarray(z, dtype=np.float64) * np.asarray(se, dtype=np.float64)
    apc = 100.0 * np.expm1(b)
    lcl = 100.0 * np.expm1(b - half)
    ucl = 100.0 * np.expm1(b + half)
    return apc, lcl, ucl
