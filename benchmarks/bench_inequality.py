"""Benchmark: indirect standardisation, quantiles and the SII at the sizes of issue #14.

Targets (issue #14, Performance):

* ISRs and quantiles for 400 areas x 20 years x 2 sexes x 19 age bands
  (304,000 rows): under 0.1 s each;
* SII with 10,000 simulations for 1,000 groups: under 2 s.

Each vectorised function is timed ``--repeat`` times (median, and the spread
from the fastest to the slowest run) beside a plain alternative that does the
same arithmetic one group at a time: a pandas ``groupby().apply`` for the ISRs
and the quantiles, a Python loop calling :func:`sii` on each group for the SII.
The plain alternatives are slow, so they run once on a sample of the groups
and are scaled up to the full size. The table gives the ratio (plain /
vectorised) and whether the target is met by the median, with the headroom
left below it. The R package PHEindicatormethods cannot be run here (no R); its
documented method is what the functions reproduce (tests/test_stats_*.py check
its published test data).

Timings are wall-clock; processor time is shown too, as it is less disturbed
by other programs on a shared machine. The load average and the time of a fixed
numpy sort show how busy the machine was.

Usage::

    python benchmarks/bench_inequality.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from overdose_trends.constants import ESP2013_BANDS
from overdose_trends.stats.inequality import quantiles, sii
from overdose_trends.stats.standardise import isr

N_AREAS, N_YEARS, SEXES = 400, 20, ("males", "females")
#: Share of the groups on which the (slow) plain alternatives are timed.
ISR_SAMPLE, QUANTILE_SAMPLE, SII_SAMPLE = 1 / 20, 1 / 4, 20 / 1000


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


@dataclass
class Timing:
    """Wall-clock and processor seconds of repeated runs."""

    wall: list[float]
    cpu: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def spread(self) -> str:
        return f"{min(self.wall):.3f}-{max(self.wall):.3f}"


def _time(func: Callable[[], object], repeat: int, scale: float = 1.0) -> Timing:
    """Run ``func`` ``repeat`` times (after one warm-up run when repeating)."""
    if repeat > 1:
        func()
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        func()
        wall.append((time.perf_counter() - w0) * scale)
        cpu.append((time.process_time() - c0) * scale)
    return Timing(wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each function")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    rng = np.random.default_rng(2024)
    data, ref = _isr_data(rng)
    qdata = _quantile_data(rng)
    sdata = _sii_data(rng, 1000)

    isr_part = data[data["area"] < N_AREAS * ISR_SAMPLE]
    sets = qdata["set"].nunique()
    q_part = qdata[qdata["set"] < sets * QUANTILE_SAMPLE]
    sii_part = sdata[sdata["group"] < 1000 * SII_SAMPLE]

    def sii_loop() -> None:
        for _, g in sii_part.groupby("group"):
            sii(g, repetitions=10_000, seed=1)

    rows = [
        (
            "isr, 304,000 rows (16,000 groups)",
            _time(lambda: isr(data, reference=ref, by=["area", "year", "sex"]), repeat),
            _time(lambda: _isr_loop(isr_part, ref), 1, 1 / ISR_SAMPLE),
            0.1,
        ),
        (
            "quantiles, 304,000 rows (760 sets)",
            _time(lambda: quantiles(qdata, "score", 5, by="set"), repeat),
            _time(lambda: _quantile_loop(q_part), 1, 1 / QUANTILE_SAMPLE),
            0.1,
        ),
        (
            "sii, 1,000 groups x 10,000 repetitions",
            _time(lambda: sii(sdata, by="group", repetitions=10_000, seed=1), repeat),
            _time(sii_loop, 1, 1 / SII_SAMPLE),
            2.0,
        ),
    ]

    probe = np.random.default_rng(0).random(1_000_000)
    t_ref = min(_time(lambda: np.sort(probe), 5).wall)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: load average {load:.2f} over {os.cpu_count()} processors; np.sort of")
    print(f"1,000,000 floats {t_ref * 1e3:.1f} ms (on a busy machine every time below grows)")
    print(f"{repeat} timed run(s) per function; times in seconds, median (fastest-slowest)")
    print()
    print(
        f"{'operation':40s} {'median':>7s} {'spread':>12s} {'cpu':>6s} {'plain':>8s} "
        f"{'ratio':>7s}  target"
    )
    for name, fast, slow, target in rows:
        met = fast.median < target
        verdict = (
            f"< {target:g} s: met ({1 - fast.median / target:.0%} headroom)"
            if met
            else f"< {target:g} s: NOT met"
        )
        cpu = statistics.median(fast.cpu)
        print(
            f"{name:40s} {fast.median:7.3f} {fast.spread():>12s} {cpu:6.3f} "
            f"{slow.median:8.2f} {slow.median / fast.median:6.0f}x  {verdict}"
        )
    print()
    print(
        "plain: groupby-apply (isr on 1/20 of the areas, quantiles on 1/4 of the sets) and a\n"
        "loop of sii() over 20 groups, each run once and scaled to the full size"
    )


if __name__ == "__main__":
    main()
