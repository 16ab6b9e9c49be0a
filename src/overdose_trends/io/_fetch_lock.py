"""Inter-process file locks for the download cache (one lock per cached file).

A lock is an operating-system advisory lock on a small file in
``<cache>/.locks/``: ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows.
The operating system releases it when the holding process ends, however it
ends, so a killed download never leaves a stale lock behind. Locks taken by
two threads of one process exclude each other too (each opens its own file).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

#: Seconds between attempts while waiting for a lock.
_POLL = 0.05


def lock_file(cache: Path, name: str) -> Path:
    """The lock file guarding cached file ``name`` in folder ``cache``."""
    return cache / ".locks" / f"{name}.lock"


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


class LockTimeout(TimeoutError):
    """The lock was held by another download for longer than the time allowed."""


@contextlib.contextmanager
def hold(path: Path, timeout: float) -> Iterator[None]:
    """Hold the lock at ``path``, waiting up to ``timeout`` seconds for it.

    Raises
    ------
    LockTimeout
        Another process (or thread) held the lock for longer than ``timeout``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        stop = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= stop:
                raise LockTimeout(f"lock {path} is held by another download")
            time.sleep(_POLL)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def is_free(path: Path) -> bool:
    """True when nobody holds the lock at ``path`` (it is taken and released at once)."""
    if not path.exists():
        return True
    try:
        with hold(path, timeout=0):
            return True
    except LockTimeout:
        return False
