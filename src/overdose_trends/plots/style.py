"""House style of the figures: palette, style sheet, titles and source lines, reproducible saving.

Every figure of :mod:`overdose_trends.plots` is drawn in the style sheet
:data:`STYLE` (``overdose_trends.mplstyle``: DejaVu Sans, the Okabe-Ito
colour-blind-safe colour cycle, a light horizontal grid, no top or right
spines, PNG at 300 dpi, a fixed SVG hash salt) and carries, via
:func:`annotate`, a title, a units line, a "Source: ..." line and the notes a
reader needs (small-number markers, synthetic data). :func:`save_figure` writes PNG,
SVG and PDF without dates or software versions in their metadata, so saving
the same figure again gives byte-identical files.

For figures of your own in the same style:

* :func:`house_style` -- the style sheet, applied while a block draws;
* :func:`annotate` -- title, units, source and notes around the whole figure;
* :func:`save_figure` -- PNG, SVG and PDF with reproducible bytes;
* :data:`PALETTE`, :data:`SERIES_COLORS`, :data:`NEUTRAL` -- colours;
  :data:`FIGSIZE` -- the default figure size;
* :data:`UNITS_ASR_100K`, :data:`UNITS_ASMR_MILLION` -- units lines;
  :data:`SOURCE_ONS_LA`, :data:`SOURCE_ONS_NATIONAL`,
  :data:`SOURCE_SYNTHETIC_KITS` -- source lines of the shipped data;
  :data:`NOTE_UNRELIABLE`, :data:`NOTE_NOT_CALCULATED`,
  :data:`NOTE_SYNTHETIC_KITS` -- the standard notes.

The drawing helpers the package's own figures share (small-number markers,
legends, labels) are private, in ``overdose_trends.plots._common``.

References
----------
Okabe M, Ito K (2008). *Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people*. J*Fly, https://jfly.uni-koeln.de/color/.

Government Analysis Function (2023). *Data visualisation: charts* (titles,
subtitles with units, source lines and notes on every chart),
https://analysisfunction.civilservice.gov.uk/policy-store/data-visualisation-charts/.

Office for National Statistics. *Deaths related to drug poisoning by local
authority, England and Wales*, reference-table notes (rates not calculated
below 10 deaths, unreliable from 10 to 19 deaths).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn or saved, not before
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.typing import RcKeyType

from overdose_trends._output import atomic_path
from overdose_trends.constants import MIN_DEATHS_FOR_RATE, MIN_DEATHS_RELIABLE

__all__ = [
    "FIGSIZE",
    "FORMATS",
    "NEUTRAL",
    "NOTE_NOT_CALCULATED",
    "NOTE_SYNTHETIC_KITS",
    "NOTE_UNRELIABLE",
    "PALETTE",
    "SERIES_COLORS",
    "SOURCE_ONS_LA",
    "SOURCE_ONS_NATIONAL",
    "SOURCE_SYNTHETIC_KITS",
    "STYLE",
    "UNITS_ASMR_MILLION",
    "UNITS_ASR_100K",
    "annotate",
    "house_style",
    "save_figure",
]

#: Path of the house style sheet (``plt.style.use(STYLE)`` applies it globally).
STYLE = Path(__file__).with_name("overdose_trends.mplstyle")

#: The Okabe & Ito (2008) colour-blind-safe palette, by name.
PALETTE = MappingProxyType(
    {
        "black": "#000000",
        "orange": "#E69F00",
        "sky_blue": "#56B4E9",
        "bluish_green": "#009E73",
        "yellow": "#F0E442",
        "blue": "#0072B2",
        "vermillion": "#D55E00",
        "reddish_purple": "#CC79A7",
    }
)
#: Colours given to successive series (areas, substances), in the order of the style
#: sheet's cycle. Yellow is left out: too pale for lines on white.
SERIES_COLORS = tuple(
    PALETTE[c]
    for c in ("blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue", "black")
)
#: Grey for context (areas not singled out, "similar to benchmark"); not an Okabe-Ito colour.
NEUTRAL = "#8C8C8C"

#: Default figure size in inches (width, height): 7.5 in fits an A4 page with margins.
FIGSIZE = (7.5, 5.0)
#: Formats :func:`save_figure` writes.
FORMATS = ("png", "svg", "pdf")

#: Units line of ONS local-authority rates.
UNITS_ASR_100K = "Deaths per 100,000, age-standardised (2013 ESP)"
#: Units line of ONS national rates by substance (Table 4 of the national tables).
UNITS_ASMR_MILLION = "Deaths per million, age-standardised (2013 ESP)"

#: Source of :func:`overdose_trends.io.datasets.la_deaths` (the 2019 edition shipped in data/).
SOURCE_ONS_LA = (
    "ONS, Deaths related to drug poisoning by local authority, England and Wales, "
    "1993 to 2019 (released October 2020). Open Government Licence v3.0."
)
#: Source of :func:`overdose_trends.io.datasets.national_deaths` (2021 registrations).
SOURCE_ONS_NATIONAL = (
    "ONS, Deaths related to drug poisoning in England and Wales: 2021 registrations "
    "(released August 2022). Open Government Licence v3.0."
)
#: Source of :func:`overdose_trends.io.datasets.synthetic_kit_log` and ``synthetic_kit_counts``.
SOURCE_SYNTHETIC_KITS = (
    "synthetic take-home naloxone kit log made by scripts/make_synthetic_kits.py "
    "(simulated; not a service's figures)"
)

#: Note for hollow markers (ONS: rates from 10-19 deaths are unreliable).
NOTE_UNRELIABLE = (
    f"Hollow markers: rate unreliable ({MIN_DEATHS_FOR_RATE}-{MIN_DEATHS_RELIABLE - 1} deaths)."
)
#: Note for the "x" markers on the axis (ONS: no rate from fewer than 10 deaths).
NOTE_NOT_CALCULATED = f"x: rate not calculated (fewer than {MIN_DEATHS_FOR_RATE} deaths)."
#: Note on every figure drawn from the shipped synthetic kit data.
NOTE_SYNTHETIC_KITS = (
    "Kit data are synthetic (simulated for illustration; not a service's figures)."
)

# Font sizes (points) of the annotation texts.
_TITLE_PT = 12.5
_UNITS_PT = 10.0
_FOOTER_PT = 8.0
_LINE_SPACING = 1.25
_PAD_IN = 0.1
_GAP_IN = 0.1
#: gid of the annotation texts (found again to replace them).
_GIDS = ("overdose_trends-title", "overdose_trends-units", "overdose_trends-footer")

#: Metadata that replace matplotlib's defaults: no dates, no software versions.
_METADATA = MappingProxyType(
    {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    }
)
#: rcParams read while saving, fixed so that files are reproducible whatever the active style.
_SAVE_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "overdose_trends",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}


def house_style() -> AbstractContextManager[None]:
    """Context manager applying the house style sheet (:data:`STYLE`) temporarily.

    It takes no arguments; ``plt.style.use(STYLE)`` applies the style for good.

    Returns
    -------
    context manager
        ``matplotlib.pyplot.style.context(STYLE)``.

    Examples
    --------
    Draw a figure of your own in the house style (the style is restored after
    the block):

    >>> import matplotlib.pyplot as plt
    >>> with ot.house_style():
    ...     fig, ax = plt.subplots()
    ...     font = plt.rcParams["font.sans-serif"][0]
    >>> font, ax.spines["top"].get_visible(), fig.get_size_inches().tolist()
    ('DejaVu Sans', False, [7.5, 5.0])
    """
    import matplotlib.pyplot as plt

    return plt.style.context(STYLE)


def _figure_of(fig_or_ax: Figure | SubFigure | Axes) -> Figure:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    if not isinstance(fig_or_ax, Axes | Figure | SubFigure):
        raise TypeError(f"expected a matplotlib Figure or Axes, not {type(fig_or_ax).__name__}")
    fig = fig_or_ax.figure if isinstance(fig_or_ax, Axes) else fig_or_ax
    while isinstance(fig, SubFigure):
        fig = fig.figure
    return fig


def _lines_height(n: int, size_pt: float) -> float:
    """Height in inches of ``n`` lines of text."""
    return n * size_pt * _LINE_SPACING / 72 if n else 0.0


def _source_text(source: str | Sequence[str]) -> str:
    parts = [source] if isinstance(source, str) else list(source)
    parts = [p.strip() for p in parts if p and p.strip()]
    if not parts:
        raise ValueError("annotate: source must name the data source, e.g. SOURCE_ONS_LA")
    parts = [p.removeprefix("Source:").strip() for p in parts]
    # "... Licence v3.0; ONS mid-year estimates": no full stop before a semicolon
    text = "; ".join([*(p.rstrip(".") for p in parts[:-1]), parts[-1]])
    return "Source: " + text


def annotate(
    fig_or_ax: Figure | Axes,
    *,
    title: str,
    units: str | None = None,
    source: str | Sequence[str],
    notes: Sequence[str] = (),
) -> Figure:
    """Add a title, a units line, a "Source: ..." line and notes around a figure.

    The title (bold) and the units line sit at the top left; the source line and
    the notes (one paragraph each, wrapped to the figure's width) at the bottom
    left. Space for them is reserved in the figure's constrained layout (a
    figure without one is switched to it), so they never overlap the axes.
    Calling it again replaces the earlier annotation.

    Parameters
    ----------
    fig_or_ax : Figure or Axes
        The figure, or any Axes of it.
    title : str
        What the figure shows, e.g. ``"Drug-poisoning deaths, Southend-on-Sea"``.
    units : str, optional
        Units line, e.g. :data:`UNITS_ASR_100K`.
    source : str or sequence of str
        Data source(s), e.g. :data:`SOURCE_ONS_LA`; joined with "; " after
        ``"Source: "`` (a leading "Source:" in the text is not repeated).
    notes : sequence of str
        Notes below the source line, e.g. :data:`NOTE_UNRELIABLE`. Empty and
        repeated notes are dropped.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For an empty title or source.

    References
    ----------
    Government Analysis Function (2023), *Data visualisation: charts* (title,
    units, source and notes on every chart).

    Examples
    --------
    >>> from overdose_trends.plots.style import annotate
    >>> import matplotlib.pyplot as plt
    >>> with ot.house_style():
    ...     fig, ax = plt.subplots()
    ...     _ = ax.plot([2017, 2018, 2019], [6.1, 6.6, 7.0])
    >>> fig = annotate(ax, title="Deaths related to drug poisoning, England",
    ...                units=UNITS_ASR_100K, source=SOURCE_ONS_LA, notes=[NOTE_UNRELIABLE])
    >>> for text in fig.texts:
    ...     print(text.get_text().splitlines()[0][:48])
    Deaths related to drug poisoning, England
    Deaths per 100,000, age-standardised (2013 ESP)
    Source: ONS, Deaths related to drug poisoning by
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from overdose_trends.plots._text import FONT, wrap

    fig = _figure_of(fig_or_ax)
    if not title or not str(title).strip():
        raise ValueError("annotate: title must not be empty")
    for text in list(fig.texts):
        if text.get_gid() in _GIDS:
            text.remove()
    width, height = fig.get_size_inches()
    usable = width - 2 * _PAD_IN
    title_lines = wrap(str(title).strip(), usable, _TITLE_PT, "bold")
    units_lines = wrap(units.strip(), usable, _UNITS_PT) if units else []
    footer: list[str] = wrap(_source_text(source), usable, _FOOTER_PT)
    for note in dict.fromkeys(n.strip() for n in notes if n and n.strip()):
        footer.extend(wrap(note, usable, _FOOTER_PT))

    x = _PAD_IN / width
    top = _PAD_IN
    fig.text(
        x, 1 - top / height, "\n".join(title_lines),
        ha="left", va="top", fontsize=_TITLE_PT, fontweight="bold", color="#222222", family=FONT,
        linespacing=_LINE_SPACING, gid=_GIDS[0],
    )  # fmt: skip
    top += _lines_height(len(title_lines), _TITLE_PT)
    if units_lines:
        top += 0.04
        fig.text(
            x, 1 - top / height, "\n".join(units_lines),
            ha="left", va="top", fontsize=_UNITS_PT, color="#4D4D4D", family=FONT,
            linespacing=_LINE_SPACING, gid=_GIDS[1],
        )  # fmt: skip
        top += _lines_height(len(units_lines), _UNITS_PT)
    fig.text(
        x, _PAD_IN / height, "\n".join(footer),
        ha="left", va="bottom", fontsize=_FOOTER_PT, color="#4D4D4D", family=FONT,
        linespacing=_LINE_SPACING, gid=_GIDS[2],
    )  # fmt: skip
    bottom = _PAD_IN + _lines_height(len(footer), _FOOTER_PT) + _GAP_IN
    top += _GAP_IN
    engine = fig.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine):
        engine = ConstrainedLayoutEngine()
        fig.set_layout_engine(engine)
    engine.set(rect=(0.0, bottom / height, 1.0, max(0.05, 1 - (top + bottom) / height)))
    return fig


