"""Figures for reports, in one house style (matplotlib is imported only when a name is used).

* :mod:`~overdose_trends.plotting.style` -- the style sheet (:data:`STYLE`,
  Okabe-Ito :data:`PALETTE`, DejaVu Sans), :func:`house_style`,
  :func:`annotate` (title, units, "Source: ..." line and notes on every
  figure) and :func:`save` (PNG at 300 dpi, SVG and PDF with reproducible bytes);
* :mod:`~overdose_trends.plotting.rates` -- :func:`rate_trend` (rates over
  periods with confidence bands; unreliable and not-calculated rates marked)
  and :func:`period_comparison` (before/after with the verdict);
* :mod:`~overdose_trends.plotting.benchmark` -- :func:`funnel_plot` (95% and
  99.8% limits, outliers labelled) and :func:`ranking` (caterpillar chart);
* :mod:`~overdose_trends.plotting.national` -- :func:`substances` (national
  rates by substance mentioned);
* :mod:`~overdose_trends.plotting.kits` -- :func:`kits_vs_deaths` and
  :func:`deaths_averted` (estimates beside the naive claim);
* :mod:`~overdose_trends.plotting.trends` -- :func:`joinpoint_fit` (segments
  and their APCs), :func:`interrupted_fit` (observed against the
  counterfactual) and :func:`trend_fit` (a log-linear trend with its band).

Every helper takes the package's tidy tables, accepts ``ax=`` (draws into it;
otherwise makes a new figure in the house style and annotates it) and returns
the Axes. Figures made by the helpers are ``pyplot`` figures: close them
(``plt.close(ax.figure)``) when saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overdose_trends._lazy import lazy_exports

if TYPE_CHECKING:
    from overdose_trends.plotting.benchmark import funnel_plot, ranking
    from overdose_trends.plotting.kits import deaths_averted, kits_vs_deaths
    from overdose_trends.plotting.national import substances
    from overdose_trends.plotting.rates import period_comparison, rate_trend
    from overdose_trends.plotting.style import (
        NOTE_NOT_CALCULATED,
        NOTE_SYNTHETIC_KITS,
        NOTE_UNRELIABLE,
        PALETTE,
        SOURCE_ONS_LA,
        SOURCE_ONS_NATIONAL,
        SOURCE_SYNTHETIC_KITS,
        STYLE,
        UNITS_ASMR_MILLION,
        UNITS_ASR_100K,
        annotate,
        house_style,
        save,
    )
    from overdose_trends.plotting.trends import interrupted_fit, joinpoint_fit, trend_fit

__all__ = [
    "NOTE_NOT_CALCULATED",
    "NOTE_SYNTHETIC_KITS",
    "NOTE_UNRELIABLE",
    "PALETTE",
    "SOURCE_ONS_LA",
    "SOURCE_ONS_NATIONAL",
    "SOURCE_SYNTHETIC_KITS",
    "STYLE",
    "UNITS_ASMR_MILLION",
    "UNITS_ASR_100K",
    "annotate",
    "deaths_averted",
    "funnel_plot",
    "house_style",
    "interrupted_fit",
    "joinpoint_fit",
    "kits_vs_deaths",
    "period_comparison",
    "ranking",
    "rate_trend",
    "save",
    "substances",
    "trend_fit",
]

#: Submodule of each figure helper; the other names of __all__ come from ``style``.
_HELPERS = {
    "period_comparison": "rates",
    "rate_trend": "rates",
    "funnel_plot": "benchmark",
    "ranking": "benchmark",
    "substances": "national",
    "deaths_averted": "kits",
    "kits_vs_deaths": "kits",
    "interrupted_fit": "trends",
    "joinpoint_fit": "trends",
    "trend_fit": "trends",
}
#: Module of each name in __all__.
_EXPORTS = {n: f"overdose_trends.plotting.{_HELPERS.get(n, 'style')}" for n in __all__}

#: Public submodules, importable as attributes too (``overdose_trends.plotting.style``).
_SUBMODULES = ("benchmark", "kits", "national", "rates", "style", "trends")

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, _SUBMODULES)
