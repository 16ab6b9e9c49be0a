"""Long mid-year estimate layouts (Nomis, ONS MYEB) and population vintages (private).

Helpers of :func:`overdose_trends.io.population.read_population`:

* :func:`detect` says which layout a CSV header is: ``"nomis"`` (the Nomis
  "Population estimates - local authority based by single year of age" CSV,
  dataset NM_2002_1: ``DATE_NAME``, ``GEOGRAPHY_CODE``, ``GENDER_NAME``,
  ``C_AGE_NAME``, ``OBS_VALUE`` ...), ``"myeb"`` (the ONS detailed time series,
  sheet MYEB1 of ``myebtablesenglandwales…``: ``ladcode23``, ``laname23``,
  ``country``, ``sex``, ``age``, ``population_2011`` ...), ``"mye2"`` (an
  MYE2 sheet: ``Code``, ``Name``, ``Geography``, ``All ages``, ``0`` … ``90``,
  year and sex in the title) or ``"ons_wide"`` (one row per area and year, one
  column per age);
* :func:`read_nomis`, :func:`read_myeb` and :func:`read_mye2` read those
  layouts into area/year/sex/age rows;
* :func:`vintages` labels each year with the estimate series it comes from.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from overdose_trends.constants import GSS_CODE
from overdose_trends.errors import DataFormatError
from overdose_trends.io._csv_text import read_cells
from overdose_trends.io._numbers import parse_counts, shown

#: Highest single age (90 = "90 and over"), as in :mod:`overdose_trends.io.population`.
TOP = 90

# --- vintages ---------------------------------------------------------------------------
#: Years up to 2011, and 2012-2020 as first published (rolled forward from the 2011 Census).
V2011 = "2011 Census based"
#: 2012-2021 as revised on 23 November 2023 to align with Census 2021 (ONS, "Rebasing of
#: mid-year population estimates following Census 2021, England and Wales").
REBASED = "2021 Census rebased"
#: 2021 on (2021 first published in December 2022; 2022 on rolled forward from Census 2021).
V2021 = "2021 Census based"
#: 2012-2021 from a file that does not show which series it holds.
UNKNOWN = "unknown"
#: Labels of ``population_vintage``, oldest series first.
VINTAGES = (V2011, REBASED, V2021, UNKNOWN)
#: First and last years the 2023 rebasing revised.
REBASED_YEARS = (2012, 2021)


def vintages(years: np.ndarray, rebased: bool | None, file: str) -> np.ndarray:
    """``population_vintage`` of each row from its year and the file's series.

    ``rebased`` None: a file with any year after 2021 comes from a release after
    the rebasing (so its 2012-2021 are rebased); otherwise 2012-2021 are
    ``"unknown"`` and a warning asks for ``rebased=``.
    """
    years = np.asarray(years, dtype="int64")
    first, last = REBASED_YEARS
    if rebased is None and len(years) and years.max() > last:
        rebased = True
    out = np.where(years < first, V2011, V2021).astype(object)
    span = (years >= first) & (years <= last)
    if rebased is True:
        out[span] = REBASED
    elif rebased is False:
        out[span & (years < last)] = V2011
    elif span.any():
        out[span] = UNKNOWN
        warnings.warn(
            f"{file}: cannot tell whether its {first}-{last} estimates are the ones rebased on "
            "Census 2021 (published 23 November 2023; Nomis and ONS downloads since then) or "
            f"the earlier 2011-Census-based ones; population_vintage is {UNKNOWN!r} for those "
            "years: pass rebased=True or rebased=False",
            UserWarning,
            stacklevel=4,
        )
    return out


# --- layouts ----------------------------------------------------------------------------
_NOMIS = ("date_name", "geography_code", "gender_name", "c_age_name", "obs_value")
_MYEB_CODE = re.compile(r"^(?:ladcode\d{2}|lad\d{2}cd|code|area_code)$")
_MYEB_NAME = re.compile(r"^(?:laname\d{2}|lad\d{2}nm|name|area_name)$")
_MYEB_YEAR = re.compile(r"^population_(\d{4})$")
_SEXES = {
    "total": "persons",
    "persons": "persons",
    "all persons": "persons",
    "all": "persons",
    "male": "males",
    "males": "males",
    "m": "males",
    "1": "males",
    "female": "females",
    "females": "females",
    "f": "females",
    "2": "females",
}
#: Cell text meaning "no value" in a count column.
MISSING = ("-", "..", ":", "[x]", "[z]")
_AGE = re.compile(r"^(?:age|aged)?\s*(\d{1,3})\s*(\+|plus|and over)?$")


def _norm(header: Sequence[str]) -> list[str]:
    return [str(h).replace("\ufeff", "").strip().lower() for h in header]


def header_line(text: str) -> tuple[str, int]:
    """Layout of the CSV and the 0-based line of its header (a title block may precede it)."""
    for i, line in enumerate(text.splitlines()[:30]):
        cells = _norm(next(csv.reader([line]), []))
        if all(c in cells for c in _NOMIS[1:]) and ("date_name" in cells or "date" in cells):
            return "nomis", i
        if any(_MYEB_YEAR.match(c) for c in cells) and "age" in cells and "sex" in cells:
            return "myeb", i
        if {"code", "name", "all ages", "0", "89"} <= set(cells) and "year" not in cells:
            return "mye2", i
    return "ons_wide", 0


def read_mye2(text: str, skip: int, file: str, year: int | None) -> pd.DataFrame:
    """An ONS MYE2 sheet saved as CSV (``Code, Name, Geography, All ages, 0 … 90``).

    The sheet has no year or sex column: they come from the title above the
    header (``"… Persons … mid-2022"``) or from ``year``; sex defaults to persons.
    """
    title = " ".join(text.splitlines()[:skip]).lower()
    found = re.search(r"mid-?\s*(\d{4})", title)
    if year is None and found is None:
        raise _error(
            "an MYE2 sheet has no year column and its title (if any) names no 'mid-YYYY': "
            "pass year=",
            file,
            skip + 1,
        )
    if year is not None and found is not None and int(found.group(1)) != year:
        raise _error(f"year={year} but the title says mid-{found.group(1)}", file, 1)
    year = int(found.group(1)) if year is None and found is not None else year
    sex = "males" if re.search(r"\bmales?\b", title) else "persons"
    sex = "females" if re.search(r"\bfemales?\b", title) else sex
    df = _frame(text, skip, file)
    parsed = _ages(pd.Series(list(df.columns), dtype=object))
    ages = {c: int(a) for c, a in zip(df.columns, parsed, strict=True) if pd.notna(a)}
    if "90" in df.columns and "90+" not in df.columns:
        ages["90"] = TOP  # the newer sheets head the 90-and-over column "90"
    _codes(df["code"].str.strip(), df["_line"], file, "Code")
    parts = [
        pd.DataFrame(
            {
                "area_code": df["code"].str.strip(),
                "area_name": df["name"].str.strip(),
                "year": year,
                "sex": sex,
                "age": age,
                "population": _counts(df[c], df["_line"], file, c),
                "_line": df["_line"],
            }
        )
        for c, age in ages.items()
    ]
    singles = pd.concat(parts, ignore_index=True)
    if "all ages" in df.columns:
        totals = pd.DataFrame(
            {
                "area_code": df["code"].str.strip(),
                "year": year,
                "sex": sex,
                "population": _counts(df["all ages"], df["_line"], file, "All ages"),
                "_line": df["_line"],
            }
        )
        _check_totals(singles, totals, file, "All ages")
    return singles


def _error(
    message: str, file: str, line: int | None = None, column: str | None = None
) -> DataFormatError:
    return DataFormatError(message, file=file, row=line, column=column)


def _frame(text: str, skip: int, file: str) -> pd.DataFrame:
    """The data rows below the header (line ``skip``) as text, with their ``_line``."""
    df, lines = read_cells(text, file, skip)
    if df.empty:
        raise _error("the file has a header but no data rows", file, skip + 2)
    df = df.set_axis(_norm([str(c) for c in df.columns]), axis=1)
    df["_line"] = lines
    return df


def _ages(labels: pd.Series) -> pd.Series:
    """Single age (0-90, 90 = 90+) of each label; NaN for bands and totals."""
    m = labels.str.strip().str.lower().str.extract(_AGE)
    age = pd.to_numeric(m[0], errors="coerce")
    single = m[1].isna() & (age < TOP)
    top = m[1].notna() & (age == TOP)
    return age.where(single | top)


def _counts(values: pd.Series, lines: pd.Series, file: str, column: str) -> pd.arrays.IntegerArray:
    num, missing, bad = parse_counts(values, MISSING, what="population")
    if bad is not None:
        raise _error(
            f"{bad.problem}; expected a whole number of persons or '-' for no value",
            file,
            int(lines.iloc[bad.index]),
            column,
        )
    return pd.arrays.IntegerArray(num, missing)


def _codes(codes: pd.Series, lines: pd.Series, file: str, column: str) -> None:
    ok = codes.str.match(GSS_CODE.pattern).to_numpy(dtype=bool)
    if not ok.all():
        i = int(np.argmin(ok))
        raise _error(
            f"{shown(codes.iloc[i])} is not a GSS area code (E, W, K, S or N and 8 digits)",
            file,
            int(lines.iloc[i]),
            column,
        )


def _sex(labels: pd.Series, lines: pd.Series, file: str, column: str) -> pd.Series:
    sex = labels.str.strip().str.lower().map(_SEXES)
    if sex.isna().any():
        i = int(np.argmax(sex.isna().to_numpy()))
        raise _error(
            f"sex {shown(labels.iloc[i])} is not Total/Persons, Male (1) or Female (2)",
            file,
            int(lines.iloc[i]),
            column,
        )
    return sex


def read_nomis(text: str, skip: int, file: str) -> pd.DataFrame:
    """Nomis NM_2002_1 CSV -> area_code, area_name, year, sex, age, population, _line."""
    df = _frame(text, skip, file)
    if "measures_name" in df.columns:
        df = df[df["measures_name"].str.strip().str.lower().isin(["value", ""])]
    age = _ages(df["c_age_name"])
    is_total = df["c_age_name"].str.strip().str.lower().eq("all ages").to_numpy(dtype=bool)
    keep = age.notna().to_numpy(dtype=bool) | is_total
    df, age, total = df[keep], age[keep].fillna(-1), is_total[keep]
    year_col = "date_name" if "date_name" in df.columns else "date"
    year = df[year_col].str.extract(r"(\d{4})")[0]
    if year.isna().any():
        i = int(np.argmax(year.isna().to_numpy()))
        raise _error(
            f"date {shown(df[year_col].iloc[i])} has no 4-digit year",
            file,
            int(df["_line"].iloc[i]),
            year_col.upper(),
        )
    _codes(df["geography_code"].str.strip(), df["_line"], file, "GEOGRAPHY_CODE")
    name = df["geography_name"] if "geography_name" in df.columns else df["geography_code"]
    long = pd.DataFrame(
        {
            "area_code": df["geography_code"].str.strip(),
            "area_name": name.str.strip(),
            "year": year.astype("int64"),
            "sex": _sex(df["gender_name"], df["_line"], file, "GENDER_NAME"),
            "age": age.astype("int64"),
            "population": _counts(df["obs_value"], df["_line"], file, "OBS_VALUE"),
            "_line": df["_line"],
        }
    )
    singles = long[~total].reset_index(drop=True)
    _check_totals(singles, long[total], file, "OBS_VALUE")
    return singles


def _check_totals(singles: pd.DataFrame, totals: pd.DataFrame, file: str, column: str) -> None:
    """An ``All Ages`` row must equal the sum of its single ages (when all are known)."""
    keys = ["area_code", "year", "sex"]
    grouped = singles.groupby(keys, sort=False)["population"]
    complete = (grouped.count() == TOP + 1) & (grouped.size() == TOP + 1)
    sums = grouped.sum().where(complete)
    both = totals.join(sums.rename("summed"), on=keys)
    bad = (both["summed"].notna() & (both["population"] != both["summed"])).to_numpy(dtype=bool)
    if bad.any():
        row = both.iloc[int(np.argmax(bad))]
        raise _error(
            f"All Ages {row['population']} for area {row['area_code']}, {row['year']}, "
            f"{row['sex']} does not equal the sum of the single ages ({row['summed']})",
            file,
            int(row["_line"]),
            column,
        )


def read_myeb(text: str, skip: int, file: str) -> pd.DataFrame:
    """ONS MYEB1 long CSV -> area_code, area_name, year, sex, age, population, _line."""
    df = _frame(text, skip, file)
    code = next((c for c in df.columns if _MYEB_CODE.match(c)), None)
    name = next((c for c in df.columns if _MYEB_NAME.match(c)), None)
    years = {c: int(m.group(1)) for c in df.columns if (m := _MYEB_YEAR.match(c))}
    if code is None or name is None:
        raise _error(
            "missing the area code or name column (ladcode23/laname23, code/name …)", file, skip + 1
        )
    _codes(df[code].str.strip(), df["_line"], file, code)
    age = pd.to_numeric(df["age"].str.strip().str.rstrip("+"), errors="coerce")
    bad = (age.isna() | (age < 0) | (age > TOP) | (age % 1 != 0)).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise _error(
            f"age {shown(df['age'].iloc[i])} is not a whole number 0-{TOP} "
            f"({TOP} = {TOP} and over)",
            file,
            int(df["_line"].iloc[i]),
            "age",
        )
    sex = _sex(df["sex"], df["_line"], file, "sex")
    parts = [
        pd.DataFrame(
            {
                "area_code": df[code].str.strip(),
                "area_name": df[name].str.strip(),
                "year": y,
                "sex": sex,
                "age": age.astype("int64"),
                "population": _counts(df[c], df["_line"], file, c),
                "_line": df["_line"],
            }
        )
        for c, y in sorted(years.items(), key=lambda kv: kv[1])
    ]
    return pd.concat(parts, ignore_index=True)


def select_sex(long: pd.DataFrame, sex: str | None, file: str) -> pd.DataFrame:
    """Rows of one sex; persons summed from males and females where the file has no total."""
    if sex is None:
        return long
    if sex not in ("persons", "males", "females"):
        raise ValueError(f"sex={sex!r}: use 'persons', 'males', 'females' or None (all)")
    if sex != "persons" or (long["sex"] == "persons").any():
        out = long[long["sex"] == sex]
        if out.empty:
            raise _error(f"no rows for sex {sex!r} (the file has {sorted(set(long['sex']))})", file)
        return out
    keys = ["area_code", "area_name", "year", "age"]
    parts = long[long["sex"].isin(["males", "females"])]
    counts = parts.groupby(keys, sort=False)["sex"].nunique()
    if (counts < 2).any():
        where = counts[counts < 2].index[0]
        raise _error(
            f"persons cannot be summed: area {where[0]} year {where[2]} age {where[3]} has "
            "males or females only",
            file,
        )
    summed = parts.groupby(keys, sort=False, as_index=False).agg(
        population=("population", lambda s: s.sum(min_count=2)), _line=("_line", "min")
    )
    summed["population"] = summed["population"].astype("Int64")
    summed["sex"] = "persons"
    return summed


def check_complete(long: pd.DataFrame, file: str) -> None:
    """Every area, year and sex has each age 0..90 exactly once."""
    keys = ["area_code", "year", "sex"]
    count = long.groupby([*keys, "age"], sort=False).size()
    if (count > 1).any():
        k = count[count > 1].index[0]
        raise _error(f"area {k[0]}, year {k[1]}, {k[2]}, age {k[3]} appears more than once", file)
    n = long.groupby(keys, sort=False)["age"].nunique()
    if (n < TOP + 1).any():
        k = n[n < TOP + 1].index[0]
        have = set(long.loc[(long[keys] == list(k)).all(axis=1), "age"])
        absent = [a for a in range(TOP + 1) if a not in have]
        shown = ", ".join(str(a) if a < TOP else f"{TOP}+" for a in absent[:8])
        raise _error(
            f"area {k[0]}, year {k[1]}, {k[2]}: no row for age(s) {shown}"
            + (" …" if len(absent) > 8 else "")
            + f" (single ages 0-{TOP - 1} and {TOP}+ are needed)",
            file,
        )
