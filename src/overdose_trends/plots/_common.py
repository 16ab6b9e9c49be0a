"""Private helpers shared by the figure modules of :mod:`overdose_trends.plots`.

Not part of the public API: the public figure modules define only their
``plot_*`` functions and documented constants, and :mod:`~overdose_trends.plots.style`
only the public house style. What they share lives here:

* figures: :func:`figure_axes` (the caller's Axes, or a new one in the house
  style), :func:`annotating` and :func:`finish` (the common ending: the
  figure's title, units, source and notes, or an Axes title), :func:`legend`,
  :func:`layout_now`, :func:`label_points`, :func:`thousands_formatter`;
* small-number rules: :func:`point_status` (how each rate is drawn, from
  :func:`overdose_trends.schema.rate_status`), :func:`status_notes`,
  :func:`draw_points` and :func:`draw_rate_series` (band, line and markers);
* texts: :func:`units_for`, :func:`interval_note`, :func:`nice_name`,
  :func:`period_label`, :func:`axis_label`, :func:`default_source`,
  :func:`measure_title`;
* tables: :func:`one_row_per`, :func:`unique_value`, :func:`unique_float`,
  :func:`deaths_column`, :func:`statuses`, :func:`table_status`,
  :func:`grid_series`.

References
----------
Office for National Statistics. *Deaths related to drug poisoning by local
authority, England and Wales*, reference-table notes (rates not calculated
below 10 deaths, unreliable from 10 to 19 deaths).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter
from numpy.typing import ArrayLike, NDArray

from overdose_trends._frames import differing_columns, numeric, show
from overdose_trends.constants import MIN_DEATHS_FOR_RATE, PER_100K, PER_MILLION
from overdose_trends.plots import style
from overdose_trends.plots._text import text_width_pt
from overdose_trends.schema import RATE_STATUSES, as_period
from overdose_trends.schema import rate_status as ons_rate_status

#: A period in any of the package's notations (:func:`overdose_trends.schema.as_period`).
PeriodLike = str | int | tuple[int, int]

#: Values of :func:`point_status`: how a rate is drawn.
POINT_STATUSES = ("ok", "unreliable", "not_calculated", "missing")

#: Names of the common ``measure`` values in titles.
MEASURE_TITLES = MappingProxyType(
    {"poisoning": "Deaths related to drug poisoning", "misuse": "Deaths related to drug misuse"}
)

_SMALL_WORDS = frozenset({"and", "of", "upon", "the", "in", "on", "with"})


# --- figures, axes and legends ---------------------------------------------------------


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
        Size of a new figure in inches; default :data:`~overdose_trends.plots.style.FIGSIZE`.

    Yields
    ------
    matplotlib.axes.Axes
    """
    if ax is not None:
        yield ax
        return
    with style.house_style():
        fig = plt.figure(figsize=figsize or style.FIGSIZE)
        new = fig.add_subplot()
        try:
            yield new
            # create the ticks while the style is active: later ticks copy their properties
            fig.draw_without_rendering()
        except BaseException:
            plt.close(fig)
            raise


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

    With ``annotated`` True (see :func:`annotating`), annotate the
    figure (:func:`~overdose_trends.plots.style.annotate`: title, units, source and
    notes); otherwise put ``title`` on the
    Axes and leave the figure's header and footer to the caller.
    """
    if annotated:
        style.annotate(ax, title=title, units=units, source=source, notes=notes)
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
    return ax.legend(**{"loc": loc, **kwargs, **(inside or {})})


def layout_now(ax: Axes) -> None:
    """Compute the figure's layout now (draw without rendering), e.g. before placing labels."""
    fig = ax.get_figure(root=True)
    if fig is not None:
        fig.draw_without_rendering()


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
        E.g. :data:`~overdose_trends.plots.style.UNITS_ASR_100K`, ``UNITS_ASMR_MILLION``, or
        ``"Deaths per 100,000 (crude rate)"``.
    """
    per = PER_100K if rate_per is None else float(rate_per)
    if standardised and per == PER_100K:
        return style.UNITS_ASR_100K
    if standardised and per == PER_MILLION:
        return style.UNITS_ASMR_MILLION
    name = "million" if per == PER_MILLION else f"{per:,.0f}"
    return f"Deaths per {name}, " + (
        "age-standardised (2013 ESP)" if standardised else "crude rate"
    )


def interval_note(conf: float, shown_as: str = "Shaded bands") -> str:
    """``"Shaded bands: 95% confidence intervals."`` for a confidence level ``conf``."""
    pct = f"{100 * conf:.1f}".rstrip("0").rstrip(".")
    return f"{shown_as}: {pct}% confidence intervals."


def point_status(
    rate: ArrayLike,
    deaths: ArrayLike | None = None,
    rate_status: ArrayLike | None = None,
) -> NDArray[np.object_]:
    """How each rate is drawn, by the ONS small-number rules.

    The rule on deaths is :func:`overdose_trends.schema.rate_status` (the one
    place it is coded); this adds how a published status and a missing rate
    are drawn.

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
    # the ONS rule from the deaths (NaN deaths: "not_available", no verdict)
    by_deaths = ons_rate_status(d)
    few = by_deaths == "not_calculated"
    some = by_deaths == "unreliable"
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
        notes.append(style.NOTE_UNRELIABLE)
    if "not_calculated" in present:
        notes.append(style.NOTE_NOT_CALCULATED)
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

    def xy(p: NDArray[np.float64], v: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
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


def as_years(value: PeriodLike, func: str) -> tuple[int, int]:
    """First and last year of a user's period (:func:`overdose_trends.schema.as_period`)."""
    try:
        return as_period(value)
    except ValueError as err:
        raise ValueError(f"{func}: years: {err}") from None


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
    weights = [weight] * len(xs) if isinstance(weight, str) else list(weight)
    if len(weights) != len(xs):
        raise ValueError("label_points: give one weight or one per label")
    to_pt = 72.0 / ax.figure.dpi
    frame = ax.get_window_extent()
    bounds = (frame.x0 * to_pt, frame.y0 * to_pt, frame.x1 * to_pt, frame.y1 * to_pt)
    pts = ax.transData.transform(np.column_stack([xs, ys])) * to_pt if len(xs) else np.empty((0, 2))
    markers: list[_Box] = []
    if avoid is not None:
        ax_, ay_ = (np.asarray(a, dtype=np.float64) for a in avoid)
        markers += _marker_boxes(ax.transData.transform(np.column_stack([ax_, ay_])) * to_pt)
    markers += _marker_boxes(pts)
    placed: list[_Box] = []
    out = []
    for (px, py), xd, yd, text, wt in zip(pts, xs, ys, texts, weights, strict=True):
        lines = str(text).split("\n")
        w = max(text_width_pt(line, fontsize, wt) for line in lines)
        h = len(lines) * fontsize * 1.2
        dx, dy, ha, va, box = _best_place(px, py, w, h, markers, placed, bounds)
        placed.append(box)
        out.append(
            ax.annotate(
                text, (xd, yd), xycoords="data",
                xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                fontsize=fontsize, fontweight=wt, color=color, gid=gid, zorder=5,
                arrowprops={"arrowstyle": "-", "color": style.NEUTRAL, "lw": 0.6, "shrinkA": 1,
                            "shrinkB": 3},
            )
        )  # fmt: skip
    return out


#: A box in points: (x0, y0, x1, y1).
_Box = tuple[float, float, float, float]
#: Label positions tried by :func:`label_points`: (dx, dy) offsets in points with the text
#: alignment they go with, nearest first.
_LABEL_PLACES = (
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


def _marker_boxes(points: NDArray[np.float64]) -> list[_Box]:
    """Boxes of 6 points around markers at ``points`` (in points)."""
    return [(px - 3, py - 3, px + 3, py + 3) for px, py in points]


def _best_place(
    px: float,
    py: float,
    w: float,
    h: float,
    markers: list[_Box],
    placed: list[_Box],
    bounds: _Box,
) -> tuple[int, int, str, str, _Box]:
    """The first of :data:`_LABEL_PLACES` overlapping least, for a ``w`` x ``h`` label."""
    fx0, fy0, fx1, fy1 = bounds
    best: tuple[int, int, str, str, _Box] | None = None
    best_cost = np.inf
    for dx, dy, ha, va in _LABEL_PLACES:
        x0 = px + dx - (w if ha == "right" else w / 2 if ha == "center" else 0)
        y0 = py + dy - (h if va == "top" else 0)
        box = (x0, y0, x0 + w, y0 + h)
        # covering another label is far worse than covering a marker
        cost = sum(_overlap(box, b) for b in markers)
        cost += 20 * sum(_overlap(box, b) for b in placed)
        outside = max(0.0, fx0 - box[0]) + max(0.0, box[2] - fx1)
        outside += max(0.0, fy0 - box[1]) + max(0.0, box[3] - fy1)
        cost += outside * h * 4
        if best is None or cost < best_cost - 1e-9:
            best, best_cost = (dx, dy, ha, va, box), cost
        if cost == 0:
            break
    assert best is not None  # _LABEL_PLACES is not empty
    return best


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


# --- tables -------------------------------------------------------------------------------


def one_row_per(data: pd.DataFrame, keys: Sequence[str], func: str) -> None:
    """Raise unless ``data`` has one row per ``keys``, naming the columns where repeats differ."""
    dup = data.duplicated(list(keys), keep=False).to_numpy()
    if not dup.any():
        return
    first = data.loc[dup].iloc[0]
    same = data.loc[dup]
    for k in keys:
        same = same.loc[same[k] == first[k]]
    differ = differing_columns(same, keys)
    where = ", ".join(f"{k}={show(first[k])}" for k in keys)
    raise ValueError(
        f"{func}: {len(same)} rows for {where}; they differ in {differ or 'no column'}. "
        "Plot one measure, sex (and substance) at a time, e.g. "
        "data.query(\"measure == 'poisoning' and sex == 'persons'\")"
    )


def unique_value(data: pd.DataFrame, column: str, default: Any = None) -> Any:
    """The single value of ``column`` (NaN ignored), or ``default`` if absent or not unique."""
    if column not in data.columns:
        return default
    values = pd.unique(data[column].dropna())
    return values[0] if len(values) == 1 else default


def unique_float(data: pd.DataFrame | None, column: str, default: float) -> float:
    """:func:`unique_value` as a float (``default`` without ``data``)."""
    return default if data is None else float(unique_value(data, column, default))


def deaths_column(data: pd.DataFrame, deaths: str) -> str | None:
    """``deaths`` if present, else ``"count"`` (:mod:`~overdose_trends.stats.rates`), else None."""
    for name in (deaths, "count"):
        if name in data.columns:
            return name
    return None


def statuses(data: pd.DataFrame, rate: str, deaths: str | None, status: str | None) -> np.ndarray:
    """:func:`point_status` of a table's rates."""
    return point_status(
        numeric(data, rate),
        numeric(data, deaths) if deaths else None,
        data[status].to_numpy(dtype=object) if status else None,
    )


def table_status(
    data: pd.DataFrame, rate: str = "rate", deaths: str = "deaths", *, required: bool = True
) -> np.ndarray:
    """:func:`statuses` from the table's own deaths (or ``count``) and ``rate_status`` columns.

    Without either column the rates count as ``"ok"`` when ``required`` is
    False; otherwise :func:`point_status`
    raises (the small-number rules need one of them).
    """
    count = deaths_column(data, deaths)
    status = "rate_status" if "rate_status" in data.columns else None
    if count is None and status is None and not required:
        return np.full(len(data), "ok", dtype=object)
    return statuses(data, rate, count, status)


def axis_label(units: str, full: bool) -> str:
    """Short axis label from a units line (``"Deaths per 100,000"``), or the whole line wrapped."""
    if full:
        return units.replace(", ", ",\n", 1)
    return units.split(", ")[0]


def default_source(data: pd.DataFrame) -> str:
    """The ONS source of a table: national tables have a ``table`` column."""
    return style.SOURCE_ONS_NATIONAL if "table" in data.columns else style.SOURCE_ONS_LA


def measure_title(data: pd.DataFrame) -> str:
    """``"Deaths related to drug poisoning"`` (or misuse), with the sex when not persons."""
    measure = unique_value(data, "measure")
    title = MEASURE_TITLES.get(str(measure), "Deaths related to drug poisoning")
    sex = unique_value(data, "sex")
    if sex is not None and sex != "persons":
        title += f", {sex}"
    return title


def grid_series(
    data: pd.DataFrame, rows: np.ndarray, slot: np.ndarray, size: int, status: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """One series' ``rate``, ``lcl``, ``ucl`` and status on a regular grid of ``size`` steps.

    ``rows`` (boolean mask of ``data``) are placed at their grid index
    ``slot``; steps without a row get NaN and status ``"missing"``. The last
    item lists the statuses from the series' first to its last row (the
    markers and gaps it shows), for :func:`status_notes`.
    """
    rate, lcl, ucl = (np.full(size, np.nan) for _ in range(3))
    for values, name in ((rate, "rate"), (lcl, "lcl"), (ucl, "ucl")):
        values[slot[rows]] = numeric(data, name)[rows]
    st = np.full(size, "missing", dtype=object)
    st[slot[rows]] = status[rows]
    shown = st[slot[rows].min() : slot[rows].max() + 1].tolist()
    return rate, lcl, ucl, st, shown


def draw_rate_series(
    ax: Axes,
    x: ArrayLike,
    rate: ArrayLike,
    lcl: ArrayLike,
    ucl: ArrayLike,
    status: ArrayLike,
    *,
    color: str,
    key: str,
    label: str | None = None,
    band_alpha: float = 0.18,
) -> dict[str, Artist]:
    """Draw one rate series: confidence band, line and markers by small-number status.

    Parameters
    ----------
    ax : Axes
    x : array-like of float
        Positions in increasing order, one per step of the series; a step
        without a rate (NaN, or status ``"missing"``) leaves a gap.
    rate, lcl, ucl : array-like of float
        Rates and confidence limits.
    status : array-like of str
        :func:`point_status` of each rate: only
        ``"ok"`` and ``"unreliable"`` rates are drawn as values (the line, the
        band and filled or hollow markers); ``"not_calculated"`` ones as an "x"
        on the axis floor.
    color : str
    key : str
        Series id used in the artists' ``gid`` (``"rate-<key>"`` line,
        ``"ci-<key>"`` band, ``"ci-bars-<key>"`` interval bars of isolated
        points, and the marker ids of
        :func:`draw_points`).
    label : str, optional
        Legend label of the line.
    band_alpha : float, default 0.18
        Opacity of the band.

    Returns
    -------
    dict of str to Artist
        ``"line"``, ``"band"`` and ``"bars"`` (when drawn) and the markers by status.
    """
    xs = np.asarray(x, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    lo = np.asarray(lcl, dtype=np.float64)
    hi = np.asarray(ucl, dtype=np.float64)
    st = np.asarray(status, dtype=object)
    drawn = np.isin(st, ["ok", "unreliable"]) & np.isfinite(r)
    out: dict[str, Artist] = {}
    (out["line"],) = ax.plot(
        xs, np.where(drawn, r, np.nan), color=color, label=label, zorder=2, gid=f"rate-{key}"
    )
    has = drawn & np.isfinite(lo) & np.isfinite(hi)
    before = np.r_[False, has[:-1]]
    after = np.r_[has[1:], False]
    isolated = has & ~before & ~after
    run = has & ~isolated
    if run.any():
        out["band"] = ax.fill_between(
            xs, np.where(run, lo, np.nan), np.where(run, hi, np.nan), where=run,
            color=color, alpha=band_alpha, linewidth=0, zorder=1, gid=f"ci-{key}",
        )  # fmt: skip
    if isolated.any():
        out["bars"] = ax.vlines(
            xs[isolated], lo[isolated], hi[isolated], color=color, alpha=0.5, linewidth=2.5,
            zorder=1, gid=f"ci-bars-{key}",
        )  # fmt: skip
    out.update(draw_points(ax, xs, r, st, color=color, key=key))
    return out
