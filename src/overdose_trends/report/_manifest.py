"""The report's bookkeeping: the manifest, output checksums and the output-folder lock.

``manifest.json`` records, per figure, the hash of everything it was built from
(:func:`overdose_trends.report.build.figure_hash`) and the SHA-256 of each file
written; and for the pages (tables, ``index.md``, ``index.html``, the workbook)
the same. A figure or the pages count as up to date only when the hash matches
*and* every recorded file is on disk with the recorded checksum, so a file
replaced by another run, edited or cut short is rebuilt.

A run holds an exclusive lock on ``<out>/.report.lock`` (``fcntl.flock`` on
POSIX, ``msvcrt.locking`` on Windows) from reading the manifest to writing it,
so two runs into one folder (different configurations, say) take turns instead
of interleaving their files and manifest entries. The lock is released by the
operating system when a process dies.

Nothing here imports pandas, matplotlib or scipy: an up-to-date run needs only
this module, the configuration and the hashes.

References
----------
FIPS 180-4 (SHA-256).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

#: Version of the manifest layout; a different one rebuilds everything.
MANIFEST_FORMAT = 3
MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".report.lock"


def file_sha256(path: Path, cache: dict[Path, str] | None = None) -> str:
    """SHA-256 (hex) of a file's bytes, memoised in ``cache`` by resolved path."""
    key = path.resolve() if cache is not None else path  # resolving costs a syscall per part
    if cache is not None and key in cache:
        return cache[key]
    h = hashlib.sha256()
    with open(key, "rb", buffering=0) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    if cache is not None:
        cache[key] = digest
    return digest


def checksums(out: Path, files: list[Path]) -> dict[str, str]:
    """``{path relative to out: sha256}`` of ``files`` (each must exist)."""
    return {f.relative_to(out).as_posix(): file_sha256(f) for f in files}


def outputs_intact(out: Path, entry: Mapping[str, Any]) -> bool:
    """True when every file an entry records exists with its recorded SHA-256."""
    outputs = entry.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return False
    for rel, digest in outputs.items():
        path = out / rel
        try:
            if not path.is_file() or file_sha256(path) != digest:
                return False
        except OSError:
            return False
    return True


def read_manifest(path: Path) -> dict[str, Any]:
    """``{"figures": {...}, "pages": {...}}`` from ``path``; empty parts if absent or damaged."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return {"figures": {}, "pages": {}}
    figures = manifest.get("figures")
    pages = manifest.get("pages")
    return {
        "figures": figures if isinstance(figures, dict) else {},
        "pages": pages if isinstance(pages, dict) else {},
    }


def write_manifest(path: Path, figures: Mapping[str, Any], pages: Mapping[str, Any]) -> None:
    """Write the manifest atomically (a killed run leaves the old or the new one, never half)."""
    from overdose_trends._output import write_text  # tempfile & co.: only when writing
    from overdose_trends._version import __version__

    body = {
        "format": MANIFEST_FORMAT,
        "package_version": __version__,
        "figures": dict(figures),
        "pages": dict(pages),
    }
    write_text(path, json.dumps(body, indent=2, sort_keys=True) + "\n")


def dist_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Installed version of each distribution in ``names`` (``""`` when not installed).

    The same answer as :func:`importlib.metadata.version` (the ``Version`` of the
    first ``<name>-<version>.dist-info`` folder on :data:`sys.path`, names compared
    after PEP 503 normalisation), read from the folders directly: importing
    :mod:`importlib.metadata` and asking it costs about a tenth of a second,
    a large share of an up-to-date run. A zip file or an ``.egg-info`` on the path
    is left to :mod:`importlib.metadata`.
    """
    wanted = {_dist_key(n): n for n in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.exists(folder):  # a zip file: importlib.metadata reads those
                return _metadata_versions(names)
            continue
        try:
            children = sorted(os.listdir(folder))
        except OSError:
            continue
        for child in children:
            stem, dot, kind = child.lower().rpartition(".")
            if not dot or kind not in ("dist-info", "egg-info"):
                continue
            key = _dist_key(stem.partition("-")[0])
            if key not in wanted or wanted[key] in found:
                continue
            path = os.path.join(folder, child)
            version = _metadata_version(path) if kind == "dist-info" else None
            if version is None:  # egg-info, or no readable Version: the slow, general way
                return _metadata_versions(names)
            found[wanted[key]] = version
        if len(found) == len(names):
            break
    return {n: found.get(n, "") for n in names}


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(dist_info: str) -> str | None:
    """The ``Version:`` header of a ``.dist-info`` folder's METADATA, or None."""
    try:
        with open(os.path.join(dist_info, "METADATA"), encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    break  # end of the headers
                if line.startswith("Version:"):
                    return line[len("Version:") :].strip()
    except (OSError, UnicodeDecodeError):
        pass
    return None


def _metadata_versions(names: tuple[str, ...]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` (waits for another run to finish)."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / LOCK_NAME).open("a+b") as fh:
        _lock(fh.fileno())
        try:
            yield
        finally:
            _unlock(fh.fileno())


def _lock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after about 10 s: keep waiting
                continue
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
