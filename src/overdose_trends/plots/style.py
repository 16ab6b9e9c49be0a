"""House style of the figures: palette, style sheet, titles and source lines, reproducible saving.

Every figure of :mod:`overdose_trends.plots` is drawn in the style sheet
:data:`STYLE` (``overdose_trends.mplstyle``: DejaVu Sans, the Okabe-Ito
colour-blind-safe colour cycle, a light horizontal grid, no top or right
spines, PNG at 300 dpi, a fixed SVG hash salt) and carries, via
:func:`annotate`, a title, a units line, a "Source: ..." line and the notes a
reader needs (small-number markers, synthetic data). :func:`save_figure` writes PNG,
SVG and PDF without dates or software versions in their metadata, so saving
the same figure again gives byte-identical files.

Building blocks for new plotting modules (e.g. the trend figures):

* :func:`figure_axes` -- a context manager yielding the Axes to draw into: the
  caller's, or a new one in the house style (the style stays active while the
  caller draws, so every artist, tick and label is styled);
* :func:`annotate` -- title, units, source and notes around the whole figure;
* :func:`annotating`, :func:`finish` -- the common ending of a helper:
  figure-level annotation for a figure the helper made, an Axes title otherwise;
* :func:`legend` -- the legend above the Axes of an annotated figure, inside otherwise;
* :data:`PALETTE`, :data:`SERIES_COLORS`, :data:`NEUTRAL` -- colours;
  :data:`NOTE_UNRELIABLE`, :data:`NOTE_NOT_CALCULATED`,
  :data:`NOTE_SYNTHETIC_KITS` and :func:`interval_note` -- the standard notes;
  :func:`units_for` -- the units line of a rate per 100,000 or per million.

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

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter
from numpy.typing import ArrayLike, NDArray

from overdose_trends.constants import (
    MIN_DEATHS_FOR_RATE,
    MIN_DEATHS_RELIABLE,
    PER_100K,
    PER_MILLION,
)
from overdose_trends.schema import RATE_STATUSES

__all__ = [
    "FIGSIZE",
    "FORMATS",
    "MEASURE_TITLES",
    "NEUTRAL",
    "NOTE_NOT_CALCULATED",
    "NOTE_SYNTHETIC_KITS",
    "NOTE_UNRELIABLE",
    "PALETTE",
    "POINT_STATUSES",
    "SERIES_COLORS",
    "SOURCE_ONS_LA",
    "SOURCE_ONS_NATIONAL",
    "SOURCE_SYNTHETIC_KITS",
    "STYLE",
    "UNITS_ASMR_MILLION",
    "UNITS_ASR_100K",
    "annotate",
    "annotating",
    "draw_points",
    "figure_axes",
    "finish",
    "house_style",
    "interval_note",
    "label_points",
    "legend",
    "nice_name",
    "period_label",
    "point_status",
    "save_figure",
    "status_notes",
    "thousands_formatter",
    "units_for",
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
_TEXT_TO_PATH = TextToPath()
#: Share of the width filled by wrapped text: glyph measurements run about 2% short of
#: the rendered (hinted) text.
_WRAP_MARGIN = 0.95
#: Font of the annotation texts (measured for wrapping, so fixed whatever the active style).
_FONT = "DejaVu Sans"
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
_SAVE_RC = MappingProxyType(
    {"svg.hashsalt": "overdose_trends", "svg.fonttype": "path", "pdf.fonttype": 42}
)


def house_style() -> AbstractContextManager[None]:
    """Context manager applying the house style sheet (:data:`STYLE`) temporarily.

    Returns
    -------
    context manager
        ``matplotlib.pyplot.style.context(STYLE)``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with house_style():
    ...     fig, ax = plt.subplots()
    >>> plt.close(fig)
    """
    return plt.style.context(STYLE)


@contextmanager
def figure_axes(
    ax: Axes | None = None, *, figsize: tuple[float, float] | None = None
) -> Iterator[Axes]:
    """Yield the Axes a plotting helper draws into.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Draw into this Axes (the caller's style is left alone). Otherwise a new
        figure (``pyplot``-managed, so close it when done) with one Axes is made
        in the house style, and the style stays active until the block ends, so
        that every artist, tick and label the caller adds is styled too.
    figsize : (float, float), optional
        Size of a new figure in inches; default :data:`FIGSIZE`.

    Yields
    ------
    matplotlib.axes.Axes
    """
    if ax is not None:
        yield ax
        return
    with house_style():
        fig = plt.figure(figsize=figsize or FIGSIZE)
        new = fig.add_subplot()
        try:
            yield new
            # create the ticks while the style is active: later ticks copy their properties
            fig.draw_without_rendering()
        except BaseException:
            plt.close(fig)
            raise


def units_for(rate_per: float | None, *, standardised: bool = True) -> str:
    """The units line for rates per ``rate_per`` people.

    Parameters
    ----------
    rate_per : float or None
        100,000 (ONS local-authority tables) or 1,000,000 (national tables by
        substance); None is taken as 100,000.
    standardised : bool, default True
        Age-standardised (2013 ESP) or crude rates.

    Returns
    -------
    str
        E.g. :data:`UNITS_ASR_100K`, :data:`UNITS_ASMR_MILLION`, or
        ``"Deaths per 100,000 (crude rate)"``.
    """
    per = PER_100K if rate_per is None else float(rate_per)
    if standardised and per == PER_100K:
        return UNITS_ASR_100K
    if standardised and per == PER_MILLION:
        return UNITS_ASMR_MILLION
    name = "million" if per == PER_MILLION else f"{per:,.0f}"
    return f"Deaths per {name}, " + (
        "age-standardised (2013 ESP)" if standardised else "crude rate"
    )


def interval_note(conf: float, shown_as: str = "Shaded bands") -> str:
    """``"Shaded bands: 95% confidence intervals."`` for a confidence level ``conf``."""
    pct = f"{100 * conf:.1f}".rstrip("0").rstrip(".")
    return f"{shown_as}: {pct}% confidence intervals."


def _figure_of(fig_or_ax: Figure | SubFigure | Axes) -> Figure:
    if not isinstance(fig_or_ax, Axes | Figure | SubFigure):
        raise TypeError(f"expected a matplotlib Figure or Axes, not {type(fig_or_ax).__name__}")
    fig = fig_or_ax.figure if isinstance(fig_or_ax, Axes) else fig_or_ax
    while isinstance(fig, SubFigure):
        fig = fig.figure
    return fig


def _text_width_pt(text: str, size_pt: float, weight: str = "normal") -> float:
    """Width in points of one line of DejaVu Sans text (measured from the glyphs)."""
    prop = FontProperties(family=_FONT, size=size_pt, weight=weight)
    width, _height, _descent = _TEXT_TO_PATH.get_text_width_height_descent(text, prop, False)
    return float(width)


def _wrap(text: str, width_in: float, size_pt: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of ``text`` to ``width_in`` inches, measuring each line."""
    limit = width_in * 72.0 * _WRAP_MARGIN
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        current = ""
        for word in paragraph.split():
            trial = f"{current} {word}" if current else word
            if current and _text_width_pt(trial, size_pt, weight) > limit:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    return lines or [""]


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
    """
    fig = _figure_of(fig_or_ax)
    if not title or not str(title).strip():
        raise ValueError("annotate: title must not be empty")
    for text in list(fig.texts):
        if text.get_gid() in _GIDS:
            text.remove()
    width, height = fig.get_size_inches()
    usable = width - 2 * _PAD_IN
    title_lines = _wrap(str(title).strip(), usable, _TITLE_PT, "bold")
    units_lines = _wrap(units.strip(), usable, _UNITS_PT) if units else []
    footer: list[str] = _wrap(_source_text(source), usable, _FOOTER_PT)
    for note in dict.fromkeys(n.strip() for n in notes if n and n.strip()):
        footer.extend(_wrap(note, usable, _FOOTER_PT))

    x = _PAD_IN / width
    top = _PAD_IN
    fig.text(
        x, 1 - top / height, "\n".join(title_lines),
        ha="left", va="top", fontsize=_TITLE_PT, fontweight="bold", color="#222222", family=_FONT,
        linespacing=_LINE_SPACING, gid=_GIDS[0],
    )  # fmt: skip
    top += _lines_height(len(title_lines), _TITLE_PT)
    if units_lines:
        top += 0.04
        fig.text(
            x, 1 - top / height, "\n".join(units_lines),
            ha="left", va="top", fontsize=_UNITS_PT, color="#4D4D4D", family=_FONT,
            linespacing=_LINE_SPACING, gid=_GIDS[1],
        )  # fmt: skip
        top += _lines_height(len(units_lines), _UNITS_PT)
    fig.text(
        x, _PAD_IN / height, "\n".join(footer),
        ha="left", va="bottom", fontsize=_FOOTER_PT, color="#4D4D4D", family=_FONT,
        linespacing=_LINE_SPACING, gid=_GIDS[2],
    )  # fmt: skip
    bottom = _PAD_IN + _lines_height(len(footer), _FOOTER_PT) + _GAP_IN
    top += _GAP_IN
    engine = fig.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine):
        fig.set_layout_engine("constrained")
        engine = fig.get_layout_engine()
    engine.set(rect=(0.0, bottom / height, 1.0, max(0.05, 1 - (top + bottom) / height)))
    return fig


def annotating(ax: Axes | None, annotate: bool | None) -> bool:
    """Whether a plotting helper annotates the whole figure.

    ``annotate`` when given; by default only when the helper makes the figure
    itself (``ax`` is None): a caller's Axes may be one panel of a larger figure.
    """
    return ax is None if annotate is None else bool(annotate)


def finish(
    ax: Axes,
    *,
    annotated: bool,
    title: str,
    units: str | None,
    source: str | Sequence[str],
    notes: Sequence[str],
) -> Axes:
    """Common ending of a plotting helper: the figure's header and footer, or an Axes title.

    With ``annotated`` True (see :func:`annotating`), :func:`annotate` the
    figure (title, units, source and notes); otherwise put ``title`` on the
    Axes and leave the figure's header and footer to the caller.
    """
    if annotated:
        annotate(ax, title=title, units=units, source=source, notes=notes)
    else:
        ax.set_title(title)
    return ax


def legend(
    ax: Axes,
    annotated: bool,
    *,
    ncols: int = 2,
    loc: str = "best",
    above: Mapping[str, Any] | None = None,
    inside: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Legend:
    """The legend of a plotting helper.

    On an annotated figure the legend is a row of ``ncols`` columns just above
    the Axes, under the title and units (it never covers data); otherwise it
    goes inside the Axes at ``loc``. ``kwargs`` go to both placements,
    ``above`` / ``inside`` to one only (e.g. a smaller font inside).
    """
    if annotated:
        return ax.legend(
            loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=ncols,
            **{"borderaxespad": 0.3, **kwargs, **(above or {})},
        )  # fmt: skip
    return ax.legend(loc=loc, **{**kwargs, **(inside or {})})


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
    Metadata that change between runs or installations are removed: the PNG
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
    """
    fmts = [str(f).lower().lstrip(".") for f in formats]
    if not fmts:
        raise ValueError("save: give at least one format")
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown:
        raise ValueError(f"save: unsupported format(s) {unknown}; choose from {list(FORMATS)}")
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with mpl.rc_context(dict(_SAVE_RC)):
        if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine | TightLayoutEngine):
            # Each draw refines the layout a little (it is iterative); fix it once so that
            # every later save writes the same bytes.
            fig.draw_without_rendering()
            fig.set_layout_engine("none")
        for fmt in fmts:
            path = stem.with_name(f"{stem.name}.{fmt}")
            fig.savefig(path, format=fmt, dpi=dpi, metadata=dict(_METADATA[fmt]))
            paths.append(path)
    return paths


