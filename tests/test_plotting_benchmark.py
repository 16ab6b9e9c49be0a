"""Funnel plot and ranking chart (overdose_trends.plots.benchmark)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from overdose_trends import datasets, plot_funnel, plot_ranking
from overdose_trends.plots import style
from overdose_trends.stats.funnel import rank_areas, vs_benchmark
from tests.plotting_helpers import by_gid, check_image, figure_texts, flat, one

NAN = np.nan
ENGLAND_2016_18 = 6.7  # ONS 2019 edition, Table 3: England, drug poisoning, persons, 2016-18


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _areas() -> pd.DataFrame:
    """Twelve invented districts, three-year deaths and rates per 100,000 with 95% limits."""
    rows = [
        ("E07000901", "Northtown", 80, 21.0, 16.6, 26.3, "ok"),
        ("E07000902", "Southville", 30, 2.9, 2.0, 4.2, "ok"),
        ("E07000903", "Eastham", 45, 9.8, 7.1, 13.1, "ok"),
        ("E07000904", "Westbury", 22, 6.5, 4.1, 9.8, "ok"),
        ("E07000905", "Midford", 15, 7.0, 3.9, 11.5, "unreliable"),
        ("E07000906", "Lowmoor", 8, NAN, NAN, NAN, "not_calculated"),
        ("E07000907", "Highcliff", 60, 12.5, 9.5, 16.1, "ok"),
        ("E07000908", "Riverton", 35, 5.5, 3.8, 7.6, "ok"),
        ("E07000909", "Oakley", 25, 7.9, 5.1, 11.7, "ok"),
        ("E07000910", "Ashby", 50, 6.2, 4.6, 8.2, "ok"),
        ("E07000911", "Brookside", 18, 4.1, 2.4, 6.5, "unreliable"),
        ("E07000912", "Kingsmere", 40, 7.4, 5.3, 10.1, "ok"),
    ]
    df = pd.DataFrame(
        rows, columns=["area_code", "area_name", "deaths", "rate", "lcl", "ucl", "rate_status"]
    )
    df["deaths"] = df["deaths"].astype("Int64")
    return df.assign(
        measure="poisoning", sex="persons", period_start=2016, period_end=2018, rate_per=100_000
    )


def _funnel_data() -> pd.DataFrame:
    return vs_benchmark(_areas(), ENGLAND_2016_18, years=3)


def _offsets(ax, gid):
    return sorted(map(tuple, np.round(one(ax, gid).get_offsets(), 6).tolist()))


# --- funnel plot ----------------------------------------------------------------------------


def test_funnel_limits_drawn_from_funnel_limits():
    ax = plot_funnel(_funnel_data(), benchmark_name="England")
    upper95 = one(ax, "limit-95-upper")
    lower95 = one(ax, "limit-95-lower")
    x = upper95.get_xdata()
    # Values from overdose_trends.stats.funnel.funnel_limits' documented example (benchmark 6.7 per
    # 100,000, three years): a district of 100,000 people has 95% limits 3.78 and 9.94.
    assert np.interp(100_000, x, upper95.get_ydata()) == pytest.approx(9.94, abs=0.01)
    assert np.interp(100_000, x, lower95.get_ydata()) == pytest.approx(3.78, abs=0.01)
    upper998 = one(ax, "limit-998-upper").get_ydata()
    assert np.all(upper998 > upper95.get_ydata())  # 99.8% limits lie outside the 95% ones
    assert np.all(np.diff(upper998) < 0)  # the funnel narrows as population grows
    bench = one(ax, "benchmark")
    assert list(bench.get_ydata()) == [6.7, 6.7]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "England (6.7)" in legend and "95% limits" in legend and "99.8% limits" in legend


def test_funnel_points_by_significance():
    data = _funnel_data()
    ax = plot_funnel(data)
    plotted = data[data["funnel_population"].notna()]
    for label in plotted["funnel_significance"].unique():
        rows = plotted[plotted["funnel_significance"] == label]
        expected = sorted(
            map(tuple, np.round(rows[["funnel_population", "rate"]].to_numpy(), 6).tolist())
        )
        assert _offsets(ax, f"points-{label}") == expected
    # Northtown: 80 deaths at 21.0 per 100,000 is far above the 99.8% limit
    assert plotted.set_index("area_name").loc["Northtown", "funnel_significance"] == "High (0.001)"
    high = one(ax, "points-High (0.001)")
    assert to_hex(high.get_facecolor()[0]).upper() == style.PALETTE["vermillion"]
    weak = _offsets(ax, "unreliable-points")  # Midford and Brookside: 15 and 18 deaths
    assert sorted(r for _, r in weak) == [4.1, 7.0]
    assert one(ax, "unreliable-points").get_facecolor()[0].tolist() == [1.0, 1.0, 1.0, 1.0]


def test_funnel_labels_outliers_and_highlight_and_notes():
    data = _funnel_data()
    ax = plot_funnel(data, highlight="E07000904")  # Westbury, within the limits
    outliers = data.loc[
        data["funnel_significance"].isin(["High (0.001)", "Low (0.001)"]), "area_name"
    ].tolist()
    assert len(outliers) >= 2
    labels = [t.get_text() for t in by_gid(ax, "label")]
    assert sorted(labels) == sorted([*outliers, "Westbury"])
    assert one(ax, "highlight").get_offsets().shape == (1, 2)
    footer = flat(figure_texts(ax.figure)["footer"])
    assert "1 area(s) with fewer than 10 deaths or no rate not plotted." in footer  # Lowmoor
    assert style.NOTE_UNRELIABLE in footer
    assert "over 3 years" in ax.get_xlabel()  # inferred from deaths / rate / population


def test_funnel_label_options():
    data = _funnel_data()
    n_out = int(data["funnel_significance"].isin(["High (0.001)", "Low (0.001)"]).sum())
    ax = plot_funnel(data, max_labels=1)
    assert len(by_gid(ax, "label")) == 1
    assert f"{n_out - 1} further area(s) outside" in flat(figure_texts(ax.figure)["footer"])
    ax = plot_funnel(data, label="none")
    assert by_gid(ax, "label") == []
    ax = plot_funnel(data, label=["Riverton"], log_x=True)
    assert [t.get_text() for t in by_gid(ax, "label")] == ["Riverton"]
    assert ax.get_xscale() == "log"


def test_no_point_at_a_rate_from_fewer_than_10_deaths():
    # A table that carries a rate for Lowmoor's 8 deaths anyway (e.g. computed by hand): the
    # funnel and the ranking must not draw it (ONS: no rate from fewer than 10 deaths).
    data = _funnel_data()
    low = data["area_name"] == "Lowmoor"
    data.loc[low, ["rate", "lcl", "ucl"]] = [5.0, 2.2, 9.9]
    data.loc[low, "funnel_population"] = 53_333.3
    ax = plot_funnel(data)
    drawn = np.vstack([c.get_offsets() for c in ax.collections if c.get_gid() != "highlight"])
    assert not np.any(np.isclose(drawn[:, 0], 53_333.3))
    assert "1 area(s) with fewer than 10 deaths" in flat(figure_texts(ax.figure)["footer"])
    ranked = data.assign(rank=data["rate"].rank(ascending=False, method="min"), n_ranked=12)
    ax = plot_ranking(ranked, orientation="vertical")
    assert len(one(ax, "ci").get_segments()) == 11
    assert "1 area(s) without a rate (not calculated)" in flat(figure_texts(ax.figure)["footer"])


def _with_england() -> pd.DataFrame:
    """The districts and England's own row, one district at exactly England's rate."""
    areas = _areas()
    areas.loc[areas["area_name"] == "Westbury", ["rate", "lcl", "ucl"]] = [6.7, 4.2, 10.1]
    england = areas.iloc[:1].assign(
        area_code="E92000001", area_name="England", deaths=11_646, rate=6.7, lcl=6.6, ucl=6.9,
        rate_status="ok",
    )  # fmt: skip
    england["deaths"] = england["deaths"].astype("Int64")
    return pd.concat([areas, england], ignore_index=True)


@pytest.mark.parametrize("level_column", [False, True])
def test_funnel_never_draws_the_benchmark_area_as_a_point(level_column):
    areas = _with_england()
    if level_column:  # the readers' area_level column, as in la_deaths()
        areas["area_level"] = ["district"] * 12 + ["country"]
    data = vs_benchmark(areas, "E92000001", years=3)  # England's own rate is the benchmark
    england = data.loc[data["area_code"] == "E92000001"].iloc[0]
    assert england["benchmark"] == england["rate"] == 6.7
    ax = plot_funnel(data, benchmark_name="England", highlight="E92000001")
    drawn = np.vstack([c.get_offsets() for c in ax.collections])
    assert not np.any(np.isclose(drawn[:, 0], england["funnel_population"]))
    assert ax.get_xlim()[1] < england["funnel_population"]  # the axis spans the districts only
    assert list(one(ax, "benchmark").get_ydata()) == [6.7, 6.7]
    assert by_gid(ax, "highlight") == []
    westbury = data.loc[data["area_name"] == "Westbury", "funnel_population"].iloc[0]
    assert np.any(np.isclose(drawn[:, 0], westbury))  # a district at the benchmark rate is a point
    footer = flat(figure_texts(ax.figure)["footer"])
    assert "1 area(s) with fewer than 10 deaths" in footer  # Lowmoor; England not counted
    assert "England (highlighted)" not in footer
    labels = [t.get_text() for t in by_gid(ax, "label")]
    assert "England" not in labels


def test_funnel_errors():
    data = _funnel_data()
    with pytest.raises(ValueError, match="funnel_significance"):
        plot_funnel(data.drop(columns="funnel_significance"))
    with pytest.raises(ValueError, match="2 benchmark values"):
        plot_funnel(pd.concat([data, data.assign(benchmark=5.0)]))
    with pytest.raises(ValueError, match="not years=1"):
        plot_funnel(data, years=1)
    with pytest.raises(ValueError, match="'Nowhere' is not in the data"):
        plot_funnel(data, highlight="Nowhere")
    with pytest.raises(ValueError, match="no rows"):
        plot_funnel(data.iloc[:0])


def test_funnel_real_districts_with_norwich():
    la = datasets.la_deaths().query(
        "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
        "and period_end == 2018 and area_level == 'district'"
    )
    data = vs_benchmark(la, ENGLAND_2016_18, years=3)
    ax = plot_funnel(data, highlight="E07000148", benchmark_name="England")
    labels = [t.get_text() for t in by_gid(ax, "label")]
    assert labels[0] == "Norwich" and by_gid(ax, "label")[0].get_fontweight() == "bold"
    n_out = int(
        data.loc[data["area_code"] != "E07000148", "funnel_significance"]
        .isin(["High (0.001)", "Low (0.001)"])
        .sum()
    )
    assert len(labels) == 1 + min(8, n_out)
    # 188 districts, 28 with fewer than 10 deaths (ONS ':' rates) are not plotted
    assert "28 area(s) with fewer than 10 deaths" in flat(figure_texts(ax.figure)["footer"])


# --- ranking --------------------------------------------------------------------------------


def _ranked() -> pd.DataFrame:
    return rank_areas(_funnel_data())


def test_ranking_vertical_sorted_with_intervals():
    data = _ranked()
    ax = plot_ranking(data, highlight="Northtown", orientation="vertical", benchmark_name="England")
    ranked = data[data["rank"].notna()].sort_values("rank")
    n = len(ranked)
    segments = one(ax, "ci").get_segments()
    assert [s[:, 0].tolist() for s in segments] == [[p, p] for p in range(1, n + 1)]
    assert [s[:, 1].tolist() for s in segments] == ranked[["lcl", "ucl"]].to_numpy().tolist()
    points = np.vstack(
        [c.get_offsets() for c in ax.collections if str(c.get_gid()).startswith("points-")]
        + [one(ax, "highlight").get_offsets()]
    )
    points = points[np.argsort(points[:, 0])]
    assert points[:, 1].tolist() == ranked["rate"].tolist()  # highest first
    label = one(ax, "label").get_text()
    assert label == "Northtown: rank 1 of 11\n21.0 (16.6-26.3)"
    bench = one(ax, "benchmark")
    assert list(bench.get_ydata()) == [6.7, 6.7]
    assert ax.get_xlabel() == "Areas ranked by rate (1 = highest)"
    footer = flat(figure_texts(ax.figure)["footer"])
    assert "1 area(s) without a rate (not calculated) not ranked." in footer


def test_ranking_colours_follow_comparison_with_benchmark():
    data = _ranked()
    ax = plot_ranking(data, orientation="vertical")
    ranked = data[data["rank"].notna()]
    for key in ("higher", "similar", "lower"):
        rates = sorted(ranked.loc[ranked["compared"] == key, "rate"])
        if rates:
            got = sorted(one(ax, f"points-{key}").get_offsets()[:, 1].tolist())
            assert got == rates
    # without a benchmark or comparison every area is one colour and no line is drawn
    plain = data.drop(columns=["benchmark", "compared"])
    ax = plot_ranking(plain, orientation="vertical")
    assert len(one(ax, "points-all").get_offsets()) == 11
    assert by_gid(ax, "benchmark") == []


def test_ranking_horizontal_names_and_highlight():
    data = _ranked()
    ax = plot_ranking(data, highlight="E07000907")  # Highcliff; 11 areas -> horizontal
    ranked = data[data["rank"].notna()].sort_values("rank")
    ticks = ax.get_yticklabels()
    names = [t.get_text() for t in ticks]
    assert names[0] == "Northtown"
    assert names[1] == "Highcliff (rank 2 of 11)" and ticks[1].get_fontweight() == "bold"
    assert len(names) == len(ranked)
    assert list(one(ax, "benchmark").get_xdata()) == [6.7, 6.7]
    assert ax.get_xlim()[0] == 0


def test_ranking_errors():
    data = _ranked()
    with pytest.raises(ValueError, match="appears more than once"):
        plot_ranking(pd.concat([data, data]))
    with pytest.raises(ValueError, match="orientation"):
        plot_ranking(data, orientation="diagonal")
    with pytest.raises(ValueError, match=r"\['rank'\]"):
        plot_ranking(data.drop(columns="rank"))
    with pytest.raises(ValueError, match="no area has a rank"):
        plot_ranking(data.assign(rank=pd.array([pd.NA] * len(data), dtype="Int64")))


def test_ranking_real_norwich_among_districts():
    la = datasets.la_deaths().query(
        "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
        "and period_end == 2018 and area_level == 'district'"
    )
    data = rank_areas(vs_benchmark(la, ENGLAND_2016_18, years=3))
    ax = plot_ranking(data, highlight="E07000148", benchmark_name="England")
    # ONS 2019 edition, Table 3: Norwich 2016-18 21.0 (16.6-26.3) per 100,000, the highest of
    # the 160 districts with a rate
    assert one(ax, "label").get_text() == "Norwich: rank 1 of 160\n21.0 (16.6-26.3)"
    assert len(one(ax, "ci").get_segments()) == 160


# --- image ------------------------------------------------------------------------------------


def test_funnel_image(tmp_path):
    ax = plot_funnel(_funnel_data(), highlight="Westbury", benchmark_name="England")
    check_image(ax.figure, "funnel", tmp_path)


# --- funnel labels: never overlapping, never outside the Axes (issue #15 item 6) ----------------


def _label_boxes(ax):
    from matplotlib.text import Text

    fig = ax.figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    labels = by_gid(ax, "label")
    return labels, [Text.get_window_extent(t, renderer) for t in labels], renderer


def _assert_clear(ax):
    labels, boxes, renderer = _label_boxes(ax)
    frame = ax.get_window_extent(renderer)
    for i, box in enumerate(boxes):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, labels[i].get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, labels[i].get_text()
        for j in range(i):
            assert not box.overlaps(boxes[j]), (labels[i].get_text(), labels[j].get_text())
    legend = ax.get_legend()
    if legend is not None:
        legend_box = legend.get_window_extent(renderer)
        assert not any(box.overlaps(legend_box) for box in boxes)
    return labels


def _crowded(n: int = 40) -> pd.DataFrame:
    """``n`` invented areas of similar size far above and below the benchmark, long names."""
    rng = np.random.default_rng(7)
    deaths = rng.integers(30, 60, n)
    high = np.arange(n) % 2 == 0
    rate = np.where(high, rng.uniform(18, 24, n), rng.uniform(1.0, 2.2, n))
    names = [f"Much Longer-Named District Number {i}" for i in range(n)]
    df = pd.DataFrame(
        {
            "area_code": [f"E07009{i:03d}" for i in range(n)],
            "area_name": names,
            "deaths": pd.array(deaths, dtype="Int64"),
            "rate": rate.round(1),
            "lcl": (rate * 0.7).round(1),
            "ucl": (rate * 1.4).round(1),
            "rate_status": "ok",
            "measure": "poisoning",
            "sex": "persons",
            "period_start": 2016,
            "period_end": 2018,
            "rate_per": 100_000,
        }
    )
    return vs_benchmark(df, ENGLAND_2016_18, years=3)


def test_funnel_labels_never_overlap_nor_leave_the_axes_when_crowded():
    data = _crowded()
    ax = plot_funnel(data, max_labels=40, highlight="E07009001")
    labels = _assert_clear(ax)
    assert labels[0].get_text() == "Much Longer-Named District Number 1"  # highlighted first
    footer = flat(figure_texts(ax.figure)["footer"])
    # every outlier is either labelled or named in the note
    outliers = data["funnel_significance"].isin(["High (0.001)", "Low (0.001)"]).sum()
    shown = {t.get_text() for t in labels}
    if len(shown) < outliers:
        assert "Not labelled for lack of room (" in footer
        n_missing = int(footer.split("Not labelled for lack of room (")[1].split(")")[0])
        assert len(shown) + n_missing == outliers


def test_funnel_labels_clear_in_a_small_callers_axes():
    fig, ax = plt.subplots(figsize=(4, 3))
    plot_funnel(_crowded(12), max_labels=12, ax=ax)
    _assert_clear(ax)


def test_funnel_labels_clear_on_the_real_districts():
    la = datasets.la_deaths().query(
        "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
        "and period_end == 2018 and area_level == 'district'"
    )
    ax = plot_funnel(vs_benchmark(la, ENGLAND_2016_18, years=3), highlight="E07000148")
    _assert_clear(ax)
