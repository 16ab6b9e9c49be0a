"""Command-line interface: ``overdose-trends <command>``.

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
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from overdose_trends.errors import DataFormatError


def _cmd_report(args: argparse.Namespace) -> int:
    import dataclasses

    from overdose_trends.report.build import build_report
    from overdose_trends.report.config import ReportConfig, load_config
    from overdose_trends.report.figures import REGISTRY

    if args.list:
        for spec in REGISTRY:
            print(f"{spec.name:20} {spec.title}")
        return 0
    config_path = args.config
    if config_path is None and Path("report.toml").is_file():
        config_path = "report.toml"  # the documented default next to where it is run
    config = load_config(config_path, REGISTRY) if config_path else ReportConfig()
    if args.workbook:
        config = dataclasses.replace(config, workbook=Path(args.workbook))
    result = build_report(
        args.out,
        config,
        force=args.force,
        only=args.only,
        progress=not args.quiet,
        registry=REGISTRY,
    )
    print(f"report: {result.summary()}")
    return 0


def _write(df, out: str | None) -> None:
    if out:
        df.to_csv(out, index=False)
        print(f"wrote {len(df)} rows to {out}", file=sys.stderr)
    else:
        df.to_csv(sys.stdout, index=False)


def _cmd_read_la(args: argparse.Namespace) -> int:
    from overdose_trends.io.ons_local import read_local_authority

    _write(read_local_authority(args.workbook), args.out)
    return 0


def _cmd_read_national(args: argparse.Namespace) -> int:
    from overdose_trends.io.ons_national import read_national

    _write(read_national(args.workbook), args.out)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from overdose_trends.io.ons_local import check_consistency, read_local_authority

    report = check_consistency(read_local_authority(args.workbook))
    _write(report, args.out)
    return 1 if len(report) and args.strict else 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from overdose_trends.io.editions import EDITIONS, fetch_edition
    from overdose_trends.io.fetch import FetchError, fetch

    if args.list:
        for e in EDITIONS:
            where = e.url or f"(file name not recorded: see {e.page})"
            check = "sha256 known" if e.sha256 else "sha256 recorded on first download"
            mark = "" if e.verified else "  [URL unverified]"
            print(f"{e.dataset:8} {e.year}  {check:34} {where}{mark}")
        return 0
    if args.dataset is None and args.url is None:
        raise ValueError("fetch: give a URL, or --dataset la|national [--edition YEAR|latest]")
    try:
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
    except FetchError as exc:
        print(f"overdose-trends: error: {exc}", file=sys.stderr)
        return 1
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
            raise KeyError(f"area code(s) not in the data: {', '.join(unknown)}")
        la = la[la["area_code"].isin(args.area)]
    out = compare_periods(la, before=args.before, after=args.after, conf=args.conf)
    _write(out, args.out)
    return 0


def _cmd_kits_check(args: argparse.Namespace) -> int:
    from overdose_trends.io.kit_log import read_kit_log

    mapping = dict(item.split("=", 1) for item in args.map or [])
    log = read_kit_log(args.log, mapping or None, sheet=args.sheet, dayfirst=not args.monthfirst)
    print(log.report, file=sys.stderr)
    if args.issues:
        log.report.issues.to_csv(args.issues, index=False)
        print(f"wrote {len(log.report.issues)} issues to {args.issues}", file=sys.stderr)
    if args.out:
        _write(log.events, args.out)
    return 1 if args.strict and log.report.n_rejected else 0


def _cmd_kits_averted(args: argparse.Namespace) -> int:
    from overdose_trends.stats.averted import deaths_averted

    out = deaths_averted(args.used, args.issued, seed=args.seed, conf=args.conf)
    _write(out, args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    ap = argparse.ArgumentParser(prog="overdose-trends", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="build the report figures, tables and index pages")
    p.add_argument(
        "--config",
        help="TOML configuration (default: ./report.toml if present, else the built-in defaults)",
    )
    p.add_argument("--out", default="reports/", help="output folder (default: reports/)")
    p.add_argument("--workbook", help="ONS local-authority workbook to use instead of data/")
    p.add_argument("--force", action="store_true", help="rebuild figures that are up to date")
    p.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="only this figure (repeatable; skipped if up to date unless --force)",
    )
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_report)

    for name, func, what in (
        ("read-la", _cmd_read_la, "local-authority"),
        ("read-national", _cmd_read_national, "national reference-table"),
    ):
        p = sub.add_parser(name, help=f"ONS {what} workbook -> tidy CSV")
        p.add_argument("workbook")
        p.add_argument("--out", help="CSV file to write (default: standard output)")
        p.set_defaults(func=func)

    p = sub.add_parser("check", help="consistency checks on an ONS local-authority workbook")
    p.add_argument("workbook")
    p.add_argument("--out", help="CSV file to write (default: standard output)")
    p.add_argument("--strict", action="store_true", help="exit 1 when there are findings")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "fetch",
        help="download a published file, or a known ONS edition, into the cache",
        description="Download a file into the download cache (verified, retried, served "
        "offline later) and print its path. With --dataset, download a known ONS edition, "
        "check it against the registry's (or first-recorded) SHA-256 and read it. "
        "Examples: overdose-trends fetch --dataset la --edition latest; "
        "overdose-trends fetch --list; overdose-trends fetch https://... --hash sha256:...",
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

    p = sub.add_parser("compare", help="compare two periods for each area (ONS rates)")
    period_help = "registration period, e.g. 2013-15, 2013-2015 or '2013 to 2015'"
    p.add_argument("--before", type=_period, required=True, help=f"{period_help} (required)")
    p.add_argument("--after", type=_period, required=True, help=f"{period_help} (required)")
    p.add_argument("--area", nargs="*", help="GSS codes (default: every area)")
    p.add_argument("--measure", default="poisoning", choices=("poisoning", "misuse"))
    p.add_argument("--sex", default="persons", choices=("persons", "males", "females"))
    p.add_argument("--conf", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--workbook", help="ONS local-authority workbook to use instead of data/")
    p.add_argument("--out", help="CSV file to write (default: standard output)")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("kits-check", help="validate a naloxone kit log (CSV or Excel)")
    p.add_argument("log")
    p.add_argument(
        "--map", nargs="*", metavar="HEADER=FIELD", help='column mapping, e.g. "Kit no=kit_id"'
    )
    p.add_argument("--sheet", help="Excel sheet (default: the first)")
    p.add_argument("--monthfirst", action="store_true", help="dates are MM/DD/YYYY")
    p.add_argument("--issues", help="CSV file for the list of problems found")
    p.add_argument("--out", help="CSV file for the tidy events (personal identifiers dropped)")
    p.add_argument("--strict", action="store_true", help="exit 1 when rows were rejected")
    p.set_defaults(func=_cmd_kits_check)

    p = sub.add_parser("kits-averted", help="deaths averted by take-home naloxone kits")
    p.add_argument("--used", type=int, help="kits returned used (or reported used)")
    p.add_argument("--issued", type=int, help="kits issued")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--conf", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--out", help="CSV file to write (default: standard output)")
    p.set_defaults(func=_cmd_kits_averted)
    return ap


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"overdose-trends: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``overdose-trends`` console script."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.func(args)
    except (DataFormatError, FileNotFoundError, KeyError, ValueError) as exc:
        print(f"overdose-trends: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
