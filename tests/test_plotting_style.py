"""House style, annotation, markers and reproducible saving (overdose_trends.plots.style)."""

from __future__ import annotations

import hashlib

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex, to_rgb
from matplotlib.text import Text
from PIL import Image

from overdose_trends.plots import style
from tests.plotting_helpers import figure_texts, flat


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _simple_figure():
    with style.figure_axes() as ax:
        ax.plot([2001, 2002, 2003], [5.0, 6.0, 7.5], gid="line")
        ax.set_xlabel("Year")
        style.annotate(
            ax,
            title="Deaths related to drug poisoning: test",
            units=style.UNITS_ASR_100K,
            source=style.SOURCE_ONS_LA,
            notes=[style.NOTE_UNRELIABLE],
        )
    return ax.figure


# --- palette and style sheet ---------------------------------------------------------------


def test_palette_is_okabe_ito():
    # Okabe & Ito (2008), "Color Universal Design", RGB values of the eight colours (0-255).
    published = {
        "black": (0, 0, 0),
        "orange": (230, 159, 0),
        "sky_blue": (86, 180, 233),
        "bluish_green": (0, 158, 115),
        "yellow": (240, 228, 66),
        "blue": (0, 114, 178),
        "vermillion": (213, 94, 0),
        "reddish_purple": (204, 121, 167),
    }
    assert set(style.PALETTE) == set(published)
    for name, rgb in published.items():
        assert to_rgb(style.PALETTE[name]) == pytest.approx(tuple(c / 255 for c in rgb))
    assert style.PALETTE["yellow"] not in style.SERIES_COLORS  # too pale for lines
    assert set(style.SERIES_COLORS) <= set(style.PALETTE.values())


def test_style_sheet_settings():
    assert style.STYLE.is_file() and style.STYLE.suffix == ".mplstyle"
    before = mpl.rcParams["svg.hashsalt"]
    with style.house_style():
        rc = mpl.rcParams
        assert rc["font.sans-serif"][0] == "DejaVu Sans"
        assert rc["savefig.dpi"] == 300
        assert rc["svg.hashsalt"] == "overdose_trends"
        assert rc["svg.fonttype"] == "path"
        assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
        assert rc["axes.grid"] is True and rc["axes.grid.axis"] == "y"
        cycle = [to_hex(c["color"]).upper() for c in rc["axes.prop_cycle"]]
        assert cycle == [c.upper() for c in style.SERIES_COLORS]
    assert mpl.rcParams["svg.hashsalt"] == before  # restored


def test_figure_axes_makes_styled_figure_or_uses_given_axes():
    with style.figure_axes() as ax:
        pass
    assert tuple(ax.figure.get_size_inches()) == pytest.approx(style.FIGSIZE)
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    fig, given = plt.subplots()
    with style.figure_axes(given) as same:
        assert same is given


def test_figure_axes_closes_its_figure_on_error():
    open_before = plt.get_fignums()
    with pytest.raises(RuntimeError), style.figure_axes():
        raise RuntimeError("drawing failed")
    assert plt.get_fignums() == open_before


# --- annotate -------------------------------------------------------------------------------


def test_annotate_adds_title_units_source_and_notes():
    fig = _simple_figure()
    texts = figure_texts(fig)
    assert texts["title"] == "Deaths related to drug poisoning: test"
    assert texts["units"] == "Deaths per 100,000, age-standardised (2013 ESP)"
    footer = flat(texts["footer"])
    assert footer.startswith("Source: ONS, Deaths related to drug poisoning by local authority")
    assert "Hollow markers: rate unreliable (10-19 deaths)." in footer


def test_annotation_does_not_overlap_the_axes_and_fits_the_figure():
    fig = _simple_figure()
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    axes_box = ax.get_tightbbox(renderer)  # includes tick labels and axis labels
    by_gid = {t.get_gid(): t.get_window_extent(renderer) for t in fig.texts}
    assert by_gid["overdose_trends-units"].y0 > axes_box.y1
    assert by_gid["overdose_trends-title"].y0 > by_gid["overdose_trends-units"].y1 - 1
    assert by_gid["overdose_trends-footer"].y1 < axes_box.y0
    width = fig.bbox.width
    for box in by_gid.values():
        assert 0 <= box.x0 and box.x1 <= width


