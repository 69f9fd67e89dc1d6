"""OAuth against the Sandbox over loopback: the real flow, Self Client, refresh, revoke, secrets."""

from __future__ import annotations

import logging
import socket
import threading

import keyring.backends.fail
import pytest
import requests

from desktop_app import config
from desktop_app.connectors.auth import TokenManager
from desktop_app.connectors.errors import AuthError, AuthExpired, RateLimited
from desktop_app.connectors.limiter import Limiter, allowed_calls
from desktop_app.connectors.secrets import SecretStore
from desktop_app.connectors.session import (
    build_clients,
    client_secret_name,
    connect_sandbox,
    refresh_token_name,
)
from desktop_app.connectors.signin import LoopbackReceiver, sign_in_auto_approve, sign_in_with_code
from tests.integration.connector_helpers import admin, admin_headers, oauth_for


def test_full_browser_flow_headless(sandbox):
    oauth = oauth_for(sandbox)
    tokens = sign_in_auto_approve(oauth)
    assert tokens.access_token and tokens.refresh_token
    assert tokens.api_domain.startswith("http://127.0.0.1")
    assert tokens.accounts_server == sandbox.endpoints.accounts.rstrip("/")
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)
    email = oauth.user_email(tokens.access_token)
    assert "@" in email
    # The flow really went through authorize → callback → token exchange.
    calls = admin(sandbox, "GET", "calls")
    paths = [c["path"] for c in (calls if isinstance(calls, list) else calls.get("calls", []))]
    assert any(p.endswith("/oauth/v2/auth") for p in paths)
    assert any(p.endswith("/oauth/v2/token") for p in paths)


def test_connect_sandbox_factory_reads_owner_email(sandbox):
    admin(sandbox, "POST", "config", {"owner_email": "boss@zylker-demo.com"})
    conn = connect_sandbox(sandbox.url, limiter=Limiter(enabled=False))
    assert conn.email == "boss@zylker-demo.com"
    books, _campaigns = conn.clients(conn_org(conn), Limiter(enabled=False))
    assert books.organizations()[0].email == "boss@zylker-demo.com"


def conn_org(conn) -> str:
    books, _ = build_clients(conn.endpoints, "", conn.tokens, limiter=Limiter(enabled=False))
    return books.organizations()[0].org_id


def test_self_client_code(sandbox):
    code = admin(sandbox, "POST", "selfclient/code")["code"]
    oauth = oauth_for(sandbox)
    tokens = sign_in_with_code(oauth, code)
    assert tokens.refresh_token
    with pytest.raises(AuthError):  # single use
        sign_in_with_code(oauth, code)
    with pytest.raises(AuthError):
        sign_in_with_code(oauth, "   ")


