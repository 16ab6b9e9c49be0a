"""Read a CSV file, a workbook sheet or a DataFrame into coded text columns.

The first step of :func:`~overdose_trends.io.kit_log.read_kit_log` and
:func:`~overdose_trends.io.kit_counts.read_kit_counts`: the input becomes a
:class:`Table` of :class:`Column` objects, each the column's distinct cell
texts (``uniques``) and one integer code per row, so that every later check
runs once per distinct value rather than once per cell. Each column is
planned from its header (:func:`plan_columns`: a field, a personal
identifier, ignored or unknown) before its cells are looked at.

Row numbers
-----------
Every data row keeps its row number as a spreadsheet shows it, header =
row 1 when ``header_row=1`` (:attr:`Table.rows`):

* **Workbooks**: the sheet row.
* **CSV files**: the *record* number, counting blank lines as rows, as a
  spreadsheet numbers the rows after opening or importing the file. A quoted
  cell that holds line breaks (a multi-line notes cell) is one row, so after
  such a cell the record number is smaller than the line number a text editor
  shows; :attr:`Table.line_breaks` says when that happened. Rows named in
  parse errors (an extra delimiter, an unclosed quote) are record numbers too.
* **DataFrames**: the header is row 1 and the first data row is row 2.

CSV files are read by one of two readers with the same result (a property
test compares them): a *plain* file (UTF-8, header on row 1 and on one
line) by Arrow's multithreaded reader (:func:`_arrow_columns`), any
other by pandas. Every cell is kept as the text written in the file.

Malformed CSV rows are errors naming their row (:class:`~overdose_trends.errors.DataFormatError`):
a row with more cells than the header (an extra delimiter), a row with fewer
(a missing delimiter, or the last row of a file cut short; a line with no
cells at all is a blank row, skipped and counted), an unclosed quote.

References
----------
Shafranovich Y (2005), *Common Format and MIME Type for Comma-Separated Values
(CSV) Files*, RFC 4180, section 2 (fields with line breaks are enclosed in
double quotes and belong to one record).
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

import numpy as np
import pandas as pd

from overdose_trends.errors import DataFormatError
from overdose_trends.io._identifiers import (
    MORE_IDENTIFIER_PHRASES,
    MORE_IDENTIFIER_WORDS,
    PERSONAL_DATA,
    is_identifier_header,
)
from overdose_trends.io._workbook import column_letter, is_workbook, open_workbook, source_name
from overdose_trends.schema import IDENTIFIER_WORDS

#: What the loaders read: a path, an open file (binary or text) or a DataFrame.
TableSource = str | os.PathLike[str] | IO[bytes] | IO[str] | pd.DataFrame
#: A column plan entry: ("field", name), ("identifier", None), ("ignored", None),
#: ("unknown", None) or ("blank", None) (no header; dropped when it holds no data).
PlanEntry = tuple[str, str | None]
#: ``planner(headers, file_name, sheet) -> plan``; raises DataFormatError when the
#: headers do not make a table of the wanted kind.
Planner = Callable[[list[str], str, str | None], list[PlanEntry]]


@dataclass
class Column:
    """One input column as integer codes into its distinct cell texts."""

    header: str
    letter: str
    codes: np.ndarray  # intp, one per row
    uniques: np.ndarray  # object array of str (cell text as written)

    _stripped: pd.Series | None = field(default=None, repr=False)
    #: ``uniques`` as an Arrow array when read as one (reused, not converted again), or None
    arrow: Any = field(default=None, repr=False)
    _blank: np.ndarray | None = field(default=None, repr=False)
    #: Every row's cell text as an Arrow ``large_string`` (chunked) array, as read (no missing
    #: values), when at hand; None after :meth:`take` or :meth:`set_blank`
    cells: Any = field(default=None, repr=False)

    def take(self, rows: np.ndarray) -> Column:
        """The column restricted to row positions ``rows`` (same distinct texts)."""
        return Column(
            self.header,
            self.letter,
            self.codes[rows],
            self.uniques,
            self._stripped,
            self.arrow,
            self._blank,
        )

    def stripped_arrow(self) -> Any:
        """:attr:`stripped` as an Arrow array when at hand without converting (else None).

        It is at hand when the texts were read as Arrow text and stripping changed none.
        """
        if self.arrow is None:
            return None
        if self._stripped is None:
            self._strip()
        return self.arrow

    def _strip(self) -> None:
        """Work out :attr:`stripped` and :attr:`blank`; drop :attr:`arrow` if a text changed."""
        edges = None if self.arrow is None else _text_edges(self.arrow)
        if edges is None:
            self._stripped = strip_texts(self.uniques)
            self._blank = (self._stripped == "").to_numpy(dtype=bool, copy=True)
            self._blank.flags.writeable = False  # cached and shared: read only
            self.arrow = None
            return
        empty, at = edges
        self._stripped = strip_texts(self.uniques, at=at)
        self._blank = empty
        if len(at):
            changed = self._stripped.to_numpy(dtype=object)[at]
            self._blank[at] = changed == ""
            if (changed != self.uniques[at]).any():
                self.arrow = None  # no longer the stripped texts
        self._blank.flags.writeable = False  # cached and shared: read only

    @property
    def stripped(self) -> pd.Series:
        """Distinct cell texts without surrounding spaces (cached)."""
        if self._stripped is None:
            self._strip()
        assert self._stripped is not None
        return self._stripped

    @property
    def blank(self) -> np.ndarray:
        """Per distinct text: is it blank?"""
        if self._blank is None:
            self._strip()
        assert self._blank is not None
        return self._blank

    def blank_rows(self) -> np.ndarray:
        """Per row: is the cell blank?"""
        return self.blank[self.codes]

    def set_blank(self, which: np.ndarray) -> None:
        """Blank the distinct texts where ``which`` is true."""
        uniques = self.uniques.copy()
        uniques[which] = ""
        self.uniques, self._stripped, self.arrow, self._blank = uniques, None, None, None
        self.cells = None


@dataclass
class Table:
    """A read table: columns, their plan and the spreadsheet row of each data row.

    Attributes
    ----------
    name, sheet : str, str or None
        File name (``"<DataFrame>"`` for a DataFrame) and sheet.
    headers : list of str
        Headers as shown in messages (:func:`safe_header`).
    plan : list of PlanEntry
        What each column is (see :data:`PlanEntry`).
    columns : list of Column
        The columns, in file order.
    rows : numpy.ndarray of int64
        Row number of each data row (see the module notes); blank rows removed.
    n_blank : int
        Rows whose every cell was blank (not data rows).
    line_breaks : bool
        A CSV cell held a line break, so record and line numbers differ.
    """

    name: str
    sheet: str | None
    headers: list[str]
    plan: list[PlanEntry]
    columns: list[Column]
    rows: np.ndarray
    n_blank: int
    line_breaks: bool = False


def strip_texts(uniques: np.ndarray, *, at: np.ndarray | None = None) -> pd.Series:
    """Distinct cell texts (all ``str``) without surrounding whitespace.

    ``at``: positions of the only texts that stripping could change (from
    :func:`_text_edges`); the others are kept as they are.
    """
    if at is None:
        return pd.Series([u.strip() for u in uniques], dtype=object)
    out = np.array(uniques, dtype=object)  # a copy
    if len(at):
        out[at] = np.array([u.strip() for u in out[at]], dtype=object)
    return pd.Series(out, dtype=object)


def _text_edges(arrow: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Per text of an Arrow ``large_string`` array: is it empty; and which could strip change.

    Returns ``(empty, at)``, or None when the array is not one it can read. Read
    from the Arrow buffers: a text can change only if its first or its last byte
    is an ASCII control character or space (every ASCII character that
    :meth:`str.strip` removes is at most ``" "``) or belongs to a non-ASCII
    character in UTF-8 (a byte from 0x80; every other character it removes,
    such as a no-break space, is non-ASCII).
    """
    import pyarrow as pa  # type: ignore[import-untyped]

    if arrow.null_count or not pa.types.is_large_string(arrow.type):
        return None
    buffers = arrow.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[
        arrow.offset : arrow.offset + len(arrow) + 1
    ]
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.any():
        return ~filled, np.zeros(0, dtype=np.intp)
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    first = data[np.where(filled, starts, 0)]
    last = data[np.where(filled, ends - 1, 0)]
    edge = (first <= 0x20) | (first >= 0x80) | (last <= 0x20) | (last >= 0x80)
    return ~filled, np.flatnonzero(filled & edge)


