"""Trend models for death counts and rates, on statsmodels.

* :func:`fit_trend` (:mod:`~overdose_trends.trends.loglinear`) -- log-linear
  Poisson or negative-binomial trend with a population offset: annual percent
  change (APC) with its confidence interval, dispersion diagnostics and fitted
  values with intervals;
* :func:`joinpoint` (:mod:`~overdose_trends.trends.joinpoint`) -- joinpoint
  regression as in NCI's Joinpoint program: where a log-linear trend changes,
  segment APCs and the average annual percent change (AAPC);
* :func:`interrupted` (:mod:`~overdose_trends.trends.interrupted`) --
  interrupted time series (segmented regression) with a level and slope change
  at a known intervention, the counterfactual and the deaths averted.

Every model checks its input series first (too short, gaps, times out of order,
all-zero or invalid counts) and names the offending series in the error.

The functions :func:`interrupted` and :func:`joinpoint` share their names with
the submodules that define them. The package attribute is always the function
(``from overdose_trends.trends import joinpoint`` gives the function, whatever
was imported before); reach the modules as ``sys.modules[...]`` or import names
from them (``from overdose_trends.trends.joinpoint import JoinpointFit``).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from overdose_trends._lazy import lazy_exports

if TYPE_CHECKING:
    from overdose_trends.trends.interrupted import InterruptedFit, interrupted
    from overdose_trends.trends.joinpoint import JoinpointFit, joinpoint
    from overdose_trends.trends.loglinear import TrendFit, fit_trend

__all__ = ["InterruptedFit", "JoinpointFit", "TrendFit", "fit_trend", "interrupted", "joinpoint"]

#: Module of each name in __all__.
_EXPORTS = {
    "InterruptedFit": "overdose_trends.trends.interrupted",
    "interrupted": "overdose_trends.trends.interrupted",
    "JoinpointFit": "overdose_trends.trends.joinpoint",
    "joinpoint": "overdose_trends.trends.joinpoint",
    "TrendFit": "overdose_trends.trends.loglinear",
    "fit_trend": "overdose_trends.trends.loglinear",
}
_SUBMODULES = ("interrupted", "joinpoint", "loglinear")

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, _SUBMODULES)


class _Package(types.ModuleType):
    """This package, keeping a function bound where its submodule has the same name.

    Loading a submodule makes the import system set it as an attribute of its
    package (``trends.joinpoint = <module>``), which would hide the lazily
    exported function of the same name once the submodule had been imported
    by anything else first. The function is bound instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, types.ModuleType)
            and _EXPORTS.get(name) == value.__name__
            and hasattr(value, name)
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
