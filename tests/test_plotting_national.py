"""National rates by substance (overdose_trends.plots.national)."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from overdose_trends import datasets, plot_substances
from overdose_trends.plots import style
from tests.plotting_helpers import band_values_at, by_gid, figure_texts, flat, one

NAN = np.nan


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


#: Invented Table 4 style rows: deaths, rate per million, 95% limits and ONS status.
_TABLE4 = """\
substance,year,deaths,rate,lcl,ucl,rate_status
heroin_morphine,2015,500,10.0,9.1,10.9,ok
heroin_morphine,2016,560,11.2,10.3,12.1,ok
heroin_morphine,2017,600,12.0,11.0,13.0,ok
heroin_morphine,2018,640,12.8,11.8,13.8,ok
heroin_morphine,2019,700,14.0,13.0,15.0,ok
cocaine,2015,300,5.5,4.9,6.1,ok
cocaine,2016,330,6.1,5.4,6.8,ok
cocaine,2017,420,7.7,7.0,8.4,ok
cocaine,2018,550,10.0,9.2,10.8,ok
cocaine,2019,600,11.0,10.1,11.9,ok
fentanyl,2015,8,,,,not_calculated
fentanyl,2016,12,0.2,0.1,0.4,unreliable
fentanyl,2017,7,,,,not_calculated
fentanyl,2018,15,0.3,0.2,0.5,unreliable
fentanyl,2019,30,0.5,0.4,0.7,ok
"""


def _national() -> pd.DataFrame:
    """Three substances, 2015-2019, in the layout of datasets.national_deaths()."""
    table = pd.read_csv(io.StringIO(_TABLE4))
    df = table.drop(columns="year").assign(
        table="asmr",
        area_code="K04000001",
        area_name="England and Wales",
        measure="poisoning",
        sex="persons",
        period_start=table["year"],
        period_end=table["year"],
        rate_per=1_000_000,
    )
    # rows of another table and sex that must be ignored
    other = df.assign(table="deaths_by_sex", rate=99.0)
    males = df.assign(sex="males", rate=50.0)
    return pd.concat([df, other, males], ignore_index=True)


def test_substances_lines_bands_and_markers():
    ax = plot_substances(_national(), ("heroin_morphine", "cocaine", "fentanyl"))
    heroin = one(ax, "rate-heroin_morphine")
    assert heroin.get_xdata().tolist() == [2015, 2016, 2017, 2018, 2019]
    assert heroin.get_ydata().tolist() == [10.0, 11.2, 12.0, 12.8, 14.0]
    assert band_values_at(one(ax, "ci-cocaine"), 2018).tolist() == [9.2, 10.8]
    fentanyl = one(ax, "rate-fentanyl")
    np.testing.assert_array_equal(fentanyl.get_ydata(), [NAN, 0.2, NAN, 0.3, 0.5])
    assert one(ax, "not_calculated-fentanyl").get_xydata()[:, 0].tolist() == [2015, 2017]
    assert one(ax, "unreliable-fentanyl").get_xydata()[:, 0].tolist() == [2016, 2018]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Heroin and morphine", "Cocaine", "Fentanyl"]
    assert ax.get_ylim()[0] == 0


def test_substances_annotation():
    ax = plot_substances(_national(), ["cocaine"])
    texts = figure_texts(ax.figure)
    assert flat(texts["title"]) == (
        "Deaths related to drug poisoning by substance mentioned, England and Wales"
    )
    assert texts["units"] == "Deaths per million, age-standardised (2013 ESP)"
    footer = flat(texts["footer"])
    assert footer.startswith("Source: ONS, Deaths related to drug poisoning in England and Wales")
    assert "mentioned on the death certificate" in footer
    assert style.NOTE_UNRELIABLE not in footer  # cocaine rates are all reliable
    ax = plot_substances(_national(), ["heroin_morphine"], sex="males", years=(2016, 2018))
    assert one(ax, "rate-heroin_morphine").get_ydata().tolist() == [50.0, 50.0, 50.0]
    assert "males" in figure_texts(ax.figure)["title"]


def test_substances_errors():
    data = _national()
    with pytest.raises(ValueError, match=r"\['methadone'\] not in the data; it has"):
        plot_substances(data)  # default list includes methadone
    with pytest.raises(ValueError, match="no rows for area_code='W92000004'"):
        plot_substances(data, ["cocaine"], area_code="W92000004")
    with pytest.raises(ValueError, match="single-year rows"):
        plot_substances(data.assign(period_end=data["period_start"] + 2), ["cocaine"])
    with pytest.raises(ValueError, match="differ in"):
        plot_substances(pd.concat([data, data.iloc[:1].assign(edition=2020)]), ["heroin_morphine"])
    with pytest.raises(ValueError, match="at least one"):
        plot_substances(data, [])


def test_substances_real_national_tables():
    national = datasets.national_deaths()
    ax = plot_substances(national, ("heroin_morphine", "methadone", "cocaine"))
    asmr = national.query(
        "table == 'asmr' and area_code == 'K04000001' and measure == 'poisoning' "
        "and sex == 'persons'"
    )
    for sub in ("heroin_morphine", "methadone", "cocaine"):
        line = one(ax, f"rate-{sub}")
        rows = asmr[asmr["substance"] == sub].sort_values("period_start")
        assert line.get_xdata().tolist() == list(range(1993, 2022))
        drawn = rows["rate_status"].isin(["ok", "unreliable"]).to_numpy()
        np.testing.assert_array_equal(line.get_ydata()[drawn], rows["rate"].to_numpy()[drawn])
    # ONS 2021 registrations, Table 4: cocaine 2021, 14.6 (13.6-15.6) deaths per million
    cocaine = one(ax, "rate-cocaine")
    assert cocaine.get_ydata()[-1] == 14.6
    assert band_values_at(one(ax, "ci-cocaine"), 2021).tolist() == [13.6, 15.6]
    assert by_gid(ax, "rate-fentanyl") == []
