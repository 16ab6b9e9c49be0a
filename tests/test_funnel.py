"""Tests for overdose_trends.stats.funnel against PHEindicatormethods test data, ONS figures,
and hand
calculations.

PHE reference values are transcribed from the PHEindicatormethods test data (files
testdata_funnel_rate_input_funnels.csv, testdata_funnel_rate_outputs.csv and
testdata_funnel_rate_dsr_inputs.csv, as used by tests/testthat/testFunnels.R), so the tests run
without them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from overdose_trends import datasets
from overdose_trends.stats.funnel import FUNNEL_LABELS, funnel_limits, rank_areas, vs_benchmark

# --- PHEindicatormethods funnel test data -------------------------------------------------

# testdata_funnel_rate_input_funnels.csv: events (ev), DSR per 100,000 (rate) and a
# population (pop) for 50 areas; three years of data.
PHE_EV = [414, 462, 178, 525, 194, 937, 817, 117, 298, 228, 243, 13, 373, 664, 601, 602, 767, 708,
          90, 952, 347, 648, 988, 354, 839, 25, 518, 425, 648, 765, 210, 931, 589, 592, 554, 870,
          372, 843, 142, 543, 489, 620, 774, 904, 936, 841, 22, 922, 955, 308]  # fmt: skip
PHE_RATE = [184, 102, 83, 118, 121, 125, 112, 190, 146, 140, 87, 70, 90, 139, 109, 65, 165, 143,
            55, 135, 135, 88, 167, 99, 83, 53, 62, 118, 176, 101, 71, 138, 74, 84, 161, 79, 189,
            170, 159, 113, 191, 116, 200, 171, 128, 134, 185, 100, 123, 155]  # fmt: skip
PHE_POP = [5705, 3377, 5043, 1685, 7077, 6026, 7386, 8280, 5714, 1150, 7809, 9173, 7910, 3207,
           2028, 9517, 8447, 8734, 9010, 2955, 9171, 6357, 6883, 5092, 1984, 7182, 1985, 5232,
           2583, 5684, 8863, 5775, 7643, 1984, 9535, 8477, 3506, 1194, 4123, 7677, 5649, 3131,
           4463, 4948, 8756, 3757, 4832, 1711, 6369, 4500]  # fmt: skip
# Same file, calculate_funnel_points outputs (annual derived denominators):
# denominator_derived: DSR, 3 years, the largest ev (988, row 23) replaced by 5 -> NA.
PHE_POINTS_DSR = [75000, 150980.3922, 71485.94378, 148305.0847, 53443.52617, 249866.6667,
                  243154.7619, 20526.31579, 68036.52968, 54285.71429, 93103.44828, 6190.47619,
                  138148.1481, 159232.6139, 183792.0489, 308717.9487, 154949.4949, 165034.965,
                  54545.45455, 235061.7284, 85679.01235, 245454.5455, np.nan, 119191.9192,
                  336947.7912, 15723.27044, 278494.6237, 120056.4972, 122727.2727, 252475.2475,
                  98591.5493, 224879.2271, 265315.3153, 234920.6349, 114699.793, 367088.6076,
                  65608.46561, 165294.1176, 29769.39203, 160176.9912, 85340.31414, 178160.9195,
                  129000, 176218.3236, 243750, 209203.9801, 3963.963964, 307333.3333, 258807.5881,
                  66236.55914]  # fmt: skip
# denominator_derived_crude_with_denom: crude, 5 years, largest ev replaced by 0, pop given.
PHE_POINTS_CRUDE_DENOM = [45000, 90588.23529, 42891.56627, 88983.05085, 32066.1157, 149920,
                          145892.8571, 12315.78947, 40821.91781, 32571.42857, 55862.06897,
                          3714.285714, 82888.88889, 95539.56835, 110275.2294, 185230.7692,
                          92969.69697, 99020.97902, 32727.27273, 141037.037, 51407.40741,
                          147272.7273, 1376.6, 71515.15152, 202168.6747, 9433.962264,
                          167096.7742, 72033.89831, 73636.36364, 151485.1485, 59154.92958,
                          134927.5362, 159189.1892, 140952.381, 68819.87578, 220253.1646,
                          39365.07937, 99176.47059, 17861.63522, 96106.19469, 51204.18848,
                          106896.5517, 77400, 105730.9942, 146250, 125522.3881, 2378.378378,
                          184400, 155284.5528, 39741.93548]  # fmt: skip

# testdata_funnel_rate_outputs.csv: calculate_funnel_limits(ev, rate, rate_type = "dsr",
# multiplier = 1e5, years_of_data = 3) on the inputs above; baseline 116.1720835,
# statistic "rate (dsr per 100,000)", method "Poisson". The full Events column:
PHE_EVENTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
              24, 25, 26, 27, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 49, 52, 55, 58, 61, 64, 68,
              72, 76, 80, 84, 89, 94, 99, 104, 110, 116, 122, 129, 136, 143, 151, 159, 168, 177,
              187, 197, 208, 219, 231, 244, 257, 271, 286, 302, 319, 337, 356, 376, 397, 419, 442,
              466, 492, 519, 548, 578, 610, 643, 678, 715, 754, 796, 840, 886, 935, 986, 1040, 1097,
              1158, 1222, 1289, 1360]  # fmt: skip
PHE_BASELINE = 116.1720835
# 20 of the 100 rows, all limit columns, in PHE's order: Events, lower_2s_population_1_year,
# lower_2s_limit, upper_2s_population_1_year, upper_2s_limit, lower_3s_population_1_year,
# lower_3s_limit, upper_3s_population_1_year, upper_3s_limit.
PHE_LIMITS = [
    (1, 1598.675694, 20.85059119, 7.264481402, 4588.535848,
     2649.348525, 12.58170943, 0.287087625, 116108.569),
    (2, 2072.984403, 32.15975314, 69.49732367, 959.2695538,
     3221.906682, 20.69168143, 13.02722321, 5117.48863),
    (3, 2515.599722, 39.75195225, 177.5159418, 563.3296872,
     3747.958682, 26.68119061, 54.66984838, 1829.161832),
    (4, 2938.625247, 45.37269033, 312.7159093, 426.372082,
     4244.895077, 31.41027773, 122.9648371, 1084.320823),
    (5, 3348.002593, 49.78092521, 465.8280129, 357.7858395,
     4721.370883, 35.30048174, 212.14848, 785.6132963),
    (10, 5276.757672, 63.17010446, 1375.943768, 242.2579623,
     6924.776769, 48.13632908, 849.4639547, 392.4043292),
    (15, 7098.726928, 70.43516466, 2408.89425, 207.5641137,
     8964.747658, 55.7740183, 1662.469179, 300.7574554),
    (20, 8862.823734, 75.22057153, 3505.293872, 190.1885237,
     10915.38389, 61.07587907, 2570.385518, 259.3644657),
    (30, 12288.34267, 81.37793899, 5807.727562, 172.1843853,
     14657.31486, 68.22532023, 4553.350694, 219.6184891),
    (40, 15628.72636, 85.31298732, 8199.500879, 162.6115239,
     18266.6386, 72.99281287, 6673.990599, 199.7805231),
    (52, 19566.11366, 88.58853442, 11143.26175, 155.5499074,
     22486.79062, 77.08229077, 9333.044596, 185.7200312),
    (72, 26016.60165, 92.24878914, 16164.40038, 148.4744218,
     29345.33323, 81.78472473, 13943.85843, 172.118787),
    (99, 34583.45945, 95.42133877, 23087.10848, 142.9369123,
     38382.78582, 85.97604186, 20393.92315, 161.8129075),
    (136, 46159.34061, 98.21053059, 32740.07485, 138.4643546,
     50510.1338, 89.75096663, 29493.60565, 153.7056333),
    (197, 64993.75324, 101.0353509, 48907.23639, 134.2677925,
     70110.62779, 93.66150146, 44892.77785, 146.2744562),
    (286, 92145.09181, 103.4600232, 72826.17705, 130.9053107,
     98191.46367, 97.08922728, 67880.58471, 140.4427109),
    (419, 132305.4373, 105.5638147, 108986.5814, 128.1503327,
     139502.9426, 100.1173624, 102888.3596, 135.7458388),
    (610, 189485.3592, 107.3082027, 161411.8671, 125.9717374,
     198052.0816, 102.6665974, 153943.2733, 132.0832856),
    (886, 271526.5546, 108.7677534, 237754.495, 124.2177706,
     281734.783, 104.8267204, 228643.2429, 129.1677504),
    (1360, 411529.9259, 110.158048, 369759.5622, 122.6021934,
     424043.2424, 106.9073359, 358342.3275, 126.5084525),
]  # fmt: skip
LIMIT_COLUMNS = [
    "lower_95_population",
    "lower_95_limit",
    "upper_95_population",
    "upper_95_limit",
    "lower_998_population",
    "lower_998_limit",
    "upper_998_population",
    "upper_998_limit",
]

# testdata_funnel_rate_dsr_inputs.csv: 40 areas (the last with 0 events).
SIG_COUNT = [2419, 2337, 2291, 2242, 2218, 2159, 2130, 2111, 2105, 2083, 2078, 2062, 2061, 2033,
             2033, 2010, 2004, 2002, 1977, 1944, 1932, 1922, 1912, 1881, 1844, 1835, 1833, 1825,
             1816, 1809, 1798, 1754, 1746, 1709, 1694, 1688, 1649, 1553, 1332, 0]  # fmt: skip
SIG_RATE_DSR = [907.6174266, 948.5620216, 799.9690496, 852.5637927, 868.5358183, 769.6242217,
                752.3254955, 710.2689402, 815.3530325, 717.7035916, 755.8016993, 825.9742848,
                702.2972468, 785.6210132, 743.6763018, 781.8323058, 772.6781064, 652.3391553,
                648.4969973, 727.5777428, 625.6551186, 688.5582424, 662.4465438, 627.1624732,
                657.1114147, 724.8456714, 659.7820553, 654.7053631, 624.4435507, 646.7588823,
                703.1689982, 567.9922764, 617.7750715, 610.8327232, 608.5089462, 662.3775859,
                667.6454503, 604.1141693, 469.5645784, np.nan]  # fmt: skip
SIG_POP = [264102, 259711, 289247, 265029, 284649, 293578, 286718, 307381, 274145, 297424, 272628,
           269656, 294692, 277710, 259213, 285516, 269449, 290888, 287112, 286492, 287012, 291277,
           289859, 289653, 282519, 274220, 280271, 284206, 274508, 288384, 287072, 282744, 289208,
           287736, 296175, 303255, 285959, 274661, 281425, 297820]  # fmt: skip
SIG_RATE_CRUDE = [915.9339952, 899.8463677, 792.056616, 845.9451607, 779.2052668, 735.409329,
                  742.8902266, 686.7698394, 767.8418355, 700.3469794, 762.2107781, 764.6779601,
                  699.3742619, 732.0586223, 784.2970839, 703.9885681, 743.7400027, 688.2373972,
                  688.5814595, 678.5529788, 673.1425864, 659.8529922, 659.631062, 649.3977276,
                  652.6994645, 669.1707388, 654.009869, 642.1398563, 661.5472045, 627.2886152,
                  626.3237097, 620.3491498, 603.7177395, 593.9472294, 571.9591458, 556.6272609,
                  576.6560941, 565.4242867, 473.3054988, 0]  # fmt: skip
# Expected labels, abbreviated: H1 "High (0.001)", H2 "High (0.025)", L1 "Low (0.001)",
# L2 "Low (0.025)", NS "Not significant", NA "Not applicable for events less than 10 for dsrs".
# Columns dsr_per_100000_with_0 (= dsr_per_100_with_0), crude_per_100000_with_0
# (= crude_per_100_with_0) and crude_per_100000_without_0 (= crude_per_100_without_0; 39 rows).
SIG_DSR = ("H1 H1 H1 H1 H1 H1 H2 NS H1 NS H1 H1 NS H1 H2 H1 H1 L1 L1 NS L1 NS L2 L1 L2 NS L2 L1 "
           "L1 L1 NS L1 L1 L1 L1 L2 L2 L1 L1 NA")  # fmt: skip
SIG_CRUDE_WITH_0 = ("H1 H1 H1 H1 H1 H1 H1 NS H1 H2 H1 H1 H2 H1 H1 H2 H1 NS NS NS NS NS NS NS NS "
                    "NS NS NS NS L2 L2 L1 L1 L1 L1 L1 L1 L1 L1 L1")  # fmt: skip
SIG_CRUDE_WITHOUT_0 = ("H1 H1 H1 H1 H1 H1 H1 NS H1 NS H1 H1 NS H2 H1 NS H1 NS NS NS NS NS NS L2 "
                       "L2 NS L2 L2 NS L1 L1 L1 L1 L1 L1 L1 L1 L1 L1")  # fmt: skip
ABBREV = dict(zip(("H1", "H2", "L1", "L2", "NS", "NA"), FUNNEL_LABELS, strict=True))


def _labels(codes: str) -> list[str]:
    return [ABBREV[c] for c in codes.split()]


def _bisection_rtol(population: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Relative accuracy of PHE's bisection for the Poisson quantile behind each value.

    PHEindicatormethods (poisson_funnel) finds the expected count ``mu`` as
    ``(1 + O) v / (1 - v)`` by halving a step from 0.5 until it is at most 1e-7, so ``v`` is
    known to 2**-24 and ``mu`` (hence population and limit) to 2**-24 / (v (1 - v)) relatively:
    about 2.4e-7 for most rows, up to 1.2e-4 for the 99.8% upper limit at 1 event. 1e-9 allows
    for the 10 significant figures of the CSV.
    """
    mu = population * 3 * PHE_BASELINE / 1e5
    v = mu / (1 + events + mu)
    return 2.0**-24 / (v * (1 - v)) + 1e-9


