"""Figures comparing areas with a benchmark: funnel plot and ranking (caterpillar) chart.

:func:`plot_funnel`
    Each area's rate against its population, with the benchmark and the 95%
    and 99.8% control limits of :func:`overdose_trends.stats.funnel.funnel_limits`;
    areas outside the 99.8% limits (and any highlighted area) labelled.
:func:`plot_ranking`
    Areas sorted by rate with their confidence intervals, the benchmark line
    and a highlighted area (e.g. Norwich among English districts).

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine* 24(8):1185-1202.

Public Health England / OHID. *Fingertips technical guidance: funnel plots*;
PHEindicatormethods ``calculate_funnel_limits`` and ``assign_funnel_significance``.

Marshall EC, Spiegelhalter DJ (1998). Reliability of league tables of in vitro
fertilisation clinics: retrospective analysis of live birth rates. *BMJ*
316:1701-1704 (ranks are uncertain: show intervals, not only the order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import NullFormatter
from numpy.typing import NDArray

from overdose_trends._frames import numeric, require_columns
from overdose_trends.constants import (
    AREA_LEVELS,
    FUNNEL_LEVELS,
    PER_100K,
    PHE_FUNNEL_MIN_EVENTS,
)
from overdose_trends.plots import style
from overdose_trends.plots._common import (
    annotating,
    axis_label,
    deaths_column,
    figure_axes,
    finish,
    interval_note,
    label_points,
    layout_now,
    measure_title,
    nice_name,
    period_label,
    status_notes,
    table_status,
    thousands_formatter,
    unique_float,
    unique_value,
    units_for,
)
from overdose_trends.plots._docs import figure_doc
from overdose_trends.plots._label_fit import fit_labels
from overdose_trends.stats.funnel import FUNNEL_LABELS, funnel_limits

__all__ = ["plot_funnel", "plot_ranking"]

#: Columns :func:`plot_funnel` needs (output of :func:`overdose_trends.stats.funnel.vs_benchmark`).
_FUNNEL_COLUMNS = ("rate", "funnel_population", "benchmark", "funnel_significance")
#: Columns :func:`plot_ranking` needs (output of :func:`overdose_trends.stats.funnel.rank_areas`).
_RANKING_COLUMNS = ("rank", "rate", "lcl", "ucl")

#: Colour and legend text of each funnel significance label.
_FUNNEL_STYLE = {
    FUNNEL_LABELS[0]: (style.PALETTE["vermillion"], "Above 99.8% limit"),
    FUNNEL_LABELS[1]: (style.PALETTE["orange"], "Above 95% limit"),
    FUNNEL_LABELS[4]: (style.NEUTRAL, "Within 95% limits"),
    FUNNEL_LABELS[3]: (style.PALETTE["sky_blue"], "Below 95% limit"),
    FUNNEL_LABELS[2]: (style.PALETTE["blue"], "Below 99.8% limit"),
}
#: Colour and legend text of each ``compared`` value (ranking).
_COMPARED_STYLE = {
    "higher": (style.PALETTE["vermillion"], "Higher than benchmark"),
    "similar": (style.NEUTRAL, "Similar to benchmark"),
    "lower": (style.PALETTE["blue"], "Lower than benchmark"),
}
_LIMIT_COLOR = "#4D4D4D"
_LEVEL_NAMES = {0.95: "95", 0.998: "998"}
#: Area levels that contain other areas: a row of one of these whose rate is the benchmark is
#: the benchmark area itself (e.g. England, E92000001), drawn as the benchmark line.
_AGGREGATE_LEVELS = ("country", "region")

_SHARED_DEFAULTS = {
    "units": "from ``rate_per`` (:data:`~overdose_trends.plots.style.UNITS_ASR_100K` for 100,000)",
}


def _names(data: pd.DataFrame) -> NDArray[np.object_]:
    if "area_name" in data.columns:
        return np.array([nice_name(v) for v in data["area_name"]], dtype=object)
    if "area_code" in data.columns:
        return data["area_code"].astype(str).to_numpy(dtype=object)
    return np.array([str(i) for i in data.index], dtype=object)


def _match(data: pd.DataFrame, wanted: str | Sequence[str] | None, func: str) -> NDArray[np.bool_]:
    """Boolean mask of the rows whose area_code or area_name is in ``wanted``."""
    mask = np.zeros(len(data), dtype=bool)
    if wanted is None:
        return mask
    items = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
    columns = [c for c in ("area_code", "area_name") if c in data.columns]
    if not columns:
        raise ValueError(f"{func}: highlight needs an area_code or area_name column")
    for item in items:
        hit = np.zeros(len(data), dtype=bool)
        for c in columns:
            hit |= (data[c].astype(str).str.strip() == item.strip()).to_numpy()
        if not hit.any():
            raise ValueError(f"{func}: highlighted area {item!r} is not in the data ({columns})")
        mask |= hit
    return mask


def _period_suffix(data: pd.DataFrame) -> str:
    start, end = unique_value(data, "period_start"), unique_value(data, "period_end")
    if start is None or end is None:
        return ""
    return f", {period_label(start, end)}"


# --- funnel plot --------------------------------------------------------------------------


class _Funnel(NamedTuple):
    """The areas of a funnel plot, one entry per row of the data."""

    bench: float  # the benchmark rate
    per: float  # rates per this many people
    years: float  # years of data per area behind funnel_population
    population: NDArray[np.float64]
    rate: NDArray[np.float64]
    status: NDArray[np.object_]  # point_status of each rate
    significance: NDArray[np.object_]  # funnel_significance
    names: NDArray[np.object_]
    is_bench: NDArray[np.bool_]  # the benchmark area itself: the line, never a point
    ok: NDArray[np.bool_]  # drawn as a point


def _check_funnel(data: pd.DataFrame, func: str) -> float:
    """The single benchmark of a checked funnel table."""
    require_columns(data, _FUNNEL_COLUMNS, func)
    if len(data) == 0:
        raise ValueError(f"{func}: data has no rows")
    bench_values = pd.unique(data["benchmark"].dropna())
    if len(bench_values) != 1:
        raise ValueError(
            f"{func}: data hold {len(bench_values)} benchmark values; a funnel plot compares one "
            "group with one benchmark (filter to one period, measure and sex)"
        )
    return float(bench_values[0])


def _benchmark_rows(data: pd.DataFrame, bench: float) -> NDArray[np.bool_]:
    """Rows that are the benchmark area itself: an aggregate (country, region) at the benchmark.

    ``vs_benchmark(data, "E92000001")`` copies England's rate into ``benchmark``,
    so England's own row has ``rate == benchmark``; its level (from
    ``area_level``, or the GSS code's prefix) tells it from a district that
    happens to have the same rate.
    """
    with np.errstate(invalid="ignore"):
        same = np.isclose(numeric(data, "rate"), bench, rtol=1e-9, atol=0.0)
    level = np.full(len(data), "", dtype=object)
    if "area_code" in data.columns:
        codes = data["area_code"].astype(str).str.strip().str[:3]
        level = codes.map(lambda c: AREA_LEVELS.get(c, "")).to_numpy(dtype=object)
    if "area_level" in data.columns:
        given = data["area_level"].astype("object").to_numpy()
        level = np.where(pd.notna(given), given, level)
    return same & np.isin(level, _AGGREGATE_LEVELS)


def _funnel_years(data: pd.DataFrame, ok: np.ndarray, per: float, years: float | None) -> float:
    """Years per area behind ``funnel_population``: inferred from deaths / rate, or checked."""
    count = deaths_column(data, "deaths")
    if count is None:
        return 1.0 if years is None else float(years)
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = (
            numeric(data, count) * per / numeric(data, "rate") / numeric(data, "funnel_population")
        )
    implied = implied[ok & np.isfinite(implied)]
    if implied.size == 0:
        return 1.0 if years is None else float(years)
    guess = float(np.median(implied))
    if years is None:
        years = float(round(guess)) if abs(guess - round(guess)) < 0.02 * guess else guess
    if not np.allclose(implied, years, rtol=0.02):
        raise ValueError(
            f"plot_funnel: funnel_population matches years={guess:.3g} (deaths / rate / "
            f"population), not years={years:g}; pass the years= given to vs_benchmark"
        )
    return float(years)


def _funnel_areas(data: pd.DataFrame, bench: float, years: float | None, func: str) -> _Funnel:
    """The areas to draw: a point for a rate from 10 or more deaths with a funnel position."""
    per = unique_float(data, "rate_per", PER_100K)
    population = numeric(data, "funnel_population")
    rate = numeric(data, "rate")
    status = table_status(data, required=False)
    is_bench = _benchmark_rows(data, bench)
    # never a point at a rate ONS would not calculate (fewer than 10 deaths)
    ok = np.isfinite(population) & np.isfinite(rate) & np.isin(status, ["ok", "unreliable"])
    ok &= ~is_bench
    if not ok.any():
        raise ValueError(f"{func}: no area has a funnel_population and a rate to plot")
    return _Funnel(
        bench=bench, per=per, years=_funnel_years(data, ok, per, years),
        population=population, rate=rate, status=status,
        significance=data["funnel_significance"].astype("object").to_numpy(),
        names=_names(data), is_bench=is_bench, ok=ok,
    )  # fmt: skip


def _draw_limits(
    ax: Axes, grid: NDArray[np.float64], f: _Funnel, benchmark_name: str | None
) -> None:
    """The 95% (dashed) and 99.8% (solid) control limits over ``grid``, and the benchmark line."""
    limits = funnel_limits(benchmark=f.bench, population=grid, years=f.years, multiplier=f.per)
    for conf in FUNNEL_LEVELS:
        name = _LEVEL_NAMES[conf]
        dashes = (0, (4, 2.5)) if conf == 0.95 else "-"
        for side in ("lower", "upper"):
            ax.plot(
                grid, limits[f"{side}_{name}_limit"], color=_LIMIT_COLOR, lw=1.0,
                ls=dashes, zorder=1, gid=f"limit-{name}-{side}",
                label=f"{conf * 100:g}% limits" if side == "lower" else None,
            )  # fmt: skip
    ax.axhline(
        f.bench, color=style.PALETTE["black"], lw=1.2, zorder=1, gid="benchmark",
        label=f"{benchmark_name or 'Benchmark'} ({f.bench:g})",
    )  # fmt: skip


def _draw_funnel_points(ax: Axes, f: _Funnel, highlighted: NDArray[np.bool_]) -> None:
    """Points coloured by funnel significance, hollow when unreliable, ringed when highlighted."""
    for sig, (color, text) in _FUNNEL_STYLE.items():
        mine = f.ok & (f.significance == sig)
        if mine.any():
            ax.scatter(
                f.population[mine], f.rate[mine], s=28, color=color, edgecolors=color,
                linewidths=0.8, zorder=3, gid=f"points-{sig}", label=text,
            )  # fmt: skip
    weak = f.ok & (f.status == "unreliable")
    if weak.any():
        colors = [_FUNNEL_STYLE.get(s, (style.NEUTRAL, ""))[0] for s in f.significance[weak]]
        ax.scatter(
            f.population[weak], f.rate[weak], s=28, facecolors="white", edgecolors=colors,
            linewidths=1.2, zorder=3.5, gid="unreliable-points",
        )  # fmt: skip
    ring = f.ok & highlighted
    if ring.any():
        ax.scatter(
            f.population[ring], f.rate[ring], s=110, facecolors="none",
            edgecolors=style.PALETTE["black"], linewidths=1.6, zorder=4, gid="highlight",
        )  # fmt: skip


def _funnel_to_label(
    data: pd.DataFrame,
    f: _Funnel,
    label: str | Sequence[str] | None,
    max_labels: int,
    highlighted: NDArray[np.bool_],
    func: str,
) -> tuple[NDArray[np.bool_], int]:
    """Rows labelled besides the highlighted ones, and the outliers left unlabelled."""
    to_label = np.zeros(len(data), dtype=bool)
    unlabelled = 0
    if isinstance(label, str) and label == "outliers":
        outside = f.ok & np.isin(f.significance, [FUNNEL_LABELS[0], FUNNEL_LABELS[2]])
        idx = np.flatnonzero(outside & ~highlighted)
        far = np.abs(np.log(f.rate[idx] / f.bench))
        keep = idx[np.argsort(-far, kind="stable")[: max(0, int(max_labels))]]
        to_label[keep] = True
        unlabelled = idx.size - keep.size
    elif label is not None and not (isinstance(label, str) and label == "none"):
        to_label = _match(data, label, func) & f.ok
    return to_label & ~highlighted, unlabelled


def _funnel_axes(
    ax: Axes, f: _Funnel, grid: NDArray[np.float64], log_x: bool, ylabel: str, annotated: bool
) -> None:
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(thousands_formatter())
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(0, max(float(f.rate[f.ok].max()), f.bench) * 1.12)
    ax.set_xlabel(
        "Population (person-years, derived from deaths / rate)"
        if f.years == 1
        else f"Average annual population over {f.years:g} years (derived from deaths / rate)"
    )
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right", fontsize=8, ncols=2 if annotated else 1)


def _funnel_notes(
    f: _Funnel, highlighted: NDArray[np.bool_], unlabelled: int, no_room: Sequence[str] = ()
) -> list[str]:
    notes = [
        "Funnel: 95% (dashed) and 99.8% (solid) control limits around the benchmark "
        "(exact Poisson)."
    ]
    notes += status_notes(f.status[f.ok])
    left_out = int((~f.ok & ~f.is_bench).sum())
    if left_out:
        notes.append(
            f"{left_out} area(s) with fewer than {PHE_FUNNEL_MIN_EVENTS} deaths or no rate "
            "not plotted."
        )
    for i in np.flatnonzero(highlighted & ~f.ok & ~f.is_bench):
        notes.append(f"{f.names[i]} (highlighted) has no plotted rate.")
    if unlabelled:
        notes.append(f"{unlabelled} further area(s) outside the 99.8% limits not labelled.")
    if no_room:
        shown = ", ".join(no_room[:5]) + (
            f" and {len(no_room) - 5} more" if len(no_room) > 5 else ""
        )
        notes.append(f"Not labelled for lack of room ({len(no_room)}): {shown}.")
    return notes


@figure_doc(
    title="from the measure and the period",
    notes="the limits, small-number markers, areas left out",
    **_SHARED_DEFAULTS,
)
def plot_funnel(
    data: pd.DataFrame,
    *,
    label: str | Sequence[str] | None = "outliers",
    highlight: str | Sequence[str] | None = None,
    years: float | None = None,
    log_x: bool = False,
    max_labels: int = 8,
    benchmark_name: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Funnel plot: rates against population with 95% and 99.8% limits around a benchmark.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`overdose_trends.stats.funnel.vs_benchmark` for one
        comparison (one benchmark): ``rate``, ``funnel_population``,
        ``benchmark``, ``funnel_significance``; ``area_name`` / ``area_code``
        (labels), ``deaths`` and/or ``rate_status`` (hollow markers for
        unreliable rates), ``rate_per`` (default 100,000). The benchmark
        area's own row (e.g. England's, when the benchmark was
        ``"E92000001"``) is drawn as the benchmark line, not as a point.
    label : "outliers", "none", None or sequence of str
        ``"outliers"`` labels the areas outside the 99.8% limits (funnel
        significance ``"High (0.001)"`` / ``"Low (0.001)"``), at most
        ``max_labels`` of them, furthest from the benchmark first; a sequence
        labels those area codes or names.
    highlight : str or sequence of str, optional
        Area code(s) or name(s) drawn larger with a black ring and always labelled.
    years : float, optional
        Years of data per area, as given to ``vs_benchmark`` (3 for ONS
        three-year rates with ``years=3``). Default: inferred from
        ``deaths * rate_per / rate / funnel_population``; an explicit value that
        disagrees with the data raises.
    log_x : bool, default False
        Population on a log scale.
    max_labels : int, default 8
        Most outliers labelled; the rest are counted in a note.
    benchmark_name : str, optional
        Legend text of the benchmark line, e.g. ``"England"``.
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Control limits are lines with ``gid`` ``"limit-95-lower"``,
        ``"limit-95-upper"``, ``"limit-998-lower"``, ``"limit-998-upper"``; the
        benchmark ``"benchmark"``; points are one collection per significance
        (``gid`` ``"points-<label>"``), hollow-marker overlays
        ``"unreliable-points"``, labels ``"label"``, the highlight ring ``"highlight"``.

    Raises
    ------
    ValueError
        For missing columns, no rows, several benchmarks (several comparison
        groups: plot one), no area with a funnel position, a ``highlight``
        not in the data, or ``years`` inconsistent with the data.

    Notes
    -----
    Areas without a ``funnel_population`` (DSRs from fewer than 10 deaths,
    which PHEindicatormethods does not plot) are left out and counted in a
    note. The benchmark area's own row is a row of a country or region (by
    ``area_level``, or its GSS code) whose rate is the benchmark. The limits
    are drawn over a grid of 400 populations spanning the plotted areas; the
    points' colours are the data's ``funnel_significance`` (PHE method: exact
    Poisson below 10 deaths, Byar's from 10), so a point very close to a
    limit may be coloured by the test rather than its side of the exact line.

    References
    ----------
    Spiegelhalter (2005), *Statistics in Medicine* 24:1185-1202; PHE Fingertips
    technical guidance: funnel plots; PHEindicatormethods ``calculate_funnel_limits``.

    Examples
    --------
    English districts in 2016-18 against England, whose row is the benchmark line:

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
    ...     "and period_end == 2018 and (area_level == 'district' or area_code == 'E92000001')")
    >>> compared = ot.vs_benchmark(la, "E92000001", years=3)
    >>> ax = ot.plot_funnel(compared, highlight="Norwich", benchmark_name="England")
    >>> [line.get_label() for line in ax.lines if line.get_gid() == "benchmark"]
    ['England (6.7)']
    >>> sum(len(c.get_offsets()) for c in ax.collections
    ...     if str(c.get_gid()).startswith("points-"))  # districts with 10 or more deaths
    160
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "label"][0]
    'Norwich'
    """
    func = "plot_funnel"
    bench = _check_funnel(data, func)
    f = _funnel_areas(data, bench, years, func)
    highlighted = _match(data, highlight, func)
    units = units or units_for(f.per)
    annotated = annotating(ax, annotate)
    lo_pop, hi_pop = float(f.population[f.ok].min()), float(f.population[f.ok].max())
    grid = np.geomspace(lo_pop * 0.75, hi_pop * 1.1, 400)

    with figure_axes(ax) as ax:
        _draw_limits(ax, grid, f, benchmark_name)
        _draw_funnel_points(ax, f, highlighted)
        to_label, unlabelled = _funnel_to_label(data, f, label, max_labels, highlighted, func)
        _funnel_axes(ax, f, grid, log_x, axis_label(units, full=not annotated), annotated)
        if title is None:
            title = f"{measure_title(data)}: areas against the benchmark{_period_suffix(data)}"
        finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA,
            notes=[*_funnel_notes(f, highlighted, unlabelled), *notes],
        )  # fmt: skip
        # label last, once limits and layout are final, so labels are placed where they end up
        order = np.r_[np.flatnonzero(f.ok & highlighted), np.flatnonzero(to_label)]
        no_room: list[int] = []
        base_notes = list(notes)
        for attempt in range(4):
            dropped = _label_funnel(ax, f, order, highlighted, no_room)
            if not dropped or attempt == 3:
                break
            # say which areas have no label, then label again in the (changed) final layout
            no_room += dropped
            for text in [t for t in ax.texts if t.get_gid() == "label"]:
                text.remove()
            finish(
                ax, annotated=annotated, title=title, units=units,
                source=source or style.SOURCE_ONS_LA,
                notes=[*_funnel_notes(f, highlighted, unlabelled, _names_of(f, no_room)),
                       *base_notes],
            )  # fmt: skip
    return ax


