"""Loaders for ONS drug-poisoning workbooks.

:func:`read_local_authority` reads the ONS dataset "Deaths related to drug
poisoning by local authority, England and Wales" in any of its edition layouts
into one tidy, long table. :func:`~overdose_trends.io.ons_national.read_national` (from
:mod:`overdose_trends.io.ons_national`) reads the national reference tables.
:func:`check_consistency` cross-checks a loaded table, or two editions of it
(figures ONS revised).

Completeness
------------
The reader never drops figures silently: every sheet named ``Table N`` or listed
on Contents yields a table or raises (a cleared title falls back to the Contents
description); tables of an edition that stop short of the others' areas or of
their footnotes raise; tables covering different area lists are reported in a
warning (``df.attrs["area_differences"]``); a table missing a value column
raises naming it (every period block holds the same fields, and a rate comes with
its deaths and both limits), as does a single-year table whose years skip one or a
table that stops before the latest period of the others of its kind (a table
starting later than the others is reported: ``df.attrs["period_differences"]``);
a blank cell, an Excel error, a
formula saved without its value or a merged cell where a number belongs raises
naming the cell (ONS markers become statuses); counts are whole, non-negative
and at most 2**53; rates and limits finite, non-negative and ``lcl <= rate <=
ucl``; every period of a table has the same length; the same figures on two
sheets (even a hidden one) raise. Numbers written as text follow one notation
(see ``io._workbook.parse_number``).

Tidy columns (one row per area, measure, sex and registration period)
---------------------------------------------------------------------
area_code : str
    GSS code, e.g. ``"E06000033"``.
area_name : str
    Name as published, surrounding spaces removed.
area_level : str
    ``"country"``, ``"region"``, ``"county"``, ``"metropolitan_county"``,
    ``"unitary"``, ``"district"``, ``"metropolitan_district"``,
    ``"london_borough"`` … from the GSS code prefix
    (:data:`overdose_trends.constants.AREA_LEVELS`).
measure : str
    ``"poisoning"`` (all deaths related to drug poisoning) or ``"misuse"``
    (the subset related to drug misuse).
sex : str
    ``"persons"``, ``"males"`` or ``"females"``.
period_start, period_end : int
    Registration years; a single year has ``period_start == period_end``.
deaths : Int64
    Number of deaths registered in the period (``<NA>`` where not published).
rate, lcl, ucl : float
    Age-standardised mortality rate (2013 European Standard Population) and
    its 95% confidence limits, per ``rate_per`` population; NaN where not
    published.
rate_per : int
    Population denominator of ``rate`` (100,000 in the local-authority tables).
rate_status : str
    ``"ok"``, ``"not_calculated"`` (fewer than 10 deaths, ONS ``:``),
    ``"unreliable"`` (10-19 deaths, ONS ``U``/``[u]``), ``"suppressed"``
    (``[c]``) or ``"not_available"`` (no rate in the table, ``[x]``, ``[z]``).
edition : int
    Latest registration year in the workbook (e.g. 2019 for the edition
    published in October 2020).
sheet : str, row : int
    Provenance: worksheet name and 1-based spreadsheet row of the values.

References
----------
Office for National Statistics, "Deaths related to drug poisoning by local
authority, England and Wales" (dataset drugmisusedeathsbylocalauthority),
https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/drugmisusedeathsbylocalauthority
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.constants import MIN_DEATHS_FOR_RATE
from overdose_trends.errors import DataFormatError
from overdose_trends.io._la_layouts import (
    CODE_HEADERS,
    SKIP_SHEET,
    SKIP_TITLE,
    is_blank,
    measure_in,
    period_text,
)
from overdose_trends.io._la_revisions import revisions
from overdose_trends.io._la_values import SEXES, STATUS_NAMES, SheetTable, read_table
from overdose_trends.io._workbook import (
    Source,
    Workbook,
    check_contents,
    clean_label,
    column_letter,
    open_workbook,
    sheet_key,
)
from overdose_trends.schema import DEATHS_COLUMNS, rate_status

__all__ = ["check_consistency", "read_local_authority"]

_TABLE_NAME = re.compile(r"^table[\s_]*\d+[a-z]?$", re.IGNORECASE)
_CONTENTS = {"contents", "table of contents", "index"}


def _contents_titles(wb: Workbook) -> dict[str, str]:
    """``{sheet key: description}`` for every ``Table N`` listed on a Contents sheet."""
    out: dict[str, str] = {}
    for sheet in wb.sheet_names:
        if sheet_key(sheet) not in _CONTENTS:
            continue
        for row in wb.rows(sheet):
            texts = [v.strip() for v in row if isinstance(v, str) and v.strip()]
            refs = [t for t in texts if _TABLE_NAME.match(t)]
            if refs:
                out[sheet_key(refs[0])] = " ".join(t for t in texts if t != refs[0])
    return out


def _has_code_header(rows: list[list[Any]]) -> bool:
    return any(
        isinstance(v, str) and clean_label(v) in CODE_HEADERS for row in rows[:40] for v in row[:6]
    )


def _table_title(wb: Workbook, sheet: str, listed: dict[str, str]) -> str | None:
    """The title of ``sheet`` if it is a table of deaths by area to read, else None.

    A sheet named ``Table N``, listed on Contents, or holding an "Area code" header is
    a table: it is read, or skipped only when its title names a table this reader does
    not cover (registration delays, deprivation); anything else raises.
    """
    key = sheet_key(sheet)
    if SKIP_SHEET.match(clean_label(sheet)) or key in _CONTENTS:
        return None
    rows = wb.rows(sheet)
    named = bool(_TABLE_NAME.match(key)) or key in listed
    if not named and not _has_code_header(rows):
        return None  # a text sheet (e.g. a glossary or definitions)
    if all(is_blank(r) for r in rows):
        raise DataFormatError(
            "sheet is empty although it is a listed table (file cut down or damaged?)",
            file=wb.name,
            sheet=sheet,
        )
    title = clean_label(wb.title(sheet, max_rows=4))
    if measure_in(title) is None and not SKIP_TITLE.search(title) and listed.get(key):
        title = clean_label(listed[key])  # title cell cleared: the Contents description
    if SKIP_TITLE.search(title):
        return None
    if measure_in(title) is None:
        raise DataFormatError(
            "cannot tell what this table holds: its title (first rows) names neither "
            "drug poisoning nor drug misuse deaths and the Contents sheet does not "
            "describe it (title cleared?)",
            file=wb.name,
            sheet=sheet,
        )
    return title


def _check_completeness(wb: Workbook, tables: list[SheetTable]) -> list[str]:
    """Tables cut short raise; other differences in area lists come back as messages."""
    footer = [t for t in tables if t.has_footer]
    for t in tables:
        if footer and not t.has_footer:
            raise DataFormatError(
                f"the data stop at row {t.last_row} with no footnotes after them, while "
                f"{footer[0].sheet!r} and the other tables end with footnotes: rows are "
                "missing (file damaged or cut?)",
                file=wb.name,
                sheet=t.sheet,
                row=t.last_row,
            )
        for other in tables:
            a, b = t.areas, other.areas
            if other.span != t.span:
                continue  # single-year and multi-year tables may list different areas
            if len(a) < len(b) and b[: len(a)] == a:
                raise DataFormatError(
                    f"the table stops after {len(a)} of the {len(b)} areas that "
                    f"{other.sheet!r} lists in the same order (after {a[-1]}): rows are "
                    "missing (file damaged or cut?)",
                    file=wb.name,
                    sheet=t.sheet,
                    row=t.last_row,
                )
            if set(a) < set(b):  # tables of one kind (e.g. 3-year rates) list the same areas
                raise DataFormatError(
                    f"the table lists {len(a)} of the {len(b)} areas of {other.sheet!r}, a "
                    f"table of the same kind ({t.span}-year periods): "
                    f"{len(set(b) - set(a))} areas are missing (file damaged or cut?)",
                    file=wb.name,
                    sheet=t.sheet,
                )
    groups: dict[frozenset[str], list[str]] = {}
    for t in tables:
        groups.setdefault(frozenset(t.areas), []).append(t.sheet)
    if len(groups) < 2:
        return []
    union = frozenset().union(*groups)
    return [
        f"{len(areas)} areas in {', '.join(sheets)} ({len(union - areas)} of the "
        f"{len(union)} areas of the workbook missing there)"
        for areas, sheets in groups.items()
    ]


def _check_periods(wb: Workbook, tables: list[SheetTable]) -> list[str]:
    """Wide tables of one kind reach the same latest period; other differences come back.

    A table with one block of columns per period that stops before the latest period
    of the other tables of its kind (same period length) lost its newest column(s):
    raises. Gaps inside a table raise when its header is read
    (``_la_layouts._check_blocks``). A table whose periods start later than the
    others' is reported (it may be published so, or have lost its oldest columns).
    """
    by_span: dict[int, list[SheetTable]] = {}
    for t in tables:
        if t.periods:
            by_span.setdefault(t.span, []).append(t)
    notes: list[str] = []
    for span, group in by_span.items():
        latest = max(group, key=lambda t: t.periods[0][1])
        union = sorted({p for t in group for p in t.periods}, reverse=True)
        for t in group:
            if t.periods[0][1] < latest.periods[0][1]:
                newer = [period_text(p) for p in union if p[1] > t.periods[0][1]]
                raise DataFormatError(
                    f"the table's latest period is {period_text(t.periods[0])} but "
                    f"{latest.sheet!r}, a table of the same kind ({span}-year periods), "
                    f"goes to {period_text(latest.periods[0])}: no column for "
                    f"{', '.join(newer)} (column deleted?)",
                    file=wb.name,
                    sheet=t.sheet,
                )
            older = [p for p in union if p not in t.periods]
            if older:
                notes.append(
                    f"{t.sheet} starts at {period_text(t.periods[-1])}, without "
                    f"{len(older)} earlier period(s) of the other {span}-year tables "
                    f"({period_text(older[-1])} to {period_text(older[0])})"
                )
    return notes


def _check_duplicates(wb: Workbook, tables: list[SheetTable]) -> None:
    """One row per area, measure, sex and period: within a sheet and across sheets.

    The same figures on two sheets (a copied or hidden table) would count twice.
    Checked on integer keys built from the tables' compact arrays.
    """
    areas: dict[str, int] = {}
    measures: dict[str, int] = {}
    keys = []
    for t in tables:
        area = np.array([areas.setdefault(c, len(areas)) for c in t.row_codes], dtype=np.int64)
        measure = np.array([measures.setdefault(m, len(measures)) for m in t.measures])
        c = t.columns
        key = area[c["position"]] * 16 + measure[c["measure"]] * 4 + c["sex"]
        key = (key * 4096 + c["period_start"] - 1800) * 4096 + c["period_end"] - 1800
        keys.append(key)
    flat = np.concatenate(keys)
    dup = pd.Series(flat).duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    later_at = int(np.flatnonzero(dup)[0])
    first_at = int(np.flatnonzero(flat == flat[later_at])[0])
    bounds = np.cumsum([len(k) for k in keys])

    def locate(at: int) -> tuple[SheetTable, int, str]:
        i = int(np.searchsorted(bounds, at, side="right"))
        t = tables[i]
        j = at - (int(bounds[i - 1]) if i else 0)
        pos = int(t.columns["position"][j])
        c = t.columns
        what = (
            f"{t.row_codes[pos]} {t.measures[int(c['measure'][j])]} {SEXES[int(c['sex'][j])]} "
            f"{int(c['period_start'][j])}-{int(c['period_end'][j])}"
        )
        return t, int(t.row_numbers[pos]), what

    later, later_row, what = locate(later_at)
    first, first_row, _ = locate(first_at)
    if first.sheet == later.sheet:
        raise DataFormatError(
            f"duplicate row for {what} (first at row {first_row})",
            file=wb.name,
            sheet=later.sheet,
            row=later_row,
            column=column_letter(later.code_col),
        )
    hidden = " (a hidden sheet)" if later.sheet in wb.hidden_sheets else ""
    raise DataFormatError(
        f"the same table is on two sheets: {what} is also on sheet {first.sheet!r} row "
        f"{first_row}{hidden}; remove the copy",
        file=wb.name,
        sheet=later.sheet,
        row=later_row,
    )


def _text(
    labels: Sequence[str] | np.ndarray, codes: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """The ``str`` column ``labels[codes]``, built without a Python object per row.

    With pyarrow (pandas' default storage for ``str``), the labels form a small Arrow
    array and the column is one ``take`` from it, zero-copy into pandas; otherwise an
    object array of the labels goes through :func:`pandas.array`. The dtype is
    ``schema.DTYPES``' ``"str"`` as pandas resolves it now (``mode.string_storage``).
    """
    dtype = pd.StringDtype(na_value=np.nan)
    if dtype.storage == "pyarrow":
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]

        pool = pa.system_memory_pool()  # malloc: mimalloc reserves megabytes per call
        dictionary = pa.array(list(labels), type=pa.large_string(), memory_pool=pool)
        taken = pc.take(dictionary, pa.array(codes), memory_pool=pool)
        return pd.array(taken, dtype=dtype)
    return pd.array(np.asarray(labels, dtype=object)[codes], dtype=dtype)


def _assemble(tables: list[SheetTable]) -> pd.DataFrame:
    """One frame in the house schema from the tables' compact arrays.

    Text columns are built from their few distinct labels and integer codes (see
    :func:`_text`); each column is made once and handed to pandas without a copy or
    consolidation, so the peak is about the finished frame plus the tables' arrays.
    """
    sizes = [len(t.columns["position"]) for t in tables]
    n = sum(sizes)

    def joined(name: str, dtype: Any = None) -> np.ndarray:
        return np.concatenate([t.columns[name] for t in tables], dtype=dtype)

    def shifted(name: str, counts: list[int]) -> np.ndarray:
        """Codes ``name`` of every table shifted past the earlier tables' ``counts``."""
        starts = np.cumsum([0, *counts[:-1]]).tolist()
        return np.concatenate(
            [t.columns[name].astype(np.int32) + s for t, s in zip(tables, starts, strict=True)]
        )

    # every table's area rows (and measures) in one list; each tidy row's index into it
    area = shifted("position", [len(t.row_codes) for t in tables])
    measure = shifted("measure", [len(t.measures) for t in tables])
    columns: dict[str, Any] = {
        "area_code": _text(np.concatenate([t.row_codes for t in tables]), area),
        "area_name": _text(np.concatenate([t.row_names for t in tables]), area),
        "area_level": _text(np.concatenate([t.row_levels for t in tables]), area),
        "measure": _text([m for t in tables for m in t.measures], measure),
        "sex": _text(SEXES, joined("sex")),
        "period_start": joined("period_start", np.int64),
        "period_end": joined("period_end", np.int64),
    }
    del measure
    deaths = joined("deaths")
    missing = np.isnan(deaths)
    deaths[missing] = 0
    columns["deaths"] = pd.arrays.IntegerArray(deaths.astype(np.int64), missing)
    del deaths, missing
    columns.update({c: joined(c) for c in ("rate", "lcl", "ucl")})
    columns["rate_per"] = np.repeat(np.array([t.rate_per for t in tables], dtype=np.int64), sizes)
    columns["rate_status"] = _text(STATUS_NAMES, joined("rate_status"))
    columns["edition"] = np.full(n, columns["period_end"].max(), dtype=np.int64)
    columns["sheet"] = _text([t.sheet for t in tables], np.repeat(np.arange(len(tables)), sizes))
    columns["row"] = np.concatenate([t.row_numbers for t in tables])[area]
    del area
    # copy=False: each column is new and owned by the frame (no copy, no consolidation)
    return pd.DataFrame({c: columns.pop(c) for c in DEATHS_COLUMNS}, copy=False)


def read_local_authority(source: Source) -> pd.DataFrame:
    """Read an ONS "Deaths related to drug poisoning by local authority" workbook.

    Every table of deaths by area is read: single-year counts (drug poisoning,
    drug misuse) and the three-year tables of deaths with age-standardised
    rates and confidence limits (poisoning/misuse × persons/males/females),
    including the rows whose rates are not calculated or unreliable.
    Tables are found by their title and header text, not by sheet number, so
    both the layout used to 2021 (``Table 1``…, "Area Codes" header, 6-column
    period blocks labelled ``2017–19``, ``:`` and ``U`` markers, area level
    shown by which name column is filled) and ONS's accessible layout
    (``Table_1``…, ``Cover``/``Notes`` sheets, ``[note N]`` in headers, periods
    ``2020 to 2022``, shorthand ``[x]``, ``[c]``, ``[z]``, ``[u]``, ``[low]``,
    long or wide tables) load to the same shape. Tables of registration delays
    are skipped.

    Parameters
    ----------
    source : path or binary file object
        ``.xls`` or ``.xlsx`` workbook; the format is detected from content.

    Returns
    -------
    pandas.DataFrame
        Tidy long table with the columns in
        :data:`~overdose_trends.schema.DEATHS_COLUMNS` (documented in the module
        docstring): one row per area, measure, sex and period. Rates
        are per 100,000 (``rate_per``), age-standardised to the 2013 ESP.
        ``df.attrs["skipped_sheets"]`` lists sheets that were not tables of
        deaths by area; ``df.attrs["ignored_rows"]`` lists rows with no area
        code that held only markers (no numbers), which are also reported in
        a warning; ``df.attrs["area_differences"]`` describes tables that cover
        different area lists (also a warning; e.g. the 2019 edition lists
        England and Wales only in its single-year tables);
        ``df.attrs["period_differences"]`` names tables with one column block
        per period that start later than the others of the same period length
        (also a warning).

    Raises
    ------
    DataFormatError
        Unknown layout; a listed table missing, emptied, without a usable title
        or header, or cut short (damaged file); a value column missing from
        a table (a rate without its deaths or limits, a period block without a
        field the others have, a year skipped in a single-year table, newest
        periods missing); a truncated, corrupt or
        oversized workbook (see ``io._workbook.open_workbook``);
        text, a blank, an error or a merged cell where a number belongs; impossible
        counts, rates or limits; a period of another length; duplicated area rows,
        within a sheet or across sheets; a data row after the footnotes. The
        message names the file, sheet, row and column.
    FileNotFoundError
        If ``source`` is a path that does not exist.

    Examples
    --------
    An excerpt of the 2019 edition ships with the package (Tables 1 and 3 for
    seven areas, cell for cell as published; see ``data/README.md``):

    >>> path = ot.datasets.data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx"
    >>> df = ot.read_local_authority(path)
    >>> len(df), df.attrs["skipped_sheets"]
    (291, ['Contents', 'Notes, Terms and Conditions', 'Definition'])
    >>> southend = df.query("area_code == 'E06000033' and period_start == 2013")
    >>> columns = ["period_end", "deaths", "rate", "lcl", "ucl", "rate_status"]
    >>> southend[columns].reset_index(drop=True)
       period_end  deaths  rate  lcl   ucl    rate_status
    0        2013      16   NaN  NaN   NaN  not_available
    1        2015      47   8.8  6.5  11.7             ok

    The markers become statuses: ``:`` (fewer than 10 deaths) and ``U`` (10-19):

    >>> castle_point = df.query("area_name == 'Castle Point' and period_end > period_start")
    >>> castle_point.groupby("rate_status")["deaths"].agg(["size", "min", "max"])
                    size  min  max
    rate_status
    not_calculated    11    2    8
    unreliable         6   11   13

    References
    ----------
    ONS (2020) "Deaths related to drug poisoning by local authority, England and
    Wales, 1993 to 2019", dataset drugmisusedeathsbylocalauthority.
    """
    wb = open_workbook(source)
    check_contents(wb)
    listed = _contents_titles(wb)
    ignored: list[dict[str, Any]] = []
    tables: list[SheetTable] = []
    skipped: list[str] = []
    for sheet in wb.sheet_names:
        title = _table_title(wb, sheet, listed)
        if title is None:
            skipped.append(sheet)
        else:
            tables.append(read_table(wb, sheet, title, ignored))
        wb.release(sheet)  # one sheet's grid in memory at a time
    if not tables:
        raise DataFormatError(
            "no tables of deaths by local authority found (looked for sheets with an "
            f"'Area code' header; sheets are {wb.sheet_names})",
            file=wb.name,
        )
    differences = _check_completeness(wb, tables)
    period_notes = _check_periods(wb, tables)
    _check_duplicates(wb, tables)
    out = _assemble(tables)
    out.attrs["source"] = wb.name
    out.attrs["skipped_sheets"] = skipped
    out.attrs["ignored_rows"] = ignored
    out.attrs["area_differences"] = differences
    out.attrs["period_differences"] = period_notes
    if ignored:
        warnings.warn(
            f"{wb.name}: {len(ignored)} row(s) without an area code held only markers and were "
            f"not loaded (see df.attrs['ignored_rows']); first: {ignored[0]}",
            stacklevel=2,
        )
    if differences:
        warnings.warn(
            f"{wb.name}: the tables do not cover the same areas: " + "; ".join(differences),
            stacklevel=2,
        )
    if period_notes:
        warnings.warn(
            f"{wb.name}: the tables do not cover the same periods: " + "; ".join(period_notes),
            stacklevel=2,
        )
    return out


def check_consistency(df: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cross-check a table from :func:`read_local_authority`, or two editions of it.

    Two checks within an edition, following ONS's own publication rules:

    * ``"sum_of_years"``: for each area, measure and sex with a multi-year
      period (e.g. 2013-15) and single-year counts for every year in it, the
      single years should add up to the period's deaths.
    * ``"rate_below_10"``: a rate is published although fewer than 10 deaths
      were registered (ONS does not calculate rates from fewer than 10).

    With ``previous`` (another edition), a third check:

    * ``"revised"``: a figure (deaths, rate, limits or rate status) of an area,
      measure, sex and period published in both editions differs between them.
      ONS revises back years in every edition (late registrations, corrected
      causes of death, revised population estimates). Rows published in only one
      edition (areas created or abolished by geography changes such as the 2021
      and 2023 unitary authorities, new periods) are not revisions and are not listed.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`read_local_authority` (needs the tidy columns).
    previous : pandas.DataFrame, optional
        Another edition read by :func:`read_local_authority`; the two are ordered
        by their ``edition`` column.

    Returns
    -------
    pandas.DataFrame
        One row per problem with columns ``check``, ``area_code``,
        ``area_name``, ``measure``, ``sex``, ``period_start``, ``period_end``,
        ``expected``, ``found``, ``sheet``, ``row`` and ``message``; empty
        when everything agrees. For ``"revised"`` rows, ``expected`` and
        ``found`` are the earlier and the later edition's deaths, and ``sheet``,
        ``row`` point into the later edition.

    Raises
    ------
    ValueError
        If ``previous`` is given and either table is not exactly one edition, or
        both are the same edition.

    Examples
    --------
    In the 2019 edition the three-year drug-misuse totals of two Welsh areas
    do not match their single years (they appear exchanged):

    >>> la = ot.datasets.la_deaths().query(
    ...     "area_code in ['W06000016', 'W06000024'] and measure == 'misuse'"
    ... )
    >>> problems = ot.check_consistency(la)
    >>> len(problems), problems["check"].unique().tolist()
    (18, ['sum_of_years'])
    >>> problems["message"].iloc[0]
    'single years 2009-2011 sum to 43 but the period shows 13'

    Two editions: here a later edition is simulated by revising one year (ONS
    revises back years when late registrations arrive):

    >>> later = la.assign(edition=2020)
    >>> year = (later["area_code"] == "W06000016") & (later["period_start"] == 2018)
    >>> later.loc[year & (later["period_end"] == 2018), "deaths"] += 2
    >>> found = ot.check_consistency(later, previous=la)
    >>> revised = found[found["check"] == "revised"]
    >>> revised[["period_start", "period_end", "expected", "found"]].to_numpy().tolist()
    [[2018, 2018, 23, 25]]
    >>> revised["message"].iloc[0]
    'revised between the 2019 and 2020 editions: deaths 23 -> 25'
    """
    checks = [_sum_of_years(df), _rate_below_10(df)]
    if previous is not None:
        checks.append(revisions(df, previous))
    problems = [p for p in checks if len(p)]
    if not problems:
        return pd.DataFrame(columns=_CONSISTENCY_COLUMNS)
    res = pd.concat(problems, ignore_index=True)[_CONSISTENCY_COLUMNS]
    res["expected"] = res["expected"].astype("Int64")
    res["found"] = res["found"].astype("Int64")
    return res.reset_index(drop=True)


#: Columns of :func:`check_consistency`.
_CONSISTENCY_COLUMNS = [
    "check",
    "area_code",
    "area_name",
    "measure",
    "sex",
    "period_start",
    "period_end",
    "expected",
    "found",
    "sheet",
    "row",
    "message",
]


def _sum_of_years(df: pd.DataFrame) -> pd.DataFrame:
    """Multi-year rows whose deaths differ from the sum of their single years."""
    keys = ["area_code", "measure", "sex"]
    single = df[(df["period_start"] == df["period_end"]) & df["deaths"].notna()]
    multi = df[(df["period_end"] > df["period_start"]) & df["deaths"].notna()]
    if not (len(single) and len(multi)):
        return df.iloc[:0]
    span = multi[[*keys, "period_start", "period_end"]].copy()
    span["_id"] = np.arange(len(span))
    span["year"] = [
        list(range(a, b + 1)) for a, b in zip(span["period_start"], span["period_end"], strict=True)
    ]
    long = span.explode("year").astype({"year": "int64"})
    joined = long.merge(
        single[[*keys, "period_start", "deaths"]].rename(columns={"period_start": "year"}),
        on=[*keys, "year"],
        how="inner",
    )
    agg = joined.groupby("_id").agg(n=("year", "size"), total=("deaths", "sum"))
    width = (span["period_end"] - span["period_start"] + 1).to_numpy()
    agg = agg[agg["n"].to_numpy() == width[agg.index.to_numpy()]]
    m = multi.iloc[agg.index.to_numpy()].copy()
    m["expected"] = agg["total"].to_numpy()
    m["found"] = m["deaths"]
    bad = m[m["expected"] != m["found"]].copy()
    bad["check"] = "sum_of_years"
    bad["message"] = [
        f"single years {a}-{b} sum to {e} but the period shows {f}"
        for a, b, e, f in zip(
            bad["period_start"], bad["period_end"], bad["expected"], bad["found"], strict=True
        )
    ]
    return bad


def _rate_below_10(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with a rate although the ONS rule says it is not calculated."""
    too_few = rate_status(df["deaths"].astype("float64")) == "not_calculated"
    low = df[df["rate"].notna().to_numpy() & too_few].copy()
    low["check"] = "rate_below_10"
    low["expected"] = pd.NA
    low["found"] = low["deaths"]
    low["message"] = [
        f"rate {r} published from {d} deaths (< {MIN_DEATHS_FOR_RATE})"
        for r, d in zip(low["rate"], low["deaths"], strict=True)
    ]
    return low
