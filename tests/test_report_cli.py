"""Tests for the shipped data extracts and the ``report`` command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from overdose_trends import DataFormatError
from overdose_trends.cli import main
from overdose_trends.io.datasets import la_deaths
from overdose_trends.report.figures import REGISTRY
from overdose_trends.schema import DEATHS_COLUMNS as COLUMNS
from tests.test_ons import _old_workbook
from tests.test_report_figures import full_report  # noqa: F401  (session fixture)

ROOT = Path(__file__).resolve().parents[1]


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


# --- command line --------------------------------------------------------------------------------


def test_cli_report_round_trip(full_report, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "rep"
    shutil.copytree(full_report[0], out)
    config = str(ROOT / "report.toml")
    assert main(["report", "--config", config, "--out", str(out), "--quiet"]) == 0
    line = capsys.readouterr().out.strip()
    assert line == f"report: built 0, skipped {len(REGISTRY)} (up to date) -> {out / 'index.html'}"
    args = ["report", "--config", config, "--out", str(out), "--quiet", "--force"]
    assert main([*args, "--only", "deaths_averted", "--only", "kits"]) == 0
    assert capsys.readouterr().out.startswith("report: built 2, skipped 0")
    assert (out / "summary.csv").exists() and (out / "index.html").exists()


def test_cli_report_fresh_folder_default_config(tmp_path, capsys, monkeypatch):
    # no report.toml in the working folder: the built-in defaults; one cheap figure
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--out", "rep", "--quiet", "--only", "deaths_averted"]) == 0
    assert capsys.readouterr().out.startswith("report: built 1, skipped 0")
    assert (tmp_path / "rep" / "figures" / "deaths_averted.png").exists()
    assert "Not built yet" in (tmp_path / "rep" / "index.md").read_text(encoding="utf-8")


def test_cli_report_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[kits]\nservise = 'all'\n", encoding="utf-8")
    # a bad configuration is a data error (1); 2 is for command-line usage only
    assert main(["report", "--config", str(bad), "--out", str(tmp_path / "r"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "bad.toml: [kits] unknown key 'servise'" in err and "did you mean 'service'" in err
    assert main(["report", "--out", str(tmp_path / "r"), "--quiet", "--only", "nope"]) == 2
    assert "no figure named 'nope'" in capsys.readouterr().err
    assert main(["report", "--list"]) == 0
    listed = capsys.readouterr().out.split()
    assert all(name in listed for name in REGISTRY.names())


def test_cli_report_workbook(tmp_path, capsys):
    wb = _old_workbook(tmp_path)
    cfg = tmp_path / "r.toml"
    cfg.write_text('[summary]\nareas = ["E06000033", "E07000148"]\n', encoding="utf-8")
    out = tmp_path / "rep"
    args = ["report", "--config", str(cfg), "--out", str(out), "--quiet", "--workbook", str(wb)]
    assert main([*args, "--only", "deaths_averted"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert summary.rate.tolist()[:1] == [8.8]  # Southend 2013-15 from the workbook's Table 3
    md = (out / "index.md").read_text(encoding="utf-8")
    assert "ONS local-authority workbook la.xls" in md


def test_cli_read_la_and_check(tmp_path, capsys):
    wb = _old_workbook(tmp_path)
    out = tmp_path / "la.csv"
    assert main(["read-la", str(wb), "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == list(COLUMNS) and len(df) == 36
    assert main(["check", str(wb), "--strict"]) == 0


def test_cli_reports_bad_input_cleanly(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert main(["read-la", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.xlsx" in err and "not an Excel workbook" in err
    with pytest.raises(DataFormatError):
        from overdose_trends.io.ons_local import read_local_authority

        read_local_authority(bad)


def test_shipped_national_extract():
    from overdose_trends.io.datasets import national_deaths

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
    from overdose_trends.io.datasets import population_bands

    pop = population_bands()
    southend = pop[(pop.area_code == "E06000033")]
    totals = southend.groupby("year")["population"].sum()
    # ONS mid-year estimates, Southend-on-Sea, all ages
    assert totals.loc[[2016, 2017, 2018]].tolist() == [180_606, 181_808, 182_463]
    assert list(pop.age_band.cat.categories)[0] == "0-4" and pop.age_band.cat.ordered
    assert southend[southend.year == 1997].population.isna().sum() == 2  # 85-89, 90+
