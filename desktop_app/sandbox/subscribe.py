"""Campaigns writes: json/listsubscribe, addlistsubscribersinbulk and custom/add.

Do-not-mail, unsubscribed, bounced and spam are account-level states: such a contact is never
re-subscribed, to any list (code "2104", ``contact_status`` names the state). The plan's contact
limit counts active Marketing contacts of the account; it is kept as a counter so a write stays
O(1) (recounted after admin edits).
"""

from __future__ import annotations

import json
import re
import time

from desktop_app.domain import emails
from desktop_app.sandbox.campaigns import STATE_NAMES, error, wrapped_error
from desktop_app.sandbox.http import Answer, Request, json_answer
from desktop_app.sandbox.seed import zuid
from desktop_app.sandbox.state import State

SUBSCRIPTION_TYPES = {"marketing": "Marketing", "non-marketing": "Non-marketing"}
LAWFUL_BASES = (
    "Consent",
    "Contract",
    "Legal obligation",
    "Vital interests",
    "Public task",
    "Legitimate interests",
)
_BASIS_KEYS = {b.lower().rstrip("s"): b for b in LAWFUL_BASES}
PSEUDO_FIELDS = ("Subscription Type", "Lawful Basis")
FIELD_TYPES = (
    "Text",
    "Integer",
    "Phone",
    "Date",
    "Picklist",
    "Email",
    "Checkbox",
    "LongInteger",
    "URL",
    "textarea",
    "RadioOption",
    "Multiselect",
    "DateTime",
    "Decimal",
    "Percent",
)
_FIELDNAME = re.compile(r"^[A-Za-z0-9 ]{1,50}$")
MAX_BULK = 10


def basis(value: str) -> str | None:
    return _BASIS_KEYS.get(value.strip().lower().rstrip("s"))


