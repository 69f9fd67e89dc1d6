"""The run vocabulary (domain.run): one set of words for triggers, statuses and kinds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.domain.run import FINAL_STATUSES, RunKind, RunStatus, RunTrigger
from desktop_app.store import models, repo
from desktop_app.store.db import Database
from tests.unit.test_store_models import make_connection, make_sync

PACKAGE = Path(__file__).resolve().parents[2] / "desktop_app"


def test_the_store_words_are_the_enums():
    assert models.RUN_TRIGGERS == ("initiate", "manual", "scheduled", "cli", "resume")
    assert models.RUN_STATUSES == ("running", "completed", "failed", "cancelled", "deferred", "needs_decision")
    assert models.RUN_KINDS == ("full", "incremental")
    assert models.RUN_FINAL_STATUSES == FINAL_STATUSES and RunStatus.RUNNING not in FINAL_STATUSES
    assert all(isinstance(t, RunTrigger) for t in models.RUN_TRIGGERS)


def test_members_compare_equal_to_the_stored_strings():
    assert RunTrigger.SCHEDULED == "scheduled" and RunStatus("completed") is RunStatus.COMPLETED
    assert f"{RunKind.FULL}" == "full" and str(RunStatus.NEEDS_DECISION) == "needs_decision"


def test_a_misspelt_trigger_is_refused():
    with pytest.raises(ValueError):
        RunTrigger("schedule")  # the word the window's scheduler used to send
    with pytest.raises(AttributeError):
        RunTrigger.SCHEDULE  # noqa: B018 - an attribute that does not exist fails where it is written


def _sync(s):
    conn = repo.save_connection(s, make_connection())
    return repo.create_sync(s, make_sync(conn.id))


@pytest.fixture
def db(tmp_path):
    database = Database.open(tmp_path / "data" / "app.db")
    yield database
    database.close()


def test_the_store_refuses_a_misspelt_trigger_and_takes_every_real_one(db):
    with db.session() as s:
        sync = _sync(s)
        with pytest.raises(repo.StoreError, match="run trigger"):
            repo.start_run(s, sync, kind=RunKind.FULL, trigger="schedule")  # type: ignore[arg-type]
        for trigger in RunTrigger:
            run = repo.start_run(s, sync, kind=RunKind.INCREMENTAL, trigger=trigger)
            repo.finish_run(s, run, status=RunStatus.COMPLETED)
    with db.session() as s:
        stored = [(r.trigger, r.status, r.kind) for r in repo.runs_for(s, None)]
        assert sorted(t for t, _, _ in stored) == sorted(RunTrigger)
        assert {(st, k) for _, st, k in stored} == {("completed", "incremental")}
        assert RunTrigger(stored[0][0]) in RunTrigger  # read back as plain text, converts cleanly


def test_failure_streak_counts_failures_since_the_last_completed_run(db):
    with db.session() as s:
        sync = _sync(s)
        assert repo.failure_streak(s, sync.id) == (0, None)
        for status in (RunStatus.FAILED, RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED,
                       RunStatus.FAILED):
            repo.finish_run(s, repo.start_run(s, sync, kind=RunKind.FULL, trigger=RunTrigger.SCHEDULED),
                            status=status)
        failures, since = repo.failure_streak(s, sync.id)
        assert failures == 2 and since is not None


def _trigger_literals(source: str) -> list[tuple[int, str]]:
    """Every string written where a trigger goes: ``trigger="…"`` and ``run_now("…")`` calls."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        values = [k.value for k in node.keywords if k.arg == "trigger"]
        if getattr(node.func, "attr", getattr(node.func, "id", "")) == "run_now" and node.args:
            values.append(node.args[0])
        found += [(v.lineno, v.value) for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return found


def _wrong_triggers(source: str) -> list[str]:
    return [f"{line}: {word!r}" for line, word in _trigger_literals(source) if word not in models.RUN_TRIGGERS]


def test_the_trigger_lint_catches_the_old_scheduler_bug():
    assert _wrong_triggers('async def f(c):\n    await c.run_now("schedule")\n') == ["2: 'schedule'"]
    assert _wrong_triggers('svc.run_sync(trigger="cron")') == ["1: 'cron'"]
    assert _wrong_triggers('c.run_now(RunTrigger.SCHEDULED); svc.run_sync(trigger="cli")') == []


def test_no_caller_passes_a_trigger_the_store_refuses():
    """A lint over the package: the ``run_now("schedule")`` bug fails here, not every 15 minutes."""
    wrong = [f"{path.relative_to(PACKAGE)}:{w}" for path in sorted(PACKAGE.rglob("*.py"))
             if "sandbox" not in path.parts for w in _wrong_triggers(path.read_text(encoding="utf-8"))]
    assert wrong == []


# ---------------------------------------------------------------------- failed scheduled runs back off


def test_failed_scheduled_runs_back_off_with_one_notification(db, monkeypatch):
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from desktop_app.domain.counts import RunCounts
    from desktop_app.domain.schedule import next_attempt, next_run, parse_schedule
    from desktop_app.store.models import Notification, Sync
    from desktop_app.store.runs import RunState

    monkeypatch.setenv("TZ", "Europe/Berlin")
    zone, daily = ZoneInfo("Europe/Berlin"), parse_schedule("daily@09:00")
    with db.session() as s:
        conn = repo.save_connection(s, make_connection())
        repo.create_sync(s, make_sync(conn.id, schedule_spec=daily.spec, subscription_type="marketing"))
    state = RunState(db)
    snap = state.snapshot()

    def finish(status: RunStatus, now: datetime, trigger: RunTrigger = RunTrigger.SCHEDULED):
        run = state.resume_or_start(snap, trigger=trigger, force_full=False, now=now, full_every=timedelta(days=7))
        state.finish_run(run.id, status=status, counts=RunCounts(), now=now, snap=snap, resume_at=None,
                         error="Zoho Books is not answering." if status == RunStatus.FAILED else None,
                         calls_books=0, calls_campaigns=0)
        with db.session() as s:
            sync = s.get(Sync, snap.sync_id)
            notes = s.scalars(select(Notification).order_by(Notification.id)).all()
            return sync.next_run_at, [(n.level, n.title, n.body) for n in notes]

    now = datetime(2026, 3, 2, 8, 0, 30, tzinfo=UTC)  # Monday 09:00:30 Berlin: the slot's run fails
    waits = []
    for failures in range(1, 6):
        next_at, notes = finish(RunStatus.FAILED, now)
        assert next_at == next_attempt(daily, now, failures, zone)
        waits.append(next_at - now)
        now = next_at
    assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 120, 240)]  # not every 15 minutes
    assert len(notes) == 1, notes  # one notification says why, not one per attempt
    level, title, body = notes[0]
    assert (level, title) == ("error", "Sync failed") and "Zoho Books is not answering." in body
    assert "tries again at 2026-03-02 09:15" in body

    # the streak is read from the run history, not kept in memory: a restart keeps the backoff
    with db.session() as s:
        assert repo.failure_streak(s, snap.sync_id)[0] == 5
    next_at, notes = finish(RunStatus.FAILED, now)
    assert next_at == next_attempt(daily, now, 6, zone) and len(notes) == 1

    # a run the user starts always reports; a completed run ends the streak and the next slot rules
    next_at, notes = finish(RunStatus.FAILED, now, RunTrigger.MANUAL)
    assert len(notes) == 2
    next_at, notes = finish(RunStatus.COMPLETED, now)
    assert next_at == next_run(daily, now, zone) and notes[-1][1] == "Sync completed"
    next_at, notes = finish(RunStatus.FAILED, now)  # a new streak: notified again, 15 min
    assert next_at - now == timedelta(minutes=15) and len(notes) == 4
