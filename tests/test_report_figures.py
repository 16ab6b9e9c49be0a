"""The report's figures (the registry of report.figures), the full default report and its skipping.

The full report (every registered figure, from the shipped data) is built once
per test session by the ``full_report`` fixture; tests that change it work on a
copy. Skipping logic is also tested on a small registry of trivial figures
(tests/test_report_build.py) so that rebuilding stays cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from overdose_trends.report.build import build_report, figure_hash
from overdose_trends.report.config import ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.figures import REGISTRY, FunnelOptions

PIL = pytest.importorskip("PIL.Image")

FIGURES = REGISTRY.names()


_BUILT: dict[str, tuple[Path, object]] = {}


@pytest.fixture(scope="session")
def full_report(tmp_path_factory):
    """The default report built once per session: (output folder, ReportResult).

    Memoised in the module so that test modules importing this fixture share the build.
    """
    if "report" not in _BUILT:
        out = tmp_path_factory.mktemp("report") / "rep"
        _BUILT["report"] = (out, build_report(out, progress=False))
    return _BUILT["report"]


@pytest.fixture
def report_copy(full_report, tmp_path):
    """A private copy of the full report's folder, safe to change."""
    out = tmp_path / "rep"
    shutil.copytree(full_report[0], out)
    return out


# --- the registry --------------------------------------------------------------------------------


def test_registry_has_the_story_figures():
    assert FIGURES[:7] == [
        "rate_trend",
        "period_comparison",
        "funnel",
        "ranking",
        "substances",
        "kits",
        "deaths_averted",
    ]
    for spec in REGISTRY:
        assert spec.title and spec.caption
    for name in FIGURES[:7]:
        assert REGISTRY[name].sections[0] == name  # every story figure has its own options
    assert REGISTRY["kits"].data_inputs == ("kit_log", "la_deaths")
    assert REGISTRY["deaths_averted"].data_inputs == ()
    with pytest.raises(KeyError, match="no figure named 'nope'.*rate_trend"):
        REGISTRY["nope"]


def test_options_are_parsed_and_checked():
    opts = FunnelOptions(period="2013-15", highlight="")
    assert opts.period == (2013, 2015) and opts.highlight == ""
    assert FunnelOptions(period=[2016, 2018]) == FunnelOptions()
    with pytest.raises(ValueError, match="period: .*ends before it starts"):
        FunnelOptions(period=[2018, 2016])
    with pytest.raises(ValueError, match="benchmark: expected a GSS area code.*'England'"):
        FunnelOptions(benchmark="England")
    with pytest.raises(ValueError, match="area_level: expected one of .*'districts'"):
        FunnelOptions(area_level="districts")


# --- the full default report ---------------------------------------------------------------------


def test_default_report_builds_every_figure(full_report):
    out, result = full_report
    assert result.built == FIGURES and result.skipped == []
    for name in FIGURES:
        png, svg, pdf = (out / "figures" / f"{name}.{ext}" for ext in ("png", "svg", "pdf"))
        with PIL.open(png) as img:
            dpi = img.info["dpi"]
            width, height = img.size
        # 300 dpi is stored as 11811 pixels per metre, which PIL reports as 299.9994
        assert dpi == pytest.approx((300, 300), abs=0.01), name
        assert width >= 7 * 300 and height >= 3.5 * 300, name
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml"), name
        assert pdf.read_bytes().startswith(b"%PDF"), name
    assert result.summary().startswith(f"built {len(FIGURES)}, skipped 0")


def test_index_pages_link_every_figure(full_report):
    out, _ = full_report
    md = (out / "index.md").read_text(encoding="utf-8")
    page = (out / "index.html").read_text(encoding="utf-8")
    for spec in REGISTRY:
        assert f"](figures/{spec.name}.png)" in md
        assert f"[SVG](figures/{spec.name}.svg)" in md and f"[PDF](figures/{spec.name}.pdf)" in md
        assert f'<img src="figures/{spec.name}.png"' in page
        assert f'<a href="figures/{spec.name}.pdf">PDF</a>' in page
    # the summary table is on both pages (ONS 2019 edition, Table 3, Southend 2013-15)
    assert "| Southend-on-Sea | E06000033 | 2013-15 | 47 | 8.8 (6.5-11.7) | ok |" in md
    assert "<td>Southend-on-Sea</td><td>E06000033</td><td>2013-15</td><td>47</td>" in page
    assert page.startswith("<!DOCTYPE html>") and "http" not in page.split("<body>")[0]


