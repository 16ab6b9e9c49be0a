"""Checks of the option arguments of the trend models.

Private to :mod:`overdose_trends.stats.trends`:
:func:`~overdose_trends.stats.trends.loglinear.fit_trend`,
:func:`~overdose_trends.stats.trends.interrupted.fit_interrupted` and
:func:`~overdose_trends.stats.trends.joinpoint.fit_joinpoint` check their options with
these, so that a bad option fails with one kind of message naming the function
and the argument. (The data themselves are checked by
:func:`overdose_trends.stats.trends._series.prepare`.)
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence

__all__ = ["check_choice", "check_jobs", "check_whole"]


def check_choice(func: str, name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise ValueError unless ``value`` is one of ``allowed``.

    Message: ``"{func}: unknown {name} {value!r}; use one of [...]"``.
    """
    if not any(value is a or (isinstance(value, str) and value == a) for a in allowed):
        raise ValueError(f"{func}: unknown {name} {value!r}; use one of {list(allowed)}")


def check_whole(func: str, name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as an int, or ValueError unless it is a whole number in ``[low, high]``.

    Booleans and floats (even ``3.0``) are refused: these are counts of
    permutations, harmonics, joinpoints or draws.
    """
    ok = (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and low <= int(value)
        and (high is None or int(value) <= high)
    )
    if not ok:
        bounds = f"of at least {low}" if high is None else f"from {low} to {high}"
        raise ValueError(f"{func}: {name} must be a whole number {bounds}, got {value!r}")
    assert isinstance(value, numbers.Integral)
    return int(value)


def check_jobs(func: str, n_jobs: object) -> int:
    """Number of worker processes from ``n_jobs``, counted as joblib counts them.

    A positive whole number is itself; ``-1`` means every core
    (:func:`os.cpu_count`), ``-2`` every core but one, and so on
    (``cpu_count + 1 + n_jobs``, at least 1). ValueError for 0, booleans and
    non-whole numbers.
    """
    if isinstance(n_jobs, numbers.Integral) and not isinstance(n_jobs, bool) and n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))
    if n_jobs == 0 or not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool):
        raise ValueError(
            f"{func}: n_jobs must be a positive whole number, or negative to count back from "
            f"all cores (-1 for all, -2 for all but one), got {n_jobs!r}"
        )
    return int(n_jobs)
