"""Inequality, spine and ISR figures (overdose_trends.plots.inequality)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from overdose_trends import datasets
from overdose_trends.plots import style
from overdose_trends.plots.inequality import CATEGORY_COLORS, plot_inequality, plot_isr, plot_spine
from overdose_trends.stats.funnel import vs_benchmark
from overdose_trends.stats.inequality import sii
from overdose_trends.stats.standardise import isr
from tests.plotting_helpers import check_image

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _imd(sex: str = "males") -> pd.DataFrame:
    # ONS 2021 registrations, Table 8 (typed; see the fixture's header)
    d = pd.read_csv(FIXTURES / "ons_2021_imd_quintiles.csv", comment="#")
    return d.query("sex == @sex").rename(columns={"quintile": "quantile"}).assign(population=1.0)


def _gids(ax) -> list[str]:
    return sorted(str(a.get_gid()) for a in [*ax.collections, *ax.lines] if a.get_gid())


def test_plot_inequality_draws_points_intervals_and_the_fitted_line():
    d = _imd()
    fit = sii(d, transform=True, repetitions=2000, seed=3)
    ax = plot_inequality(d, fit, units=style.UNITS_ASMR_MILLION)
    assert _gids(ax) == ["ci", "points", "sii-line"]
    line = next(ln for ln in ax.lines if ln.get_gid() == "sii-line")
    x, y = line.get_data()
    # the line's ends are the fitted values at the most and least deprived ends: SII apart
    assert y[-1] - y[0] == pytest.approx(fit["sii"].iloc[0], rel=1e-9)
    assert y[0] == pytest.approx(fit["intercept"].iloc[0], rel=1e-9)
    pts = next(c for c in ax.collections if c.get_gid() == "points").get_offsets()
    np.testing.assert_allclose(pts[:, 0], [0.1, 0.3, 0.5, 0.7, 0.9])
    np.testing.assert_allclose(pts[:, 1], d["rate"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[1].startswith(f"SII {fit['sii'].iloc[0]:.1f} (95% CI")


def test_plot_inequality_linear_fit_and_multiplier():
    d = _imd("females")
    fit = sii(d, transform=False, multiplier=-1, repetitions=1000, seed=1)
    ax = plot_inequality(d, fit)
    _, y = next(ln for ln in ax.lines if ln.get_gid() == "sii-line").get_data()
    # multiplier -1 states the SII as positive; the drawn line still falls with affluence
    assert fit["sii"].iloc[0] > 0 and y[0] > y[-1]
    assert y[0] - y[-1] == pytest.approx(fit["sii"].iloc[0], rel=1e-9)


def test_plot_inequality_computes_the_fit_when_not_given():
    ax = plot_inequality(_imd(), annotate=False)
    titles = [ax.get_title(loc) for loc in ("left", "center", "right")]
    assert "Slope index of inequality by deprivation" in titles
    assert ax.get_xticklabels()[0].get_text() == "1 (most deprived)"
    with pytest.raises(ValueError, match="lacks column"):
        plot_inequality(_imd().drop(columns="lcl"))


def _spine_data() -> pd.DataFrame:
    la = datasets.la_deaths().query(
        "sex == 'persons' and period_start == 2016 and period_end == 2018 "
        "and (area_code == 'E92000001' or area_level == 'district')"
    )
    return pd.concat([
        vs_benchmark(la[la.measure == m], "E92000001", polarity="low_is_good")
        .query("area_code != 'E92000001'").assign(indicator=m)
        for m in ("poisoning", "misuse")
    ])  # fmt: skip


def test_plot_spine_positions_and_colours():
    data = _spine_data()
    ax = plot_spine(data, "E07000148")  # Norwich: the highest rate of the districts
    marks = [c for c in ax.collections if c.get_gid() == "area"]
    assert len(marks) == 2
    # low is good: the worst (highest) value is at the left end, 0
    assert marks[0].get_offsets()[0, 0] == pytest.approx(0.0)
    assert to_hex(marks[0].get_facecolor()[0]) == CATEGORY_COLORS["Worse"].lower()
    bench = next(ln for ln in ax.lines if ln.get_gid() == "benchmark")
    assert bench.get_xdata()[0] == 0.5
    assert [t.get_text() for t in ax.get_yticklabels()][0].startswith("poisoning   21.0")


def test_plot_spine_bad_input():
    data = _spine_data()
    with pytest.raises(ValueError, match="not in column"):
        plot_spine(data, "E99999999")
    two = data.assign(benchmark=np.where(np.arange(len(data)) % 2 == 0, 1.0, 2.0))
    with pytest.raises(ValueError, match="one benchmark value"):
        plot_spine(two, "E07000148")


def test_plot_isr_groups_and_reference():
    area = pd.DataFrame({"area_name": np.repeat(["A", "B", "C"], 2), "age_band": ["y", "o"] * 3,
                         "deaths": [30, 20, 1, 2, 10, 12],
                         "population": [1000, 900, 1000, 900, 1000, 900]})  # fmt: skip
    ref = pd.DataFrame({"age_band": ["y", "o"], "ref_deaths": [100, 150],
                        "ref_population": [1e4, 1e4]})  # fmt: skip
    out = isr(area, reference=ref, by="area_name")
    ax = plot_isr(out, highlight="C")
    # A: 50 deaths for 23.5 expected (higher); B: 3 (lower); C: 22 (similar)
    assert _gids(ax) == ["ci", "highlight", "points-higher", "points-lower", "points-similar",
                         "reference"]  # fmt: skip
    assert next(ln for ln in ax.lines if ln.get_gid() == "reference").get_xdata()[0] == 1.0
    rate = isr(area, reference=ref, by="area_name", type="rate")
    ax = plot_isr(rate)
    ref_line = next(ln for ln in ax.lines if ln.get_gid() == "reference")
    assert ref_line.get_xdata()[0] == pytest.approx(rate["ref_rate"].iloc[0])
    with pytest.raises(ValueError, match="highlight"):
        plot_isr(out, highlight="Z")


def test_plot_isr_many_areas_vertical():
    n = 60
    d = pd.DataFrame({"area_name": [f"a{i}" for i in range(n)], "value": np.linspace(0.5, 2, n)})
    d["lcl"], d["ucl"], d["type"], d["per"], d["conf"] = (
        d.value * 0.8,
        d.value * 1.2,
        "ratio",
        1.0,
        0.95,
    )
    ax = plot_isr(d)
    assert ax.get_xlabel() == "Areas in order of the ratio"


def test_plot_inequality_image(tmp_path):
    # literal data (ONS 2021 Table 8, males), so a data update cannot change the baseline
    d = pd.DataFrame({"quantile": [1, 2, 3, 4, 5], "population": 1.0,
                      "rate": [252.9, 135.0, 84.8, 59.1, 36.8],
                      "lcl": [239.2, 125.3, 77.1, 52.6, 31.4],
                      "ucl": [266.7, 144.8, 92.5, 65.7, 42.2]})  # fmt: skip
    ax = plot_inequality(d, units=style.UNITS_ASMR_MILLION, title="IMD quintiles, males, 2021")
    check_image(ax.figure, "inequality_imd_males_2021", tmp_path)
