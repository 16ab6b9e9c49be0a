"""The report's figures: options and private builders, registered in ``REGISTRY`` by name.

Each figure is a private builder ``(data, config) -> matplotlib.figure.Figure``
registered with :meth:`~overdose_trends.report.registry.Registry.figure` under
its name (the file stem and the ``[name]`` section of ``report.toml``), beside
the options dataclass of that section. Registration order is page order.

Builders select rows with ``select_rows`` (``report/_common.py``), draw with
``_draw(helper, ...)`` (a ``matplotlib.figure.Figure`` not registered with
pyplot, passed as ``ax=`` with ``annotate=True`` to the
:mod:`overdose_trends.plots` helper, so every figure has its title, units,
source line and notes), and raise ``ValueError`` naming ``[section] key`` for
data the options do not match. ``tests/test_report_figures.py`` checks that
each builder reads exactly the data inputs it declares, and that every figure
is written at 300 dpi.

References
----------
Office for National Statistics, "Deaths related to drug poisoning by local
authority, England and Wales" and "Deaths related to drug poisoning in England
and Wales" reference tables (the data plotted); Okabe M, Ito K (2008) *Color
Universal Design* (the palette of :mod:`overdose_trends.plots`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from overdose_trends.report._builders import (
    _MAX_DRAWS,
    _MAX_KITS,
    _MAX_SEED,
    REGISTRY,
    _draw,
    _in_order,
    _la_source,
    _names,
    _national_source,
    _require,
    _subject,
    _with_population,
)
from overdose_trends.report._common import display_name, period_text, select_rows
from overdose_trends.report.config import (
    ENGLAND,
    ENGLAND_AND_WALES,
    NORFOLK,
    NORWICH,
    SOUTHEND,
    ReportConfig,
)
from overdose_trends.report.data import ReportData
from overdose_trends.report.options import (
    Options,
    as_area_code,
    as_area_codes,
    as_area_level,
    as_comparators,
    as_level,
    as_measure,
    as_names,
    as_optional_area_code,
    as_text,
    as_year,
    count_between,
    measure_option,
    option,
    period_option,
    sex_option,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "REGISTRY",
    "AreasVsBenchmarkOptions",
    "AvertedOptions",
    "FunnelOptions",
    "ItsOptions",
    "JoinpointOptions",
    "KitsOptions",
    "PeriodComparisonOptions",
    "RankingOptions",
    "RateTrendOptions",
    "SubstancesOptions",
]


# --- the figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateTrendOptions(Options):
    """``[rate_trend]``: three-year rates over time for a few areas."""

    areas: tuple[str, ...] = option(
        (SOUTHEND, ENGLAND),
        as_area_codes,
        "GSS codes of the areas, at most 7 (E06000033 Southend-on-Sea, E92000001 England)",
    )
    first: tuple[int, int] = period_option((2001, 2003), "first three-year period")
    last: tuple[int, int] = period_option((2017, 2019), "last three-year period")
    measure: str = measure_option()
    sex: str = sex_option()


@REGISTRY.figure(
    "rate_trend",
    inputs=("la_deaths",),
    options=RateTrendOptions,
    title="Death rate over time",
    caption=(
        "Age-standardised death rates for rolling three-year registration periods with 95% "
        "confidence intervals (shaded). Neighbouring periods share two years of deaths. "
        "Hollow markers: unreliable rates (10-19 deaths); x on the axis: rates ONS does not "
        "calculate (fewer than 10 deaths)."
    ),
)
def _rate_trend(data: ReportData, config: ReportConfig) -> Figure:
    """Rates of ``[rate_trend] areas`` from ``first`` to ``last`` (ONS three-year periods)."""
    from overdose_trends.plots.rates import plot_rate_trend as plot

    opts: RateTrendOptions = config.section("rate_trend")
    length = opts.first[1] - opts.first[0]
    if opts.last[1] - opts.last[0] != length or opts.last[0] < opts.first[0]:
        raise ValueError(
            f"[rate_trend] first {period_text(opts.first)} and last {period_text(opts.last)} "
            "must be periods of the same length, first before last"
        )
    sel = select_rows(
        data.la, areas=opts.areas, measure=opts.measure, sex=opts.sex, length=length,
        first=opts.first[0], last=opts.last[1],
    )  # fmt: skip
    _require("rate_trend", "areas", opts.areas, sel["area_code"])
    title = (
        f"{_subject(opts)}, {', '.join(_names(data.la, opts.areas))}, "
        f"{period_text(opts.first)} to {period_text(opts.last)}"
    )
    return _draw(
        plot, sel, size=(8, 5), areas=list(opts.areas), title=title, source=_la_source(data)
    )


@dataclass(frozen=True)
class PeriodComparisonOptions(Options):
    """``[period_comparison]``: before/after rates for several areas with the test verdict."""

    areas: tuple[str, ...] = option(
        (SOUTHEND, NORWICH, NORFOLK, ENGLAND), as_area_codes, "GSS codes of the areas"
    )
    before: tuple[int, int] = period_option((2013, 2015), "period before")
    after: tuple[int, int] = period_option((2016, 2018), "period after")
    measure: str = measure_option()
    sex: str = sex_option()
    conf: float = option(0.95, as_level, "confidence level of the limits and the test")


@REGISTRY.figure(
    "period_comparison",
    inputs=("la_deaths",),
    options=PeriodComparisonOptions,
    title="Before and after",
    caption=(
        "Rates in the two periods with 95% confidence intervals, and the verdict of the test "
        "of the rate ratio (z-test on the log ratio). Overlapping intervals alone do not mean "
        "'no change', and 'no significant change' does not mean 'no change'."
    ),
)
def _period_comparison(data: ReportData, config: ReportConfig) -> Figure:
    """:func:`overdose_trends.stats.compare.compare_periods` for ``[period_comparison] areas``."""
    from overdose_trends.plots.rates import plot_period_comparison as plot
    from overdose_trends.stats.compare import compare_periods

    opts: PeriodComparisonOptions = config.section("period_comparison")
    sel = select_rows(
        data.la, areas=opts.areas, measure=opts.measure, sex=opts.sex,
        periods=(opts.before, opts.after),
    )  # fmt: skip
    _require("period_comparison", "areas", opts.areas, sel["area_code"])
    comparison = compare_periods(sel, before=opts.before, after=opts.after, conf=opts.conf)
    order = {c: i for i, c in enumerate(opts.areas)}
    comparison = comparison.sort_values("area_code", key=lambda s: s.map(order), kind="stable")
    comparison["area_name"] = comparison["area_name"].map(display_name)
    title = f"{_subject(opts)}: {period_text(opts.before)} vs {period_text(opts.after)}"
    return _draw(
        plot, comparison.reset_index(drop=True), size=(8, 2.2 + 0.8 * len(opts.areas)),
        title=title, source=_la_source(data),
    )  # fmt: skip


@dataclass(frozen=True)
class AreasVsBenchmarkOptions(Options):
    """Areas of one level in one period against a benchmark area (funnel and ranking)."""

    area_level: str = option("district", as_area_level, "level of the areas compared")
    comparators: str = option(
        "",
        as_comparators,
        "instead of area_level: lower-tier, upper-tier, region, neighbours"
        " (region and neighbours of highlight)",
    )
    code_prefix: str = option("E", as_text, "keep area codes starting with this (E = England)")
    period: tuple[int, int] = period_option((2016, 2018), "registration period")
    benchmark: str = option(ENGLAND, as_area_code, "area whose rate is the benchmark")
    highlight: str = option(NORWICH, as_optional_area_code, "area to highlight ('' for none)")
    measure: str = measure_option()
    sex: str = sex_option()


@dataclass(frozen=True)
class FunnelOptions(AreasVsBenchmarkOptions):
    """``[funnel]``: areas of one level against a benchmark, with control limits."""


@dataclass(frozen=True)
class RankingOptions(AreasVsBenchmarkOptions):
    """``[ranking]``: areas of one level ranked by rate (caterpillar chart)."""


def _areas_vs_benchmark(
    la: pd.DataFrame, opts: AreasVsBenchmarkOptions, section: str
) -> tuple[pd.DataFrame, str]:
    """Areas of ``opts.area_level`` compared with ``opts.benchmark``, and the benchmark's name."""
    import pandas as pd

    from overdose_trends.stats.funnel import vs_benchmark

    sel = select_rows(la, measure=opts.measure, sex=opts.sex, periods=(opts.period,))
    areas = _comparator_rows(sel, opts, section)
    if areas.empty:
        raise ValueError(
            f"[{section}] no {_level_name(opts)} with codes starting {opts.code_prefix!r} "
            f"in {period_text(opts.period)}"
        )
    _require(section, "benchmark", (opts.benchmark,), sel["area_code"])
    if opts.highlight:
        _require(section, "highlight", (opts.highlight,), areas["area_code"])
    bench = sel[sel["area_code"] == opts.benchmark]
    years = opts.period[1] - opts.period[0] + 1
    out = vs_benchmark(pd.concat([areas, bench]), opts.benchmark, years=years)
    out = out[out["area_code"] != opts.benchmark].reset_index(drop=True)
    return out, display_name(str(bench["area_name"].iloc[0]))


