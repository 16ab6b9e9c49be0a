"""The result tables of a joinpoint regression, from the chosen models.

Private to :mod:`overdose_trends.stats.trends.joinpoint`. :func:`assemble` refits
each series' chosen joinpoint model (:func:`~overdose_trends.stats.trends._joinpoint_fit.final_fit`)
and lays out the ``models``, ``segments``, ``fitted`` and ``selection`` tables
of :class:`~overdose_trends.stats.trends.joinpoint.JoinpointFit`, with what its
``aapc`` method needs (:class:`AapcInputs`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from overdose_trends._frames import plain
from overdose_trends.stats.trends._apc import apc_from_slope
from overdose_trends.stats.trends._joinpoint_fit import FinalFit, bootstrap_p, final_fit
from overdose_trends.stats.trends._joinpoint_select import SeriesSelection
from overdose_trends.stats.trends._series import SeriesSet, series_key, series_labels

__all__ = ["AapcInputs", "Tables", "assemble"]


@dataclass(frozen=True)
class AapcInputs:
    """What :meth:`JoinpointFit.aapc` needs of each series."""

    key_rows: pd.DataFrame
    fits: list[FinalFit]
    first: pd.Series  # original time values
    last: pd.Series
    time_unit: str
    labels: list[str]


@dataclass(frozen=True)
class Tables:
    """The tables of a :class:`~overdose_trends.stats.trends.joinpoint.JoinpointFit`."""

    models: pd.DataFrame
    segments: pd.DataFrame
    fitted: pd.DataFrame
    selection: pd.DataFrame
    results: dict[tuple[Hashable, ...], Any]
    aapc_inputs: AapcInputs
    locations: pd.DataFrame


def _as_python(values: pd.Series) -> tuple[Any, ...]:
    """Time values as a tuple of plain Python scalars / Timestamps / Periods."""
    return tuple(plain(v) for v in values.tolist())


def assemble(
    ss: SeriesSet,
    selections: list[SeriesSelection],
    *,
    observed: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    effective: list[int],
    method: str,
    ci_method: str,
    conf: float,
    variance_label: str,
    model: str,
) -> Tables:
    """Refit the chosen models with statsmodels and build the result tables."""
    times = ss.groups.data[ss.time_column].reset_index(drop=True)
    fits = []
    for g, choice in enumerate(selections):
        rows = ss.rows(g)
        positions = choice.sets[choice.chosen]
        fits.append(final_fit(ss.time[rows], y[rows], w[rows], positions, ci_method, choice.draws))
    models = _models_table(
        ss, selections, fits, times, effective,
        fixed={"model": model, "variance": variance_label, "selection": method,
               "ci_method": ci_method},
    )  # fmt: skip
    inputs = AapcInputs(
        key_rows=ss.groups.key_rows,
        fits=fits,
        first=models["first"],
        last=models["last"],
        time_unit=ss.time_unit,
        labels=series_labels(ss.groups),
    )
    return Tables(
        models=models,
        segments=_segments_table(ss, selections, fits, times, conf),
        fitted=_fitted_table(ss, fits, times, observed),
        selection=_selection_table(ss, selections, times),
        results={series_key(ss.groups, g): fit.results for g, fit in enumerate(fits)},
        aapc_inputs=inputs,
        locations=_locations_table(ss, selections, times, ci_method),
    )


def _models_table(
    ss: SeriesSet,
    selections: list[SeriesSelection],
    fits: list[FinalFit],
    times: pd.Series,
    effective: list[int],
    fixed: dict[str, str],
) -> pd.DataFrame:
    """One row per series: the chosen model."""
    names = (
        "model", "variance", "n_points", "first", "last", "max_joinpoints",
        "n_joinpoints", "joinpoints", "selection", "bic", "sse", "ci_method", "df",
    )  # fmt: skip
    rows: dict[str, list[Any]] = {name: [] for name in names}
    for g, (choice, fit) in enumerate(zip(selections, fits, strict=True)):
        span = ss.rows(g)
        positions = choice.sets[choice.chosen]
        for name, value in fixed.items():
            rows[name].append(value)
        rows["n_points"].append(span.stop - span.start)
        rows["first"].append(times.iloc[span.start])
        rows["last"].append(times.iloc[span.stop - 1])
        rows["max_joinpoints"].append(effective[g])
        rows["n_joinpoints"].append(len(positions))
        rows["joinpoints"].append(_as_python(times.iloc[[span.start + p for p in positions]]))
        rows["bic"].append(float(choice.bic[choice.chosen]))
        rows["sse"].append(float(choice.sse[choice.chosen]))
        rows["df"].append(fit.df)
    models = ss.groups.key_rows.copy()
    for name, values in rows.items():
        if name == "joinpoints":
            models[name] = pd.Series(values, dtype=object)
        elif name in ("first", "last"):
            models[name] = pd.Series(values, dtype=times.dtype)
        else:
            models[name] = values
    return models


def _segments_table(
    ss: SeriesSet,
    selections: list[SeriesSelection],
    fits: list[FinalFit],
    times: pd.Series,
    conf: float,
) -> pd.DataFrame:
    """One row per series and segment: its range and APC with t interval."""
    seg: dict[str, list[Any]] = {
        n: [] for n in ("g", "segment", "start_pos", "end_pos", "slope", "se", "df")
    }
    for g, (choice, fit) in enumerate(zip(selections, fits, strict=True)):
        span = ss.rows(g)
        positions = choice.sets[choice.chosen]
        bounds_pos = [0, *positions, span.stop - span.start - 1]
        ses = np.sqrt(np.diag(fit.cov))
        for s in range(len(positions) + 1):
            seg["g"].append(g)
            seg["segment"].append(s + 1)
            seg["start_pos"].append(span.start + bounds_pos[s])
            seg["end_pos"].append(span.start + bounds_pos[s + 1])
            seg["slope"].append(float(fit.slopes[s]))
            seg["se"].append(float(ses[s]))
            seg["df"].append(fit.df)
    unit = 12.0 if ss.time_unit == "month" else 1.0
    slope = np.asarray(seg["slope"])
    slope_se = np.asarray(seg["se"])
    df = np.asarray(seg["df"], dtype=float)
    with np.errstate(invalid="ignore"):
        tq = stats.t.ppf(0.5 + conf / 2.0, df)
        p_value = 2.0 * stats.t.sf(np.abs(slope / slope_se), df)
    apc, apc_lcl, apc_ucl = apc_from_slope(unit * slope, unit * slope_se, tq)
    g_seg = np.asarray(seg["g"], dtype=np.int64)
    _empirical_segments(fits, g_seg, np.asarray(seg["segment"]) - 1, conf, unit,
                        (apc_lcl, apc_ucl, p_value, slope_se))  # fmt: skip
    segments = ss.groups.key_rows.iloc[g_seg].reset_index(drop=True)
    segments["segment"] = np.asarray(seg["segment"], dtype=np.int64)
    segments["start"] = times.iloc[seg["start_pos"]].reset_index(drop=True)
    segments["end"] = times.iloc[seg["end_pos"]].reset_index(drop=True)
    segments["apc"] = apc
    segments["apc_lcl"] = apc_lcl
    segments["apc_ucl"] = apc_ucl
    segments["p_value"] = p_value
    segments["slope"] = slope
    segments["slope_se"] = slope_se
    return segments


def _empirical_segments(
    fits: list[FinalFit],
    g_seg: NDArray[np.int64],
    s_seg: NDArray[np.int64],
    conf: float,
    unit: float,
    columns: tuple[NDArray[np.float64], ...],
) -> None:
    """Overwrite limits, p-values and standard errors of resampled fits in place."""
    lcl, ucl, p_value, slope_se = columns
    quantiles = [(1.0 - conf) / 2.0, (1.0 + conf) / 2.0]
    for i, (g, s) in enumerate(zip(g_seg, s_seg, strict=True)):
        draws = fits[g].draw_slopes
        if draws is None:
            continue
        values = draws[:, s]
        lo, hi = np.quantile(values, quantiles)
        lcl[i] = 100.0 * np.expm1(unit * lo)
        ucl[i] = 100.0 * np.expm1(unit * hi)
        p_value[i] = bootstrap_p(values)
        slope_se[i] = float(np.std(values, ddof=1))


def _locations_table(
    ss: SeriesSet, selections: list[SeriesSelection], times: pd.Series, ci_method: str
) -> pd.DataFrame:
    """One row per series and joinpoint: its time and the interval for it."""
    rows: dict[str, list[Any]] = {n: [] for n in ("g", "joinpoint", "pos", "lo", "hi")}
    for g, choice in enumerate(selections):
        start = ss.rows(g).start
        for j, position in enumerate(choice.sets[choice.chosen]):
            limits = choice.locations[j] if j < len(choice.locations) else None
            rows["g"].append(g)
            rows["joinpoint"].append(j + 1)
            rows["pos"].append(start + position)
            rows["lo"].append(None if limits is None else start + limits[0])
            rows["hi"].append(None if limits is None else start + limits[1])
    g_loc = np.asarray(rows["g"], dtype=np.int64)
    table = ss.groups.key_rows.iloc[g_loc].reset_index(drop=True)
    table["joinpoint"] = np.asarray(rows["joinpoint"], dtype=np.int64)

    def at(positions: list[int | None]) -> pd.Series:
        known = [p for p in positions if p is not None]
        values = times.iloc[known].reset_index(drop=True)
        out = pd.Series([pd.NA] * len(positions), dtype=object)
        out[[i for i, p in enumerate(positions) if p is not None]] = list(values)
        return out.astype(times.dtype) if len(known) == len(positions) else out

    table["time"] = at(rows["pos"])
    table["lcl"] = at(rows["lo"])
    table["ucl"] = at(rows["hi"])
    table["method"] = pd.array(
        ["empirical" if ci_method == "empirical" else "profile"] * len(table), dtype="str"
    )
    return table


def _fitted_table(
    ss: SeriesSet, fits: list[FinalFit], times: pd.Series, observed: NDArray[np.float64]
) -> pd.DataFrame:
    """One row per series and time point: observed and fitted values and the segment."""
    fitted_log = np.empty_like(observed)
    segment_of = np.empty(observed.size, dtype=np.int64)
    for g, fit in enumerate(fits):
        rows = ss.rows(g)
        fitted_log[rows] = fit.log_fitted
        segment_of[rows] = 1 + np.searchsorted(fit.bounds[1:-1], ss.time[rows], side="left")
    fitted = ss.groups.key_rows.iloc[ss.groups.gid].reset_index(drop=True)
    fitted["time"] = times
    fitted["observed"] = observed
    fitted["fitted"] = np.exp(fitted_log)
    fitted["segment"] = segment_of
    return fitted


def _selection_table(
    ss: SeriesSet, selections: list[SeriesSelection], times: pd.Series
) -> pd.DataFrame:
    """How the number of joinpoints was chosen: the candidates, then the tests."""
    names = (
        "g", "test", "k", "joinpoints", "sse", "bic", "bic3", "wbic_weight", "wbic",
        "p_value", "p_se", "alpha_level", "chosen", "k_null", "statistic",
        "n_permutations", "reject", "near_level",
    )  # fmt: skip
    sel: dict[str, list[Any]] = {n: [] for n in names}

    def add(**values: Any) -> None:
        for name in names:
            sel[name].append(values[name])

    for g, choice in enumerate(selections):
        start = ss.rows(g).start

        def jp(k: int, start: int = start, choice: SeriesSelection = choice) -> tuple[Any, ...]:
            return _as_python(times.iloc[[start + p for p in choice.sets[k]]])

        def criteria(k: int, choice: SeriesSelection = choice) -> dict[str, float]:
            def value(a: NDArray[np.float64] | None) -> float:
                return np.nan if a is None else float(a[k])

            return {
                "sse": float(choice.sse[k]), "bic": float(choice.bic[k]),
                "bic3": value(choice.bic3), "wbic_weight": value(choice.wbic_weight),
                "wbic": value(choice.wbic),
            }  # fmt: skip

        for k in range(len(choice.sets)):
            add(
                g=g, test="", k=k, joinpoints=jp(k), **criteria(k), p_value=np.nan,
                p_se=np.nan, alpha_level=np.nan, chosen=k == choice.chosen, k_null=pd.NA,
                statistic=np.nan, n_permutations=pd.NA, reject=pd.NA, near_level=pd.NA,
            )  # fmt: skip
        for test in choice.tests:
            k = test.k_alt
            add(
                g=g, test=f"{test.k_null} vs {k}", k=k, joinpoints=jp(k), **criteria(k),
                p_value=test.p_value, p_se=test.p_se, alpha_level=test.alpha_level,
                chosen=False, k_null=test.k_null, statistic=test.statistic,
                n_permutations=test.n_permutations, reject=test.reject,
                near_level=test.near_level,
            )  # fmt: skip
    g_sel = np.asarray(sel.pop("g"), dtype=np.int64)
    selection = ss.groups.key_rows.iloc[g_sel].reset_index(drop=True)
    for name, values in sel.items():
        if name == "joinpoints":
            column: Any = pd.Series(values, dtype=object)
        elif name in ("k_null", "n_permutations"):
            column = pd.array(values, dtype="Int64")
        elif name in ("reject", "near_level"):
            column = pd.array(values, dtype="boolean")
        elif name == "test":
            column = pd.array(values, dtype="str")
        else:
            column = values
        selection[name] = column
    return selection
