"""Figures of inequality and of Fingertips-style comparisons.

:func:`plot_inequality`
    Values by deprivation quantile with their intervals, at each quantile's
    relative rank, and the fitted line of the slope index of inequality with
    its SII and interval (:func:`overdose_trends.stats.inequality.sii`).
:func:`plot_spine`
    A Fingertips spine chart: one area across several indicators, each bar the
    range of all areas (worst to best, the middle half darker), the benchmark
    in the centre and the area's value coloured by its comparison category.
:func:`plot_isr`
    Indirectly standardised ratios (or rates) of areas with their intervals
    and the reference line (:func:`overdose_trends.stats.standardise.isr`).

References
----------
Low A, Low A (2004). Measuring the gap: quantifying and comparing local health
inequalities. *Journal of Public Health* 26(4):388-395.

OHID. Fingertips *Spine chart* and *Inequalities* displays; PHEindicatormethods
``calculate_sii``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from numpy.typing import NDArray

from overdose_trends._frames import numeric, require_columns
from overdose_trends.plots import style
from overdose_trends.plots._common import (
    annotating,
    axis_label,
    figure_axes,
    finish,
    interval_note,
    legend,
)
from overdose_trends.plots._docs import figure_doc
from overdose_trends.stats.inequality import sii as fit_sii

__all__ = ["CATEGORY_COLORS", "plot_inequality", "plot_isr", "plot_spine"]

#: Colours of Fingertips' comparison categories (Okabe-Ito where they have a meaning).
CATEGORY_COLORS = {
    "Better": style.PALETTE["bluish_green"],
    "Similar": style.PALETTE["yellow"],
    "Worse": style.PALETTE["vermillion"],
    "Lower": style.PALETTE["sky_blue"],
    "Higher": style.PALETTE["blue"],
    "Not compared": "#FFFFFF",
}
_BAR_RANGE = "#D9D9D9"
_BAR_MIDDLE = "#8C8C8C"


# --- inequality ------------------------------------------------------------------------


def _line(row: pd.Series, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fitted values of an :func:`sii` row at relative ranks ``x`` (value units)."""
    y0 = float(row["intercept"])
    mult = float(row.get("multiplier", 1.0))
    y1 = y0 + float(row["sii"]) / mult
    if not bool(row.get("transform", False)):
        return y0 + (y1 - y0) * x
    if row.get("value_type") == "proportion":
        lo, hi = np.log(y0 / (1 - y0)), np.log(y1 / (1 - y1))
        return 1.0 / (1.0 + np.exp(-(lo + (hi - lo) * x)))
    return y0 * (y1 / y0) ** x


