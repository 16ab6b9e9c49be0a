"""Rebuild the shipped local-authority outlines in data/boundaries/ from the 2013 TopoJSON files.

The originals (``england_lad2013_topo.json`` and ``wales_lad2013_topo.json``,
UK-GeoJSON by Martin Chorley, CC BY 4.0, containing OS data) hold the 348
local authorities of England and Wales as quantised TopoJSON arcs. This script

1. decodes the arcs (delta-encoded integers and the file's ``transform``) to
   longitude/latitude;
2. simplifies each *arc* (shapely, Douglas-Peucker with topology preserved),
   so that neighbouring areas keep sharing exactly the same simplified border
   (no gaps or overlaps, as simplifying each polygon separately would make);
3. builds each 2013 area's polygons from its arcs and dissolves them into the
   outline of every lower-tier, single-tier and upper-tier area of 2013-2023 in
   ``overdose_trends.io.geography.area_lookup``: a recode keeps the outline, a
   merger (``code_changes``) is the union of its predecessors, a county the
   union of its districts;
4. writes ``data/boundaries/la_outlines.json.gz``: one record per area code
   with rings as delta-encoded integers of 1/10,000 degree::

    python scripts/build_boundaries.py --shared ../shared/data

The output is byte-identical on a rebuild (sorted keys, fixed gzip mtime).
shapely is needed here only; the package reads the file with numpy.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.polygon import orient

from overdose_trends.io.geography import area_lookup, code_changes

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "overdose_trends" / "data" / "boundaries" / "la_outlines.json.gz"
FILES = ("england_lad2013_topo.json", "wales_lad2013_topo.json")
#: Simplification tolerance in degrees (about 100 m north-south): enough for a
#: national map and a London inset, far below a borough's size.
TOLERANCE = 0.001
#: Coordinates are stored as integers of 1/SCALE degree (about 10 m).
SCALE = 10_000
#: Islands and holes smaller than this (square degrees, about 0.1 km2) are dropped.
MIN_AREA = 1e-5
MAP_TIERS = ("lower", "single", "upper")

LICENCE = (
    "Outlines derived from UK-GeoJSON by Martin Chorley (https://github.com/martinjc/UK-GeoJson), "
    "licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Contains Ordnance "
    "Survey data (c) Crown copyright and database right 2014, OS OpenData Licence. Simplified "
    "and dissolved to later local-authority codes by overdose_trends scripts/build_boundaries.py."
)


def _arcs(topo: dict[str, Any]) -> list[np.ndarray]:
    """The file's arcs as arrays of (longitude, latitude)."""
    scale = np.asarray(topo["transform"]["scale"], dtype=np.float64)
    shift = np.asarray(topo["transform"]["translate"], dtype=np.float64)
    return [
        np.cumsum(np.asarray(a, dtype=np.float64), axis=0) * scale + shift for a in topo["arcs"]
    ]


def _simplified(arcs: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for arc in arcs:
        if len(arc) <= 2:
            out.append(arc)
            continue
        line = LineString(arc).simplify(TOLERANCE, preserve_topology=True)
        out.append(np.asarray(line.coords))
    return out


def _ring(indices: Iterable[int], arcs: list[np.ndarray]) -> np.ndarray:
    """A ring from TopoJSON arc indices (``~i`` is arc ``i`` reversed), shared points once."""
    parts = []
    for k, i in enumerate(indices):
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts)


def _polygon(rings: list[list[int]], arcs: list[np.ndarray]) -> Polygon | None:
    coords = [_ring(r, arcs) for r in rings]
    if len(coords[0]) < 4:
        return None
    shell = Polygon(coords[0])
    holes = [c for c in coords[1:] if len(c) >= 4]
    poly = Polygon(coords[0], holes) if holes else shell
    return poly if poly.is_valid else shapely.make_valid(poly)