def cell_text(value: Any) -> str:
    """Text of one distinct cell value (numbers without a spurious ``.0``, dates as ISO)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_column(values: pd.Series | np.ndarray, header: str, index: int) -> Column:
    """Encode one column's cells as codes into the distinct cell texts."""
    arrow = None
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques = np.asarray(values.cat.categories, dtype=object)
    elif isinstance(values, pd.Series) and pd.api.types.is_string_dtype(values.dtype):
        codes, distinct = pd.factorize(values)  # hashed in Arrow for Arrow-backed text
        codes = np.asarray(codes, dtype=np.intp)
        uniques = np.asarray(distinct, dtype=object)
        if getattr(values.dtype, "storage", None) == "pyarrow":
            import pyarrow as pa

            arrow = pa.array(distinct.array)  # the same texts, kept for the identifier screen
    else:
        plain = np.asarray(values)
        if plain.dtype.kind not in "biuf":  # numbers are hashed as numbers, not as objects
            plain = np.asarray(values, dtype=object)
        codes, uniques = pd.factorize(plain)
        codes = codes.astype(np.intp, copy=False)
        uniques = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        text = np.array([cell_text(v) for v in uniques], dtype=object)
        recode, uniques = pd.factorize(text)
        # a missing cell (code -1) must stay missing, not index the last text
        if len(recode):
            codes = np.where(codes < 0, -1, recode[np.maximum(codes, 0)])
        uniques = np.asarray(uniques, dtype=object)
        arrow = None
    if (codes < 0).any():
        uniques = np.append(uniques, "")
        codes = np.where(codes < 0, len(uniques) - 1, codes)
        arrow = None
    return Column(header, column_letter(index), codes, uniques, arrow=arrow)


