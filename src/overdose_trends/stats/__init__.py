"""Every statistic and model (the ``stats`` room).

* :mod:`~overdose_trends.stats.intervals` -- confidence-interval primitives
  (Byar, exact Poisson, Wilson, Dobson, normal);
* :mod:`~overdose_trends.stats.rates` -- crude and directly standardised rates,
  pooled periods, limits for published rates;
* :mod:`~overdose_trends.stats.compare` -- two periods compared;
* :mod:`~overdose_trends.stats.funnel` -- funnel limits, comparison with a
  benchmark, ranking;
* :mod:`~overdose_trends.stats.disclosure` -- small-count suppression;
* :mod:`~overdose_trends.stats.standardise` -- indirectly standardised ratios and
  rates (SMR/ISR);
* :mod:`~overdose_trends.stats.inequality` -- deprivation quantiles, slope and
  relative index of inequality;
* :mod:`~overdose_trends.stats.benchmarking` -- the Fingertips recent-trend marker;
* :mod:`~overdose_trends.stats.kit_metrics` and
  :mod:`~overdose_trends.stats.averted` -- take-home naloxone coverage and
  deaths averted;
* :mod:`~overdose_trends.stats.trends` -- log-linear trends, joinpoint
  regression, interrupted time series, controlled evaluation and joinpoint
  comparability tests.

Modules here never import :mod:`overdose_trends.io`,
:mod:`~overdose_trends.plots`, :mod:`~overdose_trends.report` or the CLI.
Use the names from the front door (``import overdose_trends as ot``).
"""
