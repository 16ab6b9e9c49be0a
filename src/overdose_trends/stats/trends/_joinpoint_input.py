"""The responses and weights of a joinpoint fit, from its checked series.

Private to :mod:`overdose_trends.stats.trends.joinpoint`: ``log`` of the rates or
counts, WLS weights (counts for Poisson variance, ``1 / se(log rate)^2`` for
rates with standard errors, ones for constant variance), zero counts refused or
replaced by 0.5 as NCI's Joinpoint does, and the note saying so.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from numpy.typing import NDArray

from overdose_trends._frames import show
from overdose_trends.constants import NCI_ZERO_COUNT
from overdose_trends.stats.trends._series import SeriesSet, fail_series

__all__ = ["responses", "zero_note"]


def responses(
    ss: SeriesSet,
    *,
    count: Hashable | None,
    per: float,
    variance: str,
    zero_counts: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], str]:
    """Observed values, ``log`` responses, weights and the variance label."""
    if ss.count is not None:
        c = ss.count
        observed = c * per / ss.population if ss.population is not None else c.copy()
        zero = c == 0
        if zero.any() and zero_counts == "error":
            gid = ss.groups.gid
            bad = np.zeros(ss.n_series, dtype=bool)
            bad[np.unique(gid[zero])] = True
            data, time = ss.groups.data, ss.time_column

            def has_zero(g: int) -> str:
                i = int(np.flatnonzero(zero & (gid == g))[0])
                return (
                    f"column {count!r} is 0 at {time}={show(data[time].iloc[i])} (row index "
                    f"{show(data.index[i])}); a log-linear model cannot take log(0): pass "
                    "zero_counts='add_half' to add 0.5 to zero counts as NCI's Joinpoint does, "
                    "or aggregate adjacent years"
                )

            fail_series(ss.groups, bad, has_zero, "fit_joinpoint")
        c_adj = np.where(zero, NCI_ZERO_COUNT, c)
        value = c_adj * per / ss.population if ss.population is not None else c_adj
        weights = c_adj.copy() if variance == "auto" else np.ones_like(c_adj)
        label = "poisson" if variance == "auto" else "constant"
    else:
        assert ss.rate is not None and ss.se_log is not None
        observed = ss.rate.copy()
        value = ss.rate
        weights = 1.0 / ss.se_log**2 if variance == "auto" else np.ones_like(value)
        label = "se" if variance == "auto" else "constant"
    return observed, np.log(value), weights, label


def zero_note(ss: SeriesSet, zero_counts: str) -> tuple[str, ...]:
    """A note when zero counts were replaced by 0.5 in the fit."""
    if ss.count is None or zero_counts != "add_half" or not (ss.count == 0).any():
        return ()
    n = int((ss.count == 0).sum())
    return (
        f"{n} zero count(s) replaced by {NCI_ZERO_COUNT:g} in the fit (zero_counts='add_half'); "
        "observed values keep the 0",
    )
