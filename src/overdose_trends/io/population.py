"""Mid-year population estimates by single year of age, their vintage and ESP age bands.

:func:`read_population` reads the current files - the Nomis download
(NM_2002_1), the ONS detailed time series (MYEB1), ONS MYE2 sheets and the ONS
wide file - into one long table that says which estimate series (*vintage*)
each year comes from. :func:`read_mid_year_estimates` reads the ONS wide CSV
(one row per area and year, one column per age) into the same table without
``sex`` and ``population_vintage``.
:func:`to_esp_bands` groups single ages into the age bands of the 2013 European
Standard Population, and :func:`all_ages` gives the all-ages total.

Tidy columns of :func:`read_mid_year_estimates`
-----------------------------------------------
area_code : str
    GSS code, e.g. ``"E06000033"``.
area_name : str
    Area name as published, surrounding spaces removed.
year : int
    Year of the estimate; the estimate refers to 30 June of that year.
age : int
    Age in completed years, 0 to 90; 90 means "90 and over".
age_label : str
    ``"0"`` … ``"89"``, ``"90+"``.
population : Int64
    Estimated usual resident population, persons; ``<NA>`` where the file has
    no value (``-``).

In the ONS file for 1997 to 2020 (``name,code,year,Age 0,...,Age 89,Aged 90+``)
``-`` covers ages 85 to 90+ in 1997 to 2000 for English and Welsh areas (single
years of age above 84 were not estimated then) and every age in 1997 to 2000 for
the Northern Ireland districts.

Vintages (``population_vintage``)
----------------------------------
Mid-year estimates are revised: on 23 November 2023 ONS replaced its
estimates for England and Wales for mid-2012 to mid-2021 with ones rebased on
Census 2021, and Nomis replaced its figures too. A rate for 2016-18 computed
with an older download differs from one computed with a current download, so
:func:`read_population` labels every row:

``"2011 Census based"``
    Years up to 2011 (unchanged by the rebasing), and 2012-2020 as first
    published (rolled forward from the 2011 Census; releases up to mid-2020,
    e.g. the 1997-2020 ONS wide file).
``"2021 Census rebased"``
    2012-2021 from a release since 23 November 2023.
``"2021 Census based"``
    2021 (first estimate, December 2022) and every later year.
``"unknown"``
    2012-2021 from a file that does not show which series it holds (a Nomis
    download with no year after 2021): pass ``rebased=`` to say.

The shipped population (:func:`overdose_trends.io.datasets.population_bands`,
1997-2020) is the 2011-Census-based series.

References
----------
ONS, "Rebasing of mid-year population estimates following Census 2021, England
and Wales", statistical bulletin, 23 November 2023.

Office for National Statistics, "Estimates of the population for the UK, England
and Wales, Scotland and Northern Ireland" (mid-year population estimates by
local authority, single year of age), Open Government Licence v3.0; also
available from Nomis, "Population estimates - local authority based by single
year of age".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from overdose_trends.constants import (
    ESP2013_BAND_STARTS,
    ESP2013_BAND_STARTS_20,
    ESP2013_BANDS,
    ESP2013_BANDS_20,
    GSS_CODE,
)
from overdose_trends.errors import DataFormatError
from overdose_trends.io import _population_layouts as layouts
from overdose_trends.io._csv_text import CsvSource, read_cells, read_text
from overdose_trends.io._numbers import parse_counts, shown
from overdose_trends.io._workbook import column_letter
from overdose_trends.schema import POPULATION_COLUMNS

__all__ = [
    "POPULATION_VINTAGES",
    "TOP_AGE",
    "VINTAGE_POPULATION_COLUMNS",
    "all_ages",
    "read_mid_year_estimates",
    "read_population",
    "to_esp_bands",
]

#: Highest age; ``age == TOP_AGE`` means "TOP_AGE and over".
TOP_AGE = 90

#: Age labels, index = age.
AGE_LABELS = (*(str(a) for a in range(TOP_AGE)), f"{TOP_AGE}+")

#: Band schemes accepted by :func:`to_esp_bands`: name -> (band starts, labels).
BAND_SCHEMES = {
    "esp2013": (ESP2013_BAND_STARTS, ESP2013_BANDS),
    "esp2013_20": (ESP2013_BAND_STARTS_20, ESP2013_BANDS_20),
}

#: Cell text meaning "no value" in a number column.
MISSING_MARKERS = layouts.MISSING

_YEAR = re.compile(r"^(?:mid-?\s*)?(\d{4})$", re.IGNORECASE)
_SINGLE_AGE = re.compile(r"^(?:age|aged)?\s*(\d{1,3})$")
_OPEN_AGE = re.compile(r"^(?:age|aged)?\s*(\d{1,3})\s*(?:\+|plus|and over|or over)$")
_ALIASES = {
    "name": ("name", "area name", "geography", "geography name", "la name", "local authority name"),
    "code": ("code", "area code", "geography code", "la code", "local authority code", "gss code"),
    "year": ("year", "date", "mid-year", "mid year"),
    "total": ("all ages", "aged all ages", "all", "all persons", "total", "persons"),
}
_ROLE_OF = {alias: role for role, aliases in _ALIASES.items() for alias in aliases}


def _normalise_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").replace("_", " ").split()).lower()


def _header_roles(header: list[str], file: str) -> tuple[dict[str, int], dict[int, int]]:
    """Map each recognised header to its role.

    Returns ``({"name": j, "code": j, "year": j[, "total": j]}, {age: j})`` where ``j``
    is the 0-based column index. Unrecognised columns are ignored.
    """
    roles: dict[str, int] = {}
    ages: dict[int, int] = {}

    def claim(table: dict, key: object, j: int, what: str) -> None:
        if key in table:
            first = table[key]
            raise DataFormatError(
                f"two columns for {what}: {shown(header[first])} ({column_letter(first)}) and "
                f"{shown(header[j])} ({column_letter(j)})",
                file=file,
                row=1,
                column=column_letter(j),
            )
        table[key] = j

    for j, raw in enumerate(header):
        h = _normalise_header(raw)
        if h in _ROLE_OF:
            claim(roles, _ROLE_OF[h], j, _ROLE_OF[h])
        elif m := _SINGLE_AGE.match(h):
            age = int(m.group(1))
            if age >= TOP_AGE:
                raise DataFormatError(
                    f"column {shown(raw)} is a single age of {TOP_AGE} or over; this loader "
                    f"expects single ages 0-{TOP_AGE - 1} and an open-ended '{TOP_AGE}+' column",
                    file=file,
                    row=1,
                    column=column_letter(j),
                )
            claim(ages, age, j, f"age {age}")
        elif m := _OPEN_AGE.match(h):
            if int(m.group(1)) != TOP_AGE:
                raise DataFormatError(
                    f"open-ended age column {shown(raw)}: only '{TOP_AGE}+' is supported",
                    file=file,
                    row=1,
                    column=column_letter(j),
                )
            claim(ages, TOP_AGE, j, f"age {TOP_AGE}+")

    missing = [repr(r) for r in ("name", "code", "year") if r not in roles]
    absent = [a for a in range(TOP_AGE) if a not in ages]
    for run in np.split(np.array(absent), np.flatnonzero(np.diff(absent) != 1) + 1):
        if run.size:
            first, last = f"'Age {run[0]}'", f"'Age {run[-1]}'"
            missing.append(first if run.size == 1 else f"{first} to {last}")
    if TOP_AGE not in ages:
        missing.append(f"'Aged {TOP_AGE}+'")
    if missing:
        raise DataFormatError(
            f"missing required column(s): {', '.join(missing)} "
            f"(the header has {len(header)} columns, starting "
            f"{', '.join(shown(h) for h in header[:4])})",
            file=file,
            row=1,
        )
    return roles, ages


def _cell_error(message: str, file: str, header: list[str], j: int, row: int) -> DataFormatError:
    column = f"{shown(header[j])} ({column_letter(j)})"
    return DataFormatError(message, file=file, row=row, column=column)


def _parse_counts(table: _CsvTable, cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative integer counts of columns ``cols`` as ``(values, missing)``, rows x cols."""
    block = table.df.iloc[:, cols].to_numpy(dtype=object)
    values, missing, bad = parse_counts(block, MISSING_MARKERS, what="population")
    if bad is not None:
        i, k = divmod(bad.index, len(cols))
        raise table.error(f"{bad.problem}; expected a whole number or '-' for no value", cols[k], i)
    shape = (len(block), len(cols))
    return values.reshape(shape), missing.reshape(shape)


