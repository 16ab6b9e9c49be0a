"""Import a subpackage's public names on first use (module ``__getattr__``, PEP 562).

Private to the package. Subpackages whose exports pull in heavy libraries
(scipy for the kit models, statsmodels for the trends, matplotlib for the
figures) list their exports here, so that importing one light submodule does
not import everything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str,
    namespace: dict[str, Any],
    exports: Mapping[str, str],
    submodules: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for a package's lazy exports.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    namespace : dict
        The package's ``globals()``; a name is cached there on first use.
    exports : mapping
        Public name -> module that defines it.
    submodules : iterable of str
        Submodule names also reachable as attributes.

    Returns
    -------
    (getattr, dir)
        Assign them to the package's ``__getattr__`` and ``__dir__``.
    """
    subs = tuple(submodules)

    def getattr_(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in subs:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value  # later look-ups skip __getattr__
        return value

    def dir_() -> list[str]:
        public = namespace.get("__all__", ())
        return sorted({*public, *subs, *(n for n in namespace if n.startswith("__"))})

    return getattr_, dir_
