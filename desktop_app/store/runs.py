"""The engine's view of the database: a snapshot of the sync, the run row, staging and the
state table. Each method is one short transaction, so a kill between two calls loses nothing
that was committed and leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.dialects.sqlite import insert

from desktop_app.config import local_zone
from desktop_app.domain import policy
from desktop_app.domain.counts import RunCounts
from desktop_app.domain.mapping import MappingRow
from desktop_app.domain.plan import AWAITING, LinkState, Planned
from desktop_app.domain.run import OptInMode, RunKind, RunStatus, RunTrigger
from desktop_app.domain.settings import LawfulBasis, SubscriptionType
from desktop_app.domain.sync import (
    CARRIED,
    ORIGIN,
    BatchInputs,
    Checkpoint,
    RunHandle,
    Stage,
    StagedRow,
    SyncSnapshot,
    has_position,
    sort_key,
)
from desktop_app.store import repo
from desktop_app.store.db import Database
from desktop_app.store.models import (
    SUPPRESSION_STATUSES,
    ContactLink,
    FieldMapping,
    ListMember,
    Notification,
    Run,
    SkippedRecord,
    StagedCustomer,
    Sync,
)


def mapping_rows(rows: Iterable[FieldMapping]) -> tuple[MappingRow, ...]:
    ordered = sorted(rows, key=lambda r: r.position)
    return tuple(MappingRow(r.books_field, r.campaigns_field, r.new_field, r.locked) for r in ordered)


class RunState:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ the sync

    def snapshot(self) -> SyncSnapshot | None:
        with self.db.session() as s:
            sync = s.scalars(select(Sync).order_by(Sync.id)).first()
            if sync is None:
                return None
            rows = s.scalars(select(FieldMapping).where(FieldMapping.sync_id == sync.id)).all()
            return SyncSnapshot(
                sync_id=sync.id,
                list_key=sync.list_key,
                list_name=sync.list_name,
                subscription_type=SubscriptionType(sync.subscription_type),
                topic_ids=tuple(sync.topic_ids or ()),
                lawful_basis=LawfulBasis(sync.lawful_basis) if sync.lawful_basis else None,
                update_empty=sync.update_empty,
                rows=mapping_rows(rows),
                created_fields=frozenset(r.campaigns_field for r in rows if r.field_created),
                watermark=sync.watermark,
                last_full_at=sync.last_full_at,
                needs_full=sync.needs_full,
                schedule_spec=sync.schedule_spec,
                paused=sync.paused,
                mapping_version=sync.mapping_version,
                opt_in_mode=OptInMode(sync.opt_in_mode or OptInMode.UNKNOWN),
                gdpr=sync.gdpr,
            )

    def is_paused(self, sync_id: int) -> bool:
        with self.db.session() as s:
            return bool(s.scalar(select(Sync.paused).where(Sync.id == sync_id)))

    def set_opt_in_mode(self, sync_id: int, mode: OptInMode) -> None:
        with self.db.session() as s:
            sync = s.get(Sync, sync_id)
            if sync is not None:
                repo.set_opt_in_mode(s, sync, mode)

    def awaiting_count(self, sync_id: int) -> int:
        with self.db.session() as s:
            return repo.awaiting_count(s, sync_id)

    def decision_run(self, sync_id: int) -> tuple[int, RunCounts, RunKind] | None:
        """The newest run of the sync, when it ended waiting for the user's decision."""
        with self.db.session() as s:
            run = repo.latest_run(s, sync_id)
            if run is None or run.status != RunStatus.NEEDS_DECISION:
                return None
            return run.id, _counts(run), RunKind(run.kind)

    def mark_field_created(self, sync_id: int, campaigns_field: str) -> None:
        with self.db.session() as s:
            for row in s.scalars(select(FieldMapping).where(FieldMapping.sync_id == sync_id,
                                                             FieldMapping.campaigns_field == campaigns_field)):
                row.field_created = True

    # ------------------------------------------------------------------ the run row

    def resume_or_start(self, snap: SyncSnapshot, *, trigger: RunTrigger, force_full: bool, now: datetime,
                        full_every: timedelta) -> RunHandle:
        """Continue the sync's unfinished run, else start one: the one place a run is (re)opened.

        Unfinished: a run still marked running (its process died), a deferred one, or the newest
        run when it failed (it kept its checkpoint and staging). It is continued from its
        checkpoint unless the sync's list or mapping changed since it began: then it is closed
        (its staging dropped) and a fresh run starts, remembering which adds it had in flight.
        """
        with self.db.session() as s:
            run = self._unfinished(s, snap.sync_id)
            carried: list[str] = []
            if run is not None and _outdated(run, snap):
                carried = self._abandon(s, run, snap, now)
                run = None
            if run is not None:
                if run.status == RunStatus.FAILED:
                    # The history keeps the failure in a note; the row now says why it runs again.
                    _add_notes(run, [policy.interruption_note(run.error_message, run.finished_at or now, now,
                                                              local_zone())])
                    run.finished_at = None
                    run.error_message = None
                    run.trigger = trigger
                run.status = RunStatus.RUNNING
                run.resume_at = None
                run.phase = "resumed"
            else:
                kind = policy.run_kind(force_full=force_full, needs_full=snap.needs_full, watermark=snap.watermark,
                                       last_full_at=snap.last_full_at, now=now, full_every=full_every)
                run = repo.start_run(s, s.get(Sync, snap.sync_id), kind=kind, trigger=trigger, now=now)
                run.checkpoint = {**Checkpoint(Stage.READ).to_json(), ORIGIN: _origin(snap),
                                  **({CARRIED: carried} if carried else {})}
            return RunHandle(run.id, RunKind(run.kind), _counts(run), Checkpoint.from_json(run.checkpoint))

    @staticmethod
    def _unfinished(s, sync_id: int) -> Run | None:
        run = s.scalars(
            select(Run).where(Run.sync_id == sync_id, Run.status.in_((RunStatus.RUNNING, RunStatus.DEFERRED)))
            .order_by(Run.id.desc())
        ).first()
        if run is not None:
            return run
        latest = repo.latest_run(s, sync_id)
        if latest is not None and latest.status == RunStatus.FAILED and has_position(latest.checkpoint):
            return latest
        return None

    @staticmethod
    def _abandon(s, run: Run, snap: SyncSnapshot, now: datetime) -> list[str]:
        """Close an unfinished run the sync's changed list or mapping made stale. Returns the adds
        it had in flight (for the same list: their addresses count added, not updated, next time)."""
        checkpoint = dict(run.checkpoint or {})
        same_list = (checkpoint.get(ORIGIN) or {}).get("list_key") == snap.list_key
        position = Checkpoint.from_json(checkpoint)
        in_flight = [*position.pending, *position.carried] if same_list else []
        s.execute(delete(StagedCustomer).where(StagedCustomer.run_id == run.id))
        s.execute(delete(ListMember).where(ListMember.run_id == run.id))
        _add_notes(run, ["Not continued: the sync's list or field mapping changed, so a new run started."])
        if run.status == RunStatus.FAILED:
            kept = {k: checkpoint[k] for k in (repo.FAILED_ATTEMPTS, repo.FIRST_FAILED_AT) if k in checkpoint}
            run.checkpoint = kept or None
        else:  # running (its process died) or deferred: it ends here, without a failure
            repo.finish_run(s, run, status=RunStatus.CANCELLED, now=now,
                            error_message=run.error_message or "Not continued: the sync's list or field "
                            "mapping changed.")
        return sorted(set(in_flight))

    def deferred_until(self, sync_id: int) -> tuple[int, datetime, RunCounts, RunKind] | None:
        """The deferred run of this sync and when it may continue, if any."""
        with self.db.session() as s:
            run = s.scalars(select(Run).where(Run.sync_id == sync_id, Run.status == RunStatus.DEFERRED)
                            .order_by(Run.id.desc())).first()
            if run is None or run.resume_at is None:
                return None
            return run.id, run.resume_at, _counts(run), RunKind(run.kind)

    def save_checkpoint(self, run_id: int, checkpoint: Checkpoint, counts: RunCounts,
                        estimated_total: int | None = None, *, calls: tuple[int, int] = (0, 0)) -> None:
        """Where the run is, its counters and the API calls it made since the last commit."""
        with self.db.session() as s:
            run = s.get(Run, run_id)
            run.checkpoint = _with_kept(run.checkpoint, checkpoint)
            _put_counts(run, counts)
            _add_calls(run, calls)
            run.phase = checkpoint.stage.value
            if estimated_total is not None:
                run.estimated_total = estimated_total

    def finish_run(self, run_id: int, *, status: RunStatus, counts: RunCounts, error: str | None,
                   resume_at: datetime | None, now: datetime, snap: SyncSnapshot,
                   calls_books: int, calls_campaigns: int, trigger: RunTrigger | None = None) -> None:
        """End this attempt of the run. ``calls_*``: API calls since the last commit. ``trigger``:
        what started this attempt (a re-opened run keeps the trigger it began with)."""
        with self.db.session() as s:
            run = s.get(Run, run_id)
            sync = s.get(Sync, snap.sync_id)
            _put_counts(run, counts)
            repo.finish_run(s, run, status=status, now=now, error_message=error, resume_at=resume_at)
            _add_calls(run, (calls_books, calls_campaigns))
            if status == RunStatus.COMPLETED:
                newest = s.scalar(select(func.max(StagedCustomer.last_modified))
                                  .where(StagedCustomer.run_id == run_id))
                marks = [m for m in (snap.watermark, newest) if m is not None]
                run.watermark_end = max(marks) if marks else None
                if sync is not None:
                    sync.watermark = run.watermark_end
                    if run.kind == RunKind.FULL:
                        sync.last_full_at = run.started_at
                        sync.customers_estimate = run.total
                        # A mapping edited during this run still needs its own full run.
                        if sync.mapping_version == snap.mapping_version:
                            sync.needs_full = False
            if status not in (RunStatus.DEFERRED, RunStatus.FAILED):  # those continue from their staging
                s.execute(delete(StagedCustomer).where(StagedCustomer.run_id == run_id))
                s.execute(delete(ListMember).where(ListMember.run_id == run_id))
            failures = repo.failure_streak(s, snap.sync_id)[0] if status == RunStatus.FAILED else 0
            if sync is not None:
                # A failing sync backs off (15 min, 30, 1 h … never past its next slot); the
                # streak is read from the run history, so a restart keeps the pause.
                sync.next_run_at = (resume_at if status == RunStatus.DEFERRED
                                    else _next_run(sync.schedule_spec, now, failures))
            # One notification per failure streak: each retry of the same trouble would only
            # bury the first, which says why. A run the user started always reports.
            trigger = trigger or RunTrigger(run.trigger)
            if policy.notify(failures, trigger):
                repo.add_notification(s, _notification(run, sync, trigger))

    # ------------------------------------------------------------------ staging

    def stage(self, run_id: int, customers: Sequence, written: int = 0) -> None:
        """Stage a page of customers after what is staged already. A customer read twice (pages
        shift while Books changes during a read) is kept once: replaced while it is not written
        yet (``seq > written``), left as it was once it is (an edit made during the read has a
        newer modified time than the watermark this run sets, so the next run reads it)."""
        from desktop_app.domain.emails import identity

        if not customers:
            return
        with self.db.session() as s:
            base = _last_seq(s, run_id)
            rows = [
                {"run_id": run_id, "contact_id": str(c.contact_id), "sort_key": sort_key(str(c.contact_id)),
                 "email_key": identity(c.email), "last_modified": c.last_modified_time, "record": c.record,
                 "seq": base + i}
                # a page is written in contact-id order (the order of "first by contact id")
                for i, c in enumerate(sorted(customers, key=lambda c: sort_key(str(c.contact_id))), start=1)
            ]
            # executemany with one small statement: far cheaper than one giant multi-VALUES insert.
            stmt = insert(StagedCustomer.__table__)
            stmt = stmt.on_conflict_do_update(
                index_elements=[StagedCustomer.run_id, StagedCustomer.contact_id],
                set_={"email_key": stmt.excluded.email_key, "last_modified": stmt.excluded.last_modified,
                      "record": stmt.excluded.record, "seq": stmt.excluded.seq},
                where=StagedCustomer.seq > written,
            )
            s.execute(stmt, rows)

    def stage_unreadable(self, run_id: int, malformed: Sequence, page: int) -> None:
        from desktop_app.domain.plan import UNREADABLE_KEY

        if not malformed:
            return
        with self.db.session() as s:
            base = _last_seq(s, run_id)
            rows = []
            for i, m in enumerate(malformed, start=1):
                cid = m.contact_id or f"?{page}-{i - 1}"  # no id: unique per page and position
                rows.append({"run_id": run_id, "contact_id": cid, "sort_key": sort_key(cid), "email_key": None,
                             "last_modified": None, "seq": base + i,
                             "record": {"contact_id": cid, "contact_name": m.contact_name, UNREADABLE_KEY: m.reason}})
            s.execute(insert(StagedCustomer.__table__).on_conflict_do_nothing(), rows)

    def staged_count(self, run_id: int) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(StagedCustomer)
                            .where(StagedCustomer.run_id == run_id)) or 0

    def batch_inputs(self, sync_id: int, run_id: int, after: int, size: int,
                     skip: frozenset[str] | set[str] = frozenset()) -> BatchInputs:
        """The next ``size`` staged customers after ``after`` (a checkpoint's ``written``), in staging
        order, and what planning those not in ``skip`` needs: one read transaction per batch."""
        with self.db.session() as s:
            rows = _staged_batch(s, run_id, after, size)
            batch = [r.contact_id for r in rows if r.contact_id not in skip]
            keys = {r.email_key for r in rows if r.email_key and r.contact_id not in skip}
            return BatchInputs(rows, _email_owners(s, sync_id, run_id, keys), _links(s, sync_id, batch),
                               _list_statuses(s, run_id, keys), repo.suppressed_addresses(s, sync_id, keys))

    # ------------------------------------------------------------------ the list, as this run read it

    def forget_list(self, run_id: int) -> None:
        with self.db.session() as s:
            s.execute(delete(ListMember).where(ListMember.run_id == run_id))

    def remember_list(self, run_id: int, status: str, keys: Iterable[str]) -> None:
        """Addresses read from the list with ``status`` (the first status read for an address stays)."""
        rows = [{"run_id": run_id, "email_key": k, "status": status} for k in keys]
        if rows:
            with self.db.session() as s:
                s.execute(insert(ListMember.__table__).on_conflict_do_nothing(), rows)

    # ------------------------------------------------------------------ state table

    def commit_batch(self, run_id: int, sync_id: int, link_rows: Sequence[tuple[Planned, str, str | None]],
                     skipped_rows: Sequence[tuple[Planned, object, str | None]], counts: RunCounts,
                     checkpoint: Checkpoint | None, *, now: datetime, calls: tuple[int, int] = (0, 0)) -> None:
        """State rows, skipped rows, counters and checkpoint of one batch, in one transaction.

        ``link_rows`` are (plan, count bucket, campaigns status); a contact "awaiting" its
        confirmation (double opt-in) is not in the list yet. ``checkpoint`` None keeps the run's.
        """
        with self.db.session() as s:
            sent = [(p, status) for p, kind, status in link_rows if kind != "skipped"]
            held = [(p, status) for p, kind, status in link_rows if kind == "skipped"]
            repo.upsert_links(s, sync_id, (
                {"books_contact_id": p.contact_id, "email_key": p.email_key, "email": p.address,
                 "values_hash": p.values_hash, "campaigns_status": status or "active",
                 "in_list": (status or "active") != "awaiting", "last_synced_at": now, "last_run_id": run_id}
                for p, status in sent))
            # A skipped customer keeps what Campaigns already has (in list, last sent values, and a
            # remembered state unless this run learned a new one): those columns are not named.
            repo.upsert_links(s, sync_id, (
                {"books_contact_id": p.contact_id, "email_key": p.email_key, "email": p.address,
                 "last_run_id": run_id, **({"campaigns_status": status} if status else {})}
                for p, status in held))
            repo.add_skipped(s, run_id, (
                {"books_contact_id": p.contact_id, "name": p.name, "email": p.address,
                 "reason_code": str(reason), "reason_message": _reason_message(reason, detail)}
                for p, reason, detail in skipped_rows), now=now)
            # The address itself is remembered, whoever holds it later: never sent again.
            repo.remember_suppressed(s, sync_id, ((p.email_key, status) for p, status in held
                                                  if p.email_key and status in SUPPRESSION_STATUSES),
                                     run_id=run_id, now=now)
            run = s.get(Run, run_id)
            _put_counts(run, counts)
            _add_calls(run, calls)
            if checkpoint is not None:
                run.checkpoint = _with_kept(run.checkpoint, checkpoint)
            changed = [f"{p.name or p.contact_id} changed email from {p.old_address} to {p.address}; "
                       "the old address stays in Zoho Campaigns." for p, _ in sent if p.old_address]
            if changed:
                _add_notes(run, changed)

    def unrecord_skips(self, run_id: int, contact_ids: Sequence[str], counts: RunCounts) -> None:
        """Take back skips this run recorded (they turned out to be a systemic error, not the contacts')."""
        if not contact_ids:
            return
        with self.db.session() as s:
            for chunk in _chunks(sorted(set(contact_ids)), 500):
                s.execute(delete(SkippedRecord).where(SkippedRecord.run_id == run_id,
                                                      SkippedRecord.books_contact_id.in_(chunk)))
            _put_counts(s.get(Run, run_id), counts)

    def unstaged_links(self, sync_id: int, run_id: int, limit: int) -> list[str]:
        with self.db.session() as s:
            staged_ids = select(StagedCustomer.contact_id).where(StagedCustomer.run_id == run_id)
            return list(s.scalars(select(ContactLink.books_contact_id).where(
                ContactLink.sync_id == sync_id, ContactLink.books_contact_id.not_in(staged_ids)).limit(limit)))

    def forget_missing(self, sync_id: int, run_id: int) -> int:
        """After a full read: customers gone from Books lose their state row (Campaigns keeps them)."""
        with self.db.session() as s:
            staged_ids = select(StagedCustomer.contact_id).where(StagedCustomer.run_id == run_id)
            result = s.execute(delete(ContactLink).where(ContactLink.sync_id == sync_id,
                                                         ContactLink.books_contact_id.not_in(staged_ids)))
            gone = result.rowcount or 0
            if gone:
                _add_notes(s.get(Run, run_id), [f"{gone:,} customers are no longer in Zoho Books; their "
                                                "contacts stay in Zoho Campaigns."])
            return gone


