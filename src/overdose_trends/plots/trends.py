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
    vertical line, and a box with the step, the slope change and how many fewer
    (or more) deaths there were than the earlier trend predicts, each with its
    interval.
:func:`plot_trend`
    A :class:`~overdose_trends.stats.trends.loglinear.TrendFit`: observed deaths
    (or rates) and the fitted log-linear trend with its confidence band and APC.

Each fit result also draws its figure itself: ``fit.plot()``.

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

import textwrap
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from overdose_trends._frames import numeric, require_columns, show
from overdose_trends.constants import MIN_DEATHS_FOR_RATE, ONS_LIMITS_CONF
from overdose_trends.plots import style
from overdose_trends.plots._common import (
    annotating,
    deaths_column,
    default_source,
    figure_axes,
    finish,
    interval_note,
    legend,
    nice_name,
    status_notes,
    table_status,
    unique_float,
    unique_value,
    units_for,
)
from overdose_trends.plots._docs import figure_doc
from overdose_trends.plots._fits import (
    BEFORE_COLOR,
    BOX_PLACES,
    FAMILY_NAMES,
    OBSERVED_COLOR,
    TALL_FIGSIZE,
    apc_label,
    change,
    count_digits,
    draw_counterfactual,
    draw_effects_box,
    draw_observed,
    draw_start_line,
    fit_legend,
    fitted_series,
    headroom,
    key_columns,
    label_axes,
    model_notes,
    number,
    p_text,
    pct_text,
    pick_series,
    range_label,
    ratio,
    rows_of,
    scale_units,
    series_label,
    star_note,
    time_label,
    time_unit_of,
    to_x,
)

if TYPE_CHECKING:
    from overdose_trends.stats.trends.interrupted import InterruptedFit
    from overdose_trends.stats.trends.joinpoint import JoinpointFit
    from overdose_trends.stats.trends.loglinear import TrendFit

__all__ = ["plot_interrupted", "plot_joinpoint", "plot_trend"]


# --- joinpoint --------------------------------------------------------------------------------


class _Joinpoint(NamedTuple):
    """One series of a joinpoint fit, and the input rows behind its observed points."""

    key: dict[Hashable, Any]  # the series' ``by`` values
    model: pd.Series  # its row of ``fit.models``
    segments: pd.DataFrame
    times: pd.Series
    x: NDArray[Any]  # plot positions of the times
    observed: NDArray[np.float64]
    fitted: NDArray[np.float64]
    unit: str  # "year" or "month"
    rows: pd.DataFrame | None  # the rows of ``data`` at the fitted times
    lo: NDArray[np.float64] | None  # their confidence limits
    hi: NDArray[np.float64] | None
    status: NDArray[np.object_]  # small-number status of each observed value


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
    rows = rows_of(data, key)
    where = f" for series {series_label(key)}" if key else ""
    at = pd.Index(to_x(rows[time]))
    if at.has_duplicates:
        dup = at[at.duplicated()][0]
        raise ValueError(
            f"{func}: data has several rows{where} at {time}={show(dup)}; pass the table "
            "the fit was made from (one measure, sex and substance)"
        )
    pos = at.get_indexer(to_x(times))
    if (pos < 0).any():
        missing = times.iloc[int(np.flatnonzero(pos < 0)[0])]
        raise ValueError(
            f"{func}: data has no row{where} at {time}={show(missing)}; pass the table the "
            "fit was made from"
        )
    return rows.iloc[pos]


def _joinpoint_series(
    fit: JoinpointFit,
    series: Any,
    data: pd.DataFrame | None,
    columns: tuple[Hashable, Hashable, Hashable],
    func: str,
) -> _Joinpoint:
    """The series to draw, with the limits and small-number status of its observed values."""
    key = pick_series(fit.models, key_columns(fit.models, "model"), series, func)
    fitted = rows_of(fit.fitted, key)
    times = fitted["time"].reset_index(drop=True)
    observed = fitted["observed"].to_numpy(dtype=np.float64, na_value=np.nan)
    rows = lo = hi = None
    status = np.full(len(observed), "ok", dtype=object)
    counted = False  # deaths or statuses known for the small-number rules
    if data is not None:
        time, lcl, ucl = columns
        if time == "year" and "year" not in data.columns and "period_start" in data.columns:
            time = "period_start"  # as the models read the readers' tables
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
            stacklevel=3,
        )
    return _Joinpoint(
        key=key, model=rows_of(fit.models, key).iloc[0],
        segments=rows_of(fit.segments, key).sort_values("segment"), times=times,
        x=to_x(times), observed=observed, fitted=fitted["fitted"].to_numpy(dtype=np.float64),
        unit=getattr(fit, "time_unit", "year"), rows=rows, lo=lo, hi=hi, status=status,
    )  # fmt: skip


