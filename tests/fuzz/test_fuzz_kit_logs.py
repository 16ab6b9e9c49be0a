"""Fuzz the kit-log reader: mutated CSV logs and ``.xlsx`` logs (cells and bytes).

The control is the first rows of the shipped synthetic log. Every input row must
be loaded or rejected (``n_loaded + n_rejected == n_input``), a bad value must
reject or flag its row, and no planted identifier (NHS numbers in several forms,
a landline, a name, a date of birth, a postcode, an e-mail address) may reach the
events, the report, its summary, a warning or an exception.
"""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz._check import Worker, problems, write_sheets
from tests.fuzz._mutate import BAD_NUMBERS, LONG, CsvSpec, byte_cases, csv_cases
from tests.fuzz.conftest import seed_of
from tests.fuzz.test_fuzz_csv import BASES as CSV_BASES
from tests.fuzz.test_fuzz_csv import _head, _rows, run_case

KWARGS = {"as_of": "2026-01-01"}


def _log() -> str:
    text = resources.files("overdose_trends").joinpath(
        "data", "synthetic_naloxone_kits_southend_norfolk.csv"
    )
    return _head(text.read_text("utf-8"), 80)


SPEC = CsvSpec(
    numbers=["doses"],
    required=["event_date", "event_type", "area_code"],
    text=["service", "kit_id"],
    categories=["event_type", "recipient_type", "supply_type", "product", "event_date"],
    row_level=True,
    half=0,
)
CSV_BASES["kit-log"] = ("kit_log", KWARGS, _log, SPEC)


@pytest.mark.parametrize("case", [pytest.param(c, id=f"kit-log-{c.name}") for c in csv_cases(SPEC)])
def test_kit_log_csv(case: Any, worker: Worker, tmp_path: Path) -> None:
    found = run_case("kit-log", case, worker, tmp_path)
    assert not found, found


_xlsx: dict[str, Any] = {}


def _xlsx_rows() -> list[list[Any]]:
    """The control log as a sheet would hold it: doses as numbers, the rest as text."""
    rows: list[list[Any]] = _rows(_log())
    col = rows[0].index("doses")
    for row in rows[1:]:
        if row[col].isdigit():
            row[col] = int(row[col])
    return rows


def _xlsx_control(worker: Worker, tmp_path: Path) -> tuple[bytes, dict[str, Any]]:
    if not _xlsx:
        path = write_sheets(tmp_path / "control.xlsx", {"Kits": _xlsx_rows()}, "xlsx")
        result = worker.run({"reader": "kit_log", "path": str(path), "kwargs": KWARGS})
        assert result["outcome"] == "ok" and result["rows"], result
        _xlsx.update(data=path.read_bytes(), result=result)
    return _xlsx["data"], _xlsx["result"]


def _cell_params() -> list[Any]:
    out = [pytest.param(label, value, id=f"doses-{label}") for label, value in BAD_NUMBERS]
    out.append(pytest.param("long", LONG, id="service-1MB"))
    out.append(pytest.param("far", None, id="far-cell-XFD1048576"))
    return out


@pytest.mark.parametrize(("label", "value"), _cell_params())
def test_kit_log_xlsx_cells(label: str, value: Any, worker: Worker, tmp_path: Path) -> None:
    _, ctrl = _xlsx_control(worker, tmp_path)
    rows = _xlsx_rows()
    rng = random.Random(seed_of("kit-xlsx", label))
    r = rng.randrange(1, len(rows))
    far = None
    if label == "far":
        far = "Kits"
    elif label == "long":
        rows[r][rows[0].index("service")] = value
    else:
        rows[r][rows[0].index("doses")] = value
    path = write_sheets(tmp_path / "mutated.xlsx", {"Kits": rows}, "xlsx", far=far)
    result = worker.run({"reader": "kit_log", "path": str(path), "kwargs": KWARGS})
    expect = (
        "raise"
        if far
        else "accounted"
        if label in ("long",) or label.startswith("huge")
        else "flagged"
    )
    found = problems(result, ctrl, expect)
    assert not found, found


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in byte_cases((1, 8))])
def test_kit_log_xlsx_bytes(case: Any, worker: Worker, tmp_path: Path) -> None:
    data, ctrl = _xlsx_control(worker, tmp_path)
    path = tmp_path / "mutated.xlsx"
    path.write_bytes(case.mutate(data, random.Random(seed_of("kit-xlsx", case.name))))
    result = worker.run({"reader": "kit_log", "path": str(path), "kwargs": KWARGS})
    expect = "accounted-any" if case.expect == "raise_or_complete" else case.expect
    found = problems(result, ctrl, expect)
    assert not found, found


def test_kit_log_directory_is_a_clean_error(worker: Worker, tmp_path: Path) -> None:
    result = worker.run({"reader": "kit_log", "path": str(tmp_path), "kwargs": KWARGS})
    found = problems(result, None, "raise")
    assert not found, found


@pytest.mark.parametrize("fmt", ["xlsx"])
def test_kit_counts_far_cell(fmt: str, worker: Worker, tmp_path: Path) -> None:
    rows = _rows(CSV_BASES["kit-counts"][2]())
    path = write_sheets(tmp_path / f"counts.{fmt}", {"Counts": rows}, fmt, far="Counts")
    result = worker.run({"reader": "kit_counts", "path": str(path), "kwargs": KWARGS})
    found = problems(result, None, "raise")
    assert not found, found


#: sheet-level changes to an .xlsx log: (sheets around the log, hidden sheets, expectation)
SHEET_CASES: dict[str, tuple[list[str], list[str], str]] = {
    "hidden-copy-of-log": (["Kits", "Copy"], ["Copy"], "raise"),
    "visible-copy-of-log": (["Kits", "Kits (2)"], [], "raise"),
    "notes-sheet-first": (["Notes", "Kits"], [], "same"),
    "empty-sheet-first": (["Sheet1", "Kits"], [], "same"),
    "empty-hidden-sheet": (["Kits", "Scratch"], ["Scratch"], "same"),
}


@pytest.mark.parametrize("name", sorted(SHEET_CASES))
def test_kit_log_xlsx_sheets(name: str, worker: Worker, tmp_path: Path) -> None:
    _, ctrl = _xlsx_control(worker, tmp_path)
    names, hidden, expect = SHEET_CASES[name]
    filler: dict[str, list[list[Any]]] = {
        "Notes": [["Read me first"]],
        "Sheet1": [[]],
        "Scratch": [[]],
    }
    sheets = {n: _xlsx_rows() if n not in filler else filler[n] for n in names}
    path = write_sheets(tmp_path / "mutated.xlsx", sheets, "xlsx", hidden=hidden)
    result = worker.run({"reader": "kit_log", "path": str(path), "kwargs": KWARGS})
    found = problems(result, ctrl, expect)
    assert not found, found
