"""Count classified death records into the house tidy deaths table (plus age band).

:func:`aggregate_deaths` runs one ``GROUP BY`` query on the engine holding the
records (DuckDB by default, out of core; the same SQL on SQLite, Polars or
Spark SQL), giving deaths per area, sex, single year and age band; pooling
into three-year periods, the ``persons`` rows and the zero-filled grid are
done on that small table in pandas. The output has the columns of
:data:`~overdose_trends.schema.DEATHS_COLUMNS` plus ``age_band``, ready for
:func:`~overdose_trends.stats.rates.dsr` (join a population by area, period,
sex and band) and, summed over bands, for the comparison, trend, funnel and
map functions; small counts are left for
:func:`~overdose_trends.stats.disclosure.suppress_small` on export.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from overdose_trends.constants import (
    ESP2013_BAND_STARTS,
    ESP2013_BAND_STARTS_20,
    ESP2013_BANDS,
    ESP2013_BANDS_20,
)
from overdose_trends.io.records._areas import ons_areas
from overdose_trends.io.records._engine import Engine, make_engine
from overdose_trends.io.records._sql import (
    FLAG_COLUMNS,
    SAFE_NAME,
    band_sql,
    classify_parts,
    with_query,
)
from overdose_trends.io.records.classify import classify_deaths
from overdose_trends.io.records.read import DeathRecords
from overdose_trends.schema import DEATHS_COLUMNS

__all__ = ["aggregate_deaths", "band_labels"]

#: Measure name -> flag column counted.
_MEASURES = {"poisoning": "drug_poisoning", "misuse": "drug_misuse"}
#: ``sheet`` and ``row`` of aggregated records (no workbook cell behind them).
RECORDS_SHEET = "records"


def band_labels(age_bands: str | Sequence[int]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Lower ages and labels of ``age_bands`` (``"esp2013"``, ``"esp2013_20"`` or lower ages).

    Examples
    --------
    >>> from overdose_trends.io.records.aggregate import band_labels
    >>> band_labels([0, 15, 65])
    ((0, 15, 65), ('0-14', '15-64', '65+'))
    """
    if isinstance(age_bands, str):
        if age_bands == "esp2013":
            return ESP2013_BAND_STARTS, ESP2013_BANDS
        if age_bands == "esp2013_20":
            return ESP2013_BAND_STARTS_20, ESP2013_BANDS_20
        raise ValueError(f"age_bands={age_bands!r}: expected 'esp2013', 'esp2013_20' or lower ages")
    starts = tuple(int(a) for a in age_bands)
    if (
        not starts
        or starts[0] != 0
        or any(b <= a for a, b in zip(starts, starts[1:], strict=False))
    ):
        raise ValueError("age_bands: lower ages must start at 0 and increase, e.g. [0, 15, 65]")
    inner = [
        f"{a}-{b - 1}" if b - 1 > a else str(a)
        for a, b in zip(starts[:-1], starts[1:], strict=True)
    ]
    labels = (*inner, f"{starts[-1]}+")
    return starts, labels


