"""How a run ends, in words: its outcome, and the sentences and errors the engine ends runs with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desktop_app.domain.counts import RunCounts
from desktop_app.domain.errors import AppError, ErrorKind
from desktop_app.domain.run import RunKind, RunStatus
from desktop_app.domain.zoho import ApiError, SubscribeRefused, ZohoError

CONTINUES = "The next run continues where this one stopped."

RECONNECT_MESSAGE = ("Zoho no longer accepts the app's sign-in (it expired or was revoked): the account needs "
                     "reconnecting. Reconnect it, then run the sync again; no customer was skipped because of it.")


class NoSyncConfigured(AppError):
    title = "No sync"
    kind = ErrorKind.REFUSED

    def __init__(self) -> None:
        super().__init__("No sync is configured yet; create one first (desktop-app sync create …).")


class SystemicRefusal(ZohoError):
    """Campaigns refused several contacts in a row with the same unknown code: the run fails."""

    title = "Zoho Campaigns refused the writes"

    def __init__(self, code: str, zoho_message: str, count: int) -> None:
        self.code = code
        said = f" (“{zoho_message}”)" if zoho_message else ""
        super().__init__(
            f"Zoho Campaigns refused {count} contacts in a row with the same error, code {code}{said}. "
            "That is a problem of the account or the sync's settings, not of these contacts, so none was "
            "skipped; check the field mapping and the Zoho Campaigns account, then run the sync again.")


DOUBLE_OPT_IN = "double_opt_in"  # RunOutcome.decision of a needs_decision run


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: RunStatus  # a final status: completed | failed | cancelled | deferred | needs_decision
    kind: RunKind
    counts: RunCounts
    error: str | None = None  # the sentence of a failed, deferred or needs_decision run
    resume_at: datetime | None = None
    decision: str | None = None  # needs_decision: what the user must decide ("double_opt_in")

    @property
    def needs_decision(self) -> bool:
        return self.status == RunStatus.NEEDS_DECISION


def double_opt_in_message(list_name: str, awaiting: int) -> str:
    who = "1 customer was" if awaiting == 1 else f"{awaiting:,} customers were"
    return (f"The list “{list_name}” sends a confirmation email to each new contact (double opt-in): {who} "
            "sent one and joins only after confirming. Accept double opt-in or choose another list.")


# The same unknown Campaigns error code for this many contacts in a row is the account's or the
# app's problem, not the contacts': the run fails instead of skipping them (SystemicRefusal).
SYSTEMIC_STREAK = 5

# A streak: (code, Zoho's message, [(contact id, recorded by an earlier batch)]).
Streak = tuple[str, str, list[tuple[str, bool]]]


def next_streak(streak: Streak | None, contact_id: str, outcome) -> Streak | None:
    """The run of one unknown error code after this sent contact's answer (None when broken)."""
    if isinstance(outcome, ApiError) and not isinstance(outcome, SubscribeRefused):
        if streak is not None and streak[0] == outcome.code:
            return streak[0], streak[1], [*streak[2], (contact_id, False)]
        return outcome.code, outcome.zoho_message or "", [(contact_id, False)]
    return None
