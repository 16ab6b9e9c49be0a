"""How results show themselves: figures found by name, and small pieces of HTML.

Shared ground of the rooms whose results have a ``.plot()`` and a
``_repr_html_`` (shown by Jupyter): the trend-model fits of
:mod:`overdose_trends.stats.trends` and the validation report of the kit readers
(:mod:`overdose_trends.io.kit_log`, :mod:`overdose_trends.io.kit_counts`).
It imports no room.

Their figures live in :mod:`overdose_trends.plots`, a room above both:
readers and statistics never import figures (``tests/test_architecture.py``
checks every import statement). So, as pandas resolves its plotting backend by
name when ``DataFrame.plot`` is called, :func:`figure_function` imports the
figure module by its dotted name only when ``.plot()`` is called, and matplotlib
is never imported by reading a file or fitting a model.

The HTML helpers escape every text they are given; a table's cells are escaped
by :meth:`pandas.DataFrame.to_html`.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_ROWS", "figure_function", "html_list", "html_paragraph", "html_table"]

#: Most rows of a summary table shown by ``repr`` and in notebooks.
MAX_ROWS = 20


def figure_function(dotted: str) -> Callable[..., Any]:
    """The function named ``"package.module.function"``, its module imported now.

    The one place a reader's or a model's result reaches a figure: by name, at
    call time (see the module docstring).
    """
    module, _, name = dotted.rpartition(".")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def html_paragraph(text: str, *, strong: bool = False) -> str:
    """``text`` escaped, as a paragraph (in bold with ``strong``)."""
    body = html.escape(text)
    return f"<p><strong>{body}</strong></p>" if strong else f"<p>{body}</p>"


def html_list(items: Iterable[str]) -> str:
    """The ``items`` escaped, as a bulleted list (empty text when there are none)."""
    rows = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return f"<ul>{rows}</ul>" if rows else ""


def html_table(table: pd.DataFrame, max_rows: int = MAX_ROWS) -> str:
    """``table`` as HTML without its index, cells escaped, missing values blank."""
    return table.to_html(index=False, max_rows=max_rows, na_rep="", escape=True)
