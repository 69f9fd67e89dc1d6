"""One sync run, end to end: prepare → read Books into staging → plan + write in batches → finish.

Durability (R24): every step that changes Campaigns is bracketed by commits to SQLite.
- Reading stages each Books page (``staged_customer`` rows) and commits the page number, so a
  killed run re-reads at most one page.
- Writing goes through staged customers ordered by contact id, in batches. Before a batch is
  sent, its planned adds are committed as *intents* in the checkpoint; after it is sent, the
  state rows, counters, skipped rows and the new checkpoint are committed in one transaction.
  A run killed between the two resumes the batch: Campaigns answers "updated" for contacts the
  dead process already added, and the intent turns that back into "added", so the counts equal
  an uninterrupted run's and no data is written differently (listsubscribe is idempotent).
- The watermark moves only when a run completes.

Errors become run statuses: the daily Books cap or a Campaigns lock → *deferred* (with its
resume time; the next run continues from the checkpoint); expired sign-in or an unusable answer →
*failed* with a sentence; cancel → *cancelled* at a batch boundary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desktop_app.connectors.campaigns import SubscribeRefused
from desktop_app.connectors.errors import (
    ApiError,
    AuthExpired,
    DailyCapReached,
    Locked,
    RateLimited,
    ZohoError,
)
from desktop_app.domain.counts import RunCounts
from desktop_app.domain.mapping import books_field
from desktop_app.domain.skips import SkipReason
from desktop_app.engine.plan import Action, Planned, plan_customer
from desktop_app.engine.progress import CancelToken, Phase, Progress, ProgressSink, ignore_progress
from desktop_app.engine.state import RunState, SyncSnapshot
from desktop_app.store.lock import RunLock

log = logging.getLogger(__name__)

FULL_RECONCILE_EVERY = timedelta(hours=24)
WATERMARK_OVERLAP = timedelta(minutes=10)
BATCH_SIZE = 50
WRITE_WORKERS = 4
MISSING_LOOKUPS = 100  # detail calls a full run may spend on customers its read did not return

# Refusals that reflect the contact's state in Campaigns (remembered in the state table).
_STATE_REASONS = frozenset({SkipReason.UNSUBSCRIBED, SkipReason.DO_NOT_MAIL, SkipReason.BOUNCED,
                            SkipReason.SPAM_COMPLAINT})


class NoSyncConfigured(Exception):
    def __init__(self) -> None:
        super().__init__("No sync is configured yet; create one first (desktop-app sync create …).")


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str  # completed | failed | cancelled | deferred
    kind: str
    counts: RunCounts
    error: str | None = None
    resume_at: datetime | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncRun:
    """Runs the configured sync once. Build one per run; ``execute()`` does the work."""

    def __init__(
        self,
        state: RunState,
        books,  # connectors.books.BooksClient
        campaigns,  # connectors.campaigns.CampaignsClient
        *,
        lock_path: Path,
        trigger: str = "manual",
        force_full: bool = False,
        progress: ProgressSink = ignore_progress,
        cancel: CancelToken | None = None,
        clock: Callable[[], datetime] = utc_now,
        batch_size: int = BATCH_SIZE,
        workers: int = WRITE_WORKERS,
    ) -> None:
        self.state = state
        self.books = books
        self.campaigns = campaigns
        self.lock_path = lock_path
        self.trigger = trigger
        self.force_full = force_full
        self.progress = progress
        self.cancel = cancel or CancelToken()
        self.clock = clock
        self.batch_size = batch_size
        self.workers = workers
        self.counts = RunCounts()
        self._pool: ThreadPoolExecutor | None = None
        self.members: set[str] | None = None

    # ------------------------------------------------------------------ entry point

    def execute(self) -> RunOutcome:
        try:
            return self._execute()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def _execute(self) -> RunOutcome:
        with RunLock(self.lock_path):
            snap = self.state.snapshot()
            if snap is None:
                raise NoSyncConfigured()
            waiting = self.state.deferred_until(snap.sync_id)
            if waiting is not None and waiting[1] > self.clock():
                # The API window that deferred it has not reset: starting now would only spend
                # calls that count against it (this process cannot see earlier processes' calls).
                run_id, until, counts, kind = waiting
                return RunOutcome(run_id, "deferred", kind, counts,
                                  "The last run is waiting for the API limit to reset; it continues after "
                                  f"{until.astimezone().strftime('%Y-%m-%d %H:%M')}.", until)
            run = self.state.resume_or_start(snap, trigger=self.trigger, force_full=self.force_full,
                                             now=self.clock(), full_every=FULL_RECONCILE_EVERY)
            self.run_id = run.id
            self.kind = run.kind
            self.counts = run.counts
            self.checkpoint = dict(run.checkpoint or {})
            calls_before = self._calls()
            try:
                status = self._work(snap)
                error, resume_at = None, None
            except (DailyCapReached, Locked, RateLimited) as exc:
                status, error = "deferred", exc.message
                resume_at = getattr(exc, "reset_at", None) or getattr(exc, "until", None) \
                    or getattr(exc, "retry_at", None)
            except AuthExpired as exc:
                status, error, resume_at = "failed", exc.message, None
            except ZohoError as exc:
                status, error, resume_at = "failed", exc.message, None
            except Exception as exc:  # a bug must still leave a failed run, not a "running" ghost
                log.exception("sync run %s crashed", self.run_id)
                status = "failed"
                error = f"Unexpected error ({type(exc).__name__}); details are in the log file."
                resume_at = None
            books_calls, campaigns_calls = self._calls_since(calls_before)
            self.state.finish_run(self.run_id, status=status, counts=self.counts, error=error,
                                  resume_at=resume_at, now=self.clock(), snap=snap,
                                  calls_books=books_calls, calls_campaigns=campaigns_calls)
            self._report(Phase.FINISHING, self.counts.total, self.counts.total, status)
            return RunOutcome(self.run_id, status, self.kind, self.counts, error, resume_at)

    # ------------------------------------------------------------------ phases

    def _work(self, snap: SyncSnapshot) -> str:
        self._report(Phase.PREPARING, 0, None, "Checking fields and contact statuses")
        self._ensure_new_fields(snap)
        suppressed = self._suppressed(snap)
        self.members = self._members(snap) if self.kind == "full" else None
        if self.checkpoint.get("stage", "read") == "read":
            if self._read(snap):
                return "cancelled"
            if self.kind == "full":
                self._reconcile_missing(snap)
            self.checkpoint = {"stage": "write", "after": ""}
            self.state.save_checkpoint(self.run_id, self.checkpoint, self.counts,
                                       estimated_total=self.state.staged_count(self.run_id))
        if self._write(snap, suppressed):
            return "cancelled"
        return "completed"

    def _ensure_new_fields(self, snap: SyncSnapshot) -> None:
        """Create ticked "New field" Campaigns fields once, before the first write needing them."""
        wanted = [r for r in snap.rows if r.new_field and r.campaigns_field not in snap.created_fields]
        if not wanted:
            return
        existing = {f.display_name.casefold() for f in self.campaigns.fields()}
        for row in wanted:
            if row.campaigns_field.casefold() not in existing:
                self.campaigns.create_field(row.campaigns_field, _books_field(row.books_key).type)
            self.state.mark_field_created(snap.sync_id, row.campaigns_field)

    def _suppressed(self, snap: SyncSnapshot) -> dict[str, str]:
        """Addresses the list holds as unsubscribed, bounced, spam or do-not-mail: never re-subscribed."""
        from desktop_app.domain.emails import identity

        found: dict[str, str] = {}
        for status in ("unsub", "bounce", "spam", "dnm"):
            for email in self.campaigns.subscribers(snap.list_key, status):
                key = identity(email)
                if key:
                    found.setdefault(key, status)
        return found

    def _members(self, snap: SyncSnapshot) -> set[str]:
        """The list's active members now (full runs: one paged read, 1,000 per call)."""
        from desktop_app.domain.emails import identity

        return {k for k in (identity(e) for e in self.campaigns.subscribers(snap.list_key, "active")) if k}

    def _read(self, snap: SyncSnapshot) -> bool:
        """Stage Books customers page by page. Returns True when cancelled."""
        since = None if self.kind == "full" else snap.watermark
        start_page = int(self.checkpoint.get("page", 0)) + 1
        needs_detail = any(_books_field(r.books_key).needs_detail for r in snap.rows)
        staged = self.state.staged_count(self.run_id)
        for page in self.books.iter_customer_pages(since=since, overlap=WATERMARK_OVERLAP,
                                                   start_page=start_page):
            customers = list(page.customers)
            malformed = list(page.malformed)
            if needs_detail:
                customers, bad = self._details(customers)
                malformed += bad
            self.state.stage(self.run_id, customers)
            # Unreadable records are staged too, to be counted and reported as skipped, never lost.
            self.state.stage_unreadable(self.run_id, malformed, page.page)
            staged += len(customers) + len(malformed)
            self.checkpoint = {"stage": "read", "page": page.page}
            self.state.save_checkpoint(self.run_id, self.checkpoint, self.counts)
            self._report(Phase.READING, staged, None, f"Read {staged:,} customers")
            if self._should_stop(snap):
                return True
        return False

    def _details(self, customers: list) -> tuple[list, list]:
        """One detail call per customer; one that vanished or cannot be read does not fail the run."""
        from desktop_app.connectors.books import MalformedCustomer, MalformedRecord

        found, bad = [], []
        for c in customers:
            try:
                found.append(self.books.customer_detail(c.contact_id))
            except ApiError as exc:
                if str(exc.code) not in ("1003", "5"):  # not "does not exist": a real failure
                    raise
                log.info("Books customer %s disappeared during the run", c.contact_id)
            except MalformedRecord as exc:
                bad.append(MalformedCustomer(c.contact_id, c.contact_name, str(exc)))
        return found, bad

    def _reconcile_missing(self, snap: SyncSnapshot) -> None:
        """After a full read: customers the state table knows but the read did not return.

        Pages can shift while Books changes during the read (an edit moves a customer to the
        front, a deletion pulls the next one back a page), so each missing customer is looked up:
        found ones are staged, gone ones are forgotten (their contacts stay in Campaigns).
        """
        missing = self.state.unstaged_links(snap.sync_id, self.run_id, limit=MISSING_LOOKUPS + 1)
        if len(missing) > MISSING_LOOKUPS:
            # Many deletions: looking each up would spend the daily cap; trust the read.
            self.state.forget_missing(snap.sync_id, self.run_id)
            return
        found, bad = self._details([_Ref(cid) for cid in missing])
        self.state.stage(self.run_id, found)
        self.state.stage_unreadable(self.run_id, bad, 0)
        self.state.forget_missing(snap.sync_id, self.run_id)

    def _write(self, snap: SyncSnapshot, suppressed: dict[str, str]) -> bool:
        """Plan and send staged customers in batches. Returns True when cancelled."""
        total = self.state.staged_count(self.run_id)
        after = str(self.checkpoint.get("after", ""))
        pending: dict[str, str] = dict(self.checkpoint.get("pending", {}))
        while True:
            batch = self.state.staged_batch(self.run_id, after, self.batch_size)
            if not batch:
                return False
            owners = self.state.email_owners(snap.sync_id, self.run_id, self.kind,
                                             {b.email_key for b in batch if b.email_key})
            links = self.state.links(snap.sync_id, [b.contact_id for b in batch])
            plans = [
                plan_customer(b.record, links.get(b.contact_id), rows=snap.rows,
                              update_empty=snap.update_empty, suppressed=suppressed,
                              duplicate_of=_other_owner(owners, b.email_key, b.contact_id))
                for b in batch
            ]
            # Intents first: a process killed while sending resumes knowing what it had meant to
            # add, so Campaigns' "updated" for its own earlier write still counts as "added".
            resumed = {cid for cid, a in pending.items() if a == "add"}
            intents = {p.contact_id: "add" for p in plans if p.action is Action.ADD}
            cp = {"stage": "write", "after": after, "pending": intents}
            self.state.save_checkpoint(self.run_id, cp, self.counts)
            results = self._send(snap, [p for p in plans if p.action in (Action.ADD, Action.UPDATE)])
            batch_counts = RunCounts()
            link_rows, skipped_rows = [], []
            fatal: ZohoError | None = None
            for plan in plans:
                outcome = results.get(plan.contact_id)
                if isinstance(outcome, ZohoError) and not isinstance(outcome, ApiError):
                    fatal = fatal or outcome
                    continue
                kind, reason, detail, status = self._resolve(plan, outcome, resumed)
                setattr(batch_counts, kind, getattr(batch_counts, kind) + 1)
                if kind == "skipped":
                    skipped_rows.append((plan, reason, detail))
                link_rows.append((plan, kind, status))
            if fatal is not None:
                # Nothing of this batch is recorded: the intents saved above stay in the checkpoint,
                # so a resumed (deferred) run replays the batch once and counts it once; a new run
                # after a failure finds Campaigns' answers and the state table.
                raise fatal
            self.counts = self.counts + batch_counts
            after = batch[-1].sort_key
            pending = {}
            self.checkpoint = {"stage": "write", "after": after}
            self.state.commit_batch(self.run_id, snap.sync_id, link_rows, skipped_rows, self.counts,
                                    self.checkpoint, now=self.clock())
            self._report(Phase.WRITING, self.counts.total, total,
                         f"{self.counts.total:,} of {total:,} customers")
            if self._should_stop(snap):
                return True

    def _send(self, snap: SyncSnapshot, plans: list[Planned]) -> dict:
        def one(plan: Planned):
            adding = plan.action is Action.ADD
            try:
                return plan.contact_id, self.campaigns.subscribe(
                    snap.list_key, plan.values or {},
                    topic_ids=snap.topic_ids if adding else (),
                    subscription_type=snap.subscription_label if adding else None,
                    lawful_basis=snap.lawful_basis_label if adding else None,
                )
            except ZohoError as exc:
                return plan.contact_id, exc

        if not plans:
            return {}
        if self.workers <= 1 or len(plans) == 1:
            return dict(one(p) for p in plans)
        if self._pool is None:  # one pool per run: threads are not re-created for every batch
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="campaigns-write")
        return dict(self._pool.map(one, plans))

    def _resolve(self, plan: Planned, outcome, resumed: set[str]):
        """(count bucket, skip reason, detail, campaigns status) of one planned customer."""
        if plan.action is Action.SKIP:
            return "skipped", plan.reason, plan.detail, None
        if plan.action is Action.UNCHANGED:
            return "unchanged", None, None, "active"
        if isinstance(outcome, SubscribeRefused):  # the connector knows which refusal means what
            status = outcome.contact_status if outcome.reason in _STATE_REASONS else None
            return "skipped", outcome.reason, f"Zoho Campaigns code {outcome.code}", status
        if isinstance(outcome, ApiError):
            return "skipped", SkipReason.REJECTED, f"code {outcome.code}: {outcome.message}", None
        answer = getattr(outcome, "outcome", None)
        if plan.old_address:  # the same Books customer under a new address: its contact was updated
            return "updated", None, None, "active"
        if plan.action is Action.ADD and plan.contact_id in resumed:
            return "added", None, None, "active"  # we added it before a kill; Campaigns now says updated
        if self.members is not None:
            # Full runs know who was in the list when they began: a retried write that Campaigns
            # answers "updated" is still an addition.
            in_list = plan.email_key in self.members
            return ("updated" if in_list else "added"), None, None, "active"
        if plan.action is Action.ADD or answer == "added":
            return "added", None, None, "active"
        return "updated", None, None, "active"

    # ------------------------------------------------------------------ helpers

    def _should_stop(self, snap: SyncSnapshot) -> bool:
        """Cancel, or Pause Sync pressed (here or in another process) since the run began (R25)."""
        if self.cancel.cancelled:
            return True
        if not snap.paused and self.state.is_paused(snap.sync_id):
            self.cancel.cancel("paused")
            return True
        return False

    def _calls(self) -> tuple[int, int]:
        return (getattr(self.books, "calls_made", 0), getattr(self.campaigns, "calls_made", 0))

    def _calls_since(self, before: tuple[int, int]) -> tuple[int, int]:
        now = self._calls()
        return now[0] - before[0], now[1] - before[1]

    def _report(self, phase: str, done: int, total: int | None, message: str) -> None:
        try:
            self.progress(Progress(self.run_id, phase, done, total, self.counts, message))
        except Exception:  # a broken listener must not break the run
            log.exception("progress listener failed")


def _books_field(key: str):
    """The Books field of a mapping row; custom (cf_*) and unknown keys are list-item text fields."""
    from desktop_app.domain.mapping import BooksField, FieldType

    return books_field(key) or BooksField(key, key, FieldType.TEXT)


@dataclass(frozen=True)
class _Ref:
    """A customer known only by id (for a detail lookup)."""

    contact_id: str
    contact_name: str = ""


def _other_owner(owners: dict[str, str], key: str | None, contact_id: str) -> str | None:
    owner = owners.get(key or "")
    return owner if owner and owner != contact_id else None
