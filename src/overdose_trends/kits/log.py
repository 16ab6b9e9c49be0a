"""Load and validate take-home naloxone kit event logs.

:func:`read_log` reads a service's kit log (CSV, ``.xlsx`` or ``.xls``, one row
per kit event) into the tidy event table of :data:`~overdose_trends.kits.schema.EVENT_COLUMNS`
and checks it. It never guesses silently and never drops data silently:

* **Columns** are matched by name after normalisation (case, surrounding
  spaces, a byte-order mark, and spaces or hyphens inside the name, so
  ``"Event Date"`` is ``event_date``). Other names are matched only through an
  explicit ``mapping`` such as ``{"Date": "event_date", "Kit no": "kit_id"}``
  (map a column to ``None`` to ignore it). Columns that are neither are listed
  in the report as unused.
* **Personal identifiers** (columns called name, date of birth, NHS/CHI
  number, address, postcode, phone, e-mail, notes, comments or free text) are
  dropped on load; the report names the columns and counts their non-empty
  cells but never holds their values. Cells of the kept columns that look
  like an NHS/CHI number, an e-mail address, a UK phone number or a full UK
  postcode are blanked and reported without their value.
* **Values** of the categorical fields are matched to the vocabulary of
  :mod:`overdose_trends.kits.schema`; common spellings (``"Supply"`` ->
  ``issued``, ``"Prenoxad"`` -> ``injectable``, ``"Nyxoid"`` -> ``nasal``, ...)
  are mapped by :data:`~overdose_trends.kits.schema.VALUE_SYNONYMS` and each
  mapping is counted in the report.
* **Every row** of the input is either loaded or rejected: the report's
  ``n_loaded + n_rejected == n_input`` always holds, and every rejected or
  flagged row has an issue naming its spreadsheet row (header = row 1).

Validation rules
----------------
======================== ======== ================================================================
rule                     severity meaning
======================== ======== ================================================================
duplicate_row            error    exact copy of an earlier row (the first copy is kept)
blank_required           error    event_date, event_type, service or area_code is blank
invalid_date             error    date not in a recognised format, impossible (month 13, 30 Feb)
                                  or with an ambiguous two-digit year
future_date              error    event after ``as_of`` (default today)
before_supply_start      warning  English event before 1 Oct 2015 (SI 2015/1503), or before the
                                  service's ``programme_start``
unknown_event_type       error    event type not in the vocabulary nor a known synonym
unknown_category         warning  recipient_type, supply_type or product not recognised; kept as
                                  ``"unknown"``
invalid_area_code        error    not a GSS code (a letter and eight digits)
unknown_area_code        error    a GSS code not in ``known_areas``
invalid_doses            error    doses negative or not a whole number
implausible_doses        warning  0 or more than 10 doses (a sentinel code?); kept as missing
duplicate_event_id       error    an event_id given to an earlier row
duplicate_issue          error    a kit issued a second time (the earliest issue is kept)
return_before_issue      error    a return, loss or expiry dated before the kit's issue
multiple_terminal_events error    a second return/loss/expiry for one kit (the earliest is kept)
orphan_return            warning  a return, loss or expiry for a kit not issued in the log
                                  (issued before the log starts?)
personal_data            warning  a cell looked like personal data and was blanked
identifier_column        warning  a column of personal identifiers was dropped (no row)
unknown_column           warning  a column that is not a field was left out (no row)
======================== ======== ================================================================

Events without a ``kit_id`` (or logs without the column) are loaded and
counted, but cannot be linked to an issue, so the kit rules do not apply to
them; the report says how many there are.

Choice of defaults
------------------
``dayfirst=True``: UK services write ``14/03/2016``; ISO ``2016-03-14`` is
always accepted. ``known_areas=None``: area codes are checked against the GSS
pattern only, because any fixed list goes out of date with local-government
reorganisations (the shipped ONS extracts use 2020 boundaries, without Scottish
codes and without counties in the population file); pass e.g.
``set(overdose_trends.datasets.la_deaths().area_code)`` to check membership.

References
----------
Human Medicines (Amendment) (No. 3) Regulations 2015, SI 2015/1503 (supply of
naloxone by drug treatment services without a prescription from 1 October
2015). Public Health Scotland, *National Naloxone Programme Scotland*
monitoring reports (recipient and supply categories). Public Health Wales,
*Harm Reduction Database Wales: Take Home Naloxone* (re-supply reasons).
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

import numpy as np
import pandas as pd

from overdose_trends.constants import GSS_CODE
from overdose_trends.errors import DataFormatError
from overdose_trends.kits.schema import (
    DEFAULT_DOSES,
    ENGLAND_SUPPLY_START,
    EVENT_COLUMNS,
    EVENT_TYPES,
    IDENTIFIER_PHRASES,
    IDENTIFIER_WORDS,
    ISSUE_FIELDS,
    MAX_DOSES_PER_KIT,
    MEASURES,
    NON_PERSONAL_NAMES,
    OPTIONAL_EVENT_FIELDS,
    PRODUCTS,
    RECIPIENT_TYPES,
    REQUIRED_EVENT_FIELDS,
    SUPPLY_TYPES,
    TERMINAL_EVENTS,
    VALUE_SYNONYMS,
)
from overdose_trends.workbook import column_letter, open_workbook, source_name

__all__ = ["ISSUE_COLUMNS", "KitLog", "ValidationReport", "read_log"]

#: Columns of :attr:`ValidationReport.issues`.
ISSUE_COLUMNS = ("file", "sheet", "row", "column", "rule", "value", "severity", "message")

LogSource = str | os.PathLike[str] | IO[bytes] | IO[str] | pd.DataFrame

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_EVENT_FIELDS = ("event_id", *REQUIRED_EVENT_FIELDS, *OPTIONAL_EVENT_FIELDS[1:])
#: Fields read as pandas categoricals from CSV (few distinct values: fast and small).
_FEW_VALUES = frozenset(
    {
        "event_date",
        "event_type",
        "service",
        "area_code",
        "recipient_type",
        "supply_type",
        "product",
        "doses",
        "period",
        "period_start",
        "period_end",
        "measure",
        "status",
        *MEASURES,
    }
)
_VOCABULARIES = {
    "event_type": EVENT_TYPES,
    "recipient_type": RECIPIENT_TYPES,
    "supply_type": SUPPLY_TYPES,
    "product": PRODUCTS,
}

# --- personal data in cells ----------------------------------------------------------
_PII_PATTERNS = (
    ("an e-mail address", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
    ("an NHS or CHI number", r"(?<![\w\-])\d{3}[ \-]?\d{3}[ \-]?\d{4}(?![\w\-])"),
    (
        "a UK phone number",
        r"(?<![\w\-+])(?:\+44[ \-]?(?:\(0\)[ \-]?)?|0)\d(?:[ \-]?\d){8,9}(?![\w\-])",
    ),
    ("a UK postcode", r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]? *\d[A-Za-z]{2}(?![A-Za-z0-9])"),
)
_PII_ANY = "|".join(f"(?:{p})" for _, p in _PII_PATTERNS)

# --- dates -----------------------------------------------------------------------------
_MONTHS = {
    **{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    **{
        m: i + 1
        for i, m in enumerate(
            "january february march april may june july august september october november "
            "december".split()
        )
    },
    "sept": 9,
}
_ISO_DATE = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_NUM_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
_NAMED_DATE = r"^(\d{1,2})[ \-]+([A-Za-z]{3,9})\.?[ \-,]+(\d{4})$"
_TWO_DIGIT_YEAR = r"^(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}|\d{1,2}[ \-]+[A-Za-z]{3,9}[ \-]+\d{2})$"


# =====================================================================================
# Report
# =====================================================================================


@dataclass
class ValidationReport:
    """What happened to every row and column of an input file.

    Attributes
    ----------
    file, sheet : str, str or None
        Where the data came from.
    n_input : int
        Data rows in the input (blank rows are not counted; see ``notes``).
    n_loaded, n_rejected : int
        Rows in the output and rows rejected (with at least one error);
        ``n_loaded + n_rejected == n_input`` is checked on creation.
    issues : pandas.DataFrame
        One row per problem, columns :data:`ISSUE_COLUMNS`: ``file``,
        ``sheet``, ``row`` (Int64, 1-based as a spreadsheet shows it, header =
        row 1; ``<NA>`` for a problem with a whole column), ``column`` (header
        as written in the file), ``rule`` (see the module docstring),
        ``value`` (the offending text; ``<NA>`` when it is withheld as
        personal data), ``severity`` (``"error"``: row rejected;
        ``"warning"``: row kept and flagged) and ``message``.
    dropped_columns : dict of str to int
        Personal-identifier columns dropped on load -> number of non-empty
        cells they held. Their values are never read into any output.
    unknown_columns : tuple of str
        Columns that are not fields and were left out.
    mapped_values : pandas.DataFrame
        Values translated to the vocabulary: ``column``, ``value`` (as
        written), ``mapped_to`` and ``rows`` (rows with that value, loaded or not).
    notes : tuple of str
        Other facts an analyst needs (blank rows, missing optional columns,
        events that cannot be linked to a kit, values filled from defaults).
    """

    file: str
    sheet: str | None
    n_input: int
    n_loaded: int
    n_rejected: int
    issues: pd.DataFrame
    dropped_columns: dict[str, int] = field(default_factory=dict)
    unknown_columns: tuple[str, ...] = ()
    mapped_values: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["column", "value", "mapped_to", "rows"])
    )
    notes: tuple[str, ...] = ()
    kind: str = "kit log"

    def __post_init__(self) -> None:
        if self.n_loaded + self.n_rejected != self.n_input:
            raise AssertionError(
                f"row accounting broken: {self.n_loaded} loaded + {self.n_rejected} rejected "
                f"!= {self.n_input} input rows"
            )

    @property
    def errors(self) -> pd.DataFrame:
        """Issues that rejected a row."""
        return self.issues[self.issues["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        """Issues on rows that were kept, and whole-column notices."""
        return self.issues[self.issues["severity"] == "warning"]

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.n_rejected == 0

    def counts_by_rule(self) -> pd.DataFrame:
        """Number of issues per severity and rule."""
        return (
            self.issues.groupby(["severity", "rule"], sort=True)
            .size()
            .rename("issues")
            .reset_index()
        )

    def summary(self, max_issues: int = 10) -> str:
        """A readable summary: row accounting, identifiers dropped, issues by rule."""
        where = repr(self.file) + (f", sheet {self.sheet!r}" if self.sheet else "")
        n_err, n_warn = len(self.errors), len(self.warnings)
        lines = [
            f"{self.kind.capitalize()} {where}: {self.n_input:,} rows read, "
            f"{self.n_loaded:,} loaded, {self.n_rejected:,} rejected "
            f"({n_err:,} errors, {n_warn:,} warnings)."
        ]
        if self.dropped_columns:
            cols = ", ".join(
                f"{c!r} ({n:,} non-empty cells)" for c, n in self.dropped_columns.items()
            )
            lines.append(f"Personal identifiers dropped on load, values not kept anywhere: {cols}.")
        else:
            lines.append("No personal-identifier columns found.")
        n_pii = int((self.issues["rule"] == "personal_data").sum())
        if n_pii:
            lines.append(
                f"{n_pii:,} cells of kept columns looked like personal data and were blanked."
            )
        if self.unknown_columns:
            lines.append(f"Columns not used: {', '.join(map(repr, self.unknown_columns))}.")
        if len(self.mapped_values):
            parts = [
                f"{r.column} {r.value!r} -> {r.mapped_to} ({r.rows:,})"
                for r in self.mapped_values.itertuples()
            ]
            lines.append("Values mapped to the vocabulary: " + "; ".join(parts) + ".")
        lines.extend(self.notes)
        if len(self.issues):
            lines.append("Issues by rule:")
            lines.extend(
                f"  {r.severity:<7} {r.rule:<26} {r.issues:>9,}"
                for r in self.counts_by_rule().itertuples()
            )
            shown = self.issues.sort_values(["severity", "row"], kind="stable").head(max_issues)
            lines.append(f"First {len(shown)} issues (errors first):")
            lines.extend(f"  {m}" for m in shown["message"])
        return "\n".join(lines)

    def raise_if_errors(self) -> None:
        """Raise :class:`~overdose_trends.errors.DataFormatError` if any row was rejected.

        The message gives the number of rejected rows, the rules broken and the
        first error; the exception's ``row`` and ``column`` locate that error.
        """
        errors = self.errors
        if errors.empty:
            return
        first = errors.sort_values("row", kind="stable").iloc[0]
        rules = ", ".join(sorted(errors["rule"].unique()))
        raise DataFormatError(
            f"{self.n_rejected:,} of {self.n_input:,} rows rejected ({rules}); first: "
            f"{first['message']}",
            file=self.file,
            sheet=self.sheet,
            row=None if pd.isna(first["row"]) else int(first["row"]),
            column=None if pd.isna(first["column"]) else str(first["column"]),
        )

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"ValidationReport(file={self.file!r}, n_input={self.n_input}, "
            f"n_loaded={self.n_loaded}, n_rejected={self.n_rejected}, "
            f"errors={len(self.errors)}, warnings={len(self.warnings)}, "
            f"dropped_columns={list(self.dropped_columns)})"
        )


@dataclass
class KitLog:
    """A loaded kit log: the tidy events and the validation report.

    Attributes
    ----------
    events : pandas.DataFrame
        Loaded rows, columns :data:`~overdose_trends.kits.schema.EVENT_COLUMNS`.
    report : ValidationReport
        What was rejected, flagged, mapped and dropped.
    """

    events: pd.DataFrame
    report: ValidationReport

    def __repr__(self) -> str:
        return f"KitLog({len(self.events):,} events)\n{self.report.summary(max_issues=5)}"


# =====================================================================================
# Reading any table into (codes, uniques) columns
# =====================================================================================


@dataclass
class _Column:
    """One input column as integer codes into its distinct cell texts."""

    header: str
    letter: str
    codes: np.ndarray  # intp, one per row
    uniques: np.ndarray  # object array of str (cell text as written)

    _stripped: pd.Series | None = field(default=None, repr=False)

    def take(self, rows: np.ndarray) -> _Column:
        return _Column(self.header, self.letter, self.codes[rows], self.uniques, self._stripped)

    @property
    def stripped(self) -> pd.Series:
        """Distinct cell texts without surrounding spaces (cached)."""
        if self._stripped is None:
            self._stripped = _strip(self.uniques)
        return self._stripped

    @property
    def blank(self) -> np.ndarray:
        """Per distinct text: is it blank?"""
        return (self.stripped == "").to_numpy()

    def set_blank(self, which: np.ndarray) -> None:
        """Blank the distinct texts where ``which`` is true."""
        uniques = self.uniques.copy()
        uniques[which] = ""
        self.uniques, self._stripped = uniques, None


@dataclass
class _Table:
    name: str
    sheet: str | None
    headers: list[str]
    plan: list[tuple[str, str | None]]
    columns: list[_Column]
    rows: np.ndarray  # int64, 1-based spreadsheet row of each data row
    n_blank: int


Planner = Callable[[list[str], str, str | None], list[tuple[str, str | None]]]


def _cell_text(value: Any) -> str:
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


def _as_column(values: pd.Series | np.ndarray, header: str, index: int) -> _Column:
    """Encode one column's cells as codes into the distinct cell texts."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques = np.asarray(values.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        codes = codes.astype(np.intp, copy=False)
        uniques = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        text = np.array([_cell_text(v) for v in uniques], dtype=object)
        recode, uniques = pd.factorize(text)
        codes = recode[codes] if len(codes) else codes
        uniques = np.asarray(uniques, dtype=object)
    if (codes < 0).any():
        uniques = np.append(uniques, "")
        codes = np.where(codes < 0, len(uniques) - 1, codes)
    return _Column(header, column_letter(index), codes, uniques)


