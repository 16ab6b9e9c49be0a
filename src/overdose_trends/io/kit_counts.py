"""Kit counts per area, service and period: built from an event log, or read as published.

:func:`aggregate_kits` turns the tidy events of :func:`~overdose_trends.io.kit_log.read_kit_log`
into the counts table of :data:`~overdose_trends.schema.COUNT_COLUMNS`, the
form in which services and Public Health Scotland publish take-home naloxone
figures. :func:`read_kit_counts` reads such a published table (CSV or Excel, long
or wide) into the same form, keeping suppressed cells as suppressed.

Counts table
------------
area_code : str
    GSS code (``"all"`` when ``by`` does not include ``area_code``).
service : str
    Service or site; ``"all"`` for a total over services.
period_start, period_end : datetime64[ns]
    First and last day of the period (inclusive).
measure : str
    One of :data:`~overdose_trends.schema.MEASURES`: ``kits_issued``,
    ``kits_first_supply``, ``kits_repeat_supply`` (issued kits by supply
    type; kits of unknown supply type are in neither), ``kits_returned_used``,
    ``kits_returned_unused``, ``kits_lost``, ``kits_expired``.
value : Int64
    Number of kits; ``<NA>`` when suppressed or not reported (never 0).
status : str
    ``"exact"``, ``"rounded"``, ``"suppressed"`` or ``"not_reported"``.

Choice of defaults
------------------
:func:`aggregate_kits` fills periods without events with 0 **between a group's
first and last event** (so missing months are explicit), but not before a
service's first event or after its last, where a zero would claim the service
was running; pass ``start``/``end`` to fill a fixed range.
:func:`~overdose_trends.io.kit_log.read_kit_log`
does not switch to :func:`read_kit_counts` by itself: a file that looks like
counts is refused with a message pointing here, so the type of the result
never depends on the file's content.

References
----------
Public Health Scotland, *National Naloxone Programme Scotland* monitoring
reports (kits issued by financial year and quarter; first and repeat supply).
Government Analysis Function, "Symbols in tables, definitions and shorthand"
(``[c]`` confidential, ``[x]`` not available).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from overdose_trends.errors import DataFormatError
from overdose_trends.io._kit_cells import (
    RowChecker,
    known_area_set,
    map_vocab,
    norm_values,
    parse_area,
    parse_count_cells,
    shown_values,
)
from overdose_trends.io._kit_dates import (
    BEFORE_ENGLAND_SUPPLY,
    EARLIEST_EVENT,
    ENGLAND_START,
    as_day,
    day_text,
    parse_dates,
)
from overdose_trends.io._kit_periods import (
    FREQ_MONTHS,
    abs_months,
    month_bounds,
    parse_period_labels,
    starts_period,
)
from overdose_trends.io._kit_report import ValidationReport
from overdose_trends.io._kit_table import (
    Column,
    Table,
    TableSource,
    plan_columns,
    read_table,
    shown_headers,
)
from overdose_trends.io._kit_tally import count_kits
from overdose_trends.io._kit_validation import TableCheck
from overdose_trends.schema import (
    COUNT_COLUMNS,
    COUNT_FIELDS,
    COUNT_STATUSES,
    EVENT_COLUMNS,
    EVENT_MEASURES,
    EVENT_TYPES,
    FREQUENCIES,
    MEASURES,
    VALUE_SYNONYMS,
)

__all__ = ["KitCounts", "aggregate_kits", "read_kit_counts"]

#: Event columns ``aggregate_kits`` may group by.
_GROUPABLE = ("area_code", "service", "recipient_type", "supply_type", "product")


# =====================================================================================
# aggregate_kits
# =====================================================================================


def aggregate_kits(
    events: pd.DataFrame,
    freq: str = "month",
    by: Sequence[str] = ("area_code", "service"),
    *,
    total: bool = False,
    start: date | str | None = None,
    end: date | str | None = None,
) -> pd.DataFrame:
    """Count kit events per group, period and measure.

    Parameters
    ----------
    events : pandas.DataFrame
        Tidy events (``KitLog.events``): at least ``event_date``,
        ``event_type``, ``supply_type`` and the ``by`` columns.
    freq : {"month", "quarter", "year", "financial_year"}
        Period length. Quarters are calendar quarters (Jan-Mar, ...), which
        are also the UK financial quarters; ``financial_year`` runs April to
        March.
    by : sequence of str, default ("area_code", "service")
        Grouping columns, from ``area_code``, ``service``, ``recipient_type``,
        ``supply_type`` and ``product``. ``area_code`` and ``service`` are
        ``"all"`` in the output when not grouped by; other grouping columns
        are added after ``service``.
    total : bool, default False
        Also add totals over services (``service == "all"``) for each other
        group; needs ``"service"`` in ``by``.
    start, end : date or str, optional
        Widen every group's range of zero-filled periods to include these days.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~overdose_trends.schema.COUNT_COLUMNS` (plus any
        extra ``by`` columns): for each group, every period from its first to
        its last event (widened by ``start``/``end``) and every measure of
        :data:`~overdose_trends.schema.MEASURES`, ``value`` the number of
        events (0 when none) and ``status`` ``"exact"``. An event counts in
        the period containing its ``event_date``. ``kits_issued`` counts
        ``issued`` events; ``kits_first_supply`` / ``kits_repeat_supply`` the
        issued events with ``supply_type`` first / repeat; the other measures
        their event type (:data:`~overdose_trends.schema.EVENT_MEASURES`).
        Sorted by group, period and measure.

    Raises
    ------
    ValueError
        If ``freq`` or ``by`` is not allowed, a column is missing, or an event
        has no date or an event type outside the vocabulary.

    References
    ----------
    Public Health Scotland, *National Naloxone Programme Scotland* monitoring
    reports (counts of kits issued, first and repeat supplies, by period).

    Examples
    --------
    Kits reported used, per area and financial year, from the SYNTHETIC log
    (not real services' figures):

    >>> events = ot.datasets.synthetic_kit_log().events
    >>> counts = ot.aggregate_kits(events, "financial_year", by=("area_code",))
    >>> used = counts.query("measure == 'kits_returned_used'")
    >>> used.pivot(index="period_start", columns="area_code", values="value")
    area_code     E06000033  E10000020
    period_start
    2015-04-01            0         10
    2016-04-01           17         63
    2017-04-01           14         93
    2018-04-01           28        115
    2019-04-01           23        102
    """
    if freq not in FREQ_MONTHS:
        raise ValueError(f"freq must be one of {FREQUENCIES}, got {freq!r}")
    by = tuple(by)
    bad = [c for c in by if c not in _GROUPABLE]
    if bad or len(set(by)) != len(by):
        raise ValueError(f"by must be distinct columns from {_GROUPABLE}, got {by}")
    if total and "service" not in by:
        raise ValueError("total=True adds totals over services and needs 'service' in by")
    needed = {"event_date", "event_type", "supply_type", *by}
    missing = sorted(needed - set(events.columns))
    if missing:
        raise ValueError(f"events lack column(s) {missing}; expected {EVENT_COLUMNS}")
    return count_kits(events, freq, by, total=total, start=start, end=end)


# =====================================================================================
# read_kit_counts
# =====================================================================================


@dataclass
class KitCounts:
    """A loaded counts table and its validation report.

    Attributes
    ----------
    counts : pandas.DataFrame
        Columns :data:`~overdose_trends.schema.COUNT_COLUMNS`.
    report : ValidationReport
        Row accounting is per input row (a wide row with one bad cell is
        rejected whole, with the cell named).
    """

    counts: pd.DataFrame
    report: ValidationReport

    def __repr__(self) -> str:
        return f"KitCounts({len(self.counts):,} counts)\n{self.report._text(max_issues=5)}"


def _measure_synonyms() -> dict[str, str]:
    syn = {e: EVENT_MEASURES[e] for e in EVENT_TYPES}
    for spelling, e in VALUE_SYNONYMS["event_type"].items():
        syn[spelling] = EVENT_MEASURES[e]
    syn.update(
        {
            "first": "kits_first_supply",
            "first supply": "kits_first_supply",
            "repeat": "kits_repeat_supply",
            "repeat supply": "kits_repeat_supply",
            "resupply": "kits_repeat_supply",
        }
    )
    for m in MEASURES:
        syn[m.removeprefix("kits_")] = m
    return syn


def read_kit_counts(
    source: TableSource,
    mapping: Mapping[str, str | None] | None = None,
    *,
    freq: str | None = None,
    as_of: date | str | None = None,
    dayfirst: bool = True,
    known_areas: Iterable[str] | None = None,
    sheet: str | None = None,
    header_row: int = 1,
    encoding: str = "utf-8-sig",
) -> KitCounts:
    """Read and validate a published table of kit counts.

    Two layouts are accepted (after the column ``mapping``, as in
    :func:`~overdose_trends.io.kit_log.read_kit_log`):

    * **long**: ``area_code``, ``service`` (optional), a period, ``measure``,
      ``value`` and optionally ``status``;
    * **wide**: ``area_code``, ``service`` (optional), a period and one column
      per measure named as in :data:`~overdose_trends.schema.MEASURES`
      (``"Kits issued"`` is ``kits_issued``; map other names, e.g.
      ``{"Used": "kits_returned_used"}``).

    A period is one ``period`` label or ``period_start`` (with optional
    ``period_end``). Labels: ``2016-03`` and ``Mar 2016`` (month), ``2016 Q1``
    and ``Q1 2016`` (calendar quarter), ``2016/17`` (financial year April to
    March), ``2016/17 Q1`` (financial quarter, April to June 2016), ``2016``
    (calendar year), or a date, read as the first day of a period of length
    ``freq`` (default month; the report notes it). ``2016-17`` is not a
    financial year (it would be read as month 17 and rejected).

    Count cells: whole numbers (``1,234`` allowed); ``*``, ``c``, ``[c]``,
    ``..``, ``<5`` (any ``<n``) -> status ``suppressed``; ``[x]``, ``x``,
    ``n/a``, ``[z]`` and blank -> ``not_reported`` (a blank also draws a
    warning); value ``<NA>`` in both cases, never 0. Negative, fractional and
    other text (including an ambiguous ``-``) reject the row.

    Other rules (row named in each message): GSS area code (and membership of
    ``known_areas``), known measure, readable period, no period starting after
    ``as_of`` or before 1998 (``implausible_date``), counts of at most 15
    digits, a warning for English periods ending before 1 Oct 2015, no two
    rows for the same area, service, period and measure (later ones rejected),
    a ``status`` column consistent with the cell (a number marked
    ``suppressed`` is rejected), and totals (``service == "all"``) equal to
    the sum of their exact service rows (warning ``total_mismatch``).

    Parameters
    ----------
    source : path, binary file object or pandas.DataFrame
        A CSV file or an ``.xlsx``/``.xls`` workbook (detected from the file's
        first bytes) with one header row; a DataFrame is validated the same way
        (its header counts as row 1).
    mapping : dict, optional
        File column name -> field, for columns not already named as the field
        (``{"Quarter": "period", "Used": "kits_returned_used"}``); ``None`` as
        the field ignores a column. Fields: ``area_code``, ``service``,
        ``period``, ``period_start``, ``period_end``, ``measure``, ``value``,
        ``status`` and the measures of :data:`~overdose_trends.schema.MEASURES`.
    freq : {"month", "quarter", "year", "financial_year"}, optional
        Length of the periods given as dates (``period`` dates, or
        ``period_start`` without ``period_end``); default month.
    as_of : date or str, optional
        Periods starting after this day are rejected (default today).
    dayfirst : bool, default True
        Read ``03/04/2016`` as 3 April (UK).
    known_areas : iterable of str, optional
        If given, area codes not in it are rejected (default: GSS pattern only).
    sheet : str, optional
        Workbook sheet (default: the only sheet, or the only one with the
        required columns).
    header_row : int, default 1
        1-based row of the column headers.
    encoding : str, default "utf-8-sig"
        Text encoding of a CSV file.

    Returns
    -------
    KitCounts
        ``.counts`` (columns :data:`~overdose_trends.schema.COUNT_COLUMNS`,
        in input order) and ``.report``.

    Raises
    ------
    DataFormatError
        File unreadable, required columns missing, or both layouts at once.

    References
    ----------
    Public Health Scotland, *National Naloxone Programme Scotland* monitoring
    reports (financial years and quarters); Government Analysis Function,
    "Symbols in tables, definitions and shorthand" (``[c]``, ``[x]``, ``[z]``).


    Examples
    --------
    The shipped SYNTHETIC monthly counts (long layout, one service per row
    and totals over services):

    >>> path = ot.datasets.data_dir() / "synthetic_naloxone_kits_monthly.csv"
    >>> published = ot.read_kit_counts(path, freq="month")
    >>> published.report.n_input, published.report.n_rejected
    (2142, 0)
    >>> totals = published.counts.query("service == 'all' and measure == 'kits_issued'")
    >>> totals.groupby("area_code")["value"].sum()
    area_code
    E06000033     963
    E10000020    3981
    Name: value, dtype: Int64

    Suppressed cells stay suppressed (``<NA>``, never 0):

    >>> table = pd.DataFrame(
    ...     {
    ...         "area_code": ["E06000033", "E06000033"],
    ...         "period": ["2016 Q1", "2016 Q2"],
    ...         "kits_issued": ["12", "[c]"],
    ...     }
    ... )
    >>> ot.read_kit_counts(table).counts[["period_start", "measure", "value", "status"]]
      period_start      measure  value      status
    0   2016-01-01  kits_issued     12       exact
    1   2016-04-01  kits_issued   <NA>  suppressed
    """
    if freq is not None and freq not in FREQ_MONTHS:
        raise ValueError(f"freq must be one of {FREQUENCIES}, got {freq!r}")
    fields = (*COUNT_FIELDS, *MEASURES)

    def planner(headers: list[str], name: str, sheet_name: str | None):
        plan = plan_columns(headers, mapping, fields, name, sheet_name)
        have = {f for kind, f in plan if kind == "field" and f is not None}
        wide = have & set(MEASURES)
        long = {"measure", "value"} & have
        problems = []
        if "area_code" not in have:
            problems.append("no area_code column")
        if not {"period", "period_start"} & have:
            problems.append("no period or period_start column")
        if long and wide:
            problems.append(f"both long (measure/value) and wide ({sorted(wide)}) columns")
        elif not wide and long != {"measure", "value"}:
            problems.append("neither measure and value columns nor a column per measure")
        if problems:
            raise DataFormatError(
                "; ".join(problems) + f". The columns are {shown_headers(headers)}; pass mapping= "
                "(for an event log use overdose_trends.io.kit_log.read_kit_log)",
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
    return _validate_counts(
        table,
        freq=freq,
        as_of=as_day(as_of),
        dayfirst=dayfirst,
        known_areas=known_area_set(known_areas),
    )


def _validate_counts(
    table: Table,
    *,
    freq: str | None,
    as_of: np.datetime64,
    dayfirst: bool,
    known_areas: frozenset[str] | None,
) -> KitCounts:
    """Apply the rules of :func:`read_kit_counts` to a read table."""
    check = TableCheck(table, "not a field of a counts table", free_text=frozenset({"service"}))
    checker, notes, mapped = check.checker, check.notes, check.mapped
    fields, rows, reject = check.fields, check.rows, check.reject
    n = len(rows)

    area_col = fields["area_code"]
    area_u = parse_area(checker, area_col, known_areas)
    area = area_u[area_col.codes]
    if "service" in fields:
        scol = fields["service"]
        service_u = scol.stripped.to_numpy(dtype=object)
        checker.flag(
            scol,
            scol.blank,
            rule="blank_required",
            severity="error",
            message="service is blank (write 'all' for a total over services)",
        )
        service = service_u[scol.codes]
    else:
        service = np.full(n, "all", dtype=object)
        notes.append("No service column: every count is a total over services ('all').")

    # --- periods ------------------------------------------------------------------------
    p_start, p_end = _read_periods(checker, fields, dayfirst=dayfirst, freq=freq, notes=notes)
    at = np.flatnonzero(~np.isnat(p_start) & (p_start > as_of))
    checker.report(
        at,
        column=None,
        rule="future_date",
        severity="error",
        message="period starts " + day_text(p_start[at]) + f", after as_of ({as_of})",
    )
    old = np.flatnonzero(~np.isnat(p_start) & (p_start < EARLIEST_EVENT))
    checker.report(
        old,
        column=None,
        rule="implausible_date",
        severity="error",
        message=f"period starts before {EARLIEST_EVENT}, before any take-home naloxone "
        "programme in the UK; date not shown",
    )
    p_end[old] = np.datetime64("NaT")
    english = pd.Series(area, dtype=object).str.startswith("E").to_numpy(dtype=bool)
    early = np.flatnonzero(english & ~np.isnat(p_end) & (p_end < ENGLAND_START))
    checker.report(
        early,
        column=None,
        rule="before_supply_start",
        severity="warning",
        message="period ends (date not shown) " + BEFORE_ENGLAND_SUPPLY,
    )

    # --- measures and values -------------------------------------------------------------
    status_col = fields.get("status")
    if "measure" in fields:
        mcol = fields["measure"]
        m_u, m_blank, m_unknown = map_vocab(mcol, "measure", MEASURES, _measure_synonyms(), mapped)
        checker.flag(
            mcol, m_blank, rule="blank_required", severity="error", message="measure is blank"
        )
        shown, ok = shown_values(mcol.uniques, "category")
        checker.flag(
            mcol,
            m_unknown,
            rule="unknown_measure",
            severity="error",
            message="measure " + shown + f" is not one of {list(MEASURES)}",
            echo=ok,
        )
        cells = [(fields["value"], m_u[mcol.codes])]
    else:
        cells = [(fields[m], np.full(n, m, dtype=object)) for m in MEASURES if m in fields]
    parts = []
    for col, measure in cells:
        value_u, status_u, rule_u, detail_u = parse_count_cells(col)
        label = "value" if "measure" in fields else col.header
        for rule, severity in (
            ("negative_count", "error"),
            ("invalid_count", "error"),
            ("blank_count", "warning"),
        ):
            checker.flag(
                col,
                rule_u == rule,
                rule=rule,
                severity=severity,
                message=f"{label} " + detail_u,
                echo=shown_values(col.uniques, "number")[1] if severity == "error" else False,
            )
        status = status_u[col.codes]
        if status_col is not None:
            status = _apply_status(checker, status_col, status)
        value = np.where(status_u[col.codes] == "exact", value_u[col.codes], 0)
        parts.append((measure, value, status))

    # --- duplicate keys and totals ---------------------------------------------------------
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "_pos": np.arange(n),
                    "area_code": area,
                    "service": service,
                    "period_start": p_start.astype("datetime64[ns]"),
                    "period_end": p_end.astype("datetime64[ns]"),
                    "measure": m,
                    "value": pd.arrays.IntegerArray(v.astype(np.int64), s != "exact"),
                    "status": s,
                }
            )
            for m, v, s in parts
        ],
        ignore_index=True,
    )
    valid = ~reject[frame["_pos"].to_numpy()]
    key = ["area_code", "service", "period_start", "period_end", "measure"]
    again = valid & frame.duplicated(key, keep=False).to_numpy()
    if again.any():
        sub = frame[again]
        firsts = sub.groupby(key, sort=False, dropna=False)["_pos"].transform("min").to_numpy()
        later = sub["_pos"].to_numpy() != firsts
        at = sub["_pos"].to_numpy()[later]
        at, idx = np.unique(at, return_index=True)
        checker.report(
            at,
            column=None,
            rule="duplicate_count",
            severity="error",
            message="same area, service, period and measure as row "
            + pd.Series(rows[firsts[later][idx]]).astype(str)
            + " (that row is kept)",
        )
    ok_rows = ~reject
    frame = frame[ok_rows[frame["_pos"].to_numpy()]]
    _check_totals(checker, frame)
    order = pd.Categorical(frame["measure"], categories=MEASURES).codes
    counts = (
        frame.assign(_m=order)
        .sort_values(["_pos", "_m"], kind="stable")
        .drop(columns=["_pos", "_m"])
        .reset_index(drop=True)
    )
    counts["area_code"] = counts["area_code"].astype("str")
    counts["service"] = counts["service"].astype("str")
    counts["measure"] = counts["measure"].astype("str")
    counts["status"] = counts["status"].astype("str")
    counts = counts.loc[:, list(COUNT_COLUMNS)]
    report = check.report(n_loaded=int(ok_rows.sum()), kind="counts table")
    return KitCounts(counts=counts, report=report)


def _read_periods(
    checker: RowChecker,
    fields: dict[str, Column],
    *,
    dayfirst: bool,
    freq: str | None,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """period_start and period_end (datetime64[D], NaT where rejected) per row."""
    n = len(checker.rows)
    if "period" in fields:
        col = fields["period"]
        start_u, months_u, detail_u, used_dates = parse_period_labels(
            col, dayfirst=dayfirst, freq=freq
        )
        checker.flag(
            col, col.blank, rule="blank_required", severity="error", message="period is blank"
        )
        checker.flag(
            col,
            (start_u < 0) & ~col.blank,
            rule="invalid_period",
            severity="error",
            message="period " + detail_u,
            echo=shown_values(col.uniques, "period")[1],
        )
        if used_dates:
            notes.append(
                f"Periods given as dates were read as the {freq or 'month'} starting on that "
                "date (pass freq= to change)."
            )
        s = start_u[col.codes]
        ln = months_u[col.codes]
        good = s >= 0
        start = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        end = start.copy()
        start[good], end[good] = month_bounds(s[good], ln[good])
        return start, end
    scol = fields["period_start"]
    start = _day_cells(checker, scol, "period_start", dayfirst=dayfirst)
    if "period_end" in fields:
        ecol = fields["period_end"]
        end = _day_cells(checker, ecol, "period_end", dayfirst=dayfirst)
        backwards = np.flatnonzero(~np.isnat(start) & ~np.isnat(end) & (end < start))
        checker.report(
            backwards,
            column=ecol.header,
            rule="invalid_period",
            severity="error",
            message="period_end is before period_start (dates not shown: a full date could be "
            "personal data)",
        )
        return start, end
    f = freq or "month"
    length, _ = FREQ_MONTHS[f]
    notes.append(
        f"No period_end column: each period is the {f} starting on period_start "
        "(pass freq= to change)."
    )
    end = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    good = ~np.isnat(start)
    end[good] = month_bounds(abs_months(start[good]), length)[1]
    off = np.flatnonzero(good)[~starts_period(start[good], f)]
    checker.report(
        off,
        column=scol.header,
        rule="invalid_period",
        severity="error",
        message=f"period_start is not the first day of a {f.replace('_', ' ')} "
        "(date not shown: a full date could be personal data)",
    )
    return start, end


def _day_cells(checker: RowChecker, col: Column, label: str, *, dayfirst: bool) -> np.ndarray:
    """Per row the date in ``col`` (datetime64[D]); blank or unreadable dates are rejected."""
    days_u, blank_u, detail_u = parse_dates(col.uniques, dayfirst=dayfirst, date_format=None)
    checker.flag(col, blank_u, rule="blank_required", severity="error", message=f"{label} is blank")
    checker.flag(
        col,
        ~blank_u & np.isnat(days_u),
        rule="invalid_period",
        severity="error",
        message=f"{label} " + detail_u,
        echo=shown_values(col.uniques, "date")[1],
    )
    return days_u[col.codes]


def _apply_status(checker: RowChecker, col: Column, status: np.ndarray) -> np.ndarray:
    """Combine a status column with the status read from the cell."""
    norm = norm_values(col.stripped).str.replace(" ", "_")
    known = norm.isin(COUNT_STATUSES).to_numpy() | col.blank
    shown, ok = shown_values(col.uniques, "category")
    checker.flag(
        col,
        ~known,
        rule="unknown_status",
        severity="error",
        message="status " + shown + f" is not one of {list(COUNT_STATUSES)}",
        echo=ok,
    )
    given = norm.to_numpy(dtype=object)[col.codes]
    has = (~col.blank & known)[col.codes]
    numeric = status == "exact"
    conflict = has & (
        (numeric & np.isin(given, ["suppressed", "not_reported"]))
        | (~numeric & np.isin(given, ["exact", "rounded"]))
    )
    at = np.flatnonzero(conflict)
    checker.report(
        at,
        column=col.header,
        rule="status_conflict",
        severity="error",
        message="status "
        + pd.Series(given[at], dtype=object)
        + " does not match the cell ("
        + pd.Series(status[at], dtype=object)
        + ")",
        value=given[at],
    )
    out = status.copy()
    take = has & numeric & (given == "rounded")
    out[take] = "rounded"
    return out


def _check_totals(checker: RowChecker, frame: pd.DataFrame) -> None:
    """Warn where a service total differs from the sum of its exact parts."""
    key = ["area_code", "period_start", "period_end", "measure"]
    is_total = (frame["service"] == "all").to_numpy()
    if not is_total.any() or is_total.all():
        return
    parts = frame[~is_total]
    summed = (
        parts.assign(_inexact=(parts["status"] != "exact").astype(np.int64))
        .groupby(key, sort=False)
        .agg(parts_sum=("value", "sum"), inexact=("_inexact", "sum"))
    )
    totals = frame[is_total & (frame["status"] == "exact").to_numpy()].join(summed, on=key)
    comparable = (totals["inexact"] == 0).fillna(False).to_numpy(dtype=bool)
    differ = (totals["value"] != totals["parts_sum"]).fillna(False).to_numpy(dtype=bool)
    bad = totals[comparable & differ]
    if len(bad):
        checker.report(
            bad["_pos"].to_numpy(),
            column=None,
            rule="total_mismatch",
            severity="warning",
            message="total "
            + bad["value"].astype(str)
            + " for "
            + bad["measure"].astype(str)
            + " differs from the sum of the services ("
            + bad["parts_sum"].astype(str)
            + ")",
        )
