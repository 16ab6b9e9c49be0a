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
