"""Zoho Campaigns v1.1 client: lists, topics, fields, subscribe, bulk add, subscriber statuses.

Follows Zoho's documented contract (reference/zoho-documented-contract.md §6, docs/wire-contract.md):
- Every endpoint gets only its documented parameters (``topics``: ``details`` only, no ``resfmt``);
  every POST carries ``Content-Type: application/x-www-form-urlencoded`` (params stay in the query
  string, as in Zoho's samples).
- ``subscribers`` reads the documented statuses only (active, recent, mostrecent, unsub, bounce);
  ``count`` also spam. Do-not-mail and spam contacts are known from listsubscribe's 2104 refusals.
- ``subscribe`` says only whether Zoho sent a confirmation email (a signup-form list): added vs
  updated is decided by the engine, never read from the answer.
- Subscription type and lawful basis are sent only as the account's own consent fields (their
  display names in ``contact/allfields``); an account without them gets neither.

Refusals of ``subscribe`` are ``SubscribeRefused`` (an ``ApiError`` with a ``reason``): 2004
invalid, 2005 role address, 2104 do-not-mail/unsubscribed/bounced/spam (``contact_status``
derived from the message), 914/2302 plan limit. Any other ApiError stays a plain ApiError.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from desktop_app.connectors.errors import ApiError, Unavailable
from desktop_app.connectors.http import HttpService
from desktop_app.domain.limits import CAMPAIGNS_PATH_FAMILY
from desktop_app.domain.mapping import (
    CAMPAIGNS_EMAIL,
    CampaignsField,
    FieldType,
    campaigns_field_name_problem,
    campaigns_length_for,
    campaigns_type_for,
    field_type_from_campaigns,
    propose_campaigns_field_name,
)
from desktop_app.domain.skips import SkipReason
from desktop_app.domain.zoho import SubscribeRefused, SubscribeResult

__all__ = ["CampaignsClient", "ConsentFields", "InvalidFieldName", "MailingList", "SubscribeRefused",
           "SubscribeResult", "Topic", "refused"]

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "Zoho Books sync (desktop-app)"
SUBSCRIBERS_RANGE = 1000
TOPICS_RANGE = 100
EMAIL_FIELD = CAMPAIGNS_EMAIL
NO_CONTACTS = "2502"
NO_MAILING_LIST = "2401"
PLAN_LIMIT_CODES = ("914", "2302")
DO_NOT_MAIL_CODE = "2104"
# Contact-level refusals of listsubscribe: the contact is skipped, the run goes on.
CONTACT_REFUSAL_CODES = ("2004", "2005", DO_NOT_MAIL_CODE, *PLAN_LIMIT_CODES)
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
# The account's consent fields, by display name (case-insensitive) [DOC help: the "Lawful basis
# for communication" field appears when GDPR compliance is on]. Never mapping targets.
SUBSCRIPTION_TYPE_NAMES = ("subscription type",)
LAWFUL_BASIS_NAMES = ("lawful basis", "lawful basis for communication")
# getlistsubscribers documents active, recent, most recent, unsub and bounce; nothing else.
SUBSCRIBER_STATUS = {"active": "active", "recent": "recent", "mostrecent": "mostrecent",
                     "most recent": "mostrecent", "unsub": "unsub", "unsubscribed": "unsub",
                     "bounce": "bounce", "bounced": "bounce"}
# listsubscriberscount documents active, unsub, bounce and spam.
COUNT_STATUS = {"active": "active", "unsub": "unsub", "unsubscribed": "unsub", "bounce": "bounce",
                "bounced": "bounce", "spam": "spam"}


def campaigns_family(method: str, path: str) -> str:
    family = CAMPAIGNS_PATH_FAMILY.get(path.strip("/"))
    if family is None:
        raise ValueError(f"No Campaigns endpoint family is known for {path!r}")
    return family


def contact_status_of(error: ApiError) -> str | None:
    """The contact's state behind a 2104 refusal (unsub|bounce|spam|dnm), from code and message.

    Strict answers carry no ``contact_status``: the message names the state. A lenient answer's
    ``contact_status`` is used only when the message names none.
    """
    if error.code != DO_NOT_MAIL_CODE:
        return None
    text = (error.zoho_message or "").lower()
    if "unsub" in text:
        return "unsub"
    if "bounce" in text:
        return "bounce"
    if "spam" in text:
        return "spam"
    given = (error.contact_status or "").lower()
    return given if given in ("unsub", "bounce", "spam", "dnm") else "dnm"


def skip_reason_for(error: ApiError, contact_status: str | None = None) -> SkipReason:
    """A subscribe refusal → the skip reason users see."""
    status = (contact_status or contact_status_of(error) or "").lower()
    if error.code == "2004":
        return SkipReason.INVALID_EMAIL
    if error.code == "2005":
        return SkipReason.ROLE_EMAIL
    if error.code in PLAN_LIMIT_CODES:
        return SkipReason.PLAN_LIMIT
    if error.code == DO_NOT_MAIL_CODE:
        return {"unsub": SkipReason.UNSUBSCRIBED, "bounce": SkipReason.BOUNCED,
                "spam": SkipReason.SPAM_COMPLAINT}.get(status, SkipReason.DO_NOT_MAIL)
    return SkipReason.REJECTED


def refused(error: ApiError, contact_status: str | None = None) -> SubscribeRefused:
    """Campaigns refused one contact: which state refused it, and what that means as a skip."""
    status = contact_status or contact_status_of(error)
    return SubscribeRefused(error, status, skip_reason_for(error, status))


class InvalidFieldName(ApiError):
    """A new field name Zoho would refuse (checked before calling); ``proposal`` is a valid one."""

    title = "Field name not allowed"

    def __init__(self, name: str, problem: str, proposal: str) -> None:
        super().__init__("1001", f"{problem} Use “{proposal}” instead.")
        self.name = name
        self.proposal = proposal


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
class ConsentFields:
    """The account's consent fields the API can set (their display names), or None when absent."""

    subscription_type: str | None
    lawful_basis: str | None