def _names_of(f: _Funnel, rows: Sequence[int]) -> list[str]:
    return [str(f.names[i]) for i in rows]


def _label_funnel(
    ax: Axes,
    f: _Funnel,
    order: NDArray[np.int64],
    highlighted: NDArray[np.bool_],
    without: Sequence[int],
) -> list[int]:
    """Label the areas ``order`` (highlighted first) except ``without``; rows with no room.

    Labels are placed (:func:`~overdose_trends.plots._common.label_points`), then checked
    against their drawn extents: none overlaps another or the legend, or leaves the Axes
    (:func:`~overdose_trends.plots._label_fit.fit_labels`); a label with no free place is
    removed and its row returned.
    """
    order = np.asarray([i for i in order if i not in set(without)], dtype=np.int64)
    layout_now(ax)
    labels = label_points(
        ax, f.population[order], f.rate[order], list(f.names[order]),
        weight=["bold" if h else "normal" for h in highlighted[order]],
        avoid=(f.population[f.ok], f.rate[f.ok]),
    )  # fmt: skip
    return [int(order[i]) for i in fit_labels(ax, labels)]


# --- ranking -------------------------------------------------------------------------------


class _Ranking(NamedTuple):
    """The ranked areas in rank order (ties by name), and the count of unranked ones."""

    df: pd.DataFrame
    names: NDArray[np.object_]
    highlighted: NDArray[np.bool_]
    rate: NDArray[np.float64]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    status: NDArray[np.object_]
    rank_texts: list[str]  # "rank 2 of 160"
    left_out: int  # areas without a rank or a rate that may be drawn


