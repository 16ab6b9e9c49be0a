"""The ONS definitions on hand-made records at their edges, on three engines.

Expected values come from the Definition sheet of ONS ``2021registrations.xlsx``
(Box 1: drug poisoning F11-F16, F18-F19, X40-X44, X60-X64, X85, Y10-Y14; Box 2:
drug misuse F11-F16, F19, or a poisoning code / F18 with a controlled drug; note 2:
codeine and dihydrocodeine only outside compound analgesics, dextropropoxyphene
never) and Table 3 notes 5-7, not from the package's own output.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from overdose_trends.io.records._sql import FLAG_COLUMNS
from overdose_trends.io.records.classify import classification_sql, classify_deaths
from overdose_trends.io.records.rules import RULES, rule_table, substance_table

ENGINES = ["duckdb", "sqlite", "polars"]

# underlying cause, substances, cause_1, expected (poisoning, misuse, intent, misuse_basis)
CASES = [
    ("X44", "heroin", None, (True, True, "accidental", "substance_names")),
    ("X45", "", None, (False, False, None, None)),  # alcohol poisoning: not a drug
    ("X40", "paracetamol", None, (True, False, "accidental", "substance_names")),
    ("X49", "", None, (False, False, None, None)),
    ("F17.2", "", None, (False, False, None, None)),  # tobacco
    ("F10.2", "", None, (False, False, None, None)),  # alcohol
    ("F18.1", "butane", None, (True, False, "mental_behavioural", "substance_names")),
    ("F18.1", "cocaine", None, (True, True, "mental_behavioural", "substance_names")),
    ("F11.2", None, None, (True, True, "mental_behavioural", "underlying_cause")),
    ("F19", "", None, (True, True, "mental_behavioural", "underlying_cause")),
    ("X42.0", "codeine", None, (True, True, "accidental", "substance_names")),
    ("X42.0", "codeine, paracetamol", None, (True, False, "accidental", "substance_names")),
    ("X42.0", "co-codamol", None, (True, False, "accidental", "substance_names")),
    ("X42.0", "Codeine; Ibuprofen", None, (True, False, "accidental", "substance_names")),
    ("X42.0", "dihydrocodeine, ibuprofen", None, (True, True, "accidental", "substance_names")),
    ("X42.0", "co-dydramol", None, (True, False, "accidental", "substance_names")),
    ("X42.0", "dextropropoxyphene", None, (True, False, "accidental", "substance_names")),
    ("x62.0", "MDMA", None, (True, True, "intentional", "substance_names")),
    ("Y12", "mephedrone", None, (True, True, "undetermined", "substance_names")),
    ("Y12", "legal high", None, (True, False, "undetermined", "substance_names")),
    ("X85", "heroin", None, (True, True, "assault", "substance_names")),
    ("X420", None, "T40.1", (True, True, "accidental", "t_codes")),  # T-code approximation
    (" x42.0 ", None, "t401", (True, True, "accidental", "t_codes")),
    ("X42", None, "T39.1", (True, False, "accidental", "t_codes")),
    ("C34.9", "heroin", "T40.1", (False, False, None, None)),  # not a poisoning: names ignored
]


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "underlying_cause": [c[0] for c in CASES],
            "substances": [c[1] for c in CASES],
            "cause_1": [c[2] for c in CASES],
        }
    )


@pytest.fixture(scope="module", params=ENGINES)
def classified(request, cases: pd.DataFrame) -> pd.DataFrame:
    return classify_deaths(cases, engine=request.param)


def test_definitions_at_their_edges(classified: pd.DataFrame) -> None:
    for i, (uc, subs, cause, (poison, misuse, intent, basis)) in enumerate(CASES):
        row = classified.iloc[i]
        label = f"{uc!r} {subs!r} {cause!r}"
        assert bool(row["drug_poisoning"]) is poison, label
        assert bool(row["drug_misuse"]) is misuse, label
        assert (None if pd.isna(row["intent"]) else row["intent"]) == intent, label
        assert (None if pd.isna(row["misuse_basis"]) else row["misuse_basis"]) == basis, label


def test_substance_groups(classified: pd.DataFrame) -> None:
    c = classified
    assert c.loc[0, "substance_heroin_morphine"] and c.loc[0, "substance_any_opiate"]
    assert c.loc[10, "substance_codeine"]  # codeine alone
    assert not c.loc[11, "substance_codeine"]  # codeine with paracetamol: compound
    assert not c.loc[11, "substance_any_opiate"]  # opiates exclude paracetamol compounds
    assert c.loc[11, "substance_paracetamol"] and c.loc[12, "substance_paracetamol"]
    assert not c.loc[13, "substance_codeine"]  # with ibuprofen (Table 3 note 6)
    assert c.loc[14, "substance_dihydrocodeine"] and not c.loc[14, "substance_codeine"]
    assert c.loc[16, "substance_paracetamol"]  # dextropropoxyphene (note 7)
    assert c.loc[17, "substance_mdma"] and c.loc[17, "substance_amphetamine"]
    assert c.loc[18, "substance_nps"] and c.loc[19, "substance_nps"]
    # T-codes: heroin known from T40.1; tramadol cannot be told, so missing, not False
    assert c.loc[21, "substance_heroin_morphine"] and c.loc[21, "substance_basis"] == "t_codes"
    assert pd.isna(c.loc[21, "substance_tramadol"])
    assert c.loc[23, "substance_paracetamol"]
    # not a drug poisoning: every group False
    groups = [f for f in FLAG_COLUMNS if f.startswith("substance_") and f != "substance_basis"]
    assert not c.loc[24, groups].astype(bool).any()


def test_engines_agree(cases: pd.DataFrame) -> None:
    results = [classify_deaths(cases, engine=e)[list(FLAG_COLUMNS)] for e in ENGINES]
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0], other, check_dtype=False)


def test_output_keeps_input_columns_and_index(cases: pd.DataFrame) -> None:
    framed = cases.assign(**{"Record ID": range(len(cases))}).set_index(
        pd.Index(range(100, 100 + len(cases)))
    )
    out = classify_deaths(framed)
    assert list(out.columns[: framed.shape[1]]) == list(framed.columns)
    assert out.index.equals(framed.index)


def test_delimited_contributory_causes() -> None:
    frame = pd.DataFrame({"underlying_cause": ["X42"], "contributory_causes": ["I10; T40.1"]})
    out = classify_deaths(frame)
    assert out.loc[0, "drug_misuse"] and out.loc[0, "misuse_basis"] == "t_codes"


def test_bad_arguments(cases: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="definition"):
        classify_deaths(cases, definition="nrs")
    with pytest.raises(ValueError, match="underlying_cause"):
        classify_deaths(pd.DataFrame({"cause_1": ["T40.1"]}))
    with pytest.raises(ValueError, match="engine"):
        classify_deaths(cases, engine="oracle")


def test_callable_engine_takes_a_table_name(cases: pd.DataFrame) -> None:
    import duckdb

    con = duckdb.connect()
    con.register("deaths", cases)
    out = classify_deaths("deaths", engine=lambda q: con.sql(q).df())
    assert out["drug_misuse"].tolist() == [c[3][1] for c in CASES]


def test_sql_is_plain() -> None:
    """No DuckDB-only syntax, so Spark SQL, SQLite and Polars accept the same text."""
    sql = classification_sql("deaths", ["underlying_cause", "cause_1", "substances"]).upper()
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)  # string literals may hold anything
    for token in ("::", " GLOB ", "REGEXP", "ILIKE", "EXCLUDE", "LIST_", '"'):
        assert token not in sql


def test_rule_table_has_a_source_for_every_rule() -> None:
    table = rule_table()
    assert len(table) == len(RULES)
    assert table["source"].str.len().gt(10).all()
    # Box 1 codes (ONS 2021registrations.xlsx, Definition)
    poisoning = table.loc[table["output"] == "drug_poisoning", "codes"].iloc[0].split(", ")
    assert len(poisoning) == 24 and "X45" not in poisoning and "F17" not in poisoning


def test_substance_table_has_the_box3_list() -> None:
    subs = substance_table()
    assert subs["nps"].sum() == 89  # Box 3 of the Definition sheet lists 89 names
    assert set(subs.loc[subs["name"] == "dextropropoxyphene", "compound_rule"]) == {
        "always_excluded"
    }
    assert subs["mda_class"].isin(["", "A", "B", "C"]).all()


def test_import_does_not_import_duckdb() -> None:
    code = "import sys, overdose_trends as ot; ot.__version__; assert 'duckdb' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
