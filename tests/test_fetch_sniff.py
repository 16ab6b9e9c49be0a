"""Content checks on downloads (overdose_trends.io._fetch_sniff): HTML pages, cut workbooks."""

from __future__ import annotations

import pytest

from overdose_trends.io._fetch_sniff import can_verify, kind, looks_like_html, problem
from overdose_trends.io.datasets import data_dir
from tests.workbooks import write_workbook


def test_kinds_from_names():
    assert kind("a.XLSX") == kind("b.xls") == kind("c.ods") == "workbook"
    assert (kind("d.zip"), kind("e.htm"), kind("f.csv")) == ("zip", "html", "other")
    assert can_verify("x.xls") and not can_verify("x.csv")


def test_html_detection():
    assert looks_like_html(b"\xef\xbb\xbf\n  <!DOCTYPE HTML><html>")
    assert looks_like_html(b'<?xml version="1.0"?>\n<html xmlns="...">')
    assert not looks_like_html(b"PK\x03\x04") and not looks_like_html(b"area,deaths\n")


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_every_cut_of_a_workbook_is_caught(tmp_path, fmt):
    book = write_workbook(
        tmp_path / f"b.{fmt}",
        {"Table 1": [["Area Codes", 2019]] + [["E1", i] for i in range(300)]},
        fmt,
    )
    data = book.read_bytes()
    assert problem(book, book.name, None) is None
    cut = tmp_path / f"cut.{fmt}"
    for size in range(0, len(data), max(1, len(data) // 40)):
        cut.write_bytes(data[:size])
        assert problem(cut, cut.name, None), size


def test_shipped_workbooks_pass_and_an_xlsx_named_xls_is_accepted(tmp_path):
    excerpt = data_dir() / "ons_la_drug_deaths_2019_excerpt.xlsx"
    assert problem(excerpt, excerpt.name, "application/vnd.ms-excel") is None
    assert problem(excerpt, "2019localauthorities1.xls", None) is None


@pytest.mark.shared
def test_published_ons_workbooks_pass_and_their_cuts_fail(shared_data, tmp_path):
    for name in (
        "2019localauthorities1.xls",
        "2021registrations.xlsx",
        "deathsrelatedtodrugpoisoningenglandandwales-2016.xls",
    ):
        path = shared_data / "ons" / name
        assert problem(path, name, None) is None
        data = path.read_bytes()
        cut = tmp_path / name
        for size in (513, len(data) // 3, len(data) - 512, len(data) - 1):
            cut.write_bytes(data[:size])
            assert problem(cut, name, None), (name, size)
