"""Read record-level death registrations (one row per death) into DuckDB, checked.

:func:`read_death_records` opens a CSV or Parquet file (or a glob of them), a
DuckDB table or a pandas DataFrame **without loading it into memory**: the
file stays where it is and DuckDB scans it, so ten or twenty million
registrations fit on one machine. Every row is checked (see
``overdose_trends.io.records._validate`` for the rules) and either loaded
or reported with its row number and reason in the returned
:class:`DeathRecords`' ``report`` (the same validation report as the kit log:
``n_loaded + n_rejected == n_input``).

Canonical layout
----------------
Input columns are matched by name after normalisation (case, spaces, hyphens,
dots: ``"Registration Date"`` is ``registration_date``), or through
``mapping={"header in the file": "canonical name"}`` (``None`` to ignore a
column). Required: ``registration_date``, ``sex``, ``area_code`` (GSS code of
usual residence), ``underlying_cause`` (ICD-10, with or without the dot, 3 or
4 characters, any case) and ``age`` (whole years) or ``age_band`` (a 2013 ESP
band label ``"0-4"`` ... ``"90+"``). Optional: ``occurrence_date``,
``lsoa_code``, ``record_id`` (the extract's own record number, kept as text),
contributory causes as ``cause_1`` ... ``cause_15`` or one
delimited ``contributory_causes`` column (codes separated by commas,
semicolons, bars or spaces), and ``substances`` (free-text substance
mentions, e.g. ``"heroin, cocaine"``).

The loaded rows (``DeathRecords.to_pandas()``) have: ``source_row`` (int,
the row in the input: header = row 1 for CSV files and DataFrames; the
1-based record number for Parquet and DuckDB tables), ``record_id`` (if
given), ``registration_date``, ``occurrence_date`` (dates; occurrence missing when blank),
``registration_year``, ``occurrence_year`` (int), ``age`` (int, whole years;
missing when only a band was given), ``age_band`` (2013 ESP band),
``sex`` (``"males"``/``"females"``), ``area_code``, ``lsoa_code`` (if given),
``underlying_cause`` and ``cause_1`` ... ``cause_15`` (ICD-10 in normal form:
upper case, no dot, e.g. ``"X421"``) and ``substances`` (as written, if given;
blank where it held what looks like personal data, see below).

Personal identifiers are never loaded: columns whose header names a person's
name, date of birth, NHS number, address, postcode, telephone, e-mail or free
notes (``overdose_trends.io._identifiers.is_identifier_header``) are not
read from the file; the report counts them. A ``substances`` text that looks
like it holds personal data (an NHS number in any spacing, a phone number, a
postcode, an e-mail address, a full date, words about a person) is blanked
before the rows are handed on, with a ``personal_data`` warning for its row
(value not shown). Rejected values are echoed in issues only when they have
their field's shape (a code, a sex code, a GSS-like code), and headers only
when they read as column names: otherwise ``"(column C, header not shown)"``.

Choice of defaults
------------------
``known_areas="ons"``: area codes must be GSS-shaped and among the codes of
the shipped ONS local-authority data (``ot.datasets.la_deaths()``:
England and Wales, 2020 boundaries); pass your own list (for other
boundaries) or ``None`` to check the shape only.

References
----------
ONS, *User guide to mortality statistics* (death registration fields: date of
registration, date of death, usual residence, underlying and contributory
causes coded in ICD-10). Information Commissioner's Office, *Guide to the UK
GDPR: What is personal data?*
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.errors import DataFormatError
from overdose_trends.io._identifiers import is_identifier_header, personal_data_kinds
from overdose_trends.io._kit_report import Issues, ValidationReport
from overdose_trends.io._kit_table import norm_header, safe_header
from overdose_trends.io._workbook import column_letter
from overdose_trends.io.records._areas import ons_areas
from overdose_trends.io.records._engine import DuckDBEngine, Engine
from overdose_trends.io.records._sql import CAUSE_COLUMNS, with_query
from overdose_trends.io.records._validate import (
    checked_view_sql,
    clean_view_sql,
    collect_issues,
    parsed_view_sql,
)

__all__ = ["FIELDS", "REQUIRED_FIELDS", "DeathRecords", "read_death_records"]

#: Fields a death-record file must have (``age`` may be given as ``age_band``).
REQUIRED_FIELDS = ("registration_date", "sex", "area_code", "underlying_cause")
#: Every field read from a death-record file.
FIELDS = (
    "record_id",
    *REQUIRED_FIELDS,
    "occurrence_date",
    "age",
    "age_band",
    "lsoa_code",
    "contributory_causes",
    *CAUSE_COLUMNS,
    "substances",
)


@dataclass
class DeathRecords:
    """Death records held by an engine (not in memory), with their validation report.

    Attributes
    ----------
    engine : Engine
        The engine holding the records (DuckDB from :func:`read_death_records`).
    ctes : list of (str, str)
        Named SQL steps that the final query builds on.
    final : str
        The ``SELECT`` giving the rows (on ``ctes``).
    columns : tuple of str
        Columns of the rows.
    report : ValidationReport or None
        What was loaded, rejected and dropped (``print(records.report)``).
    classified : bool
        True when the rows carry the flags of
        :func:`~overdose_trends.io.records.classify.classify_deaths`.
    """

    engine: Engine
    ctes: list[tuple[str, str]]
    final: str
    columns: tuple[str, ...]
    report: ValidationReport | None = None
    classified: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def sql(self) -> str:
        """The whole query giving the rows."""
        return with_query(self.ctes, self.final)

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (in memory: for small files or extracts)."""
        return self.engine.query(self.sql + " ORDER BY source_row")

    def __len__(self) -> int:
        counted = self.engine.query(f"SELECT COUNT(*) AS n FROM ({self.sql}) AS _rows")
        return int(counted["n"].iloc[0])

    def __repr__(self) -> str:
        state = "classified" if self.classified else "not classified"
        head = f"DeathRecords({self.engine.name}, {state})"
        return head if self.report is None else f"{head}\n{self.report._text(max_issues=5)}"


