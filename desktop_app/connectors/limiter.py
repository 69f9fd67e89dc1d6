"""One client-side rate limiter for every Zoho endpoint family (SPEC R23).

Sliding windows built from ``domain.limits.LIMITS``, each allowing ``SAFETY_MARGIN`` of the
documented calls, so the server's own window (fixed or sliding, measured a little later than we
measure) is never exceeded and a Campaigns lockout never happens in normal operation. Windows of
a day or more are never slept through: the caller gets ``DailyCapReached`` and defers the run.
Shared by all threads; ``slot`` bounds how many calls of a family are in flight.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desktop_app import config
from desktop_app.connectors.errors import DailyCapReached, Locked
from desktop_app.domain.limits import DAY, DEFAULT_BOOKS_PLAN, LIMITS, Limit, books_daily_limit

# The one safety margin: we allow ourselves 90 % of each documented window.
SAFETY_MARGIN = 0.9


def allowed_calls(documented: int) -> int:
    """Calls we allow ourselves in a window Zoho documents as ``documented``."""
    return max(1, math.floor(documented * SAFETY_MARGIN))


@dataclass
class _Window:
    capacity: int
    seconds: float
    daily: bool  # a day-long (or longer) window: never slept through
    stamps: deque


class Limiter:
    """``acquire(family, key)`` blocks until all of the family's windows allow one more call."""

    def __init__(self, scale: float = 1.0, enabled: bool = True, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 books_plan: str = DEFAULT_BOOKS_PLAN,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if scale <= 0:
            raise ValueError("The limiter scale must be greater than 0.")
        self.scale = scale
        self.enabled = enabled
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], list[_Window]] = {}
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._calls: Counter[str] = Counter()
        self._waited: Counter[str] = Counter()
        self._limits: dict[str, Limit] = dict(LIMITS)
        self._locked: dict[str, tuple[float, datetime]] = {}  # family → (clock until, wall until)
        self._unknown_at: float | None = None  # clock time since when earlier usage is unknown
        self.books_plan = books_plan

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
                window = _Window(allowed_calls(w.calls), w.seconds, daily=w.seconds * self.scale >= DAY,
                                 stamps=deque())
                if self._unknown_at is not None and not window.daily:
                    # Unknown earlier usage: assume the window was filled then, so it is waited out.
                    window.stamps.extend([self._unknown_at] * window.capacity)
                out.append(window)
        return out

    # ------------------------------------------------------------------ acquiring

    def try_acquire(self, family: str, key: str = "") -> float:
        """Take a call if every window allows it (→ 0.0), else the seconds to wait (nothing taken).

        Raises DailyCapReached when a day-long window is full.
        """
        with self._lock:
            held = self._locked.get(family)
            if held is not None:
                if self._clock() < held[0]:
                    # Zoho locked this family: calling again could only extend the lock.
                    raise Locked(family, held[1])
                del self._locked[family]
        if not self.enabled:
            with self._lock:
                self._calls[family] += 1
            return 0.0
        with self._lock:
            windows = self._windows.get((family, key))
            if windows is None:
                windows = self._windows[(family, key)] = self._build(family)
            now = self._clock()
            wait = 0.0
            for w in windows:
                while w.stamps and w.stamps[0] <= now - w.seconds:
                    w.stamps.popleft()
                if len(w.stamps) >= w.capacity:
                    until = w.stamps[0] + w.seconds - now
                    if w.daily:
                        raise DailyCapReached(self._wall() + timedelta(seconds=until))
                    wait = max(wait, until)
            if wait > 0:
                return wait
            for w in windows:
                w.stamps.append(now)
            self._calls[family] += 1
            return 0.0

    # ------------------------------------------------------------------ across processes

    def snapshot(self) -> dict:
        """The calls still inside their windows (and Zoho's locks), in wall-clock seconds.

        The run lock keeps runs one at a time, but a run killed and restarted, or two runs within
        the hour, must still respect the hourly and daily windows the first one used: the service
        saves this next to the database and ``restore``s it into the next process's limiter.
        """
        with self._lock:
            now, wall = self._clock(), self._wall().timestamp()
            families = {}
            for (family, key), windows in self._windows.items():
                longest = max(windows, key=lambda w: w.seconds)
                buckets = Counter(round(wall - (now - t), 1) for t in longest.stamps)
                if buckets:
                    families.setdefault(family, {})[key] = sorted(buckets.items())
            locks = {f: until.timestamp() for f, (c, until) in self._locked.items() if c > now}
            return {"scale": self.scale, "saved_at": wall, "calls": families, "locks": locks}

    def assume_unknown_usage(self, since: datetime | None = None) -> None:
        """Earlier usage cannot be known (a damaged usage file): treat every window as full at
        ``since`` (default now), so each is waited out once instead of risking Zoho's lock.

        Day-long windows are not filled (that would stop the app for a day on a guess).
        """
        with self._lock:
            now, wall = self._clock(), self._wall()
            at = now - max(0.0, (wall - since).total_seconds()) if since is not None else now
            self._unknown_at = at
            for windows in self._windows.values():
                for w in windows:
                    if not w.daily:
                        w.stamps = deque(sorted([*w.stamps, *[at] * w.capacity]))

    def restore(self, data: dict) -> None:
        """Load a ``snapshot`` of an earlier process (ignored when taken at another scale)."""
        if not isinstance(data, dict) or data.get("scale") != self.scale:
            return
        with self._lock:
            now, wall = self._clock(), self._wall().timestamp()
            for family, keys in (data.get("calls") or {}).items():
                if family not in self._limits and family != "books":
                    continue
                for key, buckets in keys.items():
                    windows = self._windows.get((family, key)) or self._build(family)
                    for stamp, count in buckets:
                        age = wall - float(stamp)
                        if age < 0:
                            continue
                        for w in windows:
                            if age < w.seconds:
                                w.stamps.extend([now - age] * int(count))
                    for w in windows:
                        w.stamps = deque(sorted(w.stamps))
                    self._windows[(family, key)] = windows
            for family, until in (data.get("locks") or {}).items():
                left = float(until) - wall
                if left > 0:
                    self._locked[family] = (now + left, datetime.fromtimestamp(float(until), UTC))

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

    @contextmanager
    def slot(self, family: str) -> Iterator[None]:
        """Bounded concurrency: at most the family's ``concurrency`` calls in flight."""
        base = self._limits.get(family)
        if not self.enabled or base is None or not base.concurrency:
            with nullcontext():
                yield
            return
        with self._lock:
            sem = self._semaphores.get(family)
            if sem is None:
                sem = self._semaphores[family] = threading.BoundedSemaphore(base.concurrency)
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


