"""Reporting periods of kit counts: months, quarters, years and financial years.

Periods are numbered on an absolute month scale (``year * 12 + month - 1``).
A period of frequency ``freq`` is :data:`FREQ_MONTHS` ``[freq][0]`` months
long; years start in January and financial years in April (the UK
government's financial year, 1 April to 31 March), quarters are calendar
quarters (which are also the financial quarters). :func:`parse_period_labels`
reads the labels services publish (``2016-03``, ``Mar 2016``, ``2016 Q1``,
``Q1 2016``, ``2016/17``, ``2016/17 Q1``, ``2016``) or a date, taken as the
first day of a period.

References
----------
Interpretation Act 1978, Schedule 1 ("financial year": the twelve months
ending with 31 March). Public Health Scotland, *National Naloxone Programme
Scotland* monitoring reports (financial years ``2016/17`` and their quarters).
"""

from __future__ import annotations

import numpy as np

from overdose_trends.io._kit_cells import shown_values
from overdose_trends.io._kit_dates import MONTHS, parse_dates
from overdose_trends.io._kit_table import Column

#: Length in months and month of year (1-12) on which each frequency's periods start
#: (None: every multiple of the length from January).
FREQ_MONTHS = {
    "month": (1, None),
    "quarter": (3, None),
    "year": (12, 1),
    "financial_year": (12, 4),
}


def period_index(months: np.ndarray, freq: str) -> np.ndarray:
    """Consecutive period number of each absolute month (year * 12 + month - 1)."""
    length, first = FREQ_MONTHS[freq]
    offset = (first - 1) if first else 0
    return (months - offset) // length


def month_bounds(
    start_month: np.ndarray, n_months: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last day (datetime64[D]) of periods of ``n_months`` from absolute months."""
    first = np.asarray(start_month, dtype=np.int64) - 1970 * 12
    start = first.astype("datetime64[M]").astype("datetime64[D]")
    end = (first + n_months).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(
        1, "D"
    )
    return start, end


def period_bounds(index: np.ndarray, freq: str) -> tuple[np.ndarray, np.ndarray]:
    """First and last day (datetime64[ns]) of period numbers from :func:`period_index`."""
    length, first = FREQ_MONTHS[freq]
    offset = (first - 1) if first else 0
    start, end = month_bounds(index * length + offset, length)
    return start.astype("datetime64[ns]"), end.astype("datetime64[ns]")


def abs_months(dates: np.ndarray) -> np.ndarray:
    """Absolute month (``year * 12 + month - 1``) of each date (datetime64)."""
    return dates.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def starts_period(dates: np.ndarray, freq: str) -> np.ndarray:
    """Is each date (datetime64[D]) the first day of a period of ``freq``?"""
    length, first_month = FREQ_MONTHS[freq]
    months = abs_months(dates)
    day1 = dates == dates.astype("datetime64[M]").astype("datetime64[D]")
    if first_month:
        return day1 & (months % 12 + 1 == first_month)
    return day1 & (months % length == 0)


#: (name, regex on lower-case text with single spaces) of the period labels, tried in order.
_PERIOD_PATTERNS = (
    ("fy_quarter", r"^(\d{4}) ?/ ?(\d{2}|\d{4}) ?q([1-4])$"),
    ("fy", r"^(\d{4}) ?/ ?(\d{2}|\d{4})$"),
    ("quarter", r"^(\d{4}) ?[-/ ]? ?q([1-4])$"),
    ("quarter_first", r"^q([1-4]) ?[-/ ]? ?(\d{4})$"),
    ("month", r"^(\d{4})-(\d{1,2})$"),
    ("named_month", r"^([a-z]{3,9})\.?[ \-]+(\d{4})$"),
    ("year", r"^(\d{4})$"),
)


def parse_period_labels(
    col: Column, *, dayfirst: bool, freq: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Start month (absolute), length in months and error text per distinct label.

    Returns ``(start_month, months, detail, used_dates)``; ``start_month`` is -1
    where the label could not be read (``detail`` says why).
    """
    text = col.stripped.str.lower().str.replace(r"\s+", " ", regex=True)
    n = len(text)
    start = np.full(n, -1, dtype=np.int64)
    months = np.zeros(n, dtype=np.int64)
    detail = np.full(n, "", dtype=object)
    shown = shown_values(col.uniques, "period")[0]
    todo = np.ones(n, dtype=bool)
    for name, pattern in _PERIOD_PATTERNS:
        parts = text.str.extract(pattern)
        hit = todo & parts[0].notna().to_numpy()
        if name == "named_month":  # "spring 2016" is not a month: leave it to the date reader
            hit &= parts[0].map(MONTHS).notna().to_numpy()
        if not hit.any():
            continue
        todo &= ~hit
        a = parts[0][hit]
        b = parts[1][hit] if parts.shape[1] > 1 else a  # a year label has one part
        s: np.ndarray
        if name in ("fy", "fy_quarter"):
            y = a.astype(int).to_numpy()
            nxt = b.astype(int).to_numpy()
            ok = np.where(nxt >= 100, nxt == y + 1, nxt == (y + 1) % 100)
            q = parts[2][hit].astype(int).to_numpy() if name == "fy_quarter" else np.ones_like(y)
            s = y * 12 + 3 + (q - 1) * 3
            ln = 3 if name == "fy_quarter" else 12
        elif name in ("quarter", "quarter_first"):
            yq = (a, b) if name == "quarter" else (b, a)
            y, q = yq[0].astype(int).to_numpy(), yq[1].astype(int).to_numpy()
            ok = np.ones(len(y), dtype=bool)
            s, ln = y * 12 + (q - 1) * 3, 3
        elif name == "month":
            y, m = a.astype(int).to_numpy(), b.astype(int).to_numpy()
            ok = (m >= 1) & (m <= 12)
            s, ln = y * 12 + m - 1, 1
        elif name == "named_month":
            y, m = b.astype(int).to_numpy(), a.map(MONTHS).astype(int).to_numpy()
            ok = np.ones(len(y), dtype=bool)
            s, ln = y * 12 + m - 1, 1
        else:  # year
            y = a.astype(int).to_numpy()
            ok = np.ones(len(y), dtype=bool)
            s, ln = y * 12, 12
        ok &= (s >= 1900 * 12) & (s < 2100 * 12)
        idx = np.flatnonzero(hit)
        start[idx[ok]] = s[ok]
        months[idx[ok]] = ln
        detail[idx[~ok]] = shown[idx[~ok]] + " is not a valid period"
    used_dates = False
    if todo.any():
        idx = np.flatnonzero(todo & ~col.blank)
        dates, _, why = parse_dates(col.uniques[idx], dayfirst=dayfirst, date_format=None)
        good = ~np.isnat(dates)
        f = freq or "month"
        length = FREQ_MONTHS[f][0]
        am = abs_months(dates[good])
        aligned = starts_period(dates[good], f)
        gi = idx[good]
        start[gi[aligned]] = am[aligned]
        months[gi[aligned]] = length
        detail[gi[~aligned]] = (
            shown[gi[~aligned]] + f" is a date but not the first day of a {f.replace('_', ' ')}"
        )
        bad = idx[~good]
        detail[bad] = np.where(
            why[~good] != "",
            shown[bad]
            + " is not a period label (2016-03, Mar 2016, 2016 Q1, 2016/17, 2016) or a date",
            "",
        )
        used_dates = bool(len(gi))
    return start, months, detail, used_dates
