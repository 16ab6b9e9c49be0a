"""The summary tables as an Excel workbook in the government good-practice layout.

``summary.xlsx`` is written with gptables (Office for National Statistics): a
cover sheet, a contents sheet, a notes sheet and one table per sheet, each
table starting at the top left with its title, a description, the source and
the notes that apply, column headings that carry their units, no merged cells
and no blank rows or columns inside a table.

Small numbers: before writing, :func:`overdose_trends.stats.disclosure.suppress_small`
hides death counts from 1 to ``threshold - 1`` (``[c]`` in the cell, as the
Government Statistical Service shorthand recommends); a rate built on a hidden
count is hidden too (ONS does not calculate rates from fewer than 10 deaths in
any case). The published ONS counts are public, so the default threshold
(:data:`SUPPRESS_BELOW`) matters for a user's own, unpublished data.

References
----------
Government Analysis Function (2021), *Releasing statistics in spreadsheets*,
https://analysisfunction.civilservice.gov.uk/policy-store/releasing-statistics-in-spreadsheets/;
Office for National Statistics, *gptables* documentation, https://gptables.readthedocs.io/.
"""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from overdose_trends._output import atomic_path

if TYPE_CHECKING:
    import pandas as pd

#: Death counts from 1 to SUPPRESS_BELOW - 1 are hidden in the workbook.
SUPPRESS_BELOW = 5
_CREATED = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
#: What a hidden cell shows (GSS shorthand for "confidential").
SUPPRESSED = "[c]"
#: What a rate ONS does not calculate shows (GSS shorthand for "low").
NOT_CALCULATED = "[low]"

_NOTES = (
    "Age-standardised to the 2013 European Standard Population; rates per 100,000 people "
    "with 95% confidence limits, as published by ONS.",
    "ONS does not calculate a rate from fewer than 10 deaths ([low]) and marks rates from "
    "10 to 19 deaths as unreliable.",
    f"Death counts from 1 to {SUPPRESS_BELOW - 1} are shown as [c] (suppressed), and so are "
    "rates built on them.",
    "The rate ratio is the later rate divided by the earlier one; the test is a z-test on the "
    "log rate ratio. The ONS rule calls a change significant only when the two 95% intervals "
    "do not overlap, which is more conservative.",
)


def write_summary_workbook(
    path: Path,
    summary: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    source: str,
    threshold: int = SUPPRESS_BELOW,
) -> Path:
    """Write the report's summary tables to ``path`` (``.xlsx``) atomically.

    Parameters
    ----------
    path : Path
        The workbook to write.
    summary : pandas.DataFrame
        :func:`overdose_trends.report.tables.report_summary` output, rounded.
    comparison : pandas.DataFrame
        :func:`overdose_trends.report.tables.comparison_table` output, rounded
        (no sheet when empty).
    source : str
        Source line of the tables.
    threshold : int, default :data:`SUPPRESS_BELOW`
        Death counts ``1 <= deaths < threshold`` are suppressed.

    Returns
    -------
    Path
        ``path``.
    """
    import gptables as gpt  # type: ignore[import-untyped]

    sheets = {"Rates": _rates_table(gpt, summary, source, threshold)}
    if len(comparison):
        sheets["Change"] = _change_table(gpt, comparison, source)
    import pandas as pd

    notes = pd.DataFrame(
        {
            "Note number": [f"note {i}" for i in range(1, len(_NOTES) + 1)],
            "Note text": list(_NOTES),
        }
    )
    cover = gpt.Cover(
        title="Deaths related to drug poisoning: summary tables",
        intro=[
            "Deaths and age-standardised death rates for the areas and registration periods "
            "of the report, and the change between the first and last period.",
        ],
        about=[f"Source: {source}", "Built by the overdose_trends package (report command)."],
    )
    with atomic_path(path) as tmp, warnings.catch_warnings():
        # gptables 2.0 uses pandas idioms that pandas 3 deprecates; they do not affect the file
        warnings.filterwarnings("ignore", module=r"gptables(\.|$)")
        target = tmp.with_suffix(".xlsx")
        try:
            book = gpt.produce_workbook(
                filename=str(target),
                sheets=sheets,
                cover=cover,
                notes_table=notes,
                contentsheet_options={"title": "Table of contents"},
            )
            # a fixed creation date: the same tables give the same bytes (no spurious changes)
            book.set_properties({"created": _CREATED})
            book.close()
            target.replace(tmp)
        finally:
            target.unlink(missing_ok=True)
    return path


