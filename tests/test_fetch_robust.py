# ruff: noqa: F811 (the `server` fixture is imported from tests/test_fetch.py)
"""Download robustness (issue #15 item 3, #12 item 2): hangs, cut bodies, redirects, locks.

Every test talks to a local HTTP server on 127.0.0.1 (the ``server`` fixture of
tests/test_fetch.py); nothing reaches the internet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests

from overdose_trends.io import _fetch_http, _fetch_lock
from overdose_trends.io import fetch as fetch_mod
from overdose_trends.io.fetch import (
    ENV_ALLOW_HOSTS,
    ENV_ALLOW_HTTP,
    FetchError,
    cache_path,
    fetch,
)
from tests.test_fetch import BODY, SHA, Reply, _isolated_env, server, tiny_xlsx  # noqa: F401
from tests.workbooks import write_workbook

HTML = b"<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>x</body></html>"


def _files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.is_file()) if cache.exists() else []


def _no_trace(cache: Path, url: str) -> None:
    """Nothing cached for ``url`` and no partial files anywhere in the cache."""
    assert not cache_path(url, cache_dir=cache).exists()
    assert not [n for n in _files(cache) if n.endswith(".part") or n.startswith("tmp")]


def test_defaults_are_sane():
    assert fetch_mod.TIMEOUT <= 30 and fetch_mod.DEADLINE <= 300 and fetch_mod.RETRIES <= 3
    # worst case on a hung server: every attempt waits one read time-out, plus back-off
    worst = (fetch_mod.RETRIES + 1) * fetch_mod.TIMEOUT + fetch_mod.BACKOFF * 3
    assert worst < 247 / 2


def test_trickling_server_stops_at_the_deadline(server, tmp_path):
    url = server.route("/trickle.xlsx", Reply(trickle=0.05))
    start = time.monotonic()
    with pytest.raises(FetchError, match="deadline of 1 s") as err:
        fetch(url, cache_dir=tmp_path, timeout=5, retries=0, deadline=1)
    assert time.monotonic() - start < 3
    assert url in str(err.value)
    _no_trace(tmp_path, url)


def test_body_shorter_than_declared_is_never_cached(server, tmp_path):
    url = server.route("/short.xlsx", Reply(length=len(BODY) + 500))
    with pytest.raises(FetchError, match="after 2 attempt.*(broke|declared)"):
        fetch(url, cache_dir=tmp_path, retries=1)
    assert server.count("/short.xlsx") == 2  # a cut body is retried
    _no_trace(tmp_path, url)


def test_body_cut_without_length_is_never_cached(server, tmp_path):
    cut = server.route("/cut.xlsx", Reply(body=BODY[: len(BODY) // 2], length=None))
    with pytest.raises(FetchError, match="ZIP"):
        fetch(cut, cache_dir=tmp_path, retries=0)
    _no_trace(tmp_path, cut)
    # a complete workbook without a length is accepted: its structure proves it whole
    whole = server.route("/whole.xlsx", Reply(length=None))
    assert fetch(whole, cache_dir=tmp_path).read_bytes() == BODY
    # a text file without a length cannot be shown complete unless its hash is known
    text = server.route("/table.csv", Reply(body=b"a,b\n1,2\n", length=None))
    with pytest.raises(FetchError, match="no Content-Length"):
        fetch(text, cache_dir=tmp_path, retries=0)
    _no_trace(tmp_path, text)
    import hashlib

    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert fetch(text, cache_dir=tmp_path, known_hash=digest).read_bytes() == b"a,b\n1,2\n"


def test_html_page_is_never_cached_as_a_workbook(server, tmp_path):
    url = server.route("/moved.xlsx", Reply(body=HTML))
    with pytest.raises(FetchError, match="HTML page"):
        fetch(url, cache_dir=tmp_path)
    _no_trace(tmp_path, url)
    csv = server.route("/data.csv", Reply(body=b"ok", headers={"Content-Type": "text/html"}))
    with pytest.raises(FetchError, match="HTML page"):
        fetch(csv, cache_dir=tmp_path)
    page = server.route("/page.html", Reply(body=HTML))
    assert fetch(page, cache_dir=tmp_path).read_bytes() == HTML
    # a real workbook served with a wrong Content-Type is judged by its content
    mislabelled = server.route("/ok.xlsx", Reply(headers={"Content-Type": "text/html"}))
    assert fetch(mislabelled, cache_dir=tmp_path).read_bytes() == BODY


def test_workbook_magic_bytes_are_checked(server, tmp_path):
    url = server.route("/junk.xls", Reply(body=b"\x00" * 2048))
    with pytest.raises(FetchError, match="not a spreadsheet workbook"):
        fetch(url, cache_dir=tmp_path)
    _no_trace(tmp_path, url)


def test_real_xls_accepted_and_truncated_xls_refused(server, tmp_path):
    book = write_workbook(tmp_path / "t.xls", {"Table 1": [["Area Codes", 2019], ["E1", 3]]}, "xls")
    data = book.read_bytes()
    cache = tmp_path / "cache"
    good = server.route("/good.xls", Reply(body=data))
    assert fetch(good, cache_dir=cache).read_bytes() == data
    bad = server.route("/bad.xls", Reply(body=data[:-512], length=None))
    with pytest.raises(FetchError, match="truncated .xls"):
        fetch(bad, cache_dir=cache, retries=0)
    _no_trace(cache, bad)


def test_same_host_redirect_is_followed(server, tmp_path):
    target = server.route("/real.xlsx")
    url = server.route("/old.xlsx", Reply(301, b"", headers={"Location": "/real.xlsx"}))
    assert fetch(url, cache_dir=tmp_path).read_bytes() == BODY
    assert target.endswith("/real.xlsx")


def test_cross_host_redirect_refused_unless_allowed(server, tmp_path, monkeypatch):
    other = server.route("/x.xlsx").replace("127.0.0.1", "localhost")
    url = server.route("/go.xlsx", Reply(302, b"", headers={"Location": other}))
    with pytest.raises(FetchError, match="another host, 'localhost'.*allow_hosts") as err:
        fetch(url, cache_dir=tmp_path)
    assert ENV_ALLOW_HOSTS in str(err.value)
    assert server.count("/x.xlsx") == 0
    assert fetch(url, cache_dir=tmp_path, allow_hosts=["localhost"]).read_bytes() == BODY
    monkeypatch.setenv(ENV_ALLOW_HOSTS, "localhost")
    assert fetch(url, cache_dir=tmp_path / "2").read_bytes() == BODY


def test_redirect_loop_and_too_many_redirects(server, tmp_path):
    server.route("/a.xlsx", Reply(302, b"", headers={"Location": "/b.xlsx"}))
    url = server.route("/b.xlsx", Reply(302, b"", headers={"Location": "/a.xlsx"}))
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(url, cache_dir=tmp_path)
    for i in range(15):
        server.route(f"/r{i}.xlsx", Reply(302, b"", headers={"Location": f"/r{i + 1}.xlsx"}))
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(server.base + "/r0.xlsx", cache_dir=tmp_path)


def test_plain_http_refused_unless_allowed(server, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_ALLOW_HTTP)
    url = server.route("/plain.xlsx")
    with pytest.raises(FetchError, match="refusing plain http.*allow_http"):
        fetch(url, cache_dir=tmp_path)
    assert server.count("/plain.xlsx") == 0
    assert fetch(url, cache_dir=tmp_path, allow_http=True).read_bytes() == BODY


def test_connection_refused_is_a_fetch_error(tmp_path):
    with pytest.raises(FetchError, match="could not connect"):
        fetch("http://127.0.0.1:9/x.xlsx", cache_dir=tmp_path, retries=0)


@pytest.mark.parametrize(
    ("exc", "message", "retry"),
    [
        (requests.exceptions.SSLError("bad certificate"), "TLS", False),
        (requests.exceptions.ConnectTimeout("slow"), "timed out", True),
        (requests.exceptions.ProxyError("proxy"), "proxy", True),
        (requests.exceptions.ConnectionError("reset"), "could not connect", True),
        (requests.exceptions.ChunkedEncodingError("cut"), "broke", True),
        (requests.exceptions.TooManyRedirects("loop"), "too many redirects", False),
        (requests.exceptions.InvalidURL("bad"), "invalid URL", False),
        (requests.exceptions.InvalidHeader("bad"), "InvalidHeader", False),
    ],
)
def test_every_requests_failure_gets_a_clear_message(exc, message, retry):
    policy = fetch_mod._policy(30, 300, 2, False, True, None)
    failure = _fetch_http._request_failure(exc, policy)
    assert message in str(failure) and failure.retry is retry


def test_requests_exceptions_become_fetch_errors(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise requests.exceptions.TooManyRedirects("Exceeded 30 redirects.")

    monkeypatch.setattr(_fetch_http.requests, "get", boom)
    with pytest.raises(FetchError, match="could not download .*too many redirects"):
        fetch("https://example.invalid/x.xlsx", cache_dir=tmp_path)


def test_ons_uri_parameter_gives_a_readable_name(server, tmp_path):
    query = "/file?uri=/peoplepopulationandcommunity/datasets/x/current/2023localauthorities.xlsx"
    url = server.route(query)
    path = fetch(url, cache_dir=tmp_path)
    assert path.name.endswith("-2023localauthorities.xlsx")
    encoded = "https://www.ons.gov.uk/file?uri=%2fpeople%2fdatasets%2fx%2fcurrent/2020localauthorities.xls"
    assert cache_path(encoded, cache_dir=tmp_path).name.endswith("-2020localauthorities.xls")


def test_downloads_go_through_pooch(server, tmp_path, monkeypatch):
    calls = []
    real = fetch_mod.pooch.retrieve

    def spy(url, **kwargs):
        calls.append((url, kwargs["fname"]))
        return real(url, **kwargs)

    monkeypatch.setattr(fetch_mod.pooch, "retrieve", spy)
    url = server.route("/p.xlsx")
    path = fetch(url, cache_dir=tmp_path)
    assert calls == [(url, path.name)]


def test_stale_leftovers_are_cleaned(server, tmp_path):
    cache = tmp_path
    url = server.route("/s.xlsx")
    path = cache_path(url, cache_dir=cache)
    cache.mkdir(exist_ok=True)
    path.with_name(path.name + ".part").write_bytes(b"x" * 1000)  # this URL's, killed
    other = cache / "abc123-other.xlsx.part"  # another URL's, killed (nobody holds its lock)
    other.write_bytes(b"y" * 1000)
    pooch_tmp = cache / "tmpabcd1234"  # pooch's empty temporary file of a killed run
    pooch_tmp.write_bytes(b"")
    old = time.time() - 7200
    os.utime(pooch_tmp, (old, old))
    assert fetch(url, cache_dir=cache).read_bytes() == BODY
    assert not [n for n in _files(cache) if n.endswith(".part") or n.startswith("tmp")]


def test_leftovers_are_cleaned_on_a_cache_hit_too(server, tmp_path):
    url = server.route("/hit.xlsx")
    fetch(url, cache_dir=tmp_path)
    stale = tmp_path / "abc123-killed.xlsx.part"
    stale.write_bytes(b"x" * 1000)
    fetch(url, cache_dir=tmp_path, offline=True)
    assert not stale.exists()
    assert server.count("/hit.xlsx") == 1


def test_part_file_of_a_download_in_progress_is_kept(server, tmp_path):
    cache = tmp_path
    busy = cache / "abc123-busy.xlsx.part"
    cache.mkdir(exist_ok=True)
    busy.write_bytes(b"z")
    with _fetch_lock.hold(_fetch_lock.lock_file(cache, "abc123-busy.xlsx"), timeout=1):
        fetch(server.route("/k.xlsx"), cache_dir=cache)
        assert busy.exists()  # its owner holds the lock: still downloading


def test_killed_download_leaves_nothing_behind(server, tmp_path):
    url = server.route("/slow.xlsx", Reply(trickle=0.01))
    cache = tmp_path / "cache"
    script = textwrap.dedent(
        f"""
        import os
        os.environ["{ENV_ALLOW_HTTP}"] = "1"
        os.environ["NO_PROXY"] = "127.0.0.1"
        from overdose_trends.io.fetch import fetch
        fetch({url!r}, cache_dir={str(cache)!r}, progress=False)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    part = cache_path(url, cache_dir=cache).with_name(
        cache_path(url, cache_dir=cache).name + ".part"
    )
    stop = time.monotonic() + 20
    while not part.exists() and time.monotonic() < stop:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.kill()
    proc.wait()
    assert part.exists()  # the killed process left its partial file
    server.route("/slow.xlsx", Reply())
    assert fetch(url, cache_dir=cache).read_bytes() == BODY
    assert not [n for n in _files(cache) if n.endswith(".part")]


