"""CampaignsClient against the Sandbox (strict contract by default): lists, topics, fields,
subscribe, refusals, statuses, consent fields, double opt-in, and the documented parameters."""

from __future__ import annotations

import json

import pytest

from desktop_app.connectors.campaigns import CampaignsClient, InvalidFieldName, SubscribeRefused
from desktop_app.connectors.errors import ApiError
from desktop_app.connectors.limiter import Limiter
from desktop_app.domain.mapping import FieldType
from desktop_app.domain.skips import SkipReason
from desktop_app.sandbox.contract import STRICT_PARAMS
from tests.integration.connector_helpers import admin, bulk_add, sandbox_clients

SIGNUP_LIST = "Newsletter (double opt-in)"
# The documented parameter sets: what the connector may send to each endpoint (the Sandbox's strict table).
DOCUMENTED = STRICT_PARAMS


def campaigns_for(sandbox, limiter: Limiter | None = None) -> CampaignsClient:
    return sandbox_clients(sandbox, limiter, with_org=False)[1]


def list_contacts(sandbox, key: str) -> list[dict]:
    data = admin(sandbox, "GET", f"lists/{key}/contacts")
    return data if isinstance(data, list) else data.get("contacts", [])


def list_key(c: CampaignsClient, name: str = "Books customers") -> str:
    return next(m.key for m in c.lists() if m.name == name)


def campaigns_calls(sandbox) -> list[dict]:
    calls = admin(sandbox, "GET", "calls")
    calls = calls if isinstance(calls, list) else calls.get("calls", [])
    return [x for x in calls if x["service"] == "campaigns"]


def endpoint(path: str) -> str:
    return path.split("/api/v1.1/", 1)[-1].strip("/")


def test_lists_topics_fields(sandbox):
    c = campaigns_for(sandbox)
    lists = c.lists()
    assert lists and all(x.key and x.name for x in lists)
    assert SIGNUP_LIST in {m.name for m in lists}
    topics = c.topics()
    assert topics and all(t.id and t.name for t in topics)
    assert c.has_multiple_topics() == (len(topics) > 1)
    fields = c.fields()
    email = next(f for f in fields if f.display_name == "Contact Email")
    assert email.mandatory and email.type == FieldType.EMAIL
    assert all(f.display_name not in ("Lawful Basis", "Subscription Type") for f in fields)


def test_every_call_sends_only_documented_parameters_and_posts_the_form_header(sandbox):
    c = campaigns_for(sandbox)
    key = list_key(c)
    c.lists()
    c.topics()
    c.fields()
    c.create_field("BooksID", FieldType.TEXT)
    c.subscribe(key, {"Contact Email": "doc.params@example.org"}, topic_ids=[c.topics()[0].id])
    list(c.subscribers(key, "active"))
    list(c.subscribers(key, "unsub"))
    c.count(key, "spam")
    bulk_add(c, key, ["bulk.doc@example.org"])
    calls = campaigns_calls(sandbox)
    assert {endpoint(x["path"]) for x in calls} == set(DOCUMENTED)
    for x in calls:
        assert set(x["params"]) <= DOCUMENTED[endpoint(x["path"])], x
        assert x["code"] in (None, "0", "200", 0, 200, "2502"), x  # nothing refused for its form
    assert all("resfmt" not in x["params"] for x in calls if endpoint(x["path"]) == "topics")


def test_create_field_checks_the_name_and_duplicate(sandbox):
    c = campaigns_for(sandbox)
    made = c.create_field("BooksID", FieldType.TEXT)
    assert made.display_name == "BooksID"
    again = c.create_field("BooksID", "Text")  # 916 → the existing one
    assert again == made
    sent = c.calls_made
    for bad, proposal in (("Books ID", "BooksID"), ("bad*name!", "BadName"), ("Région", "Region")):
        with pytest.raises(InvalidFieldName) as info:
            c.create_field(bad, "Text")
        assert info.value.code == "1001" and info.value.proposal == proposal
        assert proposal in info.value.message
    assert c.calls_made == sent  # refused before calling Zoho


def test_subscribe_is_success_only_no_added_or_updated(sandbox):
    c = campaigns_for(sandbox)
    key = list_key(c)
    topic = c.topics()[0].id
    info = {"Contact Email": "new.person@example.org", "First Name": "New", "Last Name": "Person"}
    r1 = c.subscribe(key, info, topic_ids=[topic])
    assert r1.email == "new.person@example.org" and r1.confirmation_sent is False
    r2 = c.subscribe(key, {**info, "First Name": "Newer"})
    assert r2.confirmation_sent is False
    row = next(x for x in list_contacts(sandbox, key) if x["email"] == "new.person@example.org")
    assert row["fields"]["First Name"] == "Newer"
    assert topic in row["topics"] and "desktop-app" in row["source"]


def test_without_consent_fields_no_consent_key_is_sent(sandbox):
    c = campaigns_for(sandbox)
    key = list_key(c)
    assert c.consent_fields().subscription_type is None and c.consent_fields().lawful_basis is None
    assert c.gdpr_enabled() is None
    c.subscribe(key, {"Contact Email": "marketing.only@example.org"}, subscription_type="Non-marketing",
                lawful_basis="Contract")  # strict: an unknown key would be 910
    sent = [x for x in campaigns_calls(sandbox) if endpoint(x["path"]) == "json/listsubscribe"][-1]
    assert json.loads(sent["params"]["contactinfo"]) == {"Contact Email": "marketing.only@example.org"}
    row = next(x for x in list_contacts(sandbox, key) if x["email"] == "marketing.only@example.org")
    assert row["subscription_type"] == "Marketing"  # Zoho's default


