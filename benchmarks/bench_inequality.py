"""Benchmark: indirect standardisation, quantiles and the SII at the sizes of issue #14.

Targets (issue #14, Performance):

* ISRs and quantiles for 400 areas x 20 years x 2 sexes x 19 age bands
  (304,000 rows): under 0.1 s;
* SII with 10,000 simulations for 1,000 groups: under 2 s.

Each vectorised function is timed (best of ``--repeat`` runs) beside a plain
alternative that does the same arithmetic one group at a time (a pandas
``groupby().apply`` for the ISRs and quantiles, a Python loop calling the
function on each group for the SII, on a sample of groups scaled up), and the
ratio is printed. The R package PHEindicatormethods cannot be run here (no R);
its documented method is what the functions reproduce (tests/test_stats_*.py).
Nothing is asserted: the numbers are printed as a table.

Usage::

    python benchmarks/bench_inequality.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from overdose_trends.constants import ESP2013_BANDS
from overdose_trends.stats.inequality import quantiles, sii
from overdose_trends.stats.standardise import isr

N_AREAS, N_YEARS, SEXES = 400, 20, ("males", "females")


def _isr_data(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = N_AREAS * N_YEARS * len(SEXES) * len(ESP2013_BANDS)
    keys = pd.MultiIndex.from_product(
        [range(N_AREAS), range(2001, 2001 + N_YEARS), SEXES, ESP2013_BANDS],
        names=["area", "year", "sex", "age_band"],
    ).to_frame(index=False)
    keys["age_band"] = pd.Categorical(keys["age_band"], categories=list(ESP2013_BANDS))
    keys["deaths"] = rng.poisson(0.5, n)
    keys["population"] = rng.integers(2_000, 12_000, n)
    ref = pd.DataFrame(
        {
            "age_band": list(ESP2013_BANDS),
            "ref_deaths": rng.integers(10, 800, len(ESP2013_BANDS)),
            "ref_population": rng.integers(2 * 10**6, 4 * 10**6, len(ESP2013_BANDS)),
        }
    )
    return keys, ref


def _isr_loop(data: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """The same ratios by groupby-apply (one small computation per group)."""
    rate = ref.set_index("age_band")["ref_deaths"] / ref.set_index("age_band")["ref_population"]

    def one(g: pd.DataFrame) -> pd.Series:
        e = float((g["population"] * g["age_band"].map(rate).astype(float)).sum())
        o = float(g["deaths"].sum())
        return pd.Series({"observed": o, "expected": e, "value": o / e})

    return data.groupby(["area", "year", "sex"], observed=True).apply(one)


def _quantile_data(rng: np.random.Generator) -> pd.DataFrame:
    n = N_AREAS * N_YEARS * len(SEXES) * len(ESP2013_BANDS)
    return pd.DataFrame({"set": np.repeat(np.arange(n // 400), 400), "score": rng.normal(0, 1, n)})


def _quantile_loop(data: pd.DataFrame) -> pd.Series:
    def one(v: pd.Series) -> pd.Series:
        r = (v.max() - v).rank(method="min")
        m = v.notna().sum()
        return np.floor(6 - np.ceil((m + 1 - r) / (m / 5))).clip(lower=1)

    return data.groupby("set")["score"].transform(one)


def _sii_data(rng: np.random.Generator, groups: int) -> pd.DataFrame:
    q = np.tile(np.arange(1, 6), groups)
    rate = 200 * np.exp(-0.45 * (q - 1)) * rng.uniform(0.9, 1.1, q.size)
    return pd.DataFrame(
        {
            "group": np.repeat(np.arange(groups), 5),
            "quantile": q,
            "population": rng.integers(50_000, 60_000, q.size),
            "rate": rate,
            "lcl": rate * 0.9,
            "ucl": rate * 1.1,
        }
    )


def _best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    data, ref = _isr_data(rng)
    qdata = _quantile_data(rng)
    sdata = _sii_data(rng, 1000)
    few = sdata[sdata["group"] < 20]
    rows = []

    t_isr = _best(lambda: isr(data, reference=ref, by=["area", "year", "sex"]), args.repeat)
    t_loop = _best(lambda: _isr_loop(data, ref), 1)
    rows.append(("isr, 304,000 rows (16,000 groups)", t_isr, t_loop, "< 0.1 s"))

    t_q = _best(lambda: quantiles(qdata, "score", 5, by="set"), args.repeat)
    t_qloop = _best(lambda: _quantile_loop(qdata), 1)
    rows.append(("quantiles, 304,000 rows (760 sets)", t_q, t_qloop, "< 0.1 s"))

    t_sii = _best(
        lambda: sii(sdata, by="group", repetitions=10_000, seed=1), max(1, args.repeat // 2)
    )

    def per_group() -> None:
        for _, g in few.groupby("group"):
            sii(g, repetitions=10_000, seed=1)

    t_sloop = _best(per_group, 1) * 1000 / 20
    rows.append(("sii, 1,000 groups x 10,000 repetitions", t_sii, t_sloop, "< 2 s"))

    ref = np.random.default_rng(0).random(1_000_000)
    t_ref = _best(lambda: np.sort(ref), args.repeat)
    print(f"machine check: np.sort of 1,000,000 floats took {t_ref * 1e3:.1f} ms; on a shared or")
    print("loaded machine every time below grows in proportion (compare with an idle run)")
    print(f"{'operation':44s} {'vectorised':>11s} {'plain':>10s} {'ratio':>7s}  target")
    for name, fast, slow, target in rows:
        print(f"{name:44s} {fast:10.3f}s {slow:9.3f}s {slow / fast:6.1f}x  {target}")
    print("plain: groupby-apply (isr, quantiles); a loop over groups (sii, 20 timed, scaled)")


if __name__ == "__main__":
    main()
