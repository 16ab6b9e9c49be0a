"""Tests for overdose_trends.io.ons_national.read_national.

Fixture workbooks are written by the tests themselves (old ``.xls`` layout and
the accessible ``.xlsx`` layout); tests on the real ONS editions in
``../shared/data/ons`` are skipped when those files are absent. Expected numbers
in the real-file tests were read from the workbook cells, not from the loader.
"""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from overdose_trends.errors import DataFormatError
from overdose_trends.io.ons_national import NATIONAL_TABLE_COLUMNS, read_national
from tests.workbooks import write_workbook

# --- fixture workbooks -----------------------------------------------------------

BACK = ["Back to contents"]
NOTE = "1 Age-standardised mortality rates per 1 million population, 2013 ESP."
LCL, UCL = "Lower Confidence Limit", "Upper Confidence Limit"


def old_layout_sheets() -> dict[str, list[list]]:
    """A small workbook shaped like the 2016 edition (plus a 2021-style marker column)."""
    contents = [
        ["Contents", "Deaths related to drug poisoning"],
        ["", "England and Wales, 2015\u20132016"],
        [],
        [
            "Table 1",
            "Number of deaths from drug-related poisoning and drug misuse, by sex "
            "and country, England and Wales, deaths registered between 2015\u20132016",
        ],
        [
            "Table 4",
            "Number of deaths from drug-related poisoning by sex and age, England and "
            "Wales, deaths registered between 2015\u20132016",
        ],
        [
            "Table 10",
            "Age-standardised mortality rates for deaths related to drug poisoning "
            "and selected substances, by sex, England and Wales",
        ],
        [
            "Table 13",
            "Number of deaths and age-standardised mortality rate for deaths related "
            "to drug misuse, by country and region, England and Wales",
        ],
    ]
    table1 = [
        BACK,
        ["Table 1"],
        [
            "Number of deaths from drug-related poisoning and drug misuse, by sex and country, "
            "England and Wales, deaths registered between 2015\u201320161,2"
        ],
        [],
        ["", 2015.0, 2016.0],
        ["All drug poisoning"],
        ["England and Wales", 3674.0, 3744.0],
        ["Males", 2547.0, 2572.0],
        ["Females", 1127.0, 1172.0],
        [],
        ["Wales", 238.0, 271.0],
        ["Males", 175.0, 197.0],
        ["Females", 63.0, 74.0],
        [],
        ["Drug misuse"],
        ["England and Wales", 2479.0, 2593.0],
        ["Males", 1843.0, 1896.0],
        ["Females", 636.0, 697.0],
        [],
        [],
        ["1 Figures for England and Wales include deaths of non-residents."],
        [],
        ["Source: Office for National Statistics"],
    ]
    # Deaths by sex and age (2016 Table 4 layout: a sex total row, then its age bands).
    table4 = [
        BACK,
        ["Table 4"],
        ["Number of deaths from drug-related poisoning by sex and age, England and Wales"],
        [],
        ["", 2015.0, 2016.0],
        [],
        ["Males", 2547.0, 2572.0],
        ["Under 20   ", 36.0, 27.0],
        ["20\u201329      ", 320.0, 343.0],
        ["70 and over", 62.0, 53.0],
        [],
        ["1 Figures for England and Wales include deaths of non-residents."],
    ]
    table10 = [
        BACK,
        ["Table 10"],
        [
            "Age-standardised mortality rates for deaths related to drug poisoning and selected "
            "substances, by sex, England and Wales, deaths registered between 2015\u201320161,2"
        ],
        [],
        [
            "Sex",
            "Registration year",
            "All drug poisoning",
            "",
            "",
            "",
            "",
            "",
            "Heroin / morphine 3",
        ],
        ["", "", "Deaths", "Rate", "", LCL, UCL, "", "Deaths", "Rate", "", LCL, UCL],
        ["Males"],
        ["", 2015.0, 2547.0, 91.0, "", 87.5, 94.6, "", 957.0, 34.1, "", 31.9, 36.2],
        ["", 2016.0, 2572.0, 91.4, "", 87.8, 94.9, "", 935.0, 33.1, "", 31.0, 35.3],
        ["Females"],
        ["", 2015.0, 1127.0, 39.6, "", 37.2, 41.9, "", 8.0, ":", "", ":", ":"],
        ["", 2016.0, 1172.0, 40.6, "", 38.3, 43.0, "", 15.0, 0.5, "u", 0.3, 0.9],
        [],
        [NOTE],
        ["3 Deaths where heroin or morphine was mentioned on the death certificate."],
    ]
    table13 = [
        BACK,
        ["Table 13"],
        [
            "Number of deaths and age-standardised mortality rate for deaths related to drug "
            "misuse, by country and region, England and Wales, deaths registered between "
            "2015\u201320161,2"
        ],
        [],
        ["Registration Year", "Area code", "Area name", "Deaths", "Rate", LCL, UCL],
        [],
        [2016.0, "E92000001", "England", 2383.0, 44.1, 42.3, 45.9],
        ["", "E12000001", "North East", 191.0, 77.4, 66.4, 88.5],
        ["", "E12000003", "Yorkshire & the Humber", 272.0, 52.5, 46.3, 58.8],
        ["", "W92000004", "Wales", 192.0, 66.9, 57.4, 76.4],
        [],
        [2015.0, "E92000001", "England", 2300.0, 42.9, 41.2, 44.7],
        ["", "E12000001", "North East", 168.0, 68.2, 57.9, 78.6],
        ["", "E12000003", "Yorkshire and The Humber", 297.0, 57.8, 51.2, 64.4],
        ["", "W92000004", "Wales", 168.0, 58.3, 49.4, 67.1],
        [],
        [NOTE],
        ["Source: Office for National Statistics"],
    ]
    return {
        "Contents": contents,
        "Notes and Terms and Conditions": [BACK, ["Terms and conditions"]],
        "Table 1": table1,
        "Table 4": table4,
        "Table 10": table10,
        "Table 13": table13,
    }


