"""The app's SQLite schema as typed SQLAlchemy 2 models.

No column holds a token or a client secret (R5): ``Connection.secret_key`` is only the *name*
under which the refresh token sits in the keyring. Datetimes are stored as aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desktop_app.domain.run import FINAL_STATUSES, OptInMode, RunKind, RunStatus, RunTrigger

# The words each string column may hold (checked by store.repo, not by the schema, so a new
# word never needs a table rebuild).
CONNECTION_KINDS = ("sandbox", "zoho")
# "awaiting": sent to a double opt-in list, confirmation email out, not a member yet (never re-sent).
CAMPAIGNS_STATUSES = ("active", "unsub", "bounce", "spam", "dnm", "awaiting")
# Campaigns states that forbid any further subscribe of the address (remembered per address too).
SUPPRESSION_STATUSES = ("unsub", "bounce", "spam", "dnm")
# The run words come from one vocabulary (domain.run); the tuples hold the enum members, which
# compare equal to the stored strings.
RUN_KINDS: tuple[RunKind, ...] = tuple(RunKind)
RUN_TRIGGERS: tuple[RunTrigger, ...] = tuple(RunTrigger)
# needs_decision: the list sends confirmation emails (double opt-in); the user must accept it or
# choose another list before the sync writes more.
RUN_STATUSES: tuple[RunStatus, ...] = tuple(RunStatus)
RUN_FINAL_STATUSES: tuple[RunStatus, ...] = FINAL_STATUSES
# Sync.opt_in_mode: unknown (not probed yet, or the list changed) | direct (a subscribe joins at once)
# | double_accepted (the list emails a confirmation first, and the user accepted that).
OPT_IN_MODES: tuple[OptInMode, ...] = tuple(OptInMode)
NOTIFICATION_LEVELS = ("info", "warning", "error")


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out (ISO text in SQLite); naive ones are refused."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive or non-datetime value for a UTC column: {value!r}")
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect) -> datetime | None:
        if value is None:
            return None
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {datetime: UTCDateTime, dict: JSON, list: JSON}


class Connection(Base):
    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # sandbox | zoho
    data_center: Mapped[str | None] = mapped_column(String(8))
    accounts_url: Mapped[str] = mapped_column(String(255))
    books_url: Mapped[str] = mapped_column(String(255))
    campaigns_url: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    org_id: Mapped[str] = mapped_column(String(64))
    org_name: Mapped[str] = mapped_column(String(255))
    org_time_zone: Mapped[str | None] = mapped_column(String(64))
    books_owner_email: Mapped[str] = mapped_column(String(320))
    campaigns_owner_email: Mapped[str] = mapped_column(String(320))
    user_email: Mapped[str | None] = mapped_column(String(320))
    gdpr_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    books_plan: Mapped[str | None] = mapped_column(String(64))  # plan_name: the Books daily cap
    secret_key: Mapped[str] = mapped_column(String(255))  # a keyring entry NAME, never a secret
    reconnect_needed_at: Mapped[datetime | None]  # R42: the sign-in died; scheduled runs wait
    created_at: Mapped[datetime]


class Sync(Base):
    __tablename__ = "sync"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"))
    list_key: Mapped[str] = mapped_column(String(255))
    list_name: Mapped[str] = mapped_column(String(255))
    subscription_type: Mapped[str] = mapped_column(String(32))
    topic_ids: Mapped[list] = mapped_column(JSON, default=list)
    topic_names: Mapped[list | None] = mapped_column(JSON)  # as Campaigns named them when chosen
    lawful_basis: Mapped[str | None] = mapped_column(String(64))
    update_empty: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule_spec: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    mapping_version: Mapped[int] = mapped_column(Integer, default=1)
    mapping_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_run_at: Mapped[datetime | None]
    last_full_at: Mapped[datetime | None]
    watermark: Mapped[datetime | None]  # newest Books last_modified_time of a completed run
    needs_full: Mapped[bool] = mapped_column(Boolean, default=True)
    opt_in_mode: Mapped[str] = mapped_column(String(16), default=OptInMode.UNKNOWN.value)  # see OPT_IN_MODES
    # The user's answer to "Is GDPR compliance on?" when the account shows no lawful-basis field;
    # None = not asked (detected from the account, or unknown).
    gdpr: Mapped[bool | None] = mapped_column(Boolean)
    # Customers a full run is expected to go through (the disclaimer's count, then each full run's
    # total): the ETA of a run that writes while it reads. None: not known yet.
    customers_estimate: Mapped[int | None] = mapped_column(Integer)


class FieldMapping(Base):
    __tablename__ = "field_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("sync.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    books_field: Mapped[str] = mapped_column(String(255))
    campaigns_field: Mapped[str] = mapped_column(String(255))
    new_field: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    field_created: Mapped[bool] = mapped_column(Boolean, default=False)


class ContactLink(Base):
    """The state table: what the sync last knew and sent of each Books customer."""

    __tablename__ = "contact_link"
    __table_args__ = (Index("ix_contact_link_email", "sync_id", "email_key"),)

    sync_id: Mapped[int] = mapped_column(ForeignKey("sync.id", ondelete="CASCADE"), primary_key=True)
    books_contact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email_key: Mapped[str | None] = mapped_column(String(320))
    email: Mapped[str | None] = mapped_column(String(320))
    values_hash: Mapped[str | None] = mapped_column(String(64))
    campaigns_status: Mapped[str | None] = mapped_column(String(16))
    in_list: Mapped[bool] = mapped_column(Boolean, default=False)
    last_modified: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    last_run_id: Mapped[int | None] = mapped_column(Integer)


class SuppressedAddress(Base):
    """Addresses Campaigns refused for their state (2104: unsubscribed, bounced, spam, do-not-mail).

    Kept per address, not per customer, so the memory survives a customer changing its email,
    leaving Books, or the address moving to another customer: it is never sent again.
    """

    __tablename__ = "suppressed_address"

    sync_id: Mapped[int] = mapped_column(ForeignKey("sync.id", ondelete="CASCADE"), primary_key=True)
    email_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    campaigns_status: Mapped[str] = mapped_column(String(16))  # unsub | bounce | spam | dnm
    learned_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(Integer)


class Run(Base):
    __tablename__ = "run"
    __table_args__ = (Index("ix_run_sync_status", "sync_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # History can outlive the sync (disable, keep history): SET NULL, and keep the list name.
    sync_id: Mapped[int | None] = mapped_column(ForeignKey("sync.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # full | incremental
    trigger: Mapped[str] = mapped_column(String(16))  # initiate | manual | scheduled | cli | resume
    status: Mapped[str] = mapped_column(String(16))  # one of RUN_STATUSES
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    total: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    awaiting: Mapped[int] = mapped_column(Integer, default=0)  # awaiting confirmation (double opt-in)
    estimated_total: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    watermark_start: Mapped[datetime | None]
    watermark_end: Mapped[datetime | None]
    checkpoint: Mapped[dict | None] = mapped_column(JSON)
    resume_at: Mapped[datetime | None]
    list_name: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[list | None] = mapped_column(JSON)  # e.g. email changes, customers gone from Books
    calls_books: Mapped[int] = mapped_column(Integer, default=0)
    calls_campaigns: Mapped[int] = mapped_column(Integer, default=0)


class SkippedRecord(Base):
    __tablename__ = "skipped_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    books_contact_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    reason_code: Mapped[str] = mapped_column(String(32))
    reason_message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class StagedCustomer(Base):
    """Books customers read by a run that is not finished yet (the read phase's checkpoint)."""

    __tablename__ = "staged_customer"
    __table_args__ = (Index("ix_staged_order", "run_id", "sort_key"), Index("ix_staged_email", "run_id", "email_key"),
                      Index("ix_staged_seq", "run_id", "seq"))

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sort_key: Mapped[str] = mapped_column(String(80))
    email_key: Mapped[str | None] = mapped_column(String(320))
    last_modified: Mapped[datetime | None]
    record: Mapped[dict] = mapped_column(JSON)
    # The order of staging (per run): customers are written in it, a page right after it is read.
    seq: Mapped[int | None] = mapped_column(Integer)


class ListMember(Base):
    """An address a run read from its list, with its status there (dropped with the run's staging)."""

    __tablename__ = "list_member"
    __table_args__: ClassVar = {"sqlite_with_rowid": False}

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    email_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # active | unsub | bounce


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"))
    sync_id: Mapped[int | None] = mapped_column(ForeignKey("sync.id", ondelete="SET NULL"))
    level: Mapped[str] = mapped_column(String(16))  # info | warning | error
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiUse(Base):
    """One call to Zoho (or an imported bucket of calls), recorded before it was sent (store/usage.py)."""

    __tablename__ = "api_use"
    __table_args__ = (Index("ix_api_use_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    family: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64), server_default="")
    scale: Mapped[float] = mapped_column(Float, server_default="1")
    at: Mapped[float] = mapped_column(Float)  # wall clock, epoch seconds
    calls: Mapped[int] = mapped_column(Integer, server_default="1")
    owner: Mapped[str] = mapped_column(String(40), server_default="")


class ApiLock(Base):
    """A Zoho lock of an endpoint family, seen by any process, until ``until`` (epoch seconds)."""

    __tablename__ = "api_lock"

    family: Mapped[str] = mapped_column(String(64), primary_key=True)
    scale: Mapped[float] = mapped_column(Float, primary_key=True)
    until: Mapped[float] = mapped_column(Float)
