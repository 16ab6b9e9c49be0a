"""Kit figures: kits against deaths, and deaths averted (overdose_trends.plots.kits)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from overdose_trends import datasets, kit_counts, plot_deaths_averted, plot_kits_vs_deaths
from overdose_trends import deaths_averted as estimate_deaths_averted
from overdose_trends.plots import style
from tests.plotting_helpers import by_gid, check_image, figure_texts, flat, one

NAN = np.nan
AREA = "E06000099"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _counts() -> pd.DataFrame:
    """Yearly kit counts of an invented area (kits.kit_counts(period="year") layout)."""
    rows = []
    table = [
        (2015, None, "not_reported", None, "not_reported"),  # programme began in October
        (2016, 120, "exact", 8, "exact"),
        (2017, 200, "exact", 20, "exact"),
        (2018, 260, "exact", 25, "exact"),
        (2019, 340, "exact", None, "suppressed"),
    ]
    for service in ("all", "Site A"):
        for year, issued, s_issued, used, s_used in table:
            for measure, value, status in (
                ("kits_issued", issued, s_issued),
                ("kits_returned_used", used, s_used),
            ):
                rows.append(
                    {
                        "area_code": AREA,
                        "service": service,
                        "period_start": pd.Timestamp(year, 1, 1),
                        "period_end": pd.Timestamp(year, 12, 31),
                        "measure": measure,
                        "value": value,
                        "status": status,
                    }
                )
    df = pd.DataFrame(rows)
    df["value"] = df["value"].astype("Int64")
    return df


DEATHS = [14, 16, 15, 19, 22, 25, 21, 24, 26, 23]  # 2010-2019


def _deaths() -> pd.DataFrame:
    single = pd.DataFrame(
        {
            "area_code": AREA,
            "area_name": "Seatown",
            "measure": "poisoning",
            "sex": "persons",
            "period_start": range(2010, 2020),
            "period_end": range(2010, 2020),
            "deaths": DEATHS,
        }
    )
    three_year = single.assign(period_end=single["period_start"] + 2, deaths=60)
    misuse = single.assign(measure="misuse", deaths=5)
    return pd.concat([single, three_year, misuse], ignore_index=True)


def _twin(ax):
    others = [a for a in ax.get_shared_x_axes().get_siblings(ax) if a is not ax]
    assert len(others) == 1
    return others[0]


def _estimates() -> pd.DataFrame:
    # central values of the documented example of overdose_trends.deaths_averted (2,600
    # kits returned used, 4,000 issued); the interval ends are invented for the figure test
    return pd.DataFrame(
        {
            "estimator": ["naive", "use_based", "distribution_based"],
            "kits": pd.array([2600, 2600, 4000], dtype="Int64"),
            "central": [2600.0, 239.2, 17.6],
            "lower": [2600.0, 120.0, 5.0],
            "upper": [2600.0, 380.0, 60.0],
            "conf": 0.95,
            "assumptions": ["a", "b", "c"],
        }
    )


# --- plot_kits_vs_deaths -------------------------------------------------------------------


def test_kits_vs_deaths_bars_and_line():
    ax = plot_kits_vs_deaths(_counts(), _deaths(), area_code=AREA)
    issued = by_gid(ax, "bars-kits_issued")
    assert [b.get_height() for b in issued] == [120, 200, 260, 340]
    assert [b.get_x() + b.get_width() / 2 for b in issued] == pytest.approx(
        [2015.8, 2016.8, 2017.8, 2018.8]
    )
    used = by_gid(ax, "bars-kits_returned_used")
    assert [b.get_height() for b in used] == [8, 20, 25]
    marks = by_gid(ax, "not-reported")
    assert [t.get_text() for t in marks] == ["n/r", "n/r", "supp."]
    twin = _twin(ax)
    line = one(twin, "deaths")
    assert line.get_xdata().tolist() == list(range(2010, 2020))  # 5 years before kits began
    assert line.get_ydata().tolist() == DEATHS
    assert ax.get_ylim()[0] == 0 and twin.get_ylim()[0] == 0
    assert ax.get_ylabel() == "Kits per year"
    assert twin.get_ylabel() == "Deaths per year"
    legend = [t.get_text() for t in twin.get_legend().get_texts()]
    assert legend == ["Drug-poisoning deaths", "Kits issued", "Kits returned used"]


def test_kits_vs_deaths_two_aligned_panels_never_two_y_axes():
    ax = plot_kits_vs_deaths(_counts(), _deaths(), area_code=AREA)
    fig = ax.figure
    fig.draw_without_rendering()
    assert len(fig.axes) == 2
    deaths_panel = _twin(ax)
    kits_box, deaths_box = ax.get_position(), deaths_panel.get_position()
    # the same width and years, one above the other (no overlap: not a twin Axes)
    assert (kits_box.x0, kits_box.x1) == pytest.approx((deaths_box.x0, deaths_box.x1))
    assert deaths_box.y0 > kits_box.y1
    assert ax.get_xlim() == deaths_panel.get_xlim()
    for panel in fig.axes:
        assert not panel.spines["right"].get_visible()
        assert panel.yaxis.get_label_position() == "left"
    # no twin: no Axes shares another's place
    assert not deaths_panel.get_shared_y_axes().joined(deaths_panel, ax)
    texts = figure_texts(fig)
    assert texts["units"] == (
        "Deaths registered per year (upper panel); kits per calendar year (lower panel)"
    )
    assert "right axis" not in flat(texts["footer"]) and "separate axes" not in flat(
        texts["footer"]
    )


def test_kits_vs_deaths_into_a_callers_subplot():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    ax = plot_kits_vs_deaths(_counts(), _deaths(), area_code=AREA, ax=right)
    assert right not in fig.axes and len(fig.axes) == 3  # left, deaths panel, kits panel
    fig.draw_without_rendering()
    assert ax.get_position().x0 > left.get_position().x1
    assert _twin(ax).get_title().startswith("Take-home naloxone kits and deaths per year")
    plt.close(fig)
    with pytest.raises(ValueError, match="ax must be a subplot"):
        fig = plt.figure()
        plot_kits_vs_deaths(_counts(), _deaths(), area_code=AREA, ax=fig.add_axes((0, 0, 1, 1)))
    plt.close("all")


def test_kits_vs_deaths_notes_and_options():
    ax = plot_kits_vs_deaths(_counts(), _deaths(), service="Site A", years=(2016, 2019))
    texts = figure_texts(ax.figure)
    assert texts["title"] == "Take-home naloxone kits and deaths per year, Seatown"
    assert texts["units"].startswith("Deaths registered per year (upper panel); kits")
    footer = flat(texts["footer"])
    assert "supp.: suppressed (small number)." in footer
    assert "n/r" not in footer  # 2015 is outside the years shown
    assert style.NOTE_SYNTHETIC_KITS not in footer
    assert one(_twin(ax), "deaths").get_ydata().tolist() == DEATHS[6:]
    ax = plot_kits_vs_deaths(_counts(), _deaths(), synthetic=True)
    footer = flat(figure_texts(ax.figure)["footer"])
    assert style.NOTE_SYNTHETIC_KITS in footer and "synthetic take-home naloxone" in footer


def test_kits_vs_deaths_part_years_are_hatched_and_noted():
    # kit_counts(..., missing="zero") layout: 2015 counted from October (92 of 365 days)
    counts = _counts()
    first = counts["period_start"].dt.year == 2015
    counts.loc[first, "value"] = [30, 2] * 2
    counts.loc[first, "status"] = "exact"
    counts["coverage"] = np.where(first, 92 / 365, 1.0)
    ax = plot_kits_vs_deaths(counts, _deaths(), area_code=AREA)
    issued = by_gid(ax, "bars-kits_issued")
    assert [b.get_height() for b in issued] == [30, 120, 200, 260, 340]
    assert [b.get_hatch() for b in issued] == ["////", None, None, None, None]
    assert by_gid(ax, "bars-kits_returned_used")[0].get_hatch() == "////"
    swatches = _twin(ax).get_legend().legend_handles[1:3]
    assert [h.get_hatch() for h in swatches] == [None, None]  # the legend shows whole-year bars
    footer = flat(figure_texts(ax.figure)["footer"])
    assert "Hatched bars: part years" in footer and "(2015: 25% of the year's days)" in footer
    # whole years only: no hatching, no note
    ax = plot_kits_vs_deaths(counts, _deaths(), area_code=AREA, years=(2016, 2019))
    assert {b.get_hatch() for b in by_gid(ax, "bars-kits_issued")} == {None}
    assert "Hatched" not in flat(figure_texts(ax.figure)["footer"])


def test_kits_vs_deaths_errors():
    counts = _counts()
    monthly = counts.assign(period_end=counts["period_start"] + pd.offsets.MonthEnd(0))
    with pytest.raises(ValueError, match=r"kit_counts\(counts, period='year'\)"):
        plot_kits_vs_deaths(monthly, _deaths())
    two = pd.concat([counts, counts.assign(area_code="E06000098")])
    with pytest.raises(ValueError, match="pass area_code="):
        plot_kits_vs_deaths(two, _deaths())
    with pytest.raises(ValueError, match="service 'Site B' not in kit_counts"):
        plot_kits_vs_deaths(counts, _deaths(), service="Site B")
    with pytest.raises(ValueError, match="no single-year rows for area 'E06000099'"):
        plot_kits_vs_deaths(counts, _deaths(), sex="females")
    with pytest.raises(ValueError, match=r"rows for year=2016, measure='kits_issued'"):
        plot_kits_vs_deaths(pd.concat([counts, counts.iloc[2:3]]), _deaths())


def test_kits_vs_deaths_real_synthetic_norfolk():
    yearly = kit_counts(datasets.synthetic_kit_counts(), period="year")
    la = datasets.la_deaths()
    ax = plot_kits_vs_deaths(yearly, la, area_code="E10000020")
    norfolk = yearly.query("area_code == 'E10000020' and service == 'all'")
    issued = norfolk.query("measure == 'kits_issued' and status == 'exact'")["value"].tolist()
    assert [b.get_height() for b in by_gid(ax, "bars-kits_issued")] == issued
    deaths = la.query(
        "area_code == 'E10000020' and measure == 'poisoning' and sex == 'persons' "
        "and period_start == period_end and period_start >= 2010"
    ).sort_values("period_start")
    assert one(_twin(ax), "deaths").get_ydata().tolist() == deaths["deaths"].tolist()
    footer = flat(figure_texts(ax.figure)["footer"])
    assert style.NOTE_SYNTHETIC_KITS in footer  # detected from the "(synthetic)" service names


# --- deaths_averted ---------------------------------------------------------------------------


def test_deaths_averted_points_intervals_and_naive_claim():
    ax = plot_deaths_averted(_estimates())
    intervals = one(ax, "intervals")
    assert [s.tolist() for s in intervals.get_segments()] == [
        [[120.0, 1.0], [380.0, 1.0]],
        [[5.0, 2.0], [60.0, 2.0]],
    ]  # no interval for the naive claim
    assert one(ax, "estimates").get_xydata().tolist() == [[239.2, 1.0], [17.6, 2.0]]
    naive = one(ax, "naive")
    assert naive.get_xydata().tolist() == [[2600.0, 0.0]]
    assert naive.get_marker() == "D" and naive.get_markerfacecolor() == "white"
    values = [t.get_text() for t in by_gid(ax, "value")]
    assert values == ["2,600 (naive claim)", "239 (120 to 380)", "18 (5 to 60)"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Naive claim: every kit\nused = a life saved\n(2,600 kits used)"
    assert labels[2] == "Distribution-based\nestimate\n(4,000 kits issued)"
    assert ax.get_xlim()[0] == 0


def test_deaths_averted_missing_row_notes_and_log_scale():
    est = _estimates()
    est.loc[2, ["central", "lower", "upper"]] = NAN
    est.loc[2, "assumptions"] = "kits_issued not given"
    ax = plot_deaths_averted(est, synthetic=True, log_x=True)
    assert by_gid(ax, "value")[-1].get_text() == "not estimated: kits_issued not given"
    assert ax.get_xscale() == "log"
    footer = flat(figure_texts(ax.figure)["footer"])
    assert style.NOTE_SYNTHETIC_KITS in footer
    assert "95% uncertainty intervals" in footer
    assert "counts every kit returned used as a life saved" in footer


def test_deaths_averted_errors():
    with pytest.raises(ValueError, match=r"\['upper'\]"):
        plot_deaths_averted(_estimates().drop(columns="upper"))
    with pytest.raises(ValueError, match="no rows"):
        plot_deaths_averted(_estimates().iloc[:0])


def test_deaths_averted_real_model_output():
    est = estimate_deaths_averted(380, 3873, seed=1)
    ax = plot_deaths_averted(est, synthetic=True)
    rows = est.set_index("estimator")
    got = one(ax, "estimates").get_xydata()[:, 0].tolist()
    assert got == [rows.loc["use_based", "central"], rows.loc["distribution_based", "central"]]
    segments = one(ax, "intervals").get_segments()
    assert segments[0][:, 0].tolist() == [
        rows.loc["use_based", "lower"],
        rows.loc["use_based", "upper"],
    ]
    assert one(ax, "naive").get_xydata()[0, 0] == 380


# --- image ------------------------------------------------------------------------------------


def test_deaths_averted_image(tmp_path):
    ax = plot_deaths_averted(_estimates(), synthetic=True)
    check_image(ax.figure, "deaths_averted", tmp_path)