def _phe_input() -> pd.DataFrame:
    return pd.DataFrame({"ev": PHE_EV, "rate": PHE_RATE, "pop": PHE_POP})


def _reference_limits() -> pd.DataFrame:
    return pd.DataFrame(PHE_LIMITS, columns=["events", *LIMIT_COLUMNS])


# --- funnel_limits --------------------------------------------------------------------------


def test_funnel_limits_reproduce_phe_rate_table() -> None:
    out = funnel_limits(_phe_input(), deaths="ev", rate="rate", rate_type="dsr", years=3)
    assert list(out.columns) == ["events", *LIMIT_COLUMNS, "benchmark"]
    # the 100-point event grid and the pooled baseline
    np.testing.assert_array_equal(out["events"], PHE_EVENTS)
    np.testing.assert_allclose(out["benchmark"], PHE_BASELINE, rtol=1e-9)
    ref = _reference_limits()
    got = out.set_index("events").loc[ref["events"]]
    for col in LIMIT_COLUMNS:
        side, level = col.split("_")[:2]
        pop_col = f"{side}_{level}_population"
        rtol = _bisection_rtol(ref[pop_col].to_numpy(), ref["events"].to_numpy())
        rel = np.abs(got[col].to_numpy() / ref[col].to_numpy() - 1)
        assert (rel <= rtol).all(), (col, rel / rtol)


