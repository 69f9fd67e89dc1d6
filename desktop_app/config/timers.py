"""Scheduled syncs while the window is closed: a timer of the operating system that starts
``desktop-app sync run --if-due`` every quarter of an hour (the sync's own schedule, pause state and
Zoho's windows decide whether a run happens; ``--if-due`` exits at once otherwise).

- Linux: a systemd *user* timer (``~/.config/systemd/user/desktop-app-sync.{service,timer}``,
  ``Persistent=true``: a run missed while the machine slept happens at wake-up);
- macOS: a LaunchAgent (``~/Library/LaunchAgents/<app id>.sync.plist``, ``StartInterval``);
- Windows: a Task Scheduler task (``schtasks /Create /SC MINUTE /MO 15``).

Each backend writes its files itself and asks the platform's tool to load them (``run`` is the
one place a command is executed, so the tests replace it); when the tool is missing (a container
without a user session) the files stay and the user is told the one command to run.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.config.files import write_private
from desktop_app.config.paths import APP_ID, APP_NAME, ENV_HOME

EVERY_MINUTES = 15
UNIT = f"{APP_NAME}-sync"  # systemd unit / Task Scheduler task name
AGENT = f"{APP_ID}.sync"  # launchd label

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a platform tool (systemctl, launchctl, schtasks); never raises for its exit code."""
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)


def home_override(env: Mapping[str, str]) -> dict[str, str]:
    """The app's home, when it is not the default one, so what the OS starts uses the same data."""
    return {ENV_HOME: env[ENV_HOME]} if env.get(ENV_HOME) else {}


def app_command() -> list[str]:
    """How this installation starts its CLI: the frozen executable, or this Python with ``-m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "desktop_app"]


@dataclass
class TimerStatus:
    installed: bool  # its files are there
    active: bool | None  # the platform says it is loaded and enabled (None: could not ask)
    where: list[Path] = field(default_factory=list)
    detail: str = ""  # the platform's words, or what to run by hand

    def sentence(self) -> str:
        if not self.installed:
            return "No background schedule is installed: syncs run only while the window is open."
        state = {True: "active", False: "installed but not active", None: "installed"}[self.active]
        text = f"Background schedule {state}: `sync run --if-due` every {EVERY_MINUTES} minutes."
        return f"{text} {self.detail}".strip()


class Timer:
    """One platform's background schedule."""

    name = ""

    def __init__(self, home: Path, env: Mapping[str, str] | None = None, runner: Runner = run) -> None:
        self.home = home
        self.env = os.environ if env is None else env
        self.run = runner

    def argv(self) -> list[str]:
        return [*app_command(), "sync", "run", "--if-due"]

    def environment(self) -> dict[str, str]:
        return home_override(self.env)

    def install(self) -> TimerStatus:
        raise NotImplementedError

    def remove(self) -> TimerStatus:
        raise NotImplementedError

    def status(self) -> TimerStatus:
        raise NotImplementedError

    def _tool(self, argv: Sequence[str]) -> tuple[bool | None, str]:
        """(exit status 0?, what it said); None when the tool is missing or could not run."""
        if shutil.which(argv[0], path=self.env.get("PATH")) is None:
            return None, f"{argv[0]} was not found"
        try:
            done = self.run(argv)
        except (OSError, subprocess.SubprocessError) as exc:
            return None, str(exc)
        return done.returncode == 0, (done.stdout + done.stderr).strip()


