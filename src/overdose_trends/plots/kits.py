"""Take-home naloxone figures: kits against deaths, and deaths averted beside the naive claim.

:func:`plot_kits_vs_deaths`
    Deaths registered per year (a line, upper panel) above kits issued and
    kits returned used per calendar year (bars, lower panel): two aligned
    panels sharing the years, each with its own scale from 0 (never two
    y-axes on one panel).
:func:`plot_deaths_averted`
    The estimates of :func:`overdose_trends.stats.averted.deaths_averted`: a point and
    its uncertainty interval per estimator, with the naive "every used kit is a
    life saved" figure shown as a lone point, labelled as the naive claim.

References
----------
Bird SM, Parmar MKB, Strang J (2015). Take-home naloxone to prevent fatalities
from opiate-overdose. *Drugs: Education, Prevention and Policy* 22(1):66-76.

McDonald R, Strang J (2016). Are take-home naloxone programmes effective?
*Addiction* 111(7):1177-1187.

Coffin PO, Sullivan SD (2013). Cost-effectiveness of distributing naloxone to
heroin users for lay overdose reversal. *Annals of Internal Medicine* 158(1):1-9.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import NDArray

from overdose_trends._frames import numeric, require_columns
from overdose_trends.plots import style
from overdose_trends.plots._common import (
    PeriodLike,
    annotating,
    as_years,
    figure_axes,
    finish,
    legend,
    nice_name,
    one_row_per,
    thousands_formatter,
    unique_float,
)
from overdose_trends.plots._docs import figure_doc

__all__ = [
    "ESTIMATOR_LABELS",
    "SOURCE_DEATHS_AVERTED_MODEL",
    "UNITS_KITS_DEATHS",
    "plot_deaths_averted",
    "plot_kits_vs_deaths",
]

#: Row labels of the estimators of :func:`overdose_trends.stats.averted.deaths_averted`.
ESTIMATOR_LABELS = {
    "naive": "Naive claim: every kit\nused = a life saved",
    "use_based": "Use-based estimate",
    "distribution_based": "Distribution-based\nestimate",
}
#: What the ``kits`` column counts for each estimator.
_KITS_WORD = {"naive": "kits used", "use_based": "kits used", "distribution_based": "kits issued"}
#: Source line of the deaths-averted model.
SOURCE_DEATHS_AVERTED_MODEL = (
    "model overdose_trends.deaths_averted (Bird et al. 2015; McDonald & Strang 2016; "
    "Coffin & Sullivan 2013)"
)
_KIT_MEASURES = ("kits_issued", "kits_returned_used")
_KIT_STYLE = {
    "kits_issued": (style.PALETTE["sky_blue"], "Kits issued"),
    "kits_returned_used": (style.PALETTE["blue"], "Kits returned used"),
}
_DEATHS_LABEL = {"poisoning": "Drug-poisoning deaths", "misuse": "Drug-misuse deaths"}
#: Units line of :func:`plot_kits_vs_deaths`.
UNITS_KITS_DEATHS = "Deaths registered per year (upper panel); kits per calendar year (lower panel)"


def _is_synthetic(counts: pd.DataFrame, synthetic: bool | None) -> bool:
    if synthetic is not None:
        return bool(synthetic)
    return bool(counts["service"].astype(str).str.contains("synthetic", case=False).any())


def _kit_source(synthetic: bool) -> str:
    return style.SOURCE_SYNTHETIC_KITS if synthetic else "take-home naloxone kit counts"


def _yearly_kits(
    counts: pd.DataFrame, area_code: str | None, service: str | None
) -> tuple[pd.DataFrame, str]:
    """Kit rows of one area and service, checked to be calendar years; and the area code."""
    func = "plot_kits_vs_deaths"
    require_columns(
        counts,
        ["area_code", "service", "period_start", "period_end", "measure", "value", "status"],
        func,
    )
    df = counts.loc[counts["measure"].isin(_KIT_MEASURES)]
    if len(df) == 0:
        raise ValueError(f"{func}: kit_counts has no {list(_KIT_MEASURES)} rows")
    areas = list(dict.fromkeys(df["area_code"].astype(str)))
    if area_code is None:
        if len(areas) > 1:
            raise ValueError(f"{func}: kit_counts covers areas {areas}; pass area_code=")
        area_code = areas[0]
    elif area_code not in areas:
        raise ValueError(f"{func}: area {area_code!r} not in kit_counts; it has {areas}")
    df = df.loc[df["area_code"].astype(str) == area_code]
    services = list(dict.fromkeys(df["service"].astype(str)))
    if service is None or (service == "all" and "all" not in services):
        if len(services) > 1:
            raise ValueError(
                f"{func}: kit_counts has services {services} for {area_code}; pass service= "
                '("all" for the totals of kits.aggregate_kits(..., total=True))'
            )
        service = services[0]
    elif service not in services:
        raise ValueError(f"{func}: service {service!r} not in kit_counts; it has {services}")
    df = df.loc[df["service"].astype(str) == service].copy()
    start = pd.to_datetime(df["period_start"])
    end = pd.to_datetime(df["period_end"])
    yearly = (
        (start.dt.month == 1) & (start.dt.day == 1) & (end.dt.month == 12) & (end.dt.day == 31)
    ) & (start.dt.year == end.dt.year)
    if not yearly.all():
        row = df.index[~yearly.to_numpy()][0]
        raise ValueError(
            f"{func}: kit_counts row {row!r} ({start[row]:%Y-%m-%d} to {end[row]:%Y-%m-%d}) is "
            "not a calendar year; sum to years first with "
            "overdose_trends.stats.kit_metrics.kit_counts(counts, period='year')"
        )
    df["year"] = start.dt.year.to_numpy()
    one_row_per(df, ["year", "measure"], func)
    return df, area_code


def _yearly_deaths(
    deaths: pd.DataFrame, area_code: str, measure: str | None, sex: str | None
) -> pd.DataFrame:
    func = "plot_kits_vs_deaths"
    require_columns(deaths, ["period_start", "period_end", "deaths"], func)
    df = deaths
    if "area_code" in df.columns:
        df = df.loc[df["area_code"].astype(str) == area_code]
    if measure is not None and "measure" in df.columns:
        df = df.loc[df["measure"] == measure]
    if sex is not None and "sex" in df.columns:
        df = df.loc[df["sex"] == sex]
    df = df.loc[df["period_start"] == df["period_end"]]
    if len(df) == 0:
        raise ValueError(
            f"{func}: deaths has no single-year rows for area {area_code!r}"
            + (f", measure {measure!r}" if measure else "")
            + (f", sex {sex!r}" if sex else "")
        )
    one_row_per(df, ["period_start"], func)
    return df


def _year_span(
    kits: pd.DataFrame,
    dead: pd.DataFrame,
    years: PeriodLike | None,
    context_years: int,
    func: str,
) -> tuple[int, int]:
    """First and last year shown: ``years``, or ``context_years`` before kits began to their end.

    The first year is never before the first year of deaths or kits.
    """
    kit_years = kits["year"].to_numpy()
    if years is None:
        first, last = int(kit_years.min()) - int(context_years), int(kit_years.max())
    else:
        first, last = as_years(years, func)
    death_year = numeric(dead, "period_start")
    return max(first, int(min(death_year.min(), kit_years.min()))), last


class _Bars(NamedTuple):
    """What the kit bars showed, for the legend and the notes."""

    drawn: dict[str, bool]  # measure -> any bar drawn
    marks: dict[str, int]  # "n/r" / "supp." -> count of missing values marked
    part_years: dict[int, float]  # year -> share of the year with records (hatched bars)


def _draw_kit_bars(ax: Axes, kits: pd.DataFrame, first: int, last: int) -> _Bars:
    """Side-by-side bars of kits issued and returned used; marks where a count is missing."""
    out = _Bars(dict.fromkeys(_KIT_MEASURES, False), {}, {})
    for j, m in enumerate(_KIT_MEASURES):
        rows = kits.loc[(kits["measure"] == m) & kits["year"].between(first, last)]
        if len(rows) == 0:
            continue
        color, label = _KIT_STYLE[m]
        x = rows["year"].to_numpy(dtype=np.float64) + (j - 0.5) * 0.4
        value = numeric(rows, "value")
        known = np.isfinite(value)
        bars = ax.bar(
            x[known], value[known], width=0.4, color=color, label=label, zorder=2,
            gid=f"bars-{m}",
        )  # fmt: skip
        out.drawn[m] = bool(known.any())
        if "coverage" in rows.columns:
            coverage = numeric(rows, "coverage")[known]
            year = rows["year"].to_numpy()[known]
            for bar, share, y in zip(bars, coverage, year, strict=True):
                if share < 1 - 1e-9:
                    bar.set_hatch("////")
                    bar.set_edgecolor("white")
                    out.part_years[int(y)] = float(share)
        for xi, st in zip(x[~known], rows["status"].astype(str).to_numpy()[~known], strict=True):
            mark = "supp." if st == "suppressed" else "n/r"
            out.marks[mark] = out.marks.get(mark, 0) + 1
            ax.text(
                xi, 0.01, mark, transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=7, color="#4D4D4D", rotation=90, gid="not-reported",
            )  # fmt: skip
    return out


def _year_axis(ax: Axes, first: int, last: int) -> NDArray[np.int_]:
    """Kits axis from 0 and the years along x (about 10 labelled); the grid of years."""
    grid = np.arange(first, last + 1)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(thousands_formatter())
    ax.set_ylabel("Kits per year")
    ax.set_xlabel("Year")
    ax.set_xlim(first - 0.6, last + 0.6)
    ax.set_xticks(grid, [str(y) if (y - first) % max(1, grid.size // 10) == 0 else ""
                          for y in grid])  # fmt: skip
    return grid


def _panels(ax: Axes) -> tuple[Axes, Axes]:
    """Split the place of ``ax`` into two aligned panels sharing x: (deaths above, kits below)."""
    fig = ax.get_figure(root=False)
    spec = ax.get_subplotspec()
    if spec is None or fig is None:
        raise ValueError(
            "plot_kits_vs_deaths: ax must be a subplot (e.g. from plt.subplots()); its place "
            "is split into the deaths panel and the kits panel"
        )
    grid = spec.subgridspec(2, 1, height_ratios=(1.0, 1.35))
    ax.remove()
    top = fig.add_subplot(grid[0])
    bottom = fig.add_subplot(grid[1], sharex=top)
    top.tick_params(labelbottom=False)
    return top, bottom


def _draw_deaths(
    top: Axes, dead: pd.DataFrame, grid: NDArray[np.int_], measure: str | None
) -> None:
    """The deaths per year as a line in the upper panel (from 0)."""
    first, last = int(grid[0]), int(grid[-1])
    death_year = numeric(dead, "period_start")
    keep = (death_year >= first) & (death_year <= last)
    order = np.argsort(death_year[keep])
    d_year = death_year[keep][order]
    d_value = numeric(dead, "deaths")[keep][order]
    full = np.full(grid.size, np.nan)
    full[(d_year - first).astype(int)] = d_value
    top.plot(
        grid, full, color=style.PALETTE["black"], marker="o", lw=1.8, zorder=3,
        label=_DEATHS_LABEL.get(str(measure), "Deaths"), gid="deaths",
    )  # fmt: skip
    top.set_ylim(bottom=0, top=max(1.0, float(np.nanmax(full)) * 1.15))
    top.yaxis.set_major_formatter(thousands_formatter())
    top.set_ylabel("Deaths per year")


def _kits_notes(bars: _Bars, synthetic: bool) -> list[str]:
    notes = []
    if synthetic:
        notes.append(style.NOTE_SYNTHETIC_KITS)
    if "n/r" in bars.marks:
        notes.append("n/r: not reported for the whole year (e.g. the programme started part-way).")
    if "supp." in bars.marks:
        notes.append("supp.: suppressed (small number).")
    if bars.part_years:
        shares = ", ".join(f"{y}: {share:.0%}" for y, share in sorted(bars.part_years.items()))
        notes.append(
            f"Hatched bars: part years, kits recorded for only part of the year ({shares} of "
            "the year's days)."
        )
    notes.append(
        "Deaths are registrations in the calendar year. The panels share the years; each has "
        "its own scale from 0."
    )
    return notes


@figure_doc(
    ax="a new figure in the house style; a given subplot's place is split into the two panels",
    title='"Take-home naloxone kits and deaths per year, <area>"',
    units=":data:`UNITS_KITS_DEATHS`",
    source="the kit source (synthetic or not) and "
    ":data:`~overdose_trends.plots.style.SOURCE_ONS_LA`",
    notes="synthetic data, missing counts, part years, the two panels",
)
def plot_kits_vs_deaths(
    kit_counts: pd.DataFrame,
    deaths: pd.DataFrame,
    *,
    area_code: str | None = None,
    service: str | None = "all",
    measure: str | None = "poisoning",
    sex: str | None = "persons",
    years: PeriodLike | None = None,
    context_years: int = 5,
    synthetic: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Deaths per year (upper panel) above kits issued and returned used per year (lower panel).

    Parameters
    ----------
    kit_counts : pandas.DataFrame
        Yearly kit counts: :func:`overdose_trends.stats.kit_metrics.kit_counts` with
        ``period="year"`` (columns of
        :data:`overdose_trends.schema.COUNT_COLUMNS`; measures
        ``kits_issued`` and ``kits_returned_used`` are drawn). A value that is
        ``<NA>`` (suppressed, or not reported for the whole year) gets no bar
        but an "n/r" or "supp." mark. With a ``coverage`` column (share of
        the year with records), bars of part years (coverage below 1, e.g. a
        service that began in October) are hatched and explained in a note.
    deaths : pandas.DataFrame
        Deaths registered per year: :func:`overdose_trends.io.datasets.la_deaths`
        rows (single years, ``period_start == period_end``, are used; rows are
        filtered by ``area_code``, ``measure`` and ``sex`` where those columns exist).
    area_code : str, optional
        Area to draw; needed when ``kit_counts`` covers several.
    service : str or None, default "all"
        Service whose kits are drawn (``"all"``: totals over services); when
        absent and the area has a single service, that one.
    measure : str or None, default "poisoning"
        Filter of ``deaths`` (None: no filter).
    sex : str or None, default "persons"
        Filter of ``deaths`` (None: no filter).
    years : period, optional
        First and last year shown, in any period notation
        (:func:`overdose_trends.schema.as_period`: ``(2010, 2019)``,
        ``"2010-19"``); default from ``context_years`` before the first kit
        year to the last kit year.
    context_years : int, default 5
        Years of deaths shown before kits began, for context.
    synthetic : bool, optional
        Whether the kit data are synthetic (adds
        :data:`~overdose_trends.plots.style.NOTE_SYNTHETIC_KITS` and the
        synthetic source); default: when a service name contains "synthetic",
        as in the shipped data.
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        The kits panel (lower, from 0). Bars are rectangles with ``gid``
        ``"bars-kits_issued"`` / ``"bars-kits_returned_used"`` (hatched for
        part years), marks of missing counts texts ``"not-reported"``. The
        deaths line (``gid`` ``"deaths"``) is in the deaths panel above it
        (``ax.get_shared_x_axes().get_siblings(ax)``: same years, same
        width, its own scale from 0), which also holds the legend.

    Raises
    ------
    ValueError
        For missing columns, no kit rows, several areas or services without
        ``area_code`` / ``service``, kit periods that are not calendar years,
        repeated years, or no single-year deaths for the area.

    References
    ----------
    Bird, Parmar & Strang (2015) (kits issued relative to opioid deaths as the
    coverage measure); ONS, *Deaths related to drug poisoning by local
    authority* (deaths by year of registration); Government Analysis Function
    (2023), *Data visualisation: charts* (avoid dual axes: use separate,
    aligned charts).

    Examples
    --------
    The synthetic Norfolk kit log's yearly counts against Norfolk's deaths:

    >>> yearly = ot.kit_counts(ot.datasets.synthetic_kit_counts(), period="year")
    >>> ax = ot.plot_kits_vs_deaths(yearly, ot.datasets.la_deaths(), area_code="E10000020")
    >>> print(ax.figure.texts[0].get_text())
    Take-home naloxone kits and deaths per year, Norfolk
    >>> issued = [bar for bar in ax.patches if bar.get_gid() == "bars-kits_issued"]
    >>> {round(bar.get_x() + 0.4): int(bar.get_height()) for bar in issued}  # 2015: "n/r"
    {2016: 575, 2017: 836, 2018: 1110, 2019: 1352}
    """
    func = "plot_kits_vs_deaths"
    synthetic = _is_synthetic(kit_counts, synthetic)
    kits, area_code = _yearly_kits(kit_counts, area_code, service)
    dead = _yearly_deaths(deaths, area_code, measure, sex)
    first, last = _year_span(kits, dead, years, context_years, func)
    annotated = annotating(ax, annotate)
    place = nice_name(dead["area_name"].iloc[0]) if "area_name" in dead.columns else area_code

    with figure_axes(ax, figsize=(8.0, 6.0) if ax is None else None) as ax:
        top, ax = _panels(ax)
        bars = _draw_kit_bars(ax, kits, first, last)
        grid = _year_axis(ax, first, last)
        _draw_deaths(top, dead, grid, measure)
        if (fig := ax.get_figure(root=False)) is not None:
            fig.align_ylabels([top, ax])
        # plain swatches for the kits: the bars' own handle copies the first bar, maybe hatched
        handles: list[Artist] = [
            Patch(facecolor=_KIT_STYLE[m][0], label=_KIT_STYLE[m][1])
            for m in _KIT_MEASURES
            if bars.drawn[m]
        ]
        handles = [*top.get_legend_handles_labels()[0], *handles]
        legend(
            top, annotated, handles=handles, ncols=3, loc="best",
            inside={"frameon": True, "edgecolor": "none"},
        )  # fmt: skip
        if title is None:
            title = f"Take-home naloxone kits and deaths per year, {place}"
        finish(
            top, annotated=annotated, title=title, units=units or UNITS_KITS_DEATHS,
            source=source or [_kit_source(synthetic), style.SOURCE_ONS_LA],
            notes=[*_kits_notes(bars, synthetic), *notes],
        )  # fmt: skip
    return ax


