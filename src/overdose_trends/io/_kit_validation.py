"""The steps shared by every validation of a kit table, and its row accounting.

Both :func:`~overdose_trends.io.kit_log.read_kit_log` and
:func:`~overdose_trends.io.kit_counts.read_kit_counts` start the same way on a read
:class:`~overdose_trends.io._kit_table.Table` (:class:`TableCheck`):

1. personal-identifier columns are dropped (their non-empty cells counted)
   and columns that are not fields are listed (``identifier_column`` and
   ``unknown_column`` warnings);
2. rows that repeat an earlier row exactly, in every column (identifiers
   included), are rejected as ``duplicate_row`` (the first copy is kept), or
   only warned about when the table has no id to tell two events apart
   (``duplicates_are_errors=False``);
3. cells of the kept field columns that look like personal data are blanked
   (``personal_data`` warnings); in free-text fields (service, kit and event
   ids) dates and words about a person count too.

The validator then applies its own rules through :attr:`TableCheck.checker`
(a :class:`~overdose_trends.io._kit_cells.RowChecker`), which sets :attr:`TableCheck.reject`,
and :meth:`TableCheck.report` closes the accounting: every input row is
either loaded or rejected (as an exact duplicate or by an error), so
``n_loaded + n_rejected == n_input``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from overdose_trends.io._kit_cells import RowChecker, scan_personal
from overdose_trends.io._kit_report import MAPPED_COLUMNS, Issues, ValidationReport
from overdose_trends.io._kit_table import Column, Table

#: Note added when CSV cells hold line breaks (see :mod:`overdose_trends.io._kit_table`).
LINE_BREAK_NOTE = (
    "Some cells hold line breaks, so the CSV file has more lines than rows: rows are "
    "numbered by CSV record (header = row 1), as a spreadsheet shows them, not by line "
    "of the text file."
)


class TableCheck:
    """The first steps of validating a table, and the report at the end.

    Parameters
    ----------
    table : Table
        The read table.
    unknown_column : str
        Message for a column that is not a field (after ``"column 'X': "``).
    free_text : frozenset of str
        Free-text fields, scanned for dates and words about a person as well.
    duplicates_are_errors : bool, default True
        Reject exact copies of a row (else warn and keep them).

    Attributes
    ----------
    issues : Issues
        Collector for the validator's issues.
    notes : list of str
        Notes for the report (blank rows skipped, line breaks in CSV cells, ...).
    mapped : list of pandas.DataFrame
        Values mapped to a vocabulary (see :func:`~overdose_trends.io._kit_cells.map_vocab`).
    fields : dict of str to Column
        Field columns, restricted to the rows that are not exact duplicates.
    rows : numpy.ndarray of int64
        Spreadsheet row of each of those rows.
    reject : numpy.ndarray of bool
        Per row of ``rows``: rejected by an error (set by the validator).
    checker : RowChecker
        Reports issues on ``rows`` and sets ``reject`` (the validator's rules use it).
    """

    def __init__(
        self,
        table: Table,
        unknown_column: str,
        *,
        free_text: frozenset[str] = frozenset(),
        duplicates_are_errors: bool = True,
    ) -> None:
        self.table = table
        self.issues = Issues(table.name, table.sheet)
        self.notes: list[str] = []
        self.mapped: list[pd.DataFrame] = []
        if table.n_blank:
            self.notes.append(f"{table.n_blank:,} blank rows were skipped (not counted as input).")
        if table.line_breaks:
            self.notes.append(LINE_BREAK_NOTE)
        self.dropped: dict[str, int] = {}
        self.unknown: list[str] = []
        fields: dict[str, Column] = {}
        for (kind, f), col in zip(table.plan, table.columns, strict=True):
            if kind == "identifier":
                n = self.dropped[col.header] = int((~col.blank_rows()).sum())
                self.issues.add_column(
                    col.header,
                    "identifier_column",
                    f"personal identifiers dropped on load ({n:,} non-empty "
                    f"cell{'' if n == 1 else 's'})",
                )
            elif kind == "unknown":
                self.unknown.append(col.header)
                self.issues.add_column(col.header, "unknown_column", unknown_column)
            elif kind == "field" and f is not None:
                fields[f] = col
        self.duplicate = exact_duplicates(table, self.issues, error=duplicates_are_errors)
        if not duplicates_are_errors:
            self.duplicate = np.zeros(len(table.rows), dtype=bool)  # warned about, kept
        keep = np.flatnonzero(~self.duplicate)
        self.rows = table.rows[keep]
        if len(keep) < len(table.rows):
            fields = {f: c.take(keep) for f, c in fields.items()}
        self.fields = fields
        self.reject = np.zeros(len(self.rows), dtype=bool)
        self.checker = RowChecker(self.rows, self.issues, self.reject)
        for f, col in fields.items():
            scan_personal(self.checker, col, free_text=f in free_text)

    def report(self, n_loaded: int, kind: str) -> ValidationReport:
        """The validation report; ``n_loaded`` is the number of rows in the output."""
        mapped = (
            pd.concat(self.mapped, ignore_index=True)
            if self.mapped
            else pd.DataFrame(columns=list(MAPPED_COLUMNS))
        )
        return ValidationReport(
            file=self.table.name,
            sheet=self.table.sheet,
            n_input=len(self.table.rows),
            n_loaded=n_loaded,
            n_rejected=int(self.duplicate.sum() + self.reject.sum()),
            issues=self.issues.frame(),
            dropped_columns=self.dropped,
            unknown_columns=tuple(self.unknown),
            mapped_values=mapped,
            notes=tuple(self.notes),
            kind=kind,
        )


def row_keys(cols: Sequence[Column], n: int) -> np.ndarray:
    """One integer per distinct combination of cell texts across ``cols``.

    The columns' codes are combined as the digits of one number; when the next
    column would overflow an int64 the combined key is first factorised to the
    combinations that occur (at most ``n``).
    """
    key = np.zeros(n, dtype=np.int64)
    capacity = 1
    for c in cols:
        card = len(c.uniques) + 1
        if capacity * card >= 2**62:
            key, seen = pd.factorize(key)
            key, capacity = key.astype(np.int64, copy=False), len(seen)
        key = key * card + c.codes
        capacity *= card
    return key


def _repeated(col: Column) -> np.ndarray:
    """Per row: does its cell text occur in another row too?"""
    return np.bincount(col.codes, minlength=len(col.uniques))[col.codes] > 1


def exact_duplicates(table: Table, issues: Issues, *, error: bool = True) -> np.ndarray:
    """Mask of rows that repeat an earlier row exactly (all columns); reports them.

    ``error=False`` reports them as warnings (a table without an id column cannot
    tell two identical events apart, such as two kits issued on one day).
    """
    n = len(table.rows)
    # only rows whose text in the most varied column occurs more than once can repeat a row
    cols = table.columns
    some = (
        np.flatnonzero(_repeated(max(cols, key=lambda c: len(c.uniques)))) if cols else np.arange(n)
    )
    key = row_keys([c.take(some) for c in cols], len(some))
    dup = np.zeros(n, dtype=bool)
    dup[some] = pd.Index(key).duplicated(keep="first")
    if dup.any():
        mine = np.flatnonzero(pd.Index(key).duplicated(keep=False))
        involved = some[mine]
        first_pos = pd.Series(involved).groupby(key[mine], sort=False).transform("min").to_numpy()
        later = dup[involved]
        at = involved[later]
        firsts = table.rows[first_pos[later]]
        if error:
            text, severity = " (that row is kept)", "error"
        else:
            text, severity = (
                "; kept, as without an event_id or kit_id column two identical events (two "
                "kits issued on one day) cannot be told from a copied row",
                "warning",
            )
        issues.add(
            table.rows[at],
            None,
            "duplicate_row",
            severity,
            "exact copy of row " + pd.Series(firsts).astype(str) + text,
        )
    return dup
