"""Sphinx configuration for the overdose_trends API reference.

Build with ``make docs`` (HTML in ``build/docs``); ``make test`` builds it with
warnings as errors. The pages are generated from the package itself:

* the home page lists the front door (``overdose_trends._EXPORTS``) grouped by
  room, through the ``front-door`` directive in ``_ext/ot_docs.py``;
* each API page documents every public module of its room, found by walking
  the package (``room-modules`` directive), so a new module appears without
  editing these files;
* the notebooks (``notebooks/``, reached through the ``docs/notebooks`` link)
  are rendered as committed, outputs stripped, without running them: the test
  suite runs them.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

from overdose_trends import __version__  # noqa: E402  (after the path set-up)

project = "overdose_trends"
author = "overdose_trends contributors"
copyright = "overdose_trends contributors"  # noqa: A001  (Sphinx's name)
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "ot_docs",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "figures"]
# Markdown pages and notebooks go through MyST-NB; .rst through docutils.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
default_role = "obj"  # `name` in a docstring is a cross-reference, as numpydoc expects

# --- autodoc / numpydoc -------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # methods a class inherits from the package's own bases (the fit results' .plot());
    # nothing from Python's built-in bases
    "inherited-members": "object,BaseException,tuple,dict,list",
}
# Types are written in the numpydoc ``Parameters`` sections; signatures stay short.
autodoc_typehints = "none"
numpydoc_show_class_members = False  # autodoc's :members: lists them once
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# Cross-references. There is no intersphinx (CI reaches package registries only, not
# other projects' object inventories), so references to objects of Python, pandas, numpy,
# scipy, matplotlib or statsmodels cannot resolve: nitpick_ignore_regex lists them.
# Nitpicky mode is on: every other unresolved reference (an object that moved, a private
# module named as if public) is a warning, so the strict build (-W) fails on it, as it
# does on bad reStructuredText, unknown roles, duplicate objects and modules that do not
# import.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(pandas|pd|numpy|np|scipy|matplotlib|statsmodels|datetime|os|hashlib|pathlib"
        r"|collections|typing|re|importlib)(\..*)?",
    ),
]

# --- notebooks (MyST-NB) ------------------------------------------------------------
nb_execution_mode = "off"  # rendered as committed; tests/test_notebooks.py runs them
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# --- HTML -----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"overdose_trends {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_show_sourcelink = False
html_copy_source = False
