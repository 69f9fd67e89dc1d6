"""Zoho Campaigns v1.1, as the Sandbox plays it: lists, subscribers, counts, fields, topics.

Every answer is HTTP 200 JSON; errors are ``{"status":"error","code":"<string>","message":…}``
(docs/wire-contract.md). Writes (listsubscribe, bulk add, custom/add) live in subscribe.py.
Strict (contract.py): each endpoint takes exactly its documented parameters (extra → "1002",
missing mandatory → "903", bad value → "1005") and a POST must declare its form-urlencoded body.
"""

from __future__ import annotations

import json
import re
from typing import Any

from desktop_app.sandbox import contract
from desktop_app.sandbox.http import Answer, Request, json_answer
from desktop_app.sandbox.state import State

CAMPAIGNS_PREFIX = "/api/v1.1/"
ENDPOINTS = frozenset(contract.STRICT_PARAMS)
WRAPPED = frozenset({"contact/allfields", "custom/add"})  # answers inside {"response": …}
STATUSES = ("active", "unsub", "bounce", "spam", "dnm")
# How a 2104 refusal names the state (the connector reads the words: unsub / bounce / spam / else dnm).
STATE_MESSAGES = {
    "unsub": "This contact is unsubscribed and cannot be subscribed again.",
    "bounce": "This contact has bounced and cannot be subscribed again.",
    "spam": "This contact is marked as spam and cannot be subscribed again.",
    "dnm": "This contact is in the do-not-mail list and cannot be subscribed again.",
}
MAX_RANGE = 1000
# The documented consent-related fields (consent_fields knob): display name → FIELD_NAME, FIELD_ID.
CONSENT_FIELDS = (
    ("Subscription Type", "subscription_type", 4_000_000_000_007),
    ("Lawful Basis", "lawful_basis", 4_000_000_000_011),
)


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
        if ep not in ENDPOINTS:
            return error("1004", "Wrong URL / resource not found.", ep)
        refused = self._check_request(req, ep, contract.is_strict(self.state.settings()))
        if refused is not None:
            return refused
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

    def _check_request(self, req: Request, ep: str, strict: bool) -> Answer | None:
        """The documented header and parameter set (strict), or the lenient extras check."""
        fail = wrapped_error if ep in WRAPPED else error
        if not strict:
            extra = sorted(set(req.params) - contract.LENIENT_PARAMS[ep] - contract.LENIENT_COMMON)
            return fail("1002", f"Extra parameter found: {extra[0]}.", ep) if extra else None
        if req.method == "POST" and not req.form:
            return fail("903", "Mandatory header Content-Type is missing.", ep)
        extra = sorted(set(req.params) - contract.STRICT_PARAMS[ep])
        if extra:
            return fail("1002", "Extra parameter found.", ep)
        missing = [name for name in contract.MANDATORY_PARAMS[ep] if not req.params.get(name, "").strip()]
        if missing:
            return fail("903", f"Mandatory parameter {missing[0]} is missing.", ep)
        for name in ("resfmt", "type"):
            if name in req.params and req.params[name].strip().lower() != "json":
                return fail("1005", f"Wrong data type format ({name}).", ep)
        return None

    def consent_fields(self) -> list[dict]:
        """The consent fields the account exposes (none unless the consent_fields knob is on)."""
        if not self.state.settings()["consent_fields"]:
            return []
        return [
            {"DISPLAY_NAME": d, "FIELD_NAME": f, "FIELD_ID": i, "IS_MANDATORY": False,
             "FIELD_TYPE": "Picklist", "IS_CUSTOM": False}
            for d, f, i in CONSENT_FIELDS
        ]

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
        if not details and contract.is_strict(self.state.settings()):
            return error("2401", "No mailing list has been created", "getmailinglists")
        return success(
            "getmailinglists",
            sort="Ascending Order" if sort == "asc" else "Descending Order",
            fromindex=start,
            range=count,
            list_of_details=details,
        )

    def _status_filter(self, value: str | None, documented: tuple[str, ...]) -> tuple[str, ...] | None:
        status = (value or "active").strip().lower()
        allowed = documented if contract.is_strict(self.state.settings()) else contract.LENIENT_STATUSES
        if status not in allowed:
            return None
        if status in ("recent", "mostrecent", "most recent"):
            status = "active"
        if status == "all":
            return STATUSES
        return (status,) if status in STATUSES else None

    def _subscribers(self, req: Request) -> Answer:
        p, ep = req.params, "getlistsubscribers"
        statuses = self._status_filter(p.get("status"), contract.STRICT_LIST_STATUSES)
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
        statuses = self._status_filter(p.get("status"), contract.STRICT_COUNT_STATUSES)
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
        fields += self.consent_fields()
        if contract.is_strict(self.state.settings()):  # documented: these three keys only
            fields = [{k: f[k] for k in ("DISPLAY_NAME", "FIELD_NAME", "FIELD_ID")} for f in fields]
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
        for name, value in re.findall(r"(from_index|range)\"?\s*:\s*\"?(-?\d+)", details):
            start, count = (int(value), count) if name == "from_index" else (start, int(value))
        if not contract.is_strict(self.state.settings()):  # lenient: also as separate parameters
            start = int(req.params["from_index"]) if req.params.get("from_index", "").isdigit() else start
            count = int(req.params["range"]) if req.params.get("range", "").isdigit() else count
        if start < 0 or count < 1:
            return error("1005", "Wrong data type format (details).", "topics")
        with self.state.read() as db:
            rows = db.execute("SELECT * FROM camp_topics ORDER BY topic_id LIMIT ? OFFSET ?", (count, start)).fetchall()
        topics = [
            {"topicId": r["topic_id"], "topicName": r["topic_name"], "primaryList": int(r["primary_list"])}
            for r in rows
        ]
        return json_answer(
            200, {"code": "200", "message": "Success", "uri": "/api/v1.1/topics", "topicDetails": topics}
        )
