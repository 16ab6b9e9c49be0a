"""Tests for overdose_trends.io.fetch against a local HTTP server on 127.0.0.1.

The server runs in a thread on a free port; each path is given a script of
responses (status, body, delay) and every request is recorded, so tests can
check exactly how often the network was used. No other host is contacted.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from overdose_trends.io import fetch as fetch_mod
from overdose_trends.io.fetch import (
    ENV_ALLOW_HOSTS,
    ENV_ALLOW_HTTP,
    ENV_CACHE,
    ENV_OFFLINE,
    ONS_SOURCES,
    ChecksumError,
    FetchError,
    NotCachedError,
    cache_path,
    cached_hash,
    fetch,
)


def tiny_xlsx(payload: bytes = bytes(range(256)) * 40) -> bytes:
    """A small ZIP container shaped like an .xlsx (passes the download content checks)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/payload.bin", payload)
    return buf.getvalue()


BODY = tiny_xlsx()
SHA = hashlib.sha256(BODY).hexdigest()


@dataclass
class Reply:
    status: int = 200
    body: bytes = BODY
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    #: Content-Length to declare: "auto" (the body's length), None (none), or a number.
    length: int | str | None = "auto"
    #: Seconds between bytes (a server trickling data).
    trickle: float = 0.0


@dataclass
class Server:
    base: str = ""
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def route(self, path: str, *replies: Reply) -> str:
        """Serve ``replies`` in turn at ``path`` (the last one repeats); return the URL."""
        self.routes[path] = list(replies) or [Reply()]
        return self.base + path

    def count(self, path: str) -> int:
        return self.hits.count(path)


@pytest.fixture
def server():
    state = Server()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            with lock:
                state.hits.append(self.path)
                replies = state.routes.get(self.path)
                reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies else None
            if reply is None:
                reply = Reply(404, b"not found")
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": "application/octet-stream", **reply.headers}
                if reply.length == "auto":
                    headers["Content-Length"] = str(len(reply.body))
                elif reply.length is not None:
                    headers["Content-Length"] = str(reply.length)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if reply.trickle:
                    for byte in reply.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                else:
                    self.wfile.write(reply.body)
                self.wfile.flush()
                if reply.length != "auto":
                    self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (time-out test)

        def log_message(self, format, *args):  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No proxies, no inherited cache/offline settings, no real back-off waits."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        ENV_CACHE,
        ENV_OFFLINE,
        ENV_ALLOW_HOSTS,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv(ENV_ALLOW_HTTP, "1")  # the test server speaks plain http
    monkeypatch.setattr(fetch_mod, "BACKOFF", 0.0)


def _leftovers(cache):
    return sorted(p.name for p in cache.iterdir() if p.name.endswith(".part"))


def test_download_then_cache_hit(server, tmp_path):
    url = server.route("/files/drug%20deaths%202019.xlsx")
    cache = tmp_path / "cache"
    path = fetch(url, cache_dir=cache)
    assert path.read_bytes() == BODY
    assert path.parent == cache
    assert path.suffix == ".xlsx"
    assert path.name.endswith("-drug_deaths_2019.xlsx")
    assert server.count("/files/drug%20deaths%202019.xlsx") == 1
    assert fetch(url, cache_dir=cache) == path
    assert server.count("/files/drug%20deaths%202019.xlsx") == 1  # no second request
    assert cached_hash(url, cache_dir=cache) == f"sha256:{SHA}"
    meta = json.loads(path.with_name(path.name + ".meta.json").read_text())
    assert (meta["url"], meta["sha256"], meta["size"]) == (url, SHA, len(BODY))
    assert _leftovers(cache) == []


def test_different_urls_same_name_do_not_collide(server, tmp_path):
    one = server.route("/a/table.csv", Reply(body=b"one"))
    two = server.route("/b/table.csv", Reply(body=b"two"))
    assert fetch(one, cache_dir=tmp_path).read_bytes() == b"one"
    assert fetch(two, cache_dir=tmp_path).read_bytes() == b"two"


