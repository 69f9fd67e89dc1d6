"""Accounts: signing in (Sandbox, Zoho by browser or Self Client code), choosing the organization
(R3, R4), reconnecting a dead sign-in (R42), what the accounts offer (organizations, lists,
topics, fields, consent fields) and disabling the integration (R27)."""

from __future__ import annotations

import logging
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass

from desktop_app import config
from desktop_app.app.clients import ClientFactory
from desktop_app.app.context import Context, utc_now
from desktop_app.app.errors import ServiceError
from desktop_app.app.sandbox_host import SandboxHost
from desktop_app.app.views import ConnectionInfo, ConsentView, connection_info, owner_warning
from desktop_app.connectors import auth, session, signin
from desktop_app.connectors.errors import AuthExpired, ZohoError
from desktop_app.connectors.limiter import Limiter
from desktop_app.domain import mapping as dmapping
from desktop_app.engine.outcome import RECONNECT_MESSAGE
from desktop_app.store import models, repo

log = logging.getLogger(__name__)

# How long the account's catalogue (lists, topics, fields) read from Zoho is reused.
CATALOGUE_SECONDS = 30.0


@dataclass
class _PendingSignIn:
    """Signed in, organization not chosen yet (the org pop-up is open)."""

    kind: str
    dc: str | None
    signed_in: session.SignedIn
    client_secret: str
    orgs: list
    limiter: Limiter


