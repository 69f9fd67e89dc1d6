"""The presenter between the screens and ``AppService``: every call goes through the job runner,
results and changes come back as Qt signals, failures as (title, sentence) pairs (R33, R34)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.run import RunTrigger
from desktop_app.engine.progress import CancelToken
from desktop_app.gui.errors import describe
from desktop_app.gui.jobs import JobRunner, ProgressBridge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WizardData:
    """What the wizard needs from the accounts, loaded once when it opens."""

    lists: list
    topics: list
    gdpr_enabled: bool  # detected (a Lawful Basis field)
    books_fields: list
    campaigns_fields: list
    consent: object = None  # service.ConsentView: which consent fields the API can set

    @property
    def can_set_subscription(self) -> bool:
        return self.consent is None or self.consent.can_set_subscription

    @property
    def can_set_lawful_basis(self) -> bool:
        return self.gdpr_enabled if self.consent is None else self.consent.can_set_lawful_basis


class Controller(QObject):
    connection_changed = Signal(object)  # ConnectionInfo | None
    sync_changed = Signal(object)  # SyncView | None
    runs_changed = Signal(list)  # list[RunView]
    background_changed = Signal(str)  # whether scheduled runs happen with the window closed
    notifications_changed = Signal(list, int)  # list[NotificationView], unread count
    progress = Signal(object)  # Progress (queued from the worker)
    run_started = Signal()
    run_finished = Signal(object)  # RunOutcome | None (None: the run could not start)
    error = Signal(str, str)  # title, sentence

    def __init__(self, service, jobs: JobRunner | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.jobs = jobs or JobRunner(self)
        self._bridge = ProgressBridge(self)
        self._bridge.progressed.connect(self.progress)
        self._cancel: CancelToken | None = None
        self.connection = None
        self.sync = None
        self.runs: list = []
        self.last_outcome = None
        # topic id → name: SyncView carries ids only, and the names need a Campaigns call
        # the account's consent fields (service.ConsentView), read once; None until known
        self.consent = None
        # the last error a scheduled run could not start with: shown once, not every re-check
        self._scheduled_error: tuple[str, str] | None = None

    # ------------------------------------------------------------------ helpers

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def report(self, exc: BaseException) -> None:
        title, message = describe(exc)
        log.info("shown to the user: %s: %s", title, message)
        self.error.emit(title, message)

    async def call(self, fn, *args, **kwargs):
        return await self.jobs.call(fn, *args, **kwargs)

    async def call_long(self, fn, *args, **kwargs):
        return await self.jobs.call_long(fn, *args, **kwargs)

    # ------------------------------------------------------------------ reading state

    async def refresh(self) -> None:
        """Connection, sync, history and notifications, read in one worker call."""

        def read():
            conn = self.service.connection()
            sync = self.service.sync() if conn else None
            runs = self.service.runs() if sync else []
            background = self.service.background_schedule() if sync else ""
            notes = self.service.notifications()
            if sync and self.consent is None:
                self._load_consent()
            if conn is None:
                self.consent = None
            return conn, sync, runs, notes, background

        conn, sync, runs, notes, background = await self.call(read)
        self.connection, self.sync, self.runs = conn, sync, runs
        self.connection_changed.emit(conn)
        self.sync_changed.emit(sync)
        self.runs_changed.emit(runs)
        self.background_changed.emit(background)
        self.notifications_changed.emit(notes, sum(1 for n in notes if not n.read))

    def _load_consent(self) -> None:
        """Once per session (worker thread); unknown consent fields leave the view as it was."""
        try:
            self.consent = self.service.consent()
        except Exception as exc:
            log.info("consent fields not loaded: %s", exc)

    async def refresh_notifications(self) -> None:
        notes = await self.call(self.service.notifications)
        self.notifications_changed.emit(notes, sum(1 for n in notes if not n.read))

    # ------------------------------------------------------------------ connecting

    async def sign_in_sandbox(self) -> list:
        return await self.call_long(self.service.sign_in_sandbox)

    async def sign_in_zoho(self, dc: str, client_id: str, client_secret: str,
                           cancel: threading.Event) -> list:
        return await self.call_long(self.service.sign_in_zoho, dc, client_id, client_secret, cancel=cancel)

    async def owner_warning(self, org_id: str) -> str | None:
        return await self.call(self.service.owner_warning, org_id)

    async def choose_organization(self, org_id: str):
        info = await self.call(self.service.choose_organization, org_id)
        await self.refresh()
        return info

    # ------------------------------------------------------------------ the sync

    async def wizard_data(self) -> WizardData:
        def load():
            s = self.service
            return WizardData(s.lists(), s.topics(), s.gdpr_enabled(), s.books_fields(), s.campaigns_fields(),
                              s.consent())

        data = await self.call(load)
        self.consent = data.consent
        return data

    async def preview(self, settings):
        return await self.call(self.service.preview_initiate, settings)

    async def validate(self, settings, rows: Sequence) -> list[str]:
        return await self.call(self.service.validate, settings, rows)

    async def save_sync(self, settings, rows: Sequence, *, editing: bool):
        fn = self.service.edit_sync if editing else self.service.create_sync
        view = await self.call(fn, settings, list(rows))
        self.sync = view
        self.sync_changed.emit(view)
        return view

    async def accept_double_opt_in(self):
        view = await self.call(self.service.accept_double_opt_in)
        self.sync = view
        self.sync_changed.emit(view)
        return view

    async def run_now(self, trigger: RunTrigger = RunTrigger.MANUAL):
        """Run the sync in a worker; never two at once (a second request is ignored).

        A scheduled run that cannot even start says so once; the same sentence again at each
        re-check would only bury the first (a run that starts reports through its row).
        """
        if self.running:
            return None
        self._cancel = CancelToken()
        self.run_started.emit()
        outcome = None
        try:
            outcome = await self.call_long(self.service.run_sync, trigger=trigger, progress=self._bridge,
                                      cancel=self._cancel)
            self.last_outcome = outcome
            if trigger == RunTrigger.SCHEDULED:
                self._scheduled_error = None
        except Exception as exc:
            if trigger != RunTrigger.SCHEDULED:
                self.report(exc)
            elif describe(exc) != self._scheduled_error:
                self._scheduled_error = describe(exc)
                self.report(exc)
            else:
                log.info("scheduled run still cannot start: %s", exc)
        finally:
            self._cancel = None
            self.run_finished.emit(outcome)
        try:
            await self.refresh()
        except Exception as exc:
            self.report(exc)
        return outcome

    def cancel_run(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel("cancelled by the user")

    async def set_paused(self, paused: bool):
        if paused:
            self.cancel_run()  # R25: a running run stops at the next batch boundary
        view = await self.call(self.service.pause if paused else self.service.resume)
        self.sync = view
        self.sync_changed.emit(view)
        return view

    async def is_due(self, now) -> bool:
        return await self.call(self.service.is_due, now)

    async def export_skipped(self, path: Path, run_id: int | None) -> int:
        return await self.call(self.service.export_skipped, Path(path), run_id)

    async def mark_read(self, notification_id: int) -> None:
        await self.call(self.service.mark_read, notification_id)
        await self.refresh_notifications()

    async def disable(self, delete_history: bool) -> None:
        self.cancel_run()
        await self.call(self.service.disable, delete_history)
        await self.refresh()

    async def simulate(self, changes: int = 5) -> int:
        return await self.call(self.service.simulate_activity, changes)
