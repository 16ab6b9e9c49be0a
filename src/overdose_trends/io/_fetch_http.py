"""The network side of :func:`overdose_trends.io.fetch.fetch`: one guarded HTTP download.

:func:`download` streams a URL into a ``.part`` file and returns only when the
file is complete and checked; otherwise it raises :class:`Failure` saying what
went wrong and whether another attempt may help. What it guards against:

* hangs: connect and read time-outs, and an overall deadline checked after every
  read, so a server trickling a byte a second is stopped at the deadline;
* short bodies: fewer bytes than the declared ``Content-Length``, a chunked body
  cut before its last chunk, or a body without a length that cannot be shown
  to be complete (only workbooks and ZIP files, whose structure is checked, or
  a file with a known checksum are accepted that way);
* redirects: followed by hand (at most :data:`MAX_REDIRECTS`), refused when
  they lead to another host (unless allowed) or from https to http; loops are
  reported as loops;
* plain http: refused unless allowed;
* wrong content: an HTML page saved as a workbook, a damaged workbook
  (:mod:`overdose_trends.io._fetch_sniff`), a checksum mismatch.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from tqdm.auto import tqdm

from overdose_trends.io import _fetch_sniff

#: Redirects followed before giving up.
MAX_REDIRECTS = 10
_CHUNK = 64 * 1024
_USER_AGENT = f"overdose_trends python-requests/{requests.__version__}"
_REDIRECTS = (301, 302, 303, 307, 308)


class Failure(Exception):
    """A download attempt failed; ``retry`` says whether another attempt may help."""

    def __init__(
        self, message: str, *, retry: bool = False, checksum: bool = False, wait: float = 0.0
    ) -> None:
        super().__init__(message)
        self.retry = retry
        self.checksum = checksum
        self.wait = wait  # seconds the server asked us to wait (Retry-After)


@dataclass(frozen=True)
class Policy:
    """How one download may use the network (see :func:`overdose_trends.io.fetch.fetch`)."""

    timeout: float
    deadline: float
    retries: int
    backoff: float
    allow_http: bool
    allow_hosts: tuple[str, ...]
    progress: bool


def host_allowed(host: str, origin: str, allow_hosts: tuple[str, ...]) -> bool:
    """True when a redirect from host ``origin`` may go to ``host``.

    ``allow_hosts`` entries are host names, ``.domain`` suffixes (``.ons.gov.uk``
    allows ``www.ons.gov.uk`` and ``ons.gov.uk``) or ``*`` (any host).
    """
    host, origin = host.lower(), origin.lower()
    if host == origin:
        return True
    for allowed in allow_hosts:
        allowed = allowed.strip().lower()
        if allowed == "*" or host == allowed:
            return True
        if allowed.startswith(".") and (host.endswith(allowed) or host == allowed[1:]):
            return True
    return False


def check_scheme(url: str, allow_http: bool) -> None:
    """Refuse anything but https (and http when allowed)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return
    if parts.scheme == "http" and parts.netloc:
        if allow_http:
            return
        raise Failure(
            f"refusing plain http for {url}: the file could be altered in transit; use "
            "https, or pass allow_http=True (or set OVERDOSE_TRENDS_ALLOW_HTTP=1) for a "
            "server you trust, e.g. one on your own network"
        )
    raise Failure(f"not an http(s) URL: {url!r}")


