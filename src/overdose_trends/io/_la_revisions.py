"""Figures revised between two editions of the ONS local-authority tables (private).

ONS re-publishes back years in every edition: late registrations, corrected
causes of death and new population estimates change deaths and rates. Used by
:func:`overdose_trends.io.ons_local.check_consistency` when given two editions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_KEYS = ["area_code", "measure", "sex", "period_start", "period_end"]
_VALUES = ["deaths", "rate", "lcl", "ucl", "rate_status"]


def _edition(df: pd.DataFrame, what: str) -> int:
    editions: list[int] = (
        df["edition"].dropna().unique().tolist() if "edition" in df.columns else []
    )
    if len(editions) != 1:
        raise ValueError(
            f"{what} must come from one edition of read_local_authority (an 'edition' "
            f"column with one value); found {len(editions)} editions"
        )
    return int(editions[0])


def _differs(a: pd.Series, b: pd.Series, *, tolerance: float = 0.0) -> np.ndarray:
    x = a.astype("float64").to_numpy()
    y = b.astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        both = ~np.isnan(x) & ~np.isnan(y)
        changed = both & (np.abs(x - y) > tolerance)
    return changed | (np.isnan(x) != np.isnan(y))


def _show(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "not published"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float) and round(value, 1) == value:
        return f"{value:.1f}"
    return str(value)


def revisions(later: pd.DataFrame, earlier: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``later`` whose figures differ from the same rows of ``earlier``.

    Rows are matched on area code, measure, sex and period; rows in only one edition
    (new or abolished areas, new periods) are not revisions and are left out. If
    ``earlier`` is the later edition the two are swapped.
    """
    e_later, e_earlier = _edition(later, "df"), _edition(earlier, "previous")
    if e_earlier > e_later:
        later, earlier, e_later, e_earlier = earlier, later, e_earlier, e_later
    if e_earlier == e_later:
        raise ValueError(
            f"both tables are the {e_later} edition: pass two different editions to find "
            "revised figures"
        )
    old = earlier[_KEYS + _VALUES].drop_duplicates(_KEYS)
    both = later.merge(old, on=_KEYS, how="inner", suffixes=("", "_was"))
    deaths = _differs(both["deaths_was"], both["deaths"])
    # rates are published to one decimal place: a change smaller than that is float noise
    rate = np.zeros(len(both), dtype=bool)
    for col in ("rate", "lcl", "ucl"):
        rate |= _differs(both[f"{col}_was"], both[col], tolerance=1e-6)
    status = (both["rate_status_was"].astype(str) != both["rate_status"].astype(str)).to_numpy()
    changed = deaths | rate | status
    out = both[changed].copy()
    messages = []
    for r in out.itertuples(index=False):
        parts = []
        if _show(r.deaths_was) != _show(r.deaths):
            parts.append(f"deaths {_show(r.deaths_was)} -> {_show(r.deaths)}")
        if any(
            _show(getattr(r, f"{c}_was")) != _show(getattr(r, c)) for c in ("rate", "lcl", "ucl")
        ):
            parts.append(
                f"rate {_show(r.rate_was)} ({_show(r.lcl_was)}-{_show(r.ucl_was)}) -> "
                f"{_show(r.rate)} ({_show(r.lcl)}-{_show(r.ucl)})"
            )
        if str(r.rate_status_was) != str(r.rate_status):
            parts.append(f"rate status {r.rate_status_was} -> {r.rate_status}")
        messages.append(
            f"revised between the {e_earlier} and {e_later} editions: " + "; ".join(parts)
        )
    out["check"] = "revised"
    out["expected"] = out["deaths_was"]
    out["found"] = out["deaths"]
    out["message"] = messages
    return out