def accessible_sheets() -> dict[str, list[list]]:
    """A small workbook in ONS's accessible layout (Cover, Contents, Notes, Table_N)."""
    rate_hdr = "Age-standardised mortality rate per 1 million\n[note 3]"
    lcl_hdr, ucl_hdr = "Lower 95% confidence limit", "Upper 95% confidence limit"
    title1 = (
        "Number of deaths related to drug poisoning and drug misuse, by sex and country, "
        "England and Wales, registered 2021 to 2022 [note 1]"
    )
    title2 = (
        "Age-standardised mortality rates for deaths related to drug poisoning, drug "
        "misuse and selected substances, by sex, England and Wales, registered 2020 to "
        "2022 [note 2][note 3]"
    )
    title3 = (
        "Age-standardised mortality rates for deaths related to drug misuse, by sex, "
        "country and region, England and Wales, registered 2022 [note 3]"
    )
    shorthand = "Some shorthand is used in this table: [x] = not available, [c] = confidential."
    return {
        "Cover": [
            ["Deaths related to drug poisoning in England and Wales: 2022 registrations"],
            ["Reference tables"],
        ],
        "Contents": [
            ["Table of contents"],
            ["This worksheet contains one table."],
            ["Worksheet number", "Worksheet title"],
            ["Notes", "Notes used in this workbook"],
            ["Table_1", title1],
            ["Table_2", title2],
            ["Table_3", title3],
        ],
        "Notes": [
            ["Notes"],
            ["Note number", "Note text"],
            ["note 1", "Figures for England and Wales include deaths of non-residents."],
        ],
        "Table_1": [
            [title1],
            ["This worksheet contains one table. " + shorthand],
            ["Source: Office for National Statistics"],
            [
                "Sex",
                "Year of death registration",
                "Area code",
                "Area name",
                "Cause of death\n[note 4]",
                "Deaths\n[note 5]",
            ],
            ["Persons", 2022, "K04000001", "England and Wales", "Drug poisoning", 4907],
            ["Persons", 2022, "K04000001", "England and Wales", "Drug misuse", 2964],
            ["Males", 2022, "W92000004", "Wales", "Drug poisoning", 203],
            ["Females", 2022, "W92000004", "Wales", "Drug misuse", "[x]"],
            ["Persons", 2021, "K04000001", "England and Wales", "Drug poisoning", 4859],
        ],
        "Table_2": [
            [title2],
            [shorthand + " [u] = low reliability, [low] = rounds to zero."],
            [
                "Sex",
                "Substance\n[note 4]",
                "Year of death registration",
                "Deaths",
                rate_hdr,
                lcl_hdr,
                ucl_hdr,
            ],
            ["Persons", "All drug poisoning", 2022, 4907, 84.9, 82.5, 87.3],
            ["Persons", "Drug misuse [note 6]", 2022, 2964, 51.5, 49.6, 53.4],
            ["Persons", "Heroin or morphine", 2022, 1280, 22.4, 21.2, 23.7],
            [
                "Males",
                "Any opioid (including unspecified opioids) [note 7]",
                2022,
                1500,
                52.0,
                49.4,
                54.7,
            ],
            ["Females", "Fentanyl [note 8]", 2022, 15, "0.5 [u]", 0.3, 0.9],
            ["Females", "Cannabis", 2022, "[c]", "[c]", "[c]", "[c]"],
            ["Females", "Ecstasy/MDMA", 2022, 12, "[low]", "[x]", "[x]"],
            ["Persons", "Heroin or morphine", "2020 to 2022", 3937, 23.0, 22.3, 23.7],
        ],
        "Table_3": [
            [title3],
            [shorthand],
            [
                "Year of death registration",
                "Area code",
                "Area name",
                "Sex",
                "Deaths",
                rate_hdr,
                lcl_hdr,
                ucl_hdr,
            ],
            [2022, "E12000006", "East", "Persons", 170, 28.0, 23.9, 32.6],
            [2022, "E12000006", "East", "Females", 9, "[x]", "[x]", "[x]"],
            [2022, "W92000004", "Wales", "Males", 130, 91.9, 76.7, 109.2],
        ],
    }


