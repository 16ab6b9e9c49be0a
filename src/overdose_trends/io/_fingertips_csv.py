"""Parsing of Fingertips CSV exports (private to the io room; see :mod:`.fingertips`).

Check (header, HTML body), compute (cells column by column, vectorised) and
assemble (the tidy table) steps of :func:`overdose_trends.io.fingertips.read_fingertips`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from overdose_trends.constants import AREA_LEVELS, SEX_LABELS
from overdose_trends.errors import DataFormatError
from overdose_trends.io._csv_text import read_cells
from overdose_trends.io._fetch_sniff import looks_like_html
from overdose_trends.io._numbers import parse_counts, parse_decimals, shown
from overdose_trends.io._workbook import column_letter
from overdose_trends.schema import DEATHS_COLUMNS, parse_period, rate_status

#: Fingertips export header -> tidy column, for the columns the reader needs.
REQUIRED = {
    "Indicator ID": "indicator_id",
    "Area Code": "area_code",
    "Area Name": "area_name",
    "Sex": "sex",
    "Time period": "time_period",
    "Value": "rate",
    "Lower CI 95.0 limit": "lcl",
    "Upper CI 95.0 limit": "ucl",
    "Count": "deaths",
}
#: Columns kept when present (``<NA>`` / NaN when the export lacks them).
OPTIONAL = {
    "Indicator Name": "indicator_name",
    "Area Type": "area_type",
    "Age": "age",
    "Category Type": "category_type",
    "Category": "category",
    "Lower CI 99.8 limit": "lcl_998",
    "Upper CI 99.8 limit": "ucl_998",
    "Denominator": "denominator",
    "Value note": "value_note",
    "Recent Trend": "recent_trend",
    "Compared to England value or percentiles": "compared_to_england",
}
#: Extra columns of the tidy Fingertips table, after the house columns (in order).
EXTRA_COLUMNS = (
    "indicator_id",
    "indicator_name",
    "age",
    "category_type",
    "category",
    "time_period",
    "lcl_998",
    "ucl_998",
    "denominator",
    "value_note",
    "recent_trend",
    "compared_to_england",
)
_FLOATS = ("rate", "lcl", "ucl", "lcl_998", "ucl_998", "denominator")
_TEXT: tuple[str, ...] = ("indicator_name", "age", "category_type", "category", "value_note")
_TEXT += ("recent_trend", "compared_to_england")

#: ``Value note`` wording (lower case) -> rate status, checked in this order. The words are
#: those of the notes Fingertips shows for withheld and small-number values.
NOTE_STATUSES = (
    (re.compile(r"suppress|disclos|confidential"), "suppressed"),
    (re.compile(r"too small|cannot be calculated|small (?:number|count)"), "not_calculated"),
)


@dataclass
class Export:
    """A Fingertips CSV being read: its text cells and what error messages need."""

    file: str
    header: list[str]
    cells: pd.DataFrame  # one column per tidy name, str cells ("" where empty)
    rows: np.ndarray  # 1-based line of each data row (header = 1)

    def error(self, message: str, column: str, i: int | None = None) -> DataFormatError:
        """Error at data row ``i`` (0-based, None: the header) in tidy column ``column``."""
        header = {**REQUIRED, **OPTIONAL}
        source = next(h for h, t in header.items() if t == column)
        j = self.header.index(source)
        return DataFormatError(
            message,
            file=self.file,
            row=1 if i is None else int(self.rows[i]),
            column=f"{source!r} ({column_letter(j)})",
        )


def parse_export(text: str, file: str) -> Export:
    """Check the header and split ``text`` into text cells (no values parsed yet)."""
    if looks_like_html(text[:4096].encode("utf-8", "replace")):
        raise DataFormatError(
            "this is an HTML page, not a Fingertips CSV export (an error or login page saved "
            "in its place?); download the data again",
            file=file,
        )
    if not text.strip():
        raise DataFormatError("file is empty; expected a Fingertips CSV export", file=file, row=1)
    raw, rows = read_cells(text, file)
    header = list(raw.columns)
    names = {**REQUIRED, **OPTIONAL}
    for j, h in enumerate(header):
        if h in names and h in header[:j]:
            raise DataFormatError(
                f"two columns named {shown(h)} ({column_letter(header.index(h))} and "
                f"{column_letter(j)})",
                file=file,
                row=1,
                column=column_letter(j),
            )
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise DataFormatError(
            f"not a Fingertips CSV export: missing column(s) {', '.join(map(repr, missing))} "
            f"(the header has {len(header)} columns, starting "
            f"{', '.join(shown(h) for h in header[:4])})",
            file=file,
            row=1,
        )
    cells = pd.DataFrame(
        {t: raw[h].str.strip() if h in header else "" for h, t in names.items()},
        index=raw.index,
    )
    return Export(file=file, header=header, cells=cells, rows=rows)


def _floats(export: Export, column: str) -> np.ndarray:
    """Finite, non-negative numbers of a tidy column (NaN where empty)."""
    values, bad = parse_decimals(export.cells[column])
    if bad is not None:
        raise export.error(bad.problem, column, bad.index)
    return values


def _counts(export: Export) -> pd.arrays.IntegerArray:
    values, missing, bad = parse_counts(export.cells["deaths"], ("",), what="Count")
    if bad is not None:
        raise export.error(f"{bad.problem}: not a whole number of deaths", "deaths", bad.index)
    return pd.arrays.IntegerArray(values, missing)


#: Largest ``Indicator ID`` accepted (Fingertips ids are 5-6 digits; a larger number is a
#: damaged cell, and would not fit the int64 column).
MAX_INDICATOR_ID = 2**31 - 1
#: Relative slack of :func:`check_limits` (Fingertips rounds values and limits to 4 places).
LIMIT_TOLERANCE = 1e-6


#: Pairs of confidence limits around ``Value`` (tidy names) and their level, for messages.
LIMITS = (("lcl", "ucl", "95%"), ("lcl_998", "ucl_998", "99.8%"))


def check_limits(export: Export, numbers: Mapping[str, np.ndarray]) -> None:
    """Limits come in pairs, only with a value, and around it (``lcl <= value <= ucl``).

    A small tolerance (:data:`LIMIT_TOLERANCE`, relative) allows for rounding in the export.
    """
    rate = numbers["rate"]
    for low, high, level in LIMITS:
        lcl, ucl = numbers[low], numbers[high]
        one = np.isnan(lcl) != np.isnan(ucl)
        if one.any():
            i = int(np.argmax(one))
            empty = low if np.isnan(lcl[i]) else high
            raise export.error(f"empty {level} limit while the other is given", empty, i)
        orphan = np.isnan(rate) & ~np.isnan(lcl)
        if orphan.any():
            i = int(np.argmax(orphan))
            raise export.error(f"Value is empty but its {level} limits are given", "rate", i)
        slack = LIMIT_TOLERANCE * np.maximum(np.abs(rate), 1.0)
        with np.errstate(invalid="ignore"):
            below = lcl > rate + slack
            above = ucl < rate - slack
        for bad, column, word in ((below, low, "above"), (above, high, "below")):
            if bad.any():
                i = int(np.argmax(bad))
                raise export.error(
                    f"{level} limit {export.cells[column].iloc[i]} is {word} the Value "
                    f"{export.cells['rate'].iloc[i]} (limits must surround the value)",
                    column,
                    i,
                )


def _periods(export: Export) -> tuple[np.ndarray, np.ndarray]:
    labels = export.cells["time_period"]
    unique = {label: parse_period(label) for label in labels.unique()}
    bad = labels.map(lambda v: unique[v] is None).to_numpy(dtype=bool)
    if bad.any():
        i = int(np.argmax(bad))
        raise export.error(
            f"time period {shown(labels.iloc[i])} is not a year or a range of registration years "
            "such as '2016 - 18'",
            "time_period",
            i,
        )
    pairs = np.array([unique[v] for v in labels], dtype="int64").reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _sexes(export: Export) -> np.ndarray:
    text = export.cells["sex"].str.lower()
    mapped = text.map(lambda v: SEX_LABELS.get(v, "persons" if v == "not applicable" else None))
    bad = mapped.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise export.error(
            f"sex {shown(export.cells['sex'].iloc[i])} is not Persons, Male or Female", "sex", i
        )
    return mapped.to_numpy(dtype=object)


def _statuses(export: Export, rate: np.ndarray, deaths: pd.arrays.IntegerArray) -> np.ndarray:
    """ONS small-number status from the count where a value is given; else from the note."""
    status = rate_status(deaths.to_numpy(dtype="float64", na_value=np.nan))
    no_count = deaths.isna()
    status[no_count & ~np.isnan(rate)] = "ok"  # a value without a count: nothing to judge by
    notes = export.cells["value_note"].str.lower()
    missing = np.isnan(rate)
    status[missing] = "not_available"
    for pattern, name in NOTE_STATUSES:
        hit = notes.str.contains(pattern).to_numpy(dtype=bool) & missing
        status[hit & (status == "not_available")] = name
    return status


def _area_levels(export: Export) -> np.ndarray:
    codes = export.cells["area_code"]
    fallback = (
        export.cells["area_type"].str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True)
    ).str.strip("_")
    level = codes.str[:3].map(AREA_LEVELS)
    return level.where(level.notna(), fallback).to_numpy(dtype=object)


def assemble(
    export: Export, measures: Mapping[int, str], rate_per: int, sheet: str
) -> pd.DataFrame:
    """The tidy table: house columns (:data:`DEATHS_COLUMNS`) then :data:`EXTRA_COLUMNS`."""
    cells = export.cells
    ids = _floats(export, "indicator_id")
    bad = np.isnan(ids) | (ids != np.round(ids)) | (ids > MAX_INDICATOR_ID)
    if bad.any():
        i = int(np.argmax(bad))
        raise export.error(
            f"Indicator ID must be a whole number up to {MAX_INDICATOR_ID:,}", "indicator_id", i
        )
    empty = (cells["area_code"] == "").to_numpy()
    if empty.any():
        raise export.error("empty Area Code", "area_code", int(np.argmax(empty)))
    numbers = {c: _floats(export, c) for c in _FLOATS}
    check_limits(export, numbers)
    deaths = _counts(export)
    start, end = _periods(export)
    out = pd.DataFrame(
        {
            "area_code": pd.array(cells["area_code"].to_numpy(dtype=object), dtype="str"),
            "area_name": pd.array(cells["area_name"].to_numpy(dtype=object), dtype="str"),
            "area_level": pd.array(_area_levels(export), dtype="str"),
            "measure": pd.array([measures[int(v)] for v in ids], dtype="str"),
            "sex": pd.array(_sexes(export), dtype="str"),
            "period_start": start,
            "period_end": end,
            "deaths": deaths,
            "rate": numbers["rate"],
            "lcl": numbers["lcl"],
            "ucl": numbers["ucl"],
            "rate_per": np.full(len(cells), rate_per, dtype="int64"),
            "rate_status": pd.array(_statuses(export, numbers["rate"], deaths), dtype="str"),
            "edition": np.full(len(cells), int(end.max()) if len(end) else 0, dtype="int64"),
            "sheet": pd.array([sheet] * len(cells), dtype="str"),
            "row": export.rows.astype("int64"),
            "indicator_id": ids.astype("int64"),
            "time_period": pd.array(cells["time_period"].to_numpy(dtype=object), dtype="str"),
            **{c: numbers[c] for c in ("lcl_998", "ucl_998", "denominator")},
        }
    )
    for c in _TEXT:
        out[c] = pd.array(cells[c].where(cells[c] != "", None).to_numpy(dtype=object), dtype="str")
    return out[[*DEATHS_COLUMNS, *EXTRA_COLUMNS]]


#: Columns identifying one published figure (one row of the tidy table).
KEY: tuple[str, ...] = ("indicator_id", "area_code", "sex", "age", "category_type", "category")
KEY += ("period_start", "period_end")


def check_repeats(tidy: pd.DataFrame, file: str) -> None:
    """One row per published figure: a repeated row, identical or not, is an error."""
    key = list(KEY)
    dup = tidy.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return
    i = int(np.argmax(dup))
    first = tidy.iloc[i]
    group = tidy.groupby(key, dropna=False, sort=False).ngroup().to_numpy()
    same = np.flatnonzero(group == group[i])
    rows = tidy["row"].to_numpy()[same[:2]]
    values = ["deaths", "rate", "lcl", "ucl", "denominator", "value_note"]
    identical = tidy.iloc[same[:2]][values].astype(str).nunique().max() == 1
    what = (
        "repeat the same figure (two exports joined, or a line copied?); remove one"
        if identical
        else "give different figures"
    )
    raise DataFormatError(
        f"rows {rows[0]} and {rows[1]} {what} for area {first['area_code']}, "
        f"{first['sex']}, {first['time_period']}",
        file=file,
        row=int(rows[1]),
    )