class SystemdTimer(Timer):
    name = "systemd user timer"

    @property
    def folder(self) -> Path:
        base = self.env.get("XDG_CONFIG_HOME") or str(self.home / ".config")
        return Path(base) / "systemd" / "user"

    @property
    def files(self) -> list[Path]:
        return [self.folder / f"{UNIT}.service", self.folder / f"{UNIT}.timer"]

    def service_text(self) -> str:
        lines = ["[Unit]", "Description=Books → Campaigns Sync: run the sync when its schedule is due", "",
                 "[Service]", "Type=oneshot", f"ExecStart={shlex.join(self.argv())}"]
        lines += [f'Environment="{k}={v}"' for k, v in self.environment().items()]
        return "\n".join(lines) + "\n"

    def timer_text(self) -> str:
        return "\n".join([
            "[Unit]", "Description=Books → Campaigns Sync: check the sync's schedule", "",
            "[Timer]", f"OnCalendar=*:0/{EVERY_MINUTES}", "Persistent=true", "RandomizedDelaySec=60", "",
            "[Install]", "WantedBy=timers.target", ""])

    def install(self) -> TimerStatus:
        service, timer = self.files
        self.folder.mkdir(parents=True, exist_ok=True)
        write_private(service, self.service_text())
        write_private(timer, self.timer_text())
        ok, said = self._tool(["systemctl", "--user", "daemon-reload"])
        if ok:
            ok, said = self._tool(["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"])
        if not ok:
            return TimerStatus(True, False, self.files,
                               f"systemd could not start it ({said}); run: systemctl --user enable --now {UNIT}.timer")
        return self.status()

    def remove(self) -> TimerStatus:
        self._tool(["systemctl", "--user", "disable", "--now", f"{UNIT}.timer"])
        for path in self.files:
            path.unlink(missing_ok=True)
        self._tool(["systemctl", "--user", "daemon-reload"])
        return self.status()

    def status(self) -> TimerStatus:
        installed = all(p.exists() for p in self.files)
        if not installed:
            return TimerStatus(False, None, self.files)
        active, said = self._tool(["systemctl", "--user", "is-active", f"{UNIT}.timer"])
        return TimerStatus(True, active, self.files, "" if active else f"({said})")


class LaunchAgent(Timer):
    name = "launchd agent"

    @property
    def path(self) -> Path:
        return self.home / "Library" / "LaunchAgents" / f"{AGENT}.plist"

    def plist(self) -> bytes:
        data: dict = {"Label": AGENT, "ProgramArguments": self.argv(), "StartInterval": EVERY_MINUTES * 60,
                      "RunAtLoad": False, "ProcessType": "Background"}
        if self.environment():
            data["EnvironmentVariables"] = self.environment()
        return plistlib.dumps(data)

    def install(self) -> TimerStatus:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.path, self.plist().decode("utf-8"))
        self._tool(["launchctl", "unload", str(self.path)])  # a previous version, if loaded
        ok, said = self._tool(["launchctl", "load", "-w", str(self.path)])
        if not ok:
            return TimerStatus(True, False, [self.path], f"launchctl could not load it ({said}); run: "
                               f"launchctl load -w {shlex.quote(str(self.path))}")
        return self.status()

    def remove(self) -> TimerStatus:
        if self.path.exists():
            self._tool(["launchctl", "unload", "-w", str(self.path)])
            self.path.unlink()
        return self.status()

    def status(self) -> TimerStatus:
        if not self.path.exists():
            return TimerStatus(False, None, [self.path])
        active, said = self._tool(["launchctl", "list", AGENT])
        return TimerStatus(True, active, [self.path], "" if active else f"({said})")


class ScheduledTask(Timer):
    name = "Task Scheduler task"

    def command_line(self) -> str:
        return subprocess.list2cmdline(self.argv())

    def install(self) -> TimerStatus:
        # The task runs as the user, only while they are logged on (no password is stored).
        argv = ["schtasks", "/Create", "/F", "/SC", "MINUTE", "/MO", str(EVERY_MINUTES), "/TN", UNIT,
                "/TR", self.command_line()]
        ok, said = self._tool(argv)
        if not ok:
            return TimerStatus(False, False, [], f"schtasks refused ({said})")
        return self.status()

    def remove(self) -> TimerStatus:
        self._tool(["schtasks", "/Delete", "/F", "/TN", UNIT])
        return self.status()

    def status(self) -> TimerStatus:
        found, said = self._tool(["schtasks", "/Query", "/TN", UNIT])
        return TimerStatus(bool(found), True if found else None, [], "" if found else f"({said})")


def timer_for(platform: str | None = None, *, home: Path | None = None, env: Mapping[str, str] | None = None,
              runner: Runner = run) -> Timer:
    """The background schedule of this (or the named) platform."""
    platform = sys.platform if platform is None else platform
    home = Path.home() if home is None else home
    if platform.startswith("win"):
        return ScheduledTask(home, env, runner)
    if platform == "darwin":
        return LaunchAgent(home, env, runner)
    return SystemdTimer(home, env, runner)
