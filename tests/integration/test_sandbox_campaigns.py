"""Contract tests: the Sandbox's Campaigns v1.1 (lists, subscribers, subscribe, bulk, fields, topics),
on the default (strict) contract. The knob pairs (strict vs lenient) are in test_sandbox_contract.py.
"""

from __future__ import annotations

import json

import pytest
import requests

from desktop_app.connectors.sandbox_admin import SandboxAdmin
from tests.integration.connector_helpers import admin_headers

from .conftest import get_tokens

NO_RESFMT = {"topics", "contact/allfields", "custom/add"}  # documented without resfmt


def call(srv, auth, endpoint, method="GET", **params):
    if endpoint not in NO_RESFMT:
        params.setdefault("resfmt", "JSON")
    url = f"{srv.url}/api/v1.1/{endpoint}"
    if method == "POST":
        resp = requests.post(url, headers=auth, data=params, timeout=10)  # form-urlencoded body
    else:
        resp = requests.get(url, headers=auth, params=params, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def lists(srv, auth) -> dict[str, str]:
    body = call(srv, auth, "getmailinglists", sort="asc", fromindex=1, range=100)
    return {d["listname"]: d["listkey"] for d in body["list_of_details"]}


def subscribe(srv, auth, listkey, info, **extra):
    return call(srv, auth, "json/listsubscribe", "POST", listkey=listkey, contactinfo=json.dumps(info), **extra)


def field_names(srv, auth) -> list[str]:
    body = call(srv, auth, "contact/allfields", type="json")
    return [f["DISPLAY_NAME"] for f in body["response"]["fieldnames"]["fieldname"]]


def test_mailing_lists(sandbox, auth):
    body = call(sandbox, auth, "getmailinglists", sort="asc", fromindex=1, range=100)
    assert body["status"] == "success"
    details = {d["listname"]: d for d in body["list_of_details"]}
    assert set(details) == {"Books customers", "Newsletter", "Event attendees", "Newsletter (double opt-in)"}
    assert details["Books customers"]["noofcontacts"] == 0
    assert details["Newsletter"]["noofcontacts"] > 0 and details["Newsletter"]["noofunsubcnt"] > 0
    assert {"listkey", "noofbouncecnt", "lockstatus", "is_public", "created_date"} <= set(details["Newsletter"])


def test_mailing_lists_past_the_end_answer_2401(sandbox, auth):
    """Strict: a page after the last list is the documented 2401, not an empty success."""
    assert len(call(sandbox, auth, "getmailinglists", fromindex=4, range=2)["list_of_details"]) == 1
    body = call(sandbox, auth, "getmailinglists", fromindex=5, range=2)
    assert body["status"] == "error" and body["code"] == "2401"
    assert body["message"] == "No mailing list has been created"


def test_empty_list_answers_2502_bad_listkey_2501_missing_listkey_903(sandbox, auth):
    keys = lists(sandbox, auth)
    body = call(sandbox, auth, "getlistsubscribers", listkey=keys["Books customers"], fromindex=1, range=100)
    assert body == {"status": "error", "code": "2502", "message": "There are no contacts in this list.",
                    "uri": "/api/v1.1/getlistsubscribers", "version": "1.1"}
    assert call(sandbox, auth, "getlistsubscribers", listkey="nope")["code"] == "2501"
    assert call(sandbox, auth, "listsubscriberscount", listkey="nope")["code"] == "2501"
    assert call(sandbox, auth, "getlistsubscribers")["code"] == "903"
    assert call(sandbox, auth, "listsubscriberscount")["code"] == "903"


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
    for status in ("unsub", "bounce"):
        got = call(sandbox, auth, "getlistsubscribers", listkey=key, status=status, range=1000)["list_of_details"]
        assert got and {s["status"] for s in got} == {status}
    for status in ("recent", "mostrecent", "most recent"):
        assert call(sandbox, auth, "getlistsubscribers", listkey=key, status=status)["status"] == "success"
    assert call(sandbox, auth, "getlistsubscribers", listkey=key, status="weird")["code"] == "1005"


@pytest.mark.parametrize("status", ["spam", "dnm", "all"])
def test_undocumented_subscriber_statuses_are_refused(sandbox, auth, status):
    key = lists(sandbox, auth)["Newsletter"]
    assert call(sandbox, auth, "getlistsubscribers", listkey=key, status=status)["code"] == "1005"


def test_count_takes_the_documented_four_statuses(sandbox, auth):
    key = lists(sandbox, auth)["Newsletter"]
    for status in ("active", "unsub", "bounce", "spam"):
        assert call(sandbox, auth, "listsubscriberscount", listkey=key, status=status)["no_of_contacts"] > 0
    for status in ("dnm", "all", "recent"):
        assert call(sandbox, auth, "listsubscriberscount", listkey=key, status=status)["code"] == "1005"


def test_subscribe_adds_then_updates_and_clears(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Books customers"]
    topics = call(sandbox, auth, "topics", details="{from_index:0,range:10}")["topicDetails"]
    info = {"Contact Email": "Jane.Doe@Example.com", "First Name": "Jane", "Last Name": "Doe",
            "Company Name": "Acme"}
    body = subscribe(sandbox, auth, key, info, source="DesktopSync", topic_id=topics[0]["topicId"])
    assert body == {"status": "success", "code": "0", "message": "User successfully subscribed.",
                    "uri": "/api/v1.1/json/listsubscribe", "version": "1.1"}  # no contact_status
    body = subscribe(sandbox, auth, key, {"Contact Email": "jane.doe@example.com", "Company Name": ""})
    assert body["message"] == "User successfully subscribed." and "contact_status" not in body
    (contact,) = sandbox_admin.list_contacts(key)
    assert contact["fields"] == {"First Name": "Jane", "Last Name": "Doe"}
    assert contact["subscription_type"] == "Marketing"
    assert contact["topics"] == [topics[0]["topicId"]] and contact["source"] == "DesktopSync"
    assert call(sandbox, auth, "listsubscriberscount", listkey=key)["no_of_contacts"] == 1


@pytest.mark.parametrize("info, code", [
    ({"Contact Email": "johngmail.com"}, "2004"),
    ({"Contact Email": "jane@aol"}, "2004"),
    ({"Contact Email": "info@example.com"}, "2005"),
    ({"Contact Email": "Support@Example.com"}, "2005"),
    ({"First Name": "No email"}, "903"),
    ({"Contact Email": "a@example.com", "Shoe Size": "44"}, "910"),
    # Without the consent_fields knob the account has no such fields: unknown keys.
    ({"Contact Email": "a@example.com", "Subscription Type": "Marketing"}, "910"),
    ({"Contact Email": "a@example.com", "Lawful Basis": "Consent"}, "910"),
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
    words = {"unsub": "unsubscribed", "bounce": "bounced", "spam": "marked as spam", "dnm": "do-not-mail"}
    for state, word in words.items():
        email = next(m["email"] for m in members if m["status"] == state)
        body = subscribe(sandbox, auth, keys["Books customers"], {"Contact Email": email.upper()})
        assert body["code"] == "2104" and word in body["message"], state
        assert "contact_status" not in body, "strict: the state is named in the message only"
        others = [w for s, w in (("unsub", "unsub"), ("bounce", "bounce"), ("spam", "spam")) if s != state]
        assert not any(w in body["message"] for w in others), body["message"]
    assert sandbox_admin.list_contacts(keys["Books customers"]) == []
    # A state set through the admin API is account-level too.
    sandbox_admin.set_contact_status("late.unsub@example.com", "unsub")
    assert subscribe(sandbox, auth, keys["Event attendees"],
                     {"Contact Email": "late.unsub@example.com"})["code"] == "2104"


def test_plan_contact_limit(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Books customers"]
    sandbox_admin.config(plan_contact_limit=0)
    assert subscribe(sandbox, auth, key, {"Contact Email": "new.one@example.com"})["code"] == "914"
    bulk = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids="x1@example.com")
    assert bulk["code"] == "2302"


def test_plan_limit_spares_non_marketing_contacts_given_as_a_consent_field(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Books customers"]
    sandbox_admin.config(plan_contact_limit=0, consent_fields=True)
    body = subscribe(sandbox, auth, key, {"Contact Email": "new.one@example.com",
                                          "Subscription Type": "Non-marketing"})
    assert body["code"] == "0"


def test_bulk_add(sandbox, sandbox_admin, auth):
    key = lists(sandbox, auth)["Event attendees"]
    emails = ",".join(f"bulk{i}@example.com" for i in range(9)) + ",info@example.com"
    body = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids=emails)
    assert body["status"] == "success" and body["code"] == "0"
    assert body["listkey"] == key and body["listname"] == "Event attendees"
    assert "added" not in body and "skipped" not in body  # strict: the documented answer only
    held = {c["email"] for c in sandbox_admin.list_contacts(key)}
    assert {f"bulk{i}@example.com" for i in range(9)} <= held and "info@example.com" not in held
    eleven = ",".join(f"b{i}@example.com" for i in range(11))
    assert call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids=eleven)["code"] == "1002"
    assert call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key)["code"] == "903"
    extra = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids="z@example.com",
                 source="DesktopSync")
    assert extra["code"] == "1002"  # source/topic_id are not documented for bulk


def test_fields_and_custom_add(sandbox, auth):
    body = call(sandbox, auth, "contact/allfields", type="json")
    items = body["response"]["fieldnames"]["fieldname"]
    assert all(set(f) == {"DISPLAY_NAME", "FIELD_NAME", "FIELD_ID"} for f in items)
    names = [f["DISPLAY_NAME"] for f in items]
    assert {"Contact Email", "First Name", "Last Name", "Company Name", "Phone", "Mobile", "Job Title"} <= set(names)
    assert "Lawful Basis" not in names and "Subscription Type" not in names
    ok = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="BooksRegion", fieldtype="Text",
              fieldlength="50")
    assert ok["response"]["code"] == "200" and ok["response"]["fieldname"] == "BooksRegion"
    dup = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="booksregion", fieldtype="Text")
    assert dup["response"]["code"] == "916"
    for bad in ("cf_region", "Books Region", "Région", "a-b", "x" * 51):
        refused = call(sandbox, auth, "custom/add", "POST", type="json", fieldname=bad, fieldtype="Text")
        assert refused["response"]["code"] == "1001", bad
        assert "Pattern doesn't match" in refused["response"]["message"]
    bad_type = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="X", fieldtype="Blob")
    assert bad_type["response"]["code"] == "1005"
    assert "BooksRegion" in field_names(sandbox, auth)
    key = lists(sandbox, auth)["Books customers"]
    assert subscribe(sandbox, auth, key, {"Contact Email": "r@example.com", "BooksRegion": "North"})["code"] == "0"


