"""A small client for the Sandbox's admin API (``/_sandbox/…``): tests, the CLI and the GUI's
"Simulate activity" action drive the Sandbox through it. See docs/wire-contract.md.

The admin API needs the token the server generated at start (header ``X-Sandbox-Admin``). The
client takes it from its ``token`` argument, else from the servers started in this process
(``register_token``, filled by ``SandboxServer``), else from the run file
(``sandbox.server.json``, mode 0600) of the app's Sandbox or of ``run_file``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from desktop_app.sandbox.runfile import (  # noqa: F401  (register/forget re-exported for tests)
    TOKEN_HEADER,
    forget_token,
    register_token,
    registered_token,
    runfile_path,
    running_server_info,
)


def _token_from_run_file(path: Path, base_url: str) -> str | None:
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or str(info.get("url", "")).rstrip("/") != base_url:
        return None
    token = info.get("admin_token")
    return token if isinstance(token, str) and token else None


def find_token(base_url: str, run_file: Path | None = None) -> str | None:
    """The admin token of the Sandbox at ``base_url``, if this process or a run file knows it."""
    base_url = base_url.rstrip("/")
    token = registered_token(base_url)
    if token:
        return token
    candidates = [run_file] if run_file is not None else []
    try:
        from desktop_app.config import app_paths

        db = app_paths().sandbox_db_path
        candidates.append(runfile_path(db))
    except Exception:  # no app folders here: only the explicit file counts
        pass
    for path in candidates:
        token = _token_from_run_file(path, base_url)
        if token:
            return token
    return None


class SandboxAdminError(Exception):
    """The admin API refused a call (bad input, unknown id) or could not be reached."""


class SandboxAdmin:
    def __init__(
        self, base_url: str, *, timeout: float = 30.0, session: requests.Session | None = None,
        token: str | None = None, run_file: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self._token = token
        self._run_file = run_file

    @property
    def token(self) -> str | None:
        """The admin token sent (explicit, else found for this server; None: none known)."""
        return self._token or find_token(self.base_url, self._run_file)

    @property
    def headers(self) -> dict[str, str]:
        """The header that authorizes an admin call (for raw requests in tests)."""
        token = self.token
        return {TOKEN_HEADER: token} if token else {}

    def _call(self, method: str, path: str, body: dict | None = None, params: dict | None = None) -> Any:
        try:
            resp = self.session.request(
                method, f"{self.base_url}/_sandbox/{path}", json=body, params=params, timeout=self.timeout,
                headers=self.headers,
            )
        except requests.RequestException as exc:
            raise SandboxAdminError(
                f"the Sandbox at {self.base_url} did not answer ({type(exc).__name__})"
            ) from None
        try:
            data = resp.json()
        except ValueError:
            raise SandboxAdminError(f"the Sandbox answered HTTP {resp.status_code} without JSON") from None
        if resp.status_code >= 400:
            detail = data.get("error") or data.get("message") if isinstance(data, dict) else data
            raise SandboxAdminError(f"the Sandbox refused: {detail} (HTTP {resp.status_code})")
        return data

    # ------------------------------------------------------------------ knobs and numbers

    def health(self) -> dict:
        return self._call("GET", "health")

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def config(self, **settings: Any) -> dict:
        """Change settings; with none, read them. Knobs: contract ("strict" | "lenient"),
        consent_fields (bool), dead_token_code ("1007" | "401" | None = by contract), expires_in_ms
        (bool), latency_ms, limits ("on" | "off" | "scale=K"), owner_email, campaigns_owner_email,
        plan_contact_limit, books_plan (any plan name), time_zone, second_org, timeout_seconds.
        Unknown keys or values are refused (SandboxAdminError)."""
        return self._call("POST", "config", settings) if settings else self._call("GET", "config")

    configure = config

    def faults(
        self,
        kind: str,
        *,
        rate: float | None = None,
        calls: list[int] | None = None,
        count: int | None = None,
        service: str | None = None,
        path_contains: str | None = None,
        applied: bool = False,
        status: int | None = None,
    ) -> dict:
        rule: dict[str, Any] = {"kind": kind, "applied": applied}
        for key, value in (
            ("rate", rate),
            ("calls", calls),
            ("count", count),
            ("service", service),
            ("path_contains", path_contains),
            ("status", status),
        ):
            if value is not None:
                rule[key] = value
        return self._call("POST", "faults", rule)

    def clear_faults(self) -> dict:
        return self._call("DELETE", "faults")

    def calls(self, since: int = 0) -> list[dict]:
        return self._call("GET", "calls", params={"since": since})["calls"]

    def last_call_number(self) -> int:
        return int(self.health()["n"])

    # ------------------------------------------------------------------ data

    def add_customer(self, **fields: Any) -> dict:
        return self._call("POST", "customers", fields)

    def get_customer(self, contact_id: str) -> dict:
        return self._call("GET", f"customers/{contact_id}")

    def edit_customer(self, contact_id: str, **fields: Any) -> dict:
        return self._call("PATCH", f"customers/{contact_id}", fields)

    def delete_customer(self, contact_id: str) -> dict:
        return self._call("DELETE", f"customers/{contact_id}")

    def simulate(self, changes: int) -> list[str]:
        return self._call("POST", "simulate", {"changes": changes})["changed"]

    def list_contacts(self, listkey: str) -> list[dict]:
        return self._call("GET", f"lists/{listkey}/contacts")["contacts"]

    def set_contact_status(self, email: str, status: str, listkey: str | None = None) -> dict:
        body: dict[str, Any] = {"email": email, "status": status}
        if listkey:
            body["listkey"] = listkey
        return self._call("POST", "campaigns/contacts", body)

    def expire_tokens(self) -> int:
        return int(self._call("POST", "expire-tokens")["expired"])

    def selfclient_code(self, scopes: str | Iterable[str] | None = None) -> str:
        """A Self Client grant code; ``scopes`` (comma-separated or a list) default to the app's four."""
        body = {} if scopes is None else {"scopes": scopes if isinstance(scopes, str) else ",".join(scopes)}
        return str(self._call("POST", "selfclient/code", body)["code"])

    # ------------------------------------------------------------------ signup-form (double opt-in) lists

    def pending(self, listkey: str) -> list[dict]:
        """Confirmations sent on a signup-form list and not clicked yet."""
        return self._call("GET", f"lists/{listkey}/pending")["pending"]

    def confirm(self, listkey: str, email: str | None = None, *, all: bool = False) -> list[str]:
        """The contact (or every pending contact, ``all=True``) clicks the confirmation link and joins."""
        if (email is None) == (not all):
            raise ValueError("give an email or all=True")
        body: dict[str, Any] = {"all": True} if all else {"email": email}
        return self._call("POST", f"lists/{listkey}/confirm", body)["confirmed"]

    def set_signup_form(self, listkey: str, on: bool) -> dict:
        """Give a list a signup form (double opt-in) or take it away."""
        return self._call("PATCH", f"lists/{listkey}", {"signup_form": on})

    def reset(self, customers: int | None = None, seed: int | None = None) -> dict:
        body = {k: v for k, v in (("customers", customers), ("seed", seed)) if v is not None}
        return self._call("POST", "reset", body)


def running_admin(db_path: Path, **kwargs) -> SandboxAdmin | None:
    """A ``SandboxAdmin`` for the Sandbox serving ``db_path`` (its token from the run file), or None."""
    info = running_server_info(db_path)
    if info is None:
        return None
    return SandboxAdmin(info["url"], token=info["admin_token"], run_file=runfile_path(db_path), **kwargs)
