"""Vectorised arithmetic of the slope index of inequality (private to :mod:`.inequality`).

Every group is one row of a ``(groups, quantiles)`` array, padded with zero
population shares where a group has fewer quantiles (a zero share gives a zero
row of the design matrix and of the response, so it changes nothing). The
weighted least-squares fit of each group is a fixed 2 x k matrix applied to its
values, so the simulated fits are one matrix product per chunk of groups.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.floating]
ValueType = Literal["normal", "rate", "proportion"]

#: Most simulated values held in memory at once (groups x repetitions x quantiles).
_CHUNK_CELLS = 4_000_000


def to_scale(x: Floats, value_type: ValueType) -> Floats:
    """Values on the scale whose limits are symmetric: log for rates, logit for proportions."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if value_type == "rate":
            return np.log(x)
        if value_type == "proportion":
            return np.log(x / (1.0 - x))
    return x


def from_scale(x: Floats, value_type: ValueType) -> Floats:
    """Inverse of :func:`to_scale`."""
    if value_type == "rate":
        return np.exp(x)
    if value_type == "proportion":
        return 1.0 / (1.0 + np.exp(-x))
    return x


def ranks(share: Floats) -> Floats:
    """Midpoint of each quantile's range of cumulative population share (rows of ``share``)."""
    cum = np.cumsum(share, axis=1)
    return cum - share / 2.0


def projection(sqrt_a: Floats, b: Floats) -> Floats:
    """``(X'X)^-1 X'`` for ``X = [sqrt(a), b sqrt(a)]`` per group: shape (groups, 2, k).

    Row 0 gives the intercept, row 1 the slope, when applied to ``sqrt(a) * y``.
    """
    x0, x1 = sqrt_a, b * sqrt_a
    s00 = (x0 * x0).sum(axis=1)
    s01 = (x0 * x1).sum(axis=1)
    s11 = (x1 * x1).sum(axis=1)
    det = s00 * s11 - s01 * s01
    with np.errstate(divide="ignore", invalid="ignore"):
        inv00, inv01, inv11 = s11 / det, -s01 / det, s00 / det
    row0 = inv00[:, None] * x0 + inv01[:, None] * x1
    row1 = inv01[:, None] * x0 + inv11[:, None] * x1
    return np.stack([row0, row1], axis=1)


def fit(proj: Floats, sqrt_a: Floats, y: Floats) -> tuple[Floats, Floats]:
    """Intercept and slope of each group's weighted fit of ``y`` (groups, k)."""
    wy = sqrt_a * y
    return (proj[:, 0, :] * wy).sum(axis=1), (proj[:, 1, :] * wy).sum(axis=1)


def statistics(
    intercept: Floats, slope: Floats, value_type: ValueType, transform: bool, multiplier: float
) -> tuple[Floats, Floats, Floats]:
    """SII, RII and the fitted value at the most deprived end from fitted lines.

    Without ``transform`` the line is on the value scale: SII is the slope, RII
    ``(intercept + slope) / intercept``. With it the line is on the log (rate) or
    logit (proportion) scale: the fitted values at the two ends are back-transformed,
    SII is their difference and RII their ratio. A negative ``multiplier``
    inverts the RII (PHEindicatormethods' polarity rule).
    """
    sii: Floats
    rii: Floats
    y0: Floats
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if transform:
            y0 = from_scale(intercept, value_type)
            y1 = from_scale(intercept + slope, value_type)
            sii, rii = y1 - y0, y1 / y0
        else:
            y0 = intercept
            sii, rii = slope, (intercept + slope) / intercept
        if multiplier < 0:
            rii = 1.0 / rii
    return multiplier * sii, rii, y0


def positions(repetitions: int, conf: float) -> tuple[int, int]:
    """0-based positions of the limits in ``repetitions`` sorted draws.

    PHEindicatormethods takes the ``round(R (1 - c))``-th and ``round(R c)``-th
    smallest draws (1-based) with ``c = conf + (1 - conf) / 2``; R's ``round``
    rounds halves to even, as Python's does.
    """
    upper = conf + (1.0 - conf) / 2.0
    lo = max(int(round(repetitions * (1.0 - upper))), 1)
    hi = min(int(round(repetitions * upper)), repetitions)
    return lo - 1, hi - 1


def simulate(
    *,
    value: Floats,
    se: Floats,
    sqrt_a: Floats,
    proj: Floats,
    value_type: ValueType,
    transform: bool,
    multiplier: float,
    repetitions: int,
    confs: tuple[float, ...],
    sets: int,
    rng: np.random.Generator,
    midpoint: Floats,
) -> dict[str, Floats]:
    """Simulated limits of SII and RII for every group and level.

    Each quantile's value is drawn ``repetitions x sets`` times from a normal
    distribution with its (transformed) value as mean and its standard error as
    s.d.; each draw set is fitted as the observed one. With ``transform`` only the
    simulated slope is used: each group's line is pivoted about its fitted
    (transformed) value at the middle of the ranking, ``midpoint``, and back-
    transformed, as PHEindicatormethods does (so the limits are those of the slope,
    mapped to the SII and RII scale). Returns arrays of shape
    ``(sets, groups, levels)`` named ``sii_lcl``, ``sii_ucl``, ``rii_lcl``,
    ``rii_ucl``; set 0 gives the limits, the others the reliability check.
    """
    n_groups, k = value.shape
    pos = [positions(repetitions, c) for c in confs]
    kth = sorted({p for pair in pos for p in pair})
    out = {
        name: np.full((sets, n_groups, len(confs)), np.nan)
        for name in ("sii_lcl", "sii_ucl", "rii_lcl", "rii_ucl")
    }
    per_group = max(repetitions * sets * k, 1)
    step = max(1, _CHUNK_CELLS // per_group)
    for start in range(0, n_groups, step):
        g = slice(start, min(start + step, n_groups))
        ng = g.stop - g.start
        # single precision: the limits are order statistics of thousands of draws, far
        # coarser than float32 rounding, and the draws are half the memory and time
        draws = rng.standard_normal((ng, sets * repetitions, k), dtype=np.float32)
        draws *= se[g][:, None, :].astype(np.float32)
        draws += value[g][:, None, :].astype(np.float32)
        if not transform:
            draws = from_scale(draws, value_type)
        weights = (proj[g] * sqrt_a[g][:, None, :]).astype(np.float32)  # (ng, 2, k)
        # plain C loops (no BLAS): the same sums in the same order on every machine
        icpt = np.einsum("grk,gk->gr", draws, weights[:, 0, :])
        slope = np.einsum("grk,gk->gr", draws, weights[:, 1, :])
        del draws
        if transform:
            icpt = midpoint[g][:, None] - slope / 2.0
        sii, rii, _ = statistics(icpt, slope, value_type, transform, multiplier)
        for name, sims in (("sii", sii), ("rii", rii)):
            sims = sims.reshape(ng, sets, repetitions)
            part = np.partition(sims, kth, axis=2)
            for j, (lo, hi) in enumerate(pos):
                out[f"{name}_lcl"][:, g, j] = part[:, :, lo].T
                out[f"{name}_ucl"][:, g, j] = part[:, :, hi].T
    return out