def test_funnel_limits_tolerance_is_tight_where_phe_is_precise() -> None:
    # Rows from 10 events up: all eight columns within 1e-6 relative of PHE.
    ref = _reference_limits()
    ref = ref[ref["events"] >= 10]
    out = funnel_limits(benchmark=PHE_BASELINE, events=ref["events"], years=3)
    for col in LIMIT_COLUMNS:
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-6, err_msg=col)


def test_funnel_limits_by_population_pass_through_phe_points() -> None:
    # At PHE's population for each limit, the population-axis curve gives PHE's limit. The
    # count on the curve responds to an error in mu with elasticity (mu/E) dE/dmu, up to 4.4
    # here (1 event, 99.8% lower limit), so PHE's bisection error is allowed 5 times.
    ref = _reference_limits()
    for side, level in [("lower", "95"), ("upper", "95"), ("lower", "998"), ("upper", "998")]:
        pops = ref[f"{side}_{level}_population"].to_numpy()
        out = funnel_limits(benchmark=PHE_BASELINE, population=pops, years=3)
        rtol = 5 * _bisection_rtol(pops, ref["events"].to_numpy())
        rel = np.abs(out[f"{side}_{level}_limit"].to_numpy() / ref[f"{side}_{level}_limit"] - 1)
        assert (rel <= rtol).all(), (side, level, rel / rtol)
        np.testing.assert_allclose(out["expected"], pops * 3 * PHE_BASELINE / 1e5, rtol=1e-12)


