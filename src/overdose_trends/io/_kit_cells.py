"""Checks on the cells of one column, shared by the kit-log and counts validators.

Each check works on a :class:`~overdose_trends.io._kit_table.Column`'s distinct
texts and reports every row holding a flagged text through :meth:`RowChecker.flag`, so
its cost grows with the number of distinct values, not of rows:

* :func:`scan_personal` blanks cells that look like personal data
  (:mod:`overdose_trends.io._identifiers`) and reports them without value;
* :func:`parse_area` checks area codes against the GSS pattern (and a list of
  known areas);
* :func:`map_vocab` matches categorical texts to a vocabulary, through the
  synonyms of :data:`~overdose_trends.schema.VALUE_SYNONYMS`;
* :func:`parse_count_cells` reads count cells (numbers, suppression markers);
* :func:`shown_values` decides which rejected values a message may show.

References
----------
Office for National Statistics, *Code History Database* / *Register of
Geographic Codes* (GSS codes: a letter and eight digits).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.constants import GSS_CODE
from overdose_trends.io._identifiers import personal_data_kinds
from overdose_trends.io._kit_report import Issues
from overdose_trends.io._kit_table import Column
from overdose_trends.schema import NOT_REPORTED_MARKERS, SUPPRESSED_MARKERS, VALUE_SYNONYMS


def quoted(uniques: np.ndarray) -> np.ndarray:
    """Texts as shown in messages: stripped and quoted (``'E0600003'``)."""
    return np.array([repr(str(u).strip()) for u in uniques], dtype=object)


_MONTHS = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april"
    r"|june|july|august|september|october|november|december)"
)
#: Shapes of the values of each kind of field (full matches, case-insensitive). A rejected
#: value is shown in messages and in the issue's ``value`` only when it has its field's shape
#: and holds nothing that looks like personal data; otherwise the message says what was wrong
#: and where, without the value (:data:`WITHHELD`).
VALUE_SHAPES = {
    # a vocabulary word or phrase: up to three words of letters and digits
    "category": r"[a-z][a-z0-9]{0,24}(?:[ _\-/][a-z0-9]{1,24}){0,2}",
    # an area code: letters and digits with at least one digit, no spaces
    "code": r"[a-z]{0,3}\d[a-z0-9]{0,11}",
    # a number, a suppression marker or a dash
    "number": r"[+\-]? ?\d{1,15}(?:[.,]\d{1,15}){0,5}(?:e[+\-]?\d{1,4})?|[<>]? ?\d{1,6}|-"
    r"|\[?[cxz]\]?|n/?a|nr|\.\.|\*|supp(?:ressed)?",
    # a date: digits with separators, or a day, a month name and a year
    "date": r"\d{1,4}(?:[/.\-]\d{1,4}){1,2}(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \-]{{1,3}}{_MONTHS}\.?[ \-,]{{1,3}}\d{{2,4}}",
    # a period label: years, quarters, month names and separators
    "period": rf"(?:\d{{1,4}}|q[1-4]|fy|{_MONTHS}|[ /\-.]){{1,8}}",
}
#: A full date: day, month and year (digits, or a month name). Never shown as a period label,
#: since a date of birth has this shape.
FULL_DATE = (
    r"\d{1,4}[/.\- ]\d{1,2}[/.\- ]\d{1,4}(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \-]{{1,3}}{_MONTHS}\.?[ \-,]{{1,3}}\d{{2,4}}"
)
#: How a value without its field's shape appears in messages.
WITHHELD = "(value not shown: it does not look like one and could be personal data)"


def shown_values(uniques: np.ndarray, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """How messages show each distinct text, and whether it is shown.

    Parameters
    ----------
    uniques : numpy.ndarray of str
        Distinct cell texts.
    shape : str
        A key of :data:`VALUE_SHAPES`.

    Returns
    -------
    shown, ok : numpy.ndarray
        Per text the quoted text (``'confiscated'``) when it has the shape and
        holds no personal data (:func:`~overdose_trends.io._identifiers.personal_data_kinds`,
        with the free-text patterns for categories), else :data:`WITHHELD`; and
        whether it was shown.
    """
    text = pd.Series([str(u).strip() for u in uniques], dtype=object)
    if not len(text):
        return np.empty(0, dtype=object), np.zeros(0, dtype=bool)
    ok = np.array(text.str.len() <= 40, dtype=bool)  # longer texts are never shown
    short = text[ok]
    fits = np.array(short.str.fullmatch(VALUE_SHAPES[shape], case=False), dtype=bool)
    if shape == "category":  # two or more capitalised words read as a person's name
        fits &= ~short.str.fullmatch(r"[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]+)+").to_numpy(dtype=bool)
    if shape == "period":  # a full date (day, month and year) could be a date of birth
        fits &= ~short.str.fullmatch(FULL_DATE, case=False).to_numpy(dtype=bool)
    ok[ok] = fits
    at = np.flatnonzero(ok)
    if len(at):
        kinds = personal_data_kinds(text.iloc[at], free_text=shape == "category")
        ok[at[pd.notna(kinds)]] = False
    shown = np.full(len(text), WITHHELD, dtype=object)
    shown[ok] = quoted(np.asarray(uniques, dtype=object)[ok])
    return shown, ok


def norm_values(values: pd.Series) -> pd.Series:
    """Lower-case; runs of spaces, ``_``, ``-`` and ``/`` become one space."""
    return values.str.lower().str.replace(r"[\s_\-/]+", " ", regex=True).str.strip()


@dataclass
class RowChecker:
    """Where a validator reports problems: the rows it checks and what it found.

    One per validated table (see
    :class:`~overdose_trends.io._kit_validation.TableCheck`); the file and sheet
    are those of ``issues``.

    Attributes
    ----------
    rows : numpy.ndarray of int64
        Spreadsheet row (header = row 1) of each checked row, for the report.
    issues : Issues
        Collector of the report's issues.
    reject : numpy.ndarray of bool
        Per checked row: rejected by an error. Updated in place by every
        ``"error"`` this checker reports.
    """

    rows: np.ndarray
    issues: Issues
    reject: np.ndarray

    def report(
        self,
        at: np.ndarray,
        *,
        column: str | None,
        rule: str,
        severity: str,
        message: Any,
        value: Any = None,
    ) -> None:
        """Report the rows at positions ``at``; an ``"error"`` rejects them.

        ``message`` (and ``value``) are one per position or one for all.
        """
        if not len(at):
            return
        self.issues.add(self.rows[at], column, rule, severity, message, value)
        if severity == "error":
            self.reject[at] = True

    def flag(
        self,
        col: Column,
        bad: np.ndarray,
        *,
        rule: str,
        severity: str,
        message: Any,
        echo: bool | np.ndarray = False,
    ) -> np.ndarray:
        """Report every row of ``col`` holding a flagged distinct text; returns the positions.

        ``bad`` and an array ``message`` are per distinct text of ``col``;
        ``echo`` (one for all, or per distinct text: see :func:`shown_values`)
        puts the text in the issue's ``value``; an ``"error"`` rejects the rows.
        """
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return np.empty(0, dtype=np.intp)
        at = np.flatnonzero(bad[col.codes])
        msg = message
        if isinstance(message, np.ndarray | pd.Series):
            msg = np.asarray(message, dtype=object)[col.codes[at]]
        value = None
        if np.any(echo):
            text = col.stripped.to_numpy(dtype=object).copy()
            if isinstance(echo, np.ndarray):
                text[~echo] = None
            value = text[col.codes[at]]
        self.report(at, column=col.header, rule=rule, severity=severity, message=msg, value=value)
        return at


def scan_personal(checker: RowChecker, col: Column, *, free_text: bool = False) -> None:
    """Blank cells that look like personal data (in place) and report them without values.

    ``free_text``: the column is a free-text field (service, kit or event id), where
    dates and words about a person count as personal data too.
    """
    kinds = personal_data_kinds(col.stripped, free_text=free_text, arrow=col.stripped_arrow())
    hit = pd.notna(kinds)
    if not hit.any():
        return
    at = np.flatnonzero(hit[col.codes])
    checker.report(
        at,
        column=col.header,
        rule="personal_data",
        severity="warning",
        message=f"column {col.header!r} held what looks like "
        + pd.Series(kinds[col.codes[at]], dtype=object)
        + "; the cell was blanked (value not shown)",
    )
    col.set_blank(hit)


def known_area_set(known_areas: Iterable[str] | None) -> frozenset[str] | None:
    """``known_areas`` upper-cased, for :func:`parse_area`."""
    return None if known_areas is None else frozenset(a.upper() for a in known_areas)


def parse_area(checker: RowChecker, col: Column, known_areas: frozenset[str] | None) -> np.ndarray:
    """Area codes per distinct value (upper-cased) and their errors; returns uniques."""
    text = col.stripped.str.upper()
    blank = col.blank
    valid = text.str.match(GSS_CODE.pattern).to_numpy(dtype=bool)
    checker.flag(col, blank, rule="blank_required", severity="error", message="area_code is blank")
    shown, ok = shown_values(col.uniques, "code")
    checker.flag(
        col,
        ~blank & ~valid,
        rule="invalid_area_code",
        severity="error",
        message="area_code " + shown + " is not a GSS code (a letter and 8 digits, e.g. E06000033)",
        echo=ok,
    )
    if known_areas is not None:
        unknown = valid & ~text.isin(known_areas).to_numpy()
        checker.flag(
            col,
            unknown,
            rule="unknown_area_code",
            severity="error",
            message="area_code " + quoted(col.uniques) + " is not in known_areas",
            echo=True,
        )
    return text.to_numpy(dtype=object)


def _vocab_lookup(
    field_name: str, vocab: Sequence[str], extra: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Normalised canonical names -> value, and normalised synonyms -> value."""

    def norm(keys: Iterable[str]) -> list[str]:
        return list(norm_values(pd.Series(list(keys), dtype=object)))

    canonical = dict(zip(norm(vocab), vocab, strict=True))
    synonyms = dict(VALUE_SYNONYMS.get(field_name, {}))
    for k, v in (extra or {}).items():
        if v not in vocab:
            raise ValueError(
                f"value_mapping[{field_name!r}] sends {k!r} to {v!r}, which is not one of {vocab}"
            )
        synonyms[k] = v  # the caller's mapping wins over the built-in synonyms
    return canonical, dict(zip(norm(synonyms), synonyms.values(), strict=True))