# --- deaths averted ---------------------------------------------------------------------------


def _fmt(values: Sequence[float]) -> list[str]:
    """Numbers of one row with the same decimals: one below 10 (by the first), else none."""
    digits = 1 if abs(values[0]) < 10 else 0
    return [f"{v:,.{digits}f}" for v in values]


class _Estimates(NamedTuple):
    """The rows of a deaths-averted table, one entry per estimator."""

    central: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    naive: NDArray[np.bool_]  # the naive claim: a lone point
    has: NDArray[np.bool_]  # an estimate to draw
    band: NDArray[np.bool_]  # an interval to draw
    labels: list[str]  # row labels
    reasons: list[str]  # why a row has no estimate (its ``assumptions``)


def _estimates(estimates: pd.DataFrame, func: str) -> _Estimates:
    require_columns(estimates, ["estimator", "central", "lower", "upper"], func)
    if len(estimates) == 0:
        raise ValueError(f"{func}: estimates has no rows")
    est = estimates["estimator"].astype(str).to_numpy()
    central, lower, upper = (numeric(estimates, c) for c in ("central", "lower", "upper"))
    kits = numeric(estimates, "kits") if "kits" in estimates.columns else np.full(len(est), np.nan)
    naive = est == "naive"
    has = np.isfinite(central)
    labels = []
    for e, k in zip(est, kits, strict=True):
        text = ESTIMATOR_LABELS.get(e, e.replace("_", " ").capitalize())
        if np.isfinite(k):
            text += f"\n({k:,.0f} {_KITS_WORD.get(e, 'kits')})"
        labels.append(text)
    reasons = [""] * len(est)
    if "assumptions" in estimates.columns:
        reasons = [str(v) for v in estimates["assumptions"]]
    band = has & ~naive & np.isfinite(lower) & np.isfinite(upper)
    return _Estimates(central, lower, upper, naive, has, band, labels, reasons)


