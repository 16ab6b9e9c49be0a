"""Comparing areas: funnel-plot control limits, significance against a benchmark, and ranks.

:func:`funnel_limits`
    95% and 99.8% control limits for rates around a benchmark rate, as a table
    indexed by the number of events (the PHEindicatormethods
    ``calculate_funnel_limits(statistic = "rate")`` layout) or by population
    (for drawing the funnel with population on the x axis).
:func:`vs_benchmark`
    Each area's rate compared with a benchmark such as England's: "higher",
    "similar" or "lower" by whether its confidence interval excludes the
    benchmark (the Fingertips "compared with benchmark" method), the funnel-plot
    significance label of PHEindicatormethods ``assign_funnel_significance``,
    and the area's x position on a population funnel.
:func:`rank_areas`
    Ranks among comparators, ties sharing the lowest rank.

Funnel method (Spiegelhalter 2005; PHE Fingertips funnel-plot guidance)
------------------------------------------------------------------------
Let ``theta`` be the benchmark rate per person-year. An area that recorded
``O`` events is significantly *low* at level ``conf`` when the exact upper
Poisson limit of ``O``, ``O_U = chi2(0.5 + conf/2; 2 O + 2) / 2``, is below its
expected count ``theta * n`` (``n`` person-years), and significantly *high*
when the exact lower limit ``O_L = chi2(0.5 - conf/2; 2 O) / 2`` is above it.
The control limits are the rates at which an area sits exactly on the
boundary:

* by events (PHE's table): the lower limit for ``O`` events lies at
  population ``O_U / theta`` with rate ``O theta / O_U``; the upper limit at
  population ``O_L / theta`` with rate ``O theta / O_L``;
* by population ``n``: the same curve read the other way. With ``mu = theta n``
  and ``P(a, x)`` the regularised lower incomplete gamma function (so that
  ``P(O + 1, mu)`` is the chi-square probability above), the upper limit is
  ``E_hi / n`` where ``P(E_hi, mu) = 0.5 - conf/2`` and the lower limit is
  ``max(E_lo, 0) / n`` where ``P(E_lo + 1, mu) = 0.5 + conf/2``; ``E`` is
  solved for as a continuous count (:func:`scipy.special.gdtrib`), so the curve
  passes exactly through the points of the events table.

The two levels are the conventional "2 s.d." (95%, two-sided 0.025 in each
tail) and "3 s.d." (99.8%, 0.001 in each tail) limits.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine* 24(8):1185-1202.

Public Health England / OHID. *Fingertips technical guidance: funnel plots*
and *Technical Guide: Confidence Intervals* (2018),
https://fingertips.phe.org.uk/profile/guidance/supporting-information/PH-methods

PHEindicatormethods (R package, PHE/OHID): ``calculate_funnel_limits``,
``assign_funnel_significance`` and ``calculate_funnel_points``, whose published
test values the test-suite reproduces.

Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research, vol. II*.
IARC Scientific Publications 82 (Byar's approximation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from overdose_trends._frames import (
    VALUE_COLUMNS,
    Groups,
    as_list,
    differing_columns,
    numeric,
    positive,
    require_columns,
    show,
)
from overdose_trends.constants import FUNNEL_LEVELS, PER_100K, PHE_FUNNEL_MIN_EVENTS
from overdose_trends.stats._checks import count_array, count_column
from overdose_trends.stats._fingertips import (
    CI_LABELS,
    FUNNEL_CATEGORIES,
    QUINTILE_LABELS,
    Polarity,
    check_polarity,
    ci_category,
    funnel_category,
)
from overdose_trends.stats.inequality import quantiles
from overdose_trends.stats.intervals import exact_poisson_limits, poisson_limits

__all__ = [
    "COMPARED_LABELS",
    "FUNNEL_LABELS",
    "funnel_limits",
    "rank_areas",
    "vs_benchmark",
]

RateType = Literal["dsr", "crude"]

#: ``funnel_significance`` labels, in the order of PHEindicatormethods' factor levels.
FUNNEL_LABELS = (
    "High (0.001)",
    "High (0.025)",
    "Low (0.001)",
    "Low (0.025)",
    "Not significant",
    "Not applicable for events less than 10 for dsrs",
)

#: ``compared`` labels of :func:`vs_benchmark`.
COMPARED_LABELS = ("lower", "similar", "higher", "not_compared")

_LEVEL_NAMES = {0.95: "95", 0.998: "998"}


# --- helpers ---------------------------------------------------------------------------


#: Columns that hold values or provenance, never a reason for an area to appear twice.
_NOT_GROUPING = VALUE_COLUMNS | {"area_name"}


def _check_unique_areas(
    groups: Groups, area: Hashable | None, values: Sequence[Hashable | None] = ()
) -> None:
    """An area must appear once per comparison group (e.g. one sex, measure and period).

    The message names the columns in which the repeated rows differ (other than
    ``values`` and value columns) and the ``by=`` that separates them.
    """
    data, keys = groups.data, groups.keys
    if area is None or area not in data.columns:
        return
    dup = data.duplicated([*keys, area], keep=False).to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        same_area = (data[area] == data[area].iloc[i]).to_numpy(dtype=bool, na_value=False)
        same = same_area & (groups.gid == groups.gid[i])
        rows = data.iloc[np.flatnonzero(same)]
        varying = differing_columns(rows, [*keys, area, *values, *_NOT_GROUPING])
        if varying:
            hint = (
                f"the rows differ in {varying}: filter the table to one value of each, or pass "
                f"by={[*keys, *varying]!r}"
            )
        else:
            hint = "drop the repeated rows"
        raise ValueError(
            f"area {data[area].iloc[i]!r} appears {int(same.sum())} times in "
            f"{groups.name(groups.gid[i])} (row index {show(data.index[i])}); compare one row "
            f"per area: {hint}"
        )


def _check_rate_type(rate_type: str) -> None:
    if rate_type not in ("dsr", "crude"):
        raise ValueError(f"rate_type must be 'dsr' or 'crude', not {rate_type!r}")


def _derived_person_years(
    data: pd.DataFrame,
    deaths: Hashable,
    rate: Hashable,
    population: Hashable | None,
    rate_type: RateType,
    multiplier: float,
    func: str,
    population_arg: str = "population",
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Counts, rates and the person-years implied by them, as PHEindicatormethods derives them.

    ``multiplier * O / rate`` where O > 0. Where O = 0 a DSR has no derived
    denominator (NaN) and a crude rate takes the ``population`` column (required then;
    ``population_arg`` is the name of the argument of ``func`` that names it).
    """
    count = count_column(data, deaths)
    value = numeric(data, rate)
    neg = count < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise ValueError(
            f"{func}: negative count {count[i]:g} in column {deaths!r} "
            f"(row index {show(data.index[i])})"
        )
    bad = (count > 0) & ~(value > 0) & ~np.isnan(value)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{func}: rate {value[i]:g} in column {rate!r} with {count[i]:g} events "
            f"(row index {show(data.index[i])}); a rate from a positive count must be positive"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = np.where(count > 0, multiplier * count / value, np.nan)
    zero = count == 0
    if rate_type == "crude" and zero.any():
        if population is None:
            i = int(np.argmax(zero))
            raise ValueError(
                f"{func}: row index {show(data.index[i])} has 0 events, so its crude rate gives no "
                f"denominator; pass {population_arg}= naming the population column"
            )
        pop = count_column(data, population)
        nonpos = zero & ~(pop > 0)
        if nonpos.any():
            i = int(np.argmax(nonpos))
            raise ValueError(
                f"{func}: population {pop[i]:g} in column {population!r} (row index "
                f"{show(data.index[i])}) must be positive"
            )
        derived = np.where(zero, pop, derived)
    return count, value, derived


