"""Check and unpack the panel of a controlled evaluation: one treated area and its comparators.

Private to :mod:`overdose_trends.stats.trends.controlled`. :func:`panel` takes
the long table (one row per area and year), keeps the treated area and the
comparison areas, checks every series with
:func:`~overdose_trends.stats.trends._series.prepare` (gaps, repeated years,
counts, populations, deaths above the population) and then what a comparison
needs on top: known areas, the treated area not among its own controls, every
comparison area observed in every year of the treated area, and enough years
before and from the programme start. Every failure is a ValueError naming the
area and what to do.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import require_columns, show
from overdose_trends.stats.trends._series import SeriesSet, prepare

__all__ = ["Panel", "panel"]

#: Fewest years before the programme start, by method. A CITS needs three so that
#: each area's pre-period line has a residual (two points fit any line exactly);
#: a synthetic control needs five because its weights are fitted to the pre-period
#: rates and its placebo statistic divides by the pre-period fit (with very few
#: years almost any set of donors fits exactly).
MIN_PRE = {"cits": 3, "synthetic": 5}
#: Fewest years from the programme start: two for a slope change (CITS), one for a gap.
MIN_POST = {"cits": 2, "synthetic": 1}
#: Fewest comparison areas: one comparison series for a CITS; two donors for a
#: synthetic control (a single donor has weight 1 whatever the data, and the placebo
#: test needs donors to swap in).
MIN_CONTROLS = {"cits": 1, "synthetic": 2}


@dataclass(frozen=True)
class Panel:
    """The treated area (row 0) and the comparison areas, on the treated area's years.

    Attributes
    ----------
    codes : list
        Area codes, the treated area first, then the controls in the order given.
    names : list of str
        Area names (from an ``area_name`` column, else the codes as text).
    years : ndarray of float64
        The treated area's years, increasing, without gaps.
    deaths, population : ndarray of float64
        Areas x years.
    post : ndarray of bool
        Years from the programme start (``year >= intervention``).
    treated_set : SeriesSet
        The treated series alone, as the other trend models hold a series
        (for the ``fitted`` table).
    notes : tuple of str
        What was done to the input.
    """

    codes: list[Hashable]
    names: list[str]
    years: NDArray[np.float64]
    deaths: NDArray[np.float64]
    population: NDArray[np.float64]
    post: NDArray[np.bool_]
    treated_set: SeriesSet
    notes: tuple[str, ...]

    @property
    def n_pre(self) -> int:
        """Years before the programme start."""
        return int((~self.post).sum())

    @property
    def n_post(self) -> int:
        """Years from the programme start."""
        return int(self.post.sum())

    @property
    def rates(self) -> NDArray[np.float64]:
        """Crude rates per person (areas x years)."""
        return self.deaths / self.population


def _label(code: Hashable, names: dict[Hashable, str]) -> str:
    name = names.get(code)
    return f"{show(code)} ({name})" if name and name != str(code) else show(code)


def _check_areas(
    data: pd.DataFrame, area: Hashable, treated: Hashable, controls: list[Hashable], func: str
) -> None:
    """Known areas, no repeats, the treated area not a control, enough controls given."""
    if not controls:
        raise ValueError(
            f"{func}: controls is empty; give the comparison areas' codes, e.g. the treated "
            "area's statistical neighbours"
        )
    seen: set[Hashable] = set()
    repeated = [c for c in controls if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if repeated:
        raise ValueError(
            f"{func}: {area}={show(repeated[0])} is given more than once in controls; "
            "give each comparison area once"
        )
    if treated in controls:
        raise ValueError(
            f"{func}: the treated area {area}={show(treated)} is among its own controls; "
            "leave it out of controls (an area cannot be its own comparison)"
        )
    present = set(data[area].dropna().unique().tolist())
    missing = [c for c in [treated, *controls] if c not in present]
    if missing:
        which = "treated area" if missing[0] == treated else "comparison area(s)"
        raise ValueError(
            f"{func}: no rows for the {which} {', '.join(show(c) for c in missing[:10])} in "
            f"column {area!r}; check the codes (GSS codes such as 'E06000033') or add their "
            "rows to data, e.g. pd.concat([ot.datasets.series(code) for code in codes])"
        )


def _intervention(value: object, func: str) -> float:
    """The programme start as a (possibly fractional) year."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{func}: intervention must be the first year of the programme as a number "
            f"(e.g. 2015, or 2015.75 for October 2015), got {value!r}"
        )
    year = float(value)
    if not np.isfinite(year):
        raise ValueError(f"{func}: intervention must be a finite year, got {year:g}")
    return year


