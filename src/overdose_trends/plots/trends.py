"""Figures of trend models: joinpoint segments, interrupted time series, log-linear trends.

:func:`plot_joinpoint`
    A :class:`~overdose_trends.stats.trends.joinpoint.JoinpointFit`: observed values
    (with their confidence intervals when the input table is passed), the
    fitted segmented line coloured by segment, the joinpoints as dotted
    vertical lines, each segment's annual percent change (APC) with its
    interval in the legend and the average annual percent change (AAPC) over
    the whole range (and any other ranges asked for) as the legend title.
:func:`plot_interrupted`
    An :class:`~overdose_trends.stats.trends.interrupted.InterruptedFit`: observed
    deaths (or rates), the fitted trend before and after the intervention, the
    counterfactual (the pre-intervention trend continued) with its confidence
    band over the post-intervention period, the intervention as a labelled
    vertical line, and a box with the step, the slope change and the deaths
    averted, each with its interval.
:func:`plot_trend`
    A :class:`~overdose_trends.stats.trends.loglinear.TrendFit`: observed deaths
    (or rates) and the fitted log-linear trend with its confidence band and APC.

References
----------
Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for joinpoint
regression with applications to cancer rates. *Statistics in Medicine*
19(3):335-351.

Clegg LX, Hankey BF, Tiwari R, Feuer EJ, Edwards BK (2009). Estimating average
annual per cent change in trend analysis. *Statistics in Medicine*
28(29):3670-3682.

Bernal JL, Cummins S, Gasparrini A (2017). Interrupted time series regression
for the evaluation of public health interventions: a tutorial. *International
Journal of Epidemiology* 46(1):348-355 (plot the observed data, the fitted
model and the counterfactual).

National Cancer Institute, Surveillance Research Program. *Joinpoint Trend
Analysis Software* (graphs of observed and modelled rates with segment APCs;
"*" marks an APC significantly different from zero).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from overdose_trends._frames import numeric, require_columns, show
from overdose_trends.constants import MIN_DEATHS_FOR_RATE, ONS_LIMITS_CONF
from overdose_trends.plots import style
from overdose_trends.plots.rates import (
    axis_label,
    deaths_column,
    default_source,
    table_status,
    unique_value,
)

if TYPE_CHECKING:
    from overdose_trends.stats.trends.interrupted import InterruptedFit
    from overdose_trends.stats.trends.joinpoint import JoinpointFit
    from overdose_trends.stats.trends.loglinear import TrendFit

__all__ = ["apc_label", "plot_interrupted", "plot_joinpoint", "percent", "plot_trend"]

#: Colour of observed points and their bars.
OBSERVED_COLOR = "#333333"
#: Colours of the fitted lines before and after an intervention; the
#: counterfactual takes the "before" colour (it continues that trend).
BEFORE_COLOR = style.PALETTE["blue"]
AFTER_COLOR = style.PALETTE["vermillion"]
#: Size of new figures (inches): taller than the house default, for the legend above the Axes.
TALL_FIGSIZE = (style.FIGSIZE[0], 6.0)
MINUS = "\u2212"
DASH = "\u2013"

Scale = Literal["count", "rate"]


# --- formatting -------------------------------------------------------------------------------


def percent(value: float, *, sign: bool = True, digits: int = 1) -> str:
    """``+5.2`` / ``−1.3`` (a true minus sign; ``0.0`` unsigned), for figure texts."""
    if not np.isfinite(value):
        return "NA"
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return text
    if value < 0:
        return MINUS + text
    return ("+" if sign else "") + text


def _number(value: float, digits: int) -> str:
    """A number with thousands separators and a true minus sign."""
    if not np.isfinite(value):
        return "NA"
    text = f"{abs(value):,.{digits}f}"
    return MINUS + text if value < 0 and float(text.replace(",", "")) != 0 else text


def _ratio(value: float) -> str:
    return _number(value, 2)


def _p(value: float) -> str:
    if not np.isfinite(value):
        return "p not available"
    return (
        "p < 0.001"
        if value < 0.001
        else f"p = {value:.2g}"
        if value < 0.01
        else (f"p = {value:.2f}")
    )


def _time_label(value: Any, unit: str = "year") -> str:
    """A time for texts: ``2015``, ``2015.5``, ``Oct 2015`` (monthly; dates given as text too)."""
    if unit == "month" and isinstance(value, str):
        try:
            value = pd.Timestamp(value)
        except (TypeError, ValueError):
            return value
    if isinstance(value, pd.Period):
        return value.strftime("%b %Y") if value.freqstr.startswith("M") else str(value)
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).strftime("%b %Y")
    if isinstance(value, str):
        return value
    number = float(value)
    return f"{number:.0f}" if number == round(number) else f"{number:g}"


def _range_label(start: Any, end: Any, unit: str = "year") -> str:
    return f"{_time_label(start, unit)}{DASH}{_time_label(end, unit)}"


def apc_label(apc: float, lcl: float, ucl: float, p_value: float, conf: float) -> str:
    """``"APC +5.2% (3.1 to 7.4)*"``: ``*`` when ``p_value < 1 - conf``.

    Parameters
    ----------
    apc, lcl, ucl : float
        Annual percent change and its confidence limits (percent).
    p_value : float
        P-value of the test of a zero slope (NaN: no star).
    conf : float
        Confidence level of the limits; the star marks significance at ``1 - conf``.

    Returns
    -------
    str

    References
    ----------
    NCI Joinpoint Trend Analysis Software help, "Annual Percent Change (APC)"
    (an asterisk marks an APC significantly different from zero).
    """
    return "APC " + _change(apc, lcl, ucl, p_value, conf)


def _change(value: float, lcl: float, ucl: float, p_value: float, conf: float) -> str:
    """``"+5.2% (3.1 to 7.4)*"``."""
    star = "*" if np.isfinite(p_value) and p_value < 1 - conf else ""
    return f"{percent(value)}% ({percent(lcl, sign=False)} to {percent(ucl, sign=False)}){star}"


def _pct_text(conf: float) -> str:
    return f"{100 * conf:.1f}".rstrip("0").rstrip(".") + "%"


def _star_note(conf: float, aapc: bool = True) -> str:
    what = "APC: annual percent change of a segment" if aapc else "APC: annual percent change"
    if aapc:
        what += "; AAPC: average annual percent change over a range (Clegg et al. 2009)"
    return (
        f"{what}; {_pct_text(conf)} confidence intervals in brackets; * significantly "
        f"different from zero (p < {1 - conf:.2g})."
    )


# --- series and times ---------------------------------------------------------------------------


def _key_columns(table: pd.DataFrame, first_value: str) -> list[Hashable]:
    """The ``by`` columns of a result table: those before ``first_value``."""
    return list(table.columns[: table.columns.get_loc(first_value)])


def _series_label(key: Mapping[Hashable, Any]) -> str:
    return ", ".join(str(v) for v in key.values())


def _pick_series(
    table: pd.DataFrame, keys: list[Hashable], series: Any, func: str
) -> dict[Hashable, Any]:
    """The key values of the one series to draw, or a ValueError listing the series there are."""
    labels = [
        ", ".join(show(v) for v in row) for row in table[keys].itertuples(index=False, name=None)
    ]
    shown = "; ".join(labels[:10]) + (f" ... ({len(labels)} series)" if len(labels) > 10 else "")
    if series is None:
        if len(table) != 1:
            raise ValueError(
                f"{func}: the fit holds {len(table)} series ({', '.join(map(str, keys))}); "
                f"pass series= one of: {shown}"
            )
        return {k: table[k].iloc[0] for k in keys}
    if not keys:
        raise ValueError(
            f"{func}: the fit holds a single series without keys (fitted without by=); "
            f"leave series=None, got {series!r}"
        )
    if isinstance(series, Mapping):
        wanted = dict(series)
        unknown = [k for k in wanted if k not in keys]
        if unknown:
            raise ValueError(f"{func}: series names unknown column(s) {unknown}; keys are {keys}")
    else:
        values = series if isinstance(series, tuple) else (series,)
        if len(values) != len(keys):
            raise ValueError(
                f"{func}: series={series!r} gives {len(values)} value(s) for the "
                f"{len(keys)} key column(s) {keys}"
            )
        wanted = dict(zip(keys, values, strict=True))
    mask = np.ones(len(table), dtype=bool)
    for k, v in wanted.items():
        mask &= (table[k] == v).to_numpy(dtype=bool, na_value=False)
    if mask.sum() != 1:
        raise ValueError(
            f"{func}: "
            + ("no" if mask.sum() == 0 else f"{int(mask.sum())} series match")
            + f" series {series!r} in the fit; it has: {shown}"
        )
    row = int(np.flatnonzero(mask)[0])
    return {k: table[k].iloc[row] for k in keys}


def _rows(table: pd.DataFrame, key: Mapping[Hashable, Any]) -> pd.DataFrame:
    """Rows of a result table belonging to the series ``key``."""
    mask = np.ones(len(table), dtype=bool)
    for k, v in key.items():
        mask &= (table[k] == v).to_numpy(dtype=bool, na_value=False)
    return table.loc[mask]


def _x(values: Any) -> NDArray[Any]:
    """Plot positions of times: floats for years, datetime64 for months (periods to timestamps)."""
    s = pd.Series(list(values) if not isinstance(values, pd.Series) else values)
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.to_timestamp().to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.to_numpy(dtype="datetime64[ns]")
    if s.dtype == object and len(s) and isinstance(s.iloc[0], pd.Timestamp | pd.Period):
        return _x(pd.Series(s.tolist()))
    return s.to_numpy(dtype=np.float64)


def _midpoint(a: Any, b: Any) -> Any:
    if isinstance(a, np.datetime64):
        return a + (b - a) / 2
    return (float(a) + float(b)) / 2.0


def _time_axis(ax: Axes, x: NDArray[Any], unit: str) -> None:
    """Limits half a step beyond the data; whole-year ticks for annual data."""
    if x.size == 0:
        return
    if np.issubdtype(x.dtype, np.datetime64):
        step = (x[1] - x[0]) if x.size > 1 else np.timedelta64(30, "D")
        ax.set_xlim(x[0] - step / 2, x[-1] + step / 2)
        return
    step = float(np.min(np.diff(x))) if x.size > 1 else 1.0
    ax.set_xlim(x[0] - step / 2, x[-1] + step / 2)
    if unit == "year":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10, steps=[1, 2, 5, 10]))


def _per_time(unit: str) -> str:
    return "month" if unit == "month" else "year"


def _scale_units(scale: str, unit: str, per: float) -> str:
    """Units line of a model's values: deaths per year (month), or crude rates per ``per``."""
    if scale == "count":
        return f"Deaths per {_per_time(unit)}"
    return style.units_for(per, standardised=False)