def read_mid_year_estimates(source: CsvSource) -> pd.DataFrame:
    """Read ONS mid-year population estimates by single year of age (CSV, wide).

    Parameters
    ----------
    source : str, os.PathLike or file object
        Path to the CSV file, or an open text or binary file. Bytes are decoded
        as UTF-8 (a byte-order mark is allowed), falling back to Windows-1252.
        The header must have a name column (``name``/``area name``…), a code
        column (``code``/``area code``…), a ``year`` column, ``Age 0`` …
        ``Age 89`` and ``Aged 90+`` (or ``Age 90+``, ``90+``; case and spacing
        are ignored). An ``All ages``/``Total`` column, if present, is used only
        to check the single ages; other columns are ignored.

    Returns
    -------
    pandas.DataFrame
        One row per area, year and age, in file order then age order; columns
        :data:`~overdose_trends.schema.POPULATION_COLUMNS` (see the module
        docstring). ``population`` is a count of persons at 30 June of ``year``.

    Raises
    ------
    DataFormatError
        Naming the file, the 1-based row (header = row 1) and the column, for: a
        folder instead of a file; a missing required column; a line with fewer
        or more fields than the header (a short row, or a file cut part-way);
        a code that is not a GSS code (letter and 8 digits); a year that is not
        four digits; an empty name; a number cell holding text (including
        ``1e+20``, ``5.000,0``, ``1_000``, ``inf``), an empty cell, a negative
        or fractional count, or one over 2**53; the same code and year on two
        rows (both rows named); single ages that do not add up to the all-ages
        column. A cell is quoted in a message only up to 40 characters.

    Notes
    -----
    Method: every cell is read as text and checked against one notation for
    counts: digits, optionally with ``,`` thousands separators in groups of
    three (``"1,234"``); a decimal part, if any, must be zeros. ``-``,
    ``..``, ``:``, ``[x]`` and ``[z]`` mean "no value" and become ``<NA>``.
    Blank lines are skipped but counted, so row numbers are the lines where
    the records start, as a text editor shows them.

    References
    ----------
    ONS, mid-year population estimates for local authorities by single year of
    age (see the module docstring).

    Examples
    --------
    An excerpt of the ONS file ships with the package (Southend-on-Sea, 2000
    and 2013-2015; see ``data/README.md``). In 2000 ages over 84 are ``-``:

    >>> path = ot.datasets.data_dir() / "ons_population_single_age_excerpt.csv"
    >>> pop = ot.read_mid_year_estimates(path)
    >>> pop.shape
    (364, 6)
    >>> pop.query("age >= 84 and year in [2000, 2013]").pivot(
    ...     index="age_label", columns="year", values="population"
    ... )
    year       2000  2013
    age_label
    84          921   862
    85         <NA>   780
    86         <NA>   759
    87         <NA>   606
    88         <NA>   596
    89         <NA>   532
    90+        <NA>  1999
    """
    return _read_wide(*read_text(source))


