"""Dense counting of kit events for ``aggregate_kits``: groups x periods x measures.

The method, in plain words:

1. Every event gets small integer codes, once: its period (from a table of the
   period of each day between the first and last event), its *kind* (event
   type, with issued kits split by first / repeat / other supply) and its
   group (a mixed-radix number of the codes of the grouping columns,
   renumbered to the groups that occur). Text columns are numbered by one
   hash of each text, two columns at a time for a large log
   (:mod:`~overdose_trends.io._kit_tally_codes`).
2. One :func:`numpy.bincount` over ``(group, period, kind)`` counts every
   cell; a 7 x 7 table turns kinds into measures (``kits_issued`` is the sum
   of the three issued kinds).
3. Totals over services add up the rows of the groups that differ only in
   service: nothing is counted twice from the events.
4. Only the few group keys are sorted (by the same ``sort_values`` a sort of
   the whole table would use); the rows are then written out group by group
   in that order, each group's periods in time order and measures in
   :data:`~overdose_trends.schema.MEASURES` order, which is the order of a
   stable sort of the whole table by group, period and measure. Should two
   groups share a key (a service literally called ``"all"`` next to the
   totals), the whole table is sorted instead, as such a sort would leave it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.io._kit_cells import shown_values
from overdose_trends.io._kit_dates import as_day
from overdose_trends.io._kit_periods import abs_months, period_bounds, period_index
from overdose_trends.io._kit_tally_codes import (
    column_codes,
    day_numbers,
    distinct_values,
    run_jobs,
    vocab_positions,
)
from overdose_trends.schema import COUNT_COLUMNS, EVENT_MEASURES, EVENT_TYPES, MEASURES

_EMPTY_DTYPES = {
    "period_start": "datetime64[ns]",
    "period_end": "datetime64[ns]",
    "value": "Int64",
}
_ISSUED = EVENT_TYPES.index("issued")
#: Kinds of event: the event types (issued: of unknown supply type), then issued first, repeat.
_N_KINDS = len(EVENT_TYPES) + 2
_FIRST, _REPEAT = len(EVENT_TYPES), len(EVENT_TYPES) + 1


def _kind_measures() -> np.ndarray:
    """0/1 table: does an event of each kind count in each measure?"""
    table = np.zeros((_N_KINDS, len(MEASURES)), dtype=np.int64)
    for t, etype in enumerate(EVENT_TYPES):
        table[t, MEASURES.index(EVENT_MEASURES[etype])] = 1
    issued = MEASURES.index(EVENT_MEASURES["issued"])
    table[_FIRST, [issued, MEASURES.index("kits_first_supply")]] = 1
    table[_REPEAT, [issued, MEASURES.index("kits_repeat_supply")]] = 1
    return table


_KIND_MEASURES = _kind_measures()


def _period_of(day: np.datetime64, freq: str) -> int:
    """Period number (:func:`~overdose_trends.io._kit_periods.period_index`) of one day."""
    return int(period_index(abs_months(np.asarray(day)), freq))


def count_kits(
    events: pd.DataFrame,
    freq: str,
    by: tuple[str, ...],
    *,
    total: bool,
    start: date | str | None,
    end: date | str | None,
) -> pd.DataFrame:
    """The counts table of ``aggregate_kits`` (arguments already checked), sorted."""
    extra = [c for c in by if c not in COUNT_COLUMNS]
    cols = ["area_code", "service", *extra, *COUNT_COLUMNS[2:]]
    wide = (
        None if start is None else _period_of(as_day(start), freq),
        None if end is None else _period_of(as_day(end), freq),
    )
    period, lo, kind, coded = _event_codes(events, by, freq, wide)
    if len(events) == 0:
        return _sorted(_empty(cols), by)
    n_p = int(period.max()) + 1 if wide[1] is None else max(int(period.max()), wide[1] - lo) + 1
    groups = _Groups(events, by, coded)
    dense = _dense(groups.gid * n_p + period, kind, groups.n, n_p)
    keys = groups.keys(cols)
    if total:
        t_gid, t_keys = groups.totals(cols)
        t_dense = np.zeros((len(t_keys), n_p, len(MEASURES)), dtype=np.int64)
        np.add.at(t_dense, t_gid, dense)
        dense = np.concatenate([dense, t_dense])
        keys = pd.concat([keys, t_keys], ignore_index=True)
    key_cols = cols[: 2 + len(extra)]
    if keys.duplicated(subset=key_cols).any():  # rows of equal keys interleave: sort them all
        out = _rows(keys, dense, np.arange(len(keys)), _ranges(dense, lo, wide), lo, freq)
        return _sorted(out.loc[:, cols], by)
    order = keys.sort_values(key_cols, kind="stable").index.to_numpy()  # missing keys last
    return _rows(keys, dense, order, _ranges(dense, lo, wide), lo, freq).loc[:, cols]


def _dense(cell: np.ndarray, kind: np.ndarray, n_g: int, n_p: int) -> np.ndarray:
    """Counts (group x period x measure) from each event's ``group * n_p + period`` and kind."""
    cell *= _N_KINDS
    cell += kind
    dense = np.bincount(cell, minlength=n_g * n_p * _N_KINDS).reshape(-1, _N_KINDS)
    return (dense @ _KIND_MEASURES).reshape(n_g, n_p, len(MEASURES))


