"""Crude and directly age-standardised rates with confidence limits, and period pooling.

:func:`crude_rate`
    Events per ``per`` population with Poisson limits (Byar's approximation or
    exact), row by row or summed within groups.
:func:`dsr`
    Directly standardised rates (age-standardised mortality rates, ASMRs) on
    the 2013 European Standard Population or a custom standard, with Dobson,
    normal or ONS-style limits and the ONS small-number status.
:func:`pool_periods`
    Sums single-year deaths and populations into multi-year periods such as
    2013-15 (rolling, as ONS publishes local-authority rates, or non-overlapping).
:func:`approximate_limits`
    Re-derives limits for a published rate when only the rate and its death
    count are known.
:func:`rate_status`
    The ONS small-number status (``"not_calculated"`` below 10 deaths,
    ``"unreliable"`` below 20) of rates from their death counts.

All calculations are vectorised: group ids come from one ``groupby(...).ngroup()``
and sums from ``numpy.bincount`` or dense ``(group, band)`` arrays; there is no
Python loop over groups or rows.

References
----------
Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research, vol. II*.
IARC Scientific Publications 82 (Byar's approximation).

Dobson AJ, Kuulasmaa K, Eberle E, Scherer J (1991). Confidence intervals for
weighted sums of Poisson parameters. *Statistics in Medicine* 10(3):457-462.

Public Health England (2018). *Technical Guide: Confidence Intervals* and
*Technical Guide: Direct standardisation*; the R package PHEindicatormethods
(``phe_rate``, ``phe_dsr`` / ``calculate_dsr``), whose published test values
the test-suite reproduces.

Office for National Statistics. *Deaths related to drug poisoning by local
authority, England and Wales*, notes on age-standardised rates: rates use the
2013 ESP; 95% limits use the method of Dobson et al. with exact Poisson limits
for fewer than 100 deaths and a normal approximation for 100 or more; rates are
not calculated from fewer than 10 deaths and are unreliable below 20.

Eurostat (2013). *Revision of the European Standard Population: report of
Eurostat's task force*.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from overdose_trends._frames import (
    Groups,
    as_list,
    frame,
    numeric,
    others,
    positive,
    require_columns,
    show,
    tidy_number,
)
from overdose_trends.constants import (
    BYAR_MIN_COUNT,
    ESP2013_BANDS,
    ESP2013_BANDS_20,
    ESP2013_WEIGHTS,
    ESP2013_WEIGHTS_20,
    MIN_DEATHS_FOR_RATE,
    ONS_NORMAL_MIN_DEATHS,
    PER_100K,
)
from overdose_trends.schema import rate_status
from overdose_trends.stats.intervals import (
    PoissonMethod,
    byar_limits,
    dobson_limits,
    exact_poisson_limits,
    normal_limits,
    poisson_limits,
    z_value,
)

__all__ = [
    "CRUDE_COLUMNS",
    "DSR_COLUMNS",
    "STANDARDS",
    "approximate_limits",
    "crude_rate",
    "dsr",
    "pool_periods",
]

#: Named standard populations: name -> (band labels, weights).
STANDARDS: Mapping[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "esp2013": (ESP2013_BANDS, ESP2013_WEIGHTS),
    "esp2013_20": (ESP2013_BANDS_20, ESP2013_WEIGHTS_20),
}

#: Value columns of :func:`crude_rate` output (after any ``by`` keys).
CRUDE_COLUMNS = ("count", "population", "rate", "lcl", "ucl", "method", "conf")
#: Value columns of :func:`dsr` output (after any ``by`` keys).
DSR_COLUMNS = ("count", "population", "rate", "lcl", "ucl", "method", "conf", "rate_status")

StandardSpec = str | Mapping[str, float] | pd.Series


# --- ONS small-number rule ---------------------------------------------------------------


# --- crude rates -------------------------------------------------------------------------


def crude_rate(
    data: pd.DataFrame,
    count: Hashable = "deaths",
    population: Hashable = "population",
    by: Hashable | Sequence[Hashable] | None = None,
    per: float = PER_100K,
    conf: float = 0.95,
    method: PoissonMethod = "byar",
    *,
    allow_count_above_population: bool = False,
) -> pd.DataFrame:
    """Crude rate of events per ``per`` population with Poisson confidence limits.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation (an area, a year, a sex ...).
    count : column label, default "deaths"
        Observed events (deaths); non-negative, numeric. NaN is allowed and
        gives a NaN rate (see Notes).
    population : column label, default "population"
        Population at risk (persons, or person-years for pooled periods);
        strictly positive, numeric. NaN gives a NaN rate.
    by : column label or list of labels, optional
        If given, ``count`` and ``population`` are summed within each
        combination of these columns first and the output has one row per
        group (in order of first appearance; missing key values form their own
        group). If None, the output has one row per input row with the input's
        index, so it can be joined back to ``data``.
    per : float, default 100,000
        Rate multiplier: the rate is events per ``per`` population.
    conf : float, default 0.95
        Confidence level as a proportion (0.95, 0.998 ...). A percentage such
        as 95 raises ``ValueError``.
    method : {"byar", "exact"}, default "byar"
        ``"byar"``: the PHE rule - exact Poisson limits for counts below 10,
        Byar's approximation for 10 or more. ``"exact"``: exact (chi-square)
        Poisson limits for every count.
    allow_count_above_population : bool, default False
        A count of deaths cannot exceed the population, so by default such rows
        (or groups) raise ``ValueError``. Pass True for event rates where it can
        happen (e.g. admissions per resident), as PHEindicatormethods allows.

    Returns
    -------
    pandas.DataFrame
        The ``by`` keys (if any), then ``count`` and ``population`` (summed
        within groups; Int64 when whole numbers, else float), ``rate`` (events
        per ``per``), ``lcl`` and ``ucl`` (limits on the same scale), ``method``
        (per row: ``"byar"`` or ``"exact"``, the method actually applied;
        ``<NA>`` where the count is missing) and ``conf`` (the confidence level).

    Raises
    ------
    ValueError
        For a missing or non-numeric column, an unknown ``method``, a bad
        ``conf`` or ``per``; a negative count or population, a population of
        zero, or a count above the population (unless allowed) - naming the
        row index label or the group.

    Notes
    -----
    Method: ``rate = O / n * per``; limits ``O_L / n * per`` and
    ``O_U / n * per`` with ``(O_L, O_U)`` Poisson limits on the count O from
    :func:`overdose_trends.stats.intervals.poisson_limits` (``method="phe"`` for
    ``"byar"``, ``"exact"`` for ``"exact"``). A count of 0 gives
    rate 0, lower limit 0 and the exact upper limit.

    Missing values follow PHEindicatormethods ``phe_rate``: a NaN count or
    population gives NaN ``rate``, ``lcl`` and ``ucl``; within a ``by`` group
    any NaN makes the group's sum NaN (never a partial sum).

    References
    ----------
    PHE (2018) Technical Guide: Confidence Intervals; Breslow & Day (1987);
    PHEindicatormethods ``phe_rate``.
    """
    keys = as_list(by)
    require_columns(data, [count, population, *keys])
    if method not in ("byar", "exact"):
        raise ValueError(f"unknown crude-rate method {method!r}; use 'byar' or 'exact'")
    conf = float(conf)
    z_value(conf)  # validates conf before any data work
    per = positive("per", per, "100000")

    o = numeric(data, count)
    n = numeric(data, population)
    index = None
    if keys:
        groups = Groups(data, keys)
        gid, key_rows, n_groups = groups.gid, groups.key_rows, groups.n
        o = np.bincount(gid, weights=o, minlength=n_groups)
        n = np.bincount(gid, weights=n, minlength=n_groups)

        def where(i: int) -> str:
            return groups.name(i)
    else:
        key_rows = pd.DataFrame()
        index = data.index

        def where(i: int) -> str:
            return f"row index {show(data.index[i])}"

    for values, label in ((o, "count"), (n, "population")):
        bad = values < 0
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{where(i)}: negative {label} {values[i]:g}{others(int(bad.sum()))}")
    bad = n == 0
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{where(i)}: population is 0, so no rate can be calculated{others(int(bad.sum()))}"
        )
    if not allow_count_above_population:
        bad = o > n
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"{where(i)}: count {o[i]:g} is greater than population {n[i]:g}; deaths cannot "
                "exceed the population (pass allow_count_above_population=True for events "
                f"that can){others(int(bad.sum()))}"
            )

    # "byar" here is the PHE rule: exact below BYAR_MIN_COUNT events, Byar's from there up
    lower, upper = poisson_limits(o, conf, "phe" if method == "byar" else "exact")
    present = ~np.isnan(o)
    exact = present & (o < BYAR_MIN_COUNT) if method == "byar" else present
    scale = per / n
    method_col = pd.array(np.where(exact, "exact", "byar"), dtype="str")
    method_col[~present] = pd.NA
    return frame(
        key_rows,
        {
            "count": tidy_number(o),
            "population": tidy_number(n),
            "rate": o * scale,
            "lcl": lower * scale,
            "ucl": upper * scale,
            "method": method_col,
            "conf": np.full(o.shape, conf),
        },
        index,
    )


# --- directly standardised rates --------------------------------------------------------------


def _standard(standard: StandardSpec) -> tuple[pd.Index, NDArray[np.float64], str]:
    """Band labels, weights and a display name of a standard population."""
    if isinstance(standard, str):
        if standard not in STANDARDS:
            raise ValueError(
                f"unknown standard population {standard!r}; use one of {sorted(STANDARDS)} "
                "or a mapping of age-band label to weight"
            )
        labels, weights = STANDARDS[standard]
        return pd.Index(labels, dtype=object), np.asarray(weights, dtype=np.float64), standard
    if isinstance(standard, pd.Series):
        labels, weights = list(standard.index), standard.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(standard, Mapping):
        labels, weights = list(standard.keys()), np.asarray(list(standard.values()), dtype=float)
    else:
        raise TypeError(
            "standard must be a name, a mapping of age-band label to weight or a pandas Series, "
            f"not {type(standard).__name__}"
        )
    if not labels:
        raise ValueError("the custom standard population has no bands")
    index = pd.Index([str(b) for b in labels], dtype=object)
    if index.has_duplicates:
        raise ValueError(
            f"the custom standard population repeats band(s) "
            f"{sorted(set(index[index.duplicated()]))}"
        )
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"standard population weight for band {index[i]!r} is {weights[i]:g}; weights must "
            "be finite and non-negative"
        )
    if weights.sum() <= 0:
        raise ValueError("standard population weights sum to zero")
    return index, weights, "custom"


def _band_codes(col: pd.Series, labels: pd.Index) -> NDArray[np.int64]:
    """Position of each row's band label in ``labels``; -1 where it is not a band."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        lookup = labels.get_indexer(pd.Index([str(c) for c in cats], dtype=object))
        codes = col.cat.codes.to_numpy()
        return np.where(codes < 0, -1, lookup[np.maximum(codes, 0)]).astype(np.int64)
    return labels.get_indexer(pd.Index(col.to_numpy(dtype=object), dtype=object)).astype(np.int64)


