"""Command-line interface: ``overdose-trends <command>``.

Commands
--------
report        Build the report (summary table, checks) from the shipped data or a workbook.
read-la       Convert an ONS local-authority workbook to a tidy CSV.
read-national Convert an ONS national reference-table workbook to a tidy CSV.
check         Run the consistency checks on an ONS local-authority workbook.
fetch         Download a published file into the local cache and print its path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from overdose_trends.errors import DataFormatError


def _cmd_report(args: argparse.Namespace) -> int:
    from overdose_trends.datasets import la_deaths
    from overdose_trends.ons import read_local_authority
    from overdose_trends.report import build_report

    la = read_local_authority(args.workbook) if args.workbook else la_deaths()
    for path in build_report(la, Path(args.out), progress=not args.quiet):
        print(path)
    return 0


def _write(df, out: str | None) -> None:
    if out:
        df.to_csv(out, index=False)
        print(f"wrote {len(df)} rows to {out}", file=sys.stderr)
    else:
        df.to_csv(sys.stdout, index=False)


def _cmd_read_la(args: argparse.Namespace) -> int:
    from overdose_trends.ons import read_local_authority

    _write(read_local_authority(args.workbook), args.out)
    return 0


def _cmd_read_national(args: argparse.Namespace) -> int:
    from overdose_trends.ons import read_national

    _write(read_national(args.workbook), args.out)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from overdose_trends.ons import check_consistency, read_local_authority

    report = check_consistency(read_local_authority(args.workbook))
    _write(report, args.out)
    return 1 if len(report) and args.strict else 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from overdose_trends.fetch import fetch

    print(fetch(args.url, known_hash=args.hash, offline=args.offline or None))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    ap = argparse.ArgumentParser(prog="overdose-trends", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="build the report from data/ (or --workbook)")
    p.add_argument("--out", default="reports/", help="output folder (default: reports/)")
    p.add_argument("--workbook", help="ONS local-authority workbook to use instead of data/")
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

    p = sub.add_parser("fetch", help="download a published file into the cache")
    p.add_argument("url")
    p.add_argument("--hash", help="expected checksum, e.g. sha256:<hex>")
    p.add_argument("--offline", action="store_true", help="use the cache only")
    p.set_defaults(func=_cmd_fetch)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``overdose-trends`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataFormatError, FileNotFoundError, KeyError) as exc:
        print(f"overdose-trends: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
