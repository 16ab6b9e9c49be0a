"""The compact, cited data extracts shipped inside the package (``overdose_trends/data/``).

These let the report command, notebooks and examples run offline, from a wheel as
well as a checkout. They are tidy extracts of real ONS publications (Open Government
Licence v3.0), made by ``scripts/build_data.py`` with this package's own loaders; see
``data/README.md`` for sources and columns. The folder is found with
:mod:`importlib.resources`, or from the environment variable ``OVERDOSE_TRENDS_DATA``.

Also reachable here: :func:`~overdose_trends.io.editions.fetch_edition` (newer ONS
editions, downloaded and verified). SYNTHETIC record-level deaths come from
:func:`~overdose_trends.io.records.synthetic.synthetic_death_records`
(``ot.synthetic_death_records``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from overdose_trends.constants import ESP2013_BANDS
from overdose_trends.io._population_layouts import V2011
from overdose_trends.io._shipped import (
    DEPRIVATION_FILE,
    LA_DEATHS_FILE,
    LA_WORKBOOK_EXCERPT,
    NATIONAL_DEATHS_FILE,
    NATIONAL_WORKBOOK_EXCERPT,
    POPULATION_EXCERPT,
    POPULATION_FILE,
    SYNTHETIC_KIT_COUNTS_FILE,
    SYNTHETIC_KIT_LOG_FILE,
    data_dir,
)
from overdose_trends.io.editions import fetch_edition  # newer ONS editions, downloaded
from overdose_trends.schema import DEATHS_COLUMNS, DTYPES, NATIONAL_COLUMNS, as_period

if TYPE_CHECKING:
    from overdose_trends.io.kit_log import KitLog

__all__ = [
    "fetch_edition",
    "LA_DEATHS_FILE",
    "LA_WORKBOOK_EXCERPT",
    "NATIONAL_DEATHS_FILE",
    "NATIONAL_WORKBOOK_EXCERPT",
    "POPULATION_EXCERPT",
    "POPULATION_FILE",
    "SYNTHETIC_KIT_COUNTS_FILE",
    "SYNTHETIC_KIT_LOG_FILE",
    "SERIES_COLUMNS",
    "data_dir",
    "la_deaths",
    "national_deaths",
    "national_tables",
    "deprivation",
    "population_bands",
    "series",
    "synthetic_kit_counts",
    "synthetic_kit_log",
]

#: Vintage of the shipped population estimates (mid-1997 to mid-2020 as first
#: published, before the 2021 Census rebasing; label as in io.population).
SHIPPED_POPULATION_VINTAGE = V2011
#: Vintage of the hierarchy whose counties, regions and countries :func:`population_bands`
#: adds (that of the deaths extract: ONS local-authority boundaries of May 2020).
POPULATION_HIERARCHY_VINTAGE = 2020
#: Columns of :func:`series`, in order.
SERIES_COLUMNS = ("area_code", "area_name", "year", "deaths", "population")


def la_deaths(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Deaths related to drug poisoning by local authority, England and Wales (ONS 2019 edition).

    The whole workbook (Tables 1-8) as read by
    :func:`overdose_trends.io.ons_local.read_local_authority`: single-year counts
    1993-2019 and three-year periods 2001-03 … 2017-19 with age-standardised
    rates per 100,000 (2013 ESP) and 95% confidence limits.

    Parameters
    ----------
    path : path, optional
        Another copy of the extract (default: the shipped file in :func:`data_dir`).

    Returns
    -------
    pandas.DataFrame
        Columns as :data:`overdose_trends.schema.DEATHS_COLUMNS`.

    References
    ----------
    ONS (2020) "Deaths related to drug poisoning by local authority, England
    and Wales, 1993 to 2019" (released 14 October 2020), Open Government Licence v3.0.

    Examples
    --------
    >>> la = ot.datasets.la_deaths()
    >>> la.shape
    (59334, 16)
    >>> southend = la.query(
    ...     "area_code == 'E06000033' and measure == 'poisoning' and sex == 'persons'"
    ...     " and period_start == 2013 and period_end == 2015"
    ... )
    >>> southend[["area_name", "deaths", "rate", "lcl", "ucl"]].to_dict("records")
    [{'area_name': 'Southend-on-Sea', 'deaths': 47, 'rate': 8.8, 'lcl': 6.5, 'ucl': 11.7}]
    """
    path = Path(path) if path is not None else data_dir() / LA_DEATHS_FILE
    return _read(path, DEATHS_COLUMNS)


