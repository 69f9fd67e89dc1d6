"""Signing in to Zoho Accounts (SPEC R1–R3): the browser flow through a loopback redirect (PKCE, state), the
Sandbox's auto-approved flow, a Self Client code, and the scope check after each.

The tokens and the OAuth client are ``connectors/auth.py``'s; this module only obtains them.
"""

from __future__ import annotations

import html
import logging
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

from desktop_app import config
from desktop_app.connectors import errors as _errors
from desktop_app.connectors.auth import (
    SCOPE_HINT,
    SIGN_IN_TIMEOUT,
    OAuthClient,
    TokenSet,
    _sign_in_trouble,
    code_challenge,
    new_code_verifier,
    new_state,
)
from desktop_app.connectors.errors import (
    ApiError,
    AuthError,
    AuthExpired,
    Unavailable,
    ZohoError,
    classify,
    error_from_exception,
    trouble_message,
)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- scope check


@dataclass(frozen=True)
class ScopeCheck:
    """What the probe after a code exchange found (never a token)."""

    email: str | None  # /oauth/user/info's Email, when AaaServer.profile.READ was granted
    org_ids: tuple[str, ...]  # the Books organizations, when ZohoBooks.settings.READ was granted
    missing: tuple[str, ...]  # scopes the probe found missing, in SCOPES order


def missing_scopes_sentence(missing: tuple[str, ...] | list[str]) -> str:
    names = list(missing)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (f"The sign-in did not grant {listed}; sign in again ({SCOPE_HINT}).")


def _probe(oauth: OAuthClient, session: requests.Session, url: str, token: str, timeout,
           params: dict | None = None, family: str = "") -> tuple[bool, dict | None]:
    """One read with ``token`` and no refresh → (granted, body). A refused token = not granted.

    Transient failures are retried; a refusal is asked once more before it counts as a missing
    scope (a fresh token refused once may be a passing hiccup, a missing scope is refused again).
    """
    granted, body = oauth.patiently(lambda: _probe_once(session, url, token, timeout, params, family))
    if not granted:
        oauth.sleep(0.2)
        granted, body = oauth.patiently(lambda: _probe_once(session, url, token, timeout, params, family))
    return granted, body


def _probe_once(session: requests.Session, url: str, token: str, timeout, params: dict | None,
                family: str) -> tuple[bool, dict | None]:
    try:
        resp = session.get(url, params=params, headers={"Authorization": f"Zoho-oauthtoken {token}"},
                           timeout=timeout)
    except requests.RequestException as exc:
        raise error_from_exception(exc) from None
    answer = classify(resp.status_code, resp.text, resp.headers, family=family)
    log.info("scope probe GET %s -> %s %s", urlsplit(url).path, resp.status_code,
             type(answer.error).__name__ if answer.error else "ok")
    if answer.error is None:
        return True, answer.body
    if answer.invalid_token or isinstance(answer.error, AuthExpired):
        return False, None
    if isinstance(answer.error, ApiError):
        return True, None  # refused for another reason (e.g. 2401: no list yet): the token was accepted
    raise answer.error


def probe_scopes(oauth: OAuthClient, access_token: str, *, books_url: str, campaigns_url: str,
                 session: requests.Session | None = None) -> ScopeCheck:
    """Check the granted scopes right after a code exchange with cheap documented reads:
    /oauth/user/info (AaaServer.profile.READ), Books /organizations (ZohoBooks.settings.READ),
    Campaigns getmailinglists (ZohoCampaigns.contact.READ) and, once an organization is known,
    Books /contacts with per_page=1 (ZohoBooks.contacts.READ). The token is fresh, so a refusal
    means a missing scope; nothing is refreshed here. Other failures (network…) are raised.
    """
    http = session or oauth.session
    timeout = oauth.timeout
    missing: list[str] = []
    email = None
    ok, body = _probe(oauth, http, oauth.accounts_url + "/oauth/user/info", access_token, timeout)
    if ok:
        found = (body or {}).get("Email") or (body or {}).get("email")
        email = found.strip() if isinstance(found, str) and "@" in found else None
    else:
        missing.append("AaaServer.profile.READ")
    books = books_url.rstrip("/")
    ok, body = _probe(oauth, http, books + "/organizations", access_token, timeout, family="books")
    org_ids: tuple[str, ...] = ()
    if ok:
        orgs = [o for o in (body or {}).get("organizations") or [] if isinstance(o, dict)
                and o.get("organization_id")]
        orgs.sort(key=lambda o: not o.get("is_default_org"))
        org_ids = tuple(str(o["organization_id"]) for o in orgs)
    else:
        missing.append("ZohoBooks.settings.READ")
    ok, _ = _probe(oauth, http, campaigns_url.rstrip("/") + "/getmailinglists", access_token, timeout,
                   params={"resfmt": "JSON", "sort": "asc", "fromindex": 1, "range": 1},
                   family="campaigns.lists")
    if not ok:
        missing.append("ZohoCampaigns.contact.READ")
    if org_ids:
        ok, _ = _probe(oauth, http, books + "/contacts", access_token, timeout, family="books",
                       params={"organization_id": org_ids[0], "page": 1, "per_page": 1})
        if not ok:
            missing.append("ZohoBooks.contacts.READ")
    return ScopeCheck(email, org_ids, tuple(missing))