def _norm_header(header: Any) -> str:
    """``" Event Date\\ufeff"`` -> ``"event_date"``."""
    text = str(header).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-.]+", "_", text).strip("_")


def _is_identifier(norm: str) -> bool:
    if any(p in norm for p in IDENTIFIER_PHRASES):
        return True
    words = norm.split("_")
    for i, w in enumerate(words):
        if w in IDENTIFIER_WORDS:
            if w in ("name", "names") and "_".join(words[:i]) in NON_PERSONAL_NAMES:
                continue
            return True
    return False


def _plan_columns(
    headers: Sequence[str],
    mapping: Mapping[str, str | None] | None,
    fields: Sequence[str],
    name: str,
    sheet: str | None,
) -> list[tuple[str, str | None]]:
    """Decide what each column is: ("field", f), "identifier", "ignored", "unknown" or "blank"."""
    norm = [_norm_header(h) for h in headers]
    wanted: dict[str, str | None] = {}
    for key, target in (mapping or {}).items():
        if target is not None and target not in fields:
            raise ValueError(
                f"mapping sends column {key!r} to {target!r}, which is not a field; "
                f"fields are {list(fields)} (or None to ignore the column)"
            )
        wanted[_norm_header(key)] = target
    missing = sorted(k for k in wanted if k not in norm)
    if missing:
        raise DataFormatError(
            f"mapping names column(s) {missing} that are not in the file; its columns are "
            f"{_shown(headers)}",
            file=name,
            sheet=sheet,
        )
    plan: list[tuple[str, str | None]] = []
    seen: dict[str, int] = {}
    for i, (header, key) in enumerate(zip(headers, norm, strict=True)):
        if key in wanted:
            target = wanted[key]
            entry = ("ignored", None) if target is None else ("field", target)
        elif key in fields:
            entry = ("field", key)
        elif key == "":
            entry = ("blank", None)
        elif _is_identifier(key):
            entry = ("identifier", None)
        else:
            entry = ("unknown", None)
        if entry[0] == "field":
            f = entry[1]
            if f in seen:
                raise DataFormatError(
                    f"columns {headers[seen[f]]!r} and {header!r} both give {f!r}; map one of "
                    "them to another field or to None",
                    file=name,
                    sheet=sheet,
                    column=column_letter(i),
                )
            seen[f] = i
        plan.append(entry)
    return plan


