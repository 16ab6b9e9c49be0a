"""The report's tables: published rates of the configured areas and periods, and their change."""

from __future__ import annotations

import pytest

from overdose_trends.io.datasets import la_deaths
from overdose_trends.report.config import ReportConfig, SummaryOptions
from overdose_trends.report.tables import comparison_table, report_summary, summary_table


@pytest.fixture(scope="module")
def la():
    return la_deaths()


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


def test_report_summary_joins_the_verdicts_on_each_period_row(la):
    summary = report_summary(la, SummaryOptions(areas=("E07000148",)))
    assert summary.period.tolist() == ["2013-15", "2016-18"]
    # Norwich 10.0 (7.1-13.7) -> 21.0 (16.6-26.3): the intervals do not overlap
    assert summary.rate_ratio.tolist() == pytest.approx([2.1, 2.1])
    assert set(summary.ons_verdict) == {"significant increase"}
    assert set(summary.comparison) == {"2016-18 vs 2013-15"}
