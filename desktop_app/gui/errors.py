"""Turn any failure into a title and a sentence a person can act on (R34); tracebacks go to the log."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

LOG_HINT = "Details are in the log file (Help → Open log folder)."


def describe(exc: BaseException) -> tuple[str, str]:
    """(title, message) for a dialog or a status line; never a traceback."""
    title = getattr(exc, "title", None)
    message = getattr(exc, "message", None)
    if isinstance(title, str) and isinstance(message, str) and message:
        return title, message
    if isinstance(exc, OSError):
        return "File problem", f"{exc.strerror or exc}. Check the folder exists and you may write to it."
    log.error("unexpected error", exc_info=exc)
    return "Something went wrong", f"An unexpected error happened ({type(exc).__name__}). {LOG_HINT}"


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
