"""Small queries over the models, each taking the caller's Session (one unit of work)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from desktop_app.domain.run import OptInMode, RunKind, RunStatus, RunTrigger
from desktop_app.store.models import (
    CONNECTION_KINDS,
    NOTIFICATION_LEVELS,
    OPT_IN_MODES,
    RUN_FINAL_STATUSES,
    RUN_KINDS,
    RUN_TRIGGERS,
    SUPPRESSION_STATUSES,
    Connection,
    ContactLink,
    FieldMapping,
    Notification,
    Run,
    SkippedRecord,
    SuppressedAddress,
    Sync,
)


class StoreError(Exception):
    pass


class AlreadyConnected(StoreError):
    def __init__(self) -> None:
        super().__init__("An organization is already connected; disable the current integration first.")


class SyncExists(StoreError):
    def __init__(self) -> None:
        super().__init__("A sync already exists; only one sync can be set up.")


# Rows per multi-row INSERT: SQLite allows 32,766 bound values; ~12 columns × 500 stays far below.
_CHUNK = 500


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _check(word: str, allowed: tuple[str, ...], what: str) -> None:
    if word not in allowed:
        raise StoreError(f"Unknown {what} {word!r}; expected one of {', '.join(allowed)}.")


# ---------------------------------------------------------------------- connection (R4: one)


def get_connection(s: Session) -> Connection | None:
    return s.scalars(select(Connection).order_by(Connection.id)).first()


def save_connection(s: Session, conn: Connection) -> Connection:
    _check(conn.kind, CONNECTION_KINDS, "connection kind")
    existing = get_connection(s)
    if existing is not None and existing is not conn:
        if conn.id is None or conn.id != existing.id:
            raise AlreadyConnected()
        conn = s.merge(conn)  # the same row, edited outside this session
    if conn.created_at is None:
        conn.created_at = _now(None)
    s.add(conn)
    s.flush()
    return conn


def delete_connection(s: Session) -> None:
    s.execute(delete(Connection))


# ---------------------------------------------------------------------- sync (R7: one)


def get_sync(s: Session) -> Sync | None:
    return s.scalars(select(Sync).order_by(Sync.id)).first()


def create_sync(s: Session, sync: Sync) -> Sync:
    if get_sync(s) is not None:
        raise SyncExists()
    now = _now(None)
    if sync.created_at is None:
        sync.created_at = now
    if sync.updated_at is None:
        sync.updated_at = sync.created_at
    s.add(sync)
    s.flush()
    return sync


_SYNC_FIXED = frozenset({"id", "connection_id", "created_at", "updated_at"})


def update_sync(s: Session, sync: Sync, *, now: datetime | None = None, **changes: Any) -> Sync:
    """Set the named columns (``update_sync(s, sync, paused=True)``) and stamp ``updated_at``."""
    columns = set(Sync.__table__.columns.keys()) - _SYNC_FIXED
    unknown = set(changes) - columns
    if unknown:
        raise StoreError(f"Cannot change {', '.join(sorted(unknown))} of a sync.")
    for name, value in changes.items():
        setattr(sync, name, value)
    sync.updated_at = _now(now)
    s.flush()
    return sync


def set_opt_in_mode(s: Session, sync: Sync, mode: OptInMode, *, now: datetime | None = None) -> Sync:
    """``unknown`` (probe again), ``direct`` or ``double_accepted`` (the user accepted double opt-in)."""
    _check(mode, OPT_IN_MODES, "opt-in mode")
    sync.opt_in_mode = mode
    sync.updated_at = _now(now)
    s.flush()
    return sync


def set_gdpr(s: Session, sync: Sync, gdpr: bool | None, *, now: datetime | None = None) -> Sync:
    """The user's answer to "Is GDPR compliance on?" (None: not asked / detected from the account)."""
    if gdpr is not None and not isinstance(gdpr, bool):
        raise StoreError(f"The GDPR answer must be yes, no or unknown, not {gdpr!r}.")
    sync.gdpr = gdpr
    sync.updated_at = _now(now)
    s.flush()
    return sync


