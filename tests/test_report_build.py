"""Building the report: up-to-date skipping, the manifest and the pages, on trivial figures.

A small registry of trivial figures keeps rebuilding cheap; the full default
report is tested in tests/test_report_figures.py.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from overdose_trends.report.build import build_report
from overdose_trends.report.config import ReportConfig, SummaryOptions
from overdose_trends.report.data import ReportData
from overdose_trends.report.options import Options, as_count, option
from overdose_trends.report.registry import FigureSpec, Registry


@dataclasses.dataclass(frozen=True)
class _Opts(Options):
    n: int = option(3, as_count, "points")


def _trivial(title: str):
    def build(data: ReportData, config: ReportConfig) -> Figure:
        fig = Figure(figsize=(2, 1.5))
        fig.add_subplot().plot(range(4))
        fig.suptitle(title)
        return fig

    return build


@pytest.fixture
def small():
    reg = Registry()
    reg.add(FigureSpec("a", _trivial("a"), ("kit_log",), "Kits <b>&", "Caption <i>"))
    reg.add(FigureSpec("b", _trivial("b"), ("la_deaths",), "Deaths", "Caption b"))
    reg.add(FigureSpec("c", _trivial("c"), (), "Options", "Caption c", options=_Opts))
    return reg


@pytest.fixture
def kit_log(tmp_path):
    from overdose_trends.io.datasets import SYNTHETIC_KIT_LOG_FILE, data_dir

    path = tmp_path / "kits.csv"
    shutil.copy(data_dir() / SYNTHETIC_KIT_LOG_FILE, path)
    return path


def test_same_bytes_under_another_name_rebuilds(small, kit_log, tmp_path):
    # A copy of the shipped kit log is no longer labelled synthetic, and a renamed workbook
    # changes the source line: the hash covers the file name and origin, not only the bytes.
    out = tmp_path / "out"
    assert build_report(out, ReportConfig(), progress=False, registry=small).built == [
        "a",
        "b",
        "c",
    ]
    result = build_report(out, ReportConfig(kit_log=kit_log), progress=False, registry=small)
    assert result.built == ["a"] and result.skipped == ["b", "c"]
    renamed = kit_log.with_name("renamed.csv")
    kit_log.rename(renamed)
    result = build_report(out, ReportConfig(kit_log=renamed), progress=False, registry=small)
    assert result.built == ["a"]


def test_skipping_follows_data_files_config_and_outputs(small, kit_log, tmp_path):
    out = tmp_path / "out"
    config = ReportConfig(kit_log=kit_log)
    first = build_report(out, config, progress=False, registry=small)
    assert first.built == ["a", "b", "c"]
    assert build_report(out, config, progress=False, registry=small).skipped == ["a", "b", "c"]
    # new bytes in the kit log: only the figure that reads it
    with kit_log.open("a", encoding="utf-8") as fh:
        fh.write("2019-12-31,issued,SOS-999999,Southend-on-Sea (synthetic),E06000033,"
                 "person_at_risk,first,injectable,5\n")  # fmt: skip
    assert build_report(out, config, progress=False, registry=small).built == ["a"]
    # its own section changed: only "c"
    changed = dataclasses.replace(config, figures={"c": _Opts(n=4)})
    assert build_report(out, changed, progress=False, registry=small).built == ["c"]
    # an output file missing
    (out / "figures" / "b.pdf").unlink()
    assert build_report(out, changed, progress=False, registry=small).built == ["b"]
    # --force
    assert build_report(out, changed, force=True, progress=False, registry=small).built == [
        "a",
        "b",
        "c",
    ]
    # a damaged manifest rebuilds rather than failing
    (out / "manifest.json").write_text("{not json", encoding="utf-8")
    assert build_report(out, changed, progress=False, registry=small).built == ["a", "b", "c"]


def test_pages_escape_text(small, tmp_path):
    out = tmp_path / "out"
    build_report(out, progress=False, registry=small, only="a")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Kits &lt;b&gt;&amp;" in page and "Caption &lt;i&gt;" in page
    assert "<b>&" not in page
    md = (out / "index.md").read_text(encoding="utf-8")
    assert r"Kits \<b\>&" in md and "![Kits" in md
    # figures not built yet are listed, not linked
    assert "Not built yet: run `overdose-trends report --only b`." in md
    assert 'src="figures/b.png"' not in page


def test_workbook_changes_the_la_figures_only(small, tmp_path):
    from tests.test_ons import _old_workbook

    wb = _old_workbook(tmp_path)
    out = tmp_path / "out"
    summary = SummaryOptions(areas=("E06000033", "E07000148"))  # in the small workbook too
    build_report(out, ReportConfig(summary=summary), progress=False, registry=small)
    config = ReportConfig(workbook=Path(wb), summary=summary)
    data = ReportData(config)
    assert data.path("la_deaths") == Path(wb)
    result = build_report(out, config, progress=False, registry=small)
    assert result.built == ["b"] and result.skipped == ["a", "c"]
    summary_csv = pd.read_csv(out / "summary.csv")
    assert summary_csv.area_code.unique().tolist() == ["E06000033", "E07000148"]
