"""Tests of overdose_trends.stats.averted.deaths_averted.

Reference numbers (research note naloxone-kits.md, section 3.3, worked example,
Norfolk news figures taken at face value): use-based 2,600 x (0.10 - 0.008) =
239.2; p0 at the ends of 0.05-0.15 gives 2,600 x 0.042 = 109.2 and 2,600 x 0.142
= 369.2; distribution-based 4,000 / 227 = 17.62 (4,000/716 = 5.59 to 4,000/71 =
56.34), or 4,000 / 64 = 62.5 with the British Columbia ratio.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from overdose_trends.constants import (
    COFFIN_SULLIVAN_KITS_PER_DEATH_AVERTED,
    IRVINE_BC_KITS_PER_DEATH_AVERTED,
)
from overdose_trends.stats.averted import Prior, deaths_averted

FIXED = dict(p_fatal_without=0.10, p_fatal_with=0.008, kits_per_death_averted=227)


def quiet(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return deaths_averted(*args, **kwargs)


def by_estimator(df: pd.DataFrame) -> dict[str, pd.Series]:
    return {r["estimator"]: r for _, r in df.iterrows()}


def test_worked_example_with_fixed_parameters():
    r = by_estimator(quiet(2600, 4000, **FIXED))
    assert r["naive"]["central"] == 2600
    assert r["use_based"]["central"] == pytest.approx(239.2, rel=1e-12)  # 2600 x 0.092
    assert r["distribution_based"]["central"] == pytest.approx(17.621145, rel=1e-6)  # 4000/227
    # exact intervals: equal-tailed binomial quantiles. Cross-check by the normal
    # approximation: sd = sqrt(2600 x 0.092 x 0.908) = 14.74, 239.2 -/+ 1.96 x 14.74 =
    # 210.3 to 268.1 -> the exact quantiles 211 and 268
    assert (r["use_based"]["lower"], r["use_based"]["upper"]) == (211.0, 268.0)
    assert r["use_based"]["lower"] == stats.binom.ppf(0.025, 2600, 0.092)
    assert r["use_based"]["upper"] == stats.binom.ppf(0.975, 2600, 0.092)
    assert r["distribution_based"]["lower"] == stats.binom.ppf(0.025, 4000, 1 / 227)
    assert r["distribution_based"]["upper"] == stats.binom.ppf(0.975, 4000, 1 / 227)
    assert r["use_based"]["method"] == "exact binomial"
    assert r["use_based"]["n_draws"] == 0


def test_fixed_adjustments_scale_the_events():
    # 2,600 kits, undercount 1.5, 2 kits per event -> 1,950 events; share 0.8:
    # 1,950 x 0.8 x 0.092 = 143.52; Binomial(1950, 0.0736) quantiles
    r = by_estimator(
        quiet(2600, **FIXED, share_opioid_overdose=0.8, undercount=1.5, kits_per_event=2.0)
    )["use_based"]
    assert r["central"] == pytest.approx(143.52, rel=1e-12)
    assert r["lower"] == stats.binom.ppf(0.025, 1950, 0.8 * 0.092)
    assert r["upper"] == stats.binom.ppf(0.975, 1950, 0.8 * 0.092)


def test_monte_carlo_agrees_with_exact_when_priors_are_nearly_fixed():
    # Beta priors so concentrated that the binomial dominates: the Monte Carlo interval must
    # land within one death of the exact binomial one (211, 268)
    tight = dict(p_fatal_without=Prior.beta(0.10e7, 0.90e7), p_fatal_with=0.008)
    r = by_estimator(quiet(2600, **tight, seed=5, n_draws=40_000))["use_based"]
    assert r["method"] == "monte carlo"
    assert abs(r["lower"] - 211) <= 1 and abs(r["upper"] - 268) <= 1
    assert r["central"] == pytest.approx(239.2, rel=1e-9)


def test_default_priors_worked_example():
    r = by_estimator(deaths_averted(2600, 40_000, seed=1))
    # central values are the prior means: still 239.2 and 40,000/227 = 176.2
    assert r["use_based"]["central"] == pytest.approx(239.2, rel=1e-9)
    assert r["distribution_based"]["central"] == pytest.approx(40_000 / 227, rel=1e-9)
    # the p0 prior's 95% range is 0.0556-0.156, so the parameter part alone spans
    # 2,600 x (0.0556 - 0.008) = 124 to 2,600 x (0.156 - 0.008) = 384 (close to the reference's
    # 109-369 from plugging in 0.05 and 0.15); chance and p1 widen it a little
    assert 105 <= r["use_based"]["lower"] <= 135
    assert 370 <= r["use_based"]["upper"] <= 405
    # distribution-based: 40,000/716 = 55.9 to 40,000/71 = 563 from k alone
    assert 45 <= r["distribution_based"]["lower"] <= 62
    assert 520 <= r["distribution_based"]["upper"] <= 620
    assert r["naive"]["central"] == 2600
    assert r["use_based"]["central"] < r["naive"]["central"] / 10  # an order of magnitude


def test_priors_fitted_to_ranges():
    p0 = Prior.beta_from_interval(0.05, 0.10, 0.15)
    a, b = p0.params
    assert a / (a + b) == pytest.approx(0.10, rel=1e-12)
    assert stats.beta.ppf(0.975, a, b) - stats.beta.ppf(0.025, a, b) == pytest.approx(0.10)
    # Coffin & Sullivan's 227 (71-716) is log-symmetric: sqrt(71 x 716) = 225.5 ~ 227, so a
    # log-normal with median 227 and log-sd ln(716/71) / (2 x 1.96) = 0.5896 reproduces it:
    # 227 / sqrt(716/71) = 71.48, 227 x sqrt(716/71) = 720.9
    k = Prior.lognormal_from_interval(*COFFIN_SULLIVAN_KITS_PER_DEATH_AVERTED)
    assert k.params[1] == pytest.approx(math.log(716 / 71) / (2 * 1.959964), rel=1e-6)
    assert k.ppf([0.025, 0.975]) == pytest.approx([71.48, 720.9], abs=0.05)
    assert k.central == 227
    # British Columbia: 19,074 kits / 298 deaths averted = 64.0 kits per death averted
    assert IRVINE_BC_KITS_PER_DEATH_AVERTED[1] == pytest.approx(64.0, abs=0.05)
    r = by_estimator(quiet(None, 4000, kits_per_death_averted=IRVINE_BC_KITS_PER_DEATH_AVERTED))
    assert r["distribution_based"]["central"] == pytest.approx(4000 * 298 / 19_074)  # 62.5
    with pytest.raises(ValueError, match="too wide"):
        Prior.beta_from_interval(0.001, 0.5, 0.999)


def test_interval_narrows_as_kits_grow_towards_the_parameter_floor():
    # p0 ~ Beta(36, 324) (mean 0.10), p1 fixed 0.008, no other uncertainty. Deaths averted / U
    # -> p0 - 0.008 as U grows, so the relative width (upper - lower) / central falls towards
    # (q97.5 - q2.5) / (0.10 - 0.008) of the Beta(36, 324) prior.
    a, b = 36.0, 324.0
    floor = (stats.beta.ppf(0.975, a, b) - stats.beta.ppf(0.025, a, b)) / (0.10 - 0.008)
    widths = []
    for u in [10, 100, 1_000, 10_000, 1_000_000]:
        r = by_estimator(
            deaths_averted(
                u, p_fatal_without=Prior.beta(a, b), p_fatal_with=0.008, seed=11, n_draws=20_000
            )
        )["use_based"]
        widths.append((r["upper"] - r["lower"]) / r["central"])
    assert all(w1 > w2 for w1, w2 in zip(widths, widths[1:], strict=False))
    assert widths[-1] == pytest.approx(floor, rel=0.03)
    assert min(widths) >= floor * 0.97
    # and with every parameter fixed there is no floor: the relative width shrinks like
    # 1/sqrt(U); for U = 1e6 the exact binomial width is about 2 x 1.96 x sqrt(U q (1-q)) / (U q)
    exact = []
    for u in [100, 10_000, 1_000_000]:
        r = by_estimator(deaths_averted(u, **FIXED))["use_based"]
        exact.append((r["upper"] - r["lower"]) / r["central"])
    assert exact[0] > exact[1] > exact[2]
    q = 0.092
    assert exact[2] == pytest.approx(2 * 1.96 * math.sqrt(q * (1 - q) / 1e6) / q, rel=0.01)


def test_distribution_interval_narrows_too():
    widths = []
    for k in [100, 1_000, 10_000, 100_000]:
        r = by_estimator(deaths_averted(None, k, seed=2))["distribution_based"]
        widths.append((r["upper"] - r["lower"]) / r["central"])
    assert all(w1 > w2 for w1, w2 in zip(widths, widths[1:], strict=False))


def test_reproducible_with_seed():
    a = deaths_averted(500, 8000, seed=42)
    b = deaths_averted(500, 8000, seed=np.random.default_rng(42))
    pd.testing.assert_frame_equal(a, b)
    c = deaths_averted(500, 8000, seed=43)
    assert not a[["lower", "upper"]].equals(c[["lower", "upper"]])


def test_output_layout_and_naive_always_present():
    df = deaths_averted(None, 4000, seed=1)
    assert df["estimator"].tolist() == ["naive", "use_based", "distribution_based"]
    assert list(df.columns) == [
        "estimator", "description", "kits", "central", "lower", "upper", "conf", "n_draws",
        "method", "assumptions",
    ]  # fmt: skip
    assert df.loc[0:1, "central"].isna().all()
    assert df.loc[0, "assumptions"] == "kits_used not given"
    assert "transfer" in df.loc[2, "description"]
    full = deaths_averted(100, 4000, seed=1, conf=0.9)
    assert (full["conf"] == 0.9).all()
    assert "McDonald & Strang 2016" in full.loc[1, "assumptions"]
    assert "Coffin & Sullivan 2013" in full.loc[2, "assumptions"]
    zero = deaths_averted(0, seed=1)
    assert zero.loc[1, ["central", "lower", "upper"]].tolist() == [0.0, 0.0, 0.0]


def test_input_validation():
    with pytest.raises(ValueError, match="non-negative whole number"):
        deaths_averted(-1)
    with pytest.raises(ValueError, match="non-negative whole number"):
        deaths_averted(10.5)
    with pytest.raises(ValueError, match="whole number of kits"):
        deaths_averted("100")
    with pytest.raises(ValueError, match="give kits_used"):
        deaths_averted()
    with pytest.raises(ValueError, match="must exceed p_fatal_with"):
        deaths_averted(100, p_fatal_without=0.005, p_fatal_with=0.008)
    with pytest.raises(ValueError, match="did you mean 0.95"):
        deaths_averted(100, conf=95)
    with pytest.raises(ValueError, match="between 0 and 1"):
        deaths_averted(100, conf=1.0)
    with pytest.raises(ValueError, match="n_draws"):
        deaths_averted(100, n_draws=10)
    with pytest.raises(ValueError, match="between 0 and 1"):
        deaths_averted(100, share_opioid_overdose=1.2)
    with pytest.raises(ValueError, match="kits_per_death_averted must be >= 1"):
        deaths_averted(None, 100, kits_per_death_averted=0.5)
    with pytest.raises(ValueError, match="low < central < high"):
        deaths_averted(100, p_fatal_without=(0.15, 0.10, 0.05))
    with pytest.raises(ValueError, match="log-normal"):
        deaths_averted(100, undercount=Prior.beta(2, 2))


def test_more_kits_used_than_issued_is_refused():
    # issue #15 item 6: used > issued cannot be one scope; the message says what to do
    with pytest.raises(ValueError, match=r"kits_used \(5,000\) exceeds kits_issued \(4,000\)"):
        deaths_averted(5000, 4000, seed=1)
    with pytest.raises(ValueError, match=r"deaths_averted\(kits_used=\.\.\.\)"):
        deaths_averted(kits_used=1, kits_issued=0)
    # equal counts are possible (every kit used) and each count alone is fine
    with pytest.warns(UserWarning, match="100% of kits_issued"):
        deaths_averted(40, 40, seed=1)
    assert len(deaths_averted(kits_used=5000, seed=1)) == 3
    assert len(deaths_averted(kits_issued=4000, seed=1)) == 3


def test_scope_warnings():
    with pytest.warns(UserWarning, match="65% of kits_issued"):
        deaths_averted(2600, 4000, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        deaths_averted(400, 4000, seed=1)  # 10%: no warning
