"""Tests for overdose_trends.io.ons_local.read_local_authority and check_consistency.

Fixture workbooks are written by the tests in both ONS layouts; their numbers
are typed from the real 2019 edition (ONS, "Deaths related to drug poisoning by
local authority, England and Wales, 1993 to 2019", Tables 1 and 3). Tests that
read the real file skip when ../shared is absent.
"""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from overdose_trends import DataFormatError
from overdose_trends.io._workbook import period_of_cell as parse_period
from overdose_trends.io.ons_local import check_consistency, read_local_authority
from overdose_trends.schema import DEATHS_COLUMNS
from tests.workbooks import write_workbook

EN = "\u2013"  # en dash, as in ONS period labels "2013–15"

# ---------------------------------------------------------------------------
# Older layout (editions to 2021): "Area Codes" header, name columns B/C/D,
# 6-column period blocks Deaths | Rate | marker | LCL | UCL | spacer.
# ---------------------------------------------------------------------------


def _old_table3(
    title: str = "Number of deaths and age-standardised mortality rate for deaths "
    "related to drug poisoning, persons by local authority, England and Wales, "
    "deaths registered between 2001 and 2019 1,2,3",
) -> list[list]:
    fields = ["Deaths", "Rate 1", "", "Lower Confidence Limit 2", "Upper Confidence Limit 2", ""]
    periods = [f"2016{EN}18", f"2015{EN}17", f"2013{EN}15"]
    head = ["Area Codes", "Area Names", "", ""]
    for p in periods:
        head += [p, "", "", "", "", ""]
    sub = ["", "", "", ""] + fields * len(periods)
    return [
        ["Back to contents"],
        [title],
        [],
        head,
        sub,
        [],
        [
            "E92000001",
            "ENGLAND",
            "",
            "",
            10915,
            6.7,
            "",
            6.6,
            6.9,
            "",
            10348,
            6.4,
            "",
            6.3,
            6.5,
            "",
            9306,
            5.8,
            "",
            5.7,
            6.0,
            "",
        ],
        [],
        [
            "E12000006",
            "EAST ",
            "",
            "",
            1059,
            5.9,
            "",
            5.6,
            6.3,
            "",
            958,
            5.4,
            "",
            5.0,
            5.7,
            "",
            885,
            5.0,
            "",
            4.7,
            5.4,
            "",
        ],
        ["", " "],
        [
            "E06000033",
            "",
            "Southend-on-Sea",
            "",
            32,
            5.8,
            "",
            4.0,
            8.3,
            "",
            32,
            5.9,
            "",
            4.0,
            8.3,
            "",
            47,
            8.8,
            "",
            6.5,
            11.7,
            "",
        ],
        [
            "E06000017",
            "",
            "Rutland",
            "",
            1,
            ":",
            "",
            ":",
            ":",
            "",
            2,
            ":",
            "",
            ":",
            ":",
            "",
            3,
            ":",
            "",
            ":",
            ":",
            "",
        ],
        [
            "E06000005",
            "",
            "Darlington",
            "",
            26,
            8.5,
            "",
            5.5,
            12.5,
            "",
            19,
            6.1,
            "U",
            3.7,
            9.5,
            "",
            19,
            6.0,
            "U",
            3.6,
            9.4,
            "",
        ],
        [],
        ["E11000007", "", "Tyne and Wear (Met County)", ""],
        [
            "E10000020",
            "",
            "Norfolk",
            "",
            235,
            9.4,
            "",
            8.2,
            10.6,
            "",
            200,
            8.0,
            "",
            6.9,
            9.2,
            "",
            181,
            7.5,
            "",
            6.4,
            8.6,
            "",
        ],
        [
            "E07000148",
            "",
            "",
            "Norwich ",
            80,
            21.0,
            "",
            16.6,
            26.3,
            "",
            64,
            17.0,
            "",
            13.0,
            21.8,
            "",
            40,
            10.0,
            "",
            7.1,
            13.7,
            "",
        ],
        [],
        ["Footnotes"],
        [
            "1 Age-standardised mortality rates per 100,000 population, standardised to the 2013 "
            "European Standard Population."
        ],
        ["3 Rates are not calculated when the number of deaths are fewer than ten."],
        ["Source: Office for National Statistics"],
    ]


