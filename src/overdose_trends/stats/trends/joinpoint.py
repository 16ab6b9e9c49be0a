"""Joinpoint regression of death rates, as in NCI's Joinpoint Trend Analysis Software.

:func:`fit_joinpoint` fits, to each series, the log-linear segmented model

    ``log(y_t) = b0 + b1 t + d_1 (t - tau_1)+ + ... + d_k (t - tau_k)+``

(continuous at the joinpoints ``tau``), finds the joinpoints by grid search
over the observed time points, chooses how many to keep (0 to
``max_joinpoints``) with the sequential permutation tests of Kim et al. (2000)
with the BIC or with the weighted BIC of Joinpoint 5, and reports each
segment's annual percent change (APC) with its confidence interval and an
interval for each joinpoint. :meth:`JoinpointFit.aapc` gives the average
annual percent change (AAPC; Clegg et al. 2009) over any range.
:func:`~overdose_trends.stats.trends.comparability.compare_joinpoint` tests
whether two series' joinpoint models are parallel or coincident (Kim et al.
2004).

Defaults follow NCI's Joinpoint 4 (versions 4.5-4.9): grid search on data
points; at least 2 observations between a joinpoint and either end and 2
between joinpoints, joinpoints themselves not counted; permutation test with
4499 permutations and overall level 0.05, each test at ``alpha / (K - ka)``;
parametric t intervals for the APC with standard errors from the
unconstrained segment fits (Lerman's method). They are kept as the defaults
so that published numbers do not change. Joinpoint 5 (2023) chose the number
of joinpoints by the weighted BIC and gave empirical-quantile intervals by
default: ``method="wbic", ci_method="empirical"`` reproduce those choices
(``JoinpointFit.method`` says which defaults a fit follows). Unlike
NCI's program, permutation p-values near their level are refined with more
permutations so that the number of joinpoints does not depend on the seed.

All candidate joinpoint sets of a series are fitted at once (see
``overdose_trends.stats.trends._joinpoint_grid``), so the ~400 local-authority
series with 4499 permutations per test run in seconds; the chosen model is
refitted with statsmodels for its covariance.

References
----------
Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for joinpoint
regression with applications to cancer rates. *Statistics in Medicine*
19(3):335-351 (correction 2001;20:655).

Kim HJ, Yu B, Feuer EJ (2009). Selecting the number of change-points in
segmented line regression. *Statistica Sinica* 19(2):597-609.

Kim HJ, Chen HS, Midthune D, Wheeler B, Buckman DW, Green D, Byrne J, Luo J,
Feuer EJ (2023). Data-driven choice of a model selection method in joinpoint
regression. *Journal of Applied Statistics* 50(9):1992-2013.

Kim HJ, Chen HS, Byrne J, Wheeler B, Feuer EJ (2022). Twenty years since
Joinpoint 1.0: two major enhancements, their justification, and impact.
*Statistics in Medicine* 41(16):3102-3130.

Clegg LX, Hankey BF, Tiwari R, Feuer EJ, Edwards BK (2009). Estimating average
annual per cent change in trend analysis. *Statistics in Medicine*
28(29):3670-3682.

National Cancer Institute, Surveillance Research Program. Joinpoint Regression
Program, help pages and statistical notes, https://surveillance.cancer.gov/joinpoint/.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import positive, show
from overdose_trends.constants import (
    NCI_ALPHA,
    NCI_MIN_OBS_BETWEEN,
    NCI_MIN_OBS_END,
    NCI_PERMUTATIONS,
)
from overdose_trends.stats.intervals import z_value
from overdose_trends.stats.trends._args import check_choice, check_jobs, check_whole
from overdose_trends.stats.trends._display import FitDisplay, rounded
from overdose_trends.stats.trends._joinpoint_fit import aapc
from overdose_trends.stats.trends._joinpoint_grid import max_feasible_joinpoints
from overdose_trends.stats.trends._joinpoint_input import responses, zero_note
from overdose_trends.stats.trends._joinpoint_select import run_selection
from overdose_trends.stats.trends._joinpoint_tables import AapcInputs, Tables, assemble
from overdose_trends.stats.trends._joinpoint_text import fit_notes, method_text
from overdose_trends.stats.trends._series import (
    SeriesSet,
    prepare,
    series_seeds,
)

__all__ = ["JoinpointFit", "fit_joinpoint"]

#: Default cap on the permutations of a test whose p-value is near its level, as a
#: multiple of ``n_permutations`` (4499 -> 89,980; see ``max_permutations``).
_EXTEND_FACTOR = 20
#: Default number of resampled data sets for ``ci_method="empirical"``.
_N_RESAMPLES = 5000

Method = Literal["permutation", "bic", "wbic"]
CiMethod = Literal["lerman", "continuous", "empirical"]
Variance = Literal["auto", "constant"]
ZeroCounts = Literal["error", "add_half"]

_PLACEHOLDER_SE = "__joinpoint_constant_se__"
#: Columns of :meth:`JoinpointFit.summary` and their decimals.
_SUMMARY_DIGITS: dict[str, int | str] = {"apc": 1, "apc_lcl": 1, "apc_ucl": 1, "p_value": "p"}


@dataclass(frozen=True, repr=False)
class JoinpointFit(FitDisplay):
    """Joinpoint models of one or more series.

    Attributes
    ----------
    models : pandas.DataFrame
        One row per series: the ``by`` keys, then ``model`` ("loglinear"),
        ``variance`` ("poisson": weights = counts, "se": weights =
        1 / se(log rate)^2, "constant"), ``n_points``, ``first``, ``last``
        (times), ``max_joinpoints`` (effective maximum after shrinking for a
        short series), ``n_joinpoints``, ``joinpoints`` (tuple of times),
        ``selection`` ("permutation", "bic" or "wbic"), ``bic`` (of the chosen model,
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
        ``n_permutations`` (drawn; fewer when stopped early, more when
        refined near the level) and ``reject``. Every row also has ``bic3``
        (``ln(SSE/n) + (3k + 2) ln(n)/n``), ``wbic_weight`` (``R2max``, NaN
        for ``k = 0``) and ``wbic`` (``ln(SSE/n) + ((2 + R2max) k + 2)
        ln(n)/n``); test rows ``p_se`` (Monte Carlo standard error of the
        p-value, ``sqrt(p (1 - p) / n_permutations)``) and ``near_level``
        (True when ``|p - level| < 2 p_se`` even after refinement: the
        decision could go the other way with another seed).
    locations : pandas.DataFrame
        One row per series and joinpoint: keys, ``joinpoint`` (1, 2, ...),
        ``time``, ``lcl`` and ``ucl`` (observed times bounding the interval
        for the joinpoint at level ``conf``) and ``method`` ("profile":
        Lerman's profile-SSE interval with the parametric intervals;
        "empirical": quantiles of the resampled joinpoints).
    method : str
        How the number of joinpoints was chosen and the intervals made, and
        which NCI Joinpoint version's defaults that is.
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
    notes : tuple of str
        What was done to the input: rows sorted, time taken from
        ``period_start``, zero counts replaced by 0.5 (empty when nothing was).

    Notes
    -----
    :meth:`summary` gives each series' segment APCs and its AAPC over the
    whole series, rounded; :meth:`aapc` the AAPC over any range;
    :meth:`plot` draws :func:`~overdose_trends.plots.trends.plot_joinpoint`.
    In a notebook the fit shows itself as its summary table with a heading
    and the notes.
    """

    models: pd.DataFrame
    segments: pd.DataFrame
    fitted: pd.DataFrame
    selection: pd.DataFrame
    conf: float
    scale: str
    per: float = np.nan
    time_unit: str = "year"
    results: dict[tuple[Hashable, ...], Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    locations: pd.DataFrame = field(default_factory=pd.DataFrame)
    method: str = ""
    _aapc_inputs: AapcInputs | None = None
    _figure = "JoinpointFit"

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
        Joinpoint. With ``ci_method="empirical"`` the limits are quantiles of
        the AAPC over the same range of each resampled refit (its own
        joinpoints), and the p-value is the resampling one.

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
        rows: dict[str, list[Any]] = {
            k: [] for k in ("start", "end", "aapc", "aapc_lcl", "aapc_ucl", "p_value")
        }
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
            slope, lower, upper, p = aapc(fit, a, b, self.conf)
            value, lcl, ucl = (100.0 * math.expm1(unit * v) for v in (slope, lower, upper))
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

    def summary(self) -> pd.DataFrame:
        """Each series' segments with their APC, then its AAPC over the whole series.

        Returns
        -------
        pandas.DataFrame
            Per series, one row per segment then one for the whole series: the
            ``by`` keys, ``measure`` (``"APC"`` for a segment, ``"AAPC"`` for
            the whole series), ``segment`` (1, 2, ...; missing on the AAPC
            row), ``start`` and ``end`` (times: the joinpoints are where one
            segment ends and the next starts), ``apc``, ``apc_lcl``,
            ``apc_ucl`` (the segment's APC or the series' AAPC, with limits at
            level ``conf``, % per year, 1 decimal) and ``p_value`` (test of no
            change, 2 significant figures). The full tables are
            ``segments`` and :meth:`aapc`.
        """
        keys = list(self.models.columns[: list(self.models.columns).index("model")])
        segments = self.segments[[*keys, "segment", "start", "end", *_SUMMARY_DIGITS]]
        segments = segments.assign(measure="APC", _order=np.arange(len(segments), dtype=float))
        # the AAPC row of a series goes after its last segment
        n_segments = np.asarray(self.models["n_joinpoints"], dtype=np.int64) + 1
        whole = self.aapc().rename(
            columns={"aapc": "apc", "aapc_lcl": "apc_lcl", "aapc_ucl": "apc_ucl"}
        )
        whole = whole.assign(
            measure="AAPC",
            segment=pd.array([pd.NA] * len(whole), dtype="Int64"),
            _order=np.cumsum(n_segments) - 0.5,
        )
        table = pd.concat([segments, whole], ignore_index=True).sort_values("_order")
        table["segment"] = table["segment"].astype("Int64")
        columns = [*keys, "measure", "segment", "start", "end", *_SUMMARY_DIGITS]
        return rounded(table[columns].reset_index(drop=True), _SUMMARY_DIGITS)

    def _heading(self) -> str:
        def one(column: str) -> str:
            return " / ".join(sorted({str(v) for v in self.models[column]}))

        return (
            f"JoinpointFit: joinpoint regression ({one('model')}, {one('variance')} "
            f"weights; {self.method or one('selection')}), {len(self.models)} series, "
            f"APC and AAPC in % per year with {self.conf:.0%} intervals"
        )


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
    max_permutations: int | None = None,
    ci_method: CiMethod = "lerman",
    n_resamples: int = _N_RESAMPLES,
    seed: int | np.random.SeedSequence | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> JoinpointFit:
    """Joinpoint regression: where a log-linear trend changes, and the APC of each segment.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per series and time point, each series with no gaps (checked;
        errors name the series), in any order: rows are sorted by series and
        time, and ``notes`` says so. The readers' output works as it is.
    time : hashable, default "year"
        Time column: numeric years, or first-of-month dates / monthly periods.
        Without a ``year`` column, a ``period_start`` column of single
        registration years (``period_end`` equal to it, as
        :func:`~overdose_trends.io.datasets.national_deaths` gives) is used;
        multi-year periods are refused.
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
    method : {"permutation", "bic", "wbic"}, default "permutation"
        ``"permutation"`` (NCI Joinpoint 4's default, kept as the default
        here so that published numbers do not change): sequential
        permutation tests (Kim et al. 2000): ``H0: ka`` vs ``H1: kb`` from
        ``ka = min``, ``kb = max``, raising ``ka`` on rejection and lowering
        ``kb`` otherwise; each test at level ``alpha / (max - ka)`` (NCI since
        version 3.0); statistic ``SSE(ka)/SSE(kb)``, null distribution from
        permuting the standardised residuals of the ``ka`` fit. ``"bic"``:
        smallest ``BIC(k) = ln(SSE(k)/n) + 2 (k + 1) ln(n) / n`` (Kim et al.
        2009). ``"wbic"`` (NCI Joinpoint 5's default): smallest weighted BIC
        ``WBIC(k) = ln(SSE(k)/n) + ((2 + R2max) k + 2) ln(n) / n``, i.e.
        ``(1 - R2max) BIC(k) + R2max BIC3(k)`` with ``BIC3`` the BIC with
        ``3k + 2`` parameters, where ``R2max`` is the largest partial
        R-squared of a joinpoint's hinge given a straight line over the two
        segments that meet there (Kim, Chen, Midthune et al. 2023). No
        random numbers: the same data always give the same model.
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
    max_permutations : int, optional
        Refinement of p-values near their level. Every test's p-value has a
        Monte Carlo standard error ``se = sqrt(p (1 - p) / l)`` (``l``
        permutations drawn; ``selection.p_se``). When ``|p - level| < 2 se``
        the test draws more permutations from its own stream, doubling the
        total (to ``2 max(l, N)``, then twice that, ...) and recomputing ``p =
        (g + 1) / (l + 1)`` over all of them, until ``|p - level| >= 2 se``
        or ``max_permutations`` are drawn; a test still that close at the cap
        is flagged (``selection.near_level``, and a note). Default ``20 *
        n_permutations`` (89,980); ``max_permutations=n_permutations`` turns
        the refinement off (NCI Joinpoint 4's fixed-``N`` tests).
    ci_method : {"lerman", "continuous", "empirical"}, default "lerman"
        Intervals of the APCs and AAPCs. ``"lerman"`` (NCI's parametric
        method, Joinpoint 4's default): standard errors from the
        unconstrained fit of each segment without the points on joinpoints,
        t with ``n - k - 2(k + 1)`` degrees of freedom. ``"continuous"``:
        covariance of the continuous model's slopes given the joinpoints,
        residual variance ``SSE / (n - p)``, t with ``n - p`` degrees of
        freedom, ``p = 2k + 2``. ``"empirical"`` (Joinpoint 5's default):
        empirical quantiles of the APC and AAPC over ``n_resamples`` refits of
        the chosen model (same number of joinpoints, locations re-estimated)
        to data made of its fitted values plus residuals drawn with
        replacement (standardised, centred, scaled by ``sqrt(n / (n -
        p))``); p-values ``2 min(P*(b <= 0), P*(b >= 0))`` from the same
        refits, ``slope_se`` their standard deviation.
    n_resamples : int, default 5000
        Resampled data sets for ``ci_method="empirical"``.
    seed : int, SeedSequence or None
        Seed of the permutations. Each series draws from its own stream,
        derived from the seed and the series' ``by`` values, so its results do
        not depend on ``n_jobs`` nor on which other series are fitted with it.
        None: fresh randomness.
    n_jobs : int, default 1
        Worker processes for the model search (``concurrent.futures`` with
        the "spawn" start method; each worker uses one BLAS thread, which
        suits the many small matrix products). Negative values count back
        from the number of cores as joblib does: ``-1`` uses every core
        (:func:`os.cpu_count`), ``-2`` all but one; 0 is refused. Scripts
        that use more than one worker need the usual ``if __name__ ==
        "__main__":`` guard.
    progress : bool, default False
        Show a tqdm progress bar over the series.

    Returns
    -------
    JoinpointFit
        ``models`` (joinpoints chosen), ``segments`` (APC of each segment in %
        per year with its interval), ``fitted``, ``selection``, ``locations``
        (interval for each joinpoint) tables (see :class:`JoinpointFit`),
        :meth:`JoinpointFit.aapc` (AAPC in % per year), ``method`` and
        ``notes``. ``.summary()`` gives the key numbers, ``.plot()``
        the figure.

    Raises
    ------
    ValueError
        Naming the series, for bad input (too few points for
        ``min_joinpoints`` - at least 3 -, missing or repeated years,
        negative, fractional or all-zero counts, zero
        counts with ``zero_counts="error"``, non-positive rates, standard
        errors or limits), and for invalid arguments. One bad series stops the
        whole batch: with ``by`` the message names every bad series and ends
        with pandas code to leave them out of ``data``.

    Notes
    -----
    APC = ``100 (exp(b) - 1)`` per year for a segment slope ``b`` of
    ``log(y)`` per year, limits ``100 (exp(b -+ t se) - 1)``; for monthly
    series the slope per month is multiplied by 12 (APC per year). The
    joinpoint locations are estimated; their uncertainty is not in the
    parametric APC intervals (nor in NCI's), but it is in the empirical ones.
    ``locations`` gives an interval for each joinpoint: Lerman's (1980)
    profile interval, the observed times ``x`` where the best fit with that
    joinpoint at ``x`` has ``SSE <= SSE_min (1 + F(conf; 1, n - p) / (n -
    p))``, with the parametric methods; quantiles of the resampled joinpoints
    with ``ci_method="empirical"``.

    Defaults: ``method="permutation"``, ``ci_method="lerman"`` and 4499
    permutations are NCI Joinpoint 4's defaults (with p-values near their
    level refined, see ``max_permutations``); pass ``method="wbic",
    ci_method="empirical"`` for Joinpoint 5's. Joinpoint 5 also lowered
    the default maximum number of joinpoints for short series; here
    ``max_joinpoints`` stays 3.

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

    Kim HJ, Chen HS, Midthune D, Wheeler B, Buckman DW, Green D, Byrne J,
    Luo J, Feuer EJ (2023). Data-driven choice of a model selection method in
    joinpoint regression. *Journal of Applied Statistics* 50(9):1992-2013.

    Kim HJ, Chen HS, Byrne J, Wheeler B, Feuer EJ (2022). Twenty years since
    Joinpoint 1.0: two major enhancements, their justification, and impact.
    *Statistics in Medicine* 41(16):3102-3130.

    Kim HJ, Luo J, Chen HS, Green D, Buckman D, Byrne J, Feuer EJ (2017).
    Improved confidence interval for average annual percent change in trend
    analysis. *Statistics in Medicine* 36(19):3059-3074.

    Lerman PM (1980). Fitting segmented regression models by grid search.
    *Journal of the Royal Statistical Society C* 29(1):77-84.

    Besag J, Clifford P (1991). Sequential Monte Carlo p-values. *Biometrika*
    78(2):301-304.

    National Cancer Institute, Surveillance Research Program. Joinpoint
    Regression Program and its help pages ("Grid Search Method - Details",
    "Minimum Number of Observations Required", "Permutation Test Details",
    "Estimated Regression Coefficients (Beta)", "Average Annual Percent
    Change (AAPC) and Confidence Interval", "Weighted BIC (WBIC)", "V 5.0 -
    Default Settings Changes"), https://surveillance.cancer.gov/joinpoint/.

    Examples
    --------
    The age-standardised rate of drug-poisoning deaths in England and Wales,
    1993-2021 (ONS, per million, with 95% limits), straight from the shipped
    extract; the number of joinpoints chosen by the BIC:

    >>> nat = ot.datasets.national_deaths()
    >>> asmr = nat[(nat["table"] == "asmr") & (nat["measure"] == "poisoning")
    ...            & (nat["sex"] == "persons") & (nat["substance"] == "all")]
    >>> fit = ot.fit_joinpoint(asmr, rate="rate", lcl="lcl", ucl="ucl", method="bic")
    >>> fit.models["joinpoints"].iloc[0]
    (1998, 2012, 2015)
    >>> fit.summary()[["measure", "start", "end", "apc", "apc_lcl", "apc_ucl"]]
      measure  start   end   apc  apc_lcl  apc_ucl
    0     APC   1993  1998   5.6      2.3      9.0
    1     APC   1998  2012  -1.3     -2.0     -0.6
    2     APC   2012  2015  10.7     -2.5     25.5
    3     APC   2015  2021   4.6      2.7      6.5
    4    AAPC   1993  2021   2.4      0.9      3.9

    The rate fell by 1.3% a year from 1998 to 2012 and has risen since; over
    1993-2021 it rose by 2.4% a year on average. The permutation test (the
    default, as NCI's Joinpoint 4) takes longer and chooses its own number of
    joinpoints (notebook 03 compares them).

    NCI Joinpoint 5's defaults, the weighted BIC and empirical-quantile
    intervals (here from 1,000 resampled series), with an interval for each
    joinpoint:

    >>> fit5 = ot.fit_joinpoint(asmr, rate="rate", lcl="lcl", ucl="ucl", method="wbic",
    ...                         ci_method="empirical", n_resamples=1000, seed=1)
    >>> print(fit5.method)
    joinpoints chosen by the weighted BIC; empirical-quantile intervals; NCI Joinpoint 5 defaults
    >>> fit5.summary()[["measure", "start", "end", "apc", "apc_lcl", "apc_ucl"]]
      measure  start   end   apc  apc_lcl  apc_ucl
    0     APC   1993  1998   5.6      2.9      9.7
    1     APC   1998  2012  -1.3     -2.5      0.3
    2     APC   2012  2015  10.7     -2.1     12.9
    3     APC   2015  2021   4.6      1.0      6.3
    4    AAPC   1993  2021   2.4      2.1      2.7
    >>> fit5.locations[["joinpoint", "time", "lcl", "ucl"]]
       joinpoint  time   lcl   ucl
    0          1  1998  1996  2000
    1          2  2012  2001  2012
    2          3  2015  2010  2019

    The same joinpoints; the empirical intervals carry the uncertainty of
    where the joinpoints are (the 2012 one could be anywhere from 2001), so
    the 1998-2012 fall is no longer clearly below zero.
    """
    func = "fit_joinpoint"
    check_choice(func, "model", model, ("loglinear",))
    check_choice(func, "variance", variance, ("auto", "constant"))
    check_choice(func, "zero_counts", zero_counts, ("error", "add_half"))
    opts = _check_options(
        method=method,
        ci_method=ci_method,
        max_joinpoints=max_joinpoints,
        min_joinpoints=min_joinpoints,
        min_obs_end=min_obs_end,
        min_obs_between=min_obs_between,
        min_segment=min_segment,
        n_permutations=n_permutations,
        n_jobs=n_jobs,
        conf=conf,
        alpha=alpha,
        max_permutations=max_permutations,
        n_resamples=n_resamples,
    )
    per = positive("per", per, "100000")
    opts.check_permutations()
    if rate is not None and variance == "constant" and se is None and lcl is None:
        data = data.assign(**{_PLACEHOLDER_SE: 1.0})  # the limits are not needed
        se = _PLACEHOLDER_SE
    columns = {"count": count, "population": population, "rate": rate, "se": se}
    ss = prepare(
        data, time=time, **columns, lcl=lcl, ucl=ucl, conf=limits_conf, by=by,
        min_points=opts.min_points(), func=func,
    )  # fmt: skip
    observed, y, w, variance_label = responses(
        ss, count=count, per=per, variance=variance, zero_counts=zero_counts
    )
    effective = opts.feasible_max(ss.lengths())
    jobs = _selection_jobs(
        ss, y, w, effective, opts, early_stop=early_stop, seed=seed, ci_method=ci_method,
        conf=float(conf),
    )  # fmt: skip
    selections = run_selection(jobs, opts.n_jobs, progress)
    tables = assemble(
        ss,
        selections,
        observed=observed,
        y=y,
        w=w,
        effective=effective,
        method=method,
        ci_method=ci_method,
        conf=float(conf),
        variance_label=variance_label,
        model=model,
    )
    return _result(
        ss, tables, conf=float(conf), per=per, zero_counts=zero_counts,
        method=method_text(method, ci_method),
    )  # fmt: skip


def _result(
    ss: SeriesSet, tables: Tables, *, conf: float, per: float, zero_counts: str, method: str
) -> JoinpointFit:
    """The :class:`JoinpointFit` of the tables, with what was done to the input in ``notes``."""
    counts = ss.count is not None
    keys = [str(c) for c in ss.groups.key_rows.columns]
    return JoinpointFit(
        models=tables.models,
        segments=tables.segments,
        fitted=tables.fitted,
        selection=tables.selection,
        conf=conf,
        scale="count" if (counts and ss.population is None) else "rate",
        per=per if (counts and ss.population is not None) else np.nan,
        time_unit=ss.time_unit,
        results=tables.results,
        notes=ss.notes + zero_note(ss, zero_counts) + fit_notes(tables.selection, keys),
        locations=tables.locations,
        method=method,
        _aapc_inputs=tables.aapc_inputs,
    )


@dataclass(frozen=True)
class _Options:
    """The checked search options of :func:`fit_joinpoint`."""

    method: str
    k_min: int
    k_max: int
    min_end: int
    min_between: int
    n_perm: int
    n_jobs: int
    alpha: float
    max_perm: int
    n_resamples: int

    def min_points(self) -> int:
        """Fewest points a series needs for ``k_min`` joinpoints and one residual df."""
        fewest = 3 + 2 * self.k_min
        if self.k_min > 0:
            fewest = max(
                fewest, 2 * self.min_end + (self.k_min - 1) * self.min_between + self.k_min
            )
        return fewest

    def feasible_max(self, lengths: NDArray[np.int64]) -> list[int]:
        """Largest number of joinpoints of each series: ``k_max``, or fewer for a short one.

        ``k`` joinpoints need ``2 min_end + (k - 1) min_between + k`` points (NCI
        spacing) and ``2k + 3`` for a residual degree of freedom.
        """
        return [
            min(
                self.k_max,
                max_feasible_joinpoints(int(n), self.min_end, self.min_between),
                (int(n) - 3) // 2,
            )
            for n in lengths
        ]

    def check_permutations(self) -> None:
        """Raise when ``n_perm`` permutations cannot reach the smallest test level."""
        if self.method == "permutation" and self.k_max > self.k_min:
            smallest = self.alpha / (self.k_max - self.k_min)
            if 1.0 / (self.n_perm + 1) >= smallest:
                raise ValueError(
                    f"fit_joinpoint: n_permutations={self.n_perm} is too few to reject at "
                    f"level {smallest:g}; use at least {math.ceil(1 / smallest)}"
                )


def _check_options(
    *,
    method: str,
    ci_method: str,
    max_joinpoints: int,
    min_joinpoints: int,
    min_obs_end: int,
    min_obs_between: int,
    min_segment: int | None,
    n_permutations: int,
    n_jobs: int,
    conf: float,
    alpha: float,
    max_permutations: int | None,
    n_resamples: int,
) -> _Options:
    """The search options of :func:`fit_joinpoint`, checked."""
    func = "fit_joinpoint"
    check_choice(func, "method", method, ("permutation", "bic", "wbic"))
    check_choice(func, "ci_method", ci_method, ("lerman", "continuous", "empirical"))
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
    z_value(conf)
    if max_permutations is None:
        max_perm = _EXTEND_FACTOR * n_perm
    else:
        max_perm = check_whole(func, "max_permutations", max_permutations, 1)
        if max_perm < n_perm:
            raise ValueError(
                f"{func}: max_permutations ({max_perm}) must be at least n_permutations "
                f"({n_perm}); pass max_permutations=n_permutations to turn the refinement off"
            )
    resamples = check_whole(func, "n_resamples", n_resamples, 1)
    if ci_method == "empirical" and resamples < math.ceil(2.0 / (1.0 - float(conf))):
        raise ValueError(
            f"{func}: n_resamples={resamples} is too few for {float(conf):.3g} empirical "
            f"intervals; use at least {math.ceil(2.0 / (1.0 - float(conf)))} (default "
            f"{_N_RESAMPLES})"
        )
    workers = check_jobs(func, n_jobs)
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"{func}: alpha must be between 0 and 1, got {alpha!r}")
    return _Options(
        method, k_min, k_max, min_end, min_between, n_perm, workers, float(alpha), max_perm,
        resamples,
    )  # fmt: skip


def _selection_jobs(
    ss: SeriesSet,
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    effective: list[int],
    opts: _Options,
    *,
    early_stop: bool,
    seed: int | np.random.SeedSequence | None,
    ci_method: str,
    conf: float,
) -> list[dict[str, Any]]:
    """Keyword arguments of the model search of each series, with its own random stream."""
    seeds = series_seeds(seed, ss.groups)
    return [
        {
            "y": y[ss.rows(g)],
            "weights": w[ss.rows(g)],
            "times": ss.time[ss.rows(g)],
            "k_min": opts.k_min,
            "k_max": effective[g],
            "min_end": opts.min_end,
            "min_between": opts.min_between,
            "method": opts.method,
            "alpha": opts.alpha,
            "n_permutations": opts.n_perm,
            "early_stop": bool(early_stop),
            "seed": seeds[g],
            "max_permutations": opts.max_perm,
            "ci_method": ci_method,
            "n_resamples": opts.n_resamples,
            "conf": conf,
        }
        for g in range(ss.n_series)
    ]
