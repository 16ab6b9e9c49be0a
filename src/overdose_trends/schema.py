"""Column layouts of the tidy tables the loaders return, in one place.

Every ONS loader returns one row per area, measure, sex and registration
period with the columns below (documented in :mod:`overdose_trends.ons`);
the national tables add ``table`` and ``substance``.
"""

from __future__ import annotations

from types import MappingProxyType

#: Tidy columns of ONS death tables, in order (see :mod:`overdose_trends.ons`).
DEATHS_COLUMNS = (
    "area_code",
    "area_name",
    "area_level",
    "measure",
    "sex",
    "period_start",
    "period_end",
    "deaths",
    "rate",
    "lcl",
    "ucl",
    "rate_per",
    "rate_status",
    "edition",
    "sheet",
    "row",
)

#: Tidy columns of the ONS national tables: which table, and the substance mentioned.
NATIONAL_COLUMNS = ("table", *DEATHS_COLUMNS[:4], "substance", *DEATHS_COLUMNS[4:])

#: pandas dtypes of the tidy columns (for reading them back from CSV).
DTYPES = MappingProxyType(
    {
        "table": "str",
        "area_code": "str",
        "area_name": "str",
        "area_level": "str",
        "measure": "str",
        "substance": "str",
        "sex": "str",
        "period_start": "int64",
        "period_end": "int64",
        "deaths": "Int64",
        "rate": "float64",
        "lcl": "float64",
        "ucl": "float64",
        "rate_per": "int64",
        "rate_status": "str",
        "edition": "int64",
        "sheet": "str",
        "row": "int64",
    }
)
