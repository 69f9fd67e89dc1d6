"""R24: kill -9 at random moments of a 3,000-customer run, resume, and end exactly where an
uninterrupted run ends: same list content, same counts, nothing written twice differently."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app import cli, config
from desktop_app.connectors.sandbox_admin import SandboxAdmin
from desktop_app.sandbox import SandboxServer

CUSTOMERS = 3000


def _home(root: Path, name: str, template: Path, monkeypatch) -> tuple[SandboxServer, Path]:
    home = root / name
    monkeypatch.setenv("DESKTOP_APP_HOME", str(home))
    paths = config.app_paths().ensure()
    shutil.copyfile(template, paths.sandbox_db_path)
    # A little latency spreads the run over seconds, so kills land in every phase.
    srv = SandboxServer(paths.sandbox_db_path, customers=CUSTOMERS, limits="off", latency_ms=1).start()
    assert cli.main(["connect", "sandbox"]) == 0
    assert cli.main(["sync", "create", "--list", "Books customers", "--subscription", "marketing",
                     "--map", "company_name=Company Name", "--yes", "--no-run"]) == 0
    return srv, home


def _content(srv: SandboxServer) -> list[tuple]:
    from desktop_app.app import AppService

    with AppService() as svc:
        key = svc.sync().list_key
    return sorted(
        (c["email"].casefold(), json.dumps(c.get("fields", {}), sort_keys=True), c["status"],
         c.get("subscription_type"))
        for c in SandboxAdmin(srv.url).list_contacts(key)
    )


def _running(writing: bool) -> bool:
    """A run row exists (the read phase has begun); with ``writing``, contacts are being written."""
    runs = _history()
    return bool(runs) and runs[0]["status"] == "running" and (runs[0]["total"] > 0 or not writing)


def _history() -> list[dict]:
    from desktop_app.app import AppService

    with AppService() as svc:
        return [{"status": r.status, "kind": r.kind, **r.counts.as_dict()} for r in svc.runs()]


@pytest.mark.slow
def test_kill9_at_random_points_then_resume_equals_uninterrupted(sandbox_templates, tmp_path, monkeypatch,
                                                                   capsys):
    template = sandbox_templates(CUSTOMERS, 42)

    # The reference: one uninterrupted run.
    ref_srv, _ = _home(tmp_path, "reference", template, monkeypatch)
    try:
        assert cli.main(["sync", "run"]) == 0
        reference_content = _content(ref_srv)
        reference_runs = _history()
    finally:
        ref_srv.stop()
    assert len(reference_runs) == 1 and reference_runs[0]["total"] == CUSTOMERS

    # The same run, killed with SIGKILL at random moments, then resumed to the end.
    srv, home = _home(tmp_path, "killed", template, monkeypatch)
    rng = random.Random(1234)
    env = {**os.environ, "DESKTOP_APP_HOME": str(home)}
    kills = 0
    progress_at_kills: list[int] = []
    try:
        for attempt in range(8):
            proc = subprocess.Popen([sys.executable, "-m", "desktop_app", "sync", "run"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Wait until the process has really started its run (slow starts on a loaded machine),
            # then kill it somewhere inside the run.
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline and not _running(writing=attempt % 2 == 1):
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.5))
            if proc.poll() is not None:
                break  # it finished: nothing left to resume
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
            runs = _history()
            if runs:
                progress_at_kills.append(runs[0]["total"])
        else:
            final = subprocess.run([sys.executable, "-m", "desktop_app", "sync", "run"], env=env,
                                   capture_output=True, text=True, timeout=300)
            assert final.returncode == 0, final.stderr
        killed_content = _content(srv)
        killed_runs = _history()
    finally:
        srv.stop()
    capsys.readouterr()

    assert kills >= 3, "the run finished too fast to be killed; raise the latency"
    # Kills landed in the middle of writing, not only before or after it.
    assert any(0 < done < CUSTOMERS for done in progress_at_kills), progress_at_kills
    assert killed_content == reference_content
    # One run, resumed after every kill, with the uninterrupted run's counts.
    assert [r for r in killed_runs if r["status"] == "completed"] == reference_runs
