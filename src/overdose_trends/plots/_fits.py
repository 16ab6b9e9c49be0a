"""Private helpers of the trend-model figures (:mod:`overdose_trends.plots.trends`).

Texts (signed percents with a true minus sign, APC and AAPC labels, p-values,
times of annual and monthly series), picking one series of a fit fitted with
``by=``, plot positions of years and months, the observed points by the
small-number rules, the values of a count-model fit (interrupted series,
log-linear trend) on the count or the rate scale, and the drawing shared by the
figures of interrupted and controlled fits (:mod:`overdose_trends.plots.controlled`):
the fitted lines with the counterfactual and its band, the start line and the
effects box. Not part of the public API.

References
----------
NCI Joinpoint Trend Analysis Software help, "Annual Percent Change (APC)"
(an asterisk marks an APC significantly different from zero); Clegg LX et al.
(2009), Estimating average annual per cent change in trend analysis,
*Statistics in Medicine* 28(29):3670-3682.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from overdose_trends._frames import show
from overdose_trends.plots import style
from overdose_trends.plots._common import (
    axis_label,
    draw_points,
    legend,
    point_status,
    status_notes,
    units_for,
)

if TYPE_CHECKING:
    from overdose_trends.stats.trends.interrupted import InterruptedFit
    from overdose_trends.stats.trends.loglinear import TrendFit

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
#: Names of the count-model families in notes.
FAMILY_NAMES = {"poisson": "Poisson", "negbin": "negative binomial (NB2)"}


# --- texts ------------------------------------------------------------------------------


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


def number(value: float, digits: int) -> str:
    """A number with thousands separators and a true minus sign."""
    if not np.isfinite(value):
        return "NA"
    text = f"{abs(value):,.{digits}f}"
    return MINUS + text if value < 0 and float(text.replace(",", "")) != 0 else text


def ratio(value: float) -> str:
    return number(value, 2)


def p_text(value: float) -> str:
    if not np.isfinite(value):
        return "p not available"
    return (
        "p < 0.001"
        if value < 0.001
        else f"p = {value:.2g}"
        if value < 0.01
        else (f"p = {value:.2f}")
    )


def time_label(value: Any, unit: str = "year") -> str:
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


def range_label(start: Any, end: Any, unit: str = "year") -> str:
    return f"{time_label(start, unit)}{DASH}{time_label(end, unit)}"


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
    return "APC " + change(apc, lcl, ucl, p_value, conf)


def change(value: float, lcl: float, ucl: float, p_value: float, conf: float) -> str:
    """``"+5.2% (3.1 to 7.4)*"``."""
    star = "*" if np.isfinite(p_value) and p_value < 1 - conf else ""
    return f"{percent(value)}% ({percent(lcl, sign=False)} to {percent(ucl, sign=False)}){star}"


def pct_text(conf: float) -> str:
    return f"{100 * conf:.1f}".rstrip("0").rstrip(".") + "%"


def star_note(conf: float, aapc: bool = True) -> str:
    what = "APC: annual percent change of a segment" if aapc else "APC: annual percent change"
    if aapc:
        what += "; AAPC: average annual percent change over a range (Clegg et al. 2009)"
    return (
        f"{what}; {pct_text(conf)} confidence intervals in brackets; * significantly "
        f"different from zero (p < {1 - conf:.2g})."
    )


# --- series and times ---------------------------------------------------------------------


def key_columns(table: pd.DataFrame, first_value: str) -> list[Hashable]:
    """The ``by`` columns of a result table: those before ``first_value``."""
    return list(table.columns[: table.columns.get_loc(first_value)])


def series_label(key: Mapping[Hashable, Any]) -> str:
    return ", ".join(str(v) for v in key.values())


def pick_series(
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


def rows_of(table: pd.DataFrame, key: Mapping[Hashable, Any]) -> pd.DataFrame:
    """Rows of a result table belonging to the series ``key``."""
    mask = np.ones(len(table), dtype=bool)
    for k, v in key.items():
        mask &= (table[k] == v).to_numpy(dtype=bool, na_value=False)
    return table.loc[mask]


def to_x(values: Any) -> NDArray[Any]:
    """Plot positions of times: floats for years, datetime64 for months (periods to timestamps)."""
    s = pd.Series(list(values) if not isinstance(values, pd.Series) else values)
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.to_timestamp().to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.to_numpy(dtype="datetime64[ns]")
    if s.dtype == object and len(s) and isinstance(s.iloc[0], pd.Timestamp | pd.Period):
        return to_x(pd.Series(s.tolist()))
    return s.to_numpy(dtype=np.float64)


def midpoint(a: Any, b: Any) -> Any:
    if isinstance(a, np.datetime64):
        return a + (b - a) / 2
    return (float(a) + float(b)) / 2.0


def time_axis(ax: Axes, x: NDArray[Any], unit: str) -> None:
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


def label_axes(
    ax: Axes, x: NDArray[Any], unit: str, units: str, *, annotated: bool, from_zero: bool
) -> None:
    """Time axis (:func:`time_axis`), axis labels and, with ``from_zero``, a value axis from 0.

    The value axis is labelled with ``units`` in full only on a figure that is
    not annotated (an annotated figure states the units under its title).
    """
    time_axis(ax, x, unit)
    ax.set_xlabel("Year" if unit == "year" else "Month")
    ax.set_ylabel(axis_label(units, full=not annotated))
    if from_zero:
        ax.set_ylim(bottom=0)


def time_unit_of(times: pd.Series) -> str:
    x = to_x(times)
    return "month" if np.issubdtype(x.dtype, np.datetime64) else "year"


def per_time(unit: str) -> str:
    return "month" if unit == "month" else "year"


def scale_units(scale: str, unit: str, per: float) -> str:
    """Units line of a model's values: deaths per year (month), or crude rates per ``per``."""
    if scale == "count":
        return f"Deaths per {per_time(unit)}"
    return units_for(per, standardised=False)


