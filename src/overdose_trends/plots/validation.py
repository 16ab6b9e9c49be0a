"""Validation of a kit table: the input rows affected by each rule, errors beside warnings.

:func:`plot_validation`
    One horizontal bar per rule and column of a kit log's or counts table's
    validation report (its ``summary()``), as long as the number of input rows
    affected; errors (rows rejected) first, warnings (rows kept and flagged)
    below, told apart by colour, by hatching and by the text at each bar's end.
    A report without issues gets an explicit "no issues" figure.

The same figure is drawn by ``report.plot()`` on the ``.report`` of
:func:`overdose_trends.io.kit_log.read_kit_log` and
:func:`overdose_trends.io.kit_counts.read_kit_counts`. Only column names and
counts are drawn, never a cell value of the input.

References
----------
UK Statistics Authority (2018), *Code of Practice for Statistics*, edition
2.0, pillar Quality (Q3 assured quality: say what was excluded and why).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from overdose_trends.io._kit_report import ValidationReport
from overdose_trends.plots import style
from overdose_trends.plots._common import annotating, figure_axes, finish, legend
from overdose_trends.plots._docs import figure_doc

__all__ = ["SEVERITY_STYLE", "UNITS_VALIDATION", "plot_validation"]

#: How each severity is drawn: colour (Okabe-Ito), hatching and legend label.
#: Errors are solid vermillion, warnings hatched orange, so the two differ without colour.
SEVERITY_STYLE = MappingProxyType(
    {
        "error": (style.PALETTE["vermillion"], "", "Error: row rejected"),
        "warning": (style.PALETTE["orange"], "///", "Warning: row kept and flagged"),
    }
)
#: Units line of :func:`plot_validation`.
UNITS_VALIDATION = "Input rows affected, per rule and column"
#: Text of a report without issues.
_NO_ISSUES = "No issues: every row passed every check"


class _Bars(NamedTuple):
    """The rows of the summary table as drawn, top to bottom."""

    severity: np.ndarray
    rows: np.ndarray
    labels: list[str]


def _check_report(report: ValidationReport) -> _Bars:
    if not isinstance(report, ValidationReport):
        raise TypeError(
            "plot_validation: expected the .report of read_kit_log or read_kit_counts "
            f"(a ValidationReport), not {type(report).__name__}"
        )
    table = report.summary()
    labels = [
        str(rule) if pd.isna(column) else f"{rule} ({column})"
        for rule, column in zip(table["rule"], table["column"], strict=True)
    ]
    return _Bars(
        table["severity"].to_numpy(dtype=object).astype(str),
        table["rows"].to_numpy(dtype=np.int64),
        labels,
    )


def _synthetic(report: ValidationReport) -> bool:
    return "synthetic" in PurePath(report.file).name.lower()


def _source(report: ValidationReport) -> str:
    """The input named by its file (and sheet), without its folders."""
    if _synthetic(report):
        return style.SOURCE_SYNTHETIC_KITS
    name = PurePath(report.file).name
    what = "given as a DataFrame" if name.startswith("<") else name
    sheet = f", sheet {report.sheet}" if report.sheet else ""
    return f"{report.kind} {what}{sheet}"


def _draw_bars(ax: Axes, bars: _Bars, y: np.ndarray) -> list[str]:
    """A bar per rule and column, a count at its end; the severities drawn, in order."""
    drawn = []
    for severity, (color, hatch, _) in SEVERITY_STYLE.items():
        at = bars.severity == severity
        if not at.any():
            continue
        drawn.append(severity)
        ax.barh(
            y[at], bars.rows[at], height=0.6, color=color, hatch=hatch, edgecolor="white",
            linewidth=0.0, zorder=2, gid=f"bars-{severity}",
        )  # fmt: skip
    for yi, n, severity in zip(y, bars.rows, bars.severity, strict=True):
        count = f"{n:,} row{'' if n == 1 else 's'}" if n else "whole column"
        text = f"{count} ({severity})"
        ax.annotate(
            text, (float(n), float(yi)), xytext=(4, 0), textcoords="offset points",
            ha="left", va="center", fontsize=8.5, color="#222222", gid="value",
        )  # fmt: skip
    return drawn


def _bar_axes(ax: Axes, bars: _Bars, y: np.ndarray) -> None:
    top = max(1, int(bars.rows.max()))
    ax.set_yticks(y, bars.labels)
    ax.set_ylim(len(y) - 0.4, -0.6)
    ax.set_xlim(0, top * 1.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.grid(True)
    ax.yaxis.grid(False)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Input rows affected")


def _no_issues(ax: Axes) -> None:
    ax.text(
        0.5, 0.5, _NO_ISSUES, transform=ax.transAxes, ha="center", va="center", fontsize=11,
        color="#222222", gid="no-issues",
    )  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _validation_notes(report: ValidationReport, bars: _Bars) -> list[str]:
    """Accounting, identifier columns (names and counts only) and how to read the bars."""
    notes = [
        f"{report.n_input:,} rows read, {report.n_loaded:,} loaded, {report.n_rejected:,} rejected."
    ]
    if report.dropped_columns:
        cols = ", ".join(f"{c!r} ({n:,})" for c, n in report.dropped_columns.items())
        notes.append(
            "Personal-identifier columns dropped on load, values not kept "
            f"(non-empty cells): {cols}."
        )
    if len(bars.rows):
        notes.append("A row can break several rules, so it can be counted in several bars.")
    if (bars.rows == 0).any():
        notes.append("Whole column: a notice on a column (dropped or not used), not on rows.")
    if _synthetic(report):
        notes.insert(0, style.NOTE_SYNTHETIC_KITS)
    return notes


@figure_doc(
    ax="a new figure in the house style, its height growing with the rules",
    title='"Validation of the <kind>: <rejected> of <read> rows rejected"',
    source="the input's file name (and sheet), or "
    ":data:`~overdose_trends.plots.style.SOURCE_SYNTHETIC_KITS` for the shipped "
    "synthetic data",
    notes="the row accounting, the identifier columns dropped, how to read the bars",
)
def plot_validation(
    report: ValidationReport,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Input rows affected per validation rule and column: errors, then warnings.

    Parameters
    ----------
    report : ValidationReport
        The ``.report`` of :func:`overdose_trends.io.kit_log.read_kit_log` or
        :func:`overdose_trends.io.kit_counts.read_kit_counts`. One bar is
        drawn per row of its ``summary()``, in that order (errors first, most
        rows first), as long as its ``rows``; a notice on a whole column
        (``rows`` 0) has no bar, only its text. A report without issues is
        drawn as the text "No issues: every row passed every check".
    {shared.ax}
    {shared.title}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Bars are rectangles with ``gid`` ``"bars-error"`` (solid vermillion)
        and ``"bars-warning"`` (hatched orange), labelled on the y axis
        ``"rule (column)"``; the texts at their ends (``gid`` ``"value"``)
        give the rows and the severity. A clean report's text has ``gid``
        ``"no-issues"``.

    Raises
    ------
    TypeError
        If ``report`` is not a validation report.

    Examples
    --------
    The shipped SYNTHETIC kit log has no issues:

    >>> ax = ot.plot_validation(ot.datasets.synthetic_kit_log().report)
    >>> print(ax.figure.texts[0].get_text())
    Validation of the kit log: 0 of 5,961 rows rejected
    >>> [text.get_text() for text in ax.texts]
    ['No issues: every row passed every check']

    A log with two impossible dates and a return of a kit it never issued:

    >>> raw = pd.DataFrame(
    ...     {
    ...         "event_date": ["2016-03-14", "2016-13-01", "2016-03-15", "2016-14-02"],
    ...         "event_type": ["issued", "issued", "used", "issued"],
    ...         "kit_id": ["K1", "K2", "K9", "K3"],
    ...         "service": ["STARS"] * 4,
    ...         "area_code": ["E06000033"] * 4,
    ...     }
    ... )
    >>> ax = ot.plot_validation(ot.read_kit_log(raw, as_of="2020-01-01").report)
    >>> [(label.get_text(), int(bar.get_width())) for label, bar in
    ...  zip(ax.get_yticklabels(), ax.patches)]
    [('invalid_date (event_date)', 2), ('orphan_return (kit_id)', 1)]
    >>> [text.get_text() for text in ax.texts]
    ['2 rows (error)', '1 row (warning)']
    """
    bars = _check_report(report)
    annotated = annotating(ax, annotate)
    n = len(bars.rows)
    y = np.arange(n, dtype=np.float64)

    with figure_axes(ax, figsize=(style.FIGSIZE[0], 3.6 + 0.4 * n)) as ax:
        if n:
            drawn = _draw_bars(ax, bars, y)
            _bar_axes(ax, bars, y)
            handles = [
                Patch(facecolor=SEVERITY_STYLE[s][0], hatch=SEVERITY_STYLE[s][1],
                      edgecolor="white", label=SEVERITY_STYLE[s][2])
                for s in drawn
            ]  # fmt: skip
            legend(ax, annotated, handles=handles, loc="lower right")
        else:
            _no_issues(ax)
        if title is None:
            title = (
                f"Validation of the {report.kind}: {report.n_rejected:,} of "
                f"{report.n_input:,} rows rejected"
            )
        finish(
            ax, annotated=annotated, title=title, units=UNITS_VALIDATION,
            source=source or _source(report), notes=[*_validation_notes(report, bars), *notes],
        )  # fmt: skip
    return ax