def _read_bytes(source: Any) -> tuple[bytes, str]:
    name = source_name(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return fh.read(), name
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, name


def _read_table(
    source: LogSource,
    *,
    planner: Planner,
    accepts: Callable[[list[str]], bool],
    sheet: str | None,
    header_row: int,
    encoding: str,
) -> _Table:
    """Read a CSV, a workbook sheet or a DataFrame into coded columns."""
    if header_row < 1:
        raise ValueError(f"header_row is 1-based and must be >= 1, got {header_row}")
    if isinstance(source, pd.DataFrame):
        name = "<DataFrame>"
        headers = [str(c) for c in source.columns]
        plan = planner(headers, name, None)
        cols = [_as_column(source.iloc[:, i], h, i) for i, h in enumerate(headers)]
        return _finish_table(name, None, headers, plan, cols, 2, len(source))
    data, name = _read_bytes(source)
    if not data:
        raise DataFormatError("file is empty", file=name)
    if data.startswith((_OLE2, _ZIP)):
        return _read_sheet(data, name, planner, accepts, sheet, header_row)
    if sheet is not None:
        raise ValueError(f"sheet={sheet!r} given but {name!r} is a CSV file, not a workbook")
    return _read_csv(data, name, planner, header_row, encoding)


def _read_csv(data: bytes, name: str, planner: Planner, header_row: int, encoding: str) -> _Table:
    try:
        reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))
        headers = None
        for i, record in enumerate(reader, start=1):
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
    names = [f"c{i}" for i in range(len(headers))]
    dtype = {
        n: "category" if kind == "field" and f in _FEW_VALUES else object
        for n, (kind, f) in zip(names, plan, strict=True)
    }
    try:
        with warnings.catch_warnings():
            # pandas only warns (and drops cells) when the first data row is too long
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.BytesIO(data),
                header=None,
                skiprows=header_row,
                names=names,
                dtype=dtype,
                na_filter=False,
                skip_blank_lines=False,
                encoding=encoding,
                index_col=False,
            )
    except pd.errors.ParserWarning as exc:
        reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))
        row = next(
            (r for r, rec in enumerate(reader, 1) if r > header_row and len(rec) > len(headers)),
            None,
        )
        raise DataFormatError(
            f"a data row has more cells than the header ({len(headers)}); check for an extra "
            "delimiter",
            file=name,
            row=row,
        ) from exc
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise DataFormatError(
            f"cannot parse the CSV ({exc}); check for an extra delimiter or an unclosed quote",
            file=name,
            row=int(m.group(1)) if m else None,
        ) from exc
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"cannot decode the file as {encoding} ({exc.reason}); pass encoding=", file=name
        ) from exc
    cols = [_as_column(df[n], h, i) for i, (n, h) in enumerate(zip(names, headers, strict=True))]
    return _finish_table(name, None, list(headers), plan, cols, header_row + 1, len(df))


def _read_sheet(
    data: bytes,
    name: str,
    planner: Planner,
    accepts: Callable[[list[str]], bool],
    sheet: str | None,
    header_row: int,
) -> _Table:
    wb = open_workbook(io.BytesIO(data))
    wb.name = name

    def header_of(s: str) -> list[str]:
        grid = wb.rows(s)
        return [_cell_text(v) for v in grid[header_row - 1]] if len(grid) >= header_row else []

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
        _as_column(body.iloc[:, i] if i < body.shape[1] else np.full(len(body), ""), h, i)
        for i, h in enumerate(headers)
    ]
    return _finish_table(name, sheet, headers, plan, cols, header_row + 1, len(body))


def _finish_table(
    name: str,
    sheet: str | None,
    headers: list[str],
    plan: list[tuple[str, str | None]],
    cols: list[_Column],
    first_row: int,
    n: int,
) -> _Table:
    """Drop rows whose every cell is blank; number the rest as a spreadsheet does."""
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    blank = np.ones(n, dtype=bool)
    for c in cols:
        blank &= c.blank[c.codes]
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
    headers = [_safe_header(headers[i], cols[i].letter) for i in used]
    cols = [cols[i] for i in used]
    for c, h in zip(cols, headers, strict=True):
        c.header = h
    return _Table(name, sheet, headers, plan, cols, rows, n_blank)


def _shown(headers: Sequence[str]) -> list[str]:
    """Headers for error messages (see :func:`_safe_header`)."""
    return [_safe_header(str(h), column_letter(i)) for i, h in enumerate(headers)]


def _safe_header(header: str, letter: str) -> str:
    """The header as written, unless it is blank or itself looks like personal data."""
    if not header.strip():
        return f"(no header, column {letter})"
    if re.search(_PII_ANY, header):
        return f"(column {letter}, header withheld as personal data)"
    return header


# =====================================================================================
# Issue collection
# =====================================================================================


