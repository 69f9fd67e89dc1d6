"""``desktop-app schedule install|remove|status``: scheduled syncs while the window is closed, through
the operating system's own timer (``config/timers.py``); ``desktop-app autostart on|off|status``: the
app at login, minimised to the tray (``config/autostart.py``)."""

from __future__ import annotations

import json

from desktop_app.cli.exits import EXIT_FAILED, EXIT_OK
from desktop_app.config import autostart, timers


def _report(status: timers.TimerStatus, timer: timers.Timer, as_json: bool = False) -> None:
    if as_json:
        print(json.dumps({"backend": timer.name, "installed": status.installed, "active": status.active,
                          "files": [str(p) for p in status.where], "detail": status.detail,
                          "every_minutes": timers.EVERY_MINUTES}, indent=2))
        return
    print(status.sentence())
    for path in status.where if status.installed else []:
        print(f"  {path}")


def install(args) -> int:
    timer = timers.timer_for()
    status = timer.install()
    _report(status, timer)
    from desktop_app.app import AppService

    with AppService() as svc:
        if svc.sync() is None:  # each tick would say so (exit 2) until there is one
            print("No sync is configured yet: the timer has nothing to run until you create one "
                  "(desktop-app sync create, or the window).")
    return EXIT_OK if status.installed and status.active is not False else EXIT_FAILED


def remove(args) -> int:
    timer = timers.timer_for()
    status = timer.remove()
    _report(status, timer)
    return EXIT_FAILED if status.installed else EXIT_OK


def status(args) -> int:
    timer = timers.timer_for()
    _report(timer.status(), timer, args.json)
    return EXIT_OK


def _autostart_said(entry: autostart.Autostart) -> None:
    print("Starts at login, minimised to the tray." if entry.enabled() else "Does not start at login.")


def autostart_on(args) -> int:
    entry = autostart.autostart_for()
    entry.enable()
    _autostart_said(entry)
    return EXIT_OK


def autostart_off(args) -> int:
    entry = autostart.autostart_for()
    entry.disable()
    _autostart_said(entry)
    return EXIT_OK


def autostart_status(args) -> int:
    _autostart_said(autostart.autostart_for())
    return EXIT_OK
