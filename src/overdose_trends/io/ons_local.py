"""Loaders for ONS drug-poisoning workbooks.

:func:`read_local_authority` reads the ONS dataset "Deaths related to drug
poisoning by local authority, England and Wales" in any of its edition layouts
into one tidy, long table. :func:`~overdose_trends.io.ons_national.read_national` (from
:mod:`overdose_trends.io.ons_national`) reads the national reference tables.
:func:`check_consistency` cross-checks a loaded table.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.constants import (
    AREA_LEVELS,
    GSS_CODE,
    MIN_DEATHS_FOR_RATE,
    PER_100K,
    PER_MILLION,
    SEX_LABELS,
)
from overdose_trends.errors import DataFormatError
from overdose_trends.io._workbook import (
    Source,
    Workbook,
    blank_rate_status,
    check_contents,
    clean_label,
    column_letter,
    open_workbook,
    parse_number,
    period_of_cell,
    strip_footnotes,
)
from overdose_trends.schema import DEATHS_COLUMNS, rate_status

__all__ = ["check_consistency", "read_local_authority"]


_SKIP_SHEET = re.compile(
    r"^(contents?|cover|notes?|definitions?|notes,? terms.*|metadata|terms.*)$"
)
_SKIP_TITLE = re.compile(r"registration delay|median delay|occurrence year|imd|deprivation")
_CODE_HEADERS = {
    "area codes",
    "area code",
    "code",
    "geography code",
    "local authority code",
    "la code",
}
_NAME_HEADERS = {
    "area names",
    "area name",
    "name",
    "geography name",
    "local authority name",
    "la name",
}
#: Descriptive columns some editions add beside the name; their text is not needed.
_INFO_HEADERS = re.compile(
    r"^(area type|geography( type| level)?|area level|level|type|country|region|county|"
    r"(region|county|country|upper tier|parent) (name|code)|local authority type)$"
)
_PERIOD_HEADERS = re.compile(
    r"^(period|year|years|registration (year|period)|year of (death )?registration|"
    r"years? of (death )?registration|time period|registration years?)$"
)
_PERIOD_IN_TEXT = re.compile(
    r"(\d{4}\s*(?:to|[-\u2013\u2014])\s*\d{2,4}|(?<!\d)(?:19|20)\d{2}(?!\d))"
)


def _sex_in(text: str) -> str | None:
    for word, sex in (("females", "females"), ("males", "males"), ("persons", "persons")):
        if re.search(rf"\b{word}\b", text):
            return sex
    return None


def _measure_in(text: str) -> str | None:
    if re.search(r"drug misuse", text) and not re.search(r"poisoning and (drug )?misuse", text):
        return "misuse"
    if "drug poisoning" in text or "drug-related poisoning" in text:
        return "poisoning"
    return None


def _field_of(label: str) -> str | None:
    """Classify a cleaned header label as a value field."""
    text = strip_footnotes(label)
    if not text:
        return None
    if re.search(r"marker|reliab|quality|flag", text):
        return "marker"
    if "lower" in text:
        return "lcl"
    if "upper" in text:
        return "ucl"
    if "rate" in text or "asmr" in text or "standardised" in text:
        return "rate"
    if "death" in text or text in {"number", "count", "n"} or text.startswith("number"):
        return "deaths"
    return None


@dataclass
class _Column:
    index: int
    field: str | None = None  # deaths, rate, lcl, ucl, marker
    period: tuple[int, int] | None = None
    sex: str | None = None
    measure: str | None = None


@dataclass
class _Layout:
    sheet: str
    header_row: int  # 0-based index of the row holding the area-code header
    data_start: int
    code_col: int
    name_cols: list[int]
    period_col: int | None = None
    sex_col: int | None = None
    values: list[_Column] = field(default_factory=list)
    ignored: list[int] = field(default_factory=list)  # unlabelled columns that must stay empty


def _split_period(label: str) -> tuple[tuple[int, int] | None, str]:
    """Find a period inside a header label; return it and the remaining text."""
    whole = period_of_cell(label)
    if whole is not None:
        return whole, ""
    m = _PERIOD_IN_TEXT.search(label)
    if m:
        period = period_of_cell(m.group(1))
        if period is not None:
            return period, (label[: m.start()] + " " + label[m.end() :]).strip(" ,:-")
    return None, label


def _find_header_row(wb: Workbook, sheet: str, rows: Sequence[Sequence[Any]]) -> int:
    for i, row in enumerate(rows[:40]):
        for v in row[:6]:
            if isinstance(v, str) and clean_label(v) in _CODE_HEADERS:
                return i
    raise DataFormatError(
        "no header row with an 'Area code(s)' column in the first 40 rows: unknown layout",
        file=wb.name,
        sheet=sheet,
    )


def _is_blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _detect_layout(wb: Workbook, sheet: str, rows: Sequence[Sequence[Any]]) -> _Layout:
    h = _find_header_row(wb, sheet, rows)

    def header_error(message: str, j: int | None = None) -> DataFormatError:
        column = None if j is None else column_letter(j)
        return DataFormatError(message, file=wb.name, sheet=sheet, row=h + 1, column=column)

    header = rows[h]
    code_col = next(
        j for j, v in enumerate(header) if isinstance(v, str) and clean_label(v) in _CODE_HEADERS
    )
    # First data row: first row below the header whose code cell is a GSS code.
    data_start = next(
        (
            i
            for i in range(h + 1, len(rows))
            if code_col < len(rows[i]) and GSS_CODE.match(str(rows[i][code_col]).strip())
        ),
        None,
    )
    if data_start is None:
        raise DataFormatError(
            "no data rows (no GSS area code below the header)",
            file=wb.name,
            sheet=sheet,
            row=h + 2,
            column=column_letter(code_col),
        )
    # Header block: group-header rows just above the code row, and rows down to the data.
    top = h
    while (
        top - 1 >= 0
        and not _is_blank(rows[top - 1])
        and any(
            not (v is None or (isinstance(v, str) and not v.strip()))
            for v in rows[top - 1][code_col + 1 :]
        )
    ):
        top -= 1
    block = [rows[i] for i in range(top, data_start)]
    width = max(len(r) for r in rows[h:])

    layout = _Layout(
        sheet=sheet, header_row=h, data_start=data_start, code_col=code_col, name_cols=[]
    )
    cols: list[_Column] = []
    # Running group context per header row (forward-filled across merged cells).
    ctx_period: list[tuple[int, int] | None] = [None] * len(block)
    ctx_sex: list[str | None] = [None] * len(block)
    ctx_measure: list[str | None] = [None] * len(block)
    for j in range(width):
        labels = [clean_label(r[j]) if j < len(r) else "" for r in block]
        if j == code_col:
            continue
        joined = " ".join(x for x in labels if x)
        if j > code_col and (
            joined in _NAME_HEADERS or (not joined and not cols and j < code_col + 4)
        ):
            # name columns: the "Area names" header and the unlabelled columns beside it
            if not any(c.period for c in cols):
                layout.name_cols.append(j)
                continue
        if _PERIOD_HEADERS.match(joined):
            layout.period_col = j
            continue
        if joined in {"sex", "gender"}:
            layout.sex_col = j
            continue
        if _INFO_HEADERS.match(strip_footnotes(joined)):
            continue
        col = _Column(index=j)
        field_text = []
        for k, lab in enumerate(labels):
            if not lab:
                continue
            period, rest = _split_period(lab)
            if period is not None:
                ctx_period[k] = period
                # a new period group resets lower-level context in the rows below
                for kk in range(k + 1, len(block)):
                    ctx_sex[kk] = ctx_measure[kk] = None
            if rest:
                sex = SEX_LABELS.get(strip_footnotes(rest))
                measure = _measure_in(rest) if not _field_of(rest) else None
                if sex:
                    ctx_sex[k] = sex
                elif measure:
                    ctx_measure[k] = measure
                else:
                    field_text.append(rest)
        col.period = next((p for p in ctx_period if p is not None), None)
        col.sex = next((s for s in reversed(ctx_sex) if s), None)
        col.measure = next((m for m in reversed(ctx_measure) if m), None)
        fields = {_field_of(t) for t in field_text} - {None}
        if len(fields) > 1:
            raise header_error(f"ambiguous header {joined!r}", j)
        col.field = fields.pop() if fields else None
        if field_text and col.field is None:
            raise header_error(f"unrecognised column header {joined!r}", j)
        cols.append(col)

    # Unlabelled columns: a lone column under a period is a count (single-year tables);
    # the unlabelled column right after a rate holds its reliability marker (older layout);
    # any other unlabelled column must be empty in every data row.
    labelled_periods = {c.period for c in cols if c.field}
    for pos, col in enumerate(cols):
        if col.field is not None:
            continue
        if col.period is not None and col.period not in labelled_periods:
            col.field = "deaths"
        elif pos > 0 and cols[pos - 1].field == "rate" and cols[pos - 1].index == col.index - 1:
            col.field = "marker"
    layout.values = [c for c in cols if c.field]
    layout.ignored = [c.index for c in cols if not c.field]
    if not layout.values:
        raise header_error("no value columns (deaths/rate) recognised in the header")
    if layout.period_col is None and any(c.period is None for c in layout.values):
        bad = next(c for c in layout.values if c.period is None)
        raise header_error("value column has no registration period in its header", bad.index)
    if not layout.name_cols:
        raise header_error("no area-name column")
    return layout


def _rate_per(wb: Workbook, sheet: str, rows: Sequence[Sequence[Any]]) -> int:
    text = " ".join(str(v) for r in rows for v in r[:2] if isinstance(v, str)).lower()
    if re.search(r"per (1 )?million|per 1,000,000", text):
        return PER_MILLION
    return PER_100K


def _area_level(code: str, name_pos: int) -> str:
    level = AREA_LEVELS.get(code[:3])
    if level:
        return level
    return ("country_or_region", "county_or_unitary", "district")[min(name_pos, 2)]


def _has_number(value: Any) -> bool:
    try:
        return parse_number(value).value is not None
    except ValueError:
        return True  # text where a number belongs: a data cell, reported by the caller


def _read_sheet(
    wb: Workbook, sheet: str, title: str, ignored: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = wb.rows(sheet)
    layout = _detect_layout(wb, sheet, rows)
    measure_default = _measure_in(title)
    sex_default = _sex_in(title) or "persons"
    per = _rate_per(wb, sheet, rows)
    out: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}

    def err(msg: str, i: int, j: int | None = None) -> DataFormatError:
        return DataFormatError(
            msg,
            file=wb.name,
            sheet=sheet,
            row=i + 1,
            column=None if j is None else column_letter(j),
        )

    # group value columns into blocks of (period, sex, measure)
    blocks: dict[tuple, dict[str, int]] = {}
    for c in layout.values:
        key = (c.period, c.sex, c.measure)
        fields = blocks.setdefault(key, {})
        assert c.field is not None  # value columns name their field
        if c.field in fields:
            raise err(f"two {c.field!r} columns for the same period", layout.header_row, c.index)
        fields[c.field] = c.index

    ended = False
    width = max(len(r) for r in rows)
    for i in range(layout.data_start, len(rows)):
        row = rows[i]
        if _is_blank(row):
            continue
        if len(row) < width:
            row = [*row, *([""] * (width - len(row)))]
        code = str(row[layout.code_col]).strip()
        if not GSS_CODE.match(code):
            if any(_has_number(row[c.index]) for c in layout.values):
                raise err(f"area code {code!r} is not a GSS code", i, layout.code_col)
            stray = [row[c.index] for c in layout.values if not _is_blank([row[c.index]])]
            if stray:
                # e.g. a blank separator row holding only ':' markers (2019 edition, Table 6)
                ignored.append(
                    {
                        "sheet": sheet,
                        "row": i + 1,
                        "reason": f"row without an area code holds only markers {stray}",
                    }
                )
            elif not code and not _is_blank(row[: layout.code_col + 1 + len(layout.name_cols)]):
                ended = True
            elif code:
                ended = True  # footnotes / source lines after the table
            continue
        if ended:
            raise err("data row found after the table's footnotes", i, layout.code_col)
        names = [(pos, str(row[j]).strip()) for pos, j in enumerate(layout.name_cols)]
        names = [(pos, n) for pos, n in names if n]
        if not names:
            raise err("area name is empty", i, layout.name_cols[0])
        name_pos, name = names[0]
        for j in layout.ignored:
            if not _is_blank([row[j]]):
                raise err(f"unexpected value {row[j]!r} in an unlabelled column", i, j)
        row_period = None
        if layout.period_col is not None:
            row_period = period_of_cell(row[layout.period_col])
            if row_period is None:
                raise err(f"cannot read period {row[layout.period_col]!r}", i, layout.period_col)
        row_sex = None
        if layout.sex_col is not None:
            row_sex = SEX_LABELS.get(clean_label(row[layout.sex_col]))
            if row_sex is None:
                raise err(f"unknown sex {row[layout.sex_col]!r}", i, layout.sex_col)
        for (period, sex, measure), fields in blocks.items():
            period = period or row_period
            sex = sex or row_sex or sex_default
            measure = measure or measure_default
            if measure is None:
                raise err("cannot tell whether the table is drug poisoning or drug misuse", i)
            if period is None:
                raise err("no registration year or period for this row", i)
            values: dict[str, Any] = {}
            statuses: list[str] = []
            for fname, j in fields.items():
                raw = row[j]
                if fname == "marker":
                    text = clean_label(raw)
                    if text in {"", "ok"}:
                        continue
                    parsed = parse_number(raw) if text else None
                    if parsed is None or parsed.status is None:
                        raise err(f"unknown marker {raw!r}", i, j)
                    statuses.append(parsed.status)
                    continue
                try:
                    parsed = parse_number(raw)
                except ValueError as exc:
                    raise err(str(exc), i, j) from None
                values[fname] = parsed.value
                if parsed.status:
                    statuses.append(parsed.status)
            deaths = values.get("deaths")
            if deaths is not None and (deaths < 0 or not float(deaths).is_integer()):
                raise err(
                    f"deaths must be a whole number >= 0, found {deaths!r}", i, fields["deaths"]
                )
            rate = values.get("rate")
            if "rate" not in fields:
                status = "not_available" if not statuses else statuses[0]
            elif rate is not None:
                status = "unreliable" if "unreliable" in statuses else "ok"
            else:
                status = blank_rate_status(deaths, statuses)
            row_key = (code, measure, sex, period)
            if row_key in seen:
                raise err(
                    f"duplicate row for {code} {measure} {sex} {period[0]}-{period[1]} "
                    f"(first at row {seen[row_key] + 1})",
                    i,
                    layout.code_col,
                )
            seen[row_key] = i
            out.append(
                {
                    "area_code": code,
                    "area_name": name,
                    "area_level": _area_level(code, name_pos),
                    "measure": measure,
                    "sex": sex,
                    "period_start": period[0],
                    "period_end": period[1],
                    "deaths": deaths,
                    "rate": rate,
                    "lcl": values.get("lcl"),
                    "ucl": values.get("ucl"),
                    "rate_per": per,
                    "rate_status": status,
                    "sheet": sheet,
                    "row": i + 1,
                }
            )
    return out


def _data_sheets(wb: Workbook) -> list[tuple[str, str]]:
    """(sheet, title) for sheets that hold tables of deaths by area."""
    found = []
    for sheet in wb.sheet_names:
        if _SKIP_SHEET.match(clean_label(sheet)):
            continue
        title = clean_label(wb.title(sheet, max_rows=4))
        if _SKIP_TITLE.search(title):
            continue
        found.append((sheet, title))
    return found


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
        a warning.

    Raises
    ------
    DataFormatError
        Unknown layout, missing tables, truncated or corrupt file, text where a
        number belongs, duplicated area rows, or a data row after the footnotes;
        the message names the file, sheet, row and column.

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
    sheets = _data_sheets(wb)
    records: list[dict[str, Any]] = []
    ignored: list[dict[str, Any]] = []
    skipped = [s for s in wb.sheet_names if s not in {name for name, _ in sheets}]
    for sheet, title in sheets:
        if "death" not in title:
            skipped.append(sheet)  # a text sheet (e.g. a glossary) with an unexpected name
            continue
        records.extend(_read_sheet(wb, sheet, title, ignored))
    if not records:
        raise DataFormatError(
            "no tables of deaths by local authority found (looked for sheets with an "
            f"'Area code' header; sheets are {wb.sheet_names})",
            file=wb.name,
        )
    df = pd.DataFrame.from_records(records)
    df["deaths"] = df["deaths"].astype("Int64")
    for col in ("rate", "lcl", "ucl"):
        df[col] = df[col].astype("float64")
    df["period_start"] = df["period_start"].astype("int64")
    df["period_end"] = df["period_end"].astype("int64")
    df["rate_per"] = df["rate_per"].astype("int64")
    df["row"] = df["row"].astype("int64")
    df["edition"] = int(df["period_end"].max())
    df = df.loc[:, list(DEATHS_COLUMNS)]
    df.attrs["source"] = wb.name
    df.attrs["skipped_sheets"] = skipped
    df.attrs["ignored_rows"] = ignored
    if ignored:
        warnings.warn(
            f"{wb.name}: {len(ignored)} row(s) without an area code held only markers and were "
            f"not loaded (see df.attrs['ignored_rows']); first: {ignored[0]}",
            stacklevel=2,
        )
    return df


def check_consistency(df: pd.DataFrame) -> pd.DataFrame:
    """Cross-check a table from :func:`read_local_authority`.

    Two checks, following ONS's own publication rules:

    * ``"sum_of_years"``: for each area, measure and sex with a multi-year
      period (e.g. 2013-15) and single-year counts for every year in it, the
      single years should add up to the period's deaths.
    * ``"rate_below_10"``: a rate is published although fewer than 10 deaths
      were registered (ONS does not calculate rates from fewer than 10).

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`read_local_authority` (needs the tidy columns).

    Returns
    -------
    pandas.DataFrame
        One row per problem with columns ``check``, ``area_code``,
        ``area_name``, ``measure``, ``sex``, ``period_start``, ``period_end``,
        ``expected``, ``found``, ``sheet``, ``row`` and ``message``; empty
        when everything agrees.

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
    """
    problems = [p for p in (_sum_of_years(df), _rate_below_10(df)) if len(p)]
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