def norm_header(header: Any) -> str:
    """``" Event Date\\ufeff"`` -> ``"event_date"``; ``"eventDate"``, ``"D.O.B."`` -> ``"d_o_b"``.

    camelCase is split (``ClientName`` -> ``client_name``, ``NHSNumber`` ->
    ``nhs_number``), then the text is lower-cased and runs of spaces, hyphens,
    dots and underscores become one ``_``.
    """
    text = str(header).replace("\ufeff", "").strip()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", text).lower()
    return re.sub(r"[\s\-._]+", "_", text).strip("_")


#: Words of headers that are shown in messages as written (after :func:`norm_header`): the
#: fields' words, the identifier words and the words of common kit-log columns. A header with
#: another word is shown by its column letter only, since it may be a data cell (a name or a
#: date when ``header_row`` points at a data row).
HEADER_WORDS = frozenset(
    """event id date type kit no number ref reference service site area code gss ons la local
    authority recipient supply product doses dose period start end measure value status kits
    issued first repeat returned used unused lost expired name names client patient dob birth
    of nhs chi address postcode post postal phone telephone tel mobile mob email e mail contact
    notes note comments comment free text initials remarks keyworker key worker next kin
    referral source team provider staff outlet pharmacy region month year quarter week total
    count counts source sex gender age group ethnicity reason route outcome location town city
    organisation organization org brand drug hostel business d o b
    deceased death deaths registration registered occurrence underlying cause causes
    contributory mention icd substance substances residence usual person full surname
    forename given family middle last
    """.split()
) | frozenset(
    w
    for p in (*IDENTIFIER_WORDS, *MORE_IDENTIFIER_WORDS, *MORE_IDENTIFIER_PHRASES)
    for w in p.split("_")
)


def safe_header(header: str, letter: str) -> str:
    """The header as written when it is a column name; otherwise its column letter only.

    A header is shown when every word of it (runs of letters or digits after
    :func:`norm_header`) is in :data:`HEADER_WORDS` and it holds no personal
    data: a header cell holding a name, a date or a number (a data row read as
    the header) is never printed.
    """
    if not header.strip():
        return f"(no header, column {letter})"
    words = re.findall(r"[^\W_]+", norm_header(header))
    if re.search(PERSONAL_DATA, header) or not all(w in HEADER_WORDS for w in words):
        return f"(column {letter}, header not shown)"
    return header


def shown_headers(headers: Sequence[str]) -> list[str]:
    """Headers for error messages (see :func:`safe_header`)."""
    return [safe_header(str(h), column_letter(i)) for i, h in enumerate(headers)]


