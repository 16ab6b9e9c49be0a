"""Column-wise reading of one ONS local-authority table (private to :mod:`.ons_local`).

The rows of a sheet are classified once (area row, heading row, footnote); the
value cells of all area rows are then parsed as whole columns: numeric cells in
one array operation, and each distinct text (markers such as ``:`` or ``[c]``,
numbers written as text) parsed once. Every check that guards against silent
loss runs on these arrays and names the offending cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.constants import GSS_CODE, MARKERS, SEX_LABELS
from overdose_trends.errors import DataFormatError
from overdose_trends.io._la_layouts import (
    Layout,
    area_level,
    detect_layout,
    is_blank,
    measure_in,
    rate_per,
    sex_in,
)
from overdose_trends.io._workbook import (
    MAX_EXACT_COUNT,
    Workbook,
    clean_label,
    column_letter,
    parse_number,
    period_of_cell,
)
from overdose_trends.schema import rate_status

#: Status codes used in the arrays: 0 = no marker, i + 1 = _STATUSES[i].
_STATUSES = tuple(sorted(set(MARKERS.values())))
_UNRELIABLE = _STATUSES.index("unreliable") + 1
#: ``rate_status`` by the codes :func:`read_table` returns (0 = ``"ok"``).
STATUS_NAMES = np.array(("ok", *_STATUSES), dtype=object)
_OK = 0
_NOT_AVAILABLE = _STATUSES.index("not_available") + 1
_NOT_CALCULATED = _STATUSES.index("not_calculated") + 1
_BLANK_CAUSES = (
    "blank cell where a number belongs (an empty cell, an Excel error such as #REF! or #N/A, "
    "or a formula saved without its value)"
)

#: Compact per-row arrays one table yields (strings as small codes; see SheetTable).
_COMPACT = (
    "position",
    "measure",
    "sex",
    "period_start",
    "period_end",
    "deaths",
    "rate",
    "lcl",
    "ucl",
    "rate_status",
)
#: ``sex`` values by the codes in :attr:`SheetTable.columns`.
SEXES = ("persons", "males", "females")


@dataclass
class SheetTable:
    """One table read from a sheet: its tidy rows and what completeness checks need."""

    sheet: str
    #: one entry per tidy row (see _COMPACT): ``position`` indexes the area rows below,
    #: ``measure`` indexes :attr:`measures`, ``sex`` indexes SEXES, ``rate_status``
    #: indexes STATUS_NAMES
    columns: dict[str, np.ndarray]
    areas: list[str]  # area codes in sheet order
    has_footer: bool  # text (footnotes, source) follows the data rows
    last_row: int  # 1-based row of the last area row
    span: int  # years in each period (1 for single-year tables)
    code_col: int  # 0-based column of the area codes
    row_codes: np.ndarray  # per area row: code, name, level, 1-based spreadsheet row
    row_names: np.ndarray
    row_levels: np.ndarray
    row_numbers: np.ndarray
    measures: list[str]
    rate_per: int
    #: periods of a wide table (one block of columns per period), newest first; empty for
    #: a long table (a period column)
    periods: tuple[tuple[int, int], ...] = ()


def _has_number(value: Any) -> bool:
    try:
        return parse_number(value).value is not None
    except ValueError:
        return True  # text where a number belongs: a data cell, reported by the caller


def _factorize(flat: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Integer codes into the distinct values of an object array (each parsed once)."""
    codes, uniques = pd.factorize(flat, use_na_sentinel=False)
    out = list(uniques)
    # factorize merges values that compare equal: True with 1.0, False with 0.0. Give
    # booleans (a Boolean cell in a table of numbers) their own code so they are reported.
    for u, v in enumerate(out):
        if isinstance(v, bool) or v == 0 or v == 1:
            same = np.flatnonzero(codes == u)
            kinds = {type(flat[p]) for p in same}
            if bool in kinds and len(kinds) > 1:
                first_bool = next(p for p in same if isinstance(flat[p], bool))
                codes[first_bool] = len(out)
                out.append(flat[first_bool])
    return codes, out


class _Cells:
    """Parsed value cells of the area rows: numbers, marker codes and blanks (n x k)."""

    def __init__(self, grid: np.ndarray, fail) -> None:
        n, k = grid.shape
        flat = grid.ravel()
        index, uniques = _factorize(flat)
        u_values = np.full(len(uniques), np.nan)
        u_codes = np.zeros(len(uniques), dtype=np.int8)
        u_blank = np.zeros(len(uniques), dtype=bool)
        for u, v in enumerate(uniques):
            got = self._parse(v)
            if isinstance(got, str):
                fail(got, *divmod(int(np.flatnonzero(index == u)[0]), k))
                continue  # fail raises
            u_values[u], u_codes[u], u_blank[u] = got
        self.values = u_values[index].reshape(n, k)
        self.codes = u_codes[index].reshape(n, k)
        self.blank = u_blank[index].reshape(n, k)

    @staticmethod
    def _parse(value: Any) -> tuple[float, int, bool] | str:
        if isinstance(value, str) and not value.strip():
            return (np.nan, 0, True)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return f"expected a number or an ONS marker, found a {type(value).__name__}"
        try:
            cell = parse_number(value)
        except ValueError as exc:
            return str(exc)
        code = _STATUSES.index(cell.status) + 1 if cell.status else 0
        return (np.nan if cell.value is None else cell.value, code, False)