def aggregate_deaths(
    classified: DeathRecords | pd.DataFrame | str,
    by: str | Sequence[str] = ("area_code", "sex"),
    period: str = "registration",
    years: int = 1,
    age_bands: str | Sequence[int] = "esp2013",
    *,
    measures: Sequence[str] = ("poisoning", "misuse"),
    persons: bool = True,
    complete: bool = True,
    engine: Any = None,
) -> pd.DataFrame:
    """Deaths per area, sex, period and age band from classified records.

    Parameters
    ----------
    classified : DeathRecords, pandas.DataFrame or str
        Records from :func:`~overdose_trends.io.records.classify.classify_deaths`
        (unclassified records are classified first), or the name of a table the
        ``engine`` knows.
    by : str or sequence of str, default ("area_code", "sex")
        Grouping columns besides period and age band (e.g. ``"lsoa_code"``).
        Without ``"area_code"`` the area is ``"all"``; without ``"sex"`` the
        rows are ``persons``.
    period : {"registration", "occurrence"}, default "registration"
        Year of registration (as ONS publishes) or of death. Occurrence-year
        counts for recent years are incomplete: deaths referred to a coroner
        are registered months or years later.
    years : {1, 3}, default 1
        Single years, or rolling three-year periods (2001-03, 2002-04, ...) as
        in the ONS local-authority tables.
    age_bands : "esp2013", "esp2013_20" or sequence of int, default "esp2013"
        The 19 bands of the 2013 European Standard Population (0-4 ... 90+),
        its 20-band form, or your own lower ages (records need ``age``).
    measures : sequence of str, default ("poisoning", "misuse")
        ``"poisoning"``, ``"misuse"`` or any ``substance_<group>`` flag.
    persons : bool, default True
        Add ``persons`` rows (males + females) when ``sex`` is in ``by``.
    complete : bool, default True
        Every value of each ``by`` column seen with a drug-poisoning death, crossed
        with every value of the others, every period from the first
        year to the last and every age band, with 0 where there were no
        deaths (what a rate needs); False keeps only non-zero cells.
    engine : optional
        For a DataFrame or table name (see
        ``overdose_trends.io.records._engine``); records read by
        ``read_death_records`` use their own DuckDB engine.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~overdose_trends.schema.DEATHS_COLUMNS`, then any extra
        ``by`` columns, then ``age_band``: ``area_code``; ``area_name`` and
        ``area_level`` (from the shipped ONS data; missing for other codes);
        ``measure``; ``sex``; ``period_start``/``period_end`` (years);
        ``deaths`` (Int64); ``rate``, ``lcl``, ``ucl`` (NaN: no population
        yet); ``rate_per`` 100000; ``rate_status`` ``"not_available"``;
        ``edition`` (latest year in the records); ``sheet`` ``"records"``;
        ``row`` 0 (no workbook cell); ``age_band`` (str).

    Examples
    --------
    >>> deaths = pd.DataFrame({
    ...     "registration_year": [2020, 2020, 2021], "area_code": ["E06000033"] * 3,
    ...     "sex": ["males", "females", "males"], "age": [34, 36, 90],
    ...     "underlying_cause": ["X42", "F11", "X45"],
    ... })
    >>> out = ot.aggregate_deaths(deaths, measures=["poisoning"])
    >>> out.shape  # 1 area x 3 sexes x 2 years x 19 bands
    (114, 17)
    >>> out.query("deaths > 0")[["sex", "period_start", "age_band", "deaths"]]
            sex  period_start age_band  deaths
    7   females          2020    35-39       1
    44    males          2020    30-34       1
    82  persons          2020    30-34       1
    83  persons          2020    35-39       1
    """
    keys = [by] if isinstance(by, str) else list(by)
    if period not in ("registration", "occurrence"):
        raise ValueError(f"period={period!r}: expected 'registration' or 'occurrence'")
    if years not in (1, 3):
        raise ValueError(f"years={years!r}: expected 1 or 3")
    flags = [_MEASURES.get(m, m) for m in measures]
    unknown = [m for m, f in zip(measures, flags, strict=True) if f not in FLAG_COLUMNS]
    if unknown or not flags:
        raise ValueError(
            f"measures {unknown}: expected 'poisoning', 'misuse' or substance_<group> flags"
        )
    starts, labels = band_labels(age_bands)
    runner, ctes, table, columns = _source(classified, engine, period)
    year_col = f"{period}_year"
    missing = [c for c in [*keys, year_col] if c not in columns]
    if "age" not in columns and ("age_band" not in columns or labels != ESP2013_BANDS):
        missing.append("age")
    if missing:
        raise ValueError(
            f"the records have no {', '.join(missing)} column (needed for by={keys}, "
            f"period={period!r}, age_bands={age_bands!r})"
        )
    bad = [k for k in keys if not SAFE_NAME.match(k)]
    if bad:
        raise ValueError(f"by: {bad} are not plain lower-case column names")
    band = band_sql("age", starts, labels) if "age" in columns else "age_band"
    if "age" in columns and "age_band" in columns and labels == ESP2013_BANDS:
        band = f"COALESCE({band}, age_band)"
    sums = ", ".join(f"SUM(CASE WHEN {f} THEN 1 ELSE 0 END) AS _m{i}" for i, f in enumerate(flags))
    group = ", ".join([*keys, "_year", "_band"])
    inner = (
        f"SELECT {', '.join(keys)}, {year_col} AS _year, {band} AS _band, "
        + ", ".join(flags)
        + f" FROM {table} WHERE {year_col} IS NOT NULL"
    )
    sql = with_query(
        [*ctes, ("_agg_rows", inner)],
        f"SELECT {group}, COUNT(*) AS _n, {sums} FROM _agg_rows GROUP BY {group}",
    )
    counts = runner.query(sql)
    return _tidy(counts, keys, measures, labels, years, persons, complete)


def _source(
    classified: DeathRecords | pd.DataFrame | str, engine: Any, period: str
) -> tuple[Engine, list[tuple[str, str]], str, list[str]]:
    """(engine, CTEs, table name, columns) of the classified rows."""
    if isinstance(classified, DeathRecords):
        if engine is not None:
            raise ValueError("records read by read_death_records run on their own engine")
        if classified.classified:
            steps = [*classified.ctes, ("_agg_input", classified.final)]
            return classified.engine, steps, "_agg_input", list(classified.columns)
        keep = list(classified.columns)
        ctes, final = classify_parts("_agg_records", keep, keep, poisoning_only=True)
        steps = [*classified.ctes, ("_agg_records", classified.final), *ctes]
        steps.append(("_agg_input", final))
        return classified.engine, steps, "_agg_input", [*keep, *FLAG_COLUMNS]
    runner = make_engine(engine)
    if isinstance(classified, str):
        columns = list(runner.query(f"SELECT * FROM {classified} LIMIT 0").columns)
        if "drug_poisoning" in columns:
            return runner, [], classified, columns
        keep = [c for c in columns if SAFE_NAME.match(c)]
        ctes, final = classify_parts(classified, keep, keep, poisoning_only=True)
        return runner, [*ctes, ("_agg_input", final)], "_agg_input", [*keep, *FLAG_COLUMNS]
    if not isinstance(classified, pd.DataFrame):
        raise TypeError(
            "classified: expected DeathRecords, a DataFrame or a table name, got "
            f"{type(classified).__name__}"
        )
    frame = classified
    if "drug_poisoning" not in frame.columns:
        frame = classify_deaths(frame, engine=runner)
    year_col = f"{period}_year"
    date_col = f"{period}_date"
    if year_col not in frame.columns and date_col in frame.columns:
        frame = frame.assign(**{year_col: pd.to_datetime(frame[date_col]).dt.year.astype("Int64")})
    used = [c for c in frame.columns if isinstance(c, str) and SAFE_NAME.match(c)]
    runner.register("_agg_frame", frame.loc[:, used])
    return runner, [], "_agg_frame", used