def test_concurrent_fetches_download_once(server, tmp_path):
    url = server.route("/popular.xlsx", Reply(delay=0.5))
    results: list[Path] = []
    errors: list[BaseException] = []

    def worker():
        try:
            results.append(fetch(url, cache_dir=tmp_path))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors
    assert len(results) == 4 and len(set(results)) == 1
    assert server.count("/popular.xlsx") == 1


def test_concurrent_processes_download_once(server, tmp_path):
    url = server.route("/shared.xlsx", Reply(delay=1.0))
    script = textwrap.dedent(
        f"""
        import os
        os.environ["{ENV_ALLOW_HTTP}"] = "1"
        os.environ["NO_PROXY"] = "127.0.0.1"
        from overdose_trends.io.fetch import fetch
        print(fetch({url!r}, cache_dir={str(tmp_path)!r}, progress=False))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert len(set(outs)) == 1 and Path(outs[0]).read_bytes() == BODY
    assert server.count("/shared.xlsx") == 1


def test_lock_held_too_long_gives_a_clear_error(server, tmp_path):
    url = server.route("/locked.xlsx")
    name = cache_path(url, cache_dir=tmp_path).name
    with (
        _fetch_lock.hold(_fetch_lock.lock_file(tmp_path, name), timeout=1),
        pytest.raises(FetchError, match="held the lock"),
    ):
        fetch(url, cache_dir=tmp_path, lock_timeout=0.2)
    assert server.count("/locked.xlsx") == 0


def test_checksum_failure_is_not_cached(server, tmp_path):
    url = server.route("/pinned.xlsx", Reply(body=tiny_xlsx(b"other")))
    with pytest.raises(fetch_mod.ChecksumError, match=SHA):
        fetch(url, cache_dir=tmp_path, known_hash=SHA)
    _no_trace(tmp_path, url)


def test_retry_after_is_honoured(server, tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(fetch_mod.time, "sleep", waits.append)
    url = server.route("/busy.xlsx", Reply(503, b"", headers={"Retry-After": "2"}), Reply())
    assert fetch(url, cache_dir=tmp_path, retries=1).read_bytes() == BODY
    assert waits == [2.0]
