"""Choosing the number of joinpoints of one series: permutation tests or BIC.

Private to :mod:`overdose_trends.stats.trends.joinpoint`. :func:`select_series`
finds the best (smallest weighted SSE) joinpoint set for each number of
joinpoints with :class:`~overdose_trends.stats.trends._joinpoint_grid.Basis`, then
chooses how many to keep:

* ``"permutation"`` - the sequential procedure of Kim et al. (2000) as in NCI's
  Joinpoint program: test ``H0: k = ka`` against ``H1: k = kb`` starting from
  ``ka = k_min``, ``kb = k_max``; on rejection ``ka += 1``, otherwise
  ``kb -= 1``, until they meet. The statistic is ``SSE(ka) / SSE(kb)`` (each
  minimised over the joinpoint locations); its null distribution comes from
  permuting the residuals of the best ``ka``-joinpoint fit (in the weighted
  space, i.e. the standardised residuals ``sqrt(w) (y - fit)``) and adding
  them back to that fit. Each test is done at level ``alpha / (k_max - ka)``,
  NCI's adjustment since Joinpoint 3.0, which bounds every over-fitting
  probability ``P(k_hat > ka | k = ka)`` by ``alpha``.
* ``"bic"`` - the smallest ``BIC(k) = ln(SSE(k) / n) + 2 (k + 1) ln(n) / n``
  (``2k + 2`` parameters: intercept, slope, ``k`` slope changes and ``k``
  locations), Kim, Yu & Feuer (2009) and NCI's BIC option.
* ``"wbic"`` - the smallest weighted BIC of NCI's Joinpoint 5 (see
  :mod:`~overdose_trends.stats.trends._joinpoint_wbic`).

Monte Carlo p-values. With all ``N`` permutations done and ``g`` of them at
least as extreme as the data, ``p = (g + 1) / (N + 1)``, and the null is
rejected when ``p < level``. With ``early_stop`` sampling stops at the ``h``-th
exceedance, ``h = ceil(level (N + 1))``, after ``l`` permutations, and
``p = h / l``: the sequential Monte Carlo p-value of Besag & Clifford (1991),
valid in its own right; since ``h`` exceedances already make ``p >= level``
whatever the remaining permutations would give, the decision is exactly that
of the full ``N``-permutation test - only the work is saved (typically most of
it for tests that do not reject).

Monte Carlo error. Every p-value comes with its Monte Carlo standard error
``se = sqrt(p (1 - p) / l)`` (``l`` permutations drawn). A decision with
``|p - level| < 2 se`` could go the other way with another seed, so the test
draws more permutations from the same stream, doubling the total each time
(``2 max(l, N)``, then twice that, ...) up to ``max_permutations``, with
``p = (g + 1) / (l + 1)`` over all of them, until ``|p - level| >= 2 se``.
A test still within two standard errors at the cap is flagged
(``near_level``) and decided by ``p < level`` as usual. With
``max_permutations = N`` no test is extended (NCI Joinpoint 4's procedure).

:func:`run_selection` runs :func:`select_series` for many series, in worker
processes when asked (each with one BLAS thread).

References
----------
Kim et al. (2000) *Statistics in Medicine* 19:335-351 and Kim, Yu & Feuer
(2009) *Statistica Sinica* 19:597-609 (cited in full in
:mod:`overdose_trends.stats.trends.joinpoint`).

Besag J, Clifford P (1991). Sequential Monte Carlo p-values. *Biometrika*
78(2):301-304.

National Cancer Institute. Joinpoint Trend Analysis Software help: "Permutation
Test Details", "How Joinpoint Conducts Permutation Testing", "Significance
Level of each Individual Test in a Sequential Testing Procedure".
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from overdose_trends.stats.trends._joinpoint_empirical import (
    Draws,
    profile_intervals,
    quantile_positions,
    resample_model,
)
from overdose_trends.stats.trends._joinpoint_grid import Basis, candidate_grid
from overdose_trends.stats.trends._joinpoint_wbic import wbic_values

__all__ = [
    "PermutationTest",
    "SeriesSelection",
    "bic_values",
    "draw_until",
    "mc_se",
    "refine",
    "run_selection",
    "select_many",
    "select_series",
]

#: Permutations scored per matrix product (fits the candidate arrays in cache).
BATCH = 500
#: Spawn key of the random stream of the empirical intervals (the tests use ``(ka, kb)``).
RESAMPLE_KEY = 1_000_000


def bic_values(sse: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """``BIC(k) = ln(SSE(k) / n) + 2 (k + 1) ln(n) / n`` for ``k = 0, 1, ...``."""
    k = np.arange(sse.size)
    with np.errstate(divide="ignore"):
        return np.log(sse / n) + 2.0 * (k + 1) * math.log(n) / n


@dataclass(frozen=True)
class PermutationTest:
    """One test of the sequence: ``H0: k = k_null`` against ``H1: k = k_alt``."""

    k_null: int
    k_alt: int
    statistic: float  # SSE(k_null) / SSE(k_alt) of the data
    p_value: float
    alpha_level: float
    n_permutations: int  # permutations actually drawn (fewer when stopped early)
    reject: bool
    p_se: float = np.nan  # Monte Carlo standard error of p_value
    near_level: bool = False  # |p - level| < 2 p_se after any extension


@dataclass(frozen=True)
class SeriesSelection:
    """Best joinpoint set for each number of joinpoints and the number chosen.

    ``sets[k]`` holds the positions (row numbers within the series) of the
    best ``k``-joinpoint set; ``sse[k]`` its weighted SSE; ``bic[k]`` its BIC.
    """

    sse: NDArray[np.float64]
    bic: NDArray[np.float64]
    sets: list[tuple[int, ...]]
    chosen: int
    tests: list[PermutationTest] = field(default_factory=list)
    bic3: NDArray[np.float64] | None = None
    wbic_weight: NDArray[np.float64] | None = None
    wbic: NDArray[np.float64] | None = None
    draws: Draws | None = None  # ci_method="empirical": refits to resampled data
    locations: list[tuple[int, int] | None] = field(default_factory=list)  # row numbers


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> NDArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / denominator


def _permutation_test(
    basis: Basis,
    yw: NDArray[np.float64],
    sse: NDArray[np.float64],
    rows: list[int | None],
    ka: int,
    kb: int,
    level: float,
    n_permutations: int,
    early_stop: bool,
    rng: np.random.Generator,
    max_permutations: int | None = None,
) -> PermutationTest:
    n = yw.size
    fit = basis.fitted(yw, ka, rows[ka])
    resid = yw - fit
    observed = float(_ratio(np.array(sse[ka]), np.array(sse[kb])))
    # Count ties as exceedances (relative tolerance for rounding in the SSEs).
    threshold = observed * (1.0 - 1e-10) if np.isfinite(observed) else observed

    def hits(b: int) -> NDArray[np.bool_]:
        order = np.argsort(rng.random((b, n)), axis=1)
        best = basis.best_sse(fit[None, :] + resid[order], kb)
        return np.asarray(_ratio(best[ka], best[kb]) >= threshold)

    stop_at = max(1, math.ceil(level * (n_permutations + 1) - 1e-9)) if early_stop else None
    exceed = 0
    done = 0
    p = np.nan
    while done < n_permutations:
        b = min(BATCH, n_permutations - done)
        found = hits(b)
        if stop_at is not None:
            running = exceed + np.cumsum(found)
            if running[-1] >= stop_at:
                done += int(np.argmax(running >= stop_at)) + 1
                exceed = stop_at
                p = stop_at / done
                break
        exceed += int(found.sum())
        done += b
    else:
        p = (exceed + 1) / (done + 1)
    cap = n_permutations if max_permutations is None else max(max_permutations, n_permutations)
    p, done, se, near = refine(hits, p, exceed, done, level, n_permutations, cap)
    return PermutationTest(ka, kb, observed, p, level, done, p < level, se, near)


def mc_se(p: float, draws: int) -> float:
    """Monte Carlo standard error ``sqrt(p (1 - p) / draws)`` of a p-value."""
    return math.sqrt(max(p * (1.0 - p), 0.0) / draws) if draws > 0 else np.nan


def draw_until(
    hits: Callable[[int], NDArray[np.bool_]], exceed: int, done: int, target: int
) -> tuple[int, int]:
    """Draw permutations in batches until ``target`` are done; the updated ``(exceed, done)``."""
    while done < target:
        b = min(BATCH, target - done)
        exceed += int(hits(b).sum())
        done += b
    return exceed, done


def refine(
    hits: Callable[[int], NDArray[np.bool_]],
    p: float,
    exceed: int,
    done: int,
    level: float,
    n_permutations: int,
    cap: int,
) -> tuple[float, int, float, bool]:
    """Draw more permutations while ``p`` is within 2 Monte Carlo SE of ``level``.

    ``hits(b)`` draws ``b`` more permuted statistics and says which are at least
    as extreme as the data's; ``exceed`` of ``done`` were so far. The total is
    doubled (``2 max(done, n_permutations)``, ...) up to ``cap``. Returns
    ``(p, draws, se, near_level)``.
    """
    while abs(p - level) < 2.0 * mc_se(p, done) and done < cap:
        exceed, done = draw_until(hits, exceed, done, min(cap, 2 * max(done, n_permutations)))
        p = (exceed + 1) / (done + 1)
    se = mc_se(p, done)
    return p, done, se, bool(abs(p - level) < 2.0 * se)


def select_series(
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    times: NDArray[np.float64],
    k_min: int,
    k_max: int,
    min_end: int,
    min_between: int,
    method: str,
    alpha: float,
    n_permutations: int,
    early_stop: bool,
    seed: np.random.SeedSequence | int | None,
    max_permutations: int | None = None,
    ci_method: str = "lerman",
    n_resamples: int = 0,
    conf: float = 0.95,
) -> SeriesSelection:
    """Fit ``k_min..k_max`` joinpoints to one series and choose the number.

    Parameters
    ----------
    y : ndarray of float64
        ``log`` of the rates (or counts), one per time point.
    weights : ndarray of float64
        Weight of each point (inverse variance of ``y``; ones for constant
        variance).
    times : ndarray of float64
        The time points (increasing), in years or months.
    k_min, k_max : int
        Fewest and most joinpoints considered (``k_max`` already feasible for
        ``len(y)`` points).
    min_end, min_between : int
        Grid constraints (observations to either end / between joinpoints,
        joinpoints themselves not counted).
    method : {"permutation", "bic", "wbic"}
        How the number of joinpoints is chosen.
    alpha : float
        Overall significance level of the permutation procedure.
    n_permutations : int
        Permutations per test (NCI default 4499).
    early_stop : bool
        Stop a test once it cannot reject (Besag & Clifford 1991); same
        decision as the full test.
    seed : SeedSequence, int or None
        Root of the random streams; the test of ``ka`` against ``kb`` draws
        its permutations from the stream keyed ``(ka, kb)`` under it, the
        empirical intervals from the stream keyed ``(RESAMPLE_KEY,)``.
    max_permutations : int, optional
        Most permutations a test near its level may be extended to (see the
        module notes); default ``n_permutations`` (no extension).
    ci_method : str
        ``"empirical"`` also refits the chosen model to ``n_resamples``
        resampled data sets; other values need nothing here.
    n_resamples : int
        Resampled data sets for ``ci_method="empirical"``.
    conf : float
        Level of the joinpoint-location intervals.

    Returns
    -------
    SeriesSelection
    """
    n = y.size
    grid = candidate_grid(n, k_max, min_end, min_between)
    basis = Basis(grid, weights, times)
    yw = np.sqrt(weights) * y
    sse, rows = basis.best_rows(yw, k_max)
    sets = [()] + [tuple(int(j) for j in grid.tuples[k - 1][rows[k]]) for k in range(1, k_max + 1)]
    bic = bic_values(sse, n)
    bic3, weight, wbic = wbic_values(y, weights, times, sets, sse)
    tests: list[PermutationTest] = []
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    if method == "bic":
        chosen = k_min + int(np.argmin(bic[k_min:]))
    elif method == "wbic":
        chosen = k_min + int(np.argmin(wbic[k_min:]))
    else:
        ka, kb = k_min, k_max
        while ka < kb:
            level = alpha / (k_max - ka)
            # each test has its own stream, so stopping one early leaves the others unchanged
            stream = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, ka, kb))
            test = _permutation_test(
                basis, yw, sse, rows, ka, kb, level, n_permutations, early_stop,
                np.random.default_rng(stream), max_permutations,
            )  # fmt: skip
            tests.append(test)
            if test.reject:
                ka += 1
            else:
                kb -= 1
        chosen = ka
    draws = None
    if ci_method == "empirical":
        stream = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, RESAMPLE_KEY))
        draws = resample_model(
            basis, y, weights, times, chosen, rows[chosen], n_resamples,
            np.random.default_rng(stream),
        )  # fmt: skip
        locations: list[tuple[int, int] | None] = list(quantile_positions(draws, conf))
    else:
        locations = profile_intervals(basis, yw, chosen, conf)
    return SeriesSelection(
        sse, bic, sets, chosen, tests, bic3=bic3, wbic_weight=weight, wbic=wbic, draws=draws,
        locations=locations,
    )  # fmt: skip


def select_many(jobs: list[dict]) -> list[SeriesSelection]:
    """:func:`select_series` for each keyword dict in ``jobs`` (one worker task)."""
    return [select_series(**job) for job in jobs]


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Let worker processes started inside use one BLAS thread each.

    The candidate fits multiply small matrices, for which BLAS threads cost
    more than they give; with several workers they would also oversubscribe
    the cores. Spawned workers read these variables when they import numpy.
    """
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    for name in names:
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_selection(jobs: list[dict[str, Any]], n_jobs: int, progress: bool) -> list[SeriesSelection]:
    """:func:`select_series` of every job, in ``n_jobs`` worker processes ("spawn").

    The results are in the order of ``jobs`` whatever the workers' order;
    ``progress`` shows a tqdm bar over the series.
    """
    bar = tqdm(total=len(jobs), disable=not progress, desc="joinpoint", unit="series")
    try:
        if n_jobs == 1 or len(jobs) <= 1:
            out = []
            for job in jobs:
                out.append(select_series(**job))
                bar.update(1)
            return out
        size = max(1, math.ceil(len(jobs) / (n_jobs * 8)))
        chunks = [list(range(i, min(i + size, len(jobs)))) for i in range(0, len(jobs), size)]
        results: list[SeriesSelection | None] = [None] * len(jobs)
        context = multiprocessing.get_context("spawn")
        with (
            _one_blas_thread(),
            ProcessPoolExecutor(max_workers=n_jobs, mp_context=context) as pool,
        ):
            futures = {pool.submit(select_many, [jobs[i] for i in c]): c for c in chunks}
            for future in as_completed(futures):
                chunk = futures[future]
                for i, res in zip(chunk, future.result(), strict=True):
                    results[i] = res
                bar.update(len(chunk))
        return [r for r in results if r is not None]
    finally:
        bar.close()
