"""Zoho Accounts OAuth 2.0: PKCE sign-in through a loopback redirect, Self Client codes,
token refresh (rate-limited, one at a time), revoke and the signed-in user's email.

The same code talks to real Zoho and to the Sandbox; only ``accounts_url`` differs.
Tokens never appear in logs, exception messages or ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

import requests

from desktop_app.connectors import errors as _errors
from desktop_app.connectors.errors import (
    AuthError,
    AuthExpired,
    RateLimited,
    Unavailable,
    ZohoError,
    classify,
    error_from_exception,
    is_transient,
    retry_transient,
    trouble_message,
)
from desktop_app.connectors.limiter import Limiter

log = logging.getLogger(__name__)

T = TypeVar("T")

# The minimum the app needs, in one place: read customers and organizations in Books, read and
# write contacts/fields in Campaigns, and read the user's profile (email, for SPEC R3).
SCOPES: tuple[str, ...] = (
    "ZohoBooks.contacts.READ",
    "ZohoBooks.settings.READ",
    "ZohoCampaigns.contact.ALL",
    "AaaServer.profile.READ",
)

# What a Self Client grant code must be generated with (API Console → Self Client → Scope): the
# error sentence after a code exchange and the CLI help both show this one text.
SELF_CLIENT_SCOPES = ",".join(SCOPES)
SCOPE_HINT = f"Self Client: generate the code with the scopes {SELF_CLIENT_SCOPES}"
# A token answer's expires_in above a day cannot be seconds: some Zoho services send ms.
MAX_EXPIRES_SECONDS = 86_400.0

# A code exchange retried after a server error the server may have applied finds the code used.
CODE_LOST_MESSAGE = ("Zoho had trouble completing the sign-in (a server error, then the sign-in code was "
                     "no longer valid); sign in again.")

TOKEN_FAMILY = "accounts.token"
REFRESH_EARLY = 300.0  # refresh this many seconds before the access token expires
SIGN_IN_TIMEOUT = 300.0


# --------------------------------------------------------------------------- PKCE


def new_code_verifier() -> str:
    """RFC 7636 verifier: 43–128 characters of [A-Za-z0-9-._~] (here 64)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(24)


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    api_domain: str
    expires_at: float  # time.time() seconds
    accounts_server: str

    def __repr__(self) -> str:
        return (f"TokenSet(access_token=***, refresh_token={'***' if self.refresh_token else None}, "
                f"api_domain={self.api_domain!r}, expires_at={self.expires_at!r}, "
                f"accounts_server={self.accounts_server!r})")

    __str__ = __repr__


class SignInInterrupted(AuthError):
    """The code exchange failed on Zoho's side and its retry found the code used: sign in again."""

    title = "Zoho had trouble"

    def __init__(self, message: str = CODE_LOST_MESSAGE) -> None:
        super().__init__(message)


def _sign_in_trouble(exc: ZohoError) -> Unavailable:
    """The last transient failure of a sign-in step, said as Zoho's trouble (never the client's)."""
    if exc.message.startswith("Zoho is having trouble"):
        return exc if isinstance(exc, Unavailable) else Unavailable(exc.message)
    detail = "no answer in time" if "in time" in exc.message else (
        "could not be reached" if "reach" in exc.message else "it did not answer properly")
    return Unavailable(trouble_message(detail))