def _pooled_rate(
    count: NDArray[np.float64], derived: NDArray[np.float64], gid: NDArray[np.int64], n: int
) -> NDArray[np.float64]:
    """Per-group sum of events over sum of person-years (rows with both known), per person-year."""
    ok = ~np.isnan(count) & ~np.isnan(derived)
    num = np.bincount(gid[ok], weights=count[ok], minlength=n)
    den = np.bincount(gid[ok], weights=derived[ok], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _signif(x: float, factor: float, figures: int, rounding: Callable[[float], int]) -> float:
    """``factor x`` rounded by ``rounding`` to ``figures`` significant figures (funnel axis).

    ``_signif(x, 0.95, 1, math.floor)``: ``0.95 x`` rounded down to one significant
    figure (PHE's axis minimum); ``_signif(x, 1.05, 2, math.ceil)``: ``1.05 x`` rounded up
    to two (PHE's axis maximum).
    """
    if x == 0:
        return 0.0
    digits = len(str(rounding(x * factor)))
    scale = 10.0 ** (digits - figures)
    return rounding(x * factor / scale) * scale


def _event_grid(derived: NDArray[np.float64], theta: float, years: float) -> NDArray[np.float64]:
    """The 100 event counts at which PHEindicatormethods tabulates rate funnels.

    The population axis runs from 0 (or, when the largest derived population is
    at most twice the smallest, 95% of the smallest annual population rounded
    down to one significant figure) to 105% of the largest rounded up to two
    significant figures; the ends are converted to events at the benchmark rate
    and 100 counts spaced geometrically between them, each at least one more
    than the last. (A fixed 100-step recurrence on two numbers, not a data loop.)
    """
    known = derived[~np.isnan(derived)]
    if known.size == 0:
        raise ValueError("funnel_limits: no row has a usable count and rate to set the axis")
    lo, hi = float(known.min()), float(known.max())
    axis_min = 0.0 if hi > 2 * lo else _signif(lo / years, 0.95, 1, math.floor) * years
    axis_max = _signif(hi / years, 1.05, 2, math.ceil) * years
    first = max(1.0, math.floor(axis_min * theta))
    last = math.ceil(axis_max * theta)
    grid = [first]
    for j in range(2, 101):
        prev = grid[-1]
        step = round((last / prev) ** (1.0 / (101 - j)) * prev)  # half to even, as R's round
        grid.append(max(float(step), prev + 1.0))
    return np.asarray(grid)


# --- funnel limits ---------------------------------------------------------------------


def funnel_limits(
    data: pd.DataFrame | None = None,
    *,
    benchmark: float | None = None,
    events: ArrayLike | None = None,
    population: ArrayLike | None = None,
    deaths: Hashable = "deaths",
    rate: Hashable = "rate",
    denominator: Hashable | None = None,
    rate_type: RateType = "dsr",
    multiplier: float = PER_100K,
    years: float = 1,
) -> pd.DataFrame:
    """Funnel-plot control limits (95% and 99.8%) for rates around a benchmark rate.

    Parameters
    ----------
    data : DataFrame, optional
        The areas to be plotted, one row each, with a count column (``deaths``)
        and a rate column (``rate``, per ``multiplier`` person-years). Used to
        set the benchmark when ``benchmark`` is None (pooled rate: total events
        over total person-years derived as ``multiplier * deaths / rate``, rows
        with both known; for a crude rate with 0 events the ``denominator``
        column) and, when neither ``events`` nor ``population`` is given, to set
        the axis as PHEindicatormethods does (see Notes).
    benchmark : float, optional
        Benchmark rate per ``multiplier`` (e.g. England's 6.7 per 100,000).
        Required without ``data``.
    events : array-like of float, optional
        Event counts (non-negative) at which to tabulate the limits.
    population : array-like of float, optional
        Annual populations (positive) at which to tabulate the limits, for a
        funnel drawn against population. Give at most one of ``events`` and
        ``population``.
    deaths, rate, denominator : column names
        Count, rate and (crude rates only, needed where the count is 0)
        population columns of ``data``.
    rate_type : {"dsr", "crude"}, default "dsr"
        How ``data`` rows with 0 events are treated: a DSR gives no
        denominator (the row is left out of the pooled rate and the axis); a
        crude rate uses ``denominator``.
    multiplier : float, default 100000
        Rate denominator (100,000 for ONS local-authority rates).
    years : float, default 1
        Years of data per area (3 for ONS three-year periods). Populations
        are annual: person-years = population x years.

    Returns
    -------
    pandas.DataFrame
        By events (default; ``events`` given or the grid from ``data``), one row
        per count, columns:

        ``events`` (float), then for each level ``95`` and ``998``:
        ``lower_<level>_population`` and ``lower_<level>_limit`` (the annual
        population at which ``events`` events lie on the lower control limit, and
        that limit as a rate per ``multiplier``), ``upper_<level>_population`` and
        ``upper_<level>_limit`` (likewise for the upper limit; NaN for 0
        events, which can never be significantly high), and ``benchmark`` (rate
        per ``multiplier``).

        By population (``population`` given), one row per population:
        ``population``, ``expected`` (events expected at the benchmark over
        ``years``), ``lower_95_limit``, ``upper_95_limit``, ``lower_998_limit``,
        ``upper_998_limit`` (rates per ``multiplier``; a lower limit is 0 where
        even 0 events would not be significantly low) and ``benchmark``.

        Names map to PHEindicatormethods' ``calculate_funnel_limits`` output as
        ``Events`` -> ``events``; ``lower_2s_population_1_year`` ->
        ``lower_95_population``; ``lower_2s_limit`` -> ``lower_95_limit``;
        ``upper_2s_*`` -> ``upper_95_*``; ``lower_3s_*`` -> ``lower_998_*``;
        ``upper_3s_*`` -> ``upper_998_*``; ``baseline`` -> ``benchmark``. The
        ``statistic`` and ``method`` metadata columns (``type = "full"``) are
        not repeated: the statistic is a rate per ``multiplier`` and the method
        is always exact Poisson.

    Raises
    ------
    ValueError
        Without a benchmark or data; with both ``events`` and ``population``;
        for negative events, non-positive populations, benchmark, multiplier or
        years; for data columns that are missing, non-numeric, or inconsistent
        (negative counts, a non-positive rate with a positive count, a crude
        rate with 0 events and no population).

    Notes
    -----
    Limits use exact Poisson (chi-square) quantiles at every count; see the
    module docstring for the formulas. PHEindicatormethods finds the same
    quantiles by bisection on ``v = mu / (1 + O + mu)`` to an absolute 2**-24,
    so its values differ from these by up to ``2**-24 / (v (1 - v))``
    relatively (about 2.4e-7 for large counts, 1.2e-4 for the 99.8% upper
    limit at 1 event).

    The grid from ``data`` follows PHEindicatormethods: the axis runs from 0
    (or, when the largest derived population is at most twice the smallest, 95%
    of the smallest annual population rounded down to one significant figure) to
    105% of the largest rounded up to two significant figures, converted to
    events at the benchmark; 100 counts are spaced geometrically from
    ``max(1, minimum)``, each at least one more than the previous.

    References
    ----------
    Spiegelhalter DJ (2005), *Statistics in Medicine* 24:1185-1202;
    PHE Fingertips technical guidance (funnel plots); PHEindicatormethods
    ``calculate_funnel_limits(statistic = "rate")``.

    Examples
    --------
    Limits for districts of 50,000 and 100,000 people over a three-year period,
    around England's 2016-18 rate of 6.7 per 100,000:

    >>> f = ot.funnel_limits(benchmark=6.7, population=[50_000, 100_000], years=3)
    >>> f[["population", "expected", "lower_95_limit", "upper_95_limit"]].round(2)
       population  expected  lower_95_limit  upper_95_limit
    0     50000.0     10.05            2.58           11.46
    1    100000.0     20.10            3.78            9.94
    """
    _check_rate_type(rate_type)
    multiplier = positive("multiplier", multiplier)
    years = positive("years", years)
    if events is not None and population is not None:
        raise ValueError("funnel_limits: give events= or population=, not both")
    derived = None
    if data is not None:
        require_columns(data, [deaths, rate], "funnel_limits")
        count, _, derived = _derived_person_years(
            data, deaths, rate, denominator, rate_type, multiplier, "funnel_limits", "denominator"
        )
    if benchmark is not None:
        theta = positive("benchmark", benchmark) / multiplier
    elif derived is not None:
        theta = float(_pooled_rate(count, derived, np.zeros(derived.size, np.int64), 1)[0])
        if not theta > 0:
            raise ValueError(
                "funnel_limits: the data give no positive pooled rate to use as benchmark"
            )
    else:
        raise ValueError("funnel_limits: give benchmark= (a rate per multiplier) or data")

    if population is not None:
        return _limits_by_population(population, theta, multiplier, years)
    if events is not None:
        e = np.atleast_1d(count_array(events, "funnel_limits: events"))
        if e.ndim != 1 or not np.all(np.isfinite(e)) or (e < 0).any():
            raise ValueError("funnel_limits: events must be a 1-d array of finite counts >= 0")
    elif derived is not None:
        e = _event_grid(derived, theta, years)
    else:
        raise ValueError("funnel_limits: give events=, population= or data to set the axis")
    return _limits_by_events(e, theta, multiplier, years)


def _limits_by_events(
    e: NDArray[np.float64], theta: float, multiplier: float, years: float
) -> pd.DataFrame:
    out: dict[str, NDArray[np.float64]] = {"events": e}
    with np.errstate(divide="ignore", invalid="ignore"):
        for conf in FUNNEL_LEVELS:
            name = _LEVEL_NAMES[conf]
            o_lower, o_upper = exact_poisson_limits(e, conf)
            # lower limit: the expected count equals the upper limit of the observed count
            out[f"lower_{name}_population"] = o_upper / theta / years
            out[f"lower_{name}_limit"] = e * theta / o_upper * multiplier
            upper_pop = o_lower / theta
            out[f"upper_{name}_population"] = np.where(e > 0, upper_pop / years, np.nan)
            out[f"upper_{name}_limit"] = np.where(e > 0, e * theta / o_lower * multiplier, np.nan)
    out["benchmark"] = np.full(e.shape, theta * multiplier)
    return pd.DataFrame(out)


def _limits_by_population(
    population: ArrayLike, theta: float, multiplier: float, years: float
) -> pd.DataFrame:
    n = np.atleast_1d(count_array(population, "funnel_limits: population"))
    if n.ndim != 1 or not np.all(np.isfinite(n)) or (n <= 0).any():
        raise ValueError("funnel_limits: population must be a 1-d array of finite values > 0")
    person_years = n * years
    mu = theta * person_years
    out: dict[str, NDArray[np.float64]] = {"population": n, "expected": mu}
    for conf in FUNNEL_LEVELS:
        name = _LEVEL_NAMES[conf]
        tail = (1.0 - conf) / 2.0
        # gdtrib(1, p, x) solves P(a, x) = p for the shape a (P: regularised lower gamma)
        e_lo = np.maximum(special.gdtrib(1.0, 1.0 - tail, mu) - 1.0, 0.0)
        e_hi = special.gdtrib(1.0, tail, mu)
        out[f"lower_{name}_limit"] = e_lo / person_years * multiplier
        out[f"upper_{name}_limit"] = e_hi / person_years * multiplier
    out["benchmark"] = np.full(n.shape, theta * multiplier)
    return pd.DataFrame(out)


# --- comparison with a benchmark -----------------------------------------------------


def _benchmark_per_row(
    groups: Groups,
    n_groups: int,
    benchmark: float | str | None,
    rate: Hashable,
    area: Hashable | None,
    pooled: NDArray[np.float64] | None,
    multiplier: float,
) -> NDArray[np.float64]:
    """Benchmark rate (per ``multiplier``) for every row."""
    data, gid = groups.data, groups.gid
    if benchmark is None:
        if pooled is None:
            raise ValueError(
                "vs_benchmark: benchmark=None (the pooled rate) needs a deaths column; "
                "give a benchmark rate or area code"
            )
        bench = pooled * multiplier
    elif isinstance(benchmark, str):
        if area is None or area not in data.columns:
            raise ValueError(
                f"vs_benchmark: benchmark {benchmark!r} is an area code but data has no "
                f"area column {area!r}"
            )
        is_bench = (data[area] == benchmark).to_numpy(dtype=bool, na_value=False)
        hits = np.bincount(gid[is_bench], minlength=n_groups)
        if (hits != 1).any():
            g = int(np.argmax(hits != 1))
            raise ValueError(
                f"vs_benchmark: benchmark area {benchmark!r} appears {int(hits[g])} times in "
                f"{groups.name(g)}; it must appear exactly once per group"
            )
        values = numeric(data, rate)
        bench = np.full(n_groups, np.nan)
        bench[gid[is_bench]] = values[is_bench]
        bad = ~(bench > 0)
        if bad.any():
            g = int(np.argmax(bad))
            row = int(np.flatnonzero(is_bench & (gid == g))[0])
            raise ValueError(
                f"vs_benchmark: benchmark area {benchmark!r} has rate {bench[g]:g} in "
                f"{groups.name(g)} (row index {show(data.index[row])}); a benchmark "
                f"rate must be positive (filter to periods with published rates, e.g. ONS "
                f"three-year periods)"
            )
    else:
        bench = np.full(n_groups, positive("benchmark", benchmark))
    return bench[gid]


def vs_benchmark(
    data: pd.DataFrame,
    benchmark: float | str | None = None,
    *,
    by: Hashable | Sequence[Hashable] | None = None,
    rate: Hashable = "rate",
    lcl: Hashable = "lcl",
    ucl: Hashable = "ucl",
    deaths: Hashable | None = "deaths",
    population: Hashable | None = None,
    conf: float | None = None,
    rate_type: RateType = "dsr",
    multiplier: float = PER_100K,
    years: float = 1,
    area: Hashable | None = "area_code",
    polarity: Polarity | None = None,
) -> pd.DataFrame:
    """Compare each area's rate with a benchmark rate.

    Parameters
    ----------
    data : DataFrame
        One row per area (per ``by`` group), e.g. a filtered
        :func:`overdose_trends.io.datasets.la_deaths` table.
    benchmark : float, str or None
        The benchmark rate per ``multiplier`` (e.g. 6.7); or an area code
        (e.g. ``"E92000001"`` for England), whose rate in each ``by`` group is
        used; or None for the pooled rate of the group's areas (total deaths
        over total derived person-years), as PHEindicatormethods
        ``assign_funnel_significance`` uses.
    by : column name or list, optional
        Columns defining separate comparisons (e.g. ``["sex", "period_end"]``).
    rate, lcl, ucl : column names
        Rate per ``multiplier`` and its confidence limits.
    deaths : column name or None, default "deaths"
        Event counts, for ``funnel_significance``, ``funnel_population``, the
        pooled benchmark and ``conf``. None skips those.
    population : column name, optional
        Population (person-years) of crude-rate rows with 0 events.
    conf : float, optional
        None (default) compares the published ``lcl``/``ucl``. A level (e.g.
        0.998) instead compares limits recomputed from the count,
        ``multiplier * L(O) / n`` with ``n`` the derived person-years and ``L``
        the PHE rule, :func:`overdose_trends.stats.intervals.poisson_limits` with
        ``method="phe"``: exact Poisson below 10 events, Byar's from 10 (for a DSR
        this scales the rate by the count's relative limits, as the funnel test
        does, rather than Dobson's method).
    rate_type : {"dsr", "crude"}, default "dsr"
        Kind of rate, as in :func:`funnel_limits`.
    multiplier : float, default 100000
        Rate denominator.
    years : float, default 1
        Years of data per row; ``funnel_population`` is per year.
    area : column name or None, default "area_code"
        Area identifier: checked to be unique within each group, and looked up
        when ``benchmark`` is an area code.
    polarity : {"low_is_good", "high_is_good", "no_judgement"}, optional
        Add Fingertips' comparison categories: "low_is_good" for death rates
        (lower is better), "high_is_good", or "no_judgement" where no direction
        is set (Higher/Lower instead of Better/Worse). None (default) adds none.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with columns added:

        ``benchmark`` (float)
            Benchmark rate per ``multiplier`` used for the row.
        ``compared`` (categorical ``"lower"``, ``"similar"``, ``"higher"``, ``"not_compared"``)
            ``"higher"`` when the lower confidence limit is above the benchmark,
            ``"lower"`` when the upper limit is below it, ``"similar"`` when the
            interval includes it (a limit equal to the benchmark counts as
            including it), ``"not_compared"`` when the rate, a limit or the
            benchmark is missing (e.g. ONS rates not calculated from fewer than
            10 deaths).
        ``funnel_significance`` (categorical, :data:`FUNNEL_LABELS`)
            PHEindicatormethods' label: "High (0.001)" when the benchmark lies
            below the 99.8% lower limit of the area's count divided by its
            derived person-years, "High (0.025)" below the 95% one, "Low
            (0.001)"/"Low (0.025)" likewise above the upper limits, else "Not
            significant"; "Not applicable for events less than 10 for dsrs" for
            a DSR from fewer than 10 events; <NA> without a count, without a rate
            (from 10 events up) or without a benchmark. Only with ``deaths``.
        ``funnel_population`` (float)
            The area's x position on a population funnel: derived person-years
            divided by ``years`` (PHEindicatormethods ``calculate_funnel_points``
            ``denominator_derived``); NaN for a DSR from fewer than 10 events.
            Only with ``deaths``.
        ``category`` (categorical; with ``polarity``)
            Fingertips' label for ``compared``: "Better", "Similar", "Worse"
            (or "Lower", "Similar", "Higher" without a direction), "Not compared".
        ``category_funnel`` (categorical; with ``polarity`` and ``deaths``)
            The 95%/99.8% funnel comparison: "Better 99.8%", "Better 95%",
            "Similar", "Worse 95%", "Worse 99.8%" (or Lower/Higher), "Not
            compared" (no count, no rate, or a DSR from fewer than 10 deaths).
        ``category_quintile`` (categorical; with ``polarity``)
            Quintile of the rate among the group's areas (the benchmark area
            left out), Fingertips' choice where no benchmark comparison is wanted:
            "Best" ... "Worst" by polarity, or "Lowest", "Low", "Middle", "High",
            "Highest" with "no_judgement"; <NA> without a rate or with fewer than
            five areas. Quintiles follow :func:`overdose_trends.stats.inequality.quantiles`.

    Raises
    ------
    ValueError
        For missing or non-numeric columns, an area repeated within a group,
        a benchmark area missing or repeated in a group or without a positive
        rate, a non-positive benchmark, or the count/rate problems listed in
        :func:`funnel_limits`.

    Notes
    -----
    The pooled benchmark (``benchmark=None``) sums events only over rows with a
    derived denominator, so ONS rows with a count but no published rate do not
    inflate it (PHEindicatormethods sums every count; with its inputs, where
    only zero counts lack a denominator, the two agree). Crude rates with a
    positive count derive person-years from the rate even when ``population`` is
    given, as PHEindicatormethods does.

    References
    ----------
    PHE/OHID Fingertips technical guidance ("compared with benchmark":
    confidence-interval method); Spiegelhalter (2005); PHEindicatormethods
    ``assign_funnel_significance`` and ``calculate_funnel_points``.

    Examples
    --------
    Drug-poisoning deaths 2016-18 (ONS 2019 edition, persons) in three Norfolk
    districts against England's 6.7 (6.6-6.9) per 100,000:

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
    ...     "and period_end == 2018 "
    ...     "and area_code in ['E92000001', 'E07000145', 'E07000148', 'E07000149']"
    ... )
    >>> out = ot.vs_benchmark(la, "E92000001")
    >>> out[["area_name", "rate", "lcl", "ucl", "compared", "funnel_significance"]]
                area_name  rate   lcl   ucl compared funnel_significance
    20575         ENGLAND   6.7   6.6   6.9  similar     Not significant
    24060  Great Yarmouth  12.2   8.3  17.2   higher        High (0.025)
    24111         Norwich  21.0  16.6  26.3   higher        High (0.001)
    24128   South Norfolk   6.4   4.1   9.5  similar     Not significant
    """
    keys = as_list(by)
    need = [*keys, rate] + ([lcl, ucl] if conf is None else [])
    if deaths is not None:
        need.append(deaths)
    if conf is not None and deaths is None:
        raise ValueError("vs_benchmark: conf= recomputes limits from counts; give deaths=")
    require_columns(data, need, "vs_benchmark")
    _check_rate_type(rate_type)
    multiplier = positive("multiplier", multiplier)
    years = positive("years", years)
    groups = Groups(data, keys)
    n_groups = groups.n if keys else 1  # without keys the table is one group, even when empty
    _check_unique_areas(groups, area, [rate, lcl, ucl, deaths, population])
    values = numeric(data, rate)

    counts = pooled = None
    if deaths is not None:
        counts = _derived_person_years(
            data, deaths, rate, population, rate_type, multiplier, "vs_benchmark"
        )
        pooled = _pooled_rate(counts[0], counts[2], groups.gid, n_groups)
    bench = _benchmark_per_row(groups, n_groups, benchmark, rate, area, pooled, multiplier)

    if counts is None or conf is None:
        low, high = numeric(data, lcl), numeric(data, ucl)
    else:
        count, _, derived = counts
        c_lo, c_hi = poisson_limits(count, conf, "phe")
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = c_lo / derived * multiplier, c_hi / derived * multiplier
    missing = np.isnan(values) | np.isnan(low) | np.isnan(high) | np.isnan(bench)
    compared = np.select(
        [missing, low > bench, high < bench], ["not_compared", "higher", "lower"], "similar"
    )
    out = data.copy()
    out["benchmark"] = bench
    out["compared"] = pd.Categorical(compared, categories=COMPARED_LABELS)
    if counts is not None:
        count, _, derived = counts
        labels, point = _funnel_points(count, derived, bench / multiplier, rate_type, years)
        out["funnel_significance"] = pd.Categorical(labels, categories=FUNNEL_LABELS)
        out["funnel_population"] = point
    if polarity is not None:
        _add_categories(out, groups, polarity, values, benchmark, area)
    return out


def _add_categories(
    out: pd.DataFrame,
    groups: Groups,
    polarity: Polarity,
    values: NDArray[np.float64],
    benchmark: float | str | None,
    area: Hashable | None,
) -> None:
    """Fingertips' category columns (see :func:`vs_benchmark`), added in place."""
    check_polarity(polarity, "vs_benchmark")
    direction: NDArray[np.int64] = np.asarray(
        out["compared"].astype(object).map(_DIRECTION), dtype=np.int64
    )
    labels = list(CI_LABELS[polarity])
    out["category"] = pd.Categorical(list(ci_category(direction, polarity)), categories=labels)
    if "funnel_significance" in out.columns:
        mapped = out["funnel_significance"].astype(object).map(_LEVEL)
        level: NDArray[np.int64] = np.asarray(mapped.fillna(9), dtype=np.int64)
        cats = list(FUNNEL_CATEGORIES[polarity])
        out["category_funnel"] = pd.Categorical(
            list(funnel_category(level, polarity)), categories=cats
        )
    ranked = pd.DataFrame({"g": groups.gid, "v": values}, index=out.index)
    if isinstance(benchmark, str) and area is not None:
        ranked.loc[(out[area] == benchmark).to_numpy(dtype=bool), "v"] = np.nan
    q = quantiles(ranked, "v", 5, by="g", invert=False)["quantile"]
    names = np.asarray(QUINTILE_LABELS[polarity], dtype=object)
    text = np.where(q.isna(), None, names[(q.fillna(1).to_numpy(dtype=np.int64) - 1)])
    out["category_quintile"] = pd.Categorical(
        list(text), categories=list(QUINTILE_LABELS[polarity])
    )


#: ``compared`` -> direction for :func:`ci_category`.
_DIRECTION = {"lower": -1, "similar": 0, "higher": 1, "not_compared": 2}
#: ``funnel_significance`` -> level for :func:`funnel_category` (others: not compared).
_LEVEL = {
    FUNNEL_LABELS[0]: 2,
    FUNNEL_LABELS[1]: 1,
    FUNNEL_LABELS[2]: -2,
    FUNNEL_LABELS[3]: -1,
    FUNNEL_LABELS[4]: 0,
}


def _funnel_points(
    count: NDArray[np.float64],
    derived: NDArray[np.float64],
    theta: NDArray[np.float64],
    rate_type: RateType,
    years: float,
) -> tuple[NDArray[np.object_], NDArray[np.float64]]:
    """PHEindicatormethods' funnel significance label and x position (annual population).

    ``theta`` is the benchmark rate per person-year of each row.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lim = {c: poisson_limits(count, c, "phe") for c in FUNNEL_LEVELS}
        lo998, hi998 = lim[0.998][0] / derived, lim[0.998][1] / derived
        lo95, hi95 = lim[0.95][0] / derived, lim[0.95][1] / derived
    labels = np.select(
        [theta < lo998, theta < lo95, theta > hi998, theta > hi95],
        list(FUNNEL_LABELS[:4]),
        FUNNEL_LABELS[4],
    ).astype(object)
    labels[np.isnan(derived) | np.isnan(theta)] = None  # no rate to test, or no benchmark
    # PHE's funnel rule for DSRs (its own threshold, not the ONS rate status)
    small = count < PHE_FUNNEL_MIN_EVENTS
    if rate_type == "dsr":
        labels[small] = FUNNEL_LABELS[5]
    labels[np.isnan(count)] = None
    point = derived / years
    if rate_type == "dsr":
        point = np.where(small, np.nan, point)
    return labels, point


# --- ranks -----------------------------------------------------------------------------


def rank_areas(
    data: pd.DataFrame,
    value: Hashable = "rate",
    by: Hashable | Sequence[Hashable] | None = None,
    ascending: bool = False,
    *,
    area: Hashable | None = "area_code",
) -> pd.DataFrame:
    """Rank areas by a value within comparison groups, ties sharing the lowest rank.

    Parameters
    ----------
    data : DataFrame
        One row per area (per ``by`` group), e.g. English non-metropolitan
        districts for one period, measure and sex.
    value : column name, default "rate"
        Numeric column to rank by.
    by : column name or list, optional
        Columns defining separate rankings (e.g. ``["period_end", "sex"]``).
    ascending : bool, default False
        False ranks the highest value 1 (e.g. highest death rate); True ranks
        the lowest value 1.
    area : column name or None, default "area_code"
        Area identifier, checked to be unique within each group (skipped if
        None or absent).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with:

        ``rank`` (Int64)
            1 + the number of areas in the group with a strictly higher value
            (strictly lower when ``ascending``): tied areas share the lowest
            rank and the next rank is skipped (pandas ``method="min"``, the
            "1, 2, 2, 4" competition ranking). <NA> where ``value`` is missing
            (e.g. an ONS rate not calculated): such areas are kept, not ranked.
        ``n_ranked`` (Int64)
            Number of areas ranked in the group (missing values excluded), so
            ``rank`` reads "rank of n_ranked".
        ``tied`` (boolean)
            True when another ranked area in the group has the same value;
            <NA> for unranked areas.

    Raises
    ------
    ValueError
        For a missing or non-numeric column, or an area repeated within a group.

    Notes
    -----
    Ranks of published rates ignore their uncertainty: two areas whose
    confidence intervals overlap may differ in rank by chance. Ties are exact
    equality of the published (rounded) values.

    References
    ----------
    OHID Fingertips presents areas ordered by value with the benchmark
    comparison (:func:`vs_benchmark`); competition ("min") ranking as in
    pandas ``DataFrame.rank(method="min")``.

    Examples
    --------
    The seven Norfolk districts by drug-poisoning death rate, 2016-18 (ONS):

    >>> la = ot.datasets.la_deaths().query(
    ...     "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
    ...     "and period_end == 2018 and area_code.str.match('E0700014[3-9]')"
    ... )
    >>> ranked = ot.rank_areas(la).sort_values("rank")
    >>> ranked[["area_name", "rate", "rank", "n_ranked", "tied"]].head(2)
                area_name  rate  rank  n_ranked   tied
    24111         Norwich  21.0     1         7  False
    24060  Great Yarmouth  12.2     2         7  False
    """
    keys = as_list(by)
    require_columns(data, [*keys, value], "rank_areas")
    if not isinstance(ascending, bool | np.bool_):
        raise ValueError(f"rank_areas: ascending must be True or False, not {ascending!r}")
    groups = Groups(data, keys)
    _check_unique_areas(groups, area, [value])
    values = pd.Series(numeric(data, value), index=data.index)
    gid, n_groups = groups.gid, groups.n
    grouped = values.groupby(gid, sort=False)
    ranks = grouped.rank(method="min", ascending=bool(ascending), na_option="keep")
    present = values.notna().to_numpy()
    n_ranked = np.bincount(gid[present], minlength=n_groups)
    same = values.groupby([gid, values.to_numpy()], sort=False, dropna=False).transform("size")
    out = data.copy()
    out["rank"] = ranks.astype("Int64").array
    out["n_ranked"] = pd.array(n_ranked[gid] if n_groups else [], dtype="Int64")
    tied = pd.array(same.to_numpy() > 1, dtype="boolean")
    tied[~present] = pd.NA
    out["tied"] = tied
    return out
