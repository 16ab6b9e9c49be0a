"""Figures of death rates: over time with confidence bands, and before/after two periods.

:func:`plot_rate_trend`
    Rates of one or several areas over registration periods (e.g. the ONS
    rolling three-year periods 2001-03 ... 2017-19) with shaded confidence
    bands; unreliable rates (10-19 deaths) as hollow markers and rates not
    calculated (fewer than 10 deaths) as an "x" on the axis, never as a value.
:func:`plot_period_comparison`
    One row per area: the rate in a "before" and an "after" period with their
    intervals, and the verdict of :func:`overdose_trends.stats.compare.compare_periods`.

References
----------
Office for National Statistics. *Deaths related to drug poisoning by local
authority, England and Wales* (rates per 100,000, 2013 ESP, 95% limits; rates
not calculated below 10 deaths, unreliable from 10 to 19).

Government Analysis Function (2023). *Data visualisation: charts* (show
uncertainty; start bar and rate axes at zero; titles, units and sources).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from overdose_trends._frames import numeric, require_columns
from overdose_trends.constants import ONS_LIMITS_CONF, PER_100K
from overdose_trends.plots import style
from overdose_trends.plots._common import (
    annotating,
    axis_label,
    default_source,
    draw_points,
    draw_rate_series,
    figure_axes,
    finish,
    grid_series,
    interval_note,
    legend,
    measure_title,
    nice_name,
    one_row_per,
    period_label,
    status_notes,
    statuses,
    table_status,
    unique_float,
    units_for,
)
from overdose_trends.plots._docs import figure_doc

__all__ = ["plot_period_comparison", "plot_rate_trend"]

#: Columns :func:`plot_rate_trend` needs.
_TREND_COLUMNS = ("area_code", "period_start", "period_end", "rate", "lcl", "ucl")
#: The two sides of a comparison (column suffixes of
#: :func:`overdose_trends.stats.compare.compare_periods`).
_SIDES = ("before", "after")
#: Columns :func:`plot_period_comparison` needs (besides the verdict column).
_COMPARISON_COLUMNS = tuple(f"{v}_{side}" for side in _SIDES for v in ("rate", "lcl", "ucl"))
_VERDICT_COLORS = {
    "significant increase": style.PALETTE["vermillion"],
    "significant decrease": style.PALETTE["blue"],
}


# --- rate trend -------------------------------------------------------------------------------


class _Grid(NamedTuple):
    """Regular time grid of a rate trend: period midpoints, one step per period."""

    x: NDArray[np.float64]  # grid positions (middle year of each period)
    slot: NDArray[np.int_]  # grid index of each row
    step: float  # years between grid positions
    half: float  # half the period length in years (0 for single years)


def _select_areas(data: pd.DataFrame, areas: str | Sequence[str] | None, func: str) -> list[str]:
    codes = data["area_code"].astype(str)
    present = list(dict.fromkeys(codes))
    if areas is None:
        return present
    wanted = [areas] if isinstance(areas, str) else [str(a) for a in areas]
    if not wanted:
        raise ValueError(f"{func}: areas is empty; give area codes or None for every area")
    by_name: dict[str, str] = {}
    if "area_name" in data.columns:
        names = data["area_name"].astype(str).str.strip()
        by_name = dict(zip(names, codes, strict=True))
    chosen = [a if a in set(present) else by_name.get(a.strip(), "") for a in wanted]
    missing = [a for a, c in zip(wanted, chosen, strict=True) if not c]
    if missing:
        shown = ", ".join(present[:8]) + (" ..." if len(present) > 8 else "")
        raise ValueError(
            f"{func}: area(s) {missing} not in the data (neither an area_code nor an area_name); "
            f"it has {len(present)} areas: {shown}"
        )
    return list(dict.fromkeys(chosen))


def _check_trend(
    data: pd.DataFrame, areas: str | Sequence[str] | None, func: str
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the areas to draw (checked: one row per period, one period length)."""
    require_columns(data, _TREND_COLUMNS, func)
    if len(data) == 0:
        raise ValueError(f"{func}: data has no rows")
    codes = _select_areas(data, areas, func)
    if len(codes) > len(style.SERIES_COLORS):
        raise ValueError(
            f"{func}: {len(codes)} areas is more than the {len(style.SERIES_COLORS)} series "
            "colours; pass areas= with fewer area codes"
        )
    df = data.loc[data["area_code"].astype(str).isin(codes)]
    one_row_per(df, ["area_code", "period_start", "period_end"], func)
    lengths = np.unique(numeric(df, "period_end") - numeric(df, "period_start"))
    if lengths.size > 1 or np.isnan(lengths).any():
        years = ", ".join(f"{int(n) + 1}" for n in lengths[~np.isnan(lengths)])
        raise ValueError(
            f"{func}: the rows mix periods of {years} years (ONS single-year rows have counts "
            "but no rates); select one length, e.g. data.query('period_end - period_start == 2')"
        )
    return df, codes


