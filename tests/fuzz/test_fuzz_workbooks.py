"""Fuzz the ONS workbook readers: mutated cells, columns, sheets and bytes.

Controls are small valid workbooks built by :mod:`tests.workbooks` (local-authority
tables in the layout used to 2021 as ``.xls`` and in the accessible layout as
``.xlsx``) and by the national-table tests (accessible layout). Every mutated
workbook is read in a child process (:class:`tests.fuzz._check.Worker`); the
outcome must be a clean ``DataFormatError`` naming its location, or (for
mutations that may leave the workbook readable) a result identical to the
control or with all its rows, never a crash, hang or silent loss.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz._check import Worker, problems, write_sheets
from tests.fuzz._mutate import FULL, byte_cases, grid_cases
from tests.fuzz.conftest import seed_of
from tests.workbooks import LA_AREAS_2019, LA_AREAS_2023, la_accessible_sheets, la_old_sheets


def _national() -> dict[str, list[list[Any]]]:
    from tests.test_ons_national_tables import accessible_sheets

    return accessible_sheets()


def _national_2016() -> dict[str, list[list[Any]]]:
    from tests.test_ons_national_tables import sheets_2016

    return sheets_2016()


#: name -> (reader, format, builder of the control's sheets)
BASES = {
    "la2019-xls": ("local", "xls", lambda: la_old_sheets(LA_AREAS_2019[:6], 2019, 2013)),
    "la2019-xlsx": ("local", "xlsx", lambda: la_old_sheets(LA_AREAS_2019[:6], 2019, 2013)),
    "la-accessible-xlsx": (
        "local",
        "xlsx",
        lambda: la_accessible_sheets(2023, LA_AREAS_2023[:6], 2017, extra_tables=False),
    ),
    "national-xlsx": ("national", "xlsx", _national),
    "national2016-xls": ("national", "xls", _national_2016),
}
#: reader keyword arguments per base (the 2016 excerpt lacks the core tables: require none)
KWARGS: dict[str, dict[str, Any]] = {"national2016-xls": {"require": []}}
#: Mutations only an .xlsx can hold (xlwt writes no formulas, error cells, far cells,
#: merged cells or strings over 32,767 characters).
XLSX_ONLY = ("far-cell", "formula", "ref_error", "na_", "long", "merged")
_controls: dict[str, tuple[bytes, dict[str, Any]]] = {}


def control(name: str, worker: Worker, tmp_path: Path) -> tuple[bytes, dict[str, Any]]:
    """The control workbook's bytes and its reader outcome (built once per base)."""
    if name not in _controls:
        reader, fmt, build = BASES[name]
        path = write_sheets(tmp_path / f"control.{fmt}", build(), fmt)
        result = worker.run({"reader": reader, "path": str(path), "kwargs": KWARGS.get(name, {})})
        assert result["outcome"] == "ok", result
        assert result["rows"] > 0 and not result["negatives"], result
        _controls[name] = (path.read_bytes(), result)
    return _controls[name]


def _grid_params() -> list[Any]:
    out = []
    for base, (_, fmt, _) in BASES.items():
        layout = "national" if base.startswith("national") else "la"
        for case in grid_cases(layout):
            if fmt == "xls" and case.name.startswith(XLSX_ONLY):
                continue
            if base == "la2019-xlsx" and not FULL and not case.name.startswith(XLSX_ONLY):
                continue  # the same grid as la2019-xls: in CI only what .xls cannot hold
            out.append(pytest.param(base, case, id=f"{base}-{case.name}"))
    return out


def _byte_params() -> list[Any]:
    # in CI the 2019 layout's bytes are damaged as .xls only (.xlsx bytes: the other two)
    bases = [b for b in BASES if FULL or b != "la2019-xlsx"]
    return [
        pytest.param(base, case, id=f"{base}-{case.name}")
        for base in bases
        for case in byte_cases()
    ]


@pytest.mark.parametrize(("base", "case"), _grid_params())
def test_grid_mutation(base: str, case: Any, worker: Worker, tmp_path: Path) -> None:
    reader, fmt, build = BASES[base]
    _, ctrl = control(base, worker, tmp_path)
    sheets = copy.deepcopy(build())
    extra = case.mutate(sheets, random.Random(seed_of(base, case.name))) or {}
    path = write_sheets(
        tmp_path / f"mutated.{fmt}",
        sheets,
        fmt,
        hidden=extra.get("hidden", ()),
        far=extra.get("far"),
        merged=extra.get("merged"),
    )
    result = worker.run({"reader": reader, "path": str(path), "kwargs": KWARGS.get(base, {})})
    assert not problems(result, ctrl, case.expect), problems(result, ctrl, case.expect)


@pytest.mark.parametrize(("base", "case"), _byte_params())
def test_byte_mutation(base: str, case: Any, worker: Worker, tmp_path: Path) -> None:
    reader, fmt, _ = BASES[base]
    data, ctrl = control(base, worker, tmp_path)
    mutated = case.mutate(data, random.Random(seed_of(base, case.name)))
    path = tmp_path / f"mutated.{fmt}"
    path.write_bytes(mutated)
    result = worker.run({"reader": reader, "path": str(path), "kwargs": KWARGS.get(base, {})})
    assert not problems(result, ctrl, case.expect), problems(result, ctrl, case.expect)


def test_directory_is_a_clean_error(worker: Worker, tmp_path: Path) -> None:
    for reader in ("local", "national"):
        result = worker.run({"reader": reader, "path": str(tmp_path)})
        assert not problems(result, None, "raise"), (reader, result)


def test_control_is_stable(worker: Worker, tmp_path: Path) -> None:
    """Writing and reading the same workbook twice gives the same digest (no-op baseline)."""
    for base, (reader, fmt, build) in BASES.items():
        _, ctrl = control(base, worker, tmp_path)
        path = write_sheets(tmp_path / f"again.{fmt}", build(), fmt)
        again = worker.run({"reader": reader, "path": str(path), "kwargs": KWARGS.get(base, {})})
        assert not problems(again, ctrl, "same"), (base, again)
