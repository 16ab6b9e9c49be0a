"""Tests of overdose_trends.stats.kit_metrics on small hand-made counts tables.

Every expected number is worked out by hand in the comments. Wilson limits are
checked against Newcombe (1998), Statistics in Medicine 17:857-872, Table II,
method 3 (score interval without continuity correction): 81/263 -> 0.2553 to
0.3662; 15/148 -> 0.0624 to 0.1605.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdose_trends.schema import COUNT_COLUMNS
from overdose_trends.stats import kit_metrics as km

AREA = "E06000033"  # Southend-on-Sea


def month_rows(measure, values, start="2016-01", area=AREA, service="S1", status=None):
    """Monthly counts rows; a value of None is suppressed unless status says otherwise."""
    periods = pd.period_range(start, periods=len(values), freq="M")
    rows = []
    for i, (p, v) in enumerate(zip(periods, values, strict=True)):
        st = status[i] if status else ("exact" if v is not None else "suppressed")
        rows.append(
            {
                "area_code": area,
                "service": service,
                "period_start": p.start_time,
                "period_end": p.end_time.normalize(),
                "measure": measure,
                "value": v,
                "status": st,
            }
        )
    df = pd.DataFrame(rows, columns=list(COUNT_COLUMNS))
    df["value"] = df["value"].astype("Int64")
    return df


def row(measure, start, end, value, status="exact", area=AREA, service="S1"):
    return {
        "area_code": area,
        "service": service,
        "period_start": pd.Timestamp(start),
        "period_end": pd.Timestamp(end),
        "measure": measure,
        "value": value,
        "status": status,
    }


def frame(rows):
    df = pd.DataFrame(rows, columns=list(COUNT_COLUMNS))
    df["value"] = df["value"].astype("Int64")
    return df


# --- rebucket -------------------------------------------------------------------------------------


def test_rebucket_years_by_hand():
    # 2016: 1..12 -> sum 78; 2017: 10 each -> 120
    df = month_rows("kits_issued", list(range(1, 13)) + [10] * 12)
    out = km.rebucket(df, 1)
    assert out["value"].tolist() == [78, 120]
    assert out["status"].tolist() == ["exact", "exact"]
    assert out["period_start"].tolist() == [pd.Timestamp("2016-01-01"), pd.Timestamp("2017-01-01")]
    assert out["period_end"].tolist() == [pd.Timestamp("2016-12-31"), pd.Timestamp("2017-12-31")]
    assert out["n_parts"].tolist() == [12, 12]
    assert out["coverage"].tolist() == [1.0, 1.0]
    assert list(out.columns) == [*COUNT_COLUMNS, "n_parts", "coverage", "note"]


def test_rebucket_refuses_to_sum_suppressed_parts():
    vals = [5] * 12 + [5] * 5 + [None] + [5] * 6  # July 2017 suppressed
    out = km.rebucket(month_rows("kits_issued", vals), 1)
    assert out["value"].tolist()[0] == 60
    assert pd.isna(out["value"].iloc[1])  # not 55
    assert out["status"].tolist() == ["exact", "suppressed"]
    assert out["note"].iloc[1] == "1 suppressed part(s)"


def test_rebucket_missing_month_is_not_reported_unless_zero():
    df = month_rows("kits_issued", [4] * 12)
    df = df[df["period_start"].dt.month != 2]  # February 2016 absent (29 days)
    out = km.rebucket(df, 1)
    assert pd.isna(out["value"].iloc[0])
    assert out["status"].iloc[0] == "not_reported"
    assert out["coverage"].iloc[0] == pytest.approx(337 / 366)  # 2016 is a leap year
    assert out["note"].iloc[0] == "29 day(s) with no row"
    zero = km.rebucket(df, 1, missing="zero")
    assert zero["value"].tolist() == [44] and zero["status"].tolist() == ["exact"]


def test_rebucket_three_year_ons_periods_by_hand():
    # quarterly input 2013-2016; yearly totals 2013: 40, 2014: 80, 2015: 120, 2016: 160
    rows = []
    for y, q in zip(range(2013, 2017), [10, 20, 30, 40], strict=True):
        for qs, qe in [
            ("01-01", "03-31"),
            ("04-01", "06-30"),
            ("07-01", "09-30"),
            ("10-01", "12-31"),
        ]:
            rows.append(row("kits_issued", f"{y}-{qs}", f"{y}-{qe}", q))
    out = km.rebucket(frame(rows), 3)
    # windows 2013-15 = 240 and 2014-16 = 360, as ONS periods
    assert out["value"].tolist() == [240, 360]
    assert out["period_start"].dt.year.tolist() == [2013, 2014]
    assert out["period_end"].dt.year.tolist() == [2015, 2016]
    assert out["n_parts"].tolist() == [12, 12]


def test_rebucket_three_year_with_a_missing_year_inside():
    rows = [row("kits_issued", f"{y}-01-01", f"{y}-12-31", 100) for y in (2013, 2014, 2016)]
    out = km.rebucket(frame(rows), 3)
    assert out["status"].tolist() == ["not_reported", "not_reported"]
    assert out["value"].isna().all()
    zero = km.rebucket(frame(rows), 3, missing="zero")
    assert zero["value"].tolist() == [200, 200]


def test_rebucket_rounded_parts_give_rounded_status():
    rows = [
        row("kits_issued", "2018-01-01", "2018-06-30", 10, "rounded"),
        row("kits_issued", "2018-07-01", "2018-12-31", 7),
    ]
    out = km.rebucket(frame(rows), 1)
    assert out["value"].tolist() == [17] and out["status"].tolist() == ["rounded"]


def test_rebucket_errors():
    fy = frame([row("kits_issued", "2018-04-01", "2019-03-31", 10)])
    with pytest.raises(ValueError, match="spans two calendar years"):
        km.rebucket(fy)
    overlap = frame(
        [
            row("kits_issued", "2018-01-01", "2018-03-31", 10),
            row("kits_issued", "2018-03-01", "2018-05-31", 10),
        ]
    )
    with pytest.raises(ValueError, match="overlaps"):
        km.rebucket(overlap)
    with pytest.raises(ValueError, match="years must be"):
        km.rebucket(month_rows("kits_issued", [1]), 0)
    with pytest.raises(ValueError, match="missing must be"):
        km.rebucket(month_rows("kits_issued", [1]), missing="zeros")


def test_counts_validation():
    bad = month_rows("kits_issued", [1, 2])
    with pytest.raises(ValueError, match="lacks columns"):
        km.rebucket(bad.drop(columns="status"))
    with pytest.raises(ValueError, match="unknown measure"):
        km.rebucket(bad.assign(measure="kits_sold"))
    with pytest.raises(ValueError, match="unknown status"):
        km.rebucket(bad.assign(status="ok"))
    with pytest.raises(ValueError, match="not a count"):
        km.rebucket(bad.assign(value=pd.array([-1, 2], dtype="Int64")))
    with pytest.raises(ValueError, match="but no value"):
        km.rebucket(bad.assign(value=pd.array([None, 2], dtype="Int64")))
    with pytest.raises(ValueError, match="but a value is given"):
        km.rebucket(bad.assign(status=["suppressed", "exact"]))
    with pytest.raises(ValueError, match="repeat the same cell"):
        km.rebucket(pd.concat([bad, bad]))


def test_kit_counts_periods():
    df = pd.concat(
        [
            month_rows("kits_issued", [3] * 36),
            month_rows("kits_returned_used", [1] * 36),
            month_rows("kits_lost", [2] * 36),
        ]
    )
    monthly = km.kit_counts(df, "month")
    assert set(monthly["measure"]) == {"kits_issued", "kits_returned_used"}
    assert len(monthly) == 72
    yearly = km.kit_counts(df, "year")
    assert yearly.loc[yearly["measure"] == "kits_issued", "value"].tolist() == [36, 36, 36]
    three = km.kit_counts(df, "3year")
    assert three.set_index("measure")["value"].to_dict() == {
        "kits_issued": 108,
        "kits_returned_used": 36,
    }
    quarterly = frame([row("kits_issued", "2018-01-01", "2018-03-31", 9)])
    with pytest.raises(ValueError, match="not a calendar month"):
        km.kit_counts(quarterly, "month")
    with pytest.raises(ValueError, match="period must be"):
        km.kit_counts(df, "week")
    with pytest.raises(ValueError, match="unknown measure"):
        km.kit_counts(df, "year", measures=("kits_used",))


# --- per population -------------------------------------------------------------------------------

POP = pd.DataFrame(
    {
        "area_code": [AREA] * 4 + ["W06000015"],
        "year": [2016, 2016, 2017, 2017, 2016],
        "age_band": ["0-44", "45+", "0-44", "45+", "all"],
        "population": pd.array([60_000, 40_000, 120_000, 80_000, None], dtype="Int64"),
    }
)  # AREA: 100,000 in 2016 and 200,000 in 2017 (two bands summed); W06000015 2016 missing


def test_per_population_by_hand():
    rows = [
        row("kits_issued", "2016-01-01", "2016-12-31", 50),
        row("kits_issued", "2016-01-01", "2017-12-31", 150, service="S2"),
        row("kits_issued", "2016-01-01", "2016-01-31", 10, service="S3"),
    ]
    out = km.per_population(frame(rows), POP)
    # 50 / 100,000 person-years = 50 per 100,000 per year
    # 150 / (100,000 + 200,000) person-years = 50 per 100,000 per year
    # January 2016: 31/366 of 100,000 = 8,469.9 person-years; 10 kits -> 10 * 366/31 = 118.0645
    assert out["population"].tolist() == pytest.approx([100_000, 300_000, 100_000 * 31 / 366])
    assert out["rate"].tolist() == pytest.approx([50.0, 50.0, 10 * 366 / 31])
    assert out["rate_status"].tolist() == ["ok", "ok", "ok"]
    assert (out["rate_per"] == 100_000).all()
    plain = km.per_population(frame(rows), POP, annualise=False)
    # average population: 100,000; 150,000; 100,000 -> 50, 100, 10 per 100,000 in the period
    assert plain["population"].tolist() == pytest.approx([100_000, 150_000, 100_000])
    assert plain["rate"].tolist() == pytest.approx([50.0, 100.0, 10.0])


def test_per_population_missing_pieces():
    rows = [
        row("kits_issued", "2016-01-01", "2016-12-31", 50, area="W06000015"),
        row("kits_issued", "2018-01-01", "2018-12-31", 50),  # no 2018 population
        row("kits_issued", "2017-01-01", "2017-12-31", None, "suppressed"),
    ]
    out = km.per_population(frame(rows), POP)
    assert out["rate_status"].tolist() == ["no_population", "no_population", "suppressed"]
    assert out["rate"].isna().all()
    with pytest.raises(ValueError, match="population table lacks"):
        km.per_population(frame(rows), POP.drop(columns="year"))


def test_per_population_with_shipped_population_bands():
    # ONS mid-2019 population estimate, Southend-on-Sea (E06000033): 183,125 persons (the 19
    # ESP bands of the shipped extract sum to it). 1,000 kits -> 1000 / 183,125 * 100,000
    # = 546.0751 per 100,000. Mid-1997 lacks the 85+ bands, so no population (no partial sum).
    from overdose_trends import datasets

    pop = datasets.population_bands()
    rows = [
        row("kits_issued", "2019-01-01", "2019-12-31", 1000),
        row("kits_issued", "1997-01-01", "1997-12-31", 1000),
    ]
    out = km.per_population(frame(rows), pop)
    assert out["population"].iloc[0] == 183_125
    assert out["rate"].iloc[0] == pytest.approx(546.0751, abs=1e-4)
    assert out["rate_status"].tolist() == ["ok", "no_population"]


# --- per death ------------------------------------------------------------------------------------


def test_per_death_benchmark_by_hand():
    areas = ["E1", "E2", "E3", "E4", "E5", "E6", "E7"]
    kits = [1000, 300, 500, 100, 100, 100, None]
    deaths = [40, 40, 40, 5, 0, None, 40]
    rows = [
        row("kits_issued", "2016-01-01", "2018-12-31", k, "exact" if k else "suppressed", area=a)
        for a, k in zip(areas, kits, strict=True)
    ]
    d = pd.DataFrame(
        {
            "area_code": areas,
            "period_start": 2016,
            "period_end": 2018,
            "deaths": pd.array(deaths, dtype="Int64"),
        }
    ).iloc[[0, 1, 2, 3, 4, 6]]  # E6 has no deaths row
    out = km.per_death(frame(rows), d)
    # 1000/40 = 25 (>= 20 and >= 9); 300/40 = 7.5 (neither); 500/40 = 12.5 (9x only);
    # 100/5 = 20 from few deaths; 0 deaths: no ratio; no row; suppressed kits
    assert out["kits_per_death"].tolist()[:4] == [25.0, 7.5, 12.5, 20.0]
    assert out["kits_per_death"].iloc[4:].isna().all()
    assert out["meets_benchmark"].tolist()[:4] == [True, False, False, True]
    assert out["meets_minimum"].tolist()[:4] == [True, False, True, True]
    assert out["meets_benchmark"].iloc[4:].isna().all()
    assert out["ratio_status"].tolist() == [
        "ok",
        "ok",
        "ok",
        "few_deaths",
        "no_deaths",
        "no_deaths_data",
        "suppressed",
    ]


def test_per_death_with_ons_deaths():
    # ONS 2019 LA workbook, Table 2 (deaths related to drug misuse, persons), Norfolk
    # E10000020: 2017 = 52, 2018 = 54, 2019 = 41, total 147 (shipped data/ extract).
    from overdose_trends import datasets

    d = datasets.la_deaths()
    d = d[(d["sheet"] == "Table 2") & (d["area_code"] == "E10000020")]
    assert d.set_index("period_start").loc[[2017, 2018, 2019], "deaths"].tolist() == [52, 54, 41]
    kits = frame(
        [
            row("kits_issued", f"{y}-01-01", f"{y}-12-31", v, area="E10000020")
            for y, v in [(2017, 1040), (2018, 1000), (2019, 900)]
        ]
    )
    yearly = km.per_death(kits, d)
    # 1040/52 = 20.0 (meets the benchmark exactly); 1000/54 = 18.52; 900/41 = 21.95
    assert yearly["kits_per_death"].tolist() == pytest.approx([20.0, 1000 / 54, 900 / 41])
    assert yearly["meets_benchmark"].tolist() == [True, False, True]
    # three-year: 2,940 kits / 147 deaths = 20.0; ONS 3-year rows of Table 6 join on the period
    three = km.rebucket(kits, 3)
    d3 = datasets.la_deaths()
    d3 = d3[
        (d3["sheet"] == "Table 6") & (d3["area_code"] == "E10000020") & (d3["sex"] == "persons")
    ]
    out = km.per_death(three, d3)
    assert out["deaths"].tolist() == [147]
    assert out["kits_per_death"].tolist() == [20.0]
    with pytest.raises(ValueError, match="same area and period"):
        km.per_death(kits, datasets.la_deaths())


# --- proportions ----------------------------------------------------------------------------------


def test_use_rate_wilson_against_newcombe():
    rows = [
        row("kits_issued", "2018-01-01", "2018-12-31", 263),
        row("kits_returned_used", "2018-01-01", "2018-12-31", 81),
        row("kits_issued", "2018-01-01", "2018-12-31", 148, service="S2"),
        row("kits_returned_used", "2018-01-01", "2018-12-31", 15, service="S2"),
    ]
    out = km.use_rate(frame(rows))
    assert out["proportion"].tolist() == pytest.approx([81 / 263, 15 / 148])
    assert out["lcl"].round(4).tolist() == [0.2553, 0.0624]
    assert out["ucl"].round(4).tolist() == [0.3662, 0.1605]
    assert out["flag"].tolist() == ["ok", "ok"]
    assert list(out.columns) == [
        "area_code", "service", "period_start", "period_end", "kits_returned_used",
        "kits_issued", "status", "proportion", "lcl", "ucl", "conf", "flag",
    ]  # fmt: skip


def test_use_rate_flags():
    y = ("2018-01-01", "2018-12-31")
    rows = [
        row("kits_issued", *y, 4000, service="east"),  # Norfolk news: 2,600 of 4,000 = 65%
        row("kits_returned_used", *y, 2600, service="east"),
        row("kits_issued", *y, 10, service="b"),
        row("kits_returned_used", *y, 12, service="b"),
        row("kits_issued", *y, 0, service="c"),
        row("kits_returned_used", *y, 0, service="c"),
        row("kits_issued", *y, None, "suppressed", service="d"),
        row("kits_returned_used", *y, 3, service="d"),
        row("kits_issued", *y, 50, service="e"),  # no kits_returned_used row
    ]
    with pytest.warns(UserWarning, match="above 50%"):
        out = km.use_rate(frame(rows))
    flags = dict(zip(out["service"], out["flag"], strict=True))
    assert flags == {
        "b": "numerator_exceeds_denominator",
        "c": "no_denominator",
        "d": "suppressed",
        "e": "not_reported",
        "east": "implausible",
    }
    east = out[out["service"] == "east"].iloc[0]
    assert east["proportion"] == pytest.approx(0.65)
    assert np.isnan(out.loc[out["service"] == "b", "lcl"]).all()
    zero = km.use_rate(frame(rows[-1:]), missing="zero")
    assert zero["proportion"].tolist() == [0.0] and zero["flag"].tolist() == ["ok"]


def test_repeat_rate_wilson_against_newcombe():
    rows = [
        row("kits_issued", "2018-01-01", "2018-03-31", 263),
        row("kits_repeat_supply", "2018-01-01", "2018-03-31", 81),
    ]
    out = km.repeat_rate(frame(rows), conf=0.95)
    assert out["kits_repeat_supply"].tolist() == [81]
    assert (out["lcl"].round(4).tolist(), out["ucl"].round(4).tolist()) == ([0.2553], [0.3662])
    with pytest.raises(ValueError, match="conf"):
        km.repeat_rate(frame(rows), conf=95)


# --- in circulation -------------------------------------------------------------------------------


def circulation_table(issued=(10, 5, 0, 8), status=None):
    return pd.concat(
        [
            month_rows("kits_issued", list(issued), status=status),
            month_rows("kits_returned_used", [1, 0, 2, 0]),
            month_rows("kits_returned_unused", [0, 1, 0, 0]),
            month_rows("kits_lost", [0, 0, 1, 0]),
            month_rows("kits_expired", [0, 0, 0, 3]),
        ],
        ignore_index=True,
    )


def test_in_circulation_by_hand():
    # issued 10, 5, 0, 8; terminal 1, 1, 3, 3 -> cumulative 10, 15, 15, 23 and 1, 2, 5, 8
    # held 9, 13, 10, 15. Shelf life 2 months (oldest kits leave first):
    # Jan min(9, 10) = 9; Feb min(13, 15) = 13; Mar min(10, 5 + 0) = 5; Apr min(15, 0 + 8) = 8
    out = km.in_circulation(circulation_table(), shelf_life_months=2)
    assert out["kits_terminal"].tolist() == [1, 1, 3, 3]
    assert out["cum_issued"].tolist() == [10, 15, 15, 23]
    assert out["cum_terminal"].tolist() == [1, 2, 5, 8]
    assert out["in_circulation"].tolist() == [9, 13, 10, 15]
    assert out["in_date"].tolist() == [9, 13, 5, 8]
    assert out["status"].tolist() == ["exact"] * 4
    no_shelf = km.in_circulation(circulation_table())
    assert no_shelf["in_date"].isna().all()


def test_in_circulation_month_end_shelf_life():
    # a 12-month shelf life from 29 Feb 2016: kits issued in Feb 2016 are out of date by the
    # end of Feb 2017 (cut-off 29 Feb 2016), those issued in March 2016 are not
    issued = [1] * 14  # Jan 2016 - Feb 2017
    df = pd.concat([month_rows("kits_issued", issued)] + [
        month_rows(m, [0] * 14) for m in km.TERMINAL_MEASURES
    ])  # fmt: skip
    out = km.in_circulation(df, shelf_life_months=12)
    assert out["in_date"].tolist()[-1] == 12  # Mar 2016 - Feb 2017
    assert out["in_circulation"].tolist()[-1] == 14


def test_in_circulation_holes_propagate():
    out = km.in_circulation(circulation_table(issued=(10, None, 0, 8)))
    assert out["in_circulation"].tolist()[:1] == [9]
    assert out["in_circulation"].iloc[1:].isna().all()
    assert out["status"].tolist() == ["exact", "suppressed", "suppressed", "suppressed"]
    assert out["note"].tolist()[2:] == ["an earlier period is incomplete"] * 2
    gap = circulation_table()
    gap = gap[gap["period_start"].dt.month != 2]
    out = km.in_circulation(gap)
    assert out["in_circulation"].tolist()[0] == 9
    assert out["in_circulation"].iloc[1:].isna().all()
    assert out["note"].tolist()[1] == "gap before this period"
    assert out["status"].tolist() == ["exact", "not_reported", "not_reported"]


def test_in_circulation_negative_is_noted():
    df = pd.concat(
        [month_rows("kits_issued", [0, 0])] + [month_rows(m, [2, 0]) for m in km.TERMINAL_MEASURES]
    )
    out = km.in_circulation(df)
    assert out["in_circulation"].tolist() == [-8, -8]
    assert out["note"].str.startswith("negative").all()


def test_rebucket_short_data_gives_a_flagged_window():
    # two years of data cannot fill a 3-year window: one window 2016-18, not reported, even
    # when absent rows mean zero (nothing is known about 2016)
    rows = [row("kits_issued", f"{y}-01-01", f"{y}-12-31", 100) for y in (2017, 2018)]
    for missing in ("not_reported", "zero"):
        out = km.rebucket(frame(rows), 3, missing=missing)
        assert out["period_start"].dt.year.tolist() == [2016]
        assert out["status"].tolist() == ["not_reported"]
        assert out["value"].isna().all()
        assert "before the first year" in out["note"].iloc[0]
