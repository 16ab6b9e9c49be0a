"""Each group's deaths, rate and limits in one registration period (for ``compare_periods``).

Private to :mod:`overdose_trends.stats.compare`. :func:`read_rates` takes the row
of published or standardised rates for exactly the period; :func:`read_counts`
takes a group's row for the period or sums its single years. Both return a
:class:`Side`: arrays with one element per group, in group order. The checks
here raise ``ValueError`` naming the group, and say how to fix the data.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import VALUE_COLUMNS, Groups, differing_columns, numeric, others
from overdose_trends.constants import ONS_LIMITS_CONF
from overdose_trends.schema import as_period, rate_status
from overdose_trends.stats._checks import check_magnitude, count_column
from overdose_trends.stats._distributions import norm_ppf
from overdose_trends.stats.intervals import exact_poisson_limits, z_value
from overdose_trends.stats.rates import whole_years

Kind = Literal["auto", "rates", "counts"]
Window = tuple[int, int]

#: Columns that are not group identity in a comparison: values, provenance and the periods.
NOT_GROUPING = VALUE_COLUMNS | frozenset({"period_start", "period_end", "year"})


# --- periods --------------------------------------------------------------------------------


def window(value: Any, name: str) -> Window:
    """A ``before``/``after`` argument as ``(first, last)`` years, in any period notation."""
    try:
        return as_period(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def period_label(period: Window) -> str:
    """``"2013-2015"`` (or ``"2016"`` for a single year) for messages."""
    return str(period[0]) if period[0] == period[1] else f"{period[0]}-{period[1]}"


def times(data: pd.DataFrame) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First and last registration year of each row (``period_start``/``period_end``, ``year``)."""
    if "period_start" in data.columns and "period_end" in data.columns:
        cols = ("period_start", "period_end")
    elif "year" in data.columns:
        cols = ("year", "year")
    else:
        raise ValueError(
            "data need period_start and period_end columns (registration years, as in ONS "
            f"tables) or a year column; they have {list(data.columns)}"
        )
    return whole_years(data, cols[0]), whole_years(data, cols[1])


# --- the table and one period of it ----------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """The input of ``compare_periods`` with its groups, periods and resolved columns."""

    data: pd.DataFrame
    groups: Groups
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    count: Hashable | None
    population: Hashable
    per: float


class Side(NamedTuple):
    """One period's values, one element per group."""

    deaths: NDArray[np.float64]
    population: NDArray[np.float64]
    rate: NDArray[np.float64]
    lcl: NDArray[np.float64]
    ucl: NDArray[np.float64]
    status: NDArray[np.object_]
    limits_z: NDArray[np.float64]  # two-sided normal quantile of the limits' confidence level
    rate_per: NDArray[np.float64]
    present: NDArray[np.bool_]


def detect_kind(
    data: pd.DataFrame, kind: str, count: Hashable | None, population: Hashable
) -> Literal["rates", "counts"]:
    """``"rates"`` or ``"counts"``: ``kind``, or (``"auto"``) from the columns; checks columns."""
    if kind not in ("auto", "rates", "counts"):
        raise ValueError(f"unknown kind {kind!r}; use 'auto', 'rates' or 'counts'")
    if kind == "auto":
        if "rate" in data.columns:
            kind = "rates"
        elif population in data.columns and count is not None:
            kind = "counts"
        else:
            raise ValueError(
                "cannot tell what the data hold: give published or standardised rates (columns "
                "rate, lcl, ucl) or counts and populations (columns deaths or count, and "
                f"{population!r}); the data have {list(data.columns)}"
            )
    if kind == "rates" and "rate" not in data.columns:
        raise ValueError(f"kind='rates' needs a 'rate' column; the data have {list(data.columns)}")
    if kind == "rates" and not {"lcl", "ucl"} <= set(data.columns) and count is None:
        raise ValueError(
            "kind='rates' needs confidence limits (columns lcl and ucl) or a deaths/count column "
            "for the standard errors"
        )
    if kind == "counts":
        missing = [c for c in (count, population) if c is None or c not in data.columns]
        if missing or count is None:
            raise ValueError(
                f"kind='counts' needs a deaths (or count) column and a {population!r} column; "
                f"the data have {list(data.columns)}"
            )
    return "rates" if kind == "rates" else "counts"


