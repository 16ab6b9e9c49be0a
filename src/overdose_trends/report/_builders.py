"""What the report's figure builders share: the registry and the drawing helpers.

Private to :mod:`overdose_trends.report`; the builders live in
:mod:`overdose_trends.report.figures` (and ``report/_figures_areas.py``), which
register themselves in ``REGISTRY`` when imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overdose_trends.report._common import display_name
from overdose_trends.report.data import ReportData
from overdose_trends.report.options import Options
from overdose_trends.report.registry import Registry

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The report's figures, in page order.
REGISTRY = Registry()

# Bounds of numeric options (a mistyped 1e12 is refused, not run out of memory).
_MAX_DRAWS = 1_000_000  # Monte Carlo draws: +-0.1% precision on a 95% limit is ample
_MAX_SEED = 2**32 - 1  # numpy's legacy seed range
_MAX_KITS = 100_000_000  # more kits than England has people at risk, by far

# --- helpers for builders -----------------------------------------------------------------------


def _figure(width: float = 8.0, height: float = 5.0) -> tuple[Figure, Axes]:
    """A new Figure (not registered with pyplot, so nothing to close) and its single Axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)  # a canvas that can measure text (label placement needs a renderer)
    return fig, fig.add_subplot()


def _draw(plot: Callable[..., Any], *args: Any, size: tuple[float, float], **kwargs: Any) -> Figure:
    """A new Figure of ``size`` inches with ``plot(*args, ax=..., annotate=True, **kwargs)`` on it.

    ``plot`` is an :mod:`overdose_trends.plots` helper: it draws into the
    Axes and adds the figure's title, units, source line and notes.
    """
    fig, ax = _figure(*size)
    plot(*args, ax=ax, annotate=True, **kwargs)
    return fig


def _require(section: str, key: str, codes: tuple[str, ...], present: pd.Series) -> None:
    missing = [c for c in codes if c not in set(present)]
    if missing:
        raise ValueError(f"[{section}] {key}: no data for area code(s) {', '.join(missing)}")


def _in_order(section: str, opts: Options, first: str, last: str) -> None:
    """Raise unless option ``first`` is at most option ``last`` (years)."""
    if getattr(opts, last) < getattr(opts, first):
        raise ValueError(
            f"[{section}] {last} {getattr(opts, last)} is before {first} {getattr(opts, first)}"
        )


def _names(la: pd.DataFrame, codes: tuple[str, ...]) -> list[str]:
    lookup = la.drop_duplicates("area_code").set_index("area_code")["area_name"]
    return [display_name(str(lookup.get(c, c))) for c in codes]


def _subject(opts: Options) -> str:
    """``"Deaths related to drug poisoning (persons)"`` from the options' measure and sex."""
    return f"Deaths related to drug {opts.measure} ({opts.sex})"  # type: ignore[attr-defined]


def _la_source(data: ReportData) -> str:
    """Source line of the local-authority data: the shipped edition or the workbook's name."""
    from overdose_trends.plots.style import SOURCE_ONS_LA

    if data.config.workbook is None:
        return SOURCE_ONS_LA
    return f"ONS, Deaths related to drug poisoning by local authority ({data.config.workbook.name})"


def _national_source(data: ReportData) -> str:
    from overdose_trends.plots.style import SOURCE_ONS_NATIONAL

    if data.config.national_workbook is None:
        return SOURCE_ONS_NATIONAL
    return (
        "ONS, Deaths related to drug poisoning in England and Wales "
        f"({data.config.national_workbook.name})"
    )


def _with_population(
    section: str, data: ReportData, deaths: pd.DataFrame, first: int, last: int
) -> pd.DataFrame:
    """Single-year ``deaths`` rows with a ``year`` column and each area's population that year.

    Refuses, naming ``[section]``, years whose population lacks age bands (a sum would
    undercount) and area-years with no population estimate at all.
    """
    codes = deaths["area_code"].unique()
    pop = data.population
    bands = pop[pop["area_code"].isin(codes) & pop["year"].between(first, last)]
    if bands["population"].isna().any():
        years = sorted(bands.loc[bands["population"].isna(), "year"].unique())
        raise ValueError(f"[{section}] population lacks age bands in {years}; set first later")
    population = bands.groupby(["area_code", "year"], as_index=False)["population"].sum()
    series = deaths.assign(year=deaths["period_start"])[
        ["area_code", "area_name", "year", "deaths"]
    ].merge(population, on=["area_code", "year"], how="left", validate="one_to_one")
    missing = series[series["population"].isna()]
    if not missing.empty:
        code = missing["area_code"].iloc[0]
        years = sorted(missing.loc[missing["area_code"] == code, "year"].tolist())
        raise ValueError(f"[{section}] area_code: no population estimates for {code} in {years}")
    return series