def _draw_observed(
    ax: Axes,
    x: NDArray[Any],
    value: NDArray[np.float64],
    status: NDArray[Any],
    *,
    ms: float,
    zorder: float,
) -> Line2D:
    """Observed points (``gid`` ``"observed"``) by the small-number rules of ``status``.

    Rates from fewer than 10 deaths are not drawn as values: they leave a gap
    in ``"observed"`` and get an "x" on the axis floor; rates from 10-19
    deaths get a hollow marker over their point
    (:func:`~overdose_trends.plots.style.draw_points`).
    """
    shown = np.isin(status, ["ok", "unreliable"])
    (points,) = ax.plot(
        x, np.where(shown, value, np.nan), ls="none", marker="o", ms=ms, color=OBSERVED_COLOR,
        zorder=zorder, gid="observed",
    )  # fmt: skip
    flagged = np.isin(status, ["unreliable", "not_calculated"])
    if flagged.any():
        pos = mdates.date2num(x) if np.issubdtype(x.dtype, np.datetime64) else x
        style.draw_points(
            ax, pos[flagged], value[flagged], status[flagged], color=OBSERVED_COLOR,
            key="observed", size=ms, zorder=zorder + 0.5,
        )  # fmt: skip
    return points


# --- joinpoint --------------------------------------------------------------------------------


