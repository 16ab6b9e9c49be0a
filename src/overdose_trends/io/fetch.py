"""Download published workbooks by URL into a per-user cache (a thin layer over pooch).

:func:`fetch` downloads a file once and then serves it from the cache, so that
analyses can be re-run offline. The cache, the temporary-file-then-rename step
and the checksum check are ``pooch.retrieve``'s; the network policy is a
custom pooch downloader (private module ``_fetch_http``): time-outs and
an overall deadline, retries with back-off, length and content checks, and
refusal of plain http and of redirects to other hosts unless allowed.

Each cached file has a small JSON record beside it (``<file>.meta.json``)
holding the URL, the SHA-256 of the bytes downloaded, the size, the download
time and the server's ``ETag``/``Last-Modified``; :func:`cached_hash` reads it
back in the ``"sha256:<hex>"`` form accepted by ``known_hash``, so a checksum
can be pinned after a first download. A cached file whose bytes no longer match
its record is downloaded again.

Cache location: the ``cache_dir`` argument, else the environment variable
``OVERDOSE_TRENDS_CACHE``, else the operating system's per-user cache folder
(``pooch.os_cache("overdose_trends")``, e.g. ``~/.cache/overdose_trends`` on
Linux). Offline mode: ``offline=True`` or ``OVERDOSE_TRENDS_OFFLINE=1``.
Cache file names are ``<12 hex digits of sha256(url)>-<file name>``, the file
name taken from the URL's path or, for ONS ``file?uri=…`` links, from the
``uri`` parameter (so ``…/file?uri=/…/2023localauthorities.xlsx`` is cached as
``<hash>-2023localauthorities.xlsx``).

Security and robustness settings (arguments of :func:`fetch`, or environment
variables for every call):

=================================  =========================================================
``allow_http`` /                   plain ``http://`` URLs (and https -> http redirects) are
``OVERDOSE_TRENDS_ALLOW_HTTP=1``   refused unless allowed
``allow_hosts`` /                  redirects to another host are refused unless the host
``OVERDOSE_TRENDS_ALLOW_HOSTS``    is listed (comma-separated; ``.example.org`` allows a
                                   domain and its subdomains, ``*`` any host)
``timeout``                        seconds to connect, and to wait for each read (30)
``deadline``                       seconds for the whole download, retries included (300)
``retries``                        further attempts after a network error, time-out, cut
                                   body or HTTP 5xx/429 (2), waiting 1 s, 2 s, …
=================================  =========================================================

Concurrent calls for one URL (threads or processes sharing the cache) download
it once: a lock file in ``<cache>/.locks/`` serialises them and the later calls
find the file cached. Partial downloads live in ``<file>.part`` and are removed
on failure; ones left by a killed process are removed by the next call.

:data:`ONS_SOURCES` lists the ONS dataset pages this package reads from; the
known editions and their file URLs are in :mod:`overdose_trends.io.editions`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pooch

from overdose_trends._output import write_text
from overdose_trends.io import _fetch_http, _fetch_lock

__all__ = [
    "ENV_ALLOW_HOSTS",
    "ENV_ALLOW_HTTP",
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
#: Environment variable allowing plain http downloads (``1``, ``true``, ``yes`` or ``on``).
ENV_ALLOW_HTTP = "OVERDOSE_TRENDS_ALLOW_HTTP"
#: Environment variable listing hosts that redirects may lead to (comma-separated).
ENV_ALLOW_HOSTS = "OVERDOSE_TRENDS_ALLOW_HOSTS"

#: Seconds to wait before the first retry; doubled for each further retry.
BACKOFF = 1.0
#: Default seconds to connect and to wait for each read.
TIMEOUT = 30.0
#: Default seconds for a whole download, retries included.
DEADLINE = 300.0
#: Default further attempts after a transient failure.
RETRIES = 2
#: Seconds after which leftovers of killed downloads of unknown owner are removed.
_STALE_AFTER = 3600.0
_POOCH_TMP = re.compile(r"tmp[a-z0-9_]{8}")


class FetchError(OSError):
    """A file could not be downloaded (network failure, HTTP error, time-out, bad content)."""


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

#: Known ONS dataset landing pages (editions' files: :mod:`~overdose_trends.io.editions`).
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


def _base_name(url: str) -> str:
    """The file name a URL stands for: the ``uri=`` parameter's last part, else the path's."""
    parts = urlsplit(url)
    uri = parse_qs(parts.query).get("uri")
    if uri and PurePosixPath(uri[0]).name:
        return PurePosixPath(unquote(uri[0])).name
    return unquote(PurePosixPath(parts.path).name)


def _file_name(url: str) -> str:
    """Cache file name for ``url``: a short hash of the whole URL, then its file name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", _base_name(url)).strip("._") or "download"
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


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return meta if isinstance(meta, dict) else {}


