"""The call log: every API and admin call, numbered, with secrets redacted."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

SECRET_PARAMS = frozenset(
    {"client_secret", "refresh_token", "access_token", "code", "code_verifier", "token"}
)
MAX_ENTRIES = 250_000  # enough for a 100k benchmark run; older entries fall off


@dataclass(frozen=True)
class Call:
    n: int
    time: float
    method: str
    service: str
    path: str
    params: dict[str, str]
    status: int
    code: str

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "time": self.time,
            "method": self.method,
            "service": self.service,
            "path": self.path,
            "params": self.params,
            "status": self.status,
            "code": self.code,
        }


def redact(params: dict[str, str]) -> dict[str, str]:
    return {k: ("***" if k in SECRET_PARAMS else v) for k, v in params.items()}


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = 0
        self._calls: deque[Call] = deque(maxlen=MAX_ENTRIES)
        self.by_endpoint: Counter[str] = Counter()

    def next_number(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    @property
    def last_number(self) -> int:
        return self._n

    def record(
        self, n: int, method: str, service: str, path: str, params: dict[str, str], status: int, code: str
    ) -> None:
        call = Call(n, time.time(), method, service, path, redact(params), status, code)
        with self._lock:
            self._calls.append(call)
            if service != "admin":
                self.by_endpoint[f"{method} {path}"] += 1

    def since(self, n: int) -> list[dict]:
        with self._lock:
            return [c.as_dict() for c in self._calls if c.n > n]

    def reset(self) -> None:
        with self._lock:
            self._n = 0
            self._calls.clear()
            self.by_endpoint.clear()