def _draw_estimates(ax: Axes, e: _Estimates, y: NDArray[np.float64]) -> None:
    """Intervals and points of the estimates, the naive claim as a hollow diamond."""
    if e.band.any():
        ax.hlines(
            y[e.band], e.lower[e.band], e.upper[e.band], color=style.PALETTE["blue"], lw=3.0,
            zorder=2, gid="intervals",
        )  # fmt: skip
    point = e.has & ~e.naive
    if point.any():
        ax.plot(
            e.central[point], y[point], ls="none", marker="o", ms=8,
            color=style.PALETTE["blue"], zorder=3, gid="estimates",
        )  # fmt: skip
    claim = e.has & e.naive
    if claim.any():
        ax.plot(
            e.central[claim], y[claim], ls="none", marker="D", ms=8, mfc="white",
            mec=style.PALETTE["vermillion"], mew=2.0, zorder=3, gid="naive",
        )  # fmt: skip


def _draw_values(ax: Axes, e: _Estimates, y: NDArray[np.float64], top: float, log_x: bool) -> None:
    """Each row's numbers above its interval, or why it has no estimate."""
    for i in range(len(y)):
        if not e.has[i]:
            reason = e.reasons[i]
            ax.text(
                0.01, y[i], "not estimated" + (f": {reason}" if reason else ""),
                transform=ax.get_yaxis_transform(), va="center", ha="left", fontsize=8.5,
                color="#4D4D4D", gid="value",
            )  # fmt: skip
            continue
        if e.naive[i]:
            text = f"{_fmt([e.central[i]])[0]} (naive claim)"
            color = style.PALETTE["vermillion"]
            left, right = e.central[i], e.central[i]
        elif e.band[i]:
            c, lo, hi = _fmt([e.central[i], e.lower[i], e.upper[i]])
            text, color = f"{c} ({lo} to {hi})", "#222222"
            left, right = e.lower[i], e.upper[i]
        else:
            text, color = _fmt([e.central[i]])[0], "#222222"
            left, right = e.central[i], e.central[i]
        # text above the interval, growing away from the nearer edge of the axis
        at_right = right > 0.6 * top if not log_x else False
        ax.annotate(
            text, (right if at_right else left, y[i]), xytext=(0, 9),
            textcoords="offset points", ha="right" if at_right else "left", va="bottom",
            fontsize=8.5, color=color, gid="value",
        )  # fmt: skip


