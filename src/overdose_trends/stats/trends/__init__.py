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
  the deaths averted;
* :mod:`~overdose_trends.stats.trends.controlled` -- :func:`fit_controlled
  <overdose_trends.stats.trends.controlled.fit_controlled>`, a controlled evaluation
  of a programme start against comparison areas (comparative interrupted time series
  or synthetic control);
* :mod:`~overdose_trends.stats.trends.comparability` -- :func:`compare_joinpoint
  <overdose_trends.stats.trends.comparability.compare_joinpoint>`, are two joinpoint
  trends parallel or coincident (Kim et al. 2004).

Every model takes the readers' output as it comes (rows in any order are sorted
by series and time; without a ``year`` column, single registration years are
read from ``period_start``), checks its input series first (too short, gaps,
repeated times, all-zero or invalid counts) and names the offending series in
the error. Every result has a ``summary()`` table, ``notes`` on what was done
to the input, a notebook display and ``plot()``.
"""