def _check_ranking(data: pd.DataFrame, orientation: str, func: str) -> None:
    require_columns(data, _RANKING_COLUMNS, func)
    if orientation not in ("auto", "vertical", "horizontal"):
        raise ValueError(f"{func}: orientation must be 'auto', 'vertical' or 'horizontal'")
    if "area_code" in data.columns and data["area_code"].duplicated().any():
        code = data.loc[data["area_code"].duplicated(), "area_code"].iloc[0]
        raise ValueError(
            f"{func}: area {code!r} appears more than once; plot one ranking (one period, "
            "measure and sex)"
        )


def _rank_order(data: pd.DataFrame, highlight: str | Sequence[str] | None, func: str) -> _Ranking:
    """The areas with a rank and a rate that may be drawn (10 or more deaths), in rank order."""
    rank = numeric(data, "rank")
    status_all = table_status(data, required=False)
    ranked = (
        np.isfinite(rank)
        & np.isfinite(numeric(data, "rate"))
        & np.isin(status_all, ["ok", "unreliable"])
    )
    if not ranked.any():
        raise ValueError(f"{func}: no area has a rank and a rate")
    highlighted_all = _match(data, highlight, func)
    names_all = _names(data)
    order = np.lexsort((names_all[ranked].astype(str), rank[ranked]))
    df = data.loc[ranked].iloc[order]
    n_ranked = int(unique_value(df, "n_ranked", len(df)))
    return _Ranking(
        df=df, names=names_all[ranked][order], highlighted=highlighted_all[ranked][order],
        rate=numeric(df, "rate"), lo=numeric(df, "lcl"), hi=numeric(df, "ucl"),
        status=status_all[ranked][order],
        rank_texts=[f"rank {int(r)} of {n_ranked}" for r in rank[ranked][order]],
        left_out=int((~ranked).sum()),
    )  # fmt: skip


