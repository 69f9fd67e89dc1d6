"""The application service: what a user can do, as plain method calls (no Qt, no printing).

The command line and the window are thin clients of this one class, so both do exactly the same
thing with the same database, engine and connectors. Every method may block (HTTP, SQLite):
the GUI calls them from its worker, never on the GUI thread. Failures are raised as
``ServiceError`` (a sentence for the user, with a title) or typed connector errors (which carry
``.title`` and ``.message`` too).

Returned values are frozen dataclasses (``ConnectionInfo``, ``SyncView``, ``RunView``,
``NotificationView``) or connector/domain dataclasses; never ORM objects.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import OperationalError

from desktop_app import config
from desktop_app.connectors import auth, session
from desktop_app.connectors.errors import AuthExpired, ZohoError
from desktop_app.connectors.limiter import Limiter, restore_usage
from desktop_app.connectors.secrets import SecretStore
from desktop_app.connectors.session import build_clients
from desktop_app.domain import mapping as dmapping
from desktop_app.domain.counts import RunCounts
from desktop_app.domain.errors import AppError, Described, ErrorKind
from desktop_app.domain.errors import describe as describe_error
from desktop_app.domain.mapping import MappingRow, RowProblem, validate_mapping
from desktop_app.domain.run import RunStatus, RunTrigger
from desktop_app.domain.schedule import next_run, parse_schedule
from desktop_app.domain.settings import SubscriptionType, SyncSettings, validate_settings
from desktop_app.engine.export import write_skipped_csv
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.engine.run import RECONNECT_MESSAGE, RunOutcome, SyncRun
from desktop_app.store import models, repo
from desktop_app.store.db import Database, DatabaseError, open_app_database
from desktop_app.store.db import classify as classify_db_error
from desktop_app.store.lock import RunLock
from desktop_app.store.runs import RunState


class ServiceError(AppError):
    """A refusal (by default) or a failure of a use case, with a sentence a person can act on."""

    kind = ErrorKind.REFUSED


def describe(exc: BaseException, *, log_hint: str | None = None) -> Described:
    """The one translator of failures for the CLI and the window: what a person is told.

    Every layer's errors are ``AppError``s (title, message, kind, resume_at); the database
    driver's own failures get the app's sentences here; anything else is a bug, logged with its
    traceback and told as "Something unexpected went wrong".
    """
    hint = log_hint or f"details are in {config.app_paths().log_file}"
    if isinstance(exc, OperationalError):
        log.error("database error: %s", exc)
        path = config.app_paths().db_path
        exc = classify_db_error(exc, path) or DatabaseError(
            f"The app's database {path} is busy or cannot be written (is the disk full?); try again, {hint}.")
    described = describe_error(exc, log_hint=hint)
    if described.unexpected:
        log.error("unexpected error", exc_info=exc)
    return described


@dataclass(frozen=True)
class ConnectionInfo:
    kind: str  # "sandbox" | "zoho"
    data_center: str | None
    org_id: str
    org_name: str
    books_owner_email: str
    campaigns_owner_email: str
    user_email: str | None
    gdpr_enabled: bool  # detected: the account has a Lawful Basis field
    needs_reconnect: bool = False  # R42: Zoho no longer accepts the sign-in; sign in again to the same org

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

    @property
    def owner_warning(self) -> str | None:
        """R3: the warning when the Books owner is not the signed-in user (None: same address)."""
        return owner_warning(self.org_name, self.books_owner_email, self.campaigns_owner_email)


def owner_warning(org_name: str, books_owner: str | None, signed_in: str | None) -> str | None:
    """R3 (issue 9): never a refusal. The signed-in user is taken as the Campaigns account's owner,
    which Zoho cannot confirm, so a different Books owner only *may* make the sync fail."""
    books_owner, signed_in = (books_owner or "").strip(), (signed_in or "").strip()
    if books_owner and signed_in and books_owner.casefold() == signed_in.casefold():
        return None
    owner = books_owner or "an unknown address"
    if not signed_in:
        return (f"The Zoho Books organization “{org_name}” belongs to {owner}, but Zoho did not say which "
                f"account you signed in with; if it is not the owner of the Zoho Campaigns account, the sync "
                "may fail. Zoho requires both to be registered under the same email address.")
    return (f"The Zoho Books organization “{org_name}” belongs to {owner} but you signed in as {signed_in}; "
            f"if {signed_in} is not the owner of the Zoho Campaigns account, the sync may fail. Zoho requires "
            "both to be registered under the same email address.")


@dataclass(frozen=True)
class ConsentView:
    """The consent fields the Campaigns account exposes (display names), from contact/allfields."""

    subscription_type: str | None
    lawful_basis: str | None

    @property
    def can_set_subscription(self) -> bool:
        return self.subscription_type is not None

    @property
    def can_set_lawful_basis(self) -> bool:
        return self.lawful_basis is not None


@dataclass(frozen=True)
class MappingView:
    books_field: str
    books_label: str
    campaigns_field: str
    new_field: bool
    locked: bool


@dataclass(frozen=True)
class SyncView:
    id: int
    list_key: str
    list_name: str
    subscription_type: str  # SubscriptionType value
    topic_ids: tuple[str, ...]
    topic_names: tuple[str, ...]
    lawful_basis: str | None  # LawfulBasis value
    gdpr: bool | None  # the user's answer when the account has no Lawful Basis field
    opt_in_mode: str  # "unknown" | "direct" | "double_accepted"
    update_empty: bool
    schedule_spec: str
    schedule_text: str
    paused: bool
    next_run_at: datetime | None
    last_run: RunView | None
    mapping: tuple[MappingView, ...]
    created_at: datetime

    @property
    def needs_decision(self) -> bool:
        """The last run found a double opt-in list and the user has not accepted it (nor moved)."""
        return (self.last_run is not None and self.last_run.status == NEEDS_DECISION
                and self.opt_in_mode == OPT_IN_UNKNOWN)


@dataclass(frozen=True)
class RunView:
    id: int
    kind: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: RunCounts
    estimated_total: int | None
    error: str | None
    resume_at: datetime | None
    calls_books: int
    calls_campaigns: int
    notes: tuple[str, ...] = ()

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class NotificationView:
    id: int
    run_id: int | None
    sync_id: int | None
    level: str
    title: str
    body: str
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class InitiatePreview:
    """What the auto-upgrade disclaimer (R16) tells the user before the first run."""

    customers: int  # customers in the organization
    marketing_additions: int  # contacts this sync would add as Marketing (0 for Non-marketing)
    subscription_type: str  # what the contacts arrive as: "marketing" without a Subscription Type field
    subscription_settable: bool = True  # False: the account has no Subscription Type field


# ====================================================================== the service

NEEDS_DECISION = RunStatus.NEEDS_DECISION  # run status: a double opt-in list, the user must accept or move
OPT_IN_UNKNOWN, OPT_IN_DIRECT, OPT_IN_ACCEPTED = "unknown", "direct", "double_accepted"


log = logging.getLogger(__name__)

# The app's embedded Sandbox runs its limits 20× faster than Zoho's (same shape), so the demo's
# first sync takes seconds while the limiter is still exercised. The limiter follows the
# Sandbox's own setting (read from its stats), so a Sandbox started with other limits works too.
SANDBOX_LIMITS = "scale=20"


class AppService:
    def __init__(self, paths: config.AppPaths | None = None, *, secrets: SecretStore | None = None,
                 env: dict[str, str] | None = None, limiter: Limiter | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.paths = (paths or config.app_paths(env)).ensure()
        self.clock = clock or _now  # run times and next runs; tests inject one (with the scheduler's)
        self.env = env
        self.secrets = secrets or SecretStore(self.paths)
        self._db: Database | None = None
        self._lock = threading.RLock()
        self._sandbox = None  # in-process SandboxServer, when we started one
        self._sandbox_url: str | None = None
        self._pending: _PendingSignIn | None = None
        self._clients = None  # (books, campaigns, limiter) for the current connection
        self._limiter = limiter  # tests and benchmarks inject one; else chosen per connection
        self._ledgers: dict[float, object] = {}  # the usage ledger per limiter scale (store/usage.py)
        self._books_fields: list | None = None
        self._consent: ConsentView | None = None

    # ------------------------------------------------------------------ plumbing

    @property
    def db(self) -> Database:
        with self._lock:
            if self._db is None:
                self._db = open_app_database(self.paths)
            return self._db

    def read_only_reason(self) -> str | None:
        """The sentence saying the database is read-only (views work, nothing can change), or None."""
        from desktop_app.store.db import read_only_message

        return read_only_message(self.paths.db_path) if self.db.read_only else None

    def close(self) -> None:
        with self._lock:
            if self._sandbox is not None:
                self._sandbox.stop()
                self._sandbox = None
            for ledger in self._ledgers.values():
                ledger.close()
            self._ledgers.clear()
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> AppService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def sandbox_url(self) -> str:
        """A running Sandbox: one recorded by `desktop-app sandbox serve`, else one started here."""
        with self._lock:
            if self._sandbox_url:
                return self._sandbox_url
            from desktop_app.sandbox import SandboxServer
            from desktop_app.sandbox.server import running_server_url

            url = running_server_url(self.paths.sandbox_db_path)
            if url is None:
                # customers/seed None: keep whatever the state file was seeded with.
                self._sandbox = SandboxServer(self.paths.sandbox_db_path, customers=None, seed=None,
                                              limits=SANDBOX_LIMITS).start()
                url = self._sandbox.url
            self._sandbox_url = url
            return url

    def _sandbox_limiter(self, url: str) -> Limiter:
        from desktop_app.connectors.sandbox_admin import SandboxAdmin
        from desktop_app.domain.limits import parse_limits_mode

        try:
            mode = (SandboxAdmin(url).stats().get("config") or {}).get("limits", SANDBOX_LIMITS)
            enabled, scale = parse_limits_mode(str(mode))
        except Exception:  # an old Sandbox without the field: assume ours
            enabled, scale = parse_limits_mode(SANDBOX_LIMITS)
        return self._shared(Limiter(scale=scale, enabled=enabled))

    def _shared(self, limiter: Limiter) -> Limiter:
        """A limiter of ours recording every call in the database's usage ledger (shared by every
        process of the app), after taking in the usage file of an older version once."""
        from desktop_app.store.usage import SqlUsageLedger

        if self.db.read_only:
            return limiter  # nothing can run on a read-only database; views need no ledger
        with self._lock:
            ledger = self._ledgers.get(limiter.scale)
            if ledger is None:
                ledger = self._ledgers[limiter.scale] = SqlUsageLedger(self.db.path, scale=limiter.scale)
        limiter.attach(ledger)
        restore_usage(limiter, self._usage_path)  # a damaged file: a warning, usage unknown
        return limiter

    def _endpoints(self, kind: str, dc: str | None) -> config.Endpoints:
        if kind == "sandbox":
            return config.Endpoints.for_server(self.sandbox_url())
        return config.resolve_endpoints(dc or "US", self.env, config.load_settings(self.paths))

    # ------------------------------------------------------------------ connection

    def connection(self) -> ConnectionInfo | None:
        with self.db.session() as s:
            conn = repo.get_connection(s)
            return _connection_info(conn) if conn else None

    def _require_connection(self) -> models.Connection:
        with self.db.session() as s:
            conn = repo.get_connection(s)
            if conn is None:
                raise ServiceError("No Zoho Books organization is connected yet. Connect the Sandbox or "
                                   "a Zoho account first (desktop-app connect sandbox).",
                                   title="Not connected")
            s.expunge(conn)
            return conn

    def _refuse_if_connected(self, *, reconnect: bool = False) -> None:
        """Refuse a second sign-in while connected; with ``reconnect``, a sign-in Zoho no longer
        accepts (R42) may be replaced, by one to the same organization (checked at the choice)."""
        info = self.connection()
        if info is not None and reconnect and (info.needs_reconnect or self._sign_in_is_dead()):
            return
        if info is not None:
            raise ServiceError(
                f"The organization “{info.org_name}” is already connected. Only one Zoho Books "
                "organization can be connected at a time: disable the current integration first "
                "(Settings → Integrations → Apps → Zoho Books → Deny).",
                title="Already connected")

    def _sign_in_is_dead(self) -> bool:
        """One Books call with the saved sign-in: True (and remembered) when Zoho refuses it."""
        try:
            self.organizations()
        except AuthExpired:
            self.mark_reconnect_needed()
            return True
        except ServiceError as exc:  # the saved refresh token is missing from the keyring
            if exc.title != "Reconnect to Zoho":
                raise
            self.mark_reconnect_needed()
            return True
        return False

    def mark_reconnect_needed(self, run_id: int | None = None) -> None:
        """R42: the sign-in died. Scheduled runs pause until a reconnect, with one notification."""
        with self.db.session() as s:
            conn = repo.get_connection(s)
            if conn is None or conn.reconnect_needed_at is not None:
                return
            conn.reconnect_needed_at = _now()
            latest = repo.all_notifications(s, limit=1)
            if run_id is None or not latest or latest[0].run_id != run_id:
                sync = repo.get_sync(s)
                repo.add_notification(s, models.Notification(
                    run_id=run_id, sync_id=sync.id if sync else None, level="error",
                    title="Reconnect to Zoho", body=RECONNECT_MESSAGE + " Scheduled runs wait until then.",
                    created_at=_now(), read=False))

    def _clear_reconnect_needed(self) -> None:
        with self.db.session() as s:
            conn = repo.get_connection(s)
            if conn is not None and conn.reconnect_needed_at is not None:
                conn.reconnect_needed_at = None

    def needs_reconnect(self) -> bool:
        info = self.connection()
        return info is not None and info.needs_reconnect

    def sign_in_sandbox(self) -> list:
        """The Sandbox's sign-in: the real OAuth flow, auto-approved (no browser)."""
        self._refuse_if_connected(reconnect=True)
        url = self.sandbox_url()
        limiter = self._limiter or self._sandbox_limiter(url)
        signed_in = session.connect_sandbox(url, limiter=limiter)
        return self._after_sign_in("sandbox", None, signed_in, config.SANDBOX_CLIENT_SECRET, limiter)

    def sign_in_zoho(self, dc: str, client_id: str, client_secret: str, *, code: str | None = None,
                     open_url: Callable[[str], object] = webbrowser.open,
                     cancel: threading.Event | None = None) -> list:
        """Browser + loopback (PKCE, state), or a Self Client grant ``code`` pasted by the user."""
        self._refuse_if_connected(reconnect=True)
        client_id, client_secret = client_id.strip(), client_secret.strip()
        if not client_id:
            raise ServiceError("Enter the Client ID of your Zoho API Console client.", title="Client ID missing")
        if not client_secret:
            raise ServiceError("Enter the client secret (or set DESKTOP_APP_CLIENT_SECRET).",
                               title="Client secret missing")
        endpoints = self._endpoints("zoho", dc)
        oauth = auth.OAuthClient(endpoints.accounts, client_id, client_secret)
        if code:
            tokens = auth.sign_in_with_code(oauth, code)
        else:
            tokens = auth.sign_in_browser(oauth, open_url=open_url, cancel=cancel)
        if not tokens.refresh_token:
            raise ServiceError("Zoho did not hand out a refresh token; sign in again and approve offline "
                               "access.", title="Sign-in incomplete")
        limiter = self._limiter or self._shared(Limiter())
        signed_in = session.connect_with_tokens(endpoints, oauth, tokens, limiter=limiter)
        return self._after_sign_in("zoho", dc.upper(), signed_in, client_secret, limiter)

    def sign_in_again(self, *, open_url: Callable[[str], object] = webbrowser.open,
                      cancel: threading.Event | None = None) -> list:
        """R42: the same sign-in as the connection's (Sandbox, or Zoho with its saved client), for a
        reconnect; then ``choose_organization`` with the connected organization."""
        conn = self._require_connection()
        if conn.kind == "sandbox":
            return self.sign_in_sandbox()
        secret = self.secrets.get(session.client_secret_name(conn.client_id)) or \
            (self.env or {}).get(config.ENV_CLIENT_SECRET, "")
        return self.sign_in_zoho(conn.data_center or "US", conn.client_id, secret, open_url=open_url,
                                 cancel=cancel)

    def _after_sign_in(self, kind: str, dc: str | None, signed_in: session.Connection, client_secret: str,
                       limiter: Limiter) -> list:
        books, _ = signed_in.clients("", limiter)
        orgs = signed_in.oauth.patiently(books.organizations)  # Zoho's passing trouble is retried
        self._pending = _PendingSignIn(kind, dc, signed_in, client_secret, orgs, limiter)
        return orgs

    def _pending_org(self, org_id: str):
        pending = self._pending
        if pending is None:
            raise ServiceError("Sign in first.", title="Not signed in")
        org = next((o for o in pending.orgs if str(o.org_id) == str(org_id)), None)
        if org is None:
            names = ", ".join(f"{o.name} ({o.org_id})" for o in pending.orgs)
            raise ServiceError(f"Organization {org_id} is not one of yours: {names}.",
                               title="Unknown organization")
        return pending, org

    def owner_warning(self, org_id: str) -> str | None:
        """R3, asked before ``choose_organization``: the warning when the chosen organization's owner is
        not the signed-in user (who is taken as the Campaigns owner), else None. No network."""
        pending, org = self._pending_org(org_id)
        return owner_warning(org.name, org.email, pending.signed_in.email)

    def choose_organization(self, org_id: str) -> ConnectionInfo:
        """Pick the Books organization; refuses a second one (R4). A different owner is not refused
        (R3, issue 9): the returned ``ConnectionInfo.owner_warning`` says so, and stays recorded
        (both addresses are stored)."""
        pending, org = self._pending_org(org_id)
        current = self.connection()
        if current is not None and current.needs_reconnect:
            return self._reconnect(pending, org, current)
        self._refuse_if_connected()
        signed_in = pending.signed_in
        books_owner = (org.email or "").strip()
        # The signed-in user is taken as the Campaigns account's owner (docs/wire-contract.md).
        campaigns_owner = (signed_in.email or "").strip()
        warning = owner_warning(org.name, books_owner, campaigns_owner)
        if warning:
            log.warning("R3: %s", warning)
        client_id = signed_in.oauth.client_id
        secret_key = session.refresh_token_name(pending.kind, org.org_id)
        self.secrets.set(secret_key, signed_in.refresh_token)
        if signed_in.tokens.token_set is not None:
            self._cache_access(secret_key, signed_in.tokens.token_set)
        if pending.kind == "zoho":
            self.secrets.set(session.client_secret_name(client_id), pending.client_secret)
        _, campaigns = signed_in.clients(str(org.org_id), pending.limiter)
        # Detected (a Lawful Basis field); False = not seen. Zoho's passing trouble is retried.
        gdpr = bool(signed_in.oauth.patiently(campaigns.gdpr_enabled))
        endpoints = signed_in.endpoints
        with self.db.session() as s:
            conn = models.Connection(
                kind=pending.kind, data_center=pending.dc, accounts_url=endpoints.accounts,
                books_url=endpoints.books, campaigns_url=endpoints.campaigns, client_id=client_id,
                org_id=str(org.org_id), org_name=org.name, org_time_zone=org.time_zone,
                books_owner_email=books_owner, campaigns_owner_email=campaigns_owner,
                user_email=signed_in.email, gdpr_enabled=gdpr, books_plan=org.plan_name or "",
                secret_key=secret_key, created_at=_now())
            repo.save_connection(s, conn)
            info = _connection_info(conn)
        self._pending = None
        self._clients = None
        self._consent = None
        return info

    def _reconnect(self, pending: _PendingSignIn, org, current: ConnectionInfo) -> ConnectionInfo:
        """R42: the same organization again: only the secrets (and sign-in details) are replaced;
        the sync, its mapping, state table and history stay. Another organization is refused (R4)."""
        if str(org.org_id) != str(current.org_id) or pending.kind != current.kind:
            raise ServiceError(
                f"Sign in again to “{current.org_name}” ({current.org_id}) to reconnect it. Only one Zoho Books "
                f"organization can be connected at a time, so “{org.name}” ({org.org_id}) cannot be chosen "
                "while the sync for the connected one exists: to switch, disable the integration first "
                "(desktop-app disable, or Settings → Integrations → Apps → Zoho Books → Deny).",
                title="Another organization")
        signed_in = pending.signed_in
        client_id = signed_in.oauth.client_id
        with self.db.session() as s:
            conn = repo.get_connection(s)
            secret_key = conn.secret_key
            replaced = self.secrets.get(secret_key)
            self.secrets.set(secret_key, signed_in.refresh_token)
            self.secrets.delete(session.access_token_name(secret_key))
            if signed_in.tokens.token_set is not None:
                self._cache_access(secret_key, signed_in.tokens.token_set)
            if pending.kind == "zoho":
                self.secrets.set(session.client_secret_name(client_id), pending.client_secret)
            endpoints = signed_in.endpoints
            conn.client_id = client_id
            conn.accounts_url, conn.books_url, conn.campaigns_url = (endpoints.accounts, endpoints.books,
                                                                     endpoints.campaigns)
            conn.user_email = signed_in.email
            conn.reconnect_needed_at = None
            s.flush()
            info = _connection_info(conn)
        log.info("R42: reconnected organization %s", info.org_id)
        if replaced and replaced != signed_in.refresh_token:
            self._revoke_replaced(signed_in.oauth, replaced)
        self._pending = None
        self._clients = None
        self._consent = None
        return info

    def _revoke_replaced(self, oauth: auth.OAuthClient, token: str) -> None:
        """Revoke the sign-in a reconnect replaced: Zoho keeps at most 20 refresh tokens per client
        and user and deletes the oldest beyond that, so every stale one left alive brings the
        death of a live one (this app's on another machine, or another tool's) closer. When the
        revoke fails, a notification says so (best effort: the reconnect itself is done)."""
        try:
            oauth.patiently(lambda: oauth.revoke(token))
        except ZohoError as exc:
            log.warning("revoking the replaced sign-in failed: %s", type(exc).__name__)
            with self.db.session() as s:
                sync = repo.get_sync(s)
                repo.add_notification(s, models.Notification(
                    sync_id=sync.id if sync else None, level="warning", title="Old sign-in still active",
                    body=("The sign-in this reconnect replaced could not be revoked "
                          f"({exc.message}). Zoho keeps at most 20 sign-ins per API client and deletes "
                          "the oldest beyond that, so a forgotten one can end a sign-in you still use: "
                          "revoke it at accounts.zoho.com → Security → Connected Apps."),
                    created_at=_now(), read=False))

    def _cache_access(self, secret_key: str, tokens) -> None:
        """Keep the access token (a secret: keyring/0600 file only) so each CLI call needs no refresh."""
        try:
            self.secrets.set(session.access_token_name(secret_key), json.dumps(
                {"access_token": tokens.access_token, "api_domain": tokens.api_domain,
                 "expires_at": tokens.expires_at, "accounts_server": tokens.accounts_server}))
        except Exception:  # the cache is an optimisation only
            log.warning("could not cache the access token")

    def clients(self):
        """(books, campaigns) for the connected organization, built once per service."""
        with self._lock:
            if self._clients is not None:
                return self._clients[:2]
            conn = self._require_connection()
            endpoints = (self._endpoints("sandbox", None) if conn.kind == "sandbox"
                         else config.Endpoints(conn.accounts_url, conn.books_url, conn.campaigns_url))
            refresh = self.secrets.get(conn.secret_key)
            if not refresh:
                raise ServiceError("The saved sign-in for Zoho is missing from the keyring. Disable the "
                                   "integration and connect again.", title="Reconnect to Zoho")
            if conn.kind == "sandbox":
                secret = config.SANDBOX_CLIENT_SECRET
            else:
                secret = self.secrets.get(session.client_secret_name(conn.client_id)) or \
                    (self.env or {}).get(config.ENV_CLIENT_SECRET, "")
            oauth = auth.OAuthClient(endpoints.accounts, conn.client_id, secret)
            initial = self._cached_access(conn.secret_key, refresh)
            secret_key = conn.secret_key
            limiter = self._limiter or (self._sandbox_limiter(endpoints.accounts) if conn.kind == "sandbox"
                                        else self._shared(Limiter()))
            # One limiter for API calls and token refreshes, both recorded in the shared ledger.
            manager = auth.TokenManager(oauth, refresh, initial=initial, limiter=limiter,
                                        on_refresh=lambda fresh: self._cache_access(secret_key, fresh))
            books, campaigns = build_clients(endpoints, conn.org_id, manager, limiter=limiter)
            if self._limiter is None:  # an injected limiter (tests, benchmarks) keeps its own plan
                limiter.set_books_plan(self._books_plan(conn, books))
            self._clients = (books, campaigns, limiter)
            return books, campaigns

    def _books_plan(self, conn: models.Connection, books) -> str:
        """The organization's plan_name (its daily cap); read once for connections made before it was kept."""
        if conn.books_plan is not None:
            return conn.books_plan
        org = next((o for o in books.organizations() if str(o.org_id) == str(conn.org_id)), None)
        plan = org.plan_name if org is not None else ""
        with self.db.session() as s:
            stored = repo.get_connection(s)
            if stored is not None:
                stored.books_plan = plan
        return plan

    # Where older versions kept API usage (now in the database's ledger); taken in once.
    @property
    def _usage_path(self) -> Path:
        return self.paths.data_dir / "api-usage.json"

    def _cached_access(self, secret_key: str, refresh_token: str):
        raw = self.secrets.get(session.access_token_name(secret_key))
        if not raw:
            return None
        try:
            data = json.loads(raw)
            if float(data["expires_at"]) <= time.time() + 60:
                return None
            return auth.TokenSet(data["access_token"], refresh_token, data.get("api_domain", ""),
                                 float(data["expires_at"]), data.get("accounts_server", ""))
        except (ValueError, KeyError, TypeError):
            return None

    # ------------------------------------------------------------------ what the accounts offer

    def organizations(self) -> list:
        books, _ = self.clients()
        return books.organizations()

    def lists(self) -> list:
        return self.clients()[1].lists()

    def topics(self) -> list:
        return self.clients()[1].topics()

    def campaigns_fields(self) -> list:
        return self.clients()[1].fields()

    def books_fields(self) -> list:
        """Standard customer fields plus the custom (cf_*) fields seen on the newest customers.

        Books documents no custom-field list for contacts, and leaves empty custom fields out of
        records (reference §2.4–2.5), so one page of customers (one call) is sampled, once.
        """
        with self._lock:
            if self._books_fields is None:
                books, _ = self.clients()
                seen: dict[str, str] = {}
                for page in books.iter_customer_pages():
                    for c in page.customers:
                        for key in c.custom:
                            seen.setdefault(key, key.removeprefix("cf_").replace("_", " ").title())
                    break
                custom = [dmapping.books_custom_field(k, label, None) for k, label in sorted(seen.items())]
                self._books_fields = [*dmapping.BOOKS_STANDARD_FIELDS, *custom]
            return list(self._books_fields)

    def gdpr_enabled(self) -> bool:
        """Detected: the account has a Lawful Basis field (its absence proves nothing)."""
        conn = self._require_connection()
        return bool(conn.gdpr_enabled)

    def consent(self) -> ConsentView:
        """The consent fields the API can set on this account (one contact/allfields read, cached)."""
        with self._lock:
            if self._consent is None:
                found = self.clients()[1].consent_fields()
                self._consent = ConsentView(found.subscription_type, found.lawful_basis)
            return self._consent

    # ------------------------------------------------------------------ the sync

    def sync(self) -> SyncView | None:
        with self.db.session() as s:
            sync = repo.get_sync(s)
            return self._sync_view(s, sync) if sync else None

    def _sync_view(self, s, sync: models.Sync) -> SyncView:
        rows = repo.mapping_rows(s, sync)
        labels = {f.key: f.label for f in dmapping.BOOKS_STANDARD_FIELDS}
        mapping = tuple(MappingView(r.books_field, labels.get(r.books_field, r.books_field), r.campaigns_field,
                                    r.new_field, r.locked) for r in sorted(rows, key=lambda r: r.position))
        last = repo.latest_run(s, sync.id)
        try:
            schedule_text = parse_schedule(sync.schedule_spec).describe()
        except ValueError:
            schedule_text = sync.schedule_spec
        return SyncView(
            id=sync.id, list_key=sync.list_key, list_name=sync.list_name,
            subscription_type=sync.subscription_type, topic_ids=tuple(sync.topic_ids or ()),
            topic_names=tuple(sync.topic_names or ()),
            lawful_basis=sync.lawful_basis, gdpr=sync.gdpr, opt_in_mode=sync.opt_in_mode or OPT_IN_UNKNOWN,
            update_empty=sync.update_empty, schedule_spec=sync.schedule_spec,
            schedule_text=schedule_text, paused=sync.paused, next_run_at=sync.next_run_at,
            last_run=_run_view(last) if last else None, mapping=mapping, created_at=sync.created_at)

    def mapping_problems(self, rows: Sequence[MappingRow]) -> list[RowProblem]:
        return validate_mapping(rows, self.books_fields(), self.campaigns_fields())

    def validate(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> list[str]:
        conn = self._require_connection()
        topics = self.topics()
        consent = self.consent()
        gdpr = bool(conn.gdpr_enabled) or bool(settings.gdpr)
        problems = validate_settings(settings, gdpr_enabled=gdpr, topic_count=len(topics),
                                     subscription_field=consent.can_set_subscription,
                                     lawful_basis_field=consent.can_set_lawful_basis)
        if settings.gdpr is False and conn.gdpr_enabled:
            problems.append("This Zoho Campaigns account has a Lawful Basis field, so GDPR compliance is on "
                            "there; leave the GDPR answer out.")
        known = {t.id for t in topics}
        problems += [f"Topic {t} does not exist in Zoho Campaigns." for t in settings.topic_ids if t not in known]
        lists = {m.key: m for m in self.lists()}
        if settings.list_key and settings.list_key not in lists:
            problems.append(f"The list {settings.list_name or settings.list_key} no longer exists in "
                            "Zoho Campaigns; choose another list.")
        problems += [f"Row {p.row + 1}: {p.message}" for p in self.mapping_problems(rows)]
        return problems

    def preview_initiate(self, settings: SyncSettings) -> InitiatePreview:
        """Customers this sync would add as Marketing contacts (R16), from one Books read."""
        from desktop_app.domain import emails

        books, _ = self.clients()
        total = 0
        keys: set[str] = set()
        for page in books.iter_customer_pages():
            for c in page.customers:
                total += 1
                verdict = emails.check(c.email)
                if verdict.ok and verdict.key:
                    keys.add(verdict.key)
        with self.db.session() as s:
            sync = repo.get_sync(s)
            known = repo.linked_email_keys(s, sync.id) if sync is not None else set()
        settable = self.consent().can_set_subscription
        # Without a Subscription Type field every contact arrives as Marketing, whatever was chosen.
        marketing = settings.subscription_type is SubscriptionType.MARKETING or not settable
        additions = len(keys - known) if marketing else 0
        arriving = SubscriptionType.MARKETING if marketing else settings.subscription_type
        return InitiatePreview(total, additions, arriving.value, settable)

    def _topic_names(self, topic_ids: Sequence[str]) -> list[str]:
        if not topic_ids:
            return []
        names = {t.id: t.name for t in self.topics()}
        return [names.get(t, t) for t in topic_ids]

    def _check(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> None:
        problems = self.validate(settings, rows)
        if problems:
            raise ServiceError("The sync cannot be saved: " + " ".join(problems), title="Fix the sync settings")

    def create_sync(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> SyncView:
        conn = self._require_connection()
        with self.db.session() as s:
            if repo.get_sync(s) is not None:
                raise ServiceError("A sync already exists. Only one sync can be set up; edit it instead.",
                                   title="Sync exists")
        self._check(settings, rows)
        now = _now()
        with self.db.session() as s:
            sync = models.Sync(
                connection_id=conn.id, list_key=settings.list_key, list_name=settings.list_name,
                subscription_type=settings.subscription_type.value, topic_ids=list(settings.topic_ids),
                topic_names=self._topic_names(settings.topic_ids),
                lawful_basis=settings.lawful_basis.value if settings.lawful_basis else None,
                gdpr=self._gdpr_answer(settings), opt_in_mode=OPT_IN_UNKNOWN,
                update_empty=settings.update_empty, schedule_spec=settings.schedule.spec, paused=False,
                mapping_version=1, mapping_fingerprint=dmapping.mapping_fingerprint(rows), created_at=now,
                updated_at=now, needs_full=True, next_run_at=None)
            repo.create_sync(s, sync)
            s.flush()
            repo.replace_mapping(s, sync, [(r.books_key, r.campaigns_field, r.new_field, r.locked) for r in rows])
            s.flush()
            return self._sync_view(s, sync)

    def edit_sync(self, settings: SyncSettings, rows: Sequence[MappingRow]) -> SyncView:
        self._check(settings, rows)
        with self.db.session() as s:
            sync = repo.get_sync(s)
            if sync is None:
                raise ServiceError("No sync is configured yet; create one first.", title="No sync")
            fingerprint = dmapping.mapping_fingerprint(rows)
            list_changed = settings.list_key != sync.list_key
            changed = (fingerprint != sync.mapping_fingerprint or settings.update_empty != sync.update_empty
                       or list_changed)
            if list_changed:
                # The state table describes the old list: nobody is in the new one yet, and whether
                # the new list sends confirmation emails (double opt-in) is not known yet.
                repo.reset_links_for_new_list(s, sync.id)
                sync.opt_in_mode = OPT_IN_UNKNOWN
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
                sync.next_run_at = next_run(settings.schedule, self.clock(), config.local_zone())
            sync.schedule_spec = settings.schedule.spec
            sync.updated_at = _now()
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
        return None if self.consent().can_set_lawful_basis else settings.gdpr

    def accept_double_opt_in(self) -> SyncView:
        """The user accepts that the list sends confirmation emails: the next run sends them to all."""
        with self.db.session() as s:
            sync = repo.get_sync(s)
            if sync is None:
                raise ServiceError("No sync is configured yet; create one first.", title="No sync")
            repo.set_opt_in_mode(s, sync, OPT_IN_ACCEPTED)
            return self._sync_view(s, sync)

    def run_sync(self, *, trigger: RunTrigger = RunTrigger.MANUAL, force_full: bool = False,
                 progress: Callable[[Progress], None] | None = None,
                 cancel: CancelToken | None = None) -> RunOutcome:
        if self.needs_reconnect():
            # R42: a run now would only fail and add a failed row; ask Zoho once whether the sign-in
            # works again (revoked by mistake and restored, a passing refusal).
            if self._sign_in_is_dead():
                raise ServiceError(RECONNECT_MESSAGE, title="Reconnect to Zoho", kind=ErrorKind.FAILED)
            self._clear_reconnect_needed()
        books, campaigns = self.clients()
        runner = SyncRun(RunState(self.db), books, campaigns, lock=RunLock(self.paths.run_lock_path),
                         trigger=trigger, force_full=force_full, progress=progress or (lambda p: None),
                         cancel=cancel, clock=self.clock)
        outcome = runner.execute()  # every API call is in the usage ledger before it is sent
        if outcome.status == RunStatus.FAILED and outcome.error == RECONNECT_MESSAGE:
            self.mark_reconnect_needed(outcome.run_id)  # R42: scheduled runs pause until a reconnect
        elif outcome.status == RunStatus.COMPLETED:
            self._clear_reconnect_needed()
        return outcome

    def _set_paused(self, paused: bool) -> SyncView:
        with self.db.session() as s:
            sync = repo.get_sync(s)
            if sync is None:
                raise ServiceError("No sync is configured yet; create one first.", title="No sync")
            sync.paused = paused
            sync.updated_at = _now()
            s.flush()
            return self._sync_view(s, sync)

    def pause(self) -> SyncView:
        return self._set_paused(True)

    def resume(self) -> SyncView:
        return self._set_paused(False)

    def is_due(self, now: datetime) -> bool:
        view = self.sync()
        if view is None or view.paused or view.needs_decision or self.needs_reconnect():
            # needs_reconnect (R42): each run would only fail again and add another failed row
            # waiting for a decision: each run would send one more customer a confirmation email
            return False
        return view.next_run_at is None or view.next_run_at <= now

    # ------------------------------------------------------------------ history

    def runs(self, limit: int = 200) -> list[RunView]:
        with self.db.session() as s:
            return [_run_view(r) for r in repo.runs_for(s, None, limit)]

    def export_skipped(self, path: Path, run_id: int | None = None) -> int:
        with self.db.session() as s:
            run = s.get(models.Run, run_id) if run_id is not None else repo.latest_run(s, None)
            if run is None:
                raise ServiceError("There is no sync run to export yet." if run_id is None
                                   else f"There is no run {run_id}.", title="Nothing to export")
            rows = repo.skipped_for(s, run.id)
            return write_skipped_csv(Path(path), rows, run.started_at)

    def notifications(self, unread_only: bool = False) -> list[NotificationView]:
        with self.db.session() as s:
            items = repo.unread_notifications(s) if unread_only else repo.all_notifications(s)
            return [NotificationView(n.id, n.run_id, n.sync_id, n.level, n.title, n.body, n.created_at, n.read)
                    for n in items]

    def unread_count(self) -> int:
        return len(self.notifications(unread_only=True))

    def mark_read(self, notification_id: int) -> None:
        with self.db.session() as s:
            repo.mark_read(s, notification_id)

    # ------------------------------------------------------------------ disable

    def disable(self, delete_history: bool) -> None:
        """R27: stop the schedule, remove sync + mapping, revoke and delete tokens; contacts stay."""
        conn = self._require_connection()
        refresh = self.secrets.get(conn.secret_key)
        if refresh:
            try:
                endpoints = (self._endpoints("sandbox", None) if conn.kind == "sandbox"
                             else config.Endpoints(conn.accounts_url, conn.books_url, conn.campaigns_url))
                secret = (config.SANDBOX_CLIENT_SECRET if conn.kind == "sandbox" else
                          self.secrets.get(session.client_secret_name(conn.client_id)) or "")
                auth.OAuthClient(endpoints.accounts, conn.client_id, secret).revoke(refresh)
            except ZohoError as exc:  # revoked already, or offline: deleting locally still disables
                log.warning("revoking the refresh token failed: %s", exc.title)
        for name in (conn.secret_key, session.access_token_name(conn.secret_key),
                     session.client_secret_name(conn.client_id)):
            self.secrets.delete(name)
        with self.db.session() as s:
            if delete_history:
                repo.delete_history(s)
            sync = repo.get_sync(s)
            if sync is not None:
                s.delete(sync)
            repo.delete_connection(s)
        self._clients = None
        self._consent = None

    # ------------------------------------------------------------------ sandbox only

    def simulate_activity(self, changes: int = 5) -> int:
        conn = self._require_connection()
        if conn.kind != "sandbox":
            raise ServiceError("Simulate activity works on the Sandbox only.", title="Sandbox only")
        from desktop_app.connectors.sandbox_admin import SandboxAdmin

        changed = SandboxAdmin(self.sandbox_url()).simulate(changes)
        return len(changed) if isinstance(changed, list | tuple) else int(changed)


# ====================================================================== helpers


@dataclass
class _PendingSignIn:
    """Signed in, organization not chosen yet (the org pop-up is open)."""

    kind: str
    dc: str | None
    signed_in: session.Connection
    client_secret: str
    orgs: list
    limiter: Limiter


def _now() -> datetime:
    return datetime.now(UTC)


def _connection_info(conn: models.Connection) -> ConnectionInfo:
    return ConnectionInfo(conn.kind, conn.data_center, conn.org_id, conn.org_name, conn.books_owner_email,
                          conn.campaigns_owner_email, conn.user_email, bool(conn.gdpr_enabled),
                          conn.reconnect_needed_at is not None)


def _run_view(run: models.Run) -> RunView:
    counts = RunCounts(added=run.added or 0, updated=run.updated or 0, unchanged=run.unchanged or 0,
                       skipped=run.skipped or 0, awaiting=run.awaiting or 0)
    return RunView(run.id, run.kind, run.trigger, run.status, run.started_at, run.finished_at, counts,
                   run.estimated_total, run.error_message, run.resume_at, run.calls_books or 0,
                   run.calls_campaigns or 0, tuple(run.notes or ()))
