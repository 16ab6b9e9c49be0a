"""Choropleth maps (overdose_trends.plots.maps) and the shipped outlines."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from overdose_trends.io import datasets
from overdose_trends.io.geography import area_lookup, harmonise
from overdose_trends.plots import style
from overdose_trends.plots._map_classes import (
    CATEGORY_COLORS,
    HATCHES,
    SEQUENTIAL,
    quantile_breaks,
)
from overdose_trends.plots._map_outlines import OUTLINE_FILE, map_areas, outlines
from overdose_trends.plots.maps import SOURCE_BOUNDARIES, plot_map
from overdose_trends.stats.funnel import vs_benchmark
from tests.plotting_helpers import check_image, figure_texts, flat, one

LOWER_LEVELS = ("district", "unitary", "metropolitan_district", "london_borough")
#: ONS 2019 edition, Table 3: England, drug poisoning, persons, 2016-18 (per 100,000).
ENGLAND_2016_18 = 6.7
#: ONS 2019 edition, Table 3, drug poisoning, persons, 2016-18: Norwich 21.0 (16.6-26.3),
#: 40 deaths... the highest rate among English districts (rank 1 of 160 in plot_ranking).
NORWICH = "E07000148"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def rates_2016_18() -> pd.DataFrame:
    la = datasets.la_deaths()
    return la.query(
        "measure == 'poisoning' and sex == 'persons' and period_start == 2016 "
        "and period_end == 2018"
    ).reset_index(drop=True)


def _patches(ax) -> dict[str, object]:
    return {p.get_gid()[5:]: p for p in ax.patches if str(p.get_gid()).startswith("area-")}


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in one(ax, "legend").get_texts()]


def _inset(ax):
    (inset,) = [c for c in ax.child_axes if c.get_gid() == "london-inset"]
    return inset


#: Invented rates for the 22 Welsh unitary authorities (codes of 2020), for the image test.
WALES = {
    "W06000001": 3.1, "W06000002": 4.0, "W06000003": 6.2, "W06000004": 7.5, "W06000005": 5.1,
    "W06000006": 9.9, "W06000023": 2.2, "W06000008": np.nan, "W06000009": 6.8,
    "W06000010": 7.7, "W06000011": 14.9, "W06000012": 10.2, "W06000013": 12.4,
    "W06000014": 4.4, "W06000015": 8.8, "W06000016": 11.0, "W06000024": 13.3,
    "W06000018": 8.1, "W06000019": 9.1, "W06000020": 6.0, "W06000021": 2.9, "W06000022": 10.7,
}  # fmt: skip


def _wales() -> pd.DataFrame:
    df = pd.DataFrame({"area_code": list(WALES), "rate": list(WALES.values())})
    df["deaths"] = np.where(np.isnan(df["rate"]), 7, 40)
    return df.assign(measure="poisoning", sex="persons", period_start=2016, period_end=2018)


# --- the shipped outlines -----------------------------------------------------------------


def test_every_mapped_area_of_every_vintage_has_an_outline():
    areas = area_lookup()
    mapped = areas[areas["tier"].isin(["lower", "single", "upper"])]
    missing = sorted(set(mapped["area_code"]) - set(outlines()))
    assert missing == []
    for vintage in (2013, 2019, 2020, 2023):
        lower = map_areas(vintage, "lower")
        assert len(lower.codes) == len(set(lower.codes))
        assert sum(lower.london) == 33  # 32 boroughs and the City of London


def test_outline_file_keeps_the_licence_and_dissolved_areas_are_unions():
    from overdose_trends.io.datasets import data_dir

    with gzip.open(data_dir() / OUTLINE_FILE, "rt", encoding="utf-8") as fh:
        raw = json.load(fh)
    assert "CC BY 4.0" in raw["licence"] and "Crown copyright" in raw["licence"]
    paths = outlines()

    def extent(code):
        v = paths[code].vertices
        return v.min(axis=0), v.max(axis=0)

    # East Suffolk (2019) spans Suffolk Coastal and Waveney; Norfolk county its districts
    lo, hi = extent("E07000244")
    for part in ("E07000205", "E07000206"):
        plo, phi = extent(part)
        assert np.all(lo <= plo + 1e-9) and np.all(phi <= hi + 1e-9)
    lo, hi = extent("E10000020")
    assert np.all(lo <= extent(NORWICH)[0]) and np.all(extent(NORWICH)[1] <= hi)
    # a recode keeps its outline
    assert np.array_equal(paths["E07000100"].vertices, paths["E07000240"].vertices)
    # longitude and latitude of England and Wales
    allv = np.vstack([p.vertices for p in paths.values()])
    assert -6.5 < allv[:, 0].min() < -5.5 and 1.5 < allv[:, 0].max() < 2.0
    assert 49.8 < allv[:, 1].min() < 50.1 and 55.7 < allv[:, 1].max() < 55.9


def test_every_authority_of_the_2016_18_rates_gets_a_polygon(rates_2016_18):
    lower = rates_2016_18[rates_2016_18["area_level"].isin(LOWER_LEVELS)]
    assert len(lower) == 336
    harmonised = harmonise(lower, to=2023, rates="drop")
    ax = plot_map(harmonised)
    drawn = set(_patches(ax))
    assert set(harmonised["area_code"]) <= drawn
    assert drawn == set(map_areas(2023, "lower").codes)
    assert "E06000063" in drawn and "E07000026" not in drawn  # Cumberland, not Allerdale
    # merged areas' summed rows have no published rate: hatched as no data
    assert _patches(ax)["E06000063"].get_hatch() == HATCHES["no_data"]
    # the published codes (boundaries of May 2020) draw as they are, every one with its rate
    ax = plot_map(lower)
    assert set(_patches(ax)) == set(lower["area_code"])


# --- artists --------------------------------------------------------------------------------


def test_quantile_classes_colours_hatching_inset_and_legend(rates_2016_18):
    ax = plot_map(rates_2016_18)
    patches = _patches(ax)
    assert len(patches) == 336  # 2020 districts and single-tier authorities, England and Wales
    lower = rates_2016_18[rates_2016_18["area_level"].isin(LOWER_LEVELS)].set_index("area_code")
    shown = lower.loc[lower["rate_status"].isin(["ok", "unreliable"]), "rate"]
    breaks = quantile_breaks(shown.to_numpy(), 5, 1)
    assert len(breaks) == 4
    colors = SEQUENTIAL[5]
    for code, rate in shown.items():
        cls = int(np.searchsorted(breaks, rate, side="right"))
        assert to_hex(patches[code].get_facecolor()) == colors[cls].lower(), code
        assert patches[code].get_hatch() is None
    assert to_hex(patches[NORWICH].get_facecolor()) == colors[-1].lower()
    not_calc = lower.index[lower["rate_status"] == "not_calculated"]
    assert len(not_calc) == 31
    for code in not_calc:
        assert patches[code].get_hatch() == HATCHES["not_calculated"]
        assert to_hex(patches[code].get_facecolor()) == "#ffffff"
    texts = _legend_texts(ax)
    assert texts[0] == f"Under {breaks[0]:.1f} ({int((shown < breaks[0]).sum())})"
    assert texts[-1] == "Rate not calculated (31)\n(fewer than 10 deaths)"
    assert sum(int(t.split("(")[1].split(")")[0]) for t in texts) == 336
    assert one(ax, "legend").get_title().get_text() == "Deaths per 100,000"
    inset = _inset(ax)
    assert len(_patches(inset)) == 33
    assert all(code.startswith("E09") for code in _patches(inset))
    one(ax, "london-box")
    texts = figure_texts(ax.figure)
    assert texts["title"].replace("\n", " ") == (
        "Deaths related to drug poisoning by local authority, England and Wales, 2016-18"
    )
    assert texts["units"] == style.UNITS_ASR_100K
    footer = flat(texts["footer"])
    assert flat(SOURCE_BOUNDARIES) in footer and "Source: ONS" in footer
    assert "100 area(s) have rates from 10-19 deaths" in footer
    assert "Local authorities as in 2020" in footer


def test_areas_without_a_row_are_hatched_as_no_data(rates_2016_18):
    data = rates_2016_18[rates_2016_18["area_code"] != NORWICH]
    ax = plot_map(data, inset=False)
    assert _patches(ax)[NORWICH].get_hatch() == HATCHES["no_data"]
    assert _legend_texts(ax)[-1] == "No data (1)"
    assert not [c for c in ax.child_axes if c.get_gid() == "london-inset"]


def test_fixed_breaks(rates_2016_18):
    ax = plot_map(rates_2016_18, breaks=[5, 10], inset=False)
    texts = _legend_texts(ax)
    assert [t.split(" (")[0] for t in texts[:3]] == [
        "Under 5.0",
        "5.0 to under 10.0",
        "10.0 and over",
    ]
    patches = _patches(ax)
    assert to_hex(patches[NORWICH].get_facecolor()) == SEQUENTIAL[3][-1].lower()
    with pytest.raises(ValueError, match="increasing"):
        plot_map(rates_2016_18, breaks=[10, 5])
    with pytest.raises(ValueError, match="k must be 3 to 7"):
        plot_map(rates_2016_18, k=9)


def test_benchmark_categories_come_from_vs_benchmark(rates_2016_18):
    ax = plot_map(rates_2016_18, benchmark="E92000001", inset=False)
    expected = vs_benchmark(rates_2016_18, "E92000001", deaths=None, polarity="low_is_good")
    expected = expected.set_index("area_code")
    patches = _patches(ax)
    for code, patch in patches.items():
        cat = str(expected.loc[code, "category"])
        if cat == "Not compared":
            assert patch.get_hatch() is not None
        else:
            assert to_hex(patch.get_facecolor()) == CATEGORY_COLORS[cat].lower(), code
    assert expected.loc[NORWICH, "category"] == "Worse"
    texts = _legend_texts(ax)
    assert [t.split(" (")[0] for t in texts] == [
        "Better",
        "Similar",
        "Worse",
        "Rate not calculated",
    ]
    assert figure_texts(ax.figure)["units"].startswith("Compared with England (6.7)")


def test_funnel_categories_and_colour_blind_safe_palette(rates_2016_18):
    compared = vs_benchmark(rates_2016_18, ENGLAND_2016_18, years=3, polarity="low_is_good")
    ax = plot_map(compared, value="category_funnel", inset=False)
    labels = [t.split(" (")[0] for t in _legend_texts(ax)]
    assert labels[0] == "Better 99.8%" and "Worse 99.8%" in labels
    patches = _patches(ax)
    assert to_hex(patches[NORWICH].get_facecolor()) == style.PALETTE["vermillion"].lower()
    # the category colours are Okabe-Ito colours, a light grey or ColorBrewer blues
    okabe = {c.lower() for c in style.PALETTE.values()}
    assert CATEGORY_COLORS["Better"].lower() in okabe and CATEGORY_COLORS["Worse"].lower() in okabe


def test_upper_tier_map_and_level(rates_2016_18):
    upper = rates_2016_18[rates_2016_18["area_level"].isin(["county", "unitary"])]
    ax = plot_map(upper, inset=False)
    patches = _patches(ax)
    assert "E10000020" in patches and NORWICH not in patches  # Norfolk, not its districts
    assert len(patches) == len(map_areas(2020, "upper").codes)
    assert "upper-tier" in figure_texts(ax.figure)["title"]
    ax = plot_map(rates_2016_18, level="upper", inset=False)
    assert "E10000020" in _patches(ax)


def test_into_a_callers_axes_without_annotation():
    fig, (left, right) = plt.subplots(1, 2)
    ax = plot_map(_wales(), ax=right)
    assert ax is right and not left.patches
    assert len(_patches(ax)) == 22  # Wales only: the countries the data cover
    assert figure_texts(fig) == {}
    assert ax.get_title().endswith("Wales, 2016-18")


# --- bad input ------------------------------------------------------------------------------


def test_codes_without_an_outline_suggest_harmonise():
    df = pd.DataFrame({"area_code": ["S12000033", "E07000148"], "rate": [5.0, 21.0]})
    with pytest.raises(ValueError, match=r"S12000033.*ot\.harmonise\(df, to=2023\)"):
        plot_map(df)


def test_mixed_vintages_name_the_area_and_the_fix():
    df = pd.DataFrame(
        {"area_code": ["E07000205", "E07000244", "E07000148", "E07000145"], "rate": [1.0, 2, 3, 4]}
    )
    with pytest.raises(
        ValueError, match=r"Suffolk Coastal \(E07000205\).*harmonise\(df, to=2023\)"
    ):
        plot_map(df)


def test_repeated_areas_missing_columns_and_nothing_to_map(rates_2016_18):
    la = datasets.la_deaths().query("measure == 'poisoning' and sex == 'persons'")
    with pytest.raises(ValueError, match="rows for area_code"):
        plot_map(la)
    with pytest.raises(ValueError, match="rate"):
        plot_map(rates_2016_18.drop(columns="rate"))
    with pytest.raises(ValueError, match="no local authority to map"):
        plot_map(rates_2016_18[rates_2016_18["area_level"] == "region"])
    with pytest.raises(ValueError, match="no rows"):
        plot_map(rates_2016_18.iloc[:0])


# --- image ----------------------------------------------------------------------------------


def test_image_wales(tmp_path):
    ax = plot_map(_wales(), k=4, title="Invented rates, Wales", source="test data")
    check_image(ax.figure, "map_wales", tmp_path)


def test_other_numbers_are_mapped_without_the_small_number_rule(rates_2016_18):
    ax = plot_map(rates_2016_18, value="deaths", decimals=0, inset=False)
    patches = _patches(ax)
    assert not [p for p in patches.values() if p.get_hatch()]  # every count is shown
    assert one(ax, "legend").get_title().get_text() == "deaths"
    assert "units" not in figure_texts(ax.figure)


def test_class_helpers():
    values = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert quantile_breaks(values, 5, 1) == [2.8, 4.6, 6.4, 8.2]
    # ties collapse into fewer classes rather than empty ones
    assert quantile_breaks(np.array([1.0, 1, 1, 1, 2]), 5, 1) == [1.2]
    from overdose_trends.plots._map_classes import category_classes

    empty = np.zeros(6, dtype=np.int64)
    cls = category_classes(["Best", "Worst", "Middle", None, "Not compared", "Best"], empty, [])
    assert cls.labels == ("Best", "Middle", "Worst")
    assert cls.colors == (SEQUENTIAL[5][0], SEQUENTIAL[5][2], SEQUENTIAL[5][4])
    assert cls.index.tolist() == [0, 2, 1, -2, -2, 0]


def test_quintile_categories_run_light_to_dark_from_the_lowest_rates(rates_2016_18):
    for polarity in ("low_is_good", "high_is_good"):
        compared = vs_benchmark(rates_2016_18, "E92000001", deaths=None, polarity=polarity)
        ax = plot_map(compared, value="category_quintile", inset=False)
        patches = _patches(ax)
        colors = {to_hex(patches[NORWICH].get_facecolor())}
        assert colors == {SEQUENTIAL[5][-1].lower()}, polarity  # the highest rates: darkest
        expected = "Worst" if polarity == "low_is_good" else "Best"
        assert _legend_texts(ax)[4].startswith(expected)


# --- the build script ---------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def build():
    pytest.importorskip("shapely")  # a development dependency: the script's, not the package's
    spec = importlib.util.spec_from_file_location(
        "build_boundaries", ROOT / "scripts" / "build_boundaries.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_build_decodes_topojson_arcs_and_shares_borders(build, tmp_path):
    # two unit squares side by side sharing arc 0 (x = 1), quantised with a transform
    transform = {"scale": [0.5, 0.25], "translate": [-2.0, 50.0]}
    arcs = [
        [[2, 0], [0, 4]],  # (x=1, y 0..1) in quantised units, delta-encoded
        [[2, 4], [-2, 0], [0, -4], [2, 0]],  # left square's other three sides
        [[2, 0], [2, 0], [0, 4], [-2, 0]],  # right square's other three sides
    ]
    geoms = [
        {"type": "Polygon", "arcs": [[1, 0]], "properties": {"LAD13CD": "A", "LAD13NM": "a"}},
        {"type": "Polygon", "arcs": [[2, ~0]], "properties": {"LAD13CD": "B", "LAD13NM": "b"}},
    ]
    topo = {"type": "Topology", "transform": transform, "arcs": arcs,
            "objects": {"lad": {"type": "GeometryCollection", "geometries": geoms}}}  # fmt: skip
    for i, name in enumerate(build.FILES):
        data = topo if i == 0 else {**topo, "objects": {"lad": {"geometries": []}}}
        (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    out = build.read_topojson(tmp_path)
    assert set(out) == {"A", "B"}
    a, b = out["A"][1], out["B"][1]
    assert a.bounds == (-2.0, 50.0, -1.0, 51.0) and b.bounds == (-1.0, 50.0, 0.0, 51.0)
    assert a.area == pytest.approx(1.0) and b.area == pytest.approx(1.0)
    union = a.union(b)
    assert union.geom_type == "Polygon" and union.area == pytest.approx(2.0)
    ring = build._encode(build._clean(union)[0].exterior)
    assert len(ring) % 2 == 0 and abs(ring[0]) == 20_000  # first point in 1/10,000 degree


def test_build_dissolves_per_code_changes(build):
    areas = area_lookup()
    base = areas[areas["tier"].isin(["lower", "single"])]
    known = set(area_lookup(2013).query("tier in ['lower', 'single']")["area_code"])
    # the 2013 outlines carry the Hertfordshire codes of 2018
    known = (known - {"E07000097", "E07000100", "E07000101", "E07000104"}) | {
        "E07000240", "E07000241", "E07000242", "E07000243"
    }  # fmt: skip
    atoms = build.atoms_of(areas, build.code_changes(), known)
    assert atoms["E06000058"] == {"E06000028", "E06000029", "E07000048"}  # BCP, 2019
    assert atoms["E06000066"] == {"E07000187", "E07000188", "E07000189", "E07000190", "E07000191"}
    assert atoms["E07000100"] == {"E07000240"}  # St Albans, recoded 2018
    norfolk = set(base.loc[base["upper_tier_code"] == "E10000020", "area_code"])
    assert len(norfolk) == 7 and atoms["E10000020"] == norfolk
    assert set(atoms) == set(
        areas.loc[areas["tier"].isin(["lower", "single", "upper"]), "area_code"]
    )


@pytest.mark.shared
def test_build_reproduces_the_shipped_file(build, shared_data, tmp_path):
    from overdose_trends.io.datasets import data_dir

    out = tmp_path / "outlines.json.gz"
    build.main(["--shared", str(shared_data), "--out", str(out)])
    assert out.read_bytes() == (data_dir() / OUTLINE_FILE).read_bytes()
