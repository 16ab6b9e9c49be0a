"""Benchmark: ``aggregate_kits`` on a 1,000,000-event kit log against a plain pandas groupby.

Issue #15 (Performance). The log is made by ``scripts/make_synthetic_kits.py``
(``make_large``), written to a temporary CSV and read once with ``read_kit_log``
(not timed). Then, alternating so that a busy machine slows both alike:

* **ours**: ``aggregate_kits(events, "month", total=True)``: counts per area,
  service, month and measure, zero-filled, with totals over services;
* **plain**: ``events.groupby(["area_code", "service", month, "event_type"]).size()``
  with ``month = events["event_date"].dt.to_period("M")``: a count per group
  with no zero-filling, no supply-type measures and no totals.

Prints the best time of each, the median and range of the ratio ours / plain
over the side-by-side pairs, and the load average.

Usage::

    .venv/bin/python benchmarks/bench_aggregate.py [--events 1000000] [--seed 1] [--repeat 7]
    .venv/bin/python benchmarks/bench_aggregate.py --csv kits.csv --repeat 9   # an existing log
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_kits import _generator  # noqa: E402  (the log generator of the read benchmark)


def plain(events: pd.DataFrame) -> float:
    """The baseline: a groupby count per area, service, month and event type (seconds)."""
    t0 = time.perf_counter()
    month = events["event_date"].dt.to_period("M")
    events.groupby(["area_code", "service", month, "event_type"]).size()
    return time.perf_counter() - t0


def ours(events: pd.DataFrame) -> float:
    """``aggregate_kits`` by month with totals over services (seconds)."""
    from overdose_trends.io.kit_counts import aggregate_kits

    t0 = time.perf_counter()
    aggregate_kits(events, "month", total=True)
    return time.perf_counter() - t0


def run(events: pd.DataFrame, repeat: int) -> None:
    """Time both, alternating, ``repeat`` pairs (after one untimed warm-up of each)."""
    plain(events)
    ours(events)
    base, agg = [], []
    for _ in range(repeat):
        base.append(plain(events))
        agg.append(ours(events))
    ratios = sorted(a / b for a, b in zip(agg, base, strict=True))
    print(f"events:                 {len(events):,}")
    print(
        f"plain pandas groupby:   {min(base):6.3f} s best, {statistics.median(base):.3f} s median"
    )
    print(f"aggregate_kits:         {min(agg):6.3f} s best, {statistics.median(agg):.3f} s median")
    print(
        f"ratio per pair:         {statistics.median(ratios):6.2f} x median, "
        f"{ratios[0]:.2f}-{ratios[-1]:.2f} over {repeat} pairs"
    )
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"machine:                load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"over {os.cpu_count()} processors"
    )


def _events(path: Path) -> pd.DataFrame:
    from overdose_trends.io.kit_log import read_kit_log

    t0 = time.perf_counter()
    events = read_kit_log(path, as_of="2020-01-01").events
    print(f"read_kit_log (not timed below): {time.perf_counter() - t0:.1f} s")
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7, help="timed pairs (best kept)")
    parser.add_argument("--csv", type=Path, help="time this log instead of a generated one")
    args = parser.parse_args(argv)
    if args.csv:
        run(_events(args.csv), args.repeat)
        return 0
    gen = _generator()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kits.csv"
        gen.write_csv(gen.make_large(args.events, seed=args.seed), path)
        events = _events(path)
    run(events, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