def test_with_consent_fields_they_are_sent_by_display_name(sandbox):
    admin(sandbox, "POST", "config", {"consent_fields": True})
    c = campaigns_for(sandbox)
    key = list_key(c)
    consent = c.consent_fields()
    assert consent.subscription_type and consent.lawful_basis
    assert c.gdpr_enabled() is True
    assert not {f.display_name for f in c.fields()} & {consent.subscription_type, consent.lawful_basis}
    c.subscribe(key, {"Contact Email": "non.marketing@example.org"}, subscription_type="Non-marketing",
                lawful_basis="Contract")
    row = next(x for x in list_contacts(sandbox, key) if x["email"] == "non.marketing@example.org")
    assert row["subscription_type"] == "Non-marketing" and row["lawful_basis"] == "Contract"
    sent = [x for x in campaigns_calls(sandbox) if endpoint(x["path"]) == "json/listsubscribe"][-1]
    assert set(json.loads(sent["params"]["contactinfo"])) == {
        "Contact Email", consent.subscription_type, consent.lawful_basis}


def test_a_signup_form_list_answers_confirmation_sent(sandbox):
    c = campaigns_for(sandbox)
    key = list_key(c, SIGNUP_LIST)
    result = c.subscribe(key, {"Contact Email": "double.optin@example.org"})
    assert result.confirmation_sent is True
    assert "double.optin@example.org" not in {x["email"] for x in list_contacts(sandbox, key)}
    admin(sandbox, "POST", f"lists/{key}/confirm", {"email": "double.optin@example.org"})
    assert "double.optin@example.org" in set(c.subscribers(key, "active"))
    assert c.subscribe(key, {"Contact Email": "double.optin@example.org"}).confirmation_sent is False  # a member


@pytest.mark.parametrize("email,reason", [("not-an-email", SkipReason.INVALID_EMAIL),
                                          ("info@example.org", SkipReason.ROLE_EMAIL)])
def test_subscribe_refusals(sandbox, email, reason):
    c = campaigns_for(sandbox)
    with pytest.raises(SubscribeRefused) as info:
        c.subscribe(list_key(c), {"Contact Email": email})
    assert info.value.reason == reason


@pytest.mark.parametrize("state,reason", [
    ("unsub", SkipReason.UNSUBSCRIBED), ("bounce", SkipReason.BOUNCED),
    ("spam", SkipReason.SPAM_COMPLAINT), ("dnm", SkipReason.DO_NOT_MAIL)])
def test_subscribe_refused_for_bad_states_without_contact_status(sandbox, state, reason):
    c = campaigns_for(sandbox)
    key = list_key(c)
    email = f"{state}.person@example.org"
    c.subscribe(key, {"Contact Email": email})
    admin(sandbox, "POST", "campaigns/contacts", {"email": email, "status": state, "listkey": key})
    with pytest.raises(SubscribeRefused) as info:
        c.subscribe(key, {"Contact Email": email})
    assert info.value.code == "2104" and info.value.reason == reason and info.value.contact_status == state
    if state in ("unsub", "bounce"):  # the statuses getlistsubscribers documents
        assert email in set(c.subscribers(key, state))
    else:
        assert c.count(key, "spam") >= (1 if state == "spam" else 0)


def test_plan_limit(sandbox):
    c = campaigns_for(sandbox)
    key = list_key(c)
    admin(sandbox, "POST", "config", {"plan_contact_limit": 1})
    with pytest.raises(SubscribeRefused) as info:
        c.subscribe(key, {"Contact Email": "one.more@example.org"})
    assert info.value.reason == SkipReason.PLAN_LIMIT


def test_bulk_add_and_statuses_with_paging(sandbox):
    c = campaigns_for(sandbox)
    key = list_key(c, "Event attendees")
    before = set(c.subscribers(key, "active"))
    emails = [f"bulk{i}@example.org" for i in range(1205)]
    assert bulk_add(c, key, emails) == 121
    after = list(c.subscribers(key, "active"))
    assert len(after) == len(set(after))  # paging by fromindex/range sees each contact once
    assert set(emails) <= set(after) and before <= set(after)
    assert c.count(key, "active") == len(after)


def test_only_documented_statuses(sandbox):
    c = campaigns_for(sandbox)
    key = list_key(c, "Event attendees")
    for status in ("bounced", "unsubscribed", "recent", "mostrecent"):
        got = list(c.subscribers(key, status))  # 2502 (none) reads as an empty page
        if status in ("bounced", "unsubscribed"):
            assert len(got) == c.count(key, status)
    assert c.count(key, "spam") >= 0
    for status in ("spam", "dnm", "all", "weird"):
        with pytest.raises(ValueError):
            list(c.subscribers(key, status))
    with pytest.raises(ApiError) as info:
        list(c.subscribers("no-such-list", "active"))
    assert info.value.code == "2501"


def test_lists_page_past_the_end_is_the_end(sandbox):
    c = campaigns_for(sandbox)
    n = len(c.lists())
    assert n >= 4
    assert len(c.lists(page_size=n)) == n  # the second page starts past the end: 2401 → done
    assert len(c.lists(page_size=1)) == n
