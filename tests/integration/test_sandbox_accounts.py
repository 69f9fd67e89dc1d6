"""Contract tests: the Sandbox's Zoho Accounts (OAuth code + PKCE, tokens, throttle, revoke, user info)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from desktop_app.config import REDIRECT_PORTS, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, redirect_uri
from desktop_app.connectors.sandbox_admin import SandboxAdmin

from .conftest import get_tokens

REDIRECT = redirect_uri(REDIRECT_PORTS[0])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(url: str, challenge: str, **extra) -> requests.Response:
    params = {"response_type": "code", "client_id": SANDBOX_CLIENT_ID, "redirect_uri": REDIRECT,
              "scope": "ZohoBooks.contacts.READ,ZohoCampaigns.contact.ALL", "state": "st-123",
              "access_type": "offline", "prompt": "consent", "code_challenge": challenge,
              "code_challenge_method": "S256", **extra}
    return requests.get(f"{url}/oauth/v2/auth", params=params, allow_redirects=False, timeout=10)


def exchange(url: str, code: str, verifier: str, redirect: str = REDIRECT, **extra) -> dict:
    data = {"grant_type": "authorization_code", "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET, "code": code, "redirect_uri": redirect,
            "code_verifier": verifier, **extra}
    resp = requests.post(f"{url}/oauth/v2/token", data=data, timeout=10)
    assert resp.status_code == 200
    return resp.json()


def refresh(url: str, token: str) -> requests.Response:
    return requests.post(f"{url}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
        "refresh_token": token}, timeout=10)


def test_authorization_code_with_pkce_and_state(sandbox):
    verifier, challenge = pkce()
    resp = authorize(sandbox.url, challenge)
    assert resp.status_code == 302
    target = urlsplit(resp.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    q = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert q["state"] == "st-123" and q["location"] == "us" and q["accounts-server"] == sandbox.url
    tokens = exchange(sandbox.url, q["code"], verifier)
    assert set(tokens) >= {"access_token", "refresh_token", "api_domain", "token_type", "expires_in"}
    assert tokens["expires_in"] == 3600 and tokens["api_domain"] == sandbox.url
    # A code is single-use.
    assert exchange(sandbox.url, q["code"], verifier) == {"error": "invalid_code"}


def test_wrong_verifier_and_wrong_redirect_are_refused(sandbox):
    verifier, challenge = pkce()
    code = parse_qs(urlsplit(authorize(sandbox.url, challenge).headers["Location"]).query)["code"][0]
    assert exchange(sandbox.url, code, "not-the-verifier") == {"error": "invalid_code"}
    other = redirect_uri(REDIRECT_PORTS[1])
    assert exchange(sandbox.url, code, verifier, redirect=other) == {"error": "invalid_redirect_uri"}
    assert "access_token" in exchange(sandbox.url, code, verifier)


@pytest.mark.parametrize("change, status, text", [
    ({"client_id": "1000.UNKNOWN"}, 400, "invalid_client"),
    ({"code_challenge_method": "plain"}, 400, "invalid_request"),
    ({"response_type": "token"}, 400, "invalid_request"),
    ({"redirect_uri": "http://127.0.0.1:9/callback"}, 200, "invalid_redirect_uri"),
])
def test_bad_authorization_requests(sandbox, change, status, text):
    resp = authorize(sandbox.url, pkce()[1], **change)
    assert resp.status_code == status
    assert text in resp.text and "Traceback" not in resp.text


def test_bad_client_secret_and_grant_type(sandbox):
    resp = requests.post(f"{sandbox.url}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": SANDBOX_CLIENT_ID, "client_secret": "wrong",
        "refresh_token": "x"}, timeout=10)
    assert resp.json() == {"error": "invalid_client"}
    resp = requests.post(f"{sandbox.url}/oauth/v2/token", data={
        "grant_type": "password", "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET},
        timeout=10)
    assert resp.json() == {"error": "unsupported_grant_type"}


def test_refresh_gives_a_working_access_token(sandbox):
    tokens = get_tokens(sandbox)
    new = refresh(sandbox.url, tokens["refresh_token"]).json()
    assert "refresh_token" not in new and new["expires_in"] == 3600
    info = requests.get(f"{sandbox.url}/oauth/user/info",
                        headers={"Authorization": f"Zoho-oauthtoken {new['access_token']}"}, timeout=10)
    assert info.json()["Email"] == "owner@zylker-demo.com"


def test_refresh_throttle_answers_access_denied_with_http_200(sandbox_factory):
    srv = sandbox_factory(limits="on")
    tokens = get_tokens(srv)
    for _ in range(10):
        assert "access_token" in refresh(srv.url, tokens["refresh_token"]).json()
    resp = refresh(srv.url, tokens["refresh_token"])
    assert resp.status_code == 200
    assert resp.json() == {"error": "Access Denied", "status": "failure",
                           "error_description": "You have made too many requests continuously. "
                                                "Please try again after some time."}
    assert int(resp.headers["Retry-After"]) > 0
    assert SandboxAdmin(srv.url).stats()["lockouts_by_family"] == {"accounts.token": 1}


def test_revoke_refresh_token_revokes_its_access_tokens(sandbox):
    tokens = get_tokens(sandbox)
    headers = {"Authorization": f"Zoho-oauthtoken {tokens['access_token']}"}
    resp = requests.post(f"{sandbox.url}/oauth/v2/token/revoke", params={"token": tokens["refresh_token"]},
                         timeout=10)
    assert resp.json() == {"status": "success"}
    assert refresh(sandbox.url, tokens["refresh_token"]).json() == {"error": "invalid_code"}
    assert requests.get(f"{sandbox.url}/oauth/user/info", headers=headers, timeout=10).status_code == 401
    unknown = requests.post(f"{sandbox.url}/oauth/v2/token/revoke", params={"token": "nope"}, timeout=10)
    assert unknown.status_code == 400


def test_user_info_and_owner_knob(sandbox, sandbox_admin, auth):
    assert requests.get(f"{sandbox.url}/oauth/user/info", timeout=10).status_code == 401
    info = requests.get(f"{sandbox.url}/oauth/user/info", headers=auth, timeout=10).json()
    assert info["Email"] == "owner@zylker-demo.com" and {"ZUID", "Display_Name"} <= set(info)
    sandbox_admin.config(owner_email="boss@zylker-demo.com")
    assert requests.get(f"{sandbox.url}/oauth/user/info", headers=auth, timeout=10).json()["Email"] == \
        "boss@zylker-demo.com"


def test_expired_tokens_are_refused_and_refresh_recovers(sandbox, sandbox_admin):
    tokens = get_tokens(sandbox)
    headers = {"Authorization": f"Zoho-oauthtoken {tokens['access_token']}"}
    assert sandbox_admin.expire_tokens() >= 1
    books = requests.get(f"{sandbox.url}/books/v3/organizations", headers=headers, timeout=10)
    assert books.status_code == 401 and books.json()["code"] == 57
    fresh = refresh(sandbox.url, tokens["refresh_token"]).json()["access_token"]
    ok = requests.get(f"{sandbox.url}/books/v3/organizations",
                      headers={"Authorization": f"Zoho-oauthtoken {fresh}"}, timeout=10)
    assert ok.status_code == 200


def test_tokens_never_reach_the_state_file_or_the_call_log(sandbox, sandbox_admin):
    tokens = get_tokens(sandbox)
    refresh(sandbox.url, tokens["refresh_token"])
    sandbox.stop()
    raw = sandbox.db_path.read_bytes()
    assert tokens["access_token"].encode() not in raw and tokens["refresh_token"].encode() not in raw
    # The call log (in memory) redacts codes, tokens and the client secret.
    srv_log = str(sandbox.app.calls.since(0))
    assert tokens["refresh_token"] not in srv_log and SANDBOX_CLIENT_SECRET not in srv_log


def test_a_browser_sign_in_grants_exactly_the_scope_parameter(sandbox):
    verifier, challenge = pkce()
    resp = authorize(sandbox.url, challenge)  # scope=ZohoBooks.contacts.READ,ZohoCampaigns.contact.ALL
    code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    tokens = exchange(sandbox.url, code, verifier)
    assert "scope" not in tokens
    headers = {"Authorization": f"Zoho-oauthtoken {tokens['access_token']}"}
    assert requests.get(f"{sandbox.url}/oauth/user/info", headers=headers, timeout=10).status_code == 401
    orgs = requests.get(f"{sandbox.url}/books/v3/organizations", headers=headers, timeout=10)
    assert orgs.status_code == 401 and orgs.json()["code"] == 57
    lists = requests.get(f"{sandbox.url}/api/v1.1/getmailinglists", headers=headers, params={"resfmt": "JSON"},
                         timeout=10)
    assert lists.json()["status"] == "success"


def test_a_self_client_code_grants_the_app_scopes_by_default(sandbox):
    headers = {"Authorization": f"Zoho-oauthtoken {get_tokens(sandbox)['access_token']}"}
    assert requests.get(f"{sandbox.url}/oauth/user/info", headers=headers, timeout=10).status_code == 200
    assert requests.get(f"{sandbox.url}/books/v3/organizations", headers=headers, timeout=10).status_code == 200