# ---------------------------------------------------------------------- helpers


MAX_NOTES = 200
# Checkpoint keys about the run itself (not where it is): kept by every checkpoint save.
_KEPT = (ORIGIN, CARRIED, repo.FAILED_ATTEMPTS, repo.FIRST_FAILED_AT)


def _email_owners(s, sync_id: int, run_id: int, keys: set[str]) -> dict[str, str]:
    """For each email key, the customer that owns it: the customer of this sync already holding
    it in the list (while it still has that address), else the lowest contact id among the
    customers this run has read so far. A run writes pages as it reads them, so an address
    never moves from the customer that holds it to one read later."""
    if not keys:
        return {}
    owners: dict[str, tuple[str, str]] = {}
    for key_chunk in _chunks(sorted(keys), 500):
        moved = select(StagedCustomer.contact_id).where(
            StagedCustomer.run_id == run_id, StagedCustomer.contact_id == ContactLink.books_contact_id,
            or_(StagedCustomer.email_key.is_(None), StagedCustomer.email_key != ContactLink.email_key))
        held: dict[str, tuple[str, str]] = {}
        for key, cid in s.execute(
            select(ContactLink.email_key, ContactLink.books_contact_id)
            .where(ContactLink.sync_id == sync_id, ContactLink.email_key.in_(key_chunk),
                   or_(ContactLink.in_list.is_(True), ContactLink.campaigns_status == AWAITING),
                   ~exists(moved))
        ):
            sk = sort_key(cid)
            if key not in held or sk < held[key][0]:
                held[key] = (sk, cid)
        for key, sk, cid in s.execute(
            select(StagedCustomer.email_key, func.min(StagedCustomer.sort_key), StagedCustomer.contact_id)
            .where(StagedCustomer.run_id == run_id, StagedCustomer.email_key.in_(key_chunk))
            .group_by(StagedCustomer.email_key)
        ):
            owners[key] = (sk, cid)
        owners.update(held)
    return {k: cid for k, (_, cid) in owners.items()}

