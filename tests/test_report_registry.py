"""The figure registry: figures referred to by name, with their inputs and options."""

from __future__ import annotations

import dataclasses

import pytest
from matplotlib.figure import Figure

from overdose_trends.report.options import Options, as_count, option
from overdose_trends.report.registry import FigureSpec, Registry


@dataclasses.dataclass(frozen=True)
class _Opts(Options):
    n: int = option(3, as_count, "points")


def test_registry_rejects_bad_entries():
    reg = Registry()
    reg.figure("one", inputs=(), title="t", caption="c")(lambda d, c: Figure())
    with pytest.raises(ValueError, match="already used"):
        reg.figure("one", inputs=(), title="t", caption="c")(lambda d, c: Figure())
    with pytest.raises(ValueError, match="identifier"):
        reg.figure("two words", inputs=(), title="t", caption="c")(lambda d, c: Figure())
    with pytest.raises(ValueError, match="unknown input 'la_death'"):
        reg.figure("three", inputs=("la_death",), title="t", caption="c")(lambda d, c: Figure())


def test_registry_looks_up_by_name_in_page_order():
    reg = Registry()
    draw = reg.figure("b", inputs=("kit_log",), title="B", caption="c", options=_Opts)(
        lambda d, c: Figure()
    )
    reg.add(FigureSpec("a", draw, ("la_deaths", "b", "summary"), "A", "c"))
    assert reg.names() == ["b", "a"] and len(reg) == 2 and "a" in reg and "z" not in reg
    assert reg["b"].builder is draw and [s.name for s in reg] == ["b", "a"]
    assert reg.options() == {"b": _Opts}
    # a figure's hash covers its own section first, then the sections it reads
    assert reg["b"].sections == ("b",) and reg["b"].data_inputs == ("kit_log",)
    assert reg["a"].sections == ("b", "summary") and reg["a"].data_inputs == ("la_deaths",)
    with pytest.raises(KeyError, match="no figure named 'z'; the figures are b, a"):
        reg["z"]
    with pytest.raises(ValueError, match="options must be an Options dataclass"):
        reg.add(FigureSpec("c", draw, (), "C", "c", options=dict))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already used"):
        reg.add(FigureSpec("summary", draw, (), "S", "c"))