def _old_table1() -> list[list]:
    return [
        ["Back to contents"],
        [
            "Number of deaths related to drug poisoning, persons by local authority, England and "
            "Wales, registered in each year between 1993 and 2019 1,2,3,4"
        ],
        [],
        ["Area Codes", "Area Names", "", "", 2016.0, 2015.0, 2014.0, 2013.0],
        [],
        ["E92000001", "ENGLAND", "", "", 3450, 3416, 3156, 2734],
        [],
        ["E06000033", "", "Southend-on-Sea", "", 6, 13, 18, 16],
        ["E07000148", "", "", "Norwich", 24, 15, 12, 13],
        [],
        ["Source: Office for National Statistics"],
    ]


def _old_workbook(tmp_path, fmt="xls", table3=None, extra=None):
    sheets = {
        "Contents": [["Worksheet names", "Deaths related to drug poisoning by local authority"]],
        "Definition": [["Box 1"], ["ICD-10 codes ..."]],
        "Table 1": _old_table1(),
        "Table 3": table3 if table3 is not None else _old_table3(),
    }
    if extra:
        sheets.update(extra)
    return write_workbook(tmp_path / f"la.{fmt}", sheets, fmt=fmt)


def _pick(df, code, start, end, sex="persons", measure="poisoning"):
    sel = df[
        (df.area_code == code)
        & (df.period_start == start)
        & (df.period_end == end)
        & (df.sex == sex)
        & (df.measure == measure)
    ]
    assert len(sel) == 1, sel
    return sel.iloc[0]


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_old_layout_values_and_markers(tmp_path, fmt):
    df = read_local_authority(_old_workbook(tmp_path, fmt))
    assert tuple(df.columns) == DEATHS_COLUMNS
    s = _pick(df, "E06000033", 2013, 2015)
    assert (s.deaths, s.rate, s.lcl, s.ucl, s.rate_status) == (47, 8.8, 6.5, 11.7, "ok")
    assert s.rate_per == 100_000 and s.area_level == "unitary" and s.sheet == "Table 3"
    assert s.row == 11  # 1-based spreadsheet row
    r = _pick(df, "E06000017", 2016, 2018)
    assert r.deaths == 1 and math.isnan(r.rate) and r.rate_status == "not_calculated"
    d = _pick(df, "E06000005", 2015, 2017)
    assert (d.deaths, d.rate, d.rate_status) == (19, 6.1, "unreliable")
    n = _pick(df, "E07000148", 2016, 2018)
    assert (n.area_name, n.area_level, n.deaths, n.rate) == ("Norwich", "district", 80, 21.0)
    assert _pick(df, "E12000006", 2013, 2015).area_name == "EAST"
    assert _pick(df, "E10000020", 2013, 2015).area_level == "county"
    # single years come from Table 1 with no rate
    y = _pick(df, "E06000033", 2014, 2014)
    assert y.deaths == 18 and y.rate_status == "not_available" and y.sheet == "Table 1"
    assert df["edition"].unique().tolist() == [2018]  # latest year in the workbook


def test_every_data_row_is_loaded(tmp_path):
    df = read_local_authority(_old_workbook(tmp_path))
    # Table 3: 8 area rows x 3 periods (the met county row has no values: kept as not_available)
    t3 = df[df.sheet == "Table 3"]
    assert len(t3) == 8 * 3
    met = t3[t3.area_code == "E11000007"]
    assert met.deaths.isna().all() and (met.rate_status == "not_available").all()
    assert len(df[df.sheet == "Table 1"]) == 3 * 4
    assert "Definition" in df.attrs["skipped_sheets"]


