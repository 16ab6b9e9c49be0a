"""Figure of a controlled evaluation: the treated area against its controlled counterfactual.

:func:`plot_controlled` draws a
:class:`~overdose_trends.stats.trends.controlled.ControlledFit`: the treated
area's crude rates, the comparison (the comparison areas' pooled rate and
fitted trend for a comparative interrupted time series; the synthetic control
for a synthetic control), the controlled counterfactual from the programme
start with its interval (CITS), the start as a vertical line named neutrally
(the date and the programme, not a cause) and a box with the step and the
deaths difference in words ("N fewer/more deaths than the comparison
predicts", never a negative number averted).

References
----------
Lopez Bernal J, Cummins S, Gasparrini A (2018). The use of controls in
interrupted time series studies of public health interventions. *International
Journal of Epidemiology* 47(6):2082-2093.

Abadie A, Diamond A, Hainmueller J (2010). Synthetic control methods for
comparative case studies. *Journal of the American Statistical Association*
105(490):493-505 (treated versus synthetic path, the start marked).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from overdose_trends.plots import style
from overdose_trends.plots._common import annotating, figure_axes, finish, point_status, units_for
from overdose_trends.plots._docs import figure_doc
from overdose_trends.plots._fits import (
    BEFORE_COLOR,
    TALL_FIGSIZE,
    draw_counterfactual,
    draw_effects_box,
    draw_observed,
    draw_start_line,
    fit_legend,
    headroom,
    label_axes,
    model_notes,
    p_text,
    pct_text,
    ratio,
    to_x,
)

if TYPE_CHECKING:
    from overdose_trends.stats.trends.controlled import ControlledFit

__all__ = ["plot_controlled"]

#: Colour of the comparison areas (or synthetic control) when they are not the counterfactual.
COMPARISON_COLOR = "#7F7F7F"
_MAX_NAMED = 8
_FAMILIES = {"quasipoisson": "quasi-Poisson", "poisson": "Poisson", "negbin": "negative binomial"}


def _names(fit: ControlledFit) -> str:
    names = list(fit.control_names)
    shown = ", ".join(names[:_MAX_NAMED])
    return shown + (f" and {len(names) - _MAX_NAMED} more" if len(names) > _MAX_NAMED else "")


def _ratio(value: float) -> str:
    """A ratio with 2 decimals; an unbounded limit as the infinity sign."""
    return "\u221e" if value == np.inf else ratio(value)


def _box(fit: ControlledFit, t0: str) -> str:
    effects = fit.effects
    i = effects["effect"].tolist().index("step")
    step = {k: float(effects[k].iloc[i]) for k in ("estimate", "lcl", "ucl", "p_value")}
    limits = f"({_ratio(step['lcl'])} to {_ratio(step['ucl'])})"
    if fit.method == "cits":
        first = (
            f"Step at {t0} relative to the comparison: \u00d7{ratio(step['estimate'])} "
            f"{limits}, {p_text(step['p_value'])}"
        )
    else:
        first = (
            f"Rate ratio from {t0}, observed / synthetic: {ratio(step['estimate'])} "
            f"{limits}, placebo {p_text(step['p_value'])}"
        )
    text = str(fit.averted["reading"].iloc[0])
    head, _, tail = text.partition(" (")
    return "\n".join([first, head[0].upper() + head[1:], f"({tail}" if tail else ""]).rstrip()


def _notes(fit: ControlledFit, t0: str, status: Any) -> list[str]:
    conf = pct_text(fit.conf)
    if fit.method == "cits":
        notes = [
            f"Model: comparative interrupted time series ({_FAMILIES.get(fit.family, fit.family)})"
            f" of the deaths of "
            f"{fit.treated_name} and {len(fit.controls)} comparison areas ({_names(fit)}), "
            "populations as offsets (Lopez Bernal et al. 2018).",
            f"Dashed line and band: {fit.treated_name}'s trend before {t0} with the comparison "
            f"areas' change from {t0} (the controlled counterfactual), {conf} confidence "
            "interval. Grey: the comparison areas' pooled rate and fitted trend.",
        ]
    else:
        top = fit.weights.head(4)
        weights = ", ".join(
            f"{n} {w:.2f}" for n, w in zip(top["area_name"], top["weight"], strict=True)
        )
        notes = [
            f"Synthetic control (Abadie et al. 2010): weighted average of {len(fit.controls)} "
            f"comparison areas' rates matched on the years before {t0}; largest weights "
            f"{weights}.",
            f"p-value from {len(fit.placebos)} placebos (each comparison area treated in turn); "
            f"interval by inverting that test ({conf}).",
        ]
    row = {"advice": ""}
    return notes + model_notes(row, status)  # type: ignore[arg-type]


class _Values(NamedTuple):
    """The treated area's values on the rate scale, by year."""

    x: NDArray[np.float64]
    post: NDArray[np.bool_]
    rate: NDArray[np.float64]
    status: NDArray[Any]
    cf: NDArray[np.float64]
    comparison: NDArray[np.float64]
    t0: str


