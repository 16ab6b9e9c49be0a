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
from collections.abc import Sequence

__all__ = ["check_choice", "check_whole"]


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
    return int(value)  # type: ignore[arg-type]
