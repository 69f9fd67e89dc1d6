"""Factories that build the connectors for one connection (Zoho or the Sandbox)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from desktop_app import config
from desktop_app.connectors.auth import OAuthClient, SignInInterrupted, TokenManager, TokenSet
from desktop_app.connectors.books import BooksClient, books_family
from desktop_app.connectors.campaigns import CampaignsClient, campaigns_family
from desktop_app.connectors.errors import Unavailable
from desktop_app.connectors.http import HttpService, TokenProvider
from desktop_app.connectors.limiter import Limiter
from desktop_app.connectors.signin import ScopeCheck, check_scopes, sign_in_auto_approve

log = logging.getLogger(__name__)

# Names of a connection's entries in the secret store (the database keeps only the name).


def refresh_token_name(kind: str, org_id: str) -> str:
    return f"zoho-refresh-{kind}-{org_id}"


def access_token_name(refresh_name: str) -> str:
    """The cached access token beside a refresh token (so each CLI call needs no refresh)."""
    return f"{refresh_name}.access"


def client_secret_name(client_id: str) -> str:
    return f"zoho-client-secret-{client_id}"


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
class SignedIn:
    """A sign-in, just made: the endpoints, the OAuth client, the tokens and who signed in (the
    stored connection is `store.models.Connection`; what the views show, `app.views.ConnectionInfo`)."""

    endpoints: config.Endpoints
    oauth: OAuthClient
    tokens: TokenManager
    email: str
    scopes: ScopeCheck | None = None  # what the probe after the code exchange found

    @property
    def refresh_token(self) -> str:
        return self.tokens._refresh_token

    def clients(self, org_id: str, limiter: Limiter) -> tuple[BooksClient, CampaignsClient]:
        return build_clients(self.endpoints, org_id, self.tokens, limiter=limiter)


# The Sandbox's sign-in needs no person, so a flow Zoho's trouble broke is simply done again.
SANDBOX_SIGN_IN_ATTEMPTS = 3


def connect_sandbox(url: str, *, limiter: Limiter | None = None) -> SignedIn:
    """"Connect to sandbox": the real OAuth flow, auto-approved, against the Sandbox at ``url``.

    Each step retries transient failures; when the code exchange lost its code to a server error
    (``SignInInterrupted``) or the sign-in server stayed unavailable, the whole flow runs again
    (a person would be asked to sign in again).
    """
    endpoints = config.Endpoints.for_server(url)
    oauth = OAuthClient(endpoints.accounts, config.SANDBOX_CLIENT_ID, config.SANDBOX_CLIENT_SECRET)
    for attempt in range(SANDBOX_SIGN_IN_ATTEMPTS):
        try:
            token_set = sign_in_auto_approve(oauth)
            break
        except (SignInInterrupted, Unavailable):
            if attempt + 1 >= SANDBOX_SIGN_IN_ATTEMPTS:
                raise
            log.info("the Sandbox sign-in was interrupted by a server failure; signing in again")
    return _connection(endpoints, oauth, token_set, limiter)


def connect_with_tokens(endpoints: config.Endpoints, oauth: OAuthClient, token_set: TokenSet, *,
                        limiter: Limiter | None = None) -> SignedIn:
    """After any sign-in (browser, Self Client code): follow the data center, read the email."""
    endpoints = endpoints_after_sign_in(endpoints, token_set)
    if endpoints.accounts != oauth.accounts_url:
        oauth = oauth.at(endpoints.accounts)
    return _connection(endpoints, oauth, token_set, limiter)


def _connection(endpoints: config.Endpoints, oauth: OAuthClient, token_set: TokenSet,
                limiter: Limiter | None) -> SignedIn:
    assert token_set.refresh_token, "a sign-in always yields a refresh token"
    # Right after the code exchange: probe the granted scopes with the fresh access token (no
    # refresh) and name every missing one in one AuthError.
    found = check_scopes(oauth, token_set.access_token, books_url=endpoints.books,
                         campaigns_url=endpoints.campaigns)
    tokens = TokenManager(oauth, token_set.refresh_token, initial=token_set, limiter=limiter)
    email = found.email or oauth.user_email(tokens.access_token())
    return SignedIn(endpoints, oauth, tokens, email, found)
