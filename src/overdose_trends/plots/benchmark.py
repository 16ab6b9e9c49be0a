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

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import NullFormatter

from overdose_trends._frames import numeric, require_columns
from overdose_trends.constants import FUNNEL_LEVELS, PER_100K, PHE_FUNNEL_MIN_EVENTS
from overdose_trends.plots import style
from overdose_trends.plots.rates import (
    axis_label,
    deaths_column,
    measure_title,
    table_status,
    unique_value,
)
from overdose_trends.stats.funnel import FUNNEL_LABELS, funnel_limits

__all__ = ["plot_funnel", "plot_ranking"]

#: Columns :func:`plot_funnel` needs (output of :func:`overdose_trends.stats.funnel.vs_benchmark`).
FUNNEL_COLUMNS = ("rate", "funnel_population", "benchmark", "funnel_significance")
#: Columns :func:`plot_ranking` needs (output of :func:`overdose_trends.stats.funnel.rank_areas`).
RANKING_COLUMNS = ("rank", "rate", "lcl", "ucl")

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


def _names(data: pd.DataFrame) -> np.ndarray:
    if "area_name" in data.columns:
        return np.array([style.nice_name(v) for v in data["area_name"]], dtype=object)
    if "area_code" in data.columns:
        return data["area_code"].astype(str).to_numpy(dtype=object)
    return np.array([str(i) for i in data.index], dtype=object)


def _match(data: pd.DataFrame, wanted: str | Sequence[str] | None, func: str) -> np.ndarray:
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
    return f", {style.period_label(start, end)}"


# --- funnel plot --------------------------------------------------------------------------


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


