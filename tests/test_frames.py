"""Shared table helpers (``overdose_trends._frames``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from overdose_trends._frames import _group_ids, _group_ids_all

KEY_VALUES = {
    "text": st.sampled_from(["E06000033", "E07000148", "", None]),
    "number": st.sampled_from([1.0, 2.0, -0.0, 0.0, np.nan]),
    "integer": st.sampled_from([1, 2, None]),
}


def _column(kind: str, values: list) -> pd.Series:
    if kind == "integer":
        return pd.Series(values, dtype="Int64")
    if kind == "text":
        return pd.Series(values, dtype=object)
    return pd.Series(values, dtype="float64")


@st.composite
def tables(draw):
    """Tables whose rows come in runs (as an area's age bands do), sometimes shuffled."""
    kinds = draw(st.lists(st.sampled_from(sorted(KEY_VALUES)), min_size=1, max_size=3))
    n_runs = draw(st.integers(1, 12))
    runs = [
        (draw(st.tuples(*(KEY_VALUES[k] for k in kinds))), draw(st.integers(1, 5)))
        for _ in range(n_runs)
    ]
    rows = [key for key, length in runs for _ in range(length)]
    if draw(st.booleans()):
        rows = draw(st.permutations(rows))
    data = pd.DataFrame(
        {f"k{i}": _column(kind, [r[i] for r in rows]) for i, kind in enumerate(kinds)}
    )
    if draw(st.booleans()):
        data["k0"] = data["k0"].astype("category")
    return data


@settings(max_examples=300, deadline=None)
@given(data=tables())
def test_grouping_runs_equals_grouping_every_row(data):
    keys = list(data.columns)
    gid, first = _group_ids(data, keys)
    expected_gid, expected_first = _group_ids_all(data, keys)
    np.testing.assert_array_equal(gid, expected_gid)
    np.testing.assert_array_equal(first, expected_first)


def test_runs_of_age_bands_group_by_area():
    data = pd.DataFrame({"area": ["A"] * 3 + ["B"] * 3 + ["A"] * 2, "band": range(8)})
    gid, first = _group_ids(data, ["area"])
    assert gid.tolist() == [0, 0, 0, 1, 1, 1, 0, 0]
    assert first.tolist() == [0, 3]
