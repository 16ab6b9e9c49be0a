"""OHID Fingertips indicators (e.g. 92432 "Deaths from drug misuse") in the house tidy schema.

:func:`read_fingertips` reads a Fingertips CSV export (the "Export table" /
"Download" CSV of fingertips.phe.org.uk, or the API's ``all_data/csv`` output)
and :func:`fetch_fingertips` downloads one indicator from the Fingertips API
(cached like any download, :func:`overdose_trends.io.fetch.fetch`). Both
return the tidy death table of :func:`overdose_trends.io.datasets.la_deaths`,
so the result goes straight into ``compare_periods``, ``vs_benchmark`` and
``plot_funnel``.

Which Fingertips indicator is which ONS measure
-----------------------------------------------
ONS publishes two nested measures (:mod:`overdose_trends.io.ons_local`):
*poisoning* (all deaths related to drug poisoning) and *misuse* (the subset
that involved drug abuse or dependence or a controlled drug). **The package's
default measure is poisoning; the Fingertips drug-death indicator is misuse.**

=========  ==================================  ============  ===========================
Indicator  Fingertips name                     ``measure``   Value
=========  ==================================  ============  ===========================
92432      Deaths from drug misuse             ``misuse``    directly age-standardised
                                                             rate per 100,000 (2013
                                                             ESP), 3-year periods,
                                                             95% and 99.8% limits
=========  ==================================  ============  ===========================

Only indicators confirmed against the Fingertips definitions are listed
(:data:`INDICATOR_MEASURES`); for any other indicator pass ``measure=`` (and
``rate_per=`` if its value is not per 100,000). Not an ONS death measure:
92962 "Deaths in treatment, mortality ratio" (deaths of people in drug
treatment, NDTMS), a ratio rather than a rate of registered deaths.

Tidy columns
------------
The house columns (:data:`~overdose_trends.schema.DEATHS_COLUMNS`, as in
:mod:`overdose_trends.io.ons_local`), filled from the export:

area_code, area_name
    ``Area Code``, ``Area Name``.
area_level
    From the GSS code prefix (:data:`~overdose_trends.constants.AREA_LEVELS`:
    ``"country"``, ``"region"``, ``"unitary"``, ``"county"`` ...); for other
    codes, Fingertips' ``Area Type`` in lower case with ``_`` for spaces.
measure
    From the indicator (table above), or the ``measure`` argument.
sex
    ``"persons"``, ``"males"``, ``"females"`` (Fingertips ``Persons``/``Male``/``Female``).
period_start, period_end : int
    From ``Time period`` (``"2016 - 18"`` is 2016 to 2018,
    :func:`overdose_trends.schema.parse_period`).
deaths : Int64
    ``Count``; ``<NA>`` where empty.
rate, lcl, ucl : float
    ``Value`` and its 95% limits (``Lower/Upper CI 95.0 limit``); NaN where empty.
rate_per : int
    100,000 for the listed indicators (``rate_per`` argument otherwise).
rate_status : str
    Where a value is given, the ONS small-number rule on ``Count``
    (:func:`overdose_trends.schema.rate_status`: ``"not_calculated"`` below 10
    deaths, ``"unreliable"`` below 20, else ``"ok"``; ``"ok"`` if no count).
    Where the value is empty, from ``Value note``: ``"suppressed"`` (a note
    about suppression, disclosure or confidentiality), ``"not_calculated"``
    (the count is too small / the value cannot be calculated), else
    ``"not_available"``. An empty value is never read as zero.
edition : int
    Last registration year in the export (Fingertips has no editions).
sheet, row
    Provenance: the file's name and the 1-based CSV line (header = line 1).

then Fingertips' own columns (:data:`FINGERTIPS_COLUMNS`):

indicator_id : int; indicator_name : str
    ``Indicator ID``, ``Indicator Name``.
age : str
    ``Age`` (``"All ages"`` for 92432).
category_type, category : str
    Inequality breakdown (e.g. deprivation deciles), ``<NA>`` on ordinary rows;
    breakdown rows are dropped unless ``breakdowns=True``.
time_period : str
    ``Time period`` as published.
lcl_998, ucl_998 : float
    99.8% limits (``Lower/Upper CI 99.8 limit``).
denominator : float
    ``Denominator`` (population, person-years over the period for 92432).
value_note : str
    ``Value note`` as published (``<NA>`` when empty).
recent_trend : str
    ``Recent Trend`` (e.g. ``"No significant change"``, ``"Cannot be calculated"``).
compared_to_england : str
    ``Compared to England value or percentiles`` (``"Better"``, ``"Similar"``,
    ``"Worse"`` ... at 95%).

Columns the export has that are not listed here (``Parent Code``, ``New data``,
``Time period Sortable`` ...) are read but not kept.

References
----------
Office for Health Improvement and Disparities, Fingertips public health
profiles, https://fingertips.phe.org.uk/ (Open Government Licence v3.0);
indicator 92432 "Deaths from drug misuse" (source: ONS death registrations).
Fingertips API: https://fingertips.phe.org.uk/api/ (``all_data/csv/by_indicator_id``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from overdose_trends.constants import PER_100K
from overdose_trends.errors import DataFormatError
from overdose_trends.io._csv_text import CsvSource, read_text
from overdose_trends.io._fingertips_csv import (
    EXTRA_COLUMNS,
    Export,
    assemble,
    check_repeats,
    parse_export,
)
from overdose_trends.io.fetch import cache_path, fetch

__all__ = [
    "AREA_TYPES",
    "FINGERTIPS_API",
    "FINGERTIPS_COLUMNS",
    "INDICATOR_MEASURES",
    "fetch_fingertips",
    "fingertips_url",
    "read_fingertips",
]

#: Base URL of the Fingertips API.
FINGERTIPS_API = "https://fingertips.phe.org.uk/api/"

#: Fingertips indicator id -> ONS measure (see the module docstring).
INDICATOR_MEASURES: Mapping[int, str] = MappingProxyType({92432: "misuse"})

#: Fingertips columns kept after the house columns, in order.
FINGERTIPS_COLUMNS = EXTRA_COLUMNS

#: Area types of the API's ``child_area_type_id`` most used with drug deaths
#: (Fingertips ``area_types``): upper tier (counties and unitary authorities) and
#: lower tier (districts and unitary authorities) from April 2023, regions, England.
AREA_TYPES: Mapping[str, int] = MappingProxyType(
    {"upper_tier": 502, "lower_tier": 501, "region": 6, "england": 15}
)


def _measures(export: Export, measure: str | None) -> dict[int, str]:
    """Measure of each indicator in the export; unknown ones need ``measure``."""
    ids = pd.to_numeric(export.cells["indicator_id"], errors="coerce").dropna().unique()
    known = dict(INDICATOR_MEASURES)
    unknown = sorted(int(i) for i in ids if int(i) not in known)
    if unknown and measure is None:
        raise DataFormatError(
            f"indicator(s) {', '.join(map(str, unknown))} are not in INDICATOR_MEASURES "
            f"({dict(known)}); pass measure='misuse' or measure='poisoning' (the ONS measure "
            "the indicator counts) to read them",
            file=export.file,
        )
    return {int(i): measure if measure is not None else known[int(i)] for i in ids}


def read_fingertips(
    source: CsvSource,
    *,
    measure: str | None = None,
    rate_per: int = PER_100K,
    breakdowns: bool = False,
) -> pd.DataFrame:
    """Read a Fingertips CSV export into the tidy death table.

    Parameters
    ----------
    source : str, os.PathLike or file object
        The CSV (path, or an open text or binary file; UTF-8 with or without a
        byte-order mark, else Windows-1252), with at least the columns
        ``Indicator ID``, ``Area Code``, ``Area Name``, ``Sex``, ``Time period``,
        ``Value``, ``Lower CI 95.0 limit``, ``Upper CI 95.0 limit`` and ``Count``
        (Fingertips exports have all of them).
    measure : {"misuse", "poisoning"}, optional
        ONS measure of indicators not in :data:`INDICATOR_MEASURES`; when given
        it applies to every indicator in the file.
    rate_per : int, default 100000
        Population denominator of ``Value`` (100,000 for 92432).
    breakdowns : bool, default False
        Keep the inequality breakdown rows (``Category Type`` not empty, e.g.
        deprivation deciles of England). By default only the areas' own rows
        are kept, one per area, sex, age and period.

    Returns
    -------
    pandas.DataFrame
        :data:`~overdose_trends.schema.DEATHS_COLUMNS` then
        :data:`FINGERTIPS_COLUMNS`, in file order (see the module docstring for
        units and how each column is filled). ``attrs["fingertips"]`` holds the
        indicators read (``{id: name}``) and the source name.

    Raises
    ------
    DataFormatError
        Naming the file (and the CSV line and column where one applies): a
        folder instead of a file; an HTML page instead of a CSV; missing
        columns (all of them listed) or a column named twice; a line with fewer
        or more fields than the header (a short row, or a download cut
        part-way); text in a number cell, including ``inf``, ``NaN``,
        ``1e+20``, ``5.000,0`` and ``1_000`` (one notation: digits, optional
        ``,`` thousands separators, ``.`` decimal point); a negative value,
        limit or denominator; a fractional, negative or impossibly large
        (over 2**53) ``Count``; one limit of a pair without the other, limits
        without a ``Value``, or limits that do not surround the value
        (``lcl <= value <= ucl``, for the 95% and the 99.8% limits); a ``Time
        period`` that is not a year or a range of years (e.g. ``"2019/20"``); an
        unknown ``Sex``; an indicator not in :data:`INDICATOR_MEASURES`
        without ``measure``; two rows for one area, sex, age, breakdown and
        period, whether they repeat the same figure or give different ones (both
        rows named). A cell is quoted in a message only up to 40 characters.

    Notes
    -----
    Cells are parsed column by column (vectorised). A value may equal its
    limits (rounding); it may not lie outside them.

    References
    ----------
    OHID Fingertips (see the module docstring).

    Examples
    --------
    A small export in the Fingertips layout (values made up for the example):

    >>> import io
    >>> csv = (
    ...     "Indicator ID,Indicator Name,Area Code,Area Name,Area Type,Sex,Age,"
    ...     "Category Type,Category,Time period,Value,Lower CI 95.0 limit,"
    ...     "Upper CI 95.0 limit,Count,Denominator,Value note\\n"
    ...     "92432,Deaths from drug misuse,E92000001,England,England,Persons,All ages,,,"
    ...     "2016 - 18,4.5,4.4,4.6,7443,165000000,\\n"
    ...     "92432,Deaths from drug misuse,E06000017,Rutland,Counties & UAs,Persons,"
    ...     "All ages,,,2016 - 18,,,,,120000,Value cannot be calculated as number "
    ...     "of cases is too small\\n"
    ... )
    >>> ft = ot.read_fingertips(io.StringIO(csv))
    >>> ft[["area_code", "measure", "period_start", "period_end", "deaths", "rate",
    ...     "rate_status"]]
       area_code measure  period_start  period_end  deaths  rate     rate_status
    0  E92000001  misuse          2016        2018    7443   4.5              ok
    1  E06000017  misuse          2016        2018    <NA>   NaN  not_calculated
    """
    text, file = read_text(source)
    export = parse_export(text, file)
    measures = _measures(export, measure)
    if rate_per <= 0:
        raise ValueError(f"rate_per={rate_per!r} must be a positive number (e.g. 100000)")
    tidy = assemble(export, measures, int(rate_per), Path(file).name)
    if not breakdowns:
        tidy = tidy[tidy["category_type"].isna()].reset_index(drop=True)
    check_repeats(tidy, file)
    names = tidy.drop_duplicates("indicator_id")
    tidy.attrs["fingertips"] = {
        "indicators": dict(
            zip(names["indicator_id"].tolist(), names["indicator_name"].tolist(), strict=True)
        ),
        "source": file,
    }
    return tidy


def _area_type(value: int | str, what: str) -> int:
    if isinstance(value, str):
        if value not in AREA_TYPES:
            raise ValueError(
                f"{what}={value!r}: use a Fingertips area type id or one of {sorted(AREA_TYPES)}"
            )
        return AREA_TYPES[value]
    return int(value)


def fingertips_url(
    indicator_id: int,
    area_type: int | str = 502,
    *,
    parent_area_type: int | str = 15,
    profile_id: int | None = None,
    base_url: str = FINGERTIPS_API,
) -> str:
    """URL of the API's CSV of one indicator (``all_data/csv/by_indicator_id``)."""
    params: dict[str, Any] = {
        "indicator_ids": int(indicator_id),
        "child_area_type_id": _area_type(area_type, "area_type"),
        "parent_area_type_id": _area_type(parent_area_type, "parent_area_type"),
    }
    if profile_id is not None:
        params["profile_id"] = int(profile_id)
    params["include_sortable_time_periods"] = "yes"
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}all_data/csv/by_indicator_id?{urlencode(params)}"