def _band_list(labels: Sequence[object]) -> str:
    return ", ".join(repr(str(b)) for b in labels)


def dsr(
    data: pd.DataFrame,
    count: Hashable = "deaths",
    population: Hashable = "population",
    age: Hashable = "age_band",
    standard: StandardSpec = "esp2013",
    by: Hashable | Sequence[Hashable] | None = None,
    per: float = PER_100K,
    conf: float = 0.95,
    method: Literal["dobson", "normal", "ons"] = "dobson",
    count_method: PoissonMethod = "byar",
    *,
    missing_count: Literal["error", "zero"] = "error",
) -> pd.DataFrame:
    """Directly standardised rate (age-standardised mortality rate) per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and age band.
    count : column label, default "deaths"
        Deaths in the band; non-negative, numeric.
    population : column label, default "population"
        Population (persons, or person-years for pooled periods) in the band;
        non-negative, numeric, no missing values.
    age : column label, default "age_band"
        Age-band label. Values (or the categories of a Categorical column, as
        produced by :func:`overdose_trends.io.population.to_esp_bands`) must be the
        standard's labels exactly: for ``"esp2013"``
        :data:`~overdose_trends.constants.ESP2013_BANDS` (``"0-4"`` ...
        ``"85-89"``, ``"90+"``).
    standard : str, mapping or Series, default "esp2013"
        ``"esp2013"`` (19 bands 0-4 ... 90+), ``"esp2013_20"`` (20 bands with
        ``"0"`` and ``"1-4"``), or a custom standard: a mapping or Series from
        band label to weight (any scale; weights are normalised to sum to 1).
    by : column label or list of labels, optional
        Grouping columns (area, period, sex ...). One output row per
        combination, in order of first appearance. None: the whole table is one
        group.
    per : float, default 100,000
        Rate multiplier.
    conf : float, default 0.95
        Confidence level as a proportion (0.95, 0.998 ...).
    method : {"dobson", "normal", "ons"}, default "dobson"
        ``"dobson"``: Dobson et al. (1991) with Poisson limits on the total
        count by ``count_method``. ``"normal"``: ``rate -/+ z * SE``.
        ``"ons"``: as ONS for its ASMRs - Dobson with exact Poisson limits when
        the total is below 100 deaths, normal at 100 or more (``count_method``
        is then ignored).
    count_method : {"byar", "exact"}, default "byar"
        Poisson limits on the total count for ``method="dobson"``: Byar's
        approximation as PHEindicatormethods, or exact as ONS.
    missing_count : {"error", "zero"}, default "error"
        NaN counts raise ``ValueError`` by default. ``"zero"`` treats them as 0
        deaths, as PHEindicatormethods ``phe_dsr`` does (useful when deaths were
        joined onto a full set of population bands and absent bands mean no
        deaths). Missing populations always raise.

    Returns
    -------
    pandas.DataFrame
        The ``by`` keys, then ``count`` (total deaths; Int64 when whole
        numbers, else float), ``population`` (total), ``rate`` (DSR per
        ``per``), ``lcl``, ``ucl``, ``method`` (per row, the interval method
        applied: ``"dobson"`` or ``"normal"``; for ``"ons"`` it depends on the
        count), ``conf`` and ``rate_status``: ``"not_calculated"`` when the
        total count is below :data:`~overdose_trends.constants.MIN_DEATHS_FOR_RATE`
        (10; ``rate``, ``lcl`` and ``ucl`` are then NaN), ``"unreliable"`` below
        :data:`~overdose_trends.constants.MIN_DEATHS_RELIABLE` (20), else ``"ok"``.

    Raises
    ------
    ValueError
        Naming the group (and band where it applies), if a group lacks a band of
        the standard, repeats a band or has a label that is not one of the
        standard's bands; a count or population is negative, a population is
        missing, or a count is missing (unless ``missing_count="zero"``); a band
        has deaths but a population of 0; a band has more deaths than
        population; also for an unknown ``standard``, ``method``,
        ``count_method``, a bad ``conf`` (e.g. 95) or ``per``, or invalid
        custom weights (negative, non-finite, all zero).

    Notes
    -----
    With ``d_i`` deaths, ``n_i`` population and ``w_i`` the standard weights
    normalised to sum to 1:

    ``rate = per * sum(w_i d_i / n_i)``,
    ``var = per**2 * sum(w_i**2 d_i / n_i**2)``, ``O = sum(d_i)``.

    Dobson limits are ``rate + sqrt(var / O) * (O_L - O)`` and the same with
    ``O_U``, where ``(O_L, O_U)`` are Poisson limits on O; normal limits are
    ``rate -/+ z sqrt(var)``.

    A band with zero population and zero deaths contributes 0 to the rate and
    the variance (it cannot be estimated; its weight is effectively given a rate
    of 0). A band with zero population and some deaths is an error.

    References
    ----------
    Dobson et al. (1991), *Statistics in Medicine* 10:457-462; PHE Technical
    Guide: Direct standardisation; PHEindicatormethods ``phe_dsr``; ONS notes
    on age-standardised rates in the drug-poisoning releases (see the module
    docstring); Eurostat (2013) for the 2013 ESP.
    """
    keys = as_list(by)
    if age in keys or count in keys or population in keys:
        raise ValueError(f"by must not include the {age!r}, {count!r} or {population!r} columns")
    require_columns(data, [count, population, age, *keys])
    if method not in ("dobson", "normal", "ons"):
        raise ValueError(f"unknown DSR interval method {method!r}; use 'dobson', 'normal' or 'ons'")
    if count_method not in ("byar", "exact"):
        raise ValueError(f"unknown count_method {count_method!r}; use 'byar' or 'exact'")
    if missing_count not in ("error", "zero"):
        raise ValueError(f"missing_count must be 'error' or 'zero', not {missing_count!r}")
    conf = float(conf)
    z_value(conf)
    per = positive("per", per, "100000")
    labels, weights, std_name = _standard(standard)
    n_bands = len(labels)

    d = numeric(data, count)
    n = numeric(data, population)
    groups = Groups(data, keys)
    gid, key_rows, n_groups = groups.gid, groups.key_rows, groups.n
    band = _band_codes(data[age], labels)

    # --- structure: every group has each band of the standard exactly once ---------------
    unknown = band < 0
    if unknown.any():
        i = int(np.argmax(unknown))
        g = gid[i]
        in_group = unknown & (gid == g)
        found = pd.unique(data[age].to_numpy(dtype=object)[in_group])
        n_bad = len(np.unique(gid[unknown]))
        raise ValueError(
            f"{groups.name(g)}: age band(s) {_band_list(found)} are not bands of the "
            f"{std_name} standard ({_band_list(labels)}){others(n_bad)}"
        )
    cell = gid * n_bands + band
    per_cell = np.bincount(cell, minlength=n_groups * n_bands).reshape(n_groups, n_bands)
    bad_groups = np.flatnonzero((per_cell != 1).any(axis=1))
    if bad_groups.size:
        g = int(bad_groups[0])
        parts = []
        missing = np.flatnonzero(per_cell[g] == 0)
        repeated = np.flatnonzero(per_cell[g] > 1)
        if missing.size:
            parts.append(f"no row for band(s) {_band_list(labels[missing])}")
        if repeated.size:
            parts.append(f"more than one row for band(s) {_band_list(labels[repeated])}")
        raise ValueError(
            f"{groups.name(g)}: {'; '.join(parts)} (each group needs each of the "
            f"{n_bands} bands of the {std_name} standard once){others(bad_groups.size)}"
        )

    # --- values ----------------------------------------------------------------------------
    def fail(bad: NDArray[np.bool_], message: str) -> None:
        if bad.any():
            i = int(np.argmax(bad))
            n_bad = len(np.unique(gid[bad]))
            text = message.format(d=d[i], n=n[i])
            raise ValueError(
                f"{groups.name(gid[i])}, band {str(labels[band[i]])!r}: {text}{others(n_bad)}"
            )

    fail(np.isnan(n), "population is missing")
    if missing_count == "error":
        fail(
            np.isnan(d),
            "deaths are missing (pass missing_count='zero' to treat missing counts as 0)",
        )
    else:
        d = np.where(np.isnan(d), 0.0, d)
    fail(d < 0, "negative deaths {d:g}")
    fail(n < 0, "negative population {n:g}")
    fail((n == 0) & (d > 0), "{d:g} deaths but a population of 0")
    fail(d > n, "{d:g} deaths is more than the population {n:g}")

    # --- dense (group, band) arrays ------------------------------------------------------
    deaths = np.zeros(n_groups * n_bands)
    deaths[cell] = d
    pops = np.zeros(n_groups * n_bands)
    pops[cell] = n
    deaths = deaths.reshape(n_groups, n_bands)
    pops = pops.reshape(n_groups, n_bands)
    safe = np.where(pops > 0, pops, 1.0)
    age_rate = deaths / safe  # 0 where the population (and so deaths) is 0
    w = weights / weights.sum()
    rate = age_rate @ w * per
    var = (age_rate / safe) @ (w * w) * per**2
    total = deaths.sum(axis=1)
    total_pop = pops.sum(axis=1)

    calculated = total >= MIN_DEATHS_FOR_RATE
    if method == "ons":
        use_normal = total >= ONS_NORMAL_MIN_DEATHS
        poisson = "exact"
    else:
        use_normal = np.full(n_groups, method == "normal")
        poisson = count_method
    lcl = np.full(n_groups, np.nan)
    ucl = np.full(n_groups, np.nan)
    sel = calculated & ~use_normal
    if sel.any():
        lcl[sel], ucl[sel] = dobson_limits(total[sel], var[sel], rate[sel], conf, poisson)
    sel = calculated & use_normal
    if sel.any():
        lcl[sel], ucl[sel] = normal_limits(rate[sel], np.sqrt(var[sel]), conf)
    rate = np.where(calculated, rate, np.nan)

    status = rate_status(total)
    return frame(
        key_rows,
        {
            "count": tidy_number(total),
            "population": tidy_number(total_pop),
            "rate": rate,
            "lcl": lcl,
            "ucl": ucl,
            "method": pd.array(np.where(use_normal, "normal", "dobson"), dtype="str"),
            "conf": np.full(n_groups, conf),
            "rate_status": pd.array(status, dtype="str"),
        },
        None,
    )


