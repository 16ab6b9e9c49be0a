"""The national reference tables that :func:`~overdose_trends.io.ons_national.read_national` reads.

Each table is recognised by regular expressions on its title (the sheet's own
title or its entry on the Contents sheet), never by sheet number, so that the
2016 edition's Tables 1, 10, 11 and 13 and the accessible layout's Tables 1, 4
and 7 (2021 edition on) are found alike. :data:`SKIP_SHEET` names the sheets
that never hold a table (cover, contents, notes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A table to read, recognised by regular expressions on its title."""

    table: str
    looks_for: str  # for error messages
    require: tuple[str, ...]
    exclude: tuple[str, ...]
    substances: bool  # may labels name substances?
    needs_area: bool  # must every row name an area?

    def matches(self, title: str) -> bool:
        return all(re.search(p, title) for p in self.require) and not any(
            re.search(p, title) for p in self.exclude
        )


#: Title words of an age-standardised rate table.
ASMR = r"age[- ]standardi[sz]ed"
#: The tables read, in the order of :data:`~overdose_trends.io.ons_national.TABLES`.
KINDS = (
    Kind(
        "deaths_by_sex",
        "'number of deaths ... by sex ... country' (no rates, ages or substances)",
        require=(r"number of deaths", r"\bsex\b", r"\bcountr"),
        exclude=(
            ASMR,
            r"\brates?\b",
            r"\bage\b(?!-)",
            r"substance",
            r"region",
            r"occurrence",
            r"delay",
        ),
        substances=False,
        needs_area=False,
    ),
    Kind(
        "asmr",
        "'age-standardised mortality rates ... by sex' (not by region, age or deprivation)",
        require=(ASMR, r"\bsex\b"),
        exclude=(
            r"region",
            r"\bimd\b",
            r"deprivation",
            r"quintile",
            r"local authorit",
            r"age[- ]specific",
            r"\bage groups?\b",
        ),
        substances=True,
        needs_area=False,
    ),
    Kind(
        "region",
        "'age-standardised mortality rates ... by (country and) region'",
        require=(ASMR, r"\bregions?\b"),
        exclude=(r"\bimd\b", r"deprivation", r"quintile", r"local authorit"),
        substances=False,
        needs_area=True,
    ),
)
#: Sheet names (lower case) that never hold a table.
SKIP_SHEET = re.compile(
    r"^(cover|contents?|table of contents|index|notes?\b.*|definitions?|"
    r"terms.*|metadata|information|about.*)$"
)