def replace_mapping(s: Session, sync: Sync, rows: Iterable[tuple[str, str, bool, bool]]) -> None:
    """New mapping rows in order; a Campaigns field we already created stays marked as created."""
    created = set(s.scalars(select(FieldMapping.campaigns_field).where(FieldMapping.sync_id == sync.id,
                                                                       FieldMapping.field_created)))
    s.execute(delete(FieldMapping).where(FieldMapping.sync_id == sync.id))
    for position, (books, campaigns, new, locked) in enumerate(rows):
        s.add(FieldMapping(sync_id=sync.id, position=position, books_field=books, campaigns_field=campaigns,
                           new_field=new, locked=locked, field_created=campaigns in created))
    s.flush()


def mapping_rows(s: Session, sync: Sync) -> Sequence[FieldMapping]:
    return s.scalars(select(FieldMapping).where(FieldMapping.sync_id == sync.id)
                     .order_by(FieldMapping.position)).all()


def linked_email_keys(s: Session, sync_id: int) -> set[str]:
    """Addresses the sync already put in the list."""
    return set(s.scalars(select(ContactLink.email_key).where(ContactLink.sync_id == sync_id, ContactLink.in_list,
                                                             ContactLink.email_key.is_not(None))))


def link_by_email_key(s: Session, sync_id: int, key: str) -> ContactLink | None:
    """The state row holding this address (the lowest contact id if several do)."""
    return s.scalars(select(ContactLink).where(ContactLink.sync_id == sync_id, ContactLink.email_key == key)
                     .order_by(ContactLink.books_contact_id)).first()


_LINK_COLUMNS = frozenset(ContactLink.__table__.columns.keys()) - {"sync_id"}


