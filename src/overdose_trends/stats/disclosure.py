"""Statistical disclosure control of published count tables.

UK public-health publications hide small counts so that individuals cannot be
identified, and make sure the hidden counts cannot be worked back out from
totals. :func:`suppress_small` does both, plus optional rounding, on any tidy
table (one row per cell, key columns plus a numeric count column):

1. **Primary suppression**: counts from 1 to ``threshold - 1`` are hidden. With
   the default ``threshold=5`` that is 1-4. Zeros are shown.
2. **Secondary (complementary) suppression**, when the table holds totals
   (rows whose key is a total label such as ``service == "all"``): a total row
   and its parts form a *line* (an equation ``total = sum(parts)``). While
   any line has exactly one hidden cell, another cell of that line is
   hidden too: preferably one that also protects another such line, else a
   non-zero cell before any zero cell, and among those parts before totals
   and smaller values first (so a non-zero total is hidden before a zero
   part). After the lines are stable the remaining hidden cells are checked
   against the whole system of equations (all lines at once, as an attacker
   with linear algebra would): any hidden cell still determined exactly is
   protected by hiding one more cell of one of its lines, and the process
   repeats until no hidden cell is determined. Two-dimensional (area x month)
   and higher tables with totals in several dimensions are handled the same
   way.
3. **Rounding** (optional): every shown non-zero count, totals included, is
   rounded to the nearest ``rounding`` (e.g. 5, as NDTMS ViewIt does); totals
   are rounded from their unrounded values, so they need not equal the sum of
   the rounded parts.

Choice of defaults
------------------
*Threshold 5 (counts 1-4 hidden) with zeros shown.* The ONS guidance on
health statistics (2006) treats cells of 1-2 as potentially disclosive and 3-4
as disclosive too for small areas or sensitive topics; drug use is sensitive
and kit tables are often small-area, so 1-4 are hidden. NHS Digital's rule for
HES before September 2018 hid 1-5 (``threshold=6``) with manual secondary
suppression, and its later automatable rule for sub-national outputs is
reported as hiding 1-7 and rounding all other counts to the nearest 5
(``threshold=8, rounding=5``). Neither NHS Digital rule shows zeros as
suppressed. No named preset is offered because the exact NHS Digital count
wording could not be checked; pass the parameters instead.

*Secondary suppression on by default.* Primary suppression alone is not
enough whenever totals are published: a hidden cell is recovered by
subtracting the shown cells from the total (this is how suppressed CDC WONDER
cells are routinely recovered).

Limits
------
The algorithm is a greedy heuristic: it protects against exact recovery by
any linear combination of the published equations, but it does not find the
minimum number of hidden cells, and it does not compute the width of the
range an attacker can derive using non-negativity (a hidden cell can be
bounded, e.g. to 0-7, without being recovered). It preferably hides non-zero
complements because zero complements give weaker protection under
non-negativity. Apply disclosure control once, to the final unrounded table;
do not publish two overlapping tables controlled separately.

References
----------
Office for National Statistics (2006). *Review of the Dissemination of Health
Statistics: Confidentiality Guidance*. ONS, London.

NHS Digital (2018). *Disclosure control methodology for Hospital Episode
Statistics (HES) and Emergency Care Data Set (ECDS)* (change from September
2018). https://digital.nhs.uk/data-and-information/data-tools-and-services/data-services/hospital-episode-statistics/change-to-disclosure-control-methodology-for-hes-and-ecds-from-september-2018

Hundepool A, Domingo-Ferrer J, Franconi L, et al. (2012). *Statistical
Disclosure Control*. Wiley, chapter 4 (secondary cell suppression in
magnitude and frequency tables).

Government Statistical Service (2021). *Symbols in tables, definitions and
shorthand* (``[c]`` for confidential values).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import whole_counts

__all__ = ["add_margins", "determined_cells", "suppress_small"]

#: Statuses of input cells whose value is unknown (kept hidden, never recomputed).
_UNKNOWN = ("suppressed", "not_reported")


# --- public API ---------------------------------------------------------------------------------


def add_margins(
    df: pd.DataFrame,
    margins: Mapping[str, str],
    value: str = "value",
    *,
    keys: Sequence[str] | None = None,
    status: str = "status",
) -> pd.DataFrame:
    """Append total rows over one or more dimensions of a tidy table.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per cell; unrounded, unsuppressed counts.
    margins : mapping of str to str
        Dimension column -> label of its total (e.g. ``{"service": "all"}``,
        or ``{"area_code": "total", "period": "total"}`` for a two-way table).
        Totals are added for every non-empty subset of these dimensions, so a
        two-way table gets row totals, column totals and the grand total.
    value : str, default "value"
        Count column.
    keys : sequence of str, optional
        Columns identifying a cell; default every column except ``value`` and
        ``status``.
    status : str, default "status"
        Status column, if present: a total is ``"exact"`` when all its parts
        are known, else ``"not_reported"`` with value ``<NA>``.

    Returns
    -------
    pandas.DataFrame
        ``df`` followed by the total rows (same columns; value ``Int64``).

    Raises
    ------
    ValueError
        If a margin column is not a key, or already holds its total label.

    References
    ----------
    Hundepool A, Domingo-Ferrer J, Franconi L, et al. (2012). *Statistical
    Disclosure Control*. Wiley, chapter 4 (frequency tables with marginal
    totals, and the equations ``total = sum(parts)`` that secondary
    suppression protects).
    """
    keys = _keys(df, value, status, keys)
    for dim, label in margins.items():
        if dim not in keys:
            raise ValueError(f"margin column {dim!r} is not one of the key columns {keys}")
        if (df[dim].astype("object") == label).any():
            raise ValueError(
                f"column {dim!r} already holds total rows labelled {label!r}; "
                "pass them to suppress_small(totals=...) instead of adding margins"
            )
    base = df.copy()
    base[value] = whole_counts(base[value], value)
    pieces = [base]
    dims = list(margins)
    for r in range(1, len(dims) + 1):
        for subset in combinations(dims, r):
            rest = [k for k in keys if k not in subset]
            tot: pd.DataFrame
            if rest:
                sums = base.groupby(rest, sort=False, dropna=False, observed=True)[value].sum(
                    skipna=False
                )
                tot = sums.reset_index()
            else:
                tot = pd.DataFrame({value: [base[value].sum(skipna=False)]})
            for dim in subset:
                tot[dim] = margins[dim]
            if status in df.columns:
                tot[status] = np.where(tot[value].isna(), "not_reported", "exact")
            pieces.append(tot.loc[:, [c for c in df.columns if c in tot.columns]])
    out = pd.concat(pieces, ignore_index=True)
    out[value] = out[value].astype("Int64")
    return out


def suppress_small(
    df: pd.DataFrame,
    value: str = "value",
    *,
    threshold: int = 5,
    totals: Mapping[str, str] | None = None,
    keys: Sequence[str] | None = None,
    rounding: int | None = None,
    secondary: bool = True,
    status: str = "status",
    explain: bool = False,
) -> pd.DataFrame:
    """Hide small counts, protect them from differencing, and optionally round.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy table, one row per cell, with unrounded non-negative integer
        counts in ``value``. Cells whose value is ``<NA>`` (or whose status is
        ``"suppressed"``/``"not_reported"``) are treated as unknown.
    value : str, default "value"
        Count column.
    threshold : int, default 5
        Counts ``1 <= count < threshold`` are suppressed (primary). Zeros are
        shown. ``threshold=1`` turns primary suppression off.
    totals : mapping of str to str, optional
        Dimension column -> label of the rows holding the total over that
        dimension, e.g. ``{"service": "all"}``; for a two-way table with row
        and column totals ``{"area_code": "total", "month": "total"}``. Each
        total row must equal the sum of the other rows that share all its
        other keys (checked where all are known). Without totals only primary
        suppression applies. See :func:`add_margins` to compute totals first.
    keys : sequence of str, optional
        Columns that identify a cell; default every column except ``value``
        and ``status``. Rows must be unique on them. Cells that differ in a
        key not listed in ``totals`` (e.g. ``measure`` or ``period_start``)
        belong to separate, independent tables.
    rounding : int, optional
        If given (e.g. 5), every shown non-zero count is rounded to the
        nearest multiple (halves rounded up), after suppression; totals are
        rounded from their own unrounded values.
    secondary : bool, default True
        Apply secondary suppression (only matters when ``totals`` is given).
    status : str, default "status"
        Status column to write (created if absent).
    explain : bool, default False
        Add a ``suppression`` column: ``"primary"``, ``"secondary"`` or
        ``<NA>``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` (same row order) with ``value`` as ``Int64``
        (``<NA>`` where hidden) and ``status``: ``"suppressed"`` (hidden by
        this function or already suppressed), ``"not_reported"`` (unknown on
        input), ``"rounded"`` (shown after rounding; zeros stay ``"exact"``) or
        ``"exact"``.

    Raises
    ------
    ValueError
        For a missing column, negative or non-integer counts, duplicated
        cells, input already rounded, or a total that does not equal the sum
        of its parts (the message names the total's keys).

    Notes
    -----
    Complementary cells are chosen one at a time for the first line with a
    single hidden cell: a cell that also completes another such line first
    (in a two-way table this closes a rectangle of four hidden cells), then
    any non-zero cell before any zero cell; among those, parts before totals
    (cells that are the total of fewer lines first), then smaller values, so
    a non-zero total is hidden before a zero part. The final check solves the
    published equations jointly: a hidden cell is *determined* when the unit
    vector of that cell lies in the row space of the equations restricted to
    hidden cells (see :func:`determined_cells`); the loop ends when none is.
    Every pass hides at least one more cell, so it always ends.

    References
    ----------
    ONS (2006) *Confidentiality guidance for health statistics*; NHS Digital
    (2018) *Disclosure control methodology for HES and ECDS*; Hundepool et al.
    (2012) *Statistical Disclosure Control*, Wiley, ch. 4.

    Examples
    --------
    Kits returned used by three services and their total: 3 is hidden
    (primary), and so is one more cell of the line, else 3 = 35 - 12 - 20:

    >>> df = pd.DataFrame({"service": ["A", "B", "C", "all"], "value": [3, 12, 20, 35]})
    >>> ot.suppress_small(df, totals={"service": "all"}, explain=True)
      service  value      status suppression
    0       A   <NA>  suppressed     primary
    1       B   <NA>  suppressed   secondary
    2       C     20       exact         NaN
    3     all     35       exact         NaN
    """
    threshold = int(threshold)
    if threshold < 1:
        raise ValueError(f"threshold must be >= 1, got {threshold}")
    if rounding is not None and (int(rounding) != rounding or rounding < 2):
        raise ValueError(f"rounding must be an integer >= 2 or None, got {rounding!r}")
    keys = _keys(df, value, status, keys)
    totals = dict(totals or {})
    for dim in totals:
        if dim not in keys:
            raise ValueError(f"totals column {dim!r} is not one of the key columns {keys}")
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        first = df.loc[dup, keys].iloc[0].to_dict()
        raise ValueError(f"{int(dup.sum())} rows share their keys {keys}, e.g. {first}")

    v = whole_counts(df[value], value).to_numpy(dtype="float64", na_value=np.nan)
    in_status = (
        df[status].astype("object").to_numpy()
        if status in df.columns
        else np.full(len(df), None, dtype=object)
    )
    if np.isin(in_status, ["rounded"]).any():
        raise ValueError(
            f"column {status!r} has 'rounded' cells: apply disclosure control to unrounded counts"
        )
    known = ~np.isnan(v) & ~np.isin(in_status, list(_UNKNOWN))
    primary = known & (v > 0) & (v < threshold)
    hidden = primary | ~known

    lines = _lines(df, keys, totals)
    if len(lines):
        _check_totals(df, keys, lines, v, known)
    if secondary and len(lines):
        hidden = _secondary(lines, v, hidden)

    out = df.copy()
    shown = v.copy()
    shown[hidden] = np.nan
    new_status = np.where(hidden, "suppressed", "exact").astype(object)
    new_status[~known] = np.where(in_status[~known] == "suppressed", "suppressed", "not_reported")
    if rounding is not None:
        to_round = ~hidden & (shown != 0)
        shown[to_round] = np.floor(shown[to_round] / rounding + 0.5) * rounding
        new_status[to_round] = "rounded"
    out[value] = pd.arrays.IntegerArray(
        np.where(np.isnan(shown), 0, shown).astype(np.int64), np.isnan(shown)
    )
    out[status] = pd.Series(new_status, index=df.index, dtype="str")
    if explain:
        reason = np.full(len(df), None, dtype=object)
        reason[primary] = "primary"
        reason[hidden & known & ~primary] = "secondary"
        out["suppression"] = pd.Series(reason, index=df.index, dtype="str")
    return out


def determined_cells(
    df: pd.DataFrame,
    totals: Mapping[str, str],
    value: str = "value",
    *,
    keys: Sequence[str] | None = None,
    status: str = "status",
) -> pd.Series:
    """Which hidden cells of a published table can be recovered exactly from its totals.

    An audit of a table as published (after :func:`suppress_small`, or one
    received from elsewhere): the shown cells and the equations ``total =
    sum(parts)`` are combined, and a hidden cell is flagged when it is a linear
    function of the shown values alone. Rounded tables are not audited
    (rounding breaks the equations).

    Parameters
    ----------
    df, totals, value, keys, status
        As in :func:`suppress_small`; hidden cells are those with ``<NA>``
        values.

    Returns
    -------
    pandas.Series of bool
        Indexed like ``df``; True for a hidden cell that is determined.

    References
    ----------
    Cox LH (1980). Suppression methodology and statistical disclosure
    control. *Journal of the American Statistical Association*
    75(370):377-385 (complementary suppression; a suppression pattern is
    safe only if no hidden cell follows from the published equations).

    Hundepool A, Domingo-Ferrer J, Franconi L, et al. (2012). *Statistical
    Disclosure Control*. Wiley, chapter 4 (auditing a suppressed table).
    """
    keys = _keys(df, value, status, keys)
    v = whole_counts(df[value], value).to_numpy(dtype="float64", na_value=np.nan)
    hidden = np.isnan(v)
    lines = _lines(df, keys, dict(totals))
    det = _determined(lines, hidden, len(df)) if len(lines) else np.zeros(len(df), bool)
    return pd.Series(det, index=df.index, name="determined")


# --- internals ----------------------------------------------------------------------------------


def _keys(df: pd.DataFrame, value: str, status: str, keys: Sequence[str] | None) -> list[str]:
    if value not in df.columns:
        raise ValueError(f"value column {value!r} not found; columns are {list(df.columns)}")
    if keys is None:
        keys = [c for c in df.columns if c not in (value, status)]
    keys = list(keys)
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise ValueError(f"key columns {missing} not found; columns are {list(df.columns)}")
    if not keys:
        raise ValueError("the table needs at least one key column besides the value")
    return keys


def _lines(df: pd.DataFrame, keys: list[str], totals: Mapping[str, str]) -> pd.DataFrame:
    """Long table of the equations: line, cell (row position), sign (+1 part, -1 total)."""
    frames = []
    offset = 0
    for dim, label in totals.items():
        rest = [k for k in keys if k != dim]
        if rest:
            gid = df.groupby(rest, sort=False, dropna=False, observed=True).ngroup().to_numpy()
        else:
            gid = np.zeros(len(df), dtype=np.int64)
        is_total = (df[dim].astype("object") == label).to_numpy()
        n_groups = int(gid.max()) + 1 if len(gid) else 0
        has_total = np.bincount(gid[is_total], minlength=n_groups) > 0
        n_cells = np.bincount(gid, minlength=n_groups)
        keep = has_total[gid] & (n_cells[gid] > 1)
        frames.append(
            pd.DataFrame(
                {
                    "line": gid[keep] + offset,
                    "cell": np.flatnonzero(keep),
                    "sign": np.where(is_total[keep], -1, 1),
                    "dim": dim,
                }
            )
        )
        offset += n_groups
    if not frames:
        return pd.DataFrame({"line": [], "cell": [], "sign": [], "dim": []})
    lines = pd.concat(frames, ignore_index=True)
    # renumber lines densely
    lines["line"] = pd.factorize(lines["line"])[0]
    return lines


def _check_totals(
    df: pd.DataFrame,
    keys: list[str],
    lines: pd.DataFrame,
    v: NDArray[np.float64],
    known: NDArray[np.bool_],
) -> None:
    cell = lines["cell"].to_numpy()
    contrib = lines["sign"].to_numpy() * np.where(known[cell], v[cell], 0.0)
    residual = np.bincount(lines["line"], weights=contrib)
    all_known = np.bincount(lines["line"], weights=~known[cell]) == 0
    bad = np.flatnonzero(all_known & (residual != 0))
    if len(bad):
        line = bad[0]
        total_cell = lines.loc[(lines["line"] == line) & (lines["sign"] == -1), "cell"].iloc[0]
        dim = lines.loc[lines["line"] == line, "dim"].iloc[0]
        where = df.iloc[total_cell][keys].to_dict()
        raise ValueError(
            f"{len(bad)} total(s) do not equal the sum of their parts, e.g. total over "
            f"{dim!r} at {where}: total {v[total_cell]:g} vs parts "
            f"{v[total_cell] + residual[line]:g}"
        )


def _cell_order(lines: pd.DataFrame, v: NDArray[np.float64]) -> NDArray[np.int64]:
    """Preference of each cell as a complement (lower first).

    Non-zero cells before zeros (a zero complement protects less), parts
    before totals (cells that are the total of fewer lines first), then
    smaller values, then table order.
    """
    n = len(v)
    roles = np.bincount(lines["cell"].to_numpy()[lines["sign"].to_numpy() < 0], minlength=n)
    order = np.lexsort((np.arange(n), np.nan_to_num(v), roles, v == 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def _pick(
    lines: pd.DataFrame,
    rank: NDArray[np.int64],
    hidden: NDArray[np.bool_],
    target_lines: NDArray[np.int64],
    n_hidden: NDArray[np.float64],
) -> int | None:
    """The complementary cell to hide next, from the unhidden cells of ``target_lines``.

    Prefers a cell that also completes other lines left with a single hidden
    cell (it protects two lines at once), then the order of :func:`_cell_order`.
    """
    line = lines["line"].to_numpy()
    cell = lines["cell"].to_numpy()
    cand = np.unique(cell[np.isin(line, target_lines) & ~hidden[cell]])
    if not len(cand):
        return None
    other = np.isin(cell, cand) & ~np.isin(line, target_lines) & (n_hidden[line] == 1)
    fixes = np.bincount(cell[other], minlength=len(hidden))[cand]
    return int(cand[np.lexsort((rank[cand], -fixes))[0]])


def _secondary(
    lines: pd.DataFrame, v: NDArray[np.float64], hidden: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    hidden = hidden.copy()
    rank = _cell_order(lines, v)
    line = lines["line"].to_numpy()
    cell = lines["cell"].to_numpy()
    n_lines = int(line.max()) + 1
    while True:
        n_hidden = np.bincount(line, weights=hidden[cell], minlength=n_lines).astype(np.float64)
        single = np.flatnonzero(n_hidden == 1)
        if len(single):
            # 1. line rule: no line may keep exactly one hidden cell (a line has >= 2 cells)
            hidden[_pick(lines, rank, hidden, single[:1], n_hidden)] = True
            continue
        # 2. joint check: no hidden cell may follow from all equations together
        det = _determined(lines, hidden, len(v))
        if not det.any():
            return hidden
        picked = _pick(lines, rank, hidden, np.unique(line[det[cell]]), n_hidden)
        if picked is None:
            warnings.warn(
                f"{int(det.sum())} hidden cell(s) remain recoverable from totals and no cell is "
                "left to hide in their lines; hide the totals or merge categories",
                stacklevel=3,
            )
            return hidden
        hidden[picked] = True


def _determined(lines: pd.DataFrame, hidden: NDArray[np.bool_], n: int) -> NDArray[np.bool_]:
    """Hidden cells whose value follows from the equations and the shown cells.

    With A the equations restricted to hidden cells, cell j is determined iff
    every vector of the null space of A is zero at j. Solved per connected
    component of the hidden-cell / equation graph, so each SVD stays small.
    """
    # scipy is imported here, not at module level, so that importing the disclosure rules
    # does not pay for scipy's import time.
    from scipy import linalg, sparse
    from scipy.sparse import csgraph

    det = np.zeros(n, dtype=bool)
    sub = lines[hidden[lines["cell"].to_numpy()]]
    if sub.empty:
        return det
    line_ids, li = np.unique(sub["line"].to_numpy(), return_inverse=True)
    cell_ids, ci = np.unique(sub["cell"].to_numpy(), return_inverse=True)
    a = sparse.coo_matrix(
        (sub["sign"].to_numpy(dtype=float), (li, ci)), shape=(len(line_ids), len(cell_ids))
    ).tocsr()
    graph = sparse.bmat([[None, a], [a.T, None]]).tocsr()
    n_comp, labels = csgraph.connected_components(graph, directed=False)
    cell_labels = labels[len(line_ids) :]
    line_labels = labels[: len(line_ids)]
    for comp in range(n_comp):
        cols = np.flatnonzero(cell_labels == comp)
        rows = np.flatnonzero(line_labels == comp)
        if not len(cols):
            continue
        block = a[rows][:, cols].toarray()
        null = linalg.null_space(block)
        if null.shape[1] == 0:
            det[cell_ids[cols]] = True
        else:
            det[cell_ids[cols[np.abs(null).max(axis=1) < 1e-9]]] = True
    return det