def test_annotate_wraps_long_notes_within_the_figure():
    fig = _simple_figure()
    long_note = "word " * 80
    style.annotate(fig, title="T", source="S", notes=[long_note.strip()])
    fig.draw_without_rendering()
    footer = next(t for t in fig.texts if t.get_gid() == "overdose_trends-footer")
    assert footer.get_text().count("\n") >= 3  # source line + a wrapped note of 400 characters
    assert footer.get_window_extent().x1 <= fig.bbox.width


def test_annotate_again_replaces_and_prefix_not_repeated():
    fig = _simple_figure()
    style.annotate(fig, title="Second", source=["Source: A", "B"], notes=["", "n", "n"])
    texts = figure_texts(fig)
    assert len([t for t in fig.texts if t.get_gid() == "overdose_trends-title"]) == 1
    assert texts["title"] == "Second"
    assert "units" not in texts
    assert texts["footer"] == "Source: A; B\nn"


@pytest.mark.parametrize(
    "kwargs, match",
    [({"title": " ", "source": "S"}, "title"), ({"title": "T", "source": ""}, "source")],
)
def test_annotate_rejects_empty_title_or_source(kwargs, match):
    fig = plt.figure()
    with pytest.raises(ValueError, match=match):
        style.annotate(fig, **kwargs)


def test_annotate_rejects_non_figures():
    with pytest.raises(TypeError, match="Figure or Axes"):
        style.annotate("figure", title="T", source="S")


# --- save -----------------------------------------------------------------------------------


def _digests(paths):
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_save_writes_png_svg_pdf_at_300_dpi(tmp_path):
    fig = _simple_figure()
    paths = style.save_figure(fig, tmp_path / "out" / "figure.v1")
    assert [p.name for p in paths] == ["figure.v1.png", "figure.v1.svg", "figure.v1.pdf"]
    with Image.open(paths[0]) as img:
        # 7.5 x 5 inches at 300 dpi
        assert img.size == (2250, 1500)
        assert "Software" not in img.info
    svg = paths[1].read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    pdf = paths[2].read_bytes()
    assert b"/CreationDate" not in pdf and b"/Producer" not in pdf and b"/ModDate" not in pdf


def test_save_is_byte_reproducible(tmp_path):
    first = _digests(style.save_figure(_simple_figure(), tmp_path / "a" / "f"))
    fig = _simple_figure()
    second = _digests(style.save_figure(fig, tmp_path / "b" / "f"))
    again = _digests(style.save_figure(fig, tmp_path / "c" / "f"))  # same figure saved twice
    assert first == second == again


def test_save_rejects_unknown_formats(tmp_path):
    fig = _simple_figure()
    with pytest.raises(ValueError, match="unsupported format"):
        style.save_figure(fig, tmp_path / "f", formats=("png", "jpg"))
    with pytest.raises(ValueError, match="at least one"):
        style.save_figure(fig, tmp_path / "f", formats=())


# --- small-number rules ------------------------------------------------------------------


def test_point_status_follows_ons_small_number_rules():
    # ONS: no rate below 10 deaths; 10-19 deaths unreliable; 20 or more reliable.
    rate = [5.0, 5.0, 5.0, 5.0, 5.0, np.nan, 5.0, 5.0]
    deaths = [9, 10, 19, 20, np.nan, 30, 30, np.nan]
    status = ["ok", "unreliable", "unreliable", "ok", "unreliable", "ok", "suppressed", None]
    got = style.point_status(rate, deaths, status)
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
    assert style.point_status([1.0, 2.0], deaths=[5, 25]).tolist() == ["not_calculated", "ok"]
    assert style.point_status([np.nan], rate_status=["not_calculated"]).tolist() == [
        "not_calculated"
    ]


def test_point_status_errors():
    with pytest.raises(ValueError, match="deaths or a rate_status"):
        style.point_status([1.0])
    with pytest.raises(ValueError, match="unknown rate_status"):
        style.point_status([1.0], rate_status=["great"])
    with pytest.raises(ValueError, match="same length"):
        style.point_status([1.0, 2.0], deaths=[30])


