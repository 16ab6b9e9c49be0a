"""The report command's machinery (the ``report`` room).

Configuration (``report.toml``), the registry of figure builders referred to by
name, the summary tables, the up-to-date checks and the HTML/Markdown pages.
Modules here may import every room below them (io, stats, plots), never the CLI.
"""
