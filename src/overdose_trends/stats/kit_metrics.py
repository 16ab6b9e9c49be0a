"""Indicators of a take-home naloxone programme from a tidy counts table.

Every function takes a counts table with the columns of
:data:`overdose_trends.schema.COUNT_COLUMNS` (``area_code``, ``service``,
``period_start``, ``period_end``, ``measure``, ``value``, ``status``), as
produced by :func:`overdose_trends.io.kit_counts.aggregate_kits` or read from a service
return, and returns a tidy DataFrame with the columns listed in its
docstring. Cells are matched on ``area_code``, ``service`` and the period;
rows with ``service == "all"`` (totals over services) are treated like any
other service.

Apply these to unsuppressed counts and disclosure-control the results
(:func:`overdose_trends.stats.disclosure.suppress_small`) before publication.

Missing and hidden parts are never summed as if they were zero:

* a cell whose status is ``"suppressed"`` or ``"not_reported"`` makes every
  total, ratio or cumulative count that needs it ``<NA>``, with that status;
* a measure/period combination with no row at all is *not reported* unless
  ``missing="zero"`` says that absent rows mean no kits (true of a counts
  table aggregated from a complete event log that omits empty months).

References
----------
Bird SM, Parmar MKB, Strang J (2015). Take-home naloxone to prevent
fatalities from opiate-overdose: protocol for Scotland's public health policy
evaluation, and a new measure to assess impact. *Drugs: Education, Prevention
and Policy* 22(1):66-76. doi:10.3109/09687637.2014.981509

Wilson EB (1927). Probable inference, the law of succession, and statistical
inference. *Journal of the American Statistical Association* 22:209-212.

Public Health Scotland. *National Naloxone Programme Scotland* monitoring
reports (kits issued, repeat supplies and the reason for repeat supply).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends.constants import (
    BIRD_BENCHMARK,
    BIRD_MINIMUM,
    IMPLAUSIBLE_USE_RATE,
    PER_100K,
)
from overdose_trends.schema import EVENT_MEASURES as _EVENT_MEASURES
from overdose_trends.schema import MEASURES, TERMINAL_EVENTS, rate_status
from overdose_trends.stats._kit_tables import (
    CELL,
    KEYS,
    USABLE,
    Missing,
    check_counts,
    check_missing,
    combine_status,
    rebucket_checked,
    wide,
)
from overdose_trends.stats.intervals import wilson_limits, z_value

__all__ = [
    "TERMINAL_MEASURES",
    "in_circulation",
    "kit_counts",
    "per_death",
    "per_population",
    "rebucket",
    "repeat_rate",
    "use_rate",
]

#: Measures that end a kit's time in circulation.
TERMINAL_MEASURES = tuple(_EVENT_MEASURES[e] for e in TERMINAL_EVENTS)

# --- re-bucketing --------------------------------------------------------------------------------


def rebucket(
    counts: pd.DataFrame, years: int = 1, *, missing: Missing = "not_reported"
) -> pd.DataFrame:
    """Sum a monthly or quarterly counts table to calendar years or rolling multi-year periods.

    With ``years=3`` the periods are the rolling three-calendar-year periods
    of the ONS local-authority drug-death tables (2013-15, 2014-16, ...), so
    the result joins on ``period_start``/``period_end`` to ONS deaths.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table (:data:`~overdose_trends.schema.COUNT_COLUMNS`).
        Every row must lie within one calendar year (months, quarters,
        calendar years); financial years (April-March) cannot be re-bucketed
        to calendar years and raise an error.
    years : int, default 1
        Length of each output period in calendar years: 1 for single years,
        3 for ONS-style three-year periods. Windows end in every year from the
        first window that starts in the first year with data to the last year
        with data, for each area, service and measure; data spanning fewer
        years than the window give one window, ending in the last year, that
        is always ``"not_reported"`` (it starts before the data).
    missing : {"not_reported", "zero"}, default "not_reported"
        Meaning of days inside a window with no row: not reported (the window
        is ``<NA>``) or no kits (counted as 0; only when the table comes from a
        complete log).

    Returns
    -------
    pandas.DataFrame
        :data:`~overdose_trends.schema.COUNT_COLUMNS` (``period_start``
        1 January of the first year, ``period_end`` 31 December of the last)
        plus ``n_parts`` (input rows summed), ``coverage`` (share of the
        window's days covered by input rows) and ``note`` (why a value is
        missing; empty when it is not). ``status`` is ``"suppressed"`` if any
        part was suppressed, ``"not_reported"`` if any part was not reported
        or (with ``missing="not_reported"``) days are uncovered, else
        ``"rounded"`` if any part was rounded, else ``"exact"``; ``value`` is
        ``<NA>`` unless exact or rounded. A suppressed part is never
        replaced by zero.

    Raises
    ------
    ValueError
        For rows spanning two calendar years, overlapping rows of one
        measure, or an invalid counts table.

    References
    ----------
    Office for National Statistics. *Deaths related to drug poisoning by
    local authority, England and Wales* (rolling three-calendar-year
    registration periods, e.g. 2013-2015).

    Examples
    --------
    The shipped synthetic kit counts are monthly from October 2015; the part
    year 2015 is not reported rather than undercounted:

    >>> counts = ot.datasets.synthetic_kit_counts()
    >>> yearly = ot.rebucket(counts)
    >>> issued = yearly.query("service == 'all' and measure == 'kits_issued'")
    >>> issued[["area_code", "period_start", "value", "status"]].head(3)
        area_code period_start  value        status
    37  E06000033   2015-01-01   <NA>  not_reported
    44  E06000033   2016-01-01    121         exact
    51  E06000033   2017-01-01    205         exact
    >>> issued["note"].iloc[0]
    '273 day(s) with no row'
    """
    years = int(years)
    if years < 1:
        raise ValueError(f"years must be >= 1, got {years}")
    check_missing(missing)
    return rebucket_checked(check_counts(counts), years, missing)


def kit_counts(
    counts: pd.DataFrame,
    period: Literal["month", "year", "3year"] = "month",
    measures: Sequence[str] = ("kits_issued", "kits_returned_used"),
    *,
    missing: Missing = "not_reported",
) -> pd.DataFrame:
    """Kits issued and returned used (or other measures) per month, year or 3-year period.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table (:data:`~overdose_trends.schema.COUNT_COLUMNS`).
    period : {"month", "year", "3year"}, default "month"
        ``"month"`` returns the monthly rows as they are (every selected row
        must be one calendar month); ``"year"`` and ``"3year"`` re-bucket with
        :func:`rebucket` (calendar years; rolling ONS-style 3-year periods).
    measures : sequence of str, default ("kits_issued", "kits_returned_used")
        Measures to keep (from :data:`~overdose_trends.schema.MEASURES`).
    missing : {"not_reported", "zero"}
        See :func:`rebucket`.

    Returns
    -------
    pandas.DataFrame
        As :func:`rebucket`: ``COUNT_COLUMNS`` plus ``n_parts``, ``coverage``
        and ``note``, for the selected measures only.

    References
    ----------
    Public Health Scotland. *National Naloxone Programme Scotland* monitoring
    reports (kits issued and returned used per period). Office for National
    Statistics. *Deaths related to drug poisoning by local authority, England
    and Wales* (the rolling three-calendar-year periods of ``"3year"``).

    Examples
    --------
    >>> southend = ot.datasets.synthetic_kit_counts().query(
    ...     "area_code == 'E06000033' and service == 'all'"
    ... )
    >>> ot.kit_counts(southend)[["period_start", "measure", "value"]].head(2)
      period_start             measure  value
    0   2015-10-01         kits_issued     14
    1   2015-10-01  kits_returned_used      0
    >>> ot.kit_counts(southend, "year")[["period_start", "measure", "value"]].iloc[2:4]
      period_start             measure  value
    2   2016-01-01         kits_issued    121
    3   2016-01-01  kits_returned_used      8
    """
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure(s) {unknown}; expected some of {MEASURES}")
    df = check_counts(counts)
    df = df.loc[df["measure"].isin(list(measures))]
    if period == "month":
        start, end = df["period_start"], df["period_end"]
        monthly = (start.dt.day == 1) & (end == start + pd.offsets.MonthEnd(0))
        if not monthly.all():
            row = df.index[~monthly][0]
            raise ValueError(
                f"row {row!r} ({start[row]:%Y-%m-%d} to {end[row]:%Y-%m-%d}) is not a calendar "
                "month; use period='year' or '3year' for quarterly or yearly tables"
            )
        out = df.assign(n_parts=1, coverage=1.0, note="")
        out["note"] = out["note"].astype("str")
        return out.sort_values([*CELL, "measure"], kind="stable").reset_index(drop=True)
    if period in ("year", "3year"):
        check_missing(missing)
        return rebucket_checked(df, 1 if period == "year" else 3, missing)
    raise ValueError(f"period must be 'month', 'year' or '3year', got {period!r}")


# --- rates and ratios -----------------------------------------------------------------------------


def per_population(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    measure: str = "kits_issued",
    per: int = PER_100K,
    annualise: bool = True,
) -> pd.DataFrame:
    """Kits per 100,000 population.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table; any period length (months, quarters, years, 3-year).
    population : pandas.DataFrame
        ``area_code``, ``year`` (int, mid-year) and ``population``. Several
        rows per area and year (e.g. the 19 age bands of
        :func:`overdose_trends.io.datasets.population_bands`) are summed to the
        all-ages population; if any of them is missing the year's population
        is missing (never a partial sum).
    measure : str, default "kits_issued"
        Measure to rate.
    per : int, default 100,000
        Rate multiplier.
    annualise : bool, default True
        If True the denominator is person-years: each calendar year the
        period overlaps contributes its mid-year population times the
        fraction of that year's days covered, so the rate is kits per
        100,000 population **per year** (a 3-year period gives the annual
        average, as ONS 3-year rates do; a month gives an annualised monthly
        rate). If False the denominator is the average population over the
        period (person-years divided by the period length in years) and the
        rate is kits per 100,000 population in the period.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``service``, ``period_start``, ``period_end``,
        ``measure``, ``value``, ``status`` (of the count), ``population``
        (person-years if annualised, else the average population), ``rate``
        (kits per ``per`` population - per 100,000 by default - and per year
        when annualised), ``rate_per`` and ``rate_status``: ``"ok"``, ``"suppressed"`` or
        ``"not_reported"`` (the count is unavailable) or ``"no_population"``
        (a year of the period has no population). No confidence interval is
        given: kits are a complete administrative count, not independent
        Poisson events (kits are issued in batches and repeatedly to the same
        people), so a Poisson interval would misstate the uncertainty.

    References
    ----------
    Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research,
    Volume II: The Design and Analysis of Cohort Studies*. IARC Scientific
    Publications No. 82, Lyon, chapter 2 (person-years denominators,
    approximated from mid-period populations). Office for National
    Statistics. *Population estimates for the UK, England, Wales, Scotland
    and Northern Ireland* (mid-year, 30 June, populations).

    Examples
    --------
    Kits issued per 100,000 population per year in Southend-on-Sea (synthetic
    kit counts; ONS mid-year populations, the age bands summed):

    >>> southend = ot.datasets.synthetic_kit_counts().query(
    ...     "area_code == 'E06000033' and service == 'all'"
    ... )
    >>> rates = ot.per_population(ot.rebucket(southend), ot.datasets.population_bands())
    >>> rates[["period_start", "value", "population", "rate", "rate_status"]].tail(2).round(
    ...     {"rate": 1}
    ... )
      period_start  value  population   rate rate_status
    3   2018-01-01    265    182463.0  145.2          ok
    4   2019-01-01    349    183125.0  190.6          ok
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {MEASURES}")
    need = {"area_code", "year", "population"}
    if not need <= set(population.columns):
        raise ValueError(
            f"population table lacks columns {sorted(need - set(population.columns))}; "
            "expected area_code, year, population"
        )
    pop = population.loc[:, ["area_code", "year", "population"]].copy()
    pop["population"] = pd.to_numeric(pop["population"]).astype("Float64")
    pop = (
        pop.groupby(["area_code", "year"], sort=False)["population"].sum(skipna=False).reset_index()
    )
    df = check_counts(counts)
    df = df.loc[df["measure"] == measure].reset_index(drop=True)
    # one row per (count row, calendar year overlapped)
    y0 = df["period_start"].dt.year.to_numpy()
    y1 = df["period_end"].dt.year.to_numpy()
    n_years = y1 - y0 + 1
    row = np.repeat(np.arange(len(df)), n_years)
    year = y0[row] + (np.arange(len(row)) - np.repeat(np.cumsum(n_years) - n_years, n_years))
    year_start = pd.to_datetime({"year": year, "month": 1, "day": 1})
    year_end = pd.to_datetime({"year": year, "month": 12, "day": 31})
    lo = np.maximum(df["period_start"].to_numpy()[row], year_start.to_numpy())
    hi = np.minimum(df["period_end"].to_numpy()[row], year_end.to_numpy())
    days = (hi - lo) / np.timedelta64(1, "D") + 1
    frac = days / ((year_end - year_start).dt.days.to_numpy() + 1)
    parts = pd.DataFrame({"row": row, "area_code": df["area_code"].to_numpy()[row], "year": year})
    parts = parts.merge(pop, on=["area_code", "year"], how="left")
    parts["py"] = parts["population"].astype("float64") * frac
    person_years = parts.groupby("row")["py"].sum(min_count=1)
    has_all = parts["population"].notna().groupby(parts["row"]).all()
    person_years = person_years.where(has_all).reindex(range(len(df)))
    period_years = pd.Series(frac).groupby(row).sum().reindex(range(len(df)))
    denom = person_years if annualise else person_years / period_years
    out = df.copy()
    out["population"] = denom.to_numpy()
    value = out["value"].astype("float64")
    out["rate"] = value / out["population"] * per
    out["rate_per"] = per
    status = np.select(
        [~out["status"].isin(USABLE), out["population"].isna()],
        [out["status"].to_numpy(dtype=object), "no_population"],
        "ok",
    )
    out["rate_status"] = pd.Series(status, dtype="str")
    out.loc[out["rate_status"] != "ok", "rate"] = np.nan
    return out


def _deaths_periods(deaths: pd.DataFrame, deaths_column: str) -> pd.DataFrame:
    need = {"area_code", "period_start", "period_end", deaths_column}
    if not need <= set(deaths.columns):
        raise ValueError(
            f"deaths table lacks columns {sorted(need - set(deaths.columns))}; expected "
            f"area_code, period_start, period_end, {deaths_column}"
        )
    d = deaths.loc[:, ["area_code", "period_start", "period_end", deaths_column]].copy()
    for col, month, day in (("period_start", 1, 1), ("period_end", 12, 31)):
        if pd.api.types.is_integer_dtype(d[col]):
            d[col] = pd.to_datetime({"year": d[col], "month": month, "day": day})
        else:
            d[col] = pd.to_datetime(d[col]).dt.normalize()
    d = d.rename(columns={deaths_column: "deaths"})
    d["deaths"] = pd.to_numeric(d["deaths"]).astype("Int64")
    dup = d.duplicated(["area_code", "period_start", "period_end"], keep=False)
    if dup.any():
        first = d.loc[dup].iloc[0]
        raise ValueError(
            f"deaths table has {int(dup.sum())} rows for the same area and period, e.g. "
            f"{first['area_code']} {first['period_start']:%Y}-{first['period_end']:%Y}; "
            "filter it to one measure, sex and table first (e.g. ONS measure == 'misuse', "
            "sex == 'persons')"
        )
    return d