def save_figure(
    fig: Figure,
    stem: str | Path,
    formats: Sequence[str] = FORMATS,
    dpi: float = 300,
) -> list[Path]:
    """Save a figure as PNG, SVG and PDF with reproducible bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : str or Path
        Output path without the extension (``reports/rate_trend`` writes
        ``reports/rate_trend.png`` ...); missing folders are created. The
        extension is appended, so a dot in the name is kept.
    formats : sequence of {"png", "svg", "pdf"}
        Formats to write, in order.
    dpi : float, default 300
        Resolution of the PNG (and of any raster parts of the PDF).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.

    Raises
    ------
    ValueError
        For a format other than png, svg or pdf, or no formats.

    Notes
    -----
    Each file is written under a temporary name in its folder and renamed
    when complete, so an interrupted save leaves the earlier file (or none),
    never a truncated one. Metadata that change between runs or installations
    are removed: the PNG
    ``Software`` entry, the SVG ``Date`` and ``Creator``, and the PDF
    ``CreationDate``, ``ModDate``, ``Creator`` and ``Producer``. The SVG hash
    salt (which names clip paths) is fixed and its text drawn as paths. A
    constrained (or tight) layout is computed once more and then fixed (the
    figure's layout engine is switched off), because every draw refines an
    iterative layout by a little; so the same figure saved again, or rebuilt
    and saved, gives identical files. Call :func:`save_figure` when the figure is finished.

    References
    ----------
    Matplotlib documentation, ``Figure.savefig`` (``metadata``) and the
    ``svg.hashsalt`` rcParam.

    Examples
    --------
    Save a figure twice: the files are identical, byte for byte.

    >>> import tempfile
    >>> from pathlib import Path
    >>> import matplotlib.pyplot as plt
    >>> with ot.house_style():
    ...     fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ...     _ = ax.plot([2017, 2018, 2019], [6.1, 6.6, 7.0])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = ot.save_figure(fig, Path(folder) / "trend", formats=("png", "svg"), dpi=100)
    ...     again = ot.save_figure(fig, Path(folder) / "again", formats=("png", "svg"), dpi=100)
    ...     same = [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    >>> [p.name for p in first], same
    (['trend.png', 'trend.svg'], True)
    """
    fmts = [str(f).lower().lstrip(".") for f in formats]
    if not fmts:
        raise ValueError("save: give at least one format")
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown:
        raise ValueError(f"save: unsupported format(s) {unknown}; choose from {list(FORMATS)}")
    import matplotlib as mpl
    from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with mpl.rc_context(_SAVE_RC):
        if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine | TightLayoutEngine):
            # Each draw refines the layout a little (it is iterative); fix it once so that
            # every later save writes the same bytes.
            fig.draw_without_rendering()
            fig.set_layout_engine("none")
        for fmt in fmts:
            path = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_path(path) as tmp:  # a killed save never leaves a truncated file
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=dict(_METADATA[fmt]))
            paths.append(path)
    return paths
