"""Zoho Books v3 client: organizations and customers (newest-first pages to a watermark).

Decision on malformed records: a list item without a ``contact_id`` or with an unreadable
``last_modified_time`` is not a crash of the page. It is dropped from ``customers`` and reported
in ``CustomerPage.malformed`` (id/name/reason), so the engine can record a skip and carry on.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop_app.connectors.errors import ApiError, NotFound, Unavailable
from desktop_app.connectors.http import HttpService
from desktop_app.domain.limits import books_daily_cap
from desktop_app.domain.zoho import BooksCustomer, CustomerPage, MalformedCustomer, MalformedRecord

__all__ = ["BooksClient", "BooksCustomer", "CustomerPage", "MalformedCustomer", "MalformedRecord", "Organization",
           "customer_from_record"]

# Books codes of a record that does not exist (wire contract [INF]): the client says NotFound.
NOT_FOUND_CODES = frozenset({"1003", "5"})

log = logging.getLogger(__name__)

PER_PAGE = 200
DEFAULT_OVERLAP = timedelta(minutes=10)


def books_family(method: str, path: str) -> str:
    """Every Books call counts against the same per-organization windows."""
    return "books"


def parse_time(value: object) -> datetime | None:
    """Books timestamp → aware datetime. Accepts ``+0530``, ``+05:30`` and ``Z``; else None.

    ``datetime.fromisoformat`` (Python 3.11 reads all three) instead of ``strptime``, which cost
    1.5 % of a run's CPU; only the shape Books sends (date ``T`` time, with an offset) is taken.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) < 20 or text[10:11] not in ("T", "t"):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@dataclass(frozen=True)
class Organization:
    org_id: str
    name: str
    email: str
    time_zone: str
    plan_name: str
    is_default: bool


def _s(value: object) -> str:
    return "" if value is None else str(value).strip()


def customer_from_record(item: dict) -> BooksCustomer:
    """A list item or detail ``contact`` → BooksCustomer (MalformedRecord when unreadable)."""
    if not isinstance(item, dict):
        raise MalformedRecord("not an object")
    contact_id = _s(item.get("contact_id"))
    if not contact_id:
        raise MalformedRecord("no contact_id")
    modified = parse_time(item.get("last_modified_time"))
    if modified is None:
        raise MalformedRecord(f"unreadable last_modified_time {_s(item.get('last_modified_time'))[:40]!r}")
    record = dict(item)
    # Detail answers list custom fields; flatten them to the same cf_* keys the list uses.
    for cf in item.get("custom_fields") or []:
        if isinstance(cf, dict) and cf.get("api_name") and cf.get("value") not in (None, ""):
            record.setdefault(str(cf["api_name"]), cf["value"])
    for key, value in (item.get("custom_field_hash") or {}).items():
        if str(key).startswith("cf_") and not str(key).endswith("_unformatted"):
            record.setdefault(str(key), value)
    custom = {k: _s(v) for k, v in record.items() if k.startswith("cf_") and not isinstance(v, dict | list)}
    return BooksCustomer(
        contact_id=contact_id, contact_name=_s(item.get("contact_name")),
        company_name=_s(item.get("company_name")), first_name=_s(item.get("first_name")),
        last_name=_s(item.get("last_name")), email=_s(item.get("email")), phone=_s(item.get("phone")),
        mobile=_s(item.get("mobile")), status=_s(item.get("status")),
        customer_sub_type=_s(item.get("customer_sub_type")), website=_s(item.get("website")),
        created_time=parse_time(item.get("created_time")), last_modified_time=modified,
        custom=custom, record=record,
    )


class BooksClient:
    """Books for one organization (``org_id``); ``http`` is the Books HttpService."""

    def __init__(self, http: HttpService, org_id: str = "") -> None:
        self.http = http
        self.org_id = org_id

    @property
    def calls_made(self) -> int:
        return self.http.calls_made

    @staticmethod
    def daily_cap(plan: str | None = None) -> int:
        """The daily API cap of a Books plan_name; an unknown plan gets the smallest (Free, 1,000)."""
        return books_daily_cap(plan)

    @staticmethod
    def estimated_calls(n_customers: int, detail: bool = False) -> int:
        """Books calls a full read costs: one per 200 customers, plus one per customer with detail."""
        pages = max(1, math.ceil(n_customers / PER_PAGE))
        return pages + (n_customers if detail else 0)

    def _params(self, **extra) -> dict:
        if not self.org_id:
            raise ValueError("Choose a Books organization first.")
        return {"organization_id": self.org_id, **extra}

    def organizations(self) -> list[Organization]:
        body = self.http.get("organizations")
        orgs = []
        for o in body.get("organizations") or []:
            if not isinstance(o, dict) or not o.get("organization_id"):
                continue
            orgs.append(Organization(_s(o.get("organization_id")), _s(o.get("name")), _s(o.get("email")),
                                     _s(o.get("time_zone")), _s(o.get("plan_name")),
                                     bool(o.get("is_default_org"))))
        return orgs

    def iter_customer_pages(self, *, since: datetime | None = None, overlap: timedelta = DEFAULT_OVERLAP,
                            filter_by: str = "Status.All", start_page: int = 1) -> Iterator[CustomerPage]:
        """Customer pages, newest ``last_modified_time`` first.

        With ``since`` (an aware watermark), stops after the first page holding a customer older than
        ``since - overlap`` and drops those older ones. Without it, lists everything (reconciliation).
        """
        if since is not None and since.tzinfo is None:
            raise ValueError("The watermark must carry a time zone.")
        cutoff = since - overlap if since is not None else None
        page = max(1, start_page)
        while True:
            body = self.http.get("contacts", self._params(
                contact_type="customer", filter_by=filter_by, sort_column="last_modified_time",
                sort_order="D", page=page, per_page=PER_PAGE))
            items = body.get("contacts")
            if not isinstance(items, list):
                raise Unavailable("Zoho Books answered without a customer list; try again later.")
            customers: list[BooksCustomer] = []
            malformed: list[MalformedCustomer] = []
            reached = False
            for item in items:
                try:
                    customer = customer_from_record(item)
                except MalformedRecord as exc:
                    cid = _s(item.get("contact_id")) if isinstance(item, dict) else ""
                    name = _s(item.get("contact_name")) if isinstance(item, dict) else ""
                    log.warning("Books customer %s skipped: %s", cid or "?", exc)
                    malformed.append(MalformedCustomer(cid, name, str(exc)))
                    continue
                if cutoff is not None and customer.last_modified_time < cutoff:
                    reached = True
                    continue
                customers.append(customer)
            context = body.get("page_context") or {}
            has_more = bool(context.get("has_more_page")) and not reached
            yield CustomerPage(page, tuple(customers), has_more, reached, tuple(malformed))
            if not has_more:
                return
            page += 1

    def customer_detail(self, contact_id: str) -> BooksCustomer:
        """One customer with custom fields, contact persons and addresses (costs one call)."""
        try:
            body = self.http.get(f"contacts/{contact_id}", self._params())
        except ApiError as exc:
            if exc.code in NOT_FOUND_CODES:
                raise NotFound(exc.code, exc.zoho_message, status=exc.status) from None
            raise
        contact = body.get("contact")
        if not isinstance(contact, dict):
            raise NotFound("1003", "Contact does not exist.")
        return customer_from_record(contact)
