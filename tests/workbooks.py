"""Write small workbooks for tests, in either .xls (BIFF8, via xlwt) or .xlsx (openpyxl).

Tests build their own fixtures so that they run without the reference files in
../shared. A sheet is given as a list of rows; each row is a list of cell values
(``None`` or ``""`` for an empty cell).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Grid = Sequence[Sequence[Any]]


def write_workbook(
    path: Path,
    sheets: Mapping[str, Grid],
    fmt: str = "xlsx",
    *,
    hidden: Sequence[str] = (),
    merged: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write ``sheets`` (name -> rows) to ``path`` as ``fmt`` ("xlsx" or "xls").

    ``hidden`` names sheets to hide and ``merged`` maps a sheet to ranges to merge
    (``"E7:F7"``); both only for ``"xlsx"``. In ``"xlsx"`` a text starting with ``=``
    becomes a formula saved without a value, and ``"#REF!"``/``"#N/A"`` error cells.
    """
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append([None if v == "" else v for v in row])
            for cells in (merged or {}).get(name, ()):
                ws.merge_cells(cells)
            if name in hidden:
                ws.sheet_state = "hidden"
        wb.save(path)
    elif fmt == "xls":
        import xlwt

        wb = xlwt.Workbook(encoding="utf-8")
        for name, rows in sheets.items():
            ws = wb.add_sheet(name)
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if v is not None and v != "":
                        ws.write(r, c, v)
        wb.save(str(path))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return Path(path)


# --- ONS "deaths related to drug poisoning by local authority" workbooks ----------------
#: A few real GSS codes and names: 2019 geography, and the 2021/2023 unitary authorities
#: that replaced counties and districts (Buckinghamshire 2020, Northamptonshire 2021,
#: Cumbria, North Yorkshire and Somerset 2023).
LA_AREAS_2019 = (
    ("E92000001", "England"),
    ("E06000033", "Southend-on-Sea"),
    ("E06000017", "Rutland"),
    ("E10000002", "Buckinghamshire"),
    ("E07000004", "Aylesbury Vale"),
    ("E10000021", "Northamptonshire"),
    ("E07000150", "Corby"),
    ("E10000006", "Cumbria"),
    ("E07000026", "Allerdale"),
    ("E07000148", "Norwich"),
    ("W06000016", "Rhondda Cynon Taf"),
)
LA_AREAS_2023 = (
    ("E92000001", "England"),
    ("E06000033", "Southend-on-Sea"),
    ("E06000017", "Rutland"),
    ("E06000060", "Buckinghamshire"),
    ("E06000061", "North Northamptonshire"),
    ("E06000063", "Cumberland"),
    ("E06000065", "North Yorkshire"),
    ("E07000148", "Norwich"),
    ("W06000016", "Rhondda Cynon Taf"),
)