class _Issues:
    """Collects issues as arrays; one DataFrame at the end."""

    def __init__(self, file: str, sheet: str | None) -> None:
        self.file, self.sheet = file, sheet
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        rows: np.ndarray,
        column: str | None,
        rule: str,
        severity: str,
        message: Any,
        value: Any = None,
    ) -> None:
        """Add issues for ``rows`` (1-based); ``message`` is the text after ``"row N: "``."""
        n = len(rows)
        if n == 0:
            return
        row_text = pd.Series(rows, dtype="int64").astype(str).to_numpy(dtype=object)
        message = np.broadcast_to(np.asarray(message, dtype=object), (n,))
        full = "row " + pd.Series(row_text, dtype=object) + ": " + pd.Series(message)
        if value is None:
            value = np.full(n, None, dtype=object)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": pd.array(rows, dtype="Int64"),
                    "column": column,
                    "rule": rule,
                    "value": np.broadcast_to(np.asarray(value, dtype=object), (n,)),
                    "severity": severity,
                    "message": full.to_numpy(dtype=object),
                }
            )
        )

    def add_column(self, column: str, rule: str, message: str) -> None:
        """A whole-column notice (no row)."""
        self.parts.append(
            pd.DataFrame(
                {
                    "row": pd.array([None], dtype="Int64"),
                    "column": [column],
                    "rule": [rule],
                    "value": [None],
                    "severity": ["warning"],
                    "message": [f"column {column!r}: {message}"],
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if self.parts:
            df = pd.concat(self.parts, ignore_index=True)
        else:
            df = pd.DataFrame(
                {c: pd.Series(dtype="Int64" if c == "row" else object) for c in ISSUE_COLUMNS[2:]}
            )
        df.insert(0, "file", self.file)
        df.insert(1, "sheet", self.sheet)
        df = df.sort_values(["row", "rule"], kind="stable", na_position="first")
        out = df.reset_index(drop=True).loc[:, list(ISSUE_COLUMNS)]
        for c in ("file", "sheet", "column", "rule", "value", "severity", "message"):
            out[c] = out[c].astype("str")
        return out


# =====================================================================================
# Shared cell checks (used by read_log and read_counts)
# =====================================================================================


def _strip(uniques: np.ndarray) -> pd.Series:
    """Distinct cell texts (all ``str``) without surrounding whitespace."""
    return pd.Series([u.strip() for u in uniques], dtype=object)


def _norm_values(values: pd.Series) -> pd.Series:
    """Lower-case; runs of spaces, ``_``, ``-`` and ``/`` become one space."""
    return values.str.lower().str.replace(r"[\s_\-/]+", " ", regex=True).str.strip()


def _scan_personal(col: _Column, rows: np.ndarray, issues: _Issues) -> None:
    """Blank cells that look like personal data (in place) and report them without values."""
    text = col.stripped
    hit = _maybe_personal(text.to_numpy(dtype=object))
    if hit.any():
        at = np.flatnonzero(hit)
        hit[at] = text.iloc[at].str.contains(_PII_ANY, regex=True).to_numpy(dtype=bool)
    if not hit.any():
        return
    kinds = np.full(len(text), None, dtype=object)
    for kind, pattern in reversed(_PII_PATTERNS):
        kinds[hit & text.str.contains(pattern, regex=True).to_numpy(dtype=bool)] = kind
    at = np.flatnonzero(hit[col.codes])
    issues.add(
        rows[at],
        col.header,
        "personal_data",
        "warning",
        f"column {col.header!r} held what looks like "
        + pd.Series(kinds[col.codes[at]], dtype=object)
        + "; the cell was blanked (value not shown)",
    )
    col.set_blank(hit)


#: Character classes of :func:`_shape_codes` and the character standing for each class in a
#: shape string. ``_`` and ``%`` share ``.``'s class: all three may appear in an e-mail address
#: and none is a letter or digit, which is all the patterns below distinguish.
_SHAPE_CHARS = ("", "0", "a", " ", "-", "@", ".", "+", "(", ")", "#")
#: The personal-data pattern on shapes: digits are all ``0`` there, so literal digits become
#: ``\d`` (a shape match is necessary, not sufficient, for a match of the real text).
_PII_SHAPE = _PII_ANY.replace(r"\+44", r"\+\d\d").replace(r"\(0\)", r"\(\d\)")


def _shape_codes(chars: np.ndarray) -> np.ndarray:
    """4-bit class of each code point (rows of ASCII strings, 0-padded): see _SHAPE_CHARS."""
    code = np.full(chars.shape, 10, dtype=np.uint64)
    code[chars == 0] = 0
    code[(chars >= 48) & (chars <= 57)] = 1
    code[((chars >= 65) & (chars <= 90)) | ((chars >= 97) & (chars <= 122))] = 2
    for ch, c in (
        (" ", 3),
        ("-", 4),
        ("@", 5),
        (".", 6),
        ("_", 6),
        ("%", 6),
        ("+", 7),
        ("(", 8),
        (")", 9),
    ):
        code[chars == ord(ch)] = c
    return code


def _maybe_personal(text: np.ndarray, chunk: int = 250_000, max_len: int = 48) -> np.ndarray:
    """Per string: could it contain personal data (a necessary condition, vectorised)?

    Every character is reduced to its class (digit, letter, space, ``-``, ``@``,
    ``.``, ``+``, ``(``, ``)``, other), giving a *shape* such as ``a0000-000000``
    for ``S0001-000123``. Kit ids and codes have few distinct shapes, so the
    personal-data patterns run once per shape instead of once per cell; only
    strings whose shape matches are searched with the real patterns. Strings
    longer than ``max_len`` or with non-ASCII characters skip this and are
    searched directly.
    """
    n = len(text)
    out = np.zeros(n, dtype=bool)
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=n)
    small = np.flatnonzero((lengths >= 5) & (lengths <= max_len))
    out[lengths > max_len] = True
    shape_re = re.compile(_PII_SHAPE)
    for begin in range(0, len(small), chunk):
        idx = small[begin : begin + chunk]
        chars = text[idx].astype("U").view(np.uint32).reshape(len(idx), -1)
        ascii_ = (chars < 128).all(axis=1)
        out[idx[~ascii_]] = True
        idx, chars = idx[ascii_], chars[ascii_]
        code = _shape_codes(chars)
        words = [
            (
                code[:, w : w + 16]
                << (4 * np.arange(code[:, w : w + 16].shape[1], dtype=np.uint64))
            ).sum(axis=1)
            for w in range(0, code.shape[1], 16)
        ]
        key = np.zeros(len(idx), dtype=np.int64)
        for word in words:
            c, u = pd.factorize(word)
            key = key * (len(u) + 1) + c
        shape_of = pd.factorize(key)[0]
        reps = np.unique(shape_of, return_index=True)[1]  # first row of each shape
        hit = np.array(
            [
                shape_re.search("".join(_SHAPE_CHARS[int(c)] for c in code[r])) is not None
                for r in reps
            ],
            dtype=bool,
        )
        out[idx] = hit[shape_of]
    return out


def _parse_area(
    col: _Column,
    rows: np.ndarray,
    issues: _Issues,
    known_areas: frozenset[str] | None,
    reject: np.ndarray,
) -> np.ndarray:
    """Area codes per distinct value (upper-cased) and their errors; returns uniques."""
    text = col.stripped.str.upper()
    blank = col.blank
    valid = text.str.match(GSS_CODE.pattern).to_numpy(dtype=bool)
    _flag(col, rows, issues, reject, blank, "blank_required", "error", "area_code is blank")
    _flag(
        col,
        rows,
        issues,
        reject,
        ~blank & ~valid,
        "invalid_area_code",
        "error",
        "area_code " + _quoted(col.uniques) + " is not a GSS code (a letter and 8 digits, "
        "e.g. E06000033)",
        echo=True,
    )
    if known_areas is not None:
        unknown = valid & ~text.isin(known_areas).to_numpy()
        _flag(
            col,
            rows,
            issues,
            reject,
            unknown,
            "unknown_area_code",
            "error",
            "area_code " + _quoted(col.uniques) + " is not in known_areas",
            echo=True,
        )
    return text.to_numpy(dtype=object)


def _quoted(uniques: np.ndarray) -> np.ndarray:
    return np.array([repr(str(u).strip()) for u in uniques], dtype=object)


def _flag(
    col: _Column,
    rows: np.ndarray,
    issues: _Issues,
    reject: np.ndarray | None,
    bad_u: np.ndarray,
    rule: str,
    severity: str,
    message: Any,
    echo: bool = False,
) -> np.ndarray:
    """Report every row whose value is a flagged distinct value; returns the row positions."""
    bad_u = np.asarray(bad_u, dtype=bool)
    if not bad_u.any():
        return np.empty(0, dtype=np.intp)
    at = np.flatnonzero(bad_u[col.codes])
    msg = message
    if isinstance(message, np.ndarray | pd.Series):
        msg = np.asarray(message, dtype=object)[col.codes[at]]
    value = col.stripped.to_numpy(dtype=object)[col.codes[at]] if echo else None
    issues.add(rows[at], col.header, rule, severity, msg, value)
    if reject is not None and severity == "error":
        reject[at] = True
    return at


def _date_parts(text: pd.Series, dayfirst: bool) -> tuple[np.ndarray, ...]:
    """Year, month, day (float, NaN where unparsed) and which pattern matched."""
    iso = text.str.extract(_ISO_DATE).astype(float)
    num = text.str.extract(_NUM_DATE).astype(float)
    named = text.str.extract(_NAMED_DATE)
    named_month = named[1].str.lower().map(_MONTHS).astype(float)
    d_col, m_col = (0, 1) if dayfirst else (1, 0)
    y = iso[0].fillna(num[2]).fillna(named[2].astype(float))
    m = iso[1].fillna(num[m_col]).fillna(named_month)
    d = iso[2].fillna(num[d_col]).fillna(named[0].astype(float))
    matched = iso[0].notna() | num[0].notna() | (named[0].notna() & named_month.notna())
    return y.to_numpy(), m.to_numpy(), d.to_numpy(), matched.to_numpy(), num[m_col].to_numpy()


def _ymd_to_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] from float components; NaT where the date does not exist."""
    ok = ~(np.isnan(y) | np.isnan(m) | np.isnan(d))
    ok &= (y >= 1900) & (y <= 2100) & (m >= 1) & (m <= 12) & (d >= 1)
    yi = np.where(ok, y, 2000).astype(np.int64)
    mi = np.where(ok, m, 1).astype(np.int64)
    di = np.where(ok, d, 1).astype(np.int64)
    month = ((yi - 1970) * 12 + mi - 1).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    days_in_month = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= di <= days_in_month
    out = first + (di - 1).astype("timedelta64[D]")
    out[~ok] = np.datetime64("NaT")
    return out


def _parse_dates(
    uniques: np.ndarray, *, dayfirst: bool, date_format: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates of distinct cell texts.

    Returns ``(dates, blank, detail)``: datetime64[D] (NaT if blank or bad), a
    blank mask, and per value a reason text when it could not be read.
    """
    text = _strip(uniques)
    blank = (text == "").to_numpy()
    detail = np.full(len(text), "", dtype=object)
    quoted = _quoted(uniques)
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        dates = parsed.to_numpy().astype("datetime64[D]")
        bad = ~blank & np.isnat(dates)
        detail[bad] = quoted[bad] + f" does not match date_format {date_format!r}"
        return dates, blank, detail
    y, m, d, matched, num_month = _date_parts(text, dayfirst)
    dates = _ymd_to_dates(y, m, d)
    two_digit = text.str.match(_TWO_DIGIT_YEAR).to_numpy(dtype=bool)
    invalid = ~blank & matched & np.isnat(dates)
    unknown = ~blank & ~matched
    order = "DD/MM/YYYY" if dayfirst else "MM/DD/YYYY"
    detail[invalid] = quoted[invalid] + " is not a valid date"
    swapped = invalid & (num_month > 12)
    detail[swapped] = (
        quoted[swapped]
        + f" is not a valid date when read as {order}"
        + (" (pass dayfirst=False for month-first dates)" if dayfirst else "")
    )
    detail[unknown] = (
        quoted[unknown] + f" is not a date in a recognised format (YYYY-MM-DD, {order}, "
        "14 Mar 2016); pass date_format="
    )
    detail[unknown & two_digit] = (
        quoted[unknown & two_digit] + " has a two-digit year, which is ambiguous; pass "
        "date_format= (e.g. '%d/%m/%y')"
    )
    return dates, blank, detail


def _as_day(value: date | str | pd.Timestamp | None, default: date | None = None) -> np.datetime64:
    if value is None:
        value = default if default is not None else date.today()
    return np.datetime64(pd.Timestamp(value).date(), "D")


def _vocab_lookup(
    field_name: str, vocab: Sequence[str], extra: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Normalised canonical names -> value, and normalised synonyms -> value."""

    def norm(keys: Iterable[str]) -> list[str]:
        return list(_norm_values(pd.Series(list(keys), dtype=object)))

    canonical = dict(zip(norm(vocab), vocab, strict=True))
    synonyms = dict(VALUE_SYNONYMS.get(field_name, {}))
    for k, v in (extra or {}).items():
        if v not in vocab:
            raise ValueError(
                f"value_mapping[{field_name!r}] sends {k!r} to {v!r}, which is not one of {vocab}"
            )
        synonyms[k] = v  # the caller's mapping wins over the built-in synonyms
    return canonical, dict(zip(norm(synonyms), synonyms.values(), strict=True))


def _map_vocab(
    col: _Column,
    field_name: str,
    vocab: Sequence[str],
    extra: Mapping[str, str] | None,
    mapped: list[pd.DataFrame],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical value per distinct text; returns ``(values, blank, unknown)`` per unique."""
    canonical, synonyms = _vocab_lookup(field_name, vocab, extra)
    raw = col.stripped
    norm = _norm_values(raw)
    exact = norm.map(canonical)
    via_synonym = exact.isna() & norm.map(synonyms).notna()
    values = exact.fillna(norm.map(synonyms)).to_numpy(dtype=object)
    blank = (raw == "").to_numpy()
    unknown = ~blank & pd.isna(values)
    syn = via_synonym.to_numpy()
    if syn.any():
        n = np.bincount(col.codes, minlength=len(raw))
        idx = np.flatnonzero(syn & (n > 0))
        mapped.append(
            pd.DataFrame(
                {
                    "column": field_name,
                    "value": raw.to_numpy(dtype=object)[idx],
                    "mapped_to": values[idx],
                    "rows": n[idx].astype(np.int64),
                }
            )
        )
    return values, blank, unknown


# =====================================================================================
# read_log
# =====================================================================================


def _counts_like(headers: Sequence[str]) -> bool:
    keys = {_norm_header(h) for h in headers}
    return bool(keys & {"measure", "value", "period", "period_start", *MEASURES})


def read_log(
    source: LogSource,
    mapping: Mapping[str, str | None] | None = None,
    *,
    as_of: date | str | None = None,
    dayfirst: bool = True,
    date_format: str | None = None,
    known_areas: Iterable[str] | None = None,
    sheet: str | None = None,
    header_row: int = 1,
    value_mapping: Mapping[str, Mapping[str, str]] | None = None,
    programme_start: date | str | Mapping[str, date | str] | None = None,
    encoding: str = "utf-8-sig",
) -> KitLog:
    """Read and validate an event-level take-home naloxone kit log.

    Parameters
    ----------
    source : path, binary file object or pandas.DataFrame
        A CSV file, or an ``.xlsx``/``.xls`` workbook (detected from the
        file's first bytes), one row per kit event under one header row. A
        DataFrame is validated the same way (its header counts as row 1).
    mapping : dict, optional
        File column name -> field, for columns not already named as the field
        (``{"Date": "event_date", "Kit no": "kit_id", "Site": "service"}``);
        ``None`` as the field ignores a column. Names are compared after
        normalisation (case, spaces, BOM). Fields: ``event_date``,
        ``event_type``, ``service``, ``area_code`` (required), ``event_id``,
        ``kit_id``, ``recipient_type``, ``supply_type``, ``product``, ``doses``.
    as_of : date or str, optional
        Events after this day are rejected as future dates (default today).
    dayfirst : bool, default True
        Read ``03/04/2016`` as 3 April (UK). ISO ``YYYY-MM-DD`` is always
        accepted; two-digit years are rejected unless ``date_format`` says so.
    date_format : str, optional
        An explicit :func:`~datetime.datetime.strptime` format for every date,
        replacing the built-in formats.
    known_areas : iterable of str, optional
        If given, area codes not in it are rejected (default: GSS pattern only).
    sheet : str, optional
        Workbook sheet. Default: the only sheet, or the only sheet whose header
        row has the required columns.
    header_row : int, default 1
        1-based row of the column headers (rows above are ignored).
    value_mapping : dict, optional
        Extra spellings per field, e.g. ``{"event_type": {"confiscated": "lost"}}``;
        they take precedence over the built-in synonyms.
    programme_start : date, str or dict of service -> date, optional
        Events before this date draw a ``before_supply_start`` warning. By
        default English area codes (``E...``) are checked against 1 Oct 2015
        (SI 2015/1503) and other countries are not checked.
    encoding : str, default "utf-8-sig"
        Text encoding of a CSV file.

    Returns
    -------
    KitLog
        ``.events``: loaded rows with columns
        :data:`~overdose_trends.kits.schema.EVENT_COLUMNS` (``event_date``
        datetime64[ns] at midnight; ``doses`` Int64, filled from
        :data:`~overdose_trends.kits.schema.DEFAULT_DOSES` when blank;
        ``recipient_type``/``supply_type`` ``"unknown"`` when blank on an
        issue row and missing on other rows; ``product`` ``"unknown"`` when
        blank; ``event_id`` as given, missing when the log has none, since
        ``source_row`` already identifies every row), in input order.
        ``.report``: a :class:`ValidationReport`.

    Raises
    ------
    DataFormatError
        If the file cannot be read, a required column is missing, ``mapping``
        names a column the file does not have, or two columns give one field.
        Row-level problems do not raise: they are in the report (use
        ``report.raise_if_errors()`` to make them fatal).

    See Also
    --------
    overdose_trends.kits.counts.read_counts : published monthly/quarterly counts.

    References
    ----------
    Human Medicines (Amendment) (No. 3) Regulations 2015, SI 2015/1503.
    Public Health Scotland, National Naloxone Programme Scotland monitoring
    reports; Public Health Wales, Harm Reduction Database Wales: Take Home
    Naloxone (categories of recipient, supply and re-supply).
    """
    if value_mapping:
        for f in value_mapping:
            if f not in _VOCABULARIES:
                raise ValueError(f"value_mapping has field {f!r}; allowed: {sorted(_VOCABULARIES)}")

    def planner(headers: list[str], name: str, sheet_name: str | None):
        plan = _plan_columns(headers, mapping, _EVENT_FIELDS, name, sheet_name)
        have = {f for kind, f in plan if kind == "field"}
        missing = [f for f in REQUIRED_EVENT_FIELDS if f not in have]
        if missing:
            hint = (
                " This looks like a table of counts: use overdose_trends.kits.counts.read_counts."
                if _counts_like(headers)
                else " Pass mapping={'<column>': '<field>'} for columns named differently."
            )
            raise DataFormatError(
                f"required column(s) {missing} not found; the columns are {_shown(headers)}.{hint}",
                file=name,
                sheet=sheet_name,
            )
        return plan

    def accepts(headers: list[str]) -> bool:
        try:
            planner(headers, "", None)
        except (DataFormatError, ValueError):
            return False
        return True

    table = _read_table(
        source,
        planner=planner,
        accepts=accepts,
        sheet=sheet,
        header_row=header_row,
        encoding=encoding,
    )
    return _validate_log(
        table,
        as_of=_as_day(as_of),
        dayfirst=dayfirst,
        date_format=date_format,
        known_areas=None if known_areas is None else frozenset(a.upper() for a in known_areas),
        value_mapping=value_mapping or {},
        programme_start=programme_start,
    )


def _row_keys(cols: Sequence[_Column], n: int) -> np.ndarray:
    """One integer per distinct combination of cell texts across ``cols``."""
    key = np.zeros(n, dtype=np.int64)
    capacity = 1
    for c in cols:
        card = len(c.uniques) + 1
        if capacity * card >= 2**62:
            frame = pd.DataFrame({i: c.codes for i, c in enumerate(cols)})
            return frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
        key = key * card + c.codes
        capacity *= card
    return key


def _exact_duplicates(table: _Table, issues: _Issues) -> np.ndarray:
    """Mask of rows that repeat an earlier row exactly (all columns); reports them."""
    n = len(table.rows)
    key = _row_keys(table.columns, n)
    dup = pd.Index(key).duplicated(keep="first")
    if dup.any():
        involved = np.flatnonzero(pd.Index(key).duplicated(keep=False))
        first_pos = (
            pd.Series(involved).groupby(key[involved], sort=False).transform("min").to_numpy()
        )
        later = dup[involved]
        at = involved[later]
        firsts = table.rows[first_pos[later]]
        issues.add(
            table.rows[at],
            None,
            "duplicate_row",
            "error",
            "exact copy of row " + pd.Series(firsts).astype(str) + " (that row is kept)",
        )
    return dup


def _validate_log(
    table: _Table,
    *,
    as_of: np.datetime64,
    dayfirst: bool,
    date_format: str | None,
    known_areas: frozenset[str] | None,
    value_mapping: Mapping[str, Mapping[str, str]],
    programme_start: Any,
) -> KitLog:
    issues = _Issues(table.name, table.sheet)
    notes: list[str] = []
    mapped: list[pd.DataFrame] = []
    n_input = len(table.rows)
    if table.n_blank:
        notes.append(f"{table.n_blank:,} blank rows were skipped (not counted as input).")

    # --- columns: identifiers dropped, unknown listed -------------------------------
    dropped: dict[str, int] = {}
    unknown: list[str] = []
    fields: dict[str, _Column] = {}
    for (kind, f), col in zip(table.plan, table.columns, strict=True):
        if kind == "identifier":
            dropped[col.header] = int((~col.blank)[col.codes].sum())
            issues.add_column(
                col.header,
                "identifier_column",
                f"personal identifiers dropped on load ({dropped[col.header]:,} non-empty cells)",
            )
        elif kind == "unknown":
            unknown.append(col.header)
            issues.add_column(col.header, "unknown_column", "not a field of the kit log; left out")
        elif kind == "field":
            fields[f] = col

    # --- exact duplicates (all columns, identifiers included) ------------------------
    dup = _exact_duplicates(table, issues)
    keep = np.flatnonzero(~dup)
    rows = table.rows[keep]
    n = len(rows)
    if len(keep) < len(table.rows):
        fields = {f: c.take(keep) for f, c in fields.items()}
    reject = np.zeros(n, dtype=bool)

    # --- personal data in kept cells --------------------------------------------------
    for col in fields.values():
        _scan_personal(col, rows, issues)

    # --- required text fields -----------------------------------------------------------
    service_col = fields["service"]
    service_u = service_col.stripped.to_numpy(dtype=object)
    _flag(
        service_col,
        rows,
        issues,
        reject,
        service_u == "",
        "blank_required",
        "error",
        "service is blank",
    )
    area_u = _parse_area(fields["area_code"], rows, issues, known_areas, reject)

    # --- event type ---------------------------------------------------------------------
    etype_col = fields["event_type"]
    etype_u, blank_u, unknown_u = _map_vocab(
        etype_col, "event_type", EVENT_TYPES, value_mapping.get("event_type"), mapped
    )
    _flag(
        etype_col, rows, issues, reject, blank_u, "blank_required", "error", "event_type is blank"
    )
    _flag(
        etype_col,
        rows,
        issues,
        reject,
        unknown_u,
        "unknown_event_type",
        "error",
        "event_type " + _quoted(etype_col.uniques) + f" is not one of {list(EVENT_TYPES)} "
        "or a known synonym; pass value_mapping={'event_type': {...}}",
        echo=True,
    )
    etype_code_u = np.array(
        [EVENT_TYPES.index(v) if isinstance(v, str) else -1 for v in etype_u], dtype=np.int64
    )
    etype = etype_code_u[etype_col.codes]
    issued = etype == 0

    # --- dates -----------------------------------------------------------------------
    date_col = fields["event_date"]
    dates_u, dblank_u, detail_u = _parse_dates(
        date_col.uniques, dayfirst=dayfirst, date_format=date_format
    )
    _flag(
        date_col, rows, issues, reject, dblank_u, "blank_required", "error", "event_date is blank"
    )
    bad_date_u = ~dblank_u & np.isnat(dates_u)
    _flag(
        date_col,
        rows,
        issues,
        reject,
        bad_date_u,
        "invalid_date",
        "error",
        "event_date " + detail_u.astype(object),
        echo=True,
    )
    future_u = ~np.isnat(dates_u) & (dates_u > as_of)
    _flag(
        date_col,
        rows,
        issues,
        reject,
        future_u,
        "future_date",
        "error",
        "event_date " + _quoted(date_col.uniques) + f" is after as_of ({as_of})",
        echo=True,
    )
    dates = dates_u[date_col.codes]
    _check_supply_start(
        dates,
        date_col,
        rows,
        issues,
        programme_start,
        (service_u, service_col.codes),
        (area_u, fields["area_code"].codes),
    )

    # --- optional categorical fields ----------------------------------------------------
    out_cat: dict[str, np.ndarray] = {}
    fills: list[tuple[str, np.ndarray]] = []
    for f in ("recipient_type", "supply_type", "product"):
        col = fields.get(f)
        if col is None:
            out_cat[f] = (
                np.where(issued, "unknown", None)
                if f in ISSUE_FIELDS
                else np.full(n, "unknown", dtype=object)
            )
            where = "issue rows" if f in ISSUE_FIELDS else "all rows"
            notes.append(f"No {f} column: {f} is 'unknown' on {where}.")
            continue
        values_u, blank_u, unknown_u = _map_vocab(
            col, f, _VOCABULARIES[f], value_mapping.get(f), mapped
        )
        _flag(
            col,
            rows,
            issues,
            None,
            unknown_u,
            "unknown_category",
            "warning",
            f"{f} " + _quoted(col.uniques) + f" is not one of {list(_VOCABULARIES[f])} or a "
            f"known synonym; kept as 'unknown' (pass value_mapping={{{f!r}: {{...}}}})",
            echo=True,
        )
        values_u = values_u.copy()
        values_u[unknown_u] = "unknown"
        values = values_u[col.codes]
        blank = blank_u[col.codes]
        fill = blank & issued if f in ISSUE_FIELDS else blank
        values = np.where(fill, "unknown", values)
        where = "issue rows" if f in ISSUE_FIELDS else "rows"
        fills.append((f"{f} blank on {{n:,}} loaded {where}: set to 'unknown'.", fill))
        out_cat[f] = values

    # --- doses -----------------------------------------------------------------------------
    doses, doses_ok = _parse_doses(fields.get("doses"), rows, issues, reject, n)
    product = out_cat["product"]
    default = np.zeros(n, dtype=np.int64)
    has_default = np.zeros(n, dtype=bool)
    for p, d in DEFAULT_DOSES.items():
        is_p = product == p
        default[is_p] = d
        has_default |= is_p
    blank_doses = ~doses_ok & has_default & _blank_rows(fields.get("doses"), n)
    if blank_doses.any():
        doses = np.where(blank_doses, default, doses)
        doses_ok = doses_ok | blank_doses
        per_kit = ", ".join(f"{p} {d}" for p, d in DEFAULT_DOSES.items())
        fills.append(
            (
                f"doses blank on {{n:,}} loaded rows: filled from the product ({per_kit}).",
                blank_doses,
            )
        )

    # --- identifiers of events and kits ------------------------------------------------
    event_id = _event_ids(fields.get("event_id"), rows, issues, reject)
    kit_col = fields.get("kit_id")
    if kit_col is None:
        kit_code = np.full(n, -1, dtype=np.int64)
        kit_u = np.empty(0, dtype=object)
        notes.append(
            "No kit_id column: events cannot be linked to kits, so duplicate issues, returns "
            "before issue, orphan returns and repeated returns were not checked."
        )
    else:
        kit_code, kit_u = _kit_codes(kit_col)

    terminal = (etype >= 1) & ~reject
    _check_kits(kit_code, kit_u, etype, dates, rows, kit_col, issues, reject)
    unlinked = (kit_code < 0) & ~reject
    if kit_col is not None and unlinked.any():
        notes.append(
            f"{int(unlinked.sum()):,} events have no kit_id ({int((unlinked & terminal).sum()):,} "
            "of them returns, losses or expiries): they are counted but cannot be checked "
            "against an issue."
        )

    # --- output ------------------------------------------------------------------------------
    ok = ~reject
    for text, mask in fills:
        if (mask & ok).any():
            notes.append(text.format(n=int((mask & ok).sum())))
    kit_ids = np.full(int(ok.sum()), None, dtype=object)
    has_kit = kit_code[ok] >= 0
    kit_ids[has_kit] = kit_u[kit_code[ok][has_kit]]
    events = pd.DataFrame(
        {
            "event_id": pd.array(event_id[ok], dtype="str"),
            "event_date": dates[ok].astype("datetime64[ns]"),
            "event_type": pd.array(np.asarray(EVENT_TYPES, dtype=object)[etype[ok]], dtype="str"),
            "kit_id": pd.array(kit_ids, dtype="str"),
            "service": pd.array(service_u[service_col.codes[ok]], dtype="str"),
            "area_code": pd.array(area_u[fields["area_code"].codes[ok]], dtype="str"),
            "recipient_type": pd.array(out_cat["recipient_type"][ok], dtype="str"),
            "supply_type": pd.array(out_cat["supply_type"][ok], dtype="str"),
            "product": pd.array(out_cat["product"][ok], dtype="str"),
            "doses": pd.arrays.IntegerArray(doses[ok].astype(np.int64), ~doses_ok[ok]),
            "source_row": rows[ok],
        },
        copy=False,
    )
    assert tuple(events.columns) == EVENT_COLUMNS

    mapped_df = (
        pd.concat(mapped, ignore_index=True)
        if mapped
        else pd.DataFrame(columns=["column", "value", "mapped_to", "rows"])
    )
    report = ValidationReport(
        file=table.name,
        sheet=table.sheet,
        n_input=n_input,
        n_loaded=len(events),
        n_rejected=int(dup.sum() + reject.sum()),
        issues=issues.frame(),
        dropped_columns=dropped,
        unknown_columns=tuple(unknown),
        mapped_values=mapped_df,
        notes=tuple(notes),
    )
    return KitLog(events=events, report=report)


def _blank_rows(col: _Column | None, n: int) -> np.ndarray:
    """Rows whose cell in ``col`` is blank (all rows when the column is absent)."""
    if col is None:
        return np.ones(n, dtype=bool)
    return col.blank[col.codes]


def _check_supply_start(
    dates: np.ndarray,
    date_col: _Column,
    rows: np.ndarray,
    issues: _Issues,
    programme_start: Any,
    services: tuple[np.ndarray, np.ndarray],
    areas: tuple[np.ndarray, np.ndarray],
) -> None:
    """Warn about events before supply could start (England) or before ``programme_start``."""
    england = np.datetime64(ENGLAND_SUPPLY_START, "D")
    english_u = np.array([str(a).startswith("E") for a in areas[0]], dtype=bool)
    start = np.where(english_u[areas[1]], england, np.datetime64("NaT", "D"))
    if isinstance(programme_start, Mapping):
        day_u = np.array(
            [
                _as_day(programme_start[v]) if v in programme_start else np.datetime64("NaT")
                for v in services[0]
            ],
            dtype="datetime64[D]",
        )
        day = day_u[services[1]]
        start = np.where(np.isnat(day), start, day)
    elif programme_start is not None:
        start = np.full(len(dates), _as_day(programme_start))
    early = np.flatnonzero(~np.isnat(dates) & ~np.isnat(start) & (dates < start))
    if len(early):
        day_text = dates[early].astype(str).astype(object)
        own = (
            np.zeros(len(early), dtype=bool)
            if programme_start is None
            else _covers(programme_start, services, early)
        )
        why = np.where(
            own,
            "before programme_start (" + start[early].astype(str).astype(object) + ")",
            "before non-prescription supply began in England (1 Oct 2015, SI 2015/1503)",
        )
        issues.add(
            rows[early],
            date_col.header,
            "before_supply_start",
            "warning",
            "event_date " + pd.Series(day_text) + " is " + pd.Series(why, dtype=object),
            day_text,
        )


def _covers(
    programme_start: Any, services: tuple[np.ndarray, np.ndarray], at: np.ndarray
) -> np.ndarray:
    """Which of the rows ``at`` have their own ``programme_start``."""
    if isinstance(programme_start, Mapping):
        mine = np.array([v in programme_start for v in services[0]], dtype=bool)
        return mine[services[1][at]]
    return np.ones(len(at), dtype=bool)


def _parse_doses(
    col: _Column | None, rows: np.ndarray, issues: _Issues, reject: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Doses per row (int64) and a mask of rows with a usable value."""
    if col is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    text = col.stripped
    whole = text.str.fullmatch(r"\d+(?:\.0+)?").to_numpy(dtype=bool)
    negative = text.str.fullmatch(r"-\d+(?:\.\d+)?").to_numpy(dtype=bool)
    blank = col.blank
    values = np.zeros(len(text), dtype=np.int64)
    values[whole] = text[whole].astype(float).astype(np.int64)
    implausible = whole & ((values < 1) | (values > MAX_DOSES_PER_KIT))
    quoted = _quoted(col.uniques)
    _flag(
        col,
        rows,
        issues,
        reject,
        negative,
        "invalid_doses",
        "error",
        "doses " + quoted + " is negative",
        echo=True,
    )
    _flag(
        col,
        rows,
        issues,
        reject,
        ~blank & ~whole & ~negative,
        "invalid_doses",
        "error",
        "doses " + quoted + " is not a whole number",
        echo=True,
    )
    _flag(
        col,
        rows,
        issues,
        None,
        implausible,
        "implausible_doses",
        "warning",
        "doses " + quoted + f" is outside 1-{MAX_DOSES_PER_KIT} (a code for unknown?); "
        "kept as missing",
        echo=True,
    )
    usable = whole & ~implausible
    return values[col.codes], usable[col.codes]


def _event_ids(
    col: _Column | None, rows: np.ndarray, issues: _Issues, reject: np.ndarray
) -> np.ndarray:
    """Event ids as given (None where blank or no column); later duplicates rejected."""
    if col is None:
        return np.full(len(rows), None, dtype=object)
    text = col.stripped.to_numpy(dtype=object)
    blank_u = col.blank
    ids = np.where(blank_u, None, text)[col.codes]
    counts = np.bincount(col.codes, minlength=len(text))
    if (counts[~blank_u] > 1).any():
        dup = pd.Index(col.codes).duplicated(keep="first") & ~blank_u[col.codes]
        at = np.flatnonzero(dup)
        issues.add(
            rows[at],
            col.header,
            "duplicate_event_id",
            "error",
            "event_id " + _quoted(col.uniques)[col.codes[at]] + " was given to an earlier row",
            text[col.codes[at]],
        )
        reject[at] = True
    return ids


def _kit_codes(col: _Column) -> tuple[np.ndarray, np.ndarray]:
    """Integer code per row for the stripped kit id (-1 when blank) and the ids."""
    text = col.stripped.to_numpy(dtype=object)
    if (text != col.uniques).any():
        recode, text = pd.factorize(text)
        codes = recode[col.codes]
        text = np.asarray(text, dtype=object)
    else:
        codes = col.codes
    codes = np.where((text == "")[codes], -1, codes).astype(np.int64)
    return codes, text


def _earliest(
    idx: np.ndarray, kit: np.ndarray, day: np.ndarray, rows: np.ndarray, n_kits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split rows ``idx`` into the earliest per kit (by date, then row) and the later ones.

    Returns ``(first, later, ref)``: positions of each kit's earliest row, of the
    other rows, and for each of those the position of its kit's earliest row.
    Only kits with more than one row are sorted.
    """
    counts = np.bincount(kit[idx], minlength=n_kits)
    multi = counts[kit[idx]] > 1
    many = idx[multi]
    order = many[np.lexsort((rows[many], day[many], kit[many]))]
    k = kit[order]
    head = np.r_[True, k[1:] != k[:-1]] if len(k) else np.empty(0, dtype=bool)
    ref = order[np.maximum.accumulate(np.where(head, np.arange(len(k)), 0))] if len(k) else k
    return np.concatenate([idx[~multi], order[head]]), order[~head], ref[~head]


def _check_kits(
    kit: np.ndarray,
    kit_u: np.ndarray,
    etype: np.ndarray,
    dates: np.ndarray,
    rows: np.ndarray,
    kit_col: _Column | None,
    issues: _Issues,
    reject: np.ndarray,
) -> None:
    """Kit-level rules on rows that passed the field rules and have a kit id."""
    if kit_col is None:
        return
    header = kit_col.header
    names = np.asarray(EVENT_TYPES, dtype=object)
    day = dates.astype(np.int64)
    n_kits = len(kit_u)
    linked = (kit >= 0) & ~reject

    # duplicate issues: the earliest (by date, then row) is kept
    keep, at, ref = _earliest(np.flatnonzero(linked & (etype == 0)), kit, day, rows, n_kits)
    if len(at):
        issues.add(
            rows[at],
            header,
            "duplicate_issue",
            "error",
            "kit "
            + _kit_text(kit_u, kit[at])
            + " is issued again; first issued on row "
            + pd.Series(rows[ref]).astype(str)
            + " ("
            + _day_text(dates[ref])
            + ")",
            kit_u[kit[at]],
        )
        reject[at] = True
    first_row = np.full(n_kits, -1, dtype=np.int64)
    first_day = np.zeros(n_kits, dtype=np.int64)
    first_pos = np.zeros(n_kits, dtype=np.int64)
    first_row[kit[keep]] = rows[keep]
    first_day[kit[keep]] = day[keep]
    first_pos[kit[keep]] = keep

    # returns, losses and expiries
    term = np.flatnonzero(linked & (etype >= 1))
    has_issue = first_row[kit[term]] >= 0
    orphan = term[~has_issue]
    if len(orphan):
        issues.add(
            rows[orphan],
            header,
            "orphan_return",
            "warning",
            "kit "
            + _kit_text(kit_u, kit[orphan])
            + " has a "
            + pd.Series(names[etype[orphan]])
            + " event but no issue in the log (issued before the log starts?)",
            kit_u[kit[orphan]],
        )
    linked_term = term[has_issue]
    early = linked_term[day[linked_term] < first_day[kit[linked_term]]]
    if len(early):
        ref = first_pos[kit[early]]
        issues.add(
            rows[early],
            header,
            "return_before_issue",
            "error",
            "kit "
            + _kit_text(kit_u, kit[early])
            + " "
            + pd.Series(names[etype[early]])
            + " on "
            + _day_text(dates[early])
            + ", before its issue on "
            + _day_text(dates[ref])
            + " (row "
            + pd.Series(rows[ref]).astype(str)
            + ")",
            kit_u[kit[early]],
        )
        reject[early] = True

    # more than one terminal event: the earliest is kept
    term = np.flatnonzero((kit >= 0) & ~reject & (etype >= 1))
    _, at, ref = _earliest(term, kit, day, rows, n_kits)
    if len(at):
        issues.add(
            rows[at],
            header,
            "multiple_terminal_events",
            "error",
            "kit "
            + _kit_text(kit_u, kit[at])
            + " "
            + pd.Series(names[etype[at]])
            + " but it already has a "
            + pd.Series(names[etype[ref]])
            + " event on row "
            + pd.Series(rows[ref]).astype(str)
            + " (each kit ends once)",
            kit_u[kit[at]],
        )
        reject[at] = True


def _kit_text(kit_u: np.ndarray, codes: np.ndarray) -> pd.Series:
    return pd.Series(_quoted(kit_u[codes]), dtype=object)


def _day_text(days: np.ndarray) -> pd.Series:
    return pd.Series(days.astype("datetime64[D]").astype(str), dtype=object)


assert set(TERMINAL_EVENTS) == set(EVENT_TYPES[1:])  # etype >= 1 means terminal