def _trend_grid(df: pd.DataFrame) -> _Grid:
    """The regular grid of period midpoints spanning the rows, and each row's place on it."""
    start, end = numeric(df, "period_start"), numeric(df, "period_end")
    x = (start + end) / 2.0
    grid_x = np.unique(x)
    step = float(np.min(np.diff(grid_x))) if grid_x.size > 1 else 1.0
    grid = grid_x[0] + step * np.arange(int(round((grid_x[-1] - grid_x[0]) / step)) + 1)
    slot = np.rint((x - grid[0]) / step).astype(int)
    return _Grid(grid, slot, step, float(end[0] - start[0]) / 2.0)


def _area_names(df: pd.DataFrame, codes: list[str]) -> dict[str, str]:
    """Legend name of each area: its first ``area_name`` (title case), else its code."""
    if "area_name" not in df.columns:
        return {code: code for code in codes}
    area_codes = df["area_code"].astype(str).to_numpy()
    return {code: nice_name(df.loc[area_codes == code, "area_name"].iloc[0]) for code in codes}


def _draw_trend_areas(
    ax: Axes,
    df: pd.DataFrame,
    codes: list[str],
    names: dict[str, str],
    grid: _Grid,
    status: NDArray[np.object_],
) -> tuple[list[Line2D], list[str]]:
    """Band, line and markers of each area; the legend handles and the statuses shown."""
    area_codes = df["area_code"].astype(str).to_numpy()
    handles, shown_status = [], []
    for i, code in enumerate(codes):
        rate, lcl, ucl, st, shown = grid_series(
            df, area_codes == code, grid.slot, grid.x.size, status
        )
        # not-calculated markers of different areas side by side, not on top of each other
        dodge = (i - (len(codes) - 1) / 2.0) * 0.12 * grid.step if len(codes) > 1 else 0.0
        color = style.SERIES_COLORS[i]
        draw_rate_series(
            ax, grid.x, rate, lcl, ucl, np.where(st == "not_calculated", "missing", st),
            color=color, key=code, label=names[code],
        )  # fmt: skip
        nc = st == "not_calculated"
        if nc.any():
            draw_points(ax, grid.x[nc] + dodge, rate[nc], st[nc], color=color, key=code)
        shown_status.extend(shown)
        handles.append(Line2D([], [], color=color, marker="o", label=names[code]))
    return handles, shown_status


def _period_axis(ax: Axes, grid: _Grid) -> None:
    """Period labels ("2013-15") on x, thinned to about 9 (12 single years)."""
    labels = [period_label(int(g - grid.half), int(g + grid.half)) for g in grid.x]
    every = max(1, int(np.ceil(grid.x.size / (9 if grid.half else 12))))
    ax.set_xticks(grid.x, [lab if j % every == 0 else "" for j, lab in enumerate(labels)])
    ax.set_xlim(grid.x[0] - 0.5 * grid.step, grid.x[-1] + 0.5 * grid.step)
    ax.set_xlabel("Year of registration" if grid.half == 0 else "Registration period")


def _trend_title(df: pd.DataFrame, shown: list[str]) -> str:
    return f"{measure_title(df)}: " + (
        ", ".join(shown) if len(shown) <= 3 else f"{len(shown)} areas"
    )


@figure_doc(
    title="from the measure, sex and area names",
    units="from ``rate_per`` (:data:`~overdose_trends.plots.style.UNITS_ASR_100K` for 100,000)",
    source=":data:`~overdose_trends.plots.style.SOURCE_ONS_LA`, or "
    ":data:`~overdose_trends.plots.style.SOURCE_ONS_NATIONAL` for national tables",
    notes="interval level, small-number markers, gaps",
)
def plot_rate_trend(
    data: pd.DataFrame,
    areas: str | Sequence[str] | None = None,
    *,
    deaths: str = "deaths",
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    annotate: bool | None = None,
) -> Axes:
    """Death rates over registration periods with confidence bands, for one or several areas.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows of :func:`overdose_trends.io.datasets.la_deaths` (or
        :func:`overdose_trends.stats.rates.dsr` output) for ONE measure and sex:
        ``area_code``, ``period_start``, ``period_end`` (years, inclusive),
        ``rate``, ``lcl``, ``ucl``, and ``rate_status`` and/or ``deaths`` (or
        ``count``) for the small-number rules; optional ``area_name`` (legend),
        ``rate_per`` (units), ``conf`` (level of the limits, default 95%),
        ``measure`` and ``sex`` (title). All rows must span the same number of
        years (e.g. only the three-year periods: ONS single-year rows carry no rates).
    areas : str or sequence of str, optional
        Area codes (or names) to draw, in legend order; default every area in
        ``data`` (at most 7, the number of distinct series colours).
    deaths : str, default "deaths"
        Name of the deaths column (``"count"`` is used when it is absent).
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.from_zero}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        x is the middle year of each period, labelled like ``"2013-15"``.
        Artists carry ``gid`` ``"rate-<area_code>"`` (line), ``"ci-<area_code>"``
        (band) and the marker ids ``"ok-<area_code>"``,
        ``"unreliable-<area_code>"`` and ``"not_calculated-<area_code>"``.

    Raises
    ------
    ValueError
        For missing columns, no rows, areas not in the data, more than 7 areas,
        several rows for one area and period (the message names the columns in
        which they differ, e.g. ``sex``), periods of different lengths, or
        neither ``rate_status`` nor a deaths column.

    Notes
    -----
    A rate is drawn only if it is published and based on at least 10 deaths
    (:func:`overdose_trends.schema.rate_status`): periods with fewer
    deaths get an "x" on the axis, periods without a row or a rate leave a gap
    in the line and band.

    References
    ----------
    ONS, *Deaths related to drug poisoning by local authority, England and
    Wales* (rolling three-year periods, 95% limits, small-number rules).

    Examples
    --------
    Southend-on-Sea and England, ONS three-year rolling rates:

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' and period_end - period_start == 2")
    >>> ax = ot.plot_rate_trend(la, ["E06000033", "E92000001"])
    >>> ax.figure.texts[0].get_text()
    'Deaths related to drug poisoning: Southend-on-Sea, England'
    >>> line = next(a for a in ax.lines if a.get_gid() == "rate-E06000033")
    >>> rates = dict(zip(line.get_xdata(), line.get_ydata()))  # x: middle year of the period
    >>> float(rates[2014.0]), float(rates[2017.0])  # 2013-15, 2016-18
    (8.8, 5.8)
    """
    func = "plot_rate_trend"
    df, codes = _check_trend(data, areas, func)
    status = table_status(df, "rate", deaths)
    grid = _trend_grid(df)
    units = units or units_for(unique_float(df, "rate_per", PER_100K))
    conf = unique_float(df, "conf", ONS_LIMITS_CONF)
    annotated = annotating(ax, annotate)
    names = _area_names(df, codes)

    with figure_axes(ax) as ax:
        handles, shown_status = _draw_trend_areas(ax, df, codes, names, grid, status)
        _period_axis(ax, grid)
        ax.set_ylabel(axis_label(units, full=not annotated))
        if from_zero:
            ax.set_ylim(bottom=0)
        if len(codes) > 1:
            legend(ax, annotated, handles=handles, ncols=min(len(codes), 3))
        auto_notes = [interval_note(conf), *status_notes(shown_status)]
        if "missing" in shown_status:
            auto_notes.append("Gaps: no rate published for the period.")
        finish(
            ax, annotated=annotated, units=units, source=source or default_source(df),
            title=_trend_title(df, [names[c] for c in codes]) if title is None else title,
            notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax


# --- period comparison ----------------------------------------------------------------------


def _comparison_labels(comparison: pd.DataFrame, labels: Sequence[str] | None) -> list[str]:
    if labels is not None:
        labels = [str(s) for s in labels]
        if len(labels) != 2:
            raise ValueError("period_comparison: labels must be two texts (before, after)")
        return labels
    meta = comparison.attrs.get("comparison", {})
    if "before" in meta and "after" in meta:
        return [period_label(*meta["before"]), period_label(*meta["after"])]
    return ["Before", "After"]


def _verdict_note(comparison: pd.DataFrame, verdict: str) -> str:
    conf = float(comparison.attrs.get("comparison", {}).get("conf", ONS_LIMITS_CONF))
    if verdict == "ons_verdict":
        return (
            f"Verdict: ONS rule, a change is significant only when the {100 * conf:g}% "
            "intervals do not overlap."
        )
    if verdict == "verdict":
        return (
            "Verdict: two-sided test of the rate ratio (after / before), significant when "
            f"p < {1 - conf:.3g}."
        )
    return f"Verdict: column {verdict!r}."


def _row_names(comparison: pd.DataFrame) -> list[str]:
    if "area_name" in comparison.columns:
        return [nice_name(v) for v in comparison["area_name"]]
    if "area_code" in comparison.columns:
        return comparison["area_code"].astype(str).tolist()
    return [str(i) for i in comparison.index]


def _draw_side(
    ax: Axes, comparison: pd.DataFrame, side: str, y: NDArray[np.float64], color: str
) -> tuple[float, list[str]]:
    """Interval lines and markers of one period; the largest value drawn and the statuses."""
    deaths = f"deaths_{side}" if f"deaths_{side}" in comparison.columns else None
    status_col = f"status_{side}" if f"status_{side}" in comparison.columns else None
    st = statuses(comparison, f"rate_{side}", deaths, status_col)
    rate = numeric(comparison, f"rate_{side}")
    lo, hi = numeric(comparison, f"lcl_{side}"), numeric(comparison, f"ucl_{side}")
    shown = np.isin(st, ["ok", "unreliable"])
    drawn = shown & np.isfinite(lo) & np.isfinite(hi)
    top = 0.0
    if drawn.any():
        ax.hlines(
            y[drawn], lo[drawn], hi[drawn], color=color, linewidth=2.4, zorder=2,
            gid=f"ci-{side}",
        )  # fmt: skip
        top = float(np.nanmax(hi[drawn]))
    with np.errstate(invalid="ignore"):
        top = max(top, float(np.nanmax(np.where(shown, rate, 0))))
    draw_points(ax, y, rate, st, color=color, key=side, horizontal=True, size=7)
    return top, st.tolist()


def _draw_verdicts(ax: Axes, texts: pd.Series, y: NDArray[np.float64]) -> None:
    """Each row's verdict beside the Axes, coloured by the direction of a significant change."""
    texts = texts.astype("object").where(texts.notna(), "")
    for yi, text in zip(y, texts, strict=True):
        text = str(text)
        color = next((c for k, c in _VERDICT_COLORS.items() if text.startswith(k)), "#4D4D4D")
        ax.text(
            1.02, yi, textwrap.fill(text, 34), transform=ax.get_yaxis_transform(),
            ha="left", va="center", fontsize=8.5, color=color, gid="verdict",
        )  # fmt: skip


def _rows_axis(ax: Axes, names: list[str], top: float) -> None:
    """One named row per area (first at the top), rates on x from 0."""
    n = len(names)
    ax.set_yticks(np.arange(n, dtype=np.float64), names)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, top * 1.08 if top > 0 else 1.0)
    ax.xaxis.grid(True)
    ax.yaxis.grid(False)
    ax.tick_params(axis="y", length=0, pad=9)  # room for the "x" markers at 0