def read_death_records(
    source: str | os.PathLike[str] | pd.DataFrame,
    mapping: Mapping[str, str | None] | None = None,
    *,
    known_areas: Iterable[str] | str | None = "ons",
    as_of: date | str | None = None,
    con: Any = None,
) -> DeathRecords:
    """Read and check record-level death registrations (CSV, Parquet, DuckDB table, DataFrame).

    Parameters
    ----------
    source : path, glob, DataFrame or str
        A ``.csv`` (optionally ``.gz``) or ``.parquet`` file or glob of them,
        a pandas DataFrame, or the name of a table in ``con``.
    mapping : dict, optional
        Header in the file -> canonical field (see the module notes), or
        ``None`` to ignore the column.
    known_areas : iterable of str, "ons" or None, default "ons"
        Area codes accepted: ``"ons"`` the local authorities and larger areas
        of the shipped ONS data; a list of your own; ``None`` for the GSS shape
        only (E, W, K, S or N and 8 digits).
    as_of : date or str, optional
        Latest date allowed (default today).
    con : duckdb.DuckDBPyConnection, optional
        Connection to use (needed when ``source`` names one of its tables).

    Returns
    -------
    DeathRecords
        The checked rows, held by DuckDB (``.to_pandas()`` for a DataFrame),
        and ``.report`` (:class:`~overdose_trends.io._kit_report.ValidationReport`):
        every rejected row with its number, column and reason.

    Raises
    ------
    DataFormatError
        If the file is not a death-record table (naming file, row 1 and the
        missing columns), or cannot be read.

    Examples
    --------
    >>> raw = pd.DataFrame({
    ...     "Registration date": ["2021-05-04", "2021-06-01", "2021-07-09"],
    ...     "Date of death": ["2021-01-02", "2021-07-01", "2020-12-30"],
    ...     "age": [34, 51, 47], "sex": ["M", "F", "M"],
    ...     "area_code": ["E06000033", "E06000033", "E0600003"],
    ...     "underlying_cause": ["X42.0", "X44", "F11.2"],
    ...     "NHS number": ["943 476 5919", "", ""],
    ... })
    >>> recs = ot.read_death_records(raw, {"Date of death": "occurrence_date"})
    >>> recs.report.summary()
      severity                           rule      column  issues  rows
    0    error              invalid_area_code   area_code       1     1
    1    error  occurrence_after_registration  Date of death       1     1
    2  warning            identifier_column  NHS number       1     0
    >>> recs.to_pandas()[["source_row", "age_band", "sex", "underlying_cause"]]
       source_row age_band    sex underlying_cause
    0           2    30-34  males             X420
    """
    engine = DuckDBEngine(con)
    file, raw_sql, headers = _open(engine, source)
    issues = Issues(file, None)
    plan, dropped, unknown = _plan(engine, source, raw_sql, headers, mapping, issues)
    fields = list(plan.values())
    if isinstance(source, pd.DataFrame):  # only the fields are handed to DuckDB
        frame = source.loc[:, [h for h in source.columns if str(h) in plan]].copy()
        frame.columns = [str(c) for c in frame.columns]
        frame["_row"] = range(2, len(frame) + 2)
        engine.register("_rec_input", frame)
        raw_sql = "SELECT * FROM _rec_input"
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if "age" not in fields and "age_band" not in fields:
        missing.append("age")
    if missing:
        found = "no death-record columns" if len(missing) >= 4 else "missing columns"
        raise DataFormatError(
            f"not a death-record table ({found}: {', '.join(missing)}); map other headers "
            "with mapping={'header': 'field'}",
            file=file,
            row=1,
            column=", ".join(missing),
        )
    split = "contributory_causes" in fields
    if split and any(c in fields for c in CAUSE_COLUMNS):
        raise DataFormatError(
            "give contributory causes either as cause_1 ... cause_15 or as one "
            "contributory_causes column, not both",
            file=file,
            row=1,
            column="contributory_causes",
        )
    renamed = ", ".join(f'"{h}" AS {f}' for h, f in plan.items())
    engine.con.execute(
        f"CREATE OR REPLACE TEMP VIEW _rec_raw AS SELECT _row, {renamed} FROM ({raw_sql})"
    )
    known = _known_areas(known_areas)
    if known is not None:
        engine.register("_rec_known_areas", pd.DataFrame({"code": sorted(known)}))
    day = pd.Timestamp(as_of if as_of is not None else date.today()).date()
    types = _types(engine, "_rec_raw")
    parsed = parsed_view_sql("_rec_raw", fields, types, split_causes=split)
    engine.con.execute(f"CREATE OR REPLACE TEMP VIEW _rec_parsed AS {parsed}")
    if "substances" in fields:
        _scrub_free_text(engine, "substances", _header_of(plan, "substances"), issues)
    checked = checked_view_sql(
        "_rec_parsed", fields, split_causes=split, known_areas=known, as_of=day
    )
    engine.con.execute(f"CREATE OR REPLACE TEMP VIEW _rec_checked AS {checked}")
    checks = [c[5:] for c in _columns(engine, "_rec_checked") if c.startswith("_chk_")]
    try:
        bad = engine.query("SELECT * FROM _rec_checked WHERE _rejected OR _warned")
        n_input = int(engine.query("SELECT COUNT(*) AS n FROM _rec_raw")["n"].iloc[0])
    except Exception as exc:  # duckdb.Error subclasses; duckdb is not imported at module level
        raise DataFormatError(f"cannot read the records: {exc}", file=file) from exc
    inverse = {f: h for h, f in plan.items()}
    collect_issues(bad, checks, inverse, issues)
    rejected = bad.loc[bad["_rejected"].astype(bool), ["_row"]].astype("int64")
    engine.register("_rec_rejected", rejected.reset_index(drop=True))
    n_rejected = len(rejected)
    clean = clean_view_sql(fields, split)
    engine.con.execute(f"CREATE OR REPLACE TEMP VIEW _rec_clean AS {clean}")
    columns = tuple(_columns(engine, "_rec_clean"))
    notes = []
    if "occurrence_date" not in fields:
        notes.append("No occurrence_date column: counts by occurrence year are not possible.")
    if "substances" not in fields:
        notes.append(
            "No substances column: drug misuse among poisonings coded X40-X44, X60-X64, X85, "
            "Y10-Y14 or F18 will be approximated from contributory T-codes."
        )
    report = ValidationReport(
        file=file,
        sheet=None,
        n_input=n_input,
        n_loaded=n_input - n_rejected,
        n_rejected=n_rejected,
        issues=issues.frame(),
        dropped_columns=dropped,
        unknown_columns=tuple(unknown),
        notes=tuple(notes),
        kind="death records",
    )
    return DeathRecords(engine, [], "SELECT * FROM _rec_clean", columns, report)


