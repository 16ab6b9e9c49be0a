"""Dense counting of kit events for ``aggregate_kits``: groups x periods x measures.

Each event's period, measure and grouping-column codes are worked out once and
shared by the counts and the totals over services: every text column is
factorised once (sorted, so that group numbers follow the sorted group keys, as
a sorted ``groupby`` would), and the group of each event is a mixed-radix
number of its column codes, counted with :func:`numpy.bincount`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from overdose_trends.io._kit_dates import as_day
from overdose_trends.io._kit_periods import abs_months, period_bounds, period_index
from overdose_trends.schema import COUNT_COLUMNS, EVENT_MEASURES, EVENT_TYPES, MEASURES

_EMPTY_DTYPES = {
    "period_start": "datetime64[ns]",
    "period_end": "datetime64[ns]",
    "value": "Int64",
}
#: Measure number (position in MEASURES) of each event type (position in EVENT_TYPES).
_MEASURE_OF_TYPE = np.array([MEASURES.index(EVENT_MEASURES[e]) for e in EVENT_TYPES])


def period_of(day: np.datetime64, freq: str) -> int:
    """Period number (:func:`~overdose_trends.io._kit_periods.period_index`) of one day."""
    return int(period_index(abs_months(np.asarray(day)), freq))


class Tally:
    """Per-event period, measure and group codes, worked out once for several groupings.

    Parameters
    ----------
    events : pandas.DataFrame
        Tidy events with ``supply_type`` and the grouping columns.
    dates : numpy.ndarray
        ``event_date`` as datetime64[D], none missing.
    etype : numpy.ndarray
        Position of each event's type in :data:`~overdose_trends.schema.EVENT_TYPES`.
    freq : str
        Period length (a key of ``FREQ_MONTHS``).
    start, end : date or str, optional
        Widen every group's range of zero-filled periods to include these days.
    """

    def __init__(
        self,
        events: pd.DataFrame,
        dates: np.ndarray,
        etype: np.ndarray,
        freq: str,
        start: date | str | None,
        end: date | str | None,
    ) -> None:
        self.events, self.freq = events, freq
        self.wide_lo = None if start is None else period_of(as_day(start), freq)
        self.wide_hi = None if end is None else period_of(as_day(end), freq)
        self._codes: dict[str, tuple[np.ndarray, int]] = {}
        if len(events) == 0:
            return
        period = period_index(abs_months(dates), freq)
        lo, hi = int(period.min()), int(period.max())
        if self.wide_lo is not None:
            lo = min(lo, self.wide_lo)
        if self.wide_hi is not None:
            hi = max(hi, self.wide_hi)
        self.lo, self.n_p = lo, hi - lo + 1
        self.period = period - lo
        self.measure = _MEASURE_OF_TYPE[etype]
        supply_codes, supply_index = pd.factorize(events["supply_type"], use_na_sentinel=False)
        supply_texts = np.asarray(supply_index, dtype=object)
        issued = etype == EVENT_TYPES.index("issued")
        self.supply = [
            (issued & (supply_texts == kind)[supply_codes], MEASURES.index(name))
            for kind, name in (("first", "kits_first_supply"), ("repeat", "kits_repeat_supply"))
        ]

    def _column_codes(self, col: str) -> tuple[np.ndarray, int]:
        """Sorted codes of a grouping column (missing last, as in a sorted groupby), cached."""
        if col not in self._codes:
            codes, uniques = pd.factorize(self.events[col], sort=True)
            codes = np.asarray(codes, dtype=np.int64)
            k = len(uniques)
            if (codes < 0).any():
                codes = np.where(codes < 0, k, codes)
                k += 1
            self._codes[col] = (codes, max(k, 1))
        return self._codes[col]

    def _groups(self, by: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
        """Group number of each event (in sorted key order) and the key of each group."""
        n = len(self.events)
        if not by:
            return np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1))
        gid = np.zeros(n, dtype=np.int64)
        size = 1
        for col in by:
            codes, k = self._column_codes(col)
            gid = gid * k + codes
            size *= k
            if size > 1 << 40:  # renumber the groups seen so far (keeps their order)
                uniq, gid = np.unique(gid, return_inverse=True)
                size = len(uniq)
        if size <= 4 * n + (1 << 20):
            seen = np.bincount(gid, minlength=size) > 0
            gid = (np.cumsum(seen) - 1)[gid]
            n_g = int(seen.sum())
        else:
            uniq, gid = np.unique(gid, return_inverse=True)
            n_g = len(uniq)
        # any event of a group shows its key: every event of a group has the same key
        row = np.empty(n_g, dtype=np.int64)
        row[gid] = np.arange(n)
        keys = self.events[list(by)].iloc[row].reset_index(drop=True)
        return gid, keys

    def count(self, by: tuple[str, ...]) -> pd.DataFrame:
        """Counts per group of ``by``, period and measure, trimmed to each group's range."""
        n_m = len(MEASURES)
        extra = [c for c in by if c not in COUNT_COLUMNS]
        cols = ["area_code", "service", *extra, *COUNT_COLUMNS[2:]]
        if len(self.events) == 0:
            return pd.DataFrame({c: pd.Series(dtype=_EMPTY_DTYPES.get(c, "str")) for c in cols})
        n_p = self.n_p
        gid, keys = self._groups(by)
        n_g = len(keys)
        cell = (gid * n_p + self.period) * n_m
        dense = np.bincount(cell + self.measure, minlength=n_g * n_p * n_m)
        for mine, m in self.supply:
            dense += np.bincount(cell[mine] + m, minlength=n_g * n_p * n_m)
        dense = dense.reshape(n_g, n_p, n_m)
        # each group's range: first to last period with an event, widened by start/end
        active = dense.sum(axis=2) > 0
        first = np.where(active.any(axis=1), active.argmax(axis=1), 0)
        last = np.where(active.any(axis=1), n_p - 1 - active[:, ::-1].argmax(axis=1), -1)
        if self.wide_lo is not None:
            first = np.minimum(first, self.wide_lo - self.lo)
        if self.wide_hi is not None:
            last = np.maximum(last, self.wide_hi - self.lo)
        p = np.arange(n_p)
        g_idx, p_idx = np.nonzero((p >= first[:, None]) & (p <= last[:, None]))
        values = dense[g_idx, p_idx, :].reshape(-1)
        g_rows = np.repeat(g_idx, n_m)
        p_start, p_end = period_bounds(np.repeat(p_idx + self.lo, n_m), self.freq)
        out = keys.iloc[g_rows].reset_index(drop=True)
        for col in ("area_code", "service"):
            if col not in out.columns:
                out[col] = "all"
        out["period_start"] = p_start
        out["period_end"] = p_end
        out["measure"] = pd.array(
            np.tile(np.asarray(MEASURES, dtype=object), len(g_idx)), dtype="str"
        )
        out["value"] = pd.array(values, dtype="Int64")
        out["status"] = "exact"
        return out.loc[:, cols]