@figure_doc(
    ax="a new figure in the house style, its height growing with the rows",
    title='"Death rates in <before> and <after>" (and the area, for one row)',
    units="from ``rate_per`` and whether the comparison used published rates or counts",
    notes="interval level, the verdict's rule, small-number markers",
)
def plot_period_comparison(
    comparison: pd.DataFrame,
    *,
    verdict: str = "verdict",
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Rates before and after, with intervals and the verdict, one row per area.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Output of :func:`overdose_trends.stats.compare.compare_periods`: ``rate_before``,
        ``lcl_before``, ``ucl_before``, ``rate_after``, ``lcl_after``,
        ``ucl_after``, the ``verdict`` column, ``status_before`` /
        ``status_after`` and/or ``deaths_before`` / ``deaths_after`` (small-number
        rules), and ``area_name`` or ``area_code`` for the row labels;
        optional ``rate_per`` (units). Rows are drawn top to bottom in order.
    verdict : str, default "verdict"
        Column whose text is written beside each row: ``"verdict"`` (the test
        of the rate ratio) or ``"ons_verdict"`` (the ONS overlap rule).
    labels : (str, str), optional
        Legend labels of the two periods; default from
        ``comparison.attrs["comparison"]`` (e.g. ``"2013-15"``), else
        "Before" and "After".
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Rates on the x axis from 0; rows on y (first row at the top). Markers
        carry ``gid`` ``"ok-before"``, ``"unreliable-after"`` ..., interval lines
        ``"ci-before"`` / ``"ci-after"``, verdict texts ``"verdict"``.

    Raises
    ------
    ValueError
        For missing columns (naming them), no rows, or neither statuses nor
        death counts.

    References
    ----------
    ONS drug-poisoning reference tables (overlapping-intervals rule); Altman DG,
    Bland JM (2003), Interaction revisited: the difference between two
    estimates, *BMJ* 326:219 (the test behind ``verdict``).

    Examples
    --------
    Southend-on-Sea and Norwich, 2013-15 against 2016-18:

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' "
    ...     "and area_code in ['E06000033', 'E07000148']")
    >>> comparison = ot.compare_periods(la, before="2013-15", after="2016-18")
    >>> ax = ot.plot_period_comparison(comparison)
    >>> ax.figure.texts[0].get_text()
    'Death rates in 2013-15 and 2016-18'
    >>> [t.get_text().split(" (")[0] for t in ax.texts if t.get_gid() == "verdict"]
    ['no significant change', 'significant increase']
    """
    func = "plot_period_comparison"
    require_columns(comparison, [*_COMPARISON_COLUMNS, verdict], func)
    if len(comparison) == 0:
        raise ValueError(f"{func}: comparison has no rows")
    n = len(comparison)
    names = _row_names(comparison)
    period_labels = _comparison_labels(comparison, labels)
    meta = comparison.attrs.get("comparison", {})
    units = units or units_for(
        unique_float(comparison, "rate_per", PER_100K),
        standardised=meta.get("kind", "rates") == "rates",
    )
    annotated = annotating(ax, annotate)
    colors = (style.PALETTE["blue"], style.PALETTE["vermillion"])
    y = np.arange(n, dtype=np.float64)

    with figure_axes(ax, figsize=(style.FIGSIZE[0], 2.6 + 0.5 * n)) as ax:
        shown_status: list[str] = []
        handles = []
        top = 0.0
        for side, offset, color, label in zip(
            _SIDES, (-0.14, 0.14), colors, period_labels, strict=True
        ):
            side_top, side_status = _draw_side(ax, comparison, side, y + offset, color)
            top = max(top, side_top)
            shown_status.extend(side_status)
            handles.append(Line2D([], [], color=color, marker="o", ms=7, lw=2.4, label=label))
        _draw_verdicts(ax, comparison[verdict], y)
        _rows_axis(ax, names, top)
        ax.set_xlabel(axis_label(units, full=not annotated))
        legend(ax, annotated, handles=handles)
        if title is None:
            title = f"Death rates in {period_labels[0]} and {period_labels[1]}"
            if n == 1:
                title += f": {names[0]}"
        auto_notes = [
            interval_note(float(meta.get("conf", ONS_LIMITS_CONF)), "Bars"),
            _verdict_note(comparison, verdict),
            *status_notes(shown_status),
        ]
        finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax
