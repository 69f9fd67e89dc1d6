"""What the engine knows of Zoho, without a connector: the error taxonomy and the records.

The connectors turn Zoho's answers into these (``connectors/errors.py:classify``, the Books and
Campaigns clients); the engine reads them through its ports (``engine/ports.py``). Pure data:
no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from desktop_app.domain.errors import AppError, ErrorKind
from desktop_app.domain.skips import SkipReason

# --------------------------------------------------------------------------- errors

class ZohoError(AppError):
    """Base of every connector error (``domain.errors.AppError``: title, message, kind, resume_at)."""

    title = "Zoho error"


class AuthExpired(ZohoError):
    """The refresh token no longer works (revoked, expired): the user has to reconnect."""

    title = "Reconnect to Zoho"

    def __init__(self, message: str = "The connection to Zoho has expired or was revoked. "
                                      "Reconnect the account to continue.") -> None:
        super().__init__(message)


class AuthError(ZohoError):
    """Signing in failed: bad state, invalid code, unknown client, wrong redirect URI…"""

    title = "Sign-in failed"


class RateLimited(ZohoError):
    """Zoho (or our own limiter) asks us to slow down until ``resume_at``."""

    title = "Too many requests"

    kind = ErrorKind.DEFERRED

    def __init__(self, retry_at: datetime, message: str | None = None, *, transient: bool = True) -> None:
        # False: a throttle that waiting a little cannot lift (the sign-in token requests' limit).
        self.transient = transient
        super().__init__(message or f"Zoho asked us to slow down; try again after "
                                    f"{retry_at.astimezone().strftime('%H:%M:%S')}.", resume_at=retry_at)


class Locked(ZohoError):
    """A Campaigns endpoint family is locked until ``resume_at`` after its window was exceeded."""

    title = "Zoho Campaigns API locked"
    kind = ErrorKind.DEFERRED

    def __init__(self, family: str, until: datetime, message: str | None = None) -> None:
        self.family = family
        super().__init__(message or f"Zoho Campaigns locked this API ({family}) for exceeding its call "
                                    f"limit; it opens again at {until.astimezone().strftime('%H:%M:%S')}.",
                         resume_at=until)


class DailyCapReached(ZohoError):
    """The Books organization's daily API cap is used up; work resumes at ``resume_at``."""

    title = "Daily API limit reached"
    kind = ErrorKind.DEFERRED

    def __init__(self, reset_at: datetime, message: str | None = None) -> None:
        super().__init__(message or "The Zoho Books organization used up its daily API calls; the sync "
                                    f"continues after {reset_at.astimezone().strftime('%Y-%m-%d %H:%M')}.",
                         resume_at=reset_at)


class ApiError(ZohoError):
    """Zoho refused the request with a body code (always kept as a str)."""

    title = "Zoho refused the request"

    def __init__(self, code: str | int, message: str, *, status: int | None = None,
                 contact_status: str | None = None) -> None:
        self.code = str(code)
        self.status = status
        # Campaigns' listsubscribe says which state refused a contact (unsub|dnm|bounce|spam).
        self.contact_status = contact_status
        super().__init__(f"{message} (code {self.code})" if message else f"Zoho error code {self.code}")
        self.zoho_message = message


class Unavailable(ZohoError):
    """Network failure, timeout, 5xx after retries, malformed or truncated JSON."""

    title = "Zoho is unavailable"

    def __init__(self, message: str = "Zoho did not answer properly; try again later.") -> None:
        super().__init__(message)


def trouble_message(detail: str = "") -> str:
    """The sentence of a server-side failure at sign-in: Zoho's trouble, never the client settings."""
    said = f" ({detail[:60]})" if detail else ""
    return f"Zoho is having trouble{said}; try again in a few minutes."


# A RateLimited answer asking to wait longer than this is not waited out inside a run: it defers.
MAX_TRANSIENT_WAIT = 120.0




def is_transient(exc: BaseException, now: datetime | None = None) -> bool:
    """Is this failure worth trying again soon (after the HTTP layer's own retries)?

    5xx, timeouts, dropped connections, malformed or truncated bodies (``Unavailable``) and a
    429 asking for a short wait are; a lock, the daily cap, a dead sign-in or a refusal are not.
    """
    if isinstance(exc, Unavailable):
        return True
    if isinstance(exc, RateLimited):
        if not exc.transient:
            return False
        left = (exc.resume_at - (now or datetime.now(UTC))).total_seconds()
        return left <= MAX_TRANSIENT_WAIT
    return False


class NotFound(ApiError):
    """The record does not exist (any more): a Books customer deleted during the run."""

    title = "Not found"


class SubscribeRefused(ApiError):
    """Campaigns refused one contact; ``reason`` is the skip reason, ``contact_status`` its state
    (unsub|bounce|spam|dnm for 2104, else None). Built by the Campaigns client."""

    def __init__(self, error: ApiError, contact_status: str | None, reason: SkipReason) -> None:
        super().__init__(error.code, error.zoho_message, status=error.status, contact_status=contact_status)
        self.reason = reason


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class BooksCustomer:
    contact_id: str
    contact_name: str
    company_name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    mobile: str
    status: str
    customer_sub_type: str
    website: str
    created_time: datetime | None
    last_modified_time: datetime
    custom: dict[str, str] = field(default_factory=dict)  # cf_* keys
    record: dict = field(default_factory=dict)  # what the mapping reads


@dataclass(frozen=True)
class MalformedCustomer:
    contact_id: str
    contact_name: str
    reason: str


@dataclass(frozen=True)
class CustomerPage:
    page: int
    customers: tuple[BooksCustomer, ...]
    has_more: bool
    reached_watermark: bool
    malformed: tuple[MalformedCustomer, ...] = ()


class MalformedRecord(ValueError):
    """A Books record the app cannot read (skip it, keep the rest)."""


@dataclass(frozen=True)
class SubscribeResult:
    """A subscribe Zoho accepted. ``confirmation_sent``: the list has a signup form (double
    opt-in), so the contact got a confirmation email and joins only after confirming."""

    email: str
    confirmation_sent: bool