def _varying(rows: pd.DataFrame, keys: list[Hashable]) -> list[Hashable]:
    """Columns other than keys and values in which ``rows`` differ."""
    return differing_columns(rows, [*keys, *NOT_GROUPING])


def _duplicate_error(
    groups: Groups, g: int, mask: NDArray[np.bool_], what: str, n_bad: int
) -> ValueError:
    rows = groups.rows(g, mask)
    varying = _varying(rows, groups.keys)
    if varying:
        hint = (
            f"they differ in {varying}: filter the data to one value of "
            f"{' and '.join(map(repr, varying))} or add {varying} to by"
        )
    else:
        hint = "remove the duplicates or add the column that tells them apart to by"
    return ValueError(
        f"{groups.name(g)} has {len(rows)} rows for {what} (row index "
        f"{list(rows.index[:6])}); {hint}{others(n_bad)}"
    )


def _exact_rows(t: Table, period: Window) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Row position of each group's row for exactly this period (-1 if none)."""
    groups = t.groups
    exact = (t.start == period[0]) & (t.end == period[1])
    n_rows = np.bincount(groups.gid[exact], minlength=groups.n)
    dup = np.flatnonzero(n_rows > 1)
    if dup.size:
        raise _duplicate_error(
            groups, int(dup[0]), exact, f"period {period_label(period)}", dup.size
        )
    pos = np.full(groups.n, -1, dtype=np.int64)
    pos[groups.gid[exact]] = np.flatnonzero(exact)
    return pos, exact


def _take(values: NDArray[Any], pos: NDArray[np.int64]) -> NDArray[np.float64]:
    """``values`` at positions ``pos``; NaN where ``pos`` is -1."""
    out = np.full(pos.shape, np.nan)
    have = pos >= 0
    out[have] = values[pos[have]]
    return out


# --- published or standardised rates ----------------------------------------------------------


def _rates_status(
    t: Table, pos: NDArray[np.int64], deaths: NDArray[np.float64], rate: NDArray[np.float64]
) -> NDArray[np.object_]:
    """The table's ``rate_status``, else the ONS small-number rule on the deaths."""
    data = t.data
    if "rate_status" in data.columns:
        status = data["rate_status"].to_numpy(dtype=object)[np.maximum(pos, 0)]
        return np.where(pd.isna(status) | (pos < 0), "not_available", status).astype(object)
    if t.count is not None:
        status = rate_status(deaths)
        return np.where(np.isnan(rate) & (status != "not_calculated"), "not_available", status)
    return np.where(np.isnan(rate), "not_available", "ok").astype(object)


def _limits_z(
    t: Table, pos: NDArray[np.int64], period: Window, limits_conf: float | None
) -> NDArray[np.float64]:
    """Normal quantile of the confidence level of each group's given limits."""
    if limits_conf is not None:
        level = np.full(pos.shape, float(limits_conf))
    elif "conf" in t.data.columns:
        level = np.where(pos >= 0, _take(numeric(t.data, "conf"), pos), ONS_LIMITS_CONF)
    else:
        level = np.full(pos.shape, ONS_LIMITS_CONF)
    bad = ~((level > 0) & (level < 1))
    if bad.any():
        g = int(np.argmax(bad))
        raise ValueError(
            f"{t.groups.name(g)}: confidence level of the limits for {period_label(period)} is "
            f"{level[g]!r}; it must be a proportion between 0 and 1"
        )
    z: NDArray[np.float64] = norm_ppf(0.5 + level / 2.0)  # z_value, for an array
    return z


