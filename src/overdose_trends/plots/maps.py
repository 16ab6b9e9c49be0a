"""Choropleth maps of local authorities in England and Wales.

:func:`plot_map`
    Each local authority filled by the class of its value (quantile classes
    or fixed breaks) or by its comparison with a benchmark (Fingertips-style
    better / similar / worse), areas without a rate hatched and explained in
    the legend, and London's boroughs enlarged in an inset.

The outlines ship with the package (``data/boundaries/la_outlines.json.gz``:
2013 outlines from UK-GeoJSON, simplified, with later areas dissolved from
their predecessors; see ``data/README.md``). The map is drawn in longitude and
latitude with the aspect true at 52.5 degrees north, which is close to the
National Grid's shape at this scale.

References
----------
Office for National Statistics (2020). *Deaths related to drug poisoning in
England and Wales: 2019 registrations* (the map of local rates).

Harrower M, Brewer CA (2003). ColorBrewer.org. *The Cartographic Journal* 40(1):27-37.

Office for Health Improvement and Disparities. *Fingertips technical guidance*
(comparison with a benchmark by confidence interval; quintiles).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from numpy.typing import NDArray

from overdose_trends._frames import require_columns
from overdose_trends.constants import MIN_DEATHS_FOR_RATE, MIN_DEATHS_RELIABLE, PER_100K
from overdose_trends.io.geography import area_lookup
from overdose_trends.plots._common import (
    annotating,
    axis_label,
    default_source,
    figure_axes,
    finish,
    measure_title,
    nice_name,
    one_row_per,
    period_label,
    table_status,
    unique_float,
    unique_value,
    units_for,
)
from overdose_trends.plots._docs import figure_doc
from overdose_trends.plots._map_classes import (
    EMPTY_FILL,
    EMPTY_LABELS,
    HATCH_COLOR,
    HATCHES,
    MAX_CLASSES,
    MIN_CLASSES,
    Classes,
    category_classes,
    empty_key,
    quantile_breaks,
    value_classes,
)
from overdose_trends.plots._map_outlines import (
    ASPECT,
    Level,
    MapAreas,
    choose_vintage,
    map_areas,
    mapped_codes,
)
from overdose_trends.stats.funnel import vs_benchmark

__all__ = ["SOURCE_BOUNDARIES", "plot_map"]

#: Attribution of the shipped outlines (CC BY 4.0 and OS OpenData terms ask for it).
SOURCE_BOUNDARIES = (
    "Boundaries: UK-GeoJSON (M. Chorley, CC BY 4.0), simplified; contains OS data "
    "© Crown copyright and database right 2014"
)
#: Size of a new map figure in inches (England and Wales are taller than wide).
MAP_FIGSIZE = (7.5, 8.6)
#: Where the London inset goes, in longitude/latitude (the North Sea off Yorkshire).
_INSET = (-0.05, 54.35, 1.85, 1.05)
_EDGE = "#FFFFFF"
_EDGE_WIDTH = 0.25
_NOT_CALCULATED, _NO_DATA = -1, -2


def _codes(data: pd.DataFrame) -> list[str]:
    return [str(c).strip() for c in data["area_code"]]


def _countries(codes: list[str], vintage: int, level: Level) -> MapAreas:
    """The map's areas, limited to the countries (England, Wales) the data cover."""
    areas = map_areas(vintage, level)
    lookup = area_lookup()
    country = dict(zip(lookup["area_code"], lookup["country_code"], strict=True))
    wanted = {country[c] for c in codes}
    keep = [i for i, c in enumerate(areas.codes) if country[c] in wanted]
    return MapAreas(
        vintage=areas.vintage, level=areas.level,
        codes=tuple(areas.codes[i] for i in keep), names=tuple(areas.names[i] for i in keep),
        paths=tuple(areas.paths[i] for i in keep), london=tuple(areas.london[i] for i in keep),
    )  # fmt: skip