def test_summary_csv_has_rates_and_verdicts(full_report):
    out, _ = full_report
    summary = pd.read_csv(out / "summary.csv")
    south = summary[summary.area_code == "E06000033"]
    # ONS 2019 edition, Table 3 (drug poisoning, persons)
    assert south.period.tolist() == ["2013-15", "2016-18"]
    assert south.deaths.tolist() == [47, 32] and south.rate.tolist() == [8.8, 5.8]
    # Hand calculation (z-test on the log ratio, SE from the published 95% limits):
    # se_b = ln(11.7/6.5)/3.92 = 0.14995, se_a = ln(8.3/4.0)/3.92 = 0.18621,
    # z = ln(5.8/8.8)/sqrt(se_b^2 + se_a^2) = -0.41690/0.23908 = -1.7438, p = 0.0812
    assert south.p_value.iloc[0] == pytest.approx(0.0812, abs=5e-4)
    assert set(south.verdict) == {"no significant change (p = 0.081)"}
    assert set(south.comparison) == {"2016-18 vs 2013-15"}
    norwich = summary[summary.area_code == "E07000148"].iloc[0]
    # Norwich 10.0 (7.1-13.7) -> 21.0 (16.6-26.3): intervals do not overlap
    assert norwich.ons_verdict == "significant increase"
    assert norwich.rate_ratio == pytest.approx(2.1)
    assert (
        summary.area_code.tolist()
        == ["E06000033"] * 2 + ["E07000148"] * 2 + ["E10000020"] * 2 + ["E92000001"] * 2
    )
    assert (out / "consistency.csv").stat().st_size > 0