def test_accepts_open_binary_file_and_detects_format_by_content(tmp_path):
    path = _old_workbook(tmp_path, "xlsx")
    renamed = path.with_suffix(".xls")  # ONS has published .xlsx content under .xls names
    renamed.write_bytes(path.read_bytes())
    with open(renamed, "rb") as fh:
        df = read_local_authority(fh)
    assert _pick(df, "E07000148", 2013, 2015).deaths == 40
    df2 = read_local_authority(io.BytesIO(path.read_bytes()))
    assert len(df2) == len(df)


def test_single_years_sum_to_period_and_check_consistency(tmp_path):
    df = read_local_authority(_old_workbook(tmp_path))
    years = df[
        (df.area_code == "E06000033")
        & (df.period_start == df.period_end)
        & df.period_start.between(2013, 2015)
    ]
    assert years.deaths.sum() == 47
    # England 2734+3156+3416 = 9306, Southend 47 and Norwich 13+12+15 = 40 all agree
    assert check_consistency(df).empty
    t3 = _old_table3()
    t3[16][16] = 41  # Norwich 2013-15 deaths
    report = check_consistency(read_local_authority(_old_workbook(tmp_path, table3=t3)))
    assert report.check.tolist() == ["sum_of_years"]
    bad = report.iloc[0]
    assert (bad.area_code, bad.expected, bad.found, bad.sheet, bad.row) == (
        "E07000148",
        40,
        41,
        "Table 3",
        17,
    )


def test_check_consistency_flags_rate_from_fewer_than_10(tmp_path):
    t3 = _old_table3()
    t3[11][5], t3[11][7], t3[11][8] = 0.5, 0.1, 2.0  # Rutland 2016-18: 1 death, rate shown
    df = read_local_authority(_old_workbook(tmp_path, table3=t3))
    report = check_consistency(df)
    low = report[report.check == "rate_below_10"]
    assert low.area_code.tolist() == ["E06000017"] and low.iloc[0].row == 12


# ---------------------------------------------------------------------------
# Accessible layout (ONS from 2022): Cover/Contents/Notes, Table_N sheets, title in A1,
# one header row with [note N], periods "2020 to 2022", [x] [c] [u] shorthand.
# ---------------------------------------------------------------------------


def _accessible_workbook(tmp_path):
    wide = [
        [
            "Table 3: Number of deaths and age-standardised mortality rates for deaths related to "
            "drug poisoning, by sex and local authority, England and Wales, registered 2018 to 2022"
        ],
        ["This worksheet contains one table. Some cells refer to notes [note 1]"],
        [
            "Area code",
            "Area name",
            "Area type",
            "Sex",
            "2020 to 2022\nDeaths",
            "2020 to 2022\nAge-standardised rate [note 2]",
            "2020 to 2022 Rate marker [note 3]",
            "2020 to 2022\nLower 95% confidence limit",
            "2020 to 2022\nUpper 95% confidence limit",
            "2019 to 2021 Deaths",
            "2019 to 2021 Age-standardised rate [note 2]",
            "2019 to 2021 Rate marker [note 3]",
            "2019 to 2021 Lower 95% confidence limit",
            "2019 to 2021 Upper 95% confidence limit",
        ],
        [
            "E06000033",
            "Southend-on-Sea",
            "Unitary authority",
            "Persons",
            40,
            7.3,
            "",
            5.2,
            9.9,
            35,
            6.4,
            "",
            4.5,
            8.9,
        ],
        [
            "E06000033",
            "Southend-on-Sea",
            "Unitary authority",
            "Females",
            12,
            4.4,
            "[u]",
            2.3,
            7.7,
            9,
            "[x]",
            "",
            "[x]",
            "[x]",
        ],
        [
            "E06000017",
            "Rutland",
            "Unitary authority",
            "Persons",
            4,
            "[x]",
            "",
            "[x]",
            "[x]",
            "[c]",
            "[c]",
            "",
            "[c]",
            "[c]",
        ],
    ]
    long = [
        [
            "Table 6: Deaths related to drug misuse by local authority, England and Wales, "
            "registered 2018 to 2022"
        ],
        [
            "Area code",
            "Area name",
            "Sex",
            "Registration period [note 4]",
            "Number of deaths",
            "Age-standardised mortality rate per 100,000 [note 2]",
            "Lower 95% confidence limit",
            "Upper 95% confidence limit",
        ],
        ["E07000148", "Norwich", "Persons", "2020 to 2022", 51, "13.5 [u]", 10.0, 17.8],
        ["E07000148", "Norwich", "Males", "2020 to 2022", 30, 15.1, 10.2, 21.6],
    ]
    counts = [
        [
            "Table 1: Number of deaths related to drug poisoning, persons, by local authority, "
            "England and Wales, registered 1993 to 2022"
        ],
        ["Area code", "Area name", "2022\n[note 5]", "2021", "2020"],
        ["E06000033", "Southend-on-Sea", 14, "[x]", 13],
    ]
    sheets = {
        "Cover": [["Deaths related to drug poisoning by local authority"]],
        "Contents": [["Worksheet", "Title"], ["Table_1", "..."]],
        "Notes": [["Note number", "Note text"], ["note 1", "Area code header row"]],
        "Table_1": counts,
        "Table_3": wide,
        "Table_6": long,
    }
    return write_workbook(tmp_path / "accessible.xlsx", sheets, fmt="xlsx")


