"""Rebuild the compact extracts in data/ from the original ONS files.

The originals are public (Open Government Licence v3.0) but large; this script
keeps the provenance of every shipped number reproducible::

    python scripts/build_data.py --shared ../shared/data

It reads the files with overdose_trends' own loaders and writes tidy CSVs.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from overdose_trends.io.ons_local import read_local_authority
from overdose_trends.io.ons_national import read_national
from overdose_trends.io.population import read_mid_year_estimates, to_esp_bands

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "overdose_trends" / "data"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=DATA)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        la = read_local_authority(args.shared / "ons" / "2019localauthorities1.xls")
    for w in caught:
        print(f"note: {w.message}")
    _write(la, args.out / "ons_la_drug_deaths_2019.csv.gz")
    _write(
        read_national(args.shared / "ons" / "2021registrations.xlsx"),
        args.out / "ons_national_drug_deaths_2021.csv.gz",
    )
    pop = read_mid_year_estimates(args.shared / "population" / "la_pop_estimates.csv")
    pop = pop[pop["area_code"].str[0].isin(["E", "W"])]  # the ONS death tables cover E&W
    bands = to_esp_bands(pop)[["area_code", "area_name", "year", "age_band", "population"]]
    _write(bands, args.out / "ons_population_esp_bands.csv.gz")


def _write(df, path: Path) -> None:
    """Write ``df`` as gzip CSV with a fixed timestamp, so rebuilds are byte-identical."""
    df.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
    print(f"wrote {len(df)} rows to {path.name}")


if __name__ == "__main__":
    main()
