"""Enforces domain/limits.py's table the way Zoho does: sliding windows, lock periods, counters.

A call is counted when it is let through. When a call would exceed any window of its family:
Campaigns families lock for ``lock_seconds`` (every call of the family is refused until then);
Books (no lock) refuses until the oldest call leaves the window; Accounts' token requests are
blocked for the rest of the window. ``scale=K`` divides windows and locks by K. Sliding windows
are the strictest reading of "N per minute" (reference §1.5: design for the strictest).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

from desktop_app.domain.limits import LIMITS, Limit, books_daily_limit, parse_limits_mode


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0  # seconds until a call would be accepted
    window: str = ""  # "minute" / "daily" / "lock": which rule refused


ALLOWED = Verdict(True)


class Limiter:
    def __init__(self, mode: str = "on", clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._log: dict[tuple[str, str, int], deque[float]] = {}
        self._locked_until: dict[tuple[str, str], float] = {}
        self._refusing: set[tuple[str, str]] = set()
        self.lockouts: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.set_mode(mode)

    def set_mode(self, mode: str) -> None:
        enabled, scale = parse_limits_mode(mode)  # ValueError on bad input
        with self._lock:
            self.mode, self.enabled, self.scale = mode, enabled, scale
            self._log.clear()
            self._locked_until.clear()
            self._refusing.clear()

    def limit_for(self, family: str, books_plan: str = "premium") -> Limit:
        base = books_daily_limit(books_plan) if family == "books.daily" else LIMITS[family]
        return base.scaled(self.scale)

    def check(self, family: str, key: str = "", *, books_plan: str = "premium") -> Verdict:
        """Count one call of ``family`` (per ``key``, e.g. an organization) or refuse it."""
        if not self.enabled:
            return ALLOWED
        limit = self.limit_for(family, books_plan)
        now = self._clock()
        with self._lock:
            until = self._locked_until.get((family, key), 0.0)
            if until > now:
                self.refusals[family] += 1
                return Verdict(False, until - now, "lock")
            logs = []
            for idx, window in enumerate(limit.windows):
                log = self._log.setdefault((family, key, idx), deque())
                horizon = now - window.seconds
                while log and log[0] <= horizon:
                    log.popleft()
                if len(log) >= window.calls:
                    self.refusals[family] += 1
                    if limit.lock_seconds > 0:
                        self._locked_until[(family, key)] = now + limit.lock_seconds
                        self.lockouts[family] += 1
                        return Verdict(False, limit.lock_seconds, "lock")
                    # No lock period: refused until the oldest call of the window expires; a run of
                    # refusals counts as one lockout.
                    if (family, key) not in self._refusing:
                        self._refusing.add((family, key))
                        self.lockouts[family] += 1
                    wait = log[0] + window.seconds - now
                    return Verdict(
                        False,
                        max(wait, 0.001),
                        "daily" if window.seconds >= 86_400 / self.scale else "minute",
                    )
                logs.append(log)
            self._refusing.discard((family, key))
            for log in logs:
                log.append(now)
        return ALLOWED

    def locked(self) -> dict[str, float]:
        """Families locked right now → seconds left (for stats)."""
        now = self._clock()
        with self._lock:
            return {
                f"{f}:{k}" if k else f: round(u - now, 3)
                for (f, k), u in self._locked_until.items()
                if u > now
            }
