"""House style, annotation and reproducible saving (overdose_trends.plots.style)."""

from __future__ import annotations

import hashlib

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex, to_rgb
from PIL import Image

from overdose_trends.plots import _common, style
from tests.plotting_helpers import figure_texts, flat


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _simple_figure():
    with _common.figure_axes() as ax:
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