def fetch_fingertips(
    indicator_id: int,
    area_type: int | str = 502,
    *,
    parent_area_type: int | str = 15,
    profile_id: int | None = None,
    measure: str | None = None,
    rate_per: int = PER_100K,
    breakdowns: bool = False,
    base_url: str = FINGERTIPS_API,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    refresh: bool = False,
    allow_http: bool | None = None,
) -> pd.DataFrame:
    """Download one Fingertips indicator (cached) and read it into the tidy death table.

    Parameters
    ----------
    indicator_id : int
        Fingertips indicator id, e.g. 92432 (deaths from drug misuse).
    area_type : int or str, default 502
        Fingertips ``child_area_type_id``: 502 upper-tier local authorities
        (counties and unitary authorities, from April 2023), 501 lower-tier
        (districts and unitary authorities), 6 regions; or a name of
        :data:`AREA_TYPES` (``"upper_tier"``, ``"lower_tier"``, ``"region"``).
    parent_area_type : int or str, default 15
        Fingertips ``parent_area_type_id`` (15 or ``"england"``, 6 or ``"region"``).
    profile_id : int, optional
        Fingertips profile, where an indicator's presentation differs between profiles.
    measure, rate_per, breakdowns
        As :func:`read_fingertips`.
    base_url : str
        API root (default :data:`FINGERTIPS_API`; tests point it at a local server).
    cache_dir, offline, refresh, allow_http
        As :func:`overdose_trends.io.fetch.fetch`. Fingertips updates indicators
        in place, so a cached download is reused until ``refresh=True``.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_fingertips`; ``attrs["fingertips"]["url"]`` is the URL.

    Raises
    ------
    FetchError
        The download failed (network, HTTP error, an HTML page instead of the CSV).
    DataFormatError
        The body is not a Fingertips CSV (as :func:`read_fingertips`); the file
        is then removed from the cache, so the next call downloads it again.

    References
    ----------
    OHID Fingertips API, https://fingertips.phe.org.uk/api/ (``all_data/csv/by_indicator_id``
    with ``indicator_ids``, ``child_area_type_id``, ``parent_area_type_id``).

    Examples
    --------
    Offline, from a copy already in the cache:

    >>> import tempfile, pathlib
    >>> from overdose_trends.io.fetch import cache_path
    >>> from overdose_trends.io.fingertips import fingertips_url
    >>> cache = pathlib.Path(tempfile.mkdtemp())
    >>> _ = cache_path(fingertips_url(92432), cache_dir=cache).write_text(
    ...     "Indicator ID,Area Code,Area Name,Sex,Time period,Value,"
    ...     "Lower CI 95.0 limit,Upper CI 95.0 limit,Count\\n"
    ...     "92432,E92000001,England,Persons,2016 - 18,4.5,4.4,4.6,7443\\n")
    >>> ft = ot.fetch_fingertips(92432, cache_dir=cache, offline=True)
    >>> ft[["area_name", "measure", "period_end", "deaths", "rate"]]
      area_name measure  period_end  deaths  rate
    0   England  misuse        2018    7443   4.5
    """
    url = fingertips_url(
        indicator_id,
        area_type,
        parent_area_type=parent_area_type,
        profile_id=profile_id,
        base_url=base_url,
    )
    path = fetch(url, cache_dir=cache_dir, offline=offline, refresh=refresh, allow_http=allow_http)
    try:
        tidy = read_fingertips(path, measure=measure, rate_per=rate_per, breakdowns=breakdowns)
    except DataFormatError:
        _forget(url, cache_dir)
        raise
    tidy.attrs["fingertips"]["url"] = url
    return tidy


def _forget(url: str, cache_dir: str | os.PathLike[str] | None) -> None:
    """Remove a cached download that is not a Fingertips CSV (and its record)."""
    path = cache_path(url, cache_dir=cache_dir)
    for p in (path, path.with_name(path.name + ".meta.json")):
        p.unlink(missing_ok=True)
