"""The report's configuration: ``report.toml``, read, checked and written."""

from __future__ import annotations

from pathlib import Path

import pytest

from overdose_trends.report.config import (
    ConfigError,
    ReportConfig,
    SummaryOptions,
    default_toml,
    load_config,
)
from overdose_trends.report.figures import REGISTRY
from overdose_trends.report.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = ReportConfig().with_defaults(REGISTRY)


def test_repository_report_toml_is_the_defaults():
    # the documented file is the generated one, comments and all (regenerate with
    # `python -c "from overdose_trends.report.config import default_toml;
    #  from overdose_trends.report.figures import REGISTRY;
    #  print(default_toml(REGISTRY), end='')" > report.toml` after changing an option)
    assert (ROOT / "report.toml").read_text(encoding="utf-8") == default_toml(REGISTRY)
    config = load_config(ROOT / "report.toml", REGISTRY)
    assert config == DEFAULTS
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
    path.write_text(default_toml(REGISTRY), encoding="utf-8")
    assert load_config(path, REGISTRY) == DEFAULTS


def test_partial_config_keeps_defaults(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(
        'kit_log = "kits.csv"\n\n[funnel]\nperiod = [2015, 2017]\nhighlight = ""\n'
        '[summary]\nperiods = ["2013-15", "2014-2016", 2017]\n',
        encoding="utf-8",
    )
    (tmp_path / "kits.csv").write_text("x\n", encoding="utf-8")
    config = load_config(path, REGISTRY)
    assert config.kit_log == tmp_path / "kits.csv"  # relative to the config file
    assert config.section("funnel").period == (2015, 2017)
    assert config.section("funnel").highlight == ""
    assert config.section("summary").periods == ((2013, 2015), (2014, 2016), (2017, 2017))
    assert config.section("ranking") == DEFAULTS.section("ranking")
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
        load_config(path, REGISTRY)
    assert str(info.value).startswith(f"{path}: ")


def test_config_error_carries_section_and_key(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[ranking]\nperiod = 'soon'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, REGISTRY)
    assert (info.value.file, info.value.section, info.value.key) == (path, "ranking", "period")


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "absent.toml", REGISTRY)
    path = tmp_path / "r.toml"
    path.write_text('workbook = "la.xls"\n', encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"r.toml: workbook: no such file .*la.xls"):
        load_config(path, REGISTRY)


@pytest.mark.parametrize(
    "period",
    ['"2013-15"', '"2013-2015"', '"2013 to 2015"', '"(2013, 2015)"', "[2013, 2015]"],
)
def test_toml_accepts_every_period_notation(tmp_path, period):
    # one notation everywhere (overdose_trends.schema.as_period): library, CLI and TOML
    path = tmp_path / "r.toml"
    text = f"[summary]\nperiods = [{period}, 2016]\n[period_comparison]\nbefore = {period}\n"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, REGISTRY)
    assert config.section("summary").periods == ((2013, 2015), (2016, 2016))
    assert config.section("period_comparison").before == (2013, 2015)


def test_config_without_a_registry_has_only_the_summary():
    # the configuration does not know the figures: the registry is handed in
    bare = ReportConfig()
    assert bare.figures == {} and bare.section("summary") == SummaryOptions()
    with pytest.raises(KeyError, match=r"no section \[funnel\]; it has summary"):
        bare.section("funnel")
    assert bare.with_defaults(REGISTRY).section("funnel") == DEFAULTS.section("funnel")
    assert DEFAULTS.with_defaults(REGISTRY) is DEFAULTS
    assert "[summary]" in default_toml(Registry()) and "[funnel]" not in default_toml(Registry())
