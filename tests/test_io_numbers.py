"""Tests for overdose_trends.io._numbers: the one notation for numbers written as text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdose_trends.io._numbers import MAX_SHOWN, parse_counts, parse_decimals, shown


def test_counts_fast_and_slow_paths_agree():
    cells = ["0", "7", "007", " 12 ", "1,234", "12,345,678", "2284.0", "-", "123456789012345"]
    values, missing, bad = parse_counts(pd.Series(cells, dtype=object), ("-",))
    assert bad is None
    assert values.tolist() == [0, 7, 7, 12, 1234, 12345678, 2284, 0, 123456789012345]
    assert missing.tolist() == [False] * 7 + [True, False]


def test_counts_in_a_block_report_the_flat_position():
    block = np.array([["1", "2"], ["3", "x"]], dtype=object)
    values, _, bad = parse_counts(block)
    assert bad is not None and bad.index == 3 and "'x'" in bad.problem
    assert values[:3].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("", "empty cell"),
        ("-5", "is negative"),
        ("12.5", "not a whole number"),
        ("+5", "not written as a count"),
        ("1,2345", "text '1,2345'"),  # separators in groups of three only
        ("5.000,0", "text '5.000,0'"),
        ("1_000", "text '1_000'"),
        ("1e3", "text '1e3'"),
        ("\u0663", "text"),  # a non-ASCII digit
        ("9" * 17, "too large to be a count"),
        ("9,999,999,999,999,999", "too large to be a count"),
    ],
)
def test_counts_refuse_everything_else(cell, words):
    _, _, bad = parse_counts(pd.Series(["1", cell], dtype=object))
    assert bad is not None and bad.index == 1
    assert words in bad.problem


def test_blank_is_missing_only_when_a_marker():
    values, missing, bad = parse_counts(pd.Series(["", "3"], dtype=object), ("",))
    assert bad is None and missing.tolist() == [True, False] and values[1] == 3


@pytest.mark.parametrize(
    ("cell", "words"),
    [("inf", "text 'inf'"), ("NaN", "text 'NaN'"), ("1e+20", "text"), ("-0.5", "is negative")],
)
def test_decimals(cell, words):
    values, bad = parse_decimals(pd.Series(["1,234.5", "", cell], dtype=object))
    assert values[0] == 1234.5 and np.isnan(values[1])
    assert bad is not None and bad.index == 2 and words in bad.problem
    assert parse_decimals(pd.Series(["-0.5"], dtype=object), negative=True)[1] is None


def test_decimals_overflowing_to_infinity_are_refused():
    _, bad = parse_decimals(pd.Series(["9" * 400], dtype=object))
    assert bad is not None and "too large" in bad.problem and len(bad.problem) < 200


def test_shown_cuts_long_cells():
    assert shown("abc") == "'abc'"
    long = shown("x" * 1_000_000)
    assert len(long) < MAX_SHOWN + 40 and "1,000,000 characters" in long
