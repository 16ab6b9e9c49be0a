"""Memory of read_local_authority (issue #12, Performance).

The tidy frame is assembled once from the tables' compact arrays: text columns
from their few distinct labels and integer codes (in Arrow when pandas stores
``str`` there), every column handed to pandas without a copy. These tests check
that this gives exactly the frame of the plain object-array route, in both
storages of the ``str`` dtype, that the frame is an ordinary editable one, and
that the peak memory of a whole read stays within 1.5x the raw calamine read
(measured as ``benchmarks/bench_ons_read.py`` does, in fresh processes).
"""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overdose_trends.io import ons_local
from overdose_trends.io.datasets import data_dir
from overdose_trends.schema import DEATHS_COLUMNS, DTYPES

EXCERPT = data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx"
PYTHON_STR = pd.StringDtype("python", na_value=np.nan)


def _read(path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ons_local.read_local_authority(path)


@pytest.mark.parametrize("storage", ["default", "python"])
def test_text_column_is_the_labels_at_the_codes(storage):
    with pd.option_context("mode.string_storage", "python" if storage == "python" else "auto"):
        _check_text_column(expected=pd.StringDtype(na_value=np.nan))


def _check_text_column(expected) -> None:
    labels = np.array(["E06000033", "Southend-on-Sea", "Castle Point", ""], dtype=object)
    codes = np.array([2, 0, 0, 3, 1, 2], dtype=np.int32)
    got = ons_local._text(labels, codes)
    assert got.dtype == expected and got.dtype == pd.array(["x"], dtype="str").dtype
    assert list(got) == [labels[c] for c in codes]
    assert got.isna().sum() == 0  # an empty label stays an empty string
    empty = ons_local._text(labels, np.array([], dtype=np.int32))
    assert len(empty) == 0 and empty.dtype == expected


def test_frame_has_the_schema_dtypes_and_one_block_per_column():
    df = _read(EXCERPT)
    assert list(df.columns) == list(DEATHS_COLUMNS)
    assert {c: str(t) for c, t in df.dtypes.items()} == {c: DTYPES[c] for c in DEATHS_COLUMNS}
    # no consolidation copy: the numeric columns were not stacked into 2-D blocks
    assert len(df._mgr.blocks) == len(DEATHS_COLUMNS)


def test_python_string_storage_reads_the_same_values():
    default = _read(EXCERPT)
    with pd.option_context("mode.string_storage", "python"):
        python = _read(EXCERPT)
    text = [c for c in DEATHS_COLUMNS if DTYPES[c] == "str"]
    assert all(python[c].dtype == PYTHON_STR for c in text)
    as_objects = dict.fromkeys(text, object)
    # (the column labels, made under the option, are python-stored too)
    pd.testing.assert_frame_equal(
        python.astype(as_objects), default.astype(as_objects), check_column_type=False
    )


def test_frame_is_editable_and_owns_its_columns():
    df = _read(EXCERPT)
    again = _read(EXCERPT)
    df.loc[df.index[0], "deaths"] += 2
    df.loc[df.index[0], "area_name"] = "renamed"
    df["rate"] *= 2
    assert df["deaths"].iloc[0] == again["deaths"].iloc[0] + 2
    assert df["area_name"].iloc[0] == "renamed" != again["area_name"].iloc[0]
    pd.testing.assert_series_equal(df["rate"], again["rate"] * 2)


def test_peak_memory_within_one_and_a_half_times_the_raw_read(tmp_path, monkeypatch):
    pytest.importorskip("xlsxwriter")
    # importable by name: the benchmark's fresh (spawned) processes import it again
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    bench = importlib.import_module("bench_ons_read")
    path = bench._generated(tmp_path, 100)
    _, ours, rows = bench._measure("reader", path, 1)
    _, raw, _ = bench._measure("raw", path, 1)
    assert rows == 15_600
    assert ours <= bench.MEMORY_RATIO * raw, f"peak {ours:.1f} MiB vs raw {raw:.1f} MiB"
