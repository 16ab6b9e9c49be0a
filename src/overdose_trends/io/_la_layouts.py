"""Header layouts of the ONS local-authority tables (private to :mod:`.ons_local`).

Finds a table's header block (the row with the "Area code(s)" header and the
group-header rows above it), classifies every column as area code, area name,
period, sex, descriptive text or a value field (deaths, rate, limits, marker)
and attaches each value column's registration period, sex and measure. Works
for the layout used to 2021 (merged period groups over Deaths | Rate | marker |
LCL | UCL) and ONS's accessible layout from 2022 (one header row, ``[note N]``,
periods "2020 to 2022", long tables with a period and a sex column).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from overdose_trends.constants import AREA_LEVELS, GSS_CODE, PER_100K, PER_MILLION, SEX_LABELS
from overdose_trends.errors import DataFormatError
from overdose_trends.io._workbook import (
    Workbook,
    clean_label,
    column_letter,
    period_of_cell,
    strip_footnotes,
)

SKIP_SHEET = re.compile(r"^(contents?|cover|notes?|definitions?|notes,? terms.*|metadata|terms.*)$")
SKIP_TITLE = re.compile(r"registration delay|median delay|occurrence year|imd|deprivation")
CODE_HEADERS = {
    "area codes",
    "area code",
    "code",
    "geography code",
    "local authority code",
    "la code",
}
NAME_HEADERS = {
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


def sex_in(text: str) -> str | None:
    for word, sex in (("females", "females"), ("males", "males"), ("persons", "persons")):
        if re.search(rf"\b{word}\b", text):
            return sex
    return None


def measure_in(text: str) -> str | None:
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
class ValueColumn:
    index: int
    field: str | None = None  # deaths, rate, lcl, ucl, marker
    period: tuple[int, int] | None = None
    sex: str | None = None
    measure: str | None = None


@dataclass
class Layout:
    sheet: str
    header_row: int  # 0-based index of the row holding the area-code header
    data_start: int
    code_col: int
    name_cols: list[int]
    period_col: int | None = None
    sex_col: int | None = None
    values: list[ValueColumn] = field(default_factory=list)
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


def find_header_row(wb: Workbook, sheet: str, rows: Sequence[Sequence[Any]]) -> int:
    for i, row in enumerate(rows[:40]):
        for v in row[:6]:
            if isinstance(v, str) and clean_label(v) in CODE_HEADERS:
                return i
    raise DataFormatError(
        "no header row with an 'Area code(s)' column in the first 40 rows: unknown layout",
        file=wb.name,
        sheet=sheet,
    )


def is_blank(row: Sequence[Any]) -> bool:
    """Whether every cell of ``row`` is empty or whitespace."""
    if isinstance(row, list) and row.count("") == len(row):
        return True
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def detect_layout(wb: Workbook, sheet: str, rows: Sequence[Sequence[Any]]) -> Layout:
    h = find_header_row(wb, sheet, rows)

    def header_error(message: str, j: int | None = None) -> DataFormatError:
        column = None if j is None else column_letter(j)
        return DataFormatError(message, file=wb.name, sheet=sheet, row=h + 1, column=column)

    header = rows[h]
    code_col = next(
        j for j, v in enumerate(header) if isinstance(v, str) and clean_label(v) in CODE_HEADERS
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
        and not is_blank(rows[top - 1])
        and any(
            not (v is None or (isinstance(v, str) and not v.strip()))
            for v in rows[top - 1][code_col + 1 :]
        )
    ):
        top -= 1
    block = [rows[i] for i in range(top, data_start)]
    width = max(len(r) for r in rows[h:])

    layout = Layout(
        sheet=sheet, header_row=h, data_start=data_start, code_col=code_col, name_cols=[]
    )
    cols: list[ValueColumn] = []
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
            joined in NAME_HEADERS or (not joined and not cols and j < code_col + 4)
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
        col = ValueColumn(index=j)
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
                measure = measure_in(rest) if not _field_of(rest) else None
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
    spans = [c.period[1] - c.period[0] for c in layout.values if c.period]
    if spans:
        usual = max(sorted(set(spans)), key=spans.count)
        for c in layout.values:
            if c.period and c.period[1] - c.period[0] != usual:
                raise header_error(
                    f"period {c.period[0]}-{c.period[1]} spans {c.period[1] - c.period[0] + 1} "
                    f"years but the table's other periods span {usual + 1} (a "
                    f"{'single-year' if usual == 0 else f'{usual + 1}-year'} table must not mix "
                    "period lengths)",
                    c.index,
                )
    _check_blocks(layout, header_error)
    return layout


#: Value fields as the messages name them.
_FIELD_NAMES = {
    "deaths": "number of deaths",
    "rate": "rate",
    "marker": "rate marker",
    "lcl": "lower confidence limit",
    "ucl": "upper confidence limit",
}


def period_text(period: tuple[int, int]) -> str:
    """``2019`` for a single year, ``2017-2019`` for a longer period."""
    return str(period[0]) if period[0] == period[1] else f"{period[0]}-{period[1]}"


def _check_blocks(layout: Layout, header_error: Any) -> None:
    """Every period block holds the same value columns, and no period is skipped.

    A block is the value columns of one period (sex, measure) of a wide table, or the
    value columns of a long table. A column deleted from a table would otherwise leave
    its figures NaN (a rate "ok" without limits) or drop a year without a word:

    * a rate needs its lower and upper confidence limits and the number of deaths
      (ONS publishes the four together in these tables), and limits need their rate;
    * every block of a table has the same fields (deaths, rate, marker, limits);
    * the years of a wide single-year table follow one another (``2019, 2018, ...``):
      there one column is one year, so a deleted column would drop a year (in a
      multi-year table a deleted column leaves its block without a field, above);
    * every sex and measure of a wide table has the same periods.
    """
    blocks: dict[tuple[Any, ...], dict[str, int]] = {}
    for c in layout.values:
        assert c.field is not None  # value columns name their field
        blocks.setdefault((c.period, c.sex, c.measure), {}).setdefault(c.field, c.index)

    def where(key: tuple[Any, ...]) -> str:
        period, sex, measure = key
        parts = [period_text(period) if period else "", sex or "", measure or ""]
        text = " ".join(p for p in parts if p)
        return f"the {text} columns have" if text else "the table has"

    for key, fields in blocks.items():
        first = min(fields.values())
        if "rate" in fields or "lcl" in fields or "ucl" in fields:
            lacking = [f for f in ("deaths", "rate", "lcl", "ucl") if f not in fields]
            if lacking:
                names = " and ".join(_FIELD_NAMES[f] for f in lacking)
                raise header_error(
                    f"{where(key)} no {names} column: a rate is published with its "
                    "number of deaths and both confidence limits (column deleted?)",
                    first,
                )
    every = set().union(*blocks.values())
    for key, fields in blocks.items():
        lacking = [
            f for f in ("deaths", "rate", "marker", "lcl", "ucl") if f in every - set(fields)
        ]
        if lacking:
            names = " and ".join(_FIELD_NAMES[f] for f in lacking)
            raise header_error(
                f"{where(key)} no {names} column although the table's other "
                "periods have one (column deleted?)",
                min(fields.values()),
            )
    _check_period_steps(blocks, header_error)


def _check_period_steps(blocks: dict[tuple[Any, ...], dict[str, int]], header_error: Any) -> None:
    """Years of a single-year table one step apart; the same periods for each sex and measure."""
    groups: dict[tuple[Any, ...], dict[tuple[int, int], int]] = {}
    for (period, sex, measure), fields in blocks.items():
        if period is not None:
            groups.setdefault((sex, measure), {})[period] = min(fields.values())
    if not groups:
        return
    single_year = all(p[0] == p[1] for columns in groups.values() for p in columns)
    for columns in groups.values() if single_year else ():
        periods = sorted(columns)
        steps = [b[0] - a[0] for a, b in zip(periods, periods[1:], strict=False)]
        if not steps:
            continue
        step = min(steps)
        for (a, b), gap in zip(zip(periods, periods[1:], strict=False), steps, strict=True):
            if gap != step:
                missing = [
                    period_text((s, s + a[1] - a[0])) for s in range(a[0] + step, b[0], step)
                ]
                raise header_error(
                    f"no column for {', '.join(missing)} between {period_text(a)} and "
                    f"{period_text(b)}: the table's other periods follow one another "
                    f"{'year by year' if step == 1 else f'{step} years apart'} (column deleted?)",
                    max(columns[a], columns[b]),
                )
    union = set().union(*(set(c) for c in groups.values()))
    for (sex, measure), columns in groups.items():
        lacking = sorted(union - set(columns), reverse=True)
        if lacking:
            label = " ".join(x for x in (sex, measure) if x)
            raise header_error(
                f"the {label + ' ' if label else ''}columns have no "
                f"{', '.join(period_text(p) for p in lacking)} although the table's other "
                "columns have (column deleted?)",
                min(columns.values()),
            )


def rate_per(wb: Workbook, sheet: str, rows: Sequence[Sequence[Any]]) -> int:
    text = " ".join(str(v) for r in rows for v in r[:2] if isinstance(v, str)).lower()
    if re.search(r"per (1 )?million|per 1,000,000", text):
        return PER_MILLION
    return PER_100K


def area_level(code: str, name_pos: int) -> str:
    level = AREA_LEVELS.get(code[:3])
    if level:
        return level
    return ("country_or_region", "county_or_unitary", "district")[min(name_pos, 2)]
