"""Seeded generators of malformed inputs for the fuzz suite.

Every generator takes a :class:`random.Random` (seeded by the test from the case
id) so that a failing case can be rebuilt exactly: rerun the one pytest id. A
case is a :class:`Case`: a name, what the reader must do with it (``expect``)
and the mutation to apply to a copy of a small valid control input.

Expectations (checked by :func:`tests.fuzz._check.problems`):

``"raise"``
    a clean ``DataFormatError``/``ValueError`` naming its location;
``"same"``
    a result identical to the control (a mutation that changes nothing the
    reader should care about);
``"raise_or_same"``
    either of the two;
``"raise_or_complete"``
    a clean error, or a result with at least the control's rows and no
    negative or wrapped numbers (the mutation may legitimately change a value,
    e.g. a flipped byte inside a number, but rows must not go missing);
``"accounted"``
    row-level readers (kit logs, kit counts, death records): a clean error, or
    every input row loaded or rejected (``n_loaded + n_rejected == n_input``,
    ``n_input`` as expected) with no negative or wrapped numbers.
"""

from __future__ import annotations

import copy
import os
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Sheets = dict[str, list[list[Any]]]

#: Identifier-like strings planted into person-level inputs; none may reach any output.
PLANTED = (
    "9434765919",
    "NHS9434765919",
    "943.476.5919",
    "(01702) 215000",
    "Jacob Marley",
    "12 March 1985",
    "SS1 2AB",
    "jacob.marley@example.org",
)
#: Non-numbers and impossible numbers written where a count or rate belongs.
BAD_NUMBERS: tuple[tuple[str, Any], ...] = (
    ("blank", None),
    ("ref_error", "#REF!"),
    ("na_error", "#N/A"),
    ("inf", float("inf")),
    ("nan", float("nan")),
    ("text_nan", "NaN"),
    ("negative", -5),
    ("huge_1e20", 1e20),
    ("huge_1e308", 1e308),
    ("huge_int", 99999999999999999999),
    ("thousands_eu", "5.000,0"),
    ("underscore", "1_000"),
    ("text", "see note"),
    ("formula", "=A1*2"),
)
LONG = "x" * 1_000_000
#: ``FUZZ_FULL=1`` runs every case; by default a CI-sized subset (the whole suite in about
#: a minute of CPU) that still covers every kind of mutation for every reader.
FULL = os.environ.get("FUZZ_FULL", "") not in ("", "0")
#: Random byte-level trials per kind and input (flips, 4 KiB overwrites twice as many).
REPEAT = 4 if FULL else 2
GSS = re.compile(r"^[EWSNK]\d{8}$")


@dataclass
class Case:
    """One generated input: ``name`` (the pytest id), ``expect`` and the mutation."""

    name: str
    expect: str
    mutate: Callable[..., Any]
    fmt: str = ""
    planted: Sequence[str] = ()
    extra: dict[str, Any] = field(default_factory=dict)


# --- bytes ---------------------------------------------------------------------------------
def flip_bytes(data: bytes, rng: random.Random, n: int) -> bytes:
    """``data`` with ``n`` random bytes XOR-ed with a random non-zero mask."""
    out = bytearray(data)
    for _ in range(n):
        i = rng.randrange(len(out))
        out[i] ^= rng.randrange(1, 256)
    return bytes(out)


def overwrite(data: bytes, rng: random.Random, size: int) -> bytes:
    """``data`` with ``size`` bytes at a random offset replaced by random bytes."""
    size = min(size, len(data))
    i = rng.randrange(len(data) - size + 1)
    junk = bytes(rng.randrange(256) for _ in range(size))
    return data[:i] + junk + data[i + size :]


def truncate(data: bytes, length: int) -> bytes:
    """The first ``length`` bytes of ``data``."""
    return data[:length]


# --- workbook grids --------------------------------------------------------------------------
def _is_year(v: Any) -> bool:
    return isinstance(v, int) and 1990 <= v <= 2030


def number_cells(rows: list[list[Any]]) -> list[tuple[int, int]]:
    """(row, column) of every number in a data row.

    A data row starts with a GSS area code (local-authority tables) or, in the
    national tables (title, shorthand, source, header above), is below row 4;
    years are not counted as numbers.
    """
    la = any(row and isinstance(row[0], str) and GSS.match(row[0]) for row in rows)
    return [
        (r, c)
        for r, row in enumerate(rows)
        if row and (GSS.match(str(row[0])) if la else r >= 4)
        for c, v in enumerate(row)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not _is_year(v)
    ]


