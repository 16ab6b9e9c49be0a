"""Column layouts and vocabularies of the tidy tables, in one place.

Every ONS loader returns one row per area, measure, sex and registration
period with the columns below (documented in :mod:`overdose_trends.io.ons_local`);
the national tables add ``table`` and ``substance``.
"""

from __future__ import annotations

import numbers
import re
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from overdose_trends.constants import MIN_DEATHS_FOR_RATE, MIN_DEATHS_RELIABLE

if TYPE_CHECKING:  # numpy is imported on first use: reading a period or a column list needs none
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

#: Tidy columns of ONS death tables, in order (see :mod:`overdose_trends.io.ons_local`).
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

#: Tidy columns of mid-year population estimates by single year of age, in order
#: (see :func:`overdose_trends.io.population.read_mid_year_estimates`).
POPULATION_COLUMNS = ("area_code", "area_name", "year", "age", "age_label", "population")

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


# === Rate statuses: the ONS small-number rule ========================================
#: Values of ``rate_status``: ``ok``; ``not_calculated`` (fewer than
#: :data:`~overdose_trends.constants.MIN_DEATHS_FOR_RATE` deaths, no rate published);
#: ``unreliable`` (fewer than :data:`~overdose_trends.constants.MIN_DEATHS_RELIABLE`);
#: ``suppressed`` (withheld by the publisher); ``not_available`` (no figure).
RATE_STATUSES = ("ok", "not_calculated", "unreliable", "suppressed", "not_available")


@cache
def _status_table() -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    """The small-number rule as a table: deaths below ``bounds[i]`` (and at or above the
    bound before it) give ``bands[i]``; from the last bound on, ``"ok"``."""
    import numpy as np

    bounds = np.array([MIN_DEATHS_FOR_RATE, MIN_DEATHS_RELIABLE], dtype=np.float64)
    bands = np.array(["not_calculated", "unreliable", "ok"], dtype=object)
    return bounds, bands


def rate_status(deaths: ArrayLike) -> NDArray[np.object_]:
    """ONS small-number status of rates from the deaths they are based on.

    The one place the rule is coded: readers, statistics and figures all call it.

    Parameters
    ----------
    deaths : array-like of float
        Deaths each rate is based on (NaN where unknown).

    Returns
    -------
    numpy.ndarray of str (object dtype)
        Per element: ``"not_available"`` where ``deaths`` is missing,
        ``"not_calculated"`` below 10 deaths
        (:data:`~overdose_trends.constants.MIN_DEATHS_FOR_RATE`), ``"unreliable"``
        below 20 (:data:`~overdose_trends.constants.MIN_DEATHS_RELIABLE`), else ``"ok"``.

    References
    ----------
    ONS, *Deaths related to drug poisoning by local authority, England and
    Wales*, reference-table notes: rates are not calculated where there are
    fewer than 10 deaths; rates based on 10 to 19 deaths are unreliable.

    Examples
    --------
    >>> from overdose_trends.schema import rate_status
    >>> rate_status([3, 12, 47, float("nan")]).tolist()
    ['not_calculated', 'unreliable', 'ok', 'not_available']
    """
    import numpy as np

    bounds, bands = _status_table()
    d = np.asarray(deaths, dtype=np.float64)
    # one band look-up (cheap enough for the readers' per-row calls and for large arrays)
    status = bands[np.searchsorted(bounds, d.ravel(), side="right")]
    status[np.isnan(d.ravel())] = "not_available"
    return status.reshape(d.shape)


# === Registration periods: one notation everywhere ====================================
_PERIOD_RES = (
    # 2017-19, 2017–19 (en dash, ONS editions to 2021), 2017 - 19
    re.compile(r"^(\d{4})\s*[-\u2013\u2014]\s*(\d{2})$"),
    # 2017-2019, 2017–2019
    re.compile(r"^(\d{4})\s*[-\u2013\u2014]\s*(\d{4})$"),
    # 2020 to 2022 (accessible layout, 2022 editions on)
    re.compile(r"^(\d{4})\s+to\s+(\d{4})$"),
    # (2013, 2015), [2013, 2015], 2013,2015
    re.compile(r"^[(\[]?\s*(\d{4})\s*,\s*(\d{4})\s*[)\]]?$"),
)


