"""One log-linear count model (Poisson or NB2) for any design matrix.

Private to :mod:`overdose_trends.stats.trends`: :func:`fit_counts` fits one
series with the overdispersion rule of
:func:`~overdose_trends.stats.trends.loglinear.fit_trend`, :func:`link_limits`
gives fitted means with limits, :func:`one_sided` finds segments without a
finite slope and :func:`fitted_table` builds the ``fitted`` table. Both
:mod:`~overdose_trends.stats.trends.loglinear` and
:mod:`~overdose_trends.stats.trends.interrupted` fit their series with these.

References
----------
McCullagh P, Nelder JA (1989). *Generalized Linear Models*, 2nd ed. Chapman &
Hall (Pearson X^2 and the dispersion parameter, sections 4.4-4.5 and 6.2).

Cameron AC, Trivedi PK (1990). Regression-based tests for overdispersion in
the Poisson model. *Journal of Econometrics* 46:347-364.

Cameron AC, Trivedi PK (2013). *Regression Analysis of Count Data*, 2nd ed.
Cambridge University Press (NB2 model, chapter 3).

Haberman SJ (1974). *The Analysis of Frequency Data*. University of Chicago
Press (existence of log-linear maximum-likelihood estimates).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy import special, stats

from overdose_trends._frames import frame, tidy_number
from overdose_trends.constants import OVERDISPERSION_LEVEL
from overdose_trends.stats.trends._args import check_choice
from overdose_trends.stats.trends._series import SeriesSet

__all__ = [
    "FAMILIES",
    "CountFit",
    "Family",
    "check_family",
    "fit_counts",
    "fitted_table",
    "link_limits",
    "one_sided",
    "wald",
]

Family = Literal["auto", "poisson", "negbin"]
#: Accepted values of ``family``.
FAMILIES = ("auto", "poisson", "negbin")
#: NB2 ``alpha`` below which the negative binomial fit is taken to be at the
#: Poisson boundary (``alpha = 0``).
_ALPHA_BOUNDARY = 1e-8
#: Gain in log-likelihood of NB2 over Poisson below which the fit is taken to be at
#: the boundary.
_LLF_GAIN = 1e-6
#: Standard error (log scale) above which a coefficient is taken to have no finite
#: maximum-likelihood estimate (separation: IRLS drifts towards infinity).
_MAX_SE = 50.0


@dataclass(frozen=True)
class CountFit:
    """A fitted log-linear count model.

    Attributes
    ----------
    family : str
        ``"poisson"`` or ``"negbin"`` (NB2).
    params : ndarray
        Regression coefficients (log scale), in the order of the design columns.
    cov : ndarray
        Their covariance matrix: the inverse Fisher information
        ``(X' W X)^-1`` with ``W = mu`` (Poisson) or ``mu / (1 + alpha mu)``
        (NB2 at the estimated ``alpha``, as R's ``MASS::glm.nb``).
    alpha : float
        NB2 dispersion ``alpha`` (``Var = mu + alpha mu^2``); NaN for Poisson.
    mu : ndarray
        Fitted means (counts).
    dispersion, dispersion_p : float
        Pearson ``X^2 / df_resid`` of the **Poisson** fit and the upper-tail
        chi-square p-value of ``X^2`` on ``df_resid`` degrees of freedom
        (NaN when ``df_resid`` is 0).
    deviance : float
        Residual deviance of the reported model (NB2 deviance at the estimated
        ``alpha`` for the negative binomial).
    df_resid : int
        Points minus regression coefficients (``alpha`` not counted, as R's
        ``glm.nb``).
    aic : float
        ``-2 loglik + 2 (number of parameters)``, ``alpha`` counted for NB2.
    advice : str
        Text about overdispersion and the family used; ``""`` when none.
    result : object
        The statsmodels results (GLM Poisson, or discrete ``NegativeBinomial``).
    """

    family: str
    params: NDArray[np.float64]
    cov: NDArray[np.float64]
    alpha: float
    mu: NDArray[np.float64]
    dispersion: float
    dispersion_p: float
    deviance: float
    df_resid: int
    aic: float
    advice: str
    result: Any


@dataclass(frozen=True)
class _Poisson:
    """The Poisson fit of one series and its Pearson overdispersion test."""

    result: Any
    mu: NDArray[np.float64]
    dispersion: float
    dispersion_p: float
    df_resid: int

    @property
    def over(self) -> bool:
        """Overdispersed at :data:`OVERDISPERSION_LEVEL`."""
        return bool(self.dispersion_p < OVERDISPERSION_LEVEL)

    @property
    def why(self) -> str:
        """``"overdispersed (Pearson chi2/df = 2.10, p = 0.003)"``, or ``""``."""
        if not self.over:
            return ""
        return (
            f"overdispersed (Pearson chi2/df = {self.dispersion:.2f}, p = {self.dispersion_p:.2g})"
        )

    def as_fit(self, family: str, alpha: float, aic_extra: float, advice: str) -> CountFit:
        """The Poisson estimates reported as ``family`` (NB2 at ``alpha = 0`` is Poisson)."""
        pois = self.result
        return CountFit(
            family,
            np.asarray(pois.params, dtype=np.float64),
            np.asarray(pois.cov_params(), dtype=np.float64),
            alpha,
            self.mu,
            self.dispersion,
            self.dispersion_p,
            float(pois.deviance),
            self.df_resid,
            float(pois.aic) + aic_extra,
            advice,
            pois,
        )


def check_family(family: str, func: str) -> None:
    """Raise ValueError unless ``family`` is one of :data:`FAMILIES`."""
    check_choice(func, "family", family, FAMILIES)


def _nb2_deviance(y: NDArray[np.float64], mu: NDArray[np.float64], alpha: float) -> float:
    """NB2 deviance ``2 sum[y log(y/mu) - (y + 1/alpha) log((1 + alpha y)/(1 + alpha mu))]``."""
    ylogy = special.xlogy(y, y) - special.xlogy(y, mu)
    return float(
        2.0 * np.sum(ylogy - (y + 1.0 / alpha) * np.log1p(alpha * (y - mu) / (1 + alpha * mu)))
    )


def _negbin(
    y: NDArray[np.float64], X: pd.DataFrame, offset: NDArray[np.float64], start: NDArray[np.float64]
) -> Any:
    """Maximum-likelihood NB2 fit (statsmodels), or None if it fails.

    BFGS on ``log(alpha)`` (robust near the Poisson boundary), then Newton steps
    from there for full precision when ``alpha`` is away from 0.
    """
    model = sm.NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = model.fit(start_params=start, method="bfgs", maxiter=1000, disp=0)
        except (np.linalg.LinAlgError, ValueError):
            return None
        if not np.all(np.isfinite(res.params)):
            return None
        if res.params.iloc[-1] <= 1e-6:
            return res
        try:
            polished = model.fit(
                start_params=res.params.to_numpy(), method="newton", maxiter=50, disp=0
            )
        except (np.linalg.LinAlgError, ValueError):
            return res
        better = (
            polished.mle_retvals.get("converged", False)
            and np.all(np.isfinite(polished.params))
            and polished.llf >= res.llf - 1e-9
        )
    return polished if better else res


def _poisson(
    y: NDArray[np.float64],
    X: pd.DataFrame,
    offset: NDArray[np.float64],
    label: str,
    func: str,
    hint: str,
) -> _Poisson:
    """Poisson GLM with the Pearson test; ValueError when a coefficient has no finite estimate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(tol=1e-12, maxiter=100)
    se_p = np.sqrt(np.diag(np.asarray(pois.cov_params(), dtype=np.float64)))
    if not np.all(np.isfinite(pois.params)) or np.any(se_p > _MAX_SE):
        sparse = [str(c) for c, s in zip(X.columns, se_p, strict=True) if not s <= _MAX_SE]
        raise ValueError(
            f"{func}: {label}: the counts are too sparse for this model: {', '.join(sparse)} "
            "has no finite maximum-likelihood estimate (e.g. a month of the year or a "
            f"segment with no deaths); use fewer seasonal terms or pool the data{hint}"
        )
    df_resid = len(y) - X.shape[1]
    mu_p = np.asarray(pois.fittedvalues, dtype=np.float64)
    x2 = float(np.sum((y - mu_p) ** 2 / mu_p))
    if df_resid > 0:
        dispersion = x2 / df_resid
        dispersion_p = float(stats.chi2.sf(x2, df_resid))
    else:
        dispersion = dispersion_p = np.nan
    return _Poisson(pois, mu_p, dispersion, dispersion_p, df_resid)


def fit_counts(
    y: NDArray[np.float64],
    X: pd.DataFrame,
    offset: NDArray[np.float64],
    family: str,
    label: str,
    func: str,
    hint: str = "",
) -> CountFit:
    """Fit one log-linear count model, choosing the family by the overdispersion rule.

    Parameters
    ----------
    y : ndarray
        Counts.
    X : pandas.DataFrame
        Design matrix (named columns become the parameter names).
    offset : ndarray
        ``log(population)``, or zeros.
    family : {"auto", "poisson", "negbin"}
        See :func:`~overdose_trends.stats.trends.loglinear.fit_trend`.
    label, func : str
        Series label and calling function, for messages.
    hint : str
        Appended to error messages (how to leave the series out of a batch;
        see :func:`~overdose_trends.stats.trends._series.exclusion_hint`).

    Returns
    -------
    CountFit

    Raises
    ------
    ValueError
        When a coefficient has no finite estimate (standard error above
        ``_MAX_SE`` on the log scale: separation, e.g. a season with no
        deaths) or the negative binomial fit does not converge.
    """
    pois = _poisson(y, X, offset, label, func, hint)
    if family == "poisson" or (family == "auto" and not pois.over):
        advice = (
            f"{pois.why}: Poisson confidence intervals are too narrow; use family='negbin' "
            "or 'auto'"
            if pois.over
            else ""
        )
        return pois.as_fit("poisson", np.nan, 0.0, advice)
    # negative binomial (NB2). The score for alpha at alpha = 0 is
    # sum((y - mu)^2 - y) / 2 (Cameron & Trivedi 1990): when it is not positive the
    # likelihood is maximised at the Poisson boundary and no NB2 fit is needed.
    mu_p = pois.mu
    excess = float(np.sum((y - mu_p) ** 2 - y))
    lead = f"{pois.why}: " if pois.over else ""
    nb = None
    if excess > 0:
        alpha0 = max(excess / float(np.sum(mu_p**2)), 0.01)  # moment start
        nb = _negbin(y, X, offset, np.r_[np.asarray(pois.result.params), alpha0])
        if nb is None:
            raise ValueError(
                f"{func}: {label}: the negative binomial fit did not converge; try "
                f"family='poisson'{hint}"
            )
    # at the boundary (alpha -> 0, no gain in log-likelihood) the NB2 model is Poisson's
    alpha = float(nb.params.iloc[-1]) if nb is not None else 0.0
    if nb is None or alpha < _ALPHA_BOUNDARY or nb.llf - pois.result.llf < _LLF_GAIN:
        note = "negative binomial alpha estimated as 0 (no overdispersion): the fit is Poisson's"
        return pois.as_fit("negbin", 0.0, 2.0, lead + note)
    if family == "auto":
        advice = f"{lead}refitted as negative binomial (NB2, alpha = {alpha:.3g})"
    else:
        advice = f"{lead}negative binomial (NB2, alpha = {alpha:.3g})" if pois.over else ""
    return _negbin_fit(y, X, offset, nb, alpha, pois, advice)


def _negbin_fit(
    y: NDArray[np.float64],
    X: pd.DataFrame,
    offset: NDArray[np.float64],
    nb: Any,
    alpha: float,
    pois: _Poisson,
    advice: str,
) -> CountFit:
    """The NB2 fit as a :class:`CountFit`, with R's ``glm.nb`` covariance."""
    k = X.shape[1]
    params = np.asarray(nb.params, dtype=np.float64)[:k]
    mu = np.exp(offset + X.to_numpy() @ params)
    # covariance of the regression coefficients from the expected information at the
    # estimated alpha, X' diag(mu / (1 + alpha mu)) X, as R's MASS::glm.nb reports it
    # (beta and alpha are orthogonal in NB2: Cameron & Trivedi 2013, section 3.3)
    weights = mu / (1.0 + alpha * mu)
    cov = np.linalg.inv(X.to_numpy().T @ (weights[:, None] * X.to_numpy()))
    return CountFit(
        "negbin",
        params,
        cov,
        alpha,
        mu,
        pois.dispersion,
        pois.dispersion_p,
        _nb2_deviance(y, mu, alpha),
        pois.df_resid,
        float(nb.aic),
        advice,
        nb,
    )


def link_limits(
    X: NDArray[np.float64],
    offset: NDArray[np.float64],
    params: NDArray[np.float64],
    cov: NDArray[np.float64],
    z: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Fitted mean with Wald limits computed on the log scale and transformed back.

    ``eta = offset + X b``, ``se = sqrt(diag(X V X'))``; returns
    ``exp(eta), exp(eta - z se), exp(eta + z se)``.
    """
    eta = offset + X @ params
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
    return np.exp(eta), np.exp(eta - z * se), np.exp(eta + z * se)


def wald(estimate: NDArray[np.float64], se: NDArray[np.float64]) -> NDArray[np.float64]:
    """Two-sided normal p-value of ``estimate / se``."""
    return np.asarray(2.0 * stats.norm.sf(np.abs(estimate / se)), dtype=np.float64)


def one_sided(y: NDArray[np.float64], starts: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Segments (rows ``starts[i]:starts[i+1]``) without a finite log-linear slope.

    A Poisson (or NB2) line ``log mu = a + b t`` has a finite maximum-likelihood
    estimate only if the count-weighted mean time lies strictly inside the
    segment's time range: not when every count is 0, nor when all deaths fall
    at its first or its last point (Haberman 1974, *The Analysis of Frequency
    Data*, on existence of log-linear MLEs).
    """
    first, last = starts[:-1], starts[1:] - 1
    positive = (y > 0).astype(np.int64)
    n_positive = np.add.reduceat(positive, first)
    at_end = (positive[first] == 1) | (positive[last] == 1)
    return np.asarray((n_positive == 0) | ((n_positive == 1) & at_end), dtype=np.bool_)


def fitted_table(
    sset: SeriesSet,
    per: float,
    counts: dict[str, NDArray[np.float64]],
    after_time: dict[str, NDArray[Any]] | None = None,
) -> pd.DataFrame:
    """The ``fitted`` table of a count model: one row per series and time point.

    Columns: the ``by`` keys, ``time``, the ``after_time`` columns,
    ``observed`` (counts), ``population`` (NaN without one), the expected
    ``counts`` columns, then ``observed_rate`` and each count column as a rate,
    times ``per / population`` (NaN without a population): ``expected`` gives
    ``rate``, ``expected_lcl`` gives ``rate_lcl``, ``counterfactual_ucl``
    gives ``counterfactual_rate_ucl``.
    """
    y = sset.count
    assert y is not None
    pop = sset.population if sset.population is not None else np.full(y.size, np.nan)
    scale = per / pop
    columns: dict[str, object] = {"time": sset.times, **(after_time or {})}
    columns |= {"observed": tidy_number(y), "population": pop, **counts}
    columns["observed_rate"] = y * scale
    for name, values in counts.items():
        base, _, limit = name.partition("_")
        rate = ("rate" if base == "expected" else f"{base}_rate") + (f"_{limit}" if limit else "")
        columns[rate] = values * scale
    keys = sset.groups.key_rows.iloc[sset.groups.gid].reset_index(drop=True)
    return frame(keys, columns)