def _values(fit: ControlledFit) -> _Values:
    s = fit.fitted
    rate = s["observed_rate"].to_numpy(dtype=np.float64)
    deaths = s["observed"].to_numpy(dtype=np.float64, na_value=np.nan)
    return _Values(
        x=to_x(s["time"]), post=s["post"].to_numpy(dtype=bool), rate=rate,
        status=point_status(rate, deaths), cf=s["counterfactual_rate"].to_numpy(dtype=np.float64),
        comparison=s["comparison_rate"].to_numpy(dtype=np.float64), t0=f"{fit.intervention:g}",
    )  # fmt: skip


def _top(*values: NDArray[np.float64]) -> float:
    return float(np.nanmax(np.concatenate([np.asarray(v, dtype=np.float64) for v in values])))


def _draw_cits(ax: Axes, fit: ControlledFit, v: _Values) -> tuple[list[Any], list[str], float]:
    """Comparison areas (pooled rate, fitted trend), the treated area's fit and counterfactual."""
    s, x, post = fit.fitted, v.x, v.post
    (cmp_pts,) = ax.plot(
        x, v.comparison, ls="none", marker="o", ms=4, mfc="none", color=COMPARISON_COLOR,
        zorder=2, gid="comparison",
    )  # fmt: skip
    (cmp_fit,) = ax.plot(
        x, s["comparison_fitted_rate"], color=COMPARISON_COLOR, lw=1.4, zorder=2,
        gid="comparison-fitted",
    )  # fmt: skip
    lo, hi = (s[f"counterfactual_rate_{b}"].to_numpy(dtype=np.float64) for b in ("lcl", "ucl"))
    fitted = s["rate"].to_numpy(dtype=np.float64)
    handles = draw_counterfactual(ax, x, post, fitted, v.cf, lo, hi)
    labels = [
        f"{fit.treated_name}: fitted", f"{fit.treated_name}: fitted from {v.t0}",
        f"Counterfactual from the comparison ({pct_text(fit.conf)} CI)",
        f"Comparison areas ({len(fit.controls)}), pooled",
    ]  # fmt: skip
    return [*handles, (cmp_pts, cmp_fit)], labels, _top(v.rate, v.cf, v.comparison, hi[post])


def _draw_synthetic(ax: Axes, fit: ControlledFit, v: _Values) -> tuple[list[Any], list[str], float]:
    """The synthetic control's rates over every year."""
    (synth,) = ax.plot(
        v.x, v.comparison, color=BEFORE_COLOR, ls="--", lw=1.8, zorder=3, gid="synthetic"
    )
    label = f"Synthetic control ({len(fit.controls)} comparison areas)"
    return [synth], [label], _top(v.rate, v.comparison)


def _title(fit: ControlledFit) -> str:
    method = {"cits": "Comparative interrupted time series"}.get(fit.method, "Synthetic control")
    return f"{method}: {fit.treated_name}"


