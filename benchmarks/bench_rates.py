"""Time overdose_trends.stats.rates on a national-scale synthetic table.

Builds 400 areas x 20 years x 2 sexes x 19 ESP 2013 age bands (304,000 rows) of
seeded random deaths and populations, then times :func:`dsr` (by area, year and
sex, with 95% limits) for each interval method, :func:`crude_rate` (row by row
and grouped) and :func:`pool_periods`, printing the best of several runs.
Target: ``dsr`` under 0.5 s.

Run: ``.venv/bin/python benchmarks/bench_rates.py``
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from overdose_trends.constants import ESP2013_BANDS
from overdose_trends.stats.rates import crude_rate, dsr, pool_periods

N_AREAS, N_YEARS, SEXES = 400, 20, ("males", "females")
REPEATS = 5


def build(seed: int = 2024) -> pd.DataFrame:
    """Synthetic long table: one row per area, year, sex and age band."""
    rng = np.random.default_rng(seed)
    n_bands = len(ESP2013_BANDS)
    n = N_AREAS * N_YEARS * len(SEXES) * n_bands
    areas = np.array([f"E{6000000 + i:08d}" for i in range(N_AREAS)], dtype=object)
    area = np.repeat(np.arange(N_AREAS), N_YEARS * len(SEXES) * n_bands)
    year = np.tile(np.repeat(np.arange(2001, 2001 + N_YEARS), len(SEXES) * n_bands), N_AREAS)
    sex = np.tile(np.repeat(np.arange(len(SEXES)), n_bands), N_AREAS * N_YEARS)
    band = np.tile(np.arange(n_bands), N_AREAS * N_YEARS * len(SEXES))
    population = rng.integers(500, 20_000, size=n)
    deaths = rng.poisson(population * 8e-5)
    return pd.DataFrame(
        {
            "area_code": pd.array(areas[area], dtype="str"),
            "year": year.astype(np.int64),
            "sex": pd.array(np.asarray(SEXES, dtype=object)[sex], dtype="str"),
            "age_band": pd.Categorical.from_codes(band, categories=list(ESP2013_BANDS)),
            "deaths": deaths.astype(np.int64),
            "population": population.astype(np.int64),
        }
    )


def best_of(fn: Callable[[], pd.DataFrame], repeats: int = REPEATS) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        rows = len(out)
    return min(times), rows


def main() -> None:
    data = build()
    text_bands = data.assign(age_band=data["age_band"].astype("str"))
    keys = ["area_code", "year", "sex"]
    print(f"input: {len(data):,} rows ({N_AREAS} areas x {N_YEARS} years x 2 sexes x 19 bands)")
    cases: list[tuple[str, Callable[[], pd.DataFrame]]] = [
        ("dsr dobson/byar (categorical age_band)", lambda: dsr(data, by=keys)),
        ("dsr dobson/byar (string age_band)", lambda: dsr(text_bands, by=keys)),
        ("dsr dobson/exact", lambda: dsr(data, by=keys, count_method="exact")),
        ("dsr ons", lambda: dsr(data, by=keys, method="ons")),
        ("dsr normal", lambda: dsr(data, by=keys, method="normal")),
        ("crude_rate per row", lambda: crude_rate(data)),
        ("crude_rate by area, year, sex", lambda: crude_rate(data, by=keys)),
        (
            "pool_periods 3-year rolling",
            lambda: pool_periods(data, by=["area_code", "sex", "age_band"]),
        ),
    ]
    for name, fn in cases:
        seconds, rows = best_of(fn)
        print(f"{name:42s} {seconds:7.3f} s  -> {rows:,} rows (best of {REPEATS})")


if __name__ == "__main__":
    main()
