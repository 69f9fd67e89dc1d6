"""The window's scheduler end to end (issue 10.1): the real window, its real Scheduler and the real
service on the Sandbox, with one injected clock shared by the scheduler and the service. When the
clock reaches the sync's next run, the window starts a ``scheduled`` run by itself and the history
shows it completed; editing the schedule moves the next run to the new schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from desktop_app import config
from desktop_app.app import ServiceError
from desktop_app.domain.mapping import MappingRow
from desktop_app.domain.run import RunStatus, RunTrigger
from desktop_app.domain.schedule import Schedule, next_run
from desktop_app.domain.settings import SyncSettings
from desktop_app.gui.history_model import DETAILS, STATUS, TOTAL
from tests.gui.sandbox_session import (
    FINISH,
    accept_disclaimer,
    associate_sandbox,
    flush_deletes,
    next_to_mapping,
    until,
    walk_wizard,
)

RECHECK_MS = 200  # the 15-minute re-check, shortened: the test clock decides what is due


class Clock:
    """The test's wall clock: starts at the real time and moves only when the test says so."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(loop, sandbox):
    from desktop_app.app import AppService
    from desktop_app.gui.session import GuiSession

    clock = Clock()
    s = GuiSession(AppService(config.app_paths(), clock=clock), use_tray=False, recheck_ms=RECHECK_MS)
    s.scheduler.clock = clock  # one clock for the scheduler and the service (run times, next runs)
    loop.run_until_complete(s.start(schedule=False))
    yield s, clock
    loop.run_until_complete(s.shutdown())
    flush_deletes()


async def set_up_sync(s) -> None:
    """Connect the Sandbox and create the sync through the window; the first run completes."""
    w, c = s.window, s.controller
    await associate_sandbox(w)
    w.active.add.click()
    wizard = w.flows.wizard
    await walk_wizard(w, wizard)
    next_to_mapping(wizard)
    wizard.button(FINISH).click()
    await accept_disclaimer(w)
    await until(lambda: len(c.runs) == 1 and not c.running, what="first run")
    assert c.runs[0].status == RunStatus.COMPLETED and c.runs[0].trigger == RunTrigger.INITIATE
    assert w.last_error is None, w.last_error


def test_the_window_starts_a_due_sync_by_itself(clocked, run_in):
    s, clock = clocked
    w, c = s.window, s.controller

    async def scenario():
        await set_up_sync(s)
        due = c.sync.next_run_at
        assert due is not None and due > clock.now
        assert await w.flows.simulate() == 5  # Books activity for the scheduled run to carry

        s.scheduler.start()
        await asyncio.sleep(RECHECK_MS * 3 / 1000)  # several re-checks: nothing is due yet
        assert s.scheduler.runs_started == 0 and len(c.runs) == 1

        clock.now = due + timedelta(seconds=5)  # the clock reaches the slot (as after a sleep)
        await until(lambda: len(c.runs) == 2 and not c.running, what="the scheduled run")
        run = c.runs[0]
        assert run.trigger == RunTrigger.SCHEDULED and run.status == RunStatus.COMPLETED, run
        assert run.counts.total >= 5 and run.started_at == clock.now
        assert w.last_error is None, w.last_error

        # what a user sees: the history's newest row, a completed scheduled run
        model = w.detail.history_model
        assert model.rowCount() == 2
        assert model.index(0, STATUS).data() == "Completed"
        assert model.index(0, DETAILS).data() == "Incremental run, scheduled"
        assert int(model.index(0, TOTAL).data()) >= 5

        # the next run moved to the following slot, and the window does not run again meanwhile
        assert c.sync.next_run_at > clock.now
        await asyncio.sleep(RECHECK_MS * 3 / 1000)
        assert s.scheduler.runs_started == 1 and len(c.runs) == 2
        assert s.scheduler.due_timer.isActive()  # armed for the next slot

    run_in(scenario)


def _settings(view, schedule: Schedule) -> tuple[SyncSettings, list[MappingRow]]:
    settings = SyncSettings(list_key=view.list_key, list_name=view.list_name,
                            subscription_type=view.subscription_type, topic_ids=tuple(view.topic_ids),
                            lawful_basis=view.lawful_basis, update_empty=view.update_empty, gdpr=view.gdpr,
                            schedule=schedule)
    return settings, list(view.mapping)


def test_editing_the_schedule_recomputes_the_next_run(clocked, run_in):
    s, clock = clocked
    c = s.controller
    zone = config.local_zone()

    async def scenario():
        await set_up_sync(s)
        weekly = Schedule.weekly("wed", "09:00")
        view = await c.save_sync(*_settings(c.sync, weekly), editing=True)
        assert view.next_run_at == next_run(weekly, clock.now, zone)

        clock.now += timedelta(minutes=7)
        hourly = Schedule.every(1)
        view = await c.save_sync(*_settings(c.sync, hourly), editing=True)
        # weekly → hourly: the next run is within the hour, not at the weekly slot
        assert view.next_run_at == next_run(hourly, clock.now, zone)
        assert view.next_run_at - clock.now <= timedelta(hours=1)
        stored = await c.call(c.service.sync)
        assert stored.next_run_at == view.next_run_at and stored.schedule_spec == "every-1h"

        # an edit that keeps the schedule keeps the next run (a backoff or a slot is not reset)
        clock.now += timedelta(minutes=3)
        view = await c.save_sync(*_settings(c.sync, hourly), editing=True)
        assert view.next_run_at == stored.next_run_at

    run_in(scenario)


class _Unstartable:
    """A service whose sync is due but whose run cannot start (no run row to back off from)."""

    def __init__(self) -> None:
        self.attempts = 0
        self.view = SimpleNamespace(paused=False, next_run_at=None, topic_names=("t",), topic_ids=())

    def connection(self):
        return SimpleNamespace()

    def sync(self):
        return self.view

    def runs(self):
        return []

    def background_schedule(self):
        return ""

    def notifications(self):
        return []

    def consent(self):
        return None

    def is_due(self, now):
        return True

    def run_sync(self, **kwargs):
        self.attempts += 1
        raise ServiceError("The saved sign-in for Zoho is missing from the keyring.", title="Reconnect to Zoho")


def test_a_scheduled_run_that_cannot_start_backs_off_and_says_so_once(loop, run_in):
    from desktop_app.gui.controller import Controller
    from desktop_app.gui.scheduler import Scheduler

    service, clock = _Unstartable(), Clock()
    controller = Controller(service)
    errors: list[tuple[str, str]] = []
    controller.error.connect(lambda title, message: errors.append((title, message)))
    scheduler = Scheduler(controller, clock=clock, recheck_ms=60_000)

    async def scenario():
        await controller.refresh()
        scheduler.start()
        await until(lambda: scheduler.start_failures == 1 and not controller.running, what="first attempt")
        assert scheduler.blocked_until == clock.now + timedelta(minutes=15)
        for _ in range(3):  # re-checks inside the pause start nothing
            scheduler.check()
            await asyncio.sleep(0.05)
        assert service.attempts == 1
        clock.now += timedelta(minutes=16)
        scheduler.check()
        await until(lambda: scheduler.start_failures == 2 and not controller.running, what="second attempt")
        assert scheduler.blocked_until == clock.now + timedelta(minutes=30) and service.attempts == 2
        assert len(errors) == 1 and errors[0][0] == "Reconnect to Zoho"  # said once, not per attempt
        await controller.jobs.drain()

    try:
        run_in(scenario)
    finally:
        scheduler.stop()
        scheduler.deleteLater()
        controller.deleteLater()
        flush_deletes()
