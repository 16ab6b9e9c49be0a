"""Confidence-interval primitives against published reference values.

Expected values are transcribed from PHEindicatormethods 2.1.0 test data
(``testdata_Byars_Wilson.xlsx``, ``testdata_Rate.xlsx``,
``testdata_Proportion.xlsx``) and from ONS published intervals.
"""

from __future__ import annotations

import numpy as np
import pytest

from overdose_trends.stats.intervals import (
    byar_limits,
    dobson_limits,
    exact_poisson_limits,
    normal_limits,
    poisson_limits,
    wilson_limits,
    z_value,
)

REL = 1e-6

# testdata_Byars_Wilson.xlsx, method "Byars": x, confidence, lowercl, uppercl
BYAR_CASES = [
    (65, 0.95, 50.1631877105, 82.8491385459),
    (1045, 0.95, 982.5932018073, 1110.3312129856),
    (1, 0.95, 0.0130721329, 5.5637555825),
    (65, 0.998, 42.8802614715, 94.0002908443),
    (1045, 0.998, 947.9407035610, 1148.8061609880),
    (10, 0.998, 2.9163183747, 24.1937249279),
]

# testdata_Byars_Wilson.xlsx, method "Wilson": x, n, confidence, lowercl, uppercl
WILSON_CASES = [
    (65, 100, 0.95, 0.5525444330, 0.7363575176),
    (1045, 5000, 0.95, 0.1979554988, 0.2204913037),
    (0.445, 1, 0.95, 0.0438174477, 0.9334621277),
    (65, 100, 0.998, 0.4954946574, 0.7783540614),
    (1045, 5000, 0.998, 0.1917938180, 0.2273156290),
    (0.445, 1, 0.998, 0.0193470061, 0.9702259947),
    # testdata_Proportion.xlsx, sheet testdata_Prop (proportion of 1)
    (1, 100, 0.95, 0.0017674321, 0.0544861962),
    (9856, 12345, 0.95, 0.7912101753, 0.8053640074),
    (7776456, 7564336677, 0.998, 0.0010269040, 0.0010291813),
    (222, 3215, 0.998, 0.0564710196, 0.0841841419),
]

# testdata_Rate.xlsx, sheet testdata_Rate, rows with method "Exact" (rate per 100,
# denominator 100, so the limits equal the limits on the count).
EXACT_CASES = [
    (1, 0.95, 0.0253178080, 5.5716433909),
    (5, 0.95, 1.6234863901, 11.6683320793),
    (1, 0.998, 0.0010005003, 9.2334134765),
    (5, 0.998, 0.7393717319, 16.4547452037),
]


@pytest.mark.parametrize(("x", "conf", "lower", "upper"), BYAR_CASES)
def test_byar_matches_phe(x: int, conf: float, lower: float, upper: float) -> None:
    lo, hi = byar_limits(x, conf)
    assert lo == pytest.approx(lower, rel=REL)
    assert hi == pytest.approx(upper, rel=REL)


def test_byar_lower_is_missing_where_formula_breaks_down() -> None:
    # testdata_Byars_Wilson.xlsx last row: x = 1 at 99.8% gives lowercl NA, uppercl 9.3621802179
    lo, hi = byar_limits(1, 0.998)
    assert np.isnan(lo)
    assert hi == pytest.approx(9.3621802179, rel=REL)


@pytest.mark.parametrize(("x", "n", "conf", "lower", "upper"), WILSON_CASES)
def test_wilson_matches_phe(x: float, n: float, conf: float, lower: float, upper: float) -> None:
    lo, hi = wilson_limits(x, n, conf)
    assert lo == pytest.approx(lower, rel=REL)
    assert hi == pytest.approx(upper, rel=REL)


@pytest.mark.parametrize(("x", "conf", "lower", "upper"), EXACT_CASES)
def test_exact_poisson_matches_phe(x: int, conf: float, lower: float, upper: float) -> None:
    lo, hi = exact_poisson_limits(x, conf)
    assert lo == pytest.approx(lower, rel=REL)
    assert hi == pytest.approx(upper, rel=REL)
    lo2, hi2 = poisson_limits(x, conf, method="exact")
    assert (lo2, hi2) == (lo, hi)


def test_phe_rule_is_exact_below_10_and_byar_from_10() -> None:
    # PHE (2018) Technical Guide / PHEindicatormethods phe_rate: exact limits for counts < 10,
    # Byar's for 10 or more. Reference values: EXACT_CASES (testdata_Rate.xlsx, count 1 and 5)
    # and BYAR_CASES (testdata_Byars_Wilson.xlsx, counts 10, 65 and 1045).
    counts = np.array([5.0, 65.0, np.nan, 1.0, 1045.0, 0.0])
    lo, hi = poisson_limits(counts, 0.95, method="phe")
    assert lo[[0, 1, 3, 4]] == pytest.approx(
        [1.6234863901, 50.1631877105, 0.0253178080, 982.5932018073], rel=REL
    )
    assert hi[[0, 1, 3, 4]] == pytest.approx(
        [11.6683320793, 82.8491385459, 5.5716433909, 1110.3312129856], rel=REL
    )
    assert np.isnan(lo[2]) and np.isnan(hi[2])
    assert lo[5] == 0.0 and hi[5] == pytest.approx(-np.log(0.025), rel=1e-12)
    # at 99.8% a count of 1 has no Byar lower limit, but the PHE rule uses the exact one;
    # 10 is the first count given Byar's limits
    lo, hi = poisson_limits([1, 5, 10, 65], 0.998, method="phe")
    assert lo == pytest.approx([0.0010005003, 0.7393717319, 2.9163183747, 42.8802614715], rel=REL)
    assert hi == pytest.approx([9.2334134765, 16.4547452037, 24.1937249279, 94.0002908443], rel=REL)
    # a scalar count gives scalar-shaped limits
    lo, hi = poisson_limits(5, 0.95, method="phe")
    assert lo.shape == () and float(lo) == pytest.approx(1.6234863901, rel=REL)
    with pytest.raises(ValueError, match="did you mean 0.95"):
        poisson_limits([np.nan], 95, method="phe")