def _joinpoint_units(fit: JoinpointFit, data: pd.DataFrame | None, unit: str) -> str:
    per = getattr(fit, "per", np.nan)
    if fit.scale == "count" or (per is not None and np.isfinite(per)):
        return scale_units(fit.scale, unit, per)
    rate_per = unique_value(data, "rate_per") if data is not None else None
    if rate_per is not None:
        return units_for(float(rate_per))
    return "Rate (in the units of the input series)"


def _joinpoint_source(fit: JoinpointFit, rows: pd.DataFrame | None) -> str:
    """From the input table; without it ONS national tables for rate input, else local ones."""
    if rows is not None:
        return default_source(rows)
    if fit.scale == "rate" and not np.isfinite(getattr(fit, "per", np.nan)):
        return style.SOURCE_ONS_NATIONAL
    return style.SOURCE_ONS_LA


def _aapc_title(
    fit: JoinpointFit, s: _Joinpoint, ranges: Sequence[tuple[Any, Any]], conf: float
) -> str:
    """The legend title: the AAPC over the whole series, then over each range asked for."""
    whole = rows_of(fit.aapc(), s.key).iloc[0]
    extra = [rows_of(fit.aapc(a, b), s.key).iloc[0] for a, b in ranges]
    return "\n".join(
        f"AAPC {range_label(row['start'], row['end'], s.unit)}: "
        + change(row["aapc"], row["aapc_lcl"], row["aapc_ucl"], row["p_value"], conf)
        for row in (whole, *extra)
    )


def _draw_joinpoint(
    ax: Axes, s: _Joinpoint, conf: float, limits_conf: float, scale: str
) -> tuple[list[Any], list[str]]:
    """Observed points (and bars), one line per segment, the joinpoints; legend entries."""
    point = Line2D([], [], ls="none", marker="o", ms=4.5, color=OBSERVED_COLOR)
    handles: list[Any] = [point]
    labels = [f"Observed {'count' if scale == 'count' else 'rate'}"]
    if s.lo is not None and s.hi is not None:
        ok = np.isfinite(s.observed) & np.isfinite(s.lo) & np.isfinite(s.hi)
        ok &= np.isin(s.status, ["ok", "unreliable"])
        ax.vlines(
            s.x[ok], s.lo[ok], s.hi[ok], color=style.NEUTRAL, linewidth=1.2, zorder=2,
            gid="observed-ci",
        )  # fmt: skip
        bar = Line2D([], [], ls="none", marker="|", ms=11, mew=1.2, color=style.NEUTRAL)
        handles[0] = (bar, point)
        labels[0] += f" ({pct_text(limits_conf)} CI)"
    draw_observed(ax, s.x, s.observed, s.status, ms=4.5, zorder=3)
    apcs = s.segments[["apc", "apc_lcl", "apc_ucl", "p_value"]].to_numpy(dtype=np.float64)
    for i, seg in enumerate(s.segments.itertuples(index=False)):
        in_seg = ((s.times >= seg.start) & (s.times <= seg.end)).to_numpy(dtype=bool)
        apc, lcl, ucl, p_value = apcs[i]
        label = f"{range_label(seg.start, seg.end)}: " + apc_label(apc, lcl, ucl, p_value, conf)
        (line,) = ax.plot(
            s.x[in_seg], s.fitted[in_seg], color=style.SERIES_COLORS[i % len(style.SERIES_COLORS)],
            lw=2.2, zorder=4, gid=f"segment-{seg.segment}", label=label,
        )  # fmt: skip
        handles.append(line)
        labels.append(label)
    joinpoints = list(s.model["joinpoints"])
    if joinpoints:
        for jp in to_x(pd.Series(joinpoints)):
            ax.axvline(jp, color=style.NEUTRAL, ls=":", lw=1.2, zorder=1, gid="joinpoint")
        handles.append(Line2D([], [], color=style.NEUTRAL, ls=":", lw=1.2))
        labels.append("Joinpoint" + ("s" if len(joinpoints) > 1 else ""))
    return handles, labels


