"""Sheet layouts of the national reference tables, read cell by cell into records.

Two layouts cover every edition (see :mod:`overdose_trends.io.ons_national`):

* **years across** (:func:`read_years_across`): one registration year per column,
  rows labelled in the left-hand columns (2016 Tables 1-8, 2021 Table 6);
* **grid** (:func:`read_grid`): one to three header rows above the value columns
  and the row keys in the left-hand columns or in section rows (2016 Tables
  10-15, 2021 Tables 1-5 and 7-10), which also covers the long "accessible"
  tables of the 2022 edition on (one header row, one key column per dimension).

Each data cell becomes a record (a dict) appended to :attr:`Sheet.records`;
every problem is a :class:`~overdose_trends.errors.DataFormatError` naming the
file, sheet, row and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from overdose_trends.constants import AREA_LEVELS, GSS_CODE, PER_MILLION
from overdose_trends.errors import DataFormatError
from overdose_trends.io._national_labels import (
    AREA_ALIASES,
    AREA_NAMES,
    PARACETAMOL_EXCL,
    STUB_ROLES,
    classify,
    field_of,
    is_note,
    key_role,
    norm,
    quintile,
    rate_per,
    title_dims,
    year_basis,
)
from overdose_trends.io._national_tables import Kind
from overdose_trends.io._workbook import (
    MAX_EXACT_COUNT,
    Cell,
    Workbook,
    blank_rate_status,
    column_letter,
    parse_number,
    period_of_cell,
)

#: Dimensions of a record and their values when a table does not give them.
DEFAULT_DIMS: dict[str, Any] = {
    "substance": "all",
    "cause": "all",
    "sex": "persons",
    "age_band": "all",
    "quintile": None,
    "year_basis": "registration",
}


@dataclass
class Sheet:
    """A recognised table being read, with what error messages need."""

    book: Workbook
    name: str
    kind: Kind
    title: str
    rows: list[list[Any]]
    records: list[dict[str, Any]] = field(default_factory=list)
    notes: bool = False  # footnotes found below the data

    def __post_init__(self) -> None:
        # a cell holding only spaces is blank (the 2016 edition has a few)
        self.rows = [
            ["" if isinstance(v, str) and not v.strip() else v for v in row] for row in self.rows
        ]

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
            cell = parse_number(self.cell(i, j))
        except ValueError as exc:
            raise self.error(str(exc), i, j) from None
        if cell.value is not None and not math.isfinite(cell.value):
            raise self.error("expected a finite number", i, j)
        return cell

    def classify(self, value: Any, category: bool = False) -> dict[str, Any] | None:
        kind = self.kind
        return classify(value, kind.substances or category, kind.ages, kind.quintiles)


def merge(sheet: Sheet, i: int, j: int, *parts: dict[str, Any]) -> dict[str, Any]:
    """Union of dimension dicts; two different values for one dimension is an error."""
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key in out and out[key] != value and key != "area_name":
                raise sheet.error(f"conflicting {key}: {out[key]!r} and {value!r}", i, j)
            out.setdefault(key, value)
    return out


def _check_values(sheet: Sheet, i: int, fields: dict[str, int], cells: dict[str, Cell]) -> None:
    """Deaths whole and non-negative; rates, limits and delays non-negative, lcl <= rate <= ucl."""
    for name, j in fields.items():
        value = cells[name].value
        if value is None or name == "marker":
            continue
        if value < 0:
            raise sheet.error(f"{name} must not be negative", i, j)
        if name == "deaths" and not (float(value).is_integer() and value <= MAX_EXACT_COUNT):
            raise sheet.error("deaths must be a whole number >= 0 and at most 2**53", i, j)
    rate, lcl, ucl = (cells[k].value if k in cells else None for k in ("rate", "lcl", "ucl"))
    if lcl is not None and ucl is not None and lcl > ucl:
        raise sheet.error(f"lower confidence limit {lcl} above the upper {ucl}", i, fields["lcl"])
    if rate is not None and ((lcl is not None and lcl > rate) or (ucl is not None and ucl < rate)):
        raise sheet.error(
            f"rate {rate} lies outside its confidence limits {lcl}-{ucl}", i, fields["rate"]
        )


def emit(sheet: Sheet, i: int, dims: dict[str, Any], fields: dict[str, int], per: int) -> None:
    """Turn one row's cells for one set of dimensions into a record."""
    anchor = fields.get("deaths", min(fields.values()))
    if "period" not in dims:
        raise sheet.error("no registration year or period for this row", i, anchor)
    code = dims.get("area_code")
    if code is None and "area_name" in dims:
        raise sheet.error(f"unknown area name {dims['area_name']!r} and no area code", i, anchor)
    if code is None:
        if sheet.kind.needs_area:
            raise sheet.error("no area code or recognised area name in this row", i, anchor)
        code = sheet.kind.default_area
    level = AREA_LEVELS.get(code[:3])
    if level is None:
        raise sheet.error(f"area code {code!r} is not a country or region code", i, anchor)
    implied = title_dims(sheet.title)
    substance = dims.get("substance") or implied.get("substance", "all")
    measure = dims.get("measure") or ("poisoning" if substance != "all" else implied.get("measure"))
    if measure is None:
        raise sheet.error(
            "cannot tell whether these values are drug poisoning or drug misuse", i, anchor
        )

    for name, j in fields.items():
        if name != "marker" and sheet.cell(i, j) == "":
            raise sheet.error(
                f"blank cell where {name} belongs (ONS marks a missing value, e.g. ':' or [x])",
                i,
                j,
            )
    cells = {name: sheet.number(i, j) for name, j in fields.items()}
    if "marker" in fields and cells["marker"].value is not None:
        raise sheet.error(
            f"expected a marker such as 'u', found {sheet.cell(i, fields['marker'])!r}",
            i,
            fields["marker"],
        )
    _check_values(sheet, i, fields, cells)
    deaths = cells["deaths"].value if "deaths" in cells else None
    rate, lcl, ucl = (cells[k].value if k in cells else None for k in ("rate", "lcl", "ucl"))
    markers = [cells[k].status for k in ("rate", "marker", "lcl", "ucl", "deaths") if k in cells]
    markers = [m for m in markers if m]
    if "rate" not in fields:
        status = "not_available"
    elif rate is not None:
        status = "unreliable" if "unreliable" in markers else "ok"
    else:
        status = blank_rate_status(deaths, markers)

    record = {**DEFAULT_DIMS, **{k: v for k, v in dims.items() if k in DEFAULT_DIMS}}
    record.update(
        table=sheet.kind.table,
        area_code=code,
        area_name=AREA_NAMES.get(code) or dims.get("area_name", code),
        area_level=level,
        measure=measure,
        substance=substance,
        period_start=dims["period"][0],
        period_end=dims["period"][1],
        deaths=None if deaths is None else int(deaths),
        rate=rate,
        lcl=lcl,
        ucl=ucl,
        rate_per=per,
        rate_type=sheet.kind.rate_type if "rate" in fields else "",
        rate_status=status,
        delay_days=cells["delay_days"].value if "delay_days" in cells else None,
        sheet=sheet.name,
        row=i + 1,
        _column=column_letter(anchor),
    )
    sheet.records.append(record)


