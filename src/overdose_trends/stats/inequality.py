"""Inequality by deprivation: quantiles of a ranking, and the slope and relative index.

:func:`quantiles`
    Assigns areas to quantiles (quintiles, deciles, ...) of a value such as the
    IMD 2019 average score, as PHEindicatormethods ``calculate_quantiles``
    (formerly ``phe_quantile``) and the OHID technical guide *Assigning
    deprivation categories*.
:func:`sii`
    The slope index of inequality (SII) and relative index of inequality (RII)
    across quantiles, with confidence limits by simulation, as
    PHEindicatormethods ``calculate_sii`` (formerly ``phe_sii``).

Quantile rule (PHEindicatormethods)
-----------------------------------
Within each group, with ``N`` areas that have a value and ``n`` quantiles, each
area's rank ``r`` is 1 + the number of areas with a strictly smaller adjusted
value (ties share the lowest rank); the adjusted value is ``max(value) - value``
when ``invert`` (so the highest value is ranked 1: for IMD scores, quantile 1
is the most deprived) and the value itself otherwise. The quantile is
``floor(n + 1 - ceil((N + 1 - r) / (N / n)))``, with 0 raised to 1. Groups
with fewer areas than quantiles get no quantile.

SII method (Low & Low 2004; PHEindicatormethods)
------------------------------------------------
Quantiles are ordered from 1 (most deprived) upwards. Each quantile's share of
the group's population is ``a``; its relative rank ``b`` is the midpoint of its
range in the cumulative share (0.1 for the first of ten equal deciles). The
model ``sqrt(a) y = c sqrt(a) + d b sqrt(a)`` is fitted by least squares (a
population-weighted regression of the value ``y`` on ``b``, the square root
weighting for heteroskedasticity). The SII is ``d``, the difference between the
fitted values at ``b = 1`` (least deprived end) and ``b = 0`` (most deprived
end); the RII is their ratio ``(c + d) / c``. With ``transform=True`` the value
is first put on the log (rate) or logit (proportion) scale, the line fitted
there, and the SII and RII are the difference and ratio of the back-transformed
fitted values at the two ends. With quantile 1 the most deprived, an indicator
that is higher in deprived areas (such as a death rate) has a negative SII and
an RII below 1; ``multiplier=-1`` reverses the sign and inverts the RII.

Confidence limits are by simulation: each quantile's value is drawn
``repetitions`` times from a normal distribution centred on the value with its
standard error (on the log scale for rates and the logit scale for proportions,
then back-transformed unless ``transform``), each draw set is fitted as above,
and the limits are the ``round(R alpha/2)``-th and ``round(R (1 - alpha/2))``-th
smallest simulated values. With ``transform=True`` the limits are those of the
simulated slope on the transformed scale, the line pivoted about its fitted
value at the middle of the ranking and back-transformed (PHEindicatormethods'
rule). The standard error, when not given, is
``(ucl - lcl) / (2 x 1.959964)`` from 95% limits (on the transformed scale for
rates and proportions), as PHEindicatormethods hard-codes.

References
----------
Low A, Low A (2004). Measuring the gap: quantifying and comparing local health
inequalities. *Journal of Public Health* 26(4):388-395.

PHEindicatormethods (R package, PHE/OHID/UKHSA): ``calculate_sii`` and
``calculate_quantiles``; their published test data (``testdata_SII.xlsx``,
``testdata_Quantiles.xlsx``) are reproduced by the test-suite.

OHID. *Technical guide: assigning deprivation categories* and *Slope index of
inequality*, Fingertips public health methods,
https://fingertips.phe.org.uk/profile/guidance/supporting-information/PH-methods
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import Groups, as_list, numeric, require_columns, show
from overdose_trends.stats import _sii
from overdose_trends.stats._checks import MAX_COUNT
from overdose_trends.stats._sii import ValueType
from overdose_trends.stats.intervals import z_value

__all__ = ["quantiles", "sii"]

#: Value types of :func:`sii` with PHEindicatormethods' numeric codes.
_VALUE_TYPES = {"normal": 0, "rate": 1, "proportion": 2}
#: Reliability check: simulate this many sets and compare the first with the others.
_RELIABILITY_SETS = 10


# --- quantiles -------------------------------------------------------------------------


def quantiles(
    data: pd.DataFrame,
    value: Hashable = "imd_score",
    n: int = 5,
    *,
    by: Hashable | Sequence[Hashable] | None = None,
    invert: bool | Hashable = True,
    name: str = "quantile",
) -> pd.DataFrame:
    """Assign areas to ``n`` quantiles of a value, as PHEindicatormethods ``calculate_quantiles``.

    Parameters
    ----------
    data : DataFrame
        One row per area (per ``by`` group), e.g. local authorities with their
        IMD 2019 average score.
    value : column name, default "imd_score"
        Numeric column to rank by. Rows where it is missing get no quantile.
    n : int, default 5
        Number of quantiles (5 quintiles, 10 deciles).
    by : column name or list, optional
        Columns defining separate sets of quantiles (e.g. region).
    invert : bool or column name, default True
        True: the highest values go to quantile 1 (for deprivation scores,
        quantile 1 is the most deprived, the convention :func:`sii` expects).
        False: the lowest values go to quantile 1. A column name: a boolean
        column holding the choice per group (the same within each group).
    name : str, default "quantile"
        Name of the added column.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``name`` (Int64, 1..n; <NA> where ``value`` is
        missing or the group has fewer than ``n`` areas with a value) added.

    Raises
    ------
    ValueError
        For a missing or non-numeric column, ``n`` not a whole number of at
        least 2, or an ``invert`` column that varies within a group.

    Notes
    -----
    The rule is stated in :mod:`overdose_trends.stats.inequality`. Areas tied on
    a boundary all go to the lower quantile (PHE advise reviewing such cases by
    hand), so quantiles can hold unequal numbers of areas.

    References
    ----------
    OHID *Technical guide: assigning deprivation categories*; PHEindicatormethods
    ``calculate_quantiles``.

    Examples
    --------
    Ten areas by deprivation score into quintiles (quantile 1 = highest score):

    >>> areas = pd.DataFrame({"area": list("ABCDEFGHIJ"),
    ...                       "imd_score": [41.2, 12.5, 30.1, 8.7, 22.0,
    ...                                     35.9, 17.3, 27.4, 10.2, 19.8]})
    >>> ot.quantiles(areas)["quantile"].tolist()
    [1, 4, 2, 5, 3, 1, 4, 2, 5, 3]
    """
    keys = as_list(by)
    invert_col = None if isinstance(invert, bool | np.bool_) else invert
    require_columns(
        data, [*keys, value] + ([invert_col] if invert_col is not None else []), "quantiles"
    )
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"quantiles: n must be a whole number of at least 2, got {n!r}")
    groups = Groups(data, keys)
    gid = groups.gid
    values = numeric(data, value)
    present = ~np.isnan(values)
    n_valid = np.bincount(gid[present], minlength=groups.n).astype(np.float64)
    if invert_col is None and not invert:
        adjusted = values
    else:
        adjusted = _group_max(values, gid, groups.n)[gid] - values
        if invert_col is not None:
            adjusted = np.where(_invert_per_row(data, groups, invert_col), adjusted, values)
    rank = _min_rank(adjusted, gid)
    big_n = n_valid[gid]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.floor((n + 1) - np.ceil(((big_n + 1) - rank) / (big_n / n)))
    q[q == 0] = 1.0
    q[(big_n < n) | ~present] = np.nan
    out = data.copy()
    missing = np.isnan(q)
    out[name] = pd.arrays.IntegerArray(np.where(missing, 0, q).astype(np.int64), missing)
    return out


def _group_max(
    values: NDArray[np.float64], gid: NDArray[np.int64], n_groups: int
) -> NDArray[np.float64]:
    """Largest value of each group, ignoring NaN (NaN for a group without values)."""
    out = np.full(n_groups, np.nan)
    if not values.size:
        return out
    if np.all(gid[1:] >= gid[:-1]):  # groups in blocks of rows: one pass
        starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
        out[gid[starts]] = np.fmax.reduceat(values, starts)
    else:
        np.fmax.at(out, gid, values)
    return out


def _min_rank(values: NDArray[np.float64], gid: NDArray[np.int64]) -> NDArray[np.float64]:
    """Rank within each group, ties sharing the lowest rank; NaN stays NaN."""
    n = values.size
    ranks = np.full(n, np.nan)
    if not n:
        return ranks
    order = _packed_order(values, gid)
    if order is None:
        order = _sorted_order(values, gid)
    # rows now run group by group (groups in number order), values rising within each
    sizes = np.bincount(gid)
    group_start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    v = values[order]
    new_value = np.empty(n, dtype=bool)
    new_value[0] = True
    np.not_equal(v[1:], v[:-1], out=new_value[1:])
    new_value[group_start == np.arange(n)] = True
    run_start = np.where(new_value, np.arange(n), 0)
    np.maximum.accumulate(run_start, out=run_start)
    run_start -= group_start
    ranks[order] = run_start + 1.0
    ranks[np.isnan(values)] = np.nan
    return ranks


def _sorted_order(values: NDArray[np.float64], gid: NDArray[np.int64]) -> NDArray[np.intp]:
    """Rows ordered by group, then by value (NaN last); ties in any order.

    Sorted by value, then by group with a stable sort that keeps the value order
    inside each group (group numbers below 2**16 as 16-bit integers, which numpy
    sorts by radix in linear time).
    """
    by_value = np.argsort(values)
    group_of = gid[by_value]
    if int(group_of.max()) < 1 << 16:
        group_of = group_of.astype(np.uint16)
    return by_value[np.argsort(group_of, kind="stable")]


def _packed_order(values: NDArray[np.float64], gid: NDArray[np.int64]) -> NDArray[np.intp] | None:
    """:func:`_sorted_order` by one sort of 63-bit integer keys (None if they cannot fit).

    Each key packs the group number, the leading bits of the value's
    order-preserving integer image (sign bit flipped, a negative number's other
    bits inverted; NaN made the largest) and the row number, so sorting the keys
    orders the rows by group and value, the row number read back from the low
    bits. Values that share the leading bits (equal, or equal to seven or more
    significant digits, depending on the bits left) come out in row order; any
    such run that is out of value order is then sorted exactly.
    """
    n = values.size
    row_bits = max(int(n - 1).bit_length(), 1)
    group_bits = int(gid.max()).bit_length()
    value_bits = 63 - row_bits - group_bits
    if value_bits < 16:
        return None
    bits = values.view(np.uint64)
    flip = (values.view(np.int64) >> 63).view(np.uint64)  # all ones for negative numbers
    flip |= np.uint64(1 << 63)
    lead = (bits ^ flip) >> np.uint64(64 - value_bits)
    lead[np.isnan(values)] = (1 << value_bits) - 1  # above every number's leading bits
    key = gid.astype(np.uint64) << np.uint64(value_bits + row_bits)
    key |= lead << np.uint64(row_bits)
    key |= np.arange(n, dtype=np.uint64)
    key = np.sort(key.view(np.int64))  # below 2**63: sorted as signed integers
    order = (key & ((1 << row_bits) - 1)).astype(np.intp)
    v = values[order]
    head = key >> row_bits  # group and leading bits
    same = head[1:] == head[:-1]
    unsorted = same & (v[1:] < v[:-1])
    if unsorted.any():
        starts = np.flatnonzero(np.r_[True, ~same, True])  # runs, and the end
        which = np.unique(np.searchsorted(starts, np.flatnonzero(unsorted), side="right") - 1)
        lengths = starts[which + 1] - starts[which]
        run = np.repeat(np.arange(which.size), lengths)
        at = np.repeat(starts[which] - np.cumsum(np.r_[0, lengths[:-1]]), lengths)
        at += np.arange(at.size)
        order[at] = order[at[np.lexsort((v[at], run))]]
    return order


def _invert_per_row(data: pd.DataFrame, groups: Groups, column: Hashable) -> NDArray[np.bool_]:
    col = data[column]
    if not pd.api.types.is_bool_dtype(col.dtype) or col.isna().any():
        raise ValueError(
            f"quantiles: invert column {column!r} must hold True/False in every row, "
            f"not {col.dtype} values"
        )
    flags = col.to_numpy(dtype=bool)
    lo = np.ones(groups.n, dtype=bool)
    hi = np.zeros(groups.n, dtype=bool)
    np.logical_and.at(lo, groups.gid, flags)
    np.logical_or.at(hi, groups.gid, flags)
    mixed = lo != hi
    if mixed.any():
        g = int(np.argmax(mixed))
        raise ValueError(
            f"quantiles: invert column {column!r} varies within {groups.name(g)}; it must "
            f"take one value per group (or pass by= to separate the groups)"
        )
    return flags


# --- slope index of inequality ---------------------------------------------------------


def sii(
    data: pd.DataFrame,
    *,
    quantile: Hashable = "quantile",
    population: Hashable = "population",
    value: Hashable = "rate",
    lcl: Hashable | None = "lcl",
    ucl: Hashable | None = "ucl",
    se: Hashable | None = None,
    value_type: ValueType = "rate",
    by: Hashable | Sequence[Hashable] | None = None,
    conf: float | Sequence[float] = 0.95,
    repetitions: int = 100_000,
    rii: bool = True,
    transform: bool = False,
    multiplier: float = 1.0,
    reliability: bool = False,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Slope and relative index of inequality across deprivation quantiles.

    Parameters
    ----------
    data : DataFrame
        One row per quantile (per ``by`` group): its value, population and
        either 95% confidence limits or a standard error.
    quantile : column name, default "quantile"
        Quantile number, 1 = most deprived (the order of the regression).
    population : column name, default "population"
        Population of the quantile (positive). Only the shares within a group
        matter; equal populations may be given for LSOA-based IMD quintiles,
        which hold about a fifth of England's population each.
    value : column name, default "rate"
        Indicator value per quantile (e.g. age-standardised rate per million).
    lcl, ucl : column names, default "lcl", "ucl"
        95% confidence limits of the value (used when ``se`` is None).
    se : column name, optional
        Standard error of the value (on the log scale for rates and the logit
        scale for proportions); overrides ``lcl``/``ucl``.
    value_type : {"rate", "proportion", "normal"}, default "rate"
        Rates are simulated on the log scale, proportions (between 0 and 1) on
        the logit scale, "normal" values (e.g. life expectancy) as they are.
    by : column name or list, optional
        Columns defining separate SIIs (e.g. ``["sex", "year"]``).
    conf : float or sequence of float, default 0.95
        Confidence level(s) of the SII limits; several give one row per level.
    repetitions : int, default 100000
        Simulated draw sets (at least 1,000, as PHEindicatormethods).
    rii : bool, default True
        Also return the RII and its limits.
    transform : bool, default False
        Fit the line on the log (rate) or logit (proportion) scale (see the module
        notes). Ignored for "normal" values.
    multiplier : float, default 1
        Factor applied to the SII (100 for percentages; -1 to express a gradient
        that falls with deprivation as positive). Negative values invert the RII.
    reliability : bool, default False
        Simulate ten times as many draw sets and report the mean absolute
        difference between the limits of the first set and of each of the other
        nine (``sii_mad``, ``rii_mad``): how far the limits move with the seed.
    seed : int or numpy Generator, optional
        Seed for reproducible limits.

    Returns
    -------
    pandas.DataFrame
        One row per group (and level), with the ``by`` columns, then:
        ``n_quantiles`` (int), ``sii`` (value units times ``multiplier``: fitted
        value at the least deprived end minus the most deprived end),
        ``sii_lcl``, ``sii_ucl``, ``intercept`` (fitted value at the most
        deprived end, value units), ``rii``, ``rii_lcl``, ``rii_ucl`` (with
        ``rii``), ``sii_mad``, ``rii_mad`` (with ``reliability``), ``conf``,
        ``value_type``, ``transform``, ``multiplier`` and ``repetitions``.

    Raises
    ------
    ValueError
        For missing columns, a group with fewer than two quantiles with data, a
        quantile repeated in a group, a quantile without a positive population
        or with one of 2**53 or more (no count of people is that large), a
        group with all but about a billionth of its population in one quantile
        (no gradient can be fitted), a missing value, limit or standard error, a
        rate that is not positive or a proportion outside (0, 1), or a bad
        ``repetitions``/``conf``; each message names the group and the fix.

    Notes
    -----
    The method is stated in :mod:`overdose_trends.stats.inequality`. The point
    estimates are deterministic and equal PHEindicatormethods'; the limits are
    simulated with numpy's generator, so they agree with the R package's to
    within simulation error (a few thousandths of the interval width at
    100,000 repetitions), not digit for digit. The simulated fits are summed in
    single precision, which moves the limits by about a millionth of the
    interval width (more for the RII of a straight line that nears zero at one
    end), far inside that error. PHEindicatormethods asks for 5 to
    100 quantiles; an SII from fewer quantiles (or more than 10, with small
    populations) is unstable.

    References
    ----------
    Low & Low (2004); PHEindicatormethods ``calculate_sii``; OHID Fingertips
    technical guide *Slope index of inequality*.

    Examples
    --------
    Drug-poisoning deaths by IMD 2019 quintile, males, England 2021 (ONS
    age-standardised rates per million; quintiles taken as equal populations):

    >>> imd = pd.DataFrame({
    ...     "quantile": [1, 2, 3, 4, 5], "population": 1.0,
    ...     "rate": [252.9, 135.0, 84.8, 59.1, 36.8],
    ...     "lcl": [239.2, 125.3, 77.1, 52.6, 31.4],
    ...     "ucl": [266.7, 144.8, 92.5, 65.7, 42.2]})
    >>> out = ot.sii(imd, transform=True, multiplier=-1, repetitions=10_000, seed=1)
    >>> out[["sii", "sii_lcl", "sii_ucl", "rii", "rii_lcl", "rii_ucl"]].round(1)
         sii  sii_lcl  sii_ucl   rii  rii_lcl  rii_ucl
    0  265.5    239.3    294.1  10.4      8.8     12.3

    That is, on the fitted log-linear gradient, 265.5 more deaths per million
    at the most deprived end of the population than at the least deprived,
    and 10.4 times the rate (``multiplier=-1`` states a gradient falling with
    affluence as positive and inverts the RII).
    """
    keys = as_list(by)
    confs = _levels(conf)
    if value_type not in _VALUE_TYPES:
        raise ValueError(
            f"sii: value_type must be 'rate', 'proportion' or 'normal', not {value_type!r}"
        )
    if (
        isinstance(repetitions, bool)
        or not isinstance(repetitions, int | np.integer)
        or (repetitions < 1000)
    ):
        raise ValueError(f"sii: repetitions must be a whole number >= 1000, got {repetitions!r}")
    multiplier = float(multiplier)
    if not np.isfinite(multiplier) or multiplier == 0:
        raise ValueError(f"sii: multiplier must be a non-zero number, got {multiplier:g}")
    limits = [se] if se is not None else [lcl, ucl]
    if se is None and (lcl is None or ucl is None):
        raise ValueError("sii: give lcl= and ucl= (95% limits) or se= (standard errors)")
    require_columns(data, [*keys, quantile, population, value, *limits], "sii")
    transform = bool(transform) and value_type != "normal"
    groups = Groups(data, keys)
    arrays = _arrange(data, groups, quantile, population, value, lcl, ucl, se, value_type)
    share, scaled, sd, k_count = arrays
    w = _fit_weights(share, groups, population)
    y = scaled if transform else _sii.from_scale(scaled, value_type)
    icpt, slope = _sii.fit(w, np.where(share > 0, y, 0.0))
    est_sii, est_rii, est_icpt = _sii.statistics(icpt, slope, value_type, transform, multiplier)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sets = _RELIABILITY_SETS if reliability else 1
    sims = _sii.simulate(
        value=scaled,
        se=sd,
        w=w,
        intercept=icpt,
        slope=slope,
        value_type=value_type,
        transform=transform,
        multiplier=multiplier,
        repetitions=int(repetitions),
        confs=confs,
        sets=sets,
        rng=rng,
        rii=rii,
    )
    return _assemble(
        groups,
        k_count,
        est_sii,
        est_rii,
        est_icpt,
        sims,
        confs,
        rii,
        reliability,
        value_type,
        transform,
        multiplier,
        int(repetitions),
    )


