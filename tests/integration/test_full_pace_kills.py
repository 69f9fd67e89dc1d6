"""Issue 10, done when: six kill -9s at full pace plus a SIGTERM during one full run, then
``sync run`` to the end — the list equals an uninterrupted run's, Zoho (the Sandbox, limits on)
never locked or refused a call, and history's added summed over the runs equals the contacts the
list gained. Real processes, real signals, the Sandbox's documented windows (15× faster).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app import cli, config
from desktop_app.app import AppService
from desktop_app.connectors.limiter import allowed_calls
from desktop_app.domain.limits import LIMITS
from desktop_app.sandbox import SandboxServer
from desktop_app.store.models import ApiUse
from tests.integration.sync_helpers import admin_of, current_list_key, list_content

CUSTOMERS = 3000
SCALE = 15  # the listsubscribe minute is 4 s: 495 calls each, a lock lasts 2 minutes
FAMILY = "campaigns.listsubscribe"


def _home(root: Path, name: str, template: Path, monkeypatch, limits: str) -> tuple[SandboxServer, dict]:
    home = root / name
    monkeypatch.setenv("DESKTOP_APP_HOME", str(home))
    paths = config.app_paths().ensure()
    shutil.copyfile(template, paths.sandbox_db_path)
    srv = SandboxServer(paths.sandbox_db_path, customers=CUSTOMERS, limits=limits).start()
    assert cli.main(["connect", "sandbox"]) == 0
    assert cli.main(["sync", "create", "--list", "Books customers", "--subscription", "marketing",
                     "--map", "company_name=Company Name", "--yes", "--no-run"]) == 0
    return srv, {**os.environ, "DESKTOP_APP_HOME": str(home)}


def _runs() -> list[dict]:
    with AppService() as svc:
        return [{"status": r.status, "calls_campaigns": r.calls_campaigns, **r.counts.as_dict()}
                for r in svc.runs()]


def _writing() -> bool:
    runs = _runs()
    return bool(runs) and runs[0]["status"] == "running" and runs[0]["total"] > 0


def _start(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "desktop_app", "sync", "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_writing(proc: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not _writing():
        time.sleep(0.05)
    return proc.poll() is None


@pytest.mark.slow
def test_six_kills_and_a_sigterm_at_full_pace_never_trip_a_lock_and_lose_nothing(sandbox_templates, tmp_path,
                                                                                  monkeypatch, capsys):
    template = sandbox_templates(CUSTOMERS, 42)
    ref, _ = _home(tmp_path, "reference", template, monkeypatch, "off")
    try:
        assert cli.main(["sync", "run"]) == 0
        reference = list_content(ref)
    finally:
        ref.stop()
    assert len(reference) > 2000

    srv, env = _home(tmp_path, "killed", template, monkeypatch, f"scale={SCALE}")
    rng = random.Random(2026)
    signals: list[str] = []
    try:
        before = len(admin_of(srv).list_contacts(current_list_key()))
        first_call = admin_of(srv).last_call_number()
        for n in range(7):
            proc = _start(env)
            if not _wait_writing(proc):
                proc.communicate(timeout=600)
                break  # it finished before it could be stopped: nothing left to continue
            time.sleep(rng.uniform(0.3, 2.5))
            if proc.poll() is not None:
                proc.communicate(timeout=60)
                break
            if n < 6:
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=30)  # waits, and closes the pipe
                signals.append("KILL")
            else:
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=120)
                assert proc.returncode == 128 + signal.SIGTERM, err
                signals.append("TERM")
        final = subprocess.run([sys.executable, "-m", "desktop_app", "sync", "run"], env=env,
                               capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr
        stats = admin_of(srv).stats()
        campaigns_calls = sum(1 for c in admin_of(srv).calls(first_call) if c["service"] == "campaigns")
        content = list_content(srv)
        gained = sum(1 for c in admin_of(srv).list_contacts(current_list_key()) if c["status"] == "active") - before
        runs = _runs()
        with AppService() as svc, svc.db.read_session() as s:
            at = sorted(s.scalars(select(ApiUse.at).where(ApiUse.family == FAMILY)))
    finally:
        srv.stop()
    capsys.readouterr()

    assert signals == ["KILL"] * 6 + ["TERM"], "the run ended too soon to be stopped seven times"
    # Zoho never locked nor refused anything, whatever was killed.
    assert not any(stats.get("lockouts_by_family", {}).values()), stats
    assert not any(stats.get("refusals_by_family", {}).values()), stats
    assert content == reference
    assert runs[0]["status"] == "completed"
    assert sum(r["added"] for r in runs) == gained
    # The calls of every process are in the run's totals, up to each killed one's last batch.
    counted = sum(r["calls_campaigns"] for r in runs)
    assert campaigns_calls - 6 * 60 <= counted <= campaigns_calls, (counted, campaigns_calls)
    # Full pace: the busiest window of recorded calls used the budget, and never more.
    window = LIMITS[FAMILY].windows[0].seconds / SCALE
    busiest = max(sum(1 for t in at[i:i + 1000] if t < start + window) for i, start in enumerate(at))
    assert 0.9 * allowed_calls(500, FAMILY) <= busiest <= allowed_calls(500, FAMILY)
