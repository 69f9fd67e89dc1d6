"""Changes to the Books customers and Campaigns contacts made outside the APIs (admin, CLI).

Every edit bumps ``last_modified_time`` past the newest one, so an incremental reader sees it
even when the clock is behind the seeded data. Used by the admin API and, with no server
running, by ``desktop-app sandbox simulate`` directly on the state file.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from desktop_app.domain import emails
from desktop_app.sandbox import seed as seeding
from desktop_app.sandbox.state import State

EDITABLE = (
    "contact_name",
    "company_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "status",
    "customer_sub_type",
    "website",
)
CONTACT_STATES = ("active", "unsub", "bounce", "spam", "dnm")


class NotFound(LookupError):
    pass


def _now(db) -> int:
    newest = db.execute("SELECT MAX(last_modified_time) FROM customers").fetchone()[0] or 0
    return max(int(time.time()), newest + 1)


def _check(fields: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    plain, custom = {}, {}
    for key, value in fields.items():
        if key.startswith("cf_"):
            custom[key] = "" if value is None else str(value)
        elif key in EDITABLE:
            plain[key] = "" if value is None else str(value)
        else:
            raise ValueError(f"unknown customer field {key!r}; editable: {', '.join(EDITABLE)}, cf_*")
    if plain.get("status", "active") not in ("active", "inactive"):
        raise ValueError("status must be active or inactive")
    if plain.get("customer_sub_type", "business") not in ("business", "individual"):
        raise ValueError("customer_sub_type must be business or individual")
    return plain, custom


def get_customer(state: State, contact_id: str) -> dict:
    with state.read() as db:
        row = db.execute("SELECT * FROM customers WHERE contact_id=?", (contact_id,)).fetchone()
    if row is None:
        raise NotFound(contact_id)
    out = {k: row[k] for k in row.keys() if not k.endswith("_json")}  # noqa: SIM118 (sqlite3.Row)
    out.update(json.loads(row["custom_json"]))
    return out


def add_customer(state: State, fields: dict[str, Any]) -> dict:
    plain, custom = _check(fields)
    with state.tx() as db:
        index = state_meta_int(db, "next_index")
        cid = seeding.contact_id(index)
        state.set_meta(db, "next_index", index + 1)
        now = _now(db)
        first, last = plain.get("first_name", ""), plain.get("last_name", "")
        name = plain.get("contact_name") or plain.get("company_name") or f"{first} {last}".strip() or cid
        person = seeding._person(
            cid, 0, "", first, last, plain.get("email", ""), plain.get("phone", ""), plain.get("mobile", "")
        )
        db.execute(
            f"INSERT INTO customers (org_id, {seeding.CUSTOMER_COLUMNS}) VALUES (?{', ?' * 16})",
            (
                state.settings()["org_id"],
                cid,
                name,
                plain.get("company_name", ""),
                first,
                last,
                plain.get("email", ""),
                plain.get("phone", ""),
                plain.get("mobile", ""),
                plain.get("status", "active"),
                plain.get("customer_sub_type", "individual"),
                plain.get("website", ""),
                now,
                now,
                json.dumps({k: v for k, v in custom.items() if v}),
                json.dumps([person], ensure_ascii=False),
                "{}",
            ),
        )
    return get_customer(state, cid)


def state_meta_int(db, key: str) -> int:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    if row:
        return int(json.loads(row[0]))
    return (db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] or 0) + 1_000_000


def edit_customer(state: State, contact_id: str, fields: dict[str, Any]) -> dict:
    plain, custom = _check(fields)
    with state.tx() as db:
        row = db.execute(
            "SELECT custom_json, persons_json FROM customers WHERE contact_id=?", (contact_id,)
        ).fetchone()
        if row is None:
            raise NotFound(contact_id)
        cf = json.loads(row["custom_json"])
        for key, value in custom.items():
            if value:
                cf[key] = value
            else:
                cf.pop(key, None)
        persons = json.loads(row["persons_json"])
        for person in persons:  # the list item shows the primary person's name and email
            if person.get("is_primary_contact"):
                for key in ("first_name", "last_name", "email", "phone", "mobile"):
                    if key in plain:
                        person[key] = plain[key]
        sets = ", ".join(f"{k}=?" for k in plain)
        db.execute(
            f"UPDATE customers SET {sets + ', ' if sets else ''}custom_json=?, persons_json=?,"
            " last_modified_time=? WHERE contact_id=?",
            (
                *plain.values(),
                json.dumps(cf, ensure_ascii=False),
                json.dumps(persons, ensure_ascii=False),
                _now(db),
                contact_id,
            ),
        )
    return get_customer(state, contact_id)


def delete_customer(state: State, contact_id: str) -> None:
    with state.tx() as db:
        if not db.execute("DELETE FROM customers WHERE contact_id=?", (contact_id,)).rowcount:
            raise NotFound(contact_id)


def simulate(state: State, changes: int) -> list[str]:
    """Edit ``changes`` random customers as a Books user would; returns their ids."""
    if changes < 0:
        raise ValueError("changes must be >= 0")
    with state.tx() as db:
        runs = (
            state_meta_int(db, "simulations")
            if db.execute("SELECT 1 FROM meta WHERE key='simulations'").fetchone()
            else 0
        )
        state.set_meta(db, "simulations", runs + 1)
        ids = [r[0] for r in db.execute("SELECT contact_id FROM customers ORDER BY contact_id")]
    seed = (state.meta("seed_params") or {}).get("seed", 0)
    rng = random.Random(f"{seed}:{runs}")
    picked = rng.sample(ids, min(changes, len(ids)))
    for cid in picked:
        roll = rng.random()
        # Most edits touch fields the default mapping sends (names), so a demo run shows updates.
        if roll < 0.45:
            fields: dict[str, Any] = {"last_name": rng.choice(seeding.LAST)}
        elif roll < 0.65:
            fields = {"phone": f"+91-{rng.randint(70000, 99999)}-{rng.randint(10000, 99999)}"}
        elif roll < 0.8:
            fields = {"company_name": rng.choice(seeding.COMPANIES)}
        elif roll < 0.9:
            fields = {"cf_segment": rng.choice(seeding.SEGMENTS)}
        else:
            fields = {"email": f"changed{runs}.{cid}@example.com"}
        edit_customer(state, cid, fields)
    return picked


def set_contact_status(state: State, email: str, status: str, listkey: str | None = None) -> dict:
    if status not in CONTACT_STATES:
        raise ValueError(f"status must be one of {', '.join(CONTACT_STATES)}")
    key, address = emails.identity(email), emails.clean(email)
    if not key:
        raise ValueError("email is required")
    with state.tx() as db:
        if listkey and not db.execute("SELECT 1 FROM camp_lists WHERE listkey=?", (listkey,)).fetchone():
            raise NotFound(listkey)
        now = int(time.time())
        if db.execute("UPDATE camp_contacts SET status=? WHERE email_key=?", (status, key)).rowcount == 0:
            db.execute(
                "INSERT INTO camp_contacts (email_key, email, zuid, status, added_time) VALUES (?,?,?,?,?)",
                (key, address, seeding.zuid(key), status, now),
            )
        if listkey:
            seq = (
                db.execute("SELECT MAX(seq) FROM camp_members WHERE listkey=?", (listkey,)).fetchone()[0] or 0
            )
            db.execute(
                "INSERT OR IGNORE INTO camp_members (listkey, email_key, added_time, seq) VALUES (?,?,?,?)",
                (listkey, key, now, seq + 1),
            )
    return {"email": address, "status": status}


def list_contacts(state: State, listkey: str) -> list[dict]:
    with state.read() as db:
        if not db.execute("SELECT 1 FROM camp_lists WHERE listkey=?", (listkey,)).fetchone():
            raise NotFound(listkey)
        rows = db.execute(
            "SELECT c.*, m.added_time AS joined FROM camp_members m JOIN camp_contacts c"
            " ON c.email_key = m.email_key WHERE m.listkey=? ORDER BY m.seq",
            (listkey,),
        ).fetchall()
    return [
        {
            "email": r["email"],
            "fields": json.loads(r["fields_json"]),
            "status": r["status"],
            "subscription_type": r["subscription_type"],
            "topics": [t for t in r["topics"].split(",") if t],
            "lawful_basis": r["lawful_basis"],
            "source": r["source"],
            "added_time": r["joined"],
        }
        for r in rows
    ]


def list_pending(state: State, listkey: str) -> list[dict]:
    """Confirmations sent on a signup-form list and not clicked yet."""
    with state.read() as db:
        if not db.execute("SELECT 1 FROM camp_lists WHERE listkey=?", (listkey,)).fetchone():
            raise NotFound(listkey)
        rows = db.execute(
            "SELECT * FROM camp_pending WHERE listkey=? AND confirmed_time IS NULL ORDER BY requested_time, email",
            (listkey,),
        ).fetchall()
    return [
        {
            "email": r["email"],
            "fields": json.loads(r["values_json"]),
            "subscription_type": r["subscription_type"],
            "lawful_basis": r["lawful_basis"],
            "topics": [t for t in r["topics"].split(",") if t],
            "source": r["source"],
            "requested_time": r["requested_time"],
            "emails_sent": r["emails_sent"],
        }
        for r in rows
    ]


def set_signup_form(state: State, listkey: str, on: bool) -> dict:
    with state.tx() as db:
        if not db.execute("UPDATE camp_lists SET signup_form=? WHERE listkey=?", (int(on), listkey)).rowcount:
            raise NotFound(listkey)
    return {"listkey": listkey, "signup_form": on}


def state_stats(state: State) -> dict:
    with state.read() as db:
        c = db.execute(
            "SELECT COUNT(*), SUM(status='active'), SUM(status='inactive'), SUM(email<>'') FROM customers"
        ).fetchone()
        lists = db.execute(
            "SELECT l.listkey, l.listname, l.signup_form, c.status, COUNT(c.email_key) FROM camp_lists l"
            " LEFT JOIN camp_members m ON m.listkey=l.listkey LEFT JOIN camp_contacts c"
            " ON c.email_key=m.email_key GROUP BY l.listkey, c.status ORDER BY l.created_date"
        )
        pending = dict(
            db.execute(
                "SELECT listkey, COUNT(*) FROM camp_pending WHERE confirmed_time IS NULL GROUP BY listkey"
            ).fetchall()
        )
        out: dict[str, dict] = {}
        for key, name, signup, status, n in lists:
            entry = out.setdefault(
                key,
                {"listkey": key, "listname": name, "signup_form": bool(signup), "members": {},
                 "pending_confirmations": pending.get(key, 0)},
            )
            if status:
                entry["members"][status] = n
        contacts = dict(db.execute("SELECT status, COUNT(*) FROM camp_contacts GROUP BY status").fetchall())
        sent, confirmed = db.execute(
            "SELECT COALESCE(SUM(emails_sent), 0), COUNT(confirmed_time) FROM camp_pending"
        ).fetchone()
    return {
        "customers": {"total": c[0], "active": c[1] or 0, "inactive": c[2] or 0, "with_email": c[3] or 0},
        "lists": list(out.values()),
        "campaigns_contacts": contacts,
        "pending_confirmations": sum(pending.values()),
        "confirmation_emails_sent": sent,
        "confirmations_clicked": confirmed,
        "seed": state.meta("seed_params"),
        "settings": state.settings(),
    }