def _comparator_rows(
    sel: pd.DataFrame, opts: AreasVsBenchmarkOptions, section: str
) -> pd.DataFrame:
    """Rows of the areas compared: ``opts.area_level``, or the ``opts.comparators`` set."""
    in_country = sel["area_code"].str.startswith(opts.code_prefix)
    if not opts.comparators:
        return sel[(sel["area_level"] == opts.area_level) & in_country]
    from overdose_trends.io.geography import comparators

    if opts.comparators in ("region", "neighbours") and not opts.highlight:
        raise ValueError(
            f"[{section}] comparators = {opts.comparators!r} needs highlight = <area code> "
            "(the area whose region or neighbours are compared)"
        )
    try:
        codes = comparators(
            opts.comparators, of=opts.highlight or None, codes=sel["area_code"].unique()
        )
    except ValueError as err:
        raise ValueError(f"[{section}] comparators: {err}") from None
    rows = sel[sel["area_code"].isin(codes) & in_country]
    order = {c: i for i, c in enumerate(codes)}
    return rows.sort_values("area_code", key=lambda s: s.map(order), kind="stable")


def _level_name(opts: AreasVsBenchmarkOptions) -> str:
    """``"district"`` -> ``"districts (England)"``; comparator sets by their names."""
    country = {"E": " (England)", "W": " (Wales)"}.get(opts.code_prefix, "")
    if opts.comparators in ("neighbours", "region"):
        from overdose_trends.io.geography import area_lookup

        lookup = area_lookup().set_index("area_code")
        name = display_name(str(lookup.at[opts.highlight, "area_name"]))
        if opts.comparators == "neighbours":
            return f"areas ({name} and its statistical neighbours)"
        region = (
            lookup.at[opts.highlight, "region_code"] or lookup.at[opts.highlight, "country_code"]
        )
        return f"areas in {str(lookup.at[region, 'area_name'])} (region of {name})"
    if opts.comparators:
        return f"{opts.comparators} authorities{country}"
    return opts.area_level.replace("_", " ") + "s" + country


