"""Runs and their history: run the sync now (the engine behind its ports, the run lock, R42's
reconnect pause), the history rows, the skipped records' CSV (R28) and the bell's notifications."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop_app import config
from desktop_app.app.accounts import Accounts
from desktop_app.app.context import Context
from desktop_app.app.errors import ServiceError
from desktop_app.app.eta import RunEta
from desktop_app.app.views import NotificationView, RunView, run_view
from desktop_app.domain import policy
from desktop_app.domain.errors import ErrorKind
from desktop_app.domain.run import RunKind, RunStatus, RunTrigger
from desktop_app.engine.export import write_skipped_csv
from desktop_app.engine.outcome import RECONNECT_MESSAGE, RunOutcome
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.engine.run import SyncRun
from desktop_app.store import models, repo
from desktop_app.store.lock import RunLock
from desktop_app.store.runs import RunState

# A completed full run of at least this many customers compacts the database (VACUUM) afterwards.
COMPACT_FROM = 20_000


class Runs:
    def __init__(self, ctx: Context, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts

    def run_sync(self, *, trigger: RunTrigger = RunTrigger.MANUAL, force_full: bool = False,
                 progress: Callable[[Progress], None] | None = None,
                 cancel: CancelToken | None = None) -> RunOutcome:
        if self.accounts.needs_reconnect():
            # R42: a run now would only fail and add a failed row; ask Zoho once whether the sign-in
            # works again (revoked by mistake and restored, a passing refusal).
            if self.accounts.sign_in_is_dead():
                raise ServiceError(RECONNECT_MESSAGE, title="Reconnect to Zoho", kind=ErrorKind.FAILED)
            self.accounts.clear_reconnect_needed()
        books, campaigns = self.accounts.clients()
        with self.ctx.db.session() as s:
            sync = repo.get_sync(s)
            expected = sync.customers_estimate if sync is not None else None
        timed = RunEta(self.accounts.factory.limiter, self.accounts.require_connection().org_id, expected,
                       self.ctx.clock, config.local_zone(), progress or (lambda p: None))
        runner = SyncRun(RunState(self.ctx.db), books, campaigns, lock=RunLock(self.ctx.paths.run_lock_path),
                         trigger=trigger, force_full=force_full, progress=timed,
                         cancel=cancel, clock=self.ctx.clock, max_batch=policy.MAX_BATCH,
                         full_every=policy.full_every(config.load_settings(self.ctx.paths).get("full_reconcile_days")))
        try:
            outcome = runner.execute()  # every API call is in the usage ledger before it is sent
        finally:
            self.accounts.forget_catalogue("fields")  # the run may have created Campaigns fields
        if outcome.status == RunStatus.FAILED and outcome.error == RECONNECT_MESSAGE:
            self.accounts.mark_reconnect_needed(outcome.run_id)  # R42: scheduled runs pause until a reconnect
        elif outcome.status == RunStatus.COMPLETED:
            self.accounts.clear_reconnect_needed()
            if outcome.kind == RunKind.FULL and outcome.counts.total >= COMPACT_FROM:
                self.ctx.db.compact()  # its staging is gone: give the disk back its pages
        return outcome

    def runs(self, limit: int = 200) -> list[RunView]:
        with self.ctx.db.session() as s:
            return [run_view(r) for r in repo.runs_for(s, None, limit)]

    def export_skipped(self, path: Path, run_id: int | None = None) -> int:
        with self.ctx.db.session() as s:
            run = s.get(models.Run, run_id) if run_id is not None else repo.latest_run(s, None)
            if run is None:
                raise ServiceError("There is no sync run to export yet." if run_id is None
                                   else f"There is no run {run_id}.", title="Nothing to export")
            rows = repo.skipped_for(s, run.id)
            return write_skipped_csv(Path(path), rows, run.started_at)

    def notifications(self, unread_only: bool = False) -> list[NotificationView]:
        with self.ctx.db.session() as s:
            items = repo.unread_notifications(s) if unread_only else repo.all_notifications(s)
            return [NotificationView(n.id, n.run_id, n.sync_id, n.level, n.title, n.body, n.created_at, n.read)
                    for n in items]

    def unread_count(self) -> int:
        return len(self.notifications(unread_only=True))

    def mark_read(self, notification_id: int) -> None:
        with self.ctx.db.session() as s:
            repo.mark_read(s, notification_id)
