"""The validation report of a loaded kit table, and the collector of its issues.

:func:`~overdose_trends.io.kit_log.read_kit_log` and
:func:`~overdose_trends.io.kit_counts.read_kit_counts` return their data with a
:class:`ValidationReport`: the row accounting (``n_loaded + n_rejected ==
n_input``), one line per problem with the spreadsheet row and column, the
personal-identifier columns dropped, the values mapped to the vocabulary and
other notes. The validators build it with an :class:`Issues` collector,
which takes issues for many rows at once (arrays, never a loop over rows).

The rules behind the issues are listed in the docstrings of
:mod:`overdose_trends.io.kit_log` and :func:`overdose_trends.io.kit_counts.read_kit_counts`.

A report shows itself three ways, like the trend-model fits: ``print(report)``
gives the readable text, ``report.summary()`` a table of issues per rule and
column, and in a notebook ``_repr_html_`` the accounting and that table;
``report.plot()`` draws :func:`overdose_trends.plots.validation.plot_validation`,
found by name when called (:func:`overdose_trends._display.figure_function`:
readers never import figures).

References
----------
UK Statistics Authority (2018), *Code of Practice for Statistics*, edition
2.0, pillar Quality (Q1 suitable data sources, Q3 assured quality: say what
was done to the data and what was excluded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from overdose_trends._display import figure_function, html_list, html_paragraph, html_table
from overdose_trends.errors import DataFormatError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ISSUE_COLUMNS", "MAPPED_COLUMNS", "SUMMARY_COLUMNS", "Issues", "ValidationReport"]

#: Columns of :attr:`ValidationReport.issues`.
ISSUE_COLUMNS = ("file", "sheet", "row", "column", "rule", "value", "severity", "message")
#: Columns of :attr:`ValidationReport.mapped_values`.
MAPPED_COLUMNS = ("column", "value", "mapped_to", "rows")
#: Columns of :meth:`ValidationReport.summary`.
SUMMARY_COLUMNS = ("severity", "rule", "column", "issues", "rows")
#: Severities, in the order of the summary (errors first).
_SEVERITIES = ("error", "warning")
#: The figure of a report (resolved by name when ``.plot()`` is called).
_FIGURE = "overdose_trends.plots.validation.plot_validation"


@dataclass
class ValidationReport:
    """What happened to every row and column of an input file.

    Attributes
    ----------
    file, sheet : str, str or None
        Where the data came from.
    n_input : int
        Data rows in the input (blank rows are not counted; see ``notes``).
    n_loaded, n_rejected : int
        Rows in the output and rows rejected (with at least one error);
        ``n_loaded + n_rejected == n_input`` is checked on creation.
    issues : pandas.DataFrame
        One row per problem, columns ``ISSUE_COLUMNS``
        (:mod:`overdose_trends.io.kit_log`): ``file``,
        ``sheet``, ``row`` (Int64, 1-based as a spreadsheet shows it, header =
        row 1; in a CSV file the record number, so a quoted cell holding line
        breaks counts as one row, as after opening the file in a spreadsheet;
        ``<NA>`` for a problem with a whole column), ``column`` (header
        as written in the file), ``rule`` (see :mod:`overdose_trends.io.kit_log`
        and :func:`~overdose_trends.io.kit_counts.read_kit_counts`),
        ``value`` (the offending text; ``<NA>`` when it is withheld as
        personal data), ``severity`` (``"error"``: row rejected;
        ``"warning"``: row kept and flagged) and ``message``.
    dropped_columns : dict of str to int
        Personal-identifier columns dropped on load -> number of non-empty
        cells they held. Their values are never read into any output.
    unknown_columns : tuple of str
        Columns that are not fields and were left out.
    mapped_values : pandas.DataFrame
        Values translated to the vocabulary: ``column``, ``value`` (as
        written), ``mapped_to`` and ``rows`` (rows with that value, loaded or not).
    notes : tuple of str
        Other facts an analyst needs (blank rows, missing optional columns,
        events that cannot be linked to a kit, values filled from defaults).
    kind : str, default "kit log"
        What was read (``"kit log"`` or ``"counts table"``), for the summary.

    Notes
    -----
    ``print(report)`` gives the readable text (accounting, identifiers dropped,
    issues by rule, the first issues); :meth:`summary` the issues counted per
    severity, rule and column as a table; a notebook shows the accounting and
    that table; :meth:`plot` draws the rows affected per rule
    (:func:`overdose_trends.plots.validation.plot_validation`).
    """

    file: str
    sheet: str | None
    n_input: int
    n_loaded: int
    n_rejected: int
    issues: pd.DataFrame
    dropped_columns: dict[str, int] = field(default_factory=dict)
    unknown_columns: tuple[str, ...] = ()
    mapped_values: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(MAPPED_COLUMNS))
    )
    notes: tuple[str, ...] = ()
    kind: str = "kit log"

    def __post_init__(self) -> None:
        if self.n_loaded + self.n_rejected != self.n_input:
            raise AssertionError(
                f"row accounting broken: {self.n_loaded} loaded + {self.n_rejected} rejected "
                f"!= {self.n_input} input rows"
            )

    @property
    def errors(self) -> pd.DataFrame:
        """Issues that rejected a row."""
        return self.issues[self.issues["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        """Issues on rows that were kept, and whole-column notices."""
        return self.issues[self.issues["severity"] == "warning"]

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.n_rejected == 0

    def counts_by_rule(self) -> pd.DataFrame:
        """Number of issues per severity and rule."""
        return (
            self.issues.groupby(["severity", "rule"], sort=True)
            .size()
            .rename("issues")
            .reset_index()
        )

    def summary(self) -> pd.DataFrame:
        """The issues counted per severity, rule and column: a tidy table.

        Returns
        -------
        pandas.DataFrame
            One row per (``severity``, ``rule``, ``column``) with issues, columns
            ``severity, rule, column, issues, rows``: ``severity`` (``"error"``: the rows were
            rejected; ``"warning"``: kept and flagged), ``rule`` (see
            :mod:`overdose_trends.io.kit_log`), ``column`` (the header as written
            in the file; missing for a rule on the whole row, such as
            ``duplicate_row``), ``issues`` (number of issues) and ``rows``
            (distinct input rows affected; 0 for a notice on a whole column,
            such as ``identifier_column``). Errors come first, then warnings;
            within each, the most rows affected first, then by rule and column.
            Empty (with these columns) when there were no issues. No cell value
            of the input is in it. ``print(report)`` gives the readable text.

        Examples
        --------
        >>> raw = pd.DataFrame(
        ...     {
        ...         "event_date": ["2016-03-14", "2016-13-01", "2016-03-15", "2016-14-02"],
        ...         "event_type": ["issued", "issued", "used", "issued"],
        ...         "kit_id": ["K1", "K2", "K9", "K3"],
        ...         "service": ["STARS"] * 4,
        ...         "area_code": ["E06000033"] * 4,
        ...     }
        ... )
        >>> report = ot.read_kit_log(raw, as_of="2020-01-01").report
        >>> report.summary()
          severity           rule      column  issues  rows
        0    error   invalid_date  event_date       2     2
        1  warning  orphan_return      kit_id       1     1
        """
        return _summary_table(self.issues)

    def _text(self, max_issues: int = 10) -> str:
        """The readable text (``str(report)``): accounting, identifiers dropped, issues by rule."""
        lines = [self._accounting()]
        if self.dropped_columns:
            lines.append(
                "Personal identifiers dropped on load, values not kept anywhere: "
                f"{self._dropped_text()}."
            )
        else:
            lines.append("No personal-identifier columns found.")
        n_pii = self._n_personal_data()
        if n_pii:
            lines.append(
                f"{n_pii:,} cells of kept columns looked like personal data and were blanked."
            )
        if self.unknown_columns:
            lines.append(f"Columns not used: {', '.join(map(repr, self.unknown_columns))}.")
        if len(self.mapped_values):
            parts = [
                f"{r.column} {r.value!r} -> {r.mapped_to} ({r.rows:,})"
                for r in self.mapped_values.itertuples()
            ]
            lines.append("Values mapped to the vocabulary: " + "; ".join(parts) + ".")
        lines.extend(self.notes)
        if len(self.issues):
            lines.append("Issues by rule:")
            lines.extend(
                f"  {r.severity:<7} {r.rule:<26} {r.issues:>9,}"
                for r in self.counts_by_rule().itertuples()
            )
            shown = self.issues.sort_values(["severity", "row"], kind="stable").head(max_issues)
            lines.append(f"First {len(shown)} issues (errors first):")
            lines.extend(f"  {m}" for m in shown["message"])
        return "\n".join(lines)

    def raise_if_errors(self) -> None:
        """Raise :class:`~overdose_trends.errors.DataFormatError` if any row was rejected.

        The message gives the number of rejected rows, the rules broken and the
        first error; the exception's ``row`` and ``column`` locate that error.
        """
        errors = self.errors
        if errors.empty:
            return
        first = errors.sort_values("row", kind="stable").iloc[0]
        rules = ", ".join(sorted(errors["rule"].unique()))
        raise DataFormatError(
            f"{self.n_rejected:,} of {self.n_input:,} rows rejected ({rules}); first: "
            f"{first['message']}",
            file=self.file,
            sheet=self.sheet,
            row=None if pd.isna(first["row"]) else int(first["row"]),
            column=None if pd.isna(first["column"]) else str(first["column"]),
        )

    def _accounting(self) -> str:
        """The first line: what was read, and the rows read, loaded and rejected."""
        where = repr(self.file) + (f", sheet {self.sheet!r}" if self.sheet else "")
        n_err, n_warn = len(self.errors), len(self.warnings)
        return (
            f"{self.kind.capitalize()} {where}: {self.n_input:,} rows read, "
            f"{self.n_loaded:,} loaded, {self.n_rejected:,} rejected "
            f"({n_err:,} errors, {n_warn:,} warnings)."
        )

    def _dropped_text(self) -> str:
        """The identifier columns dropped, with their counts of non-empty cells (no values)."""
        return ", ".join(
            f"{c!r} ({n:,} non-empty cell{'' if n == 1 else 's'})"
            for c, n in self.dropped_columns.items()
        )

    def _n_personal_data(self) -> int:
        return int((self.issues["rule"] == "personal_data").sum())

    def __str__(self) -> str:
        return self._text()

    def _repr_html_(self) -> str:
        """The report in a notebook: what was read, the row accounting and the summary table.

        Names of columns and counts only: never a cell value of the input.
        """
        where = f"{self.kind.capitalize()} {self.file}" + (
            f", sheet {self.sheet}" if self.sheet else ""
        )
        n_err, n_warn = len(self.errors), len(self.warnings)
        facts = [
            f"{self.n_input:,} rows read, {self.n_loaded:,} loaded, "
            f"{self.n_rejected:,} rejected ({n_err:,} errors, {n_warn:,} warnings).",
            (
                f"Personal identifiers dropped on load, values not kept: {self._dropped_text()}."
                if self.dropped_columns
                else "No personal-identifier columns found."
            ),
        ]
        if n_pii := self._n_personal_data():
            facts.append(f"{n_pii:,} cells looked like personal data and were blanked.")
        if self.unknown_columns:
            facts.append(f"Columns not used: {', '.join(map(repr, self.unknown_columns))}.")
        facts.extend(self.notes)
        parts = [html_paragraph(where, strong=True), html_list(facts)]
        table = self.summary()
        if len(table):
            parts += [html_paragraph("Issues by rule and column:"), html_table(table)]
        else:
            parts.append(html_paragraph("No issues: every row passed every check."))
        return "\n".join(parts)

    def plot(self, **kwargs: Any) -> Axes:
        """Draw the rows affected per rule and column (errors and warnings).

        Parameters
        ----------
        **kwargs
            Passed to :func:`overdose_trends.plots.validation.plot_validation`
            (``ax=``, ``title=``, ``source=``, ``notes=``, ``annotate=``).

        Returns
        -------
        matplotlib.axes.Axes
        """
        draw = figure_function(_FIGURE)
        axes: Axes = draw(self, **kwargs)
        return axes

    def __repr__(self) -> str:
        return (
            f"ValidationReport(file={self.file!r}, n_input={self.n_input}, "
            f"n_loaded={self.n_loaded}, n_rejected={self.n_rejected}, "
            f"errors={len(self.errors)}, warnings={len(self.warnings)}, "
            f"dropped_columns={list(self.dropped_columns)})"
        )


def _summary_table(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues and distinct rows per severity, rule and column (see ``ValidationReport.summary``)."""
    keys = list(SUMMARY_COLUMNS[:3])
    table = (
        issues.groupby(keys, sort=False, dropna=False)
        .agg(issues=("rule", "size"), rows=("row", "nunique"))
        .reset_index()
    )
    table["issues"] = table["issues"].astype("int64")
    table["rows"] = table["rows"].astype("int64")
    rank = table["severity"].map({s: i for i, s in enumerate(_SEVERITIES)}).fillna(len(_SEVERITIES))
    order = np.lexsort(
        (
            table["column"].fillna("").to_numpy(dtype=object).astype(str),
            table["rule"].to_numpy(dtype=object).astype(str),
            -table["rows"].to_numpy(),
            rank.to_numpy(),
        )
    )
    return table.iloc[order].reset_index(drop=True).loc[:, list(SUMMARY_COLUMNS)]


