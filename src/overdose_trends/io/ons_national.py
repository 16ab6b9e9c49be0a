"""Loader for the ONS national reference tables on drug-poisoning deaths.

:func:`read_national` reads the workbook "Deaths related to drug poisoning in
England and Wales" (one edition per registration year) into one tidy, long
table. Three tables are read, found by their *title text* (the sheet's own
title or its entry on the Contents sheet), never by sheet number:

``deaths_by_sex``
    Number of deaths from drug poisoning and drug misuse by sex and country
    (2016 edition: Table 1, years across the columns; 2021 edition: Table 1,
    of which only the "All causes" block is read, not the breakdown by
    underlying cause).
``asmr``
    Deaths and age-standardised mortality rates with 95% confidence limits by
    sex, for all drug poisoning, drug misuse and selected substances (2016:
    Tables 10 and 11; 2021: Table 4).
``region``
    Deaths and age-standardised mortality rates by country and English region
    (2016: Table 13, drug misuse, persons; 2021: Table 7, poisoning and misuse
    by sex).

Three sheet layouts are understood: years across the columns (older Table 1),
"grid" tables with one to three header rows above the value columns and the
row keys in the left-hand columns or in section rows (``Persons``,
``Males``...), and the long "accessible" tables ONS has published since 2022
(one header row, ``[note N]`` references and line breaks in headers, markers
such as ``[x]``, ``[c]``, ``[u]``, periods such as ``"2020 to 2022"``).

Tidy columns (one row per table, area, measure, substance, sex and period)
--------------------------------------------------------------------------
table : str
    ``"deaths_by_sex"``, ``"asmr"`` or ``"region"`` (see above).
area_code : str
    GSS code: ``K04000001`` England and Wales, ``E92000001`` England,
    ``W92000004`` Wales, ``E12000001``-``E12000009`` English regions. Tables
    without an area column cover England and Wales. Tables that give only
    names are mapped to codes with :data:`AREA_NAMES`.
area_name : str
    Official name for the code (so that ``"Yorkshire & the Humber"`` and
    ``"East"`` in some years read ``"Yorkshire and The Humber"`` and ``"East
    of England"``); the published name for codes not in :data:`AREA_NAMES`.
area_level : str
    ``"country"`` or ``"region"``, from the code prefix
    (:data:`overdose_trends.constants.AREA_LEVELS`).
measure : str
    ``"poisoning"`` (all deaths related to drug poisoning) or ``"misuse"``
    (the subset related to drug misuse). Substance rows count drug-poisoning
    deaths with the substance mentioned on the death certificate, so their
    measure is ``"poisoning"``.
substance : str
    ``"all"`` for the poisoning and misuse totals, otherwise a snake_case
    substance name with footnote numbers and bracketed qualifiers removed,
    the same in every edition (``"Heroin / morphine"`` and ``"Heroin or
    morphine"`` are both ``"heroin_morphine"``; ``"Benzodiazepines"`` and
    ``"Any benzodiazepine"`` are ``"any_benzodiazepine"``).
sex : str
    ``"persons"``, ``"males"`` or ``"females"``.
period_start, period_end : int
    Registration years; a single year has ``period_start == period_end``.
deaths : Int64
    Deaths registered in the period (``<NA>`` where not published).
rate, lcl, ucl : float
    Age-standardised mortality rate (2013 European Standard Population) and
    its lower and upper 95% confidence limits, deaths per ``rate_per``
    population; NaN where not published (always NaN in ``deaths_by_sex``).
rate_per : int
    Population denominator of ``rate``: 1,000,000 in these tables.
rate_status : str
    ``"ok"`` (rate published without a marker), ``"unreliable"`` (ONS ``u``
    or ``[u]``: 10-19 deaths), ``"not_calculated"`` (ONS ``:``: fewer than 10
    deaths), ``"suppressed"`` (``[c]``) or ``"not_available"`` (``[x]``,
    ``[z]``, blank, and every row of a count-only table).
edition : int
    Latest registration year in the workbook (2016, 2021...).
sheet : str, row : int
    Provenance: worksheet name and 1-based spreadsheet row of the values.

Markers never become zeros; deaths are kept where the rate is not published.
Every data row of a recognised table is either loaded or reported with a
:class:`~overdose_trends.errors.DataFormatError` naming the file, sheet, row
and column letter.

References
----------
Office for National Statistics, "Deaths related to drug poisoning in England
and Wales" (reference tables, dataset
deathsrelatedtodrugpoisoningenglandandwalesreferencetable),
https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/deathsrelatedtodrugpoisoningenglandandwalesreferencetable
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from overdose_trends.constants import (
    AREA_LEVELS,
    GSS_CODE,
    PER_100K,
    PER_MILLION,
    SEX_LABELS,
)
from overdose_trends.errors import DataFormatError
from overdose_trends.io._national_tables import KINDS, SKIP_SHEET, Kind
from overdose_trends.io._workbook import (
    Cell,
    Source,
    Workbook,
    blank_rate_status,
    check_contents,
    clean_label,
    column_letter,
    open_workbook,
    parse_number,
    period_of_cell,
    sheet_key,
    strip_footnotes,
)
from overdose_trends.schema import NATIONAL_COLUMNS

__all__ = ["AREA_NAMES", "TABLES", "read_national"]

#: Short ids of the tables read, in output order.
TABLES = ("deaths_by_sex", "asmr", "region")

#: GSS codes and official names of the countries and English regions (regions as
#: in the ONS "Regions (December 2021) names and codes in England" list).
AREA_NAMES = MappingProxyType(
    {
        "K04000001": "England and Wales",
        "E92000001": "England",
        "W92000004": "Wales",
        "E12000001": "North East",
        "E12000002": "North West",
        "E12000003": "Yorkshire and The Humber",
        "E12000004": "East Midlands",
        "E12000005": "West Midlands",
        "E12000006": "East of England",
        "E12000007": "London",
        "E12000008": "South East",
        "E12000009": "South West",
    }
)
_ENGLAND_AND_WALES = "K04000001"


# --- vocabulary of labels ----------------------------------------------------------


def _norm(value: Any) -> str:
    """Lower-case label without ``[note N]``, trailing footnote numbers or ``&``."""
    text = strip_footnotes(clean_label(value))
    text = text.replace("&", " and ").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip()


_AREA_ALIASES = {_norm(name): code for code, name in AREA_NAMES.items()} | {
    "yorkshire and humber": "E12000003",
    "east": "E12000006",
}
_POISONING = re.compile(
    r"(all )?(deaths (related to|from) )?(all )?drug[- ]?(related )?poisonings?( deaths)?"
)
_MISUSE = re.compile(r"(of which:? ?)?(all )?(deaths related to )?drug misuse( deaths)?")
_OTHER_CAUSE = re.compile(
    r"mental and behavioural|accidental|intentional|self-poisoning|undetermined|assault"
)
#: Open vocabulary: any short label that is not a field, sex or year names a substance.
_SUBSTANCE_LIKE = re.compile(r"[a-z][a-z0-9 ,/'+-]{1,59}")
_NOT_SUBSTANCE = re.compile(
    r"\b(deaths?|rates?|confidence|limits?|number|persons|males?|females?|years?|total)\b"
)
_SUBSTANCE_SYNONYMS = (
    (re.compile(r"heroin_(and_|or_|and_or_)?morphine"), "heroin_morphine"),
    (re.compile(r"(any_)?amphetamines?"), "amphetamine"),
    (re.compile(r"(any_)?benzodiazepines?"), "any_benzodiazepine"),
    (re.compile(r"(any_)?new_psychoactive_substances?"), "new_psychoactive_substance"),
    (re.compile(r"any_opi(ate|oid)s?"), "any_opiate"),
    (re.compile(r"(any_)?antidepressants?"), "any_antidepressant"),
    (re.compile(r"(any_)?antipsychotics?"), "any_antipsychotic"),
    (re.compile(r"ecstasy_mdma|mdma_ecstasy|mdma|ecstasy"), "ecstasy_mdma"),
)


def _substance_name(label: str) -> str:
    """Normalised snake_case substance name, e.g. ``"Heroin or morphine"`` ->
    ``"heroin_morphine"``, ``"Codeine not from compound formulation 8,9"`` ->
    ``"codeine_not_from_compound_formulation"``."""
    text = re.sub(r"\(.*?\)", " ", _norm(label))
    snake = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    for pattern, name in _SUBSTANCE_SYNONYMS:
        if pattern.fullmatch(snake):
            return name
    return snake


def _classify(value: Any, substances: bool) -> dict[str, Any] | None:
    """What a row or header label says: a period, sex, measure, area, underlying
    cause or (if ``substances``) a substance. ``None`` if it is none of these."""
    period = period_of_cell(value)
    if period is not None:
        return {"period": period}
    text = _norm(value)
    if not text:
        return None
    if GSS_CODE.match(text.upper()):
        return {"area_code": text.upper()}
    if text in SEX_LABELS:
        return {"sex": SEX_LABELS[text]}
    if _MISUSE.fullmatch(text):
        return {"measure": "misuse", "substance": "all"}
    if _POISONING.fullmatch(text):
        return {"measure": "poisoning", "substance": "all"}
    if text in _AREA_ALIASES:
        return {"area_code": _AREA_ALIASES[text], "area_name": str(value).strip()}
    if text in {"all causes", "all underlying causes"}:
        return {"cause": "all"}
    if _OTHER_CAUSE.search(text):
        return {"cause": "other"}
    core = re.sub(r"\(.*?\)", " ", text).strip()  # without "(including ...)" qualifiers
    if substances and _SUBSTANCE_LIKE.fullmatch(core) and not _NOT_SUBSTANCE.search(core):
        return {"substance": _substance_name(text)}
    return None


def _key_role(label: str) -> str | None:
    """Role of a row-key column from its header, or ``None`` if it is not one."""
    if re.search(r"deaths|rate|limit|interval", label):
        return None
    if re.search(r"\b(years?|periods?)\b", label):
        return "period"
    if label in {"sex", "gender"}:
        return "sex"
    area = r"(area|geography|country|region|country or region|country/region)"
    if label == "code" or re.fullmatch(area + r" codes?", label):
        return "area_code"
    if label == "name" or re.fullmatch(area + r"( names?)?", label):
        return "area_name"
    if re.fullmatch(
        r"(selected )?(substances?|drugs?)( mentioned)?|measure|(underlying )?cause( of death)?"
        r"|death type|type of death|definition|drug poisoning or (drug )?misuse",
        label,
    ):
        return "category"
    return None


def _field_of(label: str) -> str | None:
    """Value field named by a column header: deaths, rate, lcl, ucl or marker."""
    if re.match(r"lower\b|lcl\b", label):
        return "lcl"
    if re.match(r"upper\b|ucl\b", label):
        return "ucl"
    if re.search(r"\b(markers?|reliability|shorthand|flags?)\b", label):
        return "marker"
    if re.search(r"\brates?\b", label):
        return "rate"
    if re.fullmatch(r"(number of )?deaths( registered)?|count|number", label):
        return "deaths"
    return None


def _rate_per(label: str) -> int:
    """Denominator named in a rate header; national tables default to per million."""
    if re.search(r"100,?000|100 000|hundred thousand", label):
        return PER_100K
    return PER_MILLION


_NOTE = re.compile(
    r"^(\d{1,2}(\s|$|[.:)])|source\b|notes?\b|https?:|www\.|these tables|published|enquiries"
    r"|back to|\[note)",
    re.IGNORECASE,
)


def _is_note(value: Any) -> bool:
    """Whether a lone text cell below a table is a footnote or source line."""
    if not isinstance(value, str):
        return False
    return bool(_NOTE.match(value.strip())) or len(value.strip()) > 100


def _title_measure(title: str) -> str | None:
    """Measure implied by a title that mentions only one of poisoning and misuse."""
    poisoning, misuse = "poisoning" in title, "misuse" in title
    if misuse and not poisoning:
        return "misuse"
    if poisoning and not misuse:
        return "poisoning"
    return None


# --- one sheet ---------------------------------------------------------------------


@dataclass
class _Sheet:
    """A recognised table being read, with what error messages need."""

    book: Workbook
    name: str
    kind: Kind
    title: str
    rows: list[list[Any]]
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, i: int, j: int) -> Any:
        row = self.rows[i]
        return row[j] if j < len(row) else ""

    def error(self, message: str, i: int | None = None, j: int | None = None) -> DataFormatError:
        """Error at 0-based row ``i`` and column ``j`` (reported 1-based / as a letter)."""
        return DataFormatError(
            message,
            file=self.book.name,
            sheet=self.name,
            row=None if i is None else i + 1,
            column=None if j is None else column_letter(j),
        )

    def number(self, i: int, j: int) -> Cell:
        """Parse a numeric cell, raising with the cell's location."""
        try:
            return parse_number(self.cell(i, j))
        except ValueError as exc:
            raise self.error(str(exc), i, j) from None


