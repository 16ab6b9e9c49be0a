"""Deaths averted by take-home naloxone: transparent estimates instead of "one kit = one life".

Services sometimes report every kit returned used as a life saved. Most
overdoses are not fatal even without naloxone, and some people die despite
it, so that figure overstates the effect several-fold. :func:`deaths_averted`
puts the naive figure next to two evidence-based estimates, each with an
uncertainty interval and its assumptions written out.

Use-based model
---------------
Let ``U`` be the number of kits reported used (kits returned used). The
number of distinct witnessed opioid overdoses treated is taken as

    E = U x undercount / kits_per_event

(``undercount`` = true uses per reported use, >= 1 when used kits go
unreported; ``kits_per_event`` >= 1 when several kits are used on one
person). Of these, a share ``s`` (``share_opioid_overdose``) were opioid
overdoses rather than training discharges, tests or non-opioid emergencies.
An overdose treated with naloxone would have been fatal without it with
probability ``p0`` and is fatal despite it with probability ``p1``. Assuming
naloxone never causes a death that would not otherwise have happened, each
treated event averts a death with probability ``s (p0 - p1)``, so given the
parameters

    deaths averted ~ Binomial(E, s (p0 - p1)),

with mean ``E s (p0 - p1)``. Parameter uncertainty is propagated by Monte
Carlo: each draw samples ``p0, p1, s, undercount, kits_per_event`` from
their priors, rounds ``E`` stochastically to a whole number (floor plus a
Bernoulli draw on the fraction, which keeps its mean) and then samples the
binomial. The interval is the equal-tailed quantile interval of the draws.

Why this shape: the binomial term is the chance variation in how many of the
``E`` treated overdoses would really have died, so the interval is wide for a
small service and narrows, relative to the estimate, as kits used grow; the
parameter term does not shrink with more kits, so the relative width falls
towards a floor set by the priors (for the default ``p0`` prior about
+/-50% of the estimate). Beta priors are used for probabilities (bounded in
0-1, fitted to a stated mean and 95% range), log-normal priors for positive
ratios (skewed ranges such as 71-716 kits); uniform or triangular priors would
put hard limits at the ends of ranges that are themselves only 95% intervals.

Defaults and sources:

* ``p0`` ~ Beta with mean 0.10 and 95% range of width 0.10 (0.056-0.156):
  fatality at overdoses witnessed by trained bystanders 6% (9/153; 95% CI
  2-11%) in Bird, Parmar & Strang (2015); about 1 death averted per 10 kits
  used in British Columbia (Irvine et al. 2018); roughly 1 fatal to 15
  non-fatal overdoses (Casillas et al. 2024).
* ``p1`` ~ Beta with mean 0.008 and 95% range 0.004-0.012: 1 death in 123
  take-home-naloxone-treated overdoses (McDonald & Strang 2016).
* ``share_opioid_overdose``, ``undercount`` and ``kits_per_event`` are 1
  (no adjustment) by default because no UK estimate was found; set them when
  the service knows better. With the defaults, ``U`` is read as the number of
  distinct treated opioid overdoses, which overstates it where several kits
  are used per event.

Distribution-based model
------------------------
deaths averted = K / k, with ``K`` kits issued and ``k`` kits distributed per
death averted; given ``k``, deaths averted ~ Binomial(K, 1/k). The default
``k`` is Coffin & Sullivan's (2013) 227 (95% CI 71-716) from a US model of
naloxone given to heroin users (a log-normal prior with median 227; the
interval is log-symmetric, so it is reproduced). Irvine et al. (2018) imply
about 64 kits per death averted in British Columbia's fentanyl era
(19,074 kits, 298 deaths averted). Either is a **transfer from another
setting**, not a measurement in the user's area.

References
----------
Bird SM, Parmar MKB, Strang J (2015). Take-home naloxone to prevent
fatalities from opiate-overdose: protocol for Scotland's public health policy
evaluation, and a new measure to assess impact. *Drugs: Education, Prevention
and Policy* 22(1):66-76. doi:10.3109/09687637.2014.981509

McDonald R, Strang J (2016). Are take-home naloxone programmes effective?
Systematic review utilizing application of the Bradford Hill criteria.
*Addiction* 111(7):1177-1187. doi:10.1111/add.13326

Irvine MA, Buxton JA, Otterstatter M, et al. (2018). Distribution of
take-home opioid antagonist kits during a synthetic opioid epidemic in
British Columbia, Canada: a modelling study. *Lancet Public Health*
3(5):e218-e225. doi:10.1016/S2468-2667(18)30044-6

Coffin PO, Sullivan SD (2013). Cost-effectiveness of distributing naloxone
to heroin users for lay overdose reversal. *Annals of Internal Medicine*
158(1):1-9. doi:10.7326/0003-4819-158-1-201301010-00003

Casillas SM, Pickens CM, Tanz LJ, Vivolo-Kantor AM (2024). Estimating the
ratio of fatal to non-fatal overdoses involving all drugs, all opioids,
synthetic opioids, heroin or stimulants, USA, 2010-2020. *Injury Prevention*
30:114-120. doi:10.1136/ip-2023-045091
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize, stats

from overdose_trends.constants import (
    COFFIN_SULLIVAN_KITS_PER_DEATH_AVERTED,
    IMPLAUSIBLE_USE_RATE,
    P_FATAL_WITH,
    P_FATAL_WITHOUT,
)
from overdose_trends.stats._checks import MAX_COUNT
from overdose_trends.stats.intervals import z_value

__all__ = [
    "Prior",
    "deaths_averted",
]

Domain = Literal["probability", "positive"]


@dataclass(frozen=True)
class Prior:
    """A prior distribution for one parameter of :func:`deaths_averted`.

    Build with :meth:`fixed`, :meth:`beta`, :meth:`beta_from_interval`,
    :meth:`lognormal` or :meth:`lognormal_from_interval`; pass it as any
    parameter of :func:`deaths_averted` (a float or a ``(low, central, high)``
    triple is turned into one).

    Parameters
    ----------
    kind : {"fixed", "beta", "lognormal"}
        The family.
    params : tuple of float
        ``(value,)``, ``(alpha, beta)`` or ``(median, sigma)`` (sigma on the
        natural-log scale).

    Returns
    -------
    Prior
        The prior; :attr:`central` is the value used for central estimates (the
        fixed value, the beta mean or the log-normal median), :meth:`sample`
        draws from it and :meth:`describe` gives a short text.

    References
    ----------
    Bird SM, Parmar MKB, Strang J (2015), *Drugs: Education, Prevention and
    Policy* 22(1):66-76 (the default ``p_fatal_without``); Coffin PO, Sullivan
    SD (2013), *Annals of Internal Medicine* 158(1):1-9 (227 kits per death
    averted, 95% CI 71-716). See :mod:`overdose_trends.stats.averted`.

    Examples
    --------
    The default prior of the probability that a treated overdose would have been
    fatal without naloxone (mean 0.10, a 95% range as wide as 0.05-0.15):

    >>> p0 = ot.Prior.beta_from_interval(0.05, 0.10, 0.15)
    >>> p0.describe()
    'Beta(13.6, 122): mean 0.1, 95% 0.0556-0.156'
    >>> ot.Prior.lognormal_from_interval(71, 227, 716).central
    227.0
    >>> ot.Prior.fixed(0.008).describe()
    'fixed 0.008'
    """

    kind: Literal["fixed", "beta", "lognormal"]
    params: tuple[float, ...]

    @classmethod
    def fixed(cls, value: float) -> Prior:
        """A known value (no uncertainty)."""
        return cls("fixed", (float(value),))

    @classmethod
    def beta(cls, alpha: float, beta: float) -> Prior:
        """Beta(alpha, beta) for a probability."""
        if not (alpha > 0 and beta > 0):
            raise ValueError(f"beta prior needs alpha > 0 and beta > 0, got {alpha}, {beta}")
        return cls("beta", (float(alpha), float(beta)))

    @classmethod
    def beta_from_interval(
        cls, low: float, central: float, high: float, conf: float = 0.95
    ) -> Prior:
        """Unimodal beta with mean ``central`` and a ``conf`` interval as wide as ``high - low``.

        The mean is matched exactly and the concentration solved so that the
        equal-tailed interval has the stated width; the interval's ends may
        shift slightly from ``low``/``high`` when the range is asymmetric
        (see :meth:`describe`). Both shape parameters are kept >= 1 so the
        prior has a single mode.
        """
        _check_triple(low, central, high, 0.0, 1.0, "probability")
        z_value(conf)  # validates conf
        alpha = 1.0 - conf
        lo_q, hi_q = alpha / 2.0, 1.0 - alpha / 2.0
        m, width = float(central), float(high) - float(low)

        def excess(log_s: float) -> float:
            s = math.exp(log_s)
            a, b = m * s, (1.0 - m) * s
            return float(stats.beta.ppf(hi_q, a, b) - stats.beta.ppf(lo_q, a, b)) - width

        s_min = max(1.0 / m, 1.0 / (1.0 - m))
        if excess(math.log(s_min)) < 0:
            raise ValueError(
                f"range {low}-{high} is too wide for a unimodal beta prior with mean {central}"
            )
        log_s = optimize.brentq(excess, math.log(s_min), math.log(1e12), xtol=1e-12)
        s = math.exp(log_s)
        return cls.beta(m * s, (1.0 - m) * s)

    @classmethod
    def lognormal(cls, median: float, sigma: float) -> Prior:
        """Log-normal with the given median and log-scale standard deviation."""
        if not (median > 0 and sigma > 0):
            raise ValueError(
                f"log-normal prior needs median > 0 and sigma > 0, got {median}, {sigma}"
            )
        return cls("lognormal", (float(median), float(sigma)))

    @classmethod
    def lognormal_from_interval(
        cls, low: float, central: float, high: float, conf: float = 0.95
    ) -> Prior:
        """Log-normal with median ``central`` and log-sd ``ln(high / low) / (2 z)``.

        Reproduces the interval exactly when it is symmetric on the log scale
        (``central**2 == low * high``), e.g. Coffin & Sullivan's 227 (71-716).
        """
        _check_triple(low, central, high, 0.0, math.inf, "positive value")
        sigma = math.log(high / low) / (2.0 * z_value(conf))
        return cls.lognormal(central, sigma)

    @property
    def central(self) -> float:
        """The value used for the central estimate: fixed value, beta mean, log-normal median."""
        if self.kind == "fixed":
            return self.params[0]
        if self.kind == "beta":
            a, b = self.params
            return a / (a + b)
        return self.params[0]

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    def ppf(self, q: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Quantile function."""
        q = np.asarray(q, dtype=float)
        if self.kind == "fixed":
            return np.full(q.shape, self.params[0])
        if self.kind == "beta":
            return stats.beta.ppf(q, *self.params)
        median, sigma = self.params
        return median * np.exp(sigma * stats.norm.ppf(q))

    def sample(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
        """``size`` independent draws."""
        if self.kind == "fixed":
            return np.full(size, self.params[0])
        if self.kind == "beta":
            a, b = self.params
            return rng.beta(a, b, size=size)
        median, sigma = self.params
        return median * np.exp(sigma * rng.standard_normal(size))

    def describe(self, digits: int = 3) -> str:
        """Short text such as ``Beta(13.6, 122): mean 0.1, 95% 0.0556-0.156``."""
        if self.kind == "fixed":
            return f"fixed {self.params[0]:.{digits}g}"
        lo, hi = self.ppf(np.array([0.025, 0.975]))
        if self.kind == "beta":
            a, b = self.params
            return (
                f"Beta({a:.3g}, {b:.3g}): mean {self.central:.{digits}g}, "
                f"95% {lo:.{digits}g}-{hi:.{digits}g}"
            )
        median, sigma = self.params
        return (
            f"log-normal(median {median:.{digits}g}, log-sd {sigma:.3g}): "
            f"95% {lo:.{digits}g}-{hi:.{digits}g}"
        )


def _check_triple(low: float, central: float, high: float, lo: float, hi: float, what: str) -> None:
    positive_ok = low > 0 or what == "probability"
    if not (lo <= low < central < high <= hi and positive_ok):
        raise ValueError(
            f"a (low, central, high) prior needs {lo} <= low < central < high <= {hi} "
            f"for a {what}, got ({low}, {central}, {high})"
        )


def _prior(spec: object, name: str, domain: Domain) -> Prior:
    """Coerce a float, a (low, central, high) triple or a Prior; check its support."""
    if isinstance(spec, Prior):
        prior = spec
    elif isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        prior = Prior.fixed(float(spec))
    elif isinstance(spec, tuple | list) and len(spec) == 3:
        low, central, high = (float(x) for x in spec)
        try:
            if domain == "probability":
                prior = Prior.beta_from_interval(low, central, high)
            else:
                prior = Prior.lognormal_from_interval(low, central, high)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
    else:
        raise ValueError(
            f"{name} must be a number, a (low, central, high) tuple or a Prior, got {spec!r}"
        )
    if prior.kind == "fixed":
        v = prior.params[0]
        ok = 0.0 <= v <= 1.0 if domain == "probability" else v > 0.0
        if not ok or not math.isfinite(v):
            rng_txt = "between 0 and 1" if domain == "probability" else "positive"
            raise ValueError(f"{name} must be {rng_txt}, got {v}")
    elif prior.kind == "lognormal" and domain == "probability":
        raise ValueError(f"{name} is a probability: use a fixed value or a beta prior")
    elif prior.kind == "beta" and domain == "positive":
        raise ValueError(f"{name} is a positive ratio: use a fixed value or a log-normal prior")
    return prior


def _count(x: object, name: str) -> int | None:
    """A count of kits as an int (None stays None), checked to be whole and not negative."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a whole number of kits, got {x!r}")
    v = cast(float, x)
    if not math.isfinite(float(v)) or float(v) != int(v) or v < 0:
        raise ValueError(f"{name} must be a non-negative whole number of kits, got {x!r}")
    if float(v) >= MAX_COUNT:
        raise ValueError(
            f"{name} = {float(v):.3g} is too large for a count of kits (the limit is 2**53, "
            "about 9.0e15); check the number's units"
        )
    return int(v)


def _row(estimator: str, description: str, kits: int | None, assumptions: str) -> dict[str, Any]:
    """An output row without an estimate (``assumptions`` says why until one is set)."""
    return {
        "estimator": estimator,
        "description": description,
        "kits": kits,
        "central": None,
        "lower": None,
        "upper": None,
        "n_draws": 0,
        "method": "none",
        "assumptions": assumptions,
    }


def _interval(
    exact: tuple[int, float] | None, draws: NDArray[np.int64], conf: float, n_draws: int
) -> dict[str, Any]:
    """``lower``, ``upper``, ``method`` (and ``n_draws``) of an estimate's ``conf`` interval.

    With ``exact = (n, p)`` the equal-tailed quantiles of Binomial(n, p); otherwise
    those of the Monte Carlo ``draws`` (``numpy.quantile``, ``method="inverted_cdf"``).
    """
    alpha = 1.0 - conf
    if exact is not None:
        n, p = exact
        return {
            "lower": float(stats.binom.ppf(alpha / 2.0, n, p)),
            "upper": float(stats.binom.ppf(1.0 - alpha / 2.0, n, p)),
            "method": "exact binomial",
        }
    lo, hi = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0], method="inverted_cdf")
    return {"lower": float(lo), "upper": float(hi), "n_draws": n_draws, "method": "monte carlo"}


# --- deaths_averted(): check, draw, estimate, assemble ---------------------------------------


@dataclass(frozen=True)
class _Priors:
    """The model's parameters: p0, p1, share, undercount, kits per event, kits per death."""

    p0: Prior
    p1: Prior
    share: Prior
    under: Prior
    per_event: Prior
    k: Prior

    @property
    def use_fixed(self) -> bool:
        """Every parameter of the use-based model is a fixed value."""
        return all(p.is_fixed for p in (self.p0, self.p1, self.share, self.under, self.per_event))


def _check_priors(
    p_fatal_without: object,
    p_fatal_with: object,
    share_opioid_overdose: object,
    undercount: object,
    kits_per_event: object,
    kits_per_death_averted: object,
) -> _Priors:
    """Each parameter as a :class:`Prior` on its support; ``p0 > p1`` and ``k >= 1`` centrally."""
    priors = _Priors(
        p0=_prior(p_fatal_without, "p_fatal_without", "probability"),
        p1=_prior(p_fatal_with, "p_fatal_with", "probability"),
        share=_prior(share_opioid_overdose, "share_opioid_overdose", "probability"),
        under=_prior(undercount, "undercount", "positive"),
        per_event=_prior(kits_per_event, "kits_per_event", "positive"),
        k=_prior(kits_per_death_averted, "kits_per_death_averted", "positive"),
    )
    p0, p1 = priors.p0, priors.p1
    if p0.central <= p1.central:
        raise ValueError(
            f"p_fatal_without (central {p0.central:g}) must exceed p_fatal_with "
            f"(central {p1.central:g}): naloxone cannot avert deaths otherwise"
        )
    if priors.k.central < 1:
        raise ValueError(f"kits_per_death_averted must be >= 1, got central {priors.k.central:g}")
    return priors


def _check_draws(n_draws: int) -> int:
    """``n_draws`` as an int, checked to be a whole number of at least 100."""
    if isinstance(n_draws, bool) or int(n_draws) != n_draws or n_draws < 100:
        raise ValueError(f"n_draws must be a whole number >= 100, got {n_draws!r}")
    return int(n_draws)


def _warn_scope(used: int | None, issued: int | None) -> None:
    """Refuse more kits used than issued; warn at an implausible use rate (called by the entry)."""
    if used is None or issued is None:
        return
    if used > issued:
        raise ValueError(
            f"kits_used ({used:,}) exceeds kits_issued ({issued:,}): more kits cannot be used "
            "than were issued, so the two counts cover different services, areas or periods. "
            "Give counts of the same scope, or estimate each on its own: "
            "deaths_averted(kits_used=...) and deaths_averted(kits_issued=...)"
        )
    if issued > 0 and used / issued > IMPLAUSIBLE_USE_RATE:
        warnings.warn(
            f"kits_used is {used / issued:.0%} of kits_issued; same-scope use rates observed "
            "in UK programmes are 3-13%, so check that both counts have the same scope",
            stacklevel=3,
        )


def _draw(
    priors: _Priors,
    used: int | None,
    issued: int | None,
    n_draws: int,
    seed: int | np.random.Generator | None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Monte Carlo deaths averted by the use-based and the distribution-based model.

    Parameter draws come first, in a fixed order (common random numbers across calls),
    then the chance draws of both models, always made so the stream does not depend
    on the inputs.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    d_p0 = priors.p0.sample(rng, n_draws)
    d_p1 = priors.p1.sample(rng, n_draws)
    d_share = priors.share.sample(rng, n_draws)
    d_under = priors.under.sample(rng, n_draws)
    d_per_event = priors.per_event.sample(rng, n_draws)
    d_k = priors.k.sample(rng, n_draws)
    d_round = rng.random(n_draws)
    events = (used or 0) * d_under / d_per_event
    whole = np.floor(events)
    n_events = (whole + (d_round < events - whole)).astype(np.int64)
    use_draws = rng.binomial(n_events, np.clip(d_share * (d_p0 - d_p1), 0.0, 1.0))
    dist_draws = rng.binomial(issued or 0, np.clip(1.0 / d_k, 0.0, 1.0))
    return use_draws, dist_draws


def _naive_row(used: int | None) -> dict[str, Any]:
    """Every kit returned used counted as a life saved (shown for contrast)."""
    row = _row(
        "naive",
        "naive: every kit returned used counted as a life saved",
        used,
        "kits_used not given",
    )
    if used is not None:
        row.update(
            central=float(used),
            lower=float(used),
            upper=float(used),
            assumptions="every used kit was used on a distinct overdose that would otherwise have "
            "been fatal, and nobody treated died; shown only for contrast",
        )
    return row


def _use_row(
    used: int | None, priors: _Priors, draws: NDArray[np.int64], conf: float, n_draws: int
) -> dict[str, Any]:
    """Kits used x (P(fatal without naloxone) - P(fatal with)), with its interval."""
    row = _row(
        "use_based",
        "use-based: kits used x (P(fatal without naloxone) - P(fatal with))",
        used,
        "kits_used not given",
    )
    if used is None:
        return row
    p0, p1, share, under, per_event = (
        priors.p0, priors.p1, priors.share, priors.under, priors.per_event
    )  # fmt: skip
    events_c = used * under.central / per_event.central
    q_c = share.central * (p0.central - p1.central)
    row["central"] = events_c * q_c
    exact = None
    if priors.use_fixed and float(events_c).is_integer():
        exact = (int(events_c), min(max(q_c, 0.0), 1.0))
    row.update(_interval(exact, draws, conf, n_draws))
    row["assumptions"] = (
        f"treated opioid overdoses = {used:,} kits used x undercount / kits per event; "
        f"averted ~ Binomial(events, share x (p0 - p1)) with "
        f"p0 {p0.describe()} [Bird, Parmar & Strang 2015; Irvine et al. 2018]; "
        f"p1 {p1.describe()} [McDonald & Strang 2016]; "
        f"share on opioid overdoses {share.describe()}; undercount {under.describe()}; "
        f"kits per event {per_event.describe()}"
    )
    return row


def _distribution_row(
    issued: int | None, k: Prior, draws: NDArray[np.int64], conf: float, n_draws: int
) -> dict[str, Any]:
    """Kits issued / kits per death averted, with its interval."""
    row = _row(
        "distribution_based",
        "distribution-based: kits issued / kits per death averted (transfer from another setting)",
        issued,
        "kits_issued not given",
    )
    if issued is None:
        return row
    row["central"] = issued / k.central
    exact = (issued, 1.0 / k.params[0]) if k.is_fixed else None
    row.update(_interval(exact, draws, conf, n_draws))
    row["assumptions"] = (
        f"averted ~ Binomial({issued:,} kits issued, 1/k), k kits per death averted "
        f"{k.describe()}; k is transferred from another setting (default: Coffin & "
        "Sullivan 2013, US heroin users, lifetime model; British Columbia 2012-16 about 64, "
        "Irvine et al. 2018), not measured locally"
    )
    return row


#: Columns of :func:`deaths_averted` output, in order.
_COLUMNS = [
    "estimator",
    "description",
    "kits",
    "central",
    "lower",
    "upper",
    "conf",
    "n_draws",
    "method",
    "assumptions",
]


def _assemble(rows: list[dict[str, Any]], conf: float) -> pd.DataFrame:
    """The output table from the three rows, with its column types and order."""
    out = pd.DataFrame(rows)
    out["kits"] = out["kits"].astype("Int64")
    for c in ("central", "lower", "upper"):
        out[c] = out[c].astype("float64")
    out["conf"] = float(conf)
    out["n_draws"] = out["n_draws"].astype("int64")
    return out.loc[:, _COLUMNS]


def deaths_averted(
    kits_used: int | None = None,
    kits_issued: int | None = None,
    *,
    p_fatal_without: object = P_FATAL_WITHOUT,
    p_fatal_with: object = P_FATAL_WITH,
    share_opioid_overdose: object = 1.0,
    undercount: object = 1.0,
    kits_per_event: object = 1.0,
    kits_per_death_averted: object = COFFIN_SULLIVAN_KITS_PER_DEATH_AVERTED,
    n_draws: int = 10_000,
    seed: int | np.random.Generator | None = None,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Deaths averted by take-home naloxone: naive, use-based and distribution-based estimates.

    Parameters
    ----------
    kits_used : int, optional
        Kits returned (or reported) used, ``U``. Needed for the naive and
        use-based rows.
    kits_issued : int, optional
        Kits distributed, ``K``, for the distribution-based row. Must cover
        the same services, area and period as ``kits_used``.
    p_fatal_without : float, (low, central, high) or Prior, default (0.05, 0.10, 0.15)
        ``p0``, probability that a witnessed overdose treated with naloxone
        would have been fatal without it. A triple becomes a beta prior with
        mean ``central`` and a 95% range of width ``high - low``.
    p_fatal_with : float, triple or Prior, default (0.004, 0.008, 0.012)
        ``p1``, probability of death despite take-home naloxone. Its central
        value must be below that of ``p_fatal_without``.
    share_opioid_overdose : float, triple or Prior, default 1.0
        ``s``, share of reported uses that were on opioid overdoses (not
        training discharges, tests or other emergencies). Probability.
    undercount : float, triple or Prior, default 1.0
        True kit uses per reported use (>= 1 when used kits go unreported).
        A triple becomes a log-normal prior.
    kits_per_event : float, triple or Prior, default 1.0
        Kits used per treated overdose (>= 1 when several kits are used on
        one person). A triple becomes a log-normal prior.
    kits_per_death_averted : float, triple or Prior, default (71, 227, 716)
        ``k`` for the distribution-based estimate (Coffin & Sullivan 2013);
        :data:`~overdose_trends.constants.IRVINE_BC_KITS_PER_DEATH_AVERTED`
        gives the British Columbia figure. A triple becomes a log-normal
        prior. Must be >= 1.
    n_draws : int, default 10,000
        Monte Carlo draws (at least 100).
    seed : int or numpy.random.Generator, optional
        For reproducible intervals. Parameter draws come first, in a fixed
        order, so calls with the same seed share them whatever the kit counts.
    conf : float, default 0.95
        Level of the equal-tailed intervals.

    Returns
    -------
    pandas.DataFrame
        Three rows, ``estimator`` = ``"naive"``, ``"use_based"``,
        ``"distribution_based"``, always in that order (the naive figure is
        always shown for contrast; a row whose input is missing has ``<NA>``
        values), with columns:

        ``description`` (str), ``kits`` (the count of kits the row is based on),
        ``central`` (deaths averted, a number of deaths, at the central parameter
        values: the beta means and log-normal medians, i.e. ``U undercount /
        kits_per_event x s (p0 - p1)`` and ``K / k``), ``lower``, ``upper``
        (equal-tailed ``conf`` interval of the deaths averted, parameter
        uncertainty plus binomial chance), ``conf``, ``n_draws`` (0 when the
        interval is exact), ``method`` (``"none"``, ``"exact binomial"`` when
        every parameter is fixed, else ``"monte carlo"``) and ``assumptions``
        (text).

    Raises
    ------
    ValueError
        Negative or fractional kits, no kits at all, ``kits_used`` above
        ``kits_issued`` (more kits used than issued: the counts cover
        different services, areas or periods; give counts of the same scope or
        one count at a time), central ``p0 <= p1``, parameters outside their
        range, ``conf`` not in (0, 1), or fewer than 100 draws.

    Warns
    -----
    UserWarning
        When ``kits_used`` is more than
        :data:`~overdose_trends.constants.IMPLAUSIBLE_USE_RATE` (half) of
        ``kits_issued``: same-scope use rates are 3-13%, so the two counts
        probably cover different services or areas.

    Notes
    -----
    With every parameter fixed the interval is exact: the ``conf``
    equal-tailed quantiles of Binomial(E, s (p0 - p1)) (``E`` a whole number)
    and of Binomial(K, 1/k). Otherwise it is the corresponding quantiles of
    the Monte Carlo draws (``numpy.quantile``, ``method="inverted_cdf"``).
    The relative width ``(upper - lower) / central`` falls as kits grow, to
    a floor set by the priors alone. Draws with ``p0 < p1`` (practically
    impossible with the defaults) avert no deaths. The module docstring sets
    out the model and the sources of each default prior.

    References
    ----------
    Bird SM, Parmar MKB, Strang J (2015). Take-home naloxone to prevent
    fatalities from opiate-overdose: protocol for Scotland's public health
    policy evaluation, and a new measure to assess impact. *Drugs: Education,
    Prevention and Policy* 22(1):66-76. doi:10.3109/09687637.2014.981509
    (``p0``: 9 deaths in 153 overdoses witnessed by trained bystanders).

    McDonald R, Strang J (2016). Are take-home naloxone programmes effective?
    Systematic review utilizing application of the Bradford Hill criteria.
    *Addiction* 111(7):1177-1187. doi:10.1111/add.13326 (``p1``: 1 death in
    123 overdoses treated with take-home naloxone).

    Coffin PO, Sullivan SD (2013). Cost-effectiveness of distributing
    naloxone to heroin users for lay overdose reversal. *Annals of Internal
    Medicine* 158(1):1-9. doi:10.7326/0003-4819-158-1-201301010-00003
    (``k``: 227 kits per death averted, 95% CI 71-716).

    Irvine MA, Buxton JA, Otterstatter M, et al. (2018). Distribution of
    take-home opioid antagonist kits during a synthetic opioid epidemic in
    British Columbia, Canada: a modelling study. *Lancet Public Health*
    3(5):e218-e225. doi:10.1016/S2468-2667(18)30044-6 (about 1 death averted
    per 10 kits used; about 64 kits issued per death averted).

    Casillas SM, Pickens CM, Tanz LJ, Vivolo-Kantor AM (2024). Estimating the
    ratio of fatal to non-fatal overdoses involving all drugs, all opioids,
    synthetic opioids, heroin or stimulants, USA, 2010-2020. *Injury
    Prevention* 30:114-120. doi:10.1136/ip-2023-045091 (``p0``: roughly 1
    fatal to 15 non-fatal overdoses).

    Examples
    --------
    The Norfolk news figures (2,600 kits returned used, about 4,000 issued;
    different scopes, taken at face value - hence a warning that 65% is not a
    plausible use rate):

    >>> df = ot.deaths_averted(2600, 4000, seed=1)
    >>> df[["estimator", "central", "lower", "upper"]].round(1)
                estimator  central   lower   upper
    0               naive   2600.0  2600.0  2600.0
    1           use_based    239.2   119.0   388.0
    2  distribution_based     17.6     4.0    57.0

    With every parameter fixed the interval is exact (binomial):

    >>> fixed = ot.deaths_averted(100, p_fatal_without=0.1, p_fatal_with=0.01)
    >>> fixed[["estimator", "central", "lower", "upper", "method"]].iloc[[1]].round(1)
       estimator  central  lower  upper          method
    1  use_based      9.0    4.0   15.0  exact binomial
    """
    used = _count(kits_used, "kits_used")
    issued = _count(kits_issued, "kits_issued")
    if used is None and issued is None:
        raise ValueError("give kits_used, kits_issued or both")
    z_value(conf)  # validates conf
    n_draws = _check_draws(n_draws)
    priors = _check_priors(
        p_fatal_without,
        p_fatal_with,
        share_opioid_overdose,
        undercount,
        kits_per_event,
        kits_per_death_averted,
    )
    _warn_scope(used, issued)

    use_draws, dist_draws = _draw(priors, used, issued, n_draws, seed)
    rows = [
        _naive_row(used),
        _use_row(used, priors, use_draws, conf, n_draws),
        _distribution_row(issued, priors.k, dist_draws, conf, n_draws),
    ]
    return _assemble(rows, conf)
