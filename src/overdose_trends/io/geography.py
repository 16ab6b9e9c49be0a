"""Geography of England and Wales: the area hierarchy, code changes, harmonised codes,
county and combined figures, and comparator sets.

ONS publishes local figures for the areas in use when an edition is made, so a
long series crosses code changes: 2019 mergers (Bournemouth, Christchurch and
Poole; Dorset; East and West Suffolk; Somerset West and Taunton),
Buckinghamshire 2020, North and West Northamptonshire 2021, Cumberland,
Westmorland and Furness, North Yorkshire and Somerset 2023, and recodes after
boundary realignments (Gateshead and Northumberland 2013, four Hertfordshire
districts 2018). This module answers, from two shipped, cited tables
(``data/geography/areas.csv`` and ``code_changes.csv``):

- :func:`area_lookup`: each area's level, tier, parent, upper-tier authority,
  region, country and the years its code was in use;
- :func:`code_changes`: old code -> new code, date, kind (recode, merger, split);
- :func:`harmonise`: a frame's codes mapped to one vintage, counts summed for
  mergers, splits and unsummable published rates refused;
- :func:`combine_areas`: counts of counties, regions, countries or any
  user-defined group (a drug and alcohol partnership) summed from their areas;
- :func:`comparators`: the codes of a comparator set ("lower-tier",
  "upper-tier", "region", "neighbours") for funnels, rankings and figures.

A *vintage* is a year: the codes in use on 31 December of that year (changes
take effect on 1 April). The shipped ONS local-authority extract is vintage
2020 (boundaries of May 2020); the shipped population, 2021 (North and West
Northamptonshire).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import pandas as pd

from overdose_trends.io._geo_sum import Plan, hierarchy_plan, sum_areas
from overdose_trends.io._geo_tables import (
    FIRST_VINTAGE,
    LAST_VINTAGE,
    LOWER_TIERS,
    UPPER_TIERS,
    Geography,
    geography,
)

__all__ = [
    "COMPARATOR_KINDS",
    "area_lookup",
    "code_changes",
    "combine_areas",
    "comparators",
    "harmonise",
]

#: Comparator sets accepted by :func:`comparators` (and the report's ``comparators`` option).
COMPARATOR_KINDS = ("lower-tier", "upper-tier", "region", "neighbours")
_MAX_NAMED = 5


def area_lookup(vintage: int | None = None) -> pd.DataFrame:
    """Areas of England and Wales with their level, tier and place in the hierarchy.

    Derived from the row order of the ONS local-authority drug-deaths workbook
    (2019 edition, boundaries of May 2020: each region lists its unitary
    authorities and counties, each county followed by its districts) and the
    code changes of :func:`code_changes` for the areas before and after each
    change, 2013-2023.

    Parameters
    ----------
    vintage : int, optional
        Keep the areas whose codes were in use on 31 December of this year
        (2013-2023). Default: every area of the table, all vintages.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``area_level`` (as
        :data:`~overdose_trends.constants.AREA_LEVELS`), ``tier`` (``"lower"``:
        shire district; ``"upper"``: county; ``"single"``: unitary authority,
        metropolitan district or London borough, which are both; ``""`` for
        metropolitan counties, Inner/Outer London, regions and countries),
        ``parent_code`` (county, metropolitan county, Inner/Outer London,
        region or country containing it), ``upper_tier_code`` (the area's
        upper-tier authority: the county of a district, itself for a county or
        single-tier authority), ``region_code``, ``country_code``,
        ``valid_from`` and ``valid_to`` (Int64 vintages; ``<NA>``: in use
        before 2013 / still in use), in hierarchical order.

    References
    ----------
    ONS (2020), "Deaths related to drug poisoning by local authority, England
    and Wales, 1993 to 2019" (area rows of Table 1); ONS Code History Database;
    the statutory orders cited in :func:`code_changes`. Open Government Licence v3.0.

    Examples
    --------
    >>> areas = ot.area_lookup(2020)
    >>> areas.query("upper_tier_code == 'E10000020'")[["area_code", "area_name", "tier"]].head(3)
         area_code  area_name   tier
    203  E10000020    Norfolk  upper
    204  E07000143  Breckland  lower
    205  E07000144  Broadland  lower
    >>> areas["tier"].value_counts().to_dict()
    {'lower': 188, 'single': 148, 'upper': 25, '': 20}
    """
    geo = geography()
    out = geo.areas.copy()
    if vintage is not None:
        _check_vintage(vintage, "vintage")
        out = out[[geo.valid(c, vintage) for c in out["area_code"]]]
    return out


def code_changes() -> pd.DataFrame:
    """GSS code changes of local authorities in England and Wales, 2013-2023.

    Returns
    -------
    pandas.DataFrame
        ``old_code``, ``old_name``, ``new_code``, ``new_name``, ``date``
        (datetime64, the day the change took effect), ``kind`` (``"recode"``:
        the same area under a new code, possibly after a minor boundary
        realignment, or a county that became one unitary authority;
        ``"merger"``: the old area is part of the new one; ``"split"``: the old
        area's parts went to several new areas), ``source`` (the statutory
        order or ONS source) and ``year``. One row per old -> new pair.

    References
    ----------
    ONS Code History Database and Register of Geographic Codes; the structural
    changes orders named in ``source`` (legislation.gov.uk).

    Examples
    --------
    >>> changes = ot.code_changes()
    >>> changes.query("new_code == 'E07000244'")[["old_code", "old_name", "kind", "year"]]
         old_code         old_name    kind  year
    16  E07000205  Suffolk Coastal  merger  2019
    17  E07000206          Waveney  merger  2019
    >>> changes.groupby("kind").size().to_dict()
    {'merger': 42, 'recode': 9, 'split': 6}
    """
    return geography().changes.copy()


def harmonise(
    df: pd.DataFrame,
    to: int = LAST_VINTAGE,
    *,
    area: str = "area_code",
    counts: Sequence[str] = ("deaths", "population"),
    rates: Literal["raise", "drop"] = "raise",
    splits: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Map a frame's area codes to one vintage, summing counts of merged areas.

    Each code is followed through :func:`code_changes` to the code in use in
    ``to``: a recode keeps the row (published rates and all); the rows of
    areas merged into one are summed per *key* (every column other than the
    area, its name and level, the counts, the published rates ``rate``,
    ``lcl``, ``ucl``, ``rate_status`` and ``row``: e.g. ``year``,
    ``period_start``, ``measure``, ``sex``, ``age_band``). A count missing in
    any merged area leaves the sum missing (never a partial sum).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with an area code column; codes of any vintage 2013-2023, which may
        differ between periods (a series published under old codes, then new).
    to : int, default 2023
        Target vintage (codes in use on 31 December of that year).
    area : str, default "area_code"
        Column of GSS codes.
    counts : sequence of str, default ("deaths", "population")
        Columns summed over merged areas (those present in ``df``).
    rates : {"raise", "drop"}, default "raise"
        Published rates of merged areas cannot be summed: ``"raise"`` refuses
        (naming the areas and columns), ``"drop"`` blanks them on the summed
        rows (``rate_status`` becomes ``"not_available"``).
    splits : {"raise", "drop"}, default "raise"
        Rows of an area whose parts went to several successors (Dorset,
        Northamptonshire, Cumbria counties) cannot be divided: ``"raise"``
        refuses, ``"drop"`` leaves them out (build the successors from the
        districts instead).

    Returns
    -------
    pandas.DataFrame
        The same columns, one row per target area and key, in order of first
        appearance; ``area_name`` and ``area_level`` (if present) are those of
        the target vintage; summed rows have ``row`` blank.

    Raises
    ------
    ValueError
        Naming the areas and what to do: unknown codes; a split area; a
        merger back to a vintage before it happened (a split); a key with both
        an area and its predecessor (mixed vintages) or with an area and its
        own parts (a county and its districts); published rates of merged areas.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "area_code": ["E07000205", "E07000206", "E07000244", "E07000148"],
    ...     "year": [2018, 2018, 2019, 2019],
    ...     "deaths": [9, 17, 25, 19],
    ... })
    >>> ot.harmonise(df, to=2019)
       area_code  year  deaths
    0  E07000244  2018      26
    1  E07000244  2019      25
    2  E07000148  2019      19

    Rows of an area and its own parts are refused, not double counted:

    >>> county_and_district = pd.DataFrame(
    ...     {"area_code": ["E10000023", "E07000163"], "year": 2019, "deaths": [51, 4]}
    ... )
    >>> ot.harmonise(county_and_district)
    Traceback (most recent call last):
    ...
    ValueError: harmonise: North Yorkshire (E10000023) and Craven (E07000163) overlap ...
    """
    geo = geography()
    _check_vintage(to, "to")
    codes = _codes(df, area, "harmonise", geo)
    mapping: dict[str, tuple[str, ...]] = {}
    for code in codes:
        targets = _resolve(code, to, geo, splits)
        if targets:
            mapping[code] = targets
    plan = Plan(
        area=area, sums=_present(df, counts), rates=rates, mapping=mapping, wholes=None,
        incomplete="raise", verb="harmonise", names={}, levels={},
    )  # fmt: skip
    out = sum_areas(df, plan, geo)
    out.attrs = {**df.attrs, "vintage": to}
    return out