def plan_columns(
    headers: Sequence[str],
    mapping: Mapping[str, str | None] | None,
    fields: Sequence[str],
    name: str,
    sheet: str | None,
) -> list[PlanEntry]:
    """Decide what each column is: ("field", f), "identifier", "ignored", "unknown" or "blank".

    A header is a field when ``mapping`` sends it to one or, after
    :func:`norm_header`, it is a name in ``fields``; ``mapping`` to ``None``
    ignores a column. Raises ValueError for a mapping to a non-field and
    DataFormatError for a mapped column the file lacks or two columns giving
    one field.
    """
    norm = [norm_header(h) for h in headers]
    wanted: dict[str, str | None] = {}
    for key, target in (mapping or {}).items():
        if target is not None and target not in fields:
            raise ValueError(
                f"mapping sends column {key!r} to {target!r}, which is not a field; "
                f"fields are {list(fields)} (or None to ignore the column)"
            )
        wanted[norm_header(key)] = target
    missing = sorted(k for k in wanted if k not in norm)
    if missing:
        raise DataFormatError(
            f"mapping names column(s) {missing} that are not in the file; its columns are "
            f"{shown_headers(headers)}",
            file=name,
            sheet=sheet,
        )
    plan: list[PlanEntry] = []
    seen: dict[str, int] = {}
    for i, (header, key) in enumerate(zip(headers, norm, strict=True)):
        if key in wanted:
            target = wanted[key]
            entry = ("ignored", None) if target is None else ("field", target)
        elif key in fields:
            entry = ("field", key)
        elif key == "":
            entry = ("blank", None)
        elif is_identifier_header(key):
            entry = ("identifier", None)
        else:
            entry = ("unknown", None)
        if entry[0] == "field":
            f = entry[1]
            assert f is not None  # a field entry names its field
            if f in seen:
                first = safe_header(str(headers[seen[f]]), column_letter(seen[f]))
                again = safe_header(str(header), column_letter(i))
                raise DataFormatError(
                    f"columns {first!r} and {again!r} both give {f!r}; map one of "
                    "them to another field or to None",
                    file=name,
                    sheet=sheet,
                    column=column_letter(i),
                )
            seen[f] = i
        plan.append(entry)
    return plan


def read_table(
    source: TableSource,
    *,
    planner: Planner,
    sheet: str | None,
    header_row: int,
    encoding: str,
) -> Table:
    """Read a CSV, a workbook sheet or a DataFrame into coded columns.

    Parameters
    ----------
    source : path, file object or pandas.DataFrame
        The input; a workbook is recognised by its first bytes, anything else
        is read as CSV.
    planner : Planner
        Plans the columns from the header row (and refuses unsuitable headers).
    sheet : str or None
        Workbook sheet; default the only sheet, or the only one whose header
        row the planner accepts.
    header_row : int
        1-based row (CSV: record) of the headers; rows above are ignored.
    encoding : str
        Text encoding of a CSV file.

    Every CSV cell is read as the text written in the file (``007`` stays
    ``007`` and ``1e3`` stays ``1e3``), whichever of the two CSV readers reads it.
    """
    if header_row < 1:
        raise ValueError(f"header_row is 1-based and must be >= 1, got {header_row}")
    if isinstance(source, pd.DataFrame):
        name = "<DataFrame>"
        headers = [str(c) for c in source.columns]
        plan = planner(headers, name, None)
        cols = [as_column(source.iloc[:, i], h, i) for i, h in enumerate(headers)]
        return _finish_table(name, None, headers, plan, cols, 2, len(source))
    data, name = _read_bytes(source)
    if not data:
        raise DataFormatError("file is empty", file=name)
    if is_workbook(data):
        return _read_sheet(data, name, planner, sheet, header_row)
    if sheet is not None:
        raise ValueError(f"sheet={sheet!r} given but {name!r} is a CSV file, not a workbook")
    return _read_csv(data, name, planner, header_row, encoding)


def _read_bytes(source: Any) -> tuple[bytes, str]:
    name = source_name(source)
    if isinstance(source, str | os.PathLike):
        if os.path.isdir(source):
            raise DataFormatError("is a directory, not a CSV file or workbook", file=name)
        with open(source, "rb") as fh:
            return fh.read(), name
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, name


def _records(data: bytes, encoding: str) -> Any:
    """CSV records of ``data`` (lists of cell texts), as a spreadsheet would read them."""
    return csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))