def _marker_codes(column: np.ndarray, fail) -> np.ndarray:
    """Status codes of a reliability-marker column (``""``/``"ok"`` = no marker)."""
    index, uniques = _factorize(column)
    u_codes = np.zeros(len(uniques), dtype=np.int8)
    for u, v in enumerate(uniques):
        if clean_label(v) in {"", "ok"}:
            continue
        try:
            status = parse_number(v).status if isinstance(v, str) else None
        except ValueError:
            status = None
        if status is None:
            fail(f"unknown marker {v!r}", int(np.flatnonzero(index == u)[0]))
        else:
            u_codes[u] = _STATUSES.index(status) + 1
    return u_codes[index]


def _unique_map(values: Sequence[Any], convert) -> list[Any]:
    cache: dict[Any, Any] = {}
    out = []
    for v in values:
        key = (type(v), v)
        if key not in cache:
            cache[key] = convert(v)
        out.append(cache[key])
    return out


def read_table(wb: Workbook, sheet: str, title: str, ignored: list[dict[str, Any]]) -> SheetTable:
    """Read one table of deaths by area from ``sheet`` (``title`` gives measure and sex)."""
    rows = wb.rows(sheet)
    layout = detect_layout(wb, sheet, rows)
    measure_default = measure_in(title)
    sex_default = sex_in(title) or "persons"
    per = rate_per(wb, sheet, rows)

    def err(msg: str, i: int, j: int | None = None) -> DataFormatError:
        column = None if j is None else column_letter(j)
        return DataFormatError(msg, file=wb.name, sheet=sheet, row=i + 1, column=column)

    blocks: dict[tuple, dict[str, int]] = {}
    for c in layout.values:
        fields = blocks.setdefault((c.period, c.sex, c.measure), {})
        assert c.field is not None  # value columns name their field
        if c.field in fields:
            raise err(f"two {c.field!r} columns for the same period", layout.header_row, c.index)
        fields[c.field] = c.index

    width = max(len(r) for r in rows)
    area_rows, has_footer = _area_rows(rows, layout, width, ignored, sheet, err)
    grid = np.empty((len(area_rows), width), dtype=object)
    grid[:] = ""
    for r, i in enumerate(area_rows):
        row = rows[i]
        grid[r, : len(row)] = row
    n = len(area_rows)
    codes = [str(v).strip() for v in grid[:, layout.code_col]]

    # area names: the first filled name column; its position gives the level when the
    # code's prefix does not
    names: list[str] = []
    levels: list[str] = []
    for r in range(n):
        for pos, j in enumerate(layout.name_cols):
            text = str(grid[r, j]).strip()
            if text:
                names.append(text)
                levels.append(area_level(codes[r], pos))
                break
        else:
            raise err("area name is empty", area_rows[r], layout.name_cols[0])
    for j in layout.ignored:
        col = grid[:, j]
        filled = [r for r in np.flatnonzero(col != "") if not is_blank([col[r]])]
        if filled:
            r = int(filled[0])
            raise err(f"unexpected value {grid[r, j]!r} in an unlabelled column", area_rows[r], j)

    row_period = _row_periods(grid, layout, area_rows, err)
    row_sex = None
    if layout.sex_col is not None:
        row_sex = _unique_map(
            list(grid[:, layout.sex_col]), lambda v: SEX_LABELS.get(clean_label(v))
        )
        for r, s in enumerate(row_sex):
            if s is None:
                raise err(f"unknown sex {grid[r, layout.sex_col]!r}", area_rows[r], layout.sex_col)

    number_cols = [c.index for c in layout.values if c.field != "marker"]
    where = {j: k for k, j in enumerate(number_cols)}

    def cell_fail(msg: str, r: int, k: int) -> None:
        raise err(msg, area_rows[r], number_cols[k])

    cells = _Cells(grid[:, number_cols], cell_fail)
    markers = {
        c.index: _marker_codes(
            grid[:, c.index], lambda m, r, j=c.index: _raise(err(m, area_rows[r], j))
        )
        for c in layout.values
        if c.field == "marker"
    }
    _check_blanks(wb, sheet, cells, markers, blocks, where, area_rows, err)

    parts: dict[str, list[np.ndarray]] = {key: [] for key in _COMPACT}
    measures: list[str] = []
    position = np.arange(n, dtype=np.int32)
    for (period, sex, measure), fields in blocks.items():
        measure = measure or measure_default
        if measure is None:
            raise err(
                "cannot tell whether the table is drug poisoning or drug misuse", area_rows[0]
            )
        if period is None and row_period is None:
            raise err("no registration year or period for this row", area_rows[0])
        get = {f: cells.values[:, where[j]] for f, j in fields.items() if f != "marker"}
        deaths = get.get("deaths", np.full(n, np.nan))
        _check_numbers(get, fields, area_rows, err)
        status = _block_status(fields, cells, markers, where, deaths, get.get("rate"))
        if period is not None:
            starts = np.full(n, period[0], dtype=np.int16)
            ends = np.full(n, period[1], dtype=np.int16)
        else:
            assert row_period is not None
            starts, ends = (x.astype(np.int16) for x in row_period)
        if sex is None and row_sex is not None:
            sexes = np.asarray([SEXES.index(x) for x in row_sex], dtype=np.int8)
        else:
            sexes = np.full(n, SEXES.index(sex or sex_default), dtype=np.int8)
        nan = np.full(n, np.nan)
        for key, value in (
            ("position", position),
            ("measure", np.full(n, len(measures), dtype=np.int16)),
            ("sex", sexes),
            ("period_start", starts),
            ("period_end", ends),
            ("deaths", deaths),
            ("rate", get.get("rate", nan)),
            ("lcl", get.get("lcl", nan)),
            ("ucl", get.get("ucl", nan)),
            ("rate_status", status),
        ):
            parts[key].append(value)
        measures.append(measure)
    # interleave the blocks row by row: spreadsheet order, each row's blocks left to right
    columns = {key: np.column_stack(arrays).ravel() for key, arrays in parts.items()}
    del parts
    span = int((columns["period_end"] - columns["period_start"]).max()) + 1
    return SheetTable(
        sheet=sheet,
        columns=columns,
        areas=list(dict.fromkeys(codes)),
        has_footer=has_footer,
        last_row=area_rows[-1] + 1,
        span=span,
        code_col=layout.code_col,
        row_codes=np.asarray(codes, dtype=object),
        row_names=np.asarray(names, dtype=object),
        row_levels=np.asarray(levels, dtype=object),
        row_numbers=np.asarray(area_rows, dtype=np.int64) + 1,
        measures=measures,
        rate_per=per,
        periods=tuple(sorted({p for p, _, _ in blocks if p is not None}, reverse=True)),
    )