def _open(engine: DuckDBEngine, source: Any) -> tuple[str, str, list[str]]:
    """(file label, SQL of the raw rows with ``_row``, headers) for a source."""
    if isinstance(source, pd.DataFrame):
        return "<DataFrame>", "", [str(c) for c in source.columns]
    text = str(source)
    path = Path(text)
    suffixes = "".join(path.suffixes).lower()
    if ".parquet" in suffixes or suffixes.endswith(".pq"):
        sql = (
            f"SELECT *, file_row_number + 1 AS _row FROM read_parquet('{_q(text)}', "
            "file_row_number = true)"
        )
    elif ".csv" in suffixes or suffixes.endswith((".txt", ".tsv")):
        sql = (
            f"SELECT *, ROW_NUMBER() OVER () + 1 AS _row FROM read_csv('{_q(text)}', "
            "all_varchar = true, header = true)"
        )
    elif engine.con is not None and not path.suffix and _is_table(engine, text):
        sql = f"SELECT *, ROW_NUMBER() OVER () AS _row FROM {text}"
    else:
        raise DataFormatError(
            "expected a .csv or .parquet file (or glob), a DataFrame or a DuckDB table name",
            file=text,
        )
    if "*" not in text and ("." in path.suffix) and not path.exists():
        raise FileNotFoundError(text)
    try:
        headers = list(engine.con.sql(f"SELECT * FROM ({sql}) LIMIT 0").columns)
    except Exception as exc:
        raise DataFormatError(f"cannot read the file: {exc}", file=text) from exc
    headers = [h for h in headers if h not in ("_row", "file_row_number")]
    return text, sql, headers