def test_fields_and_custom_add_need_type(sandbox, auth):
    assert call(sandbox, auth, "contact/allfields")["response"]["code"] == "903"
    assert call(sandbox, auth, "contact/allfields", type="xml")["response"]["code"] == "1005"
    assert call(sandbox, auth, "contact/allfields", type="json", resfmt="JSON")["response"]["code"] == "1002"
    missing = call(sandbox, auth, "custom/add", "POST", fieldname="X", fieldtype="Text")
    assert missing["response"]["code"] == "903"


def test_topics_take_details_only(sandbox, auth):
    body = call(sandbox, auth, "topics", details='{"from_index": 0, "range": 50}')
    assert body["code"] == "200" and body["message"] == "Success" and len(body["topicDetails"]) >= 3
    assert {"topicId", "topicName", "primaryList"} <= set(body["topicDetails"][0])
    assert len(call(sandbox, auth, "topics", details="{from_index:1,range:1}")["topicDetails"]) == 1
    assert call(sandbox, auth, "topics", details="{from_index:0,range:5}", resfmt="JSON")["code"] == "1002"
    assert call(sandbox, auth, "topics", from_index="0")["code"] == "1002"


def test_dead_token_answers_code_1007_in_http_200(sandbox, sandbox_admin, auth):
    body = call(sandbox, {"Authorization": "Zoho-oauthtoken nope"}, "getmailinglists")
    assert body == {"status": "error", "code": "1007", "message": "Unauthorized key."}
    assert call(sandbox, {}, "getmailinglists")["code"] == "1007"
    sandbox_admin.expire_tokens()
    assert call(sandbox, auth, "getmailinglists")["code"] == "1007"


