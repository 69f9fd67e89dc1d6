"""The HTTP layer under faults: every normalised error, retries without duplicate writes, limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from desktop_app.connectors.errors import DailyCapReached, Locked, Unavailable
from desktop_app.connectors.limiter import Limiter
from tests.integration.connector_helpers import admin, admin_headers, sandbox_clients

BURST = 2000
SCALE = 30  # Campaigns' listsubscribe window: 500 per 60/30 = 2 s; 2,000 subscribes take ~9 s



def clients(sandbox, limiter: Limiter | None = None, retries: int = 4):
    books, campaigns, tokens = sandbox_clients(sandbox, limiter, timeout=(2, 1), retries=retries)
    for http in (books.http, campaigns.http):
        http.backoff_base, http.backoff_cap = 0.01, 0.05  # fast tests; the policy is the same
    return books, campaigns, tokens


def faults(sandbox, **rule):
    admin(sandbox, "POST", "faults", rule)


@pytest.fixture(autouse=True)
def clear_faults(sandbox):
    yield
    requests.delete(f"{sandbox.url}/_sandbox/faults", headers=admin_headers(sandbox), timeout=10)


@pytest.mark.parametrize("kind", ["5xx", "timeout", "malformed", "truncated"])
def test_unretried_failures_are_unavailable(sandbox, kind):
    books, _, _ = clients(sandbox, retries=0)
    faults(sandbox, kind=kind, rate=1.0, service="books")
    with pytest.raises(Unavailable) as info:
        books.organizations()
    assert "try again later" in info.value.message or "reach Zoho" in info.value.message


@pytest.mark.parametrize("kind", ["5xx", "timeout", "malformed", "truncated", "429"])
def test_transient_failures_are_retried(sandbox, kind):
    books, _, _ = clients(sandbox)
    faults(sandbox, kind=kind, count=2, service="books")
    assert books.organizations()
    assert books.http.calls_made >= 3


def test_token_expiry_fault_refreshes_once(sandbox):
    _books, campaigns, tokens = clients(sandbox)
    faults(sandbox, kind="token_expiry", count=1, service="campaigns")
    assert campaigns.lists()
    assert tokens.refreshes == 1


@pytest.mark.parametrize("contract", ["strict", "lenient"])
def test_lockout_is_locked_with_until(sandbox, contract):
    _, campaigns, _ = clients(sandbox)  # client limiter off: we exceed the window on purpose
    admin(sandbox, "POST", "config", {"limits": "scale=60", "contract": contract})
    try:
        with pytest.raises(Locked) as info:
            for _ in range(200):  # fields: 100 per 5 s when scaled
                campaigns.fields()
        assert info.value.family == "campaigns.fields" and info.value.resume_at
        # strict: an undocumented code worded like a lock, no Retry-After → the documented 30 min
        # (the client's limiter is unscaled); lenient: "429" + Retry-After (seconds left, scaled).
        left = (info.value.resume_at - datetime.now(UTC)).total_seconds()
        assert (25 * 60 < left <= 30 * 60) if contract == "strict" else (0 <= left <= 31)
        # Further calls of that family are refused locally: they could only extend the lock.
        sent = campaigns.http.calls_made
        with pytest.raises(Locked):
            campaigns.fields()
        assert campaigns.http.calls_made == sent
        # Other families keep working during the lock.
        assert campaigns.lists()
    finally:
        admin(sandbox, "POST", "config", {"limits": "off"})


def test_books_daily_cap(sandbox):
    books, _, _ = clients(sandbox)
    admin(sandbox, "POST", "config", {"limits": "scale=1000", "books_plan": "free"})
    try:
        with pytest.raises(DailyCapReached) as info:
            for _ in range(1100):
                books.organizations()
        assert info.value.resume_at
    finally:
        admin(sandbox, "POST", "config", {"limits": "off", "books_plan": "premium"})


def test_retries_under_20_percent_faults_no_duplicate_writes(sandbox):
    books, campaigns, _ = clients(sandbox, retries=8)
    key = campaigns.lists()[0].key
    before = {c["email"] for c in _contacts(sandbox, key)}
    # Half of the failed writes did happen before the answer failed: retries must not duplicate.
    faults(sandbox, kind="5xx", rate=0.1)
    faults(sandbox, kind="timeout", rate=0.05)
    faults(sandbox, kind="5xx", rate=0.05, applied=True)
    emails = [f"retry{i}@example.org" for i in range(150)]
    outcomes = [campaigns.subscribe(key, {"Contact Email": e, "First Name": "R"}) for e in emails]
    customers = sum(len(p.customers) for p in books.iter_customer_pages())
    made = campaigns.create_field("RetryField", "Text")
    admin(sandbox, "DELETE", "faults")
    injected = admin(sandbox, "GET", "stats").get("faults_injected") or {}
    assert injected.get("5xx", 0) > 0 and injected.get("timeout", 0) > 0  # the faults really happened
    assert customers >= 1000
    assert [o.email for o in outcomes] == emails and not any(o.confirmation_sent for o in outcomes)
    rows = [c for c in _contacts(sandbox, key) if c["email"] not in before]
    got = [c["email"] for c in rows]
    assert sorted(got) == sorted(emails)  # each exactly once
    assert [f.display_name for f in campaigns.fields()].count("RetryField") == 1 and made.display_name == "RetryField"


def test_burst_of_2000_subscribes_with_zero_lockouts(sandbox):
    admin(sandbox, "POST", "config", {"limits": f"scale={SCALE}"})
    try:
        limiter = Limiter(scale=SCALE)
        _, campaigns, _ = clients(sandbox, limiter=limiter)
        key = campaigns.lists()[1].key
        emails = [f"burst{i}@example.org" for i in range(BURST)]
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda e: campaigns.subscribe(key, {"Contact Email": e}), emails))
        assert len(results) == BURST
        stats = admin(sandbox, "GET", "stats")
        assert "lockouts_by_family" in stats
        lockouts = stats["lockouts_by_family"]
        assert sum(lockouts.values()) == 0, lockouts
        assert limiter.stats()["campaigns.listsubscribe"] >= BURST
        assert limiter.waits().get("campaigns.listsubscribe", 0) > 0  # the limiter, not luck, held it
    finally:
        admin(sandbox, "POST", "config", {"limits": "off"})


def _contacts(sandbox, key: str) -> list[dict]:
    data = admin(sandbox, "GET", f"lists/{key}/contacts")
    return data if isinstance(data, list) else data.get("contacts", [])
