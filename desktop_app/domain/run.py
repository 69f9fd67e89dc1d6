"""The run vocabulary: why a run started, how it ended, what it read (one typed set of words).

StrEnum members compare equal to their values, so rows stored as plain strings keep working,
and a misspelt member (``RunTrigger.SCHEDULE``) fails at import time and in the type checker,
instead of as a ``StoreError`` every 15 minutes.
"""

from __future__ import annotations

from enum import StrEnum


class RunTrigger(StrEnum):
    INITIATE = "initiate"  # the first run, right after the wizard
    MANUAL = "manual"  # "Sync now"
    SCHEDULED = "scheduled"  # the window's scheduler or ``sync run --scheduled`` (cron)
    CLI = "cli"  # ``sync run``
    RESUME = "resume"  # a deferred run continuing after the API window reset


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEFERRED = "deferred"  # an API limit: continues from its checkpoint at resume_at
    # the list sends confirmation emails (double opt-in): the user must accept it or move
    NEEDS_DECISION = "needs_decision"

    @property
    def final(self) -> bool:
        return self is not RunStatus.RUNNING


class RunKind(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


class Phase(StrEnum):
    """What a running run is doing, as progress reports it."""

    PREPARING = "preparing"
    READING = "reading"
    WRITING = "writing"
    FINISHING = "finishing"

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    Phase.PREPARING: "Preparing",
    Phase.READING: "Reading customers from Zoho Books",
    Phase.WRITING: "Writing contacts to Zoho Campaigns",
    Phase.FINISHING: "Finishing",
}


class OptInMode(StrEnum):
    """What the sync knows of its list's opt-in: not yet probed, direct, or double opt-in accepted."""

    UNKNOWN = "unknown"
    DIRECT = "direct"
    DOUBLE_ACCEPTED = "double_accepted"


FINAL_STATUSES: tuple[RunStatus, ...] = tuple(s for s in RunStatus if s.final)