def test_unknown_endpoint(sandbox, auth):
    assert call(sandbox, auth, "nosuchthing")["code"] == "1004"


def test_a_post_without_the_form_content_type_is_refused(sandbox, auth):
    key = lists(sandbox, auth)["Books customers"]
    url = f"{sandbox.url}/api/v1.1/json/listsubscribe"
    params = {"resfmt": "JSON", "listkey": key, "contactinfo": json.dumps({"Contact Email": "q@example.com"})}
    bare = requests.post(url, headers=auth, params=params, timeout=10).json()
    assert bare["code"] == "903" and bare["message"] == "Mandatory header Content-Type is missing."
    as_json = requests.post(url, headers=auth, json=params, timeout=10).json()
    assert as_json["code"] == "903"
    # Zoho's samples: parameters in the query string, plus the documented header.
    form = {**auth, "Content-Type": "application/x-www-form-urlencoded"}
    ok = requests.post(url, headers=form, params=params, timeout=10).json()
    assert ok["code"] == "0"


def test_lockout_blocks_one_family_for_the_lock_period(sandbox_factory):
    srv = sandbox_factory(limits="on")
    auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(srv)['access_token']}"}
    session = requests.Session()
    url = f"{srv.url}/api/v1.1/contact/allfields"
    codes = [session.get(url, headers=auth, params={"type": "json"}, timeout=10).json()["response"]["code"]
             for _ in range(100)]
    assert set(codes) == {"0"}
    locked = session.get(url, headers=auth, params={"type": "json"}, timeout=10)
    assert locked.status_code == 200 and "Retry-After" not in locked.headers
    assert locked.json() == {"status": "error", "code": "2900",
                             "message": "You have exceeded the maximum number of API calls allowed. "
                                        "This API is blocked for the next 30 minutes."}
    # Still locked for the next call, and other families keep working.
    assert session.get(url, headers=auth, params={"type": "json"}, timeout=10).json()["code"] == "2900"
    assert call(srv, auth, "getmailinglists")["status"] == "success"
    stats = SandboxAdmin(srv.url).stats()
    assert stats["lockouts_by_family"] == {"campaigns.fields": 1}


