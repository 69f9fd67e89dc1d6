"""Campaigns writes: json/listsubscribe, addlistsubscribersinbulk and custom/add.

Do-not-mail, unsubscribed, bounced and spam are account-level states: such a contact is never
re-subscribed, to any list (code "2104"; the message names the state). The plan's contact limit
counts active Marketing contacts of the account; it is kept as a counter so a write stays O(1)
(recounted after admin edits). A list with a signup form (``camp_lists.signup_form``, double
opt-in) does not take a new contact at once: the subscribe stores a pending confirmation and
answers Zoho's "A confirmation email is sent…" text; ``confirm()`` (the admin API) plays the click.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time

from desktop_app.domain import emails
from desktop_app.sandbox import contract
from desktop_app.sandbox.campaigns import CONSENT_FIELDS, STATE_MESSAGES, error, wrapped_error
from desktop_app.sandbox.customers import NotFound
from desktop_app.sandbox.http import Answer, Request, json_answer
from desktop_app.sandbox.seed import zuid
from desktop_app.sandbox.state import State

SUBSCRIBED = "User successfully subscribed."
CONFIRMATION_SENT = "A confirmation email is sent to the user. User needs to confirm to successfully subscribe."
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
SUBSCRIPTION_FIELD, LAWFUL_FIELD = (d for d, _, _ in CONSENT_FIELDS)
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
_STRICT_FIELDNAME = re.compile(r"^[A-Za-z0-9]{1,50}$")  # documented: alphanumeric
_LENIENT_FIELDNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9 ]{0,48}[A-Za-z0-9])?$")  # inner spaces too
MAX_BULK = 10


def basis(value: str) -> str | None:
    return _BASIS_KEYS.get(value.strip().lower().rstrip("s"))


def _success(ep: str, message: str, **extra) -> Answer:
    return json_answer(
        200,
        {"status": "success", "code": "0", "message": message, **extra, "uri": f"/api/v1.1/{ep}", "version": "1.1"},
    )


class Writer:
    def __init__(self, state: State) -> None:
        self.state = state
        self._marketing: int | None = None

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

    @staticmethod
    def _list(db, listkey: str | None) -> sqlite3.Row | None:
        if not listkey:
            return None
        return db.execute("SELECT * FROM camp_lists WHERE listkey=?", (listkey,)).fetchone()

    @staticmethod
    def _is_member(db, listkey: str, key: str) -> bool:
        return bool(
            db.execute("SELECT 1 FROM camp_members WHERE listkey=? AND email_key=?", (listkey, key)).fetchone()
        )

    def _known_fields(self, db, consent: bool) -> dict[str, str]:
        known = {r[0].lower(): r[0] for r in db.execute("SELECT display_name FROM camp_fields")}
        if consent:
            known.update({d.lower(): d for d, _, _ in CONSENT_FIELDS})
        return known

    # ------------------------------------------------------------------ json/listsubscribe

    def listsubscribe(self, req: Request) -> Answer:
        p, ep = req.params, "json/listsubscribe"
        settings = self.state.settings()
        strict, consent = contract.is_strict(settings), bool(settings["consent_fields"])
        if "contactinfo" not in p:
            return error("903", "Mandatory parameter contactinfo is missing.", ep)
        try:
            info = json.loads(p["contactinfo"])
        except ValueError:
            info = None
        if not isinstance(info, dict):
            return error("2001", "The contactinfo is not in a valid JSON format.", ep)
        raw_email = next((v for k, v in info.items() if str(k).strip().lower() == "contact email"), None)
        if not isinstance(raw_email, str) or not raw_email.strip():
            return error("903", "Mandatory field Contact Email is missing.", ep)
        address = emails.clean(raw_email)
        if not emails.is_valid_pattern(address):
            return error("2004", "Invalid contact email address.", ep)
        if emails.is_role_address(address):
            return error("2005", "Group email addresses (role addresses) are not allowed.", ep)
        key = emails.identity(address)
        with self.state.tx() as db:
            the_list = self._list(db, p.get("listkey"))
            if the_list is None:
                return error("2501", "Listkey is empty or invalid.", ep)
            known = self._known_fields(db, consent)
            values: dict[str, str] = {}
            sub_type = lawful = None
            for name, value in info.items():
                display = known.get(str(name).strip().lower())
                if display is None:
                    if strict:
                        return error("910", f"Field '{name}' not found in this account.", ep)
                    continue  # lenient: an unknown key is ignored
                if not isinstance(value, str | int | float | bool | None):
                    return error("2001", f"The value of '{name}' must be text.", ep)
                text = "" if value is None else str(value)
                if consent and display == SUBSCRIPTION_FIELD:
                    if text.strip():
                        sub_type = SUBSCRIPTION_TYPES.get(text.strip().lower())
                        if sub_type is None:
                            return error("2001", f"{display} must be Marketing or Non-marketing.", ep)
                elif consent and display == LAWFUL_FIELD:
                    if text.strip():
                        lawful = basis(text)
                        if lawful is None:
                            return error("2001", f"{display} must be one of: {', '.join(LAWFUL_BASES)}.", ep)
                elif display != "Contact Email":
                    values[display] = text
            topics = self._topics(db, p.get("topic_id"))
            if topics is None:
                return error("1005", "topic_id is not a topic of this account.", ep)
            row = db.execute("SELECT * FROM camp_contacts WHERE email_key=?", (key,)).fetchone()
            if row is not None and row["status"] != "active":
                state = row["status"]
                body = {"status": "error", "code": "2104", "message": STATE_MESSAGES[state]}
                if not strict:
                    body["contact_status"] = state  # lenient: also names the state in a key
                return json_answer(200, {**body, "uri": f"/api/v1.1/{ep}", "version": "1.1"})
            old_type = row["subscription_type"] if row is not None else None
            new_type = sub_type or old_type or "Marketing"
            adds_marketing = new_type == "Marketing" and old_type != "Marketing"
            if adds_marketing and self._marketing_count(db) >= int(settings["plan_contact_limit"]):
                return error("914", "The contact limit of your plan has been reached.", ep)
            listkey, now, source = the_list["listkey"], int(time.time()), p.get("source", "")
            if the_list["signup_form"] and not self._is_member(db, listkey, key):
                self._pend(db, listkey, key, address, values, sub_type, lawful, topics, source, now)
                return _success(ep, CONFIRMATION_SENT)
            was_member = self._apply(db, listkey, key, address, values, sub_type, lawful, topics, source, now)
        extra = {} if strict else {"contact_status": "updated" if was_member else "added"}
        return _success(ep, SUBSCRIBED, **extra)

    def _apply(self, db, listkey, key, address, values, sub_type, lawful, topics, source, now) -> bool:
        """Create or update the account's contact and make it a member; True if it already was."""
        row = db.execute("SELECT * FROM camp_contacts WHERE email_key=?", (key,)).fetchone()
        old_type = row["subscription_type"] if row is not None else None
        new_type = sub_type or old_type or "Marketing"
        fields = json.loads(row["fields_json"]) if row is not None else {}
        for name, value in values.items():
            if value == "":
                fields.pop(name, None)  # an empty value clears the field
            else:
                fields[name] = value
        if row is None:
            db.execute(
                "INSERT INTO camp_contacts (email_key, email, zuid, fields_json, status,"
                " subscription_type, lawful_basis, topics, source, added_time)"
                " VALUES (?,?,?,?, 'active', ?,?,?,?,?)",
                (key, address, zuid(key), json.dumps(fields, ensure_ascii=False), new_type, lawful or "",
                 ",".join(topics), source, now),
            )
        else:
            merged = sorted(set(filter(None, row["topics"].split(","))) | set(topics))
            db.execute(
                "UPDATE camp_contacts SET fields_json=?, subscription_type=?, lawful_basis=?,"
                " topics=? WHERE email_key=?",
                (json.dumps(fields, ensure_ascii=False), new_type, lawful or row["lawful_basis"],
                 ",".join(merged), key),
            )
        if self._marketing is not None:
            if new_type == "Marketing" and old_type != "Marketing":
                self._marketing += 1
            elif old_type == "Marketing" and new_type != "Marketing":
                self._marketing -= 1
        if self._is_member(db, listkey, key):
            return True
        db.execute(
            "INSERT INTO camp_members (listkey, email_key, added_time, seq) VALUES (?,?,?,?)",
            (listkey, key, now, self._next_seq(db, listkey)),
        )
        return False

    @staticmethod
    def _pend(db, listkey, key, address, values, sub_type, lawful, topics, source, now) -> None:
        """Store (or refresh) a pending confirmation; each call sends one more confirmation email."""
        old = db.execute(
            "SELECT * FROM camp_pending WHERE listkey=? AND email_key=? AND confirmed_time IS NULL", (listkey, key)
        ).fetchone()
        sent = 1
        if old is not None:
            values = {**json.loads(old["values_json"]), **values}
            sub_type, lawful = sub_type or old["subscription_type"], lawful or old["lawful_basis"]
            topics = sorted(set(filter(None, old["topics"].split(","))) | set(topics))
            source, sent = source or old["source"], old["emails_sent"] + 1
        db.execute(
            "INSERT OR REPLACE INTO camp_pending (listkey, email_key, email, values_json, subscription_type,"
            " lawful_basis, topics, source, requested_time, emails_sent, confirmed_time)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,NULL)",
            (listkey, key, address, json.dumps(values, ensure_ascii=False), sub_type, lawful, ",".join(topics),
             source, now, sent),
        )

    def confirm(self, listkey: str, email: str | None = None) -> list[str]:
        """The contact(s) click the confirmation link: pending → members (``email`` None: all).
        A contact that became unsubscribed/bounced/… meanwhile stays out."""
        with self.state.tx() as db:
            if self._list(db, listkey) is None:
                raise NotFound(listkey)
            sql = "SELECT * FROM camp_pending WHERE listkey=? AND confirmed_time IS NULL"
            args: tuple = (listkey,)
            if email is not None:
                sql, args = sql + " AND email_key=?", (listkey, emails.identity(email))
            rows = db.execute(sql + " ORDER BY requested_time, email_key", args).fetchall()
            if email is not None and not rows:
                raise NotFound(f"no pending confirmation for {email} in {listkey}")
            confirmed, now = [], int(time.time())
            for r in rows:
                state = db.execute("SELECT status FROM camp_contacts WHERE email_key=?", (r["email_key"],)).fetchone()
                if state is not None and state[0] != "active":
                    continue
                self._apply(db, listkey, r["email_key"], r["email"], json.loads(r["values_json"]),
                            r["subscription_type"], r["lawful_basis"], [t for t in r["topics"].split(",") if t],
                            r["source"], now)
                db.execute("UPDATE camp_pending SET confirmed_time=? WHERE listkey=? AND email_key=?",
                           (now, listkey, r["email_key"]))
                confirmed.append(r["email"])
        return confirmed

    # ------------------------------------------------------------------ addlistsubscribersinbulk

    def bulk(self, req: Request) -> Answer:
        p, ep = req.params, "addlistsubscribersinbulk"
        strict = contract.is_strict(self.state.settings())
        if not p.get("emailids", "").strip():
            return error("903", "Mandatory parameter emailids is missing.", ep)
        addresses = [a.strip() for a in p["emailids"].split(",") if a.strip()]
        if len(addresses) > MAX_BULK:
            return error("1002", f"At most {MAX_BULK} email addresses per call.", ep)
        limit = int(self.state.settings()["plan_contact_limit"])
        added, skipped, pending, now = [], [], [], int(time.time())
        with self.state.tx() as db:
            the_list = self._list(db, p.get("listkey"))
            if the_list is None:
                return error("2501", "Listkey is empty or invalid.", ep)
            listkey = the_list["listkey"]
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
                elif the_list["signup_form"] and not self._is_member(db, listkey, key):
                    pending.append((key, address))
                else:
                    plan.append((key, address, row is None))
            new = sum(1 for _, _, is_new in plan if is_new)
            if new and self._marketing_count(db) + new > limit:
                return error("2302", "Cannot add contacts: the contact limit of your plan is reached.", ep)
            for key, address in pending:
                self._pend(db, listkey, key, address, {}, None, None, topics, p.get("source", ""), now)
            seq = self._next_seq(db, listkey)
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
                    (listkey, key, now, seq),
                )
                seq += 1
                if cur.rowcount:
                    added.append(address)
        body = {
            "status": "success",
            "code": "0",
            "message": CONFIRMATION_SENT if pending else "Contacts added successfully.",
            "listkey": listkey,
            "listname": the_list["listname"],
        }
        if not strict:  # Sandbox extras: per-address outcomes (Zoho documents none)
            body.update({"added": added, "skipped": skipped})
        return json_answer(200, {**body, "uri": f"/api/v1.1/{ep}"})

    # ------------------------------------------------------------------ custom/add

    def custom_add(self, req: Request) -> Answer:
        p, ep = req.params, "custom/add"
        settings = self.state.settings()
        name, ftype = p.get("fieldname", "").strip(), p.get("fieldtype", "").strip()
        if not name or not ftype:
            return wrapped_error("903", "Mandatory parameters fieldname and fieldtype are required.", ep)
        if contract.is_strict(settings):
            if not _STRICT_FIELDNAME.match(name):
                return wrapped_error("1001", "Pattern doesn't match: fieldname must be alphanumeric.", ep)
        elif not _LENIENT_FIELDNAME.match(name):
            return wrapped_error("1001", "Pattern doesn't match: fieldname must be alphanumeric (spaces allowed).", ep)
        canonical = {t.lower(): t for t in FIELD_TYPES}.get(ftype.lower())
        if canonical is None:
            return wrapped_error("1005", f"fieldtype must be one of: {', '.join(FIELD_TYPES)}.", ep)
        length = p.get("fieldlength", "20")
        if not length.isdigit() or not 1 <= int(length) <= 1000:
            return wrapped_error("1005", "fieldlength must be a number from 1 to 1000.", ep)
        with self.state.tx() as db:
            taken = name.lower() in self._known_fields(db, bool(settings["consent_fields"]))
            if taken:
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
