"""The report's pages and tables: ``summary.csv``, ``consistency.csv``, ``summary.xlsx``, ``index``.

:func:`write_pages` writes the tables (:func:`overdose_trends.report.tables.report_summary`,
rounded to the published precision, and
:func:`overdose_trends.io.ons_local.check_consistency`), the Excel workbook of the
summary tables (``report/_excel.py``) and one page in two formats, ``index.html``
and ``index.md``, both rendered by :func:`render_pages` from ONE context with the
jinja2 templates ``index.html.j2`` and ``index.md.j2``.

Templates
---------
The built-in templates are in ``overdose_trends/report/templates``. A
``templates`` folder in ``report.toml`` holding a file of the same name replaces
it (copy the built-in one and edit). Text reaches a template already safe: the
HTML template escapes every value (jinja2 autoescape), and every text value of
the Markdown context is escaped for Markdown. The context:

``title``, ``intro``, ``problems`` (a sentence when figures cannot be built,
else empty), ``compare_note``, ``checks_note`` (str); ``rates`` and
``comparison`` (``head``: column names, ``rows``: rows of display text);
``tables`` (file names); ``figures`` (each with ``name``, ``title``,
``caption``, ``status`` -- ``current``, ``failed`` or ``missing`` --,
``reason`` and ``files``, paths relative to the page, PNG first);
``disabled`` (names of figures turned off); ``sources`` (one sentence each).

CSV files go through ``overdose_trends._output.write_csv`` (formula
neutralisation unless ``safe_csv = false``); every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from overdose_trends._output import write_csv, write_text
from overdose_trends.report._common import display_name
from overdose_trends.report.config import ReportConfig
from overdose_trends.report.data import ReportData
from overdose_trends.report.registry import FigureState
from overdose_trends.report.tables import comparison_table, report_summary, round_published

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TEMPLATE_DIR", "render_pages", "write_pages"]

#: Folder of the built-in page templates.
TEMPLATE_DIR = Path(__file__).with_name("templates")
_TEMPLATES = {"html": "index.html.j2", "md": "index.md.j2"}

_SOURCE_LA = (
    "Office for National Statistics, Deaths related to drug poisoning by local authority, "
    "England and Wales (Open Government Licence v3.0)."
)
_SOURCE_NATIONAL = (
    "Office for National Statistics, Deaths related to drug poisoning in England and Wales, "
    "reference tables (Open Government Licence v3.0)."
)
_SOURCE_POPULATION = "Office for National Statistics, mid-year population estimates (Nomis)."
_SYNTHETIC_NOTE = (
    "Naloxone kit figures are drawn from the shipped kit log, which is SYNTHETIC "
    "(simulated): they illustrate the methods and are not any service's figures."
)
_TITLE = "Deaths related to drug poisoning and take-home naloxone: report"
_COMPARE_NOTE = (
    "The test is a z-test on the log rate ratio; the ONS rule calls a change significant "
    "only when the two 95% intervals do not overlap, which is more conservative."
)


def write_pages(
    out: Path,
    config: ReportConfig,
    data: ReportData,
    figures: Sequence[FigureState],
) -> list[Path]:
    """Write the summary tables and the index pages into ``out``.

    Parameters
    ----------
    out : Path
        The report's output folder.
    config : ReportConfig
        Its ``[summary]`` section, data files, ``safe_csv``, ``excel`` and
        ``templates``.
    data : ReportData
        The data (the local-authority table is tabulated and checked).
    figures : sequence of FigureState
        Each figure in page order with its status and files.

    Returns
    -------
    list of Path
        ``summary.csv``, ``consistency.csv``, ``summary.xlsx`` (unless
        ``excel = false``), ``index.md`` and ``index.html``.

    Raises
    ------
    ValueError
        When the ``[summary]`` areas or periods are not in the data.
    """
    from overdose_trends.io.ons_local import check_consistency

    la = data.la
    try:
        summary = round_published(report_summary(la, config.summary))
    except KeyError as err:
        raise ValueError(f"[summary] {err.args[0] if err.args else err}") from err
    comparison = round_published(comparison_table(la, config.summary))
    checks = check_consistency(la)
    paths = [
        write_csv(summary, out / "summary.csv", safe=config.safe_csv),
        write_csv(checks, out / "consistency.csv", safe=config.safe_csv),
    ]
    if config.excel:
        from overdose_trends.report._excel import write_summary_workbook

        paths.append(
            write_summary_workbook(
                out / "summary.xlsx", summary, comparison, source=_la_source(config)
            )
        )
    context = _context(config, data, summary, comparison, len(checks), figures, out, paths)
    pages = render_pages(context, config.templates)
    paths.append(write_text(out / "index.md", pages["md"]))
    paths.append(write_text(out / "index.html", pages["html"]))
    return paths


def render_pages(context: dict[str, Any], templates: Path | None = None) -> dict[str, str]:
    """Render the HTML and Markdown pages from one context.

    Parameters
    ----------
    context : dict
        The page's content (see the module notes), as plain text.
    templates : Path, optional
        A folder whose ``index.html.j2`` / ``index.md.j2`` replace the built-in ones.

    Returns
    -------
    dict
        ``{"html": ..., "md": ...}``.
    """
    import jinja2

    folders = [str(templates)] if templates is not None else []
    loader = jinja2.FileSystemLoader([*folders, str(TEMPLATE_DIR)])
    out = {}
    for fmt, name in _TEMPLATES.items():
        env = jinja2.Environment(
            loader=loader,
            autoescape=fmt == "html",
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        values = context if fmt == "html" else _escape_tree(context, _md_escape)
        out[fmt] = env.get_template(name).render(**values)
    return out


# --- content ------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _interval(rate: Any, lcl: Any, ucl: Any, digits: int = 1) -> str:
    import pandas as pd

    if pd.isna(rate):
        return "not calculated"
    if pd.isna(lcl) or pd.isna(ucl):
        return _fmt(rate, digits)
    return f"{_fmt(rate, digits)} ({_fmt(lcl, digits)}-{_fmt(ucl, digits)})"


def _tables(summary: pd.DataFrame, comparison: pd.DataFrame) -> tuple[dict[str, Any], ...]:
    """The rates table and the comparison table, as display text."""
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
    return {"head": rates_head, "rows": rates}, {"head": comp_head, "rows": comp}


def _la_source(config: ReportConfig) -> str:
    if config.workbook is None:
        return _SOURCE_LA
    return f"{_SOURCE_LA[:-1]}; workbook {config.workbook.name}."


def _data_note(config: ReportConfig, data: ReportData) -> str:
    if config.workbook is not None:
        return f"ONS local-authority workbook {config.workbook.name}"
    edition = int(data.la["edition"].max())
    return f"the shipped ONS local-authority extract ({edition} edition)"


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


def _sources(config: ReportConfig, data: ReportData, shown: Sequence[FigureState]) -> list[str]:
    """One sentence per data source the page uses; the SYNTHETIC note only when it applies."""
    inputs = {i for s in shown for i in s.spec.data_inputs}
    sources = [_la_source(config)]
    if "national_deaths" in inputs:
        name = config.national_workbook
        sources.append(
            _SOURCE_NATIONAL if name is None else f"{_SOURCE_NATIONAL[:-1]}; {name.name}."
        )
    if "population" in inputs:
        sources.append(_SOURCE_POPULATION)
    if "kit_log" in inputs:
        if data.synthetic_kits:
            sources.append(_SYNTHETIC_NOTE)
        else:
            sources.append(f"Take-home naloxone kits: the kit log {data.path('kit_log').name}.")
    return sources


def _context(
    config: ReportConfig,
    data: ReportData,
    summary: pd.DataFrame,
    comparison: pd.DataFrame,
    n_checks: int,
    figures: Sequence[FigureState],
    out: Path,
    paths: list[Path],
) -> dict[str, Any]:
    rates, comp = _tables(summary, comparison)
    shown = [s for s in figures if s.status != "disabled"]
    failed = [s.spec.name for s in shown if s.status == "failed"]
    problems = (
        f"{len(failed)} figure(s) cannot be built for this configuration: "
        f"{', '.join(failed)}; the reasons are given below."
        if failed
        else ""
    )
    return {
        "title": _TITLE,
        "intro": _intro(config, data),
        "problems": problems,
        "rates": rates,
        "comparison": comp,
        "compare_note": _COMPARE_NOTE,
        "tables": [p.relative_to(out).as_posix() for p in paths],
        "checks_note": f"Consistency checks on the data: {n_checks} finding(s).",
        "figures": [
            {
                "name": s.spec.name,
                "title": s.spec.title,
                "caption": s.spec.caption_text(data, config),
                "status": s.status,
                "reason": s.reason,
                "files": [f.relative_to(out).as_posix() for f in s.files],
            }
            for s in shown
        ],
        "disabled": [s.spec.name for s in figures if s.status == "disabled"],
        "sources": _sources(config, data, [s for s in shown if s.status == "current"]),
    }


# --- Markdown escaping --------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*[]<>|" else c for c in text)


def _escape_tree(value: Any, escape: Callable[[str], str]) -> Any:
    """``value`` with ``escape`` applied to every string inside dicts and lists."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: _escape_tree(v, escape) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_tree(v, escape) for v in value]
    return value
