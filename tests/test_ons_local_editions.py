"""Every edition's layout of the ONS local-authority workbook, and revisions between editions.

Fixtures: ``tests.workbooks.la_old_sheets`` (the layout used to 2021, in .xls as in
2019 and in .xlsx as in 2020/2021 with 2021 geography codes) and
``la_accessible_sheets`` (the accessible layout of the editions from 2022: Cover,
Contents, Notes, ``Table_N``, one header row with ``[note N]``, periods "2021 to
2023", ``[x]``/``[u]`` markers, an extra registration-delay table and an extra long
table, 2023 geography codes). The real 2019 edition is compared with the shipped
extract when ../shared is present.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest

from overdose_trends import DataFormatError
from overdose_trends.io.ons_local import check_consistency, read_local_authority
from tests.test_ons import _pick
from tests.workbooks import (
    LA_AREAS_2019,
    LA_AREAS_2023,
    la_accessible_sheets,
    la_deaths,
    la_old_sheets,
    la_rate,
    write_workbook,
)

AREAS_2021 = (
    *(a for a in LA_AREAS_2023 if a[0] not in {"E06000063", "E06000065"}),
    ("E10000006", "Cumbria"),
    ("E10000023", "North Yorkshire"),
)


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("editions")
    paths = {
        2019: write_workbook(folder / "2019.xls", la_old_sheets(), fmt="xls"),
        2021: write_workbook(
            folder / "2021.xlsx", la_old_sheets(AREAS_2021, edition=2021), fmt="xlsx"
        ),
        2022: write_workbook(folder / "2022.xlsx", la_accessible_sheets(2022, LA_AREAS_2019)),
        2023: write_workbook(
            folder / "2023.xlsx",
            la_accessible_sheets(2023, revise={("E06000033", 2021): 2, ("E07000148", 2015): -1}),
        ),
    }
    return {year: read_local_authority(path) for year, path in paths.items()}


@pytest.mark.parametrize("edition", [2019, 2021, 2022, 2023])
def test_every_edition_loads_the_published_numbers(editions, edition):
    df = editions[edition]
    assert (df["edition"] == edition).all()
    assert df.attrs["area_differences"] == []
    first = 2013 if edition >= 2022 else 2001
    for code in ("E92000001", "E06000017", "W06000016"):  # not revised in the 2023 fixture
        y = _pick(df, code, edition - 1, edition - 1)
        assert y.deaths == la_deaths(code, edition - 1)
        m = _pick(df, code, first, first, measure="misuse")
        assert m.deaths == la_deaths(code, first, "misuse")
        for sex in ("persons", "males", "females"):
            n = sum(la_deaths(code, yr, "poisoning", sex) for yr in range(edition - 2, edition + 1))
            p = _pick(df, code, edition - 2, edition, sex=sex)
            assert p.deaths == n
            if n >= 10:
                assert (p.rate, p.lcl, p.ucl) == la_rate(n)
                assert p.rate_status == ("unreliable" if n < 20 else "ok")
            else:
                assert np.isnan(p.rate) and p.rate_status in {"not_calculated", "not_available"}
    assert check_consistency(df).empty  # single years add up to every period


def test_accessible_layout_tables_and_geography(editions):
    df = editions[2023]
    # Table_9 (registration delays) is skipped; the extra long table Table_10 is read
    assert set(df.attrs["skipped_sheets"]) == {"Cover", "Contents", "Notes", "Table_9"}
    t10 = df[df.sheet == "Table_10"]
    assert set(t10.sex) == {"males"} and set(t10.measure) == {"misuse"} and len(t10) == 18
    # 2023 geography: the new unitary authorities
    cumberland = df[df.area_code == "E06000063"]
    assert set(cumberland.area_level) == {"unitary"} and set(cumberland.area_name) == {"Cumberland"}
    assert df[df.sheet == "Table_3"].area_code.nunique() == len(LA_AREAS_2023)
    # [x] marks rates from fewer than 10 deaths, [u] those from 10-19
    small = df[(df.sheet == "Table_5") & (df.deaths < 10)]
    assert len(small) and (small.rate_status == "not_available").all()
    assert small.rate.isna().all()


def test_2021_geography_codes(editions):
    df = editions[2021]
    assert _pick(df, "E06000060", 2019, 2021).area_level == "unitary"  # Buckinghamshire
    assert _pick(df, "E10000023", 2019, 2021).area_level == "county"  # North Yorkshire


def test_check_consistency_reports_revised_figures(editions):
    report = check_consistency(editions[2023], editions[2022])
    revised = report[report.check == "revised"]
    # Southend 2021 (+2): the single year and the two 3-year periods both editions publish
    southend = revised[revised.area_code == "E06000033"].sort_values(["sheet", "period_start"])
    assert southend[["period_start", "period_end", "expected", "found"]].values.tolist() == [
        [2021, 2021, la_deaths("E06000033", 2021), la_deaths("E06000033", 2021) + 2],
        [
            2019,
            2021,
            *[sum(la_deaths("E06000033", y) for y in range(2019, 2022)) + d for d in (0, 2)],
        ],
        [
            2020,
            2022,
            *[sum(la_deaths("E06000033", y) for y in range(2020, 2023)) + d for d in (0, 2)],
        ],
    ]
    assert set(southend.sheet) == {"Table_1", "Table_3"}
    assert "revised between the 2022 and 2023 editions: deaths" in southend.message.iloc[0]
    norwich = revised[revised.area_code == "E07000148"]
    assert len(norwich) == 1 + 3  # 2015 and 2013-15, 2014-16, 2015-17
    # areas abolished or created by the 2023 geography are not "revisions"
    assert not revised.area_code.isin(["E10000006", "E06000063"]).any()
    assert len(revised) == 3 + 4
    # the order of the two editions does not matter
    swapped = check_consistency(editions[2022], editions[2023])
    assert len(swapped[swapped.check == "revised"]) == len(revised)


def test_check_consistency_needs_two_editions(editions):
    with pytest.raises(ValueError, match="both tables are the 2023 edition"):
        check_consistency(editions[2023], editions[2023])
    mixed = pd.concat([editions[2022], editions[2023]])
    with pytest.raises(ValueError, match="one edition"):
        check_consistency(editions[2023], mixed)


# --- the real 2019 edition (skipped without ../shared) ----------------------------------


@pytest.fixture(scope="module")
def real_2019():
    from tests.conftest import SHARED

    path = SHARED / "ons" / "2019localauthorities1.xls"
    if not path.exists():
        pytest.skip("../shared/data/ons/2019localauthorities1.xls not available")
    return path


@pytest.mark.shared
def test_real_2019_reads_to_the_shipped_extract_exactly(real_2019):
    from overdose_trends.io import datasets

    with pytest.warns(UserWarning, match="only markers"):
        df = read_local_authority(real_2019)
    shipped = datasets.la_deaths()
    assert len(df) == 59_334
    pd.testing.assert_frame_equal(df, shipped, check_like=False)
    # England and Wales (K04000001) is in the single-year tables only: reported, not hidden
    assert df.attrs["area_differences"] == [
        "381 areas in Table 1, Table 2 (0 of the 381 areas of the workbook missing there)",
        "380 areas in Table 3, Table 4, Table 5, Table 6, Table 7, Table 8 (1 of the 381 "
        "areas of the workbook missing there)",
    ]


@pytest.mark.shared
@pytest.mark.parametrize("seed", range(4))
def test_real_2019_damaged_raises_or_loads_identically(real_2019, tmp_path, seed):
    from overdose_trends.io import datasets

    data = bytearray(real_2019.read_bytes())
    rng = random.Random(1000 + seed)
    start = rng.randrange(0, len(data) - 4096)
    data[start : start + 4096] = rng.randbytes(4096)
    bad = tmp_path / "damaged.xls"
    bad.write_bytes(bytes(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = read_local_authority(bad)
    except DataFormatError:
        return
    pd.testing.assert_frame_equal(df, datasets.la_deaths().set_axis(df.index))
