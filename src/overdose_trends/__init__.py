"""overdose_trends: drug-poisoning death trends and take-home naloxone evaluation.

The front door: ``import overdose_trends as ot`` gives the analyst's whole
vocabulary, imported on first use so that ``import overdose_trends`` stays fast
(no matplotlib, scipy or statsmodels until a name that needs them is used).

========================  ==============================================================
Readers (``read_*``)      :func:`read_local_authority`, :func:`read_national`,
                          :func:`read_mid_year_estimates`, :func:`read_population`,
                          :func:`read_fingertips`, :func:`read_kit_log`,
                          :func:`read_kit_counts`, :func:`read_death_records`;
                          downloads :func:`fetch_edition`, :func:`fetch_fingertips`;
                          shipped extracts in :mod:`datasets`
Geography                 :func:`harmonise`, :func:`combine_areas`, :func:`comparators`,
                          :func:`area_lookup`, :func:`code_changes`, :func:`neighbours`,
                          :func:`area_characteristics`
Record-level deaths       :func:`read_death_records`, :func:`classify_deaths`,
                          :func:`aggregate_deaths`, :func:`synthetic_death_records`
Statistics                :func:`crude_rate`, :func:`dsr`, :func:`pool_periods`,
                          :func:`compare_periods`, :func:`vs_benchmark`,
                          :func:`funnel_limits`, :func:`rank_areas`,
                          :func:`suppress_small`, :func:`deaths_averted`, kit metrics;
                          inequalities :func:`isr`, :func:`sii`, :func:`quantiles`,
                          :func:`recent_trend`
Models (``fit_*``)        :func:`fit_trend`, :func:`fit_joinpoint`, :func:`fit_interrupted`,
                          :func:`fit_controlled`; :func:`compare_joinpoint`
Figures (``plot_*``)      :func:`plot_rate_trend`, :func:`plot_period_comparison`,
                          :func:`plot_funnel`, :func:`plot_ranking`,
                          :func:`plot_substances`, :func:`plot_kits_vs_deaths`,
                          :func:`plot_deaths_averted`, :func:`plot_joinpoint`,
                          :func:`plot_interrupted`, :func:`plot_trend`,
                          :func:`plot_validation`, :func:`plot_controlled`,
                          :func:`plot_inequality`, :func:`plot_spine`, :func:`plot_isr`,
                          :func:`plot_map`
========================  ==============================================================

The package is four rooms: :mod:`overdose_trends.io` (readers, downloads,
shipped data), :mod:`overdose_trends.stats` (every statistic and model),
:mod:`overdose_trends.plots` (figures in one house style) and
:mod:`overdose_trends.report` (the report command's configuration, figure
registry and pages), with :mod:`overdose_trends.cli` on top. Imports run only
downwards: io and stats never import each other or anything above them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from overdose_trends._version import __version__
from overdose_trends.errors import DataFormatError

if TYPE_CHECKING:
    from overdose_trends.io import datasets
    from overdose_trends.io.editions import fetch_edition
    from overdose_trends.io.fetch import FetchError
    from overdose_trends.io.fingertips import fetch_fingertips, read_fingertips
    from overdose_trends.io.geography import (
        area_lookup,
        code_changes,
        combine_areas,
        comparators,
        harmonise,
    )
    from overdose_trends.io.kit_counts import KitCounts, aggregate_kits, read_kit_counts
    from overdose_trends.io.kit_log import KitLog, ValidationReport, read_kit_log
    from overdose_trends.io.neighbours import area_characteristics, neighbours
    from overdose_trends.io.ons_local import check_consistency, read_local_authority
    from overdose_trends.io.ons_national import read_national
    from overdose_trends.io.population import (
        all_ages,
        read_mid_year_estimates,
        read_population,
        to_esp_bands,
    )
    from overdose_trends.io.records.aggregate import aggregate_deaths
    from overdose_trends.io.records.classify import classify_deaths
    from overdose_trends.io.records.read import DeathRecords, read_death_records
    from overdose_trends.io.records.synthetic import synthetic_death_records
    from overdose_trends.plots.benchmark import plot_funnel, plot_ranking
    from overdose_trends.plots.controlled import plot_controlled
    from overdose_trends.plots.inequality import plot_inequality, plot_isr, plot_spine
    from overdose_trends.plots.kits import plot_deaths_averted, plot_kits_vs_deaths
    from overdose_trends.plots.maps import plot_map
    from overdose_trends.plots.national import plot_substances
    from overdose_trends.plots.rates import plot_period_comparison, plot_rate_trend
    from overdose_trends.plots.style import house_style, save_figure
    from overdose_trends.plots.trends import plot_interrupted, plot_joinpoint, plot_trend
    from overdose_trends.plots.validation import plot_validation
    from overdose_trends.report.build import build_report
    from overdose_trends.stats.averted import Prior, deaths_averted
    from overdose_trends.stats.benchmarking import recent_trend
    from overdose_trends.stats.compare import compare_periods
    from overdose_trends.stats.disclosure import suppress_small
    from overdose_trends.stats.funnel import funnel_limits, rank_areas, vs_benchmark
    from overdose_trends.stats.inequality import quantiles, sii
    from overdose_trends.stats.kit_metrics import (
        in_circulation,
        kit_counts,
        per_death,
        per_population,
        rebucket,
        repeat_rate,
        use_rate,
    )
    from overdose_trends.stats.rates import approximate_limits, crude_rate, dsr, pool_periods
    from overdose_trends.stats.standardise import isr
    from overdose_trends.stats.trends.comparability import JoinpointComparison, compare_joinpoint
    from overdose_trends.stats.trends.controlled import ControlledFit, fit_controlled
    from overdose_trends.stats.trends.interrupted import InterruptedFit, fit_interrupted
    from overdose_trends.stats.trends.joinpoint import JoinpointFit, fit_joinpoint
    from overdose_trends.stats.trends.loglinear import TrendFit, fit_trend

#: Module that defines each front-door name (imported on first use).
_EXPORTS: dict[str, str] = {
    # io: readers, downloads and the shipped extracts
    "read_local_authority": "io.ons_local",
    "check_consistency": "io.ons_local",
    "read_national": "io.ons_national",
    "read_mid_year_estimates": "io.population",
    "to_esp_bands": "io.population",
    "all_ages": "io.population",
    "read_kit_log": "io.kit_log",
    "KitLog": "io.kit_log",
    "ValidationReport": "io.kit_log",
    "read_kit_counts": "io.kit_counts",
    "aggregate_kits": "io.kit_counts",
    "KitCounts": "io.kit_counts",
    "FetchError": "io.fetch",
    # stats: rates, comparisons, disclosure, kit metrics, models
    "crude_rate": "stats.rates",
    "dsr": "stats.rates",
    "pool_periods": "stats.rates",
    "approximate_limits": "stats.rates",
    "compare_periods": "stats.compare",
    "funnel_limits": "stats.funnel",
    "vs_benchmark": "stats.funnel",
    "rank_areas": "stats.funnel",
    "suppress_small": "stats.disclosure",
    "deaths_averted": "stats.averted",
    "Prior": "stats.averted",
    "rebucket": "stats.kit_metrics",
    "kit_counts": "stats.kit_metrics",
    "per_population": "stats.kit_metrics",
    "per_death": "stats.kit_metrics",
    "use_rate": "stats.kit_metrics",
    "repeat_rate": "stats.kit_metrics",
    "in_circulation": "stats.kit_metrics",
    "fit_trend": "stats.trends.loglinear",
    "TrendFit": "stats.trends.loglinear",
    "fit_joinpoint": "stats.trends.joinpoint",
    "JoinpointFit": "stats.trends.joinpoint",
    "fit_interrupted": "stats.trends.interrupted",
    "InterruptedFit": "stats.trends.interrupted",
    # plots: figures in the house style
    "plot_rate_trend": "plots.rates",
    "plot_period_comparison": "plots.rates",
    "plot_funnel": "plots.benchmark",
    "plot_ranking": "plots.benchmark",
    "plot_substances": "plots.national",
    "plot_kits_vs_deaths": "plots.kits",
    "plot_deaths_averted": "plots.kits",
    "plot_joinpoint": "plots.trends",
    "plot_interrupted": "plots.trends",
    "plot_trend": "plots.trends",
    "plot_validation": "plots.validation",
    "house_style": "plots.style",
    "save_figure": "plots.style",
    # report
    "build_report": "report.build",
    "fetch_edition": "io.editions",
    "harmonise": "io.geography",
    "combine_areas": "io.geography",
    "comparators": "io.geography",
    "area_lookup": "io.geography",
    "code_changes": "io.geography",
    "neighbours": "io.neighbours",
    "area_characteristics": "io.neighbours",
    "fit_controlled": "stats.trends.controlled",
    "ControlledFit": "stats.trends.controlled",
    "plot_controlled": "plots.controlled",
    "compare_joinpoint": "stats.trends.comparability",
    "JoinpointComparison": "stats.trends.comparability",
    "isr": "stats.standardise",
    "sii": "stats.inequality",
    "quantiles": "stats.inequality",
    "recent_trend": "stats.benchmarking",
    "plot_inequality": "plots.inequality",
    "plot_spine": "plots.inequality",
    "plot_isr": "plots.inequality",
    "read_fingertips": "io.fingertips",
    "fetch_fingertips": "io.fingertips",
    "read_population": "io.population",
    "read_death_records": "io.records.read",
    "classify_deaths": "io.records.classify",
    "aggregate_deaths": "io.records.aggregate",
    "DeathRecords": "io.records.read",
    "plot_map": "plots.maps",
    "synthetic_death_records": "io.records.synthetic",
}
#: Modules reachable as attributes (``ot.datasets.la_deaths()``).
_MODULES: dict[str, str] = {
    "datasets": "io.datasets",
    "constants": "constants",
    "schema": "schema",
    "io": "io",
    "stats": "stats",
    "plots": "plots",
    "report": "report",
}

__all__ = [
    "DataFormatError",
    "__version__",
    "ControlledFit",
    "DeathRecords",
    "FetchError",
    "InterruptedFit",
    "JoinpointComparison",
    "JoinpointFit",
    "KitCounts",
    "KitLog",
    "Prior",
    "TrendFit",
    "ValidationReport",
    "aggregate_deaths",
    "aggregate_kits",
    "all_ages",
    "approximate_limits",
    "area_characteristics",
    "area_lookup",
    "build_report",
    "check_consistency",
    "classify_deaths",
    "code_changes",
    "combine_areas",
    "comparators",
    "compare_joinpoint",
    "compare_periods",
    "crude_rate",
    "deaths_averted",
    "dsr",
    "fetch_edition",
    "fetch_fingertips",
    "fit_controlled",
    "fit_interrupted",
    "fit_joinpoint",
    "fit_trend",
    "funnel_limits",
    "harmonise",
    "house_style",
    "in_circulation",
    "isr",
    "kit_counts",
    "neighbours",
    "per_death",
    "per_population",
    "plot_controlled",
    "plot_deaths_averted",
    "plot_funnel",
    "plot_inequality",
    "plot_interrupted",
    "plot_isr",
    "plot_joinpoint",
    "plot_kits_vs_deaths",
    "plot_map",
    "plot_period_comparison",
    "plot_ranking",
    "plot_rate_trend",
    "plot_spine",
    "plot_substances",
    "plot_trend",
    "plot_validation",
    "pool_periods",
    "quantiles",
    "rank_areas",
    "read_death_records",
    "read_fingertips",
    "read_kit_counts",
    "read_kit_log",
    "read_local_authority",
    "read_mid_year_estimates",
    "read_national",
    "read_population",
    "rebucket",
    "recent_trend",
    "repeat_rate",
    "save_figure",
    "sii",
    "suppress_small",
    "synthetic_death_records",
    "to_esp_bands",
    "use_rate",
    "vs_benchmark",
    "constants",
    "datasets",
    "io",
    "plots",
    "report",
    "schema",
    "stats",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    elif name in _MODULES:
        value = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
