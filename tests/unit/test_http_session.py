"""The HTTP session reads the environment once (proxies per host, CA bundle), then never again."""

from __future__ import annotations

import pytest

from desktop_app.connectors.books import parse_time
from desktop_app.connectors.http import environment_session

pytestmark = pytest.mark.unit


def test_the_proxy_and_ca_bundle_are_read_once_and_no_proxy_is_honoured(monkeypatch, tmp_path):
    bundle = tmp_path / "corporate-ca.pem"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    zoho = environment_session("https://www.zohoapis.com/books/v3")
    local = environment_session("http://127.0.0.1:8000/books/v3")
    assert zoho.proxies.get("https") == "http://proxy.corp:3128" and zoho.verify == str(bundle)
    assert "https" not in local.proxies and "http" not in local.proxies
    assert local.verify is True  # plain HTTP: no bundle path for requests to stat on every call
    assert zoho.trust_env is False and local.trust_env is False
    monkeypatch.setenv("HTTPS_PROXY", "http://other:1")  # read once: a later change is not seen
    assert zoho.proxies.get("https") == "http://proxy.corp:3128"


def test_without_proxies_or_bundle_the_session_is_plain(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                 "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    session = environment_session("https://www.zohoapis.com")
    assert session.verify is True and not {k for k in session.proxies if k != "no"}


def test_books_times_parse_with_fromisoformat_and_refuse_what_books_never_sends():
    assert parse_time("2026-11-24T10:00:00+0530").utcoffset().total_seconds() == 19800
    assert parse_time("2026-11-24T10:00:00.250+05:30").microsecond == 250000
    for text in ("2026-11-24", "2026-11-24 10:00:00+05:30", "2026-11-24T10:00:00", "", None, 5, "2026-W48-2T1"):
        assert parse_time(text) is None
