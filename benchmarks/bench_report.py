"""Benchmark: an up-to-date ``overdose-trends report`` re-run, beside ``import pandas``.

Issue #15 asks for an up-to-date re-run under 0.5 s (it took 1.9-2.2 s, three
quarters of it importing scipy.stats and matplotlib, neither needed when nothing
is rebuilt). This script builds the default report once into a temporary folder
(``--force``: the "forced build" row), then times, each in a fresh interpreter
(start-up included, best of ``--repeat``):

* ``python -c "import pandas"`` -- the reference;
* ``overdose-trends report --out <folder> --quiet`` -- the up-to-date re-run
  (``python -m overdose_trends.cli``, so the checkout's code is measured);

and prints the seconds, the ratio to ``import pandas`` and which heavy modules
(matplotlib, scipy, statsmodels, pandas) the re-run imported. The re-run must
skip every figure and the pages; if the package's source changes between the
runs (another edit), the script says so instead of timing a rebuild.

Usage::

    python benchmarks/bench_report.py [--repeat 5] [--only NAME ...]

``--only`` limits the forced build (and the re-run) to some figures, e.g.
``--only deaths_averted`` for a quick look.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("matplotlib", "scipy", "statsmodels", "pandas")
_PROBE = (
    "import sys; sys.argv = {argv!r}; "
    "from overdose_trends.cli import main; code = main(sys.argv[1:]); "
    "print('HEAVY', *sorted(m for m in {heavy!r} if m in sys.modules)); sys.exit(code)"
)


def _wall(args: list[str]) -> tuple[float, str]:
    """Seconds for a fresh interpreter to run ``args``, and its standard output."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr[-2000:])
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per row (best is shown)")
    parser.add_argument("--only", nargs="*", default=[], help="figures to build (default all)")
    args = parser.parse_args()
    only = [a for name in args.only for a in ("--only", name)]
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "report")
        report = ["report", "--out", out, "--quiet", *only]
        forced, _ = _wall([sys.executable, "-m", "overdose_trends.cli", *report, "--force"])
        pandas = min(_wall([sys.executable, "-c", "import pandas"])[0] for _ in range(args.repeat))
        probe = _PROBE.format(argv=["overdose-trends", *report], heavy=HEAVY)
        runs = [_wall([sys.executable, "-c", probe]) for _ in range(args.repeat)]
    rerun = min(t for t, _ in runs)
    stdout = runs[0][1]
    if "built 0," not in stdout:
        print("the re-run rebuilt figures (did the source change meanwhile?):", stdout.strip())
    heavy = next((line.split()[1:] for line in stdout.splitlines() if line.startswith("HEAVY")), [])
    print(f"{'':34}{'seconds':>9}{'x pandas':>10}")
    print(f"{'import pandas':34}{pandas:9.3f}{1.0:10.2f}")
    print(f"{'report re-run (up to date)':34}{rerun:9.3f}{rerun / pandas:10.2f}")
    print(f"{'report --force (build)':34}{forced:9.3f}{forced / pandas:10.2f}")
    print(f"heavy modules imported by the re-run: {', '.join(heavy) or 'none'}")
    print("target (issue #15): re-run under 0.5 s")


if __name__ == "__main__":
    main()
