"""The run policies (domain/policy.py) with plain values: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from desktop_app.domain import policy
from desktop_app.domain.counts import RunCounts
from desktop_app.domain.run import RunKind, RunStatus, RunTrigger

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
DAY = timedelta(hours=24)


def kind(**over):
    args = dict(force_full=False, needs_full=False, watermark=NOW - timedelta(hours=1),
                last_full_at=NOW - timedelta(hours=2), now=NOW, full_every=DAY)
    return policy.run_kind(**{**args, **over})


def test_incremental_unless_something_asks_for_a_full_run():
    assert kind() is RunKind.INCREMENTAL
    assert kind(force_full=True) is RunKind.FULL
    assert kind(needs_full=True) is RunKind.FULL
    assert kind(watermark=None) is RunKind.FULL
    assert kind(last_full_at=None) is RunKind.FULL
    assert kind(last_full_at=NOW - DAY) is RunKind.FULL
    assert kind(last_full_at=NOW - DAY + timedelta(seconds=1)) is RunKind.INCREMENTAL


def test_edits_that_change_what_or_where_need_a_full_run():
    assert not policy.edit_needs_full(mapping_changed=False, update_empty_changed=False, list_changed=False)
    for flag in ("mapping_changed", "update_empty_changed", "list_changed"):
        args = {"mapping_changed": False, "update_empty_changed": False, "list_changed": False, flag: True}
        assert policy.edit_needs_full(**args)


def test_next_run_backs_off_while_failing_and_an_unreadable_schedule_has_none():
    zone = ZoneInfo("Asia/Kolkata")
    first = policy.next_run_at("every-1h", NOW, zone)
    later = policy.next_run_at("every-1h", NOW, zone, failures=4)
    assert first is not None and later is not None and NOW < first <= later
    assert policy.next_run_at("fortnightly", NOW, zone) is None


def test_a_failed_scheduled_run_says_when_it_is_tried_again_once_per_streak():
    counts = RunCounts(added=2, updated=1, unchanged=3, skipped=1)
    notice = policy.run_notice(RunStatus.FAILED, counts, "Zoho is unavailable.", trigger=RunTrigger.SCHEDULED,
                               next_run=NOW + timedelta(hours=2), zone=ZoneInfo("Asia/Kolkata"))
    assert (notice.level, notice.title) == ("error", "Sync failed")
    assert notice.body.startswith("Zoho is unavailable. 7 customers: 2 added, 1 updated, 3 unchanged, 1 skipped.")
    assert "tries again at 2026-12-04 17:00" in notice.body  # 11:30 UTC in Kolkata
    manual = policy.run_notice(RunStatus.FAILED, counts, None, trigger=RunTrigger.MANUAL, next_run=None,
                               zone=ZoneInfo("UTC"))
    assert "tries again" not in manual.body
    assert policy.notify(1, RunTrigger.SCHEDULED) and not policy.notify(2, RunTrigger.SCHEDULED)
    assert policy.notify(5, RunTrigger.MANUAL)


def test_the_note_of_an_interrupted_run():
    zone = ZoneInfo("UTC")
    note = policy.interruption_note("Zoho did not answer properly.", NOW, NOW + timedelta(minutes=20), zone)
    assert note == "Interrupted at 09:30: Zoho did not answer properly; continued at 09:50."
    other_day = policy.interruption_note(None, NOW - DAY, NOW, zone)
    assert other_day == "Interrupted at 2026-12-03 09:30: the run failed; continued at 09:30."


def test_a_full_reconciliation_is_weekly_by_default_and_the_setting_is_checked():
    assert policy.full_every(None) == timedelta(days=7) == policy.DEFAULT_FULL_EVERY
    assert policy.full_every(1) == timedelta(days=1) and policy.full_every(30) == timedelta(days=30)
    for wrong in (0, 91, -3, "7", True, [7]):
        assert policy.full_every(wrong) == timedelta(days=7), wrong
    # A daily schedule: six incremental runs between two full ones.
    last_full = NOW
    kinds = [kind(last_full_at=last_full, now=NOW + timedelta(days=d), full_every=policy.DEFAULT_FULL_EVERY)
             for d in range(1, 8)]
    assert kinds == [RunKind.INCREMENTAL] * 6 + [RunKind.FULL]


def test_batches_are_sized_to_take_about_a_second_within_their_bounds():
    assert policy.next_batch_size(50, 0.05, 50, 500) == 500  # limits off: 1,000 a second
    assert policy.next_batch_size(50, 0.2, 50, 500) == 250
    assert policy.next_batch_size(50, 6.0, 50, 500) == 50  # at 500 writes a minute
    assert policy.next_batch_size(0, 0.0, 50, 500) == 50