def table_sheets(sheets: Sheets) -> list[str]:
    """Sheets whose name starts with "Table" (the ONS data tables)."""
    return [n for n in sheets if n.lower().startswith("table")]


def set_cell(sheets: Sheets, sheet: str, r: int, c: int, value: Any) -> None:
    """Write ``value`` at (r, c) of ``sheet``, padding the row."""
    row = sheets[sheet][r]
    while len(row) <= c:
        row.append(None)
    row[c] = value


def pick_number_cell(sheets: Sheets, rng: random.Random) -> tuple[str, int, int]:
    """A random number cell in an area row of a random table sheet that has one."""
    choices = [s for s in table_sheets(sheets) if number_cells(sheets[s])]
    sheet = rng.choice(sorted(choices))
    r, c = rng.choice(number_cells(sheets[sheet]))
    return sheet, r, c


def header_row(rows: list[list[Any]]) -> int:
    """Index of the row above the first area row (the column header of a table)."""
    for r, row in enumerate(rows):
        if row and isinstance(row[0], str) and GSS.match(row[0]):
            r -= 1
            while r > 0 and not any(v not in (None, "") for v in rows[r]):
                r -= 1
            return r
    raise LookupError("no area rows")


def grid_cases(layout: str) -> list[Case]:
    """Cell, column and sheet mutations of an ONS workbook grid.

    ``layout`` is ``"la"`` (local-authority tables, area rows start with a GSS
    code) or ``"national"`` (mutations that do not need area rows).
    """
    cases: list[Case] = []

    def add(name: str, expect: str, fn: Callable[[Sheets, random.Random], Any]) -> None:
        cases.append(Case(name, expect, fn))

    for label, value in BAD_NUMBERS:

        def bad(s: Sheets, rng: random.Random, value: Any = value) -> None:
            sheet, r, c = pick_number_cell(s, rng)
            set_cell(s, sheet, r, c, value)

        # a huge but finite number may load (as itself: never wrapped or negative)
        expect = "raise_or_complete" if label.startswith("huge") else "raise"
        add(f"{label}-0", expect, bad)

    if layout == "la":

        def long_number(s: Sheets, rng: random.Random) -> None:
            sheet, r, c = pick_number_cell(s, rng)
            set_cell(s, sheet, r, c, LONG)

        add("long-string-in-count", "raise", long_number)

        def long_name(s: Sheets, rng: random.Random) -> None:
            sheet = rng.choice(table_sheets(s))
            r = number_cells(s[sheet])[0][0]
            set_cell(s, sheet, r, 1, LONG)

        add("long-area-name", "raise_or_complete", long_name)

        def remove_codes(s: Sheets, rng: random.Random) -> None:
            sheet = rng.choice(table_sheets(s))
            for row in s[sheet]:
                if row:
                    del row[0]

        for k in range(2):
            add(f"remove-code-column-{k}", "raise", remove_codes)

        def drop_column(s: Sheets, rng: random.Random) -> None:
            sheet = rng.choice(table_sheets(s))
            c = rng.choice(sorted({c for _, c in number_cells(s[sheet])}))
            for row in s[sheet]:
                if len(row) > c:
                    del row[c]

        for k in range(3):
            add(f"remove-value-column-{k}", "raise", drop_column)

        def swap_limits(s: Sheets, rng: random.Random) -> None:
            for sheet in table_sheets(s):
                for r, row in enumerate(s[sheet]):
                    nums = [
                        c
                        for c, v in enumerate(row)
                        if isinstance(v, float) and r in {x for x, _ in number_cells(s[sheet])}
                    ]
                    # a rate block is rate, marker, lcl, ucl: find rate < ucl with float lcl
                    for c in nums:
                        if (
                            c + 3 < len(row)
                            and isinstance(row[c + 2], float)
                            and isinstance(row[c + 3], float)
                            and row[c + 2] < row[c + 3]
                        ):
                            row[c + 2], row[c + 3] = row[c + 3], row[c + 2]
                            return
            raise LookupError("no limits")

        add("swapped-limits", "raise", swap_limits)

        def negative_rate(s: Sheets, rng: random.Random) -> None:
            for sheet in table_sheets(s):
                for r, c in number_cells(s[sheet]):
                    row = s[sheet][r]
                    if isinstance(row[c], float) and c + 3 < len(row):
                        row[c] = -row[c]
                        return
            raise LookupError("no rate")

        add("negative-rate", "raise", negative_rate)

        def merge_years(s: Sheets, rng: random.Random) -> None:
            rows = s[table_sheets(s)[0]]
            h = header_row(rows)
            for c, v in enumerate(rows[h]):
                if isinstance(v, (int, float)) or (isinstance(v, str) and v[:4].isdigit()):
                    year = int(float(str(v)[:4]))
                    rows[h][c] = f"{year}-{str(year + 1)[2:]}"
                    return

        add("two-year-header-in-single-year-table", "raise", merge_years)

        def reverse_period(s: Sheets, rng: random.Random) -> None:
            for sheet in table_sheets(s)[2:]:
                for row in s[sheet]:
                    for c, v in enumerate(row):
                        m = re.match(r"^(\d{4})(\u2013| to )(\d{2,4})(.*)$", str(v or ""))
                        if m:
                            a, sep, b, rest = m.groups()
                            b4 = int(b) if len(b) == 4 else 2000 + int(b)
                            row[c] = f"{b4}{sep}{a if len(b) == 4 else a[2:]}{rest}"
                            return

        add("reversed-period", "raise", reverse_period)

        def merged(s: Sheets, rng: random.Random) -> dict[str, Any]:
            from openpyxl.utils import get_column_letter

            sheet, r, c = pick_number_cell(s, rng)
            left, right = get_column_letter(c + 1), get_column_letter(c + 2)
            return {"merged": {sheet: [f"{left}{r + 1}:{right}{r + 1}"]}}

        add("merged-number-cells", "raise", merged)

    # layout-independent: far cells, titles, sheets
    def far_cell(s: Sheets, rng: random.Random) -> dict[str, Any]:
        return {"far": rng.choice(table_sheets(s))}

    add("far-cell-XFD1048576", "raise", far_cell)

    def clear_title(s: Sheets, rng: random.Random) -> None:
        sheet = rng.choice(table_sheets(s))
        for row in s[sheet]:
            for c, v in enumerate(row):
                if isinstance(v, str) and "death" in v.lower() and len(v) > 30:
                    row[c] = None
                    return

    for k in range(2):
        add(f"cleared-title-{k}", "raise_or_same", clear_title)

    def empty_sheet(s: Sheets, rng: random.Random) -> None:
        sheet = rng.choice(table_sheets(s))
        s[sheet] = [[]]

    for k in range(2):
        add(f"emptied-table-sheet-{k}", "raise", empty_sheet)

    def delete_sheet(s: Sheets, rng: random.Random) -> None:
        del s[rng.choice(table_sheets(s))]

    for k in range(2):
        add(f"deleted-table-sheet-{k}", "raise", delete_sheet)

    def duplicate_sheet(s: Sheets, rng: random.Random) -> None:
        sheet = rng.choice(table_sheets(s))
        s[f"Copy of {sheet}"[:31]] = copy.deepcopy(s[sheet])

    for k in range(2):
        add(f"duplicated-table-sheet-{k}", "raise", duplicate_sheet)

    def hidden_duplicate(s: Sheets, rng: random.Random) -> dict[str, Any]:
        sheet = rng.choice(table_sheets(s))
        s["Sheet9"] = copy.deepcopy(s[sheet])
        return {"hidden": ["Sheet9"]}

    add("hidden-duplicated-table-sheet", "raise", hidden_duplicate)

    def cut_rows(s: Sheets, rng: random.Random) -> None:
        # the data stop half-way: the rows after a random area row are removed
        sheet = rng.choice(table_sheets(s))
        rows = s[sheet]
        cells = number_cells(rows) or [(len(rows) - 1, 0)]
        r = rng.choice(sorted({x for x, _ in cells}))
        s[sheet] = rows[: max(r, 1)]

    if layout == "la":  # a national long table cut short is still a valid shorter table
        for k in range(2):
            add(f"table-cut-short-{k}", "raise", cut_rows)

    def trailing_blanks(s: Sheets, rng: random.Random) -> None:
        for sheet in table_sheets(s):
            s[sheet].append([])
            s[sheet].append([None, None])

    add("trailing-blank-rows", "same", trailing_blanks)

    def empty_hidden_sheet(s: Sheets, rng: random.Random) -> dict[str, Any]:
        s["Scratch"] = [[]]
        return {"hidden": ["Scratch"]}

    add("empty-hidden-sheet", "raise_or_same", empty_hidden_sheet)
    return cases


