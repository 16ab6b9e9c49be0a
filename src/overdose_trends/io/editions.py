"""The registry of published ONS editions, and downloading one by name.

ONS publishes one workbook per year ("edition") for each of two datasets:

``"la"``
    Deaths related to drug poisoning by local authority, England and Wales
    (dataset ``drugmisusedeathsbylocalauthority``), read by
    :func:`overdose_trends.io.ons_local.read_local_authority`.
``"national"``
    Deaths related to drug poisoning, England and Wales - reference tables
    (dataset ``deathsrelatedtodrugpoisoningenglandandwalesreferencetable``),
    read by :func:`overdose_trends.io.ons_national.read_national`.

:data:`EDITIONS` lists every known edition (registration year) with its
landing page, file URL and, where known, the file's SHA-256:

========  ==================================  ========================================
edition   local-authority workbook            national reference tables
========  ==================================  ========================================
2016      --                                  ``deathsrelatedtodrugpoisoningenglandand
                                              wales.xls`` (URL unverified, SHA-256
                                              known)
2017      --                                  file name not recorded (pass ``url=``)
2018      --                                  file name not recorded (pass ``url=``)
2019      ``2019localauthorities1.xls``        ``2019maindataset1.xls``
          (SHA-256 known)
2020      ``2020localauthorities.xls``        file name not recorded (pass ``url=``)
2021      ``2021localauthorities.xlsx``       ``2021registrations.xlsx`` (SHA-256 known)
2022      ``2022localauthorities.xlsx``       ``2022registrations.xlsx`` (unverified)
2023      ``2023localauthorities.xlsx``       ``2023registrations.xlsx``
2024      ``2024localauthorities.xlsx``       ``2024registrations.xlsx`` (unverified)
          (unverified)
========  ==================================  ========================================

Where the SHA-256 is not known, the first download records it (in
``editions.json`` in the download cache) and every later download of that
edition is checked against it (trust on first use): a file that changes
afterwards raises :class:`~overdose_trends.io.fetch.ChecksumError` instead of
silently changing the figures.

The URLs are those ONS used while each edition was current (``…/current/<file>``).
After a newer edition is published ONS lists the older files under "previous
versions" on the landing page; if an old edition's URL answers 404, copy the
file's link from ``Edition.page`` and pass it as ``url=`` (the registry's
checksum, when known, still protects the download). URLs marked unverified
follow ONS's naming pattern but were not seen in use when this registry was
written.

References
----------
Office for National Statistics, "Deaths related to drug poisoning by local
authority, England and Wales" and "Deaths related to drug poisoning, England
and Wales - reference table", https://www.ons.gov.uk (Open Government Licence v3.0).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from overdose_trends._output import write_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DATASETS",
    "EDITIONS",
    "Edition",
    "download_edition",
    "edition_info",
    "fetch_edition",
]

_ONS = "https://www.ons.gov.uk"
_DEATHS = "/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets"
_LA_SET = "drugmisusedeathsbylocalauthority"
_NAT_SET = "deathsrelatedtodrugpoisoningenglandandwalesreferencetable"
_LA_PAGE = f"{_ONS}{_DEATHS}/{_LA_SET}"
_NAT_PAGE = f"{_ONS}{_DEATHS}/{_NAT_SET}"
_LA_FILE = f"{_ONS}/file?uri={_DEATHS}/{_LA_SET}/current/"
_NAT_FILE = f"{_ONS}/file?uri={_DEATHS}/{_NAT_SET}/current/"

#: Datasets with editions: name -> (title, landing page).
DATASETS = MappingProxyType(
    {
        "la": ("Deaths related to drug poisoning by local authority, England and Wales", _LA_PAGE),
        "national": (
            "Deaths related to drug poisoning, England and Wales - reference tables",
            _NAT_PAGE,
        ),
    }
)
#: Hosts a download of a registry URL may be redirected to.
_ONS_HOSTS = (".ons.gov.uk",)
_RECORD = "editions.json"


@dataclass(frozen=True)
class Edition:
    """One published edition of an ONS dataset.

    Attributes
    ----------
    dataset : str
        ``"la"`` (local authorities) or ``"national"`` (reference tables).
    year : int
        Registration year of the edition (its latest data year).
    file : str or None
        File name as published, or None when not recorded.
    url : str or None
        Download URL (None when the file name is not recorded: pass ``url=``).
    page : str
        The dataset's landing page, which links every edition.
    sha256 : str or None
        SHA-256 of the published file when known, else None (recorded on first download).
    verified : bool
        True when the URL was seen in use; False when it follows ONS's naming
        pattern only.
    note : str
        Where the details come from.
    """

    dataset: str
    year: int
    file: str | None
    url: str | None
    page: str
    sha256: str | None
    verified: bool
    note: str


def _la(year: int, file: str | None, sha256: str | None, verified: bool, note: str) -> Edition:
    url = None if file is None else _LA_FILE + file
    return Edition("la", year, file, url, _LA_PAGE, sha256, verified, note)


def _nat(year: int, file: str | None, sha256: str | None, verified: bool, note: str) -> Edition:
    url = None if file is None else _NAT_FILE + file
    return Edition("national", year, file, url, _NAT_PAGE, sha256, verified, note)


_SEEN = "URL seen in public analysis code that downloads it from ONS"
_PATTERN = "UNVERIFIED: file name follows ONS's pattern for this dataset; not seen in use"

#: Every known edition, by dataset and year.
EDITIONS: tuple[Edition, ...] = (
    # Local-authority workbooks (released 14 Oct 2020 for 2019; later editions each autumn/winter).
    _la(
        2019,
        "2019localauthorities1.xls",
        "33a8e4e011f917f4e36052432f755a00d21992e25113c177ce8325759d047069",
        True,
        f"{_SEEN}; SHA-256 of the published file (released 14 October 2020)",
    ),
    _la(2020, "2020localauthorities.xls", None, True, _SEEN),
    _la(2021, "2021localauthorities.xlsx", None, True, _SEEN),
    _la(2022, "2022localauthorities.xlsx", None, True, _SEEN),
    _la(2023, "2023localauthorities.xlsx", None, True, _SEEN),
    _la(2024, "2024localauthorities.xlsx", None, False, _PATTERN),
    # National reference tables.
    _nat(
        2016,
        "deathsrelatedtodrugpoisoningenglandandwales.xls",
        "e4e5ce870fadc2f1b00e23738cc25229f477ef38618572ac4dd679fdf141ab78",
        False,
        "UNVERIFIED URL: file name as kept in public copies of the 2016 edition; SHA-256 "
        "of the published 2016 workbook",
    ),
    _nat(2017, None, None, False, "file name not recorded: take the link from the page"),
    _nat(2018, None, None, False, "file name not recorded: take the link from the page"),
    _nat(2019, "2019maindataset1.xls", None, True, _SEEN),
    _nat(2020, None, None, False, "file name not recorded: take the link from the page"),
    _nat(
        2021,
        "2021registrations.xlsx",
        "135dddbf951c5efa78aaa83d94cc32f2e30a1b018864df411191229d8fe624c8",
        False,
        "UNVERIFIED URL (file name as published; path follows the 2023 edition's); "
        "SHA-256 of the published workbook (released 3 August 2022)",
    ),
    _nat(2022, "2022registrations.xlsx", None, False, _PATTERN),
    _nat(2023, "2023registrations.xlsx", None, True, _SEEN),
    _nat(2024, "2024registrations.xlsx", None, False, _PATTERN),
)


def edition_info(dataset: str, edition: int | str = "latest") -> Edition:
    """The registry entry of one edition.

    Parameters
    ----------
    dataset : {"la", "national"}
        Local-authority workbook or national reference tables.
    edition : int or "latest"
        Registration year of the edition (e.g. 2023), or ``"latest"`` for the
        newest in the registry.

    Returns
    -------
    Edition
        Landing page, file URL, SHA-256 (or None) and provenance note.

    Raises
    ------
    ValueError
        Unknown dataset or edition (the message lists the known ones).

    Examples
    --------
    >>> from overdose_trends.io.editions import edition_info
    >>> info = edition_info("la", 2019)
    >>> info.file, info.sha256[:12]
    ('2019localauthorities1.xls', '33a8e4e011f9')
    >>> edition_info("national", "latest").year
    2024
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    known = {e.year: e for e in EDITIONS if e.dataset == dataset}
    if isinstance(edition, str):
        text = edition.strip().lower()
        if text == "latest":
            return known[max(known)]
        if not text.isdigit():
            raise ValueError(f"edition must be a year or 'latest', got {edition!r}")
        edition = int(text)
    if isinstance(edition, bool) or edition not in known:
        raise ValueError(
            f"no {dataset!r} edition {edition!r} in the registry; known editions: "
            f"{', '.join(str(y) for y in sorted(known))} (or 'latest'). For another "
            f"edition, download its file from {DATASETS[dataset][1]} and read it with the reader"
        )
    return known[edition]


