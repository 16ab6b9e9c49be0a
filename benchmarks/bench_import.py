"""Benchmark: what ``import overdose_trends`` costs, beside a plain ``import pandas``.

The front door (``import overdose_trends as ot``) is lazy: names are imported on
first use, so the import itself should cost little more than Python's start-up,
and matplotlib, scipy and statsmodels should load only when a figure or a model
is first used (issue #11). Each statement runs in a fresh interpreter:

* wall time: the best of ``--repeat`` runs of ``python -c STATEMENT`` (start-up
  included; ``python -c pass`` is shown for reference);
* import time: the sum of the top-level cumulative times that
  ``python -X importtime -c STATEMENT`` reports (imports only, no start-up),
  best of the same runs;
* heavy modules: which of matplotlib, scipy.special, scipy.stats and statsmodels
  the statement imported.

The statements after ``import overdose_trends`` show what first use of a name
adds. Nothing is asserted: the numbers are printed as a table.

Usage::

    python benchmarks/bench_import.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

#: Modules reported when imported; ``scipy.stats`` costs about three times ``scipy.special``,
#: which is all the rates, intervals and comparisons need (issue #15, Performance).
HEAVY = ("matplotlib", "scipy.special", "scipy.stats", "statsmodels")

#: (label, statement) in the order printed; the ratio column divides by the pandas row.
STATEMENTS = (
    ("python -c pass", "pass"),
    ("import pandas", "import pandas"),
    ("import overdose_trends", "import overdose_trends"),
    (
        "ot.read_local_authority (first use)",
        "import overdose_trends as ot; ot.read_local_authority",
    ),
    ("ot.compare_periods (first use)", "import overdose_trends as ot; ot.compare_periods"),
    ("ot.crude_rate (first use)", "import overdose_trends as ot; ot.crude_rate"),
    ("ot.funnel_limits (first use)", "import overdose_trends as ot; ot.funnel_limits"),
    ("import scipy.special (reference)", "import scipy.special"),
    ("import scipy.stats (reference)", "import scipy.stats"),
    ("ot.fit_joinpoint (first use)", "import overdose_trends as ot; ot.fit_joinpoint"),
    ("ot.plot_funnel (first use)", "import overdose_trends as ot; ot.plot_funnel"),
)


def _wall(statement: str) -> float:
    """Seconds for a fresh interpreter to run ``statement`` and exit."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def _importtime(statement: str) -> tuple[float, set[str]]:
    """(seconds spent importing, top-level packages imported) from ``-X importtime``."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    total_us = 0
    packages: set[str] = set()
    for line in err.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        parts = name.strip().split(".")
        packages.update((parts[0], ".".join(parts[:2])))  # "scipy" and "scipy.stats"
        if not name.startswith("  "):  # one space after the bar: a top-level import
            total_us += int(cumulative)
    return total_us / 1e6, packages


def _measure(statement: str, repeat: int) -> tuple[float, float, list[str]]:
    """(best wall seconds, best import seconds, heavy modules imported) of ``statement``."""
    _wall(statement)  # warm the file-system cache and the .pyc files
    wall = min(_wall(statement) for _ in range(repeat))
    runs = [_importtime(statement) for _ in range(repeat)]
    imports = min(seconds for seconds, _ in runs)
    heavy = sorted(set(HEAVY) & set().union(*(packages for _, packages in runs)))
    return wall, imports, heavy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per statement (best kept)")
    args = parser.parse_args()

    rows = []
    for label, statement in STATEMENTS:
        try:
            rows.append((label, *_measure(statement, args.repeat)))
        except subprocess.CalledProcessError as exc:  # shown, not raised: assert-free
            print(f"{label}: failed ({exc.stderr.strip().splitlines()[-1]})", file=sys.stderr)
            rows.append((label, float("nan"), float("nan"), ["(failed)"]))

    pandas_wall, pandas_imports = rows[1][1], rows[1][2]
    print(f"Python {sys.version.split()[0]}, best of {args.repeat} fresh interpreters")
    print()
    header = (
        f"{'statement':<38} {'wall s':>7} {'x pandas':>8} {'imports s':>9} {'x pandas':>8}"
        "  heavy modules"
    )
    print(header)
    print("-" * len(header))
    for label, wall, imports, heavy in rows:
        print(
            f"{label:<38} {wall:7.3f} {wall / pandas_wall:8.2f} {imports:9.3f} "
            f"{imports / pandas_imports:8.2f}  {', '.join(heavy) or '-'}"
        )
    print()
    _, wall, imports, heavy = rows[2]
    print(
        f"import overdose_trends: {wall:.3f} s wall ({wall / pandas_wall:.2f} x import pandas), "
        f"{imports:.3f} s importing ({imports / pandas_imports:.2f} x); "
        f"imports {', '.join(heavy) or 'none'} of {', '.join(HEAVY)}."
    )


if __name__ == "__main__":
    main()