def check_scopes(oauth: OAuthClient, access_token: str, *, books_url: str, campaigns_url: str,
                 session: requests.Session | None = None) -> ScopeCheck:
    """``probe_scopes``, raising one AuthError that names every missing scope."""
    found = probe_scopes(oauth, access_token, books_url=books_url, campaigns_url=campaigns_url,
                         session=session)
    if found.missing:
        raise AuthError(missing_scopes_sentence(found.missing), title="Missing permissions")
    return found


# --------------------------------------------------------------------------- loopback redirect


@dataclass(frozen=True)
class Callback:
    code: str = field(repr=False)
    accounts_server: str | None
    location: str | None


_PAGE = ("<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
         "<body style='font-family:sans-serif;margin:3em'><h2>{title}</h2><p>{text}</p></body></html>")


class LoopbackReceiver:
    """Receives ONE OAuth callback on 127.0.0.1 at the first free registered port."""

    def __init__(self, state: str, ports: tuple[int, ...] = config.REDIRECT_PORTS,
                 path: str = config.REDIRECT_PATH) -> None:
        self.state = state
        self.path = path
        self._result: Callback | ZohoError | None = None
        self._server = self._bind(ports)
        self.port = self._server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{self.port}{self.path}"

    def _bind(self, ports: tuple[int, ...]) -> HTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != receiver.path or receiver._result is not None:
                    self._page(404, "Not found", "This address only receives one Zoho sign-in.")
                    return
                query = parse_qs(parts.query)
                if not receiver._state_matches(query):
                    # Not our sign-in (another local process, a stale tab): answer and keep waiting
                    # for the right one, so nobody on this computer can abort a sign-in.
                    log.warning("loopback sign-in receiver: ignored a request without the right state")
                    self._page(400, "Not this sign-in", "This answer does not belong to the sign-in in "
                               "progress. Finish the sign-in in the window the app opened.")
                    return
                receiver._result = receiver._judge(query)
                if isinstance(receiver._result, Callback):
                    self._page(200, "Signed in", "You can close this window and return to the app.")
                else:
                    self._page(400, "Sign-in failed", html.escape(receiver._result.message))

            def _page(self, status: int, title: str, text: str) -> None:
                body = _PAGE.format(title=title, text=text).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:  # the query holds the code
                pass

        for port in ports:
            try:
                server = HTTPServer(("127.0.0.1", port), Handler)
            except OSError:
                log.info("loopback port %s is busy; trying the next", port)
                continue
            server.timeout = 0.1
            return server
        raise AuthError("All the sign-in ports (" + ", ".join(map(str, ports)) + ") on this computer are "
                        "busy. Close the program using them and try again.")

    def _state_matches(self, query: dict[str, list[str]]) -> bool:
        values = query.get("state")
        return secrets.compare_digest((values[0] if values else "").encode(), self.state.encode())

    def _judge(self, query: dict[str, list[str]]) -> Callback | ZohoError:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        if not secrets.compare_digest(one("state") or "", self.state):
            return AuthError("The sign-in answer did not match this request (state mismatch). Sign in again.")
        if one("error"):
            return AuthError("Zoho did not grant access (" + (one("error") or "")[:60] + "). Sign in again "
                             "and choose Accept.")
        code = one("code")
        if not code:
            return AuthError("Zoho's answer did not contain a sign-in code. Sign in again.")
        return Callback(code, one("accounts-server"), one("location"))

    def wait(self, timeout: float = SIGN_IN_TIMEOUT, cancel: threading.Event | None = None) -> Callback:
        """Serve until the callback arrives, ``timeout`` passes or ``cancel`` is set."""
        deadline = time.monotonic() + timeout
        try:
            while self._result is None:
                if cancel is not None and cancel.is_set():
                    raise AuthError("Sign-in was cancelled.", title="Sign-in cancelled")
                if time.monotonic() > deadline:
                    raise AuthError("No answer came from the browser in time. Sign in again.")
                self._server.handle_request()
        finally:
            self.close()
        if isinstance(self._result, ZohoError):
            raise self._result
        return self._result

    def close(self) -> None:
        self._server.server_close()