# --- conventions shared by the helpers ---------------------------------------------------------

#: Values of :func:`point_status`: how a rate is drawn.
POINT_STATUSES = ("ok", "unreliable", "not_calculated", "missing")

#: Names of the common ``measure`` values in titles.
MEASURE_TITLES = MappingProxyType(
    {"poisoning": "Deaths related to drug poisoning", "misuse": "Deaths related to drug misuse"}
)

_SMALL_WORDS = frozenset({"and", "of", "upon", "the", "in", "on", "with"})


def point_status(
    rate: ArrayLike,
    deaths: ArrayLike | None = None,
    rate_status: ArrayLike | None = None,
) -> NDArray[np.object_]:
    """How each rate is drawn, by the ONS small-number rules.

    Parameters
    ----------
    rate : array-like of float
        Rates (NaN where not published).
    deaths : array-like of float, optional
        Deaths behind each rate (NaN where unknown).
    rate_status : array-like of str, optional
        ``rate_status`` values (:data:`overdose_trends.schema.RATE_STATUSES`).
        At least one of ``deaths`` and ``rate_status`` is needed.

    Returns
    -------
    numpy.ndarray of str
        Per rate, one of :data:`POINT_STATUSES`:

        ``"not_calculated"``
            Status ``not_calculated`` or fewer than 10 deaths (whatever the
            status says): never drawn as a rate, only as an "x" on the axis.
        ``"missing"``
            No rate (NaN), or status ``suppressed`` / ``not_available``: a gap.
        ``"unreliable"``
            Status ``unreliable`` or 10-19 deaths: a hollow marker.
        ``"ok"``
            Otherwise (deaths unknown with status absent counts as ok): filled.

    Raises
    ------
    ValueError
        Without both ``deaths`` and ``rate_status``, for status values outside
        :data:`~overdose_trends.schema.RATE_STATUSES` or for arrays of
        different lengths.

    References
    ----------
    ONS, *Deaths related to drug poisoning by local authority, England and
    Wales*, reference-table footnotes ("Rates are not calculated when the number
    of deaths are fewer than ten"; 10-19 deaths "considered unreliable").
    """
    r = np.asarray(rate, dtype=np.float64)
    if deaths is None and rate_status is None:
        raise ValueError(
            "need a deaths or a rate_status column to apply the small-number rules "
            f"(no rate is drawn from fewer than {MIN_DEATHS_FOR_RATE} deaths)"
        )
    d = np.full(r.shape, np.nan) if deaths is None else np.asarray(deaths, dtype=np.float64)
    if rate_status is None:
        s = np.full(r.shape, "ok", dtype=object)
    else:
        s = np.asarray(pd.Series(rate_status, dtype="object").fillna("ok"), dtype=object)
        unknown = sorted(set(s) - set(RATE_STATUSES))
        if unknown:
            raise ValueError(
                f"unknown rate_status value(s) {unknown}; expected some of {list(RATE_STATUSES)}"
            )
    if not (r.shape == d.shape == s.shape):
        raise ValueError("rate, deaths and rate_status must have the same length")
    with np.errstate(invalid="ignore"):
        few = d < MIN_DEATHS_FOR_RATE
        some = (d >= MIN_DEATHS_FOR_RATE) & (d < MIN_DEATHS_RELIABLE)
    not_calculated = few | (s == "not_calculated")
    missing = ~not_calculated & (np.isnan(r) | np.isin(s, ["suppressed", "not_available"]))
    unreliable = ~not_calculated & ~missing & ((s == "unreliable") | some)
    return np.select(
        [not_calculated, missing, unreliable], ["not_calculated", "missing", "unreliable"], "ok"
    ).astype(object)