def _truthy(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


def _is_consent_field(display_name: str) -> bool:
    name = " ".join(display_name.split()).casefold()
    return name in SUBSCRIPTION_TYPE_NAMES or name in LAWFUL_BASIS_NAMES


class CampaignsClient:
    """One Campaigns account; ``http`` is the Campaigns HttpService."""

    def __init__(self, http: HttpService) -> None:
        self.http = http
        self._consent: ConsentFields | None = None

    @property
    def calls_made(self) -> int:
        return self.http.calls_made

    def _post(self, path: str, params: dict, *, idempotent: bool) -> dict:
        """Every Campaigns POST: params in the query string plus the documented Content-Type."""
        return self.http.post(path, params, idempotent=idempotent, headers=FORM_HEADERS)

    # ------------------------------------------------------------------ reads

    def lists(self, page_size: int = 200) -> list[MailingList]:
        out: list[MailingList] = []
        start = 1
        while True:
            try:
                body = self.http.get("getmailinglists", {"resfmt": "JSON", "sort": "asc", "fromindex": start,
                                                         "range": page_size})
            except ApiError as exc:
                # "No mailing list has been created": on a later page, the end of a 200·k list;
                # on the first, an account without lists.
                if exc.code == NO_MAILING_LIST:
                    return out
                raise
            items = body.get("list_of_details") or []
            for item in items:
                if isinstance(item, dict) and item.get("listkey"):
                    out.append(MailingList(str(item["listkey"]), str(item.get("listname", "")),
                                           int(item.get("noofcontacts") or 0)))
            if len(items) < page_size:
                return out
            start += page_size

    def topics(self) -> list[Topic]:
        """All topics: ``details={"from_index":…,"range":…}`` only (the documented parameter)."""
        out: list[Topic] = []
        seen: set[str] = set()
        start = 0
        while True:
            body = self.http.get("topics", {"details": json.dumps({"from_index": start,
                                                                   "range": TOPICS_RANGE})})
            items = [t for t in body.get("topicDetails") or [] if isinstance(t, dict)]
            fresh = [t for t in items if t.get("topicId") and str(t.get("topicId")) not in seen]
            for t in fresh:
                seen.add(str(t["topicId"]))
                out.append(Topic(str(t["topicId"]), str(t.get("topicName", ""))))
            # A short page ends the list; so does a page with nothing new (from_index ignored).
            if len(items) < TOPICS_RANGE or not fresh:
                return out
            start += TOPICS_RANGE

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
        raw = [f for f in items if isinstance(f, dict) and f.get("DISPLAY_NAME")]
        self._consent = self._consent_of(raw)
        return raw

    @staticmethod
    def _consent_of(raw: list[dict]) -> ConsentFields:
        subscription = lawful = None
        for f in raw:
            name = str(f["DISPLAY_NAME"])
            key = " ".join(name.split()).casefold()
            if key in SUBSCRIPTION_TYPE_NAMES and subscription is None:
                subscription = name
            elif key in LAWFUL_BASIS_NAMES and lawful is None:
                lawful = name
        return ConsentFields(subscription, lawful)

    def fields(self) -> list[CampaignsField]:
        """The account's contact fields: the mapping targets (consent fields left out).

        Zoho documents only ``DISPLAY_NAME``, ``FIELD_NAME`` and ``FIELD_ID`` per item: without a
        ``FIELD_TYPE`` a field counts as text (accepts anything), without ``IS_MANDATORY`` /
        ``IS_CUSTOM`` as optional and standard. Contact Email is always the mandatory email field.
        """
        out = []
        for f in self._raw_fields():
            name = str(f["DISPLAY_NAME"])
            if _is_consent_field(name):
                continue
            is_email = " ".join(name.split()).casefold() == EMAIL_FIELD.casefold()
            kind = field_type_from_campaigns(f.get("FIELD_TYPE")) if f.get("FIELD_TYPE") else (
                FieldType.EMAIL if is_email else FieldType.TEXT)
            out.append(CampaignsField(display_name=name, field_name=str(f.get("FIELD_NAME") or ""),
                                      type=kind, mandatory=is_email or _truthy(f.get("IS_MANDATORY")),
                                      custom=_truthy(f.get("IS_CUSTOM"))))
        return out

    def consent_fields(self) -> ConsentFields:
        """The account's Subscription Type / Lawful Basis fields (display names), read once."""
        if self._consent is None:
            self._raw_fields()
        assert self._consent is not None
        return self._consent

    def gdpr_enabled(self) -> bool | None:
        """True when the account has a lawful-basis field (GDPR compliance on); None = unknown.

        Real Zoho documents no flag, so the field's absence cannot prove GDPR is off: ask the user.
        """
        return True if self.consent_fields().lawful_basis else None

    def create_field(self, name: str, fieldtype: str | FieldType = "Text",
                     length: int | None = None) -> CampaignsField:
        """Create a custom field; "already exists" (916) re-reads and returns the existing one.

        The name is checked first (``mapping.campaigns_field_name_problem``): an invalid one raises
        ``InvalidFieldName`` (code 1001, as Zoho would answer) naming a valid proposal.
        """
        problem = campaigns_field_name_problem(name)
        if problem is not None:
            raise InvalidFieldName(name, problem, propose_campaigns_field_name(name))
        kind = campaigns_type_for(fieldtype) if isinstance(fieldtype, FieldType) else str(fieldtype)
        if length is None:
            length = campaigns_length_for(fieldtype if isinstance(fieldtype, FieldType)
                                          else field_type_from_campaigns(kind))
        try:
            # custom/add is not repeated on a timeout (not idempotent at the HTTP level) but a
            # repeat is harmless: 916 makes it "exists".
            self._post("custom/add", {"type": "json", "fieldname": name, "fieldtype": kind,
                                      "fieldlength": length}, idempotent=True)
        except ApiError as exc:
            if exc.code != "916":
                raise
        for f in self.fields():
            if f.display_name.lower() == name.lower():
                return f
        raise ApiError("910", f"The field {name!r} was not found after creating it.")

    def subscribers(self, list_key: str, status: str = "active") -> Iterator[str]:
        """Emails of a list's contacts with ``status``: active, unsub(scribed), bounce(d), recent,
        mostrecent — getlistsubscribers' documented statuses (no spam, dnm or all)."""
        param = SUBSCRIBER_STATUS.get(status.lower())
        if param is None:
            raise ValueError(f"getlistsubscribers has no documented status {status!r} "
                             f"(use one of active, unsub, bounce, recent, mostrecent)")
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
        """listsubscriberscount for a documented status: active, unsub, bounce or spam."""
        param = COUNT_STATUS.get(status.lower())
        if param is None:
            raise ValueError(f"listsubscriberscount has no documented status {status!r} "
                             f"(use one of active, unsub, bounce, spam)")
        body = self.http.get("listsubscriberscount", {"resfmt": "JSON", "listkey": list_key,
                                                      "status": param})
        return int(body.get("no_of_contacts") or 0)

    # ------------------------------------------------------------------ writes

    def subscribe(self, list_key: str, contactinfo: dict[str, str], *, topic_ids: Iterable[str] = (),
                  source: str = DEFAULT_SOURCE, subscription_type: str | None = None,
                  lawful_basis: str | None = None) -> SubscribeResult:
        """Subscribe one contact. Contact-level refusals raise SubscribeRefused; any other
        ApiError stays plain (the engine decides). ``subscription_type`` / ``lawful_basis`` are
        sent only under the account's own consent fields; without them they are not sent."""
        info = dict(contactinfo)
        email = str(info.get(EMAIL_FIELD) or "").strip()
        if not email:
            raise ValueError("contactinfo needs a 'Contact Email'.")
        if subscription_type or lawful_basis:
            consent = self.consent_fields()
            if subscription_type and consent.subscription_type:
                info[consent.subscription_type] = subscription_type
            if lawful_basis and consent.lawful_basis:
                info[consent.lawful_basis] = lawful_basis
        params = {"resfmt": "JSON", "listkey": list_key, "contactinfo": json.dumps(info, ensure_ascii=False),
                  "source": source}
        topics = ",".join(str(t) for t in topic_ids if t)
        if topics:
            params["topic_id"] = topics
        try:
            # Same contactinfo = same end state, so a retry after a timeout is safe.
            body = self._post("json/listsubscribe", params, idempotent=True)
        except ApiError as exc:
            if exc.code in CONTACT_REFUSAL_CODES:
                raise refused(exc) from None
            raise
        message = str(body.get("message") or "")
        return SubscribeResult(email, confirmation_sent="confirm" in message.lower())