# --- layout 1: years across the columns ----------------------------------------------


def _paracetamol(dims: dict[str, Any], label: str, seen: dict[str, str]) -> dict[str, Any]:
    """A second "Paracetamol" row (another label) of a 2016 substance table is the one
    excluding dextropropoxyphene mentioned without paracetamol (Table 6a note 5)."""
    substance = dims.get("substance")
    if substance == "paracetamol" and seen.setdefault(substance, label) != label:
        return {**dims, "substance": PARACETAMOL_EXCL}
    return dims


def read_years_across(sheet: Sheet, h: int) -> None:
    """Read a table whose header row ``h`` holds one registration year per column.

    Rows are labelled in the left-hand columns. A row without values is a section
    heading (``"All drug poisoning"``, ``"Drug misuse"``). A row whose label is an
    area or a sex and which has values gives that group's total and sets the group
    for the rows below it (``"Males"`` then its age bands or causes; ``"England"``
    then ``"Males"``/``"Females"``). With two label columns (substance, then age
    group) the left-hand label carries down until the next one or a blank row.
    """
    periods = {j: period_of_cell(v) for j, v in enumerate(sheet.rows[h]) if v != ""}
    periods = {j: p for j, p in periods.items() if p is not None}
    first = min(periods)
    field_name = sheet.kind.default_field
    section: dict[str, Any] = {}
    group: dict[str, Any] = {}
    outer: dict[str, Any] = {}
    outer_label = ""
    seen: dict[str, str] = {}
    in_notes = False
    for i in range(h + 1, len(sheet.rows)):
        row = sheet.rows[i]
        labels = [(j, v) for j, v in enumerate(row[:first]) if v != ""]
        values = [j for j, v in enumerate(row) if j >= first and v != ""]
        if not labels and not values:
            outer = {}
            continue
        for j in values:
            if j not in periods:
                raise sheet.error("value in a column without a year in the header", i, j)
        if in_notes or (not values and len(labels) == 1 and is_note(labels[0][1])):
            if values:
                raise sheet.error("values found below the table's notes", i, values[0])
            in_notes = sheet.notes = True
            continue
        if not labels:
            raise sheet.error("values without a row label", i, values[0])
        found: list[dict[str, Any]] = []
        for j, label in labels:
            dims = sheet.classify(label)
            if dims is None or "period" in dims:
                raise sheet.error(f"unrecognised row label {label!r}", i, j)
            found.append(dims)
        if not values:  # a section heading
            dims = found[-1]
            if len(found) > 1:
                raise sheet.error("expected one heading label", i, labels[1][0])
            if "measure" in dims or "substance" in dims:
                section, group = dims, {}
            elif "area_code" in dims or "sex" in dims:
                group = dims
            else:
                raise sheet.error(f"unexpected heading {labels[0][1]!r}", i, labels[0][0])
            continue
        if len(labels) > 1 or (labels[0][0] == 0 and first > 1):
            outer = found[0]  # the left-hand label of a two-column row key
            outer_label = str(labels[0][1])
            found = found[1:] if len(labels) > 1 else []
        j0, _ = labels[-1]
        dims = merge(sheet, i, j0, *found) if found else {}
        if "area_code" in dims:
            group = {k: dims[k] for k in ("area_code", "area_name") if k in dims}
        elif "sex" in dims:
            group = {**{k: v for k, v in group.items() if k != "sex"}, "sex": dims["sex"]}
        base = merge(sheet, i, j0, section, outer, group, dims)
        base = _paracetamol(base, outer_label if "substance" in outer else str(labels[-1][1]), seen)
        for col, period in periods.items():
            emit(sheet, i, {**base, "period": period}, {field_name: col}, PER_MILLION)


