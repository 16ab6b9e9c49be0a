"""Words for a joinpoint result: its method and the Joinpoint version it follows, its notes.

Private to :mod:`overdose_trends.stats.trends.joinpoint`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from overdose_trends._frames import show

__all__ = ["fit_notes", "method_text"]

_SELECTION = {
    "permutation": "joinpoints chosen by sequential permutation tests",
    "bic": "joinpoints chosen by the BIC",
    "wbic": "joinpoints chosen by the weighted BIC",
}
_INTERVALS = {
    "lerman": "parametric (Lerman) intervals",
    "continuous": "parametric intervals given the joinpoints",
    "empirical": "empirical-quantile intervals",
}


def method_text(method: str, ci_method: str) -> str:
    """How a fit was made and which NCI Joinpoint version's defaults that is."""
    text = f"{_SELECTION[method]}; {_INTERVALS[ci_method]}"
    if method == "permutation" and ci_method == "lerman":
        return text + "; NCI Joinpoint 4 defaults"
    if method == "wbic" and ci_method == "empirical":
        return text + "; NCI Joinpoint 5 defaults"
    version = {"permutation": "4", "wbic": "5"}.get(method)
    ci_version = {"lerman": "4", "empirical": "5"}.get(ci_method)
    parts = []
    if version:
        parts.append(f"selection as NCI Joinpoint {version}")
    if ci_version:
        parts.append(f"intervals as NCI Joinpoint {ci_version}")
    return text + ("; " + ", ".join(parts) if parts else "; not an NCI default")


def fit_notes(selection: pd.DataFrame, keys: Sequence[str]) -> tuple[str, ...]:
    """A note for each permutation test whose p-value stayed within 2 SE of its level."""
    if "near_level" not in selection.columns:
        return ()
    near = selection[selection["near_level"].fillna(False).astype(bool)]
    notes = []
    for _, row in near.iterrows():
        label = ", ".join(f"{k}={show(row[k])}" for k in keys)
        where = f"series {label}: " if label else ""
        notes.append(
            f"{where}permutation test {row['test']} has p = {row['p_value']:.4f} (Monte Carlo "
            f"SE {row['p_se']:.4f}), within 2 SE of its level {row['alpha_level']:.4g} after "
            f"{int(row['n_permutations']):,} permutations: the number of joinpoints could "
            "differ with another seed; raise max_permutations to settle it"
        )
    return tuple(notes)
