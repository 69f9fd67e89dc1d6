"""Zoho Books v3, as the Sandbox plays it: organizations and customers (list + detail).

Errors carry an HTTP status and ``{code, message}`` (docs/wire-contract.md). Timestamps are
written in the organization's zone as ``2024-03-05T10:00:00+0530``. Unknown parameters are
ignored, as Books does.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from desktop_app.domain.limits import BOOKS_DAILY_CAP_BY_PLAN as KNOWN_PLANS
from desktop_app.sandbox.http import Answer, Request, json_answer
from desktop_app.sandbox.state import State

BOOKS_PREFIX = "/books/v3"
SORT_COLUMNS = {
    "last_modified_time": "last_modified_time",
    "created_time": "created_time",
    "contact_name": "contact_name COLLATE NOCASE",
    "first_name": "first_name COLLATE NOCASE",
    "last_name": "last_name COLLATE NOCASE",
    "email": "email COLLATE NOCASE",
}
FILTERS = {"Status.All": None, "Status.Active": "active", "Status.Inactive": "inactive"}
LIST_COLUMNS = (
    "contact_id, contact_name, company_name, first_name, last_name, email, phone, mobile, status,"
    " customer_sub_type, created_time, last_modified_time, custom_json"
)
CUSTOM_FIELD_DEFS = (  # api_name → (index, label, data_type)
    ("cf_region", 1, "Region", "string"),
    ("cf_segment", 2, "Segment", "dropdown"),
    ("cf_customer_since", 3, "Customer since", "date"),
)


def error(status: int, code: int, message: str) -> Answer:
    return json_answer(status, {"code": code, "message": message})


def invalid(param: str) -> Answer:
    return error(400, 2, f"Invalid value passed for {param}")


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def stamp(epoch: int, zone: str) -> str:
    return datetime.fromtimestamp(epoch, _zone(zone)).strftime("%Y-%m-%dT%H:%M:%S%z")


class Books:
    def __init__(self, state: State) -> None:
        self.state = state

    def organizations(self) -> list[dict]:
        s = self.state.settings()
        org = {
            "organization_id": s["org_id"],
            "name": s["org_name"],
            "contact_name": "Demo Owner",
            "email": s["owner_email"],
            "is_default_org": True,
            "plan_type": 0,
            # Known plans as Zoho writes them ("PREMIUM"); any other name as given (books_plan knob).
            "plan_name": s["books_plan"].upper() if s["books_plan"].lower() in KNOWN_PLANS else s["books_plan"],
            "plan_period": "yearly",
            "language_code": "en",
            "fiscal_year_start_month": 3,
            "account_created_date": "2023-06-01",
            "time_zone": s["time_zone"],
            "is_org_active": True,
            "currency_id": "460000000000099",
            "currency_code": "INR",
            "currency_symbol": "₹",
            "currency_format": "##,##,##0.00",
            "price_precision": 2,
        }
        orgs = [org]
        if s.get("second_org"):
            orgs.append(
                {
                    **org,
                    "organization_id": "60087654321",
                    "name": "Zylker Second Branch",
                    "is_default_org": False,
                }
            )
        return orgs

    def org_ids(self) -> set[str]:
        return {o["organization_id"] for o in self.organizations()}

    def handle(self, req: Request) -> Answer:
        path = req.path[len(BOOKS_PREFIX) :].rstrip("/")
        if req.method != "GET":
            return error(405, 5, "Method not allowed")
        if path == "/organizations":
            return json_answer(200, {"code": 0, "message": "success", "organizations": self.organizations()})
        if req.params.get("organization_id", "") not in self.org_ids():
            return invalid("organization_id")
        if path == "/contacts":
            return self._list(req)
        if path.startswith("/contacts/") and path.count("/") == 2:
            return self._detail(req, path.rsplit("/", 1)[1])
        return error(404, 5, "Invalid URL Passed")

    # ------------------------------------------------------------------ list

    def _list(self, req: Request) -> Answer:
        p = req.params
        contact_type = p.get("contact_type", "customer")
        if contact_type not in ("customer", "vendor"):
            return invalid("contact_type")
        applied = p.get("filter_by", "Status.All")
        if applied not in FILTERS:
            return invalid("filter_by")
        sort_column = p.get("sort_column", "contact_name")
        if sort_column not in SORT_COLUMNS:
            return invalid("sort_column")
        sort_order = p.get("sort_order", "A")
        if sort_order not in ("A", "D"):
            return invalid("sort_order")
        try:
            page = int(p.get("page", "1"))
        except ValueError:
            return invalid("page")
        try:
            per_page = int(p.get("per_page", "200"))
        except ValueError:
            return invalid("per_page")
        if page < 1:
            return invalid("page")
        if not 1 <= per_page <= 200:
            return invalid("per_page")
        direction = "DESC" if sort_order == "D" else "ASC"
        where, args = "org_id = ?", [p["organization_id"]]
        if FILTERS[applied]:
            where += " AND status = ?"
            args.append(FILTERS[applied])
        if contact_type == "vendor":  # the demo organization has customers only
            where += " AND 0"
        sql = (
            f"SELECT {LIST_COLUMNS} FROM customers WHERE {where} "
            f"ORDER BY {SORT_COLUMNS[sort_column]} {direction}, contact_id {direction} LIMIT ? OFFSET ?"
        )
        with self.state.read() as db:
            rows = db.execute(sql, (*args, per_page + 1, (page - 1) * per_page)).fetchall()
        zone = self.state.settings()["time_zone"]
        items = [self._item(r, zone) for r in rows[:per_page]]
        return json_answer(
            200,
            {
                "code": 0,
                "message": "success",
                "contacts": items,
                "page_context": {
                    "page": page,
                    "per_page": per_page,
                    "has_more_page": len(rows) > per_page,
                    "report_name": "Contacts",
                    "applied_filter": applied,
                    "sort_column": sort_column,
                    "sort_order": sort_order,
                },
            },
        )

    @staticmethod
    def _item(r: sqlite3.Row, zone: str) -> dict:
        item = {
            "contact_id": r["contact_id"],
            "contact_name": r["contact_name"],
            "customer_name": r["contact_name"],
            "company_name": r["company_name"],
            "contact_type": "customer",
            "customer_sub_type": r["customer_sub_type"],
            "status": r["status"],
            "first_name": r["first_name"],
            "last_name": r["last_name"],
            "email": r["email"],
            "phone": r["phone"],
            "mobile": r["mobile"],
            "payment_terms": 0,
            "payment_terms_label": "Due on Receipt",
            "currency_id": "460000000000099",
            "currency_code": "INR",
            "outstanding_receivable_amount": 0.0,
            "unused_credits_receivable_amount": 0.0,
            "has_attachment": False,
            "created_time": stamp(r["created_time"], zone),
            "last_modified_time": stamp(r["last_modified_time"], zone),
        }
        # Empty custom fields are left out of record payloads (reference §2.4).
        for key, value in json.loads(r["custom_json"]).items():
            if value not in (None, ""):
                item[key] = value
        return item

    # ------------------------------------------------------------------ detail

    def _detail(self, req: Request, contact_id: str) -> Answer:
        with self.state.read() as db:
            r = db.execute(
                "SELECT * FROM customers WHERE contact_id = ? AND org_id = ?",
                (contact_id, req.params["organization_id"]),
            ).fetchone()
        if r is None:
            return error(404, 1003, "Contact does not exist.")
        zone = self.state.settings()["time_zone"]
        contact = self._item(r, zone)
        custom = json.loads(r["custom_json"])
        fields = []
        for api_name, index, label, data_type in CUSTOM_FIELD_DEFS:
            value = custom.get(api_name)
            if value not in (None, ""):
                fields.append(
                    {
                        "customfield_id": str(460000000050000 + index),
                        "index": index,
                        "label": label,
                        "api_name": api_name,
                        "value": value,
                        "value_formatted": value,
                        "data_type": data_type,
                    }
                )
        persons = json.loads(r["persons_json"])
        primary = next((pp["contact_person_id"] for pp in persons if pp.get("is_primary_contact")), "")
        contact.update(
            {
                "website": r["website"],
                "has_transaction": False,
                "is_taxable": True,
                "credit_limit": 0,
                "primary_contact_id": primary,
                "custom_fields": fields,
                "custom_field_hash": {f["api_name"]: f["value"] for f in fields},
                "contact_persons": persons,
                "billing_address": json.loads(r["billing_json"]),
                "shipping_address": json.loads(r["billing_json"]),
                "notes": "",
            }
        )
        return json_answer(200, {"code": 0, "message": "success", "contact": contact})