def _trusted_accounts_server(oauth: OAuthClient, server: str | None) -> str:
    """The callback's accounts-server if it is a known Zoho one (or ours); else refuse."""
    if not server:
        return oauth.accounts_url
    server = server.rstrip("/")
    if server == oauth.accounts_url or config.data_center_for_accounts_server(server) is not None:
        return server
    raise AuthError("The sign-in answer named an unknown Zoho accounts server. Sign in again.")


def sign_in_browser(oauth: OAuthClient, open_url: Callable[[str], object] = webbrowser.open,
                    timeout: float = SIGN_IN_TIMEOUT, cancel: threading.Event | None = None,
                    ports: tuple[int, ...] = config.REDIRECT_PORTS) -> TokenSet:
    """Authorization code + PKCE + state through the system browser and a loopback receiver."""
    state, verifier = new_state(), new_code_verifier()
    receiver = LoopbackReceiver(state, ports)
    try:
        open_url(oauth.authorization_url(receiver.redirect_uri, state, code_challenge(verifier)))
    except Exception:
        receiver.close()
        raise
    callback = receiver.wait(timeout, cancel)
    # The token request goes to the user's own data center (the callback's accounts-server).
    target = oauth.at(_trusted_accounts_server(oauth, callback.accounts_server))
    return target.exchange_code(callback.code, redirect_uri=receiver.redirect_uri, code_verifier=verifier)


def sign_in_auto_approve(oauth: OAuthClient, *, timeout: float = 30.0,
                         ports: tuple[int, ...] = config.REDIRECT_PORTS) -> TokenSet:
    """The Sandbox's sign-in: the real flow, with requests acting as the browser.

    The Sandbox approves at once and answers 302 to our loopback receiver, which requests
    follows exactly as a browser would.
    """
    failure: list[BaseException] = []
    delays = tuple(oauth.retry_delays if oauth.retry_delays is not None else _errors.RETRY_DELAYS)

    def browse(url: str) -> None:
        def run() -> None:
            # Like a person reloading the page: a server error, a timeout or a garbled page (no
            # redirect back to us) is tried again a few times before the sign-in gives up.
            for attempt in range(len(delays) + 1):
                try:
                    resp = requests.get(url, timeout=(5, timeout))
                except requests.RequestException as exc:
                    problem: ZohoError = error_from_exception(exc)
                else:
                    if resp.history:
                        return  # redirected to the loopback receiver, which has the answer
                    if 400 <= resp.status_code < 500 and resp.status_code != 429:
                        failure.append(AuthError(f"The Sandbox refused the sign-in (HTTP {resp.status_code})."))
                        cancel.set()
                        return
                    problem = Unavailable(trouble_message(f"HTTP {resp.status_code}"))
                if cancel.is_set():
                    return
                if attempt < len(delays):
                    oauth.sleep(delays[attempt])
            failure.append(_sign_in_trouble(problem))
            cancel.set()

        threading.Thread(target=run, name="sandbox-browser", daemon=True).start()

    cancel = threading.Event()
    try:
        return sign_in_browser(oauth, open_url=browse, timeout=timeout, cancel=cancel, ports=ports)
    except AuthError:
        if failure:
            raise failure[0] from None
        raise


def sign_in_with_code(oauth: OAuthClient, code: str) -> TokenSet:
    """Self Client: a grant code generated in the API Console and pasted by the user."""
    code = (code or "").strip()
    if not code:
        raise AuthError("The grant code is empty; generate one in the Zoho API Console "
                        f"({SCOPE_HINT}).")
    return oauth.exchange_code(code, redirect_uri=None, code_verifier=None)