def byte_cases(sizes: Sequence[int] = (1, 16)) -> list[Case]:
    """Byte flips, 4 KiB overwrites and truncations (random lengths and 513 bytes)."""
    cases: list[Case] = []
    for n in sizes:
        for k in range(REPEAT):
            cases.append(
                Case(
                    f"flip{n}-{k}",
                    "raise_or_complete",
                    lambda b, rng, n=n: flip_bytes(b, rng, n),
                )
            )
    for k in range(2 * REPEAT):
        cases.append(
            Case(f"overwrite4k-{k}", "raise_or_complete", lambda b, rng: overwrite(b, rng, 4096))
        )
    cases.append(Case("truncate513", "raise", lambda b, rng: truncate(b, 513)))
    cases.append(Case("truncate0", "raise", lambda b, rng: b""))
    for k in range(REPEAT):
        cases.append(
            Case(
                f"truncate-random-{k}",
                "raise",
                lambda b, rng: truncate(b, rng.randrange(1, max(2, len(b) - 64))),
            )
        )
    return cases


# --- CSV rows ----------------------------------------------------------------------------------
def to_csv_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """``rows`` as CSV bytes (minimal quoting, ``\\n`` line ends)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buf.getvalue().encode("utf-8")


def cut_inside_last_line(data: bytes, rng: random.Random, keep_lines: int) -> bytes:
    """``data`` cut inside line ``keep_lines`` (0 = header), before that line's last comma."""
    lines = data.split(b"\n")
    start = sum(len(x) + 1 for x in lines[:keep_lines])
    line = lines[keep_lines]
    last_comma = line.rfind(b",")
    if last_comma < 1:
        return data[: start + len(line) // 2]
    return data[: start + rng.randrange(1, last_comma + 1)]


@dataclass(frozen=True)
class CsvSpec:
    """Which columns of a control CSV hold what: names as in its header."""

    numbers: Sequence[str]
    required: Sequence[str]
    text: Sequence[str] = ()
    categories: Sequence[str] = ()
    row_level: bool = False
    #: in CI, only the even (0) or odd (1) entries of :data:`BAD_NUMBERS` (None: all)
    half: int | None = None


def _col(rows: list[list[str]], name: str) -> int:
    return rows[0].index(name)


def csv_cases(spec: CsvSpec) -> list[Case]:
    """Mutations of a CSV given as rows of strings (header first); each returns bytes.

    Strict readers (ONS-like tables) must raise; row-level readers (kit logs,
    kit counts, death records) may instead reject or flag the row, with every
    input row accounted for.
    """
    cases: list[Case] = []
    strict = not spec.row_level

    def add(name: str, expect: str, fn: Callable[..., bytes], planted: Sequence[str] = ()) -> None:
        cases.append(Case(name, expect, fn, planted=planted))

    def data_row(rows: list[list[str]], rng: random.Random) -> int:
        return rng.randrange(1, len(rows))

    numbers = list(BAD_NUMBERS)
    if spec.half is not None and not FULL:  # CI: half per reader, all across similar readers
        numbers = numbers[spec.half :: 2]
    for label, value in numbers:
        if label == "blank" and not strict:
            value = ""

        def bad(rows: list[list[str]], rng: random.Random, value: Any = value) -> bytes:
            c = _col(rows, rng.choice(list(spec.numbers)))
            rows[data_row(rows, rng)][c] = "" if value is None else str(value)
            return to_csv_bytes(rows)

        huge = label.startswith("huge")
        expect = (
            ("raise_or_complete" if huge else "raise")
            if strict
            else ("accounted" if huge else "flagged")
        )
        add(f"{label}", expect, bad)

    for planted in PLANTED[:4] + PLANTED[6:7]:

        def in_number(rows: list[list[str]], rng: random.Random, p: str = planted) -> bytes:
            c = _col(rows, rng.choice(list(spec.numbers)))
            rows[data_row(rows, rng)][c] = p
            return to_csv_bytes(rows)

        if strict:  # published tables: a text value is an error (echoing it leaks nothing)
            if planted.isdigit():
                continue  # a plain integer is a (huge) number there
            add(f"text-in-number-{planted}", "raise", in_number)
        else:
            add(f"identifier-in-number-{planted}", "flagged", in_number, [planted])

    if spec.row_level:
        # a bare name in free text has no shape to detect: only shaped identifiers here
        shaped = [p for p in PLANTED if p != "Jacob Marley"]
        if not FULL:  # CI: a seeded half of the forms per reader (all forms across readers)
            shaped = shaped[::2] if sum(map(ord, "".join(spec.text))) % 2 else shaped[1::2]
        for i, planted in enumerate(shaped):

            def in_text(rows: list[list[str]], rng: random.Random, p: str = planted) -> bytes:
                c = _col(rows, rng.choice(list(spec.text)))
                r = data_row(rows, rng)
                rows[r][c] = rng.choice([p, f"kit_{p}", f"{rows[r][c]} {p}"])
                return to_csv_bytes(rows)

            add(f"identifier-in-text-{i}", "accounted", in_text, [planted])
        for i, planted in enumerate(PLANTED[4:]):

            def in_category(rows: list[list[str]], rng: random.Random, p: str = planted) -> bytes:
                c = _col(rows, rng.choice(list(spec.categories)))
                r = data_row(rows, rng)
                rows[r][c] = f"{rows[r][c]} to {p}"
                return to_csv_bytes(rows)

            add(f"identifier-in-category-{i}", "flagged", in_category, [planted])
        for i, planted in enumerate(("Jacob Marley", "D.O.B. 12 March 1985")):

            def in_header(rows: list[list[str]], rng: random.Random, p: str = planted) -> bytes:
                rows[0].append(p)
                for row in rows[1:]:
                    row.append("")
                return to_csv_bytes(rows)

            add(f"identifier-as-extra-header-{i}", "accounted", in_header, [planted])

    def clear(rows: list[list[str]], rng: random.Random) -> bytes:
        c = _col(rows, rng.choice(list(spec.required)))
        filled = [r for r in range(1, len(rows)) if len(rows[r]) > c and rows[r][c].strip()]
        rows[rng.choice(filled)][c] = ""
        return to_csv_bytes(rows)

    for k in range(2):
        add(f"cleared-required-cell-{k}", "raise" if strict else "flagged", clear)

    def remove(rows: list[list[str]], rng: random.Random) -> bytes:
        c = _col(rows, rng.choice(list(spec.required)))
        for row in rows:
            del row[c]
        return to_csv_bytes(rows)

    for k in range(2):
        add(f"removed-required-column-{k}", "raise", remove)

    def duplicate(rows: list[list[str]], rng: random.Random) -> bytes:
        r = data_row(rows, rng)
        rows.insert(r, list(rows[r]))
        return to_csv_bytes(rows)

    add("duplicated-row", "raise" if strict else "accounted+1", duplicate)

    def short_row(rows: list[list[str]], rng: random.Random) -> bytes:
        r = data_row(rows, rng)
        rows[r] = rows[r][:-2]
        return to_csv_bytes(rows)

    add("short-row", "raise" if strict else "flagged", short_row)

    def long_row(rows: list[list[str]], rng: random.Random) -> bytes:
        rows[data_row(rows, rng)].append("extra")
        return to_csv_bytes(rows)

    add("long-row", "raise" if strict else "flagged", long_row)

    def cut_last(rows: list[list[str]], rng: random.Random) -> bytes:
        data = to_csv_bytes(rows)
        return cut_inside_last_line(data, rng, len(rows) - 1)

    add("truncated-final-record", "raise" if strict else "flagged", cut_last)

    def cut_mid(rows: list[list[str]], rng: random.Random) -> bytes:
        data = to_csv_bytes(rows)
        return cut_inside_last_line(data, rng, rng.randrange(1, len(rows)))

    add("truncated-mid-file", "raise" if strict else "flagged", cut_mid)

    def cut_513(rows: list[list[str]], rng: random.Random) -> bytes:
        return to_csv_bytes(rows)[:513]

    add("truncated-513", "raise" if strict else "truncated", cut_513)

    def flips(rows: list[list[str]], rng: random.Random) -> bytes:
        return flip_bytes(to_csv_bytes(rows), rng, rng.choice([1, 3, 8]))

    for k in range(2):
        add(f"flip-{k}", "raise_or_complete" if strict else "accounted-any", flips)

    def long_text(rows: list[list[str]], rng: random.Random) -> bytes:
        c = _col(rows, rng.choice(list(spec.text or spec.required)))
        rows[data_row(rows, rng)][c] = LONG
        return to_csv_bytes(rows)

    add("long-string-1MB", "raise_or_complete" if strict else "accounted", long_text)

    def swap_columns(rows: list[list[str]], rng: random.Random) -> bytes:
        a, b = rng.sample(range(len(rows[0])), 2)
        for row in rows:
            row[a], row[b] = row[b], row[a]
        return to_csv_bytes(rows)

    add("swapped-column-order", "same", swap_columns)

    def crlf_bom(rows: list[list[str]], rng: random.Random) -> bytes:
        return b"\xef\xbb\xbf" + to_csv_bytes(rows).replace(b"\n", b"\r\n")

    add("crlf-and-bom", "same", crlf_bom)

    def empty(rows: list[list[str]], rng: random.Random) -> bytes:
        return b""

    add("empty-file", "raise", empty)

    def header_only(rows: list[list[str]], rng: random.Random) -> bytes:
        return to_csv_bytes(rows[:1])

    add("header-only", "raise_or_empty", header_only)
    return cases
