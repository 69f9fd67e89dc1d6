"""End to end through the command line against a real Sandbox (SPEC R18–R28, R32)."""

from __future__ import annotations

import csv
import json

from desktop_app.domain import emails
from tests.integration.sync_helpers import run_cli


def connected(capsys) -> None:
    assert run_cli("connect", "sandbox") == 0
    assert "Connected" in capsys.readouterr().out


def create(capsys, *extra: str) -> int:
    return run_cli("sync", "create", "--list", "Books customers", "--subscription", "marketing", "--yes", *extra)


def test_full_flow_connect_create_run_simulate_run_history_export(app_sandbox, admin, capsys, tmp_path):
    connected(capsys)
    assert create(capsys) == 0
    out = capsys.readouterr().out
    assert "Disclaimer about auto-upgrade" in out
    assert "completed" in out

    history = _history(capsys)
    assert len(history) == 1
    first = history[0]
    assert first["status"] == "completed" and first["kind"] == "full"
    counts = first["counts"]
    assert counts["total"] == 1500
    assert counts["added"] + counts["updated"] + counts["unchanged"] + counts["skipped"] == 1500
    assert counts["added"] > 1000 and counts["skipped"] > 0

    # The list holds exactly the added contacts, each once, with their Books names.
    list_key = _list_key(capsys)
    members = admin.list_contacts(list_key)
    active = [m for m in members if m["status"] == "active"]
    assert len(active) == counts["added"]
    assert len({emails.identity(m["email"]) for m in active}) == len(active)

    # Ten customers change in Books; the next run is incremental and writes exactly those that still sync.
    before = admin.last_call_number()
    changed = admin.simulate(10)
    assert len(changed) == 10
    assert run_cli("sync", "run") == 0
    capsys.readouterr()
    calls = admin.calls(since=before)
    books_list_calls = [c for c in calls if c["service"] == "books" and c["path"].endswith("/contacts")]
    writes = [c for c in calls if c["path"].endswith("json/listsubscribe")]
    assert 1 <= len(books_list_calls) <= 2
    second = _history(capsys)[0]
    assert second["kind"] == "incremental"
    assert len(writes) == second["counts"]["updated"] + second["counts"]["added"]
    assert second["counts"]["updated"] + second["counts"]["added"] <= 10

    # Export the first run's skipped records: BOM, header, one row per skip.
    out_file = tmp_path / "skipped.csv"
    assert run_cli("export-skipped", str(first["id"]), "--out", str(out_file)) == 0
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["Books contact id", "Name", "Email"]
    assert len(rows) - 1 == counts["skipped"]
    reasons = {r[3] for r in rows[1:]}
    assert {"no_email", "invalid_email", "role_email", "duplicate_in_org"} <= reasons


def _history(capsys) -> list[dict]:
    capsys.readouterr()
    assert run_cli("history", "--json") == 0
    return json.loads(capsys.readouterr().out)


def _list_key(capsys) -> str:
    capsys.readouterr()
    assert run_cli("status", "--json") == 0
    return json.loads(capsys.readouterr().out)["sync"]["list_key"]
