"""Record-level death registrations: the ONS definitions applied to individual deaths.

* :mod:`~overdose_trends.io.records.read` -
  :func:`~overdose_trends.io.records.read.read_death_records` (CSV, Parquet,
  DuckDB tables, DataFrames; every row loaded or reported; identifiers never loaded);
* :mod:`~overdose_trends.io.records.rules` - the rule table and the substance table;
* :mod:`~overdose_trends.io.records.classify` -
  :func:`~overdose_trends.io.records.classify.classify_deaths`;
* :mod:`~overdose_trends.io.records.aggregate` -
  :func:`~overdose_trends.io.records.aggregate.aggregate_deaths`;
* :mod:`~overdose_trends.io.records.synthetic` - SYNTHETIC records for tests and docs.

The classification and aggregation are SQL, written once, run by DuckDB by default
and by any engine that accepts plain SQL (SQLite, Polars, Spark SQL: see
``overdose_trends.io.records._engine``).
"""
