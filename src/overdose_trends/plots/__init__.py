"""Figures in one house style (the ``plots`` room).

* :mod:`~overdose_trends.plots.style` -- the style sheet, Okabe-Ito palette,
  :func:`~overdose_trends.plots.style.annotate` (title, units, source line and
  notes) and :func:`~overdose_trends.plots.style.save_figure` (PNG at 300 dpi,
  SVG and PDF with reproducible bytes);
* :mod:`~overdose_trends.plots.rates` -- rate trends and period comparisons;
* :mod:`~overdose_trends.plots.benchmark` -- funnel plot and ranking;
* :mod:`~overdose_trends.plots.national` -- national rates by substance;
* :mod:`~overdose_trends.plots.kits` -- kits against deaths, deaths averted;
* :mod:`~overdose_trends.plots.trends` -- joinpoint, interrupted-series and
  trend fits;
* :mod:`~overdose_trends.plots.controlled` -- controlled evaluation against
  comparison areas;
* :mod:`~overdose_trends.plots.inequality` -- inequality gradient (SII), spine
  chart and indirectly standardised ratios.

Every figure function is named ``plot_*``, takes the package's tidy tables or a
model result, accepts ``ax=`` and returns the Axes. The parameters every figure
shares (``ax``, ``title``, ``units``, ``source``, ``notes``, ``from_zero``,
``annotate``) mean the same everywhere and are documented once, in the private
``plots._docs``; the helpers the figures share (small-number markers, legends,
labels, table checks) are private too, in ``plots._common`` (and ``plots._fits``
for the model figures). Modules here may import
:mod:`overdose_trends.stats` and :mod:`overdose_trends.io`, never the report or
the CLI. Use the names from the front door (``import overdose_trends as ot``).
"""
