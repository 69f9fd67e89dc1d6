"""End to end through the command line against a real Sandbox (SPEC R18–R28, R32)."""

from __future__ import annotations

import csv
import json

from desktop_app.domain import emails
from desktop_app.domain.settings import NO_LAWFUL_BASIS_FIELD, NO_SUBSCRIPTION_FIELD
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
    assert "Disclaimer about auto-upgrade" in out and "at least" not in out  # 1,500 customers: all read
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


# ---------------------------------------------------------------------- issue 9: consent, double opt-in, R3


def _status(capsys) -> dict:
    capsys.readouterr()
    assert run_cli("status", "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_a_different_owner_is_a_warning_and_the_connection_proceeds(app_sandbox, admin, capsys):
    admin.config(campaigns_owner_email="someone.else@example.com")
    assert run_cli("connect", "sandbox") == 0
    captured = capsys.readouterr()
    assert "Connected" in captured.out
    assert "Warning:" in captured.err and "may fail" in captured.err
    assert "someone.else@example.com" in captured.err and "owner@zylker-demo.com" in captured.err
    conn = _status(capsys)["connection"]
    assert conn["campaigns_owner_email"] == "someone.else@example.com"


def test_without_consent_fields_non_marketing_and_a_lawful_basis_are_refused(app_sandbox, admin, capsys):
    connected(capsys)
    base = ["sync", "create", "--list", "Books customers", "--yes", "--no-run"]
    assert run_cli(*base, "--subscription", "non-marketing") == 2
    assert NO_SUBSCRIPTION_FIELD in capsys.readouterr().err
    assert run_cli(*base, "--lawful-basis", "consent", "--gdpr", "on") == 2
    assert NO_LAWFUL_BASIS_FIELD in capsys.readouterr().err
    assert run_cli(*base, "--gdpr", "on") == 0
    out = capsys.readouterr().out
    assert "as Marketing contacts" in out and NO_SUBSCRIPTION_FIELD in out  # the disclaimer says why
    sync = _status(capsys)["sync"]
    assert sync["gdpr"] is True and sync["subscription_type"] == "marketing" and sync["lawful_basis"] is None
    assert run_cli("sync", "edit", "--gdpr", "off") == 0
    assert _status(capsys)["sync"]["gdpr"] is False


def test_with_consent_fields_non_marketing_and_a_lawful_basis_are_kept(app_sandbox, admin, capsys):
    admin.config(consent_fields=True)
    connected(capsys)
    base = ["sync", "create", "--list", "Books customers", "--yes", "--no-run", "--subscription", "non-marketing"]
    assert run_cli(*base, "--gdpr", "off") == 2  # the Lawful Basis field shows GDPR is on
    assert "GDPR" in capsys.readouterr().err
    assert run_cli(*base, "--lawful-basis", "consent") == 0
    sync = _status(capsys)["sync"]
    assert (sync["subscription_type"], sync["lawful_basis"], sync["gdpr"]) == ("non-marketing", "consent", None)


def test_a_double_opt_in_list_exits_4_until_accepted_and_a_new_list_resets(app_sandbox, admin, capsys):
    connected(capsys)
    before = admin.last_call_number()
    rc = run_cli("sync", "create", "--list", "Newsletter (double opt-in)", "--yes")
    out = capsys.readouterr().out
    assert rc == 4, out
    assert "Needs your decision" in out and "confirmation email" in out and "joins the list only after" in out
    assert "desktop-app sync edit --accept-double-opt-in" in out and "desktop-app sync edit --list" in out
    writes = [c for c in admin.calls(since=before) if c["path"].endswith("json/listsubscribe")]
    assert len(writes) == 1

    # history: the Awaiting column (table) and awaiting_confirmation (JSON)
    assert run_cli("history") == 0
    table = capsys.readouterr().out.splitlines()
    header = table[0].split()
    assert "AWAITING" in header
    row = table[1].split()
    # "SYNC TIME" and its value are two words each, so the words line up
    assert row[header.index("STATUS")] == "needs_decision"
    assert (row[header.index("AWAITING")], row[header.index("ADDED")]) == ("1", "0")
    run = _history(capsys)[0]
    assert run["status"] == "needs_decision" and run["counts"]["awaiting_confirmation"] == 1

    # no scheduled run while the decision waits (each would email one more customer)
    before = admin.last_call_number()
    assert run_cli("sync", "run", "--if-due") == 4
    assert "--accept-double-opt-in" in capsys.readouterr().out
    assert not [c for c in admin.calls(since=before) if c["path"].endswith("json/listsubscribe")]
    assert _status(capsys)["sync"]["opt_in_mode"] == "unknown"

    assert run_cli("sync", "edit", "--accept-double-opt-in") == 0
    assert "accepted" in capsys.readouterr().out
    assert _status(capsys)["sync"]["opt_in_mode"] == "double_accepted"
    assert run_cli("sync", "edit", "--list", "Books customers") == 0
    assert _status(capsys)["sync"]["opt_in_mode"] == "unknown"  # a new list: probed again


def test_the_disclaimer_reads_a_bounded_number_of_books_pages_and_says_when_its_count_is_a_floor(
        app_sandbox, admin, capsys, monkeypatch):
    from desktop_app.app import syncs

    connected(capsys)
    assert [syncs.preview_pages(plan) for plan in ("free", "premium", None)] == [50, 500, 50]  # 5 % of the cap
    monkeypatch.setattr(syncs, "PREVIEW_PAGES", 2)  # the demo org has 1,500 customers: 8 pages
    monkeypatch.setattr(syncs, "PREVIEW_SHARE", 0.0)
    assert [syncs.preview_pages(plan) for plan in ("free", "premium")] == [2, 2]
    before = admin.last_call_number()
    assert create(capsys, "--no-run") == 0
    out = capsys.readouterr().out
    assert "would add at least " in out and "(of at least 400 customers)" in out
    assert "At Zoho's API limits: at least " in out and "finishes no earlier than" in out
    pages = [c for c in admin.calls(since=before) if c["service"] == "books" and c["path"].endswith("/contacts")]
    assert len(pages) <= 3  # the field sample (page 1) and the disclaimer's two pages; the run did not start


def test_the_disclaimer_and_the_run_say_when_the_sync_will_finish_at_zoho_s_limits(app_sandbox, admin, capsys):
    connected(capsys)
    assert create(capsys) == 0
    captured = capsys.readouterr()
    # The demo org: 1,500 customers, about 1,300 writable addresses; at the Sandbox's scale=20
    # limits that is minutes, not days.
    assert "At Zoho's API limits: about 1," in captured.out and " writes: finishes in " in captured.out
    estimates = [line for line in captured.err.splitlines() if line.startswith("Estimate: about ")]
    assert estimates and all("writes" in line and "finishes" in line for line in estimates)
