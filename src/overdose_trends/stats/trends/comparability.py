"""Are two joinpoint trends parallel, or the same? The comparability tests of NCI's Joinpoint.

:func:`compare_joinpoint` takes two series fitted by
:func:`~overdose_trends.stats.trends.joinpoint.fit_joinpoint` (e.g. males and
females, or two regions, on the same years) and tests, by permutation, whether
their joinpoint models are *parallel* (same joinpoints and APCs, a constant
rate ratio between them) or *coincident* (one model for both), against
separate models (Kim et al. 2004). The computation is in
``overdose_trends.stats.trends._joinpoint_compare``.

References
----------
Kim HJ, Fay MP, Yu B, Barrett MJ, Feuer EJ (2004). Comparability of segmented
line regression models. *Biometrics* 60(4):1005-1014.

National Cancer Institute. Joinpoint help: "Comparability Test" (pairwise
comparison of two joinpoint models), https://surveillance.cancer.gov/help/joinpoint/.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import plain, show
from overdose_trends.constants import (
    NCI_ALPHA,
    NCI_MIN_OBS_BETWEEN,
    NCI_MIN_OBS_END,
    NCI_PERMUTATIONS,
)
from overdose_trends.stats.trends._args import check_choice, check_whole
from overdose_trends.stats.trends._display import FitDisplay, rounded
from overdose_trends.stats.trends._joinpoint_compare import compare_series
from overdose_trends.stats.trends.joinpoint import JoinpointFit

__all__ = ["JoinpointComparison", "compare_joinpoint"]

Test = Literal["parallel", "coincident"]
_FUNC = "compare_joinpoint"
_DIGITS: dict[str, int | str] = {"rate_ratio": 3, "statistic": 4, "p_value": "p", "p_se": "p"}


@dataclass(frozen=True, repr=False)
class JoinpointComparison(FitDisplay):
    """Result of :func:`compare_joinpoint`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row: ``test`` ("parallel" or "coincident"), ``series_a``,
        ``series_b`` (the two series named), ``k`` (joinpoints in every
        model), ``joinpoints`` (times of the joinpoints of the common model
        under the null hypothesis), ``rate_ratio`` (parallel test: ratio of
        series b's to series a's rate in the common model; NaN for the
        coincidence test), ``statistic`` (``SSE0 / SSE1``: weighted SSE of the
        common model over that of the two separate models), ``p_value``,
        ``p_se`` (Monte Carlo standard error), ``n_permutations`` (drawn),
        ``alpha``, ``reject`` (the series are not parallel / not coincident
        at level ``alpha``), ``near_level`` (p-value still within 2 Monte
        Carlo SE of ``alpha``) and ``conclusion`` (in words).
    notes : tuple of str
        How the test was done.

    Notes
    -----
    Shows itself (``repr``, and in a notebook) as its summary with a heading
    and the notes.
    """

    table: pd.DataFrame
    notes: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """The test's key numbers, rounded.

        Returns
        -------
        pandas.DataFrame
            ``test``, ``series_a``, ``series_b``, ``k``, ``rate_ratio`` (3
            decimals), ``statistic`` (4 decimals), ``p_value`` and ``p_se`` (2
            significant figures), ``n_permutations``, ``reject`` and
            ``conclusion``.
        """
        columns = ["test", "series_a", "series_b", "k", *_DIGITS, "n_permutations", "reject",
                   "conclusion"]  # fmt: skip
        return rounded(self.table[columns], _DIGITS)

    def _heading(self) -> str:
        row = self.table.iloc[0]
        return (
            f"JoinpointComparison: test of {row['test']} joinpoint models (Kim et al. 2004 "
            f"permutation test, {int(row['n_permutations']):,} permutations)"
        )

    def plot(self, series: Any = None, **kwargs: Any) -> Any:
        """No figure of its own: draw the two fits (``JoinpointFit.plot``) side by side."""
        raise NotImplementedError(
            "JoinpointComparison has no figure; plot the fits compared with JoinpointFit.plot()"
        )


@dataclass(frozen=True)
class _Series:
    label: str
    y: NDArray[np.float64]
    w: NDArray[np.float64]
    t: NDArray[np.float64]
    times: list[Any]
    k: int


def _keys(fit: JoinpointFit) -> list[str]:
    columns = list(fit.models.columns)
    return [str(c) for c in columns[: columns.index("model")]]


def _series_of(fit: JoinpointFit, g: int, default: str) -> _Series:
    keys = _keys(fit)
    row = fit.models.iloc[g]
    key = tuple(row[k] for k in keys)
    label = ", ".join(f"{k}={show(row[k])}" for k in keys) or default
    results = fit.results[key]
    model = results.model
    exog = np.asarray(model.exog, dtype=np.float64)
    fitted = fit.fitted
    mine = np.ones(len(fitted), dtype=bool)
    for k in keys:
        mine &= (fitted[k] == row[k]).to_numpy(dtype=bool)
    return _Series(
        label=label, y=np.asarray(model.endog, dtype=np.float64),
        w=np.asarray(model.weights, dtype=np.float64) * np.ones(exog.shape[0]),
        t=exog[:, 1], times=[plain(v) for v in fitted.loc[mine, "time"].tolist()],
        k=int(row["n_joinpoints"]),
    )  # fmt: skip


def _match(fit: JoinpointFit, wanted: Any) -> int:
    keys = _keys(fit)
    values = tuple(wanted) if isinstance(wanted, tuple) else (wanted,)
    if isinstance(wanted, dict):
        values = tuple(wanted.get(k) for k in keys)
    hits = [
        g for g in range(len(fit.models))
        if tuple(plain(fit.models.iloc[g][k]) for k in keys) == tuple(plain(v) for v in values)
    ]  # fmt: skip
    if len(hits) != 1:
        raise ValueError(
            f"{_FUNC}: no series {show(wanted)} in the fit (its series are keyed by "
            f"{keys}); pass series=(key_a, key_b) with two of its keys"
        )
    return hits[0]


def _pick(fit: JoinpointFit, other: JoinpointFit | None, series: Any) -> tuple[_Series, _Series]:
    for obj in (fit, other):
        if obj is not None and not isinstance(obj, JoinpointFit):
            raise ValueError(f"{_FUNC}: expected a JoinpointFit from fit_joinpoint, got "
                             f"{type(obj).__name__}")  # fmt: skip
    if other is not None:
        if len(fit.models) != 1 or len(other.models) != 1 or series is not None:
            raise ValueError(
                f"{_FUNC}: with two fits, each must hold one series (it has "
                f"{len(fit.models)} and {len(other.models)}); for a fit with several series "
                "pass it alone with series=(key_a, key_b)"
            )
        return _series_of(fit, 0, "first fit"), _series_of(other, 0, "second fit")
    if series is None:
        if len(fit.models) != 2:
            raise ValueError(
                f"{_FUNC}: the fit has {len(fit.models)} series; pass series=(key_a, key_b) "
                "to choose two, or two single-series fits"
            )
        return _series_of(fit, 0, "series 1"), _series_of(fit, 1, "series 2")
    if isinstance(series, str) or not isinstance(series, Sequence) or len(series) != 2:
        raise ValueError(f"{_FUNC}: series must be a pair of series keys, got {show(series)}")
    a, b = (_match(fit, s) for s in series)
    return _series_of(fit, a, "series 1"), _series_of(fit, b, "series 2")


def _check_same_times(a: _Series, b: _Series) -> None:
    if a.times == b.times:
        return
    common = sorted(set(a.times) & set(b.times))
    span = f" ({show(common[0])} to {show(common[-1])})" if common else ""
    raise ValueError(
        f"{_FUNC}: {a.label} has {len(a.times)} time points ({show(a.times[0])} to "
        f"{show(a.times[-1])}) and {b.label} has {len(b.times)} ({show(b.times[0])} to "
        f"{show(b.times[-1])}); the comparability tests need both series on the same time "
        f"points: fit both on their common times{span} and compare again"
    )


def compare_joinpoint(
    fit: JoinpointFit,
    other: JoinpointFit | None = None,
    *,
    series: Sequence[Hashable] | None = None,
    test: Test = "parallel",
    alpha: float = NCI_ALPHA,
    n_permutations: int = NCI_PERMUTATIONS,
    max_permutations: int | None = None,
    min_obs_end: int = NCI_MIN_OBS_END,
    min_obs_between: int = NCI_MIN_OBS_BETWEEN,
    seed: int | np.random.SeedSequence | None = None,
) -> JoinpointComparison:
    """Test whether two joinpoint trends are parallel or coincident (Kim et al. 2004).

    Parameters
    ----------
    fit : JoinpointFit
        From :func:`~overdose_trends.stats.trends.joinpoint.fit_joinpoint`:
        either with exactly two series (``by``), or with several and
        ``series`` naming two, or with one series and ``other`` the second.
        Both series must have the same time points (ValueError otherwise,
        naming both series and their common times).
    other : JoinpointFit, optional
        A second single-series fit.
    series : pair of keys, optional
        The two series of ``fit`` to compare: their ``by`` values (a value,
        a tuple for several ``by`` columns, or a dict).
    test : {"parallel", "coincident"}, default "parallel"
        Null hypothesis. ``"parallel"``: the two log-linear joinpoint models
        have the same joinpoints and APCs and differ by a constant (the rate
        ratio is the same every year). ``"coincident"``: one model fits both.
        Alternative: a separate model for each series.
    alpha : float, default 0.05
        Level of the test.
    n_permutations : int, default 4499
        Permutations (NCI's default number).
    max_permutations : int, optional
        Most permutations when the p-value is within two Monte Carlo standard
        errors of ``alpha`` (refined as in ``fit_joinpoint``); default ``20 *
        n_permutations``; ``max_permutations=n_permutations`` turns this off.
    min_obs_end, min_obs_between : int, default 2 and 2
        Grid-search spacing (as given to ``fit_joinpoint``).
    seed : int, SeedSequence or None
        Seed of the permutations.

    Returns
    -------
    JoinpointComparison
        ``table`` (one row: statistic, p-value with its Monte Carlo standard
        error, decision, the common model's joinpoints and rate ratio),
        ``.summary()`` and a notebook display.

    Raises
    ------
    ValueError
        For series with different time points, a fit without two series to
        compare, and invalid arguments.

    Notes
    -----
    Every model has ``K = max(k_a, k_b)`` joinpoints, ``k_a`` and ``k_b`` the
    numbers chosen in the two fits, their locations found by the grid search
    (on the observed times). With ``SSE`` the weighted sums of squared errors
    of the fits' log-linear models (their weights are kept), the statistic is
    ``SSE0 / SSE1``: the best common (parallel: with a series-specific
    intercept) ``K``-joinpoint model over the two best separate ones. Its
    null distribution comes from permuting the standardised residuals of the
    common model over all ``2n`` points, adding them back to its fitted
    values and refitting both hypotheses; ``p = (g + 1) / (N + 1)``, with
    Monte Carlo standard error ``sqrt(p (1 - p) / N)``. Coincidence implies
    parallelism; test parallelism first (as NCI's program reports both).

    References
    ----------
    Kim HJ, Fay MP, Yu B, Barrett MJ, Feuer EJ (2004). Comparability of
    segmented line regression models. *Biometrics* 60(4):1005-1014.

    Kim HJ, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for
    joinpoint regression with applications to cancer rates. *Statistics in
    Medicine* 19(3):335-351.

    Examples
    --------
    Drug-poisoning death rates (age-standardised, England and Wales,
    1993-2021) of males and females, joinpoints chosen by the weighted BIC:

    >>> nat = ot.datasets.national_deaths()
    >>> asmr = nat[(nat["table"] == "asmr") & (nat["measure"] == "poisoning")
    ...            & (nat["sex"] != "persons") & (nat["substance"] == "all")]
    >>> fit = ot.fit_joinpoint(asmr, rate="rate", lcl="lcl", ucl="ucl", by="sex", method="wbic")
    >>> fit.models[["sex", "joinpoints"]]
           sex    joinpoints
    0  females  (1999, 2009)
    1    males  (1998, 2011)
    >>> result = ot.compare_joinpoint(fit, test="parallel", n_permutations=999, seed=1)
    >>> result.summary()[["test", "k", "rate_ratio", "p_value", "reject"]]
           test  k  rate_ratio  p_value  reject
    0  parallel  2       2.133    0.001    True

    The two trends changed at about the same times but not in parallel: the
    male rate, about 2.1 times the female one in the common model, did not
    keep a constant ratio to it.
    """
    check_choice(_FUNC, "test", test, ("parallel", "coincident"))
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"{_FUNC}: alpha must be between 0 and 1, got {alpha!r}")
    n_perm = check_whole(_FUNC, "n_permutations", n_permutations, 1)
    if 1.0 / (n_perm + 1) >= float(alpha):
        raise ValueError(
            f"{_FUNC}: n_permutations={n_perm} is too few to reject at level {alpha:g}; use "
            f"at least {math.ceil(1 / float(alpha))}"
        )
    cap = 20 * n_perm if max_permutations is None else check_whole(
        _FUNC, "max_permutations", max_permutations, n_perm
    )  # fmt: skip
    min_end = check_whole(_FUNC, "min_obs_end", min_obs_end, 1)
    min_between = check_whole(_FUNC, "min_obs_between", min_obs_between, 0)
    a, b = _pick(fit, other, series)
    _check_same_times(a, b)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    res = compare_series(
        a.y, a.w, b.y, b.w, a.t - a.t[0], k=max(a.k, b.k), test=test, min_end=min_end,
        min_between=min_between, alpha=float(alpha), n_permutations=n_perm,
        max_permutations=cap, rng=np.random.default_rng(root),
    )  # fmt: skip
    reject = res.p_value < float(alpha)
    word = "not parallel" if test == "parallel" else "not coincident"
    conclusion = (
        f"{word} (p < {float(alpha):g})" if reject
        else f"{test} cannot be rejected (p >= {float(alpha):g})"
    )  # fmt: skip
    table = pd.DataFrame(
        {
            "test": [test], "series_a": [a.label], "series_b": [b.label], "k": [res.k],
            "joinpoints": pd.Series([tuple(a.times[j] for j in res.positions)], dtype=object),
            "rate_ratio": [math.exp(res.log_ratio) if test == "parallel" else math.nan],
            "statistic": [res.statistic], "p_value": [res.p_value], "p_se": [res.p_se],
            "n_permutations": [res.n_permutations], "alpha": [float(alpha)],
            "reject": [reject], "near_level": [res.near_level], "conclusion": [conclusion],
        }
    )  # fmt: skip
    notes = [
        f"{max(a.k, b.k)} joinpoint(s) in every model: the larger of the numbers chosen in the "
        f"fits ({a.k} for {a.label}, {b.k} for {b.label})"
    ]
    if res.near_level:
        notes.append(
            f"p = {res.p_value:.4f} is within 2 Monte Carlo SE ({res.p_se:.4f}) of alpha after "
            f"{res.n_permutations:,} permutations: the decision could differ with another seed"
        )
    return JoinpointComparison(table=table, notes=tuple(notes))
