"""Download published workbooks by URL into a per-user cache.

:func:`fetch` downloads a file once and then serves it from the cache, so that
analyses can be re-run offline. Each cached file has a small JSON record beside
it (``<file>.meta.json``) holding the URL, the SHA-256 of the bytes downloaded,
the size and the download time; :func:`cached_hash` reads it back in the
``"sha256:<hex>"`` form accepted by ``known_hash``, so a checksum can be pinned
after a first download.

Cache location: the ``cache_dir`` argument, else the environment variable
``OVERDOSE_TRENDS_CACHE``, else the operating system's per-user cache folder
(``pooch.os_cache("overdose_trends")``, e.g. ``~/.cache/overdose_trends`` on
Linux). Offline mode: ``offline=True`` or ``OVERDOSE_TRENDS_OFFLINE=1``.

:data:`ONS_SOURCES` lists the ONS dataset pages this package reads from. They
are landing pages: each edition's workbook is linked from the page, and that
workbook URL is what :func:`fetch` should be given.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

import pooch
import requests
from tqdm.auto import tqdm

__all__ = [
    "ENV_CACHE",
    "ENV_OFFLINE",
    "ONS_SOURCES",
    "ChecksumError",
    "FetchError",
    "NotCachedError",
    "SourceInfo",
    "cache_path",
    "cache_root",
    "cached_hash",
    "fetch",
]

#: Environment variable overriding the cache folder.
ENV_CACHE = "OVERDOSE_TRENDS_CACHE"
#: Environment variable switching on offline mode (``1``, ``true``, ``yes`` or ``on``).
ENV_OFFLINE = "OVERDOSE_TRENDS_OFFLINE"

#: Seconds to wait before the first retry; doubled for each further retry.
BACKOFF = 1.0
_CHUNK = 64 * 1024
_USER_AGENT = f"overdose_trends python-requests/{requests.__version__}"


class FetchError(OSError):
    """A file could not be downloaded (network failure, HTTP error, time-out)."""


class ChecksumError(FetchError):
    """A downloaded or cached file does not match the expected checksum."""


class NotCachedError(FetchError):
    """Offline mode is on and the requested file is not in the cache."""


@dataclass(frozen=True)
class SourceInfo:
    """A published dataset: landing page URL, title and what it holds."""

    url: str
    title: str
    description: str


_ONS_DEATHS = "https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths"

#: Known ONS dataset landing pages (not file URLs; no checksums are known in advance).
ONS_SOURCES = MappingProxyType(
    {
        "ons_la_drug_deaths": SourceInfo(
            url=f"{_ONS_DEATHS}/datasets/drugmisusedeathsbylocalauthority",
            title="Deaths related to drug poisoning by local authority, England and Wales",
            description="Deaths related to drug poisoning and drug misuse by local "
            "authority, England and Wales: numbers and age-standardised mortality rates "
            "per 100,000 (2013 ESP) with 95% confidence limits, single years and "
            "three-year periods, one workbook per edition.",
        ),
        "ons_drug_poisoning_reference": SourceInfo(
            url=f"{_ONS_DEATHS}/datasets/deathsrelatedtodrugpoisoningenglandandwalesreferencetable",
            title="Deaths related to drug poisoning, England and Wales - reference table",
            description="National reference tables: deaths related to drug poisoning and "
            "drug misuse by sex, age, substance and underlying cause, with "
            "age-standardised and age-specific rates per million, one workbook per edition.",
        ),
    }
)


def _env_flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"environment variable {name}={value!r}: use 1/0, true/false, yes/no")


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``cache_dir``, else ``$OVERDOSE_TRENDS_CACHE``, else the OS user cache."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(ENV_CACHE, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(pooch.os_cache("overdose_trends"))


def _file_name(url: str) -> str:
    """Cache file name for ``url``: a short hash of the whole URL, then its base name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    base = unquote(PurePosixPath(parts.path).name)
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "download"
    stem, dot, ext = base.rpartition(".")
    if dot and len(ext) <= 10:
        base = f"{stem[:80]}.{ext}"
    else:
        base = base[:90]
    return f"{hashlib.sha256(url.encode()).hexdigest()[:12]}-{base}"


