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
    # a region: deaths are published, but the shipped population is local authorities only
    with pytest.raises(ValueError, match=r"not countries, regions or counties"):
        series("E92000001")
    with pytest.raises(ValueError, match=r"no population in 2016"):
        series("E92000001", years=2016)


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
