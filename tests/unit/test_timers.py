"""The background schedule's files on macOS (launchd) and Windows (Task Scheduler), written and
checked here with a stand-in for the platform's tool (Linux's runs for real in integration)."""

from __future__ import annotations

import plistlib
import subprocess
import sys

import pytest

from desktop_app.config import timers

pytestmark = pytest.mark.unit


class Tool:
    """Records each command; answers 0 unless told otherwise."""

    def __init__(self, codes: dict[str, int] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.codes = codes or {}

    def __call__(self, argv):
        self.calls.append(list(argv))
        code = next((c for word, c in self.codes.items() if word in argv), 0)
        return subprocess.CompletedProcess(argv, code, "", "")


def _path_with(tmp_path, *names: str) -> dict[str, str]:
    for name in names:
        exe = tmp_path / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return {"PATH": str(tmp_path), "DESKTOP_APP_HOME": "/data/app home"}


def test_macos_gets_a_launch_agent_every_quarter_hour_with_the_apps_home(tmp_path):
    tool = Tool()
    agent = timers.timer_for("darwin", home=tmp_path, env=_path_with(tmp_path, "launchctl"), runner=tool)
    status = agent.install()
    plist = plistlib.loads((tmp_path / "Library" / "LaunchAgents" / f"{timers.AGENT}.plist").read_bytes())
    assert plist["Label"] == timers.AGENT and plist["StartInterval"] == 900
    assert plist["ProgramArguments"] == [sys.executable, "-m", "desktop_app", "sync", "run", "--if-due"]
    assert plist["EnvironmentVariables"] == {"DESKTOP_APP_HOME": "/data/app home"}
    assert ["launchctl", "load", "-w", str(agent.path)] in tool.calls
    assert status.installed and status.active
    assert not agent.remove().installed and not agent.path.exists()
    assert ["launchctl", "unload", "-w", str(agent.path)] in tool.calls


def test_windows_gets_a_scheduled_task_with_a_quoted_command_line(tmp_path):
    tool = Tool()
    task = timers.timer_for("win32", home=tmp_path, env=_path_with(tmp_path, "schtasks"), runner=tool)
    assert task.install().installed
    create = tool.calls[0]
    assert create[:9] == ["schtasks", "/Create", "/F", "/SC", "MINUTE", "/MO", "15", "/TN", "desktop-app-sync"]
    assert create[9] == "/TR" and create[10] == subprocess.list2cmdline(
        [sys.executable, "-m", "desktop_app", "sync", "run", "--if-due"])
    refused = timers.timer_for("win32", home=tmp_path, env=_path_with(tmp_path, "schtasks"),
                               runner=Tool({"/Create": 1, "/Query": 1}))
    status = refused.install()
    assert not status.installed and "schtasks refused" in status.detail


def test_a_frozen_build_starts_its_own_executable(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert timers.app_command() == [sys.executable]
    assert timers.timer_for("linux", home=tmp_path, env={}).argv() == [sys.executable, "sync", "run", "--if-due"]
