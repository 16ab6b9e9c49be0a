"""Readers, downloads and the shipped data extracts (the ``io`` room).

* :mod:`~overdose_trends.io.ons_local` -- ONS local-authority workbooks
  (:func:`~overdose_trends.io.ons_local.read_local_authority`,
  :func:`~overdose_trends.io.ons_local.check_consistency`);
* :mod:`~overdose_trends.io.ons_national` -- ONS national reference tables
  (:func:`~overdose_trends.io.ons_national.read_national`);
* :mod:`~overdose_trends.io.population` -- mid-year population estimates (Nomis and
  ONS layouts, labelled with their vintage) and 2013 ESP age bands;
* :mod:`~overdose_trends.io.fingertips` -- OHID Fingertips indicators
  (:func:`~overdose_trends.io.fingertips.read_fingertips`,
  :func:`~overdose_trends.io.fingertips.fetch_fingertips`);
* :mod:`~overdose_trends.io.kit_log` and :mod:`~overdose_trends.io.kit_counts`
  -- take-home naloxone event logs and published kit counts, validated, with
  personal identifiers dropped on load;
* :mod:`~overdose_trends.io.fetch` -- cached, checksummed downloads;
* :mod:`~overdose_trends.io.editions` -- the registry of published ONS editions
  (:func:`~overdose_trends.io.editions.fetch_edition`);
* :mod:`~overdose_trends.io.geography` -- the area hierarchy, code changes since 2013,
  :func:`~overdose_trends.io.geography.harmonise`,
  :func:`~overdose_trends.io.geography.combine_areas` and comparator sets;
* :mod:`~overdose_trends.io.neighbours` -- the package's statistical neighbours;
* :mod:`~overdose_trends.io.records` -- record-level death registrations: the ONS
  drug-poisoning and drug-misuse definitions applied to individual deaths, out of
  core on DuckDB (:func:`~overdose_trends.io.records.read.read_death_records`,
  :func:`~overdose_trends.io.records.classify.classify_deaths`,
  :func:`~overdose_trends.io.records.aggregate.aggregate_deaths`);
* :mod:`~overdose_trends.io.datasets` -- the compact, cited extracts shipped
  with the package.

Modules here never import :mod:`overdose_trends.stats`,
:mod:`~overdose_trends.plots`, :mod:`~overdose_trends.report` or the CLI.
Use the names from the front door (``import overdose_trends as ot``).
"""
