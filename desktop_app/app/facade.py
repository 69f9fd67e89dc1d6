"""``AppService``: what a user can do, as plain method calls (no Qt, no printing).

The command line and the window are thin clients of this one façade, so both do exactly the same
thing with the same database, engine and connectors. It holds no rules of its own: each method
hands the call to its use case — ``Accounts`` (sign-in, organization, reconnect, disable),
``SyncConfig`` (the wizard's checks, create, edit, pause), ``Runs`` (run now, history, the bell)
— over one shared ``Context``, ``SandboxHost`` and ``ClientFactory``. Every method may block
(HTTP, SQLite): the window calls them from its worker threads, never on the GUI thread.
Failures are ``AppError``s; ``describe`` (app/errors.py) is the one translator.
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from desktop_app import config
from desktop_app.app.accounts import Accounts
from desktop_app.app.clients import ClientFactory
from desktop_app.app.context import Context
from desktop_app.app.runs import Runs
from desktop_app.app.sandbox_host import SandboxHost
from desktop_app.app.syncs import SyncConfig
from desktop_app.app.views import (
    ConnectionInfo,
    ConsentView,
    InitiatePreview,
    NotificationView,
    RunView,
    SyncView,
)
from desktop_app.connectors.limiter import Limiter
from desktop_app.connectors.secrets import SecretStore
from desktop_app.domain.mapping import MappingRow, RowProblem
from desktop_app.domain.run import RunTrigger
from desktop_app.domain.settings import SyncSettings
from desktop_app.engine.outcome import RunOutcome
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.store import models
from desktop_app.store.db import Database


class AppService:
    def __init__(self, paths: config.AppPaths | None = None, *, secrets: SecretStore | None = None,
                 env: dict[str, str] | None = None, limiter: Limiter | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.ctx = Context(paths, secrets=secrets, env=env, clock=clock)
        self.sandbox = SandboxHost(self.ctx)
        self.client_factory = ClientFactory(self.ctx, self.sandbox, limiter)
        self.accounts = Accounts(self.ctx, self.sandbox, self.client_factory)
        self.syncs = SyncConfig(self.ctx, self.accounts)
        self.history = Runs(self.ctx, self.accounts)

    # ------------------------------------------------------------------ plumbing

    @property
    def paths(self) -> config.AppPaths:
        return self.ctx.paths

    @property
    def secrets(self) -> SecretStore:
        return self.ctx.secrets

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.ctx.clock

    @property
    def db(self) -> Database:
        return self.ctx.db

    def read_only_reason(self) -> str | None:
        return self.ctx.read_only_reason()

    def sandbox_url(self) -> str:
        return self.sandbox.url()

    def close(self) -> None:
        self.sandbox.close()
        self.client_factory.close()
        self.ctx.close()

    def __enter__(self) -> AppService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ accounts

    def connection(self) -> ConnectionInfo | None:
        return self.accounts.connection()

    def require_connection(self) -> models.Connection:
        return self.accounts.require_connection()

    def needs_reconnect(self) -> bool:
        return self.accounts.needs_reconnect()

    def mark_reconnect_needed(self, run_id: int | None = None) -> None:
        self.accounts.mark_reconnect_needed(run_id)

    def sign_in_sandbox(self) -> list:
        return self.accounts.sign_in_sandbox()

    def sign_in_zoho(self, dc: str, client_id: str, client_secret: str, *, code: str | None = None,
                     open_url: Callable[[str], object] = webbrowser.open,
                     cancel: threading.Event | None = None) -> list:
        return self.accounts.sign_in_zoho(dc, client_id, client_secret, code=code, open_url=open_url,
                                          cancel=cancel)

    def sign_in_again(self, *, open_url: Callable[[str], object] = webbrowser.open,
                      cancel: threading.Event | None = None) -> list:
        return self.accounts.sign_in_again(open_url=open_url, cancel=cancel)

    def owner_warning(self, org_id: str) -> str | None:
        return self.accounts.owner_warning(org_id)

    def choose_organization(self, org_id: str) -> ConnectionInfo:
        return self.accounts.choose_organization(org_id)

    def clients(self):
        return self.accounts.clients()

    def organizations(self) -> list:
        return self.accounts.organizations()

    def lists(self) -> list:
        return self.accounts.lists()

    def topics(self) -> list:
        return self.accounts.topics()

    def campaigns_fields(self) -> list:
        return self.accounts.campaigns_fields()

    def books_fields(self) -> list:
        return self.accounts.books_fields()

    def gdpr_enabled(self) -> bool:
        return self.accounts.gdpr_enabled()

    def consent(self) -> ConsentView:
        return self.accounts.consent()

    def disable(self, delete_history: bool) -> None:
        self.accounts.disable(delete_history)

    def simulate_activity(self, changes: int = 5) -> int:
        return self.accounts.simulate_activity(changes)

    # ------------------------------------------------------------------ the sync

    def sync(self) -> SyncView | None:
        return self.syncs.sync()

    def mapping_problems(self, rows: Sequence[MappingRow]) -> list[RowProblem]:
        return self.syncs.mapping_problems(rows)

    def validate(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> list[str]:
        return self.syncs.validate(settings, rows)

    def preview_initiate(self, settings: SyncSettings) -> InitiatePreview:
        return self.syncs.preview_initiate(settings)

    def create_sync(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> SyncView:
        return self.syncs.create_sync(settings, rows)

    def edit_sync(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> SyncView:
        return self.syncs.edit_sync(settings, rows)

    def accept_double_opt_in(self) -> SyncView:
        return self.syncs.accept_double_opt_in()

    def pause(self) -> SyncView:
        return self.syncs.pause()

    def resume(self) -> SyncView:
        return self.syncs.resume()

    def is_due(self, now: datetime) -> bool:
        return self.syncs.is_due(now)

    # ------------------------------------------------------------------ runs and history

    def run_sync(self, *, trigger: RunTrigger = RunTrigger.MANUAL, force_full: bool = False,
                 progress: Callable[[Progress], None] | None = None,
                 cancel: CancelToken | None = None) -> RunOutcome:
        return self.history.run_sync(trigger=trigger, force_full=force_full, progress=progress, cancel=cancel)

    def background_schedule(self) -> str:
        """Whether scheduled runs also happen while the window is closed (``desktop-app schedule
        install``: the OS's timer around ``sync run --if-due``), as a sentence."""
        from desktop_app.config import timers

        return timers.timer_for().status().sentence()

    def runs(self, limit: int = 200) -> list[RunView]:
        return self.history.runs(limit)

    def export_skipped(self, path: Path, run_id: int | None = None) -> int:
        return self.history.export_skipped(path, run_id)

    def notifications(self, unread_only: bool = False) -> list[NotificationView]:
        return self.history.notifications(unread_only)

    def unread_count(self) -> int:
        return self.history.unread_count()

    def mark_read(self, notification_id: int) -> None:
        self.history.mark_read(notification_id)