class OAuthClient:
    """One registered OAuth client at one accounts server.

    Every call retries transient failures (5xx, timeouts, malformed answers, 429) with backoff
    (``retry_delays``, default ``errors.RETRY_DELAYS``).
    """

    def __init__(self, accounts_url: str, client_id: str, client_secret: str, *,
                 session: requests.Session | None = None, timeout: tuple[float, float] = (5, 30),
                 clock: Callable[[], float] = time.time, retry_delays: tuple[float, ...] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.accounts_url = accounts_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.session = session or requests.Session()
        self.timeout = timeout
        self.clock = clock
        self.retry_delays = retry_delays
        self.sleep = sleep

    def patiently(self, fn: Callable[[], T]) -> T:
        """``fn()`` with this client's retries of transient failures."""
        return retry_transient(fn, delays=self.retry_delays, sleep=self.sleep)

    def __repr__(self) -> str:
        return f"OAuthClient({self.accounts_url!r}, client_id={self.client_id!r})"

    def at(self, accounts_url: str) -> OAuthClient:
        """The same client at another accounts server (the callback's ``accounts-server``)."""
        return OAuthClient(accounts_url, self.client_id, self._client_secret, session=self.session,
                           timeout=self.timeout, clock=self.clock, retry_delays=self.retry_delays,
                           sleep=self.sleep)

    def authorization_url(self, redirect_uri: str, state: str, code_challenge: str) -> str:
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": ",".join(SCOPES), "state": state, "access_type": "offline",
            "prompt": "consent", "code_challenge": code_challenge, "code_challenge_method": "S256",
        })
        return f"{self.accounts_url}/oauth/v2/auth?{query}"

    def _post(self, path: str, data: dict[str, str]) -> dict:
        try:
            resp = self.session.post(self.accounts_url + path, data=data, timeout=self.timeout)
        except requests.RequestException as exc:
            raise error_from_exception(exc) from None
        answer = classify(resp.status_code, resp.text, resp.headers, family=TOKEN_FAMILY)
        log.info("accounts POST %s -> %s %s", path, resp.status_code,
                 type(answer.error).__name__ if answer.error else "ok")
        if answer.error is not None:
            raise answer.error
        return answer.body or {}

    def _token_set(self, body: dict, refresh_token: str | None) -> TokenSet:
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise Unavailable("Zoho's sign-in server answered without an access token; try again later.")
        expires_in = token_lifetime(body)
        return TokenSet(access, body.get("refresh_token") or refresh_token,
                        str(body.get("api_domain") or ""), self.clock() + expires_in, self.accounts_url)

    def exchange_code(self, code: str, *, redirect_uri: str | None,
                      code_verifier: str | None) -> TokenSet:
        """Grant code → tokens. Self Client codes have no redirect URI and no verifier."""
        data = {"grant_type": "authorization_code", "client_id": self.client_id,
                "client_secret": self._client_secret, "code": code}
        if redirect_uri:
            data["redirect_uri"] = redirect_uri
        if code_verifier:
            data["code_verifier"] = code_verifier
        troubled: list[ZohoError] = []  # transient failures so far: the server may have used the code

        def attempt() -> dict:
            try:
                return self._post("/oauth/v2/token", data)
            except ZohoError as exc:
                if is_transient(exc):
                    troubled.append(exc)
                raise

        try:
            body = self.patiently(attempt)
        except AuthExpired:
            if troubled:
                raise SignInInterrupted() from None
            raise AuthError("Zoho did not accept the sign-in code (it may have expired or been used "
                            "already). Sign in again.") from None
        except ZohoError as exc:
            if is_transient(exc):
                raise _sign_in_trouble(exc) from None
            raise
        tokens = self._token_set(body, None)
        if not tokens.refresh_token:
            raise AuthError("Zoho did not return a refresh token; sign in again and allow offline access.")
        return tokens

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new access token; AuthExpired when the refresh token was revoked."""
        body = self._post("/oauth/v2/token", {
            "grant_type": "refresh_token", "client_id": self.client_id,
            "client_secret": self._client_secret, "refresh_token": refresh_token})
        return self._token_set(body, refresh_token)

    def revoke(self, token: str) -> None:
        """Revoke a refresh token (and every access token made from it): ``?token=`` as documented."""
        try:
            resp = self.session.post(self.accounts_url + "/oauth/v2/token/revoke",
                                     params={"token": token}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise error_from_exception(exc) from None
        log.info("accounts POST /oauth/v2/token/revoke -> %s", resp.status_code)
        if resp.status_code == 400:
            return  # unknown token: it is already gone, which is what we wanted
        answer = classify(resp.status_code, resp.text, resp.headers, family=TOKEN_FAMILY)
        if answer.error is not None:
            raise answer.error

    def user_email(self, access_token: str) -> str:
        """The signed-in user's email (``/oauth/user/info``; scope AaaServer.profile.READ)."""
        return self.patiently(lambda: self._user_email(access_token))

    def _user_email(self, access_token: str) -> str:
        try:
            resp = self.session.get(self.accounts_url + "/oauth/user/info",
                                    headers={"Authorization": f"Zoho-oauthtoken {access_token}"},
                                    timeout=self.timeout)
        except requests.RequestException as exc:
            raise error_from_exception(exc) from None
        answer = classify(resp.status_code, resp.text, resp.headers)
        log.info("accounts GET /oauth/user/info -> %s", resp.status_code)
        if answer.error is not None:
            raise answer.error
        email = (answer.body or {}).get("Email") or (answer.body or {}).get("email")
        if not isinstance(email, str) or "@" not in email:
            raise Unavailable("Zoho did not say which user is signed in; try again later.")
        return email.strip()


