"""Tests for the shipped data extracts, the report configuration and the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from overdose_trends import DataFormatError
from overdose_trends.cli import main
from overdose_trends.io.datasets import la_deaths
from overdose_trends.io.ons_local import COLUMNS
from overdose_trends.report.build import (
    ConfigError,
    ReportConfig,
    SummaryOptions,
    comparison_table,
    default_toml,
    load_config,
    summary_table,
)
from overdose_trends.report.figures import REGISTRY
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


# --- summary tables ------------------------------------------------------------------------------


def test_summary_table(la):
    opts = SummaryOptions(areas=("E06000033",), periods=((2013, 2015), (2016, 2018)))
    t = summary_table(la, opts)
    assert t.period.tolist() == ["2013-15", "2016-18"]
    # ONS 2019 edition, Table 3: Southend-on-Sea 47 deaths, 8.8 per 100,000; 32, 5.8
    assert t.deaths.tolist() == [47, 32] and t.rate.tolist() == [8.8, 5.8]
    assert summary_table(la, ReportConfig(summary=opts)).equals(t)
    with pytest.raises(KeyError, match="E99999999"):
        summary_table(la, SummaryOptions(areas=("E99999999",)))


def test_comparison_table(la):
    c = comparison_table(la, ReportConfig())
    assert c.area_code.tolist() == ["E06000033", "E07000148", "E10000020", "E92000001"]
    assert set(c.comparison) == {"2016-18 vs 2013-15"}
    # Norfolk 7.5 (6.4-8.6) -> 9.4 (8.2-10.6): the intervals overlap (ONS rule: no change)
    # but the log-ratio test is significant: se = sqrt((ln(8.6/6.4)/3.92)^2 +
    # (ln(10.6/8.2)/3.92)^2) = 0.0998, z = ln(9.4/7.5)/0.0998 = 2.262, p = 0.0237
    norfolk = c.set_index("area_code").loc["E10000020"]
    assert norfolk.ons_verdict == "no significant change"
    assert norfolk.p_value == pytest.approx(0.0237, abs=5e-4)
    assert comparison_table(la, SummaryOptions(periods=("2016-2018",))).empty


# --- configuration -------------------------------------------------------------------------------


def test_repository_report_toml_is_the_defaults():
    # the documented file is the generated one, comments and all (regenerate with
    # `python -c "from overdose_trends.report.build import default_toml;
    #  print(default_toml(), end='')"
    # > report.toml` after changing an option)
    assert (ROOT / "report.toml").read_text(encoding="utf-8") == default_toml()
    config = load_config(ROOT / "report.toml")
    assert config == ReportConfig()
    assert config.source == ROOT / "report.toml"
    assert set(config.figures) == set(REGISTRY.options())
    # the defaults tell the stories
    assert config.section("rate_trend").areas == ("E06000033", "E92000001")
    assert config.section("rate_trend").first == (2001, 2003)
    assert config.section("rate_trend").last == (2017, 2019)
    assert config.section("period_comparison").areas == (
        "E06000033",
        "E07000148",
        "E10000020",
        "E92000001",
    )
    assert config.section("funnel").highlight == "E07000148"
    assert config.section("funnel").area_level == "district"
    assert config.section("ranking").highlight == "E07000148"
    assert (config.section("substances").first_year, config.section("substances").last_year) == (
        1993,
        2021,
    )
    averted = config.section("deaths_averted")
    assert (averted.kits_used, averted.kits_issued, averted.seed) == (2600, 4000, 1)


def test_default_toml_round_trips(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(default_toml(), encoding="utf-8")
    assert load_config(path) == ReportConfig()


def test_partial_config_keeps_defaults(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(
        'kit_log = "kits.csv"\n\n[funnel]\nperiod = [2015, 2017]\nhighlight = ""\n'
        '[summary]\nperiods = ["2013-15", "2014-2016", 2017]\n',
        encoding="utf-8",
    )
    (tmp_path / "kits.csv").write_text("x\n", encoding="utf-8")
    config = load_config(path)
    assert config.kit_log == tmp_path / "kits.csv"  # relative to the config file
    assert config.section("funnel").period == (2015, 2017)
    assert config.section("funnel").highlight == ""
    assert config.section("summary").periods == ((2013, 2015), (2014, 2016), (2017, 2017))
    assert config.section("ranking") == ReportConfig().section("ranking")
    with pytest.raises(KeyError, match=r"no section \[nope\]"):
        config.section("nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[funnel]\nhilight = 'E07000148'\n", r"\[funnel\] unknown key 'hilight' \(did you mean "),
        ("[rate_trend]\nareas = ['E0600003']\n", r"\[rate_trend\] areas: .*'E0600003'"),
        ("[rate_trend]\nareas = 'E06000033'\n", r"\[rate_trend\] areas: expected a non-empty list"),
        ("[summary]\nperiods = ['2015-2013']\n", r"\[summary\] periods: .*2015-2013"),
        ("[summary]\nmeasure = 'deaths'\n", r"\[summary\] measure: expected one of 'poisoning'"),
        ("[deaths_averted]\nkits_used = -1\n", r"\[deaths_averted\] kits_used: .*-1"),
        ("[deaths_averted]\nconf = 95\n", r"\[deaths_averted\] conf: .*between 0 and 1"),
        ("[funnels]\nperiod = '2016-18'\n", r"unknown section \[funnels\] \(did you mean 'funnel'"),
        ("workbok = 'x.xls'\n", r"unknown key 'workbok' \(did you mean 'workbook'"),
        ("funnel = 3\n", r"\[funnel\] expected a table"),
        ("[funnel\n", r"not valid TOML"),
        ("workbook = 3\n", r"workbook: expected a file path"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, message):
    path = tmp_path / "my_report.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")


def test_config_error_carries_section_and_key(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[ranking]\nperiod = 'soon'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.file, info.value.section, info.value.key) == (path, "ranking", "period")


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "absent.toml")
    path = tmp_path / "r.toml"
    path.write_text('workbook = "la.xls"\n', encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"r.toml: workbook: no such file .*la.xls"):
        load_config(path)


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
    assert main(["report", "--config", str(bad), "--out", str(tmp_path / "r"), "--quiet"]) == 2
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
    assert main(["read-la", str(bad)]) == 2
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
