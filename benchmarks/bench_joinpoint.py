"""Time overdose_trends.stats.trends.joinpoint on 400 local-authority-like series.

Builds 400 seeded synthetic annual series of deaths and population, 20 to 30
years long (mixed lengths), with 0 to 3 true joinpoints, and fits them with the
defaults: up to 3 joinpoints, sequential permutation tests with 4499
permutations each (curtailed once a test cannot reject; same decisions as
the full test; p-values within 2 Monte Carlo SE of their level refined up to
20 x 4499 permutations), Lerman intervals. ``--joinpoint5`` fits them with
NCI Joinpoint 5's defaults instead: weighted BIC and empirical-quantile
intervals (``--resamples`` data sets each, default 5000). Prints the total
seconds, series per second and peak memory (max RSS of this process and of
the worker processes). Target: under 60 s on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_joinpoint.py [--n-jobs 2] [--no-early-stop]
[--no-refine] [--joinpoint5 [--resamples 5000]]``
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from overdose_trends.stats.trends.joinpoint import fit_joinpoint

N_SERIES = 400


def build(seed: int = 2024) -> pd.DataFrame:
    """Synthetic long table: one row per area and year."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(N_SERIES):
        n = int(rng.integers(20, 31))
        years = np.arange(2021 - n + 1, 2022)
        k = int(rng.integers(0, 4))
        # joinpoints at least 3 years from the ends and 3 apart
        slots = np.sort(rng.choice(np.arange(3, n - 3), size=k, replace=False))
        slopes = np.log1p(rng.uniform(-0.08, 0.1, size=k + 1))
        log_rate = np.log(rng.uniform(4, 15)) + slopes[0] * np.arange(n)
        for j, s in enumerate(slots):
            log_rate += (slopes[j + 1] - slopes[j]) * np.maximum(np.arange(n) - s, 0)
        population = int(rng.integers(100_000, 1_500_000))
        deaths = rng.poisson(np.exp(log_rate) * population / 100_000)
        frames.append(
            pd.DataFrame(
                {
                    "area_code": f"E{6000000 + i:08d}",
                    "year": years,
                    "deaths": deaths,
                    "population": population,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--no-early-stop", action="store_true")
    parser.add_argument("--no-refine", action="store_true", help="fixed 4499 permutations")
    parser.add_argument("--joinpoint5", action="store_true", help="method=wbic, empirical CIs")
    parser.add_argument("--resamples", type=int, default=5000)
    args = parser.parse_args()
    data = build()
    lengths = data.groupby("area_code").size()
    print(
        f"input: {N_SERIES} series, {len(data):,} rows, {lengths.min()}-{lengths.max()} years; "
        f"n_jobs={args.n_jobs}, early_stop={not args.no_early_stop}, refine="
        f"{not args.no_refine}, joinpoint5={args.joinpoint5}"
    )
    options: dict[str, object] = {}
    if args.no_refine:
        options["max_permutations"] = 4499
    if args.joinpoint5:
        options.update(method="wbic", ci_method="empirical", n_resamples=args.resamples)
    start = time.perf_counter()
    fit = fit_joinpoint(
        data,
        count="deaths",
        population="population",
        by="area_code",
        zero_counts="add_half",
        seed=1,
        n_jobs=args.n_jobs,
        early_stop=not args.no_early_stop,
        **options,  # type: ignore[arg-type]
    )
    seconds = time.perf_counter() - start
    tests = fit.selection[fit.selection["test"] != ""]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"total: {seconds:7.2f} s  ({N_SERIES / seconds:6.1f} series/s; target < 60 s)")
    if len(tests):
        print(
            f"tests: {len(tests)}, permutations drawn: {int(tests['n_permutations'].sum()):,} "
            f"(of {len(tests) * 4499:,} without early stopping); refined beyond 4499: "
            f"{int((tests['n_permutations'] > 4499).sum())}, still within 2 SE of the level: "
            f"{int(tests['near_level'].sum())}"
        )
    print(f"joinpoints chosen: {fit.models['n_joinpoints'].value_counts().sort_index().to_dict()}")
    print(f"peak RSS: {own:6.0f} MiB (main process), {workers:6.0f} MiB (largest worker)")


if __name__ == "__main__":
    main()