def test_manifest_records_hashes(full_report):
    out, _ = full_report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == 3 and set(manifest["figures"]) == set(FIGURES)
    entry = manifest["figures"]["kits"]
    assert set(entry["data"]) == {"kit_log", "la_deaths"} and entry["config"] == ["kits"]
    kit_log = entry["data"]["kit_log"]
    assert kit_log["file"] == "synthetic_naloxone_kits_southend_norfolk.csv"
    assert kit_log["shipped"] is True and len(kit_log["sha256"]) == 64
    # each file with the SHA-256 it was written with (checked before skipping)
    assert set(entry["outputs"]) == {"figures/kits.png", "figures/kits.svg", "figures/kits.pdf"}
    for rel, digest in entry["outputs"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest
    assert set(manifest["pages"]["outputs"]) >= {"summary.csv", "index.html", "index.md"}
    config = ReportConfig().with_defaults(REGISTRY)
    assert entry["hash"] == figure_hash(REGISTRY["kits"], config, ReportData(config))


def test_second_run_skips_everything(report_copy):
    before = {p: p.stat().st_mtime_ns for p in (report_copy / "figures").iterdir()}
    result = build_report(report_copy, progress=False)
    assert result.built == [] and result.skipped == FIGURES
    assert result.summary().startswith(f"built 0, skipped {len(FIGURES)}")
    assert {p: p.stat().st_mtime_ns for p in (report_copy / "figures").iterdir()} == before


def test_changed_section_rebuilds_only_its_figure(report_copy):
    config = ReportConfig().with_defaults(REGISTRY)
    figures = dict(config.figures)
    figures["funnel"] = dataclasses.replace(figures["funnel"], highlight="E07000145")
    result = build_report(report_copy, dataclasses.replace(config, figures=figures), progress=False)
    assert result.built == ["funnel"]
    assert result.skipped == [n for n in FIGURES if n != "funnel"]


def test_force_and_only(report_copy):
    result = build_report(report_copy, force=True, only="deaths_averted", progress=False)
    assert result.built == ["deaths_averted"] and result.skipped == []
    (report_copy / "figures" / "ranking.svg").unlink()
    result = build_report(report_copy, only=["ranking", "funnel"], progress=False)
    assert result.built == ["ranking"] and result.skipped == ["funnel"]
    with pytest.raises(ValueError, match="no figure named 'rankin'.*did you mean 'ranking'"):
        build_report(report_copy, only="rankin", progress=False)


class _Recording(ReportData):
    """ReportData that records which data inputs a builder reads."""

    _INPUT_OF = {
        "la": "la_deaths",
        "national": "national_deaths",
        "kit_log": "kit_log",
        "kit_counts": "kit_log",
        "synthetic_kits": "kit_log",
        "population": "population",
    }

    def __init__(self, config):
        super().__init__(config)
        self.read: set[str] = set()

    def __getattribute__(self, name):
        if name in type(self)._INPUT_OF:
            object.__getattribute__(self, "read").add(type(self)._INPUT_OF[name])
        return super().__getattribute__(name)

    def path(self, name):
        self.read.add(name)
        return super().path(name)


class _RecordingConfig:
    """A ReportConfig stand-in that records the sections a builder reads."""

    def __init__(self, config):
        self.config = config
        self.sections: set[str] = set()

    def section(self, name):
        self.sections.add(name)
        return self.config.section(name)


def test_builders_read_only_the_inputs_they_declare():
    # The up-to-date hash covers exactly spec.data_inputs and spec.sections: a builder that read
    # anything else could be skipped although its figure would change.
    config = ReportConfig().with_defaults(REGISTRY)
    for spec in REGISTRY:
        data, recording = _Recording(config), _RecordingConfig(config)
        spec.builder(data, recording)
        assert data.read == set(spec.data_inputs), spec.name
        assert recording.sections <= set(spec.sections), spec.name
    assert set(REGISTRY["its_southend"].data_inputs) == {"la_deaths", "population"}


def test_figures_carry_titles_sources_and_notes(full_report):
    config = ReportConfig().with_defaults(REGISTRY)
    data = ReportData(config)

    def texts(name):
        fig = REGISTRY[name].builder(data, config)
        return " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))

    rate = texts("rate_trend")
    assert "Southend-on-Sea" in rate and "England" in rate and "2001-03" in rate
    assert "Source: ONS" in rate and "age-standardised (2013 ESP)" in rate
    assert "Norwich" in texts("funnel") and "Norwich" in texts("ranking")
    kits = texts("kits")
    assert "SYNTHETIC" in kits.upper() and "Norfolk" in kits
    # the shipped log starts on 1 October 2015: 2015 is shown, hatched and explained
    assert "2015 covers October-December only" in kits and "Hatched bars: part years" in kits
    averted = texts("deaths_averted")
    assert "65%" in averted  # the warning that 2,600 of 4,000 is not a same-scope use rate
    assert "cocaine" in texts("substances").lower()


def _with(name, **changes):
    config = ReportConfig().with_defaults(REGISTRY)
    figures = dict(config.figures)
    figures[name] = dataclasses.replace(figures[name], **changes)
    return dataclasses.replace(config, figures=figures)


def test_bad_options_name_the_section(tmp_path):
    # the figure is listed as not buildable with the reason; the rest of the report is built
    config = _with("rate_trend", areas=("E06099999",))
    result = build_report(tmp_path, config, only="rate_trend", progress=False)
    assert not result.ok and result.built == []
    assert result.failed["rate_trend"].startswith("[rate_trend] areas: ")
    assert "E06099999" in result.failed["rate_trend"]
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Cannot be built for this configuration: [rate_trend] areas:" in page


@pytest.mark.parametrize(
    ("name", "changes", "message"),
    [
        ("its_southend", {"area_code": "E06099999"}, r"\[its_southend\] area_code: .*E06099999"),
        ("its_southend", {"intervention": 2001}, r"\[its_southend\] intervention 2001 must be"),
        ("its_southend", {"first": 2020}, r"\[its_southend\] last 2019 is before first 2020"),
        ("kits", {"first_year": 2020}, r"\[kits\] last_year 2019 is before first_year 2020"),
        ("kits", {"service": "nope"}, r"\[kits\] no kit counts for area E10000020, service"),
        ("substances", {"substances": ("tea",)}, r"\[substances\] substances: tea not in"),
        ("funnel", {"highlight": "E06000033"}, r"\[funnel\] highlight: .*E06000033"),
    ],
)
def test_builders_name_the_section_and_key(name, changes, message):
    config = _with(name, **changes).with_defaults(REGISTRY)
    with pytest.raises(ValueError, match=message):
        REGISTRY[name].builder(ReportData(config), config)


def test_kits_left_out_years_are_stated():
    config = _with("kits", first_year=2016).with_defaults(REGISTRY)
    fig = REGISTRY["kits"].builder(ReportData(config), config)
    text = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    # Norfolk's synthetic log: 108 kits issued in October-December 2015
    assert "Kits outside 2016-2019 not shown: 108 issued in 2015." in text