@figure_doc(
    title="from the SII",
    units="none",
    source=":data:`~overdose_trends.plots.style.SOURCE_ONS_NATIONAL`",
)
def plot_inequality(
    data: pd.DataFrame,
    fit: pd.DataFrame | None = None,
    *,
    quantile: str = "quantile",
    population: str = "population",
    value: str = "rate",
    lcl: str = "lcl",
    ucl: str = "ucl",
    value_type: str = "rate",
    transform: bool = True,
    multiplier: float = 1.0,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Values by deprivation quantile with the fitted SII line and the SII's interval.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per quantile of ONE group: quantile (1 = most deprived),
        population, value and its 95% limits, as given to
        :func:`overdose_trends.stats.inequality.sii`.
    fit : pandas.DataFrame, optional
        The :func:`~overdose_trends.stats.inequality.sii` result for this group
        (one row; its first row is used). Default: computed here with the
        arguments below (10,000 repetitions, seed 1).
    quantile : str, default "quantile"
        Column of the quantile number, 1 = most deprived.
    population : str, default "population"
        Column of the quantile's population (only the shares matter).
    value : str, default "rate"
        Column of the value per quantile (e.g. age-standardised rate per million).
    lcl : str, default "lcl"
        Column of the value's lower 95% confidence limit.
    ucl : str, default "ucl"
        Column of the value's upper 95% confidence limit.
    value_type : {"rate", "proportion", "normal"}, default "rate"
        Scale on which the SII's limits are simulated (log for rates, logit for
        proportions, as they are for "normal" values); used only when ``fit``
        is None, like the next two.
    transform : bool, default True
        Fit the line on the log (rate) or logit (proportion) scale: a
        log-linear gradient, which suits death rates that fall several-fold
        across quintiles (:func:`~overdose_trends.stats.inequality.sii`'s own
        default is False).
    multiplier : float, default 1.0
        Factor applied to the SII (100 for percentages; -1 to show a gradient
        that falls with deprivation as positive).
    labels : sequence of str, optional
        Tick labels of the quantiles, default "1 (most deprived)", "2", ...,
        "n (least deprived)".
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Points (``gid`` ``"points"``) at each quantile's relative rank with
        intervals (``"ci"``), the fitted line (``"sii-line"``) and a legend
        stating the SII and its limits.

    Raises
    ------
    ValueError
        For missing columns or the errors of
        :func:`~overdose_trends.stats.inequality.sii`.

    Notes
    -----
    The x axis is the relative rank (cumulative population share, 0 at the
    most deprived end): each point sits at the middle of its quantile's share,
    where the regression puts it. The SII is the difference between the line's ends.

    References
    ----------
    Low & Low (2004); OHID Fingertips *Inequalities* display.

    Examples
    --------
    Drug-poisoning deaths by IMD quintile, males, England, 2021 (ONS Table 8):

    >>> imd = pd.DataFrame({
    ...     "quantile": [1, 2, 3, 4, 5], "population": 1.0,
    ...     "rate": [252.9, 135.0, 84.8, 59.1, 36.8],
    ...     "lcl": [239.2, 125.3, 77.1, 52.6, 31.4],
    ...     "ucl": [266.7, 144.8, 92.5, 65.7, 42.2]})
    >>> ax = ot.plot_inequality(imd, units="Deaths per million, age-standardised")
    >>> ax.get_legend().get_texts()[1].get_text()
    'SII -265.5 (95% CI -294.1 to -239.3)'
    """
    require_columns(data, [quantile, population, value, lcl, ucl], "plot_inequality")
    if fit is None:
        fit = fit_sii(
            data, quantile=quantile, population=population, value=value, lcl=lcl, ucl=ucl,
            value_type=value_type, transform=transform, multiplier=multiplier,  # type: ignore[arg-type]
            repetitions=10_000, seed=1,
        )  # fmt: skip
    row = fit.iloc[0]
    df = data.sort_values(quantile)
    pop = numeric(df, population)
    share = pop / pop.sum()
    x = np.cumsum(share) - share / 2
    y, lo, hi = numeric(df, value), numeric(df, lcl), numeric(df, ucl)
    n = len(df)
    if labels is None:
        labels = [
            f"{int(q)}" + (" (most deprived)" if i == 0 else " (least deprived)" if i == n - 1
                           else "")
            for i, q in enumerate(numeric(df, quantile))
        ]  # fmt: skip
    annotated = annotating(ax, annotate)
    conf = float(row.get("conf", 0.95))
    with figure_axes(ax) as ax:
        segs = np.stack([np.c_[x, lo], np.c_[x, hi]], axis=1)
        ax.add_collection(LineCollection(list(segs), colors=style.NEUTRAL, linewidths=2, gid="ci"))
        ax.scatter(
            x,
            y,
            color=style.PALETTE["blue"],
            zorder=3,
            gid="points",
            label="Value by quantile (95% CI)",
        )
        grid = np.linspace(0, 1, 101)
        ax.plot(grid, _line(row, grid), color=style.PALETTE["vermillion"], lw=1.6, gid="sii-line",
                label=(f"SII {row['sii']:.1f} ({conf:.0%} CI {row['sii_lcl']:.1f} to "
                       f"{row['sii_ucl']:.1f})"))  # fmt: skip
        ax.set_xlim(0, 1)
        ax.set_xticks(x, labels)
        ax.tick_params(axis="x", labelrotation=0, labelsize=8)
        ax.set_xlabel("Deprivation quantile, at its relative rank (0 = most deprived)")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(axis_label(units or "", full=not annotated) if units else "")
        legend(ax, annotated, ncols=1)
        if title is None:
            title = "Slope index of inequality by deprivation"
        rii = (
            ""
            if "rii" not in row or pd.isna(row["rii"])
            else (f"; RII {row['rii']:.2f} ({row['rii_lcl']:.2f} to {row['rii_ucl']:.2f})")
        )
        finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_NATIONAL,
            notes=[interval_note(0.95, "Vertical lines"),
                   f"Line: fitted SII gradient{rii}.", *notes],
        )  # fmt: skip
    return ax


# --- spine chart -----------------------------------------------------------------------


@figure_doc(title="from the area's name", units="none")
def plot_spine(
    data: pd.DataFrame,
    area: str,
    *,
    indicator: str = "indicator",
    value: str = "rate",
    benchmark: str = "benchmark",
    category: str | None = "category",
    polarity: str | None = "polarity",
    area_column: str = "area_code",
    benchmark_name: str = "England",
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Spine chart: one area across indicators against the range of all areas.

    Parameters
    ----------
    data : pandas.DataFrame
        All areas' values of every indicator (long: one row per indicator and
        area), e.g. :func:`~overdose_trends.stats.funnel.vs_benchmark` outputs
        (with ``polarity=``) stacked with an ``indicator`` column.
    area : str
        The area to mark (a value of ``area_column``).
    indicator : str, default "indicator"
        Column of the indicator names (one bar each, in order of appearance).
    value : str, default "rate"
        Column of each area's value of the indicator.
    benchmark : str, default "benchmark"
        Column of the benchmark value (one value per indicator).
    category : str or None, default "category"
        Column of Fingertips comparison categories colouring the area's marker;
        None or absent: all markers white.
    polarity : str or None, default "polarity"
        Column ("low_is_good", "high_is_good", "no_judgement") orienting each
        bar with the worst value on the left; absent or None: "low_is_good".
    area_column : str, default "area_code"
        Column identifying the areas.
    benchmark_name : str, default "England"
        Name of the benchmark in the labels.
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Bars (``gid`` ``"range"`` and ``"middle"``), the benchmark line
        (``"benchmark"``) and the area's markers (``"area"``); the indicator
        names, the area's value and the benchmark are the y tick labels.

    Raises
    ------
    ValueError
        For missing columns, an area not in the data, or an indicator without a
        single benchmark value.

    Notes
    -----
    Like Fingertips' spine charts, each bar is scaled so that the benchmark
    is in the centre and the area furthest from it reaches the end of its
    side: bars show position among areas, not magnitude, and cannot be
    compared in length.

    References
    ----------
    OHID Fingertips *Spine chart* display (e.g. Local Authority Health Profiles).

    Examples
    --------
    Norfolk's districts, two measures of 2016-18 drug deaths, Norwich marked:

    >>> la = ot.datasets.la_deaths().query(
    ...     "sex == 'persons' and period_start == 2016 and period_end == 2018 "
    ...     "and (area_code == 'E92000001' or area_code.str.match('E0700014[3-9]'))")
    >>> both = pd.concat([
    ...     ot.vs_benchmark(la[la.measure == m], "E92000001", polarity="low_is_good")
    ...     .query("area_code != 'E92000001'").assign(indicator=m)
    ...     for m in ("poisoning", "misuse")])
    >>> ax = ot.plot_spine(both, "E07000148")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['poisoning   21.0 (England 6.7)', 'misuse   13.6 (England 4.5)']
    >>> [c.get_facecolor()[0].round(2).tolist() for c in ax.collections if c.get_gid() == 'area']
    [[0.84, 0.37, 0.0, 1.0], [0.84, 0.37, 0.0, 1.0]]
    """
    require_columns(data, [indicator, value, benchmark, area_column], "plot_spine")
    if not (data[area_column] == area).any():
        raise ValueError(f"plot_spine: area {area!r} is not in column {area_column!r}")
    names = list(pd.unique(data[indicator]))
    annotated = annotating(ax, annotate)
    figsize = (style.FIGSIZE[0], max(2.5, 1.6 + 0.5 * len(names)))
    rows = []
    for name in names:
        part = data[data[indicator] == name]
        rows.append(
            _spine_row(
                part, name, area, value, benchmark, category, polarity, area_column, benchmark_name
            )
        )
    with figure_axes(ax, figsize=figsize) as ax:
        ys = np.arange(len(rows))[::-1].astype(float)
        for y, r in zip(ys, rows, strict=True):
            ax.barh(
                y,
                r.range[1] - r.range[0],
                left=r.range[0],
                height=0.5,
                color=_BAR_RANGE,
                gid="range",
            )
            ax.barh(
                y,
                r.middle[1] - r.middle[0],
                left=r.middle[0],
                height=0.5,
                color=_BAR_MIDDLE,
                gid="middle",
            )
            ax.scatter(
                [r.x],
                [y],
                s=90,
                color=CATEGORY_COLORS.get(r.category or "", "#FFFFFF"),
                edgecolors=style.PALETTE["black"],
                zorder=3,
                gid="area",
            )
        ax.axvline(0.5, color=style.PALETTE["black"], lw=1.5, gid="benchmark")
        ax.set_yticks(ys, [r.label for r in rows])
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xticks([0, 0.5, 1], ["Worst", "Benchmark", "Best"])
        ax.grid(False)
        shown = sorted({r.category for r in rows if r.category})
        handles = [
            ax.scatter([], [], s=60, color=CATEGORY_COLORS.get(c, "#FFFFFF"),
                       edgecolors=style.PALETTE["black"], label=c)
            for c in shown
        ]  # fmt: skip
        if handles:
            legend(ax, annotated, ncols=max(1, len(handles)), handles=handles)
        label = data.loc[data[area_column] == area]
        area_name = str(label["area_name"].iloc[0]) if "area_name" in label else str(area)
        finish(
            ax, annotated=annotated, title=title or f"{area_name} compared with all areas",
            units=units, source=source or style.SOURCE_ONS_LA,
            notes=["Bars: range of all areas, worst to best; dark: middle half (25th-75th "
                   "percentile); centre line: benchmark.", *notes],
        )  # fmt: skip
    return ax


def _spine_row(
    part: pd.DataFrame,
    name: object,
    area: str,
    value: str,
    benchmark: str,
    category: str | None,
    polarity: str | None,
    area_column: str,
    benchmark_name: str,
) -> _SpineRow:
    """Scaled positions of one indicator's bar and the area's marker."""
    vals = numeric(part, value)
    vals = vals[~np.isnan(vals)]
    bench = pd.unique(part[benchmark].dropna())
    if len(bench) != 1:
        raise ValueError(
            f"plot_spine: indicator {name!r} needs one benchmark value in {benchmark!r}, "
            f"found {len(bench)}"
        )
    b = float(bench[0])
    pol = str(part[polarity].iloc[0]) if polarity and polarity in part.columns else "low_is_good"
    own = part[part[area_column] == area]
    v = float(numeric(own, value)[0]) if len(own) else np.nan
    spread = max(np.max(np.abs(vals - b)) if vals.size else 0.0, abs(v - b) if v == v else 0.0)
    spread = spread or 1.0
    sign = -1.0 if pol == "low_is_good" else 1.0  # worst on the left

    def pos(x: float) -> float:
        return 0.5 + sign * 0.5 * (x - b) / spread

    ends = sorted(pos(e) for e in (vals.min(), vals.max())) if vals.size else [0.5, 0.5]
    mid = sorted(pos(e) for e in np.percentile(vals, [25, 75])) if vals.size else [0.5, 0.5]
    cat = None
    if category and category in own.columns and len(own) and pd.notna(own[category].iloc[0]):
        cat = str(own[category].iloc[0])
    text = "-" if v != v else f"{v:.1f}"
    return _SpineRow(
        (ends[0], ends[1]),
        (mid[0], mid[1]),
        pos(v) if v == v else np.nan,
        cat,
        f"{name}   {text} ({benchmark_name} {b:g})",
    )


