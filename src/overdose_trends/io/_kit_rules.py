"""Kit-level rules of a kit log: each kit is issued once and ends once, after its issue.

Events are linked to their kit by ``kit_id`` (compared after stripping
surrounding spaces; blank ids link to nothing). Among the rows that passed
the field rules (:func:`check_kits`):

* ``duplicate_issue`` (error): a kit issued again; the earliest issue (by
  date, then row) is kept;
* ``orphan_return`` (warning): a return, loss or expiry of a kit that has no
  issue in the log (issued before the log starts?); the row is kept;
* ``return_before_issue`` (error): a return, loss or expiry dated before the
  kit's issue;
* ``multiple_terminal_events`` (error): a second return, loss or expiry of one
  kit; the earliest is kept.

References
----------
Public Health Scotland, *National Naloxone Programme Scotland* monitoring
reports (kits issued, and kits returned used, unused, lost or expired).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from overdose_trends.io._kit_cells import RowChecker, quoted
from overdose_trends.io._kit_dates import day_text
from overdose_trends.io._kit_table import Column
from overdose_trends.schema import EVENT_TYPES, TERMINAL_EVENTS

assert set(TERMINAL_EVENTS) == set(EVENT_TYPES[1:])  # etype >= 1 means terminal


def kit_codes(col: Column) -> tuple[np.ndarray, np.ndarray]:
    """Integer code per row for the stripped kit id (-1 when blank) and the ids."""
    text = col.stripped.to_numpy(dtype=object)
    # Arrow texts still at hand: stripping changed no text (no need to compare them all)
    if col.stripped_arrow() is None and (text != col.uniques).any():
        recode, text = pd.factorize(text)
        codes = recode[col.codes]
        text = np.asarray(text, dtype=object)
    else:
        codes = col.codes
    codes = np.where((text == "")[codes], -1, codes).astype(np.int64)
    return codes, text


def _earliest(
    idx: np.ndarray, kit: np.ndarray, day: np.ndarray, rows: np.ndarray, n_kits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split rows ``idx`` into the earliest per kit (by date, then row) and the later ones.

    Returns ``(first, later, ref)``: positions of each kit's earliest row, of the
    other rows, and for each of those the position of its kit's earliest row.
    Only kits with more than one row are sorted.
    """
    counts = np.bincount(kit[idx], minlength=n_kits)
    multi = counts[kit[idx]] > 1
    many = idx[multi]
    order = many[np.lexsort((rows[many], day[many], kit[many]))]
    k = kit[order]
    head = np.r_[True, k[1:] != k[:-1]] if len(k) else np.empty(0, dtype=bool)
    ref = order[np.maximum.accumulate(np.where(head, np.arange(len(k)), 0))] if len(k) else k
    return np.concatenate([idx[~multi], order[head]]), order[~head], ref[~head]


def check_kits(
    checker: RowChecker,
    kit_col: Column | None,
    kit: np.ndarray,
    kit_u: np.ndarray,
    etype: np.ndarray,
    dates: np.ndarray,
) -> None:
    """Apply the kit rules (see the module notes) to rows not yet rejected.

    Parameters
    ----------
    checker : RowChecker
        Reports the issues on the checked rows and rejects rows on errors.
    kit_col : Column or None
        The kit_id column; without one no rule applies.
    kit, kit_u : numpy.ndarray
        Per row the code of its kit in ``kit_u`` (-1 without a kit id), and
        the kit ids (from :func:`kit_codes`).
    etype : numpy.ndarray of int64
        Per row the index of its event type in
        :data:`~overdose_trends.schema.EVENT_TYPES` (0 = issued).
    dates : numpy.ndarray of datetime64[D]
        Per row the event date.
    """
    if kit_col is None:
        return
    header = kit_col.header
    rows, reject = checker.rows, checker.reject
    names = np.asarray(EVENT_TYPES, dtype=object)
    day = dates.astype(np.int64)
    n_kits = len(kit_u)
    linked = (kit >= 0) & ~reject

    def event(at: np.ndarray) -> pd.Series:
        return pd.Series(names[etype[at]])

    def row_of(at: np.ndarray) -> pd.Series:
        return pd.Series(rows[at]).astype(str)

    def report(at: np.ndarray, rule: str, severity: str, text: pd.Series) -> None:
        """Issue ``"kit '<id>'" + text`` on rows ``at``; an error rejects them."""
        checker.report(
            at,
            column=header,
            rule=rule,
            severity=severity,
            message="kit " + _kit_text(kit_u, kit[at]) + text,
            value=kit_u[kit[at]],
        )

    # duplicate issues: the earliest (by date, then row) is kept
    keep, at, ref = _earliest(np.flatnonzero(linked & (etype == 0)), kit, day, rows, n_kits)
    if len(at):
        text = " is issued again; first issued on row " + row_of(ref) + " (" + day_text(dates[ref])
        report(at, "duplicate_issue", "error", text + ")")
    first_row = np.full(n_kits, -1, dtype=np.int64)
    first_day = np.zeros(n_kits, dtype=np.int64)
    first_pos = np.zeros(n_kits, dtype=np.int64)
    first_row[kit[keep]] = rows[keep]
    first_day[kit[keep]] = day[keep]
    first_pos[kit[keep]] = keep

    # returns, losses and expiries
    term = np.flatnonzero(linked & (etype >= 1))
    has_issue = first_row[kit[term]] >= 0
    orphan = term[~has_issue]
    if len(orphan):
        text = (
            " has a "
            + event(orphan)
            + " event but no issue in the log (issued before the log starts?)"
        )
        report(orphan, "orphan_return", "warning", text)
    linked_term = term[has_issue]
    early = linked_term[day[linked_term] < first_day[kit[linked_term]]]
    if len(early):
        ref = first_pos[kit[early]]
        text = (
            " "
            + event(early)
            + " on "
            + day_text(dates[early])
            + ", before its issue on "
            + day_text(dates[ref])
            + " (row "
            + row_of(ref)
            + ")"
        )
        report(early, "return_before_issue", "error", text)

    # more than one terminal event: the earliest is kept
    term = np.flatnonzero((kit >= 0) & ~reject & (etype >= 1))
    _, at, ref = _earliest(term, kit, day, rows, n_kits)
    if len(at):
        text = (
            " "
            + event(at)
            + " but it already has a "
            + event(ref)
            + " event on row "
            + row_of(ref)
            + " (each kit ends once)"
        )
        report(at, "multiple_terminal_events", "error", text)


def _kit_text(kit_u: np.ndarray, codes: np.ndarray) -> pd.Series:
    return pd.Series(quoted(kit_u[codes]), dtype=object)