def grid_2021_sheets() -> dict[str, list[list]]:
    """Tables shaped like the 2021 edition: three header rows, an underlying-cause
    block that is not read, region names split over columns C and D, and a marker
    column (``u``) to the right of each Rate column."""
    accidental = "Accidental poisoning by drugs, medicaments and biological substances"
    ew, eng = "England and Wales", "England"
    table1 = [
        BACK,
        ["Table 1"],
        [
            "Number of deaths from drug-related poisoning and drug misuse, by sex, country and "
            "underlying cause, England and Wales, deaths registered between 2020 and 2021 1,2"
        ],
        [],
        ["Underlying cause", "", "", "All causes", "", "", "", "", "", accidental],
        [
            "",
            "",
            "",
            "All drug poisoning",
            "",
            "",
            "of which: Drug misuse",
            "",
            "",
            "All drug poisoning",
        ],
        ["Sex", "Year of death registration", "", ew, eng, "", ew, eng, "", ew, eng],
        ["Persons"],
        ["", 2021, "", 4859, 4532, "", 3060, 2846, "", 3809, 3542],
        ["", 2020, "", 4561, 4312, "", 2996, 2830, "", 3550, 3349],
        ["Males"],
        ["", 2021, "", 3275, 3050, "", 2206, 2050, "", 2688, 2497],
        [],
        ["1 Cause of death was defined using ICD-10."],
    ]
    table7 = [
        BACK,
        ["Table 7"],
        [
            "Number of deaths and age-standardised mortality rates for deaths related to drug "
            "poisoning and drug misuse, by sex, country and region, England and Wales, deaths "
            "registered between 2020 and 2021 1,2"
        ],
        [],
        ["", "", "", "", "Persons", "", "", "", "", "", "Females"],
        ["", "", "", "", "All drug poisoning", "", "", "", "", "", "of which: Drug misuse"],
        [
            "Year of death registration",
            "Area code",
            "Area name",
            "",
            "Deaths",
            "Rate",
            "",
            LCL,
            UCL,
            "",
            "Deaths",
            "Rate",
            "",
            LCL,
            UCL,
        ],
        [],
        [2021, "E92000001", eng, "", 4532, 82.9, "", 80.5, 85.4, "", 796, 28.8, "", 26.8, 30.8],
        [
            "",
            "E12000001",
            "",
            "North East",
            402,
            163.4,
            "",
            147.3,
            179.4,
            "",
            64,
            50.6,
            "",
            38.9,
            64.6,
        ],
        ["", "W92000004", "Wales", "", 322, 110.2, "", 98.1, 122.4, "", 57, 37.6, "", 28.4, 48.7],
        [],
        [2020, "E92000001", eng, "", 4312, 79.3, "", 76.9, 81.7, "", 794, 28.9, "", 26.9, 30.9],
        ["", "E12000006", "", "East", 386, 64.3, "", 57.9, 70.7, "", 13, 4.2, "u", 2.2, 7.2],
        ["", "W92000004", "Wales", "", 224, 76.4, "", 66.4, 86.5, "", 7, ":", "", ":", ":"],
        [],
        [NOTE],
    ]
    return {"Contents": [["Worksheet names"]], "Table 1": table1, "Table 7": table7}


@pytest.fixture
def old_xls(tmp_path):
    return write_workbook(tmp_path / "old.xls", old_layout_sheets(), fmt="xls")


@pytest.fixture
def accessible_xlsx(tmp_path):
    return write_workbook(tmp_path / "accessible.xlsx", accessible_sheets(), fmt="xlsx")


def one(df: pd.DataFrame, **keys) -> pd.Series:
    """The single row of ``df`` matching ``keys``."""
    mask = pd.Series(True, index=df.index)
    for k, v in keys.items():
        mask &= df[k] == v
    hit = df[mask]
    assert len(hit) == 1, f"{len(hit)} rows match {keys}"
    return hit.iloc[0]


# --- fixture: old layout ---------------------------------------------------------