def cache_path(url: str, *, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where :func:`fetch` stores (or would store) the file for ``url``."""
    return cache_root(cache_dir) / _file_name(url)


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(_meta_path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_meta(path: Path, meta: dict) -> None:
    """Write the JSON record of ``path`` atomically (temporary file, then rename)."""
    target = _meta_path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{target.name}.", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1)
    os.replace(tmp, target)


def cached_hash(url: str, *, cache_dir: str | os.PathLike[str] | None = None) -> str | None:
    """SHA-256 recorded when ``url`` was downloaded, as ``"sha256:<hex>"``.

    Returns ``None`` when the file is not in the cache. The value can be passed
    as ``known_hash`` to :func:`fetch` to pin the file's content.
    """
    path = cache_path(url, cache_dir=cache_dir)
    if not path.is_file():
        return None
    meta = _read_meta(path)
    digest = meta.get("sha256") or _file_digest(path, "sha256")
    return f"sha256:{digest}"


def _parse_hash(known_hash: str) -> tuple[str, str]:
    """``"alg:hex"`` (or bare hex, meaning SHA-256) -> ``(alg, hex)``."""
    alg, sep, digest = known_hash.strip().partition(":")
    if not sep:
        alg, digest = "sha256", alg
    alg = alg.lower()
    if alg not in hashlib.algorithms_available:
        raise ValueError(f"unknown hash algorithm {alg!r} in known_hash={known_hash!r}")
    if not re.fullmatch(r"[0-9a-fA-F]+", digest):
        raise ValueError(f"known_hash={known_hash!r} is not 'algorithm:hexdigest'")
    return alg, digest.lower()


def _file_digest(path: Path, alg: str) -> str:
    h = hashlib.new(alg)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cache_state(path: Path, expected: tuple[str, str] | None) -> str:
    """``"ok"``, ``"absent"``, ``"corrupt"`` (differs from its record) or ``"mismatch"``."""
    if not path.is_file():
        return "absent"
    meta = _read_meta(path)
    if meta.get("sha256") and _file_digest(path, "sha256") != meta["sha256"]:
        return "corrupt"
    if expected is not None and _file_digest(path, expected[0]) != expected[1]:
        return "mismatch"
    return "ok"


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return f"timed out (no response within {timeout:g} s)"
    return str(exc) or type(exc).__name__


class _RetryableStatus(Exception):
    pass


def _download(
    url: str,
    dest: Path,
    *,
    timeout: float,
    retries: int,
    progress: bool,
    expected: tuple[str, str] | None,
) -> dict:
    """Download ``url`` to ``dest`` atomically; return the metadata record."""
    last: BaseException | None = None
    attempts = retries + 1
    for attempt in range(attempts):
        if attempt:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with (
                os.fdopen(fd, "wb") as out,
                requests.get(
                    url, stream=True, timeout=timeout, headers={"User-Agent": _USER_AGENT}
                ) as resp,
            ):
                if resp.status_code >= 500 or resp.status_code == 429:
                    raise _RetryableStatus(f"HTTP {resp.status_code} {resp.reason}")
                if resp.status_code >= 400:
                    raise FetchError(f"HTTP {resp.status_code} {resp.reason} for {url}")
                sha = hashlib.sha256()
                other = hashlib.new(expected[0]) if expected and expected[0] != "sha256" else None
                size = 0
                total = int(resp.headers.get("Content-Length", 0)) or None
                show = progress and sys.stderr.isatty()
                with tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=dest.name.split("-", 1)[1],
                    disable=not show,
                ) as bar:
                    for chunk in resp.iter_content(_CHUNK):
                        out.write(chunk)
                        sha.update(chunk)
                        if other is not None:
                            other.update(chunk)
                        size += len(chunk)
                        bar.update(len(chunk))
            if expected is not None:
                got = (other or sha).hexdigest()
                if got != expected[1]:
                    raise ChecksumError(
                        f"checksum mismatch for {url}: expected {expected[0]}:{expected[1]}, "
                        f"downloaded file has {expected[0]}:{got}; the file was not kept"
                    )
            os.replace(tmp, dest)
            return {
                "url": url,
                "sha256": sha.hexdigest(),
                "size": size,
                "downloaded_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                "etag": resp.headers.get("ETag"),
                "last_modified": resp.headers.get("Last-Modified"),
                "content_type": resp.headers.get("Content-Type"),
            }
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            _RetryableStatus,
        ) as exc:
            last = exc
        finally:
            tmp.unlink(missing_ok=True)
    assert last is not None
    raise FetchError(
        f"could not download {url} after {attempts} attempt(s): {_describe(last, timeout)}"
    ) from last


def fetch(
    url: str,
    *,
    known_hash: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float = 60,
    retries: int = 3,
    offline: bool | None = None,
    progress: bool = True,
    refresh: bool = False,
) -> Path:
    """Local path of the file at ``url``, downloading it into the cache if needed.

    Parameters
    ----------
    url : str
        http(s) URL of the file.
    known_hash : str, optional
        Expected checksum, ``"sha256:<hex>"`` (or another :mod:`hashlib`
        algorithm, e.g. ``"md5:<hex>"``; bare hex means SHA-256). Checked on the
        cached file and on every download.
    cache_dir : path, optional
        Cache folder; default ``$OVERDOSE_TRENDS_CACHE``, else the per-user cache
        (``pooch.os_cache("overdose_trends")``).
    timeout : float
        Seconds to wait for the server to accept the connection or to send more
        data (per read, not for the whole download).
    retries : int
        Further attempts after a connection error, time-out or HTTP 5xx/429
        response, waiting ``BACKOFF`` s, then twice as long, and so on.
        Other HTTP errors (e.g. 404) are not retried.
    offline : bool, optional
        Never use the network. Default: ``$OVERDOSE_TRENDS_OFFLINE``.
    progress : bool
        Show a progress bar (tqdm) when standard error is a terminal.
    refresh : bool
        Download again even if the file is cached; if that fails for network
        reasons, warn and return the cached copy.

    Returns
    -------
    pathlib.Path
        Path of the cached file, named ``<12 hex digits of sha256(url)>-<base
        name of the URL>`` (extension kept). Its record is in
        ``<path>.meta.json``.

    Raises
    ------
    NotCachedError
        Offline and the file is not cached (the message names the URL and the
        path where the file is expected).
    ChecksumError
        The download (or, offline, the cached file) does not match
        ``known_hash``. A bad download is deleted, never cached.
    FetchError
        The download failed after all retries, or the server answered with an
        HTTP error.
    ValueError
        ``url`` is not http(s) or ``known_hash`` is malformed.

    Notes
    -----
    Method: the file is streamed to a temporary file in the cache folder while
    its SHA-256 is computed, checked, then renamed into place, so an
    interrupted or bad download never leaves a partial file under the final
    name. A cached file whose bytes no longer match its recorded SHA-256 is
    treated as absent. A file copied into the cache path by hand is accepted.
    """
    path = cache_path(url, cache_dir=cache_dir)
    expected = _parse_hash(known_hash) if known_hash else None
    if offline is None:
        offline = _env_flag(ENV_OFFLINE)

    state = _cache_state(path, expected)
    if offline:
        if state == "ok":
            return path
        if state == "mismatch":
            raise ChecksumError(
                f"cached copy of {url} at {path} does not match {known_hash} and offline "
                "mode is on, so it cannot be downloaded again"
            )
        raise NotCachedError(
            f"{url} is not in the download cache (expected at {path}) and offline mode is "
            f"on (offline=True or {ENV_OFFLINE}=1); download it once with network access "
            "or copy the file to that path"
        )
    if state == "ok" and not refresh:
        return path
    if state == "corrupt":
        warnings.warn(
            f"cached file {path} no longer matches its recorded SHA-256; downloading again",
            stacklevel=2,
        )

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        meta = _download(
            url, path, timeout=timeout, retries=retries, progress=progress, expected=expected
        )
    except ChecksumError:
        raise
    except FetchError as exc:
        if state == "ok":
            warnings.warn(f"{exc}; using the cached copy {path}", stacklevel=2)
            return path
        raise
    _write_meta(path, meta)
    return path
