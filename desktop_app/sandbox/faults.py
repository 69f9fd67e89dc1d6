"""Fault injection: which calls fail, and how.

A rule matches by rate (seeded RNG, so a run is repeatable), by exact global call numbers, or for
the next ``count`` matching calls, optionally narrowed to a service and a path fragment. A
faulted call does NOT apply its effect (a write answered 500 did not happen) unless the rule
says ``applied: true`` (the effect happens, then the answer fails: for idempotency tests).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

KINDS = ("5xx", "timeout", "429", "malformed", "truncated", "token_expiry")


@dataclass
class FaultRule:
    kind: str
    rate: float = 0.0
    calls: frozenset[int] = frozenset()
    count: int = 0  # the next ``count`` matching calls (0: not used)
    service: str | None = None  # accounts | books | campaigns
    path_contains: str | None = None
    applied: bool = False
    status: int = 500  # for 5xx: 500 or 503
    fired: int = field(default=0)

    def matches(self, n: int, service: str, path: str, rng: random.Random) -> bool:
        if self.service and self.service != service:
            return False
        if self.path_contains and self.path_contains not in path:
            return False
        if self.calls:
            return n in self.calls
        if self.count:
            return self.fired < self.count
        return self.rate > 0 and rng.random() < self.rate


def parse_rule(data: dict) -> FaultRule:
    """A rule from the admin API's JSON; ValueError with a usable message on bad input."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    kind = str(data.get("kind", ""))
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    try:
        rate = float(data.get("rate", 0) or 0)
        calls = frozenset(int(c) for c in (data.get("calls") or ()))
        count = int(data.get("count", 0) or 0)
        status = int(data.get("status", 500) or 500)
    except (TypeError, ValueError):
        raise ValueError("rate must be a number, calls a list of integers, count an integer") from None
    if not 0 <= rate <= 1:
        raise ValueError("rate must be between 0 and 1")
    if not (rate or calls or count):
        raise ValueError("give rate, calls or count")
    service = data.get("service")
    if service not in (None, "accounts", "books", "campaigns"):
        raise ValueError("service must be accounts, books or campaigns")
    if status not in (500, 502, 503, 504):
        raise ValueError("status must be 500, 502, 503 or 504")
    path = data.get("path_contains")
    return FaultRule(
        kind,
        rate,
        calls,
        count,
        service,
        str(path) if path else None,
        bool(data.get("applied", False)),
        status,
    )


class Faults:
    def __init__(self, seed: int = 0, timeout_seconds: float = 30.0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.rules: list[FaultRule] = []
        self.timeout_seconds = timeout_seconds
        self.injected: Counter[str] = Counter()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self.rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, n: int, service: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(n, service, path, self._rng):
                    rule.fired += 1
                    self.injected[rule.kind] += 1
                    return rule
        return None

    def describe(self) -> list[dict]:
        with self._lock:
            return [
                {
                    "kind": r.kind,
                    "rate": r.rate,
                    "calls": sorted(r.calls),
                    "count": r.count,
                    "service": r.service,
                    "path_contains": r.path_contains,
                    "applied": r.applied,
                    "fired": r.fired,
                }
                for r in self.rules
            ]
