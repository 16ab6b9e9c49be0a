"""Joinpoint regression of death rates, as in NCI's Joinpoint Trend Analysis Software.

:func:`joinpoint` fits, to each series, the log-linear segmented model

    ``log(y_t) = b0 + b1 t + d_1 (t - tau_1)+ + ... + d_k (t - tau_k)+``

(continuous at the joinpoints ``tau``), finds the joinpoints by grid search
over the observed time points, chooses how many to keep (0 to
``max_joinpoints``) with the sequential permutation tests of Kim et al. (2000)
or with the BIC, and reports each segment's annual percent change (APC) with
its confidence interval. :meth:`JoinpointFit.aapc` gives the average annual
percent change (AAPC; Clegg et al. 2009) over any range.

Defaults follow NCI's Joinpoint (versions 4.5-4.9): grid search on data
points; at least 2 observations between a joinpoint and either end and 2
between joinpoints, joinpoints themselves not counted; permutation test with
4499 permutations and overall level 0.05, each test at ``alpha / (K - ka)``;
parametric t intervals for the APC with standard errors from the
unconstrained segment fits (Lerman's method). Joinpoint 5 changed the default
selection to the weighted BIC and the intervals to empirical quantiles; those
are not implemented here.

All candidate joinpoint sets of a series are fitted at once (see
:mod:`overdose_trends.stats.trends._joinpoint_grid`), so the ~400 local-authority
series with 4499 permutations per test run in seconds; the chosen model is
refitted with statsmodels for its covariance.

References
----------
Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for joinpoint
regression with applications to cancer rates. *Statistics in Medicine*
19(3):335-351 (correction 2001;20:655).

Kim HJ, Yu B, Feuer EJ (2009). Selecting the number of change-points in
segmented line regression. *Statistica Sinica* 19(2):597-609.

Clegg LX, Hankey BF, Tiwari R, Feuer EJ, Edwards BK (2009). Estimating average
annual per cent change in trend analysis. *Statistics in Medicine*
28(29):3670-3682.

National Cancer Institute, Surveillance Research Program. Joinpoint Regression
Program, help pages and statistical notes, https://surveillance.cancer.gov/joinpoint/.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Hashable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from tqdm.auto import tqdm

from overdose_trends._frames import positive, show
from overdose_trends.constants import (
    NCI_ALPHA,
    NCI_MIN_OBS_BETWEEN,
    NCI_MIN_OBS_END,
    NCI_PERMUTATIONS,
    NCI_ZERO_COUNT,
)
from overdose_trends.stats.intervals import z_value
from overdose_trends.stats.trends._apc import apc_from_slope
from overdose_trends.stats.trends._args import check_choice, check_whole
from overdose_trends.stats.trends._joinpoint_fit import FinalFit, aapc, final_fit
from overdose_trends.stats.trends._joinpoint_grid import max_feasible_joinpoints
from overdose_trends.stats.trends._joinpoint_select import (
    SeriesSelection,
    select_many,
    select_series,
)
from overdose_trends.stats.trends._series import (
    SeriesSet,
    fail_series,
    prepare,
    series_key,
    series_labels,
    series_seeds,
)

__all__ = ["JoinpointFit", "fit_joinpoint"]

Method = Literal["permutation", "bic"]
CiMethod = Literal["lerman", "continuous"]
Variance = Literal["auto", "constant"]
ZeroCounts = Literal["error", "add_half"]

_PLACEHOLDER_SE = "__joinpoint_constant_se__"


@dataclass(frozen=True)
class _AapcInputs:
    """What :meth:`JoinpointFit.aapc` needs of each series."""

    key_rows: pd.DataFrame
    fits: list[FinalFit]
    first: pd.Series  # original time values
    last: pd.Series
    time_unit: str
    labels: list[str]


@dataclass(frozen=True)
class JoinpointFit:
    """Joinpoint models of one or more series.

    Attributes
    ----------
    models : pandas.DataFrame
        One row per series: the ``by`` keys, then ``model`` ("loglinear"),
        ``variance`` ("poisson": weights = counts, "se": weights =
        1 / se(log rate)^2, "constant"), ``n_points``, ``first``, ``last``
        (times), ``max_joinpoints`` (effective maximum after shrinking for a
        short series), ``n_joinpoints``, ``joinpoints`` (tuple of times),
        ``selection`` ("permutation" or "bic"), ``bic`` (of the chosen model,
        ``ln(SSE/n) + 2(k+1) ln(n)/n``), ``sse`` (weighted sum of squared
        errors on the log scale), ``ci_method`` and ``df`` (degrees of freedom
        of the t intervals).
    segments : pandas.DataFrame
        One row per series and segment: keys, ``segment`` (1, 2, ...),
        ``start``, ``end`` (times; the end of one segment is the start of the
        next), ``apc``, ``apc_lcl``, ``apc_ucl`` (percent per year),
        ``p_value`` (t test of a zero slope), ``slope`` and ``slope_se``
        (``log(y)`` per time unit).
    fitted : pandas.DataFrame
        One row per series and time point: keys, ``time``, ``observed``,
        ``fitted`` and ``segment`` (a point on a joinpoint belongs to the
        segment that ends there). ``observed``/``fitted`` are rates per
        ``per`` (counts with population), rates in their own units (rate
        input) or counts (counts without population); see ``scale``.
    selection : pandas.DataFrame
        How the number of joinpoints was chosen. First one row per candidate
        number ``k`` (``test == ""``): keys, ``k``, ``joinpoints`` (the best
        ``k``-joinpoint set), ``sse``, ``bic``, ``chosen``; ``p_value`` and
        ``alpha_level`` are NaN. Then, for the permutation method, one row
        per test in the order performed: ``test`` ("0 vs 3", null vs
        alternative number of joinpoints), ``k`` (alternative), its
        ``joinpoints``, ``sse`` and ``bic``, ``p_value``, ``alpha_level`` (the
        test's level), ``k_null``, ``statistic`` (``SSE(k_null)/SSE(k)``),
        ``n_permutations`` (drawn; fewer when stopped early) and ``reject``.
    conf : float
        Confidence level of the intervals.
    scale : str
        ``"rate"`` or ``"count"``: what ``fitted.observed``/``fitted.fitted`` hold.
    per : float
        Rate multiplier for count-and-population input (NaN otherwise).
    time_unit : str
        ``"year"`` or ``"month"``.
    results : dict
        Key tuple (``by`` values; ``()`` without ``by``) -> statsmodels WLS
        results of the chosen continuous model (columns ``const``, ``time``
        = time since the first point, ``hinge_1``...).
    """

    models: pd.DataFrame
    segments: pd.DataFrame
    fitted: pd.DataFrame
    selection: pd.DataFrame
    conf: float
    scale: str
    per: float = np.nan
    time_unit: str = "year"
    results: dict = field(default_factory=dict, repr=False)
    _aapc_inputs: _AapcInputs | None = field(default=None, repr=False)

    def aapc(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Average annual percent change (AAPC) of each series over ``[start, end]``.

        Parameters
        ----------
        start, end : scalar, optional
            Range in the series' time units: years (e.g. ``2012``, ``2021``),
            or for monthly series anything :class:`pandas.Timestamp` accepts
            (or a monthly :class:`pandas.Period`). Default: each series' first
            / last time. The range must lie within every series' data.

        Returns
        -------
        pandas.DataFrame
            One row per series: keys, ``start``, ``end``, ``aapc``,
            ``aapc_lcl``, ``aapc_ucl`` (percent per year), ``p_value``.

        Notes
        -----
        ``AAPC = 100 (exp(sum_s w_s b_s) - 1)`` where ``b_s`` is the slope of
        segment ``s`` and ``w_s`` the fraction of ``[start, end]`` it covers
        (per year; monthly slopes are multiplied by 12). The variance of the
        weighted slope is ``w' C w`` with ``C`` the covariance of the segment
        slopes. When the range lies within one segment the AAPC equals that
        segment's APC, with the same t interval; otherwise the interval and
        p-value use the normal distribution, as Clegg et al. (2009) and NCI's
        Joinpoint.

        References
        ----------
        Clegg LX, Hankey BF, Tiwari R, Feuer EJ, Edwards BK (2009). Estimating
        average annual per cent change in trend analysis. *Statistics in
        Medicine* 28(29):3670-3682.

        National Cancer Institute. Joinpoint help: "Average Annual Percent
        Change (AAPC) and Confidence Interval".
        """
        inputs = self._aapc_inputs
        if inputs is None:
            raise ValueError("aapc: this JoinpointFit has no fitted models")
        unit = 12.0 if inputs.time_unit == "month" else 1.0
        rows = {k: [] for k in ("start", "end", "aapc", "aapc_lcl", "aapc_ucl", "p_value")}
        lo = None if start is None else _time_number(start, inputs.time_unit, "start")
        hi = None if end is None else _time_number(end, inputs.time_unit, "end")
        for g, fit in enumerate(inputs.fits):
            a = fit.bounds[0] if lo is None else lo
            b = fit.bounds[-1] if hi is None else hi
            if not fit.bounds[0] - 1e-9 <= a < b <= fit.bounds[-1] + 1e-9:
                raise ValueError(
                    f"aapc: {inputs.labels[g]}: the range start={show(start)}, end={show(end)} "
                    f"must satisfy first <= start < end <= last with first="
                    f"{show(inputs.first.iloc[g])} and last={show(inputs.last.iloc[g])}"
                )
            slope, se, q, p = aapc(fit, a, b, self.conf)
            value, lcl, ucl = apc_from_slope(unit * slope, unit * se, q)
            rows["start"].append(inputs.first.iloc[g] if start is None else start)
            rows["end"].append(inputs.last.iloc[g] if end is None else end)
            rows["aapc"].append(float(value))
            rows["aapc_lcl"].append(float(lcl))
            rows["aapc_ucl"].append(float(ucl))
            rows["p_value"].append(p)
        out = inputs.key_rows.copy()
        for name, values in rows.items():
            out[name] = values
        return out


def _time_number(value: Any, unit: str, name: str) -> float:
    """A time given by the user in the series' numeric units."""
    if unit == "month":
        if isinstance(value, pd.Period):
            return float(value.year * 12 + value.month - 1 - 1970 * 12)
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"aapc: {name}={value!r} is not a date") from exc
        return float(ts.year * 12 + ts.month - 1 - 1970 * 12)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"aapc: {name}={value!r} is not a number (year)") from exc