def _averted_axes(ax: Axes, e: _Estimates, y: NDArray[np.float64], top: float, log_x: bool) -> None:
    n = len(y)
    ax.set_yticks(y, e.labels)
    ax.set_ylim(n - 0.4, -0.6)
    ax.xaxis.grid(True)
    ax.yaxis.grid(False)
    ax.tick_params(axis="y", length=0)
    if log_x:
        positive = np.r_[e.central[e.has], e.lower[e.band], e.upper[e.band]]
        positive = positive[positive > 0]
        ax.set_xscale("log")
        ax.set_xlim(max(positive.min() / 2, 0.1) if positive.size else 0.1, top * 2)
    else:
        ax.set_xlim(0, top * 1.12)
        ax.xaxis.set_major_formatter(thousands_formatter())
    ax.set_xlabel("Deaths averted")


def _averted_notes(conf: float, synthetic: bool) -> list[str]:
    notes = [
        f"Intervals: {100 * conf:g}% uncertainty intervals (parameter priors and chance).",
        "Use-based: kits used x (P(fatal without naloxone) - P(fatal with)); "
        "distribution-based: kits issued / kits per death averted (from a US model).",
        "The naive figure counts every kit returned used as a life saved; shown for contrast.",
    ]
    if synthetic:
        notes.insert(0, style.NOTE_SYNTHETIC_KITS)
    return notes