def _raise(exc: Exception) -> None:
    raise exc


def _area_rows(rows, layout: Layout, width: int, ignored, sheet: str, err):
    """Indices of the area rows; whether footnotes follow. Checks rows without a GSS code."""
    value_idx = [c.index for c in layout.values]
    out: list[int] = []
    ended = footer = False
    for i in range(layout.data_start, len(rows)):
        row = rows[i]
        if is_blank(row):
            continue
        if len(row) < width:
            row = [*row, *([""] * (width - len(row)))]
        code = str(row[layout.code_col]).strip()
        if GSS_CODE.match(code):
            if ended:
                raise err("data row found after the table's footnotes", i, layout.code_col)
            out.append(i)
            continue
        if any(_has_number(row[j]) for j in value_idx):
            raise err(f"area code {code!r} is not a GSS code", i, layout.code_col)
        stray = [row[j] for j in value_idx if not is_blank([row[j]])]
        if stray:
            # e.g. a blank separator row holding only ':' markers (2019 edition, Table 6)
            ignored.append(
                {
                    "sheet": sheet,
                    "row": i + 1,
                    "reason": f"row without an area code holds only markers {stray}",
                }
            )
        elif code or not is_blank(row[: layout.code_col + 1 + len(layout.name_cols)]):
            ended = footer = True  # footnotes / source lines after the table
    return out, footer


def _row_periods(grid, layout: Layout, area_rows, err):
    """Per-row periods of a long table (a period column), all of one length."""
    if layout.period_col is None:
        return None
    j = layout.period_col
    periods = _unique_map(list(grid[:, j]), period_of_cell)
    for r, p in enumerate(periods):
        if p is None:
            raise err(f"cannot read period {grid[r, j]!r}", area_rows[r], j)
    starts = np.array([p[0] for p in periods], dtype=np.int64)
    ends = np.array([p[1] for p in periods], dtype=np.int64)
    spans = ends - starts
    values, counts = np.unique(spans, return_counts=True)
    if len(values) > 1:
        usual = int(values[np.argmax(counts)])
        r = int(np.flatnonzero(spans != usual)[0])
        raise err(
            f"period {grid[r, j]!r} spans {int(spans[r]) + 1} years but the table's other "
            f"periods span {usual + 1} (a table must not mix period lengths)",
            area_rows[r],
            j,
        )
    return starts, ends