def _responses(
    ss: SeriesSet,
    *,
    time: Hashable,
    count: Hashable | None,
    per: float,
    variance: str,
    zero_counts: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], str]:
    """Observed values, ``log`` responses, weights and the variance label."""
    if ss.count is not None:
        c = ss.count
        observed = c * per / ss.population if ss.population is not None else c.copy()
        zero = c == 0
        if zero.any() and zero_counts == "error":
            gid = ss.groups.gid
            bad = np.zeros(ss.n_series, dtype=bool)
            bad[np.unique(gid[zero])] = True
            data = ss.groups.data

            def has_zero(g: int) -> str:
                i = int(np.flatnonzero(zero & (gid == g))[0])
                return (
                    f"column {count!r} is 0 at {time}={show(data[time].iloc[i])} (row index "
                    f"{show(data.index[i])}); a log-linear model cannot take log(0): pass "
                    "zero_counts='add_half' to add 0.5 to zero counts as NCI's Joinpoint does, "
                    "or aggregate adjacent years"
                )

            fail_series(ss.groups, bad, has_zero, "fit_joinpoint")
        c_adj = np.where(zero, NCI_ZERO_COUNT, c)
        value = c_adj * per / ss.population if ss.population is not None else c_adj
        weights = c_adj.copy() if variance == "auto" else np.ones_like(c_adj)
        label = "poisson" if variance == "auto" else "constant"
    else:
        assert ss.rate is not None and ss.se_log is not None
        observed = ss.rate.copy()
        value = ss.rate
        weights = 1.0 / ss.se_log**2 if variance == "auto" else np.ones_like(value)
        label = "se" if variance == "auto" else "constant"
    return observed, np.log(value), weights, label


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


