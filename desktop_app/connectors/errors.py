"""Typed connector errors and the ONE function that turns HTTP answers into them.

Every error carries a ``title`` and a ``message`` a user can act on. Messages never contain a
token, a client secret or a query string: they are built from Zoho's own ``message`` text (which
never echoes credentials) and our sentences. A wrong guess about real Zoho's error shapes is
fixed here and only here (docs/wire-contract.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests

from desktop_app.domain.limits import LIMITS

# The error taxonomy is the domain's (the engine reads it without importing a connector); it is
# re-exported here, where Zoho's answers are turned into it.
from desktop_app.domain.zoho import (
    MAX_TRANSIENT_WAIT,
    ApiError,
    AuthError,
    AuthExpired,
    DailyCapReached,
    Locked,
    NotFound,
    RateLimited,
    Unavailable,
    ZohoError,
    is_transient,
    trouble_message,
)

__all__ = ["MAX_TRANSIENT_WAIT", "ApiError", "AuthError", "AuthExpired", "DailyCapReached", "Locked", "NotFound",
           "RateLimited", "Unavailable", "ZohoError", "classify", "error_from_exception", "is_transient",
           "retry_transient", "trouble_message"]

T = TypeVar("T")



# Rounds of ``retry_transient`` (seconds before each new attempt), read at each call.
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)


def retry_transient(fn: Callable[[], T], *, delays: Sequence[float] | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> T:
    """``fn()``, tried again after each delay while it fails transiently (``is_transient``).

    A RateLimited failure waits at least until its ``retry_at``. The last failure is raised.
    """
    rounds = tuple(RETRY_DELAYS if delays is None else delays)
    for attempt in range(len(rounds) + 1):
        try:
            return fn()
        except ZohoError as exc:
            if attempt >= len(rounds) or not is_transient(exc):
                raise
            delay = rounds[attempt]
            if isinstance(exc, RateLimited):
                delay = max(delay, (exc.resume_at - datetime.now(UTC)).total_seconds())
            sleep(max(0.0, delay))
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- normalising

CAMPAIGNS_SUCCESS_CODES = {"0", "200"}
# Books: 401 + code 57 (wire contract [INF]). Campaigns answers a dead, expired, revoked or
# under-scoped token inside HTTP 200: code "1007" "Unauthorized key." (its documented error table)
# or "401"; either means: refresh once and retry, then AuthExpired.
CAMPAIGNS_INVALID_TOKEN_CODES = frozenset({"401", "1007"})
_INVALID_TOKEN_TEXT = ("invalid oauth", "invalid_token", "invalid_oauthtoken", "oauth token",
                       "unauthorized key", "invalid authtoken")
BOOKS_DAILY_CAP_CODE = "1070"
# Campaigns' documented error table (reference §3.5): these codes mean what the table says. Zoho
# documents no lock code, so an answer with any OTHER code whose message reads like a lock is one.
CAMPAIGNS_DOCUMENTED_CODES = frozenset({
    "0", "200", "400", "401", "404", "500", "901", "902", "903", "910", "914", "916", "992", "993",
    "995", "1001", "1002", "1003", "1004", "1005", "1006", "1007", "2001", "2002", "2003", "2004",
    "2005", "2101", "2102", "2103", "2104", "2202", "2203", "2205", "2206", "2302", "2401", "2402",
    "2501", "2502", "2602", "2603", "2604", "2701", "2704", "2706", "9000", "9001", "9002",
    *(str(c) for c in range(4010, 4020)),
})
LOCK_WORDS = ("exceeded", "limit", "blocked", "locked", "too many")
DEFAULT_LOCK_SECONDS = 30 * 60.0


def reads_like_lock(message: str) -> bool:
    """Does a Campaigns message say the API is locked/blocked for exceeding its calls?"""
    text = (message or "").lower()
    return any(word in text for word in LOCK_WORDS)


def lock_seconds(family: str, scale: float = 1.0) -> float:
    """The documented lock period of a Campaigns endpoint family (``domain.limits``), scaled."""
    limit = LIMITS.get(family)
    seconds = limit.lock_seconds if limit is not None and limit.lock_seconds else DEFAULT_LOCK_SECONDS
    return seconds / (scale if scale and scale > 0 else 1.0)


@dataclass(frozen=True)
class Answer:
    """What ``classify`` decided about one HTTP answer."""

    body: dict | None  # parsed JSON on success
    error: ZohoError | None
    invalid_token: bool = False  # retry once after a refresh
    retryable: bool = False  # transient: back off and retry (reads; safe writes)
    retry_after: float | None = None  # seconds, from the Retry-After header


def retry_after_seconds(headers) -> float | None:
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def error_from_exception(exc: BaseException) -> Unavailable:
    """A requests exception (connection refused, timeout, broken body…) → Unavailable.

    The exception text may contain the full URL (with query-string tokens), so it is never copied.
    """
    if isinstance(exc, requests.Timeout):
        return Unavailable("Zoho did not answer in time; try again later.")
    if isinstance(exc, requests.ConnectionError):
        return Unavailable("Could not reach Zoho; check the network connection and try again.")
    return Unavailable()


def _body_code(body: dict) -> tuple[str | None, str, dict]:
    """(code as str or None, message, the dict holding them) for the three body shapes."""
    inner = body.get("response") if isinstance(body.get("response"), dict) else body
    code = inner.get("code", body.get("code"))
    message = inner.get("message", body.get("message")) or ""
    return (None if code is None else str(code)), str(message), inner


def classify(status: int, text: str, headers=None, *, family: str = "",
             now: datetime | None = None, scale: float = 1.0) -> Answer:
    """One HTTP answer (status, body text, headers) → success body or a typed error.

    ``family`` is the endpoint family (for locks); ``scale`` divides the documented lock periods
    like the limiter's (tests run Zoho's windows faster).
    """
    now = now or datetime.now(UTC)
    wait = retry_after_seconds(headers)
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # Malformed/truncated JSON or an HTML error page: transient for 5xx/429, otherwise Unavailable.
        return Answer(None, Unavailable(), retryable=True, retry_after=wait)

    # OAuth endpoints answer {"error": …} with HTTP 200.
    if "error" in body and isinstance(body.get("error"), str) and "code" not in body:
        err = body["error"]
        if status >= 500 or status == 429:
            # The sign-in server's own trouble, not the client's settings: transient.
            return Answer(None, Unavailable(trouble_message(err)), retryable=True, retry_after=wait)
        if err == "Access Denied":
            retry_at = now + timedelta(seconds=wait if wait is not None else 60)
            return Answer(None, RateLimited(retry_at, "Zoho refused more sign-in token requests for now "
                                                      "(too many in 10 minutes); try again later.",
                                            transient=False))
        if err in ("invalid_code", "invalid_token"):
            return Answer(None, AuthExpired(), invalid_token=err == "invalid_token")
        return Answer(None, AuthError(f"Zoho refused the sign-in ({err}). Check the client settings "
                                      "and try again."))

    code, message, _inner = _body_code(body)
    status_text = str(body.get("status", "")).lower()

    if 200 <= status < 300:
        ok = status_text == "success" or code is None or code in CAMPAIGNS_SUCCESS_CODES
        if ok and status_text != "error":
            return Answer(body, None)
        # Campaigns reports errors inside HTTP 200.
        if code in CAMPAIGNS_INVALID_TOKEN_CODES or any(t in message.lower() for t in _INVALID_TOKEN_TEXT):
            return Answer(None, AuthExpired(), invalid_token=True)
        if code == "429" or (code not in CAMPAIGNS_DOCUMENTED_CODES and reads_like_lock(message)):
            # "429" + Retry-After (lenient reading) or an undocumented code that says "blocked for
            # the next 30 minutes": the family is locked for its documented period.
            seconds = wait if wait is not None else lock_seconds(family, scale)
            until = now + timedelta(seconds=seconds)
            return Answer(None, Locked(family or "campaigns", until), retry_after=wait)
        if code in ("500", "2101"):
            return Answer(None, Unavailable(), retryable=True, retry_after=wait)
        contact_status = body.get("contact_status")
        return Answer(None, ApiError(code or "unknown", message, status=status,
                                     contact_status=str(contact_status) if contact_status else None))

    if status == 401 or code == "57":
        return Answer(None, AuthExpired(), invalid_token=True)
    if status == 429:
        if code == BOOKS_DAILY_CAP_CODE:
            # No Retry-After for the daily cap: the window resets within a day.
            reset = now + timedelta(seconds=wait) if wait else now + timedelta(hours=24)
            return Answer(None, DailyCapReached(reset))
        retry_at = now + timedelta(seconds=wait if wait is not None else 60)
        return Answer(None, RateLimited(retry_at), retryable=True, retry_after=wait)
    if status >= 500:
        return Answer(None, Unavailable(), retryable=True, retry_after=wait)
    return Answer(None, ApiError(code or str(status), message or f"HTTP {status}", status=status))
