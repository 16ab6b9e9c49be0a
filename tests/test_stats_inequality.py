"""Quantiles and the slope index of inequality (overdose_trends.stats.inequality)."""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overdose_trends.stats.inequality import quantiles, sii

FIXTURES = Path(__file__).parent / "fixtures"
VALUE_TYPES = {0: "normal", 1: "rate", 2: "proportion"}


# --- quantiles -------------------------------------------------------------------------


def _quantile_data() -> pd.DataFrame:
    # PHEindicatormethods testdata_Quantiles.xlsx (see the fixture's header)
    return pd.read_csv(FIXTURES / "phe_quantiles_testdata.csv", comment="#")


@pytest.mark.parametrize(
    ("rows", "n", "by", "invert"),
    [
        (
            "Test == 'Gooddata' and GroupSet == 'IndSexReg'",
            10,
            ["IndSexRef", "ParentCode"],
            "invert",
        ),
        ("Test == 'Gooddata' and GroupSet == 'IndSex'", 7, ["IndSexRef"], "invert"),
        ("GroupSet.isna()", 4, None, True),  # PHE df4: ungrouped quartiles, default invert
        (
            "Test == 'GooddataDups' and GroupSet == 'IndSexReg'",
            10,
            ["IndSexRef", "ParentCode"],
            "invert",
        ),
    ],
)
def test_quantiles_reproduce_phe_test_data(rows, n, by, invert):
    d = _quantile_data().query(rows, engine="python")
    out = quantiles(d, "Value", n, by=by, invert=invert)
    got = out["quantile"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_array_equal(got, d["QuantileInGrp"].to_numpy(dtype=float))


def test_quantiles_direction_and_too_few_areas():
    d = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 3, "score": [5, 4, 3, 2, 1, 9, 8, 7]})
    hi = quantiles(d, "score", 5, by="g")
    assert hi["quantile"].iloc[:5].tolist() == [1, 2, 3, 4, 5]  # highest score = quantile 1
    assert hi["quantile"].iloc[5:].isna().all()  # 3 areas cannot make 5 quantiles
    lo = quantiles(d, "score", 5, by="g", invert=False)
    assert lo["quantile"].iloc[:5].tolist() == [5, 4, 3, 2, 1]
    assert str(hi["quantile"].dtype) == "Int64"


def test_quantiles_bad_input():
    d = pd.DataFrame({"g": ["a", "a"], "v": [1.0, 2.0], "inv": [True, False]})
    with pytest.raises(ValueError, match="varies within group g='a'"):
        quantiles(d, "v", 2, by="g", invert="inv")
    with pytest.raises(ValueError, match="at least 2"):
        quantiles(d, "v", 1)
    with pytest.raises(ValueError, match="lacks column"):
        quantiles(d, "x", 2)


# --- SII against PHEindicatormethods' test data -----------------------------------------


def _sii_cases() -> list[tuple[str, pd.DataFrame]]:
    # PHEindicatormethods testdata_SII.xlsx (see the fixture's header)
    d = pd.read_csv(FIXTURES / "phe_sii_testdata.csv", comment="#")
    return list(d.groupby("TestDescription", sort=False))


def _options(desc: str, first: pd.Series) -> dict:
    """The arguments of each PHE test, read from its description (as testSII.R passes them)."""
    if "multiple CIs" in desc:
        conf = [0.95, 0.99]
    elif "95 and 98" in desc or "95% and 98%" in desc:
        conf = [0.95, 0.98]
    elif "98%" in desc:
        conf = [0.98]
    else:
        conf = [float(first["Confidence"]) / 100]
    if "x -100" in desc:
        multiplier = -100
    elif "x 100" in desc:
        multiplier = 100
    elif "negative multiplier" in desc:
        multiplier = -1
    else:
        multiplier = 1
    return dict(conf=conf, multiplier=multiplier, transform="transform" in desc,
                value_type=VALUE_TYPES[int(first["ValueType"])],
                repetitions=int(first["Repetitions"]))  # fmt: skip


CASES = _sii_cases()


