"""The national reference tables that :func:`~overdose_trends.io.ons_national.read_national` reads.

Each table is recognised by regular expressions on its title (the sheet's own
title or its entry on the Contents sheet), never by sheet number, so that the
2016 edition's Tables 1-15, the 2021 edition's Tables 1-10 and the accessible
layout's ``Table_N`` sheets (2022 edition on) are found alike. A title matches
at most one kind (they are tried in the order of :data:`KINDS`, most specific
first). :data:`SKIP_SHEET` names the sheets that never hold a table (cover,
contents, notes, definitions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from overdose_trends.io._national_labels import ENGLAND_AND_WALES


@dataclass(frozen=True)
class Kind:
    """A table to read, recognised by regular expressions on its title."""

    table: str
    looks_for: str  # for error messages
    require: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    substances: bool = False  # may labels name substances?
    ages: bool = False  # may labels name age bands?
    quintiles: bool = False  # may labels (and bare numbers 1-5) name deprivation quintiles?
    needs_area: bool = False  # must every row name an area?
    default_area: str = ENGLAND_AND_WALES  # area of rows that name none
    default_field: str = "deaths"  # field of value columns labelled only by dimensions
    rate_type: str = ""  # "age_standardised" or "age_specific" where the table has rates
    occurrence: bool = False  # value columns "Registration year" / "Occurrence year"

    def matches(self, title: str) -> bool:
        return all(re.search(p, title) for p in self.require) and not any(
            re.search(p, title) for p in self.exclude
        )


#: Title words of an age-standardised rate table.
ASMR = r"age[- ]standardi[sz]ed"
AGE_SPECIFIC = r"age[- ]specific"
_AGE = r"\bage\b(?!-)"
_FIVE_YEAR = r"\b(5|five)[- ]year"
_WIMD = r"\bwimd\b|welsh index of multiple deprivation"
_IMD = r"\bimd\b|index of multiple deprivation|deprivation quintile"
_NOT_RATES = (ASMR, AGE_SPECIFIC, r"\brates?\b")
_MENTIONED = r"substances? (were |was )?mentioned|involving new psychoactive"

#: The tables read, most specific title first.
KINDS = (
    Kind(
        "occurrence",
        "'... by registration year and occurrence year'",
        require=(r"occurrence year",),
        substances=True,
        occurrence=True,
    ),
    Kind(
        "registration_delay",
        "'(average|median) registration delay ...'",
        require=(r"registration delay",),
        default_field="delay_days",
    ),
    Kind(
        "wimd",
        "'... by sex ... and WIMD quintile, Wales'",
        require=(_WIMD,),
        quintiles=True,
        default_area="W92000004",
        rate_type="age_standardised",
    ),
    Kind(
        "imd",
        "'... age-standardised mortality rates ... by sex and IMD quintile, England'",
        require=(_IMD,),
        exclude=(_WIMD,),
        quintiles=True,
        default_area="E92000001",
        rate_type="age_standardised",
    ),
    Kind(
        "age_specific_5y",
        "'age-specific mortality rates ... by 5-year age groups'",
        require=(AGE_SPECIFIC, _FIVE_YEAR),
        ages=True,
        default_field="rate",
        rate_type="age_specific",
    ),
    Kind(
        "age_specific",
        "'(number of deaths and) age-specific mortality rates ... by sex (and broad age group)'",
        require=(AGE_SPECIFIC,),
        exclude=(_FIVE_YEAR, r"quintile"),
        ages=True,
        rate_type="age_specific",
    ),
    Kind(
        "region",
        "'age-standardised mortality rates ... by (country and) region'",
        require=(ASMR, r"\bregions?\b"),
        exclude=(r"\bimd\b", r"deprivation", r"quintile", r"local authorit"),
        needs_area=True,
        rate_type="age_standardised",
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
            AGE_SPECIFIC,
            r"\bage groups?\b",
        ),
        substances=True,
        rate_type="age_standardised",
    ),
    Kind(
        "substances_by_age",
        "'number of ... deaths where selected substances were mentioned ..., by age'",
        require=(_MENTIONED, _AGE),
        exclude=_NOT_RATES,
        substances=True,
        ages=True,
    ),
    Kind(
        "substances_alone",
        "'... selected substances were mentioned without other drugs'",
        require=(_MENTIONED, r"without other drugs"),
        exclude=(*_NOT_RATES, _AGE),
        substances=True,
    ),
    Kind(
        "substances_with_alcohol",
        "'... selected substances were mentioned with alcohol'",
        require=(_MENTIONED, r"\bwith alcohol"),
        exclude=(*_NOT_RATES, _AGE),
        substances=True,
    ),
    Kind(
        "substances_without_alcohol",
        "'... selected substances were mentioned without alcohol'",
        require=(_MENTIONED, r"without alcohol"),
        exclude=(*_NOT_RATES, _AGE),
        substances=True,
    ),
    Kind(
        "nps",
        "'... new psychoactive substances were mentioned on the death certificate'",
        require=(r"new psychoactive substances (were |was )?mentioned",),
        exclude=(*_NOT_RATES, _AGE),
        substances=True,
    ),
    Kind(
        "substances",
        "'... selected substances were mentioned on the death certificate'",
        require=(_MENTIONED,),
        exclude=(*_NOT_RATES, _AGE, r"\bsex\b"),
        substances=True,
    ),
    Kind(
        "deaths_by_age",
        "'number of deaths ... by sex (country) and age'",
        require=(r"number of deaths", _AGE),
        exclude=(*_NOT_RATES, r"substance", r"region", r"quintile"),
        ages=True,
    ),
    Kind(
        "deaths_by_sex",
        "'number of deaths ... by sex ... country' (no rates, ages or substances)",
        require=(r"number of deaths", r"\bsex\b", r"\bcountr"),
        exclude=(*_NOT_RATES, _AGE, r"substance", r"region", r"occurrence", r"delay"),
    ),
    Kind(
        "deaths_by_cause",
        "'number of deaths ... by sex and underlying cause'",
        require=(r"number of deaths", r"underlying cause"),
        exclude=(*_NOT_RATES, _AGE, r"substance", r"region"),
    ),
)
#: Sheet names (lower case) that never hold a table.
SKIP_SHEET = re.compile(
    r"^(cover( sheet)?|contents?|table of contents|index|notes?\b.*|definitions?|"
    r"terms.*|metadata|information|about.*)$"
)
