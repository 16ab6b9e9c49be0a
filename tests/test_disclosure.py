"""Tests of overdose_trends.stats.disclosure.

Expected patterns are worked out by hand in the comments. Protection is checked
with attackers written here independently of the module: (1) "peeling", i.e.
repeatedly solving any published equation total = sum(parts) that has a single
unknown; (2) linear algebra, i.e. is the unit vector of a hidden cell in the
row space of the equations (numpy matrix_rank); (3) linear programming with
non-negativity (scipy linprog), i.e. is the feasible range of a hidden cell a
single point.
"""

from __future__ import annotations

import warnings
from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from overdose_trends.stats.disclosure import add_margins, determined_cells, suppress_small

# --- independent attackers ----------------------------------------------------------------------


def equations(table: pd.DataFrame, totals: dict[str, str], keys: list[str]):
    """List of (total_row_index, [part_row_indices]) built with plain Python."""
    eqs = []
    rows = {tuple(r[k] for k in keys): i for i, r in table.iterrows()}
    for dim, label in totals.items():
        others = [k for k in keys if k != dim]
        for key, i in rows.items():
            rec = dict(zip(keys, key, strict=True))
            if rec[dim] != label:
                continue
            parts = [
                j
                for key2, j in rows.items()
                if dict(zip(keys, key2, strict=True))[dim] != label
                and all(dict(zip(keys, key2, strict=True))[o] == rec[o] for o in others)
            ]
            if parts:
                eqs.append((i, parts))
    return eqs


def peel(table: pd.DataFrame, totals: dict[str, str], keys: list[str]) -> dict:
    """Values an attacker recovers by repeated single-unknown differencing."""
    known = {i: float(v) for i, v in table["value"].items() if not pd.isna(v)}
    hidden = set(table.index) - set(known)
    recovered = {}
    changed = True
    eqs = equations(table, totals, keys)
    while changed:
        changed = False
        for tot, parts in eqs:
            cells = [tot, *parts]
            unknown = [c for c in cells if c not in known]
            if len(unknown) != 1:
                continue
            u = unknown[0]
            if u == tot:
                val = sum(known[p] for p in parts)
            else:
                val = known[tot] - sum(known[p] for p in parts if p != u)
            known[u] = val
            if u in hidden:
                recovered[u] = val
            changed = True
    return recovered


def linear_system(table: pd.DataFrame, totals: dict[str, str], keys: list[str]):
    hidden = [i for i, v in table["value"].items() if pd.isna(v)]
    col = {c: j for j, c in enumerate(hidden)}
    a_rows, b = [], []
    for tot, parts in equations(table, totals, keys):
        row = np.zeros(len(hidden))
        rhs = 0.0
        for c, sign in [(tot, -1.0)] + [(p, 1.0) for p in parts]:
            if c in col:
                row[col[c]] += sign
            else:
                rhs -= sign * float(table.loc[c, "value"])
        if row.any():
            a_rows.append(row)
            b.append(rhs)
    a = np.array(a_rows) if a_rows else np.zeros((0, len(hidden)))
    return hidden, a, np.array(b)


def rank_determined(table, totals, keys) -> set:
    hidden, a, _ = linear_system(table, totals, keys)
    if not len(a):
        return set()
    r = np.linalg.matrix_rank(a)
    out = set()
    for j, c in enumerate(hidden):
        e = np.zeros(len(hidden))
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, e])) == r:
            out.add(c)
    return out


def lp_ranges(table, totals, keys) -> dict:
    """Feasible [min, max] of each hidden cell given equations and non-negativity."""
    hidden, a, b = linear_system(table, totals, keys)
    out = {}
    for j, c in enumerate(hidden):
        obj = np.zeros(len(hidden))
        obj[j] = 1.0
        kw = dict(A_eq=a, b_eq=b) if len(a) else {}
        lo = linprog(obj, bounds=(0, None), method="highs", **kw)
        hi = linprog(-obj, bounds=(0, None), method="highs", **kw)
        out[c] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def assert_protected(out: pd.DataFrame, totals: dict[str, str], keys: list[str]) -> None:
    assert peel(out, totals, keys) == {}
    assert rank_determined(out, totals, keys) == set()
    for c, (lo, hi) in lp_ranges(out, totals, keys).items():
        assert hi - lo > 0.5, f"hidden cell {out.loc[c, keys].to_dict()} pinned to {lo}"


