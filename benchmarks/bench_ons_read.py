"""Benchmark: read the whole ONS local-authority workbook (all tables).

Compares :func:`overdose_trends.io.ons_local.read_local_authority` (python-calamine,
tidy output) with plain ``pandas.read_excel(sheet_name=None)`` using pandas'
default engine (xlrd for .xls), which only returns raw grids. Each candidate
runs in a fresh process so that peak memory (max RSS) is its own.

Target (issue #2): read_local_authority under 2 s on a 2-core machine.

Usage::

    python benchmarks/bench_ons_read.py [path/to/2019localauthorities1.xls] [--repeat 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT = SHARED / "ons" / "2019localauthorities1.xls"
TARGET_SECONDS = 2.0


def _run(kind: str, path: str, queue) -> None:
    import warnings

    import pandas as pd

    from overdose_trends.io.ons_local import read_local_authority

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    if kind == "overdose_trends":
        rows = len(read_local_authority(path))
    else:
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None)
        except ImportError as exc:  # xlrd missing
            queue.put((kind, float("nan"), float("nan"), f"skipped: {exc}"))
            return
        rows = sum(len(s) for s in sheets.values())
    seconds = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((kind, seconds, peak_mib, f"{rows} rows"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if not Path(args.path).exists():
        print(f"workbook not found: {args.path}", file=sys.stderr)
        return 2
    ctx = mp.get_context("spawn")
    print(f"workbook: {args.path}")
    print(f"{'reader':<34}{'best s':>9}{'peak MiB':>10}  output")
    best_ours = None
    for kind in ("overdose_trends", "pandas.read_excel"):
        results = []
        for _ in range(args.repeat):
            q = ctx.Queue()
            p = ctx.Process(target=_run, args=(kind, args.path, q))
            p.start()
            results.append(q.get())
            p.join()
        best = min(results, key=lambda r: r[1] if r[1] == r[1] else float("inf"))
        label = "read_local_authority (tidy)" if kind == "overdose_trends" else kind + " (raw)"
        print(f"{label:<34}{best[1]:>9.3f}{best[2]:>10.0f}  {best[3]}")
        if kind == "overdose_trends":
            best_ours = best[1]
    ok = best_ours is not None and best_ours < TARGET_SECONDS
    print(f"target < {TARGET_SECONDS:.1f} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