def _groups(r: _Ranking, benchmark: float | None) -> NDArray[np.object_]:
    """Colour group of each area: ``compared`` when given, else from the intervals."""
    if "compared" in r.df.columns:
        return r.df["compared"].astype("object").fillna("similar").to_numpy()
    if benchmark is not None:
        return np.select(
            [r.lo > benchmark, r.hi < benchmark], ["higher", "lower"], "similar"
        ).astype(object)
    return np.full(len(r.df), "all", dtype=object)


def _draw_caterpillar(
    ax: Axes, r: _Ranking, group: NDArray[np.object_], pos: NDArray[np.float64], horizontal: bool
) -> None:
    """Intervals, points by group, hollow unreliable points and the highlighted areas."""

    def xy(p: Any, v: Any) -> tuple[Any, Any]:
        return (v, p) if horizontal else (p, v)

    n = len(pos)
    palette = {**_COMPARED_STYLE, "all": (style.PALETTE["blue"], "Area")}
    colors = np.array([palette.get(g, palette["all"])[0] for g in group], dtype=object)
    colors[r.highlighted] = style.PALETTE["black"]
    has_ci = np.isfinite(r.lo) & np.isfinite(r.hi)
    segments = [
        [xy(p, a), xy(p, b)]
        for p, a, b in zip(pos[has_ci], r.lo[has_ci], r.hi[has_ci], strict=True)
    ]
    ax.add_collection(
        LineCollection(
            segments, colors=list(colors[has_ci]), linewidths=1.4 if n <= 60 else 1.0,
            alpha=0.8, zorder=2, gid="ci",
        )
    )  # fmt: skip
    size = 26 if n <= 60 else 14
    for key, (color, text) in palette.items():
        mine = (group == key) & ~r.highlighted
        if mine.any():
            ax.scatter(
                *xy(pos[mine], r.rate[mine]), s=size, color=color, zorder=3,
                gid=f"points-{key}", label=text if key != "all" else None,
            )  # fmt: skip
    weak = (r.status == "unreliable") & ~r.highlighted
    if weak.any():
        ax.scatter(
            *xy(pos[weak], r.rate[weak]), s=size, facecolors="white",
            edgecolors=list(colors[weak]), linewidths=1.1, zorder=3.5, gid="unreliable-points",
        )  # fmt: skip
    if r.highlighted.any():
        hollow = r.status[r.highlighted] == "unreliable"
        ax.scatter(
            *xy(pos[r.highlighted], r.rate[r.highlighted]), s=size * 2.2,
            facecolors=np.where(hollow, "white", style.PALETTE["black"]).tolist(),
            edgecolors=style.PALETTE["black"], linewidths=1.4, zorder=4, gid="highlight",
        )  # fmt: skip