# The batch reads select columns, not ORM entities: no identity map or instance state per row.
def _staged_batch(s, run_id: int, after: int, size: int) -> list[StagedRow]:
    c = StagedCustomer
    rows = s.execute(
        select(c.contact_id, c.seq, c.email_key, c.record).where(c.run_id == run_id, c.seq > after)
        .order_by(c.seq).limit(size)
    )
    return [StagedRow(cid, seq, key, dict(record)) for cid, seq, key, record in rows]


def _links(s, sync_id: int, contact_ids: Sequence[str]) -> dict[str, LinkState]:
    c = ContactLink
    ids = sorted(set(contact_ids))
    found: dict[str, LinkState] = {}
    for chunk in _chunks(ids, 500):
        for cid, key, values_hash, in_list, status in s.execute(
                select(c.books_contact_id, c.email_key, c.values_hash, c.in_list, c.campaigns_status)
                .where(c.sync_id == sync_id, c.books_contact_id.in_(chunk))):
            found[cid] = LinkState(key, values_hash, in_list, status)
    return found


def _list_statuses(s, run_id: int, keys: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(keys)), 500):
        found.update(s.execute(select(ListMember.email_key, ListMember.status)
                               .where(ListMember.run_id == run_id, ListMember.email_key.in_(chunk))).all())
    return found