def download(
    url: str,
    part: Path,
    *,
    name: str,
    policy: Policy,
    expected: tuple[str, str] | None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Download ``url`` into ``part`` (retrying as ``policy`` allows); return its record.

    ``name`` is the cache file name (its extension says what content to expect).
    On failure ``part`` is removed and :class:`Failure` is raised.
    """
    check_scheme(url, policy.allow_http)
    stop = time.monotonic() + policy.deadline
    last: Failure | None = None
    made = 0
    for attempt in range(policy.retries + 1):
        if attempt:
            wait = max(policy.backoff * 2 ** (attempt - 1), last.wait if last else 0.0)
            if time.monotonic() + wait >= stop:
                break
            sleep(wait)
        made += 1
        try:
            return _attempt(url, part, name=name, policy=policy, expected=expected, stop=stop)
        except Failure as exc:
            part.unlink(missing_ok=True)
            if not exc.retry:
                raise
            last = exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    assert last is not None
    raise Failure(f"after {made} attempt(s): {last}")


def _attempt(
    url: str,
    part: Path,
    *,
    name: str,
    policy: Policy,
    expected: tuple[str, str] | None,
    stop: float,
) -> dict[str, Any]:
    resp = _open(url, policy, stop)
    try:
        return _save(resp, part, name=name, policy=policy, expected=expected, stop=stop)
    finally:
        resp.close()


def _remaining(stop: float, policy: Policy) -> float:
    left = stop - time.monotonic()
    if left <= 0:
        raise Failure(f"did not finish within the overall deadline of {policy.deadline:g} s")
    return left


def _open(url: str, policy: Policy, stop: float) -> requests.Response:
    """GET ``url``, following redirects by hand; the response's body is not read yet."""
    origin = urlsplit(url).hostname or ""
    seen = {url}
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        left = _remaining(stop, policy)
        timeout = (min(policy.timeout, left), min(policy.timeout, left))
        try:
            resp = requests.get(
                current,
                stream=True,
                timeout=timeout,
                allow_redirects=False,
                headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"},
            )
        except requests.RequestException as exc:
            raise _request_failure(exc, policy) from exc
        if resp.status_code not in _REDIRECTS or "Location" not in resp.headers:
            _check_status(resp, current)
            return resp
        target = urljoin(current, resp.headers["Location"])
        resp.close()
        if urlsplit(current).scheme == "https" and urlsplit(target).scheme == "http":
            if not policy.allow_http:
                raise Failure(
                    f"{current} redirects from https to plain http ({target}); refused "
                    "(pass allow_http=True or set OVERDOSE_TRENDS_ALLOW_HTTP=1 to allow)"
                )
        check_scheme(target, policy.allow_http)
        host = urlsplit(target).hostname or ""
        if not host_allowed(host, origin, policy.allow_hosts):
            raise Failure(
                f"{current} redirects to another host, {host!r} ({target}); refused. If "
                f"you trust it, pass allow_hosts=[{host!r}] or set "
                f"OVERDOSE_TRENDS_ALLOW_HOSTS={host}"
            )
        if target in seen:
            raise Failure(f"redirect loop: {current} leads back to {target}")
        seen.add(target)
        current = target
    raise Failure(f"too many redirects (more than {MAX_REDIRECTS}) starting at {url}")


def _check_status(resp: requests.Response, url: str) -> None:
    status = resp.status_code
    if status == 200:
        return
    text = f"HTTP {status} {resp.reason or ''}".strip()
    resp.close()
    if status >= 500 or status == 429:
        after = resp.headers.get("Retry-After", "")
        wait = min(float(after), 60.0) if after.strip().isdigit() else 0.0
        raise Failure(text, retry=True, wait=wait)
    if status == 404:
        text += " (the file is not at this address; check the URL)"
    raise Failure(f"{text} for {url}")


def _request_failure(exc: requests.RequestException, policy: Policy) -> Failure:
    """A readable :class:`Failure` for any exception raised by ``requests``."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure(f"secure (TLS) connection failed: {exc}")
    if isinstance(exc, requests.Timeout):
        return Failure(f"timed out (no response within {policy.timeout:g} s)", retry=True)
    if isinstance(exc, requests.exceptions.ProxyError):
        return Failure(f"the proxy refused or failed the connection: {exc}", retry=True)
    if isinstance(exc, requests.ConnectionError):
        return Failure(f"could not connect: {exc}", retry=True)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Failure(f"the connection broke during the download: {exc}", retry=True)
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return Failure(f"too many redirects: {exc}")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.URLRequired):
        return Failure(f"invalid URL: {exc}")
    return Failure(f"{type(exc).__name__}: {exc}")


def _save(
    resp: requests.Response,
    part: Path,
    *,
    name: str,
    policy: Policy,
    expected: tuple[str, str] | None,
    stop: float,
) -> dict[str, Any]:
    """Stream the body of ``resp`` to ``part`` and check it; return the file's record."""
    declared = resp.headers.get("Content-Length")
    total = int(declared) if declared and declared.isdigit() else None
    chunked = bool(resp.raw.chunked)
    sha = hashlib.sha256()
    other = hashlib.new(expected[0]) if expected and expected[0] != "sha256" else None
    size = 0
    show = policy.progress and sys.stderr.isatty()
    try:
        with (
            open(part, "wb") as out,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=name,
                disable=not show,
            ) as bar,
        ):
            while True:
                left = stop - time.monotonic()
                if left <= 0:
                    raise Failure(
                        f"did not finish within the overall deadline of {policy.deadline:g} s "
                        f"({size:,} of {total if total is not None else 'an unknown number of'}"
                        " bytes received)"
                    )
                chunk = resp.raw.read1(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                sha.update(chunk)
                if other is not None:
                    other.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
    except (urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError) as exc:
        raise Failure(
            f"the connection broke after {size:,} bytes"
            + (f" of {total:,}" if total is not None else "")
            + f" ({exc})",
            retry=True,
        ) from exc
    except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
        raise Failure(
            f"timed out (no data for {policy.timeout:g} s after {size:,} bytes)", retry=True
        ) from exc
    except urllib3.exceptions.HTTPError as exc:
        raise Failure(f"download failed after {size:,} bytes: {exc}", retry=True) from exc
    except OSError as exc:
        raise Failure(f"could not write the download to {part}: {exc}") from exc
    raw_size = resp.raw.tell() or size
    if total is not None and raw_size != total:
        raise Failure(f"the server declared {total:,} bytes but sent {raw_size:,}", retry=True)
    content_type = resp.headers.get("Content-Type")
    problem = _fetch_sniff.problem(part, name, content_type)
    if problem:
        raise Failure(problem)
    if total is None and not chunked and expected is None and not _fetch_sniff.can_verify(name):
        raise Failure(
            "the server sent no Content-Length and did not use chunked transfer, so a "
            "connection cut short cannot be told from a complete file; pass known_hash= "
            "to accept this file"
        )
    if expected is not None:
        got = (other or sha).hexdigest()
        if got != expected[1]:
            raise Failure(
                f"checksum mismatch: expected {expected[0]}:{expected[1]}, the downloaded "
                f"file has {expected[0]}:{got} (sha256:{sha.hexdigest()}); the file was not kept",
                checksum=True,
            )
    return {
        "sha256": sha.hexdigest(),
        "size": size,
        "final_url": resp.url,
        "etag": resp.headers.get("ETag"),
        "last_modified": resp.headers.get("Last-Modified"),
        "content_type": content_type,
    }
