"""Where the shipped extracts are: their folder and file names (no pandas).

Kept apart from :mod:`overdose_trends.io.datasets`, which loads the files, so that a
caller that needs only the paths (the report's up-to-date check) does not import
pandas. Use the names from :mod:`overdose_trends.io.datasets`.
"""

from __future__ import annotations

import os
from pathlib import Path

LA_DEATHS_FILE = "ons_la_drug_deaths_2019.csv.gz"
NATIONAL_DEATHS_FILE = "ons_national_drug_deaths_2021.csv.gz"
POPULATION_FILE = "ons_population_esp_bands.csv.gz"
#: Excerpts of the original ONS files, cell for cell, for the readers' examples
#: (made by scripts/make_excerpts.py; see data/README.md).
LA_WORKBOOK_EXCERPT = "ons_la_drug_deaths_2019_excerpt.xlsx"
NATIONAL_WORKBOOK_EXCERPT = "ons_national_drug_deaths_2021_excerpt.xlsx"
POPULATION_EXCERPT = "ons_population_single_age_excerpt.csv"
#: English Indices of Deprivation 2019, local-authority summaries (made by
#: scripts/build_geography.py; see data/README.md).
DEPRIVATION_FILE = "geography/imd2019_local_authorities.csv"
#: SYNTHETIC kit data made by scripts/make_synthetic_kits.py (not real services' figures).
SYNTHETIC_KIT_LOG_FILE = "synthetic_naloxone_kits_southend_norfolk.csv"
SYNTHETIC_KIT_COUNTS_FILE = "synthetic_naloxone_kits_monthly.csv"


def data_dir() -> Path:
    """Folder holding the shipped extracts (inside the installed package).

    Returns
    -------
    pathlib.Path
        The package's ``data/`` folder (beside its modules in a checkout or an
        installed wheel, else found with :mod:`importlib.resources`), or
        ``OVERDOSE_TRENDS_DATA`` if set.

    Raises
    ------
    FileNotFoundError
        If ``OVERDOSE_TRENDS_DATA`` names a folder that does not exist, or the package
        was installed without its data (a broken install: reinstall it).

    Examples
    --------
    >>> folder = ot.datasets.data_dir()
    >>> (folder / ot.datasets.LA_DEATHS_FILE).is_file()
    True
    """
    env = os.environ.get("OVERDOSE_TRENDS_DATA")
    if env:
        if not Path(env).is_dir():
            raise FileNotFoundError(f"OVERDOSE_TRENDS_DATA={env!r} is not a folder")
        return Path(env)
    folder = Path(__file__).parent.parent / "data"  # the package folder's data/, if on disk
    if folder.is_dir():
        return folder
    from importlib import resources  # e.g. a zipped install (importing it takes a while)

    folder = Path(str(resources.files("overdose_trends").joinpath("data")))
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the package's data folder {folder} is missing: reinstall overdose_trends"
        )
    return folder
