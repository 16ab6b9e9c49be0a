"""The report's comparator sets for the funnel and ranking ([funnel] / [ranking] comparators)."""

from __future__ import annotations

import dataclasses

import pytest

from overdose_trends.report.config import ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.figures import REGISTRY, FunnelOptions, RankingOptions
from overdose_trends.report.options import as_comparators

pytest.importorskip("matplotlib")


def _config(name: str, **changes: object) -> ReportConfig:
    config = ReportConfig().with_defaults(REGISTRY)
    figures = dict(config.figures)
    figures[name] = dataclasses.replace(figures[name], **changes)
    return dataclasses.replace(config, figures=figures)


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


def test_option_accepts_the_comparator_sets():
    assert FunnelOptions().comparators == ""  # default: area_level as before
    for kind in ("lower-tier", "upper-tier", "region", "neighbours"):
        assert RankingOptions(comparators=kind).comparators == kind
    with pytest.raises(ValueError, match=r"comparators: expected one of .*'lower-tier'"):
        FunnelOptions(comparators="lower tier")
    assert as_comparators("") == ""


def test_a_unitary_among_all_lower_tier_authorities():
    # Blackpool (E06000009), a unitary, ranked among all English districts and unitaries
    config = _config("ranking", comparators="lower-tier", highlight="E06000009")
    fig = REGISTRY["ranking"].builder(ReportData(config), config)
    text = _texts(fig).replace("\n", " ")
    assert "lower-tier authorities (England) ranked" in text
    assert "Blackpool" in text


def test_region_and_neighbours_need_the_highlighted_area():
    config = _config("funnel", comparators="neighbours", highlight="E06000033")
    text = _texts(REGISTRY["funnel"].builder(ReportData(config), config)).replace("\n", " ")
    assert "Southend-on-Sea and its statistical neighbours" in text
    config = _config("funnel", comparators="region", highlight="")
    with pytest.raises(ValueError, match=r"\[funnel\] comparators = 'region' needs highlight"):
        REGISTRY["funnel"].builder(ReportData(config), config)
    config = _config("ranking", comparators="neighbours", highlight="W06000015")
    with pytest.raises(ValueError, match=r"\[ranking\] comparators: .*Welsh areas"):
        REGISTRY["ranking"].builder(ReportData(config), config)
