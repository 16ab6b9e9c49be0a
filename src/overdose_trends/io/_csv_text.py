"""Whole text of a CSV source (path or open file) for the io room's CSV readers."""

from __future__ import annotations

import os
from typing import IO

from overdose_trends.io._workbook import source_name

CsvSource = str | os.PathLike[str] | IO[str] | IO[bytes]


def read_text(source: CsvSource) -> tuple[str, str]:
    """Whole text of ``source`` and its name for messages (UTF-8, else Windows-1252).

    A UTF-8 byte-order mark is removed.
    """
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        with open(source, "rb") as fh:
            data: str | bytes = fh.read()
    else:
        name = source_name(source)  # type: ignore[arg-type]
        data = source.read()
    if isinstance(data, bytes):
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            data = raw.decode("cp1252")
    return data.lstrip("\ufeff"), name