def test_wrong_client_secret_is_a_sign_in_error(sandbox):
    code = admin(sandbox, "POST", "selfclient/code")["code"]
    with pytest.raises(AuthError) as info:
        sign_in_with_code(oauth_for(sandbox, "wrong-secret"), code)
    assert "wrong-secret" not in str(info.value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_receiver_rejects_wrong_state_and_falls_back_to_next_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken, free = busy.getsockname()[1], _free_port()
        receiver = LoopbackReceiver("expected-state", ports=(taken, free))
        assert receiver.port == free
        assert receiver.redirect_uri == f"http://127.0.0.1:{free}{config.REDIRECT_PATH}"

        forged: list[int] = []

        def browser():
            # A wrong state is answered with an error page and does not end the sign-in.
            forged.append(requests.get(receiver.redirect_uri, params={"code": "x", "state": "forged"},
                                       timeout=5).status_code)
            requests.get(receiver.redirect_uri, params={"code": "c", "state": "expected-state"}, timeout=5)

        t = threading.Thread(target=browser)
        t.start()
        assert receiver.wait(timeout=10).code == "c"
        t.join()
        assert forged == [400]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with pytest.raises(AuthError, match="busy"):
            LoopbackReceiver("s", ports=(busy.getsockname()[1],))


def test_receiver_cancel():
    cancel = threading.Event()
    receiver = LoopbackReceiver("s")
    cancel.set()
    with pytest.raises(AuthError, match="cancel"):
        receiver.wait(timeout=10, cancel=cancel)


def test_refresh_on_expiry_mid_iteration(sandbox):
    oauth = oauth_for(sandbox)
    first = sign_in_auto_approve(oauth)
    tokens = TokenManager(oauth, first.refresh_token, initial=first)
    limiter = Limiter(enabled=False)
    books, _ = build_clients(sandbox.endpoints, "", tokens, limiter=limiter)
    books.org_id = books.organizations()[0].org_id
    seen = 0
    for page in books.iter_customer_pages():
        seen += len(page.customers)
        if page.page == 1:
            admin(sandbox, "POST", "expire-tokens")
    assert seen >= 1000
    assert tokens.refreshes == 1  # one invalid-token answer → one refresh, then on


def test_one_refresh_in_flight_for_many_threads(sandbox):
    oauth = oauth_for(sandbox)
    first = sign_in_auto_approve(oauth)
    tokens = TokenManager(oauth, first.refresh_token)  # no access token yet
    got = []
    threads = [threading.Thread(target=lambda: got.append(tokens.access_token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and tokens.refreshes == 1


def test_revoke_then_calls_say_reconnect(sandbox):
    oauth = oauth_for(sandbox)
    first = sign_in_auto_approve(oauth)
    oauth.revoke(first.refresh_token)
    with pytest.raises(AuthExpired):
        oauth.refresh(first.refresh_token)
    tokens = TokenManager(oauth, first.refresh_token, initial=first)
    books, _ = build_clients(sandbox.endpoints, "", tokens, limiter=Limiter(enabled=False))
    with pytest.raises(AuthExpired) as info:
        books.organizations()
    assert "Reconnect" in info.value.message
    oauth.revoke(first.refresh_token)  # already gone: no error


def test_client_side_refresh_limit_never_reaches_zoho_throttle(sandbox):
    admin(sandbox, "POST", "config", {"limits": "on"})
    try:
        oauth = oauth_for(sandbox)
        code = admin(sandbox, "POST", "selfclient/code")["code"]
        first = sign_in_with_code(oauth, code)
        tokens = TokenManager(oauth, first.refresh_token, max_wait=1.0)
        with pytest.raises(RateLimited) as info:
            for _ in range(20):
                tokens.refresh_now()
        # 10 per 10 minutes documented − 1 in flight − 1 reserve (the code exchange just made one).
        assert tokens.refreshes == allowed_calls(10, "accounts.token") == 8
        assert "10 minutes" in info.value.message
        # The server's own throttle ("Access Denied", HTTP 200) is a RateLimited, not a crash.
        with pytest.raises(RateLimited):
            for _ in range(5):
                oauth.refresh(first.refresh_token)
    finally:
        admin(sandbox, "POST", "config", {"limits": "off"})


def test_no_secret_in_logs_or_databases(sandbox, app_home, monkeypatch):
    paths = config.app_paths().ensure()
    config.setup_logging(paths, "DEBUG")
    try:
        store = SecretStore(paths, backend=keyring.backends.fail.Keyring())
        oauth = oauth_for(sandbox)
        first = sign_in_auto_approve(oauth)
        store.set(refresh_token_name("sandbox", "1"), first.refresh_token)
        store.set(client_secret_name(config.SANDBOX_CLIENT_ID), config.SANDBOX_CLIENT_SECRET)
        tokens = TokenManager(oauth, store.get(refresh_token_name("sandbox", "1")), initial=first)
        books, campaigns = build_clients(sandbox.endpoints, "", tokens, limiter=Limiter(enabled=False))
        books.org_id = books.organizations()[0].org_id
        next(iter(books.iter_customer_pages()))
        admin(sandbox, "POST", "expire-tokens")
        campaigns.lists()
        oauth.user_email(tokens.access_token())
        logging.getLogger("desktop_app.test").info("tokens: %r", first)
        for handler in logging.getLogger().handlers:
            handler.flush()
        secrets_seen = {first.access_token, first.refresh_token, tokens.access_token(),
                        config.SANDBOX_CLIENT_SECRET}
        scanned = 0
        candidates = [*app_home.rglob("*"), *sandbox.db_path.parent.glob(sandbox.db_path.name + "*")]
        for f in candidates:
            if f.is_file() and f != paths.secrets_file and (f.suffix in (".db", ".log", ".json", ".db-wal")
                                                           or ".log" in f.name):
                data = f.read_bytes()
                scanned += 1
                for s in secrets_seen:
                    assert s.encode() not in data, f"a secret leaked into {f.name}"
        assert scanned >= 2
        log_text = paths.log_file.read_text()
        assert "/oauth/v2/token" in log_text and "contacts" in log_text  # the flow was logged
        assert store.backend_name == "file"
    finally:
        root = logging.getLogger()
        for h in list(root.handlers):
            if getattr(h, "baseFilename", None) == str(paths.log_file):
                root.removeHandler(h)
                h.close()


# --------------------------------------------------------------------------- issue 9: the documented contract


def _token_calls(sandbox, since: int) -> list[dict]:
    calls = admin(sandbox, "GET", "calls", None) if since == 0 else requests.get(
        f"{sandbox.url}/_sandbox/calls", headers=admin_headers(sandbox), params={"since": since}, timeout=10).json()
    calls = calls if isinstance(calls, list) else calls.get("calls", [])
    return [c for c in calls if c["path"] == "/oauth/v2/token"]


def _last_call(sandbox) -> int:
    return int(admin(sandbox, "GET", "health")["n"])


@pytest.mark.parametrize(("scopes", "missing"), [
    ("ZohoCampaigns.contact.ALL,AaaServer.profile.READ",
     ["ZohoBooks.settings.READ"]),  # no organization known → contacts not probed
    ("ZohoBooks.settings.READ,ZohoCampaigns.contact.ALL,AaaServer.profile.READ", ["ZohoBooks.contacts.READ"]),
    ("ZohoBooks.settings.READ,ZohoBooks.contacts.READ",
     ["AaaServer.profile.READ", "ZohoCampaigns.contact.READ"]),
])
def test_self_client_code_without_a_scope_names_every_missing_one(sandbox, scopes, missing):
    from desktop_app.connectors.auth import SELF_CLIENT_SCOPES
    from desktop_app.connectors.session import connect_with_tokens

    code = admin(sandbox, "POST", "selfclient/code", {"scopes": scopes})["code"]
    oauth = oauth_for(sandbox)
    tokens = sign_in_with_code(oauth, code)
    after_exchange = _last_call(sandbox)
    with pytest.raises(AuthError) as info:
        connect_with_tokens(sandbox.endpoints, oauth, tokens, limiter=Limiter(enabled=False))
    message = info.value.message
    for scope in missing:
        assert scope in message.split(";")[0], message
    for scope in {"AaaServer.profile.READ", "ZohoBooks.settings.READ", "ZohoBooks.contacts.READ",
                  "ZohoCampaigns.contact.READ"} - set(missing):
        assert scope not in message.split(";")[0], message
    assert message.startswith("The sign-in did not grant ") and SELF_CLIENT_SCOPES in message
    assert tokens.access_token not in message and tokens.refresh_token not in message
    assert _token_calls(sandbox, after_exchange) == []  # the probe never refreshes


def test_a_full_grant_passes_the_scope_check(sandbox):
    from desktop_app.connectors.session import connect_with_tokens

    code = admin(sandbox, "POST", "selfclient/code")["code"]  # the Sandbox's default: all four scopes
    oauth = oauth_for(sandbox)
    conn = connect_with_tokens(sandbox.endpoints, oauth, sign_in_with_code(oauth, code),
                               limiter=Limiter(enabled=False))
    assert conn.scopes is not None and conn.scopes.missing == () and conn.scopes.org_ids
    assert "@" in conn.email and conn.tokens.refreshes == 0


def test_expires_in_milliseconds_is_read_as_seconds(sandbox):
    import time

    admin(sandbox, "POST", "config", {"expires_in_ms": True})
    oauth = oauth_for(sandbox)
    first = sign_in_auto_approve(oauth)
    assert first.expires_at - time.time() < 3600 + 60  # not 1,000 hours
    assert oauth.refresh(first.refresh_token).expires_at - time.time() > 3000


def test_revoke_sends_the_token_in_the_query_string(sandbox):
    oauth = oauth_for(sandbox)
    first = sign_in_auto_approve(oauth)
    oauth.revoke(first.refresh_token)  # strict reads only ?token=
    with pytest.raises(AuthExpired):
        oauth.refresh(first.refresh_token)


@pytest.mark.parametrize("contract", ["strict", "lenient"])
def test_a_dead_token_costs_one_refresh_for_n_concurrent_writers(sandbox, contract):
    from concurrent.futures import ThreadPoolExecutor

    admin(sandbox, "POST", "config", {"contract": contract})
    oauth = oauth_for(sandbox)
    first = sign_in_auto_approve(oauth)
    tokens = TokenManager(oauth, first.refresh_token, initial=first)
    _, campaigns = build_clients(sandbox.endpoints, "", tokens, limiter=Limiter(enabled=False))
    key = campaigns.lists()[0].key
    admin(sandbox, "POST", "expire-tokens")  # 1007 (strict) / 401 (lenient) for everyone at once
    emails = [f"writer{i}@example.org" for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda e: campaigns.subscribe(key, {"Contact Email": e}), emails))
    assert [r.email for r in results] == emails
    assert tokens.refreshes == 1


def test_a_token_without_the_write_scope_is_auth_expired_after_its_refreshes(sandbox):
    code = admin(sandbox, "POST", "selfclient/code",
                 {"scopes": "ZohoCampaigns.contact.READ,ZohoBooks.settings.READ,AaaServer.profile.READ"})["code"]
    oauth = oauth_for(sandbox)
    first = sign_in_with_code(oauth, code)
    tokens = TokenManager(oauth, first.refresh_token, initial=first)
    _, campaigns = build_clients(sandbox.endpoints, "", tokens, limiter=Limiter(enabled=False))
    key = campaigns.lists()[0].key  # reading works
    with pytest.raises(AuthExpired):
        campaigns.subscribe(key, {"Contact Email": "no.scope@example.org"})  # 1007 → refresh → 1007 …
    assert tokens.refreshes == 2  # http.TOKEN_REFRESHES_PER_CALL