def test_accessible_layout(tmp_path):
    df = read_local_authority(_accessible_workbook(tmp_path))
    s = _pick(df, "E06000033", 2020, 2022)
    assert (s.deaths, s.rate, s.lcl, s.ucl, s.rate_status) == (40, 7.3, 5.2, 9.9, "ok")
    f = _pick(df, "E06000033", 2020, 2022, sex="females")
    assert (f.rate, f.rate_status) == (4.4, "unreliable")
    f2 = _pick(df, "E06000033", 2019, 2021, sex="females")
    assert f2.deaths == 9 and math.isnan(f2.rate) and f2.rate_status == "not_available"
    r = _pick(df, "E06000017", 2019, 2021)
    assert pd.isna(r.deaths) and r.rate_status == "suppressed"
    n = _pick(df, "E07000148", 2020, 2022, measure="misuse")
    assert (n.deaths, n.rate, n.rate_status, n.area_level) == (51, 13.5, "unreliable", "district")
    assert _pick(df, "E07000148", 2020, 2022, sex="males", measure="misuse").rate == 15.1
    c = _pick(df, "E06000033", 2022, 2022)
    assert c.deaths == 14 and c.rate_status == "not_available"
    assert pd.isna(_pick(df, "E06000033", 2021, 2021).deaths)
    assert set(df.attrs["skipped_sheets"]) == {"Cover", "Contents", "Notes"}
    assert df.edition.iloc[0] == 2022


# ---------------------------------------------------------------------------
# Bad input: clear errors naming file, sheet, row, column
# ---------------------------------------------------------------------------


def test_text_in_count_cell_names_sheet_row_column(tmp_path):
    t3 = _old_table3()
    t3[10][4] = "thirty-two"
    path = _old_workbook(tmp_path, table3=t3)
    with pytest.raises(DataFormatError) as exc:
        read_local_authority(path)
    msg = str(exc.value)
    assert "la.xls" in msg and "'Table 3'" in msg and "row 11" in msg and "column E" in msg
    assert "thirty-two" in msg
    assert exc.value.row == 11 and exc.value.column == "E"


def test_duplicated_area_row(tmp_path):
    t3 = _old_table3()
    t3.insert(11, list(t3[10]))
    with pytest.raises(DataFormatError, match=r"row 12.*duplicate row for E06000033.*row 11"):
        read_local_authority(_old_workbook(tmp_path, table3=t3))