def _event_codes(
    events: pd.DataFrame, by: tuple[str, ...], freq: str, wide: tuple[int | None, int | None]
) -> tuple[np.ndarray, int, np.ndarray, dict[str, tuple]]:
    """Period (from ``lo``), ``lo``, kind and the ``by`` column codes of each event.

    The columns are worked out at once (:func:`run_jobs`); a missing date is
    reported before an unknown event type.
    """
    jobs: list[Callable[[], Any]] = [partial(_periods, events["event_date"], freq, wide)]
    jobs.append(partial(vocab_positions, events["event_type"], EVENT_TYPES))
    jobs.append(partial(vocab_positions, events["supply_type"], ("first", "repeat")))
    jobs += [partial(column_codes, events[col]) for col in by]
    (period, lo), etype, supply, *coded = run_jobs(jobs, len(events))
    return period, lo, _event_kinds(events, etype, supply), dict(zip(by, coded, strict=True))


def _event_kinds(events: pd.DataFrame, etype: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """Kind of each event (see ``_KIND_MEASURES``) from its positions in the vocabularies.

    Raises ValueError for an event type outside the vocabulary.
    """
    if len(etype) and etype.min() < 0:
        row = int(np.flatnonzero(etype < 0)[0])
        # shown only when it has a category's shape and holds no personal data
        shown = shown_values(
            np.array([str(events["event_type"].iloc[row])], dtype=object), "category"
        )[0][0]
        raise ValueError(
            f"event at position {row} has event_type {shown}, not one of {EVENT_TYPES}"
        )
    table = np.repeat(np.arange(len(EVENT_TYPES))[:, None], 3, axis=1)
    table[_ISSUED, 1:] = (_FIRST, _REPEAT)  # column 0: neither first nor repeat supply
    return table.reshape(-1)[etype * 3 + supply + 1]


def _periods(
    dates: pd.Series, freq: str, wide: tuple[int | None, int | None]
) -> tuple[np.ndarray, int]:
    """Period of each event counted from the first period ``lo`` (widened by start), and ``lo``."""
    days = day_numbers(dates)
    if len(days) == 0:
        return days, 0
    first, last = int(days.min()), int(days.max())
    if last - first <= 4 * len(days) + (1 << 16):  # look each day up in a table of days
        span = np.arange(first, last + 1).astype("datetime64[D]")
        table = period_index(abs_months(span), freq)
        lo = int(table[0]) if wide[0] is None else min(int(table[0]), wide[0])
        return (table - lo)[days - first], lo
    period = period_index(abs_months(days.astype("datetime64[D]")), freq)
    lo = int(period.min()) if wide[0] is None else min(int(period.min()), wide[0])
    return period - lo, lo


class _Groups:
    """Group number of each event, and the key of each group.

    A group's first number is the mixed-radix number of its column codes; the
    groups that occur are then renumbered 0, 1, ... in the order of those
    numbers, and each group's column codes are read back from its number.
    """

    def __init__(self, events: pd.DataFrame, by: tuple[str, ...], coded: dict[str, tuple]) -> None:
        self.events, self.by, self.coded = events, by, coded
        self.radix = {col: int(codes.max()) + 1 for col, (codes, _) in self.coded.items()}
        size = int(np.prod(list(self.radix.values()), dtype=object)) if by else 1
        if size <= 4 * len(events) + (1 << 20):
            number = np.zeros(len(events), dtype=np.int64)
            for col in by:
                number *= self.radix[col]
                number += self.coded[col][0]
            seen = np.bincount(number, minlength=size) > 0
            self.gid = (np.cumsum(seen) - 1)[number]
            self.codes = self._digits(np.flatnonzero(seen))
        else:  # too many combinations for a table: sort the numbers instead
            self.gid, rows = _renumbered(self._mixed_renumbering())
            self.codes = _stack([self.coded[c][0][rows] for c in by], len(rows))
        self.n = len(self.codes)

    def _digits(self, number: np.ndarray) -> np.ndarray:
        """Column codes (groups x columns) of mixed-radix group numbers."""
        digits = []
        for col in reversed(self.by):
            number, digit = np.divmod(number, self.radix[col])
            digits.append(digit)
        return _stack(digits[::-1], len(number))

    def _mixed_renumbering(self) -> np.ndarray:
        """Mixed-radix group numbers, renumbered whenever they would grow past 2**40."""
        gid = np.zeros(len(self.events), dtype=np.int64)
        size = 1
        for col in self.by:
            gid = gid * self.radix[col] + self.coded[col][0]
            size *= self.radix[col]
            if size > 1 << 40:  # renumber the groups seen so far
                _, gid = np.unique(gid, return_inverse=True)
                size = int(gid.max()) + 1
        return gid

    def keys(self, cols: list[str]) -> pd.DataFrame:
        """Key columns of each group (``"all"`` for area and service when not grouped by)."""
        return self._keys(self.codes, self.by, cols)

    def totals(self, cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
        """Total group of each group (same key but service) and the keys of the totals."""
        rest = tuple(c for c in self.by if c != "service")
        tid = np.zeros(self.n, dtype=np.int64)
        for col in rest:
            tid = tid * self.radix[col] + self.codes[:, self.by.index(col)]
        _, first, tid = np.unique(tid, return_index=True, return_inverse=True)
        return tid.reshape(-1), self._keys(self.codes[first], rest, cols)

    def _keys(self, codes: np.ndarray, by: tuple[str, ...], cols: list[str]) -> pd.DataFrame:
        columns = {}
        for col in by:
            values = distinct_values(self.events[col], *self.coded[col])
            columns[col] = values.take(codes[:, self.by.index(col)]).reset_index(drop=True)
        keys = pd.DataFrame(columns, index=pd.RangeIndex(len(codes)))
        for col in ("area_code", "service"):
            if col not in keys.columns:
                keys[col] = "all"
        return keys[[c for c in cols if c in keys.columns]]


def _stack(digits: list[np.ndarray], n: int) -> np.ndarray:
    """Column codes as a (groups x columns) matrix."""
    return np.stack(digits, axis=1) if digits else np.zeros((n, 0), dtype=np.int64)


def _renumbered(gid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups renumbered 0..n-1 (in order of their numbers) and a row of each group."""
    _, first, inverse = np.unique(gid, return_index=True, return_inverse=True)
    return inverse.reshape(-1), first


def _ranges(
    dense: np.ndarray, lo: int, wide: tuple[int | None, int | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Each group's first and last period: with any event, widened by start/end."""
    n_p = dense.shape[1]
    active = np.asarray(dense.any(axis=2))
    first = active.argmax(axis=1)
    last = n_p - 1 - active[:, ::-1].argmax(axis=1)
    if wide[0] is not None:
        first = np.minimum(first, wide[0] - lo)
    if wide[1] is not None:
        last = np.maximum(last, wide[1] - lo)
    return first, last


def _rows(
    keys: pd.DataFrame,
    dense: np.ndarray,
    order: np.ndarray,
    ranges: tuple[np.ndarray, np.ndarray],
    lo: int,
    freq: str,
) -> pd.DataFrame:
    """The table: groups in ``order``, each group's periods, every measure in each period."""
    first, last = ranges
    n_m = len(MEASURES)
    length = (last - first + 1)[order]
    group = np.repeat(order, length)
    offset = np.arange(len(group)) - np.repeat(np.cumsum(length) - length, length)
    period = first[group] + offset
    cell_group, cell_period = np.repeat(group, n_m), np.repeat(period, n_m)
    starts, ends = period_bounds(np.arange(dense.shape[1]) + lo, freq)
    out = keys.take(cell_group).reset_index(drop=True)
    out["period_start"] = starts[cell_period]
    out["period_end"] = ends[cell_period]
    out["measure"] = pd.array(MEASURES, dtype="str").take(np.tile(np.arange(n_m), len(group)))
    values = dense[group, period].reshape(-1)
    out["value"] = pd.arrays.IntegerArray(values, np.zeros(len(values), dtype=bool))
    out["status"] = pd.array(["exact"], dtype="str").take(np.zeros(len(values), dtype=np.intp))
    return out


def _empty(cols: list[str]) -> pd.DataFrame:
    """The table without rows, with the dtypes of a table with rows."""
    return pd.DataFrame({c: pd.Series(dtype=_EMPTY_DTYPES.get(c, "str")) for c in cols})


def _sorted(counts: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """The whole table sorted (stable) by group, period and measure."""
    keys = list(dict.fromkeys(c for c in ("area_code", "service", *by) if c in counts.columns))
    order = pd.Categorical(counts["measure"], categories=MEASURES).codes
    return (
        counts.assign(_m=order)
        .sort_values([*keys, "period_start", "_m"], kind="stable")
        .drop(columns="_m")
        .reset_index(drop=True)
    )
