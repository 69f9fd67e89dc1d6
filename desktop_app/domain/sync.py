"""The sync as a run sees it, and a run's handle: the records the engine and its store share.

Pure data (``store/runs.py`` builds them from the database; ``engine/run.py`` reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from desktop_app.domain.counts import RunCounts
from desktop_app.domain.mapping import MappingRow
from desktop_app.domain.plan import LinkState
from desktop_app.domain.run import OptInMode, RunKind
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
    opt_in_mode: OptInMode = OptInMode.UNKNOWN
    gdpr: bool | None = None

    @property
    def subscription_label(self) -> str:
        return self.subscription_type.label

    @property
    def lawful_basis_label(self) -> str | None:
        return self.lawful_basis.label if self.lawful_basis else None


class Stage(StrEnum):
    """The part of a run its checkpoint is in: reading Books pages (each written as it arrives), or
    writing what is left once the read is complete."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Checkpoint:
    """Where a run is, as the engine saves it after each page and batch and a resumed run reads it.

    Stored as JSON in ``runs.checkpoint`` (the store adds what it keeps about the run itself:
    ORIGIN and the failed-attempt count). ``carried`` is the store's to set, the engine's to read.
    """

    stage: Stage = Stage.READ
    page: int = 0  # the Books pages staged so far
    written: int = 0  # the staging order (seq) up to which customers are recorded
    pending: frozenset[str] = field(default_factory=frozenset)  # adds sent or about to be, unrecorded
    done: frozenset[str] = field(default_factory=frozenset)  # contacts of the next batch already recorded
    carried: frozenset[str] = field(default_factory=frozenset)  # adds a closed, stale run had in flight

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Checkpoint:
        data = data or {}
        pending = data.get("pending") or {}
        return cls(stage=Stage(data.get("stage") or Stage.READ), page=int(data.get("page") or 0),
                   written=int(data.get("written") or 0),
                   pending=frozenset(c for c, a in pending.items() if a == "add") if isinstance(pending, Mapping)
                   else frozenset(pending),
                   done=frozenset(data.get("done") or ()), carried=frozenset(data.get(CARRIED) or ()))

    def to_json(self) -> dict[str, Any]:
        """The position only (``carried`` is kept by the store)."""
        out: dict[str, Any] = {"stage": self.stage.value, "page": self.page, "written": self.written}
        if self.pending:
            out["pending"] = {c: "add" for c in sorted(self.pending)}
        if self.done:
            out["done"] = sorted(self.done)
        return out


def has_position(data: Mapping[str, Any] | None) -> bool:
    """Does a stored checkpoint say where a run is (not only what is kept about it)?"""
    return bool((data or {}).get("stage"))


@dataclass
class RunHandle:
    id: int
    kind: RunKind
    counts: RunCounts
    checkpoint: Checkpoint


@dataclass(frozen=True)
class StagedRow:
    contact_id: str
    seq: int  # the staging order: rows are written in it
    email_key: str | None
    record: dict


@dataclass(frozen=True)
class BatchInputs:
    """What planning a batch needs from the store, read in one transaction: the staged rows, the
    owner of each of their addresses, their links, the list's status of each address as this run
    read it, and the addresses refused earlier for their state."""

    rows: list[StagedRow]
    owners: dict[str, str]
    links: dict[str, LinkState]  # by contact id
    in_list: dict[str, str]
    suppressed: dict[str, str]


def sort_key(contact_id: str) -> str:
    """Order of "first by contact id": numeric ids numerically, others after them."""
    return contact_id.zfill(24) if contact_id.isdigit() else "~" + contact_id