def upsert_links(s: Session, sync_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert or update state rows in bulk (INSERT … ON CONFLICT DO UPDATE).

    Each row is a dict with ``books_contact_id`` and any other ContactLink columns; only the
    columns a row names are changed on an existing row. Returns the number of rows written.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        if "books_contact_id" not in row:
            raise StoreError("A state row needs books_contact_id.")
        unknown = set(row) - _LINK_COLUMNS
        if unknown:
            raise StoreError(f"Unknown state columns: {', '.join(sorted(unknown))}.")
        groups.setdefault(tuple(sorted(row)), []).append({**row, "sync_id": sync_id})
    written = 0
    for keys, group in groups.items():
        changed = [k for k in keys if k != "books_contact_id"]
        stmt = insert(ContactLink.__table__)
        if changed:
            stmt = stmt.on_conflict_do_update(index_elements=[ContactLink.sync_id, ContactLink.books_contact_id],
                                              set_={k: stmt.excluded[k] for k in changed})
        else:
            stmt = stmt.on_conflict_do_nothing()
        s.execute(stmt, group)  # one compiled statement, executemany over the rows
        written += len(group)
    return written


def reset_links_for_new_list(s: Session, sync_id: int) -> None:
    """The sync now targets another list: every customer must be written there again.

    Campaigns states (unsubscribed, bounced, …) are account-wide, so they are kept; "awaiting"
    (a confirmation of the old list) is not, and the new list's opt-in mode is unknown again.
    """
    s.execute(update(ContactLink).where(ContactLink.sync_id == sync_id).values(in_list=False, values_hash=None))
    s.execute(update(ContactLink).where(ContactLink.sync_id == sync_id, ContactLink.campaigns_status == "awaiting")
              .values(campaigns_status=None))
    s.execute(update(Sync).where(Sync.id == sync_id).values(opt_in_mode=OptInMode.UNKNOWN.value))


def awaiting_count(s: Session, sync_id: int) -> int:
    """Customers sent to the list whose confirmation (double opt-in) is still out."""
    return s.scalar(select(func.count()).select_from(ContactLink).where(
        ContactLink.sync_id == sync_id, ContactLink.campaigns_status == "awaiting")) or 0


def remember_suppressed(s: Session, sync_id: int, rows: Iterable[tuple[str, str]], *, run_id: int | None = None,
                        now: datetime | None = None) -> int:
    """Remember (email_key, status) pairs Campaigns refused for their state; the newest state wins."""
    stamp = _now(now)
    batch = []
    for key, status in rows:
        _check(status, SUPPRESSION_STATUSES, "suppression status")
        if key:
            batch.append({"sync_id": sync_id, "email_key": key, "campaigns_status": status, "learned_at": stamp,
                          "run_id": run_id})
    if batch:
        stmt = insert(SuppressedAddress.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=[SuppressedAddress.sync_id, SuppressedAddress.email_key],
            set_={"campaigns_status": stmt.excluded.campaigns_status, "learned_at": stmt.excluded.learned_at,
                  "run_id": stmt.excluded.run_id})
        s.execute(stmt, batch)
    return len(batch)


def suppressed_addresses(s: Session, sync_id: int, keys: Iterable[str]) -> dict[str, str]:
    """The remembered state of each of these addresses that Campaigns refused earlier."""
    wanted = sorted({k for k in keys if k})
    found: dict[str, str] = {}
    for i in range(0, len(wanted), _CHUNK):
        for key, status in s.execute(select(SuppressedAddress.email_key, SuppressedAddress.campaigns_status)
                                     .where(SuppressedAddress.sync_id == sync_id,
                                            SuppressedAddress.email_key.in_(wanted[i:i + _CHUNK]))):
            found[key] = status
    return found


# ---------------------------------------------------------------------- runs and history


def start_run(s: Session, sync: Sync, *, kind: RunKind, trigger: RunTrigger, now: datetime | None = None,
              estimated_total: int | None = None) -> Run:
    """A new ``running`` run that starts from the sync's watermark and remembers the list name."""
    _check(kind, RUN_KINDS, "run kind")
    _check(trigger, RUN_TRIGGERS, "run trigger")
    run = Run(sync_id=sync.id, kind=kind, trigger=trigger, status=RunStatus.RUNNING, started_at=_now(now),
              total=0, added=0, updated=0, unchanged=0, skipped=0, awaiting=0, estimated_total=estimated_total,
              watermark_start=sync.watermark, list_name=sync.list_name, calls_books=0, calls_campaigns=0)
    s.add(run)
    s.flush()
    return run


# Checkpoint keys that count a run's failed attempts (a failed run is re-opened by the next run,
# so one row can stand for several failures): the scheduler's backoff is derived from them.
FAILED_ATTEMPTS = "failed_attempts"
FIRST_FAILED_AT = "first_failed_at"


def failed_attempts(run: Run) -> int:
    """How many attempts of this run ended failed (a failed row without the key: one)."""
    counted = int((run.checkpoint or {}).get(FAILED_ATTEMPTS, 0) or 0)
    return max(1, counted) if run.status == RunStatus.FAILED else counted


def finish_run(s: Session, run: Run, *, status: RunStatus, now: datetime | None = None,
               error_code: str | None = None, error_message: str | None = None,
               watermark_end: datetime | None = None, resume_at: datetime | None = None) -> Run:
    """Close a run. A deferred run keeps its checkpoint (it resumes at ``resume_at``); so does a
    failed one (the next run continues it), counting its failed attempts in the checkpoint. Any
    other end drops the checkpoint but keeps the count of failed attempts (a completed run ends
    the failure streak and keeps nothing)."""
    _check(status, RUN_FINAL_STATUSES, "final run status")
    stamp = _now(now)
    previous = dict(run.checkpoint or {})
    attempts = int(previous.get(FAILED_ATTEMPTS, 0) or 0)
    run.status = status
    run.finished_at = stamp
    run.error_code, run.error_message = error_code, error_message
    run.resume_at = resume_at if status == RunStatus.DEFERRED else None
    run.phase = None
    if watermark_end is not None:
        run.watermark_end = watermark_end
    if status == RunStatus.FAILED:
        run.checkpoint = {**previous, FAILED_ATTEMPTS: attempts + 1,
                          FIRST_FAILED_AT: previous.get(FIRST_FAILED_AT) or stamp.isoformat()}
    elif status != RunStatus.DEFERRED:
        kept = {k: previous[k] for k in (FAILED_ATTEMPTS, FIRST_FAILED_AT) if k in previous}
        run.checkpoint = kept if attempts and status != RunStatus.COMPLETED else None
    s.flush()
    return run


def interrupted_run(s: Session, sync_id: int) -> Run | None:
    """The newest run still marked ``running`` (its process died or is running now)."""
    return s.scalars(select(Run).where(Run.sync_id == sync_id, Run.status == RunStatus.RUNNING)
                     .order_by(Run.id.desc())).first()


def failure_streak(s: Session, sync_id: int, *, look_back: int = 64) -> tuple[int, datetime | None]:
    """Failed attempts since the sync's last completed run, and when the first of them ended.

    The scheduler's backoff is derived from this history, so a restart does not forget it. A
    failed run that the next run re-opened counts each failed attempt (``failed_attempts``).
    Cancelled, deferred and undecided runs neither count nor end the streak: they prove nothing.
    """
    failures, first_failed_at = 0, None
    for run in s.scalars(select(Run).where(Run.sync_id == sync_id).order_by(Run.id.desc()).limit(look_back)):
        if run.status == RunStatus.COMPLETED:
            break
        attempts = failed_attempts(run)  # a re-opened failed run counts each of its failures
        if attempts:
            failures += attempts
            first_failed_at = _when((run.checkpoint or {}).get(FIRST_FAILED_AT)) or run.finished_at
    return failures, first_failed_at


def _when(value: Any) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return found.replace(tzinfo=UTC) if found is not None and found.tzinfo is None else found


def add_skipped(s: Session, run_id: int, rows: Iterable[Mapping[str, Any]], *,
                now: datetime | None = None) -> int:
    """Bulk-insert skipped customers: dicts with books_contact_id, name, email, reason_code, reason_message."""
    stamp = _now(now)
    batch = [{"created_at": stamp, **row, "run_id": run_id} for row in rows]
    if batch:
        s.execute(insert(SkippedRecord.__table__), batch)
    return len(batch)


def runs_for(s: Session, sync_id: int | None, limit: int = 200) -> Sequence[Run]:
    query = select(Run).order_by(Run.id.desc()).limit(limit)
    if sync_id is not None:
        query = query.where(Run.sync_id == sync_id)
    return s.scalars(query).all()


def latest_run(s: Session, sync_id: int | None) -> Run | None:
    found = runs_for(s, sync_id, 1)
    return found[0] if found else None


def skipped_for(s: Session, run_id: int) -> Sequence[SkippedRecord]:
    return s.scalars(select(SkippedRecord).where(SkippedRecord.run_id == run_id)
                     .order_by(SkippedRecord.id)).all()


def delete_history(s: Session) -> None:
    """Disable with "delete history": runs (and their skipped rows) and notifications go."""
    s.execute(delete(Notification))
    s.execute(delete(SkippedRecord))
    s.execute(delete(Run))


# ---------------------------------------------------------------------- notifications


def add_notification(s: Session, note: Notification) -> Notification:
    _check(note.level, NOTIFICATION_LEVELS, "notification level")
    if note.created_at is None:
        note.created_at = _now(None)
    if note.read is None:
        note.read = False
    s.add(note)
    s.flush()
    return note


def all_notifications(s: Session, limit: int = 100) -> Sequence[Notification]:
    return s.scalars(select(Notification).order_by(Notification.id.desc()).limit(limit)).all()


def unread_notifications(s: Session) -> Sequence[Notification]:
    return s.scalars(select(Notification).where(Notification.read.is_(False))
                     .order_by(Notification.id.desc())).all()


def mark_read(s: Session, notification_id: int) -> None:
    note = s.get(Notification, notification_id)
    if note is not None:
        note.read = True


def mark_all_read(s: Session) -> None:
    s.execute(update(Notification).where(Notification.read.is_(False)).values(read=True))