def read_rates(t: Table, period: Window, name: str, limits_conf: float | None) -> Side:
    """One period of published or standardised rates: each group's row for ``period``."""
    data = t.data
    pos, _ = _exact_rows(t, period)
    if (pos < 0).all():
        raise ValueError(
            f"no row of the data is for the {name} period {period_label(period)} "
            f"(period_start={period[0]}, period_end={period[1]}); rates cannot be combined over "
            "years, so each period must be a row of the data (use counts and populations with "
            "kind='counts' to pool single years)"
        )

    def column(col: Hashable | None, default: float = np.nan) -> NDArray[np.float64]:
        """Each group's value of a numeric column for ``period``; ``default`` if it is absent."""
        if col is None or col not in data.columns:
            return np.full(pos.shape, default)
        return _take(numeric(data, col), pos)

    deaths, rate = column(t.count), column("rate")
    lcl, ucl = column("lcl"), column("ucl")
    _check_rates(t.groups, period, deaths, rate, lcl, ucl)
    return Side(
        deaths,
        column(t.population),
        rate,
        lcl,
        ucl,
        _rates_status(t, pos, deaths, rate),
        _limits_z(t, pos, period, limits_conf),
        column("rate_per", float(t.per)),
        pos >= 0,
    )


def _check_rates(
    groups: Groups,
    period: Window,
    deaths: NDArray[np.float64],
    rate: NDArray[np.float64],
    lcl: NDArray[np.float64],
    ucl: NDArray[np.float64],
) -> None:
    """Rates and limits are not negative and ``lcl <= rate <= ucl``; deaths not negative.

    Missing values (suppressed or not calculated) pass. Infinite values were refused
    when the columns were read.
    """
    where = period_label(period)
    for v, what in ((deaths, "deaths"), (rate, "rate"), (lcl, "lcl"), (ucl, "ucl")):
        bad = v < 0
        if bad.any():
            raise ValueError(
                f"{groups.name(int(np.argmax(bad)))}: negative {what} in {where}; rates, "
                f"limits and deaths cannot be negative{others(int(bad.sum()))}"
            )
    check_magnitude(deaths, f"deaths in {where}", groups.name)
    for bad, what in (
        (lcl > rate, "lower limit (lcl) above the rate"),
        (ucl < rate, "upper limit (ucl) below the rate"),
        (lcl > ucl, "lower limit (lcl) above the upper limit (ucl)"),
    ):
        if bad.any():
            raise ValueError(
                f"{groups.name(int(np.argmax(bad)))}: {what} in {where}; check that the lcl and "
                f"ucl columns are not swapped or shifted{others(int(bad.sum()))}"
            )


# --- counts and populations --------------------------------------------------------------------


