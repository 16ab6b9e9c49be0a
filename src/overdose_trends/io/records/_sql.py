"""The classification and aggregation as SQL text, built once from the rule table.

The SQL keeps to what DuckDB, SQLite, Polars (``SQLContext``) and Spark SQL all
accept: ``WITH``, ``CASE``, ``IN`` lists, ``LIKE``, ``SUBSTR``, ``UPPER``,
``LOWER``, ``REPLACE``, ``TRIM``, ``NULLIF``, ``COALESCE``, ``||``, ``SUM`` and
``GROUP BY``; no dialect functions (no regular expressions, lists, ``EXCLUDE``
or date functions), identifiers unquoted (the canonical column names are plain
lower-case words), string literals in single quotes.

A query is a list of common table expressions (name, body) and a final
``SELECT``; :func:`with_query` joins them, so the aggregation can put the
classification's expressions before its own in one ``WITH`` clause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from overdose_trends.io.records._icd10 import norm_code_sql
from overdose_trends.io.records.rules import (
    CONTROLLED_T_CODES,
    INTENTS,
    OPIATE_GROUPS,
    RULES,
    SUBSTANCE_GROUPS,
    T_CODE_GROUPS,
    substance_table,
)

__all__ = [
    "CAUSE_COLUMNS",
    "FLAG_COLUMNS",
    "SAFE_NAME",
    "band_sql",
    "classify_parts",
    "norm_text",
    "sql_literal",
    "with_query",
]

#: Contributory-cause columns of the canonical record layout.
CAUSE_COLUMNS = tuple(f"cause_{i}" for i in range(1, 16))
#: Columns the classification adds, in order.
FLAG_COLUMNS = (
    "drug_poisoning",
    "drug_misuse",
    "intent",
    "misuse_basis",
    "substance_basis",
    *(f"substance_{g}" for g in SUBSTANCE_GROUPS),
)
#: Column names the SQL can use unquoted in every engine.
SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Characters of substance text read as separators (replaced by a space), in SQL and Python.
_SEPARATORS = (",", ";", "/", "|", "(", ")", "+", ":", "&", '"', "\n", "\r", "\t")


def _rule_codes(output: str, condition_start: str) -> tuple[str, ...]:
    for rule in RULES:
        if rule.output == output and rule.condition.startswith(condition_start):
            return rule.codes
    raise KeyError(output)  # pragma: no cover - the rule table is fixed


POISONING = _rule_codes("drug_poisoning", "underlying cause in")
MISUSE_ALWAYS = _rule_codes("drug_misuse", "underlying cause in (always)")
MISUSE_IF_CONTROLLED = _rule_codes("drug_misuse", "underlying cause in, and")


def norm_text(text: str) -> str:
    """Substance text (or a term) in the form the SQL compares: lower case, separators as spaces."""
    out = text.lower()
    for ch in _SEPARATORS:
        out = out.replace(ch, " ")
    return out.strip()


def sql_literal(text: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


_lit = sql_literal


def _in(expr: str, codes: Sequence[str]) -> str:
    return f"{expr} IN ({', '.join(map(_lit, codes))})"


def _text_sql(column: str) -> str:
    """SQL for the padded normal form of a substance column (NULL when blank)."""
    inner = f"LOWER({column})"
    for ch in _SEPARATORS:
        inner = f"REPLACE({inner}, {_lit(ch)}, ' ')"
    return f"' ' || NULLIF(TRIM({inner}), '') || ' '"


def _any_code(causes: Sequence[str], codes: Sequence[str]) -> str:
    if not causes or not codes:
        return "FALSE"
    parts = " OR ".join(_in(f"SUBSTR(_{c}, 1, 4)", codes) for c in causes)
    return f"COALESCE({parts}, FALSE)"


def _mentions(table: pd.DataFrame) -> dict[str, str]:
    """Substance name -> SQL testing that the padded text ``_txt`` names it."""
    out = {}
    for name, synonyms in zip(table["name"], table["synonyms"], strict=True):
        terms = [str(name), *[t for t in str(synonyms).split("|") if t]]
        likes = sorted({f"_txt LIKE {_lit('% ' + norm_text(t) + ' %')}" for t in terms})
        out[str(name)] = "(" + " OR ".join(likes) + ")"
    return out


def classify_parts(
    table: str, keep: Sequence[str], columns: Sequence[str], *, poisoning_only: bool = False
) -> tuple[list[tuple[str, str]], str]:
    """Common table expressions and final SELECT that classify the rows of ``table``.

    Parameters
    ----------
    table : str
        Table (or view) holding the records.
    keep : sequence of str
        Columns passed through to the output (plain identifiers).
    columns : sequence of str
        Columns the table has (which causes, whether there is ``substances``).
    poisoning_only : bool, default False
        Keep only drug-poisoning deaths (every count is among them): the
        aggregation then classifies about 1% of a file of all registrations.

    Returns
    -------
    (list of (name, body), str)
        The CTEs and the final ``SELECT``: ``keep`` then :data:`FLAG_COLUMNS`.
    """
    causes = [c for c in CAUSE_COLUMNS if c in columns]
    named = "substances" in columns
    keep_sql = ", ".join(keep)
    uc3 = f"SUBSTR({norm_code_sql('underlying_cause')}, 1, 3)"
    norm = [f"{keep_sql}", f"{uc3} AS _uc3"]
    norm += [f"{norm_code_sql(c)} AS _{c}" for c in causes]
    if named:  # substance text only where it matters: on drug poisonings
        norm.append(f"CASE WHEN {_in(uc3, POISONING)} THEN {_text_sql('substances')} END AS _txt")
    where = f" WHERE {_in(uc3, POISONING)}" if poisoning_only else ""
    ctes = [("_rec_norm", f"SELECT {', '.join(norm)} FROM {table}{where}")]

    carry = [keep_sql, "_uc3", *(f"_{c}" for c in causes)]
    flags = [keep_sql, "_uc3", f"COALESCE({_in('_uc3', POISONING)}, FALSE) AS _poison"]
    flags.append(f"{_any_code(causes, CONTROLLED_T_CODES)} AS _ctrl_t")
    flags += [f"{_any_code(causes, codes)} AS _t_{g}" for g, codes in T_CODE_GROUPS.items()]
    if named:
        subs = substance_table()
        col = {n: f"_s{i}" for i, n in enumerate(subs["name"])}
        mention = [f"{sql} AS {col[n]}" for n, sql in _mentions(subs).items()]
        ctes.append(
            ("_rec_mention", f"SELECT {', '.join([*carry, '_txt', *mention])} FROM _rec_norm")
        )
        rule = dict(zip(subs["name"], subs["compound_rule"], strict=True))
        compound = " OR ".join(col[n] for n, r in rule.items() if r == "compound_name")
        not_compound = f"NOT ({compound} OR {col['paracetamol']})"
        ok = dict(col)
        ok["codeine"] = f"({col['codeine']} AND {not_compound} AND NOT {col['ibuprofen']})"
        ok["dihydrocodeine"] = f"({col['dihydrocodeine']} AND {not_compound})"
        controlled = [
            ok[n]
            for n, cls, r in zip(
                subs["name"], subs["mda_class"], subs["compound_rule"], strict=True
            )
            if cls and r != "always_excluded"
        ]
        flags.append("_txt IS NOT NULL AS _named")
        flags.append(f"COALESCE({' OR '.join(controlled)}, FALSE) AS _ctrl_n")
        group_sql: dict[str, str] = {}
        for g in SUBSTANCE_GROUPS[1:]:
            members = [
                ok[n]
                for n, gs in zip(subs["name"], subs["ons_groups"], strict=True)
                if g in gs.split("|")
            ]
            group_sql[g] = " OR ".join(members) if members else "FALSE"
            flags.append(f"COALESCE({group_sql[g]}, FALSE) AS _n_{g}")
        opiates = " OR ".join(group_sql[g] for g in OPIATE_GROUPS)
        flags.append(f"COALESCE({opiates}, FALSE) AS _n_any_opiate")
        source = "_rec_mention"
    else:
        flags += ["FALSE AS _named", "FALSE AS _ctrl_n"]
        source = "_rec_norm"
    ctes.append(("_rec_flags", f"SELECT {', '.join(flags)} FROM {source}"))

    intent = " ".join(f"WHEN {_in('_uc3', codes)} THEN {_lit(k)}" for k, codes in INTENTS.items())
    out = [
        keep_sql,
        "_poison AS drug_poisoning",
        f"CASE WHEN {_in('_uc3', MISUSE_ALWAYS)} THEN TRUE "
        f"WHEN {_in('_uc3', MISUSE_IF_CONTROLLED)} THEN "
        "(CASE WHEN _named THEN _ctrl_n ELSE _ctrl_t END) ELSE FALSE END AS drug_misuse",
        f"CASE {intent} END AS intent",
        f"CASE WHEN {_in('_uc3', MISUSE_ALWAYS)} THEN 'underlying_cause' "
        f"WHEN {_in('_uc3', MISUSE_IF_CONTROLLED)} THEN "
        "(CASE WHEN _named THEN 'substance_names' ELSE 't_codes' END) END AS misuse_basis",
        "CASE WHEN _poison THEN (CASE WHEN _named THEN 'names' ELSE 't_codes' END) "
        "END AS substance_basis",
    ]
    for g in SUBSTANCE_GROUPS:
        by_code = f"_t_{g}" if g in T_CODE_GROUPS else "NULL"
        by_name = f"_n_{g}" if named else "NULL"
        out.append(
            f"CASE WHEN NOT _poison THEN FALSE WHEN _named THEN {by_name} "
            f"ELSE {by_code} END AS substance_{g}"
        )
    return ctes, f"SELECT {', '.join(out)} FROM _rec_flags"


def band_sql(age: str, starts: Sequence[int], labels: Sequence[str]) -> str:
    """SQL CASE giving the age-band label of a whole-year age (NULL when missing)."""
    whens = " ".join(
        f"WHEN {age} >= {lo} THEN {_lit(lab)}"
        for lo, lab in sorted(zip(starts, labels, strict=True), reverse=True)
    )
    return f"CASE {whens} END"


def with_query(ctes: Sequence[tuple[str, str]], final: str) -> str:
    """``WITH a AS (...), b AS (...) <final>``."""
    if not ctes:
        return final
    return "WITH " + ",\n".join(f"{n} AS ({body})" for n, body in ctes) + "\n" + final