def test_old_layout_schema_and_counts(old_xls):
    df = read_national(old_xls)
    assert tuple(df.columns) == NATIONAL_TABLE_COLUMNS
    assert str(df["deaths"].dtype) == "Int64"
    assert df["edition"].unique().tolist() == [2016]
    assert (df["rate_per"] == 1_000_000).all()
    # Table 1: 2 measures x (3 + 3 rows for E&W, Wales minus Wales misuse) x 2 years;
    # Table 10: 2 series x 2 sexes x 2 years; Table 13: 4 areas x 2 years;
    # Table 4: males (all ages) and 3 age bands x 2 years.
    assert df.groupby("table").size().to_dict() == {
        "deaths_by_sex": 18,
        "asmr": 8,
        "region": 8,
        "deaths_by_age": 8,
    }
    ages = df[df["table"] == "deaths_by_age"]
    assert set(ages["sex"]) == {"males"} and set(ages["measure"]) == {"poisoning"}
    r = one(ages, age_band="0-19", period_start=2016)  # "Under 20   " (padded, as published)
    assert (r.deaths, r.sheet, r.row, r.area_code) == (27, "Table 4", 8, "K04000001")
    assert one(ages, age_band="all", period_start=2015).deaths == 2547
    assert one(ages, age_band="70+", period_start=2015).deaths == 62


def test_old_layout_years_across(old_xls):
    df = read_national(old_xls)
    r = one(
        df,
        table="deaths_by_sex",
        area_code="W92000004",
        measure="poisoning",
        sex="females",
        period_start=2016,
    )
    assert (r.deaths, r.area_name, r.area_level, r.sheet, r.row) == (
        74,
        "Wales",
        "country",
        "Table 1",
        13,
    )
    assert math.isnan(r.rate) and r.rate_status == "not_available"
    r = one(
        df,
        table="deaths_by_sex",
        area_code="K04000001",
        measure="misuse",
        sex="persons",
        period_start=2015,
    )
    assert (r.deaths, r.substance, r.period_end, r.row) == (2479, "all", 2015, 16)


def test_old_layout_asmr_with_markers(old_xls):
    df = read_national(old_xls)
    r = one(df, table="asmr", substance="all", sex="males", period_start=2016)
    assert (r.measure, r.deaths, r.rate, r.lcl, r.ucl, r.rate_status, r.row) == (
        "poisoning",
        2572,
        91.4,
        87.8,
        94.9,
        "ok",
        9,
    )
    not_calc = one(df, table="asmr", substance="heroin_morphine", sex="females", period_start=2015)
    assert not_calc.deaths == 8 and not_calc.rate_status == "not_calculated"
    assert all(math.isnan(v) for v in (not_calc.rate, not_calc.lcl, not_calc.ucl))
    unreliable = one(
        df, table="asmr", substance="heroin_morphine", sex="females", period_start=2016
    )
    assert (unreliable.deaths, unreliable.rate, unreliable.lcl, unreliable.ucl) == (
        15,
        0.5,
        0.3,
        0.9,
    )
    assert unreliable.rate_status == "unreliable" and unreliable.measure == "poisoning"


def test_old_layout_region(old_xls):
    df = read_national(old_xls)
    region = df[df["table"] == "region"]
    assert set(region["measure"]) == {"misuse"} and set(region["sex"]) == {"persons"}
    r = one(region, area_code="E12000003", period_start=2016)
    assert r.area_name == "Yorkshire and The Humber" and r.area_level == "region"
    assert (r.deaths, r.rate, r.lcl, r.ucl, r.row) == (272, 52.5, 46.3, 58.8, 9)
    # the year is given only on the first row of each block
    assert one(region, area_code="W92000004", period_start=2015).row == 15


def test_reads_binary_file_object(old_xls):
    with open(old_xls, "rb") as fh:
        df = read_national(io.BytesIO(fh.read()))
    assert len(df) == 42


# --- fixture: 2021-style grid ------------------------------------------------------