#: How the number of joinpoints was chosen, by ``fit.model["selection"]``, for the notes.
_SELECTION_TEXT = {
    "permutation": "sequential permutation tests (Kim et al. 2000)",
    "bic": "the Bayesian information criterion (Kim et al. 2009)",
    "wbic": "the weighted BIC (Kim et al. 2023; NCI Joinpoint 5's default)",
}


def _joinpoint_notes(s: _Joinpoint, conf: float, limits_conf: float) -> list[str]:
    k = int(s.model["n_joinpoints"])
    selection = str(s.model["selection"])
    how = _SELECTION_TEXT.get(selection, selection)
    joinpoints = list(s.model["joinpoints"])
    at = ", ".join(time_label(j) for j in joinpoints)
    jp_text = f"{k} joinpoint{'s' if k != 1 else ''} ({at})" if k else "no joinpoint"
    notes = [
        f"Lines: log-linear joinpoint model, one colour per segment; {jp_text} chosen "
        f"from 0 to {int(s.model['max_joinpoints'])} by {how}"
        + ("; dotted lines mark the joinpoints." if k else "."),
        star_note(conf),
    ]
    if s.lo is not None:
        notes.insert(0, interval_note(limits_conf, "Bars on the points"))
    return notes + status_notes(s.status)


def _joinpoint_title(s: _Joinpoint) -> str:
    place = None
    if s.rows is not None and "area_name" in s.rows.columns:
        place = nice_name(unique_value(s.rows, "area_name", series_label(s.key)))
    elif s.key:
        place = series_label(s.key)
    return "Joinpoint regression" + (f": {place}" if place else "")