def _with_kept(current: dict | None, checkpoint: Checkpoint) -> dict:
    kept = {k: v for k, v in (current or {}).items() if k in _KEPT}
    return {**kept, **checkpoint.to_json()}


def _last_seq(s, run_id: int) -> int:
    return s.scalar(select(func.max(StagedCustomer.seq)).where(StagedCustomer.run_id == run_id)) or 0


def _add_calls(run: Run, calls: tuple[int, int]) -> None:
    books, campaigns = calls
    if books:
        run.calls_books = (run.calls_books or 0) + books
    if campaigns:
        run.calls_campaigns = (run.calls_campaigns or 0) + campaigns


def _origin(snap: SyncSnapshot) -> dict:
    return {"list_key": snap.list_key, "mapping_version": snap.mapping_version}


def _outdated(run: Run, snap: SyncSnapshot) -> bool:
    """Did the sync's list or mapping change since this run began? (Unknown for older runs: no.)"""
    origin = (run.checkpoint or {}).get(ORIGIN)
    if not isinstance(origin, dict):
        return False
    return origin.get("list_key") != snap.list_key or origin.get("mapping_version") != snap.mapping_version


def _add_notes(run: Run, notes: list[str]) -> None:
    current = list(run.notes or [])
    room = MAX_NOTES - len(current)
    if room > 0:
        run.notes = current + notes[:room]