# --- layout 2: header band over value columns (grid and long tables) ---------------


@dataclass
class _Column:
    """How one column of a grid table is read."""

    kind: str  # "key", "value", "marker" or "spacer"
    role: str | None = None  # key role ("period", "sex"...) or value field ("deaths"...)
    dims: dict[str, Any] = field(default_factory=dict)
    group: int = -1  # value and marker columns: index of their group
    rate_per: int = PER_MILLION


@dataclass
class _Group:
    """Value columns describing one set of dimensions in each row."""

    dims: dict[str, Any]
    fields: dict[str, int] = field(default_factory=dict)  # field -> column index
    rate_per: int = PER_MILLION


def is_datum(value: Any, kind: Kind) -> bool:
    """Whether a cell holds a number, an ONS marker or a period (not a header label).

    In deprivation tables a bare 1-5 in a header names a quintile.
    """
    if kind.quintiles and quintile(value) is not None:
        return False
    if period_of_cell(value) is not None or GSS_CODE.match(str(value).strip()):
        return True
    try:
        cell = parse_number(value)
    except ValueError:
        return False
    return cell.value is not None or cell.status is not None


def header_end(sheet: Sheet, start: int) -> int:
    """Last row of the header band starting at ``start``: rows of two or more text
    labels, ending before a blank row, a single-label row or a row holding data."""
    end = start
    for i in range(start + 1, len(sheet.rows)):
        cells = [v for v in sheet.rows[i] if v != ""]
        if len(cells) < 2 or any(is_datum(v, sheet.kind) for v in cells):
            break
        end = i
    return end


def _clear_stubs(sheet: Sheet, raw: dict[int, list[str]]) -> None:
    """Blank stub titles: ``Age groups | Under 20 | 20-29`` titles its own row."""
    for r, labels in raw.items():
        for j, label in enumerate(labels):
            role = key_role(label) if label else None
            if role is None or role not in STUB_ROLES:
                continue
            dims = STUB_ROLES[role]
            others = (
                sheet.classify(sheet.cell(r, q), role == "category")
                for q in range(j + 1, len(labels))
                if labels[q]
            )
            if any(d and dims & set(d) for d in others):
                labels[j] = ""