def national_deaths(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Deaths related to drug poisoning in England and Wales, national tables (2021 edition).

    Tables 1 (deaths by sex, 1993-2021), 4 (age-standardised rates per
    1,000,000 by substance and sex) and 7 (countries and regions) as read by
    :func:`overdose_trends.io.ons_national.read_national`.

    Parameters
    ----------
    path : path, optional
        Another copy of the extract (default: the shipped file in :func:`data_dir`).

    Returns
    -------
    pandas.DataFrame
        Columns as :data:`overdose_trends.schema.NATIONAL_COLUMNS` (``table`` and
        ``substance`` in addition to the local-authority columns).

    References
    ----------
    ONS (2022) "Deaths related to drug poisoning in England and Wales: 2021
    registrations" reference tables (released 3 August 2022), Open Government
    Licence v3.0.

    Examples
    --------
    Age-standardised rates per million, England and Wales, persons:

    >>> national = ot.datasets.national_deaths()
    >>> asmr = national.query(
    ...     "table == 'asmr' and substance == 'all' and sex == 'persons'"
    ...     " and period_start in [2012, 2021]"
    ... )
    >>> asmr.pivot(index="period_start", columns="measure", values="rate")
    measure       misuse  poisoning
    period_start
    2012            29.1       46.6
    2021            53.2       84.4
    """
    path = Path(path) if path is not None else data_dir() / NATIONAL_DEATHS_FILE
    df = _read(path, NATIONAL_COLUMNS)  # the extract also holds national_tables()' tables
    return df[df["table"].isin(["deaths_by_sex", "asmr", "region"])].reset_index(drop=True)


def population_bands(
    path: str | os.PathLike[str] | None = None, *, aggregates: bool = True
) -> pd.DataFrame:
    """Mid-year population estimates by local authority in the 19 bands of the 2013 ESP.

    England and Wales local authorities (boundaries before the 2021 Census
    rebasing), mid-1997 to mid-2020, persons, grouped from single years of age
    with :func:`overdose_trends.io.population.to_esp_bands`; with the counties,
    metropolitan counties, Inner and Outer London, regions and countries of
    the deaths extract (vintage 2020) summed from their authorities
    (:func:`~overdose_trends.io.geography.combine_areas`), so that rates and
    kits per population work for Norfolk (E10000020) as for its districts.

    Parameters
    ----------
    path : path, optional
        Another copy of the extract (default: the shipped file in :func:`data_dir`).
    aggregates : bool, default True
        Add the summed areas after the published ones. False: the 331 published
        local authorities only (sum them, or pass them to
        :func:`~overdose_trends.io.geography.harmonise`, without double counting).

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``year`` (int), ``age_band`` (ordered
        categorical ``"0-4"`` … ``"90+"``) and ``population`` (Int64, persons
        at 30 June; ``<NA>`` for the 85-89 and 90+ bands in 1997-2000, which
        the source does not give). North and West Northamptonshire (2021 codes)
        replace the seven Northamptonshire districts; Northamptonshire county
        (E10000021) is their sum. England and Wales (K04000001) is the sum of
        residents (the deaths extract's England and Wales includes non-residents).

    References
    ----------
    ONS, "Population estimates - local authority based by single year of age"
    (Nomis dataset), Open Government Licence v3.0.

    Examples
    --------
    Southend-on-Sea: in 2000 two of the 19 bands are missing, so their sum
    would undercount (:func:`series` refuses such years):

    >>> bands = ot.datasets.population_bands()
    >>> southend = bands.query("area_code == 'E06000033' and year in [2000, 2013]")
    >>> southend.groupby("year")["population"].agg(["count", "sum"])
          count     sum
    year
    2000     17  156850
    2013     19  176236

    Counties are summed from their districts:

    >>> norfolk = bands.query("area_code == 'E10000020' and year == 2019")
    >>> norfolk["area_name"].iloc[0], int(norfolk["population"].sum())
    ('Norfolk', 907760)

    The shipped estimates are the series published before the 2021 Census
    (``attrs["population_vintage"]``); ONS rebased 2012-2020 on the 2021 Census in
    November 2023 (:func:`overdose_trends.io.population.read_population` reads the
    current files):

    >>> bands.attrs["population_vintage"]
    '2011 Census based'
    """
    path = Path(path) if path is not None else data_dir() / POPULATION_FILE
    out = _population_bands(path, aggregates).copy()
    out.attrs["population_vintage"] = SHIPPED_POPULATION_VINTAGE
    return out


@functools.lru_cache(maxsize=4)
def _population_bands(path: Path, aggregates: bool) -> pd.DataFrame:
    """The population table, with the aggregates summed once per file (cached)."""
    df = pd.read_csv(
        path,
        dtype={
            "area_code": "str",
            "area_name": "str",
            "year": "int64",
            "age_band": "str",
            "population": "Int64",
        },
    )
    df["age_band"] = pd.Categorical(df["age_band"], categories=ESP2013_BANDS, ordered=True)
    if not aggregates:
        return df
    from overdose_trends.io._geo_sum import hierarchy_plan, sum_areas
    from overdose_trends.io._geo_tables import geography

    geo = geography()
    codes = [str(c) for c in pd.unique(df["area_code"])]
    plan = hierarchy_plan(codes, "all", POPULATION_HIERARCHY_VINTAGE, geo)
    plan = dataclasses.replace(
        plan, area="area_code", sums=("population",), incomplete="drop", verb="population_bands"
    )
    summed = sum_areas(df, plan, geo)
    return pd.concat([df, summed], ignore_index=True)


def deprivation(tier: str | None = None) -> pd.DataFrame:
    """English Indices of Deprivation 2019: local-authority summaries (IMD and its domains).

    The local-authority district (lower-tier) and upper-tier summaries
    published by the Ministry of Housing, Communities and Local Government,
    one row per area and summary table; England only (Wales has its own
    index). Codes are those of 2019 (before the Buckinghamshire, Northamptonshire
    and 2023 changes: see :func:`~overdose_trends.io.geography.harmonise`).

    Parameters
    ----------
    tier : {"lower", "upper"}, optional
        ``"lower"``: File 10, the 317 districts and unitary authorities;
        ``"upper"``: File 11, the 151 counties and unitary authorities. Default: both.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``tier`` (the summary table), then for the
        IMD: ``imd_score`` (average score: population-weighted mean of the
        areas' LSOA scores; higher = more deprived), ``imd_rank`` (rank of the
        average score within the table, 1 = most deprived), ``imd_average_rank``,
        ``imd_most_deprived_10pc`` (proportion of LSOAs in the most deprived 10%
        nationally), ``imd_extent``, ``imd_local_concentration``; for each
        domain (``income``, ``employment``, ``education``, ``health``,
        ``crime``, ``barriers``, ``living``, ``idaci``, ``idaopi``)
        ``<domain>_score`` (average score; for income and employment the
        proportion of people deprived) and ``<domain>_rank``; and
        ``income_scale``, ``employment_scale`` (numbers of people deprived).

    References
    ----------
    MHCLG (2019), "English indices of deprivation 2019", File 10 (local authority
    district summaries) and File 11 (upper-tier local authority summaries),
    Open Government Licence v3.0.

    Examples
    --------
    >>> imd = ot.datasets.deprivation()
    >>> imd.groupby("tier").size().to_dict()
    {'lower': 317, 'upper': 151}
    >>> imd.query("area_code == 'E10000020'")[["area_name", "imd_score", "imd_rank"]]
        area_name  imd_score  imd_rank
    456   Norfolk     21.183        84
    """
    df = pd.read_csv(data_dir() / DEPRIVATION_FILE, dtype={"area_code": "str", "area_name": "str"})
    if tier is None:
        return df
    if tier not in ("lower", "upper"):
        raise ValueError(f"tier must be 'lower' or 'upper' (or None for both), got {tier!r}")
    return df[df["tier"] == tier].reset_index(drop=True)


def synthetic_kit_log(path: str | os.PathLike[str] | None = None) -> KitLog:
    """A SYNTHETIC take-home naloxone kit log shaped like two English services.

    Simulated by ``scripts/make_synthetic_kits.py`` (seeded; not real data):
    Southend-on-Sea (E06000033) and Norfolk (E10000020, three sites as
    separate services), October 2015 to December 2019, one row per kit event.
    Use it to try the kit functions and to illustrate; never quote it as a
    service's figures.

    Parameters
    ----------
    path : path, optional
        Another copy of the log (default: the shipped file in :func:`data_dir`).

    Returns
    -------
    overdose_trends.io.kit_log.KitLog
        ``.events`` (columns :data:`overdose_trends.schema.EVENT_COLUMNS`)
        and ``.report`` (the validation report: 0 rejected rows).

    Examples
    --------
    >>> log = ot.datasets.synthetic_kit_log()
    >>> len(log.events), log.report.n_rejected
    (5961, 0)
    >>> log.events.groupby("area_code")["kit_id"].nunique()
    area_code
    E06000033     963
    E10000020    3981
    Name: kit_id, dtype: int64
    """
    from overdose_trends.io.kit_log import read_kit_log

    path = Path(path) if path is not None else data_dir() / SYNTHETIC_KIT_LOG_FILE
    return read_kit_log(path)


def synthetic_kit_counts(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Monthly counts of the SYNTHETIC kit log, per service and in total.

    The same events as :func:`synthetic_kit_log` aggregated by month, in the
    counts layout (:data:`overdose_trends.schema.COUNT_COLUMNS`: number of
    kits per area, service (``"all"`` = total), month and measure).

    Parameters
    ----------
    path : path, optional
        Another copy of the counts (default: the shipped file in :func:`data_dir`).

    Returns
    -------
    pandas.DataFrame
        The counts table (``.counts`` of
        :func:`~overdose_trends.io.kit_counts.read_kit_counts`).

    Examples
    --------
    >>> counts = ot.datasets.synthetic_kit_counts()
    >>> issued = counts.query("service == 'all' and measure == 'kits_issued'")
    >>> issued.groupby("area_code")["value"].sum()
    area_code
    E06000033     963
    E10000020    3981
    Name: value, dtype: Int64
    """
    from overdose_trends.io.kit_counts import read_kit_counts

    path = Path(path) if path is not None else data_dir() / SYNTHETIC_KIT_COUNTS_FILE
    return read_kit_counts(path, freq="month").counts


def series(
    area: str,
    measure: str = "poisoning",
    sex: str = "persons",
    years: Any = None,
) -> pd.DataFrame:
    """Deaths and population of one area by single registration year, ready for the models.

    Joins the single-year deaths of :func:`la_deaths` to the all-ages
    population of :func:`population_bands` (the sum of its 19 age bands), one
    row per year, for :func:`~overdose_trends.stats.trends.loglinear.fit_trend`,
    :func:`~overdose_trends.stats.trends.joinpoint.fit_joinpoint` and
    :func:`~overdose_trends.stats.trends.interrupted.fit_interrupted` with
    ``population="population"``.

    Parameters
    ----------
    area : str
        GSS code (``"E06000033"``), or a name matching exactly one area of the
        deaths extract (ignoring case and surrounding spaces: ``"Southend-on-Sea"``).
    measure : {"poisoning", "misuse"}, default "poisoning"
        All deaths related to drug poisoning, or the subset related to drug misuse.
    sex : {"persons", "males", "females"}, default "persons"
        The shipped extract has single-year deaths for persons only; the
        other sexes are refused with a message saying so.
    years : period, optional
        First and last year, in any period notation
        (:func:`~overdose_trends.schema.as_period`: ``"2001-2019"``,
        ``(2001, 2019)``, ``"2001 to 2019"``). Default: from the first to the
        last year with both published deaths and a complete population
        (2001-2019 in the shipped extracts).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SERIES_COLUMNS`: ``area_code``, ``area_name`` (as in the
        deaths extract), ``year`` (int64, registration year of the deaths and
        mid-year of the population), ``deaths`` (int64) and ``population``
        (int64, persons of all ages at 30 June); sorted by year, one row per
        year, without gaps.

    Raises
    ------
    ValueError
        If ``area``, ``measure`` or ``sex`` is unknown or has no single-year
        deaths, or if any year asked for has no published deaths, no
        population, or a population missing some age bands (the shipped
        population has no 85-89 and 90+ bands in 1997-2000): such years are
        refused and named, never undercounted or silently dropped.

    See Also
    --------
    overdose_trends.stats.trends.loglinear.fit_trend : log-linear trend of the rate.

    Examples
    --------
    >>> df = ot.datasets.series("E06000033")
    >>> len(df), int(df["year"].min()), int(df["year"].max())
    (19, 2001, 2019)
    >>> df.query("2013 <= year <= 2015")[["year", "deaths", "population"]]
          year  deaths  population
    12  2013      16      176236
    13  2014      18      178367
    14  2015      13      179234
    >>> fit = ot.fit_trend(df, population="population")

    Years whose population lacks age bands are refused, not undercounted:

    >>> ot.datasets.series("E06000033", years="1997-2019")
    Traceback (most recent call last):
    ...
    ValueError: E06000033 (Southend-on-Sea): ... lacks age bands 85-89, 90+ in 1997-2000, ...
    """
    first_last = None if years is None else as_period(years)
    deaths = la_deaths()
    code, name = _series_area(deaths, area)
    counts = _series_deaths(deaths, code, measure, sex)
    population, missing_bands = _series_population(population_bands(), code)
    span = _series_span(counts, population, missing_bands, first_last, f"{code} ({name})")
    out = pd.DataFrame(
        {
            "area_code": pd.array([code] * len(span), dtype="str"),
            "area_name": pd.array([name] * len(span), dtype="str"),
            "year": span,
            "deaths": counts.reindex(span).to_numpy(dtype="int64"),
            "population": population.reindex(span).to_numpy(dtype="int64"),
        }
    )
    out.attrs["source"] = (
        f"ONS single-year {measure} deaths ({LA_DEATHS_FILE}) and mid-year populations "
        f"({POPULATION_FILE})"
    )
    return out


def _series_area(deaths: pd.DataFrame, area: str) -> tuple[str, str]:
    """GSS code and published name of the area given as a code or an exact name."""
    areas = deaths.drop_duplicates("area_code").set_index("area_code")["area_name"]
    key = str(area).strip()
    if key.upper() in areas.index:
        return key.upper(), str(areas[key.upper()])
    hits = areas[areas.str.strip().str.casefold() == key.casefold()]
    if len(hits) == 1:
        return str(hits.index[0]), str(hits.iloc[0])
    if len(hits) > 1:
        raise ValueError(f"area name {area!r} matches several codes {list(hits.index)}: pass one")
    close = difflib.get_close_matches(key, list(areas), n=3)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(f"no area with code or name {area!r} in the deaths extract{hint}")


def _series_deaths(deaths: pd.DataFrame, code: str, measure: str, sex: str) -> pd.Series:
    """Single-year deaths of the area by year (published values only)."""
    for label, value, allowed in (
        ("measure", measure, sorted(deaths["measure"].unique())),
        ("sex", sex, ("persons", "males", "females")),
    ):
        if value not in allowed:
            raise ValueError(f"unknown {label} {value!r}; use one of {list(allowed)}")
    single = deaths[(deaths["period_start"] == deaths["period_end"]) & deaths["deaths"].notna()]
    rows = single[
        (single["area_code"] == code) & (single["measure"] == measure) & (single["sex"] == sex)
    ]
    if rows.empty:
        have = sorted(single.loc[single["measure"] == measure, "sex"].unique())
        raise ValueError(
            f"no single-year {measure} deaths for {code}, sex {sex!r}: the shipped extract has "
            f"single registration years for sex {have} only (the other sexes are published "
            "for three-year periods)"
        )
    return rows.set_index("period_start")["deaths"].astype("int64")


def _series_population(bands: pd.DataFrame, code: str) -> tuple[pd.Series, dict[int, str]]:
    """All-ages population of the area by year (``<NA>`` where an age band is missing),
    and the missing bands of each such year."""
    rows = bands[bands["area_code"] == code]
    grouped = rows.groupby("year")["population"]
    complete = grouped.count() == len(ESP2013_BANDS)
    missing = {}
    for year in complete.index[~complete.to_numpy()]:
        have = rows.loc[(rows["year"] == year) & rows["population"].notna(), "age_band"]
        lacking = [b for b in ESP2013_BANDS if b not in set(have.astype(str))]
        missing[int(year)] = ", ".join(lacking)
    return grouped.sum().astype("Int64").where(complete, pd.NA), missing


_NOT_IN_POPULATION = (
    " (the shipped population has the local authorities of England and Wales as of 2021, "
    "with their counties, regions and countries; the seven Northamptonshire districts "
    "abolished in 2021 are not in it: use Northamptonshire, E10000021, or harmonise the "
    "deaths to 2021 with overdose_trends.io.geography.harmonise)"
)


def _series_span(
    counts: pd.Series,
    pop: pd.Series,
    missing: dict[int, str],
    first_last: tuple[int, int] | None,
    label: str,
) -> np.ndarray:
    """The years of the series; raises naming the years that lack deaths or population."""
    usable = sorted(set(counts.index) & set(pop.index[pop.notna()]))
    if first_last is None:
        if not usable:
            raise ValueError(
                f"{label}: no year has both single-year deaths and a complete population"
                + (_NOT_IN_POPULATION if pop.empty else "")
            )
        first_last = (int(usable[0]), int(usable[-1]))
    span = np.arange(first_last[0], first_last[1] + 1, dtype="int64")
    found = []
    if gaps := [y for y in span if y not in counts.index]:
        found.append(f"no published deaths in {_years_text(gaps)}")
    if gaps := [y for y in span if y not in pop.index]:
        found.append(
            f"no population in {_years_text(gaps)}" + (_NOT_IN_POPULATION if pop.empty else "")
        )
    by_bands: dict[str, list[int]] = {}
    for y in span:
        if int(y) in missing:
            by_bands.setdefault(missing[int(y)], []).append(int(y))
    for bands_text, ys in by_bands.items():
        found.append(
            f"the population lacks age bands {bands_text} in {_years_text(ys)}, so the sum of "
            "the other bands would undercount it"
        )
    if found:
        ok = f"; years with both deaths and a population: {_years_text(usable)}" if usable else ""
        raise ValueError(f"{label}: " + "; ".join(found) + ok)
    return span


def _years_text(years: list[int]) -> str:
    """Years as runs: ``1997-2000, 2003``."""
    runs: list[list[int]] = []
    for y in sorted(int(v) for v in years):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    dtypes = {c: DTYPES[c] for c in columns}
    blank = [""]
    df = pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values={"deaths": blank, "rate": blank, "lcl": blank, "ucl": blank},
    )
    return df.loc[:, list(columns)]


def national_tables(
    tables: str | list[str] | tuple[str, ...] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Every table of the national reference tables (2021 edition), long.

    The shipped extract as read by :func:`overdose_trends.io.ons_national.read_national`:
    deaths by sex, underlying cause and age, substances mentioned by age,
    age-standardised rates by substance, region and deprivation quintile (IMD,
    England; WIMD, Wales), age-specific rates by broad and five-year age group,
    and the median registration delay, 1993-2021.

    Parameters
    ----------
    tables : str or sequence of str, optional
        Only these tables (names as
        :data:`overdose_trends.io.ons_national.TABLES`); default all.
    path : path, optional
        Another copy of the extract (default: the shipped file in :func:`data_dir`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`overdose_trends.io.ons_national.NATIONAL_TABLE_COLUMNS`
        (``table``, area, ``measure``, ``substance``, ``cause``, ``sex``,
        ``age_band``, ``quintile``, period, ``deaths``, ``rate``/``lcl``/``ucl``
        per 1,000,000, ``rate_type``, ``rate_status``, ``delay_days``, provenance).

    References
    ----------
    ONS (2022) "Deaths related to drug poisoning in England and Wales: 2021
    registrations" reference tables (released 3 August 2022), Open Government
    Licence v3.0.

    Examples
    --------
    Drug-poisoning deaths of males in England by deprivation quintile, 2021
    (1 = most deprived), age-standardised per million:

    >>> imd = ot.datasets.national_tables("imd").query("sex == 'males' and period_start == 2021")
    >>> imd[["quintile", "deaths", "rate", "lcl", "ucl"]].reset_index(drop=True)
       quintile  deaths   rate    lcl    ucl
    0         1    1334  252.9  239.2  266.7
    1         2     752  135.0  125.3  144.8
    2         3     470   84.8   77.1   92.5
    3         4     312   59.1   52.6   65.7
    4         5     182   36.8   31.4   42.2
    """
    from overdose_trends.io.ons_national import (
        NATIONAL_TABLE_COLUMNS,
        NATIONAL_TABLE_DTYPES,
        TABLES,
    )

    wanted = [tables] if isinstance(tables, str) else tables
    unknown = sorted(set(wanted or ()) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; choose from {TABLES}")
    path = Path(path) if path is not None else data_dir() / NATIONAL_DEATHS_FILE
    blank = [""]
    numbers = ("deaths", "rate", "lcl", "ucl", "quintile", "delay_days")
    df = pd.read_csv(
        path,
        dtype=dict(NATIONAL_TABLE_DTYPES),
        keep_default_na=False,
        na_values={c: blank for c in numbers},
    )
    if wanted is not None:
        df = df[df["table"].isin(wanted)].reset_index(drop=True)
    return df.loc[:, list(NATIONAL_TABLE_COLUMNS)]
