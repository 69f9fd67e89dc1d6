"""The Sandbox's contract knobs, one test per strict behaviour with its lenient counterpart.

``contract``: strict (default: Zoho's documented contract, the least convenient reading where Zoho
is silent) | lenient. Also ``consent_fields``, ``dead_token_code``, ``expires_in_ms`` and the
``DESKTOP_APP_SANDBOX_CONTRACT`` default. See docs/wire-contract.md.
"""

from __future__ import annotations

import json

import pytest
import requests

from desktop_app.config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from desktop_app.connectors.sandbox_admin import SandboxAdmin, SandboxAdminError

from .conftest import get_tokens
from .test_sandbox_campaigns import call, lists, subscribe

BOTH = pytest.mark.parametrize("contract", ["strict", "lenient"])


def strict(contract: str) -> bool:
    return contract == "strict"


def test_strict_is_the_default(sandbox_admin):
    cfg = sandbox_admin.config()
    assert cfg["contract"] == "strict" and cfg["consent_fields"] is False
    assert cfg["dead_token_code"] is None and cfg["expires_in_ms"] is False


@BOTH
def test_extra_parameters(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    topics = call(sandbox, auth, "topics", details="{from_index:0,range:5}", resfmt="JSON")
    assert (topics.get("code") == "1002") is strict(contract)
    bulk = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=lists(sandbox, auth)["Newsletter"],
                emailids="e1@example.com", source="DesktopSync")
    assert (bulk["code"] == "1002") is strict(contract)
    # Both readings refuse a parameter no reading knows.
    assert call(sandbox, auth, "getmailinglists", colour="red")["code"] == "1002"


