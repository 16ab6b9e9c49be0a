"""aggregate_deaths: exact counts on SYNTHETIC records, pandas group-bys, DSR, engines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import overdose_trends as ot
from overdose_trends.constants import ESP2013_BANDS
from overdose_trends.io.records.aggregate import aggregate_deaths, band_labels
from overdose_trends.io.records.classify import classify_deaths
from overdose_trends.io.records.read import read_death_records
from overdose_trends.io.records.synthetic import synthetic_death_counts, synthetic_death_records
from overdose_trends.schema import DEATHS_COLUMNS

ARGS = {"n": 4000, "seed": 3, "drug_share": 0.25, "years": (2016, 2019)}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return synthetic_death_records(**ARGS)


@pytest.fixture(scope="module")
def counts(raw: pd.DataFrame) -> pd.DataFrame:
    return aggregate_deaths(read_death_records(raw))


def _truth(by: list[str], year: str = "registration_year", **kwargs) -> pd.DataFrame:
    truth = synthetic_death_counts(**{**ARGS, **kwargs})
    return truth.groupby([*by, year])[["poisoning", "misuse"]].sum()


def _got(agg: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rows = agg[agg["sex"] != "persons"]
    wide = rows.pivot_table(
        index=[*by, "period_start"], columns="measure", values="deaths", aggfunc="sum"
    )
    wide = wide[(wide["poisoning"] > 0) | (wide["misuse"] > 0)]
    return wide[["poisoning", "misuse"]].astype("int64")


def test_tidy_schema(counts: pd.DataFrame) -> None:
    assert list(counts.columns) == [*DEATHS_COLUMNS, "age_band"]
    assert set(counts["sex"]) == {"males", "females", "persons"}
    assert set(counts["age_band"]) == set(ESP2013_BANDS)
    assert counts["deaths"].dtype == "Int64"
    # the grid is complete: every area seen x sex x year x band x measure
    n_areas = counts["area_code"].nunique()
    assert len(counts) == n_areas * 3 * 4 * 19 * 2
    la = ot.datasets.la_deaths()
    assert set(counts.dtypes.index) == set(la.dtypes.index) | {"age_band"}
    assert counts["area_name"].notna().all()


def test_counts_are_the_planned_counts(counts: pd.DataFrame) -> None:
    """The generator's plan (no classification) predicts every cell exactly."""
    got = _got(counts, ["area_code", "sex", "age_band"])
    want = _truth(["area_code", "sex", "age_band"])
    want.index = want.index.set_names([*want.index.names[:-1], "period_start"])
    pd.testing.assert_frame_equal(got.sort_index(), want.sort_index(), check_names=False)


def test_occurrence_year_and_t_codes(raw: pd.DataFrame) -> None:
    """Without substance names (T-code approximation) and by year of death."""
    coded = synthetic_death_records(**ARGS, substances=False, delimited=True)
    agg = aggregate_deaths(read_death_records(coded), by="sex", period="occurrence")
    got = _got(agg, ["sex"])
    want = _truth(["sex"], "occurrence_year", substances=False)
    want.index = want.index.set_names(["sex", "period_start"])
    pd.testing.assert_frame_equal(got.sort_index(), want.sort_index(), check_names=False)
    assert set(agg["area_code"]) == {"all"}