def token_lifetime(body: dict) -> float:
    """Seconds an access token lives: ``expires_in_sec`` when present, else ``expires_in``
    (read as milliseconds above a day, like Zoho Writer's ``3600000``); 3600 when unreadable."""
    for key in ("expires_in_sec", "expires_in"):
        value = body.get(key)
        if value is None:
            continue
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds <= 0:
            continue
        if key == "expires_in" and seconds > MAX_EXPIRES_SECONDS:
            seconds /= 1000.0
        return seconds
    return 3600.0


# --------------------------------------------------------------------------- access tokens


class TokenManager:
    """Hands out a valid access token; refreshes early, on demand, one at a time, within limits."""

    def __init__(self, oauth: OAuthClient, refresh_token: str, *, clock: Callable[[], float] = time.time,
                 limiter: Limiter | None = None, initial: TokenSet | None = None,
                 early: float = REFRESH_EARLY, max_wait: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep,
                 on_refresh: Callable[[TokenSet], None] | None = None) -> None:
        self.oauth = oauth
        self.on_refresh = on_refresh  # e.g. keep the new access token for the next process
        self._refresh_token = refresh_token
        self.clock = clock
        self.limiter = limiter or Limiter()
        self.early = early
        self.max_wait = max_wait
        self._sleep = sleep
        self._lock = threading.Lock()
        self._current: TokenSet | None = initial
        self.refreshes = 0
        # The limiter key identifies the refresh token without revealing it.
        self._key = hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"TokenManager({self.oauth!r}, refreshes={self.refreshes})"

    @property
    def token_set(self) -> TokenSet | None:
        return self._current

    def access_token(self) -> str:
        with self._lock:
            cur = self._current
            if cur is not None and self.clock() < cur.expires_at - self.early:
                return cur.access_token
            return self._refresh_locked().access_token

    def invalidate(self, token: str) -> None:
        """The server refused ``token``: the next ``access_token()`` refreshes (once, for all threads)."""
        with self._lock:
            if self._current is not None and self._current.access_token == token:
                self._current = None

    def refresh_now(self) -> TokenSet:
        with self._lock:
            return self._refresh_locked()

    def _refresh_patiently(self) -> TokenSet:
        """One refresh; a transient failure (5xx, timeout, garbled answer) is tried again with
        backoff, each attempt inside the client-side limit of token requests."""
        own = getattr(self.oauth, "retry_delays", None)
        delays = tuple(_errors.RETRY_DELAYS if own is None else own)
        for attempt in range(len(delays) + 1):
            if attempt:
                self._wait_for_token_slot()
            self.refreshes += 1
            try:
                return self.oauth.refresh(self._refresh_token)
            except ZohoError as exc:
                if attempt >= len(delays) or not is_transient(exc):
                    raise
                log.info("token refresh failed (%s); retrying", type(exc).__name__)
                self._sleep(delays[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    def _refresh_locked(self) -> TokenSet:
        self._wait_for_token_slot()
        fresh = self._refresh_patiently()
        self._current = replace(fresh, refresh_token=self._refresh_token)
        if self.on_refresh is not None:
            try:
                self.on_refresh(self._current)
            except Exception:  # a cache that cannot be written must not break the call
                log.warning("storing the refreshed access token failed")
        return self._current

    def _wait_for_token_slot(self) -> None:
        while True:
            wait = self.limiter.try_acquire(TOKEN_FAMILY, self._key)
            if wait <= 0:
                break
            if wait > self.max_wait:
                retry_at = datetime.now(UTC) + timedelta(seconds=wait)
                raise RateLimited(retry_at, "Zoho allows only a few sign-in token requests every 10 "
                                            "minutes; the app will continue after "
                                            f"{retry_at.astimezone().strftime('%H:%M:%S')}.")
            self._sleep(wait + 0.001)