def per_death(
    counts: pd.DataFrame,
    deaths: pd.DataFrame,
    *,
    measure: str = "kits_issued",
    deaths_column: str = "deaths",
    benchmark: float = BIRD_BENCHMARK,
    minimum: float = BIRD_MINIMUM,
) -> pd.DataFrame:
    """Coverage ratio: kits issued per opioid-related death, with the Bird benchmark.

    Bird, Parmar & Strang (2015) proposed that a take-home naloxone programme
    should issue each year at least **20 times** as many kits as there are
    opiate-related deaths per year (and **at least 9 times**) to expect a
    measurable effect on deaths; Scotland's programme is monitored against
    this ratio. Over a multi-year period the ratio of the period totals is
    the same annual ratio.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table whose periods match the deaths periods exactly; usually
        ``rebucket(counts, 1)`` or ``rebucket(counts, 3)``.
    deaths : pandas.DataFrame
        ``area_code``, ``period_start``, ``period_end`` (ONS registration
        years as integers, or dates) and ``deaths``, one row per area and
        period. ONS tidy tables (:func:`overdose_trends.io.datasets.la_deaths`)
        must first be filtered to one measure and sex. ONS local tables give
        drug-poisoning and drug-misuse deaths, not opioid deaths: the misuse
        count is the closer proxy, and the benchmark was defined on
        opiate-related deaths, so say which was used.
    measure : str, default "kits_issued"
        Measure of the counts table to divide by the deaths.
    deaths_column : str, default "deaths"
        Column of ``deaths`` holding the deaths.
    benchmark, minimum : float, default 20 and 9
        Ratios flagged by ``meets_benchmark`` and ``meets_minimum``.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``service``, ``period_start``, ``period_end``,
        ``kits`` (Int64), ``kits_status``, ``deaths`` (Int64),
        ``kits_per_death`` (float, kits issued per death in the same period),
        ``meets_benchmark`` and ``meets_minimum`` (boolean, ``<NA>`` when there
        is no ratio), and
        ``ratio_status``: ``"ok"``, ``"few_deaths"`` (fewer than 10 deaths,
        the ONS threshold for calculating a rate: the ratio is shown but
        unstable), ``"no_deaths"`` (0 deaths, no ratio), ``"no_deaths_data"``
        (no deaths row for the period), ``"suppressed"`` or
        ``"not_reported"`` (kits unavailable).

    References
    ----------
    Bird SM, Parmar MKB, Strang J (2015). *Drugs: Education, Prevention and
    Policy* 22(1):66-76. doi:10.3109/09687637.2014.981509

    Examples
    --------
    Synthetic kits issued over ONS drug-misuse deaths (persons) in the same
    three-year registration periods:

    >>> deaths = ot.datasets.la_deaths().query("measure == 'misuse' and sex == 'persons'")
    >>> kits = ot.rebucket(ot.datasets.synthetic_kit_counts().query("service == 'all'"), 3)
    >>> ratio = ot.per_death(kits, deaths)
    >>> ratio[["area_code", "kits", "deaths", "kits_per_death", "ratio_status"]].round(1)
       area_code  kits  deaths  kits_per_death  ratio_status
    0  E06000033  <NA>      26             NaN  not_reported
    1  E06000033   591      24            24.6            ok
    2  E06000033   819      28            29.2            ok
    3  E10000020  <NA>     135             NaN  not_reported
    4  E10000020  2521     154            16.4            ok
    5  E10000020  3298     147            22.4            ok
    >>> ratio["meets_benchmark"].tolist()
    [<NA>, True, True, <NA>, False, True]
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {MEASURES}")
    df = check_counts(counts)
    df = df.loc[df["measure"] == measure, [*CELL, "value", "status"]]
    d = _deaths_periods(deaths, deaths_column)
    out = df.merge(d, on=["area_code", "period_start", "period_end"], how="left")
    out = out.rename(columns={"value": "kits", "status": "kits_status"})
    kits = out["kits"].astype("float64")
    dth = out["deaths"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dth > 0, kits / dth, np.nan)
    status = np.select(
        [
            ~out["kits_status"].isin(USABLE),
            out["deaths"].isna(),
            dth == 0,
            rate_status(dth) == "not_calculated",  # the ONS small-number rule
        ],
        [out["kits_status"].to_numpy(dtype=object), "no_deaths_data", "no_deaths", "few_deaths"],
        "ok",
    )
    out["ratio_status"] = pd.Series(status, index=out.index, dtype="str")
    ratio = np.where(np.isin(status, ["ok", "few_deaths"]), ratio, np.nan)
    out["kits_per_death"] = ratio
    has = ~np.isnan(ratio)
    out["meets_benchmark"] = pd.arrays.BooleanArray(ratio >= benchmark, ~has)
    out["meets_minimum"] = pd.arrays.BooleanArray(ratio >= minimum, ~has)
    cols = [
        *CELL,
        "kits",
        "kits_status",
        "deaths",
        "kits_per_death",
        "meets_benchmark",
        "meets_minimum",
        "ratio_status",
    ]
    return out.loc[:, cols].sort_values(CELL, kind="stable").reset_index(drop=True)


def _proportion(
    counts: pd.DataFrame,
    numerator: str,
    denominator: str,
    conf: float,
    missing: Missing,
) -> pd.DataFrame:
    z_value(conf)  # validates conf
    df = check_counts(counts)
    w = wide(df, [numerator, denominator], missing)
    x = w[numerator].astype("float64")
    n = w[denominator].astype("float64")
    status = combine_status(w[f"{numerator}_status"], w[f"{denominator}_status"])
    ok = status.isin(USABLE)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(ok & (n > 0), x / n, np.nan)
    valid = ok & (n > 0) & (x <= n)
    lo, hi = wilson_limits(np.where(valid, x, np.nan), np.where(valid, n, np.nan), conf)
    flag = np.select(
        [~ok, n == 0, x > n],
        [status.to_numpy(dtype=object), "no_denominator", "numerator_exceeds_denominator"],
        "ok",
    )
    out = w.loc[:, [*CELL, numerator, denominator]].copy()
    out["status"] = status
    out["proportion"] = p
    out["lcl"] = lo
    out["ucl"] = hi
    out["conf"] = conf
    out["flag"] = pd.Series(flag, index=out.index, dtype="str")
    return out


def use_rate(
    counts: pd.DataFrame,
    *,
    conf: float = 0.95,
    implausible: float = IMPLAUSIBLE_USE_RATE,
    missing: Missing = "not_reported",
) -> pd.DataFrame:
    """Proportion of kits returned used: kits returned used / kits issued, with Wilson limits.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table with ``kits_returned_used`` and ``kits_issued``.
        Longer periods (years, 3-year) give more meaningful rates: kits
        returned in a month were mostly issued in earlier months.
    conf : float, default 0.95
        Confidence level of the Wilson score interval
        (:func:`overdose_trends.stats.intervals.wilson_limits`).
    implausible : float, default 0.5
        Use rates above this are flagged ``"implausible"`` and a warning is
        issued. Same-scope rates observed in UK programmes are 3-13%
        (Scotland ~13% in 2018/19; Wales 7-10%; a Norfolk programme 3%); a
        rate like the 65% of a news report that divided used kits returned
        across a whole charity by kits issued in one region means the
        numerator and denominator cover different services or areas.
    missing : {"not_reported", "zero"}
        Meaning of an absent measure row for a cell (see module notes).

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``service``, ``period_start``, ``period_end``,
        ``kits_returned_used``, ``kits_issued``, ``status`` (worst of the two
        counts), ``proportion`` (kits returned used per kit issued, 0-1),
        ``lcl``, ``ucl`` (its limits), ``conf`` and ``flag``:
        ``"ok"``, ``"implausible"`` (above ``implausible``),
        ``"numerator_exceeds_denominator"`` (no interval), ``"no_denominator"``
        (no kits issued), ``"suppressed"`` or ``"not_reported"``.

    Notes
    -----
    The Wilson interval treats the returns as binomial draws from the kits
    issued in the same period. That is an approximation: returns in a period
    include kits issued before it, and used kits are under-returned, so the
    interval describes sampling variation only, not these biases.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and
    statistical inference. *Journal of the American Statistical Association*
    22(158):209-212.

    Newcombe RG (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. *Statistics in Medicine*
    17(8):857-872 (the Wilson score interval recommended over the Wald
    interval for small counts and proportions near 0).

    Public Health Scotland. *National Naloxone Programme Scotland* monitoring
    reports (kits issued and kits used, the basis of the 3-13% range above).

    Examples
    --------
    >>> southend = ot.datasets.synthetic_kit_counts().query(
    ...     "area_code == 'E06000033' and service == 'all'"
    ... )
    >>> used = ot.use_rate(ot.rebucket(southend))
    >>> cols = ["kits_returned_used", "kits_issued", "proportion", "lcl", "ucl", "flag"]
    >>> used[cols].tail(2).round(3)
       kits_returned_used  kits_issued  proportion    lcl    ucl flag
    3                  24          265       0.091  0.062  0.131   ok
    4                  28          349       0.080  0.056  0.114   ok
    """
    out = _proportion(counts, "kits_returned_used", "kits_issued", conf, missing)
    high = (out["flag"] == "ok") & (out["proportion"] > implausible)
    out.loc[high, "flag"] = "implausible"
    if high.any():
        warnings.warn(
            f"{int(high.sum())} use rate(s) above {implausible:.0%} (kits returned used / kits "
            "issued); same-scope rates observed in UK programmes are 3-13%. Check that both "
            "counts cover the same services, areas and kits.",
            stacklevel=2,
        )
    return out


def repeat_rate(
    counts: pd.DataFrame, *, conf: float = 0.95, missing: Missing = "not_reported"
) -> pd.DataFrame:
    """Share of kits issued as a repeat supply: kits_repeat_supply / kits_issued, Wilson limits.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table with ``kits_repeat_supply`` and ``kits_issued`` for the
        same cells (repeat supplies are a subset of the kits issued).
    conf : float, default 0.95
        Confidence level of the Wilson score interval.
    missing : {"not_reported", "zero"}
        Meaning of an absent measure row for a cell (see module notes).

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``service``, ``period_start``, ``period_end``,
        ``kits_repeat_supply``, ``kits_issued``, ``status``, ``proportion``
        (repeat supplies per kit issued, 0-1), ``lcl``, ``ucl``, ``conf``,
        ``flag`` (as :func:`use_rate`, without the implausibility check;
        ``"numerator_exceeds_denominator"`` here is a data error).

    References
    ----------
    Public Health Scotland, National Naloxone Programme reports: 53% of
    community and prison kits were repeat supplies in 2017/18.

    Examples
    --------
    >>> southend = ot.datasets.synthetic_kit_counts().query(
    ...     "area_code == 'E06000033' and service == 'all'"
    ... )
    >>> repeat = ot.repeat_rate(ot.rebucket(southend))
    >>> repeat[["kits_repeat_supply", "kits_issued", "proportion", "lcl", "ucl"]].tail(2).round(3)
       kits_repeat_supply  kits_issued  proportion    lcl    ucl
    3                  51          265       0.192  0.150  0.244
    4                  76          349       0.218  0.178  0.264
    """
    return _proportion(counts, "kits_repeat_supply", "kits_issued", conf, missing)


# --- kits in circulation --------------------------------------------------------------------------


def in_circulation(
    counts: pd.DataFrame,
    *,
    shelf_life_months: int | None = None,
    missing: Missing = "not_reported",
) -> pd.DataFrame:
    """Kits issued and not known to be used, returned, lost or expired, at the end of each period.

    ``in_circulation = cumulative kits_issued - cumulative terminal events``
    (kits returned used, returned unused, lost and expired), per area and
    service, from the first period of the table.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table with ``kits_issued`` and the terminal measures
        (:data:`TERMINAL_MEASURES`), in consecutive periods (monthly or
        quarterly) per area and service.
    shelf_life_months : int, optional
        If given, also estimate the kits still in date: kits issued more
        than this many months before the end of the period are counted as
        expired. Naloxone products carry a fixed shelf life, stated in
        section 6.3 of the product's Summary of Product Characteristics
        (Prenoxad: emc product 3054; usually quoted as about three years,
        i.e. 36 months, a figure not checked here; nasal sprays have had
        18-36 months). No default is assumed. The shelf life runs from
        manufacture, so kits reach users with less: a shorter figure is
        more realistic.
    missing : {"not_reported", "zero"}
        Meaning of an absent measure row (see module notes).

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``service``, ``period_start``, ``period_end``,
        ``kits_issued``, ``kits_terminal`` (the four terminal measures
        summed), ``cum_issued``, ``cum_terminal``, ``in_circulation``,
        ``in_date`` (``<NA>`` without a shelf life) — all Int64 — and
        ``status`` (``"exact"``, ``"rounded"``, ``"suppressed"`` or
        ``"not_reported"``) and ``note``. Once a period has a suppressed or
        missing part, or there is a gap between periods, that period and all
        later ones of the area and service are ``<NA>``: a cumulative count
        cannot be resumed after a hole.

    Notes
    -----
    Assumptions, all of which make the figure an upper bound on kits
    actually carried:

    * nothing is in circulation before the first period of the table (kits
      issued earlier and returned later make the count too low, possibly
      negative: ``note`` says "negative");
    * kits whose fate is never recorded (used and not reported, thrown away,
      confiscated) stay in circulation for ever unless a shelf life is given;
      in Scotland only 5% of people who inject drugs carried naloxone on the
      day although 32% had been given it in the past year (NESI 2013-14);
    * with a shelf life, terminal events are assumed to remove the oldest
      kits first, so ``in_date = min(in_circulation, kits issued in the last
      shelf_life_months)``.

    References
    ----------
    Public Health Scotland. *National Naloxone Programme Scotland* monitoring
    reports (kits issued; repeat supplies by reason: kit used, lost,
    confiscated, expired). Needle Exchange Surveillance Initiative (NESI),
    Scotland, 2013-14 sweep (Health Protection Scotland, Glasgow Caledonian
    University, University of the West of Scotland): naloxone carried on the
    day of interview vs supplied in the past year. Prenoxad Injection,
    *Summary of Product Characteristics*, section 6.3 (shelf life),
    electronic medicines compendium product 3054.

    Examples
    --------
    >>> southend = ot.datasets.synthetic_kit_counts().query(
    ...     "area_code == 'E06000033' and service == 'all'"
    ... )
    >>> held = ot.in_circulation(southend, shelf_life_months=36)
    >>> held[["period_end", "cum_issued", "cum_terminal", "in_circulation", "in_date"]].tail(2)
       period_end  cum_issued  cum_terminal  in_circulation  in_date
    49 2019-11-30         933           188             745      745
    50 2019-12-31         963           194             769      769
    """
    df = check_counts(counts)
    measures = ["kits_issued", *TERMINAL_MEASURES]
    w = wide(df, measures, missing)
    status = combine_status(*(w[f"{m}_status"] for m in measures))
    gap = _gaps(w)
    bad_here = ~status.isin(USABLE) | gap
    series = [w[k] for k in KEYS]
    bad = bad_here.astype("int64").groupby(series, sort=False).cummax() > 0
    issued = w["kits_issued"].astype("float64")
    terminal = w[TERMINAL_MEASURES[0]].astype("float64")
    for m in TERMINAL_MEASURES[1:]:
        terminal = terminal + w[m].astype("float64")
    cum_issued = issued.fillna(0).groupby(series, sort=False).cumsum()
    cum_terminal = terminal.fillna(0).groupby(series, sort=False).cumsum()
    held = cum_issued - cum_terminal

    out = w.loc[:, CELL].copy()
    out["kits_issued"] = issued
    out["kits_terminal"] = terminal
    out["cum_issued"] = cum_issued
    out["cum_terminal"] = cum_terminal
    out["in_circulation"] = held
    out["in_date"] = _in_date(out, held, cum_issued, shelf_life_months)
    own = pd.Series(np.where(status.isin(USABLE), "not_reported", status), index=w.index)
    inherited = own.where(bad_here).groupby(series, sort=False).ffill()
    out["status"] = pd.Series(np.where(bad, inherited, status), index=w.index, dtype="str")
    cumulative = ("cum_issued", "cum_terminal", "in_circulation", "in_date")
    for c in ("kits_issued", "kits_terminal", *cumulative):
        col = pd.Series(out[c], index=w.index, dtype="float64")
        out[c] = (col.where(~bad) if c in cumulative else col).astype("Int64")
    note = np.select(
        [gap, bad & ~bad_here, (held < 0) & ~bad],
        [
            "gap before this period",
            "an earlier period is incomplete",
            "negative: returns of kits issued before the table began",
        ],
        "",
    )
    out["note"] = pd.Series(note, index=w.index, dtype="str")
    return out.reset_index(drop=True)


def _gaps(w: pd.DataFrame) -> pd.Series:
    """Periods starting more than a day after the series' previous one; raises for overlaps."""
    prev_end = w.groupby(KEYS, sort=False)["period_end"].shift()
    overlap = prev_end.notna() & (w["period_start"] <= prev_end)
    if overlap.any():
        row = w.loc[overlap].iloc[0]
        raise ValueError(
            f"periods overlap for area {row['area_code']}, service {row['service']} at "
            f"{row['period_start']:%Y-%m-%d}"
        )
    return prev_end.notna() & (w["period_start"] > prev_end + pd.Timedelta(days=1))


def _in_date(
    out: pd.DataFrame, held: pd.Series, cum_issued: pd.Series, shelf_life_months: int | None
) -> NDArray[np.float64]:
    """Kits in circulation issued within the shelf life (NaN without one), oldest used first."""
    if shelf_life_months is None:
        return np.full(len(out), np.nan)
    n = int(shelf_life_months)
    if n < 1 or n != shelf_life_months:
        raise ValueError(f"shelf_life_months must be a positive whole number, got {n!r}")
    # cumulative issued at the last period ending on or before (period_end - n months)
    lookup = out.loc[:, [*KEYS, "period_end", "cum_issued"]].rename(
        columns={"period_end": "cutoff", "cum_issued": "cum_before"}
    )
    query = out.loc[:, [*KEYS, "period_end"]].copy()
    # same day of the month n months earlier, month ends kept as month ends
    day_after = query["period_end"] + pd.Timedelta(days=1)
    query["cutoff"] = day_after - pd.DateOffset(months=n) - pd.Timedelta(days=1)
    query["_order"] = np.arange(len(query))
    query = query.sort_values("cutoff", kind="stable")
    lookup = lookup.sort_values("cutoff", kind="stable")
    found = pd.merge_asof(query, lookup, on="cutoff", by=KEYS, direction="backward")
    found = found.sort_values("_order")
    before = found["cum_before"].fillna(0).to_numpy()
    in_date: NDArray[np.float64] = np.minimum(held.to_numpy(), cum_issued.to_numpy() - before)
    return in_date
