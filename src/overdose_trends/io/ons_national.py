"""Loader for the ONS national reference tables on drug-poisoning deaths.

:func:`read_national` reads the workbook "Deaths related to drug poisoning in
England and Wales" (one edition per registration year) into one tidy, long
table with a ``table`` column. Every table of the workbook is read, found by its
*title text* (the sheet's own title or its entry on the Contents sheet), never
by sheet number:

``deaths_by_sex``
    Deaths from drug poisoning and drug misuse by sex and country (2016: Table 1;
    2021: Table 1, its "All causes" block).
``asmr``
    Deaths and age-standardised mortality rates with 95% confidence limits by
    sex, for all drug poisoning, drug misuse and selected substances (2016:
    Tables 10 and 11; 2021: Table 4).
``region``
    Deaths and age-standardised rates by country and English region (2016:
    Table 13, drug misuse, persons; 2021: Table 7, poisoning and misuse by sex).
``deaths_by_cause``
    Deaths by sex and underlying cause (2016: Tables 2 and 3, England and Wales;
    2021: Table 1, every cause block by country, including ``cause == "all"``).
``deaths_by_age``
    Deaths by sex and age group (2016: Tables 4 and 5; 2021: Table 2, by country).
``substances_by_age``
    Deaths with each selected substance mentioned, by age group, England and
    Wales, persons (2016: Table 7; 2021: Table 3, which also gives all drug
    poisoning and drug misuse by age).
``age_specific``
    Drug-misuse deaths and age-specific rates with 95% limits by sex and broad
    age group (2016: Table 12; 2021: Table 5).
``age_specific_5y``
    Age-specific drug-misuse rates by five-year age group, persons, no deaths
    or limits (2021: Table 6). A rate marked ``*`` (3 to 19 deaths) has
    ``rate_status == "unreliable"``; ``:`` (fewer than 3 deaths) is
    ``"not_calculated"``.
``imd``
    Deaths and age-standardised rates with 95% limits by sex and quintile of the
    English Index of Multiple Deprivation, England (2021: Table 8).
``wimd``
    The same by quintile of the Welsh Index of Multiple Deprivation, Wales, for
    three-year periods (2021: Table 9).
``registration_delay``
    Median days from death to registration, England and Wales separately, for
    poisoning and misuse (2016: Table 14; 2021: Table 10); in ``delay_days``.
``substances``, ``substances_alone``, ``substances_with_alcohol``
    2016 edition only: deaths with each substance mentioned (Table 6a), mentioned
    without other drugs (6b), with alcohol (6c), England and Wales, persons.
``substances_without_alcohol``, ``nps``
    2016 edition only: the same without alcohol (Table 6d), and deaths with each
    new psychoactive substance mentioned (Table 8).
``occurrence``
    2016 edition only: deaths by year of registration and by year of occurrence
    (Table 9, new psychoactive substances; Table 15, drug misuse by country).

Layouts: years across the columns (2016 Tables 1-8, 2021 Table 6), "grid"
tables with one to three header rows above the value columns, and the long
"accessible" tables ONS has published since 2022 (``Table_1``..., one header
row, ``[note N]`` references and line breaks in headers, markers ``[x]``,
``[c]``, ``[u]``, ``[low]``, periods such as ``"2020 to 2022"``); see
``overdose_trends.io._national_layouts``.

Tidy columns (:data:`NATIONAL_TABLE_COLUMNS`), one row per table and key
---------------------------------------------------------------------------
table : str
    One of :data:`TABLES` (see above).
area_code : str
    GSS code: ``K04000001`` England and Wales, ``E92000001`` England,
    ``W92000004`` Wales, ``E12000001``-``E12000009`` English regions. Tables
    without an area column cover England and Wales, except ``imd`` (England)
    and ``wimd`` (Wales). Names are mapped to codes with ``AREA_NAMES``.
area_name : str
    Official name for the code (``"Yorkshire & the Humber"`` and ``"East"`` read
    ``"Yorkshire and The Humber"`` and ``"East of England"``).
area_level : str
    ``"country"`` or ``"region"``, from the code prefix
    (:data:`overdose_trends.constants.AREA_LEVELS`).
measure : str
    ``"poisoning"`` (all deaths related to drug poisoning) or ``"misuse"`` (the
    subset related to drug misuse). Substance rows count drug-poisoning deaths
    with the substance mentioned on the death certificate: ``"poisoning"``.
substance : str
    ``"all"`` for the poisoning and misuse totals, otherwise a snake_case
    substance name with footnote numbers and bracketed qualifiers removed, the
    same in every edition (``"Heroin / morphine"`` and ``"Heroin or morphine"``
    are ``"heroin_morphine"``; ``"Benzodiazepines"`` and ``"Any benzodiazepine"``
    are ``"any_benzodiazepine"``). In the 2016 Tables 6a, 6c and 6d the row
    "Paracetamol (includes dextropropoxyphene...)" is ``"paracetamol"`` (the 2021
    definition) and the "Paracetamol" row excluding dextropropoxyphene mentioned
    alone is ``"paracetamol_excl_dextropropoxyphene_alone"``; "Amphetamine" under
    "Any amphetamine" (``"amphetamine"``) is ``"amphetamine_specific"``.
cause : str
    Underlying cause of death (ICD-10 groups of the ONS definition): ``"all"``,
    ``"mental_behavioural_disorders"`` (F11-F16, F18-F19),
    ``"accidental_poisoning"`` (X40-X44), ``"intentional_or_undetermined"``
    (X60-X64 and Y10-Y14, one row in the tables), ``"assault"`` (X85).
sex : str
    ``"persons"``, ``"males"`` or ``"females"``.
age_band : str
    Age group in years: ``"all"``, ``"0-19"`` (published "Under 20"),
    ``"20-29"``, ``"50-69"``, ``"70+"`` ("70 and over"); five-year bands
    ``"0"`` ("<1"), ``"1-4"``, ``"5-9"`` ... ``"85+"``.
quintile : Int64
    Deprivation quintile, 1 (most deprived) to 5 (least deprived), in ``imd``
    and ``wimd``; ``<NA>`` elsewhere.
year_basis : str
    ``"registration"`` (period = years the deaths were registered); in the
    ``occurrence`` table also ``"occurrence"`` (years the deaths occurred).
period_start, period_end : int
    First and last year; a single year has ``period_start == period_end``
    (``wimd`` uses three-year periods).
deaths : Int64
    Deaths in the period (``<NA>`` where not published).
rate, lcl, ucl : float
    Mortality rate and its 95% confidence limits, deaths per ``rate_per``
    population; NaN where not published or the table has no rates.
rate_per : int
    Population denominator of ``rate``: 1,000,000 in these tables.
rate_type : str
    ``"age_standardised"`` (2013 European Standard Population: ``asmr``,
    ``region``, ``imd``, ``wimd``), ``"age_specific"`` (``age_specific``,
    ``age_specific_5y``), or ``""`` for tables without rates.
rate_status : str
    ``"ok"``, ``"unreliable"`` (ONS ``u``, ``[u]`` or ``*``), ``"not_calculated"``
    (ONS ``:``: too few deaths), ``"suppressed"`` (``[c]``) or ``"not_available"``
    (``[x]``, ``[z]``, ``[low]``, blank, and every row of a table without rates).
delay_days : float
    Median registration delay in days (``registration_delay``); NaN elsewhere.
edition : int
    Latest year in the workbook (2016, 2021...).
sheet : str, row : int
    Provenance: worksheet name and 1-based spreadsheet row of the values.

Markers never become zeros: a marked cell is ``<NA>``/NaN with its status.

Completeness
------------
Every sheet that holds a table (listed on the Contents sheet, or any sheet
other than cover, contents, notes and definitions) is read, or a
:class:`~overdose_trends.errors.DataFormatError` names it: a table whose title
matches none of :data:`TABLES` raises (unless ``tables=`` selects what to read),
as do a listed sheet that is missing or empty, a table of the 2021-and-earlier
layout whose data stop before its footnotes (a truncated file), a value cell
that is blank or holds anything but a number or a known marker, a blank key cell
where the layout names every row's key (any key of the accessible layout; an age
band or quintile in any layout: a blank, e.g. an Excel error such as ``#N/A``, is
never filled down from the row above), deaths that are negative, fractional or
above 2**53, rates, limits and delays that are negative or not
finite, limits with ``lcl <= rate <= ucl`` broken, and the same row of a table
found twice (on one sheet, or on two, e.g. a hidden copy). Messages name the
file, sheet, row and column.

References
----------
Office for National Statistics, "Deaths related to drug poisoning in England
and Wales" (reference tables, dataset
deathsrelatedtodrugpoisoningenglandandwalesreferencetable),
https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/deathsrelatedtodrugpoisoningenglandandwalesreferencetable
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

import pandas as pd

from overdose_trends.errors import DataFormatError
from overdose_trends.io._national_labels import AREA_NAMES
from overdose_trends.io._national_labels import norm as _norm
from overdose_trends.io._national_layouts import (
    Sheet,
    own_title,
    read_sheet,
    split_causes,
)
from overdose_trends.io._national_tables import KINDS, SKIP_SHEET, Kind
from overdose_trends.io._workbook import (
    Source,
    Workbook,
    check_contents,
    open_workbook,
    sheet_key,
)
from overdose_trends.schema import DTYPES, NATIONAL_COLUMNS

__all__ = [
    "AREA_NAMES",
    "CORE_TABLES",
    "NATIONAL_TABLE_COLUMNS",
    "NATIONAL_TABLE_DTYPES",
    "TABLES",
    "read_national",
]

#: Short ids of the tables read, in output order.
TABLES = (
    "deaths_by_sex",
    "asmr",
    "region",
    "deaths_by_cause",
    "deaths_by_age",
    "substances_by_age",
    "age_specific",
    "age_specific_5y",
    "imd",
    "wimd",
    "registration_delay",
    "substances",
    "substances_alone",
    "substances_with_alcohol",
    "substances_without_alcohol",
    "nps",
    "occurrence",
)
#: Tables every edition has; :func:`read_national` requires them by default.
CORE_TABLES = TABLES[:3]
assert {k.table for k in KINDS} == set(TABLES)

#: Tidy columns of :func:`read_national`: :data:`~overdose_trends.schema.NATIONAL_COLUMNS`
#: plus the dimensions and fields of the age, cause, deprivation and delay tables.
NATIONAL_TABLE_COLUMNS = (
    *NATIONAL_COLUMNS[:6],  # table, area_code, area_name, area_level, measure, substance
    "cause",
    "sex",
    "age_band",
    "quintile",
    "year_basis",
    *NATIONAL_COLUMNS[7:14],  # period_start ... rate_per
    "rate_type",
    "rate_status",
    "delay_days",
    *NATIONAL_COLUMNS[15:],  # edition, sheet, row
)
#: pandas dtypes of :data:`NATIONAL_TABLE_COLUMNS` (for reading them back from CSV).
NATIONAL_TABLE_DTYPES = MappingProxyType(
    {
        **{c: DTYPES[c] for c in NATIONAL_COLUMNS},
        "cause": "str",
        "age_band": "str",
        "quintile": "Int64",
        "year_basis": "str",
        "rate_type": "str",
        "delay_days": "float64",
    }
)
_KEYS = [
    "table",
    "area_code",
    "measure",
    "substance",
    "cause",
    "sex",
    "age_band",
    "quintile",
    "year_basis",
    "period_start",
    "period_end",
]


# --- finding the tables --------------------------------------------------------------


def _contents_titles(wb: Workbook) -> dict[str, str]:
    """Sheet name -> title as listed on a Contents sheet (if there is one)."""
    by_key = {sheet_key(s): s for s in wb.sheet_names}
    titles: dict[str, str] = {}
    for sheet in wb.sheet_names:
        if sheet_key(sheet) not in {"contents", "table of contents", "index"}:
            continue
        for row in wb.rows(sheet):
            texts = [v.strip() for v in row if isinstance(v, str) and v.strip()]
            for text in texts:
                target = by_key.get(sheet_key(text))
                others = [t for t in texts if t is not text]
                if target and others:
                    titles[target] = max(others, key=len)
    return titles


def _kind_of(title: str) -> Kind | None:
    return next((kind for kind in KINDS if kind.matches(title)), None)


def _find_tables(wb: Workbook, everything: bool) -> list[Sheet]:
    """The sheets holding tables, each with the kind its title names.

    With ``everything``, a sheet that holds a table (listed on Contents or with
    any content) whose title names no known table raises: nothing is dropped
    without a word.
    """
    listed = _contents_titles(wb)
    found: list[Sheet] = []
    unknown: list[tuple[str, str]] = []
    seen_titles: list[str] = []
    for name in wb.sheet_names:
        if SKIP_SHEET.match(sheet_key(name)):
            continue
        rows = wb.rows(name)
        title = " ".join(t for t in (own_title(rows), listed.get(name, "")) if t)
        seen_titles.append(f"{name}: {title[:80]!r}")
        kind = _kind_of(_norm(title))
        if kind is not None:
            found.append(Sheet(wb, name, kind, _norm(title), rows))
        elif name in listed or any(v not in ("", None) and str(v).strip() for r in rows for v in r):
            unknown.append((name, title))
    if not found:
        core = "; ".join(k.looks_for for k in KINDS if k.table in CORE_TABLES)
        raise DataFormatError(
            f"no recognisable ONS national drug-poisoning table. Looked for sheets titled {core} "
            f"and the other tables ({', '.join(TABLES[3:])}). "
            f"Sheets found: {'; '.join(seen_titles) or 'none'}",
            file=wb.name,
        )
    if everything and unknown:
        name, title = unknown[0]
        raise DataFormatError(
            f"table not recognised: its title {title[:120]!r} names none of the national "
            f"tables ({', '.join(TABLES)}); pass tables=[...] to read only known tables",
            file=wb.name,
            sheet=name,
        )
    return found


def _check_duplicates(df: pd.DataFrame, file: str) -> None:
    """The same table row twice (on one sheet, or a table copied to a second sheet)."""
    dup = df[df.duplicated(_KEYS, keep=False)]
    if dup.empty:
        return
    first = dup.iloc[0]
    same = dup[(dup[_KEYS].fillna(-1) == first[_KEYS].fillna(-1)).all(axis=1)]
    second = same.iloc[1]
    what = " ".join(str(first[k]) for k in _KEYS if k not in ("period_end",) and pd.notna(first[k]))
    where = "a second sheet" if second["sheet"] != first["sheet"] else "the same sheet"
    raise DataFormatError(
        f"duplicate row for {what}-{first['period_end']} on {where} (first at sheet "
        f"{first['sheet']!r} row {first['row']}): is the table in the workbook twice?",
        file=file,
        sheet=second["sheet"],
        row=int(second["row"]),
        column=second["_column"],
    )


def _check_selection(names: Sequence[str] | str | None, what: str) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        names = [names]
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown} in {what}; choose from {TABLES}")
    return list(names)


def _assemble(sheets: list[Sheet], file: str) -> pd.DataFrame:
    """One tidy frame from the sheets' records, typed and sorted."""
    df = pd.DataFrame([r for s in sheets for r in s.records])
    _check_duplicates(df, file)
    df["edition"] = int(df["period_end"].max())
    df["deaths"] = df["deaths"].astype("Int64")
    df["quintile"] = df["quintile"].astype("Int64")
    for col in ("rate", "lcl", "ucl", "delay_days"):
        df[col] = df[col].astype("float64")
    for col in ("period_start", "period_end", "rate_per", "edition", "row"):
        df[col] = df[col].astype("int64")
    order = {name: k for k, name in enumerate(TABLES)}

    def sort_key(s: pd.Series) -> pd.Series:
        if s.name == "table":
            return s.map(order)
        if s.name == "age_band":
            return s.map(lambda b: -1 if b == "all" else int(b.split("-")[0].rstrip("+")))
        return s

    by = ["table", "measure", "substance", "cause", "area_code", "sex", "age_band", "quintile"]
    df = df.sort_values(
        [*by, "year_basis", "period_start", "period_end"], key=sort_key, kind="stable"
    )
    return df.loc[:, list(NATIONAL_TABLE_COLUMNS)].reset_index(drop=True)