@figure_doc(
    title='"Joinpoint regression" and the area (from ``data``) or the series',
    units='by ``fit.scale``: "Deaths per year" for counts, "Deaths per 100,000, crude rate" '
    "for counts with a population, the ONS age-standardised units from "
    '``data["rate_per"]`` for rate input',
    source="from ``data``; without it the ONS national tables for rate input, otherwise "
    "the ONS local-authority tables",
    notes="points and bars, joinpoint selection, APC/AAPC and the significance star",
    from_zero=" (ignored with ``log_scale``)",
)
def plot_joinpoint(
    fit: JoinpointFit,
    series: Any = None,
    *,
    data: pd.DataFrame | None = None,
    time: Hashable = "year",
    lcl: Hashable = "lcl",
    ucl: Hashable = "ucl",
    aapc_ranges: Sequence[tuple[Any, Any]] = (),
    log_scale: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    annotate: bool | None = None,
) -> Axes:
    """Joinpoint regression: observed values, fitted segments, joinpoints, APCs and AAPC.

    Parameters
    ----------
    fit : JoinpointFit
        Result of :func:`overdose_trends.stats.trends.joinpoint.fit_joinpoint`.
    {shared.series}
    data : pandas.DataFrame, optional
        The table the fit was made from. When given, the observed points get
        their confidence intervals as bars (columns ``lcl``/``ucl``, matched on
        ``time`` and the ``by`` keys: the fit itself keeps no limits), and the
        units, source and area name default from its ``rate_per``, ``table``
        and ``area_name`` columns.
    time : hashable, default "year"
        Column of ``data`` holding the times (``"period_start"`` when there is
        no ``"year"`` column, as for the models).
    lcl : hashable, default "lcl"
        Column of ``data`` holding the lower confidence limits.
    ucl : hashable, default "ucl"
        Column of ``data`` holding the upper confidence limits.
    aapc_ranges : sequence of (start, end)
        Further ranges whose AAPC
        (:meth:`~overdose_trends.stats.trends.joinpoint.JoinpointFit.aapc`) is shown
        under the whole-range AAPC, e.g. ``[(2012, 2021)]``.
    log_scale : bool, default False
        Logarithmic value axis: log-linear segments are then straight lines.
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

    Warns
    -----
    UserWarning
        For crude rates (counts with a population) without ``data``: the
        small-number rules need the deaths.

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
    Drug-poisoning death rates in England and Wales, 1993-2021 (ONS Table 4):

    >>> nat = ot.datasets.national_deaths().query(
    ...     "table == 'asmr' and area_code == 'K04000001' and measure == 'poisoning' "
    ...     "and sex == 'persons' and substance == 'all'")
    >>> fit = ot.fit_joinpoint(nat, time="period_start", rate="rate", lcl="lcl", ucl="ucl",
    ...                        method="bic")
    >>> ax = ot.plot_joinpoint(fit, data=nat, time="period_start", aapc_ranges=[(2012, 2021)])
    >>> print(ax.figure.texts[0].get_text())
    Joinpoint regression: England and Wales
    >>> print(ax.get_legend().get_title().get_text())
    AAPC 1993–2021: +2.4% (0.9 to 3.9)*
    AAPC 2012–2021: +6.6% (2.3 to 11.0)*
    """
    func = "plot_joinpoint"
    s = _joinpoint_series(fit, series, data, (time, lcl, ucl), func)
    units = units or _joinpoint_units(fit, s.rows, s.unit)
    source = source or _joinpoint_source(fit, s.rows)
    annotated = annotating(ax, annotate)
    conf = float(fit.conf)
    limits_conf = unique_float(s.rows, "conf", ONS_LIMITS_CONF) if s.rows is not None else 0.0
    legend_title = _aapc_title(fit, s, aapc_ranges, conf)

    with figure_axes(ax, figsize=TALL_FIGSIZE) as ax:
        handles, labels = _draw_joinpoint(ax, s, conf, limits_conf, fit.scale)
        label_axes(
            ax, s.x, s.unit, units, annotated=annotated, from_zero=from_zero and not log_scale
        )
        if log_scale:
            ax.set_yscale("log")
        legend(
            ax, annotated, handles=handles, labels=labels, title=legend_title, alignment="left",
            above={"borderaxespad": None}, inside={"fontsize": 8, "title_fontsize": 8},
        )  # fmt: skip
        finish(
            ax, annotated=annotated, title=_joinpoint_title(s) if title is None else title,
            units=units, source=source, notes=[*_joinpoint_notes(s, conf, limits_conf), *notes],
        )  # fmt: skip
    return ax


# --- interrupted time series ------------------------------------------------------------------


class _Interrupted(NamedTuple):
    """One series of an interrupted-time-series fit, on the scale drawn."""

    key: dict[Hashable, Any]
    effects: pd.Series  # its row of ``fit.effects``
    averted: pd.Series  # its row of ``fit.averted``
    fitted: pd.DataFrame
    get: dict[str, NDArray[Any]]  # values on the scale: observed, fitted, cf, status ...
    x: NDArray[Any]
    post: NDArray[np.bool_]
    cf_lo: NDArray[np.float64]
    cf_hi: NDArray[np.float64]
    unit: str
    t0_text: str  # the intervention time, as text


def _interrupted_series(fit: InterruptedFit, series: Any, scale: str, func: str) -> _Interrupted:
    key, effects, fitted, get = fitted_series(fit, fit.effects, series, scale, func)
    unit = time_unit_of(fitted["time"])
    cf = "counterfactual" if scale == "count" else "counterfactual_rate"
    cf_lo, cf_hi = (fitted[f"{cf}_{b}"].to_numpy(dtype=np.float64) for b in ("lcl", "ucl"))
    return _Interrupted(
        key=key, effects=effects, averted=rows_of(fit.averted, key).iloc[0], fitted=fitted,
        get=get, x=to_x(fitted["time"]), post=fitted["post"].to_numpy(dtype=bool),
        cf_lo=cf_lo, cf_hi=cf_hi, unit=unit, t0_text=time_label(effects["intervention"], unit),
    )  # fmt: skip


