"""What the façade returns: frozen views of the connection, the sync, its runs and the bell,
never ORM objects; and the words of the sync's opt-in state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop_app.domain.counts import RunCounts
from desktop_app.domain.mapping import MappingRow
from desktop_app.domain.run import OptInMode, RunStatus
from desktop_app.store import models

NEEDS_DECISION = RunStatus.NEEDS_DECISION  # run status: a double opt-in list, the user must accept or move


@dataclass(frozen=True)
class ConnectionInfo:
    kind: str  # "sandbox" | "zoho"
    data_center: str | None
    org_id: str
    org_name: str
    books_owner_email: str
    campaigns_owner_email: str
    user_email: str | None
    gdpr_enabled: bool  # detected: the account has a Lawful Basis field
    needs_reconnect: bool = False  # R42: Zoho no longer accepts the sign-in; sign in again to the same org

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

    @property
    def owner_warning(self) -> str | None:
        """R3: the warning when the Books owner is not the signed-in user (None: same address)."""
        return owner_warning(self.org_name, self.books_owner_email, self.campaigns_owner_email)


def owner_warning(org_name: str, books_owner: str | None, signed_in: str | None) -> str | None:
    """R3 (issue 9): never a refusal. The signed-in user is taken as the Campaigns account's owner,
    which Zoho cannot confirm, so a different Books owner only *may* make the sync fail."""
    books_owner, signed_in = (books_owner or "").strip(), (signed_in or "").strip()
    if books_owner and signed_in and books_owner.casefold() == signed_in.casefold():
        return None
    owner = books_owner or "an unknown address"
    if not signed_in:
        return (f"The Zoho Books organization “{org_name}” belongs to {owner}, but Zoho did not say which "
                f"account you signed in with; if it is not the owner of the Zoho Campaigns account, the sync "
                "may fail. Zoho requires both to be registered under the same email address.")
    return (f"The Zoho Books organization “{org_name}” belongs to {owner} but you signed in as {signed_in}; "
            f"if {signed_in} is not the owner of the Zoho Campaigns account, the sync may fail. Zoho requires "
            "both to be registered under the same email address.")


@dataclass(frozen=True)
class ConsentView:
    """The consent fields the Campaigns account exposes (display names), from contact/allfields."""

    subscription_type: str | None
    lawful_basis: str | None

    @property
    def can_set_subscription(self) -> bool:
        return self.subscription_type is not None

    @property
    def can_set_lawful_basis(self) -> bool:
        return self.lawful_basis is not None


@dataclass(frozen=True)
class SyncView:
    id: int
    list_key: str
    list_name: str
    subscription_type: str  # SubscriptionType value
    topic_ids: tuple[str, ...]
    topic_names: tuple[str, ...]
    lawful_basis: str | None  # LawfulBasis value
    gdpr: bool | None  # the user's answer when the account has no Lawful Basis field
    opt_in_mode: OptInMode
    update_empty: bool
    schedule_spec: str
    schedule_text: str
    paused: bool
    next_run_at: datetime | None
    last_run: RunView | None
    mapping: tuple[MappingRow, ...]  # the one mapping row shape, wizard to engine
    mapping_labels: tuple[str, ...]  # each row's Books field as a person reads it
    created_at: datetime

    @property
    def needs_decision(self) -> bool:
        """The last run found a double opt-in list and the user has not accepted it (nor moved)."""
        return (self.last_run is not None and self.last_run.status == NEEDS_DECISION
                and self.opt_in_mode == OptInMode.UNKNOWN)


@dataclass(frozen=True)
class RunView:
    id: int
    kind: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: RunCounts
    estimated_total: int | None
    error: str | None
    resume_at: datetime | None
    calls_books: int
    calls_campaigns: int
    notes: tuple[str, ...] = ()

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class NotificationView:
    id: int
    run_id: int | None
    sync_id: int | None
    level: str
    title: str
    body: str
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class InitiatePreview:
    """What the auto-upgrade disclaimer (R16) tells the user before the first run."""

    customers: int  # customers in the organization
    marketing_additions: int  # contacts this sync would add as Marketing (0 for Non-marketing)
    subscription_type: str  # what the contacts arrive as: "marketing" without a Subscription Type field
    subscription_settable: bool = True  # False: the account has no Subscription Type field
    complete: bool = True  # False: Books holds more customers than were read; the counts are floors
    writes: int = 0  # addresses the first sync writes (Marketing or not)
    eta_text: str = ""  # "At Zoho's API limits: about 89,000 writes; Zoho allows 75,000 a day: …"

    def counted(self, n: int) -> str:
        """A count as the disclaimer says it: "1,309" or, from a partial read, "at least 5,000"."""
        return f"{n:,}" if self.complete else f"at least {n:,}"


def connection_info(conn: models.Connection) -> ConnectionInfo:
    return ConnectionInfo(conn.kind, conn.data_center, conn.org_id, conn.org_name, conn.books_owner_email,
                          conn.campaigns_owner_email, conn.user_email, bool(conn.gdpr_enabled),
                          conn.reconnect_needed_at is not None)


def run_view(run: models.Run) -> RunView:
    counts = RunCounts(added=run.added or 0, updated=run.updated or 0, unchanged=run.unchanged or 0,
                       skipped=run.skipped or 0, awaiting=run.awaiting or 0)
    return RunView(run.id, run.kind, run.trigger, run.status, run.started_at, run.finished_at, counts,
                   run.estimated_total, run.error_message, run.resume_at, run.calls_books or 0,
                   run.calls_campaigns or 0, tuple(run.notes or ()))