def _check_required(sheets: list[Sheet], required: list[str], file: str) -> None:
    """Every required table has a sheet (before any is read)."""
    known = {s.kind.table for s in sheets}
    if any(s.kind.table == "deaths_by_sex" and "cause" in s.title for s in sheets):
        known.add("deaths_by_cause")  # 2021 Table 1 gives both (see split_causes)
    missing = [t for t in required if t not in known]
    if missing:
        looks_for = "; ".join(f"{k.table}: {k.looks_for}" for k in KINDS if k.table in missing)
        raise DataFormatError(
            f"required table(s) not found: {looks_for}. Recognised sheets: "
            f"{[s.name for s in sheets]} (pass require=() to load a partial workbook)",
            file=file,
        )


def _read_selected(sheet: Sheet, wanted: list[str] | None) -> None:
    """Read a sheet if it holds a wanted table (all, if ``wanted`` is None)."""
    table = sheet.kind.table
    if wanted is not None and table not in wanted:
        if not (table == "deaths_by_sex" and "deaths_by_cause" in wanted):
            return
    read_sheet(sheet)
    split_causes(sheet)
    if wanted is not None:
        sheet.records = [r for r in sheet.records if r["table"] in wanted]


def read_national(
    source: Source,
    require: Sequence[str] | None = None,
    tables: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Read the ONS national drug-poisoning reference tables into one tidy table.

    Parameters
    ----------
    source : str, os.PathLike or binary file object
        An edition of the ONS workbook "Deaths related to drug poisoning in England
        and Wales" (``.xls`` or ``.xlsx``; the format is detected from the content).
    require : sequence of str, optional
        Tables that must be found; a workbook without one of them raises
        :class:`~overdose_trends.errors.DataFormatError` rather than loading
        partially. Default: the tables named in ``tables``, or
        :data:`CORE_TABLES` (``deaths_by_sex``, ``asmr``, ``region``) when every
        table is read. Pass ``()`` to load whatever a cut-down workbook holds.
    tables : str or sequence of str, optional
        Read only these of :data:`TABLES`. Default: every table in the workbook,
        in which case a sheet holding an unrecognised table raises.

    Returns
    -------
    pandas.DataFrame
        One row per table, area, measure, substance, cause, sex, age band,
        quintile and period, with the columns :data:`NATIONAL_TABLE_COLUMNS`
        described in the module docstring: ``deaths`` (number registered),
        ``rate``/``lcl``/``ucl`` (mortality rate and 95% confidence limits per
        1,000,000 population; ``rate_type`` says age-standardised to the 2013
        European Standard Population or age-specific), ``rate_status``,
        ``delay_days`` (median registration delay) and provenance (``edition``,
        ``sheet``, ``row``). Select a table with ``df.query("table == 'imd'")``.

    Raises
    ------
    DataFormatError
        If the file is not a readable workbook, a table is missing or (when
        reading everything) not recognised, or a table has an unreadable layout,
        text where a number belongs, an unknown label, impossible rates or limits,
        or two rows for the same key; the message names the file, sheet, row and
        column.
    ValueError
        If ``tables`` or ``require`` name a table not in :data:`TABLES`.

    References
    ----------
    Office for National Statistics, "Deaths related to drug poisoning in England and
    Wales", reference tables,
    https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/deathsrelatedtodrugpoisoningenglandandwalesreferencetable

    Examples
    --------
    An excerpt of the 2021 edition ships with the package (every table, a few
    years, cell for cell as published; see ``data/README.md``):

    >>> path = ot.datasets.data_dir() / "ons_national_drug_deaths_2021_excerpt.xlsx"
    >>> df = ot.read_national(path)
    >>> df.groupby("table", sort=False).size().to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'deaths_by_sex': 90, 'asmr': 300, 'region': 54, 'deaths_by_cause': 450,
     'deaths_by_age': 630, 'substances_by_age': 630, 'age_specific': 90,
     'age_specific_5y': 551, 'imd': 50, 'wimd': 50, 'registration_delay': 20}
    >>> rates = df.query(
    ...     "table == 'asmr' and sex == 'persons' and period_start == 2021"
    ...     " and substance in ['all', 'heroin_morphine', 'cocaine']"
    ... )
    >>> rates[["measure", "substance", "deaths", "rate", "lcl", "ucl"]].reset_index(drop=True)
         measure        substance  deaths  rate   lcl   ucl
    0     misuse              all    3060  53.2  51.4  55.1
    1  poisoning              all    4859  84.4  82.0  86.8
    2  poisoning          cocaine     840  14.6  13.6  15.6
    3  poisoning  heroin_morphine    1213  21.1  19.9  22.3

    Drug-poisoning deaths by age group (England and Wales, persons, 2018):

    >>> age = df.query(
    ...     "table == 'deaths_by_age' and area_code == 'K04000001' and sex == 'persons'"
    ...     " and measure == 'poisoning' and period_start == 2018"
    ... )
    >>> age.set_index("age_band")["deaths"].to_dict()
    {'all': 4359, '0-19': 71, '20-29': 509, '30-39': 1076, '40-49': 1369, '50-69': 1092, '70+': 242}

    Deaths and age-standardised rates per million by deprivation quintile
    (England, males, 2021; 1 = most deprived):

    >>> imd = df.query("table == 'imd' and sex == 'males' and period_start == 2021")
    >>> imd[["quintile", "deaths", "rate", "lcl", "ucl"]].reset_index(drop=True)
       quintile  deaths   rate    lcl    ucl
    0         1    1334  252.9  239.2  266.7
    1         2     752  135.0  125.3  144.8
    2         3     470   84.8   77.1   92.5
    3         4     312   59.1   52.6   65.7
    4         5     182   36.8   31.4   42.2

    Age-specific misuse rates by five-year age group: ``*`` (few deaths) is a
    status, ``:`` a rate not calculated, never a zero:

    >>> five = df.query("table == 'age_specific_5y' and period_start == 2018")
    >>> five.query("age_band in ['0', '10-14', '60-64', '75-79']")[
    ...     ["age_band", "rate", "rate_status"]
    ... ].reset_index(drop=True)
      age_band  rate     rate_status
    0        0   NaN  not_calculated
    1    10-14   0.9      unreliable
    2    60-64  32.2              ok
    3    75-79   8.6      unreliable

    Median days from death to registration, 2021:

    >>> delay = df.query("table == 'registration_delay' and period_start == 2021")
    >>> delay[["area_name", "measure", "delay_days"]].reset_index(drop=True)
      area_name    measure  delay_days
    0   England     misuse       203.0
    1     Wales     misuse       325.5
    2   England  poisoning       205.0
    3     Wales  poisoning       315.5
    """
    wanted = _check_selection(tables, "tables")
    required = _check_selection(require, "require")
    if required is None:
        required = list(CORE_TABLES) if wanted is None else wanted
    wb = open_workbook(source)
    check_contents(wb)
    sheets = _find_tables(wb, everything=wanted is None)
    _check_required(sheets, required, wb.name)
    for sheet in sheets:
        _read_selected(sheet, wanted)
    if not any(s.records for s in sheets):
        raise DataFormatError(f"none of the tables {wanted} is in the workbook", file=wb.name)
    return _assemble(sheets, wb.name)
