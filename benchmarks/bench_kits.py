"""Benchmark: read and validate a 1,000,000-event kit log from CSV, then aggregate it.

Target: under 3 s for ``read_kit_log`` + ``aggregate_kits`` and under 1 GB peak memory.

The log is made by ``scripts/make_synthetic_kits.py`` (``make_large``) and
written to a temporary CSV; the timed part runs in a fresh child process so
that its peak resident memory (``ru_maxrss``, which includes the Python
interpreter and pandas, about 100 MB) is not inflated by the generator.

Usage::

    .venv/bin/python benchmarks/bench_kits.py [--events 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_synthetic_kits", ROOT / "scripts" / "make_synthetic_kits.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing it
    spec.loader.exec_module(module)
    return module


def run(path: Path) -> None:
    """Timed part (child process): read_kit_log on the CSV, then monthly aggregate."""
    from overdose_trends.io.kit_counts import aggregate_kits
    from overdose_trends.io.kit_log import read_kit_log

    t0 = time.perf_counter()
    log = read_kit_log(path, as_of="2020-01-01")
    t1 = time.perf_counter()
    counts = aggregate_kits(log.events, "month", total=True)
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    r = log.report
    print(
        f"read_kit_log:  {t1 - t0:6.2f} s  ({r.n_input:,} rows, {r.n_loaded:,} loaded, "
        f"{len(r.issues):,} issues)"
    )
    print(f"aggregate: {t2 - t1:6.2f} s  ({len(counts):,} count rows)")
    print(f"total:     {t2 - t0:6.2f} s  (target < 3 s)")
    print(f"peak RSS:  {peak_mb:6.0f} MB (target < 1024 MB; includes interpreter and pandas)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    if args.run:
        run(args.run)
        return 0
    gen = _generator()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kits.csv"
        t0 = time.perf_counter()
        gen.write_csv(gen.make_large(args.events, seed=args.seed), path)
        size = path.stat().st_size / 1e6
        print(
            f"generated {args.events:,} events ({size:.0f} MB CSV) in "
            f"{time.perf_counter() - t0:.1f} s (not timed below)"
        )
        subprocess.run([sys.executable, __file__, "--run", str(path)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
