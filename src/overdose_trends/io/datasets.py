"""The compact, cited data extracts shipped in the repository's ``data/`` folder.

These let the report command, notebooks and examples run offline. They are
tidy extracts of real ONS publications (Open Government Licence v3.0), made
by ``scripts/build_data.py`` with this package's own loaders; see
``data/README.md`` for sources and columns.

The folder is found from the environment variable ``OVERDOSE_TRENDS_DATA``,
else the ``data/`` folder of the source checkout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from overdose_trends.schema import DEATHS_COLUMNS, DTYPES, NATIONAL_COLUMNS

if TYPE_CHECKING:
    from overdose_trends.io.kit_log import KitLog

__all__ = [
    "data_dir",
    "la_deaths",
    "national_deaths",
    "population_bands",
    "synthetic_kit_counts",
    "synthetic_kit_log",
]

LA_DEATHS_FILE = "ons_la_drug_deaths_2019.csv.gz"
NATIONAL_DEATHS_FILE = "ons_national_drug_deaths_2021.csv.gz"
POPULATION_FILE = "ons_population_esp_bands.csv.gz"
#: SYNTHETIC kit data made by scripts/make_synthetic_kits.py (not real services' figures).
SYNTHETIC_KIT_LOG_FILE = "synthetic_naloxone_kits_southend_norfolk.csv"
SYNTHETIC_KIT_COUNTS_FILE = "synthetic_naloxone_kits_monthly.csv"


def data_dir() -> Path:
    """Folder holding the shipped extracts.

    Raises
    ------
    FileNotFoundError
        If neither ``OVERDOSE_TRENDS_DATA`` nor the checkout's ``data/`` exists.
    """
    env = os.environ.get("OVERDOSE_TRENDS_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[3] / "data")
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(
        "cannot find the shipped data folder; set OVERDOSE_TRENDS_DATA to the repository's "
        f"data/ directory (looked in {[str(c) for c in candidates]})"
    )


def la_deaths(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Deaths related to drug poisoning by local authority, England and Wales (ONS 2019 edition).

    The whole workbook (Tables 1-8) as read by
    :func:`overdose_trends.io.ons_local.read_local_authority`: single-year counts
    1993-2019 and three-year periods 2001-03 … 2017-19 with age-standardised
    rates per 100,000 (2013 ESP) and 95% confidence limits.

    Returns
    -------
    pandas.DataFrame
        Columns as :data:`overdose_trends.schema.DEATHS_COLUMNS`.

    References
    ----------
    ONS (2020) "Deaths related to drug poisoning by local authority, England
    and Wales, 1993 to 2019" (released 14 October 2020), Open Government Licence v3.0.
    """
    path = Path(path) if path is not None else data_dir() / LA_DEATHS_FILE
    return _read(path, DEATHS_COLUMNS)


def national_deaths(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Deaths related to drug poisoning in England and Wales, national tables (2021 edition).

    Tables 1 (deaths by sex, 1993-2021), 4 (age-standardised rates per
    1,000,000 by substance and sex) and 7 (countries and regions) as read by
    :func:`overdose_trends.io.ons_national.read_national`.

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
    """
    path = Path(path) if path is not None else data_dir() / NATIONAL_DEATHS_FILE
    return _read(path, NATIONAL_COLUMNS)


def population_bands(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Mid-year population estimates by local authority in the 19 bands of the 2013 ESP.

    England and Wales local authorities (boundaries before the 2021 Census
    rebasing), mid-1997 to mid-2020, persons, grouped from single years of age
    with :func:`overdose_trends.io.population.to_esp_bands`.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``year`` (int), ``age_band`` (ordered
        categorical ``"0-4"`` … ``"90+"``) and ``population`` (Int64, persons
        at 30 June; ``<NA>`` for the 85-89 and 90+ bands in 1997-2000, which
        the source does not give).

    References
    ----------
    ONS, "Population estimates - local authority based by single year of age"
    (Nomis dataset), Open Government Licence v3.0.
    """
    from overdose_trends.constants import ESP2013_BANDS

    path = Path(path) if path is not None else data_dir() / POPULATION_FILE
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
    return df


def synthetic_kit_log(path: str | os.PathLike[str] | None = None) -> KitLog:
    """A SYNTHETIC take-home naloxone kit log shaped like two English services.

    Simulated by ``scripts/make_synthetic_kits.py`` (seeded; not real data):
    Southend-on-Sea (E06000033) and Norfolk (E10000020, three sites as
    separate services), October 2015 to December 2019, one row per kit event.
    Use it to try the kit functions and to illustrate; never quote it as a
    service's figures.

    Returns
    -------
    overdose_trends.io.kit_log.KitLog
        ``.events`` (columns :data:`overdose_trends.schema.EVENT_COLUMNS`)
        and ``.report`` (the validation report: 0 rejected rows).
    """
    from overdose_trends.io.kit_log import read_kit_log

    path = Path(path) if path is not None else data_dir() / SYNTHETIC_KIT_LOG_FILE
    return read_kit_log(path)


def synthetic_kit_counts(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Monthly counts of the SYNTHETIC kit log, per service and in total.

    The same events as :func:`synthetic_kit_log` aggregated by month, in the
    counts layout (:data:`overdose_trends.schema.COUNT_COLUMNS`: number of
    kits per area, service (``"all"`` = total), month and measure).
    """
    from overdose_trends.io.kit_counts import read_kit_counts

    path = Path(path) if path is not None else data_dir() / SYNTHETIC_KIT_COUNTS_FILE
    return read_kit_counts(path, freq="month").counts


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