def _bad_record(data: bytes, encoding: str, header_row: int, width: int) -> tuple[int | None, int]:
    """Where a CSV file that pandas could not parse goes wrong, by record number.

    Returns ``(long, stop)``: the first data record with more cells than the
    header (None if none), and the record at which reading stopped (the last
    record, or the one the reader failed on: an unclosed quote swallows the
    rest of the file into the record where it opens, so that record is last).
    """
    n = 0
    try:
        for record in _records(data, encoding):
            n += 1
            if n > header_row and len(record) > width:
                return n, n
    except csv.Error:
        return None, n + 1
    except UnicodeDecodeError:
        return None, n + 1
    return None, n


def _read_csv(
    data: bytes,
    name: str,
    planner: Planner,
    header_row: int,
    encoding: str,
) -> Table:
    try:
        headers = None
        for i, record in enumerate(_records(data, encoding), start=1):
            if i == header_row:
                headers = record
                break
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"cannot decode the file as {encoding} ({exc.reason}); pass encoding= "
            "(e.g. 'cp1252' for files saved by older Excel)",
            file=name,
        ) from exc
    if headers is None:
        raise DataFormatError(f"file has no header row (header_row={header_row})", file=name)
    plan = planner(headers, name, None)
    cols = _arrow_columns(data, headers, header_row, encoding)
    if cols is None:
        cols = _pandas_columns(data, name, headers, header_row, encoding)
    n = len(cols[0].codes) if cols else 0
    table = _finish_table(name, None, list(headers), plan, cols, header_row + 1, n)
    table.line_breaks = b'"' in data and any(_has_line_break(c.uniques) for c in cols)
    return table


def _pandas_columns(
    data: bytes, name: str, headers: list[str], header_row: int, encoding: str
) -> list[Column]:
    """The columns of any CSV file read with pandas; malformed rows raise, naming the row."""
    names = [f"c{i}" for i in range(len(headers))]
    options: dict[str, Any] = {
        # the header record is read as a header and renamed: skipping it instead costs a
        # quarter of the parse; skiprows counts records (a quoted cell with line breaks is one)
        "header": 0,
        "skiprows": header_row - 1 if header_row > 1 else None,
        "names": names,
        "na_filter": False,
        "skip_blank_lines": False,
        "encoding": encoding,
        "index_col": False,
    }
    try:
        with warnings.catch_warnings():
            # pandas only warns (and drops cells) when the first data row is too long
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # no dtype: pandas' own text inference is several times faster than dtype=str or
            # "category"; columns it read as numbers are read again as text below
            df = pd.read_csv(io.BytesIO(data), **options)
            typed = [n for n in names if not _is_text(df[n])]
            if typed:
                again = pd.read_csv(io.BytesIO(data), usecols=typed, dtype=str, **options)
                for n in typed:
                    df[n] = again[n]
    except (pd.errors.ParserWarning, pd.errors.ParserError) as exc:
        long, stop = _bad_record(data, encoding, header_row, len(headers))
        if long is not None:
            raise DataFormatError(
                f"a data row has more cells than the header ({len(headers)}); check for an "
                "extra delimiter",
                file=name,
                row=long,
            ) from exc
        if "EOF inside string" in str(exc):
            raise DataFormatError(
                'a quoted cell that starts on this row is never closed (a missing ")',
                file=name,
                row=stop,
            ) from exc
        line = re.search(r"in line (\d+)", str(exc))  # pandas counts records here too
        raise DataFormatError(
            "cannot parse the CSV; check for an extra delimiter or an unclosed quote",
            file=name,
            row=int(line.group(1)) if line else None,
        ) from exc
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"cannot decode the file as {encoding} ({exc.reason}); pass encoding=", file=name
        ) from exc
    # a short row reads as blank cells at its end: only rows whose last cell is blank can be short
    last = df[names[-1]]
    empty = (last == "") if _is_text(last) else last.isna()
    maybe_short = len(names) > 1 and bool(empty.any())
    short = _short_record(data, encoding, header_row, len(headers)) if maybe_short else None
    if short is not None:
        raise DataFormatError(
            f"a data row has fewer cells than the header ({len(headers)}); check for a missing "
            "delimiter, or a file cut short (a truncated last row)",
            file=name,
            row=short,
        )
    return [as_column(df[n], h, i) for i, (n, h) in enumerate(zip(names, headers, strict=True))]


