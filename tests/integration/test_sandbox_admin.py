"""Admin API data knobs (customers, simulate, stats, reset) and the ``desktop-app sandbox`` CLI."""

from __future__ import annotations

import json
import os

import pytest
import requests

from desktop_app import cli
from desktop_app.config import app_paths
from desktop_app.connectors.sandbox_admin import SandboxAdmin, SandboxAdminError
from desktop_app.sandbox import SandboxServer
from desktop_app.sandbox.server import runfile_path

ORG = "60012345678"


def newest(srv, auth, n=5):
    return requests.get(f"{srv.url}/books/v3/contacts", headers=auth, timeout=10, params={
        "organization_id": ORG, "sort_column": "last_modified_time", "sort_order": "D", "per_page": n,
    }).json()["contacts"]


def test_add_edit_delete_customer(sandbox, sandbox_admin, auth):
    c = sandbox_admin.add_customer(contact_name="Zoë Ångström", first_name="Zoë", last_name="Ångström",
                                   email="zoe@example.com", cf_region="North")
    assert newest(sandbox, auth)[0]["contact_id"] == c["contact_id"]
    old = sandbox_admin.get_customer(sandbox_admin.simulate(1)[0])
    edited = sandbox_admin.edit_customer(c["contact_id"], email="zoe.new@example.com", cf_region="")
    top = newest(sandbox, auth)[0]
    assert top["contact_id"] == c["contact_id"] and top["email"] == "zoe.new@example.com" and "cf_region" not in top
    assert edited["last_modified_time"] > old["last_modified_time"]
    detail = requests.get(f"{sandbox.url}/books/v3/contacts/{c['contact_id']}", headers=auth, timeout=10,
                          params={"organization_id": ORG}).json()["contact"]
    assert detail["contact_persons"][0]["email"] == "zoe.new@example.com"
    sandbox_admin.delete_customer(c["contact_id"])
    assert requests.get(f"{sandbox.url}/books/v3/contacts/{c['contact_id']}", headers=auth, timeout=10,
                        params={"organization_id": ORG}).status_code == 404
    with pytest.raises(SandboxAdminError, match="404"):
        sandbox_admin.delete_customer(c["contact_id"])
    with pytest.raises(SandboxAdminError, match="unknown customer field"):
        sandbox_admin.add_customer(shoe_size=44)
    with pytest.raises(SandboxAdminError, match="status"):
        sandbox_admin.add_customer(status="sleeping")


def test_simulate_changes_n_customers_newest_first(sandbox, sandbox_admin, auth):
    changed = sandbox_admin.simulate(7)
    assert len(set(changed)) == 7
    assert {c["contact_id"] for c in newest(sandbox, auth, 7)} == set(changed)


def test_stats_and_reset(sandbox, sandbox_admin):
    stats = sandbox_admin.stats()
    assert stats["customers"]["total"] == 1500 and stats["customers"]["with_email"] < 1500
    assert {lst["listname"] for lst in stats["lists"]} >= {"Newsletter"}
    assert stats["config"]["limits"] == "off"
    sandbox_admin.reset(customers=100, seed=3)
    stats = sandbox_admin.stats()
    assert stats["customers"]["total"] == 100 and stats["seed"] == {"customers": 100, "seed": 3}
    assert stats["calls_total"] <= 2  # the call numbers start again after a reset


def test_cli_simulate_and_stats_without_a_server(capsys):
    assert cli.main(["sandbox", "simulate", "--changes", "3"]) == 0
    assert "Changed 3 customer(s)" in capsys.readouterr().out
    assert cli.main(["sandbox", "stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["customers"]["total"] == 1500 and data["server"] is None
    assert app_paths().sandbox_db_path.exists()


def test_cli_goes_through_a_running_server_and_ignores_a_stale_run_file(capsys):
    db = app_paths().ensure().sandbox_db_path
    with SandboxServer(db, customers=100, limits="off") as srv:
        assert cli.main(["sandbox", "simulate", "--changes", "2"]) == 0
        assert "Changed 2" in capsys.readouterr().out
        paths = [c["path"] for c in SandboxAdmin(srv.url).calls()]
        assert "/_sandbox/simulate" in paths
        assert cli.main(["sandbox", "stats", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["server"] == srv.url
    assert not runfile_path(db).exists()
    runfile_path(db).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 2**22 + 12345}))
    assert cli.main(["sandbox", "stats"]) == 0
    assert "not running" in capsys.readouterr().out
    assert os.path.exists(db)


def test_cli_refuses_bad_flags(capsys):
    assert cli.main(["sandbox", "simulate", "--changes", "-1"]) == 2
    assert cli.main(["sandbox", "serve", "--limits", "fast"]) == 2
    assert "scale=K" in capsys.readouterr().err


def test_cli_serve_prints_the_urls_and_stops_cleanly_on_sigterm(app_home):
    import signal
    import subprocess
    import sys

    env = {**os.environ, "DESKTOP_APP_HOME": str(app_home)}
    proc = subprocess.Popen([sys.executable, "-m", "desktop_app", "sandbox", "serve", "--customers", "50",
                             "--limits", "off"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("Sandbox serving on http://127.0.0.1:"), first + proc.stderr.read()
        url = first.split()[3]
        lines = [proc.stdout.readline() for _ in range(4)]
        assert f"DESKTOP_APP_BOOKS_URL={url}/books/v3" in "".join(lines)
        assert SandboxAdmin(url).stats()["customers"]["total"] == 50
        assert runfile_path(app_paths().sandbox_db_path).exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)  # waits, and closes the pipes
    assert proc.returncode == 0
    assert not runfile_path(app_paths().sandbox_db_path).exists()
