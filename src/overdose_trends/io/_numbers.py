"""Strict, vectorised parsing of numbers written as text in CSV cells (private to the io room).

Used by the population and Fingertips readers. One notation, the one
:func:`overdose_trends.io._workbook.parse_number` documents for workbook cells:
an optional sign, ASCII digits with optional comma thousands separators in groups
of three, and an optional decimal point (``"1,234"``, ``"12.5"``). Anything else
(``"5.000,0"``, ``"1_000"``, ``"1e20"``, ``"NaN"``, ``"inf"``) is refused, never
guessed. Counts are whole and non-negative (a decimal part, if written, is only
zeros: ``"2284.0"``) and at most :data:`MAX_EXACT_COUNT` (a larger number is a
corrupt or sentinel cell and would wrap round in a 64-bit integer).

The parsers return the values and the first bad cell (its position and what is
wrong, quoting at most :data:`MAX_SHOWN` characters of it); the readers add the
file, row and column.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from overdose_trends.io._workbook import MAX_EXACT_COUNT, NUMBER_TEXT

#: Most characters of a cell quoted in a message (a damaged cell can hold megabytes).
MAX_SHOWN = 40
#: A count written as text: digits, optionally in comma-separated groups of three, with an
#: optional decimal part of zeros.
COUNT_TEXT = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0+)?"
#: What a number cell should hold, for messages.
NOTATION = "digits, optional ',' thousands separators and '.' decimal point"


def shown(value: object) -> str:
    """``repr`` of a cell for a message, cut to :data:`MAX_SHOWN` characters."""
    text = str(value)
    if len(text) <= MAX_SHOWN:
        return repr(value)
    return f"{text[:MAX_SHOWN]!r}... ({len(text):,} characters)"


@dataclass(frozen=True)
class BadCell:
    """The first cell of a column that breaks the notation or the rule."""

    index: int  # 0-based position in the column
    problem: str  # what is wrong, quoting at most MAX_SHOWN characters of the cell


def _stripped(cells: pd.Series) -> pd.Series:
    text = cells.astype(object).map(lambda v: v.strip() if isinstance(v, str) else "")
    return text.astype(object)


def _first(bad: np.ndarray) -> int:
    return int(np.argmax(bad))


#: Widest cell the digit fast path of :func:`parse_counts` looks at (longer ones go the slow
#: way: they are rare, and a damaged cell can be megabytes long).
_FAST_WIDTH = 16


def _plain_digits(flat: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells made only of ASCII digits (at most 15, no spaces) and their values."""
    n = len(flat)
    fits = (lengths > 0) & (lengths < _FAST_WIDTH)
    width = int(lengths[fits].max()) if fits.any() else 1
    text = np.where(fits, flat, "").astype(f"U{width}")
    code = text.view(np.uint32).reshape(n, width).astype("int64")
    used = code != 0  # a cell's characters come first, then zero padding
    plain = fits & ((code >= 48) & (code <= 57) | ~used).all(axis=1)
    values = np.zeros(n, dtype="int64")
    for k in range(width):  # Horner's rule, column by column over every cell at once
        values = np.where(used[:, k], values * 10 + (code[:, k] - 48), values)
    return plain, np.where(plain, values, 0)


def parse_counts(
    cells: pd.Series | np.ndarray, markers: Collection[str] = (), *, what: str = "count"
) -> tuple[np.ndarray, np.ndarray, BadCell | None]:
    """Whole, non-negative counts from text cells.

    Returns ``(values, missing, bad)``: int64 values (0 where missing), a mask of
    the cells holding one of ``markers`` (meaning "no value", surrounding spaces
    ignored), and the first cell that is blank, not in the notation, negative,
    fractional or larger than :data:`MAX_EXACT_COUNT` (``None`` if there is none).
    Blank cells are bad unless ``""`` is one of the ``markers``.
    """
    flat = np.asarray(cells, dtype=object).ravel()
    try:
        lengths = np.fromiter(map(len, flat), dtype="int64", count=len(flat))
    except TypeError:  # a cell that is not text (None, NaN): blank
        flat = np.array([v if isinstance(v, str) else "" for v in flat], dtype=object)
        lengths = np.fromiter(map(len, flat), dtype="int64", count=len(flat))
    plain, values = _plain_digits(flat, lengths)
    missing = np.zeros(len(flat), dtype=bool)
    rest = np.flatnonzero(~plain)
    if rest.size == 0:
        return values, missing, None
    sub = pd.Series(flat[rest], dtype=object).str.strip()
    marked = sub.isin(list(markers)).to_numpy(dtype=bool)
    missing[rest[marked]] = True
    rest, sub = rest[~marked], sub[~marked]
    form = sub.str.fullmatch(COUNT_TEXT).to_numpy(dtype=bool)
    for k in np.flatnonzero(form):
        value = float(sub.iloc[k].replace(",", ""))
        if value > MAX_EXACT_COUNT:
            return (
                values,
                missing,
                BadCell(int(rest[k]), f"{what} {shown(sub.iloc[k])} is too large to be a count"),
            )
        values[rest[k]] = int(value)
    bad = np.flatnonzero(~form)
    if bad.size == 0:
        return values, missing, None
    i = int(rest[bad[0]])
    value = sub.iloc[bad[0]]
    if value == "":
        problem = "empty cell"
    elif pd.Series([value]).str.fullmatch(NUMBER_TEXT).iloc[0]:
        number = float(value.replace(",", ""))
        kind = "negative" if number < 0 else "not a whole number"
        kind = (
            kind if number < 0 or number != int(number) else f"not written as a count ({NOTATION})"
        )
        problem = f"{what} {shown(value)} is {kind}"
    else:
        problem = f"text {shown(value)} in a number cell ({NOTATION})"
    return values, missing, BadCell(i, problem)


def parse_decimals(
    cells: pd.Series, *, what: str = "value", negative: bool = False
) -> tuple[np.ndarray, BadCell | None]:
    """Finite numbers from text cells; NaN where a cell is blank.

    Returns the float64 values and the first cell that is not in the notation
    (or negative, unless ``negative``), else ``None``.
    """
    text = _stripped(cells)
    blank = (text == "").to_numpy(dtype=bool)
    form = text.str.fullmatch(NUMBER_TEXT).to_numpy(dtype=bool)
    bad = ~(form | blank)
    values = np.full(len(text), np.nan)
    if form.any():
        values[form] = text[form].str.replace(",", "", regex=False).astype("float64").to_numpy()
    if bad.any():
        i = _first(bad)
        return values, BadCell(i, f"text {shown(text.iloc[i])} where a number belongs ({NOTATION})")
    huge = form & ~np.isfinite(values)
    if huge.any():
        i = _first(huge)
        return values, BadCell(i, f"{what} {shown(text.iloc[i])} is too large to be finite")
    below = values < 0
    if not negative and below.any():
        i = _first(below)
        return values, BadCell(i, f"{what} {shown(text.iloc[i])} is negative")
    return values, None
