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
