"""Input checks shared by the trend models (``overdose_trends.stats.trends._series``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdose_trends import datasets, fit_interrupted, fit_joinpoint, fit_trend
from overdose_trends.stats.trends._series import prepare
from tests.trends_helpers import follow_hint, southend_norwich


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": ["E06000033"] * 5 + ["E07000148"] * 5,
            "area_name": ["Southend-on-Sea"] * 5 + ["Norwich"] * 5,
            "year": list(range(2013, 2018)) * 2,
            # ONS 2019 edition, Table 1: Southend 2013-2017 and Norwich 2013-2017 deaths
            "deaths": [16, 18, 13, 6, 13, 13, 12, 15, 24, 25],
            "population": [180_000] * 5 + [140_000] * 5,
        }
    )


def test_groups_rows_and_offsets():
    s = prepare(_table(), time="year", count="deaths", population="population", by="area_code")
    assert s.n_series == 2
    assert s.lengths().tolist() == [5, 5]
    assert s.count[s.rows(0)].tolist() == [16, 18, 13, 6, 13]
    assert s.time_unit == "year"
    assert s.groups.key_rows["area_code"].tolist() == ["E06000033", "E07000148"]


def test_interleaved_rows_are_grouped_keeping_time_order():
    df = _table().iloc[[0, 5, 1, 6, 2, 7, 3, 8, 4, 9]]
    s = prepare(df, time="year", count="deaths", by="area_code")
    assert s.count[s.rows(1)].tolist() == [13, 12, 15, 24, 25]
    assert s.notes == ("rows were sorted by area_code and year",)
    assert prepare(_table(), time="year", count="deaths", by="area_code").notes == ()


def test_rows_in_any_order_are_sorted_by_series_then_time():
    df = _table().sample(frac=1.0, random_state=3)
    s = prepare(df, time="year", count="deaths", population="population", by="area_code")
    # series in order of first appearance, each in time order
    first = df["area_code"].iloc[0]
    assert s.groups.key_rows["area_code"].iloc[0] == first
    ordered = _table().set_index(["area_code", "year"])
    for g in range(2):
        rows = s.groups.data.iloc[s.rows(g)]
        assert rows["year"].tolist() == list(range(2013, 2018))
        code = rows["area_code"].iloc[0]
        assert s.count[s.rows(g)].tolist() == ordered.loc[code, "deaths"].tolist()
    assert s.times.tolist() == list(range(2013, 2018)) * 2
    assert s.notes == ("rows were sorted by area_code and year",)
    # without by: sorted by time alone
    one = _table().head(5).iloc[::-1]
    assert prepare(one, time="year", count="deaths").notes == ("rows were sorted by year",)


def test_period_start_is_the_time_when_there_is_no_year_column():
    df = _table().rename(columns={"year": "period_start"})
    s = prepare(
        df.assign(period_end=df["period_start"]), time="year", count="deaths", by="area_code"
    )
    assert s.time_column == "period_start"
    assert s.time.tolist()[:5] == [2013.0, 2014.0, 2015.0, 2016.0, 2017.0]
    assert s.notes[0].startswith("time taken from period_start")
    # without period_end too
    assert prepare(df, time="year", count="deaths", by="area_code").time_column == "period_start"
    # a year column wins, and another time name is never replaced
    both = df.assign(year=df["period_start"] + 100)
    assert prepare(both, time="year", count="deaths", by="area_code").time[0] == 2113
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['month'\]"):
        prepare(df, time="month", count="deaths", by="area_code")


def test_multi_year_periods_are_refused():
    df = _table().rename(columns={"year": "period_start"})
    df["period_end"] = df["period_start"] + 2  # ONS three-year periods
    with pytest.raises(
        ValueError,
        match=r"^fit_trend: data has no 'year' column, and its periods are not single years: "
        r"period_start=2013 but period_end=2015 \(row index 0\); select single registration "
        r"years first, e.g. data\[data\['period_start'\] == data\['period_end'\]\]$",
    ):
        prepare(df, time="year", count="deaths", by="area_code", func="fit_trend")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.drop(index=7),
            r"series area_code='E07000148' \(Norwich\): missing time "
            r"point\(s\) 2015",
        ),
        (
            lambda d: d.assign(year=d.year.where(d.index != 3, 2014)),
            r"Southend-on-Sea\): time 2014 appears more than once \(row index 1 and 3\); a "
            r"series needs one row per time point",
        ),
        (
            lambda d: d.assign(deaths=d.deaths.where(d.area_code != "E07000148", 0)),
            r"Norwich\): column 'deaths' is zero at every time point",
        ),
        (lambda d: d[d.year < 2015], r"Southend-on-Sea\): has 2 time point\(s\); at least 3"),
        (
            lambda d: d.assign(deaths=d.deaths.astype(float).where(d.index != 2, 2.5)),
            r"non-negative whole counts; at year=2015 \(row index 2\) it is 2.5",
        ),
        (
            lambda d: d.assign(population=d.population.where(d.index != 9, 0)),
            r"Norwich\): column 'population' must be positive; at year=2017",
        ),
    ],
)
def test_bad_series_are_named(change, message):
    with pytest.raises(ValueError, match=message):
        prepare(
            change(_table()),
            time="year",
            count="deaths",
            population="population",
            by="area_code",
            func="fit_trend",
        )


def test_other_bad_series_are_counted():
    df = _table().assign(deaths=0)
    with pytest.raises(ValueError, match=r"Southend-on-Sea\).*\(and 1 other series\)$"):
        prepare(df, time="year", count="deaths", by="area_code")
    thurrock = df.head(5).assign(area_code="E06000034", area_name="Thurrock")
    three = pd.concat([df, thurrock], ignore_index=True)
    with pytest.raises(ValueError, match=r"\(and 2 other series\)$"):
        prepare(three, time="year", count="deaths", by="area_code")


def test_rate_limits_give_log_standard_error():
    # ONS national workbook 2021, Table 4: England and Wales, poisoning, persons,
    # 2018-2020 ASMR per million with 95% limits.
    df = pd.DataFrame(
        {
            "year": [2018, 2019, 2020],
            "rate": [76.3, 76.7, 79.5],
            "lcl": [74.0, 74.5, 77.2],
            "ucl": [78.5, 79.0, 81.9],
        }
    )
    s = prepare(df, time="year", rate="rate", lcl="lcl", ucl="ucl")
    z = 1.959963984540054
    assert s.se_log[0] == pytest.approx((np.log(78.5) - np.log(74.0)) / (2 * z))
    with pytest.raises(ValueError, match=r"column 'ucl' must be above the lower limit"):
        prepare(df.assign(ucl=[78.5, 70.0, 81.9]), time="year", rate="rate", lcl="lcl", ucl="ucl")


def test_monthly_dates_and_gaps():
    months = pd.date_range("2015-01-01", periods=14, freq="MS")
    df = pd.DataFrame({"month": months, "deaths": np.arange(14) % 5})
    s = prepare(df, time="month", count="deaths")
    assert s.time_unit == "month"
    assert np.diff(s.time).tolist() == [1.0] * 13
    with pytest.raises(ValueError, match=r"missing time point\(s\) 2015-04"):
        prepare(df.drop(index=3), time="month", count="deaths")
    periods = df.assign(month=df.month.dt.to_period("M"))
    assert np.array_equal(prepare(periods, time="month", count="deaths").time, s.time)
    with pytest.raises(ValueError, match="use years or months"):
        prepare(df.assign(month=df.month.dt.to_period("Q")), time="month", count="deaths")
    with pytest.raises(ValueError, match="first of the month"):
        prepare(df.assign(month=months + pd.Timedelta(days=3)), time="month", count="deaths")


def test_count_xor_rate_required():
    with pytest.raises(ValueError, match="either count="):
        prepare(_table(), time="year")
    with pytest.raises(ValueError, match="lacks column"):
        prepare(_table(), time="year", count="deaths", by="region")


def test_message_says_how_to_leave_the_bad_series_out():
    df = _table()
    thurrock = df.head(5).assign(area_code="E06000034", area_name="Thurrock")
    three = pd.concat([df, thurrock], ignore_index=True)
    three.loc[three["area_code"] != "E06000033", "deaths"] = 0
    kept = follow_hint(
        prepare,
        three,
        "fit_trend: series area_code='E07000148' (Norwich): column 'deaths' is zero at every "
        "time point; no trend can be fitted (and 1 other series). To fit the other series, "
        "leave them out, e.g. data[~data['area_code'].isin(['E07000148', 'E06000034'])]",
        time="year",
        count="deaths",
        by="area_code",
        func="fit_trend",
    )
    assert prepare(kept, time="year", count="deaths", by="area_code").n_series == 1
    # several by columns: the key values to leave out
    with pytest.raises(ValueError, match=r"leave out the rows of area_code='E07000148', sex='m'; "):
        prepare(three.assign(sex="m"), time="year", count="deaths", by=["area_code", "sex"])
    # without by (or when every series is bad) there is nothing else to fit: no hint
    with pytest.raises(ValueError, match=r"no trend can be fitted$"):
        prepare(three[three["area_code"] == "E07000148"], time="year", count="deaths")


@pytest.mark.parametrize(
    ("model", "kwargs", "fewest"),
    [
        (fit_trend, {}, 3),
        (fit_interrupted, {"n_sim": 200, "intervention": 2015}, 5),
        (fit_joinpoint, {"count": "deaths", "method": "bic"}, 3),
    ],
)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d[(d["area_code"] != "E06000033") | (d["year"] >= 2018)],
            r"E06000033' \(Southend-on-Sea\): has 2 time point\(s\); at least {fewest}",
        ),
        (
            lambda d: d.assign(deaths=d["deaths"].where(d["area_code"] != "E07000148", 0)),
            r"E07000148' \(Norwich\): column 'deaths' is zero at every time point",
        ),
        (
            lambda d: d[(d["area_code"] != "E07000148") | (d["year"] != 2014)],
            r"E07000148' \(Norwich\): missing time point\(s\) 2014",
        ),
        (
            lambda d: pd.concat([d, d.iloc[[3]]]),
            r"E06000033' \(Southend-on-Sea\): time 2015 appears more than once",
        ),
    ],
)
def test_every_model_names_the_bad_series(model, kwargs, fewest, change, message):
    name = model.__name__
    pattern = rf"^{name}: series area_code='" + message.format(fewest=fewest)
    with pytest.raises(ValueError, match=pattern):
        model(change(southend_norwich()), by="area_code", **kwargs)


# --- from reader to model: the readers' output goes straight in ----------------------------


def _ew_asmr() -> pd.DataFrame:
    """ONS 2021 edition, Table 4: England and Wales, drug poisoning, persons, 1993-2021."""
    nat = datasets.national_deaths()
    return nat[
        (nat["table"] == "asmr")
        & (nat["measure"] == "poisoning")
        & (nat["sex"] == "persons")
        & (nat["substance"] == "all")
    ]


def _same_tables(a, b, names) -> None:
    for name in names:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_national_deaths_go_straight_into_fit_trend():
    ew = _ew_asmr()
    direct = fit_trend(ew[ew["period_start"] >= 2012])
    by_hand = ew.assign(year=ew["period_start"]).sort_values("year")
    expected = fit_trend(by_hand[by_hand["year"] >= 2012])
    _same_tables(direct, expected, ("estimates", "fitted"))
    assert direct.notes[0].startswith("time taken from period_start")
    assert expected.notes == ()
    assert direct.estimates["n_points"].iloc[0] == 10


def test_national_deaths_go_straight_into_fit_joinpoint():
    ew = _ew_asmr()
    kwargs = {"rate": "rate", "lcl": "lcl", "ucl": "ucl", "method": "bic"}
    direct = fit_joinpoint(ew, **kwargs)
    expected = fit_joinpoint(ew.assign(year=ew["period_start"]).sort_values("year"), **kwargs)
    _same_tables(direct, expected, ("models", "segments", "fitted", "selection"))
    assert direct.models["first"].iloc[0] == 1993 and direct.models["last"].iloc[0] == 2021
    assert direct.notes[0].startswith("time taken from period_start")


def test_several_series_in_reader_output_are_told_apart_or_named_in_by():
    nat = datasets.national_deaths()
    ew = nat[(nat["table"] == "asmr") & (nat["measure"] == "poisoning")]
    ew = ew[ew["substance"] == "all"]  # persons, males, females
    with pytest.raises(ValueError, match=r"time 1993 appears more than once .*name the columns "):
        fit_joinpoint(ew, rate="rate", lcl="lcl", ucl="ucl", method="bic")
    fit = fit_joinpoint(ew, rate="rate", lcl="lcl", ucl="ucl", method="bic", by="sex")
    assert sorted(fit.models["sex"]) == ["females", "males", "persons"]


def test_multi_year_reader_output_is_refused_until_single_years_are_selected():
    la = datasets.la_deaths()
    south = la[
        (la["area_code"] == "E06000033") & (la["measure"] == "poisoning") & (la["sex"] == "persons")
    ]
    with pytest.raises(
        ValueError, match=r"select single registration years first, e\.g\. (.*)$"
    ) as info:
        fit_trend(south)
    kept = eval(str(info.value).split("e.g. ")[1], {"data": south})
    fit = fit_trend(kept[kept["period_start"] >= 2001])
    assert fit.estimates["n_points"].iloc[0] == 19


def _shuffled(data: pd.DataFrame) -> pd.DataFrame:
    return data.sample(frac=1.0, random_state=7)


@pytest.mark.parametrize(
    ("model", "kwargs", "tables"),
    [
        (fit_trend, {"population": "population"}, ("estimates", "fitted")),
        (
            fit_joinpoint,
            {"count": "deaths", "population": "population", "method": "bic"},
            ("models", "segments", "fitted", "selection"),
        ),
        (
            fit_interrupted,
            {"population": "population", "n_sim": 500, "intervention": 2015},
            ("effects", "fitted", "averted"),
        ),
    ],
)
def test_rows_in_any_order_give_the_same_fit_and_a_note(model, kwargs, tables):
    data = southend_norwich(2012).assign(population=150_000)
    ordered = model(data, by="area_code", **kwargs)
    shuffled = model(_shuffled(data), by="area_code", **kwargs)
    first = _shuffled(data)["area_code"].iloc[0]
    # series in order of first appearance in the shuffled rows
    assert getattr(shuffled, tables[0])["area_code"].iloc[0] == first
    for name in tables:
        got = getattr(shuffled, name)
        want = getattr(ordered, name)
        for code in ("E06000033", "E07000148"):
            pd.testing.assert_frame_equal(
                got[got["area_code"] == code].reset_index(drop=True),
                want[want["area_code"] == code].reset_index(drop=True),
            )
    assert ordered.notes == ()
    assert shuffled.notes == ("rows were sorted by area_code and year",)
