"""Every table of the national workbook: read_national on the age, cause, substance,
age-specific, deprivation and registration-delay tables, in the 2016, 2021 and
accessible (2022 on) layouts, and its completeness checks.

The accessible-layout fixture is written by the tests (long tables, one header row,
``[note N]``, ``[x]``/``[c]``/``[u]``/``[low]``); tests on the real ONS editions in
``../shared/data/ons`` are marked ``shared`` and skipped without them. Expected
numbers there are typed from the workbook cells named in the comments; the
shipped excerpt gives the same numbers without ``../shared``.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from overdose_trends.errors import DataFormatError
from overdose_trends.io import datasets
from overdose_trends.io.ons_national import (
    CORE_TABLES,
    NATIONAL_TABLE_COLUMNS,
    TABLES,
    read_national,
)
from tests.workbooks import write_workbook

EXCERPT = "ons_national_drug_deaths_2021_excerpt.xlsx"


def one(df: pd.DataFrame, **keys) -> pd.Series:
    """The single row of ``df`` matching ``keys``."""
    mask = pd.Series(True, index=df.index)
    for k, v in keys.items():
        mask &= df[k] == v
    hit = df[mask]
    assert len(hit) == 1, f"{len(hit)} rows match {keys}"
    return hit.iloc[0]


# --- accessible layout (2022 editions on), every table ------------------------------

SHORTHAND = (
    "Some shorthand is used: [x] = not available, [c] = confidential, [u] = low reliability."
)
RATE = "Age-standardised mortality rate per 1 million\n[note 3]"
ASR = "Age-specific mortality rate per 1 million\n[note 4]"
LCL, UCL = "Lower 95% confidence limit", "Upper 95% confidence limit"
TITLES = {
    "Table_1": "Number of deaths related to drug poisoning and drug misuse, by sex, country and "
    "underlying cause, England and Wales, registered 2021 to 2022 [note 1]",
    "Table_2": "Number of deaths related to drug poisoning and drug misuse, by sex, country and "
    "age group, England and Wales, registered 2022",
    "Table_3": "Number of drug-related deaths where selected substances were mentioned on the "
    "death certificate, by age group, England and Wales, registered 2022",
    "Table_4": "Age-standardised mortality rates for deaths related to drug poisoning, drug "
    "misuse and selected substances, by sex, England and Wales, registered 2022",
    "Table_5": "Number of deaths and age-specific mortality rates for deaths related to drug "
    "misuse, by sex and broad age group, England and Wales, registered 2022",
    "Table_6": "Age-specific mortality rates for deaths related to drug misuse, by five-year "
    "age group, England and Wales, registered 2022",
    "Table_7": "Age-standardised mortality rates for deaths related to drug misuse, by sex, "
    "country and region, England and Wales, registered 2022",
    "Table_8": "Number of deaths and age-standardised mortality rates for deaths related to drug "
    "poisoning, by sex and Index of Multiple Deprivation (IMD) quintile, England, "
    "registered 2022",
    "Table_9": "Number of deaths and age-standardised mortality rates for deaths related to drug "
    "poisoning, by sex and Welsh Index of Multiple Deprivation (WIMD) quintile, Wales, "
    "registered 2020 to 2022",
    "Table_10": "Median registration delay for deaths related to drug poisoning and drug misuse, "
    "England and Wales, registered 2021 to 2022 [note 6]",
}
ACCIDENTAL = "Accidental poisoning by drugs, medicaments and biological substances [note 2]"
EW = ("K04000001", "England and Wales")
WALES = ("W92000004", "Wales")


def _table(name: str, header: list, *rows: list) -> list[list]:
    return [[TITLES[name]], [SHORTHAND], ["Source: Office for National Statistics"], header, *rows]


def accessible_sheets() -> dict[str, list[list]]:
    """Every national table in ONS's accessible layout: one long table per sheet."""
    year = "Year of death registration"
    return {
        "Cover": [["Deaths related to drug poisoning in England and Wales: 2022 registrations"]],
        "Contents": [
            ["Table of contents"],
            ["Worksheet number", "Worksheet title"],
            ["Notes", "Notes used in this workbook"],
            *[[name, title] for name, title in TITLES.items()],
        ],
        "Notes": [["Note number", "Note text"], ["note 1", "Figures include non-residents."]],
        "Table_1": _table(
            "Table_1",
            [
                "Sex",
                year,
                "Area code",
                "Area name",
                "Underlying cause of death\n[note 2]",
                "Drug poisoning deaths",
                "Drug misuse deaths",
            ],
            ["Persons", 2022, *EW, "All causes", 4907, 2964],
            ["Persons", 2022, *EW, ACCIDENTAL, 3900, 2500],
            [
                "Males",
                2022,
                *WALES,
                "Assault by drugs, medicaments and biological substances",
                0,
                0,
            ],
            ["Persons", 2021, *EW, "All causes", 4859, 3060],
        ),
        "Table_2": _table(
            "Table_2",
            ["Sex", year, "Area code", "Area name", "Age group", "Cause of death", "Deaths"],
            ["Persons", 2022, *EW, "All ages", "Drug poisoning", 4907],
            ["Persons", 2022, *EW, "Under 20", "Drug poisoning", 70],
            ["Persons", 2022, *EW, "20 to 29", "Drug misuse", 300],
            ["Females", 2022, *WALES, "70 and over", "Drug misuse", "[x]"],
        ),
        "Table_3": _table(
            "Table_3",
            ["Substance\n[note 5]", "Age group", year, "Deaths"],
            ["All drug poisoning", "20 to 29", 2022, 480],
            ["Drug misuse", "20 to 29", 2022, 300],
            ["Heroin or morphine", "30 to 39", 2022, 290],
            ["Cocaine", "70 and over", 2022, "[c]"],
        ),
        "Table_4": _table(
            "Table_4",
            ["Sex", "Substance", year, "Deaths", RATE, LCL, UCL],
            ["Persons", "All drug poisoning", 2022, 4907, 84.9, 82.5, 87.3],
            ["Persons", "Drug misuse", 2022, 2964, 51.5, 49.6, 53.4],
        ),
        "Table_5": _table(
            "Table_5",
            ["Sex", "Age group", year, "Deaths", ASR, LCL, UCL],
            ["Persons", "Under 20", 2022, 15, "1.1 [u]", 0.6, 1.8],
            ["Males", "40 to 49", 2022, 700, 190.2, 176.1, 204.3],
            ["Females", "70 and over", 2022, 5, "[x]", "[x]", "[x]"],
        ),
        "Table_6": _table(
            "Table_6",
            ["Age group", year, ASR],
            ["<1", 2022, "[x]"],
            ["1 to 4", 2022, "0.9 [u]"],
            ["40 to 44", 2022, 127.0],
            ["85+", 2022, "[low]"],
        ),
        "Table_7": _table(
            "Table_7",
            [year, "Area code", "Area name", "Sex", "Deaths", RATE, LCL, UCL],
            [2022, "E12000006", "East", "Persons", 170, 28.0, 23.9, 32.6],
        ),
        "Table_8": _table(
            "Table_8",
            ["Sex", year, "IMD quintile\n[note 7]", "Deaths", RATE, LCL, UCL],
            ["Males", 2022, "1 - most deprived", 1350, 255.0, 241.3, 268.7],
            ["Males", 2022, 2, 760, 136.0, 126.3, 145.7],
            ["Males", 2022, "5 - least deprived", 180, 36.0, 30.8, 41.2],
            ["Females", 2022, 3, "[c]", "[c]", "[c]", "[c]"],
        ),
        "Table_9": _table(
            "Table_9",
            ["Sex", "Period of death registration", "WIMD quintile", "Deaths", RATE, LCL, UCL],
            ["Females", "2020 to 2022", "1 (most deprived)", 90, 99.0, 79.5, 121.8],
            ["Females", "2020 to 2022", "5 (least deprived)", 15, "18.0 [u]", 10.1, 29.7],
        ),
        "Table_10": _table(
            "Table_10",
            [year, "Area code", "Area name", "Cause of death", "Median registration delay (days)"],
            [2022, "E92000001", "England", "Drug poisoning", 209],
            [2022, *WALES, "Drug misuse", 330.5],
            [2021, "E92000001", "England", "Drug poisoning", 205],
        ),
    }