@pytest.mark.parametrize(("desc", "rows"), CASES, ids=[c[0] for c in CASES])
def test_sii_reproduces_phe_test_data(desc, rows):
    opts = _options(desc, rows.iloc[0])
    out = sii(rows, quantile="Quantile", population="Population", value="Value", lcl="LowerCL",
              ucl="UpperCL", by="Area", seed=20241204, **opts)  # fmt: skip
    expected = rows[rows["sii"].notna()].set_index("Area")
    for j, conf in enumerate(opts["conf"]):
        got = out[out["conf"] == conf].set_index("Area").loc[expected.index]
        # point estimates are deterministic: equal to PHE's to their published precision
        np.testing.assert_allclose(got["sii"], expected["sii"], rtol=1e-6, atol=1e-9)
        if expected["rii"].notna().all():
            np.testing.assert_allclose(got["rii"], expected["rii"], rtol=1e-6)
        if expected["Intercept"].notna().all():
            np.testing.assert_allclose(got["intercept"], expected["Intercept"], rtol=1e-6)
        # simulated limits: within simulation error of PHE's (R's generator differs)
        suffix = "1" if j == 0 else "2"
        for stat in ("sii", "rii"):
            lo, hi = expected[f"{stat}_lowercl_{suffix}"], expected[f"{stat}_uppercl_{suffix}"]
            if lo.isna().all():
                continue
            width = (hi - lo).abs().to_numpy()
            # 3% of the interval width: 10,000 repetitions give about 1% s.d. at the 2.5% tail
            tol = 0.03 * width
            assert np.all(np.abs(got[f"{stat}_lcl"].to_numpy() - lo.to_numpy()) < tol), stat
            assert np.all(np.abs(got[f"{stat}_ucl"].to_numpy() - hi.to_numpy()) < tol), stat


def test_sii_standard_error_input_equals_limits():
    # PHE docs: supplying the standard error instead of the 95% limits gives the same SII
    rows = dict(CASES)["default (e.g. life expectancy) - default parameters"]
    a = sii(
        rows,
        quantile="Quantile",
        population="Population",
        value="Value",
        lcl="LowerCL",
        ucl="UpperCL",
        value_type="normal",
        by="Area",
        repetitions=1000,
        seed=1,
    )
    b = sii(rows, quantile="Quantile", population="Population", value="Value", lcl=None,
            ucl=None, se="StandardError", value_type="normal", by="Area", repetitions=1000,
            seed=1)  # fmt: skip
    np.testing.assert_allclose(a["sii"], b["sii"])
    np.testing.assert_allclose(a["sii_lcl"], b["sii_lcl"], rtol=0.02)


# --- SII: the national IMD table ----------------------------------------------------------


def _imd() -> pd.DataFrame:
    # ONS 2021 registrations, Table 8 (typed; see the fixture's header)
    return pd.read_csv(FIXTURES / "ons_2021_imd_quintiles.csv", comment="#").assign(population=1.0)


def test_sii_national_imd_2021():
    out = sii(
        _imd(),
        quantile="quintile",
        by="sex",
        transform=True,
        multiplier=-1,
        repetitions=20_000,
        seed=5,
    )
    males = out.set_index("sex").loc["males"]
    # log-linear fit: the most deprived end has about ten times the rate of the least deprived
    assert males["sii"] == pytest.approx(265.519, abs=1e-3)
    assert males["rii"] == pytest.approx(10.387, abs=1e-3)
    assert males["sii_lcl"] < males["sii"] < males["sii_ucl"]
    assert males["rii_lcl"] < males["rii"] < males["rii_ucl"]
    assert (out["n_quantiles"] == 5).all()
    # deterministic point estimate, checked by hand: slope of a least-squares line through the
    # five points at relative ranks 0.1..0.9 (equal shares); SII = slope (linear, no transform)
    lin = sii(_imd().query("sex == 'males'"), quantile="quintile", repetitions=1000, seed=1)
    x = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    y = np.array([252.9, 135.0, 84.8, 59.1, 36.8])
    assert lin["sii"].iloc[0] == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-12)


def test_sii_seed_reproducible_and_reliability():
    d = _imd().query("sex == 'females'")
    d = d.rename(columns={"quintile": "quantile"})
    a = sii(d, repetitions=2000, seed=7, reliability=True)
    b = sii(d, repetitions=2000, seed=7, reliability=True)
    pd.testing.assert_frame_equal(a, b)
    assert {"sii_mad", "rii_mad"} <= set(a.columns)
    assert 0 < a["sii_mad"].iloc[0] < (a["sii_ucl"] - a["sii_lcl"]).iloc[0] / 5
    c = sii(d, repetitions=2000, seed=8)
    assert c["sii_lcl"].iloc[0] != a["sii_lcl"].iloc[0]
    assert "rii" not in sii(d, repetitions=1000, rii=False, seed=1).columns


