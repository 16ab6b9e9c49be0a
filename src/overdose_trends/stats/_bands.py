"""Age bands of a standard population, checked and laid out for ``dsr``.

Private to :func:`overdose_trends.stats.rates.dsr`: :class:`Bands` places each
row in a dense ``(group, band)`` array after checking that every group has each
band of the standard once; :func:`band_values` checks deaths and populations;
:func:`dsr_limits` gives Dobson or normal limits.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import Groups, others, require_columns
from overdose_trends.constants import ONS_NORMAL_MIN_DEATHS
from overdose_trends.stats.intervals import PoissonMethod, dobson_limits, normal_limits


def band_codes(col: pd.Series, labels: pd.Index) -> NDArray[np.int64]:
    """Position of each row's band label in ``labels``; -1 where it is not a band."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        lookup = labels.get_indexer(pd.Index([str(c) for c in cats], dtype=object))
        codes = col.cat.codes.to_numpy()
        return np.where(codes < 0, -1, lookup[np.maximum(codes, 0)]).astype(np.int64)
    return labels.get_indexer(pd.Index(col.to_numpy(dtype=object), dtype=object)).astype(np.int64)


def _band_list(labels: Iterable[object]) -> str:
    return ", ".join(repr(str(b)) for b in labels)


def check_dsr_arguments(
    data: pd.DataFrame,
    keys: list[Hashable],
    count: Hashable,
    population: Hashable,
    age: Hashable,
    method: str,
    count_method: str,
    missing_count: str,
) -> None:
    """The columns exist and are not keys; the methods are known."""
    if age in keys or count in keys or population in keys:
        raise ValueError(f"by must not include the {age!r}, {count!r} or {population!r} columns")
    require_columns(data, [count, population, age, *keys])
    if method not in ("dobson", "normal", "ons"):
        raise ValueError(f"unknown DSR interval method {method!r}; use 'dobson', 'normal' or 'ons'")
    if count_method not in ("byar", "exact"):
        raise ValueError(f"unknown count_method {count_method!r}; use 'byar' or 'exact'")
    if missing_count not in ("error", "zero"):
        raise ValueError(f"missing_count must be 'error' or 'zero', not {missing_count!r}")


@dataclass(frozen=True)
class Bands:
    """Each row's group and band of the standard, for the structure checks and dense arrays."""

    groups: Groups
    band: NDArray[np.int64]  # position of the row's band in ``labels``; -1 if not a band
    labels: pd.Index
    std_name: str

    @property
    def cell(self) -> NDArray[np.int64]:
        return self.groups.gid * len(self.labels) + self.band

    def check_structure(self, ages: pd.Series) -> None:
        """Every group has each band of the standard exactly once, and no other label."""
        groups, labels, gid = self.groups, self.labels, self.groups.gid
        unknown = self.band < 0
        if unknown.any():
            g = int(gid[int(np.argmax(unknown))])
            found = pd.unique(ages.to_numpy(dtype=object)[unknown & (gid == g)])
            n_bad = len(np.unique(gid[unknown]))
            raise ValueError(
                f"{groups.name(g)}: age band(s) {_band_list(found)} are not bands of the "
                f"{self.std_name} standard ({_band_list(labels)}){others(n_bad)}"
            )
        n_bands = len(labels)
        per_cell = np.bincount(self.cell, minlength=groups.n * n_bands).reshape(groups.n, n_bands)
        bad_groups = np.flatnonzero((per_cell != 1).any(axis=1))
        if bad_groups.size:
            g = int(bad_groups[0])
            parts = []
            missing = np.flatnonzero(per_cell[g] == 0)
            repeated = np.flatnonzero(per_cell[g] > 1)
            if missing.size:
                parts.append(f"no row for band(s) {_band_list(labels[missing])}")
            if repeated.size:
                parts.append(f"more than one row for band(s) {_band_list(labels[repeated])}")
            raise ValueError(
                f"{groups.name(g)}: {'; '.join(parts)} (each group needs each of the "
                f"{n_bands} bands of the {self.std_name} standard once){others(bad_groups.size)}"
            )

    def dense(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(group, band)`` array of a per-row value (every cell holds exactly one row)."""
        out = np.zeros(self.groups.n * len(self.labels))
        out[self.cell] = values
        return out.reshape(self.groups.n, len(self.labels))


def band_values(
    bands: Bands, d: NDArray[np.float64], n: NDArray[np.float64], missing_count: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Deaths and populations per row, checked; missing deaths as 0 if ``missing_count="zero"``."""
    gid = bands.groups.gid

    def fail(bad: NDArray[np.bool_], message: str) -> None:
        if bad.any():
            i = int(np.argmax(bad))
            n_bad = len(np.unique(gid[bad]))
            text = message.format(d=d[i], n=n[i])
            raise ValueError(
                f"{bands.groups.name(int(gid[i]))}, band {str(bands.labels[bands.band[i]])!r}: "
                f"{text}{others(n_bad)}"
            )

    fail(np.isnan(n), "population is missing")
    if missing_count == "error":
        fail(
            np.isnan(d),
            "deaths are missing (pass missing_count='zero' to treat missing counts as 0)",
        )
    else:
        d = np.where(np.isnan(d), 0.0, d)
    fail(d < 0, "negative deaths {d:g}")
    fail(n < 0, "negative population {n:g}")
    fail((n == 0) & (d > 0), "{d:g} deaths but a population of 0")
    fail(d > n, "{d:g} deaths is more than the population {n:g}")
    return d, n


def dsr_limits(
    total: NDArray[np.float64],
    rate: NDArray[np.float64],
    var: NDArray[np.float64],
    calculated: NDArray[np.bool_],
    method: str,
    count_method: PoissonMethod,
    conf: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Dobson or normal limits of calculated rates (NaN otherwise), and where normal was used."""
    poisson: PoissonMethod
    if method == "ons":
        use_normal = total >= ONS_NORMAL_MIN_DEATHS
        poisson = "exact"
    else:
        use_normal = np.full(total.shape, method == "normal")
        poisson = count_method
    lcl = np.full(total.shape, np.nan)
    ucl = np.full(total.shape, np.nan)
    sel = calculated & ~use_normal
    if sel.any():
        lcl[sel], ucl[sel] = dobson_limits(total[sel], var[sel], rate[sel], conf, poisson)
    sel = calculated & use_normal
    if sel.any():
        lcl[sel], ucl[sel] = normal_limits(rate[sel], np.sqrt(var[sel]), conf)
    return lcl, ucl, use_normal
