# ruff: noqa: F811 (the `server` fixture is imported from tests/test_fetch.py)
"""The ONS edition registry and fetch_edition (issue #12 item 3), against a local server."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import pytest

from overdose_trends.io import editions as ed
from overdose_trends.io.datasets import data_dir
from overdose_trends.io.editions import (
    EDITIONS,
    download_edition,
    edition_info,
    fetch_edition,
)
from overdose_trends.io.fetch import ChecksumError, FetchError, NotCachedError, cache_path
from tests.test_fetch import Reply, _isolated_env, server  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:.*do not cover the same areas:UserWarning")

LA_BYTES = (data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx").read_bytes()
NAT_BYTES = (data_dir() / "ons_national_drug_deaths_2021_excerpt.xlsx").read_bytes()


def test_registry_covers_the_editions():
    la = {e.year for e in EDITIONS if e.dataset == "la"}
    national = {e.year for e in EDITIONS if e.dataset == "national"}
    assert la == set(range(2019, 2025))
    assert national == set(range(2016, 2025))
    assert edition_info("la", 2019).file == "2019localauthorities1.xls"
    assert edition_info("la", 2021).file == "2021localauthorities.xlsx"
    assert edition_info("national", 2021).file == "2021registrations.xlsx"
    for e in EDITIONS:
        assert e.page.startswith("https://www.ons.gov.uk/peoplepopulationandcommunity/")
        if e.url is not None:
            assert e.url.startswith("https://www.ons.gov.uk/file?uri=/peoplepopulation")
            assert e.url.endswith("/current/" + e.file)
            assert cache_path(e.url).name.endswith("-" + e.file)
        assert e.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", e.sha256)
        if not e.verified:
            assert "UNVERIFIED" in e.note or e.url is None


def test_known_hashes_are_those_of_the_published_files(shared_data):
    """The registry's SHA-256s are those of the ONS files kept in ../shared."""
    ons = shared_data / "ons"
    pairs = {
        ("la", 2019): "2019localauthorities1.xls",
        ("national", 2021): "2021registrations.xlsx",
        ("national", 2016): "deathsrelatedtodrugpoisoningenglandandwales-2016.xls",
    }
    for (dataset, year), name in pairs.items():
        digest = hashlib.sha256((ons / name).read_bytes()).hexdigest()
        assert edition_info(dataset, year).sha256 == digest


def test_edition_info_latest_and_errors():
    assert edition_info("la", "latest").year == max(e.year for e in EDITIONS if e.dataset == "la")
    assert edition_info("national", "2023").year == 2023
    with pytest.raises(ValueError, match="unknown dataset 'deaths'"):
        edition_info("deaths", 2023)
    with pytest.raises(ValueError, match="no 'la' edition 2015.*2019, 2020"):
        edition_info("la", 2015)
    with pytest.raises(ValueError, match="year or 'latest'"):
        edition_info("la", "newest")


@pytest.fixture
def registry(server, monkeypatch):
    """Point the registry's 2019 (hash pinned) and 2023 (no hash) editions at the test server."""
    la23 = server.route("/file?uri=/x/current/2023localauthorities.xlsx", Reply(body=LA_BYTES))
    nat23 = server.route("/file?uri=/x/current/2023registrations.xlsx", Reply(body=NAT_BYTES))
    la19 = server.route("/file?uri=/x/current/2019localauthorities1.xls", Reply(body=LA_BYTES))
    changed = []
    for e in EDITIONS:
        if (e.dataset, e.year) == ("la", 2023):
            e = dataclasses.replace(e, url=la23)
        elif (e.dataset, e.year) == ("national", 2023):
            e = dataclasses.replace(e, url=nat23)
        elif (e.dataset, e.year) == ("la", 2019):
            e = dataclasses.replace(e, url=la19)  # its pinned hash is the full workbook's
        changed.append(e)
    monkeypatch.setattr(ed, "EDITIONS", tuple(changed))
    return server


def _southend(df):
    row = df.query(
        "area_code == 'E06000033' and measure == 'poisoning' and sex == 'persons'"
        " and period_start == 2013 and period_end == 2015"
    )
    return row[["deaths", "rate", "lcl", "ucl"]].to_numpy().tolist()


def test_fetch_edition_downloads_records_and_loads(registry, tmp_path):
    la = fetch_edition("la", 2023, cache_dir=tmp_path)
    # LA19 Table 3 (ONS): Southend-on-Sea 2013-15, 47 deaths, 8.8 (6.5-11.7) per 100,000
    assert _southend(la) == [[47, 8.8, 6.5, 11.7]]
    assert la.attrs["source_path"].endswith("-2023localauthorities.xlsx")
    record = json.loads((tmp_path / "editions.json").read_text())
    assert record["la/2023"]["sha256"] == hashlib.sha256(LA_BYTES).hexdigest()
    fetch_edition("la", "2023", cache_dir=tmp_path)
    assert registry.count("/file?uri=/x/current/2023localauthorities.xlsx") == 1  # cached


def test_fetch_edition_national_uses_the_national_reader(registry, tmp_path):
    nat = fetch_edition("national", 2023, cache_dir=tmp_path)
    assert "table" in nat.columns and (nat["rate_per"] == 1_000_000).all()


def test_recorded_hash_is_checked_on_later_downloads(registry, tmp_path):
    path = download_edition("la", 2023, cache_dir=tmp_path)
    registry.route("/file?uri=/x/current/2023localauthorities.xlsx", Reply(body=NAT_BYTES))
    with pytest.raises(ChecksumError, match="differs from the copy first downloaded"):
        download_edition("la", 2023, cache_dir=tmp_path, refresh=True)
    assert path.read_bytes() == LA_BYTES  # the verified copy is kept
    path.unlink()  # even with the file gone, the record still guards the edition
    with pytest.raises(ChecksumError, match="first downloaded"):
        download_edition("la", 2023, cache_dir=tmp_path)
    assert not path.exists()


def test_pinned_hash_mismatch_is_not_cached(registry, tmp_path):
    url = edition_info("la", 2019).url
    with pytest.raises(ChecksumError, match="33a8e4e011f9"):
        fetch_edition("la", 2019, cache_dir=tmp_path)
    assert not cache_path(url, cache_dir=tmp_path).exists()


def test_url_override_and_explicit_hash(registry, tmp_path):
    mirror = registry.route("/mirror/2019localauthorities1.xls", Reply(body=LA_BYTES))
    sha = hashlib.sha256(LA_BYTES).hexdigest()
    la = fetch_edition("la", 2019, url=mirror, known_hash=sha, cache_dir=tmp_path)
    assert _southend(la) == [[47, 8.8, 6.5, 11.7]]
    assert la.attrs["source_url"] == mirror


def test_html_page_for_an_edition_is_refused(registry, tmp_path):
    registry.route(
        "/file?uri=/x/current/2023localauthorities.xlsx", Reply(body=b"<html>gone</html>")
    )
    with pytest.raises(FetchError, match="HTML page"):
        fetch_edition("la", 2023, cache_dir=tmp_path)
    assert not (tmp_path / "editions.json").exists()  # nothing recorded for a refused file


def test_edition_without_a_recorded_file_name(tmp_path):
    with pytest.raises(FetchError, match="not recorded.*url="):
        fetch_edition("national", 2017, cache_dir=tmp_path)


def test_offline_edition_not_cached(tmp_path):
    with pytest.raises(NotCachedError, match="2023localauthorities.xlsx"):
        fetch_edition("la", 2023, cache_dir=tmp_path, offline=True)