class Accounts:
    def __init__(self, ctx: Context, sandbox: SandboxHost, factory: ClientFactory) -> None:
        self.ctx = ctx
        self.sandbox = sandbox
        self.factory = factory
        self._pending: _PendingSignIn | None = None
        self._books_fields: list | None = None
        self._consent: ConsentView | None = None
        self._catalogue_cache: dict[str, tuple[float, list]] = {}

    def clients(self):
        """(books, campaigns) for the connected organization."""
        return self.factory.clients(self.require_connection)

    def connection(self) -> ConnectionInfo | None:
        with self.ctx.db.session() as s:
            conn = repo.get_connection(s)
            return connection_info(conn) if conn else None

    def require_connection(self) -> models.Connection:
        with self.ctx.db.session() as s:
            conn = repo.get_connection(s)
            if conn is None:
                raise ServiceError("No Zoho Books organization is connected yet. Connect the Sandbox or "
                                   "a Zoho account first (desktop-app connect sandbox).",
                                   title="Not connected")
            s.expunge(conn)
            return conn

    def refuse_if_connected(self, *, reconnect: bool = False) -> None:
        """Refuse a second sign-in while connected; with ``reconnect``, a sign-in Zoho no longer
        accepts (R42) may be replaced, by one to the same organization (checked at the choice)."""
        info = self.connection()
        if info is not None and reconnect and (info.needs_reconnect or self.sign_in_is_dead()):
            return
        if info is not None:
            raise ServiceError(
                f"The organization “{info.org_name}” is already connected. Only one Zoho Books "
                "organization can be connected at a time: disable the current integration first "
                "(Settings → Integrations → Apps → Zoho Books → Deny).",
                title="Already connected")

    def sign_in_is_dead(self) -> bool:
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
        with self.ctx.db.session() as s:
            conn = repo.get_connection(s)
            if conn is None or conn.reconnect_needed_at is not None:
                return
            conn.reconnect_needed_at = utc_now()
            latest = repo.all_notifications(s, limit=1)
            if run_id is None or not latest or latest[0].run_id != run_id:
                sync = repo.get_sync(s)
                repo.add_notification(s, models.Notification(
                    run_id=run_id, sync_id=sync.id if sync else None, level="error",
                    title="Reconnect to Zoho", body=RECONNECT_MESSAGE + " Scheduled runs wait until then.",
                    created_at=utc_now(), read=False))

    def clear_reconnect_needed(self) -> None:
        with self.ctx.db.session() as s:
            conn = repo.get_connection(s)
            if conn is not None and conn.reconnect_needed_at is not None:
                conn.reconnect_needed_at = None

    def needs_reconnect(self) -> bool:
        info = self.connection()
        return info is not None and info.needs_reconnect

    def sign_in_sandbox(self) -> list:
        """The Sandbox's sign-in: the real OAuth flow, auto-approved (no browser)."""
        self.refuse_if_connected(reconnect=True)
        url = self.sandbox.url()
        limiter = self.factory.sandbox_limiter(url)
        signed_in = session.connect_sandbox(url, limiter=limiter)
        return self._after_sign_in("sandbox", None, signed_in, config.SANDBOX_CLIENT_SECRET, limiter)

    def sign_in_zoho(self, dc: str, client_id: str, client_secret: str, *, code: str | None = None,
                     open_url: Callable[[str], object] = webbrowser.open,
                     cancel: threading.Event | None = None) -> list:
        """Browser + loopback (PKCE, state), or a Self Client grant ``code`` pasted by the user."""
        self.refuse_if_connected(reconnect=True)
        client_id, client_secret = client_id.strip(), client_secret.strip()
        if not client_id:
            raise ServiceError("Enter the Client ID of your Zoho API Console client.", title="Client ID missing")
        if not client_secret:
            raise ServiceError("Enter the client secret (or set DESKTOP_APP_CLIENT_SECRET).",
                               title="Client secret missing")
        endpoints = self.sandbox.endpoints("zoho", dc)
        oauth = auth.OAuthClient(endpoints.accounts, client_id, client_secret)
        if code:
            tokens = signin.sign_in_with_code(oauth, code)
        else:
            tokens = signin.sign_in_browser(oauth, open_url=open_url, cancel=cancel)
        if not tokens.refresh_token:
            raise ServiceError("Zoho did not hand out a refresh token; sign in again and approve offline "
                               "access.", title="Sign-in incomplete")
        limiter = self.factory.zoho_limiter()
        signed_in = session.connect_with_tokens(endpoints, oauth, tokens, limiter=limiter)
        return self._after_sign_in("zoho", dc.upper(), signed_in, client_secret, limiter)

    def sign_in_again(self, *, open_url: Callable[[str], object] = webbrowser.open,
                      cancel: threading.Event | None = None) -> list:
        """R42: the same sign-in as the connection's (Sandbox, or Zoho with its saved client), for a
        reconnect; then ``choose_organization`` with the connected organization."""
        conn = self.require_connection()
        if conn.kind == "sandbox":
            return self.sign_in_sandbox()
        secret = self.ctx.secrets.get(session.client_secret_name(conn.client_id)) or \
            self.ctx.env_value(config.ENV_CLIENT_SECRET)
        return self.sign_in_zoho(conn.data_center or "US", conn.client_id, secret, open_url=open_url,
                                 cancel=cancel)

    def _after_sign_in(self, kind: str, dc: str | None, signed_in: session.SignedIn, client_secret: str,
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
        self.refuse_if_connected()
        signed_in = pending.signed_in
        books_owner = (org.email or "").strip()
        # The signed-in user is taken as the Campaigns account's owner (docs/wire-contract.md).
        campaigns_owner = (signed_in.email or "").strip()
        warning = owner_warning(org.name, books_owner, campaigns_owner)
        if warning:
            log.warning("R3: %s", warning)
        client_id = signed_in.oauth.client_id
        secret_key = session.refresh_token_name(pending.kind, org.org_id)
        self.ctx.secrets.set(secret_key, signed_in.refresh_token)
        if signed_in.tokens.token_set is not None:
            self.factory.cache_access(secret_key, signed_in.tokens.token_set)
        if pending.kind == "zoho":
            self.ctx.secrets.set(session.client_secret_name(client_id), pending.client_secret)
        _, campaigns = signed_in.clients(str(org.org_id), pending.limiter)
        # Detected (a Lawful Basis field); False = not seen. Zoho's passing trouble is retried.
        gdpr = bool(signed_in.oauth.patiently(campaigns.gdpr_enabled))
        endpoints = signed_in.endpoints
        with self.ctx.db.session() as s:
            conn = models.Connection(
                kind=pending.kind, data_center=pending.dc, accounts_url=endpoints.accounts,
                books_url=endpoints.books, campaigns_url=endpoints.campaigns, client_id=client_id,
                org_id=str(org.org_id), org_name=org.name, org_time_zone=org.time_zone,
                books_owner_email=books_owner, campaigns_owner_email=campaigns_owner,
                user_email=signed_in.email, gdpr_enabled=gdpr, books_plan=org.plan_name or "",
                secret_key=secret_key, created_at=utc_now())
            repo.save_connection(s, conn)
            info = connection_info(conn)
        self._pending = None
        self.factory.reset()
        self.forget_catalogue()
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
        with self.ctx.db.session() as s:
            conn = repo.get_connection(s)
            secret_key = conn.secret_key
            replaced = self.ctx.secrets.get(secret_key)
            self.ctx.secrets.set(secret_key, signed_in.refresh_token)
            self.ctx.secrets.delete(session.access_token_name(secret_key))
            if signed_in.tokens.token_set is not None:
                self.factory.cache_access(secret_key, signed_in.tokens.token_set)
            if pending.kind == "zoho":
                self.ctx.secrets.set(session.client_secret_name(client_id), pending.client_secret)
            endpoints = signed_in.endpoints
            conn.client_id = client_id
            conn.accounts_url, conn.books_url, conn.campaigns_url = (endpoints.accounts, endpoints.books,
                                                                     endpoints.campaigns)
            conn.user_email = signed_in.email
            conn.reconnect_needed_at = None
            s.flush()
            info = connection_info(conn)
        log.info("R42: reconnected organization %s", info.org_id)
        if replaced and replaced != signed_in.refresh_token:
            self._revoke_replaced(signed_in.oauth, replaced)
        self._pending = None
        self.factory.reset()
        self.forget_catalogue()
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
            with self.ctx.db.session() as s:
                sync = repo.get_sync(s)
                repo.add_notification(s, models.Notification(
                    sync_id=sync.id if sync else None, level="warning", title="Old sign-in still active",
                    body=("The sign-in this reconnect replaced could not be revoked "
                          f"({exc.message}). Zoho keeps at most 20 sign-ins per API client and deletes "
                          "the oldest beyond that, so a forgotten one can end a sign-in you still use: "
                          "revoke it at accounts.zoho.com → Security → Connected Apps."),
                    created_at=utc_now(), read=False))

    # ------------------------------------------------------------------ what the accounts offer

    def organizations(self) -> list:
        books, _ = self.clients()
        return books.organizations()

    def lists(self) -> list:
        return self._catalogue("lists", lambda: self.clients()[1].lists())

    def topics(self) -> list:
        return self._catalogue("topics", lambda: self.clients()[1].topics())

    def campaigns_fields(self) -> list:
        return self._catalogue("fields", lambda: self.clients()[1].fields())

    def _catalogue(self, name: str, fetch):
        """The account's lists, topics and fields, read once per ``CATALOGUE_SECONDS``: checking a
        sync, showing the disclaimer and saving it read the catalogue once, not three times."""
        with self.ctx.lock:
            found = self._catalogue_cache.get(name)
            if found is not None and time.monotonic() - found[0] < CATALOGUE_SECONDS:
                return list(found[1])
        value = fetch()
        with self.ctx.lock:
            self._catalogue_cache[name] = (time.monotonic(), list(value))
        return list(value)

    def forget_catalogue(self, *names: str) -> None:
        """Read the catalogue afresh: all of it after a change of connection, ``names`` (e.g.
        "fields" after a run, which may have created fields) otherwise."""
        with self.ctx.lock:
            if names:
                for name in names:
                    self._catalogue_cache.pop(name, None)
                return
            self._catalogue_cache.clear()
            self._consent = None

    def books_fields(self) -> list:
        """Standard customer fields plus the custom (cf_*) fields seen on the newest customers.

        Books documents no custom-field list for contacts, and leaves empty custom fields out of
        records (reference §2.4–2.5), so one page of customers (one call) is sampled, once.
        """
        with self.ctx.lock:
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
        conn = self.require_connection()
        return bool(conn.gdpr_enabled)

    def consent(self) -> ConsentView:
        """The consent fields the API can set on this account (one contact/allfields read, cached)."""
        with self.ctx.lock:
            if self._consent is None:
                self.campaigns_fields()  # the same contact/allfields read names the consent fields
                found = self.clients()[1].consent_fields()
                self._consent = ConsentView(found.subscription_type, found.lawful_basis)
            return self._consent

    def disable(self, delete_history: bool) -> None:
        """R27: stop the schedule, remove sync + mapping, revoke and delete tokens; contacts stay."""
        conn = self.require_connection()
        refresh = self.ctx.secrets.get(conn.secret_key)
        if refresh:
            try:
                endpoints = (self.sandbox.endpoints("sandbox", None) if conn.kind == "sandbox"
                             else config.Endpoints(conn.accounts_url, conn.books_url, conn.campaigns_url))
                secret = (config.SANDBOX_CLIENT_SECRET if conn.kind == "sandbox" else
                          self.ctx.secrets.get(session.client_secret_name(conn.client_id)) or "")
                auth.OAuthClient(endpoints.accounts, conn.client_id, secret).revoke(refresh)
            except ZohoError as exc:  # revoked already, or offline: deleting locally still disables
                log.warning("revoking the refresh token failed: %s", exc.title)
        for name in (conn.secret_key, session.access_token_name(conn.secret_key),
                     session.client_secret_name(conn.client_id)):
            self.ctx.secrets.delete(name)
        with self.ctx.db.session() as s:
            if delete_history:
                repo.delete_history(s)
            sync = repo.get_sync(s)
            if sync is not None:
                s.delete(sync)
            repo.delete_connection(s)
        self.factory.reset()
        self.forget_catalogue()

    def simulate_activity(self, changes: int = 5) -> int:
        conn = self.require_connection()
        if conn.kind != "sandbox":
            raise ServiceError("Simulate activity works on the Sandbox only.", title="Sandbox only")
        return self.sandbox.simulate(changes)
