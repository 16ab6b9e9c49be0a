"""Tests for the shipped data extract, the report builder and the command line."""

from __future__ import annotations

import pandas as pd
import pytest

from overdose_trends import DataFormatError
from overdose_trends.cli import main
from overdose_trends.datasets import la_deaths
from overdose_trends.ons import COLUMNS
from overdose_trends.report import ReportConfig, build_report, summary_table
from tests.test_ons import _old_workbook


@pytest.fixture(scope="module")
def la():
    return la_deaths()


def test_shipped_extract_has_published_values(la):
    # ONS 2019 edition, Table 3 (typed from the workbook)
    assert tuple(la.columns) == COLUMNS
    sel = la[
        (la.area_code == "E07000148")
        & (la.period_start == 2016)
        & (la.period_end == 2018)
        & (la.measure == "poisoning")
        & (la.sex == "persons")
    ]
    assert sel[["deaths", "rate", "lcl", "ucl"]].iloc[0].tolist() == [80, 21.0, 16.6, 26.3]
    assert la.deaths.dtype == "Int64"
    rutland = la[
        (la.area_code == "E06000017")
        & (la.period_start == 2016)
        & (la.period_end == 2018)
        & (la.measure == "poisoning")
        & (la.sex == "persons")
    ].iloc[0]
    assert rutland.deaths == 1 and pd.isna(rutland.rate) and rutland.rate_status == "not_calculated"


def test_summary_table(la):
    t = summary_table(la, ReportConfig(areas=("E06000033",), periods=((2013, 2015), (2016, 2018))))
    assert t.period.tolist() == ["2013-15", "2016-18"]
    assert t.deaths.tolist() == [47, 32] and t.rate.tolist() == [8.8, 5.8]
    with pytest.raises(KeyError, match="E99999999"):
        summary_table(la, ReportConfig(areas=("E99999999",)))


def test_build_report_writes_outputs(la, tmp_path):
    paths = build_report(la, tmp_path / "r", progress=False)
    assert [p.name for p in paths] == ["summary.csv", "consistency.csv", "index.md"]
    text = (tmp_path / "r" / "index.md").read_text()
    assert "| E06000033 | Southend-on-Sea | 2013-15 | 47 | 8.8 | 6.5 | 11.7 | ok |" in text
    assert "Source: Office for National Statistics" in text


def test_cli_report_and_read_la(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "rep"), "--quiet"]) == 0
    assert (tmp_path / "rep" / "summary.csv").exists()
    wb = _old_workbook(tmp_path)
    out = tmp_path / "la.csv"
    assert main(["read-la", str(wb), "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == list(COLUMNS) and len(df) == 36
    assert main(["check", str(wb), "--strict"]) == 0


def test_cli_reports_bad_input_cleanly(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert main(["read-la", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.xlsx" in err and "not an Excel workbook" in err
    with pytest.raises(DataFormatError):
        from overdose_trends.ons import read_local_authority

        read_local_authority(bad)


def test_shipped_national_extract():
    from overdose_trends.datasets import national_deaths

    nat = national_deaths()
    # ONS 2021 edition, Table 4 row 11: 2018, England and Wales, persons
    row = nat[
        (nat.table == "asmr")
        & (nat.period_start == 2018)
        & (nat.substance == "all")
        & (nat.sex == "persons")
        & (nat.measure == "poisoning")
    ].iloc[0]
    assert (row.deaths, row.rate, row.lcl, row.ucl, row.rate_per) == (4359, 76.3, 74.0, 78.5, 10**6)
    assert nat.deaths.dtype == "Int64"
    assert set(nat.table) == {"deaths_by_sex", "asmr", "region"}


def test_shipped_population_bands():
    from overdose_trends.datasets import population_bands

    pop = population_bands()
    southend = pop[(pop.area_code == "E06000033")]
    totals = southend.groupby("year")["population"].sum()
    # ONS mid-year estimates, Southend-on-Sea, all ages
    assert totals.loc[[2016, 2017, 2018]].tolist() == [180_606, 181_808, 182_463]
    assert list(pop.age_band.cat.categories)[0] == "0-4" and pop.age_band.cat.ordered
    assert southend[southend.year == 1997].population.isna().sum() == 2  # 85-89, 90+
