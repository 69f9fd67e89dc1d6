"""Turn any failure into a title and a sentence a person can act on (R34); tracebacks go to the log."""

from __future__ import annotations

from desktop_app.app import describe as service_describe

LOG_HINT = "Details are in the log file (Help → Open log folder)."


def describe(exc: BaseException) -> tuple[str, str]:
    """(title, message) for a dialog or a status line; never a traceback. The CLI's translator
    too (``service.describe``): the same failure reads the same in both."""
    said = service_describe(exc, log_hint=LOG_HINT[0].lower() + LOG_HINT[1:].rstrip("."))
    return said.title, said.message


def describe_outcome(outcome) -> str:
    """A run's end as one status-line sentence (R34); ``needs_decision`` says what to do next."""
    c = outcome.counts
    awaiting = f", {c.awaiting} awaiting confirmation" if c.awaiting else ""
    counts = f"{c.added} added, {c.updated} updated{awaiting}, {c.skipped} skipped"
    if outcome.status == "needs_decision":
        return ("Sync needs your decision: the list sends a confirmation email to each new contact (double "
                "opt-in). Accept double opt-in or choose another list on the sync's page.")
    if outcome.status == "deferred" and outcome.resume_at:
        when = outcome.resume_at.astimezone().strftime("%H:%M")
        return f"Sync deferred: {counts}; it continues after {when}."
    if outcome.status == "failed" and outcome.error:
        return f"Sync failed: {outcome.error}"
    return f"Sync {outcome.status}: {counts}."