def test_sii_unequal_numbers_of_quantiles_are_padded():
    d = _imd()
    four = d[~((d.sex == "females") & (d.quintile == 5))]
    out = sii(four, quantile="quintile", by="sex", repetitions=1000, seed=1).set_index("sex")
    alone = sii(four[four.sex == "females"], quantile="quintile", repetitions=1000, seed=1)
    assert out.loc["females", "n_quantiles"] == 4
    assert out.loc["females", "sii"] == pytest.approx(alone["sii"].iloc[0], rel=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.iloc[:1], "1 quantile\\(s\\) with data"),
        (lambda d: d.assign(population=[1.0, 0, 1, 1, 1]), "no positive population"),
        (lambda d: d.assign(rate=[1.0, np.nan, 1, 1, 1]), "has no value"),
        (lambda d: d.assign(rate=[1.0, -2, 1, 1, 1]), "not positive"),
        (lambda d: d.assign(lcl=[1.0, np.nan, 1, 1, 1]), "missing confidence limit"),
        (lambda d: d.assign(quintile=[1, 1, 3, 4, 5]), "appears twice"),
    ],
)
def test_sii_bad_input_names_the_group(change, message):
    d = change(_imd().query("sex == 'males'"))
    with pytest.raises(ValueError, match=message) as err:
        sii(d, quantile="quintile", by="sex", repetitions=1000)
    assert "sex='males'" in str(err.value)


def test_sii_bad_arguments():
    d = _imd().query("sex == 'males'")
    with pytest.raises(ValueError, match="repetitions"):
        sii(d, quantile="quintile", repetitions=10)
    with pytest.raises(ValueError, match="value_type"):
        sii(d, quantile="quintile", value_type="ratio")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="did you mean"):
        sii(d, quantile="quintile", conf=95)
    with pytest.raises(ValueError, match="proportion"):
        sii(d, quantile="quintile", value_type="proportion", repetitions=1000)


# --- SII: the vectorised simulation against a plain one -----------------------------------


def _brute_force_limits(
    d: pd.DataFrame,
    value_type: str,
    transform: bool,
    multiplier: float,
    confs: list[float],
    repetitions: int,
    seed: int,
) -> pd.DataFrame:
    """Limits simulated draw by draw in double precision with a plain least-squares fit.

    The same normal deviates as sii() (one float32 array, groups x draws x quantiles, in
    the generator's order); every draw set is fitted with numpy.linalg.lstsq on
    sqrt(a) y = c sqrt(a) + d b sqrt(a) and its SII and RII computed in full, then the
    round(R (1 - c))-th and round(R c)-th smallest values taken (PHEindicatormethods' rule,
    c = conf + (1 - conf) / 2).
    """
    to_scale = {"rate": np.log, "proportion": lambda x: np.log(x / (1 - x)),
                "normal": lambda x: x}[value_type]  # fmt: skip
    back = {"rate": np.exp, "proportion": lambda x: 1 / (1 + np.exp(-x)),
            "normal": lambda x: x}[value_type]  # fmt: skip
    transform = transform and value_type != "normal"  # as sii(): no transform of "normal"
    groups = list(d.groupby("g", sort=False))
    k_max = max(len(g) for _, g in groups)
    z = np.random.default_rng(seed).standard_normal(
        (len(groups), repetitions, k_max), dtype=np.float32
    )
    rows = []
    for i, (name, g) in enumerate(groups):
        g = g.sort_values("quantile")
        k = len(g)
        a = g["population"].to_numpy() / g["population"].sum()
        b = np.cumsum(a) - a / 2
        v = to_scale(g["rate"].to_numpy())
        se = (to_scale(g["ucl"].to_numpy()) - to_scale(g["lcl"].to_numpy())) / (2 * 1.959964)
        x = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
        sims = v + se * z[i, :, :k].astype(np.float64)
        y = sims if transform else back(sims)
        coef = np.linalg.lstsq(x, (np.sqrt(a) * y).T, rcond=None)[0]  # (2, R)
        obs = np.linalg.lstsq(x, np.sqrt(a) * (v if transform else back(v)), rcond=None)[0]
        if transform:
            icpt = obs[0] + obs[1] / 2 - coef[1] / 2
            y0, y1 = back(icpt), back(icpt + coef[1])
        else:
            y0, y1 = coef[0], coef[0] + coef[1]
        sii_draws, rii_draws = multiplier * (y1 - y0), y1 / y0
        if multiplier < 0:
            rii_draws = 1 / rii_draws
        for c in confs:
            upper = c + (1 - c) / 2
            lo, hi = round(repetitions * (1 - upper)) - 1, round(repetitions * upper) - 1
            s, r = np.sort(sii_draws), np.sort(rii_draws)
            rows.append({"g": name, "conf": c, "sii_lcl": s[lo], "sii_ucl": s[hi],
                         "rii_lcl": r[lo], "rii_ucl": r[hi]})  # fmt: skip
    return pd.DataFrame(rows)