# ---------------------------------------------------------------------- the usage file


def restore_usage(limiter: Limiter, path: Path) -> bool:
    """Load the usage file (``Limiter.snapshot`` of earlier processes) into ``limiter``.

    Missing: nothing was used. Unreadable or malformed: a warning naming the file, the damaged
    file is kept as ``<name>.damaged`` (never overwritten blind) and the usage counts as unknown,
    so the limiter waits out one window from the file's last change. Returns False then.
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
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        limiter.restore(data)
    except (ValueError, TypeError, KeyError, AttributeError):
        _unknown_usage(limiter, path, "is damaged (not the JSON the app writes)", mtime)
        with contextlib.suppress(OSError):
            keep = path.with_name(path.name + ".damaged")
            os.replace(path, keep)
            config.private_file(keep)
        return False
    return True


def _unknown_usage(limiter: Limiter, path: Path, what: str, since: datetime | None) -> None:
    config.warn_user(f"The API usage file {path} {what}; the calls made before are unknown, so the app waits out "
                     "one rate-limit window before calling Zoho at full pace.", once_key=str(path))
    limiter.assume_unknown_usage(since)


def save_usage(limiter: Limiter, path: Path) -> None:
    """Write the limiter's snapshot atomically (0600). A full disk is logged, never raised."""
    try:
        config.write_private(Path(path), json.dumps(limiter.snapshot()))
    except OSError as exc:  # a full disk must not fail the run; the limiter still works in memory
        logging.getLogger(__name__).warning("could not save API usage to %s: %s", path, exc)
