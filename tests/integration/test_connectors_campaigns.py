"""CampaignsClient against the Sandbox: lists, topics, fields, subscribe, refusals, statuses."""

from __future__ import annotations

import pytest

from desktop_app.connectors.campaigns import CampaignsClient, SubscribeRefused
from desktop_app.connectors.errors import ApiError
from desktop_app.connectors.limiter import Limiter
from desktop_app.domain.mapping import FieldType
from desktop_app.domain.skips import SkipReason
from tests.integration.connector_helpers import admin, sandbox_clients


def campaigns_for(sandbox, limiter: Limiter | None = None) -> CampaignsClient:
    return sandbox_clients(sandbox, limiter, with_org=False)[1]


def list_contacts(sandbox, key: str) -> list[dict]:
    data = admin(sandbox, "GET", f"lists/{key}/contacts")
    return data if isinstance(data, list) else data.get("contacts", [])


def test_lists_topics_fields(sandbox):
    c = campaigns_for(sandbox)
    lists = c.lists()
    assert lists and all(x.key and x.name for x in lists)
    topics = c.topics()
    assert topics and all(t.id and t.name for t in topics)
    assert c.has_multiple_topics() == (len(topics) > 1)
    fields = c.fields()
    email = next(f for f in fields if f.display_name == "Contact Email")
    assert email.mandatory and email.type == FieldType.EMAIL
    assert all(f.display_name not in ("Lawful Basis", "Subscription Type") for f in fields)


def test_create_field_and_duplicate(sandbox):
    c = campaigns_for(sandbox)
    made = c.create_field("Books ID", FieldType.TEXT)
    assert made.display_name == "Books ID" and made.custom
    again = c.create_field("Books ID", "Text")  # 916 → the existing one
    assert again == made
    with pytest.raises(ApiError) as info:
        c.create_field("bad*name!", "Text")
    assert info.value.code == "1001"


def test_subscribe_add_update_and_pseudo_fields(sandbox):
    c = campaigns_for(sandbox)
    key = c.lists()[0].key
    topic = c.topics()[0].id
    info = {"Contact Email": "new.person@example.org", "First Name": "New", "Last Name": "Person"}
    r1 = c.subscribe(key, info, topic_ids=[topic], subscription_type="Non-marketing",
                     lawful_basis="Contract")
    assert r1.outcome == "added" and r1.email == "new.person@example.org"
    r2 = c.subscribe(key, {**info, "First Name": "Newer"})
    assert r2.outcome == "updated"
    row = next(x for x in list_contacts(sandbox, key) if x["email"] == "new.person@example.org")
    assert row["fields"]["First Name"] == "Newer"
    assert row["subscription_type"] == "Non-marketing" and row["lawful_basis"] == "Contract"
    assert "desktop-app" in row["source"]


@pytest.mark.parametrize("email,reason", [("not-an-email", SkipReason.INVALID_EMAIL),
                                          ("info@example.org", SkipReason.ROLE_EMAIL)])
def test_subscribe_refusals(sandbox, email, reason):
    c = campaigns_for(sandbox)
    with pytest.raises(SubscribeRefused) as info:
        c.subscribe(c.lists()[0].key, {"Contact Email": email})
    assert info.value.reason == reason


@pytest.mark.parametrize("state,reason", [
    ("unsub", SkipReason.UNSUBSCRIBED), ("bounce", SkipReason.BOUNCED),
    ("spam", SkipReason.SPAM_COMPLAINT), ("dnm", SkipReason.DO_NOT_MAIL)])
def test_subscribe_refused_for_bad_states(sandbox, state, reason):
    c = campaigns_for(sandbox)
    key = c.lists()[0].key
    email = f"{state}.person@example.org"
    c.subscribe(key, {"Contact Email": email})
    admin(sandbox, "POST", "campaigns/contacts", {"email": email, "status": state, "listkey": key})
    with pytest.raises(SubscribeRefused) as info:
        c.subscribe(key, {"Contact Email": email})
    assert info.value.code == "2104" and info.value.reason == reason
    assert email in set(c.subscribers(key, {"unsub": "unsubscribed", "bounce": "bounced"}.get(state, state)))


def test_plan_limit(sandbox):
    c = campaigns_for(sandbox)
    key = c.lists()[0].key
    admin(sandbox, "POST", "config", {"plan_contact_limit": 1})
    with pytest.raises(SubscribeRefused) as info:
        c.subscribe(key, {"Contact Email": "one.more@example.org"}, subscription_type="Marketing")
    assert info.value.reason == SkipReason.PLAN_LIMIT


def test_bulk_add_and_statuses_with_paging(sandbox):
    c = campaigns_for(sandbox)
    key = c.lists()[-1].key
    before = set(c.subscribers(key, "active"))
    emails = [f"bulk{i}@example.org" for i in range(1205)]
    assert c.bulk_add(key, emails) == 121
    after = list(c.subscribers(key, "active"))
    assert len(after) == len(set(after))  # paging by fromindex/range sees each contact once
    assert set(emails) <= set(after) and before <= set(after)
    assert c.count(key, "active") == len(after)


def test_empty_status_is_2502_empty(sandbox):
    c = campaigns_for(sandbox)
    key = c.lists()[-1].key
    # A status nobody in a fresh list has → Campaigns answers 2502, which reads as no contacts.
    for status in ("spam", "bounced", "unsubscribed", "dnm"):
        got = list(c.subscribers(key, status))
        assert len(got) == c.count(key, status) if status != "dnm" else True
    with pytest.raises(ApiError) as info:
        list(c.subscribers("no-such-list", "active"))
    assert info.value.code == "2501"
    with pytest.raises(ValueError):
        list(c.subscribers(key, "weird"))


def test_gdpr_flag(sandbox):
    c = campaigns_for(sandbox)
    admin(sandbox, "POST", "config", {"gdpr": True})
    assert c.gdpr_enabled() is True
    admin(sandbox, "POST", "config", {"gdpr": False})
    assert c.gdpr_enabled() is None  # absence cannot prove "off" on real Zoho
