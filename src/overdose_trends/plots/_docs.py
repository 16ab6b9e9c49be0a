"""Docstring components: the parameters every figure shares, documented once.

The ``plot_*`` functions share their last parameters (``ax``, ``title``,
``units``, ``source``, ``notes``, ``from_zero``, ``annotate``, and for the
model figures ``series`` and ``scale``). Their numpydoc entries are written
once here, in :data:`PARAMETERS`, and put into each function's docstring by
the :func:`figure_doc` decorator, which replaces a line ``{shared.<name>}`` in
the Parameters section by the entry of ``<name>`` (seaborn documents its
shared parameters the same way). Each entry may end with the function's own
default, given to the decorator::

    @figure_doc(title="from the measure and the areas")
    def plot_something(data, *, ax=None, title=None, ...):
        \"\"\"One line.

        Parameters
        ----------
        data : pandas.DataFrame
            ...
        {shared.ax}
        {shared.title}
        \"\"\"

A placeholder naming no entry, or a default for a name the docstring does not
use, raises when the module is imported, so a typo cannot reach the docs.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable
from types import MappingProxyType
from typing import TypeVar

__all__ = ["PARAMETERS", "figure_doc", "shared_names"]

_F = TypeVar("_F", bound=Callable[..., object])

#: ``name -> (first line, description, generic default)``; ``{default}`` in the
#: description is replaced by the function's default, or the generic one.
PARAMETERS = MappingProxyType(
    {
        "ax": (
            "ax : matplotlib.axes.Axes, optional",
            "Draw into this Axes (e.g. one panel of a larger figure; its style is "
            "left alone); otherwise into {default}.",
            "a new figure in the house style",
        ),
        "title": (
            "title : str, optional",
            "The title: what the figure shows. Default: {default}.",
            "from the data",
        ),
        "units": (
            "units : str, optional",
            "The units line under the title. Default: {default}.",
            "from the data",
        ),
        "source": (
            "source : str or sequence of str, optional",
            'The data source(s) of the "Source: ..." line, several joined with "; ". '
            "Default: {default}.",
            ":data:`~overdose_trends.plots.style.SOURCE_ONS_LA`",
        ),
        "notes": (
            "notes : sequence of str, default ()",
            "Extra notes under the source line, after the automatic ones ({default}).",
            "the small-number markers shown",
        ),
        "from_zero": (
            "from_zero : bool, default True",
            "Start the value axis at 0{default}.",
            "",
        ),
        "annotate": (
            "annotate : bool, optional",
            "Put the title, units line, source line and notes around the whole "
            "figure (:func:`~overdose_trends.plots.style.annotate`). Default: only "
            "when the function made the figure (no ``ax``); otherwise the title goes "
            "on the Axes and the rest is left to the caller.",
            "",
        ),
        "series": (
            "series : scalar, tuple or mapping, optional",
            "Which series to draw when the fit holds several (fitted with ``by=``): "
            "its key value (one ``by`` column), a tuple of key values in ``by`` "
            "order, or a ``{column: value}`` mapping. Default: the fit's only series.",
            "",
        ),
        "scale": (
            'scale : {"count", "rate"}, default "count"',
            "Draw deaths per time unit, or rates per ``fit.per`` population (only "
            "when the model had a population offset).",
            "",
        ),
    }
)

_PLACEHOLDER = re.compile(r"^\{shared\.(\w+)\}$", flags=re.MULTILINE)
_WIDTH = 79


def _entry(name: str, default: str | None) -> str:
    if name not in PARAMETERS:
        raise KeyError(f"figure_doc: no shared parameter {name!r}; known: {list(PARAMETERS)}")
    first, description, generic = PARAMETERS[name]
    text = description.replace("{default}", generic if default is None else default)
    body = textwrap.fill(
        text, _WIDTH, initial_indent="    ", subsequent_indent="    ",
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    return f"{first}\n{body}"


def shared_names(doc: str) -> list[str]:
    """The shared parameters a docstring template asks for, in order."""
    return _PLACEHOLDER.findall(inspect.cleandoc(doc))


def figure_doc(**defaults: str) -> Callable[[_F], _F]:
    """Decorator putting the shared parameter entries into a function's docstring.

    Parameters
    ----------
    **defaults : str
        The function's own default of a shared parameter, by name (e.g.
        ``units="deaths per year"``); it replaces the generic default of
        :data:`PARAMETERS`.

    Returns
    -------
    callable
        The decorator: it sets the function's ``__doc__`` (cleaned of its
        indentation, placeholders replaced) and returns the function.

    Raises
    ------
    KeyError
        For a placeholder without a shared entry or not alone on its line
        (at the docstring's indentation), or a default for a parameter the
        docstring does not use.
    """

    def decorate(func: _F) -> _F:
        doc = inspect.cleandoc(func.__doc__ or "")
        used = set(shared_names(doc))
        unused = sorted(set(defaults) - used)
        if unused:
            raise KeyError(f"figure_doc({func.__name__}): defaults for unused {unused}")
        doc = _PLACEHOLDER.sub(lambda m: _entry(m[1], defaults.get(m[1])), doc)
        if "{shared." in doc:  # e.g. a line break in a string broke the indentation
            raise KeyError(f"figure_doc({func.__name__}): a placeholder not on a line of its own")
        func.__doc__ = doc
        return func

    return decorate
