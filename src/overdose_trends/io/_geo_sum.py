"""Sum rows of areas into other areas (harmonised codes, counties, user-defined groups).

Private to :mod:`overdose_trends.io.geography`. One engine serves
:func:`~overdose_trends.io.geography.harmonise` (every row to one target) and
:func:`~overdose_trends.io.geography.combine_areas` (rows to each group they
belong to): the caller gives a table ``source -> target``; rows are summed per
target and *key* (every column that is not the area, a summed count, a
published rate or provenance), after checking that no key sums overlapping
areas (a county with its own districts, a code with its predecessor) and,
where asked, that the members make up the whole target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.io._geo_tables import Geography

#: Columns holding published rates: they cannot be re-derived by summing.
RATE_COLUMNS = ("rate", "lcl", "ucl")
#: Columns describing the area (replaced from the lookup for the target).
AREA_COLUMNS = ("area_name", "area_level")
#: Per-row provenance (blanked on summed rows).
PROVENANCE = ("row",)
MAX_NAMED = 5


@dataclass(frozen=True)
class Plan:
    """What to sum into what, and how strictly."""

    area: str
    sums: tuple[str, ...]
    #: "raise" or "drop" for published rates of summed rows
    rates: str
    #: source code -> target codes
    mapping: dict[str, tuple[str, ...]]
    #: target -> the atoms a complete group must cover (None: no completeness check)
    wholes: dict[str, frozenset[str]] | None
    #: "raise" or "drop" for incomplete groups
    incomplete: str
    #: how to call the operation in messages ("harmonise", "combine_areas")
    verb: str
    #: names for targets that are not in the lookup (user-defined groups)
    names: dict[str, str]
    levels: dict[str, str]


def key_columns(df: pd.DataFrame, area: str, sums: Sequence[str]) -> list[str]:
    """Columns that tell rows of one area apart (year, period, sex, measure, age band ...)."""
    skip = {area, *AREA_COLUMNS, *sums, *RATE_COLUMNS, "rate_status", *PROVENANCE}
    return [c for c in df.columns if c not in skip]


def sum_areas(df: pd.DataFrame, plan: Plan, geo: Geography) -> pd.DataFrame:
    """Rows of ``df`` summed per target of ``plan.mapping`` and key."""
    keys = key_columns(df, plan.area, plan.sums)
    work, src, tgt = _expand(df, plan)
    _check_duplicates(work, keys, src, plan, geo)
    _check_overlaps(work, keys, src, tgt, plan, geo)
    grouped = work.groupby(["_tid", *keys], sort=False, dropna=False, observed=True)
    group = grouped.ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]  # first row of each group, in group order
    n_sources = np.bincount(group)
    keep = _complete(work, group, first, keys, src, tgt, plan, geo)
    out = work.iloc[first].reset_index(drop=True)
    for col in plan.sums:
        values = pd.to_numeric(work[col]).astype("Float64")
        totals = values.groupby(group).sum(min_count=1)
        gaps = values.isna().groupby(group).any()
        is_int = pd.api.types.is_integer_dtype(df[col].dtype)
        summed = totals.mask(gaps.to_numpy()).astype("Int64" if is_int else "Float64")
        out[col] = summed.reset_index(drop=True)  # group ids 0..n-1, as out's index
    _rates(out, work, group, n_sources, src, tgt, plan, geo)
    out = out[keep].reset_index(drop=True)
    codes = pd.Series([tgt[i] for i in out["_tid"]], index=out.index, dtype=object)
    out[plan.area] = codes.astype(_plain_dtype(df[plan.area]))
    _describe(out, df, tgt, plan, geo)
    return out[list(df.columns)]


def _expand(df: pd.DataFrame, plan: Plan) -> tuple[pd.DataFrame, list[str], list[str]]:
    """One row per row of ``df`` and target of its area, with the integer ids ``_sid``
    (source code) and ``_tid`` (target code) and ``_pos`` (row of ``df``)."""
    ids, uniques = pd.factorize(df[plan.area].astype(str).to_numpy(dtype=object))
    src = [str(u) for u in uniques]
    tgt = list(dict.fromkeys(t for code in src for t in plan.mapping.get(code, ())))
    tix = {t: i for i, t in enumerate(tgt)}
    pairs = [(i, tix[t]) for i, code in enumerate(src) for t in plan.mapping.get(code, ())]
    link = pd.DataFrame(pairs, columns=["_sid", "_tid"], dtype="int64")
    rows = pd.DataFrame({"_pos": np.arange(len(df)), "_sid": ids.astype("int64")})
    rows = rows.merge(link, on="_sid", how="inner").sort_values("_pos", kind="stable")
    # the area columns are rebuilt for the targets: leave them out of the (costly) copy
    described = [c for c in (plan.area, *AREA_COLUMNS) if c in df.columns]
    work = df.drop(columns=described).iloc[rows["_pos"].to_numpy()].reset_index(drop=True)
    for col in ("_pos", "_sid", "_tid"):
        work[col] = rows[col].to_numpy()
    return work, src, tgt


def _check_duplicates(
    work: pd.DataFrame, keys: list[str], src: list[str], plan: Plan, geo: Geography
) -> None:
    """Refuse two rows of one area and key (they would be summed twice)."""
    dup = work.duplicated(["_tid", "_sid", *keys])
    if dup.any():
        first = work[dup].iloc[0]
        sid = int(work.loc[dup, "_sid"].iloc[0])
        raise ValueError(
            f"{plan.verb}: {geo.name(src[sid])} has more than one row"
            f"{_key_text((None, *first[keys]), keys)}; remove the duplicates first"
        )


def _check_overlaps(
    work: pd.DataFrame,
    keys: list[str],
    src: list[str],
    tgt: list[str],
    plan: Plan,
    geo: Geography,
) -> None:
    """Refuse a key whose sources overlap (an area with a part of itself, or its predecessor)."""
    pairs = work[["_tid", "_sid"]].drop_duplicates()
    for tid_value, sids in pairs.groupby("_tid", sort=False)["_sid"]:
        tid = int(tid_value)  # type: ignore[arg-type]
        codes = [src[i] for i in sids]
        atoms = [geo.atoms.get(c) or frozenset({c}) for c in codes]
        if sum(map(len, atoms)) == len(frozenset().union(*atoms)):
            continue  # all sources disjoint
        for i, a in enumerate(codes):
            for j in range(i + 1, len(codes)):
                if not atoms[i] & atoms[j]:
                    continue
                rows = work[(work["_tid"] == tid) & work["_sid"].isin([sids.iloc[i], sids.iloc[j]])]
                if keys:
                    both = rows.groupby(keys, dropna=False, sort=False)["_sid"].nunique() > 1
                    hits = [
                        k if isinstance(k, tuple) else (k,) for k in both.index[both.to_numpy()]
                    ]
                else:
                    hits = [()] if rows["_sid"].nunique() > 1 else []
                if hits:
                    raise ValueError(
                        _overlap_message(a, codes[j], (tgt[tid], *hits[0]), keys, plan, geo)
                    )


def _overlap_message(
    a: str, b: str, where: tuple[object, ...], keys: list[str], plan: Plan, geo: Geography
) -> str:
    target = where[0] if isinstance(where, tuple) else where
    at = _key_text(where, keys)
    changes = geo.changes
    chain = set(changes["old_code"]) | set(changes["new_code"])
    if a in chain and b in chain and geo.info[a]["area_level"] == geo.info[b]["area_level"]:
        return (
            f"{plan.verb}: {geo.name(a)} and {geo.name(b)} both have rows{at}, and one is a "
            "predecessor of the other (the frame mixes code vintages): summing them into "
            f"{_target_name(str(target), plan, geo)} would count the same deaths twice; "
            "keep the rows of one vintage for each period (e.g. drop the later codes' rows "
            "for years published under the earlier codes)"
        )
    return (
        f"{plan.verb}: {geo.name(a)} and {geo.name(b)} overlap (one contains the other) and "
        f"both have rows{at}: summing them into {_target_name(str(target), plan, geo)} would "
        "count the same deaths twice; keep one level, e.g. "
        "df[df['area_level'].isin(['district', 'unitary', 'metropolitan_district', "
        "'london_borough'])] for the lower tier"
    )


def _complete(
    work: pd.DataFrame,
    group: np.ndarray,
    first: np.ndarray,
    keys: list[str],
    src: list[str],
    tgt: list[str],
    plan: Plan,
    geo: Geography,
) -> np.ndarray:
    """Which (target, key) groups cover their whole target; raise or drop the others.

    The sources of a group are disjoint (checked before), so the group is whole
    when the numbers of their atoms add up to the number of the target's atoms.
    """
    if plan.wholes is None:
        return np.ones(len(first), dtype=bool)
    wholes = plan.wholes
    size = np.array([len(geo.atoms.get(c) or (c,)) for c in src])
    need = np.array([len(wholes[t]) for t in tgt])
    have = np.bincount(group, weights=size[work["_sid"].to_numpy()])
    ok = have == need[work["_tid"].to_numpy()[first]]
    if not ok.all() and plan.incomplete == "raise":
        g = int(np.flatnonzero(~ok)[0])
        row = work.iloc[first[g]]
        target = tgt[int(row["_tid"])]
        got = frozenset().union(
            *(geo.atoms.get(src[i]) or frozenset({src[i]}) for i in work.loc[group == g, "_sid"])
        )
        lacking = sorted(_lacking(wholes[target] - got, geo))
        shown = ", ".join(geo.name(c) for c in lacking[:MAX_NAMED])
        more = f" and {len(lacking) - MAX_NAMED} more" if len(lacking) > MAX_NAMED else ""
        raise ValueError(
            f"{plan.verb}: {_target_name(target, plan, geo)} is incomplete"
            f"{_key_text((target, *row[keys]), keys)}: no rows for {shown}{more}, so the sum "
            "would undercount it; add those areas' rows, or pass incomplete='drop' to leave "
            "incomplete groups out"
        )
    return ok


def _lacking(atoms: frozenset[str], geo: Geography) -> set[str]:
    """The missing atoms, shown by their latest codes where a whole successor is missing."""
    forward = {
        old: new
        for old, new in zip(geo.changes["old_code"], geo.changes["new_code"], strict=True)
        if geo.info[old]["tier"] in ("lower", "single")
        and geo.info[new]["tier"] in ("lower", "single")
    }
    out = set()
    for atom in atoms:
        code = atom
        while code in forward and geo.atoms[forward[code]] <= atoms:
            code = forward[code]
        out.add(code)
    return out


def _rates(
    out: pd.DataFrame,
    work: pd.DataFrame,
    group: np.ndarray,
    n_sources: np.ndarray,
    src: list[str],
    tgt: list[str],
    plan: Plan,
    geo: Geography,
) -> None:
    """Published rates pass through a recode; summed rows lose them (or raise)."""
    summed = n_sources > 1
    if not summed.any():
        return
    rate_cols = [c for c in RATE_COLUMNS if c in out.columns]
    if rate_cols:
        has = work[rate_cols].notna().any(axis=1).groupby(group).any().to_numpy()
        bad = summed & has
        if bad.any() and plan.rates == "raise":
            g = int(np.flatnonzero(bad)[0])
            target = tgt[int(out["_tid"].iloc[g])]
            sids = sorted({src[i] for i in work.loc[group == g, "_sid"]})
            raise ValueError(
                f"{plan.verb}: {_target_name(target, plan, geo)} is the sum of "
                f"{', '.join(geo.name(s) for s in sids[:MAX_NAMED])}, whose published "
                f"{', '.join(rate_cols)} cannot be summed: an age-standardised rate needs "
                "the deaths and population by age band. Drop those columns first, pass "
                "rates='drop' to blank them on summed rows, or sum age-band deaths and "
                "populations with combine_areas and recompute the rate with ot.dsr"
            )
        for col in rate_cols:
            out.loc[summed, col] = np.nan
    if "rate_status" in out.columns:
        out.loc[summed, "rate_status"] = "not_available"
    for col in PROVENANCE:
        if col in out.columns:
            out[col] = out[col].astype("Int64") if out[col].dtype.kind in "iu" else out[col]
            out.loc[summed, col] = pd.NA


def _describe(
    out: pd.DataFrame, df: pd.DataFrame, tgt: list[str], plan: Plan, geo: Geography
) -> None:
    """Area name and level of each target from the lookup (or the user's names)."""
    tids = out["_tid"].to_numpy(dtype="int64")
    for col, given, default in (
        ("area_name", plan.names, None),
        ("area_level", plan.levels, "group"),
    ):
        if col in df.columns:
            values = np.array(
                [given.get(t) or str(geo.info.get(t, {}).get(col, default or t)) for t in tgt],
                dtype=object,
            )
            out[col] = pd.Series(values[tids], index=out.index, dtype=object).astype(
                _plain_dtype(df[col])
            )


def _plain_dtype(column: pd.Series) -> Any:
    """The column's dtype, or ``str`` for a categorical one (new codes are not among its
    categories)."""
    return "str" if isinstance(column.dtype, pd.CategoricalDtype) else column.dtype


def _target_name(code: str, plan: Plan, geo: Geography) -> str:
    if code in plan.names:
        return f"{plan.names[code]} ({code})" if plan.names[code] != code else code
    return geo.name(code)


def _key_text(where: object, keys: list[str]) -> str:
    if not keys or not isinstance(where, tuple):
        return ""
    parts = [f"{k}={v}" for k, v in zip(keys, where[1:], strict=False)]
    return " for " + ", ".join(parts)


#: Levels of the hierarchy that combine_areas builds from lower-tier areas.
HIERARCHY_LEVELS = ("county", "metropolitan_county", "inner_outer_london", "region", "country")


def hierarchy_plan(
    codes: Sequence[str], groups: str | Sequence[str], vintage: int, geo: Geography
) -> Plan:
    """Plan summing the lower-tier areas among ``codes`` into the aggregates of ``vintage``."""
    levels = HIERARCHY_LEVELS if groups == "all" else (
        (groups,) if isinstance(groups, str) else tuple(groups)
    )  # fmt: skip
    bad = [lv for lv in levels if lv not in HIERARCHY_LEVELS]
    if bad or not levels:
        raise ValueError(
            f"combine_areas: unknown group level(s) {bad}; use one or more of "
            f"{list(HIERARCHY_LEVELS)}, 'all', or a mapping from group code to member codes"
        )
    targets = [
        c for c in geo.codes(vintage)
        if geo.info[c]["area_level"] in levels and not c.startswith("K")
        or (geo.info[c]["area_level"] == "country" and "country" in levels)
    ]  # fmt: skip
    members = [c for c in codes if c in geo.info and geo.info[c]["tier"] in ("lower", "single")]
    mapping: dict[str, list[str]] = {}
    for target in targets:
        whole = geo.atoms[target]
        for code in members:
            if geo.atoms[code] <= whole:
                mapping.setdefault(code, []).append(target)
    return Plan(
        area="", sums=(), rates="raise", mapping={k: tuple(v) for k, v in mapping.items()},
        wholes={t: geo.atoms[t] for t in targets}, incomplete="raise", verb="combine_areas",
        names={}, levels={},
    )  # fmt: skip
