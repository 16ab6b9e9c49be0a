"""Check and unpack the time series that the trend models fit.

Private to :mod:`overdose_trends.stats.trends`. :func:`prepare` turns a long table
(one row per series and time point) into flat numpy arrays plus the group
structure, after checking everything the models rely on, so that a bad series
fails with a message naming it rather than inside statsmodels.

A series is observed either as **counts** (deaths, with an optional population
used as the offset of a log-linear model) or as **rates with uncertainty**
(e.g. ONS age-standardised rates with 95% limits, whose standard error on the
log scale is recovered from the limits).

The models take the readers' output as it comes: rows in any order are sorted
by series and time, and a table without a ``year`` column but with single-year
``period_start``/``period_end`` columns (as
:func:`~overdose_trends.io.datasets.national_deaths` gives) is read with
``period_start`` as the time. :attr:`SeriesSet.notes` says what was done, and
every fit result carries these notes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import Groups, as_list, numeric, plain, require_columns, show
from overdose_trends.stats.intervals import z_value

__all__ = [
    "SeriesSet",
    "exclusion_hint",
    "fail_series",
    "prepare",
    "series_key",
    "series_labels",
    "series_seeds",
]


@dataclass(frozen=True)
class SeriesSet:
    """Validated series, rows ordered series by series (in order of first appearance), time
    increasing.

    Attributes
    ----------
    groups : Groups
        The series (``by`` columns); one group when ``by`` is None.
    time : ndarray of float64
        Time of each row in ``time_unit`` units: calendar years for numeric
        time, months since January 1970 for datetime/monthly time.
    time_unit : str
        ``"year"`` (numeric time column) or ``"month"`` (datetime or monthly
        period column).
    count : ndarray of float64 or None
        Observed counts (whole, >= 0), when the series are counts.
    population : ndarray of float64 or None
        Population at risk (> 0), when given; the log-linear models use
        ``log(population)`` as offset.
    rate : ndarray of float64 or None
        Observed rates (> 0), when the series are rates.
    se_log : ndarray of float64 or None
        Standard error of ``log(rate)`` (> 0), given directly as ``se / rate``
        or recovered from limits as ``(log(ucl) - log(lcl)) / (2 z)``.
    starts : ndarray of int64
        Row position where each series starts; ``starts[g]:starts[g+1]``
        (with a final sentinel ``len(time)``) are the rows of series ``g``.
    time_column : hashable
        The column the times were read from: the ``time`` asked for, or
        ``"period_start"`` (see :func:`prepare`).
    notes : tuple of str
        Plain sentences on what was done to the input (rows sorted, time taken
        from ``period_start``); empty when nothing was.
    """

    groups: Groups
    time: NDArray[np.float64]
    time_unit: str
    count: NDArray[np.float64] | None
    population: NDArray[np.float64] | None
    rate: NDArray[np.float64] | None
    se_log: NDArray[np.float64] | None
    starts: NDArray[np.int64]
    time_column: Hashable = "year"
    notes: tuple[str, ...] = ()

    @property
    def times(self) -> NDArray[Any]:
        """The time of each row as in the input column (``time`` is its numeric form)."""
        return self.groups.data[self.time_column].to_numpy()

    @property
    def n_series(self) -> int:
        """Number of series."""
        return self.groups.n

    def rows(self, g: int) -> slice:
        """Row slice of series ``g``."""
        return slice(int(self.starts[g]), int(self.starts[g + 1]))

    def lengths(self) -> NDArray[np.int64]:
        """Number of time points of each series."""
        return np.diff(self.starts)


def series_labels(groups: Groups) -> list[str]:
    """Each series named for messages: ``"series area_code='E06000033' (Southend-on-Sea)"``.

    ``"the series"`` when there are no ``by`` columns.
    """
    if not groups.keys:
        return ["the series"] * groups.n
    return ["series " + groups.name(g).removeprefix("group ") for g in range(groups.n)]


def _time_values(data: pd.DataFrame, time: Hashable) -> tuple[NDArray[np.float64], str]:
    col = data[time]
    if isinstance(col.dtype, pd.PeriodDtype):
        if col.array.freqstr != "M":
            raise ValueError(f"time column {time!r} holds {col.dtype} periods; use years or months")
        months = col.dt.year.to_numpy(dtype="float64") * 12 + col.dt.month.to_numpy("float64") - 1
        return months - 1970 * 12, "month"
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        if col.isna().any():
            i = int(np.argmax(col.isna().to_numpy()))
            raise ValueError(f"time column {time!r} is missing at row index {show(col.index[i])}")
        days = col.dt.day.to_numpy()
        if (days != 1).any():
            i = int(np.argmax(days != 1))
            raise ValueError(
                f"time column {time!r} holds dates; monthly series must be dated on the first of "
                f"the month, but row index {show(col.index[i])} is {col.iloc[i]:%Y-%m-%d}"
            )
        months = col.dt.year.to_numpy(dtype="float64") * 12 + col.dt.month.to_numpy("float64") - 1
        return months - 1970 * 12, "month"
    values = numeric(data, time)
    if np.isnan(values).any():
        i = int(np.argmax(np.isnan(values)))
        raise ValueError(f"time column {time!r} is missing at row index {show(col.index[i])}")
    return values, "year"


Problem = str | Callable[[int], str]

#: Most series named in an exclusion hint.
_HINT_MAX = 12


def series_key(groups: Groups, g: int) -> tuple[Hashable, ...]:
    """The ``by`` values of series ``g`` as plain Python scalars; ``()`` without ``by``."""
    if not groups.keys:
        return ()
    values = groups.key_rows.iloc[g].tolist()
    return tuple(plain(v) for v in values)


def exclusion_hint(groups: Groups, bad_series: NDArray[np.bool_]) -> str:
    """How to leave the ``bad_series`` out of ``data`` and fit the others.

    One ``by`` column gives pandas code, e.g.
    ``data[~data['area_code'].isin(['E06000053'])]``; several give the key
    values to drop. ``""`` without ``by`` or when every series is bad.
    """
    if not groups.keys or bad_series.all():
        return ""
    bad = np.flatnonzero(bad_series)
    keys = [series_key(groups, int(g)) for g in bad[:_HINT_MAX]]
    more = f" (the first {_HINT_MAX} of {bad.size} shown)" if bad.size > _HINT_MAX else ""
    it = "it" if bad.size == 1 else "them"
    if len(groups.keys) == 1:
        values = ", ".join(show(k[0]) for k in keys)
        code = f"data[~data[{groups.keys[0]!r}].isin([{values}])]"
        return f". To fit the other series, leave {it} out, e.g. {code}{more}"
    shown = "; ".join(
        ", ".join(f"{c}={show(v)}" for c, v in zip(groups.keys, k, strict=True)) for k in keys
    )
    return f". To fit the other series, leave out the rows of {shown}{more}"


def fail_series(groups: Groups, bad_series: NDArray[np.bool_], what: Problem, func: str) -> None:
    """Raise ValueError for the first bad series, naming it and counting the others.

    The message is ``"{func}: {series}: {what} (and N other series)"`` followed
    by :func:`exclusion_hint` for all of them. ``what`` is a text or a function
    of the series number ``g``.
    """
    g = int(np.flatnonzero(bad_series)[0])
    label = series_labels(groups)[g]
    text = what(g) if callable(what) else what
    extra = int(bad_series.sum()) - 1
    n_other = f" (and {extra} other series)" if extra else ""
    raise ValueError(f"{func}: {label}: {text}{n_other}{exclusion_hint(groups, bad_series)}")


def series_seeds(
    seed: int | np.random.SeedSequence | None, groups: Groups
) -> list[np.random.SeedSequence]:
    """One random stream per series, keyed by its ``by`` values.

    The stream of a series depends only on ``seed`` and the series' key, not
    on its position or on the other series: a series fitted alone or in any
    batch draws the same numbers. Keys are hashed with BLAKE2b (stable across
    runs and platforms, unlike :func:`hash`).
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    out = []
    for g in range(groups.n):
        digest = hashlib.blake2b(repr(series_key(groups, g)).encode(), digest_size=8).digest()
        words = np.frombuffer(digest, dtype="<u4").tolist()
        out.append(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *words)))
    return out


