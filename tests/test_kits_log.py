"""Tests for overdose_trends.io.kit_log (read_kit_log and its validation report).

Every fixture is written in the test (CSV, .xlsx and .xls) so that the tests
run without ../shared. Expected numbers are counted by hand from the rows
written out in each test.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from overdose_trends.errors import DataFormatError
from overdose_trends.io.kit_log import ISSUE_COLUMNS, KitLog, read_kit_log
from overdose_trends.schema import EVENT_COLUMNS
from tests.workbooks import write_workbook

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "overdose_trends" / "data"
AS_OF = "2020-01-01"
HEADER = [
    "event_date",
    "event_type",
    "kit_id",
    "service",
    "area_code",
    "recipient_type",
    "supply_type",
    "product",
    "doses",
]
# Two kits: K1 issued and later used; K2 issued (rows 2-4 of the file)
GOOD = [
    [
        "2016-03-14",
        "issued",
        "K1",
        "STARS",
        "E06000033",
        "person_at_risk",
        "first",
        "injectable",
        5,
    ],
    ["2016-09-02", "returned_used", "K1", "STARS", "E06000033", "", "", "injectable", 5],
    ["2016-09-02", "issued", "K2", "STARS", "E06000033", "person_at_risk", "repeat", "nasal", 2],
]
FORMATS = ["csv", "xlsx", "xls"]


def write(tmp_path: Path, rows: list[list], fmt: str = "csv", header=HEADER, name="log") -> Path:
    """Write ``header`` + ``rows`` as CSV or a one-sheet workbook."""
    if fmt == "csv":
        path = tmp_path / f"{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])
        return path
    return write_workbook(tmp_path / f"{name}.{fmt}", {"Kits": [header, *rows]}, fmt)


def load(tmp_path: Path, rows: list[list], fmt: str = "csv", **kw) -> KitLog:
    kw.setdefault("as_of", AS_OF)
    return read_kit_log(write(tmp_path, rows, fmt), **kw)


def issues_of(log: KitLog, rule: str) -> pd.DataFrame:
    return log.report.issues[log.report.issues["rule"] == rule]


def assert_accounting(log: KitLog, n_input: int, n_loaded: int) -> None:
    r = log.report
    assert (r.n_input, r.n_loaded, r.n_rejected) == (n_input, n_loaded, n_input - n_loaded)
    assert r.n_loaded + r.n_rejected == r.n_input
    assert len(log.events) == n_loaded


def assert_one(log: KitLog, rule: str, row: int, severity: str, *fragments: str) -> pd.Series:
    found = issues_of(log, rule)
    assert len(found) == 1, str(log.report)
    issue = found.iloc[0]
    assert issue["row"] == row
    assert issue["severity"] == severity
    assert issue["message"].startswith(f"row {row}: ")
    for fragment in fragments:
        assert fragment in issue["message"], issue["message"]
    return issue


# --- a clean log --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_log_loads_tidy(tmp_path, fmt):
    log = load(tmp_path, GOOD, fmt)
    assert_accounting(log, 3, 3)
    assert log.report.issues.empty
    ev = log.events
    assert tuple(ev.columns) == EVENT_COLUMNS
    assert str(ev["event_date"].dtype) == "datetime64[ns]"
    assert str(ev["doses"].dtype) == "Int64"
    assert ev["event_date"].tolist() == [
        pd.Timestamp("2016-03-14"),
        pd.Timestamp("2016-09-02"),
        pd.Timestamp("2016-09-02"),
    ]
    assert ev["event_type"].tolist() == ["issued", "returned_used", "issued"]
    assert ev["kit_id"].tolist() == ["K1", "K1", "K2"]
    assert ev["doses"].tolist() == [5, 5, 2]
    assert ev["source_row"].tolist() == [2, 3, 4]
    # issue-only fields are missing on the return row, as given
    assert ev["recipient_type"].isna().tolist() == [False, True, False]
    assert ev["event_id"].isna().all()  # no event_id column: source_row identifies rows
    assert list(log.report.issues.columns) == list(ISSUE_COLUMNS)


def test_report_text_is_useful(tmp_path):
    log = load(tmp_path, GOOD)
    text = str(log.report)
    assert "3 rows read, 3 loaded, 0 rejected" in text
    assert "No personal-identifier columns found." in text
    assert "ValidationReport(" in repr(log.report)
    assert "KitLog(3 events)" in repr(log)
    log.report.raise_if_errors()  # nothing to raise


# --- the report's table, HTML and figure ------------------------------------------------

# GOOD (rows 2-4), then: two impossible dates (rows 5-6), a copy of row 4 (row 7), a return
# of a kit never issued (row 8), 99 doses (row 9); every row has a name and a referral source.
KNOWN_PROBLEMS = [
    *GOOD,
    ["2016-13-01", "issued", "K3", "STARS", "E06000033", "", "", "", ""],
    ["30/02/2016", "issued", "K4", "STARS", "E06000033", "", "", "", ""],
    GOOD[2],
    ["2016-12-01", "returned_used", "K0", "STARS", "E06000033", "", "", "", ""],
    ["2016-10-01", "issued", "K5", "STARS", "E06000033", "", "", "injectable", 99],
]


def known_problems(tmp_path: Path, fmt: str = "csv") -> KitLog:
    header = [*HEADER, "Client Name", "Referral <source>"]
    rows = [[*r, "Jane Doe", "GP"] for r in KNOWN_PROBLEMS]
    return read_kit_log(write(tmp_path, rows, fmt, header=header), as_of=AS_OF)


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_counts_issues_and_rows_per_rule_and_column(tmp_path, fmt):
    log = known_problems(tmp_path, fmt)
    assert_accounting(log, 8, 5)
    table = log.report.summary()
    assert list(table.columns) == ["severity", "rule", "column", "issues", "rows"]
    # errors first; then most rows first, then rule; a whole-column notice affects no row
    expected = [
        ("error", "invalid_date", "event_date", 2, 2),
        ("error", "duplicate_row", None, 1, 1),
        ("warning", "implausible_doses", "doses", 1, 1),
        ("warning", "orphan_return", "kit_id", 1, 1),
        ("warning", "identifier_column", "Client Name", 1, 0),
        ("warning", "unknown_column", "Referral <source>", 1, 0),
    ]
    got = [
        (sev, rule, None if pd.isna(col) else col, int(n), int(rows))
        for sev, rule, col, n, rows in table.itertuples(index=False)
    ]
    assert got == expected
    assert str(table["issues"].dtype) == "int64" and str(table["rows"].dtype) == "int64"
    assert table["issues"].sum() == len(log.report.issues)
    assert "value" not in table.columns and "message" not in table.columns


def test_summary_has_a_row_per_column_of_a_rule(tmp_path):
    row = ["2016-10-01", "issued", "K4", "STARS", "E06000033", "neighbour", "second", "gun", ""]
    row2 = ["2016-10-02", "issued", "K5", "STARS", "E06000033", "neighbour", "", "", ""]
    table = load(tmp_path, [*GOOD, row, row2]).report.summary()
    assert table[["rule", "column", "issues", "rows"]].values.tolist() == [
        ["unknown_category", "recipient_type", 2, 2],
        ["unknown_category", "product", 1, 1],
        ["unknown_category", "supply_type", 1, 1],
    ]


def test_summary_of_a_clean_report_is_empty_with_its_columns(tmp_path):
    table = load(tmp_path, GOOD).report.summary()
    assert table.empty
    assert list(table.columns) == ["severity", "rule", "column", "issues", "rows"]


def test_report_text_is_its_str(tmp_path):
    log = known_problems(tmp_path)
    text = str(log.report)
    assert text.startswith("Kit log '") and "8 rows read, 5 loaded, 3 rejected" in text
    assert "(3 errors, 4 warnings)." in text
    assert "Issues by rule:" in text and "First 7 issues (errors first):" in text
    assert "  row 5: event_date '2016-13-01' is not a valid date" in text
    assert f"{log.report}" == text and "ValidationReport(" in repr(log.report)
    assert repr(log).startswith("KitLog(5 events)\nKit log '")
    assert "First 5 issues (errors first):" in repr(log)  # the log's repr shows 5


def test_report_html_has_accounting_table_and_no_values(tmp_path):
    log = known_problems(tmp_path)
    page = log.report._repr_html_()
    assert page.startswith("<p><strong>Kit log ") and "log.csv</strong>" in page
    assert "8 rows read, 5 loaded, 3 rejected (3 errors, 4 warnings)." in page
    assert "&#x27;Client Name&#x27; (8 non-empty cells)" in page
    assert "<table" in page and "<td>invalid_date</td>" in page
    assert "Referral &lt;source&gt;" in page and "<source>" not in page  # escaped
    body = page.replace(str(tmp_path), "<tmp>")  # pytest's folder name may hold "99"
    for value in ("Jane Doe", "2016-13-01", "30/02/2016", "GP", "99"):
        assert value not in body, value
    clean = load(tmp_path, GOOD).report._repr_html_()
    assert "No issues: every row passed every check." in clean and "<table" not in clean


def test_report_html_never_shows_identifier_values(tmp_path):
    header = [*HEADER, "Client Name", "DOB", "NHS number", "Postcode", "E-mail", "Notes"]
    rows = [[*r, *PII_VALUES[:3], PII_VALUES[4], PII_VALUES[6], PII_VALUES[7]] for r in GOOD]
    nhs_number_as_kit_id = ["2016-10-01", "issued", "943 476 5919", "STARS", "E06000033"]
    rows.append(nhs_number_as_kit_id + [""] * 10)
    log = read_kit_log(write(tmp_path, rows, header=header), as_of=AS_OF)
    page = log.report._repr_html_()
    assert "Client Name" in page and "cells looked like personal data and were blanked" in page
    for value in PII_VALUES:
        assert value not in page, value


def test_report_plot_draws_the_validation_figure(tmp_path):
    from matplotlib.axes import Axes

    report = known_problems(tmp_path).report
    ax = report.plot(title="Checks")
    assert isinstance(ax, Axes)
    assert "overdose_trends.plots.validation" in sys.modules
    bars = [p for p in ax.patches if str(p.get_gid()).startswith("bars-")]
    assert [int(b.get_width()) for b in bars] == report.summary()["rows"].tolist()


# --- every validation rule, CSV and Excel ----------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_exact_duplicate_row_keeps_one(tmp_path, fmt):
    log = load(tmp_path, [*GOOD, GOOD[2]], fmt)  # row 5 copies row 4
    assert_accounting(log, 4, 3)
    assert_one(log, "duplicate_row", 5, "error", "exact copy of row 4")


@pytest.mark.parametrize("fmt", FORMATS)
def test_kit_issued_twice(tmp_path, fmt):
    again = [
        "2016-10-01",
        "issued",
        "K2",
        "STARS",
        "E06000033",
        "family_friend",
        "first",
        "nasal",
        2,
    ]
    log = load(tmp_path, [*GOOD, again], fmt)
    assert_accounting(log, 4, 3)
    issue = assert_one(
        log,
        "duplicate_issue",
        5,
        "error",
        "'K2' is issued again",
        "first issued on row 4 (2016-09-02)",
    )
    assert issue["value"] == "K2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_return_before_issue(tmp_path, fmt):
    early = ["2016-01-05", "lost", "K2", "STARS", "E06000033", "", "", "nasal", 2]
    log = load(tmp_path, [*GOOD, early], fmt)
    assert_accounting(log, 4, 3)
    assert_one(
        log,
        "return_before_issue",
        5,
        "error",
        "'K2' lost on 2016-01-05, before its issue on 2016-09-02 (row 4)",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_future_date(tmp_path, fmt):
    future = ["2020-01-02", "issued", "K3", "STARS", "E06000033", "", "", "", ""]
    log = load(tmp_path, [*GOOD, future], fmt)
    assert_accounting(log, 4, 3)
    assert_one(log, "future_date", 5, "error", "'2020-01-02' is after as_of (2020-01-01)")
    # the same row is fine with a later as_of
    assert load(tmp_path, [*GOOD, future], fmt, as_of="2020-01-02").report.ok


@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_and_unknown_area_codes(tmp_path, fmt):
    bad = ["2016-10-01", "issued", "K3", "STARS", "Southend", "", "", "", ""]
    other = ["2016-10-01", "issued", "K4", "STARS", "E06000034", "", "", "", ""]
    log = load(tmp_path, [*GOOD, bad, other], fmt, known_areas={"E06000033"})
    assert_accounting(log, 5, 3)
    # a place name is not shaped like a code: the message says what and where, not the value
    issue = assert_one(log, "invalid_area_code", 5, "error", "area_code (value not shown")
    assert "Southend" not in issue["message"] and pd.isna(issue["value"])
    assert_one(log, "unknown_area_code", 6, "error", "'E06000034' is not in known_areas")
    # without known_areas only the pattern is checked
    assert load(tmp_path, [*GOOD, other], fmt).report.ok


def test_area_code_upper_cased(tmp_path):
    row = ["2016-10-01", "issued", "K3", "STARS", " e06000033 ", "", "", "", ""]
    log = load(tmp_path, [row])
    assert log.report.ok and log.events["area_code"].tolist() == ["E06000033"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_doses_negative_fractional_and_implausible(tmp_path, fmt):
    rows = [
        ["2016-10-01", "issued", "K3", "STARS", "E06000033", "", "", "injectable", -1],
        ["2016-10-01", "issued", "K4", "STARS", "E06000033", "", "", "injectable", 2.5],
        ["2016-10-01", "issued", "K5", "STARS", "E06000033", "", "", "injectable", 99],
        ["2016-10-01", "issued", "K6", "STARS", "E06000033", "", "", "injectable", 0],
    ]
    log = load(tmp_path, [*GOOD, *rows], fmt)
    assert_accounting(log, 7, 5)
    found = issues_of(log, "invalid_doses")
    assert found["row"].tolist() == [5, 6]
    assert "row 5: doses '-1' is negative" in found["message"].iloc[0]
    assert "row 6: doses '2.5' is not a whole number" in found["message"].iloc[1]
    implausible = issues_of(log, "implausible_doses")
    assert implausible["row"].tolist() == [7, 8]
    assert (implausible["severity"] == "warning").all()
    kept = log.events.set_index("kit_id")["doses"]
    assert kept["K5"] is pd.NA and kept["K6"] is pd.NA  # kept as missing, never 99 or 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_categories(tmp_path, fmt):
    rows = [
        ["2016-10-01", "confiscated", "K3", "STARS", "E06000033", "", "", "", ""],
        [
            "2016-10-01",
            "issued",
            "K4",
            "STARS",
            "E06000033",
            "neighbour",
            "second",
            "spray gun",
            "",
        ],
    ]
    log = load(tmp_path, [*GOOD, *rows], fmt)
    assert_accounting(log, 5, 4)
    assert_one(log, "unknown_event_type", 5, "error", "event_type 'confiscated' is not one of")
    found = issues_of(log, "unknown_category")
    assert found["row"].tolist() == [6, 6, 6]
    assert (found["severity"] == "warning").all()
    assert sorted(found["value"]) == ["neighbour", "second", "spray gun"]
    k4 = log.events[log.events["kit_id"] == "K4"].iloc[0]
    assert (k4["recipient_type"], k4["supply_type"], k4["product"]) == (
        "unknown",
        "unknown",
        "unknown",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_dates(tmp_path, fmt):
    rows = [
        ["2016-13-01", "issued", "K3", "STARS", "E06000033", "", "", "", ""],
        ["30/02/2016", "issued", "K4", "STARS", "E06000033", "", "", "", ""],
        ["sometime", "issued", "K5", "STARS", "E06000033", "", "", "", ""],
        ["01/03/16", "issued", "K6", "STARS", "E06000033", "", "", "", ""],
        ["03/14/2016", "issued", "K7", "STARS", "E06000033", "", "", "", ""],
    ]
    log = load(tmp_path, [*GOOD, *rows], fmt)
    assert_accounting(log, 8, 3)
    found = issues_of(log, "invalid_date").set_index("row")["message"]
    assert list(found.index) == [5, 6, 7, 8, 9]
    assert "'2016-13-01' is not a valid date" in found[5]
    assert "'30/02/2016' is not a valid date" in found[6]
    assert "(value not shown" in found[7] and "sometime" not in found[7]
    assert "'01/03/16' has a two-digit year" in found[8]
    assert "pass dayfirst=False" in found[9]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("field", ["event_date", "event_type", "service", "area_code"])
def test_blank_required_field(tmp_path, fmt, field):
    row = dict(
        zip(
            HEADER,
            ["2016-10-01", "issued", "K3", "STARS", "E06000033", "", "", "", ""],
            strict=True,
        )
    )
    row[field] = ""
    log = load(tmp_path, [*GOOD, list(row.values())], fmt)
    assert_accounting(log, 4, 3)
    assert_one(log, "blank_required", 5, "error", f"{field} is blank")


@pytest.mark.parametrize("fmt", FORMATS)
def test_more_than_one_terminal_event(tmp_path, fmt):
    again = ["2016-12-01", "returned_unused", "K1", "STARS", "E06000033", "", "", "", ""]
    log = load(tmp_path, [*GOOD, again], fmt)
    assert_accounting(log, 4, 3)
    assert_one(
        log,
        "multiple_terminal_events",
        5,
        "error",
        "kit 'K1' returned_unused but it already has a returned_used event on row 3",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_orphan_return_is_kept_with_warning(tmp_path, fmt):
    orphan = ["2016-12-01", "returned_used", "K0", "STARS", "E06000033", "", "", "", ""]
    log = load(tmp_path, [*GOOD, orphan], fmt)
    assert_accounting(log, 4, 4)
    assert_one(log, "orphan_return", 5, "warning", "kit 'K0'", "no issue in the log")


@pytest.mark.parametrize("fmt", FORMATS)
def test_before_supply_start(tmp_path, fmt):
    rows = [
        ["2015-09-30", "issued", "K3", "STARS", "E06000033", "", "", "", ""],  # England
        ["2015-09-30", "issued", "K4", "Glasgow", "S12000049", "", "", "", ""],  # Scotland
        ["2015-10-01", "issued", "K5", "STARS", "E06000033", "", "", "", ""],  # first legal day
    ]
    log = load(tmp_path, rows, fmt)
    assert_accounting(log, 3, 3)
    assert_one(
        log,
        "before_supply_start",
        2,
        "warning",
        "2015-09-30",
        "before non-prescription supply began in England (1 Oct 2015, SI 2015/1503)",
    )
    # a service's own programme start replaces the default for that service
    log = load(tmp_path, rows, fmt, programme_start={"Glasgow": "2016-01-01"})
    found = issues_of(log, "before_supply_start")
    assert found["row"].tolist() == [2, 3]
    assert "before programme_start (2016-01-01)" in found["message"].iloc[1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_event_id(tmp_path, fmt):
    header = ["event_id", *HEADER]
    rows = [["E1", *GOOD[0]], ["E2", *GOOD[1]], ["E1", *GOOD[2]]]
    log = read_kit_log(write(tmp_path, rows, fmt, header=header), as_of=AS_OF)
    assert_accounting(log, 3, 2)
    assert_one(log, "duplicate_event_id", 4, "error", "event_id 'E1' was given to an earlier row")
    assert log.events["event_id"].tolist() == ["E1", "E2"]


def test_several_errors_on_one_row_reject_it_once(tmp_path):
    row = ["2016-13-01", "issued", "K3", "", "XX", "", "", "", -2]
    log = load(tmp_path, [*GOOD, row])
    assert_accounting(log, 4, 3)
    assert set(log.report.errors["rule"]) == {
        "invalid_date",
        "blank_required",
        "invalid_area_code",
        "invalid_doses",
    }
    assert (log.report.errors["row"] == 5).all()


def test_raise_if_errors_names_row(tmp_path):
    log = load(tmp_path, [*GOOD, ["2016-13-01", "issued", "K3", "STARS", "E06000033"] + [""] * 4])
    with pytest.raises(DataFormatError, match=r"row 5.*1 of 4 rows rejected \(invalid_date\)"):
        log.report.raise_if_errors()


# --- personal identifiers ---------------------------------------------------------------

PII_VALUES = (
    "Jane Doe",
    "1985-07-12",
    "943 476 5919",
    "12 High Street, Southend",
    "SS1 2AB",
    "07700 900123",
    "jane.doe@example.org",
    "came in with her partner",
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_identifier_columns_dropped_and_never_echoed(tmp_path, fmt):
    header = [
        *HEADER,
        "Client Name",
        "DOB",
        "NHS number",
        "Address",
        "Postcode",
        "Mobile",
        "E-mail",
        "Notes",
        "Service name",
    ]
    rows = [[*r, *PII_VALUES, "STARS Southend"] for r in GOOD]
    rows[2][-2] = ""  # one empty notes cell
    log = read_kit_log(write(tmp_path, rows, fmt, header=header), as_of=AS_OF)
    assert_accounting(log, 3, 3)
    r = log.report
    assert r.dropped_columns == {
        "Client Name": 3,
        "DOB": 3,
        "NHS number": 3,
        "Address": 3,
        "Postcode": 3,
        "Mobile": 3,
        "E-mail": 3,
        "Notes": 2,
    }
    assert r.unknown_columns == ("Service name",)  # a place, not a person: reported, not PII
    text = str(r)
    assert "Personal identifiers dropped on load" in text and "'Notes' (2 non-empty cells)" in text
    _assert_nowhere(log, PII_VALUES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_personal_data_in_kept_cells_is_blanked(tmp_path, fmt):
    rows = [
        ["2016-10-01", "issued", "943 476 5919", "STARS", "E06000033", "", "", "", ""],
        ["2016-10-01", "issued", "jane.doe@example.org", "STARS", "E06000033", "", "", "", ""],
        ["2016-10-01", "issued", "K9", "Call 07700 900123", "E06000033", "", "", "", ""],
        ["2016-10-01", "issued", "K8", "STARS", "SS1 2AB", "", "", "", ""],
        ["2016-10-01", "issued", "K7", "STARS", "E06000033", "+44 7700 900123", "", "", ""],
    ]
    log = load(tmp_path, [*GOOD, *rows], fmt)
    found = issues_of(log, "personal_data")
    assert found["row"].tolist() == [5, 6, 7, 8, 9]
    assert found["value"].isna().all()
    assert "looks like an NHS or CHI number" in found["message"].iloc[0]
    assert "looks like an e-mail address" in found["message"].iloc[1]
    assert "looks like a UK phone number" in found["message"].iloc[2]
    assert "looks like a UK postcode" in found["message"].iloc[3]
    # blanked kit ids are kept without an id; blanked service/area reject the row
    assert_accounting(log, 8, 6)
    assert issues_of(log, "blank_required")["row"].tolist() == [7, 8]
    assert log.events["kit_id"].isna().sum() == 2
    _assert_nowhere(
        log, ("943 476 5919", "jane.doe@example.org", "07700 900123", "SS1 2AB", "+44 7700 900123")
    )


def _assert_nowhere(log: KitLog, values) -> None:
    r = log.report
    texts = [str(r), repr(r), repr(log), r._repr_html_(), r.summary().to_string()]
    texts += [*r.notes, *map(str, r.dropped_columns)]
    for frame in (log.events, r.issues, r.mapped_values):
        texts.extend(str(v) for v in frame.to_numpy().ravel())
    blob = "\n".join(texts)
    for v in values:
        assert v not in blob, v


# --- columns, mapping, formats ------------------------------------------------------------


def test_mapping_and_header_normalisation(tmp_path):
    header = [
        "\ufeffDate",
        " Event Type ",
        "Kit no",
        "Site",
        "LA code",
        "Recipient",
        "Supply-Type",
        "PRODUCT",
        "Doses",
        "Key worker",
    ]
    rows = [
        ["14/03/2016", "Supply", "K1", "STARS", "E06000033", "PWUO", "first", "Prenoxad", ""],
        ["02/09/2016", "used", "K1", "STARS", "E06000033", "", "", "IM", ""],
        ["02/09/2016", "issue", "K2", "STARS", "E06000033", "family", "repeat", "Nyxoid", ""],
        ["03/09/2016", "issued", "K3", "STARS", "E06000033", "Family", "first", "nasal spray", ""],
        ["04/09/2016", "issued", "K4", "STARS", "E06000033", "carer", "first", "IN", ""],
        ["05/09/2016", "issued", "K5", "STARS", "E06000033", "client", "first", "syringe", ""],
    ]
    rows = [[*r, "Bob"] for r in rows]
    path = write(tmp_path, rows, header=header)
    mapping = {
        "Date": "event_date",
        "Kit no": "kit_id",
        "Site": "service",
        "LA code": "area_code",
        "Recipient": "recipient_type",
        "Key worker": None,
    }
    log = read_kit_log(path, mapping, as_of=AS_OF)
    assert_accounting(log, 6, 6)
    assert log.report.unknown_columns == ()  # mapped to None: ignored on purpose
    ev = log.events
    assert ev["event_type"].tolist() == [
        "issued",
        "returned_used",
        "issued",
        "issued",
        "issued",
        "issued",
    ]
    assert ev["product"].tolist() == [
        "injectable",
        "injectable",
        "nasal",
        "nasal",
        "nasal",
        "injectable",
    ]
    assert ev["recipient_type"].tolist()[2:] == [
        "family_friend",
        "family_friend",
        "family_friend",
        "person_at_risk",
    ]
    # doses filled from the product: Prenoxad 5, Nyxoid 2
    assert ev["doses"].tolist() == [5, 5, 2, 2, 2, 5]
    mv = log.report.mapped_values.set_index(["column", "value"])["rows"]
    assert mv[("event_type", "Supply")] == 1
    assert mv[("event_type", "used")] == 1
    assert mv[("event_type", "issue")] == 1
    assert mv[("product", "Prenoxad")] == 1
    assert mv[("product", "IM")] == 1
    assert mv[("product", "syringe")] == 1
    assert mv[("product", "Nyxoid")] == 1
    assert mv[("product", "nasal spray")] == 1
    assert mv[("product", "IN")] == 1
    assert mv[("recipient_type", "Family")] == 1 and mv[("recipient_type", "family")] == 1
    assert ("event_type", "issued") not in mv.index  # canonical values are not "mapped"
    text = str(log.report)
    assert "Values mapped to the vocabulary: event_type 'Supply' -> issued (1)" in text


def test_value_mapping_extends_synonyms(tmp_path):
    row = ["2016-10-01", "confiscated", "K3", "STARS", "E06000033", "", "", "", ""]
    log = load(tmp_path, [*GOOD, row], value_mapping={"event_type": {"Confiscated": "lost"}})
    assert log.report.ok
    assert log.events["event_type"].iloc[-1] == "lost"
    with pytest.raises(ValueError, match="not one of"):
        load(tmp_path, GOOD, value_mapping={"event_type": {"x": "stolen"}})
    with pytest.raises(ValueError, match="value_mapping has field"):
        load(tmp_path, GOOD, value_mapping={"service": {"x": "y"}})


def test_mapping_errors(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(DataFormatError, match=r"mapping names column\(s\) \['kit_no'\]"):
        read_kit_log(path, {"Kit no": "kit_id"})
    with pytest.raises(ValueError, match="not a field"):
        read_kit_log(path, {"kit_id": "kit_number"})
    with pytest.raises(DataFormatError, match="both give 'kit_id'"):
        read_kit_log(path, {"service": "kit_id"})
    header = ["Date", *HEADER[1:]]
    with pytest.raises(DataFormatError, match=r"required column\(s\) \['event_date'\].*mapping="):
        read_kit_log(write(tmp_path, GOOD, header=header))


def test_counts_table_is_refused_with_pointer(tmp_path):
    path = write(
        tmp_path,
        [["E06000033", "2016-03", "kits_issued", 4]],
        header=["area_code", "period", "measure", "value"],
    )
    with pytest.raises(DataFormatError, match="read_kit_counts"):
        read_kit_log(path)


@pytest.mark.parametrize(
    ("text", "kw", "expected"),
    [
        ("2016-03-04", {}, "2016-03-04"),
        ("2016-03-04 00:00:00", {}, "2016-03-04"),
        ("04/03/2016", {}, "2016-03-04"),
        ("4.3.2016", {}, "2016-03-04"),
        ("04-03-2016", {}, "2016-03-04"),
        ("4 Mar 2016", {}, "2016-03-04"),
        ("04-March-2016", {}, "2016-03-04"),
        ("03/04/2016", {"dayfirst": False}, "2016-03-04"),
        ("04/03/16", {"date_format": "%d/%m/%y"}, "2016-03-04"),
        ("20160304", {"date_format": "%Y%m%d"}, "2016-03-04"),
    ],
)
def test_date_formats(tmp_path, text, kw, expected):
    row = [text, "issued", "K3", "STARS", "E06000033", "", "", "", ""]
    log = load(tmp_path, [row], **kw)
    assert log.report.ok, str(log.report)
    assert log.events["event_date"].iloc[0] == pd.Timestamp(expected)


def test_date_format_mismatch_is_reported(tmp_path):
    row = ["2016-03-04", "issued", "K3", "STARS", "E06000033", "", "", "", ""]
    log = load(tmp_path, [row], date_format="%d/%m/%Y")
    assert_one(log, "invalid_date", 2, "error", "does not match date_format '%d/%m/%Y'")


def test_excel_date_cells(tmp_path):
    rows = [[datetime(2016, 3, 14), *GOOD[0][1:]], [datetime(2016, 9, 2, 0, 0), *GOOD[1][1:]]]
    log = load(tmp_path, rows, "xlsx")
    assert log.report.ok
    assert log.events["event_date"].tolist() == [
        pd.Timestamp("2016-03-14"),
        pd.Timestamp("2016-09-02"),
    ]


def test_rows_numbered_as_in_a_spreadsheet(tmp_path):
    # title rows above the header, a blank line inside the data
    path = tmp_path / "log.csv"
    lines = [
        "Kit log export",
        "",
        ",".join(HEADER),
        ",".join(map(str, GOOD[0])),
        "",
        ",".join(map(str, GOOD[1])),
        "2016-13-01,issued,K3,STARS,E06000033,,,,",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = read_kit_log(path, header_row=3, as_of=AS_OF)
    assert_accounting(log, 3, 2)
    assert log.events["source_row"].tolist() == [4, 6]
    assert_one(log, "invalid_date", 7, "error")
    assert "1 blank rows were skipped" in str(log.report)


def test_csv_rows_are_records_after_multiline_cells(tmp_path):
    # A quoted cell may hold line breaks (RFC 4180 2.6); a spreadsheet shows it as one row,
    # so rows are CSV records, not lines. Lines and records of this file:
    #   lines 1-2   record 1  title cell with a line break (header_row=2 skips it)
    #   line  3     record 2  header
    #   lines 4-6   record 3  K1, notes cell over three lines
    #   lines 7-8   record 4  K2, service cell with an embedded CRLF (kept as written)
    #   line  9     record 5  blank row (skipped, still numbered)
    #   lines 10-11 record 6  K3, invalid date; notes cell over two lines
    #   line  12    record 7  K4, unknown event type
    text = (
        '"Kit log export\nQ1 2016",,,,,,\n'
        "event_date,event_type,kit_id,service,area_code,product,notes\n"
        '2016-03-14,issued,K1,STARS,E06000033,nasal,"seen at drop-in\nsecond line\nthird"\n'
        '2016-03-15,issued,K2,"STARS\r\nOutreach",E06000033,nasal,\n'
        "\n"
        '2016-13-01,issued,K3,STARS,E06000033,nasal,"two\nlines"\n'
        "2016-03-17,given,K4,STARS,E06000033,nasal,\n"
    )
    path = tmp_path / "multiline.csv"
    path.write_bytes(text.encode("utf-8"))
    log = read_kit_log(path, header_row=2, as_of=AS_OF)
    assert_accounting(log, 4, 2)
    assert log.events["source_row"].tolist() == [3, 4]
    assert log.events["service"].tolist() == ["STARS", "STARS\r\nOutreach"]
    assert_one(log, "invalid_date", 6, "error", "'2016-13-01'")
    assert_one(log, "unknown_event_type", 7, "error", "'given'")
    assert log.report.dropped_columns == {"notes": 2}
    assert any("numbered by CSV record" in n for n in log.report.notes)
    # without the title row the header is on row 1: Arrow reads the file, records numbered alike
    from overdose_trends.io._kit_table import _arrow_columns

    untitled = text.split("\n", 2)[2].encode("utf-8")
    assert _arrow_columns(untitled, text.split("\n")[2].split(","), 1, "utf-8") is not None
    path.write_bytes(untitled)
    arrow_log = read_kit_log(path, as_of=AS_OF)
    assert arrow_log.events["source_row"].tolist() == [2, 3]
    assert arrow_log.events["service"].tolist() == ["STARS", "STARS\r\nOutreach"]
    assert_one(arrow_log, "invalid_date", 5, "error", "'2016-13-01'")
    assert_one(arrow_log, "unknown_event_type", 6, "error", "'given'")
    assert any("numbered by CSV record" in n for n in arrow_log.report.notes)
    # without line breaks in cells there is no such note
    assert not any("CSV record" in n for n in load(tmp_path, GOOD).report.notes)


def test_csv_parse_errors_name_the_record(tmp_path):
    header = "event_date,event_type,kit_id,service,area_code,notes\n"
    first = '2016-03-14,issued,K1,STARS,E06000033,"a\nb\nc"\n'  # record 2, lines 2-4
    path = tmp_path / "bad.csv"
    second = "2016-03-15,issued,K2,STARS,E06000033,x\n"  # record 3, line 5
    # an extra delimiter in record 4 (line 6)
    extra = "2016-03-16,issued,K3,STARS,E06000033,x,extra\n"
    path.write_text(header + first + second + extra, encoding="utf-8")
    with pytest.raises(DataFormatError, match="more cells than the header") as exc:
        read_kit_log(path, as_of=AS_OF)
    assert exc.value.row == 4
    # a quote opened in record 3 (line 5) and never closed
    unclosed = '2016-03-15,issued,K2,STARS,E06000033,"open\n2016-03-16,issued\n'
    path.write_text(header + first + unclosed, encoding="utf-8")
    with pytest.raises(DataFormatError, match="never closed") as exc:
        read_kit_log(path, as_of=AS_OF)
    assert exc.value.row == 3


def test_sheet_choice(tmp_path):
    path = write_workbook(
        tmp_path / "book.xlsx",
        {"Notes": [["About this file"]], "Log": [HEADER, *GOOD]},
    )
    log = read_kit_log(path, as_of=AS_OF)  # the only sheet with the required columns
    assert log.report.sheet == "Log" and len(log.events) == 3
    both = write_workbook(tmp_path / "two.xlsx", {"A": [HEADER, *GOOD], "B": [HEADER, *GOOD]})
    with pytest.raises(DataFormatError, match="pass sheet="):
        read_kit_log(both)
    assert len(read_kit_log(both, sheet="B", as_of=AS_OF).events) == 3


def test_sheet_given_for_csv_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="CSV"):
        read_kit_log(write(tmp_path, GOOD), sheet="Log")


def test_unreadable_inputs(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty"):
        read_kit_log(empty)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(HEADER) + "\n" + ",".join(map(str, GOOD[0])) + ",extra\n")
    with pytest.raises(DataFormatError, match="row 2"):
        read_kit_log(ragged)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        (",".join(HEADER) + "\n2016-03-14,issued,K1,Caf\xe9,E06000033,,,,\n").encode("cp1252")
    )
    with pytest.raises(DataFormatError, match="encoding="):
        read_kit_log(latin)
    assert read_kit_log(latin, encoding="cp1252", as_of=AS_OF).events["service"].iloc[0] == "Café"


def test_dataframe_input(tmp_path):
    frame = pd.DataFrame(GOOD, columns=HEADER)
    log = read_kit_log(frame, as_of=AS_OF)
    assert_accounting(log, 3, 3)
    assert log.report.file == "<DataFrame>"
    assert log.events["source_row"].tolist() == [2, 3, 4]


def test_log_without_kit_ids(tmp_path):
    header = [h for h in HEADER if h != "kit_id"]
    rows = [[v for h, v in zip(HEADER, r, strict=True) if h != "kit_id"] for r in GOOD]
    rows.append(["2016-01-01", "returned_used", "STARS", "E06000033", "", "", "", ""])
    log = read_kit_log(write(tmp_path, rows, header=header), as_of=AS_OF)
    assert_accounting(log, 4, 4)  # a return "before" any issue cannot be detected
    assert log.events["kit_id"].isna().all()
    assert any("No kit_id column" in n for n in log.report.notes)


def test_blank_kit_ids_are_counted_not_checked(tmp_path):
    row = ["2016-01-01", "returned_used", "", "STARS", "E06000033", "", "", "", ""]
    log = load(tmp_path, [*GOOD, row])
    assert_accounting(log, 4, 4)
    assert log.report.issues.empty
    assert any("1 events have no kit_id (1 of them returns" in n for n in log.report.notes)


def test_missing_optional_columns_are_noted(tmp_path):
    header = HEADER[:5]
    log = read_kit_log(write(tmp_path, [r[:5] for r in GOOD], header=header), as_of=AS_OF)
    ev = log.events
    assert ev["recipient_type"].tolist()[0] == "unknown" and pd.isna(ev["recipient_type"][1])
    assert (ev["product"] == "unknown").all()
    assert ev["doses"].isna().all()
    notes = " ".join(log.report.notes)
    assert "No recipient_type column" in notes and "No product column" in notes


# --- the shipped synthetic sample -----------------------------------------------------------

SAMPLE = DATA / "synthetic_naloxone_kits_southend_norfolk.csv"


def test_shipped_sample_loads_clean_with_documented_totals():
    log = read_kit_log(SAMPLE)
    assert log.report.issues.empty, str(log.report)
    assert_accounting(log, 5961, 5961)
    ev = log.events
    table = pd.crosstab(ev["area_code"], ev["event_type"])
    # documented in data/README.md (SYNTHETIC data)
    assert table.loc["E06000033"].to_dict() == {
        "expired": 18,
        "issued": 963,
        "lost": 70,
        "returned_unused": 24,
        "returned_used": 82,
    }
    assert table.loc["E10000020"].to_dict() == {
        "expired": 58,
        "issued": 3981,
        "lost": 279,
        "returned_unused": 103,
        "returned_used": 383,
    }
    assert ev["event_date"].min() == pd.Timestamp("2015-10-01")
    assert ev["event_date"].max() <= pd.Timestamp("2019-12-31")
    issued = ev[ev["event_type"] == "issued"]
    assert set(issued.loc[issued["event_date"] < "2019-02-01", "product"]) == {"injectable"}
    assert (issued.loc[issued["event_date"] >= "2019-11-01", "product"] == "nasal").mean() > 0.4


def test_shipped_sample_is_reproducible(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_synthetic_kits", ROOT / "scripts" / "make_synthetic_kits.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    for name in (module.LOG_FILE, module.MONTHLY_FILE):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
