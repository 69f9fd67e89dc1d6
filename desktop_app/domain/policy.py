"""A sync's run policies as pure functions: full or incremental, when the next run is, what a
run's end says (the bell's notification, the note of an interrupted run), and which edits of a
sync need a full run. The store applies them (store/runs.py, app/syncs.py); tests call them
with plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from desktop_app.domain.counts import RunCounts
from desktop_app.domain.run import RunKind, RunStatus, RunTrigger
from desktop_app.domain.schedule import next_attempt, parse_schedule

# A full reconciliation (every Books page, the list's members) at most this often by default; a
# scheduled run between is incremental (only what changed since the watermark). Issue 12.
DEFAULT_FULL_EVERY = timedelta(days=7)
# A run far from Zoho's limits writes bigger batches (fewer transactions per customer), each sized
# to take about BATCH_SECONDS, so Pause and Cancel still act within about a second; at the
# documented limits (500 writes a minute) batches stay at the smallest size.
BATCH_SECONDS = 1.0
MAX_BATCH = 500
FULL_EVERY_DAYS = (1, 90)  # what the setting ``full_reconcile_days`` may say


def next_batch_size(rows: int, seconds: float, smallest: int, largest: int) -> int:
    """The next batch's size after one of ``rows`` customers took ``seconds``."""
    if rows <= 0 or seconds <= 0:
        return smallest
    return max(smallest, min(largest, int(rows / seconds * BATCH_SECONDS)))


def full_every(days: object) -> timedelta:
    """The setting ``full_reconcile_days`` (whole days, 1–90) as a period; anything else (missing,
    a typo, out of range) is the default weekly period."""
    low, high = FULL_EVERY_DAYS
    if isinstance(days, bool) or not isinstance(days, int | float) or not low <= days <= high:
        return DEFAULT_FULL_EVERY
    return timedelta(days=float(days))


def run_kind(*, force_full: bool, needs_full: bool, watermark: datetime | None, last_full_at: datetime | None,
             now: datetime, full_every: timedelta) -> RunKind:
    """A full reconciliation when asked, when the sync needs one (new, or a mapping, list or
    update-empty change), without a watermark, or when the last full run is ``full_every`` old;
    else an incremental run from the watermark."""
    full = (force_full or needs_full or watermark is None or last_full_at is None
            or now - last_full_at >= full_every)
    return RunKind.FULL if full else RunKind.INCREMENTAL


def next_run_at(spec: str, now: datetime, zone: tzinfo, failures: int = 0) -> datetime | None:
    """The next scheduled run after ``now`` (backing off while ``failures`` runs in a row failed);
    None for a schedule that cannot be read."""
    try:
        return next_attempt(parse_schedule(spec), now, failures, zone)
    except ValueError:
        return None


def edit_needs_full(*, mapping_changed: bool, update_empty_changed: bool, list_changed: bool) -> bool:
    """R26: an edit that changes what is written (the mapping, update-empty) or where (the list)
    is followed by a full run."""
    return mapping_changed or update_empty_changed or list_changed


@dataclass(frozen=True)
class Notice:
    level: str  # info | warning | error
    title: str
    body: str


_TITLES = {
    RunStatus.COMPLETED: ("info", "Sync completed"),
    RunStatus.FAILED: ("error", "Sync failed"),
    RunStatus.CANCELLED: ("warning", "Sync cancelled"),
    RunStatus.DEFERRED: ("warning", "Sync paused until the API limit resets"),
    RunStatus.NEEDS_DECISION: ("warning", "Sync needs your decision"),
}


def run_notice(status: RunStatus, counts: RunCounts, error: str | None, *, trigger: RunTrigger,
               next_run: datetime | None, zone: tzinfo) -> Notice:
    """The bell's notification of a run's end. A failed scheduled run says when it is tried again."""
    level, title = _TITLES.get(RunStatus(status), ("info", f"Sync {status}"))
    awaiting = f", {counts.awaiting:,} awaiting confirmation" if counts.awaiting else ""
    body = (f"{counts.total:,} customers: {counts.added:,} added, {counts.updated:,} updated, "
            f"{counts.unchanged:,} unchanged, {counts.skipped:,} skipped{awaiting}.")
    if error:
        body = f"{error} {body}"
    if status == RunStatus.FAILED and trigger == RunTrigger.SCHEDULED and next_run is not None:
        when = next_run.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        body += (f" The app tries again at {when}, then less often while it keeps failing; "
                 "no further notice until a run completes.")
    return Notice(level, title, body)


def notify(failures: int, trigger: RunTrigger) -> bool:
    """One notification per failure streak of scheduled runs (each retry of the same trouble
    would only bury the first, which says why); a run the user started always reports."""
    return failures <= 1 or trigger != RunTrigger.SCHEDULED


def interruption_note(error: str | None, stopped: datetime, again: datetime, zone: tzinfo) -> str:
    """The note a failed run keeps when the next run continues it."""
    stopped, again = stopped.astimezone(zone), again.astimezone(zone)
    when = stopped.strftime("%H:%M") if stopped.date() == again.date() else stopped.strftime("%Y-%m-%d %H:%M")
    sentence = (error or "the run failed").rstrip()
    if not sentence.endswith((".", "!", "?")):
        sentence += "."
    return f"Interrupted at {when}: {sentence[:-1]}; continued at {again.strftime('%H:%M')}."