def _ranking_axes(
    ax: Axes, r: _Ranking, pos: NDArray[np.float64], horizontal: bool, rate_label: str
) -> None:
    """Named rows (horizontal) or ranks along x (vertical); the rate axis from 0."""
    n = len(pos)
    top = float(np.nanmax(np.where(np.isfinite(r.lo) & np.isfinite(r.hi), r.hi, r.rate))) * 1.05
    if horizontal:
        shown = [
            f"{t} ({rt})" if h else t
            for t, rt, h in zip(r.names, r.rank_texts, r.highlighted, strict=True)
        ]
        ax.set_yticks(pos, shown)
        for tick, h in zip(ax.get_yticklabels(), r.highlighted, strict=True):
            if h:
                tick.set_fontweight("bold")
        ax.set_ylim(n + 0.7, 0.3)
        ax.set_xlim(0, top)
        ax.xaxis.grid(True)
        ax.yaxis.grid(False)
        ax.tick_params(axis="y", length=0, labelsize=8 if n > 20 else 9)
        ax.set_xlabel(rate_label)
    else:
        ax.set_xlim(0, n + 1)
        ax.set_ylim(0, top)
        ax.set_xlabel("Areas ranked by rate (1 = highest)")
        ax.set_ylabel(rate_label)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right" if horizontal else "upper right", fontsize=8)