def test_funnel_limits_by_population_hand_calculation() -> None:
    # One event is significantly high at 95% when P(X >= 1 | mu) = 1 - exp(-mu) < 0.025,
    # so the upper limit passes through 1 event at mu = -ln(0.975); zero events are
    # significantly low when exp(-mu) < 0.025, so the lower limit leaves 0 at mu = -ln(0.025).
    theta = 10 / 1e5
    mu_hi, mu_lo = -math.log(0.975), -math.log(0.025)
    out = funnel_limits(benchmark=10, population=[mu_hi / theta, mu_lo / theta, 1.0])
    np.testing.assert_allclose(out["upper_95_limit"].iloc[0], 1 / (mu_hi / theta) * 1e5, rtol=1e-9)
    assert out["lower_95_limit"].iloc[1] == pytest.approx(0, abs=1e-9)
    assert out["lower_95_limit"].iloc[2] == 0  # a tiny population: no low outlier possible
    assert (out["lower_998_limit"] <= out["lower_95_limit"]).all()
    assert (out["upper_998_limit"] >= out["upper_95_limit"]).all()
    np.testing.assert_allclose(out["benchmark"], 10)


def test_funnel_limits_by_events_zero_events() -> None:
    # 0 events: lower limit 0 at the population where exp(-mu) = 0.025; no upper limit.
    out = funnel_limits(benchmark=10, events=[0], years=2)
    assert out["lower_95_population"].iloc[0] == pytest.approx(-math.log(0.025) / 1e-4 / 2)
    assert out["lower_95_limit"].iloc[0] == 0
    assert np.isnan(out["upper_95_limit"].iloc[0])
    assert np.isnan(out["upper_998_population"].iloc[0])


def test_funnel_limits_event_grid_axis_rule() -> None:
    # Two areas at 10 per 100,000 (pooled 1e-4 per person-year). Populations 100,000 and
    # 150,000 (largest <= twice the smallest): axis from 0.95 x 100,000 rounded down to one
    # significant figure, 90,000, i.e. 9 events; to 1.05 x 150,000 = 157,500 rounded up to two,
    # 160,000, i.e. 16 events. From 9, each of the 100 counts is the previous + 1.
    df = pd.DataFrame({"deaths": [10, 15], "rate": [10.0, 10.0]})
    out = funnel_limits(df)
    np.testing.assert_array_equal(out["events"], np.arange(9, 109))
    # populations 100,000 and 250,000 (more than twice): the axis starts at 0, so at 1 event
    # (and, the top being only 27 events, 1.05 x 250,000 -> 270,000, steps of 1 to 100).
    df = pd.DataFrame({"deaths": [10, 25], "rate": [10.0, 10.0]})
    out = funnel_limits(df)
    np.testing.assert_array_equal(out["events"], np.arange(1, 101))
    # a wide axis is spaced geometrically: populations 10,000 and 10,000,000 (1 and 1,000
    # events) -> top 1.05 x 10,000,000 -> 11,000,000, 1,100 events, reached at the 100th count
    df = pd.DataFrame({"deaths": [1, 1000], "rate": [10.0, 10.0]})
    out = funnel_limits(df)
    assert out["events"].iloc[0] == 1 and out["events"].iloc[-1] == 1100
    assert len(out) == 100 and (np.diff(out["events"]) >= 1).all()


