"""The ETA under Zoho's documented windows (SPEC R40): pure arithmetic, checked against hand sums."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.connectors.limiter import Limiter, allowed_calls
from desktop_app.domain.eta import eta_sentence, finish_after, finish_phrase
from desktop_app.domain.limits import DAY, HOUR, MINUTE, Window

pytestmark = pytest.mark.unit

FAMILY = "campaigns.listsubscribe"
BUDGETS = [Window(allowed_calls(500, FAMILY), MINUTE), Window(allowed_calls(12_500, FAMILY), HOUR),
           Window(allowed_calls(75_000, FAMILY), DAY)]
NOW = datetime(2026, 12, 4, 8, 40, tzinfo=UTC)


def test_a_100k_first_sync_spans_two_days_and_names_the_day_cap():
    eta = finish_after(89_000, BUDGETS)
    # 74,995 in the first day (6 hours of 12,495 an hour), the rest from the 24th hour on.
    hand = DAY + (89_000 - 74_995) / 12_495 * HOUR
    assert abs(eta.seconds - hand) < 2 * HOUR
    assert eta.binding == BUDGETS[2]
    text = eta_sentence(Limiter().eta(FAMILY, 89_000), NOW, UTC)
    assert text.startswith("about 89,000 writes; Zoho allows 75,000 a day: finishes tomorrow around ")


def test_a_small_sync_is_paced_by_the_minute_window_only():
    eta = finish_after(4_400, BUDGETS)
    assert eta.seconds == pytest.approx(4_400 / 495 * MINUTE, rel=0.02)
    assert eta_sentence(eta, NOW, UTC) == "about 4,400 writes: finishes in 9 min (around 08:49)"


def test_calls_already_made_hold_back_the_windows_they_are_in():
    fresh = finish_after(12_000, BUDGETS)
    busy = finish_after(12_000, BUDGETS, recent=[60.0 * i / 12_000 * 50 for i in range(12_000)])
    assert busy.seconds > fresh.seconds + 30 * MINUTE  # the hour is nearly spent: wait for it


def test_the_run_s_own_pace_caps_the_rate_and_nothing_left_is_now():
    assert finish_after(1_000, BUDGETS, rate=2.0).seconds == pytest.approx(500, rel=0.05)
    assert finish_after(0, BUDGETS).seconds == 0
    assert eta_sentence(finish_after(0, BUDGETS), NOW, UTC) == "nothing left to write"
    assert math.isinf(finish_after(10, [Window(0, MINUTE)]).seconds)


def test_finish_phrases_read_in_the_user_s_zone():
    assert finish_phrase(NOW + timedelta(hours=2), NOW, UTC) == "finishes in 2 h (around 10:40)"
    assert finish_phrase(NOW + timedelta(days=1), NOW, UTC) == "finishes tomorrow around 08:40"
    assert finish_phrase(NOW + timedelta(days=3), NOW, UTC) == "finishes on Mon 7 Dec around 08:40"


def test_the_limiter_s_eta_counts_its_own_calls_and_the_books_cap_of_the_plan():
    clock = [1000.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    limiter = Limiter(clock=lambda: clock[0], sleep=sleep)
    for _ in range(495):
        limiter.acquire(FAMILY)  # paced: 495 calls take the minute
    assert limiter.eta(FAMILY, 495).seconds > finish_after(495, BUDGETS).seconds  # the minute is spent
    limiter.set_books_plan("Free")
    days = limiter.eta("books", 5_000, "org").seconds / DAY  # 1,000 pages a day on Free
    assert 5 <= days <= 5.1  # 997 a day (documented 1,000 less the calls in flight and the reserve)


def test_a_floor_says_at_least_and_no_earlier_than():
    eta = finish_after(4_400, BUDGETS)
    assert eta_sentence(eta, NOW, UTC, floor=True) == "at least 4,400 writes: finishes no earlier than 08:49 (in 9 min)"
    assert finish_phrase(NOW + timedelta(days=1), NOW, UTC, floor=True) == "finishes no earlier than tomorrow 08:40"


def test_a_run_s_eta_is_a_floor_while_it_reads_past_what_was_expected():
    from desktop_app.app.eta import RunEta
    from desktop_app.domain.counts import RunCounts
    from desktop_app.domain.run import Phase
    from desktop_app.engine.progress import Progress

    seen: list[Progress] = []
    known = RunEta(Limiter(), "org", 100_000, lambda: NOW, UTC, seen.append)
    known(Progress(1, Phase.WRITING, 2_000, None, RunCounts(added=1_780, skipped=220), read=2_000))
    assert seen[-1].eta is not None and seen[-1].eta_text.startswith("about 87,")  # 98,000 × 0.89
    unknown = RunEta(Limiter(), "org", None, lambda: NOW, UTC, seen.append)
    unknown(Progress(1, Phase.WRITING, 2_000, None, RunCounts(added=1_780, skipped=220), read=2_200))
    assert seen[-1].eta is None and seen[-1].eta_text.startswith("at least 178 writes")
    done_reading = RunEta(Limiter(), "org", None, lambda: NOW, UTC, seen.append)
    done_reading(Progress(1, Phase.WRITING, 2_000, 5_000, RunCounts(added=1_780, skipped=220), read=5_000))
    assert seen[-1].eta is not None and seen[-1].eta_text.startswith("about 2,670 writes")