@REGISTRY.figure(
    "funnel",
    inputs=("la_deaths",),
    options=FunnelOptions,
    title="Areas against the benchmark (funnel plot)",
    caption=(
        "Each area's rate against its population, with the 95% and 99.8% control limits "
        "around the benchmark rate. Areas outside the 99.8% limits are labelled; points "
        "inside the funnel are consistent with the benchmark plus chance."
    ),
)
def _funnel(data: ReportData, config: ReportConfig) -> Figure:
    """Funnel plot of ``[funnel] area_level`` areas against ``benchmark``."""
    from overdose_trends.plots.benchmark import plot_funnel

    opts: FunnelOptions = config.section("funnel")
    compared, bench_name = _areas_vs_benchmark(data.la, opts, "funnel")
    title = (
        f"{_subject(opts)}, {_level_name(opts)} compared with {bench_name}, "
        f"{period_text(opts.period)}"
    )
    return _draw(
        plot_funnel, compared, size=(8, 5.5), highlight=opts.highlight or None,
        years=opts.period[1] - opts.period[0] + 1, benchmark_name=bench_name, title=title,
        source=_la_source(data),
    )  # fmt: skip


@REGISTRY.figure(
    "ranking",
    inputs=("la_deaths",),
    options=RankingOptions,
    title="Areas ranked by rate",
    caption=(
        "Areas ordered by rate with 95% confidence intervals and the benchmark rate. Ranks "
        "ignore uncertainty: areas whose intervals overlap may swap places by chance. Areas "
        "without a calculated rate (fewer than 10 deaths) are not ranked."
    ),
)
def _ranking(data: ReportData, config: ReportConfig) -> Figure:
    """Caterpillar chart of ``[ranking] area_level`` areas."""
    from overdose_trends.plots.benchmark import plot_ranking as plot
    from overdose_trends.stats.funnel import rank_areas

    opts: RankingOptions = config.section("ranking")
    compared, bench_name = _areas_vs_benchmark(data.la, opts, "ranking")
    ranked = rank_areas(compared)
    n = int(ranked["rank"].notna().sum())
    title = f"{_subject(opts)}: {n} {_level_name(opts)} ranked, {period_text(opts.period)}"
    return _draw(
        plot, ranked, size=(8, 6), highlight=opts.highlight or None, benchmark_name=bench_name,
        title=title, source=_la_source(data),
    )  # fmt: skip


