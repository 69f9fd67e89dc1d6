"""One client-side rate limiter for every Zoho endpoint family (SPEC R23; issue 10 item 2).

Budget: each documented window allows ``documented − calls in flight − RESERVE`` calls
(``allowed_calls``), not a percentage: the client records a call just before it is sent, so the
server can see at most the calls then in flight on top of what the client counted (its window
may be fixed or sliding, measured a little later than ours). ``slot`` bounds the calls in
flight of each family to the number the budget assumes.

Shared: with a ``UsageLedger`` (``attach``; the app's is ``store.usage.SqlUsageLedger``) every
call is recorded there *before* it is sent, in one transaction with the check of what every
other process recorded, so a kill -9, a SIGTERM or a second process (the window and ``sync
run``) can never push Zoho over a window. Zoho's locks are shared the same way.

Paced: calls of a family with a large window are spaced evenly over its shortest window (GCRA,
a burst of at most the calls in flight) instead of a burst of the whole window, then a wait.
Windows of a day or more are not slept through (the caller gets ``DailyCapReached``), unless
their next call frees within ``DAILY_SLEEP``.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from desktop_app import config
from desktop_app.connectors.errors import DailyCapReached, Locked
from desktop_app.domain.eta import Eta, finish_after
from desktop_app.domain.limits import (
    DAY,
    DEFAULT_BOOKS_PLAN,
    LIMITS,
    UNKNOWN_FAMILY,
    Limit,
    Use,
    Window,
    books_daily_limit,
    unknown_usage,
)

# Kept back from every window on top of the calls in flight.
RESERVE = 1
# The most calls of a family in flight at once (recorded, not yet received by Zoho); ``slot``
# enforces it, so a call over it waits for a slot instead of risking the window. The engine writes
# with 4 threads (engine.run.WRITE_WORKERS; a test keeps them equal) and reads Books one page at
# a time (plus one call the window may make meanwhile); everything else goes one at a time.
DEFAULT_IN_FLIGHT = 1
IN_FLIGHT = {"campaigns.listsubscribe": 4, "books": 2}
# Calls recorded by other processes count this much later than their wall-clock stamp says.
CLOCK_SKEW = 0.005
# A full day-long window is waited out in the run only when its next call frees this soon (a run
# resumed after the cap follows the calls of yesterday as they leave the window, instead of being
# deferred again for every one of them); a longer wait defers the run (DailyCapReached).
DAILY_SLEEP = 300.0
# Windows of fewer calls than this are not paced (a burst of ten token requests is no burst).
PACE_FROM = 50


def in_flight(family: str) -> int:
    return IN_FLIGHT.get(family, DEFAULT_IN_FLIGHT)


def allowed_calls(documented: int, family: str = "") -> int:
    """Calls we allow ourselves in a window Zoho documents as ``documented`` (for ``family``)."""
    return max(1, documented - in_flight(family) - RESERVE)


class UsageLedger(Protocol):
    """API usage shared by every process of the app (``store.usage.SqlUsageLedger``)."""

    def reserve(self, family: str, key: str,
                admit: Callable[[Sequence[Use], Mapping[str, float]], tuple[float, float]]) -> float:
        """In one transaction with every other process: ``admit(news, locks)`` gets the uses the
        others recorded since this ledger last looked and the locks held (family → epoch until)
        and answers (seconds to wait, epoch now); when the wait is 0 one call of (family, key) is
        recorded at that time. Returns the wait."""

    def hold(self, family: str, until: float) -> None:
        """Zoho locked ``family`` until ``until`` (epoch seconds): every process refuses it."""

    def record(self, uses: Iterable[Use]) -> int:
        """Add uses known from elsewhere (the legacy usage file, an unknown-usage marker)."""


@dataclass
class _Window:
    capacity: int
    seconds: float
    daily: bool  # a day-long (or longer) window: never slept through
    stamps: deque


@dataclass
class _Pace:
    interval: float  # seconds between calls at the budget's rate (GCRA's T)
    tolerance: float  # how far ahead of the schedule a call may go (GCRA's tau)
    tat: float = -math.inf  # theoretical arrival time of the next call


class Limiter:
    """``acquire(family, key)`` blocks until all of the family's windows allow one more call."""

    def __init__(self, scale: float = 1.0, enabled: bool = True, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 books_plan: str = DEFAULT_BOOKS_PLAN,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC),
                 ledger: UsageLedger | None = None) -> None:
        if scale <= 0:
            raise ValueError("The limiter scale must be greater than 0.")
        self.scale = scale
        self.enabled = enabled
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], list[_Window]] = {}
        self._paces: dict[tuple[str, str], _Pace | None] = {}
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._calls: Counter[str] = Counter()
        self._waited: Counter[str] = Counter()
        self._limits: dict[str, Limit] = dict(LIMITS)
        self._locked: dict[str, tuple[float, datetime]] = {}  # family → (clock until, wall until)
        self._unknown_at: float | None = None  # clock time since when earlier usage is unknown
        self._offset: float | None = None  # wall − monotonic, fixed at the first call (``_epoch``)
        self.books_plan = books_plan
        self.ledger = ledger

    def attach(self, ledger: UsageLedger) -> Limiter:
        """Share usage with every other process through ``ledger`` (before the first call)."""
        self.ledger = ledger
        return self

    # ------------------------------------------------------------------ configuration

    def limits_of(self, family: str) -> list[Limit]:
        """The documented limits that apply to ``family`` (Books adds the plan's daily cap)."""
        base = self._limits.get(family)
        if base is None:
            raise KeyError(f"No rate limit is defined for the endpoint family {family!r}")
        found = [base]
        if family == "books":
            found.append(books_daily_limit(self.books_plan))
        return found

    def set_books_plan(self, plan: str | None) -> None:
        """Switch the Books daily cap to the organization's ``plan_name`` (``GET /organizations``).

        A plan_name the table does not know (or none) gets the smallest cap (Free, 1,000).
        """
        with self._lock:
            self.books_plan = plan or ""
            for (family, _key), windows in list(self._windows.items()):
                if family == "books":
                    daily = self._build(family)
                    # Keep the calls already made in the windows that stay.
                    for new, old in zip(daily, windows, strict=False):
                        if new.seconds == old.seconds:
                            new.stamps.extend(old.stamps)
                    self._windows[(family, _key)] = daily

    def _build(self, family: str) -> list[_Window]:
        out = []
        for limit in self.limits_of(family):
            for w in limit.scaled(self.scale).windows:
                window = _Window(allowed_calls(w.calls, family), w.seconds, daily=w.seconds * self.scale >= DAY,
                                 stamps=deque())
                if self._unknown_at is not None and not window.daily:
                    # Unknown earlier usage: assume the window was filled then, so it is waited out.
                    window.stamps.extend([self._unknown_at] * window.capacity)
                out.append(window)
        return out

    def _windows_of(self, family: str, key: str) -> list[_Window]:
        windows = self._windows.get((family, key))
        if windows is None:
            windows = self._windows[(family, key)] = self._build(family)
        return windows

    def _pace_of(self, family: str, key: str, windows: list[_Window]) -> _Pace | None:
        if (family, key) not in self._paces:
            short = [w for w in windows if not w.daily and w.capacity >= PACE_FROM]
            if short:
                w = min(short, key=lambda w: w.seconds)
                interval = w.seconds / w.capacity
                self._paces[(family, key)] = _Pace(interval, interval * in_flight(family))
            else:
                self._paces[(family, key)] = None
        return self._paces[(family, key)]

    def eta(self, family: str, work: int, key: str = "", *, rate: float | None = None) -> Eta:
        """How long ``work`` more calls of ``family`` take from now at this limiter's budgets, after
        the calls it has counted (its own and those other processes recorded that it has seen)."""
        with self._lock:
            windows = self._windows_of(family, key)
            now = self._clock()
            budgets = [Window(w.capacity, w.seconds) for w in windows]
            longest = max(windows, key=lambda w: w.seconds)
            recent = [now - t for t in longest.stamps if now - t < longest.seconds]
        eta = finish_after(work, budgets, recent, rate=rate)
        if eta.binding is None:
            return eta
        documented = {w.seconds: w.calls for lim in self.limits_of(family) for w in lim.scaled(self.scale).windows}
        return replace(eta, binding=Window(documented.get(eta.binding.seconds, eta.binding.calls),
                                           eta.binding.seconds))

    # ------------------------------------------------------------------ acquiring

    def try_acquire(self, family: str, key: str = "") -> float:
        """Take a call if every window allows it (→ 0.0), else the seconds to wait (nothing taken).

        With a ledger the call is recorded there before this returns 0. Raises DailyCapReached
        when a day-long window is full, Locked while Zoho locks the family.
        """
        with self._lock:
            self._check_held(family, self._clock())
        if not self.enabled:
            with self._lock:
                self._calls[family] += 1
            return 0.0
        with self._lock:
            if self.ledger is None:
                return self._admit(family, key, (), {})[0]
            return self.ledger.reserve(family, key, lambda news, locks: self._admit(family, key, news, locks))

    def _check_held(self, family: str, now: float) -> None:
        held = self._locked.get(family)
        if held is not None:
            if now < held[0]:
                # Zoho locked this family: calling again could only extend the lock.
                raise Locked(family, held[1])
            del self._locked[family]

    def _admit(self, family: str, key: str, news: Sequence[Use],
               locks: Mapping[str, float]) -> tuple[float, float]:
        """(seconds to wait, wall now); takes the call when the wait is 0. Under ``_lock``."""
        now = self._clock()
        wall = self._epoch(now)
        self._absorb(news, locks, now, wall)
        self._check_held(family, now)
        windows = self._windows_of(family, key)
        wait = 0.0
        for w in windows:
            while w.stamps and w.stamps[0] <= now - w.seconds:
                w.stamps.popleft()
            if len(w.stamps) >= w.capacity:
                until = w.stamps[0] + w.seconds - now
                if w.daily and until > DAILY_SLEEP / self.scale:
                    raise DailyCapReached(self._wall() + timedelta(seconds=until))
                wait = max(wait, until)
        pace = self._pace_of(family, key, windows)
        if pace is not None:
            wait = max(wait, pace.tat - pace.tolerance - now)
        if wait > 0:
            return wait, wall
        for w in windows:
            w.stamps.append(now)
        if pace is not None:
            pace.tat = max(pace.tat, now) + pace.interval
        self._calls[family] += 1
        return 0.0, wall

    def _epoch(self, now: float) -> float:
        """The wall-clock time (epoch seconds) of the monotonic ``now``, through one offset fixed at
        the first call: the calls this process records and the ones it checks them against stay
        on one timeline (reading the two clocks per call would jitter by microseconds at the
        edge of a window). Under ``_lock``."""
        if self._offset is None:
            self._offset = self._wall().timestamp() - now
        return now + self._offset

    def _absorb(self, news: Iterable[Use], locks: Mapping[str, float], now: float, wall: float) -> None:
        """Take in what other processes recorded (``news``) and the locks they saw. Under ``_lock``."""
        for use in news:
            # A call stamped a hair after our "now" (another process's clocks, float rounding)
            # was made now: it counts in full.
            age = max(0.0, wall - use.at)
            if use.family == UNKNOWN_FAMILY:
                self._fill_unknown(now - age)
                continue
            if use.family not in self._limits:
                continue
            for w in self._windows_of(use.family, use.key):
                if age < w.seconds:
                    # Another process's clock pair (wall, monotonic) is read a little apart from
                    # ours: its calls count a hair later, so a window edge is never shared.
                    stamp = now - age + CLOCK_SKEW
                    if not w.stamps or w.stamps[-1] <= stamp:
                        w.stamps.extend([stamp] * use.calls)
                    else:
                        for _ in range(use.calls):
                            bisect.insort(w.stamps, stamp)
        for family, until in locks.items():
            left = float(until) - wall
            if left > 0:
                self._locked[family] = (now + left, datetime.fromtimestamp(float(until), UTC))

    def _fill_unknown(self, at: float) -> None:
        self._unknown_at = at if self._unknown_at is None else max(self._unknown_at, at)
        for windows in self._windows.values():
            for w in windows:
                if not w.daily:
                    w.stamps = deque(sorted([*w.stamps, *[at] * w.capacity]))

    # ------------------------------------------------------------------ across processes

    def assume_unknown_usage(self, since: datetime | None = None) -> None:
        """Earlier usage cannot be known (a damaged usage file): treat every window as full at
        ``since`` (default now), so each is waited out once instead of risking Zoho's lock.

        Day-long windows are not filled (that would stop the app for a day on a guess). With a
        ledger every process is told.
        """
        with self._lock:
            now, wall = self._clock(), self._wall()
            at = now - max(0.0, (wall - since).total_seconds()) if since is not None else now
            self._fill_unknown(at)
            stamp = (since or wall).timestamp()
        if self.ledger is not None:
            self.ledger.record([unknown_usage(stamp)])

    def restore(self, data: dict) -> None:
        """Load usage saved by an older version of the app (``api-usage.json``; ignored when taken
        at another scale). With a ledger it goes there, for every process to see."""
        uses, locks = usage_of_snapshot(data, self.scale)
        with self._lock:
            now, wall = self._clock(), self._wall().timestamp()
            self._absorb(uses, locks, now, wall)
        if self.ledger is not None:
            self.ledger.record(uses)
            for family, until in locks.items():
                self.ledger.hold(family, until)

    def acquire(self, family: str, key: str = "") -> None:
        """Block until one call of ``family`` (for ``key``, e.g. the organization) is allowed."""
        while True:
            wait = self.try_acquire(family, key)
            if wait <= 0:
                return
            with self._lock:
                self._waited[family] += 1
            # A hair over the exact moment, so the next try finds the slot free.
            self._sleep(wait + 0.001)

    def hold(self, family: str, until: datetime) -> None:
        """Zoho answered "locked until ``until``": refuse the family's calls locally until then."""
        seconds = max(0.0, (until - self._wall()).total_seconds())
        with self._lock:
            self._locked[family] = (self._clock() + seconds, until)
        if self.ledger is not None:
            self.ledger.hold(family, until.timestamp())

    @contextmanager
    def slot(self, family: str) -> Iterator[None]:
        """Bounded concurrency: at most the calls in flight the budget assumes (``in_flight``), and
        never more than Zoho's documented ``concurrency``. Take it *before* ``acquire``, so a call
        recorded is a call about to be sent."""
        base = self._limits.get(family)
        if not self.enabled or base is None:
            with nullcontext():
                yield
            return
        with self._lock:
            sem = self._semaphores.get(family)
            if sem is None:
                size = min(in_flight(family), base.concurrency or in_flight(family))
                sem = self._semaphores[family] = threading.BoundedSemaphore(size)
        with sem:
            yield

    def stats(self) -> dict[str, int]:
        """Calls allowed per family since this limiter was built."""
        with self._lock:
            return dict(self._calls)

    def waits(self) -> dict[str, int]:
        """How often a family had to wait for its window (for benchmarks and the run report)."""
        with self._lock:
            return dict(self._waited)