def _merge(sheet: _Sheet, i: int, j: int, *parts: dict[str, Any]) -> dict[str, Any]:
    """Union of dimension dicts; two different values for one dimension is an error."""
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key in out and out[key] != value and key != "area_name":
                raise sheet.error(f"conflicting {key}: {out[key]!r} and {value!r}", i, j)
            out.setdefault(key, value)
    return out


def _emit(
    sheet: _Sheet, i: int, dims: dict[str, Any], fields: dict[str, int], rate_per: int
) -> None:
    """Turn one row's cells for one (area, measure, substance, sex) into a record."""
    anchor = fields.get("deaths", min(fields.values()))
    if dims.get("cause", "all") != "all":
        return
    if "period" not in dims:
        raise sheet.error("no registration year or period for this row", i, anchor)

    code = dims.get("area_code")
    if code is None and "area_name" in dims:
        raise sheet.error(f"unknown area name {dims['area_name']!r} and no area code", i, anchor)
    if code is None:
        if sheet.kind.needs_area:
            raise sheet.error("no area code or recognised area name in this row", i, anchor)
        code = _ENGLAND_AND_WALES
    level = AREA_LEVELS.get(code[:3])
    if level is None:
        raise sheet.error(f"area code {code!r} is not a country or region code", i, anchor)
    substance = dims.get("substance", "all")
    measure = dims.get("measure") or (
        "poisoning" if substance != "all" else _title_measure(sheet.title)
    )
    if measure is None:
        raise sheet.error(
            "cannot tell whether these values are drug poisoning or drug misuse", i, anchor
        )

    cells = {name: sheet.number(i, j) for name, j in fields.items()}
    deaths = cells["deaths"].value if "deaths" in cells else None
    if deaths is not None and (deaths < 0 or not float(deaths).is_integer()):
        raise sheet.error(
            f"deaths must be a whole number >= 0, found {deaths!r}", i, fields["deaths"]
        )
    if "marker" in fields and cells["marker"].value is not None:
        raise sheet.error(
            f"expected a marker such as 'u', found {sheet.cell(i, fields['marker'])!r}",
            i,
            fields["marker"],
        )
    rate, lcl, ucl = (cells[k].value if k in cells else None for k in ("rate", "lcl", "ucl"))
    if rate is not None and ((lcl is not None and lcl > rate) or (ucl is not None and ucl < rate)):
        raise sheet.error(
            f"rate {rate} lies outside its confidence limits {lcl}-{ucl}", i, fields["rate"]
        )

    markers = [cells[k].status for k in ("rate", "marker", "lcl", "ucl", "deaths") if k in cells]
    markers = [m for m in markers if m]
    if "rate" not in fields:
        status = "not_available"
    elif rate is not None:
        status = "unreliable" if "unreliable" in markers else "ok"
    else:
        status = blank_rate_status(deaths, markers)

    sheet.records.append(
        {
            "table": sheet.kind.table,
            "area_code": code,
            "area_name": AREA_NAMES.get(code) or dims.get("area_name", code),
            "area_level": level,
            "measure": measure,
            "substance": substance,
            "sex": dims.get("sex", "persons"),
            "period_start": dims["period"][0],
            "period_end": dims["period"][1],
            "deaths": None if deaths is None else int(deaths),
            "rate": rate,
            "lcl": lcl,
            "ucl": ucl,
            "rate_per": rate_per,
            "rate_status": status,
            "sheet": sheet.name,
            "row": i + 1,
            "_column": column_letter(anchor),
        }
    )


