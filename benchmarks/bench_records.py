"""Benchmark: record-level death registrations on DuckDB, beside plain pandas.

Target (issue #16): 10,000,000 SYNTHETIC registrations in Parquet read, validated,
classified (ONS drug poisoning, drug misuse, intent, substance groups) and
aggregated to local authority x registration year x sex x 19 age bands in under
20 s on 2 cores, with peak memory under 2 GB. Reported beside a plain pandas
implementation of the same steps on 1,000,000 rows, and how both grow with size.

The Parquet files are made by
:func:`overdose_trends.io.records.synthetic.synthetic_death_records` in chunks
of 500,000 rows (``seed=(seed, chunk)``) and kept in ``--dir`` for re-use. Each
timed run is a fresh child process, so its peak resident memory (``ru_maxrss``:
interpreter, pandas and DuckDB) is its own.

Usage (be kind to shared machines: ``nice``)::

    nice .venv/bin/python benchmarks/bench_records.py [--sizes 1000000 3000000 10000000]
        [--pandas-sizes 1000000] [--dir /tmp/overdose_trends_bench_records] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 500_000


def make_file(path: Path, n: int, seed: int) -> None:
    """Write ``n`` synthetic registrations to ``path`` (Parquet), chunk by chunk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from overdose_trends.io.records.synthetic import synthetic_death_records

    tmp = path.with_suffix(".tmp")
    writer = None
    schema = None
    try:
        for i, start in enumerate(range(0, n, CHUNK)):
            size = min(CHUNK, n - start)
            frame = synthetic_death_records(size, seed=(seed, i), years=(2001, 2021))
            frame["record_id"] = [f"SYNTHETIC-{start + j + 1:09d}" for j in range(size)]
            for k in range(1, 16):  # same columns in every chunk
                if f"cause_{k}" not in frame:
                    frame[f"cause_{k}"] = None
                frame[f"cause_{k}"] = frame[f"cause_{k}"].astype("string")
            frame["substances"] = frame["substances"].astype("string")
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(tmp, schema, compression="zstd")
            writer.write_table(table.cast(schema))
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)


def run_duckdb(path: str, threads: int) -> dict[str, float]:
    """Timed part (child): read_death_records + aggregate_deaths on the Parquet file."""
    from overdose_trends.io.records._engine import DuckDBEngine
    from overdose_trends.io.records.aggregate import aggregate_deaths
    from overdose_trends.io.records.read import read_death_records

    con = DuckDBEngine(threads=threads).con
    c0 = _cpu()
    t0 = time.perf_counter()
    recs = read_death_records(path, con=con, as_of="2022-12-31")
    t1 = time.perf_counter()
    counts = aggregate_deaths(recs, by=("area_code", "sex"), period="registration")
    t2 = time.perf_counter()
    assert recs.report is not None
    return {
        "rows": recs.report.n_input,
        "read_validate_s": t1 - t0,
        "classify_aggregate_s": t2 - t1,
        "total_s": t2 - t0,
        "count_rows": len(counts),
        "deaths": int(counts.loc[counts["sex"] != "persons", "deaths"].sum()),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": _cpu() - c0,
    }


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_pandas(path: str) -> dict[str, float]:
    """Timed part (child): the same steps in plain pandas (in memory), for comparison."""
    import numpy as np
    import pandas as pd

    from overdose_trends.constants import ESP2013_BAND_STARTS, ESP2013_BANDS
    from overdose_trends.io.records.rules import substance_table

    c0 = _cpu()
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    reg = pd.to_datetime(df["registration_date"], errors="coerce")
    occ = pd.to_datetime(df["occurrence_date"], errors="coerce")
    causes = [c for c in df.columns if c.startswith("cause_")]
    code = r"^[A-Z][0-9]{2}(\.?[0-9X])?$"
    bad = reg.isna() | (occ > reg) | ~df["area_code"].str.fullmatch(r"[EWKSN][0-9]{8}")
    bad |= ~df["underlying_cause"].str.upper().str.fullmatch(code)
    for c in causes:
        bad |= df[c].notna() & ~df[c].str.upper().str.fullmatch(code).fillna(False)
    df = df[~bad.to_numpy()].copy()
    t1 = time.perf_counter()
    uc3 = df["underlying_cause"].str.upper().str.replace(".", "", regex=False).str[:3]
    poison = uc3.isin(
        [f"F1{d}" for d in (1, 2, 3, 4, 5, 6, 8, 9)]
        + [f"X4{d}" for d in range(5)]
        + [f"X6{d}" for d in range(5)]
        + ["X85"]
        + [f"Y1{d}" for d in range(5)]
    )
    subs = substance_table()
    controlled = subs.loc[subs["mda_class"] != "", "name"]
    pattern = (
        r"\b("
        + "|".join(map(lambda s: s.replace("(", r"\(").replace(")", r"\)"), controlled))
        + r")\b"
    )
    named = df["substances"].str.lower().str.contains(pattern, regex=True).fillna(False)
    always = uc3.isin([f"F1{d}" for d in (1, 2, 3, 4, 5, 6, 9)])
    misuse = poison & (always | named)
    age = df["age"].to_numpy()
    band = np.asarray(ESP2013_BANDS)[np.searchsorted(ESP2013_BAND_STARTS, age, side="right") - 1]
    out = pd.DataFrame(
        {
            "area_code": df["area_code"],
            "sex": df["sex"],
            "year": reg[~bad.to_numpy()].dt.year,
            "age_band": band,
            "poisoning": poison.astype(int),
            "misuse": misuse.astype(int),
        }
    )
    counts = out.groupby(["area_code", "sex", "year", "age_band"])[["poisoning", "misuse"]].sum()
    t2 = time.perf_counter()
    return {
        "rows": len(bad),
        "read_validate_s": t1 - t0,
        "classify_aggregate_s": t2 - t1,
        "total_s": t2 - t0,
        "count_rows": len(counts),
        "deaths": int(counts["poisoning"].sum() + counts["misuse"].sum()),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": _cpu() - c0,
    }


def _child(kind: str, path: Path, threads: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), "--threads", str(threads)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    parser.add_argument("--pandas-sizes", type=int, nargs="*", default=[1_000_000])
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()) / "overdose_trends_bench_records"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, path = args.child
        result = run_duckdb(path, args.threads) if kind == "duckdb" else run_pandas(path)
        print(json.dumps(result))
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    print(
        f"{'engine':<7} {'rows':>11} {'read+check':>11} {'class+agg':>10} {'total':>8} "
        f"{'CPU':>8} {'peak MB':>8}"
    )
    for kind, sizes in (("duckdb", args.sizes), ("pandas", args.pandas_sizes)):
        for n in sizes:
            path = args.dir / f"synthetic_deaths_{n}_{args.seed}.parquet"
            if not path.exists():
                t = time.perf_counter()
                make_file(path, n, args.seed)
                print(f"(made {path.name} in {time.perf_counter() - t:.0f} s)")
            r = _child(kind, path, args.threads)
            print(
                f"{kind:<7} {int(r['rows']):>11,} {r['read_validate_s']:>10.2f}s "
                f"{r['classify_aggregate_s']:>9.2f}s {r['total_s']:>7.2f}s {r['cpu_s']:>7.2f}s "
                f"{r['peak_mb']:>8.0f}"
            )
    print("targets: DuckDB 10,000,000 rows total < 20 s, peak < 2,048 MB (2 cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
