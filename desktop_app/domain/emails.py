"""Email rules: identity (trim + case-fold), pattern check and role-address detection.

The one email normaliser of the app: the engine, the mapping preview and the Sandbox (which
plays Campaigns' refusals) all call this module, so an address is judged the same everywhere.

Choices [INF] (reference/zoho-api-facts.md §4.3): Campaigns refuses role/group addresses and
"invalid patterns" such as ``johngmail.com``, ``jane@aol``, ``ted@zylkercom``. We accept what a
mail server would deliver with plain SMTP: an ASCII local part (dot-atom), a domain with at least
two labels and an alphabetic (or IDNA ``xn--``) top-level label. Non-ASCII domains are accepted
when they IDNA-encode; non-ASCII local parts (SMTPUTF8) are refused, as ESPs commonly do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop_app.domain.skips import SkipReason

# RFC 5322 dot-atom characters for the local part.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")

# Local parts Campaigns treats as group/role addresses (§4.3: info@, admin@, careers@, service@,
# support@ …). Compared after case-folding and dropping a "+tag".
ROLE_LOCAL_PARTS = frozenset(
    """
    abuse accounting accounts admin administrator billing careers contact contactus customercare
    customerservice enquiries enquiry feedback finance hello help helpdesk hostmaster hr info
    inquiries inquiry jobs legal mail mailer-daemon marketing media news newsletter no-reply noc
    noreply office orders postmaster press privacy reception recruitment sales security service
    services spam support sysadmin team webmaster
    """.split()
)


def identity(raw: str | None) -> str | None:
    """The key that identifies a Campaigns contact: trimmed and case-folded, or None if empty."""
    if raw is None:
        return None
    value = raw.strip()
    return value.casefold() if value else None


def clean(raw: str | None) -> str | None:
    """The address as we send it: trimmed, domain lower-cased, local part kept as typed."""
    if raw is None:
        return None
    value = raw.strip()
    if not value:
        return None
    local, sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if sep else value


def _domain_ok(domain: str) -> bool:
    if not domain or domain.endswith(".") or ".." in domain:
        return False
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253:
        return False
    return all(_LABEL.match(label) for label in labels) and bool(_TLD.match(labels[-1]))


def is_valid_pattern(raw: str | None) -> bool:
    value = (raw or "").strip()
    if not value or len(value) > 254 or value.count("@") != 1:
        return False
    local, _, domain = value.partition("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        return False
    return _domain_ok(domain)


def is_role_address(raw: str | None) -> bool:
    value = identity(raw)
    if not value or "@" not in value:
        return False
    local = value.rpartition("@")[0].split("+", 1)[0]
    return local in ROLE_LOCAL_PARTS


@dataclass(frozen=True)
class EmailVerdict:
    key: str | None  # identity key, None when there is no address
    address: str | None  # what would be sent
    problem: SkipReason | None  # None when the address can be synced

    @property
    def ok(self) -> bool:
        return self.problem is None


def check(raw: str | None) -> EmailVerdict:
    """Judge one address: NO_EMAIL, INVALID_EMAIL, ROLE_EMAIL or fine."""
    key = identity(raw)
    if key is None:
        return EmailVerdict(None, None, SkipReason.NO_EMAIL)
    address = clean(raw)
    if not is_valid_pattern(address):
        return EmailVerdict(key, address, SkipReason.INVALID_EMAIL)
    if is_role_address(address):
        return EmailVerdict(key, address, SkipReason.ROLE_EMAIL)
    return EmailVerdict(key, address, None)
