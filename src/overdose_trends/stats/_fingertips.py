"""Fingertips' words for comparisons and trends (private to the stats room).

:func:`overdose_trends.stats.funnel.vs_benchmark` (``polarity=``) and
:func:`overdose_trends.stats.benchmarking.recent_trend` label their results with
the categories OHID Fingertips shows; the words live here so both use one set.

Sources: OHID Fingertips (fingertips.phe.org.uk) legends and data downloads;
the Fingertips source (``ukhsa-collaboration/fingertips-open``: trend marker
labels "Cannot be calculated", "Increasing", "Decreasing", "No significant
change", "Increasing/Decreasing and getting better/worse"; quintile wording
"Best" ... "Worst", "Lowest" ... "Highest").
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

#: Indicator polarity, as Fingertips: lower values better (e.g. death rates), higher
#: values better, or no judgement (Fingertips' "BOB" / no-polarity indicators).
Polarity = Literal["low_is_good", "high_is_good", "no_judgement"]
POLARITIES = ("low_is_good", "high_is_good", "no_judgement")

NOT_COMPARED = "Not compared"
SIMILAR = "Similar"

#: Comparison with a benchmark by confidence interval, in display order.
CI_LABELS = {
    "low_is_good": ("Better", SIMILAR, "Worse", NOT_COMPARED),
    "high_is_good": ("Better", SIMILAR, "Worse", NOT_COMPARED),
    "no_judgement": ("Lower", SIMILAR, "Higher", NOT_COMPARED),
}

#: Comparison by the 95% and 99.8% funnel limits, in display order: the words of
#: :data:`CI_LABELS` with the limit crossed ("Better 99.8%", "Better 95%", "Similar", ...).
FUNNEL_CATEGORIES = {
    polarity: (
        f"{low} 99.8%",
        f"{low} 95%",
        SIMILAR,
        f"{high} 95%",
        f"{high} 99.8%",
        NOT_COMPARED,
    )
    for polarity, (low, _, high, _) in CI_LABELS.items()
}

#: Quintile of the areas' values, quintile 1 holding the lowest values.
QUINTILE_LABELS = {
    "low_is_good": ("Best", "Better", "Middle", "Worse", "Worst"),
    "high_is_good": ("Worst", "Worse", "Middle", "Better", "Best"),
    "no_judgement": ("Lowest", "Low", "Middle", "High", "Highest"),
}

CANNOT = "Cannot be calculated"
NO_CHANGE = "No significant change"
INCREASING = "Increasing"
DECREASING = "Decreasing"
#: Every recent-trend label, in display order.
TREND_LABELS = (
    "Increasing and getting worse",
    "Increasing and getting better",
    INCREASING,
    NO_CHANGE,
    DECREASING,
    "Decreasing and getting worse",
    "Decreasing and getting better",
    CANNOT,
)


def check_polarity(polarity: str, func: str) -> None:
    if polarity not in POLARITIES:
        raise ValueError(
            f"{func}: polarity must be one of {list(POLARITIES)}, not {polarity!r} "
            f"(drug-death rates: 'low_is_good')"
        )


def ci_category(direction: NDArray[np.int64], polarity: str) -> NDArray[np.object_]:
    """Labels for directions -1 (below), 0 (similar), +1 (above), 2 (not compared)."""
    low, similar, high, missing = CI_LABELS[polarity]
    if polarity == "high_is_good":
        low, high = high, low
    return np.select(
        [direction == -1, direction == 1, direction == 0], [low, high, similar], missing
    ).astype(object)


def funnel_category(level: NDArray[np.int64], polarity: str) -> NDArray[np.object_]:
    """Labels for levels -2 (below 99.8%), -1 (below 95%), 0, +1, +2, and 9 (not compared)."""
    labels = FUNNEL_CATEGORIES[polarity]
    lo2, lo1, similar, hi1, hi2, missing = labels
    if polarity == "high_is_good":
        lo2, lo1, hi1, hi2 = hi2, hi1, lo1, lo2
    return np.select(
        [level == -2, level == -1, level == 0, level == 1, level == 2],
        [lo2, lo1, similar, hi1, hi2],
        missing,
    ).astype(object)


def trend_label(direction: NDArray[np.int64], polarity: str) -> NDArray[np.object_]:
    """Labels for trends -1 (decreasing), 0 (no change), +1 (increasing), 9 (cannot)."""
    up, down = INCREASING, DECREASING
    if polarity == "low_is_good":
        up, down = f"{up} and getting worse", f"{down} and getting better"
    elif polarity == "high_is_good":
        up, down = f"{up} and getting better", f"{down} and getting worse"
    return np.select(
        [direction == 1, direction == -1, direction == 0], [up, down, NO_CHANGE], CANNOT
    ).astype(object)
