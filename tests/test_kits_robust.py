"""Tests for the kit loaders on malformed input (issue #15 items 1, 2, 3 and 6, kit parts).

Short and truncated rows, duplicate rows without an id, blank (NaN, uncached
formula) doses, impossible counts, directories, values that must not be echoed
and header cells that hold data. Every fixture is written in the test.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overdose_trends.errors import DataFormatError
from overdose_trends.io.kit_counts import read_kit_counts
from overdose_trends.io.kit_log import KitLog, read_kit_log
from tests.workbooks import write_workbook

AS_OF = "2020-01-01"
HEADER = ["event_date", "event_type", "kit_id", "service", "area_code", "product", "doses"]
GOOD = [
    ["2016-03-14", "issued", "K1", "STARS", "E06000033", "injectable", "5"],
    ["2016-09-02", "returned_used", "K1", "STARS", "E06000033", "injectable", "5"],
    ["2016-09-02", "issued", "K2", "STARS", "E06000033", "nasal", "2"],
]


def write_csv(tmp_path: Path, rows: list[list], header=HEADER, name="log.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def rule_rows(log: KitLog, rule: str) -> list[int]:
    issues = log.report.issues
    return issues.loc[issues["rule"] == rule, "row"].astype(int).tolist()


def everything(log) -> str:
    """Every text the caller can see: frames, report text, summary, issues."""
    r = log.report
    frame = log.events if isinstance(log, KitLog) else log.counts
    texts = [str(r), repr(r), repr(log), r._repr_html_(), r.summary().to_csv()]
    texts += [frame.to_csv(), r.issues.to_csv(), r.mapped_values.to_csv(), *r.notes]
    return "\n".join(texts)


# --- short rows and truncated files ---------------------------------------------------------


def test_short_row_is_an_error_with_its_row(tmp_path):
    path = write_csv(tmp_path, [*GOOD[:2], GOOD[2][:4]])
    with pytest.raises(DataFormatError, match=r"row 4.*fewer cells than the header \(7\)"):
        read_kit_log(path, as_of=AS_OF)


def test_truncated_last_record_is_an_error(tmp_path):
    path = write_csv(tmp_path, GOOD)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"E06000033")])  # cut inside the last row
    with pytest.raises(DataFormatError, match=r"row 4.*truncated"):
        read_kit_log(path, as_of=AS_OF)


def test_short_row_in_a_quoted_file_is_found_too(tmp_path):
    path = tmp_path / "log.csv"
    lines = [",".join(HEADER), '2016-03-14,issued,"K1",STARS,E06000033,injectable,5', "x,y"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"row 3"):
        read_kit_log(path, as_of=AS_OF)


def test_blank_lines_are_not_short_rows(tmp_path):
    path = tmp_path / "log.csv"
    lines = [",".join(HEADER), ",".join(GOOD[0]), "", "   ", ",".join(GOOD[2])]
    path.write_text("\n".join(lines), encoding="utf-8")  # no final newline
    log = read_kit_log(path, as_of=AS_OF)
    assert (log.report.n_input, log.report.n_loaded) == (2, 2)


def test_numeric_kit_ids_keep_their_text(tmp_path):
    rows = [["2016-03-14", "issued", "007", "STARS", "E06000033", "nasal", "2"]]
    log = read_kit_log(write_csv(tmp_path, rows), as_of=AS_OF)
    assert log.events["kit_id"].tolist() == ["007"]


def test_directory_is_a_clear_error(tmp_path):
    with pytest.raises(DataFormatError, match="is a directory"):
        read_kit_log(tmp_path, as_of=AS_OF)
    with pytest.raises(DataFormatError, match="is a directory"):
        read_kit_counts(tmp_path)


# --- duplicates -------------------------------------------------------------------------------


def test_duplicate_rows_without_an_id_are_kept_with_a_warning():
    # two kits issued on one day by one service look alike when the log has no kit_id
    header = ["event_date", "event_type", "service", "area_code"]
    rows = [["2016-03-14", "issued", "STARS", "E06000033"]] * 2
    log = read_kit_log(pd.DataFrame(rows, columns=header), as_of=AS_OF)
    assert (log.report.n_loaded, log.report.n_rejected) == (2, 0)
    dup = log.report.issues[log.report.issues["rule"] == "duplicate_row"]
    assert dup["severity"].tolist() == ["warning"] and dup["row"].tolist() == [3]


def test_duplicate_rows_with_a_kit_id_are_rejected():
    log = read_kit_log(pd.DataFrame([GOOD[0], GOOD[0]], columns=HEADER), as_of=AS_OF)
    assert (log.report.n_loaded, log.report.n_rejected) == (1, 1)
    assert log.report.errors["rule"].tolist() == ["duplicate_row"]


# --- doses and counts -------------------------------------------------------------------------


def test_nan_doses_are_flagged_on_the_row_not_silently_filled():
    frame = pd.DataFrame([GOOD[0], GOOD[2]], columns=HEADER)
    frame["doses"] = [np.nan, 2.0]  # NaN, as pandas gives for an uncached formula
    log = read_kit_log(frame, as_of=AS_OF)
    assert log.events["doses"].tolist() == [5, 2]
    assert rule_rows(log, "default_doses") == [2]
    issue = log.report.warnings.query("rule == 'default_doses'").iloc[0]
    assert "set to 5 from the product" in issue["message"]


@pytest.mark.parametrize("doses", ["99999999999999999999", "1e308", 1e308, 1e20])
def test_huge_doses_never_wrap(doses):
    frame = pd.DataFrame([GOOD[0]], columns=HEADER)
    frame["doses"] = [doses]
    log = read_kit_log(frame, as_of=AS_OF)
    if log.report.n_loaded:
        assert log.events["doses"].isna().all()  # kept as missing, never -9.2e18
    assert not (log.report.issues["rule"] == "").any()


COUNTS_HEADER = ["area_code", "period", "kits_issued"]


@pytest.mark.parametrize("value", ["99999999999999999999", 1e20, 1e308, "1e308"])
def test_huge_counts_are_rejected_with_their_row(value):
    table = pd.DataFrame(
        [["E06000033", "2016 Q1", 12], ["E06000033", "2016 Q2", value]],
        columns=COUNTS_HEADER,
        dtype=object,
    )
    out = read_kit_counts(table)
    assert out.report.n_rejected == 1
    bad = out.report.errors.iloc[0]
    assert (bad["row"], bad["rule"]) == (3, "invalid_count")
    assert out.counts["value"].tolist() == [12]
    assert (out.counts["value"].dropna() >= 0).all()


def test_huge_count_in_csv_is_rejected(tmp_path):
    path = write_csv(
        tmp_path,
        [["E06000033", "2016 Q1", "99999999999999999999"]],
        header=COUNTS_HEADER,
        name="counts.csv",
    )
    out = read_kit_counts(path)
    assert out.report.errors["row"].tolist() == [2]
    with pytest.raises(DataFormatError, match="row 2"):
        out.report.raise_if_errors()


# --- privacy of messages ------------------------------------------------------------------------


def test_rejected_values_are_not_echoed():
    rows = [
        ["2016-03-14", "issued to Jacob Marley", "K1", "STARS", "E06000033", "nasal", "2"],
        ["12 March 1985", "issued", "K2", "STARS", "E06000033", "nasal", "2"],
        ["DOB 12/03/1985", "issued", "K3", "STARS", "E06000033", "nasal", "2"],
        ["2016-03-14", "issued", "K4", "STARS", "Jacob Marley", "nasal", "2"],
        ["2016-03-14", "issued", "K5", "STARS", "E06000033", "mother of Ann Smith", "2"],
        ["2016-03-14", "issued", "K6", "STARS", "E06000033", "nasal", "Ann"],
        ["2016-03-14", "issued", "K7", "mother of Ann Smith", "E06000033", "nasal", "2"],
        ["2016-03-14", "issued", "Jacob 1985-03-12", "STARS", "E06000033", "nasal", "2"],
        ["2016-03-14", "confiscated", "K8", "STARS", "E06000033", "nasal", "2"],
    ]
    log = read_kit_log(pd.DataFrame(rows, columns=HEADER), as_of=AS_OF)
    blob = everything(log)
    for secret in ("Jacob", "Marley", "1985", "Ann", "Smith", "mother"):
        assert secret not in blob, secret
    # a value of the field's own shape is still shown, so the analyst can map it
    assert "event_type 'confiscated' is not one of" in blob
    assert rule_rows(log, "implausible_date") == [3]
    assert rule_rows(log, "invalid_date") == [4]
    assert sorted(rule_rows(log, "personal_data")) == [8, 9]


def test_header_cells_holding_data_are_not_printed(tmp_path):
    # header_row points at a data row: the "headers" are a date, a name and an NHS number
    rows = [["2016-03-14", "Jacob Marley", "943 476 5919", "STARS", "E06000033"]]
    path = write_csv(tmp_path, rows, header=["title"] * 5)
    with pytest.raises(DataFormatError) as err:
        read_kit_log(path, header_row=2, as_of=AS_OF)
    text = str(err.value)
    assert "Jacob" not in text and "2016-03-14" not in text and "5919" not in text
    assert "(column B, header not shown)" in text


def test_counts_do_not_echo_rejected_values():
    table = pd.DataFrame(
        {
            "area_code": ["E06000033", "Jacob Marley", "E06000033"],
            "period": ["2016 Q1", "2016 Q2", "born 12/03/1985"],
            "service": ["STARS", "STARS", "STARS"],
            "kits_issued": ["12", "3", "mother of Ann"],
        }
    )
    out = read_kit_counts(table)
    blob = everything(out)
    for secret in ("Jacob", "Marley", "1985", "Ann", "mother"):
        assert secret not in blob, secret
    assert out.report.n_rejected == 2


def test_a_five_megabyte_cell_is_handled_quickly():
    frame = pd.DataFrame([GOOD[0]], columns=HEADER)
    frame["service"] = ["x@" * 2_500_000]
    start = time.perf_counter()
    log = read_kit_log(frame, as_of=AS_OF)
    assert time.perf_counter() - start < 2.0
    assert rule_rows(log, "personal_data") == [2]
    assert log.report.n_loaded == 0  # a blanked service rejects the row


def test_workbook_short_row_reads_as_blank_cells(tmp_path):
    # a sheet is a grid: a short row's missing cells are blank cells, named by the rules
    path = write_workbook(tmp_path / "log.xlsx", {"Kits": [HEADER, GOOD[0], GOOD[2][:3]]}, "xlsx")
    log = read_kit_log(path, as_of=AS_OF)
    assert rule_rows(log, "blank_required") == [3, 3]