def test_status_notes_only_for_markers_present():
    assert style.status_notes(["ok", "ok"]) == []
    assert style.status_notes(["ok", "unreliable", "not_calculated"]) == [
        style.NOTE_UNRELIABLE,
        style.NOTE_NOT_CALCULATED,
    ]
    assert style.NOTE_NOT_CALCULATED == "x: rate not calculated (fewer than 10 deaths)."


def test_draw_points_markers():
    fig, ax = plt.subplots()
    drawn = style.draw_points(
        ax, [1, 2, 3, 4], [5.0, 6.0, 7.0, np.nan],
        ["ok", "unreliable", "not_calculated", "missing"], color="#0072B2", key="k",
    )  # fmt: skip
    assert set(drawn) == {"ok", "unreliable", "not_calculated"}
    assert drawn["ok"].get_xydata().tolist() == [[1.0, 5.0]]
    assert drawn["unreliable"].get_markerfacecolor() == "white"
    nc = drawn["not_calculated"]
    assert nc.get_marker() == "x" and nc.get_xydata().tolist() == [[3.0, 0.0]]
    assert nc.get_transform() == ax.get_xaxis_transform()  # y = 0 in axes units: the floor


# --- small helpers ------------------------------------------------------------------------


def test_labels_names_units():
    assert style.period_label(2013, 2015) == "2013-15"
    assert style.period_label(1999, 2001) == "1999-2001"
    assert style.period_label(2019, 2019) == "2019"
    assert style.nice_name("ENGLAND AND WALES") == "England and Wales"
    assert style.nice_name("Southend-on-Sea") == "Southend-on-Sea"
    assert style.units_for(100_000) == style.UNITS_ASR_100K
    assert style.units_for(1_000_000) == "Deaths per million, age-standardised (2013 ESP)"
    assert style.units_for(100_000, standardised=False) == "Deaths per 100,000, crude rate"
    assert style.interval_note(0.95) == "Shaded bands: 95% confidence intervals."
    assert style.interval_note(0.998, "Bars") == "Bars: 99.8% confidence intervals."


def test_label_points_avoids_overlaps():
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.array([1.0, 1.05, 1.1, 1.0, 1.05])
    y = np.array([1.0, 1.02, 1.0, 1.04, 1.06])
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    names = ["Barrow-in-Furness", "Burnley", "Gosport", "Hull", "Blackpool"]
    labels = style.label_points(ax, x, y, names)
    fig.draw_without_rendering()
    # the text's own box (an Annotation's extent includes its leader line)
    boxes = [Text.get_window_extent(t) for t in labels]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (labels[i].get_text(), labels[j].get_text())


def test_finish_titles_the_axes_when_not_annotating():
    fig, ax = plt.subplots()
    assert style.annotating(None, None) and not style.annotating(ax, None)
    assert style.annotating(ax, True) and not style.annotating(None, False)
    style.finish(ax, annotated=False, title="T", units="U", source="S", notes=())
    assert ax.get_title() == "T" and figure_texts(fig) == {}
    style.finish(ax, annotated=True, title="T3", units="U", source="S", notes=())
    assert figure_texts(fig)["title"] == "T3"


def test_legend_above_an_annotated_figure_inside_otherwise():
    fig, ax = plt.subplots()
    for name in "abc":
        ax.plot([0, 1], [0, 1], label=name)
    above = style.legend(ax, True, ncols=3, inside={"fontsize": 5})
    fig.draw_without_rendering()
    box, frame = above.get_window_extent(), ax.get_window_extent()
    assert box.y0 >= frame.y1  # above the Axes, not over the data
    ys = {round(t.get_window_extent().y0, 3) for t in above.get_texts()}
    assert len(ys) == 1  # three columns: one row
    assert above.get_texts()[0].get_fontsize() != 5  # `inside` settings not used above
    inside = style.legend(ax, False, loc="upper left", inside={"fontsize": 5})
    fig.draw_without_rendering()
    box = inside.get_window_extent()
    assert frame.x0 <= box.x0 and box.y1 <= frame.y1
    assert inside.get_texts()[0].get_fontsize() == 5
