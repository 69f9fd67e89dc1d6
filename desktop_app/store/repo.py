"""Small queries over the models, each taking the caller's Session (one unit of work)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desktop_app.store.models import (
    Connection,
    ContactLink,
    FieldMapping,
    Notification,
    Run,
    SkippedRecord,
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


# ---------------------------------------------------------------------- connection (R4: one)


def get_connection(s: Session) -> Connection | None:
    return s.scalars(select(Connection).order_by(Connection.id)).first()


def save_connection(s: Session, conn: Connection) -> Connection:
    if conn.id is None and get_connection(s) is not None:
        raise AlreadyConnected()
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
    s.add(sync)
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


# ---------------------------------------------------------------------- runs and history


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