@pytest.fixture
def accessible(tmp_path):
    return write_workbook(tmp_path / "2022registrations.xlsx", accessible_sheets())


def test_accessible_every_table(accessible):
    df = read_national(accessible)
    assert tuple(df.columns) == NATIONAL_TABLE_COLUMNS
    assert df.groupby("table", sort=False).size().to_dict() == {
        "deaths_by_sex": 4,
        "asmr": 2,
        "region": 1,
        "deaths_by_cause": 8,
        "deaths_by_age": 4,
        "substances_by_age": 4,
        "age_specific": 3,
        "age_specific_5y": 4,
        "imd": 4,
        "wimd": 2,
        "registration_delay": 3,
    }
    assert df["edition"].unique().tolist() == [2022]
    assert df[["table", "sheet", "row"]].notna().all().all()


def test_accessible_causes(accessible):
    df = read_national(accessible)
    causes = df[df["table"] == "deaths_by_cause"]
    acc = one(causes, cause="accidental_poisoning", measure="misuse")
    assert (acc.deaths, acc.area_code, acc.sex, acc.sheet, acc.row) == (
        2500,
        "K04000001",
        "persons",
        "Table_1",
        6,
    )
    assert one(causes, cause="assault", measure="poisoning").area_code == "W92000004"
    # the all-causes rows are also the deaths_by_sex table
    by_sex = df[df["table"] == "deaths_by_sex"]
    assert set(by_sex["cause"]) == {"all"}
    assert one(by_sex, measure="poisoning", period_start=2021).deaths == 4859


def test_accessible_ages_and_substances(accessible):
    df = read_national(accessible)
    ages = df[df["table"] == "deaths_by_age"]
    assert one(ages, age_band="all").deaths == 4907
    assert one(ages, age_band="0-19").deaths == 70
    assert (one(ages, age_band="20-29").measure, one(ages, age_band="20-29").deaths) == (
        "misuse",
        300,
    )
    marked = one(ages, age_band="70+")
    assert pd.isna(marked.deaths) and marked.area_code == "W92000004"  # [x]: never a zero
    subs = df[df["table"] == "substances_by_age"]
    assert one(subs, substance="heroin_morphine").age_band == "30-39"
    assert one(subs, substance="all", measure="misuse").deaths == 300
    assert pd.isna(one(subs, substance="cocaine").deaths)


def test_accessible_age_specific(accessible):
    df = read_national(accessible)
    broad = df[df["table"] == "age_specific"]
    young = one(broad, age_band="0-19")
    assert (young.deaths, young.rate, young.lcl, young.ucl, young.rate_status) == (
        15,
        1.1,
        0.6,
        1.8,
        "unreliable",
    )
    assert young.rate_type == "age_specific" and young.measure == "misuse"
    old = one(broad, age_band="70+", sex="females")
    assert math.isnan(old.rate) and old.rate_status == "not_available" and old.deaths == 5
    five = df[df["table"] == "age_specific_5y"].set_index("age_band")
    assert five.loc["0", "rate_status"] == "not_available" and math.isnan(five.loc["0", "rate"])
    assert (five.loc["1-4", "rate"], five.loc["1-4", "rate_status"]) == (0.9, "unreliable")
    assert (five.loc["40-44", "rate"], five.loc["40-44", "rate_status"]) == (127.0, "ok")
    assert five.loc["85+", "rate_status"] == "not_available"  # [low]: rounds to zero
    assert five["deaths"].isna().all()


def test_accessible_deprivation(accessible):
    df = read_national(accessible)
    imd = df[df["table"] == "imd"]
    assert set(imd["area_code"]) == {"E92000001"} and set(imd["measure"]) == {"poisoning"}
    q1 = one(imd, quintile=1)
    assert (q1.deaths, q1.rate, q1.lcl, q1.ucl, q1.rate_type) == (
        1350,
        255.0,
        241.3,
        268.7,
        "age_standardised",
    )
    assert one(imd, quintile=2).deaths == 760 and one(imd, quintile=5).rate == 36.0
    confidential = one(imd, quintile=3)
    assert pd.isna(confidential.deaths) and confidential.rate_status == "suppressed"
    assert str(imd["quintile"].dtype) == "Int64"
    wimd = df[df["table"] == "wimd"]
    assert set(wimd["area_code"]) == {"W92000004"}
    w5 = one(wimd, quintile=5)
    assert (w5.period_start, w5.period_end, w5.rate, w5.rate_status) == (
        2020,
        2022,
        18.0,
        "unreliable",
    )


def test_accessible_registration_delay(accessible):
    df = read_national(accessible)
    delay = df[df["table"] == "registration_delay"]
    eng = one(delay, area_code="E92000001", period_start=2022)
    assert (eng.delay_days, eng.measure, eng.rate_status) == (209.0, "poisoning", "not_available")
    assert pd.isna(eng.deaths) and math.isnan(eng.rate)
    assert one(delay, area_code="W92000004").delay_days == 330.5


def test_tables_selects_and_requires(accessible):
    df = read_national(accessible, tables="imd")
    assert set(df["table"]) == {"imd"} and len(df) == 4
    df = read_national(accessible, tables=["deaths_by_cause", "registration_delay"])
    assert set(df["table"]) == {"deaths_by_cause", "registration_delay"}
    with pytest.raises(ValueError, match="unknown table"):
        read_national(accessible, tables=["deprivation"])
    sheets = accessible_sheets()
    del sheets["Table_8"]
    sheets["Contents"] = [r for r in sheets["Contents"] if r[0] != "Table_8"]
    path = write_workbook(accessible.parent / "no_imd.xlsx", sheets)
    assert "imd" not in set(read_national(path)["table"])  # not required by default
    with pytest.raises(DataFormatError, match=r"required table\(s\) not found: imd"):
        read_national(path, tables=["imd", "wimd"])
    with pytest.raises(DataFormatError, match=r"required table\(s\) not found: imd"):
        read_national(path, require=["imd"])


# --- no silent loss -------------------------------------------------------------------


def _write(tmp_path, sheets):
    return write_workbook(tmp_path / "bad.xlsx", sheets)


def test_unrecognised_table_raises_naming_it(tmp_path):
    sheets = accessible_sheets()
    sheets["Contents"].append(["Table_11", "Deaths by occupation, England and Wales"])
    sheets["Table_11"] = [["Deaths by occupation, England and Wales"], ["Occupation", "Deaths"]]
    path = _write(tmp_path, sheets)
    with pytest.raises(DataFormatError, match=r"sheet 'Table_11'.*table not recognised"):
        read_national(path)
    # asked for known tables only, the others are read
    assert set(read_national(path, tables=list(CORE_TABLES))["table"]) == set(CORE_TABLES)


def test_emptied_table_raises(tmp_path):
    sheets = accessible_sheets()
    sheets["Table_8"] = [[TITLES["Table_8"]]]  # title kept, data deleted
    with pytest.raises(DataFormatError, match=r"sheet 'Table_8'.*no header row"):
        read_national(_write(tmp_path, sheets))


def test_table_copied_to_a_hidden_sheet_raises(tmp_path):
    from openpyxl import load_workbook

    sheets = accessible_sheets()
    sheets["Copy"] = sheets["Table_8"]
    path = _write(tmp_path, sheets)
    wb = load_workbook(path)
    wb["Copy"].sheet_state = "hidden"
    wb.save(path)
    with pytest.raises(DataFormatError, match=r"sheet 'Copy'.*duplicate row.*second sheet"):
        read_national(path)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({4: -3}, "column E: rate must not be negative"),
        ({3: -1}, "column D: deaths must not be negative"),
        ({3: 12.5}, "column D: deaths must be a whole number"),
        ({4: "inf"}, "column E: expected a number"),
        ({4: "NaN"}, "column E: expected a number"),
        ({5: 300.0}, "column F: lower confidence limit 300.0 above the upper"),
        ({4: 300.0}, "column E: rate 300.0 lies outside its confidence limits"),
        ({4: "1,0.5"}, "column E: expected a number"),
    ],
)
def test_impossible_values_raise_naming_the_cell(tmp_path, cells, message):
    sheets = accessible_sheets()
    row = sheets["Table_8"][4]  # spreadsheet row 5
    for j, value in cells.items():
        row[j] = value
    with pytest.raises(DataFormatError, match=rf"sheet 'Table_8', row 5, {message}"):
        read_national(_write(tmp_path, sheets))


def test_negative_delay_raises(tmp_path):
    sheets = accessible_sheets()
    sheets["Table_10"][4][4] = -2
    with pytest.raises(DataFormatError, match="row 5, column E: delay_days must not be negative"):
        read_national(_write(tmp_path, sheets))


def test_blank_value_cell_raises(tmp_path):
    sheets = accessible_sheets()
    sheets["Table_8"][5][3] = ""  # deaths of quintile 2, spreadsheet row 6
    with pytest.raises(DataFormatError, match=r"row 6, column D: blank cell where deaths belongs"):
        read_national(_write(tmp_path, sheets))


def test_unknown_quintile_label_raises(tmp_path):
    sheets = accessible_sheets()
    sheets["Table_8"][4][2] = "6 - least deprived"
    with pytest.raises(DataFormatError, match=r"row 5, column C: unrecognised label"):
        read_national(_write(tmp_path, sheets))


@pytest.mark.parametrize("value", ["", "#N/A", "#REF!"])
def test_blank_or_error_quintile_is_not_filled_down(tmp_path, value):
    # fuzz case national-xlsx-na_error-0: the Females row's quintile 3 became #N/A, which
    # the engine reads as blank; carried down it would have become quintile 5 of the row above
    sheets = accessible_sheets()
    sheets["Table_8"][7][2] = value  # spreadsheet row 8
    with pytest.raises(
        DataFormatError, match=r"sheet 'Table_8', row 8, column C: blank quintile cell"
    ):
        read_national(_write(tmp_path, sheets))


@pytest.mark.parametrize(("column", "letter"), [(0, "A"), (1, "B")])
def test_blank_key_cell_in_accessible_table_raises(tmp_path, column, letter):
    # the accessible layout fills every key cell (sex, year): a blank is a lost cell
    sheets = accessible_sheets()
    sheets["Table_4"][5][column] = "#N/A"  # spreadsheet row 6 (drug misuse, persons, 2022)
    with pytest.raises(DataFormatError, match=rf"sheet 'Table_4', row 6, column {letter}: blank"):
        read_national(_write(tmp_path, sheets))


def _legacy_table_5() -> dict[str, list[list]]:
    """Table_5 in the 2021-and-earlier layout ("Back to contents" above, notes below)."""
    sheets = accessible_sheets()
    sheets["Table_5"] = [BACK, *sheets["Table_5"], [], NOTE1]
    return sheets


def test_legacy_grid_repeats_a_blank_sex_but_not_a_blank_age_band(tmp_path):
    # the 2021 and earlier layouts give a sex or year once per block: a blank repeats it
    sheets = _legacy_table_5()
    sheets["Table_5"][7][0] = ""  # Females -> the Males of the row above
    df = read_national(_write(tmp_path, sheets))
    assert one(df, table="age_specific", age_band="70+").sex == "males"
    # an age band labels its own row: a blank there is a lost cell, never repeated
    sheets = _legacy_table_5()
    sheets["Table_5"][7][1] = "#N/A"  # spreadsheet row 8
    with pytest.raises(DataFormatError, match=r"sheet 'Table_5', row 8, column B: blank age band"):
        read_national(_write(tmp_path, sheets))


@pytest.mark.parametrize("value", [1e20, 1e308, 2**53 + 2])
def test_huge_count_raises_naming_the_cell(tmp_path, value):
    # fuzz cases national2016-xls-huge_*: an OverflowError in astype("Int64") before
    sheets = accessible_sheets()
    sheets["Table_8"][4][3] = value
    with pytest.raises(DataFormatError, match=r"row 5, column D: deaths must be a whole number"):
        read_national(_write(tmp_path, sheets))


@pytest.mark.parametrize("value", [1e20, 1e308, 99999999999999999999])
def test_huge_count_in_legacy_xls_raises(tmp_path, value):
    sheets = sheets_2016()
    sheets["Table 12"][7][2] = value  # males, under 20, 2015 deaths (row 8, column C)
    path = write_workbook(tmp_path / "2016.xls", sheets, fmt="xls")
    with pytest.raises(
        DataFormatError, match=r"sheet 'Table 12', row 8, column C: .*at most 2\*\*53"
    ):
        read_national(path, require=())


def test_every_kind_matches_a_distinct_table():
    assert len(TABLES) == len(set(TABLES)) == 17


# --- the shipped excerpt (no ../shared needed) ---------------------------------------


@pytest.fixture(scope="module")
def excerpt():
    return read_national(datasets.data_dir() / EXCERPT)


def test_excerpt_has_every_table_of_the_2021_edition(excerpt):
    assert list(excerpt.groupby("table", sort=False).size().index) == [
        "deaths_by_sex",
        "asmr",
        "region",
        "deaths_by_cause",
        "deaths_by_age",
        "substances_by_age",
        "age_specific",
        "age_specific_5y",
        "imd",
        "wimd",
        "registration_delay",
    ]


def test_excerpt_agrees_with_the_shipped_extract(excerpt):
    keys = ["table", "area_code", "measure", "substance", "cause", "sex", "age_band"]
    keys += ["quintile", "year_basis", "period_start", "period_end"]
    shipped = datasets.national_tables().merge(excerpt[keys], on=keys)
    assert len(shipped) == len(excerpt)
    values = ["deaths", "rate", "lcl", "ucl", "rate_status", "rate_type", "delay_days"]
    got = excerpt[keys + values].sort_values(keys).reset_index(drop=True)
    expected = shipped[keys + values].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)


def _check_2021_values(df: pd.DataFrame) -> None:
    """Values typed from 2021registrations.xlsx (2021 edition), cell by cell."""
    # Table 2, row 12, column T: 2018, England and Wales, persons, all drug poisoning, 20-29
    r = one(
        df,
        table="deaths_by_age",
        area_code="K04000001",
        sex="persons",
        measure="poisoning",
        age_band="20-29",
        period_start=2018,
    )
    assert (r.deaths, r.sheet, r.row) == (509, "Table 2", 12)
    # Table 8, row 7, D:H: IMD quintile 1 (most deprived), males, 2021
    q1 = one(df, table="imd", quintile=1, sex="males", period_start=2021)
    assert (q1.deaths, q1.rate, q1.lcl, q1.ucl) == (1334, 252.9, 239.2, 266.7)
    assert (q1.area_code, q1.measure, q1.sheet, q1.row) == ("E92000001", "poisoning", "Table 8", 7)
    # Table 10, row 8, column C: median registration delay, England, all drug poisoning, 2021
    d = one(
        df,
        table="registration_delay",
        area_code="E92000001",
        measure="poisoning",
        period_start=2021,
    )
    assert (d.delay_days, d.sheet, d.row) == (205.0, "Table 10", 8)
    # Table 10, row 8, column D: Wales, 315.5 days
    wales = one(
        df,
        table="registration_delay",
        area_code="W92000004",
        measure="poisoning",
        period_start=2021,
    )
    assert wales.delay_days == 315.5
    # Table 1, row 9, column Z: Wales, persons, 2021, drug misuse, accidental poisoning: 183
    acc = one(
        df,
        table="deaths_by_cause",
        area_code="W92000004",
        sex="persons",
        measure="misuse",
        cause="accidental_poisoning",
        period_start=2021,
    )
    assert (acc.deaths, acc.row) == (183, 9)
    # Table 3, row 7, columns Y:AD: heroin or morphine, 2021, by age
    heroin = df.query(
        "table == 'substances_by_age' and substance == 'heroin_morphine' and period_start == 2021"
    )
    assert heroin.set_index("age_band")["deaths"].to_dict() == {
        "0-19": 12,
        "20-29": 113,
        "30-39": 293,
        "40-49": 405,
        "50-69": 362,
        "70+": 28,
    }
    # Table 5, row 8, D:H: persons, under 20, 2021: 45 deaths, 3.2 (2.3-4.3) per million
    young = one(df, table="age_specific", sex="persons", age_band="0-19", period_start=2021)
    assert (young.deaths, young.rate, young.lcl, young.ucl) == (45, 3.2, 2.3, 4.3)
    # Table 6, row 25, column AD: 85+, 2021: 16.3; row 7: <1 is ':' every year
    five = df[(df["table"] == "age_specific_5y") & (df["period_start"] == 2021)]
    assert one(five, age_band="85+").rate == 16.3
    assert one(five, age_band="0").rate_status == "not_calculated"
    # Table 9, row 18, D:H: WIMD quintile 1, females, 2019-2021
    w1 = one(df, table="wimd", quintile=1, sex="females", period_start=2019)
    assert (w1.period_end, w1.deaths, w1.rate, w1.lcl, w1.ucl) == (2021, 88, 97.8, 78.3, 120.7)
    assert w1.area_code == "W92000004"


def test_excerpt_values(excerpt):
    _check_2021_values(excerpt)
    # Table 6, row 23, column AA: 75-79, 2018: '8.6*' (3 to 19 deaths) is a status
    r = one(excerpt, table="age_specific_5y", age_band="75-79", period_start=2018)
    assert (r.rate, r.rate_status) == (8.6, "unreliable")


def test_national_tables_accessor():
    imd = datasets.national_tables("imd")
    assert set(imd["table"]) == {"imd"} and len(imd) == 120
    assert tuple(imd.columns) == NATIONAL_TABLE_COLUMNS
    assert str(imd["quintile"].dtype) == "Int64"
    every = datasets.national_tables()
    assert set(every["table"]) >= set(CORE_TABLES) | {"registration_delay"}
    # national_deaths keeps its three tables and columns
    assert set(datasets.national_deaths()["table"]) == set(CORE_TABLES)
    with pytest.raises(ValueError, match="unknown table"):
        datasets.national_tables("deprivation")


# --- the real ONS editions ---------------------------------------------------------


@pytest.mark.shared
def test_2021_edition_every_table(shared_data):
    df = read_national(shared_data / "ons" / "2021registrations.xlsx")
    _check_2021_values(df)
    # Table 6 row 8, column I: 01-04 in 1999 is '1.2*'
    r = one(df, table="age_specific_5y", age_band="1-4", period_start=1999)
    assert (r.rate, r.rate_status, r.sheet, r.row) == (1.2, "unreliable", "Table 6", 8)
    # the shipped extract is this edition, every table
    pd.testing.assert_frame_equal(df, datasets.national_tables())


@pytest.mark.shared
def test_2016_edition_every_table(shared_data):
    df = read_national(shared_data / "ons" / "deathsrelatedtodrugpoisoningenglandandwales-2016.xls")
    # Table 2 row 8, column B: males, 1993, mental and behavioural disorders: 221
    r = one(
        df,
        table="deaths_by_cause",
        sex="males",
        cause="mental_behavioural_disorders",
        measure="poisoning",
        period_start=1993,
    )
    assert (r.deaths, r.sheet, r.row) == (221, "Table 2", 8)
    # Table 3 row 9, column Y: misuse, males, 2016, accidental poisoning: 1561
    r = one(
        df,
        table="deaths_by_cause",
        sex="males",
        cause="accidental_poisoning",
        measure="misuse",
        period_start=2016,
    )
    assert r.deaths == 1561
    # Table 4 row 8, column B: males, under 20, 1993: 83
    r = one(
        df,
        table="deaths_by_age",
        sex="males",
        age_band="0-19",
        measure="poisoning",
        period_start=1993,
    )
    assert (r.deaths, r.sheet) == (83, "Table 4")
    # Table 7 row 7, column C: any opiate, under 20, 1993: 35
    r = one(
        df, table="substances_by_age", substance="any_opiate", age_band="0-19", period_start=1993
    )
    assert (r.deaths, r.row) == (35, 7)
    # Table 12 row 8, C:F: males, under 20, 1993: 39 deaths, 5.9 (4.2-8.1) per million
    r = one(df, table="age_specific", sex="males", age_band="0-19", period_start=1993)
    assert (r.deaths, r.rate, r.lcl, r.ucl, r.rate_type) == (39, 5.9, 4.2, 8.1, "age_specific")
    # Table 14 row 32, B and E: England, 2016: 162 days (poisoning), 158 (misuse)
    eng = df.query(
        "table == 'registration_delay' and area_code == 'E92000001' and period_start == 2016"
    )
    assert eng.set_index("measure")["delay_days"].to_dict() == {"misuse": 158.0, "poisoning": 162.0}
    # Table 6a rows 46 and 47, column B (1993): paracetamol with and without
    # dextropropoxyphene mentioned alone
    subs = df[(df["table"] == "substances") & (df["period_start"] == 1993)]
    assert one(subs, substance="paracetamol").deaths == 553
    assert one(subs, substance="paracetamol_excl_dextropropoxyphene_alone").deaths == 478
    # Table 6b row 7, column Y: deaths mentioning only one drug, 2016
    r = one(df, table="substances_alone", substance="all", period_start=2016)
    assert r.deaths == 2077
    # Table 8 row 9, column Y: new psychoactive substances, 2016
    r = one(df, table="nps", substance="new_psychoactive_substance", period_start=2016)
    assert r.deaths == 123
    # Table 15 row 30: England, misuse, 2015: 2,300 registered, 2,299 occurred
    occ = df.query("table == 'occurrence' and area_code == 'E92000001' and period_start == 2015")
    assert occ.set_index("year_basis")["deaths"].to_dict() == {
        "occurrence": 2299,
        "registration": 2300,
    }
    # Table 9 row 9 (1995): new psychoactive substances, 1 registered, 2 occurred
    nps = df.query("table == 'occurrence' and measure == 'poisoning' and period_start == 1995")
    assert set(nps["substance"]) == {"new_psychoactive_substance"}
    assert nps.set_index("year_basis")["deaths"].to_dict() == {"occurrence": 2, "registration": 1}


# --- the 2016 layout (years across, .xls), without ../shared ---------------------------

BACK = ["Back to contents"]
SOURCE = ["Source: Office for National Statistics"]
TITLES_2016 = {
    "Table 2": "Number of deaths from drug-related poisoning by sex and underlying cause, "
    "England and Wales, deaths registered between 2015\u201320161,2",
    "Table 6a": "Number of drug-related deaths where selected substances were mentioned on the "
    "death certificate, England and Wales, deaths registered between 2015\u20132016",
    "Table 7": "Number of drug-related deaths where selected substances were mentioned on the "
    "death certificate, by age, England and Wales, deaths registered between 2015\u20132016",
    "Table 9": "Number of deaths involving new psychoactive substances by registration year "
    "and occurrence year, England and Wales, 2015\u201320161,2",
    "Table 12": "Age-specific mortality rates for deaths related to drug misuse, by sex, "
    "England and Wales, deaths registered between 2015\u201320161,2",
    "Table 14": "Average registration delay for deaths related to drug poisoning and drug "
    "misuse, England and Wales, deaths registered between 2015\u20132016",
    "Table 15": "Number of deaths related to drug misuse, by registration year and occurrence "
    "year, England and Wales 2015-2016",
}
MENTAL = "Mental and behavioural disorders due to drug use (excluding alcohol and tobacco)"
NOTE1 = ["1 Figures for England and Wales include deaths of non-residents."]


def sheets_2016() -> dict[str, list[list]]:
    """Tables shaped like the 2016 edition's (values typed from it, 2015-2016 only)."""
    head = {name: [BACK, [name], [title], []] for name, title in TITLES_2016.items()}
    lcl, ucl = "Lower Confidence Limit", "Upper Confidence Limit"
    return {
        "Contents": [["Contents"], *[[n, t] for n, t in TITLES_2016.items()]],
        "Table 2": [
            *head["Table 2"],
            ["Underlying cause of death", 2015.0, 2016.0],
            [],
            ["Males", 2547.0, 2572.0],
            [MENTAL, 107.0, 121.0],
            ["Accidental poisoning by drugs, medicaments and biological substances", 1992, 2010],
            [],
            ["Persons", 3674.0, 3744.0],
            [MENTAL, 131.0, 158.0],
            [],
            NOTE1,
            SOURCE,
        ],
        "Table 6a": [
            *head["Table 6a"],
            ["Substance", 2015.0, 2016.0],
            [],
            ["All drug poisoning deaths", 3674.0, 3744.0],
            [],
            ["Any amphetamine", 151.0, 122.0],
            ["Amphetamine", 120.0, 98.0],
            ["Paracetamol (includes dextropropoxyphene mentioned without paracetamol)4", 200, 190],
            ["Paracetamol5", 180.0, 170.0],
            [],
            NOTE1,
            SOURCE,
        ],
        "Table 7": [
            *head["Table 7"],
            ["Substance", "Age group", 2015.0, 2016.0],
            [],
            ["Any opiate4", "Under 20", 17.0, 17.0],
            ["", "20-29", 216.0, 232.0],
            [],
            ["Cocaine", "Under 20", 10.0, 11.0],
            ["", "70 and over", 1.0, 2.0],
            [],
            NOTE1,
            SOURCE,
        ],
        "Table 9": [
            *head["Table 9"],
            ["", "", "Deaths"],
            ["Year", "Registration year", "Occurrence year"],
            [2015.0, 114.0, 93.0],
            [2016.0, 123.0, 58.0],
            [],
            NOTE1,
            SOURCE,
        ],
        "Table 12": [
            *head["Table 12"],
            ["Sex", "Registration year", "Under 20   ", "", "", "", "", "70 and over"],
            ["", "", "Deaths", "Rate", lcl, ucl, "", "Deaths", "Rate", lcl, ucl],
            [],
            ["Males", 2015.0, 30.0, 4.7, 3.2, 6.7, "", 8.0, ":", ":", ":"],
            ["", 2016.0, 19.0, 3.0, 1.8, 4.6, "", 15.0, 4.0, 2.2, 6.6],
            [],
            ["1 Age-specific mortality rates per 1 million population."],
            SOURCE,
        ],
        "Table 14": [
            *head["Table 14"],
            ["", "", "Median delay (days)"],
            ["", "All drug poisoning", "", "", "Drug misuse"],
            ["Registration year", "England", "Wales", "", "England", "Wales"],
            [],
            [2015.0, 157.0, 157.5, "", 157.0, 155.5],
            [2016.0, 162.0, 157.0, "", 158.0, 159.5],
            ["", "", "", "", "", "", " "],
            [],
            ["1 The registration delay is the time from death to registration, in days."],
            SOURCE,
        ],
        "Table 15": [
            *head["Table 15"],
            [],
            ["", "England", "", "", "Wales"],
            [
                "Year",
                "Registration year",
                "Occurrence year",
                "",
                "Registration year",
                "Occurrence year",
            ],
            [2015.0, 2300.0, 2299.0, "", 168.0, 173.0],
            [],
            NOTE1,
            SOURCE,
        ],
    }


@pytest.fixture
def xls_2016(tmp_path):
    return write_workbook(tmp_path / "2016.xls", sheets_2016(), fmt="xls")


def test_2016_layout_every_table(xls_2016):
    df = read_national(xls_2016, require=())
    assert df.groupby("table", sort=False).size().to_dict() == {
        "deaths_by_cause": 10,
        "substances_by_age": 8,
        "age_specific": 4,
        "registration_delay": 8,
        "substances": 10,
        "occurrence": 8,
    }
    causes = df[df["table"] == "deaths_by_cause"]
    r = one(causes, sex="males", cause="mental_behavioural_disorders", period_start=2016)
    assert (r.deaths, r.measure, r.row) == (121, "poisoning", 8)
    assert one(causes, sex="males", cause="all", period_start=2015).deaths == 2547
    assert (
        one(causes, sex="persons", cause="mental_behavioural_disorders", period_start=2015).deaths
        == 131
    )


def test_2016_layout_substances(xls_2016):
    df = read_national(xls_2016, require=())
    subs = df[(df["table"] == "substances") & (df["period_start"] == 2015)].set_index("substance")
    assert subs["deaths"].to_dict() == {
        "all": 3674,
        "amphetamine": 151,
        "amphetamine_specific": 120,
        "paracetamol": 200,
        "paracetamol_excl_dextropropoxyphene_alone": 180,
    }
    by_age = df[df["table"] == "substances_by_age"]
    # the substance label is given on the first row of its block only
    assert one(by_age, substance="any_opiate", age_band="20-29", period_start=2016).deaths == 232
    assert one(by_age, substance="cocaine", age_band="70+", period_start=2015).deaths == 1


def test_2016_layout_rates_delay_and_occurrence(xls_2016):
    df = read_national(xls_2016, require=())
    rates = df[df["table"] == "age_specific"]
    r = one(rates, age_band="0-19", period_start=2015)
    assert (r.sex, r.measure, r.deaths, r.rate, r.lcl, r.ucl) == (
        "males",
        "misuse",
        30,
        4.7,
        3.2,
        6.7,
    )
    old = one(rates, age_band="70+", period_start=2015)
    assert math.isnan(old.rate) and old.rate_status == "not_calculated"
    delay = df[df["table"] == "registration_delay"]
    r = one(delay, area_code="W92000004", measure="poisoning", period_start=2015)
    assert r.delay_days == 157.5
    occ = df[df["table"] == "occurrence"]
    r = one(occ, area_code="W92000004", year_basis="occurrence", period_start=2015)
    assert (r.deaths, r.measure, r.substance) == (173, "misuse", "all")
    nps = one(occ, area_code="K04000001", year_basis="registration", period_start=2016)
    assert (nps.deaths, nps.substance, nps.measure) == (
        123,
        "new_psychoactive_substance",
        "poisoning",
    )


def test_legacy_table_cut_before_its_footnotes_raises(tmp_path):
    sheets = sheets_2016()
    sheets["Table 7"] = sheets["Table 7"][:8]  # as if the file stopped after row 8
    path = write_workbook(tmp_path / "cut.xls", sheets, fmt="xls")
    with pytest.raises(DataFormatError, match=r"sheet 'Table 7', row 9: the data stop without"):
        read_national(path, require=())