# --- layout 1: years across the columns (older Table 1) -----------------------------


def _read_years_across(sheet: _Sheet, h: int) -> None:
    """Read a table whose header row ``h`` holds one registration year per column.

    Rows are labelled in the left-hand columns: section rows name the measure
    (``"All drug poisoning"``, ``"Drug misuse"``); an area row (``"England"``)
    gives persons and sets the area for the ``"Males"``/``"Females"`` rows below.
    """
    periods = {j: period_of_cell(v) for j, v in enumerate(sheet.rows[h]) if v != ""}
    periods = {j: p for j, p in periods.items() if p is not None}
    first = min(periods)
    section: dict[str, Any] = {}
    area: dict[str, Any] = {}
    in_notes = False
    for i in range(h + 1, len(sheet.rows)):
        row = sheet.rows[i]
        labels = [(j, v) for j, v in enumerate(row[:first]) if v != ""]
        values = [j for j, v in enumerate(row) if j >= first and v != ""]
        if not labels and not values:
            continue
        for j in values:
            if j not in periods:
                raise sheet.error("value in a column without a year in the header", i, j)
        if in_notes or (not values and len(labels) == 1 and _is_note(labels[0][1])):
            if values:
                raise sheet.error("values found below the table's notes", i, values[0])
            in_notes = True
            continue
        if len(labels) != 1:
            where = labels[1][0] if labels else 0
            raise sheet.error("expected one row label (measure, area or sex)", i, where)
        j, label = labels[0]
        dims = _classify(label, sheet.kind.substances)
        if dims is None or "period" in dims or "cause" in dims:
            raise sheet.error(f"unrecognised row label {label!r}", i, j)
        if not values:  # a section heading
            if "measure" in dims or "substance" in dims:
                section, area = dims, {}
            elif "area_code" in dims:
                area = dims
            else:
                raise sheet.error(f"unexpected heading {label!r}", i, j)
            continue
        if "area_code" in dims:
            area = {k: dims[k] for k in ("area_code", "area_name") if k in dims}
            dims = {"sex": "persons", **dims}
        elif "sex" not in dims:
            raise sheet.error(f"expected an area or sex label, found {label!r}", i, j)
        base = _merge(sheet, i, j, section, area, dims)
        for col, period in periods.items():
            _emit(sheet, i, {**base, "period": period}, {"deaths": col}, PER_MILLION)