# --- pooling single years into periods ------------------------------------------------------


def whole_years(data: pd.DataFrame, column: Hashable) -> NDArray[np.int64]:
    """A column of registration years as int64, checked to hold only whole years.

    Parameters
    ----------
    data : pandas.DataFrame
        The table.
    column : column label
        Numeric column of years (e.g. ``"year"``, ``"period_start"``).

    Returns
    -------
    numpy.ndarray of int64
        The years, one per row.

    Raises
    ------
    ValueError
        For a missing or non-numeric column, or a value that is missing or not
        a whole number, naming the column, the value and its row index label.
    """
    require_columns(data, [column])
    years = numeric(data, column)
    bad = np.isnan(years) | (years != np.round(years))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"column {column!r}: {show(data[column].iloc[i])} (row index {show(data.index[i])}) is "
            "not a whole year"
        )
    return years.astype(np.int64)


def pool_periods(
    data: pd.DataFrame,
    width: int = 3,
    *,
    time: Hashable = "year",
    count: Hashable | None = "deaths",
    population: Hashable | None = "population",
    by: Hashable | Sequence[Hashable] | None = None,
    step: int = 1,
    strict: bool = False,
) -> pd.DataFrame:
    """Sum single-year counts and populations into multi-year periods (e.g. 2013-15).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and year.
    width : int, default 3
        Years per period (ONS local-authority rates use 3).
    time : column label, default "year"
        Integer year of each row.
    count, population : column label or None, default "deaths", "population"
        Columns to sum (either may be None, not both). For populations the sum
        is person-years at risk, the denominator ONS uses for pooled periods.
    by : column label or list of labels, optional
        Columns identifying a series (area, sex, age band ...). None: every
        column other than ``time``, ``count`` and ``population`` is a key - pass
        ``by`` explicitly when the table has other columns (e.g. row numbers).
    step : int, default 1
        Years between period starts. 1 gives rolling periods as ONS publishes
        them (2001-03, 2002-04, ...); ``step=width`` gives non-overlapping ones.
        Periods start at the table's first year plus multiples of ``step`` (the
        same periods for every group).
    strict : bool, default False
        What to do with a period for which a group has some but not all years:
        False leaves it out with a ``UserWarning``; True raises ``ValueError``.

    Returns
    -------
    pandas.DataFrame
        The key columns, ``period_start`` and ``period_end`` (int, first and last
        year, inclusive), then the summed ``count`` and ``population`` columns
        under their own names (Int64 when whole numbers, else float). One row per
        group and complete period, ordered by group (first appearance) then
        ``period_start``. A period is produced only when the group has every one
        of its years; a missing value (NaN) in any of those years makes that sum
        missing, never a partial sum.

    Raises
    ------
    ValueError
        For a missing column, a year that is not a whole number, a group with
        the same year twice (naming group and year), ``width`` or ``step`` below
        1, a table spanning fewer than ``width`` years, or (``strict=True``) an
        incomplete period.

    Warns
    -----
    UserWarning
        When periods are left out because a group lacks some of their years
        (naming one example group, period and its missing years). Periods for
        which a group has none of the years (e.g. before a new area existed) are
        not produced and not warned about: no data are lost.

    Notes
    -----
    Method: values are placed in a dense ``(group, year)`` array and window sums
    taken as differences of cumulative sums.

    References
    ----------
    ONS, *Deaths related to drug poisoning by local authority, England and
    Wales* (three-year rolling periods, e.g. 2017-19; the rate denominator is
    the sum of the mid-year populations).
    """
    width, step = int(width), int(step)
    if width < 1 or step < 1:
        raise ValueError(f"width and step must be at least 1, got width={width}, step={step}")
    values = [c for c in (count, population) if c is not None]
    if not values:
        raise ValueError("give at least one of count and population to pool")
    if by is None:
        keys = [c for c in data.columns if c != time and c not in values]
    else:
        keys = as_list(by)
        if time in keys or any(v in keys for v in values):
            raise ValueError(f"by must not include the {time!r} or value columns")
    require_columns(data, [time, *values, *keys])

    if len(data) == 0:
        raise ValueError("data has no rows to pool")
    years = whole_years(data, time)
    groups = Groups(data, keys)
    gid, key_rows, n_groups = groups.gid, groups.key_rows, groups.n
    y0, y1 = int(years.min()), int(years.max())
    n_years = y1 - y0 + 1
    if n_years < width:
        raise ValueError(
            f"the table covers {y0}-{y1} ({n_years} year(s)), fewer than width={width}"
        )
    t = years - y0
    cell = gid * n_years + t
    per_cell = np.bincount(cell, minlength=n_groups * n_years)
    if (per_cell > 1).any():
        c = int(np.argmax(per_cell > 1))
        raise ValueError(
            f"{groups.name(c // n_years)}: year {y0 + c % n_years} appears {per_cell[c]} times"
        )
    present = per_cell.reshape(n_groups, n_years)

    starts = np.arange(0, n_years - width + 1, step)

    def window_sum(a: NDArray[np.float64]) -> NDArray[np.float64]:
        c = np.zeros((n_groups, n_years + 1))
        np.cumsum(a, axis=1, out=c[:, 1:])
        return c[:, starts + width] - c[:, starts]

    n_present = window_sum(present.astype(np.float64))
    complete = n_present == width
    partial = (n_present > 0) & ~complete
    if partial.any():
        g, s = np.argwhere(partial)[0]
        first = y0 + int(starts[s])
        absent = [first + k for k in range(width) if not present[g, starts[s] + k]]
        message = (
            f"{int(partial.sum())} period(s) left out because a group lacks some of their years; "
            f"e.g. {groups.name(int(g))}, {first}-{first + width - 1} has no row for "
            f"{', '.join(map(str, absent))}"
        )
        if strict:
            raise ValueError(message)
        warnings.warn(message, UserWarning, stacklevel=2)

    rows_g, rows_s = np.nonzero(complete)
    out = key_rows.iloc[rows_g].reset_index(drop=True)
    out["period_start"] = (y0 + starts[rows_s]).astype(np.int64)
    out["period_end"] = out["period_start"] + (width - 1)
    for col in values:
        v = numeric(data, col)
        dense = np.zeros(n_groups * n_years)
        dense[cell] = np.where(np.isnan(v), 0.0, v)
        missing = np.zeros(n_groups * n_years)
        missing[cell] = np.isnan(v)
        sums = window_sum(dense.reshape(n_groups, n_years))
        n_missing = window_sum(missing.reshape(n_groups, n_years))
        pooled = np.where(n_missing > 0, np.nan, sums)[rows_g, rows_s]
        out[col] = tidy_number(pooled)
    return out