class _SpineRow(NamedTuple):
    """One bar of a spine chart, on the 0 (worst) to 1 (best) scale."""

    range: tuple[float, float]
    middle: tuple[float, float]
    x: float
    category: str | None
    label: str


# --- indirectly standardised ratios ----------------------------------------------------


@figure_doc(title="from the ISR type", units="from the ISR type")
def plot_isr(
    data: pd.DataFrame,
    *,
    label: str = "area_name",
    highlight: str | Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Indirectly standardised ratios of areas, in order, with intervals and the reference line.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`overdose_trends.stats.standardise.isr` for one set of
        areas (one row each): ``value``, ``lcl``, ``ucl``, ``type``, ``per``, ``conf``
        and a label column.
    label : str, default "area_name"
        Column naming the areas (y tick labels up to 40 areas).
    highlight : str or sequence of str, optional
        Area labels drawn in black.
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Intervals (``gid`` ``"ci"``), points coloured by whether the interval
        is above, includes or is below the reference (``"points-<higher|similar|lower>"``),
        highlighted points (``"highlight"``) and the reference line (``"reference"``).

    Raises
    ------
    ValueError
        For missing columns or a ``highlight`` not in the data.

    Notes
    -----
    The reference line is the reference population's level (ratio 1 times
    ``per``; for rates, ``ref_rate``). Each ratio compares an area with the
    reference at the area's own age structure; the order of two areas is not
    an age-standardised comparison between them.

    References
    ----------
    Breslow & Day (1987); PHEindicatormethods ``calculate_ISRatio``.

    Examples
    --------
    >>> ratios = pd.DataFrame({"area_name": ["A", "B", "C"], "observed": [30, 12, 50],
    ...                        "expected": [20.0, 15.0, 49.0], "value": [1.5, 0.8, 1.02],
    ...                        "lcl": [1.01, 0.41, 0.76], "ucl": [2.14, 1.4, 1.34],
    ...                        "conf": 0.95, "type": "ratio", "per": 1.0})
    >>> ax = ot.plot_isr(ratios, highlight="A")
    >>> sorted(str(c.get_gid()) for c in ax.collections)
    ['ci', 'highlight', 'points-higher', 'points-similar']
    """
    require_columns(data, [label, "value", "lcl", "ucl"], "plot_isr")
    df = data.sort_values("value").reset_index(drop=True)
    per = float(df["per"].iloc[0]) if "per" in df else 1.0
    kind = str(df["type"].iloc[0]) if "type" in df else "ratio"
    ref = float(df["ref_rate"].iloc[0]) if kind == "rate" and "ref_rate" in df else per
    picks = [] if highlight is None else [highlight] if isinstance(highlight, str) else highlight
    missing = [h for h in picks if not (df[label] == h).any()]
    if missing:
        raise ValueError(f"plot_isr: highlight {missing} not in column {label!r}")
    v, lo, hi = numeric(df, "value"), numeric(df, "lcl"), numeric(df, "ucl")
    group = np.select([lo > ref, hi < ref], ["higher", "lower"], "similar")
    n = len(df)
    horizontal = n <= 40
    annotated = annotating(ax, annotate)
    figsize = (style.FIGSIZE[0], max(style.FIGSIZE[1], 2.2 + 0.22 * n)) if horizontal else None
    pos = np.arange(1, n + 1, dtype=np.float64)
    colors = {"higher": style.PALETTE["vermillion"], "similar": style.NEUTRAL,
              "lower": style.PALETTE["blue"]}  # fmt: skip
    with figure_axes(ax, figsize=figsize) as ax:
        if horizontal:
            segs = np.stack([np.c_[lo, pos], np.c_[hi, pos]], axis=1)
        else:
            segs = np.stack([np.c_[pos, lo], np.c_[pos, hi]], axis=1)
        ax.add_collection(
            LineCollection(list(segs), colors=style.NEUTRAL, linewidths=1.2, gid="ci")
        )
        for g in ("higher", "similar", "lower"):
            m = group == g
            if m.any():
                xy = (v[m], pos[m]) if horizontal else (pos[m], v[m])
                ax.scatter(
                    *xy,
                    color=colors[g],
                    zorder=3,
                    gid=f"points-{g}",
                    label={"higher": "Higher than", "similar": "Similar to", "lower": "Lower than"}[
                        g
                    ]
                    + " the reference",
                )
        chosen = df[label].isin(picks).to_numpy()
        if chosen.any():
            xy = (v[chosen], pos[chosen]) if horizontal else (pos[chosen], v[chosen])
            ax.scatter(*xy, color=style.PALETTE["black"], zorder=4, s=50, gid="highlight")
        line = ax.axvline if horizontal else ax.axhline
        line(
            ref,
            color=style.PALETTE["black"],
            lw=1.1,
            ls=(0, (4, 2.5)),
            gid="reference",
            label=f"Reference ({ref:g})",
        )
        name = ("Indirectly standardised ratio" if kind == "ratio"
                else "Indirectly standardised rate")  # fmt: skip
        units = units or (f"{name} (reference = {ref:g})" if kind == "ratio"
                          else f"{name} per {per:,.0f}")  # fmt: skip
        if horizontal:
            ax.set_yticks(pos, [str(s) for s in df[label]])
            ax.set_ylim(0.3, n + 0.7)
            ax.set_xlabel(axis_label(units, full=not annotated))
        else:
            ax.set_xlim(0, n + 1)
            ax.set_xlabel("Areas in order of the ratio")
            ax.set_ylabel(axis_label(units, full=not annotated))
        legend(ax, annotated, ncols=2)
        conf = float(df["conf"].iloc[0]) if "conf" in df else 0.95
        finish(
            ax, annotated=annotated, title=title or f"{name}s by area", units=units,
            source=source or style.SOURCE_ONS_LA, notes=[interval_note(conf, "Lines"), *notes],
        )  # fmt: skip
    return ax
