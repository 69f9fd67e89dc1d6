"""The sync as a run sees it, and a run's handle: the records the engine and its store share.

Pure data (``store/runs.py`` builds them from the database; ``engine/run.py`` reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop_app.domain.counts import RunCounts
from desktop_app.domain.mapping import MappingRow
from desktop_app.domain.run import RunKind
from desktop_app.domain.settings import LawfulBasis, SubscriptionType

# Checkpoint keys about the run itself (not where it is): kept by every checkpoint save.
ORIGIN = "origin"  # the list and mapping version the run began with
CARRIED = "carried"  # adds a closed, stale run had in flight (their addresses count added)


@dataclass(frozen=True)
class SyncSnapshot:
    sync_id: int
    list_key: str
    list_name: str
    subscription_type: SubscriptionType
    topic_ids: tuple[str, ...]
    lawful_basis: LawfulBasis | None
    update_empty: bool
    rows: tuple[MappingRow, ...]
    created_fields: frozenset[str]
    watermark: datetime | None
    last_full_at: datetime | None
    needs_full: bool
    schedule_spec: str
    paused: bool
    mapping_version: int = 0
    opt_in_mode: str = "unknown"  # unknown | direct | double_accepted
    gdpr: bool | None = None

    @property
    def subscription_label(self) -> str:
        return self.subscription_type.label

    @property
    def lawful_basis_label(self) -> str | None:
        return self.lawful_basis.label if self.lawful_basis else None


@dataclass
class RunHandle:
    id: int
    kind: RunKind
    counts: RunCounts
    checkpoint: dict | None


@dataclass(frozen=True)
class StagedRow:
    contact_id: str
    sort_key: str
    email_key: str | None
    record: dict


def sort_key(contact_id: str) -> str:
    """Order of "first by contact id": numeric ids numerically, others after them."""
    return contact_id.zfill(24) if contact_id.isdigit() else "~" + contact_id


