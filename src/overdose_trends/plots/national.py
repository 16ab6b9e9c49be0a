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
from overdose_trends.plots._common import (
    PeriodLike,
    annotating,
    as_years,
    axis_label,
    draw_rate_series,
    figure_axes,
    finish,
    grid_series,
    interval_note,
    measure_title,
    nice_name,
    one_row_per,
    status_notes,
    table_status,
    unique_float,
    unique_value,
    units_for,
)
from overdose_trends.plots._docs import figure_doc

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
_SUBSTANCE_COLUMNS = (
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


def _check_substances(
    national: pd.DataFrame, substances: str | Sequence[str], func: str
) -> list[str]:
    require_columns(national, _SUBSTANCE_COLUMNS, func)
    wanted = [substances] if isinstance(substances, str) else list(substances)
    if not wanted:
        raise ValueError(f"{func}: give at least one substance")
    if len(wanted) > len(style.SERIES_COLORS):
        raise ValueError(f"{func}: at most {len(style.SERIES_COLORS)} substances in one figure")
    return wanted


def _select_substances(
    national: pd.DataFrame,
    wanted: list[str],
    area_code: str,
    measure: str,
    sex: str,
    years: PeriodLike | None,
    func: str,
) -> pd.DataFrame:
    """The ASMR rows of the substances, checked: one single-year row per substance and year."""
    df = national
    if "table" in df.columns:
        df = df.loc[df["table"] == "asmr"]
    df = df.loc[(df["area_code"] == area_code) & (df["measure"] == measure) & (df["sex"] == sex)]
    if years is not None:
        first, last = as_years(years, func)
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
    if np.any(numeric(df, "period_start") != numeric(df, "period_end")):
        raise ValueError(f"{func}: expects single-year rows (period_start == period_end)")
    return df


def _draw_substances(ax: Axes, df: pd.DataFrame, wanted: list[str]) -> list[str]:
    """Band, line and markers of each substance over the years; the statuses shown."""
    status = table_status(df)
    start = numeric(df, "period_start")
    grid = np.arange(start.min(), start.max() + 1)
    slot = (start - grid[0]).astype(int)
    codes = df["substance"].astype(str).to_numpy()
    shown_status: list[str] = []
    for i, code in enumerate(wanted):
        rate, lcl, ucl, st, shown = grid_series(df, codes == code, slot, grid.size, status)
        draw_rate_series(
            ax, grid, rate, lcl, ucl, st,
            color=style.SERIES_COLORS[i], key=code, label=_substance_name(code),
        )  # fmt: skip
        shown_status.extend(shown)
    ax.set_xlim(grid[0] - 0.5, grid[-1] + 0.5)
    return shown_status


@figure_doc(
    title='"<measure> by substance mentioned, <area>"',
    units="from ``rate_per`` (:data:`~overdose_trends.plots.style.UNITS_ASMR_MILLION` for "
    "a million)",
    source=":data:`~overdose_trends.plots.style.SOURCE_ONS_NATIONAL`",
    notes="interval level, what a mention counts, small-number markers, gaps",
)
def plot_substances(
    national: pd.DataFrame,
    substances: str | Sequence[str] = ("heroin_morphine", "methadone", "cocaine"),
    *,
    area_code: str = "K04000001",
    measure: str = "poisoning",
    sex: str = "persons",
    years: PeriodLike | None = None,
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
    substances : str or sequence of str, default ("heroin_morphine", "methadone", "cocaine")
        Substance codes, in legend order (at most 7); e.g. add ``"fentanyl"``
        (most of its years have too few deaths for a rate).
    area_code : str, default "K04000001"
        England and Wales.
    measure : {"poisoning", "misuse"}, default "poisoning"
        Deaths related to drug poisoning, or to drug misuse.
    sex : {"persons", "males", "females"}, default "persons"
        Sex of the rates.
    years : period, optional
        First and last year to show, in any period notation
        (:func:`overdose_trends.schema.as_period`: ``(2011, 2021)``,
        ``"2011-21"``, ``"2011 to 2021"``); default all.
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
        x is the registration year. Artists have ``gid`` ``"rate-<substance>"``,
        ``"ci-<substance>"`` and the marker ids ``"ok-<substance>"``,
        ``"unreliable-<substance>"`` and ``"not_calculated-<substance>"``.

    Raises
    ------
    ValueError
        For missing columns, substances not in the selection (the message lists
        those available), no rows for the area, measure, sex and years, several
        rows for one substance and year, multi-year periods, or more than 7 substances.

    Notes
    -----
    Rates follow the ONS small-number rules
    (:func:`overdose_trends.schema.rate_status`): nothing is drawn at a rate
    from fewer than 10 deaths.

    References
    ----------
    ONS (2022), *Deaths related to drug poisoning in England and Wales: 2021
    registrations*, Table 4.

    Examples
    --------
    >>> national = ot.datasets.national_deaths()
    >>> ax = ot.plot_substances(national, ["heroin_morphine", "cocaine"], years="2011-21")
    >>> print(ax.figure.texts[0].get_text())  # the title, wrapped to the figure's width
    Deaths related to drug poisoning by substance mentioned, England and Wales
    >>> [line.get_label() for line in ax.lines if str(line.get_gid()).startswith("rate-")]
    ['Heroin and morphine', 'Cocaine']
    >>> heroin = next(a for a in ax.lines if a.get_gid() == "rate-heroin_morphine")
    >>> heroin.get_ydata()[[0, -1]].tolist()  # per million, 2011 and 2021
    [10.5, 21.1]
    """
    func = "plot_substances"
    wanted = _check_substances(national, substances, func)
    df = _select_substances(national, wanted, area_code, measure, sex, years, func)
    units = units or units_for(unique_float(df, "rate_per", PER_MILLION))
    conf = unique_float(df, "conf", ONS_LIMITS_CONF)
    annotated = annotating(ax, annotate)

    with figure_axes(ax) as ax:
        shown_status = _draw_substances(ax, df, wanted)
        ax.set_xlabel("Year of registration")
        ax.set_ylabel(axis_label(units, full=not annotated))
        if from_zero:
            ax.set_ylim(bottom=0)
        ax.legend(loc="upper left")
        auto_notes = [interval_note(conf), _NOTE_MENTIONS, *status_notes(shown_status)]
        if "missing" in shown_status:
            auto_notes.append("Gaps: no rate published for the year.")
        if title is None:
            place = nice_name(unique_value(df, "area_name", area_code))
            title = f"{measure_title(df)} by substance mentioned, {place}"
        finish(
            ax, annotated=annotated, title=title, units=units,
            source=source or style.SOURCE_ONS_NATIONAL, notes=[*auto_notes, *notes],
        )  # fmt: skip
    return ax