def test_2021_style_grid(tmp_path):
    path = write_workbook(tmp_path / "grid.xlsx", grid_2021_sheets())
    with pytest.raises(DataFormatError, match=r"required table\(s\) not found: asmr"):
        read_national(path)  # the fixture has no ASMR table
    df = read_national(path, require=("deaths_by_sex", "region"))
    assert df["edition"].unique().tolist() == [2021]
    assert df.groupby("table").size().to_dict() == {
        "deaths_by_sex": 12,
        "region": 12,
        "deaths_by_cause": 18,
    }
    counts = df[df["table"] == "deaths_by_sex"]
    assert 3809 not in set(counts["deaths"])  # the accidental-poisoning block is by cause
    causes = df[df["table"] == "deaths_by_cause"]
    acc = one(
        causes,
        cause="accidental_poisoning",
        area_code="K04000001",
        sex="persons",
        period_start=2021,
    )
    assert (acc.deaths, acc.sex, acc.measure, acc.row) == (3809, "persons", "poisoning", 9)
    assert one(
        causes, cause="all", area_code="E92000001", sex="males", measure="misuse"
    ).deaths == (2050)
    r = one(counts, area_code="E92000001", measure="misuse", sex="persons", period_start=2020)
    assert (r.deaths, r.row) == (2830, 10)
    assert one(counts, area_code="K04000001", measure="poisoning", sex="males").deaths == 3275

    region = df[df["table"] == "region"]
    ne = one(region, area_code="E12000001", sex="persons")
    assert (ne.measure, ne.deaths, ne.rate, ne.lcl, ne.ucl, ne.row) == (
        "poisoning",
        402,
        163.4,
        147.3,
        179.4,
        10,
    )
    east = one(region, area_code="E12000006", sex="females")
    assert (east.area_name, east.period_start, east.measure) == ("East of England", 2020, "misuse")
    assert (east.deaths, east.rate, east.lcl, east.ucl, east.rate_status) == (
        13,
        4.2,
        2.2,
        7.2,
        "unreliable",
    )
    wales = one(region, area_code="W92000004", sex="females", period_start=2020)
    assert wales.deaths == 7 and wales.rate_status == "not_calculated"
    assert math.isnan(wales.rate) and math.isnan(wales.ucl)


def test_area_name_contradicting_code(tmp_path):
    sheets = grid_2021_sheets()
    sheets["Table 7"][9][1] = "E12000002"  # row 10: North West's code beside "North East"
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(DataFormatError, match=r"row 10, column D: conflicting area_code"):
        read_national(path, require=())


def test_unexpected_marker(tmp_path):
    sheets = grid_2021_sheets()
    sheets["Table 7"][13][12] = "x"  # row 14, marker column M
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(DataFormatError, match=r"row 14, column M"):
        read_national(path, require=())


# --- fixture: accessible layout ---------------------------------------------------


def test_accessible_layout(accessible_xlsx):
    df = read_national(accessible_xlsx)
    assert tuple(df.columns) == NATIONAL_TABLE_COLUMNS
    assert df["edition"].unique().tolist() == [2022]
    assert df.groupby("table").size().to_dict() == {"deaths_by_sex": 5, "asmr": 8, "region": 3}

    r = one(df, table="deaths_by_sex", area_code="K04000001", measure="misuse", period_start=2022)
    assert (r.deaths, r.sex, r.sheet, r.row) == (2964, "persons", "Table_1", 6)
    x = one(df, table="deaths_by_sex", area_code="W92000004", sex="females")
    assert pd.isna(x.deaths) and x.measure == "misuse" and x.rate_status == "not_available"

    r = one(df, table="asmr", measure="poisoning", substance="all", period_start=2022)
    assert (r.deaths, r.rate, r.lcl, r.ucl, r.rate_status) == (4907, 84.9, 82.5, 87.3, "ok")
    assert one(df, table="asmr", measure="misuse", substance="all").rate == 51.5
    assert one(df, table="asmr", substance="any_opiate").sex == "males"
    fent = one(df, table="asmr", substance="fentanyl")
    assert (fent.deaths, fent.rate, fent.rate_status) == (15, 0.5, "unreliable")
    cannabis = one(df, table="asmr", substance="cannabis")
    assert pd.isna(cannabis.deaths) and math.isnan(cannabis.rate)
    assert cannabis.rate_status == "suppressed"
    low = one(df, table="asmr", substance="ecstasy_mdma")
    assert low.deaths == 12 and math.isnan(low.rate) and low.rate_status == "not_available"
    three = one(df, table="asmr", substance="heroin_morphine", period_start=2020)
    assert (three.period_end, three.deaths, three.rate) == (2022, 3937, 23.0)

    east = one(df, table="region", area_code="E12000006", sex="persons")
    assert (east.area_name, east.measure, east.deaths, east.rate, east.row) == (
        "East of England",
        "misuse",
        170,
        28.0,
        4,
    )
    east_f = one(df, table="region", area_code="E12000006", sex="females")
    assert east_f.deaths == 9 and east_f.rate_status == "not_available"
    assert math.isnan(east_f.rate)


def test_markers_never_become_zero(accessible_xlsx):
    df = read_national(accessible_xlsx)
    not_ok = df[df["rate_status"].isin(["suppressed", "not_available", "not_calculated"])]
    assert not_ok["rate"].isna().all()
    assert not (df["rate"] == 0).any()


# --- bad input ----------------------------------------------------------------------


def test_text_in_count_cell(tmp_path):
    sheets = old_layout_sheets()
    sheets["Table 13"][7][3] = "191 deaths"  # row 8, column D
    path = write_workbook(tmp_path / "bad.xls", sheets, fmt="xls")
    with pytest.raises(DataFormatError) as err:
        read_national(path)
    msg = str(err.value)
    assert "'Table 13'" in msg and "row 8" in msg and "column D" in msg and "191 deaths" in msg
    assert (err.value.sheet, err.value.row, err.value.column) == ("Table 13", 8, "D")


def test_text_in_years_across_count_cell(tmp_path):
    sheets = old_layout_sheets()
    sheets["Table 1"][11][2] = "n/a"  # row 12, column C
    path = write_workbook(tmp_path / "bad.xls", sheets, fmt="xls")
    with pytest.raises(DataFormatError, match=r"sheet 'Table 1', row 12, column C"):
        read_national(path)


def test_duplicate_rows(tmp_path):
    sheets = old_layout_sheets()
    rows = sheets["Table 13"]
    rows.insert(10, ["", "E12000001", "North East", 190.0, 77.0, 66.0, 88.0])
    path = write_workbook(tmp_path / "dup.xls", sheets, fmt="xls")
    with pytest.raises(DataFormatError, match="duplicate") as err:
        read_national(path)
    assert err.value.sheet == "Table 13" and err.value.row == 11
    assert "first at sheet 'Table 13' row 8" in str(err.value)


def test_duplicate_rows_accessible(tmp_path):
    sheets = accessible_sheets()
    sheets["Table_2"].append(["Persons", "Heroin or morphine", 2022, 1281, 22.5, 21.3, 23.8])
    path = write_workbook(tmp_path / "dup.xlsx", sheets)
    with pytest.raises(DataFormatError, match="duplicate"):
        read_national(path)


def test_unknown_row_label(tmp_path):
    sheets = old_layout_sheets()
    sheets["Table 1"][10][0] = "Scotland"
    path = write_workbook(tmp_path / "bad.xls", sheets, fmt="xls")
    with pytest.raises(DataFormatError, match=r"row 11, column A: unrecognised row label"):
        read_national(path)


def test_unknown_area_name_without_code(tmp_path):
    sheets = accessible_sheets()
    table = sheets["Table_3"]
    table[2:] = [[r[j] for j in (0, 2, 3, 4, 5, 6, 7)] for r in table[2:]]  # no code column
    table[4][1] = "Atlantis"
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(DataFormatError, match="unknown area name 'Atlantis'"):
        read_national(path)


def test_unknown_layout(tmp_path):
    path = write_workbook(
        tmp_path / "other.xlsx", {"Sheet1": [["Population estimates"], ["Area", "2020"]]}
    )
    with pytest.raises(DataFormatError) as err:
        read_national(path)
    msg = str(err.value)
    assert "no recognisable" in msg and "age-standardised mortality rates" in msg
    assert "number of deaths" in msg and "Sheet1" in msg


def test_recognised_title_with_unreadable_layout(tmp_path):
    sheets = accessible_sheets()
    sheets["Table_3"] = [*sheets["Table_3"][:2], [2022, 170, 28.0], [2021, 160, 26.0]]
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(DataFormatError, match="Table_3.*unknown layout"):
        read_national(path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a spreadsheet at all",
        b"PK\x03\x04" + b"\x00" * 40,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
    ],
)
def test_corrupt_bytes(tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match="broken.xlsx"):
        read_national(path)


def test_truncated_workbook(tmp_path, accessible_xlsx):
    data = accessible_xlsx.read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="truncated.xlsx"):
        read_national(path)


# --- the real ONS editions -----------------------------------------------------------


@pytest.fixture
def edition_2021(shared_data):
    return read_national(shared_data / "ons" / "2021registrations.xlsx")


@pytest.fixture
def edition_2016(shared_data):
    return read_national(
        shared_data / "ons" / "deathsrelatedtodrugpoisoningenglandandwales-2016.xls"
    )


@pytest.mark.shared
def test_2021_edition(edition_2021):
    df = edition_2021
    assert df["edition"].unique().tolist() == [2021]
    # Table 1: 29 years x 3 sexes x 3 countries x 2 measures; Table 4: 29 x 3 x 20 series;
    # Table 7: 29 years x 11 areas x 3 sexes x 2 measures.
    # Table 2: 29 years x 3 sexes x 3 countries x 2 measures x 7 ages; Table 3: 29 years x
    # 21 series x 6 ages; Table 5: 29 x 3 sexes x 6 ages; Table 6: 29 x 19 bands; Table 8:
    # 12 years x 2 sexes x 5 quintiles; Table 9: 10 periods x 2 x 5; Table 10: 29 x 2 x 2.
    assert df.groupby("table", sort=False).size().to_dict() == {
        "deaths_by_sex": 522,
        "asmr": 1740,
        "region": 1914,
        "deaths_by_cause": 2610,
        "deaths_by_age": 3654,
        "substances_by_age": 3654,
        "age_specific": 522,
        "age_specific_5y": 551,
        "imd": 120,
        "wimd": 100,
        "registration_delay": 116,
    }
    # Table 1 D12 and Table 4 D11:H11 (2018, England and Wales, persons)
    deaths = one(
        df,
        table="deaths_by_sex",
        area_code="K04000001",
        measure="poisoning",
        sex="persons",
        period_start=2018,
    )
    assert (deaths.deaths, deaths.sheet, deaths.row) == (4359, "Table 1", 12)
    asmr = one(
        df, table="asmr", measure="poisoning", substance="all", sex="persons", period_start=2018
    )
    assert (asmr.deaths, asmr.rate, asmr.lcl, asmr.ucl) == (4359, 76.3, 74.0, 78.5)
    assert (asmr.rate_status, asmr.rate_per, asmr.sheet, asmr.row) == (
        "ok",
        1_000_000,
        "Table 4",
        11,
    )
    # Table 4 BF12:BJ12 other specified opiate 2017 persons: 9 deaths, rate ':'
    opiate = one(
        df, table="asmr", substance="other_specified_opiate", sex="persons", period_start=2017
    )
    assert opiate.deaths == 9 and opiate.rate_status == "not_calculated"
    # 156 'u' cells in Table 4 (column after each Rate) and 36 in Table 7; ':' marks
    # 262 rates in Table 4 and 5 in Table 7.
    core = df[df["table"].isin(["asmr", "deaths_by_sex", "region"])]
    assert core.groupby("table")["rate_status"].value_counts().to_dict() == {
        ("asmr", "ok"): 1322,
        ("asmr", "not_calculated"): 262,
        ("asmr", "unreliable"): 156,
        ("deaths_by_sex", "not_available"): 522,
        ("region", "ok"): 1873,
        ("region", "unreliable"): 36,
        ("region", "not_calculated"): 5,
    }


@pytest.mark.shared
def test_2021_region_table(edition_2021):
    df = edition_2021[edition_2021["table"] == "region"]
    # Table 7 row 346: North East 1993, males: misuse W:AA = 16, 14.8, 'u', 7.5, 25.5;
    # poisoning Q:U = 46, 43.0, -, 29.7, 59.7
    ne = one(df, area_code="E12000001", sex="males", measure="misuse", period_start=1993)
    assert (ne.deaths, ne.rate, ne.lcl, ne.ucl, ne.rate_status, ne.row) == (
        16,
        14.8,
        7.5,
        25.5,
        "unreliable",
        346,
    )
    ne_p = one(df, area_code="E12000001", sex="males", measure="poisoning", period_start=1993)
    assert (ne_p.deaths, ne_p.rate, ne_p.lcl, ne_p.ucl) == (46, 43.0, 29.7, 59.7)
    # Table 7 row 355: Wales 1993 females misuse: 7 deaths, rate ':'
    wales = one(df, area_code="W92000004", sex="females", measure="misuse", period_start=1993)
    assert wales.deaths == 7 and wales.rate_status == "not_calculated"
    # region names in column D, "East" -> East of England (row 15: 2021 persons 314, 51.6)
    east = one(df, area_code="E12000006", sex="persons", measure="poisoning", period_start=2021)
    assert (east.area_name, east.deaths, east.rate, east.row) == ("East of England", 314, 51.6, 15)
    assert df["area_code"].nunique() == 11


@pytest.mark.shared
def test_2016_edition(edition_2016):
    df = edition_2016
    assert df["edition"].unique().tolist() == [2016]
    assert df.groupby("table", sort=False).size().to_dict() == {
        "deaths_by_sex": 432,
        "asmr": 504,
        "region": 264,
        "deaths_by_cause": 720,
        "deaths_by_age": 1008,
        "substances_by_age": 2304,
        "age_specific": 432,
        "registration_delay": 96,
        "substances": 1056,
        "substances_alone": 984,
        "substances_with_alcohol": 1104,
        "substances_without_alcohol": 1104,
        "nps": 360,
        "occurrence": 138,
    }
    # Table 10 row 31, C:F
    males = one(
        df, table="asmr", measure="poisoning", substance="all", sex="males", period_start=2016
    )
    assert (males.deaths, males.rate, males.lcl, males.ucl) == (2572, 91.4, 87.8, 94.9)
    assert (males.sheet, males.row, males.rate_status) == ("Table 10", 31, "ok")
    # Table 11 row 81, R:U: heroin / morphine persons 2016
    heroin = one(df, table="asmr", substance="heroin_morphine", sex="persons", period_start=2016)
    assert (heroin.deaths, heroin.rate, heroin.lcl, heroin.ucl) == (1209, 21.3, 20.1, 22.5)
    # Table 1 row 28, Y: Wales misuse persons 2016
    wales = one(
        df,
        table="deaths_by_sex",
        area_code="W92000004",
        measure="misuse",
        sex="persons",
        period_start=2016,
    )
    assert (wales.deaths, wales.row) == (192, 28)
    # Table 13 row 284 (North East 2016) and row 10 ("Yorkshire & the Humber", 1993)
    ne = one(df, table="region", area_code="E12000001", period_start=2016)
    assert (ne.measure, ne.sex, ne.deaths, ne.rate, ne.lcl, ne.ucl) == (
        "misuse",
        "persons",
        191,
        77.4,
        66.4,
        88.5,
    )
    yh = one(df, table="region", area_code="E12000003", period_start=1993)
    assert (yh.area_name, yh.deaths, yh.rate, yh.row) == ("Yorkshire and The Humber", 70, 13.8, 10)


