"""Trend models for death counts and rates, on statsmodels.

* :mod:`~overdose_trends.stats.trends.loglinear` -- :func:`fit_trend
  <overdose_trends.stats.trends.loglinear.fit_trend>`, a log-linear Poisson or
  negative-binomial trend with a population offset (annual percent change);
* :mod:`~overdose_trends.stats.trends.joinpoint` -- :func:`fit_joinpoint
  <overdose_trends.stats.trends.joinpoint.fit_joinpoint>`, joinpoint regression
  as in NCI's Joinpoint program (segment APCs and the AAPC);
* :mod:`~overdose_trends.stats.trends.interrupted` -- :func:`fit_interrupted
  <overdose_trends.stats.trends.interrupted.fit_interrupted>`, an interrupted time
  series with a level and slope change at a known date, the counterfactual and
  the deaths averted.

Every model checks its input series first (too short, gaps, times out of order,
all-zero or invalid counts) and names the offending series in the error.
"""
