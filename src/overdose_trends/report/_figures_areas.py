"""Report figures about places: a map of local rates and a controlled evaluation.

Registered in :data:`overdose_trends.report._builders.REGISTRY` when
:mod:`overdose_trends.report.figures` imports this module (after its own figures,
so these come last on the page). Same conventions as the builders there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from overdose_trends.report._builders import (
    REGISTRY,
    _draw,
    _in_order,
    _la_source,
    _require,
    _with_population,
)
from overdose_trends.report._common import display_name, period_text, select_rows
from overdose_trends.report.config import SOUTHEND, ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.options import (
    Options,
    as_area_code,
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
    from matplotlib.figure import Figure

__all__ = ["ControlledOptions", "MapOptions"]


@dataclass(frozen=True)
class MapOptions(Options):
    """``[map]``: a choropleth of local-authority rates in one period (England and Wales)."""

    period: tuple[int, int] = period_option((2016, 2018), "registration period")
    benchmark: str = option(
        "",
        as_optional_area_code,
        "'' = five classes of about equal numbers of areas; an area code (E92000001 "
        "England) = areas better / similar / worse than its rate",
    )
    level: str = option("lower", as_text, "lower (districts and unitaries) or upper (counties)")
    measure: str = measure_option()
    sex: str = sex_option()


def _map_caption(config: ReportConfig) -> str:
    opts: MapOptions = config.section("map")
    classes = (
        "compared with the benchmark's rate by the 95% confidence interval"
        if opts.benchmark
        else "in five classes of about equal numbers of areas"
    )
    return (
        f"Age-standardised death rates of each local authority in England and Wales, "
        f"{period_text(opts.period)}, {classes}. Hatched: no rate, because ONS does not "
        "calculate rates from fewer than 10 deaths. London's boroughs are enlarged in the inset."
    )


@REGISTRY.figure(
    "map",
    inputs=("la_deaths",),
    options=MapOptions,
    title="Death rates by local authority: map",
    caption=lambda data, config: _map_caption(config),
)
def _map(data: ReportData, config: ReportConfig) -> Figure:
    """Choropleth of ``[map] period`` rates (:func:`~overdose_trends.plots.maps.plot_map`)."""
    from overdose_trends.plots.maps import MAP_FIGSIZE, plot_map

    opts: MapOptions = config.section("map")
    if opts.level not in ("lower", "upper"):
        raise ValueError(f"[map] level must be 'lower' or 'upper', not {opts.level!r}")
    sel = select_rows(data.la, measure=opts.measure, sex=opts.sex, periods=(opts.period,))
    if sel.empty:
        raise ValueError(f"[map] period: no rates for {period_text(opts.period)}")
    if opts.benchmark:
        _require("map", "benchmark", (opts.benchmark,), sel["area_code"])
    return _draw(
        plot_map, sel, size=MAP_FIGSIZE, level=opts.level,
        benchmark=opts.benchmark or None, source=_la_source(data),
    )  # fmt: skip


@dataclass(frozen=True)
class ControlledOptions(Options):
    """``[controlled_southend]``: one area against comparison areas around a programme start."""

    area_code: str = option(SOUTHEND, as_area_code, "local authority (E06000033 = Southend-on-Sea)")
    method: str = option(
        "cits", as_text, "cits (comparative interrupted time series) or synthetic (control)"
    )
    neighbours: int = option(
        15, count_between(2, 100), "number of statistical neighbours used as comparison areas"
    )
    first: int = option(
        2001, as_year, "first year (population estimates lack ages 85+ before 2001)"
    )
    last: int = option(2019, as_year, "last year")
    intervention: int = option(2015, as_year, "first year of the programme")
    label: str = option(
        "Kits supplied from 2015",
        as_text,
        "legend text of the programme start: what started, and when (no verdict)",
    )
    measure: str = measure_option()


_METHOD_NAMES = {
    "cits": "comparative interrupted time series",
    "synthetic": "synthetic control",
}


def _controlled_caption(config: ReportConfig) -> str:
    opts: ControlledOptions = config.section("controlled_southend")
    return (
        f"Deaths registered each year, {opts.first}-{opts.last}, in the area and in its "
        f"{opts.neighbours} statistical neighbours (the package's own method: population size, "
        "age structure and IMD 2019), by "
        f"{_METHOD_NAMES.get(opts.method, opts.method)} around {opts.intervention} "
        f"({opts.label}). The box gives the area's change relative to the comparison and the "
        "deaths it implies, with 95% intervals: an interval including 1 (or 0 deaths) is no "
        "evidence of an effect, and a difference need not be caused by the programme."
    )


@REGISTRY.figure(
    "controlled_southend",
    inputs=("la_deaths", "population"),
    options=ControlledOptions,
    title="One area against its statistical neighbours: controlled evaluation",
    caption=lambda data, config: _controlled_caption(config),
)
def _controlled_southend(data: ReportData, config: ReportConfig) -> Figure:
    """:func:`~overdose_trends.stats.trends.controlled.fit_controlled` against neighbours."""
    from overdose_trends.io.neighbours import neighbours
    from overdose_trends.plots.controlled import plot_controlled
    from overdose_trends.stats.trends.controlled import fit_controlled

    section = "controlled_southend"
    opts: ControlledOptions = config.section(section)
    if opts.method not in _METHOD_NAMES:
        raise ValueError(f"[{section}] method must be 'cits' or 'synthetic', not {opts.method!r}")
    _in_order(section, opts, "first", "last")
    controls = neighbours(opts.area_code, k=opts.neighbours)["area_code"].tolist()
    codes = (opts.area_code, *controls)
    deaths = select_rows(
        data.la, areas=codes, measure=opts.measure, sex="persons", length=0,
        first=opts.first, last=opts.last,
    )  # fmt: skip
    _require(section, "area_code", (opts.area_code,), deaths["area_code"])
    panel = _with_population(section, data, deaths, opts.first, opts.last)
    fit = fit_controlled(
        panel, treated=opts.area_code, controls=controls, intervention=opts.intervention,
        method=cast(Literal["cits", "synthetic"], opts.method),
    )  # fmt: skip
    place = display_name(
        str(deaths.loc[deaths["area_code"] == opts.area_code, "area_name"].iloc[0])
    )
    return _draw(
        plot_controlled, fit, size=(8, 6), intervention_label=opts.label,
        source=[_la_source(data), "ONS mid-year population estimates (Nomis)"],
        title=(
            f"{place} against its {opts.neighbours} statistical neighbours: "
            f"{_METHOD_NAMES[opts.method]}, {opts.first}-{opts.last}"
        ),
    )  # fmt: skip
