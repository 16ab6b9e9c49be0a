"""Row checks of death records, as DuckDB SQL over the raw table (out of core).

Every check is a boolean column of one view (``_rec_checked``), so a file is
scanned once for the issues and once more when the clean rows are used.
The issues (only rows that fail a check) come back to pandas; the clean rows
stay in DuckDB as the view ``_rec_clean`` in the canonical layout of
:mod:`overdose_trends.io.records.read`.

Rules (severity, meaning):

========================== ======== ==========================================================
rule                       severity meaning
========================== ======== ==========================================================
blank_required             error    registration_date, underlying_cause, sex, area_code or age
                                    is blank
invalid_date               error    a date that cannot be read (ISO ``2021-03-14`` or UK
                                    ``14/03/2021``) or is impossible (30 February)
date_out_of_range          error    a date before 1 January 1900 or after ``as_of``
occurrence_after_registration error the death registered before it occurred
missing_occurrence_date    warning  occurrence date blank: the row counts by registration only
invalid_age                error    age not a number from 0 to 125 (or not a 2013 ESP band)
invalid_sex                error    sex not male/female (``M``, ``F``, ``1``, ``2`` accepted)
invalid_area_code          error    not a GSS code (E, W, K, S or N and 8 digits)
unknown_area_code          error    a GSS code not among the known areas
icd9_code                  error    an ICD-9 code (``304.0``, ``E850.0``) in an ICD-10 field
invalid_icd10              error    a cause that is not an ICD-10 code
too_many_causes            warning  more than 15 contributory causes in one cell (first 15 kept)
identifier_column          warning  a column of personal identifiers was dropped (no row)
unknown_column             warning  a column that is not a field was left out (no row)
========================== ======== ==========================================================

Dates are never echoed in issues (with age, sex and area they could identify
a person): their ``value`` is withheld. Codes, sexes and area codes are shown
only when they have their field's shape (a code, a sex code, a GSS-like code)
and hold nothing that looks like personal data: ``"X62 to Jacob Marley"`` is
reported as ``underlying_cause (value not shown) is not an ICD-10 code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from overdose_trends.constants import ESP2013_BAND_STARTS, ESP2013_BANDS
from overdose_trends.io._identifiers import personal_data_kinds
from overdose_trends.io._kit_report import Issues
from overdose_trends.io.records._icd10 import ICD9_PATTERN, norm_code_sql
from overdose_trends.io.records._sql import CAUSE_COLUMNS, band_sql, sql_literal

__all__ = [
    "MAX_AGE",
    "SEX_CODES",
    "checked_view_sql",
    "clean_view_sql",
    "collect_issues",
    "parsed_view_sql",
]

#: Oldest age accepted (years). A plausibility bound of this package.
MAX_AGE = 125
#: Spellings of sex (lower case) -> the house vocabulary. ONS death registrations code
#: sex 1 = male, 2 = female.
SEX_CODES = {
    "m": "males",
    "male": "males",
    "males": "males",
    "1": "males",
    "f": "females",
    "female": "females",
    "females": "females",
    "2": "females",
}
_FIRST_DAY = "1900-01-01"


_lit = sql_literal


def _text(col: str) -> str:
    return f"NULLIF(TRIM(CAST({col} AS VARCHAR)), '')"


def _is_typed(kind: str, prefixes: tuple[str, ...]) -> bool:
    return kind.upper().startswith(prefixes)


#: Column types read as they are (no text round trip): dates and numbers in Parquet.
_DATE_TYPES = ("DATE", "TIMESTAMP")
_NUMBER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "DOUBLE",
    "FLOAT",
    "DECIMAL",
    "U",
)


def _date(col: str, kind: str = "VARCHAR") -> str:
    if _is_typed(kind, _DATE_TYPES):
        return f"CAST({col} AS DATE)"
    t = _text(col)
    return (
        f"COALESCE(TRY_CAST({t} AS DATE), TRY_CAST(TRY_STRPTIME({t}, '%d/%m/%Y') AS DATE), "
        f"TRY_CAST(TRY_STRPTIME({t}, '%d-%m-%Y') AS DATE))"
    )


def _glob_any(expr: str, patterns: Sequence[str]) -> str:
    return "(" + " OR ".join(f"{expr} GLOB '{p}'" for p in patterns) + ")"


#: ICD-10 as written (any case, with or without the dot), as GLOB patterns: GLOB is about
#: ten times cheaper than a regular expression in DuckDB, which matters at 10 million rows.
_ICD10_GLOBS = tuple(
    p.replace("L", "[A-Za-z]").replace("D", "[0-9]").replace("F", "[0-9Xx]")
    for p in ("LDD", "LDDF", "LDD.F", "LDDFD", "LDD.FD")
)
_GSS_GLOB = "[EWKSN]" + "[0-9]" * 8


def parsed_view_sql(
    raw: str,
    fields: Sequence[str],
    types: dict[str, str],
    *,
    split_causes: bool,
) -> str:
    """SQL of the view with the parsed values (``raw`` has canonical names and ``_row``)."""
    has = set(fields)
    kind = {f: types.get(f, "VARCHAR") for f in fields}

    def marker(f: str) -> str:  # text of a field, or a non-null marker for typed columns
        if _is_typed(kind[f], _DATE_TYPES + _NUMBER_TYPES):
            return f"CASE WHEN {f} IS NOT NULL THEN 'x' END"
        return _text(f)

    cols = ["_row"]
    if "record_id" in has:
        cols.append(f"{_text('record_id')} AS record_id")
    cols.append(f"{marker('registration_date')} AS _reg_text")
    cols.append(f"{_date('registration_date', kind['registration_date'])} AS registration_date")
    if "occurrence_date" in has:
        cols.append(f"{marker('occurrence_date')} AS _occ_text")
        cols.append(f"{_date('occurrence_date', kind['occurrence_date'])} AS occurrence_date")
    else:
        cols += ["CAST(NULL AS VARCHAR) AS _occ_text", "CAST(NULL AS DATE) AS occurrence_date"]
    if "age" in has:
        cols.append(f"{marker('age')} AS _age_text")
        number = "age" if _is_typed(kind["age"], _NUMBER_TYPES) else _text("age")
        cols.append(f"TRY_CAST({number} AS DOUBLE) AS _age_num")
    else:
        cols += ["CAST(NULL AS VARCHAR) AS _age_text", "CAST(NULL AS DOUBLE) AS _age_num"]
    if "age_band" in has:
        cols.append(f"{_text('age_band')} AS _band_text")
    else:
        cols.append("CAST(NULL AS VARCHAR) AS _band_text")
    cols.append(f"{_text('sex')} AS _sex_text")
    cols.append(f"UPPER({_text('area_code')}) AS area_code")
    if "lsoa_code" in has:
        cols.append(f"UPPER({_text('lsoa_code')}) AS lsoa_code")
    cols.append(f"{_text('underlying_cause')} AS _uc_text")
    if split_causes:
        parts = (
            f"string_split(regexp_replace({_text('contributory_causes')}, '[\\s,;|]+', ' ', 'g'),"
            " ' ')"
        )
        cols.append(f"{parts} AS _cause_list")
        cols += [f"_cause_list[{i}] AS _{c}_text" for i, c in enumerate(CAUSE_COLUMNS, 1)]
    else:
        cols += [f"{_text(c)} AS _{c}_text" for c in CAUSE_COLUMNS if c in has]
    if "substances" in has:
        cols.append(f"{_text('substances')} AS substances")
    return f"SELECT {', '.join(cols)} FROM {raw}"


def checked_view_sql(
    parsed: str,
    fields: Sequence[str],
    *,
    split_causes: bool,
    known_areas: frozenset[str] | None,
    as_of: date,
) -> str:
    """SQL of the view ``parsed`` plus one boolean column per check (``_chk_<name>``)."""
    has = set(fields)
    causes = [c for c in CAUSE_COLUMNS if split_causes or c in has]
    bands = ", ".join(map(_lit, ESP2013_BANDS))
    checks = {
        "blank_registration_date": "_reg_text IS NULL",
        "invalid_registration_date": "_reg_text IS NOT NULL AND registration_date IS NULL",
        "range_registration_date": (
            f"registration_date < DATE '{_FIRST_DAY}' OR registration_date > DATE '{as_of}'"
        ),
        "invalid_occurrence_date": "_occ_text IS NOT NULL AND occurrence_date IS NULL",
        "range_occurrence_date": (
            f"occurrence_date < DATE '{_FIRST_DAY}' OR occurrence_date > DATE '{as_of}'"
        ),
        "occurrence_after_registration": "occurrence_date > registration_date",
        "missing_occurrence_date": "_occ_text IS NULL",
        "blank_age": "_age_text IS NULL AND _band_text IS NULL",
        "invalid_age": (
            f"(_age_text IS NOT NULL AND (_age_num IS NULL OR _age_num < 0 OR _age_num > {MAX_AGE}"
            " OR isnan(_age_num)))"
            f" OR (_age_text IS NULL AND _band_text IS NOT NULL AND _band_text NOT IN ({bands}))"
        ),
        "blank_sex": "_sex_text IS NULL",
        "invalid_sex": (
            f"_sex_text IS NOT NULL AND LOWER(_sex_text) NOT IN ({', '.join(map(_lit, SEX_CODES))})"
        ),
        "blank_area_code": "area_code IS NULL",
        "invalid_area_code": f"NOT area_code GLOB '{_GSS_GLOB}'",
        "blank_underlying_cause": "_uc_text IS NULL",
    }
    if known_areas is not None:
        checks["unknown_area_code"] = (
            f"area_code GLOB '{_GSS_GLOB}' AND area_code NOT IN (SELECT code FROM _rec_known_areas)"
        )
    for c in ["underlying_cause", *causes]:  # ICD-9 or not ICD-10: told apart on issue rows
        t = f"_{c}_text" if c != "underlying_cause" else "_uc_text"
        icd10 = _glob_any(t, _ICD10_GLOBS)
        icd9_external = f"{t} GLOB '[EVev][0-9][0-9][0-9].[0-9]*'"  # E850.0 is not E85.00
        checks[f"code_{c}"] = f"{t} IS NOT NULL AND (NOT {icd10} OR {icd9_external})"
    if split_causes:
        checks["too_many_causes"] = f"len(_cause_list) > {len(CAUSE_COLUMNS)}"
    flag_sql = ", ".join(f"COALESCE({sql}, FALSE) AS _chk_{k}" for k, sql in checks.items())
    errors = [k for k in checks if k not in _WARNINGS]
    err_sql = " OR ".join(f"_chk_{k}" for k in errors)
    warn_sql = " OR ".join(f"_chk_{k}" for k in checks if k in _WARNINGS)
    return (
        f"SELECT *, ({err_sql}) AS _rejected, ({warn_sql}) AS _warned FROM "
        f"(SELECT *, {flag_sql} FROM {parsed})"
    )


_WARNINGS = ("missing_occurrence_date", "too_many_causes")


def clean_view_sql(fields: Sequence[str], split_causes: bool) -> str:
    """SQL of the loaded rows in the canonical layout (see the read module)."""
    has = set(fields)
    sex = " ".join(
        f"WHEN LOWER(_sex_text) = {_lit(k)} THEN {_lit(v)}" for k, v in SEX_CODES.items()
    )
    age = "CAST(FLOOR(_age_num) AS INTEGER)"
    cols = ["_row AS source_row", *(["record_id"] if "record_id" in has else [])]
    cols += [
        "registration_date",
        "occurrence_date",
        "CAST(year(registration_date) AS INTEGER) AS registration_year",
        "CAST(year(occurrence_date) AS INTEGER) AS occurrence_year",
        f"{age} AS age",
        f"COALESCE({band_sql(age, ESP2013_BAND_STARTS, ESP2013_BANDS)}, _band_text) AS age_band",
        f"CASE {sex} END AS sex",
        "area_code",
    ]
    if "lsoa_code" in has:
        cols.append("lsoa_code")
    cols.append(f"{norm_code_sql('_uc_text')} AS underlying_cause")
    cols += [
        f"{norm_code_sql(f'_{c}_text')} AS {c}" for c in CAUSE_COLUMNS if split_causes or c in has
    ]
    if "substances" in has:  # free text that looks like personal data is blanked
        cols.append(
            "CASE WHEN substances IN (SELECT CAST(v AS VARCHAR) FROM _rec_personal) THEN NULL "
            "ELSE substances END AS substances"
        )
    return (
        f"SELECT {', '.join(cols)} FROM _rec_parsed "
        "WHERE _row NOT IN (SELECT _row FROM _rec_rejected)"
    )


#: Check -> (rule, severity, column, message template, echo the value?).
_ISSUES = {
    "blank_registration_date": ("blank_required", "registration_date", "is blank", False),
    "invalid_registration_date": (
        "invalid_date",
        "registration_date",
        "is not a date (expected 2021-03-14 or 14/03/2021; value withheld)",
        False,
    ),
    "range_registration_date": (
        "date_out_of_range",
        "registration_date",
        "is before 1900 or after as_of (value withheld)",
        False,
    ),
    "invalid_occurrence_date": (
        "invalid_date",
        "occurrence_date",
        "is not a date (expected 2021-03-14 or 14/03/2021; value withheld)",
        False,
    ),
    "range_occurrence_date": (
        "date_out_of_range",
        "occurrence_date",
        "is before 1900 or after as_of (value withheld)",
        False,
    ),
    "occurrence_after_registration": (
        "occurrence_after_registration",
        "occurrence_date",
        "is after the registration date (values withheld)",
        False,
    ),
    "missing_occurrence_date": (
        "missing_occurrence_date",
        "occurrence_date",
        "is blank: the death counts by registration year only",
        False,
    ),
    "blank_age": ("blank_required", "age", "is blank", False),
    "invalid_age": (
        "invalid_age",
        "age",
        f"is not an age from 0 to {MAX_AGE} years (or a 2013 ESP band; value withheld)",
        False,
    ),
    "blank_sex": ("blank_required", "sex", "is blank", False),
    "invalid_sex": ("invalid_sex", "sex", "is not male or female (M/F, 1/2)", True),
    "blank_area_code": ("blank_required", "area_code", "is blank", False),
    "invalid_area_code": (
        "invalid_area_code",
        "area_code",
        "is not a GSS code (E, W, K, S or N and 8 digits, e.g. E06000033)",
        True,
    ),
    "unknown_area_code": (
        "unknown_area_code",
        "area_code",
        "is not a known area (pass known_areas= to accept it)",
        True,
    ),
    "blank_underlying_cause": ("blank_required", "underlying_cause", "is blank", False),
    "too_many_causes": (
        "too_many_causes",
        "contributory_causes",
        "holds more than 15 codes: the first 15 are kept",
        False,
    ),
}


#: Shapes (full match, any case) of the values a rejection may echo: a value is shown in the
#: issue's message and ``value`` only when it has its field's shape and holds nothing that
#: looks like personal data; otherwise the issue says what was wrong and where, without it.
_SHAPES = {
    "_sex_text": r"[a-z]{1,7}|\d{1,2}",
    "area_code": r"[a-z]{1,3}[a-z0-9]{0,10}",
    "code": r"[a-z0-9]{1,5}(?:\.[a-z0-9]{1,3})?",
}


def _shown(value: np.ndarray, vcol: str) -> np.ndarray:
    """``value`` with the texts that may not be echoed replaced by None (see ``_SHAPES``)."""
    text = pd.Series(value, dtype=object).map(lambda v: None if pd.isna(v) else str(v).strip())
    shape = _SHAPES.get(vcol, _SHAPES["code"])
    ok = np.array(text.notna(), dtype=bool)
    ok[ok] = text[ok].str.fullmatch(shape, case=False).to_numpy(dtype=bool)
    at = np.flatnonzero(ok)
    if len(at):
        ok[at[pd.notna(personal_data_kinds(text.iloc[at]))]] = False
    out = np.asarray(value, dtype=object).copy()
    out[~ok] = None
    return out


def _described(field: str, value: np.ndarray, what: str) -> np.ndarray:
    """Messages: the field and its value when shown, else the field and "(value not shown)"."""
    shown = pd.Series(value, dtype=object).map(
        lambda v: f"{field} (value not shown) " if pd.isna(v) else f"{field} {v!r} "
    )
    return (shown + what).to_numpy(dtype=object)


def _value_column(check: str) -> str | None:
    if check in ("invalid_sex",):
        return "_sex_text"
    if check in ("invalid_area_code", "unknown_area_code"):
        return "area_code"
    if check.startswith("code_"):
        cause = check.split("_", 1)[1]
        return "_uc_text" if cause == "underlying_cause" else f"_{cause}_text"
    return None


def collect_issues(
    rows: pd.DataFrame, checks: Sequence[str], headers: dict[str, str], issues: Issues
) -> None:
    """Add an issue per failed check of each row in ``rows`` (the failing rows only).

    ``headers`` maps canonical field -> header as written in the file (for the column).
    """
    for check in checks:
        hit = rows[f"_chk_{check}"].to_numpy(dtype=bool)
        if not hit.any():
            continue
        sub = rows.loc[hit]
        vcol = _value_column(check)
        value = None if vcol is None else sub[vcol].astype(object).to_numpy()
        if check.startswith("code_"):
            _add_code_issues(sub, check[5:], str(vcol), headers, issues)
            continue
        rule, field, what, echo = _ISSUES[check]
        column = headers.get(field, field)
        severity = "warning" if check in _WARNINGS else "error"
        if not echo:
            value = None
        if value is not None:
            value = _shown(value, str(vcol))
            message = _described(field, value, what)
        else:
            message = np.asarray(f"{field} {what}", dtype=object)
        issues.add(
            sub["_row"].to_numpy(dtype=np.int64), column, rule, severity, message, value=value
        )


def _add_code_issues(
    sub: pd.DataFrame, field: str, vcol: str, headers: dict[str, str], issues: Issues
) -> None:
    """Issues for codes that are not ICD-10: ICD-9 codes told apart from other text."""
    value = sub[vcol].astype(object).to_numpy()
    matched = pd.Series(value, dtype=object).str.upper().str.fullmatch(ICD9_PATTERN[1:-1])
    icd9 = matched.fillna(False).to_numpy(dtype=bool)
    column = headers.get(field, headers.get("contributory_causes", field))
    rows = sub["_row"].to_numpy(dtype=np.int64)
    value = _shown(value, "code")
    for hit, rule, what in (
        (icd9, "icd9_code", "is an ICD-9 code in an ICD-10 field"),
        (
            ~icd9,
            "invalid_icd10",
            "is not an ICD-10 code (a letter, two digits and an optional fourth character)",
        ),
    ):
        message = _described(field, value[hit], what)
        issues.add(rows[hit], column, rule, "error", message, value=value[hit])