def map_vocab(
    col: Column,
    field_name: str,
    vocab: Sequence[str],
    extra: Mapping[str, str] | None,
    mapped: list[pd.DataFrame],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical value per distinct text; returns ``(values, blank, unknown)`` per unique.

    Texts are compared after :func:`norm_values`; ``extra`` spellings (the
    caller's ``value_mapping``) win over the built-in synonyms. Each text
    mapped through a synonym is appended to ``mapped`` with its row count.
    """
    canonical, synonyms = _vocab_lookup(field_name, vocab, extra)
    raw = col.stripped
    norm = norm_values(raw)
    exact = norm.map(canonical)
    via_synonym = exact.isna() & norm.map(synonyms).notna()
    values = exact.fillna(norm.map(synonyms)).to_numpy(dtype=object)
    blank = (raw == "").to_numpy()
    unknown = ~blank & pd.isna(values)
    syn = via_synonym.to_numpy()
    if syn.any():
        n = np.bincount(col.codes, minlength=len(raw))
        idx = np.flatnonzero(syn & (n > 0))
        mapped.append(
            pd.DataFrame(
                {
                    "column": field_name,
                    "value": raw.to_numpy(dtype=object)[idx],
                    "mapped_to": values[idx],
                    "rows": n[idx].astype(np.int64),
                }
            )
        )
    return values, blank, unknown


#: Most digits in a count (under 10**15 kits; an int64 holds 18 digits): a longer number is
#: a corrupt or sentinel cell (``99999999999999999999``, ``1e308``), rejected with its row.
MAX_COUNT_DIGITS = 15


def parse_count_cells(col: Column) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Value, status, rule and detail per distinct count cell text.

    ``status`` is ``"exact"``, ``"suppressed"`` or ``"not_reported"``; ``rule``
    is ``""`` for a usable cell, else the rule broken.
    """
    text = col.stripped
    low = text.str.lower()
    n = len(text)
    value = np.zeros(n, dtype=np.int64)
    status = np.full(n, "exact", dtype=object)
    rule = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    shown = shown_values(col.uniques, "number")[0]
    blank = col.blank
    suppressed = (low.isin(SUPPRESSED_MARKERS) | low.str.fullmatch(r"< ?\d+")).to_numpy(dtype=bool)
    not_reported = low.isin(NOT_REPORTED_MARKERS).to_numpy(dtype=bool)
    number = np.array(text.str.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+(?:\.0+)?"), dtype=bool)
    negative = text.str.fullmatch(r"-\s*\d[\d,]*(?:\.\d+)?").to_numpy(dtype=bool)
    digits = text.str.replace(",", "").str.replace(r"\.0+$", "", regex=True)
    # a count of 16 or more digits (1e20, 1e308 written out) is no count and would not fit
    # an int64 (it would wrap to -9.2e18): rejected, never converted
    huge = number & (digits.str.len() > MAX_COUNT_DIGITS).to_numpy(dtype=bool)
    number &= ~huge
    value[number] = digits[number].astype(np.int64).to_numpy()
    status[suppressed] = "suppressed"
    status[not_reported | blank] = "not_reported"
    rule[blank] = "blank_count"
    detail[blank] = "is blank: read as not reported (never as 0)"
    rule[negative] = "negative_count"
    detail[negative] = shown[negative] + " is negative"
    rule[huge] = "invalid_count"
    detail[huge] = f"is more than {MAX_COUNT_DIGITS} digits long: not a count of kits"
    other = ~(blank | suppressed | not_reported | number | negative | huge)
    rule[other] = "invalid_count"
    detail[other] = shown[other] + " is not a whole number or a suppression marker"
    dash = other & (text == "-").to_numpy()
    detail[dash] = "'-' is ambiguous (zero or not available?); write 0 or [x]"
    return value, status, rule, detail