def test_bad_area_code_with_values_is_reported(tmp_path):
    t3 = _old_table3()
    t3[10][0] = "E0600033"
    with pytest.raises(DataFormatError, match=r"row 11, column A: area code 'E0600033'"):
        read_local_authority(_old_workbook(tmp_path, table3=t3))


def test_value_in_unlabelled_column_is_not_lost(tmp_path):
    t3 = _old_table3()
    t3[10][9] = 99  # spacer column after the first block
    with pytest.raises(DataFormatError, match=r"column J: unexpected value 99"):
        read_local_authority(_old_workbook(tmp_path, table3=t3))


def test_negative_or_fractional_deaths(tmp_path):
    t3 = _old_table3()
    t3[10][4] = -3
    with pytest.raises(DataFormatError, match=r"row 11, column E: deaths must be a whole number"):
        read_local_authority(_old_workbook(tmp_path, table3=t3))


def test_stray_markers_in_blank_row_are_reported_not_loaded(tmp_path):
    t3 = _old_table3()
    t3[13] = [""] * 5 + [":"]  # the 2019 edition has such a row in Table 6
    with pytest.warns(UserWarning, match="only markers"):
        df = read_local_authority(_old_workbook(tmp_path, table3=t3))
    assert df.attrs["ignored_rows"] == [
        {
            "sheet": "Table 3",
            "row": 14,
            "reason": "row without an area code holds only markers [':']",
        }
    ]


def test_unknown_layout(tmp_path):
    path = write_workbook(tmp_path / "x.xlsx", {"Sheet1": [["hello", "world"], [1, 2]]})
    with pytest.raises(DataFormatError, match="no tables of deaths by local authority"):
        read_local_authority(path)


def test_missing_header(tmp_path):
    t3 = _old_table3()
    t3[3][0] = "Codes of areas"
    with pytest.raises(DataFormatError, match="Table 3"):
        read_local_authority(_old_workbook(tmp_path, table3=t3))