@dataclass(frozen=True)
class SubstancesOptions(Options):
    """``[substances]``: national death rates by substance mentioned."""

    substances: tuple[str, ...] = option(
        ("heroin_morphine", "methadone", "cocaine", "fentanyl"),
        as_names,
        "substances (the `substance` values of the national tables)",
    )
    area_code: str = option(ENGLAND_AND_WALES, as_area_code, "K04000001 = England and Wales")
    first_year: int = option(1993, as_year, "first registration year")
    last_year: int = option(2021, as_year, "last registration year")
    measure: str = measure_option()
    sex: str = sex_option()


@REGISTRY.figure(
    "substances",
    inputs=("national_deaths",),
    options=SubstancesOptions,
    title="Substances mentioned on death certificates",
    caption=(
        "Age-standardised rates of deaths mentioning each substance, with 95% confidence "
        "intervals. A death can mention several substances, so the series overlap and do not "
        "add up to the total."
    ),
)
def _substances(data: ReportData, config: ReportConfig) -> Figure:
    """National substance breakdown from ONS Table 4."""
    from overdose_trends.plots.national import plot_substances as plot

    opts: SubstancesOptions = config.section("substances")
    _in_order("substances", opts, "first_year", "last_year")
    asmr = select_rows(data.national, table="asmr")
    unknown = [s for s in opts.substances if s not in set(asmr["substance"])]
    if unknown:
        raise ValueError(
            f"[substances] substances: {', '.join(unknown)} not in the national tables; they "
            f"have {', '.join(sorted(set(asmr['substance'])))}"
        )
    _require("substances", "area_code", (opts.area_code,), asmr["area_code"])
    place = display_name(str(asmr.loc[asmr["area_code"] == opts.area_code, "area_name"].iloc[0]))
    title = f"{_subject(opts)} by substance mentioned, {place}, {opts.first_year}-{opts.last_year}"
    return _draw(
        plot, data.national, size=(8, 5), substances=opts.substances, area_code=opts.area_code,
        measure=opts.measure, sex=opts.sex, years=(opts.first_year, opts.last_year),
        title=title, source=_national_source(data),
    )  # fmt: skip


@dataclass(frozen=True)
class KitsOptions(Options):
    """``[kits]``: kits issued and returned used per year against deaths per year."""

    area_code: str = option(NORFOLK, as_area_code, "area of the kit service(s) and the deaths")
    service: str = option("all", as_text, "service name in the kit log, or 'all' for the total")
    first_year: int = option(
        2015,
        as_year,
        "first calendar year of kits (the shipped log starts in October 2015: a part year)",
    )
    last_year: int = option(2019, as_year, "last calendar year")
    context_years: int = option(
        5, count_between(0, 50), "years of deaths shown before the first kit year (0-50)"
    )
    deaths_measure: str = option(
        "misuse", as_measure, "deaths plotted: misuse (closer to opioid deaths) or poisoning"
    )


