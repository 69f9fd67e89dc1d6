"""Store queries only the tests need (the product reads state rows as columns: store/runs.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.store.models import ContactLink


def links_for(s: Session, sync_id: int, contact_ids: Iterable[str]) -> dict[str, ContactLink]:
    """The state rows (ORM objects) of these Books customers; missing ones are absent."""
    ids = sorted(set(contact_ids))
    found: dict[str, ContactLink] = {}
    for i in range(0, len(ids), 500):
        for link in s.scalars(select(ContactLink).where(ContactLink.sync_id == sync_id,
                                                        ContactLink.books_contact_id.in_(ids[i:i + 500]))):
            found[link.books_contact_id] = link
    return found
