"""Tests for overdose_trends.io.neighbours: characteristics and statistical neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import overdose_trends as ot
from overdose_trends.io.geography import area_lookup
from overdose_trends.io.neighbours import CHARACTERISTICS, area_characteristics, neighbours


@pytest.fixture(scope="module")
def lower() -> pd.DataFrame:
    return area_characteristics("lower")


def test_characteristics_are_the_shipped_population_and_imd(lower):
    assert lower.columns.tolist() == ["area_code", "area_name", "population", *CHARACTERISTICS]
    assert lower["area_code"].is_monotonic_increasing and lower["area_code"].is_unique
    # 314 English lower-tier authorities of 2020 less the 7 Northamptonshire districts
    assert len(lower) == 307 and len(lower.attrs["excluded"]) == 7
    row = lower.set_index("area_code").loc["E06000033"]  # Southend-on-Sea
    assert row["population"] == 183_125  # ONS mid-2019 estimate
    assert row["log_population"] == pytest.approx(np.log(183_125))
    # MHCLG IoD2019 File 10, Southend-on-Sea: IMD average score 22.375
    assert row["imd_score"] == 22.375
    shares = lower[["share_0_14", "share_15_44", "share_65_plus"]].sum(axis=1)
    assert ((shares > 0.5) & (shares < 1)).all()
    # Buckinghamshire became a unitary in 2020: its IMD is the 2019 county's (File 11)
    upper = ot.datasets.deprivation("upper").set_index("area_code")
    bucks = lower.set_index("area_code").loc["E06000060"]
    assert bucks["imd_score"] == upper.loc["E10000002", "imd_score"]
    assert len(area_characteristics("upper")) == 151


def test_neighbours_shape_and_self_exclusion(lower):
    near = neighbours("E06000033", k=15)
    assert near.columns.tolist() == ["area_code", "area_name", "distance", "rank"]
    assert len(near) == 15 and near["rank"].tolist() == list(range(1, 16))
    assert "E06000033" not in set(near["area_code"])
    assert near["distance"].is_monotonic_increasing and (near["distance"] > 0).all()
    assert near.attrs["tier"] == "lower" and near.attrs["variables"] == list(CHARACTERISTICS)
    # a county is compared with counties and unitaries
    norfolk = neighbours("E10000020", k=5)
    assert norfolk.attrs["tier"] == "upper"
    areas = area_lookup(2020).set_index("area_code")
    tiers = areas.loc[norfolk["area_code"], "tier"]
    assert set(tiers) <= {"upper", "single"}


def test_neighbours_are_reproducible_and_invariant_to_row_order(lower):
    first = neighbours("E06000033", k=10, data=lower)
    again = neighbours("E06000033", k=10, data=lower)
    pd.testing.assert_frame_equal(first, again)
    for seed in range(3):
        shuffled = lower.sample(frac=1, random_state=seed).reset_index(drop=True)
        pd.testing.assert_frame_equal(neighbours("E06000033", k=10, data=shuffled), first)


def test_distance_is_the_standardised_euclidean_distance():
    # Hand computation: x = (0, 1, 2, 3), y = (0, 0, 0, 4). Population SDs: sqrt(1.25), sqrt(3).
    data = pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "D"],
            "area_name": ["a", "b", "c", "d"],
            "x": [0.0, 1.0, 2.0, 3.0],
            "y": [0.0, 0.0, 0.0, 4.0],
        }
    )
    near = neighbours("A", k=3, variables=["x", "y"], data=data, tier="lower")
    sx, sy = np.sqrt(1.25), np.sqrt(3.0)
    expected = {"B": 1 / sx, "C": 2 / sx, "D": np.hypot(3 / sx, 4 / sy)}
    assert near["area_code"].tolist() == ["B", "C", "D"]
    for code, d in zip(near["area_code"], near["distance"], strict=True):
        assert d == pytest.approx(expected[code])
    # ties are broken by code, whatever the row order
    tied = data.assign(y=0.0, x=[0.0, 1.0, -1.0, 5.0])
    flipped = tied.iloc[::-1]
    near = neighbours("A", k=2, variables=["x"], data=flipped, tier="lower")
    assert near["area_code"].tolist() == ["B", "C"]


def test_neighbours_bad_input(lower):
    with pytest.raises(ValueError, match=r"Cardiff.*Welsh areas have no English IMD"):
        neighbours("W06000015")
    with pytest.raises(ValueError, match=r"Northampton \(E07000154\) is not among the areas"):
        neighbours("E07000154")
    with pytest.raises(ValueError, match=r"lack columns \['rurality'\]"):
        neighbours("E06000033", variables=["rurality"])
    with pytest.raises(ValueError, match=r"k must be a whole number from 1 to 306"):
        neighbours("E06000033", k=400, data=lower)
    with pytest.raises(ValueError, match=r"do not vary"):
        neighbours("E06000033", variables=["imd_score", "flat"], data=lower.assign(flat=1.0))
    with pytest.raises(ValueError, match="tier must be 'lower' or 'upper'"):
        area_characteristics("middle")  # type: ignore[arg-type]