def _run_selection(
    jobs: list[dict[str, Any]], n_jobs: int, progress: bool
) -> list[SeriesSelection]:
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


def _as_python(values: pd.Series) -> tuple:
    """Time values as a tuple of plain Python scalars / Timestamps / Periods."""
    return tuple(v.item() if isinstance(v, np.generic) else v for v in values.tolist())


def fit_joinpoint(
    data: pd.DataFrame,
    *,
    time: Hashable = "year",
    count: Hashable | None = None,
    population: Hashable | None = None,
    rate: Hashable | None = None,
    se: Hashable | None = None,
    lcl: Hashable | None = None,
    ucl: Hashable | None = None,
    by: Hashable | Sequence[Hashable] | None = None,
    per: float = 100_000,
    conf: float = 0.95,
    limits_conf: float = 0.95,
    model: Literal["loglinear"] = "loglinear",
    variance: Variance = "auto",
    zero_counts: ZeroCounts = "error",
    max_joinpoints: int = 3,
    min_joinpoints: int = 0,
    min_obs_end: int = NCI_MIN_OBS_END,
    min_obs_between: int = NCI_MIN_OBS_BETWEEN,
    min_segment: int | None = None,
    method: Method = "permutation",
    alpha: float = NCI_ALPHA,
    n_permutations: int = NCI_PERMUTATIONS,
    early_stop: bool = True,
    ci_method: CiMethod = "lerman",
    seed: int | np.random.SeedSequence | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> JoinpointFit:
    """Joinpoint regression: where a log-linear trend changes, and the APC of each segment.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per series and time point, each series with no gaps and time
        increasing (checked; errors name the series).
    time : hashable, default "year"
        Time column: numeric years, or first-of-month dates / monthly periods.
    count, population : hashable, optional
        Deaths (whole numbers) and the population at risk: the model is for
        the rate ``count / population * per``; without ``population`` for the
        count itself. Weights are the counts (Poisson variance: ``var(log
        rate) ~ 1 / count``).
    rate, se, lcl, ucl : hashable, optional
        Instead of counts: a rate (e.g. ONS age-standardised rate) with its
        standard error ``se`` (same units) or its ``lcl``/``ucl`` confidence
        limits at level ``limits_conf``. Weights are ``1 / se(log rate)^2``
        with ``se(log rate) = se / rate`` or ``(log(ucl) - log(lcl)) / (2
        z)``: NCI's "standard error provided" option for age-adjusted rates.
    by : hashable or sequence, optional
        Columns naming the series (e.g. ``"area_code"``); results carry them first.
    per : float, default 100_000
        Rate multiplier for count-and-population input.
    conf : float, default 0.95
        Confidence level of the APC and AAPC intervals.
    limits_conf : float, default 0.95
        Confidence level of the input ``lcl``/``ucl`` (ONS publishes 95% limits).
    model : {"loglinear"}
        Weighted least squares on ``log(y)`` (NCI's ``ln(y) = xb`` model).
    variance : {"auto", "constant"}, default "auto"
        ``"auto"``: weights from the counts or the standard errors as above;
        ``"constant"``: ordinary least squares on ``log(y)`` (NCI's constant
        variance option; the rate's ``se``/limits are then not needed).
    zero_counts : {"error", "add_half"}, default "error"
        A zero count has no logarithm. ``"error"`` raises a ValueError naming
        the series and time; ``"add_half"`` replaces zero counts by 0.5 in the
        fit (as NCI's Joinpoint does; ``observed`` keeps the true 0).
    max_joinpoints : int, default 3
        Largest number of joinpoints. A series too short for it gets the
        largest feasible number instead: ``k`` joinpoints need ``n >=
        2 min_obs_end + (k - 1) min_obs_between + k`` points (NCI help
        "Minimum Number of Observations Required"; NCI lowers the maximum one
        at a time until a cohort can be run). ``models.max_joinpoints`` holds
        the effective value.
    min_joinpoints : int, default 0
        Smallest number of joinpoints (``min_joinpoints = max_joinpoints``
        fits exactly that many).
    min_obs_end, min_obs_between : int, default 2 and 2
        Fewest observations between a joinpoint and either end of the series
        and between two joinpoints, not counting points on joinpoints (NCI
        Joinpoint 4.5+ grid-search defaults).
    min_segment : int, optional
        Shortcut that sets both ``min_obs_end`` and ``min_obs_between``: the
        fewest observations in every segment, not counting the joinpoints
        that bound it. Give it or the two separate limits, not both.
    method : {"permutation", "bic"}, default "permutation"
        ``"permutation"``: sequential permutation tests (Kim et al. 2000):
        ``H0: ka`` vs ``H1: kb`` from ``ka = min``, ``kb = max``, raising
        ``ka`` on rejection and lowering ``kb`` otherwise; each test at level
        ``alpha / (max - ka)`` (NCI since version 3.0); statistic
        ``SSE(ka)/SSE(kb)``, null distribution from permuting the
        standardised residuals of the ``ka`` fit. ``"bic"``: smallest
        ``BIC(k) = ln(SSE(k)/n) + 2 (k + 1) ln(n) / n`` (Kim et al. 2009).
    alpha : float, default 0.05
        Overall significance level of the permutation procedure.
    n_permutations : int, default 4499
        Permutations per test (NCI's default).
    early_stop : bool, default True
        Stop a test's permutations at the ``h``-th permuted statistic at least
        as large as the observed one, ``h = ceil(level (N + 1))``, reporting
        Besag & Clifford's (1991) sequential p-value ``h / l`` (``l``
        permutations drawn). The decision is exactly that of the full test:
        ``h`` exceedances already rule out ``p < level``. Otherwise ``p = (g +
        1) / (N + 1)`` with ``g`` exceedances in ``N`` permutations.
    ci_method : {"lerman", "continuous"}, default "lerman"
        Standard errors of the segment slopes. ``"lerman"`` (NCI's parametric
        method): from the unconstrained fit of each segment without the
        points on joinpoints, t with ``n - k - 2(k + 1)`` degrees of freedom.
        ``"continuous"``: covariance of the continuous model's slopes given
        the joinpoints, residual variance ``SSE / (n - p)``, t with ``n - p``
        degrees of freedom, ``p = 2k + 2``.
    seed : int, SeedSequence or None
        Seed of the permutations. Each series draws from its own stream,
        derived from the seed and the series' ``by`` values, so its results do
        not depend on ``n_jobs`` nor on which other series are fitted with it.
        None: fresh randomness.
    n_jobs : int, default 1
        Worker processes for the model search (``concurrent.futures`` with
        the "spawn" start method; each worker uses one BLAS thread, which
        suits the many small matrix products). Scripts that pass ``n_jobs >
        1`` need the usual ``if __name__ == "__main__":`` guard.
    progress : bool, default False
        Show a tqdm progress bar over the series.

    Returns
    -------
    JoinpointFit
        ``models``, ``segments``, ``fitted``, ``selection`` tables (see
        :class:`JoinpointFit`) and :meth:`JoinpointFit.aapc`.

    Raises
    ------
    ValueError
        Naming the series, for bad input (too few points for
        ``min_joinpoints`` - at least 3 -, missing or repeated years,
        non-monotone time, negative, fractional or all-zero counts, zero
        counts with ``zero_counts="error"``, non-positive rates, standard
        errors or limits), and for invalid arguments. One bad series stops the
        whole batch: with ``by`` the message names every bad series and ends
        with pandas code to leave them out of ``data``.

    Notes
    -----
    APC = ``100 (exp(b) - 1)`` per year for a segment slope ``b`` of
    ``log(y)`` per year, limits ``100 (exp(b -+ t se) - 1)``; for monthly
    series the slope per month is multiplied by 12 (APC per year). The
    joinpoint locations are estimated; their uncertainty is not in the APC
    intervals (nor in NCI's parametric intervals).

    References
    ----------
    Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for
    joinpoint regression with applications to cancer rates. *Statistics in
    Medicine* 19(3):335-351 (correction 2001;20:655).

    Kim HJ, Yu B, Feuer EJ (2009). Selecting the number of change-points in
    segmented line regression. *Statistica Sinica* 19(2):597-609.

    Clegg LX, Hankey BF, Tiwari R, Feuer EJ, Edwards BK (2009). Estimating
    average annual per cent change in trend analysis. *Statistics in
    Medicine* 28(29):3670-3682.

    Lerman PM (1980). Fitting segmented regression models by grid search.
    *Journal of the Royal Statistical Society C* 29(1):77-84.

    Besag J, Clifford P (1991). Sequential Monte Carlo p-values. *Biometrika*
    78(2):301-304.

    National Cancer Institute, Surveillance Research Program. Joinpoint
    Regression Program and its help pages ("Grid Search Method - Details",
    "Minimum Number of Observations Required", "Permutation Test Details",
    "Estimated Regression Coefficients (Beta)", "Average Annual Percent
    Change (AAPC) and Confidence Interval"), https://surveillance.cancer.gov/joinpoint/.
    """
    func = "fit_joinpoint"
    check_choice(func, "model", model, ("loglinear",))
    check_choice(func, "variance", variance, ("auto", "constant"))
    check_choice(func, "zero_counts", zero_counts, ("error", "add_half"))
    check_choice(func, "method", method, ("permutation", "bic"))
    check_choice(func, "ci_method", ci_method, ("lerman", "continuous"))
    k_max = check_whole(func, "max_joinpoints", max_joinpoints, 0)
    k_min = check_whole(func, "min_joinpoints", min_joinpoints, 0)
    if k_min > k_max:
        raise ValueError(
            f"{func}: min_joinpoints ({k_min}) must not exceed max_joinpoints ({k_max})"
        )
    if min_segment is not None:
        if (min_obs_end, min_obs_between) != (NCI_MIN_OBS_END, NCI_MIN_OBS_BETWEEN):
            raise ValueError(f"{func}: give min_segment or min_obs_end/min_obs_between, not both")
        min_obs_end = min_obs_between = check_whole(func, "min_segment", min_segment, 1)
    min_end = check_whole(func, "min_obs_end", min_obs_end, 1)
    min_between = check_whole(func, "min_obs_between", min_obs_between, 0)
    n_perm = check_whole(func, "n_permutations", n_permutations, 1)
    n_jobs = check_whole(func, "n_jobs", n_jobs, 1)
    z_value(conf)
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"{func}: alpha must be between 0 and 1, got {alpha!r}")
    per = positive("per", per, "100000")
    if method == "permutation" and k_max > k_min:
        smallest = float(alpha) / (k_max - k_min)
        if 1.0 / (n_perm + 1) >= smallest:
            raise ValueError(
                f"{func}: n_permutations={n_perm} is too few to reject at level "
                f"{smallest:g}; use at least {math.ceil(1 / smallest)}"
            )

    if rate is not None and variance == "constant" and se is None and lcl is None:
        data = data.assign(**{_PLACEHOLDER_SE: 1.0})
        se = _PLACEHOLDER_SE
    min_points = 3 + 2 * k_min  # at least one residual degree of freedom
    if k_min > 0:
        min_points = max(min_points, 2 * min_end + (k_min - 1) * min_between + k_min)
    ss = prepare(
        data,
        time=time,
        count=count,
        population=population,
        rate=rate,
        se=se,
        lcl=lcl,
        ucl=ucl,
        conf=limits_conf,
        by=by,
        min_points=min_points,
        func=func,
    )
    observed, y, w, variance_label = _responses(
        ss, time=time, count=count, per=per, variance=variance, zero_counts=zero_counts
    )
    lengths = ss.lengths()
    effective = [
        min(k_max, max_feasible_joinpoints(int(n), min_end, min_between), (int(n) - 3) // 2)
        for n in lengths
    ]
    seeds = series_seeds(seed, ss.groups)
    jobs = [
        {
            "y": y[ss.rows(g)],
            "weights": w[ss.rows(g)],
            "times": ss.time[ss.rows(g)],
            "k_min": k_min,
            "k_max": effective[g],
            "min_end": min_end,
            "min_between": min_between,
            "method": method,
            "alpha": float(alpha),
            "n_permutations": n_perm,
            "early_stop": bool(early_stop),
            "seed": seeds[g],
        }
        for g in range(ss.n_series)
    ]
    selections = _run_selection(jobs, n_jobs, progress)
    return _assemble(
        ss,
        selections,
        observed=observed,
        y=y,
        w=w,
        time=time,
        effective=effective,
        method=method,
        ci_method=ci_method,
        conf=float(conf),
        per=per if (ss.count is not None and ss.population is not None) else np.nan,
        scale="count" if (ss.count is not None and ss.population is None) else "rate",
        variance_label=variance_label,
        model=model,
    )


def _assemble(
    ss: SeriesSet,
    selections: list[SeriesSelection],
    *,
    observed: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    time: Hashable,
    effective: list[int],
    method: str,
    ci_method: str,
    conf: float,
    per: float,
    scale: str,
    variance_label: str,
    model: str,
) -> JoinpointFit:
    """Refit the chosen models with statsmodels and build the result tables."""
    keys = ss.groups.key_rows
    times = ss.groups.data[time].reset_index(drop=True)
    unit = 12.0 if ss.time_unit == "month" else 1.0
    labels = series_labels(ss.groups)
    fits: list[FinalFit] = []
    results: dict[tuple, Any] = {}
    model_rows: dict[str, list] = {
        name: []
        for name in (
            "model", "variance", "n_points", "first", "last", "max_joinpoints",
            "n_joinpoints", "joinpoints", "selection", "bic", "sse", "ci_method", "df",
        )
    }  # fmt: skip
    seg: dict[str, list] = {
        n: [] for n in ("g", "segment", "start_pos", "end_pos", "slope", "se", "df")
    }
    sel: dict[str, list] = {
        n: []
        for n in (
            "g", "test", "k", "joinpoints", "sse", "bic", "p_value", "alpha_level",
            "chosen", "k_null", "statistic", "n_permutations", "reject",
        )
    }  # fmt: skip
    fitted_log = np.empty_like(y)
    segment_of = np.empty(y.size, dtype=np.int64)
    for g, choice in enumerate(selections):
        rows = ss.rows(g)
        start = rows.start
        t = ss.time[rows]
        positions = choice.sets[choice.chosen]
        fit = final_fit(t, y[rows], w[rows], positions, ci_method)
        fits.append(fit)
        results[series_key(ss.groups, g)] = fit.results
        fitted_log[rows] = fit.log_fitted
        segment_of[rows] = 1 + np.searchsorted(fit.bounds[1:-1], t, side="left")
        jp_times = _as_python(times.iloc[[start + p for p in positions]])
        model_rows["model"].append(model)
        model_rows["variance"].append(variance_label)
        model_rows["n_points"].append(rows.stop - rows.start)
        model_rows["first"].append(times.iloc[start])
        model_rows["last"].append(times.iloc[rows.stop - 1])
        model_rows["max_joinpoints"].append(effective[g])
        model_rows["n_joinpoints"].append(len(positions))
        model_rows["joinpoints"].append(jp_times)
        model_rows["selection"].append(method)
        model_rows["bic"].append(float(choice.bic[choice.chosen]))
        model_rows["sse"].append(float(choice.sse[choice.chosen]))
        model_rows["ci_method"].append(ci_method)
        model_rows["df"].append(fit.df)
        bounds_pos = [0, *positions, rows.stop - rows.start - 1]
        ses = np.sqrt(np.diag(fit.cov))
        for s in range(len(positions) + 1):
            seg["g"].append(g)
            seg["segment"].append(s + 1)
            seg["start_pos"].append(start + bounds_pos[s])
            seg["end_pos"].append(start + bounds_pos[s + 1])
            seg["slope"].append(float(fit.slopes[s]))
            seg["se"].append(float(ses[s]))
            seg["df"].append(fit.df)
        for k, pos in enumerate(choice.sets):
            sel["g"].append(g)
            sel["test"].append("")
            sel["k"].append(k)
            sel["joinpoints"].append(_as_python(times.iloc[[start + p for p in pos]]))
            sel["sse"].append(float(choice.sse[k]))
            sel["bic"].append(float(choice.bic[k]))
            sel["p_value"].append(np.nan)
            sel["alpha_level"].append(np.nan)
            sel["chosen"].append(k == choice.chosen)
            sel["k_null"].append(pd.NA)
            sel["statistic"].append(np.nan)
            sel["n_permutations"].append(pd.NA)
            sel["reject"].append(pd.NA)
        for test in choice.tests:
            pos = choice.sets[test.k_alt]
            sel["g"].append(g)
            sel["test"].append(f"{test.k_null} vs {test.k_alt}")
            sel["k"].append(test.k_alt)
            sel["joinpoints"].append(_as_python(times.iloc[[start + p for p in pos]]))
            sel["sse"].append(float(choice.sse[test.k_alt]))
            sel["bic"].append(float(choice.bic[test.k_alt]))
            sel["p_value"].append(test.p_value)
            sel["alpha_level"].append(test.alpha_level)
            sel["chosen"].append(False)
            sel["k_null"].append(test.k_null)
            sel["statistic"].append(test.statistic)
            sel["n_permutations"].append(test.n_permutations)
            sel["reject"].append(test.reject)

    models = keys.copy()
    for name, values in model_rows.items():
        if name == "joinpoints":
            models[name] = pd.Series(values, dtype=object)
        elif name in ("first", "last"):
            models[name] = pd.Series(values, dtype=times.dtype)
        else:
            models[name] = values

    g_seg = np.asarray(seg["g"], dtype=np.int64)
    slope = np.asarray(seg["slope"])
    slope_se = np.asarray(seg["se"])
    df = np.asarray(seg["df"], dtype=float)
    with np.errstate(invalid="ignore"):
        tq = stats.t.ppf(0.5 + conf / 2.0, df)
        p_value = 2.0 * stats.t.sf(np.abs(slope / slope_se), df)
    apc, apc_lcl, apc_ucl = apc_from_slope(unit * slope, unit * slope_se, tq)
    segments = keys.iloc[g_seg].reset_index(drop=True)
    segments["segment"] = np.asarray(seg["segment"], dtype=np.int64)
    segments["start"] = times.iloc[seg["start_pos"]].reset_index(drop=True)
    segments["end"] = times.iloc[seg["end_pos"]].reset_index(drop=True)
    segments["apc"] = apc
    segments["apc_lcl"] = apc_lcl
    segments["apc_ucl"] = apc_ucl
    segments["p_value"] = p_value
    segments["slope"] = slope
    segments["slope_se"] = slope_se

    fitted = keys.iloc[ss.groups.gid].reset_index(drop=True)
    fitted["time"] = times
    fitted["observed"] = observed
    fitted["fitted"] = np.exp(fitted_log)
    fitted["segment"] = segment_of

    g_sel = np.asarray(sel.pop("g"), dtype=np.int64)
    selection = keys.iloc[g_sel].reset_index(drop=True)
    for name, values in sel.items():
        if name == "joinpoints":
            column: Any = pd.Series(values, dtype=object)
        elif name in ("k_null", "n_permutations"):
            column = pd.array(values, dtype="Int64")
        elif name == "reject":
            column = pd.array(values, dtype="boolean")
        elif name == "test":
            column = pd.array(values, dtype="str")
        else:
            column = values
        selection[name] = column

    inputs = _AapcInputs(
        key_rows=keys,
        fits=fits,
        first=models["first"],
        last=models["last"],
        time_unit=ss.time_unit,
        labels=labels,
    )
    return JoinpointFit(
        models=models,
        segments=segments,
        fitted=fitted,
        selection=selection,
        conf=conf,
        scale=scale,
        per=per,
        time_unit=ss.time_unit,
        results=results,
        _aapc_inputs=inputs,
    )
