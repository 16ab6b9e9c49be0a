"""Vocabulary of the national reference tables: what a header or row label says.

:func:`classify` turns a label cell (``"Heroin or morphine"``, ``"20-29"``,
``"1 (most deprived)"``, ``"Accidental poisoning by drugs..."``) into the
dimensions of the tidy table (substance, age band, deprivation quintile,
underlying cause...); :func:`key_role` and :func:`field_of` say what a column
header names. The readers in :mod:`overdose_trends.io._national_layouts` use them
for every edition and layout.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from overdose_trends.constants import GSS_CODE, PER_100K, PER_MILLION, SEX_LABELS
from overdose_trends.io._workbook import clean_label, period_of_cell, strip_footnotes

#: GSS codes and official names of the countries and English regions (regions as
#: in the ONS "Regions (December 2021) names and codes in England" list).
AREA_NAMES = MappingProxyType(
    {
        "K04000001": "England and Wales",
        "E92000001": "England",
        "W92000004": "Wales",
        "E12000001": "North East",
        "E12000002": "North West",
        "E12000003": "Yorkshire and The Humber",
        "E12000004": "East Midlands",
        "E12000005": "West Midlands",
        "E12000006": "East of England",
        "E12000007": "London",
        "E12000008": "South East",
        "E12000009": "South West",
    }
)
ENGLAND_AND_WALES = "K04000001"


def whole(value: Any) -> str:
    """Lower-case label without ``[note N]`` or ``&``, keeping trailing numbers
    (``"Under 20"``, ``"Quintile 5"``)."""
    text = clean_label(value).replace("&", " and ").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip()


def norm(value: Any) -> str:
    """Lower-case label without ``[note N]``, trailing footnote numbers or ``&``."""
    return strip_footnotes(whole(value))


#: A footnote number glued to a word, as in the 2016 edition (``"Any opiate4"``).
_GLUED_FOOTNOTE = re.compile(r"(?<=[a-z])\d{1,2}(?:,\d{1,2})*$")


AREA_ALIASES = {norm(name): code for code, name in AREA_NAMES.items()} | {
    "yorkshire and humber": "E12000003",
    "east": "E12000006",
}
_POISONING = re.compile(
    r"(all )?(deaths (related to|from) )?(all )?drug[- ]?(related )?poisonings?( deaths)?"
    r"|all deaths mentioning .*"  # totals of the 2016 edition's Tables 6b-6d
)
_MISUSE = re.compile(r"(of which:? ?)?(all )?(deaths related to )?drug misuse( deaths)?")

#: Underlying causes of death (ICD-10 groups of the ONS definition), by label pattern.
#: The 2016 and 2021 editions combine intentional self-poisoning and undetermined
#: intent in one row; separate rows are recognised too.
CAUSES = (
    (re.compile(r"mental and behavioural"), "mental_behavioural_disorders"),
    (re.compile(r"accidental"), "accidental_poisoning"),
    (re.compile(r"intentional.*undetermined"), "intentional_or_undetermined"),
    (re.compile(r"intentional|self-poisoning"), "intentional_self_poisoning"),
    (re.compile(r"undetermined"), "undetermined_intent"),
    (re.compile(r"assault"), "assault"),
)
#: Open vocabulary: any short label that is not a field, sex or year names a substance.
_SUBSTANCE_LIKE = re.compile(r"[a-z][a-z0-9 ,/'+-]{1,59}")
_NOT_SUBSTANCE = re.compile(
    r"\b(deaths?|rates?|confidence|limits?|number|persons|males?|females?|years?|total)\b"
)
_SUBSTANCE_SYNONYMS = (
    (re.compile(r"heroin_(and_|or_|and_or_)?morphine"), "heroin_morphine"),
    (re.compile(r"any_amphetamines?|amphetamines"), "amphetamine"),
    # the 2016 edition's Table 6a lists "Amphetamine" itself under "Any amphetamine"
    (re.compile(r"amphetamine"), "amphetamine_specific"),
    (re.compile(r"(any_)?benzodiazepines?"), "any_benzodiazepine"),
    (re.compile(r"(any_)?new_psychoactive_substances?"), "new_psychoactive_substance"),
    (re.compile(r"any_opi(ate|oid)s?"), "any_opiate"),
    (re.compile(r"(any_|all_)?antidepressants?"), "any_antidepressant"),
    (re.compile(r"(any_)?antipsychotics?"), "any_antipsychotic"),
    (re.compile(r"ecstasy_mdma|mdma_ecstasy|mdma|ecstasy"), "ecstasy_mdma"),
    (re.compile(r"(any_)?cathinones?"), "any_cathinone"),
    (re.compile(r"tricyclic_antidepressants?"), "tricyclic_antidepressant"),
    (re.compile(r"monoamine_oxidase_inhibitors?"), "monoamine_oxidase_inhibitor"),
    (
        re.compile(r"selective_serotonin_re_uptake_inhibitors?"),
        "selective_serotonin_re_uptake_inhibitor",
    ),
    (re.compile(r"other_antidepressants?"), "other_antidepressant"),
)
#: 2016 Tables 6a, 6c, 6d: "Paracetamol (includes dextropropoxyphene mentioned without
#: paracetamol)" is the 2021 edition's "Paracetamol" (its note 10); the bare
#: "Paracetamol" row below it excludes those deaths (note 5 of Table 6a).
_PARACETAMOL_WITH_DXP = re.compile(r"paracetamol \(includes dextropropoxyphene")
PARACETAMOL_EXCL = "paracetamol_excl_dextropropoxyphene_alone"


def substance_name(label: str) -> str:
    """Normalised snake_case substance name, e.g. ``"Heroin or morphine"`` ->
    ``"heroin_morphine"``, ``"Codeine not from compound formulation 8,9"`` ->
    ``"codeine_not_from_compound_formulation"``."""
    text = re.sub(r"\(.*?\)", " ", _GLUED_FOOTNOTE.sub("", norm(label)))
    snake = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    for pattern, name in _SUBSTANCE_SYNONYMS:
        if pattern.fullmatch(snake):
            return name
    return snake


_AGE_UNDER = re.compile(r"(?:under|<|less than) ?(\d{1,3})")
_AGE_RANGE = re.compile(r"(\d{1,3}) ?(?:-|to) ?(\d{1,3})")
_AGE_OVER = re.compile(r"(\d{1,3}) ?(?:\+|and over|or over|and older|years and over)")


def age_band(text: str) -> str | None:
    """Age band of a normalised label: ``"all"``, ``"0-19"`` (``Under 20``), ``"0"``
    (``<1``), ``"1-4"`` (``01-04``), ``"20-29"``, ``"70+"`` (``70 and over``)."""
    if text in {"all ages", "all", "all age groups"}:
        return "all"
    text = re.sub(r"\s+", " ", re.sub(r"\b(years?|aged)\b", " ", text)).strip()
    m = _AGE_UNDER.fullmatch(text)
    if m:
        upper = int(m.group(1)) - 1
        return "0" if upper == 0 else f"0-{upper}"
    m = _AGE_RANGE.fullmatch(text)
    if m and int(m.group(1)) <= int(m.group(2)) <= 120:
        return f"{int(m.group(1))}-{int(m.group(2))}"
    m = _AGE_OVER.fullmatch(text)
    if m and int(m.group(1)) <= 120:
        return f"{int(m.group(1))}+"
    return None


_QUINTILE = re.compile(
    r"(?:(?:w?imd|deprivation) )*(?:quintile )?([1-5])(?: ?[-(:,]? ?(?:most|least) deprived\)?)?"
)


def quintile(value: Any) -> int | None:
    """Deprivation quintile of a label: ``"1 (most deprived)"``, ``2.0``, ``"Quintile 5"``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and 1 <= value <= 5 else None
    m = _QUINTILE.fullmatch(whole(value))
    return int(m.group(1)) if m else None


