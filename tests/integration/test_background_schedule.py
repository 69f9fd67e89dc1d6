"""`desktop-app schedule install|remove|status` on Linux: the systemd user timer's files, systemctl
asked to start it (a stand-in systemctl on PATH records what it is asked), and the unit's own
command line, run as systemd would run it, making the due scheduled run against the Sandbox."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.integration.sync_helpers import connect_and_create, run_cli

FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *"enable --now"*) touch "$FAKE_STATE" ;;
  *"disable --now"*) rm -f "$FAKE_STATE" ;;
  *is-active*) if [ -e "$FAKE_STATE" ]; then echo active; exit 0; else echo inactive; exit 3; fi ;;
esac
exit 0
"""


def _desktop(tmp_path: Path, *, systemctl: bool = True) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if systemctl:
        tool = bin_dir / "systemctl"
        tool.write_text(FAKE_SYSTEMCTL)
        tool.chmod(0o755)
    return {**os.environ, "HOME": str(tmp_path / "user"), "XDG_CONFIG_HOME": str(tmp_path / "user" / ".config"),
            "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin", "FAKE_LOG": str(tmp_path / "systemctl.log"),
            "FAKE_STATE": str(tmp_path / "enabled")}


def _cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_app", *argv], env=env, capture_output=True, text=True,
                          timeout=120)


def _unit(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found.setdefault(key, []).append(value)
    return found


def test_install_writes_a_user_timer_whose_command_runs_the_due_sync_and_remove_undoes_it(
        app_sandbox, admin, capsys, tmp_path):
    connect_and_create(capsys, "--schedule", "every-1h", run=False)
    env = _desktop(tmp_path)
    done = _cli(env, "schedule", "install")
    assert done.returncode == 0, done.stderr
    assert "Background schedule active" in done.stdout and "every 15 minutes" in done.stdout
    assert "No sync is configured" not in done.stdout
    units = tmp_path / "user" / ".config" / "systemd" / "user"
    service = _unit((units / "desktop-app-sync.service").read_text())
    timer = _unit((units / "desktop-app-sync.timer").read_text())
    assert timer["OnCalendar"] == ["*:0/15"] and timer["Persistent"] == ["true"]
    assert timer["WantedBy"] == ["timers.target"]
    assert (tmp_path / "systemctl.log").read_text().splitlines() == [
        "--user daemon-reload", "--user enable --now desktop-app-sync.timer", "--user is-active desktop-app-sync.timer"]
    status = json.loads(_cli(env, "schedule", "status", "--json").stdout)
    assert status["installed"] and status["active"] and status["backend"] == "systemd user timer"

    # What systemd runs: the unit's command line with its environment (the same app home).
    argv = shlex.split(service["ExecStart"][0])
    assert argv[-3:] == ["sync", "run", "--if-due"]
    unit_env = dict(e.strip('"').split("=", 1) for e in service["Environment"])
    assert unit_env == {"DESKTOP_APP_HOME": os.environ["DESKTOP_APP_HOME"]}
    before = admin.last_call_number()
    # As a user service: the user's HOME and keyring (here the tests' null one), plus the unit's environment.
    session = {"PATH": "/usr/bin:/bin", "HOME": env["HOME"],
               "PYTHON_KEYRING_BACKEND": os.environ["PYTHON_KEYRING_BACKEND"]}
    ran = subprocess.run(argv, env={**session, **unit_env}, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert any(c["path"].endswith("json/listsubscribe") for c in admin.calls(since=before))
    assert run_cli("history", "--json") == 0
    (first,) = json.loads(capsys.readouterr().out)
    assert first["trigger"] == "scheduled" and first["status"] == "completed"

    gone = _cli(env, "schedule", "remove")
    assert gone.returncode == 0 and "No background schedule is installed" in gone.stdout
    assert not list(units.iterdir())
    assert "--user disable --now desktop-app-sync.timer" in (tmp_path / "systemctl.log").read_text()


def test_without_systemd_the_files_stay_and_the_one_command_to_run_is_said(app_home, tmp_path):
    env = _desktop(tmp_path, systemctl=False)
    done = _cli(env, "schedule", "install")
    assert done.returncode == 1
    assert "systemctl --user enable --now desktop-app-sync.timer" in done.stdout
    assert "No sync is configured yet" in done.stdout
    assert (tmp_path / "user" / ".config" / "systemd" / "user" / "desktop-app-sync.timer").exists()


def test_autostart_on_status_off_from_the_command_line(app_home, tmp_path):
    env = _desktop(tmp_path)
    entry = tmp_path / "user" / ".config" / "autostart" / "desktop-app.desktop"
    assert _cli(env, "autostart", "status").stdout.strip() == "Does not start at login."
    on = _cli(env, "autostart", "on")
    assert on.returncode == 0 and on.stdout.strip() == "Starts at login, minimised to the tray."
    assert "--minimized" in entry.read_text()
    assert _cli(env, "autostart", "off").returncode == 0 and not entry.exists()
