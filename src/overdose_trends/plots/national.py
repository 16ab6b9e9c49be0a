"""National figures: age-standardised death rates by substance mentioned, over time.

:func:`plot_substances`
    ONS national Table 4 rates per million (heroin and morphine, methadone,
    cocaine, fentanyl ...) for England and Wales, one line with a confidence
    band per substance.

References
----------
Office for National Statistics (2022). *Deaths related to drug poisoning in
England and Wales: 2021 registrations*, reference tables, Table 4
(age-standardised mortality rates per million by substance mentioned, 2013 ESP,
95% limits; rates not calculated below 10 deaths, unreliable from 10 to 19).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from overdose_trends._frames import numeric, require_columns
from overdose_trends.constants import ONS_LIMITS_CONF, PER_MILLION
from overdose_trends.plots import style
from overdose_trends.plots.rates import (
    axis_label,
    draw_rate_series,
    grid_series,
    measure_title,
    one_row_per,
    table_status,
    unique_value,
)

__all__ = ["SUBSTANCE_NAMES", "plot_substances"]

#: Display names of ONS substance codes (others: underscores become spaces).
SUBSTANCE_NAMES = {
    "heroin_morphine": "Heroin and morphine",
    "methadone": "Methadone",
    "cocaine": "Cocaine",
    "fentanyl": "Fentanyl",
    "any_opiate": "Any opiate",
    "ecstasy_mdma": "Ecstasy (MDMA)",
    "new_psychoactive_substance": "New psychoactive substances",
    "any_benzodiazepine": "Any benzodiazepine",
    "zopiclone_zolpidem": "Zopiclone or zolpidem",
    "all": "All drug poisonings",
}

#: Columns :func:`plot_substances` needs.
SUBSTANCE_COLUMNS = (
    "area_code",
    "measure",
    "sex",
    "substance",
    "period_start",
    "period_end",
    "rate",
    "lcl",
    "ucl",
)

_NOTE_MENTIONS = (
    "Substances are those mentioned on the death certificate: a death mentioning several is "
    "counted under each."
)


def _substance_name(code: str) -> str:
    return SUBSTANCE_NAMES.get(code, code.replace("_", " ").capitalize())


def plot_substances(
    national: pd.DataFrame,
    substances: Sequence[str] = ("heroin_morphine", "methadone", "cocaine"),
    *,
    area_code: str = "K04000001",
    measure: str = "poisoning",
    sex: str = "persons",
    years: tuple[int, int] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    annotate: bool | None = None,
) -> Axes:
    """Age-standardised death rates by substance mentioned, one line and band per substance.

    Parameters
    ----------
    national : pandas.DataFrame
        :func:`overdose_trends.io.datasets.national_deaths` (only its
        ``table == "asmr"`` rows are used when there is a ``table`` column), or
        any table with ``area_code``, ``measure``, ``sex``, ``substance``,
        single-year ``period_start`` = ``period_end``, ``rate``, ``lcl``,
        ``ucl`` and ``rate_status`` and/or ``deaths``.
    substances : sequence of str, default ("heroin_morphine", "methadone", "cocaine")
        Substance codes, in legend order (at most 7); e.g. add ``"fentanyl"``
        (most of its years have too few deaths for a rate).
    area_code : str, default "K04000001"
        England and Wales.
    measure : {"poisoning", "misuse"}, default "poisoning"
    sex : {"persons", "males", "females"}, default "persons"
    years : (int, int), optional
        First and last year to show; default all.
    ax : Axes, optional
        Draw into this Axes; otherwise a new figure in the house style.
    title, units, source, notes, from_zero, annotate :
        As in :func:`overdose_trends.plots.rates.plot_rate_trend` (default units
        :data:`~overdose_trends.plots.style.UNITS_ASMR_MILLION`, source
        :data:`~overdose_trends.plots.style.SOURCE_ONS_NATIONAL`).

    Returns
    -------
    matplotlib.axes.Axes
        x is the registration year. Artists have ``gid`` ``"rate-<substance>"``,
        ``"ci-<substance>"`` and the marker ids of
        :func:`~overdose_trends.plots.style.draw_points`.

    Raises
    ------
    ValueError
        For missing columns, substances not in the selection (the message lists
        those available), no rows for the area, measure, sex and years, several
        rows for one substance and year, multi-year periods, or more than 7 substances.

    Notes
    -----
    Rates follow the ONS small-number rules (see
    :func:`~overdose_trends.plots.style.point_status`): nothing is drawn
    at a rate from fewer than 10 deaths.

    References
    ----------
    ONS (2022), *Deaths related to drug poisoning in England and Wales: 2021
    registrations*, Table 4.
    """
    func = "plot_substances"
    require_columns(national, SUBSTANCE_COLUMNS, func)
    wanted = [substances] if isinstance(substances, str) else list(substances)
    if not wanted:
        raise ValueError(f"{func}: give at least one substance")
    if len(wanted) > len(style.SERIES_COLORS):
        raise ValueError(f"{func}: at most {len(style.SERIES_COLORS)} substances in one figure")
    df = national
    if "table" in df.columns:
        df = df.loc[df["table"] == "asmr"]
    df = df.loc[(df["area_code"] == area_code) & (df["measure"] == measure) & (df["sex"] == sex)]
    if years is not None:
        first, last = (int(y) for y in years)
        df = df.loc[(df["period_start"] >= first) & (df["period_end"] <= last)]
    if len(df) == 0:
        raise ValueError(
            f"{func}: no rows for area_code={area_code!r}, measure={measure!r}, sex={sex!r}"
            + (f", years {years}" if years is not None else "")
        )
    available = list(dict.fromkeys(df["substance"].astype(str)))
    missing = [s for s in wanted if s not in available]
    if missing:
        raise ValueError(f"{func}: substance(s) {missing} not in the data; it has {available}")
    df = df.loc[df["substance"].isin(wanted)]
    one_row_per(df, ["substance", "period_start", "period_end"], func)
    start, end = numeric(df, "period_start"), numeric(df, "period_end")
    if np.any(start != end):
        raise ValueError(f"{func}: expects single-year rows (period_start == period_end)")
    status = table_status(df)
    grid = np.arange(start.min(), start.max() + 1)
    slot = (start - grid[0]).astype(int)
    rate_per = float(unique_value(df, "rate_per", PER_MILLION))
    units = units or style.units_for(rate_per)
    conf = float(unique_value(df, "conf", ONS_LIMITS_CONF))
    annotated = style.annotating(ax, annotate)
    codes = df["substance"].astype(str).to_numpy()

    with style.figure_axes(ax) as ax:
        shown_status: list[str] = []
        for i, code in enumerate(wanted):
            rate, lcl, ucl, st, shown = grid_series(df, codes == code, slot, grid.size, status)
            draw_rate_series(
                ax, grid, rate, lcl, ucl, st,
                color=style.SERIES_COLORS[i], key=code, label=_substance_name(code),
            )  # fmt: skip
            shown_status.extend(shown)
        ax.set_xlim(grid[0] - 0.5, grid[-1] + 0.5)
        ax.set_xlabel("Year of registration")
        ax.set_ylabel(axis_label(units, full=not annotated))
        if from_zero:
            ax.set_ylim(bottom=0)
        ax.legend(loc="upper left")
        auto_notes = [style.interval_note(conf), _NOTE_MENTIONS, *style.status_notes(shown_status)]
        if "missing" in shown_status:
            auto_notes.append("Gaps: no rate published for the year.")
        if title is None:
            place = style.nice_name(unique_value(df, "area_name", area_code))
            title = f"{measure_title(df)} by substance mentioned, {place}"
        style.finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_NATIONAL, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax
