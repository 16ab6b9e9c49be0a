"""Checked and reshaped kit counts tables (for :mod:`overdose_trends.stats.kit_metrics`).

Private to the kit metrics: :func:`check_counts` validates a counts table
(:data:`overdose_trends.schema.COUNT_COLUMNS`), :func:`wide` puts measures side
by side, :func:`combine_status` gives the worst status of several cells and
:func:`rebucket_checked` sums a checked table to calendar-year windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from overdose_trends._frames import whole_counts
from overdose_trends.schema import COUNT_COLUMNS, COUNT_STATUSES, MEASURES

Missing = Literal["not_reported", "zero"]
#: Columns identifying a series: area and service.
KEYS = ["area_code", "service"]
#: Columns identifying a cell: a series and its period.
CELL = [*KEYS, "period_start", "period_end"]
#: Statuses of a cell whose value can be used.
USABLE = ("exact", "rounded")
#: Counts summed per window by :func:`rebucket_checked`.
_TALLIES = ["value", "n_parts", "n_suppressed", "n_not_reported", "n_rounded", "days"]


# --- validation and reshaping -----------------------------------------------------------------


def check_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Validated copy of a counts table with datetime periods and Int64 values."""
    missing = [c for c in COUNT_COLUMNS if c not in counts.columns]
    if missing:
        raise ValueError(
            f"counts table lacks columns {missing}; expected {list(COUNT_COLUMNS)} "
            "(see overdose_trends.schema.COUNT_COLUMNS)"
        )
    df = counts.loc[:, list(COUNT_COLUMNS)].copy()
    for col in ("period_start", "period_end"):
        try:
            df[col] = pd.to_datetime(df[col]).dt.normalize()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"column {col!r} must hold dates: {exc}") from exc
    if df[["period_start", "period_end"]].isna().any().any():
        row = df.index[df[["period_start", "period_end"]].isna().any(axis=1)][0]
        raise ValueError(f"row {row!r}: period_start/period_end missing")
    bad = df["period_end"] < df["period_start"]
    if bad.any():
        row = df.index[bad][0]
        raise ValueError(f"row {row!r}: period_end is before period_start")
    unknown = ~df["measure"].isin(MEASURES)
    if unknown.any():
        raise ValueError(
            f"unknown measure(s) {sorted(set(df.loc[unknown, 'measure']))}; "
            f"expected one of {MEASURES}"
        )
    bad_status = ~df["status"].isin(COUNT_STATUSES)
    if bad_status.any():
        raise ValueError(
            f"unknown status value(s) {sorted(set(df.loc[bad_status, 'status'].astype(str)))}; "
            f"expected one of {COUNT_STATUSES}"
        )
    df["value"] = whole_counts(df["value"], "value")
    usable = df["status"].isin(USABLE)
    hole = usable & df["value"].isna()
    if hole.any():
        row = df.index[hole][0]
        raise ValueError(
            f"row {row!r}: status {df.loc[row, 'status']!r} but no value; "
            "use status 'suppressed' or 'not_reported' for missing counts"
        )
    filled = ~usable & df["value"].notna()
    if filled.any():
        row = df.index[filled][0]
        raise ValueError(
            f"row {row!r}: status {df.loc[row, 'status']!r} but a value is given; "
            "suppressed or not-reported cells must have value <NA>"
        )
    dup = df.duplicated([*CELL, "measure"], keep=False)
    if dup.any():
        first = df.loc[dup, [*CELL, "measure"]].iloc[0].to_dict()
        raise ValueError(f"{int(dup.sum())} rows repeat the same cell and measure, e.g. {first}")
    return df


def check_missing(missing: str) -> None:
    if missing not in ("not_reported", "zero"):
        raise ValueError(f"missing must be 'not_reported' or 'zero', got {missing!r}")


def wide(df: pd.DataFrame, measures: Sequence[str], missing: Missing) -> pd.DataFrame:
    """One row per cell with ``<measure>`` (Int64) and ``<measure>_status`` columns."""
    check_missing(missing)
    cells = df.loc[:, CELL].drop_duplicates().reset_index(drop=True)
    out = cells
    for m in measures:
        part = df.loc[df["measure"] == m, [*CELL, "value", "status"]]
        part = part.rename(columns={"value": m, "status": f"{m}_status"})
        out = out.merge(part, on=CELL, how="left")
        absent = out[f"{m}_status"].isna()
        if missing == "zero":
            out.loc[absent, m] = 0
            out.loc[absent, f"{m}_status"] = "exact"
        else:
            out.loc[absent, f"{m}_status"] = "not_reported"
        out[m] = out[m].astype("Int64")
        out[f"{m}_status"] = out[f"{m}_status"].astype("str")
    return out.sort_values(CELL, kind="stable").reset_index(drop=True)


#: Position of each status in COUNT_STATUSES, which runs from best to worst.
_SEVERITY = {s: i for i, s in enumerate(COUNT_STATUSES)}


def combine_status(*statuses: pd.Series) -> pd.Series:
    """Worst status of several cells: the latest in :data:`COUNT_STATUSES` order."""
    worst = np.max(np.column_stack([s.map(_SEVERITY).to_numpy() for s in statuses]), axis=1)
    names = np.asarray(COUNT_STATUSES, dtype=object)
    return pd.Series(names[worst], index=statuses[0].index, dtype="str")


# --- re-bucketing to calendar years -----------------------------------------------------------


def _check_calendar_rows(df: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """``df`` sorted by series and start; raises for a row spanning two years or overlaps."""
    span = df["period_start"].dt.year != df["period_end"].dt.year
    if span.any():
        row = df.index[span][0]
        raise ValueError(
            f"row {row!r} ({df.loc[row, 'period_start']:%Y-%m-%d} to "
            f"{df.loc[row, 'period_end']:%Y-%m-%d}, area {df.loc[row, 'area_code']}, measure "
            f"{df.loc[row, 'measure']}) spans two calendar years; only monthly, quarterly or "
            "calendar-year rows can be summed to calendar years"
        )
    df = df.sort_values([*group, "period_start"], kind="stable")
    prev_end = df.groupby(group, sort=False)["period_end"].shift()
    overlap = prev_end.notna() & (df["period_start"] <= prev_end)
    if overlap.any():
        row = df.index[overlap][0]
        raise ValueError(
            f"row {row!r}: period starting {df.loc[row, 'period_start']:%Y-%m-%d} overlaps the "
            f"previous row of area {df.loc[row, 'area_code']}, service "
            f"{df.loc[row, 'service']}, measure {df.loc[row, 'measure']}"
        )
    return df


def _yearly(df: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """Per series and calendar year: summed value, parts, parts by status and days covered."""
    df = df.assign(
        year=df["period_start"].dt.year,
        days=(df["period_end"] - df["period_start"]).dt.days + 1,
    )
    for s in ("suppressed", "not_reported", "rounded"):
        df[f"n_{s}"] = (df["status"] == s).astype("int64")
    return (
        df.groupby([*group, "year"], sort=True)
        .agg(
            value=("value", "sum"),
            n_parts=("value", "size"),
            n_suppressed=("n_suppressed", "sum"),
            n_not_reported=("n_not_reported", "sum"),
            n_rounded=("n_rounded", "sum"),
            days=("days", "sum"),
        )
        .reset_index()
    )


def _windows(yearly: pd.DataFrame, group: list[str], years: int) -> pd.DataFrame:
    """Every window of a series (by ``end_year``) with the sums of its years' tallies.

    Windows end in every year from the one starting in the first year of data to the
    last year; data spanning fewer years than the window still get one, flagged
    ``before_data``.
    """
    spans = yearly.groupby(group, sort=True)["year"].agg(["min", "max"]).reset_index()
    last = spans["max"].to_numpy()
    first_end = np.minimum((spans["min"] + years - 1).to_numpy(), last)
    n_windows = last - first_end + 1
    windows = spans.loc[spans.index.repeat(n_windows), [*group, "min"]].reset_index(drop=True)
    offsets = np.arange(n_windows.sum()) - np.repeat(np.cumsum(n_windows) - n_windows, n_windows)
    windows["end_year"] = np.repeat(first_end, n_windows) + offsets
    windows["before_data"] = windows["end_year"] - years + 1 < windows["min"]
    # each year contributes to the windows ending in that year ... year + years - 1
    shifted = pd.concat(
        [yearly.assign(end_year=yearly["year"] + k) for k in range(years)], ignore_index=True
    )
    sums = shifted.groupby([*group, "end_year"], sort=False)[_TALLIES].sum().reset_index()
    out = windows.merge(sums, on=[*group, "end_year"], how="left")
    for c in _TALLIES[1:]:
        out[c] = out[c].fillna(0).astype("int64")
    out["value"] = out["value"].fillna(0).astype("Int64")
    out["period_start"] = pd.to_datetime(
        {"year": out["end_year"] - years + 1, "month": 1, "day": 1}
    )
    out["period_end"] = pd.to_datetime({"year": out["end_year"], "month": 12, "day": 31})
    return out


def _window_status(out: pd.DataFrame, missing: Missing) -> pd.DataFrame:
    """``coverage``, ``status`` (value hidden unless usable) and ``note`` of each window."""
    window_days = (out["period_end"] - out["period_start"]).dt.days + 1
    out["coverage"] = out["days"] / window_days
    uncovered = ((out["days"] < window_days) & (missing == "not_reported")) | out["before_data"]
    status = np.select(
        [out["n_suppressed"] > 0, (out["n_not_reported"] > 0) | uncovered, out["n_rounded"] > 0],
        ["suppressed", "not_reported", "rounded"],
        "exact",
    )
    out["status"] = pd.Series(status, index=out.index, dtype="str")
    out.loc[~out["status"].isin(USABLE), "value"] = pd.NA
    note = np.where(
        out["n_suppressed"] > 0, out["n_suppressed"].astype(str) + " suppressed part(s); ", ""
    )
    note = note + np.where(
        out["n_not_reported"] > 0,
        out["n_not_reported"].astype(str) + " part(s) not reported; ",
        "",
    )
    note = note + np.where(
        uncovered, (window_days - out["days"]).astype(str) + " day(s) with no row; ", ""
    )
    note = note + np.where(out["before_data"], "window starts before the first year of data", "")
    out["note"] = pd.Series(note, index=out.index, dtype="str").str.rstrip("; ")
    return out


def rebucket_checked(df: pd.DataFrame, years: int, missing: Missing) -> pd.DataFrame:
    """``rebucket`` of a table already checked by :func:`check_counts`."""
    group = [*KEYS, "measure"]
    df = _check_calendar_rows(df, group)
    out = _window_status(_windows(_yearly(df, group), group, years), missing)
    cols = [*COUNT_COLUMNS, "n_parts", "coverage", "note"]
    return out.loc[:, cols].sort_values([*CELL, "measure"], kind="stable").reset_index(drop=True)
