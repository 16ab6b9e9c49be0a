"""Input checks shared by the trend models (``overdose_trends.stats.trends._series``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdose_trends import fit_interrupted, fit_joinpoint, fit_trend
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
            r"Southend-on-Sea\): time is not strictly increasing: "
            r"2014 \(row index 3\) follows 2015",
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
        (fit_interrupted, {"n_sim": 200}, 5),
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
            lambda d: d.iloc[[1, 0, *range(2, len(d))]],
            r"E06000033' \(Southend-on-Sea\): time is not strictly increasing",
        ),
    ],
)
def test_every_model_names_the_bad_series(model, kwargs, fewest, change, message):
    name = model.__name__
    pattern = rf"^{name}: series area_code='" + message.format(fewest=fewest)
    with pytest.raises(ValueError, match=pattern):
        model(change(southend_norwich()), by="area_code", **kwargs)
