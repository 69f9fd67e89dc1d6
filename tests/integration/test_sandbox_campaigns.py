"""Contract tests: the Sandbox's Campaigns v1.1 (lists, subscribers, subscribe, bulk, fields, topics)."""

from __future__ import annotations

import json

import pytest
import requests

from desktop_app.connectors.sandbox_admin import SandboxAdmin

from .conftest import get_tokens


def call(srv, auth, endpoint, method="GET", **params):
    params.setdefault("resfmt", "JSON")
    url = f"{srv.url}/api/v1.1/{endpoint}"
    if method == "POST":
        resp = requests.post(url, headers=auth, data=params, timeout=10)
    else:
        resp = requests.get(url, headers=auth, params=params, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def lists(srv, auth) -> dict[str, str]:
    body = call(srv, auth, "getmailinglists", sort="asc", fromindex=1, range=100)
    return {d["listname"]: d["listkey"] for d in body["list_of_details"]}


def subscribe(srv, auth, listkey, info, **extra):
    return call(srv, auth, "json/listsubscribe", "POST", listkey=listkey, contactinfo=json.dumps(info), **extra)


def test_mailing_lists(sandbox, auth):
    body = call(sandbox, auth, "getmailinglists", sort="asc", fromindex=1, range=100)
    assert body["status"] == "success"
    details = {d["listname"]: d for d in body["list_of_details"]}
    assert {"Books customers", "Newsletter", "Event attendees"} <= set(details)
    assert details["Books customers"]["noofcontacts"] == 0
    assert details["Newsletter"]["noofcontacts"] > 0 and details["Newsletter"]["noofunsubcnt"] > 0
    assert {"listkey", "noofbouncecnt", "lockstatus", "is_public", "created_date"} <= set(details["Newsletter"])


def test_empty_list_answers_2502_and_bad_listkey_2501(sandbox, auth):
    keys = lists(sandbox, auth)
    body = call(sandbox, auth, "getlistsubscribers", listkey=keys["Books customers"], fromindex=1, range=100)
    assert body == {"status": "error", "code": "2502", "message": "There are no contacts in this list.",
                    "uri": "/api/v1.1/getlistsubscribers", "version": "1.1"}
    assert call(sandbox, auth, "getlistsubscribers", listkey="nope")["code"] == "2501"
    assert call(sandbox, auth, "getlistsubscribers")["code"] == "2501"
    assert call(sandbox, auth, "listsubscriberscount", listkey="nope")["code"] == "2501"


def test_subscribers_paging_and_status_filter(sandbox, auth):
    key = lists(sandbox, auth)["Newsletter"]
    seen, start = [], 1
    while True:
        body = call(sandbox, auth, "getlistsubscribers", listkey=key, fromindex=start, range=50, status="active")
        if body.get("code") == "2502":
            break
        seen += body["list_of_details"]
        start += 50
    count = call(sandbox, auth, "listsubscriberscount", listkey=key, status="active")["no_of_contacts"]
    assert len(seen) == count == len({s["contact_email"] for s in seen}) > 50
    assert {"contact_email", "firstname", "lastname", "companyname", "phone", "added_time", "zuid"} <= set(seen[0])
    unsub = call(sandbox, auth, "getlistsubscribers", listkey=key, status="unsub", range=1000)["list_of_details"]
    assert unsub and {s["status"] for s in unsub} == {"unsub"}
    assert call(sandbox, auth, "getlistsubscribers", listkey=key, status="weird")["code"] == "1005"


def test_subscribe_adds_then_updates_and_clears(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Books customers"]
    topics = call(sandbox, auth, "topics", details="{from_index:0,range:10}")["topicDetails"]
    info = {"Contact Email": "Jane.Doe@Example.com", "First Name": "Jane", "Last Name": "Doe",
            "Company Name": "Acme", "Subscription Type": "Marketing", "Lawful Basis": "Consent"}
    body = subscribe(sandbox, auth, key, info, source="DesktopSync", topic_id=topics[0]["topicId"])
    assert body["status"] == "success" and body["code"] == "0" and body["contact_status"] == "added"
    body = subscribe(sandbox, auth, key, {"Contact Email": "jane.doe@example.com", "Company Name": ""})
    assert body["contact_status"] == "updated"
    (contact,) = sandbox_admin.list_contacts(key)
    assert contact["fields"] == {"First Name": "Jane", "Last Name": "Doe"}
    assert contact["subscription_type"] == "Marketing" and contact["lawful_basis"] == "Consent"
    assert contact["topics"] == [topics[0]["topicId"]] and contact["source"] == "DesktopSync"
    assert call(sandbox, auth, "listsubscriberscount", listkey=key)["no_of_contacts"] == 1


@pytest.mark.parametrize("info, code", [
    ({"Contact Email": "johngmail.com"}, "2004"),
    ({"Contact Email": "jane@aol"}, "2004"),
    ({"Contact Email": "info@example.com"}, "2005"),
    ({"Contact Email": "Support@Example.com"}, "2005"),
    ({"First Name": "No email"}, "903"),
    ({"Contact Email": "a@example.com", "Shoe Size": "44"}, "910"),
    ({"Contact Email": "a@example.com", "Subscription Type": "Sometimes"}, "2001"),
    ({"Contact Email": "a@example.com", "Lawful Basis": "Because"}, "2001"),
])
def test_subscribe_refusals(sandbox, auth, info, code):
    key = lists(sandbox, auth)["Books customers"]
    body = subscribe(sandbox, auth, key, info)
    assert body["status"] == "error" and body["code"] == code


def test_subscribe_bad_input(sandbox, auth):
    key = lists(sandbox, auth)["Books customers"]
    bad_json = call(sandbox, auth, "json/listsubscribe", "POST", listkey=key, contactinfo="{not json")
    assert bad_json["code"] == "2001"
    assert call(sandbox, auth, "json/listsubscribe", "POST", listkey=key)["code"] == "903"
    assert subscribe(sandbox, auth, "nope", {"Contact Email": "a@example.com"})["code"] == "2501"
    assert subscribe(sandbox, auth, key, {"Contact Email": "a@example.com"}, colour="red")["code"] == "1002"
    assert subscribe(sandbox, auth, key, {"Contact Email": "a@example.com"}, topic_id="42")["code"] == "1005"


def test_never_resubscribes_account_level_states(sandbox, sandbox_admin, auth):
    keys = lists(sandbox, auth)
    members = sandbox_admin.list_contacts(keys["Newsletter"])
    for state in ("unsub", "bounce", "spam", "dnm"):
        email = next(m["email"] for m in members if m["status"] == state)
        body = subscribe(sandbox, auth, keys["Books customers"], {"Contact Email": email.upper()})
        assert body["code"] == "2104" and body["contact_status"] == state, state
    assert sandbox_admin.list_contacts(keys["Books customers"]) == []
    # A state set through the admin API is account-level too.
    sandbox_admin.set_contact_status("late.unsub@example.com", "unsub")
    assert subscribe(sandbox, auth, keys["Event attendees"],
                     {"Contact Email": "late.unsub@example.com"})["code"] == "2104"


def test_lawful_basis_needs_gdpr(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Books customers"]
    sandbox_admin.config(gdpr=False)
    body = subscribe(sandbox, auth, key, {"Contact Email": "a@example.com", "Lawful Basis": "Consent"})
    assert body["code"] == "2001"


def test_plan_contact_limit(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Books customers"]
    sandbox_admin.config(plan_contact_limit=0)
    assert subscribe(sandbox, auth, key, {"Contact Email": "new.one@example.com"})["code"] == "914"
    # Non-marketing contacts do not count toward the plan.
    body = subscribe(sandbox, auth, key, {"Contact Email": "new.one@example.com",
                                          "Subscription Type": "Non-marketing"})
    assert body["code"] == "0"
    bulk = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids="x1@example.com")
    assert bulk["code"] == "2302"


def test_bulk_add(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Event attendees"]
    emails = ",".join(f"bulk{i}@example.com" for i in range(9)) + ",info@example.com"
    body = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids=emails)
    assert body["status"] == "success" and len(body["added"]) == 9
    assert body["skipped"] == [{"email": "info@example.com", "reason": "role_email"}]
    eleven = ",".join(f"b{i}@example.com" for i in range(11))
    assert call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids=eleven)["code"] == "1002"
    assert call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key)["code"] == "903"


def test_fields_and_custom_add(sandbox, auth):
    body = call(sandbox, auth, "contact/allfields", type="json")
    names = [f["DISPLAY_NAME"] for f in body["response"]["fieldnames"]["fieldname"]]
    assert {"Contact Email", "First Name", "Last Name", "Company Name", "Phone", "Mobile", "Job Title"} <= set(names)
    ok = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="Books Region", fieldtype="Text",
              fieldlength="50")
    assert ok["response"]["code"] == "200" and ok["response"]["fieldname"] == "Books Region"
    dup = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="books region", fieldtype="Text")
    assert dup["response"]["code"] == "916"
    bad_name = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="cf_region!", fieldtype="Text")
    assert bad_name["response"]["code"] == "1001"
    bad_type = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="X", fieldtype="Blob")
    assert bad_type["response"]["code"] == "1005"
    names = [f["DISPLAY_NAME"] for f in call(sandbox, auth, "contact/allfields", type="json")
             ["response"]["fieldnames"]["fieldname"]]
    assert "Books Region" in names
    key = lists(sandbox, auth)["Books customers"]
    assert subscribe(sandbox, auth, key, {"Contact Email": "r@example.com", "Books Region": "North"})["code"] == "0"