@figure_doc(
    ax="a new figure in the house style, its height growing with the rows",
    title='"Deaths averted by take-home naloxone, and the naive claim"',
    source="the kit source (synthetic or not) and :data:`SOURCE_DEATHS_AVERTED_MODEL`",
    notes="synthetic data, the intervals, the estimators",
)
def plot_deaths_averted(
    estimates: pd.DataFrame,
    *,
    synthetic: bool = False,
    log_x: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Deaths averted per estimator: point and interval, with the naive claim as a lone point.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Output of :func:`overdose_trends.stats.averted.deaths_averted`: ``estimator``
        (``"naive"``, ``"use_based"``, ``"distribution_based"``), ``central``,
        ``lower``, ``upper``; optional ``kits``, ``conf`` and ``assumptions``
        (shown for a row without an estimate). Rows are drawn top to bottom.
    synthetic : bool, default False
        The kit counts come from synthetic data: adds
        :data:`~overdose_trends.plots.style.NOTE_SYNTHETIC_KITS` and the
        synthetic source.
    log_x : bool, default False
        Deaths averted on a log scale (when the naive figure dwarfs the others).
    {shared.ax}
    {shared.title}
    {shared.source}
    {shared.notes}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Intervals are a LineCollection with ``gid`` ``"intervals"``, estimate
        points ``"estimates"``, the naive point ``"naive"`` (a diamond, no
        interval), value texts ``"value"``.

    Raises
    ------
    ValueError
        For missing columns or no rows.

    References
    ----------
    Bird, Parmar & Strang (2015); McDonald & Strang (2016); Coffin & Sullivan
    (2013); see :mod:`overdose_trends.stats.averted`.

    Examples
    --------
    380 kits returned used and 3,873 issued (the synthetic Norfolk service):

    >>> estimates = ot.deaths_averted(kits_used=380, kits_issued=3873, seed=1)
    >>> ax = ot.plot_deaths_averted(estimates, synthetic=True)
    >>> for text in ax.texts:
    ...     print(text.get_text())
    380 (naive claim)
    35 (16 to 59)
    17 (4 to 55)
    """
    func = "plot_deaths_averted"
    e = _estimates(estimates, func)
    n = len(e.labels)
    y = np.arange(n, dtype=np.float64)
    conf = unique_float(estimates, "conf", 0.95)
    annotated = annotating(ax, annotate)
    top = float(np.nanmax(np.r_[e.central[e.has], e.upper[e.band]])) if e.has.any() else 1.0

    with figure_axes(ax, figsize=(style.FIGSIZE[0], 3.4 + 0.8 * n)) as ax:
        _draw_estimates(ax, e, y)
        _draw_values(ax, e, y, top, log_x)
        _averted_axes(ax, e, y, top, log_x)
        handles = [
            Line2D([], [], color=style.PALETTE["blue"], marker="o", lw=3, label="Estimate and "
                   f"{100 * conf:g}% uncertainty interval"),
            Line2D([], [], ls="none", marker="D", mfc="white", mec=style.PALETTE["vermillion"],
                   mew=2, label="Naive claim (not an estimate)"),
        ]  # fmt: skip
        legend(ax, annotated, handles=handles)
        if title is None:
            title = "Deaths averted by take-home naloxone, and the naive claim"
        finish(
            ax, annotated=annotated, title=title,
            units="Deaths averted (central estimate and uncertainty interval)",
            source=source or [_kit_source(synthetic), SOURCE_DEATHS_AVERTED_MODEL],
            notes=[*_averted_notes(conf, synthetic), *notes],
        )  # fmt: skip
    return ax