def _rates_table(gpt: Any, summary: pd.DataFrame, source: str, threshold: int) -> Any:
    from overdose_trends.stats.disclosure import suppress_small

    cells = summary.loc[:, ["area_code", "period", "deaths"]].copy()
    shown = suppress_small(
        cells, "deaths", threshold=threshold, keys=["area_code", "period"], status="_status"
    )
    hidden = (shown["_status"] == "suppressed").to_numpy()
    table = _keys(summary, "period", "Registration period")
    table["Deaths"] = _cells(summary["deaths"], hidden)
    for column, heading in (
        ("rate", "Rate"),
        ("lcl", "Lower 95% limit"),
        ("ucl", "Upper 95% limit"),
    ):
        table[f"{heading} per 100,000"] = _cells(summary[column], hidden)
    table["Rate status"] = summary["rate_status"].astype(str).str.replace("_", " ")
    title = "Deaths related to drug poisoning and age-standardised rates, by area and period"
    subtitle = "Rates per 100,000 people, 2013 European Standard Population [note 1]"
    return _sheet(gpt, table, "rates", title, subtitle, source)


def _change_table(gpt: Any, comparison: pd.DataFrame, source: str) -> Any:
    table = _keys(comparison, "comparison", "Periods compared")
    for column, heading in (
        ("rate_ratio", "Rate ratio"),
        ("ratio_lcl", "Rate ratio lower 95% limit"),
        ("ratio_ucl", "Rate ratio upper 95% limit"),
        ("p_value", "p-value"),
    ):
        table[heading] = _cells(comparison[column])
    table["ONS rule (overlapping intervals)"] = comparison["ons_verdict"].astype(str)
    table["Test verdict"] = comparison["verdict"].astype(str)
    title = "Change in the age-standardised death rate between the first and last period"
    subtitle = "Rate ratio: later rate divided by earlier rate [note 4]"
    return _sheet(gpt, table, "change", title, subtitle, source)


def _keys(frame: pd.DataFrame, column: str, heading: str) -> pd.DataFrame:
    """Area name (as printed), area code and ``column`` under readable headings."""
    from overdose_trends.report._common import display_name

    table = frame.loc[:, ["area_name", "area_code", column]].copy()
    table["area_name"] = table["area_name"].astype(str).map(display_name)
    table.columns = ["Area name", "Area code", heading]
    return table


def _sheet(gpt: Any, table: pd.DataFrame, name: str, title: str, subtitle: str, source: str) -> Any:
    """One table on its own sheet: title, description, source; area columns as index."""
    return gpt.GPTable(
        table=table,
        table_name=name,
        title=title,
        subtitles=[subtitle],
        instructions="This worksheet contains one table. Notes are on the Notes sheet.",
        source=f"Source: {source}",
        table_notes={},
        index_columns={2: 0},
    )


def _cells(values: pd.Series, hidden: Any = None) -> pd.Series:
    """Numbers as numbers; ``[c]`` where ``hidden``, ``[low]`` where not calculated (NA)."""
    import pandas as pd

    out: list[object] = []
    for i, value in enumerate(values.tolist()):
        if hidden is not None and hidden[i]:
            out.append(SUPPRESSED)
        elif value is None or pd.isna(value):
            out.append(NOT_CALCULATED)
        else:
            out.append(int(value) if isinstance(value, int) else float(value))
    return pd.Series(out, index=values.index, dtype=object)