def test_known_hash_verified(server, tmp_path):
    url = server.route("/ok.xlsx")
    path = fetch(url, known_hash=f"sha256:{SHA}", cache_dir=tmp_path)
    assert path.read_bytes() == BODY
    md5 = hashlib.md5(BODY).hexdigest()
    assert fetch(url, known_hash=f"md5:{md5.upper()}", cache_dir=tmp_path) == path
    assert server.count("/ok.xlsx") == 1


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    url = server.route("/bad.xlsx")
    wrong = "sha256:" + "0" * 64
    with pytest.raises(ChecksumError) as err:
        fetch(url, known_hash=wrong, cache_dir=tmp_path)
    assert url in str(err.value) and SHA in str(err.value)
    assert not cache_path(url, cache_dir=tmp_path).exists()
    assert cached_hash(url, cache_dir=tmp_path) is None
    assert _leftovers(tmp_path) == []


def test_cached_file_not_matching_known_hash_is_downloaded_again(server, tmp_path):
    url = server.route("/v.xlsx", Reply(body=tiny_xlsx(b"old edition")), Reply(body=BODY))
    old = fetch(url, cache_dir=tmp_path)
    assert old.read_bytes() == tiny_xlsx(b"old edition")
    new = fetch(url, known_hash=SHA, cache_dir=tmp_path)
    assert new.read_bytes() == BODY
    assert server.count("/v.xlsx") == 2


def test_corrupted_cache_is_downloaded_again(server, tmp_path):
    url = server.route("/c.xlsx")
    path = fetch(url, cache_dir=tmp_path)
    path.write_bytes(BODY[:100])  # truncated by some other program
    with pytest.warns(UserWarning, match="no longer matches"):
        again = fetch(url, cache_dir=tmp_path)
    assert again.read_bytes() == BODY
    assert server.count("/c.xlsx") == 2


def test_retry_after_503(server, tmp_path):
    url = server.route("/flaky.xlsx", Reply(503, b"busy"), Reply(503, b"busy"), Reply())
    path = fetch(url, cache_dir=tmp_path, retries=3)
    assert path.read_bytes() == BODY
    assert server.count("/flaky.xlsx") == 3


def test_gives_up_after_retries(server, tmp_path):
    url = server.route("/down.xlsx", Reply(503, b"busy"))
    with pytest.raises(FetchError, match="after 3 attempt.*503") as err:
        fetch(url, cache_dir=tmp_path, retries=2)
    assert url in str(err.value)
    assert server.count("/down.xlsx") == 3
    assert not cache_path(url, cache_dir=tmp_path).exists()


def test_backoff_doubles(server, tmp_path, monkeypatch):
    waits = []
    monkeypatch.setattr(fetch_mod, "BACKOFF", 0.5)
    monkeypatch.setattr(fetch_mod.time, "sleep", waits.append)
    url = server.route("/slow-start.xlsx", Reply(500, b""), Reply(502, b""), Reply())
    fetch(url, cache_dir=tmp_path, retries=3)
    assert waits == [0.5, 1.0]


def test_404_is_not_retried(server, tmp_path):
    url = server.base + "/missing.xlsx"
    with pytest.raises(FetchError, match="404"):
        fetch(url, cache_dir=tmp_path, retries=3)
    assert server.count("/missing.xlsx") == 1


def test_timeout_gives_clear_error(server, tmp_path):
    url = server.route("/hang.xlsx", Reply(delay=1.5))
    start = time.monotonic()
    with pytest.raises(FetchError, match="timed out") as err:
        fetch(url, cache_dir=tmp_path, timeout=0.2, retries=1)
    assert time.monotonic() - start < 1.4
    assert url in str(err.value)
    assert server.count("/hang.xlsx") == 2
    assert not cache_path(url, cache_dir=tmp_path).exists()