def cached_hash(url: str, *, cache_dir: str | os.PathLike[str] | None = None) -> str | None:
    """SHA-256 recorded when ``url`` was downloaded, as ``"sha256:<hex>"``.

    Returns ``None`` when the file is not in the cache. The value can be passed
    as ``known_hash`` to :func:`fetch` to pin the file's content.
    """
    path = cache_path(url, cache_dir=cache_dir)
    if not path.is_file():
        return None
    digest = _read_meta(path).get("sha256") or _file_digest(path, "sha256")
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


def _policy(
    timeout: float,
    deadline: float,
    retries: int,
    progress: bool,
    allow_http: bool | None,
    allow_hosts: Sequence[str] | None,
) -> _fetch_http.Policy:
    if timeout <= 0 or deadline <= 0 or retries < 0:
        raise ValueError(
            f"timeout={timeout!r} and deadline={deadline!r} must be positive and "
            f"retries={retries!r} at least 0"
        )
    hosts = list(allow_hosts or ())
    hosts += [h for h in os.environ.get(ENV_ALLOW_HOSTS, "").split(",") if h.strip()]
    return _fetch_http.Policy(
        timeout=float(timeout),
        deadline=float(deadline),
        retries=int(retries),
        backoff=BACKOFF,
        allow_http=_env_flag(ENV_ALLOW_HTTP) if allow_http is None else bool(allow_http),
        allow_hosts=tuple(hosts),
        progress=progress,
    )


def _sweep(cache: Path, own: Path) -> None:
    """Remove leftovers of killed downloads: ``.part``/``.prev`` files nobody holds, old temps."""
    try:
        entries = list(os.scandir(cache))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        name = entry.name
        with contextlib.suppress(OSError):
            if not entry.is_file():
                continue
            age = now - entry.stat().st_mtime
            if name.endswith((".part", ".prev")) and not name.startswith("."):
                target = cache / name[:-5]
                if target == own or not _fetch_lock.is_free(
                    _fetch_lock.lock_file(cache, target.name)
                ):
                    continue
                if name.endswith(".prev") and not target.exists():
                    os.replace(entry.path, target)  # a refresh was killed: restore the old copy
                else:
                    os.unlink(entry.path)
            elif _POOCH_TMP.fullmatch(name) and (entry.stat().st_size == 0 or age > 600):
                if age > 60:
                    os.unlink(entry.path)  # pooch's temporary file of a killed download
            elif name.startswith(".") and name.endswith((".part", ".tmp")) and age > _STALE_AFTER:
                os.unlink(entry.path)  # an older version's or an atomic write's leftover


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's own log lines (its advice names pooch's API, not this package's)."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _retrieve(
    url: str, path: Path, policy: _fetch_http.Policy, expected: tuple[str, str] | None
) -> dict[str, Any]:
    """Download ``url`` to ``path`` with ``pooch.retrieve`` and our downloader."""
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)  # left by a killed process (we hold the lock)
    record: dict[str, Any] = {}

    def downloader(url: str, output_file: str, _pooch: Any) -> None:
        record.update(
            _fetch_http.download(
                url,
                part,
                name=path.name,
                policy=policy,
                expected=expected,
                sleep=lambda s: time.sleep(s),
            )
        )
        os.replace(part, output_file)

    aside = path.with_name(path.name + ".prev")
    if path.exists():  # pooch serves an existing file as it is: move it aside while downloading
        os.replace(path, aside)
    try:
        with _quiet_pooch():
            pooch.retrieve(
                url,
                known_hash=f"{expected[0]}:{expected[1]}" if expected else None,
                fname=path.name,
                path=path.parent,
                downloader=downloader,
                progressbar=False,
            )
    except BaseException:
        if aside.exists() and not path.exists():
            os.replace(aside, path)
        raise
    finally:
        part.unlink(missing_ok=True)
    aside.unlink(missing_ok=True)
    return record


