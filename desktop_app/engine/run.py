"""One sync run, end to end: prepare → for each Books page: stage it, plan + write it in batches →
(full runs) look up customers the read missed → finish.

Pages are written as they arrive, so the Books daily cap (1,000 calls on some plans) never holds
back the writes of what was read; the list's members and suppressed addresses are read into the
run's store first (SQLite, not memory).

Durability (R24): every step that changes Campaigns is bracketed by commits to SQLite.
- Reading stages each Books page (``staged_customer`` rows, numbered in staging order) and commits
  the page number, so a killed run re-reads at most one page.
- Writing goes through staged customers in staging order, in batches. Before a batch is
  sent, its planned adds are committed as *intents* in the checkpoint; after it is sent, the
  state rows, counters, skipped rows and the new checkpoint are committed in one transaction.
  A run killed between the two resumes the batch: Campaigns answers "updated" for contacts the
  dead process already added, and the intent turns that back into "added", so the counts equal
  an uninterrupted run's and no data is written differently (listsubscribe is idempotent).
- The watermark moves only when a run completes.

Double opt-in: until the sync knows how its list treats a new contact (``opt_in_mode`` unknown),
the first subscribe of a run goes out alone. A plain success proves the list adds at once
("direct", then writes go parallel); an answer saying a confirmation email was sent stops the run
as *needs_decision* (that one contact counts as awaiting confirmation, nothing else is written)
until the user accepts double opt-in or chooses another list.

Added vs updated is decided here, never from Campaigns' answer: a planned add counts added (or
updated when a full run's read of the list already holds the address, unless the add was this
run's own intent before a kill); a planned update counts updated.

Errors become run statuses: the daily Books cap or a Campaigns lock → *deferred* (with its
resume time; the next run continues from the checkpoint); expired sign-in, an unusable answer or
the same unknown Campaigns code for several contacts in a row → *failed* with a sentence, and
the contacts concerned are not skipped (the problem is not theirs); cancel → *cancelled* at a
batch boundary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from desktop_app.domain.counts import RunCounts
from desktop_app.domain.errors import DatabaseError
from desktop_app.domain.mapping import kept_fields, row_books_field
from desktop_app.domain.plan import AWAITING, Action, Planned, other_owner, plan_customer
from desktop_app.domain.policy import DEFAULT_FULL_EVERY, next_batch_size
from desktop_app.domain.run import OptInMode, Phase, RunKind, RunStatus, RunTrigger
from desktop_app.domain.skips import SkipReason
from desktop_app.domain.sync import Stage, SyncSnapshot
from desktop_app.domain.zoho import (
    ApiError,
    AuthExpired,
    DailyCapReached,
    Locked,
    MalformedCustomer,
    MalformedRecord,
    NotFound,
    RateLimited,
    SubscribeRefused,
    ZohoError,
    is_transient,
)
from desktop_app.engine.outcome import (
    CONTINUES,
    DOUBLE_OPT_IN,
    RECONNECT_MESSAGE,
    SYSTEMIC_STREAK,
    NoSyncConfigured,
    RunOutcome,
    SystemicRefusal,
    double_opt_in_message,
    next_streak,
)
from desktop_app.engine.patience import Patience
from desktop_app.engine.ports import BooksReader, CampaignsWriter, RunLockPort, RunStore
from desktop_app.engine.progress import CancelToken, Progress, ProgressSink, ignore_progress

log = logging.getLogger(__name__)

WATERMARK_OVERLAP = timedelta(minutes=10)
BATCH_SIZE = 50
WRITE_WORKERS = 4
LIST_CHUNK = 1_000  # addresses read from the list per insert into the run's store
MISSING_LOOKUPS = 100  # detail calls a full run may spend on customers its read did not return

# Transient failures left after the HTTP layer's own retries (5xx, timeouts, dropped
# connections, malformed or truncated answers, short 429s; a busy database or a full disk) are
# tried again by the run this many times, after these pauses (seconds), before the run fails.
RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 30.0, 60.0)


# Refusals that reflect the contact's state in Campaigns (remembered in the state table), and the
# state each one stands for.
_STATE_OF_REASON = {SkipReason.UNSUBSCRIBED: "unsub", SkipReason.DO_NOT_MAIL: "dnm",
                    SkipReason.BOUNCED: "bounce", SkipReason.SPAM_COMPLAINT: "spam"}

def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncRun:
    """Runs the configured sync once. Build one per run; ``execute()`` does the work."""

    def __init__(
        self,
        state: RunStore,
        books: BooksReader,
        campaigns: CampaignsWriter,
        *,
        lock: RunLockPort,
        trigger: RunTrigger = RunTrigger.MANUAL,
        force_full: bool = False,
        progress: ProgressSink = ignore_progress,
        cancel: CancelToken | None = None,
        clock: Callable[[], datetime] = utc_now,
        batch_size: int = BATCH_SIZE,
        max_batch: int | None = None,
        workers: int = WRITE_WORKERS,
        full_every: timedelta = DEFAULT_FULL_EVERY,
        retry_delays: Sequence[float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.state = state
        self.books = books
        self.campaigns = campaigns
        self.lock = lock  # held for the whole run (another run: AlreadyRunning)
        self.trigger = trigger
        self.force_full = force_full
        self.progress = progress
        self.cancel = cancel or CancelToken()
        self.clock = clock
        self.batch_size = batch_size
        self.max_batch = max_batch or batch_size  # larger: sized by speed (domain.policy.next_batch_size)
        self.workers = workers
        self.full_every = full_every  # a full reconciliation at most this often (domain.policy)
        self.counts = RunCounts()
        self.patience = Patience(RETRY_DELAYS if retry_delays is None else retry_delays, self.cancel, sleep)
        self.carried: set[str] = set()  # adds a closed stale run had in flight (they count added)
        self._calls_mark = (0, 0)  # API calls already committed to the run row
        self._pool: ThreadPoolExecutor | None = None
        self.read = 0  # customers staged by this run so far
        self.listed: set[str] = set()  # addresses of the current batch a full run's read of the list holds
        self.opt_in_mode = OptInMode.UNKNOWN
        # The current run of the same unknown error code: (code, message, [(contact id, recorded)]).
        self._streak: tuple[str, str, list[tuple[str, bool]]] | None = None

    # ------------------------------------------------------------------ entry point

    def execute(self) -> RunOutcome:
        try:
            return self._execute()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def _execute(self) -> RunOutcome:
        with self.lock:
            snap = self.state.snapshot()
            if snap is None:
                raise NoSyncConfigured()
            waiting = self.state.deferred_until(snap.sync_id)
            if waiting is not None and waiting[1] > self.clock():
                # The API window that deferred it has not reset: starting now would only spend
                # calls that count against it (this process cannot see earlier processes' calls).
                run_id, until, counts, kind = waiting
                return RunOutcome(run_id, RunStatus.DEFERRED, kind, counts,
                                  "The last run is waiting for the API limit to reset; it continues after "
                                  f"{until.astimezone().strftime('%Y-%m-%d %H:%M')}.", until)
            if snap.opt_in_mode is OptInMode.UNKNOWN and (waiting_decision := self.state.decision_run(snap.sync_id)):
                awaiting = self.state.awaiting_count(snap.sync_id)
                if awaiting:
                    # Still undecided: another run would only email one more customer. No call, no new run.
                    run_id, counts, kind = waiting_decision
                    return RunOutcome(run_id, RunStatus.NEEDS_DECISION, kind, counts,
                                      double_opt_in_message(snap.list_name, awaiting), decision=DOUBLE_OPT_IN)
            self.opt_in_mode = snap.opt_in_mode
            run = self.state.resume_or_start(snap, trigger=self.trigger, force_full=self.force_full,
                                             now=self.clock(), full_every=self.full_every)
            self.run_id = self.patience.label = run.id
            self.kind = run.kind
            self.counts = run.counts
            self.checkpoint = run.checkpoint
            self.carried = set(self.checkpoint.carried)
            self._calls_mark = self._calls()
            decision = None
            try:
                status = self._work(snap)
                error, resume_at = None, None
                if status == RunStatus.NEEDS_DECISION:
                    decision = DOUBLE_OPT_IN
                    error = double_opt_in_message(snap.list_name, self.state.awaiting_count(snap.sync_id))
            except (DailyCapReached, Locked, RateLimited) as exc:
                status, error = RunStatus.DEFERRED, exc.message
                resume_at = exc.resume_at
            except AuthExpired:
                status, error, resume_at = RunStatus.FAILED, RECONNECT_MESSAGE, None
            except ZohoError as exc:
                status, resume_at = RunStatus.FAILED, None
                error = f"{exc.message} {CONTINUES}" if is_transient(exc) else exc.message
            except DatabaseError as exc:  # busy, a full disk, a read-only file… after the run's own retries
                log.warning("sync run %s: %s", self.run_id, type(exc).__name__)
                status, error, resume_at = RunStatus.FAILED, f"{exc.message} {CONTINUES}", None
            except Exception as exc:  # a bug must still leave a failed run, not a "running" ghost
                log.exception("sync run %s crashed", self.run_id)
                status = RunStatus.FAILED
                error = f"Unexpected error ({type(exc).__name__}); details are in the log file."
                resume_at = None
            books_calls, campaigns_calls = self._calls_delta()
            self.patience.store(self.state.finish_run, self.run_id, status=status, counts=self.counts, error=error,
                        resume_at=resume_at, now=self.clock(), snap=snap, calls_books=books_calls,
                        calls_campaigns=campaigns_calls, trigger=self.trigger)
            self._report(Phase.FINISHING, self.counts.total, self.counts.total, status)
            return RunOutcome(self.run_id, status, self.kind, self.counts, error, resume_at, decision)

    # ------------------------------------------------------------------ phases

    def _work(self, snap: SyncSnapshot) -> RunStatus:
        if self.opt_in_mode is OptInMode.UNKNOWN and self.state.awaiting_count(snap.sync_id):
            return RunStatus.NEEDS_DECISION  # a probe found double opt-in and the user has not decided yet
        self._report(Phase.PREPARING, 0, None, "Checking fields and contact statuses")
        self.patience.again(self._ensure_new_fields, snap)
        self.patience.again(self._read_list, snap)
        if self.checkpoint.stage is Stage.READ:
            status = self._stream(snap)
            if status is not None:
                return status
            if self.kind == RunKind.FULL:
                self._reconcile_missing(snap)
            self.checkpoint = replace(self.checkpoint, stage=Stage.WRITE)
            self.patience.store(self.state.save_checkpoint, self.run_id, self.checkpoint, self.counts,
                                estimated_total=self.state.staged_count(self.run_id), calls=self._calls_delta())
        return self._write(snap) or RunStatus.COMPLETED

    def _ensure_new_fields(self, snap: SyncSnapshot) -> None:
        """Create ticked "New field" Campaigns fields once, before the first write needing them."""
        wanted = [r for r in snap.rows if r.new_field and r.campaigns_field not in snap.created_fields]
        if not wanted:
            return
        existing = {f.display_name.casefold() for f in self.campaigns.fields()}
        for row in wanted:
            if row.campaigns_field.casefold() not in existing:
                self.campaigns.create_field(row.campaigns_field, row_books_field(row.books_key).type)
            self.state.mark_field_created(snap.sync_id, row.campaigns_field)

    def _read_list(self, snap: SyncSnapshot) -> None:
        """What the list holds, into the run's store (SQLite, not memory): its unsubscribed and
        bounced addresses (never re-subscribed) and, for a full run, its active members (one paged
        read, 1,000 per call). Zoho documents no listing of spam or do-not-mail contacts: those are
        learned from listsubscribe's refusals (code 2104) and remembered per address."""
        from desktop_app.domain.emails import identity

        self.state.forget_list(self.run_id)
        for status in ("unsub", "bounce", *(("active",) if self.kind == RunKind.FULL else ())):
            chunk: list[str] = []
            for email in self.campaigns.subscribers(snap.list_key, status):
                key = identity(email)
                if key:
                    chunk.append(key)
                if len(chunk) >= LIST_CHUNK:
                    self.state.remember_list(self.run_id, status, chunk)
                    chunk = []
            self.state.remember_list(self.run_id, status, chunk)

    def _stream(self, snap: SyncSnapshot) -> RunStatus | None:
        """Read Books page by page from the checkpoint; stage each page and write it before the
        next is read, so the Books cap never holds back writes. Returns a status that ends the run
        early (cancelled, needs_decision), or None once every page is read and written.

        A page read that still fails transiently after the HTTP retries is read again from the
        checkpoint, a few rounds (counted afresh once a page gets through), before the run fails.
        """
        since = None if self.kind == RunKind.FULL else snap.watermark
        needs_detail = any(row_books_field(r.books_key).needs_detail for r in snap.rows)
        self.read = self.state.staged_count(self.run_id)
        status = self._write(snap)  # what an earlier attempt staged and did not write
        if status is not None:
            return status
        rounds, last_page, pages = 0, None, None
        while True:
            try:
                if pages is None:
                    pages = iter(self.books.iter_customer_pages(since=since, overlap=WATERMARK_OVERLAP,
                                                                start_page=self.checkpoint.page + 1))
                page = next(pages, None)
                if page is None:
                    return None
                customers, malformed = list(page.customers), list(page.malformed)
                if needs_detail:
                    customers, bad = self._details(customers)
                    malformed += bad
            except ZohoError as exc:
                if self.checkpoint.page != last_page:
                    rounds, last_page = 0, self.checkpoint.page
                if not self.patience.wait_round(rounds, exc):
                    raise
                rounds, pages = rounds + 1, None  # read again from the checkpoint's page
                continue
            self.patience.store(self.state.stage, self.run_id, _slim(customers, snap), self.checkpoint.written)
            # Unreadable records are staged too, to be counted and reported as skipped, never lost.
            self.patience.store(self.state.stage_unreadable, self.run_id, malformed, page.page)
            self.read += len(customers) + len(malformed)
            self.checkpoint = replace(self.checkpoint, page=page.page)
            self.patience.store(self.state.save_checkpoint, self.run_id, self.checkpoint, self.counts,
                                calls=self._calls_delta())
            self._report(Phase.READING, self.counts.total, None, f"Read {self.read:,} customers")
            status = self._write(snap)
            if status is not None:
                return status
            if self._should_stop(snap):
                return RunStatus.CANCELLED

    def _details(self, customers: list) -> tuple[list, list]:
        """One detail call per customer; one that vanished or cannot be read does not fail the run."""
        found, bad = [], []
        for c in customers:
            try:
                found.append(self.patience.again(self.books.customer_detail, c.contact_id))
            except NotFound:
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
        self.patience.store(self.state.stage, self.run_id, _slim(found, snap), self.checkpoint.written)
        self.patience.store(self.state.stage_unreadable, self.run_id, bad, 0)
        self.state.forget_missing(snap.sync_id, self.run_id)

    def _write(self, snap: SyncSnapshot) -> RunStatus | None:
        """Plan and send the staged customers not written yet, in staging order and batches.

        Returns "cancelled", "needs_decision" (the list sends confirmation emails), or None when done.

        A batch the run gives up on (after its retries) records what was answered; the checkpoint
        keeps the batch's place, the contacts already recorded (``done``) and the adds still in
        flight (``pending``), so the next attempt sends only the rest and counts each once.
        """
        reading = self.checkpoint.stage is Stage.READ
        total = None if reading else self.state.staged_count(self.run_id)
        after = self.checkpoint.written
        # An earlier attempt's adds in flight and contacts it recorded: kept until this attempt's
        # batches (which may be sized differently) have passed them.
        pending: frozenset[str] = self.checkpoint.pending
        done: set[str] = set(self.checkpoint.done)
        size = self.batch_size
        while True:
            started = time.monotonic()
            inputs = self.state.batch_inputs(snap.sync_id, self.run_id, after, size, done)
            rows = inputs.rows
            if not rows:
                return None
            batch = [b for b in rows if b.contact_id not in done]
            owners, links, in_list = inputs.owners, inputs.links, inputs.in_list
            self.listed = {k for k, status in in_list.items() if status == "active"}
            # Refused earlier for their state (any customer of this sync), or so in the list now.
            known = {**inputs.suppressed, **{k: status for k, status in in_list.items() if status != "active"}}
            plans = [
                plan_customer(b.record, links.get(b.contact_id), rows=snap.rows,
                              update_empty=snap.update_empty, suppressed=known,
                              duplicate_of=other_owner(owners, b.email_key, b.contact_id),
                              listed=(b.email_key or "") in self.listed)
                for b in batch
            ]
            # Intents first: a process killed while sending resumes knowing what it had meant to
            # add, so its own earlier write (the address is in the list now) still counts as "added".
            intents = pending | {p.contact_id for p in plans if p.action is Action.ADD}
            cp = replace(self.checkpoint, written=after, pending=intents, done=frozenset(done))
            self.patience.store(self.state.save_checkpoint, self.run_id, cp, self.counts, calls=self._calls_delta())
            results, probe_stopped = self._send_batch(snap, [p for p in plans
                                                             if p.action in (Action.ADD, Action.UPDATE)])
            if probe_stopped:
                # The first contacts went out alone and the list answered with a confirmation email
                # (or nothing could be learned): only what was sent is recorded.
                plans = [p for p in plans if p.contact_id in results]
            batch_counts = RunCounts()
            link_rows, skipped_rows = [], []
            fatal: ZohoError | None = None
            unanswered: list[Planned] = []
            confirmations = 0
            streak = self._streak
            for plan in plans:
                outcome = results.get(plan.contact_id)
                if isinstance(outcome, ZohoError) and not isinstance(outcome, ApiError):
                    if not isinstance(fatal, SystemicRefusal) and (fatal is None or (
                            isinstance(outcome, AuthExpired) and not isinstance(fatal, AuthExpired))):
                        fatal = outcome
                    unanswered.append(plan)
                    continue
                if plan.contact_id in results:  # sent: does it continue a run of one unknown code?
                    streak = next_streak(streak, plan.contact_id, outcome)
                    if streak is not None and len(streak[2]) >= SYSTEMIC_STREAK and not isinstance(
                            fatal, SystemicRefusal):
                        fatal = self._systemic(streak)
                kind, reason, detail, status = self._resolve(plan, outcome, pending)
                setattr(batch_counts, kind, getattr(batch_counts, kind) + 1)
                confirmations += kind == "awaiting"
                if kind == "skipped":
                    skipped_rows.append((plan, reason, detail))
                link_rows.append((plan, kind, status))
            if isinstance(fatal, SystemicRefusal):
                # Nothing of this batch is recorded (the streak's contacts are not skipped): the
                # intents saved above stay in the checkpoint, so the next attempt replays the batch
                # once and counts it once.
                raise fatal
            self._streak = None if streak is None else (streak[0], streak[1],
                                                         [(cid, True) for cid, _ in streak[2]])
            self.counts = self.counts + batch_counts
            if fatal is not None:
                # What was answered is recorded; the unanswered stay in flight for the next attempt.
                recorded = frozenset(done | {p.contact_id for p, _, _ in link_rows})
                left = (pending - recorded) | {p.contact_id for p in unanswered if p.action is Action.ADD}
                cp = replace(self.checkpoint, written=after, pending=left, done=recorded)
                self.patience.store(self.state.commit_batch, self.run_id, snap.sync_id, link_rows, skipped_rows,
                            self.counts, cp, now=self.clock(), calls=self._calls_delta())
                raise fatal
            decide = confirmations > 0 and self.opt_in_mode is not OptInMode.DOUBLE_ACCEPTED
            if decide and self.opt_in_mode is OptInMode.DIRECT:
                # The list started sending confirmation emails since it was found direct: ask again.
                self.state.set_opt_in_mode(snap.sync_id, OptInMode.UNKNOWN)
                self.opt_in_mode = OptInMode.UNKNOWN
            if decide:
                # Only what was sent is recorded; the run ends here and the user decides.
                self.patience.store(self.state.commit_batch, self.run_id, snap.sync_id, link_rows, skipped_rows,
                            self.counts, None, now=self.clock(), calls=self._calls_delta())
                return RunStatus.NEEDS_DECISION
            if probe_stopped:  # a stopped probe either asks (above) or fails (raised): never here
                raise RuntimeError("the opt-in probe stopped without a confirmation or an error")
            after = rows[-1].seq
            passed = {r.contact_id for r in rows}
            pending, done = pending - passed, done - passed
            self.checkpoint = replace(self.checkpoint, written=after, pending=pending, done=frozenset(done))
            self.patience.store(self.state.commit_batch, self.run_id, snap.sync_id, link_rows, skipped_rows,
                        self.counts, self.checkpoint, now=self.clock(), calls=self._calls_delta())
            size = next_batch_size(len(rows), time.monotonic() - started, self.batch_size, self.max_batch)
            self._report(Phase.WRITING, self.counts.total, total,
                         f"{self.counts.total:,} customers written so far" if total is None
                         else f"{self.counts.total:,} of {total:,} customers")
            if self._should_stop(snap):
                return RunStatus.CANCELLED

    def _send_batch(self, snap: SyncSnapshot, plans: list[Planned]) -> tuple[dict, bool]:
        """Send a batch's writes. Returns (contact id → result or error, stopped by the probe).

        While the list's opt-in mode is unknown, adds of addresses not known to be in the list go
        out one at a time until one answers: a plain success makes the list "direct" (persisted;
        the rest go parallel); a confirmation email, a connection-level error or a run of one
        unknown code stops the batch there. Transient failures are sent again (``_send_patiently``).
        """
        results: dict = {}
        rest = list(plans)
        if self.opt_in_mode is OptInMode.UNKNOWN:
            streak = self._streak
            for probe in [p for p in plans if self._proves_opt_in(p)]:
                rest.remove(probe)
                cid = probe.contact_id
                outcome = self._send_patiently(snap, [probe])[cid]
                results[cid] = outcome
                if isinstance(outcome, ZohoError):
                    if not isinstance(outcome, ApiError):
                        return results, True
                    streak = next_streak(streak, cid, outcome)  # as _write will count it
                    if streak is not None and len(streak[2]) >= SYSTEMIC_STREAK:
                        return results, True
                    continue  # a refusal proves nothing about the list: the next one goes alone
                if getattr(outcome, "confirmation_sent", False):
                    return results, True
                self.state.set_opt_in_mode(snap.sync_id, OptInMode.DIRECT)
                self.opt_in_mode = OptInMode.DIRECT
                break
            # Left: updates, and adds of addresses already in the list (they prove nothing).
        results.update(self._send_patiently(snap, rest))
        return results, False

    def _send_patiently(self, snap: SyncSnapshot, plans: list[Planned]) -> dict:
        """Send these writes; those that failed transiently (after the HTTP layer's retries) are
        sent again — only they, the others keep their answers — after growing pauses."""
        results = self._send(snap, plans)
        for attempt in range(len(self.patience.retry_delays)):
            failed = [p for p in plans if is_transient(results.get(p.contact_id))]
            if not failed:
                break
            if not self.patience.wait_round(attempt, *(results[p.contact_id] for p in failed)):
                break
            log.info("sync run %s: sending %d contacts again after transient failures", self.run_id, len(failed))
            results.update(self._send(snap, failed))
        return results

    def _proves_opt_in(self, plan: Planned) -> bool:
        """An add of an address not known to be in the list: its answer tells whether the list confirms."""
        return plan.action is Action.ADD and (plan.email_key or "") not in self.listed

    def _send_one(self, snap: SyncSnapshot, plan: Planned):
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

    def _send(self, snap: SyncSnapshot, plans: list[Planned]) -> dict:
        if not plans:
            return {}
        if self.workers <= 1 or len(plans) == 1:
            return dict(self._send_one(snap, p) for p in plans)
        if self._pool is None:  # one pool per run: threads are not re-created for every batch
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="campaigns-write")
        return dict(self._pool.map(lambda p: self._send_one(snap, p), plans))

    def _systemic(self, streak: tuple[str, str, list[tuple[str, bool]]]) -> SystemicRefusal:
        """The run fails; the contacts of the streak that earlier batches recorded as skipped are not."""
        code, message, members = streak
        recorded = [cid for cid, done in members if done]
        if recorded:
            self.counts = RunCounts(self.counts.added, self.counts.updated, self.counts.unchanged,
                                    self.counts.skipped - len(recorded), self.counts.awaiting)
            self.state.unrecord_skips(self.run_id, recorded, self.counts)
        return SystemicRefusal(code, message, len(members))

    def _resolve(self, plan: Planned, outcome, resumed: frozenset[str]):
        """(count bucket, skip reason, detail, campaigns status) of one planned customer."""
        if plan.action is Action.SKIP:
            return "skipped", plan.reason, plan.detail, None
        if plan.action is Action.UNCHANGED:
            return "unchanged", None, None, AWAITING if plan.awaiting else "active"
        if isinstance(outcome, SubscribeRefused):  # the connector knows which refusal means what
            status = _STATE_OF_REASON.get(outcome.reason)
            return "skipped", outcome.reason, f"Zoho Campaigns code {outcome.code}", status
        if isinstance(outcome, ApiError):
            return "skipped", SkipReason.REJECTED, f"code {outcome.code}: {outcome.message}", None
        if getattr(outcome, "confirmation_sent", False):
            # Double opt-in: Campaigns emailed a confirmation; the contact joins only once it confirms.
            return "awaiting", None, None, AWAITING
        if plan.action is Action.UPDATE:
            return "updated", None, None, "active"
        if plan.contact_id in resumed or plan.contact_id in self.carried:
            return "added", None, None, "active"  # our own write before a kill or failure put it there
        if (plan.email_key or "") in self.listed:
            return "updated", None, None, "active"  # already in the list when this full run began
        return "added", None, None, "active"

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

    def _calls_delta(self) -> tuple[int, int]:
        """API calls (Books, Campaigns) made since the last commit: each commit adds them to the
        run row, so a killed process's calls stay in the run's totals (up to its last commit)."""
        now, before = self._calls(), self._calls_mark
        self._calls_mark = now
        return now[0] - before[0], now[1] - before[1]

    def _report(self, phase: Phase, done: int, total: int | None, message: str) -> None:
        try:
            self.progress(Progress(self.run_id, phase, done, total, self.counts, message, read=self.read))
        except Exception:  # a broken listener must not break the run
            log.exception("progress listener failed")


def _slim(customers: list, snap: SyncSnapshot) -> list:
    """Only what planning reads and the mapped fields are staged, not the whole record."""
    return [replace(c, record=kept_fields(c.record, snap.rows)) for c in customers]


@dataclass(frozen=True)
class _Ref:
    """A customer known only by id (for a detail lookup)."""

    contact_id: str
    contact_name: str = ""