def _observed_limits(
    data: pd.DataFrame,
    key: Mapping[Hashable, Any],
    times: pd.Series,
    *,
    time: Hashable,
    lcl: Hashable,
    ucl: Hashable,
    func: str,
) -> pd.DataFrame:
    """The rows of ``data`` at each fitted time of the series ``key``, with ``lcl`` and ``ucl``."""
    require_columns(data, [time, lcl, ucl, *key], func)
    rows = _rows(data, key)
    where = f" for series {_series_label(key)}" if key else ""
    at = pd.Index(_x(rows[time]))
    if at.has_duplicates:
        dup = at[at.duplicated()][0]
        raise ValueError(
            f"{func}: data has several rows{where} at {time}={show(dup)}; pass the table "
            "the fit was made from (one measure, sex and substance)"
        )
    wanted = _x(times)
    pos = at.get_indexer(wanted)
    if (pos < 0).any():
        missing = times.iloc[int(np.flatnonzero(pos < 0)[0])]
        raise ValueError(
            f"{func}: data has no row{where} at {time}={show(missing)}; pass the table the "
            "fit was made from"
        )
    return rows.iloc[pos]


def _joinpoint_units(fit: JoinpointFit, data: pd.DataFrame | None, unit: str) -> str:
    per = getattr(fit, "per", np.nan)
    if fit.scale == "count" or (per is not None and np.isfinite(per)):
        return _scale_units(fit.scale, unit, per)
    rate_per = unique_value(data, "rate_per") if data is not None else None
    if rate_per is not None:
        return style.units_for(float(rate_per))
    return "Rate (in the units of the input series)"


