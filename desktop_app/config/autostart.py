"""Start at login, minimised to the tray: the window's scheduler then runs the sync all day without
anyone opening the app. One entry per platform, written by the app itself:

- Linux (and the BSDs): an XDG autostart entry, ``~/.config/autostart/desktop-app.desktop``;
- macOS: a LaunchAgent with ``RunAtLoad`` (``~/Library/LaunchAgents/<app id>.plist``);
- Windows: a value under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

The command is this installation's own (``timers.app_command``) with ``--minimized``.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from desktop_app.config.files import write_private
from desktop_app.config.paths import APP_DISPLAY_NAME, APP_ID, APP_NAME
from desktop_app.config.timers import app_command, home_override

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
MINIMIZED = "--minimized"


def _desktop_exec(argv: list[str]) -> str:
    """An Exec= line per the Desktop Entry spec: arguments with reserved characters double-quoted."""
    def quote(arg: str) -> str:
        if any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
            return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$") + '"'
        return arg
    return " ".join(quote(a) for a in argv).replace("%", "%%")


class Autostart:
    """``enabled()``, ``enable()``, ``disable()`` of one platform's login entry."""

    def __init__(self, home: Path, env: Mapping[str, str] | None = None) -> None:
        self.home = home
        self.env = os.environ if env is None else env

    def argv(self) -> list[str]:
        return [*app_command(), MINIMIZED]

    def enabled(self) -> bool:
        raise NotImplementedError

    def enable(self) -> None:
        raise NotImplementedError

    def disable(self) -> None:
        raise NotImplementedError


class XdgAutostart(Autostart):
    @property
    def path(self) -> Path:
        base = self.env.get("XDG_CONFIG_HOME") or str(self.home / ".config")
        return Path(base) / "autostart" / f"{APP_NAME}.desktop"

    def entry(self) -> str:
        env = [f"{k}={v}" for k, v in home_override(self.env).items()]
        argv = (["env", *env] if env else []) + self.argv()
        return "\n".join(["[Desktop Entry]", "Type=Application", f"Name={APP_DISPLAY_NAME}",
                          "Comment=Runs the scheduled sync from the tray", f"Exec={_desktop_exec(argv)}",
                          f"Icon={APP_NAME}", "Terminal=false", "X-GNOME-Autostart-enabled=true", ""])

    def enabled(self) -> bool:
        return self.path.exists()

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.path, self.entry())

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class LoginAgent(Autostart):
    @property
    def path(self) -> Path:
        return self.home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"

    def plist(self) -> bytes:
        data: dict = {"Label": APP_ID, "ProgramArguments": self.argv(), "RunAtLoad": True,
                      "LimitLoadToSessionType": "Aqua"}
        if home_override(self.env):
            data["EnvironmentVariables"] = home_override(self.env)
        return plistlib.dumps(data)

    def enabled(self) -> bool:
        return self.path.exists()

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.path, self.plist().decode("utf-8"))  # launchd reads it at the next login

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class RunKey(Autostart):
    """The per-user Run key; ``registry`` is ``winreg`` (a stand-in in the tests)."""

    def __init__(self, home: Path, env: Mapping[str, str] | None = None, registry=None) -> None:
        super().__init__(home, env)
        if registry is None:  # pragma: no cover - Windows only
            import winreg as registry
        self.reg = registry

    def command_line(self) -> str:
        return subprocess.list2cmdline(self.argv())

    def enabled(self) -> bool:
        try:
            with self.reg.OpenKey(self.reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                self.reg.QueryValueEx(key, APP_NAME)
                return True
        except OSError:
            return False

    def enable(self) -> None:
        with self.reg.CreateKey(self.reg.HKEY_CURRENT_USER, RUN_KEY) as key:
            self.reg.SetValueEx(key, APP_NAME, 0, self.reg.REG_SZ, self.command_line())

    def disable(self) -> None:
        try:
            with self.reg.OpenKey(self.reg.HKEY_CURRENT_USER, RUN_KEY, 0, self.reg.KEY_SET_VALUE) as key:
                self.reg.DeleteValue(key, APP_NAME)
        except OSError:
            pass  # not there: nothing to undo


def autostart_for(platform: str | None = None, *, home: Path | None = None, env: Mapping[str, str] | None = None,
                  registry=None) -> Autostart:
    platform = sys.platform if platform is None else platform
    home = Path.home() if home is None else home
    if platform.startswith("win"):
        return RunKey(home, env, registry)
    if platform == "darwin":
        return LoginAgent(home, env)
    return XdgAutostart(home, env)
