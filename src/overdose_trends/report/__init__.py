"""The report command's machinery (the ``report`` room).

========================  ==============================================================
``report.config``         what the report covers (``report.toml``): ``ReportConfig``,
                          ``load_config``, ``default_toml``; the figure registry is handed in
``report.options``        options of a section: ``option()``, ``Options``, value parsers
``report.data``           ``ReportData``: the data inputs, loaded on first use
``report.registry``       ``FigureSpec`` and ``Registry``: figures referred to by name
``report.figures``        ``REGISTRY``: the report's figures (private builders, their options)
``report.tables``         summary and comparison tables (``summary.csv``), published rounding
``report.pages``          ``index.md`` and ``index.html`` from the jinja2 templates in
                          ``report/templates`` (one context, two formats)
``report.build``          ``build_report``: builds what is out of date (hashes, manifest)
``report._manifest``      manifest, output checksums, the output-folder lock (private)
``report._excel``         ``summary.xlsx`` in the government good-practice layout (private)
========================  ==============================================================

Modules here may import every room below them (io, stats, plots), never the CLI.
Imports within the room run one way: options <- config <- data <- registry <-
figures, tables <- pages <- build.
"""