def _three_groups() -> pd.DataFrame:
    # the 2021 table (both sexes) and a third group with quintile 3 missing (padding)
    d = _imd().rename(columns={"sex": "g"})
    third = d[d.g == "males"].assign(g="other", population=[3.0, 1.0, 2.0, 1.0, 1.5])
    return pd.concat([d, third[third.quintile != 3]]).rename(columns={"quintile": "quantile"})


@pytest.mark.parametrize(
    ("value_type", "transform", "multiplier"),
    [("rate", False, 1.0), ("rate", False, -1.0), ("rate", True, -1.0), ("rate", True, 100.0),
     ("normal", False, -100.0), ("proportion", False, 1.0), ("proportion", True, -1.0)],
)  # fmt: skip
def test_sii_simulation_equals_draw_by_draw_fit(value_type, transform, multiplier):
    d = _three_groups()
    if value_type == "proportion":  # deaths per person, not per million
        d[["rate", "lcl", "ucl"]] = d[["rate", "lcl", "ucl"]] / 1e6
    confs = [0.95, 0.998]
    got = sii(d, by="g", value_type=value_type, transform=transform, multiplier=multiplier,
              conf=confs, repetitions=2000, seed=11)  # fmt: skip
    want = _brute_force_limits(d, value_type, transform, multiplier, confs, 2000, 11)
    width = (want["sii_ucl"] - want["sii_lcl"]).abs().to_numpy()
    for col in ("sii_lcl", "sii_ucl"):
        # single-precision sums: far inside the simulation error (~1% of the width)
        assert np.all(np.abs(got[col].to_numpy() - want[col].to_numpy()) < 1e-4 * width), col
    r_width = (want["rii_ucl"] - want["rii_lcl"]).abs().to_numpy()
    # a straight line through these rates falls to about 0 at the least deprived end, so the
    # RII's draws divide by numbers near 0 and the single-precision fit shows more there
    r_tol = 2e-3 if not transform and value_type != "normal" else 1e-4
    for col in ("rii_lcl", "rii_ucl"):
        assert np.all(np.abs(got[col].to_numpy() - want[col].to_numpy()) < r_tol * r_width), col


def test_sii_chunks_do_not_change_the_draws(monkeypatch):
    from overdose_trends.stats import _sii

    d = _three_groups()
    whole = sii(d, by="g", repetitions=3000, seed=2, reliability=True)
    # one group per chunk, and each group's draws split into blocks: the same stream
    monkeypatch.setattr(_sii, "_CHUNK_CELLS", 1000)
    pieces = sii(d, by="g", repetitions=3000, seed=2, reliability=True)
    pd.testing.assert_frame_equal(whole, pieces)


# --- SII: extreme populations ---------------------------------------------------------------


@pytest.mark.parametrize("huge", [2.0**53, 1e20, 1e308])
def test_sii_population_too_large_is_refused(huge):
    d = _imd().query("sex == 'males'").copy()
    d.loc[d.index[-1], "population"] = huge
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clear error, not a numpy warning
        with pytest.raises(ValueError, match=r"sex='males', quantile 5.*'population' too large"):
            sii(d, quantile="quintile", by="sex", repetitions=1000)