def _same_years(
    sset: SeriesSet, codes: list[Hashable], names: dict[Hashable, str], area: Hashable, func: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], list[str]]:
    """Deaths and populations (areas x years) on the treated area's years.

    Comparison areas must have every year of the treated area (no gaps is
    already checked); their extra years are left out, with a note.
    """
    assert sset.count is not None and sset.population is not None
    by_code: dict[Any, int] = {sset.groups.key_rows.iloc[g, 0]: g for g in range(sset.n_series)}
    rows = sset.rows(by_code[codes[0]])
    years = sset.time[rows]
    deaths = np.empty((len(codes), years.size))
    population = np.empty_like(deaths)
    trimmed = []
    for a, code in enumerate(codes):
        r = sset.rows(by_code[code])
        t = sset.time[r]
        lacking = np.setdiff1d(years, t)
        if lacking.size:
            shown = ", ".join(f"{v:g}" for v in lacking[:6])
            more = f" and {lacking.size - 6} more" if lacking.size > 6 else ""
            raise ValueError(
                f"{func}: comparison area {area}={_label(code, names)} has no rows for "
                f"{sset.time_column}={shown}{more}, which the treated area has; every "
                "comparison area needs the treated area's years: restrict data to years that "
                f"all areas have (e.g. data[data[{sset.time_column!r}].between(first, last)]) "
                "or leave the area out of controls"
            )
        keep = np.isin(t, years)
        if not keep.all():
            trimmed.append(str(code))
        deaths[a] = sset.count[r][keep]
        population[a] = sset.population[r][keep]
    notes = []
    if trimmed:
        notes.append(
            f"years outside the treated area's {years[0]:g}-{years[-1]:g} left out for "
            f"{', '.join(trimmed[:10])}"
        )
    return years, deaths, population, notes


def _check_sides(
    years: NDArray[np.float64], post: NDArray[np.bool_], t0: float, method: str, func: str
) -> None:
    n_pre, n_post = int((~post).sum()), int(post.sum())
    need_pre, need_post = MIN_PRE[method], MIN_POST[method]
    if n_pre < need_pre:
        raise ValueError(
            f"{func}: {n_pre} year(s) before the intervention ({t0:g}) in {years[0]:g}-"
            f"{years[-1]:g}; method={method!r} needs at least {need_pre} (8 or more are "
            "advisable): add earlier years or choose a later intervention"
        )
    if n_post < need_post:
        raise ValueError(
            f"{func}: {n_post} year(s) from the intervention ({t0:g}) in {years[0]:g}-"
            f"{years[-1]:g}; method={method!r} needs at least {need_post}: add later years"
        )


def panel(
    data: pd.DataFrame,
    *,
    treated: Hashable,
    controls: Sequence[Hashable],
    intervention: object,
    count: Hashable,
    population: Hashable,
    time: Hashable,
    area: Hashable,
    method: str,
    func: str,
) -> tuple[Panel, float]:
    """The checked panel and the programme start (a year).

    Raises
    ------
    ValueError
        Naming the area and what to do: see
        :func:`~overdose_trends.stats.trends.controlled.fit_controlled`.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{func}: data must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(controls, str) or not isinstance(controls, Sequence | pd.Index | np.ndarray):
        raise ValueError(
            f"{func}: controls must be a list of area codes, got {controls!r}; "
            "e.g. controls=['E06000009', 'E06000027']"
        )
    controls = list(controls)
    t0 = _intervention(intervention, func)
    require_columns(data, [area], func)
    _check_areas(data, area, treated, controls, func)
    if len(controls) < MIN_CONTROLS[method]:
        raise ValueError(
            f"{func}: method={method!r} needs at least {MIN_CONTROLS[method]} comparison "
            f"areas, got {len(controls)}; add comparison areas"
        )
    codes = [treated, *controls]
    sub = data[data[area].isin(codes)]
    names: dict[Hashable, str] = {}
    if "area_name" in sub.columns:
        first = sub.drop_duplicates(area)
        names = {c: str(n) for c, n in zip(first[area], first["area_name"], strict=True)}
    sset = prepare(
        sub, time=time, count=count, population=population, by=area, min_points=2, func=func
    )
    if sset.time_unit != "year":
        raise ValueError(
            f"{func}: time column {sset.time_column!r} holds months; a controlled evaluation "
            "here takes annual series (sum the months to years)"
        )
    years, deaths, pop, trim_notes = _same_years(sset, codes, names, area, func)
    post = years >= t0 - 1e-9
    _check_sides(years, post, t0, method, func)
    treated_rows = sub[sub[area] == treated]
    treated_rows = treated_rows[np.isin(pd.to_numeric(treated_rows[sset.time_column]), years)]
    treated_set = prepare(
        treated_rows, time=sset.time_column, count=count, population=population, by=area,
        min_points=2, func=func,
    )  # fmt: skip
    full_names = [names.get(c, str(c)) for c in codes]
    notes = (*sset.notes, *trim_notes)
    return Panel(codes, full_names, years, deaths, pop, post, treated_set, notes), t0
