"""Never die on a hostile workbook (issue #15 item 3, the workbook parts).

The guards live in ``io._workbook.open_workbook`` / ``Workbook.rows`` (with the extent
scan in ``io._sheet_guard``), so every workbook reader gets them: the local-authority
and national ONS readers and the kit log and kit counts readers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from overdose_trends import DataFormatError
from overdose_trends.io._sheet_guard import MAX_SHEET_CELLS, xls_extents, xlsx_extents
from overdose_trends.io._workbook import open_workbook
from overdose_trends.io.ons_local import read_local_authority
from tests.workbooks import la_old_sheets, write_workbook


def _far_cell_xlsx(path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Table 1"
    ws["A1"] = "Area code"
    ws["XFD1048576"] = 1  # one cell in the last row and column of an .xlsx sheet
    wb.save(path)
    return path


def test_far_cell_is_refused_before_any_grid_is_built(tmp_path):
    path = _far_cell_xlsx(tmp_path / "far.xlsx")
    assert path.stat().st_size < 20_000
    assert xlsx_extents(path.read_bytes()) == {"Table 1": (1_048_576, 16_384)}
    wb = open_workbook(path)
    with pytest.raises(DataFormatError, match="1,048,576 rows x 16,384 columns") as exc:
        wb.rows("Table 1")
    assert exc.value.sheet == "Table 1" and "far.xlsx" in str(exc.value)
    with pytest.raises(DataFormatError, match="more than the 16,777,216 cells"):
        read_local_authority(path)


def test_every_workbook_reader_survives_the_far_cell(tmp_path):
    # run in a child process: without the guard the interpreter is aborted (SIGABRT)
    path = _far_cell_xlsx(tmp_path / "far.xlsx")
    code = textwrap.dedent(
        f"""
        from overdose_trends.errors import DataFormatError
        from overdose_trends.io.kit_counts import read_kit_counts
        from overdose_trends.io.kit_log import read_kit_log
        from overdose_trends.io.ons_local import read_local_authority
        from overdose_trends.io.ons_national import read_national
        for reader in (read_local_authority, read_national, read_kit_log, read_kit_counts):
            try:
                reader({str(path)!r})
            except DataFormatError as exc:
                print(reader.__name__, "DataFormatError")
            except Exception as exc:
                print(reader.__name__, type(exc).__name__)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.split("\n")
    for name in ("read_local_authority", "read_national", "read_kit_log", "read_kit_counts"):
        assert f"{name} DataFormatError" in lines, done.stdout


def test_cap_is_adjustable(tmp_path):
    path = write_workbook(tmp_path / "la.xlsx", la_old_sheets())
    wb = open_workbook(path, max_cells=100)
    with pytest.raises(DataFormatError, match="more than the 100 cells"):
        wb.rows("Table 3")
    assert open_workbook(path).max_cells == MAX_SHEET_CELLS


def test_xls_extent_counts_cells_outside_the_declared_range(tmp_path):
    path = write_workbook(tmp_path / "la.xls", la_old_sheets(), fmt="xls")
    data = path.read_bytes()
    found = xls_extents(data)
    # Table 3: 6 header rows, 11 areas, 4 footnote rows; 4 + 17 periods x 6 columns,
    # the last spacer column empty
    assert found is not None and found["Table 3"] == (21, 105) and found["Table 1"] == (20, 23)
    # every DIMENSIONS record rewritten to declare a 1 x 1 sheet: the cells still count
    dims = re.compile(rb"\x00\x02\x0e\x00(.{4})(.{4})(.{2})(.{2})", re.DOTALL)
    shrunk = dims.sub(
        lambda m: b"\x00\x02\x0e\x00" + m[1] + b"\x01\x00\x00\x00" + m[3] + b"\x01\x00",
        data,
    )
    assert shrunk != data
    assert xls_extents(shrunk) == found


def test_engine_panics_become_data_format_errors(tmp_path):
    # python-calamine raises pyo3_runtime.PanicException (a BaseException) on some
    # truncated .xls files; every cut must give a DataFormatError naming the file
    whole = write_workbook(tmp_path / "la.xls", la_old_sheets(), fmt="xls").read_bytes()
    kinds = set()
    for cut in range(512, len(whole), max(len(whole) // 60, 1)):
        bad = tmp_path / "cut.xls"
        bad.write_bytes(whole[:cut])
        try:
            read_local_authority(bad)
            kinds.add("loaded")
        except DataFormatError as exc:
            assert "cut.xls" in str(exc)
            kinds.add("PanicException" if "PanicException" in str(exc) else "error")
    assert "error" in kinds


def test_folder_and_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="is a folder, not a workbook file"):
        read_local_authority(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such workbook file"):
        read_local_authority(tmp_path / "missing.xlsx")
