"""ICD-10 code handling shared by the record reader and the classifier.

Codes are compared in one normal form: upper case, no dot, no spaces
(``"x42.1"``, ``" X421"`` and ``"X42.1"`` are all ``"X421"``); the three-character
category is the first three characters. :func:`code_range` expands the ranges
written in the ONS definitions (``"F11–F16"``) into categories.

References
----------
World Health Organization, *International Statistical Classification of Diseases
and Related Health Problems, 10th Revision* (ICD-10), 2019 version, volume 2,
section 2.4 (structure: a letter, two digits, and an optional fourth character
after a dot).
"""

from __future__ import annotations

import re

__all__ = ["ICD10_PATTERN", "ICD9_PATTERN", "code_range", "norm_code_sql"]

#: An ICD-10 code in normal form: a letter, two digits, an optional fourth
#: character (digit, or ``X`` as a filler in some national extracts) and, in
#: ICD-10 extensions, a fifth digit.
ICD10_PATTERN = r"^[A-Z][0-9][0-9][0-9X]?[0-9]?$"
#: An ICD-9 code (before the dot is removed): three digits (``304``, ``305.2``)
#: or an external-cause code with its dot (``E850.0``) - found in ICD-10 files
#: carried over from before 2001 in England and Wales.
ICD9_PATTERN = r"^([0-9]{3}(\.[0-9]{1,2})?|[EV][0-9]{3}\.[0-9])$"


def code_range(text: str) -> tuple[str, ...]:
    """ICD-10 categories of a range or list as the ONS definitions write them.

    Parameters
    ----------
    text : str
        ``"F11–F16, F18–F19"``: comma-separated categories or ranges with a
        hyphen or en dash (ranges within one letter).

    Returns
    -------
    tuple of str
        The three-character categories, e.g. ``("F11", "F12", ..., "F19")``.

    Examples
    --------
    >>> from overdose_trends.io.records._icd10 import code_range
    >>> code_range("X40–X44, X85")
    ('X40', 'X41', 'X42', 'X43', 'X44', 'X85')
    """
    out: list[str] = []
    for part in text.split(","):
        bounds = [b.strip().upper() for b in re.split(r"[-\u2013]", part)]
        first, last = bounds[0], bounds[-1]
        if first[0] != last[0]:
            raise ValueError(f"range {part!r} spans two letters")
        out.extend(f"{first[0]}{n:02d}" for n in range(int(first[1:3]), int(last[1:3]) + 1))
    return tuple(out)


def norm_code_sql(column: str) -> str:
    """SQL for a code column in normal form (upper case, no dot, no spaces).

    Plain SQL (``UPPER``, ``REPLACE``, ``TRIM``) that DuckDB, SQLite, Polars
    and Spark SQL all accept; NULL stays NULL and a blank becomes NULL.
    """
    inner = f"UPPER(REPLACE(REPLACE(TRIM({column}), '.', ''), ' ', ''))"
    return f"NULLIF({inner}, '')"
