"""Checks on the cells of one column, shared by the kit-log and counts validators.

Each check works on a :class:`~overdose_trends.io._kit_table.Column`'s distinct
texts and reports every row holding a flagged text through :meth:`RowChecker.flag`, so
its cost grows with the number of distinct values, not of rows:

* :func:`scan_personal` blanks cells that look like personal data
  (:mod:`overdose_trends.io._identifiers`) and reports them without value;
* :func:`parse_area` checks area codes against the GSS pattern (and a list of
  known areas);
* :func:`map_vocab` matches categorical texts to a vocabulary, through the
  synonyms of :data:`~overdose_trends.schema.VALUE_SYNONYMS`.

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
from overdose_trends.schema import VALUE_SYNONYMS


def quoted(uniques: np.ndarray) -> np.ndarray:
    """Texts as shown in messages: stripped and quoted (``'E0600003'``)."""
    return np.array([repr(str(u).strip()) for u in uniques], dtype=object)


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
        echo: bool = False,
    ) -> np.ndarray:
        """Report every row of ``col`` holding a flagged distinct text; returns the positions.

        ``bad`` and an array ``message`` are per distinct text of ``col``;
        ``echo`` puts the text in the issue's ``value``; an ``"error"``
        rejects the rows.
        """
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return np.empty(0, dtype=np.intp)
        at = np.flatnonzero(bad[col.codes])
        msg = message
        if isinstance(message, np.ndarray | pd.Series):
            msg = np.asarray(message, dtype=object)[col.codes[at]]
        value = col.stripped.to_numpy(dtype=object)[col.codes[at]] if echo else None
        self.report(at, column=col.header, rule=rule, severity=severity, message=msg, value=value)
        return at


def scan_personal(checker: RowChecker, col: Column) -> None:
    """Blank cells that look like personal data (in place) and report them without values."""
    kinds = personal_data_kinds(col.stripped)
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
    checker.flag(
        col,
        ~blank & ~valid,
        rule="invalid_area_code",
        severity="error",
        message="area_code " + quoted(col.uniques) + " is not a GSS code (a letter and 8 "
        "digits, e.g. E06000033)",
        echo=True,
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