def _arrow_columns(
    data: bytes, headers: list[str], header_row: int, encoding: str
) -> list[Column] | None:
    """The columns of a plain CSV file read with Arrow's parallel reader, or None.

    A *plain* file is UTF-8 with its header on row 1, all on the first line.
    Arrow then reads records as pandas does: quoted cells may
    hold delimiters, doubled quotes and line breaks, and a blank line is a row
    of empty cells, so a data row's record number is its position plus 2.
    Anything else (and any file Arrow refuses: a short or long row, an unclosed
    quote, a byte sequence that is not UTF-8) returns None and is read by
    pandas, which names the offending row. Each column is read as text and
    coded with :func:`pyarrow.compute.dictionary_encode`, the columns in
    parallel threads (Arrow releases the GIL).
    """
    if header_row != 1 or encoding.replace("-", "").replace("_", "").lower() not in (
        "utf8",
        "utf8sig",
    ):
        return None
    end = data.find(b"\n")
    first_line = _one_record(data[: end if end >= 0 else len(data)])
    if first_line is None or len(first_line) != len(headers):
        return None  # the header record spans lines: Arrow would skip only its first line
    import pyarrow as pa
    import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

    quoted = b'"' in data
    names = [f"c{i}" for i in range(len(headers))]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            # a blank line is a row of empty cells, as in pandas (skip_blank_lines=False)
            parse_options=pa_csv.ParseOptions(
                quote_char='"' if quoted else False,
                newlines_in_values=quoted,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowException:  # ArrowInvalid (a parse error) and the rest
        return None
    cells = table.columns
    del table
    if quoted and not _last_record_closed(data, cells):
        return None
    with ThreadPoolExecutor(max_workers=min(len(names), os.cpu_count() or 1)) as pool:
        coded = list(pool.map(dictionary_codes, cells))
    return [
        Column(h, column_letter(i), codes, uniques, arrow=distinct, cells=rows)
        for i, (h, rows, (codes, uniques, distinct)) in enumerate(
            zip(headers, cells, coded, strict=True)
        )
    ]


def _one_record(line: bytes) -> list[str] | None:
    """The cells of ``line`` read as one complete CSV record, or None (strict :mod:`csv`)."""
    try:
        text = line.decode("utf-8-sig").rstrip("\r")
        return next(csv.reader([text], strict=True), [])
    except (csv.Error, UnicodeDecodeError):
        return None


def _last_record_closed(data: bytes, cells: list[Any]) -> bool:
    """Did Arrow read the last record of a quoted file as pandas would?

    A quote that never closes makes Arrow read to the end of the file into one
    cell of the last record, where pandas reports the unclosed quote; it can
    only affect the last record. So the last record is read again with Python's
    strict :mod:`csv` reader and must give the same cells. A last record with a
    line break in a cell (or a file Arrow read no row of) is not checked here:
    False, and pandas reads the file.
    """
    last = [c[len(c) - 1].as_py() for c in cells] if cells and len(cells[0]) else None
    if last is None or any("\n" in c or "\r" in c for c in last):
        return False
    ending = 2 if data.endswith(b"\r\n") else 1 if data.endswith((b"\n", b"\r")) else 0
    end = len(data) - ending
    line = data[data.rfind(b"\n", 0, end) + 1 : end]
    if not line.strip(b"\r"):  # a blank last line, read as a blank row
        return not any(last)
    return _one_record(line) == last


def dictionary_codes(values: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """One Arrow text column (chunked) as (code per row, distinct texts, them as Arrow texts).

    One hash of each text (:func:`pyarrow.compute.dictionary_encode`); a missing
    value is a distinct value of its own (None). Arrow encodes the chunks of a
    column with one dictionary shared by all of them.
    """
    encoded = values.dictionary_encode(null_encoding="encode").chunks
    if not encoded:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object), None
    distinct = encoded[-1].dictionary
    if not all(chunk.dictionary.equals(distinct) for chunk in encoded):  # not expected
        encoded = [values.combine_chunks().dictionary_encode(null_encoding="encode")]
        distinct = encoded[0].dictionary
    codes = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded])
    return codes.astype(np.intp), distinct.to_numpy(zero_copy_only=False), distinct


def _is_text(values: pd.Series) -> bool:
    """Did pandas read the column as text (not as numbers or booleans)?"""
    return pd.api.types.is_string_dtype(values.dtype) or values.dtype == object


