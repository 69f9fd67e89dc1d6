"""Contract tests: the Sandbox's Books v3 (organizations, contacts list/detail, errors, limits)."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from desktop_app.connectors.sandbox_admin import SandboxAdmin

from .conftest import get_tokens

ORG = "60012345678"
STAMP = "%Y-%m-%dT%H:%M:%S%z"


def get(srv, auth, path, **params):
    return requests.get(f"{srv.url}/books/v3{path}", headers=auth, params=params, timeout=10)


def all_pages(srv, auth, **params) -> list[dict]:
    items, page = [], 1
    while True:
        body = get(srv, auth, "/contacts", organization_id=ORG, page=page, per_page=200, **params).json()
        assert body["code"] == 0 and body["page_context"]["page"] == page
        items += body["contacts"]
        if not body["page_context"]["has_more_page"]:
            return items
        page += 1


def test_organizations(sandbox, auth):
    body = get(sandbox, auth, "/organizations").json()
    assert body["code"] == 0 and body["message"] == "success"
    (org,) = body["organizations"]
    assert org["organization_id"] == ORG and org["time_zone"] == "Asia/Kolkata"
    assert org["email"] == "owner@zylker-demo.com" and org["is_default_org"] is True


def test_paging_to_the_end_returns_every_customer_once(sandbox, auth):
    items = all_pages(sandbox, auth, contact_type="customer", filter_by="Status.All")
    ids = [c["contact_id"] for c in items]
    assert len(ids) == 1500 == len(set(ids))
    first = items[0]
    for key in ("contact_id", "contact_name", "company_name", "status", "first_name", "last_name", "email",
                "phone", "mobile", "created_time", "last_modified_time"):
        assert key in first
    # Empty custom fields are absent, present ones carry a value.
    assert any("cf_region" not in c for c in items) and any(c.get("cf_region") for c in items)
    assert all(c[k] for c in items for k in c if k.startswith("cf_"))


def test_sort_by_last_modified_time_descending_with_contact_id_ties(sandbox, sandbox_admin, auth):
    # Two customers edited in the same second tie on last_modified_time.
    a = sandbox_admin.add_customer(contact_name="Tie A", email="tie.a@example.com")
    b = sandbox_admin.edit_customer(a["contact_id"], phone="1")
    items = all_pages(sandbox, auth, sort_column="last_modified_time", sort_order="D")
    keys = [(datetime.strptime(c["last_modified_time"], STAMP), c["contact_id"]) for c in items]
    assert keys == sorted(keys, reverse=True)
    assert items[0]["contact_id"] == b["contact_id"]
    asc = all_pages(sandbox, auth, sort_column="last_modified_time", sort_order="A")
    assert [c["contact_id"] for c in asc] == [c["contact_id"] for c in reversed(items)]


def test_timestamps_carry_the_organization_offset(sandbox, auth):
    c = get(sandbox, auth, "/contacts", organization_id=ORG, per_page=5).json()["contacts"][0]
    assert c["created_time"].endswith("+0530") and c["last_modified_time"].endswith("+0530")
    datetime.strptime(c["last_modified_time"], STAMP)


def test_filter_by_status(sandbox, auth):
    active = all_pages(sandbox, auth, filter_by="Status.Active")
    inactive = all_pages(sandbox, auth, filter_by="Status.Inactive")
    assert {c["status"] for c in active} == {"active"} and {c["status"] for c in inactive} == {"inactive"}
    assert len(active) + len(inactive) == 1500 and inactive


def test_page_context_and_has_more_page(sandbox, auth):
    body = get(sandbox, auth, "/contacts", organization_id=ORG, page=8, per_page=200,
               sort_column="contact_name", sort_order="A").json()
    ctx = body["page_context"]
    assert len(body["contacts"]) == 100 and ctx["has_more_page"] is False
    assert ctx["sort_column"] == "contact_name" and ctx["sort_order"] == "A"
    assert ctx["applied_filter"] == "Status.All" and ctx["per_page"] == 200
    beyond = get(sandbox, auth, "/contacts", organization_id=ORG, page=9).json()
    assert beyond["contacts"] == [] and beyond["page_context"]["has_more_page"] is False


def test_contact_detail_has_persons_custom_fields_and_address(sandbox, auth):
    items = all_pages(sandbox, auth)
    many = next(c for c in items if c.get("cf_region") and c["email"])
    body = get(sandbox, auth, f"/contacts/{many['contact_id']}", organization_id=ORG).json()
    contact = body["contact"]
    assert body["code"] == 0 and contact["contact_id"] == many["contact_id"]
    primary = [p for p in contact["contact_persons"] if p["is_primary_contact"]]
    assert len(primary) == 1 and primary[0]["email"] == many["email"]
    assert {"index", "label", "api_name", "value", "data_type"} <= set(contact["custom_fields"][0])
    assert {f["api_name"] for f in contact["custom_fields"]} >= {"cf_region"}
    assert {"address", "city", "country", "zip"} <= set(contact["billing_address"])


def test_some_customers_have_several_contact_persons(sandbox, auth):
    counts = set()
    for c in all_pages(sandbox, auth)[:60]:
        counts.add(len(get(sandbox, auth, f"/contacts/{c['contact_id']}", organization_id=ORG)
                       .json()["contact"]["contact_persons"]))
    assert counts >= {1, 2}


@pytest.mark.parametrize("params, status, code, text", [
    ({}, 400, 2, "organization_id"),
    ({"organization_id": "999"}, 400, 2, "organization_id"),
    ({"organization_id": ORG, "per_page": "201"}, 400, 2, "per_page"),
    ({"organization_id": ORG, "per_page": "abc"}, 400, 2, "per_page"),
    ({"organization_id": ORG, "page": "0"}, 400, 2, "page"),
    ({"organization_id": ORG, "sort_column": "outstanding"}, 400, 2, "sort_column"),
    ({"organization_id": ORG, "sort_order": "X"}, 400, 2, "sort_order"),
    ({"organization_id": ORG, "filter_by": "Status.Nope"}, 400, 2, "filter_by"),
])
def test_bad_parameters(sandbox, auth, params, status, code, text):
    resp = get(sandbox, auth, "/contacts", **params)
    assert resp.status_code == status and resp.json()["code"] == code and text in resp.json()["message"]


def test_unknown_parameters_are_ignored_and_unknown_contact_is_404(sandbox, auth):
    assert get(sandbox, auth, "/contacts", organization_id=ORG, whatever="1").status_code == 200
    resp = get(sandbox, auth, "/contacts/123", organization_id=ORG)
    assert resp.status_code == 404 and resp.json() == {"code": 1003, "message": "Contact does not exist."}
    assert get(sandbox, auth, "/nothing", organization_id=ORG).status_code == 404


def test_bad_or_missing_token_is_401_code_57(sandbox):
    for headers in ({}, {"Authorization": "Zoho-oauthtoken 1000.bad.token"}, {"Authorization": "Bearer x"}):
        resp = get(sandbox, headers, "/organizations")
        assert resp.status_code == 401 and resp.json()["code"] == 57


def test_per_minute_limit_answers_429_with_retry_after(sandbox_factory):
    srv = sandbox_factory(limits="on")
    auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(srv)['access_token']}"}
    session = requests.Session()
    answers = [session.get(f"{srv.url}/books/v3/contacts", headers=auth, timeout=10,
                           params={"organization_id": ORG, "per_page": 1}) for _ in range(101)]
    assert all(a.status_code == 200 for a in answers[:100])
    last = answers[100]
    assert last.status_code == 429 and last.json()["code"] == 45 and 0 < int(last.headers["Retry-After"]) <= 60
    assert SandboxAdmin(srv.url).stats()["lockouts_by_family"] == {"books": 1}


def test_daily_cap_by_plan(sandbox_factory):
    srv = sandbox_factory(limits="scale=1000")  # minute window 0.06 s: only the daily cap can bite
    SandboxAdmin(srv.url).config(books_plan="free")
    auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(srv)['access_token']}"}
    session = requests.Session()
    codes = []
    for _ in range(1001):
        resp = session.get(f"{srv.url}/books/v3/organizations", headers=auth, timeout=10)
        codes.append(resp.status_code)
        if resp.status_code == 429 and resp.json()["code"] == 1070:
            assert "Retry-After" not in resp.headers
            break
    assert codes[-1] == 429


def test_more_than_five_concurrent_calls_per_organization_are_refused(sandbox_factory):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    srv = sandbox_factory(limits="on", latency_ms=2000)  # all 7 overlap even on a loaded machine
    auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(srv)['access_token']}"}
    barrier = Barrier(7)

    def one(_):
        barrier.wait()
        return get(srv, auth, "/contacts", organization_id=ORG, per_page=1).status_code

    with ThreadPoolExecutor(7) as pool:
        codes = sorted(pool.map(one, range(7)))
    assert codes.count(200) == 5 and codes.count(429) == 2
    SandboxAdmin(srv.url).config(limits="off")
    with ThreadPoolExecutor(7) as pool:
        barrier.reset()
        assert set(pool.map(one, range(7))) == {200}