def _read_wide(text: str, file: str) -> pd.DataFrame:
    """The one-column-per-age layout (see :func:`read_mid_year_estimates`)."""
    first = next(csv.reader(io.StringIO(text)), None)
    if not first:
        raise DataFormatError("file is empty or has no header line", file=file, row=1)
    header = [h.replace("\ufeff", "") for h in first]
    roles, ages = _header_roles(header, file)
    table = _read_rows(text, _CsvTable(file, header, roles, ages))
    codes, names, years = _row_keys(table)
    values, mask = _age_counts(table)
    return _assemble_population(codes, names, years, values, mask)


#: Columns of :func:`read_population`, in order.
VINTAGE_POPULATION_COLUMNS = (
    *POPULATION_COLUMNS[:3],
    "sex",
    *POPULATION_COLUMNS[3:],
    "population_vintage",
)
#: Values of ``population_vintage`` (see the module docstring).
POPULATION_VINTAGES = layouts.VINTAGES


def read_population(
    source: CsvSource,
    *,
    sex: str | None = "persons",
    rebased: bool | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Read mid-year population estimates by single year of age in any current layout.

    Parameters
    ----------
    source : str, os.PathLike or file object
        A CSV in one of three layouts (recognised from the header; a title
        block above the header is skipped):

        * the **Nomis** download of "Population estimates - local authority
          based by single year of age" (dataset NM_2002_1; columns
          ``DATE_NAME``, ``GEOGRAPHY_NAME``, ``GEOGRAPHY_CODE``,
          ``GENDER_NAME``, ``C_AGE_NAME``, ``MEASURES_NAME``, ``OBS_VALUE`` …;
          ``Age 0`` … ``Aged 90+`` rows are read, ``All Ages`` and other
          bands are ignored, and only the ``Value`` measure);
        * the **ONS detailed time series** (sheet MYEB1 of the "Estimates of
          the population for England and Wales" workbook saved as CSV:
          ``ladcode23``, ``laname23``, ``country``, ``sex`` (1 male, 2
          female), ``age`` (0-90, 90 = 90 and over), ``population_2011`` …);
        * an **ONS MYE2 sheet** ("MYE2 - Persons" … of the "Estimates of the
          population for the UK, England, Wales, Scotland and Northern
          Ireland" workbook) saved as CSV: ``Code``, ``Name``, ``Geography``,
          ``All ages``, ``0`` … ``90`` (90 and over); the year and sex come
          from the title line above the header ("… Persons … mid-2022") or
          from ``year``;
        * the **ONS wide file** read by :func:`read_mid_year_estimates`
          (``name``, ``code``, ``year``, ``Age 0`` … ``Aged 90+``; persons).
    sex : {"persons", "males", "females"} or None, default "persons"
        Rows of this sex; persons are summed from males and females where
        the file has no total. None keeps every sex in the file.
    rebased : bool, optional
        Whether the file's 2012-2021 estimates are the ones ONS rebased on
        Census 2021 (published 23 November 2023; every Nomis or ONS download
        since then). Default: yes if the file has any year after 2021; for
        the ONS wide file (a layout of the releases up to mid-2020), no;
        otherwise those years get ``"unknown"`` with a warning.
    year : int, optional
        Year of an MYE2 sheet whose title does not say (other layouts have a
        year column; for them it must be None).

    Returns
    -------
    pandas.DataFrame
        :data:`VINTAGE_POPULATION_COLUMNS`: ``area_code``, ``area_name``,
        ``year``, ``sex`` (``"persons"``, ``"males"``, ``"females"``), ``age``
        (0-90, 90 = 90 and over), ``age_label``, ``population`` (Int64,
        persons at 30 June of ``year``; ``<NA>`` where the file has no value)
        and ``population_vintage`` (str, :data:`POPULATION_VINTAGES`). One row
        per area, year, sex and age, areas in file order.
        ``attrs["population_vintage"]`` is the tuple of vintages in the file as read
        (pandas keeps it through filtering; the column is per row).
        :func:`to_esp_bands` keeps ``sex`` and ``population_vintage`` as keys,
        so rates computed from the bands can carry the vintage (put
        ``population_vintage`` in the rate function's ``by``).

    Raises
    ------
    DataFormatError
        Naming the file (and line and column where one applies): a folder
        instead of a file; a header with no data rows below it; a line with
        fewer or more fields than the header (a short row, or a file cut
        part-way); a code that is not a GSS code, an unknown sex, a year or
        age that cannot be read, a count that is blank, not a whole number in
        the notation of :func:`read_mid_year_estimates` or over 2**53, an
        area/year/sex lacking or repeating a single age, persons asked for
        where only one sex is given; for the wide layout, as
        :func:`read_mid_year_estimates`.
    ValueError
        For an unknown ``sex``.

    Notes
    -----
    Vintages: see the module docstring. Years to 2011 are the same in every
    series since the 2011 Census; 2012-2021 were replaced on 23 November 2023.

    References
    ----------
    ONS, "Rebasing of mid-year population estimates following Census 2021,
    England and Wales" (23 November 2023); ONS, "Estimates of the population
    for England and Wales" (detailed time series, MYEB1); Nomis, "Population
    estimates - local authority based by single year of age" (NM_2002_1).

    Examples
    --------
    A Nomis download (two ages shown of 91; made-up counts):

    >>> import io
    >>> rows = [f"2022,Southend-on-Sea,E06000033,Total,{'Age %d' % a if a < 90 else 'Aged 90+'},"
    ...         f"Value,{2000 - a}" for a in range(91)]
    >>> csv = "DATE_NAME,GEOGRAPHY_NAME,GEOGRAPHY_CODE,GENDER_NAME,C_AGE_NAME,MEASURES_NAME,"
    >>> csv += "OBS_VALUE\\n" + "\\n".join(rows)
    >>> pop = ot.read_population(io.StringIO(csv))
    >>> pop.iloc[[0, 90]][["area_code", "year", "sex", "age_label", "population",
    ...                    "population_vintage"]]
        area_code  year      sex age_label  population population_vintage
    0   E06000033  2022  persons         0        2000  2021 Census based
    90  E06000033  2022  persons       90+        1910  2021 Census based
    """
    text, file = read_text(source)
    layout, skip = layouts.header_line(text)
    if year is not None and layout != "mye2":
        raise ValueError(f"year={year!r} applies to MYE2 sheets only: this file has a year column")
    if layout == "ons_wide":
        if sex not in ("persons", None):
            raise ValueError(f"sex={sex!r}: the ONS wide file holds persons only")
        wide = _read_wide(text, file)
        long = wide.drop(columns="age_label").assign(sex="persons")
        rebased = False if rebased is None else rebased
    else:
        if layout == "mye2":
            rows = layouts.read_mye2(text, skip, file, year)
        else:
            read = layouts.read_nomis if layout == "nomis" else layouts.read_myeb
            rows = read(text, skip, file)
        long = layouts.select_sex(rows, sex, file)
        layouts.check_complete(long, file)
    return _vintage_table(long, rebased, file)


def _vintage_table(long: pd.DataFrame, rebased: bool | None, file: str) -> pd.DataFrame:
    """Sorted rows of :data:`VINTAGE_POPULATION_COLUMNS` with their vintages."""
    area = pd.Categorical(long["area_code"], categories=long["area_code"].unique())
    sex = pd.Categorical(long["sex"], categories=["persons", "males", "females"])
    order = np.lexsort((long["age"].to_numpy(), sex.codes, long["year"].to_numpy(), area.codes))
    out = long.iloc[order].reset_index(drop=True)
    age = out["age"].to_numpy(dtype="int64")
    table = pd.DataFrame(
        {
            "area_code": pd.array(out["area_code"].to_numpy(dtype=object), dtype="str"),
            "area_name": pd.array(out["area_name"].to_numpy(dtype=object), dtype="str"),
            "year": out["year"].to_numpy(dtype="int64"),
            "sex": pd.array(out["sex"].to_numpy(dtype=object), dtype="str"),
            "age": age,
            "age_label": pd.array(list(AGE_LABELS), dtype="str").take(age),
            "population": out["population"].astype("Int64").array,
            "population_vintage": pd.array(
                layouts.vintages(out["year"].to_numpy(), rebased, file), dtype="str"
            ),
        }
    )
    present = set(table["population_vintage"])
    table.attrs["population_vintage"] = tuple(v for v in POPULATION_VINTAGES if v in present)
    return table


@dataclass
class _CsvTable:
    """A population CSV being read: what error messages and the column roles need."""

    file: str
    header: list[str]
    roles: dict[str, int]  # name, code, year[, total] -> 0-based column
    ages: dict[int, int]  # age -> 0-based column
    df: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="int64"))

    def error(self, message: str, j: int, i: int) -> DataFormatError:
        """Error at the ``i``-th data row (0-based, after blank lines) and column ``j``."""
        return _cell_error(message, self.file, self.header, j, int(self.rows[i]))

    def counts(self, cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Whole-number counts of columns ``cols`` and their missing mask (rows x cols)."""
        return _parse_counts(self, cols)


def _read_rows(text: str, table: _CsvTable) -> _CsvTable:
    """Read the data lines into ``table.df`` (text cells, blank lines dropped) and their lines."""
    df, rows = read_cells(text, table.file)
    table.df, table.rows = df.set_axis(pd.RangeIndex(df.shape[1]), axis=1), rows
    return table


def _row_keys(table: _CsvTable) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Area codes, names and years of the rows, checked (one row per code and year)."""
    df, roles = table.df, table.roles

    def strings(j: int) -> pd.Series:
        return df[j].map(lambda v: v.strip() if isinstance(v, str) else "").astype(object)

    def check(valid: np.ndarray, j: int, message: str) -> None:
        if not valid.all():
            i = int(np.argmin(valid))
            raise table.error(message.format(shown(df[j].iloc[i])), j, i)

    codes = strings(roles["code"])
    check(
        codes.str.match(GSS_CODE).to_numpy(dtype=bool),
        roles["code"],
        "{} is not a GSS area code (E, W, K, S or N and 8 digits)",
    )
    year_match = strings(roles["year"]).str.extract(_YEAR)[0]
    check(year_match.notna().to_numpy(), roles["year"], "year {} is not a 4-digit year")
    years = year_match.astype("int64").to_numpy()
    names = strings(roles["name"])
    check(names.ne("").to_numpy(), roles["name"], "empty area name")

    key = pd.DataFrame({"code": codes.to_numpy(), "year": years})
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        same = np.flatnonzero(
            dup & (key["code"].to_numpy() == key["code"].iloc[i]) & (years == years[i])
        )
        raise DataFormatError(
            f"area {key['code'].iloc[i]} year {years[i]} appears on rows "
            f"{' and '.join(str(table.rows[k]) for k in same)}",
            file=table.file,
            row=int(table.rows[same[1]]),
            column=f"{shown(table.header[roles['code']])} ({column_letter(roles['code'])})",
        )
    return codes, names, years


def _age_counts(table: _CsvTable) -> tuple[np.ndarray, np.ndarray]:
    """Counts by row and age (0..TOP_AGE) and their missing mask, checked against a total."""
    values, mask = table.counts([table.ages[age] for age in range(TOP_AGE + 1)])
    if "total" in table.roles:
        j = table.roles["total"]
        total, total_missing = (a[:, 0] for a in table.counts([j]))
        known = np.where(mask, 0, values).sum(axis=1)
        complete = mask.sum(axis=1) == 0
        bad = ~total_missing & ((complete & (known != total)) | (~complete & (known > total)))
        if bad.any():
            i = int(np.argmax(bad))
            relation = "does not equal" if complete[i] else "is less than"
            raise table.error(
                f"all-ages total {total[i]} {relation} the sum of the single ages ({known[i]})",
                j,
                i,
            )
    return values, mask


def _assemble_population(
    codes: pd.Series, names: pd.Series, years: np.ndarray, values: np.ndarray, mask: np.ndarray
) -> pd.DataFrame:
    """The long table of :data:`~overdose_trends.schema.POPULATION_COLUMNS`."""
    n, n_ages = values.shape
    each_row = np.repeat(np.arange(n), n_ages)
    each_age = np.tile(np.arange(n_ages), n)
    # Build the string columns once per input row / age and expand with take (fast).
    return pd.DataFrame(
        {
            "area_code": pd.array(codes.to_numpy(), dtype="str").take(each_row),
            "area_name": pd.array(names.to_numpy(), dtype="str").take(each_row),
            "year": years[each_row],
            "age": each_age.astype("int64"),
            "age_label": pd.array(list(AGE_LABELS), dtype="str").take(each_age),
            "population": pd.arrays.IntegerArray(values.ravel(), mask.ravel()),
        }
    )


def _groups(pop: pd.DataFrame, required: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Key columns and 0-based group id of each row, after checking single ages.

    Every group must have each age 0..TOP_AGE exactly once.
    """
    missing = [c for c in required if c not in pop.columns]
    if missing:
        raise DataFormatError(f"population table lacks column(s) {missing}")
    keys = [c for c in pop.columns if c not in ("age", "age_label", "population")]
    if keys:
        gid = pop.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    else:
        gid = np.zeros(len(pop), dtype="int64")
    age = pd.to_numeric(pop["age"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isnan(age) | (age < 0) | (age > TOP_AGE) | (age != np.floor(age))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFormatError(
            f"age {pop['age'].iloc[i]!r} on row {i} of the table is not a whole number "
            f"0-{TOP_AGE} ({TOP_AGE} meaning {TOP_AGE} and over)",
            column="age",
        )
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    counts = np.bincount(
        gid * (TOP_AGE + 1) + age.astype("int64"), minlength=n_groups * (TOP_AGE + 1)
    ).reshape(n_groups, TOP_AGE + 1)
    bad_groups = np.flatnonzero((counts != 1).any(axis=1))
    if bad_groups.size:
        g = int(bad_groups[0])
        first = int(np.argmax(gid == g))
        where = ", ".join(f"{k}={pop[k].iloc[first]!r}" for k in keys) or "the table"
        absent = [AGE_LABELS[a] for a in np.flatnonzero(counts[g] == 0)]
        repeated = [AGE_LABELS[a] for a in np.flatnonzero(counts[g] > 1)]
        parts = []
        if absent:
            parts.append(f"no row for age(s) {', '.join(absent)}")
        if repeated:
            parts.append(f"more than one row for age(s) {', '.join(repeated)}")
        raise DataFormatError(f"{where}: {'; '.join(parts)}", column="age")
    return keys, gid


def _aggregate(
    pop: pd.DataFrame, starts: Sequence[int], required: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Sum ``population`` by key columns and age band.

    Returns the key rows (one per group, in order of first appearance), the band
    index of each output cell, and the summed populations and their NA mask as
    ``(n_groups, n_bands)`` arrays.
    """
    keys, gid = _groups(pop, required)
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    n_bands = len(starts)
    band = np.searchsorted(np.asarray(starts), pop["age"].to_numpy(dtype="int64"), side="right") - 1
    cell = gid * n_bands + band
    popn = pop["population"].astype("Int64").array
    na = popn.isna()
    counts = popn.to_numpy(dtype="int64", na_value=0)
    if (counts < 0).any():
        raise DataFormatError("negative population in the table", column="population")
    sums = np.zeros(n_groups * n_bands, dtype="int64")
    np.add.at(sums, cell, counts)
    any_na = np.bincount(cell, weights=na, minlength=n_groups * n_bands) > 0
    _, first = np.unique(gid, return_index=True)
    key_rows = pop.iloc[first][keys].reset_index(drop=True)
    return key_rows, band, sums.reshape(n_groups, n_bands), any_na.reshape(n_groups, n_bands)


def to_esp_bands(pop: pd.DataFrame, bands: str = "esp2013") -> pd.DataFrame:
    """Group single-year populations into the age bands of the 2013 ESP.

    Parameters
    ----------
    pop : pandas.DataFrame
        Single-year populations with columns ``age`` (int, 0..90, 90 = 90 and
        over) and ``population`` (persons); ``age_label`` is dropped if present.
        Every other column (``area_code``, ``area_name``, ``year``, ``sex`` …)
        is a key; each key combination must have each age 0..90 exactly once.
    bands : {"esp2013", "esp2013_20"}
        ``"esp2013"``: the 19 bands 0-4, 5-9, …, 85-89, 90+
        (:data:`~overdose_trends.constants.ESP2013_BANDS`); ``"esp2013_20"``:
        the 20 bands 0, 1-4, 5-9, …, 90+
        (:data:`~overdose_trends.constants.ESP2013_BANDS_20`).

    Returns
    -------
    pandas.DataFrame
        The key columns, then ``age_band`` (ordered Categorical of the band
        labels, in age order), ``age_band_start`` (int, lowest age of the band,
        years) and ``population`` (Int64, persons). One row per key combination
        (in order of first appearance) and band. A band with any missing single
        age is ``<NA>``, never a partial sum.

    Raises
    ------
    DataFormatError
        If a column is missing, an age is outside 0..90, or a key combination
        lacks (or repeats) some single age.
    ValueError
        If ``bands`` is not a known scheme.

    Notes
    -----
    Method: each age is assigned to the band whose lower limit is the largest
    not above it; populations are summed exactly in 64-bit integers.

    References
    ----------
    Eurostat (2013), "Revision of the European Standard Population: report of
    Eurostat's task force", Luxembourg: Publications Office of the European Union.

    Examples
    --------
    A band with a missing single age is missing, never a partial sum:

    >>> pop = ot.read_mid_year_estimates(
    ...     ot.datasets.data_dir() / "ons_population_single_age_excerpt.csv"
    ... )
    >>> bands = ot.to_esp_bands(pop)
    >>> bands.query("year in [2000, 2013] and age_band_start >= 80").pivot(
    ...     index="age_band", columns="year", values="population"
    ... )
    year      2000  2013
    age_band
    80-84     4912  4718
    85-89     <NA>  3273
    90+       <NA>  1999
    """
    if bands not in BAND_SCHEMES:
        raise ValueError(f"unknown band scheme {bands!r}; use one of {sorted(BAND_SCHEMES)}")
    starts, labels = BAND_SCHEMES[bands]
    key_rows, _, sums, na = _aggregate(pop, starts, ("age", "population"))
    n_groups, n_bands = sums.shape
    out = key_rows.loc[np.repeat(np.arange(n_groups), n_bands)].reset_index(drop=True)
    codes = np.tile(np.arange(n_bands), n_groups)
    out["age_band"] = pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(list(labels), ordered=True)
    )
    out["age_band_start"] = np.asarray(starts, dtype="int64")[codes]
    out["population"] = pd.arrays.IntegerArray(sums.ravel(), na.ravel())
    return out


def all_ages(pop: pd.DataFrame) -> pd.DataFrame:
    """All-ages population per area and year.

    Parameters
    ----------
    pop : pandas.DataFrame
        Single-year populations as returned by :func:`read_mid_year_estimates`
        (columns ``age``, ``population`` and key columns, see :func:`to_esp_bands`).

    Returns
    -------
    pandas.DataFrame
        The key columns (``area_code``, ``area_name``, ``year`` for the output
        of :func:`read_mid_year_estimates`) and ``population`` (Int64, persons),
        ``<NA>`` where any single age is missing.

    Raises
    ------
    DataFormatError
        As :func:`to_esp_bands`.

    Notes
    -----
    Method: exact integer sum of ages 0..90+ for each key combination.

    References
    ----------
    ONS, mid-year population estimates (see the module docstring).

    Examples
    --------
    >>> pop = ot.read_mid_year_estimates(
    ...     ot.datasets.data_dir() / "ons_population_single_age_excerpt.csv"
    ... )
    >>> ot.all_ages(pop)
       area_code        area_name  year  population
    0  E06000033  Southend-on-Sea  2000        <NA>
    1  E06000033  Southend-on-Sea  2013      176236
    2  E06000033  Southend-on-Sea  2014      178367
    3  E06000033  Southend-on-Sea  2015      179234
    """
    key_rows, _, sums, na = _aggregate(pop, (0,), ("age", "population"))
    out = key_rows.copy()
    out["population"] = pd.arrays.IntegerArray(sums[:, 0], na[:, 0])
    return out
