"""Tests for overdose_trends.io.kit_counts: aggregate_kits() and read_kit_counts().

The event log below is small enough to count by hand; the expected counts
are written out per service, period and measure.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from overdose_trends.errors import DataFormatError
from overdose_trends.io.kit_counts import aggregate_kits, read_kit_counts
from overdose_trends.io.kit_log import read_kit_log
from overdose_trends.schema import COUNT_COLUMNS, MEASURES
from tests.workbooks import write_workbook

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "overdose_trends" / "data"
AS_OF = "2020-01-01"
HEADER = ["event_date", "event_type", "kit_id", "service", "area_code", "supply_type"]
LOG = [
    ["2017-01-05", "issued", "K1", "A", "E06000033", "first"],
    ["2017-01-20", "issued", "K2", "A", "E06000033", "repeat"],
    ["2017-01-31", "returned_used", "K1", "A", "E06000033", ""],
    ["2017-03-01", "issued", "K3", "A", "E06000033", "first"],
    ["2017-03-15", "lost", "K2", "A", "E06000033", ""],
    ["2017-02-10", "issued", "K4", "B", "E06000033", ""],  # supply type unknown
    ["2017-02-28", "expired", "K4", "B", "E06000033", ""],
    ["2017-04-01", "issued", "K5", "B", "E06000033", "repeat"],
    ["2017-03-31", "issued", "K6", "C", "E10000020", "first"],
    ["2017-04-01", "returned_unused", "K6", "C", "E10000020", ""],
]
SHORT = {
    "kits_issued": "iss",
    "kits_first_supply": "first",
    "kits_repeat_supply": "rep",
    "kits_returned_used": "used",
    "kits_returned_unused": "unused",
    "kits_lost": "lost",
    "kits_expired": "exp",
}


@pytest.fixture
def events() -> pd.DataFrame:
    log = read_kit_log(pd.DataFrame(LOG, columns=HEADER), as_of=AS_OF)
    assert log.report.ok
    return log.events


def expected(rows: list[tuple]) -> dict:
    """(service, period_start, {short measure: n}) -> {(service, start, measure): n}, 0 default."""
    out = {}
    for service, start, counts in rows:
        for m in MEASURES:
            out[(service, pd.Timestamp(start), m)] = counts.get(SHORT[m], 0)
    return out


def as_dict(counts: pd.DataFrame) -> dict:
    return {(r.service, r.period_start, r.measure): int(r.value) for r in counts.itertuples()}


def test_monthly_counts_by_hand(events):
    counts = aggregate_kits(events, "month")
    assert list(counts.columns) == list(COUNT_COLUMNS)
    assert (counts["status"] == "exact").all()
    assert str(counts["value"].dtype) == "Int64"
    assert as_dict(counts) == expected(
        [
            ("A", "2017-01-01", {"iss": 2, "first": 1, "rep": 1, "used": 1}),
            ("A", "2017-02-01", {}),  # no events: explicit zeros
            ("A", "2017-03-01", {"iss": 1, "first": 1, "lost": 1}),
            ("B", "2017-02-01", {"iss": 1, "exp": 1}),  # unknown supply: neither first nor repeat
            ("B", "2017-03-01", {}),
            ("B", "2017-04-01", {"iss": 1, "rep": 1}),
            ("C", "2017-03-01", {"iss": 1, "first": 1}),
            ("C", "2017-04-01", {"unused": 1}),
        ]
    )
    a_feb = counts[(counts["service"] == "A") & (counts["period_start"] == "2017-02-01")]
    assert a_feb["period_end"].iloc[0] == pd.Timestamp("2017-02-28")
    assert counts.loc[counts["service"] == "C", "area_code"].unique().tolist() == ["E10000020"]


def test_quarterly_and_financial_year(events):
    quarters = aggregate_kits(events, "quarter")
    assert as_dict(quarters) == expected(
        [
            ("A", "2017-01-01", {"iss": 3, "first": 2, "rep": 1, "used": 1, "lost": 1}),
            ("B", "2017-01-01", {"iss": 1, "exp": 1}),
            ("B", "2017-04-01", {"iss": 1, "rep": 1}),
            ("C", "2017-01-01", {"iss": 1, "first": 1}),
            ("C", "2017-04-01", {"unused": 1}),
        ]
    )
    assert quarters["period_end"].max() == pd.Timestamp("2017-06-30")
    years = aggregate_kits(events, "financial_year")  # 31 March and 1 April fall in different years
    assert as_dict(years) == expected(
        [
            ("A", "2016-04-01", {"iss": 3, "first": 2, "rep": 1, "used": 1, "lost": 1}),
            ("B", "2016-04-01", {"iss": 1, "exp": 1}),
            ("B", "2017-04-01", {"iss": 1, "rep": 1}),
            ("C", "2016-04-01", {"iss": 1, "first": 1}),
            ("C", "2017-04-01", {"unused": 1}),
        ]
    )
    assert years.loc[years["period_start"] == "2016-04-01", "period_end"].iloc[0] == pd.Timestamp(
        "2017-03-31"
    )
    calendar = aggregate_kits(events, "year")
    assert calendar["period_start"].unique().tolist() == [pd.Timestamp("2017-01-01")]
    assert calendar["period_end"].unique().tolist() == [pd.Timestamp("2017-12-31")]


def test_service_totals(events):
    counts = aggregate_kits(events, "month", total=True)
    totals = counts[(counts["service"] == "all") & (counts["area_code"] == "E06000033")]
    assert as_dict(totals) == expected(
        [
            ("all", "2017-01-01", {"iss": 2, "first": 1, "rep": 1, "used": 1}),
            ("all", "2017-02-01", {"iss": 1, "exp": 1}),
            ("all", "2017-03-01", {"iss": 1, "first": 1, "lost": 1}),
            ("all", "2017-04-01", {"iss": 1, "rep": 1}),
        ]
    )
    # every total equals the sum of its services over the services' months
    parts = counts[counts["service"] != "all"]
    summed = parts.groupby(["area_code", "period_start", "measure"])["value"].sum()
    both = counts[counts["service"] == "all"].set_index(["area_code", "period_start", "measure"])
    assert (both["value"] == summed.reindex(both.index, fill_value=0)).all()


def test_by_area_only_and_other_breakdowns(events):
    by_area = aggregate_kits(events, "quarter", by=("area_code",))
    assert set(by_area["service"]) == {"all"}
    issued = by_area[by_area["measure"] == "kits_issued"].set_index(["area_code", "period_start"])
    assert issued["value"].to_dict() == {
        ("E06000033", pd.Timestamp("2017-01-01")): 4,
        ("E06000033", pd.Timestamp("2017-04-01")): 1,
        ("E10000020", pd.Timestamp("2017-01-01")): 1,
        ("E10000020", pd.Timestamp("2017-04-01")): 0,
    }
    by_supply = aggregate_kits(events, "year", by=("area_code", "supply_type"))
    assert list(by_supply.columns) == ["area_code", "service", "supply_type", *COUNT_COLUMNS[2:]]
    got = by_supply[by_supply["measure"] == "kits_issued"]
    got = got[got["area_code"] == "E06000033"].set_index("supply_type")["value"]
    assert got[got.index.notna()].to_dict() == {"first": 2, "repeat": 2, "unknown": 1}
    # returns have no supply type: they form their own (missing) group
    returns = by_supply[by_supply["supply_type"].isna() & (by_supply["area_code"] == "E06000033")]
    assert returns.set_index("measure")["value"].to_dict() == {
        "kits_issued": 0,
        "kits_first_supply": 0,
        "kits_repeat_supply": 0,
        "kits_returned_used": 1,
        "kits_returned_unused": 0,
        "kits_lost": 1,
        "kits_expired": 1,
    }


def test_start_and_end_widen_the_zero_filled_range(events):
    counts = aggregate_kits(
        events[events["service"] == "C"], "month", start="2017-01-15", end="2017-06-30"
    )
    months = counts["period_start"].drop_duplicates().dt.strftime("%Y-%m").tolist()
    assert months == ["2017-01", "2017-02", "2017-03", "2017-04", "2017-05", "2017-06"]
    assert counts["value"].sum() == 3  # issued, first supply, returned unused


def test_aggregate_rejects_bad_input(events):
    with pytest.raises(ValueError, match="freq"):
        aggregate_kits(events, "week")
    with pytest.raises(ValueError, match="by must be"):
        aggregate_kits(events, by=("kit_id",))
    with pytest.raises(ValueError, match="needs 'service'"):
        aggregate_kits(events, by=("area_code",), total=True)
    with pytest.raises(ValueError, match="lack column"):
        aggregate_kits(events.drop(columns="supply_type"))
    bad = events.copy()
    bad.loc[0, "event_type"] = "confiscated"
    with pytest.raises(ValueError, match="position 0 has event_type 'confiscated'"):
        aggregate_kits(bad)
    # a value that could identify a person is not echoed
    bad.loc[0, "event_type"] = "issued to Jacob Marley"
    with pytest.raises(ValueError, match="position 0 has event_type") as info:
        aggregate_kits(bad)
    assert "Marley" not in str(info.value)
    undated = events.copy()
    undated.loc[2, "event_date"] = pd.NaT
    with pytest.raises(ValueError, match="position 2 has no event_date"):
        aggregate_kits(undated)


def test_empty_log_gives_empty_counts(events):
    counts = aggregate_kits(events.iloc[:0])
    assert counts.empty and list(counts.columns) == list(COUNT_COLUMNS)


# --- read_kit_counts ------------------------------------------------------------------------


def write(tmp_path: Path, header: list, rows: list[list], fmt: str = "csv") -> Path:
    if fmt == "csv":
        path = tmp_path / "counts.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])
        return path
    return write_workbook(tmp_path / f"counts.{fmt}", {"Table 1": [header, *rows]}, fmt)


LONG = ["area_code", "service", "period", "measure", "value"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xls"])
def test_suppressed_markers_are_kept_not_zero(tmp_path, fmt):
    rows = [
        ["E06000033", "A", "2016-03", "kits_issued", 12],
        ["E06000033", "A", "2016-04", "kits_issued", "*"],
        ["E06000033", "A", "2016-05", "kits_issued", "c"],
        ["E06000033", "A", "2016-06", "kits_issued", "<5"],
        ["E06000033", "A", "2016-07", "kits_issued", ".."],
        ["E06000033", "A", "2016-08", "kits_issued", "[c]"],
        ["E06000033", "A", "2016-09", "kits_issued", "[x]"],
        ["E06000033", "A", "2016-10", "kits_issued", ""],
        ["E06000033", "A", "2016-11", "kits_issued", "1,234"],
        ["E06000033", "A", "2016-12", "kits_issued", 0],
    ]
    got = read_kit_counts(write(tmp_path, LONG, rows, fmt), as_of=AS_OF)
    r = got.report
    assert (r.n_input, r.n_loaded, r.n_rejected) == (10, 10, 0)
    c = got.counts
    assert list(c.columns) == list(COUNT_COLUMNS)
    assert c["status"].tolist() == ["exact"] + ["suppressed"] * 5 + ["not_reported"] * 2 + [
        "exact",
        "exact",
    ]
    assert c["value"].iloc[0] == 12 and c["value"].iloc[8] == 1234 and c["value"].iloc[9] == 0
    assert c["value"].iloc[1:8].isna().all()  # never coerced to 0
    blank = r.issues[r.issues["rule"] == "blank_count"]
    assert blank["row"].tolist() == [9] and blank["severity"].tolist() == ["warning"]


def test_csv_rows_are_records_after_a_multiline_comment(tmp_path):
    # csv.writer quotes the comment cell; each comment holds line breaks:
    #   record 1 header (line 1); record 2 value 12 (lines 2-3);
    #   record 3 value -3 (lines 4-6); record 4 value 5 (line 7)
    rows = [
        ["E06000033", "A", "2016-03", "kits_issued", 12, "revised\nafter audit"],
        ["E06000033", "A", "2016-04", "kits_issued", -3, "typed\nby\nhand"],
        ["E06000033", "A", "2016-05", "kits_issued", 5, ""],
    ]
    path = write(tmp_path, [*LONG, "comments"], rows)
    assert path.read_text(encoding="utf-8").count("\n") == 7  # 7 lines, 4 records
    r = read_kit_counts(path, as_of=AS_OF).report
    assert (r.n_input, r.n_loaded, r.n_rejected) == (3, 2, 1)
    assert r.errors["row"].tolist() == [3]
    assert r.errors["message"].iloc[0] == "row 3: value '-3' is negative"
    assert r.dropped_columns == {"comments": 2}
    assert any("numbered by CSV record" in n for n in r.notes)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_counts_rejected_with_row(tmp_path, fmt):
    rows = [
        ["E06000033", "A", "2016-03", "kits_issued", 12],
        ["E06000033", "A", "2016-04", "kits_issued", -3],
        ["E06000033", "A", "2016-05", "kits_issued", 2.5],
        ["E06000033", "A", "2016-06", "kits_issued", "-"],
        ["E06000033", "A", "2016-07", "kits_given", 4],
        ["E0600003", "A", "2016-08", "kits_issued", 4],
        ["E06000033", "A", "2016-03", "kits_issued", 13],  # same key as row 2
    ]
    got = read_kit_counts(write(tmp_path, LONG, rows, fmt), as_of=AS_OF)
    r = got.report
    assert (r.n_input, r.n_loaded, r.n_rejected) == (7, 1, 6)
    msg = r.errors.set_index("row")["message"]
    assert r.errors["row"].tolist() == [3, 4, 5, 6, 7, 8]
    assert msg[3] == "row 3: value '-3' is negative"
    assert msg[4].startswith("row 4: value '2.5' is not a whole number")
    assert "'-' is ambiguous" in msg[5]
    msg = r.errors.set_index("rule")["message"]
    assert msg["unknown_measure"].startswith("row 6: measure 'kits_given' is not one of")
    assert msg["invalid_area_code"].startswith("row 7: area_code 'E0600003'")
    assert msg["duplicate_count"] == (
        "row 8: same area, service, period and measure as row 2 (that row is kept)"
    )
    assert got.counts["value"].tolist() == [12]
    with pytest.raises(DataFormatError, match="6 of 7 rows rejected"):
        r.raise_if_errors()


def test_counts_report_summary_html_and_plot(tmp_path):
    rows = [
        ["E06000033", "A", "2016-03", "kits_issued", 12],
        ["E06000033", "A", "2016-04", "kits_issued", -3],
        ["E06000033", "A", "2016-05", "kits_issued", 2.5],
        ["E06000033", "A", "2016-06", "kits_issued", "-"],
        ["E0600003", "A", "2016-08", "kits_issued", 4],
        ["E06000033", "A", "2016-10", "kits_issued", ""],
    ]
    r = read_kit_counts(write(tmp_path, LONG, rows, "xlsx"), as_of=AS_OF).report
    table = r.summary()
    assert table[["severity", "rule", "column", "issues", "rows"]].values.tolist() == [
        ["error", "invalid_count", "value", 2, 2],
        ["error", "invalid_area_code", "area_code", 1, 1],
        ["error", "negative_count", "value", 1, 1],
        ["warning", "blank_count", "value", 1, 1],
    ]
    text = str(r)
    assert text.startswith("Counts table '") and "sheet 'Table 1': 6 rows read" in text
    page = r._repr_html_()
    assert page.startswith("<p><strong>Counts table ") and "sheet Table 1</strong>" in page
    assert "6 rows read, 2 loaded, 4 rejected (4 errors, 1 warnings)." in page
    assert "<td>negative_count</td>" in page and "is negative" not in page  # no messages
    ax = r.plot()
    assert ax.figure.texts[0].get_text() == "Validation of the counts table: 4 of 6 rows rejected"


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2016-03", "2016-03-01", "2016-03-31"),
        ("Mar 2016", "2016-03-01", "2016-03-31"),
        ("March 2016", "2016-03-01", "2016-03-31"),
        ("2016 Q1", "2016-01-01", "2016-03-31"),
        ("Q4 2016", "2016-10-01", "2016-12-31"),
        ("2016-Q2", "2016-04-01", "2016-06-30"),
        ("2016/17", "2016-04-01", "2017-03-31"),
        ("2016/2017", "2016-04-01", "2017-03-31"),
        ("2016/17 Q1", "2016-04-01", "2016-06-30"),
        ("2016/17 Q4", "2017-01-01", "2017-03-31"),
        ("2016", "2016-01-01", "2016-12-31"),
        ("2016-02-01", "2016-02-01", "2016-02-29"),
        ("01/02/2016", "2016-02-01", "2016-02-29"),
    ],
)
def test_period_labels(tmp_path, label, start, end):
    path = write(tmp_path, LONG, [["E06000033", "A", label, "issued", 5]])
    got = read_kit_counts(path, as_of=AS_OF)
    assert got.report.ok, str(got.report)
    row = got.counts.iloc[0]
    assert (row["period_start"], row["period_end"]) == (pd.Timestamp(start), pd.Timestamp(end))
    assert row["measure"] == "kits_issued"  # "issued" mapped and reported
    assert got.report.mapped_values["mapped_to"].tolist() == ["kits_issued"]


@pytest.mark.parametrize(
    ("label", "fragment"),
    [
        ("2016-13", "'2016-13' is not a valid period"),
        ("2016/18", "'2016/18' is not a valid period"),
        ("2016-03-15", "is a date but not the first day of a month"),
        ("spring 2016", "is not a period label"),
        ("Mar-16", "is not a period label"),
    ],
)
def test_bad_period_labels(tmp_path, label, fragment):
    got = read_kit_counts(
        write(tmp_path, LONG, [["E06000033", "A", label, "kits_issued", 5]]), as_of=AS_OF
    )
    assert got.report.n_rejected == 1
    issue = got.report.errors.iloc[0]
    assert issue["rule"] == "invalid_period" and issue["row"] == 2
    assert fragment in issue["message"]


def test_dates_as_quarters_with_freq(tmp_path):
    rows = [
        ["E06000033", "A", "2016-04-01", "kits_issued", 5],
        ["E06000033", "A", "2016-05-01", "kits_issued", 5],
    ]
    got = read_kit_counts(write(tmp_path, LONG, rows), freq="quarter", as_of=AS_OF)
    assert got.counts["period_end"].iloc[0] == pd.Timestamp("2016-06-30")
    assert "not the first day of a quarter" in got.report.errors["message"].iloc[0]
    assert any("read as the quarter starting" in n for n in got.report.notes)


def test_future_and_early_periods(tmp_path):
    rows = [
        ["E06000033", "A", "2020-02", "kits_issued", 5],
        ["E06000033", "A", "2015-09", "kits_issued", 5],
        ["S12000049", "A", "2015-09", "kits_issued", 5],
    ]
    r = read_kit_counts(write(tmp_path, LONG, rows), as_of=AS_OF).report
    assert r.errors[["row", "rule"]].values.tolist() == [[2, "future_date"]]
    assert r.warnings[["row", "rule"]].values.tolist() == [[3, "before_supply_start"]]


def test_wide_layout_with_mapping_and_status_and_totals(tmp_path):
    header = ["Area", "Service", "Month", "Kits issued", "Used", "status"]
    rows = [
        ["E06000033", "A", "2017-01", 10, 2, ""],
        ["E06000033", "B", "2017-01", 5, "*", ""],
        ["E06000033", "all", "2017-01", 16, 3, "exact"],  # 10 + 5 = 15, not 16
        ["E06000033", "A", "2017-02", 10, 2, "rounded"],
        ["E06000033", "B", "2017-02", 6, "*", "exact"],  # marker contradicts status
    ]
    mapping = {"Area": "area_code", "Month": "period", "Used": "kits_returned_used"}
    got = read_kit_counts(write(tmp_path, header, rows), mapping, as_of=AS_OF)
    r = got.report
    assert (r.n_input, r.n_loaded, r.n_rejected) == (5, 4, 1)
    assert r.errors[["row", "rule"]].values.tolist() == [[6, "status_conflict"]]
    mismatch = r.warnings[r.warnings["rule"] == "total_mismatch"]
    assert mismatch["row"].tolist() == [4]
    assert (
        "total 16 for kits_issued differs from the sum of the services (15)"
        in (mismatch["message"].iloc[0])
    )
    c = got.counts.set_index(["service", "period_start", "measure"])
    jan = pd.Timestamp("2017-01-01")
    assert c.loc[("A", jan, "kits_issued"), "value"] == 10
    assert c.loc[("B", jan, "kits_returned_used"), "status"] == "suppressed"
    assert c.loc[("A", pd.Timestamp("2017-02-01"), "kits_issued"), "status"] == "rounded"
    assert len(got.counts) == 8  # 4 rows x 2 measures


def test_period_start_without_end_uses_freq(tmp_path):
    header = ["area_code", "period_start", "measure", "value"]
    rows = [
        ["E06000033", "2016-04-01", "kits_issued", 60],
        ["E06000033", "2016-05-01", "kits_issued", 60],
    ]
    got = read_kit_counts(write(tmp_path, header, rows), freq="quarter", as_of=AS_OF)
    assert got.counts["period_end"].tolist() == [pd.Timestamp("2016-06-30")]
    assert got.report.errors["message"].tolist() == [
        "row 3: period_start is not the first day of a quarter "
        "(date not shown: a full date could be personal data)"
    ]
    assert "2016-05-01" not in got.report.errors.to_string()


def test_period_start_and_end_columns(tmp_path):
    header = ["area_code", "period_start", "period_end", "measure", "value"]
    rows = [
        ["E06000033", "01/04/2016", "31/03/2017", "kits_issued", 250],
        ["E06000033", "01/04/2017", "31/03/2017", "kits_issued", 250],
    ]
    got = read_kit_counts(write(tmp_path, header, rows), as_of=AS_OF)
    assert got.counts["period_end"].iloc[0] == pd.Timestamp("2017-03-31")
    assert got.counts["service"].iloc[0] == "all"
    assert "is before period_start" in got.report.errors["message"].iloc[0]
    assert any("No service column" in n for n in got.report.notes)


def test_layout_errors(tmp_path):
    with pytest.raises(DataFormatError, match="no period"):
        read_kit_counts(write(tmp_path, ["area_code", "measure", "value"], [["E06000033", "x", 1]]))
    with pytest.raises(DataFormatError, match="both long"):
        read_kit_counts(
            write(tmp_path, [*LONG, "kits_lost"], [["E06000033", "A", "2016", "x", 1, 1]])
        )
    with pytest.raises(DataFormatError, match="read_kit_log"):
        read_kit_counts(write(tmp_path, ["event_date", "area_code", "service"], [["x", "y", "z"]]))


def test_shipped_monthly_counts_match_the_shipped_log():
    log = read_kit_log(DATA / "synthetic_naloxone_kits_southend_norfolk.csv")
    published = read_kit_counts(DATA / "synthetic_naloxone_kits_monthly.csv")
    assert published.report.issues.empty, str(published.report)
    rebuilt = aggregate_kits(log.events, "month", total=True)
    pd.testing.assert_frame_equal(published.counts, rebuilt)
    # documented: Norfolk (E10000020) issued 3,981 kits, 383 returned used (9.6%)
    norfolk = rebuilt[(rebuilt["area_code"] == "E10000020") & (rebuilt["service"] == "all")]
    totals = norfolk.groupby("measure")["value"].sum()
    assert (totals["kits_issued"], totals["kits_returned_used"]) == (3981, 383)


# --- the dense tally: group numbers follow a sorted groupby, missing keys last -----------------


@pytest.mark.parametrize(
    "by",
    [("area_code",), ("area_code", "service"), ("service", "supply_type", "product"), ()],
)
def test_tally_groups_match_a_sorted_groupby(by):
    # an independent count with pandas' groupby on the same events (supply_type has missing
    # values, which a sorted groupby with dropna=False puts last)
    events = read_kit_log(DATA / "synthetic_naloxone_kits_southend_norfolk.csv", as_of=AS_OF).events
    counts = aggregate_kits(events, "quarter", by=by, total="service" in by)
    issued = events[events["event_type"] == "issued"]
    quarter = issued["event_date"].dt.to_period("Q").dt.start_time
    keys = [issued[c] for c in by] if by else [pd.Series("all", index=issued.index)]
    expected = issued.groupby([*keys, quarter], dropna=False).size()
    got = counts[(counts["measure"] == "kits_issued") & (counts["value"] > 0)]
    if "service" in by:
        got = got[got["service"] != "all"]
    got_keys = [got[c] for c in by] if by else [pd.Series("all", index=got.index)]
    got = got.set_index([*got_keys, got["period_start"]])["value"].astype("int64")
    assert got.tolist() == expected.tolist()  # same groups, same sorted order
    assert list(got.index) == list(expected.index)
    if "service" in by:  # totals over services: the sum of the services' counts
        rest = [c for c in by if c != "service"]
        tot = counts[(counts["service"] == "all") & (counts["measure"] == "kits_issued")]
        by_service = counts[(counts["service"] != "all") & (counts["measure"] == "kits_issued")]
        a = tot.groupby([*rest, "period_start"], dropna=False)["value"].sum()
        b = by_service.groupby([*rest, "period_start"], dropna=False)["value"].sum()
        pd.testing.assert_series_equal(a, b.loc[a.index])
