"""The ONS drug-poisoning and drug-misuse definitions as one rule table, with sources.

:data:`RULES` is the single place the definitions applied to individual death
records are written down; :func:`~overdose_trends.io.records.classify.classify_deaths`
builds its SQL from it, and :func:`rule_table` shows it as a table. The
substances (names, synonyms, Misuse of Drugs Act class, ICD-10 T-code, ONS
substance groups, new-psychoactive-substance flag, compound-analgesic rule)
are the shipped table ``data/records/substances.csv`` (:func:`substance_table`;
see ``data/README.md``).

Definitions
-----------
From the ``Definition`` sheet of the ONS reference tables *Deaths related to
drug poisoning in England and Wales: 2021 registrations*
(``2021registrations.xlsx``, released 3 August 2022):

* **Drug poisoning** (Box 1): underlying cause F11-F16, F18-F19 (mental and
  behavioural disorders due to drug use, excluding alcohol F10 and tobacco
  F17), X40-X44 (accidental poisoning), X60-X64 (intentional
  self-poisoning), X85 (assault by drugs), Y10-Y14 (undetermined intent).
  X45 (alcohol) and X46-X49 (solvents, gases, pesticides, other chemicals) are
  not drugs.
* **Drug misuse** (Box 2, the headline indicator): underlying cause F11-F16
  or F19 (a); or X40-X44, X60-X64, Y10-Y14, X85 or F18 (volatile solvents)
  *with a drug controlled under the Misuse of Drugs Act 1971 mentioned* (b).
  Box 2 note 2: codeine and dihydrocodeine count only when not part of a
  compound analgesic (co-codamol, co-dydramol) or cold remedy;
  dextropropoxyphene never counts. Table 3 note 5 (opioids exclude
  paracetamol compounds) and note 6 (codeine with ibuprofen is taken as a
  compound) are applied the same way: with names, codeine counts unless a
  compound analgesic, a cold remedy, paracetamol or ibuprofen is also named;
  dihydrocodeine unless a compound analgesic, a cold remedy or paracetamol is.
* **Intent** (Box 1 rows): accidental X40-X44, intentional X60-X64,
  undetermined Y10-Y14, assault X85, mental and behavioural F11-F16 and
  F18-F19; missing for deaths that are not drug poisonings.
* **Substance groups**: the columns of Table 3 (heroin or morphine,
  methadone, tramadol, codeine and dihydrocodeine not from a compound, fentanyl,
  other specified and unspecified opiates, any opiate, cocaine, any
  amphetamine, ecstasy/MDMA, cannabis, any new psychoactive substance (the
  Box 3 list), any benzodiazepine, zopiclone/zolpidem, antidepressants,
  antipsychotics, paracetamol), for drug-poisoning deaths only.

The T-code approximation
------------------------
A file without substance names (most extracts of coded deaths) cannot apply
Box 2 (b) exactly. The classifier then takes a controlled drug as mentioned
when a contributory cause is one of :data:`CONTROLLED_T_CODES`: T40.0-T40.9
(opium, heroin, other opioids, methadone, other synthetic narcotics, cocaine,
unspecified narcotics, cannabis, LSD, other psychodysleptics), T42.4
(benzodiazepines, Class C) and T43.6 (psychostimulants with abuse potential:
amphetamines, MDMA, cathinones). It over-counts deaths from codeine or
dihydrocodeine in compound analgesics (T40.2) and caffeine (T43.6), and
misses controlled drugs coded elsewhere (ketamine T41.2, GHB, z-drugs and
gabapentinoids T42.6-T42.7). Rows classified this way say so in
``misuse_basis`` (``"t_codes"``); substance groups that no T-code identifies
(tramadol, codeine, dihydrocodeine, fentanyl, other opiates, MDMA, NPS,
zopiclone/zolpidem) are then missing, not False. This approximation is the
package's, not an ONS method.

References
----------
Office for National Statistics (2022), *Deaths related to drug poisoning in
England and Wales: 2021 registrations*, reference tables
``2021registrations.xlsx``, sheet ``Definition`` (Boxes 1-3 and notes 1-4),
and Table 3 (substance columns and notes 5-7). Open Government Licence v3.0.
ONS, *Deaths related to drug poisoning in England and Wales QMI* (October
2020). Misuse of Drugs Act 1971, Schedule 2 as amended (legislation.gov.uk).
World Health Organization, ICD-10 (2019), chapter XIX, T36-T50.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from overdose_trends.io.datasets import data_dir
from overdose_trends.io.records._icd10 import code_range

__all__ = [
    "CONTROLLED_T_CODES",
    "INTENTS",
    "RULES",
    "SUBSTANCES_FILE",
    "SUBSTANCE_GROUPS",
    "T_CODE_GROUPS",
    "Rule",
    "rule_table",
    "substance_table",
]

#: The shipped substance table, inside the package's data folder.
SUBSTANCES_FILE = "records/substances.csv"
_BOX1 = "ONS 2021registrations.xlsx, sheet Definition, Box 1"
_BOX2 = "ONS 2021registrations.xlsx, sheet Definition, Box 2"

#: ONS substance groups, in the order of Table 3; each gives a boolean column
#: ``substance_<group>``. ``any_opiate`` is the union of the opiate groups.
SUBSTANCE_GROUPS = (
    "any_opiate",
    "heroin_morphine",
    "methadone",
    "tramadol",
    "codeine",
    "dihydrocodeine",
    "fentanyl",
    "other_opiate",
    "unspecified_opiate",
    "cocaine",
    "amphetamine",
    "mdma",
    "cannabis",
    "nps",
    "benzodiazepine",
    "zopiclone_zolpidem",
    "antidepressant",
    "antipsychotic",
    "paracetamol",
)
#: Groups whose union is ``any_opiate`` (Table 3, "Any opiate (including unspecified
#: opiates and excluding paracetamol compounds)").
OPIATE_GROUPS = SUBSTANCE_GROUPS[1:9]

#: Values of the ``intent`` column, with the underlying-cause categories of each (Box 1).
INTENTS = {
    "accidental": code_range("X40-X44"),
    "intentional": code_range("X60-X64"),
    "undetermined": code_range("Y10-Y14"),
    "assault": code_range("X85"),
    "mental_behavioural": code_range("F11-F16, F18-F19"),
}

#: Contributory-cause T-codes (normal form, 4 characters) taken as a controlled drug
#: when the record has no substance names: the documented approximation (module notes).
CONTROLLED_T_CODES = (
    *(f"T40{d}" for d in range(10)),
    "T424",
    "T436",
)
#: Substance groups identified from T-codes alone (normal form), for records without
#: substance names; groups not listed are missing on such records. ``any_opiate``:
#: T40.0-T40.4 and T40.6 (opium, heroin, other opioids, methadone, other synthetic
#: narcotics, unspecified narcotics). WHO ICD-10 (2019), chapter XIX.
T_CODE_GROUPS = {
    "any_opiate": ("T400", "T401", "T402", "T403", "T404", "T406"),
    "heroin_morphine": ("T401",),
    "methadone": ("T403",),
    "cocaine": ("T405",),
    "amphetamine": ("T436",),
    "cannabis": ("T407",),
    "benzodiazepine": ("T424",),
    "antidepressant": ("T430", "T431", "T432"),
    "antipsychotic": ("T433", "T434", "T435"),
    "paracetamol": ("T391",),
}


@dataclass(frozen=True)
class Rule:
    """One rule of the definitions.

    Attributes
    ----------
    output : str
        The column (and value) the rule sets, e.g. ``"drug_poisoning"`` or
        ``"intent=accidental"``.
    condition : str
        When it applies, in words.
    codes : tuple of str
        ICD-10 codes in normal form that the condition names (three-character
        categories of the underlying cause, or four-character T-codes of the
        contributory causes); empty when the condition is on substance names.
    source : str
        Where the rule comes from.
    """

    output: str
    condition: str
    codes: tuple[str, ...]
    source: str


#: The rule table: every rule the classifier applies, with its source.
RULES = (
    Rule(
        "drug_poisoning",
        "underlying cause in",
        code_range("F11-F16, F18-F19, X40-X44, X60-X64, X85, Y10-Y14"),
        _BOX1,
    ),
    Rule("drug_misuse", "underlying cause in (always)", code_range("F11-F16, F19"), _BOX2 + " (a)"),
    Rule(
        "drug_misuse",
        "underlying cause in, and a controlled drug mentioned",
        code_range("X40-X44, X60-X64, Y10-Y14, X85, F18"),
        _BOX2 + " (b)",
    ),
    Rule(
        "controlled_drug (names)",
        "a substance of substances.csv with an MDA class is named; codeine not with a compound "
        "analgesic, cold remedy, paracetamol or ibuprofen; dihydrocodeine not with a compound "
        "analgesic, cold remedy or paracetamol; dextropropoxyphene never",
        (),
        _BOX2 + " notes 2-3; Table 3 notes 5-6; Misuse of Drugs Act 1971 Sch. 2",
    ),
    Rule(
        "controlled_drug (t_codes)",
        "no substance names on the record: a contributory cause in",
        CONTROLLED_T_CODES,
        "package approximation (rules module notes); WHO ICD-10 chapter XIX",
    ),
    *(
        Rule(f"intent={k}", "drug poisoning with underlying cause in", v, _BOX1)
        for k, v in INTENTS.items()
    ),
    *(
        Rule(
            f"substance_{g}",
            "drug poisoning naming a substance of the group (substances.csv ons_groups); "
            "without names a contributory cause in",
            T_CODE_GROUPS.get(g, ()),
            "ONS 2021registrations.xlsx, Table 3 and notes 5-7; Box 3 (nps)",
        )
        for g in SUBSTANCE_GROUPS
    ),
)


def rule_table() -> pd.DataFrame:
    """The rule table as a DataFrame (one row per rule).

    Returns
    -------
    pandas.DataFrame
        Columns ``output``, ``condition``, ``codes`` (comma-separated, normal form)
        and ``source``.

    Examples
    --------
    >>> from overdose_trends.io.records.rules import rule_table
    >>> rule_table().loc[1, ["output", "codes"]].tolist()
    ['drug_misuse', 'F11, F12, F13, F14, F15, F16, F19']
    """
    return pd.DataFrame(
        {
            "output": [r.output for r in RULES],
            "condition": [r.condition for r in RULES],
            "codes": [", ".join(r.codes) for r in RULES],
            "source": [r.source for r in RULES],
        }
    )


@cache
def _substances() -> pd.DataFrame:
    table = pd.read_csv(data_dir() / SUBSTANCES_FILE, dtype=str, keep_default_na=False)
    table["nps"] = table["nps"] == "1"
    return table


def substance_table() -> pd.DataFrame:
    """The shipped substance table (``data/records/substances.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per substance: ``name`` (lower case), ``synonyms`` (``|``-separated),
        ``mda_class`` (``A``, ``B``, ``C`` or empty when not controlled or not
        assigned), ``t_code`` (ICD-10, dotted), ``ons_groups`` (``|``-separated
        :data:`SUBSTANCE_GROUPS`), ``nps`` (bool, in ONS Box 3), ``compound_rule``
        (``excluded_in_compound``, ``always_excluded``, ``compound_name``,
        ``compound_marker``, ``codeine_compound_marker`` or empty) and ``source``.

    Examples
    --------
    >>> from overdose_trends.io.records.rules import substance_table
    >>> s = substance_table().set_index("name")
    >>> s.loc["codeine", ["mda_class", "t_code", "compound_rule"]].tolist()
    ['B', 'T40.2', 'excluded_in_compound']
    >>> int(s["nps"].sum())
    89
    """
    return _substances().copy()
