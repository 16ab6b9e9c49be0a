"""Figures of death rates: over time with confidence bands, and before/after two periods.

:func:`plot_rate_trend`
    Rates of one or several areas over registration periods (e.g. the ONS
    rolling three-year periods 2001-03 ... 2017-19) with shaded confidence
    bands; unreliable rates (10-19 deaths) as hollow markers and rates not
    calculated (fewer than 10 deaths) as an "x" on the axis, never as a value.
:func:`plot_period_comparison`
    One row per area: the rate in a "before" and an "after" period with their
    intervals, and the verdict of :func:`overdose_trends.stats.compare.compare_periods`.
:func:`draw_rate_series`
    The building block of a rate line: band, line and status markers (used by
    :mod:`~overdose_trends.plots.national` and available to other modules).

The small table helpers below (:func:`one_row_per`, :func:`unique_value`,
:func:`deaths_column`, :func:`statuses`, :func:`table_status`,
:func:`grid_series`, :func:`axis_label`, :func:`default_source`,
:func:`measure_title`) are shared by the other plotting modules.

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
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from overdose_trends._frames import numeric, require_columns
from overdose_trends.constants import ONS_LIMITS_CONF, PER_100K
from overdose_trends.plots import style

__all__ = ["draw_rate_series", "plot_period_comparison", "plot_rate_trend"]

#: Columns :func:`plot_rate_trend` needs.
TREND_COLUMNS = ("area_code", "period_start", "period_end", "rate", "lcl", "ucl")
#: The two sides of a comparison (column suffixes of
#: :func:`overdose_trends.stats.compare.compare_periods`).
SIDES = ("before", "after")
#: Columns :func:`plot_period_comparison` needs (besides the verdict column).
COMPARISON_COLUMNS = tuple(f"{v}_{side}" for side in SIDES for v in ("rate", "lcl", "ucl"))
_VERDICT_COLORS = {
    "significant increase": style.PALETTE["vermillion"],
    "significant decrease": style.PALETTE["blue"],
}


# --- shared checks --------------------------------------------------------------------------


def one_row_per(data: pd.DataFrame, keys: Sequence[Hashable], func: str) -> None:
    """Raise unless ``data`` has one row per ``keys``, naming the columns where repeats differ."""
    dup = data.duplicated(list(keys), keep=False).to_numpy()
    if not dup.any():
        return
    first = data.loc[dup].iloc[0]
    same = data.loc[dup]
    for k in keys:
        same = same.loc[same[k] == first[k]]
    differ = [c for c in data.columns if c not in keys and same[c].nunique(dropna=False) > 1]
    where = ", ".join(f"{k}={style_value(first[k])}" for k in keys)
    raise ValueError(
        f"{func}: {len(same)} rows for {where}; they differ in {differ or 'no column'}. "
        "Plot one measure, sex (and substance) at a time, e.g. "
        "data.query(\"measure == 'poisoning' and sex == 'persons'\")"
    )


def style_value(value: object) -> str:
    """A value for messages: numpy scalars as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def unique_value(data: pd.DataFrame, column: str, default: object = None) -> object:
    """The single value of ``column`` (NaN ignored), or ``default`` if absent or not unique."""
    if column not in data.columns:
        return default
    values = pd.unique(data[column].dropna())
    return values[0] if len(values) == 1 else default


def deaths_column(data: pd.DataFrame, deaths: str) -> str | None:
    """``deaths`` if present, else ``"count"`` (:mod:`~overdose_trends.stats.rates`), else None."""
    for name in (deaths, "count"):
        if name in data.columns:
            return name
    return None


def statuses(data: pd.DataFrame, rate: str, deaths: str | None, status: str | None) -> np.ndarray:
    """:func:`~overdose_trends.plots.style.point_status` of a table's rates."""
    return style.point_status(
        numeric(data, rate),
        numeric(data, deaths) if deaths else None,
        data[status].to_numpy(dtype=object) if status else None,
    )