def _check_blanks(wb, sheet, cells: _Cells, markers, blocks, where, area_rows, err) -> None:
    """No figure may be lost to a blank cell.

    Within a block (one period of one table): the deaths cell is filled whenever any
    other cell of the block is (a count-only block: whenever the row holds any figure,
    so only heading rows are blank); the rate and its two limits are filled together
    or left blank together (ONS leaves all three blank where it publishes no rate).
    A wholly blank block is "not published" (e.g. metropolitan counties in recent
    periods of the 2019 edition).
    """
    filled = ~cells.blank
    row_has_figures = filled.any(axis=1)
    for fields in blocks.values():
        ks = {f: where[j] for f, j in fields.items() if f != "marker"}
        if not ks:
            continue
        some = filled[:, list(ks.values())].any(axis=1)
        for f, j in fields.items():
            if f == "marker":
                some |= markers[j] > 0
        missing = np.zeros((len(area_rows), 0), dtype=bool)
        checked: list[str] = []
        if "deaths" in ks:
            need = row_has_figures if len(ks) == 1 else some
            missing = (~filled[:, ks["deaths"]] & need)[:, None]
            checked = ["deaths"]
        limits = [f for f in ("rate", "lcl", "ucl") if f in ks]
        if limits:
            got = filled[:, [ks[f] for f in limits]]
            partial = got.any(axis=1) & ~got.all(axis=1)
            missing = np.column_stack([missing, ~got & partial[:, None]])
            checked += limits
        if not missing.any():
            continue
        r, k = (int(x) for x in np.argwhere(missing)[0])
        i, j = area_rows[r], fields[checked[k]]
        merged = any(
            r0 <= i <= r1 and c0 <= j <= c1 for (r0, c0), (r1, c1) in wb.merged_ranges(sheet)
        )
        what = "merged cell where a number belongs" if merged else _BLANK_CAUSES
        raise err(f"{what}; other cells of this area row hold figures", i, j)


def _check_numbers(get: dict[str, np.ndarray], fields, area_rows, err) -> None:
    """Counts whole, non-negative and exact; rates and limits non-negative, lcl <= rate <= ucl."""
    deaths = get.get("deaths")
    if deaths is not None:
        bad = ~np.isnan(deaths) & (
            (deaths < 0) | (deaths != np.floor(deaths)) | (deaths > MAX_EXACT_COUNT)
        )
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            value = deaths[r]
            shown = int(value) if value.is_integer() else float(value)
            raise err(
                f"deaths must be a whole number >= 0 and at most 2**53, found {shown!r}",
                area_rows[r],
                fields["deaths"],
            )
    for name in ("rate", "lcl", "ucl"):
        x = get.get(name)
        if x is not None and (x < 0).any():
            r = int(np.flatnonzero(x < 0)[0])
            raise err(
                f"{name} must not be negative, found {float(x[r])!r}", area_rows[r], fields[name]
            )
    pairs = (("lcl", "rate"), ("rate", "ucl"), ("lcl", "ucl"))
    for low, high in pairs:
        a, b = get.get(low), get.get(high)
        if a is None or b is None:
            continue
        with np.errstate(invalid="ignore"):
            bad = a > b
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise err(
                f"{low} {float(a[r])!r} is above {high} {float(b[r])!r} "
                "(limits must satisfy lcl <= rate <= ucl)",
                area_rows[r],
                fields[low],
            )


def _block_status(fields, cells: _Cells, markers, where, deaths, rate) -> np.ndarray:
    """``rate_status`` codes (into :data:`STATUS_NAMES`) of one block for every area row."""
    n = len(deaths)
    first_any = np.zeros(n, dtype=np.int8)
    first_hard = np.zeros(n, dtype=np.int8)  # first marker other than "unreliable"
    any_unreliable = np.zeros(n, dtype=bool)
    for fname, j in fields.items():
        code = markers[j] if fname == "marker" else cells.codes[:, where[j]]
        first_any = np.where(first_any == 0, code, first_any)
        hard = np.where(code == _UNRELIABLE, 0, code)
        first_hard = np.where(first_hard == 0, hard, first_hard)
        any_unreliable |= code == _UNRELIABLE
    if rate is None:
        return np.where(first_any > 0, first_any, _NOT_AVAILABLE).astype(np.int8)
    small = rate_status(deaths) == "not_calculated"
    blank = np.where(first_hard > 0, first_hard, np.where(small, _NOT_CALCULATED, _NOT_AVAILABLE))
    shown = np.where(any_unreliable, _UNRELIABLE, _OK)
    return np.where(np.isnan(rate), blank, shown).astype(np.int8)
