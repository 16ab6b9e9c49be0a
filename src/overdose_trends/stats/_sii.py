"""Vectorised arithmetic of the slope index of inequality (private to :mod:`.inequality`).

Every group is one row of a ``(groups, quantiles)`` array, padded with zero
population shares where a group has fewer quantiles (a zero share gives a zero
weight, so it changes nothing). The weighted least-squares fit of each group is
a fixed pair of weight vectors applied to its values (intercept and slope are
weighted sums), so the simulated fits are a few multiply-adds per draw.

The weights are built from the population-weighted *centred* ranks, which keeps
the fit accurate when one quantile holds almost all the population (the
textbook ``s00 s11 - s01**2`` determinant cancels to zero there).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.floating]
ValueType = Literal["normal", "rate", "proportion"]

#: Most simulated values held in memory at once (groups x repetitions x quantiles);
#: 2**20 single-precision draws (4 MB) stay in a processor's cache between passes.
_CHUNK_CELLS = 1 << 20

#: Smallest population-weighted variance of the relative ranks that is fitted. Equal
#: shares give 1/12 - 1/(12 k**2) (0.08 for quintiles); a variance below 1e-10 means
#: all but about 1e-9 of the population sits in one quantile, where the slope rests on
#: rounding error.
MIN_RANK_VARIANCE = 1e-10


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


def _from_scale_inplace(x: NDArray[np.float32], value_type: ValueType) -> None:
    """:func:`from_scale` of simulated draws, overwriting them (no temporary arrays)."""
    if value_type == "rate":
        np.exp(x, out=x)
    elif value_type == "proportion":
        np.negative(x, out=x)
        with np.errstate(over="ignore"):  # exp(-x) = inf gives 1 / (1 + inf) = 0, exactly
            np.exp(x, out=x)
        x += 1.0
        np.reciprocal(x, out=x)


def ranks(share: Floats) -> Floats:
    """Midpoint of each quantile's range of cumulative population share (rows of ``share``)."""
    cum = np.cumsum(share, axis=1)
    return cum - share / 2.0


def weights(share: Floats, b: Floats) -> tuple[Floats, Floats]:
    """Weights of each group's fitted intercept and slope, and the variance of its ranks.

    For population shares ``a`` and ranks ``b`` (rows; ``sum(a) = 1``), with the
    mean rank ``m = sum(a b)`` and the rank variance ``V = sum(a (b - m)**2)``,
    the weighted least-squares slope is ``sum(a (b - m) y) / V`` and the intercept
    ``sum(a y) - m slope``: the same fit as ``sqrt(a) y = c sqrt(a) + d b sqrt(a)``
    by least squares (PHEindicatormethods' model). Returns ``(groups, 2, k)``
    weights (row 0 intercept, row 1 slope; apply to ``y`` as weighted sums) and
    ``V`` per group. Groups with ``V`` below :data:`MIN_RANK_VARIANCE` get
    weights of NaN (the caller refuses them).
    """
    total = share.sum(axis=1, keepdims=True)
    a = share / total
    centre = (a * b).sum(axis=1, keepdims=True)
    dev = np.where(a > 0, b - centre, 0.0)
    variance = (a * dev * dev).sum(axis=1)
    usable = variance >= MIN_RANK_VARIANCE
    safe = np.where(usable, variance, 1.0)
    w1 = a * dev / safe[:, None]
    w0 = a - centre * w1
    out = np.stack([w0, w1], axis=1)
    out[~usable] = np.nan
    return out, variance


def fit(w: Floats, y: Floats) -> tuple[Floats, Floats]:
    """Intercept and slope of each group's weighted fit of ``y`` (groups, k)."""
    return (w[:, 0, :] * y).sum(axis=1), (w[:, 1, :] * y).sum(axis=1)


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


