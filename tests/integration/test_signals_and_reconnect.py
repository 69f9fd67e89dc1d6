"""Issue 10 items 3 and 6 with real processes against a real Sandbox.

- SIGTERM and SIGHUP stop ``sync run`` at the next batch like Ctrl-C: the run is recorded
  cancelled, the next ``sync run`` continues it, and added summed over the runs equals the
  contacts the list gained.
- R42: a revoked sign-in fails the run *reconnect*; scheduled runs (``--if-due``) then pause
  without adding failed rows; ``connect sandbox`` accepts the same organization again and keeps
  the sync, mapping and history; another organization is still refused (R4).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from desktop_app import config
from desktop_app.app import AppService
from tests.integration.sync_helpers import connect_and_create, history, list_key, run_cli


def _runs() -> list[dict]:
    with AppService() as svc:
        return [{"id": r.id, "status": r.status, "trigger": r.trigger, "error": r.error, **r.counts.as_dict()}
                for r in svc.runs()]


def _active(admin, key: str) -> int:
    return sum(1 for c in admin.list_contacts(key) if c["status"] == "active")


def _history_cli() -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "desktop_app", "history", "--json"], env=dict(os.environ),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_signal_stops_the_run_at_a_batch_then_sync_run_continues(app_sandbox, admin, capsys, signum):
    connect_and_create(capsys, run=False)
    key = list_key(capsys)
    before = _active(admin, key)
    admin.config(latency_ms=20)  # the run lasts seconds, so the signal lands mid-write

    proc = subprocess.Popen([sys.executable, "-m", "desktop_app", "sync", "run"], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            runs = _runs()
            if runs and runs[0]["status"] == "running" and runs[0]["added"] > 0:
                break  # writes have begun
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before the signal; raise the latency"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signum, (proc.returncode, err)
    assert "Stopping after the current batch" in err
    assert "cancelled" in out

    first = _history_cli()
    assert len(first) == 1 and first[0]["status"] == "cancelled"
    done_at_signal = first[0]["counts"]["added"]
    assert 0 < done_at_signal < 1500  # stopped mid-write, the finished batches recorded

    admin.config(latency_ms=0)
    final = subprocess.run([sys.executable, "-m", "desktop_app", "sync", "run"], env=dict(os.environ),
                           capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    runs = _history_cli()
    assert runs[0]["status"] == "completed"
    assert sum(r["counts"]["added"] for r in runs) == _active(admin, key) - before
    capsys.readouterr()


def _revoke_sign_in(url: str) -> None:
    with AppService() as svc:
        conn = svc.require_connection()
        refresh = svc.secrets.get(conn.secret_key)
    assert refresh
    resp = requests.post(f"{url}/oauth/v2/token/revoke", params={"token": refresh}, timeout=30)
    assert resp.status_code == 200 and resp.json().get("status") == "success", resp.text


def test_revoked_sign_in_pauses_schedule_and_connect_again_keeps_everything(app_sandbox, admin, capsys):
    connect_and_create(capsys)  # the first full run completes
    key = list_key(capsys)
    with AppService() as svc:
        mapping_before = svc.sync().mapping
    _revoke_sign_in(app_sandbox.url)
    admin.simulate(10)  # something to write once reconnected

    # The run fails *reconnect*, and says how.
    assert run_cli("sync", "run") == 1
    err = capsys.readouterr().err
    assert "reconnect" in err.lower() and "desktop-app connect sandbox" in err
    runs = history(capsys)
    assert [r["status"] for r in runs] == ["failed", "completed"]
    with AppService() as svc:
        assert svc.connection().needs_reconnect
        assert not svc.is_due(svc.sync().next_run_at or svc.clock())
        notes = svc.notifications()
    assert len(notes) == 2  # the completed run's, then one saying why the sync stopped

    # Scheduled runs pause: a sentence, exit 0, no new failed row, no new notification.
    for _ in range(3):
        assert run_cli("sync", "run", "--if-due") == 0
        assert "reconnected" in capsys.readouterr().out
    assert len(history(capsys)) == 2
    with AppService() as svc:
        assert len(svc.notifications()) == 2
    # A manual run asks Zoho first: still refused, so no run starts and no failed row is added.
    assert run_cli("sync", "run") == 1
    err = capsys.readouterr().err
    assert "reconnect" in err.lower() and "desktop-app connect sandbox" in err
    assert len(history(capsys)) == 2

    # Connect again: the same organization is accepted; the sync, mapping and history stay.
    assert run_cli("connect", "sandbox") == 0
    out = capsys.readouterr().out
    assert "Reconnected" in out and "kept" in out
    with AppService() as svc:
        assert not svc.connection().needs_reconnect
        assert svc.sync().list_key == key and svc.sync().mapping == mapping_before
    assert len(history(capsys)) == 2

    assert run_cli("sync", "run") == 0
    capsys.readouterr()
    runs = history(capsys)
    # The failed run is continued (not a new row): it completes and says it was interrupted.
    assert [r["status"] for r in runs] == ["completed", "completed"]
    assert any(n.startswith("Interrupted at") and "continued at" in n for n in runs[0]["notes"])

    # Now the sign-in works again: a second connect is refused (R4), with a sentence.
    assert run_cli("connect", "sandbox") == 2
    assert "already connected" in capsys.readouterr().err


def test_reconnect_refuses_another_organization(app_sandbox, admin, capsys):
    connect_and_create(capsys, run=False)
    _revoke_sign_in(app_sandbox.url)
    assert run_cli("sync", "run") == 1
    capsys.readouterr()
    admin.config(second_org=True)

    assert run_cli("connect", "sandbox", "--org", "60087654321") == 2
    err = capsys.readouterr().err
    assert "Only one Zoho Books organization" in err and "Zylker Second Branch" in err
    with AppService() as svc:
        assert svc.connection().needs_reconnect  # still waiting for the right one

    # Without --org, the connected organization is chosen again among the two.
    assert run_cli("connect", "sandbox") == 0
    assert "Reconnected" in capsys.readouterr().out
    assert run_cli("sync", "run") == 0
    capsys.readouterr()
    assert history(capsys)[0]["status"] == "completed"


def test_a_sign_in_revoked_outside_the_app_is_found_by_connect(app_sandbox, admin, capsys):
    """No run has failed yet: `connect` checks the saved sign-in, finds it dead, and accepts."""
    connect_and_create(capsys, run=False)
    _revoke_sign_in(app_sandbox.url)
    assert run_cli("connect", "sandbox") == 0
    assert "Reconnected" in capsys.readouterr().out
    assert run_cli("sync", "run") == 0


def test_a_reconnect_revokes_the_sign_in_it_replaces(app_sandbox, admin, capsys):
    """Zoho keeps at most 20 refresh tokens per client: the replaced one must not linger."""
    connect_and_create(capsys, run=False)
    with AppService() as svc:
        old = svc.secrets.get(svc.require_connection().secret_key)
        svc.mark_reconnect_needed()  # Zoho refused the sign-in once (it still works)
    assert run_cli("connect", "sandbox") == 0
    assert "Reconnected" in capsys.readouterr().out
    refused = requests.post(f"{app_sandbox.url}/oauth/v2/token", timeout=30, data={
        "grant_type": "refresh_token", "client_id": config.SANDBOX_CLIENT_ID,
        "client_secret": config.SANDBOX_CLIENT_SECRET, "refresh_token": old})
    assert "error" in refused.json(), refused.text  # the replaced sign-in is dead
    assert run_cli("sync", "run") == 0  # the new one works
    with AppService() as svc:
        assert not [n for n in svc.notifications() if n.title == "Old sign-in still active"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_window_stops_its_run_at_a_batch_and_quits_on_signal(app_sandbox, admin, capsys, signum):
    """The window (a real process, offscreen) starts the due first run by itself; a session end's
    signal stops it at a batch boundary, records it cancelled, and the window quits cleanly."""
    connect_and_create(capsys, run=False)
    key = list_key(capsys)
    before = _active(admin, key)
    admin.config(latency_ms=20)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "desktop_app"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            runs = _runs()
            if runs and runs[0]["status"] == "running" and runs[0]["added"] > 0:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the window's run ended before the signal"
        assert _runs()[0]["trigger"] == "scheduled"
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    runs = _history_cli()
    assert len(runs) == 1 and runs[0]["status"] == "cancelled"
    assert 0 < runs[0]["counts"]["added"] < 1500

    admin.config(latency_ms=0)
    assert run_cli("sync", "run") == 0
    capsys.readouterr()
    runs = _history_cli()
    assert runs[0]["status"] == "completed"
    assert sum(r["counts"]["added"] for r in runs) == _active(admin, key) - before
