"""The client factory: Books and Campaigns clients for the connection, sharing one limiter whose
every call is recorded in the database's usage ledger, and the cached access token."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from desktop_app import config
from desktop_app.app.context import Context
from desktop_app.app.errors import ServiceError
from desktop_app.app.sandbox_host import SandboxHost
from desktop_app.connectors import auth, session
from desktop_app.connectors.limiter import Limiter, restore_usage
from desktop_app.connectors.session import build_clients
from desktop_app.store import models, repo

log = logging.getLogger(__name__)


class ClientFactory:
    def __init__(self, ctx: Context, sandbox: SandboxHost, limiter: Limiter | None = None) -> None:
        self.ctx = ctx
        self.sandbox = sandbox
        self.injected = limiter  # tests and benchmarks inject one; else chosen per connection
        self._clients = None  # (books, campaigns, limiter) for the current connection
        self._ledgers: dict[float, object] = {}  # the usage ledger per limiter scale (store/usage.py)

    # ------------------------------------------------------------------ limiters

    def sandbox_limiter(self, url: str) -> Limiter:
        if self.injected is not None:
            return self.injected
        enabled, scale = self.sandbox.limits(url)
        return self.shared(Limiter(scale=scale, enabled=enabled))

    def zoho_limiter(self) -> Limiter:
        return self.injected or self.shared(Limiter())

    def shared(self, limiter: Limiter) -> Limiter:
        """A limiter of ours recording every call in the database's usage ledger (shared by every
        process of the app), after taking in the usage file of an older version once."""
        from desktop_app.store.usage import SqlUsageLedger

        if self.ctx.db.read_only:
            return limiter  # nothing can run on a read-only database; views need no ledger
        with self.ctx.lock:
            ledger = self._ledgers.get(limiter.scale)
            if ledger is None:
                ledger = self._ledgers[limiter.scale] = SqlUsageLedger(self.ctx.db.path, scale=limiter.scale)
        limiter.attach(ledger)
        restore_usage(limiter, self.usage_path)  # a damaged file: a warning, usage unknown
        return limiter

    @property
    def usage_path(self) -> Path:
        """Where older versions kept API usage (now in the database's ledger); taken in once."""
        return self.ctx.paths.data_dir / "api-usage.json"

    @property
    def limiter(self) -> Limiter | None:
        """The current connection's limiter, once its clients are built."""
        return self._clients[2] if self._clients is not None else None

    # ------------------------------------------------------------------ clients

    def clients(self, connection: Callable[[], models.Connection]):
        """(books, campaigns) for the connected organization, built once."""
        with self.ctx.lock:
            if self._clients is not None:
                return self._clients[:2]
            conn = connection()
            endpoints = (self.sandbox.endpoints("sandbox", None) if conn.kind == "sandbox"
                         else config.Endpoints(conn.accounts_url, conn.books_url, conn.campaigns_url))
            refresh = self.ctx.secrets.get(conn.secret_key)
            if not refresh:
                raise ServiceError("The saved sign-in for Zoho is missing from the keyring. Disable the "
                                   "integration and connect again.", title="Reconnect to Zoho")
            oauth = auth.OAuthClient(endpoints.accounts, conn.client_id, self.client_secret(conn))
            initial = self._cached_access(conn.secret_key, refresh)
            secret_key = conn.secret_key
            limiter = (self.sandbox_limiter(endpoints.accounts) if conn.kind == "sandbox"
                       else self.zoho_limiter())
            # One limiter for API calls and token refreshes, both recorded in the shared ledger.
            manager = auth.TokenManager(oauth, refresh, initial=initial, limiter=limiter,
                                        on_refresh=lambda fresh: self.cache_access(secret_key, fresh))
            books, campaigns = build_clients(endpoints, conn.org_id, manager, limiter=limiter)
            if self.injected is None:  # an injected limiter (tests, benchmarks) keeps its own plan
                limiter.set_books_plan(self._books_plan(conn, books))
            self._clients = (books, campaigns, limiter)
            return books, campaigns

    def client_secret(self, conn: models.Connection) -> str:
        if conn.kind == "sandbox":
            return config.SANDBOX_CLIENT_SECRET
        return self.ctx.secrets.get(session.client_secret_name(conn.client_id)) or \
            self.ctx.env_value(config.ENV_CLIENT_SECRET)

    def reset(self) -> None:
        """A new or replaced sign-in: the next call builds new clients."""
        self._clients = None

    def _books_plan(self, conn: models.Connection, books) -> str:
        """The organization's plan_name (its daily cap); read once for connections made before it was kept."""
        if conn.books_plan is not None:
            return conn.books_plan
        org = next((o for o in books.organizations() if str(o.org_id) == str(conn.org_id)), None)
        plan = org.plan_name if org is not None else ""
        with self.ctx.db.session() as s:
            stored = repo.get_connection(s)
            if stored is not None:
                stored.books_plan = plan
        return plan

    # ------------------------------------------------------------------ the access token cache

    def cache_access(self, secret_key: str, tokens) -> None:
        """Keep the access token (a secret: keyring/0600 file only) so each CLI call needs no refresh."""
        try:
            self.ctx.secrets.set(session.access_token_name(secret_key), json.dumps(
                {"access_token": tokens.access_token, "api_domain": tokens.api_domain,
                 "expires_at": tokens.expires_at, "accounts_server": tokens.accounts_server}))
        except Exception:  # the cache is an optimisation only
            log.warning("could not cache the access token")

    def _cached_access(self, secret_key: str, refresh_token: str):
        raw = self.ctx.secrets.get(session.access_token_name(secret_key))
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

    def close(self) -> None:
        with self.ctx.lock:
            for ledger in self._ledgers.values():
                ledger.close()
            self._ledgers.clear()
