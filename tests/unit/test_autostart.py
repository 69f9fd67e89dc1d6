"""Start at login, minimised: the entry each platform reads (XDG autostart, a LaunchAgent, the Run key)."""

from __future__ import annotations

import plistlib
import subprocess
import sys

import pytest

from desktop_app.config import autostart

pytestmark = pytest.mark.unit

COMMAND = [sys.executable, "-m", "desktop_app", "--minimized"]


def test_linux_writes_an_xdg_autostart_entry_that_starts_the_app_minimized(tmp_path):
    entry = autostart.autostart_for("linux", home=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert not entry.enabled()
    entry.enable()
    text = (tmp_path / "cfg" / "autostart" / "desktop-app.desktop").read_text()
    lines = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert lines["Type"] == "Application" and lines["Exec"].endswith("-m desktop_app --minimized")
    assert entry.enabled()
    entry.disable()
    assert not entry.enabled()


def test_an_exec_line_quotes_what_the_desktop_entry_spec_reserves(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path), "DESKTOP_APP_HOME": "/home/ann/My Data"}
    exec_line = autostart.autostart_for("linux", home=tmp_path, env=env).entry().split("Exec=", 1)[1].split("\n")[0]
    assert exec_line.startswith('env "DESKTOP_APP_HOME=/home/ann/My Data" ')
    assert autostart._desktop_exec(["a%b", 'say "hi"']) == 'a%%b "say \\"hi\\""'


def test_macos_writes_a_launch_agent_run_at_load(tmp_path):
    entry = autostart.autostart_for("darwin", home=tmp_path, env={})
    entry.enable()
    plist = plistlib.loads(entry.path.read_bytes())
    assert plist["RunAtLoad"] is True and plist["ProgramArguments"] == COMMAND
    assert entry.path.parent == tmp_path / "Library" / "LaunchAgents"
    entry.disable()
    assert not entry.enabled()


class Registry:
    """A stand-in for winreg: one hive of keys holding values."""

    HKEY_CURRENT_USER = "HKCU"
    REG_SZ = 1
    KEY_SET_VALUE = 2

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    class _Key:
        def __init__(self, path: str) -> None:
            self.path = path

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def OpenKey(self, hive, path, reserved=0, access=0):
        return self._Key(path)

    CreateKey = OpenKey

    def QueryValueEx(self, key, name):
        if (key.path, name) not in self.values:
            raise FileNotFoundError(name)
        return self.values[(key.path, name)], self.REG_SZ

    def SetValueEx(self, key, name, reserved, kind, value):
        self.values[(key.path, name)] = value

    def DeleteValue(self, key, name):
        if self.values.pop((key.path, name), None) is None:
            raise FileNotFoundError(name)


def test_windows_writes_the_per_user_run_key_with_a_quoted_command(tmp_path):
    registry = Registry()
    entry = autostart.autostart_for("win32", home=tmp_path, env={}, registry=registry)
    assert not entry.enabled()
    entry.enable()
    assert registry.values[(autostart.RUN_KEY, "desktop-app")] == subprocess.list2cmdline(COMMAND)
    assert entry.enabled()
    entry.disable()
    entry.disable()  # twice: no error
    assert not entry.enabled()
