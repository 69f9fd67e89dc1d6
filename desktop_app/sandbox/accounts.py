"""Zoho Accounts, as the Sandbox plays it: authorization code + PKCE, tokens, revoke, user info.

Grant codes live in memory (2 minutes, single use). Tokens are random; only their SHA-256 hashes
are stored, so the state file holds nothing a client could reuse. Each token keeps the scopes its
grant gave (the ``scope`` of /oauth/v2/auth, or a Self Client code's ``scopes``); every API checks
them. Errors follow Zoho: the token endpoint answers HTTP 200 with ``{"error": …}``; a bad
authorization request gets an HTML page.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from desktop_app.domain.wire import REDIRECT_PORTS, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, redirect_uri
from desktop_app.sandbox import contract
from desktop_app.sandbox.http import Answer, Request, html_answer, json_answer, redirect
from desktop_app.sandbox.limits import Limiter
from desktop_app.sandbox.state import State

ACCESS_TOKEN_SECONDS = 3600
CODE_SECONDS = 120
REGISTERED_REDIRECTS = frozenset(redirect_uri(p) for p in REDIRECT_PORTS)
ACCESS_DENIED = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


@dataclass
class _Code:
    client_id: str
    redirect_uri: str | None  # None for Self Client codes
    challenge: str | None
    expires: float
    scopes: str = ",".join(contract.DEFAULT_SCOPES)


class Accounts:
    def __init__(self, state: State, limiter: Limiter, base_url: Callable[[], str]) -> None:
        self.state = state
        self.limiter = limiter
        self.base_url = base_url
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()
        # access-token hash → (expires_at, granted scopes) for valid ones
        self._token_cache: dict[str, tuple[float, frozenset[str] | None]] = {}

    # ------------------------------------------------------------------ token checks for the APIs

    def check_token(self, token: str | None, needed: tuple[str, ...] = ()) -> str:
        """'ok', 'expired', 'invalid' or 'scope' (valid, but granted none of ``needed``)."""
        if not token:
            return "invalid"
        h = _hash(token)
        cached = self._token_cache.get(h)
        if cached is None:
            with self.state.read() as db:
                row = db.execute(
                    "SELECT expires_at, revoked, scopes FROM tokens WHERE token_hash=? AND kind='access'", (h,)
                ).fetchone()
            if row is None or row["revoked"]:
                return "invalid"
            cached = (row["expires_at"] or 0.0, contract.granted(row["scopes"]))
            if cached[0] > time.time():
                self._token_cache[h] = cached
        expires, scopes = cached
        if expires <= time.time():
            return "expired"
        return "ok" if not needed or contract.allows(scopes, needed) else "scope"

    def expire_all(self) -> int:
        with self.state.tx() as db:
            n = db.execute("UPDATE tokens SET expires_at=0 WHERE kind='access' AND expires_at>0").rowcount
        self._token_cache.clear()
        return n

    def selfclient_code(self, scopes: str | None = None) -> str:
        """A Self Client grant code for ``scopes`` (comma-separated; default: the app's four)."""
        granted = contract.parse_scopes(scopes) if scopes is not None else ",".join(contract.DEFAULT_SCOPES)
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self._lock:
            self._codes[code] = _Code(SANDBOX_CLIENT_ID, None, None, time.time() + 3 * 60, granted)
        return code

    # ------------------------------------------------------------------ endpoints

    def handle(self, req: Request) -> Answer:
        route = {
            ("GET", "/oauth/v2/auth"): self._auth,
            ("POST", "/oauth/v2/token"): self._token,
            ("POST", "/oauth/v2/token/revoke"): self._revoke,
            ("GET", "/oauth/user/info"): self._user_info,
        }
        handler = route.get((req.method, req.path))
        if handler is None:
            return json_answer(404, {"error": "invalid_request", "error_description": "Unknown URL"})
        return handler(req)

    def _auth(self, req: Request) -> Answer:
        p = req.params
        if p.get("client_id") != SANDBOX_CLIENT_ID:
            return html_answer(400, "error=invalid_client: unknown client_id")
        if p.get("redirect_uri") not in REGISTERED_REDIRECTS:
            return json_answer(200, {"error": "invalid_redirect_uri"})
        if p.get("response_type") != "code" or not p.get("scope", "").replace(",", "").strip():
            return html_answer(400, "error=invalid_request: response_type=code and scope are required")
        if not p.get("code_challenge") or p.get("code_challenge_method") != "S256":
            return html_answer(400, "error=invalid_request: PKCE with code_challenge_method=S256 is required")
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self._lock:
            now = time.time()
            self._codes = {k: v for k, v in self._codes.items() if v.expires > now}
            self._codes[code] = _Code(
                SANDBOX_CLIENT_ID,
                p["redirect_uri"],
                p["code_challenge"],
                now + CODE_SECONDS,
                contract.parse_scopes(p["scope"]),
            )
        query = {"code": code}
        if "state" in p:
            query["state"] = p["state"]
        query.update({"location": "us", "accounts-server": self.base_url()})
        return redirect(f"{p['redirect_uri']}?{urlencode(query)}")

    def _token(self, req: Request) -> Answer:
        p = req.params
        if p.get("client_id") != SANDBOX_CLIENT_ID or p.get("client_secret") != SANDBOX_CLIENT_SECRET:
            return json_answer(200, {"error": "invalid_client"})
        grant = p.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(p)
        if grant == "refresh_token":
            return self._refresh_grant(p)
        return json_answer(200, {"error": "unsupported_grant_type"})

    def _throttled(self, key: str) -> Answer | None:
        verdict = self.limiter.check("accounts.token", key)
        if verdict.allowed:
            return None
        return json_answer(
            200, ACCESS_DENIED, headers={"Retry-After": str(max(1, round(verdict.retry_after)))}
        )

    def _code_grant(self, p: dict[str, str]) -> Answer:
        with self._lock:
            grant = self._codes.get(p.get("code", ""))
        if grant is None or grant.expires < time.time():
            return json_answer(200, {"error": "invalid_code"})
        if grant.redirect_uri is not None:
            if p.get("redirect_uri") != grant.redirect_uri:
                return json_answer(200, {"error": "invalid_redirect_uri"})
            verifier = p.get("code_verifier", "")
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if not verifier or digest != grant.challenge:
                return json_answer(200, {"error": "invalid_code"})
        denied = self._throttled("code:" + grant.client_id)
        if denied:
            return denied
        with self._lock:
            if self._codes.pop(p.get("code", ""), None) is None:  # used concurrently
                return json_answer(200, {"error": "invalid_code"})
        refresh, access = _new_token(), _new_token()
        with self.state.tx() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, kind, client_id, scopes) VALUES (?, 'refresh', ?, ?)",
                (_hash(refresh), grant.client_id, grant.scopes),
            )
            self._store_access(db, access, _hash(refresh), grant.client_id, grant.scopes)
        return json_answer(200, {"access_token": access, "refresh_token": refresh, **self._token_tail()})

    def _refresh_grant(self, p: dict[str, str]) -> Answer:
        refresh_hash = _hash(p.get("refresh_token", ""))
        with self.state.read() as db:
            row = db.execute(
                "SELECT client_id, revoked, scopes FROM tokens WHERE token_hash=? AND kind='refresh'",
                (refresh_hash,),
            ).fetchone()
        if row is None or row["revoked"]:
            return json_answer(200, {"error": "invalid_code"})
        denied = self._throttled("refresh:" + refresh_hash)
        if denied:
            return denied
        access = _new_token()
        with self.state.tx() as db:
            self._store_access(db, access, refresh_hash, row["client_id"], row["scopes"])
        return json_answer(200, {"access_token": access, **self._token_tail()})

    def _store_access(self, db, access: str, refresh_hash: str, client_id: str, scopes: str | None) -> None:
        db.execute(
            "INSERT INTO tokens (token_hash, kind, refresh_hash, client_id, expires_at, scopes)"
            " VALUES (?, 'access', ?, ?, ?, ?)",
            (_hash(access), refresh_hash, client_id, time.time() + ACCESS_TOKEN_SECONDS, scopes),
        )

    def _token_tail(self) -> dict:
        """Never the granted scopes. ``expires_in`` in seconds, as documented; with the
        ``expires_in_ms`` knob, as Zoho Writer answers: milliseconds plus ``expires_in_sec``."""
        tail = {"api_domain": self.base_url(), "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS}
        if self.state.settings()["expires_in_ms"]:
            tail.update({"expires_in": ACCESS_TOKEN_SECONDS * 1000, "expires_in_sec": ACCESS_TOKEN_SECONDS})
        return tail

    def _revoke(self, req: Request) -> Answer:
        # Documented: POST /oauth/v2/token/revoke?token=… — strict reads the query string only.
        source = req.query if contract.is_strict(self.state.settings()) else req.params
        h = _hash(source.get("token", ""))
        with self.state.tx() as db:
            n = db.execute("UPDATE tokens SET revoked=1 WHERE token_hash=?", (h,)).rowcount
            db.execute("UPDATE tokens SET revoked=1 WHERE refresh_hash=?", (h,))
        self._token_cache.clear()
        if not n:
            return json_answer(400, {"error": "invalid_token", "status": "failure"})
        return json_answer(200, {"status": "success"})

    def _user_info(self, req: Request) -> Answer:
        verdict = self.check_token(req.token, contract.PROFILE)
        if verdict != "ok":
            return json_answer(401, {"error": "invalid_token"})
        # The signed-in user is the Campaigns account's owner (Campaigns accounts are per user); the
        # Books organization's email may differ — that is what the owner knob tests (R3).
        owner = self.state.settings()["campaigns_owner_email"]
        local = owner.split("@", 1)[0]
        return json_answer(
            200,
            {
                "ZUID": 700_000_001,
                "Email": owner,
                "Display_Name": local.title(),
                "First_Name": local.title(),
                "Last_Name": "Demo",
            },
        )