@figure_doc(
    title='the method and the treated area, e.g. "Comparative interrupted time series: '
    'Southend-on-Sea"',
    units='"Deaths per 100,000, crude rate" (by ``fit.per``)',
    notes="the model, the comparison areas, the counterfactual and the small-number markers",
)
def plot_controlled(
    fit: ControlledFit,
    *,
    intervention_label: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    source: str | Sequence[str] | None = None,
    notes: Sequence[str] = (),
    from_zero: bool = True,
    annotate: bool | None = None,
) -> Axes:
    """Controlled evaluation: treated area, comparison or synthetic control, counterfactual.

    Parameters
    ----------
    fit : ControlledFit
        Result of :func:`overdose_trends.stats.trends.controlled.fit_controlled`.
    intervention_label : str, optional
        Legend text of the start line, naming the date and the programme
        neutrally, e.g. ``"Kits supplied from 2015"``; default
        ``"Programme from <year>"``. Not a cause: the figure shows what
        happened after the date.
    {shared.ax}
    {shared.title}
    {shared.units}
    {shared.source}
    {shared.notes}
    {shared.from_zero}
    {shared.annotate}

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ``gid`` ``"observed"`` (treated area's rates),
        ``"comparison"`` (comparison areas' pooled rates, CITS) or
        ``"synthetic"`` (synthetic control's rates), ``"comparison-fitted"``
        (CITS), ``"fitted-pre"``, ``"fitted-post"`` (CITS model lines),
        ``"counterfactual"`` and ``"counterfactual-ci"`` (CITS),
        ``"intervention"`` (vertical line) and ``"effects"`` (text box).

    Notes
    -----
    The start line is drawn halfway between the last year before the start and
    the first year from it. Rates are crude rates of all ages; rates from fewer
    than 20 deaths are marked by the ONS small-number rules.

    References
    ----------
    Lopez Bernal, Cummins & Gasparrini (2018) *Int J Epidemiol* 47:2082-2093;
    Abadie, Diamond & Hainmueller (2010) *JASA* 105:493-505.

    Examples
    --------
    A made-up area T whose deaths fell from 2015 while two comparison areas
    kept rising:

    >>> years = list(range(2008, 2020))
    >>> df = pd.DataFrame({
    ...     "area_code": ["T"] * 12 + ["A"] * 12 + ["B"] * 12,
    ...     "year": years * 3,
    ...     "deaths": [20, 22, 21, 23, 24, 25, 26, 18, 17, 18, 17, 16]
    ...               + [30, 31, 33, 32, 35, 36, 37, 38, 40, 41, 42, 44]
    ...               + [25, 26, 26, 27, 29, 30, 30, 32, 33, 33, 35, 36],
    ...     "population": [200_000] * 12 + [300_000] * 12 + [250_000] * 12})
    >>> fit = ot.fit_controlled(df, treated="T", controls=["A", "B"], intervention=2015)
    >>> ax = ot.plot_controlled(fit, intervention_label="Kits supplied from 2015")
    >>> print(ax.figure.texts[0].get_text())
    Comparative interrupted time series: T
    >>> print(next(t for t in ax.texts if t.get_gid() == "effects").get_text())
    Step at 2015 relative to the comparison: ×0.66 (0.62 to 0.71), p < 0.001
    61.3 fewer deaths than the comparison predicts in 2015-2019
    (95% interval: 71.2 fewer to 52.3 fewer)
    >>> ax.get_legend().get_texts()[-1].get_text()
    'Kits supplied from 2015'
    """
    v = _values(fit)
    units = units or units_for(float(fit.per), standardised=False)
    annotated = annotating(ax, annotate)

    with figure_axes(ax, figsize=TALL_FIGSIZE) as ax:
        draw = _draw_cits if fit.method == "cits" else _draw_synthetic
        handles, labels, top = draw(ax, fit, v)
        handles.insert(0, draw_observed(ax, v.x, v.rate, v.status, ms=5, zorder=5))
        labels.insert(0, f"{fit.treated_name}: observed")
        handles.append(draw_start_line(ax, v.x, v.post))
        labels.append(intervention_label or f"Programme from {v.t0}")
        draw_effects_box(ax, _box(fit, v.t0))
        label_axes(ax, v.x, "year", units, annotated=annotated, from_zero=from_zero)
        headroom(ax, top * 1.04, 0.30)
        fit_legend(ax, annotated, handles, labels)
        finish(
            ax, annotated=annotated, title=_title(fit) if title is None else title, units=units,
            source=source or style.SOURCE_ONS_LA, notes=[*_notes(fit, v.t0, v.status), *notes],
        )  # fmt: skip
    return ax
