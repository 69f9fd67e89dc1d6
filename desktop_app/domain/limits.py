"""The documented API limits of Zoho Accounts, Books and Campaigns, as data.

One table serves both sides: the Sandbox enforces it (with lock periods, like Zoho) and the
connectors' limiter stays just under it. Source: reference/zoho-api-facts.md §1.5, §2.7, §3.3.
A ``scale`` K divides every window and lock period by K (same shape, faster), for tests and
benchmarks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Window:
    calls: int
    seconds: float


@dataclass(frozen=True)
class Limit:
    family: str  # the endpoint family a bucket is kept for
    windows: tuple[Window, ...]
    lock_seconds: float = 0.0  # 0: no lock, the call is just refused (Books 429)
    concurrency: int | None = None

    def scaled(self, k: float) -> Limit:
        if k == 1:
            return self
        return replace(
            self,
            windows=tuple(Window(w.calls, w.seconds / k) for w in self.windows),
            lock_seconds=self.lock_seconds / k,
        )


MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

# Books daily cap per organization by plan (§2.7).
BOOKS_DAILY_CAP_BY_PLAN = {
    "free": 1_000,
    "standard": 2_000,
    "professional": 5_000,
    "premium": 10_000,
    "elite": 10_000,
    "ultimate": 10_000,
}
# The limiter's plan before the organization's plan_name is known (``Limiter.set_books_plan``).
DEFAULT_BOOKS_PLAN = "premium"
# An organization whose plan_name is not one of the above gets the smallest cap (Free).
SMALLEST_BOOKS_DAILY_CAP = min(BOOKS_DAILY_CAP_BY_PLAN.values())


def books_plan_key(plan_name: str | None) -> str | None:
    """Books ``plan_name`` → a key of BOOKS_DAILY_CAP_BY_PLAN, or None when not recognised.

    Exact names (any case: "PREMIUM", "premium") and names holding exactly one known plan as a
    word ("Standard (Yearly)", "Zoho Books Premium") are recognised; anything else is not.
    """
    text = (plan_name or "").strip().lower()
    if text in BOOKS_DAILY_CAP_BY_PLAN:
        return text
    words = set(re.findall(r"[a-z]+", text))
    found = [plan for plan in BOOKS_DAILY_CAP_BY_PLAN if plan in words]
    return found[0] if len(found) == 1 else None


def books_daily_cap(plan_name: str | None) -> int:
    """The documented daily API cap for a Books plan; an unknown plan gets the smallest (Free)."""
    key = books_plan_key(plan_name)
    return BOOKS_DAILY_CAP_BY_PLAN[key] if key else SMALLEST_BOOKS_DAILY_CAP

LIMITS: dict[str, Limit] = {
    # Accounts: 10 access-token requests per 10 minutes; the rest of the window is blocked.
    "accounts.token": Limit("accounts.token", (Window(10, 600.0),)),
    # Books: 100 per minute per organization (daily cap added per plan), ≤ 5 in flight [INF].
    "books": Limit("books", (Window(100, MINUTE),), concurrency=5),
    # Campaigns, per endpoint (§3.3). During a lock only that API is blocked.
    "campaigns.listsubscribe": Limit(
        "campaigns.listsubscribe",
        (Window(500, MINUTE), Window(12_500, HOUR), Window(75_000, DAY)),
        lock_seconds=30 * MINUTE,
    ),
    "campaigns.bulk": Limit("campaigns.bulk", (Window(2_000, MINUTE),), lock_seconds=10 * MINUTE),
    "campaigns.lists": Limit("campaigns.lists", (Window(500, 5 * MINUTE),), lock_seconds=30 * MINUTE),
    "campaigns.subscribers": Limit(
        "campaigns.subscribers", (Window(500, 5 * MINUTE),), lock_seconds=30 * MINUTE
    ),
    "campaigns.count": Limit("campaigns.count", (Window(500, 5 * MINUTE),), lock_seconds=30 * MINUTE),
    "campaigns.fields": Limit("campaigns.fields", (Window(100, 5 * MINUTE),), lock_seconds=30 * MINUTE),
    "campaigns.customfield": Limit(
        "campaigns.customfield", (Window(100, 5 * MINUTE),), lock_seconds=30 * MINUTE
    ),
    "campaigns.topics": Limit("campaigns.topics", (Window(500, 5 * MINUTE),), lock_seconds=30 * MINUTE),
}

# Campaigns v1.1 path (below /api/v1.1/) -> limit family.
CAMPAIGNS_PATH_FAMILY = {
    "json/listsubscribe": "campaigns.listsubscribe",
    "addlistsubscribersinbulk": "campaigns.bulk",
    "getmailinglists": "campaigns.lists",
    "getlistsubscribers": "campaigns.subscribers",
    "listsubscriberscount": "campaigns.count",
    "contact/allfields": "campaigns.fields",
    "custom/add": "campaigns.customfield",
    "topics": "campaigns.topics",
}


def books_daily_limit(plan: str | None = DEFAULT_BOOKS_PLAN) -> Limit:
    return Limit("books.daily", (Window(books_daily_cap(plan), DAY),))


def parse_limits_mode(text: str) -> tuple[bool, float]:
    """``on`` | ``off`` | ``scale=K`` → (enabled, scale). Raises ValueError with a usable message."""
    value = (text or "on").strip().lower()
    if value == "on":
        return True, 1.0
    if value == "off":
        return False, 1.0
    if value.startswith("scale="):
        try:
            k = float(value.split("=", 1)[1])
        except ValueError:
            k = 0
        if k > 0:
            return True, k
    raise ValueError(f"limits must be 'on', 'off' or 'scale=K' with K > 0, got {text!r}")


# ---------------------------------------------------------------------- recorded usage


@dataclass(frozen=True)
class Use:
    """Calls of an endpoint family (for ``key``, e.g. an organization) recorded at ``at``
    (wall clock, epoch seconds) in the shared usage ledger (store/usage.py)."""

    family: str
    key: str
    at: float
    calls: int = 1


# A Use of this family says: the calls made before ``at`` are unknown (a damaged usage file), so
# every window shorter than a day counts as full at ``at`` and is waited out once.
UNKNOWN_FAMILY = "*"


def unknown_usage(at: float) -> Use:
    """The Use saying: what was called before ``at`` is unknown (short windows count full then)."""
    return Use(UNKNOWN_FAMILY, "", at, 0)
