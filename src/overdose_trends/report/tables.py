"""The report's tables: published rates of the configured areas and periods, and their change.

``summary.csv`` is :func:`report_summary`: :func:`summary_table` (ONS deaths and
age-standardised rates of the ``[summary]`` areas and periods) with the verdicts
of :func:`comparison_table` (the first and last period compared by
:func:`overdose_trends.stats.compare.compare_periods`) joined on by area.

References
----------
Office for National Statistics, "Deaths related to drug poisoning by local
authority, England and Wales" (rates, limits and the overlapping-intervals rule).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from overdose_trends.report._common import period_text, select_rows
from overdose_trends.report.config import ReportConfig, SummaryOptions

__all__ = [
    "PUBLISHED_DIGITS",
    "comparison_table",
    "report_summary",
    "round_published",
    "summary_table",
]

#: Decimal places of the published tables, by column: rates, their limits and changes to 1
#: (as ONS publishes rates), percent changes to 1, populations to whole people, rate ratios
#: and their limits to 2. p-values keep 3 significant figures.
PUBLISHED_DIGITS = {
    "rate": 1,
    "lcl": 1,
    "ucl": 1,
    "rate_before": 1,
    "lcl_before": 1,
    "ucl_before": 1,
    "rate_after": 1,
    "lcl_after": 1,
    "ucl_after": 1,
    "change": 1,
    "percent_change": 1,
    "population_before": 0,
    "population_after": 0,
    "rate_ratio": 2,
    "ratio_lcl": 2,
    "ratio_ucl": 2,
}


def round_published(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` rounded to the published precision (:data:`PUBLISHED_DIGITS`).

    Rates and confidence limits to 1 decimal place (ONS), rate ratios and their
    limits to 2, ``p_value`` to 3 significant figures; other columns unchanged.

    Examples
    --------
    >>> from overdose_trends.report.tables import round_published
    >>> round_published(pd.DataFrame({"rate": [8.84999], "rate_ratio": [0.6590909090909091],
    ...                               "p_value": [0.0807512]}))
       rate  rate_ratio  p_value
    0   8.8        0.66   0.0808
    """
    import math

    out = table.copy()
    for column, digits in PUBLISHED_DIGITS.items():
        if column in out.columns and not pd.api.types.is_integer_dtype(out[column]):
            out[column] = out[column].astype("Float64").round(digits)
    if "p_value" in out.columns:

        def three_figures(p: Any) -> Any:
            if pd.isna(p) or p <= 0:
                return p
            return round(float(p), 2 - math.floor(math.log10(float(p))))

        values = [three_figures(p) for p in out["p_value"].astype("Float64").tolist()]
        out["p_value"] = pd.array(values, dtype="Float64")
    return out


def _summary_options(config: ReportConfig | SummaryOptions) -> SummaryOptions:
    return config.summary if isinstance(config, ReportConfig) else config


def summary_table(la: pd.DataFrame, config: ReportConfig | SummaryOptions) -> pd.DataFrame:
    """Published deaths and age-standardised rates for the configured areas and periods.

    Parameters
    ----------
    la : pandas.DataFrame
        ONS local-authority table (:func:`overdose_trends.io.datasets.la_deaths`).
    config : ReportConfig or SummaryOptions
        The ``[summary]`` areas, periods, measure and sex.

    Returns
    -------
    pandas.DataFrame
        One row per area and period: ``area_code``, ``area_name``, ``period``
        (label such as ``"2013-15"``), ``deaths``, ``rate``, ``lcl``, ``ucl``
        (per 100,000, 2013 ESP, 95% CI) and ``rate_status``, in the order of
        the configured areas.

    Raises
    ------
    KeyError
        If an area or period is not in the data.

    References
    ----------
    ONS, "Deaths related to drug poisoning by local authority, England and
    Wales", Tables 3-8 (three-year rates).
    """
    opts = _summary_options(config)
    frames = []
    for start, end in opts.periods:
        sel = select_rows(
            la, areas=opts.areas, measure=opts.measure, sex=opts.sex, periods=[(start, end)]
        ).copy()
        missing = set(opts.areas) - set(sel["area_code"])
        if missing:
            raise KeyError(f"no {opts.measure} rows for {sorted(missing)} in {start}-{end}")
        sel["period"] = period_text((start, end))
        frames.append(sel)
    out = pd.concat(frames)
    out["_order"] = out["area_code"].map({c: i for i, c in enumerate(opts.areas)})
    out = out.sort_values(["_order", "period_start"], kind="stable")
    cols = ["area_code", "area_name", "period", "deaths", "rate", "lcl", "ucl", "rate_status"]
    return out.loc[:, cols].reset_index(drop=True)


#: Columns :func:`report_summary` joins from the comparison.
_COMPARISON_COLUMNS = (
    "comparison",
    "rate_ratio",
    "ratio_lcl",
    "ratio_ucl",
    "p_value",
    "ons_verdict",
    "verdict",
)


def comparison_table(la: pd.DataFrame, config: ReportConfig | SummaryOptions) -> pd.DataFrame:
    """The first and last ``[summary]`` periods compared for each area.

    Parameters
    ----------
    la : pandas.DataFrame
        ONS local-authority table (:func:`overdose_trends.io.datasets.la_deaths`).
    config : ReportConfig or SummaryOptions
        The ``[summary]`` areas, periods, measure and sex.

    Returns
    -------
    pandas.DataFrame
        :func:`overdose_trends.stats.compare.compare_periods` output for the configured
        areas (in their order) plus ``comparison`` (e.g. ``"2016-18 vs
        2013-15"``); empty when fewer than two periods are configured.

    References
    ----------
    See :func:`overdose_trends.stats.compare.compare_periods` (z-test on the log rate ratio;
    ONS overlapping-intervals rule).
    """
    from overdose_trends.stats.compare import compare_periods

    opts = _summary_options(config)
    if len(opts.periods) < 2:
        return pd.DataFrame(columns=["area_code", *_COMPARISON_COLUMNS])
    before, after = opts.periods[0], opts.periods[-1]
    sel = select_rows(
        la, areas=opts.areas, measure=opts.measure, sex=opts.sex, periods=[before, after]
    )
    out = compare_periods(sel, before=before, after=after)
    out.insert(0, "comparison", f"{period_text(after)} vs {period_text(before)}")
    order = {c: i for i, c in enumerate(opts.areas)}
    out = out.sort_values("area_code", key=lambda s: s.map(order), kind="stable")
    return out.reset_index(drop=True)


def report_summary(la: pd.DataFrame, config: ReportConfig | SummaryOptions) -> pd.DataFrame:
    """:func:`summary_table` with the comparison verdicts joined on by area (``summary.csv``).

    Parameters
    ----------
    la : pandas.DataFrame
        ONS local-authority table (:func:`overdose_trends.io.datasets.la_deaths`).
    config : ReportConfig or SummaryOptions
        The ``[summary]`` areas, periods, measure and sex.

    Returns
    -------
    pandas.DataFrame
        The :func:`summary_table` columns, then ``comparison``, ``rate_ratio``,
        ``ratio_lcl``, ``ratio_ucl`` (after / before, 95% CI), ``p_value``,
        ``ons_verdict`` (overlapping-intervals rule) and ``verdict`` (test),
        repeated on each period row of an area.

    References
    ----------
    See :func:`summary_table` and :func:`comparison_table`.
    """
    table = summary_table(la, config)
    comparison = comparison_table(la, config)
    verdicts = comparison.loc[:, ["area_code", *_COMPARISON_COLUMNS]]
    return table.merge(verdicts, on="area_code", how="left", validate="many_to_one")