def _header_dims(sheet: Sheet, r: int, j: int, label: str) -> dict[str, Any]:
    """Dimensions named by the header label at row ``r``, column ``j``."""
    if sheet.kind.occurrence and year_basis(label):
        return {"year_basis": year_basis(label)}
    found = sheet.classify(sheet.cell(r, j))
    if found is None:
        raise sheet.error(f"unrecognised column header {sheet.cell(r, j)!r}", r, j)
    return found


def columns_of(sheet: Sheet, start: int, end: int) -> list[_Column]:
    """Classify every column from the header band ``start..end``."""
    band = range(start, end + 1)
    width = sheet.width
    raw = {r: [norm(sheet.cell(r, j)) for j in range(width)] for r in band}
    _clear_stubs(sheet, raw)
    # Upper header labels span the empty cells to their right (merged cells), up to
    # the next label on the same or a higher row; row-key titles do not span.
    # spanned[r][j]: column of the label that applies to column j on row r, or -1.
    spanned: dict[int, list[int]] = {}
    for r in band:
        carry, out = -1, []
        for j in range(width):
            if any(raw[q][j] for q in range(start, r)):
                carry = -1
            if raw[r][j]:
                carry = -1 if key_role(raw[r][j]) else j
            out.append(j if raw[r][j] else carry)
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
        role = key_role(leaf)
        if role is not None and not (sheet.kind.occurrence and year_basis(leaf)):
            columns.append(_Column("key", role))
            continue
        dims: dict[str, Any] = {}
        per = PER_MILLION
        for r in range(start, leaf_row + 1):
            src = j if r == leaf_row else spanned[r][j]
            label = raw[r][src] if src >= 0 else ""
            if not label or (r < leaf_row and key_role(label)):
                continue
            if field_of(label):
                per = min(per, rate_per(label))
                continue
            dims = merge(sheet, r, src, dims, _header_dims(sheet, r, src, label))
        fld = field_of(leaf) or sheet.kind.default_field  # columns labelled by dims only
        key = tuple(sorted(dims.items()))
        group = groups.setdefault(key, len(groups))
        if any(c.group == group and c.role == fld for c in columns):
            raise sheet.error(f"second {fld!r} column for the same values", leaf_row, j)
        columns.append(_Column("value", fld, dims, group, per))
    return columns


_WANTED = {
    "sex": {"sex"},
    "category": {"measure", "substance", "cause"},
    "age_band": {"age_band"},
    "quintile": {"quintile"},
}


def key_dims(sheet: Sheet, i: int, columns: list[_Column]) -> dict[str, Any]:
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
            if norm(name) in AREA_ALIASES:
                found["area_code"] = AREA_ALIASES[norm(name)]
        else:
            found = sheet.classify(value, col.role == "category") or {}
            wanted = _WANTED.get(col.role or "", set(found))
            if not found or not wanted & set(found):
                raise sheet.error(f"unrecognised label {value!r}", i, j)
        dims = merge(sheet, i, j, dims, found)  # e.g. a name that contradicts the code
    return dims


#: Key columns that label every row of their table: a blank there never repeats the
#: label above (two rows for one age band or quintile are not a block of years).
_ROW_LABELS = frozenset({"age_band", "quintile"})


def _check_blank_keys(sheet: Sheet, i: int, columns: list[_Column], accessible: bool) -> None:
    """A blank key cell of data row ``i`` may repeat the key above it only where that is
    how the table is laid out.

    The tables of the 2021 and earlier editions give a year or a sex once, on the first
    row of its block; the accessible layout (2022 on) fills every key cell. A blank
    there, and a blank age band or quintile in any layout, is a cell lost (an empty
    cell, an Excel error such as ``#N/A``, or a formula saved without its value), which
    carrying the label down would silently put under another key.
    """
    for j, col in enumerate(columns):
        if col.kind != "key" or col.role is None or sheet.cell(i, j) != "":
            continue
        if accessible or col.role in _ROW_LABELS:
            what = col.role.replace("_", " ")
            raise sheet.error(
                f"blank {what} cell in a data row (an empty cell, an Excel error such as #N/A, "
                "or a formula saved without its value): every row of this table names its "
                f"{what}",
                i,
                j,
            )


