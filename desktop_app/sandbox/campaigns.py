"""Zoho Campaigns v1.1, as the Sandbox plays it: lists, subscribers, counts, fields, topics.

Every answer is HTTP 200 JSON; errors are ``{"status":"error","code":"<string>","message":…}``
(docs/wire-contract.md). Writes (listsubscribe, bulk add, custom/add) live in subscribe.py.
Parameters outside an endpoint's documented set answer code "1002" (Extra parameter found).
"""

from __future__ import annotations

import json
import re
from typing import Any

from desktop_app.sandbox.http import Answer, Request, json_answer
from desktop_app.sandbox.state import State

CAMPAIGNS_PREFIX = "/api/v1.1/"
COMMON_PARAMS = frozenset({"resfmt", "type", "version"})
ENDPOINT_PARAMS: dict[str, frozenset[str]] = {
    "getmailinglists": frozenset({"sort", "fromindex", "range"}),
    "getlistsubscribers": frozenset({"listkey", "sort", "fromindex", "range", "status"}),
    "listsubscriberscount": frozenset({"listkey", "status"}),
    "json/listsubscribe": frozenset({"listkey", "contactinfo", "source", "topic_id"}),
    "addlistsubscribersinbulk": frozenset({"listkey", "emailids", "source", "topic_id"}),
    "contact/allfields": frozenset(),
    "custom/add": frozenset({"fieldname", "fieldtype", "fieldlength"}),
    "topics": frozenset({"details", "from_index", "range"}),
}
STATUSES = ("active", "unsub", "bounce", "spam", "dnm")
STATE_NAMES = {
    "unsub": "unsubscribed",
    "bounce": "bounced",
    "spam": "marked as spam",
    "dnm": "on the do-not-mail list",
}
MAX_RANGE = 1000


def error(code: str, message: str, path: str = "") -> Answer:
    return json_answer(
        200,
        {"status": "error", "code": code, "message": message, "uri": f"/api/v1.1/{path}", "version": "1.1"},
    )


def wrapped_error(code: str, message: str, path: str) -> Answer:
    """contact/allfields and custom/add wrap their answers in ``response``."""
    return json_answer(
        200,
        {
            "response": {
                "status": "error",
                "code": code,
                "message": message,
                "uri": f"/api/v1.1/{path}",
                "type": "json",
            }
        },
    )


def success(path: str, **fields: Any) -> Answer:
    return json_answer(200, {"status": "success", "code": 0, "uri": f"/api/v1.1/{path}", "version": "1.1", **fields})


def parse_index(value: str | None, default: int, minimum: int) -> int | None:
    try:
        n = int(value) if value not in (None, "") else default
    except ValueError:
        return None
    return n if n >= minimum else None


