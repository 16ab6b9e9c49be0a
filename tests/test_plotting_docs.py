"""Shared plot parameters documented once (overdose_trends.plots._docs) and every figure's
docstring a complete numpydoc one."""

from __future__ import annotations

import inspect

import pytest
from numpydoc.docscrape import FunctionDoc

import overdose_trends as ot
from overdose_trends.plots._docs import PARAMETERS, figure_doc

FIGURES = sorted(n for n in ot._EXPORTS if n.startswith("plot_"))


def test_every_figure_is_listed():
    assert FIGURES == [
        "plot_controlled", "plot_deaths_averted", "plot_funnel", "plot_inequality",
        "plot_interrupted", "plot_isr", "plot_joinpoint", "plot_kits_vs_deaths", "plot_map",
        "plot_period_comparison", "plot_ranking", "plot_rate_trend", "plot_spine",
        "plot_substances", "plot_trend", "plot_validation",
    ]  # fmt: skip


@pytest.mark.parametrize("name", FIGURES)
def test_shared_parameters_come_from_the_docstring_components(name):
    func = getattr(ot, name)
    doc = func.__doc__
    signature = inspect.signature(func).parameters
    shared = [p for p in signature if p in PARAMETERS]
    assert {"ax", "title", "source", "notes", "annotate"} <= set(shared)
    for param in shared:
        first_line, description, _default = PARAMETERS[param]
        assert f"\n{first_line}\n" in doc, (name, param)
        opening = description.split("{default}")[0].split()[:4]
        assert " ".join(opening) in " ".join(doc.split()), (name, param)
    assert "{shared." not in doc
    assert "As in" not in doc  # no cross-references instead of documentation


@pytest.mark.parametrize("name", FIGURES)
def test_docstring_parses_as_numpydoc_with_every_parameter(name):
    func = getattr(ot, name)
    doc = FunctionDoc(func)
    documented = [p.name for p in doc["Parameters"]]
    assert documented == list(inspect.signature(func).parameters), name
    assert all(p.desc for p in doc["Parameters"]), name
    assert doc["Summary"] and doc["Returns"] and doc["Examples"], name
    examples = "\n".join(doc["Examples"])
    assert ">>> " in examples and f"ot.{name}(" in examples, name  # runs on the front door


def test_figure_doc_fills_placeholders_with_the_functions_defaults():
    @figure_doc(title="the answer")
    def plot_it(ax=None, title=None):
        """Draw it.

        Parameters
        ----------
        {shared.ax}
        {shared.title}

        Returns
        -------
        int
        """

    doc = plot_it.__doc__
    assert doc.startswith("Draw it.\n\nParameters\n----------\nax : matplotlib.axes.Axes")
    assert "title : str, optional\n    The title: what the figure shows. Default: the answer." in (
        doc
    )
    assert "a new figure in the house style" in doc  # the generic default of ax


def test_figure_doc_rejects_mistakes():
    def template(doc):
        def f():
            pass

        f.__doc__ = doc
        return f

    with pytest.raises(KeyError, match="no shared parameter 'colour'"):
        figure_doc()(template("One.\n\n    {shared.colour}\n"))
    with pytest.raises(KeyError, match=r"defaults for unused \['units'\]"):
        figure_doc(units="x")(template("One.\n\n    {shared.ax}\n"))
    with pytest.raises(KeyError, match="not on a line of its own"):
        figure_doc()(template("One.\n\n    see {shared.ax}\n"))
