"""The Sandbox's state: one SQLite file (schema, connection, settings kept in ``meta``).

One connection is shared by the server's threads behind a lock: SQLite work per request is a
few index lookups, far cheaper than the HTTP parsing around it, and one connection keeps
shutdown (close) and the WAL simple. Tokens are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from desktop_app.sandbox.contract import CONTRACTS, default_contract

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    contact_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, contact_name TEXT NOT NULL,
    company_name TEXT NOT NULL DEFAULT '', first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
    mobile TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, customer_sub_type TEXT NOT NULL,
    website TEXT NOT NULL DEFAULT '', created_time INTEGER NOT NULL, last_modified_time INTEGER NOT NULL,
    custom_json TEXT NOT NULL DEFAULT '{}', persons_json TEXT NOT NULL DEFAULT '[]',
    billing_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS camp_lists (
    listkey TEXT PRIMARY KEY, listname TEXT NOT NULL, created_date INTEGER NOT NULL,
    is_public INTEGER NOT NULL DEFAULT 0, signup_form INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS camp_contacts (
    email_key TEXT PRIMARY KEY, email TEXT NOT NULL, zuid TEXT NOT NULL,
    fields_json TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL DEFAULT 'active',
    subscription_type TEXT NOT NULL DEFAULT 'Marketing', lawful_basis TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', added_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS camp_members (
    listkey TEXT NOT NULL, email_key TEXT NOT NULL, added_time INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (listkey, email_key)
);
CREATE INDEX IF NOT EXISTS ix_members_seq ON camp_members (listkey, seq);
CREATE TABLE IF NOT EXISTS camp_fields (
    field_id INTEGER PRIMARY KEY, display_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    field_name TEXT NOT NULL, field_type TEXT NOT NULL, is_mandatory INTEGER NOT NULL DEFAULT 0,
    is_custom INTEGER NOT NULL DEFAULT 0, field_length INTEGER NOT NULL DEFAULT 100
);
CREATE TABLE IF NOT EXISTS camp_topics (
    topic_id TEXT PRIMARY KEY, topic_name TEXT NOT NULL, primary_list TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, refresh_hash TEXT,
    client_id TEXT NOT NULL, expires_at REAL, revoked INTEGER NOT NULL DEFAULT 0, scopes TEXT
);
CREATE TABLE IF NOT EXISTS camp_pending (
    listkey TEXT NOT NULL, email_key TEXT NOT NULL, email TEXT NOT NULL,
    values_json TEXT NOT NULL DEFAULT '{}', subscription_type TEXT, lawful_basis TEXT,
    topics TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', requested_time INTEGER NOT NULL,
    emails_sent INTEGER NOT NULL DEFAULT 1, confirmed_time INTEGER,
    PRIMARY KEY (listkey, email_key)
);
"""
# Columns added after state files existed: (table, column, declaration) for ALTER TABLE.
ADDED_COLUMNS = (
    ("camp_lists", "signup_form", "INTEGER NOT NULL DEFAULT 0"),
    ("tokens", "scopes", "TEXT"),  # NULL: a token from before scopes were kept (grants all)
)

# Built after a bulk seed rather than during it (several times faster for 100k rows).
CUSTOMER_INDEXES = {
    "ix_cust_lmt": "customers (org_id, last_modified_time, contact_id)",
    "ix_cust_ct": "customers (org_id, created_time, contact_id)",
    "ix_cust_name": "customers (org_id, contact_name COLLATE NOCASE, contact_id)",
    "ix_cust_email": "customers (email COLLATE NOCASE)",
}


def create_customer_indexes(db: sqlite3.Connection) -> None:
    for name, target in CUSTOMER_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def add_missing_columns(db: sqlite3.Connection) -> None:
    for table, column, declaration in ADDED_COLUMNS:
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def drop_customer_indexes(db: sqlite3.Connection) -> None:
    for name in CUSTOMER_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


# Settings the admin API can change; kept in ``meta`` so the CLI sees them with no server running.
# ``contract``'s default is read from the environment each time (contract.default_contract()).
DEFAULT_SETTINGS: dict[str, Any] = {
    "contract": None,  # None: DESKTOP_APP_SANDBOX_CONTRACT, else strict
    "consent_fields": False,  # the account exposes "Subscription Type" / "Lawful Basis" fields
    "dead_token_code": None,  # None: by contract ("1007" strict, "401" lenient)
    "expires_in_ms": False,  # token answers as Zoho Writer: expires_in in ms + expires_in_sec
    "owner_email": "owner@zylker-demo.com",
    "campaigns_owner_email": None,  # None: same as owner_email
    "plan_contact_limit": 100_000,
    "books_plan": "premium",
    "time_zone": "Asia/Kolkata",
    "org_id": "60012345678",
    "org_name": "Zylker Demo Trading",
    "second_org": False,
}


class State:
    """The SQLite file, one connection, one lock. Use ``with state.tx() as db:`` for everything."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._settings: dict[str, Any] | None = None
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        add_missing_columns(self._db)
        create_customer_indexes(self._db)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; rolled back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    def close(self) -> None:
        with self._lock:
            with suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()

    # ------------------------------------------------------------------ meta / settings

    def meta(self, key: str, default: Any = None) -> Any:
        with self.read() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, db: sqlite3.Connection, key: str, value: Any) -> None:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def settings(self) -> dict[str, Any]:
        cached = self._settings
        if cached is not None:
            return dict(cached)
        stored = self.meta("settings", {}) or {}
        merged = {**DEFAULT_SETTINGS, **stored}
        if "gdpr" in merged:  # files from before consent_fields: the old knob's name
            gdpr = merged.pop("gdpr")
            if "consent_fields" not in stored:
                merged["consent_fields"] = bool(gdpr)
        if merged.get("contract") not in CONTRACTS:
            merged["contract"] = default_contract()
        if not merged.get("campaigns_owner_email"):
            merged["campaigns_owner_email"] = merged["owner_email"]
        self._settings = merged
        return dict(merged)

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key='settings'").fetchone()
            stored = json.loads(row[0]) if row else {}
            stored.update(changes)
            self.set_meta(db, "settings", stored)
        self._settings = None
        return self.settings()