def table_status(
    data: pd.DataFrame, rate: str = "rate", deaths: str = "deaths", *, required: bool = True
) -> np.ndarray:
    """:func:`statuses` from the table's own deaths (or ``count``) and ``rate_status`` columns.

    Without either column the rates count as ``"ok"`` when ``required`` is
    False; otherwise :func:`~overdose_trends.plots.style.point_status`
    raises (the small-number rules need one of them).
    """
    count = deaths_column(data, deaths)
    status = "rate_status" if "rate_status" in data.columns else None
    if count is None and status is None and not required:
        return np.full(len(data), "ok", dtype=object)
    return statuses(data, rate, count, status)


def axis_label(units: str, full: bool) -> str:
    """Short axis label from a units line (``"Deaths per 100,000"``), or the whole line wrapped."""
    if full:
        return units.replace(", ", ",\n", 1)
    return units.split(", ")[0]


def default_source(data: pd.DataFrame) -> str:
    """The ONS source of a table: national tables have a ``table`` column."""
    return style.SOURCE_ONS_NATIONAL if "table" in data.columns else style.SOURCE_ONS_LA


def measure_title(data: pd.DataFrame) -> str:
    """``"Deaths related to drug poisoning"`` (or misuse), with the sex when not persons."""
    measure = unique_value(data, "measure")
    title = style.MEASURE_TITLES.get(str(measure), "Deaths related to drug poisoning")
    sex = unique_value(data, "sex")
    if sex is not None and sex != "persons":
        title += f", {sex}"
    return title


# --- building blocks --------------------------------------------------------------------------


def grid_series(
    data: pd.DataFrame, rows: np.ndarray, slot: np.ndarray, size: int, status: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """One series' ``rate``, ``lcl``, ``ucl`` and status on a regular grid of ``size`` steps.

    ``rows`` (boolean mask of ``data``) are placed at their grid index
    ``slot``; steps without a row get NaN and status ``"missing"``. The last
    item lists the statuses from the series' first to its last row (the
    markers and gaps it shows), for :func:`~overdose_trends.plots.style.status_notes`.
    """
    rate, lcl, ucl = (np.full(size, np.nan) for _ in range(3))
    for values, name in ((rate, "rate"), (lcl, "lcl"), (ucl, "ucl")):
        values[slot[rows]] = numeric(data, name)[rows]
    st = np.full(size, "missing", dtype=object)
    st[slot[rows]] = status[rows]
    shown = st[slot[rows].min() : slot[rows].max() + 1].tolist()
    return rate, lcl, ucl, st, shown


def draw_rate_series(
    ax: Axes,
    x: ArrayLike,
    rate: ArrayLike,
    lcl: ArrayLike,
    ucl: ArrayLike,
    status: ArrayLike,
    *,
    color: str,
    key: str,
    label: str | None = None,
    band_alpha: float = 0.18,
) -> dict[str, Artist]:
    """Draw one rate series: confidence band, line and markers by small-number status.

    Parameters
    ----------
    ax : Axes
    x : array-like of float
        Positions in increasing order, one per step of the series; a step
        without a rate (NaN, or status ``"missing"``) leaves a gap.
    rate, lcl, ucl : array-like of float
        Rates and confidence limits.
    status : array-like of str
        :func:`~overdose_trends.plots.style.point_status` of each rate: only
        ``"ok"`` and ``"unreliable"`` rates are drawn as values (the line, the
        band and filled or hollow markers); ``"not_calculated"`` ones as an "x"
        on the axis floor.
    color : str
    key : str
        Series id used in the artists' ``gid`` (``"rate-<key>"`` line,
        ``"ci-<key>"`` band, ``"ci-bars-<key>"`` interval bars of isolated
        points, and the marker ids of
        :func:`~overdose_trends.plots.style.draw_points`).
    label : str, optional
        Legend label of the line.
    band_alpha : float, default 0.18
        Opacity of the band.

    Returns
    -------
    dict of str to Artist
        ``"line"``, ``"band"`` and ``"bars"`` (when drawn) and the markers by status.
    """
    xs = np.asarray(x, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    lo = np.asarray(lcl, dtype=np.float64)
    hi = np.asarray(ucl, dtype=np.float64)
    st = np.asarray(status, dtype=object)
    drawn = np.isin(st, ["ok", "unreliable"]) & np.isfinite(r)
    out: dict[str, Artist] = {}
    (out["line"],) = ax.plot(
        xs, np.where(drawn, r, np.nan), color=color, label=label, zorder=2, gid=f"rate-{key}"
    )
    has = drawn & np.isfinite(lo) & np.isfinite(hi)
    before = np.r_[False, has[:-1]]
    after = np.r_[has[1:], False]
    isolated = has & ~before & ~after
    run = has & ~isolated
    if run.any():
        out["band"] = ax.fill_between(
            xs, np.where(run, lo, np.nan), np.where(run, hi, np.nan), where=run,
            color=color, alpha=band_alpha, linewidth=0, zorder=1, gid=f"ci-{key}",
        )  # fmt: skip
    if isolated.any():
        out["bars"] = ax.vlines(
            xs[isolated], lo[isolated], hi[isolated], color=color, alpha=0.5, linewidth=2.5,
            zorder=1, gid=f"ci-bars-{key}",
        )  # fmt: skip
    out.update(style.draw_points(ax, xs, r, st, color=color, key=key))
    return out


# --- rate trend -------------------------------------------------------------------------------


def _select_areas(data: pd.DataFrame, areas: object, func: str) -> list[str]:
    codes = data["area_code"].astype(str)
    present = list(dict.fromkeys(codes))
    if areas is None:
        return present
    wanted = [areas] if isinstance(areas, str) else [str(a) for a in areas]  # type: ignore[union-attr]
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


def plot_rate_trend(
    data: pd.DataFrame,
    areas: str | Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    deaths: str = "deaths",
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
    ax : Axes, optional
        Draw into this Axes; otherwise a new figure in the house style.
    title, units, source : str, optional
        Override the title (default from measure, sex and area names), the
        units line (default from ``rate_per``:
        :data:`~overdose_trends.plots.style.UNITS_ASR_100K` for 100,000) and
        the source (default :data:`~overdose_trends.plots.style.SOURCE_ONS_LA`,
        or ``SOURCE_ONS_NATIONAL`` for national tables).
    notes : sequence of str
        Extra notes after the automatic ones (interval level, small-number markers, gaps).
    from_zero : bool, default True
        Start the rate axis at 0.
    deaths : str, default "deaths"
        Name of the deaths column (``"count"`` is used when it is absent).
    annotate : bool, optional
        Add the figure title, units, source and notes
        (:func:`~overdose_trends.plots.style.annotate`); default: only when
        the helper made the figure. Otherwise the title goes on the Axes.

    Returns
    -------
    matplotlib.axes.Axes
        x is the middle year of each period, labelled like ``"2013-15"``.
        Artists carry ``gid`` ``"rate-<area_code>"`` (line), ``"ci-<area_code>"``
        (band) and the marker ids of
        :func:`~overdose_trends.plots.style.draw_points`.

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
    (:func:`~overdose_trends.plots.style.point_status`): periods with fewer
    deaths get an "x" on the axis, periods without a row or a rate leave a gap
    in the line and band.

    References
    ----------
    ONS, *Deaths related to drug poisoning by local authority, England and
    Wales* (rolling three-year periods, 95% limits, small-number rules).

    Examples
    --------
    >>> from overdose_trends import datasets
    >>> la = datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' and period_end - period_start == 2")
    >>> ax = plot_rate_trend(la, ["E06000033", "E92000001"])  # doctest: +SKIP
    """
    func = "plot_rate_trend"
    require_columns(data, TREND_COLUMNS, func)
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
    start, end = numeric(df, "period_start"), numeric(df, "period_end")
    lengths = np.unique(end - start)
    if lengths.size > 1 or np.isnan(lengths).any():
        years = ", ".join(f"{int(n) + 1}" for n in lengths[~np.isnan(lengths)])
        raise ValueError(
            f"{func}: the rows mix periods of {years} years (ONS single-year rows have counts "
            "but no rates); select one length, e.g. data.query('period_end - period_start == 2')"
        )
    status = table_status(df, "rate", deaths)
    x = (start + end) / 2.0
    half = lengths[0] / 2.0
    grid_x = np.unique(x)
    step = float(np.min(np.diff(grid_x))) if grid_x.size > 1 else 1.0
    grid = grid_x[0] + step * np.arange(int(round((grid_x[-1] - grid_x[0]) / step)) + 1)
    slot = np.rint((x - grid[0]) / step).astype(int)

    rate_per = unique_value(df, "rate_per", PER_100K)
    units = units or style.units_for(float(rate_per))
    conf = float(unique_value(df, "conf", ONS_LIMITS_CONF))
    annotated = style.annotating(ax, annotate)
    area_codes = df["area_code"].astype(str).to_numpy()
    names = {}
    for code in codes:
        rows = df.loc[area_codes == code]
        names[code] = style.nice_name(rows["area_name"].iloc[0]) if "area_name" in df else code

    with style.figure_axes(ax) as ax:
        handles = []
        shown_status = []
        for i, code in enumerate(codes):
            rate, lcl, ucl, st, shown = grid_series(df, area_codes == code, slot, grid.size, status)
            # not-calculated markers of different areas side by side, not on top of each other
            dodge = (i - (len(codes) - 1) / 2.0) * 0.12 * step if len(codes) > 1 else 0.0
            color = style.SERIES_COLORS[i]
            draw_rate_series(
                ax, grid, rate, lcl, ucl, np.where(st == "not_calculated", "missing", st),
                color=color, key=code, label=names[code],
            )  # fmt: skip
            nc = st == "not_calculated"
            if nc.any():
                style.draw_points(ax, grid[nc] + dodge, rate[nc], st[nc], color=color, key=code)
            shown_status.extend(shown)
            handles.append(Line2D([], [], color=color, marker="o", label=names[code]))

        labels = [style.period_label(g - half, g + half) for g in grid]
        every = max(1, int(np.ceil(grid.size / (9 if half else 12))))
        ax.set_xticks(grid, [lab if j % every == 0 else "" for j, lab in enumerate(labels)])
        ax.set_xlim(grid[0] - 0.5 * step, grid[-1] + 0.5 * step)
        ax.set_xlabel("Year of registration" if half == 0 else "Registration period")
        ax.set_ylabel(axis_label(units, full=not annotated))
        if from_zero:
            ax.set_ylim(bottom=0)
        if len(codes) > 1:
            style.legend(ax, annotated, handles=handles, ncols=min(len(codes), 3))
        auto_notes = [style.interval_note(conf), *style.status_notes(shown_status)]
        if "missing" in shown_status:
            auto_notes.append("Gaps: no rate published for the period.")
        if title is None:
            shown = [names[c] for c in codes]
            title = f"{measure_title(df)}: " + (
                ", ".join(shown) if len(shown) <= 3 else f"{len(shown)} areas"
            )
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or default_source(df), notes=[*auto_notes, *notes],
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
        return [style.period_label(*meta["before"]), style.period_label(*meta["after"])]
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


def plot_period_comparison(
    comparison: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    verdict: str = "verdict",
    labels: Sequence[str] | None = None,
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
    ax : Axes, optional
        Draw into this Axes; otherwise a new figure whose height grows with the rows.
    title, units, source : str, optional
        Override the defaults (title from the period labels and, for one row,
        the area; units from ``rate_per`` and whether the comparison used
        published rates or counts; source
        :data:`~overdose_trends.plots.style.SOURCE_ONS_LA`).
    notes : sequence of str
        Extra notes.
    verdict : str, default "verdict"
        Column whose text is written beside each row: ``"verdict"`` (the test
        of the rate ratio) or ``"ons_verdict"`` (the ONS overlap rule).
    labels : (str, str), optional
        Legend labels of the two periods; default from
        ``comparison.attrs["comparison"]`` (e.g. ``"2013-15"``), else
        "Before" and "After".
    annotate : bool, optional
        As in :func:`plot_rate_trend`.

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
    """
    func = "plot_period_comparison"
    require_columns(comparison, [*COMPARISON_COLUMNS, verdict], func)
    if len(comparison) == 0:
        raise ValueError(f"{func}: comparison has no rows")
    n = len(comparison)
    if "area_name" in comparison.columns:
        names = [style.nice_name(v) for v in comparison["area_name"]]
    elif "area_code" in comparison.columns:
        names = comparison["area_code"].astype(str).tolist()
    else:
        names = [str(i) for i in comparison.index]
    period_labels = _comparison_labels(comparison, labels)
    meta = comparison.attrs.get("comparison", {})
    rate_per = unique_value(comparison, "rate_per", PER_100K)
    units = units or style.units_for(
        float(rate_per), standardised=meta.get("kind", "rates") == "rates"
    )
    annotated = style.annotating(ax, annotate)
    colors = (style.PALETTE["blue"], style.PALETTE["vermillion"])
    y = np.arange(n, dtype=np.float64)
    figsize = (style.FIGSIZE[0], 2.6 + 0.5 * n)

    with style.figure_axes(ax, figsize=figsize) as ax:
        shown_status = []
        handles = []
        top = 0.0
        for side, offset, color, label in zip(
            SIDES, (-0.14, 0.14), colors, period_labels, strict=True
        ):
            deaths = f"deaths_{side}" if f"deaths_{side}" in comparison.columns else None
            status_col = f"status_{side}" if f"status_{side}" in comparison.columns else None
            st = statuses(comparison, f"rate_{side}", deaths, status_col)
            rate = numeric(comparison, f"rate_{side}")
            lo, hi = numeric(comparison, f"lcl_{side}"), numeric(comparison, f"ucl_{side}")
            drawn = np.isin(st, ["ok", "unreliable"]) & np.isfinite(lo) & np.isfinite(hi)
            if drawn.any():
                ax.hlines(
                    y[drawn] + offset, lo[drawn], hi[drawn], color=color, linewidth=2.4,
                    zorder=2, gid=f"ci-{side}",
                )  # fmt: skip
                top = max(top, float(np.nanmax(hi[drawn])))
            with np.errstate(invalid="ignore"):
                top = max(
                    top, float(np.nanmax(np.where(np.isin(st, ["ok", "unreliable"]), rate, 0)))
                )
            style.draw_points(
                ax, y + offset, rate, st, color=color, key=side, horizontal=True, size=7
            )
            shown_status.extend(st.tolist())
            handles.append(Line2D([], [], color=color, marker="o", ms=7, lw=2.4, label=label))

        texts = comparison[verdict].astype("object").where(comparison[verdict].notna(), "")
        for yi, text in zip(y, texts, strict=True):
            text = str(text)
            color = next((c for k, c in _VERDICT_COLORS.items() if text.startswith(k)), "#4D4D4D")
            ax.text(
                1.02, yi, textwrap.fill(text, 34), transform=ax.get_yaxis_transform(),
                ha="left", va="center", fontsize=8.5, color=color, gid="verdict",
            )  # fmt: skip
        ax.set_yticks(y, names)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, top * 1.08 if top > 0 else 1.0)
        ax.xaxis.grid(True)
        ax.yaxis.grid(False)
        ax.tick_params(axis="y", length=0, pad=9)  # room for the "x" markers at 0
        ax.set_xlabel(axis_label(units, full=not annotated))
        style.legend(ax, annotated, handles=handles)
        if title is None:
            title = f"Death rates in {period_labels[0]} and {period_labels[1]}"
            if n == 1:
                title += f": {names[0]}"
        auto_notes = [
            style.interval_note(float(meta.get("conf", ONS_LIMITS_CONF)), "Bars"),
            _verdict_note(comparison, verdict),
            *style.status_notes(shown_status),
        ]
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax
