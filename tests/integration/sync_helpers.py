"""Helpers of the sync tests (their fixtures, app_sandbox and admin, are in conftest.py)."""

from __future__ import annotations

import json

from desktop_app import cli
from desktop_app.connectors.sandbox_admin import SandboxAdmin


def run_cli(*argv: str) -> int:
    return cli.main(list(argv))


def connect_and_create(capsys, *extra: str, run: bool = True) -> None:
    assert run_cli("connect", "sandbox") == 0
    argv = ["sync", "create", "--list", "Books customers", "--subscription", "marketing", "--yes", *extra]
    if not run:
        argv.append("--no-run")
    assert run_cli(*argv) == 0
    capsys.readouterr()


def history(capsys) -> list[dict]:
    capsys.readouterr()
    assert run_cli("history", "--json") == 0
    return json.loads(capsys.readouterr().out)


def list_key(capsys) -> str:
    capsys.readouterr()
    assert run_cli("status", "--json") == 0
    return json.loads(capsys.readouterr().out)["sync"]["list_key"]


def members(admin: SandboxAdmin, key: str) -> dict[str, dict]:
    """The list's contacts by lower-cased email."""
    return {c["email"].casefold(): c for c in admin.list_contacts(key)}


def admin_of(srv) -> SandboxAdmin:
    """The admin client of a Sandbox the test started (with its token)."""
    return SandboxAdmin(srv.url, token=srv.admin_token)


def current_list_key() -> str:
    """The configured sync's list, read through the app (the app home of the test)."""
    from desktop_app.app import AppService

    with AppService() as svc:
        return svc.sync().list_key


def list_content(srv) -> list[tuple]:
    """The sync's list as Campaigns holds it: (email, fields, status, subscription type), sorted,
    to compare a run's end state with an uninterrupted run's."""
    return sorted((c["email"].casefold(), json.dumps(c.get("fields", {}), sort_keys=True), c["status"],
                   c.get("subscription_type")) for c in admin_of(srv).list_contacts(current_list_key()))