def la_deaths(code: str, year: int, measure: str = "poisoning", sex: str = "persons") -> int:
    """Synthetic deaths registered in ``year``: deterministic, varied, some below 10."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(code + measure + sex))
    base = 2 + seed % 37 if code[1:3] != "92" else 2500 + seed % 900
    factor = {"persons": 1.0, "males": 0.7, "females": 0.3}[sex]
    factor *= 0.6 if measure == "misuse" else 1.0
    return int(base * factor * (1 + 0.03 * (year - 2000)) + (year * 7 + seed) % 5)


def la_rate(deaths: int) -> tuple[float, float, float]:
    """A plausible rate per 100,000 with limits (lcl <= rate <= ucl) for ``deaths``."""
    rate = round(deaths / 7.3, 1)
    return rate, round(rate * 0.7, 1), round(rate * 1.4 + 0.1, 1)


def _rate_cells(deaths: int, accessible: bool) -> list[Any]:
    if deaths < 10:
        return ["[x]", "", "[x]", "[x]"] if accessible else [":", "", ":", ":"]
    rate, lcl, ucl = la_rate(deaths)
    marker = ("[u]" if accessible else "U") if deaths < 20 else ""
    return [rate, marker, lcl, ucl]


_MEASURE_TEXT = {"poisoning": "drug poisoning", "misuse": "drug misuse"}
_RATE_TABLES = [
    (3, "poisoning", "persons"),
    (4, "poisoning", "males"),
    (5, "poisoning", "females"),
    (6, "misuse", "persons"),
    (7, "misuse", "males"),
    (8, "misuse", "females"),
]


def la_accessible_sheets(
    edition: int = 2023,
    areas: Sequence[tuple[str, str]] = LA_AREAS_2023,
    first_year: int = 2013,
    *,
    extra_tables: bool = True,
    revise: Mapping[tuple[str, int], int] | None = None,
) -> dict[str, list[list[Any]]]:
    """An ONS local-authority workbook in the accessible layout (editions from 2022).

    Cover, Contents (listing every table), Notes; ``Table_1``/``Table_2`` single-year
    counts (drug poisoning, drug misuse; newest year first, headers with ``[note N]``);
    ``Table_3``..``Table_8`` three-year periods ("2021 to 2023") with deaths, rate,
    marker and limits for poisoning/misuse x persons/males/females; with
    ``extra_tables`` a registration-delay table (``Table_9``, skipped by the reader)
    and a renamed extra table of deaths by area (``Table_10``, same figures as
    Table_1 by the 2023 geography name). ``revise`` adds deaths to single years of
    poisoning, persons (``{(code, year): change}``) to model an edition's revisions.
    """
    revise = dict(revise or {})
    years = list(range(edition, first_year - 1, -1))
    periods = [(y - 2, y) for y in years if y - 2 >= first_year]

    def deaths(code: str, year: int, measure: str, sex: str) -> int:
        extra = revise.get((code, year), 0) if (measure, sex) == ("poisoning", "persons") else 0
        return la_deaths(code, year, measure, sex) + extra

    sheets: dict[str, list[list[Any]]] = {
        "Cover": [["Deaths related to drug poisoning by local authority, England and Wales"]],
        "Contents": [["Table number", "Table title"]],
        "Notes": [["Note number", "Note text"], ["note 1", "Figures are for deaths registered"]],
    }
    contents = sheets["Contents"]

    def add(name: str, title: str, rows: list[list[Any]]) -> None:
        sheets[name] = [
            [f"{name.replace('_', ' ')}: {title}"],
            ["This worksheet contains one table."],
        ]
        sheets[name] += rows
        contents.append([name, title])

    for number, measure in ((1, "poisoning"), (2, "misuse")):
        head = ["Area code", "Area name [note 2]", *(f"{y} [note 3]" for y in years)]
        body = [
            [code, name, *(deaths(code, y, measure, "persons") for y in years)]
            for code, name in areas
        ]
        add(
            f"Table_{number}",
            f"Number of deaths related to {_MEASURE_TEXT[measure]}, persons, by local authority, "
            f"England and Wales, registered {first_year} to {edition}",
            [head, *body],
        )
    for number, measure, sex in _RATE_TABLES:
        head = ["Area code", "Area name"]
        for a, b in periods:
            p = f"{a} to {b}"
            head += [
                f"{p} Number of deaths",
                f"{p} Age-standardised rate per 100,000 [note 4]",
                f"{p} Rate marker [note 5]",
                f"{p} Lower 95% confidence limit",
                f"{p} Upper 95% confidence limit",
            ]
        body = []
        for code, name in areas:
            row: list[Any] = [code, name]
            for a, b in periods:
                n = sum(deaths(code, y, measure, sex) for y in range(a, b + 1))
                row += [n, *_rate_cells(n, accessible=True)]
            body.append(row)
        add(
            f"Table_{number}",
            f"Number of deaths and age-standardised mortality rates for deaths related to "
            f"{_MEASURE_TEXT[measure]}, {sex}, by local authority, England and Wales, "
            f"registered {first_year} to {edition}",
            [head, *body],
        )
    if extra_tables:
        add(
            "Table_9",
            "Median registration delay in days for deaths related to drug poisoning, by local "
            "authority",
            [["Area code", "Area name", "Median delay (days)"]]
            + [[code, name, 150 + i] for i, (code, name) in enumerate(areas)],
        )
        head = ["Area code", "Area name", "Registration period", "Sex", "Number of deaths"]
        body = [
            [code, name, f"{y}", "Persons", deaths(code, y, "misuse", "males")]
            for code, name in areas
            for y in years[:2]
        ]
        add(
            "Table_10",
            f"Deaths related to drug misuse, males, {edition} local authority geography "
            "(long format)",
            [head, *[[*r[:3], "Males", r[4]] for r in body]],
        )
    return sheets


def la_old_sheets(
    areas: Sequence[tuple[str, str]] = LA_AREAS_2019,
    edition: int = 2019,
    first_year: int = 2001,
) -> dict[str, list[list[Any]]]:
    """An ONS local-authority workbook in the layout used to 2021 (``Table 1``..``Table 8``).

    "Area Codes" header, name columns B-D, six-column period blocks (Deaths | Rate 1 |
    marker | Lower | Upper | spacer) labelled ``2017\u201319``, ``:``/``U`` markers and
    footnotes below each table. Scales with ``areas`` (the benchmarks repeat it).
    """
    years = list(range(edition, first_year - 1, -1))
    periods = [(y - 2, y) for y in years if y - 2 >= first_year]
    foot = [[], ["Footnotes"], ["1 Rates per 100,000 population."], ["Source: ONS"]]
    contents = [["Worksheet names", "Deaths related to drug poisoning by local authority"]]
    sheets: dict[str, list[list[Any]]] = {"Contents": contents}
    for number, measure in ((1, "poisoning"), (2, "misuse")):
        title = (
            f"Number of deaths related to {_MEASURE_TEXT[measure]}, persons by local authority, "
            f"England and Wales, registered in each year between {first_year} and {edition}"
        )
        rows: list[list[Any]] = [["Back to contents"], [title], []]
        rows.append(["Area Codes", "Area Names", "", "", *(float(y) for y in years)])
        rows.append([])
        for code, name in areas:
            rows.append([code, name, "", "", *(la_deaths(code, y, measure) for y in years)])
        sheets[f"Table {number}"] = rows + foot
        contents.append([f"Table {number}", title])
    for number, measure, sex in _RATE_TABLES:
        title = (
            f"Number of deaths and age-standardised mortality rate for deaths related to "
            f"{_MEASURE_TEXT[measure]}, {sex} by local authority, England and Wales, deaths "
            f"registered between {first_year} and {edition} 1,2"
        )
        head = ["Area Codes", "Area Names", "", ""]
        sub = ["", "", "", ""]
        for a, b in periods:
            head += [f"{a}\u2013{str(b)[2:]}", "", "", "", "", ""]
            sub += [
                "Deaths",
                "Rate 1",
                "",
                "Lower Confidence Limit 2",
                "Upper Confidence Limit 2",
                "",
            ]
        rows = [["Back to contents"], [title], [], head, sub, []]
        for code, name in areas:
            row: list[Any] = [code, name, "", ""]
            for a, b in periods:
                n = sum(la_deaths(code, y, measure, sex) for y in range(a, b + 1))
                rate, marker, lcl, ucl = _rate_cells(n, accessible=False)
                row += [n, rate, marker, lcl, ucl, ""]
            rows.append(row)
        sheets[f"Table {number}"] = rows + foot
        contents.append([f"Table {number}", title])
    return sheets
