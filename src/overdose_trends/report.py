"""Build the report outputs from the shipped data (or a freshly loaded edition).

For now the report is a summary table of published ONS rates for the areas of
interest in two registration periods, plus the workbook consistency checks;
figures are added by the plotting work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from overdose_trends.ons import check_consistency

#: Areas of the default report: the Southend and Norfolk/Norwich stories, with England.
DEFAULT_AREAS = ("E06000033", "E07000148", "E10000020", "E92000001")
DEFAULT_PERIODS = ((2013, 2015), (2016, 2018))


@dataclass
class ReportConfig:
    """What the report covers.

    Attributes
    ----------
    areas : sequence of str
        GSS codes of the areas to tabulate.
    periods : sequence of (int, int)
        Registration periods (first and last year) to compare.
    measure : str
        ``"poisoning"`` or ``"misuse"``.
    sex : str
        ``"persons"``, ``"males"`` or ``"females"``.
    """

    areas: Sequence[str] = DEFAULT_AREAS
    periods: Sequence[tuple[int, int]] = DEFAULT_PERIODS
    measure: str = "poisoning"
    sex: str = "persons"
    outputs: list[Path] = field(default_factory=list)


def summary_table(la: pd.DataFrame, config: ReportConfig) -> pd.DataFrame:
    """Published deaths and age-standardised rates for the configured areas and periods.

    Returns
    -------
    pandas.DataFrame
        One row per area and period: ``area_code``, ``area_name``, ``period``
        (label such as ``"2013-15"``), ``deaths``, ``rate``, ``lcl``, ``ucl``
        (per 100,000, 2013 ESP, 95% CI) and ``rate_status``, in the order of
        ``config.areas``.

    Raises
    ------
    KeyError
        If an area or period is not in the data.
    """
    frames = []
    for start, end in config.periods:
        sel = la[
            la["area_code"].isin(config.areas)
            & (la["period_start"] == start)
            & (la["period_end"] == end)
            & (la["measure"] == config.measure)
            & (la["sex"] == config.sex)
        ].copy()
        missing = set(config.areas) - set(sel["area_code"])
        if missing:
            raise KeyError(f"no {config.measure} rows for {sorted(missing)} in {start}-{end}")
        sel["period"] = f"{start}-{str(end)[-2:]}"
        frames.append(sel)
    out = pd.concat(frames)
    out["_order"] = out["area_code"].map({c: i for i, c in enumerate(config.areas)})
    out = out.sort_values(["_order", "period_start"])
    cols = ["area_code", "area_name", "period", "deaths", "rate", "lcl", "ucl", "rate_status"]
    return out.loc[:, cols].reset_index(drop=True)


def _markdown(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = [
        "| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def build_report(
    la: pd.DataFrame, out_dir: Path, config: ReportConfig | None = None, progress: bool = True
) -> list[Path]:
    """Write the report to ``out_dir``: ``summary.csv``, ``consistency.csv`` and ``index.md``.

    Returns the paths written.
    """
    config = config or ReportConfig()
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = tqdm(total=3, desc="report", disable=not progress, unit="step")
    summary = summary_table(la, config)
    summary.to_csv(out_dir / "summary.csv", index=False)
    steps.update()
    checks = check_consistency(la)
    checks.to_csv(out_dir / "consistency.csv", index=False)
    steps.update()
    lines = [
        "# Deaths related to drug poisoning: summary",
        "",
        f"Measure: {config.measure}, {config.sex}. Age-standardised rates per 100,000 "
        "(2013 European Standard Population) with 95% confidence limits, as published by ONS.",
        "Rates are not calculated from fewer than 10 deaths and are unreliable from 10-19.",
        "",
        _markdown(summary),
        "",
        f"Consistency checks on the workbook: {len(checks)} finding(s), see consistency.csv.",
        "",
        "Source: Office for National Statistics, Deaths related to drug poisoning by local "
        "authority, England and Wales (Open Government Licence v3.0).",
    ]
    (out_dir / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    steps.update()
    steps.close()
    return [out_dir / "summary.csv", out_dir / "consistency.csv", out_dir / "index.md"]