def test_funnel_limits_pooled_baseline_ignores_zero_event_dsr_and_uses_crude_population() -> None:
    df = pd.DataFrame({"deaths": [10, 30, 0], "rate": [20.0, 30.0, np.nan], "pop": [1, 1, 50000]})
    # DSR: 40 / (50,000 + 100,000) person-years; the 0-event row has no denominator.
    out = funnel_limits(df, events=[5])
    assert out["benchmark"].iloc[0] == pytest.approx(40 / 150_000 * 1e5)
    # crude: the 0-event row adds its population.
    df["rate"] = [20.0, 30.0, 0.0]
    out = funnel_limits(df, events=[5], rate_type="crude", denominator="pop")
    assert out["benchmark"].iloc[0] == pytest.approx(40 / 200_000 * 1e5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "benchmark"),
        ({"benchmark": 5}, "axis"),
        ({"benchmark": 0, "events": [1]}, "benchmark must be a positive"),
        ({"benchmark": 5, "events": [1], "population": [1]}, "not both"),
        ({"benchmark": 5, "events": [-1]}, "events must be"),
        ({"benchmark": 5, "population": [0]}, "population must be"),
        ({"benchmark": 5, "events": [1], "years": 0}, "years must be"),
        ({"benchmark": 5, "events": [1], "rate_type": "isr"}, "rate_type"),
    ],
)
def test_funnel_limits_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        funnel_limits(**kwargs)


def test_funnel_limits_rejects_bad_data() -> None:
    with pytest.raises(ValueError, match="lacks column"):
        funnel_limits(pd.DataFrame({"deaths": [1]}))
    with pytest.raises(ValueError, match="negative count"):
        funnel_limits(pd.DataFrame({"deaths": [-1], "rate": [2.0]}))
    with pytest.raises(ValueError, match="must be positive"):
        funnel_limits(pd.DataFrame({"deaths": [3], "rate": [0.0]}))
    crude = pd.DataFrame({"deaths": [0, 3], "rate": [0.0, 2.0], "pop": [50_000, 150_000]})
    with pytest.raises(ValueError, match="pass denominator="):
        funnel_limits(crude, rate_type="crude")
    # the advice works: the population column is named by denominator= (population= is the
    # axis of populations to tabulate at)
    out = funnel_limits(crude, rate_type="crude", denominator="pop")
    assert out["benchmark"].iloc[0] == pytest.approx(3 / (50_000 + 150_000) * 1e5)
    crude = crude.assign(lcl=[0.0, 0.4], ucl=[7.4, 5.8])
    with pytest.raises(ValueError, match="pass population="):
        vs_benchmark(crude, 2.0, rate_type="crude", area=None)
    out = vs_benchmark(crude, 2.0, rate_type="crude", area=None, population="pop")
    assert out["funnel_population"].tolist() == [50_000, 150_000]


# --- vs_benchmark: PHE funnel significance -----------------------------------------------


def _sig_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "count": SIG_COUNT,
            "rate_dsr": SIG_RATE_DSR,
            "pop": SIG_POP,
            "crude_100000": SIG_RATE_CRUDE,
            # rate_crude_per_100 is rate_crude_per_100000 / 1000 (the file rounds to 9 places)
            "crude_100": np.array(SIG_RATE_CRUDE) / 1000,
        }
    )


def _funnel_labels(df: pd.DataFrame, rate: str, rate_type: str, multiplier: float) -> list[str]:
    out = vs_benchmark(
        df,
        None,
        rate=rate,
        deaths="count",
        population="pop",
        conf=0.95,
        rate_type=rate_type,
        multiplier=multiplier,
        area=None,
    )
    return out["funnel_significance"].astype(str).tolist()


@pytest.mark.parametrize("multiplier", [1e5, 100])
def test_funnel_significance_dsr_with_and_without_zero(multiplier: float) -> None:
    # dsr_per_100000_with_0 and dsr_per_100_with_0 (the same DSR column, multiplier 1e5 or 100:
    # labels do not depend on the scale); without_0 drops the 0-event row.
    df = _sig_frame()
    assert _funnel_labels(df, "rate_dsr", "dsr", multiplier) == _labels(SIG_DSR)
    nonzero = df[df["count"] != 0]
    assert _funnel_labels(nonzero, "rate_dsr", "dsr", multiplier) == _labels(SIG_DSR)[:-1]