def _single_years(
    t: Table, period: Window, name: str, pos: NDArray[np.int64], exact: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Rows that are single years of ``period`` for groups without a period row; checked complete.

    Raises for a year given twice in a group, or a group lacking some years of the period.
    """
    groups, start, end = t.groups, t.start, t.end
    width = period[1] - period[0] + 1
    single = (start == end) & (start >= period[0]) & (start <= period[1]) & ~exact
    single &= pos[groups.gid] < 0  # a group's own period row takes precedence
    cell = groups.gid * width + (start - period[0])
    n_cell = np.bincount(cell[single], minlength=groups.n * width).reshape(groups.n, width)
    dup = np.flatnonzero((n_cell > 1).any(axis=1))
    if dup.size:
        g = int(dup[0])
        year = period[0] + int(np.argmax(n_cell[g] > 1))
        raise _duplicate_error(
            groups,
            g,
            single & (start == year),
            f"year {year} (in {period_label(period)})",
            dup.size,
        )
    n_years = (n_cell > 0).sum(axis=1)
    incomplete = np.flatnonzero((pos < 0) & (n_years < width))
    if incomplete.size:
        g = int(incomplete[0])
        if n_years[g] == 0:
            what = "no rows"
        else:
            lacking = [period[0] + int(i) for i in np.flatnonzero(n_cell[g] == 0)]
            what = f"no row for year(s) {lacking}"
        raise ValueError(
            f"{groups.name(g)} has {what} in the {name} period {period_label(period)}: give every "
            f"year from {period[0]} to {period[1]}, or one row with period_start={period[0]} and "
            f"period_end={period[1]}{others(incomplete.size)}"
        )
    return single


def _check_counts(
    groups: Groups, period: Window, deaths: NDArray[np.float64], pop: NDArray[np.float64]
) -> None:
    """Deaths are whole and non-negative, populations positive and not below the deaths."""
    where = period_label(period)
    for v, what in ((deaths, "deaths"), (pop, "population")):
        bad = v < 0
        if bad.any():
            raise ValueError(
                f"{groups.name(int(np.argmax(bad)))}: negative {what} in {where}"
                f"{others(int(bad.sum()))}"
            )
    bad = np.isfinite(deaths) & (deaths != np.round(deaths))
    if bad.any():
        g = int(np.argmax(bad))
        raise ValueError(
            f"{groups.name(g)}: deaths in {where} total {deaths[g]:g}, not a whole "
            "number; the exact test needs counts of deaths"
        )
    bad = pop == 0
    if bad.any():
        raise ValueError(
            f"{groups.name(int(np.argmax(bad)))}: population is 0 in {where}, so no "
            f"rate can be calculated{others(int(bad.sum()))}"
        )
    bad = deaths > pop
    if bad.any():
        g = int(np.argmax(bad))
        raise ValueError(
            f"{groups.name(g)}: {deaths[g]:g} deaths exceed the population {pop[g]:g} in {where}"
        )


def read_counts(t: Table, period: Window, name: str, conf: float) -> Side:
    """One period of counts and populations: a group's row for ``period`` or its years summed."""
    groups = t.groups
    pos, exact = _exact_rows(t, period)
    single = _single_years(t, period, name, pos, exact)
    values = []
    used = single | exact
    for col, what in ((t.count, "deaths"), (t.population, "population")):
        v = count_column(t.data, col)
        bad = used & (v < 0)  # each row, before single years are summed
        if bad.any():
            g = groups.gid[int(np.argmax(bad))]
            raise ValueError(
                f"{groups.name(int(g))}: negative {what} in a row for {period_label(period)} "
                f"(row index {list(t.data.index[bad][:6])}); counts cannot be negative"
            )
        summed = np.bincount(groups.gid[single], weights=v[single], minlength=groups.n)
        values.append(np.where(pos >= 0, _take(v, pos), summed))
    deaths, pop = values
    check_magnitude(deaths, f"deaths in {period_label(period)}", groups.name)
    check_magnitude(pop, f"population in {period_label(period)}", groups.name)
    _check_counts(groups, period, deaths, pop)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = t.per / pop
        lo, hi = exact_poisson_limits(deaths, conf)
    status = np.where(np.isnan(pop), "not_available", rate_status(deaths)).astype(object)
    return Side(
        deaths,
        pop,
        deaths * scale,
        lo * scale,
        hi * scale,
        status,
        np.full(pos.shape, z_value(conf)),
        np.full(pos.shape, t.per),
        np.ones(pos.shape, dtype=bool),
    )


def scale_limits(side: Side, conf: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Limits at ``conf`` from limits with quantile ``side.limits_z``, scaled on the log scale."""
    z_new = z_value(conf)
    z_old = side.limits_z
    same = np.isclose(z_old, z_new, rtol=0, atol=1e-12)
    k = z_new / z_old
    with np.errstate(divide="ignore", invalid="ignore"):
        lcl = np.where(same, side.lcl, side.rate * (side.lcl / side.rate) ** k)
        ucl = np.where(same, side.ucl, side.rate * (side.ucl / side.rate) ** k)
    return lcl, ucl
