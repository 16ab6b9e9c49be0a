"""Load and validate take-home naloxone kit event logs.

:func:`read_kit_log` reads a service's kit log (CSV, ``.xlsx`` or ``.xls``, one row
per kit event) into the tidy event table of :data:`~overdose_trends.schema.EVENT_COLUMNS`
and checks it. It never guesses silently and never drops data silently:

* **Columns** are matched by name after normalisation (case, surrounding
  spaces, a byte-order mark, and spaces or hyphens inside the name, so
  ``"Event Date"`` is ``event_date``). Other names are matched only through an
  explicit ``mapping`` such as ``{"Date": "event_date", "Kit no": "kit_id"}``
  (map a column to ``None`` to ignore it). Columns that are neither are listed
  in the report as unused.
* **Personal identifiers** (columns called name, client, patient, date of
  birth, NHS/CHI number, address, postcode, phone, contact, e-mail, next of
  kin, key worker, initials, notes, remarks, comments or free text; camelCase
  and dotted forms such as ``ClientName`` and ``D.O.B.`` included) are
  dropped on load; the report names the columns and counts their non-empty
  cells but never holds their values. Cells of the kept columns that look
  like an NHS/CHI number (also with a prefix, suffix or dots), an e-mail
  address, a UK phone number or a full UK postcode are blanked and reported
  without their value; in ``service``, ``kit_id`` and ``event_id`` so are full dates and
  words about a person (``mother of ...``).
* **Privacy by construction**: a rejected or flagged value of a category,
  date, number or area field is shown in a message (and the issue's
  ``value``) only when it has the field's own shape (``'confiscated'``,
  ``'31/02/2016'``, ``'-2'``); anything else is withheld, and the message
  says what was wrong and where (row and column). Headers are shown only
  when they read as column names, never when they hold a name, a date or a
  number.
* **Values** of the categorical fields are matched to the vocabulary of
  :mod:`overdose_trends.schema`; common spellings (``"Supply"`` ->
  ``issued``, ``"Prenoxad"`` -> ``injectable``, ``"Nyxoid"`` -> ``nasal``, ...)
  are mapped by :data:`~overdose_trends.schema.VALUE_SYNONYMS` and each
  mapping is counted in the report.
* **Every row** of the input is either loaded or rejected: the report's
  ``n_loaded + n_rejected == n_input`` always holds, and every rejected or
  flagged row has an issue naming its spreadsheet row (header = row 1). In a
  CSV file that is the record number, as a spreadsheet shows the row after
  opening the file: a quoted cell holding line breaks (a multi-line notes
  cell) is one row, not several, and the report notes when the file has such
  cells (its line numbers in a text editor are then larger).

Validation rules
----------------
======================== ======== ================================================================
rule                     severity meaning
======================== ======== ================================================================
duplicate_row            error    exact copy of an earlier row (the first copy is kept); a
                                  warning, the row kept, when the log has no event_id or kit_id
                                  column (two kits issued on one day look alike)
blank_required           error    event_date, event_type, service or area_code is blank
invalid_date             error    date not in a recognised format, impossible (month 13, 30 Feb)
                                  or with an ambiguous two-digit year
implausible_date         error    event before 1998, when the first UK schemes began (a date of
                                  birth in the wrong column?); the date is not shown
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
default_doses            warning  doses blank (or NaN, or a formula without a saved value):
                                  set from the product
duplicate_event_id       error    an event_id given to an earlier row
duplicate_issue          error    a kit issued a second time (the earliest issue is kept)
return_before_issue      error    a return, loss or expiry dated before the kit's issue
multiple_terminal_events error    a second return/loss/expiry for one kit (the earliest is kept)
orphan_return            warning  a return, loss or expiry for a kit not issued in the log
                                  (issued before the log starts?)
personal_data            warning  a cell looked like personal data and was blanked (in service
                                  and kit_id also a full date or words about a person, such as
                                  "mother of ..."); its value is never shown
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
``set(overdose_trends.io.datasets.la_deaths().area_code)`` to check membership.

Organisation
------------
This module holds :func:`read_kit_log` and the rules on event fields. Reading the
file is ``overdose_trends.io._kit_table``; personal identifiers are
``overdose_trends.io._identifiers``; the checks shared with
:func:`~overdose_trends.io.kit_counts.read_kit_counts` are
``overdose_trends.io._kit_cells``, ``overdose_trends.io._kit_dates`` and
``overdose_trends.io._kit_validation``; the kit rules are
``overdose_trends.io._kit_rules``; the report is
``overdose_trends.io._kit_report``.

References
----------
Human Medicines (Amendment) (No. 3) Regulations 2015, SI 2015/1503 (supply of
naloxone by drug treatment services without a prescription from 1 October
2015). Public Health Scotland, *National Naloxone Programme Scotland*
monitoring reports (recipient and supply categories). Public Health Wales,
*Harm Reduction Database Wales: Take Home Naloxone* (re-supply reasons).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.errors import DataFormatError
from overdose_trends.io._kit_cells import (
    RowChecker,
    known_area_set,
    map_vocab,
    parse_area,
    quoted,
    shown_values,
)
from overdose_trends.io._kit_dates import (
    BEFORE_ENGLAND_SUPPLY,
    EARLIEST_EVENT,
    ENGLAND_START,
    as_day,
    parse_dates,
)
from overdose_trends.io._kit_report import ISSUE_COLUMNS, ValidationReport
from overdose_trends.io._kit_rules import check_kits, kit_codes
from overdose_trends.io._kit_table import (
    Column,
    Table,
    TableSource,
    norm_header,
    plan_columns,
    read_table,
    shown_headers,
)
from overdose_trends.io._kit_validation import TableCheck
from overdose_trends.schema import (
    DEFAULT_DOSES,
    EVENT_COLUMNS,
    EVENT_TYPES,
    ISSUE_FIELDS,
    MAX_DOSES_PER_KIT,
    MEASURES,
    OPTIONAL_EVENT_FIELDS,
    PRODUCTS,
    RECIPIENT_TYPES,
    REQUIRED_EVENT_FIELDS,
    SUPPLY_TYPES,
)

__all__ = ["ISSUE_COLUMNS", "KitLog", "ValidationReport", "read_kit_log"]

_EVENT_FIELDS = ("event_id", *REQUIRED_EVENT_FIELDS, *OPTIONAL_EVENT_FIELDS[1:])
#: Free-text fields: besides personal data, dates and words about a person are blanked.
_FREE_TEXT = frozenset({"event_id", "kit_id", "service"})
_VOCABULARIES = {
    "event_type": EVENT_TYPES,
    "recipient_type": RECIPIENT_TYPES,
    "supply_type": SUPPLY_TYPES,
    "product": PRODUCTS,
}


@dataclass
class KitLog:
    """A loaded kit log: the tidy events and the validation report.

    Attributes
    ----------
    events : pandas.DataFrame
        Loaded rows, columns :data:`~overdose_trends.schema.EVENT_COLUMNS`.
    report : ValidationReport
        What was rejected, flagged, mapped and dropped: ``print(log.report)``
        for the text, ``log.report.summary()`` for the issues per rule and
        column, ``log.report.plot()`` for its figure.
    """

    events: pd.DataFrame
    report: ValidationReport

    def __repr__(self) -> str:
        return f"KitLog({len(self.events):,} events)\n{self.report._text(max_issues=5)}"


def _counts_like(headers: Sequence[str]) -> bool:
    """Do the headers look like a table of counts rather than an event log?"""
    keys = {norm_header(h) for h in headers}
    return bool(keys & {"measure", "value", "period", "period_start", *MEASURES})


def read_kit_log(
    source: TableSource,
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
        :data:`~overdose_trends.schema.EVENT_COLUMNS` (``event_date``
        datetime64[ns] at midnight; ``doses`` Int64, filled from
        :data:`~overdose_trends.schema.DEFAULT_DOSES` when blank;
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
    overdose_trends.io.kit_counts.read_kit_counts : published monthly/quarterly counts.

    References
    ----------
    Human Medicines (Amendment) (No. 3) Regulations 2015, SI 2015/1503.
    Public Health Scotland, National Naloxone Programme Scotland monitoring
    reports; Public Health Wales, Harm Reduction Database Wales: Take Home
    Naloxone (categories of recipient, supply and re-supply).


    Examples
    --------
    The shipped SYNTHETIC log (two services shaped like Southend-on-Sea and
    Norfolk; not real figures) loads without a rejected row:

    >>> path = ot.datasets.data_dir() / "synthetic_naloxone_kits_southend_norfolk.csv"
    >>> log = ot.read_kit_log(path, as_of="2020-01-01")
    >>> log.report.n_input, log.report.n_loaded, log.report.n_rejected
    (5961, 5961, 0)
    >>> log.events["event_type"].value_counts().to_dict()
    {'issued': 4944, 'returned_used': 465, 'lost': 349, 'returned_unused': 127, 'expired': 76}

    Columns named differently are mapped; common spellings are translated and
    counted; a row that breaks a rule is rejected and reported with its row:

    >>> raw = pd.DataFrame(
    ...     {
    ...         "Date": ["14/03/2016", "31/02/2016", "15/03/2016"],
    ...         "Type": ["Supply", "issued", "Used"],
    ...         "service": ["Drug service A"] * 3,
    ...         "area_code": ["E06000033"] * 3,
    ...         "kit_id": ["K1", "K2", "K1"],
    ...     }
    ... )
    >>> log = ot.read_kit_log(raw, {"Date": "event_date", "Type": "event_type"}, as_of="2020-01-01")
    >>> log.events[["event_date", "event_type", "kit_id", "source_row"]]
      event_date     event_type kit_id  source_row
    0 2016-03-14         issued     K1           2
    1 2016-03-15  returned_used     K1           4
    >>> issue = log.report.issues.iloc[0]
    >>> int(issue["row"]), issue["rule"], issue["severity"]
    (3, 'invalid_date', 'error')
    >>> issue["message"]
    "row 3: event_date '31/02/2016' is not a valid date"
    """
    if value_mapping:
        for f in value_mapping:
            if f not in _VOCABULARIES:
                raise ValueError(f"value_mapping has field {f!r}; allowed: {sorted(_VOCABULARIES)}")

    def planner(headers: list[str], name: str, sheet_name: str | None):
        plan = plan_columns(headers, mapping, _EVENT_FIELDS, name, sheet_name)
        have = {f for kind, f in plan if kind == "field"}
        missing = [f for f in REQUIRED_EVENT_FIELDS if f not in have]
        if missing:
            hint = (
                " This looks like a table of counts: use overdose_trends.read_kit_counts."
                if _counts_like(headers)
                else " Pass mapping={'<column>': '<field>'} for columns named differently."
            )
            raise DataFormatError(
                f"required column(s) {missing} not found; the columns are "
                f"{shown_headers(headers)}.{hint}",
                file=name,
                sheet=sheet_name,
            )
        return plan

    table = read_table(
        source,
        planner=planner,
        sheet=sheet,
        header_row=header_row,
        encoding=encoding,
    )
    return _validate_log(
        table,
        as_of=as_day(as_of),
        dayfirst=dayfirst,
        date_format=date_format,
        known_areas=known_area_set(known_areas),
        value_mapping=value_mapping or {},
        programme_start=programme_start,
    )


def _validate_log(
    table: Table,
    *,
    as_of: np.datetime64,
    dayfirst: bool,
    date_format: str | None,
    known_areas: frozenset[str] | None,
    value_mapping: Mapping[str, Mapping[str, str]],
    programme_start: Any,
) -> KitLog:
    """Apply the rules of the module docstring to a read table (arguments of read_kit_log)."""
    has_id = any(kind == "field" and f in ("event_id", "kit_id") for kind, f in table.plan)
    check = TableCheck(
        table,
        "not a field of the kit log; left out",
        free_text=_FREE_TEXT,
        duplicates_are_errors=has_id,
    )
    checker, notes, mapped = check.checker, check.notes, check.mapped
    fields, rows, reject = check.fields, check.rows, check.reject
    n = len(rows)

    # --- required text fields -----------------------------------------------------------
    service_col = fields["service"]
    service_u = service_col.stripped.to_numpy(dtype=object)
    checker.flag(
        service_col,
        service_u == "",
        rule="blank_required",
        severity="error",
        message="service is blank",
    )
    area_u = parse_area(checker, fields["area_code"], known_areas)

    # --- event type ---------------------------------------------------------------------
    etype_col = fields["event_type"]
    etype_u, blank_u, unknown_u = map_vocab(
        etype_col, "event_type", EVENT_TYPES, value_mapping.get("event_type"), mapped
    )
    checker.flag(
        etype_col,
        blank_u,
        rule="blank_required",
        severity="error",
        message="event_type is blank",
    )
    shown, ok = shown_values(etype_col.uniques, "category")
    checker.flag(
        etype_col,
        unknown_u,
        rule="unknown_event_type",
        severity="error",
        message="event_type " + shown + f" is not one of {list(EVENT_TYPES)} "
        "or a known synonym; pass value_mapping={'event_type': {...}}",
        echo=ok,
    )
    etype_code_u = np.array(
        [EVENT_TYPES.index(v) if isinstance(v, str) else -1 for v in etype_u], dtype=np.int64
    )
    etype = etype_code_u[etype_col.codes]
    issued = etype == 0

    # --- dates -----------------------------------------------------------------------
    date_col = fields["event_date"]
    dates_u, dblank_u, detail_u = parse_dates(
        date_col.uniques, dayfirst=dayfirst, date_format=date_format
    )
    checker.flag(
        date_col,
        dblank_u,
        rule="blank_required",
        severity="error",
        message="event_date is blank",
    )
    shown, ok = shown_values(date_col.uniques, "date")
    checker.flag(
        date_col,
        ~dblank_u & np.isnat(dates_u),
        rule="invalid_date",
        severity="error",
        message="event_date " + detail_u.astype(object),
        echo=ok,
    )
    early_u = ~np.isnat(dates_u) & (dates_u < EARLIEST_EVENT)
    checker.flag(
        date_col,
        early_u,
        rule="implausible_date",
        severity="error",
        message=f"event_date is before {EARLIEST_EVENT}, before any take-home naloxone "
        "programme in the UK (a date of birth in the wrong column?); date not shown",
    )
    checker.flag(
        date_col,
        ~np.isnat(dates_u) & (dates_u > as_of),
        rule="future_date",
        severity="error",
        message="event_date " + shown + f" is after as_of ({as_of})",
        echo=ok,
    )
    # rejected as implausible: kept out of later checks and their messages
    dates = np.where(early_u, np.datetime64("NaT"), dates_u)[date_col.codes]
    _check_supply_start(
        checker,
        date_col,
        dates,
        programme_start,
        services=(service_u, service_col.codes),
        areas=(area_u, fields["area_code"].codes),
    )

    # --- optional categorical fields ----------------------------------------------------
    # per field: its labels (the vocabulary and "unknown") and per row a code (-1: missing)
    out_cat: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    # per column: the output text of each distinct cell (None: missing or not known per cell)
    text_u: dict[str, np.ndarray] = {}
    fills: list[tuple[str, np.ndarray]] = []
    for f in ("recipient_type", "supply_type", "product"):
        col = fields.get(f)
        labels = np.array(list(dict.fromkeys([*_VOCABULARIES[f], "unknown"])), dtype=object)
        unknown_code = list(labels).index("unknown")
        if col is None:
            absent = np.full(n, unknown_code, dtype=np.int64)
            if f in ISSUE_FIELDS:
                absent[~issued] = -1
            out_cat[f] = (labels, absent)
            where = "issue rows" if f in ISSUE_FIELDS else "all rows"
            notes.append(f"No {f} column: {f} is 'unknown' on {where}.")
            continue
        values_u, blank_u, unknown_u = map_vocab(
            col, f, _VOCABULARIES[f], value_mapping.get(f), mapped
        )
        shown, ok = shown_values(col.uniques, "category")
        checker.flag(
            col,
            unknown_u,
            rule="unknown_category",
            severity="warning",
            message=f"{f} " + shown + f" is not one of {list(_VOCABULARIES[f])} "
            f"or a known synonym; kept as 'unknown' (pass value_mapping={{{f!r}: {{...}}}})",
            echo=ok,
        )
        code_u = pd.Index(labels).get_indexer(pd.Index(values_u, dtype=object))
        code_u[unknown_u] = unknown_code
        text_u[f] = _missing_where(blank_u, labels[code_u])
        blank = blank_u[col.codes]
        fill = blank & issued if f in ISSUE_FIELDS else blank
        codes = np.where(fill, unknown_code, code_u[col.codes])
        where = "issue rows" if f in ISSUE_FIELDS else "rows"
        fills.append((f"{f} blank on {{n:,}} loaded {where}: set to 'unknown'.", fill))
        out_cat[f] = (labels, codes)

    # --- doses -----------------------------------------------------------------------------
    doses, doses_ok = _parse_doses(checker, fields.get("doses"))
    product_labels, product = out_cat["product"]
    default = np.zeros(n, dtype=np.int64)
    has_default = np.zeros(n, dtype=bool)
    for p, d in DEFAULT_DOSES.items():
        is_p = product == list(product_labels).index(p)
        default[is_p] = d
        has_default |= is_p
    dose_col = fields.get("doses")
    blank_doses = ~doses_ok & has_default
    if dose_col is not None:
        blank_doses &= dose_col.blank_rows()
        # flagged on the row: a blank cell may be a NaN or an uncached formula, not a gap
        at = np.flatnonzero(blank_doses & ~reject)
        checker.report(
            at,
            column=dose_col.header,
            rule="default_doses",
            severity="warning",
            message="doses blank (empty, NaN or a formula without a saved value): set to "
            + pd.Series(default[at]).astype(str)
            + " from the product",
        )
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
    event_u, event_code = _event_ids(checker, fields.get("event_id"))
    kit_col = fields.get("kit_id")
    if kit_col is None:
        kit_code = np.full(n, -1, dtype=np.int64)
        kit_u, kit_arrow = np.empty(0, dtype=object), None
        notes.append(
            "No kit_id column: events cannot be linked to kits, so duplicate issues, returns "
            "before issue, orphan returns and repeated returns were not checked."
        )
    else:
        kit_code, kit_u = kit_codes(kit_col)
        kit_arrow = kit_col.stripped_arrow()  # the same texts as kit_u when not None

    terminal = (etype >= 1) & ~reject
    check_kits(checker, kit_col, kit_code, kit_u, etype, dates)
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
    has_kit = kit_code[ok] >= 0
    types = np.asarray(EVENT_TYPES, dtype=object)
    text_u["event_type"] = _missing_where(etype_code_u < 0, types[np.maximum(etype_code_u, 0)])
    text_u["service"], text_u["area_code"] = service_u, area_u
    if kit_col is not None and len(kit_u) == len(kit_col.uniques):  # not recoded by stripping
        text_u["kit_id"] = _missing_where(kit_u == "", kit_u)

    def column(f: str, build: Any) -> Any:
        """The output column of field ``f``: its cells as read when unchanged, else built."""
        same = _cells_if_unchanged(fields.get(f), text_u.get(f), ok)
        return build() if same is None else same

    events = pd.DataFrame(
        {
            "event_id": _as_str(event_u, event_code[ok]),
            "event_date": dates[ok].astype("datetime64[ns]"),
            "event_type": column(
                "event_type", lambda: _as_str(np.asarray(EVENT_TYPES, dtype=object), etype[ok])
            ),
            "kit_id": column(
                "kit_id", lambda: _as_str(kit_u, np.where(has_kit, kit_code[ok], -1), kit_arrow)
            ),
            "service": column("service", lambda: _as_str(service_u, service_col.codes[ok])),
            "area_code": column(
                "area_code", lambda: _as_str(area_u, fields["area_code"].codes[ok])
            ),
            "recipient_type": column(
                "recipient_type",
                lambda: _as_str(out_cat["recipient_type"][0], out_cat["recipient_type"][1][ok]),
            ),
            "supply_type": column(
                "supply_type",
                lambda: _as_str(out_cat["supply_type"][0], out_cat["supply_type"][1][ok]),
            ),
            "product": column("product", lambda: _as_str(product_labels, product[ok])),
            "doses": pd.arrays.IntegerArray(doses[ok].astype(np.int64), ~doses_ok[ok]),
            "source_row": rows[ok],
        },
        copy=False,
    )
    assert tuple(events.columns) == EVENT_COLUMNS

    report = check.report(n_loaded=len(events), kind="kit log")
    return KitLog(events=events, report=report)


