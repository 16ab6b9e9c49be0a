"""Private helpers shared by the figures (overdose_trends.plots._common): axes, markers, labels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text

from overdose_trends.plots import _common, style
from tests.plotting_helpers import figure_texts


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_figure_axes_makes_styled_figure_or_uses_given_axes():
    with _common.figure_axes() as ax:
        pass
    assert tuple(ax.figure.get_size_inches()) == pytest.approx(style.FIGSIZE)
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    fig, given = plt.subplots()
    with _common.figure_axes(given) as same:
        assert same is given


def test_figure_axes_closes_its_figure_on_error():
    open_before = plt.get_fignums()
    with pytest.raises(RuntimeError), _common.figure_axes():
        raise RuntimeError("drawing failed")
    assert plt.get_fignums() == open_before


def test_point_status_follows_ons_small_number_rules():
    # ONS: no rate below 10 deaths; 10-19 deaths unreliable; 20 or more reliable.
    rate = [5.0, 5.0, 5.0, 5.0, 5.0, np.nan, 5.0, 5.0]
    deaths = [9, 10, 19, 20, np.nan, 30, 30, np.nan]
    status = ["ok", "unreliable", "unreliable", "ok", "unreliable", "ok", "suppressed", None]
    got = _common.point_status(rate, deaths, status)
    assert got.tolist() == [
        "not_calculated",  # a rate from 9 deaths is never drawn, whatever its status says
        "unreliable",
        "unreliable",
        "ok",
        "unreliable",
        "missing",
        "missing",
        "ok",
    ]
    assert _common.point_status([1.0, 2.0], deaths=[5, 25]).tolist() == ["not_calculated", "ok"]
    assert _common.point_status([np.nan], rate_status=["not_calculated"]).tolist() == [
        "not_calculated"
    ]


def test_point_status_errors():
    with pytest.raises(ValueError, match="deaths or a rate_status"):
        _common.point_status([1.0])
    with pytest.raises(ValueError, match="unknown rate_status"):
        _common.point_status([1.0], rate_status=["great"])
    with pytest.raises(ValueError, match="same length"):
        _common.point_status([1.0, 2.0], deaths=[30])


def test_status_notes_only_for_markers_present():
    assert _common.status_notes(["ok", "ok"]) == []
    assert _common.status_notes(["ok", "unreliable", "not_calculated"]) == [
        style.NOTE_UNRELIABLE,
        style.NOTE_NOT_CALCULATED,
    ]
    assert style.NOTE_NOT_CALCULATED == "x: rate not calculated (fewer than 10 deaths)."


def test_draw_points_markers():
    fig, ax = plt.subplots()
    drawn = _common.draw_points(
        ax, [1, 2, 3, 4], [5.0, 6.0, 7.0, np.nan],
        ["ok", "unreliable", "not_calculated", "missing"], color="#0072B2", key="k",
    )  # fmt: skip
    assert set(drawn) == {"ok", "unreliable", "not_calculated"}
    assert drawn["ok"].get_xydata().tolist() == [[1.0, 5.0]]
    assert drawn["unreliable"].get_markerfacecolor() == "white"
    nc = drawn["not_calculated"]
    assert nc.get_marker() == "x" and nc.get_xydata().tolist() == [[3.0, 0.0]]
    assert nc.get_transform() == ax.get_xaxis_transform()  # y = 0 in axes units: the floor


def test_labels_names_units():
    assert _common.period_label(2013, 2015) == "2013-15"
    assert _common.period_label(1999, 2001) == "1999-2001"
    assert _common.period_label(2019, 2019) == "2019"
    assert _common.nice_name("ENGLAND AND WALES") == "England and Wales"
    assert _common.nice_name("Southend-on-Sea") == "Southend-on-Sea"
    assert _common.units_for(100_000) == style.UNITS_ASR_100K
    assert _common.units_for(1_000_000) == "Deaths per million, age-standardised (2013 ESP)"
    assert _common.units_for(100_000, standardised=False) == "Deaths per 100,000, crude rate"
    assert _common.interval_note(0.95) == "Shaded bands: 95% confidence intervals."
    assert _common.interval_note(0.998, "Bars") == "Bars: 99.8% confidence intervals."


def test_label_points_avoids_overlaps():
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.array([1.0, 1.05, 1.1, 1.0, 1.05])
    y = np.array([1.0, 1.02, 1.0, 1.04, 1.06])
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    names = ["Barrow-in-Furness", "Burnley", "Gosport", "Hull", "Blackpool"]
    labels = _common.label_points(ax, x, y, names)
    fig.draw_without_rendering()
    # the text's own box (an Annotation's extent includes its leader line)
    boxes = [Text.get_window_extent(t) for t in labels]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (labels[i].get_text(), labels[j].get_text())


def test_finish_titles_the_axes_when_not_annotating():
    fig, ax = plt.subplots()
    assert _common.annotating(None, None) and not _common.annotating(ax, None)
    assert _common.annotating(ax, True) and not _common.annotating(None, False)
    _common.finish(ax, annotated=False, title="T", units="U", source="S", notes=())
    assert ax.get_title() == "T" and figure_texts(fig) == {}
    _common.finish(ax, annotated=True, title="T3", units="U", source="S", notes=())
    assert figure_texts(fig)["title"] == "T3"


def test_legend_above_an_annotated_figure_inside_otherwise():
    fig, ax = plt.subplots()
    for name in "abc":
        ax.plot([0, 1], [0, 1], label=name)
    above = _common.legend(ax, True, ncols=3, inside={"fontsize": 5})
    fig.draw_without_rendering()
    box, frame = above.get_window_extent(), ax.get_window_extent()
    assert box.y0 >= frame.y1  # above the Axes, not over the data
    ys = {round(t.get_window_extent().y0, 3) for t in above.get_texts()}
    assert len(ys) == 1  # three columns: one row
    assert above.get_texts()[0].get_fontsize() != 5  # `inside` settings not used above
    inside = _common.legend(ax, False, loc="upper left", inside={"fontsize": 5})
    fig.draw_without_rendering()
    box = inside.get_window_extent()
    assert frame.x0 <= box.x0 and box.y1 <= frame.y1
    assert inside.get_texts()[0].get_fontsize() == 5


# --- the ONS small-number rule: one place --------------------------------------------------


def test_point_status_applies_the_schema_rule_to_deaths():
    # schema.rate_status is THE rule; point_status adds only how statuses and gaps are drawn
    from overdose_trends.schema import rate_status

    deaths = np.array([0, 5, 9, 10, 15, 19, 20, 35, np.nan])
    expected = rate_status(deaths)
    expected[expected == "not_available"] = "ok"  # deaths unknown, no status: drawn as ok
    got = _common.point_status(np.full(deaths.size, 4.2), deaths)
    assert got.tolist() == expected.tolist()


def test_no_figure_module_codes_the_small_number_rule_by_hand():
    from pathlib import Path

    import overdose_trends.plots as plots

    for path in Path(plots.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for constant in ("MIN_DEATHS_FOR_RATE", "MIN_DEATHS_RELIABLE"):
            for op in ("<", "<=", ">", ">="):
                assert f"{op} {constant}" not in text, (path.name, op, constant)


# --- small helpers ------------------------------------------------------------------------


def test_unique_float_and_as_years():
    import pandas as pd

    table = pd.DataFrame({"rate_per": [1_000_000, 1_000_000], "conf": [0.95, np.nan]})
    assert _common.unique_float(table, "rate_per", 100_000.0) == 1_000_000.0
    assert _common.unique_float(table, "conf", 0.9) == 0.95  # NaN ignored
    assert _common.unique_float(table, "absent", 0.9) == 0.9
    assert _common.unique_float(None, "conf", 0.0) == 0.0
    for period in ((2013, 2021), "2013-21", "2013-2021", "2013 to 2021"):
        assert _common.as_years(period, "f") == (2013, 2021)
    with pytest.raises(ValueError, match="f: years: "):
        _common.as_years("2021-2013", "f")
