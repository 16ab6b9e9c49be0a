"""Take-home naloxone kit logs: loading, validation, coverage metrics and deaths averted.

The subpackage is organised by task; everything an analyst needs is importable
from here:

* :mod:`~overdose_trends.kits.log` -- :func:`read_log` reads a service's event
  log (CSV or Excel), drops personal identifiers and returns the tidy events
  with a :class:`ValidationReport` that accounts for every input row;
* :mod:`~overdose_trends.kits.counts` -- :func:`aggregate` turns events into
  monthly, quarterly or yearly counts; :func:`read_counts` reads published counts;
* :mod:`~overdose_trends.kits.metrics` -- kits per period, per 100,000
  population and per death, use and repeat-supply proportions, kits in circulation;
* :mod:`~overdose_trends.kits.averted` -- :func:`deaths_averted`, honest
  estimates beside the naive "every used kit is a life saved" figure;
* :mod:`~overdose_trends.kits.identifiers` -- how personal identifiers are
  recognised (header words; NHS/CHI numbers, e-mails, phone numbers and
  postcodes in cells) so that they are dropped on load;
* :func:`suppress_small` (from :mod:`overdose_trends.disclosure`) -- small-count
  suppression before publication.

Column layouts and vocabularies are in :mod:`~overdose_trends.kits.schema`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overdose_trends._lazy import lazy_exports

if TYPE_CHECKING:
    from overdose_trends.disclosure import suppress_small
    from overdose_trends.kits.averted import Prior, deaths_averted
    from overdose_trends.kits.counts import KitCounts, aggregate, read_counts
    from overdose_trends.kits.log import KitLog, ValidationReport, read_log
    from overdose_trends.kits.metrics import (
        in_circulation,
        kit_counts,
        per_death,
        per_population,
        rebucket,
        repeat_rate,
        use_rate,
    )

__all__ = [
    "KitCounts",
    "KitLog",
    "Prior",
    "ValidationReport",
    "aggregate",
    "deaths_averted",
    "in_circulation",
    "kit_counts",
    "per_death",
    "per_population",
    "read_counts",
    "read_log",
    "rebucket",
    "repeat_rate",
    "suppress_small",
    "use_rate",
]

# The exports are imported on first use (module-level __getattr__, PEP 562), so that importing
# one submodule, e.g. the loader, does not also import scipy for the deaths-averted model.
#: Module of each name in __all__.
_EXPORTS = {
    "suppress_small": "overdose_trends.disclosure",
    "Prior": "overdose_trends.kits.averted",
    "deaths_averted": "overdose_trends.kits.averted",
    "KitCounts": "overdose_trends.kits.counts",
    "aggregate": "overdose_trends.kits.counts",
    "read_counts": "overdose_trends.kits.counts",
    "KitLog": "overdose_trends.kits.log",
    "ValidationReport": "overdose_trends.kits.log",
    "read_log": "overdose_trends.kits.log",
    **dict.fromkeys(
        (
            "in_circulation",
            "kit_counts",
            "per_death",
            "per_population",
            "rebucket",
            "repeat_rate",
            "use_rate",
        ),
        "overdose_trends.kits.metrics",
    ),
}
#: Public submodules, importable as attributes too (``overdose_trends.kits.metrics``).
_SUBMODULES = ("averted", "counts", "identifiers", "log", "metrics", "schema")


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, _SUBMODULES)
