"""SYNTHETIC record-level death registrations, for tests, documentation and benchmarks.

No real person is behind any row. :func:`synthetic_death_records` draws a
seeded plan (registration date, area, sex, age and what the death is:
drug misuse, other drug poisoning, or another cause) and writes each death's
codes and substance text to match the plan, so the counts the ONS definitions
must give are known in advance: :func:`synthetic_death_counts` returns them
from the plan alone (no classification involved).

What is realistic about it: drug deaths are about 1 in 100 registrations
(``drug_share``), two thirds male, mostly aged 25-60; other deaths are older;
contributory causes carry the T-codes of the substances named; registration
follows the death after a delay drawn from a log-normal distribution whose
median for drug deaths is the ONS median for that registration year
(:data:`MEDIAN_DELAY_DAYS`), and a few days for other deaths. What is not:
areas are drawn uniformly from the local authorities of the shipped ONS data,
and the mix of substances is a fixed illustrative list.

References
----------
ONS (2022), *Deaths related to drug poisoning in England and Wales: 2021
registrations*, reference tables ``2021registrations.xlsx``, Table 10
(median registration delay in days, England, all drug poisoning).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from overdose_trends.constants import ESP2013_BAND_STARTS, ESP2013_BANDS
from overdose_trends.io.records._areas import ons_areas
from overdose_trends.io.records.rules import substance_table

__all__ = [
    "MEDIAN_DELAY_DAYS",
    "SYNTHETIC_LABEL",
    "synthetic_death_counts",
    "synthetic_death_records",
]

#: Label carried by every synthetic table (``DataFrame.attrs["source"]``) and record id.
SYNTHETIC_LABEL = "SYNTHETIC"
#: Median delay (days) between death and registration of drug-poisoning deaths,
#: England, by registration year. ONS 2021registrations.xlsx, Table 10.
MEDIAN_DELAY_DAYS = {
    2001: 120.5, 2002: 115.0, 2003: 128.0, 2004: 136.0, 2005: 138.0, 2006: 140.0,
    2007: 156.0, 2008: 169.0, 2009: 165.0, 2010: 169.0, 2011: 171.0, 2012: 170.0,
    2013: 178.0, 2014: 162.0, 2015: 157.0, 2016: 162.0, 2017: 172.0, 2018: 181.0,
    2019: 185.0, 2020: 189.0, 2021: 205.0,
}  # fmt: skip
#: Spread (log scale) of the registration delays; an assumption of the generator.
_DELAY_SIGMA = 0.8
#: Median delay (days) for deaths from other causes; an assumption of the generator.
_OTHER_DELAY = 5.0

# (underlying cause, substance names, misuse?) for drug deaths; T-codes follow the names.
_MISUSE = (
    ("X42.0", ("heroin",)),
    ("X42.0", ("heroin", "cocaine")),
    ("X42.0", ("methadone", "diazepam")),
    ("X42.0", ("heroin", "pregabalin")),
    ("X41.0", ("cocaine",)),
    ("X41.0", ("amphetamine",)),
    ("X41.0", ("mdma",)),
    ("X44.0", ("tramadol",)),
    ("X44.0", ("codeine",)),
    ("X62.0", ("heroin", "etizolam")),
    ("Y12.0", ("methadone",)),
    ("F11.2", ("heroin",)),
    ("F14.1", ("cocaine",)),
    ("F19.2", ("heroin", "cocaine", "diazepam")),
    ("X85", ("heroin",)),
)
_POISONING_ONLY = (
    ("X40", ("paracetamol",)),
    ("X61.0", ("amitriptyline",)),
    ("X64.0", ("citalopram", "paracetamol")),
    ("Y11.0", ("quetiapine",)),
    ("F18.1", ()),
)
#: Poisonings that are not drug misuse only when the names are read (compound analgesics).
_COMPOUND = (("X44.0", ("co-codamol",)), ("X40", ("codeine", "paracetamol")))
#: Other underlying causes (not drug poisoning): the rule edges and common causes.
_OTHER = ("C34.9", "I21.9", "J44.9", "I25.1", "F10.2", "F17.2", "X45", "X47", "G30.9", "F03")
_OTHER_CONTRIBUTORY = ("I10", "E11.9", "J18.9", "N18.9", "I48", "R54")
_AREA_LEVELS = ("unitary", "district", "metropolitan_district", "london_borough")


def _areas() -> np.ndarray:
    areas = ons_areas()
    return np.sort(areas.index[areas["area_level"].isin(_AREA_LEVELS)].to_numpy(dtype=object))


def _plan(
    n: int, seed: int | Sequence[int], years: tuple[int, int], drug_share: float, names: bool
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    first, last = years
    if last < first or n < 0 or not 0 <= drug_share <= 1:
        raise ValueError("need n >= 0, years (first, last) in order and 0 <= drug_share <= 1")
    days = (pd.Timestamp(f"{last}-12-31") - pd.Timestamp(f"{first}-01-01")).days + 1
    reg = pd.Timestamp(f"{first}-01-01").to_datetime64() + rng.integers(0, days, n).astype(
        "timedelta64[D]"
    )
    drug = rng.random(n) < drug_share
    poisoning_only = _POISONING_ONLY + (_COMPOUND if names else ())
    kind = np.where(drug, np.where(rng.random(n) < 0.65, 1, 2), 0)  # 1 misuse, 2 poisoning only
    pattern = np.where(
        kind == 1,
        rng.integers(0, len(_MISUSE), n),
        np.where(
            kind == 2, rng.integers(0, len(poisoning_only), n), rng.integers(0, len(_OTHER), n)
        ),
    )
    male = rng.random(n) < np.where(drug, 0.68, 0.5)
    age = np.where(drug, rng.normal(43, 11, n), rng.normal(79, 12, n))
    age = np.clip(np.floor(age), 0, 104).astype(np.int64)
    reg_year = reg.astype("datetime64[Y]").astype(np.int64) + 1970
    median = np.array([MEDIAN_DELAY_DAYS[min(max(y, 2001), 2021)] for y in range(first, last + 1)])
    med = np.where(drug, median[reg_year - first], _OTHER_DELAY)
    delay = np.floor(med * np.exp(rng.normal(0, _DELAY_SIGMA, n))).astype(np.int64)
    occ = reg - delay.astype("timedelta64[D]")
    areas = _areas()
    return pd.DataFrame(
        {
            "registration_date": reg,
            "occurrence_date": occ,
            "area_code": areas[rng.integers(0, len(areas), n)],
            "sex": np.where(male, "M", "F"),
            "age": age,
            "kind": kind,
            "pattern": pattern,
            "n_other": rng.integers(0, 4, n),
            "other_pick": rng.integers(0, len(_OTHER_CONTRIBUTORY), n),
        }
    )


def synthetic_death_records(
    n: int = 10_000,
    *,
    seed: int | Sequence[int] = 0,
    years: tuple[int, int] = (2013, 2021),
    drug_share: float = 0.01,
    substances: bool = True,
    delimited: bool = False,
) -> pd.DataFrame:
    """SYNTHETIC death registrations whose ONS drug-death counts are known in advance.

    Parameters
    ----------
    n : int, default 10,000
        Registrations.
    seed : int or sequence of int, default 0
        Seed of :func:`numpy.random.default_rng` (a sequence, e.g. ``(0, chunk)``,
        for independent chunks of a large file).
    years : (int, int), default (2013, 2021)
        First and last registration year.
    drug_share : float, default 0.01
        Share of drug-poisoning deaths (about 1% of registrations in England
        and Wales).
    substances : bool, default True
        Include the free-text ``substances`` column (False: codes only, for
        the T-code approximation).
    delimited : bool, default False
        Contributory causes in one ``contributory_causes`` column (``;``
        separated) instead of ``cause_1`` ... ``cause_15``.

    Returns
    -------
    pandas.DataFrame
        One row per death in the canonical layout of
        :mod:`overdose_trends.io.records.read`: ``record_id`` (``"SYNTHETIC-…"``),
        ``registration_date``, ``occurrence_date`` (dates), ``age``, ``sex``
        (``M``/``F``), ``area_code``, ``underlying_cause`` (dotted ICD-10),
        contributory causes and ``substances``. ``attrs["source"]`` says SYNTHETIC.

    Examples
    --------
    >>> recs = ot.synthetic_death_records(1000, seed=1, drug_share=0.2)
    >>> recs.attrs["source"]
    'SYNTHETIC death registrations (overdose_trends), not real people'
    >>> recs.loc[0, ["record_id", "sex", "area_code"]].tolist()
    ['SYNTHETIC-0000001', 'F', 'E07000171']
    """
    plan = _plan(n, seed, years, drug_share, substances)
    poisoning_only = _POISONING_ONLY + (_COMPOUND if substances else ())
    t_code = dict(zip(*substance_table()[["name", "t_code"]].T.to_numpy(), strict=True))
    tables: dict[int, list[tuple[str, tuple[str, ...]]]] = {
        0: [(c, ()) for c in _OTHER],
        1: list(_MISUSE),
        2: list(poisoning_only),
    }
    uc = np.empty(n, dtype=object)
    text = np.full(n, None, dtype=object)
    codes = np.empty(n, dtype=object)
    kind, pattern = plan["kind"].to_numpy(), plan["pattern"].to_numpy()
    for k, table in tables.items():
        for p, (cause, names) in enumerate(table):
            at = (kind == k) & (pattern == p)
            uc[at] = cause
            if k:
                text[at] = ", ".join(names) if names else "butane"
                ts = [t_code[s] for s in names if t_code.get(s)]
                codes[at] = ";".join(ts)
            else:
                codes[at] = ""
    other = np.array(_OTHER_CONTRIBUTORY, dtype=object)[plan["other_pick"].to_numpy()]
    has_other = plan["n_other"].to_numpy() > 0
    joined = pd.Series(codes, dtype=object)
    extra = pd.Series(np.where(has_other, other, ""), dtype=object)
    causes = (joined + ";" + extra).str.strip(";")
    out = pd.DataFrame(
        {
            "record_id": [f"{SYNTHETIC_LABEL}-{i:07d}" for i in range(1, n + 1)],
            "registration_date": plan["registration_date"].dt.date,
            "occurrence_date": plan["occurrence_date"].dt.date,
            "age": plan["age"],
            "sex": plan["sex"],
            "area_code": plan["area_code"],
            "underlying_cause": uc,
        }
    )
    if delimited:
        out["contributory_causes"] = causes.replace("", None)
    else:
        split = causes.str.split(";")
        width = int(split.map(len).max()) if n else 0
        for i in range(max(width, 1)):
            out[f"cause_{i + 1}"] = split.str[i].replace("", None)
    if substances:
        out["substances"] = text
    out.attrs["source"] = (
        f"{SYNTHETIC_LABEL} death registrations (overdose_trends), not real people"
    )
    return out


def synthetic_death_counts(
    n: int = 10_000,
    *,
    seed: int | Sequence[int] = 0,
    years: tuple[int, int] = (2013, 2021),
    drug_share: float = 0.01,
    substances: bool = True,
) -> pd.DataFrame:
    """The drug-death counts that :func:`synthetic_death_records` (same arguments) must give.

    Counted from the generator's plan, not by classifying the records: a
    check on the classification and aggregation.

    Returns
    -------
    pandas.DataFrame
        Non-zero cells only: ``area_code``, ``sex`` (``males``/``females``),
        ``registration_year``, ``occurrence_year``, ``age_band`` (2013 ESP),
        ``poisoning`` and ``misuse`` (deaths).

    Examples
    --------
    >>> from overdose_trends.io.records.synthetic import synthetic_death_counts
    >>> truth = synthetic_death_counts(1000, seed=1, drug_share=0.2)
    >>> int(truth["poisoning"].sum()), int(truth["misuse"].sum())
    (179, 119)
    """
    plan = _plan(n, seed, years, drug_share, substances)
    band = np.asarray(ESP2013_BANDS)[
        np.searchsorted(np.asarray(ESP2013_BAND_STARTS), plan["age"].to_numpy(), side="right") - 1
    ]
    frame = pd.DataFrame(
        {
            "area_code": plan["area_code"],
            "sex": np.where(plan["sex"] == "M", "males", "females"),
            "registration_year": plan["registration_date"].dt.year.astype("int64"),
            "occurrence_year": plan["occurrence_date"].dt.year.astype("int64"),
            "age_band": band,
            "poisoning": (plan["kind"] > 0).astype(np.int64),
            "misuse": (plan["kind"] == 1).astype(np.int64),
        }
    )
    frame = frame[frame["poisoning"] > 0]
    keys = ["area_code", "sex", "registration_year", "occurrence_year", "age_band"]
    return frame.groupby(keys, as_index=False)[["poisoning", "misuse"]].sum()