def plot_funnel(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    label: str | Sequence[str] | None = "outliers",
    highlight: str | Sequence[str] | None = None,
    years: float | None = None,
    log_x: bool = False,
    max_labels: int = 8,
    benchmark_name: str | None = None,
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
        unreliable rates), ``rate_per`` (default 100,000).
    ax : Axes, optional
        Draw into this Axes; otherwise a new figure in the house style.
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
    title, units, source, notes, annotate :
        As in :func:`overdose_trends.plots.rates.plot_rate_trend`.

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
    note. The limits are drawn over a grid of 400 populations spanning the
    plotted areas; the points' colours are the data's ``funnel_significance``
    (PHE method: exact Poisson below 10 deaths, Byar's from 10), so a point
    very close to a limit may be coloured by the test rather than its side of
    the exact line.

    References
    ----------
    Spiegelhalter (2005), *Statistics in Medicine* 24:1185-1202; PHE Fingertips
    technical guidance: funnel plots; PHEindicatormethods ``calculate_funnel_limits``.
    """
    func = "plot_funnel"
    require_columns(data, FUNNEL_COLUMNS, func)
    if len(data) == 0:
        raise ValueError(f"{func}: data has no rows")
    bench_values = pd.unique(data["benchmark"].dropna())
    if len(bench_values) != 1:
        raise ValueError(
            f"{func}: data hold {len(bench_values)} benchmark values; a funnel plot compares one "
            "group with one benchmark (filter to one period, measure and sex)"
        )
    bench = float(bench_values[0])
    per = float(unique_value(data, "rate_per", PER_100K))
    population = numeric(data, "funnel_population")
    rate = numeric(data, "rate")
    status = table_status(data, required=False)
    # never a point at a rate ONS would not calculate (fewer than 10 deaths)
    ok = np.isfinite(population) & np.isfinite(rate) & np.isin(status, ["ok", "unreliable"])
    if not ok.any():
        raise ValueError(f"{func}: no area has a funnel_population and a rate to plot")
    years = _funnel_years(data, ok, per, years)
    names = _names(data)
    significance = data["funnel_significance"].astype("object").to_numpy()
    highlighted = _match(data, highlight, func)
    units = units or style.units_for(per)
    annotated = style.annotating(ax, annotate)

    lo_pop, hi_pop = float(population[ok].min()), float(population[ok].max())
    grid = np.geomspace(lo_pop * 0.75, hi_pop * 1.1, 400)
    limits = funnel_limits(benchmark=bench, population=grid, years=years, multiplier=per)

    with style.figure_axes(ax) as ax:
        for conf in FUNNEL_LEVELS:
            name = _LEVEL_NAMES[conf]
            dashes = (0, (4, 2.5)) if conf == 0.95 else "-"
            for side in ("lower", "upper"):
                ax.plot(
                    grid, limits[f"{side}_{name}_limit"], color=_LIMIT_COLOR, lw=1.0,
                    ls=dashes, zorder=1, gid=f"limit-{name}-{side}",
                    label=f"{conf * 100:g}% limits" if side == "lower" else None,
                )  # fmt: skip
        bench_label = f"{benchmark_name or 'Benchmark'} ({bench:g})"
        ax.axhline(
            bench, color=style.PALETTE["black"], lw=1.2, zorder=1, gid="benchmark",
            label=bench_label,
        )  # fmt: skip
        for sig, (color, text) in _FUNNEL_STYLE.items():
            mine = ok & (significance == sig)
            if mine.any():
                ax.scatter(
                    population[mine], rate[mine], s=28, color=color, edgecolors=color,
                    linewidths=0.8, zorder=3, gid=f"points-{sig}", label=text,
                )  # fmt: skip
        weak = ok & (status == "unreliable")
        if weak.any():
            colors = [_FUNNEL_STYLE.get(s, (style.NEUTRAL, ""))[0] for s in significance[weak]]
            ax.scatter(
                population[weak], rate[weak], s=28, facecolors="white", edgecolors=colors,
                linewidths=1.2, zorder=3.5, gid="unreliable-points",
            )  # fmt: skip
        ring = ok & highlighted
        if ring.any():
            ax.scatter(
                population[ring], rate[ring], s=110, facecolors="none",
                edgecolors=style.PALETTE["black"], linewidths=1.6, zorder=4, gid="highlight",
            )  # fmt: skip

        outside = ok & np.isin(significance, [FUNNEL_LABELS[0], FUNNEL_LABELS[2]])
        to_label = np.zeros(len(data), dtype=bool)
        unlabelled = 0
        if isinstance(label, str) and label == "outliers":
            idx = np.flatnonzero(outside & ~highlighted)
            far = np.abs(np.log(rate[idx] / bench))
            keep = idx[np.argsort(-far, kind="stable")[: max(0, int(max_labels))]]
            to_label[keep] = True
            unlabelled = idx.size - keep.size
        elif label is not None and not (isinstance(label, str) and label == "none"):
            to_label = _match(data, label, func) & ok
        to_label &= ~highlighted
        if log_x:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_major_formatter(style.thousands_formatter())
        ax.set_xlim(grid[0], grid[-1])
        top = max(float(rate[ok].max()), bench) * 1.12
        ax.set_ylim(0, top)
        ax.set_xlabel(
            "Population (person-years, derived from deaths / rate)"
            if years == 1
            else f"Average annual population over {years:g} years (derived from deaths / rate)"
        )
        ax.set_ylabel(axis_label(units, full=not annotated))
        ax.legend(loc="upper right", fontsize=8, ncols=2 if annotated else 1)

        auto_notes = [
            "Funnel: 95% (dashed) and 99.8% (solid) control limits around the benchmark "
            "(exact Poisson)."
        ]
        auto_notes += style.status_notes(status[ok])
        left_out = int((~ok).sum())
        if left_out:
            auto_notes.append(
                f"{left_out} area(s) with fewer than {PHE_FUNNEL_MIN_EVENTS} deaths or no rate "
                "not plotted."
            )
        for i in np.flatnonzero(highlighted & ~ok):
            auto_notes.append(f"{names[i]} (highlighted) has no plotted rate.")
        if unlabelled:
            auto_notes.append(
                f"{unlabelled} further area(s) outside the 99.8% limits not labelled."
            )
        if title is None:
            title = f"{measure_title(data)}: areas against the benchmark{_period_suffix(data)}"
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*auto_notes, *notes],
        )  # fmt: skip
        # label last, once limits and layout are final, so labels are placed where they end up
        ax.figure.draw_without_rendering()
        order = np.r_[np.flatnonzero(ring), np.flatnonzero(to_label)]
        style.label_points(
            ax, population[order], rate[order], list(names[order]),
            weight=["bold" if h else "normal" for h in highlighted[order]],
            avoid=(population[ok], rate[ok]),
        )  # fmt: skip

    return ax


# --- ranking -------------------------------------------------------------------------------


def plot_ranking(
    data: pd.DataFrame,
    *,
    highlight: str | Sequence[str] | None = None,
    benchmark: float | None = None,
    benchmark_name: str | None = None,
    ax: Axes | None = None,
    orientation: str = "auto",
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
        Benchmark rate drawn as a horizontal line; default the data's single
        ``benchmark`` value if there is one (else no line).
    benchmark_name : str, optional
        Label of the benchmark line, e.g. ``"England"``.
    ax : Axes, optional
    orientation : {"auto", "vertical", "horizontal"}, default "auto"
        ``"vertical"``: areas along x (rank 1 at the left), rates on y, no area
        names except the highlighted ones; ``"horizontal"``: one named row per
        area, rates on x. ``"auto"`` is horizontal for up to 40 areas.
    title, units, source, notes, annotate :
        As in :func:`overdose_trends.plots.rates.plot_rate_trend`.

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
    """
    func = "plot_ranking"
    require_columns(data, RANKING_COLUMNS, func)
    if orientation not in ("auto", "vertical", "horizontal"):
        raise ValueError(f"{func}: orientation must be 'auto', 'vertical' or 'horizontal'")
    if "area_code" in data.columns and data["area_code"].duplicated().any():
        code = data.loc[data["area_code"].duplicated(), "area_code"].iloc[0]
        raise ValueError(
            f"{func}: area {code!r} appears more than once; plot one ranking (one period, "
            "measure and sex)"
        )
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
    df = data.loc[ranked]
    order = np.lexsort((names_all[ranked].astype(str), rank[ranked]))
    df = df.iloc[order]
    names = names_all[ranked][order]
    highlighted = highlighted_all[ranked][order]
    rate, lo, hi = numeric(df, "rate"), numeric(df, "lcl"), numeric(df, "ucl")
    n = len(df)
    status = status_all[ranked][order]
    if benchmark is None:
        b = unique_value(df, "benchmark")
        benchmark = None if b is None else float(b)
    if "compared" in df.columns:
        group = df["compared"].astype("object").fillna("similar").to_numpy()
    elif benchmark is not None:
        group = np.select([lo > benchmark, hi < benchmark], ["higher", "lower"], "similar")
    else:
        group = np.full(n, "all", dtype=object)
    horizontal = orientation == "horizontal" or (orientation == "auto" and n <= 40)
    per = float(unique_value(df, "rate_per", PER_100K))
    units = units or style.units_for(per)
    annotated = style.annotating(ax, annotate)
    figsize = (style.FIGSIZE[0], max(style.FIGSIZE[1], 2.2 + 0.22 * n)) if horizontal else None
    pos = np.arange(1, n + 1, dtype=np.float64)
    n_ranked = int(unique_value(df, "n_ranked", n))
    rank_texts = [f"rank {int(r)} of {n_ranked}" for r in rank[ranked][order]]

    def xy(p, v):
        return (v, p) if horizontal else (p, v)

    with style.figure_axes(ax, figsize=figsize) as ax:
        palette = {**_COMPARED_STYLE, "all": (style.PALETTE["blue"], "Area")}
        colors = np.array([palette.get(g, palette["all"])[0] for g in group], dtype=object)
        colors[highlighted] = style.PALETTE["black"]
        has_ci = np.isfinite(lo) & np.isfinite(hi)
        segments = [
            [xy(p, a), xy(p, b)]
            for p, a, b in zip(pos[has_ci], lo[has_ci], hi[has_ci], strict=True)
        ]
        ax.add_collection(
            LineCollection(
                segments, colors=list(colors[has_ci]), linewidths=1.4 if n <= 60 else 1.0,
                alpha=0.8, zorder=2, gid="ci",
            )
        )  # fmt: skip
        size = 26 if n <= 60 else 14
        for key, (color, text) in palette.items():
            mine = (group == key) & ~highlighted
            if mine.any():
                ax.scatter(
                    *xy(pos[mine], rate[mine]), s=size, color=color, zorder=3,
                    gid=f"points-{key}", label=text if key != "all" else None,
                )  # fmt: skip
        weak = (status == "unreliable") & ~highlighted
        if weak.any():
            ax.scatter(
                *xy(pos[weak], rate[weak]), s=size, facecolors="white",
                edgecolors=list(colors[weak]), linewidths=1.1, zorder=3.5, gid="unreliable-points",
            )  # fmt: skip
        if highlighted.any():
            hollow = status[highlighted] == "unreliable"
            ax.scatter(
                *xy(pos[highlighted], rate[highlighted]), s=size * 2.2,
                facecolors=np.where(hollow, "white", style.PALETTE["black"]).tolist(),
                edgecolors=style.PALETTE["black"], linewidths=1.4, zorder=4, gid="highlight",
            )  # fmt: skip
        if benchmark is not None:
            line = ax.axvline if horizontal else ax.axhline
            name = benchmark_name or "Benchmark"
            line(
                benchmark, color=style.PALETTE["black"], lw=1.1, ls=(0, (4, 2.5)), zorder=1,
                gid="benchmark", label=f"{name} ({benchmark:g})",
            )  # fmt: skip
        top = float(np.nanmax(np.where(has_ci, hi, rate))) * 1.05
        rate_label = axis_label(units, full=not annotated)
        if horizontal:
            shown = [
                f"{t} ({r})" if h else t
                for t, r, h in zip(names, rank_texts, highlighted, strict=True)
            ]
            ax.set_yticks(pos, shown)
            for tick, h in zip(ax.get_yticklabels(), highlighted, strict=True):
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
        auto_notes = [style.interval_note(0.95, "Lines")]
        if "conf" in df.columns:
            auto_notes = [style.interval_note(float(unique_value(df, "conf", 0.95)), "Lines")]
        auto_notes += style.status_notes(status)
        left_out = int((~ranked).sum())
        if left_out:
            auto_notes.append(f"{left_out} area(s) without a rate (not calculated) not ranked.")
        auto_notes.append(
            "Ranks are uncertain: areas whose intervals overlap may differ only by chance."
        )
        if title is None:
            title = f"{measure_title(df)}: areas ranked by rate{_period_suffix(df)}"
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*auto_notes, *notes],
        )  # fmt: skip
        if highlighted.any() and not horizontal:
            ax.figure.draw_without_rendering()
            texts = [
                f"{names[i]}: {rank_texts[i]}\n{rate[i]:.1f} ({lo[i]:.1f}-{hi[i]:.1f})"
                for i in np.flatnonzero(highlighted)
            ]
            style.label_points(
                ax, pos[highlighted], rate[highlighted], texts, fontsize=8.5, weight="bold",
                avoid=(pos, rate),
            )  # fmt: skip
    return ax
