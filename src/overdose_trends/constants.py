"""Reference constants used across the package, each with its source.

Everything that is a published convention rather than a computation lives
here: the 2013 European Standard Population, the meaning of ONS table
markers, GSS area-code prefixes and the ONS small-number rules.
"""

from __future__ import annotations

import re
from types import MappingProxyType

#: Rates in ONS local-authority tables are per 100,000; national tables per 1,000,000.
PER_100K = 100_000
PER_MILLION = 1_000_000

# --- ONS small-number rules ---------------------------------------------------------
#: ONS does not calculate a rate from fewer than this many deaths (footnote 3 of the
#: ONS drug-poisoning tables: "Rates are not calculated when the number of deaths are
#: fewer than ten").
MIN_DEATHS_FOR_RATE = 10
#: Rates from fewer than this many deaths (but at least MIN_DEATHS_FOR_RATE) are
#: flagged unreliable ("Rates when deaths are between 10 and 19 are considered
#: unreliable").
MIN_DEATHS_RELIABLE = 20

# --- ONS table markers ----------------------------------------------------------------
#: ``rate_status`` values used in tidy outputs.
RATE_STATUSES = ("ok", "not_calculated", "unreliable", "suppressed", "not_available")

#: Marker text found in ONS cells -> rate_status. Older editions (to 2021) use ":" for
#: "not calculated" and "u"/"U" beside the rate for "unreliable". The accessible layout
#: (GSS guidance "Symbols, suppression and rounding", used by ONS from 2022) writes
#: shorthand in square brackets: [x] not available, [c] confidential (suppressed),
#: [z] not applicable, [u] low reliability, [low] rounds to zero.
#: Source: ONS drug-poisoning workbooks (footnotes) and the Government Analysis
#: Function guidance "Symbols in tables, definitions and shorthand" (2021).
MARKERS = MappingProxyType(
    {
        ":": "not_calculated",
        "..": "not_available",
        "-": "not_available",
        "u": "unreliable",
        "[u]": "unreliable",
        "[x]": "not_available",
        "[z]": "not_available",
        "[c]": "suppressed",
        "[low]": "not_available",  # rounds to zero: no value to show
        "*": "unreliable",
    }
)

# --- sex labels ------------------------------------------------------------------------
#: Labels used for sex in published tables -> the ``sex`` value of tidy outputs.
SEX_LABELS = MappingProxyType(
    {
        "persons": "persons",
        "people": "persons",
        "all persons": "persons",
        "males": "males",
        "male": "males",
        "men": "males",
        "females": "females",
        "female": "females",
        "women": "females",
    }
)

# --- GSS area codes ----------------------------------------------------------------
#: A GSS statistical geography code: a country letter and eight digits (e.g. E06000033).
GSS_CODE = re.compile(r"^[EWKSN]\d{8}$")

#: GSS code entity prefix -> area level. Source: ONS "Code history database" /
#: "Register of geographic codes" (entity codes).
AREA_LEVELS = MappingProxyType(
    {
        "K04": "country",  # England and Wales
        "K02": "country",  # United Kingdom
        "K03": "country",  # Great Britain
        "E92": "country",
        "W92": "country",
        "S92": "country",
        "N92": "country",
        "E12": "region",
        "E13": "inner_outer_london",
        "E10": "county",
        "E11": "metropolitan_county",
        "E06": "unitary",
        "W06": "unitary",
        "E07": "district",
        "E08": "metropolitan_district",
        "E09": "london_borough",
        "S12": "council_area",
        "N09": "district",
    }
)

# --- 2013 European Standard Population ------------------------------------------------
#: Age bands of the 2013 ESP, 19-band form (0-4 ... 85-89, 90+), as used by ONS and
#: PHE/OHID (PHEindicatormethods ``esp2013``). Lower age of each band.
ESP2013_BAND_STARTS = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)
#: Band labels matching ESP2013_BAND_STARTS.
ESP2013_BANDS = tuple(f"{a}-{a + 4}" if a < 90 else "90+" for a in ESP2013_BAND_STARTS)
#: Weights (per 100,000 standard population) for the 19 bands. Source: Eurostat (2013)
#: "Revision of the European Standard Population: report of Eurostat's task force",
#: Luxembourg, table 3.4; the same values as PHEindicatormethods::esp2013.
ESP2013_WEIGHTS = (
    5000,
    5500,
    5500,
    5500,
    6000,
    6000,
    6500,
    7000,
    7000,
    7000,
    7000,
    6500,
    6000,
    5500,
    5000,
    4000,
    2500,
    1500,
    1000,
)
#: 20-band form: the first band split into under 1 (1,000) and 1-4 (4,000).
ESP2013_BAND_STARTS_20 = (0, 1, *ESP2013_BAND_STARTS[1:])
ESP2013_BANDS_20 = ("0", "1-4", *ESP2013_BANDS[1:])
ESP2013_WEIGHTS_20 = (1000, 4000, *ESP2013_WEIGHTS[1:])

assert sum(ESP2013_WEIGHTS) == 100_000
assert sum(ESP2013_WEIGHTS_20) == 100_000
