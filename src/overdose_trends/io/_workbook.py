"""Low-level access to spreadsheet workbooks (``.xls``, ``.xlsx``, ``.ods``).

This module knows about files and cells, not about ONS tables: it opens a
workbook from a path or an open binary file (detecting the format from the
file's first bytes, not its name), returns each sheet as a grid of Python
values, and offers small helpers for the text found in published tables
(footnote markers, period labels, suppression symbols).

Guards shared by every workbook reader: a folder or a missing path gives a clear
error; a sheet whose extent (read from the file before the engine builds a grid,
see :mod:`overdose_trends.io._sheet_guard`) exceeds ``max_cells`` is refused; the
engine's errors and Rust panics (``pyo3_runtime.PanicException``, a
``BaseException``) become ``DataFormatError`` naming the file and sheet.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from python_calamine import CalamineWorkbook

from overdose_trends.constants import MARKERS
from overdose_trends.errors import DataFormatError
from overdose_trends.io._sheet_guard import MAX_SHEET_CELLS, xls_extents, xlsx_extents
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
    #: Sheets marked hidden (or very hidden) in the workbook.
    hidden_sheets: list[str] = field(default_factory=list)
    #: Largest sheet (rows x columns from A1) that :meth:`rows` builds.
    max_cells: int = MAX_SHEET_CELLS
    _data: bytes = field(default=b"", repr=False)
    _extents: dict[str, tuple[int, int]] | None = field(default=None, repr=False)
    _merged: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = field(
        default_factory=dict, repr=False
    )

    def _check_extent(self, sheet: str, rows: int, cols: int, declared: str) -> None:
        if rows * cols > self.max_cells:
            raise DataFormatError(
                f"sheet {declared} {rows:,} rows x {cols:,} columns, more than the "
                f"{self.max_cells:,} cells the reader builds (a stray cell far below or right "
                "of the table, or a damaged file); delete the stray cells or save the table "
                "as CSV",
                file=self.name,
                sheet=sheet,
            )

    def rows(self, sheet: str) -> list[list[Any]]:
        """All rows of ``sheet`` as lists of cell values (``""`` for empty cells).

        Row ``i`` of the result is spreadsheet row ``i + 1``. Numbers come back as
        ``float`` or ``int``, text as ``str``, dates as ``datetime``. Excel error
        cells (``#REF!``, ``#N/A``) and formulas saved without a value read as ``""``.

        Raises
        ------
        DataFormatError
            If the sheet spans more than :attr:`max_cells` cells counted from ``A1``
            (checked in the file before any grid is built) or the engine fails on it.
        """
        if sheet not in self._cache:
            if sheet not in self.sheet_names:
                raise DataFormatError(
                    f"no sheet named {sheet!r}; sheets are {self.sheet_names}", file=self.name
                )
            if self._extents is None and self._data:
                found = (xls_extents if self.format == "xls" else xlsx_extents)(self._data)
                self._extents = found or {}
                self._data = b""  # only needed for the extents
            if self._extents and sheet in self._extents:
                self._check_extent(sheet, *self._extents[sheet], "declares")
            try:
                raw = self._book.get_sheet_by_name(sheet)
                end_row, end_col = raw.end or (0, 0)
                self._check_extent(sheet, end_row + 1, end_col + 1, "spans")
                grid = raw.to_python(skip_empty_area=False)
                self._merged[sheet] = list(raw.merged_cell_ranges or [])
            except DataFormatError:
                raise
            except (KeyboardInterrupt, SystemExit, GeneratorExit):
                raise
            except BaseException as exc:  # noqa: BLE001  calamine errors and Rust panics
                raise DataFormatError(
                    f"cannot read sheet (damaged file?): {type(exc).__name__}: {exc}",
                    file=self.name,
                    sheet=sheet,
                ) from None
            self._cache[sheet] = grid
        return self._cache[sheet]

    def release(self, sheet: str) -> None:
        """Forget the cached grid of ``sheet`` (a reader done with a sheet frees its memory)."""
        self._cache.pop(sheet, None)

    def merged_ranges(self, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Merged cell ranges of ``sheet`` as ``((row0, col0), (row1, col1))``, 0-based."""
        self.rows(sheet)
        return self._merged.get(sheet, [])

    def title(self, sheet: str, max_rows: int = 12) -> str:
        """Text of the first ``max_rows`` rows of ``sheet`` joined by spaces.

        Table titles in ONS workbooks sit in the first few rows; callers match
        this text to find a table by what it contains rather than by sheet number.
        """
        parts: list[str] = []
        for row in self.rows(sheet)[:max_rows]:
            parts.extend(str(v) for v in row if isinstance(v, str) and v.strip())
        return " ".join(parts)


def _reraise_engine_failure(exc: BaseException, name: str) -> DataFormatError:
    return DataFormatError(
        f"cannot open workbook (truncated or corrupt?): {type(exc).__name__}: {exc}", file=name
    )


def open_workbook(source: Source, *, max_cells: int = MAX_SHEET_CELLS) -> Workbook:
    """Open an Excel or OpenDocument workbook from a path or a binary file object.

    The format is detected from the file's first bytes, so a ``.xlsx`` saved
    with a ``.xls`` name (common on the ONS website) opens correctly. The spreadsheet
    engine (python-calamine, in Rust) can panic on a damaged file; its panics are
    caught here and in :meth:`Workbook.rows` and re-raised as ``DataFormatError``.

    Parameters
    ----------
    source : path or binary file object
        The workbook.
    max_cells : int, default ``MAX_SHEET_CELLS`` (2**24)
        Largest sheet, in rows x columns counted from ``A1``, that will be read
        (2**24, a full legacy ``.xls`` sheet): a sheet declaring more is refused
        before a grid is built.

    Raises
    ------
    DataFormatError
        If the file is empty, truncated, not a spreadsheet, a directory, or cannot be parsed.
    FileNotFoundError
        If a path is given and does not exist.
    """
    name = source_name(source)
    if isinstance(source, str | os.PathLike):
        if os.path.isdir(source):
            raise DataFormatError("is a folder, not a workbook file", file=name)
        if not os.path.exists(source):
            raise FileNotFoundError(f"no such workbook file: {name!r}")
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
    extents = None
    if fmt == "xls":  # the engine builds every .xls sheet when it opens the file: check first
        extents = xls_extents(data) or {}
        for sheet, (rows, cols) in extents.items():
            if rows * cols > max_cells:
                raise DataFormatError(
                    f"sheet declares {rows:,} rows x {cols:,} columns, more than the "
                    f"{max_cells:,} cells the reader builds (a stray cell far below or right "
                    "of the table, or a damaged file)",
                    file=name,
                    sheet=sheet,
                )
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = list(book.sheet_names)
        hidden = [
            m.name for m in book.sheets_metadata if str(m.visible).rsplit(".", 1)[-1] != "Visible"
        ]
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001  calamine errors and Rust panics
        raise _reraise_engine_failure(exc, name) from None
    return Workbook(
        name=name,
        format=fmt,
        _book=book,
        sheet_names=sheets,
        hidden_sheets=hidden,
        max_cells=max_cells,
        _data=b"" if extents is not None else data,
        _extents=extents,
    )


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


#: The one notation for numbers written as text: optional sign, digits with optional comma
#: thousands separators in groups of three, optional decimal point ("1,234", "12.5", "-3").
#: ASCII digits only: ``\d`` would also take digits of other scripts.
NUMBER_TEXT = r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
_NUMBER_RE = re.compile(rf"^{NUMBER_TEXT}$")
_EMBEDDED_MARKER_RE = re.compile(rf"^({NUMBER_TEXT})\s*(\[[a-z]+\]|[uU*])$")

#: Largest count a float holds exactly (2**53); counts above it cannot be published deaths.
MAX_EXACT_COUNT = 2**53


def parse_number(value: Any) -> Cell:
    """Interpret a published numeric cell.

    Returns the number (``None`` if there is none) and the marker status:
    ``":"`` -> ``"not_calculated"``, ``"[c]"`` -> ``"suppressed"``,
    ``"12.3 [u]"`` / ``"1.2*"`` -> value 12.3 / 1.2 with ``"unreliable"``, and so on
    (see :data:`overdose_trends.constants.MARKERS`). Blank cells give
    ``Cell(None, None)``.

    Numbers held as text follow one notation: an optional sign, digits with
    optional comma thousands separators in groups of three, and an optional
    decimal point (``"1,234"``, ``"12.5"``). Anything else (``"5.000,0"``,
    ``"1_000"``, ``"1e3"``, ``"NaN"``, ``"inf"``) is an error, never a guess;
    so is a numeric cell that is not finite.

    Raises
    ------
    ValueError
        If the cell holds text that is neither a number nor a known marker, or a
        non-finite number; the caller adds file/sheet/row/column context.
    """
    if value is None or value == "":
        return Cell(None, None)
    if isinstance(value, bool):
        raise ValueError(f"unexpected boolean {value!r}")
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, found {value!r}")
        return Cell(number, None)
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
    if _NUMBER_RE.match(text):
        return Cell(float(text.replace(",", "")), None)
    raise ValueError(
        f"expected a number (digits, optional comma thousands separators, '.' decimal point) "
        f"or an ONS marker, found {text[:40]!r}"
    )


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