def plot_joinpoint(
    fit: JoinpointFit,
    series: Any = None,
    *,
    data: pd.DataFrame | None = None,
    time: Hashable = "year",
    lcl: Hashable = "lcl",
    ucl: Hashable = "ucl",
    aapc_ranges: Sequence[tuple[Any, Any]] = (),
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    log_scale: bool = False,
    annotate: bool | None = None,
) -> Axes:
    """Joinpoint regression: observed values, fitted segments, joinpoints, APCs and AAPC.

    Parameters
    ----------
    fit : JoinpointFit
        Result of :func:`overdose_trends.stats.trends.joinpoint.fit_joinpoint`.
    series : scalar, tuple or mapping, optional
        Which series to draw when the fit holds several (fitted with ``by=``):
        its key value (one ``by`` column), a tuple of key values in ``by``
        order, or a ``{column: value}`` mapping. Default: the fit's only series.
    data : pandas.DataFrame, optional
        The table the fit was made from. When given, the observed points get
        their confidence intervals as bars (columns ``lcl``/``ucl``, matched on
        ``time`` and the ``by`` keys: the fit itself keeps no limits), and the
        units, source and area name default from its ``rate_per``, ``table``
        and ``area_name`` columns.
    time, lcl, ucl : hashable, default "year", "lcl", "ucl"
        Columns of ``data``.
    aapc_ranges : sequence of (start, end)
        Further ranges whose AAPC (:meth:`JoinpointFit.aapc`) is shown under
        the whole-range AAPC, e.g. ``[(2012, 2021)]``.
    ax : Axes, optional
        Draw into this Axes; otherwise a new figure in the house style.
    title, units, source : str, optional
        Override the title (default "Joinpoint regression" and the area or
        series), the units line (default by ``fit.scale``: ``"Deaths per
        year"`` for counts, ``"Deaths per 100,000, crude rate"`` for counts
        with a population, the ONS age-standardised units from
        ``data["rate_per"]`` for rate input) and the source (default from
        ``data``; without it ONS national tables for rate input, otherwise the
        ONS local-authority tables).
    notes : sequence of str
        Extra notes after the automatic ones (points and bars, joinpoint
        selection, APC/AAPC and the significance star).
    from_zero : bool, default True
        Start the value axis at 0 (ignored with ``log_scale``).
    log_scale : bool, default False
        Logarithmic value axis: log-linear segments are then straight lines.
    annotate : bool, optional
        As in :func:`overdose_trends.plots.rates.plot_rate_trend`.

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ``gid`` ``"observed"`` (points), ``"observed-ci"``
        (bars, with ``data``), ``"segment-1"``, ``"segment-2"`` ... (fitted
        line of each segment, its legend label the segment's APC text) and
        ``"joinpoint"`` (one vertical line per joinpoint). The legend title
        holds the AAPC texts.

    Raises
    ------
    ValueError
        For a series not in the fit (the message lists those there are),
        ``series=None`` with several series, or ``data`` without the columns,
        without a row at a fitted time or with several rows at one.

    Notes
    -----
    Each segment is drawn through the fitted values at the data's time
    points from its start to its end joinpoint (neighbouring segments share
    the joinpoint's value). An APC is starred when its p-value is below
    ``1 - fit.conf`` (its interval then excludes 0).

    References
    ----------
    Kim et al. (2000) *Stat Med* 19:335-351 (joinpoints by permutation
    tests); Clegg et al. (2009) *Stat Med* 28:3670-3682 (AAPC); NCI Joinpoint
    Trend Analysis Software (graph conventions).

    Examples
    --------
    >>> from overdose_trends import datasets, trends
    >>> nat = datasets.national_deaths().query(
    ...     "table == 'asmr' and area_code == 'K04000001' and measure == 'poisoning' "
    ...     "and sex == 'persons' and substance == 'all'").assign(year=lambda d: d.period_start)
    >>> fit = fit_joinpoint(nat, rate="rate", lcl="lcl", ucl="ucl", seed=1)  # doctest: +SKIP
    >>> ax = plot_joinpoint(fit, data=nat, aapc_ranges=[(2012, 2021)])  # doctest: +SKIP
    """
    func = "plot_joinpoint"
    keys = _key_columns(fit.models, "model")
    key = _pick_series(fit.models, keys, series, func)
    model = _rows(fit.models, key).iloc[0]
    segments = _rows(fit.segments, key).sort_values("segment")
    fitted = _rows(fit.fitted, key)
    unit = getattr(fit, "time_unit", "year")
    times = fitted["time"].reset_index(drop=True)
    x = _x(times)
    observed = fitted["observed"].to_numpy(dtype=np.float64, na_value=np.nan)
    values = fitted["fitted"].to_numpy(dtype=np.float64)

    lo = hi = None
    rows = None
    status = np.full(len(observed), "ok", dtype=object)
    counted = False  # deaths or statuses known for the small-number rules
    if data is not None:
        rows = _observed_limits(data, key, times, time=time, lcl=lcl, ucl=ucl, func=func)
        lo, hi = numeric(rows, lcl), numeric(rows, ucl)
        counted = deaths_column(rows, "deaths") is not None or "rate_status" in rows.columns
        if fit.scale == "rate" and counted:
            status = table_status(rows.assign(_observed=observed), "_observed")
    if fit.scale == "rate" and np.isfinite(getattr(fit, "per", np.nan)) and not counted:
        warnings.warn(
            f"{func}: crude rates are drawn without the small-number rules; pass data= (with "
            f"the deaths) to mark rates from fewer than {MIN_DEATHS_FOR_RATE} deaths",
            UserWarning,
            stacklevel=2,
        )
    units = units or _joinpoint_units(fit, rows, unit)
    if source is None:
        if rows is not None:
            source = default_source(rows)
        elif fit.scale == "rate" and not np.isfinite(getattr(fit, "per", np.nan)):
            source = style.SOURCE_ONS_NATIONAL
        else:
            source = style.SOURCE_ONS_LA
    annotated = style.annotating(ax, annotate)
    conf = float(fit.conf)
    limits_conf = float(unique_value(rows, "conf", ONS_LIMITS_CONF)) if rows is not None else 0.0
    whole = fit.aapc()
    whole = _rows(whole, key).iloc[0]
    extra = [_rows(fit.aapc(a, b), key).iloc[0] for a, b in aapc_ranges]

    with style.figure_axes(ax, figsize=TALL_FIGSIZE) as ax:
        what = "count" if fit.scale == "count" else "rate"
        point = Line2D([], [], ls="none", marker="o", ms=4.5, color=OBSERVED_COLOR)
        handles: list[Any] = [point]
        labels = [f"Observed {what}"]
        if lo is not None and hi is not None:
            ok = np.isfinite(observed) & np.isfinite(lo) & np.isfinite(hi)
            ok &= np.isin(status, ["ok", "unreliable"])
            ax.vlines(
                x[ok], lo[ok], hi[ok], color=style.NEUTRAL, linewidth=1.2, zorder=2,
                gid="observed-ci",
            )  # fmt: skip
            bar = Line2D([], [], ls="none", marker="|", ms=11, mew=1.2, color=style.NEUTRAL)
            handles[0] = (bar, point)
            labels[0] += f" ({_pct_text(limits_conf)} CI)"
        _draw_observed(ax, x, observed, status, ms=4.5, zorder=3)
        t_obs = times
        for i, seg in enumerate(segments.itertuples(index=False)):
            in_seg = ((t_obs >= seg.start) & (t_obs <= seg.end)).to_numpy(dtype=bool)
            color = style.SERIES_COLORS[i % len(style.SERIES_COLORS)]
            label = f"{_range_label(seg.start, seg.end)}: " + apc_label(
                seg.apc, seg.apc_lcl, seg.apc_ucl, seg.p_value, conf
            )
            (line,) = ax.plot(
                x[in_seg], values[in_seg], color=color, lw=2.2, zorder=4,
                gid=f"segment-{seg.segment}", label=label,
            )  # fmt: skip
            handles.append(line)
            labels.append(label)
        joinpoints = list(model["joinpoints"])
        if joinpoints:
            for jp in _x(pd.Series(joinpoints)):
                ax.axvline(jp, color=style.NEUTRAL, ls=":", lw=1.2, zorder=1, gid="joinpoint")
            handles.append(Line2D([], [], color=style.NEUTRAL, ls=":", lw=1.2))
            labels.append("Joinpoint" + ("s" if len(joinpoints) > 1 else ""))
        legend_title = "\n".join(
            f"AAPC {_range_label(row['start'], row['end'], unit)}: "
            + _change(row["aapc"], row["aapc_lcl"], row["aapc_ucl"], row["p_value"], conf)
            for row in (whole, *extra)
        )
        _time_axis(ax, x, unit)
        ax.set_xlabel("Year" if unit == "year" else "Month")
        ax.set_ylabel(axis_label(units, full=not annotated))
        if log_scale:
            ax.set_yscale("log")
        elif from_zero:
            ax.set_ylim(bottom=0)
        style.legend(
            ax, annotated, handles=handles, labels=labels, title=legend_title, alignment="left",
            above={"borderaxespad": None}, inside={"fontsize": 8, "title_fontsize": 8},
        )  # fmt: skip

        k = int(model["n_joinpoints"])
        method = str(model["selection"])
        how = (
            "sequential permutation tests (Kim et al. 2000)"
            if method == "permutation"
            else "the Bayesian information criterion (Kim et al. 2009)"
        )
        jp_text = (
            f"{k} joinpoint{'s' if k != 1 else ''} ("
            + ", ".join(_time_label(j) for j in joinpoints)
            + ")"
            if k
            else "no joinpoint"
        )
        auto_notes = [
            f"Lines: log-linear joinpoint model, one colour per segment; {jp_text} chosen "
            f"from 0 to {int(model['max_joinpoints'])} by {how}"
            + ("; dotted lines mark the joinpoints." if k else "."),
            _star_note(conf),
        ]
        if lo is not None:
            auto_notes.insert(0, style.interval_note(limits_conf, "Bars on the points"))
        auto_notes += style.status_notes(status)
        if title is None:
            place = None
            if rows is not None and "area_name" in rows.columns:
                place = style.nice_name(unique_value(rows, "area_name", _series_label(key)))
            elif key:
                place = _series_label(key)
            title = "Joinpoint regression" + (f": {place}" if place else "")
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax


