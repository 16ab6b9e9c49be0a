"""Benchmark: read and validate a 1,000,000-event kit log from CSV, then aggregate it.

Targets (issue #15, Performance): ``read_kit_log`` + ``aggregate_kits`` at most 1.5 times
a plain ``pandas.read_csv`` + ``groupby`` of the same file, measured side by side (each
the best of ``--repeat`` runs, alternating, so that a busy machine slows both alike; the
median and range of the ratio of each pair are printed too), and under 1 GB peak memory.

A *floor* is timed in each round too: Arrow's parse of the file and one hash of every
column, with nothing checked or built. It shows how much of the target any reader that
looks at every cell has used up before its first rule.

The log is made by ``scripts/make_synthetic_kits.py`` (``make_large``) and
written to a temporary CSV; the timed part runs in a fresh child process so
that its peak resident memory (``ru_maxrss``, which includes the Python
interpreter and pandas, about 100 MB) is not inflated by the generator.

Usage::

    .venv/bin/python benchmarks/bench_kits.py [--events 1000000] [--seed 1] [--repeat 3]
    .venv/bin/python benchmarks/bench_kits.py --csv kits.csv --repeat 5   # an existing log
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
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


def plain(path: Path) -> float:
    """The baseline: pandas.read_csv and a groupby count of the same file (seconds)."""
    import pandas as pd

    t0 = time.perf_counter()
    frame = pd.read_csv(path)
    month = frame["event_date"].str.slice(0, 7)
    frame.groupby(["area_code", "service", month, "event_type"]).size()
    return time.perf_counter() - t0


def floor(path: Path) -> float:
    """A lower bound for any reader that looks at every cell (seconds).

    Arrow's multithreaded CSV parse of the same file, then each column hashed once
    (``dictionary_encode``, the columns on all processors): what ``read_kit_log``
    must do at the least before any rule, output column or aggregate, since every
    cell is checked and kits are linked by ``kit_id``.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.csv as pa_csv

    t0 = time.perf_counter()
    table = pa_csv.read_csv(path)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda c: c.combine_chunks().dictionary_encode(), table.columns))
    return time.perf_counter() - t0


def ours(path: Path) -> tuple[float, float, str]:
    """read_kit_log then a monthly aggregate with totals: (read s, aggregate s, facts)."""
    from overdose_trends.io.kit_counts import aggregate_kits
    from overdose_trends.io.kit_log import read_kit_log

    t0 = time.perf_counter()
    log = read_kit_log(path, as_of="2020-01-01")
    t1 = time.perf_counter()
    counts = aggregate_kits(log.events, "month", total=True)
    t2 = time.perf_counter()
    r = log.report
    facts = (
        f"{r.n_input:,} rows, {r.n_loaded:,} loaded, {len(r.issues):,} issues; "
        f"{len(counts):,} count rows"
    )
    return t1 - t0, t2 - t1, facts


def run(path: Path, repeat: int) -> None:
    """Timed part (child process): the baseline and ours, alternating, ``repeat`` pairs.

    Prints the best of each and, since the machine may be busy, the ratio of each
    side-by-side pair: its median and its range over the pairs.
    """
    base, read, agg, least = [], [], [], []
    facts = ""
    for _ in range(repeat):
        base.append(plain(path))
        least.append(floor(path))
        r, a, facts = ours(path)
        read.append(r)
        agg.append(a)
    totals = [r + a for r, a in zip(read, agg, strict=True)]
    best = min(totals)
    ratios = sorted(t / b for t, b in zip(totals, base, strict=True))
    floors = sorted(f / b for f, b in zip(least, base, strict=True))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas read_csv + groupby:    {min(base):6.2f} s (best of {repeat})")
    print(f"read_kit_log:                 {min(read):6.2f} s ({facts})")
    print(f"aggregate_kits:               {min(agg):6.2f} s")
    print(f"read + validate + aggregate:  {best:6.2f} s")
    print(f"ratio to pandas:              {best / min(base):6.2f} x (target <= 1.5; best of each)")
    print(
        f"ratio per pair:               {statistics.median(ratios):6.2f} x median, "
        f"{ratios[0]:.2f}-{ratios[-1]:.2f} over {repeat} pairs"
    )
    print(
        f"floor (Arrow parse + hash each column): {min(least):.2f} s; per pair "
        f"{statistics.median(floors):.2f} x pandas median, {floors[0]:.2f}-{floors[-1]:.2f}"
    )
    print(f"peak RSS:                     {peak_mb:6.0f} MB (target < 1024 MB)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine:                      load average {load:.2f} over {os.cpu_count()} processors")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (best kept)")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--csv", type=Path, help="time this log instead of a generated one")
    args = parser.parse_args(argv)
    if args.run:
        run(args.run, args.repeat)
        return 0
    if args.csv:
        child = [sys.executable, __file__, "--run", str(args.csv), "--repeat", str(args.repeat)]
        subprocess.run(child, check=True)
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
        child = [sys.executable, __file__, "--run", str(path), "--repeat", str(args.repeat)]
        subprocess.run(child, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