@BOTH
def test_missing_mandatory_parameters(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    no_resfmt = requests.get(f"{sandbox.url}/api/v1.1/getmailinglists", headers=auth, timeout=10).json()
    assert (no_resfmt.get("code") == "903") is strict(contract)
    no_key = call(sandbox, auth, "getlistsubscribers")
    assert no_key["code"] == ("903" if strict(contract) else "2501")
    no_type = call(sandbox, auth, "contact/allfields")["response"]
    assert (no_type["code"] == "903") is strict(contract)


@BOTH
def test_bad_values(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    xml = call(sandbox, auth, "getmailinglists", resfmt="XML")
    assert (xml.get("code") == "1005") is strict(contract)
    assert call(sandbox, auth, "getmailinglists", sort="sideways")["code"] == "1005"  # both


@BOTH
def test_undocumented_statuses(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    key = lists(sandbox, auth)["Newsletter"]
    for status in ("spam", "dnm", "all"):
        body = call(sandbox, auth, "getlistsubscribers", listkey=key, status=status, range=1000)
        assert (body["code"] == "1005") is strict(contract), status
        if not strict(contract):
            assert body["status"] == "success"
    dnm = call(sandbox, auth, "listsubscriberscount", listkey=key, status="dnm")
    assert (dnm.get("code") == "1005") is strict(contract)


@BOTH
def test_mailing_lists_past_the_end(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    body = call(sandbox, auth, "getmailinglists", fromindex=50, range=10)
    if strict(contract):
        assert body["code"] == "2401" and body["message"] == "No mailing list has been created"
    else:
        assert body["status"] == "success" and body["list_of_details"] == []


@BOTH
def test_post_content_type(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    key = lists(sandbox, auth)["Books customers"]
    params = {"resfmt": "JSON", "listkey": key, "contactinfo": json.dumps({"Contact Email": "ct@example.com"})}
    body = requests.post(f"{sandbox.url}/api/v1.1/json/listsubscribe", headers=auth, params=params,
                         timeout=10).json()
    assert body["code"] == ("903" if strict(contract) else "0")
    field = requests.post(f"{sandbox.url}/api/v1.1/custom/add", headers=auth, timeout=10,
                          params={"type": "json", "fieldname": "Tier", "fieldtype": "Text"}).json()["response"]
    assert field["code"] == ("903" if strict(contract) else "200")


@BOTH
def test_subscribe_success_answer(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    key = lists(sandbox, auth)["Books customers"]
    first = subscribe(sandbox, auth, key, {"Contact Email": "s@example.com"})
    again = subscribe(sandbox, auth, key, {"Contact Email": "s@example.com"})
    for body in (first, again):
        assert (body["status"], body["code"], body["message"]) == ("success", "0", "User successfully subscribed.")
    if strict(contract):
        assert "contact_status" not in first and "contact_status" not in again
    else:
        assert (first["contact_status"], again["contact_status"]) == ("added", "updated")


@BOTH
def test_2104_refusal(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    sandbox_admin.set_contact_status("gone@example.com", "bounce")
    body = subscribe(sandbox, auth, lists(sandbox, auth)["Books customers"], {"Contact Email": "gone@example.com"})
    assert body["code"] == "2104" and "bounced" in body["message"]
    assert body.get("contact_status") == (None if strict(contract) else "bounce")


@BOTH
def test_unknown_contactinfo_key(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    key = lists(sandbox, auth)["Books customers"]
    body = subscribe(sandbox, auth, key, {"Contact Email": "k@example.com", "First Name": "K",
                                          "Shoe Size": "44", "Subscription Type": "Non-marketing"})
    assert body["code"] == ("910" if strict(contract) else "0")
    if not strict(contract):  # ignored, and the pseudo key did not make a Non-marketing contact
        (contact,) = sandbox_admin.list_contacts(key)
        assert contact["fields"] == {"First Name": "K"} and contact["subscription_type"] == "Marketing"


@BOTH
def test_allfields_items(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    items = call(sandbox, auth, "contact/allfields", type="json")["response"]["fieldnames"]["fieldname"]
    keys = {frozenset(f) for f in items}
    if strict(contract):
        assert keys == {frozenset({"DISPLAY_NAME", "FIELD_NAME", "FIELD_ID"})}
    else:
        assert all({"FIELD_TYPE", "IS_MANDATORY", "IS_CUSTOM"} <= k for k in keys)


@BOTH
def test_custom_field_names(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    spaced = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="Sales Region",
                  fieldtype="Text")["response"]
    assert spaced["code"] == ("1001" if strict(contract) else "200")
    assert call(sandbox, auth, "custom/add", "POST", type="json", fieldname="cf_x",
                fieldtype="Text")["response"]["code"] == "1001"  # both


@BOTH
def test_bulk_answer(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    body = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=lists(sandbox, auth)["Event attendees"],
                emailids="b1@example.com,info@example.com")
    assert body["status"] == "success"
    if strict(contract):
        assert "added" not in body and "skipped" not in body
    else:
        assert body["added"] == ["b1@example.com"] and body["skipped"][0]["reason"] == "role_email"


@BOTH
def test_topics_paging_parameters(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    body = call(sandbox, auth, "topics", from_index="0", range="1")
    if strict(contract):
        assert body["code"] == "1002"
    else:
        assert body["code"] == "200" and len(body["topicDetails"]) == 1


@BOTH
def test_dead_token_code_follows_the_contract_unless_set(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    dead = {"Authorization": "Zoho-oauthtoken 1000.dead"}
    body = call(sandbox, dead, "getmailinglists")
    if strict(contract):
        assert body == {"status": "error", "code": "1007", "message": "Unauthorized key."}
    else:
        assert body == {"status": "error", "code": "401", "message": "Invalid OAuth token."}
    other = "401" if strict(contract) else "1007"
    sandbox_admin.configure(dead_token_code=other)
    assert call(sandbox, dead, "getmailinglists")["code"] == other
    sandbox_admin.configure(dead_token_code=None)
    assert call(sandbox, dead, "getmailinglists")["code"] == body["code"]


def test_revoked_token_answers_as_a_dead_one(sandbox, sandbox_admin):
    tokens = get_tokens(sandbox)
    auth = {"Authorization": f"Zoho-oauthtoken {tokens['access_token']}"}
    assert call(sandbox, auth, "getmailinglists")["status"] == "success"
    requests.post(f"{sandbox.url}/oauth/v2/token/revoke", params={"token": tokens["refresh_token"]}, timeout=10)
    assert call(sandbox, auth, "getmailinglists")["code"] == "1007"


@BOTH
def test_lock_answer(sandbox_factory, contract):
    srv = sandbox_factory(limits="on")
    SandboxAdmin(srv.url).configure(contract=contract)
    auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(srv)['access_token']}"}
    session = requests.Session()
    url = f"{srv.url}/api/v1.1/custom/add"
    form = {**auth, "Content-Type": "application/x-www-form-urlencoded"}
    for i in range(100):
        session.post(url, headers=form, data={"type": "json", "fieldname": f"F{i}", "fieldtype": "Text"}, timeout=10)
    locked = session.post(url, headers=form, data={"type": "json", "fieldname": "Late", "fieldtype": "Text"},
                          timeout=10)
    assert locked.status_code == 200
    if strict(contract):
        assert locked.json()["code"] == "2900" and "blocked for the next 30 minutes" in locked.json()["message"]
        assert "Retry-After" not in locked.headers
    else:
        assert locked.json()["code"] == "429" and "locked for 30 minutes" in locked.json()["message"]
        assert 1700 < int(locked.headers["Retry-After"]) <= 1800


@BOTH
def test_revoke_reads_the_query_string(sandbox, sandbox_admin, contract):
    sandbox_admin.configure(contract=contract)
    url = f"{sandbox.url}/oauth/v2/token/revoke"
    in_body = requests.post(url, data={"token": get_tokens(sandbox)["refresh_token"]}, timeout=10)
    if strict(contract):
        assert in_body.status_code == 400 and in_body.json()["error"] == "invalid_token"
    else:
        assert in_body.json() == {"status": "success"}
    in_query = requests.post(url, params={"token": get_tokens(sandbox)["refresh_token"]}, timeout=10)
    assert in_query.json() == {"status": "success"}


def _token(srv, scopes: str) -> dict:
    code = SandboxAdmin(srv.url).selfclient_code(scopes)
    return requests.post(f"{srv.url}/oauth/v2/token", data={
        "grant_type": "authorization_code", "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET, "code": code}, timeout=10).json()


@BOTH
def test_scopes_are_checked_by_every_endpoint(sandbox, sandbox_admin, contract):
    sandbox_admin.configure(contract=contract)
    dead = "1007" if strict(contract) else "401"
    tokens = _token(sandbox, "ZohoCampaigns.contact.READ,ZohoBooks.contacts.READ")
    assert "scope" not in json.dumps(tokens)  # the token answer never carries the granted scopes
    auth = {"Authorization": f"Zoho-oauthtoken {tokens['access_token']}"}
    key = lists(sandbox, auth)["Books customers"]  # READ: the reads work
    assert call(sandbox, auth, "topics", details="{from_index:0,range:5}")["code"] == "200"
    assert subscribe(sandbox, auth, key, {"Contact Email": "x@example.com"})["code"] == dead
    field = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="Tier", fieldtype="Text")
    assert field["code"] == dead  # as a bad token answers: not wrapped
    orgs = requests.get(f"{sandbox.url}/books/v3/organizations", headers=auth, timeout=10)
    assert orgs.status_code == 401 and orgs.json()["code"] == 57
    contacts = requests.get(f"{sandbox.url}/books/v3/contacts", headers=auth, timeout=10,
                            params={"organization_id": "60012345678", "per_page": 1})
    assert contacts.status_code == 200
    info = requests.get(f"{sandbox.url}/oauth/user/info", headers=auth, timeout=10)
    assert info.status_code == 401 and info.json() == {"error": "invalid_token"}
    # A refreshed token keeps the grant's scopes.
    fresh = requests.post(f"{sandbox.url}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
        "refresh_token": tokens["refresh_token"]}, timeout=10).json()
    fresh_auth = {"Authorization": f"Zoho-oauthtoken {fresh['access_token']}"}
    assert subscribe(sandbox, fresh_auth, key, {"Contact Email": "x@example.com"})["code"] == dead
    assert call(sandbox, fresh_auth, "getmailinglists")["status"] == "success"


@pytest.mark.parametrize("scopes, write_ok, field_ok", [
    ("ZohoCampaigns.contact.UPDATE", True, False),
    ("ZohoCampaigns.contact.CREATE", False, True),
    ("ZohoCampaigns.contact.CREATE-UPDATE", True, True),
    ("ZohoCampaigns.contact.WRITE", True, True),
    ("zohocampaigns.contact.all", True, True),
])
def test_campaigns_write_scopes(sandbox, scopes, write_ok, field_ok):
    auth = {"Authorization": f"Zoho-oauthtoken {_token(sandbox, scopes)['access_token']}"}
    assert call(sandbox, auth, "getmailinglists")["code"] == ("1007" if "all" not in scopes else 0)
    admin_auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(sandbox)['access_token']}"}
    key = lists(sandbox, admin_auth)["Books customers"]
    assert (subscribe(sandbox, auth, key, {"Contact Email": "w@example.com"})["code"] == "0") is write_ok
    field = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="Tier", fieldtype="Text")
    assert (field.get("response", {}).get("code") == "200") is field_ok


def test_selfclient_code_scopes_are_validated(sandbox_admin):
    with pytest.raises(SandboxAdminError, match="HTTP 400"):
        sandbox_admin.selfclient_code(" , ")
    resp = requests.post(f"{sandbox_admin.base_url}/_sandbox/selfclient/code",
                         headers=sandbox_admin.headers, json={"scopes": 5}, timeout=10)
    assert resp.status_code == 400


@pytest.mark.parametrize("on", [False, True])
def test_expires_in_ms_knob(sandbox, sandbox_admin, on):
    sandbox_admin.configure(expires_in_ms=on)
    tokens = get_tokens(sandbox)
    if on:
        assert tokens["expires_in"] == 3_600_000 and tokens["expires_in_sec"] == 3600
    else:
        assert tokens["expires_in"] == 3600 and "expires_in_sec" not in tokens


@pytest.mark.parametrize("settings", [
    {"contract": "loose"}, {"contract": None}, {"dead_token_code": "500"}, {"dead_token_code": True},
    {"consent_fields": "yes"}, {"expires_in_ms": 1}, {"books_plan": ""}, {"second_org": "no"},
])
def test_bad_knob_values_are_400(sandbox_admin, settings):
    with pytest.raises(SandboxAdminError, match="HTTP 400"):
        sandbox_admin.configure(**settings)


def test_knob_values_round_trip(sandbox, sandbox_admin, auth):
    cfg = sandbox_admin.configure(contract="lenient", consent_fields=True, dead_token_code=1007,
                                  expires_in_ms=True, books_plan="Ultra Enterprise 2027")
    assert (cfg["contract"], cfg["consent_fields"], cfg["dead_token_code"], cfg["expires_in_ms"]) == \
        ("lenient", True, "1007", True)
    org = requests.get(f"{sandbox.url}/books/v3/organizations", headers=auth, timeout=10).json()
    assert org["organizations"][0]["plan_name"] == "Ultra Enterprise 2027"
    assert sandbox_admin.configure(gdpr=False)["consent_fields"] is False  # the old knob's name


def test_contract_default_comes_from_the_environment(sandbox_factory, monkeypatch):
    monkeypatch.setenv("DESKTOP_APP_SANDBOX_CONTRACT", "lenient")
    srv = sandbox_factory()
    admin = SandboxAdmin(srv.url)
    assert admin.config()["contract"] == "lenient"
    assert admin.configure(contract="strict")["contract"] == "strict"  # the admin knob wins
    monkeypatch.setenv("DESKTOP_APP_SANDBOX_CONTRACT", "sloppy")
    with pytest.raises(ValueError, match="DESKTOP_APP_SANDBOX_CONTRACT"):
        sandbox_factory()


def test_server_contract_argument(sandbox_factory):
    srv = sandbox_factory(contract="lenient")
    assert SandboxAdmin(srv.url).config()["contract"] == "lenient"
