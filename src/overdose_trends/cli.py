"""Command-line interface: ``overdose-trends <command>`` (or ``python -m overdose_trends``).

Commands
--------
report        Build the report (summary table, checks) from the shipped data or a workbook.
read-la       Convert an ONS local-authority workbook to a tidy CSV.
read-national Convert an ONS national reference-table workbook to a tidy CSV.
check         Run the consistency checks on an ONS local-authority workbook.
fetch         Download a published file or a known ONS edition into the cache.
compare       Compare two registration periods for each area (rates, ratio, test, verdicts).
kits-check    Validate a take-home naloxone kit log and print its validation report.
kits-averted  Deaths averted by used/issued kits: naive figure beside honest estimates.

Exit codes
----------
0 success; 1 a data, file, download or configuration error (one line on standard
error, no traceback), or findings with ``--strict``, or a report figure that could
not be built; 2 a usage error (unknown option, missing argument); 130 interrupted
(Ctrl-C). A closed output pipe (``overdose-trends read-la x.xlsx | head``) ends the
command quietly.

Every CSV written (``--out``, ``--issues``, or standard output) is written atomically
and has text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) prefixed with an apostrophe
(``overdose_trends._output.write_csv``); ``--raw-csv`` turns that off for
files read only by programs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from overdose_trends._version import __version__
from overdose_trends.errors import DataFormatError

if TYPE_CHECKING:
    import pandas as pd

_PROG = "overdose-trends"

#: Python-only advice in library warnings, rewritten for a shell user: (pattern, replacement).
_SHELL_WORDING = (
    (re.compile(r"\s*\(see df\.attrs\[[^\]]*\]\)"), ""),
    (re.compile(r";?\s*to leave them out, compare data\S*.*$"), "; choose the areas with --area"),
    (re.compile(r"pass tables=\[\.\.\.\]"), "use --tables NAME ..."),
    (re.compile(r"\s*\(pass \w+=[^)]*\)"), ""),
    (re.compile(r"deaths_averted\(kits_used=\.\.\.\)"), "kits-averted --used N"),
    (re.compile(r"deaths_averted\(kits_issued=\.\.\.\)"), "kits-averted --issued N"),
    (re.compile(r"\bkits_used\b"), "--used"),
    (re.compile(r"\bkits_issued\b"), "--issued"),
)


class _UsageError(Exception):
    """A command line that asks for something impossible (exit code 2, like argparse)."""


# --- writing CSV ----------------------------------------------------------------------------


def _write(df: pd.DataFrame, out: str | None, raw: bool = False) -> None:
    """``df`` as CSV to ``out`` (atomically) or standard output; formula cells neutralised."""
    from overdose_trends._output import neutralise_formulas, write_csv

    if out:
        write_csv(df, out, safe=not raw)
        print(f"wrote {len(df):,} rows to {out}", file=sys.stderr)
    else:
        (df if raw else neutralise_formulas(df)).to_csv(sys.stdout, index=False)


# --- commands -------------------------------------------------------------------------------


def _cmd_report(args: argparse.Namespace) -> int:
    import dataclasses

    from overdose_trends.report.build import build_report
    from overdose_trends.report.config import ReportConfig, load_config
    from overdose_trends.report.figures import REGISTRY

    if args.list:
        for spec in REGISTRY:
            print(f"{spec.name:20} {spec.title}")
        return 0
    unknown = [name for name in args.only or () if name not in REGISTRY.names()]
    if unknown:
        raise _UsageError(
            f"report: no figure named {unknown[0]!r}; list them with: {_PROG} report --list"
        )
    config_path = args.config
    if config_path is None and Path("report.toml").is_file():
        config_path = "report.toml"  # the documented default next to where it is run
    config = load_config(config_path, REGISTRY) if config_path else ReportConfig()
    if args.workbook:
        config = dataclasses.replace(config, workbook=Path(args.workbook))
    if args.comparators is not None or args.highlight is not None:
        config = _with_comparators(config.with_defaults(REGISTRY), args)
    result = build_report(
        args.out,
        config,
        force=args.force,
        only=args.only,
        progress=not args.quiet,
        registry=REGISTRY,
    )
    print(f"report: {result.summary()}")
    failed = getattr(result, "failed", None)  # figures that could not be built, if any
    return 1 if failed else 0


def _with_comparators(config: Any, args: argparse.Namespace) -> Any:
    """``config`` with ``comparators``/``highlight`` set in the [funnel] and [ranking] sections."""
    import dataclasses

    changes = {}
    if args.comparators is not None:
        changes["comparators"] = args.comparators
    if args.highlight is not None:
        changes["highlight"] = args.highlight
    figures = dict(config.figures)
    for name in ("funnel", "ranking"):
        if name in figures:
            try:
                figures[name] = dataclasses.replace(figures[name], **changes)
            except ValueError as exc:
                raise ValueError(f"[{name}] {exc}") from None
    return dataclasses.replace(config, figures=figures)


def _cmd_read_la(args: argparse.Namespace) -> int:
    from overdose_trends.io.ons_local import read_local_authority

    _write(read_local_authority(args.workbook), args.out, args.raw_csv)
    return 0


def _cmd_read_national(args: argparse.Namespace) -> int:
    from overdose_trends.io.ons_national import read_national

    _write(read_national(args.workbook, tables=args.tables), args.out, args.raw_csv)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from overdose_trends.io.ons_local import check_consistency, read_local_authority

    report = check_consistency(read_local_authority(args.workbook))
    _write(report, args.out, args.raw_csv)
    return 1 if len(report) and args.strict else 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from overdose_trends.io.editions import EDITIONS, fetch_edition
    from overdose_trends.io.fetch import fetch

    if args.list:
        for e in EDITIONS:
            where = e.url or f"(file name not recorded: see {e.page})"
            check = "sha256 known" if e.sha256 else "sha256 recorded on first download"
            mark = "" if e.verified else "  [URL unverified]"
            print(f"{e.dataset:8} {e.year}  {check:34} {where}{mark}")
        return 0
    if args.dataset is None and args.url is None:
        raise _UsageError("fetch: give a URL, or --dataset la|national [--edition YEAR|latest]")
    if args.dataset is None:
        path = fetch(
            args.url, known_hash=args.hash, offline=args.offline or None, refresh=args.refresh
        )
        print(path)
        return 0
    df = fetch_edition(
        args.dataset,
        args.edition,
        url=args.url,
        known_hash=args.hash,
        offline=args.offline or None,
        refresh=args.refresh,
    )
    editions = sorted(set(df["edition"].dropna().astype(int))) if "edition" in df else []
    print(df.attrs["source_path"])
    print(
        f"{args.dataset} edition {args.edition}: {len(df):,} rows read"
        + (f" (edition {editions[-1]})" if editions else ""),
        file=sys.stderr,
    )
    return 0


def _period(text: str) -> tuple[int, int]:
    """A period argument in any notation of :func:`overdose_trends.schema.as_period`.

    ``"2013-2015"``, ``"2013-15"``, ``"2013 to 2015"``, ``"(2013, 2015)"`` or
    ``"2016"`` -> ``(first, last)`` year.
    """
    from overdose_trends.schema import as_period

    try:
        return as_period(text)
    except ValueError as err:  # not a period, or e.g. 2015-2013
        raise argparse.ArgumentTypeError(str(err)) from None


def _cmd_compare(args: argparse.Namespace) -> int:
    from overdose_trends.io.datasets import la_deaths
    from overdose_trends.io.ons_local import read_local_authority
    from overdose_trends.stats.compare import compare_periods

    la = read_local_authority(args.workbook) if args.workbook else la_deaths()
    la = la[(la["measure"] == args.measure) & (la["sex"] == args.sex)]
    if args.area:
        unknown = sorted(set(args.area) - set(la["area_code"]))
        if unknown:
            raise ValueError(f"area code(s) not in the data: {', '.join(unknown)}")
        la = la[la["area_code"].isin(args.area)]
    out = compare_periods(la, before=args.before, after=args.after, conf=args.conf)
    _write(out, args.out, args.raw_csv)
    return 0


def _cmd_kits_check(args: argparse.Namespace) -> int:
    from overdose_trends._output import write_csv
    from overdose_trends.io.kit_log import read_kit_log

    mapping = {}
    for item in args.map or []:
        header, sep, field = item.partition("=")
        if not sep or not header or not field:
            raise _UsageError(
                f'kits-check: --map takes HEADER=FIELD, e.g. "Kit no=kit_id"; got {item!r}'
            )
        mapping[header] = field
    log = read_kit_log(args.log, mapping or None, sheet=args.sheet, dayfirst=not args.monthfirst)
    print(log.report, file=sys.stderr)
    if args.issues:
        write_csv(log.report.issues, args.issues, safe=not args.raw_csv)
        print(f"wrote {len(log.report.issues):,} issues to {args.issues}", file=sys.stderr)
    if args.out:
        _write(log.events, args.out, args.raw_csv)
    return 1 if args.strict and log.report.n_rejected else 0


def _cmd_kits_averted(args: argparse.Namespace) -> int:
    from overdose_trends.stats.averted import deaths_averted

    out = deaths_averted(args.used, args.issued, seed=args.seed, conf=args.conf)
    _write(out, args.out, args.raw_csv)
    return 0


# --- the parser -----------------------------------------------------------------------------

_FORMATTER = argparse.RawDescriptionHelpFormatter


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {_PROG} {line}" for line in lines)


def _command(
    sub: Any, name: str, help: str, description: str, examples: tuple[str, ...]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help,
        description=textwrap.fill(description, 79),
        epilog=_examples(*examples),
        formatter_class=_FORMATTER,
    )
    return parser


def _csv_options(p: argparse.ArgumentParser, out: bool = True) -> None:
    if out:
        p.add_argument("--out", metavar="FILE", help="CSV file to write (default: standard output)")
    p.add_argument(
        "--raw-csv",
        action="store_true",
        help="write text cells as they are (by default a cell starting with = + - @ gets a "
        "leading apostrophe so that spreadsheets show it as text)",
    )


def _add_report(sub: Any) -> None:
    p = _command(
        sub,
        "report",
        "build the report figures, tables and index pages",
        "Build the report: figures (PNG, SVG and PDF), summary tables and index pages "
        "(HTML and Markdown) in the output folder. Figures that are up to date are skipped. "
        "What the report covers comes from a TOML configuration; without one, the built-in "
        "defaults (the Southend-on-Sea and Norfolk/Norwich stories, England as benchmark).",
        (
            "report",
            "report --config report.toml --out reports/",
            "report --only funnel --force",
            "report --comparators neighbours --highlight E07000148",
            "report --list",
        ),
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="TOML configuration (default: ./report.toml if present, else the built-in defaults)",
    )
    p.add_argument(
        "--out", metavar="FOLDER", default="reports/", help="output folder (default: reports/)"
    )
    p.add_argument(
        "--workbook",
        metavar="FILE",
        help="ONS local-authority workbook to use instead of the shipped data",
    )
    p.add_argument(
        "--force", action="store_true", help="rebuild figures even if they are up to date"
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="only this figure (repeatable; skipped if up to date unless --force; "
        "names from --list)",
    )
    p.add_argument(
        "--comparators",
        choices=("lower-tier", "upper-tier", "region", "neighbours"),
        help="areas compared in the funnel and ranking figures (sets comparators in the [funnel] "
        "and [ranking] sections); region and neighbours are those of the highlighted area",
    )
    p.add_argument(
        "--highlight",
        metavar="CODE",
        help="area (GSS code, e.g. E07000148) highlighted in the funnel and ranking figures and "
        "whose region or neighbours --comparators uses ('' for none)",
    )
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_report)


def _add_readers(sub: Any) -> None:
    p = _command(
        sub,
        "read-la",
        "ONS local-authority workbook -> tidy CSV",
        "Read an ONS 'Deaths related to drug poisoning by local authority' workbook (.xls or "
        ".xlsx) into one tidy table: one row per area, period, measure and sex with deaths, "
        "age-standardised rate per 100,000, 95% limits and the rate status.",
        ("read-la 2019localauthorities1.xls --out la.csv", "read-la la.xlsx | head"),
    )
    p.add_argument("workbook", help="the ONS workbook (.xls or .xlsx)")
    _csv_options(p)
    p.set_defaults(func=_cmd_read_la)

    p = _command(
        sub,
        "read-national",
        "ONS national reference-table workbook -> tidy CSV",
        "Read the ONS national reference tables on drug-poisoning deaths (England and Wales) "
        "into one tidy table, one row per table, area, measure, substance, sex, age band and "
        "period. Rates are per 1,000,000 population.",
        (
            "read-national 2021registrations.xlsx --out national.csv",
            "read-national 2021registrations.xlsx --tables asmr region",
        ),
    )
    p.add_argument("workbook", help="the ONS workbook (.xlsx)")
    p.add_argument(
        "--tables",
        nargs="+",
        metavar="NAME",
        help="read only these tables, e.g. deaths_by_sex asmr region deaths_by_cause "
        "deaths_by_age (default: every table in the workbook)",
    )
    _csv_options(p)
    p.set_defaults(func=_cmd_read_national)

    p = _command(
        sub,
        "check",
        "consistency checks on an ONS local-authority workbook",
        "Run the consistency checks on an ONS local-authority workbook (single years against "
        "3-year totals, areas against their county and region, published rates against their "
        "limits) and write the findings as CSV. Exit code 1 with --strict when there are any.",
        ("check la.xlsx", "check la.xlsx --strict --out findings.csv"),
    )
    p.add_argument("workbook", help="the ONS workbook (.xls or .xlsx)")
    _csv_options(p)
    p.add_argument("--strict", action="store_true", help="exit 1 when there are findings")
    p.set_defaults(func=_cmd_check)


def _add_fetch(sub: Any) -> None:
    p = _command(
        sub,
        "fetch",
        "download a published file, or a known ONS edition, into the cache",
        "Download a file into the download cache (verified, retried, served offline later) and "
        "print its path. With --dataset, download a known ONS edition, check it against the "
        "registry's (or first-recorded) SHA-256 and read it.",
        (
            "fetch --dataset la --edition latest",
            "fetch --list",
            "fetch https://example.org/file.xlsx --hash sha256:<hex>",
        ),
    )
    p.add_argument(
        "url", nargs="?", help="file URL (with --dataset: download that edition from here)"
    )
    p.add_argument(
        "--dataset", choices=("la", "national"), help="ONS dataset of a registry edition"
    )
    p.add_argument("--edition", default="latest", help="registration year, or 'latest' (default)")
    p.add_argument("--list", action="store_true", help="list the known ONS editions and exit")
    p.add_argument("--hash", help="expected checksum, e.g. sha256:<hex>")
    p.add_argument("--offline", action="store_true", help="use the cache only")
    p.add_argument("--refresh", action="store_true", help="download again even if cached")
    p.set_defaults(func=_cmd_fetch)


def _add_compare(sub: Any) -> None:
    p = _command(
        sub,
        "compare",
        "compare two periods for each area (ONS rates)",
        "Compare two registration periods for each area: both rates with 95% limits, the "
        "change, the rate ratio (after / before) with its interval and p-value, the ONS "
        "overlapping-intervals verdict and a verdict from the test of the ratio. Uses the "
        "shipped ONS 2019 edition unless --workbook is given.",
        (
            "compare --before 2013-15 --after 2016-18",
            "compare --area E06000033 E07000148 --before 2013-2015 --after 2016-2018",
            "compare --before 2013-15 --after 2016-18 --out compare.csv",
        ),
    )
    period_help = "registration period, e.g. 2013-15, 2013-2015 or '2013 to 2015'"
    p.add_argument("--before", type=_period, required=True, help=f"{period_help} (required)")
    p.add_argument("--after", type=_period, required=True, help=f"{period_help} (required)")
    p.add_argument("--area", nargs="*", metavar="CODE", help="GSS codes (default: every area)")
    p.add_argument("--measure", default="poisoning", choices=("poisoning", "misuse"))
    p.add_argument("--sex", default="persons", choices=("persons", "males", "females"))
    p.add_argument("--conf", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument(
        "--workbook",
        metavar="FILE",
        help="ONS local-authority workbook to use instead of the shipped data",
    )
    _csv_options(p)
    p.set_defaults(func=_cmd_compare)


def _add_kits(sub: Any) -> None:
    p = _command(
        sub,
        "kits-check",
        "validate a naloxone kit log (CSV or Excel)",
        "Validate a take-home naloxone kit log: print the validation report (rows read, "
        "loaded, rejected, issues by rule) on standard error. Personal identifiers are "
        "dropped and never written. Exit code 1 with --strict when rows were rejected.",
        (
            "kits-check log.csv",
            'kits-check log.xlsx --map "Kit no=kit_id" "Date=event_date" --issues issues.csv',
        ),
    )
    p.add_argument("log", help="the kit log (.csv, .xlsx or .xls)")
    p.add_argument(
        "--map", nargs="*", metavar="HEADER=FIELD", help='column mapping, e.g. "Kit no=kit_id"'
    )
    p.add_argument("--sheet", help="Excel sheet (default: the first)")
    p.add_argument("--monthfirst", action="store_true", help="dates are MM/DD/YYYY")
    p.add_argument("--issues", metavar="FILE", help="CSV file for the list of problems found")
    p.add_argument(
        "--out", metavar="FILE", help="CSV file for the tidy events (personal identifiers dropped)"
    )
    _csv_options(p, out=False)
    p.add_argument("--strict", action="store_true", help="exit 1 when rows were rejected")
    p.set_defaults(func=_cmd_kits_check)

    p = _command(
        sub,
        "kits-averted",
        "deaths averted by take-home naloxone kits",
        "Deaths averted by take-home naloxone kits: the naive figure (every used kit a life "
        "saved) beside estimates from the use rate and from kits per death averted, with "
        "simulation intervals. Used kits cannot exceed issued kits.",
        ("kits-averted --used 2600 --issued 4000", "kits-averted --issued 4000 --out averted.csv"),
    )
    p.add_argument("--used", type=int, help="kits returned used (or reported used)")
    p.add_argument("--issued", type=int, help="kits issued")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--conf", type=float, default=0.95, help="interval level (default 0.95)")
    _csv_options(p)
    p.set_defaults(func=_cmd_kits_averted)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    ap = argparse.ArgumentParser(
        prog=_PROG,
        description=textwrap.fill(
            "Drug-poisoning death trends and take-home naloxone evaluation from published ONS "
            "data. Run a command with --help for its options and examples.",
            79,
        ),
        epilog=_examples(
            "report", "compare --before 2013-15 --after 2016-18", "read-la la.xlsx --out la.csv"
        )
        + "\n\nexit codes: 0 ok, 1 data or file error (or findings with --strict), 2 usage error",
        formatter_class=_FORMATTER,
    )
    ap.add_argument("--version", action="version", version=f"{_PROG} {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_report(sub)
    _add_readers(sub)
    _add_fetch(sub)
    _add_compare(sub)
    _add_kits(sub)
    return ap


# --- running --------------------------------------------------------------------------------


def _shell_wording(message: str) -> str:
    """A library message with Python-only advice (``df.attrs[...]``, code) rewritten."""
    for pattern, replacement in _SHELL_WORDING:
        message = pattern.sub(replacement, message)
    return message


def _show_warning(
    message: Any, category: Any, filename: Any, lineno: Any, file: Any = None, line: Any = None
) -> None:
    print(f"{_PROG}: warning: {_shell_wording(str(message))}", file=sys.stderr)


def _error(message: str) -> None:
    text = " ".join(_shell_wording(message).split())  # one line
    print(f"{_PROG}: error: {text}", file=sys.stderr)


def _quiet_stdout() -> None:
    """After a closed pipe: point standard output at /dev/null so the exit flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. captured in tests)
        pass


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``overdose-trends`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code: int = args.func(args)
        sys.stdout.flush()
        return code
    except _UsageError as exc:
        _error(str(exc))
        return 2
    except BrokenPipeError:  # the reader (e.g. head) closed the pipe: stop quietly
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        print(f"\n{_PROG}: interrupted", file=sys.stderr)
        return 130
    except (DataFormatError, ValueError, KeyError, OSError) as exc:
        # OSError covers FetchError (downloads), missing files, folders and permissions
        _error(_message(exc))
        return 1


def _message(exc: BaseException) -> str:
    """The text of an expected error: no ``[Errno 13]`` nor a KeyError's quotes."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


if __name__ == "__main__":
    raise SystemExit(main())
