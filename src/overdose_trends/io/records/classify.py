"""Apply the ONS drug-poisoning and drug-misuse definitions to individual death records.

:func:`classify_deaths` adds to each record the flags of the rule table
(:mod:`overdose_trends.io.records.rules`, where every rule and its source is
written down). The work is one SQL query (built in
``overdose_trends.io.records._sql`` from the rule table and the shipped
substance table) that runs on the engine holding the records: DuckDB by
default, out of core; the same text runs on SQLite, Polars and Spark SQL.

Pointing it at Spark
--------------------
Register the records as a view and pass a callable engine::

    spark.read.parquet("deaths/*.parquet").createOrReplaceTempView("deaths")
    run = lambda sql: spark.sql(sql).toPandas()
    flags = classify_deaths("deaths", engine=run)          # a pandas DataFrame
    counts = aggregate_deaths("deaths", engine=run)        # tidy counts

The SQL uses only ``WITH``, ``CASE``, ``IN``, ``LIKE``, ``SUBSTR``, ``UPPER``,
``LOWER``, ``REPLACE``, ``TRIM``, ``NULLIF``, ``COALESCE``, ``||`` and
``GROUP BY``, which Spark SQL accepts (with ``spark.sql.ansi.enabled`` at its
default). The view needs the canonical columns (see
:mod:`overdose_trends.io.records.read`) with codes as text; use
:func:`classification_sql` to see or run the query yourself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.io.records._engine import make_engine
from overdose_trends.io.records._sql import (
    CAUSE_COLUMNS,
    FLAG_COLUMNS,
    SAFE_NAME,
    classify_parts,
    with_query,
)
from overdose_trends.io.records.read import DeathRecords

__all__ = ["classification_sql", "classify_deaths", "split_causes"]

#: Columns the classification reads (when present).
_INPUTS = ("underlying_cause", *CAUSE_COLUMNS, "substances")


def classification_sql(table: str, columns: Sequence[str]) -> str:
    """The classification query for a table with the given columns.

    Parameters
    ----------
    table : str
        Name of the table or view of records.
    columns : sequence of str
        Its columns (canonical names; ``underlying_cause`` is required).

    Returns
    -------
    str
        SQL returning the table's plain-named columns and the flag columns of
        :func:`classify_deaths`.

    Examples
    --------
    >>> from overdose_trends.io.records.classify import classification_sql
    >>> sql = classification_sql("deaths", ["underlying_cause", "cause_1"])
    >>> sql.startswith("WITH _rec_norm AS (SELECT underlying_cause, cause_1, SUBSTR(")
    True
    """
    keep = [c for c in columns if SAFE_NAME.match(c)]
    if "underlying_cause" not in keep:
        raise ValueError("the records need an underlying_cause column")
    ctes, final = classify_parts(table, keep, keep)
    return with_query(ctes, final)


def split_causes(frame: pd.DataFrame, column: str = "contributory_causes") -> pd.DataFrame:
    """``cause_1`` ... ``cause_15`` from one delimited column (commas, semicolons, bars, spaces).

    Returns a copy of ``frame`` with the cause columns added and ``column`` removed.
    """
    out = frame.drop(columns=[column])
    parts = frame[column].astype("string").str.strip().str.split(r"[\s,;|]+", regex=True)
    lengths = parts.map(lambda v: len(v) if isinstance(v, list) else 0)
    for i, c in enumerate(CAUSE_COLUMNS):
        out[c] = parts.str[i].astype(object).where(lengths > i, None)
    return out


def classify_deaths(
    records: DeathRecords | pd.DataFrame | str,
    definition: str = "ons",
    *,
    engine: Any = None,
) -> Any:
    """Flag drug-poisoning and drug-misuse deaths, intent and ONS substance groups.

    Parameters
    ----------
    records : DeathRecords, pandas.DataFrame or str
        From :func:`~overdose_trends.io.records.read.read_death_records`
        (classified where it is held, without loading it), a DataFrame in the
        canonical layout (``underlying_cause``; optional ``cause_1`` ...
        ``cause_15`` or ``contributory_causes``, ``substances``), or the name
        of a table the ``engine`` knows (e.g. a Spark view).
    definition : {"ons"}
        The definitions: ONS Boxes 1-3 (the only one so far).
    engine : optional
        For a DataFrame or table name: ``None``/``"duckdb"``, ``"sqlite"``,
        ``"polars"``, a DuckDB connection or a callable ``sql -> DataFrame``
        (see ``overdose_trends.io.records._engine``).

    Returns
    -------
    DeathRecords or pandas.DataFrame
        The same kind as given (a DataFrame for a table name), with these
        columns added: ``drug_poisoning`` and ``drug_misuse`` (bool),
        ``intent`` (``accidental``, ``intentional``, ``undetermined``,
        ``assault``, ``mental_behavioural``; missing unless a drug poisoning),
        ``misuse_basis`` (``underlying_cause``, ``substance_names`` or
        ``t_codes``: how ``drug_misuse`` was decided; missing when the
        underlying cause alone rules it out), ``substance_basis`` (``names``
        or ``t_codes``, on drug poisonings) and ``substance_<group>`` for each
        of :data:`~overdose_trends.io.records.rules.SUBSTANCE_GROUPS` (False
        unless a drug poisoning; missing where T-codes cannot tell).

    Notes
    -----
    The rules and their sources are the table
    :data:`~overdose_trends.io.records.rules.RULES`; without substance names,
    drug misuse for poisoning codes is the T-code approximation described in
    :mod:`overdose_trends.io.records.rules`.

    References
    ----------
    ONS (2022), *Deaths related to drug poisoning in England and Wales: 2021
    registrations*, reference tables, sheet ``Definition`` (Boxes 1-3) and
    Table 3 notes 5-7.

    Examples
    --------
    >>> deaths = pd.DataFrame({
    ...     "underlying_cause": ["X42.1", "x45", "F17", "X44", "X44"],
    ...     "substances": ["heroin, diazepam", "", "", "codeine; paracetamol", "codeine"],
    ... })
    >>> out = ot.classify_deaths(deaths)
    >>> out[["drug_poisoning", "drug_misuse", "intent", "substance_heroin_morphine"]]
       drug_poisoning  drug_misuse      intent  substance_heroin_morphine
    0            True         True  accidental                       True
    1           False        False         NaN                      False
    2           False        False         NaN                      False
    3            True        False  accidental                      False
    4            True         True  accidental                      False
    """
    if definition != "ons":
        raise ValueError(f"definition={definition!r}: only 'ons' is available")
    if isinstance(records, DeathRecords):
        if engine is not None:
            raise ValueError("records read by read_death_records run on their own engine")
        if records.classified:
            return records
        keep = list(records.columns)
        ctes, final = classify_parts("_rec_input_rows", keep, keep)
        steps = [*records.ctes, ("_rec_input_rows", records.final), *ctes]
        return DeathRecords(
            records.engine,
            steps,
            final,
            (*keep, *FLAG_COLUMNS),
            records.report,
            classified=True,
        )
    runner = make_engine(engine)
    if isinstance(records, str):
        columns = list(runner.query(f"SELECT * FROM {records} LIMIT 0").columns)
        return _booleans(runner.query(classification_sql(records, columns)))
    if not isinstance(records, pd.DataFrame):
        raise TypeError(
            "records: expected DeathRecords, a DataFrame or a table name, got "
            f"{type(records).__name__}"
        )
    frame = split_causes(records) if "contributory_causes" in records.columns else records
    used = [c for c in _INPUTS if c in frame.columns]
    if "underlying_cause" not in used:
        raise ValueError("the records need an underlying_cause column")
    inputs = frame.loc[:, used].astype(object).where(frame.loc[:, used].notna(), None)
    inputs = inputs.reset_index(drop=True).assign(_pos=np.arange(len(frame)))
    runner.register("_rec_frame", inputs)
    ctes, final = classify_parts("_rec_frame", ["_pos"], used)
    flags = _booleans(runner.query(with_query(ctes, final) + " ORDER BY _pos"))
    out = records.copy()
    for c in FLAG_COLUMNS:
        out[c] = flags[c].to_numpy()
    return out


def _booleans(frame: pd.DataFrame) -> pd.DataFrame:
    """Flag columns as bool (or nullable boolean where missing), whatever the engine returned."""
    for c in FLAG_COLUMNS:
        if c not in frame.columns or c in ("intent", "misuse_basis", "substance_basis"):
            continue
        col = frame[c]
        if col.isna().any():
            frame[c] = pd.array([None if pd.isna(v) else bool(v) for v in col], dtype="boolean")
        else:
            frame[c] = col.astype(bool)
    for c in ("intent", "misuse_basis", "substance_basis"):
        if c in frame.columns:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), np.nan).astype("str")
    return frame