#: Columns of the readers' output that give a registration period.
_PERIOD_START, _PERIOD_END = "period_start", "period_end"


def _time_column(data: pd.DataFrame, time: Hashable, func: str) -> tuple[Hashable, list[str]]:
    """The column to read times from, and a note when it is not ``time`` itself.

    Without a ``year`` column (the models' default ``time``), a table with a
    ``period_start`` column of single registration years (``period_end`` equal
    to it, as the readers give) is read by ``period_start``.
    """
    if (
        not isinstance(data, pd.DataFrame)
        or time != "year"
        or time in data.columns
        or _PERIOD_START not in data.columns
    ):
        return time, []
    if _PERIOD_END in data.columns:
        start, end = data[_PERIOD_START], data[_PERIOD_END]
        longer = (start != end).to_numpy(dtype=bool, na_value=True)
        if longer.any():
            i = int(np.argmax(longer))
            raise ValueError(
                f"{func}: data has no 'year' column, and its periods are not single years: "
                f"period_start={show(start.iloc[i])} but period_end={show(end.iloc[i])} (row "
                f"index {show(data.index[i])}); select single registration years first, e.g. "
                "data[data['period_start'] == data['period_end']]"
            )
    note = (
        "time taken from period_start: the data have no 'year' column and each row is one "
        "registration year"
    )
    return _PERIOD_START, [note]


