"""Rebuild the geography tables in data/geography/ (area hierarchy and IMD 2019 extract).

The hierarchy (district -> county/unitary -> region -> country) is read from the
row order of the ONS local-authority drug-deaths workbook as shipped in
``ons_la_drug_deaths_2019.csv.gz`` (rows are listed country, region, then each
region's unitaries and counties, each county followed by its districts), and
extended with the areas before and after each change in the hand-kept,
cited ``data/geography/code_changes.csv``::

    python scripts/build_geography.py --shared ../shared/data

``--shared`` is needed only for the deprivation extract (the English Indices of
Deprivation 2019 local-authority summaries, files 10 and 11).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from overdose_trends.io.datasets import la_deaths

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "overdose_trends" / "data" / "geography"

#: Official GSS names of the countries and regions (the workbook prints them in capitals).
NAMES = {
    "K04000001": "England and Wales",
    "E92000001": "England",
    "W92000004": "Wales",
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
#: Areas absent from the workbook (May 2020 boundaries): code -> (name, level, parent).
#: Parents from the ONS Code History Database / the statutory orders in code_changes.csv.
EXTRA = {
    "E08000020": ("Gateshead", "metropolitan_district", "E11000007"),
    "E06000048": ("Northumberland", "unitary", "E12000001"),
    "E07000097": ("East Hertfordshire", "district", "E10000015"),
    "E07000100": ("St Albans", "district", "E10000015"),
    "E07000101": ("Stevenage", "district", "E10000015"),
    "E07000104": ("Welwyn Hatfield", "district", "E10000015"),
    "E06000028": ("Bournemouth", "unitary", "E12000009"),
    "E06000029": ("Poole", "unitary", "E12000009"),
    "E10000009": ("Dorset", "county", "E12000009"),
    "E07000048": ("Christchurch", "district", "E10000009"),
    "E07000049": ("East Dorset", "district", "E10000009"),
    "E07000050": ("North Dorset", "district", "E10000009"),
    "E07000051": ("Purbeck", "district", "E10000009"),
    "E07000052": ("West Dorset", "district", "E10000009"),
    "E07000053": ("Weymouth and Portland", "district", "E10000009"),
    "E07000201": ("Forest Heath", "district", "E10000029"),
    "E07000204": ("St Edmundsbury", "district", "E10000029"),
    "E07000205": ("Suffolk Coastal", "district", "E10000029"),
    "E07000206": ("Waveney", "district", "E10000029"),
    "E07000190": ("Taunton Deane", "district", "E10000027"),
    "E07000191": ("West Somerset", "district", "E10000027"),
    "E10000002": ("Buckinghamshire", "county", "E12000008"),
    "E07000004": ("Aylesbury Vale", "district", "E10000002"),
    "E07000005": ("Chiltern", "district", "E10000002"),
    "E07000006": ("South Bucks", "district", "E10000002"),
    "E07000007": ("Wycombe", "district", "E10000002"),
    "E06000061": ("North Northamptonshire", "unitary", "E12000004"),
    "E06000062": ("West Northamptonshire", "unitary", "E12000004"),
    "E06000063": ("Cumberland", "unitary", "E12000002"),
    "E06000064": ("Westmorland and Furness", "unitary", "E12000002"),
    "E06000065": ("North Yorkshire", "unitary", "E12000003"),
    "E06000066": ("Somerset", "unitary", "E12000009"),
}
TIER = {
    "district": "lower",
    "county": "upper",
    "unitary": "single",
    "metropolitan_district": "single",
    "london_borough": "single",
}
CONTAINERS = {"county", "metropolitan_county", "inner_outer_london"}
LOWER = {"district", "metropolitan_district", "london_borough"}


def hierarchy(la: pd.DataFrame) -> pd.DataFrame:
    """Areas of the workbook with their parent, from the row order of Table 1."""
    t1 = la[la["sheet"] == "Table 1"].drop_duplicates("area_code").sort_values("row")
    rows = []
    country = region = container = ""
    for r in t1.itertuples():
        code, level = str(r.area_code), str(r.area_level)
        if code.startswith("K04"):
            parent = ""
        elif level == "country":
            country, region, parent = code, "", "K04000001"
        elif level == "region":
            region, parent = code, country
        elif level in CONTAINERS:
            container, parent = code, region or country
        elif level in LOWER:
            parent = container
        else:  # unitary: directly under its region (England) or country (Wales)
            parent = region or country
        rows.append((code, NAMES.get(code, str(r.area_name)), level, parent))
    return pd.DataFrame(rows, columns=["area_code", "area_name", "area_level", "parent_code"])


def build_areas(la: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    areas = hierarchy(la)
    extra = pd.DataFrame(
        [(c, n, lv, p) for c, (n, lv, p) in EXTRA.items()],
        columns=["area_code", "area_name", "area_level", "parent_code"],
    )
    areas = pd.concat([areas, extra], ignore_index=True)
    assert areas["area_code"].is_unique
    parent = dict(zip(areas["area_code"], areas["parent_code"], strict=True))
    level = dict(zip(areas["area_code"], areas["area_level"], strict=True))

    def ancestor(code: str, prefix: str) -> str:
        while code:
            if code.startswith(prefix):
                return code
            code = parent.get(code, "")
        return ""

    years = pd.to_datetime(changes["date"]).dt.year
    born = dict(zip(changes["new_code"], years, strict=False))
    died = dict(zip(changes["old_code"], years - 1, strict=False))
    recode = set(changes.loc[changes["kind"] == "recode", "old_code"])
    out = areas.assign(
        tier=[TIER.get(v, "") for v in areas["area_level"]],
        upper_tier_code=[
            c if TIER.get(level[c]) in ("upper", "single")
            else (parent[c] if level[c] == "district" else "")
            for c in areas["area_code"]
        ],
        region_code=[ancestor(c, "E12") for c in areas["area_code"]],
        country_code=[ancestor(c, "E92") or ancestor(c, "W92") for c in areas["area_code"]],
        valid_from=pd.array([born.get(c) for c in areas["area_code"]], dtype="Int64"),
        valid_to=pd.array([died.get(c) for c in areas["area_code"]], dtype="Int64"),
    )  # fmt: skip
    # a county that became a unitary authority keeps its code's history in code_changes
    assert recode <= set(out["area_code"])
    columns = [
        "area_code", "area_name", "area_level", "tier", "parent_code", "upper_tier_code",
        "region_code", "country_code", "valid_from", "valid_to",
    ]  # fmt: skip
    return out[columns]


#: IMD 2019 sheets -> short prefixes of the extract's columns.
DOMAINS = {
    "IMD": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education": "education",
    "Health": "health",
    "Crime": "crime",
    "Barriers": "barriers",
    "Living": "living",
    "IDACI": "idaci",
    "IDAOPI": "idaopi",
}


def build_deprivation(folder: Path) -> pd.DataFrame:
    parts = []
    for tier, name in (
        ("lower", "File_10_IoD2019_LAD_summaries_lower_tier.xlsx"),
        ("upper", "File_11_IoD2019_LAD_summaries_upper_tier.xlsx"),
    ):
        sheets = pd.read_excel(folder / name, sheet_name=None, engine="calamine")
        out = None
        for sheet, prefix in DOMAINS.items():
            df = sheets[sheet]
            df.columns = [" ".join(str(c).split()) for c in df.columns]
            code, area = df.columns[0], df.columns[1]
            label = df.columns[2].split(" - ")[0]
            cols = {
                code: "area_code",
                area: "area_name",
                f"{label} - Average score": f"{prefix}_score",
                f"{label} - Rank of average score": f"{prefix}_rank",
            }
            if prefix == "imd":
                cols |= {
                    "IMD - Average rank": "imd_average_rank",
                    "IMD - Proportion of LSOAs in most deprived 10% nationally": (
                        "imd_most_deprived_10pc"
                    ),
                    "IMD 2019 - Extent": "imd_extent",
                    "IMD 2019 - Local concentration": "imd_local_concentration",
                }
            if prefix in ("income", "employment"):
                scale = [c for c in df.columns if c.lower() == f"{prefix} scale"][0]
                cols[scale] = f"{prefix}_scale"
            missing = set(cols) - set(df.columns)
            assert not missing, (name, sheet, missing)
            part = df[list(cols)].rename(columns=cols)
            out = part if out is None else out.merge(part, on=["area_code", "area_name"])
        assert out is not None
        parts.append(out.assign(tier=tier))
    df = pd.concat(parts, ignore_index=True)
    first = ["area_code", "area_name", "tier"]
    return df[first + [c for c in df.columns if c not in first]]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    changes = pd.read_csv(args.out / "code_changes.csv", dtype=str)
    build_areas(la_deaths(), changes).to_csv(args.out / "areas.csv", index=False)
    dep = args.shared / "deprivation"
    if dep.is_dir():
        build_deprivation(dep).to_csv(args.out / "imd2019_local_authorities.csv", index=False)
    else:
        print(f"note: {dep} not found; deprivation extract not rebuilt")


if __name__ == "__main__":
    main()
