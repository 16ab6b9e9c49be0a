"""Fuzz the CSV readers: population, Fingertips, kit counts and death records.

Controls are small valid files (test fixtures, the shipped excerpts, rows built
here). Each mutated file is read in a child process; strict table readers must
raise a clean ``DataFormatError`` naming the row or column, row-level readers
may instead reject or flag the row with every input row accounted for, and no
planted identifier may reach any output, warning or message.
"""

from __future__ import annotations

import csv
import io
import random
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz._check import Worker, problems
from tests.fuzz._mutate import CsvSpec, csv_cases
from tests.fuzz.conftest import seed_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AGES = [f"Age {a}" for a in (0, 17, 45, 89)]


def _data(name: str) -> str:
    return resources.files("overdose_trends").joinpath("data", name).read_text("utf-8")


def _records() -> str:
    # one registration per row; dates, ages and codes varied so no two rows are equal
    head = [
        "registration_date",
        "occurrence_date",
        "age",
        "sex",
        "area_code",
        "underlying_cause",
        "cause_1",
        "substances",
    ]
    causes = ["X42.0", "X44", "X62", "F11.2", "Y12"]
    rows = [head]
    for i in range(30):
        rows.append(
            [
                f"2021-{1 + i % 12:02d}-{10 + i % 15:02d}",
                f"2021-{1 + i % 12:02d}-0{1 + i % 9}",
                str(20 + i),
                "MF"[i % 2],
                ["E06000033", "E07000148", "W06000016"][i % 3],
                causes[i % 5],
                "T40.1" if i % 2 else "T40.5",
                "heroin" if i % 2 else "cocaine",
            ]
        )
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _head(text: str, n: int) -> str:
    return "\n".join(text.splitlines()[: n + 1]) + "\n"


#: name -> (reader, reader kwargs, control text, spec)
BASES: dict[str, tuple[str, dict[str, Any], Any, CsvSpec]] = {
    "mye": (
        "mye",
        {},
        lambda: _data("ons_population_single_age_excerpt.csv"),
        CsvSpec(numbers=AGES, required=["code", "year", *AGES], half=0),
    ),
    "nomis": (
        "population",
        {},
        lambda: (FIXTURES / "nomis_mye_southend_2014_2015.csv").read_text("utf-8"),
        CsvSpec(
            numbers=["OBS_VALUE"],
            required=["OBS_VALUE", "GEOGRAPHY_CODE", "C_AGE_NAME"],
            half=1,
        ),
    ),
    "fingertips": (
        "fingertips",
        {"breakdowns": True},  # every row is read, so every mutation lands in data
        lambda: (FIXTURES / "fingertips_92432_utla.csv").read_text("utf-8"),
        CsvSpec(
            numbers=["Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count"],
            required=["Indicator ID", "Area Code", "Sex", "Time period", "Value"],
        ),
    ),
    "kit-counts": (
        "kit_counts",
        {"as_of": "2026-01-01"},
        lambda: _head(_data("synthetic_naloxone_kits_monthly.csv"), 60),
        CsvSpec(
            numbers=["value"],
            required=["area_code", "period_start", "measure", "value"],
            text=["service"],
            categories=["measure", "status"],
            row_level=True,  # every bad number: the 1e20, 5.000,0 and 1_000 cases
        ),
    ),
    "records": (
        "records",
        {"as_of": "2025-01-01"},
        _records,
        CsvSpec(
            numbers=["age"],
            required=["registration_date", "area_code", "underlying_cause", "sex"],
            text=["substances"],
            categories=["sex", "registration_date", "underlying_cause"],
            row_level=True,
            half=1,
        ),
    ),
}
_controls: dict[str, dict[str, Any]] = {}


def control(name: str, worker: Worker, tmp_path: Path) -> dict[str, Any]:
    """The reader outcome of the unmutated control (once per base)."""
    if name not in _controls:
        reader, kwargs, text, _ = BASES[name]
        path = tmp_path / "control.csv"
        path.write_text(text(), "utf-8")
        result = worker.run({"reader": reader, "path": str(path), "kwargs": kwargs})
        assert result["outcome"] == "ok", result
        assert result["rows"] > 0 and not result["negatives"], result
        _controls[name] = result
    return _controls[name]


def _rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text))]


def _params() -> list[Any]:
    return [
        pytest.param(base, case, id=f"{base}-{case.name}")
        for base, (*_, spec) in BASES.items()
        for case in csv_cases(spec)
    ]


def expectation(case: Any, data: bytes) -> str:
    """The case's expectation; a cut that ends on a line break leaves only whole rows."""
    if case.expect == "truncated":
        return "accounted-any" if data.endswith(b"\n") else "flagged"
    return case.expect


def run_case(base: str, case: Any, worker: Worker, tmp_path: Path) -> list[str]:
    """Mutate the control, read it in the worker and list the problems of the outcome."""
    reader, kwargs, text, _ = BASES[base]
    ctrl = control(base, worker, tmp_path)
    data = case.mutate(_rows(text()), random.Random(seed_of(base, case.name)))
    path = tmp_path / "mutated.csv"
    path.write_bytes(data)
    result = worker.run(
        {"reader": reader, "path": str(path), "kwargs": kwargs, "planted": list(case.planted)}
    )
    expect = expectation(case, data)
    n_input = None
    if case.name.startswith("truncated"):  # the rows left, the cut one included
        n_input = max(0, len([x for x in data.split(b"\n") if x.strip()]) - 1)
    return problems(result, ctrl, expect, n_input=n_input)


@pytest.mark.parametrize(("base", "case"), _params())
def test_csv_mutation(base: str, case: Any, worker: Worker, tmp_path: Path) -> None:
    found = run_case(base, case, worker, tmp_path)
    assert not found, found


@pytest.mark.parametrize("reader", ["mye", "population", "fingertips", "kit_counts", "records"])
def test_directory_is_a_clean_error(reader: str, worker: Worker, tmp_path: Path) -> None:
    (tmp_path / "inside.csv").write_text("a,b\n1,2\n", "utf-8")
    result = worker.run({"reader": reader, "path": str(tmp_path), "kwargs": {}})
    found = problems(result, None, "raise")
    assert not found, found