def status_notes(status: ArrayLike) -> list[str]:
    """The notes explaining the markers of ``status`` (:func:`point_status` values) present."""
    present = set(np.asarray(status, dtype=object).tolist())
    notes = []
    if "unreliable" in present:
        notes.append(NOTE_UNRELIABLE)
    if "not_calculated" in present:
        notes.append(NOTE_NOT_CALCULATED)
    return notes


def draw_points(
    ax: Axes,
    position: ArrayLike,
    value: ArrayLike,
    status: ArrayLike,
    *,
    color: str,
    key: str,
    horizontal: bool = False,
    size: float | None = None,
    zorder: float = 3,
) -> dict[str, Line2D]:
    """Draw rates as markers by their :func:`point_status`.

    ``ok`` rates are filled circles, ``unreliable`` ones hollow circles, and
    ``not_calculated`` ones an "x" on the rate axis's floor (never at a rate);
    ``missing`` ones are not drawn.

    Parameters
    ----------
    ax : Axes
    position, value : array-like of float
        Position on the category or time axis, and the rate.
    status : array-like of str
        :func:`point_status` of each rate.
    color : str
        Marker colour.
    key : str
        Identifies the series in the artists' ``gid``: ``"ok-<key>"``,
        ``"unreliable-<key>"``, ``"not_calculated-<key>"``.
    horizontal : bool, default False
        Rates on the x axis (positions on y): the "x" markers sit at the left
        edge of the axes.
    size : float, optional
        Marker size in points (default: the style's ``lines.markersize``).

    Returns
    -------
    dict of str to Line2D
        The artists drawn, by status.
    """
    pos = np.asarray(position, dtype=np.float64)
    val = np.asarray(value, dtype=np.float64)
    st = np.asarray(status, dtype=object)
    ms = size if size is not None else mpl.rcParams["lines.markersize"]
    out: dict[str, Line2D] = {}

    def xy(p, v):
        return (v, p) if horizontal else (p, v)

    ok = st == "ok"
    if ok.any():
        (out["ok"],) = ax.plot(
            *xy(pos[ok], val[ok]), ls="none", marker="o", ms=ms, color=color,
            mfc=color, mec=color, zorder=zorder, gid=f"ok-{key}",
        )  # fmt: skip
    weak = st == "unreliable"
    if weak.any():
        (out["unreliable"],) = ax.plot(
            *xy(pos[weak], val[weak]), ls="none", marker="o", ms=ms, color=color,
            mfc="white", mec=color, mew=1.4, zorder=zorder, gid=f"unreliable-{key}",
        )  # fmt: skip
    none = st == "not_calculated"
    if none.any():
        floor = np.zeros(int(none.sum()))
        trans = ax.get_yaxis_transform() if horizontal else ax.get_xaxis_transform()
        (out["not_calculated"],) = ax.plot(
            *xy(pos[none], floor), ls="none", marker="x", ms=ms + 1, mew=1.6, color=color,
            transform=trans, clip_on=False, zorder=zorder + 1, gid=f"not_calculated-{key}",
        )  # fmt: skip
    return out


