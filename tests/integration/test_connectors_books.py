"""BooksClient against the Sandbox: organizations, paging, watermark stop, detail, budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from desktop_app.connectors.books import BooksClient, parse_time
from desktop_app.connectors.errors import ApiError, NotFound
from desktop_app.connectors.limiter import Limiter
from tests.integration.connector_helpers import admin, sandbox_clients

IST = timezone(timedelta(hours=5, minutes=30))
PST = timezone(timedelta(hours=-8))


def books_for(sandbox, limiter: Limiter | None = None) -> BooksClient:
    return sandbox_clients(sandbox, limiter)[0]


def test_organizations(sandbox):
    books = books_for(sandbox)
    orgs = books.organizations()
    assert orgs and orgs[0].org_id and orgs[0].name and "@" in orgs[0].email
    assert any(o.is_default for o in orgs)
    assert orgs[0].plan_name


@pytest.mark.parametrize(("plan", "cap"), [("premium", 10_000), ("standard", 2_000),
                                           ("Ultra Enterprise 2027", 1_000)])
def test_daily_cap_follows_plan_name_and_an_unknown_plan_is_free(sandbox, plan, cap):
    admin(sandbox, "POST", "config", {"books_plan": plan})
    books = books_for(sandbox)
    org = books.organizations()[0]
    assert BooksClient.daily_cap(org.plan_name) == cap
    limiter = Limiter(enabled=False)
    limiter.set_books_plan(org.plan_name)
    assert limiter.limits_of("books")[1].windows[0].calls == cap


def test_paging_through_5000_customers(sandbox_factory):
    books = books_for(sandbox_factory(customers=5000))
    before = books.calls_made
    pages = list(books.iter_customer_pages())
    ids = [c.contact_id for p in pages for c in p.customers]
    assert len(ids) == 5000 == len(set(ids))
    assert len(pages) == 25 and pages[-1].has_more is False
    assert all(not p.reached_watermark for p in pages)
    times = [c.last_modified_time for p in pages for c in p.customers]
    assert times == sorted(times, reverse=True)
    assert all(t.tzinfo is not None for t in times)
    assert books.calls_made - before == 25 == BooksClient.estimated_calls(5000)
    assert BooksClient.estimated_calls(5000, detail=True) == 5025


@pytest.mark.parametrize("zone,offset", [("Asia/Kolkata", "+0530"), ("America/Los_Angeles", "-0800")])
def test_watermark_stop_across_offsets(sandbox, zone, offset):
    admin(sandbox, "POST", "config", {"time_zone": zone})
    books = books_for(sandbox)
    first = next(iter(books.iter_customer_pages()))
    newest = first.customers[0].last_modified_time
    assert newest.utcoffset() == newest.astimezone(ZoneInfo(zone)).utcoffset()  # the org's zone, DST included
    # Edit 3 customers: they become the newest; a watermark just after the old newest stops on page 1.
    edited = [c.contact_id for c in first.customers[5:8]]
    for cid in edited:
        admin(sandbox, "PATCH", f"customers/{cid}", {"first_name": "Edited"})
    # The watermark in the *other* offset: comparison must use the instant, not the wall time.
    other = PST if offset == "+0530" else IST
    since = (newest + timedelta(seconds=1)).astimezone(other)
    pages = list(books.iter_customer_pages(since=since, overlap=timedelta(0)))
    # Edits happen now (November): the zone's standard offset, written without a colon.
    assert pages[0].customers[0].last_modified_time.utcoffset() == parse_time(
        f"2026-11-24T10:00:00{offset}").utcoffset()
    assert len(pages) == 1 and pages[0].reached_watermark and not pages[0].has_more
    got = {c.contact_id for c in pages[0].customers}
    assert set(edited) <= got
    assert all(c.last_modified_time >= since for c in pages[0].customers)
    # With an overlap the previous newest customer is read again (re-reads are cheap, losses are not).
    again = list(books.iter_customer_pages(since=since, overlap=timedelta(seconds=5)))
    assert first.customers[0].contact_id in {c.contact_id for p in again for c in p.customers}


def test_naive_watermark_is_refused(sandbox):
    books = books_for(sandbox)
    with pytest.raises(ValueError, match="time zone"):
        next(iter(books.iter_customer_pages(since=datetime(2026, 1, 1))))


def test_customer_detail_and_unknown_id(sandbox):
    books = books_for(sandbox)
    some = next(iter(books.iter_customer_pages())).customers[0]
    detail = books.customer_detail(some.contact_id)
    assert detail.contact_id == some.contact_id
    assert "billing_address" in detail.record
    assert all(k.startswith("cf_") for k in detail.custom)
    with pytest.raises(NotFound) as info:  # Books' code 1003, said as the domain's NotFound
        books.customer_detail("999999999")
    assert info.value.code == "1003" and isinstance(info.value, ApiError)


def test_missing_organization_is_a_clear_error(sandbox):
    books = books_for(sandbox)
    books.org_id = "nope"
    with pytest.raises(ApiError) as info:
        next(iter(books.iter_customer_pages()))
    assert info.value.code == "2"


def test_record_parsing_offsets_and_malformed_records():
    from desktop_app.connectors.books import MalformedRecord, customer_from_record

    for text in ("2026-11-24T10:00:00+0530", "2026-11-24T10:00:00+05:30", "2026-11-24T04:30:00Z",
                 "2026-11-23T20:30:00-0800"):
        assert parse_time(text) == datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    assert parse_time("2026-11-24T10:00:00") is None  # no offset: refuse to guess
    assert parse_time("yesterday") is None
    good = customer_from_record({"contact_id": "1", "contact_name": "A", "email": " a@x.org ",
                                 "last_modified_time": "2026-11-24T10:00:00+0530", "cf_region": "North",
                                 "custom_fields": [{"api_name": "cf_tier", "value": "Gold"}]})
    assert good.email == "a@x.org" and good.custom == {"cf_region": "North", "cf_tier": "Gold"}
    for bad in ({"contact_name": "no id", "last_modified_time": "2026-11-24T10:00:00+0530"},
                {"contact_id": "2", "last_modified_time": "not a time"}, "not an object"):
        with pytest.raises(MalformedRecord):
            customer_from_record(bad)