def parse_period(value: Any, *, strict: bool = False) -> tuple[int, int] | None:
    """Parse a registration-period label into ``(first, last)`` years, or None.

    Accepts a single year (``2019``, ``2019.0``, ``"2019"``), ``"2017-19"``
    (also with an en dash, as in ONS editions to 2021), ``"2017-2019"``,
    ``"2020 to 2022"`` (the accessible layout) and ``"(2013, 2015)"``. A
    two-digit end is in the start's century, or in the next one when that makes
    a period shorter than 50 years (``"1999-01"`` is 1999 to 2001).

    Parameters
    ----------
    value : Any
        A label or cell value (leading and trailing spaces, case and repeated
        spaces are ignored).
    strict : bool, default False
        A range that ends before it starts (``"2015-2013"``, ``"2015-14"``)
        returns None (False) or raises ``ValueError`` (True).

    Returns
    -------
    (int, int) or None
        First and last registration year, inclusive; None when ``value`` is not
        a period label.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):  # int, float and numpy's integers and floats
        v = float(value)
        return (int(v), int(v)) if v.is_integer() and 1900 <= v <= 2100 else None
    text = re.sub(r"\s+", " ", str(value)).strip().lower()
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return (year, year) if 1900 <= year <= 2100 else None
    for pattern in _PERIOD_RES:
        m = pattern.match(text)
        if m:
            start, end = int(m.group(1)), m.group(2)
            last = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
            if len(end) == 2 and last < start and last + 100 - start < 50:
                last += 100  # crosses a century: 1999-01 is 1999 to 2001
            if last < start:
                if strict:
                    raise ValueError(f"period {value!r} ends before it starts")
                return None
            return start, last
    return None


def as_period(value: Any) -> tuple[int, int]:
    """A registration period given by a user, in any of the package's notations.

    The library, the command line and ``report.toml`` all accept the same forms:
    ``"2013-15"``, ``"2013-2015"``, ``"2013 to 2015"``, ``(2013, 2015)`` (a pair
    of whole years, or the text ``"(2013, 2015)"``) and a single year ``2016``.

    Parameters
    ----------
    value : str, int or pair of int
        The period.

    Returns
    -------
    (int, int)
        First and last registration year, inclusive.

    Raises
    ------
    ValueError
        If the value is not a period, or ends before it starts.

    Examples
    --------
    >>> from overdose_trends.schema import as_period
    >>> as_period("2013-15"), as_period("2013 to 2015"), as_period((2013, 2015))
    ((2013, 2015), (2013, 2015), (2013, 2015))
    >>> as_period(2016)
    (2016, 2016)
    """
    if isinstance(value, list | tuple):
        ok = len(value) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
        )
        if not ok:
            raise ValueError(f"expected a pair of years (first, last), got {value!r}")
        first, last = int(value[0]), int(value[1])
        if last < first:
            raise ValueError(f"period {first}-{last} ends before it starts")
        return first, last
    parsed = None if isinstance(value, bool) else parse_period(value, strict=True)
    if parsed is None:
        raise ValueError(
            "expected a period such as '2013-15', '2013-2015', '2013 to 2015', "
            f"(2013, 2015) or 2016, got {value!r}"
        )
    return parsed


# === Take-home naloxone kit data =================================================
# Vocabulary and tidy column layouts of take-home naloxone kit data.
#
# Two tidy forms:
#
# * **events** (:data:`EVENT_COLUMNS`): one row per kit event, as kept by a
#   service (issue, return used, return unused, loss, expiry);
# * **counts** (:data:`COUNT_COLUMNS`): counts per area, service, period and
#   measure, as services publish them (monthly, quarterly or yearly) and as
#   :func:`overdose_trends.io.kit_counts.aggregate_kits` produces from events.
#
# Vocabulary follows the categories used by Public Health Scotland's National
# Naloxone Programme reports, the Welsh Harm Reduction Database and the
# England/Wales 2015 regulations on take-home naloxone supply.

#: Kit event types. ``returned_used`` also covers a use reported without the kit.
EVENT_TYPES = ("issued", "returned_used", "returned_unused", "lost", "expired")
#: Events that end a kit's life in the log (a kit should have at most one).
TERMINAL_EVENTS = ("returned_used", "returned_unused", "lost", "expired")

#: Who received an issued kit.
RECIPIENT_TYPES = (
    "person_at_risk",  # a person who uses opioids
    "family_friend",
    "service_worker",  # outreach worker or other professional
    "organisation",  # business, hostel, police and similar
    "prison_leaver",
    "unknown",
)
#: First supply to a recipient, or a repeat (resupply).
SUPPLY_TYPES = ("first", "repeat", "unknown")
#: Formulation of the kit.
PRODUCTS = ("injectable", "nasal", "unknown")
#: Doses per kit of the common UK products when the log does not say
#: (Prenoxad 2 mL pre-filled syringe of five 0.4 mg doses; Nyxoid two 1.8 mg sprays).
DEFAULT_DOSES = MappingProxyType({"injectable": 5, "nasal": 2})

#: Columns of the tidy event table returned by ``read_kit_log`` (in order).
#: event_id str (the log's own id; missing when it has none); event_date datetime64[ns]
#: (day); event_type str (EVENT_TYPES); kit_id str or <NA>; service str; area_code str (GSS code);
#: recipient_type, supply_type, product str (vocabularies above, <NA> on rows where
#: they do not apply); doses Int64 (doses per kit); source_row int64 (1-based row of the
#: input file, header = row 1, as a spreadsheet shows it; in a CSV file the record number,
#: so a quoted cell holding line breaks is one row).
EVENT_COLUMNS = (
    "event_id",
    "event_date",
    "event_type",
    "kit_id",
    "service",
    "area_code",
    "recipient_type",
    "supply_type",
    "product",
    "doses",
    "source_row",
)

#: Measures of the counts table.
MEASURES = (
    "kits_issued",
    "kits_first_supply",
    "kits_repeat_supply",
    "kits_returned_used",
    "kits_returned_unused",
    "kits_lost",
    "kits_expired",
)
#: Event type -> measure of the counts table.
EVENT_MEASURES = MappingProxyType(
    {
        "issued": "kits_issued",
        "returned_used": "kits_returned_used",
        "returned_unused": "kits_returned_unused",
        "lost": "kits_lost",
        "expired": "kits_expired",
    }
)
#: Status of a value in the counts table, from best to worst; disclosure control
#: (:func:`overdose_trends.stats.disclosure.suppress_small`) writes these too.
COUNT_STATUSES = ("exact", "rounded", "not_reported", "suppressed")

#: Columns of the tidy counts table (in order).
#: area_code str; service str ("all" for a total over services); period_start and
#: period_end datetime64 (first and last day, inclusive); measure str (MEASURES);
#: value Int64 (kits; <NA> when suppressed or not reported); status str (COUNT_STATUSES).
COUNT_COLUMNS = (
    "area_code",
    "service",
    "period_start",
    "period_end",
    "measure",
    "value",
    "status",
)

# --- inputs -------------------------------------------------------------------------------
#: Fields of an event log that ``read_kit_log`` requires (after the column ``mapping``).
REQUIRED_EVENT_FIELDS = ("event_date", "event_type", "service", "area_code")
#: Fields ``read_kit_log`` reads when present. A missing ``kit_id`` column means events cannot
#: be linked to their kit; without ``event_id``, ``source_row`` identifies each event.
OPTIONAL_EVENT_FIELDS = ("event_id", "kit_id", "recipient_type", "supply_type", "product", "doses")
#: Fields that describe the supply of a kit and apply to ``issued`` rows only.
ISSUE_FIELDS = ("recipient_type", "supply_type")

#: More doses than this in one kit is taken as a sentinel or typing error (the common UK
#: products hold 5 (Prenoxad) or 2 (Nyxoid) doses). A plausibility threshold of this
#: package, not a published convention.
MAX_DOSES_PER_KIT = 10

#: Spellings accepted for each categorical field, mapped to the vocabulary. Keys are
#: compared after lower-casing and turning runs of spaces, ``_``, ``-`` and ``/`` into one
#: space, so ``"Returned-Used"`` and ``"returned used"`` are the same key. The canonical
#: names themselves are always accepted. Anything else is an unknown category.
VALUE_SYNONYMS = MappingProxyType(
    {
        "event_type": MappingProxyType(
            {
                "issue": "issued",
                "supply": "issued",
                "supplied": "issued",
                "kit issued": "issued",
                "distributed": "issued",
                "dispensed": "issued",
                "used": "returned_used",
                "kit used": "returned_used",
                "return used": "returned_used",
                "reported used": "returned_used",
                "use reported": "returned_used",
                "unused": "returned_unused",
                "return unused": "returned_unused",
                "returned not used": "returned_unused",
                "lost stolen": "lost",
                "lost or stolen": "lost",
                "stolen": "lost",
                "expiry": "expired",
                "out of date": "expired",
                "returned expired": "expired",
            }
        ),
        "recipient_type": MappingProxyType(
            {
                "person who uses opioids": "person_at_risk",
                "person who uses drugs": "person_at_risk",
                "pwuo": "person_at_risk",
                "pwud": "person_at_risk",
                "service user": "person_at_risk",
                "client": "person_at_risk",
                "self": "person_at_risk",
                "family": "family_friend",
                "friend": "family_friend",
                "family or friend": "family_friend",
                "family member": "family_friend",
                "carer": "family_friend",
                "outreach": "service_worker",
                "outreach worker": "service_worker",
                "outreach or professional": "service_worker",
                "professional": "service_worker",
                "staff": "service_worker",
                "worker": "service_worker",
                "organization": "organisation",
                "business": "organisation",
                "business organisation": "organisation",
                "business or organisation": "organisation",
                "hostel": "organisation",
                "prison": "prison_leaver",
                "prison release": "prison_leaver",
                "released from prison": "prison_leaver",
                "not known": "unknown",
                "not recorded": "unknown",
                "n k": "unknown",
            }
        ),
        "supply_type": MappingProxyType(
            {
                "first supply": "first",
                "first time": "first",
                "new": "first",
                "initial": "first",
                "repeat supply": "repeat",
                "resupply": "repeat",
                "re supply": "repeat",
                "replacement": "repeat",
                "refill": "repeat",
                "not known": "unknown",
                "not recorded": "unknown",
            }
        ),
        "product": MappingProxyType(
            {
                "prenoxad": "injectable",
                "injection": "injectable",
                "im": "injectable",
                "intramuscular": "injectable",
                "syringe": "injectable",
                "muscle": "injectable",
                "nyxoid": "nasal",
                "nasal spray": "nasal",
                "in": "nasal",
                "intranasal": "nasal",
                "intra nasal": "nasal",
                "spray": "nasal",
                "nose": "nasal",
                "not known": "unknown",
            }
        ),
    }
)

#: Normalised header words that mark a column as a personal identifier (dropped on load).
#: A header is an identifier when one of its ``_``-separated words is listed here, or it
#: contains one of :data:`IDENTIFIER_PHRASES`.
IDENTIFIER_WORDS = frozenset(
    {
        "name",
        "names",
        "forename",
        "forenames",
        "surname",
        "firstname",
        "lastname",
        "fullname",
        "dob",
        "nhs",
        "chi",
        "address",
        "postcode",
        "phone",
        "telephone",
        "mobile",
        "tel",
        "email",
        "notes",
        "note",
        "comments",
        "comment",
    }
)
#: Normalised header phrases that mark an identifier column (see :data:`IDENTIFIER_WORDS`).
IDENTIFIER_PHRASES = ("date_of_birth", "birth_date", "free_text", "e_mail", "post_code")
#: First words of ``*_name`` headers that name a place, organisation or product, not a person.
NON_PERSONAL_NAMES = frozenset(
    {
        "service",
        "site",
        "area",
        "la",
        "local_authority",
        "authority",
        "product",
        "organisation",
        "organization",
        "org",
        "team",
        "provider",
        "outlet",
        "drug",
        "brand",
        "hostel",
        "business",
        "pharmacy",
    }
)

# --- published counts -----------------------------------------------------------------
#: Fields of a published counts table (long layout: one ``measure`` and ``value`` per row;
#: wide layout: one column per measure, named as in :data:`MEASURES`). A period is given
#: either as one ``period`` label or as ``period_start`` (and optionally ``period_end``).
COUNT_FIELDS = (
    "area_code",
    "service",
    "period",
    "period_start",
    "period_end",
    "measure",
    "value",
    "status",
)
#: Cell text meaning a count was withheld for disclosure control -> status "suppressed".
#: ``"<5"``, ``"< 10"`` and any other ``<n`` are suppressed too.
SUPPRESSED_MARKERS = frozenset({"*", "c", "[c]", "..", "supp", "suppressed"})
#: Cell text meaning a count was not collected or not published -> status "not_reported".
NOT_REPORTED_MARKERS = frozenset({"[x]", "x", "[z]", "n/a", "na", "not reported", "nr"})
#: Period lengths understood by ``aggregate_kits`` and ``read_kit_counts`` (``financial_year`` runs
#: April to March, as UK public-health reports use).
FREQUENCIES = ("month", "quarter", "year", "financial_year")
