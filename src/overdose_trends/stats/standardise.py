"""Indirect standardisation: standardised mortality ratios and indirectly standardised rates.

:func:`isr`
    Observed deaths against the deaths expected if the area had a reference
    population's age-specific rates, with Byar's (or exact) limits, as
    PHEindicatormethods ``calculate_ISRatio`` and ``calculate_ISRate``.

Method (PHE *Technical Guide: Confidence Intervals*; Breslow & Day 1987)
------------------------------------------------------------------------
For an area with population ``n_i`` and deaths in age band ``i``, and a
reference population with ``R_i`` deaths and ``N_i`` people in the same band:

* expected deaths ``E = sum_i n_i R_i / N_i``; observed ``O = sum_i`` deaths;
* ratio ``O / E`` (the SMR; times ``per``, e.g. 100);
* rate ``O / E x (sum R_i / sum N_i) x per`` (the ratio applied to the
  reference crude rate: an age-adjusted rate on the reference's scale);
* limits: ``L(O) / E`` and ``U(O) / E`` (times the same factors), with ``L`` and
  ``U`` exact Poisson limits when ``O < 10`` and Byar's approximation from 10
  (:func:`overdose_trends.stats.intervals.poisson_limits` with ``method="phe"``).

A missing count or population in a band counts as zero, as in
PHEindicatormethods. Only the area's total deaths are needed for ``O``; when
deaths by age are not known, pass them as ``observed_totals``.

What the ratios can and cannot be compared with
-----------------------------------------------
Each area's ratio compares it with the reference population *at the area's own
age structure*. Two areas' ratios are therefore not strictly comparable with
each other (each is weighted by its own population), only each with the
reference; a ratio of 1.2 means 20% more deaths than the reference rates would
give this population. Indirectly standardised rates are on the reference's
crude-rate scale, not comparable with directly standardised (ESP 2013) rates.

References
----------
Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research, vol. II*.
IARC Scientific Publications 82 (Byar's approximation, p. 69).

Public Health England (2018). *Technical Guide: Confidence Intervals* and
*Indirectly standardised ratios*, Fingertips public health methods.

PHEindicatormethods (R package, PHE/OHID/UKHSA): ``calculate_ISRatio`` and
``calculate_ISRate``, whose published test data (``testdata_DSR_ISR.xlsx``) the
test-suite reproduces to 1e-6.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from overdose_trends._frames import Groups, as_list, numeric, require_columns, show
from overdose_trends.constants import BYAR_MIN_COUNT
from overdose_trends.stats.intervals import poisson_limits, z_value

__all__ = ["isr"]

IsrType = Literal["ratio", "rate"]

#: Labels of the ``method`` column, by whether Byar's approximation is used.
_METHODS = np.array(["exact", "byar"], dtype=object)


def isr(
    data: pd.DataFrame,
    *,
    count: Hashable = "deaths",
    population: Hashable = "population",
    age: Hashable = "age_band",
    ref_count: Hashable = "ref_deaths",
    ref_population: Hashable = "ref_population",
    reference: pd.DataFrame | None = None,
    observed_totals: pd.DataFrame | None = None,
    by: Hashable | Sequence[Hashable] | None = None,
    type: IsrType = "ratio",  # noqa: A002 - the name the issue and PHE use
    conf: float = 0.95,
    per: float | None = None,
) -> pd.DataFrame:
    """Indirectly standardised ratios (SMRs) or rates, with Byar's or exact limits.

    Parameters
    ----------
    data : DataFrame
        One row per age band per area (per ``by`` group): the area's deaths and
        population in the band, e.g. 400 local authorities x 20 years x 2 sexes
        x 19 ESP bands.
    count, population, age : column names
        Deaths, population (person-years) and age band of each row.
    ref_count, ref_population : column names
        The reference population's deaths and population in the band: columns
        of ``data`` (when ``reference`` is None) or of ``reference``.
    reference : DataFrame, optional
        The reference (e.g. England and Wales) as a table with one row per age
        band: the band in column ``age`` or as the index, and ``ref_count`` and
        ``ref_population`` columns. Every band of ``data`` must be in it.
    observed_totals : DataFrame, optional
        Each group's total deaths when deaths by age are not known (as ONS
        local-authority single-year counts): one row per group with the ``by``
        columns and ``count``; ``data`` then needs no ``count`` column
        (PHEindicatormethods ``observed_totals``).
    by : column name or list, optional
        Columns defining the areas (e.g. ``["area_code", "sex", "year"]``).
    type : {"ratio", "rate"}, default "ratio"
        Ratio of observed to expected deaths, or that ratio times the
        reference's crude rate (an indirectly standardised rate).
    conf : float, default 0.95
        Confidence level (0.998 for funnel-style 3-s.d. limits).
    per : float, optional
        Multiplier: default 1 for ratios (100 gives the SMR as a percentage) and
        100,000 for rates.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, then ``observed`` (deaths),
        ``expected`` (deaths at the reference's rates), ``ref_rate`` (the
        reference crude rate per ``per``; rates only), ``value`` (ratio or rate
        times ``per``), ``lcl``, ``ucl`` (limits at ``conf``), ``conf``,
        ``method`` ("exact" below 10 observed deaths, "byar" from 10),
        ``type`` and ``per``.

    Raises
    ------
    ValueError
        For missing or non-numeric columns, negative deaths or populations,
        a band of ``data`` missing from the reference or repeated in it, a
        reference band without a positive population, or a group with no
        expected deaths; each message names the group or band and the fix.

    Notes
    -----
    The method and what the ratios can be compared with are set out in
    :mod:`overdose_trends.stats.standardise`.

    References
    ----------
    Breslow & Day (1987); PHE (2018) Technical Guide: Confidence Intervals;
    PHEindicatormethods ``calculate_ISRatio`` and ``calculate_ISRate``.

    Examples
    --------
    An area of 10,000 people in three age bands, against a reference population:

    >>> area = pd.DataFrame({"age_band": ["15-24", "25-44", "45-64"],
    ...                      "deaths": [3, 14, 9],
    ...                      "population": [2000, 5000, 3000]})
    >>> ref = pd.DataFrame({"age_band": ["15-24", "25-44", "45-64"],
    ...                     "ref_deaths": [120, 900, 600],
    ...                     "ref_population": [1.2e6, 3.0e6, 2.0e6]})
    >>> ot.isr(area, reference=ref).round(3)
       observed  expected  value    lcl    ucl  conf method   type  per
    0        26       2.6   10.0  6.531  14.65  0.95   byar  ratio  1.0
    """
    keys = as_list(by)
    if type not in ("ratio", "rate"):
        raise ValueError(f"isr: type must be 'ratio' or 'rate', not {type!r}")
    z_value(conf)  # rejects a percentage or a level outside (0, 1)
    per = float(per) if per is not None else (1.0 if type == "ratio" else 100_000.0)
    if not np.isfinite(per) or per <= 0:
        raise ValueError(f"isr: per must be a positive number, got {per:g}")
    cols = [*keys, population, age] + ([count] if observed_totals is None else [])
    if reference is None:
        cols += [ref_count, ref_population]
    require_columns(data, cols, "isr")
    groups = Groups(data, keys)
    pop = _non_negative(data, population, groups, "population")
    if reference is None:
        rate, ref_tot = _rates_from_columns(
            data, groups, population, ref_count, ref_population, age
        )
    else:
        rate, ref_tot = _rates_from_table(data, groups, reference, age, ref_count, ref_population)
    observed: NDArray[np.float64]
    if observed_totals is None:
        deaths = _non_negative(data, count, groups, "deaths")
        # (a band with deaths but no population is left as PHEindicatormethods leaves it:
        # its test data have one; it adds deaths but no expected deaths)
        above = (pop > 0) & (deaths > pop)
        if above.any():
            i = int(np.argmax(above))
            raise ValueError(
                f"isr: {groups.name(int(groups.gid[i]))} has more deaths than people in age band "
                f"{show(data[age].iloc[i])}; check that {count!r} and {population!r} are counts "
                f"of the same area, band and period (a population in thousands?)"
            )
        observed = np.bincount(groups.gid, weights=deaths, minlength=groups.n).astype(np.float64)
    else:
        observed = _totals(observed_totals, groups, count)
    expected = np.bincount(groups.gid, weights=pop * rate, minlength=groups.n).astype(np.float64)
    none = ~(expected > 0)
    if none.any():
        g = int(np.argmax(none))
        raise ValueError(
            f"isr: {groups.name(g)} has no expected deaths (its population is zero in every band "
            f"where the reference has deaths); drop the group or check its population"
        )
    # limits of each distinct count once (many areas share small counts)
    counts, back = np.unique(observed, return_inverse=True)
    c_lo, c_hi = poisson_limits(counts, conf, "phe")
    lo, hi = c_lo[back], c_hi[back]
    scale = per * (ref_tot if type == "rate" else np.ones(groups.n))
    columns: dict[Hashable, Any] = {
        "observed": _whole(observed),
        "expected": expected,
    }
    if type == "rate":
        columns["ref_rate"] = ref_tot * per
    columns.update(
        value=observed / expected * scale,
        lcl=lo / expected * scale,
        ucl=hi / expected * scale,
        conf=conf,
        method=_METHODS[(observed >= BYAR_MIN_COUNT).astype(np.intp)],
        type=type,
        per=per,
    )
    key_cols: dict[Hashable, Any] = {k: groups.key_rows[k].array for k in groups.keys}
    columns_all: dict[Hashable, Any] = {**key_cols, **columns}
    # scalars (conf, type, per) are repeated down the rows by pandas
    return pd.DataFrame(columns_all, index=pd.RangeIndex(groups.n))


def _totals(totals: pd.DataFrame, groups: Groups, count: Hashable) -> NDArray[np.float64]:
    """Each group's observed deaths looked up in ``totals`` by the ``by`` columns."""
    require_columns(totals, [*groups.keys, count], "isr (observed_totals)")
    if not groups.keys:
        if len(totals) != 1:
            raise ValueError("isr: without by=, observed_totals must have exactly one row")
        values = numeric(totals, count)
    else:
        if totals.duplicated(groups.keys).any():
            raise ValueError(
                f"isr: observed_totals repeats a group of {groups.keys}; give one total per group"
            )
        index = pd.MultiIndex.from_frame(totals[groups.keys])
        pos = index.get_indexer(pd.MultiIndex.from_frame(groups.key_rows))
        if (pos < 0).any():
            g = int(np.argmax(pos < 0))
            raise ValueError(
                f"isr: {groups.name(g)} has no row in observed_totals; give every group's deaths"
            )
        values = numeric(totals, count)[pos]
    bad = np.isnan(values) | (values < 0)
    if bad.any():
        g = int(np.argmax(bad))
        raise ValueError(
            f"isr: {groups.name(g)} has a missing or negative total in observed_totals column "
            f"{count!r}; drop the group or supply its deaths"
        )
    return values


