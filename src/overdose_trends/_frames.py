"""Small DataFrame helpers shared by the statistics modules.

Private to the package: :mod:`overdose_trends.stats.rates`, :mod:`overdose_trends.stats.compare`,
:mod:`overdose_trends.stats.funnel`, :mod:`overdose_trends.stats.disclosure` and
:mod:`overdose_trends.stats.kit_metrics` use these to read grouping keys, numeric
columns and count columns, number groups, name a group in an error message and
return whole numbers as nullable integers. Nothing here computes a statistic.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "VALUE_COLUMNS",
    "Groups",
    "as_list",
    "differing_columns",
    "show",
    "frame",
    "numeric",
    "others",
    "plain",
    "positive",
    "require_columns",
    "tidy_number",
    "whole_counts",
]


#: Columns of the tidy tables that hold values or provenance: never what tells two rows
#: of one group apart (left out when an error explains duplicated rows).
VALUE_COLUMNS = frozenset(
    {
        "deaths",
        "count",
        "population",
        "rate",
        "lcl",
        "ucl",
        "rate_per",
        "rate_status",
        "conf",
        "method",
        "edition",
        "sheet",
        "row",
    }
)


def differing_columns(rows: pd.DataFrame, ignore: Iterable[Hashable]) -> list[Hashable]:
    """Columns of ``rows``, other than ``ignore``, whose values differ between the rows."""
    skip = set(ignore)
    return [c for c in rows.columns if c not in skip and rows[c].nunique(dropna=False) > 1]


def plain(value: Any) -> Any:
    """A numpy scalar as the plain Python value (other values unchanged)."""
    return value.item() if isinstance(value, np.generic) else value


def show(value: object) -> str:
    """``repr`` of a value for messages, with numpy scalars shown as plain Python ones."""
    return repr(plain(value))


def as_list(by: Hashable | Sequence[Hashable] | None) -> list[Hashable]:
    """``by`` as a list of column labels: None -> [], one label -> [label]."""
    if by is None:
        return []
    if isinstance(by, str) or not isinstance(by, Sequence):
        return [by]
    return list(by)


def require_columns(
    data: pd.DataFrame, columns: Sequence[Hashable], func: str | None = None
) -> None:
    """Raise unless ``data`` is a DataFrame with every one of ``columns``.

    ``func`` (e.g. ``"vs_benchmark"``) prefixes the messages.
    """
    prefix = f"{func}: " if func else ""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{prefix}data must be a pandas DataFrame, not {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{prefix}data lacks column(s) {missing}; it has {list(data.columns)}")


def numeric(data: pd.DataFrame, column: Hashable) -> NDArray[np.float64]:
    """A numeric column as float64, NaN for missing; booleans and infinite values are rejected."""
    col = data[column]
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        raise ValueError(f"column {column!r} must be numeric, not {col.dtype}")
    values = col.to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isinf(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"column {column!r} holds an infinite value (row index {show(col.index[i])})"
        )
    return values


def positive(name: str, value: float, example: str | None = None) -> float:
    """``value`` as a float, or ValueError naming ``name`` unless it is finite and > 0."""
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        hint = f" (e.g. {example})" if example else ""
        raise ValueError(f"{name} must be a positive number{hint}, got {value:g}")
    return value


def others(n_bad: int, noun: str = "group") -> str:
    """``" (and 2 other groups)"`` for a message about the first of ``n_bad`` bad ones."""
    extra = n_bad - 1
    return f" (and {extra} other {noun}{'s' if extra != 1 else ''})" if extra > 0 else ""


def whole_counts(values: pd.Series, name: Hashable) -> pd.Series:
    """A count column as ``Int64``; ``<NA>`` stays missing.

    Parameters
    ----------
    values : pandas.Series
        Numbers, or texts of numbers (read with :func:`pandas.to_numeric`).
    name : hashable
        Column name for the messages.

    Returns
    -------
    pandas.Series
        Same index, dtype ``Int64``.

    Raises
    ------
    ValueError
        For values that are not numbers (``"must hold numeric counts"``), and
        for negative or fractional ones (``"must hold non-negative whole
        counts"``, naming the first such row and its value).
    """
    try:
        f = pd.to_numeric(values, errors="raise").astype("Float64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column {name!r} must hold numeric counts: {exc}") from exc
    bad = f.notna() & ((f < 0) | (f != f.round()))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
        raise ValueError(
            f"column {name!r} must hold non-negative whole counts; row {show(values.index[i])} "
            f"has {show(values.iloc[i])}, which is not a count"
        )
    return f.astype("Int64")


def tidy_number(values: NDArray[np.float64]) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """Int64 (nullable) if every present value is a whole number, else float64."""
    finite = values[~np.isnan(values)]
    if np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53):
        mask = np.isnan(values)
        return pd.arrays.IntegerArray(np.where(mask, 0, values).astype(np.int64), mask)
    return values


def frame(
    key_rows: pd.DataFrame, columns: dict[str, Any], index: pd.Index | None = None
) -> pd.DataFrame:
    """Key columns (or, without them, the given index) followed by the value columns."""
    if index is not None:
        return pd.DataFrame(columns, index=index)
    out = key_rows.copy()
    for name, values in columns.items():
        out[name] = values
    return out


def _key_changes(data: pd.DataFrame, keys: list[Hashable]) -> NDArray[np.bool_] | None:
    """True where a row's keys differ from the row before (missing keys count as differing).

    None when a key column cannot be compared element by element.
    """
    change = np.ones(len(data), dtype=bool)
    same = np.ones(len(data) - 1, dtype=bool)
    for key in keys:
        col = data[key].array
        try:
            eq = col[1:] == col[:-1]
            eq = eq.to_numpy(dtype=bool, na_value=False) if hasattr(eq, "to_numpy") else eq
        except (TypeError, ValueError):
            return None
        if not isinstance(eq, np.ndarray) or eq.shape != same.shape or eq.dtype != bool:
            return None
        same &= eq
    change[1:] = ~same
    return change


def _group_ids(
    data: pd.DataFrame, keys: list[Hashable]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Group id of each row (0.. in order of first appearance) and the first row of each group.

    Tables usually hold each group in a block of consecutive rows (an area's age
    bands, a series' years): only the first row of each such run is grouped, and
    the rest of the run takes its group.
    """
    if not keys:
        return np.zeros(len(data), dtype=np.int64), np.zeros(1 if len(data) else 0, np.int64)
    change = _key_changes(data, keys) if len(data) > 1 else None
    if change is not None:
        starts = np.flatnonzero(change)
        if 2 * starts.size <= len(data):
            run_gid, run_first = _group_ids_all(data.iloc[starts], keys)
            return run_gid[np.cumsum(change) - 1], starts[run_first]
    return _group_ids_all(data, keys)


def _group_ids_all(
    data: pd.DataFrame, keys: list[Hashable]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """:func:`_group_ids` by grouping every row."""
    groups = data.groupby(keys, sort=False, dropna=False, observed=True).ngroup()
    gid: NDArray[np.int64] = groups.to_numpy().astype(np.int64, copy=False)
    if not len(gid):
        return gid, np.zeros(0, dtype=np.int64)
    # ngroup(sort=False) numbers groups by first appearance, so a row starts a new group
    # exactly when its id exceeds every id before it.
    running = np.maximum.accumulate(gid)
    first = np.flatnonzero(np.r_[True, gid[1:] > running[:-1]])
    if np.array_equal(gid[first], np.arange(first.size)) and first.size == running[-1] + 1:
        return gid, first
    # numbering not by appearance (e.g. NaN keys): renumber
    _, first = np.unique(gid, return_index=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(order.size)
    return renumber[gid], first[order]


class Groups:
    """The groups of a table by ``keys``, for vectorised per-group work and messages.

    Attributes
    ----------
    data : DataFrame
        The table.
    keys : list
        Grouping columns; empty for one group holding the whole table (none when
        the table has no rows).
    gid : ndarray of int64
        Group of each row, numbered 0.. in order of first appearance.
    first : ndarray of int64
        Row position of each group's first row.
    n : int
        Number of groups.
    key_rows : DataFrame
        The key values of each group (RangeIndex; no columns without keys).
    """

    def __init__(self, data: pd.DataFrame, keys: list[Hashable]) -> None:
        self.data, self.keys = data, keys
        self.gid, self.first = _group_ids(data, keys)
        self.n = self.first.size
        if keys:
            self.key_rows = data[keys].iloc[self.first].reset_index(drop=True)
        else:
            self.key_rows = pd.DataFrame(index=range(self.n))

    def name(self, g: int) -> str:
        """``"group area_code='E06000033', year=2014 (Southend-on-Sea)"`` for messages.

        ``"the table"`` without keys. The ``area_name`` is added when the table
        has that column, it is not a key and it is the same in every row of the
        group.
        """
        if not self.keys:
            return "the table"
        row = self.data.iloc[self.first[g]]
        parts = []
        for k in self.keys:
            parts.append(f"{k}={show(row[k])}")
        text = "group " + ", ".join(parts)
        if "area_name" in self.data.columns and "area_name" not in self.keys:
            names = self.data["area_name"].iloc[np.flatnonzero(self.gid == g)]
            if names.nunique(dropna=False) == 1:
                text += f" ({row['area_name']})"
        return text

    def rows(self, g: int, mask: NDArray[np.bool_]) -> pd.DataFrame:
        """The rows of group ``g`` where ``mask`` is True."""
        return self.data.iloc[np.flatnonzero(mask & (self.gid == g))]
