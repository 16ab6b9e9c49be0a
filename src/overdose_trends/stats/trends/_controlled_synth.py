"""Synthetic control: donor weights from the pre-period, placebo-in-space inference.

Private to :mod:`overdose_trends.stats.trends.controlled`. The synthetic
treated area is a weighted average of the comparison ("donor") areas' crude
rates, with weights ``w >= 0``, ``sum(w) = 1``, chosen to minimise the squared
difference from the treated area's rates over the years before the programme
start (every pre-period year is a matching variable; no covariates). Its rate
in the later years, times the treated area's population, is the counterfactual.

Inference is by placebos in space: each donor in turn is treated as if it had
started the programme, with the other donors as its pool, and the statistic
``post-period RMSPE / pre-period RMSPE`` (root mean squared difference between
an area's rates and its synthetic control's) of the treated area is ranked
among the placebos'. The p-value is ``(1 + number of placebos at least as
extreme) / (1 + number of placebos)``. A confidence set for a constant
multiplicative effect ``r`` (treated post-period rates = ``r`` x synthetic) is
the set of ``r`` not rejected when the treated post-period rates are divided by
``r`` (test inversion); the statistic is a quadratic in ``1/r``, so the set is
found in closed form. With ``J`` donors no p-value is below ``1 / (J + 1)``:
a bounded 95% interval needs at least 19 donors.

References
----------
Abadie A, Diamond A, Hainmueller J (2010). Synthetic control methods for
comparative case studies: estimating the effect of California's tobacco control
program. *Journal of the American Statistical Association* 105(490):493-505.

Abadie A (2021). Using synthetic controls: feasibility, data requirements, and
methodological aspects. *Journal of Economic Literature* 59(2):391-425
(post/pre RMSPE ratio as the placebo statistic).

Firpo S, Possebom V (2018). Synthetic control method: inference, sensitivity
analysis and confidence sets. *Journal of Causal Inference* 6(2):20160026
(confidence sets by inverting the placebo test).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from overdose_trends.stats.trends._controlled_panel import Panel

__all__ = ["SynthResult", "fit_synthetic", "ratio_interval", "simplex_weights"]


#: Weight of the row ``sum(w) = 1`` appended to the scaled least-squares problem: large
#: enough that the sum is one to about 1e-10 before the exact polish.
_SUM_WEIGHT = 1e5


def _polish(A: NDArray[np.float64], b: NDArray[np.float64], w: NDArray[np.float64]) -> Any:
    """Exact equality-constrained least squares on the support of ``w`` (KKT system), or None."""
    support = np.flatnonzero(w > 0)
    k = support.size
    As = A[:, support]
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = As.T @ As
    kkt[:k, k] = kkt[k, :k] = 1.0
    rhs = np.r_[As.T @ b, 1.0]
    sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]
    if not np.all(sol >= 0):
        return None
    out = np.zeros_like(w)
    out[support] = sol
    return out


def simplex_weights(X: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weights ``w >= 0``, ``sum(w) = 1`` minimising ``||X w - y||^2`` (``X``: years x donors).

    Non-negative least squares (Lawson-Hanson, :func:`scipy.optimize.nnls`) of
    the problem with the row ``sum(w) = 1`` appended with a large weight, then
    the exact solution of the equality-constrained problem on the donors it
    keeps (the Karush-Kuhn-Tucker system) when that is non-negative; the
    weights are rescaled to sum to exactly one.
    """
    n = X.shape[1]
    if n == 1:
        return np.ones(1)
    scale = float(np.max(np.abs(X))) or 1.0
    A, b = X / scale, y / scale
    big = np.vstack([A, np.full((1, n), _SUM_WEIGHT)])
    w = optimize.nnls(big, np.r_[b, _SUM_WEIGHT], maxiter=50 * n)[0]
    polished = _polish(A, b, w) if w.sum() > 0 else None
    if polished is not None:
        loss = np.sum((A @ w / w.sum() - b) ** 2)
        if np.sum((A @ polished - b) ** 2) <= loss + 1e-15:
            w = polished
    w = np.clip(w, 0.0, None)
    return np.asarray(w / w.sum(), dtype=np.float64)