def _kits_caption(data: ReportData) -> str:
    """The kits caption; the SYNTHETIC warning only for the shipped simulated log."""
    what = (
        "Take-home naloxone kits issued and returned used per calendar year (hatched for a "
        "part year) and deaths registered per year, from ONS."
    )
    if data.synthetic_kits:
        return (
            f"{what} The kit log is the shipped SYNTHETIC (simulated) one: the kit numbers "
            "illustrate the method and are not any service's figures."
        )
    return f"{what} Kits from the configured log {data.path('kit_log').name}."


def _kit_year_notes(monthly: pd.DataFrame, yearly: pd.DataFrame, opts: KitsOptions) -> list[str]:
    """Notes on kit years the figure leaves out or shows only in part (nothing dropped silently)."""
    notes = []
    year = yearly["period_start"].dt.year
    shown = year.between(opts.first_year, opts.last_year)
    if not shown.all():
        issued = yearly.loc[~shown & (yearly["measure"] == "kits_issued"), "value"]
        years = sorted(set(year[~shown]))
        notes.append(
            f"Kits outside {opts.first_year}-{opts.last_year} not shown: "
            f"{int(issued.sum()):,} issued in {', '.join(map(str, years))}."
        )
    start, end = monthly["period_start"].min(), monthly["period_end"].max()
    if start.month != 1 and opts.first_year <= start.year <= opts.last_year:
        notes.append(
            f"{start.year} covers {start:%B}-December only: the kit log starts in {start:%B %Y}."
        )
    if end.month != 12 and opts.first_year <= end.year <= opts.last_year:
        notes.append(f"{end.year} covers January-{end:%B} only: the kit log ends in {end:%B %Y}.")
    return notes


@REGISTRY.figure(
    "kits",
    inputs=("kit_log", "la_deaths"),
    options=KitsOptions,
    title="Naloxone kits and deaths",
    caption=lambda data, config: _kits_caption(data),
)
def _kits(data: ReportData, config: ReportConfig) -> Figure:
    """Yearly kit counts of ``[kits] area_code``/``service`` against ONS deaths."""
    from overdose_trends.plots.kits import plot_kits_vs_deaths
    from overdose_trends.plots.style import SOURCE_SYNTHETIC_KITS
    from overdose_trends.stats.kit_metrics import kit_counts

    opts: KitsOptions = config.section("kits")
    _in_order("kits", opts, "first_year", "last_year")
    counts = data.kit_counts
    mine = counts[(counts["area_code"] == opts.area_code) & (counts["service"] == opts.service)]
    if mine.empty:
        have = sorted(set(zip(counts["area_code"], counts["service"], strict=True)))
        raise ValueError(
            f"[kits] no kit counts for area {opts.area_code}, service {opts.service!r}; "
            f"the log has {have}"
        )
    yearly = kit_counts(mine, "year", missing="zero")
    notes = _kit_year_notes(mine, yearly, opts)
    yearly = yearly[
        yearly["period_start"].dt.year.between(opts.first_year, opts.last_year)
    ].reset_index(drop=True)
    deaths = select_rows(
        data.la, areas=opts.area_code, sex="persons", length=0, last=opts.last_year
    )
    _require("kits", "area_code", (opts.area_code,), deaths["area_code"])
    synthetic = data.synthetic_kits
    place = _names(data.la, (opts.area_code,))[0]
    title = (
        f"Take-home naloxone kits{' (SYNTHETIC data)' if synthetic else ''} and deaths related "
        f"to drug {opts.deaths_measure}, {place}"
    )
    kit_source = SOURCE_SYNTHETIC_KITS if synthetic else f"kit log {data.path('kit_log').name}"
    return _draw(
        plot_kits_vs_deaths, yearly, deaths, size=(8, 5), area_code=opts.area_code,
        service=opts.service, measure=opts.deaths_measure, sex="persons",
        context_years=opts.context_years, synthetic=synthetic, title=title,
        source=[kit_source, _la_source(data)], notes=notes,
    )  # fmt: skip