def cause_name(text: str) -> str | None:
    """Underlying cause named by a normalised label, or None."""
    if text in {"all causes", "all underlying causes"}:
        return "all"
    for pattern, name in CAUSES:
        if pattern.search(text):
            return name
    return None


def classify(
    value: Any, substances: bool, ages: bool = False, quintiles: bool = False
) -> dict[str, Any] | None:
    """What a row or header label says: a period, sex, measure, area, underlying
    cause, age band (if ``ages``), deprivation quintile (if ``quintiles``) or
    substance (if ``substances``). ``None`` if it is none of these."""
    if quintiles:
        q = quintile(value)
        if q is not None:
            return {"quintile": q}
    period = period_of_cell(value)
    if period is not None:
        return {"period": period}
    if ages:
        band = age_band(whole(value))
        if band is not None:
            return {"age_band": band}
    text = norm(value)
    if substances:
        text = _GLUED_FOOTNOTE.sub("", text)
    if not text:
        return None
    if GSS_CODE.match(text.upper()):
        return {"area_code": text.upper()}
    if text in SEX_LABELS:
        return {"sex": SEX_LABELS[text]}
    if _MISUSE.fullmatch(text):
        return {"measure": "misuse", "substance": "all"}
    if _POISONING.fullmatch(text):
        return {"measure": "poisoning", "substance": "all"}
    if text in AREA_ALIASES:
        return {"area_code": AREA_ALIASES[text], "area_name": str(value).strip()}
    cause = cause_name(text)
    if cause is not None:
        return {"cause": cause}
    if substances and _PARACETAMOL_WITH_DXP.match(text):
        return {"substance": "paracetamol"}
    core = re.sub(r"\(.*?\)", " ", text).strip()  # without "(including ...)" qualifiers
    if substances and _SUBSTANCE_LIKE.fullmatch(core) and not _NOT_SUBSTANCE.search(core):
        return {"substance": substance_name(text)}
    return None