# --- layout 2: header band over value columns (grid and long tables) ---------------


@dataclass
class _Column:
    """How one column of a grid table is read."""

    kind: str  # "key", "value", "marker", "spacer" or "skip" (deliberately not read)
    role: str | None = None  # key role ("period", "sex"...) or value field ("deaths"...)
    dims: dict[str, Any] = field(default_factory=dict)
    group: int = -1  # value and marker columns: index of their group
    rate_per: int = PER_MILLION


@dataclass
class _Group:
    """Value columns describing one (area, measure, substance, sex) in each row."""

    dims: dict[str, Any]
    fields: dict[str, int] = field(default_factory=dict)  # field -> column index
    rate_per: int = PER_MILLION


def _is_datum(value: Any) -> bool:
    """Whether a cell holds a number, an ONS marker or a period (not a header label)."""
    if period_of_cell(value) is not None or GSS_CODE.match(str(value).strip()):
        return True
    try:
        cell = parse_number(value)
    except ValueError:
        return False
    return cell.value is not None or cell.status is not None


def _header_end(rows: Sequence[Sequence[Any]], start: int) -> int:
    """Last row of the header band starting at ``start``: rows of two or more text
    labels, ending before a blank row, a single-label row or a row holding data."""
    end = start
    for i in range(start + 1, len(rows)):
        cells = [v for v in rows[i] if v != ""]
        if len(cells) < 2 or any(_is_datum(v) for v in cells):
            break
        end = i
    return end