@dataclass(frozen=True)
class AvertedOptions(Options):
    """``[deaths_averted]``: deaths averted by kits, honest estimates beside the naive claim."""

    kits_used: int = option(
        2600, count_between(0, _MAX_KITS), "kits returned (or reported) used; 0 = unknown"
    )
    kits_issued: int = option(4000, count_between(0, _MAX_KITS), "kits issued; 0 = unknown")
    seed: int = option(1, count_between(0, _MAX_SEED), "random seed of the Monte Carlo interval")
    n_draws: int = option(
        10_000, count_between(100, _MAX_DRAWS), "Monte Carlo draws (100 to 1,000,000)"
    )
    conf: float = option(0.95, as_level, "interval level")
    label: str = option(
        "Norfolk news claim, 2,600 kits used and about 4,000 issued",
        as_text,
        "what the numbers are (title)",
    )
    source: str = option(
        "kit numbers quoted in local news reports, taken at face value",
        as_text,
        "where the kit numbers come from (source line)",
    )


@REGISTRY.figure(
    "deaths_averted",
    inputs=(),
    options=AvertedOptions,
    title="Deaths averted: the naive claim against estimates",
    caption=(
        "The naive figure counts every used kit as a life saved. The use-based estimate "
        "allows for the chance that a treated overdose would have been fatal without naloxone "
        "(and despite it); the distribution-based one applies kits issued per death averted "
        "from a published model. Intervals are 95% (parameter uncertainty and chance). The "
        "2,600 and 4,000 of the news story come from programmes of different scope."
    ),
)
def _deaths_averted(data: ReportData, config: ReportConfig) -> Figure:
    """:func:`overdose_trends.stats.averted.deaths_averted` for the configured kit numbers."""
    from overdose_trends.plots.kits import SOURCE_DEATHS_AVERTED_MODEL
    from overdose_trends.plots.kits import plot_deaths_averted as plot
    from overdose_trends.stats.averted import deaths_averted as estimate

    opts: AvertedOptions = config.section("deaths_averted")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimates = estimate(
            opts.kits_used or None,
            opts.kits_issued or None,
            seed=opts.seed,
            n_draws=opts.n_draws,
            conf=opts.conf,
        )
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return _draw(
        plot, estimates, size=(8, 4.5), title=f"Deaths averted by take-home naloxone: {opts.label}",
        source=[opts.source, SOURCE_DEATHS_AVERTED_MODEL], notes=notes,
    )  # fmt: skip


@dataclass(frozen=True)
class JoinpointOptions(Options):
    """``[joinpoint_national]``: joinpoint regression of a national age-standardised rate."""

    area_code: str = option(
        ENGLAND_AND_WALES, as_area_code, "national series (K04000001 = England and Wales)"
    )
    measure: str = measure_option()
    sex: str = sex_option()
    substance: str = option(
        "all", as_text, "substance code of the ONS Table 4 rates ('all' = any drug)"
    )
    max_joinpoints: int = option(3, count_between(0, 5), "largest number of joinpoints (0-5)")
    aapc_from: int = option(2012, as_year, "start of the extra AAPC range (to the last year)")
    seed: int = option(
        0, count_between(0, _MAX_SEED), "seed of the permutation tests (reproducible figures)"
    )


@REGISTRY.figure(
    "joinpoint_national",
    inputs=("national_deaths",),
    options=JoinpointOptions,
    title="Where the national trend changed (joinpoint regression)",
    caption=(
        "Age-standardised death rates per million with 95% confidence intervals (points and bars) "
        "and the log-linear joinpoint model (coloured segments). Joinpoints (dotted lines) are "
        "chosen by the permutation tests of Kim et al. (2000); each segment's annual percent "
        "change (APC) and the average annual percent change (AAPC) are given with 95% "
        "confidence intervals, * where significantly different from zero."
    ),
)
def _joinpoint_national(data: ReportData, config: ReportConfig) -> Figure:
    """:func:`~overdose_trends.stats.trends.joinpoint.fit_joinpoint` of ONS Table 4 rates."""
    from overdose_trends.plots.trends import plot_joinpoint
    from overdose_trends.stats.trends.joinpoint import fit_joinpoint

    opts: JoinpointOptions = config.section("joinpoint_national")
    sel = select_rows(
        data.national, table="asmr", areas=opts.area_code, measure=opts.measure, sex=opts.sex,
        substance=opts.substance, length=0,
    )  # fmt: skip
    if sel.empty:
        raise ValueError(
            f"[joinpoint_national] no ASMR rows for area {opts.area_code}, {opts.measure}, "
            f"{opts.sex}, substance {opts.substance!r}"
        )
    sel = sel.assign(year=sel["period_start"]).sort_values("year")
    fit = fit_joinpoint(
        sel, rate="rate", lcl="lcl", ucl="ucl", max_joinpoints=opts.max_joinpoints, seed=opts.seed
    )
    last = int(sel["year"].max())
    place = display_name(str(sel["area_name"].iloc[0]))
    return _draw(
        plot_joinpoint, fit, size=(8, 6), data=sel,
        aapc_ranges=[(opts.aapc_from, last)] if opts.aapc_from < last else [],
        source=_national_source(data),
        title=f"Deaths related to drug {opts.measure} ({opts.sex}), {place}: joinpoint regression",
    )  # fmt: skip


