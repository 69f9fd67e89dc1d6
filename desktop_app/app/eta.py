"""When will it finish? The ETA of a run and of a first sync (SPEC R40), from the limiter's
documented windows, what they already hold, and the run's own pace (``domain.eta``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, tzinfo

from desktop_app.connectors.books import PER_PAGE
from desktop_app.connectors.limiter import Limiter
from desktop_app.domain.eta import Eta, eta_sentence
from desktop_app.domain.run import Phase
from desktop_app.engine.progress import Progress

WRITES = "campaigns.listsubscribe"
RECOMPUTE_SECONDS = 5.0  # a run reports every batch; the ETA is worked out again at most this often
STEADY_AFTER = 200  # customers planned before the run's own write ratio and pace are trusted


def estimate(limiter: Limiter, books_key: str, *, writes: int, pages: int, rate: float | None = None) -> Eta:
    """The later of the writes (Campaigns' windows) and the Books pages (Books' windows and daily cap)."""
    write_eta = limiter.eta(WRITES, writes, rate=rate)
    read_eta = limiter.eta("books", pages, books_key)
    return write_eta if write_eta.seconds >= read_eta.seconds else replace(read_eta, work=writes)


def first_sync_sentence(limiter: Limiter, books_key: str, writes: int, customers: int, now: datetime,
                        zone: tzinfo, *, floor: bool = False) -> str:
    """For the disclaimer: "At Zoho's limits, about 89,000 writes; Zoho allows 75,000 a day: …"."""
    eta = estimate(limiter, books_key, writes=writes, pages=math.ceil(customers / PER_PAGE))
    return "At Zoho's API limits: " + eta_sentence(eta, now, zone, floor=floor) + "."


class RunEta:
    """Wraps a run's progress sink: each READING/WRITING report gets ``eta`` and ``eta_text``."""

    def __init__(self, limiter: Limiter | None, books_key: str, expected: int | None,
                 clock: Callable[[], datetime], zone: tzinfo, sink: Callable[[Progress], None]) -> None:
        self.limiter = limiter
        self.books_key = books_key
        self.expected = expected or 0  # customers the run is expected to go through (None: unknown)
        self.clock = clock
        self.zone = zone
        self.sink = sink
        self._started = time.monotonic()
        self._last: tuple[float, datetime | None, str] | None = None

    def __call__(self, p: Progress) -> None:
        if self.limiter is not None and p.phase in (Phase.READING, Phase.WRITING):
            eta, text = self._eta(p)
            p = replace(p, eta=eta, eta_text=text)
        self.sink(p)

    def _eta(self, p: Progress) -> tuple[datetime | None, str]:
        now_mono = time.monotonic()
        if self._last is not None and now_mono - self._last[0] < RECOMPUTE_SECONDS:
            return self._last[1], self._last[2]
        total = p.total or max(self.expected, p.read, p.done)
        if not total:
            return None, ""
        # Still reading past what was expected (or nothing was): the work is only a floor.
        floor = not p.total and p.read >= self.expected
        c = p.counts
        written = c.added + c.updated + c.awaiting
        steady = p.done >= STEADY_AFTER
        per_customer = written / p.done if steady else 1.0
        elapsed = now_mono - self._started
        rate = written / elapsed if steady and written and elapsed > 10 else None
        left = max(0, total - p.done)
        writes = math.ceil(left * per_customer)
        pages = 0 if p.total else math.ceil(max(0, total - p.read) / PER_PAGE)
        assert self.limiter is not None
        eta = estimate(self.limiter, self.books_key, writes=writes, pages=pages, rate=rate)
        now = self.clock()
        text = "" if math.isinf(eta.seconds) else eta_sentence(eta, now, self.zone, floor=floor)
        finish = None if math.isinf(eta.seconds) or floor else eta.at(now)
        self._last = (now_mono, finish, text)
        return finish, text