def _columns(engine: DuckDBEngine, view: str) -> list[str]:
    return list(engine.con.sql(f"SELECT * FROM {view} LIMIT 0").columns)


def _types(engine: DuckDBEngine, view: str) -> dict[str, str]:
    """Column -> DuckDB type name of a view."""
    rel = engine.con.sql(f"SELECT * FROM {view} LIMIT 0")
    return {c: str(t) for c, t in zip(rel.columns, rel.dtypes, strict=True)}


def _is_table(engine: DuckDBEngine, name: str) -> bool:
    found = engine.con.execute(
        f"SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '{_q(name)}'"
    ).fetchone()
    return bool(found and found[0])


def _q(text: str) -> str:
    return text.replace("'", "''")


def _plan(
    engine: DuckDBEngine,
    source: Any,
    raw_sql: str,
    headers: list[str],
    mapping: Mapping[str, str | None] | None,
    issues: Issues,
) -> tuple[dict[str, str], dict[str, int], list[str]]:
    """Header -> field for the columns read; identifier columns dropped; unknown columns."""
    mapping = dict(mapping or {})
    bad = {v for v in mapping.values() if v is not None and v not in FIELDS}
    if bad:
        raise ValueError(f"mapping names unknown fields {sorted(bad)}; fields are {list(FIELDS)}")
    plan: dict[str, str] = {}
    dropped: list[str] = []
    unknown: list[str] = []
    for h in headers:
        if h in mapping:
            if mapping[h] is not None:
                plan[h] = str(mapping[h])
            continue
        norm = norm_header(h)
        if is_identifier_header(norm):
            dropped.append(h)
        elif norm in FIELDS and norm not in plan.values():
            plan[h] = norm
        else:
            unknown.append(h)
    if isinstance(source, pd.DataFrame):
        counts = {
            h: int((source[h].astype("string").str.strip().str.len() > 0).sum()) for h in dropped
        }
    else:
        counts = _non_empty(engine, raw_sql, dropped)
    # headers are printed only when they read as column names (safe_header): a header
    # holding a name, a date or a number is shown by its column letter only
    shown = {h: safe_header(h, column_letter(i)) for i, h in enumerate(headers)}
    for h in dropped:
        issues.add_column(
            shown[h], "identifier_column", "personal identifiers: dropped, not loaded"
        )
    for h in unknown:
        issues.add_column(shown[h], "unknown_column", "not a death-record field: left out")
    return plan, {shown[h]: counts.get(h, 0) for h in dropped}, [shown[h] for h in unknown]


