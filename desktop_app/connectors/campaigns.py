"""Zoho Campaigns v1.1 client: lists, topics, fields, subscribe, bulk add, subscriber statuses.

Refusals of ``subscribe`` stay typed ``ApiError``s whose ``code`` the engine turns into skip
reasons (``skip_reason_for``): 2004 invalid, 2005 role address, 2104 do-not-mail/unsubscribed/
bounced/spam (``contact_status`` says which), 914/2302 plan limit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from desktop_app.connectors.errors import ApiError, Unavailable
from desktop_app.connectors.http import HttpService
from desktop_app.domain.limits import CAMPAIGNS_PATH_FAMILY
from desktop_app.domain.mapping import (
    CampaignsField,
    FieldType,
    campaigns_length_for,
    campaigns_type_for,
    field_type_from_campaigns,
)
from desktop_app.domain.skips import SkipReason

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "Zoho Books sync (desktop-app)"
BULK_MAX = 10
SUBSCRIBERS_RANGE = 1000
# Pseudo-fields of contactinfo [INF, docs/wire-contract.md]: set through subscribe()'s arguments,
# never offered as mapping targets. "Lawful Basis" in contact/allfields means GDPR is on.
SUBSCRIPTION_TYPE_FIELD = "Subscription Type"
LAWFUL_BASIS_FIELD = "Lawful Basis"
PSEUDO_FIELDS = (SUBSCRIPTION_TYPE_FIELD, LAWFUL_BASIS_FIELD)
EMAIL_FIELD = "Contact Email"
NO_CONTACTS = "2502"
PLAN_LIMIT_CODES = ("914", "2302")
STATUS_PARAM = {"active": "active", "unsubscribed": "unsub", "unsub": "unsub", "bounced": "bounce",
                "bounce": "bounce", "spam": "spam", "dnm": "dnm", "do_not_mail": "dnm", "all": "all"}


def campaigns_family(method: str, path: str) -> str:
    family = CAMPAIGNS_PATH_FAMILY.get(path.strip("/"))
    if family is None:
        raise ValueError(f"No Campaigns endpoint family is known for {path!r}")
    return family


def skip_reason_for(error: ApiError, contact_status: str | None = None) -> SkipReason:
    """A subscribe refusal → the skip reason users see."""
    status = (contact_status or error.contact_status or "").lower()
    if error.code == "2004":
        return SkipReason.INVALID_EMAIL
    if error.code == "2005":
        return SkipReason.ROLE_EMAIL
    if error.code in PLAN_LIMIT_CODES:
        return SkipReason.PLAN_LIMIT
    if error.code == "2104":
        return {"unsub": SkipReason.UNSUBSCRIBED, "bounce": SkipReason.BOUNCED,
                "spam": SkipReason.SPAM_COMPLAINT}.get(status, SkipReason.DO_NOT_MAIL)
    return SkipReason.REJECTED


class SubscribeRefused(ApiError):
    """Campaigns refused one contact; ``reason`` is the skip reason, ``contact_status`` its state."""

    def __init__(self, error: ApiError, contact_status: str | None) -> None:
        super().__init__(error.code, error.zoho_message, status=error.status, contact_status=contact_status)
        self.reason = skip_reason_for(error, contact_status)


@dataclass(frozen=True)
class MailingList:
    key: str
    name: str
    contacts: int


@dataclass(frozen=True)
class Topic:
    id: str
    name: str


@dataclass(frozen=True)
class SubscribeResult:
    email: str
    outcome: Literal["added", "updated"]


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


class CampaignsClient:
    """One Campaigns account; ``http`` is the Campaigns HttpService."""

    def __init__(self, http: HttpService) -> None:
        self.http = http

    @property
    def calls_made(self) -> int:
        return self.http.calls_made

    # ------------------------------------------------------------------ reads

    def lists(self, page_size: int = 200) -> list[MailingList]:
        out: list[MailingList] = []
        start = 1
        while True:
            body = self.http.get("getmailinglists", {"resfmt": "JSON", "sort": "asc", "fromindex": start,
                                                     "range": page_size})
            items = body.get("list_of_details") or []
            for item in items:
                if isinstance(item, dict) and item.get("listkey"):
                    out.append(MailingList(str(item["listkey"]), str(item.get("listname", "")),
                                           int(item.get("noofcontacts") or 0)))
            if len(items) < page_size:
                return out
            start += page_size

    def topics(self) -> list[Topic]:
        body = self.http.get("topics", {"resfmt": "JSON", "details": json.dumps({"from_index": 0,
                                                                                "range": 100})})
        return [Topic(str(t.get("topicId")), str(t.get("topicName", "")))
                for t in body.get("topicDetails") or [] if isinstance(t, dict) and t.get("topicId")]

    def has_multiple_topics(self) -> bool:
        return len(self.topics()) > 1

    def _raw_fields(self) -> list[dict]:
        body = self.http.get("contact/allfields", {"type": "json"})
        resp = body.get("response") if isinstance(body.get("response"), dict) else body
        names = resp.get("fieldnames")
        items = names.get("fieldname") if isinstance(names, dict) else None
        if items is None:
            items = resp.get("fieldname")  # some accounts answer without "fieldnames" (§3.4)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise Unavailable("Zoho Campaigns answered without its list of fields; try again later.")
        return [f for f in items if isinstance(f, dict) and f.get("DISPLAY_NAME")]

    def fields(self) -> list[CampaignsField]:
        """The account's contact fields (mapping targets; pseudo-fields left out)."""
        out = []
        for f in self._raw_fields():
            name = str(f["DISPLAY_NAME"])
            if name in PSEUDO_FIELDS:
                continue
            out.append(CampaignsField(display_name=name, field_name=str(f.get("FIELD_NAME") or ""),
                                      type=field_type_from_campaigns(f.get("FIELD_TYPE")),
                                      mandatory=_truthy(f.get("IS_MANDATORY")),
                                      custom=_truthy(f.get("IS_CUSTOM"))))
        return out

    def gdpr_enabled(self) -> bool | None:
        """True when the account shows the "Lawful Basis" field (GDPR compliance on); None = unknown.

        Real Zoho documents no flag, so the field's absence cannot prove GDPR is off.
        """
        names = {str(f["DISPLAY_NAME"]) for f in self._raw_fields()}
        return True if LAWFUL_BASIS_FIELD in names else None

    def create_field(self, name: str, fieldtype: str | FieldType = "Text",
                     length: int | None = None) -> CampaignsField:
        """Create a custom field; "already exists" (916) re-reads and returns the existing one."""
        kind = campaigns_type_for(fieldtype) if isinstance(fieldtype, FieldType) else str(fieldtype)
        if length is None:
            length = campaigns_length_for(fieldtype if isinstance(fieldtype, FieldType)
                                          else field_type_from_campaigns(kind))
        try:
            # custom/add is not repeated on a timeout (not idempotent at the HTTP level) but a
            # repeat is harmless: 916 makes it "exists".
            self.http.post("custom/add", {"type": "json", "fieldname": name, "fieldtype": kind,
                                          "fieldlength": length}, idempotent=True)
        except ApiError as exc:
            if exc.code != "916":
                raise
        for f in self.fields():
            if f.display_name.lower() == name.lower():
                return f
        raise ApiError("910", f"The field {name!r} was not found after creating it.")

    def subscribers(self, list_key: str, status: str = "active") -> Iterator[str]:
        """Emails of a list's contacts with ``status`` (active, unsubscribed, bounced, spam, dnm, all)."""
        param = STATUS_PARAM.get(status.lower())
        if param is None:
            raise ValueError(f"Unknown subscriber status {status!r}")
        start = 1
        while True:
            try:
                body = self.http.get("getlistsubscribers", {"resfmt": "JSON", "listkey": list_key,
                                                            "status": param, "fromindex": start,
                                                            "range": SUBSCRIBERS_RANGE})
            except ApiError as exc:
                if exc.code == NO_CONTACTS:  # "no contacts in this list" = an empty page
                    return
                raise
            items = body.get("list_of_details") or []
            for item in items:
                if isinstance(item, dict) and item.get("contact_email"):
                    yield str(item["contact_email"])
            if len(items) < SUBSCRIBERS_RANGE:
                return
            start += SUBSCRIBERS_RANGE

    def count(self, list_key: str, status: str = "active") -> int:
        param = STATUS_PARAM.get(status.lower())
        if param is None or param == "all":
            raise ValueError(f"Unknown subscriber status {status!r}")
        body = self.http.get("listsubscriberscount", {"resfmt": "JSON", "listkey": list_key,
                                                      "status": param})
        return int(body.get("no_of_contacts") or 0)

    # ------------------------------------------------------------------ writes

    def subscribe(self, list_key: str, contactinfo: dict[str, str], *, topic_ids: Iterable[str] = (),
                  source: str = DEFAULT_SOURCE, subscription_type: str | None = None,
                  lawful_basis: str | None = None) -> SubscribeResult:
        """Add or update one contact. Refusals raise SubscribeRefused (an ApiError with a reason)."""
        info = dict(contactinfo)
        email = str(info.get(EMAIL_FIELD) or "").strip()
        if not email:
            raise ValueError("contactinfo needs a 'Contact Email'.")
        # The one place the pseudo-fields enter contactinfo.
        if subscription_type:
            info[SUBSCRIPTION_TYPE_FIELD] = subscription_type
        if lawful_basis:
            info[LAWFUL_BASIS_FIELD] = lawful_basis
        params = {"resfmt": "JSON", "listkey": list_key, "contactinfo": json.dumps(info, ensure_ascii=False),
                  "source": source}
        topics = ",".join(str(t) for t in topic_ids if t)
        if topics:
            params["topic_id"] = topics
        try:
            # Same contactinfo = same end state, so a retry after a timeout is safe.
            body = self.http.post("json/listsubscribe", params, idempotent=True)
        except ApiError as exc:
            if exc.code in ("2004", "2005", "2104", *PLAN_LIMIT_CODES):
                raise SubscribeRefused(exc, exc.contact_status) from None
            raise
        outcome = "updated" if str(body.get("contact_status", "")).lower() == "updated" else "added"
        return SubscribeResult(email, outcome)

    def bulk_add(self, list_key: str, emails: Iterable[str]) -> int:
        """Add emails only (no field data), ≤ 10 per call. Returns the number of calls made."""
        batch: list[str] = []
        calls = 0
        for email in emails:
            batch.append(email)
            if len(batch) == BULK_MAX:
                self._bulk(list_key, batch)
                calls += 1
                batch = []
        if batch:
            self._bulk(list_key, batch)
            calls += 1
        return calls

    def _bulk(self, list_key: str, emails: list[str]) -> None:
        try:
            # Adding the same emails twice ends in the same list: safe to retry.
            self.http.post("addlistsubscribersinbulk", {"resfmt": "JSON", "listkey": list_key,
                                                        "emailids": ",".join(emails)}, idempotent=True)
        except ApiError as exc:
            if exc.code in PLAN_LIMIT_CODES:
                raise SubscribeRefused(exc, None) from None
            raise