def read_grid(sheet: Sheet, start: int, end: int) -> None:
    """Read a table with header rows ``start..end`` above its values.

    Row keys come from key columns (year, sex, area code/name, substance, age
    group, quintile...), from unlabelled columns left of the values, or from
    section rows holding a single label (``"Persons"``); in the 2021 and earlier
    layouts a year, sex or other group key left blank repeats the one above it
    until a blank row or a new section (years are often given only on the first
    row of a block); a blank age band or quintile, and any blank key of the
    accessible layout, raises (see ``_check_blank_keys``). Value columns are
    grouped by what their upper header rows say (sex, measure, substance, area,
    underlying cause, age band, quintile); an unlabelled column right of a rate
    column holds that rate's marker (``u``).
    """
    columns = columns_of(sheet, start, end)
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
    accessible = not _has_footnotes(sheet)
    for i in range(end + 1, len(sheet.rows)):
        row = sheet.rows[i]
        filled = [j for j, v in enumerate(row) if v != ""]
        if not filled:
            carried = {}
            continue
        values = [j for j in filled if j >= len(columns) or columns[j].kind != "key"]
        if in_notes or (not values and len(filled) == 1 and is_note(row[filled[0]])):
            if values:
                raise sheet.error("values found below the table's notes", i, values[0])
            in_notes = sheet.notes = True
            continue
        if not values:
            if len(filled) > 1:
                raise sheet.error("row has labels but no values", i, filled[0])
            section, carried = {**section, **key_dims(sheet, i, columns)}, {}
            continue
        for j in values:
            if j >= len(columns) or columns[j].kind == "spacer":
                raise sheet.error("value in a column without a header", i, j)
        _check_blank_keys(sheet, i, columns, accessible)
        own = key_dims(sheet, i, columns)
        keys = {**carried, **own}
        carried = {k: v for k, v in keys.items() if k not in ("area_code", "area_name")}
        for group in groups.values():
            merged = merge(sheet, i, min(group.fields.values()), section, keys, group.dims)
            emit(sheet, i, merged, group.fields, group.rate_per)


def read_sheet(sheet: Sheet) -> None:
    """Detect the layout of a recognised sheet and read its rows."""
    rows = sheet.rows
    start = next((i for i, row in enumerate(rows) if sum(v != "" for v in row) >= 2), None)
    if start is None:
        raise sheet.error("unknown layout: no header row found")
    header = [v for v in rows[start] if v != ""]
    n_periods = sum(period_of_cell(v) is not None for v in header)
    titles = [v for v in header if period_of_cell(v) is None]
    if n_periods >= 1 and all(key_role(norm(v)) for v in titles) and len(titles) <= 2:
        read_years_across(sheet, start)
    elif any(is_datum(v, sheet.kind) for v in header):
        raise sheet.error("unknown layout: data where the header row should be", start)
    else:
        read_grid(sheet, start, header_end(sheet, start))
    if not sheet.records:
        raise sheet.error("no data rows found under the table header")
    if _has_footnotes(sheet) and not sheet.notes:
        last = max(r["row"] for r in sheet.records)
        raise sheet.error(
            "the data stop without the table's footnotes (file truncated or damaged?)", last
        )


def _has_footnotes(sheet: Sheet) -> bool:
    """Whether the layout puts footnotes below each table: the 2021 and earlier
    editions (a "Back to contents" link above the title) do; the accessible
    layout keeps its notes on a Notes sheet."""
    top = [v for row in sheet.rows[:2] for v in row if isinstance(v, str)]
    return any(re.fullmatch(r"back to (the )?(table of )?contents", v.strip(), re.I) for v in top)


def split_causes(sheet: Sheet) -> None:
    """A deaths-by-sex table broken down by underlying cause (2021 Table 1) gives
    ``deaths_by_sex`` (all causes) and ``deaths_by_cause`` (every cause block)."""
    if sheet.kind.table != "deaths_by_sex":
        return
    if not any(r["cause"] != "all" for r in sheet.records):
        return
    by_cause = [{**r, "table": "deaths_by_cause"} for r in sheet.records]
    sheet.records[:] = [r for r in sheet.records if r["cause"] == "all"] + by_cause


def own_title(rows: Sequence[Sequence[Any]]) -> str:
    """Title text at the top of a sheet, stopping at the first multi-cell row."""
    parts: list[str] = []
    for row in rows[:10]:
        cells = [v for v in row if v != "" and not (isinstance(v, str) and not v.strip())]
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