def _short_record(data: bytes, encoding: str, header_row: int, width: int) -> int | None:
    """The first data record (record number) with fewer cells than the header, if any.

    A record with a single empty cell is a blank row, not a short one. Without quotes
    in an ASCII-compatible file a record is a line and its cells are its commas plus
    one, counted with numpy; otherwise the records are read with :mod:`csv`.
    """
    simple = b'"' not in data and encoding.replace("-", "").lower() in _ASCII_SUPERSETS
    if simple:
        raw = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(raw == 10)
        if len(raw) and raw[-1] != 10:
            ends = np.append(ends, len(raw))
        starts = np.r_[0, ends[:-1] + 1]
        # commas before each line's end, by binary search among the comma positions
        before = np.searchsorted(np.flatnonzero(raw == 44), ends)
        cells = np.diff(before, prepend=0) + 1
        for line in np.flatnonzero((cells < width) & (np.arange(len(ends)) >= header_row)):
            if cells[line] > 1 or data[starts[line] : ends[line]].strip():
                return int(line) + 1  # a line with one cell is short unless it is blank
        return None
    try:
        for n, record in enumerate(_records(data, encoding), start=1):
            # a line with one cell is short unless it is blank, as in the loop above
            if (
                n > header_row
                and len(record) < width
                and (len(record) > 1 or "".join(record).strip())
            ):
                return n
    except (csv.Error, UnicodeDecodeError):
        return None
    return None


#: Encodings (lower case, without hyphens) in which ``,``, ``"``, CR and LF are single bytes
#: that occur only as themselves.
_ASCII_SUPERSETS = frozenset({"utf8", "utf8sig", "ascii", "latin1", "cp1252", "iso88591"})


def _has_line_break(uniques: np.ndarray) -> bool:
    """Does any of the texts hold a line break?"""
    text = "".join(uniques)
    return "\n" in text or "\r" in text


def _read_sheet(
    data: bytes,
    name: str,
    planner: Planner,
    sheet: str | None,
    header_row: int,
) -> Table:
    wb = open_workbook(io.BytesIO(data))
    wb.name = name

    def header_of(s: str) -> list[str]:
        grid = wb.rows(s)
        return [cell_text(v) for v in grid[header_row - 1]] if len(grid) >= header_row else []

    def accepts(headers: list[str]) -> bool:
        try:
            planner(headers, "", None)
        except (DataFormatError, ValueError):
            return False
        return True

    if sheet is None:
        if len(wb.sheet_names) == 1:
            sheet = wb.sheet_names[0]
        else:
            fits = [s for s in wb.sheet_names if accepts(header_of(s))]
            if len(fits) != 1:
                raise DataFormatError(
                    f"the workbook has sheets {wb.sheet_names} and {len(fits)} of them have the "
                    "required columns in the header row; pass sheet=",
                    file=name,
                )
            sheet = fits[0]
    grid = wb.rows(sheet)
    if len(grid) < header_row:
        raise DataFormatError(
            f"sheet has no header row (header_row={header_row})", file=name, sheet=sheet
        )
    body = pd.DataFrame(grid[header_row:])
    headers = header_of(sheet)
    width = max(len(headers), body.shape[1])
    headers = headers + [""] * (width - len(headers))
    plan = planner(headers, name, sheet)
    cols = [
        as_column(body.iloc[:, i] if i < body.shape[1] else np.full(len(body), ""), h, i)
        for i, h in enumerate(headers)
    ]
    return _finish_table(name, sheet, headers, plan, cols, header_row + 1, len(body))


def _finish_table(
    name: str,
    sheet: str | None,
    headers: list[str],
    plan: list[PlanEntry],
    cols: list[Column],
    first_row: int,
    n: int,
) -> Table:
    """Drop rows whose every cell is blank; number the rest as a spreadsheet does."""
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    # a row is blank when every cell is: no row is when a column has no blank text
    blank = np.full(n, all(c.blank.any() for c in cols), dtype=bool)
    for c in cols if blank.any() else []:
        blank &= c.blank_rows()
    n_blank = int(blank.sum())
    if n_blank:
        keep = np.flatnonzero(~blank)
        cols = [c.take(keep) for c in cols]
        rows = rows[keep]
    # a column without a header and without data is not a column
    used = [
        i
        for i, (c, (kind, _)) in enumerate(zip(cols, plan, strict=True))
        if kind != "blank" or not c.blank[np.unique(c.codes)].all()
    ]
    plan = [("unknown", None) if plan[i][0] == "blank" else plan[i] for i in used]
    headers = [safe_header(headers[i], cols[i].letter) for i in used]
    cols = [cols[i] for i in used]
    for c, h in zip(cols, headers, strict=True):
        c.header = h
    return Table(name, sheet, headers, plan, cols, rows, n_blank)
