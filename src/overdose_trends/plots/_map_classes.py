"""Classes, colours and legend entries of a choropleth map (private, for plots.maps).

Two kinds of classes:

* by value: quantile classes (``k`` groups of about equal size) or fixed
  breaks, coloured with a sequential ColorBrewer scheme (YlOrRd, colour-blind
  safe), light for low values and dark for high ones;
* by category: the labels of
  :func:`overdose_trends.stats.funnel.vs_benchmark` (``compared``,
  ``category``, ``category_funnel``, ``category_quintile``) with fixed colours
  from the Okabe-Ito palette and ColorBrewer blues: "Better" blue, "Worse"
  vermillion, "Similar" light grey; Fingertips' no-judgement "Lower"/"Higher" in
  light and dark blue (no good or bad implied).

Areas without a value are hatched: "not calculated" (ONS: fewer than 10 deaths)
and "no data" (no row, or a blank value) are explained apart.

References
----------
Harrower M, Brewer CA (2003). ColorBrewer.org: an online tool for selecting
colour schemes for maps. *The Cartographic Journal* 40(1):27-37.

Okabe M, Ito K (2008). *Color Universal Design (CUD)*.

Office for Health Improvement and Disparities. *Fingertips*: comparison with
the benchmark (better/similar/worse; lower/similar/higher where no direction).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from overdose_trends.constants import MIN_DEATHS_FOR_RATE
from overdose_trends.plots import style

#: ColorBrewer YlOrRd, 3 to 7 classes (Harrower & Brewer 2003; colour-blind safe).
SEQUENTIAL = MappingProxyType(
    {
        3: ("#FFEDA0", "#FEB24C", "#F03B20"),
        4: ("#FFFFB2", "#FECC5C", "#FD8D3C", "#E31A1C"),
        5: ("#FFFFB2", "#FECC5C", "#FD8D3C", "#F03B20", "#BD0026"),
        6: ("#FFFFB2", "#FED976", "#FEB24C", "#FD8D3C", "#F03B20", "#BD0026"),
        7: ("#FFFFB2", "#FED976", "#FEB24C", "#FD8D3C", "#FC4E2A", "#E31A1C", "#B10026"),
    }
)
MIN_CLASSES, MAX_CLASSES = min(SEQUENTIAL), max(SEQUENTIAL)
#: Fill of "similar to the benchmark": a light grey, so that areas differing stand out.
SIMILAR_FILL = "#D4D4D4"
#: ColorBrewer Blues, for Fingertips' no-judgement categories (lighter = lower).
_BLUES = ("#C6DBEF", "#6BAED6", "#2171B5", "#08306B")

#: Fill colour of each category label of vs_benchmark (in display order).
CATEGORY_COLORS = MappingProxyType(
    {
        # compared (the ranking chart's colours)
        "lower": style.PALETTE["blue"],
        "similar": SIMILAR_FILL,
        "higher": style.PALETTE["vermillion"],
        # category: Fingertips, by confidence interval
        "Better": style.PALETTE["blue"],
        "Similar": SIMILAR_FILL,
        "Worse": style.PALETTE["vermillion"],
        "Lower": _BLUES[1],
        "Higher": _BLUES[3],
        # category_funnel
        "Better 99.8%": style.PALETTE["blue"],
        "Better 95%": style.PALETTE["sky_blue"],
        "Worse 95%": style.PALETTE["orange"],
        "Worse 99.8%": style.PALETTE["vermillion"],
        "Lower 99.8%": _BLUES[0],
        "Lower 95%": _BLUES[1],
        "Higher 95%": _BLUES[2],
        "Higher 99.8%": _BLUES[3],
    }
)
#: Quintile labels of vs_benchmark's ``category_quintile``, lowest values first.
QUINTILES = (
    ("Best", "Better", "Middle", "Worse", "Worst"),
    ("Worst", "Worse", "Middle", "Better", "Best"),
    ("Lowest", "Low", "Middle", "High", "Highest"),
)
#: Labels that mean "no comparison" (hatched as no value).
NOT_COMPARED = ("not_compared", "Not compared")

NOT_CALCULATED = "not_calculated"
NO_DATA = "no_data"
#: Hatch and legend text of the areas without a value.
HATCHES = MappingProxyType({NOT_CALCULATED: "////", NO_DATA: "...."})
EMPTY_LABELS = MappingProxyType(
    {
        NOT_CALCULATED: f"Rate not calculated\n(fewer than {MIN_DEATHS_FOR_RATE} deaths)",
        NO_DATA: "No data",
    }
)
EMPTY_FILL = "#FFFFFF"
HATCH_COLOR = "#7F7F7F"


@dataclass(frozen=True)
class Classes:
    """The class of each drawn area and the legend, in order."""

    #: Class key of each area: an index into ``labels``, or -1 (not calculated), -2 (no data).
    index: NDArray[np.int64]
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    counts: tuple[int, ...]

    def color(self, i: int) -> str:
        return self.colors[i] if i >= 0 else EMPTY_FILL


def empty_key(i: int) -> str:
    return NOT_CALCULATED if i == -1 else NO_DATA


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def quantile_breaks(values: NDArray[np.float64], k: int, decimals: int) -> list[float]:
    """Interior break points of ``k`` quantile classes, rounded for the legend, distinct."""
    qs = np.quantile(values, np.linspace(0, 1, k + 1)[1:-1])
    breaks = sorted({round(float(q), decimals) for q in qs})
    lo, hi = float(values.min()), float(values.max())
    return [b for b in breaks if lo < b <= hi]


def value_classes(
    values: NDArray[np.float64],
    empty: NDArray[np.int64],
    breaks: list[float],
    decimals: int,
) -> Classes:
    """Classes ``[-inf, b1), [b1, b2), ..., [bn, inf)`` of the areas with a value.

    ``empty`` is -1 / -2 for areas drawn hatched (not calculated / no data), 0 otherwise.
    """
    n = len(breaks) + 1
    if not MIN_CLASSES - 1 <= n <= MAX_CLASSES:  # 2 classes use the 3-colour scheme's ends
        raise ValueError(f"{n} classes; give {MIN_CLASSES - 1} to {MAX_CLASSES}")
    idx = np.searchsorted(np.asarray(breaks, dtype=np.float64), values, side="right")
    idx = np.where(empty < 0, empty, idx).astype(np.int64)
    colors = SEQUENTIAL[max(n, MIN_CLASSES)]
    if n == 2:
        colors = (colors[0], colors[-1])
    text = [_fmt(b, decimals) for b in breaks]
    if n == 1:
        labels = ["All areas"]
    else:
        labels = [f"Under {text[0]}"]
        labels += [f"{a} to under {b}" for a, b in zip(text[:-1], text[1:], strict=True)]
        labels.append(f"{text[-1]} and over")
    counts = tuple(int((idx == i).sum()) for i in range(n))
    return Classes(idx, tuple(labels), tuple(colors), counts)


def _full_order(present: list[str], declared: list[str]) -> list[str]:
    """Every label in display order: the declared categories, else a quintile scale, else sorted.

    Quintile labels are ordered from the lowest values to the highest (as
    :func:`~overdose_trends.stats.funnel.vs_benchmark` declares them); undeclared
    labels that fit several scales (Best, Middle, Worst) take the first.
    """
    if declared:
        return declared
    for quint in QUINTILES:
        if set(present) <= set(quint):
            return list(quint)
    return sorted(present)


def category_colors(labels: list[str], order: list[str]) -> tuple[str, ...]:
    """Colours of category labels: quintiles light to dark in ``order``, others fixed."""
    if any(set(order) == set(quint) for quint in QUINTILES):
        return tuple(SEQUENTIAL[5][order.index(lab)] for lab in labels)
    if all(lab in CATEGORY_COLORS for lab in labels):
        return tuple(CATEGORY_COLORS[lab] for lab in labels)
    n = len(labels)
    if n > len(style.SERIES_COLORS):
        raise ValueError(
            f"{n} categories; a map shows at most {len(style.SERIES_COLORS)} unordered categories"
        )
    return tuple(style.SERIES_COLORS[:n])


def category_classes(
    values: list[object], empty: NDArray[np.int64], declared: list[str]
) -> Classes:
    """Classes of category labels (``None`` / NA / "not compared": hatched as ``empty``)."""
    texts = [None if v is None or v != v or str(v) in NOT_COMPARED else str(v) for v in values]
    present = sorted({t for t in texts if t is not None})
    order = [str(c) for c in _full_order(present, declared) if str(c) not in NOT_COMPARED]
    labels = [c for c in order if c in present]
    pos = {lab: i for i, lab in enumerate(labels)}
    idx = np.array(
        [
            e if e < 0 else (pos[t] if t is not None else -2)
            for t, e in zip(texts, empty, strict=True)
        ],
        dtype=np.int64,
    )
    counts = tuple(int((idx == i).sum()) for i in range(len(labels)))
    return Classes(idx, tuple(labels), category_colors(labels, order), counts)
