"""Which reading of Zoho's contract the Sandbox plays: the knobs and the documented sets.

``contract``: ``"strict"`` (default; Zoho's documented contract, and where Zoho is silent the least
convenient plausible reading) or ``"lenient"`` (the friendlier reading the Sandbox played before).
The default comes from ``DESKTOP_APP_SANDBOX_CONTRACT`` so a whole test run can be switched; a
value set through ``POST /_sandbox/config`` is kept in the state file and wins.
Other knobs: ``consent_fields``, ``dead_token_code``, ``expires_in_ms`` (docs/wire-contract.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

ENV_CONTRACT = "DESKTOP_APP_SANDBOX_CONTRACT"
CONTRACTS = ("strict", "lenient")
DEAD_TOKEN_CODES = ("1007", "401")


def env_contract() -> str:
    """The contract named by the environment (``strict`` when unset); ValueError on a bad value."""
    value = os.environ.get(ENV_CONTRACT, "").strip().lower() or "strict"
    if value not in CONTRACTS:
        raise ValueError(f"{ENV_CONTRACT} must be strict or lenient, not {value!r}")
    return value


def default_contract() -> str:
    try:
        return env_contract()
    except ValueError:
        return "strict"  # SandboxServer refuses to start on a bad value; never guess lenient


def is_strict(settings: Mapping[str, Any]) -> bool:
    return settings.get("contract", "strict") != "lenient"


def dead_token_code(settings: Mapping[str, Any]) -> str:
    """The Campaigns code for a dead/unknown token: the knob if set, else by contract."""
    code = settings.get("dead_token_code")
    if code in DEAD_TOKEN_CODES:
        return str(code)
    return "1007" if is_strict(settings) else "401"


# ---------------------------------------------------------------------- Campaigns parameters

# Documented parameter sets (each endpoint's page; * = mandatory). Strict refuses anything else.
STRICT_PARAMS: dict[str, frozenset[str]] = {
    "getmailinglists": frozenset({"resfmt", "sort", "fromindex", "range"}),
    "getlistsubscribers": frozenset({"resfmt", "listkey", "sort", "fromindex", "range", "status"}),
    "listsubscriberscount": frozenset({"resfmt", "listkey", "status"}),
    "json/listsubscribe": frozenset({"resfmt", "listkey", "contactinfo", "source", "topic_id"}),
    "addlistsubscribersinbulk": frozenset({"resfmt", "listkey", "emailids"}),
    "contact/allfields": frozenset({"type"}),
    "custom/add": frozenset({"type", "fieldname", "fieldtype", "fieldlength"}),
    "topics": frozenset({"details"}),
}
MANDATORY_PARAMS: dict[str, tuple[str, ...]] = {
    "getmailinglists": ("resfmt",),
    "getlistsubscribers": ("resfmt", "listkey"),
    "listsubscriberscount": ("resfmt", "listkey"),
    "json/listsubscribe": ("listkey", "contactinfo"),
    "addlistsubscribersinbulk": ("resfmt", "listkey", "emailids"),
    "contact/allfields": ("type",),
    "custom/add": ("type", "fieldname", "fieldtype"),
    "topics": (),
}
# The lenient reading: resfmt/type/version anywhere, plus a few friendly extras.
LENIENT_COMMON = frozenset({"resfmt", "type", "version"})
LENIENT_PARAMS: dict[str, frozenset[str]] = {
    "getmailinglists": frozenset({"sort", "fromindex", "range"}),
    "getlistsubscribers": frozenset({"listkey", "sort", "fromindex", "range", "status"}),
    "listsubscriberscount": frozenset({"listkey", "status"}),
    "json/listsubscribe": frozenset({"listkey", "contactinfo", "source", "topic_id"}),
    "addlistsubscribersinbulk": frozenset({"listkey", "emailids", "source", "topic_id"}),
    "contact/allfields": frozenset(),
    "custom/add": frozenset({"fieldname", "fieldtype", "fieldlength"}),
    "topics": frozenset({"details", "from_index", "range"}),
}
POST_ENDPOINTS = frozenset({"json/listsubscribe", "addlistsubscribersinbulk", "custom/add"})
FORM_TYPE = "application/x-www-form-urlencoded"

# getlistsubscribers / listsubscriberscount ``status`` values.
STRICT_LIST_STATUSES = ("active", "recent", "mostrecent", "most recent", "unsub", "bounce")
STRICT_COUNT_STATUSES = ("active", "unsub", "bounce", "spam")
LENIENT_STATUSES = ("active", "recent", "mostrecent", "most recent", "unsub", "bounce", "spam", "dnm", "all")

# ---------------------------------------------------------------------- scopes

DEFAULT_SCOPES = (  # what the app asks for (connectors/auth.py SCOPES); a Self Client code's default
    "ZohoBooks.contacts.READ",
    "ZohoBooks.settings.READ",
    "ZohoCampaigns.contact.ALL",
    "AaaServer.profile.READ",
)
_CAMP = "ZohoCampaigns.contact."
CAMPAIGNS_READ = (_CAMP + "READ", _CAMP + "ALL")
CAMPAIGNS_UPDATE = (_CAMP + "UPDATE", _CAMP + "ALL", _CAMP + "CREATE-UPDATE", _CAMP + "WRITE")
CAMPAIGNS_CREATE = (_CAMP + "CREATE", _CAMP + "ALL", _CAMP + "CREATE-UPDATE", _CAMP + "WRITE")
CAMPAIGNS_SCOPES: dict[str, tuple[str, ...]] = {
    "getmailinglists": CAMPAIGNS_READ,
    "getlistsubscribers": CAMPAIGNS_READ,
    "listsubscriberscount": CAMPAIGNS_READ,
    "contact/allfields": CAMPAIGNS_READ,
    "topics": CAMPAIGNS_READ,
    "json/listsubscribe": CAMPAIGNS_UPDATE,
    "addlistsubscribersinbulk": CAMPAIGNS_UPDATE,
    "custom/add": CAMPAIGNS_CREATE,
}
BOOKS_SETTINGS = ("ZohoBooks.settings.READ", "ZohoBooks.settings.ALL", "ZohoBooks.fullaccess.all")
BOOKS_CONTACTS = ("ZohoBooks.contacts.READ", "ZohoBooks.contacts.ALL", "ZohoBooks.fullaccess.all")
PROFILE = ("AaaServer.profile.READ", "AaaServer.profile.ALL")


def parse_scopes(text: str) -> str:
    """A scope list as stored (comma-joined, as given); ValueError when empty."""
    items = [s.strip() for s in str(text).replace(" ", ",").split(",") if s.strip()]
    if not items:
        raise ValueError("scopes must name at least one scope, e.g. ZohoCampaigns.contact.ALL")
    return ",".join(items)


def granted(scopes: str | None) -> frozenset[str] | None:
    """Stored scopes → a lower-cased set; None (tokens from before scopes were kept) grants all."""
    if scopes is None:
        return None
    return frozenset(s.strip().lower() for s in scopes.split(",") if s.strip())


def allows(scopes: frozenset[str] | None, needed: Iterable[str]) -> bool:
    return scopes is None or any(n.lower() in scopes for n in needed)


def books_scopes(path: str) -> tuple[str, ...]:
    """The scopes a Books path (after /books/v3) needs; () for paths that answer 404 anyway."""
    path = path.rstrip("/")
    if path == "/organizations":
        return BOOKS_SETTINGS
    if path == "/contacts" or path.startswith("/contacts/"):
        return BOOKS_CONTACTS
    return ()
