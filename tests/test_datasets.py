"""Tests for overdose_trends.io.datasets: the shipped extracts and series()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import overdose_trends as ot
from overdose_trends.constants import ESP2013_BANDS
from overdose_trends.io import datasets
from overdose_trends.io.datasets import SERIES_COLUMNS, series

SOUTHEND = "E06000033"


@pytest.fixture(scope="module")
def southend() -> pd.DataFrame:
    return series(SOUTHEND)


def test_series_is_reachable_from_the_front_door():
    assert ot.datasets.series is series


def test_series_default_years_are_those_with_deaths_and_a_complete_population(southend):
    assert tuple(southend.columns) == SERIES_COLUMNS
    assert len(southend) == 19
    assert southend["year"].tolist() == list(range(2001, 2020))
    assert (southend["area_code"] == SOUTHEND).all()
    assert (southend["area_name"] == "Southend-on-Sea").all()
    assert southend["year"].dtype == "int64"
    assert southend["deaths"].dtype == "int64"
    assert southend["population"].dtype == "int64"


def test_series_deaths_are_the_published_single_years(southend):
    in_period = southend[southend["year"].between(2013, 2015)]
    assert in_period["deaths"].tolist() == [16, 18, 13]
    assert in_period["deaths"].sum() == 47  # ONS Table 3, Southend 2013-15: 47 deaths
    la = datasets.la_deaths().query(
        "area_code == @SOUTHEND and measure == 'poisoning' and sex == 'persons' "
        "and period_start == 2013 and period_end == 2015"
    )
    assert int(la["deaths"].iloc[0]) == 47


def test_series_population_is_the_sum_of_the_age_bands(southend):
    bands = datasets.population_bands().query("area_code == @SOUTHEND")
    expected = bands.groupby("year")["population"].sum()
    assert southend.set_index("year")["population"].equals(
        expected.loc[2001:2019].astype("int64").rename("population")
    )
    assert southend.loc[southend["year"] == 2013, "population"].item() == 176_236


def test_series_accepts_a_name_and_any_period_notation():
    by_name = series("southend-on-sea", years="2013 to 2015")
    assert by_name["year"].tolist() == [2013, 2014, 2015]
    assert by_name["deaths"].sum() == 47
    for years in ("2013-15", "2013-2015", (2013, 2015)):
        assert series(SOUTHEND, years=years)["year"].tolist() == [2013, 2014, 2015]
    assert series(SOUTHEND, years=2016)["deaths"].tolist() == [6]


def test_series_measure_misuse():
    misuse = series(SOUTHEND, measure="misuse", years="2013-15")
    poisoning = series(SOUTHEND, years="2013-15")
    assert (misuse["deaths"] <= poisoning["deaths"]).all()
    assert misuse["population"].tolist() == poisoning["population"].tolist()


def test_series_refuses_years_whose_population_lacks_age_bands():
    with pytest.raises(ValueError) as err:
        series(SOUTHEND, years=(1997, 2019))
    message = str(err.value)
    assert "85-89, 90+" in message and "1997-2000" in message
    assert "undercount" in message and "2001-2019" in message


def test_series_refuses_years_without_population_or_deaths():
    with pytest.raises(ValueError, match=r"no population in 1993-1996"):
        series(SOUTHEND, years="1993-2019")
    with pytest.raises(ValueError, match=r"no published deaths in 2020"):
        series(SOUTHEND, years="2015-2020")
    # Northampton: deaths are published under its 2020 code, but the shipped population has
    # West Northamptonshire (2021) instead of the seven Northamptonshire districts
    with pytest.raises(ValueError, match=r"Northamptonshire districts abolished in 2021"):
        series("E07000154")
    with pytest.raises(ValueError, match=r"no population in 2016"):
        series("E07000154", years=2016)


def test_series_of_a_county_and_a_region_use_the_summed_populations():
    norfolk = series("E10000020", years="2017-2019")
    # ONS Table 1 (drug poisoning, persons), Norfolk E10000020: 73, 82, 70 deaths
    assert norfolk["deaths"].tolist() == [73, 82, 70]
    bands = datasets.population_bands(aggregates=False)
    districts = bands[bands["area_code"].str.match(r"E0700014[3-9]") & (bands["year"] == 2019)]
    assert norfolk["population"].iloc[-1] == districts["population"].sum() == 907_760
    assert len(series("E12000006")) == 19  # East of England, 2001-2019


def test_series_clear_errors_for_unknown_arguments():
    with pytest.raises(ValueError, match=r"no area .* 'Southend'.*did you mean .*Southend-on-Sea"):
        series("Southend")
    with pytest.raises(ValueError, match=r"unknown measure 'deaths'"):
        series(SOUTHEND, measure="deaths")
    with pytest.raises(ValueError, match=r"unknown sex 'all'"):
        series(SOUTHEND, sex="all")
    with pytest.raises(ValueError, match=r"single registration years for sex \['persons'\] only"):
        series(SOUTHEND, sex="males")
    with pytest.raises(ValueError, match=r"expected a period"):
        series(SOUTHEND, years="recent")


def test_series_is_ready_for_the_models(southend):
    fit = ot.fit_trend(southend, population="population")
    est = fit.estimates.iloc[0]
    assert (est["first"], est["last"], est["n_points"]) == (2001, 2019, 19)
    assert np.isfinite(est["apc"])
    assert fit.notes == ()  # sorted by year, in the columns the models expect
    jp = ot.fit_joinpoint(
        southend, count="deaths", population="population", max_joinpoints=0, n_jobs=1
    )
    assert len(jp.segments) == 1
    its = ot.fit_interrupted(southend, population="population", intervention=2015, n_sim=100)
    assert its is not None


def test_population_bands_has_no_85_plus_before_2001():
    bands = datasets.population_bands().query("area_code == @SOUTHEND")
    early = bands[bands["year"] <= 2000]
    missing = early.loc[early["population"].isna(), "age_band"].astype(str)
    assert set(missing) == {"85-89", "90+"}
    assert list(bands["age_band"].cat.categories) == list(ESP2013_BANDS)


# --- counties, regions and countries in the population; deprivation -------------------------


def test_population_bands_adds_counties_regions_and_countries():
    bands = datasets.population_bands()
    published = datasets.population_bands(aggregates=False)
    assert published["area_code"].nunique() == 331
    added = bands[~bands["area_code"].isin(published["area_code"])]
    levels = added.drop_duplicates("area_code")["area_code"].str[:3].value_counts().to_dict()
    # 25 counties (2020), 6 metropolitan counties, Inner/Outer London, 9 regions,
    # England, Wales, England and Wales
    assert levels == {"E10": 25, "E12": 9, "E11": 6, "E13": 2, "E92": 1, "W92": 1, "K04": 1}
    assert len(bands) == len(published) + 45 * 24 * 19
    total = bands.groupby(["area_code", "year"])["population"].sum()
    # Northamptonshire (E10000021) is North + West Northamptonshire (2021 unitaries)
    assert total[("E10000021", 2019)] == total[("E06000061", 2019)] + total[("E06000062", 2019)]
    assert total[("K04000001", 2019)] == total[("E92000001", 2019)] + total[("W92000004", 2019)]
    regions = total[[c.startswith("E12") for c in total.index.get_level_values(0)]]
    assert regions.xs(2019, level="year").sum() == total[("E92000001", 2019)]
    # the 85+ bands are missing before 2001 in every member, so in every sum
    assert bands.query("area_code == 'E10000020' and year == 1997")["population"].isna().sum() == 2
    assert bands["age_band"].cat.ordered and bands["population"].dtype == "Int64"


def test_per_population_works_for_norfolk_with_the_shipped_population():
    # issue 13: Norfolk (E10000020, the commissioner of the synthetic kits) got no_population
    counts = datasets.synthetic_kit_counts()
    norfolk = counts.query("area_code == 'E10000020' and service == 'all'")
    yearly = ot.rebucket(norfolk[norfolk["measure"] == "kits_issued"])
    out = ot.per_population(yearly, datasets.population_bands())
    full = out[out["value"].notna()]
    assert (full["rate_status"] == "ok").all() and full["rate"].notna().all()
    # 2019: 1,352 kits issued; Norfolk mid-2019 population 907,760 (sum of its 7 districts)
    row = full[full["period_start"] == pd.Timestamp("2019-01-01")].iloc[0]
    assert row["population"] == 907_760
    assert row["rate"] == pytest.approx(1352 / 907_760 * 1e5)


def test_deprivation_is_the_published_imd_2019_summary():
    imd = datasets.deprivation()
    assert imd.groupby("tier").size().to_dict() == {"lower": 317, "upper": 151}
    upper = datasets.deprivation("upper").set_index("area_code")
    # MHCLG IoD2019 File 11: Norfolk E10000020, IMD average score 21.183, rank 84
    assert upper.loc["E10000020", "imd_score"] == 21.183
    assert upper.loc["E10000020", "imd_rank"] == 84
    lower = datasets.deprivation("lower").set_index("area_code")
    # File 10: Middlesbrough E06000002, IMD average score 40.460 (rank 5), income rank 1
    assert lower.loc["E06000002", "imd_score"] == 40.46 and lower.loc["E06000002", "imd_rank"] == 5
    assert lower.loc["E06000002", "income_rank"] == 1
    assert lower["imd_rank"].min() == 1 and lower["imd_rank"].max() == 317
    with pytest.raises(ValueError, match="tier must be 'lower' or 'upper'"):
        datasets.deprivation("middle")