# ---------------------------------------------------------------------- the legacy usage file


def usage_of_snapshot(data: dict, scale: float) -> tuple[list[Use], dict[str, float]]:
    """The uses and locks of an ``api-usage.json`` written by an older version (nothing when it
    was taken at another scale). Raises ValueError/TypeError/KeyError when it is malformed."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("scale") != scale:
        return [], {}
    uses = [Use(str(family), str(key), float(stamp), int(count))
            for family, keys in (data.get("calls") or {}).items()
            for key, buckets in keys.items() for stamp, count in buckets]
    locks = {str(f): float(until) for f, until in (data.get("locks") or {}).items()}
    return uses, locks


def restore_usage(limiter: Limiter, path: Path) -> bool:
    """Take in the usage file an older version of the app kept (``api-usage.json``), once.

    Missing: nothing to take. Read: its calls go to the limiter (and its ledger, for every
    process), then the file is removed. Unreadable or malformed: a warning naming the file, the
    damaged file is kept as ``<name>.damaged`` (never overwritten blind) and the usage counts as
    unknown, so the limiter waits out one window from the file's last change. Returns False then.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return True
    except OSError as exc:
        _unknown_usage(limiter, path, f"could not be read ({exc.strerror or exc})", None)
        return False
    try:
        limiter.restore(json.loads(raw.decode("utf-8")))
    except (ValueError, TypeError, KeyError, AttributeError):
        _unknown_usage(limiter, path, "is damaged (not the JSON the app writes)", mtime)
        with contextlib.suppress(OSError):
            keep = path.with_name(path.name + ".damaged")
            os.replace(path, keep)
            config.private_file(keep)
        return False
    if limiter.ledger is not None:
        with contextlib.suppress(OSError):
            path.unlink()  # the ledger holds it now
    return True


def _unknown_usage(limiter: Limiter, path: Path, what: str, since: datetime | None) -> None:
    config.warn_user(f"The API usage file {path} {what}; the calls made before are unknown, so the app waits out "
                     "one rate-limit window before calling Zoho at full pace.", once_key=str(path))
    limiter.assume_unknown_usage(since)
