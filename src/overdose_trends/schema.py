"""Column layouts and vocabularies of the tidy tables, in one place.

Every ONS loader returns one row per area, measure, sex and registration
period with the columns below (documented in :mod:`overdose_trends.io.ons_local`);
the national tables add ``table`` and ``substance``.
"""

from __future__ import annotations

from types import MappingProxyType

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
