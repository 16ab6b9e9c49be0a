"""Statistical neighbours: the areas most like a given area on published characteristics.

This is the package's own neighbour method, not CIPFA's nearest-neighbour
model (whose data are licensed): areas of one tier in England are described by
characteristics the package ships, each standardised to a z-score across those
areas, and compared by Euclidean distance with equal weights.

Characteristics (:func:`area_characteristics`):

- ``log_population``: natural log of the mid-year population (all ages);
- ``share_0_14``, ``share_15_44``, ``share_65_plus``: shares of the population
  aged 0-14, 15-44 and 65 and over (45-64 is the remainder);
- ``imd_score``, ``income_score``, ``employment_score``: the English Indices of
  Deprivation 2019 average IMD score and income and employment domain scores.

Rurality is not used: no rural-urban classification ships with the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from overdose_trends.io._geo_tables import LOWER_TIERS, UPPER_TIERS, geography
from overdose_trends.io.datasets import deprivation, population_bands

__all__ = [
    "CHARACTERISTICS",
    "DEFAULT_VARIABLES",
    "NEIGHBOUR_VINTAGE",
    "area_characteristics",
    "neighbours",
]

#: Columns of :func:`area_characteristics` usable as neighbour variables.
CHARACTERISTICS = (
    "log_population",
    "share_0_14",
    "share_15_44",
    "share_65_plus",
    "imd_score",
    "income_score",
    "employment_score",
)
#: Variables used by :func:`neighbours` by default (all of them).
DEFAULT_VARIABLES = CHARACTERISTICS
#: Vintage of the areas compared: that of the shipped deaths extract (May 2020 boundaries).
NEIGHBOUR_VINTAGE = 2020
_BANDS_0_14 = ("0-4", "5-9", "10-14")
_BANDS_15_44 = ("15-19", "20-24", "25-29", "30-34", "35-39", "40-44")
_BANDS_65_PLUS = ("65-69", "70-74", "75-79", "80-84", "85-89", "90+")


def area_characteristics(
    tier: Literal["lower", "upper"] = "lower", year: int = 2019
) -> pd.DataFrame:
    """Characteristics of the English areas of one tier, for :func:`neighbours`.

    Parameters
    ----------
    tier : {"lower", "upper"}, default "lower"
        ``"lower"``: districts and single-tier authorities (unitaries,
        metropolitan districts, London boroughs); ``"upper"``: counties and
        single-tier authorities; codes of 2020 (the shipped deaths extract).
    year : int, default 2019
        Mid-year of the population estimates (1997-2020).

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``population`` (persons, all ages) and
        the columns of :data:`CHARACTERISTICS`, one row per area, sorted by
        code. Areas lacking a characteristic are left out and listed in
        ``.attrs["excluded"]`` (lower tier: the seven Northamptonshire
        districts, which have no population of their own in the shipped
        estimates).

    References
    ----------
    ONS mid-year population estimates (:func:`~overdose_trends.io.datasets.population_bands`);
    MHCLG (2019), English indices of deprivation 2019, Files 10 and 11
    (:func:`~overdose_trends.io.datasets.deprivation`).

    Examples
    --------
    >>> chars = ot.area_characteristics("upper")
    >>> len(chars)
    151
    >>> southend = chars.set_index("area_code").loc["E06000033"]
    >>> int(southend["population"]), float(southend["imd_score"])
    (183125, 22.375)
    """
    if tier not in ("lower", "upper"):
        raise ValueError(f"tier must be 'lower' or 'upper', got {tier!r}")
    geo = geography()
    tiers = LOWER_TIERS if tier == "lower" else UPPER_TIERS
    codes = [
        c for c in geo.codes(NEIGHBOUR_VINTAGE)
        if geo.info[c]["tier"] in tiers and c.startswith("E")
    ]  # fmt: skip
    out = pd.DataFrame(
        {"area_code": codes, "area_name": [str(geo.info[c]["area_name"]) for c in codes]}
    )
    out = out.merge(_population(year), on="area_code", how="left")
    out = out.merge(_deprivation(tier), on="area_code", how="left")
    missing = out[list(CHARACTERISTICS)].isna().any(axis=1)
    out = out[~missing].sort_values("area_code").reset_index(drop=True)
    out["population"] = out["population"].astype("int64")
    out.attrs["excluded"] = sorted(set(codes) - set(out["area_code"]))
    out.attrs["year"] = year
    return out


def neighbours(
    area_code: str,
    k: int = 15,
    variables: Sequence[str] = DEFAULT_VARIABLES,
    tier: Literal["lower", "upper"] | None = None,
    *,
    data: pd.DataFrame | None = None,
    year: int = 2019,
) -> pd.DataFrame:
    """The ``k`` areas most like ``area_code``: the package's statistical neighbours.

    Each variable is standardised to a z-score over the areas of the tier
    (mean 0, standard deviation 1, population SD), and areas are ranked by the
    Euclidean distance of their z-scores from the area's. Ties are broken by
    area code, and the result does not depend on the order of the rows.

    Parameters
    ----------
    area_code : str
        GSS code of an English area (codes of 2020).
    k : int, default 15
        Number of neighbours (the area itself is not one of them).
    variables : sequence of str, default all of :data:`CHARACTERISTICS`
        Columns of ``data`` to compare on.
    tier : {"lower", "upper"}, optional
        Areas compared: ``"lower"`` (districts and single-tier authorities) or
        ``"upper"`` (counties and single-tier authorities). Default: "upper"
        for a county, else "lower".
    data : pandas.DataFrame, optional
        Characteristics to use instead of :func:`area_characteristics`: one
        row per area, ``area_code``, ``area_name`` and the ``variables``.
    year : int, default 2019
        Population year of :func:`area_characteristics`.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``distance`` (in standard deviations)
        and ``rank`` (1 = nearest), ``k`` rows, nearest first. ``.attrs``
        records the variables, tier and year.

    Raises
    ------
    ValueError
        If the area is not among those compared (Welsh areas have no IMD 2019;
        the seven Northamptonshire districts have no population), a variable is
        unknown or constant, or ``k`` is not between 1 and the number of other areas.

    References
    ----------
    The method is this package's own, documented above (not the CIPFA
    nearest-neighbour model, whose data are licensed). Data: ONS mid-year
    population estimates; MHCLG (2019) English indices of deprivation 2019.

    Examples
    --------
    >>> near = ot.neighbours("E06000033", k=5)
    >>> near.round(3)
       area_code              area_name  distance  rank
    0  E08000002                   Bury     0.584     1
    1  E07000219  Nuneaton and Bedworth     0.609     2
    2  E08000033             Calderdale     0.627     3
    3  E07000113                  Swale     0.793     4
    4  E06000013     North Lincolnshire     0.809     5
    """
    tier = tier if tier is not None else _default_tier(area_code)
    chars = area_characteristics(tier, year) if data is None else data
    variables = list(variables)
    _check(chars, area_code, variables, k, tier)
    chars = chars.sort_values("area_code", kind="stable").reset_index(drop=True)
    x = chars[variables].to_numpy(dtype="float64")
    sd = x.std(axis=0)
    me = int(np.flatnonzero(chars["area_code"].to_numpy() == area_code)[0])
    # differences of z-scores, (x - x_me) / sd; rounded so that float noise cannot break ties
    dist = np.sqrt((((x - x[me]) / sd) ** 2).sum(axis=1)).round(12)
    out = pd.DataFrame(
        {
            "area_code": chars["area_code"].astype(str),
            "area_name": chars["area_name"].astype(str),
            "distance": dist,
        }
    ).drop(index=me)
    out = out.sort_values(["distance", "area_code"], kind="stable").head(k)
    out["rank"] = np.arange(1, len(out) + 1)
    out = out.reset_index(drop=True)
    out.attrs = {"variables": variables, "tier": tier, "year": year, "of": area_code}
    return out


def _default_tier(code: str) -> Literal["lower", "upper"]:
    info = geography().info.get(code)
    return "upper" if info is not None and info["tier"] == "upper" else "lower"


def _check(chars: pd.DataFrame, code: str, variables: list[str], k: int, tier: str) -> None:
    lacking = [c for c in ("area_code", "area_name", *variables) if c not in chars.columns]
    if lacking:
        raise ValueError(f"neighbours: characteristics lack columns {lacking}")
    if not variables:
        raise ValueError("neighbours: give at least one variable")
    if chars["area_code"].duplicated().any():
        raise ValueError("neighbours: characteristics have more than one row for some areas")
    if code not in set(chars["area_code"]):
        geo = geography()
        why = ""
        if code.startswith("W"):
            why = ": Welsh areas have no English IMD 2019, so they are not compared"
        elif code in geo.info:
            why = f" of the {tier} tier (tier=...: 'lower' or 'upper'; 2020 codes)"
        raise ValueError(f"neighbours: {geo.name(code)} is not among the areas compared{why}")
    values = chars[variables]
    if values.isna().any().any():
        raise ValueError("neighbours: characteristics have missing values; drop those areas")
    flat = [v for v in variables if values[v].nunique() < 2]
    if flat:
        raise ValueError(f"neighbours: variables {flat} do not vary between areas")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < len(chars):
        raise ValueError(f"k must be a whole number from 1 to {len(chars) - 1}, got {k!r}")


def _population(year: int) -> pd.DataFrame:
    bands = population_bands()
    bands = bands[bands["year"] == year]
    if bands.empty:
        raise ValueError(f"no population for {year}: the shipped estimates cover 1997-2020")
    wide = bands.pivot_table(
        index="area_code", columns="age_band", values="population", aggfunc="sum", observed=True
    ).astype("float64")
    total = wide.sum(axis=1)
    out = pd.DataFrame(
        {
            "population": total,
            "log_population": np.log(total),
            "share_0_14": wide[list(_BANDS_0_14)].sum(axis=1) / total,
            "share_15_44": wide[list(_BANDS_15_44)].sum(axis=1) / total,
            "share_65_plus": wide[list(_BANDS_65_PLUS)].sum(axis=1) / total,
        }
    )
    return out.reset_index().assign(area_code=lambda d: d["area_code"].astype(str))


def _deprivation(tier: str) -> pd.DataFrame:
    """IMD 2019 scores by 2020 code: the tier's table, then the other, then recodes."""
    imd = deprivation()
    cols = ["imd_score", "income_score", "employment_score"]
    own = imd[imd["tier"] == tier].set_index("area_code")[cols]
    other = imd[imd["tier"] != tier].set_index("area_code")[cols]
    table = pd.concat([own, other[~other.index.isin(own.index)]])
    changes = geography().changes
    recodes = changes[changes["kind"] == "recode"]
    for old, new in zip(recodes["old_code"], recodes["new_code"], strict=True):
        if new not in table.index and old in table.index:  # Buckinghamshire 2020
            table.loc[new] = table.loc[old]
    return table.rename_axis("area_code").reset_index()