def test_topics(sandbox, auth):
    body = call(sandbox, auth, "topics", details="{from_index:0,range:50}")
    assert body["code"] == "200" and len(body["topicDetails"]) >= 3
    assert {"topicId", "topicName", "primaryList"} <= set(body["topicDetails"][0])
    assert len(call(sandbox, auth, "topics", details="{from_index:1,range:1}")["topicDetails"]) == 1


def test_token_problems_answer_code_401_in_http_200(sandbox, sandbox_admin, auth):
    body = call(sandbox, {"Authorization": "Zoho-oauthtoken nope"}, "getmailinglists")
    assert body == {"status": "error", "code": "401", "message": "Invalid OAuth token."}
    sandbox_admin.expire_tokens()
    assert call(sandbox, auth, "getmailinglists")["code"] == "401"


def test_unknown_endpoint(sandbox, auth):
    assert call(sandbox, auth, "nosuchthing")["code"] == "1004"


def test_lockout_blocks_one_family_for_the_lock_period(sandbox_factory):
    srv = sandbox_factory(limits="on")
    auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(srv)['access_token']}"}
    session = requests.Session()
    url = f"{srv.url}/api/v1.1/contact/allfields"
    codes = [session.get(url, headers=auth, params={"type": "json"}, timeout=10).json()["response"]["code"]
             for _ in range(100)]
    assert set(codes) == {"0"}
    locked = session.get(url, headers=auth, params={"type": "json"}, timeout=10)
    assert locked.json()["code"] == "429" and "30 minutes" in locked.json()["message"]
    assert 1700 < int(locked.headers["Retry-After"]) <= 1800
    # Still locked for the next call, and other families keep working.
    assert session.get(url, headers=auth, params={"type": "json"}, timeout=10).json()["code"] == "429"
    assert call(srv, auth, "getmailinglists")["status"] == "success"
    stats = SandboxAdmin(srv.url).stats()
    assert stats["lockouts_by_family"] == {"campaigns.fields": 1}


def test_gdpr_flag_shows_as_a_lawful_basis_field(sandbox, sandbox_admin, auth):
    def names():
        body = call(sandbox, auth, "contact/allfields", type="json")
        return [f["DISPLAY_NAME"] for f in body["response"]["fieldnames"]["fieldname"]]

    assert "Lawful Basis" in names()
    dup = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="Lawful Basis", fieldtype="Text")
    assert dup["response"]["code"] == "916"
    sandbox_admin.config(gdpr=False)
    assert "Lawful Basis" not in names()
