"""Magnitude checks on counts and populations, shared by the rate statistics.

A count of deaths or a population is a whole number far below ``2**53``: beyond it
a float64 no longer holds every whole number (IEEE 754 binary64 has a 53-bit
significand) and converting to int64 can wrap to a negative number. A value that
large is a data error (wrong units, a pasted code, a corrupted cell), so the rate
functions refuse it with a ``ValueError`` naming the row or group instead of
returning a meaningless rate or failing inside numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from overdose_trends._frames import numeric, show

__all__ = ["MAX_COUNT", "check_magnitude", "count_array", "count_column"]

#: Largest count or population accepted (exclusive): 2**53, about 9.0e15 (IEEE 754
#: binary64: every whole number below it is exact).
MAX_COUNT = 2.0**53

_LIMIT_TEXT = "the limit is 2**53, about 9.0e15"


def check_magnitude(values: NDArray[np.float64], what: str, where: Callable[[int], str]) -> None:
    """ValueError naming ``where(i)`` if a value is at or beyond :data:`MAX_COUNT` in size."""
    with np.errstate(invalid="ignore"):
        bad = np.abs(values) >= MAX_COUNT
    if bad.any():
        i = int(np.argmax(bad))
        n_bad = int(bad.sum())
        more = f" (and {n_bad - 1} more)" if n_bad > 1 else ""
        raise ValueError(
            f"{where(i)}: {what} {values[i]:.3g} is too large for a count of deaths or people "
            f"({_LIMIT_TEXT}); check the column's units{more}"
        )


def count_column(
    data: pd.DataFrame, column: Hashable, what: str | None = None
) -> NDArray[np.float64]:
    """A count or population column as float64 (NaN for missing), checked for magnitude.

    Like :func:`overdose_trends._frames.numeric` (booleans, text and infinite values
    rejected), and a number too large for int64 (e.g. a Python ``int`` in an
    object column) or any value of :data:`MAX_COUNT` or more raises ``ValueError``
    naming the row.
    """
    col = data[column]
    label = what or f"column {column!r}"
    if col.dtype == object:
        for i, v in enumerate(col.to_numpy()):
            number = isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
            if number and abs(v) >= MAX_COUNT:
                raise ValueError(
                    f"row index {show(col.index[i])}: {label} holds a number too large for a "
                    f"count of deaths or people ({_LIMIT_TEXT}); check the column's units"
                )
    values = numeric(data, column)
    check_magnitude(values, label, lambda i: f"row index {show(data.index[i])}")
    return values


def count_array(values: ArrayLike, what: str) -> NDArray[np.float64]:
    """An array argument of counts or populations as float64, checked for magnitude."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (OverflowError, TypeError, ValueError):
        raise ValueError(f"{what} must be numbers (counts or populations below 2**53)") from None
    check_magnitude(np.atleast_1d(arr), what, lambda i: f"element {i}")
    return arr