def draw_observed(
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
    (:func:`~overdose_trends.plots._common.draw_points`).
    """
    shown = np.isin(status, ["ok", "unreliable"])
    (points,) = ax.plot(
        x, np.where(shown, value, np.nan), ls="none", marker="o", ms=ms, color=OBSERVED_COLOR,
        zorder=zorder, gid="observed",
    )  # fmt: skip
    flagged = np.isin(status, ["unreliable", "not_calculated"])
    if flagged.any():
        pos = mdates.date2num(x) if np.issubdtype(x.dtype, np.datetime64) else x
        draw_points(
            ax, pos[flagged], value[flagged], status[flagged], color=OBSERVED_COLOR,
            key="observed", size=ms, zorder=zorder + 0.5,
        )  # fmt: skip
    return points


# --- count-model fits (interrupted series, log-linear trends) -------------------------------


def count_digits(*values: float) -> int:
    """Decimals for deaths: one below 100, none from 100."""
    finite = [abs(v) for v in values if np.isfinite(v)]
    return 1 if finite and max(finite) < 100 else 0


def scale_columns(fitted: pd.DataFrame, scale: str, func: str) -> dict[str, str]:
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


def fitted_series(
    fit: InterruptedFit | TrendFit, table: pd.DataFrame, series: Any, scale: str, func: str
) -> tuple[dict[Hashable, Any], pd.Series, pd.DataFrame, dict[str, NDArray[np.float64]]]:
    """The series to draw of a model fit: key, row of ``table``, fitted rows and their values.

    ``table`` is the fit's one-row-per-series table (``effects`` or
    ``summary``). The values are the observed, fitted and interval columns
    on ``scale`` (:func:`scale_columns`), plus ``"deaths"`` (the observed
    counts, for the small-number rules) and ``"status"`` of each observed
    value (:func:`~overdose_trends.plots._common.point_status` for rates,
    all ``"ok"`` for counts).
    """
    key = pick_series(table, key_columns(table, "family"), series, func)
    fitted = rows_of(fit.fitted, key).reset_index(drop=True)
    cols = scale_columns(fitted, scale, func)
    if "counterfactual" in fitted.columns:  # interrupted time series
        cols["cf"] = "counterfactual" if scale == "count" else "counterfactual_rate"
    values: dict[str, Any] = {
        k: fitted[c].to_numpy(dtype=np.float64, na_value=np.nan) for k, c in cols.items()
    }
    deaths = fitted["observed"].to_numpy(dtype=np.float64, na_value=np.nan)
    values["status"] = (
        point_status(values["observed"], deaths)
        if scale == "rate"
        else np.full(len(deaths), "ok", dtype=object)
    )
    return key, rows_of(table, key).iloc[0], fitted, values


def model_notes(row: pd.Series, status: NDArray[Any]) -> list[str]:
    """Small-number notes of the observed points and the model's overdispersion advice."""
    notes = status_notes(status)
    advice = str(row.get("advice", "") or "")
    if advice:
        notes.append(f"Model check: {advice}.")
    return notes