# --- interrupted time series ------------------------------------------------------------------

#: Text positions of the effects box, in axes coordinates, by ``box_loc``.
_BOX_PLACES = {
    "upper left": (0.02, 0.97, "left", "top"),
    "upper right": (0.98, 0.97, "right", "top"),
    "lower left": (0.02, 0.03, "left", "bottom"),
    "lower right": (0.98, 0.03, "right", "bottom"),
}
_FAMILY_NAMES = {"poisson": "Poisson", "negbin": "negative binomial (NB2)"}


def _count_digits(*values: float) -> int:
    """Decimals for deaths: one below 100, none from 100."""
    finite = [abs(v) for v in values if np.isfinite(v)]
    return 1 if finite and max(finite) < 100 else 0


def _scale_columns(fitted: pd.DataFrame, scale: str, func: str) -> dict[str, str]:
    """Columns of the observed, fitted and counterfactual values on ``scale``."""
    if scale not in ("count", "rate"):
        raise ValueError(f"{func}: scale must be 'count' or 'rate', got {scale!r}")
    if scale == "count":
        return {"observed": "observed", "fitted": "expected", "lcl": "expected_lcl",
                "ucl": "expected_ucl"}  # fmt: skip
    population = fitted["population"].to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(population).all():
        raise ValueError(
            f"{func}: scale='rate' needs a population, but the model was fitted without one "
            "(pass population= to the model, or use scale='count')"
        )
    return {"observed": "observed_rate", "fitted": "rate", "lcl": "rate_lcl",
            "ucl": "rate_ucl"}  # fmt: skip