#: Row-key roles whose title may stand at the left of a header row, describing the
#: labels of that row (``Age groups | Under 20 | 20-29 ...``) rather than a column.
STUB_ROLES = MappingProxyType(
    {
        "category": frozenset({"measure", "substance", "cause"}),
        "age_band": frozenset({"age_band"}),
        "quintile": frozenset({"quintile"}),
    }
)


def key_role(label: str) -> str | None:
    """Role of a row-key column from its (normalised) header, or ``None``."""
    if re.search(r"deaths|rate|limit|interval|delay", label):
        return None
    if re.fullmatch(r"(registration|occurrence) year|year of (registration|occurrence)", label):
        return "period"  # the occurrence tables read these as value columns first
    if re.search(r"\b(years?|periods?)\b", label):
        return "period"
    if label in {"sex", "gender"}:
        return "sex"
    if re.fullmatch(r"(broad |five-year |5-year )?age( groups?| bands?)?( \(years\))?", label):
        return "age_band"
    if re.fullmatch(r"((w?imd|deprivation) )*quintiles?( of deprivation)?", label):
        return "quintile"
    area = r"(area|geography|country|region|country or region|country/region)"
    if label == "code" or re.fullmatch(area + r" codes?", label):
        return "area_code"
    if label == "name" or re.fullmatch(area + r"( names?)?", label):
        return "area_name"
    if re.fullmatch(
        r"(selected )?(substances?|drugs?)( mentioned)?|measure|(underlying )?cause( of death)?"
        r"|death type|type of death|definition|drug poisoning or (drug )?misuse",
        label,
    ):
        return "category"
    return None


def year_basis(label: str) -> str | None:
    """``"registration"`` / ``"occurrence"`` for the value headers of the occurrence tables."""
    m = re.fullmatch(r"(registration|occurrence) year|year of (registration|occurrence)", label)
    return None if m is None else (m.group(1) or m.group(2))


def field_of(label: str) -> str | None:
    """Value field named by a column header: deaths, rate, lcl, ucl, marker or delay_days."""
    if re.match(r"lower\b|lcl\b", label):
        return "lcl"
    if re.match(r"upper\b|ucl\b", label):
        return "ucl"
    if re.search(r"\b(markers?|reliability|shorthand|flags?)\b", label):
        return "marker"
    if re.search(r"\bdelay\b", label):
        return "delay_days"
    if re.search(r"\brates?\b", label):
        return "rate"
    if re.fullmatch(r"(number of )?deaths( registered)?|count|number", label):
        return "deaths"
    return None


def rate_per(label: str) -> int:
    """Denominator named in a rate header; national tables default to per million."""
    if re.search(r"100,?000|100 000|hundred thousand", label):
        return PER_100K
    return PER_MILLION


_NOTE = re.compile(
    r"^(\d{1,2}(\s|$|[.:)])|source\b|notes?\b|https?:|www\.|these tables|published|enquiries"
    r"|back to|\[note)",
    re.IGNORECASE,
)


def is_note(value: Any) -> bool:
    """Whether a lone text cell below a table is a footnote or source line."""
    if not isinstance(value, str):
        return False
    return bool(_NOTE.match(value.strip())) or len(value.strip()) > 100


def title_dims(title: str) -> dict[str, Any]:
    """Dimensions implied by a title that names only one measure (or only new
    psychoactive substances, as the 2016 edition's Table 9)."""
    poisoning, misuse = "poisoning" in title, "misuse" in title
    if misuse and not poisoning:
        return {"measure": "misuse"}
    if poisoning and not misuse:
        return {"measure": "poisoning"}
    if not misuse and re.search(r"new psychoactive substances", title):
        return {"measure": "poisoning", "substance": "new_psychoactive_substance"}
    return {}