def test_truncated_and_non_excel_files(tmp_path):
    good = _old_workbook(tmp_path, "xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataFormatError, match=r"cut\.xlsx.*truncated or corrupt"):
        read_local_authority(cut)
    empty = tmp_path / "empty.xls"
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty"):
        read_local_authority(empty)
    html = tmp_path / "page.xls"
    html.write_bytes(b"<html><body>Not found</body></html>")
    with pytest.raises(DataFormatError, match="not an Excel workbook"):
        read_local_authority(html)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        read_local_authority("/nonexistent/la.xls")


# ---------------------------------------------------------------------------
# The real 2019 edition (skipped without ../shared)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def la2019():
    from tests.conftest import SHARED

    path = SHARED / "ons" / "2019localauthorities1.xls"
    if not path.exists():
        pytest.skip("../shared/data/ons/2019localauthorities1.xls not available")
    with pytest.warns(UserWarning):
        return read_local_authority(path)


def test_real_2019_published_values(la2019):
    df = la2019
    assert tuple(df.columns) == DEATHS_COLUMNS
    s = _pick(df, "E06000033", 2013, 2015)
    assert (s.deaths, s.rate, s.lcl, s.ucl) == (47, 8.8, 6.5, 11.7)
    s = _pick(df, "E06000033", 2016, 2018)
    assert (s.deaths, s.rate, s.lcl, s.ucl) == (32, 5.8, 4.0, 8.3)
    n = _pick(df, "E07000148", 2016, 2018)
    assert (n.deaths, n.rate, n.lcl, n.ucl) == (80, 21.0, 16.6, 26.3)
    n = _pick(df, "E07000148", 2013, 2015)
    assert (n.deaths, n.rate, n.lcl, n.ucl) == (40, 10.0, 7.1, 13.7)
    nf = _pick(df, "E10000020", 2016, 2018)
    assert (nf.deaths, nf.rate, nf.lcl, nf.ucl) == (235, 9.4, 8.2, 10.6)
    r = _pick(df, "E06000017", 2016, 2018)
    assert r.deaths == 1 and math.isnan(r.rate) and r.rate_status == "not_calculated"
    assert _pick(df, "E06000005", 2015, 2017).rate_status == "unreliable"
    years = df[
        (df.area_code == "E06000033")
        & (df.period_start == df.period_end)
        & df.period_start.between(2013, 2015)
        & (df.measure == "poisoning")
    ]
    assert years.deaths.sum() == 47
    assert df.edition.unique().tolist() == [2019]


def test_real_2019_tables_and_row_counts(la2019):
    df = la2019
    counts = df.groupby(["sheet", "measure", "sex"]).size()
    # Tables 1-2: 381 area rows x 27 years; Tables 3-8: 340 area rows x 19 periods
    assert counts[("Table 1", "poisoning", "persons")] == 381 * 27
    assert counts[("Table 2", "misuse", "persons")] == 381 * 27
    for sheet, measure, sex in [
        ("Table 3", "poisoning", "persons"),
        ("Table 4", "poisoning", "males"),
        ("Table 5", "poisoning", "females"),
        ("Table 6", "misuse", "persons"),
        ("Table 7", "misuse", "males"),
        ("Table 8", "misuse", "females"),
    ]:
        assert counts[(sheet, measure, sex)] == 340 * 19
    assert "Table 9" in df.attrs["skipped_sheets"]  # registration delays
    # rates are never invented: not_calculated rows have no rate, every 'ok' row has one
    assert df.loc[df.rate_status == "not_calculated", "rate"].isna().all()
    assert df.loc[df.rate_status == "ok", "rate"].notna().all()


def test_real_2019_consistency_findings(la2019):
    report = check_consistency(la2019)
    # ONS's misuse Table 6 has Rhondda Cynon Taf's and Merthyr Tydfil's 2001-2011 periods
    # out of step with Table 2's single years; the check must find them.
    rct = report[(report.area_code == "W06000016") & (report.check == "sum_of_years")]
    assert len(rct) >= 5
    row = rct[(rct.period_start == 2009)].iloc[0]
    assert (row.expected, row.found) == (43, 13)


def test_table_listed_on_contents_but_missing(tmp_path):
    contents = [
        ["Worksheet names", "Deaths related to drug poisoning by local authority"],
        ["Table 1", "Number of deaths related to drug poisoning, persons ..."],
        ["Table 3", "Number of deaths and age-standardised mortality rate ..."],
        ["Table 4", "Number of deaths and age-standardised mortality rate ... males"],
    ]
    path = _old_workbook(tmp_path, extra={"Contents": contents})
    with pytest.raises(DataFormatError) as exc:
        read_local_authority(path)
    assert exc.value.sheet == "Contents" and exc.value.row == 4 and exc.value.column == "A"
    assert "'Table 4' is listed on the contents sheet" in str(exc.value)


def test_group_headers_for_sex_and_period_above_the_field_row(tmp_path):
    # A wide layout with "Persons"/"Males" and the period as merged group headers.
    sheet = [
        ["Table 4: Deaths related to drug misuse by local authority, England and Wales"],
        ["", "", "Persons", "", "", "", "Males", "", "", ""],
        ["", "", "2020 to 2022", "", "", "", "2020 to 2022", "", "", ""],
        [
            "Area code",
            "Area name",
            "Deaths",
            "Rate",
            "Lower 95% CI",
            "Upper 95% CI",
            "Deaths",
            "Rate",
            "Lower 95% CI",
            "Upper 95% CI",
        ],
        ["E06000033", "Southend-on-Sea", 30, 5.9, 4.0, 8.4, 21, "[low]", "[x]", "[x]"],
    ]
    path = write_workbook(tmp_path / "groups.xlsx", {"Table_4": sheet})
    df = read_local_authority(path)
    p = _pick(df, "E06000033", 2020, 2022, measure="misuse")
    assert (p.deaths, p.rate, p.lcl, p.ucl, p.row) == (30, 5.9, 4.0, 8.4, 5)
    m = _pick(df, "E06000033", 2020, 2022, sex="males", measure="misuse")
    assert m.deaths == 21 and math.isnan(m.rate) and m.rate_status == "not_available"
    assert len(df) == 2


def test_parse_period_labels():
    # ONS period labels: en dash with a two-digit end (editions to 2021), four-digit ends,
    # "to" (accessible layout), single years as numbers or text
    assert parse_period("2017\u201319") == (2017, 2019)
    assert parse_period("2017 - 19") == (2017, 2019)
    assert parse_period("1999-01") == (1999, 2001)  # a two-digit end crosses the century
    assert parse_period("2019-2021") == (2019, 2021)
    assert parse_period("2020 to 2022") == (2020, 2022)
    assert parse_period("2019 [note 3]") == (2019, 2019)
    assert parse_period(2019.0) == (2019, 2019)
    assert parse_period("2016-2016") == (2016, 2016)
    for not_a_period in ("Persons", 1850, 2019.5, True, "2019-2"):
        assert parse_period(not_a_period) is None
    # a four-digit end is never rolled into the next century: 2015-2013 is not 2015-2113
    assert parse_period("2015-2013") is None
    assert parse_period("2022 to 2020") is None
    with pytest.raises(ValueError, match="'2015-2013' ends before it starts"):
        parse_period("2015-2013", strict=True)
    assert parse_period("1999-01", strict=True) == (1999, 2001)
    # a two-digit end before the start is reversed unless it crosses a century
    assert parse_period("2015-14") is None
    with pytest.raises(ValueError, match="'2015-14' ends before it starts"):
        parse_period("2015-14", strict=True)


def test_reversed_period_in_long_table_is_reported(tmp_path):
    sheet = [
        ["Table 6: Deaths related to drug misuse by local authority, England and Wales"],
        [
            "Area code",
            "Area name",
            "Sex",
            "Registration period",
            "Number of deaths",
            "Age-standardised mortality rate per 100,000",
            "Lower 95% confidence limit",
            "Upper 95% confidence limit",
        ],
        ["E07000148", "Norwich", "Persons", "2020 to 2022", 51, "13.5 [u]", 10.0, 17.8],
        ["E07000148", "Norwich", "Males", "2022 to 2020", 30, 15.1, 10.2, 21.6],
    ]
    path = write_workbook(tmp_path / "reversed.xlsx", {"Table_6": sheet})
    with pytest.raises(DataFormatError, match=r"row 4, column D: cannot read period"):
        read_local_authority(path)


# --- the shipped excerpt of the 2019 workbook ------------------------------------------------

EXCERPT_VALUES = ["area_code", "measure", "sex", "period_start", "period_end", "deaths"]
EXCERPT_VALUES += ["rate", "lcl", "ucl", "rate_status"]


def test_shipped_excerpt_reads_to_the_numbers_of_the_shipped_extract():
    from overdose_trends.io import datasets

    df = read_local_authority(datasets.data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx")
    assert tuple(df.columns) == DEATHS_COLUMNS
    assert set(df["sheet"]) == {"Table 1", "Table 3"} and (df["edition"] == 2019).all()
    shipped = datasets.la_deaths()
    shipped = shipped[shipped["sheet"].isin(["Table 1", "Table 3"])]
    shipped = shipped[shipped["area_code"].isin(set(df["area_code"]))]
    assert len(df) == len(shipped) == 291
    keys = EXCERPT_VALUES[:5]
    got = df[EXCERPT_VALUES].sort_values(keys).reset_index(drop=True)
    expected = shipped[EXCERPT_VALUES].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    southend = _pick(df, "E06000033", 2013, 2015)
    assert (southend["deaths"], southend["rate"]) == (47, 8.8)
    assert check_consistency(df).empty