def _fitted_series(
    fit: InterruptedFit | TrendFit, table: pd.DataFrame, series: Any, scale: str, func: str
) -> tuple[dict[Hashable, Any], pd.Series, pd.DataFrame, dict[str, NDArray[np.float64]]]:
    """The series to draw of a model fit: key, row of ``table``, fitted rows and their values.

    ``table`` is the fit's one-row-per-series table (``effects`` or
    ``summary``). The values are the observed, fitted and interval columns
    on ``scale`` (:func:`_scale_columns`), plus ``"deaths"`` (the observed
    counts, for the small-number rules) and ``"status"`` of each observed
    value (:func:`~overdose_trends.plots.style.point_status` for rates,
    all ``"ok"`` for counts).
    """
    key = _pick_series(table, _key_columns(table, "family"), series, func)
    fitted = _rows(fit.fitted, key).reset_index(drop=True)
    cols = _scale_columns(fitted, scale, func)
    if "counterfactual" in fitted.columns:  # interrupted time series
        cols["cf"] = "counterfactual" if scale == "count" else "counterfactual_rate"
    values: dict[str, Any] = {
        k: fitted[c].to_numpy(dtype=np.float64, na_value=np.nan) for k, c in cols.items()
    }
    deaths = fitted["observed"].to_numpy(dtype=np.float64, na_value=np.nan)
    values["status"] = (
        style.point_status(values["observed"], deaths)
        if scale == "rate"
        else np.full(len(deaths), "ok", dtype=object)
    )
    return key, _rows(table, key).iloc[0], fitted, values


def _time_unit_of(times: pd.Series) -> str:
    x = _x(times)
    return "month" if np.issubdtype(x.dtype, np.datetime64) else "year"


def _model_notes(row: pd.Series, status: NDArray[Any]) -> list[str]:
    """Small-number notes of the observed points and the model's overdispersion advice."""
    notes = style.status_notes(status)
    advice = str(row.get("advice", "") or "")
    if advice:
        notes.append(f"Model check: {advice}.")
    return notes


def _headroom(ax: Axes, top_value: float, share: float) -> None:
    """Raise the top of the value axis so the top ``share`` of the Axes is free for a box."""
    if np.isfinite(top_value) and top_value > 0:
        bottom = ax.get_ylim()[0]
        ax.set_ylim(bottom, bottom + (top_value - bottom) / (1.0 - share))


