"""No silent loss in read_local_authority (issue #15 item 1 for the local-authority reader).

Each defect found by the fuzz and attack runs is reproduced on a small workbook
built here: the reader must raise a DataFormatError naming the sheet (and the cell
where there is one), or load exactly what the undamaged control loads.
"""

from __future__ import annotations

import copy
import random

import pandas as pd
import pytest

from overdose_trends import DataFormatError
from overdose_trends.io.ons_local import read_local_authority
from tests.workbooks import la_accessible_sheets, la_old_sheets, write_workbook

# Old layout (la_old_sheets): Table 3 rows 1-6 are title/header, row 7 is the first
# area (England), columns E.. hold Deaths | Rate | marker | LCL | UCL | spacer per period.
FIRST = 6  # 0-based index of the first area row in Table 1..8
SOUTHEND = FIRST + 1  # Southend-on-Sea (E06000033), 3-year counts >= 20


def _old(tmp_path, sheets=None, fmt="xls", name="la", **kw):
    sheets = la_old_sheets() if sheets is None else sheets
    return write_workbook(tmp_path / f"{name}.{fmt}", sheets, fmt=fmt, **kw)


def _raises(path, *, sheet, row=None, column=None, match=None):
    with pytest.raises(DataFormatError, match=match) as exc:
        read_local_authority(path)
    err = exc.value
    assert err.sheet == sheet, str(err)
    if row is not None:
        assert err.row == row, str(err)
    if column is not None:
        assert err.column == column, str(err)
    return err


def test_control_loads_every_table(tmp_path):
    df = read_local_authority(_old(tmp_path))
    assert sorted(df["sheet"].unique()) == [f"Table {n}" for n in range(1, 9)]
    assert df.attrs["area_differences"] == []
    assert len(df) == 2 * 11 * 19 + 6 * 11 * 17


# --- tables that vanish -------------------------------------------------------------------


def test_title_cleared_uses_contents_description(tmp_path):
    control = read_local_authority(_old(tmp_path, name="control"))
    sheets = la_old_sheets()
    sheets["Table 4"][1] = [""]  # title cell cleared: Contents still describes Table 4 (males)
    df = read_local_authority(_old(tmp_path, sheets))
    pd.testing.assert_frame_equal(df, control)


def test_title_cleared_without_contents_raises(tmp_path):
    sheets = la_old_sheets()
    sheets["Contents"] = sheets["Contents"][:1]
    sheets["Table 4"][1] = [""]
    _raises(_old(tmp_path, sheets), sheet="Table 4", match="title")


def test_title_without_measure_is_not_skipped(tmp_path):
    sheets = la_old_sheets()
    sheets["Contents"] = sheets["Contents"][:1]
    sheets["Table 5"][1] = ["Figures by local authority, England and Wales"]
    _raises(_old(tmp_path, sheets), sheet="Table 5", match="neither")


