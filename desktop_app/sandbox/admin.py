"""The Sandbox admin API under /_sandbox/ (JSON in, JSON out): knobs for tests and the app.

See docs/wire-contract.md for the table. Bad input answers 400 ``{"error": "<sentence>"}``;
an unknown id answers 404.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from desktop_app.domain.limits import parse_limits_mode
from desktop_app.sandbox import contract
from desktop_app.sandbox import customers as cust
from desktop_app.sandbox.faults import parse_rule
from desktop_app.sandbox.http import Answer, Request, json_answer
from desktop_app.sandbox.runfile import TOKEN_HEADER  # the token kept in the 0600 run file
from desktop_app.sandbox.seed import SeedParams, seed

if TYPE_CHECKING:
    from desktop_app.sandbox.app import SandboxApp

CONFIG_KEYS = (
    "contract",
    "consent_fields",
    "dead_token_code",
    "expires_in_ms",
    "latency_ms",
    "limits",
    "owner_email",
    "campaigns_owner_email",
    "plan_contact_limit",
    "books_plan",
    "time_zone",
    "second_org",
    "timeout_seconds",
)
# Knobs kept in the state file; the others (latency, limits, timeout) live with the running server.
RUNTIME_KEYS = ("latency_ms", "limits", "timeout_seconds")
STATE_KEYS = tuple(k for k in CONFIG_KEYS if k not in RUNTIME_KEYS)
_CUSTOMER = re.compile(r"^/_sandbox/customers/([0-9]+)$")
_LIST = re.compile(r"^/_sandbox/lists/([^/]+)(?:/(contacts|pending|confirm))?$")
LEGACY_KEYS = {"gdpr": "consent_fields"}  # the old knob's name, still accepted


def bad(message: str) -> Answer:
    return json_answer(400, {"error": message}, code="400")


class Admin:
    def __init__(self, app: SandboxApp) -> None:
        self.app = app

    def authorized(self, req: Request) -> bool:
        want = self.app.admin_token
        if want is None:
            return True
        got = req.headers.get(TOKEN_HEADER.lower()) or ""
        return secrets.compare_digest(got.encode(), want.encode())

    def handle(self, req: Request) -> Answer:
        if not self.authorized(req):
            return json_answer(401, {"error": f"the Sandbox admin API needs its token in the {TOKEN_HEADER} "
                                              "header (see the run file next to the state file)"}, code="401")
        data = req.json_body()
        if data is None:
            return bad("the body is not valid JSON")
        if not isinstance(data, dict):
            return bad("the body must be a JSON object")
        try:
            return self._route(req, data)
        except cust.NotFound as exc:
            return json_answer(404, {"error": f"not found: {exc}"}, code="404")
        except (ValueError, TypeError) as exc:
            return bad(str(exc))

    def _route(self, req: Request, data: dict) -> Answer:
        app, m, path = self.app, req.method, req.path.rstrip("/")
        state = app.state
        if path == "/_sandbox/health":
            return json_answer(200, {"ok": True, "n": app.calls.last_number})
        if path == "/_sandbox/stats":
            return json_answer(200, app.stats())
        if path == "/_sandbox/config" and m == "POST":
            return json_answer(200, self._config(data))
        if path == "/_sandbox/config" and m == "GET":
            return json_answer(200, app.config())
        if path == "/_sandbox/faults":
            if m == "POST":
                app.faults.add(parse_rule(data))
            elif m == "DELETE":
                app.faults.clear()
            return json_answer(200, {"faults": app.faults.describe(), "n": app.calls.last_number})
        if path == "/_sandbox/calls":
            try:
                since = int(req.params.get("since", "0"))
            except ValueError:
                return bad("since must be an integer")
            return json_answer(200, {"calls": app.calls.since(since)})
        if path == "/_sandbox/customers" and m == "POST":
            return json_answer(200, cust.add_customer(state, data))
        if (match := _CUSTOMER.match(path)) is not None:
            cid = match.group(1)
            if m == "GET":
                return json_answer(200, cust.get_customer(state, cid))
            if m == "PATCH":
                return json_answer(200, cust.edit_customer(state, cid, data))
            if m == "DELETE":
                cust.delete_customer(state, cid)
                return json_answer(200, {"deleted": cid})
        if path == "/_sandbox/simulate" and m == "POST":
            changes = data.get("changes")
            if not isinstance(changes, int) or changes < 0:
                return bad("changes must be a non-negative integer")
            return json_answer(200, {"changed": cust.simulate(state, changes)})
        if (match := _LIST.match(path)) is not None:
            answer = self._list_call(m, match.group(1), match.group(2), data)
            if answer is not None:
                return answer
        if path == "/_sandbox/campaigns/contacts" and m == "POST":
            result = cust.set_contact_status(
                state, str(data.get("email") or ""), str(data.get("status") or ""), data.get("listkey")
            )
            app.campaigns.writer.invalidate()
            return json_answer(200, result)
        if path == "/_sandbox/expire-tokens" and m == "POST":
            return json_answer(200, {"expired": app.accounts.expire_all()})
        if path == "/_sandbox/selfclient/code" and m == "POST":
            scopes = data.get("scopes")
            if scopes is not None and not isinstance(scopes, str):
                return bad('scopes must be a comma-separated string, e.g. "ZohoCampaigns.contact.READ"')
            return json_answer(200, {"code": app.accounts.selfclient_code(scopes)})
        if path == "/_sandbox/reset" and m == "POST":
            old = state.meta("seed_params") or {}
            params = SeedParams(
                int(data.get("customers", old.get("customers", 1500))),
                int(data.get("seed", old.get("seed", 42))),
            )
            seed(state, params)
            app.after_reset()
            return json_answer(200, {"reset": True, "customers": params.customers, "seed": params.seed})
        return json_answer(404, {"error": f"no admin call {m} {path}"}, code="404")

    def _list_call(self, method: str, listkey: str, action: str | None, data: dict) -> Answer | None:
        state = self.app.state
        if action == "contacts" and method == "GET":
            return json_answer(200, {"contacts": cust.list_contacts(state, listkey)})
        if action == "pending" and method == "GET":
            return json_answer(200, {"pending": cust.list_pending(state, listkey)})
        if action == "confirm" and method == "POST":
            if data.get("all") is True:
                email = None
            elif isinstance(data.get("email"), str) and data["email"].strip():
                email = data["email"]
            else:
                raise ValueError('give {"email": "<address>"} or {"all": true}')
            confirmed = self.app.campaigns.writer.confirm(listkey, email)
            return json_answer(200, {"confirmed": confirmed})
        if action is None and method == "PATCH":
            if set(data) != {"signup_form"} or not isinstance(data["signup_form"], bool):
                raise ValueError('give {"signup_form": true|false}')
            return json_answer(200, cust.set_signup_form(state, listkey, data["signup_form"]))
        return None

    def _config(self, data: dict) -> dict:
        data = {LEGACY_KEYS.get(k, k): v for k, v in data.items()}
        unknown = sorted(set(data) - set(CONFIG_KEYS))
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(CONFIG_KEYS)}")
        app = self.app
        if "limits" in data:
            parse_limits_mode(str(data["limits"]))
        if "contract" in data and data["contract"] not in contract.CONTRACTS:
            raise ValueError("contract must be strict or lenient")
        if "dead_token_code" in data:
            code = data["dead_token_code"]
            data["dead_token_code"] = None if code is None else str(code)
            if data["dead_token_code"] not in (None, *contract.DEAD_TOKEN_CODES):
                raise ValueError('dead_token_code must be "1007", "401" or null (by contract)')
        for key in ("consent_fields", "expires_in_ms", "second_org"):
            if key in data and not isinstance(data[key], bool):
                raise ValueError(f"{key} must be true or false")
        if "books_plan" in data and (
            not isinstance(data["books_plan"], str) or not data["books_plan"].strip() or len(data["books_plan"]) > 60
        ):
            raise ValueError("books_plan must be a plan name (any text, e.g. premium or Ultra Enterprise 2027)")
        for key in ("latency_ms", "plan_contact_limit", "timeout_seconds"):
            if key in data and (not isinstance(data[key], int | float) or data[key] < 0):
                raise ValueError(f"{key} must be a non-negative number")
        if "limits" in data:
            app.limiter.set_mode(str(data["limits"]))
        if "latency_ms" in data:
            app.latency_ms = float(data["latency_ms"])
        if "timeout_seconds" in data:
            app.faults.timeout_seconds = float(data["timeout_seconds"])
        stored = {k: data[k] for k in STATE_KEYS if k in data}
        if "time_zone" in stored:
            from zoneinfo import ZoneInfo

            try:
                ZoneInfo(str(stored["time_zone"]))
            except (KeyError, ValueError):
                raise ValueError(f"unknown time_zone {stored['time_zone']!r}") from None
        if stored:
            app.state.update_settings(**stored)
        return app.config()
