"""The Sandbox's limit enforcement: windows, lock periods, scale, on/off (fake clock; no sleeping)."""

from __future__ import annotations

import pytest

from desktop_app.domain.limits import LIMITS
from desktop_app.sandbox.limits import Limiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_listsubscribe_500_per_minute_then_a_30_minute_lock():
    clock = Clock()
    lim = Limiter("on", clock=clock)
    assert all(lim.check("campaigns.listsubscribe").allowed for _ in range(500))
    refused = lim.check("campaigns.listsubscribe")
    assert not refused.allowed and refused.window == "lock" and refused.retry_after == 30 * 60
    clock.now += 61  # the minute window has passed, but the lock has not
    assert not lim.check("campaigns.listsubscribe").allowed
    assert lim.check("campaigns.bulk").allowed  # other families keep working
    clock.now += 30 * 60
    assert lim.check("campaigns.listsubscribe").allowed
    assert lim.lockouts["campaigns.listsubscribe"] == 1


def test_books_has_no_lock_and_counts_one_lockout_per_refusal_run():
    clock = Clock()
    lim = Limiter("on", clock=clock)
    for _ in range(100):
        assert lim.check("books", "org").allowed
        clock.now += 0.1
    first = lim.check("books", "org")
    assert not first.allowed and first.window == "minute" and 0 < first.retry_after <= 60
    assert not lim.check("books", "org").allowed
    assert lim.check("books", "other-org").allowed  # per organization
    clock.now += first.retry_after
    assert lim.check("books", "org").allowed
    assert lim.lockouts["books"] == 1


def test_scale_divides_windows_and_locks():
    clock = Clock()
    lim = Limiter("scale=60", clock=clock)
    limit = LIMITS["campaigns.fields"]
    for _ in range(limit.windows[0].calls):
        assert lim.check("campaigns.fields").allowed
    refused = lim.check("campaigns.fields")
    assert refused.retry_after == pytest.approx(limit.lock_seconds / 60)
    clock.now += limit.lock_seconds / 60
    assert lim.check("campaigns.fields").allowed


def test_off_allows_everything_and_bad_mode_is_refused():
    lim = Limiter("off")
    assert all(lim.check("campaigns.fields").allowed for _ in range(1000))
    with pytest.raises(ValueError, match="scale=K"):
        Limiter("fast")
