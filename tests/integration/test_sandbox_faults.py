"""Fault injection and the call log: faulted writes do not happen, kinds answer as documented."""

from __future__ import annotations

import json

import pytest
import requests

from desktop_app.connectors.sandbox_admin import SandboxAdmin, SandboxAdminError
from tests.integration.connector_helpers import admin_headers

ORG = "60012345678"


def books(srv, auth, timeout=10):
    return requests.get(f"{srv.url}/books/v3/contacts", headers=auth, timeout=timeout,
                        params={"organization_id": ORG, "per_page": 10})


def listkey(srv, auth, name="Books customers"):
    body = requests.get(f"{srv.url}/api/v1.1/getmailinglists", headers=auth,
                        params={"resfmt": "JSON"}, timeout=10).json()
    return next(d["listkey"] for d in body["list_of_details"] if d["listname"] == name)


def subscribe(srv, auth, key, email):
    return requests.post(f"{srv.url}/api/v1.1/json/listsubscribe", headers=auth, timeout=10, data={
        "resfmt": "JSON", "listkey": key, "contactinfo": json.dumps({"Contact Email": email})})


def test_5xx_on_an_exact_call_number_does_not_apply_the_write(sandbox, sandbox_admin, auth):
    key = listkey(sandbox, auth)
    n = sandbox_admin.last_call_number()
    sandbox_admin.faults("5xx", calls=[n + 2])  # n+1 is this admin call
    resp = subscribe(sandbox, auth, key, "a@example.com")
    assert resp.status_code == 500 and resp.json()["code"] == "500"
    assert sandbox_admin.list_contacts(key) == []
    assert subscribe(sandbox, auth, key, "a@example.com").json()["code"] == "0"
    assert [c["email"] for c in sandbox_admin.list_contacts(key)] == ["a@example.com"]


def test_applied_fault_applies_then_fails(sandbox, sandbox_admin, auth):
    key = listkey(sandbox, auth)
    sandbox_admin.faults("5xx", count=1, service="campaigns", path_contains="listsubscribe", applied=True,
                         status=503)
    assert subscribe(sandbox, auth, key, "b@example.com").status_code == 503
    assert [c["email"] for c in sandbox_admin.list_contacts(key)] == ["b@example.com"]
    assert subscribe(sandbox, auth, key, "b@example.com").json()["code"] == "0"
    assert [c["email"] for c in sandbox_admin.list_contacts(key)] == ["b@example.com"]


def test_books_kinds(sandbox, sandbox_admin, auth):
    sandbox_admin.faults("5xx", count=1, service="books")
    resp = books(sandbox, auth)
    assert resp.status_code == 500 and resp.json() == {"code": 1000, "message": "Internal error"}
    sandbox_admin.faults("429", count=1, service="books")
    resp = books(sandbox, auth)
    assert resp.status_code == 429 and resp.json()["code"] == 45 and resp.headers["Retry-After"] == "1"
    sandbox_admin.faults("token_expiry", count=1, service="books")
    resp = books(sandbox, auth)
    assert resp.status_code == 401 and resp.json()["code"] == 57
    sandbox_admin.faults("malformed", count=1, service="books")
    resp = books(sandbox, auth)
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()
    whole = books(sandbox, auth).text
    sandbox_admin.faults("truncated", count=1, service="books")
    cut = books(sandbox, auth)
    assert cut.status_code == 200 and whole.startswith(cut.text) and len(cut.text) < len(whole)
    assert books(sandbox, auth).json()["code"] == 0  # count=1 rules are spent
    assert sandbox_admin.stats()["faults_injected"] == {"5xx": 1, "429": 1, "token_expiry": 1, "malformed": 1,
                                                        "truncated": 1}


@pytest.mark.parametrize("contract, code", [("strict", "1007"), ("lenient", "401")])
def test_campaigns_token_expiry_answers_as_a_dead_token(sandbox, sandbox_admin, auth, contract, code):
    sandbox_admin.configure(contract=contract)
    sandbox_admin.faults("token_expiry", count=1, service="campaigns")
    body = requests.get(f"{sandbox.url}/api/v1.1/getmailinglists", headers=auth, params={"resfmt": "JSON"},
                        timeout=10).json()
    assert body["code"] == code