def two_way(values: dict[tuple[str, str], int]) -> pd.DataFrame:
    df = pd.DataFrame([{"area": a, "month": m, "value": v} for (a, m), v in values.items()])
    return add_margins(df, {"area": "all", "month": "all"})


# --- primary suppression ------------------------------------------------------------------------


def test_primary_threshold_and_zeros():
    # threshold 5: counts 1-4 hidden; 0 and 5 shown
    df = pd.DataFrame({"area": list("abcdef"), "value": [0, 1, 4, 5, 6, 120]})
    out = suppress_small(df, explain=True)
    assert out["value"].tolist() == [0, pd.NA, pd.NA, 5, 6, 120]
    assert out["status"].tolist() == [
        "exact",
        "suppressed",
        "suppressed",
        "exact",
        "exact",
        "exact",
    ]
    assert out["suppression"].fillna("-").tolist()[:3] == ["-", "primary", "primary"]
    assert str(out["value"].dtype) == "Int64"
    # threshold 1 turns primary suppression off
    assert suppress_small(df, threshold=1)["value"].tolist() == [0, 1, 4, 5, 6, 120]
    # threshold 8 hides 1-7 (the rule the reference note attributes to NHS Digital from 2018)
    assert suppress_small(df, threshold=8)["value"].isna().tolist() == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]


def test_primary_alone_is_recoverable_from_a_total():
    # services A=3, B=12, C=20, all=35: hiding only A lets 35 - 12 - 20 = 3 be recovered
    df = pd.DataFrame({"service": ["A", "B", "C", "all"], "value": [3, 12, 20, 35]})
    primary_only = suppress_small(df, totals={"service": "all"}, secondary=False)
    assert peel(primary_only, {"service": "all"}, ["service"]) == {0: 3.0}
    out = suppress_small(df, totals={"service": "all"}, explain=True)
    # secondary: the smallest non-zero other part (B = 12) is hidden too; the total stays
    assert out["value"].tolist() == [pd.NA, pd.NA, 20, 35]
    assert out["suppression"].fillna("-").tolist() == ["primary", "secondary", "-", "-"]
    assert_protected(out, {"service": "all"}, ["service"])


def test_single_part_hides_the_total():
    # area with one service: total = that service, so a hidden part forces a hidden total
    df = pd.DataFrame({"service": ["A", "all"], "value": [3, 3]})
    out = suppress_small(df, totals={"service": "all"})
    assert out["value"].isna().all()
    assert out["status"].tolist() == ["suppressed", "suppressed"]


def test_zero_complement_only_when_no_non_zero_part():
    # A=2 hidden; candidates: B=0, C=9 -> the non-zero C is chosen, not the zero
    df = pd.DataFrame({"service": ["A", "B", "C", "all"], "value": [2, 0, 9, 11]})
    out = suppress_small(df, totals={"service": "all"})
    assert out["value"].tolist() == [pd.NA, 0, pd.NA, 11]
    assert_protected(out, {"service": "all"}, ["service"])


def test_two_hidden_cells_need_no_complement():
    df = pd.DataFrame({"service": ["A", "B", "C", "all"], "value": [2, 3, 30, 35]})
    out = suppress_small(df, totals={"service": "all"})
    assert out["value"].tolist() == [pd.NA, pd.NA, 30, 35]


# --- two-way tables -----------------------------------------------------------------------------

# area x month, row and column totals (computed by hand):
#          m1  m2  m3 | all
#    A      3  10  12 |  25
#    B     20  15   8 |  43
#    C      9  30  11 |  50
#    all   32  55  31 | 118
HAND = {
    ("A", "m1"): 3, ("A", "m2"): 10, ("A", "m3"): 12,
    ("B", "m1"): 20, ("B", "m2"): 15, ("B", "m3"): 8,
    ("C", "m1"): 9, ("C", "m2"): 30, ("C", "m3"): 11,
}  # fmt: skip
TOTALS = {"area": "all", "month": "all"}


