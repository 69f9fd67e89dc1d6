"""``desktop-app schedule install|remove|status``: scheduled syncs while the window is closed, through
the operating system's own timer (``config/timers.py``)."""

from __future__ import annotations

import json

from desktop_app.cli.exits import EXIT_FAILED, EXIT_OK
from desktop_app.config import timers


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