def _whole(values: NDArray[np.float64]) -> object:
    """Whole-number totals as Int64, others (fractional counts) as float."""
    if np.all(values == np.round(values)):
        return pd.array(values.astype(np.int64), dtype="Int64")
    return values


def _non_negative(
    data: pd.DataFrame, column: Hashable, groups: Groups, what: str
) -> NDArray[np.float64]:
    """A count or population column with missing values as 0; negatives rejected."""
    values = numeric(data, column)
    if (values >= 0).all():  # the usual case, in one pass: no negative or missing value
        return values
    neg = values < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise ValueError(
            f"isr: negative {what} in column {column!r} in {groups.name(int(groups.gid[i]))} "
            f"(row index {show(data.index[i])}); {what} must be >= 0"
        )
    return np.nan_to_num(values, nan=0.0)


def _rates_from_columns(
    data: pd.DataFrame,
    groups: Groups,
    population_col: Hashable,
    ref_count: Hashable,
    ref_population: Hashable,
    age: Hashable,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Reference rate per row and each group's reference crude rate, from columns of ``data``."""
    rc = numeric(data, ref_count)
    rp = numeric(data, ref_population)
    # a band where the area has nobody needs no reference rate (PHE's test data leave it blank)
    empty = ~(np.nan_to_num(numeric(data, population_col)) > 0)
    rc = np.where(np.isnan(rc) & empty, 0.0, rc)
    bad = np.isnan(rc) | (rc < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"isr: reference deaths in {ref_count!r} are missing or negative for age band "
            f"{show(data[age].iloc[i])} in {groups.name(int(groups.gid[i]))}; the reference "
            f"needs deaths (>= 0) in every band"
        )
    bad = ~(rp > 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"isr: reference population in {ref_population!r} is missing or not positive for "
            f"age band {show(data[age].iloc[i])} in {groups.name(int(groups.gid[i]))}; the "
            f"reference needs a population in every band"
        )
    tot_c = np.bincount(groups.gid, weights=rc, minlength=groups.n)
    tot_p = np.bincount(groups.gid, weights=rp, minlength=groups.n)
    return rc / rp, tot_c / tot_p


def _rates_from_table(
    data: pd.DataFrame,
    groups: Groups,
    reference: pd.DataFrame,
    age: Hashable,
    ref_count: Hashable,
    ref_population: Hashable,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Reference rate per row (looked up by band) and the reference crude rate."""
    if not isinstance(reference, pd.DataFrame):
        raise TypeError(
            f"isr: reference must be a DataFrame of bands, not {type(reference).__name__}"
        )
    table = reference.set_index(age) if age in reference.columns else reference
    require_columns(table, [ref_count, ref_population], "isr (reference)")
    bands = pd.Index(table.index)
    if bands.has_duplicates:
        band = bands[bands.duplicated()][0]
        raise ValueError(
            f"isr: age band {show(band)} appears more than once in the reference; give one row "
            f"per band"
        )
    rc = numeric(table, ref_count)
    rp = numeric(table, ref_population)
    bad = np.isnan(rc) | (rc < 0) | ~(rp > 0)
    if bad.any():
        band = bands[int(np.argmax(bad))]
        raise ValueError(
            f"isr: the reference band {show(band)} needs deaths >= 0 and a positive population "
            f"(columns {ref_count!r}, {ref_population!r})"
        )
    col = data[age]
    if isinstance(col.dtype, pd.CategoricalDtype):
        # position of each category in the reference, and -1 (a missing band) for code -1
        lookup = np.append(bands.get_indexer(col.cat.categories), -1)
        pos = lookup[col.cat.codes.to_numpy().astype(np.intp)]
    else:
        pos = bands.get_indexer(col)
    missing = pos < 0
    if missing.any():
        i = int(np.argmax(missing))
        raise ValueError(
            f"isr: age band {show(col.iloc[i])} of {groups.name(int(groups.gid[i]))} is not in "
            f"the reference (its bands: {list(bands)}); give reference rates for every band "
            f"or recode the bands to match"
        )
    rate = rc / rp
    total = np.full(groups.n, rc.sum() / rp.sum())
    return rate[pos], total