def test_consent_fields_knob(sandbox, sandbox_admin, auth):
    """Off (default): no consent fields. On: two ordinary fields, stored by display name."""
    assert not {"Subscription Type", "Lawful Basis"} & set(field_names(sandbox, auth))
    sandbox_admin.config(consent_fields=True)
    body = call(sandbox, auth, "contact/allfields", type="json")
    items = {f["DISPLAY_NAME"]: f for f in body["response"]["fieldnames"]["fieldname"]}
    assert items["Subscription Type"]["FIELD_NAME"] == "subscription_type"
    assert items["Lawful Basis"]["FIELD_NAME"] == "lawful_basis"
    assert set(items["Lawful Basis"]) == {"DISPLAY_NAME", "FIELD_NAME", "FIELD_ID"}
    key = lists(sandbox, auth)["Books customers"]
    body = subscribe(sandbox, auth, key, {"Contact Email": "c@example.com", "subscription type": "Non-marketing",
                                          "Lawful Basis": "Legitimate interests"})
    assert body["code"] == "0"
    (contact,) = sandbox_admin.list_contacts(key)
    assert (contact["subscription_type"], contact["lawful_basis"]) == ("Non-marketing", "Legitimate interests")
    for info in ({"Subscription Type": "Sometimes"}, {"Lawful Basis": "Because"}):
        assert subscribe(sandbox, auth, key, {"Contact Email": "c@example.com", **info})["code"] == "2001"
    dup = call(sandbox, auth, "custom/add", "POST", type="json", fieldname="LawfulBasis", fieldtype="Text")
    assert dup["response"]["code"] == "200"  # another name; "Lawful Basis" itself has a space
    sandbox_admin.config(consent_fields=False)
    assert "Lawful Basis" not in field_names(sandbox, auth)