def test_timeout_sleeps_then_drops(sandbox, sandbox_admin, auth):
    sandbox_admin.config(timeout_seconds=1.0)
    sandbox_admin.faults("timeout", count=1, service="books")
    with pytest.raises(requests.ReadTimeout):
        books(sandbox, auth, timeout=0.3)
    sandbox_admin.faults("timeout", count=1, service="books")
    with pytest.raises(requests.ConnectionError):
        books(sandbox, auth, timeout=5)  # no answer at all: the connection is closed


def test_rate_faults_are_repeatable_and_clearable(sandbox_factory):
    outcomes = []
    for _ in range(2):
        srv = sandbox_factory()
        admin = SandboxAdmin(srv.url)
        admin.faults("5xx", rate=0.3, service="accounts")
        codes = [requests.get(f"{srv.url}/oauth/user/info", timeout=10).status_code for _ in range(30)]
        outcomes.append(codes)
        assert 500 in codes and 401 in codes
        admin.clear_faults()
        assert {requests.get(f"{srv.url}/oauth/user/info", timeout=10).status_code for _ in range(10)} == {401}
    assert outcomes[0] == outcomes[1]


def test_bad_fault_rules_are_refused(sandbox_admin):
    for kwargs in ({"kind": "explode", "rate": 0.5}, {"kind": "5xx"}, {"kind": "5xx", "rate": 2.0},
                   {"kind": "5xx", "count": 1, "service": "mail"}):
        kind = kwargs.pop("kind")
        with pytest.raises(SandboxAdminError, match="HTTP 400"):
            sandbox_admin.faults(kind, **kwargs)


def test_call_log_shows_what_the_client_sent_with_secrets_redacted(sandbox, sandbox_admin, auth):
    start = sandbox_admin.last_call_number()
    key = listkey(sandbox, auth)
    subscribe(sandbox, auth, key, "c@example.com")
    requests.post(f"{sandbox.url}/oauth/v2/token", data={"grant_type": "refresh_token", "client_id": "x",
                                                          "client_secret": "s3cret", "refresh_token": "r3fresh"},
                  timeout=10)
    calls = [c for c in sandbox_admin.calls(since=start) if c["service"] != "admin"]
    assert [c["path"] for c in calls] == ["/api/v1.1/getmailinglists", "/api/v1.1/json/listsubscribe",
                                          "/oauth/v2/token"]
    sub = calls[1]
    assert sub["method"] == "POST" and sub["status"] == 200 and sub["code"] == "0"
    assert json.loads(sub["params"]["contactinfo"]) == {"Contact Email": "c@example.com"}
    assert calls[2]["params"]["client_secret"] == "***" and calls[2]["params"]["refresh_token"] == "***"
    assert [c["n"] for c in calls] == sorted(c["n"] for c in calls) and calls[0]["n"] > start


def test_admin_bad_input_is_a_400_sentence(sandbox):
    resp = requests.post(f"{sandbox.url}/_sandbox/config", headers=admin_headers(sandbox), data="{nope", timeout=10)
    assert resp.status_code == 400 and "JSON" in resp.json()["error"]
    resp = requests.post(f"{sandbox.url}/_sandbox/config",
                         headers=admin_headers(sandbox), json={"limits": "fast"}, timeout=10)
    assert resp.status_code == 400 and "scale=K" in resp.json()["error"]
    resp = requests.post(f"{sandbox.url}/_sandbox/config",
                         headers=admin_headers(sandbox), json={"colour": "red"}, timeout=10)
    assert resp.status_code == 400 and "unknown setting" in resp.json()["error"]
    assert requests.get(f"{sandbox.url}/_sandbox/nothing",
                        headers=admin_headers(sandbox), timeout=10).status_code == 404
