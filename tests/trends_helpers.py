"""Reference values and closed forms shared by the trend-model tests.

* :data:`Z95`: the 97.5% normal quantile, 1.959963984540054.
* :func:`poisson_line`: the Poisson maximum-likelihood line
  ``log(mu) = log(pop) + a + b t`` solved from its score equations
  ``sum(y) = sum(mu)`` and ``sum(t y) = sum(t mu)`` (``scipy.optimize.brentq`` in
  ``b``), with the covariance of ``(a, b)`` from the 2x2 information matrix
  ``[[sum mu, sum mu t], [sum mu t, sum mu t^2]]`` written out (McCullagh & Nelder
  1989, *Generalized Linear Models*, 2nd ed., section 6.2). Code independent of
  statsmodels and of the package.
* :data:`SOUTHEND_DEATHS` and :func:`southend`: ONS "Deaths related to drug
  poisoning by local authority, England and Wales, 1993 to 2019" (2019 edition),
  Table 1, drug poisoning, persons, Southend-on-Sea (E06000033), 1997-2019, with the
  all-ages mid-year population from the shipped ONS extract.
* :func:`southend_norwich`: the same table, Southend-on-Sea and Norwich (E07000148),
  2012-2019, as literals.
* :func:`follow_hint`: runs a model that must fail on a batch, checks the
  message and runs the pandas code it suggests for leaving the bad series out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from numpy.typing import ArrayLike
from scipy import optimize

from overdose_trends import datasets

Z95 = 1.959963984540054

# ONS 2019 edition, Table 1, drug poisoning, persons, Southend-on-Sea (E06000033), 1997-2019
SOUTHEND_DEATHS = [9, 11, 8, 12, 25, 14, 10, 16, 8, 11, 16, 12, 8, 19, 17, 8, 16, 18, 13, 6, 13]
SOUTHEND_DEATHS += [13, 16]


# ONS 2019 edition, Table 1, drug poisoning, persons, 2012-2019
NORWICH_2012_2019 = [13, 12, 15, 15, 24, 25, 16, 21]


def southend_norwich(first: int = 2012) -> pd.DataFrame:
    """Southend-on-Sea then Norwich, deaths ``first``-2019 (``first`` >= 2012), ONS literals."""
    years = list(range(first, 2020))
    return pd.DataFrame(
        {
            "area_code": ["E06000033"] * len(years) + ["E07000148"] * len(years),
            "area_name": ["Southend-on-Sea"] * len(years) + ["Norwich"] * len(years),
            "year": years * 2,
            "deaths": SOUTHEND_DEATHS[first - 1997 :] + NORWICH_2012_2019[first - 2012 :],
        }
    )


def poisson_line(
    y: ArrayLike, pop: ArrayLike, t: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson MLE of ``log(mu) = log(pop) + a + b t``: ``(a, b)``, their covariance, ``mu``."""
    y, pop, t = (np.asarray(v, dtype=float) for v in (y, pop, t))

    def mu_of(b: float) -> np.ndarray:
        return pop * np.exp(b * t) * y.sum() / np.sum(pop * np.exp(b * t))  # sum(y) = sum(mu)

    b = optimize.brentq(lambda b: np.sum(t * y) - np.sum(t * mu_of(b)), -3, 3, xtol=1e-14)
    mu = mu_of(b)
    a = np.log(mu[0] / pop[0]) - b * t[0]
    info = np.array([[mu.sum(), np.sum(mu * t)], [np.sum(mu * t), np.sum(mu * t * t)]])
    return np.array([a, b]), np.linalg.inv(info), mu


def southend() -> pd.DataFrame:
    """Southend single-year poisoning deaths 1997-2019 with all-ages population.

    Columns ``area_code``, ``area_name``, ``year``, ``deaths``, ``population``,
    from the shipped extracts (:mod:`overdose_trends.io.datasets`).
    """
    deaths = datasets.la_deaths()
    s = deaths[
        (deaths["area_code"] == "E06000033")
        & (deaths["measure"] == "poisoning")
        & (deaths["sex"] == "persons")
        & (deaths["period_start"] == deaths["period_end"])
        & (deaths["period_start"] >= 1997)
    ]
    s = s.rename(columns={"period_start": "year"})[["area_code", "area_name", "year", "deaths"]]
    bands = datasets.population_bands()
    pop = (
        bands[bands["area_code"] == "E06000033"].groupby("year", as_index=False)["population"].sum()
    )
    out = s.merge(pop, on="year").sort_values("year").reset_index(drop=True)
    assert out["deaths"].tolist() == SOUTHEND_DEATHS  # the shipped extract is the ONS table
    return out


def follow_hint(
    model: Callable[..., object], data: pd.DataFrame, start: str, **kwargs: object
) -> pd.DataFrame:
    """``model(data, **kwargs)`` must raise ValueError whose message starts with ``start``.

    The message must end with ``e.g. <pandas code>`` leaving the bad series out of
    ``data``; the code is run (with ``data`` bound) and its result returned.
    """
    with pytest.raises(ValueError) as info:
        model(data, **kwargs)
    message = str(info.value)
    assert message.startswith(start), message
    return eval(message.split("e.g. ")[1], {"data": data})