#: Longest legend text of the intervention line (characters); longer texts are cut with "…"
#: and wrapped at :data:`_LABEL_WIDTH` characters a line.
_MAX_LABEL = 80
_LABEL_WIDTH = 40


def _intervention_text(label: str | None, programme: str | None, t0: str) -> str:
    """The intervention line's legend text: ``label``, ``"<programme> from <time>"`` or neutral."""
    if label is None:
        label = f"{programme.strip()} from {t0}" if programme else f"Intervention from {t0}"
    label = " ".join(str(label)[: 4 * _MAX_LABEL].split())
    if len(label) > _MAX_LABEL:
        label = label[: _MAX_LABEL - 1] + "\u2026"
    return "\n".join(textwrap.wrap(label, _LABEL_WIDTH, break_on_hyphens=False)) or label


def _draw_interrupted(
    ax: Axes, s: _Interrupted, conf: float, scale: str, intervention_label: str
) -> tuple[list[Any], list[str]]:
    """Counterfactual band and line, fitted lines, observed points, intervention; legend."""
    x, post, get, e = s.x, s.post, s.get, s.effects
    pre_line, post_line, counterfactual = draw_counterfactual(
        ax, x, post, get["fitted"], get["cf"], s.cf_lo, s.cf_hi
    )
    points = draw_observed(ax, x, get["observed"], get["status"], ms=5, zorder=5)
    line = draw_start_line(ax, x, post)
    pre = change(e["pre_apc"], e["pre_apc_lcl"], e["pre_apc_ucl"], np.nan, conf)
    post_apc = change(e["post_apc"], e["post_apc_lcl"], e["post_apc_ucl"], np.nan, conf)
    t0 = s.t0_text
    labels = [
        f"Observed {'deaths' if scale == 'count' else 'rate'}",
        f"Fitted before {t0}: APC {pre}",
        f"Fitted from {t0}: APC {post_apc}",
        f"Pre-{t0} trend continued ({pct_text(conf)} CI)",
        intervention_label,
    ]
    return [points, pre_line, post_line, counterfactual, line], labels


def _effects_box(s: _Interrupted, conf: float) -> str:
    """The step, the slope change and fewer/more deaths than predicted, with intervals."""
    e, a = s.effects, s.averted
    digits = count_digits(a["averted"], a["averted_lcl"], a["averted_ucl"])
    return "\n".join(
        [
            f"Step at {s.t0_text}: rate ratio {ratio(e['level_ratio'])} "
            f"({ratio(e['level_lcl'])} to {ratio(e['level_ucl'])}), {p_text(e['level_p'])}",
            f"Slope change: \u00d7{ratio(e['slope_change_ratio'])} per year "
            f"({ratio(e['slope_change_lcl'])} to "
            f"{ratio(e['slope_change_ucl'])}), {p_text(e['slope_change_p'])}",
            _difference_text(a, digits, conf),
            f"(observed {number(a['observed'], 0)}, expected from the earlier trend "
            f"{number(a['counterfactual'], digits)})",
        ]
    )


def _difference_text(a: pd.Series, digits: int, conf: float) -> str:
    """``2015–2019: 36 fewer deaths than the earlier trend predicts (95% CI 0.3 to 93 fewer)``.

    The counterfactual minus the observed deaths, never written as a negative number:
    an excess is "N more deaths". An interval spanning zero reads "5 more to 25 fewer".
    """
    value, lo, hi = float(a["averted"]), float(a["averted_lcl"]), float(a["averted_ucl"])
    word, other = ("fewer", "more") if not value < 0 else ("more", "fewer")
    if value < 0:
        value, lo, hi = -value, -hi, -lo
    if lo < 0:
        interval = f"{number(-lo, digits)} {other} to {number(hi, digits)} {word}"
    else:
        interval = f"{number(lo, digits)} to {number(hi, digits)} {word}"
    return (
        f"{range_label(a['start'], a['end'])}: {number(value, digits)} {word} deaths than the "
        f"earlier trend predicts\n({pct_text(conf)} CI {interval})"
    )