def test_add_margins_by_hand():
    t = two_way(HAND).set_index(["area", "month"])["value"]
    assert [t["A", "all"], t["B", "all"], t["C", "all"]] == [25, 43, 50]
    assert [t["all", "m1"], t["all", "m2"], t["all", "m3"], t["all", "all"]] == [32, 55, 31, 118]
    with pytest.raises(ValueError, match="already holds total rows"):
        add_margins(two_way(HAND), {"area": "all"})


def test_two_way_pattern_by_hand():
    # A.m1 = 3 is hidden. Row A then needs a complement: A.m2 = 10 (smallest). Column m1
    # needs one: C.m1 = 9 (smallest). Column m2 now has one hidden cell (A.m2) and row C
    # has one (C.m1): C.m2 closes both. Result: the 4-cycle A.m1, A.m2, C.m1, C.m2.
    t = two_way(HAND)
    out = suppress_small(t, totals=TOTALS, explain=True)
    hidden = set(map(tuple, out.loc[out["value"].isna(), ["area", "month"]].to_numpy()))
    assert hidden == {("A", "m1"), ("A", "m2"), ("C", "m1"), ("C", "m2")}
    assert (out.loc[out["value"].isna(), "suppression"] == "secondary").sum() == 3
    assert_protected(out, TOTALS, ["area", "month"])
    assert not determined_cells(out, TOTALS).any()


def test_primary_only_two_way_is_recoverable():
    out = suppress_small(two_way(HAND), totals=TOTALS, secondary=False)
    rec = peel(out, TOTALS, ["area", "month"])
    assert list(rec.values()) == [3.0]


def test_determined_cells_finds_a_bridge():
    # Two hidden 4-cycles linked by one hidden cell (r2, c3). Every row and column has at least
    # two hidden cells, so single-line differencing recovers nothing, yet adding rows r1, r2 and
    # subtracting columns c1, c2 gives (r2, c3) exactly (a "bridge" of the hidden-cell graph).
    vals = {(f"r{i}", f"c{j}"): 10 + i + j for i, j in product(range(1, 6), range(1, 6))}
    t = two_way(vals)
    hide = {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"),
            ("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4"), ("r2", "c3")}  # fmt: skip
    pub = t.copy()
    mask = [(a, m) in hide for a, m in zip(t["area"], t["month"], strict=True)]
    pub.loc[mask, "value"] = pd.NA
    assert peel(pub, TOTALS, ["area", "month"]) == {}
    det = determined_cells(pub, TOTALS)
    flagged = set(map(tuple, pub.loc[det, ["area", "month"]].to_numpy()))
    assert flagged == {("r2", "c3")}
    bridge = pub.index[(pub["area"] == "r2") & (pub["month"] == "c3")][0]
    assert rank_determined(pub, TOTALS, ["area", "month"]) == {bridge}
    # fed to suppress_small as already-suppressed cells, the bridge gets a complement
    pub["status"] = np.where(mask, "suppressed", "exact")
    out = suppress_small(pub, totals=TOTALS)
    assert out["value"].isna().sum() > len(hide)
    assert_protected(out, TOTALS, ["area", "month"])


@pytest.mark.parametrize("seed", range(12))
def test_random_two_way_tables_are_protected(seed):
    rng = np.random.default_rng(seed)
    vals = {
        (f"a{i}", f"m{j}"): int(rng.poisson(rng.choice([2.0, 6.0, 20.0])))
        for i, j in product(range(6), range(5))
    }
    t = two_way(vals)
    out = suppress_small(t, totals=TOTALS)
    shown = out["value"].notna()
    # shown cells keep their values; primary cells (1-4) are all hidden
    assert (out.loc[shown, "value"] == t.loc[shown, "value"]).all()
    assert out.loc[t["value"].between(1, 4), "value"].isna().all()
    assert_protected(out, TOTALS, ["area", "month"])


def test_three_way_table_with_service_totals():
    # area x month x service with totals over area and over service
    rng = np.random.default_rng(7)
    rows = [
        {"area": a, "month": m, "service": s, "value": int(rng.poisson(5))}
        for a, m, s in product(["x", "y", "z"], ["m1", "m2"], ["s1", "s2", "s3"])
    ]
    t = add_margins(pd.DataFrame(rows), {"area": "all", "service": "all"})
    tot = {"area": "all", "service": "all"}
    out = suppress_small(t, totals=tot)
    assert_protected(out, tot, ["area", "month", "service"])
    # the month key separates independent tables: no equation mixes months
    for _, parts in equations(out, tot, ["area", "month", "service"]):
        assert out.loc[parts, "month"].nunique() == 1