def _rmspe(gap: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(gap**2)))


@dataclass(frozen=True)
class SynthResult:
    """Weights, the synthetic rates, the placebo statistics and the effect's limits."""

    weights: NDArray[np.float64]  # one per donor (panel areas 1..)
    synthetic_rate: NDArray[np.float64]  # per person, every year
    pre_rmspe: float  # per person
    post_rmspe: float
    placebo_pre: NDArray[np.float64]  # one per donor
    placebo_post: NDArray[np.float64]
    p_value: float
    ratio_limits: tuple[float, float]  # constant-effect rate ratio, by test inversion


def _stat(pre: float, post: float) -> float:
    return post / pre if pre > 0 else (np.inf if post > 0 else 0.0)


def ratio_interval(
    treated_post: NDArray[np.float64],
    synthetic_post: NDArray[np.float64],
    pre_rmspe: float,
    placebo_stats: NDArray[np.float64],
    conf: float,
) -> tuple[float, float]:
    """Rate ratios ``r`` whose placebo p-value exceeds ``1 - conf`` (lcl, ucl).

    ``(0, inf)`` when there are too few placebos for any rejection; NaNs when no
    ``r`` is accepted.
    """
    alpha = 1.0 - conf
    n = placebo_stats.size
    # p(r) = (1 + #{placebo >= s(r)}) / (n + 1) > alpha  <=>  #{placebo >= s(r)} >= m
    m = int(np.floor(alpha * (n + 1) - 1.0 + 1e-9)) + 1
    if m <= 0:
        return 0.0, np.inf
    threshold = np.sort(placebo_stats)[::-1][m - 1]
    if not np.isfinite(threshold):
        return 0.0, np.inf
    c2 = (threshold * pre_rmspe) ** 2
    # mean((u y - s)^2) <= c2 with u = 1 / r: A u^2 - 2 B u + C <= 0
    a_ = float(np.mean(treated_post**2))
    b_ = float(np.mean(treated_post * synthetic_post))
    c_ = float(np.mean(synthetic_post**2)) - c2
    disc = b_ * b_ - a_ * c_
    if a_ <= 0 or disc < 0:
        return np.nan, np.nan
    u_lo, u_hi = (b_ - np.sqrt(disc)) / a_, (b_ + np.sqrt(disc)) / a_
    if u_hi <= 0:
        return np.nan, np.nan
    return 1.0 / u_hi, (1.0 / u_lo if u_lo > 0 else np.inf)


def fit_synthetic(panel: Panel, conf: float) -> SynthResult:
    """Synthetic control of the treated area (row 0), its placebos and the inversion limits."""
    rates = panel.rates
    pre, post = ~panel.post, panel.post
    donors = rates[1:]
    w = simplex_weights(donors[:, pre].T, rates[0, pre])
    synth = w @ donors
    gap = rates[0] - synth
    pre_rmspe, post_rmspe = _rmspe(gap[pre]), _rmspe(gap[post])
    n = donors.shape[0]
    placebo_pre, placebo_post = np.empty(n), np.empty(n)
    for j in range(n):
        others = np.delete(donors, j, axis=0)
        wj = simplex_weights(others[:, pre].T, donors[j, pre])
        gap_j = donors[j] - wj @ others
        placebo_pre[j], placebo_post[j] = _rmspe(gap_j[pre]), _rmspe(gap_j[post])
    stats = np.array([_stat(a, b) for a, b in zip(placebo_pre, placebo_post, strict=True)])
    own = _stat(pre_rmspe, post_rmspe)
    p_value = (1.0 + float(np.sum(stats >= own * (1 - 1e-12)))) / (n + 1.0)
    limits = ratio_interval(rates[0, post], synth[post], pre_rmspe, stats, conf)
    return SynthResult(w, synth, pre_rmspe, post_rmspe, placebo_pre, placebo_post, p_value, limits)