class Campaigns:
    def __init__(self, state: State) -> None:
        self.state = state
        from desktop_app.sandbox.subscribe import Writer  # writes share this object's state

        self.writer = Writer(state)

    def endpoint(self, path: str) -> str:
        return path[len(CAMPAIGNS_PREFIX) :].strip("/") if path.startswith(CAMPAIGNS_PREFIX) else ""

    def handle(self, req: Request) -> Answer:
        ep = self.endpoint(req.path)
        allowed = ENDPOINT_PARAMS.get(ep)
        if allowed is None:
            return error("1004", "Wrong URL / resource not found.", ep)
        extra = sorted(set(req.params) - allowed - COMMON_PARAMS)
        if extra:
            return error("1002", f"Extra parameter found: {extra[0]}.", ep)
        handlers = {
            "getmailinglists": self._lists,
            "getlistsubscribers": self._subscribers,
            "listsubscriberscount": self._count,
            "contact/allfields": self._fields,
            "topics": self._topics,
            "json/listsubscribe": self.writer.listsubscribe,
            "addlistsubscribersinbulk": self.writer.bulk,
            "custom/add": self.writer.custom_add,
        }
        return handlers[ep](req)

    # ------------------------------------------------------------------ reads

    def list_exists(self, db, listkey: str | None) -> bool:
        return bool(listkey) and db.execute("SELECT 1 FROM camp_lists WHERE listkey=?", (listkey,)).fetchone()

    def _lists(self, req: Request) -> Answer:
        p = req.params
        sort = p.get("sort", "asc")
        start = parse_index(p.get("fromindex"), 1, 1)
        count = parse_index(p.get("range"), 20, 1)
        if sort not in ("asc", "desc") or start is None or count is None:
            return error("1005", "Wrong data type format (sort, fromindex or range).", "getmailinglists")
        owner = self.state.settings()["campaigns_owner_email"]
        with self.state.read() as db:
            rows = db.execute(
                "SELECT l.listkey, l.listname, l.created_date, l.is_public,"
                " COALESCE(SUM(c.status='active'), 0) AS active, COALESCE(SUM(c.status='unsub'), 0) AS unsub,"
                " COALESCE(SUM(c.status='bounce'), 0) AS bounce FROM camp_lists l"
                " LEFT JOIN camp_members m ON m.listkey = l.listkey"
                " LEFT JOIN camp_contacts c ON c.email_key = m.email_key"
                f" GROUP BY l.listkey ORDER BY l.created_date {sort.upper()}, l.listkey LIMIT ? OFFSET ?",
                (count, start - 1),
            ).fetchall()
        details = [
            {
                "listkey": r["listkey"],
                "listname": r["listname"],
                "noofcontacts": r["active"],
                "noofunsubcnt": r["unsub"],
                "noofbouncecnt": r["bounce"],
                "lockstatus": "unlocked",
                "is_public": bool(r["is_public"]),
                "created_date": r["created_date"],
                "owner": owner,
                "segments": {},
            }
            for r in rows
        ]
        return success(
            "getmailinglists",
            sort="Ascending Order" if sort == "asc" else "Descending Order",
            fromindex=start,
            range=count,
            list_of_details=details,
        )

    def _status_filter(self, value: str | None, default: str) -> tuple[str, ...] | None:
        status = (value or default).lower()
        if status in ("recent", "mostrecent"):
            status = "active"
        if status == "all":
            return STATUSES
        return (status,) if status in STATUSES else None

    def _subscribers(self, req: Request) -> Answer:
        p, ep = req.params, "getlistsubscribers"
        statuses = self._status_filter(p.get("status"), "active")
        start = parse_index(p.get("fromindex"), 1, 1)
        count = parse_index(p.get("range"), 20, 1)
        sort = p.get("sort", "asc")
        if statuses is None or start is None or count is None or sort not in ("asc", "desc"):
            return error("1005", "Wrong data type format (status, sort, fromindex or range).", ep)
        count = min(count, MAX_RANGE)
        with self.state.read() as db:
            if not self.list_exists(db, p.get("listkey")):
                return error("2501", "Listkey is empty or invalid.", ep)
            marks = ",".join("?" * len(statuses))
            rows = db.execute(
                "SELECT c.email, c.fields_json, c.zuid, c.status, m.added_time FROM camp_members m"
                " JOIN camp_contacts c ON c.email_key = m.email_key"
                f" WHERE m.listkey = ? AND c.status IN ({marks})"
                f" ORDER BY m.seq {sort.upper()} LIMIT ? OFFSET ?",
                (p["listkey"], *statuses, count, start - 1),
            ).fetchall()
        if not rows:
            return error("2502", "There are no contacts in this list.", ep)
        details = []
        for r in rows:
            f = json.loads(r["fields_json"])
            details.append(
                {
                    "contact_email": r["email"],
                    "firstname": f.get("First Name", ""),
                    "lastname": f.get("Last Name", ""),
                    "companyname": f.get("Company Name", ""),
                    "phone": f.get("Phone", ""),
                    "added_time": str(r["added_time"] * 1000),
                    "zuid": r["zuid"],
                    "status": r["status"],
                }
            )
        return success(ep, list_of_details=details)

    def _count(self, req: Request) -> Answer:
        p, ep = req.params, "listsubscriberscount"
        statuses = self._status_filter(p.get("status"), "active")
        if statuses is None:
            return error("1005", "Wrong data type format (status).", ep)
        with self.state.read() as db:
            if not self.list_exists(db, p.get("listkey")):
                return error("2501", "Listkey is empty or invalid.", ep)
            marks = ",".join("?" * len(statuses))
            n = db.execute(
                "SELECT COUNT(*) FROM camp_members m JOIN camp_contacts c ON c.email_key = m.email_key"
                f" WHERE m.listkey = ? AND c.status IN ({marks})",
                (p["listkey"], *statuses),
            ).fetchone()[0]
        return success(ep, no_of_contacts=n)

    def _fields(self, req: Request) -> Answer:
        with self.state.read() as db:
            rows = db.execute("SELECT * FROM camp_fields ORDER BY field_id").fetchall()
        fields = [
            {
                "DISPLAY_NAME": r["display_name"],
                "FIELD_NAME": r["field_name"],
                "FIELD_ID": r["field_id"],
                "IS_MANDATORY": bool(r["is_mandatory"]),
                "FIELD_TYPE": r["field_type"],
                "IS_CUSTOM": bool(r["is_custom"]),
            }
            for r in rows
        ]
        if self.state.settings()["gdpr"]:
            # The GDPR flag shows as a Lawful Basis field (docs/wire-contract.md); absent when off.
            fields.append(
                {
                    "DISPLAY_NAME": "Lawful Basis",
                    "FIELD_NAME": "lawful_basis",
                    "FIELD_ID": 4_000_000_000_011,
                    "IS_MANDATORY": False,
                    "FIELD_TYPE": "Picklist",
                    "IS_CUSTOM": False,
                }
            )
        return json_answer(
            200,
            {
                "response": {
                    "message": "success",
                    "code": "0",
                    "uri": "/api/contact/allfields",
                    "fieldnames": {"fieldname": fields},
                }
            },
        )

    def _topics(self, req: Request) -> Answer:
        details = req.params.get("details", "")
        start, count = 0, 50
        for name, value in re.findall(r"(from_index|range)\"?\s*:\s*\"?(\d+)", details):
            start, count = (int(value), count) if name == "from_index" else (start, int(value))
        start = int(req.params.get("from_index", start)) if req.params.get("from_index", "").isdigit() else start
        count = int(req.params.get("range", count)) if req.params.get("range", "").isdigit() else count
        with self.state.read() as db:
            rows = db.execute("SELECT * FROM camp_topics ORDER BY topic_id LIMIT ? OFFSET ?", (count, start)).fetchall()
        topics = [
            {"topicId": r["topic_id"], "topicName": r["topic_name"], "primaryList": int(r["primary_list"])}
            for r in rows
        ]
        return json_answer(
            200, {"code": "200", "message": "Success", "uri": "/api/v1.1/topics", "topicDetails": topics}
        )