def _interrupted_notes(s: _Interrupted, conf: float) -> list[str]:
    family = FAMILY_NAMES.get(str(s.effects["family"]), str(s.effects["family"]))
    population = s.fitted["population"].to_numpy(dtype=np.float64, na_value=np.nan)
    offset = " with the population as offset" if np.isfinite(population).all() else ""
    span = range_label(s.averted["start"], s.averted["end"])
    t0 = s.t0_text
    notes = [
        f"Model: segmented {family} regression of the deaths{offset} (Bernal et al. 2017): "
        f"a step and a change of slope from {t0}; lines are the fitted values.",
        f"Dashed line and band: counterfactual (the trend before {t0} continued, no "
        f"step or slope change) with its {pct_text(conf)} confidence interval.",
        f"Fewer or more deaths: the counterfactual minus the observed deaths, {span}; "
        "interval from simulated coefficients, reflecting the counterfactual's uncertainty "
        "only. A difference from the earlier trend is not by itself the programme's effect.",
    ]
    return notes + model_notes(s.effects, s.get["status"])


@figure_doc(
    title='"Interrupted time series" and the series',
    units='"Deaths per year", or "Deaths per 100,000, crude rate" for ``scale="rate"``',
    notes="model, counterfactual, fewer or more deaths, the model's overdispersion advice",
)
def plot_interrupted(
    fit: InterruptedFit,
    series: Any = None,
    *,
    scale: Literal["count", "rate"] = "count",
    intervention_label: str | None = None,
    programme: str | None = None,
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
    {shared.series}
    {shared.scale}
    intervention_label : str, optional
        Legend text of the intervention line, e.g. ``"Kits supplied from
        October 2015"``: name the date and what started, neutrally. Default
        ``"<programme> from <time>"``, or ``"Intervention from <time>"``.
        Texts over 80 characters are cut short with an ellipsis; lines wrap
        at 40 characters.
    programme : str, optional
        What started at the intervention, e.g. ``"Kits supplied"``, for the
        default legend text ``"Kits supplied from 2015"``.
    box_loc : {"upper left", "upper right", "lower left", "lower right"}
        Corner of the Axes holding the effects box (step, slope change, fewer
        or more deaths than the earlier trend predicts); the value axis is
        extended so the box does not cover the data when it sits at the top.
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
    difference between the deaths the earlier trend predicts and the observed
    deaths over the post-intervention period (``averted`` of the fit), written
    "N fewer deaths than the earlier trend predicts" or, for an excess, "N
    more deaths than the earlier trend predicts" -- never a negative number
    of deaths averted -- with its interval.

    References
    ----------
    Bernal, Cummins & Gasparrini (2017) *Int J Epidemiol* 46:348-355 (figure
    of observed data, fitted model and counterfactual).

    Examples
    --------
    Deaths in Southend-on-Sea before and after take-home naloxone (2015):

    >>> la = ot.datasets.la_deaths().query(
    ...     "area_code == 'E06000033' and measure == 'poisoning' and sex == 'persons' "
    ...     "and period_start == period_end and period_start >= 2005")
    >>> fit = ot.fit_interrupted(la, time="period_start", intervention=2015, family="poisson")
    >>> ax = ot.plot_interrupted(fit, programme="Kits supplied")
    >>> print(next(t for t in ax.texts if t.get_gid() == "effects").get_text())
    Step at 2015: rate ratio 0.56 (0.31 to 1.00), p = 0.05
    Slope change: ×1.06 per year (0.88 to 1.28), p = 0.56
    2015–2019: 35.6 fewer deaths than the earlier trend predicts
    (95% CI 0.3 to 92.7 fewer)
    (observed 61, expected from the earlier trend 96.6)
    >>> ax.get_legend().get_texts()[-1].get_text()
    'Kits supplied from 2015'
    """
    func = "plot_interrupted"
    if box_loc not in BOX_PLACES:
        raise ValueError(f"{func}: box_loc must be one of {list(BOX_PLACES)}, got {box_loc!r}")
    s = _interrupted_series(fit, series, scale, func)
    units = units or scale_units(scale, s.unit, fit.per)
    annotated = annotating(ax, annotate)
    conf = float(fit.conf)

    with figure_axes(ax, figsize=TALL_FIGSIZE) as ax:
        label = _intervention_text(intervention_label, programme, s.t0_text)
        handles, labels = _draw_interrupted(ax, s, conf, scale, label)
        draw_effects_box(ax, _effects_box(s, conf), box_loc)
        label_axes(ax, s.x, s.unit, units, annotated=annotated, from_zero=from_zero)
        if box_loc.startswith("upper"):
            shown = np.concatenate([s.get["observed"], s.get["fitted"], s.cf_hi[s.post]])
            headroom(ax, float(np.nanmax(shown)) * 1.04, 0.30)
        fit_legend(ax, annotated, handles, labels)
        if title is None:
            title = "Interrupted time series" + (f": {series_label(s.key)}" if s.key else "")
        finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA,
            notes=[*_interrupted_notes(s, conf), *notes],
        )  # fmt: skip
    return ax


# --- log-linear trend -------------------------------------------------------------------------


def _trend_table(fit: TrendFit) -> pd.DataFrame:
    """The fit's one-row-per-series table."""
    return fit.estimates


@figure_doc(
    title='"Log-linear trend" and the series',
    units='"Deaths per year", or "Deaths per 100,000, crude rate" for ``scale="rate"``',
    notes="the model, APC and the significance star, the model's overdispersion advice",
)
def plot_trend(
    fit: TrendFit,
    series: Any = None,
    *,
    scale: Literal["count", "rate"] = "count",
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
        Result of :func:`overdose_trends.stats.trends.loglinear.fit_trend`.
    {shared.series}
    {shared.scale}
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

    Examples
    --------
    Drug-poisoning deaths in Norwich, 2001-2019:

    >>> la = ot.datasets.la_deaths().query(
    ...     "area_code == 'E07000148' and measure == 'poisoning' and sex == 'persons' "
    ...     "and period_start == period_end and period_start >= 2001")
    >>> fit = ot.fit_trend(la, time="period_start", family="poisson")
    >>> ax = ot.plot_trend(fit)
    >>> ax.get_legend().get_texts()[1].get_text()
    'Fitted trend: APC +1.0% (−0.9 to 3.0)'
    """
    func = "plot_trend"
    table = _trend_table(fit)
    key, row, fitted, get = fitted_series(fit, table, series, scale, func)
    unit = time_unit_of(fitted["time"])
    x = to_x(fitted["time"])
    conf = float(fit.conf)
    units = units or scale_units(scale, unit, fit.per)
    annotated = annotating(ax, annotate)
    family = FAMILY_NAMES.get(str(row["family"]), str(row["family"]))

    with figure_axes(ax) as ax:
        band = ax.fill_between(
            x, get["lcl"], get["ucl"], color=BEFORE_COLOR, alpha=0.18, linewidth=0, zorder=1,
            gid="fitted-ci",
        )  # fmt: skip
        apc, lcl, ucl, p_value = row[["apc", "apc_lcl", "apc_ucl", "p_value"]].to_numpy(
            dtype=np.float64
        )
        label = "Fitted trend: " + apc_label(apc, lcl, ucl, p_value, conf)
        (line,) = ax.plot(x, get["fitted"], color=BEFORE_COLOR, lw=2.2, zorder=3, gid="fitted")
        points = draw_observed(ax, x, get["observed"], get["status"], ms=5, zorder=4)
        label_axes(ax, x, unit, units, annotated=annotated, from_zero=from_zero)
        ax.legend(
            handles=[points, (band, line)],
            labels=[f"Observed {'deaths' if scale == 'count' else 'rate'}", label],
            loc="best",
        )
        auto_notes = [
            f"Line: log-linear {family} regression"
            + (" with the population as offset" if scale == "rate" else "")
            + f"; band: {pct_text(conf)} confidence interval of the fitted mean.",
            star_note(conf, aapc=False),
            *model_notes(row, get["status"]),
        ]
        if title is None:
            title = "Log-linear trend" + (f": {series_label(key)}" if key else "")
        finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax
