"""Tests for overdose_trends.io.population.

Small CSV fixtures in the layout of the ONS single-year-of-age estimates
(``name,code,year,Age 0,...,Age 89,Aged 90+``) are written in ``tmp_path``.
In fixture area A the population at age ``a`` is ``1000 + a``; in area B it is
``2 * a``, so band sums can be worked out by hand. The real file in
../shared is read by the last tests, which skip when it is absent.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from overdose_trends import DataFormatError
from overdose_trends.constants import ESP2013_BANDS, ESP2013_BANDS_20
from overdose_trends.io.population import (
    all_ages,
    read_mid_year_estimates,
    to_esp_bands,
)
from overdose_trends.schema import POPULATION_COLUMNS

AGE_HEADERS = [f"Age {a}" for a in range(90)] + ["Aged 90+"]
HEADER = ["name", "code", "year", *AGE_HEADERS]


def _a(age: int) -> int:
    return 1000 + age


def _b(age: int) -> int:
    return 2 * age


def _row(name: str, code: str, year: int | str, values) -> list[str]:
    return [name, code, str(year), *(str(v) for v in values)]


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if "," in v else v

    return "\n".join(",".join(cell(v) for v in r) for r in [header, *rows]) + "\n"


def _write(tmp_path: Path, text: str, name: str = "pop.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _standard_rows() -> list[list[str]]:
    return [
        _row("Area A", "E06000001", 2018, [_a(a) for a in range(91)]),
        _row("Area B, City of", "E07000002", 2018, [_b(a) for a in range(91)]),
        _row("Area A", "E06000001", 2019, [_a(a) + 1 for a in range(91)]),
    ]


# --- read_mid_year_estimates -------------------------------------------------------


def test_reads_long_tidy_table(tmp_path):
    pop = read_mid_year_estimates(_write(tmp_path, _csv(_standard_rows())))
    assert tuple(pop.columns) == POPULATION_COLUMNS
    assert len(pop) == 3 * 91
    assert pop["year"].dtype == "int64"
    assert pop["age"].dtype == "int64"
    assert pop["population"].dtype == "Int64"
    assert pd.api.types.is_string_dtype(pop["area_code"])
    assert pd.api.types.is_string_dtype(pop["age_label"])
    first = pop.iloc[0]
    assert (first["area_code"], first["area_name"], first["year"]) == ("E06000001", "Area A", 2018)
    assert (first["age"], first["age_label"], first["population"]) == (0, "0", 1000)
    top = pop.iloc[90]
    assert (top["age"], top["age_label"], top["population"]) == (90, "90+", 1090)
    b = pop[pop["area_code"] == "E07000002"]
    assert b["area_name"].unique().tolist() == ["Area B, City of"]
    assert b.loc[b["age"] == 37, "population"].item() == 74
    assert pop.iloc[2 * 91 + 5]["population"] == 1006  # area A 2019, age 5
    assert pop["age"].tolist()[:91] == list(range(91))


def test_dash_means_missing(tmp_path):
    values = [str(_a(a)) for a in range(85)] + ["-"] * 6
    path = _write(tmp_path, _csv([_row("Area A", "E06000001", 1997, values)]))
    pop = read_mid_year_estimates(path)
    assert pop["population"].isna().tolist() == [False] * 85 + [True] * 6
    assert pop.loc[pop["age"] == 84, "population"].item() == 1084
    assert all_ages(pop)["population"].isna().all()


def test_reads_text_and_binary_file_objects(tmp_path):
    text = _csv(_standard_rows())
    from_text = read_mid_year_estimates(io.StringIO(text))
    from_bytes = read_mid_year_estimates(io.BytesIO(b"\xef\xbb\xbf" + text.encode()))
    from_path = read_mid_year_estimates(_write(tmp_path, text))
    pd.testing.assert_frame_equal(from_text, from_path)
    pd.testing.assert_frame_equal(from_bytes, from_path)


@pytest.mark.parametrize("top", ["Aged 90+", "Age 90+", "age 90 +", "90+", "Age 90 and over"])
def test_header_variants(tmp_path, top):
    header = [
        "  Name ",
        "CODE",
        "Year",
        *(f"AGE  {a}" for a in range(90)),
        top,
        "All ages",
        "Notes",
    ]
    rows = [[*r, str(sum(_a(a) for a in range(91))), "x"] for r in _standard_rows()[:1]]
    pop = read_mid_year_estimates(_write(tmp_path, _csv(rows, header)))
    assert tuple(pop.columns) == POPULATION_COLUMNS
    assert pop["population"].tolist() == [_a(a) for a in range(91)]
    assert pop["age_label"].iloc[-1] == "90+"


def test_columns_in_any_order(tmp_path):
    header = ["year", *AGE_HEADERS[::-1], "code", "name"]
    row = ["2018", *(str(_a(a)) for a in range(90, -1, -1)), "E06000001", "Area A"]
    pop = read_mid_year_estimates(_write(tmp_path, _csv([row], header)))
    assert pop["population"].tolist() == [_a(a) for a in range(91)]


def test_all_ages_column_is_cross_checked(tmp_path):
    header = [*HEADER, "All ages"]
    total = sum(_a(a) for a in range(91))  # 95095
    good = _standard_rows()[0] + [str(total)]
    bad = _standard_rows()[2] + [str(total)]  # area A 2019 sums to 95186
    path = _write(tmp_path, _csv([good, bad], header))
    with pytest.raises(DataFormatError) as err:
        read_mid_year_estimates(path)
    assert err.value.row == 3
    assert "'All ages'" in err.value.column
    assert "95095" in str(err.value) and "95186" in str(err.value)


def test_all_ages_column_with_missing_ages_is_not_an_error(tmp_path):
    header = [*HEADER, "Total"]
    values = [str(_a(a)) for a in range(85)] + ["-"] * 6
    path = _write(tmp_path, _csv([[*_row("Area A", "E06000001", 1997, values), "99999"]], header))
    assert read_mid_year_estimates(path)["population"].isna().sum() == 6


def test_text_in_number_cell(tmp_path):
    rows = _standard_rows()
    rows[1][3 + 3] = "abc"  # area B, Age 3, spreadsheet row 3
    path = _write(tmp_path, _csv(rows))
    with pytest.raises(DataFormatError) as err:
        read_mid_year_estimates(path)
    assert err.value.row == 3
    assert err.value.column == "'Age 3' (G)"
    assert err.value.file == str(path)
    assert "'abc'" in str(err.value)


@pytest.mark.parametrize(
    ("cell", "words"), [("", "empty cell"), ("-5", "negative"), ("12.5", "not a whole number")]
)
def test_bad_number_cells(tmp_path, cell, words):
    rows = _standard_rows()
    rows[2][-1] = cell  # area A 2019, Aged 90+, row 4
    with pytest.raises(DataFormatError, match=words) as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert err.value.row == 4
    assert err.value.column.startswith("'Aged 90+'")


def test_thousands_separators_and_spaces(tmp_path):
    values = [f" {_a(a)} " for a in range(90)] + ["1,234"]
    pop = read_mid_year_estimates(_write(tmp_path, _csv([_row("A", "E06000001", 2018, values)])))
    assert pop["population"].iloc[-1] == 1234
    assert pop["population"].iloc[0] == 1000


def test_short_line_is_an_error(tmp_path):
    rows = _standard_rows()
    rows[1] = rows[1][:-2]
    with pytest.raises(DataFormatError, match="92 fields but the header has 94") as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert err.value.row == 3


def test_long_line_is_an_error(tmp_path):
    rows = _standard_rows()
    rows[2] = [*rows[2], "7"]
    with pytest.raises(DataFormatError, match="95 fields") as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert err.value.row == 4


def test_blank_lines_keep_row_numbers(tmp_path):
    rows = _standard_rows()
    rows[2][3] = "oops"
    lines = _csv(rows).splitlines()
    text = "\n".join([lines[0], lines[1], "", lines[2], lines[3]]) + "\n\n\n"
    with pytest.raises(DataFormatError) as err:
        read_mid_year_estimates(_write(tmp_path, text))
    assert err.value.row == 5  # header 1, A 2, blank 3, B 4, bad row 5
    rows[2][3] = "1001"
    lines = _csv(rows).splitlines()
    text = "\n".join([lines[0], lines[1], "", lines[2], lines[3]]) + "\n"
    assert len(read_mid_year_estimates(_write(tmp_path, text))) == 3 * 91


@pytest.mark.parametrize("code", ["E0600001", "e06000001", "E06 000001", "", "06000001X"])
def test_bad_area_code(tmp_path, code):
    rows = _standard_rows()
    rows[2][1] = code
    with pytest.raises(DataFormatError, match="GSS") as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert err.value.row == 4
    assert err.value.column == "'code' (B)"


def test_bad_year(tmp_path):
    rows = _standard_rows()
    rows[0][2] = "18"
    with pytest.raises(DataFormatError, match="year") as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert (err.value.row, err.value.column) == (2, "'year' (C)")


def test_empty_name(tmp_path):
    rows = _standard_rows()
    rows[1][0] = "  "
    with pytest.raises(DataFormatError, match="empty area name") as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert err.value.row == 3


def test_duplicate_code_and_year_names_both_rows(tmp_path):
    rows = _standard_rows()
    rows.append(_row("Area A again", "E06000001", 2019, range(91)))
    with pytest.raises(DataFormatError) as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert "rows 4 and 5" in str(err.value)
    assert "E06000001" in str(err.value) and "2019" in str(err.value)
    assert err.value.row == 5


def test_missing_columns_are_listed(tmp_path):
    header = [h for h in HEADER if h not in ("year", "Age 17", "Aged 90+")]
    rows = [[v for h, v in zip(HEADER, r, strict=True) if h in header] for r in _standard_rows()]
    with pytest.raises(DataFormatError) as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows, header)))
    message = str(err.value)
    assert "'year'" in message and "'Age 17'" in message and "'Aged 90+'" in message
    assert "'Age 16'" not in message
    assert err.value.row == 1


def test_duplicate_age_column(tmp_path):
    header = [*HEADER, "age 5"]
    rows = [[*r, "1"] for r in _standard_rows()]
    with pytest.raises(DataFormatError, match="two columns for age 5"):
        read_mid_year_estimates(_write(tmp_path, _csv(rows, header)))


def test_other_open_ended_top_age_is_rejected(tmp_path):
    header = [*HEADER[:-6], "Aged 85+"]
    rows = [r[:-5] for r in _standard_rows()]
    with pytest.raises(DataFormatError, match="85\\+"):
        read_mid_year_estimates(_write(tmp_path, _csv(rows, header)))


def test_header_only_gives_empty_table(tmp_path):
    pop = read_mid_year_estimates(_write(tmp_path, _csv([])))
    assert tuple(pop.columns) == POPULATION_COLUMNS
    assert len(pop) == 0
    assert pop["population"].dtype == "Int64"


def test_empty_file(tmp_path):
    with pytest.raises(DataFormatError, match="empty"):
        read_mid_year_estimates(_write(tmp_path, ""))


# --- to_esp_bands and all_ages --------------------------------------------------


def test_esp_bands_by_hand(tmp_path):
    pop = read_mid_year_estimates(_write(tmp_path, _csv(_standard_rows())))
    bands = to_esp_bands(pop)
    assert list(bands.columns) == [
        "area_code",
        "area_name",
        "year",
        "age_band",
        "age_band_start",
        "population",
    ]
    assert len(bands) == 3 * 19
    assert bands["age_band"].cat.ordered
    assert list(bands["age_band"].cat.categories) == list(ESP2013_BANDS)
    assert bands["population"].dtype == "Int64"
    a = bands[(bands["area_code"] == "E06000001") & (bands["year"] == 2018)]
    assert a["age_band"].astype(str).tolist() == list(ESP2013_BANDS)
    assert a["age_band_start"].tolist()[:3] == [0, 5, 10]
    by_band = dict(zip(a["age_band"].astype(str), a["population"], strict=True))
    assert by_band["0-4"] == 5010  # 5 * 1000 + (0+1+2+3+4)
    assert by_band["20-24"] == 5110  # 5 * 1000 + 110
    assert by_band["85-89"] == 5435  # 5 * 1000 + 435
    assert by_band["90+"] == 1090
    b = bands[bands["area_code"] == "E07000002"].set_index("age_band")["population"]
    assert b["0-4"] == 20 and b["85-89"] == 870 and b["90+"] == 180
    assert int(a["population"].sum()) == 95095


def test_esp_20_bands_by_hand(tmp_path):
    pop = read_mid_year_estimates(_write(tmp_path, _csv(_standard_rows()[:1])))
    bands = to_esp_bands(pop, bands="esp2013_20")
    assert bands["age_band"].astype(str).tolist() == list(ESP2013_BANDS_20)
    assert bands["age_band_start"].tolist()[:3] == [0, 1, 5]
    assert bands["population"].tolist()[:3] == [1000, 4010, 5035]


def test_band_with_a_missing_age_is_na(tmp_path):
    values = [str(_a(a)) for a in range(91)]
    values[7] = "-"
    pop = read_mid_year_estimates(_write(tmp_path, _csv([_row("A", "E06000001", 2018, values)])))
    bands = to_esp_bands(pop).set_index("age_band")["population"]
    assert pd.isna(bands["5-9"])
    assert bands["0-4"] == 5010 and bands["10-14"] == 5060
    assert bands.isna().sum() == 1


def test_bands_keep_extra_key_columns():
    rows = []
    for sex, factor in (("males", 1), ("females", 3)):
        for age in range(91):
            rows.append(
                {
                    "area_code": "E06000001",
                    "sex": sex,
                    "year": 2020,
                    "age": age,
                    "population": factor * age,
                }
            )
    pop = pd.DataFrame(rows).astype({"population": "Int64"})
    bands = to_esp_bands(pop)
    assert list(bands.columns) == [
        "area_code",
        "sex",
        "year",
        "age_band",
        "age_band_start",
        "population",
    ]
    f = bands[bands["sex"] == "females"].set_index("age_band")["population"]
    assert f["5-9"] == 105  # 3 * (5+6+7+8+9)
    assert all_ages(pop).set_index("sex")["population"].to_dict() == {
        "males": 4095,
        "females": 12285,
    }


def test_bands_error_when_ages_absent(tmp_path):
    pop = read_mid_year_estimates(_write(tmp_path, _csv(_standard_rows())))
    gap = pop.drop(pop.index[(pop["area_code"] == "E07000002") & pop["age"].isin([40, 41])])
    with pytest.raises(DataFormatError, match="E07000002.*40, 41"):
        to_esp_bands(gap)
    with pytest.raises(DataFormatError, match="more than one row for age"):
        all_ages(pd.concat([pop, pop.iloc[[5]]]))


def test_bands_reject_ages_out_of_range():
    pop = pd.DataFrame({"year": [2020] * 92, "age": list(range(92)), "population": [1] * 92})
    with pytest.raises(DataFormatError, match="91"):
        to_esp_bands(pop)


def test_unknown_band_scheme(tmp_path):
    pop = read_mid_year_estimates(_write(tmp_path, _csv(_standard_rows())))
    with pytest.raises(ValueError, match="esp1976"):
        to_esp_bands(pop, bands="esp1976")


def test_all_ages_by_hand(tmp_path):
    pop = read_mid_year_estimates(_write(tmp_path, _csv(_standard_rows())))
    total = all_ages(pop)
    assert list(total.columns) == ["area_code", "area_name", "year", "population"]
    assert total["population"].tolist() == [95095, 8190, 95186]
    assert total["year"].tolist() == [2018, 2018, 2019]


# --- the real ONS file ------------------------------------------------------------


@pytest.mark.shared
def test_real_file(shared_data):
    pop = read_mid_year_estimates(shared_data / "population" / "la_pop_estimates.csv")
    assert len(pop) == 8976 * 91
    assert pop.groupby(["area_code", "year"]).ngroups == 8976
    total = all_ages(pop).set_index(["area_code", "year"])["population"]
    assert total[("E06000033", 2016)] == 180_606
    assert total[("E06000033", 2017)] == 181_808
    assert total[("E06000033", 2018)] == 182_463
    bands = to_esp_bands(pop).set_index(["area_code", "year", "age_band"])["population"]
    assert bands[("E06000033", 2018, "0-4")] + bands[("E06000033", 2018, "5-9")] == (
        pop[(pop["area_code"] == "E06000033") & (pop["year"] == 2018) & (pop["age"] < 10)][
            "population"
        ].sum()
    )
    # '-' covers ages 85-90+ in 1997-2000 (England and Wales) and every age in
    # 1997-2000 for the 11 Northern Ireland districts; nothing from 2001.
    missing = pop[pop["population"].isna()]
    assert missing["year"].between(1997, 2000).all()
    assert set(missing.loc[~missing["area_code"].str.startswith("N09"), "age"]) == set(
        range(85, 91)
    )
    assert missing["area_code"].str.startswith("N09").sum() == 11 * 4 * 91
    assert pd.isna(total[("E06000033", 2000)])
    assert total[("E06000033", 2001)] > 0


def test_shipped_excerpt_gives_the_shipped_population_bands():
    from overdose_trends.io import datasets

    pop = read_mid_year_estimates(datasets.data_dir() / "ons_population_single_age_excerpt.csv")
    assert tuple(pop.columns) == POPULATION_COLUMNS
    assert sorted(set(pop["year"])) == [2000, 2013, 2014, 2015]
    bands = to_esp_bands(pop)
    shipped = datasets.population_bands().query(
        "area_code == 'E06000033' and year in [2000, 2013, 2014, 2015]"
    )
    columns = ["area_code", "year", "age_band", "population"]
    got = bands[columns].astype({"age_band": str}).reset_index(drop=True)
    expected = shipped[columns].astype({"age_band": str}).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    total = all_ages(pop).set_index("year")["population"]
    assert pd.isna(total[2000]) and total[2013] == 176_236


# --- read_population: Nomis and ONS MYEB layouts, vintages ------------------------------
# fixtures/nomis_mye_southend_2014_2015.csv: a Nomis NM_2002_1 CSV (every column of the
# download) for Southend-on-Sea, persons, 2014 and 2015, holding the ONS single-year values
# of the shipped excerpt (2011-Census-based series, as Nomis served them before the
# rebasing of 23 November 2023). fixtures/ons_myeb1_excerpt.csv: sheet MYEB1 of the ONS
# detailed time series saved as CSV (title line, then the header), one area, counts made up.

FIXTURES = Path(__file__).parent / "fixtures"
NOMIS = FIXTURES / "nomis_mye_southend_2014_2015.csv"
MYEB = FIXTURES / "ons_myeb1_excerpt.csv"


def _shipped_excerpt() -> pd.DataFrame:
    from overdose_trends.io import datasets

    return read_mid_year_estimates(datasets.data_dir() / "ons_population_single_age_excerpt.csv")


def test_nomis_download_matches_the_ons_file():
    from overdose_trends.io.population import VINTAGE_POPULATION_COLUMNS, read_population

    pop = read_population(NOMIS, rebased=False)
    assert tuple(pop.columns) == VINTAGE_POPULATION_COLUMNS
    assert len(pop) == 2 * 91
    assert set(pop["sex"]) == {"persons"}
    assert set(pop["population_vintage"]) == {"2011 Census based"}
    assert pop.attrs["population_vintage"] == ("2011 Census based",)
    ons = _shipped_excerpt().query("year in [2014, 2015]").reset_index(drop=True)
    cols = list(POPULATION_COLUMNS)
    pd.testing.assert_frame_equal(pop[cols], ons[cols])
    # ONS all-ages totals (2011-based): 178,367 in 2014 and 179,234 in 2015
    assert all_ages(pop.drop(columns="age_label")).set_index("year")["population"].tolist() == [
        178_367,
        179_234,
    ]


def test_nomis_2012_to_2021_without_rebased_is_unknown_with_a_warning():
    from overdose_trends.io.population import read_population

    with pytest.warns(UserWarning, match="rebased=True or rebased=False"):
        pop = read_population(NOMIS)
    assert set(pop["population_vintage"]) == {"unknown"}
    assert set(read_population(NOMIS, rebased=True)["population_vintage"]) == {
        "2021 Census rebased"
    }


def test_nomis_title_block_bands_and_percent_rows_are_skipped(tmp_path):
    from overdose_trends.io.population import read_population

    lines = NOMIS.read_text().splitlines()
    percent = [
        line.replace('"Value"', '"Percent"').replace(",20100,", ",20301,") for line in lines[1:4]
    ]
    band = lines[1].replace('"All Ages"', '"Aged 16 - 64"')
    title = [
        '"Population estimates - local authority based by single year of age"',
        '"ONS Crown Copyright Reserved [from Nomis on 1 December 2026]"',
        "",
    ]
    path = _write(tmp_path, "\n".join([*title, *lines, *percent, band]) + "\n", "nomis.csv")
    pop = read_population(path, rebased=False)
    pd.testing.assert_frame_equal(pop, read_population(NOMIS, rebased=False))


def test_myeb_time_series_sexes_and_vintages():
    import warnings

    from overdose_trends.io.population import read_population

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a series running past 2021 is known to be rebased
        pop = read_population(MYEB)
    assert len(pop) == 12 * 91 and set(pop["sex"]) == {"persons"}
    first = pop.set_index(["year", "age"])["population"]
    assert first[(2011, 0)] == 1000 + 1040  # males + females
    assert first[(2022, 90)] == (1000 - 90 + 33 + 6) + (1040 - 90 + 33 + 6)
    vintage = pop.drop_duplicates("year").set_index("year")["population_vintage"]
    assert vintage[2011] == "2011 Census based"
    assert set(vintage.loc[2012:2021]) == {"2021 Census rebased"}
    assert vintage[2022] == "2021 Census based"
    assert pop.attrs["population_vintage"] == (
        "2011 Census based",
        "2021 Census rebased",
        "2021 Census based",
    )
    males = read_population(MYEB, sex="males")
    assert set(males["sex"]) == {"males"} and males["population"].iloc[0] == 1000
    both = read_population(MYEB, sex=None)
    assert both["sex"].drop_duplicates().tolist() == ["males", "females"]
    assert len(both) == 2 * 12 * 91


def test_wide_ons_file_is_2011_based():
    from overdose_trends.io import datasets
    from overdose_trends.io.population import read_population

    pop = read_population(datasets.data_dir() / "ons_population_single_age_excerpt.csv")
    assert set(pop["population_vintage"]) == {"2011 Census based"}
    pd.testing.assert_frame_equal(
        pop[list(POPULATION_COLUMNS)], _shipped_excerpt()[list(POPULATION_COLUMNS)]
    )
    with pytest.raises(ValueError, match="persons only"):
        read_population(datasets.data_dir() / "ons_population_single_age_excerpt.csv", sex="males")


def test_a_rate_carries_the_population_vintage():
    import overdose_trends as ot
    from overdose_trends.io.population import read_population

    pop = read_population(MYEB).query("year in [2020, 2022]")
    bands = to_esp_bands(pop.drop(columns="age_label"))
    assert "population_vintage" in bands.columns and len(bands) == 2 * 19
    deaths = bands[["area_code", "year", "age_band"]].assign(deaths=1)
    data = deaths.merge(bands, on=["area_code", "year", "age_band"])
    rates = ot.dsr(data, by=["area_code", "year", "population_vintage"])
    assert rates.set_index("year")["population_vintage"].to_dict() == {
        2020: "2021 Census rebased",
        2022: "2021 Census based",
    }
    crude = ot.crude_rate(
        data.assign(population=data["population"].astype("int64")),
        by=["year", "population_vintage"],
    )
    assert crude["population_vintage"].tolist() == ["2021 Census rebased", "2021 Census based"]


# --- read_population: bad input --------------------------------------------------------------


def test_nomis_missing_age_names_area_and_year(tmp_path):
    from overdose_trends.io.population import read_population

    lines = [line for line in NOMIS.read_text().splitlines() if '"Age 37"' not in line]
    with pytest.raises(DataFormatError, match=r"E06000033, year 2014.*age\(s\) 37") as err:
        read_population(_write(tmp_path, "\n".join(lines), "n.csv"), rebased=False)
    assert err.value.file.endswith("n.csv")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('"E06000033"', '"E0600003"', "GSS"),
        ('"Total"', '"Unknown"', "not Total/Persons"),
        (',"Value",2284,', ',"Value",2284.5,', "whole number"),
    ],
)
def test_nomis_bad_cells_name_the_line(tmp_path, old, new, words):
    from overdose_trends.io.population import read_population

    lines = NOMIS.read_text().splitlines()
    assert old in lines[2]
    lines[2] = lines[2].replace(old, new)
    with pytest.raises(DataFormatError, match=words) as err:
        read_population(_write(tmp_path, "\n".join(lines), "n.csv"), rebased=False)
    assert err.value.row == 3


def test_myeb_persons_need_both_sexes(tmp_path):
    from overdose_trends.io.population import read_population

    lines = MYEB.read_text().splitlines()
    males_only = [lines[0], lines[1], *(line for line in lines[2:] if ",E,1," in line)]
    path = _write(tmp_path, "\n".join(males_only), "m.csv")
    with pytest.raises(DataFormatError, match="males or females only"):
        read_population(path)
    assert len(read_population(path, sex="males")) == 12 * 91
    with pytest.raises(DataFormatError, match="no rows for sex 'females'"):
        read_population(path, sex="females")
    with pytest.raises(ValueError, match="sex='both'"):
        read_population(MYEB, sex="both")


def test_myeb_bad_age(tmp_path):
    from overdose_trends.io.population import read_population

    lines = MYEB.read_text().splitlines()
    lines[5] = lines[5].replace(",E,1,3,", ",E,1,three,")
    with pytest.raises(DataFormatError, match="age 'three'") as err:
        read_population(_write(tmp_path, "\n".join(lines), "m.csv"))
    assert err.value.row == 6


def test_nomis_all_ages_row_is_cross_checked(tmp_path):
    from overdose_trends.io.population import read_population

    lines = NOMIS.read_text().splitlines()
    assert '"All Ages"' in lines[1] and ",178367," in lines[1]
    lines[1] = lines[1].replace(",178367,", ",178368,")
    with pytest.raises(DataFormatError, match="All Ages 178368.*sum of the single ages") as err:
        read_population(_write(tmp_path, "\n".join(lines), "n.csv"), rebased=False)
    assert err.value.row == 2


# fixtures/ons_mye2_persons_mid2022_excerpt.csv: sheet "MYE2 - Persons" of the ONS UK
# estimates workbook saved as CSV (title line, then Code, Name, Geography, All ages, 0 … 90),
# four areas, counts made up (the all-ages column is their sum).
MYE2 = FIXTURES / "ons_mye2_persons_mid2022_excerpt.csv"


def test_mye2_sheet_year_and_sex_from_the_title(tmp_path):
    from overdose_trends.io.population import read_population

    pop = read_population(MYE2)
    assert len(pop) == 4 * 91
    assert set(pop["year"]) == {2022} and set(pop["sex"]) == {"persons"}
    assert set(pop["population_vintage"]) == {"2021 Census based"}
    southend = pop[pop["area_code"] == "E06000033"].set_index("age_label")["population"]
    assert southend["0"] == 2000 and southend["90+"] == 2000 - 20 * 18
    assert pop["area_code"].drop_duplicates().tolist()[:2] == ["K02000001", "E92000001"]
    lines = MYE2.read_text().splitlines()
    untitled = _write(tmp_path, "\n".join(lines[1:]), "untitled.csv")
    with pytest.raises(DataFormatError, match="pass year="):
        read_population(untitled)
    assert read_population(untitled, year=2022)["year"].eq(2022).all()
    with pytest.raises(DataFormatError, match="title says mid-2022"):
        read_population(MYE2, year=2021)
    females = _write(tmp_path, "\n".join([lines[0].replace("Persons", "Females"), *lines[1:]]))
    assert set(read_population(females, sex="females")["sex"]) == {"females"}
    with pytest.raises(ValueError, match="MYE2 sheets only"):
        read_population(NOMIS, year=2014)


def test_mye2_all_ages_is_cross_checked(tmp_path):
    from overdose_trends.io.population import read_population

    lines = MYE2.read_text().splitlines()
    cells = lines[4].split(",")
    cells[3] = str(int(cells[3]) + 1)
    lines[4] = ",".join(cells)
    with pytest.raises(DataFormatError, match="does not equal the sum") as err:
        read_population(_write(tmp_path, "\n".join(lines), "mye2.csv"))
    assert err.value.row == 5


# --- malformed input found by the fuzz suite (issue #15) ----------------------------------
# One notation for numbers (digits, optional ',' thousands separators); impossible counts,
# short or cut rows and folders are a DataFormatError naming the file, row and column; a
# damaged cell is never echoed whole into a message.


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("1e+20", "text '1e\\+20' in a number cell"),  # would wrap round to -9.2e18
        ("1e+308", "text '1e\\+308' in a number cell"),
        ("99999999999999999999", "too large to be a count"),
        ("5.000,0", "text '5.000,0' in a number cell"),  # not read as 5
        ("1_000", "text '1_000' in a number cell"),  # not read as 1000
        ("inf", "text 'inf' in a number cell"),
        ("NaN", "text 'NaN' in a number cell"),
    ],
)
def test_impossible_or_foreign_numbers_are_refused(tmp_path, cell, words):
    rows = _standard_rows()
    rows[1][3 + 40] = cell  # area B, Age 40: row 3, column AR
    with pytest.raises(DataFormatError, match=words) as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert (err.value.row, err.value.column) == (3, "'Age 40' (AR)")


@pytest.mark.parametrize(
    ("size", "words"),
    [(100_000, "100,000 characters"), (1_000_000, "a cell longer than 131,072 characters")],
)
def test_a_long_cell_is_not_echoed(tmp_path, size, words):
    rows = _standard_rows()
    rows[2][1] = "x" * size  # area code of row 4
    with pytest.raises(DataFormatError, match=words) as err:
        read_mid_year_estimates(_write(tmp_path, _csv(rows)))
    assert len(str(err.value)) < 500 and err.value.row == 4


def test_a_folder_is_a_data_format_error(tmp_path):
    from overdose_trends.io.population import read_population

    (tmp_path / "pop.csv").write_text(_csv(_standard_rows()), encoding="utf-8")
    for reader in (read_mid_year_estimates, read_population):
        with pytest.raises(DataFormatError, match="folder") as err:
            reader(tmp_path)
        assert err.value.file == str(tmp_path)


def _nomis_lines() -> list[str]:
    return NOMIS.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1e+308", "text '1e\\+308'"),
        ("99999999999999999999", "too large"),
        ("5.000,0", "text '5.000,0'"),
        ("", "empty cell"),  # Nomis writes every value; a blank is not 'no value'
    ],
)
def test_nomis_bad_values_name_line_and_column(tmp_path, value, words):
    from overdose_trends.io.population import read_population

    lines = _nomis_lines()
    assert ',"Value",2284,' in lines[2]
    lines[2] = lines[2].replace(',"Value",2284,', f',"Value","{value}",')
    with pytest.raises(DataFormatError, match=words) as err:
        read_population(_write(tmp_path, "\n".join(lines), "n.csv"), rebased=False)
    assert (err.value.row, err.value.column) == (3, "OBS_VALUE")


def test_nomis_short_row_is_an_error(tmp_path):
    from overdose_trends.io.population import read_population

    lines = _nomis_lines()
    lines[5] = lines[5].rsplit(",", 2)[0]  # the last two fields gone
    with pytest.raises(DataFormatError, match="32 fields but the header has 34") as err:
        read_population(_write(tmp_path, "\n".join(lines), "n.csv"), rebased=False)
    assert err.value.row == 6


def test_nomis_cut_or_header_only_file_is_an_error(tmp_path):
    from overdose_trends.io.population import read_population

    data = NOMIS.read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(data[:513])  # inside the first data line
    with pytest.raises(DataFormatError, match="fields but the header has 34") as err:
        read_population(cut, rebased=False)
    assert err.value.row == 2
    header_only = _write(tmp_path, _nomis_lines()[0] + "\n", "header.csv")
    with pytest.raises(DataFormatError, match="no data rows") as err:
        read_population(header_only, rebased=False)
    assert err.value.row == 2
