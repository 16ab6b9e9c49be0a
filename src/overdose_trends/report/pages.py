"""The report's pages: ``summary.csv``, ``consistency.csv``, ``index.md`` and ``index.html``.

:func:`write_pages` writes the tables (:func:`overdose_trends.report.tables.report_summary`
and :func:`overdose_trends.io.ons_local.check_consistency`) and a small
self-contained page, in Markdown and in HTML, with the summary table, the
change between periods and each figure with its caption and file links (or a
note that it is not built yet). All text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from overdose_trends.report._common import display_name
from overdose_trends.report.config import ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.registry import FigureSpec
from overdose_trends.report.tables import comparison_table, report_summary

__all__ = ["write_pages"]

_SOURCE_LA = (
    "Office for National Statistics, Deaths related to drug poisoning by local authority, "
    "England and Wales (Open Government Licence v3.0)."
)
_SYNTHETIC_NOTE = (
    "Naloxone kit figures from the shipped log are SYNTHETIC (simulated); they illustrate "
    "the methods and are not any service's figures."
)
_TITLE = "Deaths related to drug poisoning and take-home naloxone: report"
_COMPARE_NOTE = (
    "The test is a z-test on the log rate ratio; the ONS rule calls a change significant "
    "only when the two 95% intervals do not overlap, which is more conservative."
)
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.45;color:#222}",
    "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}",
    "th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}",
    "th{background:#f2f2f2}figure{margin:2rem 0}img{max-width:100%;height:auto}",
    "figcaption{font-size:.9rem;color:#444}",
)

_Table = tuple[list[str], list[list[str]]]


@dataclass(frozen=True)
class _Page:
    """What both pages show, as display text."""

    intro: str
    rates: _Table
    comparison: _Table
    checks: int
    figures: Sequence[tuple[FigureSpec, list[Path]]]


def write_pages(
    out: Path,
    config: ReportConfig,
    data: ReportData,
    figures: Sequence[tuple[FigureSpec, list[Path]]],
) -> list[Path]:
    """Write the summary tables and the index pages into ``out``.

    Parameters
    ----------
    out : Path
        The report's output folder.
    config : ReportConfig
        Its ``[summary]`` section and data files.
    data : ReportData
        The data (the local-authority table is tabulated and checked).
    figures : sequence of (FigureSpec, list of Path)
        Each figure in page order with its files (PNG first); a figure is
        shown when all its files exist.

    Returns
    -------
    list of Path
        ``summary.csv``, ``consistency.csv``, ``index.md`` and ``index.html``.

    Raises
    ------
    ValueError
        When the ``[summary]`` areas or periods are not in the data.
    """
    from overdose_trends.io.ons_local import check_consistency

    la = data.la
    try:
        summary = report_summary(la, config.summary)
    except KeyError as err:
        raise ValueError(f"[summary] {err.args[0] if err.args else err}") from err
    summary.to_csv(out / "summary.csv", index=False)
    checks = check_consistency(la)
    checks.to_csv(out / "consistency.csv", index=False)
    rates, comparison = _page_tables(summary, comparison_table(la, config.summary))
    page = _Page(_intro(config, data), rates, comparison, len(checks), figures)
    (out / "index.md").write_text(_markdown(page, out), encoding="utf-8")
    (out / "index.html").write_text(_html(page, out), encoding="utf-8")
    return [out / "summary.csv", out / "consistency.csv", out / "index.md", out / "index.html"]


# --- content ------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _interval(rate: Any, lcl: Any, ucl: Any, digits: int = 1) -> str:
    if pd.isna(rate):
        return "not calculated"
    if pd.isna(lcl) or pd.isna(ucl):
        return _fmt(rate, digits)
    return f"{_fmt(rate, digits)} ({_fmt(lcl, digits)}-{_fmt(ucl, digits)})"


def _page_tables(summary: pd.DataFrame, comparison: pd.DataFrame) -> tuple[_Table, _Table]:
    """(header, rows) of the rates table and of the comparison table, as display text."""
    rates_head = ["Area", "Code", "Period", "Deaths", "Rate (95% CI)", "Status"]
    rates = [
        [
            display_name(str(r.area_name)),
            str(r.area_code),
            str(r.period),
            _fmt(r.deaths),
            _interval(r.rate, r.lcl, r.ucl),
            str(r.rate_status).replace("_", " "),
        ]
        for r in summary.itertuples(index=False)
    ]
    comp_head = ["Area", "Comparison", "Rate ratio (95% CI)", "ONS rule (intervals)", "Test"]
    comp = [
        [
            display_name(str(r.area_name)),
            str(r.comparison),
            _interval(r.rate_ratio, r.ratio_lcl, r.ratio_ucl, 2),
            str(r.ons_verdict),
            str(r.verdict),
        ]
        for r in comparison.itertuples(index=False)
    ]
    return (rates_head, rates), (comp_head, comp)


def _data_note(config: ReportConfig, data: ReportData) -> str:
    if config.workbook is not None:
        return f"ONS local-authority workbook {config.workbook.name}"
    edition = int(data.la["edition"].max())
    return f"the shipped ONS local-authority extract ({edition} edition, data/)"


def _intro(config: ReportConfig, data: ReportData) -> str:
    from overdose_trends._version import __version__

    opts = config.summary
    return (
        f"Built by overdose_trends {__version__} from {_data_note(config, data)}. "
        f"Summary: drug {opts.measure}, {opts.sex}; age-standardised rates per 100,000 "
        "(2013 European Standard Population) with 95% confidence limits, as published by ONS. "
        "ONS does not calculate rates from fewer than 10 deaths and marks those from 10-19 "
        "deaths unreliable."
    )


def _checks_note(n: int) -> str:
    return f"Consistency checks on the data: {n} finding(s), see consistency.csv."


# --- Markdown -----------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*[]<>|" else c for c in text)


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md_escape(h) for h in head) + " |"]
    lines.append("|" + "|".join("---" for _ in head) + "|")
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return lines


def _md_figure(number: int, spec: FigureSpec, files: list[Path], out: Path) -> list[str]:
    lines = [f"### {number}. {_md_escape(spec.title)}", ""]
    if all(f.is_file() for f in files):
        png, *others = (f.relative_to(out).as_posix() for f in files)
        links = " · ".join(f"[{p.rsplit('.', 1)[1].upper()}]({p})" for p in (png, *others))
        lines += [f"![{_md_escape(spec.title)}]({png})", "", _md_escape(spec.caption), ""]
        lines.append(f"Files: {links}")
    else:
        lines.append(f"Not built yet: run `overdose-trends report --only {spec.name}`.")
    return [*lines, ""]


def _markdown(page: _Page, out: Path) -> str:
    md = [f"# {_md_escape(_TITLE)}", "", _md_escape(page.intro), "", "## Summary", ""]
    md += _md_table(*page.rates)
    if page.comparison[1]:
        md += ["", "### Change between periods", "", _md_escape(_COMPARE_NOTE), ""]
        md += _md_table(*page.comparison)
    md += ["", "Table: summary.csv.", "", "## Figures", ""]
    for number, (spec, files) in enumerate(page.figures, 1):
        md += _md_figure(number, spec, files, out)
    md += ["## Data checks", "", _md_escape(_checks_note(page.checks)), "", "## Sources", ""]
    md += [_md_escape(_SOURCE_LA), "", _SYNTHETIC_NOTE, ""]
    return "\n".join(md)


# --- HTML ---------------------------------------------------------------------------------------


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    return f"<table>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


def _html_figure(number: int, spec: FigureSpec, files: list[Path], out: Path) -> list[str]:
    e = html.escape
    parts = [f'<figure id="{e(spec.name)}">', f"<h3>{number}. {e(spec.title)}</h3>"]
    if all(f.is_file() for f in files):
        rel = [f.relative_to(out).as_posix() for f in files]
        parts.append(f'<img src="{e(rel[0])}" alt="{e(spec.title)}" loading="lazy">')
        links = " · ".join(f'<a href="{e(p)}">{e(p.rsplit(".", 1)[1].upper())}</a>' for p in rel)
        parts.append(f"<figcaption>{e(spec.caption)}<br>Files: {links}</figcaption>")
    else:
        parts.append(
            f"<figcaption>Not built yet: run <code>overdose-trends report --only "
            f"{e(spec.name)}</code>.</figcaption>"
        )
    return [*parts, "</figure>"]


def _html(page: _Page, out: Path) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(_TITLE)}</title>",
        "<style>",
        *_STYLE,
        "</style>",
        "</head>",
        "<body>",
        f"<h1>{e(_TITLE)}</h1>",
        f"<p>{e(page.intro)}</p>",
        "<h2>Summary</h2>",
        _html_table(*page.rates),
    ]
    if page.comparison[1]:
        parts += ["<h3>Change between periods</h3>", f"<p>{e(_COMPARE_NOTE)}</p>"]
        parts.append(_html_table(*page.comparison))
    parts += ['<p>Table: <a href="summary.csv">summary.csv</a>.</p>', "<h2>Figures</h2>"]
    for number, (spec, files) in enumerate(page.figures, 1):
        parts += _html_figure(number, spec, files, out)
    parts += [
        "<h2>Data checks</h2>",
        f"<p>Consistency checks on the data: {page.checks} finding(s), see "
        '<a href="consistency.csv">consistency.csv</a>.</p>',
        "<h2>Sources</h2>",
        f"<p>{e(_SOURCE_LA)}</p>",
        f"<p>{_SYNTHETIC_NOTE}</p>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
