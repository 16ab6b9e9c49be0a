"""Low-level access to spreadsheet workbooks (``.xls``, ``.xlsx``, ``.ods``).

This module knows about files and cells, not about ONS tables: it opens a
workbook from a path or an open binary file (detecting the format from the
file's first bytes, not its name), returns each sheet as a grid of Python
values, and offers small helpers for the text found in published tables
(footnote markers, period labels, suppression symbols).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from python_calamine import CalamineWorkbook

from overdose_trends.constants import MARKERS
from overdose_trends.errors import DataFormatError
from overdose_trends.schema import parse_period, rate_status

Source = str | os.PathLike[str] | IO[bytes]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (BIFF in an OLE2 container)
_ZIP = b"PK\x03\x04"  # .xlsx / .ods


def is_workbook(data: bytes) -> bool:
    """Whether the bytes start like an Excel workbook (.xls or .xlsx/.ods), not text."""
    return data.startswith((_OLE2, _ZIP))


def source_name(source: Source) -> str:
    """A human-readable name for ``source`` to use in error messages."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<file object>"))


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based column index (0 -> ``A``, 27 -> ``AB``)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class Workbook:
    """An opened workbook: sheet names and lazily read cell grids.

    Attributes
    ----------
    name : str
        File name used in error messages.
    format : str
        ``"xls"`` or ``"xlsx"`` (zip-based, including ``.ods``).
    sheet_names : list of str
        Sheets in workbook order.
    """

    name: str
    format: str
    _book: CalamineWorkbook = field(repr=False)
    sheet_names: list[str] = field(default_factory=list)
    _cache: dict[str, list[list[Any]]] = field(default_factory=dict, repr=False)

    def rows(self, sheet: str) -> list[list[Any]]:
        """All rows of ``sheet`` as lists of cell values (``""`` for empty cells).

        Row ``i`` of the result is spreadsheet row ``i + 1``. Numbers come back as
        ``float`` or ``int``, text as ``str``, dates as ``datetime``.
        """
        if sheet not in self._cache:
            if sheet not in self.sheet_names:
                raise DataFormatError(
                    f"no sheet named {sheet!r}; sheets are {self.sheet_names}", file=self.name
                )
            try:
                grid = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as exc:  # calamine raises its own error types
                raise DataFormatError(
                    f"cannot read sheet: {exc}", file=self.name, sheet=sheet
                ) from exc
            self._cache[sheet] = grid
        return self._cache[sheet]

    def title(self, sheet: str, max_rows: int = 12) -> str:
        """Text of the first ``max_rows`` rows of ``sheet`` joined by spaces.

        Table titles in ONS workbooks sit in the first few rows; callers match
        this text to find a table by what it contains rather than by sheet number.
        """
        parts: list[str] = []
        for row in self.rows(sheet)[:max_rows]:
            parts.extend(str(v) for v in row if isinstance(v, str) and v.strip())
        return " ".join(parts)