def test_area_codes_column_removed(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 3"] = [row[1:] for row in sheets["Table 3"]]
    _raises(_old(tmp_path, sheets), sheet="Table 3", match="Area code")


def test_sheet_emptied(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 6"] = [[""]]
    _raises(_old(tmp_path, sheets), sheet="Table 6", match="empty")


def test_data_stop_before_footnotes(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 7"] = sheets["Table 7"][: FIRST + 5]  # 5 of 11 areas, no footnotes
    _raises(_old(tmp_path, sheets), sheet="Table 7", row=FIRST + 5, match="footnotes")


def test_accessible_table_cut_short(tmp_path):
    sheets = la_accessible_sheets()
    sheets["Table_5"] = sheets["Table_5"][:7]  # title, note, header and 4 of 9 areas
    path = write_workbook(tmp_path / "cut.xlsx", sheets)
    _raises(path, sheet="Table_5", row=7, match="stops after 4 of the 9 areas")


def test_area_missing_from_one_table_of_a_kind(tmp_path):
    sheets = la_old_sheets()
    del sheets["Table 5"][SOUTHEND + 2]  # one area fewer than the other 3-year tables
    _raises(_old(tmp_path, sheets), sheet="Table 5", match="lists 10 of the 11 areas")


def test_different_area_lists_across_kinds_are_reported(tmp_path):
    sheets = la_old_sheets()
    for table in ("Table 1", "Table 2"):  # single-year tables without one area
        del sheets[table][FIRST + 3]
    with pytest.warns(UserWarning, match="do not cover the same areas: 10 areas in Table 1"):
        df = read_local_authority(_old(tmp_path, sheets))
    assert "11 areas in Table 3, Table 4" in " ".join(df.attrs["area_differences"])


@pytest.mark.parametrize("seed", range(6))
def test_random_damage_raises_or_loads_identically(tmp_path, seed):
    # 4 KiB overwritten at a random offset (the fuzz run's damage); the BIFF stream can
    # then be read part-way: never a silent shortfall.
    control = read_local_authority(_old(tmp_path, name="control"))
    data = bytearray(_old(tmp_path, name="base").read_bytes())
    rng = random.Random(seed)
    start = rng.randrange(0, len(data) - 4096)
    data[start : start + 4096] = rng.randbytes(4096)
    bad = tmp_path / "damaged.xls"
    bad.write_bytes(bytes(data))
    try:
        df = read_local_authority(bad)
    except DataFormatError:
        return
    pd.testing.assert_frame_equal(df, control)


# --- cells that vanish ---------------------------------------------------------------------


def _xlsx_with(tmp_path, sheet, row, col, value, **kw):
    sheets = la_old_sheets()
    sheets[sheet][row][col] = value
    return _old(tmp_path, sheets, fmt="xlsx", **kw)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("", "blank cell"),
        ("#REF!", "blank cell"),  # an Excel error cell
        ("#N/A", "blank cell"),
        ("=E7+1", "blank cell"),  # a formula saved without its value
    ],
)
def test_blank_count_in_three_year_table(tmp_path, value, match):
    path = _xlsx_with(tmp_path, "Table 3", SOUTHEND, 4, value)
    _raises(path, sheet="Table 3", row=SOUTHEND + 1, column="E", match=match)


def test_blank_count_in_single_year_table(tmp_path):
    path = _xlsx_with(tmp_path, "Table 1", SOUTHEND, 7, "")
    _raises(path, sheet="Table 1", row=SOUTHEND + 1, column="H", match="blank cell")


def test_blank_rate_beside_its_limits(tmp_path):
    path = _xlsx_with(tmp_path, "Table 3", SOUTHEND, 5, "")
    _raises(path, sheet="Table 3", row=SOUTHEND + 1, column="F", match="blank cell")


def test_merged_count_cell(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 3"][SOUTHEND][5] = ""
    path = _old(tmp_path, sheets, fmt="xlsx", merged={"Table 3": ["E8:F8"]})
    _raises(path, sheet="Table 3", row=SOUTHEND + 1, column="F", match="merged cell")


def test_infinite_count_cell(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 3"][SOUTHEND][4] = float("inf")
    _raises(_old(tmp_path, sheets), sheet="Table 3", row=SOUTHEND + 1, column="E", match="finite")


@pytest.mark.parametrize(
    ("col", "value", "match"),
    [
        (5, -7.7, "rate must not be negative"),
        (5, "NaN", "expected a number"),
        (5, "inf", "expected a number"),
        (7, 99.0, "lcl 99.0 is above rate"),
        (8, 0.5, "rate .* is above ucl 0.5"),
    ],
)
def test_impossible_rates_and_limits(tmp_path, col, value, match):
    path = _xlsx_with(tmp_path, "Table 3", SOUTHEND, col, value)
    err = _raises(path, sheet="Table 3", row=SOUTHEND + 1, match=match)
    assert err.column in {"F", "H"}


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("5.000,0", "expected a number"),
        ("1_000", "expected a number"),
        (1e20, "at most 2\\*\\*53"),
        (2**53 + 2, "at most 2\\*\\*53"),
        ("12 500", "expected a number"),
    ],
)
def test_one_number_notation_and_exact_counts(tmp_path, value, match):
    path = _xlsx_with(tmp_path, "Table 1", SOUTHEND, 5, value)
    _raises(path, sheet="Table 1", row=SOUTHEND + 1, column="F", match=match)


def test_thousands_separator_is_read(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 1"][FIRST][4] = "{:,}".format(sheets["Table 1"][FIRST][4])  # England
    df = read_local_authority(_old(tmp_path, sheets, fmt="xlsx"))
    control = read_local_authority(_old(tmp_path, fmt="xlsx", name="control"))
    pd.testing.assert_frame_equal(df, control)


def test_two_year_header_in_single_year_table(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 1"][3][5] = "2018-19"
    _raises(_old(tmp_path, sheets), sheet="Table 1", column="F", match="single-year table")


def test_period_of_another_length_in_long_table(tmp_path):
    sheets = la_accessible_sheets()
    sheets["Table_10"][4][2] = "2022-23"
    path = write_workbook(tmp_path / "acc.xlsx", sheets)
    _raises(path, sheet="Table_10", row=5, column="C", match="spans 2 years")


@pytest.mark.parametrize("hidden", [False, True])
def test_same_table_on_two_sheets(tmp_path, hidden):
    sheets = la_old_sheets()
    sheets["Copy"] = copy.deepcopy(sheets["Table 6"])
    path = _old(tmp_path, sheets, fmt="xlsx", hidden=["Copy"] if hidden else [])
    err = _raises(path, sheet="Copy", match="same table is on two sheets.*'Table 6'")
    assert ("hidden" in str(err)) is hidden


def test_duplicate_row_within_a_sheet(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 8"].insert(SOUTHEND + 1, list(sheets["Table 8"][SOUTHEND]))
    _raises(_old(tmp_path, sheets), sheet="Table 8", row=SOUTHEND + 2, column="A", match="dup")


def test_heading_rows_and_unpublished_periods_stay_not_available(tmp_path):
    # metropolitan-county rows of the 2019 edition: no figures at all, or none in some periods
    sheets = la_old_sheets()
    row = sheets["Table 3"][SOUTHEND]
    row[4:10] = [""] * 6  # the latest period not published for this area
    df = read_local_authority(_old(tmp_path, sheets))
    s = df[(df.sheet == "Table 3") & (df.area_code == "E06000033") & (df.period_end == 2019)]
    assert len(s) == 1 and pd.isna(s.deaths.iloc[0]) and s.rate_status.iloc[0] == "not_available"


# --- columns that vanish (fuzz cases la*-remove-value-column-*) ------------------------------


def _drop_column(rows, col):
    return [[v for j, v in enumerate(row) if j != col] for row in rows]


# Old layout, Table 3: period blocks of 6 columns from E (Deaths | Rate | marker | Lower |
# Upper | spacer), newest first: block 3 (AA..) is 2014-16. Header row 4 holds the periods.
@pytest.mark.parametrize(
    ("offset", "match"),
    [
        (3, "the 2014-2016 columns have no lower confidence limit column"),
        (4, "the 2014-2016 columns have no upper confidence limit column"),
    ],
)
def test_limit_column_removed_from_old_three_year_table(tmp_path, offset, match):
    sheets = la_old_sheets()
    sheets["Table 8"] = _drop_column(sheets["Table 8"], 4 + 6 * 3 + offset)
    # named at the block's first column (its Deaths, W) in the header row
    _raises(_old(tmp_path, sheets), sheet="Table 8", row=4, column="W", match=match)


# Accessible layout, Table_3..8: 5 columns per period from C (Number of deaths | Rate |
# Rate marker | Lower | Upper), newest first: the second block (H..L) is 2020 to 2022.
@pytest.mark.parametrize(
    ("offset", "match"),
    [
        (0, "no number of deaths column: a rate is published with"),
        (1, "no rate column: a rate is published with"),
        (2, "no rate marker column although the table's other periods have one"),
        (3, "no lower confidence limit column: a rate is published with"),
        (4, "no upper confidence limit column"),
    ],
)
def test_value_column_removed_from_accessible_three_year_table(tmp_path, offset, match):
    sheets = la_accessible_sheets(2023, extra_tables=False)
    sheets["Table_4"] = _drop_column(sheets["Table_4"], 2 + 5 + offset)
    path = write_workbook(tmp_path / "acc.xlsx", sheets)
    err = _raises(path, sheet="Table_4", row=3, column="H", match=match)
    assert "2020-2022 columns" in str(err)


def test_rate_without_limits_in_a_long_table(tmp_path):
    # a long table (a period column) whose rate has no confidence limits: never "ok" NaNs
    sheets = la_accessible_sheets()
    head = ["Area code", "Area name", "Registration period", "Sex", "Number of deaths"]
    assert sheets["Table_10"][2] == head
    sheets["Table_10"][2] = [*head, "Age-standardised rate per 100,000"]
    for row in sheets["Table_10"][3:]:
        row.append(5.0)
    path = write_workbook(tmp_path / "acc.xlsx", sheets)
    _raises(
        path,
        sheet="Table_10",
        row=3,
        match="the table has no lower confidence limit and upper confidence limit column",
    )


def test_year_column_removed_from_single_year_table(tmp_path):
    # Table 2 years 2019..2001 from E; 2017 is column G: the years then jump 2018 -> 2016
    sheets = la_old_sheets()
    sheets["Table 2"] = _drop_column(sheets["Table 2"], 6)
    _raises(
        _old(tmp_path, sheets),
        sheet="Table 2",
        row=4,
        column="G",
        match="no column for 2017 between 2016 and 2018",
    )


def test_latest_year_column_removed(tmp_path):
    sheets = la_old_sheets()
    sheets["Table 2"] = _drop_column(sheets["Table 2"], 4)  # 2019
    _raises(
        _old(tmp_path, sheets),
        sheet="Table 2",
        match="latest period is 2018 but 'Table 1'.*goes to 2019: no column for 2019",
    )


def test_oldest_year_column_removed_is_reported(tmp_path):
    # a table may start later than the others (or have lost its oldest column): the loaded
    # figures are the control's without that year, and the difference is reported
    control = read_local_authority(_old(tmp_path, name="control"))
    sheets = la_old_sheets()
    sheets["Table 2"] = _drop_column(sheets["Table 2"], 4 + 18)  # 2001, the last column
    with pytest.warns(UserWarning, match="do not cover the same periods: Table 2 starts at 2002"):
        df = read_local_authority(_old(tmp_path, sheets))
    assert df.attrs["period_differences"] == [
        "Table 2 starts at 2002, without 1 earlier period(s) of the other 1-year tables "
        "(2001 to 2001)"
    ]
    lost = (control["sheet"] == "Table 2") & (control["period_start"] == 2001)
    expected = control[~lost].reset_index(drop=True)
    pd.testing.assert_frame_equal(df.reset_index(drop=True), expected)


def test_sex_missing_a_period_in_a_wide_table(tmp_path):
    # one table, single years by sex: the females columns lack 2018
    sheets = la_accessible_sheets(2023, extra_tables=False)
    codes = [row[:2] for row in sheets["Table_1"][3:]]
    sheets["Table_1"][2:] = [
        ["Area code", "Area name", "2019 Males", "2018 Males", "2019 Females"],
        *[[*c, 5, 6, 7] for c in codes],
    ]
    sheets = {k: v for k, v in sheets.items() if k in ("Cover", "Contents", "Notes", "Table_1")}
    sheets["Contents"] = sheets["Contents"][:2]
    path = write_workbook(tmp_path / "acc.xlsx", sheets)
    _raises(path, sheet="Table_1", row=3, column="E", match="the females columns have no 2018")


def test_published_layouts_have_no_period_differences():
    from overdose_trends.io import datasets

    path = datasets.data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx"
    with pytest.warns(UserWarning, match="same areas") as caught:
        df = read_local_authority(path)
    assert df.attrs["period_differences"] == []
    assert not [w for w in caught if "periods" in str(w.message)]