def test_sii_population_in_one_quantile_is_refused():
    d = _imd().query("sex == 'males'").assign(population=[1e15, 1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="sex='males' has almost all its population in one"):
        sii(d, quantile="quintile", by="sex", repetitions=1000)


@pytest.mark.parametrize(
    "population",
    [[1e8, 1, 1, 1, 1], [1, 1, 1, 1, 1e8], [1e6, 3, 1e6, 1, 1e6], [1, 2, 3, 4, 5]],
)
def test_sii_unequal_populations_fitted_exactly(population):
    # the weighted least-squares slope in exact rational arithmetic (Low & Low's model)
    d = _imd().query("sex == 'males'").assign(population=[float(p) for p in population])
    share = [Fraction(p) / sum(Fraction(q) for q in population) for p in population]
    rank = [sum(share[:i]) + share[i] / 2 for i in range(5)]
    mean = sum(a * b for a, b in zip(share, rank, strict=True))
    var = sum(a * (b - mean) ** 2 for a, b in zip(share, rank, strict=True))
    y = [Fraction(v) for v in d["rate"]]
    exact = sum(a * (b - mean) * v for a, b, v in zip(share, rank, y, strict=True)) / var
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = sii(d, quantile="quintile", value_type="normal", repetitions=1000, seed=1)
    assert got["sii"].iloc[0] == pytest.approx(float(exact), rel=1e-8)


# --- quantiles: the ranking ------------------------------------------------------------------


def _pandas_quantiles(d: pd.DataFrame, n: int, invert: bool) -> np.ndarray:
    """The PHE rule written with pandas' own ranking, group by group."""
    out = pd.Series(np.nan, index=d.index)
    for _, g in d.groupby("g"):
        v = g["v"]
        adj = v.max() - v if invert else v
        r = adj.rank(method="min")
        m = v.notna().sum()
        if m < n:
            continue
        q = np.floor((n + 1) - np.ceil(((m + 1) - r) / (m / n)))
        out[g.index] = q.where(q != 0, 1.0)
    return out.to_numpy()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.one_of(
                st.sampled_from(
                    [0.0, -0.0, 1.0, 1.0 + 2**-52, 1.0 + 2**-51, 1.0 - 2**-53, -3.5, np.nan]
                ),
                st.floats(-1e6, 1e6, allow_nan=False),
            ),
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(2, 6),
    st.booleans(),
)
def test_quantiles_match_a_plain_ranking(rows, n, invert):
    d = pd.DataFrame(rows, columns=["g", "v"])
    got = quantiles(d, "v", n, by="g", invert=invert)["quantile"]
    np.testing.assert_array_equal(
        got.astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        _pandas_quantiles(d, n, invert),
    )


def test_quantiles_near_equal_scores_and_many_sets():
    rng = np.random.default_rng(8)
    # values agreeing to ~1e-12 (they share the packed sort key's leading bits), in
    # shuffled order, and more sets than a 16-bit group number holds
    base = np.repeat(rng.normal(size=7), 6) + np.tile(np.arange(6) * 1e-12, 7)
    d = pd.DataFrame({"g": np.repeat(np.arange(70_000), 2)[: 2 * 70_000], "v": 0.0})
    d.loc[: base.size - 1, "g"] = 0
    d.loc[: base.size - 1, "v"] = rng.permutation(base)
    d.loc[base.size :, "v"] = rng.normal(size=len(d) - base.size)
    got = quantiles(d, "v", 5, by="g")["quantile"]
    head = d.iloc[: base.size + 40]
    np.testing.assert_array_equal(
        got.iloc[: base.size + 40].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        _pandas_quantiles(head, 5, True),
    )


def test_quantile_orderings_agree():
    from overdose_trends.stats.inequality import _packed_order, _sorted_order

    rng = np.random.default_rng(4)
    values = np.round(rng.normal(size=5000), 2)
    values[::97] = np.nan
    values[1::89] = 1.0 + rng.integers(0, 4, values[1::89].size) * 2.0**-52  # near-equal
    for n_groups in (3, 70_000):  # group numbers within and beyond 16 bits
        gid = rng.integers(0, n_groups, values.size)
        gid = np.unique(gid, return_inverse=True)[1].astype(np.int64)
        for order in (_packed_order(values, gid), _sorted_order(values, gid)):
            assert order is not None and np.array_equal(np.sort(order), np.arange(values.size))
            g, v = gid[order], values[order]
            assert np.all(np.diff(g) >= 0)
            same = g[1:] == g[:-1]
            nan_last = ~(np.isnan(v[:-1]) & ~np.isnan(v[1:]))
            assert np.all(~same | ((v[1:] >= v[:-1]) | np.isnan(v[1:]))) and np.all(
                ~same | nan_last
            )


def test_sii_without_rii_keeps_the_sii_limits():
    d = _three_groups()
    full = sii(d, by="g", repetitions=2000, seed=9)
    short = sii(d, by="g", repetitions=2000, seed=9, rii=False)
    cols = ["g", "sii", "sii_lcl", "sii_ucl", "intercept"]
    pd.testing.assert_frame_equal(full[cols], short[cols])
    assert "rii_lcl" not in short.columns
