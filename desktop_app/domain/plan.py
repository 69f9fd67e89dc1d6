"""Deciding, per Books customer, what a run does: add, update, leave unchanged or skip (pure).

Inputs are plain values (the customer's flat record, the state-table row, the list's suppressed
addresses); the output says what to send and why. The run loop (``run.py``) does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from desktop_app.domain import emails
from desktop_app.domain.mapping import CAMPAIGNS_EMAIL, MappingRow, apply_mapping, values_hash
from desktop_app.domain.skips import SkipReason


class Action(StrEnum):
    ADD = "add"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"


# Campaigns contact states that must never be (re-)subscribed, and the reason each gives.
SUPPRESSED_STATUS_REASON: dict[str, SkipReason] = {
    "unsub": SkipReason.UNSUBSCRIBED,
    "dnm": SkipReason.DO_NOT_MAIL,
    "bounce": SkipReason.BOUNCED,
    "spam": SkipReason.SPAM_COMPLAINT,
}


# The state-table status of a contact sent to a double opt-in list whose confirmation is still out.
AWAITING = "awaiting"

# A staged record Books sent in a form we cannot read carries its problem under this key.
UNREADABLE_KEY = "_unreadable"


@dataclass(frozen=True)
class LinkState:
    """What the state table remembers of a customer from earlier runs."""

    email_key: str | None
    values_hash: str | None
    in_list: bool
    campaigns_status: str | None = None


@dataclass(frozen=True)
class Planned:
    contact_id: str
    name: str
    action: Action
    email_key: str | None
    address: str | None
    values: dict[str, str] | None = None
    values_hash: str | None = None
    reason: SkipReason | None = None
    detail: str | None = None
    old_address: str | None = None  # set when Books changed the email of a linked contact
    # UNCHANGED because a confirmation email (double opt-in) is still out for this address: never
    # re-sent while it waits; ``values_hash`` stays the one sent with it.
    awaiting: bool = False


def customer_name(record: Mapping[str, Any]) -> str:
    name = str(record.get("contact_name") or "").strip()
    if name:
        return name
    return " ".join(str(record.get(k) or "").strip() for k in ("first_name", "last_name")).strip()


def other_owner(owners: Mapping[str, str], key: str | None, contact_id: str) -> str | None:
    """The customer owning this address (``RunStore.batch_inputs``'s owners), if another one."""
    owner = owners.get(key or "")
    return owner if owner and owner != contact_id else None


def plan_customer(
    record: Mapping[str, Any],
    link: LinkState | None,
    *,
    rows: Sequence[MappingRow],
    update_empty: bool,
    suppressed: Mapping[str, str],
    duplicate_of: str | None = None,
    listed: bool = False,
) -> Planned:
    """One customer's plan. ``duplicate_of`` names the customer that owns the same email, if any.

    ``suppressed`` maps email keys to Campaigns states that forbid a subscribe (the list's read and
    the addresses Campaigns refused earlier). ``listed``: a full run's read of the list's members
    holds this address (a contact awaiting confirmation who confirmed is then in the list).
    """
    contact_id = str(record["contact_id"])
    name = customer_name(record)
    verdict = emails.check(record.get("email"))
    if record.get(UNREADABLE_KEY):
        return Planned(contact_id, name, Action.SKIP, verdict.key, verdict.address,
                       reason=SkipReason.UNREADABLE_RECORD, detail=str(record[UNREADABLE_KEY]))

    def skip(reason: SkipReason, detail: str | None = None) -> Planned:
        return Planned(contact_id, name, Action.SKIP, verdict.key, verdict.address, reason=reason,
                       detail=detail)

    if not verdict.ok:
        assert verdict.problem is not None
        return skip(verdict.problem)
    if duplicate_of is not None:
        return skip(SkipReason.DUPLICATE_IN_ORG, f"same email as customer {duplicate_of}")
    # A status remembered for this customer counts only while the address is the same one.
    remembered = link.campaigns_status if link and link.email_key == verdict.key else None
    status = suppressed.get(verdict.key or "") or remembered
    if status in SUPPRESSED_STATUS_REASON:
        return skip(SUPPRESSED_STATUS_REASON[status])

    values = apply_mapping(record, rows, update_empty=update_empty)
    values[CAMPAIGNS_EMAIL] = verdict.address or ""
    digest = values_hash(values)
    if remembered == AWAITING and link is not None:
        if not listed:  # still waiting for its confirmation: another subscribe would email it again
            return Planned(contact_id, name, Action.UNCHANGED, verdict.key, verdict.address, values=values,
                           values_hash=link.values_hash, awaiting=True)
        link = LinkState(link.email_key, link.values_hash, True, "active")  # it confirmed: a member
    old_address = None
    if link is not None and link.email_key and link.email_key != verdict.key:
        old_address = link.email_key
    if link is None or not link.in_list:
        action = Action.ADD
    elif old_address is None and link.values_hash == digest:
        action = Action.UNCHANGED
    else:
        action = Action.UPDATE
    return Planned(contact_id, name, action, verdict.key, verdict.address, values=values,
                   values_hash=digest, old_address=old_address)
