"""Engines that run the record-level SQL: DuckDB (default), SQLite, Polars, or your own.

The classification and aggregation are written once as SQL (see
:mod:`overdose_trends.io.records.classify`); an engine registers input tables
under a name and runs a query, returning a pandas DataFrame. ``engine=`` in
the record functions takes:

* ``None`` or ``"duckdb"``: an embedded DuckDB connection (out of core: it
  spills to disk past its memory limit, reads CSV and Parquet directly);
* ``"sqlite"`` (stdlib :mod:`sqlite3`, in memory) or ``"polars"``
  (``polars.SQLContext``): second engines, used by the tests to show that
  nothing depends on DuckDB;
* a ``duckdb.DuckDBPyConnection`` (your own database, its tables by name);
* any callable ``f(sql: str) -> pandas.DataFrame`` that runs a query where
  the input table is already known by name - e.g. Spark:
  ``lambda q: spark.sql(q).toPandas()`` after
  ``spark.read.parquet(path).createOrReplaceTempView("deaths")``, then pass
  ``"deaths"`` as the records.

DuckDB is imported only when a DuckDB engine is made (importing the package
does not import it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["Engine", "make_engine"]

#: Memory DuckDB may use before spilling to disk (the benchmark's peak stays under 2 GB).
DUCKDB_MEMORY_LIMIT = "1GB"


class Engine:
    """Runs SQL on named tables; subclasses for each backend."""

    name = "callable"

    def __init__(self, run: Callable[[str], pd.DataFrame] | None = None) -> None:
        self._run = run

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a pandas DataFrame queryable as table ``name``."""
        raise TypeError(
            "this engine is a callable: register the table in the engine yourself and pass "
            "its name as the records"
        )

    def query(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` and return the result as a pandas DataFrame."""
        assert self._run is not None
        return self._run(sql)


class DuckDBEngine(Engine):
    """An embedded DuckDB connection (a new in-memory one unless given)."""

    name = "duckdb"

    def __init__(self, con: Any = None, threads: int | None = None) -> None:
        super().__init__()
        import duckdb

        self.owned = con is None
        self.con = duckdb.connect(":memory:") if con is None else con
        if self.owned:
            self.con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
            self.con.execute("SET preserve_insertion_order = true")
            if threads:
                self.con.execute(f"SET threads = {int(threads)}")

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(name, frame)

    def query(self, sql: str) -> pd.DataFrame:
        result: pd.DataFrame = self.con.sql(sql).df()
        return result


class SQLiteEngine(Engine):
    """stdlib sqlite3 in memory (booleans come back as 0/1 and are turned back).

    SQLite inlines a common table expression used once into the query that uses
    it, which repeats the substance-text normalisation inside every ``LIKE``;
    the engine marks each CTE ``MATERIALIZED`` (SQLite 3.35+) so each step is
    computed once. The query is otherwise the same text.
    """

    name = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.con = sqlite3.connect(":memory:")

    def register(self, name: str, frame: pd.DataFrame) -> None:
        out = frame.copy()
        for c in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[c]):
                out[c] = out[c].dt.strftime("%Y-%m-%d")
        out.to_sql(name, self.con, index=False, if_exists="replace")

    def query(self, sql: str) -> pd.DataFrame:
        hinted = re.sub(r"^(WITH |,\n)?(_\w+) AS \(", r"\1\2 AS MATERIALIZED (", sql, flags=re.M)
        return pd.read_sql_query(hinted, self.con)


class PolarsEngine(Engine):
    """``polars.SQLContext`` (eager collect, then pandas)."""

    name = "polars"

    def __init__(self) -> None:
        super().__init__()
        import polars as pl

        self.pl = pl
        self.ctx = pl.SQLContext()

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.ctx.register(name, self.pl.from_pandas(frame))

    def query(self, sql: str) -> pd.DataFrame:
        result: pd.DataFrame = self.ctx.execute(sql).collect().to_pandas()
        return result


def make_engine(engine: Any = None) -> Engine:
    """An :class:`Engine` from the ``engine=`` argument (see the module notes)."""
    if isinstance(engine, Engine):
        return engine
    if engine is None or engine == "duckdb":
        return DuckDBEngine()
    if engine == "sqlite":
        return SQLiteEngine()
    if engine == "polars":
        return PolarsEngine()
    if type(engine).__module__.startswith("duckdb"):
        return DuckDBEngine(engine)
    if callable(engine):
        return Engine(engine)
    raise ValueError(
        f"engine={engine!r}: expected None or 'duckdb', 'sqlite', 'polars', a DuckDB "
        "connection, or a callable taking SQL text and returning a pandas DataFrame"
    )