def _tidy(
    counts: pd.DataFrame,
    keys: list[str],
    measures: Sequence[str],
    labels: Sequence[str],
    years: int,
    persons: bool,
    complete: bool,
) -> pd.DataFrame:
    """The engine's counts (one row per group, year, band) as the tidy deaths table.

    The counts go into an array (group x year x band x measure) covering every
    combination, which makes the zero cells, the ``persons`` rows and the rolling
    three-year sums plain array sums; ``complete=False`` drops the zero cells at the end.
    """
    n_m = len(measures)
    if counts.empty:
        raise ValueError("no drug-poisoning deaths in the records: nothing to aggregate")
    for k in keys:
        counts[k] = counts[k].astype(object).where(counts[k].notna(), "unknown").astype(str)
    band = counts["_band"].astype(object).where(counts["_band"].notna(), "unknown").astype(str)
    bands = [*labels, *sorted(set(band) - set(labels))]
    year = counts["_year"].astype("int64").to_numpy()
    first, last = int(year.min()), int(year.max())
    groups = pd.DataFrame(index=[0])
    for k in keys:  # every value of each key with every value of the others
        groups = groups.merge(pd.DataFrame({k: sorted(set(counts[k]))}), how="cross")
    g_idx = (
        counts[keys].merge(groups.reset_index(), on=keys, how="left")["index"].to_numpy()
        if keys
        else np.zeros(len(counts), dtype=np.int64)
    )
    values = np.zeros((len(groups), last - first + 1, len(bands), n_m), dtype=np.int64)
    b_idx = pd.Categorical(band, categories=bands).codes
    m_values = counts[[f"_m{i}" for i in range(n_m)]].to_numpy(dtype=np.int64)
    np.add.at(values, (g_idx, year - first, b_idx), m_values)
    if "sex" in keys and persons:
        other = [k for k in keys if k != "sex"]
        both = (
            groups[other].drop_duplicates().reset_index(drop=True)
            if other
            else pd.DataFrame(index=[0])
        )
        to_both = (
            groups[other].merge(both.reset_index(), on=other, how="left")["index"].to_numpy()
            if other
            else np.zeros(len(groups), dtype=np.int64)
        )
        summed = np.zeros((len(both), *values.shape[1:]), dtype=np.int64)
        np.add.at(summed, to_both, values)
        groups = pd.concat([groups, both.assign(sex="persons")], ignore_index=True)
        values = np.concatenate([values, summed])
        order = groups.sort_values(keys, kind="stable").index.to_numpy()
        groups, values = groups.iloc[order].reset_index(drop=True), values[order]
    elif "sex" not in keys:
        groups = groups.assign(sex="persons")
    starts = np.arange(first, last + 1)
    ends = starts
    if years == 3:
        if len(starts) < 3:
            raise ValueError(f"years=3 needs three years of records; they cover {first}-{last}")
        values = values[:, 2:] + values[:, 1:-1] + values[:, :-2]
        starts, ends = starts[:-2], starts[2:]
    return _finish(groups, values, keys, measures, starts, ends, bands, last, complete)


def _finish(
    groups: pd.DataFrame,
    values: np.ndarray,
    keys: list[str],
    measures: Sequence[str],
    starts: np.ndarray,
    ends: np.ndarray,
    bands: Sequence[str],
    edition: int,
    complete: bool,
) -> pd.DataFrame:
    """Long table in the order measure, group, period, band; DEATHS_COLUMNS + extra + age_band."""
    n_g, n_p, n_b, n_m = values.shape
    cell = n_g * n_p * n_b
    g = np.tile(np.repeat(np.arange(n_g), n_p * n_b), n_m)
    p = np.tile(np.repeat(np.arange(n_p), n_b), n_g * n_m)
    b = np.tile(np.arange(n_b), n_g * n_p * n_m)
    out = pd.DataFrame(
        {
            "measure": np.repeat(np.asarray(measures, dtype=object), cell),
            "period_start": starts[p].astype("int64"),
            "period_end": ends[p].astype("int64"),
            "deaths": values.transpose(3, 0, 1, 2).reshape(-1),
            "age_band": np.asarray(bands, dtype=object)[b],
        }
    )
    for c in groups.columns:
        out[c] = groups[c].to_numpy(dtype=object)[g]
    if "area_code" not in keys:
        out["area_code"] = "all"
    if not complete:
        out = out[out["deaths"] > 0].reset_index(drop=True)
    names = ons_areas()
    out["area_name"] = out["area_code"].map(names["area_name"])
    out["area_level"] = out["area_code"].map(names["area_level"])
    out["deaths"] = out["deaths"].astype("Int64")
    for c in ("rate", "lcl", "ucl"):
        out[c] = np.nan
    out["rate_per"] = 100_000
    out["rate_status"] = "not_available"
    out["edition"] = edition
    out["sheet"] = RECORDS_SHEET
    out["row"] = 0
    extra = [k for k in keys if k not in DEATHS_COLUMNS]
    out = out.loc[:, [*DEATHS_COLUMNS, *extra, "age_band"]]
    text = ("area_code", "area_name", "area_level", "measure", "sex", "age_band", "sheet")
    for c in (*text, "rate_status", *extra):
        out[c] = out[c].astype("str")
    return out
