"""Dates in kit data: reading date cells strictly, and the start of supply in England.

:func:`parse_dates` reads the distinct texts of a date column without
guessing: ISO ``2016-03-14`` (optionally with a time), numeric ``14/03/2016``
(``dayfirst`` decides between day-first and month-first; ``-`` and ``.`` are
accepted as separators) and ``14 Mar 2016`` / ``14-March-2016``. A date that
does not exist (month 13, 30 February) is invalid, never rolled over; a
two-digit year is refused as ambiguous unless an explicit ``date_format``
says how to read it. Every refused text gets a reason for the report.

References
----------
ISO 8601-1:2019, *Date and time -- Representations for information
interchange* (the ``YYYY-MM-DD`` form). Human Medicines (Amendment) (No. 3)
Regulations 2015, SI 2015/1503 (non-prescription supply of naloxone by drug
services in England from 1 October 2015).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from overdose_trends.constants import ENGLAND_SUPPLY_START
from overdose_trends.io._kit_cells import shown_values
from overdose_trends.io._kit_table import strip_texts

#: Month names and abbreviations (lower case) -> month number.
MONTHS = {
    **{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    **{
        m: i + 1
        for i, m in enumerate(
            "january february march april may june july august september october november "
            "december".split()
        )
    },
    "sept": 9,
}
#: :data:`~overdose_trends.constants.ENGLAND_SUPPLY_START` as a day.
ENGLAND_START = np.datetime64(ENGLAND_SUPPLY_START, "D")
#: Earliest plausible day of a take-home naloxone event or period: the first UK schemes were
#: small pilots from 1998 (Dettmer K, Saunders B, Strang J (2001), "Take home naloxone and the
#: prevention of deaths from opiate overdose: two pilot schemes", BMJ 322:895-896), national
#: programmes followed (Wales 2009, Scotland 2011, England 2015). An earlier date is an error
#: (often a date of birth typed in the wrong column) and is never shown in a message.
EARLIEST_EVENT = np.datetime64("1998-01-01", "D")
#: Why an English event or period before :data:`ENGLAND_START` draws a warning.
BEFORE_ENGLAND_SUPPLY = "before non-prescription supply began in England (1 Oct 2015, SI 2015/1503)"

_ISO_DATE = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_NUM_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
_NAMED_DATE = r"^(\d{1,2})[ \-]+([A-Za-z]{3,9})\.?[ \-,]+(\d{4})$"
_TWO_DIGIT_YEAR = r"^(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}|\d{1,2}[ \-]+[A-Za-z]{3,9}[ \-]+\d{2})$"


def as_day(value: date | str | pd.Timestamp | None, default: date | None = None) -> np.datetime64:
    """A date as datetime64[D]; ``None`` is ``default`` (today when no default)."""
    if value is None:
        value = default if default is not None else date.today()
    return np.datetime64(pd.Timestamp(value).date(), "D")


def day_text(days: np.ndarray) -> pd.Series:
    """Days (datetime64) as ISO text, for messages."""
    return pd.Series(days.astype("datetime64[D]").astype(str), dtype=object)


def _date_parts(text: pd.Series, dayfirst: bool) -> tuple[np.ndarray, ...]:
    """Year, month, day (float, NaN where unparsed) and which pattern matched."""
    iso = text.str.extract(_ISO_DATE).astype(float)
    num = text.str.extract(_NUM_DATE).astype(float)
    named = text.str.extract(_NAMED_DATE)
    named_month = named[1].str.lower().map(MONTHS).astype(float)
    d_col, m_col = (0, 1) if dayfirst else (1, 0)
    y = iso[0].fillna(num[2]).fillna(named[2].astype(float))
    m = iso[1].fillna(num[m_col]).fillna(named_month)
    d = iso[2].fillna(num[d_col]).fillna(named[0].astype(float))
    matched = iso[0].notna() | num[0].notna() | (named[0].notna() & named_month.notna())
    return y.to_numpy(), m.to_numpy(), d.to_numpy(), matched.to_numpy(), num[m_col].to_numpy()


def _ymd_to_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] from float components; NaT where the date does not exist."""
    ok = ~(np.isnan(y) | np.isnan(m) | np.isnan(d))
    ok &= (y >= 1900) & (y <= 2100) & (m >= 1) & (m <= 12) & (d >= 1)
    yi = np.where(ok, y, 2000).astype(np.int64)
    mi = np.where(ok, m, 1).astype(np.int64)
    di = np.where(ok, d, 1).astype(np.int64)
    month = ((yi - 1970) * 12 + mi - 1).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    days_in_month = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= di <= days_in_month
    out = first + (di - 1).astype("timedelta64[D]")
    out[~ok] = np.datetime64("NaT")
    return out


def parse_dates(
    uniques: np.ndarray, *, dayfirst: bool, date_format: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates of distinct cell texts.

    Parameters
    ----------
    uniques : numpy.ndarray of str
        Cell texts.
    dayfirst : bool
        Read ``03/04/2016`` as 3 April (True) or March 4 (False).
    date_format : str or None
        An explicit :func:`~datetime.datetime.strptime` format replacing the
        built-in forms.

    Returns
    -------
    dates, blank, detail : numpy.ndarray
        datetime64[D] per text (NaT if blank or unreadable); whether the text
        is blank; and, where it could not be read, the reason (starting with
        the quoted text, or a placeholder when it does not look like a date:
        see :func:`~overdose_trends.io._kit_cells.shown_values`), else ``""``.
        Years outside 1900-2100 are unreadable.
    """
    text = strip_texts(uniques)
    blank = (text == "").to_numpy()
    detail = np.full(len(text), "", dtype=object)
    shown = shown_values(uniques, "date")[0]  # a text that is no date is not shown
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        dates = parsed.to_numpy().astype("datetime64[D]")
        bad = ~blank & np.isnat(dates)
        detail[bad] = shown[bad] + f" does not match date_format {date_format!r}"
        return dates, blank, detail
    y, m, d, matched, num_month = _date_parts(text, dayfirst)
    dates = _ymd_to_dates(y, m, d)
    two_digit = text.str.match(_TWO_DIGIT_YEAR).to_numpy(dtype=bool)
    invalid = ~blank & matched & np.isnat(dates)
    unknown = ~blank & ~matched
    order = "DD/MM/YYYY" if dayfirst else "MM/DD/YYYY"
    detail[invalid] = shown[invalid] + " is not a valid date"
    swapped = invalid & (num_month > 12)
    detail[swapped] = (
        shown[swapped]
        + f" is not a valid date when read as {order}"
        + (" (pass dayfirst=False for month-first dates)" if dayfirst else "")
    )
    detail[unknown] = (
        shown[unknown] + f" is not a date in a recognised format (YYYY-MM-DD, {order}, "
        "14 Mar 2016); pass date_format="
    )
    detail[unknown & two_digit] = (
        shown[unknown & two_digit] + " has a two-digit year, which is ambiguous; pass "
        "date_format= (e.g. '%d/%m/%y')"
    )
    return dates, blank, detail