class Issues:
    """Collects the issues of one input as arrays; one DataFrame at the end."""

    def __init__(self, file: str, sheet: str | None) -> None:
        self.file, self.sheet = file, sheet
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        rows: np.ndarray,
        column: str | None,
        rule: str,
        severity: str,
        message: Any,
        value: Any = None,
    ) -> None:
        """Add issues for ``rows`` (1-based); ``message`` is the text after ``"row N: "``."""
        n = len(rows)
        if n == 0:
            return
        row_text = pd.Series(rows, dtype="int64").astype(str).to_numpy(dtype=object)
        message = np.broadcast_to(np.asarray(message, dtype=object), (n,))
        full = "row " + pd.Series(row_text, dtype=object) + ": " + pd.Series(message)
        if value is None:
            value = np.full(n, None, dtype=object)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": pd.array(rows, dtype="Int64"),
                    "column": column,
                    "rule": rule,
                    "value": np.broadcast_to(np.asarray(value, dtype=object), (n,)),
                    "severity": severity,
                    "message": full.to_numpy(dtype=object),
                }
            )
        )

    def add_column(self, column: str, rule: str, message: str) -> None:
        """A whole-column notice (no row)."""
        self.parts.append(
            pd.DataFrame(
                {
                    "row": pd.array([None], dtype="Int64"),
                    "column": [column],
                    "rule": [rule],
                    "value": [None],
                    "severity": ["warning"],
                    "message": [f"column {column!r}: {message}"],
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """All issues (columns ``ISSUE_COLUMNS``), sorted by row, column notices first."""
        if self.parts:
            df = pd.concat(self.parts, ignore_index=True)
        else:
            df = pd.DataFrame(
                {c: pd.Series(dtype="Int64" if c == "row" else object) for c in ISSUE_COLUMNS[2:]}
            )
        df.insert(0, "file", self.file)
        df.insert(1, "sheet", self.sheet)
        df = df.sort_values(["row", "rule"], kind="stable", na_position="first")
        out = df.reset_index(drop=True).loc[:, list(ISSUE_COLUMNS)]
        for c in ("file", "sheet", "column", "rule", "value", "severity", "message"):
            out[c] = out[c].astype("str")
        return out
