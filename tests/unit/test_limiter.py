"""The client-side limiter, on an injected clock (no real sleeping)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from desktop_app.connectors.errors import DailyCapReached
from desktop_app.connectors.limiter import RESERVE, Limiter, allowed_calls, in_flight
from desktop_app.domain.limits import LIMITS


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_budget_is_documented_minus_calls_in_flight_minus_a_reserve_at_least_97_percent():
    for family, limit in LIMITS.items():
        for w in limit.windows:
            allowed = allowed_calls(w.calls, family)
            assert allowed == w.calls - in_flight(family) - RESERVE
            if w.calls >= 100:
                assert allowed >= 0.97 * w.calls, (family, w)
    assert allowed_calls(500, "campaigns.listsubscribe") == 495


def test_the_listsubscribe_budget_assumes_the_engines_writers():
    from desktop_app.engine.run import WRITE_WORKERS

    assert in_flight("campaigns.listsubscribe") == WRITE_WORKERS


def test_calls_are_paced_over_the_minute_not_sent_in_one_burst():
    clock = FakeClock()
    lim = Limiter(clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(990):
        lim.acquire("campaigns.listsubscribe")
        stamps.append(clock.now)
    allowed = allowed_calls(500, "campaigns.listsubscribe")
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    # No idle stretch: the longest gap is a few intervals (a minute / 495; the first calls may go
    # out together, one per writer), never the rest of a minute.
    assert max(gaps) <= (in_flight("campaigns.listsubscribe") + 1) * 60 / allowed + 1e-6
    assert sorted(gaps)[len(gaps) // 2] == pytest.approx(60 / allowed)
    # The second minute's calls come at the same steady pace as the first's.
    assert stamps[allowed * 2 - 1] - stamps[0] == pytest.approx(2 * 60, abs=1.0)
    for i, t in enumerate(stamps):
        assert len([s for s in stamps[i:] if s < t + 60]) <= allowed


def test_books_minute_window_never_exceeded():
    clock = FakeClock()
    lim = Limiter(clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(500):
        lim.acquire("books", "org1")
        stamps.append(clock.now)
    # In every 60-second window there are at most 97 calls (documented 100).
    for i, t in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < t + 60]
        assert len(in_window) <= allowed_calls(100, "books")
    assert clock.slept, "the limiter had to wait"
    assert lim.stats()["books"] == 500


def test_keys_are_separate_buckets():
    clock = FakeClock()
    lim = Limiter(clock=clock, sleep=clock.sleep)
    for _ in range(allowed_calls(100, "books")):
        lim.acquire("books", "org1")
    clock.now += 1  # past the pacing interval: only the window is full now
    assert lim.try_acquire("books", "org1") > 0
    assert lim.try_acquire("books", "org2") == 0


def test_scale_shrinks_windows():
    clock = FakeClock()
    lim = Limiter(scale=60, clock=clock, sleep=clock.sleep)
    for _ in range(allowed_calls(500, "campaigns.listsubscribe")):
        lim.acquire("campaigns.listsubscribe")
    wait = lim.try_acquire("campaigns.listsubscribe")
    assert 0 < wait <= 1.0  # a minute / 60


def test_daily_cap_raises_instead_of_sleeping():
    clock = FakeClock()
    lim = Limiter(clock=clock, sleep=clock.sleep, books_plan="free")
    with pytest.raises(DailyCapReached) as info:
        for _ in range(2000):
            lim.acquire("books", "org")
    assert lim.stats()["books"] == allowed_calls(1000, "books")
    assert info.value.resume_at is not None
    assert all(s < 3600 for s in clock.slept)  # never slept for hours


def test_a_day_window_freeing_within_minutes_is_waited_out_not_deferred_again():
    """A run resumed after the daily cap follows yesterday's calls out of the window: each next
    call frees seconds after the last, so it waits for them instead of being deferred per call."""
    clock = FakeClock()
    lim = Limiter(clock=clock, sleep=clock.sleep, books_plan="free")
    cap = allowed_calls(1000, "books")
    for _ in range(cap):
        lim.acquire("books", "org")
        clock.now += 60.0  # yesterday: spread over 1,000 minutes
    clock.now = 1000.0 + 86_400.0 + 60.0 * 10 - 30.0  # the 11th call of yesterday leaves in 30 s
    for _ in range(10):  # ten of yesterday's calls are out of the window: at once
        lim.acquire("books", "org")
    slept = len(clock.slept)
    lim.acquire("books", "org")  # the next one frees in 30 s: waited, not deferred
    assert len(clock.slept) > slept and sum(clock.slept[slept:]) <= 31
    clock.now += 3 * 3600  # hours later, with the window full again: deferred
    for _ in range(cap):
        try:
            lim.acquire("books", "org")
        except DailyCapReached:
            break
    else:
        raise AssertionError("the daily cap never deferred")


def test_set_books_plan_changes_cap():
    clock = FakeClock()
    lim = Limiter(clock=clock, sleep=clock.sleep, books_plan="free")
    lim.acquire("books", "org")
    lim.set_books_plan("premium")
    assert lim.limits_of("books")[1].windows[0].calls == 10_000


def test_disabled_limiter_never_waits():
    clock = FakeClock()
    lim = Limiter(enabled=False, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        lim.acquire("campaigns.fields")
    assert clock.slept == [] and lim.stats()["campaigns.fields"] == 1000


def test_unknown_family_is_a_clear_error():
    with pytest.raises(KeyError, match="family"):
        Limiter().acquire("nope")
    with pytest.raises(ValueError):
        Limiter(scale=0)


def test_slot_bounds_concurrency_and_threads_share_the_limiter():
    lim = Limiter(scale=1000)  # windows of 60 ms, real clock
    inflight = 0
    peak = 0
    lock = threading.Lock()

    def work():
        nonlocal inflight, peak
        for _ in range(20):
            lim.acquire("books", "o")
            with lim.slot("books"):
                with lock:
                    inflight += 1
                    peak = max(peak, inflight)
                time.sleep(0.001)
                with lock:
                    inflight -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lim.stats()["books"] == 240
    assert 1 <= peak <= min(in_flight("books"), LIMITS["books"].concurrency)


def test_hold_refuses_a_locked_family_until_the_lock_ends():
    from datetime import UTC, datetime, timedelta

    from desktop_app.connectors.errors import Locked

    clock = FakeClock()
    wall = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    lim = Limiter(enabled=False, clock=clock, sleep=clock.sleep, wall=lambda: wall)
    lim.hold("campaigns.listsubscribe", wall + timedelta(minutes=30))
    with pytest.raises(Locked) as info:
        lim.acquire("campaigns.listsubscribe")
    assert info.value.resume_at == wall + timedelta(minutes=30)
    lim.acquire("campaigns.lists")  # other families are not locked
    clock.now += 30 * 60 + 1
    lim.acquire("campaigns.listsubscribe")


def test_usage_of_an_older_versions_file_counts_in_a_new_process():
    """A run restarted within the hour must count the calls the killed process already made
    (an older version kept them in api-usage.json; they are taken in once)."""
    from datetime import UTC, datetime, timedelta

    from desktop_app.connectors.limiter import usage_of_snapshot

    base = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    hourly = allowed_calls(12_500, "campaigns.listsubscribe")
    data = {"scale": 1.0, "saved_at": base.timestamp(),
            "calls": {"campaigns.listsubscribe": {"": [[base.timestamp() - 1800, hourly]]}}, "locks": {}}
    uses, locks = usage_of_snapshot(data, 1.0)
    assert sum(u.calls for u in uses) == hourly and locks == {}

    later = base + timedelta(seconds=60)
    second = Limiter(clock=lambda: 5.0, sleep=lambda s: None, wall=lambda: later)
    second.restore(data)
    assert second.try_acquire("campaigns.listsubscribe") > 60  # the hour is used up: it must wait
    fresh = Limiter(clock=lambda: 5.0, sleep=lambda s: None, wall=lambda: later)
    assert fresh.try_acquire("campaigns.listsubscribe") == 0
    other_scale = Limiter(scale=10, clock=lambda: 5.0, sleep=lambda s: None, wall=lambda: later)
    other_scale.restore(data)
    assert other_scale.try_acquire("campaigns.listsubscribe") == 0  # another scale's usage is ignored


@pytest.mark.parametrize(("plan", "cap"), [
    ("free", 1_000), ("FREE", 1_000), ("Standard", 2_000), ("PROFESSIONAL", 5_000), ("premium", 10_000),
    ("Elite", 10_000), ("ultimate", 10_000), ("Premium (Yearly)", 10_000), ("Zoho Books Standard", 2_000),
    ("Ultra Enterprise 2027", 1_000), ("", 1_000), (None, 1_000), ("Standard to Premium", 1_000),
])
def test_books_daily_cap_by_plan_name_unknown_is_the_smallest(plan, cap):
    from desktop_app.connectors.books import BooksClient
    from desktop_app.domain.limits import books_daily_cap, books_daily_limit

    assert books_daily_cap(plan) == cap == BooksClient.daily_cap(plan)
    assert books_daily_limit(plan).windows[0].calls == cap


def test_set_books_plan_with_an_unknown_plan_name_uses_the_free_cap():
    clock = FakeClock()
    lim = Limiter(clock=clock, sleep=clock.sleep)
    lim.set_books_plan("Ultra Enterprise 2027")
    assert lim.limits_of("books")[1].windows[0].calls == 1_000
    lim.set_books_plan("")
    assert lim.limits_of("books")[1].windows[0].calls == 1_000
