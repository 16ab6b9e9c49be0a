"""Take-home naloxone figures: kits against deaths, and deaths averted beside the naive claim.

:func:`plot_kits_vs_deaths`
    Kits issued and kits returned used per calendar year (bars) with the
    deaths registered per year (a line on a second, labelled axis).
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

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from overdose_trends._frames import numeric, require_columns
from overdose_trends.plots import style
from overdose_trends.plots.rates import one_row_per, unique_value

__all__ = ["ESTIMATOR_LABELS", "UNITS_KITS_DEATHS", "plot_deaths_averted", "plot_kits_vs_deaths"]

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
UNITS_KITS_DEATHS = (
    "Kits per calendar year (bars, left axis); deaths registered per year (line, right axis)"
)


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


def plot_kits_vs_deaths(
    kit_counts: pd.DataFrame,
    deaths: pd.DataFrame,
    *,
    area_code: str | None = None,
    service: str | None = "all",
    measure: str | None = "poisoning",
    sex: str | None = "persons",
    years: tuple[int, int] | None = None,
    context_years: int = 5,
    synthetic: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    annotate: bool | None = None,
) -> Axes:
    """Kits issued and returned used per year (bars) against deaths per year (line, second axis).

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
    measure, sex : str or None, default "poisoning", "persons"
        Filters of ``deaths`` (None: no filter).
    years : (int, int), optional
        First and last year shown; default from ``context_years`` before the
        first kit year to the last kit year.
    context_years : int, default 5
        Years of deaths shown before kits began, for context.
    synthetic : bool, optional
        Whether the kit data are synthetic (adds
        :data:`~overdose_trends.plots.style.NOTE_SYNTHETIC_KITS` and the
        synthetic source); default: when a service name contains "synthetic",
        as in the shipped data.
    ax : Axes, optional
        Draw into this Axes (the deaths go on a twin Axes sharing x); otherwise
        a new figure in the house style.
    title, source, notes, annotate :
        As in :func:`overdose_trends.plots.rates.plot_rate_trend`.
    units : str, optional
        Units line; default :data:`UNITS_KITS_DEATHS`.

    Returns
    -------
    matplotlib.axes.Axes
        The kits Axes (left axis, from 0). Bars are rectangles with ``gid``
        ``"bars-kits_issued"`` / ``"bars-kits_returned_used"`` (hatched for
        part years), marks of missing
        counts texts ``"not-reported"``; the deaths line
        (``gid`` ``"deaths"``) is on the twin Axes
        (``ax.get_shared_x_axes().get_siblings(ax)``), also from 0, which also
        holds the legend.

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
    authority* (deaths by year of registration).
    """
    func = "plot_kits_vs_deaths"
    synthetic = _is_synthetic(kit_counts, synthetic)
    kits, area_code = _yearly_kits(kit_counts, area_code, service)
    dead = _yearly_deaths(deaths, area_code, measure, sex)
    kit_years = kits["year"].to_numpy()
    if years is None:
        first, last = int(kit_years.min()) - int(context_years), int(kit_years.max())
    else:
        first, last = (int(y) for y in years)
        if first > last:
            raise ValueError(f"{func}: years must be (first, last), got {years}")
    death_year = numeric(dead, "period_start")
    first = max(first, int(min(death_year.min(), kit_years.min())))
    grid = np.arange(first, last + 1)
    annotated = style.annotating(ax, annotate)
    place = style.nice_name(dead["area_name"].iloc[0]) if "area_name" in dead.columns else area_code

    with style.figure_axes(ax) as ax:
        missing_marks: dict[str, int] = {}
        part_years: dict[int, float] = {}
        by_measure = dict.fromkeys(_KIT_MEASURES, False)  # any bar drawn
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
            by_measure[m] = bool(known.any())
            if "coverage" in rows.columns:
                coverage = numeric(rows, "coverage")[known]
                year = rows["year"].to_numpy()[known]
                for bar, share, y in zip(bars, coverage, year, strict=True):
                    if share < 1 - 1e-9:
                        bar.set_hatch("////")
                        bar.set_edgecolor("white")
                        part_years[int(y)] = float(share)
            for xi, st in zip(
                x[~known], rows["status"].astype(str).to_numpy()[~known], strict=True
            ):
                mark = "supp." if st == "suppressed" else "n/r"
                missing_marks[mark] = missing_marks.get(mark, 0) + 1
                ax.text(
                    xi, 0.01, mark, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=7, color="#4D4D4D", rotation=90, gid="not-reported",
                )  # fmt: skip
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(style.thousands_formatter())
        ax.set_ylabel("Kits per year")
        ax.set_xlabel("Year")
        ax.set_xlim(first - 0.6, last + 0.6)
        ax.set_xticks(grid, [str(y) if (y - first) % max(1, grid.size // 10) == 0 else ""
                              for y in grid])  # fmt: skip

        twin = ax.twinx()
        twin.spines["right"].set_visible(True)
        twin.grid(False)
        keep = (death_year >= first) & (death_year <= last)
        order = np.argsort(death_year[keep])
        d_year = death_year[keep][order]
        d_value = numeric(dead, "deaths")[keep][order]
        d_label = _DEATHS_LABEL.get(str(measure), "Deaths") + " (right axis)"
        full = np.full(grid.size, np.nan)
        full[(d_year - first).astype(int)] = d_value
        twin.plot(
            grid, full, color=style.PALETTE["black"], marker="o", lw=1.8, zorder=3,
            label=d_label, gid="deaths",
        )  # fmt: skip
        twin.set_ylim(bottom=0, top=max(1.0, float(np.nanmax(full)) * 1.15))
        twin.set_ylabel("Deaths registered per year")
        ax.set_ylim(top=max(1.0, ax.get_ylim()[1] * 1.1))
        # plain swatches for the kits: the bars' own handle copies the first bar, maybe hatched
        handles = [
            Patch(facecolor=_KIT_STYLE[m][0], label=_KIT_STYLE[m][1])
            for m in _KIT_MEASURES
            if by_measure[m]
        ]
        handles += twin.get_legend_handles_labels()[0]
        # on the twin Axes, which is drawn last, so the deaths line never crosses the legend
        style.legend(
            twin, annotated, handles=handles, ncols=3, loc="upper left",
            inside={"frameon": True, "edgecolor": "none"},
        )  # fmt: skip

        auto_notes = []
        if synthetic:
            auto_notes.append(style.NOTE_SYNTHETIC_KITS)
        if "n/r" in missing_marks:
            auto_notes.append(
                "n/r: not reported for the whole year (e.g. the programme started part-way)."
            )
        if "supp." in missing_marks:
            auto_notes.append("supp.: suppressed (small number).")
        if part_years:
            shares = ", ".join(f"{y}: {share:.0%}" for y, share in sorted(part_years.items()))
            auto_notes.append(
                f"Hatched bars: part years, kits recorded for only part of the year ({shares} of "
                "the year's days)."
            )
        auto_notes.append(
            "Deaths are registrations in the calendar year; kits and deaths have separate axes."
        )
        if title is None:
            title = f"Take-home naloxone kits and deaths per year, {place}"
        style.finish(
            ax, annotated=annotated, title=title, units=units or UNITS_KITS_DEATHS,
            source=source or [_kit_source(synthetic), style.SOURCE_ONS_LA],
            notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax


def _fmt(values: Sequence[float]) -> list[str]:
    """Numbers of one row with the same decimals: one below 10 (by the first), else none."""
    digits = 1 if abs(values[0]) < 10 else 0
    return [f"{v:,.{digits}f}" for v in values]


def plot_deaths_averted(
    estimates: pd.DataFrame,
    *,
    ax: Axes | None = None,
    synthetic: bool = False,
    log_x: bool = False,
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
    ax : Axes, optional
        Draw into this Axes; otherwise a new figure in the house style.
    synthetic : bool, default False
        The kit counts come from synthetic data: adds
        :data:`~overdose_trends.plots.style.NOTE_SYNTHETIC_KITS` and the
        synthetic source.
    log_x : bool, default False
        Deaths averted on a log scale (when the naive figure dwarfs the others).
    title, source, notes, annotate :
        As in :func:`overdose_trends.plots.rates.plot_rate_trend`.

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
    """
    func = "plot_deaths_averted"
    require_columns(estimates, ["estimator", "central", "lower", "upper"], func)
    if len(estimates) == 0:
        raise ValueError(f"{func}: estimates has no rows")
    est = estimates["estimator"].astype(str).to_numpy()
    central, lower, upper = (numeric(estimates, c) for c in ("central", "lower", "upper"))
    kits = numeric(estimates, "kits") if "kits" in estimates.columns else np.full(len(est), np.nan)
    n = len(est)
    y = np.arange(n, dtype=np.float64)
    naive = est == "naive"
    has = np.isfinite(central)
    labels = []
    for e, k in zip(est, kits, strict=True):
        text = ESTIMATOR_LABELS.get(e, e.replace("_", " ").capitalize())
        if np.isfinite(k):
            text += f"\n({k:,.0f} {_KITS_WORD.get(e, 'kits')})"
        labels.append(text)
    conf = float(unique_value(estimates, "conf", 0.95))
    annotated = style.annotating(ax, annotate)
    figsize = (style.FIGSIZE[0], 3.4 + 0.8 * n)

    with style.figure_axes(ax, figsize=figsize) as ax:
        band = has & ~naive & np.isfinite(lower) & np.isfinite(upper)
        if band.any():
            ax.hlines(
                y[band], lower[band], upper[band], color=style.PALETTE["blue"], lw=3.0,
                zorder=2, gid="intervals",
            )  # fmt: skip
        point = has & ~naive
        if point.any():
            ax.plot(
                central[point], y[point], ls="none", marker="o", ms=8,
                color=style.PALETTE["blue"], zorder=3, gid="estimates",
            )  # fmt: skip
        claim = has & naive
        if claim.any():
            ax.plot(
                central[claim], y[claim], ls="none", marker="D", ms=8, mfc="white",
                mec=style.PALETTE["vermillion"], mew=2.0, zorder=3, gid="naive",
            )  # fmt: skip
        top = float(np.nanmax(np.r_[central[has], upper[band]])) if has.any() else 1.0
        for i in range(n):
            if not has[i]:
                reason = str(estimates["assumptions"].iloc[i]) if "assumptions" in estimates else ""
                ax.text(
                    0.01, y[i], "not estimated" + (f": {reason}" if reason else ""),
                    transform=ax.get_yaxis_transform(), va="center", ha="left", fontsize=8.5,
                    color="#4D4D4D", gid="value",
                )  # fmt: skip
                continue
            if naive[i]:
                text = f"{_fmt([central[i]])[0]} (naive claim)"
                color = style.PALETTE["vermillion"]
                left, right = central[i], central[i]
            elif band[i]:
                c, lo, hi = _fmt([central[i], lower[i], upper[i]])
                text, color = f"{c} ({lo} to {hi})", "#222222"
                left, right = lower[i], upper[i]
            else:
                text, color = _fmt([central[i]])[0], "#222222"
                left, right = central[i], central[i]
            # text above the interval, growing away from the nearer edge of the axis
            at_right = right > 0.6 * top if not log_x else False
            ax.annotate(
                text, (right if at_right else left, y[i]), xytext=(0, 9),
                textcoords="offset points", ha="right" if at_right else "left", va="bottom",
                fontsize=8.5, color=color, gid="value",
            )  # fmt: skip
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.4, -0.6)
        ax.xaxis.grid(True)
        ax.yaxis.grid(False)
        ax.tick_params(axis="y", length=0)
        if log_x:
            positive = np.r_[central[has], lower[band], upper[band]]
            positive = positive[positive > 0]
            ax.set_xscale("log")
            ax.set_xlim(max(positive.min() / 2, 0.1) if positive.size else 0.1, top * 2)
        else:
            ax.set_xlim(0, top * 1.12)
            ax.xaxis.set_major_formatter(style.thousands_formatter())
        ax.set_xlabel("Deaths averted")
        handles = [
            Line2D([], [], color=style.PALETTE["blue"], marker="o", lw=3, label="Estimate and "
                   f"{100 * conf:g}% uncertainty interval"),
            Line2D([], [], ls="none", marker="D", mfc="white", mec=style.PALETTE["vermillion"],
                   mew=2, label="Naive claim (not an estimate)"),
        ]  # fmt: skip
        style.legend(ax, annotated, handles=handles)
        auto_notes = [
            f"Intervals: {100 * conf:g}% uncertainty intervals (parameter priors and chance).",
            "Use-based: kits used x (P(fatal without naloxone) - P(fatal with)); "
            "distribution-based: kits issued / kits per death averted (from a US model).",
            "The naive figure counts every kit returned used as a life saved; shown for contrast.",
        ]
        if synthetic:
            auto_notes.insert(0, style.NOTE_SYNTHETIC_KITS)
        if title is None:
            title = "Deaths averted by take-home naloxone, and the naive claim"
        style.finish(
            ax, annotated=annotated, title=title,
            units="Deaths averted (central estimate and uncertainty interval)",
            source=source or [_kit_source(synthetic), SOURCE_DEATHS_AVERTED_MODEL],
            notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax
