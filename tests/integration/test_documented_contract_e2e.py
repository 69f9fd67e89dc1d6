"""Issue 1/6, "Done when": the whole headless flow on a server answering as Zoho documents.

Black box: the CLI (in-process for set-up, a real child process for the run whose token dies), then
what the Sandbox (Zoho) holds and what the history says. Run once per reading of the contract:
``strict`` (the least convenient plausible reading, the default) and ``lenient``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from desktop_app import config
from desktop_app.domain import emails
from desktop_app.sandbox.contract import STRICT_LIST_STATUSES, STRICT_PARAMS
from tests.integration.sync_helpers import history, members, run_cli

# What each Campaigns endpoint documents (one table: the Sandbox's strict contract). The Sandbox
# refuses anything else in strict mode; this test also checks the app never *tries*, whatever the reading.
DOCUMENTED_PARAMS = STRICT_PARAMS
DOCUMENTED_STATUSES = set(STRICT_LIST_STATUSES)
CONTRACTS = ["strict", "lenient"]


def _json(capsys, *argv: str):
    capsys.readouterr()
    assert run_cli(*argv, "--json") == 0, argv
    return json.loads(capsys.readouterr().out)


def _campaigns_calls(admin, since: int = 0) -> list[dict]:
    return [c for c in admin.calls(since=since) if c["service"] == "campaigns"]


def _endpoint(path: str) -> str:
    return path.split("/api/v1.1/", 1)[-1].strip("/")


def _assert_only_documented(calls: list[dict], field_names: set[str]) -> None:
    for call in calls:
        ep = _endpoint(call["path"])
        assert ep in DOCUMENTED_PARAMS, call
        extra = set(call["params"]) - DOCUMENTED_PARAMS[ep]
        assert not extra, f"{ep} was sent undocumented parameters {extra}"
        if ep == "getlistsubscribers":
            assert call["params"].get("status", "active") in DOCUMENTED_STATUSES, call
        if ep == "json/listsubscribe":
            keys = set(json.loads(call["params"]["contactinfo"]))
            unknown = {k for k in keys if k.casefold() not in field_names}
            assert not unknown, f"contactinfo carried keys the account does not have: {unknown}"


def _books_customers() -> list[sqlite3.Row]:
    db = sqlite3.connect(config.app_paths().sandbox_db_path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM customers ORDER BY contact_id").fetchall()
    finally:
        db.close()


def _account_states() -> dict[str, str]:
    db = sqlite3.connect(config.app_paths().sandbox_db_path)
    try:
        return dict(db.execute("SELECT email_key, status FROM camp_contacts").fetchall())
    finally:
        db.close()


def _run_in_child_and_expire_token(admin, after_writes: int) -> tuple[int, str, int]:
    """``sync run`` in a real process; the access token dies once ``after_writes`` writes went out."""
    start = admin.last_call_number()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "desktop_app", "sync", "run"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    expired_at = None
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        writes = [c for c in admin.calls(since=start) if c["path"].endswith("json/listsubscribe")]
        if expired_at is None and len(writes) >= after_writes:
            expired_at = admin.last_call_number()
            admin.expire_tokens()
        time.sleep(0.05)
    out, _ = proc.communicate(timeout=60)
    assert expired_at is not None, f"the run ended before {after_writes} writes: {out}"
    return proc.returncode, out, expired_at


@pytest.mark.parametrize("contract", CONTRACTS)
def test_first_sync_edits_and_a_dying_token_on_the_documented_contract(app_sandbox, admin, capsys,
                                                                       contract):
    admin.config(contract=contract, latency_ms=3)
    assert run_cli("connect", "sandbox") == 0
    lists = _json(capsys, "lists")
    assert any(m["name"] == "Books customers" for m in lists)
    topics = _json(capsys, "topics")
    assert len(topics) >= 2
    fields = _json(capsys, "fields")
    assert fields["campaigns"], "contact/allfields answered no fields"

    chosen = [topics[0]["id"], topics[1]["id"]]
    capsys.readouterr()
    rc = run_cli("sync", "create", "--list", "Books customers", "--subscription", "marketing",
                 "--topic", chosen[0], "--topic", chosen[1], "--map", "cf_region=Region:new",
                 "--yes", "--no-run")
    out = capsys.readouterr().out
    assert rc == 0, out

    # The first run, in its own process; the token dies after 100 writes.
    rc, out, expired_at = _run_in_child_and_expire_token(admin, after_writes=100)
    assert rc == 0, out
    after = admin.calls(since=expired_at)
    refreshes = [c for c in after if c["service"] == "accounts" and c["path"] == "/oauth/v2/token"]
    assert len(refreshes) == 1, "a dying token must cost exactly one refresh"

    first = history(capsys)[0]
    assert first["status"] == "completed", first
    assert first["counts"]["awaiting_confirmation"] == 0
    capsys.readouterr()
    assert run_cli("export-skipped", str(first["id"]), "--out", str(config.app_paths().data_dir / "s.csv")) == 0
    skipped = (config.app_paths().data_dir / "s.csv").read_text(encoding="utf-8-sig")
    assert "rejected" not in skipped, "a systemic error was recorded as a per-contact skip"

    # Every expected customer is in the list, once, with its Books names, the new field and the topics.
    key = next(m["key"] for m in lists if m["name"] == "Books customers")
    held = members(admin, key)
    states = _account_states()
    customers = _books_customers()
    by_identity: dict[str, list[sqlite3.Row]] = {}
    for c in customers:
        verdict = emails.check(c["email"])
        if verdict.ok and verdict.key:
            by_identity.setdefault(verdict.key, []).append(c)
    expected = {k: rows[0] for k, rows in by_identity.items()
                if len(rows) == 1 and states.get(k, "active") == "active"}
    assert len(expected) > 1000
    present = {emails.identity(e): c for e, c in held.items() if c["status"] == "active"}
    missing = set(expected) - set(present)
    assert not missing, f"{len(missing)} customers missing from the list, e.g. {sorted(missing)[:3]}"
    for k, c in expected.items():
        fields_held = present[k]["fields"]
        assert fields_held.get("First Name", "") == c["first_name"].strip(), k
        assert fields_held.get("Last Name", "") == c["last_name"].strip(), k
        region = json.loads(c["custom_json"]).get("cf_region")
        if region:
            assert fields_held.get("Region") == region, k
        assert set(chosen) <= set(present[k]["topics"]), k
    assert first["counts"]["added"] == len(present)

    # Nothing undocumented was sent, in any call of the flow.
    names = {f["display_name"].casefold() for f in _json(capsys, "fields")["campaigns"]}
    _assert_only_documented(_campaigns_calls(admin), names)

    # Five customers edited in Books: the next run updates exactly those five.
    edited = list(expected.values())[:5]
    for i, c in enumerate(edited):
        admin.edit_customer(c["contact_id"], first_name=f"Edited{i}")
    capsys.readouterr()
    assert run_cli("sync", "run") == 0
    second = history(capsys)[0]
    assert second["status"] == "completed", second
    assert (second["counts"]["updated"], second["counts"]["added"]) == (5, 0), second["counts"]
    held = members(admin, key)
    for i, c in enumerate(edited):
        assert held[c["email"].strip().casefold()]["fields"]["First Name"] == f"Edited{i}"


@pytest.mark.parametrize("contract", CONTRACTS)
def test_a_double_opt_in_list_sends_one_confirmation_then_asks(app_sandbox, admin, capsys, contract):
    admin.config(contract=contract)
    assert run_cli("connect", "sandbox") == 0
    lists = _json(capsys, "lists")
    optin = next(m for m in lists if "double opt-in" in m["name"])
    start = admin.last_call_number()
    capsys.readouterr()
    rc = run_cli("sync", "create", "--list", optin["name"], "--subscription", "marketing", "--yes")
    out = capsys.readouterr().out
    assert rc == 4, out  # "needs your decision"
    assert "confirmation email" in out and "--accept-double-opt-in" in out
    writes = [c for c in admin.calls(since=start) if c["path"].endswith("json/listsubscribe")]
    assert len(writes) == 1, "at most one customer may get a confirmation email before the user is asked"
    run = history(capsys)[0]
    assert run["status"] == "needs_decision"
    assert run["counts"]["awaiting_confirmation"] == 1 and run["counts"]["added"] == 0
    assert all(c["status"] != "active" for c in admin.list_contacts(optin["key"]))

    # The user accepts: the rest get their confirmation emails and count as awaiting, never added.
    assert run_cli("sync", "edit", "--accept-double-opt-in") == 0
    assert run_cli("sync", "run") == 0
    second = history(capsys)[0]
    assert second["status"] == "completed", second
    assert second["counts"]["added"] == 0 and second["counts"]["awaiting_confirmation"] > 1000
    # Spam and do-not-mail addresses cannot be listed (undocumented statuses): they are learned from
    # listsubscribe's refusal. Every accepted write is one confirmation, and the first is not re-sent.
    sent = [c for c in admin.calls(since=start)
            if c["path"].endswith("json/listsubscribe") and str(c["code"]) in ("0", "200")]
    assert len(sent) == 1 + second["counts"]["awaiting_confirmation"], "the first one was re-sent"
