# ruff: noqa: F811 (the `server` and `registry` fixtures are imported from other test modules)
"""`overdose-trends fetch`: a URL, or a registry edition (--dataset/--edition), locally served."""

from __future__ import annotations

import pytest

from overdose_trends.cli import main
from overdose_trends.io.fetch import ENV_CACHE
from tests.test_fetch import BODY, Reply, _isolated_env, server  # noqa: F401
from tests.test_fetch_editions import registry  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:.*do not cover the same areas:UserWarning")


def test_fetch_url_prints_the_cached_path(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    url = server.route("/file?uri=/a/b/2023localauthorities.xlsx")
    assert main(["fetch", url]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(str(tmp_path)) and out.endswith("-2023localauthorities.xlsx")


def test_fetch_edition_downloads_and_reads(registry, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    assert main(["fetch", "--dataset", "la", "--edition", "2023"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("-2023localauthorities.xlsx")
    assert "rows read" in captured.err
    assert main(["fetch", "--dataset", "la", "--edition", "2023", "--offline"]) == 0


def test_fetch_latest_edition(registry, tmp_path, monkeypatch, capsys):
    """`--edition latest` resolves to the newest registry edition (2024 here, unverified URL)."""
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    code = main(["fetch", "--dataset", "la", "--edition", "latest", "--offline"])
    err = capsys.readouterr().err
    assert code == 1 and "2024localauthorities.xlsx" in err and "Traceback" not in err


def test_fetch_failure_is_a_clear_error_not_a_traceback(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    url = server.route("/page.xlsx", Reply(body=b"<!doctype html><html></html>"))
    assert main(["fetch", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("overdose-trends: error:") and "HTML page" in err


def test_fetch_list_shows_the_registry(capsys):
    assert main(["fetch", "--list"]) == 0
    out = capsys.readouterr().out
    assert "2019localauthorities1.xls" in out and "2021registrations.xlsx" in out
    assert "[URL unverified]" in out


def test_fetch_needs_a_url_or_a_dataset(capsys):
    assert main(["fetch"]) == 2
    assert "--dataset" in capsys.readouterr().err