def combine_areas(
    df: pd.DataFrame,
    groups: str | Sequence[str] | Mapping[str, Iterable[str]] = "county",
    *,
    area: str = "area_code",
    counts: Sequence[str] = ("deaths", "population"),
    names: Mapping[str, str] | None = None,
    vintage: int | None = None,
    rates: Literal["raise", "drop"] = "raise",
    incomplete: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Counts of counties, regions, countries or user-defined groups, summed from their areas.

    Deaths and populations (and any other ``counts``) of the member areas are
    summed per key (year, period, sex, age band ...: every other column, as in
    :func:`harmonise`). Keep the age bands in ``df`` and the result is ready for
    :func:`~overdose_trends.stats.rates.dsr` (the group's age-standardised rate);
    a published rate cannot be summed and is refused (``rates``).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of areas with an area code column (lower-tier areas for the
        hierarchy groups; any areas for a mapping).
    groups : str, list of str or mapping, default "county"
        A level of the hierarchy: ``"county"`` (shire counties from their
        districts), ``"metropolitan_county"``, ``"inner_outer_london"``,
        ``"region"``, ``"country"``, or several of them, or ``"all"``;
        members are the lower-tier areas of ``df`` lying inside the group (a
        unitary made of a county's districts, such as North and West
        Northamptonshire, counts towards the county). Or a mapping from a
        group code to its member codes, e.g. ``{"Norfolk and Waveney":
        ["E10000020", "E07000206"]}`` for a partnership.
    area : str, default "area_code"
        Column of GSS codes.
    counts : sequence of str, default ("deaths", "population")
        Columns summed (those present in ``df``).
    names : mapping, optional
        ``area_name`` of user-defined groups (default: the group's key).
    vintage : int, optional
        The hierarchy's vintage: which counties exist. Default: inferred from
        the codes of ``df`` (the vintage in which most are in use).
    rates : {"raise", "drop"}, default "raise"
        As in :func:`harmonise`.
    incomplete : {"raise", "drop"}, default "raise"
        A group lacking some of its areas for a key would be undercounted:
        ``"raise"`` refuses, naming the missing areas; ``"drop"`` leaves that
        group and key out.

    Returns
    -------
    pandas.DataFrame
        The columns of ``df``: one row per group and key (groups only, not the
        members), ``area_name`` and ``area_level`` from the lookup (``"group"``
        for user-defined groups); a count missing in any member leaves the
        sum missing.

    Raises
    ------
    ValueError
        Unknown hierarchy level or codes, member codes absent from ``df``,
        overlapping members (a county and its own district), an incomplete
        group (``incomplete="raise"``), published rates.

    Examples
    --------
    Norfolk's population by ESP age band, summed from its seven districts:

    >>> bands = ot.datasets.population_bands(aggregates=False).query("year == 2019")
    >>> norfolk = ot.combine_areas(bands, "county").query("area_code == 'E10000020'")
    >>> int(norfolk["population"].sum()), len(norfolk)
    (907760, 19)

    A user-defined partnership (Norfolk with Waveney's successor East Suffolk):

    >>> la = ot.datasets.la_deaths().query("sheet == 'Table 1' and period_start >= 2018")
    >>> pair = ot.combine_areas(
    ...     la.drop(columns=["rate", "lcl", "ucl"]),
    ...     {"NW": ["E10000020", "E07000244"]}, names={"NW": "Norfolk and East Suffolk"},
    ... )
    >>> pair[["area_code", "area_name", "measure", "period_start", "deaths"]].head(2)
      area_code                 area_name    measure  period_start  deaths
    0        NW  Norfolk and East Suffolk  poisoning          2019      85
    1        NW  Norfolk and East Suffolk  poisoning          2018      97
    """
    geo = geography()
    codes = _codes(df, area, "combine_areas", geo, strict=isinstance(groups, str | list | tuple))
    if isinstance(groups, Mapping):
        plan = _mapping_plan(groups, codes, names or {}, geo)
    else:
        if vintage is None:
            vintage = geo.infer_vintage(codes)
        _check_vintage(vintage, "vintage")
        plan = hierarchy_plan(codes, groups, vintage, geo)
    plan = Plan(
        area=area, sums=_present(df, counts), rates=rates, mapping=plan.mapping,
        wholes=plan.wholes, incomplete=incomplete, verb="combine_areas", names=plan.names,
        levels=plan.levels,
    )  # fmt: skip
    return sum_areas(df, plan, geo)


def comparators(
    kind: str,
    of: str | None = None,
    *,
    vintage: int | None = None,
    codes: Iterable[str] | None = None,
    tier: Literal["lower", "upper"] | None = None,
    k: int = 15,
) -> list[str]:
    """Codes of a comparator set: all lower-tier or upper-tier authorities, a region, neighbours.

    Usable wherever a set of areas is compared (funnel plots, rankings,
    comparisons): ``df[df["area_code"].isin(comparators("lower-tier", of=...))]``.
    A unitary authority such as Blackpool is both lower- and upper-tier, so it
    can be shown among all districts and unitaries ("lower-tier", as
    Fingertips' "Districts & UAs") or among counties and unitaries
    ("upper-tier", "Counties & UAs").

    Parameters
    ----------
    kind : {"lower-tier", "upper-tier", "region", "neighbours"}
        ``"lower-tier"``: shire districts and single-tier authorities;
        ``"upper-tier"``: counties and single-tier authorities (both in the
        country of ``of``, if given, else England and Wales); ``"region"``:
        the areas of ``of``'s tier in its region (Wales: in Wales);
        ``"neighbours"``: ``of`` and its ``k`` statistical neighbours
        (:func:`~overdose_trends.io.neighbours.neighbours`).
    of : str, optional
        GSS code of the area of interest (required for "region" and
        "neighbours"); always first in the result.
    vintage : int, optional
        Vintage of the codes; default: inferred from ``codes`` if given, else
        2020 (the shipped deaths extract).
    codes : iterable of str, optional
        Keep only these codes (those of the data at hand).
    tier : {"lower", "upper"}, optional
        Tier for "region" and "neighbours"; default: "upper" if ``of`` is a
        county, else "lower".
    k : int, default 15
        Number of neighbours for "neighbours".

    Returns
    -------
    list of str
        GSS codes, ``of`` first, then in hierarchical order (neighbours: by
        rank).

    Examples
    --------
    >>> lower = ot.comparators("lower-tier", of="E06000009")
    >>> len(lower), lower[0], "E07000148" in lower
    (314, 'E06000009', True)
    >>> ot.comparators("region", of="E10000020")[:4]
    ['E10000020', 'E06000055', 'E06000056', 'E06000032']
    """
    geo = geography()
    if kind not in COMPARATOR_KINDS:
        raise ValueError(f"unknown comparator set {kind!r}; use one of {list(COMPARATOR_KINDS)}")
    wanted = None if codes is None else list(dict.fromkeys(str(c) for c in codes))
    if vintage is None:
        vintage = geo.infer_vintage(wanted) if wanted else 2020
    _check_vintage(vintage, "vintage")
    if of is not None and of not in geo.info:
        raise ValueError(f"unknown area code {of!r}: not an area of England or Wales 2013-2023")
    if of is None and kind in ("region", "neighbours"):
        raise ValueError(f"comparators({kind!r}) needs of=<area code> (the area of interest)")
    if kind == "neighbours":
        from overdose_trends.io.neighbours import neighbours

        found = neighbours(str(of), k=k, tier=tier)["area_code"].tolist()
        out = [str(of), *found]
    else:
        out = _tier_set(kind, of, vintage, tier, geo)
    if wanted is not None:
        have = set(wanted)
        out = [c for c in out if c in have]
    return out


def _tier_set(
    kind: str, of: str | None, vintage: int, tier: str | None, geo: Geography
) -> list[str]:
    if kind == "upper-tier" or (
        kind == "region" and (tier == "upper" or (tier is None and _tier(of, geo) == "upper"))
    ):
        tiers = UPPER_TIERS
    else:
        tiers = LOWER_TIERS
    rows = [c for c in geo.codes(vintage) if geo.info[c]["tier"] in tiers]
    if of is not None:
        country = geo.info[of]["country_code"]
        rows = [c for c in rows if geo.info[c]["country_code"] == country]
    if kind == "region":
        region = geo.info[str(of)]["region_code"] or geo.info[str(of)]["country_code"]
        key = "region_code" if str(region).startswith("E12") else "country_code"
        rows = [c for c in rows if geo.info[c][key] == region]
    if of is not None:
        rows = [str(of)] + [c for c in rows if c != of]
    return rows


def _tier(code: str | None, geo: Geography) -> str:
    return str(geo.info[code]["tier"]) if code else ""


def _check_vintage(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a year such as 2023, got {value!r}")
    if not FIRST_VINTAGE <= value <= LAST_VINTAGE:
        raise ValueError(
            f"{name}={value}: the code-change table covers vintages {FIRST_VINTAGE}-{LAST_VINTAGE}"
        )


def _present(df: pd.DataFrame, counts: Sequence[str]) -> tuple[str, ...]:
    if isinstance(counts, str):
        counts = [counts]
    return tuple(c for c in counts if c in df.columns)


def _codes(
    df: pd.DataFrame, area: str, verb: str, geo: Geography, strict: bool = True
) -> list[str]:
    """Distinct codes of ``df[area]``; unknown ones refused (if ``strict``)."""
    if area not in df.columns:
        raise ValueError(f"{verb}: no column {area!r} of area codes; pass area=<column>")
    codes = [str(c) for c in pd.unique(df[area].dropna())]
    if df[area].isna().any():
        raise ValueError(f"{verb}: {int(df[area].isna().sum())} rows have no {area}; drop them")
    unknown = [c for c in codes if c not in geo.info]
    if unknown and strict:
        shown = ", ".join(map(repr, unknown[:_MAX_NAMED]))
        more = f" and {len(unknown) - _MAX_NAMED} more" if len(unknown) > _MAX_NAMED else ""
        raise ValueError(
            f"{verb}: unknown area codes {shown}{more}: the lookup has the local authorities, "
            "counties, regions and countries of England and Wales in use 2013-2023 "
            "(area_lookup()); drop other rows (e.g. Scotland, Northern Ireland, "
            "health geographies) first"
        )
    return codes


def _resolve(code: str, to: int, geo: Geography, splits: str) -> tuple[str, ...]:
    """The code(s) of ``code``'s area in vintage ``to``; () to drop a split area."""
    if geo.valid(code, to):
        return (code,)
    changes = geo.changes
    start = geo.info[code]["valid_from"]
    if not pd.isna(start) and int(start) > to:  # type: ignore[call-overload]
        back = changes[changes["new_code"] == code]
        if len(back) == 1 and back["kind"].iloc[0] == "recode":
            return _resolve(str(back["old_code"].iloc[0]), to, geo, splits)
        if len(back) > 1 and set(back["kind"]) == {"recode", "merger"}:
            recode = back[back["kind"] == "recode"]
            if len(recode) == 1:  # a county that became a unitary: back to the county
                return _resolve(str(recode["old_code"].iloc[0]), to, geo, splits)
        if splits == "drop":
            return ()
        parts = ", ".join(geo.name(str(c)) for c in back["old_code"])
        raise ValueError(
            f"harmonise: {geo.name(code)} was formed in {int(start)}"  # type: ignore[call-overload]
            f" from {parts}; its figures cannot be split back into the areas of {to}: "
            f"harmonise to {int(start)} or later, or supply the "  # type: ignore[call-overload]
            "figures of its predecessors"
        )
    forward = changes[changes["old_code"] == code]
    if forward.empty:  # not in use in `to`, and no recorded successor
        raise ValueError(f"harmonise: no successor of {geo.name(code)} recorded for {to}")
    if (forward["kind"] == "split").any():
        if splits == "drop":
            return ()
        parts = ", ".join(geo.name(str(c)) for c in forward["new_code"])
        raise ValueError(
            f"harmonise: {geo.name(code)} was split in {int(forward['year'].iloc[0])} between "
            f"{parts}; its figures cannot be divided between them: harmonise its districts' "
            "rows instead (drop the rows of this area, e.g. df[df['area_level'] != 'county']), "
            "or pass splits='drop'"
        )
    return _resolve(str(forward["new_code"].iloc[0]), to, geo, splits)


def _mapping_plan(
    groups: Mapping[str, Iterable[str]], codes: list[str], names: Mapping[str, str], geo: Geography
) -> Plan:
    """Plan for user-defined groups: every member must be in the data."""
    have = set(codes)
    mapping: dict[str, list[str]] = {}
    wholes = {}
    for group, members in groups.items():
        members = [str(m) for m in members]
        if isinstance(members, str) or not members:
            raise ValueError(f"combine_areas: group {group!r} needs a non-empty list of codes")
        absent = [m for m in members if m not in have]
        if absent:
            raise ValueError(
                f"combine_areas: group {group!r}: no rows for "
                f"{', '.join(geo.name(m) for m in absent[:_MAX_NAMED])}; add them to the data "
                "or leave them out of the group"
            )
        for m in members:
            mapping.setdefault(m, []).append(str(group))
        wholes[str(group)] = frozenset().union(*(geo.atoms.get(m, frozenset({m})) for m in members))
    return Plan(
        area="", sums=(), rates="raise", mapping={k: tuple(v) for k, v in mapping.items()},
        wholes=wholes, incomplete="raise", verb="combine_areas",
        names={str(g): str(names.get(g, g)) for g in groups},
        levels={str(g): "group" for g in groups},
    )  # fmt: skip