def _columns(sheet: _Sheet, start: int, end: int) -> list[_Column]:
    """Classify every column from the header band ``start..end``."""
    band = range(start, end + 1)
    width = sheet.width
    raw = {r: [_norm(sheet.cell(r, j)) for j in range(width)] for r in band}
    # Upper header labels span the empty cells to their right (merged cells), up to
    # the next label on the same or a higher row; row-key titles do not span.
    spanned: dict[int, list[str]] = {}
    for r in band:
        carry, out = "", []
        for j in range(width):
            if any(raw[q][j] for q in range(start, r)):
                carry = ""
            if raw[r][j]:
                carry = "" if _key_role(raw[r][j]) else raw[r][j]
            out.append(raw[r][j] or carry)
        spanned[r] = out

    columns: list[_Column] = []
    groups: dict[tuple, int] = {}
    for j in range(width):
        leaf_row = max((r for r in band if raw[r][j]), default=None)
        if leaf_row is None:
            prev = columns[-1] if columns else None
            if prev is not None and prev.kind == "value" and prev.role == "rate":
                columns.append(_Column("marker", "marker", prev.dims, prev.group))
            elif not any(c.kind == "value" for c in columns):
                columns.append(_Column("key"))  # unlabelled key column, e.g. region names
            else:
                columns.append(_Column("spacer"))
            continue
        leaf = raw[leaf_row][j]
        role = _key_role(leaf)
        if role is not None:
            columns.append(_Column("key", role))
            continue
        dims: dict[str, Any] = {}
        rate_per = PER_MILLION
        for r in range(start, leaf_row + 1):
            label = leaf if r == leaf_row else spanned[r][j]
            if not label or (r < leaf_row and _key_role(label)):
                continue
            if _field_of(label):
                rate_per = min(rate_per, _rate_per(label))
                continue
            found = _classify(label, sheet.kind.substances)
            if found is None:
                raise sheet.error(f"unrecognised column header {sheet.cell(r, j)!r}", r, j)
            dims = _merge(sheet, r, j, dims, found)
        if dims.get("cause") == "other":  # a single underlying cause: not read
            columns.append(_Column("skip"))
            continue
        fld = _field_of(leaf) or "deaths"  # count tables label columns by area or sex only
        key = tuple(sorted(dims.items()))
        group = groups.setdefault(key, len(groups))
        if any(c.group == group and c.role == fld for c in columns):
            raise sheet.error(f"second {fld!r} column for the same values", leaf_row, j)
        columns.append(_Column("value", fld, dims, group, rate_per))
    return columns


