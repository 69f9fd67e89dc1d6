"""The one HTTP layer: a requests.Session per service, limiter, retries, token refresh, errors.

Every call: concurrency slot → limiter window (the call is recorded) → request with timeouts → ``errors.classify``.
Transient failures (connection errors, timeouts, 5xx, 429, malformed bodies) are retried with
exponential backoff and full jitter, honouring ``Retry-After`` — reads always, writes only when
the caller says the write is idempotent. An invalid-token answer refreshes the access token and
retries (up to ``TOKEN_REFRESHES_PER_CALL`` times). Logs carry method, path, status and code
only (no query strings: they may hold tokens or contact data).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Protocol

import requests

from desktop_app.connectors.errors import (
    AuthExpired,
    Locked,
    ZohoError,
    classify,
    error_from_exception,
)
from desktop_app.connectors.limiter import Limiter

log = logging.getLogger(__name__)

# Refreshes of the access token one call may ask for when Zoho refuses its token.
TOKEN_REFRESHES_PER_CALL = 2
# A Retry-After longer than this is not slept through inside a call: the caller gets RateLimited.
MAX_RETRY_AFTER = 120.0
# Backoff of the retries inside one call (seconds); read when a service is built, so tests can
# shorten them without changing the policy.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0


def environment_session(base_url: str) -> requests.Session:
    """A session that reads the environment once: the proxy for this host (``NO_PROXY`` honoured)
    and a CA bundle named by ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``. Left to ``trust_env``,
    requests re-reads ``os.environ`` for proxies on every call: a fifth of its CPU in a sync run."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and base_url.lower().startswith("https:"):
        # Only for TLS: a path here makes requests stat it on every call (os.path.isdir), even
        # for the Sandbox's plain HTTP on 127.0.0.1 — 6 % of a sync run's samples.
        session.verify = bundle
    session.trust_env = False
    return session


class TokenProvider(Protocol):
    def access_token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...


class HttpService:
    """One Zoho service (Books or Campaigns) at ``base_url``."""

    def __init__(self, base_url: str, *, tokens: TokenProvider | None, limiter: Limiter,
                 family_of: Callable[[str, str], str], limit_key: str = "",
                 timeout: tuple[float, float] = (5, 30), retries: int = 4,
                 backoff_base: float | None = None, backoff_cap: float | None = None,
                 session: requests.Session | None = None, name: str = "",
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.limiter = limiter
        self.family_of = family_of
        self.limit_key = limit_key
        self.timeout = timeout
        self.retries = retries
        self.backoff_base = BACKOFF_BASE if backoff_base is None else backoff_base
        self.backoff_cap = BACKOFF_CAP if backoff_cap is None else backoff_cap
        self.name = name or self.base_url
        self._sleep = sleep
        self.session = session or environment_session(self.base_url)
        self._count_lock = threading.Lock()
        self._calls: Counter[str] = Counter()

    # ------------------------------------------------------------------ counters

    @property
    def calls_made(self) -> int:
        """HTTP requests sent (retries included): what the service's quota sees."""
        with self._count_lock:
            return sum(self._calls.values())

    def calls_by_family(self) -> dict[str, int]:
        with self._count_lock:
            return dict(self._calls)

    # ------------------------------------------------------------------ requests

    def get(self, path: str, params: Mapping[str, object] | None = None) -> dict:
        return self.request("GET", path, params=params, idempotent=True)

    def post(self, path: str, params: Mapping[str, object] | None = None,
             data: Mapping[str, object] | None = None, *, idempotent: bool,
             headers: Mapping[str, str] | None = None) -> dict:
        return self.request("POST", path, params=params, data=data, idempotent=idempotent,
                            headers=headers)

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter: uniform(0, min(cap, base·2^attempt)), never less than Retry-After."""
        delay = random.uniform(0, min(self.backoff_cap, self.backoff_base * (2 ** attempt)))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def _send(self, method: str, url: str, path: str, family: str, params, data,
              headers) -> tuple[ZohoError | None, dict | None, bool, bool, float | None]:
        """One attempt → (error, body, invalid_token, retryable, retry_after)."""
        with self.limiter.slot(family):
            # Recorded (shared usage) just before it is sent, inside the slot: the calls in flight
            # stay within what the budget keeps back.
            self.limiter.acquire(family, self.limit_key)
            with self._count_lock:
                self._calls[family] += 1
            try:
                resp = self.session.request(method, url, params=params, data=data,
                                            headers=headers, timeout=self.timeout)
                status, text, resp_headers = resp.status_code, resp.text, resp.headers
            except requests.RequestException as exc:
                # Includes ChunkedEncodingError (a truncated body): transient like a timeout.
                log.info("%s %s %s -> %s", self.name, method, path, type(exc).__name__)
                return error_from_exception(exc), None, False, True, None
        answer = classify(status, text, resp_headers, family=family,
                          scale=getattr(self.limiter, "scale", 1.0) or 1.0)
        code = getattr(answer.error, "code", None) or (type(answer.error).__name__ if answer.error else "ok")
        # One line per call: DEBUG when it went well (a 100,000-customer run makes 100,000 calls),
        # INFO when it did not, so the log file shows problems without drowning in successes.
        log.log(logging.INFO if answer.error else logging.DEBUG, "%s %s %s -> %s %s", self.name, method, path,
                status, code)
        return answer.error, answer.body, answer.invalid_token, answer.retryable, answer.retry_after

    def request(self, method: str, path: str, *, params: Mapping[str, object] | None = None,
                data: Mapping[str, object] | None = None, idempotent: bool,
                headers: Mapping[str, str] | None = None) -> dict:
        path = path.lstrip("/")
        url = f"{self.base_url}/{path}"
        family = self.family_of(method, path)
        refreshes = 0
        failed_token: str | None = None
        attempt = 0
        while True:
            sent_headers = dict(headers or {})
            token = None
            if self.tokens is not None:
                token = self.tokens.access_token()
                if refreshes and token == failed_token:
                    # The provider kept the refused token (it could not or would not refresh):
                    # sending it again can only be refused again.
                    raise AuthExpired()
                sent_headers["Authorization"] = f"Zoho-oauthtoken {token}"
            error, body, invalid_token, retryable, retry_after = self._send(
                method, url, path, family, params, data, sent_headers)
            if error is None:
                return body or {}
            if isinstance(error, Locked):
                self.limiter.hold(family, error.resume_at)
            if invalid_token and token is not None and refreshes < TOKEN_REFRESHES_PER_CALL:
                # The token expired early or was revoked server-side: refresh, then retry (the
                # request was refused, so even a write is safe to repeat). The provider refreshes
                # only if ``token`` is still its current one, so N threads refused at once cost one
                # refresh. A fresh token refused once more may be a passing hiccup of Zoho's; refused
                # again after that, or a refresh that fails, is AuthExpired (below: raise error).
                refreshes += 1
                failed_token = token
                self.tokens.invalidate(token)
                continue
            if retryable and (idempotent or method == "GET") and attempt < self.retries:
                if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                    raise error
                delay = self.backoff(attempt, retry_after)
                attempt += 1
                log.info("%s %s %s: retry %d in %.2fs", self.name, method, path, attempt, delay)
                self._sleep(delay)
                continue
            raise error
