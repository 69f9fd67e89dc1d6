"""Runs the sync when due while the app is open (R31), with plain QTimers (no sleep-blind timers):

- a single-shot timer to the next due time, clamped below 2**31-1 ms (QTimer's int limit);
- a 15-minute re-check, which also catches a wake from sleep;
- a wall-clock gap check: if the re-check fires much later than planned, the machine slept, and a
  missed run runs once (not once per missed slot): ``is_due`` is a single yes/no.
The clock is injectable for tests; the service answers whether a run is due.

A run that fails moves the sync's ``next_run_at`` by the backoff (engine, from the run history,
so it survives a restart). A run that cannot even start (no row to learn from) backs off here,
in memory, by the same policy (``domain.schedule.retry_delay``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.domain.run import RunTrigger
from desktop_app.domain.schedule import retry_delay

log = logging.getLogger(__name__)

MAX_TIMER_MS = 2**31 - 2
RECHECK_MS = 15 * 60 * 1000
GAP_FACTOR = 2  # a re-check later than twice its period means the machine slept


def clamp_ms(ms: float) -> int:
    return int(max(0, min(ms, MAX_TIMER_MS)))


class Scheduler(QObject):
    woke = Signal()  # a wall-clock gap was seen (sleep/hibernate)

    def __init__(self, controller, clock: Callable[[], datetime] | None = None,
                 recheck_ms: int = RECHECK_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.clock = clock or (lambda: datetime.now(UTC))
        self.recheck_ms = recheck_ms
        self.due_timer = QTimer(self)
        self.due_timer.setSingleShot(True)
        self.due_timer.timeout.connect(self.check)
        self.recheck = QTimer(self)
        self.recheck.setInterval(recheck_ms)
        self.recheck.timeout.connect(self._recheck)
        self._last_tick: datetime | None = None
        self.runs_started = 0
        self.start_failures = 0  # scheduled runs in a row that could not start
        self.blocked_until: datetime | None = None
        controller.sync_changed.connect(self.plan)

    def start(self) -> None:
        """Start the timers and run a missed run once, now (R31)."""
        self._last_tick = self.clock()
        self.recheck.start()
        self.check()

    def stop(self) -> None:
        self.due_timer.stop()
        self.recheck.stop()

    def plan(self, sync) -> None:
        """Arm the single-shot timer for the sync's next run."""
        self.due_timer.stop()
        if sync is None or sync.paused or sync.next_run_at is None or not self.recheck.isActive():
            return
        ms = (sync.next_run_at - self.clock()).total_seconds() * 1000
        self.due_timer.start(clamp_ms(ms + 1000))  # a second late rather than a hair early

    def _recheck(self) -> None:
        now = self.clock()
        if self._last_tick is not None and (now - self._last_tick).total_seconds() * 1000 > \
                GAP_FACTOR * self.recheck_ms:
            log.info("wall-clock gap of %s: the machine slept", now - self._last_tick)
            self.woke.emit()
        self._last_tick = now
        self.check()

    def check(self) -> None:
        c = self.controller
        if c.running or c.sync is None:
            return
        if self.blocked_until is not None and self.clock() < self.blocked_until:
            return
        c.jobs.spawn(self._run_if_due())

    async def _run_if_due(self) -> None:
        c = self.controller
        try:
            due = await c.is_due(self.clock())
        except Exception as exc:  # a locked DB or a missing sync: try again at the next check
            log.warning("schedule check failed: %s", exc)
            return
        if due and not c.running:
            self.runs_started += 1
            outcome = await c.run_now(RunTrigger.SCHEDULED)
            if outcome is None:
                self.start_failures += 1
                self.blocked_until = self.clock() + retry_delay(self.start_failures)
                log.info("scheduled run could not start (%d in a row); next try after %s",
                         self.start_failures, self.blocked_until)
            else:
                self.start_failures, self.blocked_until = 0, None