def read_topojson(folder: Path) -> dict[str, tuple[str, Any]]:
    """2013 code -> (name, geometry) of every area in the two files, arcs simplified."""
    out: dict[str, tuple[str, Any]] = {}
    for name in FILES:
        topo = json.loads((folder / name).read_text(encoding="utf-8"))
        arcs = _simplified(_arcs(topo))
        for geom in topo["objects"]["lad"]["geometries"]:
            props = geom["properties"]
            polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
            parts = [p for p in (_polygon(rings, arcs) for rings in polys) if p is not None]
            out[props["LAD13CD"]] = (props["LAD13NM"], shapely.union_all(parts))
    return out


def atoms_of(areas: Any, changes: Any, known: set[str]) -> dict[str, set[str]]:
    """Area code -> the 2013 outline codes it is made of, for every mapped area of 2013-2023."""
    recodes: dict[str, set[str]] = {}
    mergers: dict[str, list[str]] = {}
    for row in changes.itertuples():
        if row.kind == "recode":
            recodes.setdefault(row.new_code, set()).add(row.old_code)
            recodes.setdefault(row.old_code, set()).add(row.new_code)
        elif row.kind == "merger":
            mergers.setdefault(row.new_code, []).append(row.old_code)
    tiers = dict(zip(areas["area_code"], areas["tier"], strict=True))

    def lower(code: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if code in known:
            return {code}
        if code in mergers:
            return set().union(*(lower(c, seen | {code}) for c in mergers[code]))
        for other in sorted(recodes.get(code, ())):
            if other not in seen and tiers.get(other) in ("lower", "single"):
                return lower(other, seen | {code})
        raise SystemExit(f"no 2013 outline for {code}")

    out: dict[str, set[str]] = {}
    mapped = areas[areas["tier"].isin(MAP_TIERS)]
    for row in mapped.itertuples():
        if row.tier != "upper":
            out[row.area_code] = lower(row.area_code)
    for row in mapped[mapped["tier"] == "upper"].itertuples():
        parts = areas.loc[
            (areas["upper_tier_code"] == row.area_code) & (areas["tier"] == "lower"), "area_code"
        ]
        out[row.area_code] = set().union(*(out[c] for c in parts))
    return out


def _clean(geom: Any) -> list[Polygon]:
    """Polygons of a geometry, exterior anticlockwise and holes clockwise, tiny parts dropped."""
    polys = (
        [geom]
        if isinstance(geom, Polygon)
        else [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    )
    flat: list[Polygon] = []
    for p in polys:
        flat.extend([p] if isinstance(p, Polygon) else list(p.geoms))
    out = []
    for p in flat:
        if p.area < MIN_AREA:
            continue
        holes = [h for h in p.interiors if Polygon(h).area >= MIN_AREA]
        out.append(orient(Polygon(p.exterior, holes), sign=1.0))
    return sorted(out, key=lambda p: -p.area)


def _encode(ring: Any) -> list[int]:
    """A ring as [x0, y0, dx1, dy1, ...] in integers of 1/SCALE degree, closing point dropped."""
    xy = np.rint(np.asarray(ring.coords)[:-1] * SCALE).astype(np.int64)
    keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
    xy = xy[keep]
    deltas = np.vstack([xy[:1], np.diff(xy, axis=0)])
    return [int(v) for v in deltas.ravel()]


def build(folder: Path) -> dict[str, Any]:
    base = read_topojson(folder)
    areas = area_lookup()
    atoms = atoms_of(areas, code_changes(), set(base))
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    records = {}
    for code in sorted(atoms):
        geom = shapely.union_all([base[c][1] for c in sorted(atoms[code])])
        polys = _clean(geom)
        records[code] = {
            "name": names[code],
            "polygons": [[_encode(p.exterior), *(_encode(h) for h in p.interiors)] for p in polys],
        }
    return {
        "format": "overdose_trends outlines 1",
        "crs": "EPSG:4326 (longitude, latitude), integers of 1/scale degree, delta-encoded",
        "scale": SCALE,
        "tolerance_degrees": TOLERANCE,
        "source": "england_lad2013_topo.json, wales_lad2013_topo.json (UK-GeoJSON, 2013 codes)",
        "licence": LICENCE,
        "areas": records,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    data = build(args.shared / "boundaries")
    text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".part")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text)
    tmp.replace(args.out)
    print(f"{args.out}: {len(data['areas'])} areas, {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
