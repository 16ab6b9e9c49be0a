"""How a trend-model result shows itself: text, HTML, a summary table and its figure.

Private to :mod:`overdose_trends.stats.trends`. :class:`FitDisplay` is the one
place the three results (:class:`~overdose_trends.stats.trends.loglinear.TrendFit`,
:class:`~overdose_trends.stats.trends.joinpoint.JoinpointFit`,
:class:`~overdose_trends.stats.trends.interrupted.InterruptedFit`) get their
``__repr__``, ``_repr_html_`` (shown by Jupyter) and ``plot``; each result
supplies its ``summary()`` table, a one-line heading and the dotted name of its
figure function.

The figures live in :mod:`overdose_trends.plots.trends`, a room above this one:
statistics never import figures (``tests/test_architecture.py`` checks every
import statement). So :func:`overdose_trends._display.figure_function` (shared
with the kit readers' validation report) imports the figure module by its
dotted name only when ``.plot()`` is called, and matplotlib is never imported
by fitting a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from overdose_trends._display import (
    MAX_ROWS,
    figure_function,
    html_list,
    html_paragraph,
    html_table,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["FIGURES", "FitDisplay", "figure_function", "rounded"]

#: Dotted name of the figure function of each result (resolved at call time).
FIGURES = {
    "TrendFit": "overdose_trends.plots.trends.plot_trend",
    "JoinpointFit": "overdose_trends.plots.trends.plot_joinpoint",
    "InterruptedFit": "overdose_trends.plots.trends.plot_interrupted",
    "ControlledFit": "overdose_trends.plots.controlled.plot_controlled",
}


def _significant(values: pd.Series, figures: int) -> pd.Series:
    """``values`` rounded to ``figures`` significant figures (NaN stays NaN)."""
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        places = figures - 1 - np.floor(np.log10(np.abs(x)))
    places = np.where(np.isfinite(places), places, 0).astype(int)
    out = [round(float(v), int(d)) if np.isfinite(v) else v for v, d in zip(x, places, strict=True)]
    return pd.Series(out, index=values.index, dtype="float64")


def rounded(table: pd.DataFrame, digits: Mapping[str, int | str]) -> pd.DataFrame:
    """``table`` with the columns in ``digits`` rounded.

    An int is a number of decimals; ``"p"`` rounds a p-value to 2 significant
    figures (so that a p-value of 3.6e-35 does not show as 0).
    """
    out = table.copy()
    for column, places in digits.items():
        if places == "p":
            out[column] = _significant(out[column], 2)
        else:
            out[column] = out[column].astype("float64").round(int(places))
    return out


class FitDisplay:
    """Text, HTML and figure of a fit result, built from its ``summary()``.

    A result class sets ``_figure`` (a key of :data:`FIGURES`) and defines
    ``summary()`` and ``_heading()``; its dataclass has a ``notes`` field and is
    declared with ``repr=False`` so that this ``__repr__`` is used.
    """

    _figure: ClassVar[str] = ""
    notes: tuple[str, ...]

    def summary(self) -> pd.DataFrame:
        """The key numbers, one row per series (or per series and segment)."""
        raise NotImplementedError

    def _heading(self) -> str:
        """One line naming the model and its method."""
        raise NotImplementedError

    def __repr__(self) -> str:
        table = self.summary()
        lines = [self._heading(), table.to_string(index=False, max_rows=MAX_ROWS)]
        if self.notes:
            lines += ["Notes:", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [html_paragraph(self._heading(), strong=True), html_table(self.summary())]
        if self.notes:
            parts.append(html_paragraph("Notes:") + html_list(self.notes))
        return "\n".join(parts)

    def plot(self, series: Any = None, **kwargs: Any) -> Axes:
        """Draw the result's figure (from :mod:`overdose_trends.plots.trends`).

        Parameters
        ----------
        series : optional
            Which series to draw when there are several (as the figure function
            takes it: its ``by`` value, or a dict of them).
        **kwargs
            Passed to the figure function (``title=``, ``ax=``, ...).

        Returns
        -------
        matplotlib.axes.Axes
        """
        draw = figure_function(FIGURES[self._figure])
        axes: Axes = draw(self, series, **kwargs)
        return axes