@pytest.mark.shared
def test_editions_agree(edition_2016, edition_2021):
    # substances of the tables both editions have get the same names
    tables = ["asmr", "substances_by_age"]
    old = set(edition_2016.loc[edition_2016["table"].isin(tables), "substance"])
    assert old <= set(edition_2021.loc[edition_2021["table"].isin(tables), "substance"])
    # persons = males + females wherever all three are counted
    for df in (edition_2016, edition_2021):
        counts = df[df["table"] == "deaths_by_sex"].pivot_table(
            index=["area_code", "measure", "period_start"],
            columns="sex",
            values="deaths",
            aggfunc="first",
        )
        assert (counts["persons"] == counts["males"] + counts["females"]).all()
    # 2015 figures are the same in both editions, in every table both have (the
    # substances-by-age table was revised for 6 of its 96 cells)
    keys = [
        "table",
        "area_code",
        "measure",
        "substance",
        "cause",
        "sex",
        "age_band",
        "quintile",
        "year_basis",
        "period_start",
        "period_end",
    ]
    both = edition_2016.merge(edition_2021, on=keys, suffixes=("_16", "_21"))
    same = both[
        (both["period_start"] == 2015)
        & ~both["table"].isin(["substances_by_age", "registration_delay"])
    ]
    assert set(same["table"]) == {
        "deaths_by_sex",
        "asmr",
        "region",
        "deaths_by_cause",
        "deaths_by_age",
        "age_specific",
    }
    assert (same["deaths_16"] == same["deaths_21"]).all()
    # median registration delays of 1993-2016 are the same in both editions
    delay = both[both["table"] == "registration_delay"]
    assert len(delay) == 96 and (delay["delay_days_16"] == delay["delay_days_21"]).all()


def test_table_listed_on_contents_but_missing(tmp_path):
    sheets = {
        "Contents": [
            ["Worksheet names", "Deaths related to drug poisoning"],
            ["Table_1", "Number of deaths ..."],
            ["Table_4", "ASMRs ..."],
        ],
        "Table_1": [["Number of deaths"]],
    }
    path = write_workbook(tmp_path / "cut.xlsx", sheets)
    with pytest.raises(DataFormatError, match=r"sheet 'Contents', row 3, column A: 'Table_4'"):
        read_national(path)


def test_require_rejects_unknown_table_name(old_xls):
    with pytest.raises(ValueError, match="unknown table"):
        read_national(old_xls, require=("deaths",))


def test_shipped_excerpt_reads_to_the_numbers_of_the_shipped_extract():
    from overdose_trends.io import datasets

    df = read_national(
        datasets.data_dir() / "ons_national_drug_deaths_2021_excerpt.xlsx",
        tables=["deaths_by_sex", "asmr", "region"],
    )
    assert tuple(df.columns) == NATIONAL_TABLE_COLUMNS
    assert df.groupby("table").size().to_dict() == {"asmr": 300, "deaths_by_sex": 90, "region": 54}
    keys = ["table", "area_code", "measure", "substance", "sex", "period_start", "period_end"]
    values = ["deaths", "rate", "lcl", "ucl", "rate_status", "rate_per", "edition"]
    shipped = datasets.national_deaths().merge(df[keys], on=keys)
    assert len(shipped) == len(df)
    got = df[keys + values].sort_values(keys).reset_index(drop=True)
    expected = shipped[keys + values].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    heroin = df.query(
        "table == 'asmr' and substance == 'heroin_morphine' and sex == 'persons' "
        "and period_start == 2021"
    ).iloc[0]
    assert (heroin["deaths"], heroin["rate"], heroin["lcl"], heroin["ucl"]) == (
        1213,
        21.1,
        19.9,
        22.3,
    )
