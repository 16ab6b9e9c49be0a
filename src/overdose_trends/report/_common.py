"""Helpers shared within the report: row selection, labels and suggestions for typos."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported when rows are selected: an up-to-date run needs none
    import pandas as pd


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'funnel'?)"`` for the choice closest to ``word``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def period_text(period: tuple[int, int]) -> str:
    """``(2013, 2015)`` -> ``"2013-15"`` (ONS style), ``(2016, 2016)`` -> ``"2016"``."""
    first, last = period
    return f"{first}-{str(last)[-2:]}" if first != last else str(first)


def display_name(name: str) -> str:
    """``ENGLAND`` -> ``England``: ONS prints country names in capitals."""
    return name.title() if name.isupper() else name


def select_rows(
    frame: pd.DataFrame,
    /,
    *,
    areas: str | Iterable[str] | None = None,
    measure: str | None = None,
    sex: str | None = None,
    periods: Iterable[tuple[int, int]] | None = None,
    length: int | None = None,
    first: int | None = None,
    last: int | None = None,
    **equal: Any,
) -> pd.DataFrame:
    """Rows of an ONS table matching every filter given (None: no filter).

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`overdose_trends.io.datasets.la_deaths` or ``national_deaths`` layout.
    areas : str or iterable of str
        Area code(s).
    measure, sex : str
        ``"poisoning"`` / ``"misuse"``; ``"persons"`` / ``"males"`` / ``"females"``.
    periods : iterable of (int, int)
        Registration periods ``(period_start, period_end)``, matched exactly.
    length : int
        ``period_end - period_start``: 0 for single years, 2 for ONS three-year periods.
    first, last : int
        Rows with ``period_start >= first`` and ``period_end <= last``.
    **equal
        Other columns and the value they must equal, e.g. ``table="asmr"`` (the
        national tables' ``table`` column).

    Returns
    -------
    pandas.DataFrame
        The matching rows, in table order (index kept).
    """
    import pandas as pd

    keep = pd.Series(True, index=frame.index)
    if areas is not None:
        keep &= frame["area_code"].isin([areas] if isinstance(areas, str) else list(areas))
    for column, value in {"measure": measure, "sex": sex, **equal}.items():
        if value is not None:
            keep &= frame[column] == value
    start, end = frame["period_start"], frame["period_end"]
    if periods is not None:
        wanted = pd.MultiIndex.from_tuples(list(periods))
        keep &= pd.MultiIndex.from_arrays([start, end]).isin(wanted)
    if length is not None:
        keep &= end - start == length
    if first is not None:
        keep &= start >= first
    if last is not None:
        keep &= end <= last
    return frame.loc[keep.to_numpy(dtype=bool)]