def _sort_rows(
    data: pd.DataFrame, t: NDArray[np.float64], keys: list[Hashable], time: Hashable
) -> tuple[pd.DataFrame, NDArray[np.float64], list[str]]:
    """Rows sorted by series (in order of first appearance), then time; a note if they moved.

    The sort is stable, so repeated times keep their order (and are then refused).
    """
    order = np.lexsort((t, Groups(data, keys).gid))
    if np.array_equal(order, np.arange(order.size)):
        return data, t, []
    by = f"{', '.join(str(k) for k in keys)} and {time}" if keys else str(time)
    return data.iloc[order], t[order], [f"rows were sorted by {by}"]


class _Checks:
    """The checks of :func:`prepare` on sorted rows; each failure names the series."""

    def __init__(self, groups: Groups, time: Hashable, func: str) -> None:
        self.groups, self.data, self.time, self.func = groups, groups.data, time, func
        self.gid = groups.gid

    def fail(self, bad: NDArray[np.bool_], what: Problem) -> None:
        """Raise for the series flagged in ``bad`` (see :func:`fail_series`)."""
        fail_series(self.groups, bad, what, self.func)

    def series_of(self, bad_rows: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Series holding any of ``bad_rows``."""
        bad = np.zeros(self.groups.n, bool)
        bad[np.unique(self.gid[bad_rows])] = True
        return bad

    def at(self, i: int) -> str:
        """``"year=2015 (row index 2)"`` for messages."""
        value, index = self.data[self.time].iloc[i], self.data.index[i]
        return f"{self.time}={show(value)} (row index {show(index)})"

    def lengths(self, starts: NDArray[np.int64], min_points: int) -> None:
        """At least ``min_points`` rows in every series."""
        n_points = np.diff(starts)
        short = n_points < min_points
        if short.any():
            self.fail(
                short,
                lambda g: f"has {n_points[g]} time point(s); at least {min_points} are needed",
            )

    def times(self, t: NDArray[np.float64], unit: str) -> None:
        """No repeated time and no gap within a series (rows sorted by time)."""
        gid, data, time = self.gid, self.data, self.time
        step = np.diff(t)
        same = gid[1:] == gid[:-1]
        repeated = same & (step <= 0)
        if repeated.any():

            def twice(g: int) -> str:
                i = int(np.flatnonzero(repeated & (gid[1:] == g))[0])
                return (
                    f"time {show(data[time].iloc[i + 1])} appears more than once (row index "
                    f"{show(data.index[i])} and {show(data.index[i + 1])}); a series needs one "
                    "row per time point: select one series, or name the columns that tell the "
                    "series apart in by="
                )

            self.fail(self.series_of(np.r_[False, repeated]), twice)
        gap = same & (step > 1 + 1e-9)
        if gap.any():

            def missing(g: int) -> str:
                sel = np.flatnonzero(gap & (gid[1:] == g))
                holes = [v for i in sel for v in np.arange(t[i] + 1, t[i + 1] - 1e-9)]
                if unit == "month":
                    shown = [f"{int(1970 + v // 12)}-{int(v % 12) + 1:02d}" for v in holes[:6]]
                else:
                    shown = [f"{v:g}" for v in holes[:6]]
                more = f" and {len(holes) - 6} more" if len(holes) > 6 else ""
                return f"missing time point(s) {', '.join(shown)}{more}; a series must have no gaps"

            self.fail(self.series_of(np.r_[False, gap]), missing)

    def values(self, column: Hashable) -> NDArray[np.float64]:
        """A numeric column as float64 (ValueError prefixed with the function)."""
        try:
            return numeric(self.data, column)
        except ValueError as exc:
            raise ValueError(f"{self.func}: {exc}") from None

    def column(
        self,
        column: Hashable,
        values: NDArray[np.float64],
        invalid: Callable[[NDArray[np.float64]], NDArray[np.bool_]],
        rule: str,
    ) -> None:
        """Every value passes: ``invalid(values)`` flags none."""
        bad_rows = invalid(values)
        if bad_rows.any():

            def text(g: int) -> str:
                i = int(np.flatnonzero(bad_rows & (self.gid == g))[0])
                shown = show(self.data[column].iloc[i])
                return f"column {column!r} {rule}; at {self.at(i)} it is {shown}"

            self.fail(self.series_of(bad_rows), text)

    def within(
        self,
        count: Hashable,
        y: NDArray[np.float64],
        population: Hashable,
        pop: NDArray[np.float64],
    ) -> None:
        """No more events than people at risk: ``count <= population`` in every row."""
        more = y > pop
        if more.any():

            def text(g: int) -> str:
                i = int(np.flatnonzero(more & (self.gid == g))[0])
                return (
                    f"column {count!r} exceeds column {population!r} at {self.at(i)} "
                    f"({show(self.data[count].iloc[i])} > {show(self.data[population].iloc[i])}): "
                    "a count cannot exceed its population at risk; check that the population "
                    "is of the same area and year (all ages, persons) and not a rate or a "
                    "population in thousands"
                )

            self.fail(self.series_of(more), text)

    def counts(self, count: Hashable, starts: NDArray[np.int64]) -> NDArray[np.float64]:
        """Whole non-negative counts, not all zero in any series."""
        y = self.values(count)
        self.column(
            count,
            y,
            lambda v: np.isnan(v) | (v < 0) | (v != np.round(v)),
            "must hold non-negative whole counts",
        )
        zero = np.add.reduceat(y, starts[:-1]) == 0
        if zero.any():
            self.fail(zero, f"column {count!r} is zero at every time point; no trend can be fitted")
        return y

    def rates(
        self,
        rate: Hashable,
        se: Hashable | None,
        lcl: Hashable | None,
        ucl: Hashable | None,
        conf: float,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Positive rates and the standard error of their logarithm."""
        r = self.values(rate)
        self.column(
            rate,
            r,
            lambda v: np.isnan(v) | (v <= 0),
            "must be positive (log-linear models need rates above zero)",
        )
        if se is not None:
            s = self.values(se)
            self.column(se, s, lambda v: np.isnan(v) | (v <= 0), "must be positive")
            return r, s / r
        assert lcl is not None and ucl is not None
        lo, hi = self.values(lcl), self.values(ucl)
        self.column(
            lcl,
            lo,
            lambda v: np.isnan(v) | (v <= 0) | (v > r),
            "must be positive and not above the rate",
        )
        self.column(
            ucl,
            hi,
            lambda v: np.isnan(v) | (v < r) | (v <= lo),
            "must be above the lower limit and not below the rate",
        )
        return r, (np.log(hi) - np.log(lo)) / (2 * z_value(conf))


def prepare(
    data: pd.DataFrame,
    *,
    time: Hashable,
    count: Hashable | None = None,
    population: Hashable | None = None,
    rate: Hashable | None = None,
    se: Hashable | None = None,
    lcl: Hashable | None = None,
    ucl: Hashable | None = None,
    conf: float = 0.95,
    by: Hashable | Sequence[Hashable] | None = None,
    min_points: int = 3,
    func: str = "trends",
) -> SeriesSet:
    """Validate a long table of one or more time series.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per series and time point, in any order (rows are sorted by
        series, in order of first appearance, then by time).
    time : hashable
        Column of times: numeric years (e.g. ``2015``; the midpoint of a
        period is fine too), or datetimes on the first of the month / monthly
        periods for monthly series. When ``time`` is ``"year"`` and ``data``
        has no such column but has ``period_start`` (with ``period_end``
        equal to it: single registration years, as the readers give),
        ``period_start`` is the time.
    count, population : hashable, optional
        Columns of event counts and of the population at risk (optional: without
        it the models describe counts, not rates).
    rate, se, lcl, ucl : hashable, optional
        For series given as rates: the rate column and either its standard
        error ``se`` (same units as the rate) or its lower and upper
        confidence limits at level ``conf``. Give ``count`` or ``rate``, not both.
    conf : float
        Confidence level of ``lcl``/``ucl`` (0.95 for ONS limits).
    by : hashable or sequence, optional
        Columns identifying each series (e.g. ``"area_code"``).
    min_points : int
        Fewest time points a series may have.
    func : str
        Name of the calling function, prefixed to messages.

    Returns
    -------
    SeriesSet
        With :attr:`SeriesSet.notes` saying whether rows were sorted and
        whether the time came from ``period_start``.

    Raises
    ------
    ValueError
        Naming the series (its ``by`` values and area name) for: fewer than
        ``min_points`` points; a time that appears more than once; missing
        time points (a gap larger than the series' regular step of 1 year or
        1 month, naming the missing times); missing, negative or fractional
        counts; all-zero counts; counts above their population (more deaths
        than people at risk); missing or non-positive populations, rates
        or standard errors, and limits that do not bracket the rate; the first
        bad series is named, the others counted, and with ``by`` the message
        ends with how to leave them all out (:func:`exclusion_hint`). Also
        for missing columns, for multi-year periods read through
        ``period_start``, and for giving both or neither of ``count`` and
        ``rate``.
    """
    if (count is None) == (rate is None):
        raise ValueError(f"{func}: give either count= (with optional population=) or rate=")
    if rate is not None and se is None and (lcl is None or ucl is None):
        raise ValueError(f"{func}: a rate series needs se= or both lcl= and ucl=")
    time, time_note = _time_column(data, time, func)
    keys = as_list(by)
    cols = [c for c in (time, count, population, rate, se, lcl, ucl) if c is not None]
    require_columns(data, [*keys, *cols], func)
    if len(data) == 0:
        raise ValueError(f"{func}: data has no rows")
    try:
        t, unit = _time_values(data, time)
    except ValueError as exc:
        raise ValueError(f"{func}: {exc}") from None
    data, t, sorted_note = _sort_rows(data, t, keys, time)
    groups = Groups(data, keys)
    gid = groups.gid
    starts = np.r_[np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]]), len(gid)].astype(np.int64)
    checks = _Checks(groups, time, func)
    checks.lengths(starts, min_points)
    checks.times(t, unit)
    y = pop = r = se_log = None
    if count is not None:
        y = checks.counts(count, starts)
    if population is not None:
        pop = checks.values(population)
        checks.column(population, pop, lambda v: np.isnan(v) | (v <= 0), "must be positive")
        if y is not None:
            checks.within(count, y, population, pop)
    if rate is not None:
        r, se_log = checks.rates(rate, se, lcl, ucl, conf)
    notes = (*time_note, *sorted_note)
    return SeriesSet(groups, t, unit, y, pop, r, se_log, starts, time, notes)