def _ranking_notes(r: _Ranking) -> list[str]:
    notes = [interval_note(0.95, "Lines")]
    if "conf" in r.df.columns:
        notes = [interval_note(unique_float(r.df, "conf", 0.95), "Lines")]
    notes += status_notes(r.status)
    if r.left_out:
        notes.append(f"{r.left_out} area(s) without a rate (not calculated) not ranked.")
    notes.append("Ranks are uncertain: areas whose intervals overlap may differ only by chance.")
    return notes


def _label_highlighted(ax: Axes, r: _Ranking, pos: NDArray[np.float64]) -> None:
    """Label each highlighted area with its rank, rate and interval (vertical charts)."""
    layout_now(ax)
    texts = [
        f"{r.names[i]}: {r.rank_texts[i]}\n{r.rate[i]:.1f} ({r.lo[i]:.1f}-{r.hi[i]:.1f})"
        for i in np.flatnonzero(r.highlighted)
    ]
    label_points(
        ax, pos[r.highlighted], r.rate[r.highlighted], texts, fontsize=8.5, weight="bold",
        avoid=(pos, r.rate),
    )  # fmt: skip


@figure_doc(
    ax="a new figure in the house style (taller for many areas, when horizontal)",
    title="from the measure and the period",
    notes="interval level, small-number markers, areas not ranked",
    **_SHARED_DEFAULTS,
)
def plot_ranking(
    data: pd.DataFrame,
    *,
    highlight: str | Sequence[str] | None = None,
    benchmark: float | None = None,
    benchmark_name: str | None = None,
    orientation: str = "auto",
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Caterpillar chart: areas in rank order with confidence intervals and the benchmark.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`overdose_trends.stats.funnel.rank_areas` for one ranking:
        ``rank``, ``rate``, ``lcl``, ``ucl``; ``area_name`` / ``area_code``
        (labels), ``deaths`` and/or ``rate_status`` (hollow markers), optional
        ``compared`` and ``benchmark`` (from
        :func:`overdose_trends.stats.funnel.vs_benchmark`), ``n_ranked``, ``rate_per``.
    highlight : str or sequence of str, optional
        Area code(s) or name(s) drawn in black and labelled with rank, rate and interval.
    benchmark : float, optional
        Benchmark rate drawn as a line; default the data's single
        ``benchmark`` value if there is one (else no line).
    benchmark_name : str, optional
        Legend text of the benchmark line, e.g. ``"England"``.
    orientation : {"auto", "vertical", "horizontal"}, default "auto"
        ``"vertical"``: areas along x (rank 1 at the left), rates on y, no area
        names except the highlighted ones; ``"horizontal"``: one named row per
        area, rates on x. ``"auto"`` is horizontal for up to 40 areas.
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Intervals are a LineCollection with ``gid`` ``"ci"``, points one
        collection per colour group (``gid`` ``"points-<higher|similar|lower|all>"``),
        the benchmark ``"benchmark"``, the highlighted points ``"highlight"`` and
        their labels ``"label"``.

    Raises
    ------
    ValueError
        For missing columns, no ranked area, areas repeated (several
        rankings: plot one), a ``highlight`` not in the data, or a bad ``orientation``.

    Notes
    -----
    Colours follow ``compared`` when present; without it, but with a benchmark,
    an area is "higher" when its lower limit is above the benchmark and "lower"
    when its upper limit is below (the Fingertips confidence-interval method of
    :func:`overdose_trends.stats.funnel.vs_benchmark`). Areas without a rank (rate not
    calculated) are left out and counted in a note.

    References
    ----------
    Marshall & Spiegelhalter (1998), *BMJ* 316:1701-1704; PHE/OHID Fingertips
    ("compared with benchmark", confidence-interval method).

    Examples
    --------
    English districts in 2016-18 ranked by rate, Norwich highlighted:

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
    ...     "and period_end == 2018 and area_level == 'district'")
    >>> ranked = ot.rank_areas(ot.vs_benchmark(la, 6.7, years=3))
    >>> ax = ot.plot_ranking(ranked, highlight="Norwich", benchmark_name="England")
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "label"]
    ['Norwich: rank 1 of 160\\n21.0 (16.6-26.3)']
    >>> sorted(str(c.get_gid()) for c in ax.collections)
    ['ci', 'highlight', 'points-higher', 'points-lower', 'points-similar', 'unreliable-points']
    """
    func = "plot_ranking"
    _check_ranking(data, orientation, func)
    r = _rank_order(data, highlight, func)
    if benchmark is None:
        b = unique_value(r.df, "benchmark")
        benchmark = None if b is None else float(b)
    n = len(r.df)
    horizontal = orientation == "horizontal" or (orientation == "auto" and n <= 40)
    units = units or units_for(unique_float(r.df, "rate_per", PER_100K))
    annotated = annotating(ax, annotate)
    figsize = (style.FIGSIZE[0], max(style.FIGSIZE[1], 2.2 + 0.22 * n)) if horizontal else None
    pos = np.arange(1, n + 1, dtype=np.float64)

    with figure_axes(ax, figsize=figsize) as ax:
        _draw_caterpillar(ax, r, _groups(r, benchmark), pos, horizontal)
        if benchmark is not None:
            line = ax.axvline if horizontal else ax.axhline
            line(
                benchmark, color=style.PALETTE["black"], lw=1.1, ls=(0, (4, 2.5)), zorder=1,
                gid="benchmark", label=f"{benchmark_name or 'Benchmark'} ({benchmark:g})",
            )  # fmt: skip
        _ranking_axes(ax, r, pos, horizontal, axis_label(units, full=not annotated))
        if title is None:
            title = f"{measure_title(r.df)}: areas ranked by rate{_period_suffix(r.df)}"
        finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*_ranking_notes(r), *notes],
        )  # fmt: skip
        if r.highlighted.any() and not horizontal:
            _label_highlighted(ax, r, pos)
    return ax
