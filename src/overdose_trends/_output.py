"""Writing output files safely: atomically, and with spreadsheet-safe text cells.

Every file the package writes (figures, tables, pages, CSVs, downloads) goes through
:func:`atomic_path`: the content is written to a temporary file in the destination
folder and renamed over the final name only once it is complete, so a killed run never
leaves a truncated file under the final name.

CSV files the package writes go through :func:`write_csv`, which neutralises text cells
that a spreadsheet would run as a formula (CSV or "formula" injection): a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe, which Excel and LibreOffice show as text. Numbers stay numbers. Pass
``safe=False`` for files read only by programs.

References
----------
OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; return the final path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the final path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` whose text cells cannot start a spreadsheet formula.

    A text cell starting with one of :data:`FORMULA_PREFIXES` gets a leading
    apostrophe. Numeric columns (and numbers held in object columns) are unchanged.
    """
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
            series
        ):
            continue
        out[col] = series.map(_neutralise_cell)
    return out


def _neutralise_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(
    df: pd.DataFrame, path: str | os.PathLike[str], *, safe: bool = True, **to_csv: Any
) -> Path:
    """Write ``df`` as CSV atomically, neutralising formula-like text unless ``safe=False``.

    Keyword arguments are passed to :meth:`pandas.DataFrame.to_csv` (``index=False``
    unless given).
    """
    to_csv.setdefault("index", False)
    frame = neutralise_formulas(df) if safe else df
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **to_csv)
    return Path(path)
