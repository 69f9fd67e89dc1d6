"""One request through the Sandbox: number it, add latency, inject faults, check the token and
the limits, run the service handler, log the call. No Python traceback ever reaches a body.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from desktop_app.domain.limits import CAMPAIGNS_PATH_FAMILY, LIMITS
from desktop_app.sandbox import books as books_mod
from desktop_app.sandbox import campaigns as camp_mod
from desktop_app.sandbox import contract
from desktop_app.sandbox.accounts import Accounts
from desktop_app.sandbox.admin import Admin
from desktop_app.sandbox.books import Books
from desktop_app.sandbox.calllog import CallLog
from desktop_app.sandbox.campaigns import Campaigns
from desktop_app.sandbox.customers import state_stats
from desktop_app.sandbox.faults import FaultRule, Faults
from desktop_app.sandbox.http import Answer, Request, json_answer
from desktop_app.sandbox.limits import Limiter
from desktop_app.sandbox.state import State

log = logging.getLogger(__name__)


def service_of(path: str) -> str | None:
    if path.startswith("/_sandbox/") or path == "/_sandbox":
        return "admin"
    if path.startswith("/oauth/"):
        return "accounts"
    if path.startswith(books_mod.BOOKS_PREFIX + "/"):
        return "books"
    if path.startswith(camp_mod.CAMPAIGNS_PREFIX):
        return "campaigns"
    return None


def parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        params.setdefault(key, value)
    return params


def parse_params(query: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
    params: dict[str, str] = {}
    pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
    if body and "application/x-www-form-urlencoded" in headers.get("content-type", ""):
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
    for key, value in pairs:
        params.setdefault(key, value)
    return params


class SandboxApp:
    def __init__(
        self,
        state: State,
        *,
        limits: str,
        latency_ms: float,
        base_url: Callable[[], str],
        fault_seed: int = 0,
        timeout_seconds: float = 30.0,
        admin_token: str | None = None,
    ) -> None:
        self.state = state
        # The admin API (/_sandbox/…) answers only requests carrying this token (header
        # X-Sandbox-Admin); None (an app driven in-process, never over HTTP) leaves it open.
        self.admin_token = admin_token
        self.limiter = Limiter(limits)
        self.latency_ms = float(latency_ms)
        self.faults = Faults(fault_seed, timeout_seconds)
        self.calls = CallLog()
        self.stopping = threading.Event()
        self.accounts = Accounts(state, self.limiter, base_url)
        self.books = Books(state)
        self.campaigns = Campaigns(state)
        self.admin = Admin(self)
        self._inflight: dict[str, int] = {}
        self._inflight_lock = threading.Lock()

    # ------------------------------------------------------------------ knobs and numbers

    def config(self) -> dict:
        s = self.state.settings()
        return {
            **s,
            "limits": self.limiter.mode,
            "latency_ms": self.latency_ms,
            "timeout_seconds": self.faults.timeout_seconds,
        }

    def stats(self) -> dict:
        out = state_stats(self.state)
        out.update(
            {
                "calls_by_endpoint": dict(self.calls.by_endpoint),
                "calls_total": self.calls.last_number,
                "lockouts_by_family": dict(self.limiter.lockouts),
                "refusals_by_family": dict(self.limiter.refusals),
                "locked_now": self.limiter.locked(),
                "faults_injected": dict(self.faults.injected),
                "config": self.config(),
            }
        )
        return out

    def after_reset(self) -> None:
        self.calls.reset()
        self.faults.clear()
        self.limiter.set_mode(self.limiter.mode)
        self.campaigns.writer.invalidate()

    # ------------------------------------------------------------------ one request

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        n = self.calls.next_number()
        parts = urlsplit(target)
        path = parts.path or "/"
        service = service_of(path)
        params: dict[str, str] = {}
        try:
            params = parse_params(parts.query, headers, body)
            req = Request(method, path, params, headers, body, n, parse_query(parts.query))
            if service == "admin":
                answer = self.admin.handle(req)
            elif service is None:
                answer = json_answer(404, {"code": 5, "message": "Invalid URL Passed"})
            else:
                answer = self._api(req, service)
        except Exception:  # the body never carries a traceback; the log does
            log.exception("Sandbox failed on %s %s", method, path)
            answer = self._server_error(service or "books", 500)
        self.calls.record(n, method, service or "unknown", path, params, answer.status, answer.code)
        return answer

    def _api(self, req: Request, service: str) -> Answer:
        rule = self.faults.pick(req.n, service, req.path)
        if rule is not None and not rule.applied:
            return self._fault(rule, req, service)
        answer = self._guarded(req, service)
        return self._fault(rule, req, service, answer) if rule is not None else answer

    def _pause(self) -> None:
        """The latency knob: the call takes this long inside the server (and counts as in flight)."""
        if self.latency_ms > 0:
            self.stopping.wait(self.latency_ms / 1000)

    def _guarded(self, req: Request, service: str) -> Answer:
        if service != "books":
            self._pause()
        if service == "accounts":
            return self.accounts.handle(req)
        if self.accounts.check_token(req.token, self._scopes_needed(req, service)) != "ok":
            return self._token_answer(service)
        if service == "books":
            refused = self._books_limits(req)
            if refused is not None:
                return refused
            org = req.params.get("organization_id", "")
            if not self._enter_books(org):
                return json_answer(
                    429,
                    {"code": 45, "message": "Too many concurrent requests for this organization."},
                    headers={"Retry-After": "1"},
                )
            try:
                self._pause()
                return self.books.handle(req)
            finally:
                with self._inflight_lock:
                    self._inflight[org] -= 1
        family = CAMPAIGNS_PATH_FAMILY.get(self.campaigns.endpoint(req.path))
        if family:
            verdict = self.limiter.check(family)
            if not verdict.allowed:
                wait = math.ceil(verdict.retry_after)
                lock_minutes = math.ceil(LIMITS[family].lock_seconds / 60)  # as documented, unscaled
                if contract.is_strict(self.state.settings()):
                    # Zoho documents no code or header for a lock: an unknown code, words only.
                    return json_answer(
                        200,
                        {
                            "status": "error",
                            "code": "2900",
                            "message": "You have exceeded the maximum number of API calls allowed. "
                            f"This API is blocked for the next {lock_minutes} minutes.",
                        },
                    )
                return json_answer(
                    200,
                    {
                        "status": "error",
                        "code": "429",
                        "message": f"API call limit exceeded; this API is locked for {lock_minutes} minutes.",
                    },
                    headers={"Retry-After": str(wait)},
                )
        return self.campaigns.handle(req)

    def _enter_books(self, org: str) -> bool:
        """Books' concurrency cap per organization (LIMITS["books"].concurrency) when limits are on."""
        cap = LIMITS["books"].concurrency
        with self._inflight_lock:
            busy = self._inflight.get(org, 0)
            if self.limiter.enabled and cap and busy >= cap:
                self.limiter.refusals["books.concurrency"] += 1
                return False
            self._inflight[org] = busy + 1
            return True

    def _books_limits(self, req: Request) -> Answer | None:
        org = req.params.get("organization_id", "")
        plan = self.state.settings()["books_plan"]
        daily = self.limiter.check("books.daily", org, books_plan=plan)
        if not daily.allowed:
            return json_answer(
                429,
                {
                    "code": 1070,
                    "message": "You have reached the daily API limit of your "
                    "Zoho Books plan; try again tomorrow.",
                },
            )
        verdict = self.limiter.check("books", org)
        if not verdict.allowed:
            return json_answer(
                429,
                {"code": 45, "message": "Rate Limit Exceeded (API usage limit exceeded)"},
                headers={"Retry-After": str(math.ceil(verdict.retry_after))},
            )
        return None

    def _scopes_needed(self, req: Request, service: str) -> tuple[str, ...]:
        if service == "books":
            return contract.books_scopes(req.path[len(books_mod.BOOKS_PREFIX) :])
        return contract.CAMPAIGNS_SCOPES.get(self.campaigns.endpoint(req.path), ())

    # ------------------------------------------------------------------ canned answers

    def _token_answer(self, service: str) -> Answer:
        """A dead, expired, revoked or unknown token, or one without the scope the call needs."""
        if service == "books":
            return json_answer(
                401, {"code": 57, "message": "You are not authorized to perform this operation"}
            )
        if service == "campaigns":
            if contract.dead_token_code(self.state.settings()) == "1007":
                return json_answer(200, {"status": "error", "code": "1007", "message": "Unauthorized key."})
            return json_answer(200, {"status": "error", "code": "401", "message": "Invalid OAuth token."})
        return json_answer(401, {"error": "invalid_token"})

    @staticmethod
    def _server_error(service: str, status: int) -> Answer:
        if service == "campaigns":
            return json_answer(
                status, {"status": "error", "code": "500", "message": "Internal server error."}
            )
        if service == "accounts":
            return json_answer(status, {"error": "server_error"})
        return json_answer(status, {"code": 1000, "message": "Internal error"})

    def _fault(self, rule: FaultRule, req: Request, service: str, real: Answer | None = None) -> Answer:
        kind = rule.kind
        if kind == "timeout":
            self.stopping.wait(self.faults.timeout_seconds)
            return Answer(0, b"", drop=True, code="timeout")
        if kind == "5xx":
            return self._server_error(service, rule.status)
        if kind == "429":
            if service == "books":
                return json_answer(
                    429,
                    {"code": 45, "message": "Rate Limit Exceeded (API usage limit exceeded)"},
                    headers={"Retry-After": "1"},
                )
            return json_answer(
                429,
                {"status": "error", "code": "429", "message": "Too many requests."},
                headers={"Retry-After": "1"},
            )
        if kind == "token_expiry":
            if service == "accounts" and req.path == "/oauth/v2/token":
                return json_answer(200, {"error": "invalid_code"})
            return self._token_answer(service)
        if kind == "malformed":
            return Answer(200, b'{"status": "success", "code": 0, "contacts": [{,]}', code="malformed")
        # truncated: a real answer cut in half (reads only: a write must not happen unless applied)
        if real is None and req.method == "GET":
            real = self._guarded(req, service)
        body = (
            real.body if real is not None and real.body else b'{"code": 0, "message": "success", "data": []}'
        )
        return Answer(200, body[: max(1, len(body) // 2)], code="truncated")