def _key_dims(sheet: _Sheet, i: int, columns: list[_Column]) -> dict[str, Any]:
    """Dimensions named by the row-key cells of data or section row ``i``."""
    dims: dict[str, Any] = {}
    for j, col in enumerate(columns):
        value = sheet.cell(i, j)
        if col.kind != "key" or value == "":
            continue
        if col.role == "period":
            period = period_of_cell(value)
            if period is None:
                raise sheet.error(f"expected a year or period, found {value!r}", i, j)
            found: dict[str, Any] = {"period": period}
        elif col.role == "area_code":
            code = str(value).strip().upper()
            if not GSS_CODE.match(code):
                raise sheet.error(f"expected a GSS area code, found {value!r}", i, j)
            found = {"area_code": code}
        elif col.role == "area_name":
            name = str(value).strip()
            found = {"area_name": name}
            if _norm(name) in _AREA_ALIASES:
                found["area_code"] = _AREA_ALIASES[_norm(name)]
        else:
            found = _classify(value, sheet.kind.substances or col.role == "category") or {}
            wanted = {"sex": {"sex"}, "category": {"measure", "substance", "cause"}}.get(
                col.role or "", set(found)
            )
            if not found or not wanted & set(found):
                raise sheet.error(f"unrecognised label {value!r}", i, j)
        dims = _merge(sheet, i, j, dims, found)  # e.g. a name that contradicts the code
    return dims


def _read_grid(sheet: _Sheet, start: int, end: int) -> None:
    """Read a table with header rows ``start..end`` above its values.

    Row keys come from key columns (year, sex, area code/name, substance...), from
    unlabelled columns left of the values, or from section rows holding a single
    label (``"Persons"``); a key left blank repeats the one above it until a blank
    row or a new section (years are often given only on the first row of a block).
    Value columns are grouped by what their upper header rows say (sex, measure,
    substance, area, underlying cause); an unlabelled column right of a rate column
    holds that rate's marker (``u``).
    """
    columns = _columns(sheet, start, end)
    groups: dict[int, _Group] = {}
    for j, col in enumerate(columns):
        if col.kind in ("value", "marker"):
            assert col.role is not None  # value and marker columns name their field
            group = groups.setdefault(col.group, _Group(col.dims))
            group.fields[col.role] = j
            group.rate_per = min(group.rate_per, col.rate_per)
    if not groups:
        raise sheet.error("no value columns (Deaths, Rate...) under the header", end)

    section: dict[str, Any] = {}
    carried: dict[str, Any] = {}
    in_notes = False
    for i in range(end + 1, len(sheet.rows)):
        row = sheet.rows[i]
        filled = [j for j, v in enumerate(row) if v != ""]
        if not filled:
            carried = {}
            continue
        values = [j for j in filled if columns[j].kind != "key"]
        if in_notes or (not values and len(filled) == 1 and _is_note(row[filled[0]])):
            if values:
                raise sheet.error("values found below the table's notes", i, values[0])
            in_notes = True
            continue
        if not values:
            if len(filled) > 1:
                raise sheet.error("row has labels but no values", i, filled[0])
            section, carried = {**section, **_key_dims(sheet, i, columns)}, {}
            continue
        for j in values:
            if columns[j].kind == "spacer":
                raise sheet.error("value in a column without a header", i, j)
        own = _key_dims(sheet, i, columns)
        keys = {**carried, **own}
        carried = {k: v for k, v in keys.items() if k not in ("area_code", "area_name")}
        for group in groups.values():
            merged = _merge(sheet, i, min(group.fields.values()), section, keys, group.dims)
            _emit(sheet, i, merged, group.fields, group.rate_per)