def _record_path(cache: Path) -> Path:
    return cache / _RECORD


def _read_record(cache: Path) -> dict[str, Any]:
    try:
        data = json.loads(_record_path(cache).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _remember(cache: Path, key: str, digest: str, url: str) -> None:
    """Record the SHA-256 first seen for edition ``key`` (under the record's lock)."""
    from overdose_trends.io import _fetch_lock

    with _fetch_lock.hold(_fetch_lock.lock_file(cache, _RECORD), timeout=60):
        record = _read_record(cache)
        if key in record:
            return
        record[key] = {
            "sha256": digest,
            "url": url,
            "recorded_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_text(_record_path(cache), json.dumps(record, indent=1, sort_keys=True))


def download_edition(
    dataset: str,
    edition: int | str = "latest",
    *,
    url: str | None = None,
    known_hash: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    refresh: bool = False,
    progress: bool = True,
    allow_hosts: Sequence[str] | None = None,
    allow_http: bool | None = None,
) -> Path:
    """Download (or find in the cache) one ONS edition's file, verified; return its path.

    Parameters are those of :func:`fetch_edition`.

    Returns
    -------
    pathlib.Path
        The cached file (see :func:`overdose_trends.io.fetch.fetch`).

    Examples
    --------
    Offline, a file copied into the cache by hand is found and checked:

    >>> import shutil, tempfile
    >>> from overdose_trends.io.editions import download_edition, edition_info
    >>> from overdose_trends.io.fetch import cache_path
    >>> cache = tempfile.mkdtemp()
    >>> excerpt = ot.datasets.data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx"
    >>> _ = shutil.copy(excerpt, cache_path(edition_info("la", 2019).url, cache_dir=cache))
    >>> sha = "sha256:1529b614e36949060f5aebe6f6ef1bdb1c65ffecae3a82eb45ec5411841b27ed"
    >>> path = download_edition("la", 2019, cache_dir=cache, offline=True, known_hash=sha)
    >>> path.name
    '47f3ab92b171-2019localauthorities1.xls'
    """
    from overdose_trends.io.fetch import ChecksumError, FetchError, cache_root, cached_hash, fetch

    info = edition_info(dataset, edition)
    source = url or info.url
    if source is None:
        raise FetchError(
            f"the file name of the {info.year} {dataset!r} edition is not recorded in this "
            f"package: open {info.page}, copy the link of that edition's file and pass it "
            "as url= (or --url on the command line)"
        )
    cache = cache_root(cache_dir)
    key = f"{dataset}/{info.year}"
    recorded = _read_record(cache).get(key, {})
    pinned = known_hash or (f"sha256:{info.sha256}" if info.sha256 else None)
    first_seen = recorded.get("sha256") if pinned is None else None
    hosts = tuple(allow_hosts or ()) + (_ONS_HOSTS if url is None else ())
    try:
        path = fetch(
            source,
            known_hash=pinned or (f"sha256:{first_seen}" if first_seen else None),
            cache_dir=cache,
            offline=offline,
            refresh=refresh,
            progress=progress,
            allow_hosts=hosts,
            allow_http=allow_http,
        )
    except ChecksumError as err:
        if first_seen is None:
            raise
        raise ChecksumError(
            f"the {info.year} {dataset!r} edition downloaded from {source} differs from the "
            f"copy first downloaded on {recorded.get('recorded_utc', 'an earlier run')} "
            f"(sha256:{first_seen}). If ONS has republished this edition, accept the new "
            f"file with known_hash=... (its SHA-256 is in the message below) or delete the "
            f"{key!r} entry of {_record_path(cache)}. {err}"
        ) from None
    if pinned is None and first_seen is None:
        digest = cached_hash(source, cache_dir=cache)
        if digest is not None:
            _remember(cache, key, digest.split(":", 1)[1], source)
    return path


def fetch_edition(
    dataset: str,
    edition: int | str = "latest",
    *,
    url: str | None = None,
    known_hash: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    refresh: bool = False,
    progress: bool = True,
    allow_hosts: Sequence[str] | None = None,
    allow_http: bool | None = None,
) -> pd.DataFrame:
    """Download, verify, cache and read one published ONS edition.

    Parameters
    ----------
    dataset : {"la", "national"}
        ``"la"``: deaths by local authority (read with
        :func:`~overdose_trends.io.ons_local.read_local_authority`);
        ``"national"``: the national reference tables (read with
        :func:`~overdose_trends.io.ons_national.read_national`).
    edition : int or "latest", default "latest"
        Registration year of the edition (see
        :data:`~overdose_trends.io.editions.EDITIONS`).
    url : str, optional
        Download from here instead of the registry's URL (e.g. the "previous
        versions" link of an older edition, or a local mirror). The registry's
        or recorded checksum still applies.
    known_hash : str, optional
        Expected checksum (``"sha256:<hex>"``), overriding the registry's and
        the recorded one.
    cache_dir : path, optional
        Download cache (default ``$OVERDOSE_TRENDS_CACHE``, else the per-user cache).
    offline : bool, optional
        Use the cache only (default ``$OVERDOSE_TRENDS_OFFLINE``).
    refresh : bool, default False
        Download again even if cached (still verified against the known or
        recorded checksum).
    progress : bool, default True
        Progress bar on a terminal.
    allow_hosts, allow_http : optional
        Redirect hosts and plain http to allow, as in
        :func:`~overdose_trends.io.fetch.fetch` (redirects within ``ons.gov.uk``
        are always allowed for registry URLs).

    Returns
    -------
    pandas.DataFrame
        The tidy table of the dataset's reader (``edition`` column = the
        edition's registration year); ``df.attrs["source_path"]`` and
        ``df.attrs["source_url"]`` say where it came from.

    Raises
    ------
    ValueError
        Unknown dataset or edition.
    overdose_trends.io.fetch.FetchError
        The download failed or was refused (see :func:`~overdose_trends.io.fetch.fetch`);
        :class:`~overdose_trends.io.fetch.ChecksumError` when the file does not
        match the known or first-recorded SHA-256.
    overdose_trends.errors.DataFormatError
        The file downloaded but is not a readable edition of the dataset.

    Notes
    -----
    Method: :func:`~overdose_trends.io.editions.download_edition` (a verified,
    cached download through :func:`~overdose_trends.io.fetch.fetch`), then the
    dataset's reader.
    Where the registry has no SHA-256, the first download's is recorded in
    ``editions.json`` in the cache and later downloads must match it.

    References
    ----------
    Office for National Statistics, "Deaths related to drug poisoning by local
    authority, England and Wales" and "Deaths related to drug poisoning,
    England and Wales - reference table" (Open Government Licence v3.0).

    Examples
    --------
    Offline from a cache holding a copy of the 2019 workbook (here the
    package's excerpt of it, with its own checksum):

    >>> import shutil, tempfile
    >>> from overdose_trends.io.editions import edition_info
    >>> from overdose_trends.io.fetch import cache_path
    >>> cache = tempfile.mkdtemp()
    >>> excerpt = ot.datasets.data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx"
    >>> _ = shutil.copy(excerpt, cache_path(edition_info("la", 2019).url, cache_dir=cache))
    >>> sha = "sha256:1529b614e36949060f5aebe6f6ef1bdb1c65ffecae3a82eb45ec5411841b27ed"
    >>> la = ot.fetch_edition("la", 2019, cache_dir=cache, offline=True, known_hash=sha)
    >>> row = la.query("area_code == 'E06000033' and measure == 'poisoning' and sex == 'persons'"
    ...                " and period_start == 2013 and period_end == 2015")
    >>> row[["deaths", "rate", "lcl", "ucl", "edition"]].to_numpy().tolist()
    [[47, 8.8, 6.5, 11.7, 2019]]
    """
    path = download_edition(
        dataset,
        edition,
        url=url,
        known_hash=known_hash,
        cache_dir=cache_dir,
        offline=offline,
        refresh=refresh,
        progress=progress,
        allow_hosts=allow_hosts,
        allow_http=allow_http,
    )
    if dataset == "la":
        from overdose_trends.io.ons_local import read_local_authority

        df = read_local_authority(path)
    else:
        from overdose_trends.io.ons_national import read_national

        df = read_national(path)
    df.attrs["source_path"] = str(path)
    df.attrs["source_url"] = url or edition_info(dataset, edition).url
    return df
