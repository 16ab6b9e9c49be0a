"""The shipped local-authority outlines and the choice of areas a map draws (private).

``data/boundaries/la_outlines.json.gz`` (built by ``scripts/build_boundaries.py``
from the 2013 UK-GeoJSON outlines; see ``data/README.md``) holds one record per
lower-tier, single-tier and upper-tier area code of England and Wales in use at
any time in 2013-2023: rings as delta-encoded integers of 1/``scale`` degree,
exterior rings anticlockwise and holes clockwise. This module reads it with
numpy (no shapely at run time), turns each area into one compound
:class:`matplotlib.path.Path`, and picks the vintage and tier of the codes a
frame holds, using :func:`overdose_trends.io.geography.area_lookup`.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.path import Path as MplPath

from overdose_trends.io.datasets import data_dir
from overdose_trends.io.geography import area_lookup

#: The outline file inside the data folder.
OUTLINE_FILE = "boundaries/la_outlines.json.gz"
#: Latitude (degrees) at which the map's aspect is true: the middle of England and Wales.
MID_LATITUDE = 52.5
#: 1 / cos(latitude): the y/x aspect of a longitude-latitude plot at :data:`MID_LATITUDE`.
ASPECT = 1.0 / math.cos(math.radians(MID_LATITUDE))
#: Tiers drawn on each kind of map (area_lookup's ``tier``).
MAP_TIERS = MappingProxyType({"lower": ("lower", "single"), "upper": ("upper", "single")})
#: Levels never drawn: aggregates of the mapped areas (a table's England, regions ...).
AGGREGATE_LEVELS = ("country", "region", "metropolitan_county", "inner_outer_london")
LONDON = "E12000007"
_MAX_NAMED = 5

Level = Literal["lower", "upper"]


@dataclass(frozen=True)
class MapAreas:
    """The areas of one map: codes in drawing order with names, paths and London flags."""

    vintage: int
    level: Level
    codes: tuple[str, ...]
    names: tuple[str, ...]
    paths: tuple[MplPath, ...]
    london: tuple[bool, ...]


def _decode(flat: list[int], scale: float) -> np.ndarray:
    xy = np.cumsum(np.asarray(flat, dtype=np.float64).reshape(-1, 2), axis=0) / scale
    return np.vstack([xy, xy[:1]])


def _path(polygons: list[list[list[int]]], scale: float) -> MplPath:
    """One compound path of all the rings of an area (holes wind the other way)."""
    rings = [_decode(ring, scale) for polygon in polygons for ring in polygon]
    return MplPath.make_compound_path(*(MplPath(r, closed=True) for r in rings))


@lru_cache(maxsize=1)
def outlines() -> MappingProxyType[str, MplPath]:
    """Area code -> outline path (longitude, latitude) of every shipped area."""
    path = data_dir() / OUTLINE_FILE
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    scale = float(raw["scale"])
    return MappingProxyType({c: _path(r["polygons"], scale) for c, r in raw["areas"].items()})


def _valid(areas: pd.DataFrame, vintage: int) -> np.ndarray:
    start = areas["valid_from"].astype("Float64").fillna(-np.inf).to_numpy(dtype=np.float64)
    end = areas["valid_to"].astype("Float64").fillna(np.inf).to_numpy(dtype=np.float64)
    return np.asarray((start <= vintage) & (vintage <= end))


def _named(areas: pd.DataFrame, codes: list[str]) -> str:
    names = dict(zip(areas["area_code"], areas["area_name"], strict=False))
    shown = [f"{names.get(c, c)} ({c})" if c in names else c for c in codes[:_MAX_NAMED]]
    more = f" and {len(codes) - _MAX_NAMED} more" if len(codes) > _MAX_NAMED else ""
    return ", ".join(shown) + more


def mapped_codes(codes: list[str], level: Level | None, func: str) -> tuple[list[str], Level]:
    """The codes of ``codes`` a map draws, and the map's level, checked against the outlines.

    Codes of countries, regions, metropolitan counties and Inner/Outer London
    are left out (a table's benchmark rows); with ``level`` None the map is of
    lower-tier areas (districts and single-tier authorities) unless the codes
    hold counties and no district.

    Raises
    ------
    ValueError
        For codes not in the outlines (another country, a typo, a vintage after 2023).
    """
    areas = area_lookup()
    known = dict(zip(areas["area_code"], areas["area_level"], strict=True))
    tiers = dict(zip(areas["area_code"], areas["tier"], strict=True))
    unknown = sorted(
        {c for c in codes if c not in known or c not in outlines()}
        - {c for c in codes if known.get(c) in AGGREGATE_LEVELS}
    )
    if unknown:
        raise ValueError(
            f"{func}: {len(unknown)} area code(s) have no outline: "
            f"{', '.join(unknown[:_MAX_NAMED])}{' ...' if len(unknown) > _MAX_NAMED else ''}. "
            "The map draws local authorities of England and Wales with codes in use in "
            "2013-2023; map codes of other vintages with ot.harmonise(df, to=2023) "
            "(overdose_trends.io.geography.harmonise)"
        )
    drawn = [c for c in codes if known[c] not in AGGREGATE_LEVELS]
    if level is None:
        kinds = {tiers[c] for c in drawn}
        level = "upper" if "upper" in kinds and "lower" not in kinds else "lower"
    if level not in MAP_TIERS:
        raise ValueError(f"{func}: level must be 'lower' or 'upper', not {level!r}")
    return [c for c in drawn if tiers[c] in MAP_TIERS[level]], level


def choose_vintage(codes: list[str], func: str) -> int:
    """The latest vintage in which every code was in use.

    Raises
    ------
    ValueError
        When no vintage holds them all (codes of mixed vintages), naming the
        codes out of use in the vintage most of them share and the fix.
    """
    areas = area_lookup()
    rows = areas.set_index("area_code").loc[list(dict.fromkeys(codes))].reset_index()
    if rows.empty:
        return int(areas["valid_to"].max()) + 1
    first, last = 2013, int(areas["valid_to"].max()) + 1
    fits = [v for v in range(first, last + 1) if _valid(rows, v).all()]
    if fits:
        return max(fits)
    score = {v: int(_valid(rows, v).sum()) for v in range(first, last + 1)}
    best = max(v for v in score if score[v] == max(score.values()))
    odd = rows.loc[~_valid(rows, best), "area_code"].tolist()
    raise ValueError(
        f"{func}: the area codes come from different vintages: {_named(areas, odd)} "
        f"{'was' if len(odd) == 1 else 'were'} not in use in {best}, the vintage of most of "
        f"the others. Map one vintage: harmonise the codes first, e.g. "
        f"ot.harmonise(df, to={best}) (overdose_trends.io.geography.harmonise)"
    )


def map_areas(vintage: int, level: Level) -> MapAreas:
    """Every area of England and Wales drawn on a ``level`` map of ``vintage``."""
    areas = area_lookup()
    keep = _valid(areas, vintage) & areas["tier"].isin(MAP_TIERS[level]).to_numpy()
    rows = areas.loc[keep]
    paths = outlines()
    return MapAreas(
        vintage=vintage,
        level=level,
        codes=tuple(rows["area_code"]),
        names=tuple(rows["area_name"]),
        paths=tuple(paths[c] for c in rows["area_code"]),
        london=tuple(bool(r == LONDON) for r in rows["region_code"]),
    )