def _empty(rows: pd.DataFrame, value: str, numeric_value: bool) -> NDArray[np.int64]:
    """-1 (rate not calculated), -2 (no row or no value) or 0 for each area.

    The ONS small-number rule applies to the ``rate`` column (mapped, or behind
    the categories mapped), not to other numbers (a count of deaths, kits per
    population).
    """
    have = rows["area_code"].notna().to_numpy()
    out = np.where(have, 0, _NO_DATA).astype(np.int64)
    use_rate = "rate" in rows.columns and (value == "rate" or not numeric_value)
    rate = "rate" if use_rate else None
    if rate is not None and have.any():
        status = np.full(len(rows), "missing", dtype=object)
        status[have] = table_status(rows.loc[have], rate, required=False)
        out[(status == "not_calculated") & have] = _NOT_CALCULATED
        if numeric_value:
            out[(status == "missing") & have] = _NO_DATA
    return out


def _classes(
    rows: pd.DataFrame,
    value: str,
    scheme: str,
    k: int,
    breaks: Sequence[float] | None,
    decimals: int,
) -> tuple[Classes, str]:
    """The areas' classes and a note on how they were made."""
    col = rows[value]
    numeric_value = pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(
        col.dtype
    )
    empty = _empty(rows, value, numeric_value)
    if not numeric_value:
        declared = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else []
        return category_classes(col.astype(object).tolist(), empty, declared), ""
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    empty[(empty == 0) & np.isnan(values)] = _NO_DATA
    shown = values[empty == 0]
    if shown.size == 0:
        raise ValueError(f"plot_map: no mapped area has a value in {value!r}")
    if breaks is not None:
        cuts = [float(b) for b in breaks]
        if any(b >= a for b, a in zip(cuts, cuts[1:], strict=False)) or not cuts:
            raise ValueError("plot_map: breaks must be one or more increasing numbers")
        return value_classes(values, empty, cuts, decimals), ""
    if scheme != "quantile":
        raise ValueError(
            f"plot_map: classes must be 'quantile' or given as breaks=, not {scheme!r}"
        )
    if not MIN_CLASSES <= k <= MAX_CLASSES:
        raise ValueError(f"plot_map: k must be {MIN_CLASSES} to {MAX_CLASSES}, not {k}")
    cuts = quantile_breaks(shown, k, decimals)
    note = (
        f"Classes: {k} groups of about equal size (quantiles) of the {shown.size} areas "
        "with a value."
    )
    return value_classes(values, empty, cuts, decimals), note


def _draw_areas(ax: Axes, areas: MapAreas, classes: Classes, only_london: bool = False) -> int:
    drawn = 0
    for i, (code, path, london) in enumerate(
        zip(areas.codes, areas.paths, areas.london, strict=True)
    ):
        if only_london and not london:
            continue
        key = int(classes.index[i])
        hatch = HATCHES[empty_key(key)] if key < 0 else None
        patch = PathPatch(
            path, facecolor=classes.color(key), edgecolor=_EDGE, linewidth=_EDGE_WIDTH,
            hatch=hatch, gid=f"area-{code}", label="_nolegend_",
        )  # fmt: skip
        if hatch:
            patch.set_hatchcolor(HATCH_COLOR)
        ax.add_artist(patch)  # not add_patch: its limit update walks every vertex (slow)
        drawn += 1
    return drawn


def _bounds(paths: Sequence[MplPath]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower-left and upper-right corners around ``paths`` (straight segments only)."""
    xy = np.vstack([p.vertices for p in paths])
    return xy.min(axis=0), xy.max(axis=0)


def _frame(ax: Axes, paths: Sequence[MplPath], margin: float = 0.02) -> None:
    """Fit the view to ``paths`` with the map's aspect; the limits grow to fill the Axes' box."""
    low, high = _bounds(paths)
    ax.update_datalim(np.vstack([low, high]))
    ax.set_aspect(ASPECT, adjustable="datalim")  # the room left over holds the legend
    ax.margins(margin)
    ax.autoscale_view()
    ax.set_axis_off()


def _inset(ax: Axes, areas: MapAreas, classes: Classes) -> None:
    """London's boroughs enlarged, in the sea off Yorkshire, with a box on the main map."""
    london = [p for p, is_london in zip(areas.paths, areas.london, strict=True) if is_london]
    if not london:
        return
    x, y, w, h = _INSET
    inset = ax.inset_axes((x, y, w, h), transform=ax.transData)
    inset.set_gid("london-inset")
    _draw_areas(inset, areas, classes, only_london=True)
    _frame(inset, london, margin=0.02)
    inset.set_axis_on()
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_visible(True)
        spine.set_color(HATCH_COLOR)
        spine.set_linewidth(0.6)
    inset.set_title("London", fontsize=8, loc="left", pad=2)
    (x0, y0), (x1, y1) = _bounds(london)
    ax.add_patch(
        Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="#222222", lw=0.7, gid="london-box")
    )