def test_equals_pandas_group_by_on_every_engine(raw: pd.DataFrame) -> None:
    frame = raw.assign(
        sex=raw["sex"].map({"M": "males", "F": "females"}),
        registration_year=pd.to_datetime(raw["registration_date"]).dt.year.astype("int64"),
    )
    flags = classify_deaths(frame)
    ages = np.asarray(ESP2013_BANDS)[np.minimum(frame["age"].to_numpy() // 5, 18)]
    ref = (
        flags.assign(age_band=ages)
        .groupby(["area_code", "sex", "registration_year", "age_band"])[
            ["drug_poisoning", "drug_misuse", "substance_cocaine"]
        ]
        .sum()
    )
    ref = ref[ref.sum(axis=1) > 0].rename(
        columns={"drug_poisoning": "poisoning", "drug_misuse": "misuse"}
    )
    measures = ["poisoning", "misuse", "substance_cocaine"]
    for engine in ("duckdb", "sqlite", "polars"):
        agg = aggregate_deaths(frame, measures=measures, complete=False, engine=engine)
        rows = agg[agg["sex"] != "persons"]
        got = rows.pivot_table(
            index=["area_code", "sex", "period_start", "age_band"],
            columns="measure",
            values="deaths",
            aggfunc="sum",
            fill_value=0,
        )[measures]
        got.index = got.index.set_names(ref.index.names)
        pd.testing.assert_frame_equal(
            got.sort_index().astype("int64"), ref.sort_index().astype("int64"), check_names=False
        )


def test_dsr_from_records_equals_dsr_on_the_same_counts(counts: pd.DataFrame) -> None:
    """Aggregated records feed ot.dsr directly; the result is dsr on the planned counts."""
    pop = ot.datasets.population_bands()
    pop = pop[pop["year"] == 2018].astype({"age_band": "str"})
    pop = pop.groupby("age_band", as_index=False)["population"].sum()
    agg = aggregate_deaths(
        read_death_records(synthetic_death_records(**ARGS)), by="sex", measures=["poisoning"]
    )
    persons = agg[(agg["sex"] == "persons") & (agg["period_start"] == 2018)]
    from_records = ot.dsr(persons.merge(pop, on="age_band"))
    truth = synthetic_death_counts(**ARGS)
    truth = truth[truth["registration_year"] == 2018].groupby("age_band")["poisoning"].sum()
    planned = pop.assign(deaths=pop["age_band"].map(truth).fillna(0).astype("int64"))
    from_plan = ot.dsr(planned)
    assert int(from_records.loc[0, "count"]) == int(truth.sum()) > 100
    pd.testing.assert_frame_equal(from_records, from_plan)


def test_three_year_periods_sum_single_years(counts: pd.DataFrame, raw: pd.DataFrame) -> None:
    three = aggregate_deaths(read_death_records(raw), years=3)
    assert sorted(set(zip(three["period_start"], three["period_end"], strict=True))) == [
        (2016, 2018),
        (2017, 2019),
    ]
    key = ["measure", "area_code", "sex", "age_band"]
    single = counts[counts["period_start"].between(2017, 2019)].groupby(key)["deaths"].sum()
    pooled = three[three["period_start"] == 2017].set_index(key)["deaths"]
    pd.testing.assert_series_equal(
        pooled.sort_index(), single.sort_index(), check_names=False, check_dtype=False
    )


def test_custom_bands_and_no_persons(raw: pd.DataFrame) -> None:
    agg = aggregate_deaths(
        read_death_records(raw), by=("sex",), age_bands=[0, 15, 65], persons=False
    )
    assert set(agg["age_band"]) == {"0-14", "15-64", "65+"}
    assert set(agg["sex"]) == {"males", "females"}
    assert band_labels("esp2013_20")[1][:2] == ("0", "1-4")


def test_bad_arguments(raw: pd.DataFrame) -> None:
    recs = read_death_records(raw)
    with pytest.raises(ValueError, match="period"):
        aggregate_deaths(recs, period="death")
    with pytest.raises(ValueError, match="years"):
        aggregate_deaths(recs, years=5)
    with pytest.raises(ValueError, match="measures"):
        aggregate_deaths(recs, measures=["heroin"])
    with pytest.raises(ValueError, match="lower ages"):
        aggregate_deaths(recs, age_bands=[5, 10])
    with pytest.raises(ValueError, match="lsoa_code"):
        aggregate_deaths(recs, by=("lsoa_code",))


def test_generator_is_seeded_and_labelled() -> None:
    a = synthetic_death_records(500, seed=7)
    b = synthetic_death_records(500, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert a["record_id"].str.startswith("SYNTHETIC-").all()
    assert "SYNTHETIC" in a.attrs["source"]
    # registration delays: drug deaths wait months (ONS Table 10 medians), others days
    drug = a["underlying_cause"].str[:3].isin(["X42", "X41", "X44", "F11", "X40", "X62"])
    delay = (pd.to_datetime(a["registration_date"]) - pd.to_datetime(a["occurrence_date"])).dt.days
    assert delay[~drug].median() < 10


def test_age_bands_instead_of_ages_and_a_table_name_engine() -> None:
    import duckdb

    frame = pd.DataFrame(
        {
            "registration_date": ["2019-03-01", "2019-04-01", "2020-05-01"],
            "age_band": ["30-34", "90+", "30-34"],
            "sex": ["F", "M", "M"],
            "area_code": ["E06000033"] * 3,
            "underlying_cause": ["X42", "F11.2", "X45"],
        }
    )
    recs = read_death_records(frame)
    assert recs.report is not None and recs.report.ok
    agg = aggregate_deaths(recs, measures=["poisoning"], complete=False)
    assert agg.loc[agg["sex"] != "persons", "deaths"].sum() == 2
    assert "DeathRecords(duckdb" in repr(recs)
    # a table the engine knows by name (as a Spark view would be), through a callable
    con = duckdb.connect()
    con.register("deaths", recs.to_pandas())
    by_name = aggregate_deaths("deaths", engine=lambda q: con.sql(q).df(), complete=False)
    assert by_name.loc[by_name["sex"] != "persons", "deaths"].sum() == 2 + 1  # misuse: F11