# --- limits for published rates ---------------------------------------------------------------


def approximate_limits(
    rate: ArrayLike,
    count: ArrayLike,
    conf: float = 0.95,
    count_method: Literal["ons", "exact", "byar"] = "ons",
) -> pd.DataFrame:
    """Confidence limits for a published rate when only the rate and its death count are known.

    Parameters
    ----------
    rate : array-like of float
        Published rates (crude or age-standardised, any multiplier).
    count : array-like of float
        Deaths the rate is based on.
    conf : float, default 0.95
        Confidence level as a proportion.
    count_method : {"ons", "exact", "byar"}, default "ons"
        ``"exact"``/``"byar"``: scale Poisson limits on the count,
        ``rate * O_L / O`` and ``rate * O_U / O``. ``"ons"``: as ONS - exact for
        fewer than 100 deaths, and the normal approximation
        ``rate -/+ z * rate / sqrt(O)`` for 100 or more.

    Returns
    -------
    pandas.DataFrame
        Columns ``lcl`` and ``ucl`` (same units as ``rate``), with the index of
        ``rate`` if it is a Series, else a RangeIndex. NaN where the count is 0
        or missing (the scale of the interval is then unknown).

    Raises
    ------
    ValueError
        For negative counts, mismatched lengths, a bad ``conf`` or unknown
        ``count_method``.

    Notes
    -----
    This is exactly what the Dobson interval reduces to when its variance is
    ``rate**2 / O``, i.e. when the age-specific rates are such that every
    death carries the same weight ``w_i / n_i`` (e.g. a single age band, or a
    local age structure proportional to the standard). Otherwise the true
    interval is a little wider, so this is an approximation: for Southend-on-Sea
    2013-15 (47 deaths, 8.8 per 100,000) it gives 6.5-11.7 as published, but for
    Norwich 2016-18 (80 deaths, 21.0) it gives 16.7-26.1 where ONS published
    16.6-26.3. Over the 20,589 rates with limits in the ONS 2019 local-authority
    tables, both limits agree to the published 1 decimal place for about 37%,
    and they lie within 0.2 of the published limits for about 97% (lower) and 95%
    (upper) of rates (checked against the extract shipped in ``data/``).

    References
    ----------
    Dobson et al. (1991); Garwood (1936) for exact Poisson limits; ONS notes on
    age-standardised rates (see the module docstring).
    """
    index = rate.index if isinstance(rate, pd.Series) else None
    try:
        r, o = np.broadcast_arrays(
            np.atleast_1d(np.asarray(rate, dtype=np.float64)),
            np.atleast_1d(np.asarray(count, dtype=np.float64)),
        )
    except ValueError:
        raise ValueError(
            f"rate has {np.size(rate)} values but count has {np.size(count)}"
        ) from None
    if r.ndim != 1:
        raise ValueError("rate and count must be one-dimensional")
    if (o < 0).any():
        raise ValueError(f"negative count {o[np.argmax(o < 0)]:g}")
    if count_method not in ("ons", "exact", "byar"):
        raise ValueError(f"unknown count_method {count_method!r}; use 'ons', 'exact' or 'byar'")
    conf = float(conf)
    z = z_value(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = o > 0
        if count_method == "byar":
            o_lower, o_upper = byar_limits(np.where(ok, o, 1.0), conf)
        else:
            o_lower, o_upper = exact_poisson_limits(np.where(ok, o, 1.0), conf)
        lcl = r * o_lower / o
        ucl = r * o_upper / o
        if count_method == "ons":
            big = o >= ONS_NORMAL_MIN_DEATHS
            se = r / np.sqrt(o)
            lcl = np.where(big, r - z * se, lcl)
            ucl = np.where(big, r + z * se, ucl)
    lcl = np.where(ok, lcl, np.nan)
    ucl = np.where(ok, ucl, np.nan)
    return pd.DataFrame({"lcl": lcl, "ucl": ucl}, index=index)