def _with_count(label: str, n: int) -> str:
    """``"Rate not calculated (31)\\n(fewer than 10 deaths)"``: the count after the first line."""
    first, _, rest = label.partition("\n")
    return f"{first} ({n})" + (f"\n{rest}" if rest else "")


def _legend(ax: Axes, classes: Classes, title: str | None) -> None:
    handles: list[Patch] = [
        Patch(facecolor=c, edgecolor=HATCH_COLOR, linewidth=0.4, label=f"{lab} ({n})")
        for lab, c, n in zip(classes.labels, classes.colors, classes.counts, strict=True)
    ]
    for key in (_NOT_CALCULATED, _NO_DATA):
        n = int((classes.index == key).sum())
        if n:
            patch = Patch(
                facecolor=EMPTY_FILL, edgecolor=HATCH_COLOR, linewidth=0.4,
                hatch=HATCHES[empty_key(key)], label=_with_count(EMPTY_LABELS[empty_key(key)], n),
            )  # fmt: skip
            patch.set_hatchcolor(HATCH_COLOR)
            handles.append(patch)
    legend = ax.legend(
        handles=handles, loc="upper left", title=title, fontsize=8, title_fontsize=8.5,
        frameon=False, alignment="left", handlelength=1.6, handleheight=1.1,
    )  # fmt: skip
    legend.set_gid("legend")


_Polarity = Literal["low_is_good", "high_is_good", "no_judgement"]
#: How each category column of vs_benchmark compares an area with the benchmark.
_COMPARISON = {
    "compared": "95% confidence interval of each area's rate",
    "category": "95% confidence interval of each area's rate",
    "category_funnel": "95% and 99.8% control limits (funnel)",
}


def _benchmark_text(data: pd.DataFrame, benchmark: float | str | None) -> str:
    """``"England (6.7)"`` for an area code, ``"the benchmark rate (6.7)"`` for a number."""
    bench = unique_value(data, "benchmark")
    if isinstance(benchmark, str) and "area_name" in data.columns:
        hit = data.loc[data["area_code"].astype(str).str.strip() == benchmark, "area_name"]
        name = nice_name(hit.iloc[0]) if len(hit) else benchmark
        return name if bench is None else f"{name} ({float(bench):.1f})"
    if bench is None:
        return "the benchmark"
    return f"the benchmark rate ({float(bench):g})"


def _units_and_title(
    data: pd.DataFrame, value: str, benchmark: float | str | None, units: str | None
) -> tuple[str | None, str | None]:
    """The units line and the legend's title."""
    if value in _COMPARISON:
        text = f"Compared with {_benchmark_text(data, benchmark)}: {_COMPARISON[value]}"
        return (units or text), None
    if value == "category_quintile":
        return units, "Quintiles of the rates"
    if units is None and value == "rate":
        units = units_for(unique_float(data, "rate_per", PER_100K))
    return units, (axis_label(units, full=False) if units else value)


def _sources(source: str | Sequence[str] | None, data: pd.DataFrame) -> list[str]:
    if source is None:
        return [default_source(data)]
    return [source] if isinstance(source, str) else list(source)


def _title(data: pd.DataFrame, areas: MapAreas) -> str:
    lookup = area_lookup()
    country = dict(zip(lookup["area_code"], lookup["country_code"], strict=True))
    where = {country[c] for c in areas.codes}
    place = {"E92000001": "England", "W92000004": "Wales"}
    names = " and ".join(place[c] for c in ("E92000001", "W92000004") if c in where)
    tier = "upper-tier local authority" if areas.level == "upper" else "local authority"
    period = ""
    start, end = unique_value(data, "period_start"), unique_value(data, "period_end")
    if start is not None and end is not None:
        period = f", {period_label(start, end)}"
    elif unique_value(data, "year") is not None:
        period = f", {unique_value(data, 'year')}"
    return f"{measure_title(data)} by {tier}, {names}{period}"


def _notes(classes: Classes, areas: MapAreas, rows: pd.DataFrame, how: str) -> list[str]:
    notes = [how] if how else []
    if "rate_status" in rows.columns:
        n = int((rows["rate_status"] == "unreliable").sum())
        if n:
            notes.append(
                f"{n} area(s) have rates from {MIN_DEATHS_FOR_RATE}-{MIN_DEATHS_RELIABLE - 1} "
                "deaths, which ONS marks as unreliable."
            )
    notes.append(
        f"Local authorities as in {areas.vintage} (codes in use on 31 December); outlines "
        "simplified."
    )
    return notes


@figure_doc(
    ax="a new figure in the house style, 7.5 x 8.6 inches",
    title="from the measure, the areas and the period",
    units="from ``rate_per`` for rates, or naming the benchmark",
    notes="how the classes were made, unreliable rates, the areas' vintage",
)
def plot_map(
    data: pd.DataFrame,
    value: str = "rate",
    *,
    classes: Literal["quantile"] = "quantile",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    benchmark: float | str | None = None,
    polarity: _Polarity = "low_is_good",
    level: Literal["lower", "upper"] | None = None,
    inset: bool = True,
    decimals: int = 1,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Choropleth map of local authorities in England and Wales.

    Each area is filled by the class of its value, or by its comparison with a
    benchmark; areas without a value are hatched and counted in the legend
    ("rate not calculated" for ONS rates from fewer than 10 deaths, "no data"
    for areas without a row or a value). London's boroughs are repeated,
    enlarged, in an inset.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area: ``area_code`` (GSS codes of one vintage, 2013-2023)
        and ``value``; optional ``deaths`` / ``rate_status`` (small-number
        rules), ``area_name``, ``measure``, ``sex``, ``period_start``,
        ``period_end``, ``rate_per``. Rows of countries, regions, metropolitan
        counties and Inner/Outer London are not drawn (e.g. a benchmark row).
        Rows of the other tier are not drawn either (see ``level``).
    value : str, default "rate"
        Column to map. Numeric: classes by value. Categorical or text (e.g.
        ``category``, ``category_funnel``, ``category_quintile`` or
        ``compared`` of :func:`overdose_trends.stats.funnel.vs_benchmark`):
        one colour per category ("Better" blue, "Similar" grey, "Worse"
        vermillion; "Lower"/"Higher" in blues). Areas whose ``rate`` ONS
        does not calculate (fewer than 10 deaths, from ``deaths`` or
        ``rate_status``) are hatched when mapping ``rate`` or categories;
        other numbers (e.g. deaths, kits per 100,000) are mapped as they are.
    classes : {"quantile"}, default "quantile"
        Classes by value: ``k`` quantile groups (about equal numbers of areas;
        breaks rounded to ``decimals``). Ignored for categories or with ``breaks``.
    k : int, default 5
        Number of quantile classes, 3 to 7.
    breaks : sequence of float, optional
        Fixed class breaks instead of quantiles (1 to 6 increasing numbers):
        classes "Under b1", "b1 to under b2", ..., "bn and over".
    benchmark : float or str, optional
        Compare each area's rate (``value``, with ``lcl`` and ``ucl``) with
        this rate, or with the rate of this area code (e.g. ``"E92000001"``,
        England, a row of ``data``), by
        :func:`~overdose_trends.stats.funnel.vs_benchmark`, and map the
        Fingertips category (better / similar / worse by the 95% confidence
        interval).
    polarity : {"low_is_good", "high_is_good", "no_judgement"}, default "low_is_good"
        Direction of the benchmark comparison: death rates are low-is-good;
        "no_judgement" maps lower / similar / higher.
    level : {"lower", "upper"}, optional
        Map districts and single-tier authorities (``"lower"``), or counties
        and single-tier authorities (``"upper"``). Default: upper only when
        the data hold counties and no district.
    inset : bool, default True
        Draw the London inset.
    decimals : int, default 1
        Decimals of the class breaks in the legend.
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        One :class:`~matplotlib.patches.PathPatch` per area with ``gid``
        ``"area-<code>"`` (hatched when without a value), the legend (``gid``
        ``"legend"``; each entry ends with its number of areas), the London
        inset Axes (``gid`` ``"london-inset"``, a child of the Axes) and its
        box on the main map (``"london-box"``).

    Raises
    ------
    ValueError
        For a missing ``area_code`` or ``value`` column, an area repeated
        (several periods or sexes: filter to one), codes without an outline
        or of mixed vintages (map one vintage with ``ot.harmonise(df, to=...)``),
        no area to map, or bad ``k`` / ``breaks``.

    Notes
    -----
    Quantile classes follow the values of the areas drawn (an area's rate
    counts once whatever its population); unreliable rates (10-19 deaths) are
    drawn like the others and counted in a note. Codes are matched to the
    latest vintage in which all of them were in use, so the ONS 2019 edition's
    codes (boundaries of May 2020) draw Bournemouth, Christchurch and Poole
    and the Suffolk districts of 2019.

    References
    ----------
    ONS (2020), *Deaths related to drug poisoning by local authority, England
    and Wales*; Harrower & Brewer (2003), ColorBrewer; OHID *Fingertips*
    (comparison with benchmark).

    Examples
    --------
    Drug-poisoning death rates 2016-18 (persons) by local authority, in
    quintiles:

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' "
    ...     "and period_start == 2016 and period_end == 2018")
    >>> ax = ot.plot_map(la)
    >>> for text in ax.get_legend().get_texts():
    ...     print(text.get_text().replace("\\n", " "))
    Under 4.6 (57)
    4.6 to under 5.8 (61)
    5.8 to under 7.4 (64)
    7.4 to under 9.6 (61)
    9.6 and over (62)
    Rate not calculated (31) (fewer than 10 deaths)
    >>> ax.patches[0].get_gid(), len([p for p in ax.patches if p.get_hatch()])
    ('area-E06000047', 31)

    Compared with England's rate (Fingertips' better / similar / worse):

    >>> ax = ot.plot_map(la, benchmark="E92000001", inset=False)
    >>> for text in ax.get_legend().get_texts():
    ...     print(text.get_text().replace("\\n", " "))
    Better (43)
    Similar (195)
    Worse (67)
    Rate not calculated (31) (fewer than 10 deaths)
    """
    func = "plot_map"
    require_columns(data, ["area_code", value], func)
    if data.empty:
        raise ValueError(f"{func}: data has no rows")
    one_row_per(data, ["area_code"], func)
    if benchmark is not None:
        data = vs_benchmark(data, benchmark, rate=value, deaths=None, polarity=polarity)
        value = "category"
    drawn, map_level = mapped_codes(_codes(data), level, func)
    if not drawn:
        raise ValueError(
            f"{func}: no local authority to map: the rows are countries, regions or areas of "
            "the other tier (see level=)"
        )
    vintage = choose_vintage(drawn, func)
    areas = _countries(drawn, vintage, map_level)
    keyed = data.assign(area_code=_codes(data)).set_index("area_code", drop=False)
    rows = keyed.reindex(list(areas.codes))
    cls, how = _classes(rows, value, classes, k, breaks, decimals)

    units, legend_title = _units_and_title(data, value, benchmark, units)
    annotated = annotating(ax, annotate)
    with figure_axes(ax, figsize=MAP_FIGSIZE) as ax:
        _draw_areas(ax, areas, cls)
        _frame(ax, areas.paths)
        if inset and any(areas.london):
            _inset(ax, areas, cls)
        _legend(ax, cls, legend_title)
        finish(
            ax, annotated=annotated, title=title or _title(data, areas), units=units,
            source=[*_sources(source, data), SOURCE_BOUNDARIES],
            notes=[*_notes(cls, areas, rows, how), *notes],
        )  # fmt: skip
    return ax
