"""Mid-year population estimates by single year of age, and their ESP age bands.

:func:`read_mid_year_estimates` reads the ONS mid-year population estimates for
local authorities by single year of age, as published in CSV form (one row per
area and year, one column per age), into a long, tidy table.
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

References
----------
Office for National Statistics, "Estimates of the population for the UK, England
and Wales, Scotland and Northern Ireland" (mid-year population estimates by
local authority, single year of age), Open Government Licence v3.0; also
available from Nomis, "Population estimates - local authority based by single
year of age".
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

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
from overdose_trends.io._workbook import column_letter, source_name

__all__ = ["TOP_AGE", "all_ages", "read_mid_year_estimates", "to_esp_bands"]

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
MISSING_MARKERS = ("-", "..", ":", "[x]", "[z]")

CsvSource = str | os.PathLike[str] | IO[str] | IO[bytes]

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


def _read_text(source: CsvSource) -> tuple[str, str]:
    """Whole text of ``source`` and its name for messages (UTF-8, else Windows-1252)."""
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        with open(source, "rb") as fh:
            data: str | bytes = fh.read()
    else:
        name = source_name(source)  # type: ignore[arg-type]
        data = source.read()
    if isinstance(data, bytes):
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            data = raw.decode("cp1252")
    return data.lstrip("\ufeff"), name


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
                f"two columns for {what}: {header[first]!r} ({column_letter(first)}) and "
                f"{header[j]!r} ({column_letter(j)})",
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
                    f"column {raw!r} is a single age of {TOP_AGE} or over; this loader "
                    f"expects single ages 0-{TOP_AGE - 1} and an open-ended '{TOP_AGE}+' column",
                    file=file,
                    row=1,
                    column=column_letter(j),
                )
            claim(ages, age, j, f"age {age}")
        elif m := _OPEN_AGE.match(h):
            if int(m.group(1)) != TOP_AGE:
                raise DataFormatError(
                    f"open-ended age column {raw!r}: only '{TOP_AGE}+' is supported",
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
            f"(the header has {len(header)} columns, starting {header[:4]!r})",
            file=file,
            row=1,
        )
    return roles, ages


def _cell_error(message: str, file: str, header: list[str], j: int, row: int) -> DataFormatError:
    column = f"{header[j]!r} ({column_letter(j)})"
    return DataFormatError(message, file=file, row=row, column=column)


def _parse_counts(
    col: pd.Series, rows: np.ndarray, file: str, header: list[str], j: int
) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative integer counts of one column as ``(values int64, missing bool)``."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        num = col.to_numpy(dtype="float64", na_value=np.nan)
        text = None
    else:
        if pd.api.types.is_bool_dtype(col.dtype):  # a column of True/False is text here
            col = col.map(str)
        text = col.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        marker = text.isin(MISSING_MARKERS)
        cleaned = text.where(~marker, np.nan).map(
            lambda v: v.replace(",", "") if isinstance(v, str) else v
        )
        num = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isnan(num) & ~marker.to_numpy() & cleaned.notna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            value = text.iloc[i]
            what = "empty cell" if value == "" else f"text {value!r} in a number cell"
            raise _cell_error(
                f"{what}; expected a whole number or '-' for no value",
                file,
                header,
                j,
                int(rows[i]),
            )
    missing = np.isnan(num)
    finite = np.where(missing, 0.0, num)
    bad = (finite < 0) | (finite != np.floor(finite)) | np.isinf(finite)
    if bad.any():
        i = int(np.argmax(bad))
        value = col.iloc[i] if text is None else text.iloc[i]
        kind = "negative" if finite[i] < 0 else "not a whole number"
        raise _cell_error(f"population {value!r} is {kind}", file, header, j, int(rows[i]))
    return finite.astype("int64"), missing


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
        missing required column; a malformed line; a code that is not a GSS code
        (letter and 8 digits); a year that is not four digits; an empty name; a
        number cell holding text, an empty cell, or a negative or fractional
        count; the same code and year on two rows (both rows named); single ages
        that do not add up to the all-ages column.

    Notes
    -----
    Method: cells are parsed column by column with pandas (vectorised); ``-``,
    ``..``, ``:``, ``[x]`` and ``[z]`` mean "no value" and become ``<NA>``.
    Blank lines are skipped but counted, so row numbers match a text editor
    unless a quoted field spans lines. Numbers may have thousands separators.

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
    text, file = _read_text(source)
    first = next(csv.reader(io.StringIO(text)), None)
    if not first:
        raise DataFormatError("file is empty or has no header line", file=file, row=1)
    header = [h.replace("\ufeff", "") for h in first]
    roles, ages = _header_roles(header, file)
    table = _read_rows(text, _CsvTable(file, header, roles, ages))
    codes, names, years = _row_keys(table)
    values, mask = _age_counts(table)
    return _assemble_population(codes, names, years, values, mask)


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

    def counts(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Whole-number counts of column ``j`` and their missing mask."""
        return _parse_counts(self.df[j], self.rows, self.file, self.header, j)


def _read_rows(text: str, table: _CsvTable) -> _CsvTable:
    """Parse the data lines into ``table.df`` (blank lines dropped) and their row numbers."""
    roles = table.roles
    number_cols = [*table.ages.values(), *([roles["total"]] if "total" in roles else [])]
    # Trailing blank lines would turn every number column into text; drop them here
    # (they hold no data and do not move the row numbers of the lines above).
    text = text.rstrip() + "\n"
    try:
        df = pd.read_csv(
            io.StringIO(text),
            header=None,
            skiprows=1,
            names=list(range(len(table.header))),
            dtype={roles["name"]: object, roles["code"]: object, roles["year"]: object},
            keep_default_na=False,
            na_values={j: list(MISSING_MARKERS) for j in number_cols},  # type: ignore[misc]
            thousands=",",
            skip_blank_lines=False,
            low_memory=False,
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m is None:
            raise DataFormatError(f"cannot parse CSV: {exc}", file=table.file) from exc
        raise DataFormatError(
            f"line has {m.group(3)} fields but the header has {m.group(1)}",
            file=table.file,
            row=int(m.group(2)),
        ) from exc
    rows_all = np.arange(len(df)) + 2
    blank = (df.isna() | (df.astype(object) == "")).all(axis=1).to_numpy()
    if blank.any():
        df = df.loc[~blank]
    table.df, table.rows = df, rows_all[~blank]
    return table


def _row_keys(table: _CsvTable) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Area codes, names and years of the rows, checked (one row per code and year)."""
    df, roles = table.df, table.roles

    def strings(j: int) -> pd.Series:
        return df[j].map(lambda v: v.strip() if isinstance(v, str) else "").astype(object)

    def check(valid: np.ndarray, j: int, message: str) -> None:
        if not valid.all():
            i = int(np.argmin(valid))
            raise table.error(message.format(df[j].iloc[i]), j, i)

    codes = strings(roles["code"])
    check(
        codes.str.match(GSS_CODE).to_numpy(dtype=bool),
        roles["code"],
        "{!r} is not a GSS area code (E, W, K, S or N and 8 digits)",
    )
    year_match = strings(roles["year"]).str.extract(_YEAR)[0]
    check(year_match.notna().to_numpy(), roles["year"], "year {!r} is not a 4-digit year")
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
            column=f"{table.header[roles['code']]!r} ({column_letter(roles['code'])})",
        )
    return codes, names, years


def _age_counts(table: _CsvTable) -> tuple[np.ndarray, np.ndarray]:
    """Counts by row and age (0..TOP_AGE) and their missing mask, checked against a total."""
    n = len(table.df)
    values = np.empty((n, TOP_AGE + 1), dtype="int64")
    mask = np.empty((n, TOP_AGE + 1), dtype=bool)
    for age in range(TOP_AGE + 1):
        values[:, age], mask[:, age] = table.counts(table.ages[age])
    if "total" in table.roles:
        j = table.roles["total"]
        total, total_missing = table.counts(j)
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
