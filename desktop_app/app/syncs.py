"""The sync's configuration: the wizard's checks (R10–R16), create and edit (R26: a mapping change
means a full run; a schedule change moves the next run), double opt-in, pause and resume, and
whether a scheduled run is due."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from desktop_app import config
from desktop_app.app.accounts import Accounts
from desktop_app.app.context import Context, utc_now
from desktop_app.app.errors import ServiceError
from desktop_app.app.eta import first_sync_sentence
from desktop_app.app.views import (
    InitiatePreview,
    SyncView,
    run_view,
)
from desktop_app.domain import mapping as dmapping
from desktop_app.domain import policy
from desktop_app.domain.limits import books_daily_cap
from desktop_app.domain.mapping import MappingRow, RowProblem, validate_mapping
from desktop_app.domain.run import OptInMode
from desktop_app.domain.schedule import next_run, parse_schedule
from desktop_app.domain.settings import SubscriptionType, SyncSettings, validate_settings
from desktop_app.store import models, repo

log = logging.getLogger(__name__)

# The disclaimer reads at most this share of the organization's daily Books calls (Free: 1,000 a
# day → 50 pages, 10,000 customers; Premium: 10,000 → 500 pages), and never fewer than PREVIEW_PAGES.
PREVIEW_SHARE = 0.05
PREVIEW_PAGES = 25  # Books pages (200 customers each) the disclaimer may always read


def preview_pages(books_plan: str | None) -> int:
    """The Books pages the disclaimer may read for an organization on ``books_plan``."""
    return max(PREVIEW_PAGES, int(books_daily_cap(books_plan) * PREVIEW_SHARE))


class SyncConfig:
    def __init__(self, ctx: Context, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts
        self._expected: int | None = None  # customers the last disclaimer counted

    def sync(self) -> SyncView | None:
        with self.ctx.db.session() as s:
            sync = repo.get_sync(s)
            view = self._sync_view(s, sync) if sync else None
        if view is not None and view.topic_ids and not view.topic_names:
            view = self._backfill_topic_names(view)
        return view

    def _backfill_topic_names(self, view: SyncView) -> SyncView:
        """A sync saved before topic names were kept (0003) gets them once from Campaigns, so
        every view names its topics from one place (the sync row). Offline: the ids are shown."""
        try:
            names = self._topic_names(view.topic_ids)  # outside the transaction: it calls Zoho
        except Exception as exc:  # a view must not fail on it
            log.info("topic names not read: %s", type(exc).__name__)
            return view
        if not self.ctx.db.read_only:  # kept, so this happens once
            with self.ctx.db.session() as s:
                sync = repo.get_sync(s)
                if sync is not None:
                    sync.topic_names = names
        return replace(view, topic_names=tuple(names))

    def _sync_view(self, s, sync: models.Sync) -> SyncView:
        rows = sorted(repo.mapping_rows(s, sync), key=lambda r: r.position)
        mapping = tuple(MappingRow(r.books_field, r.campaigns_field, r.new_field, r.locked) for r in rows)
        last = repo.latest_run(s, sync.id)
        try:
            schedule_text = parse_schedule(sync.schedule_spec).describe()
        except ValueError:
            schedule_text = sync.schedule_spec
        return SyncView(
            id=sync.id, list_key=sync.list_key, list_name=sync.list_name,
            subscription_type=sync.subscription_type, topic_ids=tuple(sync.topic_ids or ()),
            topic_names=tuple(sync.topic_names or ()),
            lawful_basis=sync.lawful_basis, gdpr=sync.gdpr,
            opt_in_mode=OptInMode(sync.opt_in_mode or OptInMode.UNKNOWN),
            update_empty=sync.update_empty, schedule_spec=sync.schedule_spec,
            schedule_text=schedule_text, paused=sync.paused, next_run_at=sync.next_run_at,
            last_run=run_view(last) if last else None, mapping=mapping,
            mapping_labels=tuple(dmapping.books_label(r.books_key) for r in mapping), created_at=sync.created_at)

    def mapping_problems(self, rows: Sequence[MappingRow]) -> list[RowProblem]:
        return validate_mapping(rows, self.accounts.books_fields(), self.accounts.campaigns_fields())

    def validate(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> list[str]:
        conn = self.accounts.require_connection()
        topics = self.accounts.topics()
        consent = self.accounts.consent()
        gdpr = bool(conn.gdpr_enabled) or bool(settings.gdpr)
        problems = validate_settings(settings, gdpr_enabled=gdpr, topic_count=len(topics),
                                     subscription_field=consent.can_set_subscription,
                                     lawful_basis_field=consent.can_set_lawful_basis)
        if settings.gdpr is False and conn.gdpr_enabled:
            problems.append("This Zoho Campaigns account has a Lawful Basis field, so GDPR compliance is on "
                            "there; leave the GDPR answer out.")
        known = {t.id for t in topics}
        problems += [f"Topic {t} does not exist in Zoho Campaigns." for t in settings.topic_ids if t not in known]
        lists = {m.key: m for m in self.accounts.lists()}
        if settings.list_key and settings.list_key not in lists:
            problems.append(f"The list {settings.list_name or settings.list_key} no longer exists in "
                            "Zoho Campaigns; choose another list.")
        problems += [f"Row {p.row + 1}: {p.message}" for p in self.mapping_problems(rows)]
        return problems

    def preview_initiate(self, settings: SyncSettings) -> InitiatePreview:
        """Customers this sync would add as Marketing contacts (R16), from one Books read of at most
        5 % of the organization's daily Books calls: a large organization is not read whole (its
        Books daily cap may be 1,000 calls) to show a dialog; the count is then a floor ("at
        least") and says so."""
        from desktop_app.domain import emails

        books, _ = self.accounts.clients()
        limiter = self.accounts.factory.limiter
        bound = preview_pages(limiter.books_plan if limiter is not None else None)
        total = 0
        complete = True
        keys: set[str] = set()
        for number, page in enumerate(books.iter_customer_pages(), start=1):
            for c in page.customers:
                total += 1
                verdict = emails.check(c.email)
                if verdict.ok and verdict.key:
                    keys.add(verdict.key)
            if number >= bound and page.has_more:
                complete = False
                break
        with self.ctx.db.session() as s:
            sync = repo.get_sync(s)
            known = repo.linked_email_keys(s, sync.id) if sync is not None else set()
        settable = self.accounts.consent().can_set_subscription
        # Without a Subscription Type field every contact arrives as Marketing, whatever was chosen.
        marketing = settings.subscription_type is SubscriptionType.MARKETING or not settable
        writes = len(keys - known)
        arriving = SubscriptionType.MARKETING if marketing else settings.subscription_type
        # The first run's ETA starts from it (kept on the sync by create_sync); a floor is no estimate.
        self._expected = total if complete else None
        when = "" if limiter is None else first_sync_sentence(
            limiter, self.accounts.require_connection().org_id, writes, total, self.ctx.clock(), config.local_zone(),
            floor=not complete)
        return InitiatePreview(total, writes if marketing else 0, arriving.value, settable, complete, writes, when)

    def _topic_names(self, topic_ids: Sequence[str]) -> list[str]:
        if not topic_ids:
            return []
        names = {t.id: t.name for t in self.accounts.topics()}
        return [names.get(t, t) for t in topic_ids]

    def _check(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> None:
        problems = self.validate(settings, rows)
        if problems:
            raise ServiceError("The sync cannot be saved: " + " ".join(problems), title="Fix the sync settings")

    def create_sync(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> SyncView:
        conn = self.accounts.require_connection()
        with self.ctx.db.session() as s:
            if repo.get_sync(s) is not None:
                raise ServiceError("A sync already exists. Only one sync can be set up; edit it instead.",
                                   title="Sync exists")
        self._check(settings, rows)
        now = utc_now()
        with self.ctx.db.session() as s:
            sync = models.Sync(
                connection_id=conn.id, list_key=settings.list_key, list_name=settings.list_name,
                subscription_type=settings.subscription_type.value, topic_ids=list(settings.topic_ids),
                topic_names=self._topic_names(settings.topic_ids),
                lawful_basis=settings.lawful_basis.value if settings.lawful_basis else None,
                gdpr=self._gdpr_answer(settings), opt_in_mode=OptInMode.UNKNOWN,
                update_empty=settings.update_empty, schedule_spec=settings.schedule.spec, paused=False,
                mapping_version=1, mapping_fingerprint=dmapping.mapping_fingerprint(rows), created_at=now,
                updated_at=now, needs_full=True, next_run_at=None, customers_estimate=self._expected)
            repo.create_sync(s, sync)
            s.flush()
            repo.replace_mapping(s, sync, [(r.books_key, r.campaigns_field, r.new_field, r.locked) for r in rows])
            s.flush()
            return self._sync_view(s, sync)

    def edit_sync(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> SyncView:
        self._check(settings, rows)
        with self.ctx.db.session() as s:
            sync = repo.get_sync(s)
            if sync is None:
                raise ServiceError("No sync is configured yet; create one first.", title="No sync")
            fingerprint = dmapping.mapping_fingerprint(rows)
            list_changed = settings.list_key != sync.list_key
            changed = policy.edit_needs_full(mapping_changed=fingerprint != sync.mapping_fingerprint,
                                             update_empty_changed=settings.update_empty != sync.update_empty,
                                             list_changed=list_changed)
            if list_changed:
                # The state table describes the old list: nobody is in the new one yet, and whether
                # the new list sends confirmation emails (double opt-in) is not known yet.
                repo.reset_links_for_new_list(s, sync.id)
                sync.opt_in_mode = OptInMode.UNKNOWN
            sync.list_key, sync.list_name = settings.list_key, settings.list_name
            sync.subscription_type = settings.subscription_type.value
            sync.topic_ids = list(settings.topic_ids)
            sync.topic_names = self._topic_names(settings.topic_ids)
            sync.lawful_basis = settings.lawful_basis.value if settings.lawful_basis else None
            sync.gdpr = self._gdpr_answer(settings)
            sync.update_empty = settings.update_empty
            if settings.schedule.spec != sync.schedule_spec and sync.next_run_at is not None:
                # The next run follows the new schedule (weekly → hourly must not wait for the
                # weekly slot); a sync that never ran stays due at once.
                sync.next_run_at = next_run(settings.schedule, self.ctx.clock(), config.local_zone())
            sync.schedule_spec = settings.schedule.spec
            sync.updated_at = utc_now()
            if changed:  # R26: a mapping change triggers a full run
                sync.mapping_version += 1
                sync.mapping_fingerprint = fingerprint
                sync.needs_full = True
                repo.replace_mapping(s, sync, [(r.books_key, r.campaigns_field, r.new_field, r.locked)
                                               for r in rows])
            s.flush()
            return self._sync_view(s, sync)

    def _gdpr_answer(self, settings: SyncSettings) -> bool | None:
        """The user's GDPR answer is kept only when the account has no Lawful Basis field."""
        return None if self.accounts.consent().can_set_lawful_basis else settings.gdpr

    def accept_double_opt_in(self) -> SyncView:
        """The user accepts that the list sends confirmation emails: the next run sends them to all."""
        with self.ctx.db.session() as s:
            sync = repo.get_sync(s)
            if sync is None:
                raise ServiceError("No sync is configured yet; create one first.", title="No sync")
            repo.set_opt_in_mode(s, sync, OptInMode.DOUBLE_ACCEPTED)
            return self._sync_view(s, sync)

    def _set_paused(self, paused: bool) -> SyncView:
        with self.ctx.db.session() as s:
            sync = repo.get_sync(s)
            if sync is None:
                raise ServiceError("No sync is configured yet; create one first.", title="No sync")
            sync.paused = paused
            sync.updated_at = utc_now()
            s.flush()
            return self._sync_view(s, sync)

    def pause(self) -> SyncView:
        return self._set_paused(True)

    def resume(self) -> SyncView:
        return self._set_paused(False)

    def is_due(self, now: datetime) -> bool:
        view = self.sync()
        if view is None or view.paused or view.needs_decision or self.accounts.needs_reconnect():
            # needs_reconnect (R42): each run would only fail again and add another failed row
            # waiting for a decision: each run would send one more customer a confirmation email
            return False
        return view.next_run_at is None or view.next_run_at <= now