CONFIRMATION = "A confirmation email is sent to the user. User needs to confirm to successfully subscribe."


@pytest.mark.parametrize("contract", ["strict", "lenient"])
def test_a_signup_form_list_sends_a_confirmation_and_waits(sandbox, sandbox_admin, auth, contract):
    sandbox_admin.configure(contract=contract)
    key = lists(sandbox, auth)["Newsletter (double opt-in)"]
    assert next(s for s in sandbox_admin.stats()["lists"] if s["listkey"] == key)["signup_form"] is True
    info = {"Contact Email": "Pending.One@example.com", "First Name": "Pen"}
    body = subscribe(sandbox, auth, key, info)
    assert body["status"] == "success" and body["code"] == "0" and body["message"] == CONFIRMATION
    assert "contact_status" not in body
    assert sandbox_admin.list_contacts(key) == []  # not a member until the click
    assert call(sandbox, auth, "getlistsubscribers", listkey=key)["code"] == "2502"
    assert subscribe(sandbox, auth, key, {"Contact Email": "pending.one@example.com", "Last Name": "Ding"}
                     )["message"] == CONFIRMATION  # a second confirmation email
    subscribe(sandbox, auth, key, {"Contact Email": "pending.two@example.com"})
    (one, two) = sandbox_admin.pending(key)
    assert one["email"] == "pending.one@example.com" and one["emails_sent"] == 2
    assert one["fields"] == {"First Name": "Pen", "Last Name": "Ding"} and two["emails_sent"] == 1
    stats = sandbox_admin.stats()
    assert stats["pending_confirmations"] == 2 and stats["confirmation_emails_sent"] == 3
    assert next(s for s in stats["lists"] if s["listkey"] == key)["pending_confirmations"] == 2

    assert sandbox_admin.confirm(key, "PENDING.ONE@example.com") == ["pending.one@example.com"]
    (member,) = sandbox_admin.list_contacts(key)
    assert member["email"] == "pending.one@example.com" and member["status"] == "active"
    assert member["fields"] == {"First Name": "Pen", "Last Name": "Ding"}
    # A member is updated directly, with no other confirmation.
    again = subscribe(sandbox, auth, key, {"Contact Email": "pending.one@example.com", "First Name": "P"})
    assert again["message"] == "User successfully subscribed."
    assert sandbox_admin.confirm(key, all=True) == ["pending.two@example.com"]
    assert sandbox_admin.pending(key) == [] and len(sandbox_admin.list_contacts(key)) == 2
    stats = sandbox_admin.stats()
    assert stats["pending_confirmations"] == 0 and stats["confirmations_clicked"] == 2


def test_confirm_refusals_and_the_signup_form_switch(sandbox, sandbox_admin, auth):
    from desktop_app.connectors.sandbox_admin import SandboxAdminError

    key = lists(sandbox, auth)["Books customers"]
    with pytest.raises(SandboxAdminError, match="404"):
        sandbox_admin.confirm(key, "nobody@example.com")
    with pytest.raises(SandboxAdminError, match="404"):
        sandbox_admin.confirm("nope", all=True)
    resp = requests.post(f"{sandbox.url}/_sandbox/lists/{key}/confirm",
                         headers=admin_headers(sandbox), json={}, timeout=10)
    assert resp.status_code == 400
    sandbox_admin.set_signup_form(key, True)
    assert subscribe(sandbox, auth, key, {"Contact Email": "f@example.com"})["message"] == CONFIRMATION
    bulk = call(sandbox, auth, "addlistsubscribersinbulk", "POST", listkey=key, emailids="g@example.com")
    assert bulk["message"] == CONFIRMATION
    assert [p["email"] for p in sandbox_admin.pending(key)] == ["f@example.com", "g@example.com"]
    # A contact that unsubscribed meanwhile does not join on the click.
    sandbox_admin.set_contact_status("f@example.com", "unsub")
    assert sandbox_admin.confirm(key, all=True) == ["g@example.com"]
    sandbox_admin.set_signup_form(key, False)
    assert subscribe(sandbox, auth, key, {"Contact Email": "h@example.com"})["message"] == \
        "User successfully subscribed."