def _header_of(plan: Mapping[str, str], field_name: str) -> str:
    """The header (as written) read as ``field_name``."""
    return next(h for h, f in plan.items() if f == field_name)


def _scrub_free_text(engine: DuckDBEngine, name: str, header: str, issues: Issues) -> None:
    """Find free-text values that look like personal data; the clean view blanks them.

    The distinct texts of the column are searched (NHS numbers, phone numbers,
    postcodes, e-mail addresses, full dates, words about a person); the ones
    found go to the table ``_rec_personal`` and each row holding one gets a
    ``personal_data`` warning, without the value.
    """
    texts = engine.query(f"SELECT DISTINCT {name} AS v FROM _rec_parsed WHERE {name} IS NOT NULL")
    values = texts["v"].astype(object)
    kinds = personal_data_kinds(values, free_text=True)
    hit = pd.notna(kinds)
    found = pd.DataFrame(
        {"v": pd.Series(values.to_numpy()[hit], dtype="string"), "kind": kinds[hit]}
    )
    engine.register("_rec_personal", found[["v"]].reset_index(drop=True))
    if not len(found):
        return
    engine.register("_rec_personal_kinds", found.reset_index(drop=True))
    rows = engine.query(
        f"SELECT p._row, k.kind FROM _rec_parsed AS p JOIN _rec_personal_kinds AS k "
        f"ON p.{name} = k.v ORDER BY p._row"
    )
    issues.add(
        rows["_row"].to_numpy(dtype=np.int64),
        header,
        "personal_data",
        "warning",
        (
            f"{name} held what looks like "
            + rows["kind"].astype(object)
            + "; the cell was blanked (value not shown)"
        ).to_numpy(dtype=object),
    )


def _non_empty(engine: DuckDBEngine, raw_sql: str, columns: list[str]) -> dict[str, int]:
    """Non-empty cells per identifier column, counted inside DuckDB (values never leave it)."""
    if not columns:
        return {}
    parts = ", ".join(
        f"COUNT(NULLIF(TRIM(CAST(\"{c}\" AS VARCHAR)), '')) AS c{i}" for i, c in enumerate(columns)
    )
    row = engine.con.execute(f"SELECT {parts} FROM ({raw_sql})").fetchone()
    return {c: int(row[i]) for i, c in enumerate(columns)} if row else {}


def _known_areas(known_areas: Iterable[str] | str | None) -> frozenset[str] | None:
    if known_areas is None:
        return None
    if isinstance(known_areas, str):
        if known_areas != "ons":
            raise ValueError(
                f"known_areas={known_areas!r}: expected 'ons', a list of codes or None"
            )
        return frozenset(ons_areas().index)
    return frozenset(str(a).strip().upper() for a in known_areas)