def _levels(conf: float | Sequence[float]) -> tuple[float, ...]:
    raw = [conf] if isinstance(conf, int | float | np.number) else list(conf)
    if not raw:
        raise ValueError("sii: conf must name at least one confidence level")
    levels = tuple(float(c) for c in raw)
    for c in levels:
        z_value(c)  # rejects percentages and values outside (0, 1)
    return levels


def _fit_weights(
    share: NDArray[np.float64], groups: Groups, population: Hashable
) -> NDArray[np.floating]:
    """The regression weights of every group; ValueError for a group that cannot be fitted."""
    w, variance = _sii.weights(share, _sii.ranks(share))
    flat = ~(variance >= _sii.MIN_RANK_VARIANCE)
    if flat.any():
        g = int(np.argmax(flat))
        raise ValueError(
            f"sii: {groups.name(g)} has almost all its population in one quantile (the other "
            f"quantiles hold less than about 1e-9 of it), so no gradient can be fitted; check "
            f"the units of {population!r} (or drop the group)"
        )
    return w


def _arrange(
    data: pd.DataFrame,
    groups: Groups,
    quantile: Hashable,
    population: Hashable,
    value: Hashable,
    lcl: Hashable | None,
    ucl: Hashable | None,
    se: Hashable | None,
    value_type: ValueType,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Check the rows and lay them out as (groups, max quantiles) arrays in quantile order.

    Returns population shares (0 for padding), values and standard errors on the
    simulation scale, and the number of quantiles of each group.
    """
    gid = groups.gid
    q = numeric(data, quantile)
    pop = numeric(data, population)
    val = numeric(data, value)

    def fail(mask: NDArray[np.bool_], problem: str, fix: str) -> None:
        if mask.any():
            i = int(np.argmax(mask))
            raise ValueError(
                f"sii: {groups.name(int(gid[i]))}, quantile {show(q[i])} (row index "
                f"{show(data.index[i])}) {problem}; {fix}"
            )

    fail(np.isnan(q), "has no quantile number", "give every row its quantile")
    fail(~(pop > 0), "has no positive population", "every quantile needs a population > 0")
    fail(
        pop >= MAX_COUNT,
        f"has a population in {population!r} too large for a count of people (the limit is "
        f"2**53, about 9.0e15)",
        "check the column's units",
    )
    fail(np.isnan(val), f"has no value in {value!r}", "drop the group or supply the value")
    if value_type == "rate":
        fail(
            ~(val > 0),
            "has a rate that is not positive",
            "use value_type='normal' for values that can be 0 or negative",
        )
    elif value_type == "proportion":
        fail(
            ~((val > 0) & (val < 1)),
            "has a proportion outside (0, 1)",
            "give proportions between 0 and 1, or use value_type='normal'",
        )
    scaled = _sii.to_scale(val, value_type)
    if se is not None:
        sd = numeric(data, se)
        fail(
            ~(sd >= 0),
            f"has a missing or negative standard error in {se!r}",
            "supply a standard error >= 0",
        )
    else:
        lo, hi = numeric(data, lcl), numeric(data, ucl)
        fail(
            np.isnan(lo) | np.isnan(hi),
            "has a missing confidence limit",
            "supply both 95% limits or pass se=",
        )
        if value_type != "normal":
            bad = ~(lo > 0) | ~(hi > 0) | ((hi >= 1) & (value_type == "proportion"))
            fail(
                bad,
                "has a limit that cannot be transformed",
                "rate limits must be > 0 and proportion limits inside (0, 1); or pass se=",
            )
        t_lo, t_hi = _sii.to_scale(lo, value_type), _sii.to_scale(hi, value_type)
        sd = (t_hi - t_lo) / (2.0 * z_value(0.95))
        fail(sd < 0, "has its lower limit above its upper limit", "check the limit columns")
    dup = pd.DataFrame({"g": gid, "q": q}).duplicated().to_numpy()
    fail(dup, "appears twice in the group", "give one row per quantile (or pass by=)")

    k_count = np.bincount(gid, minlength=groups.n).astype(np.int64)
    few = k_count < 2
    if few.any():
        g = int(np.argmax(few))
        raise ValueError(
            f"sii: {groups.name(g)} has {int(k_count[g])} quantile(s) with data; an SII needs "
            f"at least two (PHE recommend 5 to 100): drop the group or supply the quantiles"
        )
    order = np.lexsort((q, gid))
    k_max = int(k_count.max()) if groups.n else 0
    start = np.concatenate([[0], np.cumsum(k_count)[:-1]])
    slot = np.arange(len(order)) - start[gid[order]]
    shape = (groups.n, k_max)
    share = np.zeros(shape)
    v = np.zeros(shape)
    s = np.zeros(shape)
    go = gid[order]
    share[go, slot] = pop[order]
    v[go, slot] = scaled[order]
    s[go, slot] = sd[order]
    share /= share.sum(axis=1, keepdims=True)
    return share, v, s, k_count


def _assemble(
    groups: Groups,
    k_count: NDArray[np.int64],
    est_sii: NDArray[np.floating],
    est_rii: NDArray[np.floating],
    est_icpt: NDArray[np.floating],
    sims: dict[str, NDArray[np.floating]],
    confs: tuple[float, ...],
    rii: bool,
    reliability: bool,
    value_type: str,
    transform: bool,
    multiplier: float,
    repetitions: int,
) -> pd.DataFrame:
    n_levels = len(confs)
    rows = np.repeat(np.arange(groups.n), n_levels)
    level = np.tile(np.arange(n_levels), groups.n)
    out = groups.key_rows.iloc[rows].reset_index(drop=True)
    out["n_quantiles"] = k_count[rows]
    out["sii"] = est_sii[rows]
    out["sii_lcl"] = sims["sii_lcl"][0][rows, level]
    out["sii_ucl"] = sims["sii_ucl"][0][rows, level]
    out["intercept"] = est_icpt[rows]
    names = ["sii"] + (["rii"] if rii else [])
    if rii:
        out["rii"] = est_rii[rows]
        out["rii_lcl"] = sims["rii_lcl"][0][rows, level]
        out["rii_ucl"] = sims["rii_ucl"][0][rows, level]
    if reliability:
        for name in names:
            diffs = [
                np.abs(sims[f"{name}_{end}"][1:] - sims[f"{name}_{end}"][:1])
                for end in ("lcl", "ucl")
            ]
            mad = np.concatenate(diffs, axis=0).mean(axis=0)
            out[f"{name}_mad"] = mad[rows, level]
    out["conf"] = np.asarray(confs)[level]
    out["value_type"] = value_type
    out["transform"] = transform
    out["multiplier"] = multiplier
    out["repetitions"] = repetitions
    return out
