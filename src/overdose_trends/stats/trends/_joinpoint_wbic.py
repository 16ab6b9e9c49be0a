"""The weighted BIC of NCI's Joinpoint 5 (its default way to choose the number of joinpoints).

Private to :mod:`overdose_trends.stats.trends.joinpoint`. For the best
``k``-joinpoint model (weighted SSE ``SSE(k)``, ``n`` points) the three
Schwarz-type criteria are

* ``BIC(k)  = ln(SSE(k) / n) + (2k + 2) ln(n) / n`` (Kim, Yu & Feuer 2009);
* ``BIC3(k) = ln(SSE(k) / n) + (3k + 2) ln(n) / n``, a harsher penalty of one
  more parameter per joinpoint (Kim & Kim 2016);
* ``WBIC(k) = ln(SSE(k) / n) + ((2 + R2max) k + 2) ln(n) / n`` (Kim, Chen,
  Midthune et al. 2023), i.e. ``(1 - R2max) BIC(k) + R2max BIC3(k)``: close
  to BIC when the slope changes are small relative to the noise and close to
  BIC3 when they are large.

``R2max`` is the largest, over the model's joinpoints ``tau_i``, of the
partial R-squared of the hinge ``z_i = (t - tau_i)+`` given a straight line,
computed on the points of the two segments that meet at ``tau_i`` (from the
previous joinpoint, or the first point, to the next joinpoint, or the last
point, both ends included):

    ``R2_i = {y' (I - H0) z}^2 / ({y' (I - H0) y} {z' (I - H0) z})``

with ``H0`` the hat matrix of intercept and slope on those points. As
everywhere in the weighted fits, ``y``, ``z`` and the design are multiplied by
``sqrt(weights)`` first. There is no weight for ``k = 0`` (``WBIC(0) =
BIC(0)``). The model with the smallest WBIC between the minimum and the
maximum number of joinpoints is chosen.

The NCI help gives the formula of ``R2_i`` with ``y_i`` "the observations
between ``j_1 + 1`` and ``j_2``" in the notation of its Data Dependent Selection
page; the reading above (the two segments adjacent to the joinpoint, ends
included) is ours.

References
----------
Kim HJ, Chen HS, Midthune D, Wheeler B, Buckman DW, Green D, Byrne J, Luo J,
Feuer EJ (2023). Data-driven choice of a model selection method in joinpoint
regression. *Journal of Applied Statistics* 50(9):1992-2013.
doi:10.1080/02664763.2022.2063265.

Kim J, Kim HJ (2016). Consistent model selection in segmented line regression.
*Journal of Statistical Planning and Inference* (2016); NCI help page "BIC3".

Kim HJ, Yu B, Feuer EJ (2009). Selecting the number of change-points in
segmented line regression. *Statistica Sinica* 19(2):597-609.

National Cancer Institute. Joinpoint help: "Weighted BIC (WBIC)", "BIC3",
"V 5.0 - Default Settings Changes", https://surveillance.cancer.gov/help/joinpoint/.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["bic3_values", "partial_r2", "wbic_values"]


def bic3_values(sse: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """``BIC3(k) = ln(SSE(k) / n) + (3k + 2) ln(n) / n`` for ``k = 0, 1, ...``."""
    k = np.arange(sse.size)
    with np.errstate(divide="ignore"):
        return np.log(sse / n) + (3.0 * k + 2.0) * math.log(n) / n


def partial_r2(
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    times: NDArray[np.float64],
    positions: Sequence[int],
) -> NDArray[np.float64]:
    """Partial R-squared of each joinpoint's hinge given a line, on its two segments.

    Parameters
    ----------
    y : ndarray of float64
        ``log`` responses of one series.
    weights : ndarray of float64
        Regression weights.
    times : ndarray of float64
        Time points (increasing).
    positions : sequence of int
        Row numbers of the joinpoints (increasing).

    Returns
    -------
    ndarray of float64
        One value per joinpoint, between 0 and 1 (0 when undefined).
    """
    out = np.zeros(len(positions))
    bounds = [0, *positions, times.size - 1]
    sw = np.sqrt(weights)
    for i, pos in enumerate(positions):
        rows = slice(bounds[i], bounds[i + 2] + 1)
        t = times[rows] - times[pos]
        s = sw[rows]
        q, _ = np.linalg.qr(s[:, None] * np.column_stack([np.ones(t.size), t]))
        yv = s * y[rows]
        zv = s * np.maximum(t, 0.0)
        ey = yv - q @ (q.T @ yv)
        ez = zv - q @ (q.T @ zv)
        denominator = float(ey @ ey) * float(ez @ ez)
        if denominator > 0:
            out[i] = min(1.0, float(ey @ ez) ** 2 / denominator)
    return out


def wbic_values(
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    times: NDArray[np.float64],
    sets: Sequence[Sequence[int]],
    sse: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``BIC3(k)``, the weight ``R2max(k)`` (NaN for ``k = 0``) and ``WBIC(k)``.

    ``sets[k]`` are the positions of the best ``k``-joinpoint set and
    ``sse[k]`` its weighted SSE.
    """
    n = y.size
    bic3 = bic3_values(sse, n)
    weight = np.full(sse.size, np.nan)
    for k in range(1, sse.size):
        weight[k] = float(partial_r2(y, weights, times, sets[k]).max())
    k_all = np.arange(sse.size)
    penalty = (2.0 + np.nan_to_num(weight)) * k_all + 2.0
    with np.errstate(divide="ignore"):
        wbic = np.log(sse / n) + penalty * math.log(n) / n
    return bic3, weight, wbic