def test_offline_cache_hit(server, tmp_path, monkeypatch):
    url = server.route("/off.xlsx")
    path = fetch(url, cache_dir=tmp_path)
    server.routes.clear()  # the server would now answer 404
    assert fetch(url, cache_dir=tmp_path, offline=True) == path
    monkeypatch.setenv(ENV_OFFLINE, "1")
    assert fetch(url, cache_dir=tmp_path, refresh=True) == path
    assert server.count("/off.xlsx") == 1


def test_offline_miss_names_url_and_path(server, tmp_path, monkeypatch):
    url = server.route("/never.xlsx")
    with pytest.raises(NotCachedError) as err:
        fetch(url, cache_dir=tmp_path, offline=True)
    message = str(err.value)
    assert url in message and str(cache_path(url, cache_dir=tmp_path)) in message
    monkeypatch.setenv(ENV_OFFLINE, "true")
    with pytest.raises(NotCachedError):
        fetch(url, cache_dir=tmp_path)
    assert server.count("/never.xlsx") == 0


def test_offline_accepts_file_copied_by_hand(tmp_path):
    url = "http://127.0.0.1:9/hand.xlsx"  # never contacted
    target = cache_path(url, cache_dir=tmp_path)
    target.write_bytes(BODY)
    assert fetch(url, cache_dir=tmp_path, offline=True, known_hash=SHA) == target
    with pytest.raises(ChecksumError):
        fetch(url, cache_dir=tmp_path, offline=True, known_hash="sha256:" + "1" * 64)


def test_network_failure_falls_back_to_cache(server, tmp_path):
    url = server.route("/fall.xlsx")
    path = fetch(url, cache_dir=tmp_path)
    server.route("/fall.xlsx", Reply(503, b"busy"))
    with pytest.warns(UserWarning, match="using the cached copy"):
        assert fetch(url, cache_dir=tmp_path, refresh=True, retries=1) == path
    assert path.read_bytes() == BODY
    assert server.count("/fall.xlsx") == 3


def test_refresh_downloads_again(server, tmp_path):
    url = server.route("/r.csv", Reply(body=b"first"), Reply(body=b"second"))
    fetch(url, cache_dir=tmp_path)
    path = fetch(url, cache_dir=tmp_path, refresh=True)
    assert path.read_bytes() == b"second"
    assert cached_hash(url, cache_dir=tmp_path) == "sha256:" + hashlib.sha256(b"second").hexdigest()


def test_cache_dir_from_environment(server, tmp_path, monkeypatch):
    env_dir = tmp_path / "env cache"
    monkeypatch.setenv(ENV_CACHE, str(env_dir))
    url = server.route("/env.csv")
    path = fetch(url)
    assert path.parent == env_dir
    assert path.suffix == ".csv"
    assert cached_hash(url) == f"sha256:{SHA}"
    explicit = tmp_path / "explicit"
    assert fetch(url, cache_dir=explicit).parent == explicit  # argument beats env


def test_rejects_non_http_urls_and_bad_hashes(tmp_path):
    with pytest.raises(ValueError, match="http"):
        fetch("file:///etc/passwd", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="deadline"):
        fetch("https://127.0.0.1:9/x.xlsx", deadline=0, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="algorithm"):
        fetch("http://127.0.0.1:9/x.xlsx", known_hash="nohash:abc", cache_dir=tmp_path)


def test_ons_sources_are_ons_dataset_pages():
    assert set(ONS_SOURCES) == {"ons_la_drug_deaths", "ons_drug_poisoning_reference"}
    for source in ONS_SOURCES.values():
        assert source.url.startswith("https://www.ons.gov.uk/peoplepopulationandcommunity/")
        assert "/datasets/" in source.url
        assert source.description
    assert ONS_SOURCES["ons_la_drug_deaths"].url.endswith("/drugmisusedeathsbylocalauthority")