def thousands_formatter() -> FuncFormatter:
    """A tick formatter writing whole numbers with thousands separators (``12,500``)."""
    return FuncFormatter(lambda value, _pos: f"{value:,.0f}")


def nice_name(name: object) -> str:
    """An area name for display: ONS capitals (``"ENGLAND AND WALES"``) in title case."""
    text = str(name).strip()
    if text.isupper() and len(text) > 3:
        words = text.lower().split(" ")
        text = " ".join(
            w if (i and w in _SMALL_WORDS) else w[:1].upper() + w[1:] for i, w in enumerate(words)
        )
    return text


def period_label(start: int, end: int) -> str:
    """``"2013-15"`` for 2013-2015 (ONS style), ``"1999-2001"`` across a century, ``"2019"``."""
    start, end = int(start), int(end)
    if start == end:
        return str(start)
    if start // 100 == end // 100:
        return f"{start}-{end % 100:02d}"
    return f"{start}-{end}"


def label_points(
    ax: Axes,
    x: ArrayLike,
    y: ArrayLike,
    texts: Sequence[str],
    *,
    fontsize: float = 8,
    weight: str | Sequence[str] = "normal",
    color: str = "#222222",
    gid: str = "label",
    avoid: tuple[ArrayLike, ArrayLike] | None = None,
) -> list[Annotation]:
    """Label points, choosing for each label the nearby position that overlaps least.

    Candidate positions (right, left, above, below the point, offset in
    points) are tried in order; a position is rejected when the label's
    estimated box would overlap a label already placed, a marker in ``avoid``
    or the axes edge. Deterministic (no randomness), so figures stay reproducible.

    Parameters
    ----------
    ax : Axes
    x, y : array-like of float
        Data coordinates of the points to label.
    texts : sequence of str
        One label per point (may hold line breaks).
    fontsize, color :
        Text properties.
    weight : str or sequence of str
        Font weight of all labels, or of each (``"normal"``, ``"bold"``).
    gid : str
        ``gid`` of every label (for finding them again).
    avoid : (x, y), optional
        Other markers (data coordinates) labels should not cover.

    Returns
    -------
    list of matplotlib.text.Annotation
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if not (len(xs) == len(ys) == len(texts)):
        raise ValueError("label_points: x, y and texts must have the same length")
    to_pt = 72.0 / ax.figure.dpi
    frame = ax.get_window_extent()
    fx0, fy0, fx1, fy1 = (v * to_pt for v in (frame.x0, frame.y0, frame.x1, frame.y1))
    pts = ax.transData.transform(np.column_stack([xs, ys])) * to_pt if len(xs) else np.empty((0, 2))
    markers: list[tuple[float, float, float, float]] = []
    if avoid is not None:
        ax_, ay_ = (np.asarray(a, dtype=np.float64) for a in avoid)
        for px, py in ax.transData.transform(np.column_stack([ax_, ay_])) * to_pt:
            markers.append((px - 3, py - 3, px + 3, py + 3))
    for px, py in pts:
        markers.append((px - 3, py - 3, px + 3, py + 3))
    placed: list[tuple[float, float, float, float]] = []
    # (dx, dy) offsets in points with the text alignment they go with, nearest first
    candidates = (
        (6, 3, "left", "bottom"),
        (6, -3, "left", "top"),
        (-6, 3, "right", "bottom"),
        (-6, -3, "right", "top"),
        (0, 8, "center", "bottom"),
        (0, -8, "center", "top"),
        (10, 10, "left", "bottom"),
        (10, -10, "left", "top"),
        (-10, 10, "right", "bottom"),
        (-10, -10, "right", "top"),
    )
    weights = [weight] * len(xs) if isinstance(weight, str) else list(weight)
    if len(weights) != len(xs):
        raise ValueError("label_points: give one weight or one per label")
    out = []
    for (px, py), xd, yd, text, wt in zip(pts, xs, ys, texts, weights, strict=True):
        lines = str(text).split("\n")
        w = max(_text_width_pt(line, fontsize, wt) for line in lines)
        h = len(lines) * fontsize * 1.2
        best, best_cost = None, np.inf
        for dx, dy, ha, va in candidates:
            x0 = px + dx - (w if ha == "right" else w / 2 if ha == "center" else 0)
            y0 = py + dy - (h if va == "top" else 0)
            box = (x0, y0, x0 + w, y0 + h)
            # covering another label is far worse than covering a marker
            cost = sum(_overlap(box, b) for b in markers)
            cost += 20 * sum(_overlap(box, b) for b in placed)
            outside = max(0.0, fx0 - box[0]) + max(0.0, box[2] - fx1)
            outside += max(0.0, fy0 - box[1]) + max(0.0, box[3] - fy1)
            cost += outside * h * 4
            if cost < best_cost - 1e-9:
                best, best_cost = (dx, dy, ha, va, box), cost
            if cost == 0:
                break
        dx, dy, ha, va, box = best
        placed.append(box)
        out.append(
            ax.annotate(
                text, (xd, yd), xycoords="data",
                xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                fontsize=fontsize, fontweight=wt, color=color, gid=gid, zorder=5,
                arrowprops={"arrowstyle": "-", "color": NEUTRAL, "lw": 0.6, "shrinkA": 1,
                            "shrinkB": 3},
            )
        )  # fmt: skip
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0
