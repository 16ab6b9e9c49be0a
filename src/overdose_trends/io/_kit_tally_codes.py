"""Per-event integer codes for counting kit events: text columns and event days.

:func:`column_codes` numbers the distinct values of a column, in order of first
appearance; a missing value is a value like any other, with its own number
(so that events with a missing service form one group, as in a ``groupby``
with ``dropna=False``). Arrow-backed text, the form :func:`read_kit_log`
returns, is numbered by Arrow's hash table (``dictionary_encode``) without
converting a single text to Python; other columns go through
:func:`pandas.factorize`. :func:`vocab_positions` looks texts up in a short
vocabulary (exact matches only). :func:`day_numbers` turns ``event_date`` into
whole days since 1970-01-01 by integer division. Hashing a million texts is
most of the work of counting them, so :func:`run_jobs` does the columns of a
large log two at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # loaded by pandas already
import pyarrow.compute as pc  # type: ignore[import-untyped]

from overdose_trends.io._kit_table import dictionary_codes

#: Nanoseconds, microseconds, ... in one day, by datetime64 unit.
_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000}
_PER_DAY["ns"] = 86_400_000_000_000
_NAT = np.iinfo(np.int64).min
#: From this many events on, columns are hashed two at a time, in threads (Arrow's
#: hashing releases the interpreter lock, so two processors hash at once).
PARALLEL_MIN_EVENTS = 250_000


def run_jobs(jobs: list[Callable[[], Any]], n_events: int) -> list[Any]:
    """Results of independent jobs, in order: two at a time for large logs, else in turn."""
    if n_events < PARALLEL_MIN_EVENTS or len(jobs) < 2 or (os.cpu_count() or 1) < 2:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]


def column_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Code of each value and the distinct values (object, missing included)."""
    chunked = _arrow_text(values)
    if chunked is not None:
        return dictionary_codes(chunked)[:2]
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), np.asarray(distinct, dtype=object)


def vocab_positions(values: pd.Series, vocab: tuple[str, ...]) -> np.ndarray:
    """Position of each value in ``vocab`` (exact match), -1 when not in it or missing."""
    chunked = _arrow_text(values)
    if chunked is not None:  # a lookup in a hash table of the few vocabulary texts
        found = pc.index_in(chunked, value_set=pa.array(vocab, type=chunked.type))
        return np.asarray(pc.fill_null(found, -1), dtype=np.int64)
    codes, uniques = column_codes(values)
    where = {text: i for i, text in enumerate(vocab)}
    known = [where.get(u, -1) if isinstance(u, str) else -1 for u in uniques]
    return np.asarray(known, dtype=np.int64)[codes]


def distinct_values(values: pd.Series, codes: np.ndarray, uniques: np.ndarray) -> pd.Series:
    """The distinct values of :func:`column_codes` as a Series of the column's dtype."""
    if _arrow_text(values) is not None:
        return pd.Series(list(uniques), dtype=values.dtype)
    rows = np.zeros(len(uniques), dtype=np.int64)
    rows[codes] = np.arange(len(codes))  # a row holding each value, as stored there
    return values.iloc[rows].reset_index(drop=True)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow text behind a column, or None when it is not Arrow text."""
    arr = values.array
    if isinstance(arr, pd.arrays.ArrowExtensionArray):
        chunked = arr.__arrow_array__()
        if pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type):
            return chunked
    return None


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 (int64, rounded down) of each date.

    Raises ValueError naming the position of the first event without a date.
    """
    dtype = dates.dtype
    unit = (
        np.datetime_data(dtype.str)[0] if isinstance(dtype, np.dtype) and dtype.kind == "M" else ""
    )
    if unit in _PER_DAY:
        ticks, per_day = dates.to_numpy().view(np.int64), _PER_DAY[unit]
    else:
        ticks = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]").view(np.int64)
        per_day = 1
    if len(ticks) and ticks.min() == _NAT:
        row = int(np.flatnonzero(ticks == _NAT)[0])
        raise ValueError(f"event at position {row} has no event_date")
    return ticks // per_day if per_day > 1 else ticks