def open_workbook(source: Source) -> Workbook:
    """Open an Excel or OpenDocument workbook from a path or a binary file object.

    The format is detected from the file's first bytes, so a ``.xlsx`` saved
    with a ``.xls`` name (common on the ONS website) opens correctly.

    Raises
    ------
    DataFormatError
        If the file is empty, truncated, not a spreadsheet or cannot be parsed.
    FileNotFoundError
        If a path is given and does not exist.
    """
    name = source_name(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            data = fh.read()
    else:
        data = source.read()
        if isinstance(data, str):
            raise DataFormatError("file object must be opened in binary mode ('rb')", file=name)
    if not data:
        raise DataFormatError("file is empty", file=name)
    if data.startswith(_OLE2):
        fmt = "xls"
    elif data.startswith(_ZIP):
        fmt = "xlsx"
    else:
        raise DataFormatError(
            f"not an Excel workbook (expected .xls or .xlsx content; first bytes {data[:8]!r})",
            file=name,
        )
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = list(book.sheet_names)
    except Exception as exc:
        raise DataFormatError(
            f"cannot open workbook (truncated or corrupt?): {exc}", file=name
        ) from exc
    return Workbook(name=name, format=fmt, _book=book, sheet_names=sheets)


# --- cell text helpers ----------------------------------------------------------------

_NOTE_RE = re.compile(r"\[\s*notes?\s*[\d,\s and]*\]", re.IGNORECASE)
_TRAILING_FOOTNOTE_RE = re.compile(r"(?<=[A-Za-z)])\s+\d{1,2}(?:\s*,\s*\d{1,2})*\s*$")


def clean_label(value: Any) -> str:
    """Normalise a header or label cell for matching.

    Removes ``[note N]`` references, line breaks and repeated spaces, and
    lower-cases. Numbers are returned as their integer text (``2019.0`` ->
    ``"2019"``). Trailing footnote numbers are kept (``"Under 20"`` must stay
    whole); use :func:`strip_footnotes` where a label may carry them.
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = _NOTE_RE.sub(" ", str(value))
    return re.sub(r"\s+", " ", text).strip().lower()


def strip_footnotes(text: str) -> str:
    """Drop trailing footnote numbers from a label: ``"Rate 1"`` -> ``"Rate"``,
    ``"Codeine not from compound formulation 8,9"`` -> ``"Codeine not from compound
    formulation"``. Only one- or two-digit numbers after a word are removed."""
    return _TRAILING_FOOTNOTE_RE.sub("", text).strip()


def period_of_cell(value: Any, *, strict: bool = False) -> tuple[int, int] | None:
    """Registration period of a header or label cell (``[note N]`` references ignored).

    The notation is :func:`overdose_trends.schema.parse_period`'s; this only
    cleans the cell first (:func:`clean_label`).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_period(value, strict=strict)
    return parse_period(clean_label(value), strict=strict)


@dataclass(frozen=True)
class Cell:
    """A numeric cell split into its value and what its marker says."""

    value: float | None
    status: str | None  # a rate_status from MARKERS, or None for a plain number/blank


_EMBEDDED_MARKER_RE = re.compile(r"^(-?[\d,]*\.?\d+)\s*(\[[a-z]+\]|[uU*])$")


def parse_number(value: Any) -> Cell:
    """Interpret a published numeric cell.

    Returns the number (``None`` if there is none) and the marker status:
    ``":"`` -> ``"not_calculated"``, ``"[c]"`` -> ``"suppressed"``,
    ``"12.3 [u]"`` / ``"1.2*"`` -> value 12.3 / 1.2 with ``"unreliable"``, and so on
    (see :data:`overdose_trends.constants.MARKERS`). Blank cells give
    ``Cell(None, None)``.

    Raises
    ------
    ValueError
        If the cell holds text that is neither a number nor a known marker; the
        caller adds file/sheet/row/column context.
    """
    if value is None or value == "":
        return Cell(None, None)
    if isinstance(value, bool):
        raise ValueError(f"unexpected boolean {value!r}")
    if isinstance(value, int | float):
        return Cell(float(value), None)
    text = str(value).strip()
    if not text:
        return Cell(None, None)
    key = text.lower()
    if key in MARKERS:
        return Cell(None, MARKERS[key])
    m = _EMBEDDED_MARKER_RE.match(text)
    if m:
        return Cell(
            float(m.group(1).replace(",", "")), MARKERS.get(m.group(2).lower(), "unreliable")
        )
    try:
        return Cell(float(text.replace(",", "")), None)
    except ValueError:
        raise ValueError(f"expected a number or an ONS marker, found {text!r}") from None


def blank_rate_status(deaths: float | None, markers: Sequence[str | None]) -> str:
    """Status of a rate left blank in a table: its marker, else the ONS small-number rule.

    ``markers`` are the statuses of the row's cells (``None`` for an unmarked
    cell; ``"unreliable"`` is ignored: it qualifies a rate, not a missing one). Without a
    marker, a rate left blank is ``"not_calculated"`` when
    :func:`~overdose_trends.schema.rate_status` says its deaths are too few for
    a rate, else ``"not_available"``.
    """
    marked = next((m for m in markers if m and m != "unreliable"), None)
    if marked:
        return marked
    if deaths is not None and rate_status([deaths])[0] == "not_calculated":
        return "not_calculated"
    return "not_available"


def first_row_matching(
    rows: Sequence[Sequence[Any]], predicate, start: int = 0, stop: int | None = None
) -> int | None:
    """Index of the first row (from ``start``) whose cleaned cells satisfy ``predicate``."""
    stop = len(rows) if stop is None else min(stop, len(rows))
    for i in range(start, stop):
        labels = [clean_label(v) for v in rows[i]]
        if predicate(labels):
            return i
    return None


def sheet_key(name: str) -> str:
    """Sheet name normalised for matching: ``"Table_3 "`` and ``"table 3"`` -> ``"table 3"``."""
    return re.sub(r"[\s_]+", " ", str(name).strip().lower())


_CONTENTS_SHEETS = {"contents", "table of contents", "index"}
_TABLE_REF = re.compile(r"^table[\s_]*\d+[a-z]?$", re.IGNORECASE)


def check_contents(wb: Workbook) -> None:
    """Check that every table listed on the workbook's Contents sheet exists.

    ONS workbooks list their tables (``Table 1``, ``Table_2``…) on a Contents
    sheet; a listed table with no sheet means the file was cut down or damaged.

    Raises
    ------
    DataFormatError
        Naming the Contents sheet, row and column of the first missing table.
    """
    present = {sheet_key(s) for s in wb.sheet_names}
    for sheet in wb.sheet_names:
        if sheet_key(sheet) not in _CONTENTS_SHEETS:
            continue
        for i, row in enumerate(wb.rows(sheet)):
            for j, value in enumerate(row):
                if isinstance(value, str) and _TABLE_REF.match(value.strip()):
                    if sheet_key(value) not in present:
                        raise DataFormatError(
                            f"{value.strip()!r} is listed on the contents sheet but the workbook "
                            "has no such sheet (file cut down or damaged?)",
                            file=wb.name,
                            sheet=sheet,
                            row=i + 1,
                            column=column_letter(j),
                        )