# --- finding the tables --------------------------------------------------------------


def _own_title(rows: Sequence[Sequence[Any]]) -> str:
    """Title text at the top of a sheet, stopping at the first multi-cell row."""
    parts: list[str] = []
    for row in rows[:10]:
        cells = [v for v in row if v != ""]
        if len(cells) >= 2:
            break
        if not cells or not isinstance(cells[0], str):
            continue
        text = cells[0].strip()
        if re.fullmatch(r"back to (the )?(table of )?contents", text, re.IGNORECASE):
            continue
        parts.append(text)
        if not re.fullmatch(r"table\s*\w+[.:]?", text, re.IGNORECASE):
            break
    return " ".join(parts)


def _contents_titles(wb: Workbook) -> dict[str, str]:
    """Sheet name -> title as listed on a Contents sheet (if there is one)."""
    by_key = {sheet_key(s): s for s in wb.sheet_names}
    titles: dict[str, str] = {}
    for sheet in wb.sheet_names:
        if sheet_key(sheet) not in {"contents", "table of contents", "index"}:
            continue
        for row in wb.rows(sheet):
            texts = [v.strip() for v in row if isinstance(v, str) and v.strip()]
            for text in texts:
                target = by_key.get(sheet_key(text))
                others = [t for t in texts if t is not text]
                if target and others:
                    titles[target] = max(others, key=len)
    return titles


def _find_tables(wb: Workbook) -> list[_Sheet]:
    """The sheets whose title matches one of the tables read."""
    listed = _contents_titles(wb)
    found: list[_Sheet] = []
    seen_titles: list[str] = []
    for name in wb.sheet_names:
        if SKIP_SHEET.match(sheet_key(name)):
            continue
        rows = wb.rows(name)
        title = " ".join(t for t in (_own_title(rows), listed.get(name, "")) if t)
        seen_titles.append(f"{name}: {title[:80]!r}")
        text = _norm(title)
        for kind in KINDS:
            if kind.matches(text):
                found.append(_Sheet(wb, name, kind, text, rows))
                break
    if not found:
        wanted = "; ".join(k.looks_for for k in KINDS)
        raise DataFormatError(
            "no recognisable ONS national drug-poisoning table. Looked for sheets titled "
            f"{wanted}. Sheets found: {'; '.join(seen_titles) or 'none'}",
            file=wb.name,
        )
    return found


def _read_sheet(sheet: _Sheet) -> None:
    """Detect the layout of a recognised sheet and read its rows."""
    rows = sheet.rows
    start = next((i for i, row in enumerate(rows) if sum(v != "" for v in row) >= 2), None)
    if start is None:
        raise sheet.error("unknown layout: no header row found")
    header = [v for v in rows[start] if v != ""]
    n_periods = sum(period_of_cell(v) is not None for v in header)
    if n_periods >= 2 and n_periods >= len(header) - 1:
        _read_years_across(sheet, start)
    elif any(_is_datum(v) for v in header):
        raise sheet.error("unknown layout: data where the header row should be", start)
    else:
        _read_grid(sheet, start, _header_end(rows, start))
    if not sheet.records:
        raise sheet.error("no data rows found under the table header")


def _check_duplicates(df: pd.DataFrame, file: str) -> None:
    keys = ["table", "area_code", "measure", "substance", "sex", "period_start", "period_end"]
    dup = df[df.duplicated(keys, keep=False)]
    if dup.empty:
        return
    first, second = dup.iloc[0], dup[(dup[keys] == dup.iloc[0][keys]).all(axis=1)].iloc[1]
    raise DataFormatError(
        f"duplicate row for {first['table']} {first['area_code']} {first['measure']} "
        f"{first['substance']} {first['sex']} {first['period_start']}-{first['period_end']} "
        f"(first at sheet {first['sheet']!r} row {first['row']})",
        file=file,
        sheet=second["sheet"],
        row=int(second["row"]),
        column=second["_column"],
    )