def headroom(ax: Axes, top_value: float, share: float) -> None:
    """Raise the top of the value axis so the top ``share`` of the Axes is free for a box."""
    if np.isfinite(top_value) and top_value > 0:
        bottom = ax.get_ylim()[0]
        ax.set_ylim(bottom, bottom + (top_value - bottom) / (1.0 - share))


# --- interrupted and controlled fits: shared drawing ---------------------------------------

#: Text positions of the effects box, in axes coordinates, by corner.
BOX_PLACES = {
    "upper left": (0.02, 0.97, "left", "top"),
    "upper right": (0.98, 0.97, "right", "top"),
    "lower left": (0.02, 0.03, "left", "bottom"),
    "lower right": (0.98, 0.03, "right", "bottom"),
}
#: Opacity of the counterfactual's confidence band (and of its legend patch).
BAND_ALPHA = 0.15


def last_pre(post: NDArray[np.bool_]) -> int:
    """Index of the last time before the intervention (``post`` marks the times from it)."""
    return int(np.flatnonzero(post)[0]) - 1


def draw_counterfactual(
    ax: Axes,
    x: NDArray[Any],
    post: NDArray[np.bool_],
    fitted: NDArray[np.float64],
    cf: NDArray[np.float64],
    cf_lo: NDArray[np.float64],
    cf_hi: NDArray[np.float64],
) -> list[Any]:
    """Counterfactual band and line, and the fitted lines before and from the intervention.

    The band (``gid`` ``"counterfactual-ci"``, limits ``cf_lo`` to ``cf_hi``)
    covers the times from the intervention; the dashed counterfactual line
    (``"counterfactual"``) starts at the last time before it, so it leaves the
    fitted line before the intervention (``"fitted-pre"``, the "before"
    colour) where that line ends; the fitted line from the intervention is
    ``"fitted-post"`` (the "after" colour).

    Returns
    -------
    list
        Legend handles: the fitted line before, the one after, and the
        counterfactual as a (band patch, dashed line) pair.
    """
    first = last_pre(post)
    ax.fill_between(
        x[post], cf_lo[post], cf_hi[post], color=BEFORE_COLOR, alpha=BAND_ALPHA, linewidth=0,
        zorder=1, gid="counterfactual-ci",
    )  # fmt: skip
    (cf_line,) = ax.plot(
        x[first:], cf[first:], color=BEFORE_COLOR, ls="--", lw=1.8, zorder=3,
        gid="counterfactual",
    )  # fmt: skip
    (pre_line,) = ax.plot(
        x[~post], fitted[~post], color=BEFORE_COLOR, lw=2.2, zorder=4, gid="fitted-pre"
    )
    (post_line,) = ax.plot(
        x[post], fitted[post], color=AFTER_COLOR, lw=2.2, zorder=4, gid="fitted-post"
    )
    band = Patch(facecolor=BEFORE_COLOR, alpha=BAND_ALPHA, linewidth=0)
    return [pre_line, post_line, (band, cf_line)]


def draw_start_line(ax: Axes, x: NDArray[Any], post: NDArray[np.bool_]) -> Line2D:
    """The intervention (programme start) as a vertical line, ``gid`` ``"intervention"``.

    Drawn halfway between the last time before the intervention and the first
    from it: the points stand for whole years (months), so for annual data
    and an intervention in 2015 the line is at 2014.5.
    """
    i = last_pre(post)
    boundary = midpoint(x[i], x[i + 1])
    (line,) = ax.plot(
        [boundary, boundary], [0, 1], transform=ax.get_xaxis_transform(), color="#4D4D4D",
        lw=1.0, ls="-.", zorder=2, gid="intervention",
    )  # fmt: skip
    return line


def draw_effects_box(ax: Axes, text: str, loc: str = "upper left") -> Text:
    """The effects box (``gid`` ``"effects"``) in the corner ``loc`` of :data:`BOX_PLACES`."""
    bx, by, ha, va = BOX_PLACES[loc]
    return ax.text(
        bx, by, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8.5, color="#222222",
        linespacing=1.35, zorder=6, gid="effects",
        bbox={"boxstyle": "round,pad=0.45", "facecolor": "white", "edgecolor": "#BBBBBB",
              "linewidth": 0.8},
    )  # fmt: skip


def fit_legend(ax: Axes, annotated: bool, handles: list[Any], labels: list[str]) -> None:
    """Legend of an interrupted or controlled fit: above the Axes (annotated) or inside."""
    legend(
        ax, annotated, handles=handles, labels=labels, above={"fontsize": 8.5},
        inside={"fontsize": 8},
    )  # fmt: skip
