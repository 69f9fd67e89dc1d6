"""Issue 10 items 4 and 5 against a real Sandbox over HTTP, through the CLI.

- Under 30 % server errors on every service, ``connect sandbox`` succeeds and ONE ``sync run``
  completes with the list (and the counts) of an uninterrupted run, no finished batch sent again.
- Under a mixed load (429s, malformed and truncated answers, timeouts, token expiry, server errors
  after the write was applied) the same holds.
- A run that gives up on a transient failure fails with a sentence; the next ``sync run``
  continues the same run row: nothing answered is sent again, added summed over history equals
  the contacts gained, and the calls of both processes are in the run's totals.

The retry policy is the app's; only its pauses are shortened (in-process CLI, monkeypatched).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from desktop_app import config
from desktop_app.app import AppService
from desktop_app.connectors import errors as connector_errors
from desktop_app.connectors import http as connector_http
from desktop_app.engine import run as engine_run
from desktop_app.sandbox import SandboxServer
from tests.integration.sync_helpers import admin_of, list_content, run_cli

CUSTOMERS = 400
SUBSCRIBE = "json/listsubscribe"


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch):
    """The same retries, with pauses of milliseconds (a 429's Retry-After is still honoured)."""
    monkeypatch.setattr(connector_http, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(connector_http, "BACKOFF_CAP", 0.05)
    monkeypatch.setattr(connector_errors, "RETRY_DELAYS", (0.05, 0.1, 0.2, 0.4))
    monkeypatch.setattr(engine_run, "RETRY_DELAYS", (0.05, 0.1, 0.2, 0.4))


def _home(root: Path, name: str, template: Path, monkeypatch, **server) -> SandboxServer:
    """A fresh app home with its own Sandbox (a copy of the seeded template), nothing connected."""
    monkeypatch.setenv("DESKTOP_APP_HOME", str(root / name))
    paths = config.app_paths().ensure()
    shutil.copyfile(template, paths.sandbox_db_path)
    return SandboxServer(paths.sandbox_db_path, customers=CUSTOMERS, seed=42, limits="off", **server).start()


def _connect_and_create(capsys) -> None:
    assert run_cli("connect", "sandbox") == 0, capsys.readouterr().err
    assert run_cli("sync", "create", "--list", "Books customers", "--subscription", "marketing",
                   "--map", "company_name=Company Name", "--yes", "--no-run") == 0, capsys.readouterr().err
    capsys.readouterr()


def _runs() -> list[dict]:
    with AppService() as svc:
        return [{"id": r.id, "status": r.status, "error": r.error, **r.counts.as_dict()} for r in svc.runs()]


def _run_row(run_id: int):
    from desktop_app.store.models import Run

    with AppService() as svc, svc.db.read_session() as s:
        return s.get(Run, run_id)


def _subscribe_answers(srv: SandboxServer, since: int = 0) -> tuple[Counter, Counter]:
    """Per address: listsubscribe calls answered with success, and all listsubscribe calls."""
    ok, sent = Counter(), Counter()
    for call in admin_of(srv).calls(since):
        if call["service"] != "campaigns" or not call["path"].endswith(SUBSCRIBE):
            continue
        info = json.loads(call["params"].get("contactinfo") or "{}")
        email = str(info.get("Contact Email", "")).casefold()
        sent[email] += 1
        if call["status"] == 200 and call["code"] in ("0", "200", "success"):
            ok[email] += 1
    return ok, sent


def _reference(tmp_path, template, monkeypatch, capsys) -> tuple[list[tuple], dict]:
    """An uninterrupted run without faults: the list and counts every faulted run must end with."""
    srv = _home(tmp_path, "reference", template, monkeypatch)
    try:
        _connect_and_create(capsys)
        assert run_cli("sync", "run") == 0
        capsys.readouterr()
        runs = _runs()
        assert len(runs) == 1 and runs[0]["status"] == "completed"
        return list_content(srv), {k: v for k, v in runs[0].items() if k not in ("id", "error")}
    finally:
        srv.stop()


def _connect_and_run_once(srv: SandboxServer, capsys) -> tuple[dict, list[dict], list[tuple], Counter]:
    """Under the faults set on ``srv``: connect, create, ONE ``sync run`` (it must succeed); then,
    faults cleared, what was injected, the history, the list and the successful subscribes."""
    admin = admin_of(srv)
    _connect_and_create(capsys)
    code = run_cli("sync", "run")
    _out, err = capsys.readouterr()
    assert code == 0, err
    injected = admin.stats().get("faults_injected") or {}
    admin.clear_faults()
    ok, _sent = _subscribe_answers(srv)
    return injected, _runs(), list_content(srv), ok


def test_thirty_percent_server_errors_connect_and_one_run_completes(sandbox_templates, tmp_path, monkeypatch,
                                                                    capsys):
    template = sandbox_templates(CUSTOMERS, 42)
    reference_content, reference_counts = _reference(tmp_path, template, monkeypatch, capsys)

    srv = _home(tmp_path, "faulty", template, monkeypatch)
    try:
        admin = admin_of(srv)
        admin.faults("5xx", rate=0.3)  # every service: accounts (sign-in), Books, Campaigns
        injected, runs, content, ok = _connect_and_run_once(srv, capsys)
    finally:
        srv.stop()
    assert injected.get("5xx", 0) > 100  # the faults really happened, on every kind of call
    assert [r["status"] for r in runs] == ["completed"]  # ONE run
    assert {k: v for k, v in runs[0].items() if k not in ("id", "error")} == reference_counts
    assert content == reference_content
    # Every address was subscribed successfully exactly once: no finished batch went again.
    assert ok and set(ok.values()) == {1}
    assert sum(ok.values()) == reference_counts["added"] + reference_counts["updated"]


def test_mixed_load_connect_and_one_run_completes_with_uninterrupted_counts(sandbox_templates, tmp_path,
                                                                             monkeypatch, capsys):
    template = sandbox_templates(CUSTOMERS, 42)
    reference_content, reference_counts = _reference(tmp_path, template, monkeypatch, capsys)

    srv = _home(tmp_path, "mixed", template, monkeypatch, timeout_seconds=1.0)  # a timeout costs 1 s
    try:
        admin = admin_of(srv)
        for kind, rate in (("429", 0.05), ("malformed", 0.05), ("truncated", 0.05), ("timeout", 0.02)):
            admin.faults(kind, rate=rate)
        admin.faults("5xx", rate=0.05, applied=True)  # the write happened, then the answer failed
        # Token expiry on Books and Campaigns only: on the accounts token endpoint the Sandbox
        # answers it invalid_code, which says the refresh token is dead (not transient) — a
        # reconnect, not a retry, is the right answer there.
        for service in ("books", "campaigns"):
            admin.faults("token_expiry", rate=0.02, service=service)
        injected, runs, content, ok = _connect_and_run_once(srv, capsys)
    finally:
        srv.stop()
    assert all(injected.get(k, 0) > 0 for k in ("429", "malformed", "truncated", "timeout", "5xx",
                                                 "token_expiry")), injected
    assert [r["status"] for r in runs] == ["completed"]
    counts = {k: v for k, v in runs[0].items() if k not in ("id", "error")}
    assert counts == reference_counts and counts["added"] == counts["total"] - counts["skipped"]
    assert content == reference_content
    # Each address has exactly one successful subscribe; an applied 5xx's retry is that one (the
    # failed answer before it is not a success), nothing finished went again.
    assert ok and set(ok.values()) == {1}
