"""Factories that build the connectors for one connection (Zoho or the Sandbox)."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app import config
from desktop_app.connectors.auth import OAuthClient, TokenManager, TokenSet, sign_in_auto_approve
from desktop_app.connectors.books import BooksClient, books_family
from desktop_app.connectors.campaigns import CampaignsClient, campaigns_family
from desktop_app.connectors.http import HttpService, TokenProvider
from desktop_app.connectors.limiter import Limiter
from desktop_app.connectors.secrets import SecretStore
from desktop_app.domain.limits import parse_limits_mode

REFRESH_TOKEN_SECRET = "refresh_token"
CLIENT_SECRET_SECRET = "client_secret"


def secret_name(kind: str, connection_id: object) -> str:
    """Keyring entry name of one connection's secret (e.g. ``refresh_token/3``)."""
    return f"{kind}/{connection_id}"


def limiter_for(limits: str = "on", *, books_plan: str | None = None) -> Limiter:
    """A limiter from a limits mode (``on`` | ``off`` | ``scale=K``, as the Sandbox's config)."""
    enabled, scale = parse_limits_mode(limits)
    limiter = Limiter(scale=scale, enabled=enabled)
    if books_plan:
        limiter.set_books_plan(books_plan)
    return limiter


def build_clients(endpoints: config.Endpoints, org_id: str, tokens: TokenProvider, *,
                  limiter: Limiter, timeout: tuple[float, float] = (5, 30),
                  retries: int = 4) -> tuple[BooksClient, CampaignsClient]:
    """Books + Campaigns clients sharing one limiter and one token provider."""
    books_http = HttpService(endpoints.books, tokens=tokens, limiter=limiter, family_of=books_family,
                             limit_key=org_id, timeout=timeout, retries=retries, name="books")
    campaigns_http = HttpService(endpoints.campaigns, tokens=tokens, limiter=limiter,
                                 family_of=campaigns_family, timeout=timeout, retries=retries,
                                 name="campaigns")
    return BooksClient(books_http, org_id), CampaignsClient(campaigns_http)


def endpoints_after_sign_in(endpoints: config.Endpoints, tokens: TokenSet) -> config.Endpoints:
    """Follow the user's data center (callback accounts-server, token api_domain) unless overridden.

    Overridden endpoints (R6: settings/env, the Sandbox) are kept as they are.
    """
    chosen = config.data_center_for_accounts_server(endpoints.accounts)
    actual = config.data_center_for_accounts_server(tokens.accounts_server)
    if chosen is None or actual is None or endpoints != config.resolve_endpoints(chosen.code, env={}):
        return endpoints
    books = (tokens.api_domain.rstrip("/") + config.BOOKS_PATH) if tokens.api_domain else actual.books_base
    return config.Endpoints(actual.accounts_url, books, actual.campaigns_base)


@dataclass
class Connection:
    """What a signed-in connection needs at run time."""

    endpoints: config.Endpoints
    oauth: OAuthClient
    tokens: TokenManager
    email: str

    @property
    def refresh_token(self) -> str:
        return self.tokens._refresh_token

    def clients(self, org_id: str, limiter: Limiter) -> tuple[BooksClient, CampaignsClient]:
        return build_clients(self.endpoints, org_id, self.tokens, limiter=limiter)


def connect_sandbox(url: str, *, limiter: Limiter | None = None) -> Connection:
    """"Connect to sandbox": the real OAuth flow, auto-approved, against the Sandbox at ``url``."""
    endpoints = config.Endpoints.for_server(url)
    oauth = OAuthClient(endpoints.accounts, config.SANDBOX_CLIENT_ID, config.SANDBOX_CLIENT_SECRET)
    token_set = sign_in_auto_approve(oauth)
    return _connection(endpoints, oauth, token_set, limiter)


def connect_with_tokens(endpoints: config.Endpoints, oauth: OAuthClient, token_set: TokenSet, *,
                        limiter: Limiter | None = None) -> Connection:
    """After any sign-in (browser, Self Client code): follow the data center, read the email."""
    endpoints = endpoints_after_sign_in(endpoints, token_set)
    if endpoints.accounts != oauth.accounts_url:
        oauth = oauth.at(endpoints.accounts)
    return _connection(endpoints, oauth, token_set, limiter)


def _connection(endpoints: config.Endpoints, oauth: OAuthClient, token_set: TokenSet,
                limiter: Limiter | None) -> Connection:
    assert token_set.refresh_token, "a sign-in always yields a refresh token"
    tokens = TokenManager(oauth, token_set.refresh_token, initial=token_set, limiter=limiter)
    email = oauth.user_email(tokens.access_token())
    return Connection(endpoints, oauth, tokens, email)


def restore(endpoints: config.Endpoints, client_id: str, client_secret: str, refresh_token: str, *,
            limiter: Limiter | None = None) -> TokenManager:
    """A token manager from stored secrets (the next access token comes from a refresh)."""
    return TokenManager(OAuthClient(endpoints.accounts, client_id, client_secret), refresh_token,
                        limiter=limiter)


def store_secrets(store: SecretStore, connection_id: object, refresh_token: str,
                  client_secret: str | None = None) -> None:
    store.set(secret_name(REFRESH_TOKEN_SECRET, connection_id), refresh_token)
    if client_secret:
        store.set(secret_name(CLIENT_SECRET_SECRET, connection_id), client_secret)