@pytest.mark.parametrize(("rate", "multiplier"), [("crude_100000", 1e5), ("crude_100", 100)])
def test_funnel_significance_crude_with_and_without_zero(rate: str, multiplier: float) -> None:
    # crude_per_100000_with_0 / crude_per_100_with_0: the 0-event area's population enters the
    # pooled rate and it is itself significantly low; without it the pooled rate is higher.
    df = _sig_frame()
    assert _funnel_labels(df, rate, "crude", multiplier) == _labels(SIG_CRUDE_WITH_0)
    nonzero = df[df["count"] != 0]
    assert _funnel_labels(nonzero, rate, "crude", multiplier) == _labels(SIG_CRUDE_WITHOUT_0)


def test_funnel_significance_exact_below_10_events_byar_from_10() -> None:
    # Crude rates of 10 and 9 per 100,000 person-years (10 and 9 deaths in 100,000).
    # 95% lower limits on the count: 10 deaths, Byar: 10 (1 - 1/90 - 1.959964 / (3 sqrt(10)))^3
    # = 4.787450; exact chi2(0.025; 20)/2 = 4.795389. 9 deaths, exact chi2(0.025; 18)/2 = 4.115373;
    # Byar 9 (1 - 1/81 - 1.959964/9)^3 = 4.106885. A benchmark between the two limits separates
    # the methods: PHEindicatormethods uses Byar from 10 events and exact below.
    df = pd.DataFrame({"area_code": ["A", "B"], "deaths": [10, 9], "rate": [10.0, 9.0]})
    kw = {"deaths": "deaths", "conf": 0.95, "rate_type": "crude"}
    out = vs_benchmark(df.iloc[[0]], 4.79, **kw)  # above Byar's 4.7874
    assert out["funnel_significance"].iloc[0] == "Not significant"
    assert out["compared"].iloc[0] == "similar"
    out = vs_benchmark(df.iloc[[0]], 4.78, **kw)  # below it
    assert out["funnel_significance"].iloc[0] == "High (0.025)"
    assert out["compared"].iloc[0] == "higher"
    out = vs_benchmark(df.iloc[[1]], 4.11, **kw)  # below the exact 4.1154, above Byar's
    assert out["funnel_significance"].iloc[0] == "High (0.025)"
    assert out["compared"].iloc[0] == "higher"
    # a DSR from fewer than 10 events gets no funnel significance and no point
    out = vs_benchmark(df.iloc[[1]], 4.11, deaths="deaths", conf=0.95)
    assert out["funnel_significance"].iloc[0] == FUNNEL_LABELS[5]
    assert np.isnan(out["funnel_population"].iloc[0])


def test_funnel_population_matches_phe_funnel_points() -> None:
    # calculate_funnel_points, DSR, 3 years, largest count replaced by 5 (no point below 10).
    df = _phe_input()
    df.loc[df["ev"].idxmax(), "ev"] = 5
    out = vs_benchmark(df, None, deaths="ev", conf=0.95, years=3, area=None)
    np.testing.assert_allclose(out["funnel_population"], PHE_POINTS_DSR, rtol=1e-9)
    assert out["funnel_significance"].iloc[22] == FUNNEL_LABELS[5]
    # crude, 5 years, largest count replaced by 0: the population column gives that point.
    df = _phe_input()
    df.loc[df["ev"].idxmax(), "ev"] = 0
    out = vs_benchmark(
        df, None, deaths="ev", population="pop", conf=0.95, rate_type="crude", years=5, area=None
    )
    np.testing.assert_allclose(out["funnel_population"], PHE_POINTS_CRUDE_DENOM, rtol=1e-9)


# --- vs_benchmark: confidence-interval comparison ------------------------------------------


def _la_2016_18() -> pd.DataFrame:
    d = datasets.la_deaths()
    keep = (
        (d["period_start"] == 2016)
        & (d["period_end"] == 2018)
        & (d["measure"] == "poisoning")
        & (d["sex"] == "persons")
    )
    return d[keep].reset_index(drop=True)


def test_norwich_higher_and_southend_similar_than_england_2016_18() -> None:
    # ONS 2019 LA edition, Table 3 (2016-18, persons, poisoning): England E92000001 6.7
    # (6.6-6.9); Norwich E07000148 21.0 (16.6-26.3); Southend-on-Sea E06000033 5.8 (4.0-8.3).
    d = _la_2016_18()
    for benchmark in (6.7, "E92000001"):
        out = vs_benchmark(d, benchmark).set_index("area_code")
        assert out.loc["E92000001", "benchmark"] == 6.7
        assert out.loc["E07000148", ["rate", "lcl", "ucl"]].tolist() == [21.0, 16.6, 26.3]
        assert out.loc["E07000148", "compared"] == "higher"
        assert out.loc["E06000033", ["rate", "lcl", "ucl"]].tolist() == [5.8, 4.0, 8.3]
        assert out.loc["E06000033", "compared"] == "similar"
        # funnel: Norwich's 80 deaths far above what 6.7 per 100,000 predicts
        assert out.loc["E07000148", "funnel_significance"] == "High (0.001)"
    # rates not calculated (fewer than 10 deaths) are kept and marked; rows without a count
    # (ONS publishes none for counties) get no funnel label
    nan_rate = out["rate"].isna()
    few = nan_rate & out["deaths"].notna()
    assert few.any() and (out.loc[few, "deaths"] < 10).all()
    assert (out.loc[nan_rate, "compared"] == "not_compared").all()
    assert (out.loc[few, "funnel_significance"] == FUNNEL_LABELS[5]).all()
    assert out.loc[out["deaths"].isna(), "funnel_significance"].isna().all()
    assert len(out) == len(d)


