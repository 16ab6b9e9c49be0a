"""Whole text of a CSV source (path or open file) and its cells, for the io room's CSV readers."""

from __future__ import annotations

import csv
import io
import os
from typing import IO

import numpy as np
import pandas as pd

from overdose_trends.errors import DataFormatError
from overdose_trends.io._workbook import source_name

CsvSource = str | os.PathLike[str] | IO[str] | IO[bytes]


def read_text(source: CsvSource) -> tuple[str, str]:
    """Whole text of ``source`` and its name for messages (UTF-8, else Windows-1252).

    A UTF-8 byte-order mark is removed. A folder is a :class:`DataFormatError`
    naming it (not an ``IsADirectoryError``).
    """
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        if os.path.isdir(source):
            raise DataFormatError(
                "this is a folder, not a CSV file: name the file in it", file=name
            )
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


def read_cells(text: str, file: str, skip: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Every cell below the header (line ``skip``, 0-based) as text; blank lines dropped.

    Returns the cells (columns named as in the header, surrounding spaces of the
    names removed, ``""`` where empty) and the 1-based line where each row
    starts. A record with fewer or more fields than the header (a short row, a
    file cut part-way through a line) is a :class:`DataFormatError` naming the line.
    """
    reader = csv.reader(io.StringIO(text))
    records: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    previous = 0
    try:
        for record in reader:
            first, previous = previous + 1, reader.line_num
            if first <= skip:
                continue
            if header is None:
                header = record
            elif "".join(record).strip():
                if len(record) != len(header):
                    raise _field_count(len(record), len(header), file, first)
                records.append(record)
                lines.append(first)
    except csv.Error as exc:
        problem = str(exc)
        if "field larger than field limit" in problem:
            problem = f"a cell longer than {csv.field_size_limit():,} characters (a damaged file?)"
        raise DataFormatError(
            f"cannot read the CSV: {problem}", file=file, row=previous + 1
        ) from exc
    if header is None:
        raise DataFormatError("file has no header line", file=file, row=skip + 1)
    names = [h.replace("\ufeff", "").strip() for h in header]
    df = pd.DataFrame(records, columns=range(len(names)), dtype=object)
    df.columns = pd.Index(names)
    return df, np.asarray(lines, dtype="int64")


def _field_count(n: int, expected: int, file: str, line: int) -> DataFormatError:
    cut = " (a short row, or a file cut part-way through)" if n < expected else ""
    return DataFormatError(
        f"line has {n} fields but the header has {expected}{cut}", file=file, row=line
    )
