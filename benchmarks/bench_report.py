"""Benchmark: an up-to-date ``overdose-trends report`` re-run, beside a bare interpreter.

Issue #15 asks for an up-to-date re-run under 0.5 s (it took 1.9-2.2 s, three
quarters of it importing scipy.stats and matplotlib, neither needed when nothing
is rebuilt). This script builds the default report once into a temporary folder
(``--force``: the "forced build" row), then times, each in a fresh interpreter
(start-up included), ``--repeat`` runs of

* ``python -c pass`` -- the floor: starting Python at all;
* ``python -c "import pandas"`` -- what importing the data stack alone costs;
* ``overdose-trends report --out <folder> --quiet`` -- the up-to-date re-run
  (``python -m overdose_trends.cli``, so the checkout's code is measured);

and prints the median, the spread (fastest and slowest), the ratio of the
medians to ``python -c pass`` and ``import pandas``, the load average, and
which heavy modules (pandas, numpy, scipy, matplotlib, statsmodels, jinja2,
duckdb, requests) the re-run imported. The runs take turns (pass, pandas,
re-run, pass, ...), so a burst of load from elsewhere hits every row alike.

Every child runs in the temporary folder (a ``report.toml`` in the current
folder would otherwise be read) with byte-code caching on (``PYTHONDONTWRITEBYTECODE``
removed), as for an installed package: pip compiles the modules when installing.
Each re-run must skip every figure and the pages; if the package's source
changes between the runs (another edit), the script says so.

Usage::

    python benchmarks/bench_report.py [--repeat 5] [--only NAME ...]

``--only`` limits the forced build (and the re-run) to some figures, e.g.
``--only deaths_averted`` for a quick look.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
    "statsmodels",
    "jinja2",
    "duckdb",
    "requests",
)
_PROBE = (
    "import sys; sys.argv = {argv!r}; "
    "from overdose_trends.cli import main; code = main(sys.argv[1:]); "
    "print('HEAVY', *sorted(m for m in {heavy!r} if m in sys.modules)); sys.exit(code)"
)


def _wall(args: list[str], cwd: str, env: dict[str, str]) -> tuple[float, str]:
    """Seconds for a fresh interpreter to run ``args``, and its standard output."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, check=False, capture_output=True, text=True, cwd=cwd, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr[-2000:])
    return elapsed, proc.stdout


def _row(name: str, times: list[float], base: float, pandas: float) -> str:
    median = statistics.median(times)
    spread = f"{min(times):.3f}-{max(times):.3f}"
    return f"{name:30}{median:9.3f}{spread:>16}{median / base:9.1f}{median / pandas:10.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per row (default 5)")
    parser.add_argument("--only", nargs="*", default=[], help="figures to build (default all)")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # modules compiled once, as pip does
    only = [a for name in args.only for a in ("--only", name)]
    py = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "report")
        report = ["report", "--out", out, "--quiet", *only]
        forced, _ = _wall([py, "-m", "overdose_trends.cli", *report, "--force"], folder, env)
        probe = _PROBE.format(argv=["overdose-trends", *report], heavy=HEAVY)
        base: list[float] = []
        pandas: list[float] = []
        runs: list[tuple[float, str]] = []
        for _ in range(args.repeat):  # in turns: load from elsewhere hits every row alike
            base.append(_wall([py, "-c", "pass"], folder, env)[0])
            pandas.append(_wall([py, "-c", "import pandas"], folder, env)[0])
            runs.append(_wall([py, "-c", probe], folder, env))
    rebuilt = [out.strip() for _, out in runs if "built 0," not in out]
    if rebuilt:
        print("a re-run rebuilt figures (did the source change meanwhile?):", rebuilt[0])
    heavy = sorted({m for _, out in runs for m in _heavy(out)})
    b, p = statistics.median(base), statistics.median(pandas)
    print(f"{'median of ' + str(args.repeat):30}{'seconds':>9}{'min-max':>16}", end="")
    print(f"{'x pass':>9}{'x pandas':>10}")
    print(_row("python -c pass", base, b, p))
    print(_row("python -c 'import pandas'", pandas, b, p))
    print(_row("report re-run (up to date)", [t for t, _ in runs], b, p))
    print(_row("report --force (one build)", [forced], b, p))
    print(f"heavy modules imported by the re-run: {', '.join(heavy) or 'none'}")
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("target (issue #15): re-run under 0.5 s")


def _heavy(stdout: str) -> list[str]:
    """The heavy modules a probe run listed on its ``HEAVY`` line."""
    lines = [line.split()[1:] for line in stdout.splitlines() if line.startswith("HEAVY")]
    return lines[0] if lines else []


if __name__ == "__main__":
    main()