def test_compared_boundaries_and_missing_limits() -> None:
    df = pd.DataFrame(
        {
            "area_code": list("ABCDEF"),
            "rate": [12.0, 8.0, 10.0, 11.0, 9.0, np.nan],
            "lcl": [10.5, 6.0, 8.0, 10.0, 7.0, np.nan],
            "ucl": [14.0, 9.5, 12.0, 13.0, 10.0, np.nan],
        }
    )
    out = vs_benchmark(df, 10.0, deaths=None)
    # A: lcl > 10; B: ucl < 10; C: includes; D: lcl == 10 and E: ucl == 10 include it
    assert out["compared"].astype(str).tolist() == [
        "higher",
        "lower",
        "similar",
        "similar",
        "similar",
        "not_compared",
    ]
    assert "funnel_significance" not in out
    assert out["benchmark"].tolist() == [10.0] * 6


def test_rows_without_a_rate_or_benchmark_are_not_assessed() -> None:
    # ONS single-year rows carry deaths but no rate: no derived denominator, so no funnel label
    # (a DSR below 10 events keeps PHE's "Not applicable" label); a group whose rows have no rate
    # at all has no pooled benchmark.
    df = pd.DataFrame(
        {
            "period": [1, 1, 1, 2],
            "area_code": ["A", "B", "C", "A"],
            "deaths": [50, 5, 40, 30],
            "rate": [np.nan, np.nan, 8.0, np.nan],
        }
    )
    out = vs_benchmark(df, None, by="period", conf=0.95)
    sig = out["funnel_significance"]
    assert sig.isna().tolist() == [True, False, False, True]
    assert sig.iloc[1:3].tolist() == [FUNNEL_LABELS[5], "Not significant"]
    assert out["compared"].astype(str).tolist() == [
        "not_compared",
        "not_compared",
        "similar",
        "not_compared",
    ]
    assert out["benchmark"].iloc[2] == pytest.approx(8.0)  # pooled from C alone
    assert np.isnan(out["benchmark"].iloc[3])


def test_compared_with_recomputed_limits_at_conf() -> None:
    # 5 deaths at a crude rate of 10 per 100,000 (50,000 person-years). Exact 95% limits on
    # 5 events: chi2(0.025; 10)/2 = 1.623486 and chi2(0.975; 12)/2 = 11.668332 (Garwood;
    # tables e.g. Breslow & Day 1987 appendix), i.e. 3.246972 to 23.336664 per 100,000.
    df = pd.DataFrame({"area_code": ["A"], "deaths": [5], "rate": [10.0]})
    for bench, expected in [(3.2, "higher"), (3.3, "similar"), (23.3, "similar"), (23.4, "lower")]:
        out = vs_benchmark(df, bench, conf=0.95, rate_type="crude")
        assert out["compared"].iloc[0] == expected, bench


def test_vs_benchmark_by_groups_with_area_benchmark() -> None:
    df = pd.DataFrame(
        {
            "sex": ["m", "m", "m", "f", "f", "f"],
            "area_code": ["ENG", "A", "B", "ENG", "A", "B"],
            "deaths": [1000, 50, 40, 500, 30, 20],
            "rate": [10.0, 20.0, 9.0, 5.0, 4.0, 12.0],
            "lcl": [9.4, 15.0, 6.0, 4.6, 2.7, 7.3],
            "ucl": [10.6, 26.0, 12.0, 5.5, 5.7, 18.5],
        }
    )
    out = vs_benchmark(df, "ENG", by="sex")
    assert out["benchmark"].tolist() == [10.0, 10.0, 10.0, 5.0, 5.0, 5.0]
    assert out["compared"].astype(str).tolist() == [
        "similar",
        "higher",
        "similar",
        "similar",
        "similar",
        "higher",
    ]
    with pytest.raises(ValueError, match="appears 0 times in group sex='f'"):
        vs_benchmark(df.iloc[:4], "A", by="sex")
    with pytest.raises(ValueError, match="area 'ENG' appears 2 times in the table") as err:
        vs_benchmark(df, "ENG")  # forgot by=
    assert str(err.value).endswith("pass by=['sex']")  # and that advice works:
    pd.testing.assert_frame_equal(vs_benchmark(df, "ENG", by=["sex"]), out)
    with pytest.raises(ValueError, match="lacks column"):
        vs_benchmark(df.drop(columns="lcl"), 10.0)
    with pytest.raises(ValueError, match="benchmark must be a positive"):
        vs_benchmark(df, -1.0, by="sex")


