"""The shipped geography tables, loaded once, and the relations derived from them.

Private to :mod:`overdose_trends.io`: :mod:`~overdose_trends.io.geography`,
:mod:`~overdose_trends.io.neighbours` and :mod:`~overdose_trends.io.datasets`
share these. Two tables live in ``data/geography/`` (see ``data/README.md``):

- ``areas.csv``: every local authority, county, region and country of England
  and Wales in use at some time from 2013 to 2023, with its level, tier,
  parent, upper-tier authority, region, country and the years it was in use;
- ``code_changes.csv``: old code -> new code, date and kind (recode, merger,
  split), with the statutory order or ONS source.

The *atoms* of an area are the lower-tier areas of the earliest vintage in the
table (2013 or before) whose union it is. They give one test for every question
of overlap: an area is part of another if its atoms are a subset of the other's;
two areas double count if their atoms intersect; a set of areas makes up a
whole if their atoms are disjoint and their union is the whole's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

AREAS_FILE = "geography/areas.csv"
CHANGES_FILE = "geography/code_changes.csv"
#: The vintages the tables cover (codes in use on 31 December of each year).
FIRST_VINTAGE, LAST_VINTAGE = 2013, 2023
#: Tiers that count as lower-tier (shire districts and single-tier authorities)
#: and as upper-tier (counties and single-tier authorities).
LOWER_TIERS = ("lower", "single")
UPPER_TIERS = ("upper", "single")
#: Levels that are sums of lower-tier areas (built by combine_areas).
AGGREGATE_LEVELS = ("county", "metropolitan_county", "inner_outer_london", "region", "country")


def data_file(name: str) -> Path:
    """A file of the package's data folder (honours ``OVERDOSE_TRENDS_DATA``)."""
    import os

    env = os.environ.get("OVERDOSE_TRENDS_DATA")
    base = Path(env) if env else Path(str(resources.files("overdose_trends").joinpath("data")))
    return base / name


@dataclass(frozen=True)
class Geography:
    """The two tables and the relations between their codes."""

    areas: pd.DataFrame
    changes: pd.DataFrame
    #: code -> row of ``areas`` as a dict
    info: dict[str, dict[str, object]]
    #: code -> frozenset of atom codes
    atoms: dict[str, frozenset[str]]

    def name(self, code: str) -> str:
        """``"Norwich (E07000148)"``, or the code alone if unknown."""
        row = self.info.get(code)
        return f"{row['area_name']} ({code})" if row else code

    def valid(self, code: str, vintage: int) -> bool:
        """Whether ``code`` was in use on 31 December ``vintage``."""
        row = self.info[code]
        start, end = row["valid_from"], row["valid_to"]
        return (pd.isna(start) or int(start) <= vintage) and (  # type: ignore[call-overload]
            pd.isna(end) or vintage <= int(end)  # type: ignore[call-overload]
        )

    def codes(self, vintage: int) -> list[str]:
        """Codes in use in ``vintage``, in table (hierarchical) order."""
        return [c for c in self.info if self.valid(c, vintage)]

    def ancestors(self, code: str) -> list[str]:
        """Parent, grandparent ... of ``code`` (nearest first)."""
        out = []
        parent = str(self.info[code]["parent_code"] or "")
        while parent:
            out.append(parent)
            parent = str(self.info[parent]["parent_code"] or "")
        return out

    def infer_vintage(self, codes: Iterable[str]) -> int:
        """The vintage in which most of ``codes`` were in use (the latest on a tie)."""
        known = [c for c in set(codes) if c in self.info]
        scores = {
            v: sum(self.valid(c, v) for c in known) for v in range(FIRST_VINTAGE, LAST_VINTAGE + 1)
        }
        best = max(scores.values())
        return max(v for v, s in scores.items() if s == best)


def _read_areas(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("valid_from", "valid_to"):
        df[col] = pd.to_numeric(df[col].replace("", None)).astype("Int64")
    return df


def _read_changes(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["date"] = pd.to_datetime(df["date"])
    df["year"] = df["date"].dt.year.astype("int64")
    return df


@functools.cache
def load(folder: str | None = None) -> Geography:
    """The geography tables (cached; ``folder`` only to key the cache on the data folder)."""
    areas = _read_areas(data_file(AREAS_FILE))
    changes = _read_changes(data_file(CHANGES_FILE))
    info = {
        str(r["area_code"]): {str(k): v for k, v in r.items()} for r in areas.to_dict("records")
    }
    return Geography(areas, changes, info, _atoms(areas, changes, info))


def geography() -> Geography:
    """The cached tables for the current data folder."""
    import os

    return load(os.environ.get("OVERDOSE_TRENDS_DATA"))


def _atoms(
    areas: pd.DataFrame, changes: pd.DataFrame, info: dict[str, dict[str, object]]
) -> dict[str, frozenset[str]]:
    lower = set(areas.loc[areas["tier"].isin(LOWER_TIERS), "area_code"])
    preds: dict[str, list[str]] = {}
    for old, new in zip(changes["old_code"], changes["new_code"], strict=True):
        if old in lower and new in lower:
            preds.setdefault(new, []).append(old)

    @functools.cache
    def of_lower(code: str) -> frozenset[str]:
        if code not in preds:
            return frozenset({code})
        return frozenset().union(*(of_lower(p) for p in preds[code]))

    atoms = {c: of_lower(c) for c in lower}
    members: dict[str, set[str]] = {}
    for code in lower:
        parent = str(info[code]["parent_code"] or "")
        while parent:
            members.setdefault(parent, set()).update(atoms[code])
            parent = str(info[parent]["parent_code"] or "")
    # a unitary made of a county's districts (Buckinghamshire 2020, Northamptonshire's two
    # halves 2021) lies inside the county although the table files it under the region
    for code in areas["area_code"]:
        if code not in atoms:
            atoms[code] = frozenset(members.get(code, ()))
    return atoms