def plot_interrupted(
    fit: InterruptedFit,
    series: Any = None,
    *,
    scale: Scale = "count",
    intervention_label: str | None = None,
    box_loc: Literal["upper left", "upper right", "lower left", "lower right"] = "upper left",
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    annotate: bool | None = None,
) -> Axes:
    """Interrupted time series: observed, fitted before/after, counterfactual and effects.

    Parameters
    ----------
    fit : InterruptedFit
        Result of :func:`overdose_trends.stats.trends.interrupted.fit_interrupted`.
    series : scalar, tuple or mapping, optional
        Which series to draw when the fit holds several (as in
        :func:`plot_joinpoint`); default the fit's only series.
    scale : {"count", "rate"}, default "count"
        Draw deaths per time unit, or rates per ``fit.per`` population (only
        when the model had a population offset).
    intervention_label : str, optional
        Legend text of the intervention line, e.g. ``"Naloxone kits issued
        from 2015"``; default ``"Intervention from <time>"``.
    box_loc : {"upper left", "upper right", "lower left", "lower right"}
        Corner of the Axes holding the effects box (step, slope change, deaths
        averted); the value axis is extended so the box does not cover the
        data when it sits at the top.
    ax : Axes, optional
        Draw into this Axes; otherwise a new figure in the house style.
    title, units, source : str, optional
        Override the title (default "Interrupted time series" and the series),
        the units line (``"Deaths per year"``, or ``"Deaths per 100,000, crude
        rate"`` for ``scale="rate"``) and the source (default
        :data:`~overdose_trends.plots.style.SOURCE_ONS_LA`).
    notes : sequence of str
        Extra notes after the automatic ones (model, counterfactual, deaths
        averted, the model's overdispersion advice).
    from_zero : bool, default True
        Start the value axis at 0.
    annotate : bool, optional
        As in :func:`plot_joinpoint`.

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ``gid`` ``"observed"`` (points), ``"fitted-pre"`` and
        ``"fitted-post"`` (model lines), ``"counterfactual"`` (dashed line from
        the last pre-intervention point on), ``"counterfactual-ci"`` (band over
        the post-intervention times), ``"intervention"`` (vertical line; its
        legend entry is ``intervention_label``) and ``"effects"`` (text box).

    Raises
    ------
    ValueError
        For a series not in the fit, ``series=None`` with several series, an
        unknown ``scale`` or ``box_loc``, or ``scale="rate"`` without a population.

    Notes
    -----
    The intervention line is drawn halfway between the last time point before
    the intervention and the first one from it (for annual data and
    ``intervention=2015``: at 2014.5, the boundary between the 2014 and 2015
    points), because the points stand for whole years (months).

    The effects box shows the step at the intervention as a rate ratio
    (``level_ratio``), the slope change as a ratio of annual rate ratios
    (``slope_change_ratio``), both with their intervals and p-values, and the
    deaths averted over the post-intervention period (counterfactual minus
    observed deaths; negative means more deaths than the continued trend)
    with its interval (:attr:`InterruptedFit.averted`).

    References
    ----------
    Bernal, Cummins & Gasparrini (2017) *Int J Epidemiol* 46:348-355 (figure
    of observed data, fitted model and counterfactual).
    """
    func = "plot_interrupted"
    if box_loc not in _BOX_PLACES:
        raise ValueError(f"{func}: box_loc must be one of {list(_BOX_PLACES)}, got {box_loc!r}")
    key, effects, fitted, get = _fitted_series(fit, fit.effects, series, scale, func)
    averted = _rows(fit.averted, key).iloc[0]
    times = fitted["time"]
    unit = _time_unit_of(times)
    x = _x(times)
    post = fitted["post"].to_numpy(dtype=bool)
    pre = ~post
    cf = "counterfactual" if scale == "count" else "counterfactual_rate"
    cf_lo, cf_hi = (fitted[f"{cf}_{b}"].to_numpy(dtype=np.float64) for b in ("lcl", "ucl"))
    conf = float(fit.conf)
    t0 = effects["intervention"]
    t0_text = _time_label(t0, unit)
    first_post = int(np.flatnonzero(post)[0])
    last_pre = first_post - 1
    units = units or _scale_units(scale, unit, fit.per)
    annotated = style.annotating(ax, annotate)
    family = _FAMILY_NAMES.get(str(effects["family"]), str(effects["family"]))
    pre_text = "APC " + _change(
        effects["pre_apc"], effects["pre_apc_lcl"], effects["pre_apc_ucl"], np.nan, conf
    )
    post_text = "APC " + _change(
        effects["post_apc"], effects["post_apc_lcl"], effects["post_apc_ucl"], np.nan, conf
    )

    with style.figure_axes(ax, figsize=TALL_FIGSIZE) as ax:
        ax.fill_between(
            x[post], cf_lo[post], cf_hi[post], color=BEFORE_COLOR, alpha=0.15, linewidth=0,
            zorder=1, gid="counterfactual-ci",
        )  # fmt: skip
        (cf_line,) = ax.plot(
            x[last_pre:], get["cf"][last_pre:], color=BEFORE_COLOR, ls="--", lw=1.8, zorder=3,
            gid="counterfactual",
        )  # fmt: skip
        (pre_line,) = ax.plot(
            x[pre], get["fitted"][pre], color=BEFORE_COLOR, lw=2.2, zorder=4, gid="fitted-pre"
        )
        (post_line,) = ax.plot(
            x[post], get["fitted"][post], color=AFTER_COLOR, lw=2.2, zorder=4, gid="fitted-post"
        )
        points = _draw_observed(ax, x, get["observed"], get["status"], ms=5, zorder=5)
        boundary = _midpoint(x[last_pre], x[first_post])
        (line,) = ax.plot(
            [boundary, boundary], [0, 1], transform=ax.get_xaxis_transform(), color="#4D4D4D",
            lw=1.0, ls="-.", zorder=2, gid="intervention",
        )  # fmt: skip
        band = Patch(facecolor=BEFORE_COLOR, alpha=0.15, linewidth=0)
        handles = [points, pre_line, post_line, (band, cf_line), line]
        what = "deaths" if scale == "count" else "rate"
        labels = [
            f"Observed {what}",
            f"Fitted before {t0_text}: {pre_text}",
            f"Fitted from {t0_text}: {post_text}",
            f"Pre-{t0_text} trend continued ({_pct_text(conf)} CI)",
            intervention_label or f"Intervention from {t0_text}",
        ]

        start, end = averted["start"], averted["end"]
        digits = _count_digits(averted["averted"], averted["averted_lcl"], averted["averted_ucl"])
        box = "\n".join(
            [
                f"Step at {t0_text}: rate ratio {_ratio(effects['level_ratio'])} "
                f"({_ratio(effects['level_lcl'])} to {_ratio(effects['level_ucl'])}), "
                f"{_p(effects['level_p'])}",
                f"Slope change: \u00d7{_ratio(effects['slope_change_ratio'])} per year "
                f"({_ratio(effects['slope_change_lcl'])} to "
                f"{_ratio(effects['slope_change_ucl'])}), {_p(effects['slope_change_p'])}",
                f"Deaths averted {_range_label(start, end)}: "
                f"{_number(averted['averted'], digits)} "
                f"({_number(averted['averted_lcl'], digits)} to "
                f"{_number(averted['averted_ucl'], digits)})",
                f"(observed {_number(averted['observed'], 0)}, expected without the change "
                f"{_number(averted['counterfactual'], digits)})",
            ]
        )
        bx, by, ha, va = _BOX_PLACES[box_loc]
        ax.text(
            bx, by, box, transform=ax.transAxes, ha=ha, va=va, fontsize=8.5, color="#222222",
            linespacing=1.35, zorder=6, gid="effects",
            bbox={"boxstyle": "round,pad=0.45", "facecolor": "white", "edgecolor": "#BBBBBB",
                  "linewidth": 0.8},
        )  # fmt: skip

        _time_axis(ax, x, unit)
        ax.set_xlabel("Year" if unit == "year" else "Month")
        ax.set_ylabel(axis_label(units, full=not annotated))
        if from_zero:
            ax.set_ylim(bottom=0)
        if box_loc.startswith("upper"):
            shown = np.concatenate([get["observed"], get["fitted"], cf_hi[post]])
            _headroom(ax, float(np.nanmax(shown)) * 1.04, 0.30)
        style.legend(
            ax, annotated, handles=handles, labels=labels, above={"fontsize": 8.5},
            inside={"fontsize": 8},
        )  # fmt: skip

        auto_notes = [
            f"Model: segmented {family} regression of the deaths"
            + (
                " with the population as offset"
                if np.isfinite(
                    fitted["population"].to_numpy(dtype=np.float64, na_value=np.nan)
                ).all()
                else ""
            )
            + f" (Bernal et al. 2017): a step and a change of slope from {t0_text}; "
            "lines are the fitted values.",
            f"Dashed line and band: counterfactual (the trend before {t0_text} continued, no "
            f"step or slope change) with its {_pct_text(conf)} confidence interval.",
            f"Deaths averted = counterfactual minus observed deaths, {_range_label(start, end)} "
            "(negative: more deaths than the continued trend); interval from simulated "
            "coefficients, reflecting the counterfactual's uncertainty only.",
        ]
        auto_notes += _model_notes(effects, get["status"])
        if title is None:
            title = "Interrupted time series" + (f": {_series_label(key)}" if key else "")
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax


# --- log-linear trend -------------------------------------------------------------------------


def plot_trend(
    fit: TrendFit,
    series: Any = None,
    *,
    scale: Scale = "count",
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    annotate: bool | None = None,
) -> Axes:
    """Log-linear trend: observed deaths (or rates), fitted trend with its band and the APC.

    Parameters
    ----------
    fit : TrendFit
        Result of :func:`overdose_trends.stats.trends.fit_trend`.
    series : scalar, tuple or mapping, optional
        Which series to draw (as in :func:`plot_joinpoint`).
    scale : {"count", "rate"}, default "count"
        Deaths per time unit, or rates per ``fit.per`` (needs a population).
    ax, title, units, source, notes, from_zero, annotate :
        As in :func:`plot_interrupted` (default title "Log-linear trend" and
        the series; source :data:`~overdose_trends.plots.style.SOURCE_ONS_LA`).

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ``gid`` ``"observed"``, ``"fitted"`` (line, legend label
        with the APC) and ``"fitted-ci"`` (band for the fitted mean).

    Raises
    ------
    ValueError
        For a series not in the fit, an unknown ``scale``, or ``scale="rate"``
        without a population.

    References
    ----------
    NCI Joinpoint help, "Annual Percent Change (APC)"; McCullagh & Nelder
    (1989) *Generalized Linear Models* (log-linear Poisson models with offsets).
    """
    func = "plot_trend"
    key, summary, fitted, get = _fitted_series(fit, fit.summary, series, scale, func)
    unit = _time_unit_of(fitted["time"])
    x = _x(fitted["time"])
    conf = float(fit.conf)
    units = units or _scale_units(scale, unit, fit.per)
    annotated = style.annotating(ax, annotate)
    family = _FAMILY_NAMES.get(str(summary["family"]), str(summary["family"]))

    with style.figure_axes(ax) as ax:
        band = ax.fill_between(
            x, get["lcl"], get["ucl"], color=BEFORE_COLOR, alpha=0.18, linewidth=0, zorder=1,
            gid="fitted-ci",
        )  # fmt: skip
        label = "Fitted trend: " + apc_label(
            summary["apc"], summary["apc_lcl"], summary["apc_ucl"], summary["p_value"], conf
        )
        (line,) = ax.plot(x, get["fitted"], color=BEFORE_COLOR, lw=2.2, zorder=3, gid="fitted")
        points = _draw_observed(ax, x, get["observed"], get["status"], ms=5, zorder=4)
        _time_axis(ax, x, unit)
        ax.set_xlabel("Year" if unit == "year" else "Month")
        ax.set_ylabel(axis_label(units, full=not annotated))
        if from_zero:
            ax.set_ylim(bottom=0)
        ax.legend(
            handles=[points, (band, line)],
            labels=[f"Observed {'deaths' if scale == 'count' else 'rate'}", label],
            loc="best",
        )
        auto_notes = [
            f"Line: log-linear {family} regression"
            + (" with the population as offset" if scale == "rate" else "")
            + f"; band: {_pct_text(conf)} confidence interval of the fitted mean.",
            _star_note(conf, aapc=False),
        ]
        auto_notes += _model_notes(summary, get["status"])
        if title is None:
            title = "Log-linear trend" + (f": {_series_label(key)}" if key else "")
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax
