"""The house rules, checked: import layers, no cycles, one name per thing, the front door.

The package is four rooms (``io``, ``stats``, ``plots``, ``report``) under the
command line (``cli``), on shared ground (``constants``, ``errors``, ``schema``,
``_frames``, ``_version``). Imports run only downwards; these tests read every
module's source (imports inside functions included) so a breach fails the suite.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

import overdose_trends as ot

PACKAGE = Path(ot.__file__).resolve().parent
SHARED = {"constants", "errors", "schema", "_frames", "_version", "_display", "_output"}
#: Room -> rooms it must never import.
FORBIDDEN = {
    "shared": {"io", "stats", "plots", "report", "cli", "front door"},
    "io": {"stats", "plots", "report", "cli", "front door"},
    "stats": {"io", "plots", "report", "cli", "front door"},
    "plots": {"report", "cli", "front door"},
    "report": {"cli", "front door"},
    "cli": {"front door"},
}
MAX_LINES = 900


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "front door"
    first = parts[1]
    if first in SHARED:
        return "shared"
    if first == "__main__":  # ``python -m overdose_trends`` is the command line
        return "cli"
    return first


def _imports(module: str) -> set[str]:
    """Package modules that ``module`` imports (anywhere in its source)."""
    path = _modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports are not used in this package
                pytest.fail(f"{module}: relative import; use absolute imports")
            base = node.module or ""
            names = [f"{base}.{a.name}" for a in node.names]
            names = [n if n in _modules() else base for n in names]
        else:
            continue
        for name in names:
            if name == "overdose_trends" or name.startswith("overdose_trends."):
                while name not in _modules() and "." in name:
                    name = name.rsplit(".", 1)[0]
                found.add(name)
    found.discard(module)
    return found


def test_layers_only_import_downwards():
    breaches = []
    for module in _modules():
        room = _room(module)
        if room == "front door":
            continue
        for target in _imports(module):
            if _room(target) in FORBIDDEN[room]:
                breaches.append(f"{module} ({room}) imports {target} ({_room(target)})")
    assert not breaches, "\n".join(breaches)


def test_no_import_cycles():
    graph = {m: _imports(m) - {"overdose_trends"} for m in _modules()}
    # a package's own __init__ is imported with each submodule; ignore that edge
    for m, targets in graph.items():
        graph[m] = {t for t in targets if not m.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _public_definitions() -> dict[str, list[str]]:
    """Public name -> public modules that define it (def, class or assignment)."""
    where: dict[str, list[str]] = defaultdict(list)
    for module, path in _modules().items():
        if any(part.startswith("_") for part in module.split(".")):
            continue  # private modules and the package __init__s' dunders
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            else:
                continue
            for name in names:
                if not name.startswith("_"):
                    where[name].append(module)
    return where


def test_no_public_name_is_defined_in_two_public_modules():
    twice = {n: m for n, m in _public_definitions().items() if len(m) > 1}
    assert not twice, "\n".join(f"{n}: {', '.join(m)}" for n, m in sorted(twice.items()))


def test_room_packages_are_not_doors():
    # the front door is the only re-exporting package: room __init__s hold a docstring only
    for module, path in _modules().items():
        if path.name == "__init__.py" and module != "overdose_trends":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            body = [n for n in tree.body if not isinstance(n, ast.Expr)]
            assert not body, f"{module}/__init__.py should hold only its docstring"


def test_no_module_is_over_the_size_limit():
    long = {
        m: n
        for m, p in _modules().items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


# --- the front door ---------------------------------------------------------------------


def test_front_door_names_all_resolve():
    for name in ot.__all__:
        assert getattr(ot, name) is not None, name
    assert set(ot.__all__) == {"DataFormatError", "__version__", *ot._EXPORTS, *ot._MODULES}
    assert sorted(dir(ot))  # __dir__ works without importing anything heavy
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ot.nope  # noqa: B018


def test_front_door_names_follow_the_house_convention():
    for name, module in ot._EXPORTS.items():
        obj = getattr(ot, name)
        assert obj.__module__ == f"overdose_trends.{module}" or name == "ValidationReport"
        if module.startswith("plots.") and inspect.isfunction(obj) and name != "house_style":
            assert name.startswith(("plot_", "save_")), name
        if module.startswith("stats.trends") and inspect.isfunction(obj):
            # models are fit_*; tests that compare fitted models are compare_*
            assert name.startswith(("fit_", "compare_")), name
    readers = [n for n in ot._EXPORTS if n.startswith("read_")]
    assert all(ot._EXPORTS[n].startswith("io.") for n in readers)


def test_import_is_light():
    code = (
        "import sys, overdose_trends as ot; "
        "heavy = {'matplotlib', 'scipy', 'statsmodels'} & set(sys.modules); "
        "assert not heavy, heavy; ot.fit_joinpoint; ot.plot_funnel; ot.compare_periods; "
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize("name", sorted(n for n in ot._EXPORTS if n[0].islower()))
def test_front_door_functions_have_numpydoc_with_a_runnable_example(name):
    func = getattr(ot, name)
    doc = inspect.getdoc(func) or ""
    sections = ["Returns", "Examples"]
    if inspect.signature(func).parameters:
        sections.insert(0, "Parameters")
    for section in sections:
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, f"{name}: no {section} section"
    examples = doc.split("\nExamples\n--------\n", 1)[1]
    assert ">>> " in examples and "doctest: +SKIP" not in examples, f"{name}: example not run"
