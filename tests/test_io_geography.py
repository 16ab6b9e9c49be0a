"""Tests for overdose_trends.io.geography: hierarchy, code changes, harmonise, combine_areas,
comparators.

Reference values are the published ONS figures in the shipped 2019 local-authority extract
(``ot.datasets.la_deaths()``, Tables 1 and 2: single registration years, persons): a county's,
region's or country's published deaths must equal the sum of its authorities' published deaths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import overdose_trends as ot
from overdose_trends.io.geography import (
    COMPARATOR_KINDS,
    area_lookup,
    code_changes,
    combine_areas,
    comparators,
    harmonise,
)

LOWER_LEVELS = ["district", "unitary", "metropolitan_district", "london_borough"]


@pytest.fixture(scope="module")
def single_years() -> pd.DataFrame:
    """Tables 1-2 of the shipped extract (single years 1993-2019), without the rate columns."""
    la = ot.datasets.la_deaths()
    return la[la["sheet"].isin(["Table 1", "Table 2"])].drop(columns=["rate", "lcl", "ucl"])


@pytest.fixture(scope="module")
def lower(single_years) -> pd.DataFrame:
    return single_years[single_years["area_level"].isin(LOWER_LEVELS)]


# --- the lookup and the code changes ------------------------------------------------------------


def test_lookup_hierarchy_of_the_2020_vintage():
    areas = area_lookup(2020).set_index("area_code")
    assert areas["tier"].value_counts().to_dict() == {
        "lower": 188,
        "single": 148,
        "upper": 25,
        "": 20,
    }
    districts = areas[areas["area_level"] == "district"]
    assert (districts["parent_code"].str[:3] == "E10").all()
    assert (districts["upper_tier_code"] == districts["parent_code"]).all()
    single = areas[areas["tier"] == "single"]
    assert (single["upper_tier_code"] == single.index).all()
    norfolk = areas[areas["parent_code"] == "E10000020"]
    assert norfolk.index.tolist() == [f"E0700014{i}" for i in range(3, 10)]
    assert areas.loc["E07000148", "region_code"] == "E12000006"
    assert areas.loc["E07000148", "country_code"] == "E92000001"
    assert areas.loc["E09000001", "parent_code"] == "E13000001"  # City of London: Inner London
    assert areas.loc["W06000015", "parent_code"] == "W92000004"  # Cardiff: Wales
    assert areas.loc["W06000015", "region_code"] == ""
    assert areas.loc["E12000006", "area_name"] == "East of England"


def test_lookup_vintages_follow_the_code_changes():
    def codes(year):
        return set(area_lookup(year)["area_code"])

    assert "E07000205" in codes(2018) and "E07000205" not in codes(2019)
    assert "E07000244" in codes(2019) and "E07000244" not in codes(2018)
    assert "E10000002" in codes(2019) and "E06000060" in codes(2020)
    assert "E10000021" in codes(2020) and "E06000061" in codes(2021)
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= codes(2023)
    assert not {"E10000006", "E10000023", "E10000027"} & codes(2023)
    # 2023: 296 English lower-tier authorities (after the 2023 mergers) and 22 Welsh unitaries
    lower_2023 = area_lookup(2023).query("tier in ['lower', 'single']")
    assert len(lower_2023) == 318  # 296 English lower-tier authorities + 22 Welsh unitaries
    lower_2020 = area_lookup(2020).query("tier in ['lower', 'single']")
    assert len(lower_2020) == 336  # the lower-tier rows of the 2019 workbook
    with pytest.raises(ValueError, match="vintages 2013-2023"):
        area_lookup(2010)


def test_code_changes_are_complete_and_consistent():
    changes = code_changes()
    areas = area_lookup().set_index("area_code")
    assert set(changes["old_code"]) | set(changes["new_code"]) <= set(areas.index)
    assert set(changes["kind"]) == {"recode", "merger", "split"}
    assert (changes["date"].dt.strftime("%m-%d") == "04-01").all()
    assert (changes["source"].str.len() > 10).all()
    by_new = changes[changes["kind"] == "merger"].groupby("new_code")["old_code"].apply(set)
    assert by_new["E06000058"] == {"E06000028", "E06000029", "E07000048"}
    assert by_new["E06000059"] == {f"E0700004{i}" for i in range(9, 10)} | {
        "E07000050", "E07000051", "E07000052", "E07000053"
    }  # fmt: skip
    assert by_new["E06000061"] == {"E07000150", "E07000152", "E07000153", "E07000156"}
    assert by_new["E06000066"] == {"E07000187", "E07000188", "E07000189", "E07000246"}
    # each old code goes to one new code, except splits
    once = changes[changes["kind"] != "split"]
    assert once["old_code"].is_unique
    # a code's successor starts the year its predecessor ends
    for row in changes.itertuples():
        assert areas.loc[row.old_code, "valid_to"] == row.year - 1
        assert areas.loc[row.new_code, "valid_from"] == row.year


# --- counties and regions from their authorities (Correctness: the 2019 workbook) ---------------


def test_every_county_region_and_country_is_the_sum_of_its_authorities(single_years, lower):
    combined = combine_areas(lower, "all")
    published = single_years.set_index(["area_code", "measure", "period_start"])["deaths"]
    summed = combined.set_index(["area_code", "measure", "period_start"])["deaths"]
    both = pd.concat([summed, published.reindex(summed.index)], axis=1, keys=["sum", "pub"])
    # England and Wales (K04) includes deaths of non-residents; every other area excludes them
    residents = both.drop(index="K04000001", level="area_code")
    assert len(residents) == 44 * 2 * 27  # 25 counties, 6 met counties, 2 London, 9 regions, E, W
    assert (residents["sum"] == residents["pub"]).all()
    ew = both.xs("K04000001", level="area_code")
    assert (ew["sum"] <= ew["pub"]).all() and (ew["sum"] < ew["pub"]).any()
    levels = combined.drop_duplicates("area_code")["area_level"].value_counts().to_dict()
    assert levels == {"county": 25, "region": 9, "metropolitan_county": 6, "country": 3,
                      "inner_outer_london": 2}  # fmt: skip


def test_norfolk_single_years_are_its_districts_hand_summed(lower):
    norfolk = combine_areas(lower, "county").query(
        "area_code == 'E10000020' and measure == 'poisoning'"
    )
    hand = lower[lower["area_code"].str.match(r"E0700014[3-9]") & (lower["measure"] == "poisoning")]
    hand = hand.groupby("period_start")["deaths"].sum()
    mine = norfolk.set_index("period_start")["deaths"].sort_index()
    assert mine.astype(int).equals(hand.astype(int))
    # ONS Table 1, Norfolk E10000020: 73, 82, 70 deaths in 2017-2019
    assert mine.loc[[2017, 2018, 2019]].tolist() == [73, 82, 70]
    assert set(norfolk["area_name"]) == {"Norfolk"} and set(norfolk["area_level"]) == {"county"}


def test_combined_age_bands_give_a_dsr():
    bands = ot.datasets.population_bands(aggregates=False).query("year == 2019")
    norfolk = combine_areas(bands, "county").query("area_code == 'E10000020'")
    assert len(norfolk) == 19 and int(norfolk["population"].sum()) == 907_760
    hand = bands[bands["area_code"].str.match(r"E0700014[3-9]")]
    hand = hand.groupby("age_band", observed=True)["population"].sum()
    assert norfolk.set_index("age_band")["population"].astype(int).tolist() == hand.tolist()
    rng = np.random.default_rng(1)
    norfolk = norfolk.assign(deaths=rng.poisson(5, len(norfolk)))
    rate = ot.dsr(norfolk, by="area_code")
    expected = ot.dsr(norfolk.assign(area_code="x"), by="area_code")
    assert rate["rate"].iloc[0] == pytest.approx(expected["rate"].iloc[0])


def test_user_defined_group(single_years):
    table1 = single_years[single_years["sheet"] == "Table 1"]
    group = combine_areas(
        table1,
        {"DAP": ["E10000020", "E07000244"]},
        names={"DAP": "Norfolk and East Suffolk"},
    )
    assert set(group["area_code"]) == {"DAP"} and set(group["area_level"]) == {"group"}
    assert set(group["area_name"]) == {"Norfolk and East Suffolk"}
    deaths = table1.set_index(["area_code", "period_start"])["deaths"]
    got = group.set_index("period_start")["deaths"]
    for year in (1993, 2010, 2019):
        assert got[year] == deaths[("E10000020", year)] + deaths[("E07000244", year)]
    with pytest.raises(
        ValueError, match=r"Norfolk \(E10000020\) and Norwich \(E07000148\) overlap"
    ):
        combine_areas(table1, {"bad": ["E10000020", "E07000148"]})
    with pytest.raises(ValueError, match=r"group 'x': no rows for Waveney \(E07000206\)"):
        combine_areas(table1, {"x": ["E10000020", "E07000206"]})


def test_incomplete_groups_are_refused_or_dropped(lower):
    no_norwich = lower[lower["area_code"] != "E07000148"]
    with pytest.raises(ValueError, match=r"Norfolk \(E10000020\) is incomplete.*Norwich"):
        combine_areas(no_norwich, "county")
    out = combine_areas(no_norwich, "county", incomplete="drop")
    assert "E10000020" not in set(out["area_code"]) and "E10000029" in set(out["area_code"])
    with pytest.raises(ValueError, match=r"unknown group level\(s\) \['counties'\]"):
        combine_areas(lower, "counties")


# --- harmonise ----------------------------------------------------------------------------------


def test_harmonised_2023_series_equal_hand_sums(lower, single_years):
    h = harmonise(lower, to=2023)
    assert h.attrs["vintage"] == 2023
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= set(h["area_code"])
    assert not {"E07000026", "E07000163", "E07000246"} & set(h["area_code"])
    got = h.set_index(["area_code", "measure", "period_start"])["deaths"]
    src = lower.set_index(["area_code", "measure", "period_start"])["deaths"]
    for new, olds in {
        "E06000063": ["E07000026", "E07000028", "E07000029"],  # Cumberland
        "E06000064": ["E07000027", "E07000030", "E07000031"],  # Westmorland and Furness
    }.items():
        for year in (1993, 2005, 2019):
            assert got[(new, "poisoning", year)] == sum(src[(c, "poisoning", year)] for c in olds)
    # North Yorkshire and Somerset unitaries are the old counties: the published county totals
    pub = single_years.set_index(["area_code", "measure", "period_start"])["deaths"]
    for new, county in (("E06000065", "E10000023"), ("E06000066", "E10000027")):
        mine = got.xs(new, level="area_code")
        assert (mine == pub.xs(county, level="area_code").reindex(mine.index)).all()
    names = h.drop_duplicates("area_code").set_index("area_code")["area_name"]
    assert names["E06000064"] == "Westmorland and Furness"
    assert h.drop_duplicates("area_code").set_index("area_code").loc["E06000065", "area_level"] == (
        "unitary"
    )
    assert pd.isna(h.set_index("area_code").loc["E06000063", "row"]).all()


def test_harmonise_a_series_published_under_old_and_new_codes():
    # Suffolk Coastal + Waveney (2013 codes) until 2018, East Suffolk from 2019
    df = pd.DataFrame(
        {
            "area_code": ["E07000205", "E07000206", "E07000205", "E07000206", "E07000244"],
            "area_name": [
                "Suffolk Coastal",
                "Waveney",
                "Suffolk Coastal",
                "Waveney",
                "East Suffolk",
            ],
            "year": [2017, 2017, 2018, 2018, 2019],
            "deaths": [5, 11, 7, pd.NA, 20],
            "population": [126_000, 117_000, 127_000, 118_000, 249_000],
        }
    ).astype({"deaths": "Int64"})
    out = harmonise(df, to=2019)
    assert out["area_code"].tolist() == ["E07000244"] * 3
    assert out["area_name"].tolist() == ["East Suffolk"] * 3
    assert out["year"].tolist() == [2017, 2018, 2019]
    assert out["deaths"].tolist()[0] == 16 and pd.isna(out["deaths"].iloc[1])  # no partial sum
    assert out["population"].tolist() == [243_000, 245_000, 249_000]
    with pytest.raises(ValueError, match=r"East Suffolk \(E07000244\) was formed in 2019.*2018"):
        harmonise(df, to=2018)


def test_recodes_keep_published_rates_and_go_both_ways():
    df = pd.DataFrame(
        {
            "area_code": ["E08000020", "E06000060"],
            "deaths": [30, 40],
            "rate": [15.1, 7.5],
            "lcl": [10.2, 5.3],
            "ucl": [21.5, 10.2],
            "rate_status": ["ok", "ok"],
        }
    )
    out = harmonise(df, to=2019)
    assert out["area_code"].tolist() == ["E08000037", "E10000002"]  # Bucks back to the county
    assert out["rate"].tolist() == [15.1, 7.5] and out["rate_status"].tolist() == ["ok", "ok"]
    assert harmonise(df, to=2020)["area_code"].tolist() == ["E08000037", "E06000060"]


def test_harmonise_refuses_to_invent_numbers(lower, single_years):
    la = ot.datasets.la_deaths()
    table3 = la[(la["sheet"] == "Table 3") & la["area_level"].isin(LOWER_LEVELS)]
    with pytest.raises(ValueError, match=r"Cumberland \(E06000063\) is the sum of .*Allerdale.*"
                       r"rate, lcl, ucl cannot be summed.*ot.dsr"):  # fmt: skip
        harmonise(table3, to=2023)
    dropped = harmonise(table3, to=2023, rates="drop")
    cumberland = dropped[dropped["area_code"] == "E06000063"]
    assert cumberland["rate"].isna().all()
    assert (cumberland["rate_status"] == "not_available").all()
    york = dropped[dropped["area_code"] == "E06000014"]  # unchanged: rates kept
    assert york["rate"].notna().any()
    # a split county
    with pytest.raises(ValueError, match=r"Cumbria \(E10000006\) was split in 2023 between "
                       r"Cumberland.*harmonise its districts' rows instead"):  # fmt: skip
        harmonise(single_years[single_years["area_level"] == "county"], to=2023)
    counties = harmonise(
        single_years[single_years["area_level"] == "county"], to=2023, splits="drop"
    )
    kept = set(counties["area_code"])
    assert "E10000006" not in kept and "E06000065" in kept
    # a county with its own districts
    with pytest.raises(ValueError, match=r"overlap.*keep one level"):
        harmonise(single_years, to=2023, splits="drop")


def test_harmonise_bad_input():
    base = {"year": [2019, 2019], "deaths": [1, 2]}
    with pytest.raises(ValueError, match=r"unknown area codes 'S12000033'.*England and Wales"):
        harmonise(pd.DataFrame({"area_code": ["S12000033", "E07000148"], **base}))
    with pytest.raises(ValueError, match=r"Suffolk Coastal \(E07000205\).*mixes code vintages"):
        harmonise(pd.DataFrame({"area_code": ["E07000205", "E07000244"], **base}), to=2019)
    with pytest.raises(ValueError, match=r"Norwich \(E07000148\) has more than one row"):
        harmonise(pd.DataFrame({"area_code": ["E07000148", "E07000148"], **base}))
    with pytest.raises(ValueError, match=r"no column 'code'"):
        harmonise(pd.DataFrame({"area_code": ["E07000148"]}), area="code")
    with pytest.raises(ValueError, match=r"to must be a year"):
        harmonise(pd.DataFrame({"area_code": ["E07000148"]}), to="2023")  # type: ignore[arg-type]


def test_harmonise_keeps_row_order_and_other_columns():
    df = pd.DataFrame(
        {
            "area_code": ["E07000148", "E07000201", "E07000204"],
            "sex": ["persons"] * 3,
            "deaths": [19, 4, 6],
        }
    )
    out = harmonise(df)
    assert out.columns.tolist() == ["area_code", "sex", "deaths"]
    assert out["area_code"].tolist() == ["E07000148", "E07000245"]
    assert out["deaths"].tolist() == [19, 10]


# --- comparators --------------------------------------------------------------------------------


def test_lower_and_upper_tier_comparators_of_a_unitary():
    lower = comparators("lower-tier", of="E06000009")  # Blackpool
    upper = comparators("upper-tier", of="E06000009")
    areas = area_lookup(2020).set_index("area_code")
    assert lower[0] == upper[0] == "E06000009"
    assert set(areas.loc[lower, "tier"]) == {"lower", "single"} and len(lower) == 314
    assert set(areas.loc[upper, "tier"]) == {"upper", "single"} and len(upper) == 151
    assert all(c.startswith("E") for c in lower)  # Blackpool's country
    assert len(comparators("lower-tier")) == 336  # England and Wales


def test_region_and_neighbour_comparators():
    east = comparators("region", of="E07000148")  # Norwich: lower-tier, East of England
    areas = area_lookup(2020).set_index("area_code")
    assert set(areas.loc[east, "region_code"]) == {"E12000006"}
    assert set(areas.loc[east, "tier"]) == {"lower", "single"} and len(east) == 45
    counties = comparators("region", of="E10000020")
    assert set(areas.loc[counties, "tier"]) == {"upper", "single"} and len(counties) == 11
    wales = comparators("region", of="W06000015")
    assert len(wales) == 22
    near = comparators("neighbours", of="E06000033", k=5)
    assert near[0] == "E06000033" and len(near) == 6
    # restricted to the codes of the data at hand
    assert comparators("lower-tier", of="E06000009", codes=["E07000148", "E10000020"]) == [
        "E07000148"
    ]


def test_comparators_bad_input():
    assert COMPARATOR_KINDS == ("lower-tier", "upper-tier", "region", "neighbours")
    with pytest.raises(ValueError, match="unknown comparator set 'county'"):
        comparators("county")
    with pytest.raises(ValueError, match=r"needs of=<area code>"):
        comparators("region")
    with pytest.raises(ValueError, match="unknown area code 'E99999999'"):
        comparators("lower-tier", of="E99999999")