def read_national(source: Source, require: Sequence[str] = TABLES) -> pd.DataFrame:
    """Read the ONS national drug-poisoning reference tables into one tidy table.

    Parameters
    ----------
    source : str, os.PathLike or binary file object
        An edition of the ONS workbook "Deaths related to drug poisoning in England
        and Wales" (``.xls`` or ``.xlsx``; the format is detected from the content).
    require : sequence of str, default all of :data:`TABLES`
        Tables that must be found; a workbook without one of them raises
        :class:`~overdose_trends.errors.DataFormatError` rather than loading partially.
        Pass ``()`` to
        load whatever recognised tables a cut-down workbook holds.

    Returns
    -------
    pandas.DataFrame
        One row per table, area, measure, substance, sex and registration period,
        with the columns :data:`~overdose_trends.schema.NATIONAL_COLUMNS` described in the
        module docstring:
        ``deaths`` (number registered), ``rate``/``lcl``/``ucl`` (age-standardised
        mortality rate and 95% confidence limits, deaths per 1,000,000 population,
        2013 European Standard Population), ``rate_status`` and provenance
        (``edition``, ``sheet``, ``row``). Tables are found by title: deaths by sex
        and country (``"deaths_by_sex"``), age-standardised rates by sex and
        substance (``"asmr"``) and by country and region (``"region"``).

    Raises
    ------
    DataFormatError
        If the file is not a readable workbook, no sheet has a recognised title
        (the message lists the titles looked for), or a recognised table has an
        unreadable layout, text where a number belongs, an unknown label or two
        rows for the same key; the message names the file, sheet, row and column.

    References
    ----------
    Office for National Statistics, "Deaths related to drug poisoning in England and
    Wales", reference tables,
    https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/deathsrelatedtodrugpoisoningenglandandwalesreferencetable

    Examples
    --------
    An excerpt of the 2021 edition ships with the package (Tables 1, 4 and 7
    for 2017-2021, cell for cell as published; see ``data/README.md``):

    >>> path = ot.datasets.data_dir() / "ons_national_drug_deaths_2021_excerpt.xlsx"
    >>> df = ot.read_national(path)
    >>> df.groupby("table").size().to_dict()
    {'asmr': 300, 'deaths_by_sex': 90, 'region': 54}
    >>> rates = df.query(
    ...     "table == 'asmr' and sex == 'persons' and period_start == 2021"
    ...     " and substance in ['all', 'heroin_morphine', 'cocaine']"
    ... )
    >>> rates[["measure", "substance", "deaths", "rate", "lcl", "ucl"]].reset_index(drop=True)
         measure        substance  deaths  rate   lcl   ucl
    0     misuse              all    3060  53.2  51.4  55.1
    1  poisoning              all    4859  84.4  82.0  86.8
    2  poisoning          cocaine     840  14.6  13.6  15.6
    3  poisoning  heroin_morphine    1213  21.1  19.9  22.3
    """
    wb = open_workbook(source)
    check_contents(wb)
    sheets = _find_tables(wb)
    unknown = set(require) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; choose from {TABLES}")
    missing = [t for t in require if t not in {s.kind.table for s in sheets}]
    if missing:
        wanted = "; ".join(f"{k.table}: {k.looks_for}" for k in KINDS if k.table in missing)
        raise DataFormatError(
            f"required table(s) not found: {wanted}. Recognised sheets: "
            f"{[s.name for s in sheets]} (pass require=() to load a partial workbook)",
            file=wb.name,
        )
    for sheet in sheets:
        _read_sheet(sheet)
    df = pd.DataFrame([r for s in sheets for r in s.records])
    _check_duplicates(df, wb.name)
    df["edition"] = int(df["period_end"].max())
    df["deaths"] = df["deaths"].astype("Int64")
    for col in ("rate", "lcl", "ucl"):
        df[col] = df[col].astype("float64")
    for col in ("period_start", "period_end", "rate_per", "edition", "row"):
        df[col] = df[col].astype("int64")
    order = {name: k for k, name in enumerate(TABLES)}
    df = df.sort_values(
        ["table", "measure", "substance", "area_code", "sex", "period_start", "period_end"],
        key=lambda s: s.map(order) if s.name == "table" else s,
        kind="stable",
    )
    return df.loc[:, list(NATIONAL_COLUMNS)].reset_index(drop=True)