def test_zero_count() -> None:
    lo, hi = exact_poisson_limits(0)
    assert lo == 0.0
    # upper limit for 0 events at 95%: -ln(0.025) = 3.688879...
    assert hi == pytest.approx(-np.log(0.025), rel=1e-12)
    lo, hi = byar_limits(0)
    assert lo == 0.0 and hi > 0


def test_vectorised_with_missing_values() -> None:
    lo, hi = poisson_limits(np.array([65.0, np.nan, 1045.0]))
    assert lo.shape == (3,) and np.isnan(lo[1]) and np.isnan(hi[1])
    assert lo[0] == pytest.approx(50.1631877105, rel=REL)


def test_ons_published_interval_is_dobson_with_exact_poisson_count_limits() -> None:
    # ONS LA 2019 edition, Table 3: Southend-on-Sea 2013-15, 47 deaths, ASMR 8.8 (6.5-11.7);
    # Norwich 2016-18, 80 deaths, 21.0 (16.6-26.3). A Dobson interval is
    # DSR + sqrt(V / O) * (O_L - O, O_U - O): its asymmetry is that of the exact Poisson
    # limits on the count. The age-specific deaths behind V are not published, so the check
    # is that one unrounded rate (rounding to the published one) and one variance V
    # reproduce BOTH published limits to 0.1.
    rates = np.linspace(-0.0499, 0.0499, 101)[:, None]
    for deaths, rate, lcl, ucl in ((47, 8.8, 6.5, 11.7), (80, 21.0, 16.6, 26.3)):
        r = rate + rates
        scale = np.linspace(0.5, 2.0, 1501)[None, :] * r / deaths  # sqrt(V / O)
        variance = scale**2 * deaths
        lo, hi = dobson_limits(deaths, variance, r, count_method="exact")
        assert ((np.round(lo, 1) == lcl) & (np.round(hi, 1) == ucl)).any()
        # a symmetric (normal-approximation) interval cannot give the published limits
        half = np.linspace(0.0, 10.0, 10001)
        assert not ((np.round(rate - half, 1) == lcl) & (np.round(rate + half, 1) == ucl)).any()
    # Southend's published interval is reproduced with equal weights, V = DSR^2 / O
    lo, hi = dobson_limits(47, 8.8**2 / 47, 8.8, count_method="exact")
    assert (round(float(lo), 1), round(float(hi), 1)) == (6.5, 11.7)


def test_z_value_and_bad_conf() -> None:
    assert z_value(0.95) == pytest.approx(1.959963985, rel=1e-9)
    assert z_value(0.998) == pytest.approx(3.090232306, rel=1e-9)
    with pytest.raises(ValueError, match=r"did you mean 0.95"):
        z_value(95)
    with pytest.raises(ValueError, match="between 0 and 1"):
        z_value(1.0)
    with pytest.raises(ValueError, match="unknown Poisson interval method"):
        poisson_limits(5, method="wald")  # type: ignore[arg-type]


def test_normal_limits() -> None:
    lo, hi = normal_limits(10.0, 1.0, 0.95)
    assert lo == pytest.approx(10 - 1.959963985, rel=1e-9)
    assert hi == pytest.approx(10 + 1.959963985, rel=1e-9)


# --- scipy.special in place of scipy.stats (issue #15, Performance) ---------------------------


def test_special_functions_equal_scipy_stats_to_1e_12():
    from scipy import stats

    from overdose_trends.stats import _distributions as d

    rng = np.random.default_rng(15)
    n = rng.integers(1, 5000, 4000).astype(float)
    k = np.floor(rng.random(4000) * (n + 2)) - 1.0  # includes -1 and n (outside the support)
    p = rng.random(4000)
    q = rng.random(4000)
    a = rng.integers(1, 3000, 4000).astype(float)
    pairs = [
        (d.norm_ppf(q), stats.norm.ppf(q)),
        (d.norm_sf(q * 10 - 5), stats.norm.sf(q * 10 - 5)),
        (d.half_chi2_ppf(q, a), stats.chi2.ppf(q, 2 * a) / 2),
        (d.beta_ppf(q, a, n + 1), stats.beta.ppf(q, a, n + 1)),
        (d.binom_cdf(k, n, p), stats.binom.cdf(k, n, p)),
        (d.binom_sf(k, n, p), stats.binom.sf(k, n, p)),
    ]
    inside = (k >= 0) & (k <= n)
    pairs.append((d.binom_logpmf(k, n, p)[inside], stats.binom.logpmf(k, n, p)[inside]))
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert np.isnan(d.half_chi2_ppf(0.5, 0.0)) and np.isnan(d.beta_ppf(0.5, 0.0, 2.0))


def test_intervals_and_comparisons_do_not_import_scipy_stats():
    import subprocess
    import sys

    code = (
        "import sys, overdose_trends.stats.intervals, overdose_trends.stats.compare, "
        "overdose_trends.stats.rates, overdose_trends.stats.funnel; "
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