def _weighted_sum(y: NDArray[np.floating], w: Floats) -> NDArray[np.floating]:
    """``sum_j w[g, j] y[g, j, :]`` in the precision of ``y``, quantile by quantile.

    Plain element-wise products and sums in a fixed order (no BLAS): the same
    result on every machine.
    """
    wc = w.astype(y.dtype)
    out = np.multiply(y[:, 0, :], wc[:, 0, None])
    part = np.empty_like(out)
    for j in range(1, y.shape[1]):
        np.multiply(y[:, j, :], wc[:, j, None], out=part)
        out += part
    return out


def _precision(value: Floats, se: Floats, w: Floats, linear: bool) -> type[np.floating]:
    """float32 for the simulated values unless a draw could overflow it (then float64).

    Draws stay within 12 s.d. of the mean (a normal draw beyond that has
    probability below 1e-32); ``exp`` overflows float32 beyond 88.7, and the
    weighted sums must stay below its largest number, 3.4e38.
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        reach = np.abs(value) + 12.0 * se
        scale = float(np.log(np.abs(w).max() + 1.0)) if w.size else 0.0
        size = reach + scale if not linear else np.log(reach + 1.0) + scale
    return np.float32 if bool(np.all(size < (69.0 if linear else 80.0))) else np.float64


def _fitted_draws(
    rng: np.random.Generator,
    value: Floats,
    se: Floats,
    w: Floats,
    n_draws: int,
    dtype: type[np.floating],
    value_type: ValueType,
    linear: bool,
    slopes_only: bool,
) -> tuple[NDArray[np.floating] | None, NDArray[np.floating]]:
    """Simulated intercepts (None with ``slopes_only``) and slopes of a chunk of groups.

    Shapes ``(groups, n_draws)``. When linear, they are deviations from the
    observed fit. One group whose draws exceed the chunk size is drawn in
    blocks of draws: the generator's stream runs draw by draw within a group,
    so the numbers are the same as in one piece.
    """
    ng, k = value.shape
    icpts = None if slopes_only else np.empty((ng, n_draws), dtype=dtype)
    slopes = np.empty((ng, n_draws), dtype=dtype)
    # a rate is exp(v + s z) = exp(v) exp(s z): exp(v), the rate itself, joins the weights
    fold = value_type == "rate" and not linear
    if fold:
        w = w * np.exp(value)[:, None, :]
    block = n_draws if ng > 1 else max(1, _CHUNK_CELLS // max(k, 1))
    for b0 in range(0, n_draws, block):
        b = slice(b0, min(b0 + block, n_draws))
        z = rng.standard_normal((ng, b.stop - b.start, k), dtype=np.float32)
        # quantile by quantile (contiguous rows of draws): every later pass runs along draws
        y = np.empty((ng, k, b.stop - b.start), dtype=dtype)
        np.multiply(z.transpose(0, 2, 1), se.astype(dtype)[:, :, None], out=y)
        del z
        if not linear:
            if not fold:
                y += value.astype(dtype)[:, :, None]
            _from_scale_inplace(y, value_type)
        slopes[:, b] = _weighted_sum(y, w[:, 1, :])
        if icpts is not None:
            icpts[:, b] = _weighted_sum(y, w[:, 0, :])
    return icpts, slopes


def simulate(
    *,
    value: Floats,
    se: Floats,
    w: Floats,
    intercept: Floats,
    slope: Floats,
    value_type: ValueType,
    transform: bool,
    multiplier: float,
    repetitions: int,
    confs: tuple[float, ...],
    sets: int,
    rng: np.random.Generator,
    rii: bool = True,
) -> dict[str, Floats]:
    """Simulated limits of SII and RII (NaN with ``rii=False``) for every group and level.

    Each quantile's value is drawn ``repetitions x sets`` times from a normal
    distribution with its (transformed) value as mean and its standard error as
    s.d.; each draw set is fitted as the observed one. With ``transform`` only the
    simulated slope is used: each group's line is pivoted about its fitted
    (transformed) value at the middle of the ranking and back-transformed, as
    PHEindicatormethods does (so the limits are those of the slope, mapped to the
    SII and RII scale). Returns arrays of shape ``(sets, groups, levels)`` named
    ``sii_lcl``, ``sii_ucl``, ``rii_lcl``, ``rii_ucl``; set 0 gives the limits,
    the others the reliability check.

    How it is computed (the numbers are those described above): per chunk of
    groups the standard normal draws are one single-precision
    ``(groups, sets x repetitions, quantiles)`` array, taken from the generator
    in that order, and are then laid out quantile by quantile so that every pass
    runs along contiguous draws. Where the fit is linear in the draws (values
    of type "normal", and every ``transform`` fit) the simulated intercept and
    slope are the observed ones (double precision) plus the fit of the scaled
    draws, so no precision is lost to the level of the values. The SII (and,
    with ``transform``, the RII) is a monotone function of the simulated slope,
    so the slopes are sorted once and the function is applied to the chosen
    order statistics only.
    """
    n_groups, k = value.shape
    ends = np.array([p for c in confs for p in positions(repetitions, c)])  # lo, hi per level
    # the statistics fall as the slope rises when multiplier < 0: take the mirrored draws
    at = ends if multiplier > 0 else repetitions - 1 - ends
    out = {
        name: np.full((sets, n_groups, len(confs)), np.nan)
        for name in ("sii_lcl", "sii_ucl", "rii_lcl", "rii_ucl")
    }
    linear = transform or value_type == "normal"
    n_draws = sets * repetitions
    step = max(1, _CHUNK_CELLS // max(n_draws * k, 1))
    for start in range(0, n_groups, step):
        g = slice(start, min(start + step, n_groups))
        ng = g.stop - g.start
        dtype = _precision(value[g], se[g], w[g], linear)
        icpts, slopes = _fitted_draws(
            rng, value[g], se[g], w[g], n_draws, dtype, value_type, linear, transform or not rii
        )
        base = slope[g] if linear else np.zeros(ng)
        if icpts is not None:  # without transform the RII is a ratio of two fitted values
            ratio = _ratios(icpts, slopes, intercept[g], slope[g], linear, multiplier)
            ratio = ratio.reshape(ng, sets, repetitions)
            ratio.sort(axis=2)
            _store(out, "rii", g, ratio[:, :, ends].astype(np.float64))
        slopes = slopes.reshape(ng, sets, repetitions)
        slopes.sort(axis=2)
        chosen = base[:, None, None] + slopes[:, :, at].astype(np.float64)
        mid = (intercept + slope / 2.0)[g, None, None]
        sii, ratios, _ = statistics(mid - chosen / 2.0, chosen, value_type, transform, multiplier)
        _store(out, "sii", g, sii)
        if transform and rii:
            _store(out, "rii", g, ratios)
    return out


def _ratios(
    icpts: NDArray[np.floating],
    slopes: NDArray[np.floating],
    intercept: Floats,
    slope: Floats,
    linear: bool,
    multiplier: float,
) -> NDArray[np.floating]:
    """Simulated RIIs ``(intercept + slope) / intercept`` (inverted if ``multiplier < 0``).

    Overwrites ``icpts``; with ``linear`` the draws are deviations from the
    observed ``intercept`` and ``slope`` (per group), which are added first.
    """
    if linear:
        top = icpts + slopes
        top += (intercept + slope).astype(icpts.dtype)[:, None]  # fitted end, exactly
        icpts += intercept.astype(icpts.dtype)[:, None]
    else:
        top = icpts + slopes
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if multiplier < 0:  # PHEindicatormethods' polarity rule inverts the RII
            return np.divide(icpts, top, out=top)
        return np.divide(top, icpts, out=top)


def _store(out: dict[str, Floats], name: str, g: slice, picked: Floats) -> None:
    """Put the chosen order statistics ``(groups, sets, [lo, hi] per level)`` into ``out``."""
    out[f"{name}_lcl"][:, g, :] = picked[:, :, 0::2].transpose(1, 0, 2)
    out[f"{name}_ucl"][:, g, :] = picked[:, :, 1::2].transpose(1, 0, 2)