def fetch(
    url: str,
    *,
    known_hash: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float = TIMEOUT,
    retries: int = RETRIES,
    deadline: float = DEADLINE,
    offline: bool | None = None,
    progress: bool = True,
    refresh: bool = False,
    allow_http: bool | None = None,
    allow_hosts: Sequence[str] | None = None,
    lock_timeout: float | None = None,
) -> Path:
    """Local path of the file at ``url``, downloading it into the cache if needed.

    Parameters
    ----------
    url : str
        https URL of the file (http only when allowed, see ``allow_http``).
    known_hash : str, optional
        Expected checksum, ``"sha256:<hex>"`` (or another :mod:`hashlib`
        algorithm, e.g. ``"md5:<hex>"``; bare hex means SHA-256). Checked on the
        cached file and on every download.
    cache_dir : path, optional
        Cache folder; default ``$OVERDOSE_TRENDS_CACHE``, else the per-user cache
        (``pooch.os_cache("overdose_trends")``).
    timeout : float, default 30
        Seconds to wait for the server to accept the connection, and for each
        further piece of data.
    retries : int, default 2
        Further attempts after a connection error, time-out, body cut short or
        HTTP 5xx/429 response, waiting ``BACKOFF`` (1) s, then twice as long, and
        so on (longer if the server sends ``Retry-After``, up to 60 s). Other
        HTTP errors (e.g. 404) are not retried.
    deadline : float, default 300
        Seconds for the whole download, retries included: a server that keeps
        sending a trickle of data is stopped here.
    offline : bool, optional
        Never use the network. Default: ``$OVERDOSE_TRENDS_OFFLINE``.
    progress : bool
        Show a progress bar (tqdm) when standard error is a terminal.
    refresh : bool
        Download again even if the file is cached; if that fails for network
        reasons, warn and return the cached copy.
    allow_http : bool, optional
        Allow plain http (and redirects from https to http). Default:
        ``$OVERDOSE_TRENDS_ALLOW_HTTP``, else refused.
    allow_hosts : sequence of str, optional
        Hosts a redirect may lead to besides the URL's own (``"host"``,
        ``".domain"`` for a domain and its subdomains, ``"*"`` for any), added
        to ``$OVERDOSE_TRENDS_ALLOW_HOSTS``.
    lock_timeout : float, optional
        Seconds to wait while another process downloads the same URL (default:
        ``deadline`` plus 60 s).

    Returns
    -------
    pathlib.Path
        Path of the cached file, named ``<12 hex digits of sha256(url)>-<file
        name>`` (extension kept; for ``file?uri=`` links the name in ``uri``).
        Its record is in ``<path>.meta.json``.

    Raises
    ------
    NotCachedError
        Offline and the file is not cached (the message names the URL and the
        path where the file is expected).
    ChecksumError
        The download (or, offline, the cached file) does not match
        ``known_hash``. A bad download is deleted, never cached.
    FetchError
        The download failed after all retries or passed the deadline; the
        server answered with an HTTP error, an HTML page where a data file
        belongs, a damaged or cut workbook, or a body shorter than declared; a
        redirect led to another host or to plain http; or another process held
        the download lock for longer than ``lock_timeout``.
    ValueError
        ``url`` is not http(s), ``known_hash`` is malformed, or a setting is
        out of range.

    Notes
    -----
    Method: ``pooch.retrieve`` with a custom downloader. The body is
    streamed to ``<file>.part`` while its SHA-256 is computed; the length,
    content and checksum are checked; only then does the file take its final
    name, so an interrupted or bad download is never cached. A file copied
    into the cache path by hand is accepted (and checked against
    ``known_hash`` if given).

    Examples
    --------
    Offline, a file already in the cache (here copied in by hand) is served
    without any network access:

    >>> import tempfile, pathlib
    >>> from overdose_trends.io.fetch import cache_path, fetch
    >>> cache = pathlib.Path(tempfile.mkdtemp())
    >>> url = "https://www.ons.gov.uk/file?uri=/datasets/example/current/2023example.xlsx"
    >>> cache_path(url, cache_dir=cache).name
    'c09bcdd1ea68-2023example.xlsx'
    >>> _ = cache_path(url, cache_dir=cache).write_bytes(b"example bytes")
    >>> fetch(url, cache_dir=cache, offline=True).read_bytes()
    b'example bytes'
    """
    path = cache_path(url, cache_dir=cache_dir)
    expected = _parse_hash(known_hash) if known_hash else None
    if offline is None:
        offline = _env_flag(ENV_OFFLINE)
    policy = _policy(timeout, deadline, retries, progress, allow_http, allow_hosts)

    state = _cache_state(path, expected)
    if state != "absent":
        _sweep(path.parent, path)  # leftovers of killed downloads, even when nothing downloads
    if offline:
        return _offline(url, path, state, known_hash)
    if state == "ok" and not refresh:
        return path
    try:
        _fetch_http.check_scheme(url, policy.allow_http)
    except _fetch_http.Failure as exc:
        raise FetchError(str(exc)) from None

    path.parent.mkdir(parents=True, exist_ok=True)
    wait = policy.deadline + 60 if lock_timeout is None else lock_timeout
    try:
        with _fetch_lock.hold(_fetch_lock.lock_file(path.parent, path.name), wait):
            _sweep(path.parent, path)
            prev = path.with_name(path.name + ".prev")
            if prev.exists() and not path.exists():
                os.replace(prev, path)  # a refresh of this URL was killed: restore its copy
            again = _cache_state(path, expected)
            if again == "ok" and (not refresh or state != "ok"):
                return path  # another process downloaded it while we waited
            return _download(url, path, policy, expected, again)
    except _fetch_lock.LockTimeout:
        raise FetchError(
            f"another download of {url} held the lock for more than {wait:g} s; if no "
            f"other download is running, delete {_fetch_lock.lock_file(path.parent, path.name)}"
        ) from None


def _offline(url: str, path: Path, state: str, known_hash: str | None) -> Path:
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


def _download(
    url: str,
    path: Path,
    policy: _fetch_http.Policy,
    expected: tuple[str, str] | None,
    state: str,
) -> Path:
    """Download into the cache (lock held) and write the record; fall back to a cached copy."""
    if state == "corrupt":
        warnings.warn(
            f"cached file {path} no longer matches its recorded SHA-256; downloading again",
            stacklevel=3,
        )
    try:
        record = _retrieve(url, path, policy, expected)
    except _fetch_http.Failure as exc:
        if exc.checksum:
            raise ChecksumError(f"{url}: {exc}") from None
        message = f"could not download {url}: {exc}"
        if state == "ok":
            warnings.warn(f"{message}; using the cached copy {path}", stacklevel=3)
            return path
        raise FetchError(message) from None
    except ValueError as exc:  # pooch's own checksum check
        raise ChecksumError(f"{url}: {exc}") from None
    meta = {
        "url": url,
        "downloaded_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        **record,
    }
    write_text(_meta_path(path), json.dumps(meta, indent=1))
    return path
