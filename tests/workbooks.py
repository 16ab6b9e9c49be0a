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


def write_workbook(path: Path, sheets: Mapping[str, Grid], fmt: str = "xlsx") -> Path:
    """Write ``sheets`` (name -> rows) to ``path`` as ``fmt`` ("xlsx" or "xls")."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append([None if v == "" else v for v in row])
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
