"""Area codes, names and levels of the shipped ONS data (read once per session).

The default list of known areas for :func:`~overdose_trends.io.records.read.read_death_records`,
the names and levels :func:`~overdose_trends.io.records.aggregate.aggregate_deaths` adds,
and the areas the synthetic generator draws from. A geography module may replace this later.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

__all__ = ["ons_areas"]


@cache
def _areas() -> pd.DataFrame:
    from overdose_trends.io.datasets import la_deaths

    la = la_deaths().drop_duplicates("area_code")
    return la.set_index("area_code")[["area_name", "area_level"]]


def ons_areas() -> pd.DataFrame:
    """``area_name`` and ``area_level`` indexed by ``area_code`` (England, Wales, 2020 areas)."""
    return _areas().copy()
