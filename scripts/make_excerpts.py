"""Cut small excerpts of the original ONS files for the readers' runnable examples.

The ONS workbooks are public (Open Government Licence v3.0) but too large to
ship; the examples of ``read_local_authority``, ``read_national`` and
``read_mid_year_estimates`` read these excerpts instead::

    python scripts/make_excerpts.py --shared ../shared/data

An excerpt keeps the original's sheets, titles, header rows, markers and
footnotes cell for cell, and only a few of its data rows (listed below); the
tables that are left out are removed from the Contents sheet, and a line at the
end of the Contents sheet says that the file is an excerpt. Writing ``.xlsx``
needs openpyxl (a development dependency); the package reads the files with
python-calamine. Cell values are copied, not formatting. Each excerpt is
checked against the tidy extracts shipped in ``data/`` (same numbers) before
it is kept, and the files are written with fixed timestamps so that a rebuild
is byte-identical.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineWorkbook

from overdose_trends.io import datasets
from overdose_trends.io.ons_local import read_local_authority
from overdose_trends.io.ons_national import read_national
from overdose_trends.io.population import read_mid_year_estimates, to_esp_bands
from overdose_trends.schema import parse_period

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "overdose_trends" / "data"

#: Local-authority workbook: Tables 1 (single years, drug poisoning) and 3 (three-year
#: periods with rates, drug poisoning, persons), these areas only.
LA_TABLES = ("Table 1", "Table 3")
LA_AREAS = (
    "K04000001",  # England and Wales (Table 1 only)
    "E92000001",  # England
    "W92000004",  # Wales
    "E12000006",  # East of England
    "E10000020",  # Norfolk (county)
    "E06000033",  # Southend-on-Sea
    "E07000069",  # Castle Point: rates not calculated (':') and unreliable ('U')
)
#: National workbook: every table (1-10), these registration years (periods ending in
#: them) only; Table 6 (five-year age groups, years across the columns) whole.
NATIONAL_TABLES = tuple(f"Table {n}" for n in range(1, 11))
NATIONAL_YEARS = range(2017, 2022)
#: Table 7 (countries and regions): these areas and years only.
REGION_AREAS = ("E92000001", "W92000004", "E12000006")
REGION_YEARS = range(2019, 2022)
#: Mid-year population estimates by single year of age: these rows only.
POPULATION_ROWS = (("E06000033", 2000), *(("E06000033", y) for y in range(2013, 2016)))


_GSS = re.compile(r"^[EWKSN]\d{8}$")
_SEXES = {"persons", "males", "females"}
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)

Row = list[Any]
Keep = Callable[[Row, dict[str, Any]], bool | None]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--only", choices=("la", "national", "population"), help="one excerpt only")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "la"):
        _make_la(args)
    if args.only in (None, "national"):
        _make_national(args)
    if args.only in (None, "population"):
        population = args.out / datasets.POPULATION_EXCERPT
        _excerpt_population(args.shared / "population" / "la_pop_estimates.csv", population)
        _check_population(population)


def _make_la(args: argparse.Namespace) -> None:
    la = args.out / datasets.LA_WORKBOOK_EXCERPT
    _excerpt_workbook(
        args.shared / "ons" / "2019localauthorities1.xls",
        la,
        LA_TABLES,
        {t: _la_rows for t in LA_TABLES},
        "Tables 1 and 3, seven areas",
    )
    _check_la(la)


def _make_national(args: argparse.Namespace) -> None:
    national = args.out / datasets.NATIONAL_WORKBOOK_EXCERPT
    keep: dict[str, Keep] = {t: _year_rows for t in NATIONAL_TABLES if t != "Table 6"}
    _excerpt_workbook(
        args.shared / "ons" / "2021registrations.xlsx",
        national,
        NATIONAL_TABLES,
        {**keep, "Table 7": _region_rows},
        "every table, registrations 2017-2021 (Table 6: all years; Table 7: 2019-2021, "
        "three areas)",
    )
    _check_national(national)


# --- workbooks -------------------------------------------------------------------------


def _la_rows(row: Row, state: dict[str, Any]) -> bool | None:
    """A data row of a local-authority table (None: not a data row)."""
    code = str(row[0]).strip()
    if not _GSS.match(code):
        return None
    return code in LA_AREAS


def _year_rows(row: Row, state: dict[str, Any]) -> bool | None:
    """A data row of a national table with one year (or period) per row, in column A
    or B; sex section rows (``Males``, with or without a year) are kept."""
    period = next((p for p in map(_period, row[:2]) if p is not None), None)
    if period is not None:
        return period[1] in NATIONAL_YEARS
    if str(row[0]).strip().lower() in _SEXES:
        return True
    return None


def _period(value: Any) -> tuple[int, int] | None:
    if isinstance(value, str) and not value.strip():
        return None
    return parse_period(value)


def _region_rows(row: Row, state: dict[str, Any]) -> bool | None:
    """A data row of national Table 7: the year is given on the first row of its block."""
    if isinstance(row[0], float):
        state["year"] = int(row[0])
    code = str(row[1]).strip()
    if not _GSS.match(code):
        return None
    return code in REGION_AREAS and state.get("year") in REGION_YEARS


def _excerpt_workbook(
    source: Path, out: Path, tables: Sequence[str], keep: dict[str, Keep], what: str
) -> None:
    from openpyxl import Workbook

    book = CalamineWorkbook.from_path(str(source))
    wb = Workbook()
    wb.remove(wb.active)
    for name in book.sheet_names:
        if name.startswith("Table") and name not in tables:
            continue
        rows = book.get_sheet_by_name(name).to_python()
        if name == "Contents":
            rows = _contents(rows, tables, source.name, what)
        elif name in keep:
            rows = _cut(rows, keep[name])
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([None if v == "" else v for v in row])
    wb.properties.creator = "overdose_trends scripts/make_excerpts.py"
    wb.properties.created = wb.properties.modified = datetime(*_FIXED_TIME)
    wb.save(out)
    _fix_zip_times(out)
    print(f"wrote {out.name} ({out.stat().st_size:,} bytes)")


def _contents(rows: list[Row], tables: Sequence[str], source: str, what: str) -> list[Row]:
    """The Contents sheet without the tables left out, and a line saying so."""
    kept = [r for r in rows if not (str(r[0]).startswith("Table") and r[0] not in tables)]
    width = max(len(r) for r in rows)
    note = (
        f"Excerpt of {source} ({what}) made by overdose_trends scripts/make_excerpts.py; "
        "values as published. Contains public sector information licensed under the Open "
        "Government Licence v3.0."
    )
    return [*kept, [""] * width, [note, *[""] * (width - 1)]]


def _cut(rows: list[Row], keep: Keep) -> list[Row]:
    """Header rows, the kept data rows and the footnotes of a table."""
    state: dict[str, Any] = {}
    verdict = [keep(r, state) if len(r) > 1 else None for r in rows]
    data = [i for i, v in enumerate(verdict) if v is not None]
    first, last = data[0], data[-1]
    out = rows[:first]
    for i in range(first, last + 1):
        blank = all(v == "" for v in rows[i])
        if verdict[i] or (blank and out and any(v != "" for v in out[-1])):
            out.append(rows[i])
    return out + rows[last + 1 :]


def _fix_zip_times(path: Path) -> None:
    """Rewrite a zip file with fixed timestamps, inside and out (byte-identical rebuilds).

    openpyxl stamps the save time as the workbook's ``modified`` property and as
    the time of each zip member.
    """
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*_FIXED_TIME)
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            z.writestr(fixed, data)


# --- population --------------------------------------------------------------------


def _excerpt_population(source: Path, out: Path) -> None:
    wanted = {(code, str(year)) for code, year in POPULATION_ROWS}
    with open(source, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for r in reader if (r[1], r[2]) in wanted]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    out.write_text(buffer.getvalue(), encoding="utf-8")
    print(f"wrote {out.name} ({len(rows)} rows)")


# --- checks against the shipped tidy extracts ---------------------------------------------

_VALUES = ["area_code", "measure", "sex", "period_start", "period_end", "deaths", "rate"]
_VALUES += ["lcl", "ucl", "rate_status"]


def _same(got: pd.DataFrame, expected: pd.DataFrame, keys: list[str], what: str) -> None:
    got = got.sort_values(keys).reset_index(drop=True)[expected.columns]
    expected = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    print(f"checked {what}: {len(got)} rows agree with the shipped extract")


def _check_la(path: Path) -> None:
    got = read_local_authority(path)
    shipped = datasets.la_deaths()
    expected = shipped[shipped["sheet"].isin(LA_TABLES) & shipped["area_code"].isin(LA_AREAS)]
    _same(got[_VALUES], expected[_VALUES], _VALUES[:5], path.name)


def _check_national(path: Path) -> None:
    got = read_national(path)
    shipped = datasets.national_tables()
    region = shipped["table"] == "region"
    expected = shipped[
        (shipped["table"] == "age_specific_5y")
        | (~region & shipped["period_end"].isin(NATIONAL_YEARS))
        | (
            region
            & shipped["period_start"].isin(REGION_YEARS)
            & shipped["area_code"].isin(REGION_AREAS)
        )
    ]
    keys = ["table", "area_code", "measure", "substance", "cause", "sex", "age_band"]
    keys += ["quintile", "period_start", "period_end"]
    values = ["deaths", "rate", "lcl", "ucl", "rate_status", "delay_days"]
    missing = set(expected["table"]) ^ set(got["table"])
    assert not missing, f"tables missing from the excerpt or the extract: {missing}"
    _same(got[[*keys, *values]], expected[[*keys, *values]], keys, path.name)


def _check_population(path: Path) -> None:
    bands = to_esp_bands(read_mid_year_estimates(path))
    shipped = datasets.population_bands()
    codes = {c for c, _ in POPULATION_ROWS}
    years = {y for _, y in POPULATION_ROWS}
    expected = shipped[shipped["area_code"].isin(codes) & shipped["year"].isin(years)]
    columns = ["area_code", "year", "age_band", "population"]
    got = bands[columns].assign(age_band=bands["age_band"].astype(str))
    _same(
        got,
        expected[columns].assign(age_band=expected["age_band"].astype(str)),
        columns[:3],
        path.name,
    )


if __name__ == "__main__":
    main()
