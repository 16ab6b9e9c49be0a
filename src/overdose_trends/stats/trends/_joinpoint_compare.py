"""Comparability tests of two joinpoint series: parallel or coincident (the computation).

Private to :mod:`overdose_trends.stats.trends.comparability`. Two series ``a``
and ``b`` observed at the same ``n`` time points, with ``log`` responses and
regression weights, are compared with ``K`` joinpoints (the larger of the
two fits' numbers):

* H1 (separate): each series has its own ``K``-joinpoint model, fitted by the
  grid search on its own; ``SSE1 = SSE_a(K) + SSE_b(K)``.
* H0 "coincident": one ``K``-joinpoint model for both series (the ``2n``
  points stacked); H0 "parallel": one ``K``-joinpoint shape for both with a
  series-specific intercept (the lines differ by a constant on the log scale,
  i.e. a constant rate ratio). ``SSE0`` is the best such fit.

The statistic is ``SSE0 / SSE1``. Its null distribution is approximated as in
Kim et al. (2004), the two-series version of the permutation test of Kim et
al. (2000): the standardised residuals (``sqrt(w) (y - fit)``) of the best H0
fit are permuted over all ``2n`` points and added back to that fit; H0 and H1
are refitted, joinpoints re-estimated, to each permuted data set, and ``p =
(g + 1) / (N + 1)`` with ``g`` of the ``N`` permuted statistics at least as
large as the data's. p-values within two Monte Carlo standard errors of
``alpha`` are refined with more permutations as in ``fit_joinpoint``.

References
----------
Kim HJ, Fay MP, Yu B, Barrett MJ, Feuer EJ (2004). Comparability of segmented
line regression models. *Biometrics* 60(4):1005-1014.

Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for joinpoint
regression with applications to cancer rates. *Statistics in Medicine*
19(3):335-351.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from overdose_trends.stats.trends._joinpoint_fit import continuous_design
from overdose_trends.stats.trends._joinpoint_grid import Basis, candidate_grid
from overdose_trends.stats.trends._joinpoint_select import draw_until, refine

__all__ = ["ComparisonResult", "compare_series"]


@dataclass(frozen=True)
class ComparisonResult:
    """The test of one pair of series."""

    k: int
    statistic: float
    p_value: float
    p_se: float
    n_permutations: int
    near_level: bool
    positions: tuple[int, ...]  # joinpoints of the best H0 fit (row numbers)
    sse0: float
    sse1: float
    log_ratio: float  # parallel: log rate ratio b / a of the H0 fit (NaN for coincident)


def compare_series(
    ya: NDArray[np.float64],
    wa: NDArray[np.float64],
    yb: NDArray[np.float64],
    wb: NDArray[np.float64],
    times: NDArray[np.float64],
    *,
    k: int,
    test: str,
    min_end: int,
    min_between: int,
    alpha: float,
    n_permutations: int,
    max_permutations: int,
    rng: np.random.Generator,
) -> ComparisonResult:
    """Test H0 (``test``: "parallel" or "coincident") against separate models."""
    n = times.size
    grid = candidate_grid(n, k, min_end, min_between)
    k = min(k, grid.max_k)
    indicator = np.concatenate([np.zeros(n), np.ones(n)])
    w = np.concatenate([wa, wb])
    pooled = Basis(
        grid, w, times, row_times=np.concatenate([times, times]),
        extra=indicator[None, :] if test == "parallel" else None,
    )  # fmt: skip
    basis_a = Basis(grid, wa, times)
    basis_b = Basis(grid, wb, times)
    yw = np.sqrt(w) * np.concatenate([ya, yb])

    def sse_pair(ys: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        sse0 = pooled.best_sse(ys, k)[k]
        sse1 = basis_a.best_sse(ys[:, :n], k)[k] + basis_b.best_sse(ys[:, n:], k)[k]
        return sse0, sse1

    sse0, rows = pooled.best_rows(yw, k)
    fit0 = pooled.fitted(yw, k, rows[k])
    resid = yw - fit0
    s0, s1 = sse_pair(yw[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = float(s0[0] / s1[0])
    threshold = observed * (1.0 - 1e-10) if np.isfinite(observed) else observed

    def hits(b: int) -> NDArray[np.bool_]:
        order = np.argsort(rng.random((b, 2 * n)), axis=1)
        p0, p1 = sse_pair(fit0[None, :] + resid[order])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(p0 / p1 >= threshold)

    exceed, done = draw_until(hits, 0, 0, n_permutations)
    p = (exceed + 1) / (done + 1)
    p, done, se, near = refine(hits, p, exceed, done, alpha, n_permutations, max_permutations)
    positions = tuple(int(j) for j in grid.tuples[k - 1][rows[k]]) if k else ()
    log_ratio = math.nan
    if test == "parallel":
        design = np.column_stack(
            [continuous_design(np.concatenate([times, times]), times[list(positions)]), indicator]
        )
        beta, *_ = np.linalg.lstsq(np.sqrt(w)[:, None] * design, yw, rcond=None)
        log_ratio = float(beta[-1])
    return ComparisonResult(
        k, observed, p, se, done, near, positions, float(s0[0]), float(s1[0]), log_ratio
    )