@dataclass(frozen=True)
class ItsOptions(Options):
    """``[its_southend]``: interrupted time series of one area's yearly deaths."""

    area_code: str = option(SOUTHEND, as_area_code, "local authority (E06000033 = Southend-on-Sea)")
    first: int = option(
        2001, as_year, "first year (population estimates lack ages 85+ before 2001)"
    )
    last: int = option(2019, as_year, "last year")
    intervention: int = option(2015, as_year, "first year of the post-intervention period")
    label: str = option(
        "Naloxone kits supplied from 2015",
        as_text,
        "legend text of the intervention: what started, and when (no verdict)",
    )
    measure: str = measure_option()
    sex: str = sex_option("persons only: the populations are for persons")


def _its_caption(config: ReportConfig) -> str:
    opts: ItsOptions = config.section("its_southend")
    return (
        f"Deaths registered each year, {opts.first}-{opts.last}, with the segmented regression "
        f"fitted before and from {opts.intervention} ({opts.label}; population as offset) and "
        "the earlier trend continued, with its 95% confidence band. The box gives the step, "
        "the change of slope and how many fewer (or more) deaths were registered than the "
        "earlier trend predicts, with 95% intervals. An interval including zero is no "
        "evidence of a change, and a change after the intervention year need not be caused "
        "by it."
    )


@REGISTRY.figure(
    "its_southend",
    inputs=("la_deaths", "population"),
    options=ItsOptions,
    title="Deaths before and after the intervention year: interrupted time series",
    caption=lambda data, config: _its_caption(config),
)
def _its_southend(data: ReportData, config: ReportConfig) -> Figure:
    """:func:`~overdose_trends.stats.trends.interrupted.fit_interrupted` of yearly deaths."""
    from overdose_trends.plots.trends import plot_interrupted
    from overdose_trends.stats.trends.interrupted import fit_interrupted

    section = "its_southend"
    opts: ItsOptions = config.section(section)
    if opts.sex != "persons":
        raise ValueError(f"[{section}] sex: the shipped populations are for persons only")
    _in_order(section, opts, "first", "last")
    if not opts.first < opts.intervention <= opts.last:
        raise ValueError(
            f"[{section}] intervention {opts.intervention} must be after first ({opts.first}) "
            f"and not after last ({opts.last})"
        )
    deaths = select_rows(
        data.la, areas=opts.area_code, measure=opts.measure, sex=opts.sex, length=0,
        first=opts.first, last=opts.last,
    )  # fmt: skip
    _require(section, "area_code", (opts.area_code,), deaths["area_code"])
    series = _with_population(section, data, deaths, opts.first, opts.last)
    fit = fit_interrupted(
        series[["year", "deaths", "population"]].sort_values("year"),
        population="population",
        intervention=opts.intervention,
    )
    place = display_name(str(deaths["area_name"].iloc[0]))
    return _draw(
        plot_interrupted, fit, size=(8, 6), intervention_label=opts.label,
        source=[_la_source(data), "ONS mid-year population estimates (Nomis)"],
        title=f"Deaths related to drug {opts.measure}, {place}, {opts.first}-{opts.last}",
    )  # fmt: skip


# The map and the controlled evaluation register themselves last (report/_figures_areas.py).
import overdose_trends.report._figures_areas  # noqa: E402, F401, I001