# --- rank_areas -----------------------------------------------------------------------------


def test_rank_norwich_among_english_districts_2016_18() -> None:
    d = _la_2016_18()
    districts = d[d["area_code"].str.startswith("E07")].reset_index(drop=True)
    out = rank_areas(districts, "rate").set_index("area_code")
    rates = districts["rate"].to_numpy()
    published = rates[~np.isnan(rates)]
    norwich = out.loc["E07000148"]
    assert norwich["rate"] == 21.0
    # independent count: districts with a strictly higher published rate, plus one
    assert norwich["rank"] == int((published > 21.0).sum()) + 1 == 1
    assert norwich["n_ranked"] == published.size == int(districts["rate"].notna().sum())
    assert not norwich["tied"]
    # every ranked district: 1 + number strictly higher; ties share that rank
    ranked = out[out["rate"].notna()]
    expected = [int((published > r).sum()) + 1 for r in ranked["rate"]]
    assert ranked["rank"].tolist() == expected
    counts = ranked["rate"].map(ranked["rate"].value_counts())
    assert ranked["tied"].tolist() == (counts > 1).tolist()
    assert ranked["tied"].any()  # published rates are rounded to 0.1: real ties exist
    # districts without a published rate are kept, unranked
    unranked = out[out["rate"].isna()]
    assert len(unranked) > 0
    assert unranked["rank"].isna().all() and unranked["tied"].isna().all()
    assert len(out) == len(districts)


def test_rank_ties_share_the_minimum_rank() -> None:
    df = pd.DataFrame({"area_code": list("ABCDE"), "rate": [5.0, 3.0, 5.0, np.nan, 1.0]})
    out = rank_areas(df)
    assert out["rank"].tolist() == [1, 3, 1, pd.NA, 4]
    assert out["n_ranked"].tolist() == [4] * 5
    assert out["tied"].tolist() == [True, False, True, pd.NA, False]
    assert str(out["rank"].dtype) == "Int64" and str(out["tied"].dtype) == "boolean"
    out = rank_areas(df, ascending=True)
    assert out["rank"].tolist() == [3, 2, 3, pd.NA, 1]


def test_rank_within_groups() -> None:
    df = pd.DataFrame(
        {
            "period": [2017, 2017, 2017, 2018, 2018],
            "area_code": ["A", "B", "C", "A", "B"],
            "rate": [2.0, 4.0, 4.0, 7.0, np.nan],
        }
    )
    out = rank_areas(df, by="period")
    assert out["rank"].tolist() == [3, 1, 1, 1, pd.NA]
    assert out["n_ranked"].tolist() == [3, 3, 3, 1, 1]
    assert out["tied"].tolist() == [False, True, True, False, pd.NA]
    with pytest.raises(ValueError, match=r"area 'A' appears 2 times.*pass by=\['period'\]"):
        rank_areas(df)
    with pytest.raises(ValueError, match="must be numeric"):
        rank_areas(df.assign(rate="x"), by="period")
    with pytest.raises(ValueError, match="lacks column"):
        rank_areas(df, "asmr")


def test_repeated_area_advice_works_when_followed_on_ons_tables() -> None:
    la = datasets.la_deaths().query("period_start + 2 == period_end and area_level == 'region'")
    with pytest.raises(ValueError, match="appears") as err:
        vs_benchmark(la, None)
    advice = str(err.value)
    assert advice.endswith("pass by=['measure', 'sex', 'period_start', 'period_end']")
    by = ["measure", "sex", "period_start", "period_end"]
    out = vs_benchmark(la, None, by=by)
    assert len(out) == len(la) and out["compared"].notna().all()
    ranked = rank_areas(la, by=by)
    assert ranked["rank"].max() == la["area_code"].nunique()


# --- impossible magnitudes (issue #15 item 6): a clean ValueError, no wrap, no TypeError --------


@pytest.mark.parametrize("value", [99999999999999999999, 1e308])
@pytest.mark.parametrize("arg", ["events", "population"])
def test_funnel_limits_refuses_huge_inputs(arg, value):
    with pytest.raises(ValueError, match=f"funnel_limits: {arg} .*too large for a count"):
        funnel_limits(benchmark=10.0, rate_type="crude", **{arg: [value, 1000]})


def test_funnel_limits_refuses_huge_counts_in_data():
    df = pd.DataFrame(
        {
            "area_code": ["A", "B"],
            "deaths": [1e308, 7.0],
            "rate": [10.0, 7.0],
            "lcl": 1.0,
            "ucl": 20.0,
        }
    )
    with pytest.raises(ValueError, match="row index 0: .*too large for a count"):
        funnel_limits(df, benchmark=8.0, rate_type="dsr")
