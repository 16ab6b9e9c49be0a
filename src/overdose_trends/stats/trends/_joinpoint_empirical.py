"""Empirical-quantile intervals of a joinpoint model, and intervals for the joinpoints.

Private to :mod:`overdose_trends.stats.trends.joinpoint`.

Empirical quantile method (NCI Joinpoint 5's default intervals). Given the
chosen ``k``-joinpoint model of a series, :func:`resample_model` draws ``B``
data sets ``y* = fit + e*`` where ``e*`` are drawn with replacement from the
model's residuals (in the weighted space, i.e. standardised by ``sqrt(w)``;
centred and inflated by ``sqrt(n / (n - p))``, ``p = 2k + 2``, for the
degrees of freedom the fit used), and refits each one by the same grid
search with ``k`` joinpoints: the joinpoint locations are re-estimated in
every draw, so their uncertainty is carried into the intervals. The interval
of a segment's APC (or of an AAPC) at level ``conf`` is between the
``(1 - conf) / 2`` and ``(1 + conf) / 2`` quantiles of its ``B`` values
(Kim et al. 2017 for the AAPC; Kim et al. 2022 and NCI's Joinpoint 5 for
APCs and joinpoints). Its two-sided p-value is ``2 min(P*(b <= 0), P*(b >= 0))``
with the proportions counted as ``(m + 1) / (B + 1)`` (never 0), at most 1.

Joinpoint locations. With the empirical method, each joinpoint's interval
is the pair of quantiles of its ``B`` resampled locations (always observed
time points). With the parametric methods it is Lerman's (1980) profile
interval from the grid search: the time points ``x`` at which the best
``k``-joinpoint fit with the ``j``-th joinpoint at ``x`` has
``Q(x, j, k) <= Q(k) (1 + F(conf; 1, n - p) / (n - p))`` (``Q`` the weighted
SSE, ``p = 2k + 2``), reported as the first and last such point.

References
----------
Kim HJ, Luo J, Chen HS, Green D, Buckman D, Byrne J, Feuer EJ (2017). Improved
confidence interval for average annual percent change in trend analysis.
*Statistics in Medicine* 36(19):3059-3074.

Kim HJ, Chen HS, Byrne J, Wheeler B, Feuer EJ (2022). Twenty years since
Joinpoint 1.0: two major enhancements, their justification, and impact.
*Statistics in Medicine* 41(16):3102-3130.

Lerman PM (1980). Fitting segmented regression models by grid search.
*Journal of the Royal Statistical Society C* 29(1):77-84.

National Cancer Institute. Joinpoint help: "V 5.0 - Default Settings Changes",
"Notation" (``Q(x, j, k)``), https://surveillance.cancer.gov/help/joinpoint/.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from overdose_trends.stats.trends._joinpoint_fit import continuous_design, slope_matrix
from overdose_trends.stats.trends._joinpoint_grid import Basis

__all__ = ["Draws", "profile_intervals", "quantile_positions", "resample_model"]

#: Resampled data sets refitted per matrix product.
_BATCH = 500


@dataclass(frozen=True)
class Draws:
    """Refits of the chosen model to resampled data.

    ``positions[b]`` are the row numbers of draw ``b``'s joinpoints (shape
    ``(B, k)``), ``slopes[b]`` its segment slopes per time unit (``(B, k + 1)``).
    """

    positions: NDArray[np.int64]
    slopes: NDArray[np.float64]


def resample_model(
    basis: Basis,
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    times: NDArray[np.float64],
    k: int,
    row: int | None,
    n_resamples: int,
    rng: np.random.Generator,
) -> Draws:
    """Refit the ``k``-joinpoint model to ``n_resamples`` residual-resampled data sets."""
    n = y.size
    sw = np.sqrt(weights)
    yw = sw * y
    fit = basis.fitted(yw, k, row)
    resid = yw - fit
    p = 2 * k + 2
    resid = (resid - resid.mean()) * (np.sqrt(n / (n - p)) if n > p else 1.0)
    positions = np.zeros((n_resamples, k), dtype=np.int64)
    slopes = np.empty((n_resamples, k + 1))
    lmat = slope_matrix(k)
    done = 0
    while done < n_resamples:
        b = min(_BATCH, n_resamples - done)
        ys = fit[None, :] + resid[rng.integers(0, n, size=(b, n))]
        rows = basis.best_set_rows(ys, k) if k else np.zeros(b, dtype=np.int64)
        for r in np.unique(rows):
            pick = np.flatnonzero(rows == r)
            pos = basis.grid.tuples[k - 1][r] if k else np.zeros(0, dtype=np.int64)
            design = sw[:, None] * continuous_design(times, times[pos])
            beta, *_ = np.linalg.lstsq(design, ys[pick].T, rcond=None)
            slopes[done + pick] = (lmat @ beta).T
            positions[done + pick] = pos
        done += b
    return Draws(positions, slopes)


def quantile_positions(draws: Draws, conf: float) -> list[tuple[int, int]]:
    """Lower and upper ``conf`` quantiles of each joinpoint's resampled row number."""
    lo_q, hi_q = (1.0 - conf) / 2.0, (1.0 + conf) / 2.0
    out = []
    for j in range(draws.positions.shape[1]):
        column = draws.positions[:, j]
        lo = int(np.quantile(column, lo_q, method="inverted_cdf"))
        hi = int(np.quantile(column, hi_q, method="inverted_cdf"))
        out.append((lo, hi))
    return out


def profile_intervals(
    basis: Basis, yw: NDArray[np.float64], k: int, conf: float
) -> list[tuple[int, int] | None]:
    """Lerman's profile-SSE interval of each of the ``k`` joinpoints, as row numbers.

    ``None`` for a joinpoint when ``n - p <= 0`` (no residual degrees of freedom).
    """
    if k == 0:
        return []
    n = yw.size
    df = n - (2 * k + 2)
    if df <= 0:
        return [None] * k
    sse = basis.all_sse(yw, k)[k]
    tuples = basis.grid.tuples[k - 1]
    limit = float(sse.min()) * (1.0 + float(stats.f.ppf(conf, 1, df)) / df)
    inside = sse <= limit * (1.0 + 1e-12)
    out: list[tuple[int, int] | None] = []
    for j in range(k):
        admissible = tuples[inside, j]
        out.append((int(admissible.min()), int(admissible.max())))
    return out