class Writer:
    def __init__(self, state: State) -> None:
        self.state = state
        self._marketing: int | None = None
        self._seq = 0

    def invalidate(self) -> None:
        self._marketing = None

    def _marketing_count(self, db) -> int:
        if self._marketing is None:
            self._marketing = db.execute(
                "SELECT COUNT(*) FROM camp_contacts WHERE status='active' AND subscription_type='Marketing'"
            ).fetchone()[0]
        return self._marketing

    def _next_seq(self, db, listkey: str) -> int:
        row = db.execute("SELECT MAX(seq) FROM camp_members WHERE listkey=?", (listkey,)).fetchone()
        return (row[0] or 0) + 1

    def _topics(self, db, raw: str | None) -> list[str] | None:
        ids = [t.strip() for t in (raw or "").split(",") if t.strip()]
        for topic in ids:
            if not db.execute("SELECT 1 FROM camp_topics WHERE topic_id=?", (topic,)).fetchone():
                return None
        return ids

    # ------------------------------------------------------------------ json/listsubscribe

    def listsubscribe(self, req: Request) -> Answer:
        p, ep = req.params, "json/listsubscribe"
        settings = self.state.settings()
        if "contactinfo" not in p:
            return error("903", "Mandatory parameter contactinfo is missing.", ep)
        try:
            info = json.loads(p["contactinfo"])
        except ValueError:
            info = None
        if not isinstance(info, dict):
            return error("2001", "The contactinfo is not in a valid JSON format.", ep)
        raw_email = info.get("Contact Email")
        if not isinstance(raw_email, str) or not raw_email.strip():
            return error("903", "Mandatory field Contact Email is missing.", ep)
        address = emails.clean(raw_email)
        if not emails.is_valid_pattern(address):
            return error("2004", "Invalid contact email address.", ep)
        if emails.is_role_address(address):
            return error("2005", "Group email addresses (role addresses) are not allowed.", ep)
        sub_type = None
        if "Subscription Type" in info:
            sub_type = SUBSCRIPTION_TYPES.get(str(info["Subscription Type"]).strip().lower())
            if sub_type is None:
                return error("2001", "Subscription Type must be Marketing or Non-marketing.", ep)
        lawful = None
        if "Lawful Basis" in info:
            if not settings["gdpr"]:
                return error("2001", "Lawful Basis is accepted only when GDPR compliance is enabled.", ep)
            lawful = basis(str(info["Lawful Basis"]))
            if lawful is None:
                return error("2001", f"Lawful Basis must be one of: {', '.join(LAWFUL_BASES)}.", ep)
        key = emails.identity(address)
        with self.state.tx() as db:
            if (
                not p.get("listkey")
                or not db.execute("SELECT 1 FROM camp_lists WHERE listkey=?", (p["listkey"],)).fetchone()
            ):
                return error("2501", "Listkey is empty or invalid.", ep)
            known = {r[0].lower(): r[0] for r in db.execute("SELECT display_name FROM camp_fields")}
            values: dict[str, str] = {}
            for name, value in info.items():
                if name in PSEUDO_FIELDS:
                    continue
                display = known.get(str(name).lower())
                if display is None:
                    return error("910", f"Field '{name}' not found in this account.", ep)
                if not isinstance(value, str | int | float | bool | None):
                    return error("2001", f"The value of '{name}' must be text.", ep)
                values[display] = "" if value is None else str(value)
            topics = self._topics(db, p.get("topic_id"))
            if topics is None:
                return error("1005", "topic_id is not a topic of this account.", ep)
            row = db.execute("SELECT * FROM camp_contacts WHERE email_key=?", (key,)).fetchone()
            if row is not None and row["status"] != "active":
                state = row["status"]
                return json_answer(
                    200,
                    {
                        "status": "error",
                        "code": "2104",
                        "contact_status": state,
                        "message": f"The contact is {STATE_NAMES[state]}; it cannot be subscribed again.",
                        "uri": f"/api/v1.1/{ep}",
                    },
                )
            now = int(time.time())
            old_type = row["subscription_type"] if row is not None else None
            new_type = sub_type or old_type or "Marketing"
            adds_marketing = new_type == "Marketing" and old_type != "Marketing"
            if adds_marketing and self._marketing_count(db) >= int(settings["plan_contact_limit"]):
                return error("914", "The contact limit of your plan has been reached.", ep)
            fields = json.loads(row["fields_json"]) if row is not None else {}
            for name, value in values.items():
                if name == "Contact Email":
                    continue
                if value == "":
                    fields.pop(name, None)  # an empty value clears the field
                else:
                    fields[name] = value
            if row is None:
                db.execute(
                    "INSERT INTO camp_contacts (email_key, email, zuid, fields_json, status,"
                    " subscription_type, lawful_basis, topics, source, added_time)"
                    " VALUES (?,?,?,?, 'active', ?,?,?,?,?)",
                    (
                        key,
                        address,
                        zuid(key),
                        json.dumps(fields, ensure_ascii=False),
                        new_type,
                        lawful or "",
                        ",".join(topics),
                        p.get("source", ""),
                        now,
                    ),
                )
            else:
                merged = sorted(set(filter(None, row["topics"].split(","))) | set(topics))
                db.execute(
                    "UPDATE camp_contacts SET fields_json=?, subscription_type=?, lawful_basis=?,"
                    " topics=? WHERE email_key=?",
                    (
                        json.dumps(fields, ensure_ascii=False),
                        new_type,
                        lawful or row["lawful_basis"],
                        ",".join(merged),
                        key,
                    ),
                )
            if adds_marketing and self._marketing is not None:
                self._marketing += 1
            elif old_type == "Marketing" and new_type != "Marketing" and self._marketing is not None:
                self._marketing -= 1
            member = db.execute(
                "SELECT 1 FROM camp_members WHERE listkey=? AND email_key=?", (p["listkey"], key)
            ).fetchone()
            if member is None:
                db.execute(
                    "INSERT INTO camp_members (listkey, email_key, added_time, seq) VALUES (?,?,?,?)",
                    (p["listkey"], key, now, self._next_seq(db, p["listkey"])),
                )
        return json_answer(
            200,
            {
                "status": "success",
                "code": "0",
                "message": "User successfully subscribed.",
                "contact_status": "added" if member is None else "updated",
                "uri": f"/api/v1.1/{ep}",
                "version": "1.1",
            },
        )

    # ------------------------------------------------------------------ addlistsubscribersinbulk

    def bulk(self, req: Request) -> Answer:
        p, ep = req.params, "addlistsubscribersinbulk"
        if not p.get("emailids", "").strip():
            return error("903", "Mandatory parameter emailids is missing.", ep)
        addresses = [a.strip() for a in p["emailids"].split(",") if a.strip()]
        if len(addresses) > MAX_BULK:
            return error("1002", f"At most {MAX_BULK} email addresses per call.", ep)
        limit = int(self.state.settings()["plan_contact_limit"])
        added, skipped, now = [], [], int(time.time())
        with self.state.tx() as db:
            if (
                not p.get("listkey")
                or not db.execute("SELECT 1 FROM camp_lists WHERE listkey=?", (p["listkey"],)).fetchone()
            ):
                return error("2501", "Listkey is empty or invalid.", ep)
            topics = self._topics(db, p.get("topic_id"))
            if topics is None:
                return error("1005", "topic_id is not a topic of this account.", ep)
            plan: list[tuple[str, str, bool]] = []
            for raw in addresses:
                address, key = emails.clean(raw), emails.identity(raw)
                verdict = emails.check(raw)
                row = db.execute("SELECT status FROM camp_contacts WHERE email_key=?", (key,)).fetchone()
                if not verdict.ok:
                    skipped.append({"email": raw, "reason": verdict.problem.value})
                elif row is not None and row["status"] != "active":
                    skipped.append({"email": raw, "reason": row["status"]})
                else:
                    plan.append((key, address, row is None))
            new = sum(1 for _, _, is_new in plan if is_new)
            if new and self._marketing_count(db) + new > limit:
                return error("2302", "Cannot add contacts: the contact limit of your plan is reached.", ep)
            seq = self._next_seq(db, p["listkey"])
            for key, address, is_new in plan:
                if is_new:
                    db.execute(
                        "INSERT INTO camp_contacts (email_key, email, zuid, status, subscription_type,"
                        " topics, source, added_time) VALUES (?,?,?,'active','Marketing',?,?,?)",
                        (key, address, zuid(key), ",".join(topics), p.get("source", ""), now),
                    )
                    self._marketing = None if self._marketing is None else self._marketing + 1
                cur = db.execute(
                    "INSERT OR IGNORE INTO camp_members (listkey, email_key, added_time, seq) VALUES (?,?,?,?)",
                    (p["listkey"], key, now, seq),
                )
                seq += 1
                if cur.rowcount:
                    added.append(address)
        return json_answer(
            200,
            {
                "status": "success",
                "code": "0",
                "message": "Contacts added successfully.",
                "added": added,
                "skipped": skipped,
                "uri": f"/api/v1.1/{ep}",
            },
        )

    # ------------------------------------------------------------------ custom/add

    def custom_add(self, req: Request) -> Answer:
        p, ep = req.params, "custom/add"
        name, ftype = p.get("fieldname", "").strip(), p.get("fieldtype", "").strip()
        if not name or not ftype:
            return wrapped_error("903", "Mandatory parameters fieldname and fieldtype are required.", ep)
        if not _FIELDNAME.match(name):
            return wrapped_error("1001", "fieldname must be alphanumeric (spaces allowed).", ep)
        canonical = {t.lower(): t for t in FIELD_TYPES}.get(ftype.lower())
        if canonical is None:
            return wrapped_error("1005", f"fieldtype must be one of: {', '.join(FIELD_TYPES)}.", ep)
        length = p.get("fieldlength", "20")
        if not length.isdigit() or not 1 <= int(length) <= 1000:
            return wrapped_error("1005", "fieldlength must be a number from 1 to 1000.", ep)
        with self.state.tx() as db:
            taken = name.lower() in (f.lower() for f in PSEUDO_FIELDS)
            if taken or db.execute("SELECT 1 FROM camp_fields WHERE display_name=?", (name,)).fetchone():
                return wrapped_error("916", "A field with this name already exists.", ep)
            top = db.execute("SELECT MAX(field_id) FROM camp_fields").fetchone()[0] or 4_000_000_000_000
            db.execute(
                "INSERT INTO camp_fields (field_id, display_name, field_name, field_type, is_mandatory,"
                " is_custom, field_length) VALUES (?,?,?,?,0,1,?)",
                (top + 4, name, "cf_" + name.lower().replace(" ", "_"), canonical, int(length)),
            )
        return json_answer(
            200,
            {
                "response": {
                    "message": "Success",
                    "fieldtype": canonical,
                    "mandatory_check": "success",
                    "code": "200",
                    "type": "json",
                    "uri": "/api/custom/add",
                    "fieldname": name,
                    "fieldlength": length,
                }
            },
        )