def _counts(run: Run) -> RunCounts:
    return RunCounts(added=run.added or 0, updated=run.updated or 0, unchanged=run.unchanged or 0,
                     skipped=run.skipped or 0, awaiting=run.awaiting or 0)


def _put_counts(run: Run, counts: RunCounts) -> None:
    run.added, run.updated, run.unchanged, run.skipped = (counts.added, counts.updated, counts.unchanged,
                                                          counts.skipped)
    run.awaiting = counts.awaiting
    run.total = counts.total


def _reason_message(reason, detail: str | None) -> str:
    from desktop_app.domain.skips import SkipReason

    try:
        return SkipReason(str(reason)).describe(detail)
    except ValueError:
        return detail or str(reason)


def _next_run(spec: str, now: datetime, failures: int = 0) -> datetime | None:
    return policy.next_run_at(spec, now, local_zone(), failures)


def _notification(run: Run, sync: Sync | None, trigger: RunTrigger | None = None) -> Notification:
    notice = policy.run_notice(RunStatus(run.status), _counts(run), run.error_message,
                               trigger=RunTrigger(trigger or run.trigger),
                               next_run=sync.next_run_at if sync is not None else None, zone=local_zone())
    return Notification(run_id=run.id, sync_id=sync.id if sync else None, level=notice.level,
                        title=notice.title, body=notice.body, created_at=run.finished_at, read=False)


def _chunks(items: Sequence[str], n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