def test_other_keys_are_independent_tables():
    df = pd.DataFrame(
        {
            "measure": ["issued"] * 3 + ["used"] * 3,
            "service": ["A", "B", "all"] * 2,
            "value": [3, 40, 43, 10, 12, 22],
        }
    )
    out = suppress_small(df, totals={"service": "all"})
    # issued: A hidden, so B (only other part) hidden; used: nothing small
    assert out["value"].tolist() == [pd.NA, pd.NA, 43, 10, 12, 22]


# --- rounding -----------------------------------------------------------------------------------


def test_rounding_after_suppression_totals_from_unrounded():
    # parts 12, 12, 12 -> 10 each; total 36 -> 35 (not the 30 of the rounded parts); 0 stays 0
    df = pd.DataFrame({"service": ["A", "B", "C", "D", "all"], "value": [12, 12, 12, 0, 36]})
    out = suppress_small(df, totals={"service": "all"}, rounding=5)
    assert out["value"].tolist() == [10, 10, 10, 0, 35]
    assert out["status"].tolist() == ["rounded", "rounded", "rounded", "exact", "rounded"]
    # halves round up: 15 -> 20 and 25 -> 30 to the nearest 10
    df2 = pd.DataFrame({"k": ["a", "b", "c"], "value": [15, 25, 14]})
    assert suppress_small(df2, rounding=10)["value"].tolist() == [20, 30, 10]


def test_rounding_keeps_suppressed_hidden():
    df = pd.DataFrame({"service": ["A", "B", "C", "all"], "value": [3, 12, 23, 38]})
    out = suppress_small(df, totals={"service": "all"}, rounding=5)
    assert out["value"].tolist() == [pd.NA, pd.NA, 25, 40]


# --- unknown input cells and validation ---------------------------------------------------------


def test_unknown_input_cells_keep_their_status_and_count_as_hidden():
    df = pd.DataFrame(
        {
            "service": ["A", "B", "C", "all"],
            "value": pd.array([None, 20, 30, 57], dtype="Int64"),
            "status": ["not_reported", "exact", "exact", "exact"],
        }
    )
    out = suppress_small(df, totals={"service": "all"})
    # A is unknown but recoverable (57 - 20 - 30 = 7): B is hidden to protect it
    assert out["status"].tolist() == ["not_reported", "suppressed", "exact", "exact"]
    assert out["value"].tolist() == [pd.NA, pd.NA, 30, 57]


def test_validation():
    with pytest.raises(ValueError, match="non-negative whole counts"):
        suppress_small(pd.DataFrame({"k": ["a"], "value": [-1]}))
    with pytest.raises(ValueError, match="non-negative whole counts"):
        suppress_small(pd.DataFrame({"k": ["a"], "value": [2.5]}))
    with pytest.raises(ValueError, match="share their keys"):
        suppress_small(pd.DataFrame({"k": ["a", "a"], "value": [1, 2]}))
    with pytest.raises(ValueError, match="do not equal the sum"):
        suppress_small(
            pd.DataFrame({"service": ["A", "B", "all"], "value": [10, 20, 31]}),
            totals={"service": "all"},
        )
    with pytest.raises(ValueError, match="unrounded"):
        suppress_small(pd.DataFrame({"k": ["a"], "value": [10], "status": ["rounded"]}))
    with pytest.raises(ValueError, match="not one of the key columns"):
        suppress_small(pd.DataFrame({"k": ["a"], "value": [10]}), totals={"x": "all"})
    with pytest.raises(ValueError, match="rounding"):
        suppress_small(pd.DataFrame({"k": ["a"], "value": [10]}), rounding=1)
    with pytest.raises(ValueError, match="value column"):
        suppress_small(pd.DataFrame({"k": ["a"], "n": [10]}))


def test_input_not_modified_and_no_warnings():
    t = two_way(HAND)
    before = t.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        suppress_small(t, totals=TOTALS, rounding=5)
    pd.testing.assert_frame_equal(t, before)