def _missing_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` as an object array with None where ``mask`` is true."""
    out = np.array(values, dtype=object)
    out[mask] = None
    return out


def _cells_if_unchanged(col: Column | None, text_u: np.ndarray | None, ok: np.ndarray) -> Any:
    """The column's cells as read (rows ``ok``) as pandas ``str``, if they are its output.

    They are when the output text of every distinct cell (``text_u``, parallel to
    ``col.uniques``; None where the output is missing or depends on the row) is
    the cell as written, and the cells are at hand as Arrow texts (a plain CSV
    file). Returns None otherwise. Saves building a million texts again.
    """
    if col is None or col.cells is None or text_u is None or len(text_u) != len(col.uniques):
        return None
    if not (text_u == col.uniques).all():  # None (missing) never equals a text
        return None
    import pyarrow as pa  # type: ignore[import-untyped]

    dtype = pd.StringDtype(na_value=np.nan)  # pandas' "str"
    if dtype.storage != "pyarrow":
        return None
    cells = col.cells if ok.all() else col.cells.filter(pa.array(ok))
    return pd.array(cells, dtype=dtype)


def _as_str(values: np.ndarray, codes: np.ndarray | None = None, arrow: Any = None) -> Any:
    """A pandas ``str`` array of ``values[codes]`` (missing where a code is -1 or a value None).

    Built by one ``take`` on the distinct texts, much faster than converting a
    million Python strings; with pyarrow (the storage of pandas' ``str``) the take
    runs in Arrow directly, several times faster again than pandas' ``take``.
    Without ``codes``, ``values`` are factorised first. ``arrow``: ``values`` as an
    Arrow text array, if at hand (saves converting them).
    """
    if codes is None:
        codes, values = pd.factorize(np.asarray(values, dtype=object))
        arrow = None
    values = np.asarray(values, dtype=object)
    dtype = pd.StringDtype(na_value=np.nan)  # pandas' "str"
    if dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc  # type: ignore[import-untyped]

        pool = pa.system_memory_pool()  # malloc: Arrow's default pool keeps freed memory
        if arrow is not None and len(arrow) == len(values):
            distinct = arrow
        else:
            distinct = pa.array(values, type=pa.large_string(), from_pandas=True, memory_pool=pool)
        missing = codes < 0
        at = pa.array(codes, mask=missing) if missing.any() else pa.array(codes)
        return pd.array(pc.take(distinct, at, memory_pool=pool), dtype=dtype)
    texts = np.empty(len(values) + 1, dtype=object)  # the last one stands for missing
    texts[:-1] = values
    distinct_texts: Any = pd.array(texts, dtype="str")
    return distinct_texts.take(np.where(codes < 0, len(values), codes))


def _check_supply_start(
    checker: RowChecker,
    date_col: Column,
    dates: np.ndarray,
    programme_start: Any,
    *,
    services: tuple[np.ndarray, np.ndarray],
    areas: tuple[np.ndarray, np.ndarray],
) -> None:
    """Warn about events before supply could start (England) or before ``programme_start``.

    ``services`` and ``areas`` are each (distinct values, code per row).
    """
    english_u = np.array([str(a).startswith("E") for a in areas[0]], dtype=bool)
    start = np.where(english_u[areas[1]], ENGLAND_START, np.datetime64("NaT", "D"))
    # per row: does the row's service have its own programme_start?
    own = np.zeros(len(dates), dtype=bool)
    if isinstance(programme_start, Mapping):
        own_u = np.array([v in programme_start for v in services[0]], dtype=bool)
        day_u = np.array(
            [
                as_day(programme_start[v]) if mine else np.datetime64("NaT")
                for v, mine in zip(services[0], own_u, strict=True)
            ],
            dtype="datetime64[D]",
        )
        own = own_u[services[1]]
        day = day_u[services[1]]
        start = np.where(np.isnat(day), start, day)
    elif programme_start is not None:
        own[:] = True
        start = np.full(len(dates), as_day(programme_start))
    early = np.flatnonzero(~np.isnat(dates) & ~np.isnat(start) & (dates < start))
    if len(early):
        day_text = dates[early].astype(str).astype(object)
        why = np.where(
            own[early],
            "before programme_start (" + start[early].astype(str).astype(object) + ")",
            BEFORE_ENGLAND_SUPPLY,
        )
        checker.report(
            early,
            column=date_col.header,
            rule="before_supply_start",
            severity="warning",
            message="event_date " + pd.Series(day_text) + " is " + pd.Series(why, dtype=object),
            value=day_text,
        )


def _parse_doses(checker: RowChecker, col: Column | None) -> tuple[np.ndarray, np.ndarray]:
    """Doses per row (int64) and a mask of rows with a usable value."""
    n = len(checker.rows)
    if col is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    text = col.stripped
    whole = text.str.fullmatch(r"\d+(?:\.0+)?").to_numpy(dtype=bool)
    negative = text.str.fullmatch(r"-\d+(?:\.\d+)?").to_numpy(dtype=bool)
    blank = col.blank
    values = np.zeros(len(text), dtype=np.int64)
    # more than 6 digits is no dose (and 1e20 or 1e308 would not fit an int64): implausible
    small = whole & (text.str.len() <= 8).to_numpy(dtype=bool)
    values[small] = text[small].astype(float).astype(np.int64)
    implausible = whole & (~small | (values < 1) | (values > MAX_DOSES_PER_KIT))
    shown, ok = shown_values(col.uniques, "number")
    checker.flag(
        col,
        negative,
        rule="invalid_doses",
        severity="error",
        message="doses " + shown + " is negative",
        echo=ok,
    )
    checker.flag(
        col,
        ~blank & ~whole & ~negative,
        rule="invalid_doses",
        severity="error",
        message="doses " + shown + " is not a whole number",
        echo=ok,
    )
    checker.flag(
        col,
        implausible,
        rule="implausible_doses",
        severity="warning",
        message="doses " + shown + f" is outside 1-{MAX_DOSES_PER_KIT} (a code for unknown?); "
        "kept as missing",
        echo=ok,
    )
    usable = whole & ~implausible
    return values[col.codes], usable[col.codes]


def _event_ids(checker: RowChecker, col: Column | None) -> tuple[np.ndarray, np.ndarray]:
    """Event ids as given and a code per row (-1 where blank or no column).

    Later duplicates are rejected.
    """
    if col is None:
        return np.empty(0, dtype=object), np.full(len(checker.rows), -1, dtype=np.intp)
    text = col.stripped.to_numpy(dtype=object)
    blank_u = col.blank
    ids_u = text.copy()
    ids_u[blank_u] = None
    counts = np.bincount(col.codes, minlength=len(text))
    if (counts[~blank_u] > 1).any():
        dup = pd.Index(col.codes).duplicated(keep="first") & ~blank_u[col.codes]
        at = np.flatnonzero(dup)
        checker.report(
            at,
            column=col.header,
            rule="duplicate_event_id",
            severity="error",
            message="event_id "
            + quoted(col.uniques)[col.codes[at]]
            + " was given to an earlier row",
            value=text[col.codes[at]],
        )
    return ids_u, col.codes
