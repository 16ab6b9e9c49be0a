"""Sphinx directives that generate the overdose_trends reference from the package.

``.. front-door::``
    The vocabulary of ``import overdose_trends as ot``, read from
    ``overdose_trends._EXPORTS`` (and ``_MODULES``/``__all__``), grouped by room:
    readers, statistics, models, figures, report. Each name links to its
    documentation on the room page, with the first sentence of its docstring.

``.. room-modules:: overdose_trends.io [more modules ...]``
    One section per public module (no path component starting with ``_``),
    walking packages recursively, each rendered with ``automodule``. New modules
    appear without editing the pages.

Nothing is written to disk: both directives parse the reStructuredText they
build in place. An ``include-read`` hook points links between the repository's
Markdown files (README -> data/README.md) at the pages that include them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

PACKAGE = "overdose_trends"

#: Rooms in reading order: (dotted prefix of the defining module, heading, blurb).
#: A name goes to the group with the longest prefix of its module (``stats.trends``
#: before ``stats``).
GROUPS = (
    ("io", "Readers", "Read ONS workbooks, population estimates and kit logs into tidy tables."),
    ("stats", "Statistics", "Rates, intervals, comparisons, disclosure control, kit metrics."),
    ("stats.trends", "Models", "Trend models fitted to death counts or published rates."),
    ("plots", "Figures", "Report figures in the house style; each accepts ``ax=``."),
    ("report", "Report", "The report command, callable from Python."),
    ("errors", "Errors", "Exceptions raised by the readers."),
)


#: ``:func:`~a.b.name``` or ``:func:`text <a.b.name>``` in a docstring's first sentence.
_ROLE = re.compile(r":(?:py:)?[a-z]+:`~?(?:([^`<]*?)\s*<[^>]*>|([^`]*))`")
#: The end of a sentence: a full stop, space and a capital ("(e.g. 2013-15" goes on).
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])")


def _summary(obj: Any) -> str:
    """First sentence of an object's docstring, on one line.

    Cross-references become literals: they were written to resolve in the
    object's own module, not on the home page.
    """
    doc = inspect.getdoc(obj) or ""
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    first = _ROLE.sub(lambda m: f"``{m.group(1) or m.group(2).rsplit('.', 1)[-1]}``", first)
    return _SENTENCE_END.split(first, 1)[0].rstrip(".") + "." if first else ""


def _front_door_rows() -> dict[str, list[tuple[str, str, str]]]:
    """Front-door names by group heading: (name, defining path, summary)."""
    ot = importlib.import_module(PACKAGE)
    exports: dict[str, str] = dict(ot._EXPORTS)
    for name in ot.__all__:  # eager names such as DataFormatError
        if name not in exports and name not in ot._MODULES and not name.startswith("__"):
            exports[name] = getattr(ot, name).__module__.removeprefix(PACKAGE + ".")
    rows: dict[str, list[tuple[str, str, str]]] = {heading: [] for _, heading, _ in GROUPS}
    for name, module in exports.items():
        matches = [
            (len(prefix), h)
            for prefix, h, _ in GROUPS
            if module == prefix or module.startswith(prefix + ".")
        ]
        if not matches:
            raise ValueError(f"front-door name {name!r} from {module!r} fits no group in GROUPS")
        obj = getattr(importlib.import_module(f"{PACKAGE}.{module}"), name)
        rows[max(matches)[1]].append((name, f"{PACKAGE}.{module}.{name}", _summary(obj)))
    return rows


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    lines = [".. list-table::", "   :widths: 30 70", "   :class: front-door", ""]
    for name, target, summary in rows:
        lines += [f"   * - :py:obj:`ot.{name} <{target}>`", f"     - {summary}"]
    return [*lines, ""]


class FrontDoor(SphinxDirective):
    """The front-door vocabulary, grouped by room."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        try:
            rows = _front_door_rows()
        except (ImportError, AttributeError) as exc:
            raise self.error(f"front-door: {type(exc).__name__}: {exc}") from exc
        ot = importlib.import_module(PACKAGE)
        lines: list[str] = []
        for _, heading, blurb in GROUPS:
            if rows[heading]:
                lines += [f".. rubric:: {heading}", "", blurb, "", *_table(rows[heading])]
        modules = ", ".join(
            f":py:mod:`ot.{name} <{PACKAGE}.{path}>`" for name, path in ot._MODULES.items()
        )
        lines += [".. rubric:: Modules", "", f"Also reachable as attributes: {modules}.", ""]
        return self._parse(lines)

    def _parse(self, lines: list[str]) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="<front-door>"), node)
        return node.children


def _public_modules(name: str) -> list[str]:
    """``name`` and, for a package, every public module below it, depth first."""
    module: ModuleType = importlib.import_module(name)
    found = [name]
    if hasattr(module, "__path__"):
        for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                found += _public_modules(f"{name}.{info.name}")
    return found


class RoomModules(SphinxDirective):
    """``automodule`` sections for the public modules of one or more rooms."""

    required_arguments = 1
    optional_arguments = 20
    has_content = False

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        try:
            names = [name for root in self.arguments for name in _public_modules(root)]
        except ImportError as exc:  # a build error (fails -W), not a traceback
            raise self.error(f"room-modules: cannot import {exc.name or ''}: {exc}") from exc
        for name in names:
            title = f"``{name.removeprefix(PACKAGE + '.')}``"
            lines += [title, "-" * len(title), "", f".. automodule:: {name}", ""]
            self.env.note_dependency(inspect.getfile(importlib.import_module(name)))
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="<room-modules>"), node)
        return node.children


#: Links between the repository's Markdown files -> the page that includes the target
#: (``/`` = the documentation root), so that a link that works on a repository host
#: also works in the site.
INCLUDED_LINKS = {
    "](data/README.md)": "](/data.md)",
    "](CHANGELOG.md)": "](/changelog.md)",
}


def _rewrite_links(app: Sphinx, path: Any, docname: str, content: list[str]) -> None:
    """``include-read``: point links in included Markdown files at their pages."""
    if str(path).endswith(".md"):
        for old, new in INCLUDED_LINKS.items():
            content[0] = content[0].replace(old, new)


def _public_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: list[type]) -> None:
    """``autodoc-process-bases``: show a private base's own bases instead of it.

    The fit results share ``overdose_trends.stats.trends._display.FitDisplay``;
    its methods are documented on each result (``inherited-members``), so the
    private class itself need not appear.
    """
    i = 0
    while i < len(bases):
        base = bases[i]
        if any(part.startswith("_") for part in base.__module__.split(".")[1:]):
            bases[i : i + 1] = [b for b in base.__bases__ if b is not object]
        else:
            i += 1


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-bases", _public_bases)
    app.add_directive("front-door", FrontDoor)
    app.add_directive("room-modules", RoomModules)
    app.connect("include-read", _rewrite_links)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
