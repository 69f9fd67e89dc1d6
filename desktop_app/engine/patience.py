"""A run's patience with transient failures: the rounds of retries left after the HTTP layer's
own (5xx, timeouts, dropped connections, malformed answers, short 429s), and the retries of its
database writes while the database is busy or the disk is full. A cancel cuts a pause short."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from desktop_app.domain.errors import DatabaseBusy, DiskFull
from desktop_app.domain.zoho import MAX_TRANSIENT_WAIT, RateLimited, ZohoError, is_transient
from desktop_app.engine.progress import CancelToken

log = logging.getLogger(__name__)


class Patience:
    def __init__(self, retry_delays: Sequence[float], cancel: CancelToken,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.retry_delays = tuple(retry_delays)
        self.cancel = cancel
        self.sleep = sleep  # None: a pause that a cancel cuts short (tests record pauses instead)
        self.label: object = "?"  # the run id, for the log

    def wait_round(self, attempt: int, *errors: BaseException) -> bool:
        """Before retry round ``attempt``: False (give up) when the rounds are spent, a failure is
        not transient or the run was cancelled; else pause (growing, at least a 429's wait)."""
        if attempt >= len(self.retry_delays) or not errors or not all(is_transient(e) for e in errors):
            return False
        delay = self.retry_delays[attempt]
        now = datetime.now(UTC)
        for error in errors:
            if isinstance(error, RateLimited):
                delay = max(delay, min(MAX_TRANSIENT_WAIT, (error.resume_at - now).total_seconds()))
        log.info("sync run %s: %s; trying again in %.1fs (round %d)", self.label,
                 type(errors[0]).__name__, delay, attempt + 1)
        return self.pause(delay)

    def pause(self, seconds: float) -> bool:
        """Sleep; a cancel cuts it short. False when cancelled."""
        if self.sleep is not None:
            self.sleep(seconds)
            return not self.cancel.cancelled
        deadline = time.monotonic() + seconds
        while not self.cancel.cancelled:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(0.2, left))
        return not self.cancel.cancelled

    def again(self, fn, *args, **kwargs):
        """A call to Zoho outside the batches, tried again on transient failures (a few rounds)."""
        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except ZohoError as exc:
                if not self.wait_round(attempt, exc):
                    raise
                attempt += 1

    def store(self, fn, *args, **kwargs):
        """A write to the app's database, tried again while it is busy or the disk is full."""
        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except (DiskFull, DatabaseBusy) as exc:
                if attempt >= len(self.retry_delays):
                    raise
                log.warning("sync run %s: the database write failed (%s); trying again",
                            self.label, type(exc).__name__)
                (self.sleep or time.sleep)(self.retry_delays[attempt])  # what was done must be saved
                attempt += 1
