"""Benchmark: the ONS local-authority reader against the raw read of the same workbook.

Compares :func:`overdose_trends.io.ons_local.read_local_authority` (python-calamine,
every check, tidy output) side by side with
``pandas.read_excel(path, engine="calamine", sheet_name=None, header=None)`` (the
raw grids only). Each run is a fresh process, so its peak memory is its own;
memory is the growth of the peak resident set over the process's size just before
the read (interpreter and imports excluded).

Workbooks: the real 2019 edition (``2019localauthorities1.xls``, when
../shared/data is present or given on the command line) and generated workbooks in
the 2020/2021 ``.xlsx`` layout at 1x, 4x and 16x the number of areas, to show that
time and memory grow linearly.

Targets (issue #12, Performance): time and peak memory at most 1.5x the raw read;
time per tidy row at 16x within 1.5x of that at 1x.

Measured 2026-12-04 (``--repeat 2``, 2 shared cores under load, so times are noisy)::

    workbook                       rows    raw s   ours s  ratio  raw MiB ours MiB  ratio
    2019localauthorities1.xls    59,334    2.390    3.068   1.28     33.3     40.9   1.23
    generated .xlsx 1x           15,600    1.678    2.001   1.19      9.4     11.0   1.17
    generated .xlsx 4x           62,400    3.732    3.824   1.02     19.0     23.9   1.26
    generated .xlsx 16x         249,600    2.802    3.443   1.23     61.1     76.7   1.26

About a third of the reader's time on the .xls is the oversized-sheet guard's walk of
every BIFF record (``io._sheet_guard.xls_extents``), which the raw read does not do.

Usage::

    python benchmarks/bench_ons_read.py [path/to/2019localauthorities1.xls]
        [--repeat 3] [--areas 100] [--scales 1 4 16]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT = SHARED / "ons" / "2019localauthorities1.xls"
TIME_RATIO = 1.5
MEMORY_RATIO = 1.5
LINEARITY = 1.5


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * (resource.getpagesize() // 1024)


def _run(kind: str, path: str, queue) -> None:
    import warnings

    import pandas as pd

    from overdose_trends.io.ons_local import read_local_authority

    warnings.simplefilter("ignore")
    before = _rss_kib()
    t0 = time.perf_counter()
    if kind == "reader":
        rows = len(read_local_authority(path))
    else:
        sheets = pd.read_excel(path, engine="calamine", sheet_name=None, header=None)
        rows = sum(len(s) for s in sheets.values())
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    queue.put((seconds, max(peak - before, 1) / 1024, rows))


def _measure(kind: str, path: Path, repeat: int) -> tuple[float, float, int]:
    ctx = mp.get_context("spawn")
    results = []
    for _ in range(repeat):
        q = ctx.Queue()
        p = ctx.Process(target=_run, args=(kind, str(path), q))
        p.start()
        results.append(q.get())
        p.join()
    return min(r[0] for r in results), min(r[1] for r in results), results[0][2]


def _generated(folder: Path, n_areas: int) -> Path:
    """An old-layout (2020/2021-style) .xlsx with ``n_areas`` areas, written with xlsxwriter."""
    import xlsxwriter

    sys.path.insert(0, str(ROOT))
    from tests.workbooks import la_old_sheets

    areas = [(f"E07{i:06d}", f"District {i}") for i in range(1, n_areas + 1)]
    path = folder / f"la_{n_areas}.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, rows in la_old_sheets(areas, edition=2021).items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value != "":
                    sheet.write(r, c, value)
    book.close()
    return path


def _compare(label: str, path: Path, repeat: int) -> tuple[bool, float]:
    ours = _measure("reader", path, repeat)
    raw = _measure("raw", path, repeat)
    t_ratio, m_ratio = ours[0] / raw[0], ours[1] / raw[1]
    ok = t_ratio <= TIME_RATIO and m_ratio <= MEMORY_RATIO
    print(
        f"{label:<26}{ours[2]:>9,}{raw[0]:>9.3f}{ours[0]:>9.3f}{t_ratio:>7.2f}"
        f"{raw[1]:>9.1f}{ours[1]:>9.1f}{m_ratio:>7.2f}  {'ok' if ok else 'OVER'}"
    )
    return ok, ours[0] / ours[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--areas", type=int, default=100, help="areas at scale 1 (generated)")
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    args = ap.parse_args(argv)
    print(
        f"{'workbook':<26}{'rows':>9}{'raw s':>9}{'ours s':>9}{'ratio':>7}"
        f"{'raw MiB':>9}{'ours MiB':>9}{'ratio':>7}"
    )
    ok = True
    if Path(args.path).exists():
        ok &= _compare(Path(args.path).name, Path(args.path), args.repeat)[0]
    else:
        print(f"(real workbook not found: {args.path}; generated workbooks only)")
    per_row = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            path = _generated(Path(tmp), args.areas * scale)
            good, per_row[scale] = _compare(f"generated .xlsx {scale}x", path, args.repeat)
            ok &= good
    if len(per_row) > 1:
        lo, hi = min(per_row), max(per_row)
        growth = per_row[hi] / per_row[lo]
        linear = growth <= LINEARITY
        verdict = "linear" if linear else "NOT linear"
        print(f"time per tidy row at {hi}x / at {lo}x: {growth:.2f} ({verdict})")
        ok &= linear
    print(f"targets (time and memory <= {TIME_RATIO}x raw, linear): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
